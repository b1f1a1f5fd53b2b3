"""Prior-data conflict: do the data agree with the prior they are analysed with?

Three measures, for x responses among n patients and a Beta or Beta-mixture prior:

* **posterior component weights**: a mixture's weights after the data (each
  multiplied by its component's marginal likelihood); a robust prior whose vague
  component gains weight signals conflict (Schmidli et al. 2014);
* **Box's prior-predictive p-value** (Box 1980): the prior-predictive probability of
  data at most as probable as those observed, P(m(Y) <= m(x)) with Y ~ the prior's
  beta-binomial mixture for n patients; small values mean conflict;
* **the self-adapting mixture (SAM) weight** (Yang, Zhao, Yuan et al. 2023, as the
  SAMprior package computes it): with theta_h the rate the prior stands for (its
  mean by default) and delta a clinically significant difference,
  R = max(L(min(theta_h + delta, 0.99)), L(max(theta_h - delta, 0.01))) / L(theta_h)
  with L the binomial likelihood (divided by the prior odds for the posterior
  probability ratio, "PPR"), and the weight of the informative prior is 1 / (1 + R):
  near 1 when the data agree with theta_h, near 0 when they conflict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from .errors import InputError
from .priors import BetaMixturePrior, BetaPrior

__all__ = ["CONFLICT_LEVEL", "PriorDataConflict", "prior_data_conflict"]

#: Box p-value below which the data are said to conflict with the prior.
CONFLICT_LEVEL = 0.05


@dataclass(frozen=True)
class PriorDataConflict:
    """Prior-data conflict measures for one dataset (see the module docstring).

    Attributes
    ----------
    x, n : int
        The data.
    prior_weights, posterior_weights : tuple of float
        The mixture's component weights before and after the data.
    box_p : float
        Box's prior-predictive p-value.
    sam_weight, sam_weight_ppr : float or None
        The SAM weight of the informative prior by likelihood ratio and by posterior
        probability ratio (None without a clinically significant difference).
    theta_h, delta, prior_odds : float
        The SAM weight's reference rate, difference and prior odds.
    """

    x: int
    n: int
    prior_weights: tuple[float, ...]
    posterior_weights: tuple[float, ...]
    box_p: float
    sam_weight: float | None
    sam_weight_ppr: float | None
    theta_h: float
    delta: float | None
    prior_odds: float

    @property
    def conflict(self) -> bool:
        """Whether the Box p-value is below :data:`CONFLICT_LEVEL`."""
        return self.box_p < CONFLICT_LEVEL

    def sentence(self) -> str:
        """The conflict check in words, for the DSMB."""
        p = "p < 0.001" if self.box_p < 0.0005 else f"p = {self.box_p:.3f}"
        if self.conflict:
            text = (
                f"The data conflict with the prior: {self.x} of {self.n} is unlikely under it "
                f"(Box's prior-predictive {p}, below {CONFLICT_LEVEL:g})"
            )
        else:
            text = (
                f"The data agree with the prior (Box's prior-predictive {p}; no conflict "
                f"at {CONFLICT_LEVEL:g})"
            )
        if self.sam_weight is not None:
            text += (
                f"; a self-adapting mixture prior would keep {self.sam_weight:.2f} of the "
                f"prior's weight (SAM, reference rate {self.theta_h:.3g} +- {self.delta:g})"
            )
        if len(self.posterior_weights) > 1:
            after = ", ".join(f"{w:.2f}" for w in self.posterior_weights)
            before = ", ".join(f"{w:.2f}" for w in self.prior_weights)
            text += f"; the mixture's weights moved from {before} to {after}"
        return text + "."

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: glossary names ``box_p``, ``sam_weight``, ``sam_weight_ppr`` and the
        weights."""
        return {
            "box_p": self.box_p,
            "sam_weight": self.sam_weight,
            "sam_weight_ppr": self.sam_weight_ppr,
            "prior_weights": list(self.prior_weights),
            "posterior_weights": list(self.posterior_weights),
            "theta_h": self.theta_h,
            "delta": self.delta,
            "conflict": self.conflict,
        }


