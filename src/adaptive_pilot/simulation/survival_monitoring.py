"""Monte Carlo operating characteristics of designs monitoring PFS (or OS) against a goal.

Each cohort runs a :class:`~adaptive_pilot.designs.survival_monitoring.SurvivalMonitoringDesign`
on its own patients. Patients arrive by the trial's accrual model
(:func:`~adaptive_pilot.simulation.kernel.accrual_arrivals`, the simulator's). Event
times follow the scenario's model for the cohort
(:class:`~adaptive_pilot.simulation.survival.EventTimeModel`, the simulator's), seen at
the next scan when scans are scheduled; patients drop out at an exponential time.
At an interim look at calendar time tau, a patient enrolled by tau has been followed
for tau - arrival months: an event seen by then and within the landmark is an event;
a patient who dropped out before is censored for good; the others still in follow-up
before the landmark are imputed by the predictive probabilities. A look that would
fall after the last patient's enrolment is not held (there is no enrolment left to
stop); an event look the trial never reaches is not held either. The final analysis
comes when every enrolled patient has had an event, reached the landmark or dropped
out.

Common random numbers: arrivals, event-time and dropout draws are shared by every
scenario, and each scenario's imputations have their own stream, so scenarios differ
only by their models. Chunks of a fixed size, chunk i seeded by the i-th child of
``SeedSequence(seed)``: results are identical for any number of workers. Loops run
over cohorts, looks and blocks of imputations, never over patients or trials.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..cohorts.survival_borrowing import SurvivalModelAveraging
from ..cohorts.trial import Accrual
from ..designs.survival_monitoring import (
    CONTINUE,
    EXPECTED_SUCCESS,
    FUTILITY,
    SurvivalMonitoringDesign,
)
from ..errors import InputError
from ..results import ResultMixin, Summary, records
from .kernel import accrual_arrivals
from .progress import Progress, progress_reporter, stderr_line
from .summary import CohortMetrics, distribution_rows, mean_with_se, proportion
from .survival import EventTimeModel
from .survival_joint import joint_cohort_trials, state_at
from .workers import check_run_settings, run_provenance, summed_chunks

__all__ = [
    "BORROWING_CHUNK_SIZE",
    "CHUNK_SIZE",
    "SurvivalMonitoringCohort",
    "SurvivalMonitoringScenario",
    "SurvivalMonitoringSimulation",
    "simulate_survival_monitoring",
]

#: Trials per chunk (part of the reproducibility contract).
CHUNK_SIZE = 500
#: Trials per chunk with borrowing, whose trials cost some ten times more: smaller chunks
#: keep every worker busy (also part of the reproducibility contract).
BORROWING_CHUNK_SIZE = 100
_ALL = "ALL"


@dataclass(frozen=True)
class SurvivalMonitoringCohort:
    """A cohort: its name, share of accrual and design."""

    name: str
    share: float
    design: SurvivalMonitoringDesign


@dataclass(frozen=True)
class SurvivalMonitoringScenario:
    """The monitored endpoint's true event-time model per cohort, dropout and scans.

    ``dropout``: rate per month; ``scan_every``: months between scans (0: events
    seen when they happen).
    """

    name: str
    models: tuple[EventTimeModel, ...]
    dropout: float = 0.0
    scan_every: float = 0.0
    description: str = ""

    def __post_init__(self) -> None:
        if not (0 <= self.dropout <= 10):
            raise InputError(f"scenarios.{self.name}.dropout", "must be a rate per month, 0 to 10")
        if not (0 <= self.scan_every <= 60):
            raise InputError(f"scenarios.{self.name}.scan_every", "must be from 0 to 60 months")

    def survival_at(self, landmark: float) -> np.ndarray:
        """True S(landmark) per cohort."""
        return np.array([float(m.survival(np.array(landmark), 0.0)) for m in self.models])

    def to_dict(self, cohorts: Sequence[str], landmark: float) -> dict[str, Any]:
        """JSON-ready description keyed by cohort."""
        return {
            "scenario": self.name,
            "description": self.description,
            "median": dict(zip(cohorts, (m.median for m in self.models), strict=True)),
            "distribution": dict(zip(cohorts, (m.distribution for m in self.models), strict=True)),
            "survival_at_landmark": dict(
                zip(cohorts, map(float, self.survival_at(landmark)), strict=True)
            ),
            "dropout": self.dropout,
            "scan_every": self.scan_every,
        }


@dataclass(frozen=True)
class SurvivalMonitoringSimulation(CohortMetrics, ResultMixin):
    """Simulated OC per scenario and cohort, with Monte Carlo standard errors (the frame,
    provenance and cohorts of :class:`~adaptive_pilot.simulation.summary.CohortMetrics`).
    """

    scenarios: tuple[SurvivalMonitoringScenario, ...]
    landmark: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the rows, each scenario's models, provenance."""
        return {
            "results": records(self.frame),
            "scenarios": [s.to_dict(self.cohorts, self.landmark) for s in self.scenarios],
            "provenance": self.provenance.to_dict(),
        }

    def summary(self) -> Summary:
        """One table per scenario: each cohort's P(GO), stops, sizes and duration (MCSE)."""
        tables = []
        for s in self.scenarios:
            truth = ", ".join(f"{v:.3f}" for v in s.survival_at(self.landmark))
            title = f"Scenario {s.name}: true S({self.landmark:g}) {truth}"
            title += f" ({s.description})" if s.description else ""
            tables.append(self.scenario_table(s.name, _SHOWN, title))
        details = self.provenance.details
        return Summary(
            "Simulated operating characteristics (time-to-event endpoint against a goal)",
            header=(
                f"{self.provenance.n_trials:,} trials per scenario, seed {self.provenance.seed}, "
                f"{details.get('imputations')} imputations per predictive probability; MCSE "
                "in brackets",
                "Analysis: " + str(details.get("analysis", "independent")),
            ),
            tables=tuple(tables),
            provenance=self.provenance,
        )


