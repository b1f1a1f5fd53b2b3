"""Thall & Simon's posterior rule against an uncertain standard-treatment rate.

Thall & Simon (1994) monitor q(n, x) = P(p_E > p_S + δ | x responses among n),
where the experimental rate p_E has a Beta (or Beta-mixture) prior updated by the
trial's data, and the standard treatment's rate p_S ~ Beta(a_s, b_s) carries the
uncertainty of historical knowledge and is not updated. δ is the smallest
improvement worth pursuing. This is ph2bayes' ``postprob`` / ``stopbound_post``
criterion; with a very concentrated standard prior it reduces to the
posterior-probability rule P(p_E > p0 + δ | data).

q is an integral over p_S of the posterior survival function of p_E,

    q = ∫ P(p_E > s + δ | x, n) dF_S(s),

evaluated by adaptive Gauss-Kronrod quadrature (``scipy.integrate.quad_vec``)
vectorised over every (n, x) of a look schedule at once, to an absolute error
below 1e-11. The quadrature starts from breakpoints at quantiles of p_S (from
1e-13 to 1 - 1e-13), so that a concentrated standard distribution or one whose
density is unbounded at 0 or 1 is resolved like any other; the p_S mass outside
those quantiles (2e-13 at most) is accounted for to within 1e-13.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from scipy import special

from ..errors import InputError
from ..priors import BetaMixturePrior, BetaPrior
from ._common import (
    PosteriorThresholdsMixin,
)

__all__ = ["PosteriorVsStandardRule", "prob_exceeds_standard"]

#: Relative distances from the ends of the range of p_S used as breakpoints.
_GRADING = np.array([1e-12, 1e-9, 1e-6, 1e-4, 1e-2, 0.1])
#: Absolute and relative tolerance of the quadrature.
TOLERANCE = 1e-11
#: Quantiles of the standard rate's distribution used as quadrature breakpoints.
_QUANTILES = np.array([1e-13, 1e-9, 1e-5, 0.01, 0.15, 0.5])


def prob_exceeds_standard(
    prior: BetaPrior | BetaMixturePrior,
    standard: BetaPrior,
    margin: float,
    x: Any,
    n: Any,
) -> np.ndarray:
    """P(p_E > p_S + margin | x responses among n), vectorised over (x, n).

    Parameters
    ----------
    prior : BetaPrior or BetaMixturePrior
        Prior of the experimental rate p_E (updated by x of n).
    standard : BetaPrior
        Distribution of the standard rate p_S (not updated).
    margin : float
        δ, in (-1, 1).
    x, n : array_like
        Responses and patients; broadcast together.

    Examples
    --------
    >>> q = prob_exceeds_standard(BetaPrior(0.6, 1.4), BetaPrior(15, 35), 0.0, x=12, n=25)
    >>> round(float(q), 4)
    0.9271
    """
    x_arr, n_arr = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(n, dtype=float))
    a_s, b_s = standard.a, standard.b
    low = max(-margin, 0.0)  # below: s + δ <= 0, so P(p_E > s + δ) = 1
    sure = float(special.betainc(a_s, b_s, low)) if low > 0 else 0.0
    median = float(special.betaincinv(a_s, b_s, 0.5))
    split = min(max(median, low), 1.0 - max(margin, 0.0))

    def above(t: float) -> np.ndarray:  # P(p_E > t) for t <= 1/2
        return np.asarray(prior.prob_greater(max(t, 0.0), x_arr, n_arr))

    def above_one_minus(c: float) -> np.ndarray:  # P(p_E > 1 - c) for c <= 1/2
        return np.asarray(prior.prob_greater_than_one_minus(max(c, 0.0), x_arr, n_arr))

    def survival_low(s: float) -> np.ndarray:  # P(p_E > s + δ), s in the lower half
        t = s + margin
        return above(t) if t <= 0.5 else above_one_minus((1.0 - s) - margin)

    def survival_high(r: float) -> np.ndarray:  # P(p_E > 1 - r + δ), r = 1 - s small
        c = r - margin
        return above_one_minus(c) if c <= 0.5 else above((1.0 - r) + margin)

    # Lower half s in [low, split], upper half in r = 1 - s, so that both ends of
    # p_S's range are represented to full precision (1 - s underflows near s = 1).
    upper_split = _upper_median(a_s, b_s) if split == median else 1.0 - split
    lower_half = _half_integral(a_s, b_s, low, split, survival_low, x_arr.shape)
    upper_half = _half_integral(b_s, a_s, max(margin, 0.0), upper_split, survival_high, x_arr.shape)
    total = sure + lower_half + upper_half
    return np.clip(total, 0.0, 1.0)


def _upper_median(a: float, b: float) -> float:
    """1 - median of Beta(a, b), computed as the median of Beta(b, a)."""
    return float(special.betaincinv(b, a, 0.5))


def _half_integral(
    a: float,
    b: float,
    start: float,
    stop: float,
    survival: Any,
    shape: tuple[int, ...],
) -> np.ndarray:
    """∫ f(v) survival(v) dv over [start, stop], f the Beta(a, b) density, vectorised.

    Breakpoints at quantiles of Beta(a, b) (so that a concentrated density or
    one unbounded at 0 is resolved) and graded towards ``start`` (where the
    survival function may have an unbounded slope). The mass below the first
    quantile breakpoint (at most 1e-13) is counted at its upper end.
    """
    if not stop > start:
        return np.zeros(shape)
    edges = special.betaincinv(a, b, _QUANTILES)
    lower = max(start, float(edges[0]))
    width = stop - start
    candidates = np.concatenate([edges, start + width * _GRADING])
    inner = np.unique(candidates[(candidates > lower) & (candidates < stop)]).tolist()
    from scipy import integrate, stats  # imported where used (0.9 s at start-up)

    density = stats.beta(a, b).pdf  # Boost's density: accurate however large a + b
    below = float(special.betainc(a, b, lower) - special.betainc(a, b, start))
    value = below * np.asarray(survival(lower)) if below > 0 else np.zeros(shape)
    if stop <= lower:
        return value

    def integrand(v: float) -> np.ndarray:
        if not 0.0 < v < 1.0:  # Gauss-Kronrod nodes are interior: never reached
            return np.zeros(shape)
        return float(density(v)) * np.asarray(survival(v))

    integral, _ = integrate.quad_vec(
        integrand,
        lower,
        stop,
        epsabs=TOLERANCE,
        epsrel=TOLERANCE,
        norm="max",
        points=inner or None,
        quadrature="gk15",
    )
    return value + np.asarray(integral, dtype=float)


@dataclass(frozen=True)
class PosteriorVsStandardRule(PosteriorThresholdsMixin):
    """Stop on P(p_E > p_S + δ | data) with an uncertain standard rate (Thall & Simon 1994).

    With q(n, x) = P(p_E > p_S + δ | x responses among n), p_S ~ ``standard``:

    * interim futility if q < ``theta_futility``;
    * interim efficacy (GO) if q > ``theta_efficacy``;
    * final analysis: GO if q > ``theta_final``, otherwise NO-GO.

    Parameters
    ----------
    p0 : float
        Uninteresting response rate of the design's hypotheses (used for the
        operating characteristics, not by the rule).
    prior : BetaPrior or BetaMixturePrior
        Prior for the experimental response rate p_E.
    standard : BetaPrior
        Distribution of the standard treatment's response rate p_S.
    theta_final : float
        GO threshold at the final analysis.
    theta_futility, theta_efficacy : float, optional
        Interim thresholds; ``None`` for no stop of that kind.
    margin : float, default 0
        δ, the smallest improvement over the standard worth pursuing, in (-1, 1).

    Examples
    --------
    >>> rule = PosteriorVsStandardRule(
    ...     0.3, BetaPrior(0.6, 1.4), BetaPrior(15, 35), theta_final=0.9, theta_futility=0.05
    ... )
    >>> rule.interim(20, [2, 3])[0].tolist()  # stop for futility at 2 of 20, not at 3
    [True, False]
    """

    p0: float
    prior: BetaPrior | BetaMixturePrior
    standard: BetaPrior
    theta_final: float
    theta_futility: float | None = None
    theta_efficacy: float | None = None
    margin: float = 0.0
    name: str = "posterior_vs_standard"
    go_field: ClassVar[str] = "theta_final"

    def __post_init__(self) -> None:
        self._validate_thresholds()
        if not isinstance(self.standard, BetaPrior):
            raise InputError("standard", "must be a Beta(a, b) distribution")
        margin = self.margin
        if isinstance(margin, bool) or not isinstance(margin, int | float):
            raise InputError("margin", f"must be a number in (-1, 1) (got {margin!r})")
        if not (math.isfinite(margin) and -1.0 < margin < 1.0):
            raise InputError("margin", f"must be a number strictly between -1 and 1 (got {margin})")
        object.__setattr__(self, "margin", float(margin))

    def statistic(self, n: Any, x: Any) -> np.ndarray:
        """q = P(p_E > p_S + δ | x responses among n)."""
        return prob_exceeds_standard(self.prior, self.standard, self.margin, x, n)

    def look_statistics(self, looks: Sequence[int]) -> np.ndarray:
        """q on every look at once: shape (K, N + 1), NaN beyond n_k (one quadrature)."""
        n = np.asarray(looks)[:, None]
        x = np.arange(int(n.max()) + 1)[None, :]
        q = self.statistic(n, np.minimum(x, n))
        return np.where(x <= n, q, np.nan)

    def statistic_key(self) -> Hashable:
        """Rules with the same priors and margin share q."""
        return ("q_standard", self.prior, self.standard, self.margin)

    def statistic_sentence(self) -> str:
        """What q is, in words."""
        target = "p_S" if self.margin == 0 else f"p_S {'+' if self.margin > 0 else '-'} "
        if self.margin != 0:
            target += f"{abs(self.margin):g}"
        return (
            f"q = P(p > {target} | data) under a {self.prior} prior, with the standard "
            f"treatment's rate p_S ~ {self.standard} (not updated)."
        )

    def own_fields(self) -> dict[str, Any]:
        """The standard rate's distribution and the margin, for ``to_dict``."""
        return {"standard": self.standard.to_dict(), "margin": self.margin}
