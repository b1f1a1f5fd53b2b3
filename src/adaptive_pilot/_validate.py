"""Small validators shared by the public constructors (internal)."""

from __future__ import annotations

import math

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
