"""Go / Consider / No-Go rules: compiled bounds, exact three-outcome OC, third-party numbers.

References
----------
* RBesT 1.8-2 (its R sources, R 4.2.2 here; RBesT itself needs rstan >= 2.32): for each
  case ``go <- decision1S(c(0.9, 0.5), c(LRV, TV), lower.tail = FALSE)`` (GO if
  P(p > LRV) > 0.9 and P(p > TV) > 0.5) and ``nogo <- decision1S(0.9, TV, lower.tail =
  TRUE)`` (NO-GO if P(p <= TV) > 0.9); ``decision1S_boundary(PRIOR, N, go)`` (largest r
  that is not GO), ``decision1S_boundary(PRIOR, N, nogo)`` (largest r that is NO-GO) and
  ``oc1S(PRIOR, N, dec)(c(0.1, 0.3, 0.5))``.
* phase1b (Genentech/phase1b, its testthat files ``test-boundsPostProb.R``,
  ``test-boundsPredprob.R`` and ``test-ocPostprob.R``; the package could not be installed
  here, the expected values are those its tests assert).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import integrate, stats

import adaptive_pilot as ap
from adaptive_pilot.errors import InputError
from adaptive_pilot.rules.dual import DualRule

GO_LALONDE = "P(p > LRV) > 0.9 and P(p > TV) > 0.5"


def _mix(*components):
    return ap.BetaMixturePrior([ap.BetaPrior(a, b) for _, a, b in components],
                               [w for w, _, _ in components])  # fmt: skip


# ------------------------------------------------------------------ RBesT
RBEST = [
    ((ap.BetaPrior(1, 1), 40, 0.15, 0.30),
     (11, 8, (0.000380834267, 0.559392896097, 0.996786711952),
      (0.984504694586, 0.111009175250, 0.000091082915))),
    ((ap.BetaPrior(0.5, 0.5), 30, 0.10, 0.25),
     (7, 4, (0.007783619238, 0.718623291813, 0.997388560325),
      (0.824505120966, 0.030154943102, 0.000029738061))),
    ((_mix((0.8, 6.79, 19.94), (0.2, 1, 1)), 30, 0.20, 0.35),
     (12, 8, (0.000002302323, 0.084470060360, 0.819202695973),
      (0.997980170995, 0.431517906283, 0.008062400855))),
    ((_mix((0.6, 16.6, 50.3), (0.4, 3.1, 8.1)), 25, 0.15, 0.30),
     (9, 5, (0.000078981901, 0.189436023505, 0.885238528252),
      (0.966600055389, 0.193488442088, 0.002038657665))),
]  # fmt: skip


@pytest.mark.parametrize(("case", "expected"), RBEST)
def test_dual_criterion_equals_rbest_decision1s(case, expected):
    prior, n, lrv, tv = case
    go_boundary, nogo_boundary, p_go, p_nogo = expected
    rule = DualRule(prior, lrv, GO_LALONDE, "P(p <= TV) > 0.9", tv=tv)
    table = ap.BayesianDesign(rule, (n,)).boundary_table
    assert (table.efficacy[-1] - 1, table.futility[-1]) == (go_boundary, nogo_boundary)
    oc = ap.exact_oc(table, [0.1, 0.3, 0.5])
    assert oc.p_go == pytest.approx(p_go, abs=1e-12)
    assert oc.p_nogo == pytest.approx(p_nogo, abs=1e-12)
    assert oc.p_consider == pytest.approx(1 - np.array(p_go) - np.array(p_nogo), abs=1e-12)


# ----------------------------------------------------------------- phase1b
@pytest.mark.parametrize(
    ("p0", "p1", "t_l", "t_u", "x_l", "x_u", "post_l", "post_u"),
    [  # test-boundsPostProb.R, the current and an earlier version of the package
        (0.15, 0.2, 0.70, 0.60, (0, 1, 3, 4), (2, 5, 7, 9),
         (0.8327, 0.8450, 0.7039, 0.7567), (0.6174, 0.7693, 0.7300, 0.7040)),
        (0.2, 0.2, 0.60, 0.60, (1, 3, 5, 6), (2, 5, 7, 9),
         (0.6779, 0.6296, 0.6069, 0.739), (0.6174, 0.7693, 0.73, 0.704)),
    ],
)  # fmt: skip
def test_bounds_equal_phase1b_bounds_postprob(p0, p1, t_l, t_u, x_l, x_u, post_l, post_u):
    # phase1b: futility at the largest x with P(p < p0 | x) >= tL, efficacy at the least x
    # with P(p > p1 | x) >= tU, at every look (the final one: its gray zone between)
    looks = (10, 20, 30, 40)
    rule = DualRule(ap.BetaPrior(1, 1), p0, f"P(p > {p1}) >= {t_u}", f"P(p < LRV) >= {t_l}")
    table = ap.BayesianDesign(rule, looks).boundary_table
    assert table.futility == x_l
    assert table.efficacy == x_u
    prior = ap.BetaPrior(1, 1)
    at_l = 1 - prior.prob_greater(p0, np.array(x_l), np.array(looks))
    at_u = prior.prob_greater(p1, np.array(x_u), np.array(looks))
    assert at_l == pytest.approx(post_l, abs=5e-5)
    assert at_u == pytest.approx(post_u, abs=5e-5)


def test_predictive_bounds_equal_phase1b_bounds_predprob():
    # test-boundsPredprob.R: looks 10..40, p0 = 0.2, tT = 0.8, phiL = 0.1, phiU = 0.9,
    # Beta(1, 1): xL = (0, 2, 5, 9), xU = (4, 7, 9, 10); Lee & Liu's rule
    rule = ap.PredictiveRule(0.2, ap.BetaPrior(1, 1), 40, 0.8, 0.1, 0.9)
    table = ap.BayesianDesign(rule, (10, 20, 30, 40)).boundary_table
    assert table.futility == (0, 2, 5, 9)
    assert table.efficacy == (4, 7, 9, 10)
    post_u = ap.BetaPrior(1, 1).prob_greater(
        0.2, np.array([4, 7, 9, 10]), np.array([10, 20, 30, 40])
    )
    assert post_u == pytest.approx((0.9496, 0.9569, 0.9254, 0.8177), abs=5e-5)


def test_gray_zone_oc_agrees_with_phase1b_simulation():
    # test-ocPostprob.R: N = 40, truep = 0.5, p0 = p1 = 0.45, tL = 0.9, tU = 0.7, 50,000
    # simulated trials: PrEfficacy 0.56226, PrFutility 0.01998 (GO at >= 20, NO-GO <= 13)
    rule = DualRule(ap.BetaPrior(1, 1), 0.45, "P(p > LRV) > 0.7", "P(p < LRV) > 0.9")
    table = ap.BayesianDesign(rule, (40,)).boundary_table
    assert (table.futility[-1], table.efficacy[-1]) == (13, 20)
    oc = ap.exact_oc(table, 0.5)
    assert oc.p_go[0] == pytest.approx(stats.binom.sf(19, 40, 0.5), abs=1e-14)
    assert oc.p_nogo[0] == pytest.approx(stats.binom.cdf(13, 40, 0.5), abs=1e-14)
    for exact, simulated in ((oc.p_go[0], 0.56226), (oc.p_nogo[0], 0.01998)):
        mcse = np.sqrt(exact * (1 - exact) / 50_000)
        assert abs(simulated - exact) < 4 * mcse


# ------------------------------------------------------------- brute force
def _enumerate(rule, looks, futility_on, efficacy_on, rates):
    """P(outcome, look) by listing every response sequence and applying the *rule*."""
    n_max = looks[-1]
    sequences = np.array(list(itertools.product((0, 1), repeat=n_max)))
    responses = sequences.sum(axis=1)
    weights = np.array([r**responses * (1 - r) ** (n_max - responses) for r in rates])
    ended = np.zeros(len(sequences), bool)
    result = {kind: np.zeros((len(rates), len(looks))) for kind in ("nogo", "consider", "go")}
    for k, n in enumerate(looks):
        x = sequences[:, :n].sum(axis=1)
        if k == len(looks) - 1:
            go, nogo = rule.final_sets(n, x)
            kinds = {"go": go, "nogo": nogo & ~go, "consider": ~go & ~nogo}
        else:
            fut, eff = rule.interim_sets(n, x)
            kinds = {
                "nogo": fut & futility_on[k],
                "go": eff & efficacy_on[k] & ~(fut & futility_on[k]),
            }
        for kind, mask in kinds.items():
            hit = mask & ~ended
            result[kind][:, k] = weights[:, hit].sum(axis=1)
            ended |= hit
    assert ended.all()
    return result


@pytest.mark.parametrize(
    "rule",
    [
        DualRule(ap.BetaPrior(0.5, 0.5), 0.2, GO_LALONDE, "P(p < TV) > 0.8", tv=0.4),
        DualRule(_mix((0.7, 2, 6), (0.3, 1, 1)), 0.2, "P(p > LRV) > 0.95 or P(p > 0.5) > 0.3",
                 ["P(p < TV) > 0.8", "P(p < 0.5) > 0.9"], tv=0.4),
        DualRule(ap.BetaPrior(1, 1), 0.2, GO_LALONDE, "P(p < TV) > 0.8", tv=0.4,
                 interim="predictive", n_max=12, pp_go=0.9, pp_nogo=0.6),
    ],
    ids=["posterior", "mixture-or", "predictive"],
)  # fmt: skip
def test_three_outcome_oc_equal_brute_force_enumeration(rule):
    looks, rates = (4, 8, 12), [0.1, 0.3, 0.5]
    switches = ((True, False, True), (False, True, True))
    design = ap.BayesianDesign(rule, looks, switches[0], switches[1])
    table = design.boundary_table
    assert table.three_outcomes
    oc = ap.exact_oc(table, rates)
    brute = _enumerate(rule, looks, *switches, rates)
    assert oc.stop_futility == pytest.approx(brute["nogo"], abs=1e-13)
    assert oc.stop_efficacy == pytest.approx(brute["go"], abs=1e-13)
    assert oc.stop_consider == pytest.approx(brute["consider"], abs=1e-13)
    assert oc.p_go + oc.p_consider + oc.p_nogo == pytest.approx(1.0, abs=1e-13)
    # the rule decides every (n, x) of a look as its table does
    for k, n in enumerate(looks):
        for x in range(n + 1):
            action = design.decide(n, x).action
            if k == len(looks) - 1:
                assert (
                    action
                    == {"go": "go", "consider": "consider", "no_go": "no_go"}[
                        table.final_outcome(x)
                    ]
                )


def test_predictive_probabilities_are_beta_binomial_tails():
    rule = DualRule(ap.BetaPrior(1, 1), 0.2, GO_LALONDE, "P(p < TV) > 0.8", tv=0.4,
                    interim="predictive", n_max=30, pp_nogo=0.9)  # fmt: skip
    f, e = rule.final_bounds(30)
    p_go, p_nogo = rule.predictive_outcomes(10, 3)
    future = stats.betabinom(20, 1 + 3, 1 + 7)
    assert p_go == pytest.approx(future.sf(e - 3 - 1), abs=1e-12)
    assert p_nogo == pytest.approx(future.cdf(f - 3), abs=1e-12)


# ------------------------------------------------------------ Bayesian OC
def test_bayesian_oc_of_three_outcomes_integrate_the_exact_oc():
    rule = DualRule(ap.BetaPrior(1, 1), 0.15, GO_LALONDE, "P(p < TV) > 0.9", tv=0.3)
    table = ap.BayesianDesign(rule, (15, 30), efficacy_on=(False, True)).boundary_table
    design_prior = ap.BetaPrior(2, 6)
    result = ap.bayesian_oc(table, design_prior, 0.15, 0.3)
    dens = stats.beta(2, 6).pdf

    def integral(metric):
        return integrate.quad(lambda p: getattr(ap.exact_oc(table, p), metric)[0] * dens(p),
                              0, 1, epsabs=1e-13)[0]  # fmt: skip

    assert result.p_success == pytest.approx(integral("p_go"), abs=1e-10)
    assert result.p_consider == pytest.approx(integral("p_consider"), abs=1e-10)
    h1_nogo = integrate.quad(
        lambda p: ap.exact_oc(table, p).p_nogo[0] * dens(p) * (p >= 0.3), 0.3, 1, epsabs=1e-13
    )[0]
    assert result.p_h1_given_nogo == pytest.approx(h1_nogo / integral("p_nogo"), abs=1e-9)
    assert "p_consider" in result.to_frame()


# ---------------------------------------------------------------- tables
def test_a_three_outcome_table_states_its_band():
    table = ap.BoundaryTable((10, 20), (1, 3), (None, 7), three_outcomes=True)
    assert table.consider_range == (4, 6)
    assert [table.final_outcome(x) for x in (3, 4, 6, 7)] == ["no_go", "consider", "consider", "go"]
    assert table.to_dict()["three_outcomes"] is True
    assert "CONSIDER if 4 <= x <= 6" in table.describe()
    assert list(table.to_frame()["consider_if"]) == ["", "4 <= x <= 6"]
    # a two-outcome table keeps the dict (and so the hash) it always had
    assert "three_outcomes" not in ap.BoundaryTable((10, 20), (1, 6), (None, 7)).to_dict()


@pytest.mark.parametrize(
    ("futility", "efficacy", "field"),
    [((1, None), (None, 7), "futility"), ((1, 7), (None, 7), "futility"),
     ((1, 3), (None, None), "efficacy"), ((1, 3), (None, 21), "efficacy")],
)  # fmt: skip
def test_a_three_outcome_table_needs_both_final_bounds(futility, efficacy, field):
    with pytest.raises(InputError) as caught:
        ap.BoundaryTable((10, 20), futility, efficacy, three_outcomes=True)
    assert caught.value.field == field


# --------------------------------------------------------------- criteria
@pytest.mark.parametrize(
    ("go", "nogo", "field", "words"),
    [
        ("P(p > LRV) > 0.9 and P(p > TV) > 0.5 or P(p > 0.5) > 0.1", "P(p < TV) > 0.9", "go",
         "both 'and' and 'or'"),
        ("P(p < TV) > 0.9", "P(p < TV) > 0.9", "go", "cannot be a GO condition"),
        (GO_LALONDE, "P(p > LRV) > 0.9", "nogo", "cannot be a NO-GO condition"),
        ("p > 0.3", "P(p < TV) > 0.9", "go", "cannot read the condition"),
        ("P(p > 0.3) > 1.5", "P(p < TV) > 0.9", "go", "strictly in (0, 1)"),
        ("P(p > 1.3) > 0.5", "P(p < TV) > 0.9", "go", "not in (0, 1)"),
        ("P(p > XV) > 0.5", "P(p < 0.3) > 0.9", "go", "must be a number, LRV or TV"),
    ],
)  # fmt: skip
def test_bad_criteria_are_refused_in_one_line(go, nogo, field, words):
    with pytest.raises(InputError) as caught:
        DualRule(ap.BetaPrior(1, 1), 0.15, go, nogo, tv=0.3)
    assert caught.value.field == field
    assert words in str(caught.value) and "\n" not in str(caught.value)


def test_tv_must_exist_when_named_and_sit_above_lrv():
    with pytest.raises(InputError, match="no tv"):
        DualRule(ap.BetaPrior(1, 1), 0.15, GO_LALONDE, "P(p < 0.3) > 0.9")
    with pytest.raises(InputError, match="above lrv"):
        DualRule(ap.BetaPrior(1, 1), 0.15, GO_LALONDE, "P(p < TV) > 0.9", tv=0.1)


def test_criteria_meeting_at_the_final_look_are_refused():
    rule = DualRule(ap.BetaPrior(1, 1), 0.15, "P(p > LRV) > 0.5", "P(p < TV) > 0.5", tv=0.3)
    with pytest.raises(InputError) as caught:
        ap.BayesianDesign(rule, (20,)).boundary_table  # noqa: B018
    assert caught.value.field == "nogo" and "meet both" in str(caught.value)


def test_the_criteria_read_back_as_written():
    rule = DualRule(ap.BetaPrior(1, 1), 0.15, "P(p > LRV) ≥ 0.9 AND P(p > TV | data) > 0.5",
                    ["P(p < TV) > 0.9"], tv=0.3)  # fmt: skip
    assert rule.to_dict()["go"] == "P(p > LRV) >= 0.9 and P(p > TV) > 0.5"
    again = DualRule(ap.BetaPrior(1, 1), 0.15, rule.to_dict()["go"], rule.to_dict()["nogo"],
                     tv=0.3)  # fmt: skip
    assert again == rule


# ------------------------------------------------------------- simulation
DUAL_TRIAL = """
name: dual-trial
hypotheses: {p0: 0.15, p1: 0.30}
prior: {a: 0.3, b: 0.7}
n_max: 30
looks: [15, 30]
efficacy_on: [false, true]
rule: {type: dual, go: P(p > LRV) > 0.9 and P(p > TV) > 0.5, nogo: P(p < TV) > 0.95}
cohorts:
  - {name: A, prevalence: 0.5}
  - {name: B, prevalence: 0.5, design: {rule: {type: bop2, lambda: 0.8, gamma: 1.0}}}
