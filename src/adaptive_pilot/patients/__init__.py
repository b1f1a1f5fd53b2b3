"""Patient-level trial data: reading, validation, the data cut-off and per-cohort counts.

:func:`read_patients` reads the minimal one-row-per-patient file (CSV/XLSX);
:func:`read_adam` reads CDISC ADaM ADSL + ADRS (+ ADAE, ADTTE) in CSV or SAS
transport. Both validate every row and raise one :class:`DataError` listing
every problem (file, row, column, what is allowed). :func:`cohort_counts`
applies the data cut-off and counts, per cohort, the evaluable patients,
responses, pending patients and toxicity events.
"""

from .adam import read_adam
from .counts import CohortCounts, cohort_counts
from .minimal import read_minimal as read_patients
from .records import RESPONSE_CODES, DataError, PatientData, Problem

__all__ = [
    "RESPONSE_CODES",
    "CohortCounts",
    "DataError",
    "PatientData",
    "Problem",
    "cohort_counts",
    "read_adam",
    "read_patients",
]
