"""Prior-data conflict: properties, and at the interim call.

SAMprior's SAM_weight and RBesT's predictive: ``validation/references/samprior_conflict.yaml``
(run by test_validation.py and ``adaptive-pilot validate``).
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
