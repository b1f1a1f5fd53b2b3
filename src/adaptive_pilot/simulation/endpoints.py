"""Monte Carlo simulation of multi-cohort trials whose cohorts decide on several endpoints.

Each cohort runs a :class:`~adaptive_pilot.designs.multi_endpoint.MultiEndpointDesign`
on its own data. Patients arrive by the trial's accrual model
(:func:`~adaptive_pilot.simulation.kernel.accrual_arrivals`, the simulator's); each
patient's outcome category is drawn from one uniform per patient (shared by every
scenario: common random numbers) against the scenario's category probabilities for the
cohort. A look at n evaluable patients happens when the n-th patient's outcome is known
(arrival + assessment delay); the cohort's endpoint counts then fall in the compiled
stopping sets (:class:`~adaptive_pilot.rules.endpoint_bounds.EndpointBounds`), so the
simulated decisions are exactly the exact OC's. A cohort short of its final look when
enrolment closes is analysed at the n it reached with the final cut-off lambda
(``incomplete: analyse``) or is a NO-GO (``no_go``). Patients enrolled while a look's
outcomes are pending are enrolled (over-run) but not in that decision.

Reproducibility: chunks of a fixed size, chunk i seeded by the i-th child of
``SeedSequence(seed)``, statistics combined in chunk order, so results are bit-identical
for any number of workers. Loops run over cohorts, looks and scenarios, never over
patients or trials.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..cohorts.endpoint_borrowing import EndpointBorrowing
from ..cohorts.trial import Accrual
from ..designs.multi_endpoint import MultiEndpointDesign
from ..errors import InputError
from ..results import ResultMixin, Summary, records
from ..rules.endpoint_bounds import EndpointBounds
from . import outcomes as ends
from .kernel import accrual_arrivals
from .progress import Progress, progress_reporter, stderr_line
from .scenarios import EndpointCohort, EndpointScenario
from .summary import CohortMetrics, mean_with_se, outcome_rows, proportion
from .workers import check_run_settings, run_provenance, summed_chunks

__all__ = ["EndpointCohort", "EndpointScenario", "EndpointSimulation", "simulate_endpoints"]

#: Trials per chunk (part of the reproducibility contract).
CHUNK_SIZE = 2_000
_ALL = "ALL"


@dataclass(frozen=True)
class EndpointSimulation(CohortMetrics, ResultMixin):
    """Simulated OC per scenario and cohort, with Monte Carlo standard errors (the frame,
    provenance and cohorts of :class:`~adaptive_pilot.simulation.summary.CohortMetrics`).
    """

    scenarios: tuple[EndpointScenario, ...]
    categories: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the rows, each scenario's category probabilities, provenance."""
        return {
            "results": records(self.frame),
            "scenarios": [
                {
                    "scenario": s.name,
                    "cells": {
                        cohort: dict(zip(self.categories, map(float, row), strict=True))
                        for cohort, row in zip(self.cohorts, s.cells, strict=True)
                    },
                }
                for s in self.scenarios
            ],
            "provenance": self.provenance.to_dict(),
        }

    def summary(self) -> Summary:
        """One table per scenario: each cohort's P(GO), early stops and sizes (MCSE)."""
        tables = [
            self.scenario_table(
                s.name,
                _SHOWN,
                f"Scenario {s.name}" + (f": {s.description}" if s.description else ""),
            )
            for s in self.scenarios
        ]
        n = self.provenance.n_trials
        return Summary(
            "Simulated operating characteristics (several endpoints)",
            header=(
                f"{n:,} trials per scenario, seed {self.provenance.seed}; each cohort decided "
                "on its own data by its compiled stopping sets; MCSE in brackets",
            ),
            tables=tuple(tables),
            provenance=self.provenance,
        )


_SHOWN = ["p_go", "p_early_futility", "p_early_efficacy", "p_nogo_final", "p_incomplete",
          "p_any_go", "en", "duration"]  # fmt: skip


