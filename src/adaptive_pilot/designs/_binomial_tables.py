"""Binomial pmf / tail tables for the design searches, grown on demand (internal)."""

from __future__ import annotations

import numpy as np


class BinomialTables:
    """pmf, cdf and upper tails of Binomial(n, p) for n = 0..capacity.

    ``pmf[n, x] = P(X = x)``, ``cdf[n, x] = P(X <= x)`` and
    ``sf[n, x] = P(X > x)`` for ``x = 0..capacity`` (pmf and sf are zero and
    cdf one beyond ``n``). :meth:`ensure` grows the tables (doubling) so that
    a search pays only for the sizes it actually examines.
    """

    def __init__(self, p: float, n: int = 64) -> None:
        self.p = p
        self.capacity = -1
        self.pmf = self.cdf = self.sf = np.empty((0, 0))
        self.ensure(n)

    def ensure(self, n: int) -> None:
        """Make rows and columns 0..n available.

        The pmf comes row by row from Pascal's rule and the tails are sums of
        it, the lower tail from the bottom and the upper from the top, so every
        entry keeps its relative accuracy (about n units in the last place).
        """
        if n <= self.capacity:
            return
        capacity = max(n, 2 * self.capacity, 64)
        from ._simon_scan import binomial_rows  # numba, compiled once and cached

        self.pmf = binomial_rows(self.p, capacity)
        self.cdf = np.cumsum(self.pmf, axis=1)
        self.sf = np.zeros_like(self.pmf)
        self.sf[:, :-1] = np.cumsum(self.pmf[:, :0:-1], axis=1)[:, ::-1]
        self.capacity = capacity
