"""What an interim call needs to know about the design: one plan per cohort.

The plan holds the engine's own objects (boundary table, Bayesian design and
its rule, prior, toxicity rule, the hierarchical trial), so the call decides
with exactly what the exact OC and the simulator use. The spec layer builds
it from a design file (:meth:`adaptive_pilot.spec.ResolvedDesign.interim_plan`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..boundary_table import BoundaryTable
from ..cohorts.trial import TrialDesign
from ..designs.bayesian import BayesianDesign
from ..priors import BetaMixturePrior, BetaPrior
from ..provenance import design_hash
from ..rules.toxicity import ToxicityRule

__all__ = ["CohortPlan", "InterimPlan"]


@dataclass(frozen=True)
class CohortPlan:
    """One cohort's design.

    Attributes
    ----------
    name : str
        Cohort name, as in the patient data.
    table : BoundaryTable
        The compiled boundaries.
    design : BayesianDesign or None
        The rule on its looks (None for a Simon design: the table is the rule).
    prior : BetaPrior or BetaMixturePrior
        Prior of the response rate (posterior and predictive probabilities).
    p0, p1 : float
        Null and target response rates.
    toxicity : ToxicityRule or None
        Toxicity stopping rule.
    min_grade : int
        CTCAE grade from which a toxicity counts as an event.
    """

    name: str
    table: BoundaryTable
    design: BayesianDesign | None
    prior: BetaPrior | BetaMixturePrior
    p0: float
    p1: float
    toxicity: ToxicityRule | None = None
    min_grade: int = 3

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: what determines the cohort's decisions."""
        return {
            "name": self.name,
            "boundaries": self.table.to_dict(),
            "rule": None if self.design is None else self.design.to_dict(),
            "prior": self.prior.to_dict(),
            "p0": self.p0,
            "p1": self.p1,
            "toxicity": None if self.toxicity is None else self.toxicity.to_dict(),
            "min_grade": self.min_grade,
        }


@dataclass(frozen=True)
class InterimPlan:
    """The design of every cohort, and the hierarchical trial when cohorts borrow.

    Attributes
    ----------
    name, title : str
        The design's name and title.
    cohorts : tuple of CohortPlan
        In design order.
    borrowing : TrialDesign or None
        The hierarchical trial (the same object the simulator runs) when the
        decisions use the borrowed posterior; None for independent cohorts.
    """

    name: str
    title: str
    cohorts: tuple[CohortPlan, ...]
    borrowing: TrialDesign | None = None

    @property
    def cohort_names(self) -> tuple[str, ...]:
        """Cohort names in design order."""
        return tuple(c.name for c in self.cohorts)

    @property
    def borrowing_name(self) -> str:
        """``"independent"``, ``"hierarchical"`` (Berry) or ``"exnex"``."""
        if self.borrowing is None or self.borrowing.borrowing is None:
            return "independent"
        return self.borrowing.borrowing.name

    @property
    def analysis_description(self) -> str:
        """How the cohorts are analysed, in words."""
        if self.borrowing is None or self.borrowing.borrowing is None:
            return "each cohort on its own data"
        return self.borrowing.borrowing.describe()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready plan (hashed into the design hash)."""
        return {
            "name": self.name,
            "cohorts": [c.to_dict() for c in self.cohorts],
            "borrowing": None if self.borrowing is None else self.borrowing.to_dict(),
        }

    def design_hash(self) -> str:
        """Hash of the plan: every bound, rule, prior and threshold that decides."""
        return design_hash(self.to_dict())
