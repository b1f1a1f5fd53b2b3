"""Limits stated in the documentation and applied by every command: sample sizes, prior ranges.

:data:`N_LIMIT` bounds every maximum sample size, look and cohort size (design
files, ``oc``, ``inference``, ``borrow``, the simulator), so that no input can
ask for tables or recursions larger than memory.

:data:`PRIOR_RANGES` are the ranges of the hierarchical model's prior within
which its fast posterior is exact.

The fast posterior (:mod:`adaptive_pilot.cohorts.hierarchical`) is a fixed
quadrature. Against an independent adaptive integral (tests/test_hierarchical.py)
its P(p > p0 | data) is within 1e-5 (worst seen 4e-6) over these ranges, for data
from none to all responders; outside them it is not checked, so the library, the
design files and the CLI refuse such priors.
"""

from __future__ import annotations

__all__ = ["BORROWED_N_LIMIT", "BORROWING_TRIAL_N_LIMIT", "N_LIMIT", "PRIOR_RANGES"]

#: Largest maximum sample size, look or cohort size accepted anywhere.
N_LIMIT = 5000
#: Largest number of a cohort's patients in one borrowed posterior (``borrow``, the
#: interim call with borrowing): there the fast posterior is checked to 1e-5 against an
#: adaptive integral (tests/test_hierarchical.py); it drifts beyond (2.5e-5 at 1,000).
BORROWED_N_LIMIT = 400
#: Largest cohort size of a simulated trial with borrowing: the simulator's tables hold
#: every (n, x) up to N in each worker, which grows as N squared (N = 200: about 5 GB and
#: 40 s per worker; N = 400: 18 GB).
BORROWING_TRIAL_N_LIMIT = 200

#: (lowest, highest) allowed value of each hierarchical prior parameter (logit scale).
PRIOR_RANGES: dict[str, tuple[float, float]] = {
    "mu_mean": (-10.0, 10.0),
    "mu_sd": (0.1, 10.0),
    "tau_sd": (1e-5, 50.0),
}
