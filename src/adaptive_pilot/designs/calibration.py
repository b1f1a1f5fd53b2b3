"""Calibration searches for Bayesian designs, on exact operating characteristics.

* :func:`calibrate_predictive` (Lee & Liu 2008): over a range of maximum
  sample sizes N and grids of theta_T and theta_L, the designs with
  type I error <= alpha and power >= 1 - beta; the one with the smallest
  EN(p0) is chosen (ties: smaller N, then higher power).
* :func:`calibrate_bop2` (Zhou, Lee & Yuan 2017): over explicit grids of
  (lambda, gamma) (and eta for the power-form efficacy cut-off), the design
  with the highest power among those with type I error <= alpha (ties:
  smaller EN(p0)).

Type I error is P(GO | p0) and power P(GO | p1), computed exactly; the
comparisons are inclusive (<= alpha, >= 1 - beta). The grids are part of the
result, so that the calibration can be reproduced.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._validate import open_probability, response_hypotheses
from ..errors import InputError
from ..oc.exact import batch_stopping_probabilities
from ..priors import BetaMixturePrior, BetaPrior
from ..rules.bop2 import BOP2Rule
from ..rules.predictive import PredictiveRule
from .bayesian import BayesianDesign
from .looks import look_schedule

__all__ = ["CalibrationResult", "calibrate_bop2", "calibrate_predictive", "grid"]

_SLACK = 1e-12


def grid(start: float, stop: float, step: float) -> tuple[float, ...]:
    """An inclusive grid start, start + step, ..., stop, rounded to 10 decimals.

    Examples
    --------
    >>> grid(0.80, 0.83, 0.01)
    (0.8, 0.81, 0.82, 0.83)
    """
    if step <= 0 or stop < start:
        raise InputError("grid", f"needs step > 0 and stop >= start (got {start}, {stop}, {step})")
    count = int(np.floor((stop - start) / step + 1e-9)) + 1
    return tuple(float(v) for v in np.round(start + step * np.arange(count), 10))


@dataclass(frozen=True)
class CalibrationResult:
    """Result of a calibration search.

    Attributes
    ----------
    method : str
        ``"predictive"`` or ``"bop2"``.
    design : BayesianDesign or None
        The chosen design (None when no design is feasible).
    table : pandas.DataFrame
        Every evaluated design with its exact alpha, power, EN(p0), EN(p1),
        PET(p0) and a ``feasible`` flag.
    grids : dict
        The searched grids and targets, for the record.
    """

    method: str
    design: BayesianDesign | None
    table: pd.DataFrame = field(repr=False)
    grids: dict[str, Any]

    @property
    def feasible(self) -> pd.DataFrame:
        """The feasible designs, best first."""
        return self.table[self.table["feasible"]].reset_index(drop=True)

    def summary(self, top: int = 10) -> str:
        """Chosen design and the best feasible ones, as text."""
        lines = [f"Calibration ({self.method}), exact operating characteristics"]
        targets = self.grids["targets"]
        lines.append(
            "targets: " + ", ".join(f"{k} {v:g}" for k, v in targets.items() if v is not None)
        )
        lines.append(
            f"designs evaluated: {len(self.table)}, feasible: {int(self.table['feasible'].sum())}"
        )
        if self.design is None:
            lines.append("No design in the grids meets the targets.")
            return "\n".join(lines)
        lines += ["", "Chosen design:", self.design.describe(), ""]
        shown = self.feasible.head(top).drop(columns=["feasible"])
        lines.append(f"Best {min(top, len(shown))} feasible designs:")
        lines.append(shown.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready result."""
        return {
            "method": self.method,
            "chosen": None if self.design is None else self.design.to_dict(),
            "boundaries": None if self.design is None else self.design.boundary_table.to_dict(),
            "feasible": self.feasible.drop(columns=["feasible"]).to_dict("records"),
            "n_evaluated": len(self.table),
            "grids": self.grids,
        }


