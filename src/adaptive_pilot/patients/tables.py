"""Reading a CSV, XLSX or SAS transport (XPT) table as text, within stated limits (internal).

Every cell becomes stripped text (``""`` when empty) in a numpy ``StringDType``
column, so that one set of vectorised parsers (:mod:`.cells`) reads every
format alike, with numpy's compiled string functions. Nothing is
unpickled or evaluated: CSV is parsed as text, XLSX through openpyxl (cached
cell values, formulas never evaluated), XPT by ReadStat. Each row keeps its
number as a user sees it: in CSV and XLSX the header is row 1, so the first
patient is row 2; in XPT the first record is row 1.

Limits, checked before a table is parsed wherever the format allows:

* a file at most :data:`MAX_BYTES` (50 MiB) on disk, a regular file (not a
  folder, a pipe or a device);
* at most :data:`MAX_ROWS` (1,000,000) data rows;
* XLSX: its XML parts at most :data:`MAX_XLSX_XML` (32 MiB) unpacked, by the
  sizes its zip directory declares (Python's zip reader never unpacks more
  than a part declares), and at most :data:`MAX_ROWS` rows by the sheet's own
  dimension, then counted as the rows stream in;
* a header whose names are unique, regardless of case and surrounding spaces,
  and without a ``name.1`` beside a ``name`` the reader uses (how pandas and
  other programs rename a repeated column).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.dtypes import StringDType

from ..errors import InputError
from .records import SourceFile

__all__ = ["MAX_BYTES", "MAX_ROWS", "MAX_XLSX_XML", "TEXT", "RawTable", "read"]

MAX_BYTES = 50 << 20
MAX_ROWS = 1_000_000
MAX_XLSX_XML = 32 << 20
SUFFIXES = (".csv", ".xlsx", ".xpt")


#: Text columns: numpy's variable-width strings (compiled string functions).
TEXT = StringDType()


class RawTable:
    """A table as read: text columns, user-visible row numbers, its source file.

    Attributes
    ----------
    columns : dict of str to ndarray
        One ``StringDType`` array of stripped text per header name (as in the
        file, stripped; unnamed columns dropped); blank rows removed.
    rows : ndarray of int64
        The row number of each row as the user sees it.
    source : SourceFile
        The file and its SHA-256.
    sas_dates : bool
        Numbers in date variables are SAS dates (days since 1960-01-01): XPT.
    """

    def __init__(
        self,
        columns: dict[str, np.ndarray],
        rows: np.ndarray,
        source: SourceFile,
        *,
        sas_dates: bool,
    ) -> None:
        self.columns = columns
        self.rows = rows
        self.source = source
        self.name = Path(source.path).name
        self.sas_dates = sas_dates

    def __len__(self) -> int:
        return len(self.rows)

    def lookup(self, *, upper: bool = False) -> dict[str, str]:
        """Header names by their case-folded form (upper case for ADaM variables)."""
        return {(c.upper() if upper else c.casefold()): c for c in self.columns}


def read(path: str | Path, role: str, *, known: Collection[str] = ()) -> RawTable:
    """Read a CSV, XLSX or XPT file as text.

    Parameters
    ----------
    path : path
        The file.
    role : str
        What the file is (``data``, ``adsl``...): the field named in errors.
    known : collection of str
        The column names the reader uses (any case): a ``name.1`` beside one of
        them is refused as a repeated column.

    Raises
    ------
    InputError
        The file is missing, not a regular file, too large, of another type,
        empty, has repeated column names, more rows than allowed, or cannot be
        parsed as a table.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(role, f"{path} does not exist")
    if not path.is_file():
        raise InputError(role, f"{path} is not a regular file")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise InputError(role, f"{path.name} must be a .csv, .xlsx or .xpt file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(role, f"{path.name} is {size / 2**20:.0f} MiB; the limit is 50 MiB")
    try:
        data = path.read_bytes()
    except PermissionError:
        raise InputError(role, f"{path} cannot be read: permission denied") from None
    source = SourceFile.of(role, path, data)
    parse = {".csv": _csv, ".xlsx": _xlsx, ".xpt": _xpt}[suffix]
    try:
        header, cells, first_row = parse(data, role, path.name)
    except InputError:
        raise
    except Exception as error:  # any parser failure is the file's fault, said in one line
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(role, f"{path.name} cannot be read as a table: {reason}") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise InputError(role, f"{path.name} is empty: it has no header and no rows")
    _check_header(header, role, path.name, known, xpt=suffix == ".xpt")
    if cells and len(cells[0]) > MAX_ROWS:
        raise InputError(
            role, f"{path.name} has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}"
        )
    columns, rows = _named_without_blank_rows(header, cells, first_row)
    return RawTable(columns, rows, source, sas_dates=suffix == ".xpt")


def _check_header(
    header: Sequence[str], role: str, file: str, known: Collection[str], *, xpt: bool
) -> None:
    """Refuse a column named twice (exactly, by case, or renamed ``name.1`` by a program)."""

    def where(i: int) -> str:
        return f"variable {i + 1}" if xpt else f"column {_letters(i)}"

    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        key = name.casefold()
        if not key:
            continue
        if key in seen:
            j = seen[key]
            if header[j] == name:
                detail = f"names the column {name!r} twice ({where(j)} and {where(i)})"
            else:
                detail = (
                    f"has the columns {header[j]!r} ({where(j)}) and {name!r} ({where(i)}), "
                    f"which differ only in case (names are read regardless of case)"
                )
            raise InputError(role, f"{file} {detail}: keep one, so that no value is guessed")
        seen[key] = i
    used = {name.casefold() for name in known}
    for i, name in enumerate(header):
        base, dot, number = name.rpartition(".")
        if dot and number.isdigit() and base.casefold() in used and base.casefold() in seen:
            j = seen[base.casefold()]
            raise InputError(
                role,
                f"{file} has the columns {header[j]!r} ({where(j)}) and {name!r} ({where(i)}): "
                f"{name!r} looks like a second {header[j]!r} renamed by a program; keep one, "
                f"so that no value is guessed",
            )


def _letters(index: int) -> str:
    """Spreadsheet column letters of a 0-based index (0 -> A, 26 -> AA)."""
    out = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        out = chr(65 + remainder) + out
    return out


def _named_without_blank_rows(
    header: list[str], cells: list[np.ndarray], first_row: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Name the columns (unnamed ones dropped) and drop rows whose every cell is empty."""
    count = len(cells[0]) if cells else 0
    rows = np.arange(first_row, first_row + count, dtype=np.int64)
    blank = np.ones(count, dtype=bool)
    for column in cells:
        blank &= column == ""
    named = {name: column[~blank] for name, column in zip(header, cells, strict=True) if name}
    return named, rows[~blank]


def _stripped(values: Any) -> np.ndarray:
    """Any column (object, str) as stripped StringDType text, '' for missing."""
    column = np.asarray(values, dtype=object)
    missing = pd.isna(column)
    if missing.any():
        column = np.where(missing, "", column)
    return np.strings.strip(np.asarray(column, dtype=TEXT))


# ------------------------------------------------------------------ formats
def _csv(data: bytes, role: str, file: str) -> tuple[list[str], list[np.ndarray], int]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(role, f"{file} is not UTF-8 text; save it as CSV UTF-8") from None
    if not text.strip():
        raise InputError(role, f"{file} is empty: it has no header and no rows")
    frame = pd.read_csv(
        io.StringIO(text), header=None, dtype=str, keep_default_na=False, na_filter=False,
        skip_blank_lines=False,
    )  # fmt: skip
    columns = [_stripped(frame[c].to_numpy()) for c in frame.columns]
    header = [str(column[0]) for column in columns]
    return header, [column[1:] for column in columns], 2


def _xlsx(data: bytes, role: str, file: str) -> tuple[list[str], list[np.ndarray], int]:
    import openpyxl

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        unpacked = sum(
            item.file_size for item in archive.infolist() if item.filename.endswith(".xml")
        )
    if unpacked > MAX_XLSX_XML:
        raise InputError(
            role,
            f"{file} unpacks to {unpacked / 2**20:,.0f} MiB of spreadsheet data; the limit is "
            f"{MAX_XLSX_XML >> 20} MiB (a patient list is far smaller: save the sheet as CSV, "
            f"or remove what is not patient data)",
        )
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        declared = sheet.max_row
        if declared is not None and declared - 1 > MAX_ROWS:
            raise InputError(
                role,
                f"{file} declares {declared - 1:,} rows; the limit is {MAX_ROWS:,}",
            )
        values: list[tuple[Any, ...]] = []
        for row in sheet.iter_rows(values_only=True):
            values.append(row)
            if len(values) > MAX_ROWS + 1:
                raise InputError(
                    role, f"{file} has more than {MAX_ROWS:,} rows; the limit is {MAX_ROWS:,}"
                )
    finally:
        book.close()
    if not values:
        raise InputError(role, f"{file} is empty: it has no header and no rows")
    width = max(len(row) for row in values)
    text = [[_text(v) for v in row] + [""] * (width - len(row)) for row in values]
    columns = [np.asarray([row[i] for row in text[1:]], dtype=TEXT) for i in range(width)]
    return text[0], columns, 2


def _xpt(data: bytes, role: str, file: str) -> tuple[list[str], list[np.ndarray], int]:
    """SAS transport, version 5 or 8, read by ReadStat (pyreadstat).

    Not pandas' reader: it reads some zeros as 5.4e-79 (pandas issue 50670;
    a CNSR of 0 would be refused) and cannot read version 8. Variables with
    a SAS date or datetime format arrive as dates; other numbers as floats.
    """
    import pyreadstat

    frame, _ = pyreadstat.read_xport(io.BytesIO(data), encoding="latin1", row_limit=MAX_ROWS + 1)
    header = [str(c) for c in frame.columns]
    return header, [_column_text(frame[c]) for c in frame.columns], 1


def _column_text(column: pd.Series) -> np.ndarray:
    """A whole column as cell text (numbers whole where they are, dates ISO 8601)."""
    if pd.api.types.is_float_dtype(column.dtype) or pd.api.types.is_integer_dtype(column.dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(values) & (values == np.floor(values)) & (np.abs(values) < 1e15)
        out = np.where(np.isnan(values), "", values.astype(str)).astype(object)
        out[whole] = values[whole].astype(np.int64).astype(str)
        return np.asarray(out, dtype=TEXT)
    return np.asarray([_text(v) for v in column], dtype=TEXT)


def _text(value: Any) -> str:
    """One cell as stripped text ('' when empty)."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return ""
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else str(value)
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()
