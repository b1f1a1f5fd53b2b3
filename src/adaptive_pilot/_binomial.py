"""Binomial building blocks for the exact recursions (internal).

All functions are vectorised over a vector of true response rates ``p``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

# scipy.stats and scipy.signal (about 0.4 s to import) are imported where used, so that
# commands that never compute a binomial pmf (the interim call, --help) do not pay for them

# Above this many terms on both sides a convolution goes through the FFT.
_FFT_THRESHOLD = 256


# SciPy's binomial pmf fails (OverflowError) for rates within a few ulps of the
# smallest normal double; such extreme rates are computed in log space instead.
_EXTREME = 1e-250


def binomial_pmf(k: ArrayLike, n: ArrayLike, p: ArrayLike) -> np.ndarray:
    """Binomial pmf, broadcast over k, n and p, safe for extreme p."""
    k, n, p = np.broadcast_arrays(np.asarray(k), np.asarray(n), np.asarray(p, dtype=float))
    extreme = (p < _EXTREME) | (1.0 - p < _EXTREME)
    if not extreme.any():
        from scipy import stats

        return stats.binom.pmf(k, n, p)
    out = np.zeros(k.shape)
    regular = ~extreme
    from scipy import stats

    out[regular] = stats.binom.pmf(k[regular], n[regular], p[regular])
    ke, ne, pe = k[extreme].astype(float), n[extreme].astype(float), p[extreme]
    inside = (ke >= 0) & (ke <= ne)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_choose = (
            special.gammaln(ne + 1) - special.gammaln(ke + 1) - special.gammaln(ne - ke + 1)
        )
        log_pmf = log_choose + special.xlogy(ke, pe) + special.xlog1py(ne - ke, -pe)
    out[extreme] = np.where(inside, np.exp(log_pmf), 0.0)
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