def calibrate_predictive(
    p0: float,
    p1: float,
    alpha: float,
    beta: float,
    prior: BetaPrior | BetaMixturePrior,
    *,
    n_range: tuple[int, int],
    theta_t: Sequence[float],
    theta_l: Sequence[float],
    first_look: int,
    every: int = 1,
    theta_u: float | None = None,
) -> CalibrationResult:
    """Lee & Liu (2008) search over N, theta_T and theta_L.

    Parameters
    ----------
    p0, p1 : float
        Null and target response rates.
    alpha, beta : float
        Targets: type I error <= alpha, power >= 1 - beta.
    prior : BetaPrior or BetaMixturePrior
        Prior for the response rate.
    n_range : (int, int)
        Smallest and largest maximum sample size N searched (inclusive).
    theta_t, theta_l : sequence of float
        Grids of the final-success and futility thresholds.
    first_look : int
        First interim look; then a look every ``every`` patients up to N.
    every : int, default 1
        Spacing of looks (1: continuous monitoring).
    theta_u : float, optional
        Fixed efficacy threshold on PP (None: no efficacy stop).

    Returns
    -------
    CalibrationResult
    """
    p0, p1 = response_hypotheses(p0, p1)
    alpha = open_probability("alpha", alpha)
    beta = open_probability("beta", beta)
    theta_t_grid = _probability_grid("theta_t", theta_t)
    theta_l_grid = _probability_grid("theta_l", theta_l)
    n_low, n_high = _n_range(n_range)
    if theta_u is not None and min(theta_l_grid) >= theta_u:
        raise InputError("theta_u", "must exceed every theta_l")
    rates = np.array([p0, p1])
    lam = np.array(theta_l_grid)
    rows: list[dict[str, Any]] = []
    for n_max in range(n_low, n_high + 1):
        looks = _predictive_looks(n_max, first_look, every)
        x_final = np.arange(n_max + 1)
        q_final = prior.prob_greater(p0, x_final, n_max)
        pp_by_success: dict[int, np.ndarray] = {}
        for t in theta_t_grid:
            success = q_final > t
            if not success.any() or success[0]:
                continue  # GO never or always possible at N: not a design
            s = int(np.argmax(success))
            if s not in pp_by_success:
                pp_by_success[s] = _predictive_matrix(prior, looks, s, n_max)
            pp = pp_by_success[s]
            interim = len(looks) - 1
            futility = np.empty((lam.size, len(looks)), dtype=int)
            efficacy = np.empty((lam.size, len(looks)), dtype=int)
            futility[:, :interim] = np.sum(pp[None, :, :] < lam[:, None, None], axis=2) - 1
            if theta_u is None:
                efficacy[:, :interim] = np.asarray(looks[:interim]) + 1
            else:
                efficacy[:, :interim] = _first_above(pp, theta_u, looks[:interim])[None, :]
            futility[:, interim] = s - 1
            efficacy[:, interim] = s
            stop_f, stop_e = batch_stopping_probabilities(looks, futility, efficacy, rates)
            for i, theta_l_value in enumerate(theta_l_grid):
                rows.append(
                    _oc_row(looks, stop_f[i], stop_e[i])
                    | {"n_max": n_max, "theta_t": t, "theta_l": theta_l_value}
                )
    table = _finish(
        rows,
        ["n_max", "theta_t", "theta_l"],
        alpha,
        beta,
        order=(["en0", "n_max", "power"], [True, True, False]),
    )
    grids = {
        "targets": {"p0": p0, "p1": p1, "alpha": alpha, "beta": beta},
        "n_range": [n_low, n_high],
        "theta_t": list(theta_t_grid),
        "theta_l": list(theta_l_grid),
        "theta_u": theta_u,
        "first_look": first_look,
        "every": every,
        "prior": prior.to_dict(),
    }
    design = None
    best = _best_feasible(table)
    if best is not None:
        n_max = int(best["n_max"])
        rule = PredictiveRule(
            p0,
            prior,
            n_max,
            theta_t=float(best["theta_t"]),
            theta_l=float(best["theta_l"]),
            theta_u=theta_u,
        )
        looks = _predictive_looks(n_max, first_look, every)
        design = BayesianDesign(rule, looks)
    return CalibrationResult("predictive", design, table, grids)


