"""One cohort's call at a data cut-off, for a cohort analysed on its own design.

Where the cohort stands:

* at a **planned look** the bounds are the rule's at that look with the
  design's per-look switches; they equal the boundary table's row (tested for
  every reachable (n, x));
* at an **unplanned look** (over-run or under-run) a Bayesian design is
  decided by its rule at the actual n, both stops on, and an over-run final
  analysis (n > N) against the GO cut-off of N. A Simon design has no rule
  beyond its table: before its first look it stops only when the outcome of
  that look is already certain (curtailment); after a look it applies the
  bounds of the last planned look passed; beyond N the final bounds. Every
  unplanned look is flagged.

Toxicity is decided first (a safety stop overrides the efficacy call), by the
toxicity rule at the number of patients with known toxicity status. The
forward quantities (P(final GO) at p0 and p1, and its predictive
probability) follow the boundary table from the current (n, x) over the
remaining planned looks, exactly (:class:`adaptive_pilot.inference.SampleSpace`
with a starting point; no simulation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..conflict import PriorDataConflict, prior_data_conflict
from ..designs.design import Design
from ..inference import SampleSpace
from ..patients.counts import CohortCounts
from ..rules.compile import decide_sets, decide_weighted, final_go, final_nogo, is_set_rule

__all__ = [
    "Bounds",
    "CohortCall",
    "bounds_at",
    "decide_cohort",
    "efficacy_decision",
    "go_probabilities",
    "plain_reason",
    "predictive_outcomes",
    "reason_text",
    "toxicity_call",
]

DECISIONS = (
    "continue",
    "stop_futility",
    "stop_efficacy",
    "stop_toxicity",
    "go",
    "consider",
    "no_go",
)
#: The decisions in words, for pages and reports.
DECISION_LABELS = {
    "continue": "continue",
    "stop_futility": "stop for futility",
    "stop_efficacy": "stop for efficacy (GO)",
    "stop_toxicity": "stop for toxicity",
    "stop_enrolment": "stop enrolment: expected success (follow up, then the final analysis)",
    "follow_up": "enrolment complete: follow up to the final analysis",
    "go": "GO",
    "consider": "CONSIDER",
    "no_go": "NO-GO",
}
_ENDED = {"stop_futility", "stop_efficacy", "go", "consider", "no_go"}
_COUNTS = {"cohort", "enrolled", "n_evaluable", "responses", "pending", "n_toxicity", "toxicities"}


@dataclass(frozen=True)
class Bounds:
    """The efficacy bounds that apply at n evaluable patients.

    ``futility``: stop for futility (NO-GO at the final analysis) if x <= it;
    ``efficacy``: stop for efficacy (GO at the final analysis) if x >= it;
    None: no such stop. At the final analysis of a Go / Consider / No-Go design
    the outcomes between the two are CONSIDER. ``look`` is the 1-based planned look (None when
    unplanned); ``basis`` says where the bounds come from.
    """

    n: int
    futility: int | None
    efficacy: int | None
    final: bool
    planned: bool
    look: int | None
    basis: str


@dataclass(frozen=True)
class CohortCall:
    """A cohort's decision and the numbers behind it (see :mod:`adaptive_pilot.interim`).

    The cohort's counts at the cut-off (``counts``) are also readable directly:
    ``cohort``, ``enrolled``, ``n_evaluable``, ``responses``, ``pending``,
    ``n_toxicity``, ``toxicities``.
    """

    counts: CohortCounts
    planned_look: bool
    look: int | None
    final: bool
    decision: str
    reason: str
    futility_bound: int | None
    efficacy_bound: int | None
    toxicity_bound: int | None
    prob_gt_p0: float
    prob_toxicity: float | None
    predictive_probability: float | None
    p_final_go_p0: float | None
    p_final_go_p1: float | None
    basis: str
    method: str = "independent"
    #: P(p > p0 | the cohort's own data), which decides unless the cohort borrows
    prob_gt_p0_own: float | None = None
    #: how the cohort can end from here on its own design and data, when it continues
    #: (:func:`predictive_outcomes`; what the closed report's figure draws)
    outcomes: pd.DataFrame | None = field(default=None, compare=False, repr=False)
    #: (predictive, at p0, at p1) probabilities of a final GO from ``outcomes``
    own_go_probabilities: tuple[float, float, float] | None = None
    #: predictive probability that the cohort ends in NO-GO (a futility stop or a final
    #: NO-GO) from its current data; with ``predictive_probability`` (of GO) the rest is
    #: CONSIDER in a Go / Consider / No-Go design
    predictive_nogo: float | None = None
    #: prior-data conflict of the cohort's own data with its prior (None before any
    #: evaluable patient); see :mod:`adaptive_pilot.conflict`
    conflict: PriorDataConflict | None = field(default=None, compare=False, repr=False)

    @property
    def box_p(self) -> float | None:
        """Box's prior-predictive p-value of the cohort's data under its prior."""
        return None if self.conflict is None else self.conflict.box_p

    @property
    def sam_weight(self) -> float | None:
        """The SAM weight of the cohort's prior (delta = p1 - p0)."""
        return None if self.conflict is None else self.conflict.sam_weight

    def __getattr__(self, name: str) -> Any:
        if name in _COUNTS:
            return getattr(self.counts, name)
        raise AttributeError(name)

    @property
    def ended(self) -> bool:
        """Whether the cohort's efficacy design has ended (stopped, or decided at the end)."""
        return self.decision in _ENDED


