"""The report as one self-contained HTML file (figures inline as SVG, no script)."""

from __future__ import annotations

import html
from dataclasses import replace

from .. import figures
from ..results import Table, html_table
from .document import FigureBlock, Paragraph, Report
from .formula import html_text

__all__ = ["render_html"]

_STYLE = """
body { font-family: Georgia, "Times New Roman", serif; margin: 2rem auto; max-width: 52rem;
       padding: 0 1rem; color: #1b1b1b; line-height: 1.5; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 0.8rem 0; font-variant-numeric: tabular-nums;
        font-family: system-ui, sans-serif; font-size: 0.9rem; }
caption { text-align: left; font-weight: 600; padding-bottom: 0.3rem; }
th, td { padding: 0.2rem 0.6rem; text-align: right; }
thead th { border-top: 2px solid #000; border-bottom: 1px solid #000; }
tbody tr:last-child td { border-bottom: 2px solid #000; }
td:first-child, th:first-child, .ap-text { text-align: left; }
td { white-space: nowrap; } td.ap-text { white-space: normal; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; }
.ap-provenance { font-size: 0.8rem; color: #555; border-top: 1px solid #ddd; }
@page { size: A4 portrait; margin: 18mm 15mm; }
@media print { body { margin: 0; max-width: none; padding: 0; font-size: 10pt; }
               table { font-size: 8pt; } th, td { padding: 0.12rem 0.35rem; }
               h2 { break-before: auto; break-after: avoid; }
               table, figure { break-inside: avoid; } }
"""


def render_html(report: Report) -> str:
    """The whole report as an HTML document."""
    numbers = report.numbers()
    body = [f"<h1>{html.escape(report.title)}</h1>"]
    for section in report.sections:
        body.append(f"<section>\n<h2>{html.escape(section.title)}</h2>")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                body.append(f"<p>{html_text(block.text)}</p>")
            elif isinstance(block, Table):
                title = f"Table {numbers[id(block)]}. {block.title}"
                body.append(html_table(replace(block, title=title), text=html_text))
            elif isinstance(block, FigureBlock):
                caption = html_text(f"Figure {numbers[id(block)]}. {block.caption}")
                body.append(
                    f"<figure>{figures.svg(block.figure)}<figcaption>{caption}</figcaption>"
                    "</figure>"
                )
        footer = html.escape((section.provenance or report.provenance).line())
        body.append(f'<p class="ap-provenance">{footer}</p>\n</section>')
    if report.references:
        items = "".join(f"<li>{html.escape(r)}</li>" for r in report.references)
        body.append(f"<section>\n<h2>References</h2>\n<ol>{items}</ol>\n</section>")
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(report.title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        "<body>\n" + "\n".join(body) + "\n</body>\n</html>\n"
    )
