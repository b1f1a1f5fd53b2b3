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
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from ..cohorts.trial import TrialDesign
from ..provenance import Provenance
from ..results import ResultMixin, Summary, Table, json_safe, records
from . import outcomes as ends
from .kernel import TrialOutcomes
from .scenarios import Scenario
from .survival import SurvivalOutcomes

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CohortMetrics", "SimulationResult", "chunk_statistics", "combine"]

QUANTILES = (0.1, 0.5, 0.9)
ALL = "ALL"


def chunk_statistics(
    trial: TrialDesign,
    scenario: Scenario,
    outcomes: TrialOutcomes,
    survival: SurvivalOutcomes | None = None,
    rates: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Reduce one chunk's per-trial outcomes to additive statistics.

    ``rates`` (B, J): the true rates of each trial when drawn from the design priors;
    a cohort is then null in a trial where its drawn rate is at most its p0, and the
    counts behind P(H0 | GO) and P(H1 | NO-GO) are kept.
    """
    code, enrolled, end = outcomes.code, outcomes.enrolled, outcomes.end_time
    size = code.shape[0]
    stats: dict[str, np.ndarray] = {"trials": np.array([size], dtype=np.int64)}
    go = np.isin(code, ends.GO_CODES)
    for j, cohort in enumerate(trial.cohorts):
        stats[f"outcomes/{j}"] = np.bincount(code[:, j], minlength=len(ends.OUTCOMES)).astype(
            np.int64
        )
        stats[f"n_hist/{j}"] = np.bincount(enrolled[:, j], minlength=cohort.n_max + 1).astype(
            np.int64
        )
        stats[f"time/{j}"] = np.array([end[:, j].sum(), np.square(end[:, j]).sum()])
    null = trial.null_cohorts(scenario.response if rates is None else rates)
    if rates is not None:
        nogo = np.isin(code, ends.NOGO_CODES)
        target = rates >= np.array([c.design.p1 if c.design else c.p0 for c in trial.cohorts])
        for j in range(len(trial.cohorts)):
            stats[f"h0/{j}"] = np.array([null[:, j].sum()], dtype=np.int64)
            stats[f"go_h0/{j}"] = np.array([(go[:, j] & null[:, j]).sum()], dtype=np.int64)
            stats[f"nogo/{j}"] = np.array([nogo[:, j].sum()], dtype=np.int64)
            stats[f"nogo_h1/{j}"] = np.array([(nogo[:, j] & target[:, j]).sum()], np.int64)
    total = enrolled.sum(axis=1)
    duration = end.max(axis=1)
    n_total_max = sum(c.n_max for c in trial.cohorts)
    stats["any_go"] = np.array([go.any(axis=1).sum()], dtype=np.int64)
    false_go = (go & null).any(axis=1) if null.ndim == 2 else go[:, null].any(axis=1)
    stats["false_go"] = np.array([false_go.sum()], dtype=np.int64)
    stats["n_hist/all"] = np.bincount(total, minlength=n_total_max + 1).astype(np.int64)
    stats["time/all"] = np.array([duration.sum(), np.square(duration).sum()])
    if survival is not None:
        stats |= _survival_statistics(survival)
    return stats


#: Per-trial survival summaries (SurvivalOutcomes fields) and their metric names.
SURVIVAL_METRICS = {
    "median_pfs": "median_pfs",
    "pfs_landmark": "pfs_landmark",
    "pfs_events": "pfs_events",
    "median_os": "median_os",
    "os_events": "os_events",
}


def _moments(values: np.ndarray) -> np.ndarray:
    """[count, sum, sum of squares] of the finite values, along axis 0."""
    finite = np.isfinite(values)
    clean = np.where(finite, values, 0.0)
    return np.stack([finite.sum(axis=0), clean.sum(axis=0), np.square(clean).sum(axis=0)])


def _survival_statistics(survival: SurvivalOutcomes) -> dict[str, np.ndarray]:
    out = {}
    for field in SURVIVAL_METRICS:
        values = getattr(survival, field)
        if values is not None:
            out[f"surv/{field}"] = _moments(np.asarray(values, dtype=float))  # (3, J)
    out["surv/look_events"] = _moments(survival.look_events)  # (3, J, K)
    return out


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
        "independent", "hierarchical borrowing" or "EXNEX borrowing".
    survival_looks : DataFrame, optional
        PFS events known at each look (:func:`survival_look_frame`).
    """

    frame: pd.DataFrame
    provenance: Provenance
    trial: TrialDesign
    scenarios: tuple[Scenario, ...]
    analysis: str = "independent"
    survival_looks: pd.DataFrame | None = None

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
            "survival_by_look": [] if self.survival_looks is None else records(self.survival_looks),
            "provenance": self.provenance.to_dict(),
        }

    def _survival_table(self, scenario: Scenario, est: Any, se: Any) -> Table:
        import pandas as pd

        survival = scenario.survival
        assert survival is not None
        metrics = ["median_pfs", "p_median_pfs_reached", "pfs_landmark", "pfs_events"]
        if survival.os is not None:
            metrics += ["median_os", "os_events"]
        rows = []
        looks = self.survival_looks
        for name in self.trial.cohort_names:
            row: dict[str, Any] = {"cohort": name}
            for m in metrics:
                row[m] = est.loc[name, m]
                row[f"{m}_mcse"] = se.loc[name, m]
            if looks is not None and not looks.empty:
                sub = looks[(looks["scenario"] == scenario.name) & (looks["cohort"] == name)]
                row["pfs_events_by_look"] = "/".join(
                    "-" if math.isnan(v) else f"{v:.1f}" for v in sub["estimate"]
                )
            rows.append(row)
        digits = {"median_pfs": 2, "median_os": 2, "pfs_events": 1, "os_events": 1}
        return Table(
            pd.DataFrame(rows),
            title=f"Scenario: {scenario.name}. Survival: Kaplan-Meier estimates at each "
            f"cohort's data cut ({survival.follow_up:g} months after its last decision), mean "
            "over trials (MCSE)",
            formats={m: f".{digits.get(m, 3)}f" for m in metrics},
            labels={"median_pfs": "median PFS (months)", "median_os": "median OS (months)",
                    "pfs_landmark": f"PFS at {survival.landmark:g} months"},
            errors={m: f"{m}_mcse" for m in metrics},
        )  # fmt: skip

    def worst_false_go(self) -> pd.DataFrame:
        """Per cohort: the largest P(GO) over the scenarios where its rate is <= its p0.

        Columns: cohort, scenario (the worst), estimate, mcse, null_scenarios
        (how many scenarios have the cohort null). Cohorts never null are left out.
        """
        return _worst_false_go(self)

    def worst_false_go_table(self) -> Table | None:
        """:meth:`worst_false_go` as a printed table (None when no cohort is ever null);
        the summary and the report show this one table."""
        worst = self.worst_false_go()
        if worst.empty:
            return None
        return Table(
            worst[["cohort", "scenario", "estimate", "mcse", "null_scenarios"]],
            title="Each cohort's largest simulated P(false GO) over the scenarios in which "
            "its true rate is at most its p0",
            formats={"estimate": ".3f"},
            labels={
                "scenario": "worst scenario",
                "estimate": "P(false GO)",
                "null_scenarios": "scenarios with the cohort at or below p0",
            },
            errors={"estimate": "mcse"},
        )

    def summary(self) -> Summary:
        """One table per scenario: estimates with MCSE per cohort, then the trial-level line."""
        import pandas as pd

        metrics = set(self.frame["metric"])
        columns = ["p_go", "p_early_futility"]
        if self.frame.loc[self.frame["metric"] == "p_early_efficacy", "estimate"].any():
            columns.append("p_early_efficacy")
        columns += [
            m for m in ("p_stop_toxicity", "p_incomplete", "p_go_incomplete") if m in metrics
        ]
        columns += ["en", "duration"]
        digits = {"en": 1, "duration": 1, "median_pfs": 2, "median_os": 2}
        digits |= {"pfs_events": 1, "os_events": 1}
        quantiles = [f"n_q{round(100 * q)}" for q in QUANTILES]
        tables = []
        notes = []
        for scenario in self.scenarios:
            sub = self.frame[self.frame["scenario"] == scenario.name]
            est = sub.pivot_table(index="cohort", columns="metric", values="estimate", dropna=False)
            se = sub.pivot_table(index="cohort", columns="metric", values="mcse", dropna=False)

            def cell(cohort: str, metric: str, est: Any = est, se: Any = se) -> str:
                return _with_se(
                    est.loc[cohort, metric], se.loc[cohort, metric], digits.get(metric, 3)
                )

            shown = list(columns)
            drawn = scenario.response_prior is not None
            if drawn:  # Bayesian OC: rates drawn per trial from the design priors
                shown[1:1] = ["p_h0_given_go", "p_h1_given_nogo"]
            rows = []
            for j, name in enumerate(self.trial.cohort_names):
                row: dict[str, Any] = {"cohort": name, "p": scenario.response[j]}
                for m in shown:
                    row[m] = est.loc[name, m]
                    row[f"{m}_mcse"] = se.loc[name, m]
                row["n_quantiles"] = "/".join(
                    f"{cast(float, est.loc[name, q]):.0f}" for q in quantiles
                )
                rows.append(row)
            formats = {m: f".{digits.get(m, 3)}f" for m in shown}
            title = f"Scenario: {scenario.name}"
            if scenario.description:
                title += f" ({scenario.description})"
            if drawn:
                title += (
                    " (true rates drawn for each trial from the design priors; p is the prior "
                    "mean and P(GO) the probability of success)"
                )
            bits = [f"P(at least one GO) {cell(ALL, 'p_any_go')}"]
            if "fwer" in est.columns and not math.isnan(cast(float, est.loc[ALL, "fwer"])):
                bits.append(f"P(any false GO) {cell(ALL, 'fwer')}")
            bits.append(f"E[total N] {cell(ALL, 'en')}")
            bits.append(f"E[duration] {cell(ALL, 'duration')} months")
            tables.append(
                Table(
                    pd.DataFrame(rows),
                    title=f"{title}. Trial: " + "; ".join(bits),
                    formats=formats,
                    errors={m: f"{m}_mcse" for m in shown},
                )
            )
            if scenario.survival is not None:
                tables.append(self._survival_table(scenario, est, se))
        worst = self.worst_false_go_table()
        if worst is not None:
            tables.append(worst)
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
    import pandas as pd

    go = p_go_by_scenario(result)
    rows = []
    for j, cohort in enumerate(result.trial.cohorts):
        nulls = [
            s.name
            for s in result.scenarios  # rates drawn per trial are not a null scenario
            if s.response_prior is None and result.trial.null_cohorts(s.response)[j]
        ]
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
    import pandas as pd

    rows: list[tuple[str, str, str, float, float]] = []
    for scenario, stats in zip(scenarios, totals, strict=True):
        n = int(stats["trials"][0])

        def add(cohort: str, metric: str, estimate: float, mcse: float) -> None:
            rows.append((scenario.name, cohort, metric, float(estimate), float(mcse)))  # noqa: B023

        for j, cohort in enumerate(trial.cohorts):
            counts = stats[f"outcomes/{j}"]
            go = outcome_rows(
                add, cohort.name, counts, n, trial.accrual,
                consider=trial.decides_consider(j), toxicity=cohort.toxicity is not None,
            )  # fmt: skip
            if f"h0/{j}" in stats:  # rates drawn from the design prior
                go_count = int(go)
                add(cohort.name, "p_h0_given_go", *_ratio(stats[f"go_h0/{j}"][0], go_count))
                add(cohort.name, "p_h1_given_nogo",
                    *_ratio(stats[f"nogo_h1/{j}"][0], int(stats[f"nogo/{j}"][0])))  # fmt: skip
            distribution_rows(add, cohort.name, stats[f"n_hist/{j}"], stats[f"time/{j}"], n)
            _survival_rows(add, cohort.name, stats, j, n)
        add(ALL, "p_any_go", *proportion(stats["any_go"][0], n))
        if scenario.response_prior is not None or trial.null_cohorts(scenario.response).any():
            add(ALL, "fwer", *proportion(stats["false_go"][0], n))
        distribution_rows(add, ALL, stats["n_hist/all"], stats["time/all"], n)
    return pd.DataFrame(rows, columns=["scenario", "cohort", "metric", "estimate", "mcse"])


