"""CDISC ADaM input (CSV and SAS transport) gives the same call as the minimal patient file.

The ADaM datasets are built from the shipped synthetic patient file, with what
real exports carry and the reader must skip: visit-level responses next to the
BOR record, a superseded BOR record without ANL01FL, lower-grade and
non-treatment-emergent adverse events, survival times in days. The XPT files
are written by ReadStat (pyreadstat, a test-only dependency) in SAS transport
version 5, the format submissions use, with dates as SAS date numbers.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import adaptive_pilot as ap
from adaptive_pilot.interim import interim_analysis
from adaptive_pilot.patients import DataError, read_adam, read_patients
from adaptive_pilot.patients.counts import cohort_counts
from test_interim import DESIGN, PATIENTS, TODAY

pyreadstat = pytest.importorskip("pyreadstat")

COHORTS = ("G12D", "G12V", "G12C", "other")
AS_OF = dt.date(2026, 6, 30)
SAS_EPOCH = pd.Timestamp("1960-01-01")
DAYS_PER_MONTH = 365.25 / 12


def _minimal() -> pd.DataFrame:
    return read_patients(PATIENTS, cohorts=COHORTS, today=TODAY, as_of_given=True).frame


def adam_frames(minimal: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """ADSL, ADRS, ADAE and ADTTE holding the minimal file's patients (dates as Timestamps)."""
    adsl = pd.DataFrame(
        {
            "STUDYID": "AP-PILOT",
            "USUBJID": minimal["patient_id"],
            "KRASSUB": minimal["cohort"],
            "AGE": 60.0,
            "TRTSDT": minimal["enrolled"],
        }
    )
    adrs, adae, adtte = [], [], []
    for i, row in enumerate(minimal.itertuples()):
        subject = row.patient_id
        if pd.notna(row.response):
            visit = row.enrolled + pd.Timedelta(days=42)
            adrs.append((subject, "OVRLRESP", "Overall response", "PD", visit, "Y"))
            if i % 4 == 0:  # a superseded BOR record, not flagged for analysis
                adrs.append((subject, "BOR", "Best overall response", "CR", visit, ""))
            adrs.append(
                (subject, "BOR", "Best overall response", row.response, row.response_date, "Y")
            )
        grade = row.toxicity_grade
        if pd.notna(grade) and grade > 0:
            start = row.enrolled + pd.Timedelta(days=10)
            adae.append((subject, "Fatigue", str(grade), "Y", start))
            adae.append((subject, "Nausea", "1", "Y", start + pd.Timedelta(days=3)))
            adae.append((subject, "Anaemia", "5", "N", row.enrolled - pd.Timedelta(days=5)))
        for name in ("pfs", "os"):
            months = getattr(row, f"{name}_months")
            if pd.notna(months):
                event = getattr(row, f"{name}_event")
                adtte.append((subject, name.upper(), months * DAYS_PER_MONTH, "DAYS", 1 - event))
    return {
        "adsl": adsl,
        "adrs": pd.DataFrame(
            adrs, columns=["USUBJID", "PARAMCD", "PARAM", "AVALC", "ADT", "ANL01FL"]
        ),
        "adae": pd.DataFrame(adae, columns=["USUBJID", "AEDECOD", "ATOXGR", "TRTEMFL", "ASTDT"]),
        "adtte": pd.DataFrame(adtte, columns=["USUBJID", "PARAMCD", "AVAL", "AVALU", "CNSR"]),
    }


def write_csv(
    frames: dict[str, pd.DataFrame], folder: Path, *, date9: bool = False
) -> dict[str, Path]:
    paths = {}
    for name, frame in frames.items():
        frame = frame.copy()
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                style = "%d%b%Y" if date9 else "%Y-%m-%d"
                frame[column] = frame[column].dt.strftime(style).str.upper()
        paths[name] = folder / f"{name}.csv"
        frame.to_csv(paths[name], index=False)
    return paths


def write_xpt(frames: dict[str, pd.DataFrame], folder: Path) -> dict[str, Path]:
    paths = {}
    for name, frame in frames.items():
        frame = frame.copy()
        formats = {}
        for column in frame.columns:
            if pd.api.types.is_datetime64_any_dtype(frame[column]):
                frame[column] = (frame[column] - SAS_EPOCH).dt.days.astype(float)
                formats[column] = "DATE9."
            elif frame[column].dtype == object or pd.api.types.is_string_dtype(frame[column]):
                frame[column] = frame[column].astype(object).where(frame[column].notna(), "")
                frame[column] = frame[column].astype(str)
        paths[name] = folder / f"{name}.xpt"
        pyreadstat.write_xport(
            frame, str(paths[name]), file_format_version=5, table_name=name.upper(),
            variable_format=formats,
        )  # fmt: skip
    return paths


