"""The computations that reference numbers check: each takes a case's inputs, calls the
package's public functions the way a user would, and returns the figures by name.

A figure is a plain value, or a :class:`Figure` when its comparison needs a standard
deviation (an exact probability against a simulated reference) or a Monte Carlo
error (a simulated value). Lists of numbers are compared element by element.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

__all__ = ["COMPUTATIONS", "Figure"]


@dataclass(frozen=True)
class Figure:
    """A computed value with what its comparison needs.

    ``sd``: the per-trial standard deviation of the quantity (a simulated reference of
    ``simulated`` trials has MCSE ``sd / sqrt(simulated)``); ``se``: this value's own
    Monte Carlo standard error, when it was simulated.
    """

    value: float
    sd: float | None = None
    se: float | None = None


Computation = Callable[..., Mapping[str, Any]]
COMPUTATIONS: dict[str, Computation] = {}


def _computation(function: Computation) -> Computation:
    COMPUTATIONS[function.__name__] = function
    return function


def _prior(spec: Any) -> Any:
    """``[a, b]``, ``{mixture: [[w, a, b], ...]}`` or ``{robustify: PRIOR, weight, mean}``."""
    from ..priors import BetaMixturePrior, BetaPrior, robustify

    if isinstance(spec, Sequence):
        return BetaPrior(float(spec[0]), float(spec[1]))
    if "mixture" in spec:
        parts = spec["mixture"]
        return BetaMixturePrior([BetaPrior(a, b) for _, a, b in parts], [w for w, _, _ in parts])
    return robustify(_prior(spec["robustify"]), spec["weight"], mean=spec.get("mean", 0.5))


def _binary_sd(p: float) -> float:
    return math.sqrt(max(p * (1 - p), 0.0))


# ------------------------------------------------------------------ Simon two-stage
@_computation
def simon_search(p0: float, p1: float, alpha: float, beta: float, n_max: int) -> dict[str, Any]:
    """Simon's optimal and minimax designs (r1, n1, r, n) with E[N | p0] and PET(p0)."""
    from ..designs.simon import simon_designs

    search = simon_designs(p0, p1, alpha=alpha, beta=beta, n_max=n_max)
    out: dict[str, Any] = {}
    for name in ("optimal", "minimax"):
        d = getattr(search, name)
        out[f"{name}.design"] = [d.r1, d.n1, d.r, d.n]
        out[f"{name}.en0"] = d.en0
        out[f"{name}.pet0"] = d.pet0
        out[f"{name}.alpha_below"] = bool(d.alpha < alpha)
        out[f"{name}.power_above"] = bool(d.power > 1 - beta)
    return out


@_computation
def two_stage_oc(r1: int, n1: int, r: int, n: int, p: Sequence[float]) -> dict[str, Any]:
    """Exact OC of a two-stage design (stop for futility at x1 <= r1, GO at x > r)."""
    from ..boundary_table import BoundaryTable
    from ..oc.exact import exact_oc

    oc = exact_oc(BoundaryTable(looks=(n1, n), futility=(r1, r), efficacy=(n1 + 1, r + 1)), p)
    return {"p_go": list(oc.p_go), "pet": list(oc.pet), "en": list(oc.en)}


@_computation
def two_stage_inference(n1: int, r1: int, n: int, p0: float, x: int) -> dict[str, Any]:
    """Estimates, p-value and 90% intervals after a Simon design ended with x responses."""
    from ..boundary_table import BoundaryTable
    from ..inference import stagewise_inference

    table = BoundaryTable(looks=(n1, n), futility=(r1, n - 1), efficacy=(n1 + 1, n))
    m = n1 if x <= r1 else n
    stage = stagewise_inference(table, m, x, p0=p0, level=0.90)
    mle = stagewise_inference(table, m, x, p0=p0, level=0.90, ordering="mle")
    kc = stagewise_inference(table, m, x, p0=p0, level=0.90, interval="koyama_chen")
    return {
        "clinfun_umvue": stage.umvue,
        "desmon_unbiased": stage.umvue,
        "clinfun_p_value": stage.p_value,
        "clinfun_lcl": kc.ci_low,
        "clinfun_ucl": kc.ci_high,
        "nhacolo_pk": stage.median_unbiased,
        **{
            f"{prefix}{name}": value
            for prefix in ("desmon_", "tight_")
            for name, value in (
                ("lower_dp0", stage.ci_low),
                ("upper_dp0", stage.ci_high),
                ("bcmle", stage.bias_adjusted),
                ("lower_dp1", mle.ci_low),
                ("upper_dp1", mle.ci_high),
            )
        },
    }


