"""CDISC ADaM datasets as trial data systems export them (CSV or SAS transport) (internal).

* **ADSL** (required): ``USUBJID``; the cohort from a named variable
  (``--cohort-var``, default ``COHORT``); the enrolment date from the first of
  ``TRTSDT``, ``RANDDT``, ``ENRLDT`` present.
* **ADRS** (required): records with ``PARAMCD = BOR`` (and ``ANL01FL = Y``
  when that flag exists); ``AVALC`` is the best overall response, ``ADT`` its
  date. A file without any such record is refused (it is not what is read,
  e.g. only visit-level responses); a subject of ADSL without one is pending,
  and the call says how many there are per cohort. Records with ``PARAMCD =
  CBOR`` (the confirmed best overall response), when there are any, give the
  confirmation: a CR/PR is confirmed when its CBOR is CR or PR, and a subject
  without a CBOR record has no confirmed response (the ``confirmed`` column of
  the minimal file).
* **ADAE** (optional): treatment-emergent records (``TRTEMFL = Y`` when the
  flag exists); the worst ``ATOXGR`` (or ``AETOXGR``) per subject, dated by
  ``ASTDT``. A subject without a record had no toxicity recorded.
* **ADTTE** (optional): ``PARAMCD`` PFS and OS, ``AVAL`` in ``AVALU`` units
  (days when absent), ``CNSR`` = 1 censored, 0 event; one record per subject
  and endpoint. A file with neither is refused.

Dates are SAS date numbers (XPT) or text: ISO 8601 (``2026-03-14``) or
SAS DATE9 (``14MAR2026``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from . import cells
from .checks import PatientColumns, Problems, finish
from .records import PatientData
from .tables import RawTable, read

__all__ = ["read_adam"]

_ENROLMENT_DATES = ("TRTSDT", "RANDDT", "ENRLDT")
_DAYS_PER_MONTH = 365.25 / 12
_UNIT_MONTHS = {"DAYS": 1 / _DAYS_PER_MONTH, "WEEKS": 7 / _DAYS_PER_MONTH, "MONTHS": 1.0}
_UNIT_MONTHS |= {"YEARS": 12.0, "DAY": 1 / _DAYS_PER_MONTH, "MONTH": 1.0, "YEAR": 12.0}
_KNOWN = (
    "USUBJID", *_ENROLMENT_DATES, "PARAMCD", "AVALC", "AVAL", "AVALU", "ADT", "ANL01FL",
    "ATOXGR", "AETOXGR", "TRTEMFL", "ASTDT", "CNSR",
)  # fmt: skip


class _Variables:
    """One ADaM file's variables by upper-case name; a problem for each one missing."""

    def __init__(self, table: RawTable, problems: Problems) -> None:
        self.table = table
        self.problems = problems
        self.names = table.lookup(upper=True)

    def need(self, *names: str) -> bool:
        missing = [n for n in names if n not in self.names]
        for name in missing:
            self.problems.add(self.table.name, None, name, f"the variable {name} is missing")
        return not missing

    def has(self, name: str) -> bool:
        return name in self.names

    def text(self, name: str, keep: np.ndarray | None = None) -> np.ndarray:
        column = self.table.columns[self.names[name]]
        return column if keep is None else column[keep]

    def upper(self, name: str) -> np.ndarray:
        return np.strings.upper(self.table.columns[self.names[name]])

    def dates(self, name: str, keep: np.ndarray) -> cells.Parsed:
        return cells.dates(self.text(name, keep), sas_numeric=self.table.sas_dates, date9=True)


