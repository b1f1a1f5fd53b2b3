"""One cohort of a time-to-event design at an interim look: the posterior of survival at
the landmark against the performance goal."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from ..designs.survival_monitoring import SurvivalMonitoringDesign
from ..interim.survival_call import SurvivalCohortCall
from ._render import COLOURS, new_figure, style

__all__ = ["survival_figure"]


def survival_figure(design: SurvivalMonitoringDesign, call: SurvivalCohortCall) -> Figure:
    """The exact posterior density of S(landmark) the call carries, the goal (dashed), the
    region above it shaded; the title gives P(S > goal) and the predictive probabilities."""
    goal = design.rule.goal
    with style():
        figure = new_figure(5.2, 3.0)
        axes = figure.subplots()
        if call.density is not None:
            grid, density = call.density
            axes.plot(grid, density, color=COLOURS["point"], lw=1.4)
            above = grid >= goal
            axes.fill_between(grid[above], density[above], color=COLOURS["point"], alpha=0.25, lw=0)
            axes.set_ylim(0, float(np.max(density)) * 1.15 if density.size else 1.0)
        axes.axvline(goal, color=COLOURS["reference"], lw=0.8, ls="--")
        if design.target is not None:
            axes.axvline(design.target, color=COLOURS["reference"], lw=0.8, ls=":")
        axes.set_xlim(0, 1)
        axes.set_xlabel(f"S({design.landmark:g} months)")
        axes.set_ylabel("posterior density")
        pp = f"PP(now) {call.pp_now:.2f}"
        if call.pp_max is not None:
            pp += f", PP(max) {call.pp_max:.2f}"
        axes.set_title(
            f"Cohort {call.cohort}: {call.events} events, {call.exposure_months:.1f} months\n"
            f"P(S > {goal:g}) = {call.prob_better:.3f}; {pp}",
            fontsize=9.5,
        )
    return figure
