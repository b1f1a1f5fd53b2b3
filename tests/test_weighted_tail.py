"""The fused posterior pass against a plain float64 computation, and its float32 exp."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from scipy import special

from adaptive_pilot.cohorts.weighted_tail import _exp_nonpositive, weighted_tail


@njit
def _exp_all(values, out):  # type: ignore[no-untyped-def]
    for k in range(values.size):
        out[k] = _exp_nonpositive(values[k])


def _reference(log_prior, log_lik, tail, rows, tail_rows):  # type: ignore[no-untyped-def]
    log_w = log_prior.astype(float) + log_lik.astype(float)[rows].sum(axis=1)
    w = np.exp(log_w - special.logsumexp(log_w, axis=1, keepdims=True))
    return np.einsum("sk,sk->s", w, tail.astype(float)[tail_rows])


def _tables(rng: np.random.Generator, n_rows: int = 40, n_points: int = 3000):  # type: ignore[no-untyped-def]
    log_prior = -rng.exponential(8.0, n_points)
    log_prior -= log_prior.max()
    log_lik = -rng.exponential(6.0, (n_rows, n_points)) * rng.uniform(0.1, 3, (n_rows, 1))
    log_lik -= log_lik.max(axis=1, keepdims=True)
    tail = rng.uniform(0, 1, (n_rows, n_points))
    return log_prior, log_lik, tail


def test_float32_exp_is_as_accurate_as_numpys():
    for lo, hi in ((-1, 0), (-20, -1), (-86, -20)):
        t = np.linspace(lo, hi, 100_001).astype(np.float32)
        out = np.empty_like(t)
        _exp_all(t, out)
        exact = np.exp(t.astype(np.float64))
        assert np.max(np.abs(out / exact - 1)) < 3e-7
    # below -87 the weight is e^-87 (a normal float32), never a subnormal or 0
    out = np.empty(3, np.float32)
    _exp_all(np.array([-87.0, -200.0, -1e5], np.float32), out)
    np.testing.assert_allclose(out, np.exp(-87.0), rtol=3e-7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_equals_a_plain_float64_computation(dtype):
    rng = np.random.default_rng(4)
    log_prior, log_lik, tail = _tables(rng)
    rows = rng.integers(0, log_lik.shape[0], (500, 5))
    tail_rows = rng.integers(0, log_lik.shape[0], 500)
    got = weighted_tail(
        log_prior.astype(dtype), log_lik.astype(dtype), tail.astype(dtype), rows, tail_rows
    )
    expected = _reference(log_prior, log_lik, tail, rows, tail_rows)
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-6 if dtype == np.float32 else 1e-12)


def test_conflicting_data_is_rescaled_by_its_own_maximum():
    # every point far below the tables' maxima: weights e^-300 would underflow in float32
    rng = np.random.default_rng(5)
    log_prior, log_lik, tail = _tables(rng, n_points=2000)
    log_lik[:, :] -= 100.0
    log_lik[:, rng.integers(0, 2000, 10)] = -60.0  # a few points carry the posterior
    rows = rng.integers(0, log_lik.shape[0], (50, 5))
    tail_rows = rng.integers(0, log_lik.shape[0], 50)
    got = weighted_tail(
        log_prior.astype(np.float32), log_lik.astype(np.float32), tail.astype(np.float32),
        rows, tail_rows,
    )  # fmt: skip
    expected = _reference(log_prior, log_lik, tail, rows, tail_rows)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, expected, rtol=0, atol=2e-6)


def test_a_dataset_gets_the_same_bits_alone_or_in_any_batch():
    rng = np.random.default_rng(6)
    log_prior, log_lik, tail = (a.astype(np.float32) for a in _tables(rng))
    rows = rng.integers(0, log_lik.shape[0], (64, 4))
    tail_rows = rng.integers(0, log_lik.shape[0], 64)
    batch = weighted_tail(log_prior, log_lik, tail, rows, tail_rows)
    order = rng.permutation(64)
    shuffled = weighted_tail(log_prior, log_lik, tail, rows[order], tail_rows[order])
    assert np.array_equal(batch[order], shuffled)
    alone = [weighted_tail(log_prior, log_lik, tail, rows[i : i + 1], tail_rows[i : i + 1])[0]
             for i in (0, 17, 63)]  # fmt: skip
    assert alone == [batch[0], batch[17], batch[63]]
    assert weighted_tail(log_prior, log_lik, tail, rows[:0], tail_rows[:0]).shape == (0,)
