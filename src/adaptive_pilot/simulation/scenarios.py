"""Scenarios: the true response (and toxicity) rates per cohort that a simulation runs under,
and the category probabilities of cohorts deciding on several endpoints.

Scenario files are read by :func:`adaptive_pilot.spec.load_scenarios`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..provenance import content_hash

if TYPE_CHECKING:
    from ..designs.multi_endpoint import MultiEndpointDesign
from .survival import SurvivalScenario

__all__ = ["EndpointCohort", "EndpointScenario", "Scenario", "scenarios_hash"]


@dataclass(frozen=True)
class Scenario:
    """True rates per cohort (in the trial's cohort order).

    ``odds_ratio`` (per cohort; None: 1, independence) is the odds ratio between
    a patient's response and toxicity, as in the exact joint OC (Plackett): with
    psi > 1 responders are more often toxic. ``survival``: PFS and OS to simulate
    (:mod:`.survival`).

    ``response_prior`` (one prior per cohort): each simulated trial draws its cohorts'
    true rates from these priors (the design priors), for Bayesian operating
    characteristics (probability of success, P(H0 | GO), P(H1 | NO-GO)); ``response``
    then holds the priors' means, for display.
    """

    name: str
    response: np.ndarray
    toxicity: np.ndarray | None
    description: str = ""
    odds_ratio: np.ndarray | None = None
    survival: SurvivalScenario | None = None
    response_prior: tuple[Any, ...] | None = None

    def draw_rates(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """True rates of ``size`` trials, (size, J), drawn from ``response_prior``.

        One draw per cohort and trial: a mixture component by its weight, then a Beta.
        """
        assert self.response_prior is not None
        out = np.empty((size, len(self.response_prior)))
        for j, prior in enumerate(self.response_prior):
            w, a, b = prior.components()
            k = rng.choice(len(w), size=size, p=w / w.sum()) if len(w) > 1 else np.zeros(size, int)
            out[:, j] = rng.beta(a[k], b[k])
        return out

    def to_dict(self, cohorts: tuple[str, ...]) -> dict[str, Any]:
        """JSON-ready form keyed by cohort name."""
        out = {
            "name": self.name,
            "description": self.description,
            "response": dict(zip(cohorts, self.response.tolist(), strict=True)),
            "toxicity": None
            if self.toxicity is None
            else dict(zip(cohorts, self.toxicity.tolist(), strict=True)),
        }
        if self.odds_ratio is not None and np.any(self.odds_ratio != 1.0):
            out["odds_ratio"] = dict(zip(cohorts, self.odds_ratio.tolist(), strict=True))
        if self.survival is not None:
            out["survival"] = self.survival.to_dict()
        if self.response_prior is not None:
            # as a scenario file writes it (the priors are the design's, in its hash)
            out["response"] = "design_prior"
        return out


def scenarios_hash(scenarios: list[Scenario], cohorts: tuple[str, ...]) -> str:
    """Content hash of the resolved scenarios."""
    return content_hash([s.to_dict(cohorts) for s in scenarios])


@dataclass(frozen=True)
class EndpointCohort:
    """A cohort: its name, share of accrual and multi-endpoint design."""

    name: str
    share: float
    design: MultiEndpointDesign


@dataclass(frozen=True)
class EndpointScenario:
    """True category probabilities per cohort, shape (J, K), rows summing to 1."""

    name: str
    cells: np.ndarray
    description: str = ""
