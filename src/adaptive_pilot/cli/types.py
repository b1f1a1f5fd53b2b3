"""Value types of command-line options: each parses one text and knows its limits.

A type's ``limits`` (e.g. "1 to 100,000,000") is added to its option's help by
:mod:`adaptive_pilot.cli.declare`, so the limit stated and the limit enforced
are one number.
"""

from __future__ import annotations

import argparse
import math
import os

__all__ = [
    "BETA_MIXTURE",
    "BETA_PRIOR",
    "NUMBER",
    "POSITIVE",
    "PROBABILITY",
    "SECONDS",
    "UNIT",
    "Count",
    "max_jobs",
]


def _finite(text: str, what: str = "a number") -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what} (got {text!r})") from None
    if math.isnan(value):
        raise argparse.ArgumentTypeError(f"must be {what} (got not a number)")
    if math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be {what} (got infinity)")
    return value


def NUMBER(text: str) -> float:  # noqa: N802 - a type constant, named like one
    """A finite number."""
    return _finite(text)


def PROBABILITY(text: str) -> float:  # noqa: N802
    """A probability strictly between 0 and 1."""
    value = _finite(text, "a probability strictly between 0 and 1")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"must be a probability strictly between 0 and 1 (got {text})"
        )
    return value


def POSITIVE(text: str) -> float:  # noqa: N802
    """A positive finite number."""
    value = _finite(text, "a positive number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number (got {text})")
    return value


def UNIT(text: str) -> float:  # noqa: N802
    """A number from 0 to 1 (a weight)."""
    value = _finite(text, "a number from 0 to 1")
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1 (got {text})")
    return value


def BETA_MIXTURE(text: str) -> list[tuple[float, float, float]]:  # noqa: N802
    """Beta components as weight:a:b, comma-separated ("a:b" alone: one Beta, weight 1)."""
    example = "e.g. 0.2:1:1,0.8:10:2"
    components = []
    for part in text.split(","):
        fields = part.strip().split(":")
        if len(fields) == 2:
            fields = ["1", *fields]
        try:
            weight, a, b = (float(f) for f in fields)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"each component is weight:a:b, {example} (got {part.strip()!r})"
            ) from None
        if not all(math.isfinite(v) for v in (weight, a, b)) or weight < 0 or a <= 0 or b <= 0:
            raise argparse.ArgumentTypeError(
                f"in {part.strip()!r}: the weight must be >= 0 and a and b positive, {example}"
            )
        components.append((weight, a, b))
    if sum(w for w, _, _ in components) <= 0:
        raise argparse.ArgumentTypeError(f"the weights must not all be 0 (got {text!r})")
    return components


def BETA_PRIOR(text: str) -> tuple[float, float]:  # noqa: N802
    """Two positive numbers a,b."""
    parts = text.split(",")
    try:
        a, b = (float(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be two positive numbers a,b, e.g. 0.6,0.4 (got {text!r})"
        ) from None
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        raise argparse.ArgumentTypeError(f"must be two positive numbers a,b (got {text})")
    return a, b


class Count:
    """A whole number from ``minimum`` to ``maximum`` (None: no upper limit)."""

    def __init__(self, minimum: int, maximum: int | None = None, words: str = "") -> None:
        self.minimum, self.maximum = minimum, maximum
        self.__name__ = "whole number"  # what argparse calls the type in its messages
        #: how the help states the limits (default: from the numbers)
        self.limits = words or (
            f"{minimum:,} or more" if maximum is None else f"{minimum:,} to {maximum:,}"
        )

    def __call__(self, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
        low, high = self.minimum, self.maximum
        if value < low or (high is not None and value > high):
            allowed = f">= {low:,}" if high is None else f"from {low:,} to {high:,}"
            raise argparse.ArgumentTypeError(f"must be a whole number {allowed} (got {text})")
        return value


class _Seconds:
    """A number of seconds from 0.1 to 3600."""

    __name__ = "seconds"
    limits = "0.1 to 3600"

    def __call__(self, text: str) -> float:
        value = _finite(text, "a number of seconds")
        if not 0.1 <= value <= 3600:
            raise argparse.ArgumentTypeError(f"must be 0.1 to 3600 seconds (got {text})")
        return value


SECONDS = _Seconds()


def max_jobs() -> int:
    """The most parallel workers accepted: 4 x the CPUs."""
    return 4 * (os.cpu_count() or 1)
