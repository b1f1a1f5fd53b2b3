"""Borrowing between cohorts for PFS designs: Bayesian model averaging (issue 27, point 3).

Checked against a brute-force enumeration with scipy for the survival posterior, and,
for the simulator's coupling of the cohorts in calendar time, against a trial-by-trial
replay with plain loops. bmabasket 0.1.2 (R) for the averaging over partitions:
``validation/references/bmabasket.yaml`` (run by test_validation.py and
``adaptive-pilot validate``).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, stats

from adaptive_pilot.cohorts.survival_borrowing import (
    MAX_COHORTS,
    BorrowedCohort,
    SurvivalModelAveraging,
    set_partitions,
)
from adaptive_pilot.designs.survival_monitoring import SurvivalMonitoringDesign
from adaptive_pilot.errors import InputError
from adaptive_pilot.priors import GammaPrior
from adaptive_pilot.rules.survival import PiecewiseExponential, SurvivalGoalRule
from adaptive_pilot.simulation.survival_joint import joint_cohort_trials
from adaptive_pilot.spec import load_design
from test_cli import run

REPO = Path(__file__).resolve().parents[1]
DESIGN = REPO / "designs" / "motivating_trial_pfs_borrowing.yaml"
PATIENTS = REPO / "designs" / "motivating_trial_synthetic_patients.csv"


def _rule(breaks=(), prior=(0.1, 0.1), goal=0.3, success=0.9, **kwargs):
    return SurvivalGoalRule(
        PiecewiseExponential(6.0, breaks), goal, GammaPrior(*prior), success, **kwargs
    )


# ------------------------------------------------------------------ the model space
def _partitions(items):
    """Every partition of ``items`` as a list of blocks (a recursion of its own)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in _partitions(rest):
        yield [[first], *partition]
        for i in range(len(partition)):
            yield [*partition[:i], [first, *partition[i]], *partition[i + 1 :]]


def test_set_partitions_are_every_partition_once():
    bell = [1, 2, 5, 15, 52, 203, 877]
    for n in range(1, 8):
        labels = set_partitions(n)
        assert labels.shape == (bell[n - 1], n)
        canonical = {
            tuple(sorted(tuple(np.flatnonzero(row == b)) for b in set(row))) for row in labels
        }
        assert len(canonical) == bell[n - 1]
        mine = {tuple(sorted(tuple(sorted(b)) for b in p)) for p in _partitions(list(range(n)))}
        assert canonical == mine


# ------------------------------------------------------------------ bmabasket (R)
# ------------------------------------------------------------------ brute force
def _brute_force(rule, delta, events, exposure, cohort, cdf_of_block):
    """P(S_j > goal), E[S_j] and P(pooled) by enumerating partitions with plain loops."""
    a, b = rule.prior.shape, rule.prior.rate
    n = len(events)
    weights, probs, means, pooled = [], [], [], []
    for partition in _partitions(list(range(n))):
        log_w = delta * len(partition)
        for block in partition:
            for k in range(len(events[0])):
                d = sum(events[i][k] for i in block)
                e = sum(exposure[i][k] for i in block)
                log_w += a * math.log(b) - math.lgamma(a) + math.lgamma(a + d)
                log_w -= (a + d) * math.log(b + e)
        block = next(bl for bl in partition if cohort in bl)
        d = [sum(events[i][k] for i in block) for k in range(len(events[0]))]
        e = [sum(exposure[i][k] for i in block) for k in range(len(events[0]))]
        weights.append(log_w)
        probs.append(cdf_of_block(d, e))
        means.append(
            math.prod(((b + ek) / (b + ek + w)) ** (a + dk)
                      for dk, ek, w in zip(d, e, rule.model.widths, strict=True))
        )  # fmt: skip
        pooled.append(len(block) > 1)
    w = np.exp(np.array(weights) - max(weights))
    w /= w.sum()
    return float(w @ probs), float(w @ means), float(w @ pooled)


