"""Vectorised multi-cohort trial kernel: one call simulates a whole chunk of trials.

The random draws of a chunk (arrival times and one uniform per patient for
response and for toxicity) are made once and shared by every scenario, so
scenarios are compared on common random numbers. A patient responds if their
uniform is below the cohort's true rate.

The trial is a sequence of *events*: for each cohort, its response looks and its
toxicity looks, each at a number of evaluable patients n, happening when the n-th
patient's outcome is known (arrival + assessment delay). With independent
analysis the events of a cohort are processed in order of n (toxicity first on
ties); with hierarchical borrowing, in order of calendar time across cohorts,
because a cohort's decision uses the other cohorts' data available at that time.
Loops run over events (a few dozen), never over patients or trials.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from ..cohorts.quadrature import row_index
from ..cohorts.tables import PosteriorTables
from ..cohorts.trial import Accrual, TrialDesign, posterior_tables
from .compiled import arrival_times, independent_trials
from .outcomes import ACTIVE as _ACTIVE
from .outcomes import (
    CONSIDER,
    EFFICACY,
    FUTILITY,
    GO,
    INCOMPLETE,
    INCOMPLETE_GO,
    NOGO,
    OUTCOMES,
    TOXICITY,
)
from .outcomes import RESPONSE_DRAW as _RESPONSE
from .outcomes import TOX_DRAW as _TOX

__all__ = [
    "OUTCOMES",
    "ChunkDraws",
    "TrialOutcomes",
    "accrual_arrivals",
    "draw",
    "run_trials",
    "shared_tables",
]


@dataclass(frozen=True)
class ChunkDraws:
    """Random draws for one chunk: arrivals (B, J, Nmax) sorted, +inf beyond N_j; uniforms."""

    arrivals: np.ndarray
    response_u: np.ndarray
    toxicity_u: np.ndarray | None


@dataclass(frozen=True)
class TrialOutcomes:
    """Per-trial, per-cohort results of one scenario: outcome code, patients, end time."""

    code: np.ndarray  # (B, J) int8, see OUTCOMES
    enrolled: np.ndarray  # (B, J) int32
    end_time: np.ndarray  # (B, J) float64, months from the first arrival-clock start
    # (B, J) with borrowing: P(p_j > p0_j | all data) at the cohort's final analysis
    # (final look, or at the n reached when enrolment closed); NaN where there was none.
    # Decisions at a final analysis change nothing else in the trial, so P(GO) under
    # any GO threshold g is P(early efficacy) + P(final_prob >= g) on the same trials.
    final_prob: np.ndarray
    # (B, J, K) calendar month of each response look that took place (NaN: none)
    look_time: np.ndarray


_TABLES: dict[str, PosteriorTables] = {}


def shared_tables(trial: TrialDesign) -> PosteriorTables:
    """The trial's posterior tables, built once per process (and kept for the next chunk).

    Workers build their own copy on their first chunk instead of receiving the
    tables with every chunk; the build is deterministic, so every process holds
    the same numbers.
    """
    key = trial.content_hash()
    if key not in _TABLES:
        if len(_TABLES) >= 4:
            _TABLES.clear()
        _TABLES[key] = posterior_tables(trial)
    return _TABLES[key]


# ------------------------------------------------------------------ draws
def draw(trial: TrialDesign, rng: np.random.Generator, size: int) -> ChunkDraws:
    """Arrival times and per-patient uniforms for ``size`` trials (one fixed draw order)."""
    n_max = np.array([c.n_max for c in trial.cohorts])
    shares = np.array([c.share for c in trial.cohorts])
    arrivals = accrual_arrivals(trial.accrual, shares, n_max, rng, size)
    response_u = rng.random((size, len(trial.cohorts), int(n_max.max())))
    toxicity_u = rng.random(response_u.shape) if trial.monitors_toxicity else None
    return ChunkDraws(arrivals, response_u, toxicity_u)


def accrual_arrivals(
    accrual: Accrual, shares: np.ndarray, n_max: np.ndarray, rng: np.random.Generator, size: int
) -> np.ndarray:
    """Arrival times (B, J, max N) of each cohort's patients, sorted, +inf beyond N_j.

    ``allocation: prevalence``: cohort j's arrivals are a Poisson process at rate
    share_j x rate; ``fixed``: one Poisson clock dealt to the cohorts by smooth weighted
    round-robin in proportion to the shares.
    """
    width = int(n_max.max())
    rate = accrual.rate
    if accrual.allocation == "prevalence":
        gaps = rng.standard_exponential((size, len(shares), width))
        return arrival_times(gaps, shares * rate, n_max)
    beyond = np.arange(width)[None, :] >= n_max[:, None]  # (J, width)
    slots = _fixed_slots(shares, n_max)
    clock = np.cumsum(rng.standard_exponential((size, int(slots.max()) + 1)), axis=1) / rate
    arrivals = clock[:, slots]  # (B, J, width)
    arrivals[:, beyond] = np.inf
    return arrivals


def _fixed_slots(shares: np.ndarray, n_max: np.ndarray) -> np.ndarray:
    """Arrival index of each cohort's i-th slot under smooth weighted round-robin."""
    width = int(n_max.max())
    slots = np.zeros((shares.size, width), dtype=np.int64)
    filled = np.zeros(shares.size, dtype=np.int64)
    credit = np.zeros(shares.size)
    position = 0
    while np.any(filled < width):
        credit += shares
        j = int(np.argmax(credit))
        credit[j] -= 1.0
        if filled[j] < width:
            slots[j, filled[j]] = position
            filled[j] += 1
        position += 1
    return slots


