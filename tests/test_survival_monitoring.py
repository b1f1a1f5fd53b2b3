"""PFS monitored against a performance goal (issue 27, point 3).

Checked against independent computations: scipy's Gamma distribution and quadrature
for the posterior of S(landmark), direct posterior draws, a loop-by-loop Goldilocks
imputation and a plain simulation of the final analysis. goldilocks 0.4.0 (R) on the
same design: ``validation/references/goldilocks.yaml`` (run by test_validation.py and
``adaptive-pilot validate``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from adaptive_pilot._gamma_sum import gamma_sum_cdf, gamma_sum_cdf_above
from adaptive_pilot.cohorts.trial import Accrual
from adaptive_pilot.designs.survival_monitoring import SurvivalMonitoringDesign
from adaptive_pilot.errors import InputError
from adaptive_pilot.priors import GammaPrior
from adaptive_pilot.rules.survival import PiecewiseExponential, SurvivalGoalRule
from adaptive_pilot.simulation.survival import EventTimeModel
from adaptive_pilot.simulation.survival_monitoring import (
    SurvivalMonitoringCohort,
    SurvivalMonitoringScenario,
    simulate_survival_monitoring,
)
from adaptive_pilot.spec import load_design
from test_cli import run

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO / "designs" / "motivating_trial_pfs.yaml"
PATIENTS = REPO / "designs" / "motivating_trial_synthetic_patients.csv"


def _median(s: float, landmark: float = 6.0) -> float:
    """The exponential median that gives S(landmark) = s."""
    return landmark * math.log(2) / -math.log(s)


# ------------------------------------------------------------------ the Gamma sum
def test_gamma_sum_is_scipys_gamma_with_one_term_and_quadrature_with_two():
    assert gamma_sum_cdf(0.8, [3.2], [0.1]) == pytest.approx(
        stats.gamma.cdf(0.8, 3.2, scale=0.1), abs=1e-14
    )
    for shape, scale, x in (
        ((2.5, 4.0), (0.1, 0.07), 0.7),
        ((0.1, 4.0), (5.0, 0.01), 0.7),  # a vague piece with almost no exposure
        ((0.1, 400.0), (5.0, 0.001), 0.7),  # scales 5,000 apart
        ((12.1, 3.1), (0.01, 0.2), 0.35),
    ):
        (a1, a2), (s1, s2) = shape, scale
        reference = integrate.quad(
            lambda t, a1=a1, s1=s1, a2=a2, s2=s2, x=x: stats.gamma.pdf(t, a2, scale=s2)
            * stats.gamma.cdf(x - t, a1, scale=s1),
            0, x, epsabs=1e-14, limit=400,
        )[0]  # fmt: skip
        assert gamma_sum_cdf(x, shape, scale) == pytest.approx(reference, abs=1e-11)


def test_gamma_sum_of_three_terms_against_nested_quadrature():
    x = 0.9

    def inner(u):  # P(X2 + X3 <= u)
        return integrate.quad(
            lambda t: stats.gamma.pdf(t, 3.0, scale=0.15) * stats.gamma.cdf(u - t, 1.5, scale=0.07),
            0, u, epsabs=1e-13,
        )[0]  # fmt: skip

    reference = integrate.quad(lambda t: stats.gamma.pdf(t, 2.0, scale=0.1) * inner(x - t), 0, x,
                               epsabs=1e-12)[0]  # fmt: skip
    ordered = gamma_sum_cdf(x, (2.0, 3.0, 1.5), (0.1, 0.15, 0.07))
    assert ordered == pytest.approx(reference, abs=1e-9)
    # the terms' order does not matter; equal scales are one Gamma
    assert gamma_sum_cdf(x, (1.5, 3.0, 2.0), (0.07, 0.15, 0.1)) == pytest.approx(ordered, abs=1e-13)
    assert gamma_sum_cdf(x, (2.0, 3.0), (0.1, 0.1)) == pytest.approx(
        stats.gamma.cdf(x, 5.0, scale=0.1), abs=1e-13
    )
    # four terms, three of one scale: Gamma(12, 2) + Gamma(1, 1/16); the series' weights
    # are then a convolution of three pieces (the FFT must not wrap them round)
    for x in (3.0, 6.0):

        def density(t, x=x):
            return stats.gamma.pdf(t, 1, scale=0.0625) * stats.gamma.cdf(x - t, 12, scale=2)

        reference = integrate.quad(density, 0, x, epsabs=1e-16)[0]
        value = gamma_sum_cdf(x, (1.0, 1.0, 1.0, 10.0), (2.0, 2.0, 0.0625, 2.0))
        assert value == pytest.approx(reference, rel=1e-7, abs=1e-14)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.floats(0.1, 60), min_size=1, max_size=5),
    st.lists(
        st.sampled_from([0.005, 0.03, 0.25, 0.6, 2.0]) | st.floats(0.005, 2.0),
        min_size=5,
        max_size=5,
    ),
    st.floats(0.01, 5.0),
    st.floats(0.02, 0.98),
)
def test_the_cheap_comparison_is_the_exact_one_and_the_cdf_is_monotone(shape, scale, x, level):
    shape = np.array(shape)
    scale = np.array(scale[: shape.size])
    cdf = gamma_sum_cdf(
        np.array([x, x * 1.1, x * 2]), np.tile(shape, (3, 1)), np.tile(scale, (3, 1))
    )
    assert np.all(np.diff(cdf) >= -1e-12) and np.all((cdf >= 0) & (cdf <= 1))
    if abs(cdf[0] - level) > 1e-9:
        assert bool(gamma_sum_cdf_above(x, shape, scale, level)) == bool(cdf[0] > level)


# ------------------------------------------------------------------ the rule
def _rule(breaks=(2.0, 4.0), **kwargs):
    return SurvivalGoalRule(PiecewiseExponential(6.0, breaks), goal=0.3, **kwargs)


def test_events_and_exposure_by_hand():
    model = PiecewiseExponential(6.0, (2.0, 4.0))
    time = np.array([1.0, 2.5, 6.0, 7.0, 3.0, 4.0])
    event = np.array([1, 0, 1, 1, 1, 0], bool)
    d, e = model.events_and_exposure(time, event)
    # exposure: [1, 2, 2, 2, 2, 2] in piece 1; [0, .5, 2, 2, 1, 2]; [0, 0, 2, 2, 0, 0]
    assert e.tolist() == [11.0, 7.5, 4.0]
    # events: 1.0 in piece 1, 3.0 in piece 2, 6.0 at the landmark in piece 3; 7.0 is censored
    assert d.tolist() == [1.0, 1.0, 1.0]


def test_posterior_probability_against_scipy_and_posterior_draws():
    exponential = _rule(breaks=())
    d, e = np.array([7.0]), np.array([61.3])
    closed = stats.gamma.cdf(-math.log(0.3) / 6, 0.1 + 7, scale=1 / (0.1 + 61.3))
    assert float(exponential.prob_better(d, e)) == pytest.approx(closed, abs=1e-13)
    rule = _rule()
    d, e = np.array([4.0, 3.0, 2.0]), np.array([40.0, 28.5, 19.0])
    rng = np.random.default_rng(11)
    draws = rng.gamma(0.1 + d, 1 / (0.1 + e), size=(400_000, 3))
    survival = np.exp(-(draws * 2.0).sum(axis=1))
    p = float(rule.prob_better(d, e))
    mcse = math.sqrt(p * (1 - p) / draws.shape[0])
    assert abs(p - (survival > 0.3).mean()) < 4 * mcse
    assert float(rule.mean_survival(d, e)) == pytest.approx(
        survival.mean(), abs=4 * survival.std() / 632
    )
    median = float(rule.survival_quantile(d, e, 0.5)[0])
    assert float(rule.prob_better(d, e)) > 0.5 if median > 0.3 else True
    assert 1 - gamma_sum_cdf(-math.log(median), 0.1 + d, 2.0 / (0.1 + e)) == pytest.approx(
        0.5, abs=1e-8
    )


def test_event_times_are_drawn_given_survival_so_far():
    model = PiecewiseExponential(6.0, (2.0, 4.0))
    rates = np.array([[[0.1, 0.3, 0.05]]])
    rng = np.random.default_rng(3)
    start = np.full((1, 1, 200_000), 1.5)
    time, event = model.event_times(rates, start, rng.standard_exponential(start.shape))
    assert np.all(time >= 1.5) and np.all(time <= 6.0)
    # P(no event by 6 | alive at 1.5) = exp(-(0.1 * 0.5 + 0.3 * 2 + 0.05 * 2))
    expected = math.exp(-(0.05 + 0.6 + 0.1))
    assert abs((~event).mean() - expected) < 4 * math.sqrt(expected * (1 - expected) / start.size)
    later = math.exp(-(0.05 + 0.6 + 0.05))  # P(T > 5 | T > 1.5)
    assert abs((time > 5).mean() - later) < 4 * math.sqrt(later * (1 - later) / start.size)


def _loop_predictive(rule, time, event, open_, n_future, m, seed):
    """Goldilocks' imputation written patient by patient, decisions from scipy."""
    rng = np.random.default_rng(seed)
    edges = rule.model.edges
    widths = np.diff(edges)
    c = -math.log(rule.goal)

    def success(times, events):
        d = np.zeros(widths.size)
        e = np.zeros(widths.size)
        for t, ev in zip(times, events, strict=True):
            for j in range(widths.size):
                e[j] += min(max(t - edges[j], 0.0), widths[j])
                if (
                    ev
                    and edges[j] <= t
                    and (t < edges[j + 1] or (j == widths.size - 1 and t <= edges[-1]))
                ):
                    d[j] += 1
        if widths.size == 1:
            return stats.gamma.cdf(c, 0.1 + d[0], scale=widths[0] / (0.1 + e[0])) > rule.success
        draws = rng_check.gamma(0.1 + d, widths / (0.1 + e), size=(1, widths.size))
        raise AssertionError(draws)  # only the exponential model is used here

    def draw(rate, start):
        t = start + rng.exponential(1 / rate)
        return (min(t, 6.0), t <= 6.0)

    rng_check = np.random.default_rng(0)
    d, e = rule.model.events_and_exposure(time, event)
    now = full = 0
    for _ in range(m):
        rate = rng.gamma(0.1 + d[0], 1 / (0.1 + e[0]))
        times, events = [], []
        for t, ev, o in zip(time, event, open_, strict=True):
            if o:
                t, ev = draw(rate, t)
            times.append(t)
            events.append(ev)
        now += success(times, events)
        for _ in range(n_future):
            t, ev = draw(rate, 0.0)
            times.append(t)
            events.append(ev)
        full += success(times, events)
    return now / m, full / m


