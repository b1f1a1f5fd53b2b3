"""The boundary table: the compiled form of every single-cohort design.

A design for a binary endpoint is a look schedule ``n_1 < ... < n_K = N``
(numbers of evaluable patients) and, at each look ``k``, two integers:

* the futility bound ``f_k``: stop for futility if the number of responses
  ``x <= f_k`` (``-1``: never);
* the efficacy bound ``e_k``: stop early for efficacy if ``x >= e_k``
  (``n_k + 1``: never).

At the final look every outcome is decided: ``x >= e_K`` is GO (reject H0),
``x <= f_K = e_K - 1`` is NO-GO. Simon's two-stage design is looks
``(n1, n)``, futility ``(r1, r)``, efficacy ``(never, r + 1)``.

A Go / Consider / No-Go design (``three_outcomes=True``) may leave a band
between the two final bounds: ``f_K < x < e_K`` is CONSIDER (neither GO nor
NO-GO; the sponsor weighs the evidence). Interim looks are unchanged: the
outcomes between the bounds continue.

This module sits at the bottom of the package: it imports nothing above the
validators, so exact OC, simulation, calibration and reports all import it and
it imports none of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from ._validate import increasing_looks
from .errors import InputError
from .provenance import design_hash
from .results import Summary, Table

if TYPE_CHECKING:
    import pandas as pd

    from .inference import Inference

__all__ = ["BoundaryTable"]

_NEVER_WORDS = {"never", "none", "-", ""}


@dataclass(frozen=True)
class BoundaryTable:
    """Looks with a futility and an efficacy bound each.

    Parameters
    ----------
    looks : sequence of int
        Cumulative numbers of evaluable patients at each look, strictly
        increasing; the last is the maximum sample size N.
    futility : sequence of int or None
        Futility bound per look: stop if responses ``x <= f``. ``None`` (or
        ``-1``) means no futility stop at that look.
    efficacy : sequence of int or None
        Efficacy bound per look: stop for efficacy (GO) if ``x >= e``.
        ``None`` (or ``n_k + 1``) means no efficacy stop at that look.

    three_outcomes : bool, default False
        Go / Consider / No-Go: the final bounds may leave a CONSIDER band
        ``f_K < x < e_K``; both final bounds must then be given.

    Notes
    -----
    At the final look of a two-outcome table the two bounds must split the
    outcomes into GO and NO-GO, ``f_K = e_K - 1``; give either one and the
    other is derived. Stored bounds use the sentinels ``-1`` and ``n_k + 1``
    for "never".

    Examples
    --------
    Simon's optimal design for p0 = 0.1, p1 = 0.3 (1/10, 5/29):

    >>> table = BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, 6))
    >>> print(table.describe())  # doctest: +NORMALIZE_WHITESPACE
    Look 1 (10 evaluable patients): stop for futility if at most 1 response;
      otherwise continue.
    Look 2 (29 evaluable patients, final): GO (reject H0) if at least 6 responses;
      NO-GO if at most 5.
    """

    looks: tuple[int, ...]
    futility: tuple[int, ...]
    efficacy: tuple[int, ...]
    three_outcomes: bool = False

    def __post_init__(self) -> None:
        looks = _validate_looks(self.looks)
        fut_in = _normalise_bounds("futility", self.futility, looks, never=-1)
        eff_in = _normalise_bounds("efficacy", self.efficacy, looks, never=None)
        if not isinstance(self.three_outcomes, bool):
            raise InputError(
                "three_outcomes", f"must be true or false (got {self.three_outcomes!r})"
            )
        futility, efficacy = _check_consistency(looks, fut_in, eff_in, self.three_outcomes)
        object.__setattr__(self, "looks", looks)
        object.__setattr__(self, "futility", futility)
        object.__setattr__(self, "efficacy", efficacy)

    # ------------------------------------------------------------------ basics
    @property
    def n_max(self) -> int:
        """Maximum sample size N (the last look)."""
        return self.looks[-1]

    @property
    def n_looks(self) -> int:
        """Number of looks K, the final analysis included."""
        return len(self.looks)

    def futility_at(self, k: int) -> int | None:
        """Futility bound at look ``k`` (0-based), ``None`` when there is none."""
        f = self.futility[k]
        return None if f < 0 else f

    def efficacy_at(self, k: int) -> int | None:
        """Efficacy bound at look ``k`` (0-based), ``None`` when there is none."""
        e = self.efficacy[k]
        return None if e > self.looks[k] else e

    @property
    def consider_range(self) -> tuple[int, int] | None:
        """The final CONSIDER band ``(lo, hi)``: lo <= x <= hi; None when there is none."""
        lo, hi = self.futility[-1] + 1, self.efficacy[-1] - 1
        return (lo, hi) if lo <= hi else None

    def final_outcome(self, x: int) -> str:
        """``"go"``, ``"consider"`` or ``"no_go"`` for x responses at the final look."""
        if x >= self.efficacy[-1]:
            return "go"
        return "no_go" if x <= self.futility[-1] else "consider"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, ``None`` where a bound is "never".

        A Go / Consider / No-Go table adds ``three_outcomes: true`` (two-outcome
        tables keep the shape, and the hash, they always had).
        """
        out: dict[str, Any] = {
            "looks": list(self.looks),
            "futility": [self.futility_at(k) for k in range(self.n_looks)],
            "efficacy": [self.efficacy_at(k) for k in range(self.n_looks)],
        }
        if self.three_outcomes:
            out["three_outcomes"] = True
        return out

    def design_hash(self) -> str:
        """The design hash (:func:`adaptive_pilot.provenance.design_hash` of :meth:`to_dict`)."""
        return design_hash(self.to_dict())

    # ---------------------------------------------------------------- views
    def to_frame(self) -> pd.DataFrame:
        """Tidy view: one row per look.

        Columns: ``look`` (1-based), ``n``, ``futility`` and ``efficacy``
        (nullable integers, missing where "never"), ``final`` and the rule in
        words (``stop_futility_if``, ``stop_efficacy_if``, ``continue_if``; a
        Go / Consider / No-Go table adds ``consider_if``, the final band).
        """
        import pandas as pd

        rows = []
        for k, n in enumerate(self.looks):
            f, e = self.futility_at(k), self.efficacy_at(k)
            final = k == self.n_looks - 1
            lo = 0 if f is None else f + 1
            hi = n if e is None else e - 1
            rows.append(
                {
                    "look": k + 1,
                    "n": n,
                    "futility": f,
                    "efficacy": e,
                    "final": final,
                    "stop_futility_if": "" if f is None else f"x <= {f}",
                    "stop_efficacy_if": "" if e is None else f"x >= {e}",
                    "continue_if": "" if final or lo > hi else _range_text(lo, hi),
                }
            )
            if self.three_outcomes:
                band = self.consider_range if final else None
                rows[-1]["consider_if"] = "" if band is None else _range_text(*band)
        frame = pd.DataFrame(rows)
        return frame.astype({"futility": "Int64", "efficacy": "Int64"})

    def describe(self) -> str:
        """The rule in plain English, one line per look."""
        lines = []
        for k, n in enumerate(self.looks):
            f, e = self.futility_at(k), self.efficacy_at(k)
            if k == self.n_looks - 1:
                label = f"Look {k + 1} ({n} evaluable patients, final)"
                band = self.consider_range
                if self.three_outcomes:
                    middle = "" if band is None else f"CONSIDER if {_range_text(*band)}; "
                    lines.append(
                        f"{label}: GO if at least {_responses(e)}; {middle}NO-GO if at most {f}."
                    )
                    continue
                lines.append(
                    f"{label}: GO (reject H0) if at least {_responses(e)}; NO-GO if at most {f}."
                )
                continue
            label = f"Look {k + 1} ({n} evaluable patients)"
            actions = []
            if f is not None:
                actions.append(
                    "stop for futility if no response"
                    if f == 0
                    else f"stop for futility if at most {_responses(f)}"
                )
            if e is not None:
                actions.append(f"stop early for efficacy (GO) if at least {_responses(e)}")
            if actions:
                lines.append(f"{label}: {'; '.join(actions)}; otherwise continue.")
            else:
                lines.append(f"{label}: no stopping; continue.")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.describe()

    def inference(self, n: int, x: int, **options: Any) -> Inference:
        """Deprecated since 0.2.0 (removed in 0.3.0): use
        :func:`adaptive_pilot.inference.stagewise_inference` (a function of the table).
        """
        import warnings

        from .inference import stagewise_inference

        warnings.warn(
            "BoundaryTable.inference() is deprecated since adaptive_pilot 0.2.0 and will be "
            "removed in 0.3.0; use adaptive_pilot.inference.stagewise_inference(table, ...)",
            DeprecationWarning,
            stacklevel=2,
        )

        return stagewise_inference(self, n, x, **options)

    def summary(self) -> Summary:
        """The boundary table as a :class:`~adaptive_pilot.results.Summary`."""
        columns = ["look", "n", "stop_futility_if", "continue_if", "stop_efficacy_if"]
        if self.three_outcomes:
            columns.insert(4, "consider_if")
        frame = self.to_frame()[columns]
        return Summary(
            "Boundary table",
            header=(f"N = {self.n_max}, {self.n_looks} looks; x = responses among n",),
            tables=(Table(frame),),
            notes=tuple(self.describe().splitlines()),
        )

    # ------------------------------------------------------------ parsing
    @classmethod
    def from_strings(
        cls, looks: str, futility: str, efficacy: str, *, three_outcomes: bool = False
    ) -> BoundaryTable:
        """Build a table from comma-separated lists, as typed on a command line.

        ``"never"`` (or ``none``, ``-``, empty) marks a look without that stop;
        ``three_outcomes`` lets the final bounds leave a CONSIDER band.

        Examples
        --------
        >>> BoundaryTable.from_strings("10,29", "1,5", "never,6").futility
        (1, 5)
        """
        look_values = _parse_int_list("looks", looks, allow_never=False)
        fut = _parse_int_list("futility", futility, allow_never=True)
        eff = _parse_int_list("efficacy", efficacy, allow_never=True)
        final = look_values[-1]
        if eff and eff[-1] is None and len(eff) == len(look_values):
            raise InputError(
                "efficacy",
                f"the final look (n={final}) has no GO region with 'never' there; the final look "
                f"must decide GO / NO-GO: give its efficacy bound (GO if x >= e)",
            )
        # None marks "never"; the constructor turns it into the sentinels
        table = cls(
            looks=tuple(int(v) for v in look_values if v is not None),
            futility=cast(tuple[int, ...], tuple(fut)),
            efficacy=cast(tuple[int, ...], tuple(eff)),
            three_outcomes=three_outcomes,
        )
        if fut[-1] is None:
            raise InputError(
                "futility",
                f"the final look (n={final}) has no NO-GO region with 'never' there; the final "
                f"look must decide GO / NO-GO: give its futility bound, "
                f"{table.futility[-1]} (NO-GO if x <= e - 1)",
            )
        return table


