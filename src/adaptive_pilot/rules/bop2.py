"""BOP2 rule (Zhou, Lee & Yuan 2017) with the optional efficacy stop of BOP2-FE."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy import stats

from .._validate import open_probability
from ..errors import InputError
from ..priors import BetaMixturePrior, BetaPrior
from ._common import max_sample_size, rule_fields, threshold

__all__ = ["BOP2Rule"]


@dataclass(frozen=True)
class BOP2Rule:
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

    def __post_init__(self) -> None:
        object.__setattr__(self, "p0", open_probability("p0", self.p0))
        object.__setattr__(self, "n_max", max_sample_size(self.n_max))
        object.__setattr__(self, "lam", threshold("lambda", self.lam))
        if isinstance(self.gamma, bool) or not isinstance(self.gamma, int | float):
            raise InputError("gamma", f"must be a positive number (got {self.gamma!r})")
        if not (math.isfinite(self.gamma) and self.gamma > 0):
            raise InputError("gamma", f"must be a positive number (got {self.gamma})")
        object.__setattr__(self, "gamma", float(self.gamma))
        if self.efficacy not in (None, "power", "obrien-fleming"):
            raise InputError(
                "efficacy", f"must be 'power', 'obrien-fleming' or absent (got {self.efficacy!r})"
            )
        if self.efficacy == "power":
            if self.eta is None or not isinstance(self.eta, int | float) or not self.eta > 0:
                raise InputError(
                    "eta", f"the power-form efficacy cut-off needs eta > 0 (got {self.eta!r})"
                )
            object.__setattr__(self, "eta", float(self.eta))

    def statistic(self, n: int, x: Any) -> np.ndarray:
        """P(p > p0 | x responses among n)."""
        return self.prior.prob_greater(self.p0, x, n)

    def futility_cutoff(self, n: int) -> float:
        """Stop for futility if q < lambda (n/N)^gamma."""
        return self.lam * (n / self.n_max) ** self.gamma

    def efficacy_cutoff(self, n: int) -> float | None:
        """Stop for efficacy if q >= this cut-off (None without efficacy stop)."""
        t = n / self.n_max
        if self.efficacy == "power":
            return 1.0 - (1.0 - self.lam) * t**self.eta
        if self.efficacy == "obrien-fleming":
            return float(
                2.0 * stats.norm.cdf(stats.norm.ppf((1.0 + self.lam) / 2.0) / math.sqrt(t)) - 1.0
            )
        return None

    def interim(self, n: int, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """(stop for futility, stop for efficacy) at an interim look with n patients."""
        q = self.statistic(n, x)
        futility = q < self.futility_cutoff(n)
        cutoff = self.efficacy_cutoff(n)
        efficacy = q >= cutoff if cutoff is not None else np.zeros_like(q, bool)
        return futility, efficacy

    def final_go(self, n: int, x: Any) -> np.ndarray:
        """GO at the final analysis: q >= lambda (n/N)^gamma (= lambda at n = N)."""
        return self.statistic(n, x) >= self.futility_cutoff(n)

    def describe(self) -> str:
        """The rule in words."""
        text = (
            f"q = P(p > {self.p0:g} | data) under a {self.prior} prior. At n of N = {self.n_max}: "
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
