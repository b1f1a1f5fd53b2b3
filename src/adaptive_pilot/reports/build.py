"""The protocol report of a design: paragraphs, boundaries, exact OC, figures, comparison."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import figures
from ..cohorts.trial import TrialDesign
from ..designs.design import Design
from ..designs.evaluation import DesignEvaluation
from ..errors import InputError
from ..oc.exact import compare_oc, exact_oc
from ..provenance import Provenance
from ..results import Table
from ..spec import load_scenarios
from ..spec.resolve import ResolvedDesign, load_design
from .document import FigureBlock, Paragraph, Report, Section
from .protocol import REFERENCES, design_paragraphs, trial_paragraphs
from .simulation import simulation_paragraph, simulation_sections

if TYPE_CHECKING:  # pragma: no cover - annotations only: a design report loads no simulation code
    from ..simulation import Scenario, SimulationResult

__all__ = ["curve_grid", "design_report", "oc_curve", "report"]

_COMPARE_LABELS = {
    "family": "rule",
    "looks": "looks at n",
    "alpha": "P(GO | p0)",
    "power": "P(GO | p1)",
    "en0": "E[N | p0]",
    "pet0": "PET(p0)",
    "en1": "E[N | p1]",
    "own_p0_p1": "own p0 / p1",
}
_FAMILY_LABEL = {
    "simon": "Simon two-stage",
    "posterior": "posterior probability",
    "posterior_vs_standard": "posterior vs standard",
    "predictive": "predictive probability",
    "bop2": "BOP2",
}


def report(
    design: str | Path | ResolvedDesign,
    *,
    compare: Sequence[str | Path | ResolvedDesign] = (),
    rates: Sequence[float] | np.ndarray | None = None,
    scenarios: str | Path | Sequence[Scenario] | None = None,
    n_trials: int = 10_000,
    seed: int = 1,
    n_jobs: int = 1,
    analysis: str | None = None,
    progress: bool | None = None,
) -> Report:
    """The protocol report of a design, simulating the trial first when scenarios are given.

    Parameters
    ----------
    design : path or ResolvedDesign
        The design file.
    compare : sequence of paths or ResolvedDesign
        Other designs shown side by side and overlaid in the OC figure.
    rates : sequence of float, optional
        True rates of the exact OC table (default 0.05 to 0.60 by 0.05); p0 and p1
        are always added, since the protocol text states P(GO) at both.
    scenarios : path or sequence of Scenario, optional
        A scenario file (or scenarios) of a multi-cohort design: the trial is simulated
        with :func:`adaptive_pilot.simulate` and the report gains the simulated OC and
        the simulation appendix.
    n_trials, seed, n_jobs : int
        Simulated trials per scenario, root seed and parallel workers.
    analysis : {"independent", "hierarchical"}, optional
        Override the design file's borrowing model (text and simulation).
    progress : bool, optional
        Progress of the simulation on stderr (default: when it is a terminal).

    Returns
    -------
    Report
        Render it with :func:`adaptive_pilot.write_report`.

    Examples
    --------
    >>> import adaptive_pilot as ap
    >>> document = ap.report("designs/simon_example.toml")
    >>> [section.title for section in document.sections]
    ['Statistical design', 'Stopping boundaries', 'Operating characteristics']
    """
    main = design if isinstance(design, ResolvedDesign) else load_design(design)
    run = _Run(n_trials, seed, n_jobs, progress)
    if main.is_time_to_event:
        _refuse({"compare": list(compare), "p": rates, "scenarios": scenarios},
                "is not available for a time_to_event design: its OC are simulated at the "
                "scenarios of its time_to_event section")  # fmt: skip
        return _survival_report(main, run, analysis)
    if main.is_multi_endpoint:
        _refuse({"compare": list(compare), "p": rates},
                "is not available for a design with several endpoints: its OC are given at its "
                "own null and alternative scenarios")  # fmt: skip
        return _endpoint_report(main, run, scenarios, analysis)
    simulation = None
    source = None
    if scenarios is not None:
        trial = main.trial(analysis)
        if isinstance(scenarios, str | Path):
            source = str(scenarios)
            scenarios = load_scenarios(scenarios, trial)
        from ..simulation import simulate

        simulation = simulate(
            trial, list(scenarios), n_trials, seed, n_jobs=n_jobs, progress=progress
        )
    return design_report(
        main,
        compare=compare,
        rates=rates,
        simulation=simulation,
        scenario_source=source,
        analysis=analysis,
    )


@dataclass(frozen=True)
class _Run:
    """How to simulate a report's trial: trials per scenario, seed, workers, progress."""

    n_trials: int
    seed: int
    n_jobs: int
    progress: bool | None