_SHOWN = ["p_go", "p_early_futility", "p_expected_success", "p_nogo_final", "p_any_go", "en",
          "final_events", "duration"]  # fmt: skip


def simulate_survival_monitoring(
    cohorts: Sequence[SurvivalMonitoringCohort],
    accrual: Accrual,
    scenarios: Sequence[SurvivalMonitoringScenario],
    n_trials: int,
    seed: int,
    *,
    imputations: int | None = None,
    borrowing: SurvivalModelAveraging | None = None,
    design_hash: str = "",
    n_jobs: int = 1,
    chunk_size: int | None = None,
    progress: bool | Progress | None = None,
    log: Callable[[str], None] = stderr_line,
) -> SurvivalMonitoringSimulation:
    """Simulate every scenario on ``n_trials`` trials (common random numbers).

    Parameters
    ----------
    cohorts : sequence of SurvivalMonitoringCohort
        The cohorts, in design order.
    accrual : Accrual
        Accrual rate and allocation (``max_duration`` is not used by these designs).
    scenarios : sequence of SurvivalMonitoringScenario
        True event-time models per cohort.
    n_trials, seed : int
        Trials per scenario and the root seed.
    imputations : int, optional
        Imputations per predictive probability (default: each design's).
    borrowing : SurvivalModelAveraging, optional
        Borrowing between the cohorts (they then run together:
        :mod:`adaptive_pilot.simulation.survival_joint`); default: each on its own.
    design_hash : str
        The design file's hash, for the provenance.
    n_jobs : int
        Processes (results are identical for any number).
    chunk_size : int, optional
        Trials per chunk (part of the reproducibility contract); default
        :data:`CHUNK_SIZE`, or :data:`BORROWING_CHUNK_SIZE` with borrowing.
    progress, log
        As in :func:`adaptive_pilot.simulation.runner.simulate`.
    """
    started = time.perf_counter()
    if chunk_size is None:
        chunk_size = CHUNK_SIZE if borrowing is None else BORROWING_CHUNK_SIZE
    check_run_settings(n_trials, seed, chunk_size, n_jobs)
    if imputations is not None and not 10 <= int(imputations) <= 100_000:
        raise InputError("imputations", "must be an integer from 10 to 100000")
    if not scenarios:
        raise InputError("scenarios", "at least one scenario is needed")
    for s in scenarios:
        if len(s.models) != len(cohorts):
            raise InputError(f"scenarios.{s.name}", f"needs one model per cohort ({len(cohorts)})")
    if borrowing is not None and (
        borrowing.cohorts != len(cohorts) or any(c.design.rule != borrowing.rule for c in cohorts)
    ):
        raise InputError(
            "borrowing", "the borrowing model needs every cohort's rule, one per cohort"
        )
    shared = (tuple(cohorts), accrual, tuple(scenarios), imputations, borrowing)
    totals, n_chunks = summed_chunks(
        _chunk, shared, n_trials, seed, chunk_size, n_jobs, len(scenarios),
        lambda chunks: progress_reporter(
            progress, n_chunks=chunks, total=n_trials, initial_chunks=0, initial=0, log=log
        ),
    )  # fmt: skip
    frame = _frame(cohorts, scenarios, totals)
    used = imputations or cohorts[0].design.rule.imputations
    analysis = "independent" if borrowing is None else borrowing.describe()
    provenance = run_provenance(
        design_hash, seed, n_trials,
        "event times drawn per patient; at each look the exact posterior of S(landmark) and "
        "Goldilocks predictive probabilities by imputation",
        started=started, chunk_size=chunk_size, n_chunks=n_chunks, n_jobs=n_jobs,
        imputations=int(used), analysis=analysis,
    )  # fmt: skip
    return SurvivalMonitoringSimulation(
        frame,
        provenance,
        tuple(c.name for c in cohorts),
        tuple(scenarios),
        cohorts[0].design.landmark,
    )


