"""A single-arm design monitoring PFS (or OS) against a performance goal, Goldilocks-style.

Patients are enrolled up to ``n_max``. At each interim look (after a number of
patients enrolled, a number of events within the landmark, or a calendar month):

1. stop accrual for **expected success** if the predictive probability that the
   patients enrolled so far, followed to the landmark, give a final GO exceeds the
   look's threshold (``pp_now``); those patients are then followed up and analysed;
2. otherwise stop for **futility** if the look's statistic (the predictive
   probability of a final GO at the maximum, ``pp_max``, or the posterior
   probability) is below its threshold;
3. otherwise continue.

The final analysis, once every enrolled patient has an event, reached the landmark or
was lost, is GO if P(S(landmark) > goal | data) > ``success``. The rule and its
statistics: :class:`~adaptive_pilot.rules.survival.SurvivalGoalRule`. There is no
boundary table: a decision depends on follow-up times, not on a count, so operating
characteristics come from simulation
(:func:`~adaptive_pilot.simulation.survival_monitoring.simulate_survival_monitoring`).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..provenance import Provenance
from ..results import ResultMixin, Summary, Table, records
from ..rules.survival import SurvivalGoalRule

__all__ = [
    "CONTINUE",
    "EXPECTED_SUCCESS",
    "FUTILITY",
    "LOOK_KINDS",
    "SurvivalDesignDescription",
    "SurvivalMonitoringDesign",
]

#: What an interim look counts: patients enrolled, events within the landmark, months.
LOOK_KINDS = {
    "enrolled": "patients enrolled",
    "events": "events within the landmark",
    "months": "months from the first enrolment",
}
#: Interim decisions (codes shared by the simulator and the interim call).
CONTINUE, FUTILITY, EXPECTED_SUCCESS = 0, 1, 2
DECISIONS = {
    CONTINUE: "continue enrolment",
    FUTILITY: "stop for futility (NO-GO)",
    EXPECTED_SUCCESS: "stop enrolment for expected success; follow up and analyse",
}


@dataclass(frozen=True)
class SurvivalMonitoringDesign:
    """One cohort's design: the rule, the maximum sample size and the interim looks.

    Parameters
    ----------
    rule : SurvivalGoalRule
        Model, goal, prior, thresholds.
    n_max : int
        Maximum number of patients.
    look_kind : str
        One of :data:`LOOK_KINDS`.
    looks : tuple of float
        Where the interim looks fall (increasing; one per rule threshold).
    endpoint : {"pfs", "os"}
        The patient file's columns the interim call reads.
    target : float, optional
        S(landmark) under the alternative, for the protocol text.
    """

    rule: SurvivalGoalRule
    n_max: int
    look_kind: str = "enrolled"
    looks: tuple[float, ...] = ()
    endpoint: str = "pfs"
    target: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.n_max, bool) or not 2 <= int(self.n_max) <= 10_000:
            raise InputError("n_max", f"must be an integer from 2 to 10000 (got {self.n_max})")
        if self.look_kind not in LOOK_KINDS:
            raise InputError("looks.by", "must be one of " + ", ".join(LOOK_KINDS))
        looks = tuple(float(x) for x in self.looks)
        if len(looks) != self.rule.interim_looks:
            raise InputError("looks.at", "needs one interim look per threshold")
        if any(not (math.isfinite(x) and x > 0) for x in looks) or any(
            b <= a for a, b in itertools.pairwise(looks)
        ):
            raise InputError("looks.at", "must be increasing positive numbers")
        if self.look_kind != "months" and any(x != int(x) for x in looks):
            raise InputError("looks.at", f"counts {LOOK_KINDS[self.look_kind]}: whole numbers")
        if self.look_kind == "enrolled" and looks and looks[-1] >= self.n_max:
            raise InputError("looks.at", f"interim looks must come before n_max = {self.n_max}")
        if self.look_kind == "events" and looks and looks[-1] > self.n_max:
            raise InputError("looks.at", f"at most n_max = {self.n_max} events")
        if self.endpoint not in ("pfs", "os"):
            raise InputError("endpoint", "must be 'pfs' or 'os'")
        if self.target is not None and not (0 < self.target < 1):
            raise InputError("target", "must be a survival probability in (0, 1)")
        object.__setattr__(self, "looks", looks)
        object.__setattr__(self, "n_max", int(self.n_max))

    @property
    def landmark(self) -> float:
        """H (months)."""
        return self.rule.model.landmark

    def interim_decision(
        self, k: int, prob: np.ndarray, pp_now: np.ndarray, pp_max: np.ndarray
    ) -> np.ndarray:
        """Decision codes at interim look k (arrays of one shape; NaN statistics never fire)."""
        rule = self.rule
        code = np.full(np.shape(prob), CONTINUE, dtype=np.int64)
        futile_stat = pp_max if rule.futility_on == "predictive" else prob
        with np.errstate(invalid="ignore"):
            futile = np.asarray(futile_stat) < rule.futility[k]
            success = np.asarray(pp_now) > rule.expected_success[k]
        code[futile] = FUTILITY
        code[success] = EXPECTED_SUCCESS  # expected success is checked first
        return code

    def needs_predictive(self, k: int) -> tuple[bool, bool]:
        """(pp_now needed, pp_max needed) at interim look k."""
        rule = self.rule
        now = not math.isnan(rule.expected_success[k])
        full = rule.futility_on == "predictive" and not math.isnan(rule.futility[k])
        return now, full

    def final_go(self, prob: np.ndarray) -> np.ndarray:
        """GO at the final analysis."""
        return np.asarray(prob) > self.rule.success

    def looks_in_words(self) -> str:
        """'after 20 and 30 patients enrolled' and the like."""
        if not self.looks:
            return "no interim look"
        at = ", ".join(f"{x:g}" for x in self.looks)
        return f"interim looks at {at} {LOOK_KINDS[self.look_kind]}"

    def describe(self) -> str:
        """The design in two sentences, for summaries and the protocol."""
        rule = self.rule
        name = "PFS" if self.endpoint == "pfs" else "OS"
        parts = []
        for k in range(rule.interim_looks):
            bits = []
            if not math.isnan(rule.expected_success[k]):
                bits.append(f"stop enrolment if PP(now) > {rule.expected_success[k]:g}")
            if not math.isnan(rule.futility[k]):
                stat = "PP(max)" if rule.futility_on == "predictive" else "P(better)"
                bits.append(f"futility if {stat} < {rule.futility[k]:g}")
            parts.append(f"look {k + 1} ({self.looks[k]:g}): " + ", ".join(bits or ["none"]))
        return (
            f"{name} monitored against a goal of S({self.landmark:g}) = {rule.goal:g}, "
            f"up to {self.n_max} patients; {rule.describe()}. "
            + ("; ".join(parts) + "." if parts else "No interim look.")
        )

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description."""
        rule = self.rule

        def nan_none(values: tuple[float, ...]) -> list[float | None]:
            return [None if math.isnan(v) else v for v in values]

        return {
            "endpoint": self.endpoint,
            "landmark_months": self.landmark,
            "breaks": list(rule.model.breaks),
            "goal": rule.goal,
            "target": self.target,
            "prior": rule.prior.to_dict(),
            "success": rule.success,
            "n_max": self.n_max,
            "looks": {"by": self.look_kind, "at": list(self.looks)},
            "futility": {"statistic": rule.futility_on, "below": nan_none(rule.futility)},
            "expected_success": {"above": nan_none(rule.expected_success)},
            "imputations": rule.imputations,
        }


