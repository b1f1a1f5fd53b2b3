"""What every exact OC result derives from its per-look stopping probabilities (internal)."""

from __future__ import annotations

import numpy as np

__all__ = ["LookStops"]


class LookStops:
    """P(GO), early stops and P(final NO-GO) from ``stop_futility`` and ``stop_efficacy``.

    Both are (scenarios, looks) arrays; at the final look futility is NO-GO and efficacy
    is GO.
    """

    stop_futility: np.ndarray
    stop_efficacy: np.ndarray

    @property
    def p_go(self) -> np.ndarray:
        """P(GO): an early efficacy stop or GO at the final look."""
        return self.stop_efficacy.sum(axis=1)

    @property
    def p_early_futility(self) -> np.ndarray:
        """P(stop for futility at an interim look)."""
        return self.stop_futility[:, :-1].sum(axis=1)

    @property
    def p_early_efficacy(self) -> np.ndarray:
        """P(stop for efficacy at an interim look)."""
        return self.stop_efficacy[:, :-1].sum(axis=1)

    @property
    def p_nogo_final(self) -> np.ndarray:
        """P(NO-GO at the final analysis)."""
        return self.stop_futility[:, -1]

    def n_quantiles(self, looks: tuple[int, ...], level: float) -> np.ndarray:
        """The ``level`` quantile of the number of patients, per scenario: the first look
        where P(stopped by then) reaches it (N is always a look)."""
        stops = np.cumsum(self.stop_futility + self.stop_efficacy, axis=1)
        first = np.argmax(stops >= level - 1e-12, axis=1)
        return np.asarray(looks, dtype=float)[first]
