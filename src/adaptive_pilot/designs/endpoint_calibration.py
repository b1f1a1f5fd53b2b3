"""Calibration of a multi-endpoint BOP2 design on exact operating characteristics.

Over grids of (lambda, gamma[, eta]) every candidate is compiled by the one compile
path (each endpoint's BOP2 rule through
:func:`~adaptive_pilot.rules.compile.compile_rules`), and the exact recursion on the
endpoint-count lattice runs once per distinct prefix of per-look bounds
(:func:`~adaptive_pilot.oc.multinomial.designs_stopping_probabilities`). The type I
error is the largest P(GO) over the null scenarios (BOP2-TE's point: with efficacy and
toxicity there are several ways to be null: futile and safe, effective but toxic,
futile and toxic), the power the smallest P(GO) over the alternatives. Criteria as in
:func:`~adaptive_pilot.designs.calibration.calibrate_bop2`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..oc.endpoints import scenario_cells
from ..oc.multinomial import designs_stopping_probabilities
from ..rules.endpoint_bounds import check_schedule, compile_endpoint_rules, look_keys, look_masks
from ..rules.endpoints import MultiEndpointRule, with_parameters
from .calibration import (
    CalibrationResult,
    Switches,
    _best_feasible,
    _check_size,
    _check_switches,
    _finish,
    _list,
    _positive_grid,
    _probability_grid,
    _tuple,
    bop2_targets,
)
from .multi_endpoint import MultiEndpointDesign

__all__ = ["calibrate_endpoints"]


def calibrate_endpoints(
    rule: MultiEndpointRule,
    *,
    looks: Sequence[int],
    null: Any,
    alternative: Any,
    alpha: float,
    lam: Sequence[float],
    gamma: Sequence[float],
    eta: Sequence[float] | None = None,
    criterion: str = "power",
    beta: float | None = None,
    futility_on: Switches = None,
    efficacy_on: Switches = None,
) -> CalibrationResult:
    """BOP2 search over (lambda, gamma[, eta]) for a multi-endpoint rule.

    Parameters
    ----------
    rule : MultiEndpointRule
        The rule whose categories, prior, endpoints, join and efficacy form are kept;
        its lambda, gamma and eta are replaced by each candidate's.
    looks : sequence of int
        Look schedule; the last look is the rule's N.
    null, alternative : scenarios
        Category probabilities under the null (one or several scenarios) and under
        the alternative (one or several), in any form
        :func:`~adaptive_pilot.oc.endpoints.scenario_cells` accepts.
    alpha : float
        Bound on P(GO) under every null scenario.
    lam, gamma, eta : sequence of float
        Grids (eta only with ``rule.efficacy == "power"``).
    criterion : {"power", "en0"}
        Highest power (smallest P(GO) over the alternatives) with the type I error
        <= alpha, ties: smaller E[N] under the first null; or the smallest E[N] under
        the first null with power >= 1 - beta, ties: higher power.
    beta : float, optional
        Type II error bound; required by ``"en0"``.
    futility_on, efficacy_on : sequence of bool, optional
        Per-look switches.

    Returns
    -------
    CalibrationResult
        Method ``"bop2_endpoints"``; ``alpha``, ``power``, ``en0``, ``en1`` and
        ``pet0`` of every valid candidate, the chosen :class:`MultiEndpointDesign`.
    """
    looks_t = tuple(int(n) for n in looks)
    check_schedule(rule, looks_t)
    alpha, criterion, beta = bop2_targets(alpha, criterion, beta)
    nulls, null_labels = scenario_cells(rule.categories, null, "null")
    alts, alt_labels = scenario_cells(rule.categories, alternative, "alternative")
    lam_grid = _probability_grid("lambda", lam)
    gamma_grid = _positive_grid("gamma", gamma)
    eta_grid: tuple[float | None, ...] = (None,)
    if rule.efficacy == "power":
        eta_grid = _positive_grid("eta", eta if eta is not None else ())
    _check_size(len(lam_grid) * len(gamma_grid) * len(eta_grid))
    _check_switches(looks_t, futility_on, efficacy_on, None)
    combos = [(lv, gv, ev) for lv in lam_grid for gv in gamma_grid for ev in eta_grid]
    candidates = [with_parameters(rule, lv, gv, ev) for lv, gv, ev in combos]
    fut, eff, problems = compile_endpoint_rules(candidates, looks_t, futility_on, efficacy_on)
    valid = [i for i, p in enumerate(problems) if p is None]
    probs = np.vstack([nulls, alts])
    go, en, pet = _evaluate(rule, looks_t, fut[valid], eff[valid], probs)
    n_null = len(nulls)
    rows = []
    for j, i in enumerate(valid):
        lv, gv, ev = combos[i]
        key: dict[str, Any] = {"lambda": lv, "gamma": gv}
        if rule.efficacy == "power":
            key["eta"] = ev
        rows.append(
            key
            | {
                "alpha": float(go[j, :n_null].max()),
                "power": float(go[j, n_null:].min()),
                "en0": float(en[j, 0]),
                "en1": float(en[j, n_null]),
                "pet0": float(pet[j, 0]),
            }
        )
    columns = ["lambda", "gamma"] + (["eta"] if rule.efficacy == "power" else [])
    if criterion == "power":
        table = _finish(rows, columns, alpha, None, order=(["power", "en0"], [False, True]))
    else:
        table = _finish(rows, columns, alpha, beta, order=(["en0", "power"], [True, False]))
    grids = {
        "targets": {"alpha": alpha, "beta": beta},
        "criterion": criterion,
        "lambda": list(lam_grid),
        "gamma": list(gamma_grid),
        "eta": None if rule.efficacy != "power" else list(eta_grid),
        "efficacy": rule.efficacy,
        "looks": list(looks_t),
        "futility_on": _list(futility_on),
        "efficacy_on": _list(efficacy_on),
        "prior": rule.prior.to_dict(),
        "endpoints": [e.to_dict() for e in rule.endpoints],
        "require": rule.require,
        "null": _echo(rule, nulls, null_labels),
        "alternative": _echo(rule, alts, alt_labels),
    }
    design = None
    best = _best_feasible(table)
    if best is not None:
        chosen = with_parameters(
            rule,
            float(best["lambda"]),
            float(best["gamma"]),
            float(best["eta"]) if rule.efficacy == "power" else None,
        )
        design = MultiEndpointDesign(chosen, looks_t, _tuple(futility_on), _tuple(efficacy_on))
    return CalibrationResult("bop2_endpoints", design, table, grids, len(candidates) - len(valid))


def _evaluate(
    rule: MultiEndpointRule,
    looks: tuple[int, ...],
    futility: np.ndarray,
    efficacy: np.ndarray,
    probs: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """P(GO), E[N] and PET (B, P) of B compiled candidates, common prefixes shared."""
    if len(futility) == 0:
        empty = np.zeros((0, len(probs)))
        return empty, empty, empty
    keys, rows = look_keys(futility, efficacy)
    last = len(looks) - 1
    low, groups = rule.lower_is_better, rule.groups

    def masks_for(k: int, key: int) -> list[np.ndarray]:
        return look_masks(looks[k], rows[k][key], low, groups, final=k == last)

    stopped, _ = designs_stopping_probabilities(
        looks, probs, keys, masks_for, steps=rule.membership
    )
    ended = stopped.sum(axis=3)  # (B, P, K)
    return stopped[..., 1].sum(axis=2), ended @ np.asarray(looks, float), ended[..., :-1].sum(2)


def _echo(rule: MultiEndpointRule, cells: np.ndarray, labels: tuple[str, ...]) -> list[dict]:
    return [
        {"scenario": name, **dict(zip(rule.categories, map(float, row), strict=True))}
        for name, row in zip(labels, cells, strict=True)
    ]
