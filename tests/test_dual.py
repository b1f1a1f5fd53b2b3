"""Go / Consider / No-Go rules: compiled bounds, exact three-outcome OC, third-party numbers.

Third-party numbers (RBesT's decision1S, phase1b's bounds and OC):
``validation/references/rbest_dual_criterion.yaml`` and ``phase1b_*.yaml`` (run by
test_validation.py and ``adaptive-pilot validate``).
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
# ----------------------------------------------------------------- phase1b
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
