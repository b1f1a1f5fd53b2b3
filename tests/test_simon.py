"""Simon two-stage designs: a naive search, admissibility, large n.

Simon (1989)'s tables and clinfun's ph2simon: ``validation/references/simon_1989.yaml``
and ``clinfun_ph2simon.yaml`` (run by test_validation.py and ``adaptive-pilot validate``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from adaptive_pilot import InputError, exact_oc, simon_designs


def test_issue_example_values():
    search = simon_designs(0.1, 0.3, alpha=0.05, beta=0.2)
    assert search.optimal.notation == "1/10, 5/29"
    assert round(search.optimal.en0, 1) == 15.0
    assert round(search.optimal.pet0, 3) == 0.736
    assert search.minimax.notation == "1/15, 5/25"
    assert round(search.minimax.en0, 1) == 19.5


def _naive_per_n(p0, p1, alpha, beta, nmax, strict):
    """ph2simon's search written as plain loops: {n: (r1, n1, r, en0)}."""
    grid = np.arange(nmax + 1)
    pmf = {p: stats.binom.pmf(grid[None, :], grid[:, None], p) for p in (p0, p1)}
    sf = {p: stats.binom.sf(grid[None, :], grid[:, None], p) for p in (p0, p1)}

    def meets(value, target):
        return value < target if strict else value <= target + 1e-12

    found = {}
    for n in range(2, nmax + 1):
        best_en, best = float(n), None
        for n1 in range(1, n):
            n2 = n - n1
            for r1 in range(n1 - 1, -1, -1):
                x1 = np.arange(r1 + 1, n1 + 1)
                pet0 = 1.0 - pmf[p0][n1, x1].sum()
                en = n1 + (1 - pet0) * n2
                for r in range(r1 + n2, r1 - 1, -1):  # largest r first
                    k = r - x1
                    tails = {
                        p: np.where(k < 0, 1.0, sf[p][n2, np.clip(k, 0, None)]) for p in (p0, p1)
                    }
                    size = np.dot(pmf[p0][n1, x1], tails[p0])
                    power = np.dot(pmf[p1][n1, x1], tails[p1])
                    if meets(size, alpha) and meets(1 - power, beta):
                        if en < best_en - 1e-12:
                            best_en, best = en, (r1, n1, r, en)
                        break
        if best is not None:
            found[n] = best
    return found


@pytest.mark.parametrize(
    ("p0", "p1", "alpha", "beta", "nmax", "convention"),
    [
        (0.05, 0.25, 0.05, 0.20, 30, "clinfun"),
        (0.10, 0.30, 0.05, 0.20, 36, "clinfun"),
        (0.30, 0.60, 0.05, 0.20, 34, "clinfun"),
        (0.20, 0.50, 0.10, 0.10, 34, "inclusive"),
        (0.60, 0.85, 0.05, 0.20, 36, "inclusive"),
    ],
)
def test_agrees_with_naive_search(p0, p1, alpha, beta, nmax, convention):
    naive = _naive_per_n(p0, p1, alpha, beta, nmax, strict=convention == "clinfun")
    search = simon_designs(p0, p1, alpha, beta, n_max=nmax, convention=convention)
    ours = {int(row.n): row for row in search.candidates.itertuples()}
    assert ours, "no design found"
    for n, row in ours.items():
        assert (row.r1, row.n1, row.r) == naive[n][:3], f"n={n}"
        assert row.en0 == pytest.approx(naive[n][3], rel=1e-12)
    # Every n the search skipped is dominated: no better EN(p0) than one found at a smaller n.
    for n, (_, _, _, en) in naive.items():
        if n not in ours:
            assert any(m < n and ours[m].en0 <= en + 1e-9 for m in ours), f"n={n} skipped wrongly"
    assert min(naive) == search.minimax.n
    best_n = min(naive, key=lambda n: (naive[n][3], n))
    assert best_n == search.optimal.n


