"""Rate grids typed on the command line and design files."""

from __future__ import annotations

import numpy as np
import pytest

from adaptive_pilot import InputError
from adaptive_pilot._grid import parse_rate_grid


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
