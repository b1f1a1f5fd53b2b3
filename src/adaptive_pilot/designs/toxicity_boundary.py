"""Repeated-significance toxicity boundaries (Ivanova, Qaqish & Schell 2005; clinfun ``toxbdry``).

At each look n_k the trial stops for toxicity when the toxicities y_k exceed
r_k, the (1 - a_k) binomial quantile under the acceptable rate p_lo, with the
nominal level a_k = 1 - Φ(z_alpha / t_k^Δ), t_k = n_k / N, z_alpha = Φ⁻¹(alpha). Δ = 0 gives
a Pocock-like boundary, Δ = 0.5 an O'Brien-Fleming-like one. alpha is then chosen
so that the probability of crossing the boundary at p_lo is at most cP0
(priority "null"), or at p_hi is at least cP1 (priority "alt").

As alpha grows every r_k falls, so the boundaries form one ordered family that
changes only at the finitely many alpha where some 1 - a_k equals a binomial
probability. This module lists those breakpoints and finds, by bisection, the
two neighbouring members of the family on either side of the target: the
**upper** boundary (crossing probability just below the target) and the
**lower** one (just above). clinfun reaches the same pair by an iterative
search that stops after ``niter`` steps; here the pair is exact. The
recommended boundary meets the prioritised constraint: the upper one for
"null", the lower one for "alt". Crossing probabilities, early stopping and
E[N] are exact (forward recursion, as for response boundaries).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import special

from .._validate import increasing_looks, open_probability
from ..errors import InputError
from ..oc.exact import batch_stopping_probabilities
from ..provenance import Provenance, design_hash
from ..results import ResultMixin, Summary, Table, json_safe, records
from ..rules._common import threshold
from ..rules.toxicity import ToxicityBoundary

__all__ = ["ToxicityBoundarySearch", "toxicity_boundary"]

Priority = Literal["null", "alt"]


@dataclass(frozen=True)
class ToxicityBoundarySearch(ResultMixin):
    """The two neighbouring boundaries around the target and their exact OC.

    Attributes
    ----------
    parameters : dict
        p_lo, p_hi, cp0, cp1, shape, priority, looks.
    upper, lower : ToxicityBoundary or None
        Upper boundary (crossing probability just below the target; stops
        later) and lower boundary (just above; stops earlier). ``None`` where
        the family has no such member.
    recommended_name : {"upper", "lower"}
        Which of the two meets the prioritised constraint (``recommended``).
    frame : DataFrame
        Exact OC of each boundary over the toxicity-rate grid.
    notes : tuple of str
        Warnings, e.g. when N is too small to meet both constraints.
    provenance : Provenance
    """

    parameters: dict[str, Any]
    upper: ToxicityBoundary | None
    lower: ToxicityBoundary | None
    recommended_name: Literal["upper", "lower"]
    frame: pd.DataFrame
    notes: tuple[str, ...]
    provenance: Provenance

    @property
    def recommended(self) -> ToxicityBoundary:
        """The boundary that meets the prioritised constraint (see ``notes`` otherwise)."""
        boundary = self.upper if self.recommended_name == "upper" else self.lower
        assert boundary is not None
        return boundary

    def boundary_frame(self) -> pd.DataFrame:
        """Look, n and the stopping count of each boundary (missing: never)."""
        data: dict[str, Any] = {
            "look": range(1, len(self.parameters["looks"]) + 1),
            "n": self.parameters["looks"],
        }
        for name in ("upper", "lower"):
            boundary = getattr(self, name)
            counts = [None] * len(data["n"]) if boundary is None else list(boundary.counts)
            data[f"toxicity_{name}"] = [
                None if c is None or c > n else c for c, n in zip(counts, data["n"], strict=True)
            ]
        frame = pd.DataFrame(data)
        return frame.astype({"toxicity_upper": "Int64", "toxicity_lower": "Int64"})

    def to_frame(self) -> pd.DataFrame:
        """Tidy OC: one row per (boundary, toxicity rate)."""
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: parameters, both boundaries, the recommendation, OC, notes, provenance."""
        return json_safe(
            {
                "parameters": self.parameters,
                "boundaries": records(self.boundary_frame()),
                "recommended": self.recommended_name,
                "oc": records(self.frame.drop(columns=["method"])),
                "notes": list(self.notes),
                "provenance": self.provenance.to_dict(),
            }
        )

    def summary(self) -> Summary:
        """Boundaries, OC and the recommendation."""
        par = self.parameters
        header = [
            f"Repeated-significance toxicity boundary (Ivanova, Qaqish & Schell 2005), "
            f"shape Δ = {par['shape']:g}",
            f"acceptable rate {par['p_lo']:g}, unacceptable {par['p_hi']:g}; "
            f"target P(stop | {par['p_lo']:g}) <= {par['cp0']:g}, "
            f"P(stop | {par['p_hi']:g}) >= {par['cp1']:g}; priority {par['priority']}",
            "Stop for toxicity if the number of patients with toxicity reaches the count.",
        ]
        bounds = self.boundary_frame()
        oc = self.frame.drop(columns=["method"])
        notes = [
            f"Recommended: the {self.recommended_name} boundary. " + self.recommended.describe(),
            "upper: crossing probability just below the target; lower: just above. "
            "PET = P(stop for toxicity before the final look).",
            *self.notes,
        ]
        return Summary(
            "Toxicity boundary",
            header,
            [
                Table(bounds, "Stopping counts"),
                Table(oc, "Exact operating characteristics"),
            ],
            notes,
            self.provenance,
        )


