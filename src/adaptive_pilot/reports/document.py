"""A report as a document: sections of paragraphs, tables and figures, in reading order.

One :class:`Report` is rendered to every format (HTML, Markdown, LaTeX, DOCX,
CSV) by :mod:`adaptive_pilot.reports.render`; the numbers of each table come
from one :class:`~adaptive_pilot.results.Table`, so every format shows the
same values. Tables and figures are numbered in reading order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..provenance import Provenance
from ..results import Table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Block", "FigureBlock", "Paragraph", "Report", "Section"]


@dataclass(frozen=True)
class Paragraph:
    """Running text (plain: no markup; renderers escape it)."""

    text: str


@dataclass(frozen=True)
class FigureBlock:
    """A figure with a file name (no extension) and a caption."""

    name: str
    figure: Figure
    caption: str


Block = Paragraph | Table | FigureBlock


@dataclass(frozen=True)
class Section:
    """A headed part of the report.

    ``provenance``: where this section's numbers come from, when it is not the
    report's (a simulation); shown at the end of the section.
    """

    title: str
    blocks: tuple[Block, ...]
    provenance: Provenance | None = None


@dataclass(frozen=True)
class Report:
    """The whole document.

    Attributes
    ----------
    title : str
        Document title.
    sections : tuple of Section
        In reading order.
    references : tuple of str
        Cited works, in the order they are listed.
    provenance : Provenance
        Design hash, method, version and time; shown in every section.
    """

    title: str
    sections: tuple[Section, ...]
    references: tuple[str, ...]
    provenance: Provenance

    def footer(self) -> str:
        """The line at the foot of every page: how every number in the report was made.

        The report's own provenance, and when sections were simulated, their method,
        trials and seed too (a page footer must not say "exact" over simulated OC).
        """
        line = self.provenance.line()
        simulated = [
            s.provenance
            for s in self.sections
            if s.provenance is not None and s.provenance.method != self.provenance.method
        ]
        if not simulated:
            return line
        sim = simulated[0]
        extra = f"Monte Carlo ({sim.n_trials:,} trials, seed {sim.seed}) for the simulated OC"
        return line.replace(
            f"; {self.provenance.method};", f"; {self.provenance.method} OC, {extra};", 1
        )

    def tables(self) -> list[tuple[int, str, Table]]:
        """(number, file stem, table) of every table, in reading order."""
        out: list[tuple[int, str, Table]] = []
        for block in self._blocks():
            if isinstance(block, Table):
                number = len(out) + 1
                out.append((number, f"table{number}_{slug(block.title)}", block))
        return out

    def figures(self) -> list[tuple[int, FigureBlock]]:
        """(number, figure) of every figure, in reading order."""
        found = [b for b in self._blocks() if isinstance(b, FigureBlock)]
        return list(enumerate(found, start=1))

    def numbers(self) -> dict[int, int]:
        """Number of each table and figure, by ``id()`` of its block."""
        out = {id(t): k for k, _, t in self.tables()}
        out.update({id(f): k for k, f in self.figures()})
        return out

    def _blocks(self) -> list[Block]:
        return [block for section in self.sections for block in section.blocks]


def slug(text: str) -> str:
    """A file-name-safe form of a title (lower case, words joined by '_', at most 40 chars)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "_".join(words)[:40].rstrip("_") or "table"
