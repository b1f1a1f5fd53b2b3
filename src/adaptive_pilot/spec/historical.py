"""Historical studies from a CSV file (``name,n,x``), for MAP priors.

One row per study: ``n`` patients and ``x`` responses (whole numbers, 0 <= x <= n),
and an optional ``name`` (default "study K"). Extra columns (a reference, a year)
are allowed and ignored. Every problem is reported as one line naming the file,
the row and the column.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ..errors import InputError
from ..meta_analytic import HistoricalStudy
from .reading import MAX_FILE_BYTES

__all__ = ["read_historical"]


def read_historical(path: str | Path) -> list[HistoricalStudy]:
    """The studies of a historical-data CSV file.

    Raises
    ------
    InputError
        A missing or unreadable file, a missing ``n`` or ``x`` column, or a row whose
        ``n`` or ``x`` is not a whole number with 0 <= x <= n (one line, with the row).
    """
    file = Path(path)
    where = str(file)
    if not file.is_file():
        raise InputError("map", f"{file} does not exist or is not a file")
    raw = file.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(where, f"is {len(raw):,} bytes; a historical-data file is at most 1 MiB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(where, "is not UTF-8 text; save it as CSV (UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text))
    columns = [c.strip().lower() for c in reader.fieldnames or []]
    missing = [c for c in ("n", "x") if c not in columns]
    if missing:
        raise InputError(
            where, f"needs columns n and x (and optionally name); missing {missing[0]}"
        )
    studies = []
    for row_number, row in enumerate(reader, start=2):
        values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        numbers = {}
        for column in ("n", "x"):
            try:
                numbers[column] = int(values[column])
            except ValueError:
                raise InputError(
                    f"{where}, row {row_number}, column {column}",
                    f"must be a whole number (got {values[column]!r})",
                ) from None
        n, x = numbers["n"], numbers["x"]
        if not 1 <= n <= 100_000 or not 0 <= x <= n:
            raise InputError(
                f"{where}, row {row_number}",
                f"needs 1 <= n <= 100,000 and 0 <= x <= n (got n = {n}, x = {x})",
            )
        name = values.get("name") or f"study {row_number - 1}"
        studies.append(HistoricalStudy(name, n, x))
    if not studies:
        raise InputError(where, "has no study rows")
    return studies
