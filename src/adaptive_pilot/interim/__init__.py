"""The DSMB call: patient data at a data cut-off in, one documented decision per cohort out.

:func:`interim_analysis` decides every cohort of an :class:`InterimPlan` from
validated patient data (:mod:`adaptive_pilot.patients`): continue, stop for
futility, stop for efficacy, stop for toxicity, or at the end GO / NO-GO, with
the bounds that applied, a plain-language reason, P(p > p0 | data), the
predictive probability of a final GO and the exact probability of a final GO
at p0 and p1; exact inference for every cohort that has ended; provenance
with the SHA-256 of every input. :mod:`adaptive_pilot.interim.audit` keeps
the hash-chained audit trail (signed with :mod:`adaptive_pilot.interim.signing`).
The closed and open reports are written by :mod:`adaptive_pilot.reports.interim`;
:mod:`adaptive_pilot.dsmb` runs the whole call from files (read, decide, record,
report as one step).
"""

from ..cohorts.plan import CohortPlan, InterimPlan
from .call import interim_analysis
from .decide import CohortCall
from .result import InterimResult

__all__ = ["CohortCall", "CohortPlan", "InterimPlan", "InterimResult", "interim_analysis"]
