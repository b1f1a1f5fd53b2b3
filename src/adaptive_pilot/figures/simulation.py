"""One simulated scenario as a figure: how each cohort ends, and how many patients it takes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ._render import COLOURS, new_figure, style

__all__ = ["OUTCOME_COLOURS", "scenario_figure"]

#: How a cohort can end, in drawing order, with its colour (Okabe-Ito).
OUTCOME_COLOURS = {
    "GO at the final look": COLOURS["efficacy"],
    "early efficacy (GO)": "#56B4E9",
    "GO at the n reached (enrolment closed)": "#F0E442",
    "CONSIDER at the final look": "#0072B2",
    "NO-GO at the final look": COLOURS["no_go"],
    "early futility (NO-GO)": COLOURS["futility"],
    "toxicity stop": "#CC79A7",
    "NO-GO at the n reached (enrolment closed)": "#999999",
}


def scenario_figure(
    title: str,
    cohorts: Sequence[str],
    outcomes: Mapping[str, Sequence[float]],
    expected_n: Sequence[float],
    n_range: Sequence[tuple[float, float]],
    n_max: Sequence[int],
    *,
    exact: bool = False,
) -> Figure:
    """Stacked shares of each cohort's ending and its expected number of patients.

    Parameters
    ----------
    title : str
        The scenario (shown above the panels).
    cohorts : sequence of str
        Row labels, one per cohort (e.g. "G12D (p = 20 %)").
    outcomes : mapping
        Ending (a key of :data:`OUTCOME_COLOURS`) -> probability per cohort; endings
        absent or always zero are left out of the legend.
    expected_n : sequence of float
        Expected number of patients enrolled per cohort.
    n_range : sequence of (float, float)
        10th and 90th percentiles of the number enrolled per cohort (whiskers).
    n_max : sequence of int
        Each cohort's maximum sample size (a tick on its row).
    exact : bool
        The rows are scenarios of exact operating characteristics (probabilities, not
        shares of simulated trials).
    """
    rows = len(cohorts)
    with style():
        figure = new_figure(7.2, 1.9 + 0.4 * rows)
        ends, size = figure.subplots(1, 2, sharey=True, width_ratios=(1.6, 1))
        y = np.arange(rows)[::-1]
        left = np.zeros(rows)
        for name, colour in OUTCOME_COLOURS.items():
            share = np.asarray(outcomes.get(name, np.zeros(rows)), dtype=float)
            if not share.any():
                continue
            ends.barh(y, share, 0.62, left=left, color=colour, label=name, lw=0)
            left += share
        ends.set_yticks(y, list(cohorts))
        ends.set_xlim(0, 1)
        ends.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ends.set_xlabel("probability (exact)" if exact else "share of simulated trials")
        ends.set_title("How the trial ends" if exact else "How each cohort ends")
        low = np.array([lo for lo, _ in n_range])
        high = np.array([hi for _, hi in n_range])
        mean = np.asarray(expected_n, dtype=float)
        size.barh(y, mean, 0.62, color=COLOURS["point"], lw=0, label="expected (E[N])")
        size.errorbar(
            mean, y, xerr=[np.maximum(mean - low, 0), np.maximum(high - mean, 0)], fmt="none",
            ecolor="#000000", elinewidth=0.8, capsize=2.5, label="10th-90th percentile",
        )  # fmt: skip
        size.scatter(n_max, y, marker="|", s=120, color=COLOURS["reference"], label="maximum N")
        size.set_xlim(0, max(n_max) * 1.08)
        size.set_xlabel("patients enrolled")
        size.set_title("Patients enrolled")
        handles, labels = ends.get_legend_handles_labels()
        more, more_labels = size.get_legend_handles_labels()
        figure.legend(
            handles + more, labels + more_labels, loc="outside lower center", ncol=3,
            frameon=False, fontsize=7.5,
        )  # fmt: skip
        figure.suptitle(title, fontsize=9.5, fontweight="bold")
    return figure
