"""Predictive-probability rule (Lee & Liu 2008)."""

from __future__ import annotations

import functools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._validate import open_probability
from ..errors import InputError
from ..priors import BetaMixturePrior, BetaPrior
from ._common import (
    ThresholdRuleMixin,
    constant,
    interim_sentences,
    max_sample_size,
    rule_fields,
    threshold,
)
from .compile import Cutoffs

__all__ = ["PredictiveRule", "predictive_probability"]


@functools.lru_cache(maxsize=4096)
def success_threshold(
    prior: BetaPrior | BetaMixturePrior, p0: float, theta_t: float, n_max: int
) -> int:
    """Smallest total x with P(p > p0 | x, N) > theta_T (N + 1 when none)."""
    x = np.arange(n_max + 1)
    success = prior.prob_greater(p0, x, n_max) > theta_t
    return int(np.argmax(success)) if success.any() else n_max + 1


def predictive_probability(
    x: Any, n: Any, n_max: int, p0: float, prior: BetaPrior | BetaMixturePrior, theta_t: float
) -> np.ndarray:
    """Lee & Liu's predictive probability of trial success.

    With m = N - n patients to come and Y ~ beta-binomial(m | posterior),
    PP = sum_i P(Y = i | x) 1[P(p > p0 | x + i, N) > theta_T].

    Because the posterior probability increases with the total number of
    responses, the indicator is 1[x + i >= s] for a single success threshold
    s, and PP = P(Y >= s - x): one beta-binomial tail, vectorised over (x, n).

    Examples
    --------
    Lee & Liu (2008), Table 1:

    >>> pp = predictive_probability(16, 23, 40, 0.6, BetaPrior(0.6, 0.4), 0.9)
    >>> round(float(pp), 4)
    0.5656
    """
    n_max = max_sample_size(n_max)
    x = np.asarray(x)
    n = np.asarray(n)
    if np.any(n > n_max) or np.any(n < 0) or np.any(x < 0) or np.any(x > n):
        raise InputError("n", f"needs 0 <= x <= n <= N = {n_max}")
    s = success_threshold(prior, float(p0), float(theta_t), n_max)
    return prior.predictive_sf(s - x, n_max - n, x, n)


@dataclass(frozen=True)
class PredictiveRule(ThresholdRuleMixin):
    """Stop on the predictive probability of success at the final analysis.

    * final analysis (n = N): GO if P(p > p0 | x, N) > ``theta_t``;
    * interim futility if PP < ``theta_l``;
    * interim efficacy if PP > ``theta_u`` (``None``: never, as in Lee & Liu).

    Parameters
    ----------
    p0 : float
        Uninteresting response rate.
    prior : BetaPrior or BetaMixturePrior
        Prior for the response rate.
    n_max : int
        Maximum sample size N.
    theta_t, theta_l : float
        Final-success and futility thresholds.
    theta_u : float, optional
        Efficacy threshold on PP.
    """

    p0: float
    prior: BetaPrior | BetaMixturePrior
    n_max: int
    theta_t: float
    theta_l: float | None = None
    theta_u: float | None = None
    name: str = "predictive"
    go_field: ClassVar[str] = "theta_t"

    def __post_init__(self) -> None:
        object.__setattr__(self, "p0", open_probability("p0", self.p0))
        object.__setattr__(self, "n_max", max_sample_size(self.n_max))
        object.__setattr__(self, "theta_t", threshold("theta_t", self.theta_t))
        object.__setattr__(self, "theta_l", threshold("theta_l", self.theta_l, optional=True))
        object.__setattr__(self, "theta_u", threshold("theta_u", self.theta_u, optional=True))

    def statistic(self, n: Any, x: Any) -> np.ndarray:
        """Predictive probability of success given x responses among n."""
        return predictive_probability(x, n, self.n_max, self.p0, self.prior, self.theta_t)

    def look_statistics(self, looks: Sequence[int]) -> np.ndarray:
        """PP on every look at once: shape (K, N + 1), NaN beyond n_k."""
        n = np.asarray(looks)[:, None]
        x = np.arange(self.n_max + 1)[None, :]
        pp = self.statistic(n, np.minimum(x, n))
        return np.where(x <= n, pp, np.nan)

    def final_statistics(self, n: int) -> np.ndarray:
        """P(p > p0 | x, n) at the final analysis, x = 0..n."""
        return self.prior.prob_greater(self.p0, np.arange(n + 1), n)

    def cutoffs(self, looks: Sequence[int]) -> Cutoffs:
        """theta_L and theta_U at every interim look; theta_T at the end."""
        count = len(looks)
        return Cutoffs(constant(self.theta_l, count), constant(self.theta_u, count), self.theta_t)

    def statistic_key(self) -> Hashable:
        """Rules with the same success threshold s share PP."""
        s = success_threshold(self.prior, self.p0, self.theta_t, self.n_max)
        return ("pp", self.p0, self.prior, self.n_max, s)

    def describe(self) -> str:
        """The rule in words."""
        parts = [
            f"PP = predictive probability that P(p > {self.p0:g} | data at N = {self.n_max}) "
            f"> {self.theta_t:g}, under a {self.prior} prior."
        ]
        parts += interim_sentences("PP", self.theta_l, self.theta_u)
        parts.append(f"Final: GO if P(p > {self.p0:g} | data) > {self.theta_t:g}.")
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return rule_fields(
            self,
            n_max=self.n_max,
            theta_t=self.theta_t,
            theta_l=self.theta_l,
            theta_u=self.theta_u,
        )
