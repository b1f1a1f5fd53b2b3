"""What an interim call decides with: each cohort's design, and the borrowing model.

The plan holds the engine's own objects (each cohort's
:class:`~adaptive_pilot.designs.design.Design` with its compiled boundary table,
rule, prior and toxicity rule; the hierarchical trial), so the call decides with
exactly what the exact OC and the simulator use. The spec layer builds it from
a design file (:meth:`adaptive_pilot.spec.ResolvedDesign.interim_plan`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from ..boundary_table import BoundaryTable
from ..designs.bayesian import BayesianDesign
from ..designs.design import Design
from ..priors import BetaMixturePrior, BetaPrior
from ..provenance import design_hash
from ..rules.toxicity import ToxicityRule
from .trial import TrialDesign

__all__ = ["CohortPlan", "InterimPlan"]


def CohortPlan(  # noqa: N802 - the 0.1 class name, kept for one minor version
    name: str,
    table: BoundaryTable,
    design: BayesianDesign | None,
    prior: BetaPrior | BetaMixturePrior,
    p0: float,
    p1: float,
    toxicity: ToxicityRule | None = None,
    min_grade: int = 3,
) -> Design:
    """Deprecated since 0.2.0 (removed in 0.3.0): use :meth:`Design.of`."""
    warnings.warn(
        "CohortPlan is deprecated since adaptive_pilot 0.2.0 and will be removed in 0.3.0; "
        "use adaptive_pilot.Design.of",
        DeprecationWarning,
        stacklevel=2,
    )
    return Design.of(
        table if design is None else design,
        p0=p0,
        p1=p1,
        prior=prior,
        name=name,
        toxicity=toxicity,
        min_grade=min_grade,
    )


@dataclass(frozen=True)
class InterimPlan:
    """The design of every cohort, and the hierarchical trial when cohorts borrow.

    Attributes
    ----------
    name, title : str
        The design's name and title.
    cohorts : tuple of Design
        Each cohort's design (named after the cohort, as in the patient data), in
        design order.
    borrowing : TrialDesign or None
        The hierarchical trial (the same object the simulator runs) when the
        decisions use the borrowed posterior; None for independent cohorts.
    plan_hash : str
        The design file's hash (:meth:`design_hash`); "" for a plan built in code.
    """

    name: str
    title: str
    cohorts: tuple[Design, ...]
    borrowing: TrialDesign | None = None
    plan_hash: str = field(default="", compare=False)

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
        """JSON-ready plan: every bound, rule, prior and threshold that decides."""
        return {
            "name": self.name,
            "cohorts": [c.content() for c in self.cohorts],
            "borrowing": None if self.borrowing is None else self.borrowing.to_dict(),
        }

    def design_hash(self) -> str:
        """The design file's hash, or the hash of :meth:`to_dict` for a plan built in code."""
        return self.plan_hash or design_hash(self.to_dict())
