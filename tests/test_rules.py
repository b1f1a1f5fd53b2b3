"""Rules: published values, compiled tables equal direct evaluation, monotonicity."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import adaptive_pilot as ap
from adaptive_pilot import InputError
from adaptive_pilot.designs.bayesian import BayesianDesign
from adaptive_pilot.designs.looks import look_schedule
from adaptive_pilot.priors import BetaMixturePrior, BetaPrior
from adaptive_pilot.rules import (
    BOP2Rule,
    PosteriorRule,
    PosteriorVsStandardRule,
    PredictiveRule,
    ToxicityRule,
    predictive_probability,
)


def test_predictive_probability_by_explicit_sum():
    prior = BetaPrior(0.6, 0.4)
    m = 17
    i = np.arange(m + 1)
    success = prior.prob_greater(0.6, 16 + i, 40) > 0.9
    explicit = np.sum(prior.predictive_pmf(i, m, 16, 23) * success)
    assert predictive_probability(16, 23, 40, 0.6, prior, 0.9) == pytest.approx(explicit, rel=1e-12)
    grid = predictive_probability(np.array([10, 16]), np.array([23, 23]), 40, 0.6, prior, 0.9)
    assert grid[1] == pytest.approx(explicit)


def _rules():
    prior = BetaPrior(0.2, 0.8)
    mixture = BetaMixturePrior((BetaPrior(1, 4), BetaPrior(1, 1)), (0.7, 0.3))
    return [
        PosteriorRule(0.2, prior, theta_final=0.9, theta_futility=0.05, theta_efficacy=0.995),
        PredictiveRule(0.2, prior, 30, theta_t=0.9, theta_l=0.05, theta_u=0.99),
        PredictiveRule(0.2, mixture, 30, theta_t=0.85, theta_l=0.1),
        BOP2Rule(0.2, prior, 30, lam=0.8, gamma=1.0),
        BOP2Rule(0.2, prior, 30, lam=0.8, gamma=0.5, efficacy="obrien-fleming"),
        BOP2Rule(0.2, mixture, 30, lam=0.8, gamma=0.5, efficacy="power", eta=0.8),
        PosteriorVsStandardRule(
            0.2, prior, BetaPrior(20, 80), theta_final=0.9, theta_futility=0.05, margin=0.05
        ),
    ]


@pytest.mark.parametrize("rule", _rules(), ids=lambda r: type(r).__name__)
def test_compiled_table_equals_direct_evaluation(rule):
    # Every outcome of every look; the standard-rate rule integrates numerically for each
    # direct decision (~40 ms), so it is checked on every outcome of four looks.
    slow = isinstance(rule, PosteriorVsStandardRule)
    design = BayesianDesign(rule, (8, 15, 22, 30) if slow else look_schedule(30, first=8))
    table = design.boundary_table
    for k, n in enumerate(table.looks):
        for x in range(n + 1):
            decision = design.decide(n, x)
            if k == table.n_looks - 1:
                expected = "go" if x >= table.efficacy[k] else "no_go"
            elif x <= table.futility[k]:
                expected = "stop_futility"
            elif x >= table.efficacy[k]:
                expected = "stop_efficacy"
            else:
                expected = "continue"
            assert decision.action == expected, (n, x)


def test_switches_turn_stops_off_per_look():
    rule = PosteriorRule(
        0.2, BetaPrior(1, 1), theta_final=0.9, theta_futility=0.1, theta_efficacy=0.99
    )
    looks = (10, 20, 30)
    plain = BayesianDesign(rule, looks).boundary_table
    switched = BayesianDesign(
        rule, looks, futility_on=(False, True, True), efficacy_on=(True, False, True)
    ).boundary_table
    assert switched.futility_at(0) is None and plain.futility_at(0) is not None
    assert switched.efficacy_at(1) is None and plain.efficacy_at(1) is not None
    assert switched.futility_at(1) == plain.futility_at(1)
    assert switched.efficacy[-1] == plain.efficacy[-1]  # the final look always decides


def test_decide_works_between_looks():
    rule = BOP2Rule(0.2, BetaPrior(0.2, 0.8), 40, lam=0.7, gamma=1.0)
    design = BayesianDesign(rule, (10, 20, 30, 40))
    decision = design.decide(13, 0)  # an unplanned look
    assert decision.action == "stop_futility" and not decision.final
    assert 0 <= decision.statistic <= 1


def test_look_schedules():
    assert look_schedule(40, every=10) == (10, 20, 30, 40)
    assert look_schedule(25, every=10) == (10, 20, 25)
    assert look_schedule(12, first=10) == (10, 11, 12)
    assert look_schedule(30) == (30,)
    assert look_schedule(30, looks=[10, 30]) == (10, 30)


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"looks": [10, 50]}, "looks", "beyond the maximum sample size"),
        ({"looks": [10, 20]}, "looks", "last look must be at N"),
        ({"looks": [20, 10, 30]}, "looks", "strictly increasing"),
        ({"every": 0}, "looks.every", ">= 1"),
        ({"first": 31}, "looks.first", "beyond"),
    ],
)
def test_bad_schedules(kwargs, field, fragment):
    with pytest.raises(InputError) as raised:
        look_schedule(30, **kwargs)
    assert raised.value.field == field and fragment in raised.value.message


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: PosteriorRule(0.2, BetaPrior(1, 1), theta_final=1.2), "theta_final"),
        (
            lambda: PosteriorRule(0.2, BetaPrior(1, 1), theta_final=0.9, theta_futility=0),
            "theta_futility",
        ),
        (lambda: PredictiveRule(0.2, BetaPrior(1, 1), 30, theta_t=0.9, theta_l=-0.1), "theta_l"),
        (lambda: BOP2Rule(0.2, BetaPrior(1, 1), 30, lam=1.0, gamma=1.0), "lambda"),
        (lambda: BOP2Rule(0.2, BetaPrior(1, 1), 30, lam=0.8, gamma=0), "gamma"),
        (lambda: BOP2Rule(0.2, BetaPrior(1, 1), 30, lam=0.8, gamma=1, efficacy="power"), "eta"),
        (lambda: ToxicityRule(0.3, 1.0, BetaPrior(1, 1), (5, 10)), "toxicity.probability"),
        (lambda: ToxicityRule(0.3, 0.9, BetaPrior(1, 1), (10, 5)), "toxicity.looks"),
    ],
)
def test_invalid_rules(make, field):
    with pytest.raises(InputError) as raised:
        make()
    assert raised.value.field == field


def test_a_rule_that_can_never_stop_is_refused():
    rule = PredictiveRule(0.2, BetaPrior(1, 1), 30, theta_t=0.9, theta_l=1e-9)
    with pytest.raises(InputError, match="can never stop early"):
        _ = BayesianDesign(rule, (10, 20, 30)).boundary_table


def test_a_final_analysis_that_can_never_go_is_refused():
    rule = PosteriorRule(0.2, BetaPrior(1, 1), theta_final=0.999999999)
    with pytest.raises(InputError, match="never declare GO"):
        _ = BayesianDesign(rule, (5,)).boundary_table


def test_toxicity_bounds():
    rule = ToxicityRule(0.3, 0.9, BetaPrior(1, 1), (5, 10))
    bounds = rule.bounds()
    for n, s in bounds.items():
        stops = rule.stops(n, np.arange(n + 1))
        assert stops[s:].all() and not stops[:s].any()
    assert "patients with toxicity" in rule.describe()


@given(
    lam=st.floats(0.5, 0.99),
    gamma=st.floats(0.1, 3.0),
    p0=st.floats(0.05, 0.5),
)
def test_bop2_futility_bounds_do_not_decrease(lam, gamma, p0):
    rule = BOP2Rule(p0, BetaPrior(p0, 1 - p0), 40, lam=lam, gamma=gamma)
    try:
        table = BayesianDesign(rule, (10, 20, 30, 40), efficacy_on=(False,) * 4).boundary_table
    except InputError:
        return  # thresholds that never stop or never GO are refused, as they should be
    fut = [f for f in table.futility]
    assert all(b >= a for a, b in itertools.pairwise(fut))


def test_a_tie_is_decided_by_the_rules_inequality_not_by_the_last_bit():
    """P(p > p0 | 1 of 1) = 1 - p0^2 is 0.9 for p0 = sqrt(0.1), up to rounding: a tie.

    A strict "> 0.9" efficacy cut-off does not stop there, however the probability rounds;
    an inclusive one (">=") does.
    """
    import math

    from adaptive_pilot.rules.compile import TIE_TOLERANCE, _above, _below

    p0 = math.sqrt(0.1) - 5 * float(np.spacing(math.sqrt(0.1)))  # a few ulps below sqrt(0.1)
    rule = ap.PosteriorRule(p0, ap.BetaPrior(1, 1), 0.95, None, 0.9)
    q = float(rule.statistic(1, 1))
    assert q == 0.9000000000000001  # computed just above the cut-off: a tie up to rounding
    design = ap.BayesianDesign(rule, (1, 2, 10))  # at n = 2, x = 2 it stops: q = 0.97
    assert design.boundary_table.efficacy_at(0) is None  # no efficacy stop at n = 1
    assert design.decide(1, 1).action == "continue"
    for value in (0.9 - 1e-15, 0.9, 0.9 + 1e-15):  # every rounding of the tie
        assert not _above(np.array([value]), np.array(0.9), np.array(False))[0]
        assert _above(np.array([value]), np.array(0.9), np.array(True))[0]
        assert not _below(np.array([value]), np.array(0.9))[0]
    assert _above(np.array([0.9 + 10 * TIE_TOLERANCE]), np.array(0.9), np.array(False))[0]
    assert _below(np.array([0.9 - 10 * TIE_TOLERANCE]), np.array(0.9))[0]


def test_probabilities_printed_by_the_interim_call_are_within_zero_and_one():
    import datetime as dt

    from adaptive_pilot.dsmb.run import run_interim

    root = Path(__file__).resolve().parents[1] / "designs"
    result = run_interim(
        root / "motivating_trial.yaml",
        data=root / "motivating_trial_synthetic_patients.csv",
        as_of=dt.date(2026, 6, 30),
    )
    frame = result.to_frame()
    for column in ("prob_gt_p0", "predictive_probability", "p_final_go_p0", "p_final_go_p1"):
        values = frame[column].dropna()
        assert ((values >= 0) & (values <= 1)).all(), column
