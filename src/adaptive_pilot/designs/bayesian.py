"""Bayesian single-cohort designs: a rule on a look schedule, compiled to a boundary table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Protocol

import numpy as np

from .._validate import increasing_looks
from ..errors import InputError
from ..provenance import content_hash
from .boundary_table import BoundaryTable

__all__ = ["BayesianDesign", "Decision", "Rule"]


class Rule(Protocol):
    """What a stopping rule provides: decisions at any (n, x)."""

    name: str

    def interim(self, n: int, x: Any) -> tuple[np.ndarray, np.ndarray]: ...
    def final_go(self, n: int, x: Any) -> np.ndarray: ...
    def statistic(self, n: int, x: Any) -> np.ndarray: ...
    def describe(self) -> str: ...
    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Decision:
    """A decision of the rule at one look: what to do and the number behind it."""

    n: int
    x: int
    action: str  # "continue", "stop_futility", "stop_efficacy", "go", "no_go"
    statistic: float
    final: bool


@dataclass(frozen=True)
class BayesianDesign:
    """A stopping rule applied on a look schedule, with per-look switches.

    Parameters
    ----------
    rule : Rule
        A :class:`PosteriorRule`, :class:`PredictiveRule` or :class:`BOP2Rule`.
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

    rule: Rule
    looks: tuple[int, ...]
    futility_on: tuple[bool, ...] | None = None
    efficacy_on: tuple[bool, ...] | None = None

    def __post_init__(self) -> None:
        looks = increasing_looks("looks", self.looks)
        n_max = getattr(self.rule, "n_max", None)
        if n_max is not None and looks[-1] != n_max:
            raise InputError(
                "looks",
                f"the last look ({looks[-1]}) must equal the rule's maximum sample size "
                f"N = {n_max}",
            )
        object.__setattr__(self, "looks", looks)
        object.__setattr__(
            self, "futility_on", _switches("futility_on", self.futility_on, len(looks))
        )
        object.__setattr__(
            self, "efficacy_on", _switches("efficacy_on", self.efficacy_on, len(looks))
        )

    @property
    def n_max(self) -> int:
        """Maximum sample size."""
        return self.looks[-1]

    @cached_property
    def boundary_table(self) -> BoundaryTable:
        """The compiled boundary table."""
        futility: list[int | None] = []
        efficacy: list[int | None] = []
        last = len(self.looks) - 1
        for k, n in enumerate(self.looks):
            x = np.arange(n + 1)
            if k == last:
                go = np.asarray(self.rule.final_go(n, x), dtype=bool)
                e = _upper_set_start("final GO", go, n)
                if e is None or e == 0:
                    what = "never" if e is None else "always"
                    raise InputError(
                        _threshold_field(self.rule),
                        f"the final analysis (n={n}) would {what} declare GO; "
                        "adjust the thresholds",
                    )
                futility.append(e - 1)
                efficacy.append(e)
                continue
            stop_f, stop_e = self.rule.interim(n, x)
            f = (
                _lower_set_end("futility", np.asarray(stop_f, bool), n)
                if self.futility_on[k]
                else None
            )
            e = (
                _upper_set_start("efficacy", np.asarray(stop_e, bool), n)
                if self.efficacy_on[k]
                else None
            )
            futility.append(f)
            efficacy.append(e)
        has_interim_switch = any(self.futility_on[:-1]) or any(self.efficacy_on[:-1])
        if (
            last > 0
            and has_interim_switch
            and all(
                f is None and e is None for f, e in zip(futility[:-1], efficacy[:-1], strict=True)
            )
        ):
            raise InputError(
                _threshold_field(self.rule),
                "the rule can never stop early: no outcome at any interim look crosses a "
                "threshold; change the thresholds or remove the interim looks",
            )
        return BoundaryTable(looks=self.looks, futility=tuple(futility), efficacy=tuple(efficacy))

    def decide(self, n: int, x: int) -> Decision:
        """Evaluate the rule directly at (n, x); n is a look or any number up to N."""
        if not 0 <= x <= n:
            raise InputError("x", f"must be between 0 and n = {n} (got {x})")
        if not 1 <= n <= self.n_max:
            raise InputError("n", f"must be between 1 and N = {self.n_max} (got {n})")
        statistic = float(np.asarray(self.rule.statistic(n, x)))
        if n == self.n_max:
            go = bool(np.asarray(self.rule.final_go(n, x)))
            return Decision(n, x, "go" if go else "no_go", statistic, True)
        k = self.looks.index(n) if n in self.looks else None
        stop_f, stop_e = (bool(np.asarray(v)) for v in self.rule.interim(n, x))
        f_on = self.futility_on[k] if k is not None else True
        e_on = self.efficacy_on[k] if k is not None else True
        if stop_f and f_on:
            action = "stop_futility"
        elif stop_e and e_on:
            action = "stop_efficacy"
        else:
            action = "continue"
        return Decision(n, x, action, statistic, False)

    def oc(self, p: Any):
        """Exact operating characteristics (see :func:`adaptive_pilot.exact_oc`)."""
        return self.boundary_table.oc(p)

    def describe(self) -> str:
        """The rule in words, then its compiled boundaries."""
        return self.rule.describe() + "\n" + self.boundary_table.describe()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready design (rule, looks, switches)."""
        return {
            "rule": self.rule.to_dict(),
            "looks": list(self.looks),
            "futility_on": list(self.futility_on),
            "efficacy_on": list(self.efficacy_on),
        }

    def design_hash(self) -> str:
        """Hash of the resolved design."""
        return content_hash(self.to_dict())


def _switches(field_name: str, values: Sequence[bool] | None, count: int) -> tuple[bool, ...]:
    if values is None:
        return (True,) * count
    values = tuple(values)
    if len(values) != count or not all(isinstance(v, bool | np.bool_) for v in values):
        raise InputError(
            field_name, f"needs one true/false per look ({count} looks, got {list(values)})"
        )
    return tuple(bool(v) for v in values)


def _lower_set_end(kind: str, stop: np.ndarray, n: int) -> int | None:
    """f such that stop == (x <= f); None when empty."""
    if not stop.any():
        return None
    f = int(np.flatnonzero(stop).max())
    if not stop[: f + 1].all():
        raise InputError(kind, f"the {kind} region at n = {n} is not of the form x <= f")
    return f


def _upper_set_start(kind: str, stop: np.ndarray, n: int) -> int | None:
    """e such that stop == (x >= e); None when empty."""
    if not stop.any():
        return None
    e = int(np.flatnonzero(stop).min())
    if not stop[e:].all():
        raise InputError(kind, f"the {kind} region at n = {n} is not of the form x >= e")
    return e


def _threshold_field(rule: Rule) -> str:
    return {"posterior": "theta_final", "predictive": "theta_t", "bop2": "lambda"}.get(
        rule.name, "rule"
    )