def test_predictive_probabilities_against_a_loop_implementation():
    rule = _rule(breaks=(), success=0.9)
    time = np.array([6.0, 6.0, 1.2, 4.4, 2.0, 0.5, 3.3, 6.0, 2.2, 1.0, 0.3, 5.0])
    event = np.array([0, 0, 1, 0, 1, 0, 0, 0, 1, 1, 0, 0], bool)
    open_ = ~event & (time < 6.0)
    m = 3000
    pp_now, pp_max = rule.predictive(
        time[None], event[None], open_[None], np.ones((1, time.size), bool), np.array([8]),
        np.random.default_rng(5), imputations=m,
    )  # fmt: skip
    loop_now, loop_max = _loop_predictive(rule, time, event, open_, 8, m, seed=6)
    for ours, loop in ((pp_now[0], loop_now), (pp_max[0], loop_max)):
        se = math.sqrt(2 * max(ours * (1 - ours), 1e-4) / m)
        assert abs(ours - loop) < 4 * se, (ours, loop)
    assert 0.05 < pp_now[0] < 0.95 and 0.05 < pp_max[0] < 0.95  # not a trivial check


# ------------------------------------------------------------------ the simulator
def _single(success=0.95, looks=(), futility=(), expected=(), n_max=40, breaks=()):
    rule = SurvivalGoalRule(
        PiecewiseExponential(6.0, breaks), goal=0.3, prior=GammaPrior(0.1, 0.1), success=success,
        futility=futility, expected_success=expected, imputations=100,
    )  # fmt: skip
    return SurvivalMonitoringDesign(rule, n_max, "enrolled", looks)


