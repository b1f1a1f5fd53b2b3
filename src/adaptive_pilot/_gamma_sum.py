"""The distribution function of a sum of independent Gamma variables, exact and vectorised.

Under a piecewise-exponential model with independent Gamma posteriors on the
piece hazards, the cumulative hazard to a landmark, sum_j w_j lambda_j, is a sum
of independent Gamma variables with different scales; P(S(t) > goal) is its
distribution function at -log(goal).

Moschopoulos (1985, Ann. Inst. Statist. Math. 37: 541-544): with
X_j ~ Gamma(shape a_j, scale s_j) and s_1 = min_j s_j, the sum is the mixture

    sum_j X_j  ~  sum_k p_k Gamma(rho + k, s_1),   rho = sum_j a_j,

whose weights p_k are the probabilities of N = sum_j N_j, N_j independent
negative binomials with size a_j and success probability s_1 / s_j (the power
series of Moschopoulos' delta_k is the generating function of N). The weights are
computed in closed form per piece and convolved by FFT; the series is summed until
the terms left out, at most (their mass) x P(rho + K, x / s_1) with K terms kept,
are below ``tol`` plus the FFT's rounding (1e-15 per term), which bounds the error:
below 1e-11 for the few thousand terms met in practice.
"""

from __future__ import annotations

import numpy as np

from .errors import InputError

__all__ = ["gamma_sum_cdf", "gamma_sum_cdf_above", "gamma_sum_cdf_bounds"]

#: Largest number of mixture terms summed for one row before refusing.
MAX_TERMS = 1 << 18


def gamma_sum_cdf(
    x: np.ndarray | float, shape: np.ndarray, scale: np.ndarray, *, tol: float = 1e-13
) -> np.ndarray:
    """P(sum_j X_j <= x), X_j ~ Gamma(shape[..., j], scale[..., j]) independent.

    Parameters
    ----------
    x
        Points, broadcast against ``shape[..., 0]``.
    shape, scale
        Positive arrays of the same shape (..., J); the last axis holds the terms.
    tol
        Largest contribution of the series terms left out.

    Returns
    -------
    numpy.ndarray
        The distribution function, shape of ``x`` broadcast with ``shape[..., 0]``.
    """
    from scipy.special import gammainc  # imported where used (scipy at start-up)

    shape = np.asarray(shape, dtype=float)
    scale = np.asarray(scale, dtype=float)
    if shape.shape != scale.shape or shape.ndim == 0:
        raise InputError("shape", "shape and scale must be arrays of one shape (..., terms)")
    if not (np.all(shape > 0) and np.all(scale > 0)):
        raise InputError("shape", "every Gamma shape and scale must be positive")
    batch, xs, a, s = _rows(x, shape, scale)
    s1 = s.min(axis=1)
    q = s1[:, None] / s  # success probabilities, 1 for the smallest scale
    rho = a.sum(axis=1)
    out = np.zeros(xs.size)
    positive = xs > 0
    single = positive & np.all(q >= 1.0 - 1e-15, axis=1)  # one scale: one Gamma
    out[single] = gammainc(rho[single], xs[single] / s1[single])
    todo = np.flatnonzero(positive & ~single)
    # terms per row: the negative-binomial sum's mean + 8 sd, then more where short
    with np.errstate(divide="ignore"):
        odds = (1.0 - q[todo]) / q[todo]
    mean = np.sum(a[todo] * odds, axis=1)
    sd = np.sqrt(np.sum(a[todo] * odds / q[todo], axis=1))
    y = xs[todo] / s1[todo]
    # ... or until the mixture's Gamma(rho + k) sits beyond x: the terms left out add at
    # most (their mass) x P(rho + K, x / s_1), which the check below bounds
    need = np.maximum(np.minimum(mean + 8.0 * sd, y + 12.0 * np.sqrt(y) + 64.0) + 16.0, 32.0)
    terms_of = (2 ** np.ceil(np.log2(need))).astype(np.int64)
    while todo.size:
        terms = int(terms_of.min())
        group = terms_of == terms
        rows = todo[group]
        weights = _mixture_weights(a[rows], q[rows], terms)
        left = np.maximum(1.0 - weights.sum(axis=1), 0.0)
        beyond = gammainc(rho[rows] + terms, xs[rows] / s1[rows])
        done = left * beyond <= tol + terms * 1e-15  # the FFT's rounding: 1e-16 per term
        out[rows[done]] = _mixture_cdf(
            weights[done], rho[rows[done]], xs[rows[done]] / s1[rows[done]]
        )
        if not done.all() and terms >= MAX_TERMS:
            raise InputError(
                "shape",
                f"the Gamma sum needs more than {MAX_TERMS} series terms (scales too unequal)",
            )
        short = np.zeros(todo.size, dtype=bool)
        short[np.flatnonzero(group)[~done]] = True
        terms_of[short] *= 4
        keep = ~group | short
        todo, terms_of = todo[keep], terms_of[keep]
    return out.reshape(batch)


