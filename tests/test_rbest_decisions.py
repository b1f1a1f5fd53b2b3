"""A one-condition posterior decision reproduces RBesT's decision1S_boundary and oc1S.

Reference: RBesT 1.8-2 (its R sources, R 4.2.2 on this machine). For each case,
``dec <- decision1S(PC, QC, lower.tail = FALSE)`` (GO if P(p > QC | data) > PC),
``decision1S_boundary(PRIOR, N, dec)`` (the largest r that is not GO) and
``oc1S(PRIOR, N, dec)(c(0.1, 0.3, 0.5))`` (P(GO) at those true rates). Here the same
decision is a single-look posterior-probability design compiled by the one compile path.
"""

from __future__ import annotations

import pytest

import adaptive_pilot as ap


def _mix(*components):
    return ap.BetaMixturePrior([ap.BetaPrior(a, b) for _, a, b in components],
                               [w for w, _, _ in components])  # fmt: skip


CASES = [
    ((ap.BetaPrior(1, 1), 20, 0.9, 0.2), (6, (0.002386089409, 0.391990187799, 0.942340850830))),
    ((ap.BetaPrior(0.5, 2), 40, 0.95, 0.15),
     (10, (0.001469722497, 0.691257274608, 0.998889283113))),
    ((_mix((0.8, 6.79, 19.94), (0.2, 1, 1)), 30, 0.9, 0.25),
     (11, (0.000015284492, 0.159321794688, 0.899755788967))),
    ((_mix((0.6, 16.6, 50.3), (0.4, 3.1, 8.1)), 25, 0.8, 0.3),
     (11, (0.000001483930, 0.044246497391, 0.654981017113))),
]  # fmt: skip


@pytest.mark.parametrize(("case", "expected"), CASES)
def test_decision_boundary_and_oc_equal_rbest(case, expected):
    prior, n, pc, qc = case
    boundary, oc = expected
    table = ap.BayesianDesign(ap.PosteriorRule(qc, prior, pc), (n,)).boundary_table
    assert table.efficacy[-1] - 1 == boundary
    assert ap.exact_oc(table, [0.1, 0.3, 0.5]).p_go == pytest.approx(oc, abs=1e-12)
