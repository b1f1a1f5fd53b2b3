"""The DSMB call: decisions equal the table and the rule; exact forward quantities; data checks."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

import adaptive_pilot as ap
from adaptive_pilot.interim import interim_analysis
from adaptive_pilot.interim.decide import (
    bounds_at,
    decide_cohort,
    forward_probabilities,
    predictive_outcomes,
)
from adaptive_pilot.patients import DataError, read_patients
from adaptive_pilot.patients.counts import CohortCounts

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO / "designs" / "motivating_trial.yaml"
PATIENTS = REPO / "designs" / "motivating_trial_synthetic_patients.csv"
TODAY = dt.date(2026, 11, 21)


def _plans() -> list[ap.Design]:
    prior = ap.BetaPrior(0.05, 0.95)
    rules = [
        ap.BOP2Rule(0.05, prior, 30, 0.83, 0.30),
        ap.PredictiveRule(0.2, ap.BetaPrior(0.2, 0.8), 30, 0.9, 0.05, 0.99),
        ap.PosteriorRule(0.2, ap.BetaPrior(0.5, 0.5), 0.95, 0.05, 0.995),
    ]
    plans = []
    for rule, switches in zip(rules, [None, (False, True, True), (True, False, True)], strict=True):
        design = ap.BayesianDesign(rule, (10, 20, 30), futility_on=switches)
        plans.append(ap.Design.of(design, p1=rule.p0 + 0.15, name="c"))
    return plans


def _counts(n: int, x: int, **more) -> CohortCounts:
    base = dict(cohort="c", enrolled=n, n_evaluable=n, responses=x, pending=0, n_toxicity=0,
                toxicities=0, excluded_enrolled_later=0, outcomes_after_cutoff=0)  # fmt: skip
    return CohortCounts(**{**base, **more})


@pytest.mark.parametrize("plan", _plans(), ids=["bop2", "predictive-switches", "posterior"])
def test_planned_looks_decide_exactly_as_the_boundary_table(plan):
    table = plan.table
    for k, n in enumerate(table.looks):
        bounds = bounds_at(plan, n)
        assert bounds.planned and bounds.look == k + 1
        assert bounds.futility == table.futility_at(k)
        if k < table.n_looks - 1:
            assert bounds.efficacy == table.efficacy_at(k)
        else:
            assert bounds.efficacy == table.efficacy[k]
        for x in range(n + 1):
            call = decide_cohort(plan, _counts(n, x))
            final = k == table.n_looks - 1
            if x <= table.futility[k]:
                expected = "no_go" if final else "stop_futility"
            elif x >= table.efficacy[k]:
                expected = "go" if final else "stop_efficacy"
            else:
                expected = "continue"
            assert call.decision == expected, (n, x)
            assert call.planned_look


@pytest.mark.parametrize("plan", _plans(), ids=["bop2", "predictive-switches", "posterior"])
def test_unplanned_looks_are_decided_by_the_rule_at_the_actual_n(plan):
    for n in (4, 13, 27):
        for x in range(n + 1):
            call = decide_cohort(plan, _counts(n, x))
            assert call.decision == plan.bayesian.decide(n, x).action
            assert not call.planned_look and "unplanned look" in call.reason


def test_forward_probability_of_go_from_the_start_is_the_exact_oc():
    for plan in _plans():
        call = decide_cohort(plan, _counts(0, 0))
        oc = ap.exact_oc(plan.table, [plan.p0, plan.p1])
        # n = 0: no look reached, so the forward recursion covers the whole design
        _, go0, go1 = forward_probabilities("continue", predictive_outcomes(plan, 0, 0))
        assert (call.p_final_go_p0, call.p_final_go_p1) == (go0, go1)
        assert go0 == pytest.approx(oc.p_go[0], abs=1e-12)
        assert go1 == pytest.approx(oc.p_go[1], abs=1e-12)
        assert call.decision == "continue"


def test_predictive_probability_integrates_the_forward_probability_over_the_posterior():
    plan = _plans()[0]
    n, x = 12, 2
    pp, _, _ = forward_probabilities("continue", predictive_outcomes(plan, n, x))
    a, b = plan.prior.a + x, plan.prior.b + n - x

    def go_given(p):
        from adaptive_pilot.inference import SampleSpace

        space = SampleSpace.of(plan.table, start=(n, x))
        return space.probabilities(np.array([p]))[0][space.go].sum()

    expected, _ = integrate.quad(lambda p: go_given(p) * stats.beta.pdf(p, a, b), 0, 1, limit=200)
    assert pp == pytest.approx(expected, abs=1e-8)


def test_toxicity_stop_overrides_and_names_the_rule():
    plan = _plans()[0]
    tox = ap.ToxicityRule(0.3, 0.9, ap.BetaPrior(0.3, 0.7), (10, 20, 30))
    plan = ap.Design.of(plan.bayesian, p1=0.2, name="c", toxicity=tox)
    call = decide_cohort(plan, _counts(10, 5, n_toxicity=12, toxicities=8))
    assert call.decision == "stop_toxicity"
    assert "stops for toxicity at >= " in call.reason and call.prob_toxicity > 0.9
    assert call.toxicity_bound == tox.bound(12)


# ------------------------------------------------------------------ the shipped example
def _example(**options):
    resolved = ap.load_design(DESIGN)
    plan = resolved.interim_plan(options.pop("analysis", None))
    data = read_patients(PATIENTS, cohorts=plan.cohort_names, today=TODAY, as_of_given=True)
    return interim_analysis(plan, data, as_of=dt.date(2026, 6, 30), analyst="test", **options)


def test_shipped_example_gives_documented_decisions():
    result = _example()
    assert result.decisions() == {
        "G12D": "stop_futility",
        "G12V": "continue",
        "G12C": "continue",
        "other": "continue",
    }
    g12d = result.call("G12D")
    assert g12d.reason.startswith("0 responses in 10 evaluable patients; the design stops for "
                                  "futility at <= 0 of 10")  # fmt: skip
    assert "G12D" in result.inference
    payload = result.to_dict()
    json.dumps(payload, allow_nan=False)
    keys = {"cohort", "n_evaluable", "responses", "toxicities", "pending", "planned_look",
            "decision", "reason", "futility_bound", "efficacy_bound", "prob_gt_p0",
            "predictive_probability", "p_final_go_p0", "p_final_go_p1"}  # fmt: skip
    assert keys <= set(payload["cohorts"][0])
    inputs = payload["provenance"]["details"]["inputs"]
    assert len(inputs[0]["sha256"]) == 64 and payload["provenance"]["details"]["as_of"]


def test_hierarchical_call_uses_the_borrowed_posterior():
    # how long it takes: benchmarks/run.py --only interim
    result = _example(analysis="hierarchical")
    call = result.call("G12C")
    assert call.method == "hierarchical" and "all cohorts' data" in call.reason
    assert call.p_final_go_p0 is None


@pytest.mark.slow
def test_pymc_check_compares_the_borrowed_posterior_with_nuts():
    """With EXNEX (Berry's PyMC model is checked in test_hierarchical)."""
    result = _example(analysis="exnex", check_pymc=True, pymc_draws=1000)
    assert result.to_dict()["provenance"]["details"]["analysis"] == "exnex"
    assert {call.method for call in result.calls} == {"exnex"}
    # the call decides on the simulator's float32 mixture tables; the exact sum agrees
    trial = ap.load_design(DESIGN).trial("exnex")
    p0s = tuple(c.p0 for c in trial.cohorts)
    exact = trial.borrowing.analysis_model(p0s).posterior(
        [c.n_evaluable for c in result.calls], [c.responses for c in result.calls], list(p0s)
    )
    np.testing.assert_allclose(
        [c.prob_gt_p0 for c in result.calls], exact.prob_gt_p0, rtol=0, atol=2e-6
    )
    check = result.checks["pymc"]
    assert check["divergences"] == 0 and check["max_r_hat"] < 1.05 and check["chains"] == 2
    for row, call in zip(check["cohorts"], result.calls, strict=True):
        assert row["fast"] == call.prob_gt_p0 and 0 <= row["mcse"] < 0.05
        # the fast quadrature and NUTS agree to within NUTS' own Monte Carlo error
        assert abs(row["nuts"] - row["fast"]) <= 0.01 + 4 * row["mcse"]
        assert row["flagged"] == (abs(row["difference"]) > 0.01 + 2 * row["mcse"])
    text = result.summary().as_text()
    assert "fast vs PyMC NUTS" in text and "PyMC check:" in text
    assert json.loads(json.dumps(result.to_dict()))["checks"]["pymc"]["cohorts"][0]["cohort"]


# ------------------------------------------------------------------ data checks
HEADER = "patient_id,cohort,enrolled,response,response_date,toxicity_grade\n"
GOOD = "P1,G12D,2026-01-05,PR,2026-03-10,2\nP2,G12D,2026-01-12,PD,2026-03-15,3\n"


def _read(tmp_path, text, name="p.csv", **options):
    path = tmp_path / name
    path.write_text(text)
    return read_patients(
        path, cohorts=("G12D", "G12V"), today=options.get("today", TODAY),
        as_of_given=options.get("as_of_given", False),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("P1,G12S,2026-01-05,PR,2026-03-10,\n", "row 2, column cohort: unknown cohort 'G12S'"),
        (
            "P1,G12D,2026-01-05,PR,2026-03-10,\nP1,G12D,2026-01-06,PD,2026-03-10,\n",
            "row 3, column patient_id: patient 'P1' appears twice (first at row 2)",
        ),
        ("P1,G12D,2026-01-05,XR,2026-03-10,\n", "row 2, column response: 'XR' is not a RECIST"),
        ("P1,G12D,2026-01-05,PR,2026-03-10,6\n", "row 2, column toxicity_grade: grade 6"),
        ("P1,G12D,2026-01-05,PR,2025-12-10,\n", "dates in the wrong order"),
        ("P1,G12D,2027-01-05,,,\n", "row 2, column enrolled: 2027-01-05 is after the data cut-off"),
        ("P1,G12D,2026-01-05,PR,,\n", "row 2, column response_date: response PR has no date"),
        (
            "P1,G12D,05/01/2026,PR,2026-03-10,\n",
            "'05/01/2026' is not a date; write it as YYYY-MM-DD",
        ),
    ],
)
def test_each_bad_row_is_named_by_file_row_and_column(tmp_path, rows, expected):
    with pytest.raises(DataError) as caught:
        _read(tmp_path, HEADER + rows)
    assert any(expected in line for line in caught.value.lines), caught.value.lines


