"""Binomial pmf / tail tables for the design searches, grown on demand (internal)."""

from __future__ import annotations

import numpy as np

from .._binomial import binomial_pmf


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
        """Make rows and columns 0..n available."""
        from scipy import stats  # imported where used: 0.4 s at start-up

        if n <= self.capacity:
            return
        capacity = max(n, 2 * self.capacity, 64)
        sizes = np.arange(capacity + 1)[:, None]
        counts = np.arange(capacity + 1)[None, :]
        self.pmf = binomial_pmf(counts, sizes, self.p)
        self.cdf = stats.binom.cdf(counts, sizes, self.p)
        self.sf = stats.binom.sf(counts, sizes, self.p)
        self.capacity = capacity