def bounds_at(plan: Design, n: int) -> Bounds:
    """The bounds that decide the cohort at n evaluable patients (see the module docstring)."""
    table = plan.table
    n_max = table.n_max
    planned = n in table.looks
    look = table.looks.index(n) + 1 if planned else None
    design = plan.bayesian
    if design is not None:
        rule = design.rule
        x = np.arange(n + 1)
        if n >= n_max:
            go = np.asarray(final_go(rule, n, x, cutoff_at=n_max), dtype=bool)
            nogo = np.asarray(final_nogo(rule, n, x, cutoff_at=n_max), dtype=bool) & ~go
            efficacy = int(x[go][0]) if go.any() else None
            futility = int(x[nogo][-1]) if nogo.any() else None
            basis = "the rule's final analysis" + ("" if planned else f" (cut-off of N = {n_max})")
            return Bounds(n, futility, efficacy, True, planned, look, basis)
        stop_f, stop_e = (np.asarray(v, dtype=bool) for v in decide_sets(rule, n, x))
        if planned:
            f_on, e_on = design.switches
            stop_f = stop_f & f_on[look - 1]  # type: ignore[operator]
            stop_e = stop_e & e_on[look - 1]  # type: ignore[operator]
        futility = int(x[stop_f][-1]) if stop_f.any() else None
        efficacy = int(x[stop_e][0]) if stop_e.any() else None
        basis = "the boundary table" if planned else "the rule at the actual n"
        return Bounds(n, futility, efficacy, False, planned, look, basis)
    # a Simon design: the table is the whole rule
    if planned:
        k = look - 1  # type: ignore[operator]
        return Bounds(
            n,
            table.futility_at(k),
            table.efficacy_at(k),
            k == table.n_looks - 1,
            True,
            look,
            "the boundary table",
        )
    if n > n_max:
        k = table.n_looks - 1
        basis = f"the final bounds (over-run of N = {n_max})"
        return Bounds(n, table.futility_at(k), table.efficacy_at(k), True, False, None, basis)
    passed = [k for k, m in enumerate(table.looks) if m < n]
    if passed:
        k = passed[-1]
        basis = f"the bounds of look {k + 1} (over-run of n = {table.looks[k]})"
        return Bounds(n, table.futility_at(k), table.efficacy_at(k), False, False, None, basis)
    m = table.looks[0]
    f, e = table.futility_at(0), table.efficacy_at(0)
    f_now = None if f is None or f - (m - n) < 0 else f - (m - n)
    basis = f"curtailment before look 1 (n = {m}): stop only if its outcome is certain"
    return Bounds(n, f_now, e, False, False, None, basis)