def test_admissible_designs_minimise_the_weighted_loss():
    search = simon_designs(0.2, 0.4, alpha=0.05, beta=0.2, n_max=100)
    candidates = search.candidates
    designs = search.admissible
    assert designs[0].kind == "minimax" and designs[-1].kind == "optimal"
    assert designs[0].q_hi == 1.0 and designs[-1].q_lo == 0.0
    for before, after in itertools.pairwise(designs):
        assert before.q_lo == pytest.approx(after.q_hi)  # intervals tile [0, 1]
        assert before.n < after.n and before.en0 > after.en0
    for design in designs:
        q = 0.5 * (design.q_lo + design.q_hi)
        loss = q * candidates["n"] + (1 - q) * candidates["en0"]
        assert q * design.n + (1 - q) * design.en0 == pytest.approx(loss.min())


def test_designs_convert_to_boundary_tables_with_the_same_oc():
    search = simon_designs(0.2, 0.4, alpha=0.05, beta=0.2)
    for design in search.designs:
        oc = exact_oc(design.boundary_table(), [design.p0, design.p1])
        assert oc.p_go[0] == pytest.approx(design.alpha, rel=1e-10)
        assert oc.p_go[1] == pytest.approx(design.power, rel=1e-10)
        assert oc.en[0] == pytest.approx(design.en0, rel=1e-12)
        assert oc.pet[0] == pytest.approx(design.pet0, rel=1e-12)


def test_frames_and_dicts():
    search = simon_designs(0.1, 0.3)
    frame = search.to_frame()
    assert list(frame["kind"]) == ["minimax", "admissible", "admissible", "optimal"]
    assert {"r1", "n1", "r", "n", "en0", "pet0", "alpha", "power", "q_lo", "q_hi"} <= set(
        frame.columns
    )
    payload = search.to_dict()
    assert payload["provenance"]["method"] == "exact"
    assert "1/10" in str(search) and "1/15" in str(search)


def test_single_admissible_design_is_listed_as_minimax_and_optimal():
    search = simon_designs(0.05, 0.6, alpha=0.05, beta=0.2)
    if len(search.admissible) == 1:
        kinds = [d.kind for d in search.designs]
        assert kinds == ["minimax", "optimal"]
    else:  # pragma: no cover - depends on the numbers; the logic is checked either way
        assert search.designs[0].kind == "minimax"


def test_inclusive_convention_never_needs_more_patients():
    strict = simon_designs(0.1, 0.3, 0.05, 0.2, convention="clinfun")
    inclusive = simon_designs(0.1, 0.3, 0.05, 0.2, convention="inclusive")
    assert inclusive.optimal.en0 <= strict.optimal.en0 + 1e-12
    assert inclusive.minimax.n <= strict.minimax.n


def test_large_nmax_is_supported():
    search = simon_designs(0.05, 0.15, alpha=0.05, beta=0.2, n_max=1000)
    assert search.optimal.notation == "1/23, 5/56"
    assert search.minimax.notation == "1/30, 5/52"


def test_the_search_skips_only_totals_without_a_feasible_design():
    """Totals marked impossible by the Neyman-Pearson bound have no feasible design."""
    from adaptive_pilot.designs.simon import _neyman_pearson_impossible
    from adaptive_pilot.designs.single_stage import single_stage_tests

    p0, p1, alpha, beta, nmax = 0.3, 0.6, 0.05, 0.2, 34
    for strict in (True, False):
        tests = single_stage_tests(p0, p1, alpha, nmax, strict)
        impossible = _neyman_pearson_impossible(tests, alpha, beta)
        naive = _naive_per_n(p0, p1, alpha, beta, nmax, strict=strict)
        assert impossible[: min(naive)].all()  # every total below the minimax is ruled out
        assert not impossible[list(naive)].any()


@pytest.mark.parametrize("p", [1e-3, 0.05, 0.3, 0.5, 0.9, 0.999])
@pytest.mark.parametrize("q", [0.01, 0.2, 0.5, 0.95, 0.999])
def test_binomial_helpers_agree_with_scipy_stats(p, q):
    from adaptive_pilot._binomial import binomial_cdf, binomial_quantile, binomial_sf

    n = np.arange(0, 401)
    ours, theirs = binomial_quantile(q, n, p), stats.binom.ppf(q, n, p)
    assert (binomial_cdf(ours, n, p) >= q).all() and (binomial_cdf(ours - 1, n, p) < q).all()
    # they differ only where P(X <= k) equals q to the last bits (e.g. 0.5 at p = 0.5)
    tie = np.abs(stats.binom.cdf(np.minimum(ours, theirs), n, p) - q) < 1e-12
    assert (ours[~tie] == theirs[~tie]).all()
    k = np.arange(-2, 404)[:, None]
    np.testing.assert_allclose(binomial_cdf(k, n, p), stats.binom.cdf(k, n, p), atol=1e-13)
    np.testing.assert_allclose(binomial_sf(k, n, p), stats.binom.sf(k, n, p), atol=1e-13)


