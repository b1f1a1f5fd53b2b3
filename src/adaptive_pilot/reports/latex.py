"""The report as a LaTeX document: booktabs long tables, figure environments (PDF figures)."""

from __future__ import annotations

from ..results import Table, tex_escape
from .document import FigureBlock, Paragraph, Report
from .formula import tex_text

__all__ = ["render_latex"]

_PREAMBLE = r"""\documentclass[11pt,a4paper]{article}
\usepackage[T1]{fontenc}
\usepackage[utf8]{inputenc}
\usepackage[margin=2.5cm]{geometry}
\usepackage{booktabs}
\usepackage{array}
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


def render_latex(report: Report, figure_pages: dict[int, str]) -> str:
    """A complete document for ``pdflatex``; ``figure_pages``: ``page=k`` of
    figures/figures.pdf by figure number."""
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
                out += [tex_text(block.text), ""]
            elif isinstance(block, Table):
                out.append(_longtable(block))
            elif isinstance(block, FigureBlock):
                number = numbers[id(block)]
                out += [
                    "\\begin{figure}[H]",
                    "\\centering",
                    f"\\includegraphics[{_width(block)},{figure_pages[number]}]"
                    "{figures/figures.pdf}",
                    f"\\caption{{{tex_text(block.caption)}}}",
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
    """A booktabs long table; wide tables get a smaller font, long text a wrapping column.

    A text column whose longest cell passes 45 characters wraps (a ``p`` column); it
    gets the width the other columns leave, so the table stays within the margins.
    """
    header = table.header()
    rows = table.cells()
    columns = list(zip(header, *rows, strict=True))
    widths = [
        max(max(len(part) for part in _split(column[0])), *(len(c) for c in column[1:])) + 2
        for column in columns
    ]
    wraps = [bool(rows) and max(len(c) for c in column[1:]) > 45 for column in columns]
    fixed = sum(w for w, wrap in zip(widths, wraps, strict=True) if not wrap)
    # a wrapping column keeps at least about 18 characters, and its longest word
    words = [
        max((len(word) for cell in column[1:] for word in cell.split()), default=0) + 2
        for column, wrap in zip(columns, wraps, strict=True)
        if wrap
    ]
    least = max([18, *words]) * sum(wraps)
    width = fixed + least if any(wraps) else fixed
    # a font size (and column gap) at which the table's widest rows fit the text width
    capacity, size = next(((limit, size) for limit, size in _SIZES if width <= limit), _SMALLEST)
    share = max(capacity - fixed, least) / max(sum(wraps), 1) / capacity
    spec = ""
    for k, (text, wrap) in enumerate(zip(table.text_columns(), wraps, strict=True)):
        if wrap:
            spec += f">{{\\raggedright\\arraybackslash}}p{{{0.95 * share:.3f}\\textwidth}}"
        else:
            spec += "l" if text or k == 0 else "r"
    head = " & ".join(_header_cell(h, k == 0) for k, h in enumerate(header)) + " \\\\"
    body = [" & ".join(tex_text(c) for c in row) + " \\\\" for row in rows]
    return "\n".join(
        [
            *([f"\\begingroup{size}"] if size else []),
            f"\\begin{{longtable}}{{{spec}}}",
            f"\\caption{{{tex_text(table.title)}}}\\\\",
            "\\toprule",
            head,
            "\\midrule",
            "\\endhead",
            "\\bottomrule",
            "\\endlastfoot",
            *body,
            "\\end{longtable}",
            *(["\\endgroup"] if size else []),
        ]
    )


#: (width in characters the text width holds, font size and column gap) for long tables
#: on A4 with 2.5 cm margins; checked by compiling every shipped report (no overfull box)
_SIZES = (
    (80, ""),
    (92, "\\small\\setlength{\\tabcolsep}{4pt}"),
    (104, "\\footnotesize\\setlength{\\tabcolsep}{3pt}"),
)
_SMALLEST = (124, "\\scriptsize\\setlength{\\tabcolsep}{2pt}")


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
    lines = [tex_text(line) for line in _split(text)]
    if len(lines) == 1:
        return lines[0]
    return f"\\shortstack[{'l' if first else 'r'}]{{{lines[0]}\\\\{lines[1]}}}"