def test_without_looks_the_simulated_p_go_is_a_plain_computations():
    design = _single()
    cohorts = [SurvivalMonitoringCohort("A", 1.0, design)]
    scenarios = [SurvivalMonitoringScenario(f"s{s}", (EventTimeModel(_median(s)),))
                 for s in (0.3, 0.45)]  # fmt: skip
    result = simulate_survival_monitoring(cohorts, Accrual(3.0), scenarios, 4000, 2, progress=False)
    rng = np.random.default_rng(99)
    for s in (0.3, 0.45):
        rate = -math.log(s) / 6.0
        times = rng.exponential(1 / rate, size=(100_000, 40))
        d = (times <= 6.0).sum(axis=1)
        e = np.minimum(times, 6.0).sum(axis=1)
        plain = (stats.gamma.cdf(-math.log(0.3) / 6, 0.1 + d, scale=1 / (0.1 + e)) > 0.95).mean()
        ours, mcse = result.estimate(f"s{s}", "A", "p_go")
        assert abs(ours - plain) < 4 * math.hypot(mcse, math.sqrt(plain * (1 - plain) / 100_000))
        assert result.estimate(f"s{s}", "A", "en")[0] == 40.0


def test_the_simulation_is_the_same_for_any_number_of_processes_and_reproducible():
    design = _single(looks=(20,), futility=(0.1,), expected=(0.9,), n_max=30, breaks=(3.0,))
    cohorts = [
        SurvivalMonitoringCohort("A", 0.6, design),
        SurvivalMonitoringCohort("B", 0.4, design),
    ]
    scenarios = [SurvivalMonitoringScenario("x", (EventTimeModel(4.0), EventTimeModel(8.0)),
                                            dropout=0.02, scan_every=2.0)]  # fmt: skip
    kwargs = {"progress": False, "chunk_size": 100, "imputations": 50}
    one = simulate_survival_monitoring(cohorts, Accrual(4.0), scenarios, 300, 5, **kwargs)
    two = simulate_survival_monitoring(cohorts, Accrual(4.0), scenarios, 300, 5, n_jobs=2, **kwargs)
    assert one.frame.equals(two.frame)
    p_a = one.estimate("x", "A", "p_go")[0]
    p_b = one.estimate("x", "B", "p_go")[0]
    assert p_b > p_a  # B's median PFS is twice A's
    total = sum(one.estimate("x", "A", m)[0] for m in ("p_go", "p_early_futility", "p_nogo_final"))
    assert total == pytest.approx(1.0)