# ------------------------------------------------------------------ events
@dataclass(frozen=True)
class _Events:
    cohort: np.ndarray
    kind: np.ndarray
    look: np.ndarray
    count: np.ndarray
    lower: np.ndarray  # response: futility bound (x <= lower stops); tox: unused
    upper: np.ndarray  # response: efficacy bound (x >= upper); tox: stopping count
    final: np.ndarray


@functools.lru_cache(maxsize=16)
def _events(trial: TrialDesign) -> _Events:
    """The trial's looks as events (cached: the toxicity bounds cost a posterior per look)."""
    rows = []
    for j, cohort in enumerate(trial.cohorts):
        table = cohort.table
        if cohort.toxicity is not None:
            for n, bound in cohort.toxicity.bounds().items():
                rows.append((j, _TOX, -1, n, -1, bound, False))
        for k, n in enumerate(table.looks):
            final = k == table.n_looks - 1
            rows.append((j, _RESPONSE, k, n, table.futility[k], table.efficacy[k], final))
    # cohort-major, then number of evaluable patients, toxicity first on ties
    rows.sort(key=lambda r: (r[0], r[3], r[1]))
    cols = list(zip(*rows, strict=True))
    return _Events(
        cohort=np.array(cols[0]),
        kind=np.array(cols[1]),
        look=np.array(cols[2]),
        count=np.array(cols[3]),
        lower=np.array(cols[4]),
        upper=np.array(cols[5]),
        final=np.array(cols[6]),
    )