# ---------------------------------------------------------------- one chunk
def _chunk(
    cohorts: tuple[SurvivalMonitoringCohort, ...],
    accrual: Accrual,
    scenarios: tuple[SurvivalMonitoringScenario, ...],
    imputations: int | None,
    borrowing: SurvivalModelAveraging | None,
    index: int,
    seed: np.random.SeedSequence,
    size: int,
) -> tuple[int, list[dict[str, np.ndarray]]]:
    data_seed, *scenario_seeds = seed.spawn(1 + len(scenarios))
    rng = np.random.Generator(np.random.PCG64(data_seed))
    n_max = np.array([c.design.n_max for c in cohorts])
    shares = np.array([c.share for c in cohorts])
    arrivals = accrual_arrivals(accrual, shares, n_max, rng, size)  # (B, J, W)
    progression = rng.standard_exponential(arrivals.shape)
    dropout = rng.standard_exponential(arrivals.shape)
    stats = []
    for scenario, own in zip(scenarios, scenario_seeds, strict=True):
        imputer = np.random.Generator(np.random.PCG64(own))
        times, losses = [], []
        for j, cohort in enumerate(cohorts):
            n = cohort.design.n_max
            true_time = scenario.models[j].sample(
                progression[:, j : j + 1, :n], np.zeros((size, 1, n), bool), np.zeros(1)
            )[:, 0]
            if scenario.scan_every > 0:
                true_time = np.ceil(true_time / scenario.scan_every) * scenario.scan_every
            times.append(true_time)
            losses.append(
                dropout[:, j, :n] / scenario.dropout
                if scenario.dropout > 0
                else np.full((size, n), np.inf)
            )
        entered = [arrivals[:, j, : c.design.n_max] for j, c in enumerate(cohorts)]
        if borrowing is None:
            outcome = [
                cohort_trials(c.design, a, t, lo, imputer, imputations)
                for c, a, t, lo in zip(cohorts, entered, times, losses, strict=True)
            ]
        else:
            outcome = joint_cohort_trials(
                [c.design for c in cohorts], borrowing, entered, times, losses, imputer,
                imputations,
            )  # fmt: skip
        stats.append(_statistics(outcome))
    return index, stats


