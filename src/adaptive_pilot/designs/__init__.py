"""Single-cohort designs; each compiles to a :class:`BoundaryTable`."""

from .boundary_table import BoundaryTable
from .simon import SimonDesign, SimonSearch, simon_designs
from .single_stage import SingleStageDesign, single_stage_design

__all__ = [
    "BoundaryTable",
    "SimonDesign",
    "SimonSearch",
    "SingleStageDesign",
    "simon_designs",
    "single_stage_design",
]
