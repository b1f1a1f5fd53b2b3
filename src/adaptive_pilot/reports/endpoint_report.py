"""The protocol report of a design on several endpoints of one outcome (BOP2's nested and
co-primary endpoints): the statistical-section text, the stopping bounds, the exact OC,
and the simulated OC of the trial when scenarios are given."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..provenance import Provenance
from ..results import Table
from ..spec.resolve import ResolvedDesign
from .document import FigureBlock, Paragraph, Report, Section
from .protocol import REFERENCES

if TYPE_CHECKING:  # pragma: no cover - annotations only
    from ..cohorts.endpoint_borrowing import EndpointBorrowing
    from ..oc.endpoints import EndpointOperatingCharacteristics
    from ..simulation.endpoints import EndpointSimulation

__all__ = ["ENDPOINT_REFERENCES", "endpoint_report"]

#: Works the text cites besides :data:`~adaptive_pilot.reports.protocol.REFERENCES`.
ENDPOINT_REFERENCES = {
    "bop2_te": "Chen K, Zhou H, Lee JJ, Yuan Y. BOP2-TE: Bayesian optimal phase 2 design for "
    "jointly monitoring efficacy and toxicity with application to dose optimization. "
    "arXiv:2408.05816, 2024.",
    "bop2_fe": "Xu X, Yimer BB, Hashimoto A, Homma G, Takeda K. Bayesian optimal phase II "
    "design with futility and efficacy stopping boundaries (BOP2-FE). Journal of "
    "Biopharmaceutical Statistics 2025. doi:10.1080/10543406.2025.2558142.",
}


def endpoint_report(
    resolved: ResolvedDesign,
    simulation: EndpointSimulation | None = None,
    borrowing: EndpointBorrowing | None = None,
) -> Report:
    """The protocol report of a file with an outcome section.

    Parameters
    ----------
    resolved : ResolvedDesign
        The design file (``resolved.is_multi_endpoint``).
    simulation : EndpointSimulation, optional
        A simulation of the trial: adds the simulated OC per scenario.
    borrowing : EndpointBorrowing, optional
        The borrowing model of the analysis (the text then describes it).
    """
    design = resolved.endpoint_design
    rule = design.rule
    evaluation = resolved.evaluate_endpoints()
    oc = evaluation.oc
    nulls, _ = resolved.endpoint_scenarios()
    cited = ["bop2"]
    paragraphs = [_design_text(resolved), _decision_text(resolved)]
    if len(nulls) > 1:
        cited.append("bop2_te")
    if rule.efficacy is not None:
        cited.append("bop2_fe")
    paragraphs.append(_oc_text(resolved, oc, len(nulls)))
    paragraphs += _cohort_text(resolved, borrowing)
    if borrowing is not None:
        cited.append("berry")
    sections = [
        Section("Statistical design", tuple(Paragraph(t) for t in paragraphs)),
        Section(
            "Stopping boundaries",
            (
                Table(design.bounds.to_frame(), title="Stopping bounds (endpoint counts)"),
                *(Paragraph(line) for line in design.bounds.describe().splitlines()),
            ),
        ),
        Section(
            "Operating characteristics",
            (
                Table(
                    oc.summary().tables[0].frame,
                    title="Exact operating characteristics by scenario",
                ),
                _oc_figure(oc, design.n_max),
                Table(
                    _cells_frame(oc),
                    title="Scenarios: category probabilities",
                    formats={"rate": ".4g"},
                    wide="category",
                ),
                Table(oc.by_look(), title="Stopping probabilities by look"),
            ),
        ),
    ]
    if simulation is not None:
        blocks: list[Paragraph | Table] = [
            Paragraph(
                f"The trial was simulated {simulation.provenance.n_trials:,} times per scenario "
                f"(seed {simulation.provenance.seed}) with the accrual model of the design file; "
                "each cohort is decided on its own data by its stopping bounds. Monte Carlo "
                "standard errors are given in brackets."
            )
        ]
        blocks += list(simulation.summary().tables)
        sections.append(
            Section("Simulated operating characteristics", tuple(blocks), simulation.provenance)
        )
    every = {**REFERENCES, **ENDPOINT_REFERENCES}
    provenance = Provenance(
        "exact", resolved.design_hash(), details={"design": resolved.name, "report": "protocol"}
    )
    return Report(
        f"Statistical design: {resolved.title or resolved.name}",
        tuple(sections),
        tuple(every[key] for key in cited),
        provenance,
    )


def _oc_figure(oc: EndpointOperatingCharacteristics, n_max: int) -> FigureBlock:
    """How the trial ends in each scenario and how many patients it takes (exact)."""
    from .. import figures  # matplotlib only when a report is written

    drawing = figures.scenario_figure(
        "Exact operating characteristics",
        list(oc.labels),
        {"GO at the final look": list(oc.p_go - oc.p_early_efficacy),
         "early efficacy (GO)": list(oc.p_early_efficacy),
         "NO-GO at the final look": list(oc.p_nogo_final),
         "early futility (NO-GO)": list(oc.p_early_futility)},
        list(oc.en),
        list(zip(oc.n_quantiles(oc.looks, 0.1), oc.n_quantiles(oc.looks, 0.9), strict=True)),
        [n_max] * len(oc.labels),
        exact=True,
    )  # fmt: skip
    return FigureBlock(
        "exact_oc",
        drawing,
        "Each scenario (exact, no Monte Carlo error): how the trial ends (left: GO and NO-GO "
        "at the final look, early efficacy and early futility stops) and the patients it "
        "takes (right: expected number, with the 10th to 90th percentiles).",
    )


def _design_text(resolved: ResolvedDesign) -> str:
    rule = resolved.endpoint_design.rule
    design = resolved.endpoint_design
    endpoints = "; ".join(
        f"{e.name}, the probability of {' or '.join(e.categories)}, judged against "
        f"{e.threshold:g} ({'higher' if e.better == 'higher' else 'lower'} is better)"
        for e in rule.endpoints
    )
    looks = ", ".join(str(n) for n in design.looks)
    return (
        "The primary analysis uses the Bayesian optimal phase II (BOP2) design for several "
        f"endpoints of one outcome (Zhou, Lee and Yuan 2017). Each patient's outcome falls in "
        f"one of {len(rule.categories)} categories ({', '.join(rule.categories)}), with a "
        f"Dirichlet prior on their probabilities ({rule.prior}, an effective sample size of "
        f"{rule.prior.total:g} patient{'' if rule.prior.total == 1 else 's'}). The endpoints "
        f"are {endpoints}. By the Dirichlet's aggregation property each endpoint's rate has a "
        f"Beta posterior. Looks take place after {looks} evaluable patients (N = "
        f"{design.n_max})."
    )


def _decision_text(resolved: ResolvedDesign) -> str:
    rule = resolved.endpoint_design.rule
    keep, stop = rule.requirement_words()
    text = (
        "At each look with n evaluable patients, for every endpoint the posterior probability "
        "that its rate is better than its threshold is compared with the cut-off "
        f"{rule.lam:g} (n/N)^{rule.gamma:g}. The cohort stops for futility when that probability "
        f"is below the cut-off {stop}. At the final analysis (cut-off {rule.lam:g}) the "
        f"cohort is GO when the probability reaches the cut-off {keep}, NO-GO otherwise."
    )
    if rule.efficacy == "power":
        text += (
            f" It stops early for efficacy when the probability reaches 1 - {1 - rule.lam:g} "
            f"(n/N)^{rule.eta:g} {keep} (Xu et al. 2025)."
        )
    elif rule.efficacy == "obrien-fleming":
        text += (
            " It stops early for efficacy when the probability reaches an O'Brien-Fleming-type "
            f"cut-off {keep} (Xu et al. 2025)."
        )
    return text


def _oc_text(resolved: ResolvedDesign, oc: object, n_nulls: int) -> str:
    from ..oc.endpoints import EndpointOperatingCharacteristics

    assert isinstance(oc, EndpointOperatingCharacteristics)
    alpha, _ = resolved.error_targets
    rule = resolved.endpoint_design.rule
    nulls = "; ".join(
        f"{label.removeprefix('null: ')} ({rates}): {p:.4f}"
        for label, rates, p in zip(
            oc.labels[:n_nulls], oc.endpoint_rates_text()[:n_nulls], oc.p_go[:n_nulls], strict=True
        )
    )
    alternatives = "; ".join(
        ("" if label == "alternative" else f"{label.removeprefix('alternative: ')} ")
        + f"({rates}): {p:.4f} (E[N] {en:.1f})"
        for label, rates, p, en in zip(
            oc.labels[n_nulls:], oc.endpoint_rates_text()[n_nulls:], oc.p_go[n_nulls:],
            oc.en[n_nulls:], strict=True,
        )
    )  # fmt: skip
    several = (
        " The type I error is taken as the largest P(GO) over the null scenarios, as BOP2-TE "
        "does for efficacy with toxicity (Chen et al. 2024)."
        if n_nulls > 1
        else ""
    )
    calibrated = ""
    if resolved.has_single_cohort_calibration():
        calibrated = (
            f" The cut-off's parameters lambda = {rule.lam:g} and gamma = {rule.gamma:g} were "
            "chosen on exact OC as the most powerful pair with a type I error of at most "
            f"{alpha:g}."
        )
    return (
        "Operating characteristics are exact (a forward recursion over the endpoint counts, "
        f"no simulation). P(GO) under the null scenarios: {nulls}. Under the alternative "
        f"{alternatives}.{several}{calibrated}"
    )


def _cohort_text(resolved: ResolvedDesign, borrowing: EndpointBorrowing | None) -> list[str]:
    cohorts = resolved.endpoint_cohorts
    if len(cohorts) < 2:
        return []
    names = ", ".join(name for name, _ in cohorts)
    if borrowing is None:
        return [
            f"The trial runs {len(cohorts)} cohorts ({names}); each is decided on its own data "
            "by the rule above (no borrowing between cohorts)."
        ]
    return [
        f"The trial runs {len(cohorts)} cohorts ({names}). Information is borrowed between "
        f"them: {borrowing.describe()} (Berry et al. 2013). Each cohort's posterior "
        "probabilities then come from every cohort's data and go through the same cut-off "
        "and join; the exact operating characteristics above are those of each cohort on its "
        "own data, the simulated ones below those of the trial with borrowing."
    ]


def _cells_frame(oc: object) -> pd.DataFrame:
    from ..oc.endpoints import EndpointOperatingCharacteristics

    assert isinstance(oc, EndpointOperatingCharacteristics)
    return pd.DataFrame(
        [
            {"scenario": label, "category": category, "rate": float(p)}
            for label, row in zip(oc.labels, oc.cells, strict=True)
            for category, p in zip(oc.categories, row, strict=True)
        ]
    )
