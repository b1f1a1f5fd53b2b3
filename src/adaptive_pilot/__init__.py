"""adaptive_pilot: design, tune, simulate and run Bayesian adaptive pilot trials.

Every single-cohort design compiles to a :class:`BoundaryTable`; exact
operating characteristics follow from it by :func:`exact_oc`. Every result
offers ``to_frame()``, ``to_dict()`` and ``summary()`` (a :class:`Summary`).

The public names below are imported lazily, on first use, so that
``import adaptive_pilot`` (and the command line's ``--help``) stays fast.

Examples
--------
>>> import adaptive_pilot as ap
>>> search = ap.simon_designs(p0=0.1, p1=0.3, alpha=0.05, beta=0.2)
>>> search.optimal.notation
'1/10, 5/29'
>>> oc = ap.exact_oc(search.optimal.boundary_table(), [0.1, 0.3])
>>> round(float(oc.pet[0]), 3)
0.736
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_getattr
from .provenance import package_version

__version__ = package_version()

#: Public name -> module that defines it (imported on first access).
_EXPORTS: dict[str, str] = {
    "BOP2Rule": "rules.bop2",
    "BayesianDesign": "designs.bayesian",
    "BetaMixturePrior": "priors",
    "BetaPrior": "priors",
    "BoundaryTable": "boundary_table",
    "Design": "designs.design",
    "DualRule": "rules.dual",
    "HierarchicalModel": "cohorts.hierarchical",
    "HierarchicalPrior": "cohorts.hierarchical",
    "InputError": "errors",
    "PosteriorRule": "rules.posterior",
    "PosteriorVsStandardRule": "rules.versus_standard",
    "PredictiveRule": "rules.predictive",
    "Scenario": "simulation.scenarios",
    "Summary": "results",
    "ToxicityBoundary": "rules.toxicity",
    "ToxicityRule": "rules.toxicity",
    "bayesian_oc": "designs.bayesian_oc",
    "calibrate_bop2": "designs.calibration",
    "calibrate_predictive": "designs.calibration",
    "describe_prior": "prior_information",
    "effective_sample_size": "ess",
    "exact_oc": "oc.exact",
    "grid": "designs.calibration",
    "interim_analysis": "interim",
    "joint_oc": "oc.joint",
    "load_design": "spec",
    "load_scenarios": "spec",
    "look_schedule": "designs.looks",
    "map_prior": "meta_analytic",
    "predictive_probability": "rules.predictive",
    "prior_from_historical": "priors",
    "robustify": "priors",
    "read_adam": "patients",
    "read_patients": "patients",
    "report": "reports",
    "simon_designs": "designs.simon",
    "simulate": "simulation.runner",
    "stagewise_inference": "inference",
    "toxicity_boundary": "designs.toxicity_boundary",
    "validate": "validation",
    "write_report": "reports",
}

__all__ = [
    "BOP2Rule",
    "BayesianDesign",
    "BetaMixturePrior",
    "BetaPrior",
    "BoundaryTable",
    "Design",
    "DualRule",
    "HierarchicalModel",
    "HierarchicalPrior",
    "InputError",
    "PosteriorRule",
    "PosteriorVsStandardRule",
    "PredictiveRule",
    "Scenario",
    "Summary",
    "ToxicityBoundary",
    "ToxicityRule",
    "__version__",
    "bayesian_oc",
    "calibrate_bop2",
    "calibrate_predictive",
    "describe_prior",
    "effective_sample_size",
    "exact_oc",
    "grid",
    "interim_analysis",
    "joint_oc",
    "load_design",
    "load_scenarios",
    "look_schedule",
    "map_prior",
    "predictive_probability",
    "prior_from_historical",
    "read_adam",
    "read_patients",
    "report",
    "robustify",
    "simon_designs",
    "simulate",
    "stagewise_inference",
    "toxicity_boundary",
    "validate",
    "write_report",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from .boundary_table import BoundaryTable
    from .cohorts.hierarchical import HierarchicalModel, HierarchicalPrior
    from .designs.bayesian import BayesianDesign
    from .designs.bayesian_oc import bayesian_oc
    from .designs.calibration import calibrate_bop2, calibrate_predictive, grid
    from .designs.design import Design
    from .designs.looks import look_schedule
    from .designs.simon import simon_designs
    from .designs.toxicity_boundary import toxicity_boundary
    from .errors import InputError
    from .ess import effective_sample_size
    from .inference import stagewise_inference
    from .interim import interim_analysis
    from .meta_analytic import map_prior
    from .oc.exact import exact_oc
    from .oc.joint import joint_oc
    from .patients import read_adam, read_patients
    from .prior_information import describe_prior
    from .priors import BetaMixturePrior, BetaPrior, prior_from_historical, robustify
    from .reports import report, write_report
    from .results import Summary
    from .rules.bop2 import BOP2Rule
    from .rules.dual import DualRule
    from .rules.posterior import PosteriorRule
    from .rules.predictive import PredictiveRule, predictive_probability
    from .rules.toxicity import ToxicityBoundary, ToxicityRule
    from .rules.versus_standard import PosteriorVsStandardRule
    from .simulation.runner import simulate
    from .simulation.scenarios import Scenario
    from .spec import load_design, load_scenarios
    from .validation import validate
