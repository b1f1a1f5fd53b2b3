"""Exact stopping probabilities of a design whose patients fall into K outcome categories.

Each patient's outcome is one of K categories (e.g. CR/PR, SD, PD/NE; or response x
toxicity, four cells) with probabilities p = (p_1, ..., p_K). A design decides on D
counts that each patient moves by a fixed step: with steps ``b_j`` in {0, 1}^D for
category j, the counts after n patients are s = sum_i b_{j_i}. The default steps track
c_1, ..., c_{K-1} (category K moves nothing); a rule on endpoints (ORR = CR + PR,
DCR = CR + PR + SD; responses and toxicities) tracks one count per endpoint, so D is
the number of endpoints, whatever K.

The forward recursion carries, for every p at once, the distribution of s among
trials still running on the dense lattice {0..N}^D, adding one patient at a time:
``S'(s) = sum_j p_j S(s - b_j)`` (categories with the same step are merged first). It
is exact: no FFT, no Monte Carlo. At each look the masked mass stops.

Cost: O(N (N + 1)^D J) per rate and design, J the number of distinct steps; memory
(N + 1)^D per rate and design. A lattice above :data:`CELL_LIMIT` cells is refused.
For D = 2 and N = 60 that is 3,721 cells; for D = 3 and N = 60, 226,981.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .._lattice import add_patient, count_grid, default_steps, earlier_patient, merge_steps
from .._validate import increasing_looks
from ..errors import InputError

__all__ = [
    "CELL_LIMIT",
    "count_grid",
    "designs_stopping_probabilities",
    "multinomial_stopping_probabilities",
]

#: Largest count lattice (cells per rate and design) the recursion accepts.
CELL_LIMIT = 20_000_000


def multinomial_stopping_probabilities(
    looks: Sequence[int],
    probabilities: np.ndarray,
    stops: Sequence[Sequence[np.ndarray]],
    *,
    steps: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact probability that a K-category design stops at each look, for each reason.

    Parameters
    ----------
    looks : sequence of int
        Cumulative numbers of evaluable patients, strictly increasing.
    probabilities : array_like, shape (P, K)
        Category probabilities of each scenario; rows sum to 1.
    stops : sequence of sequences of ndarray of bool
        For each look, one mask per stopping reason over the D counts at that look,
        of shape (n_k + 1,) * D. A cell stops for the first reason whose mask holds.
        To end every trial at the final look, its masks must cover every cell.
    steps : array_like of int, shape (K, D), optional
        What one patient of each category adds to the D counts (0 or 1 per count);
        default: the counts c_1..c_{K-1}.

    Returns
    -------
    (stopped, running) : ndarrays
        ``stopped`` of shape (P, K_looks, R): P(stop at look k for reason r);
        ``running`` of shape (P,): the mass that never stopped.

    Examples
    --------
    Three categories, one look of two patients, stop if no patient is in category 1:

    >>> c1, c2 = count_grid(2, 2)
    >>> stopped, _ = multinomial_stopping_probabilities([2], [[0.5, 0.3, 0.2]], [[c1 == 0]])
    >>> round(float(stopped[0, 0, 0]), 4)
    0.25
    """
    if len(stops) != len(increasing_looks("looks", looks)):
        raise InputError("stops", f"needs one list of masks per look ({len(looks)})")
    keys = np.zeros((1, len(looks)), dtype=int)
    stopped, running = designs_stopping_probabilities(
        looks, probabilities, keys, lambda k, _key: stops[k], steps=steps
    )
    return stopped[0], running[0]


