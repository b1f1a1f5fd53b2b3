"""Cohorts and borrowing models across KRAS-subtype cohorts."""

from .hierarchical import BorrowingResult, HierarchicalModel, HierarchicalPrior
from .trial import Accrual, Cohort, HierarchicalBorrowing, TrialDesign, trial_from_design

__all__ = [
    "Accrual",
    "BorrowingResult",
    "Cohort",
    "HierarchicalBorrowing",
    "HierarchicalModel",
    "HierarchicalPrior",
    "TrialDesign",
    "trial_from_design",
]
