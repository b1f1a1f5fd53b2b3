"""Calibration of hierarchical-borrowing thresholds by simulation (issue 12, point 1)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import yaml

from adaptive_pilot.cli import main
from adaptive_pilot.simulation.calibration import calibrate_borrowing, calibration_scenarios
from adaptive_pilot.simulation.runner import simulate
from adaptive_pilot.spec import load_design

DESIGN = """
name: two-cohorts
hypotheses: {p0: 0.10, p1: 0.35}
prior: {a: 0.1, b: 0.9}
n_max: 12
looks: [6, 12]
rule: {type: bop2, lambda: 0.8, gamma: 1.0}
cohorts:
  - {name: A, prevalence: 0.5}
  - {name: B, prevalence: 0.5}
accrual: {rate: 4, assessment_delay: 1}
borrowing: {model: hierarchical, futility: 0.1, go: 0.9}
calibration:
  borrowing:
    go: {from: 0.80, to: 0.98, by: 0.02}
    futility: [0.0, 0.1]
    n_trials: 600
    seed: 5
"""
SETTINGS = {
    "go_grid": np.round(np.arange(0.80, 0.981, 0.02), 2),
    "futility_grid": [0.0, 0.1],
    "n_trials": 600,
    "seed": 5,
    "chunk_size": 200,
}


@pytest.fixture(scope="module")
def design(tmp_path_factory):
    path = tmp_path_factory.mktemp("cal") / "two.yaml"
    path.write_text(DESIGN)
    return path


@pytest.fixture(scope="module")
def trial(design):
    return load_design(design).trial()


@pytest.fixture(scope="module")
def result(trial):
    return calibrate_borrowing(trial, [0.35, 0.35], progress=False, **SETTINGS)


def simulate_with(trial, futility, go):
    """The trial with these thresholds, simulated on the calibration's scenarios and seed."""
    roles = calibration_scenarios(trial.cohort_names, [0.1, 0.1], [0.35, 0.35])
    rule = dataclasses.replace(trial.borrowing, futility=(futility,), go=go)
    direct = simulate(
        dataclasses.replace(trial, borrowing=rule),
        [sc for sc, _ in roles],
        SETTINGS["n_trials"],
        SETTINGS["seed"],
        chunk_size=SETTINGS["chunk_size"],
        progress=False,
    )
    return roles, direct


def p_go(sim, scenario, cohort):
    frame = sim.frame
    row = frame[(frame.scenario == scenario) & (frame.cohort == cohort) & (frame.metric == "p_go")]
    return float(row["estimate"].iloc[0])


def test_scenarios_put_each_cohort_null_beside_active_and_midway_cohorts():
    roles = calibration_scenarios(["A", "B", "C"], [0.1, 0.1, 0.2], [0.3, 0.3, 0.4])
    by_name = {s.name: (s, role) for s, role in roles}
    assert len(roles) == 1 + 2 * 3 + 1 + 3
    np.testing.assert_allclose(by_name["C-null-others-p1"][0].response, [0.3, 0.3, 0.2])
    np.testing.assert_allclose(by_name["A-null-others-midway"][0].response, [0.1, 0.2, 0.3])
    np.testing.assert_allclose(by_name["B-alone-active"][0].response, [0.1, 0.3, 0.2])
    assert by_name["global-null"][1] == "null" and by_name["global-alternative"][1] == "alternative"


def test_chosen_design_controls_each_cohorts_error_and_is_the_most_powerful(result):
    s = SETTINGS
    errors = result.errors.set_index("cohort")
    for cohort in ("A", "B"):
        assert errors.loc[cohort, "false_go_global_null"] <= 0.05
        assert errors.loc[cohort, "false_go_global_null_mcse"] > 0
        # borrowing inflates a null cohort's error when the other is active
        assert (
            errors.loc[cohort, "false_go_worst_null"] > errors.loc[cohort, "false_go_global_null"]
        )
    feasible = result.grid[result.grid["feasible"]]
    assert result.grid.shape[0] == len(s["go_grid"]) * len(s["futility_grid"])
    best = feasible["average_power"].max()
    chosen = feasible[(feasible["go"] == result.go[0])]
    chosen = chosen[np.isclose(chosen["futility"], result.futility)]
    assert float(chosen["average_power"].iloc[0]) == best
    # P(GO) falls as the GO threshold rises, on the same simulated trials
    for _, rows in result.grid.groupby("futility"):
        assert np.all(np.diff(rows["max_false_go_control"].to_numpy()) <= 0)
        assert np.all(np.diff(rows["average_power"].to_numpy()) <= 0)


