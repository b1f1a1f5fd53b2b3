"""Prior sensitivity: each scenario is the design rebuilt with that prior, exactly."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest

import adaptive_pilot as ap
from adaptive_pilot.sensitivity import sensitivity
from adaptive_pilot.spec import design_from_document


@pytest.fixture(scope="module")
def bop2():
    return ap.load_design("designs/bop2_example.yaml")


def test_every_scenario_is_the_design_rebuilt_with_that_prior(bop2):
    result = sensitivity(bop2)
    frame = result.frame
    design = bop2.design
    oc = ap.exact_oc(design.table, [design.p0, design.p1])
    first = frame.iloc[0]
    assert first["scenario"] == "as designed"
    assert (first["p_go_p0"], first["p_go_p1"]) == pytest.approx(tuple(oc.p_go), abs=1e-15)
    # the vague row, rebuilt here by hand through the design file
    document = copy.deepcopy(bop2.data)
    document["prior"] = {"a": 1, "b": 1}
    document.pop("calibration", None)
    vague = design_from_document(document).design
    row = frame[frame["scenario"] == "vague"].iloc[0]
    assert row["go_bound"] == vague.table.efficacy[-1]
    assert row["p_go_p0"] == pytest.approx(float(ap.exact_oc(vague.table, [0.2]).p_go[0]), 1e-15)
    robust = frame[frame["scenario"] == "robust weight 1"].iloc[0]
    assert (robust["p_go_p0"], robust["go_bound"]) == (row["p_go_p0"], row["go_bound"])
    assert list(frame["scenario"][4:]) == [f"robust weight {w:g}" for w in (0.25, 0.5, 0.75, 1)]


def test_the_null_range_type_i_error_is_the_largest_over_p_up_to_p0(bop2):
    result = sensitivity(bop2)
    dense = ap.exact_oc(bop2.design.table, np.linspace(0, 0.2, 2001)).p_go
    assert result.null_range["max_alpha"] == pytest.approx(dense.max(), abs=1e-12)
    assert result.null_range["max_alpha"] >= result.frame["p_go_p0"].iloc[0] - 1e-15


def test_a_map_prior_adds_the_tau_scenarios_and_the_cli_and_report_show_it(tmp_path, capsys):
    from adaptive_pilot.cli import main
    from adaptive_pilot.reports import design_report

    path = tmp_path / "map.yaml"
    path.write_text(
        "name: map\nhypotheses: {p0: 0.15, p1: 0.35}\nprior:\n  type: map\n  historical:\n"
        "    - {name: A, n: 40, x: 8}\n    - {name: B, n: 25, x: 7}\n  tau: {half_normal: 0.5}\n"
        "n_max: 30\nlooks: {every: 10}\nrule: {type: bop2, lambda: 0.9, gamma: 1}\n"
    )
    assert main(["sensitivity", str(path), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    names = [row["scenario"] for row in payload["prior"]["scenarios"]]
    assert names[-2:] == ["MAP, tau scale halved (0.25)", "MAP, tau scale doubled (1)"]
    report = design_report(path)
    section = next(s for s in report.sections if s.title == "Prior sensitivity")
    assert "All numbers are exact." in section.blocks[0].text
    assert [b.name for b in section.blocks if hasattr(b, "name")] == ["prior_sensitivity"]


def test_a_simon_design_is_refused_in_one_line(capsys):
    from adaptive_pilot.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["sensitivity", "designs/simon_example.toml"])
    assert stop.value.code == 2
    assert "a Simon design has no prior" in capsys.readouterr().err


def test_tau_sensitivity_simulates_each_tau_scale_with_common_random_numbers(capsys):
    from adaptive_pilot.cli import main
    from adaptive_pilot.sensitivity import tau_sensitivity

    resolved = ap.load_design("designs/motivating_trial.yaml")
    result = tau_sensitivity(resolved, "simulations/motivating_trial.yaml", n_trials=300,
                             seed=5, analysis="hierarchical", factors=(0.5, 1.0))  # fmt: skip
    frame = result.frame
    assert list(dict.fromkeys(frame["tau_sd"])) == [0.5, 1.0]
    # the tau_sd 1 rows are the plain simulation of the file's hierarchical model
    trial = resolved.trial("hierarchical")
    plain = ap.simulate(trial, ap.load_scenarios("simulations/motivating_trial.yaml", trial),
                        300, 5, progress=False).to_frame()  # fmt: skip
    null = plain[(plain["cohort"] == "ALL") & (plain["scenario"] == "global-null")]
    expected = float(null[null["metric"] == "fwer"]["estimate"].iloc[0])
    row = frame[(frame["tau_sd"] == 1.0) & (frame["scenario"] == "global-null")].iloc[0]
    assert row["fwer"] == expected
    # a design that does not borrow needs --analysis
    with pytest.raises(SystemExit) as stop:
        main(["sensitivity", "designs/motivating_trial.yaml", "--scenarios",
              "simulations/motivating_trial.yaml", "--n-trials", "100"])  # fmt: skip
    assert stop.value.code == 2 and "needs --analysis" in capsys.readouterr().err


def test_drift_gives_exact_p_go_and_the_probability_of_a_flagged_conflict(tmp_path):
    from scipy import stats

    from adaptive_pilot.conflict import prior_data_conflict

    path = tmp_path / "map.yaml"
    path.write_text(
        "name: drift\nhypotheses: {p0: 0.15, p1: 0.35}\nprior:\n  type: map\n  historical:\n"
        "    - {name: A, n: 40, x: 8}\n    - {name: B, n: 30, x: 7}\n  tau: {half_normal: 0.5}\n"
        "n_max: 25\nrule: {type: posterior, theta_final: 0.9}\n"
    )
    resolved = ap.load_design(path)
    result = sensitivity(resolved)
    drift = result.drift
    assert set(drift["scenario"]) == {"as designed", "robust weight 0.5", "vague"}
    design = resolved.design
    mine = drift[drift["scenario"] == "as designed"]
    assert mine["p"].to_numpy() - mine["shift"].to_numpy() == pytest.approx(design.prior.mean)
    n = design.n_max
    flagged = [prior_data_conflict(design.prior, x, n).box_p < 0.05 for x in range(n + 1)]
    for _, row in mine.iterrows():
        expected = sum(stats.binom.pmf(x, n, row["p"]) for x in range(n + 1) if flagged[x])
        assert row["p_conflict"] == pytest.approx(expected, abs=1e-12)
        assert row["p_go"] == pytest.approx(ap.exact_oc(design.table, row["p"]).p_go[0], abs=1e-14)
    # a large drift is flagged more often than none
    assert mine["p_conflict"].iloc[-1] > mine["p_conflict"].iloc[3]
    assert "drift" in result.to_dict()
