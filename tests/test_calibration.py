"""Calibration searches on exact OC."""

from __future__ import annotations

import numpy as np
import pytest

from adaptive_pilot import InputError
from adaptive_pilot.designs.calibration import calibrate_bop2, calibrate_predictive, grid
from adaptive_pilot.priors import BetaPrior


@pytest.fixture(scope="module")
def lee_liu():
    return calibrate_predictive(
        0.2, 0.4, 0.1, 0.1, BetaPrior(0.2, 0.8),
        n_range=(25, 45), theta_t=grid(0.80, 0.95, 0.05), theta_l=grid(0.01, 0.15, 0.02),
        first_look=10,
    )  # fmt: skip


def test_predictive_calibration_choice_is_the_best_feasible(lee_liu):
    table = lee_liu.table
    assert len(table) == 21 * 4 * 8
    feasible = table[(table["alpha"] <= 0.1) & (table["power"] >= 0.9)]
    assert table["feasible"].sum() == len(feasible)
    best = feasible.sort_values(["en0", "n_max", "power"], ascending=[True, True, False]).iloc[0]
    design = lee_liu.design
    assert design.n_max == best["n_max"]
    assert design.rule.theta_t == best["theta_t"] and design.rule.theta_l == best["theta_l"]
    oc = design.oc([0.2, 0.4])
    assert oc.p_go[0] == pytest.approx(best["alpha"], rel=1e-10) and oc.p_go[0] <= 0.1
    assert oc.p_go[1] == pytest.approx(best["power"], rel=1e-10) and oc.p_go[1] >= 0.9
    assert oc.en[0] == pytest.approx(best["en0"], rel=1e-10)
    assert lee_liu.grids["theta_l"] == list(grid(0.01, 0.15, 0.02))


def test_every_row_matches_an_independent_compilation(lee_liu):
    # Recompile a sample of rows through PredictiveRule + BayesianDesign and compare OC.
    from adaptive_pilot.designs.bayesian import BayesianDesign
    from adaptive_pilot.designs.looks import look_schedule
    from adaptive_pilot.rules import PredictiveRule

    sample = lee_liu.table.sample(12, random_state=1)
    for row in sample.itertuples():
        rule = PredictiveRule(0.2, BetaPrior(0.2, 0.8), int(row.n_max), row.theta_t, row.theta_l)
        design = BayesianDesign(rule, look_schedule(int(row.n_max), first=10))
        try:
            oc = design.oc([0.2, 0.4])
        except InputError:
            continue  # a threshold pair that never stops early is refused as a design
        assert oc.p_go[0] == pytest.approx(row.alpha, abs=1e-12)
        assert oc.p_go[1] == pytest.approx(row.power, abs=1e-12)
        assert oc.en[0] == pytest.approx(row.en0, abs=1e-10)


def test_bop2_calibration_maximises_power_under_alpha():
    result = calibrate_bop2(
        0.2, 0.4, 0.1, BetaPrior(0.2, 0.8), looks=(10, 20, 30, 40),
        lam=grid(0.6, 0.95, 0.05), gamma=grid(0.5, 2.0, 0.5),
    )  # fmt: skip
    table = result.table
    feasible = table[table["alpha"] <= 0.1]
    assert result.design is not None
    best_power = feasible["power"].max()
    oc = result.design.oc([0.2, 0.4])
    assert oc.p_go[1] == pytest.approx(best_power, rel=1e-12)
    assert oc.p_go[0] <= 0.1
    assert result.grids["lambda"] == list(grid(0.6, 0.95, 0.05))
    assert "Chosen design" in result.summary().as_text()
    payload = result.to_dict()
    assert payload["method"] == "bop2" and payload["boundaries"]


def test_bop2_with_efficacy_grid():
    result = calibrate_bop2(
        0.2, 0.4, 0.1, BetaPrior(0.2, 0.8), looks=(10, 20, 30, 40),
        lam=(0.8, 0.9), gamma=(1.0,), efficacy="power", eta=(0.5, 1.0, 2.0),
    )  # fmt: skip
    assert set(result.table.columns) >= {"lambda", "gamma", "eta"}
    assert len(result.table) == 6


def test_infeasible_targets_give_no_design():
    result = calibrate_bop2(
        0.2, 0.4, 0.001, BetaPrior(0.2, 0.8), looks=(5, 10), lam=(0.6,), gamma=(1.0,)
    )
    assert result.design is None
    assert "No design" in result.summary().as_text()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"theta_t": (), "theta_l": (0.1,)}, "theta_t"),
        ({"theta_t": (0.9,), "theta_l": (1.5,)}, "theta_l"),
        ({"theta_t": (0.9,), "theta_l": (0.1,), "n_range": (30, 20)}, "n_range"),
    ],
)
def test_bad_grids(kwargs, field):
    args = {"n_range": (20, 30), "first_look": 10} | kwargs
    with pytest.raises(InputError) as raised:
        calibrate_predictive(0.2, 0.4, 0.1, 0.1, BetaPrior(1, 1), **args)
    assert raised.value.field == field