# ------------------------------------------------------------------ design files and commands
def test_the_shipped_design_describes_simulates_and_calls(capsys, tmp_path):
    code, out, _ = run(capsys, "design", str(DESIGN))
    assert code == 0 and "PP(max)" in out and "0.25" in out
    code, out, _ = run(capsys, "simulate", str(DESIGN), "--n-trials", "100", "--imputations", "20",
                        "--no-progress", "--format", "json")  # fmt: skip
    assert code == 0
    payload = json.loads(out)
    assert {r["scenario"] for r in payload["results"]} == {"goal", "target", "mixed"}
    out_dir = tmp_path / "call"
    code, out, err = run(capsys, "interim", str(DESIGN), "--data", str(PATIENTS), "--as-of",
                          "2026-03-01", "--out", str(out_dir), "--audit", str(tmp_path / "a.db"),
                          "--analyst", "Dr Test")  # fmt: skip
    assert code == 0, err
    decision = json.loads((out_dir / "decision.json").read_text())
    assert decision["provenance"]["method"] == "monte carlo"
    assert decision["provenance"]["seed"] is not None
    assert "<svg" in (out_dir / "closed_report.html").read_text()
    opened = (out_dir / "open_report.html").read_text()
    assert "P(better)" not in opened and "PP(now)" not in opened and "stop" not in opened.lower()
    code, out, _ = run(capsys, "audit", "verify", "--audit", str(tmp_path / "a.db"))
    assert code == 0


def test_the_interim_call_counts_follow_up_by_hand(capsys):
    import csv
    import datetime as dt

    as_of = dt.date(2026, 3, 1)
    code, out, _ = run(capsys, "interim", str(DESIGN), "--data", str(PATIENTS), "--as-of",
                        as_of.isoformat(), "--format", "json")  # fmt: skip
    assert code == 0
    cohorts = {c["cohort"]: c for c in json.loads(out)["cohorts"]}
    with PATIENTS.open() as handle:
        rows = list(csv.DictReader(handle))
    for name, call in cohorts.items():
        events = exposure = 0.0
        enrolled = 0
        for row in rows:
            start = dt.date.fromisoformat(row["enrolled"])
            if row["cohort"] != name or start > as_of:
                continue
            enrolled += 1
            available = (as_of - start).days / 30.4375
            months = float(row["pfs_months"])
            seen = row["pfs_event"] == "1" and months <= min(available, 6.0)
            exposure += min(months, available, 6.0)
            events += seen
        assert call["enrolled"] == enrolled
        assert call["events"] == events
        assert call["exposure_months"] == pytest.approx(exposure, abs=1e-9)
        # the posterior from those counts, by scipy (piecewise: checked above; here its mean)
        assert 0 <= call["prob_better"] <= 1