def _refuse(given: dict[str, Any], message: str) -> None:
    """The first option given that the design does not take, in one line."""
    for field, value in given.items():
        if value:
            raise InputError(field, message)


def _survival_report(main: ResolvedDesign, run: _Run, analysis: str | None) -> Report:
    """The report of a time-to-event design: always simulated, at its own scenarios."""
    from ..simulation.survival_monitoring import simulate_survival_monitoring
    from .survival_report import survival_report

    borrowing = main.survival_borrowing(analysis)
    cohorts, accrual = main.survival_trial()
    simulation = simulate_survival_monitoring(
        cohorts, accrual, main.survival_scenarios(), run.n_trials, run.seed,
        borrowing=borrowing, design_hash=main.design_hash(), n_jobs=run.n_jobs,
        progress=run.progress,
    )  # fmt: skip
    return survival_report(main, simulation, borrowing)


def _endpoint_report(
    main: ResolvedDesign, run: _Run, scenarios: Any, analysis: str | None
) -> Report:
    """The report of a design on several endpoints (its design's scenarios, no rate grid)."""
    from .endpoint_report import endpoint_report

    borrowing = main.endpoint_borrowing(analysis)
    simulation = None
    if scenarios is not None:
        from ..simulation.endpoints import simulate_endpoints
        from ..spec.scenarios import load_endpoint_scenarios

        cohorts, accrual = main.endpoint_trial()
        if isinstance(scenarios, str | Path):
            categories = cohorts[0].design.rule.categories
            scenarios = load_endpoint_scenarios(scenarios, [c.name for c in cohorts], categories)
        simulation = simulate_endpoints(
            cohorts, accrual, list(scenarios), run.n_trials, run.seed,
            design_hash=main.design_hash(), borrowing=borrowing, n_jobs=run.n_jobs,
            progress=run.progress,
        )  # fmt: skip
    return endpoint_report(main, simulation, borrowing)


def design_report(
    design: str | Path | ResolvedDesign,
    *,
    compare: Sequence[str | Path | ResolvedDesign] = (),
    rates: Sequence[float] | np.ndarray | None = None,
    simulation: SimulationResult | None = None,
    scenario_source: str | None = None,
    analysis: str | None = None,
) -> Report:
    """The protocol report of a design file from results already computed.

    Parameters
    ----------
    design, compare, rates
        As in :func:`report`.
    simulation : SimulationResult, optional
        A simulation of the design's trial (:func:`adaptive_pilot.simulate`): adds the
        simulated OC and the simulation appendix.
    scenario_source : str, optional
        Name of the scenario file, for the appendix.
    analysis : {"independent", "hierarchical"}, optional
        Override the design file's borrowing model in the text (a simulation's own
        model wins).

    Returns
    -------
    Report
        Render it with :func:`adaptive_pilot.write_report`.
    """
    main = design if isinstance(design, ResolvedDesign) else load_design(design)
    others = [d if isinstance(d, ResolvedDesign) else load_design(d) for d in compare]
    design_ = main.design
    if rates is not None:  # the protocol text states P(GO) at p0 and p1: always evaluated
        rates = np.unique(
            np.round(np.r_[np.asarray(rates, dtype=float), design_.p0, design_.p1], 10)
        )
    evaluation = design_.evaluate(rates)
    cited: list[str] = []
    trial = simulation.trial if simulation is not None else _trial(main, analysis)
    paragraphs = design_paragraphs(design_, evaluation, cited, main.map_prior()) + trial_paragraphs(
        main, trial, cited
    )
    if simulation is not None:
        p1 = {c.name: c.design.p1 for c in main.cohorts}
        paragraphs.append(simulation_paragraph(simulation, p1))
    table = evaluation.table
    sections = [
        Section("Statistical design", tuple(Paragraph(t) for t in paragraphs)),
        Section(
            "Stopping boundaries",
            (
                Table(table.summary().tables[0].frame, title="Stopping boundaries"),
                *(Paragraph(line) for line in table.describe().splitlines()),
                *per_look_blocks(design_),
                FigureBlock(
                    "boundaries",
                    figures.boundary_figure(table),
                    "Stopping regions by look: responses against evaluable patients.",
                ),
            ),
        ),
        Section("Operating characteristics", _oc_blocks(design_, evaluation, others)),
    ]
    map_prior = main.map_prior()
    if map_prior is not None:
        sections.insert(1, Section("Prior from historical studies", _map_blocks(map_prior)))
    if design_.bayesian is not None:
        sections.append(Section("Prior sensitivity", _sensitivity_blocks(main)))
    if others:
        sections.append(Section("Comparison of designs", _comparison(design_, others)))
    if simulation is not None:
        sections += simulation_sections(simulation, main.source or None, scenario_source)
    references = tuple(REFERENCES[key] for key in cited)
    provenance = Provenance("exact", evaluation.provenance.design_hash,
                            details={"design": main.name, "report": "protocol"})  # fmt: skip
    title = f"Statistical design: {main.title or main.name}"
    return Report(title, tuple(sections), references, provenance)


