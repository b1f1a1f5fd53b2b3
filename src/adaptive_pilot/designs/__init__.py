"""Single-cohort designs; each compiles to a :class:`~adaptive_pilot.BoundaryTable`."""

from .bayesian import BayesianDesign, Decision
from .calibration import CalibrationResult, calibrate_bop2, calibrate_predictive, grid
from .looks import look_schedule
from .simon import SimonDesign, SimonSearch, simon_designs
from .single_stage import SingleStageDesign, single_stage_design

__all__ = [
    "BayesianDesign",
    "CalibrationResult",
    "Decision",
    "SimonDesign",
    "SimonSearch",
    "SingleStageDesign",
    "calibrate_bop2",
    "calibrate_predictive",
    "grid",
    "look_schedule",
    "simon_designs",
    "single_stage_design",
]
