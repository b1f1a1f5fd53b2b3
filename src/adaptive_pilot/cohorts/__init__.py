"""Cohorts and borrowing models across KRAS-subtype cohorts."""

from .hierarchical import BorrowingResult, HierarchicalModel, HierarchicalPrior

__all__ = ["BorrowingResult", "HierarchicalModel", "HierarchicalPrior"]
