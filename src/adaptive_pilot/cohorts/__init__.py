"""Cohorts and borrowing models across KRAS-subtype cohorts."""

from .hierarchical import BorrowingResult, HierarchicalModel
from .prior import HierarchicalPrior, hierarchical_prior
from .trial import Accrual, Cohort, HierarchicalBorrowing, TrialDesign

__all__ = [
    "Accrual",
    "BorrowingResult",
    "Cohort",
    "HierarchicalBorrowing",
    "HierarchicalModel",
    "HierarchicalPrior",
    "TrialDesign",
    "hierarchical_prior",
]
