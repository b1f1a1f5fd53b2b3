"""Multi-endpoint BOP2 designs (issue 27): BOP2FE's bounds and OC, brute force, calibration.

Reference numbers: BOP2FE 1.0.3 (Xu et al. 2025; github.com/belayb/BOP2FE at a208063),
run in R 4.2.2 with the calls in each case below, n = c(10, 5, 5, 5, 5, 5, 5) (looks 10,
15, ..., 40), prior a = H0, nsim = 20000. Its bounds are enumerated (exact); its OC are
simulated, so ours (exact) must lie within 4 MCSE. BOP2FE reports the largest count of
each endpoint inside the joint futility region and the smallest inside the efficacy
region; for these designs those are the per-endpoint bounds.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from adaptive_pilot.designs.endpoint_calibration import calibrate_endpoints
from adaptive_pilot.designs.multi_endpoint import MultiEndpointDesign
from adaptive_pilot.errors import InputError
from adaptive_pilot.oc.multinomial import designs_stopping_probabilities
from adaptive_pilot.priors import DirichletPrior
from adaptive_pilot.rules.endpoint_bounds import look_keys, look_masks
from adaptive_pilot.rules.endpoints import Endpoint, MultiEndpointRule

LOOKS = (10, 15, 20, 25, 30, 35, 40)
NSIM = 20_000


def _nested(lam, gamma, efficacy, eta=None, looks=LOOKS):
    h0 = (0.15, 0.15, 0.70)
    prior = DirichletPrior(("CR", "PR", "NR"), h0)
    endpoints = (Endpoint("CR", ("CR",), 0.15), Endpoint("ORR", ("CR", "PR"), 0.30))
    rule = MultiEndpointRule(prior, endpoints, "any", looks[-1], lam, gamma, efficacy, eta)
    return MultiEndpointDesign(rule, looks)


def _efftox(lam, gamma, efficacy, eta=None):
    h0 = (0.15, 0.30, 0.15, 0.40)  # (response, toxicity), (response, none), (toxicity), none
    prior = DirichletPrior(("RT", "R", "T", "none"), h0)
    endpoints = (
        Endpoint("response", ("RT", "R"), 0.45),
        Endpoint("toxicity", ("RT", "T"), 0.30, better="lower"),
    )
    rule = MultiEndpointRule(prior, endpoints, "all", 40, lam, gamma, efficacy, eta)
    return MultiEndpointDesign(rule, LOOKS)


def _coprimary(lam, gamma, efficacy, eta=None):
    h0 = (0.05, 0.05, 0.15, 0.75)  # (response, PFS6), (response), (PFS6), neither
    prior = DirichletPrior(("R+P", "R", "P", "none"), h0)
    endpoints = (Endpoint("response", ("R+P", "R"), 0.10), Endpoint("PFS6", ("R+P", "P"), 0.20))
    rule = MultiEndpointRule(prior, endpoints, "any", 40, lam, gamma, efficacy, eta)
    return MultiEndpointDesign(rule, LOOKS)


# (design, futility bounds, efficacy bounds, [(cells, early futility, early efficacy,
#  E[N], P(reject H0))]) from BOP2FE; the bounds are on each endpoint's own count
BOP2FE_CASES = {
    # get_boundary_nested(H0=c(.15,.15,.70), a=H0, n, lambda=0.9, gamma=1, eta=1,
    #   method="power"); get_oc_nested(p1, p2, p3, n, nsim=20000, fb, sb, seed=1)
    "nested-power": (
        lambda: _nested(0.9, 1.0, "power", 1.0),
        [[0, 1, 3, 4, 5, 7, 9], [2, 3, 5, 7, 10, 12, 15]],
        [[5, 6, 7, 7, 8, 9, 10], [7, 8, 10, 12, 13, 15, 16]],
        [((0.15, 0.15, 0.70), 0.7475, 0.17685, 23.2915, 0.1962),
         ((0.25, 0.25, 0.50), 0.06505, 0.89075, 19.4685, 0.91965),
         ((0.10, 0.30, 0.60), 0.3783, 0.5028, 23.7565, 0.55965)],
    ),
    # get_boundary_nested(..., lambda=0.95, gamma=0.8, method="OF"); seed=2
    "nested-obrien-fleming": (
        lambda: _nested(0.95, 0.8, "obrien-fleming"),
        [[1, 2, 3, 4, 6, 7, 10], [2, 4, 6, 8, 10, 13, 17]],
        [[8, 8, 8, 9, 10, 10, 11], [9, 11, 12, 13, 15, 16, 18]],
        [((0.15, 0.15, 0.70), 0.83785, 0.05685, 21.18125, 0.0665),
         ((0.25, 0.25, 0.50), 0.12615, 0.76255, 26.05625, 0.8042)],
    ),
    # get_boundary_jointefftox(H0=c(.15,.30,.15,.40), a=H0, n, lambda=0.7, gamma=1, eta=1,
    #   method="power"); get_oc_jointefftox(p1, p2, p3, p4, n, nsim=20000, fb, sb, seed=3).
    # Toxicity: stop if toxicities >= f, efficacy stop needs toxicities <= e.
    "efficacy-toxicity": (
        lambda: _efftox(0.7, 1.0, "power", 1.0),
        [[3, 5, 8, 10, 13, 16, 19], [5, 6, 7, 8, 9, 10, 11]],
        [[7, 10, 12, 14, 16, 18, 20], [1, 2, 4, 5, 7, 8, 10]],
        [((0.15, 0.30, 0.15, 0.40), 0.893, 0.08235, 17.88325, 0.09085),
         ((0.18, 0.42, 0.02, 0.38), 0.2981, 0.66085, 22.0835, 0.6894),
         ((0.05, 0.25, 0.25, 0.45), 0.99, 0.0079, 12.979, 0.00815)],
    ),
    # get_boundary_coprimary(H0=c(.05,.05,.15,.75), a=H0, n, lambda=0.95, gamma=1,
    #   method="OF"); get_oc_coprimary(p1, p2, p3, p4, n, nsim=20000, fb, sb, seed=4)
    "co-primary": (
        lambda: _coprimary(0.95, 1.0, "obrien-fleming"),
        [[0, 1, 2, 3, 4, 5, 7], [1, 2, 4, 5, 7, 9, 12]],
        [[7, 7, 7, 7, 7, 8, 8], [8, 9, 10, 11, 11, 12, 13]],
        [((0.05, 0.05, 0.15, 0.75), 0.80985, 0.0626, 23.85925, 0.0828),
         ((0.15, 0.15, 0.20, 0.50), 0.0231, 0.93455, 23.646, 0.96335)],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", BOP2FE_CASES, ids=str)
def test_bounds_equal_bop2fe(case):
    make, futility, efficacy, _ = BOP2FE_CASES[case]
    fut, eff = make().bounds.natural()
    if case.startswith("nested"):
        # BOP2FE's CR bound is the largest CR count in the joint region: CR <= ORR
        fut = np.vstack([np.minimum(fut[0], fut[1]), fut[1]])
    assert fut.tolist() == futility
    assert eff.tolist() == efficacy


@pytest.mark.parametrize("case", BOP2FE_CASES, ids=str)
def test_exact_oc_within_4_mcse_of_bop2fe(case):
    make, _, _, scenarios = BOP2FE_CASES[case]
    design = make()
    oc = design.oc([s[0] for s in scenarios])
    looks = np.asarray(design.looks, float)
    for i, (_, fut, eff, en, go) in enumerate(scenarios):
        for exact, simulated in (
            (oc.p_early_futility[i], fut),
            (oc.p_early_efficacy[i], eff),
            (oc.p_go[i], go),
        ):
            mcse = np.sqrt(exact * (1 - exact) / NSIM)
            assert abs(exact - simulated) <= 4 * mcse + 1e-12, (i, exact, simulated)
        ended = oc.stop_futility[i] + oc.stop_efficacy[i]
        sd = np.sqrt(ended @ looks**2 - oc.en[i] ** 2)
        assert abs(oc.en[i] - en) <= 4 * sd / np.sqrt(NSIM)


# ----------------------------------------------------------------- brute force
def _brute(rule, looks, cells, groups, fut_on=None):
    """Every outcome sequence of N patients, decided by the BOP2 definition written here
    from the endpoints' Beta posteriors (scipy), not from the compiled bounds: stop if in
    some group every endpoint is weak; efficacy if every group has a strong endpoint."""
    from scipy import stats

    k, n_max = len(rule.categories), looks[-1]
    seqs = np.array(list(itertools.product(range(k), repeat=n_max)))
    weights = np.prod(np.asarray(cells)[:, seqs], axis=2)  # (S, sequences)
    member = rule.membership
    running = np.ones(len(seqs), bool)
    out = np.zeros((len(cells), len(looks), 2))
    a = np.array(rule.prior.concentration)
    for look, n in enumerate(looks):
        counts = np.stack([(seqs[:, :n] == j).sum(axis=1) for j in range(k)], axis=1)
        q = []
        for e, endpoint in enumerate(rule.endpoints):
            c = counts @ member[:, e]
            a_s = a @ member[:, e]
            post = stats.beta(a_s + c, a.sum() - a_s + n - c)
            if endpoint.better == "higher":
                q.append(post.sf(endpoint.threshold))
            else:
                q.append(post.cdf(endpoint.threshold))
        q = np.stack(q, axis=1)
        t = n / n_max
        weak = q < rule.lam * t**rule.gamma
        join_weak = np.any([weak[:, g].all(axis=1) for g in groups], axis=0)
        if look == len(looks) - 1:
            fut, eff = join_weak, ~join_weak
        else:
            cut = 1 - (1 - rule.lam) * t**rule.eta
            strong = q >= cut
            join_strong = np.all([strong[:, g].any(axis=1) for g in groups], axis=0)
            on = True if fut_on is None else fut_on[look]
            fut = join_weak & on
            eff = join_strong & ~fut
        for reason, hit in enumerate((fut, eff)):
            hit = hit & running
            out[:, look, reason] = weights[:, hit].sum(axis=1)
            running &= ~hit
    return out


RESPONSE_TOXICITY = ("OR+T", "OR", "SD+T", "SD", "PD+T", "PD")


@pytest.mark.parametrize(
    ("categories", "prior", "endpoints", "require", "groups", "looks", "cells"),
    [
        (("CR", "PR", "SD", "PD"), (0.05, 0.1, 0.25, 0.6),
         (Endpoint("ORR", ("CR", "PR"), 0.15), Endpoint("DCR", ("CR", "PR", "SD"), 0.4)),
         "any", [[0, 1]], (3, 6, 8), [(0.05, 0.1, 0.25, 0.6), (0.1, 0.25, 0.3, 0.35)]),
        (("RT", "R", "T", "none"), (0.1, 0.2, 0.1, 0.6),
         (Endpoint("response", ("RT", "R"), 0.3), Endpoint("tox", ("RT", "T"), 0.2, "lower")),
         "all", [[0], [1]], (3, 6, 8), [(0.1, 0.2, 0.1, 0.6), (0.08, 0.42, 0.02, 0.48)]),
        (RESPONSE_TOXICITY, (0.02, 0.08, 0.06, 0.24, 0.12, 0.48),
         (Endpoint("ORR", ("OR+T", "OR"), 0.1), Endpoint("DCR", RESPONSE_TOXICITY[:4], 0.4),
          Endpoint("tox", ("OR+T", "SD+T", "PD+T"), 0.2, "lower")),
         "(ORR or DCR) and tox", [[0, 1], [2]], (3, 6),
         [(0.02, 0.08, 0.06, 0.24, 0.12, 0.48), (0.05, 0.25, 0.05, 0.3, 0.05, 0.3)]),
    ],
    ids=["orr-dcr", "efficacy-toxicity", "orr-dcr-and-toxicity"],
)  # fmt: skip
def test_exact_oc_equals_enumeration_of_every_sequence(
    categories, prior, endpoints, require, groups, looks, cells
):
    rule = MultiEndpointRule(
        DirichletPrior(categories, prior), endpoints, require, looks[-1], 0.6, 0.8, "power", 1.5
    )
    design = MultiEndpointDesign(rule, looks)
    oc = design.oc(cells)
    expected = _brute(rule, looks, cells, groups)
    assert oc.stop_futility == pytest.approx(expected[:, :, 0], abs=1e-13)
    assert oc.stop_efficacy == pytest.approx(expected[:, :, 1], abs=1e-13)
    assert (oc.p_go + oc.stop_futility.sum(axis=1)) == pytest.approx(1.0, abs=1e-13)


def test_switched_off_futility_look_never_stops_there():
    cats = ("CR", "PR", "SD", "PD")
    rule = MultiEndpointRule(
        DirichletPrior(cats, (0.05, 0.1, 0.25, 0.6)),
        (Endpoint("ORR", ("CR", "PR"), 0.15), Endpoint("DCR", ("CR", "PR", "SD"), 0.4)),
        "any", 8, 0.6, 0.8, "power", 1.5,
    )  # fmt: skip
    design = MultiEndpointDesign(rule, (3, 6, 8), futility_on=(False, True, True))
    cells = [(0.05, 0.1, 0.25, 0.6)]
    oc = design.oc(cells)
    assert oc.stop_futility[0, 0] == 0.0
    expected = _brute(rule, (3, 6, 8), cells, [[0, 1]], fut_on=(False, True, True))
    assert oc.stop_futility == pytest.approx(expected[:, :, 0], abs=1e-13)


def test_decide_agrees_with_the_compiled_sets_on_every_outcome():
    design = _efftox(0.7, 1.0, "power", 1.0)
    for k, n in enumerate(design.looks):
        fut, eff = design.bounds.masks(k)
        for r in range(n + 1):
            for t in range(n + 1):
                # a category count vector with r responses and t toxicities
                rt = max(0, r + t - n)
                counts = {"RT": rt, "R": r - rt, "T": t - rt, "none": n - r - t + rt}
                action = design.decide(n, counts).action
                if k == len(design.looks) - 1:
                    assert (action == "no_go") == fut[r, t]
                else:
                    assert (action == "stop_futility") == fut[r, t]
                    assert (action == "stop_efficacy") == eff[r, t]


@pytest.mark.parametrize(
    ("text", "groups"),
    [("any", ((0, 1, 2),)), ("all", ((0,), (1,), (2,))),
     ("(ORR or DCR) and tox", ((0, 1), (2,))), ("tox AND (DCR OR ORR)", ((2,), (1, 0))),
     ("ORR or DCR or tox", ((0, 1, 2),))],
)  # fmt: skip
def test_requirement_groups(text, groups):
    from adaptive_pilot.rules.endpoints import requirement_groups

    assert requirement_groups(text, ("ORR", "DCR", "tox")) == groups


@pytest.mark.parametrize(
    ("text", "why"),
    [("ORR or DCR and tox", "parentheses"), ("ORR and DCR", "missing 'tox'"),
     ("ORR and ORR and tox", "twice"), ("ORR and DCR and toxicity", "not an endpoint"),
     ("", "must be")],
)  # fmt: skip
def test_requirement_refused_in_one_line(text, why):
    from adaptive_pilot.rules.endpoints import requirement_groups

    with pytest.raises(InputError, match=why) as info:
        requirement_groups(text, ("ORR", "DCR", "tox"))
    assert info.value.field == "require"


def test_endpoint_posterior_is_the_dirichlet_aggregate():
    """P(CR + PR > 0.3 | counts) from the Beta marginal vs Dirichlet draws (numpy)."""
    rng = np.random.default_rng(20261207)
    prior = DirichletPrior(("CR", "PR", "SD", "PD"), (0.1, 0.2, 0.3, 0.4))
    rule = MultiEndpointRule(prior, (Endpoint("ORR", ("CR", "PR"), 0.3),), "any", 20, 0.8, 1.0)
    counts = np.array([2, 5, 6, 7])
    draws = rng.dirichlet(np.array(prior.concentration) + counts, size=400_000)
    mc = float(np.mean(draws[:, 0] + draws[:, 1] > 0.3))
    q = float(rule.statistics(20, rule.endpoint_counts(counts))[0])
    assert abs(q - mc) <= 4 * np.sqrt(mc * (1 - mc) / 400_000)


def test_shared_prefix_recursion_equals_one_design_at_a_time():
    designs = [_nested(lam, gamma, None) for lam in (0.6, 0.8, 0.9) for gamma in (0.5, 1.0)]
    fut = np.array([d.bounds.futility for d in designs])
    eff = np.array([d.bounds.efficacy for d in designs])
    keys, rows = look_keys(fut, eff)
    assert len(rows[0]) < len(designs)  # some designs share their first look

    def masks_for(k, key):
        return look_masks(LOOKS[k], rows[k][key], (False, False), ((0, 1),), final=k == 6)

    cells = np.array([(0.15, 0.15, 0.7), (0.25, 0.25, 0.5)])
    stopped, running = designs_stopping_probabilities(
        LOOKS, cells, keys, masks_for, steps=designs[0].rule.membership
    )
    assert running == pytest.approx(0.0, abs=1e-14)
    for i, design in enumerate(designs):
        oc = design.oc(cells)
        assert stopped[i, :, :, 0] == pytest.approx(oc.stop_futility, abs=1e-15)
        assert stopped[i, :, :, 1] == pytest.approx(oc.stop_efficacy, abs=1e-15)


# ----------------------------------------------------------------- calibration
def test_calibration_chooses_the_most_powerful_design_under_every_null():
    base = _efftox(0.7, 1.0, None).rule
    nulls = {
        "futile, safe": (0.15, 0.30, 0.15, 0.40),
        "effective, toxic": (0.30, 0.30, 0.10, 0.30),
        "futile, toxic": (0.20, 0.25, 0.20, 0.35),
    }
    lam, gamma = (0.5, 0.6, 0.7, 0.8, 0.9), (0.5, 1.0, 1.5)
    result = calibrate_endpoints(
        base, looks=LOOKS, null=nulls, alternative=(0.18, 0.42, 0.02, 0.38), alpha=0.1,
        lam=lam, gamma=gamma,
    )  # fmt: skip
    assert result.design is not None
    # the search by hand: every candidate's exact OC through the design object
    best = None
    for lv in lam:
        for gv in gamma:
            design = _efftox(lv, gv, None)
            try:
                oc = design.oc([*nulls.values(), (0.18, 0.42, 0.02, 0.38)])
            except InputError:
                continue
            alpha, power = oc.p_go[:3].max(), oc.p_go[3]
            if alpha <= 0.1 and (best is None or (power, -oc.en[0]) > best[0]):
                best = ((power, -oc.en[0]), lv, gv, alpha)
    assert best is not None
    assert (result.design.rule.lam, result.design.rule.gamma) == (best[1], best[2])
    row = result.feasible.iloc[0]
    assert row["alpha"] == pytest.approx(best[3], abs=1e-14)
    assert row["power"] == pytest.approx(best[0][0], abs=1e-14)
    payload = result.to_dict()
    assert payload["method"] == "bop2_endpoints"
    assert payload["boundaries"]["require"] == "all"
    assert [s["scenario"] for s in payload["grids"]["null"]] == list(nulls)


def test_calibration_en0_criterion_needs_beta():
    with pytest.raises(InputError, match="beta"):
        calibrate_endpoints(
            _nested(0.9, 1.0, None).rule, looks=LOOKS, null=(0.15, 0.15, 0.7),
            alternative=(0.25, 0.25, 0.5), alpha=0.1, lam=(0.9,), gamma=(1.0,),
            criterion="en0",
        )  # fmt: skip


# ----------------------------------------------------------------- refused inputs
@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: Endpoint("ORR", ("CR", "CR"), 0.3), "endpoints.ORR.categories"),
        (lambda: Endpoint("ORR", ("CR",), 1.3), "endpoints.ORR.threshold"),
        (lambda: Endpoint("tox", ("T",), 0.3, "up"), "endpoints.tox.better"),
        (lambda: DirichletPrior(("CR", "CR"), (1, 1)), "categories"),
        (lambda: DirichletPrior(("CR", "PR"), (1, 0)), "prior.PR"),
        (lambda: MultiEndpointRule(
            DirichletPrior(("CR", "PD"), (1, 1)), (Endpoint("X", ("SD",), 0.3),), "any", 20,
            0.8, 1.0), "categories"),
        (lambda: MultiEndpointRule(
            DirichletPrior(("CR", "PD"), (1, 1)), (Endpoint("X", ("CR", "PD"), 0.3),), "any",
            20, 0.8, 1.0), "endpoints.X.categories"),
        (lambda: MultiEndpointRule(
            DirichletPrior(("CR", "PD"), (1, 1)), (Endpoint("X", ("CR",), 0.3),), "some", 20,
            0.8, 1.0), "require"),
        (lambda: MultiEndpointRule(
            DirichletPrior(("CR", "PD"), (1, 1)),
            (Endpoint("X", ("CR",), 0.3), Endpoint("X", ("CR",), 0.2)), "any", 20, 0.8, 1.0),
            "endpoints"),
        (lambda: _nested(0.9, 1.0, None).oc({"CR": 0.5, "PR": 0.5, "NR": 0.5}), "scenarios"),
        (lambda: _nested(0.9, 1.0, None).oc({"CR": 0.5, "SD": 0.5}), "scenarios"),
        (lambda: _nested(0.9, 1.0, None).decide(10, {"CR": 1, "PR": 1, "NR": 1}), "counts"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_naming_the_field(make, field):
    with pytest.raises(InputError) as info:
        make()
    assert info.value.field == field
