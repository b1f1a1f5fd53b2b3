"""Each patient's outcome category at the data cut-off, for designs on several endpoints.

A design on several endpoints of one outcome defines its categories from what the
patient file records: the best overall response (RECIST 1.1) and, when toxicity is
part of the outcome, whether the patient had a toxicity event (a DLT, or a grade at or
above the design's ``min_grade``; see :mod:`adaptive_pilot.patients.counts`).

At the cut-off a patient is *classified* when their best response is known by then and,
if any category depends on toxicity, their toxicity status is known. A patient whose
response is not yet known is *pending*; one with a known response but an unknown
toxicity status (an empty DLT answer) is *pending* too, never put in a category by
guess. Toxicity events dated after the cut-off do not count.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from ..errors import InputError
from .counts import toxicity_status, unconfirmed_responses
from .records import RESPONSE_CODES, PatientData

__all__ = ["CategoryCounts", "CategoryDefinition", "category_counts", "check_partition"]


@dataclass(frozen=True)
class CategoryDefinition:
    """Which patients fall in a category: best responses, and toxicity (None: either)."""

    responses: frozenset[str]
    toxicity: bool | None = None

    def describe(self) -> str:
        """In words, e.g. ``CR or PR, with a toxicity``."""
        codes = " or ".join(c for c in RESPONSE_CODES if c in self.responses)
        if self.toxicity is None:
            return codes
        return f"{codes}, {'with' if self.toxicity else 'without'} a toxicity"


def check_partition(definitions: Mapping[str, CategoryDefinition], field: str) -> None:
    """Every (best response, toxicity) falls in exactly one category, or one line says not."""
    for code in definitions.values():
        unknown = sorted(code.responses - set(RESPONSE_CODES))
        if unknown:
            raise InputError(
                field,
                f"{unknown[0]!r} is not a RECIST 1.1 best response ({', '.join(RESPONSE_CODES)})",
            )
    for response in RESPONSE_CODES:
        for toxicity in (True, False):
            hits = [
                name
                for name, d in definitions.items()
                if response in d.responses and d.toxicity in (None, toxicity)
            ]
            who = f"a patient with best response {response} {'and' if toxicity else 'without'}"
            who += " a toxicity"
            if not hits:
                raise InputError(field, f"{who} falls in no category; every patient needs one")
            if len(hits) > 1:
                raise InputError(
                    field,
                    f"{who} falls in two categories ({hits[0]}, {hits[1]}); make them exclusive",
                )


@dataclass(frozen=True)
class CategoryCounts:
    """One cohort at the cut-off: enrolled, classified per category, pending."""

    cohort: str
    enrolled: int
    counts: dict[str, int]
    pending: int
    toxicity_unknown: int
    excluded_enrolled_later: int
    outcomes_after_cutoff: int
    #: CR/PR not (yet) confirmed among the patients with a known outcome
    unconfirmed: int = 0
    #: of them, those kept pending (``unconfirmed="pending"``)
    unconfirmed_pending: int = 0
    #: ``unconfirmed="weighted"``: (category if confirmed, category if not) -> patients;
    #: ``counts`` then holds them in the second (their best response taken as SD)
    unconfirmed_moves: dict[tuple[str, str], int] | None = None

    @property
    def n_evaluable(self) -> int:
        """Patients classified in a category."""
        return sum(self.counts.values())


def category_counts(
    data: PatientData,
    cohorts: Sequence[str],
    definitions: Mapping[str, CategoryDefinition],
    *,
    as_of: dt.date,
    min_grade: int = 3,
    unconfirmed: str = "pending",
) -> list[CategoryCounts]:
    """Per-cohort category counts at the cut-off ``as_of`` (design order, empty cohorts too).

    ``unconfirmed``: ``pending`` keeps a CR/PR that the ``confirmed`` column does not
    confirm out of the categories (pending); ``count`` classifies it as it stands;
    ``weighted`` classifies it as if not confirmed (best response SD, RECIST 1.1's best
    response when a response is not confirmed) and records, in ``unconfirmed_moves``,
    the category it moves to if confirmed.
    """
    frame = data.frame
    cutoff = pd.Timestamp(as_of)
    enrolled = frame["enrolled"] <= cutoff
    known = frame["response"].notna() & (frame["response_date"] <= cutoff)
    uses_toxicity = any(d.toxicity is not None for d in definitions.values())
    tox_known, tox_event = toxicity_status(data, cutoff, min_grade)
    if not uses_toxicity:
        tox_known = pd.Series(True, index=frame.index)
    response = frame["response"].fillna("")
    waiting = unconfirmed_responses(data)
    rows = []
    for name in cohorts:
        mine = (frame["cohort"] == name).fillna(False).astype(bool)
        now = mine & enrolled
        classified = now & known & tox_known
        unconfirmed_here = int((classified & waiting).sum())
        if unconfirmed == "pending":
            classified &= ~waiting
        counts = {}
        moves: dict[tuple[str, str], int] | None = None
        as_recorded = response
        if unconfirmed == "weighted":
            as_recorded = response.where(~(classified & waiting), "SD")
            moves = {}
            for category, d in definitions.items():
                member = classified & waiting & _member(d, response, tox_event)
                for fallback, f in definitions.items():
                    moved = int((member & _member(f, as_recorded, tox_event)).sum())
                    if moved:
                        moves[(category, fallback)] = moved
        for category, d in definitions.items():
            member = classified & _member(d, as_recorded, tox_event)
            counts[category] = int(member.sum())
        rows.append(
            CategoryCounts(
                cohort=name,
                enrolled=int(now.sum()),
                counts=counts,
                pending=int((now & ~classified).sum()),
                toxicity_unknown=int((now & known & ~tox_known).sum()),
                excluded_enrolled_later=int((mine & ~enrolled).sum()),
                outcomes_after_cutoff=int((now & frame["response"].notna() & ~known).sum()),
                unconfirmed=unconfirmed_here,
                unconfirmed_pending=unconfirmed_here if unconfirmed == "pending" else 0,
                unconfirmed_moves=moves,
            )
        )
    return rows


def _member(d: CategoryDefinition, response: pd.Series, tox_event: pd.Series) -> pd.Series:
    """Patients whose (best response, toxicity) falls in the category."""
    member = response.isin(list(d.responses))
    if d.toxicity is not None:
        member &= tox_event if d.toxicity else ~tox_event
    return member