def _oc_blocks(
    main: Design, evaluation: DesignEvaluation, others: list[ResolvedDesign]
) -> tuple[Paragraph | Table | FigureBlock, ...]:
    hyp = main
    oc = evaluation.oc
    frame = oc.to_frame().drop(columns=["method"])
    blocks: list[Paragraph | Table | FigureBlock] = [
        Table(frame, title="Exact operating characteristics by true response rate")
    ]
    if evaluation.joint is not None:
        joint = evaluation.joint.to_frame()
        blocks.append(
            Table(
                joint.drop(columns=[c for c in ("method",) if c in joint.columns]),
                title="Exact operating characteristics with toxicity co-monitoring "
                "(response x toxicity rate)",
            )
        )
    grid = curve_grid(hyp.p1)
    curves = [oc_curve(main, grid)] + [oc_curve(other.design, grid) for other in others]
    blocks.append(
        FigureBlock(
            "oc_curves",
            figures.oc_figure(curves, p0=hyp.p0, p1=hyp.p1),
            "Probability of GO and expected sample size against the true response rate "
            "(exact)." + (" Designs overlaid." if others else ""),
        )
    )
    at = exact_oc(main.table, [hyp.p0, hyp.p1])
    labels = [f"p = p0 = {hyp.p0:g}", f"p = p1 = {hyp.p1:g}"]
    blocks.append(
        FigureBlock(
            "stopping_by_look",
            figures.stopping_figure(
                evaluation.table.looks, list(at.stop_futility), list(at.stop_efficacy), labels
            ),
            "Probability of stopping at each look for futility (NO-GO at the final look) and "
            "for efficacy (GO at the final look), under p0 and p1.",
        )
    )
    blocks.append(
        FigureBlock(
            "sample_size",
            figures.sample_size_figure(
                evaluation.table.looks, list(at.sample_size_distribution), labels
            ),
            "Distribution of the number of evaluable patients at the end of the trial.",
        )
    )
    return tuple(blocks)