def designs_stopping_probabilities(
    looks: Sequence[int],
    probabilities: np.ndarray,
    keys: np.ndarray,
    masks_for: Callable[[int, int], Sequence[np.ndarray]],
    *,
    steps: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Stopping probabilities of B designs on one schedule, sharing common prefixes.

    Designs whose stopping sets agree at looks 1..k share the distribution of the
    counts up to look k + 1, so the forward recursion runs once per distinct prefix: a
    depth-first walk of the tree of prefixes. The last stretch (look K - 1 to K) runs
    backwards instead, once per distinct final set: the probability of ending in each
    final set from every cell at look K - 1 (V(s) = sum_j p_j V(s + b_j)), then a sum
    against each prefix's distribution. Exact.

    Parameters
    ----------
    looks, probabilities, steps
        As in :func:`multinomial_stopping_probabilities`.
    keys : ndarray of int, shape (B, K_looks)
        Per design and look, an id of its stopping sets there (equal ids, equal sets).
    masks_for : callable
        ``masks_for(k, key)``: the list of reason masks at look k for that id, each of
        shape (n_k + 1,) * D.

    Returns
    -------
    (stopped, running) : ndarrays of shape (B, P, K_looks, R) and (B, P)
    """
    looks = increasing_looks("looks", looks)
    probs = np.atleast_2d(np.asarray(probabilities, dtype=float))
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise InputError("probabilities", "needs one row of K >= 2 category probabilities")
    if np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-12):
        raise InputError("probabilities", "each row must be non-negative and sum to 1")
    k = probs.shape[1]
    step = default_steps(k) if steps is None else np.asarray(steps)
    if step.ndim != 2 or step.shape[0] != k or not np.isin(step, (0, 1)).all():
        raise InputError("steps", f"needs one row of 0/1 per category ({k}), one column per count")
    dims = step.shape[1]
    n_max = looks[-1]
    cells = (n_max + 1) ** dims
    if cells > CELL_LIMIT:
        raise InputError(
            "looks",
            f"{dims} tracked counts and N = {n_max} make {cells:,} count cells per rate; at "
            f"most {CELL_LIMIT:,} are allowed (fewer patients or endpoints)",
        )
    keys = np.asarray(keys)
    merged_steps, merged_probs = merge_steps(step, probs)
    n_rates = probs.shape[0]
    start = np.ones((1, n_rates, *(1,) * dims))  # no patient yet: all mass at 0
    found: dict[tuple[int, int], np.ndarray] = {}  # (design, look) -> (P, reasons)
    running = np.zeros((len(keys), n_rates))
    cache: dict[tuple[int, int], list[np.ndarray]] = {}

    def masks(look: int, key: int) -> list[np.ndarray]:
        if (look, key) not in cache:
            n = looks[look]
            cache[look, key] = [
                _checked(np.asarray(m, dtype=bool), n, dims) for m in masks_for(look, key)
            ]
        return cache[look, key]

    last = len(looks) - 1
    values: dict[int, list[np.ndarray]] = {}

    def final_values(key: int) -> list[np.ndarray]:
        """Per final reason r: P(the final counts fall in its set | counts at look K - 1),
        shape (P, lattice at n_{K-1}), by the backward recursion (once per final key)."""
        if key not in values:
            taken = np.zeros((looks[last] + 1,) * dims, dtype=bool)
            out = []
            for mask in masks(last, key):
                value: np.ndarray = np.broadcast_to(mask & ~taken, (n_rates, *mask.shape))
                taken = taken | mask
                for _ in range(looks[last] - looks[last - 1]):
                    value = earlier_patient(value, merged_steps, merged_probs)
                out.append(value)
            values[key] = out
        return values[key]

    def groups_at(look: int, members: list[int]) -> dict[int, list[int]]:
        groups: dict[int, list[int]] = {}
        for b in members:
            groups.setdefault(int(keys[b, look]), []).append(b)
        return groups

    def walk(look: int, state: np.ndarray, members: list[int], previous: int) -> None:
        for _ in range(looks[look] - previous):
            state = add_patient(state, merged_steps, merged_probs)
        for key, group in groups_at(look, members).items():
            rest = state
            hits = []
            for mask in masks(look, key):
                hit = rest * mask
                hits.append(hit.reshape(n_rates, -1).sum(axis=1))
                rest = rest - hit
            for b in group:
                found[b, look] = np.stack(hits, axis=1) if hits else np.zeros((n_rates, 0))
            left = rest.reshape(n_rates, -1).sum(axis=1)
            if look == last:
                running[group] = np.clip(left, 0.0, 1.0)
            elif look + 1 == last:  # the last stretch backwards, once per final key
                flat = rest.reshape(n_rates, -1)
                for final_key, final_group in groups_at(last, group).items():
                    ends = [
                        (flat * v.reshape(n_rates, -1)).sum(axis=1) for v in final_values(final_key)
                    ]
                    for b in final_group:
                        found[b, last] = np.stack(ends, axis=1)
                    running[final_group] = np.clip(left - sum(ends), 0.0, 1.0)
            else:
                walk(look + 1, rest, group, looks[look])

    walk(0, start, list(range(len(keys))), 0)
    n_reasons = max(v.shape[1] for v in found.values())
    stopped = np.zeros((len(keys), n_rates, len(looks), n_reasons))
    for (b, look), value in found.items():
        stopped[b, :, look, : value.shape[1]] = value
    return stopped, running


def _checked(mask: np.ndarray, n: int, dims: int) -> np.ndarray:
    """A look's mask, checked to cover the lattice of n patients."""
    want = (n + 1,) * dims
    if mask.shape != want:
        raise InputError(
            "stops", f"a mask at n = {n} must have shape {want} (got {tuple(mask.shape)})"
        )
    return mask