def _mixture_cdf(weights: np.ndarray, rho: np.ndarray, y: np.ndarray) -> np.ndarray:
    """sum_k weights[:, k] P(rho + k, y): the regularised lower incomplete gamma by recurrence.

    P(a + 1, y) = P(a, y) - y^a e^-y / Gamma(a + 1), so with t_i the i-th subtracted
    term, the sum is P(rho, y) sum_k w_k - sum_i t_i (sum_{k > i} w_k): one incomplete
    gamma per row, the rest log-gamma terms (absolute rounding about 1e-16 per term).
    """
    from scipy.special import gammainc, gammaln

    terms = weights.shape[1]
    a = rho[:, None] + np.arange(terms - 1)[None, :]
    with np.errstate(divide="ignore"):
        log_y = np.log(y)[:, None]
    # log Gamma(a + 1) for a = rho, rho + 1, ...: one log-gamma, then sums of logs
    log_gamma = gammaln(rho + 1.0)[:, None] + np.concatenate(
        [np.zeros((a.shape[0], 1)), np.cumsum(np.log(a[:, 1:]), axis=1)], axis=1
    )
    subtracted = np.exp(a * log_y - y[:, None] - log_gamma)
    after = np.cumsum(weights[:, ::-1], axis=1)[:, ::-1]  # sum_{k >= i} w_k
    first = gammainc(rho, y)
    result = first * after[:, 0] - np.einsum("ri,ri->r", subtracted, after[:, 1:])
    return np.clip(result, 0.0, 1.0)


def _mixture_weights(a: np.ndarray, q: np.ndarray, terms: int, fast: bool = False) -> np.ndarray:
    """The first ``terms`` probabilities of sum_j NegBin(a_j, q_j), per row (R, terms).

    Each row's smallest scale (q = 1) is a point mass at 0 and is left out: the pieces
    are put in order of q, and the first is dropped. ``fast``: products of the pmf
    ratios instead of sums of their logs (a row whose q^a underflows gets weights that
    add up to less than it should, which a caller's check of the mass left catches).
    """
    if a.shape[1] == 1:  # one Gamma: all the mass on the first term
        return np.broadcast_to((np.arange(terms) == 0).astype(float), (a.shape[0], terms)).copy()
    order = np.argsort(-q, axis=1)[:, 1:]  # every piece but the one with q = 1
    a = np.take_along_axis(a, order, axis=1)
    q = np.take_along_axis(q, order, axis=1)
    k = np.arange(terms - 1, dtype=float)
    # a linear (not circular) convolution of the pieces' first terms: the FFT needs at
    # least (pieces x terms) points, or the terms beyond would wrap onto the first ones
    size = 1 << int(np.ceil(np.log2(max(a.shape[1], 2) * terms)))
    spectrum: np.ndarray | None = None
    for j in range(a.shape[1]):
        aj, qj = a[:, j : j + 1], q[:, j : j + 1]
        tied = qj >= 1.0 - 1e-15  # another piece with the smallest scale
        if fast:  # p(k+1)/p(k) = (a + k)(1 - q)/(k + 1), multiplied out
            ratios = (aj + k) * ((1.0 - qj) / (k + 1.0))
            pmf = np.power(qj, aj) * np.concatenate(
                [np.ones_like(aj), np.cumprod(ratios, axis=1)], axis=1
            )
        else:  # the same ratios, summed in logs (no underflow of q^a)
            fail = np.log1p(-np.minimum(qj, 1.0 - 1e-16))
            steps = np.log((aj + k) / (k + 1.0)) + fail
            log_pmf = aj * np.log(qj) + np.concatenate(
                [np.zeros_like(aj), np.cumsum(steps, axis=1)], axis=1
            )
            pmf = np.exp(log_pmf)
        pmf = np.where(tied, (np.arange(terms) == 0).astype(float), pmf)
        if a.shape[1] == 1:
            return np.clip(pmf, 0.0, 1.0)
        part = np.fft.rfft(pmf, n=size, axis=1)
        spectrum = part if spectrum is None else spectrum * part
    assert spectrum is not None
    weights = np.fft.irfft(spectrum, n=size, axis=1)[:, :terms]
    return np.clip(weights, 0.0, 1.0)


