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

__all__ = ["ToxicityRule"]


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
