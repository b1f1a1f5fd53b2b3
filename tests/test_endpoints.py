"""Multi-endpoint BOP2 designs (issue 27): brute force, calibration, bad input.

BOP2FE's bounds and OC: ``validation/references/bop2fe.yaml`` (run by test_validation.py
and ``adaptive-pilot validate``).
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
