"""One cohort at an interim look: posterior, predictive outcomes and boundary position."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ..designs.design import Design
from ..interim.decide import DECISION_LABELS, CohortCall
from ._render import COLOURS, new_figure, style
from .boundary import draw_boundaries

__all__ = ["cohort_figure"]

_ENDS = (
    ("stop_futility", "stopped for futility", COLOURS["futility"]),
    ("no_go", "NO-GO at the end", COLOURS["no_go"]),
    ("consider", "CONSIDER at the end", COLOURS["consider"]),
    ("go", "GO at the end", COLOURS["efficacy"]),
    ("stop_efficacy", "stopped for efficacy", "#005A44"),
)


def cohort_figure(plan: Design, call: CohortCall) -> Figure:
    """Three panels for the DSMB's closed report.

    1. The posterior density of the response rate from the cohort's own data
       and prior, with P(p > p0 | data) shaded (with borrowing, the borrowed
       probability that decided is stated in the title).
    2. How the cohort can end from here, with probabilities under the
       posterior predictive (bars) and the exact P(GO) at p0 and p1: the
       distribution behind the predictive probability in the report.
    3. Where the cohort stands against the boundary table.
    """
    with style():
        figure = new_figure(10.5, 3.4)
        first, second, third = figure.subplots(1, 3, width_ratios=(1, 1.15, 1.15))
        _posterior(first, plan, call)
        _predictive(second, plan, call)
        draw_boundaries(
            third, plan.table, points=[("now", call.n_evaluable, call.responses)], legend_below=True
        )
        third.set_title(f"Position: {call.responses}/{call.n_evaluable}, {_said(call.decision)}")
        figure.suptitle(f"Cohort {call.cohort}", fontsize=10.5, fontweight="bold")
    return figure


def _posterior(axes: Axes, plan: Design, call: CohortCall) -> None:
    n, x = call.n_evaluable, call.responses
    grid = np.linspace(0.0, 1.0, 801)
    density = plan.prior.posterior_pdf(grid, x, n)
    finite = np.isfinite(density)
    axes.plot(grid[finite], density[finite], color=COLOURS["point"], lw=1.4)
    above = finite & (grid >= plan.p0)
    axes.fill_between(grid[above], density[above], color=COLOURS["point"], alpha=0.25, lw=0)
    top = float(np.nanmax(density[finite])) if finite.any() else 1.0
    for value, name in ((plan.p0, "p0"), (plan.p1, "p1")):
        axes.axvline(value, color=COLOURS["reference"], lw=0.8, ls="--")
        axes.text(value, top * 1.02, f" {name}", fontsize=7.5, va="bottom")
    axes.set_ylim(0, top * 1.15)
    axes.set_xlim(0, min(1.0, max(3 * plan.p1, plan.prior.posterior_quantile(0.999, x, n))))
    axes.set_xlabel("response rate p")
    axes.set_ylabel("posterior density")
    own = call.prob_gt_p0_own if call.prob_gt_p0_own is not None else call.prob_gt_p0
    if call.method != "independent":
        title = f"Own data: P(p>p0)={own:.3f}\nborrowed (decides): {call.prob_gt_p0:.3f}"
    else:
        title = f"Posterior, {x}/{n}: P(p > p0) = {own:.3f}"
    axes.set_title(title)


def _predictive(axes: Axes, plan: Design, call: CohortCall) -> None:
    axes.set_xlabel("responses when the cohort ends")
    axes.set_ylabel("predictive probability")
    if call.decision != "continue":
        axes.text(
            0.5,
            0.5,
            f"cohort decided: {_said(call.decision)}",
            ha="center",
            va="center",
            transform=axes.transAxes,
        )
        axes.set_title("How the cohort can end from here")
        axes.set_xticks([])
        axes.set_yticks([])
        return
    outcomes, forward = call.outcomes, call.own_go_probabilities
    assert outcomes is not None and forward is not None, "a continuing cohort carries them"
    x = outcomes["x"].to_numpy()
    bottom = np.zeros(int(x.max()) + 1)
    for end, label, colour in _ENDS:
        rows = outcomes[outcomes["end"] == end]
        if rows.empty:
            continue
        heights = np.bincount(rows["x"], weights=rows["predictive"], minlength=bottom.size)
        axes.bar(np.arange(bottom.size), heights, bottom=bottom, color=colour, label=label, lw=0)
        bottom += heights
    predictive, p0, p1 = forward
    own = " (own data)" if call.method != "independent" else ""
    axes.set_title(
        f"Predictive P(GO){own} = {predictive:.3f}\nP(GO | p0) = {p0:.3f}, P(GO | p1) = {p1:.3f}"
    )
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(frameon=False, fontsize=7.5, loc="upper right")


def _said(decision: str) -> str:
    return DECISION_LABELS.get(decision, decision)