# ------------------------------------------------------------------ Bayesian rules
@_computation
def predictive_probability(
    x: int, n: int, n_max: int, p0: float, prior: Any, theta_t: float
) -> dict[str, Any]:
    """Lee & Liu's predictive probability of a final success."""
    from ..rules import predictive_probability as pp

    return {"predictive_probability": float(pp(x, n, n_max, p0, _prior(prior), theta_t))}


@_computation
def posterior_decision(
    prior: Any, n: int, pc: float, qc: float, rates: Sequence[float]
) -> dict[str, Any]:
    """A one-look design: GO if P(p > qc | data) > pc; its boundary and exact P(GO)."""
    from ..designs.bayesian import BayesianDesign
    from ..oc.exact import exact_oc
    from ..rules import PosteriorRule

    table = BayesianDesign(PosteriorRule(qc, _prior(prior), pc), (n,)).boundary_table
    return {
        "largest_r_not_go": int(table.efficacy[-1]) - 1,
        "p_go": list(exact_oc(table, list(rates)).p_go),
    }


@_computation
def dual_decision(
    prior: Any,
    n: int,
    lrv: float,
    go: str,
    nogo: str,
    rates: Sequence[float],
    tv: float | None = None,
) -> dict[str, Any]:
    """A one-look Go / Consider / No-Go design: its bounds and exact three-outcome OC."""
    from ..designs.bayesian import BayesianDesign
    from ..oc.exact import exact_oc
    from ..rules.dual import DualRule

    rule = DualRule(_prior(prior), lrv, go, nogo, tv=tv)
    table = BayesianDesign(rule, (n,)).boundary_table
    oc = exact_oc(table, list(rates))
    return {
        "largest_r_not_go": int(table.efficacy[-1]) - 1,
        "largest_r_nogo": int(table.futility[-1]),
        "p_go": list(oc.p_go),
        "p_nogo": list(oc.p_nogo),
        "p_go_vs_simulated": [Figure(v, _binary_sd(v)) for v in oc.p_go],
        "p_nogo_vs_simulated": [Figure(v, _binary_sd(v)) for v in oc.p_nogo],
    }


@_computation
def dual_bounds(
    prior: Any, lrv: float, go: str, nogo: str, looks: Sequence[int], p1: float
) -> dict[str, Any]:
    """Bounds of a Go / No-Go rule at every look and the posterior probabilities at them."""
    from ..designs.bayesian import BayesianDesign
    from ..rules.dual import DualRule

    beta = _prior(prior)
    table = BayesianDesign(DualRule(beta, lrv, go, nogo), tuple(looks)).boundary_table
    n = np.array(looks)
    return {
        "futility": list(table.futility),
        "efficacy": list(table.efficacy),
        "p_below_lrv_at_futility": list(1 - beta.prob_greater(lrv, np.array(table.futility), n)),
        "p_above_p1_at_efficacy": list(beta.prob_greater(p1, np.array(table.efficacy), n)),
    }