accrual: {rate: 3, assessment_delay: 1}
BORROWING
"""


def test_simulated_three_outcomes_agree_with_exact_oc_within_4_mcse(tmp_path):
    design = tmp_path / "dual.yaml"
    design.write_text(DUAL_TRIAL.replace("BORROWING", ""))
    scenarios = tmp_path / "s.yaml"
    scenarios.write_text("scenarios:\n  - {name: mid, response: {A: 0.25, B: 0.3}}\n")
    trial = ap.load_design(design).trial()
    result = ap.simulate(trial, ap.load_scenarios(scenarios, trial), 20_000, seed=5, n_jobs=1)
    rows = result.frame[result.frame.cohort == "A"].set_index("metric")
    oc = ap.exact_oc(trial.cohorts[0].table, 0.25)
    expected = {
        "p_go": oc.p_go[0],
        "p_consider_final": oc.p_consider[0],
        "p_nogo_final": oc.stop_futility[0, -1],
        "p_early_futility": oc.p_early_futility[0],
        "en": oc.en[0],
    }
    for metric, exact in expected.items():
        estimate, mcse = rows.loc[metric, ["estimate", "mcse"]]
        assert abs(estimate - exact) <= 4 * mcse, (metric, estimate, exact)
    assert "p_consider_final" not in set(result.frame[result.frame.cohort == "B"].metric)


def test_borrowing_with_a_dual_rule_is_refused_in_one_line(tmp_path):
    design = tmp_path / "dual.yaml"
    design.write_text(DUAL_TRIAL.replace("BORROWING", "borrowing: {model: hierarchical, go: 0.9}"))
    with pytest.raises(InputError) as caught:
        ap.load_design(design).trial()
    assert caught.value.field.endswith("borrowing.model") and "independent" in str(caught.value)


# ------------------------------------------------------------- calibration
def test_dual_calibration_chooses_the_most_decisive_feasible_design_by_brute_force():
    from adaptive_pilot.designs.calibration import calibrate_dual
    from adaptive_pilot.rules.dual import with_thresholds

    rule = DualRule(ap.BetaPrior(1, 1), 0.2, GO_LALONDE, "P(p < TV) > 0.9", tv=0.4)
    looks, go, nogo = (10, 20), (0.6, 0.8, 0.9, 0.95), (0.7, 0.8, 0.9, 0.95)
    result = calibrate_dual(rule, looks, alpha=0.1, beta=0.15, go=go, nogo=nogo)
    best = None
    for g in go:
        for n in nogo:
            candidate = with_thresholds(rule, go=(1, g), nogo=(1, n))
            oc = ap.exact_oc(ap.BayesianDesign(candidate, looks).boundary_table, [0.2, 0.4])
            if oc.p_go[0] <= 0.1 and oc.p_nogo[1] <= 0.15:
                key = (oc.p_consider.sum(), oc.en[0], -g, -n)
                best = min(best or (key, candidate), (key, candidate), key=lambda t: t[0])
    assert best is not None and result.design.rule == best[1]
    row = result.feasible.iloc[0]
    oc = ap.exact_oc(result.design.boundary_table, [0.2, 0.4])
    assert row["consider0"] == pytest.approx(oc.p_consider[0], abs=1e-14)
    assert row["nogo1"] == pytest.approx(oc.p_nogo[1], abs=1e-14)
    assert row["en1"] == pytest.approx(oc.en[1], abs=1e-12)


def test_a_dual_calibration_grid_needs_a_dual_rule(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(
        "hypotheses: {p0: 0.2, p1: 0.4}\nprior: {a: 1, b: 1}\nn_max: 20\n"
        "rule: {type: posterior, theta_final: 0.9}\n"
        "calibration: {dual: {go: [0.8, 0.9], nogo: [0.8, 0.9]}}\n"
    )
    with pytest.raises(InputError) as caught:
        ap.load_design(path).calibrate()
    assert caught.value.field.endswith("calibration.dual") and "rule type dual" in str(caught.value)


def test_oc_command_takes_a_consider_band(capsys):
    import json

    from test_cli import run as cli

    def run(*argv):
        return cli(capsys, *argv)

    args = ["oc", "--looks", "15,30", "--futility", "2,5", "--efficacy", "never,10",
            "--p", "0.15,0.3", "--json"]  # fmt: skip
    code, out, _ = run(*args, "--consider")
    assert code == 0
    rows = json.loads(out)["oc"]
    table = ap.BoundaryTable((15, 30), (2, 5), (None, 10), three_outcomes=True)
    oc = ap.exact_oc(table, [0.15, 0.3])
    assert [r["p_consider"] for r in rows] == pytest.approx(oc.p_consider, abs=1e-15)
    code, _, err = run(*args)
    assert code == 2 and "--consider" in err and "Traceback" not in err


# ------------------------------------------------------- borrowing: nogo
NOGO_TRIAL = """
name: nogo-trial
hypotheses: {p0: 0.15, p1: 0.35}
prior: {a: 0.15, b: 0.85}
n_max: 20
looks: [10, 20]
rule: {type: bop2, lambda: 0.8, gamma: 1.0}
cohorts:
  - {name: A, prevalence: 0.5}
  - {name: B, prevalence: 0.5}