def test_all_problems_are_listed_up_to_twenty(tmp_path):
    rows = "".join(f"P{i},G12S,2026-01-05,PR,2026-03-10,\n" for i in range(30))
    with pytest.raises(DataError) as caught:
        _read(tmp_path, HEADER + rows)
    assert len(caught.value.problems) == 30
    assert len(caught.value.lines) == 21 and caught.value.lines[-1] == "... and 10 more problems"


def test_missing_columns_are_named(tmp_path):
    with pytest.raises(DataError) as caught:
        _read(tmp_path, "patient_id,cohort,enrolled\nP1,G12D,2026-01-05\n")
    assert "column response: the column response is missing" in caught.value.lines[0]


def test_cutoff_makes_later_outcomes_pending_not_non_responders(tmp_path):
    data = _read(tmp_path, HEADER + GOOD + "P3,G12D,2026-03-01,CR,2026-05-01,\n", as_of_given=True)
    from adaptive_pilot.patients import cohort_counts

    at = cohort_counts(data, ["G12D"], as_of=dt.date(2026, 3, 12))[0]
    assert (at.n_evaluable, at.responses, at.pending, at.enrolled) == (1, 1, 2, 3)
    assert at.outcomes_after_cutoff == 2
    early = cohort_counts(data, ["G12D"], as_of=dt.date(2026, 1, 10))[0]
    assert early.enrolled == 1 and early.excluded_enrolled_later == 2
    assert (at.n_toxicity, at.toxicities) == (3, 1)  # grade >= 3 counts; empty = none


