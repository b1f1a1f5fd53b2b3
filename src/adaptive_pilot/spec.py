"""Design files (TOML): loading and validation.

This first version reads the primary-endpoint hypotheses and the Simon search
settings; unknown keys are rejected so that typos never pass silently.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._validate import (
    feasibility_convention,
    open_probability,
    positive_int,
    response_hypotheses,
)
from .errors import InputError

__all__ = ["PrimaryDesignSpec", "load_design_file"]

_ALLOWED = {
    "": {"name", "title", "endpoint", "hypotheses", "errors", "simon"},
    "endpoint": {"name", "definition"},
    "hypotheses": {"p0", "p1"},
    "errors": {"alpha", "beta"},
    "simon": {"nmax", "convention"},
}


@dataclass(frozen=True)
class PrimaryDesignSpec:
    """Hypotheses and error targets for the primary binary endpoint."""

    name: str
    title: str
    endpoint: str
    endpoint_definition: str
    p0: float
    p1: float
    alpha: float
    beta: float
    nmax: int = 100
    convention: str = "clinfun"


def load_design_file(path: str | Path) -> PrimaryDesignSpec:
    """Read and validate a design file.

    Raises
    ------
    InputError
        If the file is missing, is not valid TOML, has unknown keys or
        invalid values; the message names the file and the key.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("design file", f"{path} does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise InputError(str(path), f"is not valid TOML: {error}") from None
    _reject_unknown(path, data)
    hypotheses = _table(path, data, "hypotheses")
    errors = _table(path, data, "errors")
    simon = data.get("simon", {})
    endpoint = data.get("endpoint", {})

    def key(section: str, name: str) -> str:
        return f"{path}: {section}.{name}"

    p0, p1 = response_hypotheses(
        _required(path, hypotheses, "hypotheses", "p0"),
        _required(path, hypotheses, "hypotheses", "p1"),
        p0_field=key("hypotheses", "p0"),
        p1_field=key("hypotheses", "p1"),
    )
    alpha = open_probability(key("errors", "alpha"), errors.get("alpha", 0.05))
    beta = open_probability(key("errors", "beta"), errors.get("beta", 0.20))
    nmax = positive_int(key("simon", "nmax"), simon.get("nmax", 100), minimum=2)
    convention = feasibility_convention(
        simon.get("convention", "clinfun"), key("simon", "convention")
    )
    return PrimaryDesignSpec(
        name=str(data.get("name", path.stem)),
        title=str(data.get("title", "")),
        endpoint=str(endpoint.get("name", "response")),
        endpoint_definition=str(endpoint.get("definition", "")),
        p0=p0,
        p1=p1,
        alpha=alpha,
        beta=beta,
        nmax=nmax,
        convention=convention,
    )


def _reject_unknown(path: Path, data: dict[str, Any]) -> None:
    for name in data:
        if name not in _ALLOWED[""]:
            raise InputError(
                f"{path}: {name}", f"unknown key; allowed: {', '.join(sorted(_ALLOWED['']))}"
            )
    for section, allowed in _ALLOWED.items():
        if not section or section not in data:
            continue
        if not isinstance(data[section], dict):
            raise InputError(f"{path}: {section}", "must be a table, e.g. [" + section + "]")
        for name in data[section]:
            if name not in allowed:
                raise InputError(
                    f"{path}: {section}.{name}",
                    f"unknown key; allowed: {', '.join(sorted(allowed))}",
                )


def _table(path: Path, data: dict[str, Any], section: str) -> dict[str, Any]:
    if section not in data:
        raise InputError(f"{path}: {section}", "missing section")
    return data[section]


def _required(path: Path, table: dict[str, Any], section: str, name: str) -> Any:
    if name not in table:
        raise InputError(f"{path}: {section}.{name}", "missing key")
    return table[name]
