"""Validation of an installation (issue 28, point 3): the shipped third-party reference
numbers reproduced, the cross-checks, the comparison rules, the report and the command.

Every third-party number the suite checks lives in ``validation/references/`` with its
source, the call that produced it and its tolerance; this file runs each set.
"""

from __future__ import annotations

import dataclasses
import json
import math

import docx
import pytest

import adaptive_pilot as ap
from adaptive_pilot.validation import catalogue, run
from adaptive_pilot.validation.catalogue import Expected, Tolerance, reference_sets
from adaptive_pilot.validation.compare import compare
from adaptive_pilot.validation.computations import COMPUTATIONS, Figure
from adaptive_pilot.validation.cross_checks import CROSS_CHECKS
from test_cli import run as run_cli

SETS = {r.id: r for r in reference_sets()}
#: the sets that take seconds (exact enumeration, simulation, MAP prior)
SLOW_SETS = {"bhmbasket_exnex_oc"}


def _failures(outcome: run.SetOutcome) -> list[str]:
    lines = [outcome.error] if outcome.error else []
    return lines + [
        f"{c.case} {c.quantity}: reference {c.reference_value}, value {c.computed_value}, "
        f"difference {c.difference}, {c.tolerance}"
        for c in outcome.checks
        if not c.passed
    ]


# ------------------------------------------------------------------ every reference set
@pytest.mark.parametrize(
    "set_id",
    [pytest.param(s, marks=pytest.mark.slow) if s in SLOW_SETS else s for s in SETS],
)
def test_every_reference_set_is_reproduced(set_id):
    outcome = run._run_set(SETS[set_id])
    assert outcome.checks, "no figure compared"
    assert sum(len(c.expected) for c in SETS[set_id].cases) <= len(outcome.checks)
    assert outcome.passed, "\n".join(_failures(outcome))


#: The NUTS cross-checks compile a PyMC model per dataset (about 20 s in all): they run
#: where the full validation runs, in `make release-check` (CI, on the installed wheel),
#: `make docs` and `adaptive-pilot validate`, not again in the suite.
NUTS_CHECKS = {"quadrature_vs_nuts", "exnex_quadrature_vs_nuts"}


@pytest.mark.parametrize(
    "check",
    [pytest.param(c, marks=pytest.mark.slow) if not c.quick else c
     for c in CROSS_CHECKS if c.id not in NUTS_CHECKS],
    ids=lambda c: c.id,
)  # fmt: skip
def test_every_cross_check_passes(check):
    outcome = run._run_cross_check(check)
    assert outcome.checks
    assert outcome.passed, "\n".join(_failures(outcome))


def test_every_reference_set_says_where_its_numbers_came_from():
    assert len(SETS) >= 20
    sources = " ".join(r.software + r.source for r in SETS.values())
    for package in ("clinfun", "desmon", "ph2bayes", "phase1b", "RBesT", "SAMprior", "BOP2FE",
                    "bhmbasket", "bmabasket", "goldilocks", "Simon", "Lee"):  # fmt: skip
        assert package in sources, package
    for reference in SETS.values():
        assert reference.computation in COMPUTATIONS, reference.id
        assert len(reference.source) > 20 and len(reference.produced_by) > 40, reference.id
        for case in reference.cases:
            assert case.expected, (reference.id, case.name)
            for quantity in case.expected:
                tol = reference.tolerance_for(case, quantity)
                inexact = tol.absolute or tol.relative or tol.mcse or tol.low or tol.high
                assert not inexact or tol.why, (reference.id, quantity, "a tolerance needs a why")
    quick = [r for r in SETS.values() if r.quick]
    assert 10 <= len(quick) < len(SETS)


def test_the_two_stage_inference_references_are_read_from_their_csv():
    reference = SETS["two_stage_inference"]
    assert len(reference.cases) == 70
    first = reference.cases[0]
    assert first.inputs == {"n1": 10, "r1": 1, "n": 29, "p0": 0.1, "x": 0}
    assert first.expected["clinfun_lcl"].value is None  # NA in R: no interval
    tol = reference.tolerance_for(first, "desmon_unbiased")
    assert tol.absolute == 1e-9  # the most specific pattern wins over desmon_*
    assert reference.tolerance_for(first, "desmon_bcmle").absolute == 2e-4


