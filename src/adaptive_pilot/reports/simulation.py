"""The simulated multi-cohort trial in the report: OC per scenario and cohort, and the appendix.

Every number comes from one :class:`~adaptive_pilot.simulation.SimulationResult`
(its tidy frame of estimates and Monte Carlo standard errors); this module only
arranges them into tables, a figure per scenario and the text a regulator asks
for (scenarios, number of trials, seed, chunking, MCSE formulae, versions,
hashes, wall time).
"""

from __future__ import annotations

import math
import platform
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import figures
from ..cohorts.trial import Cohort, TrialDesign
from ..provenance import versions
from ..results import Table, probability_text
from .document import Block, FigureBlock, Paragraph, Section, slug

if TYPE_CHECKING:  # pragma: no cover - annotations only: a design report loads no simulation code
    from ..simulation import SimulationResult
    from ..simulation.scenarios import Scenario

__all__ = ["simulation_paragraph", "simulation_sections"]

ALL = "ALL"
_DIGITS = {"en": ".1f", "duration": ".1f"}


def simulation_sections(
    result: SimulationResult, design_file: str | None = None, scenario_file: str | None = None
) -> list[Section]:
    """The "Simulated operating characteristics" section and the simulation appendix.

    Parameters
    ----------
    result : SimulationResult
        The simulation to report.
    design_file, scenario_file : str, optional
        The files simulated (shown in the appendix with the command that reproduces
        the simulation).
    """
    estimates = _Estimates(result)
    trial = result.trial
    provenance = result.provenance
    n = provenance.n_trials or 0
    blocks: list[Block] = [
        Paragraph(
            f"The whole trial was simulated {n:,} times under each of {len(result.scenarios)} "
            f"scenarios of true response rates (listed in the appendix), with "
            f"{_analysis_words(trial)}. Accrual, the assessment delay and the stopping rules are "
            "those of the design; the same simulated patients (arrival times and random draws) "
            "are used in every scenario, so differences between scenarios are not Monte Carlo "
            "noise. Each estimate is given with its Monte Carlo standard error (MCSE) in "
            "parentheses. GO counts early efficacy stops and GO at the final analysis. N counts "
            "every patient enrolled in the cohort, including those enrolled while earlier "
            "patients' responses were awaited (over-run), so E[N] can exceed the exact E[N] of "
            "the boundary table, which counts evaluable patients at the decision."
        ),
        _trial_table(result, estimates),
    ]
    worst = result.worst_false_go_table()
    if worst is not None:
        blocks.append(worst)
    for scenario in result.scenarios:
        blocks += _scenario_blocks(result, scenario, estimates)
    main = Section("Simulated operating characteristics", tuple(blocks), provenance)
    files = (design_file, scenario_file)
    appendix = Section("Appendix: simulation", _appendix(result, files), provenance)
    return [main, appendix]


def simulation_paragraph(result: SimulationResult, p1: Mapping[str, float]) -> str:
    """One paragraph for the statistical section: what the simulation shows, in numbers.

    ``p1``: each cohort's target rate (a cohort at or above it counts as active).
    """
    estimates = _Estimates(result)
    trial = result.trial
    n = result.provenance.n_trials or 0
    scenarios = result.scenarios
    text = (
        f"The operating characteristics of the whole trial, with its accrual and "
        f"{_analysis_words(trial)}, were simulated ({n:,} simulated trials under each of "
        f"{len(scenarios)} scenarios; see Simulated operating characteristics)."
    )
    null = [s for s in scenarios if all(_null(trial, s))]
    for scenario in null[:1]:
        fwer, se = estimates.get(scenario.name, ALL, "fwer")
        text += (
            f" If no cohort is active (scenario {scenario.name}), the probability of a GO in at "
            f"least one cohort is {probability_text(fwer)} (MCSE {se:.3f})."
        )
    active, toxic = [], False
    for scenario in scenarios:
        if scenario.response_prior is not None:
            continue  # rates drawn per trial: reported as Bayesian OC, not as an active rate
        for j, cohort in enumerate(trial.cohorts):
            if scenario.response[j] < p1.get(cohort.name, math.inf):
                continue
            if _too_toxic(cohort, scenario, j):
                toxic = True
            else:
                active.append(estimates.get(scenario.name, cohort.name, "p_go")[0])
    if active:
        text += (
            f" A cohort whose true rate is at least p1 is GO with probability "
            f"{_range(active, '.3f')} across the scenarios"
            + (" (leaving out cohorts whose toxicity rate is above its limit)." if toxic else ".")
        )
    false = [
        estimates.get(s.name, cohort.name, "p_go")[0]
        for s in scenarios
        for cohort, is_null in zip(trial.cohorts, _null(trial, s), strict=True)
        if is_null
    ]
    if false:
        text += (
            f" A cohort whose true rate is at most p0 is GO with probability "
            f"{_range(false, '.3f')}."
        )
    totals = [estimates.get(s.name, ALL, "en")[0] for s in scenarios]
    months = [estimates.get(s.name, ALL, "duration")[0] for s in scenarios]
    text += (
        f" Across the scenarios the trial enrols {_range(totals, '.1f')} patients and lasts "
        f"{_range(months, '.1f')} months on average."
    )
    return text


