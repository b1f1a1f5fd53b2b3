"""Posterior-probability rule (Thall & Simon 1994)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..priors import BetaMixturePrior, BetaPrior
from ._common import (
    PosteriorThresholdsMixin,
    posterior_matrix,
)

__all__ = ["PosteriorRule"]


@dataclass(frozen=True)
class PosteriorRule(PosteriorThresholdsMixin):
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
    go_field: ClassVar[str] = "theta_final"

    def __post_init__(self) -> None:
        self._validate_thresholds()

    def statistic(self, n: Any, x: Any) -> np.ndarray:
        """q = P(p > p0 | x responses among n)."""
        return self.prior.prob_greater(self.p0, x, n)

    def look_statistics(self, looks: Sequence[int]) -> np.ndarray:
        """q on every look at once: shape (K, N + 1), NaN beyond n_k."""
        return posterior_matrix(self.prior, self.p0, looks)

    def statistic_key(self) -> Hashable:
        """Posterior-probability rules on the same prior and p0 share q."""
        return ("q", self.p0, self.prior)

    def statistic_sentence(self) -> str:
        """What q is, in words."""
        return f"q = P(p > {self.p0:g} | data) under a {self.prior} prior."
