"""CDISC ADaM datasets as trial data systems export them (CSV or SAS transport) (internal).

* **ADSL** (required): ``USUBJID``; the cohort from a named variable
  (``--cohort-var``, default ``COHORT``); the enrolment date from the first of
  ``TRTSDT``, ``RANDDT``, ``ENRLDT`` present.
* **ADRS** (required): records with ``PARAMCD = BOR`` (and ``ANL01FL = Y``
  when that flag exists); ``AVALC`` is the best overall response, ``ADT`` its
  date. A subject of ADSL without a BOR record is pending.
* **ADAE** (optional): treatment-emergent records (``TRTEMFL = Y`` when the
  flag exists); the worst ``ATOXGR`` (or ``AETOXGR``) per subject, dated by
  ``ASTDT``. A subject without a record had no toxicity recorded.
* **ADTTE** (optional): ``PARAMCD`` PFS and OS, ``AVAL`` in ``AVALU`` units
  (days when absent), ``CNSR`` = 1 censored, 0 event.

Dates are SAS date numbers (XPT) or text: ISO 8601 (``2026-03-14``) or
SAS DATE9 (``14MAR2026``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .checks import Record, finish, response_code, toxicity_grade
from .records import PatientData, Problem
from .tables import RawTable, cell_date, cell_number, cell_text, read

__all__ = ["read_adam"]

_ENROLMENT_DATES = ("TRTSDT", "RANDDT", "ENRLDT")
_DAYS_PER_MONTH = 365.25 / 12
_UNIT_MONTHS = {"DAYS": 1 / _DAYS_PER_MONTH, "WEEKS": 7 / _DAYS_PER_MONTH, "MONTHS": 1.0}
_UNIT_MONTHS |= {"YEARS": 12.0, "DAY": 1 / _DAYS_PER_MONTH, "MONTH": 1.0, "YEAR": 12.0}


class _Columns:
    """Upper-case variable lookup with problems for the missing ones."""

    def __init__(self, table: RawTable, problems: list[Problem]) -> None:
        self.table = table
        self.problems = problems
        self.names = {str(c).strip().upper(): str(c) for c in table.frame.columns}

    def need(self, *names: str) -> bool:
        missing = [n for n in names if n not in self.names]
        for name in missing:
            self.problems.append(
                Problem(self.table.name, None, name, f"the variable {name} is missing")
            )
        return not missing

    # A file's rows are read only when its variables are there and ADSL gave the
    # subjects (``rows``); its missing variables are listed either way.

    def has(self, name: str) -> bool:
        return name in self.names

    def rows(self) -> list[tuple[int, dict[str, Any]]]:
        """(row number, {UPPER NAME: cell}) for every row."""
        columns = [str(c).strip().upper() for c in self.table.frame.columns]
        return [
            (self.table.rows[i], dict(zip(columns, row, strict=True)))
            for i, row in enumerate(self.table.frame.itertuples(index=False))
        ]


def read_adam(
    adsl: str | Path,
    adrs: str | Path,
    *,
    adae: str | Path | None = None,
    adtte: str | Path | None = None,
    cohort_var: str = "COHORT",
    cohorts: Sequence[str],
    today: dt.date,
    as_of_given: bool,
) -> PatientData:
    """Read and validate ADSL + ADRS (+ ADAE, ADTTE) into the canonical patient table."""
    problems: list[Problem] = []
    tables = {"adsl": read(adsl, "adsl"), "adrs": read(adrs, "adrs")}
    if adae is not None:
        tables["adae"] = read(adae, "adae")
    if adtte is not None:
        tables["adtte"] = read(adtte, "adtte")
    sources = tuple(t.source for t in tables.values())
    cohort_var = cohort_var.strip().upper()
    subjects = _subjects(tables["adsl"], cohort_var, problems)
    # without usable subjects only the other files' variables are checked (their rows
    # would all be "not in ADSL")
    records = {} if subjects is None else subjects
    _responses(tables["adrs"], records, problems, rows=subjects is not None)
    if "adae" in tables:
        _toxicities(tables["adae"], records, problems, rows=subjects is not None)
    if "adtte" in tables:
        _survival(tables["adtte"], records, problems, rows=subjects is not None)
    return finish(
        list(records.values()),
        problems,
        cohorts=cohorts,
        today=today,
        as_of_given=as_of_given,
        sources=sources,
        data_format="adam",
        first_file=tables["adsl"].name,
    )


def _date(value: Any, table: RawTable) -> dt.date | None:
    text = cell_text(value)
    if len(text) == 9 and text[:2].isdigit() and text[5:].isdigit():
        try:
            return dt.datetime.strptime(text.title(), "%d%b%Y").date()
        except ValueError:
            pass
    return cell_date(value, sas_numeric=table.source.path.lower().endswith(".xpt"))


def _response(cell: Any) -> str | None:
    return response_code(cell_text(cell))


def _subjects(adsl: RawTable, cohort_var: str, problems: list[Problem]) -> dict[str, Record] | None:
    """ADSL's subjects by USUBJID; None when ADSL lacks a variable it needs."""
    cols = _Columns(adsl, problems)
    date_var = next((v for v in _ENROLMENT_DATES if cols.has(v)), None)
    ok = cols.need("USUBJID", cohort_var)
    if date_var is None:
        problems.append(
            Problem(adsl.name, None, None, "has no enrolment date: give TRTSDT, RANDDT or ENRLDT")
        )
    if not ok or date_var is None:
        return None
    records: dict[str, Record] = {}
    for line, row in cols.rows():
        record = Record()
        subject = cell_text(row["USUBJID"]) or None
        record.set("patient_id", subject, adsl.name, line, "USUBJID")
        record.set("cohort", cell_text(row[cohort_var]) or None, adsl.name, line, cohort_var)
        where = (adsl.name, line, date_var)
        record.read("enrolled", lambda v: _date(v, adsl), row[date_var], where, problems)
        key = subject or f"<row {line}>"
        if key in records:
            # keep both for the duplicate check
            key = f"{key}\0{line}"
        records[key] = record
    return records


