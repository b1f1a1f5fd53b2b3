"""MAP priors: the exact predictive against MCMC (PyMC), the mixture fit, the shrinkage
estimates, bad input.

Reference, on RBesT's ankylosing-spondylitis data (``AS``, 8 placebo arms): PyMC 6 on
this machine, the model non-centred (mu ~ N(0, 2), tau ~ HalfNormal(1), logit p_h = mu +
tau z_h), 4 chains x 10,000 draws after 2,000 tuning steps (target_accept 0.95, seed 3),
each draw's new-study rate drawn 20 times: tau mean 0.3801, MAP mean 0.25849, SD 0.08762,
quantiles 0.11072, 0.24883, 0.47206.

RBesT's vignette (gMAP) and its EM mixture fit on the same data:
``validation/references/rbest_map_prior.yaml`` (run by test_validation.py and
``adaptive-pilot validate``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import adaptive_pilot as ap
from adaptive_pilot.errors import InputError

AS = [
    ("Study 1", 107, 23), ("Study 2", 44, 12), ("Study 3", 51, 19), ("Study 4", 39, 9),
    ("Study 5", 139, 39), ("Study 6", 20, 6), ("Study 7", 78, 9), ("Study 8", 35, 10),
]  # fmt: skip


@pytest.fixture(scope="module")
def as_map():
    return ap.map_prior([{"name": s, "n": n, "x": x} for s, n, x in AS], tau_sd=1.0)


def test_the_exact_map_prior_agrees_with_mcmc(as_map):
    pred = as_map.predictive
    # PyMC, 40,000 draws (MCSE of the mean about 0.0005, of the SD and quantiles about 0.001-0.004)
    assert pred["mean"] == pytest.approx(0.25849, abs=0.002)
    assert pred["sd"] == pytest.approx(0.08762, abs=0.002)
    assert pred["q025"] == pytest.approx(0.11072, abs=0.003)
    assert pred["q50"] == pytest.approx(0.24883, abs=0.003)
    assert pred["q975"] == pytest.approx(0.47206, abs=0.008)
    assert as_map.tau_posterior["mean"] == pytest.approx(0.3801, abs=0.01)
    # RBesT's vignette and EM: validation/references/rbest_map_prior.yaml (test_validation)


def test_the_mixture_approximates_the_map_prior_and_matches_rbests_em(as_map):
    fit = as_map.fit
    assert fit["components"] == 3
    criteria = [fit["criteria"][str(k)] for k in (1, 2, 3, 4)]
    assert criteria[2] == min(criteria)
    assert fit["kl"] < 0.002 and fit["cdf_error"] < 0.006  # stated, and small
    mixture = as_map.mixture
    assert mixture.mean == pytest.approx(as_map.predictive["mean"], abs=5e-4)
    assert all(c.a >= 1 and c.b >= 1 for c in mixture.components_)  # ELIR stays defined


def test_shrinkage_pulls_each_study_towards_the_others(as_map):
    frame = as_map.to_frame()
    overall = as_map.predictive["mean"]
    for row in frame.itertuples():
        low, high = sorted((row.rate, overall))
        assert low - 1e-9 <= row.posterior_mean <= high + 1e-9
        assert row.credible_low < row.posterior_mean < row.credible_high


def test_robustified_map_prior_and_its_json(as_map):
    studies = [{"name": s, "n": n, "x": x} for s, n, x in AS]
    robust = ap.map_prior(studies, robust_weight=0.2, components=(1, 2, 3))
    assert robust.prior.weights[-1] == pytest.approx(0.2)
    assert robust.ess["ess_elir"] < as_map.ess["ess_elir"]
    payload = json.loads(json.dumps(robust.to_dict(), allow_nan=False))
    assert set(payload["mixture"][0]) == {"weight", "a", "b"}
    assert payload["inputs"]["robust"] == {"weight": 0.2, "mean": 0.5}


@pytest.mark.parametrize(
    ("historical", "message"),
    [
        ([], "needs at least one study"),
        ([{"name": "A", "n": 10, "x": 11}], r"historical\[0\].x: must be a whole number"),
        ([{"name": "A", "n": 0, "x": 0}], r"historical\[0\].n"),
        ([{"name": "A", "n": 10, "x": 1}, {"name": "A", "n": 5, "x": 1}], "names must differ"),
        ([{"name": "A", "n": 10, "r": 1}], "unknown key 'r'"),
    ],
)
def test_bad_historical_data_is_one_line(historical, message):
    with pytest.raises(InputError, match=message):
        ap.map_prior(historical)


def test_the_prior_command_builds_a_map_prior_from_a_csv(tmp_path, capsys):
    from adaptive_pilot.cli import main

    path = tmp_path / "as.csv"
    path.write_text("name,n,x,reference\n" + "".join(f"{s},{n},{x},ref\n" for s, n, x in AS))
    assert main(["prior", "--map", str(path), "--format", "json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["predictive"]["mean"] == pytest.approx(0.2583, abs=5e-4)
    assert len(payload["studies"]) == 8 and payload["studies"][6]["x"] == 9
    bad = tmp_path / "bad.csv"
    bad.write_text("name,n,x\nA,10,three\n")
    with pytest.raises(SystemExit) as stop:
        main(["prior", "--map", str(bad)])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert "row 2, column x: must be a whole number" in err and len(err.strip().splitlines()) == 1
    with pytest.raises(SystemExit):
        main(["prior"])
    assert "give one of --mix" in capsys.readouterr().err
    assert np.isfinite(payload["ess_elir"])


def _design(prior: str) -> str:
    return (
        "name: map-design\nhypotheses: {p0: 0.15, p1: 0.35}\n" + prior
        + "n_max: 30\nlooks: {every: 10}\nrule: {type: bop2, lambda: 0.9, gamma: 1}\n"
    )  # fmt: skip


MAP_PRIOR = """prior:
  type: map
  historical:
    - {name: A, n: 40, x: 8}
    - {name: B, n: 25, x: 7}
  tau: {half_normal: 0.5}
  robust: {weight: 0.3}
