"""Unconfirmed responses at an interim call (issue 27, point 4: count, pending or weighted)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from adaptive_pilot.dsmb.run import run_interim
from adaptive_pilot.errors import InputError
from adaptive_pilot.patients import DataError

REPO = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2026, 6, 30)

BINARY = """\
endpoint: {{name: ORR, unconfirmed: {mode}}}
hypotheses: {{p0: 0.1, p1: 0.3}}
prior: {{a: 0.1, b: 0.9}}
n_max: 20
looks: [10, 20]
rule: {{type: bop2, lambda: 0.8, gamma: 1.0}}
"""


def _patients(tmp_path, confirmed=("yes", "no", "")):
    """Ten evaluable patients: three PR (confirmed as given), seven PD."""
    rows = ["patient_id,cohort,enrolled,response,response_date,confirmed"]
    for i, value in enumerate(confirmed):
        rows.append(f"P{i},design,2026-01-0{i + 1},PR,2026-03-01,{value}")
    for i in range(len(confirmed), 10):
        rows.append(f"P{i},design,2026-01-{i + 1:02d},PD,2026-03-01,")
    path = tmp_path / "patients.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def _design(tmp_path, mode):
    path = tmp_path / f"design_{mode}.yaml"
    path.write_text(BINARY.format(mode=mode))
    return path


def test_pending_waits_for_confirmation_and_count_counts(tmp_path):
    data = _patients(tmp_path)
    pending = run_interim(_design(tmp_path, "pending"), data=data, as_of=AS_OF).calls[0]
    counted = run_interim(_design(tmp_path, "count"), data=data, as_of=AS_OF).calls[0]
    # "no" and an empty answer are both unconfirmed: two of the three PR
    assert (counted.n_evaluable, counted.responses, counted.pending) == (10, 3, 0)
    assert (pending.n_evaluable, pending.responses, pending.pending) == (8, 1, 2)
    result = run_interim(_design(tmp_path, "pending"), data=data, as_of=AS_OF)
    assert any("2 unconfirmed response(s) wait for their confirmation" in n for n in result.notes)
    # at the planned look (10 evaluable) with three responses the cohort continues; with
    # one response in 8 (an unplanned look) the rule decides at n = 8
    assert counted.planned_look and not pending.planned_look


def test_without_the_column_every_response_counts(tmp_path):
    path = _patients(tmp_path)
    lines = [line.rsplit(",", 1)[0] for line in path.read_text().strip().splitlines()]
    path.write_text("\n".join(lines) + "\n")
    call = run_interim(_design(tmp_path, "pending"), data=path, as_of=AS_OF).calls[0]
    assert (call.n_evaluable, call.responses, call.pending) == (10, 3, 0)


def test_a_bad_confirmation_answer_is_listed_by_row(tmp_path):
    with pytest.raises(DataError) as info:
        run_interim(_design(tmp_path, "pending"), data=_patients(tmp_path, ("maybe",)),
                    as_of=AS_OF)  # fmt: skip
    text = " ".join(info.value.lines)
    assert "confirmed" in text and "row" in text and "yes" in text, text


WEIGHTED = """\
endpoint:
  name: ORR
  unconfirmed: weighted
  confirmation: {c}
  confirmation_source: share of first responses confirmed in earlier trials of the class
