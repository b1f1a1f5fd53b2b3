"""Exact joint operating characteristics with response and toxicity co-monitoring.

Each patient falls in one of four categories: response with toxicity (p11),
response without toxicity (p10), toxicity without response (p01) or neither
(p00). The recursion carries the joint distribution of (responses x,
toxicities y) among trials still running, one patient at a time. At a look
the toxicity rule is checked first (stop if y >= s_k), then futility
(x <= f_k), then efficacy (x >= e_k); at the final look a trial not stopped
for toxicity is GO if x >= e_K and NO-GO otherwise. Exact, no Monte Carlo.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..boundary_table import BoundaryTable
from ..errors import InputError
from ..provenance import Provenance, design_hash
from ..results import ResultMixin, Summary, Table, records
from ..rules.toxicity import ToxicityRule
from ._stops import LookStops

__all__ = ["JointOperatingCharacteristics", "category_probabilities", "joint_oc"]


def category_probabilities(p_response: Any, p_toxicity: Any, odds_ratio: Any = 1.0) -> np.ndarray:
    """Four cell probabilities from the marginals and the odds ratio (Plackett).

    Returns an array of shape (..., 4) with columns (p11, p10, p01, p00):
    response & toxicity, response only, toxicity only, neither. With
    odds ratio psi, p11 solves psi = p11 p00 / (p10 p01); psi = 1 is
    independence.

    Examples
    --------
    >>> category_probabilities(0.3, 0.2).round(3).tolist()
    [0.06, 0.24, 0.14, 0.56]
    """
    r, t, psi = np.broadcast_arrays(
        np.asarray(p_response, float), np.asarray(p_toxicity, float), np.asarray(odds_ratio, float)
    )
    for name, values in (("p_response", r), ("p_toxicity", t)):
        if np.any((values < 0) | (values > 1)) or np.any(np.isnan(values)):
            raise InputError(name, "must be probabilities between 0 and 1")
    if np.any(~(psi > 0)) or np.any(~np.isfinite(psi)):
        raise InputError("odds_ratio", "must be a positive finite number")
    with np.errstate(invalid="ignore", divide="ignore"):
        s = 1.0 + (psi - 1.0) * (r + t)
        root = np.sqrt(np.clip(s**2 - 4.0 * psi * (psi - 1.0) * r * t, 0.0, None))
        p11 = np.where(np.isclose(psi, 1.0), r * t, (s - root) / (2.0 * (psi - 1.0)))
    p10 = r - p11
    p01 = t - p11
    p00 = 1.0 - r - t + p11
    cells = np.stack([p11, p10, p01, p00], axis=-1)
    return np.clip(cells, 0.0, 1.0)


@dataclass(frozen=True)
class JointOperatingCharacteristics(LookStops, ResultMixin):
    """Exact OC with toxicity co-monitoring, one row per scenario.

    Attributes
    ----------
    looks : tuple of int
        Union of the efficacy and toxicity looks.
    cells : ndarray, shape (S, 4)
        (p11, p10, p01, p00) per scenario.
    stop_toxicity, stop_futility, stop_efficacy : ndarray, shape (S, K)
        Per-look probabilities; at the final look futility is NO-GO and
        efficacy is GO.
    provenance : Provenance
        Method "exact" and the design hash (boundaries and toxicity rule).
    """

    looks: tuple[int, ...]
    cells: np.ndarray
    stop_toxicity: np.ndarray
    stop_futility: np.ndarray
    stop_efficacy: np.ndarray
    provenance: Provenance

    @property
    def p_response(self) -> np.ndarray:
        """Marginal response probability per scenario."""
        return self.cells[:, 0] + self.cells[:, 1]

    @property
    def p_toxicity(self) -> np.ndarray:
        """Marginal toxicity probability per scenario."""
        return self.cells[:, 0] + self.cells[:, 2]

    @property
    def p_stop_toxicity(self) -> np.ndarray:
        """P(stop for toxicity) at any look, the final one included."""
        return self.stop_toxicity.sum(axis=1)

    @property
    def _ended(self) -> np.ndarray:
        return self.stop_toxicity + self.stop_futility + self.stop_efficacy

    @property
    def pet(self) -> np.ndarray:
        """P(the trial stops before the final look), for any reason."""
        return self._ended[:, :-1].sum(axis=1)

    @property
    def en(self) -> np.ndarray:
        """Expected sample size."""
        return self._ended @ np.asarray(self.looks, dtype=float)

    def to_frame(self) -> pd.DataFrame:
        """Tidy table, one row per scenario."""
        return pd.DataFrame(
            {
                "p": self.p_response,
                "p_toxicity": self.p_toxicity,
                "p_go": self.p_go,
                "p_early_futility": self.p_early_futility,
                "p_early_efficacy": self.p_early_efficacy,
                "p_stop_toxicity": self.p_stop_toxicity,
                "p_nogo_final": self.p_nogo_final,
                "pet": self.pet,
                "en": self.en,
                "method": "exact",
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``oc`` rows and ``provenance``."""
        return {
            "oc": records(self.to_frame().drop(columns=["method"])),
            "provenance": self.provenance.to_dict(),
        }

    def summary(self) -> Summary:
        """The joint OC table."""
        columns = ["p", "p_toxicity", "p_go", "p_stop_toxicity", "p_early_futility"]
        columns += ["p_early_efficacy", "en"]
        return Summary(
            "Exact joint operating characteristics (response and toxicity)",
            header=(
                f"looks at n = {', '.join(str(n) for n in self.looks)}; toxicity checked first, "
                "then futility, then efficacy; exact (no Monte Carlo error)",
            ),
            tables=(Table(self.to_frame()[columns]),),
            provenance=self.provenance,
        )