def per_look_blocks(design: Design) -> tuple[Table, Paragraph]:
    """The boundaries look by look as rpact and gsDesign print them, with a legend.

    Each look's bounds in responses and as an observed ORR, and the cumulative
    probabilities of a futility stop (NO-GO at the final look) and of a GO by that
    look at p0 and p1 (exact), so that the last row holds the type I error and power.
    """
    table = design.table
    oc = exact_oc(table, [design.p0, design.p1])
    futility = np.cumsum(oc.stop_futility, axis=1)
    go = np.cumsum(oc.stop_efficacy, axis=1)
    rows = []
    for k, n in enumerate(table.looks):
        f = table.futility_at(k)
        e = table.efficacy_at(k) if k < table.n_looks - 1 else table.efficacy[k]
        e = None if e is not None and e > n else e
        rows.append(
            {
                "look": k + 1,
                "n": n,
                "futility": f,
                "orr_futility": None if f is None else 100.0 * f / n,
                "efficacy": e,
                "orr_efficacy": None if e is None else 100.0 * e / n,
                "p_cum_futility_p0": futility[0, k],
                "p_cum_futility_p1": futility[1, k],
                "p_cum_go_p0": go[0, k],
                "p_cum_go_p1": go[1, k],
            }
        )
    frame = pd.DataFrame(rows).astype({"futility": "Int64", "efficacy": "Int64"})
    labels = {"futility": "stop if x <=", "efficacy": "GO if x >="}
    last = table.n_looks - 1
    legend = (
        "Legend: x is the number of responses among the n evaluable patients at the look. "
        "A cohort stops for futility at a look if x is at most the futility bound (at the "
        "final look: NO-GO) and is declared GO if x reaches the efficacy bound (at an interim "
        "look: an early stop for efficacy); a blank bound means no stop of that kind there. "
        "The ORR columns give the same bounds as an observed response rate x/n. The "
        "cumulative probabilities are those of having stopped for futility, or of a GO, by "
        f"that look, computed exactly if the true rate is p0 = {design.p0:g} or p1 = "
        f"{design.p1:g}; on the last row, cum. P(GO) is the type I error "
        f"({go[0, last]:.4f}) and the power ({go[1, last]:.4f})."
    )
    if table.three_outcomes:
        legend = legend.removesuffix(
            f"on the last row, cum. P(GO) is the type I error ({go[0, last]:.4f}) and the "
            f"power ({go[1, last]:.4f})."
        ) + (
            f"on the last row, cum. P(GO) is the false-GO rate at p0 ({go[0, last]:.4f}) and "
            f"P(GO) at p1 ({go[1, last]:.4f}), cum. P(futility) is P(NO-GO) "
            f"({futility[0, last]:.4f} and {futility[1, last]:.4f}), and the rest is CONSIDER "
            f"(final x between the bounds: {oc.p_consider[0]:.4f} and {oc.p_consider[1]:.4f})."
        )
    title = "Boundaries and cumulative stopping probabilities by look (exact)"
    return Table(frame, title=title, labels=labels), Paragraph(legend)


def _map_blocks(result: Any) -> tuple[Paragraph | Table | FigureBlock, ...]:
    """The MAP prior's studies and shrinkage, its mixture, ESS and the forest plot."""
    summary = result.summary()
    text = " ".join(summary.header) + "."
    caption = (
        "The historical studies: observed response rates with exact 95% intervals, their "
        "shrinkage estimates under the hierarchical model, and the MAP prior for the new study."
    )
    figure = figures.forest_figure(result.to_frame(), result.predictive)
    from ..prior_information import describe_prior

    mean = 0.5 if result.robust is None else result.robust["mean"]
    curve = describe_prior(result.mixture, robust_weight=0.0, robust_mean=mean).curve
    assert curve is not None
    table = Table(curve, title="Effective sample size of the MAP prior against the robust weight")
    return (Paragraph(text), *summary.tables, table, FigureBlock("map_forest", figure, caption))