def test_the_interim_call_is_reproducible_with_its_seed(capsys):
    args = ["interim", str(DESIGN), "--data", str(PATIENTS), "--as-of", "2026-03-01", "--format",
            "json"]  # fmt: skip
    first = json.loads(run(capsys, *args, "--seed", "7")[1])["cohorts"]
    again = json.loads(run(capsys, *args, "--seed", "7")[1])["cohorts"]
    assert first == again


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("goal: 0.25", "goal: 1.2"), "time_to_event.goal"),
        (("target: 0.45", "target: 0.2"), "must exceed the goal"),
        (("statistic: predictive", "statistic: bayes"), "time_to_event.futility.statistic"),
        (("at: [20, 30]", "at: [30, 20]"), "increasing"),
        (("at: [20, 30]", "at: [20, 40]"), "before n_max"),
        (("n_max: 40", "n_max: 40\nrule: {type: bop2}"), "leave out rule"),
        (("breaks: [2, 4]", "breaks: [4, 2]"), "breaks"),
        (("below: 0.05", "below: [0.1, 0.1, 0.1]"), "one threshold per interim look"),
    ],
)
def test_bad_design_files_get_one_line(capsys, tmp_path, edit, message):
    path = tmp_path / "bad.yaml"
    path.write_text(DESIGN.read_text().replace(*edit))
    code, out, err = run(capsys, "design", str(path))
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_commands_refuse_what_these_designs_do_not_have(capsys, tmp_path):
    code, _, err = run(capsys, "simulate", str(DESIGN), "--scenarios", "x.yaml")
    assert code == 2 and "--scenarios" in err
    code, _, err = run(capsys, "calibrate", str(DESIGN), "--borrowing")
    assert code == 2 and "leave --borrowing out" in err
    code, _, err = run(capsys, "report", str(DESIGN), "--out", "x", "--analysis", "hierarchical")
    assert code == 2 and "model averaging" in err
    missing = tmp_path / "p.csv"
    missing.write_text(
        "patient_id,cohort,enrolled,response,response_date\nP1,G12D,2026-01-05,PR,2026-02-20\n"
    )
    code, _, err = run(capsys, "interim", str(DESIGN), "--data", str(missing), "--as-of",
                        "2026-03-01")  # fmt: skip
    assert code == 2 and "pfs_months" in err and len(err.strip().splitlines()) == 1


def test_design_object_checks():
    with pytest.raises(InputError, match=r"looks\.at"):
        _single(looks=(20, 50), futility=(0.1, 0.1), expected=(0.9, 0.9))
    with pytest.raises(InputError, match="imputations"):
        _rule(imputations=5)
    assert load_design(DESIGN).rule_type == "time_to_event"


def _replay(design, arrivals, event_time, lost):
    """The simulator's trials replayed one at a time with plain loops and scipy (posterior
    futility only, so no imputation): look times, data at each look, final analysis."""
    landmark, goal = design.landmark, design.rule.goal
    rows = []
    for a, t, drop in zip(arrivals, event_time, lost, strict=True):
        n_max = len(a)

        def prob(now, enrolled, a=a, t=t, drop=drop):
            d = e = 0.0
            for i in range(enrolled):
                followed = now - a[i]
                end = min(t[i], drop[i], landmark, followed)
                e += max(end, 0.0)
                d += t[i] <= min(drop[i], landmark, followed)
            return stats.gamma.cdf(-math.log(goal) / landmark, 0.1 + d, scale=1 / (0.1 + e))

        stopped = None
        for k, at in enumerate(design.looks):
            if design.look_kind == "months":
                when = at
            else:
                seen = sorted(a[i] + t[i] for i in range(n_max) if t[i] <= min(drop[i], landmark))
                if len(seen) < at:
                    continue
                when = seen[int(at) - 1]
            if when >= a[-1]:
                continue
            enrolled = sum(1 for i in range(n_max) if a[i] <= when)
            if prob(when, enrolled) < design.rule.futility[k]:
                stopped = (when, enrolled)
                break
        if stopped is not None:
            rows.append((False, True, stopped[1]))
            continue
        final = prob(math.inf, n_max)
        rows.append((bool(final > design.rule.success), False, n_max))
    return rows


