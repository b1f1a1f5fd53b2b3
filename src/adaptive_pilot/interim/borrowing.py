"""Interim calls on the borrowed posterior: the simulator's posterior and thresholds.

With hierarchical borrowing a cohort is decided on P(p_j > p0_j | all cohorts'
data) from the same float32 quadrature tables the simulator builds
(:func:`adaptive_pilot.cohorts.trial.posterior_tables`) and compared with
the same thresholds by the same function
(:meth:`adaptive_pilot.cohorts.trial.HierarchicalBorrowing.stops`). At an
unplanned look the thresholds of the last planned interim look at or before n
apply (the first look's before it); at n >= N the final GO threshold. The
bounds reported are those in x_j with every other cohort's data held fixed.
The forward probabilities of a final GO depend on the other cohorts' futures
and are not given.
"""

from __future__ import annotations

import numpy as np

from ..cohorts.plan import InterimPlan
from ..cohorts.tables import PosteriorTables
from ..cohorts.trial import posterior_tables
from ..patients.counts import CohortCounts
from .decide import (
    Bounds,
    CohortCall,
    efficacy_decision,
    go_probabilities,
    own_conflict,
    predictive_outcomes,
    reason_text,
    toxicity_call,
)

__all__ = ["decide_borrowed"]


def decide_borrowed(
    plan: InterimPlan, counts: list[CohortCounts], tables: PosteriorTables | None = None
) -> list[CohortCall]:
    """Calls for every cohort of a trial with hierarchical borrowing.

    ``tables``: posterior tables covering the counts (the simulator's
    `~adaptive_pilot.cohorts.trial.posterior_tables`); by default
    just the rows of the cohorts' current n are built.
    """
    trial = plan.borrowing
    assert trial is not None and trial.borrowing is not None
    rule = trial.borrowing
    n = np.array([c.n_evaluable for c in counts])
    x = np.array([c.responses for c in counts])
    if tables is None:
        tables = posterior_tables(trial, only_n=[int(v) for v in n])
    calls = []
    for j, (cohort, count) in enumerate(zip(plan.cohorts, counts, strict=True)):
        looks = cohort.table.looks
        n_j = int(n[j])
        final = n_j >= cohort.table.n_max
        planned = n_j in looks
        interim_looks = [k for k, m in enumerate(looks[:-1]) if m <= n_j]
        k = looks.index(n_j) if planned and not final else (interim_looks or [0])[-1]
        # every x_j from 0 to n_j, the other cohorts' data fixed
        data_x = np.tile(x, (n_j + 1, 1))
        data_x[:, j] = np.arange(n_j + 1)
        probs = tables.prob_greater(np.tile(n, (n_j + 1, 1)), data_x, np.full(n_j + 1, j))
        stop_f, stop_e = rule.stops(probs, np.full(n_j + 1, final), np.full(n_j + 1, k), j)
        futility = int(np.flatnonzero(stop_f)[-1]) if stop_f.any() else None
        efficacy = int(np.flatnonzero(stop_e)[0]) if stop_e.any() else None
        if final:
            basis = "the borrowed posterior against the final GO threshold" + (
                " and NO-GO threshold (CONSIDER between)" if rule.three_outcomes else ""
            )
        else:
            basis = f"the borrowed posterior against the thresholds of look {k + 1}"
        bounds = Bounds(
            n_j,
            futility,
            efficacy,
            final,
            planned,
            looks.index(n_j) + 1 if planned else None,
            basis,
        )
        tox_bound, prob_tox, tox_stop = toxicity_call(cohort, count)
        if tox_stop:
            decision = "stop_toxicity"
        elif n_j == 0:
            decision = "continue"
        else:
            decision = efficacy_decision(bounds, int(x[j]))
        reason = reason_text(cohort, count, bounds if n_j else None, decision, tox_bound, prob_tox)
        # the cohort's own design and data, for the closed report's figure
        own = predictive_outcomes(cohort, n_j, int(x[j])) if decision == "continue" else None
        if n_j and decision != "stop_toxicity":
            reason += f"; P(p > {cohort.p0:g} | all cohorts' data) = {probs[x[j]]:.4f}"
        calls.append(
            CohortCall(
                counts=count,
                planned_look=bool(n_j and planned),
                look=bounds.look if n_j else None,
                final=bool(n_j and final),
                decision=decision,
                reason=reason,
                futility_bound=futility if n_j else None,
                efficacy_bound=efficacy if n_j else None,
                toxicity_bound=tox_bound,
                prob_gt_p0=float(probs[x[j]]),
                prob_toxicity=prob_tox,
                predictive_probability=None,
                p_final_go_p0=None,
                p_final_go_p1=None,
                basis=basis,
                method=rule.name,
                prob_gt_p0_own=float(cohort.prior.prob_greater(cohort.p0, int(x[j]), n_j)),
                outcomes=own,
                own_go_probabilities=None if own is None else go_probabilities(own),
                conflict=own_conflict(cohort, count),
            )
        )
    return calls
