"""Shared helpers for rules (internal): validation, JSON header, descriptions, statistics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._limits import N_LIMIT
from .._validate import open_probability
from ..errors import InputError
from ..priors import BetaMixturePrior, BetaPrior
from .compile import Cutoffs, decide_sets, final_go


class ThresholdRuleMixin:
    """``interim`` and ``final_go`` of a rule, through the one compile path."""

    def interim(self, n: int, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """(stop for futility, stop for efficacy) at an interim look with n patients."""
        return decide_sets(self, n, x)  # type: ignore[arg-type]

    def final_go(self, n: int, x: Any) -> np.ndarray:
        """GO at a final analysis with n patients."""
        return final_go(self, n, x)  # type: ignore[arg-type]


class PosteriorThresholdsMixin(ThresholdRuleMixin):
    """Final statistic and constant cut-offs of a rule on a posterior probability q.

    Interim futility if q < ``theta_futility``, efficacy if q > ``theta_efficacy``,
    final GO if q > ``theta_final``, the same at every look.
    """

    p0: float
    theta_final: float
    theta_futility: float | None
    theta_efficacy: float | None

    def _validate_thresholds(self) -> None:
        """Check p0 and the three thresholds (frozen dataclasses call this first)."""
        object.__setattr__(self, "p0", open_probability("p0", self.p0))
        object.__setattr__(self, "theta_final", threshold("theta_final", self.theta_final))
        for name in ("theta_futility", "theta_efficacy"):
            object.__setattr__(self, name, threshold(name, getattr(self, name), optional=True))

    def statistic(self, n: Any, x: Any) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    def statistic_sentence(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError

    def own_fields(self) -> dict[str, Any]:
        """Parameters of the rule besides p0, prior and thresholds (JSON-ready)."""
        return {}

    def describe(self) -> str:
        """The rule in words."""
        parts = [self.statistic_sentence()]
        parts += interim_sentences("q", self.theta_futility, self.theta_efficacy)
        parts.append(f"Final: GO if q > {self.theta_final:g}.")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return rule_fields(
            self,
            **self.own_fields(),
            theta_final=self.theta_final,
            theta_futility=self.theta_futility,
            theta_efficacy=self.theta_efficacy,
        )

    def final_statistics(self, n: int) -> np.ndarray:
        """q at the final analysis, x = 0..n."""
        return self.statistic(n, np.arange(n + 1))

    def cutoffs(self, looks: Sequence[int]) -> Cutoffs:
        """Constant thresholds at every look."""
        count = len(looks)
        return Cutoffs(
            constant(self.theta_futility, count),
            constant(self.theta_efficacy, count),
            self.theta_final,
        )


def posterior_matrix(
    prior: BetaPrior | BetaMixturePrior, p0: float, looks: Sequence[int]
) -> np.ndarray:
    """P(p > p0 | x, n_k) for x = 0..N on every look at once: (K, N + 1), NaN beyond n_k."""
    n = np.asarray(looks)[:, None]
    x = np.arange(int(n.max()) + 1)[None, :]
    q = np.asarray(prior.prob_greater(p0, np.minimum(x, n), n), dtype=float)
    return np.where(x <= n, q, np.nan)


def constant(value: float | None, count: int) -> np.ndarray:
    """A per-look cut-off array (NaN where the stop does not exist)."""
    return np.full(count, np.nan if value is None else float(value))


def rule_fields(rule: Any, **parameters: Any) -> dict[str, Any]:
    """JSON-ready parameters of a rule: type, p0, prior, then its own parameters."""
    return {"type": rule.name, "p0": rule.p0, "prior": rule.prior.to_dict(), **parameters}


def interim_sentences(statistic: str, futility: float | None, efficacy: float | None) -> list[str]:
    """'Interim: stop for futility if S < a.' / '... efficacy if S > b.' where set."""
    parts = []
    if futility is not None:
        parts.append(f"Interim: stop for futility if {statistic} < {futility:g}.")
    if efficacy is not None:
        parts.append(f"Interim: stop for efficacy if {statistic} > {efficacy:g}.")
    return parts


def threshold(field: str, value: float | None, *, optional: bool = False) -> float | None:
    """A probability threshold strictly between 0 and 1 (or None when optional)."""
    if value is None:
        if optional:
            return None
        raise InputError(field, "is required: a probability strictly between 0 and 1")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(field, f"must be a probability strictly between 0 and 1 (got {value!r})")
    if math.isnan(value):
        raise InputError(field, "must be a probability strictly between 0 and 1 (got not a number)")
    if not 0.0 < value < 1.0:
        raise InputError(field, f"must be a probability strictly between 0 and 1 (got {value})")
    return float(value)


def max_sample_size(value: int, field: str = "n_max") -> int:
    """A maximum sample size: a whole number from 1 to 5,000."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(field, f"must be a whole number >= 1 (got {value!r})")
    if value > N_LIMIT:
        raise InputError(field, f"must be at most {N_LIMIT:,} (got {value:,})")
    return int(value)