def test_exponential_posterior_against_brute_force_with_scipy():
    rule = _rule(goal=0.35)
    model = SurvivalModelAveraging(rule, 4, 0.7)
    events = [[3], [7], [2], [11]]
    exposure = [[40.0], [35.5], [52.0], [30.25]]

    def cdf(d, e):  # S(6) > goal iff lambda < -log(goal) / 6
        return stats.gamma.cdf(-math.log(0.35) / 6, 0.1 + d[0], scale=1 / (0.1 + e[0]))

    d, e = np.array(events, float), np.array(exposure)
    probs = model.prob_better(d, e)
    means = model.mean_survival(d, e)
    pooled = model.pooled_probability(d, e)
    for j in range(4):
        p, m, q = _brute_force(rule, 0.7, events, exposure, j, cdf)
        assert probs[j] == pytest.approx(p, abs=1e-12)
        assert means[j] == pytest.approx(m, abs=1e-12)
        assert pooled[j] == pytest.approx(q, abs=1e-12)


def test_two_piece_posterior_against_brute_force_with_quadrature():
    rule = _rule(breaks=(2.0,), prior=(0.5, 1.0), goal=0.25)
    model = SurvivalModelAveraging(rule, 3, 0.0)
    events = [[2, 1], [5, 4], [0, 1]]
    exposure = [[20.0, 25.0], [18.0, 12.0], [24.0, 30.0]]
    cut = -math.log(0.25)

    def cdf(d, e):  # P(2 l1 + 4 l2 < cut) by quadrature over l2
        def inner(l2):
            return stats.gamma.pdf(l2, 0.5 + d[1], scale=1 / (1 + e[1])) * stats.gamma.cdf(
                (cut - 4 * l2) / 2, 0.5 + d[0], scale=1 / (1 + e[0])
            )

        return integrate.quad(inner, 0, cut / 4, epsabs=1e-13, epsrel=1e-12, limit=200)[0]

    d, e = np.array(events, float), np.array(exposure)
    probs = model.prob_better(d, e)
    for j in range(3):
        p, _, _ = _brute_force(rule, 0.0, events, exposure, j, cdf)
        assert probs[j] == pytest.approx(p, abs=1e-9)
    # the credible interval's ends are the mixture's quantiles
    low = model.survival_quantile(d, e, 1, 0.025)
    assert model.survival_cdf(d, e, 1, np.array([low]))[0] == pytest.approx(0.025, abs=1e-8)
    s, density = model.survival_density(d, e, 1)
    assert np.sum(density * np.diff(np.linspace(0, 1, s.size + 1))) == pytest.approx(1, abs=1e-9)


def test_the_cheap_comparison_is_the_exact_one():
    rule = _rule(breaks=(2.0, 4.0), goal=0.25, success=0.85)
    model = SurvivalModelAveraging(rule, 4, 1.0)
    rng = np.random.default_rng(5)
    d = rng.integers(0, 25, (1200, 4, 3)).astype(float)
    e = rng.uniform(5, 120, (1200, 4, 3))
    probs = model.prob_better(d, e)
    for level in (0.5, 0.85, 0.97):
        for j in range(4):
            assert (model.succeeds(d, e, j, level) == (probs[:, j] > level)).all()
    # rows placed on either side of the level, 1e-9 apart
    j = 2
    for row in range(5):
        level = float(probs[row, j])
        for shift, expected in ((-1e-9, True), (1e-9, False)):
            assert bool(model.succeeds(d[row], e[row], j, level + shift)) is expected


def test_no_borrowing_when_the_cohorts_are_far_apart_and_pooling_when_alike():
    rule = _rule()
    model = SurvivalModelAveraging(rule, 3, 1.0)
    apart = model.pooled_probability(
        np.array([[2.0], [30.0], [2.0]]), np.array([[200.0], [20.0], [200.0]])
    )
    assert apart[1] < 1e-6  # the odd one out stands alone
    assert apart[0] > 0.5 and apart[2] > 0.5  # the two alike are pooled
    alone = _rule().prob_better(np.array([[2.0]]), np.array([[200.0]]))[0]
    assert model.prob_better(np.array([[2.0], [30.0], [2.0]]),
                             np.array([[200.0], [20.0], [200.0]]))[0] > alone - 1e-3  # fmt: skip


