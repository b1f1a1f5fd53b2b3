"""Multi-cohort simulator: exact cross-checks, reproducibility, resume, borrowing, bad input."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adaptive_pilot import InputError, exact_oc
from adaptive_pilot.cli import main
from adaptive_pilot.cohorts.borrowing import BerryBorrowing
from adaptive_pilot.cohorts.hierarchical import HierarchicalModel
from adaptive_pilot.cohorts.trial import posterior_tables
from adaptive_pilot.oc.joint import joint_oc
from adaptive_pilot.simulation.kernel import _fixed_slots, draw, run_trials
from adaptive_pilot.simulation.runner import simulate
from adaptive_pilot.spec import load_design, load_scenarios

ROOT = Path(__file__).resolve().parents[1]
MOTIVATING = ROOT / "designs" / "motivating_trial.yaml"
MOTIVATING_SCENARIOS = ROOT / "simulations" / "motivating_trial.yaml"

TWO_COHORTS = """
name: two-cohorts
hypotheses: {p0: 0.10, p1: 0.30}
prior: {a: 0.1, b: 0.9}
n_max: 24
looks: [8, 16, 24]
rule: {type: bop2, lambda: 0.8, gamma: 1.0}
cohorts:
  - {name: A, prevalence: 0.6}
  - name: B
    prevalence: 0.4
    design:
      rule: {type: simon, n1: 10, r1: 1, n: 29, r: 5}
