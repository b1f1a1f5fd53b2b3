"""Thall & Simon's rule against an uncertain standard rate: quadrature checks and limits.

ph2bayes' postprob and stopbound_post: ``validation/references/ph2bayes_postprob.yaml``
and ``ph2bayes_stopbound.yaml`` (run by test_validation.py and ``adaptive-pilot validate``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from adaptive_pilot import InputError
from adaptive_pilot.designs.bayesian import BayesianDesign
from adaptive_pilot.priors import BetaMixturePrior, BetaPrior
from adaptive_pilot.rules import PosteriorRule, PosteriorVsStandardRule
from adaptive_pilot.rules.versus_standard import prob_exceeds_standard


def test_vectorised_values_equal_one_at_a_time():
    prior, standard = BetaPrior(0.6, 1.4), BetaPrior(15, 35)
    n = np.array([[10], [25]])
    x = np.arange(11)[None, :]
    together = prob_exceeds_standard(prior, standard, 0.05, x, n)
    alone = [[float(prob_exceeds_standard(prior, standard, 0.05, xi, ni[0])) for xi in range(11)]
             for ni in n]  # fmt: skip
    np.testing.assert_allclose(together, alone, atol=1e-11)


def test_mixture_prior_against_quadrature_over_the_experimental_rate():
    prior = BetaMixturePrior((BetaPrior(1, 4), BetaPrior(2, 2)), (0.6, 0.4))
    standard, delta, x, n = BetaPrior(6, 14), 0.05, 7, 20
    weights, post_a, post_b = prior._posterior_parts(x, n)

    def integrand(t: float) -> float:
        density = np.sum(weights * stats.beta.pdf(t, post_a, post_b))
        return float(density * stats.beta.cdf(t - delta, standard.a, standard.b))

    expected, _ = integrate.quad(integrand, delta, 1, epsabs=1e-14, epsrel=1e-12, limit=200)
    assert float(prob_exceeds_standard(prior, standard, delta, x, n)) == pytest.approx(
        expected, abs=1e-10
    )


def test_a_certain_standard_gives_the_posterior_rule_at_p0_plus_margin():
    prior = BetaPrior(0.3, 0.7)
    certain = BetaPrior(0.2 * 1e7, 0.8 * 1e7)
    x = np.arange(31)
    q = prob_exceeds_standard(prior, certain, 0.1, x, 30)
    np.testing.assert_allclose(q, prior.prob_greater(0.3, x, 30), atol=2e-3)
    looks = (10, 20, 30)
    ts = PosteriorVsStandardRule(0.2, prior, certain, 0.9, 0.05, margin=0.1)
    plain = PosteriorRule(0.3, prior, 0.9, 0.05)
    assert BayesianDesign(ts, looks).boundary_table == BayesianDesign(plain, looks).boundary_table


def test_probability_falls_as_the_margin_grows_and_rises_with_responses():
    prior, standard = BetaPrior(0.6, 1.4), BetaPrior(15, 35)
    margins = np.linspace(-0.3, 0.6, 10)
    q = np.array([float(prob_exceeds_standard(prior, standard, d, 8, 20)) for d in margins])
    assert np.all(np.diff(q) < 0)
    by_x = prob_exceeds_standard(prior, standard, 0.1, np.arange(21), 20)
    assert np.all(np.diff(by_x) > 0)


def test_design_file_with_the_rule(tmp_path):
    from adaptive_pilot.spec import load_design

    path = tmp_path / "ts.yaml"
    path.write_text(
        "name: ts\nhypotheses: {p0: 0.3, p1: 0.5}\nprior: {a: 0.6, b: 1.4}\n"
        "n_max: 40\nlooks: {every: 10}\n"
        "rule: {type: posterior_vs_standard, standard: {a: 15, b: 35}, margin: 0.05,\n"
        "       theta_final: 0.9, theta_futility: 0.05}\n"
    )
    resolved = load_design(path)
    design = resolved.design.bayesian
    assert design is not None
    assert isinstance(design.rule, PosteriorVsStandardRule)
    assert design.rule.standard == BetaPrior(15, 35) and design.rule.margin == 0.05
    assert "p_S ~ Beta(15, 35)" in design.rule.describe()
    evaluation = resolved.evaluate()
    assert evaluation.table.n_max == 40 and 0 < evaluation.oc.p_go[0] < 0.2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"margin": 1.0}, "margin"),
        ({"margin": float("nan")}, "margin"),
        ({"standard": BetaMixturePrior((BetaPrior(1, 1),), (1.0,))}, "standard"),
        ({"theta_final": 1.2}, "theta_final"),
    ],
)
def test_bad_parameters_name_the_field(kwargs, field):
    args = {"p0": 0.3, "prior": BetaPrior(1, 1), "standard": BetaPrior(3, 7), "theta_final": 0.9}
    with pytest.raises(InputError) as error:
        PosteriorVsStandardRule(**(args | kwargs))
    assert error.value.field == field


@pytest.mark.filterwarnings("ignore::scipy.integrate.IntegrationWarning")  # the reference's
@settings(max_examples=15, deadline=None)
@given(
    a_s=st.floats(0.3, 300),
    b_s=st.floats(0.3, 300),
    margin=st.floats(-0.3, 0.5),
    n=st.integers(0, 200),
    share=st.floats(0, 1),
)
def test_any_standard_against_quadrature_over_the_experimental_rate(a_s, b_s, margin, n, share):
    prior, standard, x = BetaPrior(0.5, 0.5), BetaPrior(a_s, b_s), round(share * n)
    a, b = prior.a + x, prior.b + n - x

    def integrand(v: float) -> float:  # v = F_E(p_E): bounded, no density
        return float(stats.beta.cdf(stats.beta.ppf(v, a, b) - margin, a_s, b_s))

    # cut where p_E - margin crosses 0 and 1: F_S has its unbounded slopes there
    kinks = [float(stats.beta.cdf(t, a, b)) for t in (margin, margin + 1) if 0 < t < 1]
    fixed = [0.0, 1e-9, 1e-6, 1e-3, 0.1, 0.5, 0.9, 1 - 1e-3, 1 - 1e-6, 1 - 1e-9, 1.0]
    cuts = sorted(set(fixed + kinks))
    expected = sum(
        integrate.quad(integrand, lo, hi, epsabs=1e-13, epsrel=1e-11, limit=500)[0]
        for lo, hi in itertools.pairwise(cuts)
    )
    got = float(prob_exceeds_standard(prior, standard, margin, x, n))
    assert got == pytest.approx(expected, abs=1e-9)
