"""Validation of an installation: third-party reference numbers and cross-checks, re-run.

:func:`validate` runs every reference set shipped in ``validation/references/``
(numbers from papers and R packages, each with its source, the call that produced it
and its tolerance) and the cross-checks (simulation against exact OC, quadrature
against NUTS), and returns a :class:`ValidationResult` whose report a QA reviewer
can sign (:func:`validation_report`). ``adaptive-pilot validate`` is the command.
"""

from __future__ import annotations

from .catalogue import ReferenceSet, reference_sets
from .run import ValidationResult, validate

__all__ = ["ReferenceSet", "ValidationResult", "reference_sets", "validate"]