def gamma_sum_cdf_above(
    x: np.ndarray | float, shape: np.ndarray, scale: np.ndarray, level: float
) -> np.ndarray:
    """Whether P(sum_j X_j <= x) > ``level``, exactly, cheaply where it is clear.

    Chernoff bounds with the exact moment generating function settle most rows: with
    Y the sum, P(Y >= x) <= min_t E[e^{tY}] e^{-tx} (0 < t < 1 / max scale) and
    P(Y <= x) <= min_t E[e^{-tY}] e^{tx} (t > 0). A row whose upper-tail bound is below
    1 - level is above the level; one whose lower-tail bound is at most the level is not.
    Most rows left are settled by the first 32 terms of the series, which bracket the
    distribution function (the terms left out add at most their mass times
    P(rho + 32, x / s_1)); the few left (within about 1e-11 of the level, or
    with very unequal scales) get :func:`gamma_sum_cdf`. The answer is the exact
    comparison's: the bounds are rigorous.
    """
    batch, xs, a, s = _rows(x, shape, scale)
    mean = np.sum(a * s, axis=1)
    out = np.zeros(xs.size, dtype=bool)
    settled = np.zeros(xs.size, dtype=bool)
    upper = xs > mean  # P(Y >= x) may be small: bound it
    if np.any(upper):
        rows = np.flatnonzero(upper)
        bound = _chernoff(a[rows], s[rows], xs[rows], upper=True)
        sure = bound < 1.0 - level
        out[rows[sure]] = True
        settled[rows[sure]] = True
    lower = (xs < mean) & ~settled  # P(Y <= x) may be small: bound it
    if np.any(lower):
        rows = np.flatnonzero(lower)
        bound = _chernoff(a[rows], s[rows], xs[rows], upper=False)
        sure = bound <= level
        settled[rows[sure]] = True
    rest = np.flatnonzero(~settled)
    if rest.size:  # the series' first terms bracket F: F_K <= F <= F_K + (mass left) P(rho+K)
        low, high = _bracket(a[rest], s[rest], xs[rest])
        sure_above = low > level + _MARGIN
        sure_below = high <= level - _MARGIN
        out[rest[sure_above]] = True
        rest = rest[~(sure_above | sure_below)]
    if rest.size:
        out[rest] = gamma_sum_cdf(xs[rest], a[rest], s[rest]) > level
    return out.reshape(batch)