accrual: {rate: 3, assessment_delay: DELAY}
borrowing: {model: independent, futility: 0.1, go: 0.9}
"""

SCENARIOS = """
scenarios:
  - {name: inactive, response: 0.10}
  - {name: alt, response: {A: 0.30, B: 0.25}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def two_cohort_trial(tmp_path: Path, delay: float = 0.0, analysis: str | None = None):
    design = write(tmp_path, f"d{delay}.yaml", TWO_COHORTS.replace("DELAY", str(delay)))
    trial = load_design(design).trial(analysis)
    return trial, load_scenarios(write(tmp_path, "s.yaml", SCENARIOS), trial)


def estimates(result, scenario, cohort):
    sub = result.frame[(result.frame.scenario == scenario) & (result.frame.cohort == cohort)]
    return sub.set_index("metric")[["estimate", "mcse"]]


# ------------------------------------------------------------- cross-checks
def test_simulated_oc_agree_with_exact_oc_within_4_mcse(tmp_path):
    trial, scenarios = two_cohort_trial(tmp_path)
    result = simulate(trial, scenarios, 60_000, seed=11, n_jobs=2)
    for scenario in scenarios:
        for j, cohort in enumerate(trial.cohorts):
            oc = exact_oc(cohort.table, float(scenario.response[j]))
            sim = estimates(result, scenario.name, cohort.name)
            for metric, exact in (
                ("p_go", oc.p_go[0]),
                ("p_early_futility", oc.p_early_futility[0]),
                ("en", oc.en[0]),
            ):
                est, se = sim.loc[metric]
                assert abs(est - exact) <= 4 * se, (scenario.name, cohort.name, metric, est, exact)


def test_simulated_toxicity_stops_agree_with_exact_joint_oc(tmp_path):
    resolved = load_design(MOTIVATING)
    trial = resolved.trial()
    text = (
        "scenarios:\n  - {name: t, response: 0.15, toxicity: 0.35}\n"
        "  - {name: linked, response: 0.2, toxicity: 0.3, odds_ratio: 4}\n"
        "  - {name: opposed, response: 0.2, toxicity: 0.3, odds_ratio: 0.25}\n"
    )
    scenarios = load_scenarios(write(tmp_path, "s.yaml", text), trial)
    # No delay or duration limit, so every cohort's decisions follow the exact recursion.
    trial = type(trial)(trial.name, trial.cohorts, type(trial.accrual)(6.0), None)
    result = simulate(trial, scenarios, 40_000, seed=5)
    cohort = trial.cohorts[0]
    for name, r, t, psi in (("t", 0.15, 0.35, 1), ("linked", 0.2, 0.3, 4),
                            ("opposed", 0.2, 0.3, 0.25)):  # fmt: skip
        exact = joint_oc(cohort.table, cohort.toxicity, [r], [t], psi)
        sim = estimates(result, name, cohort.name)
        for metric, value in (
            ("p_go", exact.p_go[0]),
            ("p_stop_toxicity", exact.p_stop_toxicity[0]),
            ("p_early_futility", exact.p_early_futility[0]),
        ):
            est, se = sim.loc[metric]
            assert abs(est - value) <= 4 * se, (name, metric, est, value)
    # the odds ratio matters: toxicity stops take responders away when they go together
    go = {name: estimates(result, name, cohort.name).loc["p_go"] for name in ("linked", "opposed")}
    assert go["linked"].estimate < go["opposed"].estimate - 4 * math.hypot(
        go["linked"].mcse, go["opposed"].mcse
    )


def test_correlated_toxicity_keeps_the_marginal_rates():
    from adaptive_pilot.simulation.kernel import _conditional_toxicity

    r, t = np.array([0.2, 0.5, 0.0, 1.0]), np.array([0.3, 0.3, 0.3, 0.3])
    given_r, given_n = _conditional_toxicity(r, t, np.array([4.0, 0.25, 2.0, 2.0]))
    np.testing.assert_allclose(r * given_r + (1 - r) * given_n, t, atol=1e-12)
    odds = (given_r / (1 - given_r)) / (given_n / (1 - given_n))
    np.testing.assert_allclose(odds[:2], [4.0, 0.25], rtol=1e-9)


def test_delay_changes_sample_size_but_not_independent_decisions(tmp_path):
    quick, _ = two_cohort_trial(tmp_path, delay=0.0)
    slow, _ = two_cohort_trial(tmp_path, delay=3.0)
    rates = np.array([0.2, 0.2])
    a = run_trials(quick, draw(quick, np.random.default_rng(1), 3000), rates, None)
    b = run_trials(slow, draw(slow, np.random.default_rng(1), 3000), rates, None)
    np.testing.assert_array_equal(a.code, b.code)  # same patients, same decisions
    assert np.all(b.enrolled >= a.enrolled) and b.enrolled.mean() > a.enrolled.mean()
    # Without delay a stopped cohort has exactly the patients of its deciding look.
    for j, cohort in enumerate(quick.cohorts):
        assert set(np.unique(a.enrolled[:, j])) <= set(cohort.table.looks)


def short_trial(tmp_path: Path, extra: str = "", analysis: str | None = None):
    text = TWO_COHORTS.replace("DELAY", "1").replace(
        "rate: 3,", f"rate: 3, max_duration: 6, {extra}"
    )
    return load_design(write(tmp_path, "d.yaml", text)).trial(analysis)


def test_max_duration_makes_cohorts_incomplete(tmp_path):
    trial = short_trial(tmp_path)
    draws = draw(trial, np.random.default_rng(2), 2000)
    out = run_trials(trial, draws, np.array([0.3, 0.3]), None)
    incomplete = (out.code == 5) | (out.code == 6)
    assert incomplete.any()
    # Nobody is enrolled after enrolment closes.
    enrolled_by_close = np.sum(draws.arrivals <= 6.0, axis=2)
    assert np.all(out.enrolled <= enrolled_by_close)
    assert np.array_equal(out.enrolled[incomplete], enrolled_by_close[incomplete])


def test_incomplete_cohorts_are_analysed_by_their_rule_at_the_n_reached(tmp_path):
    from scipy import stats

    trial = short_trial(tmp_path)
    draws = draw(trial, np.random.default_rng(3), 3000)
    rates = np.array([0.3, 0.3])
    out = run_trials(trial, draws, rates, None)
    b, j = np.nonzero((out.code == 5) | (out.code == 6))
    assert (out.code == 6).sum() > 50 and (out.code == 5).sum() > 50
    for trial_index, cohort in zip(b, j, strict=True):
        n = out.enrolled[trial_index, cohort]
        x = int(np.sum(draws.response_u[trial_index, cohort, :n] < rates[cohort]))
        # A (BOP2, lambda 0.8): GO if P(p > 0.1 | x, n) >= 0.8, the final cut-off;
        # B (Simon 5/29): GO only when the final GO is already certain (x > r = 5).
        go = stats.beta.sf(0.1, 0.1 + x, 0.9 + n - x) >= 0.8 if cohort == 0 else x >= 6
        assert (out.code[trial_index, cohort] == 6) == go, (trial_index, cohort, n, x)
    no_go = short_trial(tmp_path, "incomplete: no_go,")
    plain = run_trials(no_go, draws, rates, None)
    assert not (plain.code == 6).any()
    np.testing.assert_array_equal(plain.code == 5, (out.code == 5) | (out.code == 6))


def test_incomplete_cohorts_with_borrowing_use_every_cohorts_data_at_close(tmp_path):
    trial = short_trial(tmp_path, analysis="hierarchical")
    draws = draw(trial, np.random.default_rng(4), 400)
    rates = np.array([0.3, 0.3])
    out = run_trials(trial, draws, rates, None, posterior_tables(trial))
    model = HierarchicalModel(trial.borrowing.prior, [math.log(0.1 / 0.9)])
    reference = model.compact_tables(24, [0.1, 0.1])  # float64, built once
    # Trials where both cohorts were still running at close: both analysed on all data.
    both = np.nonzero(np.all((out.code == 5) | (out.code == 6), axis=1))[0][:25]
    assert both.size >= 20
    for b in both:
        n = out.enrolled[b]
        x = [int(np.sum(draws.response_u[b, k, : n[k]] < rates[k])) for k in range(2)]
        prob = reference.prob_greater(np.tile(n, (2, 1)), np.tile(x, (2, 1)), np.arange(2))
        for k in range(2):
            if abs(prob[k] - 0.9) > 1e-4:
                assert (out.code[b, k] == 6) == (prob[k] >= 0.9), (b, k, n, x, prob)


def test_fixed_allocation_deals_arrivals_in_proportion():
    slots = _fixed_slots(np.array([0.5, 0.25, 0.25]), np.array([8, 8, 8]))
    first_eight = np.sort(np.concatenate([s[s < 8] for s in slots]))
    np.testing.assert_array_equal(first_eight, np.arange(8))
    counts = [(s < 8).sum() for s in slots]
    assert counts == [4, 2, 2]


def test_fixed_allocation_trial_enrols_in_proportion(tmp_path):
    text = (
        TWO_COHORTS.replace("DELAY", "0")
        .replace("prevalence: 0.6", "allocation: 2")
        .replace("prevalence: 0.4", "allocation: 1")
        .replace("rate: 3,", "rate: 3, allocation: fixed,")
    )
    trial = load_design(write(tmp_path, "d.yaml", text)).trial()
    assert [c.share for c in trial.cohorts] == pytest.approx([2 / 3, 1 / 3])
    arrivals = draw(trial, np.random.default_rng(0), 50).arrivals
    # cohort A's 2k-th and (2k+1)-th patients arrive around cohort B's k-th
    order = np.argsort(np.concatenate([arrivals[0, 0, :12], arrivals[0, 1, :6]]))
    labels = np.array([0] * 12 + [1] * 6)[order]
    assert labels.tolist() == [0, 1, 0] * 6


# ---------------------------------------------------------- reproducibility
def test_results_identical_for_any_n_jobs_and_chunk_order(tmp_path):
    trial, scenarios = two_cohort_trial(tmp_path, delay=1.5)
    one = simulate(trial, scenarios, 9_000, seed=3, n_jobs=1, chunk_size=1000)
    two = simulate(trial, scenarios, 9_000, seed=3, n_jobs=2, chunk_size=1000)
    pd.testing.assert_frame_equal(one.frame, two.frame, check_exact=True)


def test_dask_backend_gives_identical_results(tmp_path):
    trial, scenarios = two_cohort_trial(tmp_path, delay=1.0)
    loky = simulate(trial, scenarios, 6_000, seed=4, n_jobs=2, chunk_size=1000)
    dask = simulate(trial, scenarios, 6_000, seed=4, n_jobs=2, backend="dask", chunk_size=1000)
    pd.testing.assert_frame_equal(loky.frame, dask.frame, check_exact=True)


def test_checkpoints_are_reused_and_results_written(tmp_path):
    trial, scenarios = two_cohort_trial(tmp_path)
    out = tmp_path / "run"
    first = simulate(trial, scenarios, 5_000, seed=9, out=out, chunk_size=1000)
    assert len(list((out / "chunks").glob("chunk-*.npz"))) == 5
    again = simulate(trial, scenarios, 5_000, seed=9, out=out, chunk_size=1000)
    assert again.provenance.details["resumed_chunks"] == 5
    pd.testing.assert_frame_equal(first.frame, again.frame, check_exact=True)
    written = json.loads((out / "results.json").read_text())
    assert written["provenance"]["seed"] == 9 and written["provenance"]["design_hash"]
    assert {"scenario", "cohort", "metric", "estimate", "mcse"} <= set(written["results"][0])
    assert pd.read_csv(out / "results.csv").shape[0] == first.frame.shape[0]
    with pytest.raises(InputError, match="different simulation"):
        simulate(trial, scenarios, 5_000, seed=10, out=out, chunk_size=1000)


@pytest.mark.slow
def test_killed_run_resumes_to_identical_results(tmp_path):
    scenarios = write(tmp_path, "s.yaml", "scenarios:\n  - {name: mixed, response: [RATES]}\n")
    scenarios.write_text(
        scenarios.read_text().replace("[RATES]", "{G12D: 0.2, G12V: 0.05, G12C: 0.3, other: 0.05}")
    )
    command = [
        sys.executable, "-m", "adaptive_pilot.cli", "simulate", str(MOTIVATING),
        "--scenarios", str(scenarios), "--analysis", "hierarchical",
        "--n-trials", "4000", "--seed", "8", "--chunk-size", "100", "--no-progress",
    ]  # fmt: skip
    killed = tmp_path / "killed"
    process = subprocess.Popen([*command, "--out", str(killed)], stdout=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(killed.glob("chunks/chunk-*.npz"))) < 3:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = len(list(killed.glob("chunks/chunk-*.npz")))
    assert 3 <= partial < 40, partial
    assert not (killed / "results.csv").exists()
    subprocess.run([*command, "--out", str(killed)], check=True, stdout=subprocess.DEVNULL)
    # the same run uninterrupted (in this process: the CLI is a thin layer over these calls)
    clean = tmp_path / "clean"
    trial = load_design(MOTIVATING).trial("hierarchical")
    simulate(trial, load_scenarios(scenarios, trial), 4000, seed=8, chunk_size=100,
             progress=False, out=clean)  # fmt: skip
    assert (killed / "results.csv").read_bytes() == (clean / "results.csv").read_bytes()
    resumed = json.loads((killed / "results.json").read_text())["provenance"]["details"][
        "resumed_chunks"
    ]
    assert resumed >= partial


# ---------------------------------------------------------------- borrowing
def test_simulator_posterior_matches_the_float64_model(tmp_path):
    trial, _ = two_cohort_trial(tmp_path, analysis="hierarchical")
    tables = posterior_tables(trial)
    model = HierarchicalModel(trial.borrowing.prior, [math.log(0.1 / 0.9)])
    rng = np.random.default_rng(0)
    n = rng.integers(0, 25, size=(200, 2))
    x = rng.binomial(n, 0.2)
    target = rng.integers(0, 2, size=200)
    fast = tables.prob_greater(n, x, target)
    ref = model.compact_tables(29, [0.1, 0.1]).prob_greater(n, x, target)  # float64
    np.testing.assert_allclose(fast, ref, atol=2e-6)
    one = model.prob_greater([int(n[0, 0]), int(n[0, 1])], x[0], [0.1, 0.1])[target[0]]
    assert abs(one - fast[0]) <= 2e-6  # the model's own entry point agrees


def test_hierarchical_borrowing_pulls_null_cohorts_towards_active_ones(tmp_path):
    independent, _ = two_cohort_trial(tmp_path, delay=1.0)
    hierarchical, _ = two_cohort_trial(tmp_path, delay=1.0, analysis="hierarchical")
    text = "scenarios:\n  - {name: one-active, response: {A: 0.40, B: 0.10}}\n"
    mixed = load_scenarios(write(tmp_path, "m.yaml", text), hierarchical)
    res = simulate(hierarchical, mixed, 4_000, seed=2, n_jobs=2)
    go = estimates(res, "one-active", "B").loc["p_go"]
    null_alone = simulate(
        hierarchical,
        load_scenarios(write(tmp_path, "n.yaml", "scenarios:\n  - {name: n, response: 0.1}\n"),
                       hierarchical),
        4_000, seed=2, n_jobs=2,
    )  # fmt: skip
    go_null = estimates(null_alone, "n", "B").loc["p_go"]
    assert go.estimate > go_null.estimate + 4 * math.hypot(go.mcse, go_null.mcse)
    assert res.analysis == "hierarchical borrowing"
    assert independent.borrowing is None


# ---------------------------------------------------------------- bad input
def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as raised:
        main(list(args))
    captured = capsys.readouterr()
    return raised.value.code, captured.out, captured.err


@pytest.mark.parametrize(
    ("edit", "needle"),
    [
        (("prevalence: 0.6", "prevalence: 0.5"), "prevalences must sum to 1"),
        (("rate: 3", "rate: 0"), "accrual.rate"),
        (("rate: 3", "rate: -2"), "accrual.rate"),
        (("name: B", "name: A"), "unique"),
        (("{type: simon, n1: 10", "{type: simon, nn1: 10"), "cohorts[1].design.rule.nn1"),
        (("assessment_delay: 0", "assessment_delay: -1"), "accrual.assessment_delay"),
        (("assessment_delay: 0", "assessment_delay: 0, incomplete: maybe"), "accrual.incomplete"),
        (("go: 0.9", "go: [0.9, 0.9, 0.9]"), "borrowing.go needs one threshold per cohort (2)"),
        (("model: independent,", "model: hierarchical, analysis_timing: joint,"),
         "borrowing.analysis_timing: joint analyses need the same number of looks in every "
         "cohort (got 3, 2)"),
        (("model: independent,", "model: independent, joint_looks: {months: [0]},"),
         "borrowing.joint_looks.months[0]: must be greater than 0 (got 0)"),
        (("model: independent,", "model: independent, analysis_timing: both,"),
         "borrowing.analysis_timing"),
    ],
)  # fmt: skip
def test_bad_design_files(tmp_path, capsys, edit, needle):
    design = write(tmp_path, "d.yaml", TWO_COHORTS.replace("DELAY", "0").replace(*edit))
    scenarios = write(tmp_path, "s.yaml", SCENARIOS)
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        capsys, "simulate", str(design), "--scenarios", str(scenarios), "--out", str(out)
    )
    assert code == 2 and stdout == "" and needle in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("scenario_text", "needle"),
    [
        ("scenarios:\n  - {name: x, response: {A: 0.1, C: 0.2}}\n", "unknown cohort 'C'"),
        ("scenarios:\n  - {name: x, response: {A: 0.1}}\n", "no rate for cohort(s): B"),
        (
            "scenarios:\n  - {name: x, response: 1.2}\n",
            "scenarios[0].response: must be at most 1 (got 1.2)",
        ),
        (
            "scenarios:\n  - {name: x, response: 0.1, toxicity: -0.1}\n",
            "scenarios[0].toxicity: must be at least 0 (got -0.1)",
        ),
        ("scenarios:\n  - {name: x, respons: 0.1}\n", "did you mean 'response'"),
        (
            "scenarios:\n  - {name: x, response: 0.1, odds_ratio: 2}\n",
            "scenarios[0] (x).odds_ratio: links response and toxicity, but the scenario sets no",
        ),
        (
            "scenarios:\n  - {name: x, response: 0.1, odds_ratio: 0}\n",
            "scenarios[0].odds_ratio: must be at least 0.01 (got 0)",
        ),
    ],
)
def test_bad_scenario_files(tmp_path, capsys, scenario_text, needle):
    design = write(tmp_path, "d.yaml", TWO_COHORTS.replace("DELAY", "0"))
    scenarios = write(tmp_path, "s.yaml", scenario_text)
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        capsys, "simulate", str(design), "--scenarios", str(scenarios), "--out", str(out)
    )
    assert code == 2 and stdout == "" and needle in err, err
    assert len(err.strip().splitlines()) == 1
    assert not out.exists()


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--n-trials", "0"], "--n-trials: must be a whole number from 1 to 100,000,000 (got 0)"),
        (["--n-jobs", "0"], "--n-jobs"),
        (["--backend", "dask", "--scheduler", "tcp://127.0.0.1:9"], "--scheduler: cannot reach"),
    ],
)
def test_bad_run_options(tmp_path, capsys, extra, needle):
    design = write(tmp_path, "d.yaml", TWO_COHORTS.replace("DELAY", "0"))
    scenarios = write(tmp_path, "s.yaml", SCENARIOS)
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        capsys, "simulate", str(design), "--scenarios", str(scenarios), "--out", str(out), *extra
    )
    assert code == 2 and stdout == "" and needle in err, err
    assert not out.exists()