# ------------------------------------------------------------------ tables
class _Estimates:
    """(estimate, mcse) by scenario, cohort and metric."""

    def __init__(self, result: SimulationResult) -> None:
        frame = result.frame
        keys = zip(frame["scenario"], frame["cohort"], frame["metric"], strict=True)
        values = zip(frame["estimate"], frame["mcse"], strict=True)
        self._values = dict(zip(keys, values, strict=True))
        self.metrics = set(frame["metric"])

    def get(self, scenario: str, cohort: str, metric: str) -> tuple[float, float]:
        return self._values.get((scenario, cohort, metric), (math.nan, math.nan))


def _trial_table(result: SimulationResult, estimates: _Estimates) -> Table:
    rows = []
    for scenario in result.scenarios:
        row: dict[str, Any] = {"scenario": scenario.name}
        for metric in ("p_any_go", "fwer", "en", "duration"):
            row[metric], row[f"{metric}_mcse"] = estimates.get(scenario.name, ALL, metric)
        rows.append(row)
    return Table(
        pd.DataFrame(rows),
        title="Simulated trial-level operating characteristics by scenario",
        formats={"p_any_go": ".3f", "fwer": ".3f"} | _DIGITS,
        labels={"en": "E[total N]", "duration": "E[months]"},
        errors={m: f"{m}_mcse" for m in ("p_any_go", "fwer", "en", "duration")},
    )


def _cohort_metrics(result: SimulationResult, estimates: _Estimates) -> list[str]:
    trial = result.trial
    metrics = ["p_go", "p_early_futility"]
    if trial.borrowing is not None:
        early = any(not math.isnan(v) for v in trial.borrowing.efficacy)
    else:
        early = any(
            c.table.efficacy_at(k) is not None
            for c in trial.cohorts
            for k in range(len(c.table.looks) - 1)
        )
    if early:
        metrics.append("p_early_efficacy")
    metrics += [
        m for m in ("p_stop_toxicity", "p_incomplete", "p_go_incomplete") if m in estimates.metrics
    ]
    return [*metrics, "en", "duration"]


def _scenario_blocks(
    result: SimulationResult, scenario: Scenario, estimates: _Estimates
) -> list[Block]:
    trial = result.trial
    metrics = _cohort_metrics(result, estimates)
    if scenario.response_prior is not None:  # Bayesian OC: rates drawn from the design priors
        metrics[1:1] = ["p_h0_given_go", "p_h1_given_nogo"]
    rows = []
    for j, cohort in enumerate(trial.cohorts):
        row: dict[str, Any] = {"cohort": cohort.name, "p": float(scenario.response[j])}
        if scenario.toxicity is not None:
            row["p_toxicity"] = float(scenario.toxicity[j])
        for metric in metrics:
            row[metric], row[f"{metric}_mcse"] = estimates.get(scenario.name, cohort.name, metric)
        rows.append(row)
    title = f"Scenario {scenario.name}"
    described = f"{title}: {scenario.description}" if scenario.description else title
    if scenario.response_prior is not None:
        described += (
            " (true rates drawn for each trial from the design priors: p is the prior mean, "
            "P(GO) the probability of success)"
        )
    table = Table(
        pd.DataFrame(rows),
        title=f"{described}. Simulated operating characteristics by cohort",
        formats={m: ".3f" for m in metrics} | _DIGITS,
        labels={"en": "E[N]", "duration": "E[months]"},
        errors={m: f"{m}_mcse" for m in metrics},
    )
    blocks: list[Block] = [table, Paragraph(_scenario_sentence(result, scenario, estimates))]
    if scenario.survival is not None:
        blocks += _survival_blocks(result, scenario, estimates)
    blocks.append(
        FigureBlock(
            f"scenario_{slug(scenario.name)}",
            _scenario_figure(result, scenario, estimates),
            f"{described}. How each cohort ends (left) and the number of patients it enrols "
            "(right: mean, with the 10th to 90th percentiles).",
        )
    )
    return blocks


