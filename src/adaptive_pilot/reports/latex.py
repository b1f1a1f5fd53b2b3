"""The report as a LaTeX document: booktabs long tables, figure environments (PDF figures)."""

from __future__ import annotations

from ..results import Table, tex_escape
from .document import FigureBlock, Paragraph, Report

__all__ = ["render_latex"]

_PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage[margin=2.5cm]{geometry}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{graphicx}
\usepackage{fancyhdr}
\pagestyle{fancy}
\fancyhf{}
\renewcommand{\headrulewidth}{0pt}
"""


def render_latex(report: Report, figure_paths: dict[int, str]) -> str:
    """A complete document for ``pdflatex``; ``figure_paths``: PDF file by figure number."""
    numbers = report.numbers()
    footer = tex_escape(report.provenance.line())
    out = [
        _PREAMBLE + f"\\fancyfoot[L]{{\\scriptsize {footer}}}\n\\fancyfoot[R]{{\\thepage}}",
        f"\\title{{{tex_escape(report.title)}}}\n\\date{{}}",
        "\\begin{document}",
        "\\maketitle",
        "\\thispagestyle{fancy}",
    ]
    for section in report.sections:
        out.append(f"\\section{{{tex_escape(section.title)}}}")
        for block in section.blocks:
            if isinstance(block, Paragraph):
                out += [tex_escape(block.text), ""]
            elif isinstance(block, Table):
                out.append(_longtable(block))
            elif isinstance(block, FigureBlock):
                number = numbers[id(block)]
                out += [
                    "\\begin{figure}[htbp]",
                    "\\centering",
                    f"\\includegraphics[width=\\textwidth]{{{figure_paths[number]}}}",
                    f"\\caption{{{tex_escape(block.caption)}}}",
                    "\\end{figure}",
                ]
    if report.references:
        out.append("\\section*{References}\n\\begin{enumerate}")
        out += [f"\\item {tex_escape(r)}" for r in report.references]
        out.append("\\end{enumerate}")
    out.append("\\end{document}")
    return "\n".join(out) + "\n"


def _longtable(table: Table) -> str:
    header = table.header()
    spec = "l" + "r" * (len(header) - 1)
    head = " & ".join(tex_escape(h) for h in header) + " \\\\"
    rows = [" & ".join(tex_escape(c) for c in row) + " \\\\" for row in table.cells()]
    return "\n".join(
        [
            f"\\begin{{longtable}}{{{spec}}}",
            f"\\caption{{{tex_escape(table.title)}}}\\\\",
            "\\toprule",
            head,
            "\\midrule",
            "\\endhead",
            "\\bottomrule",
            "\\endlastfoot",
            *rows,
            "\\end{longtable}",
        ]
    )
