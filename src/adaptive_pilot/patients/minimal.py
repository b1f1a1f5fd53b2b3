"""The minimal patient file: CSV or XLSX, one row per patient (internal).

Columns (header names are case-insensitive; other columns are ignored):

=================  ========  ==============================================
column             required  content
=================  ========  ==============================================
patient_id         yes       unique identifier
cohort             yes       a cohort name of the design
enrolled           yes       enrolment date, YYYY-MM-DD
response           yes       RECIST 1.1 best overall response, empty = pending
response_date      yes       date of the assessment that set the response
toxicity_grade     no        worst CTCAE grade 0-5 (empty = none recorded)
dlt                no        yes / no (empty = not yet assessed)
toxicity_date      no        date of the worst toxicity event
pfs_months         no        PFS time in months, with ``pfs_event`` (1/0)
os_months          no        OS time in months, with ``os_event`` (1/0)
=================  ========  ==============================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from .checks import Record, finish, response_code, toxicity_grade
from .records import COLUMNS, DataError, PatientData, Problem
from .tables import cell_bool, cell_date, cell_number, cell_text, read

__all__ = ["OPTIONAL", "REQUIRED", "read_minimal"]

REQUIRED = ("patient_id", "cohort", "enrolled", "response", "response_date")
OPTIONAL = tuple(name for name in COLUMNS if name not in REQUIRED)


def read_minimal(
    path: str | Path, *, cohorts: Sequence[str], today: dt.date, as_of_given: bool
) -> PatientData:
    """Read and validate the minimal one-row-per-patient file (CSV or XLSX)."""
    table = read(path, "data")
    lookup = table.column_lookup()
    problems = [
        Problem(table.name, None, name, f"the column {name} is missing")
        for name in REQUIRED
        if name not in lookup
    ]
    if problems:
        present = ", ".join(str(c) for c in table.frame.columns) or "none"
        problems.append(Problem(table.name, 1, None, f"the header has: {present}"))
        raise DataError(problems)
    records = []
    for i, row in enumerate(table.frame.itertuples(index=False)):
        cells = dict(zip(table.frame.columns, row, strict=True))
        record = Record()
        line = table.rows[i]
        for name in (*REQUIRED, *OPTIONAL):
            if name not in lookup:
                continue
            column = lookup[name]
            where = (table.name, line, column)
            record.read(name, PARSERS[name], cells[column], where, problems)
        records.append(record)
    return finish(
        records,
        problems,
        cohorts=cohorts,
        today=today,
        as_of_given=as_of_given,
        sources=(table.source,),
        data_format="minimal",
        first_file=table.name,
    )


def _months(raw: object) -> float | None:
    number = cell_number(raw, what="a number of months")
    if number is not None and number < 0:
        raise ValueError(f"{number:g} months is negative")
    return number


#: How each column's cell is read (a ValueError names what is allowed).
PARSERS: dict[str, Callable[[object], object]] = {
    "patient_id": lambda raw: cell_text(raw) or None,
    "cohort": lambda raw: cell_text(raw) or None,
    "enrolled": cell_date,
    "response_date": cell_date,
    "toxicity_date": cell_date,
    "response": lambda raw: response_code(cell_text(raw)),
    "toxicity_grade": lambda raw: toxicity_grade(cell_number(raw, what="a CTCAE grade 0-5")),
    "dlt": lambda raw: cell_bool(raw, what="a DLT answer"),
    "pfs_event": lambda raw: cell_bool(raw, what="an event indicator"),
    "os_event": lambda raw: cell_bool(raw, what="an event indicator"),
    "pfs_months": _months,
    "os_months": _months,
}
