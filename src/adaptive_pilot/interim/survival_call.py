"""The interim call of a design monitoring PFS (or OS) against a performance goal.

Per cohort, from the patient file's ``pfs_months`` / ``pfs_event`` (``os_*`` for OS;
or the ADaM ADTTE) of the patients enrolled by the cut-off:

* follow-up is cut at the data cut-off: a patient enrolled d days before it has been
  followed at most d / 30.4375 months, and an event recorded later is not yet seen;
  times beyond the landmark are censored there;
* a patient enrolled without a time recorded counts with no follow-up yet;
* a patient censored before the landmark is taken to be still in follow-up, and is
  imputed by the predictive probabilities (censoring non-informative, as Goldilocks
  assumes);
* the events and months of exposure per hazard piece give the exact posterior of
  S(landmark): P(S > goal | data), its mean and a 95 % credible interval
  (:class:`~adaptive_pilot.rules.survival.SurvivalGoalRule`);
* PP(now) and PP(max) by imputation, seeded, with their Monte Carlo error.

The decision is the design's (the same function as the simulator's,
:meth:`~adaptive_pilot.designs.survival_monitoring.SurvivalMonitoringDesign.interim_decision`):

* enrolment complete and every patient followed to an event, the landmark or loss: the
  final analysis, GO if P(S > goal | data) > the success threshold;
* enrolment complete with patients still in follow-up: follow up (PP(now) says how
  likely the final GO is);
* otherwise at the last planned look reached (patients enrolled, events or months): that
  look's thresholds, flagged when the count differs from the planned one; before the
  first look, continue.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..cohorts.survival_borrowing import BorrowedCohort, SurvivalModelAveraging
from ..designs.survival_monitoring import (
    CONTINUE,
    EXPECTED_SUCCESS,
    FUTILITY,
    LOOK_KINDS,
    SurvivalMonitoringDesign,
)
from ..patients.records import PatientData, SourceFile
from ..results import ResultMixin, Summary, Table, records
from .call import call_provenance
from .decide import DECISION_LABELS
from .result import DesignCall

__all__ = ["SurvivalCohortCall", "SurvivalInterimResult", "survival_interim"]

#: Days per month (365.25 / 12), to turn days of follow-up into months.
DAYS_PER_MONTH = 30.4375
#: Imputations' seed when the call is not given one (recorded in the provenance).
DEFAULT_SEED = 20261207
_DECISION_OF = {CONTINUE: "continue", FUTILITY: "stop_futility", EXPECTED_SUCCESS: "stop_enrolment"}


@dataclass(frozen=True)
class SurvivalCohortCall:
    """A cohort's call on a time-to-event endpoint, with the numbers behind it."""

    cohort: str
    enrolled: int
    events: int
    exposure_months: float
    in_follow_up: int
    prob_better: float
    s_landmark_mean: float
    credible_low: float
    credible_high: float
    pp_now: float
    pp_now_mcse: float
    pp_max: float | None
    pp_max_mcse: float | None
    look: int | None
    look_count: float
    planned_look: bool
    final: bool
    decision: str
    reason: str
    #: with borrowing: P(the cohort shares its hazards with another | data)
    p_pooled: float | None = None
    #: the posterior density of S(landmark) on a grid (for the figure; not in the JSON)
    density: tuple[np.ndarray, np.ndarray] | None = dataclasses.field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready cohort row (glossary keys)."""
        return {
            "cohort": self.cohort,
            "decision": self.decision,
            "reason": self.reason,
            "enrolled": self.enrolled,
            "events": self.events,
            "exposure_months": self.exposure_months,
            "in_follow_up": self.in_follow_up,
            "prob_better": self.prob_better,
            "s_landmark_mean": self.s_landmark_mean,
            "credible_low": self.credible_low,
            "credible_high": self.credible_high,
            "pp_now": self.pp_now,
            "pp_now_mcse": self.pp_now_mcse,
            "pp_max": self.pp_max,
            "pp_max_mcse": self.pp_max_mcse,
            "look": self.look,
            "look_at": self.look_count,
            "planned_look": self.planned_look,
            "final": self.final,
            "p_pooled": self.p_pooled,
        }


@dataclass(frozen=True)
class SurvivalInterimResult(DesignCall, ResultMixin):
    """Decisions per cohort at a data cut-off for a time-to-event design.

    The fields of :class:`~adaptive_pilot.interim.result.DesignCall`: ``calls`` holds a
    :class:`SurvivalCohortCall` per cohort and ``designs`` each cohort's
    :class:`~adaptive_pilot.designs.survival_monitoring.SurvivalMonitoringDesign`.
    """

    def to_frame(self) -> pd.DataFrame:
        """One row per cohort."""
        return pd.DataFrame([c.to_dict() for c in self.calls])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``cohorts``, ``notes``, ``provenance`` (and ``audit``)."""
        return self._payload(records(self.to_frame()))

    def summary(self) -> Summary:
        """Decision per cohort, then the posterior and predictive probabilities."""
        design = self.designs[0]
        landmark = design.landmark
        frame = self.to_frame()
        decisions = frame[["cohort", "enrolled", "events", "in_follow_up", "decision"]].copy()
        decisions["decision"] = [DECISION_LABELS.get(d, d) for d in decisions["decision"]]
        numbers = frame[
            ["cohort", "events", "exposure_months", "s_landmark_mean", "credible_low",
             "credible_high", "prob_better", "pp_now", "pp_now_mcse", "pp_max", "pp_max_mcse"]
        ]  # fmt: skip
        if frame["p_pooled"].notna().any():
            numbers = numbers.assign(p_pooled=frame["p_pooled"])
        details = self.provenance.details
        header = [
            f"Design: {self.title or self.name} (design {self.provenance.design_hash})",
            f"Data cut-off: {self.as_of.isoformat()}; analyst: {self.analyst or 'not given'}",
            "Analysis: "
            + (
                f"{details['borrowing']}; each cohort's posterior uses every cohort's data. "
                if details.get("borrowing")
                else "each cohort on its own data; "
            )
            + design.describe(),
            "Data: "
            + "; ".join(f"{s['file']} (SHA-256 {s['sha256'][:16]})" for s in details["inputs"]),
            f"Predictive probabilities: {details['imputations']} imputations, seed "
            f"{self.provenance.seed}; the posterior figures are exact",
        ]
        if self.audit is not None:
            header.append(f"Audit record {self.audit['id']} (hash {self.audit['hash'][:16]})")
        notes = [f"{c.cohort}: {DECISION_LABELS[c.decision]}. {c.reason}." for c in self.calls]
        return Summary(
            f"Interim analysis ({design.endpoint.upper()} against a goal of "
            f"S({landmark:g}) = {design.rule.goal:g})",
            header=tuple(header),
            tables=(
                Table(decisions, title="Decision per cohort", formats={"events": "d"}),
                Table(
                    numbers,
                    title=f"Posterior of S({landmark:g} months) and predictive probabilities",
                    formats={"events": "d", "credible_low": ".3f", "credible_high": ".3f"},
                    labels={
                        "credible_low": "95% CrI from",
                        "credible_high": "95% CrI to",
                        "p_pooled": "P(pooled)",
                    },
                    errors={"pp_now": "pp_now_mcse", "pp_max": "pp_max_mcse"},
                ),
            ),
            notes=(*notes, *self.notes),
            provenance=self.provenance,
        )


