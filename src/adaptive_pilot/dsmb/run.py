"""One interim call from files: the steps the CLI and the web app share, in one place.

Check the cut-off, read the design and the patient data (minimal file or ADaM),
decide every cohort, and append the call to the audit database when one is given.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from pathlib import Path

from ..errors import InputError
from ..interim import audit as audit_trail
from ..interim.call import interim_analysis
from ..interim.endpoints import EndpointInterimResult, endpoint_interim
from ..interim.result import InterimResult
from ..interim.signing import SigningKey
from ..interim.survival_call import DEFAULT_SEED, SurvivalInterimResult, survival_interim
from ..patients import read_adam, read_patients
from ..patients.records import PatientData, SourceFile
from ..spec import load_design
from ..spec.resolve import ResolvedDesign
from .publish import check_out_folder, publish

__all__ = ["run_interim"]


def run_interim(
    design: str | Path | ResolvedDesign,
    *,
    data: str | Path | None = None,
    adsl: str | Path | None = None,
    adrs: str | Path | None = None,
    adae: str | Path | None = None,
    adtte: str | Path | None = None,
    cohort_var: str = "COHORT",
    as_of: dt.date | None = None,
    analyst: str | None = None,
    audit: str | Path | None = None,
    analysis: str | None = None,
    level: float = 0.90,
    check_pymc: bool = False,
    pymc_draws: int = 10_000,
    names: Mapping[str, str] | None = None,
    out: str | Path | None = None,
    key: SigningKey | None = None,
    lock_timeout: float = audit_trail.LOCK_TIMEOUT,
    plan_origin: str | None = None,
    seed: int = DEFAULT_SEED,
) -> InterimResult | EndpointInterimResult | SurvivalInterimResult:
    """Decide every cohort of a design from patient files at a data cut-off.

    With ``audit`` the call is appended to the audit trail (signed with
    ``key``), and with ``out`` its reports are written there, both as one step
    (:mod:`adaptive_pilot.dsmb.publish`): a record always has its reports,
    and a failed call leaves neither.

    Parameters
    ----------
    design : path or ResolvedDesign
        The design file.
    data : path, optional
        One row per patient (.csv or .xlsx). Give this, or ``adsl`` and ``adrs``.
    adsl, adrs, adae, adtte : path, optional
        CDISC ADaM files (.csv or .xpt); ``adae`` and ``adtte`` are optional.
    cohort_var : str
        ADSL variable holding the cohort.
    as_of : date, optional
        Data cut-off (default: today, UTC); not in the future.
    analyst : str, optional
        Who makes the call (recorded).
    audit : path, optional
        Audit database the call is appended to.
    analysis : {"independent", "hierarchical"}, optional
        Override the design file's borrowing model.
    level : float
        Credible and confidence level of the estimates.
    check_pymc : bool
        Check the borrowed posterior with PyMC NUTS (``pymc_draws`` per chain).
    names : mapping, optional
        Path -> the name to record for it (e.g. a file's name in the user's browser,
        when the file on disk is a temporary copy).
    out : path, optional
        A new or empty folder for ``decision.json`` and the closed and open reports.
    key : SigningKey, optional
        The analyst's key: the audit record is signed (needs ``audit``). The
        analyst is the key's, and a different ``analyst`` is refused.
    lock_timeout : float
        Seconds to wait for another program's lock on the audit database.

    seed : int
        Seed of a time-to-event design's imputations (recorded in the provenance).
    plan_origin : str, optional
        Where the plan came from when it is not a file the analyst chose, e.g. the
        app's Design page and how it differs from the file it was opened from; kept
        in the provenance, the audit record and the report's notes.
    Returns
    -------
    InterimResult

    Raises
    ------
    InputError
        A bad cut-off, a missing or unreadable file, or data problems (a
        :class:`~adaptive_pilot.patients.records.DataError` lists each by row).
    """
    if key is not None:
        if audit is None:
            raise InputError("sign", "signs the audit record: give --audit DATABASE as well")
        if analyst is not None and " ".join(analyst.split()) != key.analyst:
            raise InputError(
                "analyst",
                f"{analyst!r} is not the key's analyst {key.analyst!r}: a signed call is made by "
                f"the key's owner (leave --analyst out)",
            )
        analyst = key.analyst
    if out is not None:
        check_out_folder(out)
    today = dt.datetime.now(dt.UTC).date()
    given = as_of is not None
    as_of = today if as_of is None else as_of
    if as_of > today:
        raise InputError("as_of", f"{as_of} is in the future (today is {today})")
    adam = [adsl, adrs, adae, adtte]
    if (data is None) == all(v is None for v in adam):
        raise InputError("data", "give --data FILE, or the ADaM files --adsl and --adrs")
    if data is None and (adsl is None or adrs is None):
        raise InputError(
            "adsl" if adsl is None else "adrs", "ADaM input needs both --adsl and --adrs"
        )
    resolved = design if isinstance(design, ResolvedDesign) else load_design(design)
    if resolved.is_time_to_event:
        if check_pymc:
            raise InputError("check_pymc", "is not available for a time_to_event design")
        survival_borrowing = resolved.survival_borrowing(analysis)
        cohort_names: tuple[str, ...] = tuple(name for name, _ in resolved.survival_cohorts)
    elif resolved.is_multi_endpoint:
        if check_pymc:
            raise InputError(
                "check_pymc", "is not available yet for a design with several endpoints"
            )
        borrowing = resolved.endpoint_borrowing(analysis)
        cohort_names = tuple(name for name, _ in resolved.endpoint_cohorts)
        definitions, min_grade = resolved.category_definitions()
    else:
        plan = resolved.interim_plan(analysis)
        cohort_names = plan.cohort_names
    if data is not None:
        patients = read_patients(data, cohorts=cohort_names, today=today, as_of_given=given)
    else:
        assert adsl is not None and adrs is not None
        patients = read_adam(
            adsl, adrs, adae=adae, adtte=adtte, cohort_var=cohort_var,
            cohorts=cohort_names, today=today, as_of_given=given,
        )  # fmt: skip
    names = {str(Path(k)): v for k, v in (names or {}).items()}
    if names:
        patients = _renamed(patients, names)
    design_file = None
    if resolved.source and Path(resolved.source).is_file():
        path = Path(resolved.source)
        shown = names.get(str(path), str(path))
        design_file = SourceFile.of("design", Path(shown), path.read_bytes())
    result: InterimResult | EndpointInterimResult | SurvivalInterimResult
    if resolved.is_time_to_event:
        result = survival_interim(
            resolved.survival_cohorts,
            patients,
            as_of=as_of,
            design_hash=resolved.design_hash(),
            name=resolved.name,
            title=resolved.title,
            analyst=analyst,
            design_file=design_file,
            seed=seed,
            borrowing=survival_borrowing,
        )
    elif resolved.is_multi_endpoint:
        result = endpoint_interim(
            resolved.endpoint_cohorts,
            definitions,
            patients,
            as_of=as_of,
            design_hash=resolved.design_hash(),
            name=resolved.name,
            title=resolved.title,
            min_grade=min_grade,
            analyst=analyst,
            design_file=design_file,
            borrowing=borrowing,
            unconfirmed=resolved.unconfirmed,
            confirmation=resolved.confirmation[0],
            confirmation_source=resolved.confirmation[1],
        )
    else:
        result = interim_analysis(
            plan,
            patients,
            as_of=as_of,
            analyst=analyst,
            design_file=design_file,
            level=level,
            check_pymc=check_pymc,
            pymc_draws=pymc_draws,
        )
        if plan_origin is not None:  # the plan's story: provenance, audit record and notes
            result = dataclasses.replace(
                result,
                provenance=result.provenance.with_details(plan_origin=plan_origin),
                notes=(*result.notes, f"Analysis plan: {plan_origin}."),
            )
    if audit is not None or out is not None:
        result, _ = publish(result, out=out, database=audit, key=key, timeout=lock_timeout)
    return result


def _renamed(patients: PatientData, names: Mapping[str, str]) -> PatientData:
    sources = tuple(
        dataclasses.replace(s, path=names.get(s.path, s.path)) for s in patients.sources
    )
    return dataclasses.replace(patients, sources=sources)
