"""Posterior-probability rule (Thall & Simon 1994)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import open_probability
from ..priors import BetaMixturePrior, BetaPrior
from ._common import interim_sentences, rule_fields, threshold

__all__ = ["PosteriorRule"]


@dataclass(frozen=True)
class PosteriorRule:
    """Stop on the posterior probability that the response rate exceeds p0.

    With q(n, x) = P(p > p0 | x responses among n):

    * interim futility if q < ``theta_futility``;
    * interim efficacy (GO) if q > ``theta_efficacy``;
    * final analysis: GO if q > ``theta_final``, otherwise NO-GO.

    Parameters
    ----------
    p0 : float
        Uninteresting response rate.
    prior : BetaPrior or BetaMixturePrior
        Prior for the response rate.
    theta_final : float
        GO threshold at the final analysis.
    theta_futility, theta_efficacy : float, optional
        Interim thresholds; ``None`` for no stop of that kind.
    """

    p0: float
    prior: BetaPrior | BetaMixturePrior
    theta_final: float
    theta_futility: float | None = None
    theta_efficacy: float | None = None
    name: str = "posterior"

    def __post_init__(self) -> None:
        object.__setattr__(self, "p0", open_probability("p0", self.p0))
        object.__setattr__(self, "theta_final", threshold("theta_final", self.theta_final))
        object.__setattr__(
            self, "theta_futility", threshold("theta_futility", self.theta_futility, optional=True)
        )
        object.__setattr__(
            self, "theta_efficacy", threshold("theta_efficacy", self.theta_efficacy, optional=True)
        )

    def statistic(self, n: int, x: Any) -> np.ndarray:
        """P(p > p0 | x responses among n)."""
        return self.prior.prob_greater(self.p0, x, n)

    def interim(self, n: int, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """(stop for futility, stop for efficacy) at an interim look with n patients."""
        q = self.statistic(n, x)
        futility = (
            q < self.theta_futility if self.theta_futility is not None else np.zeros_like(q, bool)
        )
        efficacy = (
            q > self.theta_efficacy if self.theta_efficacy is not None else np.zeros_like(q, bool)
        )
        return futility, efficacy

    def final_go(self, n: int, x: Any) -> np.ndarray:
        """GO at the final analysis with n patients."""
        return self.statistic(n, x) > self.theta_final

    def describe(self) -> str:
        """The rule in words."""
        parts = [f"q = P(p > {self.p0:g} | data) under a {self.prior} prior."]
        parts += interim_sentences("q", self.theta_futility, self.theta_efficacy)
        parts.append(f"Final: GO if q > {self.theta_final:g}.")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return rule_fields(
            self,
            theta_final=self.theta_final,
            theta_futility=self.theta_futility,
            theta_efficacy=self.theta_efficacy,
        )