def survival_interim(
    cohorts: Sequence[tuple[str, SurvivalMonitoringDesign]],
    data: PatientData,
    *,
    as_of: dt.date,
    design_hash: str,
    name: str = "design",
    title: str = "",
    analyst: str | None = None,
    design_file: SourceFile | None = None,
    seed: int = DEFAULT_SEED,
    imputations: int | None = None,
    borrowing: SurvivalModelAveraging | None = None,
) -> SurvivalInterimResult:
    """Decide every cohort of a time-to-event design at the data cut-off.

    Parameters
    ----------
    cohorts : sequence of (str, SurvivalMonitoringDesign)
        Each cohort's name and design, in design order.
    data : PatientData
        Validated patient records with the endpoint's time and event columns.
    as_of : date
        Data cut-off.
    design_hash : str
        The design file's hash.
    analyst, design_file
        Recorded in the provenance.
    seed : int
        Seed of the imputations (each cohort draws from its own child stream).
    imputations : int, optional
        Default: the design's.
    borrowing : SurvivalModelAveraging, optional
        Borrowing between the cohorts (each cohort's posterior uses every cohort's data;
        its imputations hold the other cohorts' data as seen); default: each on its own.
    """
    from ..errors import InputError

    endpoint = cohorts[0][1].endpoint
    time_col, event_col = f"{endpoint}_months", f"{endpoint}_event"
    frame = data.frame
    if (
        time_col not in frame.columns
        or event_col not in frame.columns
        or frame[time_col].isna().all()
    ):
        raise InputError(
            time_col,
            f"the design monitors {endpoint.upper()}: the patient file has no {time_col}; give "
            f"{time_col} and {event_col} columns (or an ADaM ADTTE)",
        )
    cutoff = pd.Timestamp(as_of)
    enrolled_mask = frame["enrolled"] <= cutoff
    start = frame.loc[enrolled_mask, "enrolled"].min()
    trial_months = 0.0 if pd.isna(start) else (cutoff - start).days / DAYS_PER_MONTH
    streams = np.random.SeedSequence(int(seed)).spawn(len(cohorts))
    seen_data = []
    missing = 0
    for cohort, design in cohorts:
        mine = enrolled_mask & (frame["cohort"] == cohort).fillna(False).astype(bool)
        part = frame.loc[mine]
        available = ((cutoff - part["enrolled"]).dt.days / DAYS_PER_MONTH).to_numpy(float)
        recorded = part[time_col].astype(float).to_numpy()
        missing += int(np.isnan(recorded).sum())
        event_flag = part[event_col].fillna(False).astype(bool).to_numpy()
        seen_data.append(_seen(design, np.nan_to_num(recorded, nan=0.0),
                               event_flag & ~np.isnan(recorded), available))  # fmt: skip
    # every cohort's events and exposure per piece, (1, J, K): the borrowed posterior's data
    events = np.stack([d.events for d in seen_data], axis=1)
    exposure = np.stack([d.exposure for d in seen_data], axis=1)
    calls = [
        _call(
            cohort,
            design,
            data_j,
            trial_months,
            np.random.Generator(np.random.PCG64(stream)),
            imputations,
            _posterior(design, data_j, borrowing, j, events, exposure),
        )
        for j, ((cohort, design), data_j, stream) in enumerate(
            zip(cohorts, seen_data, streams, strict=True)
        )
    ]
    used = imputations or cohorts[0][1].rule.imputations
    provenance = call_provenance(
        design_hash, data, as_of=as_of, analyst=analyst, design_file=design_file,
        analysis="independent" if borrowing is None else "model_averaging",
        extra={"imputations": int(used), "endpoint": endpoint,
               **({} if borrowing is None else {"borrowing": borrowing.describe()})},
    )  # fmt: skip
    provenance = dataclasses.replace(provenance, method="monte carlo", seed=int(seed))
    notes = list(data.notes)
    if missing:
        notes.append(
            f"{missing} enrolled patient(s) have no {time_col} yet: counted with no follow-up "
            "(imputed from enrolment)."
        )
    notes.append(
        f"Follow-up is cut at the data cut-off ({as_of.isoformat()}); a patient censored before "
        "the landmark is taken to be still in follow-up and is imputed (non-informative "
        "censoring)."
    )
    notes += [
        f"{c.cohort}: look at {c.look_count:g} {LOOK_KINDS[d.look_kind]} is not a planned look "
        f"({', '.join(f'{x:g}' for x in d.looks)}); the thresholds of look {c.look} applied."
        for c, (_, d) in zip(calls, cohorts, strict=True)
        if c.look is not None and not c.planned_look and not c.final
    ]
    return SurvivalInterimResult(
        name, title, tuple(calls), data, as_of, analyst, provenance, tuple(notes), None,
        tuple(d for _, d in cohorts),
    )  # fmt: skip


