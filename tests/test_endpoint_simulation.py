"""Simulating a trial whose cohorts decide on several endpoints (issue 27, point 2)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from adaptive_pilot.cli import main
from adaptive_pilot.errors import InputError
from adaptive_pilot.simulation.endpoints import simulate_endpoints
from adaptive_pilot.spec import load_design
from adaptive_pilot.spec.scenarios import load_endpoint_scenarios
from endpoint_designs import small_outcome

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO / "designs" / "motivating_trial_endpoints.yaml"


def _design(tmp_path, max_duration="60", incomplete="analyse"):
    text = DESIGN.read_text()
    text = text.replace("  max_duration: 60 ", f"  max_duration: {max_duration} ")
    text = text.replace("  incomplete: analyse ", f"  incomplete: {incomplete} ")
    if max_duration is None:
        text = "\n".join(line for line in text.splitlines() if "max_duration" not in line)
    path = tmp_path / "design.yaml"
    path.write_text(text)
    return load_design(path)


def test_simulated_oc_agree_with_the_exact_oc_within_4_mcse(tmp_path):
    resolved = _design(tmp_path, max_duration=None)
    cohorts, accrual = resolved.endpoint_trial()
    scenarios = resolved.endpoint_design_scenarios()
    result = simulate_endpoints(cohorts, accrual, scenarios, 4000, 7, progress=False)
    exact = resolved.evaluate_endpoints().oc
    assert [s.name for s in scenarios] == list(exact.labels)
    for i, scenario in enumerate(scenarios):
        for cohort in result.cohorts:
            for metric, value in (
                ("p_go", exact.p_go[i]),
                ("p_early_futility", exact.p_early_futility[i]),
                ("p_nogo_final", exact.p_nogo_final[i]),
            ):
                estimate, _ = result.estimate(scenario.name, cohort, metric)
                mcse = np.sqrt(value * (1 - value) / 4000)
                assert abs(estimate - value) <= 4 * mcse + 1e-12, (scenario.name, cohort, metric)


def test_identical_for_any_number_of_workers_and_reproducible(tmp_path):
    resolved = _design(tmp_path)
    cohorts, accrual = resolved.endpoint_trial()
    scenarios = resolved.endpoint_design_scenarios()[:2]
    one = simulate_endpoints(cohorts, accrual, scenarios, 1000, 3, chunk_size=500, progress=False)
    two = simulate_endpoints(
        cohorts, accrual, scenarios, 1000, 3, chunk_size=500, n_jobs=2, progress=False
    )
    assert one.frame.equals(two.frame)
    other = simulate_endpoints(cohorts, accrual, scenarios, 1000, 4, chunk_size=500,
                               progress=False)  # fmt: skip
    assert not one.frame.equals(other.frame)


def test_a_short_enrolment_window_leaves_cohorts_incomplete(tmp_path):
    cohorts, accrual = _design(tmp_path, max_duration="20").endpoint_trial()
    scenarios = _design(tmp_path).endpoint_design_scenarios()[-1:]  # the alternative
    analysed = simulate_endpoints(cohorts, accrual, scenarios, 1000, 5, progress=False)
    cohorts, accrual = _design(tmp_path, "20", "no_go").endpoint_trial()
    no_go = simulate_endpoints(cohorts, accrual, scenarios, 1000, 5, progress=False)
    for cohort in ("G12C", "other"):
        incomplete, _ = analysed.estimate("alternative", cohort, "p_incomplete")
        assert incomplete > 0.5  # 20 months at 0.9-1.5 patients a month
        assert (
            analysed.estimate("alternative", cohort, "p_go")[0]
            > no_go.estimate("alternative", cohort, "p_go")[0]
        )
        assert analysed.estimate("alternative", cohort, "en")[0] <= 30


def test_scenario_files_of_category_probabilities(tmp_path):
    resolved = load_design(DESIGN)
    names = [name for name, _ in resolved.endpoint_cohorts]
    categories = resolved.endpoint_design.rule.categories
    null = "{OR+T: 0.035, OR: 0.065, SD+T: 0.0875, SD: 0.1625, PD+T: 0.2275, PD: 0.4225}"
    active = "{OR+T: 0.05, OR: 0.20, SD+T: 0.06, SD: 0.24, PD+T: 0.09, PD: 0.36}"
    path = tmp_path / "scenarios.yaml"
    path.write_text(
        "scenarios:\n"
        f"  - name: all-null\n    cells: {null}\n"
        f"  - name: G12C-active\n    cells: {{G12D: {null}, G12V: {null}, G12C: {active}, "
        f"other: {null}}}\n"
    )
    scenarios = load_endpoint_scenarios(path, names, categories)
    assert [s.cells.shape for s in scenarios] == [(4, 6), (4, 6)]
    assert scenarios[1].cells[2, 1] == 0.20 and scenarios[1].cells[0, 1] == 0.065
    for text, fragment in (
        (null.replace("0.4225", "0.5"), "sum to"),
        (null.replace("PD:", "PX:"), "'PX' is not a category"),
        (f"{{G12D: {null}}}", r"has no category probabilities for cohort\(s\): G12V"),
    ):
        path.write_text(f"scenarios:\n  - name: bad\n    cells: {text}\n")
        with pytest.raises(InputError, match=fragment):
            load_endpoint_scenarios(path, names, categories)


def test_the_command_line_simulates_the_shipped_design(capsys):
    code = main(["simulate", str(DESIGN), "--n-trials", "500", "--no-progress", "--json"])
    assert code in (0, None)
    payload = json.loads(capsys.readouterr().out)
    assert payload["provenance"]["n_trials"] == 500
    rows = {(r["scenario"], r["cohort"], r["metric"]) for r in payload["results"]}
    assert ("alternative", "G12D", "p_go") in rows and ("alternative", "ALL", "p_any_go") in rows
    with pytest.raises(SystemExit) as stop:
        main(["simulate", str(DESIGN), "--backend", "dask", "--no-progress"])
    assert stop.value.code == 2
    assert "--backend" in capsys.readouterr().err


def test_the_protocol_report_states_the_exact_oc_and_the_simulation(tmp_path):
    import csv

    from adaptive_pilot.glossary import is_glossary_name
    from adaptive_pilot.reports import report, write_report

    resolved = load_design(DESIGN)
    document = report(resolved, scenarios=resolved.endpoint_design_scenarios()[-1:],
                      n_trials=400, seed=2)  # fmt: skip
    written = write_report(document, tmp_path / "out", ("md", "csv"))
    text = (tmp_path / "out" / "report.md").read_text()
    oc = resolved.evaluate_endpoints().oc
    for p in oc.p_go:
        assert f"{p:.4f}" in text
    assert "for both ORR and DCR, or for toxicity" in text and "Chen K, Zhou H" in text
    assert "Simulated operating characteristics" in text and "400 times per scenario" in text
    for path in (p for p in written if p.suffix == ".csv"):
        with open(path, newline="") as handle:
            header = next(csv.reader(handle))
        assert all(is_glossary_name(c) for c in header), (path.name, header)
    # the exact OC figure: one row per scenario, its percentiles of N from the exact stops
    (figure,) = [block for _, block in document.figures()]
    assert figure.name == "exact_oc" and "exact, no Monte Carlo error" in figure.caption
    stops = oc.stop_futility + oc.stop_efficacy
    for s in range(len(oc.labels)):
        below = [n for n, c in zip(oc.looks, np.cumsum(stops[s]), strict=True) if c >= 0.9]
        assert oc.n_quantiles(oc.looks, 0.9)[s] == below[0]
    assert (tmp_path / "out" / "report.md").read_text().count("exact_oc") >= 1
    with pytest.raises(InputError, match="compare"):
        report(resolved, compare=[REPO / "designs" / "bop2_example.yaml"])


def test_borrowing_pools_cohorts_that_share_a_rate(tmp_path):
    text = DESIGN.read_text().replace("n_max: 50", "n_max: 20")
    text = text.replace("looks: [10, 20, 30, 40, 50]", "looks: [10, 20]")
    (tmp_path / "small.yaml").write_text(text)
    resolved = load_design(tmp_path / "small.yaml")
    cohorts, accrual = resolved.endpoint_trial()
    alternative = resolved.endpoint_design_scenarios()[-1:]
    borrowing = resolved.endpoint_borrowing("hierarchical")
    alone = simulate_endpoints(cohorts, accrual, alternative, 600, 9, progress=False)
    pooled = simulate_endpoints(cohorts, accrual, alternative, 600, 9, borrowing=borrowing,
                                chunk_size=300, progress=False)  # fmt: skip
    again = simulate_endpoints(cohorts, accrual, alternative, 600, 9, borrowing=borrowing,
                               chunk_size=300, n_jobs=2, progress=False)  # fmt: skip
    assert pooled.frame.equals(again.frame)
    for cohort in alone.cohorts:  # every cohort at the same rates: borrowing adds power
        with_, se = pooled.estimate("alternative", cohort, "p_go")
        without, _ = alone.estimate("alternative", cohort, "p_go")
        assert with_ > without - 2 * se
    assert "borrowed posterior" in pooled.provenance.details["algorithm"]


SMALL_BORROWED = (
    small_outcome(10, "[5, 10]", 0.7)
    + """\
