"""adaptive_pilot: design, tune, simulate and run Bayesian adaptive pilot trials.

Every single-cohort design compiles to a :class:`BoundaryTable`; exact
operating characteristics follow from it by :func:`exact_oc`.

Examples
--------
>>> import adaptive_pilot as ap
>>> search = ap.simon_designs(p0=0.1, p1=0.3, alpha=0.05, beta=0.2)
>>> search.optimal.notation
'1/10, 5/29'
>>> oc = search.optimal.boundary_table().oc([0.1, 0.3])
>>> round(float(oc.pet[0]), 3)
0.736
"""

from .designs import (
    BoundaryTable,
    SimonDesign,
    SimonSearch,
    SingleStageDesign,
    simon_designs,
    single_stage_design,
)
from .errors import InputError
from .oc import OperatingCharacteristics, exact_oc
from .provenance import package_version

__version__ = package_version()

__all__ = [
    "BoundaryTable",
    "InputError",
    "OperatingCharacteristics",
    "SimonDesign",
    "SimonSearch",
    "SingleStageDesign",
    "__version__",
    "exact_oc",
    "simon_designs",
    "single_stage_design",
]
