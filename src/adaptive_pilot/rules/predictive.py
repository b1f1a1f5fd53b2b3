"""Predictive-probability rule (Lee & Liu 2008)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import open_probability
from ..errors import InputError
from ..priors import BetaMixturePrior, BetaPrior
from ._common import interim_sentences, max_sample_size, rule_fields, threshold

__all__ = ["PredictiveRule", "predictive_probability"]


def _final_success_threshold(prior, p0: float, theta_t: float, n_max: int) -> int:
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
    s, and PP = P(Y >= s - x): one beta-binomial tail.

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
    s = _final_success_threshold(prior, p0, theta_t, n_max)
    m = n_max - n
    if np.ndim(m) == 0:
        return prior.predictive_sf(s - x, int(m), x, n)
    out = np.empty(np.broadcast_shapes(x.shape, n.shape))
    xb, nb = np.broadcast_arrays(x, n)
    for value in np.unique(nb):
        mask = nb == value
        out[mask] = prior.predictive_sf(s - xb[mask], int(n_max - value), xb[mask], value)
    return out


@dataclass(frozen=True)
class PredictiveRule:
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "p0", open_probability("p0", self.p0))
        object.__setattr__(self, "n_max", max_sample_size(self.n_max))
        object.__setattr__(self, "theta_t", threshold("theta_t", self.theta_t))
        object.__setattr__(self, "theta_l", threshold("theta_l", self.theta_l, optional=True))
        object.__setattr__(self, "theta_u", threshold("theta_u", self.theta_u, optional=True))

    def statistic(self, n: int, x: Any) -> np.ndarray:
        """Predictive probability of success given x responses among n."""
        return predictive_probability(x, n, self.n_max, self.p0, self.prior, self.theta_t)

    def interim(self, n: int, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """(stop for futility, stop for efficacy) at an interim look with n patients."""
        pp = self.statistic(n, x)
        futility = pp < self.theta_l if self.theta_l is not None else np.zeros_like(pp, bool)
        efficacy = pp > self.theta_u if self.theta_u is not None else np.zeros_like(pp, bool)
        return futility, efficacy

    def final_go(self, n: int, x: Any) -> np.ndarray:
        """GO at the final analysis: P(p > p0 | x, n) > theta_T."""
        return self.prior.prob_greater(self.p0, x, n) > self.theta_t

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
