"""The interim call of a design on several endpoints (issue 27, point 2)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
from scipy import stats

from adaptive_pilot.cli import main
from adaptive_pilot.dsmb.run import run_interim
from adaptive_pilot.errors import InputError
from adaptive_pilot.interim import audit
from adaptive_pilot.interim.endpoints import EndpointInterimResult
from adaptive_pilot.spec import load_design

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO / "designs" / "motivating_trial_endpoints.yaml"
PATIENTS = REPO / "designs" / "motivating_trial_synthetic_patients.csv"
AS_OF = dt.date(2026, 6, 30)

CATEGORIES = """\
    OR+T: {response: [CR, PR], toxicity: yes}
    OR: {response: [CR, PR], toxicity: no}
    SD+T: {response: [SD, NON-CR/NON-PD], toxicity: yes}
    SD: {response: [SD, NON-CR/NON-PD], toxicity: no}
    PD+T: {response: [PD, NE], toxicity: yes}
    PD: {response: [PD, NE], toxicity: no}
"""

SMALL = f"""\
outcome:
  categories:
{CATEGORIES}  endpoints:
    ORR: {{categories: [OR+T, OR]}}
    DCR: {{categories: [OR+T, OR, SD+T, SD]}}
    toxicity: {{categories: [OR+T, SD+T, PD+T], better: lower}}
  require: (ORR or DCR) and toxicity
  nulls: {{OR+T: 0.035, OR: 0.065, SD+T: 0.0875, SD: 0.1625, PD+T: 0.2275, PD: 0.4225}}
  alternatives: {{OR+T: 0.05, OR: 0.20, SD+T: 0.06, SD: 0.24, PD+T: 0.09, PD: 0.36}}
n_max: 8
looks: [4, 8]
rule: {{type: bop2, lambda: 0.9, gamma: 1.0}}
cohorts:
  - {{name: A, prevalence: 0.5}}
  - {{name: B, prevalence: 0.5}}
