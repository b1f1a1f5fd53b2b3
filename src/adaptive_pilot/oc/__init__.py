"""Exact operating characteristics from a boundary table."""

from .exact import OperatingCharacteristics, exact_oc

__all__ = ["OperatingCharacteristics", "exact_oc"]