def _survival_blocks(
    result: SimulationResult, scenario: Scenario, estimates: _Estimates
) -> list[Block]:
    survival = scenario.survival
    assert survival is not None
    metrics = ["median_pfs", "p_median_pfs_reached", "pfs_landmark", "pfs_events"]
    if survival.os is not None:
        metrics += ["median_os", "p_median_os_reached", "os_events"]
    rows = []
    for j, cohort in enumerate(result.trial.cohorts):
        row: dict[str, Any] = {
            "cohort": cohort.name,
            "pfs_median_assumed": survival.pfs[j].median,
        }
        if survival.os is not None:
            row["os_median_assumed"] = survival.os[j].median
        for metric in metrics:
            row[metric], row[f"{metric}_mcse"] = estimates.get(scenario.name, cohort.name, metric)
        rows.append(row)
    scans = (
        f"progression seen at scans every {survival.scan_every:g} months"
        if survival.scan_every > 0
        else "progression seen when it happens"
    )
    text = (
        f"Survival under scenario {scenario.name}: Kaplan-Meier estimates at each cohort's data "
        f"cut, {survival.follow_up:g} months after its last decision, averaged over the "
        f"simulated trials (medians over the trials whose curve reaches 1/2), with {scans}, "
        f"dropout {survival.dropout:g} per month, and PFS at {survival.landmark:g} months. "
        "Assumed medians are the cohort's true medians; the observed ones differ by the scan "
        "schedule, censoring and small samples."
    )
    formats = {m: ".3f" for m in metrics} | {
        "median_pfs": ".2f",
        "median_os": ".2f",
        "pfs_events": ".1f",
        "os_events": ".1f",
        "pfs_median_assumed": "g",
        "os_median_assumed": "g",
    }
    table = Table(
        pd.DataFrame(rows),
        title=f"Scenario {scenario.name}. Simulated progression-free and overall survival",
        formats=formats,
        labels={
            "pfs_median_assumed": "assumed median PFS",
            "os_median_assumed": "assumed median OS",
            "pfs_landmark": f"PFS at {survival.landmark:g} months",
        },
        errors={m: f"{m}_mcse" for m in metrics},
    )
    return [Paragraph(text), table]


def _scenario_sentence(result: SimulationResult, scenario: Scenario, estimates: _Estimates) -> str:
    name = scenario.name
    bits = [
        f"at least one cohort is GO with probability {_pm(estimates.get(name, ALL, 'p_any_go'))}"
    ]
    if scenario.response_prior is not None:
        bits.append(
            "a cohort whose drawn rate is at most its p0 is GO with probability "
            f"{_pm(estimates.get(name, ALL, 'fwer'))}"
        )
    elif not math.isnan(estimates.get(name, ALL, "fwer")[0]):
        inactive = [c.name for c, z in zip(result.trial.cohorts, _null(result.trial, scenario),
                                           strict=True) if z]  # fmt: skip
        bits.append(
            f"at least one inactive cohort ({', '.join(inactive)}) is GO with probability "
            f"{_pm(estimates.get(name, ALL, 'fwer'))}"
        )
    en = estimates.get(name, ALL, "en")
    months = estimates.get(name, ALL, "duration")
    return (
        f"Under scenario {name}, " + " and ".join(bits) + f"; the trial enrols {en[0]:.1f} "
        f"(MCSE {en[1]:.1f}) patients on average and lasts {months[0]:.1f} (MCSE {months[1]:.1f}) "
        "months."
    )