@_computation
def predictive_bounds(
    p0: float,
    prior: Any,
    n_max: int,
    theta_t: float,
    theta_l: float,
    theta_u: float,
    looks: Sequence[int],
) -> dict[str, Any]:
    """Lee & Liu's predictive design: futility and efficacy bounds at each look."""
    from ..designs.bayesian import BayesianDesign
    from ..rules import PredictiveRule

    beta = _prior(prior)
    rule = PredictiveRule(p0, beta, n_max, theta_t, theta_l, theta_u)
    table = BayesianDesign(rule, tuple(looks)).boundary_table
    efficacy = np.array(table.efficacy)
    return {
        "futility": list(table.futility),
        "efficacy": list(table.efficacy),
        "p_above_p0_at_efficacy": list(beta.prob_greater(p0, efficacy, np.array(looks))),
    }


@_computation
def versus_standard(
    y: int, n: int, a_e: float, b_e: float, a_s: float, b_s: float, delta: float
) -> dict[str, Any]:
    """P(p_E > p_S + delta | y of n) with Beta priors on both rates (Thall & Simon)."""
    from ..priors import BetaPrior
    from ..rules.versus_standard import prob_exceeds_standard

    q = prob_exceeds_standard(BetaPrior(a_e, b_e), BetaPrior(a_s, b_s), delta, y, n)
    return {"q": float(q)}


@_computation
def versus_standard_bounds(
    theta: float,
    kind: str,
    n_max: int,
    a_e: float,
    b_e: float,
    a_s: float,
    b_s: float,
    delta: float,
) -> dict[str, Any]:
    """ph2bayes' stopbound_post: the stopping bound at n = 1, ..., n_max ("-": none)."""
    from ..priors import BetaPrior
    from ..rules import PosteriorVsStandardRule, compile_rules

    futility = kind == "futility"
    rule = PosteriorVsStandardRule(
        0.3, BetaPrior(a_e, b_e), BetaPrior(a_s, b_s), theta_final=0.5, margin=delta,
        theta_futility=theta if futility else None,
        theta_efficacy=None if futility else theta,
    )  # fmt: skip
    looks = tuple(range(1, n_max + 2))  # n_max + 1 is the final look: 1..n_max are interim
    compiled = compile_rules([rule], looks)
    bounds = compiled.futility[0] if kind == "futility" else compiled.efficacy[0]
    found = [
        ("-" if b < 0 else str(int(b))) if kind == "futility" else ("-" if b > k else str(int(b)))
        for b, k in zip(bounds[:-1], looks[:-1], strict=True)
    ]
    return {"bounds": " ".join(found)}


# ------------------------------------------------------------------ priors
@_computation
def effective_sample_size(prior: Any) -> dict[str, Any]:
    """ESS by the ELIR, moment and Morita methods (None where ELIR is not defined)."""
    from ..errors import InputError
    from ..ess import effective_sample_size as ess

    out: dict[str, Any] = {}
    for method in ("elir", "moment", "morita"):
        try:
            out[method] = ess(_prior(prior), method)
        except InputError:
            out[method] = None
    return out


@_computation
def prior_data_conflict(prior: Any, n: int, x: int, delta: float) -> dict[str, Any]:
    """Box's p-value, the SAM weights (LRT; PPR with prior odds 3), posterior weights."""
    from ..conflict import prior_data_conflict as conflict

    check = conflict(_prior(prior), x, n, delta=delta, prior_odds=3)
    return {
        "box_p": check.box_p,
        "sam_weight": check.sam_weight,
        "sam_weight_ppr": check.sam_weight_ppr,
        "posterior_weights": list(check.posterior_weights),
    }


@_computation
def map_prior(studies: Sequence[Sequence[Any]], tau_sd: float) -> dict[str, Any]:
    """The exact MAP prior of historical binomial studies and its mixture approximation."""
    from ..ess import effective_sample_size as ess
    from ..meta_analytic import map_prior as build

    fitted = build([{"name": s, "n": n, "x": x} for s, n, x in studies], tau_sd=tau_sd)
    pred = fitted.predictive
    return {
        **{f"map_{k}": float(pred[k]) for k in ("mean", "sd", "q025", "q50", "q975")},
        "tau_mean": float(fitted.tau_posterior["mean"]),
        "mixture_ess_elir": ess(fitted.mixture, "elir"),
        "mixture_ess_moment": ess(fitted.mixture, "moment"),
    }


