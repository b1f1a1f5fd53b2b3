"""The compiled passes of the simulator against plain per-trial Python.

The reference below follows each simulated trial and cohort patient by patient
and look by look, as the protocol reads, with no arrays shared between trials;
the compiled kernel must give the same outcome code, patients enrolled, end
time and look times, bit for bit.
"""

from __future__ import annotations

import math
import platform
import subprocess
import sys

import numpy as np
import pytest

from adaptive_pilot import BetaPrior, BoundaryTable, ToxicityRule
from adaptive_pilot.cohorts.trial import Accrual, Cohort, TrialDesign
from adaptive_pilot.simulation.compiled import arrival_times
from adaptive_pilot.simulation.kernel import _conditional_toxicity, _events, draw, run_trials

TOXICITY = ToxicityRule(0.3, 0.8, BetaPrior(0.3, 0.7), (4, 8, 12, 16))


def _trial(max_duration: float | None, incomplete: str, allocation: str) -> TrialDesign:
    """Three cohorts of different sizes: interim efficacy and futility, toxicity looks."""
    cohorts = (
        Cohort(
            "A",
            0.5,
            BoundaryTable(looks=(6, 12, 18), futility=(0, 1, 4), efficacy=(4, 6, 5)),
            0.1,
            TOXICITY,
            reached_go=tuple(min(n + 1, 1 + n // 4) for n in range(18)),
        ),
        Cohort("B", 0.3, BoundaryTable(looks=(10, 20), futility=(1, 4), efficacy=(None, 5)), 0.1),
        Cohort(
            "C",
            0.2,
            BoundaryTable(looks=(5, 10, 15), futility=(-1, 1, 2), efficacy=(None, None, 3)),
            0.1,
            TOXICITY,
        ),
    )
    accrual = Accrual(2.5, allocation, 1.5, max_duration, incomplete)
    return TrialDesign("compiled-check", cohorts, accrual)


def _reference(trial, draws, response, toxicity, odds_ratio):
    """One trial and cohort at a time, in plain Python."""
    size, n_cohorts, _ = draws.arrivals.shape
    events = _events(trial)
    closes = math.inf if trial.accrual.max_duration is None else trial.accrual.max_duration
    delay = trial.accrual.assessment_delay
    if odds_ratio is None:
        if_response = if_none = toxicity
    else:
        if_response, if_none = _conditional_toxicity(response, toxicity, odds_ratio)
    n_looks = max(c.table.n_looks for c in trial.cohorts)
    code = np.zeros((size, n_cohorts), dtype=np.int8)
    enrolled = np.zeros((size, n_cohorts), dtype=np.int32)
    end_time = np.zeros((size, n_cohorts))
    look_time = np.full((size, n_cohorts, n_looks), math.nan)
    for b in range(size):
        for j, cohort in enumerate(trial.cohorts):
            arrivals = draws.arrivals[b, j]
            responded = [u < response[j] for u in draws.response_u[b, j]]
            toxic = [
                u < (if_response[j] if r else if_none[j])
                for u, r in zip(draws.toxicity_u[b, j], responded, strict=True)
            ]
            outcome, stop = -1, math.inf
            for e in np.nonzero(events.cohort == j)[0]:
                n = int(events.count[e])
                if arrivals[n - 1] > closes:
                    outcome = 5
                    break
                time = arrivals[n - 1] + delay
                if events.kind[e] == 0:  # toxicity look
                    if sum(toxic[:n]) >= events.upper[e]:
                        outcome, stop = 4, time
                        break
                    continue
                look_time[b, j, events.look[e]] = time
                x = sum(responded[:n])
                if x >= events.upper[e]:
                    outcome, stop = (0 if events.final[e] else 3), time
                    break
                if x <= events.lower[e]:
                    outcome, stop = (1 if events.final[e] else 2), time
                    break
            cut = closes if outcome == 5 else min(stop, closes)
            n = int(sum(a <= cut for a in arrivals))
            if outcome == 5:
                go = sum(responded[:n]) >= cohort.reached_go_bounds()[n]
                if trial.accrual.incomplete == "analyse" and go:
                    outcome = 6
                stop = arrivals[n - 1] + delay if n > 0 else closes
            code[b, j], enrolled[b, j], end_time[b, j] = outcome, n, stop
    return code, enrolled, end_time, look_time


@pytest.mark.parametrize(
    ("max_duration", "incomplete", "allocation", "odds_ratio"),
    [
        (None, "analyse", "prevalence", None),
        (9.0, "analyse", "prevalence", np.array([4.0, 1.0, 0.3])),
        (9.0, "no_go", "fixed", None),
    ],
)
def test_compiled_independent_trials_match_plain_python(
    max_duration, incomplete, allocation, odds_ratio
):
    trial = _trial(max_duration, incomplete, allocation)
    draws = draw(trial, np.random.default_rng(11), 400)
    response = np.array([0.25, 0.1, 0.4])
    toxicity = np.array([0.2, 0.3, 0.35])
    out = run_trials(trial, draws, response, toxicity, odds_ratio=odds_ratio)
    code, enrolled, end_time, look_time = _reference(trial, draws, response, toxicity, odds_ratio)
    np.testing.assert_array_equal(out.code, code)
    np.testing.assert_array_equal(out.enrolled, enrolled)
    np.testing.assert_array_equal(out.end_time, end_time)
    np.testing.assert_array_equal(out.look_time, look_time)
    assert np.all(np.isnan(out.final_prob))
    # every way a cohort can end occurs: GO, NO-GO, futility, efficacy, toxicity, incomplete
    expected = {0, 1, 2, 3, 4}
    if max_duration is not None:
        expected |= {5, 6} if incomplete == "analyse" else {5}
    assert set(np.unique(code).tolist()) == expected


def test_arrival_times_are_the_cumulative_gaps_over_the_rate_bit_for_bit():
    rng = np.random.default_rng(5)
    gaps = rng.standard_exponential((50, 3, 20))
    scale = np.array([0.7, 1.9, 3.1])
    n_max = np.array([20, 7, 13])
    expected = np.cumsum(gaps, axis=2) / scale[None, :, None]
    expected[:, np.arange(20)[None, :] >= n_max[:, None]] = math.inf
    np.testing.assert_array_equal(arrival_times(gaps.copy(), scale, n_max), expected)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="a glibc allocator setting")
def test_workers_keep_freed_memory_on_glibc():
    script = (
        "from adaptive_pilot.simulation.workers import keep_freed_memory;print(keep_freed_memory())"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "True", done.stderr
