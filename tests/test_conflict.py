"""Prior-data conflict against SAMprior and RBesT, and at the interim call.

References (R 4.2.2 on this machine): SAMprior 2.0.0 ``SAM_weight`` (its R/SAM_weight.R
sourced, with RBesT 1.8-2's sources for ``mixbeta``), for each case
``SAM_weight(MIX, delta = D, n = N, r = X, method.w = "LRT")`` and with
``method.w = "PPR", prior.odds = 3``; Box's p-value computed in R from RBesT's
beta-binomial predictive, ``d <- dmix(preddist(MIX, n = N), 0:N); sum(d[d <= d[X + 1]])``;
the posterior component weights ``postmix(MIX, n = N, r = X)[1, ]``.
"""

from __future__ import annotations

import pytest

import adaptive_pilot as ap
from adaptive_pilot.conflict import prior_data_conflict
from adaptive_pilot.errors import InputError
from adaptive_pilot.priors import BetaMixturePrior, BetaPrior


def _mix(*components):
    if len(components) == 1:
        return BetaPrior(*components[0][1:])
    return BetaMixturePrior([BetaPrior(a, b) for _, a, b in components],
                            [w for w, _, _ in components])  # fmt: skip


#: (prior, n, x, delta) -> (Box p, SAM LRT, SAM PPR with prior odds 3, posterior weights)
R_REFERENCE = [
    ((_mix((1, 20, 80)), 20, 12, 0.15),
     (0.000429147655, 0.006341523414, 0.018786302685, (1.0,))),
    ((_mix((1, 20, 80)), 20, 4, 0.15), (1.0, 0.747206131403, 0.898655938970, (1.0,))),
    ((_mix((0.8, 6.79, 19.94), (0.2, 1, 1)), 30, 3, 0.2),
     (0.339857739917, 0.027110709032, 0.077148998969, (0.874973572447, 0.125026427553))),
    ((_mix((0.6, 16.6, 50.3), (0.4, 3.1, 8.1)), 40, 25, 0.1),
     (0.010143445272, 0.002547740782, 0.007604473888, (0.012246053510, 0.987753946490))),
]  # fmt: skip


@pytest.mark.parametrize(("case", "expected"), R_REFERENCE)
def test_conflict_measures_reproduce_samprior_and_rbest(case, expected):
    prior, n, x, delta = case
    check = prior_data_conflict(prior, x, n, delta=delta, prior_odds=3)
    box, lrt, ppr, weights = expected
    assert check.box_p == pytest.approx(box, rel=1e-9, abs=1e-12)
    assert check.sam_weight == pytest.approx(lrt, rel=1e-9)
    assert check.sam_weight_ppr == pytest.approx(ppr, rel=1e-9)
    assert check.posterior_weights == pytest.approx(weights, rel=1e-9)
    assert check.conflict == (box < 0.05)


def test_the_sentence_says_conflict_or_agreement_in_words():
    clash = prior_data_conflict(BetaPrior(20, 80), 12, 20, delta=0.15)
    assert clash.sentence().startswith("The data conflict with the prior: 12 of 20")
    assert "p < 0.001" in clash.sentence()
    calm = prior_data_conflict(BetaPrior(20, 80), 4, 20)
    assert calm.sentence().startswith("The data agree with the prior") and calm.sam_weight is None
    for bad in ({"x": 5, "n": 4}, {"x": 1, "n": 0}, {"x": 1, "n": 5, "delta": 1.5}):
        with pytest.raises(InputError):
            prior_data_conflict(BetaPrior(1, 1), **bad)


def test_every_interim_call_checks_its_cohorts_data_against_their_prior():
    import datetime as dt
    from pathlib import Path

    from adaptive_pilot.dsmb.run import run_interim

    repo = Path(__file__).resolve().parents[1]
    result = run_interim(
        repo / "designs" / "motivating_trial.yaml",
        data=repo / "designs" / "motivating_trial_synthetic_patients.csv",
        as_of=dt.date(2026, 6, 30),
    )
    frame = result.to_frame()
    for plan, call in zip(result.plan.cohorts, result.calls, strict=True):
        expected = prior_data_conflict(
            plan.prior, call.responses, call.n_evaluable, delta=plan.p1 - plan.p0
        )
        assert call.box_p == pytest.approx(expected.box_p, rel=1e-12)
        assert call.sam_weight == pytest.approx(expected.sam_weight, rel=1e-12)
    assert {"box_p", "sam_weight"} <= set(frame.columns)


def test_postprob_reports_the_conflict(capsys):
    import json

    from adaptive_pilot.cli import main

    assert main(["postprob", "--x", "12", "--n", "20", "--p0", "0.2", "--prior", "20,80",
                 "--delta", "0.15", "--format", "json"]) == 0  # fmt: skip
    payload = json.loads(capsys.readouterr().out)
    assert payload["conflict"]["box_p"] == pytest.approx(0.000429147655, rel=1e-9)
    assert payload["conflict"]["sam_weight"] == pytest.approx(0.006341523414, rel=1e-9)
    assert payload["conflict"]["conflict"] is True
    assert ap.BetaPrior(20, 80).mean == pytest.approx(0.2)