def survival_look_frame(
    trial: TrialDesign, scenarios: list[Scenario], totals: list[dict[str, np.ndarray]]
) -> pd.DataFrame:
    """PFS events known at each response look: scenario, cohort, look, n, p_reach, estimate, mcse.

    ``estimate`` is the mean number of PFS events among the trials in which the look
    took place (share ``p_reach``); only scenarios with survival have rows.
    """
    import pandas as pd

    rows = []
    for scenario, stats in zip(scenarios, totals, strict=True):
        if "surv/look_events" not in stats:
            continue
        n = int(stats["trials"][0])
        moments = stats["surv/look_events"]  # (3, J, K)
        for j, cohort in enumerate(trial.cohorts):
            for k, n_k in enumerate(cohort.table.looks):
                count, total, squares = moments[:, j, k]
                mean, se = _moments_mean(count, total, squares)
                rows.append((scenario.name, cohort.name, k + 1, n_k, count / n, mean, se))
    columns = ["scenario", "cohort", "look", "n", "p_reach", "estimate", "mcse"]
    return pd.DataFrame(rows, columns=columns)


def _survival_rows(add: Any, cohort: str, stats: dict[str, np.ndarray], j: int, n: int) -> None:
    """Means over trials of the per-trial KM estimates, with their MCSE."""
    for field, metric in SURVIVAL_METRICS.items():
        key = f"surv/{field}"
        if key not in stats:
            continue
        count, total, squares = stats[key][:, j]
        add(cohort, metric, *_moments_mean(count, total, squares))
        if field.startswith("median"):
            add(cohort, f"p_{field}_reached", *proportion(count, n))


