"""The boundary table: validation, views and plain-English rendering."""

from __future__ import annotations

import pytest

from adaptive_pilot import BoundaryTable, InputError


def simon_optimal_table() -> BoundaryTable:
    return BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, 6))


def test_sentinels_for_never():
    table = simon_optimal_table()
    assert table.futility == (1, 5)
    assert table.efficacy == (11, 6)  # n_1 + 1 marks "never"
    assert table.efficacy_at(0) is None
    assert table.futility_at(0) == 1
    assert table.n_max == 29 and table.n_looks == 2


def test_final_look_bound_is_derived_from_the_other():
    from_efficacy = BoundaryTable(looks=(10, 29), futility=(1, None), efficacy=(None, 6))
    from_futility = BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, None))
    assert from_efficacy == from_futility == simon_optimal_table()


def test_explicit_sentinels_are_accepted():
    table = BoundaryTable(looks=(10, 29), futility=(-1, 5), efficacy=(11, 6))
    assert table.futility_at(0) is None and table.efficacy_at(0) is None


def test_to_frame_is_tidy():
    frame = BoundaryTable(looks=(10, 20, 30), futility=(1, 4, 8), efficacy=(None, 9, 9)).to_frame()
    assert list(frame["n"]) == [10, 20, 30]
    assert frame["efficacy"].isna().tolist() == [True, False, False]
    assert list(frame["stop_futility_if"]) == ["x <= 1", "x <= 4", "x <= 8"]
    assert list(frame["continue_if"]) == ["2 <= x <= 10", "5 <= x <= 8", ""]
    assert frame["final"].tolist() == [False, False, True]


def test_describe_reads_as_a_protocol_sentence():
    text = simon_optimal_table().describe().splitlines()
    assert text[0] == (
        "Look 1 (10 evaluable patients): stop for futility if at most 1 response; "
        "otherwise continue."
    )
    assert text[1] == (
        "Look 2 (29 evaluable patients, final): GO (reject H0) if at least 6 responses; "
        "NO-GO if at most 5."
    )
    zero = BoundaryTable(looks=(13, 27), futility=(0, 3), efficacy=(None, 4)).describe()
    assert "stop for futility if no response" in zero
    with_efficacy = BoundaryTable(looks=(10, 20), futility=(None, 6), efficacy=(5, 7)).describe()
    assert "stop early for efficacy (GO) if at least 5 responses" in with_efficacy
    no_stop = BoundaryTable(looks=(10, 20), futility=(None, 6), efficacy=(None, 7)).describe()
    assert "no stopping" in no_stop


def test_hash_depends_on_content_only():
    assert simon_optimal_table().design_hash() == simon_optimal_table().design_hash()
    other = BoundaryTable(looks=(10, 29), futility=(0, 5), efficacy=(None, 6))
    assert other.design_hash() != simon_optimal_table().design_hash()


def test_from_strings():
    table = BoundaryTable.from_strings("10, 29", "1,5", "never,6")
    assert table == simon_optimal_table()
    assert BoundaryTable.from_strings("10,29", "none,5", "-,6").futility == (-1, 5)


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"looks": (), "futility": (), "efficacy": ()}, "looks", "non-empty"),
        (
            {"looks": (10, 10), "futility": (1, 5), "efficacy": (None, 6)},
            "looks",
            "strictly increasing",
        ),
        ({"looks": (0, 10), "futility": (None, 5), "efficacy": (None, 6)}, "looks", "positive"),
        (
            {"looks": (10, 29), "futility": (1,), "efficacy": (None, 6)},
            "futility",
            "one bound per look",
        ),
        (
            {"looks": (10, 29), "futility": (11, 5), "efficacy": (None, 6)},
            "futility",
            "outside 0..10",
        ),
        ({"looks": (10, 29), "futility": (1, 5), "efficacy": (-3, 6)}, "efficacy", "outside 0..10"),
        ({"looks": (10, 29), "futility": (4, 5), "efficacy": (4, 6)}, "futility", "not below"),
        ({"looks": (10, 29), "futility": (1, 5), "efficacy": (None, 8)}, "futility", "one less"),
        (
            {"looks": (10, 29), "futility": (1, None), "efficacy": (None, None)},
            "efficacy",
            "must decide",
        ),
        ({"looks": (10, 29), "futility": (1, 29), "efficacy": (None, None)}, "efficacy", "1..29"),
        ({"looks": (10, 29.5), "futility": (1, 5), "efficacy": (None, 6)}, "looks", "whole number"),
    ],
)
def test_invalid_tables_name_the_field(kwargs, field, fragment):
    with pytest.raises(InputError) as raised:
        BoundaryTable(**kwargs)
    assert raised.value.field == field
    assert fragment in raised.value.message


def test_from_strings_rejects_words():
    with pytest.raises(InputError, match="whole numbers"):
        BoundaryTable.from_strings("10,abc", "1,5", "never,6")
    with pytest.raises(InputError, match="whole numbers"):
        BoundaryTable.from_strings("never,29", "1,5", "never,6")