def joint_oc(
    table: BoundaryTable,
    toxicity: ToxicityRule,
    p_response: Any = None,
    p_toxicity: Any = None,
    odds_ratio: Any = 1.0,
    *,
    cells: Any = None,
) -> JointOperatingCharacteristics:
    """Exact OC of a response design co-monitored by a toxicity rule.

    Parameters
    ----------
    table : BoundaryTable
        Response (efficacy/futility) boundaries.
    toxicity : ToxicityRule
        Toxicity stopping rule; its looks must not exceed the table's N.
    p_response, p_toxicity, odds_ratio : array_like
        Scenarios as marginals and odds ratio (broadcast together), or
    cells : array_like, shape (S, 4)
        Scenarios as the four cell probabilities (p11, p10, p01, p00).

    Returns
    -------
    JointOperatingCharacteristics
    """
    if cells is None:
        if p_response is None or p_toxicity is None:
            raise InputError("p_toxicity", "give p_response and p_toxicity, or the four cells")
        probs = category_probabilities(p_response, p_toxicity, odds_ratio).reshape(-1, 4)
    else:
        probs = np.atleast_2d(np.asarray(cells, float))
        if probs.shape[-1] != 4 or np.any(probs < 0) or not np.allclose(probs.sum(axis=1), 1.0):
            raise InputError(
                "cells", "each scenario needs four non-negative probabilities summing to 1"
            )
    n_max = table.n_max
    beyond = [n for n in toxicity.looks if n > n_max]
    if beyond:
        raise InputError(
            "toxicity.looks", f"look {beyond[0]} is beyond the maximum sample size N = {n_max}"
        )
    looks = tuple(sorted(set(table.looks) | set(toxicity.looks)))
    tox_bounds = toxicity.bounds()
    table_index = {n: k for k, n in enumerate(table.looks)}
    n_scen, n_looks = probs.shape[0], len(looks)
    stop_t = np.zeros((n_scen, n_looks))
    stop_f = np.zeros((n_scen, n_looks))
    stop_e = np.zeros((n_scen, n_looks))
    state = np.zeros((n_scen, n_max + 1, n_max + 1))
    state[:, 0, 0] = 1.0
    p11, p10, p01, p00 = (probs[:, i, None, None] for i in range(4))
    enrolled = 0
    x = np.arange(n_max + 1)
    for k, n in enumerate(looks):
        for _ in range(n - enrolled):
            new = p00 * state
            new[:, 1:, :] += p10 * state[:, :-1, :]
            new[:, :, 1:] += p01 * state[:, :, :-1]
            new[:, 1:, 1:] += p11 * state[:, :-1, :-1]
            state = new
        enrolled = n
        s = tox_bounds.get(n, n + 1)
        if s <= n:
            stop_t[:, k] = state[:, :, s:].sum(axis=(1, 2))
            state[:, :, s:] = 0.0
        if n in table_index:
            j = table_index[n]
            f, e = table.futility[j], table.efficacy[j]
            low = x <= f
            high = (x >= e) & (x <= n)
            stop_f[:, k] = state[:, low, :].sum(axis=(1, 2))
            stop_e[:, k] = state[:, high, :].sum(axis=(1, 2))
            state[:, low | high, :] = 0.0
    provenance = Provenance(
        "exact",
        design_hash({"boundaries": table.to_dict(), "toxicity": toxicity.to_dict()}),
        details={"algorithm": "forward recursion over (responses, toxicities)"},
    )
    return JointOperatingCharacteristics(looks, probs, stop_t, stop_f, stop_e, provenance)
