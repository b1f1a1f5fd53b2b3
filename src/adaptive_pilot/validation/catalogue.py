"""The reference numbers, read from the package's data: who produced them, how, and how close.

Each file in ``validation/references/`` is one *reference set*: numbers from one
third-party source (a paper's table, an R package's output), with the call or the
table that produced them, the computation of this package that must reproduce
them, and the tolerance and its reason. A set's cases may sit in the YAML file or,
when they are many, in a CSV file beside it (``cases_csv``).

The test suite and ``adaptive-pilot validate`` read the same files: a number is
written down once.
"""

from __future__ import annotations

import fnmatch
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

__all__ = ["Expected", "ReferenceCase", "ReferenceSet", "Tolerance", "reference_sets"]

#: Keys a reference file may have.
_SET_KEYS = {
    "id", "title", "source", "produced_by", "software", "computation", "quick", "notes",
    "tolerance", "cases", "cases_csv", "inputs", "expected_columns",
}  # fmt: skip


@dataclass(frozen=True)
class Tolerance:
    """How far a computed value may be from its reference, and why.

    The check passes when ``|value - reference| <= absolute + relative |reference|
    + mcse x SE``, or, with ``low``/``high`` given, when ``low <= value - reference
    <= high`` (a reference read off a grid lies on one side of the value). ``SE``
    combines the Monte Carlo error of a simulated reference (the per-trial standard
    deviation over the square root of ``simulated`` trials, or the reference's own
    ``se``) and that of a simulated value.
    """

    absolute: float = 0.0
    relative: float = 0.0
    mcse: float = 0.0
    simulated: int | None = None
    low: float | None = None
    high: float | None = None
    why: str = ""

    @classmethod
    def read(cls, raw: Mapping[str, Any]) -> Tolerance:
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown tolerance keys {sorted(unknown)}")
        values: dict[str, Any] = {
            k: (v if k in ("why", "simulated") else float(v)) for k, v in raw.items()
        }
        return cls(**values)

    def describe(self) -> str:
        """The tolerance in a few words (the report's column)."""
        if self.low is not None or self.high is not None:
            return f"value - reference in [{_g(self.low)}, {_g(self.high)}]"
        parts = []
        if self.absolute:
            parts.append(f"{_g(self.absolute)}")
        if self.relative:
            parts.append(f"{_g(self.relative)} x |reference|")
        if self.mcse:
            parts.append(f"{_g(self.mcse)} MCSE")
        return " + ".join(parts) if parts else "exact"


def _g(value: float | None) -> str:
    return "-inf" if value is None else f"{value:.3g}"


@dataclass(frozen=True)
class Expected:
    """One reference value: a number, a list, a text, or None (the reference has no value).

    ``sd`` is the per-trial standard deviation of a simulated reference (its MCSE
    is ``sd / sqrt(simulated)``); ``se`` its stated standard error.
    """

    value: Any
    sd: float | None = None
    se: float | None = None

    @classmethod
    def read(cls, raw: Any) -> Expected:
        if isinstance(raw, Mapping):
            return cls(raw["value"], raw.get("sd"), raw.get("se"))
        if isinstance(raw, float) and math.isnan(raw):
            return cls(None)
        return cls(raw)


@dataclass(frozen=True)
class ReferenceCase:
    """One call of the computation and the reference values it must reproduce."""

    name: str
    inputs: Mapping[str, Any]
    expected: Mapping[str, Expected]
    tolerance: Mapping[str, Tolerance] = field(default_factory=dict)


@dataclass(frozen=True)
class ReferenceSet:
    """A set of reference numbers from one source (one file of package data).

    Attributes
    ----------
    id, title : str
        Short name (the file's stem) and what the numbers are.
    source : str
        The paper or package that produced them.
    produced_by : str
        The R call, the paper's table or the program run, as recorded when the numbers
        were taken.
    computation : str
        The name of the computation of this package that must reproduce them
        (:data:`adaptive_pilot.validation.computations.COMPUTATIONS`).
    quick : bool
        Part of the ``--quick`` subset.
    cases : tuple of ReferenceCase
    """

    id: str
    title: str
    source: str
    produced_by: str
    software: str
    computation: str
    quick: bool
    notes: str
    cases: tuple[ReferenceCase, ...]
    tolerance: Mapping[str, Tolerance]

    def tolerance_for(self, case: ReferenceCase, quantity: str) -> Tolerance:
        """The tolerance of one quantity: the case's, else the set's; the most specific
        pattern (``fnmatch``) wins, ``default`` last."""
        for table in (case.tolerance, self.tolerance):
            matches = [k for k in table if k != "default" and fnmatch.fnmatchcase(quantity, k)]
            if matches:
                return table[max(matches, key=len)]
        return case.tolerance.get("default") or self.tolerance.get("default") or Tolerance()


def _read_set(name: str, text: str, package: Any) -> ReferenceSet:
    import yaml

    raw = yaml.safe_load(text)
    unknown = set(raw) - _SET_KEYS
    if unknown:
        raise ValueError(f"{name}: unknown keys {sorted(unknown)}")
    tolerance = {k: Tolerance.read(v) for k, v in (raw.get("tolerance") or {}).items()}
    cases = [_read_case(c) for c in raw.get("cases") or ()]
    if "cases_csv" in raw:
        cases += _csv_cases(package / raw["cases_csv"], raw["inputs"], raw["expected_columns"])
    if not cases:
        raise ValueError(f"{name}: no cases")
    return ReferenceSet(
        id=str(raw["id"]),
        title=str(raw["title"]),
        source=str(raw["source"]).strip(),
        produced_by=str(raw["produced_by"]).strip(),
        software=str(raw.get("software", "")),
        computation=str(raw["computation"]),
        quick=bool(raw.get("quick", False)),
        notes=str(raw.get("notes", "")).strip(),
        cases=tuple(cases),
        tolerance=tolerance,
    )


def _read_case(raw: Mapping[str, Any]) -> ReferenceCase:
    return ReferenceCase(
        name=str(raw["name"]),
        inputs=dict(raw.get("inputs") or {}),
        expected={str(k): Expected.read(v) for k, v in raw["expected"].items()},
        tolerance={k: Tolerance.read(v) for k, v in (raw.get("tolerance") or {}).items()},
    )


def _csv_cases(path: Any, inputs: Sequence[str], columns: Sequence[str]) -> list[ReferenceCase]:
    import csv

    with path.open(encoding="utf-8") as handle:
        rows = csv.DictReader(line for line in handle if not line.startswith("#"))
        out = []
        for row in rows:
            given = {k: _number(row[k]) for k in inputs}
            name = " ".join(f"{k}={v}" for k, v in given.items())
            expected = {c: Expected(_number(row[c])) for c in columns}
            out.append(ReferenceCase(name, given, expected))
    return out


def _number(text: str) -> Any:
    if text in ("", "NA"):
        return None
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text else value


@functools.cache
def reference_sets() -> tuple[ReferenceSet, ...]:
    """Every reference set shipped with the package, in file-name order."""
    package = resources.files("adaptive_pilot.validation") / "references"
    files = sorted((p for p in package.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name)
    return tuple(_read_set(p.name, p.read_text(encoding="utf-8"), package) for p in files)