def _read(paths: dict[str, Path], **options) -> ap.patients.PatientData:  # type: ignore[name-defined]
    return read_adam(
        paths["adsl"], paths["adrs"], adae=paths.get("adae"), adtte=paths.get("adtte"),
        cohort_var="KRASSUB", cohorts=COHORTS, today=TODAY, as_of_given=True, **options,
    )  # fmt: skip


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    return adam_frames(_minimal())


@pytest.mark.parametrize("kind", ["csv", "csv-date9", "xpt"])
def test_adam_gives_the_minimal_files_patients_and_call(tmp_path, frames, kind):
    if kind == "xpt":
        paths = write_xpt(frames, tmp_path)
    else:
        paths = write_csv(frames, tmp_path, date9=kind == "csv-date9")
    data = _read(paths)
    minimal = _minimal().sort_values("patient_id").reset_index(drop=True)
    adam = data.frame.sort_values("patient_id").reset_index(drop=True)
    for column in ("patient_id", "cohort", "enrolled", "response", "response_date",
                   "pfs_event", "os_event"):  # fmt: skip
        pd.testing.assert_series_equal(adam[column], minimal[column], check_dtype=False)
    for column in ("pfs_months", "os_months"):
        assert np.allclose(adam[column].astype(float), minimal[column].astype(float))
    # worst treatment-emergent grade; no ADAE record means no toxicity (grade 0)
    expected_grade = minimal["toxicity_grade"].fillna(0).astype(int)
    assert (adam["toxicity_grade"].astype(int) == expected_grade).all()
    assert [s.role for s in data.sources] == ["adsl", "adrs", "adae", "adtte"]
    assert all(len(s.sha256) == 64 for s in data.sources)

    plan = ap.load_design(DESIGN).interim_plan()
    from_minimal = read_patients(PATIENTS, cohorts=COHORTS, today=TODAY, as_of_given=True)
    assert cohort_counts(data, COHORTS, as_of=AS_OF) == cohort_counts(
        from_minimal, COHORTS, as_of=AS_OF
    )
    result = interim_analysis(plan, data, as_of=AS_OF)
    assert result.decisions() == interim_analysis(plan, from_minimal, as_of=AS_OF).decisions()


def _break(frames, name, row, column, value):
    changed = {k: v.copy() for k, v in frames.items()}
    changed[name] = changed[name].astype({column: object})
    changed[name].loc[row, column] = value
    return changed


SECOND_BOR = "subject 'SYN-001' has a second BOR record (first at row 3)"
BAD_ROWS = [
    (("adsl", 3, "KRASSUB", "G13D"), "adsl.csv row 5, column KRASSUB: unknown cohort 'G13D'"),
    (("adsl", 4, "USUBJID", "SYN-001"), "adsl.csv row 6, column USUBJID: patient 'SYN-001'"),
    (("adsl", 2, "TRTSDT", "2026-13-01"), "adsl.csv row 4, column TRTSDT:"),
    (("adrs", 2, "USUBJID", "SYN-999"), "adrs.csv row 4, column USUBJID: subject 'SYN-999' is"),
    (("adrs", 2, "AVALC", "XR"), "adrs.csv row 4, column AVALC: 'XR' is not a RECIST"),
    (("adrs", 1, "ANL01FL", "Y"), f"adrs.csv row 4, column PARAMCD: {SECOND_BOR}"),
    (("adae", 0, "ATOXGR", "7"), "adae.csv row 2, column ATOXGR:"),
    (("adtte", 0, "CNSR", "2"), "adtte.csv row 2, column CNSR: must be 0 (event) or 1"),
    (("adtte", 0, "AVALU", "HOURS"), "adtte.csv row 2, column AVALU: unknown unit 'HOURS'"),
    (("adtte", 0, "AVAL", "-3"), "adtte.csv row 2, column AVAL: must be a time >= 0"),
]


@pytest.mark.parametrize(("change", "expected"), BAD_ROWS)
def test_each_bad_adam_row_is_named_by_file_row_and_column(tmp_path, frames, change, expected):
    paths = write_csv(_break(frames, *change), tmp_path)
    with pytest.raises(DataError) as caught:
        _read(paths)
    assert any(line.startswith(expected) for line in caught.value.lines), caught.value.lines


def test_missing_variables_are_named(tmp_path, frames):
    changed = {k: v.copy() for k, v in frames.items()}
    changed["adsl"] = changed["adsl"].drop(columns=["TRTSDT"])
    changed["adrs"] = changed["adrs"].drop(columns=["ADT"])
    with pytest.raises(DataError) as caught:
        _read(write_csv(changed, tmp_path))
    lines = caught.value.lines
    assert "adsl.csv: has no enrolment date: give TRTSDT, RANDDT or ENRLDT" in lines
    assert "adrs.csv column ADT: the variable ADT is missing" in lines


def test_bad_xpt_date_is_named(tmp_path, frames):
    changed = {k: v.copy() for k, v in frames.items()}
    changed["adrs"].loc[2, "ADT"] = pd.Timestamp("2030-01-01")  # after the cut-off
    with pytest.raises(DataError) as caught:
        _read(write_xpt(changed, tmp_path))
    assert any(line.startswith("adrs.xpt row 3, column ADT:") for line in caught.value.lines)