def toxicity_boundary(
    p_lo: float,
    p_hi: float,
    looks: Sequence[int],
    *,
    cp0: float = 0.1,
    cp1: float = 0.9,
    shape: float = 0.0,
    priority: Priority = "null",
    grid: int = 6,
) -> ToxicityBoundarySearch:
    """Repeated-significance toxicity boundary with its exact OC (clinfun ``toxbdry``).

    Parameters
    ----------
    p_lo : float
        Acceptable toxicity rate.
    p_hi : float
        Unacceptable toxicity rate (> p_lo).
    looks : sequence of int
        Numbers of evaluable patients at which toxicity is checked (the last is N).
    cp0 : float, default 0.1
        Target probability of stopping when the rate is p_lo (at most).
    cp1 : float, default 0.9
        Target probability of stopping when the rate is p_hi (at least).
    shape : float, default 0
        Δ in [0, 0.5]: 0 Pocock-like, 0.5 O'Brien-Fleming-like.
    priority : {"null", "alt"}
        Which target to meet when N cannot meet both.
    grid : int, default 6
        Toxicity rates for the OC: ``grid`` equally spaced from p_lo to p_hi.

    Returns
    -------
    ToxicityBoundarySearch

    Examples
    --------
    >>> search = toxicity_boundary(0.2, 0.35, [20, 40, 60, 75])
    >>> search.recommended.counts  # stop at >= 8 of 20, 13 of 40, 18 of 60, 22 of 75
    (8, 13, 18, 22)
    """
    p_lo = open_probability("p_lo", p_lo)
    p_hi = open_probability("p_hi", p_hi)
    if not p_hi > p_lo:
        raise InputError("p_hi", f"must be above p_lo = {p_lo:g} (got {p_hi:g})")
    look_values = increasing_looks("looks", looks)
    cp0 = float(threshold("cp0", cp0))  # type: ignore[arg-type]
    cp1 = float(threshold("cp1", cp1))  # type: ignore[arg-type]
    if isinstance(shape, bool) or not isinstance(shape, int | float) or not 0 <= shape <= 0.5:
        raise InputError("shape", f"must be a number from 0 to 0.5 (got {shape!r})")
    if priority not in ("null", "alt"):
        raise InputError("priority", f"must be 'null' or 'alt' (got {priority!r})")
    if isinstance(grid, bool) or not isinstance(grid, int) or not 2 <= grid <= 1000:
        raise InputError("grid", f"must be a whole number from 2 to 1,000 (got {grid!r})")

    family = _Family(look_values, p_lo, float(shape))
    rate, target = (p_lo, cp0) if priority == "null" else (p_hi, cp1)
    lower_index = family.first_reaching(rate, target)
    upper_index = lower_index - 1
    upper = family.boundary(upper_index) if upper_index >= 0 else None
    lower = family.boundary(lower_index) if lower_index < family.size else None
    name: Literal["upper", "lower"] = "upper" if priority == "null" else "lower"
    notes: list[str] = []
    if (upper if name == "upper" else lower) is None:
        name = "lower" if name == "upper" else "upper"
        notes.append(
            f"No boundary of this family has P(stop | {rate:g}) "
            + (f"<= {target:g}" if priority == "null" else f">= {target:g}")
            + f": the maximum sample size N = {look_values[-1]} may be too small."
        )
    rates = np.linspace(p_lo, p_hi, grid)
    frame = pd.concat(
        [_oc_frame(label, b, rates) for label, b in (("upper", upper), ("lower", lower)) if b],
        ignore_index=True,
    )
    chosen = frame[frame.boundary == name].p_stop_toxicity.to_numpy()
    if chosen[0] > cp0 + 1e-12 or chosen[-1] < cp1 - 1e-12:
        notes.append(
            f"The recommended boundary does not meet both targets (P(stop | {p_lo:g}) = "
            f"{chosen[0]:.4f}, P(stop | {p_hi:g}) = {chosen[-1]:.4f}): "
            f"N = {look_values[-1]} may be too small."
        )
    parameters = {
        "p_lo": p_lo,
        "p_hi": p_hi,
        "looks": list(look_values),
        "cp0": cp0,
        "cp1": cp1,
        "shape": float(shape),
        "priority": priority,
    }
    source = {"method": "repeated_significance", **parameters}
    provenance = Provenance(
        "exact",
        design_hash(source),
        details={"algorithm": "exact bisection over the boundary family's breakpoints"},
    )
    return ToxicityBoundarySearch(
        parameters,
        _with_source(upper, source),
        _with_source(lower, source),
        name,
        frame,
        tuple(notes),
        provenance,
    )


