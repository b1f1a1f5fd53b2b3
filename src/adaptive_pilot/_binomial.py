"""Binomial building blocks for the exact recursions (internal).

All functions are vectorised over a vector of true response rates ``p``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.signal import fftconvolve

# Above this many terms on both sides a convolution goes through the FFT.
_FFT_THRESHOLD = 256


def binomial_pmf_matrix(m: int, p: np.ndarray) -> np.ndarray:
    """Binomial(m, p) probabilities, one row per rate: shape ``(len(p), m + 1)``."""
    p = np.asarray(p, dtype=float)
    if m == 0:
        return np.ones((p.size, 1))
    if m == 1:
        return np.column_stack([1.0 - p, p])
    return stats.binom.pmf(np.arange(m + 1)[None, :], m, p[:, None])


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
