"""The lattice of outcome counts a K-category recursion moves on (numerics, no rules).

A patient of category j adds a step b_j in {0, 1}^D to D tracked counts; the
distribution of the counts after n patients is the n-fold convolution of the step
distribution, computed one patient at a time (exact).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "add_patient",
    "count_grid",
    "default_steps",
    "earlier_patient",
    "merge_steps",
    "reachable_cells",
]


def count_grid(n: int, dims: int) -> tuple[np.ndarray, ...]:
    """The D = ``dims`` counts on the lattice of n patients (``np.indices`` of shape
    (n + 1,) * D). With the default steps D = K - 1 and c_K = n - their sum."""
    return tuple(np.indices((n + 1,) * dims))


def default_steps(k: int) -> np.ndarray:
    """Steps tracking c_1..c_{K-1}: the identity, and a zero row for category K."""
    return np.vstack([np.eye(k - 1, dtype=int), np.zeros((1, k - 1), dtype=int)])


def merge_steps(step: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Categories with the same step merged: distinct steps (J, D), probabilities (P, J)."""
    unique, inverse = np.unique(step, axis=0, return_inverse=True)
    merged = np.zeros((probs.shape[0], unique.shape[0]))
    np.add.at(merged.T, inverse.ravel(), probs.T)
    return unique, merged


def add_patient(state: np.ndarray, steps: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """One more patient: S'(s) = sum_j p_j S(s - b_j) (exact).

    ``state`` is (B, P, (n + 1,) * D) on the lattice of n patients; the result is on the
    lattice of n + 1, one larger along every count, so the work grows with n.
    """
    dims = steps.shape[1]
    extra = (None, slice(None), *(None,) * dims)
    out = np.zeros((*state.shape[:2], *(m + 1 for m in state.shape[2:])))
    for j, step in enumerate(steps):
        dest = (
            slice(None),
            slice(None),
            *(slice(1, None) if moves else slice(None, -1) for moves in step),
        )
        out[dest] += state * probs[:, j][extra]
    return out


def earlier_patient(value: np.ndarray, steps: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """One patient earlier: V(s) = sum_j p_j V(s + b_j), the adjoint of :func:`add_patient`.

    ``value`` is (P, (n + 2,) * D) on the lattice of n + 1 patients (a function of the
    counts, e.g. the probability of ending in a set); the result is on the lattice of n.
    """
    extra = (slice(None), *(None,) * steps.shape[1])
    out: np.ndarray | None = None
    for j, step in enumerate(steps):
        src = (slice(None), *(slice(1, None) if moves else slice(None, -1) for moves in step))
        term = value[src] * probs[:, j][extra]
        out = term if out is None else out + term
    assert out is not None
    return out


def reachable_cells(looks: tuple[int, ...] | list[int], steps: np.ndarray) -> list[np.ndarray]:
    """Per look, the cells of the (n_k + 1,) * D lattice some outcome sequence reaches."""
    steps = np.asarray(steps)
    dims = steps.shape[1]
    uniform = np.full((1, steps.shape[0]), 1.0 / steps.shape[0])
    merged, probs = merge_steps(steps, uniform)
    state = np.ones((1, 1, *(1,) * dims))
    out, previous = [], 0
    for n in looks:
        for _ in range(n - previous):
            state = (add_patient(state, merged, probs) > 0).astype(float)
        previous = n
        out.append(state[0, 0] > 0)
    return out
