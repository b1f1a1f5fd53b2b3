"""Exact OC against Monte Carlo simulation, within 4 Monte Carlo standard errors."""

from __future__ import annotations

import numpy as np
import pytest

from adaptive_pilot.designs.bayesian import BayesianDesign
from adaptive_pilot.designs.looks import look_schedule
from adaptive_pilot.oc.joint import category_probabilities, joint_oc
from adaptive_pilot.priors import BetaPrior
from adaptive_pilot.rules import BOP2Rule, PredictiveRule, ToxicityRule

N_SIM = 200_000


def simulate_table(table, p, rng):
    """Simulate trials patient by patient (vectorised over trials) and apply the rule directly."""
    outcomes = rng.random((N_SIM, table.n_max)) < p
    counts = np.cumsum(outcomes, axis=1)
    running = np.ones(N_SIM, bool)
    go = np.zeros(N_SIM, bool)
    size = np.zeros(N_SIM)
    for k, n in enumerate(table.looks):
        x = counts[:, n - 1]
        stop_f = running & (x <= table.futility[k])
        stop_e = running & (x >= table.efficacy[k])
        go |= stop_e
        size[stop_f | stop_e] = n
        running &= ~(stop_f | stop_e)
    return go, size


@pytest.mark.parametrize(
    "design",
    [
        BayesianDesign(
            PredictiveRule(0.2, BetaPrior(0.2, 0.8), 30, theta_t=0.9, theta_l=0.05, theta_u=0.99),
            look_schedule(30, first=10),
        ),
        BayesianDesign(
            BOP2Rule(0.2, BetaPrior(0.2, 0.8), 40, lam=0.8, gamma=1.0, efficacy="obrien-fleming"),
            (10, 20, 30, 40),
        ),
    ],
    ids=["predictive", "bop2-fe"],
)
@pytest.mark.parametrize("p", [0.2, 0.4])
def test_exact_oc_within_4_mcse(design, p):
    rng = np.random.default_rng(20261120)
    table = design.boundary_table
    go, size = simulate_table(table, p, rng)
    oc = design.oc([p])
    mcse_go = np.sqrt(go.mean() * (1 - go.mean()) / N_SIM)
    mcse_n = size.std(ddof=1) / np.sqrt(N_SIM)
    assert abs(go.mean() - oc.p_go[0]) < 4 * mcse_go
    assert abs(size.mean() - oc.en[0]) < 4 * mcse_n


def test_joint_oc_within_4_mcse():
    rng = np.random.default_rng(7)
    design = BayesianDesign(
        BOP2Rule(0.2, BetaPrior(0.2, 0.8), 30, lam=0.8, gamma=1.0), (10, 20, 30)
    )
    table = design.boundary_table
    tox = ToxicityRule(0.3, 0.8, BetaPrior(0.3, 0.7), (5, 10, 15, 20, 25, 30))
    cells = category_probabilities(0.35, 0.3, 2.5)
    joint = joint_oc(table, tox, 0.35, 0.3, 2.5)
    category = rng.choice(4, size=(N_SIM, 30), p=cells)
    responses = np.cumsum((category == 0) | (category == 1), axis=1)
    toxicities = np.cumsum((category == 0) | (category == 2), axis=1)
    bounds = tox.bounds()
    running = np.ones(N_SIM, bool)
    go = np.zeros(N_SIM, bool)
    tox_stop = np.zeros(N_SIM, bool)
    size = np.zeros(N_SIM)
    for n in sorted(set(table.looks) | set(tox.looks)):
        x, y = responses[:, n - 1], toxicities[:, n - 1]
        stop_t = running & (y >= bounds.get(n, n + 1))
        tox_stop |= stop_t
        size[stop_t] = n
        running &= ~stop_t
        if n in table.looks:
            k = table.looks.index(n)
            stop_f = running & (x <= table.futility[k])
            stop_e = running & (x >= table.efficacy[k])
            go |= stop_e
            size[stop_f | stop_e] = n
            running &= ~(stop_f | stop_e)
    for simulated, exact in (
        (go.mean(), joint.p_go[0]),
        (tox_stop.mean(), joint.p_stop_toxicity[0]),
    ):
        assert abs(simulated - exact) < 4 * np.sqrt(exact * (1 - exact) / N_SIM)
    assert abs(size.mean() - joint.en[0]) < 4 * size.std(ddof=1) / np.sqrt(N_SIM)


def test_category_probabilities_have_the_requested_odds_ratio():
    cells = category_probabilities([0.3, 0.2], [0.2, 0.4], [1.0, 3.0])
    np.testing.assert_allclose(cells.sum(axis=1), 1.0)
    p11, p10, p01, p00 = cells.T
    np.testing.assert_allclose(p11 + p10, [0.3, 0.2])
    np.testing.assert_allclose(p11 + p01, [0.2, 0.4])
    np.testing.assert_allclose(p11 * p00 / (p10 * p01), [1.0, 3.0])


def test_joint_oc_without_toxicity_stops_equals_plain_oc():
    design = BayesianDesign(
        BOP2Rule(0.2, BetaPrior(0.2, 0.8), 30, lam=0.8, gamma=1.0), (10, 20, 30)
    )
    never = ToxicityRule(0.99, 0.99, BetaPrior(1, 1), (10,))
    p = np.array([0.1, 0.3, 0.5])
    joint = joint_oc(design.boundary_table, never, p, 0.2)
    plain = design.oc(p)
    np.testing.assert_allclose(joint.p_go, plain.p_go, atol=1e-14)
    np.testing.assert_allclose(joint.en, plain.en, atol=1e-12)
    assert np.all(joint.p_stop_toxicity == 0)
    total = joint.stop_toxicity.sum(1) + joint.stop_futility.sum(1) + joint.stop_efficacy.sum(1)
    np.testing.assert_allclose(total, 1.0, atol=1e-13)