def test_binomial_tables_keep_relative_accuracy_in_the_tails():
    from adaptive_pilot.designs._binomial_tables import BinomialTables

    for p in (0.05, 0.4, 0.9):
        tables = BinomialTables(p, 300)
        n = np.arange(tables.capacity + 1)[:, None]
        x = np.arange(tables.capacity + 1)[None, :]
        for ours, theirs in ((tables.pmf, stats.binom.pmf(x, n, p)),
                             (tables.cdf, stats.binom.cdf(x, n, p)),
                             (tables.sf, stats.binom.sf(x, n, p))):  # fmt: skip
            usable = theirs > 1e-200
            np.testing.assert_allclose(ours[usable], theirs[usable], rtol=1e-11)


def test_single_stage_comparison():
    single = simon_designs(0.1, 0.3).single_stage
    assert (single.n, single.r) == (25, 5)
    assert single.alpha == pytest.approx(stats.binom.sf(5, 25, 0.1))
    assert single.power == pytest.approx(stats.binom.sf(5, 25, 0.3))
    # No smaller n works.
    for n in range(1, 25):
        r = int(np.argmax(stats.binom.sf(np.arange(n + 1), n, 0.1) < 0.05))
        assert stats.binom.sf(r, n, 0.3) <= 0.8


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"p0": 0.3, "p1": 0.1}, "p1", "greater than p0"),
        ({"p0": 0.0, "p1": 0.3}, "p0", "strictly between 0 and 1"),
        ({"p0": 0.1, "p1": 1.0}, "p1", "strictly between 0 and 1"),
        ({"p0": 0.1, "p1": 0.3, "alpha": 1.5}, "alpha", "strictly between"),
        ({"p0": 0.1, "p1": 0.3, "beta": -0.1}, "beta", "strictly between"),
        ({"p0": 0.1, "p1": 0.3, "n_max": 10}, "n_max", "no two-stage design"),
        ({"p0": 0.1, "p1": 0.3, "n_max": 1}, "n_max", ">= 2"),
        ({"p0": 0.1, "p1": 0.3, "n_max": 10**6}, "n_max", "at most"),
        ({"p0": 0.1, "p1": 0.3, "convention": "simon"}, "convention", "clinfun"),
    ],
)
def test_bad_input(kwargs, field, fragment):
    with pytest.raises(InputError) as raised:
        simon_designs(**kwargs)
    assert raised.value.field == field
    assert fragment in raised.value.message


def test_admissible_at_q_picks_the_minimiser_of_the_weighted_loss():
    search = simon_designs(0.2, 0.4, alpha=0.05, beta=0.2, n_max=100)
    assert search.admissible_at(1.0) == search.minimax
    assert search.admissible_at(0.0) == search.optimal
    for q in np.linspace(0, 1, 41):
        chosen = search.admissible_at(q)
        losses = [q * d.n + (1 - q) * d.en0 for d in search.admissible]
        assert q * chosen.n + (1 - q) * chosen.en0 == pytest.approx(min(losses))
    with pytest.raises(InputError, match="q"):
        search.admissible_at(1.5)


def test_a_design_file_can_ask_for_the_admissible_design():
    from adaptive_pilot.spec import design_from_document

    document = {
        "name": "s",
        "hypotheses": {"p0": 0.2, "p1": 0.4},
        "errors": {"alpha": 0.05, "beta": 0.2},
        "rule": {"type": "simon", "search": {"kind": "admissible", "n_max": 100}},
    }
    chosen = simon_designs(0.2, 0.4, 0.05, 0.2, n_max=100).admissible_at(0.5)
    table = design_from_document(document).design.table
    assert table.looks == (chosen.n1, chosen.n)
    assert table.futility == (chosen.r1, chosen.r)