def calibrate_bop2(
    p0: float,
    p1: float,
    alpha: float,
    prior: BetaPrior | BetaMixturePrior,
    *,
    looks: Sequence[int],
    lam: Sequence[float],
    gamma: Sequence[float],
    efficacy: Literal["power", "obrien-fleming"] | None = None,
    eta: Sequence[float] | None = None,
) -> CalibrationResult:
    """BOP2 search: maximise power over (lambda, gamma[, eta]) with alpha <= target.

    Parameters
    ----------
    p0, p1 : float
        Null and target response rates.
    alpha : float
        Type I error bound.
    prior : BetaPrior or BetaMixturePrior
        Prior for the response rate.
    looks : sequence of int
        Look schedule; the last look is N.
    lam, gamma : sequence of float
        Grids of lambda (in (0, 1)) and gamma (> 0).
    efficacy : {None, "power", "obrien-fleming"}
        Efficacy cut-off form (BOP2-FE); None for futility only.
    eta : sequence of float, optional
        Grid of eta for the power-form efficacy cut-off.
    """
    p0, p1 = response_hypotheses(p0, p1)
    alpha = open_probability("alpha", alpha)
    lam_grid = _probability_grid("lambda", lam)
    gamma_grid = _positive_grid("gamma", gamma)
    if efficacy == "power":
        eta_grid = _positive_grid("eta", eta if eta is not None else ())
    else:
        eta_grid = (None,)
    n_max = int(looks[-1])
    looks = look_schedule(n_max, looks=looks)
    rates = np.array([p0, p1])
    q = _posterior_matrix(prior, p0, looks)  # (K, N + 1), +inf beyond n_k
    combos = [(lv, gv, ev) for lv in lam_grid for gv in gamma_grid for ev in eta_grid]
    futility = np.empty((len(combos), len(looks)), dtype=int)
    efficacy_bounds = np.empty((len(combos), len(looks)), dtype=int)
    for i, (lv, gv, ev) in enumerate(combos):
        rule = BOP2Rule(p0, prior, n_max, lam=lv, gamma=gv, efficacy=efficacy, eta=ev)
        cut_f = np.array([rule.futility_cutoff(n) for n in looks])
        futility[i] = np.sum(q < cut_f[:, None], axis=1) - 1
        cut_e = [rule.efficacy_cutoff(n) for n in looks[:-1]]
        efficacy_bounds[i, :-1] = [
            n + 1 if c is None else _first_at_least(q[k, : n + 1], c, n)
            for k, (n, c) in enumerate(zip(looks[:-1], cut_e, strict=True))
        ]
        efficacy_bounds[i, -1] = futility[i, -1] + 1
    valid = (efficacy_bounds[:, -1] >= 1) & (efficacy_bounds[:, -1] <= n_max)
    rows: list[dict[str, Any]] = []
    if valid.any():
        stop_f, stop_e = batch_stopping_probabilities(
            looks, futility[valid], efficacy_bounds[valid], rates
        )
        for j, i in enumerate(np.flatnonzero(valid)):
            lv, gv, ev = combos[i]
            row = _oc_row(looks, stop_f[j], stop_e[j]) | {"lambda": lv, "gamma": gv}
            if efficacy == "power":
                row["eta"] = ev
            rows.append(row)
    keys = ["lambda", "gamma"] + (["eta"] if efficacy == "power" else [])
    table = _finish(rows, keys, alpha, None, order=(["power", "en0"], [False, True]))
    grids = {
        "targets": {"p0": p0, "p1": p1, "alpha": alpha},
        "lambda": list(lam_grid),
        "gamma": list(gamma_grid),
        "eta": None if efficacy != "power" else list(eta_grid),
        "efficacy": efficacy,
        "looks": list(looks),
        "prior": prior.to_dict(),
    }
    design = None
    best = _best_feasible(table)
    if best is not None:
        rule = BOP2Rule(
            p0,
            prior,
            n_max,
            lam=float(best["lambda"]),
            gamma=float(best["gamma"]),
            efficacy=efficacy,
            eta=float(best["eta"]) if efficacy == "power" else None,
        )
        design = BayesianDesign(rule, looks)
    return CalibrationResult("bop2", design, table, grids)