# ------------------------------------------------------------------ kernel
def run_trials(
    trial: TrialDesign,
    draws: ChunkDraws,
    response_rates: np.ndarray,
    toxicity_rates: np.ndarray | None,
    tables: PosteriorTables | None = None,
    odds_ratio: np.ndarray | None = None,
) -> TrialOutcomes:
    """Simulate one scenario on a chunk of draws.

    Parameters
    ----------
    trial : TrialDesign
        Cohorts, accrual and borrowing model.
    draws : ChunkDraws
        From :func:`draw`.
    response_rates, toxicity_rates : ndarray of shape (J,)
        True rates per cohort (toxicity may be None when nothing is monitored); the
        response rates may be (B, J), one row per trial, when drawn from a design prior
        (then toxicity is independent of response).
    tables : PosteriorTables, optional
        Required with hierarchical borrowing
        (:func:`adaptive_pilot.cohorts.trial.posterior_tables`).
    odds_ratio : ndarray of shape (J,), optional
        Response-toxicity odds ratio per cohort (default 1: independent). A
        patient is toxic if their toxicity uniform is below P(toxicity | their
        response), from the Plackett cells of the exact joint OC, so the
        marginal rates stay the scenario's and the response draws do not change.
    """
    arrivals = draws.arrivals
    size, n_cohorts, _ = arrivals.shape
    delay = trial.accrual.assessment_delay
    closes = math.inf if trial.accrual.max_duration is None else trial.accrual.max_duration
    if trial.borrowing is None:
        return _independent(trial, draws, response_rates, toxicity_rates, odds_ratio, closes)
    if tables is None:
        raise ValueError("hierarchical borrowing needs posterior tables")
    true = np.asarray(response_rates, dtype=float)  # (J,), or (B, J) drawn per trial
    responded = draws.response_u < (true[None, :, None] if true.ndim == 1 else true[:, :, None])
    responses = _cumulative(responded)
    toxicities = None
    if draws.toxicity_u is not None:
        rates = np.zeros(n_cohorts) if toxicity_rates is None else toxicity_rates
        if odds_ratio is None or np.all(np.asarray(odds_ratio) == 1.0):
            toxic = draws.toxicity_u < np.asarray(rates, dtype=float)[None, :, None]
        else:
            given_response, given_none = _conditional_toxicity(response_rates, rates, odds_ratio)
            limit = np.where(responded, given_response[None, :, None], given_none[None, :, None])
            toxic = draws.toxicity_u < limit
        toxicities = _cumulative(toxic)
    events = _events(trial)
    n_events = events.cohort.size
    trials = np.arange(size)
    event_times = arrivals[:, events.cohort, events.count - 1] + delay  # (B, E)
    order = np.lexsort((np.broadcast_to(events.kind, event_times.shape), event_times), axis=1)

    code = np.full((size, n_cohorts), _ACTIVE, dtype=np.int8)
    final_prob = np.full((size, n_cohorts), math.nan)
    stop_time = np.full((size, n_cohorts), math.inf)
    n_looks = max(c.table.n_looks for c in trial.cohorts)
    look_time = np.full((size, n_cohorts, n_looks), math.nan)
    if trial.borrowing.timing == "joint":
        state = _State(code, stop_time, final_prob, look_time)
        _joint_looks(trial, arrivals, responses, toxicities, tables, state, closes)
    else:
        for r in range(n_events):
            e = order[:, r]
            j = events.cohort[e]
            active = code[trials, j] == _ACTIVE
            if not active.any():
                continue
            count = events.count[e]
            time = event_times[trials, e]
            late = active & (arrivals[trials, j, count - 1] > closes)
            if late.any():
                code[trials[late], j[late]] = INCOMPLETE
                active &= ~late
            is_tox = active & (events.kind[e] == _TOX)
            if is_tox.any():
                assert toxicities is not None  # toxicity events exist only with toxicity draws
                b = trials[is_tox]
                stop = toxicities[b, j[is_tox], count[is_tox]] >= events.upper[e[is_tox]]
                _decide(code, stop_time, b[stop], j[is_tox][stop], TOXICITY, time[is_tox][stop])
            is_resp = active & (events.kind[e] == _RESPONSE)
            if not is_resp.any():
                continue
            b = trials[is_resp]
            jj, ee, tt = j[is_resp], e[is_resp], time[is_resp]
            look_time[b, jj, events.look[ee]] = tt
            final = events.final[ee]
            # outcomes known at the event: patients who arrived by the event's own patient
            # (time - delay, taken from the arrivals: (a + d) - d can round below a)
            known = arrivals[b, jj, count[is_resp] - 1]
            limit = np.minimum(np.minimum(stop_time[b], closes), known[:, None])
            n_eval = np.sum(arrivals[b] <= limit[:, :, None], axis=2)
            x_eval = np.take_along_axis(responses[b], n_eval[:, :, None], axis=2)[:, :, 0]
            prob = tables.prob_greater(n_eval, x_eval, jj)
            fut, eff = trial.borrowing.stops(prob, final, events.look[ee], jj)
            final_prob[b[final], jj[final]] = prob[final]
            for mask, outcome_final, outcome_early in ((fut, NOGO, FUTILITY), (eff, GO, EFFICACY)):
                outcome = np.where(final[mask], outcome_final, outcome_early).astype(np.int8)
                _decide(code, stop_time, b[mask], jj[mask], outcome, tt[mask])
            if trial.borrowing.three_outcomes:  # between the final NO-GO and GO thresholds
                between = final & ~fut & ~eff
                _decide(code, stop_time, b[between], jj[between], CONSIDER, tt[between])

    # Enrolment: arrivals up to the decision (or the close of enrolment).
    incomplete = code == INCOMPLETE
    stop_time[incomplete] = closes
    enrolled = np.sum(arrivals <= np.minimum(stop_time, closes)[:, :, None], axis=2)
    if trial.accrual.incomplete == "analyse" and incomplete.any():
        _analyse_incomplete(trial, code, responses, enrolled, incomplete, tables, final_prob)
    end_time = stop_time.copy()
    if incomplete.any():
        last = np.take_along_axis(arrivals, np.maximum(enrolled - 1, 0)[:, :, None], axis=2)[
            :, :, 0
        ]
        end_time[incomplete] = np.where(enrolled > 0, last + delay, closes)[incomplete]
    return TrialOutcomes(code, enrolled.astype(np.int32), end_time, final_prob, look_time)


