"""PFS and OS in the simulated trials (issue 12, point 7)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import optimize

from adaptive_pilot.cli import main
from adaptive_pilot.kaplan_meier import kaplan_meier
from adaptive_pilot.simulation.runner import simulate
from adaptive_pilot.simulation.survival import EventTimeModel
from adaptive_pilot.spec import load_design, load_scenarios

ROOT = Path(__file__).resolve().parents[1]
MOTIVATING = ROOT / "designs" / "motivating_trial.yaml"
MODELS = {
    "exponential": EventTimeModel(4.0, hr_responders=0.5),
    "weibull": EventTimeModel(6.3, "weibull", shape=1.5, hr_responders=0.4),
    "piecewise": EventTimeModel(
        5.0, "piecewise", breaks=(3.0, 9.0), hazard_ratios=(1.0, 2.0, 0.5), hr_responders=0.6
    ),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_generator_has_the_analytic_median_and_survival(name):
    model, rate, n = MODELS[name], 0.3, 400_000
    rng = np.random.default_rng(1)
    responded = rng.random((n, 1, 1)) < rate
    times = model.sample(rng.standard_exponential((n, 1, 1)), responded, np.array([rate]))
    times = times.ravel()
    # the cohort's median is the scenario's: S(median) = 1/2 analytically
    assert model.survival(np.array(model.median), rate) == pytest.approx(0.5, abs=1e-12)
    density = -(
        model.survival(model.median + 1e-5, rate) - model.survival(model.median - 1e-5, rate)
    )
    mcse_median = math.sqrt(0.25 / n) / (density / 2e-5)
    assert abs(np.median(times) - model.median) <= 4 * mcse_median
    for t in (1.0, 3.0, 6.0, 12.0):
        expected = float(model.survival(np.array(t), rate))
        se = math.sqrt(expected * (1 - expected) / n)
        assert abs(np.mean(times > t) - expected) <= 4 * se, (name, t)
    # responders do better (HR < 1): the generator links PFS to response
    assert np.median(times[responded.ravel()]) > np.median(times[~responded.ravel()])


def test_scale_solves_the_mixture_median():
    model = EventTimeModel(6.3, "weibull", shape=1.3, hr_responders=0.4)
    rate = 0.322
    c = model.scale(rate)
    u = c * model.median**1.3
    assert rate * math.exp(-0.4 * u) + (1 - rate) * math.exp(-u) == pytest.approx(0.5, abs=1e-12)


def reference_km(time, event, at):
    """A plain product-limit estimator (distinct times, events before censorings)."""
    order = sorted(range(len(time)), key=lambda i: (time[i], not event[i]))
    s, median, s_at, n = 1.0, math.nan, 1.0, len(time)
    i = 0
    while i < n:
        t = time[order[i]]
        same = [k for k in order[i:] if time[k] == t]
        d = sum(event[k] for k in same)
        s *= 1 - d / (n - i)
        if s <= 0.5 and math.isnan(median) and d:
            median = t
        if t <= at:
            s_at = s
        i += len(same)
    return median, s_at


def test_kaplan_meier_matches_a_plain_estimator_with_ties():
    rng = np.random.default_rng(4)
    time = np.round(rng.exponential(5.0, size=(60, 25)), 0)  # many ties
    event = rng.random((60, 25)) < 0.7
    time[:5, 20:] = np.nan  # fewer patients in some rows
    median, s_at, events = kaplan_meier(time, event, 6.0)
    for row in range(60):
        keep = np.isfinite(time[row])
        ref_median, ref_s = reference_km(list(time[row, keep]), list(event[row, keep]), 6.0)
        assert s_at[row] == pytest.approx(ref_s, abs=1e-12)
        assert (math.isnan(median[row]) and math.isnan(ref_median)) or median[row] == ref_median
        assert events[row] == event[row, keep].sum()


SCENARIO = """
scenarios:
  - name: with-survival
    response: {G12D: 0.2, G12V: 0.05, G12C: 0.32, other: 0.05}
    toxicity: 0.15
    survival:
      pfs:
        G12D: {median: 4.0, hr_responders: 0.5}
        G12V: {median: 4.0, hr_responders: 0.5}
        G12C: {median: 6.3, distribution: weibull, shape: 1.3, hr_responders: 0.4}
        other: {median: 3.0}
      os: {median: 10.0, hr_responders: 0.6}
      follow_up: FOLLOW
      scan_every: SCAN
      dropout: DROP
