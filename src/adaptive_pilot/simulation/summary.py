"""Chunk statistics (additive, checkpointable) and simulation results with Monte Carlo SEs.

Each chunk is reduced to counts, histograms of sample size and sums of durations.
Chunks are combined in chunk order, so every figure is identical for any number of
workers. Monte Carlo standard errors:

* a proportion p from n trials: sqrt(p (1 - p) / n);
* a mean: the sample standard deviation / sqrt(n);
* a sample-size quantile Q(q): (Q(q + s) - Q(q - s)) / 2 with s = sqrt(q (1 - q) / n),
  the half-width of the distribution-free interval at one standard error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from ..cohorts.trial import TrialDesign
from ..glossary import label
from ..provenance import Provenance
from ..results import ResultMixin, Summary, Table, json_safe, records
from .kernel import (
    EFFICACY,
    FUTILITY,
    GO,
    GO_CODES,
    INCOMPLETE,
    INCOMPLETE_GO,
    NOGO,
    OUTCOMES,
    TOXICITY,
    TrialOutcomes,
)
from .scenarios import Scenario

__all__ = ["SimulationResult", "chunk_statistics", "combine"]

QUANTILES = (0.1, 0.5, 0.9)
ALL = "ALL"


def chunk_statistics(
    trial: TrialDesign, scenario: Scenario, outcomes: TrialOutcomes
) -> dict[str, np.ndarray]:
    """Reduce one chunk's per-trial outcomes to additive statistics."""
    code, enrolled, end = outcomes.code, outcomes.enrolled, outcomes.end_time
    size = code.shape[0]
    stats: dict[str, np.ndarray] = {"trials": np.array([size], dtype=np.int64)}
    go = np.isin(code, GO_CODES)
    for j, cohort in enumerate(trial.cohorts):
        stats[f"outcomes/{j}"] = np.bincount(code[:, j], minlength=len(OUTCOMES)).astype(np.int64)
        stats[f"n_hist/{j}"] = np.bincount(enrolled[:, j], minlength=cohort.n_max + 1).astype(
            np.int64
        )
        stats[f"time/{j}"] = np.array([end[:, j].sum(), np.square(end[:, j]).sum()])
    null = np.array([scenario.response[j] <= c.p0 for j, c in enumerate(trial.cohorts)])
    total = enrolled.sum(axis=1)
    duration = end.max(axis=1)
    n_total_max = sum(c.n_max for c in trial.cohorts)
    stats["any_go"] = np.array([go.any(axis=1).sum()], dtype=np.int64)
    stats["false_go"] = np.array([go[:, null].any(axis=1).sum()], dtype=np.int64)
    stats["n_hist/all"] = np.bincount(total, minlength=n_total_max + 1).astype(np.int64)
    stats["time/all"] = np.array([duration.sum(), np.square(duration).sum()])
    return stats