def decide_cohort(plan: Design, counts: CohortCounts) -> CohortCall:
    """The call for one cohort analysed on its own design.

    With ``unconfirmed: weighted`` and u unconfirmed responses, each is confirmed with
    probability c (the design's ``confirmation``), independently: k of them are
    responses with probability Binomial(k; u, c). The posterior probability and the
    rule's statistic are then mixtures over k, and the statistic is compared with the
    rule's cut-offs at n (:func:`~adaptive_pilot.rules.compile.decide_weighted`); the
    predictive figures are mixtures too; the figure shows the confirmed responses.
    """
    n, x = counts.n_evaluable, counts.responses
    bounds = bounds_at(plan, n) if n > 0 else None
    weights = confirmation_weights(plan, counts)
    ks = np.arange(len(weights)) if weights is not None else np.zeros(1, int)
    w = weights if weights is not None else np.ones(1)
    prob_gt_p0 = float(np.dot(w, [plan.prior.prob_greater(plan.p0, x + k, n) for k in ks]))
    tox_bound, prob_tox, tox_stop = toxicity_call(plan, counts)
    weighted_note = ""
    if tox_stop:
        decision = "stop_toxicity"
    elif bounds is None:
        decision = "continue"
    elif weights is not None:
        decision, weighted_note = _weighted_decision(plan, bounds, n, x, weights)
    else:
        decision = efficacy_decision(bounds, x)
    outcomes = predictive_outcomes(plan, n, x) if decision == "continue" else None
    forward = forward_probabilities(decision, outcomes)
    nogo_forward = predictive_nogo(decision, outcomes)
    if weights is not None and decision == "continue":
        each = [predictive_outcomes(plan, n, x + int(k)) for k in ks]
        parts = np.array([forward_probabilities("continue", o) for o in each], dtype=float)
        forward = tuple(float(v) for v in w @ parts)  # type: ignore[assignment]
        nogo_forward = float(w @ np.array([predictive_nogo("continue", o) for o in each]))
    reason = reason_text(plan, counts, bounds, decision, tox_bound, prob_tox)
    if weighted_note:
        reason = weighted_note
    if decision == "continue" and forward[1] is not None and forward[1] >= 1.0 - 1e-12:
        reason += (
            "; a final GO is already certain (P(final GO) = 1 whatever the remaining patients "
            "do), but the design has no efficacy stop here, so the cohort continues"
        )
    return CohortCall(
        counts=counts,
        planned_look=bool(bounds is not None and bounds.planned),
        look=None if bounds is None else bounds.look,
        final=bool(bounds is not None and bounds.final),
        decision=decision,
        reason=reason,
        futility_bound=None if bounds is None else bounds.futility,
        efficacy_bound=None if bounds is None else bounds.efficacy,
        toxicity_bound=tox_bound,
        prob_gt_p0=prob_gt_p0,
        prob_toxicity=prob_tox,
        predictive_probability=forward[0],
        p_final_go_p0=forward[1],
        p_final_go_p1=forward[2],
        basis="" if bounds is None else bounds.basis,
        prob_gt_p0_own=prob_gt_p0,
        outcomes=outcomes,
        own_go_probabilities=None if outcomes is None else go_probabilities(outcomes),
        conflict=own_conflict(plan, counts),
        predictive_nogo=nogo_forward,
    )


def confirmation_weights(plan: Design, counts: CohortCounts) -> np.ndarray | None:
    """Binomial(k; u, c), k = 0..u, for u unconfirmed responses under ``weighted`` (else None)."""
    u = counts.unconfirmed
    if plan.unconfirmed != "weighted" or u == 0:
        return None
    c = float(plan.confirmation if plan.confirmation is not None else 1.0)
    return np.array([math.comb(u, k) * c**k * (1.0 - c) ** (u - k) for k in range(u + 1)])


