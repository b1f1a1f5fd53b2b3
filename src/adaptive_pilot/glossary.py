"""One glossary of the names used in results, tables, JSON and CSV.

Every column of a result's ``to_frame()``, every key of its ``to_dict()``
records and every metric in a simulation's tidy table is a name listed here,
with the label shown in printed tables and a one-line definition. A test fails
when a result uses a name that is not here; the documentation's glossary page is
generated from :data:`GLOSSARY`.

Conventions: ``p_*`` are probabilities over trials (exact, or Monte Carlo with
an MCSE); "early" means at an interim look, before the final analysis; GO
counts early efficacy stops and the final GO.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FIELDS",
    "GLOSSARY",
    "MCSE_SUFFIX",
    "METRICS",
    "Term",
    "is_glossary_name",
    "label",
    "number_format",
]


@dataclass(frozen=True)
class Term:
    """One glossary entry: display label, definition and number format."""

    label: str
    definition: str
    format: str = ""


#: Operating characteristics and other figures computed by the engine.
METRICS: dict[str, Term] = {
    "p_go": Term("P(GO)", "probability of GO: early efficacy stop or GO at the final look", ".4f"),
    "p_nogo": Term(
        "P(NO-GO)",
        "probability of NO-GO: early futility stop or NO-GO at the final look (1 - P(GO) "
        "unless the design has a CONSIDER zone)",
        ".4f",
    ),
    "p_consider": Term(
        "P(CONSIDER)",
        "probability of CONSIDER: the final count falls between the NO-GO and GO bounds of a "
        "Go / Consider / No-Go design (neither criterion met)",
        ".4f",
    ),
    "p_early_futility": Term(
        "P(early futility)", "probability of stopping for futility at an interim look", ".4f"
    ),
    "p_early_efficacy": Term(
        "P(early efficacy)", "probability of stopping for efficacy (GO) at an interim look", ".4f"
    ),
    "p_stop_toxicity": Term(
        "P(toxicity stop)", "probability of stopping for toxicity at any look", ".4f"
    ),
    "p_expected_success": Term(
        "P(stop enrolment: expected success)",
        "time-to-event designs: probability of stopping enrolment at an interim look because "
        "the patients enrolled are expected to give a GO (they are then followed up and "
        "analysed, so the GO is not certain)",
        ".4f",
    ),
    "p_go_null": Term(
        "P(GO) at the goal",
        "time-to-event calibration: P(GO) with every cohort at the goal, the largest over "
        "cohorts (Monte Carlo)",
        ".4f",
    ),
    "p_go_alt": Term(
        "P(GO) at the target",
        "time-to-event calibration: P(GO) with every cohort at the target, the smallest over "
        "cohorts (Monte Carlo)",
        ".4f",
    ),
    "en_null": Term("E[N] at the goal", "mean sample size per cohort at the goal", ".1f"),
    "en_alt": Term("E[N] at the target", "mean sample size per cohort at the target", ".1f"),
    "final_events": Term(
        "events at final",
        "time-to-event designs: events within the landmark at the final analysis (mean over "
        "the trials that reach it)",
        ".2f",
    ),
    "pp_now": Term(
        "PP(now)",
        "predictive probability of a final GO with the patients enrolled so far, followed to "
        "the landmark (Goldilocks imputation; Monte Carlo)",
        ".4f",
    ),
    "pp_max": Term(
        "PP(max)",
        "predictive probability of a final GO with enrolment continued to the maximum "
        "(Goldilocks imputation; Monte Carlo)",
        ".4f",
    ),
    "p_nogo_final": Term(
        "P(final NO-GO)", "probability of reaching the final look and being NO-GO there", ".4f"
    ),
    "p_consider_final": Term(
        "P(final CONSIDER)",
        "probability of reaching the final look and being CONSIDER there (a Go / Consider / "
        "No-Go design)",
        ".4f",
    ),
    "p_incomplete": Term(
        "P(incomplete)",
        "probability that enrolment closed before the final look (the cohort is then "
        "analysed at the n it reached, or NO-GO, as the design says)",
        ".4f",
    ),
    "p_go_incomplete": Term(
        "P(GO at close)",
        "probability of GO at the n reached when enrolment closed before the final look "
        "(included in P(GO))",
        ".4f",
    ),
    "pet": Term("PET", "probability of early termination, for any reason", ".4f"),
    "median_pfs": Term(
        "median PFS",
        "Kaplan-Meier median PFS (months) at the cohort's survival data cut, mean over the "
        "trials where the curve reaches 1/2",
        ".2f",
    ),
    "p_median_pfs_reached": Term(
        "P(median PFS reached)", "probability that the Kaplan-Meier PFS curve reaches 1/2", ".4f"
    ),
    "pfs_landmark": Term(
        "PFS at landmark",
        "Kaplan-Meier PFS at the scenario's landmark (default 6 months), mean over trials",
        ".4f",
    ),
    "pfs_events": Term(
        "PFS events", "number of PFS events seen (progression at a scan, or death)", ".2f"
    ),
    "median_os": Term(
        "median OS",
        "Kaplan-Meier median OS (months) at the cohort's survival data cut, mean over the "
        "trials where the curve reaches 1/2",
        ".2f",
    ),
    "p_median_os_reached": Term(
        "P(median OS reached)", "probability that the Kaplan-Meier OS curve reaches 1/2", ".4f"
    ),
    "os_events": Term("OS events", "number of deaths seen", ".2f"),
    "en": Term("E[N]", "expected number of evaluable patients (sample size)", ".2f"),
    "sd_n": Term("SD[N]", "standard deviation of the sample size", ".2f"),
    "n_q10": Term("N 10%", "10th percentile of the sample size", ".0f"),
    "n_q50": Term("N 50%", "median sample size", ".0f"),
    "n_q90": Term("N 90%", "90th percentile of the sample size", ".0f"),
    "duration": Term("E[months]", "expected duration in months", ".1f"),
    "p_any_go": Term("P(any GO)", "probability that at least one cohort is GO", ".4f"),
    "fwer": Term(
        "P(any false GO)",
        "family-wise error: probability of GO in at least one cohort whose rate is <= its p0",
        ".4f",
    ),
    "alpha": Term("alpha", "type I error: P(GO) at p0 (exact)", ".4f"),
    "power": Term("power", "P(GO) at p1 (exact)", ".4f"),
    "en0": Term("EN(p0)", "expected sample size under p0", ".2f"),
    "en1": Term("EN(p1)", "expected sample size under p1", ".2f"),
    "pet0": Term("PET(p0)", "probability of early termination under p0", ".3f"),
    "p_reach": Term("P(reach)", "probability that the look takes place", ".4f"),
    "p_stop_futility": Term(
        "P(stop futility)",
        "probability of stopping for futility at this look (NO-GO at the final look)",
        ".4f",
    ),
    "p_stop_efficacy": Term(
        "P(stop efficacy)",
        "probability of stopping for efficacy at this look (GO at the final look)",
        ".4f",
    ),
    "p_end": Term("P(end here)", "probability that the trial ends at this look", ".4f"),
    "ess_elir": Term(
        "ESS (ELIR)",
        "effective sample size by the expected local-information ratio (Neuenschwander et "
        "al. 2020; RBesT's default); not defined when a component has a or b below 1",
        ".2f",
    ),
    "ess_moment": Term(
        "ESS (moment)",
        "effective sample size: a + b of the Beta with the same mean and SD",
        ".2f",
    ),
    "ess_morita": Term(
        "ESS (Morita)",
        "effective sample size by Morita, Thall & Mueller (2008) at the prior's mode (RBesT)",
        ".2f",
    ),
    "p_go_p0": Term("P(GO | p0)", "exact probability of GO if the true rate is p0", ".4f"),
    "p_go_p1": Term("P(GO | p1)", "exact probability of GO if the true rate is p1", ".4f"),
    "p_success": Term(
        "P(success)",
        "probability of success (assurance): P(GO) averaged over the design prior of the rate",
        ".4f",
    ),
    "p_h0_given_go": Term(
        "P(H0 | GO)", "probability that a GO is false (p <= p0), under the design prior", ".4f"
    ),
    "p_h1_given_nogo": Term(
        "P(H1 | NO-GO)",
        "probability that a NO-GO misses an effective regimen (p >= p1), under the design prior",
        ".4f",
    ),
    "en_design": Term("E[N] (design prior)", "expected sample size under the design prior", ".2f"),
    "box_p": Term(
        "Box p",
        "Box's prior-predictive p-value: probability, before the data, of data at most as "
        "probable as those observed (small: the data conflict with the prior)",
        ".4f",
    ),
    "sam_weight": Term(
        "SAM weight",
        "weight a self-adapting mixture prior keeps on the informative prior, by likelihood "
        "ratio (SAMprior's LRT: 1 / (1 + R))",
        ".4f",
    ),
    "sam_weight_ppr": Term(
        "SAM weight (PPR)",
        "the SAM weight by posterior probability ratio (R divided by the prior odds)",
        ".4f",
    ),
    "prior_mean": Term("prior mean", "mean of the prior for the response rate", ".4f"),
    "prior_sd": Term("prior SD", "standard deviation of the prior for the response rate", ".4f"),
    "p_cum_futility_p0": Term(
        "cum. P(futility) at p0",
        "probability at p0 of having stopped for futility by this look (NO-GO at the final)",
        ".4f",
    ),
    "p_cum_futility_p1": Term(
        "cum. P(futility) at p1",
        "probability at p1 of having stopped for futility by this look (NO-GO at the final)",
        ".4f",
    ),
    "p_cum_go_p0": Term(
        "cum. P(GO) at p0",
        "probability at p0 of a GO by this look (early efficacy or the final GO): at the "
        "final look, the type I error",
        ".4f",
    ),
    "p_cum_go_p1": Term(
        "cum. P(GO) at p1",
        "probability at p1 of a GO by this look: at the final look, the power",
        ".4f",
    ),
    "prob_gt_p0": Term("P(p > p0)", "posterior probability that the rate exceeds p0", ".4f"),
    "posterior_mean": Term("mean", "posterior mean of the response rate", ".4f"),
    "credible_low": Term(
        "cred. low", "lower end of the equal-tailed credible interval (95% unless stated)", ".4f"
    ),
    "credible_high": Term(
        "cred. high", "upper end of the equal-tailed credible interval (95% unless stated)", ".4f"
    ),
    "predictive_probability": Term(
        "PP",
        "predictive probability of GO: with predprob, that the final analysis succeeds (Lee & "
        "Liu); in an interim call, that the cohort ends in GO from its data, counting efficacy "
        "stops at its remaining interim looks and no GO after a futility stop at one",
        ".4f",
    ),
    "predictive_nogo": Term(
        "PP(NO-GO)",
        "in an interim call, the predictive probability that the cohort ends in NO-GO from its "
        "data (a futility stop at a remaining look or NO-GO at the final one); 1 - PP - "
        "PP(NO-GO) is the probability of CONSIDER in a Go / Consider / No-Go design",
        ".4f",
    ),
    "mle": Term(
        "MLE", "naive estimate x / n (maximum likelihood; biased after early stopping)", ".4f"
    ),
    "umvue": Term(
        "UMVUE",
        "uniformly minimum-variance unbiased estimate (Rao-Blackwell over stopping paths)",
        ".4f",
    ),
    "median_unbiased": Term(
        "median-unbiased", "rate at which the p-value is 1/2 (Koyama & Chen 2008)", ".4f"
    ),
    "bias_adjusted": Term(
        "bias-adjusted",
        "rate at which the expected MLE equals the observed MLE (Whitehead 1986)",
        ".4f",
    ),
    "p_value": Term("p-value", "exact one-sided p-value for H0: p <= p0", ".4g"),
    "ci_low": Term("CI low", "lower end of the exact confidence interval (level as stated)", ".4f"),
    "ci_high": Term(
        "CI high", "upper end of the exact confidence interval (level as stated)", ".4f"
    ),
    "p_final_go_p0": Term(
        "P(GO at p0)",
        "exact probability that the cohort ends in GO from its current data (an efficacy stop "
        "at a remaining look, or GO at the final analysis) if the rate is p0",
        ".4f",
    ),
    "p_final_go_p1": Term(
        "P(GO at p1)",
        "exact probability that the cohort ends in GO from its current data (an efficacy stop "
        "at a remaining look, or GO at the final analysis) if the rate is p1",
        ".4f",
    ),
    "prob_toxicity": Term(
        "P(tox > t)",
        "posterior probability that the toxicity rate exceeds the design's limit",
        ".4f",
    ),
    "events": Term("events", "number of events (progression or death for PFS; death for OS)", "d"),
    "median_months": Term(
        "median (months)", "Kaplan-Meier median; empty while the curve stays above 1/2", ".1f"
    ),
    "s_landmark": Term("S(landmark)", "Kaplan-Meier survival at the landmark", ".3f"),
    "s_landmark_se": Term("SE", "Greenwood standard error of S(landmark)", ".3f"),
    "estimate": Term("estimate", "estimate of the metric", ".4f"),
    "mcse": Term("MCSE", "Monte Carlo standard error of the estimate", ".4f"),
    "pfs_events_by_look": Term(
        "PFS events by look",
        "mean number of PFS events at each look of the cohort, '/'-separated ('-': not reached)",
        "",
    ),
    "n_quantiles": Term(
        "N 10/50/90%", "10th, 50th and 90th percentiles of the number of patients enrolled", ""
    ),
    "false_go_global_null": Term(
        "P(false GO), global null", "P(GO) of the cohort when every cohort is at its p0", ".4f"
    ),
    "worst_null_scenario": Term(
        "worst null scenario",
        "the null scenario (the cohort at its p0, or at its goal) with the largest P(GO)",
        "",
    ),
    "false_go_worst_null": Term(
        "P(false GO), worst null", "the cohort's P(GO) in its worst null scenario", ".4f"
    ),
    "power_alone": Term(
        "power, alone active", "P(GO) of the cohort at its p1 with the others at their p0", ".4f"
    ),
    "power_global_alternative": Term(
        "power, global alternative", "P(GO) of the cohort when every cohort is at its p1", ".4f"
    ),
    "average_power": Term(
        "average power",
        "mean P(GO) over every (alternative scenario, active cohort) pair",
        ".4f",
    ),
    "max_false_go_control": Term(
        "max P(false GO), control",
        "largest per-cohort P(false GO) over the scenarios the calibration controls",
        ".4f",
    ),
    "max_false_go_all_nulls": Term(
        "max P(false GO), all nulls",
        "largest per-cohort P(false GO) over every null scenario",
        ".4f",
    ),
    "en_global_null": Term(
        "E[total N], global null", "expected total number of patients under the global null", ".1f"
    ),
}

#: Coordinates, design parameters and identifiers.
FIELDS: dict[str, Term] = {
    "p": Term("p", "true response rate", ".3f"),
    "p_toxicity": Term("p_tox", "true toxicity rate", ".2f"),
    "p_response": Term("p", "true response rate (marginal)", ".3f"),
    "p0": Term("p0", "uninteresting (null) response rate", ".3f"),
    "p1": Term("p1", "target response rate", ".3f"),
    "look": Term("look", "look number, 1-based", "d"),
    "endpoint": Term("endpoint", "time-to-event endpoint: PFS or OS", ""),
    "landmark_months": Term("landmark", "months at which survival is reported", "g"),
    "n": Term("n", "number of evaluable patients", "d"),
    "x": Term("x", "number of responses", "d"),
    "futility": Term("futility", "stop for futility if x <= this bound", ""),
    "efficacy": Term("efficacy", "stop for efficacy (GO) if x >= this bound", ""),
    "component": Term("component", "number of a mixture component, 1-based", "d"),
    "study": Term("study", "name of a historical study", ""),
    "prior": Term("prior", "a prior for the response rate, as written", ""),
    "tau_sd": Term(
        "tau_sd", "scale of the half-normal prior of tau, the between-cohort SD of logit p", ".3g"
    ),
    "go_bound": Term("final GO if x >=", "the final analysis' GO bound in responses", "d"),
    "rate": Term("rate", "observed response rate x / n of a historical study", ".3f"),
    "weight": Term("weight", "weight of a mixture component (the weights sum to 1)", ".4f"),
    "a": Term("a", "first parameter of a Beta component (prior responses)", ".4g"),
    "b": Term("b", "second parameter of a Beta component (prior non-responses)", ".4g"),
    "robust_weight": Term(
        "robust weight", "weight of the vague component of a robustified prior", ".2f"
    ),
    "orr_futility": Term("ORR <= (%)", "the futility bound as an observed ORR, x/n in %", ".1f"),
    "orr_efficacy": Term(
        "ORR >= (%)", "the efficacy (GO) bound as an observed ORR, x/n in %", ".1f"
    ),
    "toxicity": Term("toxicity", "stop for toxicity if toxicities >= this bound", ""),
    "boundary": Term(
        "boundary",
        "toxicity boundary search: 'upper' (crossing probability just below the target) "
        "or 'lower' (just above)",
        "",
    ),
    "toxicity_upper": Term("upper", "upper toxicity boundary: stop if toxicities >= this", ""),
    "toxicity_lower": Term("lower", "lower toxicity boundary: stop if toxicities >= this", ""),
    "final": Term("final", "whether the look is the final analysis", ""),
    "stop_futility_if": Term("stop for futility if", "the futility region in words", ""),
    "stop_efficacy_if": Term("stop for efficacy if", "the efficacy region in words", ""),
    "continue_if": Term("continue if", "the continuation region in words", ""),
    "consider_if": Term("CONSIDER if", "the final CONSIDER band in words", ""),
    "shift": Term(
        "shift", "drift of the true rate from the prior's mean (true rate minus prior mean)", ".2f"
    ),
    "p_conflict": Term(
        "P(conflict)",
        "probability that the data of all N patients flag a prior-data conflict (Box's "
        "prior-predictive p < 0.05) at that true rate",
        ".4f",
    ),
    "go_prob": Term("GO threshold", "probability threshold of the calibrated GO condition", ".3g"),
    "nogo_prob": Term(
        "NO-GO threshold", "probability threshold of the calibrated NO-GO condition", ".3g"
    ),
    "nogo1": Term("P(NO-GO | p1)", "probability of NO-GO at p1 (the false NO-GO rate)", ".4f"),
    "consider0": Term("P(CONSIDER | p0)", "probability of CONSIDER at p0", ".4f"),
    "consider1": Term("P(CONSIDER | p1)", "probability of CONSIDER at p1", ".4f"),
    "n_max": Term("N", "maximum sample size", "d"),
    "look_at": Term(
        "at",
        "time-to-event designs: where an interim look falls, in patients enrolled, events "
        "within the landmark or months from the first enrolment",
        "g",
    ),
    "expected_success_above": Term(
        "stop enrolment if PP(now) >",
        "stop enrolment for expected success if the predictive probability of a final GO "
        "with the patients enrolled so far exceeds this",
        "g",
    ),
    "futility_below": Term(
        "futility if below",
        "stop for futility if the look's statistic (PP(max) or P(better)) is below this",
        "g",
    ),
    "exposure_months": Term(
        "exposure (months)", "months of follow-up within the landmark, summed over patients", ".1f"
    ),
    "goal": Term("goal", "the performance goal for survival at the landmark", "g"),
    "target": Term("target", "survival at the landmark hoped for (the alternative)", "g"),
    "breaks": Term(
        "breaks", "months where a piecewise-exponential hazard may change (none: exponential)", ""
    ),
    "success": Term(
        "success",
        "final GO if the posterior probability that survival at the landmark beats the goal "
        "exceeds this",
        "g",
    ),
    "expected_success": Term(
        "expected success",
        "the thresholds of PP(now) that stop enrolment for expected success, per interim look",
        "",
    ),
    "imputations": Term("imputations", "imputations per predictive probability", "d"),
    "s_landmark_mean": Term(
        "E[S(landmark)]", "posterior mean of survival at the landmark (exact)", ".4f"
    ),
    "in_follow_up": Term(
        "in follow-up",
        "patients censored before the landmark and still followed (imputed by the predictive "
        "probabilities)",
        "d",
    ),
    "p_pooled": Term(
        "P(pooled)",
        "with borrowing by model averaging: posterior probability that the cohort shares its "
        "hazards with at least one other cohort",
        ".4f",
    ),
    "kind": Term("design", "which design of a search: minimax, admissible, optimal", ""),
    "r1": Term("r1", "Simon: stop after stage 1 if x1 <= r1", "d"),
    "n1": Term("n1", "Simon: evaluable patients in stage 1", "d"),
    "r": Term("r", "Simon: GO if the total x > r", "d"),
    "q_lo": Term("q from", "lower end of the q interval of an admissible design", ".3f"),
    "q_hi": Term("q to", "upper end of the q interval of an admissible design", ".3f"),
    "theta_t": Term("theta_T", "predictive rule: final success threshold", ".3f"),
    "theta_l": Term("theta_L", "predictive rule: futility threshold on PP", ".3f"),
    "theta_u": Term("theta_U", "predictive rule: efficacy threshold on PP", ".3f"),
    "lambda": Term("lambda", "BOP2 cut-off parameter", ".3f"),
    "gamma": Term("gamma", "BOP2 cut-off exponent", ".3f"),
    "eta": Term("eta", "BOP2-FE efficacy cut-off exponent", ".3f"),
    "feasible": Term("feasible", "whether the design meets the error targets", ""),
    "scenario": Term("scenario", "scenario name", ""),
    "prob_better": Term(
        "P(better)",
        "posterior probability that an endpoint's rate is better than its threshold: above it "
        "for an efficacy endpoint, below it for a toxicity endpoint",
        ".4f",
    ),
    "cutoff": Term(
        "cut-off",
        "the BOP2 cut-off lambda (n/N)^gamma an endpoint's P(better) is compared with "
        "(lambda at the final analysis)",
        ".4f",
    ),
    "threshold": Term(
        "threshold",
        "the rate an endpoint is judged against: not promising (efficacy) or not acceptable "
        "(toxicity)",
        ".3g",
    ),
    "better": Term("better", "which way an endpoint's rate is better: higher or lower", ""),
    "category": Term("category", "an outcome category (best response x toxicity)", ""),
    "categories": Term(
        "categories", "evaluable patients per outcome category (best response x toxicity)", ""
    ),
    "endpoint_rates": Term(
        "endpoint rates",
        "a scenario's true rate of each endpoint of a multi-endpoint design (sums of its "
        "category probabilities), e.g. ORR 0.3, DCR 0.6",
        "",
    ),
    "cohort": Term("cohort", "cohort name ('ALL': the whole trial)", ""),
    "metric": Term("metric", "name of the metric (from this glossary)", ""),
    "method": Term(
        "method",
        "'exact' or 'monte carlo'; in an interim call 'independent', 'hierarchical' or 'exnex'",
        "",
    ),
    "enrolled": Term("enrolled", "patients enrolled by the data cut-off", "d"),
    "n_evaluable": Term("n", "patients evaluable for response (best response known)", "d"),
    "responses": Term("x", "responders (CR or PR) among the evaluable patients", "d"),
    "pending": Term("pending", "enrolled patients whose response is not yet known", "d"),
    "n_toxicity": Term("n tox", "patients with known toxicity status", "d"),
    "toxicities": Term("tox", "toxicity events (grade >= the design's minimum, or DLT)", "d"),
    "planned_look": Term("planned", "whether n is a planned look of the design", ""),
    "decision": Term(
        "decision",
        "continue, stop_futility, stop_efficacy, stop_toxicity, go, consider (Go / Consider / "
        "No-Go designs) or no_go; time-to-event designs also stop_enrolment (expected "
        "success: follow up, then analyse) and follow_up (enrolment complete)",
        "",
    ),
    "reason": Term("reason", "the decision in words, with the bound that applied", ""),
    "futility_bound": Term(
        "futility if <=", "stop for futility (NO-GO at the end) if responses <= this", ""
    ),
    "efficacy_bound": Term(
        "efficacy if >=", "stop for efficacy (GO at the end) if responses >= this", ""
    ),
    "toxicity_bound": Term("tox stop if >=", "stop for toxicity if events >= this", ""),
    "design": Term("design", "a design's title (or name)", ""),
    "family": Term("rule", "design family: Simon two-stage, posterior, predictive, BOP2, ...", ""),
    "looks": Term("looks at n", "the look schedule: evaluable patients at each look", ""),
    "own_p0_p1": Term(
        "own p0 / p1", "a compared design's own p0 and p1 ('same': the main design's)", ""
    ),
    "null_scenarios": Term(
        "null in", "number of scenarios in which the cohort's rate is at most its p0", "d"
    ),
    "pfs_median_assumed": Term(
        "PFS median assumed", "median PFS (months) the scenario simulates", ".1f"
    ),
    "os_median_assumed": Term(
        "OS median assumed", "median OS (months) the scenario simulates", ".1f"
    ),
    "go": Term("GO threshold", "borrowing: GO if P(p_j > p0_j | all data) >= this", "g"),
    "r1_n1": Term("r1/n1", "Simon: stage-1 futility bound over stage-1 size", ""),
    "r_n": Term("r/n", "Simon: final bound over the total size", ""),
    "q_interval": Term(
        "q interval",
        "range of q (weight of E[N | p0] against N) over which an admissible design is best",
        "",
    ),
    "meaning": Term("meaning", "the estimate or interval in words", ""),
    "setting": Term("setting", "a setting of the run (seed, trials, software, ...)", ""),
    "value": Term("value", "the setting's (or the figure's) value", ""),
    "figure": Term("figure", "a figure's name, in a table with one column per cohort", ""),
    # validation (adaptive-pilot validate)
    "reference_set": Term(
        "check",
        "a reference set (numbers from one third-party source, shipped with the package) or a "
        "cross-check (two computations run on this installation)",
        "",
    ),
    "check_type": Term("type", "reference (third-party numbers) or cross-check", ""),
    "software": Term("software", "the program or paper that produced the reference numbers", ""),
    "case": Term("case", "one call of the computation a reference set checks", ""),
    "cases": Term("cases", "calls of the computation in a reference set", "d"),
    "quantity": Term("quantity", "the figure compared (a list's element: [k], 1-based)", ""),
    "reference_value": Term("reference", "the reference's value, as it was recorded", ""),
    "computed_value": Term("value", "the value computed by this installation", ""),
    "difference": Term("difference", "value - reference", ".3g"),
    "allowed_difference": Term(
        "allowed",
        "the largest |difference| that passes: absolute + relative x |reference| + k x MCSE "
        "(empty for exact comparisons and one-sided grid bounds)",
        ".3g",
    ),
    "tolerance": Term("tolerance", "how close the value must be, in words", ""),
    "passed": Term("passed", "whether the value is within its tolerance of the reference", ""),
    "checks": Term("checks", "figures compared", "d"),
    "checks_passed": Term("within", "figures within their tolerance", "d"),
    "seconds": Term("seconds", "wall time", ".2f"),
    "title": Term("title", "what a reference set's numbers are", ""),
    "source": Term("source", "the paper or package that produced a reference set's numbers", ""),
    "produced_by": Term(
        "produced by", "the R call, paper table or program run that produced the numbers", ""
    ),
    "error": Term("error", "why a computation failed (empty when it ran)", ""),
}

GLOSSARY: dict[str, Term] = {**METRICS, **FIELDS}

#: A glossary name followed by this suffix is the Monte Carlo standard error of that
#: figure (``p_go_mcse``: the MCSE of ``p_go``), a column beside it in wide tables.
MCSE_SUFFIX = "_mcse"


#: Metric names that are probabilities: printed as "< 0.001" rather than "0.000" when
#: small but not 0 (and "> 0.999" near 1)
PROBABILITIES = frozenset(
    name
    for name in METRICS
    if name.startswith(("p_", "prob_", "pet", "fwer", "false_go", "power", "max_false_go"))
    or name
    in (
        "alpha",
        "average_power",
        "predictive_probability",
        "predictive_nogo",
        "box_p",
        "sam_weight",
        "sam_weight_ppr",
    )
)


def is_probability(name: str) -> bool:
    """Whether ``name`` is a probability (see :data:`PROBABILITIES`)."""
    return name in PROBABILITIES


def is_glossary_name(name: str) -> bool:
    """Whether ``name`` is in the glossary, or is a glossary name's ``_mcse`` column."""
    return name in GLOSSARY or (
        name.endswith(MCSE_SUFFIX) and name.removesuffix(MCSE_SUFFIX) in METRICS
    )


def label(name: str) -> str:
    """Display label of a glossary name (the name itself when unknown)."""
    term = GLOSSARY.get(name)
    if term is None and name.endswith(MCSE_SUFFIX) and name.removesuffix(MCSE_SUFFIX) in METRICS:
        return f"MCSE of {label(name.removesuffix(MCSE_SUFFIX))}"
    return term.label if term is not None else name


def number_format(name: str) -> str:
    """Format spec of a glossary name ('' when unknown or not numeric)."""
    term = GLOSSARY.get(name)
    return term.format if term is not None else ""