# ------------------------------------------------------------------ toxicity
@_computation
def toxicity_boundary(
    p_lo: float, p_hi: float, looks: Sequence[int], options: Mapping[str, Any]
) -> dict[str, Any]:
    """clinfun's toxbdry: maximum acceptable toxicity counts and their exact OC."""
    from ..designs.toxicity_boundary import toxicity_boundary as search_for

    search = search_for(p_lo, p_hi, list(looks), **options)
    assert search.lower is not None and search.upper is not None
    frame = search.to_frame()
    lower = frame[frame.boundary == "lower"].p_stop_toxicity.to_numpy()
    upper_en = frame[frame.boundary == "upper"].en.to_numpy()
    return {
        "lo_bdry": [c - 1 for c in search.lower.counts],
        "hi_bdry": [c - 1 for c in search.upper.counts],
        "pcross_lo": [float(lower[0]), float(lower[-1])],
        "ess_hi": [float(upper_en[0]), float(upper_en[-1])],
        "recommended": search.recommended_name,
    }


# ------------------------------------------------------------------ several endpoints
@_computation
def multi_endpoint_bop2(
    categories: Sequence[str],
    h0: Sequence[float],
    endpoints: Sequence[Mapping[str, Any]],
    join: str,
    lam: float,
    gamma: float,
    efficacy: str,
    looks: Sequence[int],
    scenarios: Sequence[Sequence[float]],
    eta: float | None = None,
    nested_bounds: bool = False,
) -> dict[str, Any]:
    """BOP2 on several endpoints (BOP2FE): per-endpoint bounds and exact OC.

    ``nested_bounds``: BOP2FE reports, for nested endpoints, the largest count of the
    inner endpoint in the joint futility region, which is capped by the outer's bound.
    """
    from ..designs.multi_endpoint import MultiEndpointDesign
    from ..priors import DirichletPrior
    from ..rules.endpoints import Endpoint, MultiEndpointRule

    prior = DirichletPrior(tuple(categories), tuple(h0))
    ends = tuple(
        Endpoint(e["name"], tuple(e["categories"]), e["p0"], better=e.get("better", "higher"))
        for e in endpoints
    )
    rule = MultiEndpointRule(prior, ends, join, looks[-1], lam, gamma, cast(Any, efficacy), eta)
    design = MultiEndpointDesign(rule, tuple(looks))
    fut, eff = design.bounds.natural()
    if nested_bounds:
        fut = np.vstack([np.minimum(fut[0], fut[1]), fut[1]])
    out: dict[str, Any] = {
        "futility": [list(map(int, row)) for row in fut],
        "efficacy": [list(map(int, row)) for row in eff],
    }
    oc = design.oc([list(s) for s in scenarios])
    n = np.asarray(design.looks, float)
    for i in range(len(scenarios)):
        ended = oc.stop_futility[i] + oc.stop_efficacy[i]
        sd_n = math.sqrt(max(float(ended @ n**2 - oc.en[i] ** 2), 0.0))
        for name, value in (
            ("p_early_futility", oc.p_early_futility[i]),
            ("p_early_efficacy", oc.p_early_efficacy[i]),
            ("p_go", oc.p_go[i]),
        ):
            out[f"scenario{i + 1}.{name}"] = Figure(float(value), _binary_sd(float(value)))
        out[f"scenario{i + 1}.en"] = Figure(float(oc.en[i]), sd_n)
    return out


# ------------------------------------------------------------------ borrowing
def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _exnex_model(
    j: int,
    p0: float,
    ex: Sequence[Mapping[str, float]],
    weights: Sequence[float],
    nex_mean: float,
    nex_sd: float,
) -> Any:
    """EXNEX with the same EX components, weights and NEX prior for each of j cohorts."""
    from ..cohorts.exnex import ExnexModel, ExnexPrior
    from ..cohorts.hierarchical import HierarchicalPrior

    prior = ExnexPrior(
        tuple(HierarchicalPrior(c["mu_mean"], c["mu_sd"], c["tau_sd"]) for c in ex),
        (tuple(weights),) * j,
        (nex_mean,) * j,
        (nex_sd,) * j,
    )
    return ExnexModel(prior, [_logit(p0)])


