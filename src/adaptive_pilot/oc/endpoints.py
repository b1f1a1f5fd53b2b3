"""Exact operating characteristics of a multi-endpoint design (one categorical outcome).

The recursion of :mod:`adaptive_pilot.oc.multinomial` runs on the lattice of endpoint
counts (one count per endpoint, D = E), each patient moving it by its category's
membership vector; the stopping sets come from the compiled
:class:`~adaptive_pilot.rules.endpoint_bounds.EndpointBounds`. Exact: no Monte Carlo
error. Cost O(N (N + 1)^E J) per scenario, J <= K distinct membership vectors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..provenance import Provenance, design_hash
from ..results import ResultMixin, Summary, Table, records
from ..rules.endpoint_bounds import EndpointBounds
from ._stops import LookStops
from .multinomial import multinomial_stopping_probabilities

__all__ = [
    "EndpointOperatingCharacteristics",
    "category_row",
    "endpoint_oc",
    "scenario_cells",
]


@dataclass(frozen=True)
class EndpointOperatingCharacteristics(LookStops, ResultMixin):
    """Exact OC of a multi-endpoint design, one row per scenario.

    Attributes
    ----------
    looks : tuple of int
        Look schedule.
    categories, endpoints : tuple of str
        Outcome categories and endpoint names.
    cells : ndarray, shape (S, K)
        Category probabilities per scenario.
    rates : ndarray, shape (S, E)
        Endpoint rates per scenario.
    stop_futility, stop_efficacy : ndarray, shape (S, K_looks)
        Per-look probabilities; at the final look futility is NO-GO and efficacy GO.
    labels : tuple of str
        Scenario names.
    provenance : Provenance
        Method "exact" and the design hash.
    """

    looks: tuple[int, ...]
    categories: tuple[str, ...]
    endpoints: tuple[str, ...]
    cells: np.ndarray
    rates: np.ndarray
    stop_futility: np.ndarray
    stop_efficacy: np.ndarray
    labels: tuple[str, ...]
    provenance: Provenance

    @property
    def pet(self) -> np.ndarray:
        """P(the trial stops before the final look)."""
        return self.p_early_futility + self.p_early_efficacy

    @property
    def en(self) -> np.ndarray:
        """Expected sample size."""
        return (self.stop_futility + self.stop_efficacy) @ np.asarray(self.looks, float)

    def endpoint_rates_text(self) -> list[str]:
        """Each scenario's endpoint rates in words, e.g. ``ORR 0.3, DCR 0.6``."""
        return [
            ", ".join(f"{name} {r:.3g}" for name, r in zip(self.endpoints, row, strict=True))
            for row in self.rates
        ]

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per scenario."""
        return pd.DataFrame(
            {
                "scenario": list(self.labels),
                "endpoint_rates": self.endpoint_rates_text(),
                "p_go": self.p_go,
                "p_early_futility": self.p_early_futility,
                "p_early_efficacy": self.p_early_efficacy,
                "p_nogo_final": self.p_nogo_final,
                "pet": self.pet,
                "en": self.en,
            }
        )

    def by_look(self) -> pd.DataFrame:
        """Per scenario and look: P(stop for futility / efficacy) there (final: NO-GO / GO)."""
        rows = []
        for s, name in enumerate(self.labels):
            for k, n in enumerate(self.looks):
                rows.append(
                    {
                        "scenario": name,
                        "look": k + 1,
                        "n": n,
                        "p_stop_futility": float(self.stop_futility[s, k]),
                        "p_stop_efficacy": float(self.stop_efficacy[s, k]),
                        "final": k == len(self.looks) - 1,
                    }
                )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``oc`` rows, the scenarios' category probabilities, ``provenance``."""
        scenarios = [
            {"scenario": name, **dict(zip(self.categories, map(float, row), strict=True))}
            for name, row in zip(self.labels, self.cells, strict=True)
        ]
        return {
            "oc": records(self.to_frame()),
            "by_look": records(self.by_look()),
            "scenarios": scenarios,
            "provenance": self.provenance.to_dict(),
        }

    def summary(self) -> Summary:
        """The OC table; the scenarios' category probabilities in the header."""
        header = [
            f"looks at n = {', '.join(str(n) for n in self.looks)}; endpoints "
            f"{', '.join(self.endpoints)} from categories {', '.join(self.categories)}; "
            "exact (no Monte Carlo error)"
        ]
        for name, row in zip(self.labels, self.cells, strict=True):
            cells = ", ".join(f"{c} {v:.3g}" for c, v in zip(self.categories, row, strict=True))
            header.append(f"{name}: {cells}")
        columns = ["scenario", "endpoint_rates", "p_go", "p_early_futility"]
        columns += ["p_early_efficacy", "pet", "en"]
        return Summary(
            "Exact operating characteristics (several endpoints of one outcome)",
            header=tuple(header),
            tables=(Table(self.to_frame()[columns]),),
            provenance=self.provenance,
        )


