"""Go / Consider / No-Go rules: a GO criterion and a NO-GO criterion on the posterior.

Sponsors decide a pilot against a lower reference value (LRV) and a target value
(TV) of the response rate (Lalonde et al. 2007; Frewer et al. 2016; RBesT's
``decision1S`` with several conditions; phase1b's gray zone), e.g.

* GO if P(p > LRV | data) > 0.9 and P(p > TV | data) > 0.5;
* NO-GO if P(p > LRV | data) < 0.1 or P(p < TV | data) > 0.95;
* CONSIDER (neither) otherwise, at the final analysis.

A criterion is one or more conditions ``P(p > v) op c`` or ``P(p < v) op c``
(``op`` one of ``>``, ``>=``, ``<``, ``<=``; ``v`` a rate or ``LRV`` / ``TV``;
``P(p >= v)`` is ``P(p > v)``, the rate being continuous),
joined by ``and`` or by ``or``. Every posterior tail probability is monotone in
the number of responses x, so a GO condition must hold for more responses (it
reads "P(p > v) > c" or "P(p < v) < c") and a NO-GO condition for fewer; then
the GO set is x >= e and the NO-GO set x <= f, and the rule compiles to a
boundary table with a CONSIDER band f < x < e at the final look.

Interim looks stop as any rule here does (the design's per-look switches apply):

* ``interim: posterior`` (phase1b's ``ocPostprob``): stop for futility if the
  NO-GO criterion holds on the data so far, for efficacy if the GO criterion does;
* ``interim: predictive``: stop for futility if the predictive probability of a
  final NO-GO exceeds ``pp_nogo``, for efficacy if that of a final GO exceeds
  ``pp_go`` (the remaining N - n outcomes drawn from the posterior predictive,
  as Lee & Liu 2008 do for one criterion).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from .._validate import open_probability
from ..errors import InputError
from ..priors import BetaMixturePrior, BetaPrior
from ._common import max_sample_size, threshold
from .compile import TIE_TOLERANCE

__all__ = ["Condition", "Criterion", "DualRule", "with_thresholds"]

_CONDITION = re.compile(
    r"^\s*P\s*\(\s*p\s*(?P<tail>>=|<=|>|<|≥|≤)\s*(?P<rate>[A-Za-z]+|[0-9]*\.?[0-9]+)\s*"
    r"(?:\|\s*data\s*)?\)\s*(?P<op>>=|<=|>|<|≥|≤)\s*(?P<prob>[0-9]*\.?[0-9]+)\s*$"
)
_OPS = {"≥": ">=", "≤": "<="}
_EXAMPLE = "e.g. 'P(p > LRV) > 0.9 and P(p > TV) > 0.5'"


@functools.lru_cache(maxsize=4096)
def _tails(prior: BetaPrior | BetaMixturePrior, rate: float, n: int) -> np.ndarray:
    """P(p > rate | x, n) for x = 0..n (cached: a calibration changes only thresholds)."""
    values = np.asarray(prior.prob_greater(rate, np.arange(n + 1), n), dtype=float)
    values.setflags(write=False)
    return values


@dataclass(frozen=True)
class Condition:
    """One condition on a posterior tail probability: ``P(p tail rate | data) op prob``.

    Attributes
    ----------
    tail : {">", "<"}
        P(p > rate) or P(p < rate).
    rate : float
        The reference rate v.
    op : {">", ">=", "<", "<="}
        The comparison with ``prob``.
    prob : float
        The probability threshold, strictly between 0 and 1.
    rate_name : str
        ``LRV`` or ``TV`` when the condition names one ("" for a number).
    """

    tail: str
    rate: float
    op: str
    prob: float
    rate_name: str = ""

    @property
    def favours_response(self) -> bool:
        """Whether the condition holds for more responses (a GO condition)."""
        return (self.tail == ">") == (self.op in (">", ">="))

    def holds(self, prior: BetaPrior | BetaMixturePrior, n: Any, x: Any) -> np.ndarray:
        """Whether the condition holds with x responses among n (vectorised)."""
        if np.ndim(n) == 0:  # one n: the tail probabilities of every x, computed once
            above = _tails(prior, self.rate, int(n))[np.asarray(x)]
        else:
            above = np.asarray(prior.prob_greater(self.rate, x, n), dtype=float)
        value = above if self.tail == ">" else 1.0 - above
        with np.errstate(invalid="ignore"):
            if self.op == ">":
                return value > self.prob + TIE_TOLERANCE
            if self.op == ">=":
                return value >= self.prob - TIE_TOLERANCE
            if self.op == "<":
                return value < self.prob - TIE_TOLERANCE
            return value <= self.prob + TIE_TOLERANCE

    def text(self) -> str:
        """``P(p > LRV = 0.15 | data) > 0.9``."""
        rate = f"{self.rate_name} = {self.rate:g}" if self.rate_name else f"{self.rate:g}"
        return f"P(p {self.tail} {rate} | data) {self.op} {self.prob:g}"

    def source(self) -> str:
        """The condition as a design file writes it: ``P(p > LRV) > 0.9``."""
        rate = self.rate_name or f"{self.rate:g}"
        return f"P(p {self.tail} {rate}) {self.op} {self.prob:g}"


@dataclass(frozen=True)
class Criterion:
    """Conditions joined by ``and`` (all must hold) or ``or`` (any one suffices)."""

    conditions: tuple[Condition, ...]
    join: str = "and"

    @classmethod
    def parse(
        cls, text: str | Sequence[str], *, field: str, lrv: float, tv: float | None
    ) -> Criterion:
        """Read ``"P(p > LRV) > 0.9 and P(p > TV) > 0.5"`` (or a list of conditions: all).

        No expression is evaluated: each condition must match the one pattern
        ``P(p > v) op c`` / ``P(p < v) op c``.
        """
        if isinstance(text, str):
            lowered = f" {text.lower()} "
            has_and, has_or = " and " in lowered, " or " in lowered
            if has_and and has_or:
                raise InputError(
                    field,
                    "joins conditions with both 'and' and 'or'; use one of them in a criterion "
                    f"({_EXAMPLE})",
                )
            join = "or" if has_or else "and"
            parts = re.split(r"\s+(?:and|or)\s+", text.strip(), flags=re.IGNORECASE)
        elif isinstance(text, Sequence) and text and all(isinstance(t, str) for t in text):
            join, parts = "and", list(text)
        else:
            raise InputError(field, f"must be a criterion in words ({_EXAMPLE}); got {text!r}")
        conditions = tuple(_condition(field, part, lrv, tv) for part in parts)
        return cls(conditions, join)

    def holds(self, prior: BetaPrior | BetaMixturePrior, n: Any, x: Any) -> np.ndarray:
        """Whether the criterion holds with x responses among n (vectorised)."""
        values = [c.holds(prior, n, x) for c in self.conditions]
        combine = np.logical_and if self.join == "and" else np.logical_or
        out = values[0]
        for value in values[1:]:
            out = combine(out, value)
        return np.asarray(out, dtype=bool)

    def text(self) -> str:
        """The criterion in words, with the reference values."""
        return f" {self.join} ".join(c.text() for c in self.conditions)

    def source(self) -> str:
        """The criterion as a design file writes it."""
        return f" {self.join} ".join(c.source() for c in self.conditions)


def _condition(field: str, text: str, lrv: float, tv: float | None) -> Condition:
    match = _CONDITION.match(str(text))
    if match is None:
        raise InputError(
            field,
            f"cannot read the condition {str(text).strip()!r}: write P(p > v) > c or "
            f"P(p < v) > c (v a rate, LRV or TV; c a probability; >, >=, < or <=), {_EXAMPLE}",
        )
    rate_text, name = match["rate"], ""
    if rate_text.upper() == "LRV":
        rate, name = lrv, "LRV"
    elif rate_text.upper() == "TV":
        if tv is None:
            raise InputError(field, f"names TV in {text.strip()!r} but the rule has no tv")
        rate, name = tv, "TV"
    elif re.fullmatch(r"[0-9]*\.?[0-9]+", rate_text):
        rate = float(rate_text)
        if not 0.0 < rate < 1.0:
            raise InputError(field, f"rate {rate_text} in {text.strip()!r} is not in (0, 1)")
    else:
        raise InputError(
            field, f"rate {rate_text!r} in {text.strip()!r} must be a number, LRV or TV"
        )
    prob = float(match["prob"])
    if not 0.0 < prob < 1.0:
        raise InputError(
            field, f"probability {match['prob']} in {text.strip()!r} must be strictly in (0, 1)"
        )
    op = _OPS.get(match["op"], match["op"])
    # the rate is continuous: P(p >= v) = P(p > v)
    tail = _OPS.get(match["tail"], match["tail"])[0]
    return Condition(tail, rate, op, prob, name)


@dataclass(frozen=True)
class DualRule:
    """Go / Consider / No-Go: a GO and a NO-GO criterion (see the module docstring).

    Parameters
    ----------
    prior : BetaPrior or BetaMixturePrior
        Prior of the response rate.
    lrv : float
        Lower reference value (the rule's p0: the rate at which a GO is a false GO).
    go, nogo : str, sequence of str or Criterion
        The GO and NO-GO criteria, e.g. ``"P(p > LRV) > 0.9 and P(p > TV) > 0.5"``
        and ``"P(p < TV) > 0.9"``.
    tv : float, optional
        Target value (needed when a criterion names TV); above ``lrv``.
    interim : {"posterior", "predictive"}
        How interim looks stop (module docstring).
    n_max : int, optional
        Maximum sample size N (required with ``interim="predictive"``).
    pp_go, pp_nogo : float, optional
        Predictive interim: stop for efficacy if P(final GO | data) > pp_go, for
        futility if P(final NO-GO | data) > pp_nogo (None: no such stop).

    Examples
    --------
    >>> from adaptive_pilot import BayesianDesign, BetaPrior
    >>> rule = DualRule(BetaPrior(1, 1), 0.15, "P(p > LRV) > 0.9 and P(p > TV) > 0.5",
    ...                 "P(p < TV) > 0.9", tv=0.30)
    >>> table = BayesianDesign(rule, (40,)).boundary_table
    >>> table.futility[-1], table.efficacy[-1]
    (8, 12)
    """

    prior: BetaPrior | BetaMixturePrior
    lrv: float
    go: Criterion | str | Sequence[str]
    nogo: Criterion | str | Sequence[str]
    tv: float | None = None
    interim: str = "posterior"
    n_max: int | None = None
    pp_go: float | None = None
    pp_nogo: float | None = None
    name: str = "dual"
    go_field: ClassVar[str] = "go"
    three_outcomes: ClassVar[bool] = True

    def __post_init__(self) -> None:
        lrv = open_probability("lrv", self.lrv)
        tv = None if self.tv is None else open_probability("tv", self.tv)
        if tv is not None and tv <= lrv:
            raise InputError("tv", f"must be above lrv = {lrv:g} (got {tv:g})")
        object.__setattr__(self, "lrv", lrv)
        object.__setattr__(self, "tv", tv)
        for field in ("go", "nogo"):
            value = getattr(self, field)
            if not isinstance(value, Criterion):
                value = Criterion.parse(value, field=field, lrv=lrv, tv=tv)
            object.__setattr__(self, field, value)
        for field, want in (("go", True), ("nogo", False)):
            for condition in getattr(self, field).conditions:
                if condition.favours_response != want:
                    kind = "GO" if want else "NO-GO"
                    hint = "more" if want else "fewer"
                    raise InputError(
                        field,
                        f"{condition.source()!r} cannot be a {kind} condition: it holds for "
                        f"{'fewer' if want else 'more'} responses; a {kind} condition must hold "
                        f"for {hint} (e.g. "
                        + ("'P(p > TV) > 0.5')" if want else "'P(p < TV) > 0.9')"),
                    )
        if self.interim not in ("posterior", "predictive"):
            raise InputError("interim", f"must be posterior or predictive (got {self.interim!r})")
        for field in ("pp_go", "pp_nogo"):
            object.__setattr__(self, field, threshold(field, getattr(self, field), optional=True))
        if self.interim == "predictive":
            if self.n_max is None:
                raise InputError("n_max", "is required with interim: predictive")
            if self.pp_go is None and self.pp_nogo is None:
                raise InputError(
                    "pp_nogo",
                    "interim: predictive needs pp_nogo (stop for futility if P(final NO-GO) > "
                    "it) or pp_go (stop for efficacy if P(final GO) > it)",
                )
        elif self.pp_go is not None or self.pp_nogo is not None:
            raise InputError("pp_go", "pp_go and pp_nogo belong to interim: predictive")
        if self.n_max is not None:
            object.__setattr__(self, "n_max", max_sample_size(self.n_max))

    # ------------------------------------------------------------ the rule
    @property
    def p0(self) -> float:
        """The LRV: OC at p0 = LRV give the false-GO rate."""
        return self.lrv

    @property
    def go_criterion(self) -> Criterion:
        """The GO criterion (parsed)."""
        assert isinstance(self.go, Criterion)
        return self.go

    @property
    def nogo_criterion(self) -> Criterion:
        """The NO-GO criterion (parsed)."""
        assert isinstance(self.nogo, Criterion)
        return self.nogo

    def statistic(self, n: Any, x: Any) -> np.ndarray:
        """P(p > LRV | x responses among n): the number shown beside a decision."""
        return self.prior.prob_greater(self.lrv, x, n)

    def final_statistics(self, n: int) -> np.ndarray:
        """P(p > LRV | x, n) at a final analysis, x = 0..n."""
        return self.statistic(n, np.arange(n + 1))

    def final_sets(self, n: int, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """(GO, NO-GO) at a final analysis with n patients (CONSIDER: neither)."""
        return self.go_criterion.holds(self.prior, n, x), self.nogo_criterion.holds(
            self.prior, n, x
        )

    def final_bounds(self, n: int) -> tuple[int, int]:
        """(f, e): NO-GO if x <= f, GO if x >= e at a final analysis with n patients
        (f = -1: never NO-GO; e = n + 1: never GO)."""
        x = np.arange(n + 1)
        go, nogo = self.final_sets(n, x)
        e = int(x[go][0]) if go.any() else n + 1
        f = int(x[nogo][-1]) if nogo.any() else -1
        return f, e

    def predictive_outcomes(self, n: Any, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """(P(final GO), P(final NO-GO)) from x responses among n, the rest drawn from
        the posterior predictive up to N (the final criteria at N; no interim stops)."""
        if self.n_max is None:
            raise InputError("n_max", "the predictive probabilities need the rule's n_max")
        f, e = self.final_bounds(self.n_max)
        x, n = np.asarray(x), np.asarray(n)
        m = self.n_max - n
        p_go = self.prior.predictive_sf(e - x, m, x, n)
        p_nogo = 1.0 - self.prior.predictive_sf(f + 1 - x, m, x, n)
        return np.clip(p_go, 0.0, 1.0), np.clip(p_nogo, 0.0, 1.0)

    def interim_sets(self, n: int, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """(stop for futility, stop for efficacy) at an interim look with n patients."""
        if self.interim == "posterior":
            go, nogo = self.final_sets(n, x)
            return nogo, go
        p_go, p_nogo = self.predictive_outcomes(n, x)
        with np.errstate(invalid="ignore"):
            futility = (
                np.zeros(np.shape(p_nogo), bool)
                if self.pp_nogo is None
                else p_nogo > self.pp_nogo + TIE_TOLERANCE
            )
            efficacy = (
                np.zeros(np.shape(p_go), bool)
                if self.pp_go is None
                else p_go > self.pp_go + TIE_TOLERANCE
            )
        return np.asarray(futility), np.asarray(efficacy)

    # ------------------------------------------------------------ words
    def describe(self) -> str:
        """The rule in words."""
        values = f"LRV = {self.lrv:g}" + ("" if self.tv is None else f", TV = {self.tv:g}")
        parts = [
            f"Go / Consider / No-Go against {values}, under a {self.prior} prior.",
            f"GO if {self.go_criterion.text()}.",
            f"NO-GO if {self.nogo_criterion.text()}.",
            "CONSIDER at the final analysis if neither holds.",
        ]
        if self.interim == "posterior":
            parts.append(
                "Interim: stop for futility if the NO-GO criterion holds and for efficacy if "
                "the GO criterion holds, at the looks where the design has that stop."
            )
        else:
            stops = []
            if self.pp_nogo is not None:
                stops.append(f"for futility if P(final NO-GO | data) > {self.pp_nogo:g}")
            if self.pp_go is not None:
                stops.append(f"for efficacy if P(final GO | data) > {self.pp_go:g}")
            parts.append(f"Interim: stop {' and '.join(stops)} (predictive, at N = {self.n_max}).")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters (the criteria as a design file writes them)."""
        out: dict[str, Any] = {
            "type": self.name,
            "p0": self.lrv,
            "prior": self.prior.to_dict(),
            "lrv": self.lrv,
            "tv": self.tv,
            "go": self.go_criterion.source(),
            "nogo": self.nogo_criterion.source(),
            "interim": self.interim,
        }
        if self.interim == "predictive":
            out.update(n_max=self.n_max, pp_go=self.pp_go, pp_nogo=self.pp_nogo)
        return out


def with_thresholds(
    rule: DualRule, *, go: tuple[int, float] | None = None, nogo: tuple[int, float] | None = None
) -> DualRule:
    """The rule with the probability threshold of one GO and/or one NO-GO condition changed.

    ``go = (i, c)`` sets condition i (1-based) of the GO criterion to threshold c.
    """
    changes: dict[str, Any] = {}
    for field, change in (("go", go), ("nogo", nogo)):
        if change is None:
            continue
        index, value = change
        criterion: Criterion = getattr(rule, f"{field}_criterion")
        if not 1 <= index <= len(criterion.conditions):
            raise InputError(
                f"{field}_condition",
                f"must be 1..{len(criterion.conditions)}, a condition of the {field} criterion "
                f"(got {index})",
            )
        conditions = list(criterion.conditions)
        conditions[index - 1] = replace(conditions[index - 1], prob=float(value))
        changes[field] = replace(criterion, conditions=tuple(conditions))
    return replace(rule, **changes)