def combine(chunks: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Add chunk statistics in the given (chunk) order."""
    out = {key: value.copy() for key, value in chunks[0].items()}
    for chunk in chunks[1:]:
        for key, value in chunk.items():
            out[key] = out[key] + value
    return out


@dataclass(frozen=True)
class SimulationResult(ResultMixin):
    """Simulated operating characteristics per scenario and cohort, with MCSEs.

    Attributes
    ----------
    frame : DataFrame
        Tidy: scenario, cohort ("ALL" for trial-level rows), metric, estimate, mcse.
    provenance : Provenance
        Method "monte carlo", seed, n_trials, the trial's design hash; details:
        chunking, scenario hash, numpy version, backend, wall time.
    trial, scenarios
        What was simulated.
    analysis : str
        "independent" or "hierarchical borrowing".
    """

    frame: pd.DataFrame
    provenance: Provenance
    trial: TrialDesign
    scenarios: tuple[Scenario, ...]
    analysis: str = "independent"

    def to_frame(self) -> pd.DataFrame:
        """The tidy results table."""
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``results`` rows, the trial, the scenarios and ``provenance``."""
        return {
            "results": records(self.frame),
            "analysis": self.analysis,
            "design": json_safe(self.trial.to_dict()),
            "scenarios": [json_safe(s.to_dict(self.trial.cohort_names)) for s in self.scenarios],
            "provenance": self.provenance.to_dict(),
        }

    def worst_false_go(self) -> pd.DataFrame:
        """Per cohort: the largest P(GO) over the scenarios where its rate is <= its p0.

        Columns: cohort, scenario (the worst), estimate, mcse, null_scenarios
        (how many scenarios have the cohort null). Cohorts never null are left out.
        """
        return _worst_false_go(self)

    def summary(self) -> Summary:
        """One table per scenario: estimates with MCSE per cohort, then the trial-level line."""
        metrics = set(self.frame["metric"])
        columns = ["p_go", "p_early_futility"]
        if self.frame.loc[self.frame["metric"] == "p_early_efficacy", "estimate"].any():
            columns.append("p_early_efficacy")
        columns += [
            m for m in ("p_stop_toxicity", "p_incomplete", "p_go_incomplete") if m in metrics
        ]
        columns += ["en", "duration"]
        digits = {"en": 1, "duration": 1}
        quantiles = [f"n_q{round(100 * q)}" for q in QUANTILES]
        tables = []
        notes = []
        for scenario in self.scenarios:
            sub = self.frame[self.frame["scenario"] == scenario.name]
            est = sub.pivot_table(index="cohort", columns="metric", values="estimate")
            se = sub.pivot_table(index="cohort", columns="metric", values="mcse")

            def cell(cohort: str, metric: str, est: Any = est, se: Any = se) -> str:
                return _with_se(
                    est.loc[cohort, metric], se.loc[cohort, metric], digits.get(metric, 3)
                )

            rows = []
            for j, name in enumerate(self.trial.cohort_names):
                row: dict[str, Any] = {"cohort": name, "p": scenario.response[j]}
                row |= {label(m): cell(name, m) for m in columns}
                row["N 10/50/90%"] = "/".join(
                    f"{cast(float, est.loc[name, q]):.0f}" for q in quantiles
                )
                rows.append(row)
            title = f"Scenario: {scenario.name}"
            if scenario.description:
                title += f" ({scenario.description})"
            bits = [f"P(at least one GO) {cell(ALL, 'p_any_go')}"]
            if "fwer" in est.columns and not math.isnan(cast(float, est.loc[ALL, "fwer"])):
                bits.append(f"P(any false GO) {cell(ALL, 'fwer')}")
            bits.append(f"E[total N] {cell(ALL, 'en')}")
            bits.append(f"E[duration] {cell(ALL, 'duration')} months")
            tables.append(Table(pd.DataFrame(rows), title=f"{title}. Trial: " + "; ".join(bits)))
        worst = self.worst_false_go()
        if not worst.empty:
            worst_rows = [
                {
                    "cohort": row["cohort"],
                    "null in": f"{row['null_scenarios']} scenario"
                    + ("s" if row["null_scenarios"] > 1 else ""),
                    "worst scenario": row["scenario"],
                    "P(false GO)": _with_se(row["estimate"], row["mcse"], 3),
                }
                for row in worst.to_dict("records")
            ]
            tables.append(
                Table(
                    pd.DataFrame(worst_rows),
                    title="Each cohort's largest P(false GO) over the scenarios where its rate "
                    "is at most its p0",
                )
            )
        notes.append(
            "Monte Carlo standard errors in parentheses; GO includes early efficacy stops"
            + (
                " and GO at the n reached when enrolment closed."
                if "p_go_incomplete" in metrics
                else "."
            )
        )
        return Summary(
            "Simulated operating characteristics",
            header=(
                f"{self.provenance.n_trials:,} trials per scenario, seed {self.provenance.seed}, "
                f"analysis: {self.analysis}",
            ),
            tables=tuple(tables),
            notes=tuple(notes),
            provenance=self.provenance,
        )


def p_go_by_scenario(result: SimulationResult) -> dict[tuple[str, str], tuple[float, float]]:
    """(scenario, cohort) -> (P(GO), its MCSE)."""
    rows = result.frame[result.frame["metric"] == "p_go"].to_dict("records")
    return {
        (str(r["scenario"]), str(r["cohort"])): (float(r["estimate"]), float(r["mcse"]))
        for r in rows
    }


def _worst_false_go(result: SimulationResult) -> pd.DataFrame:
    go = p_go_by_scenario(result)
    rows = []
    for j, cohort in enumerate(result.trial.cohorts):
        nulls = [s.name for s in result.scenarios if s.response[j] <= cohort.p0]
        if not nulls:
            continue
        worst = max(nulls, key=lambda name: go[(name, cohort.name)][0])
        rows.append((cohort.name, worst, *go[(worst, cohort.name)], len(nulls)))
    columns = ["cohort", "scenario", "estimate", "mcse", "null_scenarios"]
    return pd.DataFrame(rows, columns=columns)


def result_frame(
    trial: TrialDesign, scenarios: list[Scenario], totals: list[dict[str, np.ndarray]]
) -> pd.DataFrame:
    """Tidy rows of estimates and MCSEs from combined statistics (one dict per scenario)."""
    rows: list[tuple[str, str, str, float, float]] = []
    for scenario, stats in zip(scenarios, totals, strict=True):
        n = int(stats["trials"][0])

        def add(cohort: str, metric: str, estimate: float, mcse: float) -> None:
            rows.append((scenario.name, cohort, metric, float(estimate), float(mcse)))  # noqa: B023

        for j, cohort in enumerate(trial.cohorts):
            counts = stats[f"outcomes/{j}"]
            go = counts[GO] + counts[EFFICACY] + counts[INCOMPLETE_GO]
            add(cohort.name, "p_go", *_proportion(go, n))
            add(cohort.name, "p_early_futility", *_proportion(counts[FUTILITY], n))
            add(cohort.name, "p_early_efficacy", *_proportion(counts[EFFICACY], n))
            add(cohort.name, "p_nogo_final", *_proportion(counts[NOGO], n))
            if cohort.toxicity is not None:
                add(cohort.name, "p_stop_toxicity", *_proportion(counts[TOXICITY], n))
            if trial.accrual.max_duration is not None:
                incomplete = counts[INCOMPLETE] + counts[INCOMPLETE_GO]
                add(cohort.name, "p_incomplete", *_proportion(incomplete, n))
                if trial.accrual.incomplete == "analyse":
                    add(cohort.name, "p_go_incomplete", *_proportion(counts[INCOMPLETE_GO], n))
            _distribution_rows(add, cohort.name, stats[f"n_hist/{j}"], stats[f"time/{j}"], n)
        add(ALL, "p_any_go", *_proportion(stats["any_go"][0], n))
        if any(scenario.response[j] <= c.p0 for j, c in enumerate(trial.cohorts)):
            add(ALL, "fwer", *_proportion(stats["false_go"][0], n))
        _distribution_rows(add, ALL, stats["n_hist/all"], stats["time/all"], n)
    return pd.DataFrame(rows, columns=["scenario", "cohort", "metric", "estimate", "mcse"])


def _distribution_rows(add: Any, cohort: str, hist: np.ndarray, time: np.ndarray, n: int) -> None:
    values = np.arange(hist.size)
    mean = float(hist @ values) / n
    second = float(hist @ values.astype(float) ** 2) / n
    add(cohort, "en", mean, _mean_se(mean, second, n))
    t_mean = time[0] / n
    add(cohort, "duration", t_mean, _mean_se(t_mean, time[1] / n, n))
    cdf = np.cumsum(hist) / n
    for q in QUANTILES:
        s = math.sqrt(q * (1 - q) / n)
        lo, mid, hi = (_quantile(cdf, v) for v in (max(q - s, 0.0), q, min(q + s, 1.0)))
        add(cohort, f"n_q{round(100 * q)}", mid, (hi - lo) / 2)


def _quantile(cdf: np.ndarray, q: float) -> float:
    return float(np.searchsorted(cdf, q - 1e-12, side="left"))


def _proportion(count: float, n: int) -> tuple[float, float]:
    p = float(count) / n
    return p, math.sqrt(p * (1 - p) / n)


def _mean_se(mean: float, second: float, n: int) -> float:
    if n < 2:
        return math.nan
    var = max(second - mean * mean, 0.0) * n / (n - 1)
    return math.sqrt(var / n)


def _with_se(estimate: float, mcse: float, digits: int) -> str:
    return f"{estimate:.{digits}f} ({mcse:.{digits}f})"
