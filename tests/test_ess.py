"""Effective sample size of Beta mixtures, and the prior description.

RBesT's ess: ``validation/references/rbest_ess.yaml`` (run by test_validation.py and
``adaptive-pilot validate``).
"""

from __future__ import annotations

import json
import math

import pytest

from adaptive_pilot.errors import InputError
from adaptive_pilot.ess import effective_sample_size, prior_information
from adaptive_pilot.prior_information import describe_prior
from adaptive_pilot.priors import BetaMixturePrior, BetaPrior, robustify


def _mix(*components):
    return BetaMixturePrior([BetaPrior(a, b) for _, a, b in components],
                            [w for w, _, _ in components])  # fmt: skip


BASE = _mix((0.2, 1, 1), (0.8, 10, 2))


def test_elir_of_a_beta_is_a_plus_b_and_robustifying_lowers_it():
    for a, b in ((1.5, 1.5), (2, 30), (12.3, 4.7)):
        assert effective_sample_size(BetaPrior(a, b)) == pytest.approx(a + b, rel=1e-9)
    curve = describe_prior(BASE, robust_weight=0.2).curve
    assert curve["robust_weight"].tolist() == [round(0.1 * k, 1) for k in range(11)]
    elir = curve["ess_elir"].to_numpy()
    assert (elir[1:] < elir[:-1]).all() and elir[-1] == pytest.approx(0.0, abs=1e-9)
    assert curve["ess_elir"][2] == pytest.approx(5.2782727763, rel=1e-6)


def test_prior_information_is_minus_the_second_derivative_of_the_log_density():
    import numpy as np
    from scipy import stats

    w, a, b = BASE.components()
    for theta in (0.1, 0.5, 0.83):

        def log_density(x):
            parts = zip(w, a, b, strict=True)
            return math.log(sum(wk * stats.beta.pdf(x, ak, bk) for wk, ak, bk in parts))

        h = 1e-4
        second = (log_density(theta + h) - 2 * log_density(theta) + log_density(theta - h)) / h**2
        assert prior_information(w, a, b, theta) == pytest.approx(-second, rel=1e-5)
    assert np.isfinite(prior_information(w, a, b, 0.0))


def test_robustify_adds_rbests_vague_component():
    prior = robustify(BetaPrior(2, 18), 0.2, mean=0.3)
    assert prior.weights == pytest.approx((0.8, 0.2))
    assert (prior.components_[1].a, prior.components_[1].b) == pytest.approx((0.6, 1.4))
    for bad in ({"weight": 1.2}, {"weight": -0.1}, {"weight": 0.2, "mean": 1.0}):
        with pytest.raises(InputError):
            robustify(BetaPrior(2, 18), **{"mean": 0.5, **bad})


def test_the_description_is_json_with_glossary_names():
    info = describe_prior(BASE, robust_weight=0.2, robust_mean=0.5)
    payload = json.loads(json.dumps(info.to_dict(), allow_nan=False))
    assert [set(c) for c in payload["mixture"]] == [{"weight", "a", "b"}] * 3
    assert payload["ess_elir"] == pytest.approx(5.2782727763, rel=1e-6)
    assert payload["robust"] == {"weight": 0.2, "mean": 0.5}
    refused = describe_prior(_mix((0.5, 0.5, 3), (0.5, 4, 2)))
    assert refused.ess["ess_elir"] is None and "not defined" in refused.summary().as_text()
    with pytest.raises(InputError, match="method"):
        effective_sample_size(BASE, "variance")


def test_the_prior_command_prints_the_mixture_and_the_three_ess(capsys):
    from adaptive_pilot.cli import main

    assert main(["prior", "--mix", "0.2:1:1,0.8:10:2", "--robust", "0.2", "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["mixture"][1] == {"weight": pytest.approx(0.64), "a": 10.0, "b": 2.0}
    for key, value in zip(("ess_elir", "ess_moment", "ess_morita"),
                          (5.2782727763, 2.2750917155, 6.7443973274), strict=True):  # fmt: skip
        assert payload[key] == pytest.approx(value, rel=1e-5)
    assert len(payload["robust_curve"]) == 11
    assert main(["prior", "--mix", "3:12"]) == 0
    assert "elir 15.00, moment 15.00" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mix", "0.2:1:1:4"], "each component is weight:a:b"),
        (["--mix", "0.5:-1:2"], "a and b positive"),
        (["--mix", "0:1:1"], "must not all be 0"),
        (["--mix", "3:12", "--robust", "1.5"], "--robust: must be a number from 0 to 1"),
        (["--mix", "3:12", "--robust", "0.2", "--robust-mean", "1"], "--robust-mean"),
    ],
)
def test_bad_prior_input_is_one_line_and_exit_2(args, message, capsys):
    from adaptive_pilot.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["prior", *args])
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
