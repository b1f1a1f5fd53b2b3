"""Kaplan-Meier summaries of PFS and OS at an interim call (secondary endpoints).

For each cohort and endpoint with data (``pfs_months``/``pfs_event``,
``os_months``/``os_event``, or an ADaM ADTTE), among the patients enrolled by
the cut-off with a time recorded: the number of patients and events, the
Kaplan-Meier median (months; None while the curve stays above 1/2) and the
Kaplan-Meier survival at the landmark with its Greenwood standard error. The
times are those in the data export; these are descriptive and decide nothing.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..kaplan_meier import kaplan_meier
from ..patients.records import PatientData

__all__ = ["LANDMARK_MONTHS", "survival_summary"]

#: Months at which survival is reported.
LANDMARK_MONTHS = 6.0
ENDPOINTS = {"pfs": "PFS", "os": "OS"}


def survival_summary(
    data: PatientData, cohorts: Sequence[str], *, as_of: dt.date, landmark: float = LANDMARK_MONTHS
) -> pd.DataFrame:
    """One row per cohort and endpoint with data (empty frame when there is none).

    Columns: cohort, endpoint, n, events, median_months, landmark_months,
    s_landmark, s_landmark_se.
    """
    frame = data.frame
    rows = []
    enrolled = frame["enrolled"] <= pd.Timestamp(as_of)
    for key, name in ENDPOINTS.items():
        time_col, event_col = f"{key}_months", f"{key}_event"
        if time_col not in frame.columns or frame[time_col].notna().sum() == 0:
            continue
        for cohort in cohorts:
            mine = (frame["cohort"] == cohort).fillna(False).astype(bool) & enrolled
            times = frame.loc[mine, time_col].astype(float).to_numpy()
            events = frame.loc[mine, event_col].fillna(False).astype(bool).to_numpy()
            keep = np.isfinite(times)
            times, events = times[keep], events[keep]
            if times.size == 0:
                continue
            median, s_at, n_events = kaplan_meier(times[None, :], events[None, :], landmark)
            rows.append(
                {
                    "cohort": cohort,
                    "endpoint": name,
                    "n": int(times.size),
                    "events": int(n_events[0]),
                    "median_months": None if math.isnan(median[0]) else float(median[0]),
                    "landmark_months": landmark,
                    "s_landmark": float(s_at[0]),
                    "s_landmark_se": _greenwood(times, events, landmark, float(s_at[0])),
                }
            )
    columns = ["cohort", "endpoint", "n", "events", "median_months", "landmark_months",
               "s_landmark", "s_landmark_se"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def _greenwood(times: np.ndarray, events: np.ndarray, at: float, s_at: float) -> float:
    """Greenwood standard error of the Kaplan-Meier S(at)."""
    total = 0.0
    for t in np.unique(times[events & (times <= at)]):
        at_risk = int(np.sum(times >= t))
        d = int(np.sum(events & (times == t)))
        if at_risk > d:
            total += d / (at_risk * (at_risk - d))
        else:
            return 0.0  # the curve reached 0
    return s_at * math.sqrt(total)