def _scenario_figure(result: SimulationResult, scenario: Scenario, estimates: _Estimates) -> Any:
    trial = result.trial
    names = [c.name for c in trial.cohorts]

    def shares(metric: str) -> list[float]:
        return [estimates.get(scenario.name, c, metric)[0] if metric in estimates.metrics
                else 0.0 for c in names]  # fmt: skip

    go, early = np.array(shares("p_go")), np.array(shares("p_early_efficacy"))
    incomplete, go_incomplete = (
        np.array(shares("p_incomplete")),
        np.array(shares("p_go_incomplete")),
    )
    outcomes = {
        "GO at the final look": go - early - go_incomplete,
        "early efficacy (GO)": early,
        "GO at the n reached (enrolment closed)": go_incomplete,
        **(
            {"CONSIDER at the final look": shares("p_consider_final")}
            if any(trial.decides_consider(j) for j in range(len(trial.cohorts)))
            else {}
        ),
        "NO-GO at the final look": shares("p_nogo_final"),
        "early futility (NO-GO)": shares("p_early_futility"),
        "toxicity stop": shares("p_stop_toxicity"),
        "NO-GO at the n reached (enrolment closed)": incomplete - go_incomplete,
    }
    labels = [f"{c} (p = {100 * p:.3g} %" for c, p in zip(names, scenario.response, strict=True)]
    if scenario.toxicity is not None:
        labels = [f"{text}, tox {100 * t:.3g} %" for text, t in zip(labels, scenario.toxicity,
                                                                    strict=True)]  # fmt: skip
    labels = [f"{text})" for text in labels]
    return figures.scenario_figure(
        f"Scenario {scenario.name}",
        labels,
        outcomes,
        shares("en"),
        list(zip(shares("n_q10"), shares("n_q90"), strict=True)),
        [c.n_max for c in trial.cohorts],
    )


def _toxicity_link(result: SimulationResult) -> str:
    odds = sorted(
        {float(v) for s in result.scenarios if s.odds_ratio is not None for v in s.odds_ratio}
        - {1.0}
    )
    if not odds:
        return "Response and toxicity are simulated independently."
    return (
        "A patient's response and toxicity are linked by the scenario's odds ratio ("
        + ", ".join(f"{v:g}" for v in odds)
        + "; 1 in the other scenarios): toxicity is drawn given the response from the "
        "Plackett 2 x 2 table with the scenario's marginal rates, as in the exact joint OC."
    )


# ---------------------------------------------------------------- appendix
def _appendix(result: SimulationResult, files: tuple[str | None, str | None]) -> tuple[Block, ...]:
    trial = result.trial
    provenance = result.provenance
    details = provenance.details
    n = provenance.n_trials or 0
    rates = _rates_table(result)
    accrual = trial.accrual
    shares = ", ".join(f"{c.name} {100 * c.share:.3g} %" for c in trial.cohorts)
    allocation = (
        f"each patient belongs to cohort j with probability equal to its share ({shares})"
        if accrual.allocation == "prevalence"
        else f"patients are dealt to the cohorts in a fixed repeating pattern ({shares})"
    )
    conventions = (
        f"Simulation model. Patients arrive as a Poisson process at {accrual.rate:g} per month; "
        f"{allocation}. A patient's response (and toxicity) is known "
        f"{accrual.assessment_delay:g} months after enrolment. A look at n evaluable patients "
        "takes place when the n-th patient's outcome is known; patients enrolled in the "
        "meantime are enrolled and analysed at later looks. A stopped or full cohort enrols "
        "no one else."
    )
    if accrual.max_duration is not None:
        conventions += (
            f" Enrolment closes at {accrual.max_duration:g} months; a cohort that has not "
        )
        conventions += (
            "reached its final look by then is analysed once the outcomes of the patients it "
            "enrolled are known, at the n it reached: with its rule's final GO criterion (the "
            "final GO cut-off applied at that n; a Simon design is GO only if its final GO is "
            "already certain) or, with borrowing, with the GO threshold. These GO decisions "
            "are included in P(GO) and shown separately as P(GO at close)."
            if accrual.incomplete == "analyse"
            else "reached its final look by then ends incomplete, which counts as NO-GO."
        )
    if any(c.toxicity is not None for c in trial.cohorts):
        conventions += (
            " Toxicity is monitored in each cohort with its own rule; a toxicity stop takes "
            "precedence over a response decision at the same look. " + _toxicity_link(result)
        )
    mcse = (
        f"Monte Carlo standard errors, from R = {n:,} simulated trials per scenario: for a "
        "probability p, sqrt(p (1 - p) / R); for a mean (E[N], E[duration]), the sample "
        "standard deviation divided by sqrt(R); for a percentile Q(q) of N, half the distance "
        "between Q(q - s) and Q(q + s) with s = sqrt(q (1 - q) / R)."
    )
    chunking = (
        f"Reproducibility. The {n:,} trials of each scenario are simulated in "
        f"{_chunks(details.get('n_chunks'))} of at most {details.get('chunk_size'):,} trials; "
        f"chunk i draws its random numbers from a PCG64 generator seeded with the i-th child "
        f"of numpy.random.SeedSequence({provenance.seed}). Chunks are combined in chunk order, "
        "so the results are identical for any number of parallel workers (this run used "
        f"{details.get('n_jobs')} with the {details.get('backend')} backend) and are "
        "reproduced exactly by the command in the settings table below on the same numpy "
        "version."
    )
    settings = _settings_table(result, files)
    return (
        Paragraph(conventions),
        rates,
        Paragraph(chunking),
        Paragraph(mcse),
        settings,
    )


