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
from collections.abc import Sequence
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
            raw = cells[column]
            try:
                record.set(name, _parse(name, raw), table.name, line, column)
            except ValueError as error:
                problems.append(Problem(table.name, line, column, str(error)))
                record.fail(name, table.name, line, column)
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


def _parse(name: str, raw: object) -> object:
    if name in ("patient_id", "cohort"):
        return cell_text(raw) or None
    if name in ("enrolled", "response_date", "toxicity_date"):
        return cell_date(raw)
    if name == "response":
        return response_code(cell_text(raw))
    if name == "toxicity_grade":
        return toxicity_grade(cell_number(raw, what="a CTCAE grade 0-5"))
    if name == "dlt":
        return cell_bool(raw, what="a DLT answer")
    if name in ("pfs_event", "os_event"):
        return cell_bool(raw, what="an event indicator")
    number = cell_number(raw, what="a number of months")
    if number is not None and number < 0:
        raise ValueError(f"{number:g} months is negative")
    return number
