"""Protocol-ready reports: the statistical-section text, tables and figures in many formats.

:func:`report` builds one :class:`Report` from a design file (simulating the
trial when scenarios are given; :func:`design_report` takes results already
computed); the renderers write it as HTML, Markdown, LaTeX, DOCX and CSV from
the same table objects (:func:`write_report`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

#: Public name -> module that defines it: imported on first use, so that the interim
#: reports (``reports.interim``) load no matplotlib until a figure is drawn
_EXPORTS = {
    "FORMATS": "files",
    "FigureBlock": "document",
    "Paragraph": "document",
    "Report": "document",
    "Section": "document",
    "design_report": "build",
    "parse_formats": "files",
    "report": "build",
    "write_report": "files",
}

__all__ = [
    "FORMATS",
    "FigureBlock",
    "Paragraph",
    "Report",
    "Section",
    "design_report",
    "parse_formats",
    "report",
    "write_report",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from .build import design_report, report
    from .document import FigureBlock, Paragraph, Report, Section
    from .files import FORMATS, parse_formats, write_report