"""


def scenario_file(tmp_path, follow=240, scan=0, drop=0):
    text = SCENARIO.replace("FOLLOW", str(follow)).replace("SCAN", str(scan))
    path = tmp_path / "s.yaml"
    path.write_text(text.replace("DROP", str(drop)))
    return path


def test_simulated_landmark_survival_equals_the_analytic_one_without_censoring(tmp_path):
    trial = load_design(MOTIVATING).trial()
    scenarios = load_scenarios(scenario_file(tmp_path), trial)
    result = simulate(trial, scenarios, 8_000, seed=2, progress=False)
    frame = result.frame.set_index(["cohort", "metric"])
    survival = scenarios[0].survival
    for j, cohort in enumerate(trial.cohort_names):
        expected = float(survival.pfs[j].survival(np.array(6.0), scenarios[0].response[j]))
        est, se = frame.loc[(cohort, "pfs_landmark"), ["estimate", "mcse"]]
        assert abs(est - expected) <= 4 * se, (cohort, est, expected, se)
        assert frame.loc[(cohort, "p_median_pfs_reached"), "estimate"] == 1.0
    looks = result.survival_looks
    g12d = looks[looks["cohort"] == "G12D"]["estimate"].to_numpy()
    assert np.all(np.diff(g12d) > 0)  # more events known at each later look


def test_survival_changes_no_other_simulated_number(tmp_path):
    trial = load_design(MOTIVATING).trial()
    with_survival = load_scenarios(scenario_file(tmp_path, follow=6, scan=1.84, drop=0.02), trial)
    plain = [type(s)(s.name, s.response, s.toxicity, s.description, s.odds_ratio)
             for s in with_survival]  # fmt: skip
    a = simulate(trial, with_survival, 2_000, seed=5, progress=False).frame
    b = simulate(trial, plain, 2_000, seed=5, progress=False).frame
    shared = a[a["metric"].isin(set(b["metric"]))].reset_index(drop=True)
    assert shared.equals(b)
    assert {"median_pfs", "median_os", "pfs_events", "os_events"} <= set(a["metric"])


def test_scans_and_dropout_shift_what_is_seen(tmp_path):
    trial = load_design(MOTIVATING).trial()
    exact = load_scenarios(scenario_file(tmp_path, follow=12), trial)
    scanned = load_scenarios(scenario_file(tmp_path, follow=12, scan=2, drop=0.05), trial)
    a = simulate(trial, exact, 2_000, seed=6, progress=False).frame.set_index(["cohort", "metric"])
    b = simulate(trial, scanned, 2_000, seed=6, progress=False).frame.set_index(
        ["cohort", "metric"]
    )
    # progression seen only at 2-monthly scans is seen later; dropout removes events
    assert b.loc[("G12D", "median_pfs"), "estimate"] > a.loc[("G12D", "median_pfs"), "estimate"]
    assert b.loc[("G12D", "pfs_events"), "estimate"] < a.loc[("G12D", "pfs_events"), "estimate"]


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("other: {median: 3.0}", "other: {median: -3.0}",
         "survival.pfs.other.median: must be greater than 0"),
        ("other: {median: 3.0}", "others: {median: 3.0}",
         "survival.pfs: names unknown cohort 'others'"),
        ("other: {median: 3.0}", "other: {median: 3.0, distribution: piecewise, breaks: [2]}",
         "survival.pfs.other.hazard_ratios: needs one relative hazard per piece"),
        ("other: {median: 3.0}", "other: {median: 3.0, hr_responders: 0}",
         "hr_responders: must be at least 0.01"),
        ("scan_every: 0", "scan_every: -1", "survival.scan_every: must be at least 0"),
        ("dropout: 0", "dropout: 11", "survival.dropout: must be at most 10"),
    ],
)  # fmt: skip
def test_bad_survival_settings(tmp_path, capsys, old, new, needle):
    text = SCENARIO.replace("FOLLOW", "6").replace("SCAN", "0").replace("DROP", "0")
    assert old in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new))
    with pytest.raises(SystemExit) as raised:
        main(["simulate", str(MOTIVATING), "--scenarios", str(path), "--n-trials", "100"])
    err = capsys.readouterr().err
    assert raised.value.code == 2 and needle in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_scale_is_found_for_extreme_hazard_ratios():
    for hr in (0.01, 100.0):
        model = EventTimeModel(5.0, hr_responders=hr)
        assert model.survival(np.array(5.0), 0.9) == pytest.approx(0.5, abs=1e-10)
    assert optimize  # scipy is the root finder


def test_interim_call_reports_kaplan_meier_pfs_and_os_per_cohort():
    import datetime as dt

    import pandas as pd

    from adaptive_pilot.interim.survival import survival_summary
    from adaptive_pilot.patients import read_patients

    path = ROOT / "designs" / "motivating_trial_synthetic_patients.csv"
    cohorts = ["G12D", "G12V", "G12C", "other"]
    data = read_patients(path, cohorts=cohorts, today=dt.date(2026, 7, 1), as_of_given=True)
    table = survival_summary(data, cohorts, as_of=dt.date(2026, 6, 30))
    raw = pd.read_csv(path, parse_dates=["enrolled"])
    raw = raw[raw["enrolled"] <= "2026-06-30"]
    assert list(table["endpoint"].unique()) == ["PFS", "OS"]
    for row in table.to_dict("records"):
        key = row["endpoint"].lower()
        mine = raw[(raw["cohort"] == row["cohort"]) & raw[f"{key}_months"].notna()]
        times = list(mine[f"{key}_months"])
        events = [bool(e) for e in mine[f"{key}_event"]]
        median, s6 = reference_km(times, events, 6.0)
        assert row["n"] == len(times) and row["events"] == sum(events)
        assert row["s_landmark"] == pytest.approx(s6, abs=1e-12)
        assert (pd.isna(row["median_months"]) and math.isnan(median)) or row[
            "median_months"
        ] == median
        # Greenwood: S^2 sum d / (n (n - d)) over event times up to the landmark
        total = sum(
            sum(e and t == u for t, e in zip(times, events, strict=True))
            / (sum(t >= u for t in times) * (sum(t >= u for t in times)
               - sum(e and t == u for t, e in zip(times, events, strict=True))))
            for u in sorted({t for t, e in zip(times, events, strict=True) if e and t <= 6.0})
        )  # fmt: skip
        assert row["s_landmark_se"] == pytest.approx(s6 * math.sqrt(total), abs=1e-12)
