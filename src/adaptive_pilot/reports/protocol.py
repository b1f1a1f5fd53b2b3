"""The statistical-section paragraphs, written with the design's own numbers."""

from __future__ import annotations

import itertools
import math
import re
from typing import Any

from ..cohorts.borrowing import ExnexBorrowing
from ..cohorts.trial import HierarchicalBorrowing, TrialDesign
from ..designs.design import Design
from ..designs.evaluation import DesignEvaluation
from ..errors import InputError
from ..priors import BetaPrior
from ..results import probability_text
from ..spec.resolve import ResolvedDesign

__all__ = ["REFERENCES", "design_paragraphs", "trial_paragraphs"]

REFERENCES = {
    "simon": "Simon R. Optimal two-stage designs for phase II clinical trials. Controlled "
    "Clinical Trials 1989;10:1-10.",
    "thall_simon": "Thall PF, Simon R. Practical Bayesian guidelines for phase IIB clinical "
    "trials. Biometrics 1994;50:337-349.",
    "lee_liu": "Lee JJ, Liu DD. A predictive probability design for phase II cancer clinical "
    "trials. Clinical Trials 2008;5:93-106.",
    "bop2": "Zhou H, Lee JJ, Yuan Y. BOP2: Bayesian optimal design for phase II clinical trials "
    "with simple and complex endpoints. Statistics in Medicine 2017;36:3302-3314.",
    "tse": "Thall PF, Simon RM, Estey EH. Bayesian sequential monitoring designs for single-arm "
    "clinical trials with multiple outcomes. Statistics in Medicine 1995;14:357-379.",
    "berry": "Berry SM, Broglio KR, Groshen S, Berry DA. Bayesian hierarchical modeling of "
    "patient subpopulations: efficient designs of phase II oncology clinical trials. "
    "Clinical Trials 2013;10:720-734.",
    "exnex": "Neuenschwander B, Wandel S, Roychoudhury S, Bailey S. Robust exchangeability "
    "designs for early phase clinical trials with multiple strata. Pharmaceutical Statistics "
    "2016;15:123-134.",
    "map": "Neuenschwander B, Capkun-Niggli G, Branson M, Spiegelhalter DJ. Summarizing "
    "historical information on controls in clinical trials. Clinical Trials 2010;7:5-18.",
    "robust": "Schmidli H, Gsteiger S, Roychoudhury S, O'Hagan A, Spiegelhalter D, "
    "Neuenschwander B. Robust meta-analytic-predictive priors in clinical trials with "
    "historical control information. Biometrics 2014;70:1023-1032.",
    "elir": "Neuenschwander B, Weber S, Schmidli H, O'Hagan A. Predictively consistent prior "
    "effective sample sizes. Biometrics 2020;76:578-587.",
    "lalonde": "Lalonde RL, Kowalski KG, Hutmacher MM, et al. Model-based drug development. "
    "Clinical Pharmacology & Therapeutics 2007;82:21-32.",
    "frewer": "Frewer P, Mitchell P, Watkins C, Matcham J. Decision-making in early clinical "
    "drug development. Pharmaceutical Statistics 2016;15:255-263.",
}

_FAMILY = {
    "posterior": ("a Bayesian design with posterior-probability stopping rules", "thall_simon"),
    "dual": ("a Bayesian Go / Consider / No-Go design on the posterior distribution", "lalonde"),
    "posterior_vs_standard": (
        "a Bayesian design comparing the regimen with an uncertain standard",
        "thall_simon",
    ),
    "predictive": ("a Bayesian predictive-probability design", "lee_liu"),
    "bop2": ("the Bayesian optimal phase II (BOP2) design", "bop2"),
}


def _pct(p: Any) -> str:
    return f"{100 * float(p):g} %"


def _cite(key: str, cited: list[str]) -> str:
    if key not in cited:
        cited.append(key)
    author = {"simon": "Simon 1989", "thall_simon": "Thall & Simon 1994", "lee_liu":
              "Lee & Liu 2008", "bop2": "Zhou et al. 2017", "tse": "Thall, Simon & Estey 1995",
              "berry": "Berry et al. 2013", "exnex": "Neuenschwander et al. 2016",
              "map": "Neuenschwander et al. 2010", "robust": "Schmidli et al. 2014",
              "elir": "Neuenschwander et al. 2020", "lalonde": "Lalonde et al. 2007",
              "frewer": "Frewer et al. 2016"}[key]  # fmt: skip
    return f"({author})"


