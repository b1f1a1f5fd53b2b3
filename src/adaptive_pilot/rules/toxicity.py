"""Beta-Binomial toxicity stopping rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._validate import increasing_looks, open_probability
from ..errors import InputError
from ..priors import BetaMixturePrior, BetaPrior
from ._common import posterior_matrix, threshold
from .compile import upper_bounds

__all__ = ["ToxicityBoundary", "ToxicityRule"]


@dataclass(frozen=True)
class ToxicityRule:
    """Stop for toxicity if P(p_tox > t | y toxicities among n) > c at the stated looks.

    Parameters
    ----------
    threshold : float
        Highest acceptable toxicity rate t.
    probability : float
        Posterior probability c that triggers the stop.
    prior : BetaPrior or BetaMixturePrior
        Prior for the toxicity rate.
    looks : sequence of int
        Numbers of evaluable patients at which toxicity is checked.
    """

    threshold: float
    probability: float
    prior: BetaPrior | BetaMixturePrior
    looks: tuple[int, ...]

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "threshold", open_probability("toxicity.threshold", self.threshold)
        )
        object.__setattr__(self, "probability", threshold("toxicity.probability", self.probability))
        values = increasing_looks("toxicity.looks", self.looks)
        object.__setattr__(self, "looks", values)

    def stops(self, n: int, y: Any) -> np.ndarray:
        """True where the rule stops for toxicity with y toxicities among n."""
        return self.prior.prob_greater(self.threshold, y, n) > self.probability

    def stopping_counts(self, looks: Sequence[int]) -> np.ndarray:
        """Smallest toxicity count that stops at each look (n_k + 1: never), vectorised.

        Compiled by :func:`adaptive_pilot.rules.compile.upper_bounds`, which
        also checks that each stopping region is of the form y >= s.
        """
        stats = posterior_matrix(self.prior, self.threshold, looks)
        with np.errstate(invalid="ignore"):
            stop = stats > self.probability
        bounds, ok = upper_bounds(stop[None], looks)
        if not ok.all():
            n = looks[int(np.argmin(ok[0]))]
            raise InputError("toxicity", f"the toxicity rule is not monotone at n = {n}")
        return bounds[0]

    def bound(self, n: int) -> int:
        """Smallest number of toxicities among n that stops the trial (n + 1: never)."""
        return int(self.stopping_counts((n,))[0])

    def bounds(self) -> dict[int, int]:
        """{look: smallest toxicity count that stops}, for the rule's looks."""
        return dict(
            zip(self.looks, (int(s) for s in self.stopping_counts(self.looks)), strict=True)
        )

    def describe(self) -> str:
        """The rule in words, with its compiled bounds."""
        stops = ", ".join(
            f">= {s} of {n}" if s <= n else f"never at {n}" for n, s in self.bounds().items()
        )
        return (
            f"Stop for toxicity if P(p_tox > {self.threshold:g} | data) > {self.probability:g} "
            f"under a {self.prior} prior: {stops} patients with toxicity."
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {
            "threshold": self.threshold,
            "probability": self.probability,
            "prior": self.prior.to_dict(),
            "looks": list(self.looks),
        }


@dataclass(frozen=True)
class ToxicityBoundary:
    """Stop for toxicity when the toxicities among n_k reach a fixed count, look by look.

    The form of a repeated-significance toxicity boundary (Ivanova, Qaqish &
    Schell 2005; clinfun's ``toxbdry``), usable wherever a :class:`ToxicityRule`
    is (exact joint OC, simulation). Build one with
    :func:`adaptive_pilot.designs.toxicity_boundary.toxicity_boundary`.

    Parameters
    ----------
    looks : sequence of int
        Numbers of evaluable patients at which toxicity is checked.
    counts : sequence of int
        Smallest number of toxicities that stops at each look (n_k + 1: never).
    description : str
        How the counts were derived, for ``describe()``.
    source : mapping
        The parameters that derive the counts (JSON-ready), for ``to_dict()``.
    """

    looks: tuple[int, ...]
    counts: tuple[int, ...]
    description: str = "fixed toxicity boundary"
    source: Any = None

    def __post_init__(self) -> None:
        values = increasing_looks("toxicity.looks", self.looks)
        counts = tuple(int(c) for c in self.counts)
        if len(counts) != len(values):
            raise InputError("toxicity.counts", "needs one count per look")
        for n, c in zip(values, counts, strict=True):
            if not 0 <= c <= n + 1:
                raise InputError("toxicity.counts", f"count {c} at n = {n} is outside 0..{n + 1}")
        object.__setattr__(self, "looks", values)
        object.__setattr__(self, "counts", counts)

    def stops(self, n: int, y: Any) -> np.ndarray:
        """True where y toxicities among n stop the trial (never at an unmonitored n)."""
        bound = self.bounds().get(int(n), int(n) + 1)
        return np.asarray(y) >= bound

    def stopping_counts(self, looks: Sequence[int]) -> np.ndarray:
        """Smallest stopping count at each of ``looks`` (n + 1 where not monitored)."""
        bounds = self.bounds()
        return np.array([bounds.get(int(n), int(n) + 1) for n in looks])

    def bound(self, n: int) -> int:
        """Smallest number of toxicities among n that stops the trial (n + 1: never)."""
        return self.bounds().get(int(n), int(n) + 1)

    def bounds(self) -> dict[int, int]:
        """{look: smallest toxicity count that stops}."""
        return dict(zip(self.looks, self.counts, strict=True))

    def describe(self) -> str:
        """The boundary in words."""
        stops = ", ".join(
            f">= {s} of {n}" if s <= n else f"never at {n}" for n, s in self.bounds().items()
        )
        return f"Stop for toxicity ({self.description}): {stops} patients with toxicity."

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the derivation parameters, looks and counts."""
        return {
            **(dict(self.source) if self.source else {}),
            "looks": list(self.looks),
            "counts": list(self.counts),
        }
