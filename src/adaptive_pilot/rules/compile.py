"""One path from a stopping rule to boundaries: :func:`compile_rules`.

Every Bayesian rule here monitors a statistic S(n, x) that increases with the
number of responses x (a posterior or predictive probability) and compares it
with per-look cut-offs:

* interim futility stop if S < c_f(n) (NaN: no futility stop);
* interim efficacy stop if S > c_e(n), or S >= c_e(n) for rules whose
  convention is inclusive (BOP2);
* final analysis: GO if S_final > c_go (or >=), otherwise NO-GO.

A rule provides its statistic on a whole look schedule at once
(``look_statistics``, vectorised over looks), its cut-offs (``cutoffs``) and a
``statistic_key``: rules with equal keys share their statistics, so a
calibration search compiles thousands of rules with one statistic matrix.
:func:`compile_rules` turns the comparisons into the bounds of a
:class:`~adaptive_pilot.boundary_table.BoundaryTable`, applying the per-look
switches and checking that every stopping region is of the form x <= f or
x >= e. :class:`~adaptive_pilot.designs.bayesian.BayesianDesign`, both
calibration searches and the toxicity rule use this module and nothing else to
compile.

A Go / Consider / No-Go rule (:class:`~adaptive_pilot.rules.dual.DualRule`)
has two criteria, not one statistic: it states its decision sets instead
(``interim_sets(n, x)``: futility and efficacy stops; ``final_sets(n, x)``: GO
and NO-GO), and the same bound extraction and checks turn them into a table
whose final look may leave a CONSIDER band (:func:`is_set_rule`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
from typing_extensions import TypeIs

from ..boundary_table import BoundaryTable
from ..errors import InputError

__all__ = [
    "AnyRule",
    "CompiledBounds",
    "Cutoffs",
    "Rule",
    "SetRule",
    "compile_rules",
    "decide_sets",
    "decide_weighted",
    "final_nogo",
    "is_set_rule",
    "lower_bounds",
    "upper_bounds",
]

# Largest (rules x looks x outcomes) block compared at once, to bound memory.
_BLOCK_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class Cutoffs:
    """Per-look cut-offs of a rule on its statistic.

    Attributes
    ----------
    futility : ndarray, shape (K,)
        Stop for futility if S < futility[k]; NaN: no futility stop at look k.
    efficacy : ndarray, shape (K,)
        Stop for efficacy if S > efficacy[k] (>= when ``efficacy_inclusive``);
        NaN: no efficacy stop at look k.
    go : float
        Final GO if S_final > go (>= when ``go_inclusive``).
    """

    futility: np.ndarray
    efficacy: np.ndarray
    go: float
    efficacy_inclusive: bool = False
    go_inclusive: bool = False


class _RuleBasics(Protocol):
    """What every rule provides: its name, p0, words and the number shown beside a call."""

    @property
    def name(self) -> str:
        """Short name: posterior, predictive, bop2, dual..."""
        ...

    @property
    def p0(self) -> float:
        """The uninteresting response rate (a dual rule's LRV)."""
        ...

    @property
    def go_field(self) -> str:
        """The parameter to blame when the final analysis never or always says GO."""
        ...

    def statistic(self, n: Any, x: Any) -> np.ndarray:
        """The monitored statistic at (n, x), vectorised."""
        ...

    def final_statistics(self, n: int) -> np.ndarray:
        """The statistic at a final analysis with n patients, x = 0..n."""
        ...

    def describe(self) -> str:
        """The rule in words."""
        ...

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        ...


@runtime_checkable
class Rule(_RuleBasics, Protocol):
    """What a stopping rule provides to be compiled and evaluated at any (n, x): a
    statistic compared with per-look cut-offs."""

    def look_statistics(self, looks: Sequence[int]) -> np.ndarray:
        """S(n_k, x) for x = 0..N on every look: shape (K, N + 1), NaN beyond n_k."""
        ...

    def cutoffs(self, looks: Sequence[int]) -> Cutoffs:
        """Cut-offs at each look (the last one is the final analysis)."""
        ...

    def statistic_key(self) -> Hashable:
        """Rules with equal keys have equal statistics on any look schedule."""
        ...


@runtime_checkable
class SetRule(_RuleBasics, Protocol):
    """A rule that states its decision sets (a Go / Consider / No-Go rule)."""

    three_outcomes: ClassVar[bool]

    def interim_sets(self, n: int, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """(stop for futility, stop for efficacy) at an interim look with n patients."""
        ...

    def final_sets(self, n: int, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """(GO, NO-GO) at a final analysis with n patients."""
        ...


#: Any rule the compile path takes.
AnyRule = Rule | SetRule


# ------------------------------------------------------------ primitives
def lower_bounds(stop: np.ndarray, looks: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Bounds f with ``stop == (x <= f)`` on x = 0..n_k.

    Parameters
    ----------
    stop : ndarray of bool, shape (B, K, W)
        Stopping sets (entries beyond n_k are ignored).

    Returns
    -------
    (f, ok) : ndarrays of shape (B, K)
        f = -1 where the set is empty; ok is False where the set is not of the
        form x <= f.
    """
    inside = np.arange(stop.shape[-1])[None, :] <= np.asarray(looks)[:, None]  # (K, W)
    stop = stop & inside
    count = stop.sum(axis=-1)
    # of the form x <= f  <=>  no x stops while x - 1 does not
    ok = ~np.any(stop[..., 1:] & ~stop[..., :-1], axis=-1)
    return count - 1, ok


def upper_bounds(stop: np.ndarray, looks: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """Bounds e with ``stop == (x >= e)`` on x = 0..n_k (e = n_k + 1 where empty)."""
    n = np.asarray(looks)
    inside = np.arange(stop.shape[-1])[None, :] <= n[:, None]
    stop = stop & inside
    count = stop.sum(axis=-1)
    ok = ~np.any(stop[..., :-1] & ~stop[..., 1:] & inside[:, 1:], axis=-1)
    return n + 1 - count, ok


#: A statistic within this of its cut-off is a tie, and a tie is decided by the rule's
#: stated inequality (strict: not crossed; inclusive: crossed), not by the last bit of a
#: computed probability (0.9000000000000009 against "> 0.9" is a tie: no stop).
TIE_TOLERANCE = 1e-12


def _above(values: np.ndarray, cut: np.ndarray, inclusive: np.ndarray) -> np.ndarray:
    """values > cut, or >= where inclusive, with ties to :data:`TIE_TOLERANCE` (NaN never
    passes)."""
    with np.errstate(invalid="ignore"):
        return np.where(inclusive, values >= cut - TIE_TOLERANCE, values > cut + TIE_TOLERANCE)


def _below(values: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """values < cut, a tie (to :data:`TIE_TOLERANCE`) not below."""
    with np.errstate(invalid="ignore"):
        return values < cut - TIE_TOLERANCE


def is_set_rule(rule: object) -> TypeIs[SetRule]:
    """Whether a rule states its decision sets (Go / Consider / No-Go) instead of cut-offs."""
    return bool(getattr(rule, "three_outcomes", False)) and hasattr(rule, "final_sets")


def decide_sets(rule: AnyRule, n: int, x: Any) -> tuple[np.ndarray, np.ndarray]:
    """(stop for futility, stop for efficacy) of a rule at an interim look with n patients."""
    if is_set_rule(rule):
        return rule.interim_sets(n, x)
    s = np.asarray(rule.statistic(n, x), dtype=float)
    cut = rule.cutoffs((n,))
    futility = _below(s, cut.futility[0])
    efficacy = _above(s, cut.efficacy[0], np.asarray(cut.efficacy_inclusive))
    return futility, efficacy


def final_go(rule: AnyRule, n: int, x: Any, *, cutoff_at: int | None = None) -> np.ndarray:
    """GO of a rule at a final analysis with n patients.

    ``cutoff_at`` takes the GO cut-off of another n: an over-run final
    analysis (n > N) is decided on the data of all n patients against the
    cut-off of N.
    """
    if is_set_rule(rule):  # posterior criteria: their thresholds do not depend on N
        return np.asarray(rule.final_sets(n, x)[0], dtype=bool)
    s = np.asarray(rule.final_statistics(n), dtype=float)[np.asarray(x)]
    cut = rule.cutoffs((n if cutoff_at is None else cutoff_at,))
    return _above(s, np.asarray(cut.go), np.asarray(cut.go_inclusive))


def decide_weighted(
    rule: Rule, n: int, x: int, weights: np.ndarray, *, final: bool, cutoff_at: int | None = None
) -> tuple[bool, bool, float]:
    """A decision when x responses are certain and k more are responses with probability
    ``weights[k]`` (unconfirmed responses each confirmed with a known probability).

    The rule's statistic becomes its mixture, sum_k weights[k] S(n, x + k), compared with
    the rule's cut-offs at n: at an interim look (stop for futility, stop for efficacy);
    at a final analysis (GO, NO-GO), with ``cutoff_at`` as in :func:`final_go`. Returns the
    two decisions and the mixture statistic.
    """
    ks = x + np.arange(len(weights))
    if final:
        values = np.asarray(rule.final_statistics(n), dtype=float)[ks]
    else:
        values = np.asarray(rule.statistic(n, ks), dtype=float)
    mixed = float(np.dot(np.asarray(weights, dtype=float), values))
    if final:
        cut = rule.cutoffs((n if cutoff_at is None else cutoff_at,))
        go = bool(_above(np.asarray(mixed), np.asarray(cut.go), np.asarray(cut.go_inclusive)))
        return go, not go, mixed
    cut = rule.cutoffs((n,))
    futility = bool(_below(np.asarray(mixed), cut.futility[0]))
    efficacy = bool(_above(np.asarray(mixed), cut.efficacy[0], np.asarray(cut.efficacy_inclusive)))
    return futility, efficacy, mixed


def final_nogo(rule: AnyRule, n: int, x: Any, *, cutoff_at: int | None = None) -> np.ndarray:
    """NO-GO of a rule at a final analysis with n patients: the NO-GO criterion of a
    Go / Consider / No-Go rule, otherwise every outcome that is not GO."""
    if is_set_rule(rule):
        return np.asarray(rule.final_sets(n, x)[1], dtype=bool)
    return ~final_go(rule, n, x, cutoff_at=cutoff_at)


# --------------------------------------------------------------- compile
@dataclass(frozen=True)
class CompiledBounds:
    """Bounds of B rules on one look schedule (sentinels -1 and n_k + 1 for "never").

    ``problems[i]`` is None for a valid design, otherwise ``(field, message)``
    saying why rule i does not make a design on this schedule.
    """

    looks: tuple[int, ...]
    futility: np.ndarray  # (B, K) int
    efficacy: np.ndarray  # (B, K) int
    problems: tuple[tuple[str, str] | None, ...]
    #: per rule: a Go / Consider / No-Go table (its final bounds may leave a band)
    three_outcomes: tuple[bool, ...] = ()

    @property
    def valid(self) -> np.ndarray:
        """True for the rules that compile to a valid boundary table."""
        return np.array([p is None for p in self.problems], dtype=bool)

    def table(self, i: int = 0) -> BoundaryTable:
        """Boundary table of rule i (raises the rule's problem as an InputError)."""
        problem = self.problems[i]
        if problem is not None:
            raise InputError(*problem)
        return BoundaryTable(
            looks=self.looks,
            futility=tuple(int(v) for v in self.futility[i]),
            efficacy=tuple(int(v) for v in self.efficacy[i]),
            three_outcomes=bool(self.three_outcomes[i]) if self.three_outcomes else False,
        )


def compile_rules(
    rules: Sequence[AnyRule],
    looks: Sequence[int],
    futility_on: Sequence[bool] | None = None,
    efficacy_on: Sequence[bool] | None = None,
) -> CompiledBounds:
    """Compile rules onto one look schedule, vectorised over rules and looks.

    Parameters
    ----------
    rules : sequence of Rule
        The rules (any mix; those with equal ``statistic_key`` share statistics).
    looks : sequence of int
        The look schedule; the last look is the final analysis.
    futility_on, efficacy_on : sequence of bool, optional
        Per-look switches for interim stopping (default: on). The final look
        always decides.

    Returns
    -------
    CompiledBounds
        Bounds per rule and, for rules that make no valid design on these looks
        (non-monotone region, never or always GO, never stopping early while an
        interim switch is on), the reason.
    """
    looks = tuple(int(n) for n in looks)
    n_looks, n_max = len(looks), looks[-1]
    fut_on = np.ones(n_looks, bool) if futility_on is None else np.asarray(futility_on, bool)
    eff_on = np.ones(n_looks, bool) if efficacy_on is None else np.asarray(efficacy_on, bool)
    futility = np.empty((len(rules), n_looks), dtype=int)
    efficacy = np.empty((len(rules), n_looks), dtype=int)
    problems: list[tuple[str, str] | None] = [None] * len(rules)
    groups: dict[Hashable, list[int]] = {}
    threshold_rules: dict[int, Rule] = {}
    any_switch = bool(fut_on[:-1].any() or eff_on[:-1].any())
    for i, rule in enumerate(rules):
        if is_set_rule(rule):
            futility[i], efficacy[i], problems[i] = _compile_sets(
                rule, looks, fut_on, eff_on, any_switch
            )
            continue
        threshold_rules[i] = rule
        groups.setdefault(rule.statistic_key(), []).append(i)
    interim = looks[:-1]
    block = max(1, _BLOCK_ELEMENTS // (n_looks * (n_max + 1)))
    for members in groups.values():
        first = threshold_rules[members[0]]
        stats = first.look_statistics(looks)[:-1]  # (K - 1, W)
        final = np.asarray(first.final_statistics(n_max), dtype=float)  # (W,)
        for start in range(0, len(members), block):
            idx = members[start : start + block]
            cuts = [threshold_rules[i].cutoffs(looks) for i in idx]
            c_fut = np.array([c.futility[:-1] for c in cuts], dtype=float)  # (G, K - 1)
            c_eff = np.array([c.efficacy[:-1] for c in cuts], dtype=float)
            e_incl = np.array([c.efficacy_inclusive for c in cuts])[:, None, None]
            c_go = np.array([c.go for c in cuts], dtype=float)[:, None]
            g_incl = np.array([c.go_inclusive for c in cuts])[:, None]
            stop_f = _below(stats[None], c_fut[:, :, None]) & fut_on[None, :-1, None]
            stop_e = _above(stats[None], c_eff[:, :, None], e_incl) & eff_on[None, :-1, None]
            f, f_ok = lower_bounds(stop_f, interim)
            e, e_ok = upper_bounds(stop_e, interim)
            go = _above(final[None, :], c_go, g_incl)[:, None, :]  # (G, 1, W)
            e_final, go_ok = upper_bounds(go, (n_max,))
            futility[idx, :-1], efficacy[idx, :-1] = f, e
            futility[idx, -1], efficacy[idx, -1] = e_final[:, 0] - 1, e_final[:, 0]
            for row, i in enumerate(idx):
                problems[i] = _problem(
                    rules[i], looks, f[row], e[row], f_ok[row], e_ok[row], e_final[row, 0],
                    bool(go_ok[row, 0]), any_switch,
                )  # fmt: skip
    three = tuple(is_set_rule(rule) for rule in rules)
    return CompiledBounds(looks, futility, efficacy, tuple(problems), three)


def _compile_sets(
    rule: SetRule,
    looks: tuple[int, ...],
    fut_on: np.ndarray,
    eff_on: np.ndarray,
    any_switch: bool,
) -> tuple[np.ndarray, np.ndarray, tuple[str, str] | None]:
    """Bounds of a rule that states its decision sets (a Go / Consider / No-Go rule)."""
    n_max = looks[-1]
    width = n_max + 1
    interim = looks[:-1]
    stop_f = np.zeros((1, len(interim), width), bool)
    stop_e = np.zeros((1, len(interim), width), bool)
    for k, n in enumerate(interim):
        fut, eff = decide_sets(rule, n, np.arange(n + 1))
        stop_f[0, k, : n + 1] = np.asarray(fut, bool) & fut_on[k]
        stop_e[0, k, : n + 1] = np.asarray(eff, bool) & eff_on[k]
    f, f_ok = lower_bounds(stop_f, interim)
    e, e_ok = upper_bounds(stop_e, interim)
    x = np.arange(width)
    go = np.asarray(final_go(rule, n_max, x), bool)
    nogo = np.asarray(final_nogo(rule, n_max, x), bool)
    e_final, go_ok = upper_bounds(go[None, None, :], (n_max,))
    f_final, nogo_ok = lower_bounds(nogo[None, None, :], (n_max,))
    futility = np.r_[f[0], f_final[0, 0]]
    efficacy = np.r_[e[0], e_final[0, 0]]
    problem = _problem(
        rule, looks, f[0], e[0], f_ok[0], e_ok[0], int(e_final[0, 0]), bool(go_ok[0, 0]),
        any_switch,
    )  # fmt: skip
    if problem is None:
        problem = _final_nogo_problem(
            looks[-1], int(f_final[0, 0]), int(e_final[0, 0]), bool(nogo_ok[0, 0])
        )
    return futility, efficacy, problem


def _final_nogo_problem(n_max: int, f: int, e: int, ok: bool) -> tuple[str, str] | None:
    """Why the final NO-GO region of a Go / Consider / No-Go rule makes no design."""
    if not ok:
        return "nogo", f"the final NO-GO region at n = {n_max} is not of the form x <= f"
    if f < 0:
        return (
            "nogo",
            f"the final analysis (n={n_max}) would never declare NO-GO; adjust the NO-GO criterion",
        )
    if f >= e:
        return (
            "nogo",
            f"at the final analysis (n={n_max}) outcomes x = {e}..{f} meet both the GO and the "
            "NO-GO criteria; make the criteria exclusive",
        )
    return None


def _problem(
    rule: AnyRule,
    looks: tuple[int, ...],
    f: np.ndarray,
    e: np.ndarray,
    f_ok: np.ndarray,
    e_ok: np.ndarray,
    e_final: int,
    go_ok: bool,
    any_switch: bool,
) -> tuple[str, str] | None:
    """Why bounds make no design (None when they do)."""
    for k, n in enumerate(looks[:-1]):
        if not f_ok[k]:
            return "futility", f"the futility region at n = {n} is not of the form x <= f"
        if not e_ok[k]:
            return "efficacy", f"the efficacy region at n = {n} is not of the form x >= e"
        if f[k] >= e[k] and f[k] >= 0 and e[k] <= n:
            return (
                "futility",
                f"at n = {n} outcomes x = {e[k]}..{f[k]} would stop both for futility and "
                "for efficacy; the futility threshold must be below the efficacy threshold",
            )
    n_max = looks[-1]
    if not go_ok:
        return "final GO", f"the final GO region at n = {n_max} is not of the form x >= e"
    if e_final > n_max or e_final == 0:
        what = "never" if e_final > n_max else "always"
        return (
            rule.go_field,
            f"the final analysis (n={n_max}) would {what} declare GO; adjust the thresholds",
        )
    stops_early = np.any(f >= 0) or np.any(e <= np.asarray(looks[:-1]))
    if len(looks) > 1 and any_switch and not stops_early:
        return (
            rule.go_field,
            "the rule can never stop early: no outcome at any interim look crosses a "
            "threshold; change the thresholds or remove the interim looks",
        )
    return None