def design_paragraphs(
    design: Design, evaluation: DesignEvaluation, cited: list[str], map_prior: Any = None
) -> list[str]:
    """Endpoint and hypotheses, the design and its rules, and its exact OC; keys cited appended.

    ``map_prior``: the :class:`~adaptive_pilot.meta_analytic.MapPrior` the design's prior comes
    from, described before the rules."""
    hyp = errors = design
    table = evaluation.table
    endpoint = design.endpoint.name
    definition = f", defined as {design.endpoint.definition}" if design.endpoint.definition else ""
    paragraphs = [
        f"The primary endpoint is the {endpoint}{definition}. With p the true {endpoint}, the "
        f"null hypothesis H0: p <= {hyp.p0:g} (a rate of no further interest) is tested "
        f"against H1: p >= {hyp.p1:g} (a rate that would justify further study), with a "
        f"one-sided type I error of at most {errors.alpha:g} and power of at least "
        f"{1 - errors.beta:g}."
    ]
    dual = design.family == "dual"
    if dual:
        rule = design.bayesian.rule if design.bayesian is not None else None
        lrv, tv = getattr(rule, "lrv", hyp.p0), getattr(rule, "tv", None) or hyp.p1
        paragraphs[0] = (
            f"The primary endpoint is the {endpoint}{definition}. With p the true {endpoint}, "
            f"the decision is made against a lower reference value (LRV) of {_pct(lrv)}, a rate "
            f"of no further interest, and a target value (TV) of {_pct(tv)}, the rate that "
            f"would justify further study {_cite('lalonde', cited)}: GO, NO-GO, or CONSIDER "
            f"when the evidence supports neither {_cite('frewer', cited)}. The design keeps "
            f"the probability of a GO at p = {hyp.p0:g} at most {errors.alpha:g} and the "
            f"probability of a NO-GO at p = {hyp.p1:g} at most {errors.beta:g}."
        )
    looks = table.looks
    if len(looks) > 5 and len({b - a for a, b in itertools.pairwise(looks[:-1])}) == 1:
        interim = f"n = {looks[0]}, {looks[1]}, ..., {looks[-2]}"
    else:
        interim = " and ".join(
            [", ".join(str(n) for n in looks[:-2]), str(looks[-2])]
            if len(looks) > 2
            else [str(n) for n in looks[:-1]]
        )
    schedule = (
        f"interim analyses after {interim} evaluable patients and the final analysis at {looks[-1]}"
        if len(looks) > 1
        else f"a single analysis at {looks[-1]} evaluable patients"
    )
    if design.is_simon:
        kind = design.simon_kind
        name = f"Simon's {kind} two-stage design" if kind else "a Simon two-stage design"
        if kind == "admissible":
            name = (
                "the admissible Simon two-stage design for q = 1/2 (Jung et al. 2004: it "
                "minimises the average of the maximum and the expected sample size under p0)"
            )
        n1, n = looks[0], looks[-1]
        r1, r = table.futility_at(0), table.futility_at(len(looks) - 1)
        paragraphs.append(
            f"The trial uses {name} {_cite('simon', cited)}. In the first stage {n1} evaluable "
            f"patients are enrolled; if {r1} or fewer respond, the trial stops for futility "
            f"(NO-GO). Otherwise {n - n1} further patients are enrolled, to {n} in total, and "
            f"the regimen is declared worthy of further study (GO) if more than {r} of the {n} "
            "respond."
        )
    else:
        family, key = _FAMILY[design.family]
        if design.family == "bop2" and any(
            table.efficacy_at(k) is not None for k in range(len(looks) - 1)
        ):
            family += " with early stopping for efficacy"
        prior = design.prior
        family_cite = _cite(key, cited)  # cited first, as it is read first
        origin = "" if map_prior is None else _map_words(map_prior, cited) + " "
        paragraphs.append(
            f"The trial uses {family} {family_cite}, with at most {looks[-1]} evaluable "
            f"patients, {schedule}. {origin}The response rate has a {prior} prior (mean "
            f"{prior.mean:.3g}, {_worth(prior, cited)}). "
            f"{_rule_words(evaluation.rule_text, str(prior))} These rules give the stopping "
            "boundaries of Table 1: " + " ".join(table.describe().splitlines())
        )
    oc = evaluation.oc
    at0, at1 = oc.at(hyp.p0), oc.at(hyp.p1)
    if oc.three_outcomes:
        paragraphs.append(_three_outcome_words(hyp.p0, hyp.p1, at0, at1))
    else:
        paragraphs.append(
            "The operating characteristics were computed exactly, by enumerating every "
            f"binomial outcome of the design (no simulation). If the true rate is "
            f"{_pct(hyp.p0)} (p0), the probability of a GO decision (the type I error) is "
            f"{probability_text(at0['p_go'])}, the trial stops early with probability "
            f"{probability_text(at0['pet'])} and enrols {at0['en']:.1f} patients on average. "
            f"If it is {_pct(hyp.p1)} (p1), the probability of GO (the power) is "
            f"{probability_text(at1['p_go'])}, with {at1['en']:.1f} patients on average."
        )
    bayes = evaluation.bayesian
    if bayes is not None:
        paragraphs[-1] += (
            f" Averaged over a design prior {bayes.design_prior} for the true rate (which puts "
            f"{probability_text(bayes.p_h0)} on H0 and {probability_text(bayes.p_h1)} on H1), "
            f"the probability of success (GO) is {probability_text(bayes.p_success)}, a GO is "
            + (
                f"CONSIDER has probability {probability_text(bayes.p_consider)}, "
                if oc.three_outcomes
                else ""
            )
            + f"a GO is false (p <= {hyp.p0:g}) with probability "
            f"{_maybe(bayes.p_h0_given_go)}, a NO-GO misses a rate of at least {hyp.p1:g} with "
            f"probability {_maybe(bayes.p_h1_given_nogo)}, and {bayes.en_design:.1f} patients "
            "are enrolled on average (exact)."
        )
    if evaluation.toxicity is not None and evaluation.joint is not None:
        joint = evaluation.joint.to_frame()
        rows = joint[abs(joint["p"] - hyp.p1) < 1e-9]
        parts = [
            f"{probability_text(p_go)} at a toxicity rate of {_pct(rate)}"
            for p_go, rate in zip(
                rows["p_go"].to_numpy(dtype=float),
                rows["p_toxicity"].to_numpy(dtype=float),
                strict=True,
            )
        ]
        paragraphs.append(
            f"Toxicity is monitored alongside {_cite('tse', cited)}: the trial stops for "
            f"toxicity if {evaluation.toxicity.describe().removeprefix('Stop for toxicity if ')} "
            "Counting these stops, and with response and "
            f"toxicity independent, the probability of GO at p1 is {', '.join(parts)}."
        )
    return paragraphs


