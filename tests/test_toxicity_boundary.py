"""Repeated-significance toxicity boundaries: enumeration and properties.

clinfun's ``toxbdry``: ``validation/references/clinfun_toxbdry.yaml`` (run by
test_validation.py and ``adaptive-pilot validate``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from adaptive_pilot import InputError, toxicity_boundary
from adaptive_pilot.oc.joint import joint_oc
from adaptive_pilot.rules.toxicity import ToxicityBoundary


def test_the_pair_brackets_the_target_and_is_adjacent():
    search = toxicity_boundary(0.15, 0.35, [10, 20, 30, 40], cp0=0.08, shape=0.3)
    frame = search.to_frame()
    at_p_lo = frame[frame.p_toxicity == 0.15].set_index("boundary").p_stop_toxicity
    assert at_p_lo["upper"] < 0.08 <= at_p_lo["lower"]
    difference = np.subtract(search.upper.counts, search.lower.counts)
    assert difference.min() >= 0 and difference.sum() >= 1


def _enumerated(looks, counts, p):
    """P(stop for toxicity), P(stop before the last look), E[N] over all 2**N sequences."""
    n_max = looks[-1]
    stop = early = en = 0.0
    for sequence in itertools.product((0, 1), repeat=n_max):
        prob = p ** sum(sequence) * (1 - p) ** (n_max - sum(sequence))
        for k, (n, c) in enumerate(zip(looks, counts, strict=True)):
            if sum(sequence[:n]) >= c:
                stop += prob
                early += prob if k < len(looks) - 1 else 0.0
                en += prob * (n if k < len(looks) - 1 else n_max)
                break
        else:
            en += prob * n_max
    return stop, early, en


def test_oc_equal_brute_force_enumeration():
    search = toxicity_boundary(0.2, 0.5, [4, 8, 12], grid=3, shape=0.5)
    frame = search.to_frame()
    for name in ("upper", "lower"):
        boundary = getattr(search, name)
        for row in frame[frame.boundary == name].itertuples():
            stop, early, en = _enumerated(boundary.looks, boundary.counts, row.p_toxicity)
            assert row.p_stop_toxicity == pytest.approx(stop, abs=1e-12)
            assert row.pet == pytest.approx(early, abs=1e-12)
            assert row.en == pytest.approx(en, abs=1e-10)


def test_boundary_co_monitors_a_design_like_a_toxicity_rule():
    search = toxicity_boundary(0.2, 0.35, [10, 20, 29])
    from adaptive_pilot import BoundaryTable

    table = BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, 6))
    joint = joint_oc(table, search.recommended, [0.3], [0.2])
    assert 0 < joint.p_stop_toxicity[0] < 0.15
    rule = search.recommended
    assert isinstance(rule, ToxicityBoundary)
    assert rule.to_dict()["method"] == "repeated_significance"
    assert "repeated-significance boundary, Pocock-like" in rule.describe()


def test_small_n_is_reported_in_the_notes():
    search = toxicity_boundary(0.2, 0.3, [5, 10], cp0=0.1, cp1=0.9)
    assert any("may be too small" in note for note in search.notes)
    assert "may be too small" in search.summary().as_text()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"p_lo": 0.4}, "p_hi"),
        ({"looks": [20, 10]}, "looks"),
        ({"shape": 0.7}, "shape"),
        ({"priority": "both"}, "priority"),
        ({"cp0": 1.5}, "cp0"),
        ({"grid": 1}, "grid"),
    ],
)
def test_bad_arguments_name_the_field(kwargs, field):
    args = {"p_lo": 0.2, "p_hi": 0.35, "looks": [10, 20]} | kwargs
    with pytest.raises(InputError) as error:
        toxicity_boundary(**args)
    assert error.value.field == field


def test_command_line(capsys):
    import json

    from adaptive_pilot.cli import main

    args = ["toxicity-boundary", "--p-lo", "0.2", "--p-hi", "0.35", "--looks", "20,40,60,75"]
    assert main([*args, "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["recommended"] == "upper"
    assert [row["toxicity_upper"] for row in payload["boundaries"]] == [8, 13, 18, 22]
    assert main(args) == 0
    assert ">= 22 of 75" in capsys.readouterr().out
    for bad, needle in (
        (["--shape", "0.7"], "--shape: must be a number from 0 to 0.5"),
        (["--p-lo", "0.5"], "--p-hi: must be above p_lo"),
        (["--looks", "20,x"], "--looks: "),
    ):
        with pytest.raises(SystemExit) as stop:
            main([*args, *bad])
        captured = capsys.readouterr()
        assert stop.value.code == 2 and captured.out == "" and needle in captured.err
        assert captured.err.count("\n") == 1