class _Subjects:
    """ADSL's subjects: the patient of each USUBJID (its first row in ADSL)."""

    def __init__(self, patients: PatientColumns, adsl: str) -> None:
        self.patients = patients
        self.adsl = adsl
        ids = patients.column("patient_id")
        first = ids.notna().to_numpy() & ~ids.duplicated(keep="first").to_numpy()
        self.index = pd.Series(np.flatnonzero(first), index=ids.to_numpy()[first])

    def rows_of(
        self, table: RawTable, keep: np.ndarray, variables: _Variables, problems: Problems
    ) -> tuple[np.ndarray, np.ndarray]:
        """(patient of each kept row or -1, source rows): rows of unknown subjects flagged."""
        subjects = variables.text("USUBJID", keep).astype(object)
        rows = table.rows[keep]
        at = pd.Series(subjects).map(self.index).to_numpy(dtype=float, na_value=np.nan)
        unknown = np.isnan(at)
        problems.flag(
            unknown, table.name, "USUBJID", rows,
            lambda i: f"subject {subjects[i]!r} is not in ADSL",
        )  # fmt: skip
        return np.where(unknown, -1, at).astype(np.int64), rows

    def once(
        self,
        at: np.ndarray,
        rows: np.ndarray,
        subjects: np.ndarray,
        what: str,
        table: RawTable,
        problems: Problems,
        hint: str = "keep one",
    ) -> np.ndarray:
        """Rows of known subjects, first record each; a second record of a subject is flagged."""
        known = at >= 0
        second = known & pd.Series(at).duplicated(keep="first").to_numpy()
        if second.any():
            first_row = pd.Series(rows).groupby(at).transform("first").to_numpy()
            problems.flag(
                second, table.name, "PARAMCD", rows,
                lambda i: f"subject {subjects[i]!r} has a second {what} record (first at row "
                f"{first_row[i]}); {hint}",
            )  # fmt: skip
        return known & ~second


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
    cohort_var = cohort_var.strip().upper()
    known = (*_KNOWN, cohort_var)
    tables = {"adsl": read(adsl, "adsl", known=known), "adrs": read(adrs, "adrs", known=known)}
    if adae is not None:
        tables["adae"] = read(adae, "adae", known=known)
    if adtte is not None:
        tables["adtte"] = read(adtte, "adtte", known=known)
    problems = Problems()
    patients = _read_subjects(tables["adsl"], cohort_var, problems)
    # without usable subjects only the other files' variables are checked (their rows
    # would all be "not in ADSL")
    subjects = None if patients is None else _Subjects(patients, tables["adsl"].name)
    notes = _responses(tables["adrs"], subjects, problems, cohorts)
    if "adae" in tables:
        _toxicities(tables["adae"], subjects, problems)
    if "adtte" in tables:
        _survival(tables["adtte"], subjects, problems)
    return finish(
        patients if patients is not None else PatientColumns(0),
        problems,
        cohorts=cohorts,
        today=today,
        as_of_given=as_of_given,
        sources=tuple(t.source for t in tables.values()),
        data_format="adam",
        first_file=tables["adsl"].name,
        notes=notes,
    )


def _read_subjects(adsl: RawTable, cohort_var: str, problems: Problems) -> PatientColumns | None:
    """ADSL's subjects, one patient per row; None when ADSL lacks a variable it needs."""
    variables = _Variables(adsl, problems)
    date_var = next((v for v in _ENROLMENT_DATES if variables.has(v)), None)
    ok = variables.need("USUBJID", cohort_var)
    if date_var is None:
        problems.add(adsl.name, None, None, "has no enrolment date: give TRTSDT, RANDDT or ENRLDT")
    if not ok or date_var is None:
        return None
    if not len(adsl):
        problems.add(adsl.name, None, None, "has a header but no subjects")
        return None
    patients = PatientColumns(len(adsl))
    for name, variable in (
        ("patient_id", "USUBJID"),
        ("cohort", cohort_var),
        ("enrolled", date_var),
    ):
        text = variables.text(variable)
        parsed = (
            cells.dates(text, sas_numeric=adsl.sas_dates, date9=True)
            if name == "enrolled"
            else cells.texts(text)
        )
        patients.parsed(
            name, parsed, text, file=adsl.name, column=variables.names[variable],
            rows=adsl.rows, problems=problems,
        )  # fmt: skip
    return patients


def _responses(
    adrs: RawTable, subjects: _Subjects | None, problems: Problems, cohorts: Sequence[str]
) -> tuple[str, ...]:
    """Each subject's best overall response (BOR record); notes on subjects without one."""
    variables = _Variables(adrs, problems)
    if not (variables.need("USUBJID", "PARAMCD", "AVALC", "ADT") and subjects is not None):
        return ()
    keep = variables.upper("PARAMCD") == "BOR"
    flagged = variables.has("ANL01FL")
    if flagged:
        keep &= variables.upper("ANL01FL") == "Y"
    if not keep.any():
        found = sorted({str(v) for v in np.unique(variables.upper("PARAMCD")) if v})
        shown = ", ".join(found[:8]) + (", ..." if len(found) > 8 else "") or "none"
        condition = "PARAMCD = BOR" + (" and ANL01FL = Y" if flagged else "")
        problems.add(
            adrs.name, None, "PARAMCD",
            f"has no best overall response records ({condition}); its PARAMCD values are "
            f"{shown}. The call reads each subject's BOR record: derive it first",
        )  # fmt: skip
        return ()
    at, rows = subjects.rows_of(adrs, keep, variables, problems)
    subject_ids = variables.text("USUBJID", keep).astype(object)
    hint = "keep one (or flag it with ANL01FL = Y)"
    use = subjects.once(at, rows, subject_ids, "BOR", adrs, problems, hint)
    patients = subjects.patients
    for name, variable, parsed in (
        ("response", "AVALC", cells.responses(variables.text("AVALC", keep))),
        ("response_date", "ADT", variables.dates("ADT", keep)),
    ):
        text = variables.text(variable, keep)
        patients.parsed(
            name, parsed.subset(use), text[use],
            file=adrs.name, column=variables.names[variable], rows=rows[use],
            problems=problems, at=at[use],
        )  # fmt: skip
    # bad cells of rows not used (unknown subjects, second records) are not repeated
    has_record = np.zeros(patients.count, dtype=bool)
    has_record[at[use]] = True
    _confirmations(adrs, subjects, variables, problems, flagged)
    return _pending_notes(subjects, has_record, adrs.name, cohorts)


