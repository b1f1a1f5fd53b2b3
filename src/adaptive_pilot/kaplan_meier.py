"""Kaplan-Meier estimates, vectorised over datasets.

One function, shared by the simulator (thousands of simulated cohorts at once)
and the interim call (the DSMB's descriptive PFS and OS): the lowest place both
reach.
"""

from __future__ import annotations

import numpy as np

__all__ = ["kaplan_meier"]


def kaplan_meier(
    time: np.ndarray, event: np.ndarray, at: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Kaplan-Meier median and S(at) for each row of (time, event), vectorised.

    Rows are datasets (patients along the last axis; NaN time: no patient).
    Returns (median, survival at ``at``, number of events); the median is NaN
    where the curve does not reach 1/2. Ties: events before censorings, and tied
    events give (1 - d/n) as the sequential product does.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool) & np.isfinite(time)
    key = np.where(np.isfinite(time), time, np.inf)
    order = np.lexsort((~event, key), axis=-1)  # by time, events first on ties
    t = np.take_along_axis(key, order, axis=-1)
    d = np.take_along_axis(event, order, axis=-1)
    present = np.isfinite(t)
    n = present.sum(axis=-1, keepdims=True)
    at_risk = n - np.arange(t.shape[-1])
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(d & present, 1.0 - 1.0 / at_risk, 1.0)
    curve = np.cumprod(factor, axis=-1)
    below = curve <= 0.5 + 1e-12  # S exactly 1/2 up to rounding of the product
    reached = below.any(axis=-1)
    first = np.argmax(below, axis=-1)
    median = np.where(reached, np.take_along_axis(t, first[..., None], axis=-1)[..., 0], np.nan)
    upto = np.sum(present & (t <= at), axis=-1)
    s_at = np.where(
        upto > 0,
        np.take_along_axis(curve, np.maximum(upto - 1, 0)[..., None], axis=-1)[..., 0],
        1.0,
    )
    s_at = np.where(n[..., 0] > 0, s_at, np.nan)
    return median, s_at, d.sum(axis=-1)
