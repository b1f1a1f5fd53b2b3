"""Cached binomial pmf / tail tables for the design searches (internal)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class BinomialTables:
    """pmf and upper tails of Binomial(n, p) for n = 0..n_max.

    ``pmf[n, x] = P(X = x)`` and ``sf[n, x] = P(X > x)`` for ``x = 0..n_max``
    (zero beyond ``n``).
    """

    p: float
    pmf: np.ndarray
    sf: np.ndarray
    cdf: np.ndarray

    @classmethod
    def build(cls, p: float, n_max: int) -> BinomialTables:
        n = np.arange(n_max + 1)[:, None]
        x = np.arange(n_max + 1)[None, :]
        pmf = stats.binom.pmf(x, n, p)
        sf = stats.binom.sf(x, n, p)
        cdf = stats.binom.cdf(x, n, p)
        return cls(p=p, pmf=pmf, sf=sf, cdf=cdf)