def test_simulate_cli_json_contract(tmp_path, capsys):
    args = ["--scenarios", str(MOTIVATING_SCENARIOS), "--n-trials", "2000", "--json"]
    code = main(["simulate", str(MOTIVATING), *args])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0
    rows = payload["results"]
    assert {tuple(sorted(r)) for r in rows} == {
        ("cohort", "estimate", "mcse", "metric", "scenario")
    }
    cohorts = {r["cohort"] for r in rows}
    assert cohorts == {"G12D", "G12V", "G12C", "other", "ALL"}
    null = {(r["cohort"], r["metric"]): r for r in rows if r["scenario"] == "global-null"}
    assert ("ALL", "fwer") in null and ("G12C", "p_stop_toxicity") in null
    assert all(r["mcse"] >= 0 for r in rows)
    assert payload["provenance"]["n_trials"] == 2000


# ------------------------------------------------------------- joint timing
BASKET = (
    (ROOT / "designs" / "basket_4x20.yaml")
    .read_text()
    .replace("analysis_timing: joint", "analysis_timing: TIMING")
)


def test_joint_analysis_of_4x20_equals_exact_enumeration_of_all_21_to_the_4_outcomes(tmp_path):
    """Berry's model analysed jointly at 20 patients per cohort (bhmbasket's setting)."""
    from scipy import stats

    trial = load_design(write(tmp_path, "b.yaml", BASKET.replace("TIMING", "joint"))).trial()
    rates = np.array([0.1, 0.1, 0.3, 0.3])
    tables = posterior_tables(trial)
    # q_j(x) depends on x_j and the multiset of the others' counts (exchangeable prior)
    grid = np.stack(np.meshgrid(*[np.arange(21)] * 4, indexing="ij"), axis=-1).reshape(-1, 4)
    weight = np.prod(stats.binom.pmf(grid, 20, rates), axis=1)

    def key(rows):
        return rows @ (21 ** np.arange(3, -1, -1))

    def canonical(j):  # (x_j, the others sorted)
        return np.column_stack([grid[:, j], np.sort(np.delete(grid, j, axis=1), axis=1)])

    unique = np.unique(canonical(0), axis=0)  # every (x_j, multiset of the others)
    q = tables.prob_greater(np.full(unique.shape, 20), unique, np.zeros(len(unique), int))
    order = np.argsort(key(unique))
    exact = []
    for j in range(4):
        at = order[np.searchsorted(key(unique)[order], key(canonical(j)))]
        exact.append(float(weight @ (q[at] >= 0.9)))
    scenario = [ap_scenario(rates)]
    result = simulate(trial, scenario, 20_000, seed=8, progress=False)
    for j, name in enumerate("ABCD"):
        est, se = estimates(result, "s", name).loc["p_go"]
        assert abs(est - exact[j]) <= 4 * se, (name, est, exact[j], se)
    assert exact[2] > 0.5 > 0.2 > exact[0]  # borrowing lifts the nulls beside active cohorts


