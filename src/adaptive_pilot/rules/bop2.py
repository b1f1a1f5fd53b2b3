"""BOP2 rule (Zhou, Lee & Yuan 2017) with the optional efficacy stop of BOP2-FE."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np

from .._validate import open_probability
from ..errors import InputError
from ..priors import BetaMixturePrior, BetaPrior
from ._common import ThresholdRuleMixin, max_sample_size, posterior_matrix, rule_fields, threshold
from .compile import Cutoffs

__all__ = ["BOP2Rule"]


@dataclass(frozen=True)
class BOP2Rule(ThresholdRuleMixin):
    """Bayesian optimal phase II rule for a binary endpoint.

    With q(n, x) = P(p > p0 | x responses among n) and t = n / N:

    * futility at a look: stop if P(p <= p0 | data) > 1 - lambda t^gamma,
      that is q < lambda t^gamma;
    * final analysis (t = 1): GO if q >= lambda, otherwise NO-GO;
    * optional efficacy stop (BOP2-FE): stop for efficacy if q >= C_e(t), with
      ``efficacy="power"``: C_e = 1 - (1 - lambda) t^eta, or
      ``efficacy="obrien-fleming"``: C_e = 2 Phi(Phi^-1((1 + lambda) / 2) / sqrt(t)) - 1.
      Both equal lambda at t = 1 and are stricter earlier.

    Parameters
    ----------
    p0 : float
        Uninteresting response rate.
    prior : BetaPrior or BetaMixturePrior
        Prior for the response rate.
    n_max : int
        Maximum sample size N.
    lam, gamma : float
        Cut-off parameters: lambda in (0, 1), gamma > 0.
    efficacy : {None, "power", "obrien-fleming"}
        Form of the efficacy cut-off; None for no efficacy stop.
    eta : float, optional
        Exponent of the power-form efficacy cut-off.
    """

    p0: float
    prior: BetaPrior | BetaMixturePrior
    n_max: int
    lam: float
    gamma: float
    efficacy: Literal["power", "obrien-fleming"] | None = None
    eta: float | None = None
    name: str = "bop2"
    go_field: ClassVar[str] = "lambda"

    def __post_init__(self) -> None:
        object.__setattr__(self, "p0", open_probability("p0", self.p0))
        object.__setattr__(self, "n_max", max_sample_size(self.n_max))
        object.__setattr__(self, "lam", threshold("lambda", self.lam))
        object.__setattr__(self, "gamma", _positive("gamma", self.gamma))
        if self.efficacy not in (None, "power", "obrien-fleming"):
            raise InputError(
                "efficacy", f"must be 'power', 'obrien-fleming' or absent (got {self.efficacy!r})"
            )
        if self.efficacy == "power":
            if self.eta is None:
                raise InputError("eta", "the power-form efficacy cut-off needs eta > 0")
            object.__setattr__(self, "eta", _positive("eta", self.eta))

    def statistic(self, n: Any, x: Any) -> np.ndarray:
        """q = P(p > p0 | x responses among n)."""
        return self.prior.prob_greater(self.p0, x, n)

    def look_statistics(self, looks: Sequence[int]) -> np.ndarray:
        """q on every look at once: shape (K, N + 1), NaN beyond n_k."""
        return posterior_matrix(self.prior, self.p0, looks)

    def final_statistics(self, n: int) -> np.ndarray:
        """q at the final analysis, x = 0..n."""
        return self.statistic(n, np.arange(n + 1))

    def futility_cutoff(self, n: Any) -> Any:
        """Stop for futility if q < lambda (n/N)^gamma (vectorised over n)."""
        return self.lam * (np.asarray(n, dtype=float) / self.n_max) ** self.gamma

    def efficacy_cutoff(self, n: Any) -> Any:
        """Stop for efficacy if q >= this cut-off (NaN without efficacy stop)."""
        t = np.asarray(n, dtype=float) / self.n_max
        if self.efficacy == "power":
            assert self.eta is not None  # validated with efficacy='power'
            return 1.0 - (1.0 - self.lam) * t**self.eta
        if self.efficacy == "obrien-fleming":
            from scipy import special  # the normal CDF and quantile (no scipy.stats: 0.7 s)

            z = special.ndtri((1.0 + self.lam) / 2.0)
            return 2.0 * special.ndtr(z / np.sqrt(t)) - 1.0
        return np.full(t.shape, np.nan)

    def cutoffs(self, looks: Sequence[int]) -> Cutoffs:
        """lambda (n/N)^gamma for futility and GO (inclusive), C_e(n) for efficacy."""
        n = np.asarray(looks, dtype=float)
        return Cutoffs(
            futility=self.futility_cutoff(n),
            efficacy=self.efficacy_cutoff(n),
            go=float(self.futility_cutoff(n[-1])),
            efficacy_inclusive=True,
            go_inclusive=True,
        )

    def statistic_key(self) -> Hashable:
        """BOP2 and posterior-probability rules on the same prior and p0 share q."""
        return ("q", self.p0, self.prior)

    def describe(self) -> str:
        """The rule in words."""
        text = (
            f"q = P(p > {self.p0:g} | data) under a {self.prior} prior. After n of "
            f"N = {self.n_max} evaluable patients: "
            f"stop for futility if q < {self.lam:g} (n/N)^{self.gamma:g}; "
            f"final GO if q >= {self.lam:g}."
        )
        if self.efficacy == "power":
            text += f" Stop for efficacy if q >= 1 - {1 - self.lam:g} (n/N)^{self.eta:g}."
        elif self.efficacy == "obrien-fleming":
            text += " Stop for efficacy if q >= 2 Phi(Phi^-1((1 + lambda)/2) / sqrt(n/N)) - 1."
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        parameters = {"n_max": self.n_max, "lambda": self.lam, "gamma": self.gamma}
        return rule_fields(self, **parameters, efficacy=self.efficacy, eta=self.eta)


def _positive(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(field, f"must be a positive number (got {value!r})")
    if math.isnan(value):
        raise InputError(field, "must be a positive number (got not a number)")
    if not (math.isfinite(value) and value > 0):
        raise InputError(field, f"must be a positive number (got {value})")
    return float(value)
