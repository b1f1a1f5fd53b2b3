"""The results contract: every result is a tidy table, a JSON-safe dict and a `Summary`.

Every result object of the engine (a Simon search, exact OC, joint OC, a
calibration, a hierarchical posterior, a simulation, a design evaluation)
follows :class:`Result`:

* ``to_frame()``: a tidy :class:`pandas.DataFrame` whose columns are names from
  :mod:`adaptive_pilot.glossary`;
* ``to_dict()``: JSON-safe (no NaN, no numpy types), with a ``provenance`` key
  of the one shape of :class:`adaptive_pilot.provenance.Provenance`;
* ``summary()``: a :class:`Summary` (title, header lines, tables, notes,
  provenance) rendered by the same code to text, Markdown, HTML, LaTeX and CSV.

Examples
--------
>>> import pandas as pd
>>> s = Summary("Exact OC", header=("N = 29",),
...             tables=(Table(pd.DataFrame({"p": [0.1, 0.3], "p_go": [0.0471, 0.8051]})),))
>>> print(s.as_text())
Exact OC
N = 29
<BLANKLINE>
    p  P(GO)
0.100 0.0471
0.300 0.8051
>>> print(s.as_markdown().splitlines()[-4])
|     p |  P(GO) |
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from .glossary import is_probability, label, number_format
from .provenance import Provenance

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Result", "ResultMixin", "Summary", "Table", "json_safe", "records"]


@runtime_checkable
class Result(Protocol):
    """What every result offers (see the module docstring)."""

    @property
    def provenance(self) -> Provenance: ...

    def to_frame(self) -> pd.DataFrame: ...

    def to_dict(self) -> dict[str, Any]: ...

    def summary(self) -> Summary: ...


class ResultMixin:
    """``str()`` and notebook display of a result through its :class:`Summary`."""

    def summary(self) -> Summary:  # pragma: no cover - every result overrides it
        raise NotImplementedError

    def __str__(self) -> str:
        return self.summary().as_text()

    def _repr_html_(self) -> str:
        return self.summary().as_html()


# ------------------------------------------------------------------ tables
@dataclass(frozen=True)
class Table:
    """One table of a summary: raw values plus how to show them.

    Parameters
    ----------
    frame : DataFrame
        Raw values (CSV shows them at full precision).
    title : str
        Caption.
    formats : mapping, optional
        Column -> format spec (``".4f"``); default: the glossary's format.
    labels : mapping, optional
        Column -> display label; default: the glossary's label.
    errors : mapping, optional
        Column -> the column holding its standard error (Monte Carlo). Shown as one
        cell ``estimate (error)`` in the column's format; the frame (and CSV) keeps
        both columns.
    wide : str, optional
        A long (tidy) frame shown wide: one column per value of this column (e.g.
        ``cohort``), rows by the first column. Columns are headed "label value" (just
        "value" when one column is spread); a value column constant within every row
        is shown once ("label (all cohorts)"). The frame (and CSV) stays long, in
        glossary names.
    """

    frame: pd.DataFrame
    title: str = ""
    formats: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    errors: Mapping[str, str] = field(default_factory=dict)
    wide: str = ""

    def _view(self) -> Table:
        """The table as shown: itself, or its long frame spread wide."""
        if not self.wide:
            return self
        import pandas as pd

        index = self.frame.columns[0]
        values = [c for c in self.frame.columns if c not in (index, self.wide)]
        spread = list(dict.fromkeys(self.frame[self.wide]))
        groups = self.frame.groupby(index, sort=False)
        data: dict[str, list[Any]] = {index: list(groups.groups)}
        formats, labels = dict(self.formats), dict(self.labels)
        constant = {v for v in values if (groups[v].nunique(dropna=False) <= 1).all()}  # noqa: PD101
        for value in values:
            spec = self.formats.get(value, number_format(value))
            name = self.labels.get(value, label(value))
            if value in constant:
                data[value] = list(groups[value].first())
                labels[value] = f"{name} (all {self.wide}s)"
                continue
            for each in spread:
                key = f"{value}\x1f{each}"
                cells = self.frame[self.frame[self.wide] == each].set_index(index)[value]
                data[key] = [cells.get(i) for i in data[index]]
                formats[key] = spec
                alone = len(values) - len(constant) == 1  # the one spread value: its name
                labels[key] = str(each) if alone else f"{name} {each}"
        return Table(pd.DataFrame(data), self.title, formats, labels)

    def _shown(self) -> list[str]:
        hidden = set(self.errors.values())
        return [c for c in self.frame.columns if c not in hidden]

    def header(self) -> list[str]:
        """Display labels of the columns shown (error columns join their estimate)."""
        if self.wide:
            return self._view().header()
        return [self.labels.get(c, label(c)) for c in self._shown()]

    def text_columns(self) -> list[bool]:
        """For each column shown: does it hold text (left-aligned) rather than numbers?"""
        import pandas as pd

        if self.wide:
            return self._view().text_columns()
        return [not pd.api.types.is_numeric_dtype(self.frame[c]) for c in self._shown()]

    def cells(self) -> list[list[str]]:
        """Formatted cells, row by row."""
        if self.wide:
            return self._view().cells()
        columns = list(self.frame.columns)
        shown = [columns.index(c) for c in self._shown()]
        paired = {columns.index(c): columns.index(e) for c, e in self.errors.items()}
        specs = [self.formats.get(c, number_format(c)) for c in columns]
        bounded = [is_probability(str(c)) for c in columns]
        out = []
        for row in self.frame.itertuples(index=False, name=None):
            line = []
            for k in shown:
                text = _format_value(row[k], specs[k], probability=bounded[k])
                if k in paired and text:
                    text += f" ({_format_value(row[paired[k]], specs[k])})"
                line.append(text)
            out.append(line)
        return out


def probability_text(value: float, decimals: int = 3) -> str:
    """A probability as sentences state it: "< 0.001" (or "> 0.999") when it is not 0
    (or 1) but rounds to it, else rounded to ``decimals``."""
    return _format_value(float(value), f".{decimals}f", probability=True)


def format_cell(value: Any, name: str) -> str:
    """A value as tables print the glossary name ``name`` (its format; "< 0.001" rules)."""
    return _format_value(value, number_format(name), probability=is_probability(name))


def _format_value(value: Any, spec: str, *, probability: bool = False) -> str:
    """One cell. A probability that is not 0 (or 1) but rounds to it is shown as
    "< 0.001" (or "> 0.999") at the column's number of decimals."""
    import pandas as pd

    if probability and spec.endswith("f") and isinstance(value, float | np.floating):
        decimals = int(spec.removeprefix(".").removesuffix("f") or 6)
        half = 0.5 * 10.0**-decimals
        if 0.0 < value < half:
            return f"< {10.0**-decimals:.{decimals}f}"
        if 1.0 - half <= value < 1.0:
            return f"> {1.0 - 10.0**-decimals:.{decimals}f}"

    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if spec and isinstance(value, int | float | np.integer | np.floating):
        try:
            if spec.endswith("d"):
                return format(int(value), spec)
            return format(float(value), spec)
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, float | np.floating):
        return f"{float(value):.6g}"
    return str(value)