def _three_outcome_words(p0: float, p1: float, at0: dict[str, float], at1: dict[str, float]) -> str:
    """The exact Go / Consider / No-Go probabilities at p0 and p1, in a sentence each."""

    def three(at: dict[str, float]) -> str:
        return (
            f"GO {probability_text(at['p_go'])}, CONSIDER {probability_text(at['p_consider'])} "
            f"and NO-GO {probability_text(at['p_nogo'])}"
        )

    return (
        "The operating characteristics were computed exactly, by enumerating every binomial "
        f"outcome of the design (no simulation). If the true rate is {_pct(p0)} (p0), the "
        f"probabilities are {three(at0)} (a false GO with probability "
        f"{probability_text(at0['p_go'])}); the trial stops early with probability "
        f"{probability_text(at0['pet'])} and enrols {at0['en']:.1f} patients on average. If it "
        f"is {_pct(p1)} (p1), they are {three(at1)} (a false NO-GO with probability "
        f"{probability_text(at1['p_nogo'])}), with {at1['en']:.1f} patients on average."
    )


def _maybe(value: float | None) -> str:
    return "not defined" if value is None else probability_text(value)


def _worth(prior: Any, cited: list[str]) -> str:
    """What the prior is worth in patients: a + b for a Beta; ELIR (and moment) for a mixture."""
    from ..ess import effective_sample_size

    if isinstance(prior, BetaPrior):
        return f"worth {_patients(prior.a + prior.b)}"
    moment = effective_sample_size(prior, "moment")
    try:
        elir = effective_sample_size(prior, "elir")
    except InputError:
        return f"an effective sample size of {_patients(moment)} by moment matching"
    return (
        f"an effective sample size of {_patients(elir)} by the expected local-information "
        f"ratio {_cite('elir', cited)}, {moment:.3g} by moment matching"
    )