def simulate_endpoints(
    cohorts: Sequence[EndpointCohort],
    accrual: Accrual,
    scenarios: Sequence[EndpointScenario],
    n_trials: int,
    seed: int,
    *,
    design_hash: str = "",
    borrowing: EndpointBorrowing | None = None,
    n_jobs: int = 1,
    chunk_size: int = CHUNK_SIZE,
    progress: bool | Progress | None = None,
    log: Callable[[str], None] = stderr_line,
) -> EndpointSimulation:
    """Simulate every scenario on ``n_trials`` trials (common random numbers).

    Parameters
    ----------
    cohorts : sequence of EndpointCohort
        The cohorts, in design order.
    accrual : Accrual
        Accrual rate, allocation, assessment delay, maximum duration.
    scenarios : sequence of EndpointScenario
        Category probabilities per cohort.
    n_trials, seed : int
        Trials per scenario and the root seed.
    design_hash : str
        The design file's hash, for the provenance.
    borrowing : EndpointBorrowing, optional
        Berry's model per endpoint between the cohorts: each look then decides on the
        endpoints' borrowed posteriors, from every cohort's outcomes known at the time
        (events in calendar order). Default: each cohort on its own data.
    n_jobs : int
        Processes (results are identical for any number).
    chunk_size : int
        Trials per chunk (part of the reproducibility contract).
    progress, log
        As in :func:`adaptive_pilot.simulation.runner.simulate`.
    """
    started = time.perf_counter()
    check_run_settings(n_trials, seed, chunk_size, n_jobs)
    if not scenarios:
        raise InputError("scenarios", "at least one scenario is needed")
    k = len(cohorts[0].design.rule.categories)
    for s in scenarios:
        if s.cells.shape != (len(cohorts), k):
            raise InputError(
                f"scenarios.{s.name}", f"needs {k} category probabilities for each of "
                f"{len(cohorts)} cohorts",
            )  # fmt: skip
    shared = (tuple(cohorts), accrual, tuple(scenarios), borrowing)
    totals, n_chunks = summed_chunks(
        _chunk, shared, n_trials, seed, chunk_size, n_jobs, len(scenarios),
        lambda chunks: progress_reporter(
            progress, n_chunks=chunks, total=n_trials, initial_chunks=0, initial=0, log=log
        ),
    )  # fmt: skip
    frame = _frame(cohorts, scenarios, totals, accrual)
    provenance = run_provenance(
        design_hash, seed, n_trials,
        "categories drawn per patient, decisions by the compiled stopping sets"
        if borrowing is None
        else "categories drawn per patient, events in calendar order, decisions on each "
        "endpoint's borrowed posterior (" + borrowing.describe() + ")",
        started=started, chunk_size=chunk_size, n_chunks=n_chunks, n_jobs=n_jobs,
    )  # fmt: skip
    return EndpointSimulation(
        frame,
        provenance,
        tuple(c.name for c in cohorts),
        tuple(scenarios),
        tuple(cohorts[0].design.rule.categories),
    )


# ---------------------------------------------------------------- one chunk
def _chunk(
    cohorts: tuple[EndpointCohort, ...],
    accrual: Accrual,
    scenarios: tuple[EndpointScenario, ...],
    borrowing: EndpointBorrowing | None,
    index: int,
    seed: np.random.SeedSequence,
    size: int,
) -> tuple[int, list[dict[str, np.ndarray]]]:
    rng = np.random.Generator(np.random.PCG64(seed))
    n_max = np.array([c.design.n_max for c in cohorts])
    shares = np.array([c.share for c in cohorts])
    arrivals = accrual_arrivals(accrual, shares, n_max, rng, size)
    uniforms = rng.random(arrivals.shape)
    stats = []
    for scenario in scenarios:
        if borrowing is not None:
            outcome = _borrowed_trials(cohorts, accrual, arrivals, uniforms, scenario, borrowing)
            stats.append(_statistics(*outcome))
            continue
        code = np.empty((size, len(cohorts)), dtype=np.int8)
        enrolled = np.empty((size, len(cohorts)), dtype=np.int64)
        end_time = np.empty((size, len(cohorts)))
        for j, cohort in enumerate(cohorts):
            code[:, j], enrolled[:, j], end_time[:, j] = _cohort(
                cohort.design, arrivals[:, j], uniforms[:, j], scenario.cells[j], accrual
            )
        stats.append(_statistics(code, enrolled, end_time))
    return index, stats


