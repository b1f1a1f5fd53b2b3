"""Figures draw the engine's numbers: regions equal the table, outcomes sum to one, same bytes."""

from __future__ import annotations

import re

import pytest

import adaptive_pilot as ap
from adaptive_pilot import figures
from adaptive_pilot.interim.decide import decide_cohort, predictive_outcomes
from adaptive_pilot.reports.interim import closed_report, open_report
from test_interim import _counts, _example

TABLE = ap.BoundaryTable(looks=(8, 16, 24), futility=(0, 2, 5), efficacy=(5, 7, 6))


def _bars(axes) -> list[tuple[float, float, float, str]]:
    """(centre, bottom, top, colour) of every bar drawn on the axes."""
    out = []
    for patch in axes.patches:
        x, y = patch.get_x(), patch.get_y()
        colour = "#{:02X}{:02X}{:02X}".format(*(round(255 * c) for c in patch.get_facecolor()[:3]))
        out.append((x + patch.get_width() / 2, y, y + patch.get_height(), colour))
    return out


def test_boundary_regions_are_the_table_rows():
    figure = figures.boundary_figure(TABLE, points=[("A", 12, 3)])
    bars = _bars(figure.axes[0])
    colours = figures._render.COLOURS
    for k, n in enumerate(TABLE.looks):
        at_look = sorted((b for b in bars if abs(b[0] - n) < 1e-9), key=lambda b: b[1])
        below, middle, above = at_look
        final = k == TABLE.n_looks - 1
        assert below[3] == (colours["no_go"] if final else colours["futility"])
        assert below[2] == pytest.approx(TABLE.futility[k] + 0.5)  # x <= f stops
        assert above[1] == pytest.approx(TABLE.efficacy[k] - 0.5)  # x >= e stops
        assert above[3] == colours["efficacy"] and middle[3] == colours["continue"]
    (point,) = [line for line in figure.axes[0].lines if line.get_marker() == "o"]
    assert tuple(point.get_xydata()[0]) == (12, 3)


def test_svg_is_deterministic_and_self_contained():
    first = figures.svg(figures.boundary_figure(TABLE, title="t"))
    second = figures.svg(figures.boundary_figure(TABLE, title="t"))
    assert first == second
    assert first.startswith("<svg") and "<?xml" not in first
    assert not re.search(r'(href|src)="(?!#)', first)  # no external resource
    assert figures.png(figures.boundary_figure(TABLE)).startswith(b"\x89PNG")


def test_predictive_outcomes_sum_to_one_and_give_the_reported_probabilities():
    prior = ap.BetaPrior(0.5, 0.5)
    design = ap.BayesianDesign(ap.PosteriorRule(0.2, prior, 0.95, 0.05, 0.99), (8, 16, 24))
    plan = ap.Design.of(design, p1=0.35, name="c")
    for n, x in [(0, 0), (5, 1), (8, 3), (13, 4)]:
        outcomes = predictive_outcomes(plan, n, x)
        for column in ("predictive", "p0", "p1"):
            assert outcomes[column].sum() == pytest.approx(1.0, abs=1e-12)
        assert (outcomes["n"] > n).all() and (outcomes["x"] >= x).all()
        call = decide_cohort(plan, _counts(n, x))
        if call.decision == "continue":
            go = outcomes["go"]
            assert outcomes.loc[go, "predictive"].sum() == pytest.approx(
                call.predictive_probability, abs=1e-12
            )
            assert outcomes.loc[go, "p1"].sum() == pytest.approx(call.p_final_go_p1, abs=1e-12)
            figure = figures.cohort_figure(plan, call)
            heights = sum(p.get_height() for p in figure.axes[1].patches)
            assert heights == pytest.approx(1.0, abs=1e-9)  # every outcome is drawn once


def test_closed_report_has_a_figure_per_cohort_and_the_open_report_none():
    result = _example()
    plan = result.plan
    closed, opened = closed_report(result), open_report(result)
    assert closed.count("<svg") == len(plan.cohorts)
    for cohort in plan.cohort_names:
        assert f"Cohort {cohort}" in closed
    assert "<svg" not in opened and "stop_futility" not in opened
    assert not re.search(r"<(script|link|img)\b", closed)
    assert closed.count("Predictive P(GO) = ") == 3  # the three cohorts that continue


def test_svg_cache_draws_once_per_content_and_tells_large_arrays_apart():
    import numpy as np

    from adaptive_pilot.figures import SvgCache, boundary_figure

    table = ap.BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, 6))
    drawn = []

    def draw():
        drawn.append(1)
        return boundary_figure(table)

    cache = SvgCache(size=2)
    first = cache.get("boundaries", draw, table)
    again = cache.get("boundaries", draw, ap.BoundaryTable((10, 29), (1, 5), (None, 6)))
    assert again == first and len(drawn) == 1  # same content: not drawn again
    cache.get("other name", draw, table)
    assert len(drawn) == 2
    # arrays whose repr is abbreviated ("...") differ in the middle: two keys
    a, b = np.zeros(5000), np.zeros(5000)
    b[2500] = 1.0
    assert repr(a) == repr(b)
    cache.get("array", draw, a)
    cache.get("array", draw, b)
    assert len(drawn) == 4
    assert len(cache._kept) == 2  # the least recently used were dropped