def test_xlsx_gives_the_same_records_as_csv(tmp_path):
    import pandas as pd

    csv = tmp_path / "p.csv"
    csv.write_text(HEADER + GOOD)
    frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
    frame["enrolled"] = pd.to_datetime(frame["enrolled"])  # real date cells
    frame.to_excel(tmp_path / "p.xlsx", index=False)
    from_csv = read_patients(csv, cohorts=("G12D",), today=TODAY, as_of_given=False)
    from_xlsx = read_patients(
        tmp_path / "p.xlsx", cohorts=("G12D",), today=TODAY, as_of_given=False
    )
    pd.testing.assert_frame_equal(from_csv.frame, from_xlsx.frame)


# ------------------------------------------------------------------ command line and audit
def _cli(*args):
    done = subprocess.run([sys.executable, "-m", "adaptive_pilot.cli", *args],
                          capture_output=True, text=True)  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def test_cli_interim_writes_reports_and_an_audit_record(tmp_path):
    out, db = tmp_path / "out", tmp_path / "audit.db"
    code, stdout, err = _cli("interim", str(DESIGN), "--data", str(PATIENTS), "--as-of",
                             "2026-06-30", "--analyst", "A. Nyone", "--audit", str(db),
                             "--out", str(out), "--json")  # fmt: skip
    assert code == 0, err
    payload = json.loads(stdout)
    assert payload["audit"]["id"] == 1
    assert {p.name for p in out.iterdir()} == {"decision.json", "closed_report.html",
                                                "open_report.html"}  # fmt: skip
    closed = (out / "closed_report.html").read_text()
    opened = (out / "open_report.html").read_text()
    assert "stop for futility" in closed and "futility" not in opened
    assert payload["provenance"]["design_hash"] in opened
    code, stdout, _ = _cli("audit", "verify", "--audit", str(db))
    assert code == 0 and "intact: 1 record" in stdout


