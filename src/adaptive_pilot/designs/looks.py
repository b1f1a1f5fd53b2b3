"""Look schedules: an explicit list, every k patients, or continuous monitoring."""

from __future__ import annotations

from collections.abc import Sequence

from .._validate import increasing_looks
from ..errors import InputError

__all__ = ["look_schedule"]


def look_schedule(
    n_max: int,
    *,
    looks: Sequence[int] | None = None,
    every: int | None = None,
    first: int | None = None,
) -> tuple[int, ...]:
    """Build a look schedule ending at ``n_max``.

    Give exactly one of:

    * ``looks``: an explicit strictly increasing list ending at ``n_max``;
    * ``every`` (with optional ``first``, default ``every``): looks at
      ``first, first + every, ...`` and always at ``n_max``;
    * ``first`` alone: continuous monitoring, a look after every patient from
      ``first`` on.

    Examples
    --------
    >>> look_schedule(40, every=10)
    (10, 20, 30, 40)
    >>> look_schedule(14, first=10)
    (10, 11, 12, 13, 14)
    >>> look_schedule(25, every=10, first=5)
    (5, 15, 25)
    """
    if isinstance(n_max, bool) or not isinstance(n_max, int) or n_max < 1:
        raise InputError("n_max", f"must be a whole number >= 1 (got {n_max!r})")
    if looks is not None:
        if every is not None or first is not None:
            raise InputError("looks", "give either an explicit list or every/first, not both")
        values = increasing_looks("looks", looks)
        if values[-1] != n_max:
            beyond = [n for n in values if n > n_max]
            if beyond:
                raise InputError(
                    "looks", f"look {beyond[0]} is beyond the maximum sample size N = {n_max}"
                )
            raise InputError("looks", f"the last look must be at N = {n_max} (got {values[-1]})")
        return values
    if every is not None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise InputError("looks.every", f"must be a whole number >= 1 (got {every!r})")
        start = every if first is None else first
        _check_first(start, n_max)
        steps = list(range(start, n_max, every))
        return tuple([*steps, n_max]) if not steps or steps[-1] != n_max else tuple(steps)
    if first is not None:
        _check_first(first, n_max)
        return tuple(range(first, n_max + 1))
    return (n_max,)


def _check_first(first: int, n_max: int) -> None:
    if isinstance(first, bool) or not isinstance(first, int) or first < 1:
        raise InputError("looks.first", f"must be a whole number >= 1 (got {first!r})")
    if first > n_max:
        raise InputError(
            "looks.first", f"first look {first} is beyond the maximum sample size N = {n_max}"
        )
