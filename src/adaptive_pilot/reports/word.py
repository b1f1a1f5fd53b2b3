"""The report as a Word document: real headings, Word tables, embedded figures (python-docx)."""

from __future__ import annotations

import io

import docx
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Inches, Pt

from .. import figures
from ..results import Table
from .document import FigureBlock, Paragraph, Report

__all__ = ["render_docx"]


def render_docx(report: Report) -> bytes:
    """The DOCX file's bytes. Each table is a Word table a writer can paste into a template."""
    numbers = report.numbers()
    document = docx.Document()
    document.core_properties.title = report.title
    document.core_properties.comments = report.footer()
    footer = document.sections[0].footer.paragraphs[0]
    footer.text = report.footer()
    footer.runs[0].font.size = Pt(7)
    document.add_heading(report.title, level=0)
    for section in report.sections:
        document.add_heading(section.title, level=1)
        for block in section.blocks:
            if isinstance(block, Paragraph):
                document.add_paragraph(block.text)
            elif isinstance(block, Table):
                document.add_paragraph(f"Table {numbers[id(block)]}. {block.title}", "Caption")
                _table(document, block)
            elif isinstance(block, FigureBlock):
                document.add_picture(io.BytesIO(figures.png(block.figure)), width=Inches(6.3))
                caption = f"Figure {numbers[id(block)]}. {block.caption}"
                document.add_paragraph(caption, "Caption")
        if section.provenance is not None:
            line = document.add_paragraph().add_run(section.provenance.line())
            line.font.size = Pt(7)
    if report.references:
        document.add_heading("References", level=1)
        for reference in report.references:
            document.add_paragraph(reference, "List Number")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _table(document: Document, table: Table) -> None:
    header, rows = table.header(), table.cells()
    word = document.add_table(rows=len(rows) + 1, cols=len(header))
    word.style = "Table Grid"
    word.alignment = WD_TABLE_ALIGNMENT.CENTER
    lines = word.rows  # row by row: Table.cell(i, j) rescans the whole grid on every call
    for cell, text in zip(lines[0].cells, header, strict=True):
        cell.text = text
        run = cell.paragraphs[0].runs[0]
        run.bold = True
        run.font.size = Pt(9)
    left = [text or k == 0 for k, text in enumerate(table.text_columns())]
    for line, row in zip(list(lines)[1:], rows, strict=True):
        for cell, text, text_column in zip(line.cells, row, left, strict=True):
            cell.text = text
            paragraph = cell.paragraphs[0]
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if text_column else WD_ALIGN_PARAGRAPH.RIGHT
            )
            if paragraph.runs:
                paragraph.runs[0].font.size = Pt(9)