def test_grid_helper():
    assert grid(0.001, 0.005, 0.001) == (0.001, 0.002, 0.003, 0.004, 0.005)
    assert np.allclose(grid(0.8, 0.99, 0.01)[-1], 0.99)


# ------------------------------------------------ the papers' second criteria
def _independent_oc(rule, looks):
    """alpha, power, EN(p0) of one rule, compiled and evaluated on its own."""
    from adaptive_pilot import BayesianDesign, exact_oc

    try:
        design = BayesianDesign(rule, looks)
    except InputError:
        return None
    oc = exact_oc(design.boundary_table, [rule.p0, 0.4])
    return float(oc.p_go[0]), float(oc.p_go[1]), float(oc.en[0])


def test_bop2_en0_criterion_minimises_en0_subject_to_both_errors():
    from adaptive_pilot.rules import BOP2Rule

    prior, looks = BetaPrior(0.2, 0.8), (10, 20, 30, 40)
    lams, gammas = grid(0.5, 0.95, 0.05), grid(0.5, 2.0, 0.25)
    result = calibrate_bop2(
        0.2, 0.4, 0.1, prior, looks=looks, lam=lams, gamma=gammas, criterion="en0", beta=0.2
    )
    candidates = []
    for lam in lams:
        for gamma in gammas:
            oc = _independent_oc(BOP2Rule(0.2, prior, 40, lam, gamma), looks)
            if oc is not None and oc[0] <= 0.1 and oc[1] >= 0.8:
                candidates.append((oc[2], -oc[1], lam, gamma, oc))
    en0, _, lam, gamma, oc = min(candidates)
    chosen = result.design.rule
    assert (chosen.lam, chosen.gamma) == pytest.approx((lam, gamma))
    best = result.feasible.iloc[0]
    assert (best["alpha"], best["power"], best["en0"]) == pytest.approx(oc, abs=1e-12)
    # and it differs from the power criterion, which takes a larger E[N] for more power
    by_power = calibrate_bop2(0.2, 0.4, 0.1, prior, looks=looks, lam=lams, gamma=gammas)
    assert by_power.feasible.iloc[0]["en0"] >= en0 and by_power.feasible.iloc[0]["power"] >= oc[1]
    # each summary says in words what it chose, with the targets it was given
    words = " ".join(result.summary().header)
    assert "chooses the smallest expected sample size E[N | p0]" in words
    assert "at most 0.1" in words and "at least 0.8" in words
    words = " ".join(by_power.summary().header)
    assert "chooses the most powerful design" in words and "at most 0.1" in words
    assert "power P(GO | p1) of at least" not in words  # the power criterion: no power target


def test_lee_liu_n_then_en0_takes_the_smallest_n_first():
    from adaptive_pilot.rules import PredictiveRule

    prior = BetaPrior(0.2, 0.8)
    thetas_t, thetas_l = grid(0.80, 0.95, 0.05), grid(0.01, 0.15, 0.02)
    result = calibrate_predictive(
        0.2, 0.4, 0.1, 0.1, prior, n_range=(25, 45), theta_t=thetas_t, theta_l=thetas_l,
        first_look=10, criterion="n_then_en0",
    )  # fmt: skip
    for n_max in range(25, 46):
        looks = tuple(range(10, n_max + 1))
        feasible = []
        for t in thetas_t:
            for lv in thetas_l:
                oc = _independent_oc(PredictiveRule(0.2, prior, n_max, t, lv), looks)
                if oc is not None and oc[0] <= 0.1 and oc[1] >= 0.9:
                    feasible.append((oc[2], -oc[1], t, lv, oc))
        if feasible:
            break
    *_, t, lv, oc = min(feasible)
    design = result.design
    assert design.n_max == n_max
    assert (design.rule.theta_t, design.rule.theta_l) == pytest.approx((t, lv))
    best = result.feasible.iloc[0]
    assert (best["alpha"], best["power"], best["en0"]) == pytest.approx(oc, abs=1e-12)
    assert result.grids["criterion"] == "n_then_en0"
    words = " ".join(result.summary().header)
    assert "chooses the smallest maximum sample size N, then the smallest E[N | p0]" in words
