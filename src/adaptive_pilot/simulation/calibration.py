"""Calibration of a hierarchical-borrowing trial by simulation, per cohort.

Borrowing moves a null cohort towards the others, so its P(false GO) depends on
where the other cohorts are. The search therefore simulates, on common random
numbers, the scenarios where a cohort's error is at stake and those where power
is:

* null scenarios: the global null (every cohort at its p0); for each cohort j,
  j at p0 with every other cohort at its p1 ("mixed null, others at p1"), and
  with every other cohort midway, (p0 + p1) / 2;
* alternative scenarios: the global alternative (every cohort at p1) and, for
  each cohort j, j at p1 with the others at p0.

Toxicity is not simulated (no toxicity stops): the calibration is of the
efficacy thresholds.

For each interim futility threshold f on its grid the trials are simulated once.
A decision at a cohort's final analysis changes nothing else in the trial (all
its patients are known by then), so P(GO) for every GO threshold g on its grid
is read from the same trials: P(early efficacy) + P(q_final >= g), where q_final
is P(p_j > p0_j | all data) at the final analysis. P(GO) is thus monotone in g
on the simulated trials, and for each f the smallest feasible g (common, or per
cohort) is the most powerful. Feasible: each cohort's P(false GO) <= alpha under
the global null (``control="global_null"``) or under every null scenario
(``"all_nulls"``). Among feasible designs the one with the highest average power
is chosen, the mean of P(GO) over every (alternative scenario, active cohort)
pair; ties go to the smaller expected total N under the global null, then to the
larger f and the smaller g. With ``power_tolerance`` t > 0, every feasible design
whose average power is within t of the best counts as tied, so the one that
stops null trials earliest (smallest E[total N] under the global null) wins:
futility stops always cost some power, and without a tolerance the search
would drop them for the last thousandth of it.

Reproducibility is the simulator's: chunk i uses the i-th child of
``SeedSequence(seed)`` and the same draws serve every grid point and scenario;
the statistics are integer counts added in chunk order, so the result is
bit-identical for any ``n_jobs``. The chosen design is simulated again on the
same seed (``check``); its P(GO) equal the grid's exactly.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..cohorts.tables import PosteriorTables
from ..cohorts.trial import TrialDesign, posterior_tables
from ..errors import InputError
from ..provenance import Provenance
from ..results import ResultMixin, Summary, Table, json_safe, records
from .kernel import draw, run_trials
from .outcomes import EFFICACY
from .progress import Progress, progress_reporter, stderr_line
from .runner import CHUNK_SIZE, simulate
from .scenarios import Scenario
from .summary import SimulationResult, p_go_by_scenario
from .workers import run_jobs

__all__ = ["BorrowingCalibration", "calibrate_borrowing", "calibration_scenarios"]

NULL, ALTERNATIVE = "null", "alternative"


def calibration_scenarios(
    names: Sequence[str], p0: Sequence[float], p1: Sequence[float]
) -> list[tuple[Scenario, str]]:
    """The null and alternative scenarios of the calibration, each with its role."""
    p0a, p1a = np.asarray(p0, dtype=float), np.asarray(p1, dtype=float)
    midway = (p0a + p1a) / 2
    out = [(Scenario("global-null", p0a.copy(), None, "every cohort at its p0"), NULL)]
    for j, name in enumerate(names):
        for others, word in ((p1a, "p1"), (midway, "midway")):
            rates = others.copy()
            rates[j] = p0a[j]
            description = f"{name} at p0, the others at {word}"
            out.append((Scenario(f"{name}-null-others-{word}", rates, None, description), NULL))
    out.append(
        (Scenario("global-alternative", p1a.copy(), None, "every cohort at its p1"), ALTERNATIVE)
    )
    for j, name in enumerate(names):
        rates = p0a.copy()
        rates[j] = p1a[j]
        description = f"{name} at p1, the others at p0"
        out.append((Scenario(f"{name}-alone-active", rates, None, description), ALTERNATIVE))
    return out


@dataclass(frozen=True)
class BorrowingCalibration(ResultMixin):
    """The calibrated thresholds, the grid they were chosen on, and their check.

    Attributes
    ----------
    futility : float or None
        The chosen interim futility threshold (None: the file's thresholds kept).
    go : tuple of float
        The chosen GO threshold per cohort (all equal unless ``go_per_cohort``).
    grid : DataFrame
        One row per (futility, go) grid point (with ``go_per_cohort``, per
        futility value and the smallest feasible threshold of each cohort):
        feasibility, average power, worst per-cohort false GO under the control
        and over every null scenario, E[total N] under the global null.
    errors : DataFrame
        The chosen design per cohort: P(false GO) under the global null, the
        worst null scenario and its P(false GO), power alone and under the
        global alternative, each with its MCSE.
    check : SimulationResult
        The chosen design simulated on the calibration scenarios (same seed).
    """

    futility: float | None
    go: tuple[float, ...]
    grid: pd.DataFrame
    errors: pd.DataFrame
    check: SimulationResult
    settings: dict[str, Any]
    provenance: Provenance

    @property
    def trial(self) -> TrialDesign:
        """The calibrated trial."""
        return self.check.trial

    def to_frame(self) -> pd.DataFrame:
        """The chosen design's per-cohort errors and power."""
        return self.errors.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the choice, the per-cohort errors, the grid and the provenance."""
        return {
            "futility": self.futility,
            "go": list(self.go),
            "errors": records(self.errors),
            "grid": records(self.grid),
            "settings": json_safe(self.settings),
            "provenance": self.provenance.to_dict(),
        }

    def record(self) -> dict[str, Any]:
        """What the design file keeps of the calibration (``borrowing.calibrated``)."""

        def pair(row: Mapping[Any, Any], name: str) -> dict[str, float]:
            estimate, mcse = float(row[name]), float(row[f"{name}_mcse"])
            return {"estimate": round(estimate, 5), "mcse": round(mcse, 5)}

        per_cohort = {}
        for row in self.errors.to_dict("records"):
            per_cohort[str(row["cohort"])] = {
                "go": float(row["go"]),
                "false_go_global_null": pair(row, "false_go_global_null"),
                "worst_null_scenario": str(row["worst_null_scenario"]),
                "false_go_worst_null": pair(row, "false_go_worst_null"),
                "power_alone": pair(row, "power_alone"),
                "power_global_alternative": pair(row, "power_global_alternative"),
            }
        return json_safe(
            {
                "by": "adaptive-pilot calibrate --borrowing",
                "futility": self.futility,
                "go": list(self.go) if self.settings["go_per_cohort"] else self.go[0],
                "per_cohort": per_cohort,
                "grids": {
                    "go": _compact(self.settings["go_grid"]),
                    "futility": None
                    if self.settings["futility_grid"] is None
                    else _compact(self.settings["futility_grid"]),
                },
                "control": self.settings["control"],
                "alpha": self.settings["alpha"],
                "power_tolerance": self.settings["power_tolerance"],
                "mcse": "sqrt(p (1 - p) / n_trials) for each probability",
                "provenance": self.provenance.to_dict(),
            }
        )

    def summary(self, top: int = 10) -> Summary:
        """The choice, each cohort's errors (estimate and MCSE), and the best grid points."""
        s = self.settings
        go_words = (
            ", ".join(
                f"{name} {g:g}" for name, g in zip(self.trial.cohort_names, self.go, strict=True)
            )
            if s["go_per_cohort"]
            else f"{self.go[0]:g} (all cohorts)"
        )
        futility = "as in the file" if self.futility is None else f"{self.futility:g}"
        control = "the global null" if s["control"] == "global_null" else "every null scenario"
        header = (
            f"Chosen: interim futility threshold {futility}; GO threshold {go_words}.",
            f"Constraint: each cohort's P(false GO) <= {s['alpha']:g} under {control}; "
            "objective: the mean P(GO) over every (alternative scenario, active cohort) pair"
            + (
                f", with designs within {s['power_tolerance']:g} of the best taken as tied "
                "and the smallest E[total N] under the global null chosen among them."
                if s["power_tolerance"] > 0
                else "."
            ),
            f"{self.provenance.n_trials:,} simulated trials per scenario and grid point "
            f"(common random numbers), seed {self.provenance.seed}; "
            f"{len(s['futility_grid'] or [None])} futility x {len(s['go_grid'])} GO thresholds.",
        )
        probabilities = ["false_go_global_null", "false_go_worst_null", "power_alone",
                         "power_global_alternative"]  # fmt: skip
        tables = [
            Table(
                self.errors,
                title="Per-cohort error and power of the chosen design",
                formats={"go": "g"} | dict.fromkeys(probabilities, ".3f"),
                errors={name: f"{name}_mcse" for name in probabilities},
            )
        ]
        feasible = self.grid[self.grid["feasible"]].sort_values(
            ["average_power", "en_global_null"], ascending=[False, True]
        )
        if top and not feasible.empty:
            shown = feasible.head(top).copy()
            shown["futility"] = shown["futility"].map(
                lambda f: "as in the file" if math.isnan(f) else f"{f:g}"
            )
            shown["go"] = shown["go"].map(lambda g: g if isinstance(g, str) else f"{g:g}")
            columns = ["futility", "go", "average_power", "max_false_go_control",
                       "max_false_go_all_nulls", "en_global_null"]  # fmt: skip
            tables.append(
                Table(
                    shown[columns],
                    title=f"Best feasible grid points (of {int(self.grid['feasible'].sum())})",
                    formats={
                        "average_power": ".3f",
                        "max_false_go_control": ".3f",
                        "max_false_go_all_nulls": ".3f",
                        "en_global_null": ".1f",
                    },
                )
            )
        notes = [
            "Monte Carlo standard errors in parentheses, sqrt(p (1 - p) / n). Mixed nulls: one "
            "cohort at p0 while the others sit at their p1 or midway between p0 and p1. No "
            "toxicity stops are simulated."
        ]
        notes += self.edge_warnings()
        return Summary(
            "Calibration of the borrowing thresholds (simulated)",
            header=header,
            tables=tuple(tables),
            notes=tuple(notes),
            provenance=self.provenance,
        )

    def edge_warnings(self) -> list[str]:
        """Warnings when a chosen threshold is the last of its grid (the search may want more)."""
        s = self.settings
        out = []
        futility = s["futility_grid"]
        if futility and len(futility) > 1 and self.futility == max(futility):
            out.append(
                f"Warning: the chosen futility threshold {self.futility:g} is the largest on its "
                "grid; a larger one might also qualify: extend calibration.borrowing.futility."
            )
        go = s["go_grid"]
        if len(go) > 1 and min(self.go) == min(go):
            out.append(
                f"Warning: a chosen GO threshold ({min(self.go):g}) is the smallest on its grid; "
                "a smaller one might qualify: extend calibration.borrowing.go downwards."
            )
        return out


def _compact(values: list[float]) -> list[float] | dict[str, float]:
    """An evenly spaced grid as {from, to, by, points}; any other as its list."""
    if len(values) > 3:
        steps = np.diff(values)
        if np.allclose(steps, steps[0], rtol=0, atol=1e-9):
            return {
                "from": values[0],
                "to": values[-1],
                "by": round(float(steps[0]), 12),
                "points": len(values),
            }
    return list(values)


# ------------------------------------------------------------------ search
def calibrate_borrowing(
    trial: TrialDesign,
    p1: Sequence[float],
    *,
    go_grid: Sequence[float],
    futility_grid: Sequence[float] | None = None,
    go_per_cohort: bool = False,
    control: str = "global_null",
    alpha: float = 0.05,
    power_tolerance: float = 0.0,
    n_trials: int = 10_000,
    seed: int = 1,
    n_jobs: int = 1,
    chunk_size: int = CHUNK_SIZE,
    progress: bool | Progress | None = None,
    log: Callable[[str], None] = stderr_line,
) -> BorrowingCalibration:
    """Search the GO and interim futility thresholds of a borrowing trial (see module).

    Parameters
    ----------
    trial : TrialDesign
        A trial with hierarchical borrowing; its efficacy thresholds are kept.
    p1 : sequence of float
        Each cohort's target rate (the p0 are the cohorts').
    go_grid, futility_grid : sequence of float
        Thresholds tried; ``futility_grid`` None keeps the trial's futility
        thresholds. A futility threshold of 0 means no futility stop.
    go_per_cohort : bool
        One GO threshold per cohort instead of a common one.
    control : {"global_null", "all_nulls"}
        Where each cohort's P(false GO) must be at most ``alpha``.
    alpha : float
        The per-cohort false-GO limit.
    power_tolerance : float
        Average power within this of the best counts as a tie (broken by the
        smaller E[total N] under the global null).
    n_trials, seed, n_jobs, chunk_size, progress, log
        As for :func:`~adaptive_pilot.simulation.runner.simulate`.

    Returns
    -------
    BorrowingCalibration
    """
    started = time.perf_counter()
    borrowing = trial.borrowing
    if borrowing is None:
        raise InputError("borrowing.model", "the calibration needs hierarchical borrowing")
    go_values = _grid("calibration.borrowing.go", go_grid, low_open=True)
    fut_values = (
        None
        if futility_grid is None
        else _grid("calibration.borrowing.futility", futility_grid, low_open=False)
    )
    if control not in ("global_null", "all_nulls"):
        raise InputError("calibration.borrowing.control", "must be 'global_null' or 'all_nulls'")
    if not 0 < alpha < 1:
        raise InputError("calibration.borrowing.alpha", "must be between 0 and 1")
    if not 0 <= power_tolerance < 1:
        raise InputError("calibration.borrowing.power_tolerance", "must be in [0, 1)")
    p0 = [c.p0 for c in trial.cohorts]
    if len(p1) != len(p0) or any(not p0_j < p1_j < 1 for p0_j, p1_j in zip(p0, p1, strict=True)):
        raise InputError("hypotheses.p1", "each cohort needs p0 < p1 < 1")
    roles = calibration_scenarios(trial.cohort_names, p0, p1)
    scenarios = [s for s, _ in roles]
    futilities: list[float | None] = [None] if fut_values is None else list(fut_values)
    trials = [_with(trial, f, borrowing.go) for f in futilities]
    n_chunks = math.ceil(n_trials / chunk_size)
    sizes = [min(chunk_size, n_trials - i * chunk_size) for i in range(n_chunks)]
    tables = posterior_tables(trial)
    children = np.random.SeedSequence(int(seed)).spawn(n_chunks)
    reporter = progress_reporter(
        progress, n_chunks=n_chunks, total=n_trials, initial_chunks=0, initial=0, log=log
    )
    done: dict[int, dict[str, np.ndarray]] = {}
    jobs = [(i, children[i], sizes[i]) for i in range(n_chunks)]
    shared = (trials, scenarios, np.asarray(go_values), tables)
    for index, stats in run_jobs(_chunk, shared, jobs, n_jobs, None):
        done[index] = stats
        reporter.update(sizes[index])
    reporter.close()
    go_counts = sum(done[i]["go"] for i in range(n_chunks))  # (F, S, J, G)
    enrolled = sum(done[i]["enrolled"] for i in range(n_chunks))  # (F, S)
    p_go = np.asarray(go_counts, dtype=float) / n_trials
    rates = np.array([s.response for s in scenarios])
    null = rates <= np.asarray(p0)[None, :]  # (S, J)
    is_control = np.array(
        [role == NULL and (control == "all_nulls" or i == 0) for i, (_, role) in enumerate(roles)]
    )
    active = (rates >= np.asarray(p1)[None, :]) & np.array(
        [role == ALTERNATIVE for _, role in roles]
    )[:, None]
    grid, choice = _search(
        p_go, null, is_control, active, np.asarray(enrolled) / n_trials, go_values, fut_values,
        go_per_cohort, alpha, power_tolerance,
    )  # fmt: skip
    if choice is None:
        raise InputError(
            "calibration.borrowing.go",
            f"no grid point keeps every cohort's P(false GO) <= {alpha:g}: "
            "extend the GO grid upwards",
        )
    f_index, go_chosen = choice
    chosen_futility = None if fut_values is None else fut_values[f_index]
    go_field: float | tuple[float, ...] = go_chosen if go_per_cohort else go_chosen[0]
    chosen = _with(trial, chosen_futility, go_field)
    check = simulate(
        chosen, scenarios, n_trials, seed, n_jobs=n_jobs, chunk_size=chunk_size, progress=False
    )
    errors = _errors(check, roles, p0, p1, go_chosen)
    settings = {
        "go_grid": list(go_values),
        "futility_grid": None if fut_values is None else list(fut_values),
        "go_per_cohort": go_per_cohort,
        "control": control,
        "alpha": alpha,
        "power_tolerance": power_tolerance,
        "p1": list(map(float, p1)),
        "scenarios": [s.to_dict(trial.cohort_names) | {"role": r} for s, r in roles],
    }
    details = {
        "chunk_size": chunk_size,
        "n_chunks": n_chunks,
        "n_jobs": n_jobs,
        "grid_points": len(go_values) * len(fut_values or [None]),
        "scenarios": len(scenarios),
        "wall_time_s": round(time.perf_counter() - started, 3),
    }
    provenance = Provenance(
        "monte carlo", trial.design_hash(), int(seed), n_trials, details=details
    )
    return BorrowingCalibration(
        chosen_futility, go_chosen, grid, errors, check, settings, provenance
    )


def _grid(field: str, values: Sequence[float], *, low_open: bool) -> list[float]:
    out = sorted({float(v) for v in values})
    if not out:
        raise InputError(field, "needs at least one threshold")
    low = "0 < threshold < 1" if low_open else "0 <= threshold < 1"
    for v in out:
        if not (math.isfinite(v) and (v > 0 if low_open else v >= 0) and v < 1):
            raise InputError(field, f"thresholds must satisfy {low} (got {v:g})")
    if len(out) > 1000:
        raise InputError(field, f"has {len(out)} thresholds; at most 1000 are allowed")
    return out


def _with(trial: TrialDesign, futility: float | None, go: float | tuple[float, ...]) -> TrialDesign:
    borrowing = trial.borrowing
    assert borrowing is not None
    fut = borrowing.futility if futility is None else (float(futility),) * len(borrowing.futility)
    # the GO threshold searched decides GO alone: a NO-GO threshold (CONSIDER zone) changes
    # no GO, so it is left out (it could not stay below every GO value on the grid)
    rule = dataclasses.replace(borrowing, futility=fut, go=go, nogo=None)
    return dataclasses.replace(trial, borrowing=rule)


def _chunk(
    trials: list[TrialDesign],
    scenarios: list[Scenario],
    go_grid: np.ndarray,
    tables: PosteriorTables,
    index: int,
    seed: np.random.SeedSequence,
    size: int,
) -> tuple[int, dict[str, np.ndarray]]:
    rng = np.random.Generator(np.random.PCG64(seed))
    draws = draw(trials[0], rng, size)
    n_cohorts = len(trials[0].cohorts)
    go = np.zeros((len(trials), len(scenarios), n_cohorts, go_grid.size), dtype=np.int64)
    enrolled = np.zeros((len(trials), len(scenarios)), dtype=np.int64)
    for f, trial in enumerate(trials):
        for s, scenario in enumerate(scenarios):
            out = run_trials(trial, draws, scenario.response, None, tables)
            early = (out.code == EFFICACY).sum(axis=0)
            with np.errstate(invalid="ignore"):
                # counts of q_final >= g for every g: sort once, then searchsorted
                q = np.sort(np.where(np.isnan(out.final_prob), -1.0, out.final_prob), axis=0)
            for j in range(n_cohorts):
                below = np.searchsorted(q[:, j], go_grid, side="left")
                go[f, s, j] = early[j] + (size - below)
            enrolled[f, s] = int(out.enrolled.sum())
    return index, {"go": go, "enrolled": enrolled}


def _search(
    p_go: np.ndarray,
    null: np.ndarray,
    is_control: np.ndarray,
    active: np.ndarray,
    mean_total: np.ndarray,
    go_values: list[float],
    fut_values: list[float] | None,
    go_per_cohort: bool,
    alpha: float,
    tolerance: float,
) -> tuple[pd.DataFrame, tuple[int, tuple[float, ...]] | None]:
    """Grid table and the chosen (futility index, GO per cohort)."""
    n_f, _, n_j, n_g = p_go.shape
    neg = np.where(null[None, :, :, None], p_go, -np.inf)  # false GO where the cohort is null
    err_control = np.max(np.where(is_control[None, :, None, None], neg, -np.inf), axis=1)
    err_all = np.max(neg, axis=1)  # (F, J, G)
    pairs = np.argwhere(active)  # (scenario, cohort)
    power = p_go[:, pairs[:, 0], pairs[:, 1], :]  # (F, P, G)
    en_null = mean_total[:, 0]
    rows: list[tuple[Any, ...]] = []
    candidates: list[tuple[float, int, tuple[float, ...]]] = []  # (power, f, go)
    for f in range(n_f):
        fut = math.nan if fut_values is None else fut_values[f]
        ok = err_control[f] <= alpha + 1e-12  # (J, G)
        if go_per_cohort:
            if not ok.any(axis=1).all():
                rows.append((fut, "none feasible", False, math.nan, math.nan, math.nan, en_null[f]))
                continue
            g_index = np.argmax(ok, axis=1)  # smallest feasible per cohort (P(GO) monotone)
            mean_power = float(np.mean(power[f, np.arange(pairs.shape[0]), g_index[pairs[:, 1]]]))
            worst_c = float(np.max(err_control[f, np.arange(n_j), g_index]))
            worst_a = float(np.max(err_all[f, np.arange(n_j), g_index]))
            go = tuple(go_values[g] for g in g_index)
            rows.append(
                (fut, "/".join(f"{g:g}" for g in go), True, mean_power, worst_c, worst_a,
                 en_null[f])
            )  # fmt: skip
            candidates.append((mean_power, f, go))
        else:
            for g in range(n_g):
                feasible = bool(ok[:, g].all())
                mean_power = float(np.mean(power[f, :, g]))
                rows.append(
                    (fut, go_values[g], feasible, mean_power, float(np.max(err_control[f, :, g])),
                     float(np.max(err_all[f, :, g])), en_null[f])
                )  # fmt: skip
                if feasible:
                    candidates.append((mean_power, f, (go_values[g],) * n_j))
    best = None
    if candidates:
        top = max(c[0] for c in candidates)
        tied = [c for c in candidates if c[0] >= top - tolerance - 1e-12]

        def key(c: tuple[float, int, tuple[float, ...]]) -> tuple[float, ...]:
            power_key = 0.0 if tolerance > 0 else c[0]
            fut = fut_values[c[1]] if fut_values is not None else 0.0
            return (power_key, -en_null[c[1]], c[0], fut, -max(c[2]))

        chosen = max(tied, key=key)
        best = (chosen[1], chosen[2])
    grid = pd.DataFrame(
        rows,
        columns=[
            "futility",
            "go",
            "feasible",
            "average_power",
            "max_false_go_control",
            "max_false_go_all_nulls",
            "en_global_null",
        ],
    )
    return grid, best


def _errors(
    check: SimulationResult,
    roles: list[tuple[Scenario, str]],
    p0: Sequence[float],
    p1: Sequence[float],
    go: tuple[float, ...],
) -> pd.DataFrame:
    p_go = p_go_by_scenario(check)
    rows = []
    for j, name in enumerate(check.trial.cohort_names):

        def value(scenario: str, name: str = name) -> tuple[float, float]:
            return p_go[(scenario, name)]

        nulls = [
            s.name for s, role in roles if role == NULL and check.trial.null_cohorts(s.response)[j]
        ]
        worst = max(nulls, key=lambda scenario: value(scenario)[0])
        rows.append(
            {
                "cohort": name,
                "go": go[j],
                "false_go_global_null": value("global-null")[0],
                "false_go_global_null_mcse": value("global-null")[1],
                "worst_null_scenario": worst,
                "false_go_worst_null": value(worst)[0],
                "false_go_worst_null_mcse": value(worst)[1],
                "power_alone": value(f"{name}-alone-active")[0],
                "power_alone_mcse": value(f"{name}-alone-active")[1],
                "power_global_alternative": value("global-alternative")[0],
                "power_global_alternative_mcse": value("global-alternative")[1],
            }
        )
    assert all(p1[j] > p0[j] for j in range(len(p0)))
    return pd.DataFrame(rows)