def _weighted_decision(
    plan: Design, bounds: Bounds, n: int, x: int, weights: np.ndarray
) -> tuple[str, str]:
    """The decision on the mixture statistic, and the reason in the design's terms."""
    assert plan.bayesian is not None  # the schema refuses weighted for Simon designs
    rule = plan.bayesian.rule
    assert not is_set_rule(rule)  # and for Go / Consider / No-Go rules
    u = len(weights) - 1
    data = (
        f"{counted(x, 'confirmed response')} and {u} unconfirmed in {n} evaluable patients "
        f"(each confirmed with probability {plan.confirmation:g})"
    )
    n_max = plan.table.n_max
    if bounds.final:
        go, _, mixed = decide_weighted(
            rule, n, x, weights, final=True, cutoff_at=n_max if n > n_max else None
        )
        decision = "go" if go else "no_go"
        return decision, (
            f"{data}; final analysis on the mixture of the rule's statistic over the number "
            f"confirmed: {mixed:.4f}, {'GO' if go else 'NO-GO'}"
        )
    futility, efficacy, mixed = decide_weighted(rule, n, x, weights, final=False)
    if bounds.planned and bounds.look is not None:
        f_on, e_on = plan.bayesian.switches
        futility = futility and bool(f_on[bounds.look - 1])
        efficacy = efficacy and bool(e_on[bounds.look - 1])
    decision = "stop_futility" if futility else "stop_efficacy" if efficacy else "continue"
    words = {"stop_futility": "stop for futility", "stop_efficacy": "stop for efficacy (GO)",
             "continue": "continue"}[decision]  # fmt: skip
    return decision, (
        f"{data}; the rule's statistic mixed over the number confirmed is {mixed:.4f} "
        f"against its cut-offs at n = {n} ({bounds.basis}): {words}"
    )


def own_conflict(plan: Design, counts: CohortCounts) -> PriorDataConflict | None:
    """The cohort's data against its own prior (SAM's delta: p1 - p0); None before data."""
    if counts.n_evaluable == 0:
        return None
    return prior_data_conflict(
        plan.prior, counts.responses, counts.n_evaluable, delta=plan.p1 - plan.p0
    )


def efficacy_decision(bounds: Bounds, x: int) -> str:
    """The efficacy call at x responses: at the final analysis GO, NO-GO or (between the
    bounds of a Go / Consider / No-Go design) CONSIDER; before it a stop or continue."""
    low = bounds.futility is not None and x <= bounds.futility
    high = bounds.efficacy is not None and x >= bounds.efficacy
    if bounds.final:
        return "go" if high else "no_go" if low else "consider"
    if low:
        return "stop_futility"
    if high:
        return "stop_efficacy"
    return "continue"


def toxicity_call(plan: Design, counts: CohortCounts) -> tuple[int | None, float | None, bool]:
    rule = plan.toxicity
    if rule is None or counts.n_toxicity == 0:
        return None, None, False
    m, y = counts.n_toxicity, counts.toxicities
    bound = int(rule.bound(m))
    prob = float(rule.prior.prob_greater(rule.threshold, y, m))
    return (bound if bound <= m else None), prob, y >= bound


def forward_probabilities(
    decision: str, outcomes: pd.DataFrame | None
) -> tuple[float | None, float | None, float | None]:
    """(predictive probability of GO, P(GO | p0), P(GO | p1)) after ``decision``.

    ``outcomes``: :func:`predictive_outcomes` from the current data, when the
    cohort continues.
    """
    if decision in ("go", "stop_efficacy"):
        return 1.0, 1.0, 1.0
    if decision in ("no_go", "stop_futility", "consider"):
        return 0.0, 0.0, 0.0
    if decision == "stop_toxicity" or outcomes is None:
        return None, None, None
    return go_probabilities(outcomes)


def predictive_nogo(decision: str, outcomes: pd.DataFrame | None) -> float | None:
    """Predictive probability of ending in NO-GO (futility stop or final NO-GO) after
    ``decision`` (None after a toxicity stop or before any data)."""
    if decision in ("no_go", "stop_futility"):
        return 1.0
    if decision in ("go", "stop_efficacy", "consider"):
        return 0.0
    if decision == "stop_toxicity" or outcomes is None:
        return None
    nogo = outcomes["end"].isin(("stop_futility", "no_go")).to_numpy()
    return min(max(float(outcomes["predictive"].to_numpy()[nogo].sum()), 0.0), 1.0)


