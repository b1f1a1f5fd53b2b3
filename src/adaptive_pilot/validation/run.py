"""Run every reference set and cross-check on this installation: :func:`validate`."""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from ..errors import InputError
from ..provenance import Provenance, content_hash
from ..results import ResultMixin, Summary, Table, json_safe
from .catalogue import ReferenceSet, reference_sets
from .compare import Check, compare
from .computations import COMPUTATIONS
from .cross_checks import CROSS_CHECKS, CrossCheck

__all__ = ["SetOutcome", "ValidationResult", "validate"]

#: Packages whose versions the report lists (those the numbers depend on, and the surfaces').
PACKAGES = (
    "adaptive-pilot", "numpy", "scipy", "pandas", "numba", "pydantic", "PyYAML", "joblib",
    "pymc", "pytensor", "arviz", "matplotlib", "python-docx", "pyreadstat", "shiny",
)  # fmt: skip


@dataclass(frozen=True)
class SetOutcome:
    """What one reference set or cross-check gave."""

    id: str
    kind: str  # "reference", "cross-check" or "installation"
    title: str
    source: str
    produced_by: str
    software: str
    n_cases: int
    checks: tuple[Check, ...]
    seconds: float
    error: str = ""

    @property
    def passed(self) -> bool:
        return not self.error and all(c.passed for c in self.checks)


@dataclass(frozen=True)
class ValidationResult(ResultMixin):
    """The outcome of :func:`validate`: every check, the platform and the verdict.

    Attributes
    ----------
    outcomes : tuple of SetOutcome
        One per reference set and cross-check, in the order run.
    quick : bool
        Whether only the quick subset ran.
    selected : bool
        Whether only some sets ran, chosen by id (``only``).
    platform : dict
        Operating system, machine, Python, where the package is installed.
    versions : dict
        Versions of the package and its dependencies.
    seconds : float
        Wall time of the whole run.
    """

    outcomes: tuple[SetOutcome, ...]
    quick: bool
    selected: bool
    platform: dict[str, str]
    versions: dict[str, str]
    seconds: float
    provenance: Provenance
    created: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    @property
    def checks(self) -> list[Check]:
        """Every compared figure."""
        return [c for o in self.outcomes for c in o.checks]

    @property
    def passed(self) -> bool:
        """Whether every check passed (and every computation ran)."""
        return all(o.passed for o in self.outcomes)

    @property
    def n_failed(self) -> int:
        return sum(not c.passed for c in self.checks) + sum(bool(o.error) for o in self.outcomes)

    def verdict(self) -> str:
        """One sentence: passed or failed, how many checks, on what."""
        n = len(self.checks)
        subset = "the quick subset of " if self.quick else ""
        subset = "a selection of " if self.selected else subset
        sets = sum(o.kind == "reference" for o in self.outcomes)
        cross = sum(o.kind == "cross-check" for o in self.outcomes)
        files = any(o.kind == "installation" for o in self.outcomes)
        what = (
            f"{subset}{'the check of its installed files, ' if files else ''}"
            f"{_count(sets, 'reference set')} and {_count(cross, 'cross-check')} "
            f"({_count(n, 'compared figure')})"
        )
        where = (
            f"adaptive_pilot {self.versions['adaptive-pilot']} on {self.platform['system']}, "
            f"Python {self.platform['python']}"
        )
        if self.passed:
            return f"PASSED: {where} ran {what}; every figure is within its tolerance."
        return (
            f"FAILED: {where} ran {what}; {self.n_failed} did not pass (listed under "
            "'Failed checks')."
        )

    def to_frame(self) -> Any:
        """Every check, one row per compared figure (glossary names)."""
        import pandas as pd

        return pd.DataFrame([asdict(c) for c in self.checks])

    def sets_frame(self) -> Any:
        """One row per reference set or cross-check."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "reference_set": o.id,
                    "check_type": o.kind,
                    "software": o.software,
                    "cases": o.n_cases,
                    "checks": len(o.checks),
                    "checks_passed": sum(c.passed for c in o.checks),
                    "passed": o.passed,
                    "seconds": round(o.seconds, 2),
                }
                for o in self.outcomes
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: verdict, platform, versions, every set with its checks, provenance."""
        return json_safe(
            {
                "verdict": self.verdict(),
                "passed": self.passed,
                "quick": self.quick,
                "selected": self.selected,
                "created": self.created,
                "seconds": round(self.seconds, 2),
                "platform": self.platform,
                "versions": self.versions,
                "sets": [
                    {
                        "reference_set": o.id,
                        "check_type": o.kind,
                        "title": o.title,
                        "source": o.source,
                        "produced_by": o.produced_by,
                        "software": o.software,
                        "cases": o.n_cases,
                        "passed": o.passed,
                        "seconds": round(o.seconds, 2),
                        "error": o.error or None,
                        "checks": [asdict(c) for c in o.checks],
                    }
                    for o in self.outcomes
                ],
                "provenance": self.provenance.to_dict(),
            }
        )

    def summary(self) -> Summary:
        """The verdict, the platform and a table of the sets; failed checks when any."""
        tables = [Table(self.sets_frame(), "Reference sets and cross-checks")]
        failed = self.to_frame()
        failed = failed[~failed["passed"]] if len(failed) else failed
        if len(failed):
            tables.append(Table(failed.reset_index(drop=True), "Failed checks"))
        errors = [f"{o.id}: the computation failed: {o.error}" for o in self.outcomes if o.error]
        return Summary(
            "Validation of adaptive_pilot" + (" (quick subset)" if self.quick else ""),
            header=(
                self.verdict(),
                f"Run {self.created} in {self.seconds:.1f} s on {self.platform['machine']} "
                f"({self.platform['cpus']} CPUs), {self.platform['system']}.",
            ),
            tables=tuple(tables),
            notes=tuple(errors),
            provenance=self.provenance,
        )


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}" + ("" if n == 1 else "s")