def _subject_record(
    records: dict[str, Record], table: RawTable, line: int, subject: str, problems: list[Problem]
) -> Record | None:
    record = records.get(subject)
    if record is None:
        problems.append(Problem(table.name, line, "USUBJID", f"subject {subject!r} is not in ADSL"))
    return record


def _responses(
    adrs: RawTable, records: dict[str, Record], problems: list[Problem], *, rows: bool
) -> None:
    cols = _Columns(adrs, problems)
    if not (cols.need("USUBJID", "PARAMCD", "AVALC", "ADT") and rows):
        return
    first_bor: dict[str, int] = {}
    for line, row in cols.rows():
        if cell_text(row["PARAMCD"]).upper() != "BOR":
            continue
        if cols.has("ANL01FL") and cell_text(row["ANL01FL"]).upper() != "Y":
            continue
        subject = cell_text(row["USUBJID"])
        record = _subject_record(records, adrs, line, subject, problems)
        if record is None:
            continue
        if subject in first_bor:
            problems.append(
                Problem(
                    adrs.name,
                    line,
                    "PARAMCD",
                    f"subject {subject!r} has a second BOR record (first at row "
                    f"{first_bor[subject]}); keep one (or flag it with ANL01FL = Y)",
                )
            )
            continue
        first_bor[subject] = line
        where = (adrs.name, line, "AVALC")
        record.read("response", _response, row["AVALC"], where, problems)
        where = (adrs.name, line, "ADT")
        record.read("response_date", lambda v: _date(v, adrs), row["ADT"], where, problems)


def _toxicities(
    adae: RawTable, records: dict[str, Record], problems: list[Problem], *, rows: bool
) -> None:
    cols = _Columns(adae, problems)
    grade_var = "ATOXGR" if cols.has("ATOXGR") else "AETOXGR"
    if not (cols.need("USUBJID", grade_var) and rows):
        return
    for subject_record in records.values():  # no ADAE record: no toxicity recorded
        subject_record.set("toxicity_grade", 0, adae.name, None, grade_var)
    worst: dict[str, int] = {}
    for line, row in cols.rows():
        if cols.has("TRTEMFL") and cell_text(row["TRTEMFL"]).upper() != "Y":
            continue
        subject = cell_text(row["USUBJID"])
        record = _subject_record(records, adae, line, subject, problems)
        if record is None:
            continue
        text = cell_text(row[grade_var]).upper().removeprefix("GRADE").strip()
        try:
            grade = toxicity_grade(cell_number(text, what="a CTCAE grade 0-5"))
        except ValueError as error:
            problems.append(Problem(adae.name, line, grade_var, str(error)))
            continue
        if grade is None or grade <= worst.get(subject, -1):
            continue
        worst[subject] = grade
        record.set("toxicity_grade", grade, adae.name, line, grade_var)
        if cols.has("ASTDT"):
            where = (adae.name, line, "ASTDT")
            record.read("toxicity_date", lambda v: _date(v, adae), row["ASTDT"], where, problems)


def _survival(
    adtte: RawTable, records: dict[str, Record], problems: list[Problem], *, rows: bool
) -> None:
    cols = _Columns(adtte, problems)
    if not (cols.need("USUBJID", "PARAMCD", "AVAL", "CNSR") and rows):
        return
    for line, row in cols.rows():
        endpoint = cell_text(row["PARAMCD"]).upper()
        if endpoint not in ("PFS", "OS"):
            continue
        subject = cell_text(row["USUBJID"])
        record = _subject_record(records, adtte, line, subject, problems)
        if record is None:
            continue
        unit = cell_text(row["AVALU"]).upper() if cols.has("AVALU") else "DAYS"
        factor = _UNIT_MONTHS.get(unit or "DAYS")
        if factor is None:
            problems.append(
                Problem(adtte.name, line, "AVALU", f"unknown unit {unit!r} (days, weeks, months)")
            )
            continue
        try:
            value = cell_number(row["AVAL"], what="a time")
        except ValueError as error:
            problems.append(Problem(adtte.name, line, "AVAL", str(error)))
            continue
        try:
            censored = cell_number(row["CNSR"], what="0 (event) or 1 (censored)")
        except ValueError as error:
            problems.append(Problem(adtte.name, line, "CNSR", str(error)))
            continue
        if value is None or value < 0:
            problems.append(Problem(adtte.name, line, "AVAL", "must be a time >= 0"))
            continue
        if censored not in (0.0, 1.0):
            problems.append(Problem(adtte.name, line, "CNSR", "must be 0 (event) or 1 (censored)"))
            continue
        name = endpoint.lower()
        record.set(f"{name}_months", value * factor, adtte.name, line, "AVAL")
        record.set(f"{name}_event", censored == 0.0, adtte.name, line, "CNSR")
