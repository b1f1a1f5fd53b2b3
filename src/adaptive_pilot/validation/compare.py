"""One comparison of a computed figure with its reference, as the rows of the report."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .catalogue import Expected, Tolerance
from .computations import Figure

__all__ = ["Check", "compare"]

#: Slack for floating-point noise on bounds given exactly (e.g. a grid step).
_SLACK = 1e-12


@dataclass(frozen=True)
class Check:
    """One compared figure: a row of the validation report."""

    reference_set: str
    case: str
    quantity: str
    reference_value: str
    computed_value: str
    difference: float | None
    allowed_difference: float | None
    tolerance: str
    passed: bool


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: Any) -> str:
    if _missing(value):
        return "none"
    if isinstance(value, Figure):
        value = value.value
    if isinstance(value, float):
        return f"{value:.10g}"
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)


def _has_float(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_float(v) for v in value)
    return isinstance(value, float | Figure)


def compare(
    reference_set: str, case: str, quantity: str, expected: Expected, computed: Any, tol: Tolerance
) -> list[Check]:
    """Rows comparing ``computed`` with ``expected`` (a list of numbers: one row each)."""
    ref = expected.value
    if isinstance(ref, list) and _has_float(ref) and not isinstance(ref[0], list):
        if not isinstance(computed, list) or len(computed) != len(ref):
            return [_row(reference_set, case, quantity, ref, computed, None, None, tol, False)]
        rows = []
        for i, (r, c) in enumerate(zip(ref, computed, strict=True)):
            sd = expected.sd[i] if isinstance(expected.sd, list) else expected.sd
            se = expected.se[i] if isinstance(expected.se, list) else expected.se
            element = f"{quantity}[{i + 1}]"
            rows += compare(reference_set, case, element, Expected(r, sd, se), c, tol)
        return rows
    if _missing(ref) or _missing(computed):
        same = _missing(ref) and _missing(computed)
        return [_row(reference_set, case, quantity, ref, computed, None, None, tol, same)]
    figure = computed if isinstance(computed, Figure) else None
    value = figure.value if figure is not None else computed
    if not (_is_number(ref) and _is_number(value)):
        return [_row(reference_set, case, quantity, ref, value, None, None, tol, value == ref)]
    difference = float(value) - float(ref)
    if tol.low is not None or tol.high is not None:
        low = -math.inf if tol.low is None else tol.low
        high = math.inf if tol.high is None else tol.high
        passed = low - _SLACK <= difference <= high + _SLACK
        return [_row(reference_set, case, quantity, ref, value, difference, None, tol, passed)]
    allowed = tol.absolute + tol.relative * abs(float(ref))
    if tol.mcse:
        sd = expected.sd if expected.sd is not None else (figure.sd if figure else None)
        ref_se = expected.se
        if ref_se is None and tol.simulated and sd is not None:
            ref_se = sd / math.sqrt(tol.simulated)
        own_se = figure.se if figure is not None else None
        allowed += tol.mcse * math.hypot(ref_se or 0.0, own_se or 0.0)
    passed = abs(difference) <= allowed + _SLACK * max(1.0, abs(float(ref)))
    return [_row(reference_set, case, quantity, ref, value, difference, allowed, tol, passed)]


def _row(
    reference_set: str,
    case: str,
    quantity: str,
    ref: Any,
    value: Any,
    difference: float | None,
    allowed: float | None,
    tol: Tolerance,
    passed: bool,
) -> Check:
    return Check(
        reference_set, case, quantity, _text(ref), _text(value), difference, allowed,
        tol.describe(), bool(passed),
    )  # fmt: skip