def test_every_grid_point_equals_a_direct_simulation_of_that_design(trial, result):
    """P(GO) for all GO thresholds is read from one run per futility value: check two points."""
    grid = result.grid.set_index(["futility", "go"])
    for futility, go in ((0.0, 0.84), (0.1, 0.96)):
        roles, direct = simulate_with(trial, futility, go)
        row = grid.loc[(futility, go)]
        assert row["max_false_go_control"] == max(p_go(direct, "global-null", c) for c in "AB")
        worst = max(
            p_go(direct, sc.name, c)
            for sc, role in roles
            for j, c in enumerate("AB")
            if role == "null" and sc.response[j] <= 0.1
        )
        assert row["max_false_go_all_nulls"] == worst
        pairs = [("global-alternative", "A"), ("global-alternative", "B"),
                 ("A-alone-active", "A"), ("B-alone-active", "B")]  # fmt: skip
        assert row["average_power"] == pytest.approx(
            np.mean([p_go(direct, name, c) for name, c in pairs]), abs=1e-15
        )
    # the check run of the chosen design is the same simulation
    assert result.check.provenance.seed == SETTINGS["seed"]


def test_identical_for_any_number_of_workers(trial, result):
    two = calibrate_borrowing(trial, [0.35, 0.35], progress=False, n_jobs=2, **SETTINGS)
    assert two.grid.equals(result.grid) and two.errors.equals(result.errors)
    assert (two.futility, two.go) == (result.futility, result.go)


def test_per_cohort_thresholds_are_each_the_smallest_feasible(trial):
    res = calibrate_borrowing(
        trial,
        [0.35, 0.35],
        progress=False,
        go_per_cohort=True,
        control="all_nulls",
        **SETTINGS,
    )
    assert len(res.go) == 2
    errors = res.errors.set_index("cohort")
    step = 0.02
    for j, cohort in enumerate(("A", "B")):
        assert errors.loc[cohort, "false_go_worst_null"] <= 0.05  # all nulls controlled
        lower = round(res.go[j] - step, 2)
        if lower >= SETTINGS["go_grid"][0]:
            go = list(res.go)
            go[j] = lower
            roles, direct = simulate_with(trial, res.futility, tuple(go))
            nulls = [sc.name for sc, role in roles if role == "null" and sc.response[j] <= 0.1]
            assert max(p_go(direct, name, cohort) for name in nulls) > 0.05


def test_cli_writes_the_calibrated_file_with_its_record(design, tmp_path, capsys):
    out = tmp_path / "calibrated.yaml"
    code = main(["calibrate", str(design), "--n-trials", "400", "--no-progress",
                 "--write", str(out)])  # fmt: skip
    text = capsys.readouterr().out
    assert code == 0 and "Per-cohort error and power of the chosen design" in text
    document = yaml.safe_load(out.read_text())
    record = document["borrowing"]["calibrated"]
    assert record["provenance"]["n_trials"] == 400 and record["grids"]["futility"] == [0.0, 0.1]
    assert set(record["per_cohort"]) == {"A", "B"}
    assert {"estimate", "mcse"} <= set(record["per_cohort"]["A"]["false_go_global_null"])
    assert document["borrowing"]["go"] == record["go"]
    reloaded = load_design(out).trial()
    assert reloaded.borrowing.go == record["go"]


GO_GRID = "go: {from: 0.80, to: 0.98, by: 0.02}"


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        (GO_GRID, "go: [0.8, 1.0]", "calibration.borrowing.go: thresholds must satisfy"),
        ("    seed: 5", "    seed: 5\n    control: worst", "calibration.borrowing.control"),
        ("n_trials: 600", "n_trials: 10", "calibration.borrowing.n_trials"),
        ("futility: [0.0, 0.1]", "futility: [1.5]", "calibration.borrowing.futility"),
        (GO_GRID, "go: [0.8]\n    alpha: 0.0001", "no grid point keeps"),
        ("borrowing: {model: hierarchical, futility: 0.1, go: 0.9}",
         "borrowing: {model: hierarchical, go: [0.9, 0.9, 0.9]}", "one threshold per cohort"),
    ],
)  # fmt: skip
def test_bad_calibration_settings(tmp_path, capsys, old, new, needle):
    assert old in DESIGN
    path = tmp_path / "bad.yaml"
    path.write_text(DESIGN.replace(old, new))
    with pytest.raises(SystemExit) as raised:
        main(["calibrate", str(path), "--no-progress", "--n-trials", "200"])
    err = capsys.readouterr().err
    assert raised.value.code == 2, err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
