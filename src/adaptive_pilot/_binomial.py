"""Binomial building blocks for the exact recursions (internal).

All functions are vectorised over a vector of true response rates ``p``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

# scipy.stats is never imported here and scipy.signal (about 0.4 s to import) only where
# used, so that the exact paths and commands that compute no pmf do not pay for them

# Above this many terms on both sides a convolution goes through the FFT.
_FFT_THRESHOLD = 256


def _stirling_errors(largest: int) -> np.ndarray:
    """log(k!) - log(sqrt(2 pi k) (k / e)^k) for k = 0..largest, to full double precision.

    Computed once in 40-digit decimal arithmetic, so the cancellation between
    the terms costs nothing.
    """
    import decimal

    with decimal.localcontext() as context:
        context.prec = 40
        half_log_2pi = (2 * decimal.Decimal("3.141592653589793238462643383279502884")).ln() / 2
        values = [0.0]  # k = 0: log(0!) - 0, the limit
        factorial = decimal.Decimal(1)
        for k in range(1, largest + 1):
            factorial *= k
            d = decimal.Decimal(k)
            values.append(
                float(factorial.ln() - (d + decimal.Decimal("0.5")) * d.ln() + d - half_log_2pi)
            )
    return np.array(values)


_STIRLING_TABLE = _stirling_errors(15)


def _stirling_error(k: np.ndarray) -> np.ndarray:
    """The Stirling-series error of log(k!) (Loader 2000): a table up to 15, a series above."""
    k = np.asarray(k, dtype=float)
    small = k <= 15
    out = np.empty(k.shape)
    out[small] = _STIRLING_TABLE[k[small].astype(int)]
    big = k[~small]
    square = big * big
    series = (
        1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / 1188 / square) / square) / square) / square
    ) / big
    out[~small] = series
    return out


def _deviance_term(x: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """x log(x / mean) + mean - x, accurate also when x is close to mean (Loader 2000)."""
    out = np.empty(np.broadcast(x, mean).shape)
    x, mean = np.broadcast_arrays(x, mean)
    close = np.abs(x - mean) < 0.1 * (x + mean)
    # a subnormal mean overflows x / mean to inf, and the pmf to its right value, 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        far = np.where(x > 0, x * np.log(x / mean), 0.0) + mean - x
    xc, mc = x[close], mean[close]
    v = (xc - mc) / (xc + mc)  # |v| < 0.1: each term is 100 times smaller than the last
    total = (xc - mc) * v
    term = 2 * xc * v
    for j in range(1, 10):
        term = term * v * v
        total = total + term / (2 * j + 1)
    out[...] = far
    out[close] = total
    return out


def binomial_pmf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> np.ndarray:
    """Binomial pmf, broadcast over k, n and p, with full relative accuracy.

    Loader's (2000) saddle-point form, as in R's ``dbinom``:
    ``P(X = k) = sqrt(n / (2 pi k (n - k))) exp(S(n) - S(k) - S(n - k) - D(k, np)
    - D(n - k, nq))`` with S the Stirling-series error and D the deviance term,
    each computed without cancellation (agrees with scipy.stats to about 1e-14
    relative, without importing it: 0.5 s at start-up). Safe for extreme p.
    """
    k, n, p = np.broadcast_arrays(
        np.asarray(k, dtype=float), np.asarray(n, dtype=float), np.asarray(p, dtype=float)
    )
    q = 1.0 - p
    out = np.zeros(k.shape)
    inside = (k >= 0) & (k <= n)
    at_zero = inside & (k == 0)
    at_n = inside & (k == n) & (n > 0)
    with np.errstate(divide="ignore"):
        out[at_zero] = np.exp(n[at_zero] * np.log1p(-p[at_zero]))
        out[at_n] = np.exp(n[at_n] * np.log(p[at_n]))
    middle = inside & (k > 0) & (k < n)
    if middle.any():
        km, nm, pm, qm = k[middle], n[middle], p[middle], q[middle]
        with np.errstate(divide="ignore"):
            log_pmf = (
                _stirling_error(nm)
                - _stirling_error(km)
                - _stirling_error(nm - km)
                - _deviance_term(km, nm * pm)
                - _deviance_term(nm - km, nm * qm)
            )
        out[middle] = np.exp(log_pmf) * np.sqrt(nm / (2 * np.pi * km * (nm - km)))
    return out


def binomial_cdf(k: ArrayLike, n: ArrayLike, p: float) -> np.ndarray:
    """P(X <= k) for X ~ Binomial(n, p), broadcast over k and n (0 below 0, 1 from n up).

    From :func:`scipy.special.bdtr` (no scipy.stats import on the common paths).
    """
    k, n = np.broadcast_arrays(np.asarray(k), np.asarray(n))
    value = special.bdtr(np.clip(k, 0, n), n, p)
    return np.where(k < 0, 0.0, np.where(k >= n, 1.0, value))


def binomial_sf(k: ArrayLike, n: ArrayLike, p: float) -> np.ndarray:
    """P(X > k) for X ~ Binomial(n, p), broadcast over k and n (1 below 0, 0 from n up)."""
    k, n = np.broadcast_arrays(np.asarray(k), np.asarray(n))
    value = special.bdtrc(np.clip(k, 0, n), n, p)
    return np.where(k < 0, 1.0, np.where(k >= n, 0.0, value))


def binomial_quantile(q: float, n: ArrayLike, p: float) -> np.ndarray:
    """The smallest k with P(X <= k) >= q, X ~ Binomial(n, p), for each n (q in (0, 1))."""
    n = np.asarray(n)
    # a normal guess (with continuity correction), then exact steps to the answer
    spread = np.sqrt(n * p * (1.0 - p))
    k = np.clip(np.floor(n * p + special.ndtri(q) * spread - 0.5), 0, n).astype(int)
    while True:
        up = binomial_cdf(k, n, p) < q
        down = (k > 0) & (binomial_cdf(k - 1, n, p) >= q)
        if not (up.any() or down.any()):
            return k
        k = k + up - down


def binomial_pmf_matrix(m: int, p: np.ndarray) -> np.ndarray:
    """Binomial(m, p) probabilities, one row per rate: shape ``(len(p), m + 1)``."""
    p = np.asarray(p, dtype=float)
    if m == 0:
        return np.ones((p.size, 1))
    if m == 1:
        return np.column_stack([1.0 - p, p])
    return binomial_pmf(np.arange(m + 1)[None, :], m, p[:, None])


def add_binomial(state: np.ndarray, m: int, p: np.ndarray) -> np.ndarray:
    """Distribution of x + Y, Y ~ Binomial(m, p), row by row.

    Parameters
    ----------
    state : ndarray, shape (..., P, s)
        Sub-probability distribution of the current count x, one row per rate
        (leading batch dimensions allowed).
    m : int
        Number of new patients.
    p : ndarray, shape (P,)
        True response rates.

    Returns
    -------
    ndarray, shape (..., P, s + m)
    """
    if m == 0:
        return state
    increment = binomial_pmf_matrix(m, p)
    width = state.shape[-1]
    if width > _FFT_THRESHOLD and m + 1 > _FFT_THRESHOLD:
        kernel = increment.reshape((1,) * (state.ndim - 2) + increment.shape)
        from scipy.signal import fftconvolve

        out = fftconvolve(state, kernel, axes=-1)
        return np.clip(out, 0.0, None)
    out = np.zeros((*state.shape[:-1], width + m))
    if m + 1 <= width:
        for j in range(m + 1):
            out[..., j : j + width] += state * increment[:, j : j + 1]
    else:
        for x in range(width):
            out[..., x : x + m + 1] += increment * state[..., x : x + 1]
    return out