def _map_words(result: Any, cited: list[str]) -> str:
    """The MAP prior in words: the studies, the model, the approximation, robustification."""
    studies = result.studies
    names = ", ".join(f"{s.name} ({s.x}/{s.n})" for s in studies)
    model = result.model
    text = (
        f"The prior is a meta-analytic-predictive (MAP) prior {_cite('map', cited)} from "
        f"{len(studies)} historical stud{'y' if len(studies) == 1 else 'ies'} ({names}; "
        f"{sum(s.n for s in studies)} patients): the predictive distribution of the new "
        f"study's response rate under logit p_h ~ N(mu, tau^2), with mu ~ N({model.mu_mean:g}, "
        f"{model.mu_sd:g}^2) and tau ~ HalfNormal({model.tau_sd:g}), computed exactly by "
        f"quadrature (mean {result.predictive['mean']:.3f}, SD {result.predictive['sd']:.3f}) "
        f"and approximated by a {result.fit['components']}-component Beta mixture (Kullback-"
        f"Leibler divergence {result.fit['kl']:.1e})."
    )
    if result.robust is not None:
        text += (
            f" It is robustified {_cite('robust', cited)} with a vague Beta component of mean "
            f"{result.robust['mean']:g} at weight {result.robust['weight']:g}."
        )
    return text


def _patients(ess: float) -> str:
    text = f"{ess:.3g}"
    return f"{text} patient" if text == "1" else f"{text} patients"


def _rule_words(rule: str, prior: str) -> str:
    """The rule's own description, as running text after the prior has been stated."""
    rule = rule.replace(f", under a {prior} prior", "").replace(f" under a {prior} prior", "")
    rule = re.sub(
        r"^q = P\(p > ([^|]+) \| data\)",
        r"Let q = P(p > \1 | data) be the posterior probability that p exceeds \1",
        rule,
    )
    return re.sub(r"^PP = ", "Let PP be the ", rule)


def trial_paragraphs(
    resolved: ResolvedDesign, trial: TrialDesign | None, cited: list[str]
) -> list[str]:
    """Cohorts, accrual and the analysis model of a multi-cohort trial (none for one cohort).

    ``trial``: the resolved trial (its borrowing model decides the text), or None
    when the file has no accrual section.
    """
    if not resolved.has_cohorts:
        return []
    main = resolved.design.table
    own = []
    for cohort in resolved.cohorts:
        table = cohort.design.table
        if table != main:
            looks = ", ".join(str(n) for n in table.looks)
            own.append(f"{cohort.name} (at most {table.n_max} patients, looks at {looks})")
    names = [c.name for c in resolved.cohorts]
    hierarchical = (
        trial.borrowing is not None
        if trial is not None
        else resolved.borrowing_model != "independent"
    )
    rules = "the looks" if hierarchical else "the stopping boundaries"
    text = f"The trial has {len(names)} cohorts ({', '.join(names)}), each with {rules} above"
    text += f", except {'; '.join(own)}." if own else "."
    accrual = resolved.accrual
    if accrual is not None:
        if accrual.allocation == "prevalence":
            shares = ", ".join(f"{c.name} {_pct(c.prevalence or 0.0)}" for c in resolved.cohorts)
            joining = f"each joining the cohort of their subtype (expected shares {shares})"
        else:
            total = sum(c.allocation or 0.0 for c in resolved.cohorts)
            shares = ", ".join(f"{c.name} {_pct((c.allocation or 0.0) / total)}"
                               for c in resolved.cohorts)  # fmt: skip
            joining = f"allocated to the cohorts in fixed proportions ({shares})"
        text += (
            f" Patients are expected to enrol at {accrual.rate:g} per month in all, {joining}; "
            f"responses are known {accrual.assessment_delay:g} months after enrolment"
        )
        if accrual.max_duration is not None:
            closing = (
                "is analysed once the outcomes of everyone it enrolled are known, by the GO "
                "criterion of its final analysis at the number of patients it reached"
                if accrual.incomplete == "analyse"
                else "ends without a GO (NO-GO)"
            )
            text += (
                f", and enrolment closes after {accrual.max_duration:g} months at the latest "
                f"(a cohort short of its final analysis then {closing})"
            )
        text += "."
    out = [text]
    if not hierarchical:
        out.append("Each cohort is analysed on its own data (no borrowing between cohorts).")
        return out
    decide = None if trial is None else trial.borrowing
    exnex = (
        isinstance(decide.model, ExnexBorrowing)
        if decide is not None
        else resolved.borrowing_model == "exnex"
    )
    if exnex:
        words = (
            "Information is borrowed between cohorts with an exchangeability-nonexchangeability "
            f"(EXNEX) model {_cite('exnex', cited)}: with p_j the response rate of cohort j, "
            "logit p_j is, with prior probability w_j, exchangeable with the other cohorts, "
            "logit p_j ~ N(mu, tau^2), and otherwise non-exchangeable, with its own prior; "
            "a cohort whose data differ from the others' thereby borrows less. In the "
            "exchangeable part, "
        )
    else:
        words = (
            "Information is borrowed between cohorts with a Bayesian hierarchical model "
            f"{_cite('berry', cited)}: with p_j the response rate of cohort j, logit p_j ~ "
            "N(mu, tau^2), "
        )
    if decide is not None:
        prior = decide.prior
        words += (
            f"mu ~ N({prior.mu_mean:.3g}, {prior.mu_sd:g}^2) and tau ~ HalfNormal({prior.tau_sd:g})"
            f" (mu centred on logit p0 = {prior.mu_mean:.3g})"
        )
        if isinstance(decide.model, ExnexBorrowing):
            assert trial is not None
            words += f"; {_nex_words(decide.model, [c.name for c in trial.cohorts])}"
        words += (
            ". The decisions use q_j = P(p_j > "
            f"p0 | all cohorts' data), computed {_timing_words(decide)}, "
            f"instead of the single-cohort boundaries: {_thresholds(decide)}"
        )
    else:
        mu_sd, tau_sd = resolved.borrowing_prior_sds
        sds = f"(SD {mu_sd:g}) and a half-normal prior on tau (scale {tau_sd:g})."
        words += f"mu has a normal prior {sds}" if exnex else f"with a normal prior on mu {sds}"
    if any(c.design.toxicity is not None for c in resolved.cohorts):
        words += " Toxicity is monitored in each cohort with its own rule, as above."
    out.append(words)
    return out