# ------------------------------------------------------------------ the comparison
def test_comparisons_pass_within_and_fail_outside_their_tolerance():
    tol = Tolerance(absolute=1e-3, why="printed to three decimals")

    def one(ref, value, tolerance=tol):
        rows = compare("s", "c", "q", Expected(ref), value, tolerance)
        return [r.passed for r in rows]

    assert one(0.047, 0.0471) == [True]
    assert one(0.047, 0.0485) == [False]
    assert one([0.1, 0.2], [0.1002, 0.25]) == [True, False]  # numbers: one row each
    assert one([1, 10, 5, 29], [1, 10, 5, 29]) == [True]  # integers: one row, exact
    assert one([1, 10, 5, 29], [1, 10, 5, 30]) == [False]
    assert one(None, None) == [True] and one(None, 0.3) == [False] and one(0.3, None) == [False]
    assert one(None, math.nan) == [True]
    assert one("upper", "upper") == [True] and one("upper", "lower") == [False]
    assert one([0.1, 0.2], [0.1]) == [False]  # a list of the wrong length
    grid = Tolerance(low=-1e-4, high=0.0, why="a grid above")
    assert one(0.0052, 0.00515, grid) == [True]
    assert one(0.0052, 0.00521, grid) == [False]  # on the wrong side of the grid point
    assert one(0.0052, 0.0050, grid) == [False]  # more than a grid step away


def test_monte_carlo_tolerances_combine_both_sides_errors():
    tol = Tolerance(mcse=4, simulated=10_000, why="4 MCSE")
    exact = Figure(0.5, sd=0.5)  # exact value, simulated reference: SE = 0.5 / 100
    (row,) = compare("s", "c", "q", Expected(0.519), exact, tol)
    assert row.allowed_difference == pytest.approx(0.02) and row.passed
    (row,) = compare("s", "c", "q", Expected(0.521), exact, tol)
    assert not row.passed
    both = Figure(0.5, sd=0.5, se=0.005)  # and a simulated value
    (row,) = compare("s", "c", "q", Expected(0.525), both, tol)
    assert row.allowed_difference == pytest.approx(4 * math.hypot(0.005, 0.005)) and row.passed
    stated = Expected(0.5, se=0.01)  # a reference with its own standard error
    (row,) = compare("s", "c", "q", stated, 0.539, Tolerance(mcse=4, why="4 MCSE"))
    assert row.passed


def test_a_wrong_reference_number_fails_the_run(monkeypatch):
    tampered = _tampered("lee_liu_2008", "predictive_probability", 0.5756)
    monkeypatch.setattr(run, "reference_sets", lambda: (tampered,))
    result = ap.validate(only=["lee_liu_2008"])
    assert not result.passed and result.n_failed == 1
    assert result.verdict().startswith("FAILED")
    assert "Failed checks" in result.summary().as_text()


def test_a_computation_that_raises_is_a_failure_not_a_crash(monkeypatch):
    def broken(**_):
        raise ZeroDivisionError("boom")

    monkeypatch.setitem(COMPUTATIONS, "predictive_probability", broken)
    result = ap.validate(only=["lee_liu_2008"])
    assert not result.passed
    assert "ZeroDivisionError: boom" in result.outcomes[0].error
    assert "the computation failed" in result.summary().as_text()


def _tampered(set_id: str, quantity: str, value: float) -> catalogue.ReferenceSet:
    reference = SETS[set_id]
    case = reference.cases[0]
    expected = {**case.expected, quantity: Expected(value)}
    cases = (dataclasses.replace(case, expected=expected), *reference.cases[1:])
    return dataclasses.replace(reference, cases=cases)


def test_unknown_set_names_are_refused():
    with pytest.raises(ap.InputError, match="unknown check 'clinfun'"):
        ap.validate(only=["clinfun"])