@pytest.mark.parametrize(("kind", "looks"), [("events", (6.0, 12.0)), ("months", (8.0, 12.0))])
def test_event_and_calendar_looks_replayed_trial_by_trial(kind, looks):
    from adaptive_pilot.simulation.survival_monitoring import cohort_trials

    rule = SurvivalGoalRule(
        PiecewiseExponential(6.0), goal=0.3, success=0.9, futility=(0.3, 0.3),
        futility_on="posterior", expected_success=(math.nan, math.nan), imputations=10,
    )  # fmt: skip
    design = SurvivalMonitoringDesign(rule, 20, kind, looks)
    rng = np.random.default_rng(4)
    size = 300
    arrivals = np.cumsum(rng.exponential(1 / 2.0, (size, 20)), axis=1)
    event_time = np.ceil(rng.exponential(6.0 / 1.2, (size, 20)) / 2.0) * 2.0  # scans
    lost = rng.exponential(1 / 0.03, (size, 20))
    out = cohort_trials(design, arrivals, event_time, lost, np.random.default_rng(0))
    replay = _replay(design, arrivals, event_time, lost)
    assert [tuple(map(int, r)) for r in replay] == [
        (int(g), int(f), int(n))
        for g, f, n in zip(out["go"], out["futility"], out["enrolled"], strict=True)
    ]
    assert 0 < out["futility"].sum() < size and out["go"].sum() > 0  # every path is met


def test_calibration_rows_are_the_simulations_of_each_threshold(tmp_path, capsys):
    """Each candidate's row is the simulation of the design with that threshold (same seed);
    the choice is the smallest threshold whose P(GO) at the goal is within alpha; --write
    puts it in the file with the record."""
    import dataclasses

    from adaptive_pilot.simulation.survival_calibration import calibrate_survival

    design = _single(looks=(20,), futility=(0.05,), expected=(0.9,), n_max=30)
    cohorts = [SurvivalMonitoringCohort("A", 1.0, design)]
    null, alternative = (SurvivalMonitoringScenario(name, (EventTimeModel(_median(s)),))
                         for name, s in (("goal", 0.3), ("target", 0.5)))  # fmt: skip
    kwargs = {"n_trials": 200, "seed": 3, "imputations": 20}
    result = calibrate_survival(cohorts, Accrual(3.0), null, alternative, (0.8, 0.95),
                                alpha=0.1, beta=0.2, progress=False, **kwargs)  # fmt: skip
    for success in (0.8, 0.95):
        rule = dataclasses.replace(design.rule, success=success)
        one = [SurvivalMonitoringCohort("A", 1.0, dataclasses.replace(design, rule=rule))]
        direct = simulate_survival_monitoring(one, Accrual(3.0), [null, alternative],
                                              progress=False, **kwargs)  # fmt: skip
        row = result.frame[result.frame["success"] == success].iloc[0]
        assert row["p_go_null"] == direct.estimate("goal", "A", "p_go")[0]
        assert row["p_go_alt"] == direct.estimate("target", "A", "p_go")[0]
    feasible = result.frame[result.frame["p_go_null"] <= 0.1]["success"]
    assert result.chosen == (None if feasible.empty else feasible.min())
    # the command line: --write keeps the file's comments and writes the choice
    text = (
        DESIGN.read_text()
        .replace("n_trials: 1000", "n_trials: 100")
        .replace("{from: 0.70, to: 0.95, by: 0.05}", "[0.85, 0.95]")
        .replace("imputations: 200", "imputations: 10")
    )
    source = tmp_path / "pfs.yaml"
    source.write_text(text)
    written = tmp_path / "calibrated.yaml"
    code, out, err = run(capsys, "calibrate", str(source), "--write", str(written),
                          "--no-progress")  # fmt: skip
    assert code == 0, err
    calibrated = load_design(written)
    chosen = calibrated.spec.time_to_event.success
    assert f"Calibrated final threshold: {chosen:g}" in out
    assert calibrated.spec.time_to_event.calibration.calibrated["n_trials"] == 100
    assert "# Progression-free survival monitored" in written.read_text()


def test_the_protocol_report_has_the_text_looks_simulated_oc_and_figures():
    from adaptive_pilot.reports.build import report

    document = report(load_design(DESIGN), n_trials=20, seed=2, progress=False)
    assert [s.title for s in document.sections] == [
        "Statistical design", "Interim looks", "Simulated operating characteristics",
    ]  # fmt: skip
    text = " ".join(b.text for b in document.sections[0].blocks)  # type: ignore[union-attr]
    assert (
        "Goldilocks" in text and "Moschopoulos" in text and "P(S(6) > 0.25 | data) > 0.85" in text
    )
    assert len(document.figures()) == 3  # one per scenario
    assert "monte carlo; seed 2; 20 trials" in document.footer()