def prior_data_conflict(
    prior: BetaPrior | BetaMixturePrior,
    x: int,
    n: int,
    *,
    delta: float | None = None,
    theta_h: float | None = None,
    prior_odds: float = 1.0,
) -> PriorDataConflict:
    """Prior-data conflict measures for x responses among n patients.

    Parameters
    ----------
    prior : BetaPrior or BetaMixturePrior
        The prior the data are analysed with.
    x, n : int
        Responses and evaluable patients (n >= 1).
    delta : float, optional
        Clinically significant difference for the SAM weight (e.g. p1 - p0); without
        it the SAM weight is not computed.
    theta_h : float, optional
        The rate the prior stands for (default: its mean).
    prior_odds : float, default 1
        Prior odds of no conflict, for the PPR form of the SAM weight.

    Examples
    --------
    >>> check = prior_data_conflict(BetaPrior(20, 80), x=12, n=20, delta=0.15)
    >>> check.conflict, round(check.box_p, 4) < 0.001
    (True, True)
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InputError("n", f"must be a whole number >= 1 (got {n!r})")
    if isinstance(x, bool) or not isinstance(x, int | np.integer) or not 0 <= x <= n:
        raise InputError("x", f"must be a whole number from 0 to n = {n} (got {x!r})")
    if delta is not None and not (isinstance(delta, int | float) and 0 < delta < 1):
        raise InputError("delta", f"must be between 0 and 1 (got {delta!r})")
    if not (isinstance(prior_odds, int | float) and math.isfinite(prior_odds) and prior_odds > 0):
        raise InputError("prior_odds", f"must be a positive number (got {prior_odds!r})")
    w = prior.components()[0]
    log_joint = _log_joint(prior, n)
    box_p = float(box_p_values(prior, n)[x])
    posterior = np.exp(log_joint[x] - special.logsumexp(log_joint[x]))
    reference = float(prior.mean if theta_h is None else theta_h)
    sam = sam_ppr = None
    if delta is not None:
        ratio = _sam_ratio(x, n, reference, float(delta))
        sam, sam_ppr = 1.0 / (1.0 + ratio), 1.0 / (1.0 + ratio / prior_odds)
    return PriorDataConflict(
        int(x), int(n), tuple(float(v) for v in w), tuple(float(v) for v in posterior),
        box_p, sam, sam_ppr, reference, delta, float(prior_odds),
    )  # fmt: skip


def _sam_ratio(x: int, n: int, theta_h: float, delta: float) -> float:
    """SAMprior's R: the larger likelihood at theta_h +- delta over that at theta_h."""

    def log_lik(theta: float) -> float:
        return x * math.log(theta) + (n - x) * math.log1p(-theta) if 0 < theta < 1 else -math.inf

    high, low = min(theta_h + delta, 0.99), max(theta_h - delta, 0.01)
    return math.exp(max(log_lik(high), log_lik(low)) - log_lik(theta_h))


def _log_joint(prior: BetaPrior | BetaMixturePrior, n: int) -> np.ndarray:
    """log(w_k * m_k(y)), shape (n + 1, K): each component's weighted prior predictive."""
    w, a, b = prior.components()
    y = np.arange(n + 1)
    log_choose = special.gammaln(n + 1) - special.gammaln(y + 1) - special.gammaln(n - y + 1)
    log_marginal = (
        log_choose[:, None]
        + special.betaln(a[None, :] + y[:, None], b[None, :] + n - y[:, None])
        - special.betaln(a, b)[None, :]
    )
    with np.errstate(divide="ignore"):
        return np.log(w)[None, :] + log_marginal


def box_p_values(prior: BetaPrior | BetaMixturePrior, n: int) -> np.ndarray:
    """Box's prior-predictive p-value of every outcome x = 0..n among n patients.

    The probability, under the prior predictive, of an outcome at most as probable as x
    (ties within a relative 1e-12 count as "at most as probable").
    """
    predictive = np.exp(special.logsumexp(_log_joint(prior, n), axis=1))
    predictive /= predictive.sum()
    order = np.argsort(predictive, kind="stable")
    ranked = predictive[order]
    cumulative = np.cumsum(ranked)
    # for each x: the mass of outcomes with predictive <= its own (x's ties included)
    last = np.searchsorted(ranked, predictive * (1 + 1e-12), side="right") - 1
    return np.minimum(cumulative[last], 1.0)
