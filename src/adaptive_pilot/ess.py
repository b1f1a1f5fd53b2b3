"""Effective sample size (ESS) of a Beta or Beta-mixture prior for a response rate.

The ESS says how many patients' worth of information a prior holds. Three
definitions are in use (Neuenschwander, Weber, Schmidli & O'Hagan 2020), and RBesT
gives all three; this module computes them the same way:

* **ELIR** (expected local-information ratio, the default): the prior's
  information -d²/dθ² log p(θ) over the information of one Bernoulli observation,
  1 / (θ (1 - θ)), averaged over the prior. It is a + b for a Beta(a, b) and is
  predictively consistent for mixtures. The defining integral diverges when a
  component has a or b below 1, and it is then refused (as RBesT does).
* **moment**: a + b of the Beta with the prior's mean and variance (simple,
  conservative for mixtures).
* **Morita** (Morita, Thall & Müller 2008, in RBesT's form): the prior's
  information at its mode, less that of a flattened prior Beta(θ̂/s, (1 - θ̂)/s)
  with s = 100, over the expected information of one observation there.

The prior's information of a mixture at θ is (Σ π_k g_k)² - Σ π_k (h_k + g_k²),
with π_k the component's share of the density at θ and g_k, h_k the first and
second derivatives of the component's log density. Integrals are taken component
by component with adaptive quadrature (relative error about 1e-10).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy import special

from .errors import InputError
from .priors import BetaMixturePrior, BetaPrior

__all__ = ["ESS_METHODS", "effective_sample_size", "prior_information"]

Method = Literal["elir", "moment", "morita"]
#: The ESS definitions, in the order tables print them.
ESS_METHODS: tuple[Method, ...] = ("elir", "moment", "morita")
#: Flattening factor of Morita's baseline prior (RBesT's default).
MORITA_S = 100.0
_EDGE = np.finfo(float).eps


def effective_sample_size(prior: BetaPrior | BetaMixturePrior, method: str = "elir") -> float:
    """The ESS of ``prior`` by ``method`` ("elir", "moment" or "morita").

    Raises
    ------
    InputError
        For an unknown method, or ELIR of a mixture with a component whose a or b
        is below 1 (the integral diverges).

    Examples
    --------
    >>> round(effective_sample_size(BetaPrior(3, 12)), 6)
    15.0
    """
    if method not in ESS_METHODS:
        raise InputError("method", f"must be one of {', '.join(ESS_METHODS)} (got {method!r})")
    w, a, b = prior.components()
    keep = w > 0  # a component of weight 0 is not part of the prior
    w, a, b = w[keep], a[keep], b[keep]
    if method == "moment":
        m, v = prior.mean, prior.variance
        return float(m * (1.0 - m) / v - 1.0)
    if method == "elir":
        if np.any(a < 1) or np.any(b < 1):
            raise InputError(
                "prior",
                "ELIR is not defined when a component has a or b below 1 (its integral "
                "diverges); use method moment or morita",
            )
        return _elir(w, a, b)
    return _morita(prior, w, a, b)


def prior_information(w: np.ndarray, a: np.ndarray, b: np.ndarray, theta: float) -> float:
    """-d²/dθ² log p(θ) of the Beta mixture (w, a, b) at ``theta``."""
    x = min(max(float(theta), _EDGE), 1.0 - _EDGE)
    log_density = (
        np.log(w) + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x) - special.betaln(a, b)
    )
    share = np.exp(log_density - special.logsumexp(log_density))
    gradient = (a - 1) / x - (b - 1) / (1 - x)
    hessian = -(a - 1) / x**2 - (b - 1) / (1 - x) ** 2
    return float(np.sum(share * gradient) ** 2 - np.sum(share * (hessian + gradient**2)))


def _elir(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Σ_k w_k ∫ f_k(θ) i(θ) θ (1 - θ) dθ, component by component."""
    from scipy import integrate  # (loaded where used: the moment ESS needs none of it)

    total = 0.0
    for weight, ak, bk in zip(w, a, b, strict=True):

        def integrand(x: float, ak: float = ak, bk: float = bk) -> float:
            density = math.exp(
                (ak - 1) * math.log(x) + (bk - 1) * math.log1p(-x) - special.betaln(ak, bk)
            )
            return density * prior_information(w, a, b, x) * x * (1 - x)

        centre = ak / (ak + bk)
        left, _ = integrate.quad(integrand, 0.0, centre, epsabs=0.0, epsrel=1e-11, limit=200)
        right, _ = integrate.quad(integrand, centre, 1.0, epsabs=0.0, epsrel=1e-11, limit=200)
        total += weight * (left + right)
    return float(total)


def _mode(
    prior: BetaPrior | BetaMixturePrior, w: np.ndarray, a: np.ndarray, b: np.ndarray
) -> float:
    """The highest mode: the density maximised near each component, the best kept."""
    from scipy import optimize

    def negative_log_density(x: float) -> float:
        log_density = (
            np.log(w) + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x) - special.betaln(a, b)
        )
        return -float(special.logsumexp(log_density))

    candidates = []
    for ak, bk in zip(a, b, strict=True):
        low, high = special.betaincinv(ak, bk, 0.005), special.betaincinv(ak, bk, 0.995)
        low, high = max(low, _EDGE), min(high, 1.0 - _EDGE)
        found = optimize.minimize_scalar(
            negative_log_density, bounds=(low, high), method="bounded",
            options={"xatol": 1e-12},
        )  # fmt: skip
        candidates.append(float(found.x))
    return min(candidates, key=negative_log_density)


def _morita(
    prior: BetaPrior | BetaMixturePrior, w: np.ndarray, a: np.ndarray, b: np.ndarray
) -> float:
    mode = _mode(prior, w, a, b)
    x = min(max(mode, _EDGE), 1.0 - _EDGE)
    flat_a, flat_b = x / MORITA_S, (1 - x) / MORITA_S
    flat_information = (flat_a - 1) / x**2 + (flat_b - 1) / (1 - x) ** 2
    no_response = 1.0 - prior.mean  # prior predictive P(y = 0) for one patient
    expected = no_response / (1 - x) ** 2 + (1 - no_response) / x**2
    return float((prior_information(w, a, b, x) - flat_information) / expected)