accrual: {rate: 4}
borrowing: {model: hierarchical, futility: 0.05, go: 0.9, NOGO}
"""


def test_borrowing_nogo_splits_the_final_no_go_into_nogo_and_consider(tmp_path):
    scenarios = tmp_path / "s.yaml"
    scenarios.write_text("scenarios:\n  - {name: mid, response: {A: 0.25, B: 0.35}}\n")
    results = {}
    for label, nogo in (("two", ""), ("three", "nogo: 0.5")):
        design = tmp_path / f"{label}.yaml"
        design.write_text(NOGO_TRIAL.replace(", NOGO", f", {nogo}" if nogo else ""))
        trial = ap.load_design(design).trial()
        frame = ap.simulate(trial, ap.load_scenarios(scenarios, trial), 4000, seed=9).frame
        results[label] = frame.set_index(["cohort", "metric"])["estimate"]
    two, three = results["two"], results["three"]
    for cohort in ("A", "B"):
        # the same trials, the same GO and early stops; the final NO-GO is split in two
        for metric in ("p_go", "p_early_futility", "en"):
            assert three[(cohort, metric)] == two[(cohort, metric)]
        assert three[(cohort, "p_nogo_final")] + three[(cohort, "p_consider_final")] == (
            pytest.approx(two[(cohort, "p_nogo_final")], abs=1e-12)
        )
        assert three[(cohort, "p_consider_final")] > 0
    assert ("A", "p_consider_final") not in two.index


def test_borrowing_nogo_above_go_is_refused(tmp_path):
    design = tmp_path / "bad.yaml"
    design.write_text(NOGO_TRIAL.replace("NOGO", "nogo: 0.95"))
    with pytest.raises(InputError) as caught:
        ap.load_design(design).trial()
    assert caught.value.field.endswith("borrowing.nogo") and "at most the GO" in str(caught.value)


def test_an_interim_call_with_borrowing_nogo_says_consider(tmp_path):
    from adaptive_pilot.cohorts.trial import posterior_tables
    from adaptive_pilot.interim.borrowing import decide_borrowed
    from adaptive_pilot.patients.counts import CohortCounts

    design = tmp_path / "three.yaml"
    design.write_text(NOGO_TRIAL.replace("NOGO", "nogo: 0.5"))
    plan = ap.load_design(design).interim_plan()
    tables = posterior_tables(plan.borrowing, only_n=[20])
    outcomes = set()
    for x_a in range(0, 11):
        counts = [CohortCounts("A", 20, 20, x_a, 0, 0, 0, 0, 0),
                  CohortCounts("B", 20, 20, 5, 0, 0, 0, 0, 0)]  # fmt: skip
        call = decide_borrowed(plan, counts, tables)[0]
        prob = call.prob_gt_p0
        expected = "go" if prob >= 0.9 else "no_go" if prob < 0.5 else "consider"
        assert call.decision == expected, (x_a, prob)
        outcomes.add(call.decision)
    assert outcomes == {"go", "consider", "no_go"}


def test_a_dual_cohort_cut_short_must_be_no_go(tmp_path):
    design = tmp_path / "dual.yaml"
    design.write_text(DUAL_TRIAL.replace("BORROWING", "").replace(
        "accrual: {rate: 3, assessment_delay: 1}",
        "accrual: {rate: 3, assessment_delay: 1, max_duration: 12}"))  # fmt: skip
    with pytest.raises(InputError) as caught:
        ap.load_design(design).trial()
    assert caught.value.field.endswith("accrual.incomplete") and "no_go" in str(caught.value)
    design.write_text(design.read_text().replace("max_duration: 12", "max_duration: 12, "
                                                 "incomplete: no_go"))  # fmt: skip
    assert ap.load_design(design).trial().decides_consider(0)