# ---------------------------------------------------------------- summary
@dataclass(frozen=True)
class Summary:
    """A result as a statistician reads it: title, header lines, tables, notes.

    Rendered by :meth:`as_text`, :meth:`as_markdown`, :meth:`as_html`,
    :meth:`as_latex` and :meth:`as_csv`; shown as HTML in notebooks.
    """

    title: str
    header: Sequence[str] = ()
    tables: Sequence[Table] = ()
    notes: Sequence[str] = ()
    provenance: Provenance | None = None

    # -------------------------------------------------------------- text
    def as_text(self) -> str:
        """Plain text for a terminal: aligned columns."""
        lines = [self.title, *self.header]
        for table in self.tables:
            lines.append("")
            if table.title:
                lines.append(table.title)
            lines.append(_aligned(table.header(), table.cells()))
        if self.notes:
            lines += ["", *self.notes]
        if self.provenance is not None:
            lines += ["", self.provenance.line()]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    # ---------------------------------------------------------- markdown
    def as_markdown(self) -> str:
        """GitHub-flavoured Markdown: a heading, paragraphs and pipe tables."""
        out = [f"### {md_escape(self.title)}"]
        if self.header:
            out += ["", "  \n".join(md_escape(line) for line in self.header)]
        for table in self.tables:
            if table.title:
                out += ["", f"**{md_escape(table.title)}**"]
            out += ["", markdown_table(table)]
        if self.notes:
            out += ["", *(f"- {md_escape(note)}" for note in self.notes)]
        if self.provenance is not None:
            out += ["", f"_{md_escape(self.provenance.line())}_"]
        return "\n".join(out)

    # -------------------------------------------------------------- html
    def as_html(self) -> str:
        """An HTML fragment (a ``<section>``), every text escaped."""
        out = ['<section class="ap-summary">', f"<h3>{html.escape(self.title)}</h3>"]
        if self.header:
            out.append("<p>" + "<br>".join(html.escape(line) for line in self.header) + "</p>")
        for table in self.tables:
            out.append(html_table(table))
        if self.notes:
            out.append(
                "<ul>" + "".join(f"<li>{html.escape(note)}</li>" for note in self.notes) + "</ul>"
            )
        if self.provenance is not None:
            out.append(f'<p class="ap-provenance">{html.escape(self.provenance.line())}</p>')
        out.append("</section>")
        return "\n".join(out)

    def _repr_html_(self) -> str:
        return self.as_html()

    # ------------------------------------------------------------- latex
    def as_latex(self) -> str:
        """LaTeX: paragraphs and ``tabular`` tables (needs ``\\usepackage{booktabs}``)."""
        out = [f"\\paragraph{{{tex_escape(self.title)}}}"]
        out += [f"{tex_escape(line)}\\\\" for line in self.header]
        for table in self.tables:
            out.append(_latex_table(table))
        out += [tex_escape(note) + "\\\\" for note in self.notes]
        if self.provenance is not None:
            out.append(f"{{\\footnotesize {tex_escape(self.provenance.line())}}}")
        return "\n".join(out)

    # --------------------------------------------------------------- csv
    def as_csv(self) -> str:
        """Raw values at full precision; several tables are separated by ``# title`` lines."""
        blocks = []
        for table in self.tables:
            text = table.frame.to_csv(index=False, lineterminator="\n")
            if len(self.tables) > 1:
                text = f"# {table.title}\n{text}"
            blocks.append(text.rstrip("\n"))
        return "\n\n".join(blocks) + "\n"