@_computation
def exnex_posterior(
    n: Sequence[int],
    x: Sequence[int],
    p0: float,
    ex: Sequence[Mapping[str, float]],
    weights: Sequence[float],
    nex_mean: float,
    nex_sd: float,
) -> dict[str, Any]:
    """EXNEX posterior means of each cohort's rate (Neuenschwander et al. 2016)."""
    model = _exnex_model(len(n), p0, ex, weights, nex_mean, nex_sd)
    posterior = model.posterior(list(n), list(x), p0)
    return {"posterior_mean": [float(v) for v in posterior.posterior_mean]}


@_computation
def model_averaging_binomial(
    pi0: Sequence[float],
    y: Sequence[int],
    n: Sequence[int],
    mu0: float,
    phi0: float,
    pmp0: float,
) -> dict[str, Any]:
    """Bayesian model averaging over partitions of the cohorts (Psioda et al. 2021),
    with Beta-binomial groups (bmabasket's model) in place of the package's
    Gamma-Poisson ones: the same averaging, a different likelihood per group."""
    from scipy import special, stats

    from ..cohorts.survival_borrowing import SurvivalModelAveraging
    from ..priors import GammaPrior
    from ..rules.survival import PiecewiseExponential, SurvivalGoalRule

    a, b = mu0 * phi0, (1 - mu0) * phi0

    class BetaBinomialAveraging(SurvivalModelAveraging):
        def _log_marginal(self, d: np.ndarray, e: np.ndarray) -> np.ndarray:
            return np.asarray((special.betaln(a + d, b + e - d) - special.betaln(a, b)).sum(-1))

    rule = SurvivalGoalRule(PiecewiseExponential(6.0, ()), 0.3, GammaPrior(0.1, 0.1), 0.9)
    model = BetaBinomialAveraging(rule, len(y), pmp0)
    events = np.array(y, float)[:, None]
    exposure = np.array(n, float)[:, None]
    probs, means = [], []
    for j in range(len(y)):
        pi, d, e = model.block_weights(events, exposure, j)
        probs.append(float(pi @ stats.beta.sf(pi0[j], a + d[:, 0], b + e[:, 0] - d[:, 0])))
        means.append(float(pi @ ((a + d[:, 0]) / (a + b + e[:, 0]))))
    return {"probs": probs, "means": means}


# ------------------------------------------------------------------ time to event
@_computation
def survival_monitoring(
    n_max: int,
    goal: float,
    prior: Sequence[float],
    success: float,
    looks: Sequence[int],
    futility: Sequence[float],
    expected_success: Sequence[float],
    landmark: float,
    accrual_per_month: float,
    survival_at_landmark: Sequence[float],
    n_trials: int,
    seed: int,
    imputations: int,
) -> dict[str, Any]:
    """Goldilocks-style monitoring of a single-arm PFS design, simulated (with MCSE)."""
    from ..cohorts.trial import Accrual
    from ..designs.survival_monitoring import SurvivalMonitoringDesign
    from ..priors import GammaPrior
    from ..rules.survival import PiecewiseExponential, SurvivalGoalRule
    from ..simulation.survival import EventTimeModel
    from ..simulation.survival_monitoring import (
        SurvivalMonitoringCohort,
        SurvivalMonitoringScenario,
        simulate_survival_monitoring,
    )

    rule = SurvivalGoalRule(
        PiecewiseExponential(landmark, ()), goal=goal, prior=GammaPrior(*prior),
        success=success, futility=tuple(futility), expected_success=tuple(expected_success),
        imputations=imputations,
    )  # fmt: skip
    design = SurvivalMonitoringDesign(rule, n_max, "enrolled", tuple(looks))
    cohorts = [SurvivalMonitoringCohort("A", 1.0, design)]
    medians = {s: landmark * math.log(2) / -math.log(s) for s in survival_at_landmark}
    scenarios = [
        SurvivalMonitoringScenario(f"S={s}", (EventTimeModel(median),))
        for s, median in medians.items()
    ]
    result = simulate_survival_monitoring(
        cohorts, Accrual(accrual_per_month), scenarios, n_trials, seed, progress=False
    )
    out: dict[str, Any] = {}
    for s in survival_at_landmark:
        for metric in ("p_go", "p_early_futility", "p_expected_success", "en"):
            value, mcse = result.estimate(f"S={s}", "A", metric)
            sd = None if metric == "en" else _binary_sd(float(value))
            out[f"S={s}.{metric}"] = Figure(float(value), sd, float(mcse))
    return out