def _moments_mean(count: float, total: float, squares: float) -> tuple[float, float]:
    if count < 1:
        return math.nan, math.nan
    mean = total / count
    return mean, _mean_se(mean, squares / count, int(count))


def distribution_rows(add: Any, cohort: str, hist: np.ndarray, time: np.ndarray, n: int) -> None:
    """A cohort's E[N], duration and sample-size quantiles (each with its MCSE) from the
    histogram of patients enrolled and the (sum, sum of squares) of its end times."""
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


def outcome_rows(
    add: Callable[[str, str, float, float], None],
    cohort: str,
    counts: np.ndarray,
    n: int,
    accrual: Any,
    *,
    consider: bool = False,
    toxicity: bool = False,
) -> float:
    """A cohort's rows from its outcome counts over n trials: P(GO), early stops, final
    NO-GO (CONSIDER, toxicity stops and incomplete cohorts where they can happen), each
    with its MCSE. Returns the number of GO trials."""
    go = counts[ends.GO] + counts[ends.EFFICACY] + counts[ends.INCOMPLETE_GO]
    add(cohort, "p_go", *proportion(go, n))
    add(cohort, "p_early_futility", *proportion(counts[ends.FUTILITY], n))
    add(cohort, "p_early_efficacy", *proportion(counts[ends.EFFICACY], n))
    add(cohort, "p_nogo_final", *proportion(counts[ends.NOGO], n))
    if consider:
        add(cohort, "p_consider_final", *proportion(counts[ends.CONSIDER], n))
    if toxicity:
        add(cohort, "p_stop_toxicity", *proportion(counts[ends.TOXICITY], n))
    if accrual.max_duration is not None:
        incomplete = counts[ends.INCOMPLETE] + counts[ends.INCOMPLETE_GO]
        add(cohort, "p_incomplete", *proportion(incomplete, n))
        if accrual.incomplete == "analyse":
            add(cohort, "p_go_incomplete", *proportion(counts[ends.INCOMPLETE_GO], n))
    return float(go)