def cohort_trials(
    design: SurvivalMonitoringDesign,
    arrivals: np.ndarray,
    event_time: np.ndarray,
    lost: np.ndarray,
    rng: np.random.Generator,
    imputations: int | None = None,
) -> dict[str, np.ndarray]:
    """One cohort in every trial of a chunk.

    ``arrivals``, ``event_time`` (seen, months from enrolment) and ``lost`` (dropout
    time) are (B, N). Returns per trial: ``go`` (GO at the final analysis), ``futility``
    (stopped for futility at a look), ``expected_success`` (enrolment stopped for
    expected success), ``enrolled``, ``end_time`` (the final analysis, or the futility
    stop) and ``events`` within the landmark at the final analysis; and ``n_max``.
    """
    rule = design.rule
    size, n_max = arrivals.shape
    landmark = design.landmark
    event_full = event_time <= np.minimum(lost, landmark)
    follow_full = np.minimum(np.minimum(event_time, lost), landmark)
    decision = np.full(size, CONTINUE, dtype=np.int64)
    stopped_at = np.full(size, np.inf)  # calendar time of an interim stop
    last_arrival = arrivals[:, -1]
    if design.look_kind == "events":
        seen_at = np.where(event_full, arrivals + event_time, np.inf)
        seen_at = np.sort(seen_at, axis=1)
    for k, at in enumerate(design.looks):
        active = decision == CONTINUE
        if design.look_kind == "enrolled":
            tau = arrivals[:, int(at) - 1]
        elif design.look_kind == "months":
            tau = np.full(size, float(at))
        else:
            tau = seen_at[:, int(at) - 1]
        held = active & (tau < last_arrival)
        if not held.any():
            continue
        rows = np.flatnonzero(held)
        y, seen, present, open_ = state_at(
            tau[rows], np.inf, arrivals[rows], event_time[rows], lost[rows], landmark
        )
        events, exposure = rule.model.events_and_exposure(y, seen, present)
        prob = rule.prob_better(events, exposure)
        want_now, want_max = design.needs_predictive(k)
        pp_now = pp_max = np.full(rows.size, np.nan)
        if want_now or want_max:
            pp_now, pp_max = rule.predictive(
                y, seen, open_, present, n_max - present.sum(axis=1), rng,
                imputations=imputations, with_max=want_max,
            )  # fmt: skip
            if not want_now:
                pp_now = np.full(rows.size, np.nan)
        code = design.interim_decision(k, prob, pp_now, pp_max)
        decision[rows] = code
        stopped_at[rows[code != CONTINUE]] = tau[rows[code != CONTINUE]]
    enrolled = (arrivals <= stopped_at[:, None]).sum(axis=1)
    present = np.arange(n_max)[None, :] < enrolled[:, None]
    events, exposure = rule.model.events_and_exposure(follow_full, event_full, present)
    go = design.final_go(rule.prob_better(events, exposure))
    futile = decision == FUTILITY
    end_time = np.where(present, arrivals + follow_full, -np.inf).max(axis=1)
    end_time = np.where(futile, stopped_at, end_time)
    return {
        "go": go & ~futile,
        "futility": futile,
        "expected_success": decision == EXPECTED_SUCCESS,
        "enrolled": enrolled,
        "n_max": np.array(n_max),
        "end_time": end_time,
        "events": np.where(futile, np.nan, events.sum(axis=1)),
    }


def _statistics(outcome: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Sums that combine over chunks."""
    size = outcome[0]["go"].size
    out: dict[str, np.ndarray] = {"trials": np.array([size])}
    for j, o in enumerate(outcome):
        out[f"go/{j}"] = np.array([o["go"].sum()])
        out[f"futility/{j}"] = np.array([o["futility"].sum()])
        out[f"expected/{j}"] = np.array([o["expected_success"].sum()])
        out[f"nhist/{j}"] = np.bincount(o["enrolled"], minlength=int(o["n_max"]) + 1)
        end = o["end_time"]
        out[f"time/{j}"] = np.array([end.sum(), (end**2).sum()])
        ev = o["events"][~o["futility"]]
        out[f"events/{j}"] = np.array([ev.sum(), (ev**2).sum(), ev.size], float)
    go = np.column_stack([o["go"] for o in outcome])
    out["any_go"] = np.array([go.any(axis=1).sum()])
    total = np.column_stack([o["enrolled"] for o in outcome]).sum(axis=1).astype(float)
    out["n/all"] = np.array([total.sum(), (total**2).sum()])
    duration = np.column_stack([o["end_time"] for o in outcome]).max(axis=1)
    out["duration"] = np.array([duration.sum(), (duration**2).sum()])
    return out


def _frame(
    cohorts: Sequence[SurvivalMonitoringCohort],
    scenarios: Sequence[SurvivalMonitoringScenario],
    totals: list[dict[str, Any]],
) -> pd.DataFrame:
    rows = []
    for scenario, stats in zip(scenarios, totals, strict=True):
        n = int(stats["trials"][0])

        def add(cohort: str, metric: str, estimate: float, mcse: float) -> None:
            rows.append((scenario.name, cohort, metric, float(estimate), float(mcse)))  # noqa: B023

        for j, cohort in enumerate(cohorts):
            go, futile = stats[f"go/{j}"][0], stats[f"futility/{j}"][0]
            add(cohort.name, "p_go", *proportion(go, n))
            add(cohort.name, "p_early_futility", *proportion(futile, n))
            add(cohort.name, "p_expected_success", *proportion(stats[f"expected/{j}"][0], n))
            add(cohort.name, "p_nogo_final", *proportion(n - go - futile, n))
            distribution_rows(add, cohort.name, stats[f"nhist/{j}"], stats[f"time/{j}"], n)
            ev = stats[f"events/{j}"]
            if ev[2] > 0:
                add(cohort.name, "final_events", *mean_with_se(ev[:2], int(ev[2])))
        add(_ALL, "p_any_go", *proportion(stats["any_go"][0], n))
        add(_ALL, "en", *mean_with_se(stats["n/all"], n))
        add(_ALL, "duration", *mean_with_se(stats["duration"], n))
    return pd.DataFrame(rows, columns=["scenario", "cohort", "metric", "estimate", "mcse"])
