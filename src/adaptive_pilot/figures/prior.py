"""The forest plot of a MAP prior: each historical study, its shrinkage, and the prior."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from scipy import special

from ._render import COLOURS, new_figure, style

__all__ = ["forest_figure"]


def forest_figure(studies: pd.DataFrame, predictive: dict[str, float]) -> Figure:
    """Observed rates with exact 95 % intervals (Clopper-Pearson), the shrinkage estimates
    with their 95 % credible intervals, and the MAP prior's 95 % interval at the bottom.

    ``studies``: :meth:`MapPrior.to_frame` (``study``, ``n``, ``x``, ``rate``,
    ``posterior_mean``, ``credible_low``, ``credible_high``); ``predictive``: the MAP
    prior's ``mean``, ``q025`` and ``q975``.
    """
    n = studies["n"].to_numpy(float)
    x = studies["x"].to_numpy(float)
    low = np.where(x > 0, special.betaincinv(np.maximum(x, 1e-12), n - x + 1, 0.025), 0.0)
    high = np.where(x < n, special.betaincinv(x + 1, np.maximum(n - x, 1e-12), 0.975), 1.0)
    rows = len(studies)
    with style():
        figure = new_figure(6.4, 0.42 * (rows + 1) + 1.5)
        axes = figure.subplots()
        y = np.arange(rows, 0, -1, dtype=float)
        rate = studies["rate"].to_numpy(float)
        axes.errorbar(rate, y + 0.12, xerr=[rate - low, high - rate], fmt="o",
                      color=COLOURS["reference"], markersize=4, capsize=2,
                      label="observed, exact 95% interval")  # fmt: skip
        mean = studies["posterior_mean"].to_numpy(float)
        axes.errorbar(mean, y - 0.12,
                      xerr=[mean - studies["credible_low"], studies["credible_high"] - mean],
                      fmt="s", color=COLOURS["point"], markersize=4, capsize=2,
                      label="shrinkage estimate, 95% credible interval")  # fmt: skip
        centre = predictive["mean"]
        axes.errorbar([centre], [0.0],
                      xerr=[[centre - predictive["q025"]], [predictive["q975"] - centre]],
                      fmt="D", color=COLOURS["efficacy"], markersize=6, capsize=3,
                      label="MAP prior (new study), 95% interval")  # fmt: skip
        axes.set_yticks([*y, 0.0], [*studies["study"], "MAP prior"])
        axes.set_xlabel("response rate")
        axes.set_xlim(0, min(1.0, float(max(high.max(), predictive["q975"])) * 1.1 + 0.02))
        handles, labels = axes.get_legend_handles_labels()
        figure.legend(handles, labels, frameon=False, fontsize=7.5, loc="outside lower center",
                      ncols=2)  # fmt: skip
    return figure
