"""Vectorised cell parsers: text in, typed values and the wrong cells out (internal).

Each parser takes a column of stripped text (a numpy ``StringDType`` array,
``""`` when empty) and returns a :class:`Parsed`: the values (missing where the
cell is empty or wrong), a mask of the wrong cells and a function that says,
from a wrong cell's text, what is wrong and what is allowed. No Python loop
runs per cell: numpy's compiled string functions and pandas' parsers do the
work, so a million rows take a fraction of a second per column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from .records import RESPONSE_CODES

__all__ = ["DATE_UNIT", "Parsed", "booleans", "dates", "grades", "numbers", "responses", "texts"]

_SAS_EPOCH = pd.Timestamp(dt.date(1960, 1, 1))
_TRUE = ("yes", "y", "true", "1")
_FALSE = ("no", "n", "false", "0")
_RESPONSE_ALIASES = {
    **{code: code for code in RESPONSE_CODES},
    "NON CR/NON PD": "NON-CR/NON-PD",
    "NONCR/NONPD": "NON-CR/NON-PD",
    "NON-CR / NON-PD": "NON-CR/NON-PD",
}
#: The date unit of the patient table.
DATE_UNIT: Final = "datetime64[s]"


@dataclass(frozen=True)
class Parsed:
    """Parsed values, the wrong cells, and why a wrong cell is wrong (from its text)."""

    typed: pd.Series
    bad: np.ndarray
    why: Callable[[str], str]

    def subset(self, keep: np.ndarray) -> Parsed:
        """The same for the rows in ``keep`` (a mask)."""
        return Parsed(self.typed[keep].reset_index(drop=True), self.bad[keep], self.why)


def texts(text: np.ndarray) -> Parsed:
    """Text as it is (None when empty); never wrong."""
    values = pd.Series(text.astype(object)).where(text != "", None)
    return Parsed(values, np.zeros(len(text), dtype=bool), str)


def dates(text: np.ndarray, *, sas_numeric: bool = False, date9: bool = False) -> Parsed:
    """Dates: ISO 8601 ``YYYY-MM-DD`` (a time after ``T`` or a space is ignored).

    With ``date9``, SAS DATE9 text (``14MAR2026``) too; with ``sas_numeric``,
    numbers are SAS dates (days since 1960-01-01, as in SAS transport files).
    """
    empty = text == ""
    prefix = pd.Series(np.strings.slice(text, 0, 10).astype(object))
    values = pd.to_datetime(prefix, format="%Y-%m-%d", errors="coerce")
    lengths = np.strings.str_len(text)
    tails = np.strings.slice(text, 10, 11)
    values = values.where((lengths <= 10) | (tails == "T") | (tails == " "))
    if date9:
        missing = values.isna().to_numpy() & (lengths == 9)
        if missing.any():
            other = pd.to_datetime(pd.Series(text[missing].astype(object)), format="%d%b%Y",
                                   errors="coerce")  # fmt: skip
            values[missing] = other.to_numpy()
    if sas_numeric:
        missing = values.isna().to_numpy() & ~empty
        if missing.any():
            days = pd.to_numeric(pd.Series(text[missing].astype(object)), errors="coerce")
            days = days.where(np.isfinite(days) & (days.abs() < 3e6))
            values[missing] = (_SAS_EPOCH + pd.to_timedelta(np.floor(days), unit="D")).to_numpy()
    values = values.astype(DATE_UNIT)
    bad = ~empty & values.isna().to_numpy()

    def why(cell: str) -> str:
        return f"{cell!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-03-14)"

    return Parsed(values, bad, why)


def numbers(text: np.ndarray, *, what: str = "a number", minimum: float | None = None) -> Parsed:
    """Finite numbers (at least ``minimum`` when given)."""
    empty = text == ""
    raw = pd.to_numeric(pd.Series(text.astype(object)).where(~empty, None), errors="coerce")
    values = raw.astype(float)
    finite = np.isfinite(values.to_numpy())
    bad = ~empty & ~finite
    if minimum is not None:
        bad |= finite & (values.to_numpy() < minimum)
    values = values.where(~bad)

    def why(cell: str) -> str:
        try:
            number = float(cell)
        except ValueError:
            return f"{cell!r} is not {what}"
        if minimum is not None and np.isfinite(number) and number < minimum:
            return f"{number:g} is below {minimum:g}: it must be {what}"
        return f"{cell!r} is not {what}"

    return Parsed(values, bad, why)


def grades(text: np.ndarray) -> Parsed:
    """CTCAE grades 0-5 (``Grade 3`` is read as 3)."""
    upper = np.strings.upper(text)
    prefixed = np.strings.startswith(upper, "GRADE")
    cleaned = np.where(prefixed, np.strings.strip(np.strings.slice(upper, 5, None)), upper)
    parsed = numbers(np.asarray(cleaned, dtype=text.dtype), what="a CTCAE grade 0-5")
    raw = parsed.typed.to_numpy()
    valid = np.isfinite(raw) & (raw == np.round(raw)) & (raw >= 0) & (raw <= 5)
    bad = parsed.bad | (np.isfinite(raw) & ~valid)
    values = pd.Series(raw).where(valid).astype("Int64")

    def why(cell: str) -> str:
        inner = cell.upper().removeprefix("GRADE").strip()
        try:
            number = float(inner)
        except ValueError:
            return f"{cell!r} is not a CTCAE grade 0-5"
        if not np.isfinite(number):
            return f"{cell!r} is not a CTCAE grade 0-5"
        shown = f"{int(number)}" if number == int(number) else f"{number:g}"
        return f"grade {shown} is outside the CTCAE grades 0-5"

    return Parsed(values, bad, why)


def booleans(text: np.ndarray, *, what: str) -> Parsed:
    """yes/no, y/n, true/false, 1/0, any case."""
    lower = np.strings.lower(text)
    yes = np.isin(lower, np.asarray(_TRUE, dtype=text.dtype))
    no = np.isin(lower, np.asarray(_FALSE, dtype=text.dtype))
    values = pd.Series(pd.array(yes, dtype="boolean"))
    values[~(yes | no)] = pd.NA
    bad = (text != "") & ~yes & ~no

    def why(cell: str) -> str:
        return f"{cell!r} is not {what} (allowed: yes or no, 1 or 0)"

    return Parsed(values, bad, why)


def responses(text: np.ndarray) -> Parsed:
    """RECIST 1.1 best overall responses, normalised to upper case (None when pending)."""
    upper = np.strings.upper(text)
    mapped = pd.Series(upper.astype(object)).map(_RESPONSE_ALIASES)
    empty = text == ""
    unknown = mapped.isna().to_numpy() & ~empty
    if unknown.any():  # runs of white space read as one space, as a reader would
        spaced = [" ".join(str(cell).split()) for cell in upper[unknown]]
        mapped[unknown] = pd.Series(spaced, dtype=object).map(_RESPONSE_ALIASES).to_numpy()
    known = mapped.notna().to_numpy()
    values = mapped.where(known & ~empty, None).astype(object)
    bad = ~empty & ~known

    def why(cell: str) -> str:
        return (
            f"{cell!r} is not a RECIST 1.1 best overall response "
            f"(allowed: {', '.join(RESPONSE_CODES)}, or empty while pending)"
        )

    return Parsed(values, bad, why)
