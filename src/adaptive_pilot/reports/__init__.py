"""Protocol-ready reports: the statistical-section text, tables and figures in many formats.

:func:`report` builds one :class:`Report` from a design file (simulating the
trial when scenarios are given; :func:`design_report` takes results already
computed); the renderers write it as HTML, Markdown, LaTeX, DOCX and CSV from
the same table objects (:func:`write_report`).
"""

from __future__ import annotations

from .build import design_report, report
from .document import FigureBlock, Paragraph, Report, Section
from .files import FORMATS, parse_formats, write_report

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
