"""Compiled inner loops of the simulator: arrival times and independent cohorts.

Both replace numpy passes that cost far more than the random numbers they use
(cumulative sums along a short last axis, then a few dozen masked, fancy-indexed
passes over all trials, one per look). Here each is one pass per trial, in
numba. They compute exactly what the numpy code did, operation for operation
(sequential sums, the same divisions and comparisons, no fast-math), so every
simulated number is bit-identical to it; ``tests/test_compiled_kernel.py``
checks them against the plain numpy formulation.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["arrival_times", "independent_trials"]

from .outcomes import ACTIVE as _ACTIVE
from .outcomes import CONSIDER as _CONSIDER
from .outcomes import EFFICACY as _EFFICACY
from .outcomes import FUTILITY as _FUTILITY
from .outcomes import GO as _GO
from .outcomes import INCOMPLETE as _INCOMPLETE
from .outcomes import INCOMPLETE_GO as _INCOMPLETE_GO
from .outcomes import NOGO as _NOGO
from .outcomes import TOX_DRAW as _TOX
from .outcomes import TOXICITY as _TOXICITY


@njit(cache=True, nogil=True)
def _arrival_times(gaps: np.ndarray, scale: np.ndarray, n_max: np.ndarray) -> None:
    size, n_cohorts, width = gaps.shape
    for b in range(size):
        for j in range(n_cohorts):
            total = 0.0
            for i in range(width):
                total += gaps[b, j, i]
                gaps[b, j, i] = total / scale[j] if i < n_max[j] else np.inf


def arrival_times(gaps: np.ndarray, scale: np.ndarray, n_max: np.ndarray) -> np.ndarray:
    """Arrivals from exponential gaps, in place: cumulative sum / scale, +inf beyond N_j.

    Parameters
    ----------
    gaps : ndarray of shape (B, J, width), float64
        Standard exponential gaps; overwritten with the arrival times.
    scale : ndarray of shape (J,)
        Each cohort's accrual rate (patients per month).
    n_max : ndarray of shape (J,)
        Each cohort's maximum size: arrivals of later patients are +inf.
    """
    _arrival_times(
        gaps, np.ascontiguousarray(scale, dtype=np.float64), np.asarray(n_max, dtype=np.int64)
    )
    return gaps


@njit(cache=True, nogil=True)
def _independent_trials(
    arrivals: np.ndarray,
    response_u: np.ndarray,
    toxicity_u: np.ndarray,
    response_rate: np.ndarray,
    toxicity_if_response: np.ndarray,
    toxicity_if_none: np.ndarray,
    event_start: np.ndarray,
    kind: np.ndarray,
    look: np.ndarray,
    count: np.ndarray,
    lower: np.ndarray,
    upper: np.ndarray,
    final: np.ndarray,
    delay: float,
    closes: float,
    reached_go: np.ndarray,
    analyse_incomplete: bool,
    code: np.ndarray,
    enrolled: np.ndarray,
    end_time: np.ndarray,
    look_time: np.ndarray,
) -> None:
    size, n_cohorts, width = arrivals.shape
    with_toxicity = toxicity_u.shape[2] == width
    per_trial = response_rate.shape[0] > 1
    responses = np.zeros(width + 1, dtype=np.int64)
    toxicities = np.zeros(width + 1, dtype=np.int64)
    for b in range(size):
        row = b if per_trial else 0
        for j in range(n_cohorts):
            x = 0
            t = 0
            rate = response_rate[row, j]
            for i in range(width):
                responded = response_u[b, j, i] < rate
                x += responded
                responses[i + 1] = x
                if with_toxicity:
                    limit = toxicity_if_response[j] if responded else toxicity_if_none[j]
                    t += toxicity_u[b, j, i] < limit
                    toxicities[i + 1] = t
            outcome = _ACTIVE
            stop = np.inf
            for e in range(event_start[j], event_start[j + 1]):
                n = count[e]
                arrival = arrivals[b, j, n - 1]
                if arrival > closes:
                    outcome = _INCOMPLETE
                    break
                time = arrival + delay
                if kind[e] == _TOX:
                    if toxicities[n] >= upper[e]:
                        outcome, stop = _TOXICITY, time
                        break
                    continue
                look_time[b, j, look[e]] = time
                if responses[n] >= upper[e]:
                    outcome, stop = (_GO if final[e] else _EFFICACY), time
                    break
                if responses[n] <= lower[e]:
                    outcome, stop = (_NOGO if final[e] else _FUTILITY), time
                    break
                if final[e]:  # between the final bounds of a Go / Consider / No-Go design
                    outcome, stop = _CONSIDER, time
                    break
            if outcome == _INCOMPLETE:
                stop = closes
            cut = min(stop, closes)
            n_enrolled = 0
            while n_enrolled < width and arrivals[b, j, n_enrolled] <= cut:
                n_enrolled += 1
            enrolled[b, j] = n_enrolled
            if outcome == _INCOMPLETE:
                if analyse_incomplete and responses[n_enrolled] >= reached_go[j, n_enrolled]:
                    outcome = _INCOMPLETE_GO
                stop = arrivals[b, j, n_enrolled - 1] + delay if n_enrolled > 0 else closes
            code[b, j] = outcome
            end_time[b, j] = stop


def independent_trials(
    arrivals: np.ndarray,
    response_u: np.ndarray,
    toxicity_u: np.ndarray | None,
    response_rate: np.ndarray,
    toxicity_limits: tuple[np.ndarray, np.ndarray] | None,
    events: dict[str, np.ndarray],
    delay: float,
    closes: float,
    reached_go: np.ndarray | None,
    n_looks: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every cohort analysed on its own data: one pass per trial and cohort.

    Parameters
    ----------
    arrivals, response_u, toxicity_u : ndarray of shape (B, J, width)
        The chunk's draws (arrivals sorted, +inf beyond N_j).
    response_rate : ndarray of shape (J,) or (B, J)
        True response rates (per trial when drawn from a design prior): a patient
        responds if their uniform is below it.
    toxicity_limits : (ndarray, ndarray), optional
        P(toxicity | response) and P(toxicity | no response) per cohort (both the
        marginal rate when independent); None when no cohort monitors toxicity.
    events : dict of ndarray
        The looks, cohort-major and in order of n (``start`` has the J + 1
        offsets of each cohort's events; ``kind``, ``look``, ``count``,
        ``lower``, ``upper``, ``final`` one entry per event).
    delay, closes : float
        Assessment delay and close of enrolment (months; inf when none).
    reached_go : ndarray of shape (J, width + 1), optional
        GO bound at each n reached, for cohorts analysed when incomplete (None: NO-GO).
    n_looks : int
        Most response looks of any cohort.

    Returns
    -------
    code, enrolled, end_time, look_time
        As in :class:`~adaptive_pilot.simulation.kernel.TrialOutcomes`.
    """
    size, n_cohorts, width = arrivals.shape
    code = np.empty((size, n_cohorts), dtype=np.int8)
    enrolled = np.empty((size, n_cohorts), dtype=np.int32)
    end_time = np.empty((size, n_cohorts))
    look_time = np.full((size, n_cohorts, n_looks), np.nan)
    rates = np.zeros(n_cohorts)
    given_response, given_none = (rates, rates) if toxicity_limits is None else toxicity_limits
    if toxicity_u is None or toxicity_limits is None:
        toxicity_u = np.zeros((1, 1, 0))  # width 0: no toxicity counted
    _independent_trials(
        arrivals,
        response_u,
        toxicity_u,
        np.ascontiguousarray(np.atleast_2d(np.asarray(response_rate, dtype=np.float64))),
        np.asarray(given_response, dtype=np.float64),
        np.asarray(given_none, dtype=np.float64),
        events["start"],
        events["kind"],
        events["look"],
        events["count"],
        events["lower"],
        events["upper"],
        events["final"],
        float(delay),
        float(closes),
        np.zeros((n_cohorts, width + 1), dtype=np.int64) if reached_go is None else reached_go,
        reached_go is not None,
        code,
        enrolled,
        end_time,
        look_time,
    )
    return code, enrolled, end_time, look_time