def scenario_cells(
    categories: Sequence[str], scenarios: Any, field: str = "scenarios"
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Category probabilities (S, K) and labels from scenarios.

    ``scenarios`` is an (S, K) array, one {category: probability} mapping, a list of
    them, or a {label: scenario} dict whose scenarios are mappings or rows. Each row
    must be non-negative and sum to 1.
    """
    if isinstance(scenarios, Mapping) and not all(
        isinstance(v, int | float) for v in scenarios.values()
    ):
        labels = tuple(str(k) for k in scenarios)
        rows = [_any_row(categories, v, f"{field}.{k}") for k, v in scenarios.items()]
    elif isinstance(scenarios, Mapping):
        labels, rows = ("scenario 1",), [category_row(categories, scenarios, field)]
    elif isinstance(scenarios, Sequence) and scenarios and isinstance(scenarios[0], Mapping):
        labels = tuple(f"scenario {i + 1}" for i in range(len(scenarios)))
        rows = [category_row(categories, v, f"{field}[{i}]") for i, v in enumerate(scenarios)]
    else:
        array = np.atleast_2d(np.asarray(scenarios, dtype=float))
        if array.ndim != 2 or array.shape[1] != len(categories):
            raise InputError(field, f"needs one probability per category ({len(categories)})")
        labels = tuple(f"scenario {i + 1}" for i in range(len(array)))
        rows = [_checked(array[i], f"{field}[{i}]") for i in range(len(array))]
    return np.array(rows), labels


def _any_row(categories: Sequence[str], values: Any, field: str) -> np.ndarray:
    """One scenario as a {category: probability} map or one probability per category."""
    if isinstance(values, Mapping):
        return category_row(categories, values, field)
    try:
        row = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(field, "probabilities must be numbers") from None
    if row.shape != (len(categories),):
        raise InputError(field, f"needs one probability per category ({len(categories)})")
    return _checked(row, field)


def category_row(categories: Sequence[str], values: Mapping[str, Any], field: str) -> np.ndarray:
    """One scenario's {category: probability} as a row in the categories' order.

    Every category once and no other, numbers >= 0 summing to 1 (within 1e-9), or one
    line naming ``field`` says what is wrong.
    """
    unknown = [c for c in values if c not in categories]
    if unknown:
        raise InputError(
            field, f"{unknown[0]!r} is not a category; the categories are {', '.join(categories)}"
        )
    missing = [c for c in categories if c not in values]
    if missing:
        raise InputError(
            field,
            f"has no probability for {missing[0]!r}; give one per category "
            f"({', '.join(categories)})",
        )
    try:
        row = np.array([float(values[c]) for c in categories])
    except (TypeError, ValueError):
        raise InputError(field, "probabilities must be numbers") from None
    return _checked(row, field)


def _checked(row: np.ndarray, field: str) -> np.ndarray:
    if not np.all(np.isfinite(row)) or np.any(row < 0):
        raise InputError(field, "category probabilities must be numbers >= 0")
    if abs(row.sum() - 1.0) > 1e-9:
        raise InputError(field, f"the category probabilities sum to {row.sum():g}, not 1")
    return row / row.sum()


def endpoint_oc(
    bounds: EndpointBounds,
    membership: np.ndarray,
    cells: np.ndarray,
    *,
    categories: Sequence[str],
    labels: Sequence[str] | None = None,
    design: Mapping[str, Any] | None = None,
) -> EndpointOperatingCharacteristics:
    """Exact OC of compiled multi-endpoint bounds at scenarios of category probabilities.

    Parameters
    ----------
    bounds : EndpointBounds
        The compiled design.
    membership : ndarray, shape (K, E)
        Which categories count towards each endpoint.
    cells : ndarray, shape (S, K)
        Category probabilities per scenario (see :func:`scenario_cells`).
    categories : sequence of str
        Category names.
    labels : sequence of str, optional
        Scenario names.
    design : mapping, optional
        The design's JSON form, hashed into the provenance (default: the bounds).
    """
    probs = np.atleast_2d(np.asarray(cells, dtype=float))
    masks = [list(bounds.masks(k)) for k in range(len(bounds.looks))]
    stopped, _ = multinomial_stopping_probabilities(bounds.looks, probs, masks, steps=membership)
    names = (
        tuple(labels)
        if labels is not None
        else tuple(f"scenario {i + 1}" for i in range(len(probs)))
    )
    provenance = Provenance(
        "exact",
        design_hash(dict(design) if design is not None else bounds.to_dict()),
        details={"algorithm": "forward recursion over the endpoint counts"},
    )
    return EndpointOperatingCharacteristics(
        bounds.looks, tuple(categories), bounds.endpoints, probs, probs @ membership,
        stopped[:, :, 0], stopped[:, :, 1], names, provenance,
    )  # fmt: skip
