"""The prior-sensitivity tornado: type I error and power under each alternative prior."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ._render import COLOURS, new_figure, style

__all__ = ["prior_sensitivity_figure", "tornado_figure"]


def tornado_figure(
    labels: Sequence[str],
    alpha: Sequence[float],
    power: Sequence[float],
    *,
    designed: tuple[float, float],
) -> Figure:
    """Two panels, one bar per alternative prior: its change of P(GO | p0) and of
    P(GO | p1) from the design as planned (``designed``), largest changes on top."""
    alpha_arr, power_arr = np.asarray(alpha, float), np.asarray(power, float)
    change = np.maximum(np.abs(alpha_arr - designed[0]), np.abs(power_arr - designed[1]))
    order = np.argsort(change)  # largest last: drawn on top
    with style():
        figure = new_figure(7.2, 0.35 * len(labels) + 1.4)
        left, right = figure.subplots(1, 2, sharey=True)
        y = np.arange(len(labels))
        for axes, values, base, title, colour in (
            (left, alpha_arr, designed[0], "Type I error P(GO | p0)", COLOURS["futility"]),
            (right, power_arr, designed[1], "Power P(GO | p1)", COLOURS["efficacy"]),
        ):
            axes.barh(y, values[order] - base, left=base, color=colour, height=0.6)
            axes.axvline(base, color=COLOURS["reference"], linewidth=1)
            axes.set_title(f"{title}\n(line: as designed, {base:.3f})")
            axes.set_xlabel("probability")
        left.set_yticks(y, [labels[k] for k in order])
    return figure


def prior_sensitivity_figure(frame: Any) -> Figure:
    """The tornado of a prior-sensitivity frame (its first row is the design as planned):
    ``scenario``, ``p_go_p0`` and ``p_go_p1`` per alternative prior."""
    designed = (float(frame["p_go_p0"].iloc[0]), float(frame["p_go_p1"].iloc[0]))
    return tornado_figure(
        list(frame["scenario"][1:]),
        list(frame["p_go_p0"][1:]),
        list(frame["p_go_p1"][1:]),
        designed=designed,
    )
