"""Priors: posteriors, mixtures, ESS, historical power priors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from adaptive_pilot import InputError
from adaptive_pilot.priors import BetaMixturePrior, BetaPrior, prior_from_historical


def test_beta_posterior_probability_matches_scipy():
    prior = BetaPrior(0.6, 0.4)
    x, n = np.array([0, 5, 16]), np.array([10, 10, 23])
    expected = stats.beta.sf(0.6, 0.6 + x, 0.4 + n - x)
    np.testing.assert_allclose(prior.prob_greater(0.6, x, n), expected, rtol=1e-12)
    assert prior.ess == 1.0 and prior.mean == pytest.approx(0.6)


def test_mixture_posterior_matches_numerical_integration():
    prior = BetaMixturePrior((BetaPrior(2, 18), BetaPrior(1, 1)), (0.8, 0.2))
    x, n, p0 = 6, 15, 0.2

    def density(p):
        prior_density = 0.8 * stats.beta.pdf(p, 2, 18) + 0.2 * stats.beta.pdf(p, 1, 1)
        return prior_density * p**x * (1 - p) ** (n - x)

    total = integrate.quad(density, 0, 1, epsabs=1e-14)[0]
    upper = integrate.quad(density, p0, 1, epsabs=1e-14)[0]
    assert prior.prob_greater(p0, x, n) == pytest.approx(upper / total, rel=1e-8)
    mean = integrate.quad(lambda p: p * density(p), 0, 1)[0] / total
    assert prior.posterior_mean(x, n) == pytest.approx(mean, rel=1e-8)
    median = prior.posterior_quantile(0.5, x, n)
    assert integrate.quad(density, 0, median)[0] / total == pytest.approx(0.5, abs=1e-8)


def test_mixture_moments_and_ess():
    prior = BetaMixturePrior((BetaPrior(2, 18), BetaPrior(1, 1)), (4, 1))  # weights normalised
    assert prior.weights == (0.8, 0.2)
    samples_mean = 0.8 * 0.1 + 0.2 * 0.5
    assert prior.mean == pytest.approx(samples_mean)
    m, v = prior.mean, prior.variance
    assert prior.ess == pytest.approx(m * (1 - m) / v - 1)
    single = BetaMixturePrior((BetaPrior(3, 7),), (1,))
    assert single.ess == pytest.approx(10.0)


def test_predictive_pmf_is_beta_binomial_and_sums_to_one():
    prior = BetaPrior(0.6, 0.4)
    y = np.arange(18)
    pmf = prior.predictive_pmf(y, 17, 16, 23)
    np.testing.assert_allclose(pmf, stats.betabinom.pmf(y, 17, 16.6, 7.4), rtol=1e-12)
    assert pmf.sum() == pytest.approx(1.0)
    assert prior.predictive_sf(5, 17, 16, 23) == pytest.approx(pmf[5:].sum())


def test_historical_power_prior():
    prior = prior_from_historical(3, 42, weight=0.5, base=BetaPrior(0.5, 0.5))
    assert (prior.a, prior.b) == (2.0, 20.0)
    assert prior_from_historical(3, 42, weight=0.0) == BetaPrior(1, 1)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: BetaPrior(0, 1), "prior.a"),
        (lambda: BetaPrior(1, -2), "prior.b"),
        (lambda: BetaPrior(float("inf"), 1), "prior.a"),
        (lambda: BetaMixturePrior((BetaPrior(1, 1),), (1, 2)), "prior.weights"),
        (lambda: BetaMixturePrior((BetaPrior(1, 1),), (-1,)), "prior.weights"),
        (lambda: BetaMixturePrior((), ()), "prior.mixture"),
        (lambda: prior_from_historical(5, 3), "historical.x"),
        (lambda: prior_from_historical(1, 3, weight=1.5), "historical.weight"),
    ],
)
def test_invalid_priors(make, field):
    with pytest.raises(InputError) as raised:
        make()
    assert raised.value.field == field


@given(
    a=st.floats(0.05, 20),
    b=st.floats(0.05, 20),
    n=st.integers(1, 60),
    p0=st.floats(0.01, 0.99),
)
def test_posterior_probability_increases_with_responses(a, b, n, p0):
    q = BetaPrior(a, b).prob_greater(p0, np.arange(n + 1), n)
    assert np.all(np.diff(q) >= -1e-12)
    assert np.all((q >= 0) & (q <= 1))
