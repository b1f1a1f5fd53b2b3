"""Provenance stamped on every result: one shape, one design-hash recipe.

Every result's ``to_dict()`` carries ``provenance`` with the same keys::

    package, version, commit, method ("exact" or "monte carlo"), design_hash,
    seed, n_trials (None for exact results), created_utc, details

``commit`` is the git commit of the source the package runs from, when it runs
from a checkout (an editable install, as ``make`` makes), else None: between
releases the version alone does not name the code.

``details`` holds what is specific to the method (algorithm, chunking, wall
time, file names...). The design hash is :func:`design_hash` of the design's
``to_dict()``: one recipe for boundary tables, Bayesian designs, Simon searches
and multi-cohort trials.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "METHODS",
    "Provenance",
    "content_hash",
    "design_hash",
    "package_version",
    "source_commit",
    "versions",
]

#: The two kinds of figures the engine produces.
METHODS = ("exact", "monte carlo")


@functools.cache
def package_version() -> str:
    """The installed version of adaptive_pilot (``0+unknown`` when not installed)."""
    try:
        return metadata.version("adaptive-pilot")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


@functools.cache
def source_commit() -> str | None:
    """The git commit of the checkout this package runs from, or None (read, not run: no git).

    Looks for ``.git`` two folders above the package (``src/adaptive_pilot``) and
    resolves ``HEAD`` through the branch file or ``packed-refs``.
    """
    git = Path(__file__).resolve().parents[2] / ".git"
    try:
        head = (git / "HEAD").read_text(encoding="ascii").strip()
        if not head.startswith("ref: "):
            return head if _is_sha(head) else None
        ref = head[5:].strip()
        branch = git / ref
        if branch.is_file():
            sha = branch.read_text(encoding="ascii").strip()
            return sha if _is_sha(sha) else None
        for line in (git / "packed-refs").read_text(encoding="ascii").splitlines():
            sha, _, name = line.partition(" ")
            if name.strip() == ref and _is_sha(sha):
                return sha
    except (OSError, UnicodeDecodeError):
        return None
    return None


def _is_sha(text: str) -> bool:
    return len(text) == 40 and all(c in "0123456789abcdef" for c in text)


def versions(*extra: str) -> dict[str, str]:
    """Versions of Python and of the packages the numbers depend on (and ``extra`` ones)."""
    out = {"python": platform.python_version()}
    for name in ("adaptive-pilot", "numpy", "scipy", "pandas", *extra):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:  # pragma: no cover - bare checkout
            out[name] = "unknown"
    return out


def content_hash(obj: Any) -> str:
    """A short, stable SHA-256 hash of a JSON-serialisable object.

    The object is serialised with sorted keys and no whitespace, so the hash
    depends only on content, never on key order or formatting.
    """
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def design_hash(design: Mapping[str, Any]) -> str:
    """The design hash: :func:`content_hash` of a design's ``to_dict()``.

    Examples
    --------
    >>> design_hash({"looks": [10, 29], "futility": [1, 5], "efficacy": [None, 6]})
    'd16eec0553967975'
    """
    return content_hash({"adaptive_pilot_design": dict(design)})


def _utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Provenance:
    """Where a result came from.

    Parameters
    ----------
    method : {"exact", "monte carlo"}
        Exact figures (no Monte Carlo error) or simulated ones (with MCSE).
    design_hash : str
        :func:`design_hash` of the design evaluated.
    seed, n_trials : int, optional
        Root seed and number of simulated trials (Monte Carlo only).
    details : mapping
        Method-specific facts (algorithm, chunking, file names, wall time...).
    """

    method: str
    design_hash: str
    seed: int | None = None
    n_trials: int | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    version: str = field(default_factory=package_version)
    created_utc: str = field(default_factory=_utc_now)
    commit: str | None = field(default_factory=source_commit)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {METHODS} (got {self.method!r})")

    def with_details(self, **more: Any) -> Provenance:
        """A copy with more details."""
        return replace(self, details={**self.details, **more})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form with the fixed keys."""
        return {
            "package": "adaptive_pilot",
            "version": self.version,
            "commit": self.commit,
            "method": self.method,
            "design_hash": self.design_hash,
            "seed": self.seed,
            "n_trials": self.n_trials,
            "created_utc": self.created_utc,
            "details": dict(self.details),
        }

    def line(self) -> str:
        """One bracketed line for the foot of a printed summary."""
        code = f" (commit {self.commit[:10]})" if self.commit else ""
        parts = [f"adaptive_pilot {self.version}{code}", self.method]
        if self.seed is not None:
            parts.append(f"seed {self.seed}")
        if self.n_trials is not None:
            parts.append(f"{self.n_trials:,} trials")
        parts += [f"design {self.design_hash}", self.created_utc]
        return "[" + "; ".join(parts) + "]"