def test_cli_bad_data_lists_problems_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "P1,G12S,2026-01-05,XR,2026-03-10,9\n")
    out, db = tmp_path / "out", tmp_path / "audit.db"
    code, stdout, err = _cli("interim", str(DESIGN), "--data", str(bad), "--out", str(out),
                             "--audit", str(db), "--analyst", "A. Statistician")  # fmt: skip
    assert code == 2 and stdout == ""
    lines = err.strip().splitlines()
    assert len(lines) == 3 and all("bad.csv row 2, column" in line for line in lines)
    assert not out.exists() and not db.exists()


def test_cli_audited_call_needs_the_analyst(tmp_path):
    db = tmp_path / "audit.db"
    code, stdout, err = _cli("interim", str(DESIGN), "--data", str(PATIENTS), "--audit", str(db))
    assert code == 2 and stdout == "" and not db.exists()
    assert err.strip().endswith("--analyst: an audited call records who makes it: give "
                                "--analyst NAME (or sign with --sign KEY)")  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--as-of", "2026-13-01"), "--as-of: must be a date YYYY-MM-DD"),
        (("--as-of", "2999-01-01"), "--as-of: 2999-01-01 is in the future"),
        ((), "--data: give --data FILE"),
    ],
)
def test_cli_bad_options_are_one_line(args, message):
    data = () if not args else ("--data", str(PATIENTS))
    code, stdout, err = _cli("interim", str(DESIGN), *data, *args)
    assert code == 2 and stdout == "" and message in err and len(err.strip().splitlines()) == 1


def test_printed_decisions_are_words_and_the_json_keeps_the_codes():
    result = _example()
    text = result.summary().as_text()
    assert "stop for futility" in text and "stop_futility" not in text
    assert {c["decision"] for c in result.to_dict()["cohorts"]} <= {
        "continue", "stop_futility", "stop_efficacy", "stop_toxicity", "go", "no_go"
    }  # fmt: skip


def test_plain_words_say_the_same_call_as_the_notation():
    """Each decision's plain sentence names the decision, the counts and the bound that decided."""
    from adaptive_pilot.interim.decide import plain_reason

    plan = _plans()[0]  # BOP2, looks 10, 20, 30; no early efficacy stop
    table = plan.table
    seen = set()
    for k, n in enumerate(table.looks):
        for x in range(n + 1):
            call = decide_cohort(plan, _counts(n, x))
            text = plain_reason(plan, call)
            seen.add(call.decision)
            assert f"{x} response" in text and f"{n} evaluable patient" in text
            if call.decision == "stop_futility":
                assert text.startswith("The cohort stops")
                assert f"{table.futility[k]} or fewer" in text
            elif call.decision == "go":
                assert text.startswith("Final analysis: GO")
                assert f"the {call.efficacy_bound} a GO" in text
            elif call.decision == "no_go":
                assert "NO-GO" in text and f"a GO needs {call.efficacy_bound}" in text
            elif call.decision == "continue":
                assert text.startswith("The cohort goes on to the next look, at")
                assert f"{table.looks[k + 1]} evaluable patients" in text
    assert seen == {"stop_futility", "continue", "go", "no_go"}
    rule = ap.BOP2Rule(0.05, ap.BetaPrior(0.05, 0.95), 30, 0.83, 0.30)
    toxic = ap.Design.of(
        ap.BayesianDesign(rule, (10, 20, 30)),
        p1=0.2,
        name="c",
        toxicity=ap.ToxicityRule(0.3, 0.9, ap.BetaPrior(0.3, 0.7), (10, 20, 30)),
    )
    call = decide_cohort(toxic, _counts(10, 3, n_toxicity=10, toxicities=7))
    assert call.decision == "stop_toxicity"
    text = plain_reason(toxic, call)
    assert "stops for safety" in text and "7 of 10 patients had a serious side effect" in text
    assert f"the {call.toxicity_bound} the design tolerates" in text


def test_continue_says_why_when_a_final_go_is_already_certain():
    """BOP2 has no early efficacy stop: at 20 of 20 the final GO is certain, yet it continues."""
    from adaptive_pilot.interim.decide import final_go_certain, plain_reason

    plan = _plans()[0]
    final_bound = plan.table.efficacy[-1]
    certain = decide_cohort(plan, _counts(20, final_bound))
    assert certain.decision == "continue"
    assert certain.p_final_go_p0 == pytest.approx(1.0) and final_go_certain(certain)
    assert "a final GO is already certain" in certain.reason
    assert "a final GO is already certain" in plain_reason(plan, certain)
    assert "does not stop early for efficacy" in plain_reason(plan, certain)
    uncertain = decide_cohort(plan, _counts(20, final_bound - 1))
    assert uncertain.decision == "continue" and not final_go_certain(uncertain)
    assert "certain" not in uncertain.reason and "certain" not in plain_reason(plan, uncertain)
