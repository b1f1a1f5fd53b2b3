"""The report as Markdown, figures as files beside it (``figures/``)."""

from __future__ import annotations

from ..results import Table, markdown_table, md_escape
from .document import FigureBlock, Paragraph, Report

__all__ = ["render_markdown"]


def render_markdown(report: Report, figure_paths: dict[int, str]) -> str:
    """The report as GitHub-flavoured Markdown.

    ``figure_paths``: relative path of each figure's image by figure number.
    """
    numbers = report.numbers()
    out = [f"# {md_escape(report.title)}"]
    for section in report.sections:
        out += ["", f"## {md_escape(section.title)}"]
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out += ["", md_escape(block.text)]
            elif isinstance(block, Table):
                out += ["", f"**Table {numbers[id(block)]}. {md_escape(block.title)}**"]
                out += ["", markdown_table(block)]
            elif isinstance(block, FigureBlock):
                number = numbers[id(block)]
                caption = md_escape(f"Figure {number}. {block.caption}")
                out += ["", f"![{caption}]({figure_paths[number]})", "", f"*{caption}*"]
        out += ["", f"_{md_escape((section.provenance or report.provenance).line())}_"]
    if report.references:
        out += ["", "## References", ""]
        out += [f"{k}. {md_escape(r)}" for k, r in enumerate(report.references, start=1)]
    return "\n".join(out) + "\n"