cohorts:
  - {name: A, prevalence: 0.6}
  - {name: B, prevalence: 0.4}
accrual: {rate: 2, assessment_delay: 1.5, max_duration: 12}
borrowing: {model: hierarchical, mu_sd: 2, tau_sd: 1}
"""
)


def test_borrowed_decisions_follow_the_events_trial_by_trial(tmp_path):
    """The simulator's borrowed decisions, replayed one trial at a time with plain loops:
    looks in calendar order, every cohort's outcomes known by then (a stopped cohort keeps
    the patients it enrolled before it stopped), the rule's decision on the borrowed q."""
    from adaptive_pilot.simulation.endpoints import _borrowed_trials
    from adaptive_pilot.simulation.kernel import accrual_arrivals

    path = tmp_path / "small.yaml"
    path.write_text(SMALL_BORROWED)
    resolved = load_design(path)
    cohorts, accrual = resolved.endpoint_trial()
    borrowing = resolved.endpoint_borrowing()
    rng = np.random.Generator(np.random.PCG64(11))
    arrivals = accrual_arrivals(accrual, np.array([0.6, 0.4]), np.array([10, 10]), rng, 60)
    uniforms = rng.random(arrivals.shape)
    seen: set[int] = set()
    for scenario in resolved.endpoint_design_scenarios():
        code, _, _ = _borrowed_trials(
            tuple(cohorts), accrual, arrivals, uniforms, scenario, borrowing
        )
        _replay(cohorts, accrual, borrowing, scenario, arrivals, uniforms, code)
        seen |= set(code.ravel().tolist())
    assert len(seen) == 5  # GO, NO-GO, futility stops, incomplete NO-GO and GO all met


