"""Monte Carlo simulation of multi-cohort trials: kernel, scenarios, seeded parallel runner.

Examples
--------
>>> from adaptive_pilot.spec import load_design_file
>>> from adaptive_pilot.cohorts import trial_from_design
>>> from adaptive_pilot.simulate import Scenario, simulate
>>> import numpy as np
>>> trial = trial_from_design(load_design_file("designs/motivating_trial.yaml"))
>>> null = Scenario("global-null", np.full(4, 0.05), np.full(4, 0.15))
>>> result = simulate(trial, [null], n_trials=2000, seed=1)
>>> sorted(result.to_frame().columns)
['cohort', 'estimate', 'mcse', 'metric', 'scenario']
"""

from .runner import simulate
from .scenarios import Scenario, load_scenarios
from .summary import SimulationResult

__all__ = ["Scenario", "SimulationResult", "load_scenarios", "simulate"]