def test_hazard_draws_follow_the_mixture_posterior():
    rule = _rule(breaks=(3.0,))
    model = SurvivalModelAveraging(rule, 3, 0.5)
    d = np.array([[[3.0, 2.0], [8.0, 5.0], [1.0, 1.0]]])
    e = np.array([[[40.0, 30.0], [30.0, 20.0], [45.0, 40.0]]])
    draws = model.draw_rates(d, e, 1, np.random.default_rng(2), 200_000)[0]  # (M, K)
    pi, db, eb = model.block_weights(d, e, 1)
    shape, rate = rule.posterior(db, eb)
    mean = (pi[0][:, None] * shape[0] / rate[0]).sum(axis=0)
    second = (pi[0][:, None] * shape[0] * (shape[0] + 1) / rate[0] ** 2).sum(axis=0)
    sd = np.sqrt(second - mean**2)
    assert np.all(np.abs(draws.mean(axis=0) - mean) < 4 * sd / math.sqrt(200_000))


def test_limits_and_bad_settings_get_one_line():
    with pytest.raises(InputError, match=f"2 to {MAX_COHORTS} cohorts"):
        SurvivalModelAveraging(_rule(), MAX_COHORTS + 1)
    with pytest.raises(InputError, match="delta"):
        SurvivalModelAveraging(_rule(), 3, math.inf)


# ------------------------------------------------------------------ the simulator
def _replay(designs, model, arrivals, event_time, lost):
    """The joint simulator's trials replayed one at a time with plain loops: every
    cohort's looks in calendar order, the data of every cohort at each, the final
    analysis of each cohort when its own patients are complete; the posterior by
    brute-force enumeration (posterior futility only, so no imputation)."""
    rule = model.rule
    landmark = rule.model.landmark
    j_max = len(designs)

    def cdf(d, e):
        return stats.gamma.cdf(rule.cutoff / landmark, 0.1 + d[0], scale=1 / (0.1 + e[0]))

    out = []
    for b in range(arrivals[0].shape[0]):
        stop = [math.inf] * j_max
        futile = [False] * j_max

        def data(now, stop=stop, b=b):
            events, exposure = [], []
            for i in range(j_max):
                d = e = 0.0
                for a, t, lo in zip(arrivals[i][b], event_time[i][b], lost[i][b], strict=True):
                    if a > min(now, stop[i]):
                        continue
                    followed = now - a
                    e += max(min(t, lo, landmark, followed), 0.0)
                    d += t <= min(lo, landmark, followed)
                events.append([d])
                exposure.append([e])
            return events, exposure

        looks = sorted(
            (arrivals[j][b][int(at) - 1], j, k)
            for j, design in enumerate(designs)
            for k, at in enumerate(design.looks)
        )
        for when, j, k in looks:
            if futile[j] or stop[j] < math.inf or when >= arrivals[j][b][-1]:
                continue
            events, exposure = data(when)
            prob, _, _ = _brute_force(rule, model.delta, events, exposure, j, cdf)
            if prob < designs[j].rule.futility[k]:
                futile[j], stop[j] = True, when
        row = []
        for j in range(j_max):
            if futile[j]:
                row.append((False, True))
                continue
            end = max(
                a + min(t, lo, landmark)
                for a, t, lo in zip(arrivals[j][b], event_time[j][b], lost[j][b], strict=True)
            )
            events, exposure = data(end)
            prob, _, _ = _brute_force(rule, model.delta, events, exposure, j, cdf)
            row.append((bool(prob > rule.success), False))
        out.append(row)
    return out


