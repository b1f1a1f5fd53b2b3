"""The report as a Word document: real headings, Word tables, embedded figures (python-docx)."""

from __future__ import annotations

import io
from typing import Any

import docx
from docx.document import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Inches, Pt

from .. import figures
from ..results import Table
from .document import FigureBlock, Paragraph, Report
from .formula import segments

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
                _write(document.add_paragraph(), block.text)
            elif isinstance(block, Table):
                caption = f"Table {numbers[id(block)]}. {block.title}"
                _write(document.add_paragraph(style="Caption"), caption)
                _table(document, block)
            elif isinstance(block, FigureBlock):
                document.add_picture(io.BytesIO(figures.png(block.figure)), width=Inches(6.3))
                caption = f"Figure {numbers[id(block)]}. {block.caption}"
                _write(document.add_paragraph(style="Caption"), caption)
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


def _write(
    paragraph: Any, text: str, size: float | None = None, bold: bool = False, font: str = ""
) -> None:
    """``text`` as runs of ``paragraph``, its formulas typeset (superscripts, subscripts,
    Greek letters and relation signs)."""
    for piece, kind in segments(text):
        run = paragraph.add_run(piece)
        if font:
            run.font.name = font
        if kind == "sup":  # one XML property (vertAlign) holds both: set only one
            run.font.superscript = True
        elif kind == "sub":
            run.font.subscript = True
        if size is not None:
            run.font.size = Pt(size)
        if bold:
            run.bold = True


#: Tables are set in Arial (Liberation Sans where it is missing: the same widths), whose
#: digits are 0.556 em wide; the estimates below are a little above its average widths
#: (headers are bold), and a cell's padding is left + right (set below).
_TABLE_FONT = "Arial"
_BODY_EM, _HEADER_EM, _PADDING_IN = 0.58, 0.66, 0.12


def _table(document: Document, table: Table) -> None:
    header, rows = table.header(), table.cells()
    left = [text or k == 0 for k, text in enumerate(table.text_columns())]
    section = document.sections[-1]
    page, margins = (
        section.page_width or 0,
        (section.left_margin or 0) + (section.right_margin or 0),
    )
    usable = page - margins if page else Inches(6.0)
    size, widths = _layout(header, rows, usable / 914400)  # EMU per inch
    word = document.add_table(rows=len(rows) + 1, cols=len(header))
    word.style = "Table Grid"
    word.alignment = WD_TABLE_ALIGNMENT.CENTER
    word.autofit = False
    _cell_margins(word, Inches(_PADDING_IN / 2))
    for column, width in zip(word.columns, widths, strict=True):
        column.width = Inches(width)
    lines = word.rows  # row by row: Table.cell(i, j) rescans the whole grid on every call
    for cell, text, width in zip(lines[0].cells, header, widths, strict=True):
        cell.width = Inches(width)
        _write(cell.paragraphs[0], text, size=size, bold=True, font=_TABLE_FONT)
    for line, row in zip(list(lines)[1:], rows, strict=True):
        for cell, text, text_column, width in zip(line.cells, row, left, widths, strict=True):
            cell.width = Inches(width)
            paragraph = cell.paragraphs[0]
            paragraph.alignment = (
                WD_ALIGN_PARAGRAPH.LEFT if text_column else WD_ALIGN_PARAGRAPH.RIGHT
            )
            _write(paragraph, text, size=size, font=_TABLE_FONT)


def _layout(
    header: list[str], rows: list[list[str]], text_width: float
) -> tuple[float, list[float]]:
    """A font size and column widths (inches) at which no word is broken.

    A column is at least as wide as its longest word, so cells wrap only between
    words (a number and its MCSE, "0.049 (0.005)", may take two lines), and at
    best as wide as its longest value (and half its header). The largest size from
    9 pt down to 7 pt at which the least widths fit ``text_width`` is used; the
    room left goes to the columns that would otherwise wrap, in proportion to what
    they lack.
    """
    columns = list(zip(header, *rows, strict=True)) if rows else [(h,) for h in header]
    # widths in em: the longest word (header in bold), and the longest value
    least, ideal = [], []
    for column in columns:
        head = max((len(w) for w in column[0].split()), default=1) * _HEADER_EM
        words = max((len(w) for cell in column[1:] for w in cell.split()), default=1) * _BODY_EM
        values = max((len(cell) for cell in column[1:]), default=1) * _BODY_EM
        least.append(max(head, words))
        ideal.append(max(len(column[0]) / 2 * _HEADER_EM, values, head, words))
    size = 9.0
    for size in (9.0, 8.0, 7.0):
        if sum(_inches(c, size) for c in least) <= text_width:
            break
    low = [_inches(c, size) for c in least]
    high = [max(a, _inches(c, size)) for a, c in zip(low, ideal, strict=True)]
    if sum(low) > text_width:  # too many columns even at 7 pt: shrink them all alike
        return size, [w * text_width / sum(low) for w in low]
    room = text_width - sum(low)
    wanted = sum(h - a for a, h in zip(low, high, strict=True))
    if wanted <= room:
        return size, high
    share = room / wanted if wanted > 0 else 0.0
    return size, [a + (h - a) * share for a, h in zip(low, high, strict=True)]


def _inches(em: float, size: float) -> float:
    return em * size / 72 + _PADDING_IN


def _cell_margins(table: Any, side: Any) -> None:
    """Left and right cell padding of ``table`` (the widths above count on it)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for name in ("left", "right"):
        element = OxmlElement(f"w:{name}")
        element.set(qn("w:w"), str(int(side.twips)))
        element.set(qn("w:type"), "dxa")
        margins.append(element)
    properties.append(margins)