def _nex_words(model: ExnexBorrowing, names: list[str]) -> str:
    nex = model.nex
    if len(set(nex.ex_weight)) == 1:
        weights = f"w_j = {nex.ex_weight[0]:g} in every cohort"
    else:
        weights = ", ".join(f"w = {w:g} ({n})" for w, n in zip(nex.ex_weight, names, strict=True))
    priors = "; ".join(
        f"{n}: N({m:.3g}, {s:.3g}^2)"
        for n, m, s in zip(names, nex.nex_mean, nex.nex_sd, strict=True)
    )
    return f"{weights}; non-exchangeable priors on logit p_j: {priors}"


def _timing_words(decide: HierarchicalBorrowing) -> str:
    if decide.timing == "per_cohort":
        return "when the cohort reaches each of its looks"
    if decide.joint_months is None:
        return (
            "for all running cohorts together at each look, once the slowest of them has reached it"
        )
    months = ", ".join(f"{m:g}" for m in decide.joint_months)
    return (
        f"for all running cohorts together at months {months} (interim looks; a cohort "
        "takes part once it has its first look's patients) and at the final analysis, once "
        "the slowest running cohort has reached its N"
    )


def _thresholds(decide: HierarchicalBorrowing) -> str:
    parts = []
    futility = [f for f in decide.futility if not math.isnan(f)]
    if futility:
        if len(set(decide.futility)) == 1:
            parts.append(f"at an interim look, stop for futility if q_j < {futility[0]:g}")
        else:
            cuts = ", ".join("none" if math.isnan(f) else f"{f:g}" for f in decide.futility)
            parts.append(f"at interim looks 1, 2, ..., stop for futility if q_j is below {cuts}")
    efficacy = [e for e in decide.efficacy if not math.isnan(e)]
    if efficacy:
        cuts = ", ".join("none" if math.isnan(e) else f"{e:g}" for e in decide.efficacy)
        parts.append(f"stop for efficacy (GO) at interim looks if q_j is at least {cuts}")
    if isinstance(decide.go, tuple):
        cuts = ", ".join(f"{g:g}" for g in decide.go)
        parts.append(
            f"at the final analysis, GO if q_j is at least its cohort's threshold ({cuts}, in "
            "cohort order)"
        )
    else:
        parts.append(f"at the final analysis, GO if q_j >= {decide.go:g}")
    if decide.nogo is None:
        parts[-1] += " and NO-GO otherwise"
    else:
        nogo = (
            ", ".join(f"{g:g}" for g in decide.nogo)
            if isinstance(decide.nogo, tuple)
            else f"{decide.nogo:g}"
        )
        parts[-1] += f", NO-GO if q_j < {nogo} and CONSIDER between (Go / Consider / No-Go)"
    return "; ".join(parts) + "."
