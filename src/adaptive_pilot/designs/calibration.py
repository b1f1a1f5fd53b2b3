"""Calibration searches for Bayesian designs, on exact operating characteristics.

* :func:`calibrate_predictive` (Lee & Liu 2008): over a range of maximum
  sample sizes N and grids of theta_T and theta_L, the designs with
  type I error <= alpha and power >= 1 - beta. Criterion ``"en0"`` (default)
  chooses the smallest EN(p0) (ties: smaller N, then higher power);
  ``"n_then_en0"`` the smallest N, then the smallest EN(p0), as the MD
  Anderson software does.
* :func:`calibrate_bop2` (Zhou, Lee & Yuan 2017): over explicit grids of
  (lambda, gamma) (and eta for the power-form efficacy cut-off). Criterion
  ``"power"`` (default) chooses the highest power among designs with type I
  error <= alpha (ties: smaller EN(p0)); ``"en0"`` (the paper's second
  criterion) the smallest EN(p0) among designs with type I error <= alpha and
  power >= 1 - beta (ties: higher power).
* :func:`calibrate_dual` (Go / Consider / No-Go): over grids of the
  probability thresholds of one GO condition and one NO-GO condition. Among
  designs with a false-GO rate P(GO | p0) <= alpha and a false-NO-GO rate
  P(NO-GO | p1) <= beta, criterion ``"consider"`` (default) chooses the least
  P(CONSIDER | p0) + P(CONSIDER | p1), the most decisive design (ties: smaller
  EN(p0)); ``"en0"`` the smallest EN(p0) (ties: less CONSIDER).

Every candidate is compiled by the one compile path
(:func:`adaptive_pilot.rules.compile.compile_rules`) with the design's per-look
switches, so the chosen design's boundary table and OC are exactly what
:class:`~adaptive_pilot.designs.bayesian.BayesianDesign` gives for the same
rule. Candidates that make no valid design (never or always GO, never
stopping early) are left out and counted. Type I error is P(GO | p0) and
power P(GO | p1), computed exactly; the comparisons are inclusive
(<= alpha, >= 1 - beta). The grids are part of the result, so that the
calibration can be reproduced.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from .._validate import open_probability, response_hypotheses
from ..errors import InputError
from ..oc.exact import _forward, batch_stopping_probabilities
from ..priors import BetaMixturePrior, BetaPrior
from ..provenance import Provenance, content_hash
from ..results import ResultMixin, Summary, Table, json_safe, records
from ..rules.bop2 import BOP2Rule
from ..rules.compile import AnyRule, Rule, compile_rules
from ..rules.dual import DualRule, with_thresholds
from ..rules.predictive import PredictiveRule
from .bayesian import BayesianDesign
from .looks import look_schedule

if TYPE_CHECKING:
    from .multi_endpoint import MultiEndpointDesign

__all__ = [
    "BOP2_CRITERIA",
    "DUAL_CRITERIA",
    "GRID_LIMIT",
    "PREDICTIVE_CRITERIA",
    "CalibrationResult",
    "calibrate_bop2",
    "calibrate_dual",
    "calibrate_predictive",
    "criterion_words",
    "grid",
]

_SLACK = 1e-12
#: Largest number of candidate designs a calibration evaluates.
GRID_LIMIT = 10_000_000
#: Choice criteria (the first is the default).
BOP2_CRITERIA = ("power", "en0")
PREDICTIVE_CRITERIA = ("en0", "n_then_en0")
DUAL_CRITERIA = ("consider", "en0")

Switches = Sequence[bool] | None


def grid(start: float, stop: float, step: float) -> tuple[float, ...]:
    """An inclusive grid start, start + step, ..., stop, rounded to 10 decimals.

    Examples
    --------
    >>> grid(0.80, 0.83, 0.01)
    (0.8, 0.81, 0.82, 0.83)
    """
    values = (start, stop, step)
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in values) or not all(
        np.isfinite(values)
    ):
        raise InputError("grid", f"from, to and by must be finite numbers (got {values})")
    if step <= 0 or stop < start:
        raise InputError("grid", f"needs step > 0 and stop >= start (got {start}, {stop}, {step})")
    count = int(np.floor((stop - start) / step + 1e-9)) + 1
    if count > GRID_LIMIT:
        raise InputError("grid", f"has {count:,} points; at most {GRID_LIMIT:,} are allowed")
    return tuple(float(v) for v in np.round(start + step * np.arange(count), 10))


@dataclass(frozen=True)
class CalibrationResult(ResultMixin):
    """Result of a calibration search.

    Attributes
    ----------
    method : str
        ``"predictive"``, ``"bop2"``, ``"dual"`` or ``"bop2_endpoints"``.
    design : BayesianDesign, MultiEndpointDesign or None
        The chosen design (None when no design is feasible).
    table : pandas.DataFrame
        Every valid candidate with its exact alpha, power, EN(p0), EN(p1),
        PET(p0) and a ``feasible`` flag, best first.
    grids : dict
        The searched grids, targets, criterion and switches, for the record.
    n_invalid : int
        Candidates left out because they make no valid design.
    """

    method: str
    design: BayesianDesign | MultiEndpointDesign | None
    table: pd.DataFrame = field(repr=False)
    grids: dict[str, Any]
    n_invalid: int = 0
    #: the hash of the design file the calibration writes (set when it ran on a file)
    plan_hash: str = ""

    @property
    def feasible(self) -> pd.DataFrame:
        """The feasible designs, best first."""
        return self.table[self.table["feasible"]].reset_index(drop=True)

    @functools.cached_property
    def provenance(self) -> Provenance:
        """Exact; the design hash of the chosen design (of the grids when none)."""
        if self.plan_hash:
            chosen = self.plan_hash
        elif self.design is not None:
            chosen = self.design.design_hash()
        else:
            chosen = content_hash(self.grids)
        return Provenance(
            "exact", chosen, details={"algorithm": f"{self.method} calibration on exact OC"}
        )

    def to_frame(self) -> pd.DataFrame:
        """Every valid candidate, best first (glossary columns)."""
        return self.table.copy()

    def to_dict(self, *, top: int | None = None) -> dict[str, Any]:
        """JSON-safe result: chosen design, its boundaries, the feasible designs, grids."""
        feasible = self.feasible.drop(columns=["feasible"])
        if top is not None:
            feasible = feasible.head(top)
        return {
            "method": self.method,
            "chosen": None if self.design is None else json_safe(self.design.to_dict()),
            "boundaries": None if self.design is None else self.design.to_dict()["boundaries"],
            "feasible": records(feasible),
            "n_evaluated": len(self.table),
            "n_invalid": self.n_invalid,
            "grids": json_safe(self.grids),
            "provenance": self.provenance.to_dict(),
        }

    def summary(self, top: int = 10) -> Summary:
        """Chosen design and the best feasible ones."""
        targets = self.grids["targets"]
        n_feasible = int(self.table["feasible"].sum())
        header = [
            "targets: "
            + ", ".join(f"{k} {v:g}" for k, v in targets.items() if v is not None)
            + f"; criterion: {self.grids['criterion']}",
            "chooses " + criterion_words(self.method, self.grids["criterion"], targets),
            f"designs evaluated: {len(self.table):,}, feasible: {n_feasible:,}"
            + (f", left out as invalid: {self.n_invalid:,}" if self.n_invalid else ""),
        ]
        title = f"Calibration ({self.method}), exact operating characteristics"
        if self.design is None:
            return Summary(
                title,
                header=(*header, "No design in the grids meets the targets."),
                provenance=self.provenance,
            )
        shown = self.feasible.head(top).drop(columns=["feasible"])
        return Summary(
            title,
            header=(*header, "Chosen design:", *self.design.describe().splitlines()),
            tables=(Table(shown, title=f"Best {len(shown)} feasible designs"),),
            provenance=self.provenance,
        )


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
    criterion: str = "en0",
    futility_on: Switches = None,
    efficacy_on: Switches = None,
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
    criterion : {"en0", "n_then_en0"}
        Smallest EN(p0) (ties: smaller N, higher power), or smallest N then
        smallest EN(p0) (MD Anderson's choice).
    futility_on, efficacy_on : sequence of bool, optional
        Per-look switches; they need the same number of looks for every N.

    Returns
    -------
    CalibrationResult
    """
    p0, p1 = response_hypotheses(p0, p1)
    alpha = open_probability("alpha", alpha)
    beta = open_probability("beta", beta)
    criterion = _criterion(criterion, PREDICTIVE_CRITERIA)
    theta_t_grid = _probability_grid("theta_t", theta_t)
    theta_l_grid = _probability_grid("theta_l", theta_l)
    n_low, n_high = _n_range(n_range)
    _check_size((n_high - n_low + 1) * len(theta_t_grid) * len(theta_l_grid))
    if theta_u is not None and min(theta_l_grid) >= theta_u:
        raise InputError("theta_u", "must exceed every theta_l")
    rates = np.array([p0, p1])
    rows: list[dict[str, Any]] = []
    n_invalid = 0
    pairs = [(t, lv) for t in theta_t_grid for lv in theta_l_grid]
    for n_max in range(n_low, n_high + 1):
        looks = _predictive_looks(n_max, first_look, every)
        _check_switches(looks, futility_on, efficacy_on, "varies N")
        rules: list[Rule] = [
            PredictiveRule(p0, prior, n_max, theta_t=t, theta_l=lv, theta_u=theta_u)
            for t, lv in pairs
        ]
        keys = [{"n_max": n_max, "theta_t": t, "theta_l": lv} for t, lv in pairs]
        new_rows, invalid = _evaluate(rules, keys, looks, rates, futility_on, efficacy_on)
        rows += new_rows
        n_invalid += invalid
    order = (["en0", "n_max", "power"], [True, True, False])
    if criterion == "n_then_en0":
        order = (["n_max", "en0", "power"], [True, True, False])
    table = _finish(rows, ["n_max", "theta_t", "theta_l"], alpha, beta, order=order)
    grids = {
        "targets": {"p0": p0, "p1": p1, "alpha": alpha, "beta": beta},
        "criterion": criterion,
        "n_range": [n_low, n_high],
        "theta_t": list(theta_t_grid),
        "theta_l": list(theta_l_grid),
        "theta_u": theta_u,
        "first_look": first_look,
        "every": every,
        "futility_on": _list(futility_on),
        "efficacy_on": _list(efficacy_on),
        "prior": prior.to_dict(),
    }
    design = None
    best = _best_feasible(table)
    if best is not None:
        n_max = int(best["n_max"])
        rule = PredictiveRule(
            p0, prior, n_max, float(best["theta_t"]), float(best["theta_l"]), theta_u
        )
        looks = _predictive_looks(n_max, first_look, every)
        design = BayesianDesign(rule, looks, _tuple(futility_on), _tuple(efficacy_on))
    return CalibrationResult("predictive", design, table, grids, n_invalid)


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
    criterion: str = "power",
    beta: float | None = None,
    futility_on: Switches = None,
    efficacy_on: Switches = None,
) -> CalibrationResult:
    """BOP2 search over (lambda, gamma[, eta]).

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
    criterion : {"power", "en0"}
        Highest power with alpha <= target (ties: smaller EN(p0)); or smallest
        EN(p0) with alpha <= target and power >= 1 - beta (ties: higher power).
    beta : float, optional
        Type II error bound; required by criterion "en0".
    futility_on, efficacy_on : sequence of bool, optional
        Per-look switches of the design.
    """
    p0, p1 = response_hypotheses(p0, p1)
    alpha, criterion, beta = bop2_targets(alpha, criterion, beta)
    lam_grid = _probability_grid("lambda", lam)
    gamma_grid = _positive_grid("gamma", gamma)
    eta_grid: tuple[float | None, ...] = (None,)
    if efficacy == "power":
        eta_grid = _positive_grid("eta", eta if eta is not None else ())
    _check_size(len(lam_grid) * len(gamma_grid) * len(eta_grid))
    looks = look_schedule(int(looks[-1]), looks=looks)
    n_max = looks[-1]
    _check_switches(looks, futility_on, efficacy_on, None)
    rates = np.array([p0, p1])
    combos = [(lv, gv, ev) for lv in lam_grid for gv in gamma_grid for ev in eta_grid]
    rules: list[Rule] = [
        BOP2Rule(p0, prior, n_max, lam=lv, gamma=gv, efficacy=efficacy, eta=ev)
        for lv, gv, ev in combos
    ]
    keys: list[dict[str, float | None]] = []
    for lv, gv, ev in combos:
        key: dict[str, float | None] = {"lambda": lv, "gamma": gv}
        if efficacy == "power":
            key["eta"] = ev
        keys.append(key)
    rows, n_invalid = _evaluate(rules, keys, looks, rates, futility_on, efficacy_on)
    columns = ["lambda", "gamma"] + (["eta"] if efficacy == "power" else [])
    if criterion == "power":
        table = _finish(rows, columns, alpha, None, order=(["power", "en0"], [False, True]))
    else:
        table = _finish(rows, columns, alpha, beta, order=(["en0", "power"], [True, False]))
    grids = {
        "targets": {"p0": p0, "p1": p1, "alpha": alpha, "beta": beta},
        "criterion": criterion,
        "lambda": list(lam_grid),
        "gamma": list(gamma_grid),
        "eta": None if efficacy != "power" else list(eta_grid),
        "efficacy": efficacy,
        "looks": list(looks),
        "futility_on": _list(futility_on),
        "efficacy_on": _list(efficacy_on),
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
        design = BayesianDesign(rule, looks, _tuple(futility_on), _tuple(efficacy_on))
    return CalibrationResult("bop2", design, table, grids, n_invalid)


def calibrate_dual(
    rule: DualRule,
    looks: Sequence[int],
    *,
    alpha: float,
    beta: float,
    go: Sequence[float],
    nogo: Sequence[float],
    go_condition: int = 1,
    nogo_condition: int = 1,
    p0: float | None = None,
    p1: float | None = None,
    criterion: str = "consider",
    futility_on: Switches = None,
    efficacy_on: Switches = None,
) -> CalibrationResult:
    """Go / Consider / No-Go search over the thresholds of a GO and a NO-GO condition.

    Parameters
    ----------
    rule : DualRule
        The rule whose thresholds are searched (its other conditions are kept).
    looks : sequence of int
        Look schedule; the last look is N.
    alpha, beta : float
        Targets: P(GO | p0) <= alpha (false GO) and P(NO-GO | p1) <= beta (false NO-GO).
    go, nogo : sequence of float
        Grids of the probability threshold of condition ``go_condition`` of the GO
        criterion and of condition ``nogo_condition`` of the NO-GO criterion (1-based).
    p0, p1 : float, optional
        The rates at which the errors are computed (default the rule's LRV and TV).
    criterion : {"consider", "en0"}
        Least P(CONSIDER | p0) + P(CONSIDER | p1) (ties: smaller EN(p0)), or smallest
        EN(p0) (ties: less CONSIDER).
    futility_on, efficacy_on : sequence of bool, optional
        Per-look switches of the design.

    Returns
    -------
    CalibrationResult
        Candidates with ``go_prob``, ``nogo_prob``, ``alpha`` (P(GO | p0)), ``power``
        (P(GO | p1)), ``nogo1`` (P(NO-GO | p1)), ``consider0``, ``consider1``, ``en0``,
        ``en1`` and ``pet0``.
    """
    p0 = rule.lrv if p0 is None else p0
    p1 = (rule.tv if rule.tv is not None else p1) if p1 is None else p1
    if p1 is None:
        raise InputError("p1", "is required when the rule has no TV")
    p0, p1 = response_hypotheses(p0, p1)
    alpha = open_probability("alpha", alpha)
    beta = open_probability("beta", beta)
    criterion = _criterion(criterion, DUAL_CRITERIA)
    go_grid = _probability_grid("go", go)
    nogo_grid = _probability_grid("nogo", nogo)
    _check_size(len(go_grid) * len(nogo_grid))
    looks = look_schedule(int(looks[-1]), looks=looks)
    _check_switches(looks, futility_on, efficacy_on, None)
    combos = [(g, n) for g in go_grid for n in nogo_grid]
    rules: list[AnyRule] = [
        with_thresholds(rule, go=(go_condition, g), nogo=(nogo_condition, n)) for g, n in combos
    ]
    compiled = compile_rules(rules, looks, futility_on, efficacy_on)
    valid = np.flatnonzero(compiled.valid)
    rows: list[dict[str, Any]] = []
    if valid.size:
        stop_f, stop_e, consider = _forward(
            looks, compiled.futility[valid], compiled.efficacy[valid], np.array([p0, p1])
        )
        sizes = np.asarray(looks, dtype=float)
        for j, i in enumerate(valid):
            ended = stop_f[j] + stop_e[j]
            ended[:, -1] += consider[j]
            en = ended @ sizes
            rows.append(
                {
                    "go_prob": combos[i][0],
                    "nogo_prob": combos[i][1],
                    "alpha": float(stop_e[j, 0].sum()),
                    "power": float(stop_e[j, 1].sum()),
                    "nogo1": float(stop_f[j, 1].sum()),
                    "consider0": float(consider[j, 0]),
                    "consider1": float(consider[j, 1]),
                    "en0": float(en[0]),
                    "en1": float(en[1]),
                    "pet0": float(ended[0, :-1].sum()),
                }
            )
    columns = ["go_prob", "nogo_prob", "alpha", "power", "nogo1", "consider0", "consider1",
               "en0", "en1", "pet0"]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    table["feasible"] = (table["alpha"] <= alpha + _SLACK) & (table["nogo1"] <= beta + _SLACK)
    undecided = table["consider0"] + table["consider1"]
    by = ["_undecided", "en0"] if criterion == "consider" else ["en0", "_undecided"]
    # equal OC (the same table): the stricter thresholds, as a protocol would state them
    table = (
        table.assign(_undecided=undecided)
        .sort_values(
            ["feasible", *by, "go_prob", "nogo_prob"],
            ascending=[False, True, True, False, False],
            kind="stable",
        )
        .drop(columns=["_undecided"])
        .reset_index(drop=True)
    )
    grids = {
        "targets": {"p0": p0, "p1": p1, "alpha": alpha, "beta": beta},
        "criterion": criterion,
        "go": list(go_grid),
        "nogo": list(nogo_grid),
        "go_condition": go_condition,
        "nogo_condition": nogo_condition,
        "rule": rule.to_dict(),
        "looks": list(looks),
        "futility_on": _list(futility_on),
        "efficacy_on": _list(efficacy_on),
    }
    design = None
    best = _best_feasible(table)
    if best is not None:
        chosen = with_thresholds(
            rule,
            go=(go_condition, float(best["go_prob"])),
            nogo=(nogo_condition, float(best["nogo_prob"])),
        )
        design = BayesianDesign(chosen, looks, _tuple(futility_on), _tuple(efficacy_on))
    return CalibrationResult("dual", design, table, grids, len(rules) - int(valid.size))


# ---------------------------------------------------------------- internals
def _evaluate(
    rules: list[Rule],
    keys: list[dict[str, Any]],
    looks: tuple[int, ...],
    rates: np.ndarray,
    futility_on: Switches,
    efficacy_on: Switches,
) -> tuple[list[dict[str, Any]], int]:
    """Compile the rules (the one compile path), then exact OC at (p0, p1) of the valid ones."""
    compiled = compile_rules(rules, looks, futility_on, efficacy_on)
    valid = np.flatnonzero(compiled.valid)
    rows: list[dict[str, Any]] = []
    if valid.size:
        stop_f, stop_e = batch_stopping_probabilities(
            looks, compiled.futility[valid], compiled.efficacy[valid], rates
        )
        for j, i in enumerate(valid):
            rows.append(keys[i] | _oc_row(looks, stop_f[j], stop_e[j]))
    return rows, len(rules) - int(valid.size)


def _predictive_looks(n_max: int, first_look: int, every: int) -> tuple[int, ...]:
    """Looks from ``first_look`` every ``every`` patients to N (only N if N <= first_look)."""
    return look_schedule(n_max, every=every, first=first_look) if first_look < n_max else (n_max,)


def _check_switches(
    looks: tuple[int, ...], futility_on: Switches, efficacy_on: Switches, varying: str | None
) -> None:
    for name, values in (("futility_on", futility_on), ("efficacy_on", efficacy_on)):
        if values is not None and len(values) != len(looks):
            why = f" (this calibration {varying}, so the schedule changes)" if varying else ""
            raise InputError(
                name, f"needs one true/false per look: {len(looks)} looks at N = {looks[-1]}{why}"
            )


def _tuple(values: Switches) -> tuple[bool, ...] | None:
    return None if values is None else tuple(bool(v) for v in values)


def _list(values: Switches) -> list[bool] | None:
    return None if values is None else [bool(v) for v in values]


def criterion_words(method: str, criterion: str, targets: dict[str, Any]) -> str:
    """What a calibration chooses, in words, with its targets' values.

    ``method``: "predictive" or "bop2"; ``criterion`` as in :func:`calibrate_predictive`
    and :func:`calibrate_bop2`; ``targets`` holds ``alpha`` and ``beta``.
    """
    alpha, beta = targets.get("alpha"), targets.get("beta")
    if method == "dual":
        limits = (
            f"a false-GO rate P(GO | p0) of at most {alpha:g} and a false-NO-GO rate "
            f"P(NO-GO | p1) of at most {beta:g}"
        )
        if criterion == "en0":
            return f"the smallest E[N | p0] among designs with {limits}; ties: less CONSIDER"
        return (
            f"the most decisive design (least P(CONSIDER | p0) + P(CONSIDER | p1)) among "
            f"designs with {limits}; ties: the smaller E[N | p0]"
        )
    size = f"a type I error P(GO | p0) of at most {alpha:g}"
    if method == "bop2_endpoints":
        size = f"a type I error (the largest P(GO) over the null scenarios) of at most {alpha:g}"
    both = size + (f" and a power P(GO | p1) of at least {1 - beta:g}" if beta is not None else "")
    if criterion == "power":
        return (
            f"the most powerful design (highest P(GO | p1)) among those with {size}; "
            "ties: the smaller expected sample size E[N | p0]"
        )
    if criterion == "n_then_en0":
        return (
            f"the smallest maximum sample size N, then the smallest E[N | p0], among designs "
            f"with {both}"
        )
    ties = "the smaller N, then the higher power" if method == "predictive" else "higher power"
    return f"the smallest expected sample size E[N | p0] among designs with {both}; ties: {ties}"


def bop2_targets(
    alpha: float, criterion: str, beta: float | None
) -> tuple[float, str, float | None]:
    """A BOP2 search's checked alpha, criterion and beta (required by ``en0``)."""
    alpha = open_probability("alpha", alpha)
    criterion = _criterion(criterion, BOP2_CRITERIA)
    if criterion == "en0":
        if beta is None:
            raise InputError("beta", "is required by the criterion 'en0' (power >= 1 - beta)")
        beta = open_probability("beta", beta)
    return alpha, criterion, beta


def _criterion(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise InputError("criterion", f"must be one of {', '.join(allowed)} (got {value!r})")
    return value


def _check_size(count: int) -> None:
    if count > GRID_LIMIT:
        raise InputError(
            "calibration",
            f"the grids make {count:,} candidate designs; at most {GRID_LIMIT:,} are allowed",
        )


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