class _Family:
    """The ordered family of boundaries r(alpha), indexed by its breakpoints."""

    def __init__(self, looks: tuple[int, ...], p_lo: float, shape: float) -> None:
        from scipy import stats  # imported where used: 0.4 s at start-up

        self.looks = looks
        self.p_lo = p_lo
        fractions = (np.asarray(looks, dtype=float) / looks[-1]) ** shape
        # r_k(alpha) = #{r < n_k : alpha_{k,r} > alpha},
        # alpha_{k,r} = Φ(t_k^Δ Φ⁻¹(P(Y > r))), Y ~ Bin(n_k, p_lo)
        self.breaks: list[np.ndarray] = []
        for n, t in zip(looks, fractions, strict=True):
            tail = stats.binom.sf(np.arange(n), n, p_lo)
            self.breaks.append(special.ndtr(t * special.ndtri(tail)))
        points = np.unique(np.concatenate(self.breaks))
        self.alphas = points[(points > 0) & (points < 1)]
        self.size = self.alphas.size

    def counts(self, index: int) -> np.ndarray:
        """Stopping counts (r_k + 1) of family member ``index`` (alpha = its breakpoint)."""
        alpha = self.alphas[index]
        return np.array([int(np.sum(b > alpha)) + 1 for b in self.breaks])

    def boundary(self, index: int) -> ToxicityBoundary:
        return ToxicityBoundary(self.looks, tuple(int(c) for c in self.counts(index)))

    def crossing(self, index: int, rate: float) -> float:
        return float(_crossing(self.looks, self.counts(index), np.array([rate]))[0].sum())

    def first_reaching(self, rate: float, target: float) -> int:
        """Smallest index whose crossing probability at ``rate`` is >= target (size: none)."""
        low, high = 0, self.size  # invariant: members < low miss, members >= high reach
        while low < high:
            middle = (low + high) // 2
            if self.crossing(middle, rate) >= target:
                high = middle
            else:
                low = middle + 1
        return low


def _crossing(looks: tuple[int, ...], counts: np.ndarray, rates: np.ndarray) -> np.ndarray:
    """P(first stop for toxicity at look k), shape (rates, K)."""
    never = -np.ones((1, len(looks)), dtype=int)
    _, stop = batch_stopping_probabilities(looks, never, np.asarray(counts)[None, :], rates)
    return np.asarray(stop[0])


def _oc_frame(name: str, boundary: ToxicityBoundary, rates: np.ndarray) -> pd.DataFrame:
    stop = _crossing(boundary.looks, np.asarray(boundary.counts), rates)
    looks = np.asarray(boundary.looks, dtype=float)
    p_stop = stop.sum(axis=1)
    early = stop[:, :-1].sum(axis=1)
    en = stop[:, :-1] @ looks[:-1] + (1.0 - early) * looks[-1]
    return pd.DataFrame(
        {
            "boundary": name,
            "p_toxicity": rates,
            "p_stop_toxicity": p_stop,
            "pet": early,
            "en": en,
            "method": "exact",
        }
    )


def _with_source(boundary: ToxicityBoundary | None, source: dict[str, Any]) -> Any:
    if boundary is None:
        return None
    shape = source["shape"]
    kind = "Pocock-like" if shape == 0 else f"shape {shape:g}"
    if shape == 0.5:
        kind = "O'Brien-Fleming-like"
    description = f"repeated-significance boundary, {kind}, acceptable rate {source['p_lo']:g}"
    return ToxicityBoundary(boundary.looks, boundary.counts, description, source)
