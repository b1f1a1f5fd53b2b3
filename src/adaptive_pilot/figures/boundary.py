"""The boundary table as a picture: stopping regions by look, with observed points."""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..boundary_table import BoundaryTable
from ._render import COLOURS, new_figure, style

__all__ = ["boundary_figure", "draw_boundaries"]


def boundary_figure(
    table: BoundaryTable,
    *,
    points: Sequence[tuple[str, int, int]] = (),
    title: str | None = None,
) -> Figure:
    """Responses against evaluable patients, with the table's stopping regions.

    Parameters
    ----------
    table : BoundaryTable
        The design's boundaries.
    points : sequence of (label, n, x)
        Observed positions to mark (for example each cohort at a data cut-off).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Render it with :func:`adaptive_pilot.figures.svg` or ``png``.
    """
    with style():
        figure = new_figure(6.0, 3.6)
        axes = figure.add_subplot()
        draw_boundaries(axes, table, points=points)
        if title:
            axes.set_title(title)
    return figure


def draw_boundaries(
    axes: Axes,
    table: BoundaryTable,
    *,
    points: Sequence[tuple[str, int, int]] = (),
    legend_below: bool = False,
) -> None:
    """Draw the regions of ``table`` (and the points) on existing axes.

    The legend goes to the right of the axes, or below them with ``legend_below``.
    """
    looks = table.looks
    n_max = table.n_max
    gaps = [b - a for a, b in zip((0, *looks), looks, strict=False)]
    width = min(0.7 * min(gaps), max(0.8, n_max / 30))
    for k, n in enumerate(looks):
        final = k == len(looks) - 1
        f, e = table.futility_at(k), table.efficacy_at(k)
        low = -0.5 if f is None else f + 0.5
        high = n + 0.5 if e is None else min(e, n + 1) - 0.5
        below = COLOURS["no_go"] if final else COLOURS["futility"]
        middle = COLOURS["consider"] if final and table.three_outcomes else COLOURS["continue"]
        left = n - width / 2
        axes.bar(left, low + 0.5, width, bottom=-0.5, color=below, align="edge", lw=0)
        axes.bar(left, high - low, width, bottom=low, color=middle, align="edge", lw=0)
        axes.bar(
            left, n + 0.5 - high, width, bottom=high, color=COLOURS["efficacy"], align="edge", lw=0
        )
    axes.plot([0, n_max], [0, n_max], ls=":", lw=0.8, color=COLOURS["reference"])
    for label, n, x in points:
        axes.plot([n], [x], "o", ms=6, color=COLOURS["point"], mec="white", mew=0.8, zorder=5)
        axes.annotate(
            label, (n, x), xytext=(5, 4), textcoords="offset points", fontsize=8, zorder=6
        )
    axes.set_xlim(-0.5, n_max + max(1.0, 0.04 * n_max))
    bounds = [e + 2 for e in (table.efficacy_at(k) for k in range(len(looks))) if e is not None]
    seen = [x + 2 for _, _, x in points]
    axes.set_ylim(-0.5, min(n_max + 0.5, max([0.25 * n_max, *bounds, *seen])))
    axes.set_xticks(list(looks))
    axes.set_xlabel("evaluable patients")
    axes.set_ylabel("responses")
    handles = [
        Patch(color=COLOURS["futility"], label="stop for futility"),
        Patch(color=COLOURS["continue"], label="continue"),
        Patch(color=COLOURS["efficacy"], label="stop for efficacy / GO"),
        Patch(color=COLOURS["no_go"], label="NO-GO at the final look"),
    ]
    if table.three_outcomes:
        handles.append(Patch(color=COLOURS["consider"], label="CONSIDER at the final look"))
    if legend_below:
        axes.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.22),
            ncol=2,
            frameon=False,
            fontsize=7.5,
        )
    else:
        axes.legend(
            handles=handles,
            loc="upper left",
            bbox_to_anchor=(1.0, 1.0),
            frameon=False,
            fontsize=7.5,
        )