def go_probabilities(outcomes: pd.DataFrame) -> tuple[float, float, float]:
    """(predictive, at p0, at p1) probabilities of a GO from :func:`predictive_outcomes`."""
    go = outcomes["go"].to_numpy()
    predictive, at_p0, at_p1 = (
        min(max(float(outcomes[c].to_numpy()[go].sum()), 0.0), 1.0)  # a sum may pass 1 by 1e-15
        for c in ("predictive", "p0", "p1")
    )
    return predictive, at_p0, at_p1


def predictive_outcomes(plan: Design, n: int, x: int) -> pd.DataFrame:
    """Every way the cohort can end from x responses among n, with its probability.

    One row per outcome of the boundary table reachable from (n, x): ``n``
    and ``x`` where it ends, ``end`` (``stop_futility``, ``stop_efficacy``,
    ``go``, ``consider``, ``no_go``), ``go`` (bool), and its probability under the
    posterior predictive (``predictive``), and if the true rate is p0 (``p0``)
    or p1 (``p1``). Exact: path counts times Beta functions, no simulation;
    each probability column sums to one.
    """
    space = SampleSpace.of(plan.table, start=(n, x))
    at_rates = space.probabilities(np.array([plan.p0, plan.p1]))
    y, m = space.x - x, space.n - n
    log_paths = space.log_count + plan.prior.log_path_probability(y, m, x, n)
    go = space.go
    final = np.where(go, "go", np.where(space.consider, "consider", "no_go"))
    end = np.where(
        space.kind == 1, "stop_efficacy", np.where(space.kind == -1, "stop_futility", final)
    )
    return pd.DataFrame(
        {
            "n": space.n,
            "x": space.x,
            "end": end,
            "go": go,
            "predictive": np.exp(log_paths),
            "p0": at_rates[0],
            "p1": at_rates[1],
        }
    )


def counted(k: int, word: str) -> str:
    """A count with its noun: "1 response", "2 responses"."""
    return f"{k} {word}{'' if k == 1 else 's'}"


def final_go_certain(call: CohortCall) -> bool:
    """Whether a continuing cohort ends with GO whatever its remaining patients do.

    The responses already reach every bound on the way (no futility stop is
    reachable and the final GO bound is met): its P(final GO) is 1 at every
    rate, so 1 at p0 too.
    """
    return (
        call.decision == "continue"
        and call.p_final_go_p0 is not None
        and (call.p_final_go_p0 >= 1.0 - 1e-12)
    )


def plain_reason(plan: Design, call: CohortCall) -> str:
    """The call in plain words, for readers who are not statisticians.

    :attr:`CohortCall.reason` gives the same call in the statistician's notation
    (bounds as inequalities, probabilities); this sentence says what it means.
    """
    n, x = call.n_evaluable, call.responses
    data = f"{counted(x, 'response')} among {counted(n, 'evaluable patient')}"
    f, e = call.futility_bound, call.efficacy_bound
    if call.decision == "stop_toxicity":
        return (
            f"The cohort stops for safety: {call.toxicities} of "
            f"{counted(call.n_toxicity, 'patient')} had a serious side effect "
            f"(CTCAE grade {plan.min_grade} or higher), at or above the "
            f"{call.toxicity_bound} the design tolerates at this size."
        )
    if call.decision == "stop_futility":
        return (
            f"The cohort stops: {data} is too few (the design stops at {f} or fewer), so a "
            "worthwhile response rate has become unlikely."
        )
    if call.decision == "stop_efficacy":
        return (
            f"The cohort stops early with a GO: {data} already reaches the {e} the design "
            "needs to stop for efficacy."
        )
    if call.decision == "go":
        return f"Final analysis: GO. {data.capitalize()} reaches the {e} a GO needs."
    if call.decision == "no_go":
        short = "a GO was not possible" if e is None else f"a GO needs {e}"
        if plan.table.three_outcomes and f is not None:
            short = f"NO-GO at {f} or fewer; {short}"
        return f"Final analysis: NO-GO. {data.capitalize()} falls short ({short})."
    if call.decision == "consider":
        return (
            f"Final analysis: CONSIDER. {data.capitalize()} is above the {f} at which the "
            f"design says NO-GO but short of the {e} a GO needs: neither criterion is met, "
            "and the decision rests on the totality of the evidence."
        )
    if n == 0:
        return (
            "The cohort goes on: no patient can be evaluated for response yet (the first "
            f"look is at {plan.table.looks[0]})."
        )
    later = [m for m in plan.table.looks if m > n]
    until = f"the next look, at {later[0]} evaluable patients" if later else "its final analysis"
    if final_go_certain(call):
        early = [k for k in range(plan.table.n_looks - 1) if plan.table.efficacy_at(k) is not None]
        why = (
            "this design does not stop early for efficacy"
            if not early
            else "the design stops for efficacy only at a planned look with its bound reached"
        )
        return (
            f"The cohort goes on to {until}, although a final GO is already certain: {data} "
            f"reach the final GO bound whatever happens next, but {why}; the remaining "
            "patients still count for safety monitoring and for the estimates."
        )
    if f is None and e is None:
        return f"The cohort goes on to {until}: the design cannot stop at {n} patients."
    between = []
    if f is not None:
        between.append(f"more than the {f} that would stop it for futility")
    if e is not None:
        between.append(f"fewer than the {e} that would stop it early for efficacy")
    return f"The cohort goes on to {until}: {data}, {' and '.join(between)}."