hypotheses: {{p0: 0.1, p1: 0.3}}
prior: {{a: 0.1, b: 0.9}}
n_max: 20
looks: [10, 20]
rule: {{type: {rule}}}
"""


def _weighted(tmp_path, c, rule="bop2, lambda: 0.8, gamma: 1.0"):
    path = tmp_path / f"weighted_{c}.yaml"
    path.write_text(WEIGHTED.format(c=c, rule=rule))
    return path


@pytest.mark.parametrize("c", [0.0, 0.35, 0.8, 1.0])
def test_weighted_is_the_mixture_over_the_number_confirmed_by_hand(tmp_path, c):
    """Three PR among ten, two unconfirmed: with k of the two confirmed (Binomial(2, c)),
    P(p > p0) and BOP2's statistic P(p > p0 | data) are mixtures over k, computed here from
    scipy's Beta; the cut-off at the planned look n = 10 is 1 - 0.8 (10/20)^1 = 0.6."""
    from math import comb

    from scipy import stats

    data = _patients(tmp_path)
    call = run_interim(_weighted(tmp_path, c), data=data, as_of=AS_OF).calls[0]
    weights = [comb(2, k) * c**k * (1 - c) ** (2 - k) for k in range(3)]
    by_k = [stats.beta.sf(0.1, 0.1 + 1 + k, 0.9 + 10 - 1 - k) for k in range(3)]
    mixed = sum(w * p for w, p in zip(weights, by_k, strict=True))
    assert call.prob_gt_p0 == pytest.approx(mixed, abs=1e-12)
    assert (call.n_evaluable, call.responses, call.pending) == (10, 1, 0)
    cutoff = 0.8 * (10 / 20) ** 1.0
    # BOP2 stops for futility if P(p <= p0 | data) > 1 - cutoff, i.e. P(p > p0) < cutoff
    expected = "stop_futility" if mixed < cutoff else "continue"
    assert call.decision == expected
    assert f"{mixed:.4f}" in call.reason
    # c = 1 is "count", c = 0 treats both as non-responders
    if c == 1.0:
        counted = run_interim(_design(tmp_path, "count"), data=data, as_of=AS_OF).calls[0]
        assert call.decision == counted.decision
        assert call.prob_gt_p0 == pytest.approx(counted.prob_gt_p0, abs=1e-12)


def test_weighted_notes_state_the_model_and_its_source(tmp_path):
    result = run_interim(_weighted(tmp_path, 0.8), data=_patients(tmp_path), as_of=AS_OF)
    note = next(n for n in result.notes if "weighted" in n)
    assert "probability 0.8" in note and "earlier trials of the class" in note


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("unconfirmed: weighted\n  confirmation: 0.8\n", "confirmation_source"),
        ("unconfirmed: weighted\n", "needs endpoint.confirmation"),
        ("unconfirmed: count\n  confirmation: 0.8\n", "read only with weighted"),
    ],
)
def test_weighted_settings_are_checked_in_one_line(tmp_path, text, message):
    path = tmp_path / "d.yaml"
    path.write_text(
        f"endpoint:\n  name: ORR\n  {text}hypotheses: {{p0: 0.1, p1: 0.3}}\nn_max: 20\n"
        "looks: [10, 20]\nrule: {type: bop2, lambda: 0.8, gamma: 1.0}\n"
    )
    with pytest.raises(InputError, match=message):
        run_interim(path, data=_patients(tmp_path), as_of=AS_OF)


def test_weighted_is_refused_for_count_only_rules(tmp_path):
    path = _weighted(tmp_path, 0.8, rule="simon, r1: 1, n1: 10, r: 3, n: 20")
    with pytest.raises(InputError, match="decides on counts only"):
        run_interim(path, data=_patients(tmp_path), as_of=AS_OF)


def _unconfirmed_patients(tmp_path):
    """The shipped synthetic patients with every CR/PR not (yet) confirmed."""
    patients = REPO / "designs" / "motivating_trial_synthetic_patients.csv"
    lines = patients.read_text().strip().splitlines()
    at = lines[0].split(",").index("response")
    out = [lines[0] + ",confirmed"]
    for line in lines[1:]:
        out.append(line + ("," + ("no" if line.split(",")[at] in ("PR", "CR") else "yes")))
    path = tmp_path / "patients.csv"
    path.write_text("\n".join(out) + "\n")
    return patients, path


