"""EXNEX's fast posterior (issue 12, point 2: the model's core, not yet wired to designs)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from adaptive_pilot import InputError
from adaptive_pilot.cohorts.hierarchical import (
    HierarchicalModel,
    NonExchangeable,
    PosteriorTables,
    hierarchical_prior,
)
from hierarchical_reference import one_cohort_exnex

P0 = (0.1, 0.1, 0.2)
DATA = [([20, 20, 20], [1, 2, 9]), ([10, 20, 15], [0, 12, 6]), ([5, 5, 5], [5, 0, 1])]


@pytest.fixture(scope="module")
def model():
    prior = hierarchical_prior(list(P0))
    return HierarchicalModel(prior, [math.log(p / (1 - p)) for p in P0])


def tables(model, weights, means=(-1.5, -1.5, -1.0), sds=(2.0, 2.0, 2.0)):
    nex = NonExchangeable(tuple(weights), tuple(means), tuple(sds))
    return PosteriorTables(model, 20, list(P0), nex=nex)


def probabilities(table, n, x):
    rows = len(n)
    return table.prob_greater(np.tile(n, (rows, 1)), np.tile(x, (rows, 1)), np.arange(rows))


def test_all_exchangeable_is_the_berry_model(model):
    berry = model.compact_tables(20, list(P0))
    exnex = tables(model, (1.0, 1.0, 1.0))
    for n, x in DATA:
        np.testing.assert_allclose(
            probabilities(exnex, n, x), probabilities(berry, n, x), rtol=0, atol=1e-12
        )


def test_none_exchangeable_is_each_cohort_on_its_own_prior(model):
    exnex = tables(model, (0.0, 0.0, 0.0))
    means, sds = (-1.5, -1.5, -1.0), (2.0, 2.0, 2.0)
    for n, x in DATA:
        got = probabilities(exnex, n, x)
        for j in range(3):
            # one cohort, weight 0: the NEX posterior alone (the EX part drops out)
            ref = one_cohort_exnex(n[j], x[j], P0[j], -2.0, 2.0, 1.0, 0.0, means[j], sds[j])
            assert got[j] == pytest.approx(ref, abs=1e-6), (n, x, j)


@pytest.mark.parametrize("weight", [0.25, 0.9])
def test_one_cohort_mixture_equals_an_independent_adaptive_integral(weight):
    p0, m, s, t = 0.15, math.log(0.15 / 0.85), 2.0, 1.0
    one = HierarchicalModel(hierarchical_prior([p0]), [m])
    table = PosteriorTables(one, 12, [p0], nex=NonExchangeable((weight,), (-1.0,), (1.5,)))
    for n, x in ((12, 0), (12, 4), (12, 9), (3, 1)):
        got = table.prob_greater(np.array([[n]]), np.array([[x]]), np.array([0]))[0]
        ref = one_cohort_exnex(n, x, p0, m, s, t, weight, -1.0, 1.5)
        assert got == pytest.approx(ref, abs=1e-5), (weight, n, x, got, ref)


def test_a_differing_cohort_borrows_less_than_under_berry(model):
    """The point of EXNEX: a cohort unlike the others keeps more of its own evidence."""
    n, x = [20, 20, 20], [1, 1, 12]  # the third responds far more than the others
    berry = probabilities(model.compact_tables(20, list(P0)), n, x)
    exnex = probabilities(tables(model, (0.5, 0.5, 0.5)), n, x)
    assert exnex[2] > berry[2]


def test_bad_exnex_settings():
    with pytest.raises(InputError, match="between 0 and 1"):
        NonExchangeable((1.2,), (0.0,), (1.0,))
    with pytest.raises(InputError, match="one weight, NEX mean and NEX SD per cohort"):
        NonExchangeable((0.5, 0.5), (0.0,), (1.0,))
    with pytest.raises(InputError, match="nex_sd"):
        NonExchangeable((0.5,), (0.0,), (50.0,))