def _replay(cohorts, accrual, borrowing, scenario, arrivals, uniforms, code):
    from adaptive_pilot.simulation import outcomes as ends

    rule = cohorts[0].design.rule
    edges = np.cumsum(scenario.cells[0])[:-1]
    for b in range(arrivals.shape[0]):
        category = np.searchsorted(edges, uniforms[b], side="right")  # (J, N)
        endpoint = rule.membership[category]  # (J, N, E): the endpoints' counts per patient
        events = sorted(
            (arrivals[b, j, n - 1] + accrual.assessment_delay, j, n)
            for j in range(2) for n in (5, 10)
        )  # fmt: skip
        state = ["active", "active"]
        stopped = [np.inf, np.inf]
        for when, j, n in events:
            if state[j] != "active":
                continue
            if arrivals[b, j, n - 1] > accrual.max_duration:
                state[j] = "incomplete"
                continue
            known = arrivals[b, j, n - 1]
            sizes = [
                int(np.sum(arrivals[b, i] <= min(stopped[i], accrual.max_duration, known)))
                for i in range(2)
            ]
            favourable = np.array(
                [[endpoint[i, : sizes[i]].sum(axis=0) for i in range(2)]]
            )  # (1, J, E)
            q = borrowing.prob_better(np.array([sizes]), favourable, np.array([j]), np.float32)
            decision = rule.decide_on(n, q[0])
            if decision != "continue":
                state[j], stopped[j] = decision, when
        expected = {"go": ends.GO, "no_go": ends.NOGO, "stop_futility": ends.FUTILITY,
                    "stop_efficacy": ends.EFFICACY}  # fmt: skip
        # a cohort cut short is analysed once every outcome is known, at the n it reached
        ended = [int(np.sum(arrivals[b, i] <= min(stopped[i], accrual.max_duration)))
                 for i in range(2)]  # fmt: skip
        favourable = np.array([[endpoint[i, : ended[i]].sum(axis=0) for i in range(2)]])
        for j in range(2):
            if state[j] == "incomplete":
                if ended[j] == 0:
                    assert code[b, j] == ends.INCOMPLETE
                    continue
                q = borrowing.prob_better(np.array([ended]), favourable, np.array([j]),
                                          np.float32)  # fmt: skip
                nogo, _ = rule.stops(10, q, final=True)
                assert code[b, j] == (ends.INCOMPLETE if nogo[0] else ends.INCOMPLETE_GO)
            else:
                assert code[b, j] == expected[state[j]], (b, j, state[j], code[b, j])


def test_prior_sensitivity_of_a_design_on_several_endpoints(tmp_path, capsys):
    resolved = load_design(DESIGN)
    code = main(["sensitivity", str(DESIGN), "--json"])
    assert code in (0, None)
    rows = json.loads(capsys.readouterr().out)["sensitivity"]
    exact = resolved.evaluate_endpoints().oc
    designed = [r for r in rows if r["prior"].startswith("as designed")]
    assert [r["p_go"] for r in designed] == pytest.approx(list(exact.p_go), abs=1e-15)
    # the ESS x 5 row is the design file with that prior written in it
    prior = resolved.endpoint_design.rule.prior
    a = dict(zip(exact.categories, (5 * v for v in prior.concentration), strict=True))
    text = DESIGN.read_text().replace(
        "  toxicity_grade: 3\n",
        "  toxicity_grade: 3\n  prior: {" + ", ".join(f"{k}: {v!r}" for k, v in a.items()) + "}\n",
    )
    (tmp_path / "ess5.yaml").write_text(text)
    again = load_design(tmp_path / "ess5.yaml").evaluate_endpoints().oc
    five = [r for r in rows if r["prior"].startswith("ESS x 5")]
    assert [r["p_go"] for r in five] == pytest.approx(list(again.p_go), abs=1e-15)
