"""Monte Carlo simulation of multi-cohort trials: kernel, scenarios, seeded parallel runner.

Examples
--------
>>> import numpy as np
>>> import adaptive_pilot as ap
>>> trial = ap.load_design("designs/motivating_trial.yaml").trial()
>>> null = ap.Scenario("global-null", np.full(4, 0.05), np.full(4, 0.15))
>>> result = ap.simulate(trial, [null], n_trials=2000, seed=1)
>>> sorted(result.to_frame().columns)
['cohort', 'estimate', 'mcse', 'metric', 'scenario']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

__all__ = ["Scenario", "SimulationResult", "simulate"]

#: imported on first use: scenario definitions need neither numba nor the kernel
_EXPORTS = {"Scenario": "scenarios", "SimulationResult": "summary", "simulate": "runner"}


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from .runner import simulate
    from .scenarios import Scenario
    from .summary import SimulationResult
