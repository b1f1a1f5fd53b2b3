"""The protocol report of a design monitoring PFS (or OS) against a performance goal: the
statistical-section text, the interim looks, and the simulated operating characteristics
at the design's scenarios (there is no exact OC: decisions depend on follow-up times)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..designs.survival_monitoring import LOOK_KINDS
from ..provenance import Provenance
from ..results import Table
from ..spec.resolve import ResolvedDesign
from .document import FigureBlock, Paragraph, Report, Section

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from ..cohorts.survival_borrowing import SurvivalModelAveraging
    from ..simulation.survival_monitoring import SurvivalMonitoringSimulation

__all__ = ["SURVIVAL_REFERENCES", "scenario_figures", "survival_report"]

#: Works the text cites.
SURVIVAL_REFERENCES = {
    "broglio": "Broglio KR, Connor JT, Berry SM. Not too big, not too small: a Goldilocks "
    "approach to sample size selection. Journal of Biopharmaceutical Statistics 2014; "
    "24(3): 685-705.",
    "moschopoulos": "Moschopoulos PG. The distribution of the sum of independent gamma random "
    "variables. Annals of the Institute of Statistical Mathematics 1985; 37: 541-544.",
    "psioda": "Psioda MA, Xu J, Jiang Q, Ke C, Yang Z, Ibrahim JG. Bayesian adaptive basket "
    "trial design using model averaging. Biostatistics 2021; 22(1): 19-34.",
    "goldilocks": "Hickey GL, Wan Y, Chandereng T. goldilocks: Goldilocks adaptive trial designs "
    "for time-to-event endpoints. R package version 0.4.0, 2025.",
}


def survival_report(
    resolved: ResolvedDesign,
    simulation: SurvivalMonitoringSimulation | None = None,
    borrowing: SurvivalModelAveraging | None = None,
) -> Report:
    """The protocol report of a file with a time_to_event section.

    Parameters
    ----------
    resolved : ResolvedDesign
        The design file (``resolved.is_time_to_event``).
    simulation : SurvivalMonitoringSimulation, optional
        The trial simulated at the design's scenarios: adds the operating characteristics.
    borrowing : SurvivalModelAveraging, optional
        The borrowing between cohorts the simulation used (None: each cohort on its own).
    """
    description = resolved.survival_summary()
    design = resolved.survival_design
    paragraphs = [
        _design_text(resolved),
        _decision_text(resolved),
        _cohort_text(resolved, borrowing),
    ]
    sections = [
        Section("Statistical design", tuple(Paragraph(t) for t in paragraphs)),
        Section(
            "Interim looks",
            (
                Table(
                    description.to_frame(),
                    title=f"Interim looks ({LOOK_KINDS[design.look_kind]}; the last row is the "
                    "final analysis)",
                ),
            ),
        ),
    ]
    if simulation is not None:
        prov = simulation.provenance
        blocks: list[Paragraph | Table | FigureBlock] = [
            Paragraph(
                f"Operating characteristics were simulated with {prov.n_trials:,} trials per "
                f"scenario (seed {prov.seed}, {prov.details.get('imputations')} imputations per "
                "predictive probability), with the design file's accrual, dropout and scan "
                "schedule; "
                + (
                    "each cohort is decided on its own data. "
                    if borrowing is None
                    else "each cohort is decided with borrowing between the cohorts (above). "
                )
                + "Monte Carlo standard errors are given in brackets."
            ),
            *simulation.summary().tables,
            *scenario_figures(resolved, simulation),
        ]
        sections.append(Section("Simulated operating characteristics", tuple(blocks), prov))
    # its only computed figures are simulated: the footer says so, with trials and seed
    provenance = (
        Provenance("exact", resolved.design_hash()) if simulation is None else simulation.provenance
    ).with_details(design=resolved.name, report="protocol")
    return Report(
        f"Statistical design: {resolved.title or resolved.name}",
        tuple(sections),
        tuple(v for k, v in SURVIVAL_REFERENCES.items() if k != "psioda" or borrowing),
        provenance,
    )


def scenario_figures(
    resolved: ResolvedDesign, simulation: SurvivalMonitoringSimulation
) -> list[FigureBlock]:
    """Per scenario: how each cohort ends and how many patients it enrols."""
    from .. import figures  # matplotlib only when a report is written
    from .document import slug

    names = list(simulation.cohorts)
    n_max = [design.n_max for _, design in resolved.survival_cohorts]
    blocks = []
    for scenario in simulation.scenarios:

        def get(metric: str, scenario: str = scenario.name) -> list[float]:
            return [simulation.estimate(scenario, c, metric)[0] for c in names]

        go, futility, final_nogo = get("p_go"), get("p_early_futility"), get("p_nogo_final")
        truth = scenario.survival_at(simulation.landmark)
        labels = [
            f"{c} (S({simulation.landmark:g}) = {s:.2f})" for c, s in zip(names, truth, strict=True)
        ]
        drawing = figures.scenario_figure(
            f"Scenario {scenario.name}",
            labels,
            {"GO at the final look": go, "NO-GO at the final look": final_nogo,
             "early futility (NO-GO)": futility},
            get("en"),
            list(zip(get("n_q10"), get("n_q90"), strict=True)),
            n_max,
        )  # fmt: skip
        blocks.append(
            FigureBlock(
                f"scenario_{slug(scenario.name)}",
                drawing,
                f"Scenario {scenario.name}: how each cohort ends (left: GO and NO-GO at the final "
                "analysis, which follows a stop of enrolment for expected success too, and "
                "early futility) and the patients it enrols (right: mean, with the 10th to "
                "90th percentiles).",
            )
        )
    return blocks


def _design_text(resolved: ResolvedDesign) -> str:
    design = resolved.survival_design
    rule = design.rule
    name = "Progression-free survival (PFS)" if design.endpoint == "pfs" else "Overall survival"
    model = (
        "an exponential model (one constant hazard)"
        if not rule.model.breaks
        else "a piecewise-exponential model whose hazard is constant between "
        + ", ".join(f"{b:g}" for b in (0.0, *rule.model.breaks, design.landmark))
        + " months"
    )
    target = f" and a target of {design.target:g}" if design.target is not None else ""
    return (
        f"{name} is monitored against a performance goal: the probability of being free of "
        f"the event {design.landmark:g} months after enrolment, S({design.landmark:g}), with "
        f"a goal of {rule.goal:g}{target}. Event times are modelled by {model}, with an "
        f"independent Gamma({rule.prior.shape:g}, {rule.prior.rate:g}) prior on each hazard "
        "(shape: prior events; rate: prior months of exposure). With D_j events over E_j "
        "months of exposure in piece j, the posterior of each hazard is Gamma(shape + D_j, "
        "rate + E_j), and S(H) = exp(-sum_j w_j lambda_j) with w_j the piece lengths; the "
        "posterior probability P(S(H) > goal | data) is the distribution function of a sum of "
        "independent Gamma variables, computed exactly (Moschopoulos 1985)."
    )


def _decision_text(resolved: ResolvedDesign) -> str:
    design = resolved.survival_design
    rule = design.rule
    looks = []
    for k, at in enumerate(design.looks):
        bits = []
        if not math.isnan(rule.expected_success[k]):
            bits.append(
                "enrolment stops for expected success if the predictive probability that the "
                f"patients already enrolled give a final GO exceeds {rule.expected_success[k]:g}"
            )
        if not math.isnan(rule.futility[k]):
            statistic = (
                f"the predictive probability of a final GO with {design.n_max} patients"
                if rule.futility_on == "predictive"
                else f"P(S({design.landmark:g}) > {rule.goal:g} | data)"
            )
            bits.append(
                f"the cohort stops for futility if {statistic} is below {rule.futility[k]:g}"
            )
        looks.append(
            f"at {at:g} {LOOK_KINDS[design.look_kind]}, " + " and ".join(bits or ["no stop"])
        )
    interim = (
        "Interim analyses: " + "; ".join(looks) + ". "
        if looks
        else "There is no interim analysis. "
    )
    return (
        f"Up to {design.n_max} patients are enrolled per cohort. {interim}Predictive "
        f"probabilities follow the Goldilocks design (Broglio, Connor & Berry 2014): "
        f"{rule.imputations} times, the hazards are drawn from their posterior, each patient "
        "still in follow-up gets an event time drawn given survival so far (censored at the "
        "landmark) and, for the futility look, the patients still to come get event times "
        "drawn from enrolment; the completed data's posterior probability then decides. "
        "Censoring before the landmark is assumed non-informative. The final analysis "
        "comes once every enrolled patient has had an event, reached the landmark or been "
        f"lost to follow-up: GO if P(S({design.landmark:g}) > {rule.goal:g} | data) > "
        f"{rule.success:g}."
    )


def _cohort_text(resolved: ResolvedDesign, borrowing: SurvivalModelAveraging | None) -> str:
    cohorts = resolved.survival_cohorts
    if len(cohorts) == 1:
        return "The design is applied to one cohort."
    names = ", ".join(name for name, _ in cohorts)
    if borrowing is None:
        return (
            f"The design is applied to each of {len(cohorts)} cohorts ({names}), each decided "
            "on its own data; no information is borrowed between cohorts."
        )
    landmark = resolved.survival_design.landmark
    return (
        f"The design is applied to each of {len(cohorts)} cohorts ({names}), with information "
        "borrowed between them by Bayesian model averaging (Psioda et al. 2021): each of the "
        f"{borrowing.partitions} partitions of the cohorts into groups is a model in which the "
        "cohorts of a group share their piece hazards (each group's hazards with the prior "
        "above), with prior probability proportional to exp(delta x number of groups), "
        f"delta = {borrowing.delta:g}. A cohort's posterior of S({landmark:g}) is the average "
        "of its group's posterior over the models, weighted by their posterior "
        "probabilities; every term is computed exactly. At an interim look, the predictive "
        "probabilities impute the cohort's own patients and hold the other cohorts' data as "
        "seen at the look; a cohort's final analysis uses every cohort's data seen by then."
    )