def _rates_table(result: SimulationResult) -> Table:
    names = result.trial.cohort_names
    toxicity = any(s.toxicity is not None for s in result.scenarios)
    rows = []
    for scenario in result.scenarios:
        for j, name in enumerate(names):
            row: dict[str, Any] = {"scenario": scenario.name, "cohort": name}
            row["p"] = float(scenario.response[j])
            if toxicity:
                row["p_toxicity"] = (
                    math.nan if scenario.toxicity is None else float(scenario.toxicity[j])
                )
            rows.append(row)
    return Table(
        pd.DataFrame(rows),
        title="Scenarios simulated: true response (and toxicity) rate per cohort",
        formats={"p": ".3f", "p_toxicity": ".3f"},
        wide="cohort",
    )


def _settings_table(result: SimulationResult, files: tuple[str | None, str | None]) -> Table:
    provenance = result.provenance
    details = provenance.details
    extra = ("joblib", "dask") if details.get("backend") == "dask" else ("joblib",)
    software = ", ".join(f"{k} {v}" for k, v in versions(*extra).items())
    design_file, scenario_file = files
    rows = []
    if design_file and scenario_file:
        borrowing = result.trial.borrowing
        analysis = "independent" if borrowing is None else borrowing.name
        rows.append(
            (
                "command",
                f"adaptive-pilot simulate {design_file} --scenarios {scenario_file} "
                f"--n-trials {provenance.n_trials} --seed {provenance.seed} "
                f"--analysis {analysis}",
            )
        )
    rows += [
        ("design file", design_file or "(given in Python)"),
        ("scenario file", scenario_file or "(given in Python)"),
        ("scenarios", str(len(result.scenarios))),
        ("simulated trials per scenario", f"{provenance.n_trials:,}"),
        ("root seed", str(provenance.seed)),
        ("chunks x trials per chunk", f"{details.get('n_chunks')} x {details.get('chunk_size')}"),
        ("random number generator", "PCG64; chunk i: i-th child of SeedSequence(seed)"),
        ("common random numbers", "yes: every scenario uses the same simulated patients"),
        ("analysis", result.analysis),
        *(
            [("borrowing model", result.trial.borrowing.describe())]
            if result.trial.borrowing is not None
            else []
        ),
        ("workers (backend)", f"{details.get('n_jobs')} ({details.get('backend')})"),
        ("wall time", f"{details.get('wall_time_s')} s"),
        ("design hash (trial)", provenance.design_hash),
        ("scenarios hash", str(details.get("scenarios_hash"))),
        ("software", software),
        ("platform", f"{platform.system()} {platform.machine()}"),
        ("run at (UTC)", provenance.created_utc),
    ]
    return Table(
        pd.DataFrame(rows, columns=["setting", "value"]),
        title="Simulation settings and software",
    )


# ------------------------------------------------------------------ words
def _analysis_words(trial: TrialDesign) -> str:
    if trial.borrowing is None:
        return "each cohort analysed on its own data"
    model = "EXNEX" if trial.borrowing.name == "exnex" else "Bayesian hierarchical"
    return f"information borrowed between cohorts by the {model} model"


def _too_toxic(cohort: Cohort, scenario: Scenario, j: int) -> bool:
    tox = scenario.toxicity
    return cohort.toxicity is not None and tox is not None and tox[j] > cohort.toxicity.threshold


def _chunks(n: Any) -> str:
    return f"{n} chunk" if n == 1 else f"{n} chunks"


def _null(trial: TrialDesign, scenario: Scenario) -> list[bool]:
    """Null cohorts of a fixed-rate scenario (none when the rates are drawn per trial)."""
    if scenario.response_prior is not None:
        return [False] * len(trial.cohorts)
    return [bool(null) for null in trial.null_cohorts(scenario.response)]


def _pm(value: tuple[float, float]) -> str:
    """A probability and its MCSE ("< 0.001" when it rounds to 0 but is not 0)."""
    return f"{probability_text(value[0])} (MCSE {value[1]:.3f})"


def _range(values: list[float], spec: str) -> str:
    low, high = min(values), max(values)
    if format(low, spec) == format(high, spec):
        return f"{low:{spec}}"
    return f"{low:{spec}} to {high:{spec}}"