# ------------------------------------------------------------------ the command
def test_validate_quick_writes_a_dated_signable_report(capsys, tmp_path):
    out = tmp_path / "validation"
    chosen = ["clinfun_toxbdry", "simon_1989", "simulator_vs_exact_oc"]  # in run order
    code, stdout, stderr = run_cli(capsys, "validate", "--only", *chosen, "--out", str(out),
                                   "--format", "html,docx,json,csv")  # fmt: skip
    assert code == 0, stderr
    assert stdout.splitlines()[1].startswith("PASSED: adaptive_pilot")
    assert "[1/3]" in stderr  # progress
    payload = json.loads((out / "validation.json").read_text())
    assert payload["passed"] is True and payload["quick"] is False
    assert payload["versions"]["numpy"] and payload["platform"]["python"]
    assert [s["reference_set"] for s in payload["sets"]] == chosen
    for part in payload["sets"]:
        assert part["passed"] and part["source"] and part["produced_by"]
        for check in part["checks"]:
            assert {"reference_value", "computed_value", "difference", "tolerance"} <= set(check)
    html = (out / "report.html").read_text()
    for text in ("Verdict and sign-off", "Reviewed by (QA)", "numpy version", "PASSED",
                 "b &lt;- toxbdry(pLo, pHi, n", "Reference set simon_1989"):  # fmt: skip
        assert text in html, text
    document = docx.Document(str(out / "report.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert headings[:3] == [
        "Verdict and sign-off",
        "Installation",
        "Reference sets and cross-checks",
    ]
    signoff = document.tables[0]
    assert [c.text for c in signoff.rows[0].cells] == ["role", "name", "signature", "date"]
    assert len(document.tables) == 3 + len(payload["sets"])
    assert any(p.name.endswith(".csv") for p in (out / "tables").iterdir())


def test_quick_runs_the_quick_subset(monkeypatch):
    ran = []

    def record(item):
        ran.append(item.id)
        return run.SetOutcome(item.id, "reference", "", "", "", "", 0, (), 0.0)

    monkeypatch.setattr(run, "_run_set", record)
    monkeypatch.setattr(run, "_run_cross_check", record)
    assert ap.validate(quick=True).quick
    quick = [r.id for r in SETS.values() if r.quick] + [c.id for c in CROSS_CHECKS if c.quick]
    assert ran[0] == "installed_files"  # the installation first
    assert sorted(ran) == sorted(quick) and "goldilocks" not in ran
    assert "simulator_vs_exact_oc" in ran
    ran.clear()
    ap.validate()
    assert sorted(ran) == sorted([*SETS, *(c.id for c in CROSS_CHECKS)])


def test_validate_exits_1_when_a_check_fails(capsys, tmp_path, monkeypatch):
    tampered = _tampered("simon_1989_oc", "en", [16.0])
    monkeypatch.setattr(run, "reference_sets", lambda: (tampered,))
    code, stdout, _ = run_cli(capsys, "validate", "--only", "simon_1989_oc", "--out",
                              str(tmp_path / "v"), "--no-progress")  # fmt: skip
    assert code == 1
    assert "FAILED" in stdout and "Failed checks" in stdout
    html = (tmp_path / "v" / "report.html").read_text()
    assert "Checks outside their tolerance" in html
    assert json.loads((tmp_path / "v" / "validation.json").read_text())["passed"] is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format", "pdf", "--out", "x"], "--format: unknown format 'pdf'; allowed: html"),
        (["--format", "html"], "--format: is used only with --out"),
        (["--only", "nope"], "--only: unknown check 'nope'"),
    ],
)
def test_bad_options_get_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    code, stdout, stderr = run_cli(capsys, "validate", *argv)
    assert code == 2 and stdout == ""
    assert len(stderr.strip().splitlines()) == 1 and message in stderr, stderr
    assert not (tmp_path / "x").exists()


def test_list_names_every_set_and_cross_check(capsys):
    code, stdout, _ = run_cli(capsys, "validate", "--list")
    assert code == 0
    for name in [*SETS, *(c.id for c in CROSS_CHECKS)]:
        assert name in stdout


# ------------------------------------------------------------------ the installed files
def test_a_changed_or_missing_installed_file_is_named(tmp_path, monkeypatch):
    import base64
    import hashlib
    from importlib import metadata

    from adaptive_pilot.validation import installation

    site = tmp_path / "site-packages"
    info = site / "adaptive_pilot-9.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: adaptive-pilot\nVersion: 9.0\n")
    (site / "kept.py").write_text("x = 1\n")
    (site / "changed.py").write_text("x = 1\n")
    digest = base64.urlsafe_b64encode(hashlib.sha256(b"x = 1\n").digest()).rstrip(b"=").decode()
    (info / "RECORD").write_text(
        "".join(f"{name},sha256={digest},6\n" for name in ("kept.py", "changed.py", "gone.py"))
        + "adaptive_pilot-9.0.dist-info/RECORD,,\n"
    )
    monkeypatch.setattr(metadata, "distribution", lambda name: metadata.PathDistribution(info))
    (site / "changed.py").write_text("x = 2\n")
    rows = installation.installed_files()
    assert [(r.case, r.quantity, r.passed) for r in rows] == [
        ("RECORD", "files matching their recorded hash", False),
        ("changed.py", "sha256", False),
        ("gone.py", "sha256", False),
    ]
    assert (rows[0].reference_value, rows[0].computed_value) == ("3", "1")
    assert rows[2].computed_value == "missing"
    assert "a regular install" in installation.describe_installation()