def _sensitivity_blocks(resolved: ResolvedDesign) -> tuple[Paragraph | Table | FigureBlock, ...]:
    """The design's decisions and exact OC under alternative priors, with the tornado."""
    from ..sensitivity import sensitivity

    result = sensitivity(resolved)
    frame = result.frame
    designed = (float(frame["p_go_p0"].iloc[0]), float(frame["p_go_p1"].iloc[0]))
    low, high = frame["p_go_p0"].min(), frame["p_go_p0"].max()
    worst = result.null_range
    text = (
        "The design was rebuilt under alternative priors (a vague Beta(1, 1); sceptical and "
        "enthusiastic Betas centred at p0 and at p1 with the design prior's effective sample "
        "size; the design prior robustified with a vague component at weights 0.25 to 1"
        + ("; for the MAP prior, its tau scale halved and doubled" if len(frame) > 8 else "")
        + f"). Across them the type I error ranges from {low:.3f} to {high:.3f} and the power "
        f"from {frame['p_go_p1'].min():.3f} to {frame['p_go_p1'].max():.3f} (as designed: "
        f"{designed[0]:.3f} and {designed[1]:.3f}). Over the whole null range p <= "
        f"{result.p0:g} the type I error is at most {worst['max_alpha']:.4f} (at p = "
        f"{worst['at']:.3g}). All numbers are exact."
    )
    table = result.summary().tables[0]
    figure = figures.prior_sensitivity_figure(frame)
    caption = (
        "Prior sensitivity: type I error and power under each alternative prior, against "
        "the design as planned (exact)."
    )
    blocks: list[Paragraph | Table | FigureBlock] = [
        Paragraph(text),
        table,
        FigureBlock("prior_sensitivity", figure, caption),
    ]
    drift = result.drift
    if drift is not None and len(drift):
        mine = drift[drift["scenario"] == "as designed"]
        centre = float(mine["p"].iloc[0] - mine["shift"].iloc[0])
        flagged = mine.iloc[int(np.argmax(mine["p_conflict"].to_numpy()))]
        blocks.append(
            Paragraph(
                f"Drift between the prior and the current trial: with the true rate moved from "
                f"the prior's mean ({centre:.3g}) by {mine['shift'].min():+.2f} to "
                f"{mine['shift'].max():+.2f}, P(GO) as designed goes from "
                f"{mine['p_go'].iloc[0]:.3f} to {mine['p_go'].iloc[-1]:.3f}; robustified at "
                "weight 0.5 and with a vague prior it is as in the table below. The data of "
                "all N patients flag a prior-data conflict (Box's p < 0.05) with probability "
                f"at most {flagged['p_conflict']:.3f} (at a shift of {flagged['shift']:+.2f}). "
                "All numbers are exact."
            )
        )
        blocks.append(result.summary().tables[1])
    return tuple(blocks)


def curve_grid(p1: float) -> np.ndarray:
    """True rates of the OC curves: 121 points from 0 to max(0.6, 2.5 p1)."""
    return np.round(np.linspace(0.0, min(1.0, max(0.6, 2.5 * p1)), 121), 6)


def oc_curve(design: Design, grid: np.ndarray | None = None) -> figures.OCCurve:
    """A design's exact P(GO) and E[N] over a grid of true rates (:func:`curve_grid`)."""
    if grid is None:
        grid = curve_grid(design.p1)
    oc = exact_oc(design.table, grid)
    return figures.OCCurve(design.title or design.name, oc.p, oc.p_go, oc.en)


def _comparison(
    main: Design, others: list[ResolvedDesign]
) -> tuple[Paragraph | Table | FigureBlock, ...]:
    hyp = main
    designs = [main, *(other.design for other in others)]
    # keyed by position: two designs may share a title
    oc = compare_oc({str(k): d.table for k, d in enumerate(designs)}, [hyp.p0, hyp.p1])
    rows = []
    for k, design in enumerate(designs):
        at = oc[oc["design"] == str(k)]
        bounds = design.table
        rows.append(
            {
                "design": design.title or design.name,
                "family": _FAMILY_LABEL[design.family],
                "n_max": bounds.n_max,
                "looks": ", ".join(str(n) for n in bounds.looks),
                "alpha": float(at["p_go"].iloc[0]),
                "power": float(at["p_go"].iloc[1]),
                "en0": float(at["en"].iloc[0]),
                "pet0": float(at["pet"].iloc[0]),
                "en1": float(at["en"].iloc[1]),
                "own_p0_p1": "same"
                if (design.p0, design.p1) == (hyp.p0, hyp.p1)
                else f"{design.p0:g} / {design.p1:g} (differs)",
            }
        )
    frame = pd.DataFrame(rows)
    note = (
        f"All designs are evaluated at the main design's p0 = {hyp.p0:g} and p1 = {hyp.p1:g}; "
        "the last column gives each design's own hypotheses."
    )
    side_by_side = Table(
        frame,
        title="Designs side by side (exact)",
        formats={"alpha": ".4f", "power": ".4f", "en0": ".1f", "pet0": ".3f", "en1": ".1f"},
        labels=_COMPARE_LABELS,
    )
    return (side_by_side, Paragraph(note))


def _trial(main: ResolvedDesign, analysis: str | None) -> TrialDesign | None:
    """The multi-cohort trial of the file (None for a single-cohort design or no accrual)."""
    if not main.has_cohorts or main.accrual is None:
        if analysis is not None:
            raise InputError("analysis", "applies only to a design with cohorts and accrual")
        return None
    return main.trial(analysis)
