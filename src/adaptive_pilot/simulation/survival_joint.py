"""The cohorts of a time-to-event design run together, with borrowing between them.

With :class:`~adaptive_pilot.cohorts.survival_borrowing.SurvivalModelAveraging`, a
cohort's posterior depends on every cohort's data, so the cohorts of one trial are
simulated together, in calendar time:

* each cohort's looks fall where its own design puts them (patients enrolled, events,
  months); the looks of all cohorts are taken in calendar order, trial by trial
  (vectorised: each pass takes every trial's next look);
* at a look of cohort j at calendar time tau, every cohort enters with the data seen
  by tau: its patients enrolled by tau (and before its own enrolment stopped), followed
  to tau. Patients of a stopped cohort are still followed (their data keep counting);
* the predictive probabilities impute cohort j's patients (those in follow-up, and for
  PP(max) those still to come) from its borrowed posterior; the other cohorts enter
  the imputed final analysis with their data as seen at the look
  (:class:`~adaptive_pilot.cohorts.survival_borrowing.BorrowedCohort`);
* cohort j's final analysis comes when its own patients are complete, with every
  cohort's data seen by then.

Without borrowing the cohorts are independent and
:func:`~adaptive_pilot.simulation.survival_monitoring.cohort_trials` runs each alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..cohorts.survival_borrowing import BorrowedCohort, SurvivalModelAveraging
from ..designs.survival_monitoring import (
    CONTINUE,
    EXPECTED_SUCCESS,
    FUTILITY,
    SurvivalMonitoringDesign,
)

__all__ = ["joint_cohort_trials", "state_at"]


def state_at(
    tau: np.ndarray,
    stopped_at: np.ndarray | float,
    arrivals: np.ndarray,
    event_time: np.ndarray,
    lost: np.ndarray,
    landmark: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A cohort's data as seen at calendar time ``tau`` (B,): (follow-up, event seen,
    enrolled, still in follow-up), each (B, N).

    Patients enrolled by tau and before the cohort's enrolment stopped (``stopped_at``,
    (B,) or inf) are followed for tau - arrival months, up to an event, dropout or the
    landmark.
    """
    t = np.asarray(tau, float)[:, None]
    stop = np.broadcast_to(np.asarray(stopped_at, float), t.shape[:1])[:, None]
    present = arrivals <= np.minimum(t, stop)
    followed = t - arrivals
    event_full = event_time <= np.minimum(lost, landmark)
    seen = event_full & (event_time <= followed)
    gone = (lost < np.minimum(event_time, landmark)) & (lost <= followed)
    follow_full = np.minimum(np.minimum(event_time, lost), landmark)
    y = np.where(present, np.minimum(follow_full, np.maximum(followed, 0.0)), 0.0)
    open_ = present & ~seen & ~gone & (y < landmark)
    return y, seen & present, present, open_


