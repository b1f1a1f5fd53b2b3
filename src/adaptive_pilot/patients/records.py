"""Patient records: the one canonical table every input format is read into, and its problems.

Whatever the source (the minimal one-row-per-patient CSV/XLSX, or CDISC ADaM
ADSL + ADRS + ADAE + ADTTE in CSV or SAS transport), the data become one
:class:`PatientData`: a frame with the columns of :data:`COLUMNS`, the file
and row each value came from, and the SHA-256 of every input file. Problems
found on the way are collected as :class:`Problem` (file, row, column, what is
wrong and what is allowed) and raised together as one :class:`DataError`.

Conventions
-----------
* Best overall response (RECIST 1.1): CR, PR, SD, NON-CR/NON-PD, PD, NE.
  Responder = CR or PR. NE (not evaluable) counts as an evaluated
  non-response, as in the usual ORR denominator. An empty response is
  *pending* (not yet evaluable), never a non-response.
* Confirmation (RECIST 1.1 asks for it in single-arm trials): with a ``confirmed``
  column, a CR or PR counts as confirmed only when it says yes; no or empty is an
  unconfirmed response, which the design counts or keeps pending
  (``endpoint.unconfirmed``). Without the column every CR/PR counts as it stands.
* Toxicity: the worst CTCAE grade 0-5 (empty = no toxicity recorded) or a
  DLT yes/no (empty = not yet assessed). Which grades are an event is set by
  the design (default grade >= 3).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError

__all__ = [
    "COLUMNS",
    "MAX_KEPT",
    "MAX_LISTED",
    "RESPONDERS",
    "RESPONSE_CODES",
    "DataError",
    "PatientData",
    "Problem",
    "SourceFile",
]

#: RECIST 1.1 best overall responses accepted (upper case).
RESPONSE_CODES = ("CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE")
#: Best overall responses that count as an objective response.
RESPONDERS = frozenset({"CR", "PR"})
#: Canonical columns of the patient table.
COLUMNS = (
    "patient_id",
    "cohort",
    "enrolled",
    "response",
    "response_date",
    "confirmed",
    "toxicity_grade",
    "dlt",
    "toxicity_date",
    "pfs_months",
    "pfs_event",
    "os_months",
    "os_event",
)
#: Problems listed in full before the rest are counted.
MAX_LISTED = 20
#: Problems kept per check (the rest are counted): the first rows of each check
#: always include the first :data:`MAX_LISTED` problems of the file.
MAX_KEPT = 1000


@dataclass(frozen=True)
class Problem:
    """One problem in the input: where it is and what is wrong."""

    file: str
    row: int | None
    column: str | None
    message: str

    def line(self) -> str:
        """``patients.csv row 7, column response: ...`` (row 1 is the header)."""
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f"{',' if self.row is not None else ''} column {self.column}"
        return f"{where}: {self.message}"


class DataError(InputError):
    """Every problem found in the patient data (at least one).

    ``problems`` holds the problems found, in file and row order; when a check
    flags very many rows only its first :data:`MAX_KEPT` are kept, and
    ``total`` counts them all.
    """

    def __init__(self, problems: Sequence[Problem], total: int | None = None) -> None:
        self.problems = tuple(problems)
        self.total = max(len(self.problems), total or 0)
        lines = [p.line() for p in self.problems[:MAX_LISTED]]
        hidden = self.total - len(lines)
        if hidden > 0:
            lines.append(f"... and {hidden:,} more problem{'s' if hidden > 1 else ''}")
        count = self.total
        super().__init__("data", f"{count:,} problem{'s' if count > 1 else ''} in the patient data")
        self.lines = tuple(lines)


@dataclass(frozen=True)
class SourceFile:
    """An input file: its role, name and SHA-256 (of its bytes as read)."""

    role: str
    path: str
    sha256: str

    @classmethod
    def of(cls, role: str, path: Path, data: bytes) -> SourceFile:
        return cls(role, str(path), hashlib.sha256(data).hexdigest())

    def to_dict(self) -> dict[str, str]:
        return {"role": self.role, "file": Path(self.path).name, "sha256": self.sha256}


@dataclass(frozen=True)
class PatientData:
    """Validated patient records (one row per patient) and where they came from.

    Attributes
    ----------
    frame : DataFrame
        Columns :data:`COLUMNS`; dates as ``datetime64``, grades as nullable
        integers, ``dlt`` / events as nullable booleans, ``response`` upper case
        or missing (pending).
    sources : tuple of SourceFile
        Every file read, with its SHA-256.
    format : str
        ``"minimal"`` or ``"adam"``.
    provided : frozenset of str
        The canonical columns the source gave (e.g. whether toxicity grades were
        recorded at all).
    notes : tuple of str
        What the reader noticed that is not an error but changes what is counted
        (e.g. subjects without a best-response record, counted as pending).
    """

    frame: pd.DataFrame
    sources: tuple[SourceFile, ...]
    format: str
    provided: frozenset[str] = field(default=frozenset())
    notes: tuple[str, ...] = ()

    def to_provenance(self) -> list[dict[str, str]]:
        """The input files and their SHA-256, for provenance and the audit record."""
        return [s.to_dict() for s in self.sources]
