"""The DSMB's workflow: from a design file and patient files to a recorded, reported call.

:func:`~adaptive_pilot.dsmb.run.run_interim` reads the plan and the patient files
(:mod:`adaptive_pilot.spec`, :mod:`adaptive_pilot.patients`), makes the call
(:mod:`adaptive_pilot.interim`), and :mod:`~adaptive_pilot.dsmb.publish` appends it
to the audit trail and writes its reports (:mod:`adaptive_pilot.reports.interim`) as
one step. This is the layer above the reports; the CLI and the app call it.
"""

from .run import run_interim

__all__ = ["run_interim"]
