"""The data cut-off and what each cohort has at it (internal to :mod:`adaptive_pilot.patients`).

At a cut-off date only what was known by then counts: a patient enrolled
later is not in the analysis; a response assessed later is *pending* (never a
non-response); a toxicity event dated later is not counted. A patient is
*evaluable* for response when their best overall response is known (NE counts
as an evaluated non-response). Toxicity is counted among every patient
enrolled by the cut-off whose toxicity status is known: with a
``toxicity_grade`` column every patient (empty = none), with a ``dlt`` column
those with a yes or no. A toxicity event is a DLT, or a grade at or above the
design's ``min_grade`` when there is no DLT answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import pandas as pd

from .records import RESPONDERS, PatientData

__all__ = [
    "CohortCounts",
    "apply_unconfirmed",
    "cohort_counts",
    "toxicity_status",
    "unconfirmed_responses",
]


@dataclass(frozen=True)
class CohortCounts:
    """One cohort at the cut-off."""

    cohort: str
    enrolled: int
    n_evaluable: int
    responses: int
    pending: int
    n_toxicity: int
    toxicities: int
    excluded_enrolled_later: int
    outcomes_after_cutoff: int
    #: evaluable CR/PR not (yet) confirmed (a ``confirmed`` column saying no or nothing);
    #: counted in ``responses`` and ``n_evaluable`` until :func:`apply_unconfirmed`
    unconfirmed: int = 0
    #: unconfirmed responses moved to pending by :func:`apply_unconfirmed`
    unconfirmed_pending: int = 0

    def to_dict(self) -> dict[str, int | str]:
        return dict(self.__dict__)


def cohort_counts(
    data: PatientData, cohorts: Sequence[str], *, as_of: dt.date, min_grade: int = 3
) -> list[CohortCounts]:
    """Per-cohort counts at the cut-off ``as_of`` (in design order, empty cohorts included)."""
    frame = data.frame
    cutoff = pd.Timestamp(as_of)
    enrolled = frame["enrolled"] <= cutoff
    known = frame["response"].notna() & (frame["response_date"] <= cutoff)
    responder = frame["response"].isin(list(RESPONDERS)).fillna(False).astype(bool)
    unconfirmed = unconfirmed_responses(data)
    tox_known, tox_event = toxicity_status(data, cutoff, min_grade)
    rows = []
    for name in cohorts:
        mine = (frame["cohort"] == name).fillna(False).astype(bool)
        now = mine & enrolled
        evaluable = now & known
        later = now & frame["response"].notna() & ~known
        rows.append(
            CohortCounts(
                cohort=name,
                enrolled=int(now.sum()),
                n_evaluable=int(evaluable.sum()),
                responses=int((evaluable & responder).sum()),
                pending=int((now & ~known).sum()),
                n_toxicity=int((now & tox_known).sum()),
                toxicities=int((now & tox_known & tox_event).sum()),
                excluded_enrolled_later=int((mine & ~enrolled).sum()),
                outcomes_after_cutoff=int(later.sum()),
                unconfirmed=int((evaluable & responder & unconfirmed).sum()),
            )
        )
    return rows


def unconfirmed_responses(data: PatientData) -> pd.Series:
    """Per patient: a CR/PR the ``confirmed`` column does not confirm (all False without it)."""
    frame = data.frame
    if "confirmed" not in data.provided:
        return pd.Series(False, index=frame.index)
    responder = frame["response"].isin(list(RESPONDERS)).fillna(False).astype(bool)
    confirmed = frame["confirmed"].fillna(False).astype(bool)
    return responder & ~confirmed


def apply_unconfirmed(counts: CohortCounts, mode: str) -> CohortCounts:
    """The design's handling of unconfirmed responses (``endpoint.unconfirmed``).

    ``count``: they count as responses (as read). ``pending``: they wait for their
    confirmation, out of the evaluable patients and responses, like a response not yet
    assessed. ``weighted``: they stay evaluable but out of the (confirmed) responses; the
    decision weighs them (:func:`adaptive_pilot.interim.decide.decide_cohort`).
    """
    if mode == "count" or counts.unconfirmed == 0:
        return counts
    if mode == "weighted":
        return replace(counts, responses=counts.responses - counts.unconfirmed)
    if mode != "pending":
        raise ValueError(f"unknown handling of unconfirmed responses: {mode!r}")
    u = counts.unconfirmed
    return replace(
        counts,
        n_evaluable=counts.n_evaluable - u,
        responses=counts.responses - u,
        pending=counts.pending + u,
        unconfirmed_pending=u,
    )


def toxicity_status(
    data: PatientData, cutoff: pd.Timestamp, min_grade: int
) -> tuple[pd.Series, pd.Series]:
    """(toxicity status known, toxicity event by the cut-off) per patient."""
    frame = data.frame
    dated_later = (frame["toxicity_date"] > cutoff).fillna(False).astype(bool)
    has_dlt = frame["dlt"].notna()
    grades_recorded = "toxicity_grade" in data.provided
    known = has_dlt | (~has_dlt & grades_recorded)
    event = (has_dlt & frame["dlt"].fillna(False).astype(bool)) | (
        ~has_dlt & (frame["toxicity_grade"].fillna(0).astype(int) >= min_grade)
    )
    return known.astype(bool), (event & ~dated_later).astype(bool)