"""


def test_a_design_file_can_hold_a_map_prior(tmp_path):
    from adaptive_pilot.reports import design_report

    path = tmp_path / "design.yaml"
    path.write_text(_design(MAP_PRIOR))
    resolved = ap.load_design(path)
    direct = ap.map_prior(
        [{"name": "A", "n": 40, "x": 8}, {"name": "B", "n": 25, "x": 7}],
        tau_sd=0.5, robust_weight=0.3,
    )  # fmt: skip
    assert resolved.prior.components()[1] == pytest.approx(direct.prior.components()[1])
    assert resolved.map_prior().fit == direct.fit
    report = design_report(path)
    text = " ".join(b.text for b in report.sections[0].blocks)
    # its own section: the studies and shrinkage, the mixture, and the forest plot
    section = report.sections[1]
    assert section.title == "Prior from historical studies"
    shrinkage = next(b for b in section.blocks if getattr(b, "title", "").startswith("Historical"))
    assert list(shrinkage.frame["study"]) == ["A", "B"]
    assert [b.name for b in section.blocks if hasattr(b, "name")] == ["map_forest"]
    assert "meta-analytic-predictive (MAP) prior (Neuenschwander et al. 2010)" in text
    assert "from 2 historical studies (A (8/40), B (7/25); 65 patients)" in text
    assert "robustified (Schmidli et al. 2014)" in text
    elir = ap.effective_sample_size(direct.prior, "elir")
    assert f"an effective sample size of {elir:.3g} patients by the expected local" in text


@pytest.mark.parametrize(
    ("prior", "message"),
    [
        (MAP_PRIOR.replace("  tau: {half_normal: 0.5}\n", ""), "a MAP prior needs tau"),
        (MAP_PRIOR.replace("x: 8", "x: 80"), "x must not exceed n"),
        (MAP_PRIOR.replace("name: B", "name: A"), "names must differ"),
        ("prior: {a: 1, b: 1, tau: {half_normal: 1}}\n", "tau and mu belong to a MAP prior"),
    ],
)
def test_bad_map_priors_in_a_design_file_are_one_line(prior, message, tmp_path):
    path = tmp_path / "design.yaml"
    path.write_text(_design(prior))
    with pytest.raises(InputError, match=message):
        ap.load_design(path)


def test_any_prior_can_be_robustified_in_a_design_file(tmp_path):
    path = tmp_path / "design.yaml"
    path.write_text(_design("prior: {a: 2, b: 8, robust: {weight: 0.25}}\n"))
    prior = ap.load_design(path).prior
    assert prior.weights == pytest.approx((0.75, 0.25))
    assert (prior.components_[1].a, prior.components_[1].b) == (1.0, 1.0)
