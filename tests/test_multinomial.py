"""The K-category forward recursion against a brute-force enumeration of every sequence."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from adaptive_pilot.errors import InputError
from adaptive_pilot.oc.multinomial import count_grid, multinomial_stopping_probabilities


def _brute(looks, probs, rules, k):
    """P(stop at look, reason) by listing every sequence of outcomes (rules act on counts)."""
    n_max = looks[-1]
    out = np.zeros((len(probs), len(looks), max(len(r) for r in rules)))
    for seq in itertools.product(range(k), repeat=n_max):
        seq = np.array(seq)
        weight = np.prod(np.asarray(probs)[:, seq], axis=1)
        for look, n in enumerate(looks):
            counts = np.bincount(seq[:n], minlength=k)
            fired = [r for r, rule in enumerate(rules[look]) if rule(*counts)]
            if fired:
                out[:, look, fired[0]] += weight
                break
    return out


def _masks(looks, rules, k):
    masks = []
    for look, n in enumerate(looks):
        grid = count_grid(n, k - 1)
        last = n - sum(grid)
        masks.append([np.asarray(rule(*grid, last), dtype=bool) for rule in rules[look]])
    return masks


@pytest.mark.parametrize(
    ("k", "looks", "rules", "probs"),
    [
        (3, (3, 6, 8),  # CR/PR, SD, PD: nested ORR and DCR
         [[lambda r, s, p: r == 0],
          [lambda r, s, p: r + s <= 2, lambda r, s, p: r >= 4],
          [lambda r, s, p: (r <= 2) & (r + s <= 5), lambda r, s, p: r + 0 * s >= 0]],
         [[0.2, 0.3, 0.5], [0.4, 0.3, 0.3], [0.05, 0.15, 0.8]]),
        (4, (3, 6),  # response x toxicity: (R,T), (R,no T), (no R,T), (no R,no T)
         [[lambda a, b, c, d: a + c >= 2],
          [lambda a, b, c, d: a + c >= 3, lambda a, b, c, d: a + b <= 1,
           lambda a, b, c, d: a + b >= 0]],
         [[0.1, 0.2, 0.1, 0.6], [0.05, 0.35, 0.05, 0.55]]),
    ],
    ids=["nested-3", "joint-4"],
)  # fmt: skip
def test_recursion_equals_brute_force(k, looks, rules, probs):
    stopped, running = multinomial_stopping_probabilities(looks, probs, _masks(looks, rules, k))
    expected = _brute(looks, probs, rules, k)
    assert stopped == pytest.approx(expected, abs=1e-14)
    assert running == pytest.approx(0.0, abs=1e-14)  # the final masks cover every cell
    assert stopped.sum(axis=(1, 2)) == pytest.approx(1.0, abs=1e-14)


def test_two_categories_are_the_binomial_recursion():
    import adaptive_pilot as ap

    table = ap.BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, 6))
    masks = []
    for k, n in enumerate(table.looks):
        (x,) = count_grid(n, 1)
        masks.append([x <= table.futility[k], x >= table.efficacy[k]])
    rates = np.array([0.1, 0.3])
    stopped, _ = multinomial_stopping_probabilities(table.looks, np.c_[rates, 1 - rates], masks)
    oc = ap.exact_oc(table, rates)
    assert stopped[:, :, 0] == pytest.approx(oc.stop_futility, abs=1e-14)
    assert stopped[:, :, 1] == pytest.approx(oc.stop_efficacy, abs=1e-14)


def test_inputs_are_refused_in_one_line():
    grid = count_grid(2, 2)
    with pytest.raises(InputError, match="sum to 1"):
        multinomial_stopping_probabilities([2], [[0.5, 0.4, 0.2]], [[grid[0] == 0]])
    with pytest.raises(InputError, match="count cells"):
        multinomial_stopping_probabilities([5000], [[0.2, 0.3, 0.1, 0.4]], [[]])
    with pytest.raises(InputError, match="must have shape"):
        multinomial_stopping_probabilities([3], [[0.5, 0.3, 0.2]], [[grid[0] == 0]])