@dataclass(frozen=True)
class _State:
    """Per-trial, per-cohort state the event loops update in place."""

    code: np.ndarray
    stop_time: np.ndarray
    final_prob: np.ndarray
    look_time: np.ndarray


def _joint_looks(
    trial: TrialDesign,
    arrivals: np.ndarray,
    responses: np.ndarray,
    toxicities: np.ndarray | None,
    tables: PosteriorTables,
    state: _State,
    closes: float,
) -> None:
    """Joint analyses: look k of every running cohort at once.

    By default look k takes place when every cohort still running has the outcome
    of its n_k-th patient (cohorts that cannot reach n_k before enrolment closes do
    not wait for it and end incomplete). With calendar months (``joint_months``)
    interim k takes place at month t_k instead, for every running cohort with at
    least its first look's number of outcomes, unless the cohorts' final analysis
    comes first; the final analysis is always when the slowest running cohort has
    its N. Each cohort is analysed on every outcome known at the time (the final
    look has exactly N); a stopped cohort contributes the outcomes of the patients
    it enrolled before it stopped. Toxicity looks are processed in calendar order
    in between, each cohort on its own, as with per-cohort timing.
    """
    borrowing = trial.borrowing
    assert borrowing is not None
    code, stop_time, final_prob = state.code, state.stop_time, state.final_prob
    size, n_cohorts, _ = arrivals.shape
    delay = trial.accrual.assessment_delay
    trials = np.arange(size)
    cohorts = np.arange(n_cohorts)
    looks = np.array([c.table.looks for c in trial.cohorts])  # (J, K): equal K, checked
    tox = [
        (j, n, bound)
        for j, c in enumerate(trial.cohorts)
        if c.toxicity is not None
        for n, bound in c.toxicity.bounds().items()
    ]
    tox_j, tox_n, tox_bound = (
        (np.array(v, dtype=np.int64) for v in zip(*tox, strict=True))
        if tox
        else (np.zeros(0, np.int64),) * 3
    )
    tox_arrival = arrivals[:, tox_j, tox_n - 1]  # (B, E): arrival of the look's n-th patient
    tox_order = np.argsort(tox_arrival, axis=1, kind="stable")
    tox_sorted = np.take_along_axis(tox_arrival, tox_order, axis=1)
    pointer = np.zeros(size, dtype=np.int64)
    late = np.zeros((size, n_cohorts), dtype=bool)

    def toxicity_until(limit: np.ndarray) -> None:
        """Process, in time order, each trial's toxicity looks with arrival <= limit."""
        if not tox:
            return
        while True:
            index = np.minimum(pointer, len(tox) - 1)
            arrival = tox_sorted[trials, index]
            due = (pointer < len(tox)) & (arrival <= limit)
            if not due.any():
                return
            b = trials[due]
            e = tox_order[b, index[due]]
            j = tox_j[e]
            alive = (code[b, j] == _ACTIVE) & (arrival[due] <= closes)
            assert toxicities is not None
            stop = alive & (toxicities[b, j, tox_n[e]] >= tox_bound[e])
            _decide(code, stop_time, b[stop], j[stop], TOXICITY, arrival[due][stop] + delay)
            pointer[due] += 1

    n_looks = looks.shape[1]
    months = borrowing.joint_months
    for k in range(n_looks):
        final = k == n_looks - 1
        reach = arrivals[:, cohorts, looks[:, k] - 1]  # (B, J)
        if months is not None and not final:
            # a calendar interim: every running cohort with at least its first look's
            # patients, on what is known at the month, unless its final analysis
            # (when the slowest running cohort has its N) comes first
            when = np.full(size, months[k] - delay)  # in arrival time
            toxicity_until(when)
            running = code == _ACTIVE
            full = arrivals[:, cohorts, looks[:, -1] - 1]
            final_at = np.max(np.where(running & (full <= closes), full, -math.inf), axis=1)
            first = arrivals[:, cohorts, looks[:, 0] - 1]
            joining = running & (final_at > when)[:, None] & (first <= min(when[0], closes))
        else:
            while True:
                running = code == _ACTIVE
                late |= running & (reach > closes)
                joining = running & ~late
                when = np.max(np.where(joining, reach, -math.inf), axis=1)  # in arrival time
                before = pointer.copy()
                toxicity_until(when)
                if np.array_equal(before, pointer):
                    break
            joining = (code == _ACTIVE) & ~late
        b_any = np.nonzero(joining.any(axis=1))[0]
        if b_any.size == 0:
            continue
        limit = np.minimum(np.minimum(stop_time[b_any], closes), when[b_any, None])
        n_eval = np.sum(arrivals[b_any] <= limit[:, :, None], axis=2)
        x_eval = np.take_along_axis(responses[b_any], n_eval[:, :, None], axis=2)[:, :, 0]
        rows, jj = np.nonzero(joining[b_any])
        b = b_any[rows]
        prob = _shared_evaluations(tables, n_eval[rows], x_eval[rows], jj)
        fut, eff = borrowing.stops(prob, np.full(b.size, final), np.full(b.size, k), jj)
        if final:
            final_prob[b, jj] = prob
        time = when[b] + delay
        state.look_time[b, jj, k] = time
        for mask, outcome in ((fut, NOGO if final else FUTILITY), (eff, GO if final else EFFICACY)):
            _decide(code, stop_time, b[mask], jj[mask], outcome, time[mask])
        if final and borrowing.three_outcomes:  # between the final NO-GO and GO thresholds
            between = ~fut & ~eff
            _decide(code, stop_time, b[between], jj[between], CONSIDER, time[between])
    # cohorts that could not reach a look: toxicity until enrolment closes, then incomplete
    toxicity_until(np.full(size, closes))
    code[code == _ACTIVE] = INCOMPLETE


