"""Exact operating characteristics: against enumeration, closed forms and properties."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from adaptive_pilot import BoundaryTable, InputError, exact_oc
from conftest import enumerate_outcomes


@pytest.mark.parametrize(
    ("looks", "futility", "efficacy"),
    [
        ((4, 11), (0, 3), (None, 4)),  # Simon-like
        ((2, 5, 8, 12), (None, 0, 2, 4), (None, 4, 6, 5)),  # futility and efficacy
        ((3, 6, 9, 12), (0, 1, 2, 3), (3, 5, 6, 4)),
        ((1, 2, 3, 4, 5, 6, 7, 8, 9, 10), (None,) * 9 + (3,), (1, 2, 3, 3, 4, 4, 5, 5, 6, 4)),
        ((12,), (5,), (6,)),  # single stage
    ],
)
@pytest.mark.parametrize("p", [0.0, 0.07, 0.3, 0.55, 1.0])
def test_matches_enumeration_of_all_response_sequences(looks, futility, efficacy, p):
    table = BoundaryTable(looks=looks, futility=futility, efficacy=efficacy)
    oc = exact_oc(table, p)
    fut, eff = enumerate_outcomes(looks, list(futility), list(efficacy), p)
    np.testing.assert_allclose(oc.stop_futility[0], fut, atol=1e-13)
    np.testing.assert_allclose(oc.stop_efficacy[0], eff, atol=1e-13)


def test_simon_closed_form():
    # P(reject) = sum_{x1 > r1} b(x1; n1, p) P(X2 > r - x1); PET = P(X1 <= r1).
    r1, n1, r, n = 1, 10, 5, 29
    p = np.array([0.1, 0.2, 0.3])
    x1 = np.arange(r1 + 1, n1 + 1)
    reject = [np.sum(stats.binom.pmf(x1, n1, q) * stats.binom.sf(r - x1, n - n1, q)) for q in p]
    oc = exact_oc(BoundaryTable(looks=(n1, n), futility=(r1, r), efficacy=(None, r + 1)), p)
    np.testing.assert_allclose(oc.p_go, reject, rtol=1e-12)
    np.testing.assert_allclose(oc.pet, stats.binom.cdf(r1, n1, p), rtol=1e-12)
    np.testing.assert_allclose(oc.en, n1 + (1 - stats.binom.cdf(r1, n1, p)) * (n - n1), rtol=1e-12)
    # Simon (1989)'s printed OC of this design: validation/references/simon_1989_oc.yaml


def test_summaries_and_views():
    table = BoundaryTable(looks=(5, 10, 15), futility=(0, 2, 5), efficacy=(4, 6, 6))
    oc = exact_oc(table, [0.1, 0.4])
    frame = oc.to_frame()
    assert list(frame.columns) == [
        "p",
        "p_go",
        "p_nogo",
        "p_early_futility",
        "p_early_efficacy",
        "pet",
        "en",
        "sd_n",
        "method",
    ]
    np.testing.assert_allclose(frame["p_go"] + frame["p_nogo"], 1.0, atol=1e-14)
    by_look = oc.by_look()
    assert len(by_look) == 6
    first = by_look[by_look["look"] == 1]
    np.testing.assert_allclose(first["p_reach"], 1.0)
    np.testing.assert_allclose(by_look.groupby("p")["p_end"].sum(), 1.0, atol=1e-14)
    record = oc.at(0.4)
    assert set(record) == {
        "p", "p_go", "p_nogo", "p_early_futility", "p_early_efficacy", "pet", "en", "sd_n"
    }  # fmt: skip
    assert "exact" in oc.summary().as_text().lower()
    assert oc.provenance.to_dict()["design_hash"] == table.design_hash()
    assert oc.provenance.method == "exact"


def test_results_are_read_only():
    oc = exact_oc(BoundaryTable(looks=(5,), futility=(1,), efficacy=(2,)), [0.2])
    with pytest.raises(ValueError, match="read-only"):
        oc.stop_futility[0, 0] = 1.0


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan"), "x"])
def test_rates_outside_unit_interval_are_refused(bad):
    table = BoundaryTable(looks=(5,), futility=(1,), efficacy=(2,))
    with pytest.raises(InputError) as raised:
        exact_oc(table, [0.2, bad])
    assert raised.value.field == "p"


def test_large_increments_use_fft_and_agree_with_direct():
    # A two-stage design with a 600-patient second stage goes through the FFT path.
    table = BoundaryTable(looks=(300, 900), futility=(20, 80), efficacy=(None, 81))
    p = np.array([0.05, 0.08, 0.09, 0.12])
    oc = exact_oc(table, p)
    x1 = np.arange(21, 301)
    expected = [np.sum(stats.binom.pmf(x1, 300, q) * stats.binom.sf(80 - x1, 600, q)) for q in p]
    np.testing.assert_allclose(oc.p_go, expected, atol=1e-12)


@st.composite
def boundary_tables(draw):
    n_looks = draw(st.integers(1, 6))
    increments = draw(st.lists(st.integers(1, 8), min_size=n_looks, max_size=n_looks))
    looks = np.cumsum(increments).tolist()
    futility, efficacy = [], []
    for k, n in enumerate(looks):
        if k == n_looks - 1:
            e = draw(st.integers(1, n))
            futility.append(e - 1)
            efficacy.append(e)
            continue
        f = draw(st.one_of(st.none(), st.integers(0, n)))
        low = 0 if f is None else f + 1
        e = draw(st.one_of(st.none(), st.integers(low, n + 1))) if low <= n + 1 else None
        futility.append(f)
        efficacy.append(None if e == n + 1 else e)
    return BoundaryTable(looks=tuple(looks), futility=tuple(futility), efficacy=tuple(efficacy))


@given(table=boundary_tables(), p=st.lists(st.floats(0, 1), min_size=1, max_size=5))
def test_probabilities_are_valid_and_sum_to_one(table, p):
    oc = exact_oc(table, p)
    for values in (oc.p_go, oc.p_early_futility, oc.p_early_efficacy, oc.pet):
        assert np.all(values >= -1e-12) and np.all(values <= 1 + 1e-12)
    total = oc.stop_futility.sum(axis=1) + oc.stop_efficacy.sum(axis=1)
    np.testing.assert_allclose(total, 1.0, atol=1e-12)
    assert np.all(oc.en >= table.looks[0] - 1e-9) and np.all(oc.en <= table.n_max + 1e-9)


@given(table=boundary_tables())
def test_probability_of_go_increases_with_p(table):
    p = np.linspace(0, 1, 41)
    p_go = exact_oc(table, p).p_go
    assert np.all(np.diff(p_go) >= -1e-12)


@pytest.mark.parametrize("p", [1e-300, 1e-12, 1e-3, 0.05, 0.3, 0.5, 0.77, 0.999, 1 - 1e-12])
def test_binomial_pmf_agrees_with_scipy_stats(p):
    """The saddle-point pmf (no scipy.stats import) matches scipy's to 1e-12 relative."""
    from scipy import stats

    from adaptive_pilot._binomial import binomial_pmf

    n = np.arange(0, 1201)[:, None]
    k = np.arange(-1, 1203)[None, :]
    ours, theirs = binomial_pmf(k, n, p), stats.binom.pmf(k, n, p)
    usable = theirs > 1e-290
    np.testing.assert_allclose(ours[usable], theirs[usable], rtol=1e-12)
    assert (ours[~usable] < 1e-280).all()
    assert (ours[(k < 0) | (k > n)] == 0).all()
