"""Protocol-ready reports: the statistical-section text, tables and figures in many formats.

:func:`design_report` builds one :class:`Report` from a design file; the
renderers write it as HTML, Markdown, LaTeX, DOCX and CSV from the same table
objects (:func:`write_report`).
"""

from __future__ import annotations

from .build import design_report
from .document import FigureBlock, Paragraph, Report, Section
from .files import FORMATS, parse_formats, write_report

#: ``ap.report(design, compare=..., rates=...)``: the same as :func:`design_report`.
report = design_report

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
