"""EXNEX: fast posterior, exact assignment sum, PyMC, published numbers, design files."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import numpy as np
import pytest

import adaptive_pilot as ap
from adaptive_pilot import InputError
from adaptive_pilot.cohorts.exnex import ExnexModel, ExnexPrior, default_nex
from adaptive_pilot.cohorts.hierarchical import (
    HierarchicalModel,
    HierarchicalPrior,
    NonExchangeable,
    PosteriorTables,
    hierarchical_prior,
    row_index,
)
from hierarchical_reference import one_cohort_exnex

ROOT = Path(__file__).resolve().parents[1]
P0 = (0.1, 0.1, 0.2)
DATA = [([20, 20, 20], [1, 2, 9]), ([10, 20, 15], [0, 12, 6]), ([5, 5, 5], [5, 0, 1])]


@pytest.fixture(scope="module")
def model():
    prior = hierarchical_prior(list(P0))
    return HierarchicalModel(prior, [math.log(p / (1 - p)) for p in P0])


def tables(model, weights, means=(-1.5, -1.5, -1.0), sds=(2.0, 2.0, 2.0)):
    nex = NonExchangeable(tuple(weights), tuple(means), tuple(sds))
    return PosteriorTables(model, 20, list(P0), nex=nex)


def probabilities(table, n, x):
    rows = len(n)
    return table.prob_greater(np.tile(n, (rows, 1)), np.tile(x, (rows, 1)), np.arange(rows))


def test_all_exchangeable_is_the_berry_model(model):
    berry = model.compact_tables(20, list(P0))
    exnex = tables(model, (1.0, 1.0, 1.0))
    for n, x in DATA:
        np.testing.assert_allclose(
            probabilities(exnex, n, x), probabilities(berry, n, x), rtol=0, atol=1e-12
        )


def test_none_exchangeable_is_each_cohort_on_its_own_prior(model):
    exnex = tables(model, (0.0, 0.0, 0.0))
    means, sds = (-1.5, -1.5, -1.0), (2.0, 2.0, 2.0)
    for n, x in DATA:
        got = probabilities(exnex, n, x)
        for j in range(3):
            # one cohort, weight 0: the NEX posterior alone (the EX part drops out)
            ref = one_cohort_exnex(n[j], x[j], P0[j], -2.0, 2.0, 1.0, 0.0, means[j], sds[j])
            assert got[j] == pytest.approx(ref, abs=1e-6), (n, x, j)


@pytest.mark.parametrize("weight", [0.25, 0.9])
def test_one_cohort_mixture_equals_an_independent_adaptive_integral(weight):
    p0, m, s, t = 0.15, math.log(0.15 / 0.85), 2.0, 1.0
    one = HierarchicalModel(hierarchical_prior([p0]), [m])
    table = PosteriorTables(one, 12, [p0], nex=NonExchangeable((weight,), (-1.0,), (1.5,)))
    for n, x in ((12, 0), (12, 4), (12, 9), (3, 1)):
        got = table.prob_greater(np.array([[n]]), np.array([[x]]), np.array([0]))[0]
        ref = one_cohort_exnex(n, x, p0, m, s, t, weight, -1.0, 1.5)
        assert got == pytest.approx(ref, abs=1e-5), (weight, n, x, got, ref)


def test_a_differing_cohort_borrows_less_than_under_berry(model):
    """The point of EXNEX: a cohort unlike the others keeps more of its own evidence."""
    n, x = [20, 20, 20], [1, 1, 12]  # the third responds far more than the others
    berry = probabilities(model.compact_tables(20, list(P0)), n, x)
    exnex = probabilities(tables(model, (0.5, 0.5, 0.5)), n, x)
    assert exnex[2] > berry[2]


def test_bad_exnex_settings():
    with pytest.raises(InputError, match="between 0 and 1"):
        NonExchangeable((1.2,), (0.0,), (1.0,))
    with pytest.raises(InputError, match="one weight, NEX mean and NEX SD per cohort"):
        NonExchangeable((0.5, 0.5), (0.0,), (1.0,))
    with pytest.raises(InputError, match="nex_sd"):
        NonExchangeable((0.5,), (0.0,), (50.0,))


# ------------------------------------------------------------ exact assignment sum
NEX = NonExchangeable((0.5, 0.3, 0.8), (-1.5, -1.5, -1.0), (2.0, 2.0, 2.0))


@pytest.fixture(scope="module")
def exnex(model):
    return ExnexModel(ExnexPrior.single(model.prior, NEX), model.cuts)


# cohorts 1 and 2 alike (same p0, weight and NEX prior): one block of table rows serves both
ALIKE = NonExchangeable((0.5, 0.5, 0.8), (-1.5, -1.5, -1.0), (2.0, 2.0, 2.0))


@pytest.mark.parametrize("nex", [NEX, ALIKE], ids=["distinct", "alike"])
def test_assignment_sum_equals_the_mixture_tables(model, nex):
    """Two algebras: indicators summed outside (2^J subsets) vs mixed inside the integral."""
    table = PosteriorTables(model, 20, list(P0), nex=nex)
    exnex = ExnexModel(ExnexPrior.single(model.prior, nex), model.cuts)
    rng = np.random.default_rng(5)
    n = rng.integers(1, 21, size=(40, 3))
    x = rng.integers(0, 21, size=(40, 3)) % (n + 1)
    got = exnex.prob_greater(n, x, list(P0))
    for j in range(3):
        ref = table.prob_greater(n, x, np.full(40, j))
        np.testing.assert_allclose(got[:, j], ref, rtol=0, atol=1e-12)


def test_cohorts_alike_share_one_block_of_rows(model):
    blocks = PosteriorTables(model, 20, list(P0), nex=ALIKE).log_lik.shape[0] // row_index(21, 0)
    assert blocks == 2


def test_one_cohort_posterior_equals_the_adaptive_integral():
    p0 = 0.15
    prior = ExnexPrior((hierarchical_prior([p0]),), ((0.4, 0.6),), (-1.0,), (1.5,))
    one = ExnexModel(prior, [math.log(p0 / (1 - p0))])
    m = math.log(p0 / (1 - p0))
    for n, x in ((12, 0), (12, 5), (4, 4)):
        got = one.posterior([n], [x], p0).prob_gt_p0[0]
        assert got == pytest.approx(
            one_cohort_exnex(n, x, p0, m, 2.0, 1.0, 0.4, -1.0, 1.5), abs=1e-5
        )


def test_posterior_summaries_are_consistent(exnex):
    result = exnex.posterior([20, 20, 20], [1, 2, 9], list(P0))
    assert np.all(result.credible_low < result.posterior_mean)
    assert np.all(result.posterior_mean < result.credible_high)
    assert result.to_dict()["model"] == "exnex"
    text = result.summary().as_text()
    assert "EXNEX posterior" in text and "weights (EX, NEX) per cohort 0.5, 0.5" in text


def test_default_nex_prior_is_the_papers():
    means, sds = default_nex([0.1, 0.05], [0.3, 0.2])
    assert means[0] == pytest.approx(math.log(0.2 / 0.8)) and sds[0] == pytest.approx(2.5)
    assert sds[1] == pytest.approx(1 / math.sqrt(0.125 * 0.875))


@pytest.mark.slow
def test_pymc_agrees_within_001(exnex):
    n, x = [20, 20, 20], [1, 2, 9]
    fast = exnex.posterior(n, x, list(P0))
    nuts = exnex.pymc_posterior(n, x, list(P0), draws=5000, tune=1000, chains=2, seed=11)
    d = nuts.diagnostics
    assert d["max_r_hat"] < 1.01 and d["divergences"] == 0
    for name in ("prob_gt_p0", "posterior_mean", "credible_low", "credible_high"):
        np.testing.assert_allclose(getattr(nuts, name), getattr(fast, name), atol=0.01)
    assert np.all(np.abs(nuts.prob_gt_p0 - fast.prob_gt_p0) <= 4 * np.array(d["mcse_prob_gt_p0"]))


# ------------------------------------------------------------ published numbers
def _logit(p):
    return math.log(p / (1 - p))


@pytest.mark.slow
def test_chugh_sarcoma_analysis_matches_bhmbasket():
    """Neuenschwander et al. 2016, Appendix 5.3 (imatinib in 10 sarcoma subtypes), as
    bhmbasket's vignette 'reproduceExNex' fits it by JAGS (50,000 iterations): posterior
    means and SDs of p_j. The EX component of weight 0 there is left out here."""
    n = [15, 13, 12, 28, 29, 29, 26, 5, 2, 20]
    x = [2, 0, 1, 6, 7, 3, 5, 1, 0, 3]
    mean = [0.1508, 0.0529, 0.1270, 0.1885, 0.2051, 0.1314, 0.1767, 0.1786, 0.1302, 0.1573]
    sd = [0.0629, 0.0590, 0.0678, 0.0601, 0.0655, 0.0509, 0.0573, 0.1040, 0.1138, 0.0581]
    prior = ExnexPrior(
        (HierarchicalPrior(-1.735, 0.146**-0.5, 1.0),),
        ((0.5, 0.5),) * 10,
        (-1.734,) * 10,
        (0.128**-0.5,) * 10,
    )
    got = ExnexModel(prior, [_logit(0.1)]).posterior(n, x, 0.1).posterior_mean
    # JAGS' Monte Carlo error: SD / sqrt(ESS), ESS taken as at least 10,000
    np.testing.assert_array_less(np.abs(got - mean), 4 * np.array(sd) / 100 + 5e-5)


@pytest.mark.slow
def test_neuenschwander_2016_operating_characteristics():
    """Section 3.1 / Table V: four strata (n 20, 20, 10, 10), two EX components and NEX
    with weights 0.25, 0.25, 0.5; GO if P(p_j > 0.1) > 0.9 (strata 1-2) or 0.8 (3-4) and
    E(p_j) > 0.2. Exact here (every outcome with probability > 1e-8 in some scenario;
    the mass left out is below 1e-5); bhmbasket's vignette simulated 10,000 trials per
    scenario and printed GO in whole percent and E(p_j) x 100 to two decimals."""
    from scipy import stats

    prior = ExnexPrior(
        (HierarchicalPrior(_logit(0.1), 3.18, 1.0), HierarchicalPrior(_logit(0.3), 1.94, 1.0)),
        ((0.25, 0.25, 0.5),) * 4,
        (_logit(0.2),) * 4,
        (2.5,) * 4,
    )
    model = ExnexModel(prior, [_logit(0.1)])
    n = np.array([20, 20, 10, 10])
    scenarios = {1: (0.1, 0.1, 0.1, 0.1), 3: (0.1, 0.1, 0.3, 0.3), 4: (0.1, 0.1, 0.1, 0.5)}
    go_published = {1: (5, 5, 8, 8), 3: (10, 10, 69, 68), 4: (7, 7, 15, 95)}
    mean_published = {
        1: (10.76, 10.61, 11.54, 11.62),
        3: (11.19, 11.34, 28.75, 28.82),
        4: (11.15, 11.07, 12.21, 46.73),
    }
    grid = np.array(list(itertools.product(range(21), range(21), range(11), range(11))))
    prob = np.array(
        [np.prod([stats.binom.pmf(grid[:, j], n[j], r[j]) for j in range(4)], axis=0)
         for r in scenarios.values()]
    )  # fmt: skip
    keep = prob.max(axis=0) > 1e-8
    assert np.all(1 - prob[:, keep].sum(axis=1) < 1e-5)
    # strata 1-2 and 3-4 are exchangeable in the model: evaluate one order of each pair
    ordered = keep & (grid[:, 0] <= grid[:, 1]) & (grid[:, 2] <= grid[:, 3])
    p_gt, p_mean = model._evaluate(n, grid[ordered], [0.1] * 4)
    lookup = {tuple(row): i for i, row in enumerate(grid[ordered])}
    kept = grid[keep]
    index, perm = [], []
    for row in kept:
        a, b = sorted(row[:2]), sorted(row[2:])
        index.append(lookup[(a[0], a[1], b[0], b[1])])
        perm.append([0 if row[0] <= row[1] else 1, 1 if row[0] <= row[1] else 0,
                     2 if row[2] <= row[3] else 3, 3 if row[2] <= row[3] else 2])  # fmt: skip
    index, perm = np.array(index), np.array(perm)
    q = np.take_along_axis(p_gt[index], perm, axis=1)
    m = np.take_along_axis(p_mean[index], perm, axis=1)
    go = (q > np.array([0.9, 0.9, 0.8, 0.8])) & (m > 0.2)
    for s, (key, rates) in enumerate(scenarios.items()):
        w = prob[s, keep]
        exact_go = w @ go
        exact_mean = w @ m
        published = np.array(go_published[key]) / 100
        # 4 MCSE of 10,000 simulated trials, plus rounding to whole percent
        tol = 4 * np.sqrt(published * (1 - published) / 10_000) + 0.005
        assert np.all(np.abs(exact_go - published) <= tol), (key, exact_go, published)
        sd = np.sqrt(w @ (m - exact_mean) ** 2)
        diff = np.abs(exact_mean - np.array(mean_published[key]) / 100)
        assert np.all(diff <= 4 * sd / 100 + 5e-5), (key, exact_mean, rates)


# ------------------------------------------------------------ design files, simulator
BASKET = """
name: basket-exnex
hypotheses: {p0: 0.10, p1: 0.30}
prior: {a: 0.1, b: 0.9}
n_max: 10
looks: [10]
rule: {type: posterior, theta_final: 0.9}
cohorts:
  - {name: A, prevalence: 0.4}
  - {name: B, prevalence: 0.3}
  - {name: C, prevalence: 0.3}