@dataclass(frozen=True)
class _Seen:
    """A cohort's data at the cut-off."""

    followed: np.ndarray
    seen: np.ndarray
    open_: np.ndarray
    events: np.ndarray  # (1, K)
    exposure: np.ndarray  # (1, K)


def _seen(
    design: SurvivalMonitoringDesign,
    recorded: np.ndarray,
    event_flag: np.ndarray,
    available: np.ndarray,
) -> _Seen:
    landmark = design.landmark
    seen = event_flag & (recorded <= available) & (recorded <= landmark)
    followed = np.minimum(np.minimum(recorded, available), landmark)
    open_ = ~seen & (followed < landmark)
    events, exposure = design.rule.model.events_and_exposure(followed[None, :], seen[None, :])
    return _Seen(followed, seen, open_, events, exposure)


@dataclass(frozen=True)
class _Posterior:
    """A cohort's posterior summaries (its own, or borrowed) and the imputations' model."""

    prob: float
    mean: float
    low: float
    high: float
    density: tuple[np.ndarray, np.ndarray]
    pooled: float | None = None
    borrowed: BorrowedCohort | None = None


def _posterior(
    design: SurvivalMonitoringDesign,
    data: _Seen,
    borrowing: SurvivalModelAveraging | None,
    j: int,
    events: np.ndarray,
    exposure: np.ndarray,
) -> _Posterior:
    rule = design.rule
    if borrowing is None:
        d, e = data.events, data.exposure
        return _Posterior(
            float(rule.prob_better(d, e)[0]),
            float(rule.mean_survival(d, e)[0]),
            float(rule.survival_quantile(d, e, 0.025)[0]),
            float(rule.survival_quantile(d, e, 0.975)[0]),
            rule.survival_density(d[0], e[0]),
        )
    return _Posterior(
        float(borrowing.prob_better_for(events, exposure, j)[0]),
        float(borrowing.mean_survival(events, exposure)[0, j]),
        borrowing.survival_quantile(events[0], exposure[0], j, 0.025),
        borrowing.survival_quantile(events[0], exposure[0], j, 0.975),
        borrowing.survival_density(events[0], exposure[0], j),
        float(borrowing.pooled_probability(events, exposure)[0, j]),
        BorrowedCohort(borrowing, j, events, exposure),
    )