def test_cli_interim_reads_adam_xpt(tmp_path, frames):
    paths = write_xpt(frames, tmp_path)
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "adaptive_pilot.cli", "interim", str(DESIGN),
        "--adsl", str(paths["adsl"]), "--adrs", str(paths["adrs"]), "--adae", str(paths["adae"]),
        "--adtte", str(paths["adtte"]), "--cohort-var", "KRASSUB", "--as-of", AS_OF.isoformat(),
        "--format", "json", "--out", str(out),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    payload = json.loads(done.stdout)
    assert {c["cohort"]: c["decision"] for c in payload["cohorts"]}["G12D"] == "stop_futility"
    roles = [s["role"] for s in payload["provenance"]["details"]["inputs"]]
    assert {"adsl", "adrs", "adae", "adtte"} <= set(roles)
    assert "pyreadstat" in payload["provenance"]["details"]["versions"]
    assert (out / "decision.json").exists() and (out / "closed_report.html").exists()
    bad = command[:]
    bad[bad.index("KRASSUB")] = "ARM"
    bad[bad.index(str(out))] = str(tmp_path / "out2")
    done = subprocess.run(bad, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "adsl.xpt column ARM: the variable ARM is missing" in done.stderr
    assert not (tmp_path / "out2").exists()


def test_a_pfs_monitored_design_reads_adtte_as_the_minimal_file(tmp_path, frames):
    """Issue 27, point 3: the time-to-event call from ADaM (ADTTE PARAMCD PFS) equals the
    minimal file's, with the same seed."""
    from adaptive_pilot.interim.survival_call import survival_interim

    resolved = ap.load_design(Path(DESIGN).parent / "motivating_trial_pfs.yaml")
    data = _read(write_csv(frames, tmp_path))
    from_minimal = read_patients(PATIENTS, cohorts=COHORTS, today=TODAY, as_of_given=True)
    calls = [
        survival_interim(
            resolved.survival_cohorts, d, as_of=AS_OF, design_hash="x", seed=3, imputations=200
        ).calls
        for d in (data, from_minimal)
    ]
    for adam, minimal in zip(*calls, strict=True):
        assert (adam.decision, adam.events, adam.in_follow_up) == (
            minimal.decision, minimal.events, minimal.in_follow_up,
        )  # fmt: skip
        assert adam.exposure_months == pytest.approx(minimal.exposure_months, abs=1e-9)
        assert adam.prob_better == pytest.approx(minimal.prob_better, abs=1e-9)


def test_cbor_records_confirm_responses_as_the_minimal_files_column(tmp_path, frames):
    """Issue 27, point 4: ADRS's confirmed best overall response (PARAMCD CBOR) gives the
    confirmation: a CR/PR is confirmed when its CBOR is CR/PR, unconfirmed when it is not or
    when the subject has no CBOR record; the counts equal the minimal file's with the
    same patients marked in a confirmed column."""
    from adaptive_pilot.patients.counts import unconfirmed_responses

    adrs = frames["adrs"]
    bor = adrs[(adrs["PARAMCD"] == "BOR") & (adrs["ANL01FL"] == "Y")]
    responders = bor[bor["AVALC"].isin(["CR", "PR"])]["USUBJID"].tolist()
    assert len(responders) >= 3
    # the first responder confirmed, the second not (CBOR SD), the third without a record
    cbor = pd.DataFrame(
        [(responders[0], "CBOR", "Confirmed BOR", "PR", bor["ADT"].iloc[0], "Y"),
         (responders[1], "CBOR", "Confirmed BOR", "SD", bor["ADT"].iloc[0], "Y")],
        columns=adrs.columns,
    )  # fmt: skip
    changed = dict(frames, adrs=pd.concat([adrs, cbor], ignore_index=True))
    data = _read(write_csv(changed, tmp_path))
    waiting = set(data.frame.loc[unconfirmed_responses(data), "patient_id"])
    assert waiting == set(responders[1:])
    # the same patients in a minimal file with a confirmed column
    minimal = pd.read_csv(PATIENTS, dtype=str, keep_default_na=False)
    minimal["confirmed"] = ["yes" if p == responders[0] else "no" for p in minimal["patient_id"]]
    path = tmp_path / "patients.csv"
    minimal.to_csv(path, index=False)
    from_minimal = read_patients(path, cohorts=COHORTS, today=TODAY, as_of_given=True)
    assert set(from_minimal.frame.loc[unconfirmed_responses(from_minimal), "patient_id"]) == waiting
    assert cohort_counts(data, COHORTS, as_of=AS_OF) == cohort_counts(
        from_minimal, COHORTS, as_of=AS_OF
    )
    # without CBOR records nothing is unconfirmed
    plain = tmp_path / "plain"
    plain.mkdir()
    assert not unconfirmed_responses(_read(write_csv(frames, plain))).any()