@_computation
def exnex_operating_characteristics(
    n: Sequence[int],
    p0: float,
    ex: Sequence[Mapping[str, float]],
    weights: Sequence[float],
    nex_mean: float,
    nex_sd: float,
    go_probability: Sequence[float],
    go_mean: float,
    scenarios: Mapping[str, Sequence[float]],
) -> dict[str, Any]:
    """Exact P(GO) and mean posterior mean per stratum of a one-look EXNEX basket trial.

    GO in stratum j: P(p_j > p0 | data) > go_probability[j] and E(p_j | data) > go_mean.
    Every outcome with probability above 1e-8 in some scenario is evaluated (the mass left
    out is returned as ``mass_left_out``). Returns the per-trial SD of each figure too
    (to compare with a simulated reference).
    """
    import itertools

    from scipy import stats

    j = len(n)
    model = _exnex_model(j, p0, ex, weights, nex_mean, nex_sd)
    grid = np.array(list(itertools.product(*[range(k + 1) for k in n])))
    rates = {name: np.asarray(r, float) for name, r in scenarios.items()}
    prob = np.array(
        [np.prod([stats.binom.pmf(grid[:, k], n[k], r[k]) for k in range(j)], axis=0)
         for r in rates.values()]
    )  # fmt: skip
    keep = prob.max(axis=0) > 1e-8
    # strata of equal n are exchangeable (one prior for all): evaluate each outcome once
    # with their counts sorted, then put the results back in the strata's order
    outcomes = grid[keep]
    sizes = np.asarray(n)
    order = np.tile(np.arange(j), (len(outcomes), 1))
    for size in np.unique(sizes):
        group = np.flatnonzero(sizes == size)
        order[:, group] = group[np.argsort(outcomes[:, group], axis=1, kind="stable")]
    canonical = np.take_along_axis(outcomes, order, axis=1)
    unique, inverse = np.unique(canonical, axis=0, return_inverse=True)
    unique_gt, unique_mean = model._evaluate(sizes, unique, [p0] * j)
    p_gt, p_mean = np.empty(outcomes.shape), np.empty(outcomes.shape)
    np.put_along_axis(p_gt, order, unique_gt[inverse.ravel()], axis=1)
    np.put_along_axis(p_mean, order, unique_mean[inverse.ravel()], axis=1)
    go = (p_gt > np.asarray(go_probability)) & (p_mean > go_mean)
    out: dict[str, Any] = {}
    for s, name in enumerate(rates):
        w = prob[s, keep]
        out[f"{name}.mass_left_out"] = float(1 - w.sum())
        p_go = w @ go
        mean = w @ p_mean
        sd_mean = np.sqrt(np.maximum(w @ (p_mean - mean) ** 2, 0.0))
        out[f"{name}.p_go"] = [Figure(float(v), _binary_sd(float(v))) for v in p_go]
        out[f"{name}.posterior_mean"] = [
            Figure(float(m), float(sd)) for m, sd in zip(mean, sd_mean, strict=True)
        ]
    return out
