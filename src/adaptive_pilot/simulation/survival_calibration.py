"""Calibrating a time-to-event design's final threshold by simulation.

A design monitoring PFS against a goal has no boundary table, so its type I error comes
from simulation. For each candidate final threshold (``success``; the interim looks'
predictive probabilities use it too) the trial is simulated with every cohort at the
goal (the null) and at the target (the alternative), with the same seed for every
candidate (common random numbers: the candidates differ only by the threshold). The
calibrated threshold is the smallest (the most powerful) whose estimated P(GO) under the
null is at most alpha in every cohort; its MCSE is reported beside it.

With borrowing between cohorts, a cohort at the goal may be pulled up by cohorts above
it: the design's scenarios where some cohorts are at (or below) the goal and others
above it (mixed nulls) are simulated too, and a cohort's P(GO) in a scenario where its
own truth is at or below the goal counts as a false GO like the global null's.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..cohorts.survival_borrowing import SurvivalModelAveraging
from ..cohorts.trial import Accrual
from ..errors import InputError
from ..provenance import Provenance
from ..results import ResultMixin, Summary, Table, records
from .progress import stderr_line
from .survival_monitoring import (
    SurvivalMonitoringCohort,
    SurvivalMonitoringScenario,
    simulate_survival_monitoring,
)
from .workers import run_provenance

__all__ = ["SurvivalCalibration", "calibrate_survival"]


@dataclass(frozen=True)
class SurvivalCalibration(ResultMixin):
    """P(GO) under the null and the alternative for each candidate final threshold.

    ``frame``: success, p_go_null (the largest over cohorts), its MCSE, p_go_alt (the
    smallest over cohorts), its MCSE, en_null, en_alt, feasible. ``chosen``: the
    calibrated threshold (None when no candidate is feasible).
    """

    frame: pd.DataFrame
    chosen: float | None
    alpha: float
    beta: float
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """One row per candidate threshold."""
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the candidates, the choice, provenance."""
        return {
            "candidates": records(self.frame),
            "chosen": self.chosen,
            "alpha": self.alpha,
            "beta": self.beta,
            "provenance": self.provenance.to_dict(),
        }

    def record(self) -> dict[str, Any]:
        """What ``calibrate --write`` keeps in the design file."""
        row = self.frame[self.frame["success"] == self.chosen]
        out: dict[str, Any] = {
            "grid": [float(v) for v in self.frame["success"]],
            "n_trials": self.provenance.n_trials,
            "seed": self.provenance.seed,
            "imputations": self.provenance.details["imputations"],
        }
        if not row.empty:
            for key in ("p_go_null", "p_go_null_mcse", "p_go_alt", "p_go_alt_mcse"):
                out[key] = round(float(row[key].iloc[0]), 4)
        return out

    def summary(self) -> Summary:
        """The candidates and the choice."""
        prov = self.provenance
        chosen = (
            f"Calibrated final threshold: {self.chosen:g} (the smallest with P(GO) <= "
            f"{self.alpha:g} in every cohort at the goal)"
            if self.chosen is not None
            else f"No candidate keeps P(GO) <= {self.alpha:g} at the goal: widen the grid"
        )
        notes = []
        if self.chosen is not None and self.chosen == float(self.frame["success"].min()):
            notes.append(
                "The smallest candidate is feasible: a lower threshold may be too; extend the "
                "grid down to be sure of the most powerful one."
            )
        row = self.frame[self.frame["success"] == self.chosen]
        if not row.empty and float(row["p_go_alt"].iloc[0]) < 1 - self.beta:
            notes.append(
                f"The calibrated design's P(GO) at the target is below 1 - beta = "
                f"{1 - self.beta:g}: more patients or a different futility rule are needed."
            )
        notes.append(
            "P(GO) at the goal is the largest estimate over cohorts (slightly conservative: the "
            "largest of noisy estimates); compare it with its MCSE."
        )
        return Summary(
            "Calibration of a time-to-event design's final threshold (simulated)",
            header=(
                f"{prov.n_trials:,} trials per candidate and scenario, seed {prov.seed} for every "
                f"candidate (common random numbers), {prov.details['imputations']} imputations "
                "per predictive probability; null: every cohort at the goal"
                + (
                    f" and the mixed nulls ({', '.join(prov.details['mixed_nulls'])})"
                    if prov.details.get("mixed_nulls")
                    else ""
                )
                + "; alternative: every cohort at the target",
                chosen,
            ),
            tables=(
                Table(
                    self.frame,
                    title="Candidates (P(GO) at the goal: the largest over cohorts and null "
                    "scenarios; at the target: the smallest)",
                    errors={"p_go_null": "p_go_null_mcse", "p_go_alt": "p_go_alt_mcse"},
                ),
            ),
            notes=tuple(notes),
            provenance=prov,
        )


