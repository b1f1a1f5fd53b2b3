"""Checks shared by every input format, column by column (internal).

A reader fills a :class:`PatientColumns` (one row per patient): each canonical
column's parsed values and, for every value, the file, row and column it came
from. Wrong cells are recorded as :class:`Problem` while parsing; :func:`finish`
adds the checks that involve several cells or rows (duplicated patients,
unknown cohorts, dates in the wrong order or after the cut-off, a response
without a date) and either raises one :class:`DataError` with every problem or
returns the canonical :class:`PatientData`. Every check is a vectorised mask:
a million rows are checked in about a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .cells import DATE_UNIT, Parsed
from .records import COLUMNS, MAX_KEPT, DataError, PatientData, Problem, SourceFile

__all__ = ["PatientColumns", "Problems", "finish"]

_DATES = ("enrolled", "response_date", "toxicity_date")
_DTYPES: dict[str, Any] = {
    "toxicity_grade": "Int64",
    "dlt": "boolean",
    "confirmed": "boolean",
    "pfs_event": "boolean",
    "os_event": "boolean",
    "pfs_months": "Float64",
    "os_months": "Float64",
    "patient_id": "string",
    "cohort": "string",
    "response": "string",
}


class Problems:
    """Problems found so far: the first :data:`MAX_KEPT` of each check, and how many in all."""

    def __init__(self) -> None:
        self.kept: list[Problem] = []
        self.total = 0

    def __bool__(self) -> bool:
        return self.total > 0

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        """One problem."""
        self.kept.append(Problem(file, row, column, message))
        self.total += 1

    def flag(
        self,
        mask: np.ndarray,
        file: str,
        column: str | None,
        rows: np.ndarray,
        message: Callable[[int], str],
    ) -> None:
        """A problem for each flagged position (row number from ``rows``; 0 = none).

        ``message(i)`` says what is wrong at position ``i``; it is called for the
        first :data:`MAX_KEPT` flagged positions only.
        """
        flagged = np.flatnonzero(mask)
        self.total += len(flagged)
        for i in flagged[:MAX_KEPT]:
            row = int(rows[i])
            self.kept.append(Problem(file, row or None, column, message(int(i))))


@dataclass
class _Column:
    data: pd.Series
    file: str
    column: str
    rows: np.ndarray
    failed: np.ndarray


class PatientColumns:
    """The patients being read: parsed canonical columns and where each value came from.

    Parameters
    ----------
    count : int
        Number of patients (rows of the patient-level file: the minimal file or ADSL).
    """

    def __init__(self, count: int) -> None:
        self.count = count
        self._columns: dict[str, _Column] = {}

    def __contains__(self, name: str) -> bool:
        return name in self._columns

    def column(self, name: str) -> pd.Series:
        """The column's values (missing where not given)."""
        return self._columns[name].data

    def parsed(
        self,
        name: str,
        parsed: Parsed,
        text: np.ndarray,
        *,
        file: str,
        column: str,
        rows: np.ndarray,
        problems: Problems,
        at: np.ndarray | None = None,
        base: pd.Series | None = None,
    ) -> None:
        """Set a canonical column from a parsed source column; flag its wrong cells.

        ``at`` gives the patient of each source row (default: row i is patient i);
        patients no source row reaches keep an empty value, or their value in
        ``base`` (e.g. grade 0 for a subject without an adverse-event record).
        """
        problems.flag(parsed.bad, file, column, rows, lambda i: parsed.why(str(text[i])))
        positions = np.arange(self.count) if at is None else at
        if at is None:
            values = parsed.typed.reset_index(drop=True)
        else:
            values = _empty_like(parsed.typed, self.count) if base is None else base.copy()
            values.iloc[positions] = parsed.typed.to_numpy()
        source_rows = np.zeros(self.count, dtype=np.int64)
        source_rows[positions] = rows
        failed = np.zeros(self.count, dtype=bool)
        failed[positions] = parsed.bad
        self._columns[name] = _Column(values, file, column, source_rows, failed)

    def constant(self, name: str, value: object, *, file: str, column: str) -> None:
        """Every patient gets ``value`` (e.g. no ADAE record: no toxicity), from no row."""
        values = pd.Series([value] * self.count, dtype=object)
        zeros = np.zeros(self.count, dtype=np.int64)
        self._columns[name] = _Column(values, file, column, zeros, zeros.astype(bool))

    def empty(self, name: str) -> np.ndarray:
        """Cells read and empty (not cells that failed to parse); all of an absent column."""
        if name not in self._columns:
            return np.ones(self.count, dtype=bool)
        column = self._columns[name]
        return column.data.isna().to_numpy() & ~column.failed

    def where(self, name: str) -> tuple[str, str, np.ndarray]:
        """(file, column, rows) of a column; a patient with no row for it points at its ID."""
        ids = self._columns["patient_id"]
        if name not in self._columns:
            return ids.file, name, ids.rows
        column = self._columns[name]
        if column.file == ids.file:
            rows = np.where(column.rows > 0, column.rows, ids.rows)
            return column.file, column.column, rows
        return column.file, column.column, column.rows

    def flag(self, problems: Problems, name: str, mask: np.ndarray, message: Callable[[int], str]):
        """Flag patients at the cell of column ``name``."""
        file, column, rows = self.where(name)
        problems.flag(mask, file, column, rows, message)

    def frame(self) -> pd.DataFrame:
        """The canonical table: :data:`COLUMNS` with their dtypes."""
        data = {}
        for name in COLUMNS:
            if name in self._columns:
                series = self._columns[name].data.reset_index(drop=True)
            else:
                series = pd.Series([None] * self.count, dtype=object)
            if name in _DATES:
                series = pd.to_datetime(series).astype(DATE_UNIT)
            else:
                series = series.astype(_DTYPES[name])
            data[name] = series
        return pd.DataFrame(data)

    def provided(self) -> frozenset[str]:
        return frozenset(self._columns)