@dataclass(frozen=True)
class SurvivalDesignDescription(ResultMixin):
    """A time-to-event design file described: each cohort's rule and interim looks.

    Its operating characteristics come from simulation (``adaptive-pilot simulate``).
    """

    cohorts: tuple[tuple[str, SurvivalMonitoringDesign], ...]
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """One row per cohort and interim look: where it falls and its thresholds."""
        rows = []
        for name, design in self.cohorts:
            rule = design.rule
            for k, at in enumerate(design.looks):
                rows.append(
                    {
                        "cohort": name,
                        "look": k + 1,
                        "look_at": at,
                        "expected_success_above": _none(rule.expected_success[k]),
                        "futility_below": _none(rule.futility[k]),
                    }
                )
            rows.append(
                {"cohort": name, "look": len(design.looks) + 1, "look_at": None,
                 "expected_success_above": None, "futility_below": None}
            )  # fmt: skip
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: each cohort's design, the looks, provenance."""
        return {
            "designs": [{"cohort": name, **d.to_dict()} for name, d in self.cohorts],
            "looks": records(self.to_frame()),
            "provenance": self.provenance.to_dict(),
        }

    def summary(self) -> Summary:
        """The rule in words and the look table."""
        first = self.cohorts[0][1]
        sizes = ", ".join(f"{name} N = {d.n_max}" for name, d in self.cohorts)
        frame = self.to_frame()
        kind = LOOK_KINDS[first.look_kind]
        return Summary(
            f"Time-to-event design: {first.endpoint.upper()} against a performance goal",
            header=(
                first.describe(),
                f"Cohorts: {sizes}.",
                "Borrowing between cohorts: "
                + str(self.provenance.details.get("borrowing", "none (each on its own data)")),
            ),
            tables=(
                Table(
                    frame,
                    title=f"Interim looks ({kind}; the last row is the final analysis)",
                    labels={"look_at": f"at ({kind})"},
                ),
            ),
            notes=(
                "Final analysis: once every enrolled patient has had an event, reached the "
                f"landmark ({first.landmark:g} months) or was lost; GO if P(S(landmark) > goal "
                f"| data) > {first.rule.success:g} (exact, the piecewise-exponential model's "
                "Gamma posterior).",
                "PP(now) and PP(max) are Goldilocks predictive probabilities (Broglio, Connor & "
                "Berry 2014), by imputation; there is no boundary table, so operating "
                "characteristics come from simulation: adaptive-pilot simulate FILE.",
            ),
            provenance=self.provenance,
        )


def _none(value: float) -> float | None:
    return None if math.isnan(value) else value
