"""The exact single-stage binomial design (for comparison with two-stage designs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

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
    return smallest_single_stage(single_stage_tests(p0, p1, alpha, n_max, strict), beta, strict)


def smallest_single_stage(tests: SingleStageTests, beta: float, strict: bool) -> SingleStageDesign:
    """The smallest n >= 1 of ``tests`` whose power meets ``1 - beta`` (internal)."""
    n, r, size, power = tests.n[1:], tests.r[1:], tests.size[1:], tests.power[1:]
    meets_power = (1.0 - power < beta) if strict else (1.0 - power <= beta + 1e-12)
    if not meets_power.any():
        raise InputError(
            "n_max", f"no single-stage design exists with n up to {n[-1]}; increase n_max"
        )
    i = int(np.flatnonzero(meets_power)[0])
    return SingleStageDesign(n=int(n[i]), r=int(r[i]), alpha=float(size[i]), power=float(power[i]))


class SingleStageTests(NamedTuple):
    """The most powerful non-randomised test ``X > r`` of size alpha, for n = 0..n_max.

    ``size`` and ``power`` are ``P(X > r)`` at p0 and p1; ``size_below`` and
    ``power_below`` the same for ``X > r - 1`` (the next larger test), from
    which the randomised Neyman-Pearson test follows.
    """

    n: np.ndarray
    r: np.ndarray
    size: np.ndarray
    size_below: np.ndarray
    power: np.ndarray
    power_below: np.ndarray


def single_stage_tests(
    p0: float, p1: float, alpha: float, n_max: int, strict: bool
) -> SingleStageTests:
    """For each n = 0..n_max, the smallest r whose test ``X > r`` meets alpha.

    ``strict``: ``P(X > r | p0) < alpha`` (clinfun), else ``<= alpha``. Shared
    by :func:`single_stage_design` and the Simon search (internal inputs,
    already validated).
    """
    n = np.arange(n_max + 1)

    def meets(size: np.ndarray) -> np.ndarray:
        return (size < alpha) if strict else (size <= alpha + 1e-12)

    # The quantile gives P(X > r) <= alpha up to rounding; step to the exact answer.
    r = binomial_quantile(1.0 - alpha, n, p0)
    size = binomial_sf(r, n, p0)
    while not (met := meets(size)).all():
        r = r + ~met
        size = binomial_sf(r, n, p0)
    while True:
        size_below = binomial_sf(r - 1, n, p0)
        step = meets(size_below) & (r > 0)
        if not step.any():
            break
        r, size = r - step, np.where(step, size_below, size)
    power = binomial_sf(r, n, p1)
    power_below = binomial_sf(r - 1, n, p1)
    return SingleStageTests(n, r, size, size_below, power, power_below)