def _confirmations(
    adrs: RawTable, subjects: _Subjects, variables: _Variables, problems: Problems, flagged: bool
) -> None:
    """Confirmed responses from ``PARAMCD = CBOR`` records (the confirmed best overall
    response, when the ADRS derives one): a CR/PR whose CBOR is CR or PR is confirmed; a
    subject without a CBOR record has none confirmed. Without any CBOR record the
    confirmation is not given (every CR/PR counts as it stands)."""
    keep = variables.upper("PARAMCD") == "CBOR"
    if flagged:
        keep &= variables.upper("ANL01FL") == "Y"
    if not keep.any():
        return
    at, rows = subjects.rows_of(adrs, keep, variables, problems)
    subject_ids = variables.text("USUBJID", keep).astype(object)
    use = subjects.once(at, rows, subject_ids, "CBOR", adrs, problems,
                        "keep one (or flag it with ANL01FL = Y)")  # fmt: skip
    text = variables.text("AVALC", keep)
    read = cells.responses(text)
    confirmed = pd.Series(pd.array(read.typed.isin(["CR", "PR"]).to_numpy(), dtype="boolean"))
    parsed = cells.Parsed(confirmed, read.bad, read.why)
    patients = subjects.patients
    patients.parsed(
        "confirmed", parsed.subset(use), text[use], file=adrs.name,
        column=variables.names["AVALC"], rows=rows[use], problems=problems, at=at[use],
        base=pd.Series(pd.array([False] * patients.count, dtype="boolean")),
    )  # fmt: skip


def _pending_notes(
    subjects: _Subjects, has_record: np.ndarray, adrs: str, cohorts: Sequence[str]
) -> tuple[str, ...]:
    patients = subjects.patients
    first = np.zeros(patients.count, dtype=bool)
    first[subjects.index.to_numpy()] = True
    cohort = patients.column("cohort").to_numpy()
    notes = []
    for name in cohorts:
        mine = first & (cohort == name)
        lacking = int((mine & ~has_record).sum())
        if lacking:
            notes.append(
                f"{name}: {lacking} of {int(mine.sum())} subject(s) in {subjects.adsl} have no "
                f"BOR record in {adrs}; they count as pending (not evaluable yet)"
            )
    return tuple(notes)


def _toxicities(adae: RawTable, subjects: _Subjects | None, problems: Problems) -> None:
    """Each subject's worst treatment-emergent grade (and its date); no record: grade 0."""
    variables = _Variables(adae, problems)
    grade_var = "ATOXGR" if variables.has("ATOXGR") else "AETOXGR"
    if not (variables.need("USUBJID", grade_var) and subjects is not None):
        return
    patients = subjects.patients
    keep = np.ones(len(adae), dtype=bool)
    if variables.has("TRTEMFL"):
        keep = variables.upper("TRTEMFL") == "Y"
    at, rows = subjects.rows_of(adae, keep, variables, problems)
    known = at >= 0
    text = variables.text(grade_var, keep)
    grades = cells.grades(text)
    problems.flag(
        grades.bad & known, adae.name, variables.names[grade_var], rows,
        lambda i: grades.why(str(text[i])),
    )  # fmt: skip
    graded = known & grades.typed.notna().to_numpy()
    values = grades.typed.to_numpy(dtype=float, na_value=np.nan)
    # the worst grade of each subject, its first record on ties
    order = np.lexsort((rows, -np.nan_to_num(values, nan=-1), at))
    order = order[graded[order]]
    worst = order[~pd.Series(at[order]).duplicated(keep="first").to_numpy()]
    chosen = np.zeros(len(at), dtype=bool)
    chosen[worst] = True
    patients.constant("toxicity_grade", 0, file=adae.name, column=variables.names[grade_var])
    patients.parsed(
        "toxicity_grade", grades.subset(chosen), text[chosen],
        file=adae.name, column=variables.names[grade_var], rows=rows[chosen],
        problems=Problems(), at=at[chosen], base=patients.column("toxicity_grade"),
    )  # fmt: skip
    if variables.has("ASTDT"):
        parsed = variables.dates("ASTDT", keep)
        date_text = variables.text("ASTDT", keep)
        problems.flag(
            parsed.bad & known, adae.name, variables.names["ASTDT"], rows,
            lambda i: parsed.why(str(date_text[i])),
        )  # fmt: skip
        patients.parsed(
            "toxicity_date", parsed.subset(chosen), date_text[chosen],
            file=adae.name, column=variables.names["ASTDT"], rows=rows[chosen],
            problems=Problems(), at=at[chosen],
        )  # fmt: skip


