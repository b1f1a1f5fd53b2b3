"""EXNEX: fast posterior, exact assignment sum, design files.

bhmbasket's published numbers: ``validation/references/bhmbasket_exnex.yaml`` and
``bhmbasket_exnex_oc.yaml``, run by test_validation.py and ``adaptive-pilot validate``.
PyMC's NUTS: the cross-check exnex_quadrature_vs_nuts, run by ``adaptive-pilot validate``
(in CI: make release-check on the installed wheel, and make docs).
"""

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


# Against PyMC's NUTS on the mixture model: the cross-check exnex_quadrature_vs_nuts of
# adaptive_pilot.validation (this module's prior, NEX and first dataset), run by
# `adaptive-pilot validate` (in CI: make release-check on the installed wheel, and make docs).


def _logit(p):
    return math.log(p / (1 - p))


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