def test_designs_on_several_endpoints_keep_unconfirmed_responses_pending(tmp_path):
    design = REPO / "designs" / "motivating_trial_endpoints.yaml"
    patients, path = _unconfirmed_patients(tmp_path)
    before = run_interim(design, data=patients, as_of=AS_OF)
    after = run_interim(design, data=path, as_of=AS_OF)
    for old, new in zip(before.calls, after.calls, strict=True):
        responders = old.categories["OR+T"] + old.categories["OR"]
        assert new.categories["OR+T"] + new.categories["OR"] == 0
        assert new.n_evaluable == old.n_evaluable - responders
        assert new.pending == old.pending + responders
    assert any("wait for their confirmation" in n for n in after.notes)
    counted = design.read_text().replace(
        "endpoint: {name: ORR / DCR / toxicity,",
        "endpoint: {unconfirmed: count, name: ORR / DCR / toxicity,",
    )
    (tmp_path / "count.yaml").write_text(counted)
    again = run_interim(tmp_path / "count.yaml", data=path, as_of=AS_OF)
    assert [c.categories for c in again.calls] == [c.categories for c in before.calls]


@pytest.mark.parametrize("c", [0.0, 0.6, 1.0])
def test_weighted_on_several_endpoints_is_the_mixture_over_each_patients_confirmation(tmp_path, c):
    """Every CR/PR unconfirmed; each is confirmed with probability c, otherwise its best
    response is SD (RECIST 1.1), in the same toxicity row. Brute force: the 2^u ways the
    cohort's u unconfirmed patients may turn out, one by one, each endpoint's P(better)
    from the rule on those counts, weighted by c^k (1 - c)^(u - k)."""
    import itertools

    import numpy as np

    from adaptive_pilot.spec import load_design

    design = REPO / "designs" / "motivating_trial_endpoints.yaml"
    _, path = _unconfirmed_patients(tmp_path)
    text = design.read_text().replace(
        "endpoint: {name: ORR / DCR / toxicity,",
        f"endpoint: {{unconfirmed: weighted, confirmation: {c}, confirmation_source: "
        "earlier trials of the class, name: ORR / DCR / toxicity,",
    )
    weighted_file = tmp_path / "weighted.yaml"
    weighted_file.write_text(text)
    counted = run_interim(_count_design(tmp_path, design), data=path, as_of=AS_OF)
    weighted = run_interim(weighted_file, data=path, as_of=AS_OF)
    rule = load_design(weighted_file).endpoint_cohorts[0][1].rule
    names = list(rule.categories)
    checked = 0
    for full, call in zip(counted.calls, weighted.calls, strict=True):
        # each unconfirmed responder: OR -> SD, OR+T -> SD+T when not confirmed
        unconfirmed = ["OR+T"] * full.categories["OR+T"] + ["OR"] * full.categories["OR"]
        assert call.n_evaluable == full.n_evaluable
        if not unconfirmed:
            continue
        checked += 1
        n = full.n_evaluable
        q = np.zeros(len(rule.endpoints))
        for outcome in itertools.product((True, False), repeat=len(unconfirmed)):
            counts = dict(full.categories)
            for confirmed, cat in zip(outcome, unconfirmed, strict=True):
                if not confirmed:
                    counts[cat] -= 1
                    counts["SD+T" if cat == "OR+T" else "SD"] += 1
            k = sum(outcome)
            weight = c**k * (1 - c) ** (len(unconfirmed) - k)
            q += weight * rule.statistics(n, rule.endpoint_counts([counts[x] for x in names]))
        shown = [e["prob_better"] for e in call.endpoints]
        assert shown == pytest.approx(list(q), abs=1e-12)
        if call.planned_look or call.final:
            assert call.decision == rule.decide_on(n, q)
        if c == 1.0:
            assert shown == pytest.approx([e["prob_better"] for e in full.endpoints], abs=1e-12)
    assert checked >= 2
    note = next(n for n in weighted.notes if "weighted" in n)
    assert "best response SD" in note and "earlier trials of the class" in note


def _count_design(tmp_path, design):
    path = tmp_path / "count.yaml"
    path.write_text(
        design.read_text().replace(
            "endpoint: {name: ORR / DCR / toxicity,",
            "endpoint: {unconfirmed: count, name: ORR / DCR / toxicity,",
        )
    )
    return path