def _with_success(cohort: SurvivalMonitoringCohort, success: float) -> SurvivalMonitoringCohort:
    rule = dataclasses.replace(cohort.design.rule, success=success)
    return dataclasses.replace(cohort, design=dataclasses.replace(cohort.design, rule=rule))


def calibrate_survival(
    cohorts: Sequence[SurvivalMonitoringCohort],
    accrual: Accrual,
    null: SurvivalMonitoringScenario,
    alternative: SurvivalMonitoringScenario,
    grid: Sequence[float],
    *,
    alpha: float,
    beta: float,
    n_trials: int,
    seed: int,
    imputations: int | None = None,
    borrowing: SurvivalModelAveraging | None = None,
    mixed: Sequence[SurvivalMonitoringScenario] = (),
    design_hash: str = "",
    n_jobs: int = 1,
    progress: bool | None = None,
    log: Callable[[str], None] = stderr_line,
) -> SurvivalCalibration:
    """Simulate each candidate final threshold under the null and the alternative.

    Parameters
    ----------
    cohorts, accrual
        The trial (each cohort's design; only its ``success`` changes).
    null, alternative : SurvivalMonitoringScenario
        Every cohort at the goal, and at the target.
    grid : sequence of float
        Candidate final thresholds, each in (0, 1).
    alpha, beta : float
        The error targets: feasible if P(GO | null) <= alpha in every cohort; the report
        flags a chosen design whose power is below 1 - beta.
    mixed : sequence of SurvivalMonitoringScenario
        Mixed nulls (with borrowing): a cohort whose true S(landmark) is at or below its
        goal in one of them adds a false-GO rate to the check.
    n_trials, seed, imputations, borrowing, design_hash, n_jobs, progress, log
        As in :func:`~adaptive_pilot.simulation.survival_monitoring.simulate_survival_monitoring`.
    """
    started = time.perf_counter()
    values = sorted({float(v) for v in grid})
    if not values or any(not 0 < v < 1 for v in values):
        raise InputError("calibration.success", "must list thresholds between 0 and 1")
    rows = []
    for k, success in enumerate(values):
        if progress is not False:
            log(f"calibrating: threshold {success:g} ({k + 1} of {len(values)})")
        candidate = [
            dataclasses.replace(
                c,
                design=dataclasses.replace(
                    c.design, rule=dataclasses.replace(c.design.rule, success=success)
                ),
            )
            for c in cohorts
        ]
        model = (
            None
            if borrowing is None
            else dataclasses.replace(borrowing, rule=candidate[0].design.rule)
        )
        result = simulate_survival_monitoring(
            candidate, accrual, [null, alternative, *mixed], n_trials, seed,
            imputations=imputations, borrowing=model, design_hash=design_hash, n_jobs=n_jobs,
            progress=False,
        )  # fmt: skip
        goal = cohorts[0].design.rule.goal
        false_go = [
            (result.estimate(s.name, c.name, "p_go"), s.name)
            for s in (null, *mixed)
            for c, truth in zip(cohorts, s.survival_at(cohorts[0].design.landmark), strict=True)
            if truth <= goal + 1e-12
        ]
        worst_null = max(false_go, key=lambda item: item[0][0])
        alt_go = [result.estimate(alternative.name, c.name, "p_go") for c in cohorts]
        weakest = min(range(len(cohorts)), key=lambda j: alt_go[j][0])
        rows.append(
            {
                "success": success,
                "p_go_null": worst_null[0][0],
                "p_go_null_mcse": worst_null[0][1],
                **({"worst_null_scenario": worst_null[1]} if mixed else {}),
                "p_go_alt": alt_go[weakest][0],
                "p_go_alt_mcse": alt_go[weakest][1],
                "en_null": float(
                    np.mean([result.estimate(null.name, c.name, "en")[0] for c in cohorts])
                ),
                "en_alt": float(
                    np.mean([result.estimate(alternative.name, c.name, "en")[0] for c in cohorts])
                ),
                "feasible": worst_null[0][0] <= alpha,
            }
        )
    frame = pd.DataFrame(rows)
    feasible = frame[frame["feasible"]]
    chosen = None if feasible.empty else float(feasible["success"].min())
    used = imputations or cohorts[0].design.rule.imputations
    provenance = run_provenance(
        design_hash, seed, n_trials,
        "each candidate threshold simulated under the goal, the target (and the mixed nulls) "
        "with the same seed (common random numbers)",
        started=started, n_jobs=n_jobs, imputations=int(used),
        analysis="independent" if borrowing is None else borrowing.describe(),
        mixed_nulls=[m.name for m in mixed],
    )  # fmt: skip
    return SurvivalCalibration(frame, chosen, alpha, beta, provenance)
