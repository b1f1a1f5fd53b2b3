"""Rate grids typed on the command line and design files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from adaptive_pilot import InputError
from adaptive_pilot._grid import parse_rate_grid
from adaptive_pilot.spec import load_design_file

REPO = Path(__file__).resolve().parents[1]


def test_ranges_are_inclusive_and_clean():
    grid = parse_rate_grid("0.05:0.5:0.05")
    assert grid.size == 10
    assert grid[-1] == 0.5 and grid[2] == 0.15  # no 0.15000000000000002
    assert parse_rate_grid("0:1:0.001").size == 1001
    np.testing.assert_array_equal(parse_rate_grid("0.1, 0.3"), [0.1, 0.3])
    np.testing.assert_array_equal(parse_rate_grid("0.2"), [0.2])


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0.1:0.5", "start:stop:step"),
        ("0.1:0.5:0", "step"),
        ("0.5:0.1:0.1", "stop must not be below start"),
        ("0.1,x", "expected a number"),
        ("1.1", "between 0 and 1"),
        ("", "needs response rates"),
        ("0:1:0.000001", "at most"),
    ],
)
def test_bad_grids(text, fragment):
    with pytest.raises(InputError) as raised:
        parse_rate_grid(text)
    assert raised.value.field == "p" and fragment in raised.value.message


def test_shipped_design_file():
    spec = load_design_file(REPO / "designs" / "motivating_trial.toml")
    assert (spec.p0, spec.p1, spec.alpha, spec.beta) == (0.05, 0.20, 0.05, 0.20)
    assert spec.endpoint == "ORR" and "RECIST" in spec.endpoint_definition


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("[hypotheses]\np0 = 0.2\np1 = 0.1\n[errors]\n", "hypotheses.p1: must be greater than p0"),
        ("[hypotheses]\np0 = 0.05\n[errors]\n", "hypotheses.p1: missing key"),
        ("[hypotheses]\np0 = 1.5\np1 = 0.2\n[errors]\n", "hypotheses.p0: must be a probability"),
        ("name = 'x'\n[hypotheses]\np0 = 0.05\np1 = 0.2\n", "errors: missing section"),
        ("colour = 1\n[hypotheses]\np0 = 0.05\np1 = 0.2\n[errors]\n", "colour: unknown key"),
        (
            "[hypotheses]\np0 = 0.05\np1 = 0.2\n[errors]\n[simon]\nconvention = 'x'\n",
            "simon.convention",
        ),
        ("hypotheses = 3\n[errors]\n", "hypotheses: must be a table"),
    ],
)
def test_bad_design_files(tmp_path, content, fragment):
    path = tmp_path / "design.toml"
    path.write_text(content)
    with pytest.raises(InputError) as raised:
        load_design_file(path)
    assert fragment in str(raised.value)