def _aligned(header: list[str], rows: list[list[str]]) -> str:
    widths = [len(h) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = [" ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines += [" ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("*", "\\*").replace("_", "\\_")


def markdown_table(table: Table) -> str:
    header = [md_escape(h) for h in table.header()]
    rows = [[md_escape(c) for c in row] for row in table.cells()]
    widths = [max(3, len(h)) for h in header]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    text = table.text_columns()

    def line(cells: list[str]) -> str:
        padded = (c.ljust(w) if left else c.rjust(w)
                  for c, w, left in zip(cells, widths, text, strict=True))  # fmt: skip
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ":" + "-" * (w + 1) if left else "-" * (w + 1) + ":"
            for w, left in zip(widths, text, strict=True)
        )
        + "|"
    )
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def html_table(table: Table, text: Callable[[str], str] = html.escape) -> str:
    """The table as HTML; ``text`` writes each piece of text (default: escaped as is)."""
    out = ['<table class="ap-table">']
    if table.title:
        out.append(f"<caption>{text(table.title)}</caption>")
    left_columns = table.text_columns()
    out.append(
        "<thead><tr>"
        + "".join(
            f'<th class="ap-text">{text(h)}</th>' if left else f"<th>{text(h)}</th>"
            for h, left in zip(table.header(), left_columns, strict=True)
        )
    )
    out.append("</tr></thead><tbody>")
    opening = ['<td class="ap-text">' if left else "<td>" for left in left_columns]
    for row in table.cells():
        cells = (f"{tag}{text(c)}</td>" for tag, c in zip(opening, row, strict=True))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)


_TEX_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def tex_escape(text: str) -> str:
    return "".join(_TEX_ESCAPES.get(ch, ch) for ch in text)


def _latex_table(table: Table) -> str:
    header = table.header()
    out = ["\\begin{table}[ht]", "\\centering"]
    if table.title:
        out.append(f"\\caption{{{tex_escape(table.title)}}}")
    out += [f"\\begin{{tabular}}{{{'r' * len(header)}}}", "\\toprule"]
    out.append(" & ".join(tex_escape(h) for h in header) + " \\\\")
    out.append("\\midrule")
    out += [" & ".join(tex_escape(c) for c in row) + " \\\\" for row in table.cells()]
    out += ["\\bottomrule", "\\end{tabular}", "\\end{table}"]
    return "\n".join(out)


# ------------------------------------------------------------ JSON safety
def json_safe(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays, tuples and NaN into JSON-safe values (NaN: None)."""
    import pandas as pd

    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [json_safe(v) for v in value]
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return None if not math.isfinite(number) else number
    if value is pd.NA:
        return None
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """JSON-safe records of a tidy frame."""
    return [json_safe(row) for row in frame.to_dict("records")]