# ------------------------------------------------------------------ helpers
def _responses(count: int | None) -> str:
    return f"{count} response" + ("" if count == 1 else "s")


def _range_text(lo: int, hi: int) -> str:
    return f"x = {lo}" if lo == hi else f"{lo} <= x <= {hi}"


def _as_int(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(field, f"must be a whole number (got {value!r})")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InputError(field, f"must be a whole number (got {value!r})") from None
    if isinstance(value, float) and number != value:
        raise InputError(field, f"must be a whole number (got {value!r})")
    return number


def _validate_looks(looks: Sequence[int]) -> tuple[int, ...]:
    return increasing_looks("looks", looks)


def _normalise_bounds(
    field: str, bounds: Sequence[int | None], looks: tuple[int, ...], *, never: int | None
) -> list[int | None]:
    """Validate one list of bounds; ``None`` marks "never" (sentinels accepted)."""
    if isinstance(bounds, str | bytes) or not isinstance(bounds, Sequence):
        raise InputError(field, "must be a list with one bound per look")
    if len(bounds) != len(looks):
        raise InputError(
            field,
            f"needs one bound per look: {len(looks)} looks but {len(bounds)} bounds",
        )
    out: list[int | None] = []
    for k, (bound, n) in enumerate(zip(bounds, looks, strict=True)):
        if bound is None:
            out.append(None)
            continue
        value = _as_int(field, bound)
        is_sentinel = value == -1 if never == -1 else value == n + 1
        if is_sentinel:
            out.append(None)
        elif not 0 <= value <= n:
            raise InputError(
                field,
                f"bound {value} at look {k + 1} is outside 0..{n} "
                f"(the number of patients at that look), or use 'never'",
            )
        else:
            out.append(value)
    return out


def _check_consistency(
    looks: tuple[int, ...],
    futility: list[int | None],
    efficacy: list[int | None],
    three_outcomes: bool = False,
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    last = len(looks) - 1
    for k in range(last):
        f, e = futility[k], efficacy[k]
        if f is not None and e is not None and f >= e:
            raise InputError(
                "futility",
                f"at look {k + 1} (n={looks[k]}) the futility bound {f} is not below the "
                f"efficacy bound {e}: an outcome cannot both stop for futility and for efficacy",
            )
    f, e, n = futility[last], efficacy[last], looks[last]
    if three_outcomes:
        return _check_three_outcomes(looks, futility, efficacy)
    if f is None and e is None:
        raise InputError(
            "efficacy",
            f"the final look (n={n}) must decide GO / NO-GO: give its efficacy bound "
            f"(GO if x >= e) or its futility bound (NO-GO if x <= f)",
        )
    if e is None:
        assert f is not None
        if f >= n:
            raise InputError(
                "efficacy",
                f"the final look (n={n}) has no GO region: efficacy is 'never' and the "
                f"futility bound {f} makes every outcome NO-GO; give a final efficacy bound "
                f"in 1..{n}",
            )
        e = f + 1
    elif f is None:
        f = e - 1
    elif f != e - 1:
        raise InputError(
            "futility",
            f"at the final look (n={n}) the futility bound must be one less than the "
            f"efficacy bound so that every outcome is GO or NO-GO (got {f} and {e}); a "
            f"Go / Consider / No-Go table (three_outcomes; oc --consider) may leave a "
            f"CONSIDER band between them",
        )
    if not 1 <= e <= n:
        region = "no GO region" if e > n else "no NO-GO region"
        raise InputError(
            "efficacy",
            f"the final look (n={n}) has {region}: the final efficacy bound must be in "
            f"1..{n} so that both GO and NO-GO are possible (got {e})",
        )
    futility[last], efficacy[last] = f, e
    fut = tuple(-1 if b is None else b for b in futility)
    eff = tuple(looks[k] + 1 if b is None else b for k, b in enumerate(efficacy))
    return fut, eff


def _check_three_outcomes(
    looks: tuple[int, ...], futility: list[int | None], efficacy: list[int | None]
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Final bounds of a Go / Consider / No-Go table: both given, NO-GO and GO both possible."""
    f, e, n = futility[-1], efficacy[-1], looks[-1]
    if e is None or not 1 <= e <= n:
        raise InputError(
            "efficacy",
            f"the final look (n={n}) of a Go / Consider / No-Go table needs a GO bound in "
            f"1..{n} (GO if x >= e; got {'never' if e is None else e})",
        )
    if f is None or not 0 <= f <= e - 1:
        raise InputError(
            "futility",
            f"the final look (n={n}) of a Go / Consider / No-Go table needs a NO-GO bound in "
            f"0..{e - 1}, below the GO bound {e} (NO-GO if x <= f; got "
            f"{'never' if f is None else f})",
        )
    fut = tuple(-1 if b is None else b for b in futility)
    eff = tuple(looks[k] + 1 if b is None else b for k, b in enumerate(efficacy))
    return fut, eff


def _parse_int_list(field: str, text: str, *, allow_never: bool) -> list[int | None]:
    items = [item.strip() for item in str(text).split(",")]
    if not items or all(item == "" for item in items):
        raise InputError(field, "must be a comma-separated list, e.g. 10,29")
    out: list[int | None] = []
    for item in items:
        if item.lower() in _NEVER_WORDS:
            if not allow_never:
                raise InputError(field, f"must list whole numbers (got {item!r})")
            out.append(None)
            continue
        try:
            out.append(int(item))
        except ValueError:
            allowed = "whole numbers or 'never'" if allow_never else "whole numbers"
            raise InputError(field, f"must list {allowed} (got {item!r})") from None
    return out
