"""The motivating trial, end to end: what ``adaptive-pilot demo`` prints.

The design and scenario files ship inside the package
(``adaptive_pilot/examples``), so the demo runs from any folder.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from .boundary_table import BoundaryTable
from .designs.simon import simon_designs
from .oc.exact import compare_oc
from .results import Summary, Table
from .simulation.runner import simulate
from .spec import load_design, load_scenarios

__all__ = ["DEMO_SEED", "comparison", "demo_summaries", "example_path"]

DEMO_SEED = 2026


def example_path(relative: str) -> Path:
    """Path of a file shipped in ``adaptive_pilot/examples``, e.g. ``designs/x.yaml``."""
    return Path(str(resources.files("adaptive_pilot") / "examples" / relative))


def comparison(designs: dict[str, tuple[str, BoundaryTable]], rates: np.ndarray) -> Summary:
    """P(GO) and E[N] of several designs side by side, exact (:func:`compare_oc`)."""
    frame = compare_oc({label: table for label, (_, table) in designs.items()}, rates)
    legend = "; ".join(
        f"{label}: {detail}, N = {table.n_max}" for label, (detail, table) in designs.items()
    )
    return Summary(
        "Side by side (exact): P(GO) and E[N] by true response rate",
        tables=(Table(frame[["p", "design", "p_go", "en"]], wide="design"),),
        notes=(legend,),
    )


def demo_summaries(
    design: str | Path | None = None, scenarios: str | Path | None = None, n_trials: int = 10_000
) -> list[Summary]:
    """Simon designs, the file's Bayesian design, the comparison and a short simulation."""
    design_path = (
        Path(design) if design is not None else example_path("designs/motivating_trial.yaml")
    )
    scenario_path = (
        Path(scenarios)
        if scenarios is not None
        else example_path("simulations/motivating_trial.yaml")
    )
    resolved = load_design(design_path)
    plan = resolved.design
    search = simon_designs(plan.p0, plan.p1, plan.alpha, plan.beta)
    evaluation = plan.evaluate()
    rates = np.unique(np.round(np.r_[np.arange(0, 9) * 0.05, plan.p0, plan.p1], 10))
    designs = {
        "Simon optimal": (search.optimal.notation, search.optimal.boundary_table()),
        "Simon minimax": (search.minimax.notation, search.minimax.boundary_table()),
        plan.family.upper(): ("this file", evaluation.table),
    }
    intro = Summary(
        plan.title or plan.name,
        header=(
            f"Primary endpoint: {plan.endpoint.name} ({plan.endpoint.definition}); "
            f"H0: p <= {plan.p0:g}, H1: p >= {plan.p1:g}",
        ),
    )
    out = [intro, search.summary(), evaluation.summary(), comparison(designs, rates)]
    if resolved.has_cohorts and resolved.accrual is not None:
        trial = resolved.trial()
        result = simulate(
            trial, load_scenarios(scenario_path, trial), n_trials, DEMO_SEED, progress=False
        )
        acc = trial.accrual
        closes = f", enrolment closes at {acc.max_duration:g} months" if acc.max_duration else ""
        out.append(
            Summary(
                f"Multi-cohort trial: {len(trial.cohorts)} KRAS-subtype cohorts",
                header=(
                    f"{acc.rate:g} patients/month ({acc.allocation}), response known "
                    f"{acc.assessment_delay:g} months after enrolment{closes}",
                ),
            )
        )
        out.append(result.summary())
        out.append(
            Summary(
                "Next",
                notes=(
                    "With borrowing between cohorts: adaptive-pilot simulate "
                    f"{design_path} --scenarios {scenario_path} --analysis hierarchical",
                ),
            )
        )
    return out
