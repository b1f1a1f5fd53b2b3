"""Checks shared by every input format: one record per patient, then the table (internal).

A reader turns its rows into :class:`Record` objects (typed values plus where
each came from) and collects the problems of single cells; :func:`finish`
adds the checks that involve several cells or rows (duplicated patients,
unknown cohorts, dates in the wrong order or after the cut-off, a response
without a date) and either raises one :class:`DataError` with every problem
or returns the canonical :class:`PatientData`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .records import COLUMNS, RESPONSE_CODES, DataError, PatientData, Problem, SourceFile

__all__ = ["Record", "finish", "response_code", "toxicity_grade"]

_ALIASES = {"NON-CR/NON-PD": ("NON-CR/NON-PD", "NON CR/NON PD", "NONCR/NONPD", "NON-CR / NON-PD")}


@dataclass
class Record:
    """One patient as read: values by canonical column, and where each came from."""

    cells: dict[str, Any] = field(default_factory=dict)
    where: dict[str, tuple[str, int | None, str]] = field(default_factory=dict)
    failed: set[str] = field(default_factory=set)

    def set(self, name: str, value: Any, file: str, row: int | None, column: str) -> None:
        self.cells[name] = value
        self.where[name] = (file, row, column)

    def read(
        self,
        name: str,
        parse: Callable[[Any], Any],
        cell: Any,
        where: tuple[str, int | None, str],
        problems: list[Problem],
    ) -> None:
        """Set ``name`` to ``parse(cell)``.

        A ValueError becomes a problem at ``where`` (file, row, column) and marks
        the cell as failed, so that no later check repeats it.
        """
        try:
            self.set(name, parse(cell), *where)
        except ValueError as error:
            problems.append(Problem(*where, str(error)))
            self.set(name, None, *where)
            self.failed.add(name)

    def empty(self, name: str) -> bool:
        """The cell was read and is empty (not a cell that failed to parse)."""
        return self.cells.get(name) is None and name not in self.failed

    def problem(self, name: str, message: str) -> Problem:
        file, row, column = self.where.get(name) or self.where["patient_id"]
        return Problem(file, row, column, message)


def response_code(text: str) -> str | None:
    """Normalise a best overall response; raises ValueError naming the allowed codes."""
    code = " ".join(text.upper().split())
    if not code:
        return None
    for canonical, aliases in _ALIASES.items():
        if code in aliases:
            return canonical
    if code in RESPONSE_CODES:
        return code
    raise ValueError(
        f"{text!r} is not a RECIST 1.1 best overall response "
        f"(allowed: {', '.join(RESPONSE_CODES)}, or empty while pending)"
    )


def toxicity_grade(value: float | None) -> int | None:
    """A CTCAE grade 0-5 (None when empty); raises ValueError otherwise."""
    if value is None:
        return None
    if value != int(value) or not 0 <= value <= 5:
        shown = int(value) if value == int(value) else value
        raise ValueError(f"grade {shown} is outside the CTCAE grades 0-5")
    return int(value)


def finish(
    records: Sequence[Record],
    problems: list[Problem],
    *,
    cohorts: Sequence[str],
    today: dt.date,
    as_of_given: bool,
    sources: Sequence[SourceFile],
    data_format: str,
    first_file: str,
) -> PatientData:
    """Cross-row and cross-field checks, then the canonical table (or one DataError).

    Dates after ``today`` are errors. Without ``--as-of`` today is the data
    cut-off; with it, later-dated outcomes are excluded when the data are cut
    (:meth:`PatientData.at`), not reported as errors.
    """
    seen: dict[str, Record] = {}
    known = set(cohorts)
    limit = f"today, {today}" if as_of_given else f"the data cut-off, today {today}"
    for record in records:
        v = record.cells
        pid = v.get("patient_id")
        if not pid:
            problems.append(record.problem("patient_id", "patient_id is empty"))
        elif pid in seen:
            first = seen[pid].where["patient_id"]
            problems.append(
                record.problem(
                    "patient_id",
                    f"patient {pid!r} appears twice (first at row {first[1]}); "
                    f"give one row per patient",
                )
            )
        else:
            seen[pid] = record
        cohort = v.get("cohort")
        if not cohort:
            problems.append(record.problem("cohort", "cohort is empty"))
        elif cohort not in known:
            problems.append(
                record.problem(
                    "cohort",
                    f"unknown cohort {cohort!r} (the design has {', '.join(cohorts)})",
                )
            )
        enrolled = v.get("enrolled")
        if record.empty("enrolled") and "enrolled" in record.where:
            problems.append(record.problem("enrolled", "the enrolment date is empty"))
        for name in ("enrolled", "response_date", "toxicity_date"):
            date = v.get(name)
            if date is not None and date > today:
                problems.append(record.problem(name, f"{date.isoformat()} is after {limit}"))
        for name in ("response_date", "toxicity_date"):
            date = v.get(name)
            if date is not None and enrolled is not None and date < enrolled:
                problems.append(
                    record.problem(
                        name,
                        f"{date.isoformat()} is before the enrolment date "
                        f"{enrolled.isoformat()}: dates in the wrong order",
                    )
                )
        if v.get("response") is not None and record.empty("response_date"):
            problems.append(
                record.problem(
                    "response_date",
                    f"response {v['response']} has no date; give the date of the assessment "
                    f"that established it",
                )
            )
        if record.empty("response") and v.get("response_date") is not None:
            problems.append(
                record.problem("response", "a response date is given but the response is empty")
            )
        for endpoint in ("pfs", "os"):
            if record.empty(f"{endpoint}_months") != record.empty(f"{endpoint}_event"):
                no_event = record.empty(f"{endpoint}_event")
                missing = f"{endpoint}_event" if no_event else f"{endpoint}_months"
                problems.append(
                    record.problem(missing, f"{endpoint}_months and {endpoint}_event go together")
                )
        pfs, os_ = v.get("pfs_months"), v.get("os_months")
        if pfs is not None and os_ is not None and pfs > os_ + 1e-9:
            problems.append(
                record.problem(
                    "pfs_months",
                    f"PFS ({pfs:g} months) is longer than OS ({os_:g} months)",
                )
            )
    if not records and not problems:
        problems.append(Problem(first_file, None, None, "has no patient rows"))
    if problems:
        raise DataError(sorted(problems, key=lambda p: (p.file != first_file, p.file, p.row or 0)))
    frame = pd.DataFrame([{c: r.cells.get(c) for c in COLUMNS} for r in records])
    for name in ("enrolled", "response_date", "toxicity_date"):
        frame[name] = pd.to_datetime(frame[name])
    frame = frame.astype(
        {
            "toxicity_grade": "Int64",
            "dlt": "boolean",
            "pfs_event": "boolean",
            "os_event": "boolean",
            "pfs_months": "Float64",
            "os_months": "Float64",
            "patient_id": "string",
            "cohort": "string",
            "response": "string",
        }
    )
    provided = frozenset(name for record in records for name in record.where)
    return PatientData(frame, tuple(sources), data_format, provided)
