"""Readers that refuse ambiguity: repeated columns, empty files, XLSX bombs, ADaM without records.

And the vectorised checks against a plain row-by-row reading of the same file:
the same values, and the same cells flagged, on a file with random bad cells.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from adaptive_pilot.errors import InputError
from adaptive_pilot.interim import interim_analysis
from adaptive_pilot.patients import DataError, read_adam, read_patients
from adaptive_pilot.patients import tables as table_module
from test_adam import COHORTS, adam_frames, write_csv
from test_adam import _minimal as shipped_minimal
from test_interim import DESIGN, TODAY

GOOD = "P1,G12D,2026-01-05,PR,2026-03-10\nP2,G12V,2026-01-12,PD,2026-03-15\n"
HEADER = "patient_id,cohort,enrolled,response,response_date"


def _read(path, cohorts=COHORTS):
    return read_patients(path, cohorts=cohorts, today=TODAY, as_of_given=True)


def _refusal(path) -> str:
    with pytest.raises(InputError) as caught:
        _read(path)
    assert not isinstance(caught.value, DataError) or len(caught.value.lines) == 1
    return (
        caught.value.message if not isinstance(caught.value, DataError) else caught.value.lines[0]
    )


# ------------------------------------------------------------------ repeated columns
@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("response", "names the column 'response' twice (column D and column F)"),
        (
            "RESPONSE",
            "has the columns 'response' (column D) and 'RESPONSE' (column F), which "
            "differ only in case",
        ),
        (" Response ", "'response' (column D) and 'Response' (column F)"),
        ("response.1", "'response.1' looks like a second 'response' renamed by a program"),
    ],
)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_column_named_twice_is_refused_naming_both(tmp_path, extra, expected, kind):
    rows = [[*line.split(","), "SD"] for line in GOOD.strip().splitlines()]
    frame = pd.DataFrame(rows, columns=[*HEADER.split(","), extra])
    path = tmp_path / f"p.{kind}"
    if kind == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_excel(path, index=False)
    message = _refusal(path)
    assert expected in message and "keep one" in message


def test_an_unrelated_name_dot_one_is_not_a_repeat(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(f"{HEADER},visit,visit.1\n" + GOOD.replace("\n", ",1,2\n"))
    assert len(_read(path).frame) == 2


# ------------------------------------------------------------------ empty files
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "p.csv is empty: it has no header and no rows"),
        ("\n \n\n", "p.csv is empty: it has no header and no rows"),
        (HEADER + "\n", "p.csv: has a header but no patient rows"),
        (HEADER + "\n,,,,\n \n", "p.csv: has a header but no patient rows"),
    ],
)
def test_empty_and_header_only_files_say_so_in_one_line(tmp_path, text, expected):
    path = tmp_path / "p.csv"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        _read(path)
    lines = getattr(caught.value, "lines", None) or [f"{path.name} {caught.value.message}"]
    shown = lines[0] if isinstance(caught.value, DataError) else caught.value.message
    assert len(lines) == 1 and expected.split(": ", 1)[-1] in shown


def test_a_header_only_xlsx_says_so(tmp_path):
    path = tmp_path / "p.xlsx"
    pd.DataFrame(columns=HEADER.split(",")).to_excel(path, index=False)
    with pytest.raises(DataError) as caught:
        _read(path)
    assert caught.value.lines == ("p.xlsx: has a header but no patient rows",)


# ------------------------------------------------------------------ XLSX limits
def write_xlsx(path: Path, rows, *, dimension: str | None = None) -> None:
    """A minimal XLSX of inline strings, its sheet streamed into the zip (a test fixture)."""
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    kinds = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kinds}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kinds}.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" Type="{relations}/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{main}" xmlns:r="{relations}"><sheets>'
            '<sheet name="patients" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}"><Relationship Id="rId1" Type="{relations}/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'<worksheet xmlns="{main}">'.encode())
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for row in rows:
                cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in row)
                sheet.write(f"<row>{cells}</row>".encode())
            sheet.write(b"</sheetData></worksheet>")


def _patients(count: int):
    yield HEADER.split(",")
    for i in range(count):
        yield [f"P{i}", "G12D", "2026-01-05", "PR", "2026-03-10"]


def test_the_xlsx_writer_of_these_tests_makes_files_the_reader_reads(tmp_path):
    path = tmp_path / "p.xlsx"
    write_xlsx(path, _patients(3), dimension="A1:E4")
    assert list(_read(path).frame["patient_id"]) == ["P0", "P1", "P2"]


def test_an_xlsx_that_unpacks_beyond_the_limit_is_refused_before_its_sheet_is_read(tmp_path):
    path = tmp_path / "bomb.xlsx"
    write_xlsx(path, _patients(200_000))  # 0.6 MB on disk, 44 MiB of XML
    assert path.stat().st_size < 1 << 20
    message = _refusal(path)
    assert "bomb.xlsx unpacks to 44 MiB of spreadsheet data; the limit is 32 MiB" in message


def test_an_xlsx_declaring_too_many_rows_is_refused_before_its_rows_are_read(tmp_path):
    path = tmp_path / "p.xlsx"
    write_xlsx(path, _patients(3), dimension="A1:E3000000")
    assert "p.xlsx declares 2,999,999 rows; the limit is 1,000,000" in _refusal(path)


def test_xlsx_rows_are_counted_as_they_stream_in(tmp_path, monkeypatch):
    monkeypatch.setattr(table_module, "MAX_ROWS", 5)
    path = tmp_path / "p.xlsx"
    write_xlsx(path, _patients(8))  # no dimension to go by
    assert "p.xlsx has more than 5 rows; the limit is 5" in _refusal(path)


def test_an_xlsx_whose_zip_understates_a_size_is_not_unpacked_beyond_it(tmp_path):
    path = tmp_path / "p.xlsx"
    write_xlsx(path, _patients(2_000))
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    name = sheet.filename.encode()
    central = data.rfind(b"PK\x01\x02", 0, data.rfind(name))  # its central-directory entry
    struct.pack_into("<I", data, central + 24, 1000)  # declared size: 1,000 bytes
    struct.pack_into("<I", data, sheet.header_offset + 22, 1000)  # and in its local header
    path.write_bytes(bytes(data))
    assert "p.xlsx cannot be read as a table: Bad CRC-32" in _refusal(path)


def test_a_csv_over_the_row_limit_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(table_module, "MAX_ROWS", 1)
    path = tmp_path / "p.csv"
    path.write_text(f"{HEADER}\n{GOOD}")
    assert "p.csv has more than 1 rows; the limit is 1" in _refusal(path)


def test_a_folder_or_a_pipe_is_not_read(tmp_path):
    import os

    pipe = tmp_path / "p.csv"
    os.mkfifo(pipe)
    assert "is not a regular file" in _refusal(pipe)  # never opened: no hang
    assert "is not a regular file" in _refusal(tmp_path)


# ------------------------------------------------------------------ ADaM records
def _adam(tmp_path, frames, **options):
    paths = write_csv(frames, tmp_path)
    return read_adam(
        paths["adsl"], paths["adrs"], adae=paths.get("adae"), adtte=paths.get("adtte"),
        cohort_var="KRASSUB", cohorts=COHORTS, today=TODAY, as_of_given=True, **options,
    )  # fmt: skip


@pytest.fixture(scope="module")
def frames():
    return adam_frames(shipped_minimal())


def test_adrs_without_bor_records_is_refused_naming_what_it_has(tmp_path, frames):
    changed = dict(frames)
    adrs = frames["adrs"].copy()
    adrs["PARAMCD"] = adrs["PARAMCD"].replace("BOR", "CONFBOR")
    changed["adrs"] = adrs
    with pytest.raises(DataError) as caught:
        _adam(tmp_path, changed)
    assert caught.value.lines == (
        "adrs.csv column PARAMCD: has no best overall response records (PARAMCD = BOR and "
        "ANL01FL = Y); its PARAMCD values are CONFBOR, OVRLRESP. The call reads each "
        "subject's BOR record: derive it first",
    )


def test_subjects_without_a_bor_record_are_counted_per_cohort_in_the_call(tmp_path, frames):
    data = _adam(tmp_path, frames)
    minimal = shipped_minimal()
    pending = minimal[minimal["response"].isna()].groupby("cohort").size()
    size = minimal.groupby("cohort").size()
    expected = tuple(
        f"{c}: {pending[c]} of {size[c]} subject(s) in adsl.csv have no BOR record in adrs.csv; "
        "they count as pending (not evaluable yet)"
        for c in COHORTS
        if c in pending
    )
    assert data.notes == expected and len(expected) == 4
    from adaptive_pilot.spec import load_design

    result = interim_analysis(load_design(DESIGN).interim_plan(), data, as_of=dt.date(2026, 6, 30))
    assert set(expected) <= set(result.notes)
    assert all(note in result.summary().as_text() for note in expected)


def test_adtte_without_pfs_or_os_and_a_second_pfs_record_are_refused(tmp_path, frames):
    changed = dict(frames)
    changed["adtte"] = frames["adtte"].assign(PARAMCD="TTP")
    with pytest.raises(DataError) as caught:
        _adam(tmp_path, changed)
    assert "adtte.csv column PARAMCD: has no PFS or OS records" in caught.value.lines[0]
    doubled = pd.concat([frames["adtte"], frames["adtte"].iloc[[0]]], ignore_index=True)
    changed["adtte"] = doubled
    with pytest.raises(DataError) as caught:
        _adam(tmp_path, changed)
    subject = frames["adtte"].iloc[0]["USUBJID"]
    last = len(doubled) + 1
    assert caught.value.lines == (
        f"adtte.csv row {last}, column PARAMCD: subject {subject!r} has a second "
        f"{frames['adtte'].iloc[0]['PARAMCD']} record (first at row 2); keep one",
    )


# ------------------------------------------------------------------ vectorised = row by row
RESPONSES = [
    "CR",
    "PR",
    "SD",
    "PD",
    "NE",
    "NON-CR/NON-PD",
    "non cr/non pd",
    " pr ",
    "NON  CR/NON PD",
]
ENROLLED = ["2025-06-01", "2025-7-4", "2025-08-15T09:00"]
ASSESSED = ["2026-01-05", "2026-3-1 ", "2025-12-31 10:00"]
BAD_DATES = ["2026-02-30", "05/01/2026", "2026-01-05x", "yesterday"]


def _row_by_row(text: str):
    """A plain reading of the file, one row and one cell at a time (the reference)."""
    import csv
    import re

    reader = csv.reader(io.StringIO(text))
    header = [h.strip().lower() for h in next(reader)]
    values, flagged = [], set()
    for number, cells in enumerate(reader, start=2):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        row = dict(zip(header, cells, strict=True))
        out = {"patient_id": row["patient_id"] or None}
        for name in ("enrolled", "response_date"):
            match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", row[name])
            try:
                out[name] = dt.date(*map(int, match.groups())) if match else None
            except ValueError:
                out[name] = None
            if row[name] and out[name] is None:
                flagged.add((number, name))
        code = " ".join(row["response"].upper().split())
        code = {"NON CR/NON PD": "NON-CR/NON-PD"}.get(code, code)
        if code and code not in ("CR", "PR", "SD", "PD", "NE", "NON-CR/NON-PD"):
            flagged.add((number, "response"))
            code = ""
        out["response"] = code or None
        grade = row["toxicity_grade"]
        if grade and not (grade.isdigit() and int(grade) <= 5):
            flagged.add((number, "toxicity_grade"))
        out["toxicity_grade"] = int(grade) if grade.isdigit() and int(grade) <= 5 else None
        if row["cohort"] not in COHORTS:
            flagged.add((number, "cohort"))
        values.append(out)
    return values, flagged


def _random_file(rng: random.Random, rows: int, bad: float) -> str:
    def pick(good, wrong):
        return rng.choice(wrong) if rng.random() < bad else rng.choice(good)

    lines = [HEADER + ",toxicity_grade"]
    for i in range(rows):
        response = pick(RESPONSES, ["XR", "partial"])
        lines.append(",".join([
            f"P{i}", pick([*COHORTS], ["G13X", "g12d"]), pick(ENROLLED, BAD_DATES),
            response, pick(ASSESSED, BAD_DATES), pick(["0", "3", "", " 2 ", "5"], ["7", "x"]),
        ]))  # fmt: skip
        if rng.random() < 0.01:
            lines.append(" , , , , , ")  # blank rows keep the numbering
    return "\n".join(lines) + "\n"


def test_vectorised_checks_flag_the_same_cells_as_a_row_by_row_reading(tmp_path):
    text = _random_file(random.Random(23), 2000, bad=0.1)
    path = tmp_path / "p.csv"
    path.write_text(text)
    _, expected = _row_by_row(text)
    with pytest.raises(DataError) as caught:
        read_patients(path, cohorts=COHORTS, today=dt.date(2026, 11, 1), as_of_given=True)
    assert caught.value.total == len(caught.value.problems)  # every problem kept
    cell_problems = [
        (p.row, p.column) for p in caught.value.problems
        if " is not " in p.message or "outside the CTCAE" in p.message
        or "unknown cohort" in p.message
    ]  # fmt: skip
    assert len(cell_problems) == len(set(cell_problems))  # one problem per cell
    assert set(cell_problems) == expected and len(expected) > 500


def test_vectorised_reading_gives_the_values_of_a_row_by_row_reading(tmp_path):
    text = _random_file(random.Random(5), 2000, bad=0.0)
    path = tmp_path / "p.csv"
    path.write_text(text)
    frame = read_patients(path, cohorts=COHORTS, today=dt.date(2026, 11, 1),
                          as_of_given=True).frame  # fmt: skip
    reference, flagged = _row_by_row(text)
    assert not flagged
    assert list(frame["patient_id"]) == [r["patient_id"] for r in reference]
    responses = frame["response"].astype(object)
    assert list(responses.where(responses.notna(), None)) == [r["response"] for r in reference]
    for name in ("enrolled", "response_date"):
        assert [None if pd.isna(v) else v.date() for v in frame[name]] == [
            r[name] for r in reference
        ]
    grades = [None if pd.isna(v) else int(v) for v in frame["toxicity_grade"]]
    assert grades == [r["toxicity_grade"] for r in reference]


def test_problems_beyond_those_kept_are_counted(tmp_path):
    rows = "".join(f"P{i},G13X,2026-01-05,PR,2026-03-10\n" for i in range(2500))
    path = tmp_path / "p.csv"
    path.write_text(f"{HEADER}\n{rows}")
    with pytest.raises(DataError) as caught:
        _read(path)
    assert caught.value.total == 2500 and len(caught.value.problems) == 1000
    assert caught.value.lines[0].startswith("p.csv row 2, column cohort: unknown cohort 'G13X'")
    assert caught.value.lines[-1] == "... and 2,480 more problems"
    assert caught.value.message == "2,500 problems in the patient data"
