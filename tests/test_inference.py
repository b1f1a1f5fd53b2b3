"""Exact inference after a cohort ended: K stages by brute force, properties.

clinfun's twostage.inference, desmon's twocon and Nhacolo's pk:
``validation/references/two_stage_inference.yaml`` (run by test_validation.py and
``adaptive-pilot validate``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import brentq

import adaptive_pilot as ap
from adaptive_pilot.inference import SampleSpace, stagewise_inference


def _simon_table(n1: int, r1: int, n: int, r: int) -> ap.BoundaryTable:
    return ap.BoundaryTable(looks=(n1, n), futility=(r1, r), efficacy=(None, r + 1))


# ------------------------------------------------------------ brute force, K stages
def _brute_force(table: ap.BoundaryTable):
    """Every response sequence of length N, walked through the table one by one."""
    n_max = table.n_max
    seqs = (np.arange(2**n_max)[:, None] >> np.arange(n_max)) & 1
    outcomes: dict[tuple[int, int], list[int]] = {}
    for seq in seqs:
        for k, n in enumerate(table.looks):
            x = int(seq[:n].sum())
            final = k == table.n_looks - 1
            if final or x <= table.futility[k] or x >= table.efficacy[k]:
                counts = outcomes.setdefault((k, x), [0, 0])
                counts[0] += 1
                counts[1] += int(seq[0])
                break
    # each path of length n_k was counted 2 ** (N - n_k) times
    return {
        (k, x): (c / 2 ** (n_max - table.looks[k]), c1 / 2 ** (n_max - table.looks[k]))
        for (k, x), (c, c1) in outcomes.items()
    }


def _at_least(table, a, b, ordering):
    (ka, xa), (kb, xb) = a, b
    if ordering == "mle":
        return xa / table.looks[ka] >= xb / table.looks[kb]
    # Jennison & Turnbull's stage-wise ordering, written pairwise
    if ka == kb:
        return xa >= xb
    if ka < kb:
        return xa >= table.efficacy[ka]
    return xb <= table.futility[kb]


TABLES = [
    ap.BoundaryTable(looks=(4, 8, 12), futility=(0, 2, 4), efficacy=(4, 6, 5)),
    ap.BoundaryTable(looks=(3, 6, 9, 13), futility=(None, 1, 2, 4), efficacy=(3, None, 6, 5)),
    ap.BoundaryTable(looks=(5, 10, 14), futility=(1, None, 5), efficacy=(None, 7, None)),
    ap.BoundaryTable(
        looks=(2, 4, 6, 8, 10, 12), futility=(None, 0, 1, 1, 2, 3), efficacy=(2, 4, 5, 6, 7, 4)
    ),
]


@pytest.mark.parametrize("table", TABLES, ids=lambda t: ",".join(map(str, t.looks)))
@pytest.mark.parametrize("ordering", ["stagewise", "mle"])
def test_k_stage_inference_equals_brute_force_enumeration(table, ordering):
    brute = _brute_force(table)
    space = SampleSpace.of(table)
    assert len(brute) == space.x.size
    p0 = 0.3
    for (k, x), (count, first) in brute.items():
        got = stagewise_inference(table, table.looks[k], x, p0=p0, level=0.90, ordering=ordering)
        assert got.umvue == pytest.approx(first / count, abs=1e-12)
        more = _Tail(table, brute, [o for o in brute if _at_least(table, o, (k, x), ordering)])
        less = _Tail(table, brute, [o for o in brute if _at_least(table, (k, x), o, ordering)])
        assert got.p_value == pytest.approx(more(p0), abs=1e-12)
        assert got.ci_low == pytest.approx(more.first_crossing(0.05), abs=1e-9)
        assert got.ci_high == pytest.approx(less.last_crossing(0.05), abs=1e-9)
        assert got.median_unbiased == pytest.approx(more.first_crossing(0.5), abs=1e-9)


class _Tail:
    """P_p(outcome in a set), from the brute-force path counts."""

    grid = np.linspace(0, 1, 2001)

    def __init__(self, table, brute, outcomes):
        self.terms = [(brute[o][0], o[1], table.looks[o[0]] - o[1]) for o in outcomes]

    def __call__(self, p):
        return sum(c * p**x * (1 - p) ** m for c, x, m in self.terms)

    def first_crossing(self, target):
        values = np.array([self(p) for p in self.grid])
        i = np.flatnonzero(values > target)[0]
        if i == 0:
            return 0.0
        return brentq(lambda p: self(p) - target, self.grid[i - 1], self.grid[i])

    def last_crossing(self, target):
        values = np.array([self(p) for p in self.grid])
        i = np.flatnonzero(values > target)[-1]
        if i == self.grid.size - 1:
            return 1.0
        return brentq(lambda p: self(p) - target, self.grid[i], self.grid[i + 1])


# ------------------------------------------------------------------- properties
@st.composite
def tables(draw):
    k = draw(st.integers(1, 4))
    steps = draw(st.lists(st.integers(1, 12), min_size=k, max_size=k))
    looks = tuple(int(v) for v in np.cumsum(steps))
    fut, eff = [], []
    for n in looks[:-1]:
        f = draw(st.integers(-1, n))
        e = draw(st.integers(max(f + 1, 0), n + 1))
        fut.append(f)
        eff.append(e)
    e_final = draw(st.integers(1, looks[-1]))
    return ap.BoundaryTable(looks=looks, futility=(*fut, e_final - 1), efficacy=(*eff, e_final))


@settings(max_examples=40, deadline=None)
@given(table=tables(), p=st.floats(0.01, 0.99))
def test_umvue_is_unbiased_and_probabilities_sum_to_one(table, p):
    space = SampleSpace.of(table)
    probs = space.probabilities(np.array([p]))[0]
    assert probs.sum() == pytest.approx(1.0, abs=1e-12)
    assert probs @ space.umvue == pytest.approx(p, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(table=tables(), p=st.floats(0.02, 0.98), level=st.sampled_from([0.8, 0.9, 0.95]))
def test_exact_interval_covers_at_least_its_level(table, p, level):
    space = SampleSpace.of(table)
    probs = space.probabilities(np.array([p]))[0]
    covered = 0.0
    for i in range(space.x.size):
        got = stagewise_inference(table, int(space.n[i]), int(space.x[i]), p0=0.5, level=level)
        if got.ci_low <= p <= got.ci_high:
            covered += probs[i]
    assert covered >= level - 1e-9


def test_large_designs_stay_finite_in_log_space():
    table = ap.BoundaryTable(
        looks=(500, 1000, 2000), futility=(40, 95, 199), efficacy=(80, 130, 200)
    )
    space = SampleSpace.of(table)
    probs = space.probabilities(np.array([0.1]))[0]
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)
    assert probs @ space.umvue == pytest.approx(0.1, abs=1e-9)
    got = stagewise_inference(table, 1000, 95, p0=0.1)
    assert 0 < got.ci_low < got.umvue < got.ci_high < 1


def test_early_efficacy_stop_is_the_most_extreme_under_stagewise_ordering():
    table = ap.BoundaryTable(looks=(10, 20, 30), futility=(0, 3, 6), efficacy=(5, 8, 7))
    first = stagewise_inference(table, 10, 5, p0=0.1)
    final = stagewise_inference(table, 30, 17, p0=0.1)
    assert first.ended == "efficacy" and final.ended == "final"
    assert first.p_value < final.p_value  # an early stop at look 1 beats any later outcome


def test_single_stage_reduces_to_clopper_pearson():
    from scipy import stats

    table = ap.BoundaryTable(looks=(25,), futility=(4,), efficacy=(5,))
    got = stagewise_inference(table, 25, 7, p0=0.1, level=0.95)
    assert got.ci_low == pytest.approx(stats.beta.ppf(0.025, 7, 19), abs=1e-10)
    assert got.ci_high == pytest.approx(stats.beta.ppf(0.975, 8, 18), abs=1e-10)
    assert got.umvue == pytest.approx(7 / 25) and got.mle == pytest.approx(7 / 25)
    assert got.p_value == pytest.approx(stats.binom.sf(6, 25, 0.1), abs=1e-12)


def test_posterior_uses_the_prior_given():
    table = _simon_table(10, 1, 29, 5)
    got = stagewise_inference(table, 29, 6, p0=0.1, prior=ap.BetaPrior(0.5, 0.5), level=0.9)
    assert got.posterior_mean == pytest.approx(6.5 / 30)
    from scipy import stats

    assert got.credible_low == pytest.approx(stats.beta.ppf(0.05, 6.5, 23.5))
    assert got.credible_high == pytest.approx(stats.beta.ppf(0.95, 6.5, 23.5))


@pytest.mark.parametrize(
    ("n", "x", "options", "message"),
    [
        (15, 2, {}, "not a look of the design"),
        (10, 3, {}, "do not end the trial: the design continues when 2 <= x <= 10"),
        (29, 1, {}, "cannot happen under the design"),
        (29, 30, {}, "between 0 and n = 29"),
        (29, 6, {"ordering": "likelihood"}, "ordering"),
        (29, 6, {"interval": "wald"}, "interval"),
        (29, 6, {"level": 1.0}, "level"),
        (29, 6, {"p0": 1.5}, "p0"),
    ],
)
def test_bad_requests_name_the_field(n, x, options, message):
    table = _simon_table(10, 1, 29, 5)
    with pytest.raises(ap.InputError, match=message):
        stagewise_inference(table, n, x, **{"p0": 0.1, **options})


def test_result_renders_and_is_json_safe():
    import json

    got = stagewise_inference(_simon_table(10, 1, 29, 5), 29, 6, p0=0.1)
    payload = got.to_dict()
    json.dumps(payload, allow_nan=False)
    for key in (
        "mle", "umvue", "median_unbiased", "bias_adjusted", "p_value", "ci_low", "ci_high",
        "ordering", "level", "posterior_mean", "credible_low", "credible_high",
    ):  # fmt: skip
        assert key in payload
    text = got.summary().as_text()
    assert "GO" in text and "0.2613" in text


def test_enumeration_of_a_ten_look_design_is_complete():
    """Every outcome of a 10-look design to N = 100 is enumerated: the ending
    probabilities sum to one. (Its time: benchmarks/run.py --only exact.)"""
    table = ap.BoundaryTable(
        looks=tuple(range(10, 101, 10)),
        futility=(0, 1, 2, 3, 5, 6, 7, 8, 9, 13),
        efficacy=(None,) * 9 + (14,),
    )
    space = SampleSpace.of(table)
    assert space.probabilities(np.array([0.1, 0.3])).sum(axis=-1) == pytest.approx(1.0, abs=1e-12)
    assert stagewise_inference(table, 100, 20, p0=0.1).ended == "final"


# ------------------------------------------------------------------ command line
def _cli(*args):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "inference", *args],
        capture_output=True,
        text=True,
    )
    return done.returncode, done.stdout, done.stderr


SIMON = ("--looks", "10,29", "--futility", "1,5", "--efficacy", "never,6")


def test_cli_prints_the_json_keys_and_matches_clinfun():
    import json

    code, out, err = _cli(*SIMON, "--n", "29", "--x", "6", "--p0", "0.1", "--json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["ordering"] == "stagewise" and payload["level"] == 0.9
    assert round(payload["umvue"], 4) == 0.2613 and round(payload["p_value"], 4) == 0.0471
    code, out, _ = _cli(*SIMON, "--n", "29", "--x", "6", "--p0", "0.1", "--interval", "koyama-chen")
    assert code == 0 and "koyama-chen" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--n", "12", "--x", "1", "--p0", "0.1"), "--n: 12 is not a look of the design"),
        (("--n", "10", "--x", "4", "--p0", "0.1"), "--x: 4 responses at look 1"),
        (("--n", "29", "--x", "6", "--p0", "1.2"), "--p0"),
        (("--n", "29", "--x", "6", "--p0", "0.1", "--level", "1"), "--level"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(args, message):
    code, out, err = _cli(*SIMON, *args)
    assert code == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1