class _Memo:
    """Posterior probabilities already computed in this process, by dataset key.

    Keys are sorted integers with their values; a lookup is one binary search.
    A probability depends only on its dataset (every row is computed on its
    own), so reusing it leaves results bit-identical for any chunk order.
    """

    LIMIT = 4_000_000

    def __init__(self) -> None:
        self.keys = np.zeros(0, dtype=np.int64)
        self.values = np.zeros(0)

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, values where found) for sorted distinct ``keys``."""
        at = np.searchsorted(self.keys, keys)
        found = at < self.keys.size
        found[found] = self.keys[at[found]] == keys[found]
        if not self.keys.size:
            return found, np.zeros(keys.size)
        return found, self.values[np.minimum(at, self.keys.size - 1)]

    def add(self, keys: np.ndarray, values: np.ndarray) -> None:
        if self.keys.size + keys.size > self.LIMIT:
            self.keys, self.values = np.zeros(0, dtype=np.int64), np.zeros(0)
        merged = np.concatenate([self.keys, keys])
        order = np.argsort(merged, kind="stable")
        self.keys = merged[order]
        self.values = np.concatenate([self.values, values])[order]


_MEMOS: dict[int, tuple[PosteriorTables, _Memo]] = {}


def _memo(tables: PosteriorTables) -> _Memo:
    entry = _MEMOS.get(id(tables))
    if entry is None or entry[0] is not tables:
        if len(_MEMOS) >= 4:
            _MEMOS.clear()
        entry = (tables, _Memo())
        _MEMOS[id(tables)] = entry
    return entry[1]


def _shared_evaluations(
    tables: PosteriorTables, n: np.ndarray, x: np.ndarray, target: np.ndarray
) -> np.ndarray:
    """``tables.prob_greater`` once per distinct (n, x, target), remembered across chunks.

    With joint looks many trials reach the same data (every cohort at n_k), so
    the distinct datasets are far fewer than the trials at a look. Each dataset
    is encoded as one integer (its cohorts' table rows and the target) when that
    fits in 63 bits; the values already computed in this process are reused.
    """
    rows = row_index(n, x).astype(np.int64)  # (S, J) table rows
    n_rows = tables.full_rows
    width = rows.shape[1]
    if (width + 1) * math.log2(max(n_rows, width, 2)) >= 62:
        return tables.prob_greater(n, x, target)
    key = np.asarray(target, dtype=np.int64)
    for j in range(width):
        key = key * n_rows + rows[:, j]
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    memo = _memo(tables)
    found, values = memo.lookup(unique)
    values = values.copy()
    missing = ~found
    if missing.any():
        pick = first[missing]
        values[missing] = tables.prob_greater(n[pick], x[pick], np.asarray(target)[pick])
        memo.add(unique[missing], values[missing])
    return values[inverse.ravel()]


def _analyse_incomplete(
    trial: TrialDesign,
    code: np.ndarray,
    responses: np.ndarray,
    enrolled: np.ndarray,
    incomplete: np.ndarray,
    tables: PosteriorTables,
    final_prob: np.ndarray,
) -> None:
    """GO or NO-GO for cohorts short of their final look, at the n they reached (borrowing).

    The analysis takes place once every enrolled patient's outcome is known
    (close + delay) and uses every cohort's data then (all patients enrolled
    before each cohort stopped or enrolment closed).
    """
    assert trial.borrowing is not None
    b, j = np.nonzero(incomplete)
    n = enrolled[b, j]
    x_all = np.take_along_axis(responses[b], enrolled[b][:, :, None], axis=2)[:, :, 0]
    prob = tables.prob_greater(enrolled[b], x_all, j)
    prob = np.where(n > 0, prob, np.nan)
    final_prob[b, j] = prob
    go = trial.borrowing.stops(prob, np.ones(b.size, dtype=bool), np.zeros(b.size, int), j)[1]
    code[b[go], j[go]] = INCOMPLETE_GO


def _independent(
    trial: TrialDesign,
    draws: ChunkDraws,
    response_rates: np.ndarray,
    toxicity_rates: np.ndarray | None,
    odds_ratio: np.ndarray | None,
    closes: float,
) -> TrialOutcomes:
    """Cohorts analysed on their own data only: the compiled per-trial pass.

    Each cohort's looks are taken in order of n (toxicity first on ties); a cohort
    short of its final look when enrolment closes is analysed at the n it
    reached by the rule's bound there (``reached_go``), or is a NO-GO.
    """
    n_cohorts = len(trial.cohorts)
    response = np.asarray(response_rates, dtype=float)
    limits = None
    if draws.toxicity_u is not None:
        rates = np.zeros(n_cohorts) if toxicity_rates is None else np.asarray(toxicity_rates, float)
        if odds_ratio is None or np.all(np.asarray(odds_ratio) == 1.0):
            limits = (rates, rates)
        else:
            limits = _conditional_toxicity(response, rates, odds_ratio)
    reached = None
    if trial.accrual.incomplete == "analyse":
        reached = np.zeros((n_cohorts, draws.arrivals.shape[2] + 1), dtype=np.int64)
        for j, cohort in enumerate(trial.cohorts):
            bounds = cohort.reached_go_bounds()
            reached[j, : bounds.size] = bounds
    code, enrolled, end_time, look_time = independent_trials(
        draws.arrivals,
        draws.response_u,
        draws.toxicity_u,
        response,
        limits,
        _event_arrays(trial),
        trial.accrual.assessment_delay,
        closes,
        reached,
        max(c.table.n_looks for c in trial.cohorts),
    )
    final_prob = np.full(code.shape, math.nan)
    return TrialOutcomes(code, enrolled, end_time, final_prob, look_time)


@functools.lru_cache(maxsize=16)
def _event_arrays(trial: TrialDesign) -> dict[str, np.ndarray]:
    """The looks as contiguous typed arrays, with each cohort's first event offset."""
    events = _events(trial)
    start = np.searchsorted(events.cohort, np.arange(len(trial.cohorts) + 1))
    return {
        "start": start.astype(np.int64),
        "kind": events.kind.astype(np.int64),
        "look": events.look.astype(np.int64),
        "count": events.count.astype(np.int64),
        "lower": events.lower.astype(np.int64),
        "upper": events.upper.astype(np.int64),
        "final": events.final.astype(np.bool_),
    }


