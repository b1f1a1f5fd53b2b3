"""Bayesian single-cohort designs: a rule on a look schedule, compiled to a boundary table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .._validate import increasing_looks
from ..boundary_table import BoundaryTable
from ..errors import InputError
from ..oc.exact import OperatingCharacteristics, exact_oc
from ..provenance import design_hash
from ..rules.compile import AnyRule, compile_rules, decide_sets, final_go, final_nogo

__all__ = ["BayesianDesign", "Decision"]


@dataclass(frozen=True)
class Decision:
    """A decision of the rule at one look: what to do and the number behind it."""

    n: int
    x: int
    action: str  # "continue", "stop_futility", "stop_efficacy", "go", "consider", "no_go"
    statistic: float
    final: bool


@dataclass(frozen=True)
class BayesianDesign:
    """A stopping rule applied on a look schedule, with per-look switches.

    Parameters
    ----------
    rule : Rule
        A :class:`PosteriorRule`, :class:`PredictiveRule`, :class:`BOP2Rule` or a
        Go / Consider / No-Go :class:`DualRule`.
    looks : sequence of int
        Look schedule; the last look is the final analysis (maximum N).
    futility_on, efficacy_on : sequence of bool, optional
        Per-look switches for interim futility and efficacy stopping
        (default: on at every interim look). The final look always decides.

    Notes
    -----
    The rule is the source of truth: :meth:`decide` evaluates it at any
    (n, x). :attr:`boundary_table` is its compiled form on the schedule; the
    compilation checks that the stopping sets are of the form x <= f and
    x >= e, which holds because every posterior and predictive probability
    here increases with x.
    """

    rule: AnyRule
    looks: tuple[int, ...]
    futility_on: tuple[bool, ...] | None = None
    efficacy_on: tuple[bool, ...] | None = None

    def __post_init__(self) -> None:
        settle_schedule(self, getattr(self.rule, "n_max", None))

    @property
    def n_max(self) -> int:
        """Maximum sample size."""
        return self.looks[-1]

    @cached_property
    def boundary_table(self) -> BoundaryTable:
        """The compiled boundary table (see :func:`adaptive_pilot.rules.compile.compile_rules`)."""
        return compile_rules([self.rule], self.looks, self.futility_on, self.efficacy_on).table(0)

    def decide(self, n: int, x: int) -> Decision:
        """Evaluate the rule directly at (n, x); n is a look or any number up to N."""
        if not 0 <= x <= n:
            raise InputError("x", f"must be between 0 and n = {n} (got {x})")
        if not 1 <= n <= self.n_max:
            raise InputError("n", f"must be between 1 and N = {self.n_max} (got {n})")
        statistic = float(np.asarray(self.rule.statistic(n, x)))
        if n == self.n_max:
            go = bool(final_go(self.rule, n, x))
            nogo = bool(final_nogo(self.rule, n, x))
            action = "go" if go else "no_go" if nogo else "consider"
            return Decision(n, x, action, statistic, True)
        k = self.looks.index(n) if n in self.looks else None
        stop_f, stop_e = (bool(v) for v in decide_sets(self.rule, n, x))
        fut_switches, eff_switches = self.switches
        f_on = fut_switches[k] if k is not None else True
        e_on = eff_switches[k] if k is not None else True
        if stop_f and f_on:
            action = "stop_futility"
        elif stop_e and e_on:
            action = "stop_efficacy"
        else:
            action = "continue"
        return Decision(n, x, action, statistic, False)

    @property
    def switches(self) -> tuple[tuple[bool, ...], tuple[bool, ...]]:
        """Per-look (futility, efficacy) switches, filled in by the constructor."""
        assert self.futility_on is not None and self.efficacy_on is not None
        return self.futility_on, self.efficacy_on

    def oc(self, p: Any) -> OperatingCharacteristics:
        """Exact operating characteristics (see :func:`adaptive_pilot.exact_oc`)."""
        return exact_oc(self.boundary_table, p, design=self.to_dict())

    def describe(self) -> str:
        """The rule in words, then its compiled boundaries."""
        return self.rule.describe() + "\n" + self.boundary_table.describe()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready design (rule, looks, switches)."""
        return {
            "rule": self.rule.to_dict(),
            "looks": list(self.looks),
            "futility_on": list(self.switches[0]),
            "efficacy_on": list(self.switches[1]),
            "boundaries": self.boundary_table.to_dict(),
        }

    def design_hash(self) -> str:
        """Hash of the resolved design."""
        return design_hash(self.to_dict())


def settle_schedule(design: Any, n_max: int | None) -> None:
    """Validate a frozen design's ``looks`` (the last one N, when the rule has one) and fill
    in its per-look switches (default: on)."""
    looks = increasing_looks("looks", design.looks)
    if n_max is not None and looks[-1] != n_max:
        raise InputError(
            "looks",
            f"the last look ({looks[-1]}) must equal the rule's maximum sample size N = {n_max}",
        )
    object.__setattr__(design, "looks", looks)
    for name in ("futility_on", "efficacy_on"):
        object.__setattr__(design, name, _switches(name, getattr(design, name), len(looks)))


def _switches(field_name: str, values: Sequence[bool] | None, count: int) -> tuple[bool, ...]:
    if values is None:
        return (True,) * count
    values = tuple(values)
    if len(values) != count or not all(isinstance(v, bool | np.bool_) for v in values):
        raise InputError(
            field_name, f"needs one true/false per look ({count} looks, got {list(values)})"
        )
    return tuple(bool(v) for v in values)