def test_joint_months_must_match_the_interim_looks():
    from adaptive_pilot import InputError as Error
    from adaptive_pilot.cohorts.trial import HierarchicalBorrowing

    prior = object()
    with pytest.raises(Error, match="one increasing positive month per interim look"):
        HierarchicalBorrowing(
            BerryBorrowing(prior), (0.1, 0.1), (math.nan,) * 2, 0.9, "joint", (12.0,)
        )
    with pytest.raises(Error, match="needs analysis_timing: joint"):
        HierarchicalBorrowing(
            BerryBorrowing(prior), (0.1,), (math.nan,), 0.9, "per_cohort", (12.0,)
        )


def ap_scenario(rates):
    from adaptive_pilot.simulation.scenarios import Scenario

    return Scenario("s", np.asarray(rates, dtype=float), None)


@pytest.mark.parametrize("months", [None, (18, 30)])
def test_joint_looks_match_a_trial_by_trial_reference(tmp_path, months):
    """Interim looks: every running cohort at once, when the slowest reaches the look
    (or at calendar months); the final when the slowest running cohort has its N."""
    text = BASKET.replace("TIMING", "joint").replace("looks: [20]", "looks: [8, 14, 20]")
    text = text.replace("theta_final: 0.9}", "theta_final: 0.9, theta_futility: 0.05}")
    text = text.replace("go: 0.9,", "go: 0.9, futility: 0.3, efficacy: 0.995,")
    if months:
        text = text.replace("analysis_timing: joint", "analysis_timing: joint, joint_looks: "
                            f"{{months: {list(months)}}}")  # fmt: skip
    trial = load_design(write(tmp_path, "j.yaml", text)).trial()
    rates = np.array([0.1, 0.2, 0.3, 0.4])
    draws = draw(trial, np.random.default_rng(9), 14)
    out = run_trials(trial, draws, rates, None, posterior_tables(trial))
    assert {0, 1, 2} <= set(out.code.ravel().tolist())  # GO, NO-GO and futility stops
    model = HierarchicalModel(trial.borrowing.prior, [math.log(0.1 / 0.9)])
    reference = model.compact_tables(20, [0.1] * 4)  # float64, built once

    def prob_greater(n, x):
        rows = np.tile(np.array(n), (4, 1)), np.tile(np.array(x), (4, 1))
        return reference.prob_greater(*rows, np.arange(4))

    looks, delay = (8, 14, 20), 2.0
    for b in range(14):
        arrivals = draws.arrivals[b]
        hits = draws.response_u[b] < rates[:, None]
        code = [None] * 4
        stopped_at = [math.inf] * 4
        for k, n_k in enumerate(looks):
            running = [j for j in range(4) if code[j] is None]
            if not running:
                break
            final_at = max(arrivals[j, 19] for j in running)
            if months and k < 2:
                when = months[k] - delay
                if final_at <= when:
                    continue  # the final analysis comes first
                running = [j for j in running if arrivals[j, 7] <= when]
            else:
                when = max(arrivals[j, n_k - 1] for j in running)
            n = [int(np.sum(arrivals[j] <= min(when, stopped_at[j]))) for j in range(4)]
            x = [int(hits[j, : n[j]].sum()) for j in range(4)]
            prob = prob_greater(n, x)
            for j in running:
                if k == 2:
                    code[j] = 0 if prob[j] >= 0.9 else 1
                elif prob[j] < 0.3:
                    code[j] = 2
                elif prob[j] >= 0.995:
                    code[j] = 3
                if code[j] is not None:
                    stopped_at[j] = when + delay
        near = np.abs(out.final_prob[b] - 0.9) < 1e-4
        for j in range(4):
            if not near[j]:
                assert out.code[b, j] == code[j], (b, j, out.code[b], code)