def gamma_sum_cdf_bounds(
    x: np.ndarray | float, shape: np.ndarray, scale: np.ndarray, *, width: float = 1e-3
) -> tuple[np.ndarray, np.ndarray]:
    """Rigorous cheap bounds (low, high) of P(sum_j X_j <= x), for mixtures of such sums.

    The Chernoff bounds of :func:`gamma_sum_cdf_above` first; a row they leave wider
    than ``width`` gets the 32-term series bracket (less the rounding allowance). The
    exact value lies in [low, high]; callers compute it where the bounds do not settle
    their question.
    """
    batch, xs, a, s = _rows(x, shape, scale)
    mean = np.sum(a * s, axis=1)
    low = np.zeros(xs.size)
    high = np.ones(xs.size)
    upper = xs > mean
    if np.any(upper):  # F = 1 - P(Y > x) >= 1 - P(Y >= x) bound
        rows = np.flatnonzero(upper)
        low[rows] = 1.0 - _chernoff(a[rows], s[rows], xs[rows], upper=True)
    if np.any(~upper):
        rows = np.flatnonzero(~upper)
        high[rows] = _chernoff(a[rows], s[rows], xs[rows], upper=False)
    rest = np.flatnonzero(high - low > width)
    if rest.size:
        part_low, part_high = _bracket(a[rest], s[rest], xs[rest])
        low[rest] = np.maximum(low[rest], part_low - _MARGIN)
        high[rest] = np.minimum(high[rest], part_high + _MARGIN)
    return np.clip(low, 0.0, 1.0).reshape(batch), np.clip(high, 0.0, 1.0).reshape(batch)


#: Series terms of the bracket tried before the full series.
_BRACKET_TERMS = 32
#: Rounding allowance of the bracket (the FFT's and the recurrence's, far below it).
_MARGIN = 1e-11


def _rows(
    x: np.ndarray | float, shape: np.ndarray, scale: np.ndarray
) -> tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]:
    """(batch shape, points (R,), shapes (R, J), scales (R, J)): the arguments broadcast and
    flattened to one row per distribution function."""
    shape = np.asarray(shape, dtype=float)
    scale = np.asarray(scale, dtype=float)
    batch = np.broadcast_shapes(np.shape(x), shape.shape[:-1])
    xs = np.broadcast_to(np.asarray(x, dtype=float), batch).reshape(-1)
    a = np.broadcast_to(shape, (*batch, shape.shape[-1])).reshape(xs.size, -1)
    s = np.broadcast_to(scale, (*batch, scale.shape[-1])).reshape(xs.size, -1)
    return batch, xs, a, s


def _bracket(a: np.ndarray, s: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first :data:`_BRACKET_TERMS` terms of the series bracket F per row: F_K <= F <=
    F_K + (the mass left out) P(rho + K, x / s_1) (before the rounding allowance)."""
    from scipy.special import gammainc

    s1 = s.min(axis=1)
    q = s1[:, None] / s
    rho = a.sum(axis=1)
    y = x / s1
    alone = np.all(q >= 1.0 - 1e-15, axis=1)
    weights = _mixture_weights(a, q, _BRACKET_TERMS, fast=True)
    low = np.where(alone, gammainc(rho, y), _mixture_cdf(weights, rho, y))
    left = np.where(alone, 0.0, np.maximum(1.0 - weights.sum(axis=1), 0.0))
    return low, low + left * gammainc(rho + _BRACKET_TERMS, y)


def _chernoff(a: np.ndarray, s: np.ndarray, x: np.ndarray, *, upper: bool) -> np.ndarray:
    """The Chernoff bound of P(Y >= x) (``upper``) or P(Y <= x) at the t that is optimal for
    the moment-matched Gamma (near the optimum for the sum; any admissible t gives a
    valid bound)."""
    mean = np.sum(a * s, axis=1)
    var = np.sum(a * s * s, axis=1)
    shape_eff, scale_eff = mean**2 / var, var / mean
    if upper:  # 0 <= t < 1 / max scale
        t = np.clip(1.0 / scale_eff - shape_eff / x, 0.0, None)
        t = np.minimum(t, (1.0 - 1e-9) / s.max(axis=1))
        log_bound = -np.sum(a * np.log1p(-t[:, None] * s), axis=1) - t * x
    else:  # t >= 0
        t = np.clip(shape_eff / x - 1.0 / scale_eff, 0.0, None)
        log_bound = -np.sum(a * np.log1p(t[:, None] * s), axis=1) + t * x
    return np.exp(np.minimum(log_bound, 0.0))