def joint_cohort_trials(
    designs: Sequence[SurvivalMonitoringDesign],
    model: SurvivalModelAveraging,
    arrivals: Sequence[np.ndarray],
    event_time: Sequence[np.ndarray],
    lost: Sequence[np.ndarray],
    rng: np.random.Generator,
    imputations: int | None = None,
) -> list[dict[str, np.ndarray]]:
    """Every cohort in every trial of a chunk, with borrowing (see the module).

    ``arrivals``, ``event_time`` and ``lost`` hold one (B, N_j) array per cohort.
    Returns per cohort what
    :func:`~adaptive_pilot.simulation.survival_monitoring.cohort_trials` returns.
    """
    n_cohorts = len(designs)
    size = arrivals[0].shape[0]
    landmark = designs[0].landmark
    look_times = [
        _look_times(d, a, t, lo)
        for d, a, t, lo in zip(designs, arrivals, event_time, lost, strict=True)
    ]
    last_arrival = np.stack([a[:, -1] for a in arrivals])  # (J, B)
    decision = np.full((n_cohorts, size), CONTINUE, dtype=np.int64)
    stopped = np.full((n_cohorts, size), np.inf)
    next_look = np.zeros((n_cohorts, size), dtype=np.int64)
    trial = np.arange(size)

    def data_at(
        rows: np.ndarray, tau: np.ndarray
    ) -> tuple[list[tuple[np.ndarray, ...]], np.ndarray, np.ndarray]:
        """Every cohort's state and (events, exposure) (R, J, K) at tau (R,)."""
        states: list[tuple[np.ndarray, ...]] = [
            state_at(
                tau,
                stopped[i, rows],
                arrivals[i][rows],
                event_time[i][rows],
                lost[i][rows],
                landmark,
            )
            for i in range(n_cohorts)
        ]
        pieces = [
            designs[i].rule.model.events_and_exposure(s[0], s[1], s[2])
            for i, s in enumerate(states)
        ]
        events = np.stack([p[0] for p in pieces], axis=1)
        exposure = np.stack([p[1] for p in pieces], axis=1)
        return states, events, exposure

    while True:
        pending = np.full((n_cohorts, size), np.inf)
        for j, times in enumerate(look_times):
            if times.shape[0] == 0:
                continue
            k = np.minimum(next_look[j], times.shape[0] - 1)
            tau = times[k, trial]
            open_look = (next_look[j] < times.shape[0]) & (decision[j] == CONTINUE)
            # a look after the cohort's last enrolment is not held, nor any after it
            next_look[j, open_look & (tau >= last_arrival[j])] = times.shape[0]
            pending[j] = np.where(open_look & (tau < last_arrival[j]), tau, np.inf)
        who = pending.argmin(axis=0)
        when = pending[who, trial]
        if not np.isfinite(when).any():
            break
        taken = next_look.copy()  # each trial's look of this pass, fixed before any is taken
        for j, design in enumerate(designs):
            for k in range(len(design.looks)):
                rows = np.flatnonzero(np.isfinite(when) & (who == j) & (taken[j] == k))
                if rows.size:
                    _look(
                        design,
                        model,
                        j,
                        k,
                        rows,
                        when[rows],
                        data_at,
                        rng,
                        imputations,
                        decision,
                        stopped,
                    )
                    next_look[j, rows] += 1
    out = []
    for j, design in enumerate(designs):
        n_max = design.n_max
        enrolled = (arrivals[j] <= stopped[j][:, None]).sum(axis=1)
        present = np.arange(n_max)[None, :] < enrolled[:, None]
        follow_full = np.minimum(np.minimum(event_time[j], lost[j]), landmark)
        end_time = np.where(present, arrivals[j] + follow_full, -np.inf).max(axis=1)
        futile = decision[j] == FUTILITY
        go = np.zeros(size, dtype=bool)
        rows = np.flatnonzero(~futile)
        own_events = np.full(size, np.nan)
        if rows.size:
            _, events, exposure = data_at(rows, end_time[rows])
            go[rows] = design.final_go(model.prob_better_for(events, exposure, j))
            own_events[rows] = events[:, j].sum(axis=1)
        out.append(
            {
                "go": go,
                "futility": futile,
                "expected_success": decision[j] == EXPECTED_SUCCESS,
                "enrolled": enrolled,
                "n_max": np.array(n_max),
                "end_time": np.where(futile, stopped[j], end_time),
                "events": own_events,
            }
        )
    return out


def _look_times(
    design: SurvivalMonitoringDesign, arrivals: np.ndarray, event_time: np.ndarray, lost: np.ndarray
) -> np.ndarray:
    """(looks, B): the calendar time of each of the cohort's interim looks (inf: never)."""
    size = arrivals.shape[0]
    times = []
    if design.look_kind == "events":
        event_full = event_time <= np.minimum(lost, design.landmark)
        seen_at = np.sort(np.where(event_full, arrivals + event_time, np.inf), axis=1)
    for at in design.looks:
        if design.look_kind == "enrolled":
            times.append(arrivals[:, int(at) - 1])
        elif design.look_kind == "months":
            times.append(np.full(size, float(at)))
        else:
            times.append(seen_at[:, int(at) - 1])
    return np.array(times).reshape(len(design.looks), size)


def _look(
    design: SurvivalMonitoringDesign,
    model: SurvivalModelAveraging,
    j: int,
    k: int,
    rows: np.ndarray,
    tau: np.ndarray,
    data_at: Callable[
        [np.ndarray, np.ndarray], tuple[list[tuple[np.ndarray, ...]], np.ndarray, np.ndarray]
    ],
    rng: np.random.Generator,
    imputations: int | None,
    decision: np.ndarray,
    stopped: np.ndarray,
) -> None:
    """Cohort j's look k in the trials ``rows`` (at calendar times ``tau``)."""
    states, events, exposure = data_at(rows, tau)
    y, seen, present, open_ = states[j]
    prob = model.prob_better_for(events, exposure, j)
    want_now, want_max = design.needs_predictive(k)
    pp_now = pp_max = np.full(rows.size, np.nan)
    if want_now or want_max:
        pp_now, pp_max = design.rule.predictive(
            y, seen, open_, present, design.n_max - present.sum(axis=1), rng,
            imputations=imputations, with_max=want_max,
            borrowed=BorrowedCohort(model, j, events, exposure),
        )  # fmt: skip
        if not want_now:
            pp_now = np.full(rows.size, np.nan)
    code = design.interim_decision(k, prob, pp_now, pp_max)
    decision[j, rows] = code
    stop = code != CONTINUE
    stopped[j, rows[stop]] = tau[stop]