def _cohort(
    design: MultiEndpointDesign,
    arrivals: np.ndarray,
    uniforms: np.ndarray,
    cells: np.ndarray,
    accrual: Accrual,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome code, patients enrolled and end time of one cohort in every trial."""
    size = arrivals.shape[0]
    n_max = design.n_max
    rule = design.rule
    membership = rule.membership  # (K, E)
    edges = np.cumsum(cells)[:-1]
    category = np.searchsorted(edges, uniforms[:, :n_max], side="right")  # (B, N)
    counts = np.cumsum(membership[category], axis=1)  # (B, N, E)
    delay = accrual.assessment_delay
    closes = math.inf if accrual.max_duration is None else accrual.max_duration
    code = np.full(size, ends.ACTIVE, dtype=np.int8)
    end_time = np.full(size, math.nan)
    last = len(design.looks) - 1
    bounds = design.bounds
    for k, n in enumerate(design.looks):
        active = code == ends.ACTIVE
        if not active.any():
            break
        late = active & (arrivals[:, n - 1] > closes)
        if late.any():
            _incomplete(design, arrivals, counts, late, code, end_time, accrual, closes)
            active &= ~late
        fut, eff = _masks(bounds)[k]
        at = tuple(counts[:, n - 1, e] for e in range(counts.shape[2]))
        when = arrivals[:, n - 1] + delay
        stop_f = active & fut[at]
        stop_e = active & eff[at]
        code[stop_f] = ends.NOGO if k == last else ends.FUTILITY
        code[stop_e] = ends.GO if k == last else ends.EFFICACY
        end_time[stop_f | stop_e] = when[stop_f | stop_e]
    assert not (code == ends.ACTIVE).any()
    # enrolled: every patient who arrived by the decision (over-run), at most N
    enrolled = (arrivals[:, :n_max] <= np.minimum(end_time, closes)[:, None]).sum(axis=1)
    reached = (code == ends.INCOMPLETE) | (code == ends.INCOMPLETE_GO)
    enrolled[reached] = (arrivals[reached, :n_max] <= closes).sum(axis=1)
    return code, enrolled, end_time


def _borrowed_trials(
    cohorts: tuple[EndpointCohort, ...],
    accrual: Accrual,
    arrivals: np.ndarray,
    uniforms: np.ndarray,
    scenario: EndpointScenario,
    borrowing: EndpointBorrowing,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every cohort of every trial with borrowing: looks in calendar order, each on the
    endpoints' borrowed posteriors from the outcomes known by then (a stopped cohort
    keeps the patients it enrolled; later patients of a cohort are not yet known)."""
    size, n_cohorts, width = arrivals.shape
    delay = accrual.assessment_delay
    closes = math.inf if accrual.max_duration is None else accrual.max_duration
    n_end = borrowing.n_endpoints
    # favourable counts after i patients, i = 0..width: (B, J, width + 1, E)
    favourable = np.zeros((size, n_cohorts, width + 1, n_end), dtype=np.int64)
    for j, cohort in enumerate(cohorts):
        rule = cohort.design.rule
        n_j = cohort.design.n_max
        edges = np.cumsum(scenario.cells[j])[:-1]
        category = np.searchsorted(edges, uniforms[:, j, :n_j], side="right")
        counts = np.cumsum(rule.membership[category], axis=1)  # (B, N_j, E)
        patients = np.arange(1, n_j + 1)[None, :, None]
        fav = np.where(rule.lower_is_better[None, None, :], patients - counts, counts)
        favourable[:, j, 1 : n_j + 1] = fav
        favourable[:, j, n_j + 1 :] = fav[:, -1:]
    events = [(j, k) for j, c in enumerate(cohorts) for k in range(len(c.design.looks))]
    ev_cohort = np.array([j for j, _ in events])
    ev_look = np.array([k for _, k in events])
    ev_n = np.array([cohorts[j].design.looks[k] for j, k in events])
    times = arrivals[:, ev_cohort, ev_n - 1] + delay  # (B, events)
    order = np.argsort(times, axis=1, kind="stable")
    trials = np.arange(size)
    code = np.full((size, n_cohorts), ends.ACTIVE, dtype=np.int8)
    stop_time = np.full((size, n_cohorts), math.inf)
    for r in range(len(events)):
        e = order[:, r]
        ev_j, ev_k, ev_size = ev_cohort[e], ev_look[e], ev_n[e]
        active = code[trials, ev_j] == ends.ACTIVE
        late = active & (arrivals[trials, ev_j, ev_size - 1] > closes)
        code[trials[late], ev_j[late]] = ends.INCOMPLETE
        active &= ~late
        if not active.any():
            continue
        b, jj, kk, nn = trials[active], ev_j[active], ev_k[active], ev_size[active]
        known = arrivals[b, jj, nn - 1]  # outcomes known by this look: patients arrived by then
        limit = np.minimum(np.minimum(stop_time[b], closes), known[:, None])
        n_eval = np.sum(arrivals[b] <= limit[:, :, None], axis=2)  # (b, J)
        fav = np.take_along_axis(favourable[b], n_eval[:, :, None, None], axis=2)[:, :, 0]
        q = borrowing.prob_better(n_eval, fav, jj, np.float32)  # (b, E)
        when = times[b, e[active]]
        for c in np.unique(jj):
            mine = jj == c
            design = cohorts[c].design
            for look in np.unique(kk[mine]):
                rows = mine & (kk == look)
                outcome = _borrowed_decision(design, int(look), q[rows])
                decided = outcome != ends.ACTIVE
                code[b[rows][decided], c] = outcome[decided]
                stop_time[b[rows][decided], c] = when[rows][decided]
    incomplete = code == ends.INCOMPLETE
    enrolled = np.sum(arrivals <= np.minimum(stop_time, closes)[:, :, None], axis=2)
    end_time = stop_time.copy()
    if incomplete.any():
        last = np.take_along_axis(arrivals, np.maximum(enrolled - 1, 0)[:, :, None], axis=2)[
            :, :, 0
        ]
        end_time[incomplete] = np.where(enrolled > 0, last + delay, closes)[incomplete]
        if accrual.incomplete == "analyse":
            _analyse_borrowed(cohorts, borrowing, code, enrolled, favourable, incomplete)
    return code, enrolled, end_time


def _borrowed_decision(design: MultiEndpointDesign, k: int, q: np.ndarray) -> np.ndarray:
    """Outcome codes (ACTIVE: go on) at look k from borrowed q (rows, E), by the rule's
    :meth:`~MultiEndpointRule.stops` with the design's per-look switches."""
    final = k == len(design.looks) - 1
    weak, strong = design.rule.stops(design.looks[k], q, final=final)
    if final:
        return np.where(weak, ends.NOGO, ends.GO).astype(np.int8)
    fut_on, eff_on = design.futility_on, design.efficacy_on
    assert fut_on is not None and eff_on is not None
    out = np.full(len(q), ends.ACTIVE, dtype=np.int8)
    out[weak & fut_on[k]] = ends.FUTILITY
    out[strong & eff_on[k]] = ends.EFFICACY
    return out


def _analyse_borrowed(
    cohorts: tuple[EndpointCohort, ...],
    borrowing: EndpointBorrowing,
    code: np.ndarray,
    enrolled: np.ndarray,
    favourable: np.ndarray,
    incomplete: np.ndarray,
) -> None:
    """Cohorts cut short by the close of enrolment, analysed once every outcome is known:
    every cohort's data then, the final cut-off lambda at the n reached."""
    b, j = np.nonzero(incomplete & (enrolled > 0))
    if b.size == 0:
        return
    n_all = np.minimum(enrolled[b], [c.design.n_max for c in cohorts])
    fav = np.take_along_axis(favourable[b], n_all[:, :, None, None], axis=2)[:, :, 0]
    q = borrowing.prob_better(n_all, fav, j, np.float32)
    for c in np.unique(j):
        rows = j == c
        nogo, _ = cohorts[c].design.rule.stops(cohorts[c].design.n_max, q[rows], final=True)
        code[b[rows][~nogo], c] = ends.INCOMPLETE_GO


@functools.lru_cache(maxsize=64)
def _masks(bounds: EndpointBounds) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Each look's (futility or NO-GO, efficacy or GO) sets, built once per design."""
    return tuple(bounds.masks(k) for k in range(len(bounds.looks)))


def _incomplete(
    design: MultiEndpointDesign,
    arrivals: np.ndarray,
    counts: np.ndarray,
    late: np.ndarray,
    code: np.ndarray,
    end_time: np.ndarray,
    accrual: Accrual,
    closes: float,
) -> None:
    """Cohorts whose enrolment closed before this look: NO-GO, or analysed at the n reached
    with the final cut-off lambda (``incomplete: analyse``)."""
    n_max = design.n_max
    reached = (arrivals[:, :n_max] <= closes).sum(axis=1)
    code[late] = ends.INCOMPLETE
    for n in np.unique(reached[late]):
        rows = late & (reached == n)
        if n == 0:
            end_time[rows] = closes
            continue
        end_time[rows] = arrivals[rows, n - 1] + accrual.assessment_delay
        if accrual.incomplete != "analyse":
            continue
        rule = design.rule
        q = rule.statistics(int(n), counts[rows, n - 1, :])  # (rows, E)
        weak = q < rule.lam
        nogo = np.zeros(int(rows.sum()), bool)
        for group in rule.groups:
            nogo |= weak[:, list(group)].all(axis=1)
        chosen = np.flatnonzero(rows)
        code[chosen[~nogo]] = ends.INCOMPLETE_GO


def _statistics(code: np.ndarray, enrolled: np.ndarray, end_time: np.ndarray) -> dict[str, Any]:
    """Sums that combine over chunks: outcome counts, sizes and times with their squares."""
    out: dict[str, Any] = {"trials": np.array([code.shape[0]])}
    for j in range(code.shape[1]):
        out[f"outcomes/{j}"] = np.bincount(code[:, j], minlength=len(ends.OUTCOMES))
        out[f"n/{j}"] = np.array([enrolled[:, j].sum(), (enrolled[:, j] ** 2).sum()], float)
    go = np.isin(code, ends.GO_CODES)
    out["any_go"] = np.array([go.any(axis=1).sum()])
    duration = end_time.max(axis=1)
    total = enrolled.sum(axis=1)
    out["duration"] = np.array([duration.sum(), (duration**2).sum()])
    out["n/all"] = np.array([total.sum(), (total.astype(float) ** 2).sum()])
    return out


def _frame(
    cohorts: Sequence[EndpointCohort],
    scenarios: Sequence[EndpointScenario],
    totals: list[dict[str, Any]],
    accrual: Accrual,
) -> pd.DataFrame:
    rows = []
    for scenario, stats in zip(scenarios, totals, strict=True):
        n = int(stats["trials"][0])

        def add(cohort: str, metric: str, estimate: float, mcse: float) -> None:
            rows.append((scenario.name, cohort, metric, float(estimate), float(mcse)))  # noqa: B023

        for j, cohort in enumerate(cohorts):
            outcome_rows(add, cohort.name, stats[f"outcomes/{j}"], n, accrual)
            add(cohort.name, "en", *mean_with_se(stats[f"n/{j}"], n))
        add(_ALL, "p_any_go", *proportion(stats["any_go"][0], n))
        add(_ALL, "en", *mean_with_se(stats["n/all"], n))
        add(_ALL, "duration", *mean_with_se(stats["duration"], n))
    return pd.DataFrame(rows, columns=["scenario", "cohort", "metric", "estimate", "mcse"])
