"""Scenarios: the true response (and toxicity) rates per cohort that a simulation runs under.

Scenario files are read by :func:`adaptive_pilot.spec.load_scenarios`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..provenance import content_hash
from .survival import SurvivalScenario

__all__ = ["Scenario", "scenarios_hash"]


@dataclass(frozen=True)
class Scenario:
    """True rates per cohort (in the trial's cohort order).

    ``odds_ratio`` (per cohort; None: 1, independence) is the odds ratio between
    a patient's response and toxicity, as in the exact joint OC (Plackett): with
    psi > 1 responders are more often toxic. ``survival``: PFS and OS to simulate
    (:mod:`.survival`).
    """

    name: str
    response: np.ndarray
    toxicity: np.ndarray | None
    description: str = ""
    odds_ratio: np.ndarray | None = None
    survival: SurvivalScenario | None = None

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
        return out


def scenarios_hash(scenarios: list[Scenario], cohorts: tuple[str, ...]) -> str:
    """Content hash of the resolved scenarios."""
    return content_hash([s.to_dict(cohorts) for s in scenarios])