# ---------------------------------------------------------------- internals
def _predictive_looks(n_max: int, first_look: int, every: int) -> tuple[int, ...]:
    """Looks from ``first_look`` every ``every`` patients to N (only N if N <= first_look)."""
    return look_schedule(n_max, every=every, first=first_look) if first_look < n_max else (n_max,)


def _predictive_matrix(prior, looks: tuple[int, ...], s: int, n_max: int) -> np.ndarray:
    """PP(n_k, x) for the interim looks, padded with +inf beyond n_k: shape (K - 1, N + 1)."""
    interim = looks[:-1]
    pp = np.full((len(interim), n_max + 1), np.inf)
    for k, n in enumerate(interim):
        x = np.arange(n + 1)
        pp[k, : n + 1] = prior.predictive_sf(s - x, n_max - n, x, n)
    return pp


def _posterior_matrix(prior, p0: float, looks: tuple[int, ...]) -> np.ndarray:
    q = np.full((len(looks), looks[-1] + 1), np.inf)
    for k, n in enumerate(looks):
        q[k, : n + 1] = prior.prob_greater(p0, np.arange(n + 1), n)
    return q


def _first_above(pp: np.ndarray, level: float, looks: tuple[int, ...]) -> np.ndarray:
    out = np.empty(len(looks), dtype=int)
    for k, n in enumerate(looks):
        above = pp[k, : n + 1] > level
        out[k] = int(np.argmax(above)) if above.any() else n + 1
    return out


def _first_at_least(values: np.ndarray, level: float, n: int) -> int:
    hit = values >= level
    return int(np.argmax(hit)) if hit.any() else n + 1


def _oc_row(looks: tuple[int, ...], stop_f: np.ndarray, stop_e: np.ndarray) -> dict[str, float]:
    """Summaries at (p0, p1) from per-look stopping probabilities of shape (2, K)."""
    sizes = np.asarray(looks, dtype=float)
    ended = stop_f + stop_e
    en = ended @ sizes
    return {
        "alpha": float(stop_e[0].sum()),
        "power": float(stop_e[1].sum()),
        "en0": float(en[0]),
        "en1": float(en[1]),
        "pet0": float(ended[0, :-1].sum()),
    }


def _finish(
    rows: list[dict[str, Any]],
    keys: list[str],
    alpha: float,
    beta: float | None,
    *,
    order: tuple[list[str], list[bool]],
) -> pd.DataFrame:
    columns = [*keys, "alpha", "power", "en0", "en1", "pet0"]
    table = pd.DataFrame(rows, columns=columns)
    feasible = table["alpha"] <= alpha + _SLACK
    if beta is not None:
        feasible &= table["power"] >= 1 - beta - _SLACK
    table["feasible"] = feasible
    by, ascending = order
    table = table.sort_values(["feasible", *by], ascending=[False, *ascending], kind="stable")
    return table.reset_index(drop=True)


def _probability_grid(name: str, values: Sequence[float]) -> tuple[float, ...]:
    return _checked_grid(name, values, lambda v: 0 < v < 1, "strictly between 0 and 1")


def _positive_grid(name: str, values: Sequence[float]) -> tuple[float, ...]:
    return _checked_grid(name, values, lambda v: v > 0, "positive")


def _checked_grid(
    name: str, values: Sequence[float], ok: Callable[[float], bool], allowed: str
) -> tuple[float, ...]:
    values = tuple(values)
    if not values:
        raise InputError(name, "the grid is empty")
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | float) or not ok(v):
            raise InputError(name, f"grid values must be {allowed} (got {v!r})")
    return tuple(float(v) for v in values)


def _n_range(n_range: tuple[int, int]) -> tuple[int, int]:
    try:
        low, high = (int(v) for v in n_range)
    except (TypeError, ValueError):
        raise InputError(
            "n_range", f"must be two whole numbers [min, max] (got {n_range!r})"
        ) from None
    if low < 1 or high < low:
        raise InputError("n_range", f"needs 1 <= min <= max (got {low}, {high})")
    return low, high


def _best_feasible(table: pd.DataFrame) -> pd.Series | None:
    """The first feasible row of a table sorted best first (None when none is feasible)."""
    feasible = table[table["feasible"]]
    return None if feasible.empty else feasible.iloc[0]