"""


def _by_hand(path, as_of, min_grade=3):
    """Category counts per cohort, written out from the CSV with the csv module."""
    out: dict[str, dict[str, int]] = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            if dt.date.fromisoformat(row["enrolled"]) > as_of:
                continue
            if not row["response"] or dt.date.fromisoformat(row["response_date"]) > as_of:
                continue
            tox = bool(row["toxicity_grade"]) and int(row["toxicity_grade"]) >= min_grade
            response = row["response"]
            kind = {"CR": "OR", "PR": "OR", "SD": "SD", "NON-CR/NON-PD": "SD"}.get(response, "PD")
            name = kind + ("+T" if tox else "")
            cohort = out.setdefault(row["cohort"], {})
            cohort[name] = cohort.get(name, 0) + 1
    return out


def test_counts_posteriors_and_decisions_match_a_hand_computation():
    resolved = load_design(DESIGN)
    result = run_interim(DESIGN, data=PATIENTS, as_of=AS_OF)
    assert isinstance(result, EndpointInterimResult)
    hand = _by_hand(PATIENTS, AS_OF)
    rule = resolved.endpoint_design.rule
    a = dict(zip(rule.categories, rule.prior.concentration, strict=True))
    total = sum(a.values())
    for call in result.calls:
        expected = hand.get(call.cohort, {})
        assert {k: v for k, v in call.categories.items() if v} == expected, call.cohort
        n = call.n_evaluable
        weak = {}
        for row, endpoint in zip(call.endpoints, rule.endpoints, strict=True):
            x = sum(expected.get(c, 0) for c in endpoint.categories)
            a_e = sum(a[c] for c in endpoint.categories)
            posterior = stats.beta(a_e + x, total - a_e + n - x)
            if endpoint.better == "higher":
                q = posterior.sf(endpoint.threshold)
            else:
                q = posterior.cdf(endpoint.threshold)
            assert row["x"] == x and row["prob_better"] == pytest.approx(q, abs=1e-12)
            assert row["posterior_mean"] == pytest.approx(posterior.mean(), abs=1e-12)
            weak[endpoint.name] = q < rule.lam * (n / rule.n_max) ** rule.gamma
        stop = (weak["ORR"] and weak["DCR"]) or weak["toxicity"]
        assert call.decision == ("stop_futility" if stop else "continue")
    assert result.decisions() == {c: "continue" for c in ("G12D", "G12V", "G12C", "other")}
    payload = result.to_dict()
    json.dumps(payload, allow_nan=False)
    assert payload["provenance"]["design_hash"] == resolved.design_hash()
    assert {r["cohort"] for r in payload["endpoints"]} == {"G12D", "G12V", "G12C", "other"}


def _patients(tmp_path, rows, header="patient_id,cohort,enrolled,response,response_date,"
              "toxicity_grade"):  # fmt: skip
    path = tmp_path / "patients.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def _row(i, cohort, response, grade="", day=1, extra=""):
    date = f"2026-01-{day:02d}"
    assessed = f"2026-03-{day:02d}" if response else ""
    return f"P{i},{cohort},{date},{response},{assessed},{grade}{extra}"


def test_planned_unplanned_final_and_pending(tmp_path):
    design = tmp_path / "design.yaml"
    design.write_text(SMALL)
    rows = []
    # cohort A: 4 evaluable at the planned look, all progressing with toxicity: futility
    rows += [_row(i, "A", "PD", "3") for i in range(1, 5)]
    rows += [_row(5, "A", "", "")]  # response not yet known: pending
    # cohort B: 8 evaluable (the final analysis), 3 responses without toxicity: GO
    responses = ["PR", "CR", "PR", "SD", "SD", "PD", "NE", "NON-CR/NON-PD"]
    rows += [_row(10 + i, "B", r, "1") for i, r in enumerate(responses)]
    result = run_interim(design, data=_patients(tmp_path, rows), as_of=AS_OF)
    a, b = result.calls
    assert a.n_evaluable == 4 and a.pending == 1 and a.planned_look and a.look == 1
    assert a.categories["PD+T"] == 4 and a.decision == "stop_futility"
    assert b.final and b.categories == {"OR+T": 0, "OR": 3, "SD+T": 0, "SD": 3, "PD+T": 0,
                                        "PD": 2}  # fmt: skip
    assert b.decision == "go"
    # an unplanned look (n = 5 in A, with one more response) is flagged
    rows[4] = _row(5, "A", "PR", "1")
    result = run_interim(design, data=_patients(tmp_path, rows), as_of=AS_OF)
    assert not result.calls[0].planned_look
    assert any("unplanned look at n = 5" in note for note in result.notes)


def test_unknown_toxicity_status_is_pending_not_guessed(tmp_path):
    design = tmp_path / "design.yaml"
    design.write_text(SMALL)
    header = "patient_id,cohort,enrolled,response,response_date,dlt"
    rows = [_row(1, "A", "PR", "yes"), _row(2, "A", "SD", "no"), _row(3, "A", "PD", "")]
    result = run_interim(design, data=_patients(tmp_path, rows, header), as_of=AS_OF)
    call = result.calls[0]
    assert call.n_evaluable == 2 and call.pending == 1
    assert call.categories["OR+T"] == 1 and call.categories["SD"] == 1
    assert any("no toxicity status yet" in note for note in result.notes)


def test_the_call_is_recorded_signed_and_reported(tmp_path, capsys):
    database, out = tmp_path / "audit.db", tmp_path / "out"
    code = main(["interim", str(DESIGN), "--data", str(PATIENTS), "--as-of", "2026-06-30",
                 "--audit", str(database), "--analyst", "A. Analyst", "--out", str(out),
                 "--format", "json"])  # fmt: skip
    printed = json.loads(capsys.readouterr().out)
    assert code in (0, None)
    assert printed["audit"]["id"] == 1
    (record,) = audit.read_records(database)
    assert [d["cohort"] for d in record.payload["decisions"]] == ["G12D", "G12V", "G12C", "other"]
    assert record.payload["decisions"][0]["categories"]["SD"] == 6
    assert audit.verify(database).ok
    closed = (out / "closed_report.html").read_text()
    opened = (out / "open_report.html").read_text()
    assert "P(better)" in closed and "CLOSED" in closed
    assert closed.count("<svg") == 4 and "Figures by cohort" in closed
    assert "OPEN" in opened and "P(better)" not in opened and "continue" not in opened
    assert json.loads((out / "decision.json").read_text())["audit"]["id"] == 1


def test_categories_without_patient_definitions_cannot_make_a_call(tmp_path):
    text = SMALL.replace(CATEGORIES, "").replace(
        "  categories:\n", "  categories: [OR+T, OR, SD+T, SD, PD+T, PD]\n"
    )
    design = tmp_path / "design.yaml"
    design.write_text(text)
    with pytest.raises(InputError, match=r"outcome\.categories: must say which patients"):
        run_interim(design, data=PATIENTS, as_of=AS_OF)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (("PD: {response: [PD, NE], toxicity: no}", "PD: {response: [PD], toxicity: no}"),
         "best response NE without a toxicity falls in no category"),
        (("SD: {response: [SD, NON-CR/NON-PD], toxicity: no}",
          "SD: {response: [SD, NON-CR/NON-PD, PD], toxicity: no}"),
         "falls in two categories (SD, PD)"),
        (("OR: {response: [CR, PR], toxicity: no}", "OR: {response: [CR, XR], toxicity: no}"),
         "'XR' is not a RECIST 1.1 best response"),
    ],
)  # fmt: skip
def test_categories_must_hold_every_patient_once(tmp_path, change, fragment):
    design = tmp_path / "design.yaml"
    design.write_text(SMALL.replace(*change))
    with pytest.raises(InputError) as info:
        load_design(design)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_borrowed_posteriors_are_berrys_model_of_each_endpoint(tmp_path):
    """Each endpoint's q equals Berry's model fitted to that endpoint's favourable counts
    (the response count, or patients without a toxicity), computed here directly."""
    import math

    import numpy as np

    from adaptive_pilot.cohorts.hierarchical import HierarchicalModel
    from adaptive_pilot.cohorts.prior import HierarchicalPrior

    result = run_interim(DESIGN, data=PATIENTS, as_of=AS_OF, analysis="hierarchical")
    hand = _by_hand(PATIENTS, AS_OF)
    cohorts = [c.cohort for c in result.calls]
    n = np.array([sum(hand[c].values()) for c in cohorts])
    groups = {"ORR": ("OR+T", "OR"), "DCR": ("OR+T", "OR", "SD+T", "SD"),
              "toxicity": ("OR+T", "SD+T", "PD+T")}  # fmt: skip
    for endpoint, categories in groups.items():
        x = np.array([sum(hand[c].get(k, 0) for k in categories) for c in cohorts])
        threshold = 0.35 if endpoint != "ORR" else 0.10
        if endpoint == "toxicity":  # lower is better: patients without a toxicity
            x, threshold = n - x, 1 - threshold
        logit = math.log(threshold / (1 - threshold))
        model = HierarchicalModel(HierarchicalPrior(logit, 2.0, 1.0), [logit])
        q = model.prob_greater(n, x, [threshold] * len(cohorts))
        got = [next(r["prob_better"] for r in c.endpoints if r["endpoint"] == endpoint)
               for c in result.calls]  # fmt: skip
        assert got == pytest.approx(q, abs=1e-12), endpoint
    assert result.provenance.details["analysis"] == "hierarchical"
    assert all(c.reason.startswith("borrowed posteriors") for c in result.calls)
    with pytest.raises(InputError, match="independent or hierarchical"):
        run_interim(DESIGN, data=PATIENTS, as_of=AS_OF, analysis="exnex")


def test_the_app_card_shows_every_endpoint_and_the_decision():
    from adaptive_pilot.app.interim_page import _endpoint_cards

    result = run_interim(DESIGN, data=PATIENTS, as_of=AS_OF)
    page = str(_endpoint_cards(result))
    assert page.count('class="card') >= 4 or page.count("ap-cohort") == 4
    for cohort in ("G12D", "G12V", "G12C", "other"):
        assert f'data-cohort="{cohort}"' in page
    assert "P(better)" in page and 'data-decision="continue"' in page
    assert "for both ORR and DCR, or for toxicity" in page
    assert page.count("<svg") == 4 and 'aria-label="Cohort G12D' in page