def _survival(adtte: RawTable, subjects: _Subjects | None, problems: Problems) -> None:
    """PFS and OS per subject: months (from AVAL in AVALU units) and event (CNSR = 0)."""
    variables = _Variables(adtte, problems)
    if not (variables.need("USUBJID", "PARAMCD", "AVAL", "CNSR") and subjects is not None):
        return
    endpoint = variables.upper("PARAMCD")
    keep = np.isin(endpoint, ["PFS", "OS"])
    if not keep.any():
        found = sorted({str(v) for v in np.unique(endpoint) if v})
        shown = ", ".join(found[:8]) + (", ..." if len(found) > 8 else "") or "none"
        problems.add(
            adtte.name, None, "PARAMCD",
            f"has no PFS or OS records (PARAMCD = PFS or OS); its PARAMCD values are {shown}",
        )  # fmt: skip
        return
    at, rows = subjects.rows_of(adtte, keep, variables, problems)
    endpoint = endpoint[keep]
    unit = (
        variables.upper("AVALU")[keep].astype(object)
        if variables.has("AVALU")
        else np.full(len(at), "", dtype=object)
    )
    unit = np.where(unit == "", "DAYS", unit)
    factor = pd.Series(unit).map(_UNIT_MONTHS).to_numpy(dtype=float, na_value=np.nan)
    aval = cells.numbers(variables.text("AVAL", keep), what="a time")
    cnsr = cells.numbers(variables.text("CNSR", keep), what="0 (event) or 1 (censored)")
    value = aval.typed.to_numpy(dtype=float, na_value=np.nan)
    censored = cnsr.typed.to_numpy(dtype=float, na_value=np.nan)
    known = at >= 0
    bad_unit = known & np.isnan(factor)
    bad_aval = known & ~bad_unit & aval.bad
    bad_cnsr = known & ~bad_unit & ~bad_aval & cnsr.bad
    fine = known & ~bad_unit & ~bad_aval & ~bad_cnsr
    negative = fine & ~(value >= 0)
    outside = fine & ~negative & ~np.isin(censored, [0.0, 1.0])
    aval_text = variables.text("AVAL", keep)
    cnsr_text = variables.text("CNSR", keep)
    name = variables.names.get
    for mask, column, message in (
        (bad_unit, "AVALU", lambda i: f"unknown unit {unit[i]!r} (days, weeks, months)"),
        (bad_aval, "AVAL", lambda i: aval.why(str(aval_text[i]))),
        (bad_cnsr, "CNSR", lambda i: cnsr.why(str(cnsr_text[i]))),
        (negative, "AVAL", lambda i: "must be a time >= 0"),
        (outside, "CNSR", lambda i: "must be 0 (event) or 1 (censored)"),
    ):
        problems.flag(mask, adtte.name, name(column, column), rows, message)
    valid = fine & ~negative & ~outside
    subject_ids = variables.text("USUBJID", keep).astype(object)
    for kind in ("PFS", "OS"):
        mine = valid & (endpoint == kind)
        mine_at = np.where(mine, at, -1)
        use = subjects.once(mine_at, rows, subject_ids, kind, adtte, problems)
        months = pd.Series(value[use] * factor[use], dtype=float)
        event = pd.Series(pd.array(censored[use] == 0.0, dtype="boolean"))
        empty = np.zeros(int(use.sum()), dtype=bool)
        for suffix, values, column in (("months", months, "AVAL"), ("event", event, "CNSR")):
            subjects.patients.parsed(
                f"{kind.lower()}_{suffix}", cells.Parsed(values, empty, str),
                np.full(len(values), ""), file=adtte.name, column=name(column, column),
                rows=rows[use], problems=problems, at=at[use],
            )  # fmt: skip
