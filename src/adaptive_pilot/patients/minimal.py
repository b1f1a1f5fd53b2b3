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
confirmed          no        CR/PR confirmed by a later assessment: yes / no
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

import numpy as np

from . import cells
from .checks import PatientColumns, Problems, finish
from .records import COLUMNS, DataError, PatientData, Problem
from .tables import read

__all__ = ["OPTIONAL", "REQUIRED", "read_minimal"]

REQUIRED = ("patient_id", "cohort", "enrolled", "response", "response_date")
OPTIONAL = tuple(name for name in COLUMNS if name not in REQUIRED)


def read_minimal(
    path: str | Path, *, cohorts: Sequence[str], today: dt.date, as_of_given: bool
) -> PatientData:
    """Read and validate the minimal one-row-per-patient file (CSV or XLSX)."""
    table = read(path, "data", known=COLUMNS)
    lookup = table.lookup()
    missing = [
        Problem(table.name, None, name, f"the column {name} is missing")
        for name in REQUIRED
        if name not in lookup
    ]
    if missing:
        present = ", ".join(table.columns) or "none"
        missing.append(Problem(table.name, 1, None, f"the header has: {present}"))
        raise DataError(missing)
    if not len(table):
        raise DataError([Problem(table.name, None, None, "has a header but no patient rows")])
    patients = PatientColumns(len(table))
    problems = Problems()
    for name in (*REQUIRED, *OPTIONAL):
        if name not in lookup:
            continue
        column = lookup[name]
        text = table.columns[column]
        patients.parsed(
            name, PARSERS[name](text), text,
            file=table.name, column=column, rows=table.rows, problems=problems,
        )  # fmt: skip
    return finish(
        patients,
        problems,
        cohorts=cohorts,
        today=today,
        as_of_given=as_of_given,
        sources=(table.source,),
        data_format="minimal",
        first_file=table.name,
    )


def _months(text: np.ndarray) -> cells.Parsed:
    return cells.numbers(text, what="a number of months >= 0", minimum=0.0)


def _event(text: np.ndarray) -> cells.Parsed:
    return cells.booleans(text, what="an event indicator")


#: How each column is read (each wrong cell's problem names what is allowed).
PARSERS: dict[str, Callable[[np.ndarray], cells.Parsed]] = {
    "patient_id": cells.texts,
    "cohort": cells.texts,
    "enrolled": cells.dates,
    "response_date": cells.dates,
    "toxicity_date": cells.dates,
    "response": cells.responses,
    "toxicity_grade": cells.grades,
    "dlt": lambda text: cells.booleans(text, what="a DLT answer"),
    "confirmed": lambda text: cells.booleans(text, what="a confirmation answer"),
    "pfs_event": _event,
    "os_event": _event,
    "pfs_months": _months,
    "os_months": _months,
}