def test_joint_analysis_results_do_not_depend_on_workers_or_chunks(tmp_path):
    """Probabilities remembered across chunks leave every number bit-identical."""
    trial = load_design(write(tmp_path, "b.yaml", BASKET.replace("TIMING", "joint"))).trial()
    scenario = [ap_scenario([0.1, 0.2, 0.3, 0.1])]
    one = simulate(trial, scenario, 3_000, seed=4, chunk_size=1_000, progress=False)
    two = simulate(trial, scenario, 3_000, seed=4, chunk_size=1_000, n_jobs=2, progress=False)
    assert one.frame.equals(two.frame)


def _slow_in_workers(parent: int, index: int) -> tuple[int, int]:
    """A job that takes long in a worker process and little time in the parent."""
    time.sleep(0.02 if os.getpid() == parent else 0.3)
    return index, os.getpid()


def test_jobs_are_shared_with_the_parent_and_each_answered_once():
    """With n_jobs 2 the parent runs jobs too, beside a worker."""
    from adaptive_pilot.simulation.workers import run_jobs, stop_workers

    parent = os.getpid()
    try:
        answers = list(run_jobs(_slow_in_workers, (parent,), [(i,) for i in range(30)], 2, None))
    finally:
        stop_workers()
    assert sorted(index for index, _ in answers) == list(range(30))
    assert parent in {pid for _, pid in answers}


def test_a_short_run_starts_no_worker(monkeypatch):
    """Jobs that take less than starting a worker are all run in the calling process."""
    from adaptive_pilot.simulation import workers

    monkeypatch.setattr(workers, "WORKER_START_S", 60.0)
    parent = os.getpid()
    answers = list(workers.run_jobs(_slow_in_workers, (parent,), [(i,) for i in range(9)], 2, None))
    assert sorted(answers) == [(i, parent) for i in range(9)]