def _call(
    cohort: str,
    design: SurvivalMonitoringDesign,
    data: _Seen,
    trial_months: float,
    rng: np.random.Generator,
    imputations: int | None,
    posterior: _Posterior,
) -> SurvivalCohortCall:
    rule = design.rule
    landmark = design.landmark
    followed, seen, open_ = data.followed, data.seen, data.open_
    n = int(followed.size)
    prob = posterior.prob
    exposure = data.exposure
    to_come = max(design.n_max - n, 0)
    m = int(imputations or rule.imputations)
    pp_now_arr, pp_max_arr = rule.predictive(
        followed[None, :], seen[None, :], open_[None, :], np.ones((1, n), bool),
        np.array([to_come]), rng, imputations=m, with_max=to_come > 0,
        borrowed=posterior.borrowed,
    )  # fmt: skip
    pp_now = float(pp_now_arr[0])
    pp_max = None if to_come == 0 else float(pp_max_arr[0])
    n_events = int(seen.sum())
    count = {"enrolled": float(n), "events": float(n_events), "months": trial_months}[
        design.look_kind
    ]
    final = n >= design.n_max and not open_.any()
    look: int | None = None
    planned = False
    if final:
        decision = "go" if bool(design.final_go(np.array(prob))) else "no_go"
        reason = (
            f"final analysis: P(S({landmark:g}) > {rule.goal:g} | data) = {prob:.4f} "
            f"{'>' if decision == 'go' else '<='} {rule.success:g}"
        )
    elif n >= design.n_max:
        decision = "follow_up"
        reason = (
            f"enrolment complete ({n} of {design.n_max}); {int(open_.sum())} patient(s) still in "
            f"follow-up before the landmark: final analysis when they complete it (PP(now) = "
            f"{pp_now:.3f}, the predictive probability of a final GO)"
        )
    else:
        reached = [k for k, at in enumerate(design.looks) if at <= count + 1e-9]
        if not reached:
            decision = "continue"
            reason = (
                f"before the first planned look ({design.looks[0]:g} "
                f"{LOOK_KINDS[design.look_kind]}; now {count:g}): no stopping threshold applies"
                if design.looks
                else "no interim look is planned: enrolment continues to the maximum"
            )
        else:
            k = reached[-1]
            look = k + 1
            at = design.looks[k]
            planned = abs(count - at) < (1.0 if design.look_kind == "months" else 0.5)
            code = int(
                design.interim_decision(
                    k,
                    np.array(prob),
                    np.array(pp_now),
                    np.array(np.nan if pp_max is None else pp_max),
                )
            )
            decision = _DECISION_OF[code]
            reason = _look_reason(design, k, decision, prob, pp_now, pp_max)
    return SurvivalCohortCall(
        cohort, n, n_events, float(exposure.sum()), int(open_.sum()), prob, posterior.mean,
        posterior.low, posterior.high, pp_now, _mcse(pp_now, m), pp_max,
        None if pp_max is None else _mcse(pp_max, m), look, count, planned, final, decision,
        reason, posterior.pooled, posterior.density,
    )  # fmt: skip


def _look_reason(
    design: SurvivalMonitoringDesign,
    k: int,
    decision: str,
    prob: float,
    pp_now: float,
    pp_max: float | None,
) -> str:
    rule = design.rule
    parts = []
    above = rule.expected_success[k]
    if not math.isnan(above):
        sign = ">" if pp_now > above else "<="
        parts.append(f"PP(now) = {pp_now:.3f} {sign} {above:g}")
    below = rule.futility[k]
    if not math.isnan(below):
        stat, value = (
            ("PP(max)", pp_max) if rule.futility_on == "predictive" else ("P(better)", prob)
        )
        if value is not None:
            sign = "<" if value < below else ">="
            parts.append(f"{stat} = {value:.3f} {sign} {below:g}")
    words = {
        "continue": "continue enrolment",
        "stop_futility": "stop for futility",
        "stop_enrolment": "stop enrolment for expected success; follow up and analyse",
    }[decision]
    return f"look {k + 1}: " + "; ".join(parts or ["no threshold at this look"]) + f": {words}"


def _mcse(p: float, m: int) -> float:
    return math.sqrt(p * (1.0 - p) / m)