def test_the_cohorts_coupled_in_calendar_time_replayed_trial_by_trial():
    rule = _rule(goal=0.3, success=0.8, futility=(0.25, 0.3), futility_on="posterior",
                 expected_success=(math.nan, math.nan), imputations=10)  # fmt: skip
    designs = [
        SurvivalMonitoringDesign(rule, 12, "enrolled", (4.0, 8.0)),
        SurvivalMonitoringDesign(rule, 10, "enrolled", (5.0, 7.0)),
        SurvivalMonitoringDesign(rule, 12, "enrolled", (6.0, 9.0)),
    ]
    model = SurvivalModelAveraging(rule, 3, 1.0)
    rng = np.random.default_rng(8)
    size = 120
    arrivals, event_time, lost = [], [], []
    for design, scale in zip(designs, (2.5, 8.0, 5.0), strict=True):
        n = design.n_max
        arrivals.append(np.cumsum(rng.exponential(1.2, (size, n)), axis=1))
        event_time.append(np.ceil(rng.exponential(scale, (size, n)) / 2.0) * 2.0)
        lost.append(rng.exponential(1 / 0.03, (size, n)))
    out = joint_cohort_trials(designs, model, arrivals, event_time, lost,
                              np.random.default_rng(0))  # fmt: skip
    replay = _replay(designs, model, arrivals, event_time, lost)
    for j in range(3):
        assert [r[j] for r in replay] == [
            (bool(g), bool(f)) for g, f in zip(out[j]["go"], out[j]["futility"], strict=True)
        ]
    futile = sum(o["futility"].sum() for o in out)
    go = sum(o["go"].sum() for o in out)
    assert futile > 0 and go > 0  # both paths are met


def test_predictive_probabilities_with_borrowing_against_a_loop():
    """PP(now) with borrowing: each imputation draws cohort j's block and hazards, completes
    its patients in follow-up and decides by the brute-force posterior; the other
    cohorts' data held."""
    rule = _rule(goal=0.3, success=0.8, imputations=400)
    model = SurvivalModelAveraging(rule, 3, 1.0)
    time = np.array([[6.0, 2.5, 1.0, 6.0, 0.7]])
    event = np.array([[False, True, False, False, False]])
    open_ = np.array([[False, False, True, False, True]])
    present = np.ones((1, 5), bool)
    own_d, own_e = rule.model.events_and_exposure(time, event, present)
    events = np.array([[[4.0], own_d[0], [2.0]]])
    exposure = np.array([[[30.0], own_e[0], [40.0]]])
    borrowed = BorrowedCohort(model, 1, events, exposure)
    pp_now, _ = rule.predictive(time, event, open_, present, np.array([0]),
                                np.random.default_rng(11), with_max=False,
                                borrowed=borrowed)  # fmt: skip
    # the loop: the same draws, in the same order, decided by brute force
    rng = np.random.default_rng(11)
    rates = model.draw_rates(events, exposure, 1, rng, 400)[0, :, 0]
    residual = rng.standard_exponential((1, 400, 2))[0]
    wins = 0
    for m in range(400):
        d, e = 1.0, 6.0 + 2.5 + 6.0  # the closed patients: the event at 2.5, two at 6
        for start, x in zip((1.0, 0.7), residual[m], strict=True):
            t = start + x / rates[m]
            d += t <= 6.0
            e += min(t, 6.0)
        ev = [[4.0], [d], [2.0]]
        ex = [[30.0], [e], [40.0]]
        p, _, _ = _brute_force(rule, 1.0, ev, ex, 1, lambda dd, ee: stats.gamma.cdf(
            rule.cutoff / 6, 0.1 + dd[0], scale=1 / (0.1 + ee[0])))  # fmt: skip
        wins += p > 0.8
    assert pp_now[0] == pytest.approx(wins / 400, abs=1e-12)


