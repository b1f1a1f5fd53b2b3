"""Hierarchical borrowing: fast quadrature posterior against independent computations.

Against PyMC's NUTS: the cross-check quadrature_vs_nuts of adaptive_pilot.validation.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy import integrate, special, stats

from adaptive_pilot import InputError
from adaptive_pilot.cohorts.hierarchical import HierarchicalModel, HierarchicalPrior

LOGIT_02 = math.log(0.2 / 0.8)
DATASETS = [
    ([20, 20, 20, 20], [2, 3, 8, 9], 0.2),
    ([10, 15, 25, 12], [0, 6, 5, 4], 0.2),
    ([30, 30, 30], [3, 4, 20], [0.1, 0.15, 0.3]),
]


@pytest.fixture(scope="module")
def model():
    cuts = [math.log(p / (1 - p)) for p in (0.1, 0.15, 0.2, 0.3)]
    return HierarchicalModel(HierarchicalPrior(mu_mean=LOGIT_02, mu_sd=2.0, tau_sd=1.0), cuts)


def test_complete_pooling_limit_matches_one_dimensional_integral():
    # With tau ~ 0 every cohort shares theta = mu: a 1-D posterior we integrate adaptively.
    prior = HierarchicalPrior(mu_mean=LOGIT_02, mu_sd=1.5, tau_sd=1e-5)
    n, x = [12, 20, 15], [2, 7, 3]
    fast = HierarchicalModel(prior, [LOGIT_02]).prob_greater(n, np.array(x), [0.2] * 3)

    def density(mu):
        log = stats.norm.logpdf(mu, prior.mu_mean, prior.mu_sd)
        log += sum(
            stats.binom.logpmf(xj, nj, special.expit(mu)) for nj, xj in zip(n, x, strict=True)
        )
        return math.exp(log)

    total = integrate.quad(density, -15, 15, epsabs=0, epsrel=1e-12, limit=200)[0]
    upper = integrate.quad(density, LOGIT_02, 15, epsabs=0, epsrel=1e-12, limit=200)[0]
    np.testing.assert_allclose(fast, upper / total, atol=1e-6)


@pytest.mark.slow
def test_quadrature_has_converged():
    prior = HierarchicalPrior(mu_mean=LOGIT_02, mu_sd=2.0, tau_sd=1.0)
    default = HierarchicalModel(prior, [LOGIT_02])
    # about 4x the points: 36 tau nodes, mu panels half as wide with 7 nodes each
    dense = HierarchicalModel(prior, [LOGIT_02], tau_points=36, mu_panel=0.3, mu_nodes=7)
    for n, x, p0 in DATASETS[1::-1]:  # the larger N first: its tables serve both datasets
        p0s = np.broadcast_to(p0, len(n))
        coarse_p = default.prob_greater(n, np.array(x), p0s)
        dense_p = dense.prob_greater(n, np.array(x), p0s)
        np.testing.assert_allclose(coarse_p, dense_p, atol=1e-6)


def test_vectorised_probabilities_equal_single_dataset_posteriors(model):
    n = [20, 20, 20]
    data = np.array([[0, 5, 10], [3, 3, 3], [12, 1, 7]])
    batch = model.prob_greater(n, data, [0.2] * 3)
    for row, x in zip(batch, data, strict=True):
        np.testing.assert_allclose(row, model.posterior(n, x, 0.2).prob_gt_p0, atol=1e-12)


def test_borrowing_shrinks_towards_the_other_cohorts(model):
    # near-complete pooling
    alone = HierarchicalModel(HierarchicalPrior(LOGIT_02, 2.0, 1e-3), [LOGIT_02])
    result = model.posterior([20, 20, 20, 20], [2, 3, 8, 9], 0.2)
    assert np.all(np.diff(result.prob_gt_p0) > 0)
    assert np.all(result.credible_low < result.posterior_mean)
    assert np.all(result.posterior_mean < result.credible_high)
    pooled = alone.posterior([20, 20, 20, 20], [2, 3, 8, 9], 0.2)
    assert np.ptp(pooled.posterior_mean) < np.ptp(result.posterior_mean)


# Against PyMC's NUTS (three datasets: P(p > p0), posterior means and credible limits within
# 4 MCSE): the cross-check quadrature_vs_nuts of adaptive_pilot.validation, run by
# `adaptive-pilot validate` (in CI: make release-check on the installed wheel, and make docs).


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (([20, 20], [2, 30], 0.2), "x"),
        (([20, 20], [2], 0.2), "x"),
        (([20, 0], [2, 0], 0.2), "n"),
        (([20, 20], [2, 3], 1.2), "p0"),
    ],
)
def test_bad_data(model, args, field):
    with pytest.raises(InputError) as raised:
        model.posterior(*args)
    assert raised.value.field == field


def test_bad_prior():
    with pytest.raises(InputError, match="tau_sd"):
        HierarchicalPrior(0.0, 1.0, 0.0)


# ---------------------------------------------- exact for every allowed prior
@pytest.mark.parametrize(
    ("tau_sd", "mu_sd", "mu_mean"),
    [
        (1.0, 2.0, math.log(0.25)),
        (1e-5, 0.1, math.log(0.25)),
        (0.01, 10.0, math.log(0.25)),
        (10.0, 0.1, math.log(0.25)),
        (50.0, 0.1, math.log(0.25)),
        (50.0, 10.0, math.log(0.25)),
        pytest.param(30.0, 1.0, math.log(0.05 / 0.95), marks=pytest.mark.slow),
        pytest.param(1.0, 0.1, 10.0, marks=pytest.mark.slow),
        pytest.param(1e-3, 10.0, -10.0, marks=pytest.mark.slow),
    ],
)
def test_fast_posterior_is_exact_to_1e5_across_the_allowed_priors(tau_sd, mu_sd, mu_mean):
    from hierarchical_reference import one_cohort

    p0 = 0.2
    model = HierarchicalModel(HierarchicalPrior(mu_mean, mu_sd, tau_sd), [LOGIT_02])
    for n, x in ((20, 0), (20, 3), (20, 20), (5, 1)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            reference = one_cohort(n, x, p0, mu_mean, mu_sd, tau_sd)
        fast = float(model.prob_greater([n], np.array([x]), [p0])[0])
        assert abs(fast - reference) < 1e-5, (n, x, fast, reference)


@pytest.mark.parametrize(
    ("field", "value"), [("tau_sd", 60.0), ("tau_sd", 1e-6), ("mu_sd", 0.05), ("mu_sd", 20.0),
                         ("mu_mean", -12.0)],
)  # fmt: skip
def test_priors_outside_the_checked_range_are_refused(field, value):
    values = {"mu_mean": -1.0, "mu_sd": 2.0, "tau_sd": 1.0} | {field: value}
    with pytest.raises(InputError, match=f"{field}: must be between"):
        HierarchicalPrior(**values)


# ------------------------------------------------- theta rule chosen per row and tau
def test_theta_panels_never_exceed_twice_the_integrands_width():
    from adaptive_pilot.cohorts.quadrature import _THETA_PANELS, _theta_panels

    n = np.arange(0, 3001)
    for tau in (0.05, 0.07, 0.2, 0.5, 3.0, 50.0):
        panels = _theta_panels(n, tau)
        width = 1.0 / np.sqrt(1.0 / tau**2 + n / 4.0)
        finest = panels == _THETA_PANELS[0]
        assert np.all(finest | (panels <= 2 * width))
        assert np.all(np.diff(panels) <= 0)  # rows in order of n: one stretch per rule
    assert set(_theta_panels(np.arange(21), 3.0)) == {0.5}


def test_rows_are_the_same_numbers_whichever_other_rows_are_built():
    # an interim call builds only its own n; the simulator builds them all
    # (to round-off: the matrix products' summation order depends on their shapes)
    model = HierarchicalModel(HierarchicalPrior(LOGIT_02, 2.0, 1.0), [LOGIT_02])
    p0 = [0.2, 0.2]
    full = model.compact_tables(60, p0)
    part = model.compact_tables(60, p0, only_n=[7, 60])
    assert part.log_lik.shape[0] == 8 + 61  # only the rows of n = 7 and n = 60 are stored
    for n in (7, 60):
        rows = np.arange(n * (n + 1) // 2, (n + 1) * (n + 2) // 2)
        kept = part.row_map[rows]
        np.testing.assert_allclose(part.log_lik[kept], full.log_lik[rows], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(part.tail[:, kept], full.tail[:, rows], rtol=0, atol=1e-13)
    data = np.array([[7, 3], [60, 22]])
    np.testing.assert_allclose(
        part.prob_greater(np.tile([7, 60], (2, 1)), np.tile([3, 22], (2, 1)), np.arange(2)),
        full.prob_greater(np.tile([7, 60], (2, 1)), np.tile([3, 22], (2, 1)), np.arange(2)),
        rtol=0,
        atol=1e-12,
    )
    with pytest.raises(ValueError, match="other sample sizes"):
        part.prob_greater(data, data // 2, np.zeros(2, dtype=int))


def test_fast_posterior_is_exact_to_1e5_for_large_cohorts():
    # rows of many patients are integrated on finer theta panels (a narrower likelihood);
    # with tau_sd 0.3 these rows are integrated on panels of 0.1 and of 0.25
    from hierarchical_reference import one_cohort

    mu_mean, mu_sd, tau_sd = math.log(0.25), 2.0, 0.3
    model = HierarchicalModel(HierarchicalPrior(mu_mean, mu_sd, tau_sd), [LOGIT_02])
    cases = ((150, 150), (400, 85))  # a finer panel each (0.1 and 0.25)
    tables = model.compact_tables(400, [0.2], only_n=[n for n, _ in cases])
    for n, x in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", integrate.IntegrationWarning)
            reference = one_cohort(n, x, 0.2, mu_mean, mu_sd, tau_sd)
        fast = float(tables.prob_greater(np.array([[n]]), np.array([[x]]), np.array([0]))[0])
        assert abs(fast - reference) < 1e-5, (n, x, fast, reference)


def test_fast_posterior_is_the_same_in_every_process(tmp_path):
    """The float32 pass gives the same bits in a first and a later process.

    The first process compiles the pass and writes numba's cache, the second loads it.
    With the block sum compiled separately and linked in, the cached code summed in
    another order than the fresh compile (the eighth digit); it is inlined now.
    """
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from adaptive_pilot.cohorts.weighted_tail import weighted_tail\n"
        "rng = np.random.default_rng(1)\n"
        "lp = (-rng.random(3000) * 5).astype(np.float32); lp -= lp.max()\n"
        "ll = (-rng.random((6, 3000)) * 30).astype(np.float32)\n"
        "ll -= ll.max(axis=1, keepdims=True)\n"
        "tail = rng.random((2, 3000)).astype(np.float32)\n"
        "out = weighted_tail(lp, ll, tail, np.array([[0, 1, 2], [3, 4, 5]]), np.array([0, 1]))\n"
        "print(out.tobytes().hex())\n"
    )
    env = {**__import__("os").environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
        ).stdout
        for _ in range(2)
    ]
    assert runs[0] and runs[0] == runs[1]