def _decide(
    code: np.ndarray,
    stop_time: np.ndarray,
    b: np.ndarray,
    j: np.ndarray,
    outcome: int | np.ndarray,
    time: np.ndarray,
) -> None:
    code[b, j] = outcome
    stop_time[b, j] = time


def _conditional_toxicity(
    response: np.ndarray, toxicity: np.ndarray, odds_ratio: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """P(toxicity | response) and P(toxicity | no response) per cohort (Plackett cells)."""
    from ..oc.joint import category_probabilities

    r = np.asarray(response, dtype=float)
    t = np.asarray(toxicity, dtype=float)
    cells = category_probabilities(r, t, odds_ratio)  # (J, 4): p11, p10, p01, p00
    with np.errstate(invalid="ignore", divide="ignore"):
        given_response = np.where(r > 0, cells[:, 0] / r, t)
        given_none = np.where(r < 1, cells[:, 2] / (1 - r), t)
    return np.clip(given_response, 0, 1), np.clip(given_none, 0, 1)


def _cumulative(hits: np.ndarray) -> np.ndarray:
    """Counts among the first n patients, n = 0..width: shape (B, J, width + 1)."""
    out = np.zeros((*hits.shape[:2], hits.shape[2] + 1), dtype=np.int16)
    np.cumsum(hits, axis=2, out=out[:, :, 1:])
    return out
