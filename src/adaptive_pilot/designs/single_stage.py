"""The exact single-stage binomial design (for comparison with two-stage designs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._binomial import binomial_quantile, binomial_sf
from .._validate import (
    feasibility_convention,
    open_probability,
    positive_int,
    response_hypotheses,
)
from ..boundary_table import BoundaryTable
from ..errors import InputError

__all__ = ["SingleStageDesign", "single_stage_design"]


@dataclass(frozen=True)
class SingleStageDesign:
    """Enrol ``n`` evaluable patients; reject H0 (GO) if more than ``r`` respond.

    Attributes
    ----------
    n, r : int
        Sample size and critical number of responses.
    alpha, power : float
        Exact ``P(X > r | p0)`` and ``P(X > r | p1)``.
    """

    n: int
    r: int
    alpha: float
    power: float

    def boundary_table(self) -> BoundaryTable:
        """The design as a one-look boundary table."""
        return BoundaryTable(looks=(self.n,), futility=(self.r,), efficacy=(self.r + 1,))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"n": self.n, "r": self.r, "alpha": self.alpha, "power": self.power}


def single_stage_design(
    p0: float,
    p1: float,
    alpha: float = 0.05,
    beta: float = 0.20,
    *,
    n_max: int = 1000,
    convention: Literal["clinfun", "inclusive"] = "clinfun",
) -> SingleStageDesign:
    """Smallest exact single-stage design meeting the error targets.

    For each ``n`` the critical value ``r`` is the smallest with
    ``P(X > r | p0)`` below ``alpha`` (most power); the smallest ``n`` whose
    power then meets ``1 - beta`` is returned. ``convention`` is as in
    :func:`adaptive_pilot.simon_designs` (strict ``<`` or inclusive ``<=``).

    Raises
    ------
    InputError
        For invalid inputs, or when no ``n <= n_max`` is feasible.
    """
    p0, p1 = response_hypotheses(p0, p1)
    alpha = open_probability("alpha", alpha)
    beta = open_probability("beta", beta)
    n_max = positive_int("n_max", n_max)
    strict = feasibility_convention(convention) == "clinfun"
    n = np.arange(1, n_max + 1)
    # Smallest r meeting alpha: start from the quantile and step to the exact answer.
    r = np.clip(binomial_quantile(1.0 - alpha, n, p0) - 2, 0, None)
    while True:
        size = binomial_sf(r, n, p0)
        short = ~((size < alpha) if strict else (size <= alpha + 1e-12))
        if not short.any():
            break
        r = r + short
    # Step down while the smaller r still meets alpha (the quantile may overshoot).
    while True:
        lower = np.maximum(r - 1, 0)
        size_lower = binomial_sf(lower, n, p0)
        ok = (size_lower < alpha) if strict else (size_lower <= alpha + 1e-12)
        step = ok & (r > 0)
        if not step.any():
            break
        r = r - step
    size = binomial_sf(r, n, p0)
    power = binomial_sf(r, n, p1)
    meets_power = (1.0 - power < beta) if strict else (1.0 - power <= beta + 1e-12)
    if not meets_power.any():
        raise InputError(
            "n_max", f"no single-stage design exists with n up to {n_max}; increase n_max"
        )
    i = int(np.flatnonzero(meets_power)[0])
    return SingleStageDesign(n=int(n[i]), r=int(r[i]), alpha=float(size[i]), power=float(power[i]))
