"""Ranges of the hierarchical model's prior within which its fast posterior is exact.

The fast posterior (:mod:`adaptive_pilot.cohorts.hierarchical`) is a fixed
quadrature. Against an independent adaptive integral (tests/test_hierarchical.py)
its P(p > p0 | data) is within 1e-5 (worst seen 4e-6) over these ranges, for data
from none to all responders; outside them it is not checked, so the library, the
design files and the CLI refuse such priors.
"""

from __future__ import annotations

__all__ = ["PRIOR_RANGES"]

#: (lowest, highest) allowed value of each hierarchical prior parameter (logit scale).
PRIOR_RANGES: dict[str, tuple[float, float]] = {
    "mu_mean": (-10.0, 10.0),
    "mu_sd": (0.1, 10.0),
    "tau_sd": (1e-5, 50.0),
}
