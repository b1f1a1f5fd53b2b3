"""Reading a data table from CSV, XLSX or SAS transport (XPT), as data only (internal).

Files are read whole (at most :data:`MAX_BYTES`), hashed, and parsed by
pandas: CSV as text cells, XLSX through openpyxl (cached cell values, formulas
never evaluated), XPT by pandas' SAS transport reader. Nothing is unpickled or
evaluated. Each row keeps its row number as a user sees it: in CSV and XLSX the
header is row 1, so the first patient is row 2; in XPT the first record is
row 1.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from .records import SourceFile

__all__ = ["MAX_BYTES", "RawTable", "cell_bool", "cell_date", "cell_number", "cell_text", "read"]

MAX_BYTES = 50 << 20
SUFFIXES = (".csv", ".xlsx", ".xpt")
_SAS_EPOCH = dt.date(1960, 1, 1)
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0"}


class RawTable:
    """A table as read: cells (object), user-visible row numbers, its source file."""

    def __init__(self, frame: pd.DataFrame, rows: list[int], source: SourceFile) -> None:
        self.frame = frame
        self.rows = rows
        self.source = source
        self.name = Path(source.path).name

    def column_lookup(self) -> dict[str, str]:
        """Column names by their lower-case, stripped form."""
        return {str(c).strip().lower(): str(c) for c in self.frame.columns}


def read(path: str | Path, role: str) -> RawTable:
    """Read a CSV, XLSX or XPT file.

    Raises
    ------
    InputError
        The file is missing, not a regular file, too large, of another type,
        or cannot be parsed as a table.
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
    try:
        if suffix == ".csv":
            frame, rows = _csv(data)
        elif suffix == ".xlsx":
            frame, rows = _xlsx(data)
        else:
            frame, rows = _xpt(data)
    except InputError:
        raise
    except Exception as error:  # any parser failure is the file's fault, said in one line
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(role, f"{path.name} cannot be read as a table: {reason}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    duplicated = [c for c in frame.columns if list(frame.columns).count(c) > 1]
    if duplicated:
        raise InputError(role, f"{path.name} has the column {duplicated[0]!r} more than once")
    return RawTable(frame.reset_index(drop=True), rows, source)


def _csv(data: bytes) -> tuple[pd.DataFrame, list[int]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("data", "the CSV file is not UTF-8 text") from None
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False)
    rows = list(range(2, len(frame) + 2))
    return _drop_blank(frame, rows)


def _xlsx(data: bytes) -> tuple[pd.DataFrame, list[int]]:
    frame = pd.read_excel(io.BytesIO(data), sheet_name=0, dtype=object, engine="openpyxl")
    rows = list(range(2, len(frame) + 2))
    return _drop_blank(frame, rows)


def _xpt(data: bytes) -> tuple[pd.DataFrame, list[int]]:
    """SAS transport, version 5 or 8, read by ReadStat (pyreadstat).

    Not pandas' reader: it reads some zeros as 5.4e-79 (pandas issue 50670;
    a CNSR of 0 would be refused) and cannot read version 8. Variables with
    a SAS date or datetime format arrive as dates; other numbers as floats.
    """
    import pyreadstat

    frame, _ = pyreadstat.read_xport(io.BytesIO(data), encoding="latin1")
    return frame, list(range(1, len(frame) + 1))


def _drop_blank(frame: pd.DataFrame, rows: list[int]) -> tuple[pd.DataFrame, list[int]]:
    keep = [not all(cell_text(v) == "" for v in row) for row in frame.itertuples(index=False)]
    return frame[keep], [r for r, k in zip(rows, keep, strict=True) if k]


# ------------------------------------------------------------------ cells
def cell_text(value: Any) -> str:
    """A cell as stripped text ('' when empty)."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    return str(value).strip()


def cell_date(value: Any, *, sas_numeric: bool = False) -> dt.date | None:
    """A date from a cell: ISO 8601 text, a spreadsheet date, or a SAS date number.

    Raises
    ------
    ValueError
        With the allowed forms, when the cell is not a date.
    """
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if sas_numeric and isinstance(value, int | float | np.number) and not isinstance(value, bool):
        if math.isnan(float(value)):
            return None
        return _SAS_EPOCH + dt.timedelta(days=math.floor(float(value)))
    text = cell_text(value)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10]) if len(text) >= 10 else _bad_date(text)
    except ValueError:
        return _bad_date(text)


def _bad_date(text: str) -> dt.date:
    raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-03-14)")


def cell_number(value: Any, *, what: str = "a number") -> float | None:
    """A finite number from a cell (None when empty)."""
    text = cell_text(value)
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not {what}") from None
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not {what}")
    return number


def cell_bool(value: Any, *, what: str) -> bool | None:
    """yes/no, y/n, true/false, 1/0 (None when empty)."""
    text = cell_text(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{cell_text(value)!r} is not {what} (allowed: yes or no, 1 or 0)")
