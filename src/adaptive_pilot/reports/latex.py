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
\usepackage{float}
\usepackage{mathptmx}
\usepackage[scaled=0.92]{helvet}
\setlength{\LTcapwidth}{\textwidth}
\setlength{\emergencystretch}{3em}
\pagestyle{fancy}
\fancyhf{}
\renewcommand{\headrulewidth}{0pt}
"""


def render_latex(report: Report, figure_paths: dict[int, str]) -> str:
    """A complete document for ``pdflatex``; ``figure_paths``: PDF file by figure number."""
    numbers = report.numbers()
    footer = tex_escape(report.footer())
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
                    "\\begin{figure}[H]",
                    "\\centering",
                    f"\\includegraphics[{_width(block)}]{{{figure_paths[number]}}}",
                    f"\\caption{{{tex_escape(block.caption)}}}",
                    "\\end{figure}",
                ]
        if section.provenance is not None:
            out += [f"{{\\scriptsize {tex_escape(section.provenance.line())}}}", ""]
    if report.references:
        out.append("\\section*{References}\n\\begin{enumerate}")
        out += [f"\\item {tex_escape(r)}" for r in report.references]
        out.append("\\end{enumerate}")
    out.append("\\end{document}")
    return "\n".join(out) + "\n"


def _width(block: FigureBlock) -> str:
    """The figure at its own size, at most the text width."""
    inches = float(block.figure.get_figwidth())
    return "width=\\textwidth" if inches >= 6.2 else f"width={inches:g}in"


def _longtable(table: Table) -> str:
    """A booktabs long table; wide tables get a smaller font, long text a wrapping column."""
    header = table.header()
    rows = table.cells()
    columns = list(zip(header, *rows, strict=True))
    width = sum(
        max(max(len(part) for part in _split(column[0])), *(len(c) for c in column[1:])) + 2
        for column in columns
    )
    spec = ""
    for k, (column, text) in enumerate(zip(columns, table.text_columns(), strict=True)):
        longest = max(len(c) for c in column[1:]) if rows else 0
        if longest > 45:
            spec += "p{0.62\\textwidth}"
        else:
            spec += "l" if text or k == 0 else "r"
    head = " & ".join(_header_cell(h, k == 0) for k, h in enumerate(header)) + " \\\\"
    body = [" & ".join(tex_escape(c) for c in row) + " \\\\" for row in rows]
    small = width > 80
    return "\n".join(
        [
            *(["\\begingroup\\small\\setlength{\\tabcolsep}{4pt}"] if small else []),
            f"\\begin{{longtable}}{{{spec}}}",
            f"\\caption{{{tex_escape(table.title)}}}\\\\",
            "\\toprule",
            head,
            "\\midrule",
            "\\endhead",
            "\\bottomrule",
            "\\endlastfoot",
            *body,
            "\\end{longtable}",
            *(["\\endgroup"] if small else []),
        ]
    )


def _split(text: str) -> list[str]:
    """A header label in one line, or two split at its middle space when it is long."""
    depth, spaces = 0, []
    for i, c in enumerate(text):
        depth += (c == "[") - (c == "]")
        if c == " " and depth == 0:
            spaces.append(i)
    if len(text) <= 9 or not spaces:
        return [text]
    middle = len(text) / 2
    cut = min(spaces, key=lambda i: abs(i - middle))
    return [text[:cut], text[cut + 1 :]]


def _header_cell(text: str, first: bool) -> str:
    lines = [tex_escape(line) for line in _split(text)]
    if len(lines) == 1:
        return lines[0]
    return f"\\shortstack[{'l' if first else 'r'}]{{{lines[0]}\\\\{lines[1]}}}"
