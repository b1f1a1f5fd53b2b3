"""Shared validation and description helpers for rules (internal)."""

from __future__ import annotations

import math
from typing import Any

from ..errors import InputError


def rule_fields(rule: Any, **parameters: Any) -> dict[str, Any]:
    """JSON-ready parameters of a rule: type, p0, prior, then its own parameters."""
    return {"type": rule.name, "p0": rule.p0, "prior": rule.prior.to_dict(), **parameters}


def interim_sentences(statistic: str, futility: float | None, efficacy: float | None) -> list[str]:
    """'Interim: stop for futility if S < a.' / '... efficacy if S > b.' where set."""
    parts = []
    if futility is not None:
        parts.append(f"Interim: stop for futility if {statistic} < {futility:g}.")
    if efficacy is not None:
        parts.append(f"Interim: stop for efficacy if {statistic} > {efficacy:g}.")
    return parts


def threshold(field: str, value: float | None, *, optional: bool = False) -> float | None:
    """A probability threshold strictly between 0 and 1 (or None when optional)."""
    if value is None:
        if optional:
            return None
        raise InputError(field, "is required: a probability strictly between 0 and 1")
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise InputError(field, f"must be a probability strictly between 0 and 1 (got {value!r})")
    if not 0.0 < value < 1.0:
        raise InputError(field, f"must be a probability strictly between 0 and 1 (got {value})")
    return float(value)


def max_sample_size(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError("n_max", f"must be a whole number >= 1 (got {value!r})")
    return value
