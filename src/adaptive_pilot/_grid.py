"""Parsing of response-rate grids typed on the command line (internal)."""

from __future__ import annotations

import math

import numpy as np

from .errors import InputError

MAX_GRID_POINTS = 100_001


def parse_rate_grid(text: str, field: str = "p") -> np.ndarray:
    """Parse ``"start:stop:step"`` (inclusive), ``"a,b,c"`` or a single rate.

    Examples
    --------
    >>> parse_rate_grid("0.05:0.2:0.05").tolist()
    [0.05, 0.1, 0.15, 0.2]
    """
    text = str(text).strip()
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise InputError(
                field, f"a range is start:stop:step, e.g. 0.05:0.5:0.05 (got {text!r})"
            )
        start, stop, step = (_number(field, part) for part in parts)
        if step <= 0:
            raise InputError(field, f"the step of start:stop:step must be positive (got {step:g})")
        if stop < start:
            raise InputError(
                field, f"stop must not be below start in start:stop:step (got {text!r})"
            )
        count = math.floor((stop - start) / step + 1e-9) + 1
        if count > MAX_GRID_POINTS:
            raise InputError(
                field, f"the range has {count} points; at most {MAX_GRID_POINTS} are allowed"
            )
        values = np.round(start + step * np.arange(count), 12)
    else:
        items = [item for item in text.split(",") if item.strip()]
        if not items:
            raise InputError(field, "needs response rates, e.g. 0.1,0.3 or 0.05:0.5:0.05")
        values = np.array([_number(field, item) for item in items])
    bad = values[(values < 0) | (values > 1)]
    if bad.size:
        raise InputError(field, f"response rates must be between 0 and 1 (got {bad[0]:g})")
    return values


def _number(field: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(field, f"expected a number, got {text.strip()!r}") from None
    if not math.isfinite(value):
        raise InputError(field, f"expected a finite number, got {text.strip()!r}")
    return value