def _empty_like(values: pd.Series, count: int) -> pd.Series:
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "M":
        return pd.Series(pd.NaT, index=range(count), dtype=values.dtype)
    if isinstance(values.dtype, np.dtype) and values.dtype.kind == "f":
        return pd.Series(np.nan, index=range(count), dtype=values.dtype)
    if str(values.dtype) in ("Int64", "boolean", "Float64"):
        return pd.Series(pd.NA, index=range(count), dtype=values.dtype)
    return pd.Series([None] * count, dtype=object)


def finish(
    patients: PatientColumns,
    problems: Problems,
    *,
    cohorts: Sequence[str],
    today: dt.date,
    as_of_given: bool,
    sources: Sequence[SourceFile],
    data_format: str,
    first_file: str,
    notes: Sequence[str] = (),
) -> PatientData:
    """Cross-row and cross-field checks, then the canonical table (or one DataError).

    Dates after ``today`` are errors. Without ``--as-of`` today is the data
    cut-off; with it, later-dated outcomes are excluded when the data are cut
    (:func:`~adaptive_pilot.patients.cohort_counts`), not reported as errors.
    """
    if patients.count and "patient_id" in patients:
        _check(patients, problems, cohorts=cohorts, today=today, as_of_given=as_of_given)
    elif not problems:
        problems.add(first_file, None, None, "has no patient rows")
    if problems:
        ordered = sorted(problems.kept, key=lambda p: (p.file != first_file, p.file, p.row or 0))
        raise DataError(ordered, problems.total)
    return PatientData(
        patients.frame(), tuple(sources), data_format, patients.provided(), tuple(notes)
    )


