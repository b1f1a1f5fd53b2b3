"""One cohort of a design on several endpoints at an interim look: each endpoint's
posterior against its threshold."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..designs.multi_endpoint import MultiEndpointDesign
from ..interim.endpoints import EndpointCohortCall
from ._render import COLOURS, new_figure, style

__all__ = ["endpoint_figure"]


def endpoint_figure(
    design: MultiEndpointDesign, call: EndpointCohortCall, borrowed: bool = False
) -> Figure:
    """One panel per endpoint: the Beta posterior of its rate from the cohort's own data
    (the Dirichlet's margin), the threshold, and the region where the rate is better
    shaded; the title gives P(better) against the cut-off (with borrowing, the borrowed
    probability, which decides)."""
    rule = design.rule
    n = call.n_evaluable
    with style():
        figure = new_figure(3.3 * len(rule.endpoints), 2.9)
        panels = figure.subplots(1, len(rule.endpoints), squeeze=False)[0]
        grid = np.linspace(0.0, 1.0, 801)
        for axes, endpoint, row in zip(panels, rule.endpoints, call.endpoints, strict=True):
            marginal = rule.prior.marginal(endpoint.categories)
            density = marginal.posterior_pdf(grid, int(row["x"]), n)
            finite = np.isfinite(density)
            axes.plot(grid[finite], density[finite], color=COLOURS["point"], lw=1.4)
            if endpoint.better == "higher":
                better = finite & (grid >= endpoint.threshold)
            else:
                better = finite & (grid <= endpoint.threshold)
            axes.fill_between(
                grid[better], density[better], color=COLOURS["point"], alpha=0.25, lw=0
            )
            axes.axvline(endpoint.threshold, color=COLOURS["reference"], lw=0.8, ls="--")
            top = float(np.nanmax(density[finite])) if finite.any() else 1.0
            axes.set_ylim(0, top * 1.15)
            axes.set_xlabel(f"{endpoint.name} rate")
            sign = ">" if endpoint.better == "higher" else "<"
            q = row["prob_better"]
            head = f"{endpoint.name} {row['x']}/{n}"
            if q is None or call.cutoff is None:
                axes.set_title(f"{head}: no data yet")
                continue
            which = "borrowed" if borrowed else "P"
            axes.set_title(
                f"{head}: {which}({endpoint.name} {sign} {endpoint.threshold:g}) = {q:.3f}\n"
                f"cut-off {call.cutoff:.3f}"
            )
        panels[0].set_ylabel("posterior density (own data)")
        figure.suptitle(f"Cohort {call.cohort}", fontsize=10.5, fontweight="bold")
    return figure
