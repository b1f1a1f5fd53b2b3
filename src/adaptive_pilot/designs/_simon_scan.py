"""The compiled scan of Simon two-stage designs (internal; see :mod:`.simon`).

For one total ``n`` and one stage-1 size ``n1`` the design (r1, r) rejects H0
with probability

    R_p(r1, r) = P(X1 > r1, X1 + X2 > r) = sum_{x1 = r1+1}^{min(r, n1)} f1(x1) S2(r - x1)
                 + P(X1 > max(r, r1)),

f1 the Bin(n1, p) pmf and S2 the Bin(n - n1, p) upper tail. R_p falls as r1 or
r grows. Three facts cut the search from every (n1, r1, r) to a few of them:

* EN(p0) = n1 + (1 - PET0(r1)) (n - n1) falls as r1 grows, so for each n1 the
  best design is the feasible one with the largest r1, and r1 is scanned
  downwards from the largest value the stage-1 power allows
  (P(X1 <= r1 | p1) <= beta) only while EN(p0) can still beat the best design
  found (at this n, or at a smaller n: a larger n with a larger EN(p0) can be
  neither optimal nor admissible);
* for given (n1, r1) the largest r with enough power, r_beta, is the only r to
  try: alpha falls as r grows, so if r_beta fails on alpha every smaller r does;
* r_beta does not fall as r1 falls, so it is found once by bisection and then
  walked upwards.

Per n the work is O(sum over n1 of (band + steps) x n1) additions, where the
band of r1 values and the steps of r are a few standard deviations of X1 wide.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit

__all__ = ["scan_simon"]


@njit(cache=True, nogil=True)
def _reject(pmf: Any, sf: Any, n1: int, n2: int, r1: int, r: int) -> float:  # pragma: no cover
    """P(X1 > r1, X1 + X2 > r) for X1 ~ Bin(n1, p), X2 ~ Bin(n2, p)."""
    total = 0.0
    top = min(r, n1)
    for x1 in range(r1 + 1, top + 1):
        total += pmf[n1, x1] * sf[n2, r - x1]
    if r < n1:
        total += sf[n1, max(r, r1)]
    return total


@njit(cache=True, nogil=True)
def _meets(value: float, target: float, strict: bool, tie: float) -> bool:  # pragma: no cover
    return value < target if strict else value <= target + tie


@njit(cache=True, nogil=True)
def scan_simon(
    pmf0: Any,
    cdf0: Any,
    sf0: Any,
    pmf1: Any,
    cdf1: Any,
    sf1: Any,
    alpha: float,
    beta: float,
    strict: bool,
    tie: float,
    lower: Any,
    impossible: Any,
    n_from: int,
    n_to: int,
    best_overall: float,
    out: Any,
) -> int:  # pragma: no cover - compiled
    """Best design per total n, for n = n_from..n_to; rows written to ``out``.

    ``lower[n]`` is a lower bound on EN(p0) of any feasible design of total n
    and ``impossible[n]`` marks totals where no test of that size has the power
    (Neyman-Pearson); ``best_overall`` is the best EN(p0) at smaller totals.
    The tables must hold rows and columns 0..n_to. Each row of ``out`` is
    (r1, n1, r, n, EN(p0), PET(p0), alpha, power); the number of rows is returned.
    A row is written only for an n whose best EN(p0) is not above the best at
    every smaller n (within 1e-9), the only totals that can be optimal or admissible.
    """
    rows = 0
    for n in range(n_from, n_to + 1):
        if impossible[n] or lower[n] > best_overall + 1e-9:
            continue
        # r_max: the largest r for which even a single stage has the power
        r_max = -1
        for r in range(n, -1, -1):
            if _meets(1.0 - sf1[n, r], beta, strict, tie):
                r_max = r
                break
        if r_max < 0:
            continue
        best_en = np.inf
        best = (0, 0, 0, 0.0, 0.0, 0.0, 0.0)
        tie_n = tie * n
        for n1 in range(1, n):
            n2 = n - n1
            # the largest r1 the stage-1 power allows: power <= 1 - PET1(r1)
            r1 = min(n1 - 1, r_max)
            while r1 >= 0 and cdf1[n1, r1] > beta + tie:
                r1 -= 1
            r = -1  # r_beta for the current r1, once known
            while r1 >= 0:
                en = n1 + (1.0 - cdf0[n1, r1]) * n2
                limit = min(best_en - tie_n, best_overall + 1e-9)
                if not en < limit:
                    break  # smaller r1 only raise EN(p0)
                if r < 0:
                    # bisection for the largest r in [r1, r_max] with enough power
                    if not _meets(1.0 - _reject(pmf1, sf1, n1, n2, r1, r1), beta, strict, tie):
                        r1 -= 1
                        continue
                    lo, hi = r1, r_max  # power holds at lo; find the largest such r
                    while lo < hi:
                        mid = (lo + hi + 1) // 2
                        power = _reject(pmf1, sf1, n1, n2, r1, mid)
                        if _meets(1.0 - power, beta, strict, tie):
                            lo = mid
                        else:
                            hi = mid - 1
                    r = lo
                else:
                    # a smaller r1 keeps the power of every r that had it: walk up
                    while r < r_max and _meets(
                        1.0 - _reject(pmf1, sf1, n1, n2, r1, r + 1), beta, strict, tie
                    ):
                        r += 1
                size = _reject(pmf0, sf0, n1, n2, r1, r)
                if _meets(size, alpha, strict, tie):
                    power = _reject(pmf1, sf1, n1, n2, r1, r)
                    best_en = en
                    best = (r1, n1, r, en, cdf0[n1, r1], size, power)
                    break  # the largest feasible r1 is this n1's best
                r1 -= 1
        if best_en < np.inf:
            out[rows, 0] = best[0]
            out[rows, 1] = best[1]
            out[rows, 2] = best[2]
            out[rows, 3] = n
            out[rows, 4] = best[3]
            out[rows, 5] = best[4]
            out[rows, 6] = best[5]
            out[rows, 7] = best[6]
            rows += 1
            best_overall = min(best_overall, best_en)
    return rows


@njit(cache=True, nogil=True)
def binomial_rows(p: float, capacity: int) -> Any:  # pragma: no cover - compiled
    """Bin(n, p) pmf for n = 0..capacity (rows), x = 0..capacity (columns).

    Row by row from Pascal's rule, P_n(x) = (1 - p) P_{n-1}(x) + p P_{n-1}(x - 1):
    sums of positive terms, so each entry keeps its relative accuracy (a few
    units in the last place per row).
    """
    q = 1.0 - p
    pmf = np.zeros((capacity + 1, capacity + 1))
    pmf[0, 0] = 1.0
    for n in range(1, capacity + 1):
        pmf[n, 0] = q * pmf[n - 1, 0]
        for x in range(1, n + 1):
            pmf[n, x] = q * pmf[n - 1, x] + p * pmf[n - 1, x - 1]
    return pmf


@njit(cache=True, nogil=True)
def stage1_lower_bounds(continuing: Any) -> Any:  # pragma: no cover - compiled
    """min over n1 < n of n1 + continuing[n1] (n - n1), for n = 0..len - 1 (inf if none).

    ``continuing[n1]`` is the largest possible P(continue to stage 2 | p0) of a
    stage 1 of n1 patients (NaN where none has the power).
    """
    size = continuing.size
    bounds = np.full(size, np.inf)
    for n in range(2, size):
        best = np.inf
        for n1 in range(1, n):
            c = continuing[n1]
            if c == c:  # not NaN
                value = n1 + c * (n - n1)
                if value < best:
                    best = value
        bounds[n] = best
    return bounds