def _check(
    patients: PatientColumns,
    problems: Problems,
    *,
    cohorts: Sequence[str],
    today: dt.date,
    as_of_given: bool,
) -> None:
    ids = patients.column("patient_id")
    id_text = ids.to_numpy()
    has_id = ids.notna().to_numpy()
    patients.flag(problems, "patient_id", ~has_id, lambda i: "patient_id is empty")
    repeated = has_id & ids.duplicated(keep="first").to_numpy()
    if repeated.any():
        _, _, id_rows = patients.where("patient_id")
        first_row = pd.Series(id_rows).groupby(ids.to_numpy()).transform("first").to_numpy()
        patients.flag(
            problems, "patient_id", repeated,
            lambda i: f"patient {id_text[i]!r} appears twice (first at row {first_row[i]}); "
            f"give one row per patient",
        )  # fmt: skip
    cohort = patients.column("cohort") if "cohort" in patients else pd.Series([None] * len(ids))
    cohort_text = cohort.to_numpy()
    has_cohort = cohort.notna().to_numpy()
    patients.flag(problems, "cohort", ~has_cohort, lambda i: "cohort is empty")
    unknown = has_cohort & ~cohort.isin(list(cohorts)).to_numpy()
    design = ", ".join(cohorts)
    patients.flag(
        problems, "cohort", unknown,
        lambda i: f"unknown cohort {cohort_text[i]!r} (the design has {design})",
    )  # fmt: skip
    if "enrolled" in patients:
        patients.flag(
            problems, "enrolled", patients.empty("enrolled"),
            lambda i: "the enrolment date is empty",
        )  # fmt: skip
    limit = f"today, {today}" if as_of_given else f"the data cut-off, today {today}"
    stamp = pd.Timestamp(today)
    dates = {name: _dates(patients, name) for name in _DATES}
    enrolled = dates["enrolled"]

    def after(values: pd.Series) -> Callable[[int], str]:
        return lambda i: f"{_iso(values, i)} is after {limit}"

    def before(values: pd.Series) -> Callable[[int], str]:
        return lambda i: (
            f"{_iso(values, i)} is before the enrolment date {_iso(enrolled, i)}: dates in the "
            f"wrong order"
        )

    for name, values in dates.items():
        later = (values > stamp).fillna(False).to_numpy(dtype=bool)
        patients.flag(problems, name, later, after(values))
    for name in ("response_date", "toxicity_date"):
        values = dates[name]
        earlier = (values < enrolled).fillna(False).to_numpy(dtype=bool)
        patients.flag(problems, name, earlier, before(values))
    if "response" in patients:
        response = patients.column("response")
        response_text = response.to_numpy()
        undated = response.notna().to_numpy() & patients.empty("response_date")
        patients.flag(
            problems, "response_date", undated,
            lambda i: f"response {response_text[i]} has no date; give the date of the "
            f"assessment that established it",
        )  # fmt: skip
        dated_empty = patients.empty("response") & dates["response_date"].notna().to_numpy()
        patients.flag(
            problems, "response", dated_empty,
            lambda i: "a response date is given but the response is empty",
        )  # fmt: skip
    for endpoint in ("pfs", "os"):
        months, event = f"{endpoint}_months", f"{endpoint}_event"
        no_months, no_event = patients.empty(months), patients.empty(event)
        together = _constant(f"{endpoint}_months and {endpoint}_event go together")
        patients.flag(problems, event, ~no_months & no_event, together)
        patients.flag(problems, months, no_months & ~no_event, together)
    if "pfs_months" in patients and "os_months" in patients:
        pfs = patients.column("pfs_months").astype(float).to_numpy()
        os_ = patients.column("os_months").astype(float).to_numpy()
        with np.errstate(invalid="ignore"):
            longer = np.nan_to_num(pfs, nan=-np.inf) > np.nan_to_num(os_, nan=np.inf) + 1e-9
        patients.flag(
            problems, "pfs_months", longer,
            lambda i: f"PFS ({pfs[i]:g} months) is longer than OS ({os_[i]:g} months)",
        )  # fmt: skip


def _constant(message: str) -> Callable[[int], str]:
    return lambda i: message


def _iso(values: pd.Series, i: int) -> str:
    return str(values.iloc[i].date().isoformat())


def _dates(patients: PatientColumns, name: str) -> pd.Series:
    if name not in patients:
        return pd.Series(pd.NaT, index=range(patients.count), dtype=DATE_UNIT)
    return pd.to_datetime(patients.column(name).reset_index(drop=True)).astype(DATE_UNIT)