@dataclass(frozen=True)
class CohortMetrics:
    """A simulation result whose ``frame`` is tidy: scenario, cohort (``ALL`` for the
    trial), metric, estimate, mcse; with its provenance and cohort names (shared by the
    simulators of designs on several endpoints and on time to event)."""

    frame: pd.DataFrame
    provenance: Provenance
    cohorts: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        """The tidy table."""
        return self.frame.copy()

    def estimate(self, scenario: str, cohort: str, metric: str) -> tuple[float, float]:
        """(estimate, MCSE) of one metric."""
        row = self.frame[
            (self.frame["scenario"] == scenario)
            & (self.frame["cohort"] == cohort)
            & (self.frame["metric"] == metric)
        ]
        if row.empty:
            raise KeyError((scenario, cohort, metric))
        return float(row["estimate"].iloc[0]), float(row["mcse"].iloc[0])

    def scenario_table(self, scenario: str, shown: list[str], title: str) -> Table:
        """One scenario wide: a row per cohort, the ``shown`` metrics with their MCSE."""
        part = self.frame[self.frame["scenario"] == scenario]
        wide = part.pivot_table(
            index="cohort", columns="metric", values="estimate", sort=False
        ).reset_index()
        errors = part.pivot_table(
            index="cohort", columns="metric", values="mcse", sort=False
        ).add_suffix("_mcse")
        frame = wide.merge(errors, left_on="cohort", right_index=True)
        columns = ["cohort"] + [m for m in shown if m in wide.columns]
        frame = frame[columns + [f"{m}_mcse" for m in columns[1:]]]
        return Table(frame, title=title, errors={m: f"{m}_mcse" for m in columns[1:]})


def mean_with_se(sums: np.ndarray, n: int) -> tuple[float, float]:
    """Mean and its MCSE from (sum, sum of squares) over n trials."""
    mean = float(sums[0]) / n
    return mean, _mean_se(mean, float(sums[1]) / n, n)


def proportion(count: float, n: int) -> tuple[float, float]:
    p = float(count) / n
    return p, math.sqrt(p * (1 - p) / n)


def _mean_se(mean: float, second: float, n: int) -> float:
    if n < 2:
        return math.nan
    var = max(second - mean * mean, 0.0) * n / (n - 1)
    return math.sqrt(var / n)


def _with_se(estimate: float, mcse: float, digits: int) -> str:
    return f"{estimate:.{digits}f} ({mcse:.{digits}f})"


def _ratio(hits: float, total: int) -> tuple[float, float]:
    """A conditional proportion hits / total and its MCSE given total (NaN when total is 0)."""
    if total <= 0:
        return math.nan, math.nan
    return proportion(hits, total)