def reason_text(
    plan: Design,
    counts: CohortCounts,
    bounds: Bounds | None,
    decision: str,
    tox_bound: int | None,
    prob_tox: float | None,
) -> str:
    n, x = counts.n_evaluable, counts.responses
    data = f"{counted(x, 'response')} in {n} evaluable patient{'' if n == 1 else 's'}"
    parts = []
    if decision == "stop_toxicity":
        rule = plan.toxicity
        assert rule is not None and prob_tox is not None
        parts.append(
            f"{counted(counts.toxicities, 'toxicity event')} (grade >= {plan.min_grade}) in "
            f"{counts.n_toxicity} patients; the design stops for toxicity at >= {tox_bound} of "
            f"{counts.n_toxicity}: P(toxicity rate > {rule.threshold:g} | data) = "
            f"{prob_tox:.3f} > {rule.probability:g}"
        )
    elif bounds is None:
        parts.append(f"no evaluable patient yet; the first look is at {plan.table.looks[0]}")
    else:
        f, e = bounds.futility, bounds.efficacy
        if decision == "stop_futility":
            parts.append(f"{data}; the design stops for futility at <= {f} of {n}")
        elif decision == "stop_efficacy":
            parts.append(f"{data}; the design stops early for efficacy (GO) at >= {e} of {n}")
        elif decision == "go":
            parts.append(f"{data}; final analysis: GO at >= {e} of {n}")
        elif decision == "no_go":
            need = "GO is impossible" if e is None else f"GO needs >= {e} of {n}"
            if plan.table.three_outcomes and f is not None:
                need = f"NO-GO at <= {f} of {n}; {need}"
            parts.append(f"{data}; final analysis: NO-GO ({need})")
        elif decision == "consider":
            parts.append(
                f"{data}; final analysis: CONSIDER (NO-GO at <= {f}, GO at >= {e} of {n}: "
                "neither criterion met)"
            )
        else:
            stops = [] if f is None else [f"for futility at <= {f}"]
            stops += [] if e is None else [f"for efficacy at >= {e}"]
            if stops:
                design_rule = f"the design stops {' and '.join(stops)} of {n}"
            else:
                design_rule = f"no stop is possible at {n} evaluable patients"
            parts.append(f"{data}; continue ({design_rule})")
            later = [m for m in plan.table.looks if m > n]
            if later:
                parts.append(f"next look at {later[0]} evaluable patients")
        if not bounds.planned:
            looks = ", ".join(str(m) for m in plan.table.looks)
            parts.append(f"unplanned look (planned at n = {looks}), decided by {bounds.basis}")
    if counts.pending:
        parts.append(
            f"{counted(counts.pending, 'patient')} pending (not counted as non-responders)"
        )
    return "; ".join(parts)
