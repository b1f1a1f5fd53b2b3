"""Small validators shared by the public constructors (internal)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from ._limits import N_LIMIT
from .errors import InputError


def open_probability(field: str, value: float) -> float:
    """Return ``value`` as float if it lies strictly between 0 and 1."""
    number = _as_float(field, value)
    if not 0.0 < number < 1.0:
        raise InputError(field, f"must be a probability strictly between 0 and 1 (got {value})")
    return number


def closed_probability(field: str, value: float) -> float:
    """Return ``value`` as float if it lies in [0, 1]."""
    number = _as_float(field, value)
    if not 0.0 <= number <= 1.0:
        raise InputError(field, f"must be a probability between 0 and 1 (got {value})")
    return number


def positive_int(field: str, value: int, *, minimum: int = 1) -> int:
    """Return ``value`` as int if it is a whole number >= ``minimum``."""
    if isinstance(value, bool):
        raise InputError(field, f"must be a whole number >= {minimum} (got {value})")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InputError(field, f"must be a whole number >= {minimum} (got {value!r})") from None
    if number != value or number < minimum:
        raise InputError(field, f"must be a whole number >= {minimum} (got {value})")
    return number


def response_hypotheses(
    p0: float, p1: float, *, p0_field: str = "p0", p1_field: str = "p1"
) -> tuple[float, float]:
    """Validate the null and target response rates: 0 < p0 < p1 < 1."""
    p0 = open_probability(p0_field, p0)
    p1 = open_probability(p1_field, p1)
    if p0 >= p1:
        raise InputError(p1_field, f"must be greater than p0 (got p0={p0:g}, p1={p1:g})")
    return p0, p1


FEASIBILITY_CONVENTIONS = ("clinfun", "inclusive")


def feasibility_convention(value: str, field: str = "convention") -> str:
    """Validate a feasibility convention name ("clinfun" or "inclusive")."""
    if value not in FEASIBILITY_CONVENTIONS:
        raise InputError(field, f"must be 'clinfun' or 'inclusive' (got {value!r})")
    return value


def _as_float(field: str, value: float) -> float:
    if isinstance(value, bool):
        raise InputError(field, f"must be a number (got {value})")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(field, f"must be a number (got {value!r})") from None
    if math.isnan(number):
        raise InputError(field, "must be a number (got NaN)")
    return number


def increasing_looks(field: str, looks: Sequence[int]) -> tuple[int, ...]:
    """Validate a look schedule: a non-empty, strictly increasing list of positive integers."""
    if isinstance(looks, str | bytes) or not isinstance(looks, Sequence) or len(looks) == 0:
        raise InputError(field, "must be a non-empty list of patient numbers, e.g. 10,29")
    values = []
    for value in looks:
        if isinstance(value, bool) or not isinstance(value, int | float) or int(value) != value:
            raise InputError(field, f"must be whole numbers (got {value!r})")
        values.append(int(value))
    if values[0] < 1:
        raise InputError(field, f"must be positive patient numbers (got {values[0]})")
    if max(values) > N_LIMIT:
        raise InputError(field, f"must be at most {N_LIMIT:,} patients (got {max(values):,})")
    for previous, current in itertools.pairwise(values):
        if current <= previous:
            raise InputError(
                field, f"must be strictly increasing (got {previous} followed by {current})"
            )
    return tuple(values)