def _platform() -> dict[str, str]:
    from .. import __file__ as package_file

    return {
        "system": platform.platform(),
        "machine": platform.machine(),
        "cpus": str(os.cpu_count()),
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "package_location": os.path.dirname(package_file),
    }


def _versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _run_set(reference: ReferenceSet) -> SetOutcome:
    started = time.perf_counter()
    rows: list[Check] = []
    error = ""
    computation = COMPUTATIONS[reference.computation]
    for case in reference.cases:
        try:
            computed = computation(**case.inputs)
        except Exception as failure:  # a failed computation is a failed check
            error = f"{case.name}: {type(failure).__name__}: {failure}"
            break
        for quantity, expected in case.expected.items():
            tol = reference.tolerance_for(case, quantity)
            value = computed.get(quantity)
            rows += compare(reference.id, case.name, quantity, expected, value, tol)
    return SetOutcome(
        reference.id, "reference", reference.title, reference.source, reference.produced_by,
        reference.software, len(reference.cases), tuple(rows), time.perf_counter() - started,
        error,
    )  # fmt: skip


def _run_cross_check(check: CrossCheck) -> SetOutcome:
    started = time.perf_counter()
    try:
        rows, error = check.run(), ""
    except Exception as failure:  # a failed computation is a failed check
        rows, error = [], f"{type(failure).__name__}: {failure}"
    return SetOutcome(
        check.id, check.kind, check.title, check.source, check.method, "this installation",
        len({r.case for r in rows}), tuple(rows), time.perf_counter() - started, error,
    )  # fmt: skip


def validate(
    *,
    quick: bool = False,
    only: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> ValidationResult:
    """Reproduce every third-party reference number and run the cross-checks.

    Parameters
    ----------
    quick : bool, default False
        Only the quick subset (the reference sets and cross-checks marked quick).
    only : sequence of str, optional
        Only these reference sets or cross-checks, by id.
    progress : callable, optional
        Told one line as each set starts.

    Returns
    -------
    ValidationResult
        Its :attr:`~ValidationResult.passed` is False when any check failed.

    Examples
    --------
    >>> result = validate(only=["lee_liu_2008"])
    >>> result.passed, len(result.checks)
    (True, 1)
    """
    started = time.perf_counter()
    references = [r for r in reference_sets() if r.quick or not quick]
    crosses = [c for c in CROSS_CHECKS if c.quick or not quick]
    if only is not None:
        known = [r.id for r in reference_sets()] + [c.id for c in CROSS_CHECKS]
        unknown = sorted(set(only) - set(known))
        if unknown:
            raise InputError("only", f"unknown check {unknown[0]!r}; allowed: {', '.join(known)}")
        references = [r for r in reference_sets() if r.id in only]
        crosses = [c for c in CROSS_CHECKS if c.id in only]
    installation = [c for c in crosses if c.kind == "installation"]
    jobs: list[ReferenceSet | CrossCheck] = [
        *installation,
        *references,
        *(c for c in crosses if c.kind != "installation"),
    ]
    outcomes = []
    for k, job in enumerate(jobs, start=1):
        if progress is not None:
            progress(f"[{k}/{len(jobs)}] {job.title}")
        ran = _run_set(job) if isinstance(job, ReferenceSet) else _run_cross_check(job)
        outcomes.append(ran)
    data = [r.id for r in references] + [c.id for c in crosses]
    provenance = Provenance(
        # most checks are exact; the cross-checks and the goldilocks set simulate, each with
        # its own fixed seed (stated in its description and listed here)
        method="monte carlo",
        design_hash=content_hash({"reference_sets": _data_fingerprint(), "run": data}),
        details={"kind": "validation", "quick": quick, "seeds": _seeds(references, crosses)},
    )
    return ValidationResult(
        tuple(outcomes), quick, only is not None, _platform(), _versions(),
        time.perf_counter() - started,
        provenance,
    )  # fmt: skip


def _seeds(references: Sequence[ReferenceSet], crosses: Sequence[CrossCheck]) -> dict[str, int]:
    """The fixed seed of each check that simulates (the rest are exact)."""
    seeds = {r.id: int(c.inputs["seed"]) for r in references for c in r.cases if "seed" in c.inputs}
    return seeds | {c.id: c.seed for c in crosses if c.seed is not None}


def _data_fingerprint() -> str:
    """A hash of every shipped reference file: which numbers were checked."""
    from importlib import resources

    folder = resources.files("adaptive_pilot.validation") / "references"
    files = sorted((p.name, p.read_text(encoding="utf-8")) for p in folder.iterdir())
    return content_hash(files)
