"""A design's operating characteristics as figures: P(GO) and E[N] curves, stops by look, N."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from ._render import COLOURS, new_figure, style

__all__ = ["OCCurve", "oc_figure", "sample_size_figure", "stopping_figure"]

_LINES = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
_STYLES = ("-", "--", "-.", ":")


@dataclass(frozen=True)
class OCCurve:
    """One design's exact OC over a grid of true rates, for :func:`oc_figure`."""

    label: str
    p: np.ndarray
    p_go: np.ndarray
    en: np.ndarray


def oc_figure(curves: Sequence[OCCurve], *, p0: float, p1: float) -> Figure:
    """P(GO) and E[N] against the true response rate; several designs overlaid."""
    with style():
        figure = new_figure(7.2, 3.0)
        go, size = figure.subplots(1, 2)
        for k, curve in enumerate(curves):
            colour, line = _LINES[k % len(_LINES)], _STYLES[k % len(_STYLES)]
            go.plot(curve.p, curve.p_go, line, color=colour, lw=1.5, label=curve.label)
            size.plot(curve.p, curve.en, line, color=colour, lw=1.5, label=curve.label)
        for axes in (go, size):
            for value, name in ((p0, "p0"), (p1, "p1")):
                axes.axvline(value, color=COLOURS["reference"], lw=0.7, ls=":")
                axes.annotate(
                    name, (value, 1.0), xycoords=("data", "axes fraction"), xytext=(2, -10),
                    textcoords="offset points", fontsize=7.5,
                )  # fmt: skip
            axes.set_xlabel("true response rate p")
            axes.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        go.set_ylabel("P(GO)")
        go.set_ylim(-0.02, 1.02)
        size.set_ylabel("expected sample size E[N] (patients)")
        size.set_ylim(bottom=0)
        go.set_title("Probability of a GO decision")
        size.set_title("Expected number of patients")
        if len(curves) > 1:
            go.legend(frameon=False, fontsize=7.5, loc="lower right")
    return figure


def stopping_figure(
    looks: Sequence[int],
    futility: Sequence[np.ndarray],
    efficacy: Sequence[np.ndarray],
    labels: Sequence[str],
) -> Figure:
    """Probability of stopping at each look, for futility (NO-GO) and efficacy (GO).

    One panel per true rate: ``futility[i]`` and ``efficacy[i]`` are the
    per-look probabilities under ``labels[i]``.
    """
    with style():
        figure = new_figure(7.2, 2.8)
        panels = figure.subplots(1, len(labels), sharey=True, squeeze=False)[0]
        x = np.arange(len(looks))
        for axes, low, high, label in zip(panels, futility, efficacy, labels, strict=True):
            axes.bar(x - 0.2, low, 0.4, color=COLOURS["futility"], label="futility / NO-GO")
            axes.bar(x + 0.2, high, 0.4, color=COLOURS["efficacy"], label="efficacy / GO")
            axes.set_xticks(x, [f"{n}" + (" (final)" if k == len(looks) - 1 else "")
                                for k, n in enumerate(looks)])  # fmt: skip
            axes.set_xlabel("look (evaluable patients)")
            axes.set_title(label)
        panels[0].set_ylabel("probability")
        panels[0].set_ylim(0, 1)
        panels[0].legend(frameon=False, fontsize=7.5, loc="upper left")
    return figure


def sample_size_figure(
    looks: Sequence[int], distributions: Sequence[np.ndarray], labels: Sequence[str]
) -> Figure:
    """Distribution of the number of patients (the look at which the trial ends)."""
    with style():
        figure = new_figure(4.8, 2.8)
        axes = figure.add_subplot()
        x = np.arange(len(looks))
        width = 0.8 / max(len(labels), 1)
        for k, (dist, label) in enumerate(zip(distributions, labels, strict=True)):
            offset = (k - (len(labels) - 1) / 2) * width
            axes.bar(x + offset, dist, width, color=_LINES[k % len(_LINES)], label=label)
        axes.set_xticks(x, [str(n) for n in looks])
        axes.set_xlabel("patients when the trial ends (N)")
        axes.set_ylabel("probability")
        axes.set_ylim(0, 1)
        axes.legend(frameon=False, fontsize=7.5)
    return figure
