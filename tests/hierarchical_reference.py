"""An independent, adaptive computation of the hierarchical posterior for one cohort.

With one cohort, mu integrates out in closed form: theta | tau ~ N(m, s^2 + tau^2).
So P(theta > cut | x) is a ratio of two nested one-dimensional integrals (tau, then
theta), each done by scipy's adaptive quadrature on pieces split at the cut, at the
likelihood's peak, at the prior mean and at |theta| = 40, with infinite tails. None of
the fast posterior's nodes, ranges or tail handling is shared.
"""

import itertools
import math

import numpy as np
from scipy import integrate

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _quad(f, a, b):
    return integrate.quad(f, a, b, epsabs=0, epsrel=1e-12, limit=1000)[0]


def theta_integrals(n, x, mean, sd, cut):
    """(int L N, int_{theta > cut} L N) over the real line, adaptive on pieces."""
    log_choose = math.lgamma(n + 1) - math.lgamma(x + 1) - math.lgamma(n - x + 1)
    log_norm = -math.log(sd) - LOG_SQRT_2PI

    def f(t):
        log_l = (
            log_choose
            - x * (math.log1p(math.exp(-t)) if t > -30 else -t)
            - (n - x) * (math.log1p(math.exp(t)) if t < 30 else t)
        )
        return math.exp(log_l + log_norm - 0.5 * ((t - mean) / sd) ** 2)

    hat = math.log((x + 0.5) / (n - x + 0.5))
    marks = sorted({cut, hat, hat - 3, hat + 3, mean, -40.0, 40.0})
    edges = [-np.inf, *marks, np.inf]
    parts = [(_quad(f, a, b), a) for a, b in itertools.pairwise(edges)]
    total = sum(v for v, _ in parts)
    above = sum(v for v, a in parts if a >= cut)
    return total, above


def one_cohort(n, x, p0, m, s, t):
    """P(p > p0 | x) with theta | tau ~ N(m, s^2 + tau^2), tau ~ HalfNormal(t)."""
    cut = math.log(p0 / (1 - p0))
    cache = {}

    def parts(tau):
        if tau not in cache:
            sd = math.sqrt(s * s + tau * tau)
            total, above = theta_integrals(n, x, m, sd, cut)
            w = math.exp(-0.5 * (tau / t) ** 2)
            cache[tau] = (w * total, w * above)
        return cache[tau]

    edges = [0, *(t * k for k in (0.5, 1, 2, 3, 4, 6, 8)), np.inf]
    num = sum(_quad(lambda u: parts(u)[1], a, b) for a, b in itertools.pairwise(edges))
    den = sum(_quad(lambda u: parts(u)[0], a, b) for a, b in itertools.pairwise(edges))
    return num / den


def one_cohort_exnex(n, x, p0, m, s, t, weight, nex_mean, nex_sd):
    """P(p > p0 | x) for one cohort that is exchangeable with probability ``weight``.

    EX: theta | tau ~ N(m, s^2 + tau^2), tau ~ HalfNormal(t) (normalised here, since
    the EX and NEX marginal likelihoods are compared); NEX: theta ~ N(nex_mean, nex_sd^2).
    """
    cut = math.log(p0 / (1 - p0))
    density = 2.0 / (t * math.sqrt(2 * math.pi))

    def parts(tau):
        total, above = theta_integrals(n, x, m, math.sqrt(s * s + tau * tau), cut)
        w = density * math.exp(-0.5 * (tau / t) ** 2)
        return w * total, w * above

    edges = [0, *(t * k for k in (0.5, 1, 2, 3, 4, 6, 8)), np.inf]
    num = sum(_quad(lambda u: parts(u)[1], a, b) for a, b in itertools.pairwise(edges))
    den = sum(_quad(lambda u: parts(u)[0], a, b) for a, b in itertools.pairwise(edges))
    c_total, c_above = theta_integrals(n, x, nex_mean, nex_sd, cut)
    return (weight * num + (1 - weight) * c_above) / (weight * den + (1 - weight) * c_total)
