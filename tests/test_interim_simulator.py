"""Hierarchical interim calls decide exactly as the simulator, on the simulator's own data.

The simulator draws arrivals and responses for a chunk of trials and decides
each cohort at its look events on the borrowed posterior. Here every look
event of those trials is replayed as an interim call: at the event's time
each cohort's evaluable patients and responses are counted from the same
draws (patients of a cohort that had stopped count up to its stop), and the
call (:func:`adaptive_pilot.interim.borrowing.decide_borrowed`, what
``interim --analysis hierarchical`` runs) must give the simulator's decision
for the cohort at the look: the simulated outcome at the event that ended
the cohort, ``continue`` at every earlier look.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from adaptive_pilot.cohorts.trial import posterior_tables
from adaptive_pilot.interim.borrowing import decide_borrowed
from adaptive_pilot.patients.counts import CohortCounts
from adaptive_pilot.simulation import kernel, outcomes
from adaptive_pilot.spec import load_design
from test_interim import DESIGN

_DECISION = {
    outcomes.GO: "go",
    outcomes.NOGO: "no_go",
    outcomes.FUTILITY: "stop_futility",
    outcomes.EFFICACY: "stop_efficacy",
}


def _counts(name: str, n: int, x: int) -> CohortCounts:
    return CohortCounts(name, n, n, x, 0, n, 0, 0, 0)


def test_hierarchical_calls_equal_the_simulators_decisions():
    plan = load_design(DESIGN).interim_plan("hierarchical")
    trial = plan.borrowing
    assert trial is not None
    n_cohorts = len(trial.cohorts)
    draws = kernel.draw(trial, np.random.default_rng(20261121), 100)
    rates = np.array([0.0, 0.02, 0.15, 0.35])[:n_cohorts]
    tables = posterior_tables(trial)
    outcome = kernel.run_trials(trial, draws, rates, np.zeros(n_cohorts), tables)
    responses = np.cumsum(draws.response_u < rates[None, :, None], axis=2)
    responses = np.concatenate([np.zeros((*responses.shape[:2], 1), int), responses], axis=2)
    delay = trial.accrual.assessment_delay
    closes = math.inf if trial.accrual.max_duration is None else trial.accrual.max_duration
    decided = np.isin(outcome.code, list(_DECISION))
    seen: Counter[str] = Counter()
    for b in range(draws.arrivals.shape[0]):
        arrivals = draws.arrivals[b]
        stops = np.where(decided[b], outcome.end_time[b], math.inf)
        for j, cohort in enumerate(trial.cohorts):
            for n in cohort.table.looks:
                if arrivals[j, n - 1] > closes:
                    break
                time = arrivals[j, n - 1] + delay
                if time > stops[j]:
                    break
                # what every cohort has at this moment (a stopped cohort: up to its stop)
                known = arrivals[j, n - 1]  # outcomes known at `time`: arrived by then - delay
                limit = np.minimum(np.where(stops <= time, stops, math.inf), known)
                limit = np.minimum(limit, closes)
                n_eval = np.sum(arrivals <= limit[:, None], axis=1)
                assert n_eval[j] == n
                counts = [
                    _counts(c.name, int(n_eval[i]), int(responses[b, i, n_eval[i]]))
                    for i, c in enumerate(trial.cohorts)
                ]
                # the simulator's tables for speed; the call's own (only the rows it needs)
                # on a sample of events: the same numbers
                own = seen.total() % 250 == 0
                call = decide_borrowed(plan, counts, None if own else tables)[j]
                ended = time == stops[j]
                expected = _DECISION[int(outcome.code[b, j])] if ended else "continue"
                assert call.decision == expected, (b, j, n, n_eval, call.reason)
                assert call.planned_look
                seen[expected] += 1
    # the replay covered every kind of decision the design can make
    assert {"continue", "stop_futility", "go", "no_go"} <= set(seen), seen
    assert seen.total() >= 600, seen