accrual: {rate: 2, assessment_delay: 1}
borrowing: {model: exnex, go: 0.85, analysis_timing: joint, EXNEX}
"""


def _basket(tmp_path, exnex="exnex: {ex_weight: [0.5, 0.5, 0.8]}"):
    path = tmp_path / "basket.yaml"
    path.write_text(BASKET.replace("EXNEX", exnex))
    return path


def _simulate_cli(design):
    from adaptive_pilot.cli import main

    scenarios = design.parent / "s.yaml"
    scenarios.write_text("scenarios:\n  - {name: nul, response: 0.1}\n")
    args = ["simulate", str(design), "--scenarios", str(scenarios), "--n-trials", "100"]
    try:
        return main([*args, "--no-progress"])
    except SystemExit as stop:
        return stop.code


def test_design_file_exnex_settings_and_defaults(tmp_path):
    trial = ap.load_design(_basket(tmp_path)).trial()
    nex = trial.borrowing.model.nex
    assert trial.borrowing.name == "exnex" and trial.analysis_label == "EXNEX borrowing"
    assert nex.ex_weight == (0.5, 0.5, 0.8)
    assert nex.nex_mean == pytest.approx((_logit(0.2),) * 3) and nex.nex_sd == (2.5,) * 3
    assert trial.to_dict()["borrowing"]["exnex"]["ex_weight"] == [0.5, 0.5, 0.8]
    # 'hierarchical' keeps the file's model; 'exnex' on a Berry file uses the defaults
    assert ap.load_design(_basket(tmp_path)).trial("hierarchical").borrowing.model.nex == nex
    berry = (ROOT / "designs" / "basket_4x20.yaml").read_text()
    (tmp_path / "berry.yaml").write_text(berry)
    forced = ap.load_design(tmp_path / "berry.yaml").trial("exnex").borrowing.model.nex
    assert forced.ex_weight == (0.5,) * 4 and forced.nex_sd == (2.5,) * 4


@pytest.mark.parametrize(
    ("exnex", "message"),
    [
        ("exnex: {ex_weight: [0.5, 0.5]}", "borrowing.exnex.ex_weight: needs one value per cohort"),
        ("exnex: {ex_weight: 1.5}", "ex_weight"),
        ("exnex: {nex_sd: 9}", "nex_sd"),
        ("exnex: {nex_mean: [1, 2, 3, 4]}", "borrowing.exnex.nex_mean: needs one value per"),
        ("exnex: {weight: 0.5}", "weight"),
    ],
)
def test_bad_exnex_settings_in_design_files(tmp_path, capsys, exnex, message):
    code = _simulate_cli(_basket(tmp_path, exnex))
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_exnex_settings_need_the_exnex_model(tmp_path, capsys):
    path = tmp_path / "b.yaml"
    path.write_text(
        BASKET.replace("model: exnex", "model: hierarchical").replace("EXNEX", "exnex: {}")
    )
    assert _simulate_cli(path) == 2
    assert "read only with model: exnex" in capsys.readouterr().err


def test_simulated_exnex_basket_equals_the_exact_assignment_sum(tmp_path):
    """The simulator (mixture tables, float32) against every outcome of a 3 x 10 basket
    analysed jointly, by the exact assignment sum in float64."""
    from scipy import stats

    from adaptive_pilot.simulation.runner import simulate
    from adaptive_pilot.simulation.scenarios import Scenario

    trial = ap.load_design(_basket(tmp_path)).trial()
    rates = np.array([0.1, 0.3, 0.1])
    b = trial.borrowing
    prior = b.model.exnex_prior()
    model = ExnexModel(prior, [_logit(0.1)])
    grid = np.array(list(itertools.product(range(11), repeat=3)))
    q = model.prob_greater(np.full(grid.shape, 10), grid, [0.1] * 3)
    weight = np.prod(stats.binom.pmf(grid, 10, rates), axis=1)
    exact = weight @ (q >= 0.85)
    result = simulate(trial, [Scenario("s", rates, None)], 20_000, seed=4, progress=False)
    frame = result.frame[result.frame.metric == "p_go"].set_index("cohort")
    for j, name in enumerate("ABC"):
        est, se = frame.loc[name, ["estimate", "mcse"]]
        assert abs(est - exact[j]) <= 4 * se, (name, est, exact[j], se)


def test_borrow_command_with_exnex(capsys):
    import json

    from adaptive_pilot.cli import main

    args = ["borrow", "--n", "20,20,20", "--x", "1,2,9", "--p0", "0.1,0.1,0.2"]
    main([*args, "--ex-weight", "0.5,0.3,0.8", "--nex-mean=-1.5,-1.5,-1", "--nex-sd", "2"])
    shown = capsys.readouterr().out
    assert "EXNEX posterior" in shown
    main([*args, "--ex-weight", "0.5,0.3,0.8", "--nex-mean=-1.5,-1.5,-1", "--nex-sd", "2",
          "--format", "json"])  # fmt: skip
    payload = json.loads(capsys.readouterr().out)
    model = ExnexModel(
        ExnexPrior.single(hierarchical_prior(list(P0)), NEX), [_logit(p) for p in P0]
    )
    expected = model.prob_greater([20, 20, 20], np.array([1, 2, 9]), list(P0))
    got = [row["prob_gt_p0"] for row in payload["cohorts"]]
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert payload["model"] == "exnex"
    with pytest.raises(SystemExit) as stop:
        main([*args, "--ex-weight", "0.5"])
    assert stop.value.code == 2 and "p1: is needed" in capsys.readouterr().err
