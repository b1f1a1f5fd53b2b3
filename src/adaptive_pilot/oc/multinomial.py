"""Exact stopping probabilities of a design whose patients fall into K outcome categories.

The groundwork of multinomial endpoints (issue 27): each patient's outcome is one of K
categories (e.g. CR/PR, SD, PD/NE; or response x toxicity, four cells) with
probabilities p = (p_1, ..., p_K). Among n patients the category counts
c = (c_1, ..., c_K), sum n, are multinomial. A design stops at look k when the counts
fall in a set given as a boolean mask on the count lattice.

The forward recursion carries, for every p at once, the distribution of the counts among
trials still running, on a dense grid over (c_1, ..., c_{K-1}) (c_K = n - the rest;
cells with a sum above n are empty). Between looks it adds one patient at a time:
``S'(c) = p_K S(c) + sum_j p_j S(c - e_j)``, which is exact (no FFT rounding). At each
look the masked mass stops.

Cost: O(N (N + 1)^(K - 1) K) per rate, memory (N + 1)^(K - 1) per rate; a lattice above
:data:`CELL_LIMIT` cells is refused. For K = 3 and N = 60 that is 3,721 cells; for
K = 4 and N = 60, 226,981.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._validate import increasing_looks
from ..errors import InputError

__all__ = ["CELL_LIMIT", "count_grid", "multinomial_stopping_probabilities"]

#: Largest count lattice (cells per rate) the recursion accepts.
CELL_LIMIT = 20_000_000


def count_grid(n: int, k: int) -> tuple[np.ndarray, ...]:
    """The counts c_1..c_{K-1} on the lattice of n patients (``np.indices`` of shape
    (n + 1,) * (K - 1)); c_K = n - their sum (negative: not a cell)."""
    return tuple(np.indices((n + 1,) * (k - 1)))


def multinomial_stopping_probabilities(
    looks: Sequence[int],
    probabilities: np.ndarray,
    stops: Sequence[Sequence[np.ndarray]],
) -> tuple[np.ndarray, np.ndarray]:
    """Exact probability that a K-category design stops at each look, for each reason.

    Parameters
    ----------
    looks : sequence of int
        Cumulative numbers of evaluable patients, strictly increasing.
    probabilities : array_like, shape (P, K)
        Category probabilities of each scenario; rows sum to 1.
    stops : sequence of sequences of ndarray of bool
        For each look, one mask per stopping reason, each of shape (n_k + 1,) * (K - 1)
        over (c_1, ..., c_{K-1}); a cell stops for the first reason whose mask holds.
        Cells with c_1 + ... + c_{K-1} > n_k are ignored. To end every trial at the
        final look, its masks must cover every cell.

    Returns
    -------
    (stopped, running) : ndarrays
        ``stopped`` of shape (P, K_looks, R): P(stop at look k for reason r);
        ``running`` of shape (P,): the mass that never stopped.

    Examples
    --------
    Three categories, one look of two patients, stop if no patient is in category 1:

    >>> c1, c2 = count_grid(2, 3)
    >>> stopped, _ = multinomial_stopping_probabilities([2], [[0.5, 0.3, 0.2]], [[c1 == 0]])
    >>> round(float(stopped[0, 0, 0]), 4)
    0.25
    """
    looks = increasing_looks("looks", looks)
    probs = np.atleast_2d(np.asarray(probabilities, dtype=float))
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise InputError("probabilities", "needs one row of K >= 2 category probabilities")
    if np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-12):
        raise InputError("probabilities", "each row must be non-negative and sum to 1")
    n_rates, k = probs.shape
    n_max = looks[-1]
    cells = (n_max + 1) ** (k - 1)
    if cells > CELL_LIMIT:
        raise InputError(
            "looks",
            f"{k} categories and N = {n_max} make {cells:,} count cells per rate; at most "
            f"{CELL_LIMIT:,} are allowed (fewer patients or categories)",
        )
    if len(stops) != len(looks):
        raise InputError("stops", f"needs one list of masks per look ({len(looks)})")
    n_reasons = max(len(masks) for masks in stops)
    shape = (n_max + 1,) * (k - 1)
    state = np.zeros((n_rates, *shape))
    state[(slice(None), *(0,) * (k - 1))] = 1.0
    stopped = np.zeros((n_rates, len(looks), n_reasons))
    previous = 0
    for look, n in enumerate(looks):
        for _ in range(n - previous):
            state = _add_patient(state, probs)
        previous = n
        inside = np.sum(np.indices(shape), axis=0) <= n
        for reason, mask in enumerate(stops[look]):
            full = _padded(np.asarray(mask, dtype=bool), n, shape) & inside
            hit = state * full
            stopped[:, look, reason] = hit.reshape(n_rates, -1).sum(axis=1)
            state = state - hit
    running = np.clip(state.reshape(n_rates, -1).sum(axis=1), 0.0, 1.0)
    return stopped, running


def _add_patient(state: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """One more patient: S'(c) = p_K S(c) + sum_j p_j S(c - e_j) (exact)."""
    k = probs.shape[1]
    extra = (slice(None),) + (None,) * (k - 1)
    out = state * probs[:, k - 1][extra]
    for j in range(k - 1):
        axis = j + 1
        shifted = np.zeros_like(state)
        dest = [slice(None)] * state.ndim
        src = [slice(None)] * state.ndim
        dest[axis], src[axis] = slice(1, None), slice(None, -1)
        shifted[tuple(dest)] = state[tuple(src)]
        out += shifted * probs[:, j][extra]
    return out


def _padded(mask: np.ndarray, n: int, shape: tuple[int, ...]) -> np.ndarray:
    """A look's mask (n + 1,) * (K - 1) placed on the full lattice (False beyond n)."""
    want = (n + 1,) * len(shape)
    if mask.shape != want:
        raise InputError(
            "stops", f"a mask at n = {n} must have shape {want} (got {tuple(mask.shape)})"
        )
    out = np.zeros(shape, dtype=bool)
    out[tuple(slice(0, n + 1) for _ in shape)] = mask
    return out