def test_the_shipped_borrowing_design_describes_simulates_calls_calibrates_reports(
    capsys, tmp_path
):
    code, out, err = run(capsys, "design", str(DESIGN))
    assert code == 0 and "model averaging over the 15 partitions" in out, err
    small = tmp_path / "small.yaml"  # fewer imputations: the same paths, faster
    small.write_text(
        DESIGN.read_text()
        .replace("imputations: 1000", "imputations: 100")
        .replace("{from: 0.88, to: 0.94, by: 0.02}", "[0.9]")
        .replace("imputations: 200", "imputations: 10")
    )
    code, out, err = run(capsys, "simulate", str(small), "--n-trials", "40", "--imputations",
                         "20", "--no-progress", "--format", "json")  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    assert "model averaging" in payload["provenance"]["details"]["analysis"]
    # the interim call: each cohort's posterior is the model's on every cohort's data
    code, out, err = run(capsys, "interim", str(small), "--data", str(PATIENTS), "--as-of",
                         "2026-03-01", "--format", "json")  # fmt: skip
    assert code == 0, err
    call = json.loads(out)
    resolved = load_design(small)
    model = resolved.survival_borrowing()
    assert model is not None
    counts = {c["cohort"]: c for c in call["cohorts"]}
    assert all(c["p_pooled"] is not None for c in call["cohorts"])
    independent = json.loads(
        run(capsys, "interim", str(small), "--data", str(PATIENTS), "--as-of", "2026-03-01",
            "--format", "json", "--analysis", "independent")[1]
    )  # fmt: skip
    assert all(c["p_pooled"] is None for c in independent["cohorts"])
    alone = {c["cohort"]: c["prob_better"] for c in independent["cohorts"]}
    assert any(abs(counts[k]["prob_better"] - alone[k]) > 1e-3 for k in alone)
    assert set(counts) == {name for name, _ in resolved.survival_cohorts}
    # each cohort's numbers are the model's on every cohort's data at the cut-off
    import csv
    import datetime as dt

    cut = dt.date(2026, 3, 1)
    with PATIENTS.open() as handle:
        rows = list(csv.DictReader(handle))
    events, exposure = [], []
    for name, _ in resolved.survival_cohorts:
        followed, seen = [], []
        for row in rows:
            start = dt.date.fromisoformat(row["enrolled"])
            if row["cohort"] != name or start > cut:
                continue
            available = (cut - start).days / 30.4375
            months = float(row["pfs_months"])
            followed.append(min(months, available, 6.0))
            seen.append(row["pfs_event"] == "1" and months <= min(available, 6.0))
        d, e = model.rule.model.events_and_exposure(np.array(followed), np.array(seen))
        events.append(d)
        exposure.append(e)
    probs = model.prob_better(np.array(events)[None], np.array(exposure)[None])[0]
    for j, (name, _) in enumerate(resolved.survival_cohorts):
        assert counts[name]["prob_better"] == pytest.approx(probs[j], abs=1e-12)
    # the calibration (tiny) and the protocol report
    calibration = load_design(small).calibrate_survival(n_trials=20, progress=False)
    assert "model averaging" in calibration.provenance.details["analysis"]
    # with borrowing the mixed null enters the false-GO check
    assert calibration.provenance.details["mixed_nulls"] == ["mixed"]
    assert calibration.frame["worst_null_scenario"].iloc[0] in ("goal", "mixed")
    from adaptive_pilot.reports.build import report

    document = report(resolved, n_trials=10, seed=2, progress=False)
    text = " ".join(b.text for b in document.sections[0].blocks)  # type: ignore[union-attr]
    assert "Bayesian model averaging (Psioda et al. 2021)" in text
    assert any("Psioda" in r for r in document.references)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("model: model_averaging", "model: hierarchical"), "model_averaging"),
        (("delta: 3.0", "delta: 3.0\n  go: 0.9"), "leave out borrowing.go"),
        (("delta: 3.0", "delta: 99"), "delta"),
    ],
)
def test_bad_borrowing_settings_get_one_line(capsys, tmp_path, edit, message):
    path = tmp_path / "d.yaml"
    path.write_text(DESIGN.read_text().replace(*edit))
    code, _, err = run(capsys, "design", str(path))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1


def test_model_averaging_is_refused_for_response_rate_designs(capsys, tmp_path):
    path = tmp_path / "d.yaml"
    text = (REPO / "designs" / "basket_4x20.yaml").read_text()
    path.write_text(text.replace("model: hierarchical, go: 0.9", "model: model_averaging"))
    code, _, err = run(capsys, "design", str(path))
    assert code == 2 and "for time_to_event designs" in err
