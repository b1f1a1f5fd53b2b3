"""The interim call: patient data at a cut-off in, one documented decision per cohort out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from ..cohorts.plan import InterimPlan
from ..inference import Inference, stagewise_inference
from ..patients.counts import CohortCounts, apply_unconfirmed, cohort_counts
from ..patients.records import PatientData, SourceFile
from ..provenance import Provenance, versions
from .decide import CohortCall, decide_cohort
from .result import InterimResult
from .survival import survival_summary

__all__ = ["PYMC_TOLERANCE", "interim_analysis", "versions"]

#: Largest |fast - PyMC| difference in P(p_j > p0 | data) accepted without a flag.
PYMC_TOLERANCE = 0.01


def interim_analysis(
    plan: InterimPlan,
    data: PatientData,
    *,
    as_of: dt.date,
    analyst: str | None = None,
    design_file: SourceFile | None = None,
    level: float = 0.90,
    check_pymc: bool = False,
    pymc_draws: int = 10_000,
    seed: int = 1,
) -> InterimResult:
    """Decide every cohort at the data cut-off.

    Parameters
    ----------
    plan : InterimPlan
        The design (:meth:`adaptive_pilot.spec.ResolvedDesign.interim_plan`).
    data : PatientData
        Validated patient records (:func:`adaptive_pilot.patients.read_patients`
        or :func:`~adaptive_pilot.patients.read_adam`).
    as_of : date
        Data cut-off: only what was known by then counts.
    analyst : str, optional
        Who makes the call (recorded).
    design_file : SourceFile, optional
        The design file read, for its SHA-256 in the provenance.
    level : float, default 0.90
        Level of the confidence intervals of ended cohorts.
    check_pymc : bool, default False
        With hierarchical borrowing, also fit the model by PyMC NUTS (2
        chains) and flag any cohort whose P(p > p0 | data) differs from the
        fast posterior by more than 0.01 beyond the NUTS estimate's Monte
        Carlo error (|difference| > 0.01 + 2 MCSE), and a fit with R-hat above
        1.01 or divergences.
    pymc_draws, seed : int
        NUTS draws per chain (default 10,000: MCSE about 0.005 or less, some
        15 s) and seed of the check.

    Returns
    -------
    InterimResult
    """
    counts = [
        apply_unconfirmed(
            cohort_counts(data, [c.name], as_of=as_of, min_grade=c.min_grade)[0], c.unconfirmed
        )
        for c in plan.cohorts
    ]
    checks: dict[str, Any] = {}
    if plan.borrowing is None:
        calls = [decide_cohort(c, k) for c, k in zip(plan.cohorts, counts, strict=True)]
    else:
        from .borrowing import decide_borrowed

        calls = decide_borrowed(plan, counts)
        if check_pymc:
            checks["pymc"] = _pymc_check(plan, calls, draws=pymc_draws, seed=seed)
    inference: dict[str, Inference] = {}
    notes = [*data.notes, *_notes(calls, counts, {c.name: c for c in plan.cohorts})]
    for cohort, call in zip(plan.cohorts, calls, strict=True):
        if not call.ended:
            continue
        if not call.planned_look:
            notes.append(
                f"{call.cohort}: ended at an unplanned look (n = {call.n_evaluable}); exact "
                f"stage-wise inference assumes the planned looks and is not given"
            )
            continue
        inference[call.cohort] = stagewise_inference(
            cohort.table,
            call.n_evaluable,
            call.responses,
            p0=cohort.p0,
            level=level,
            prior=cohort.prior,
            design_hash=plan.design_hash(),
        )
    if "pymc" in checks:
        notes.append(_pymc_note(checks["pymc"]))
    survival = survival_summary(data, [c.name for c in plan.cohorts], as_of=as_of)
    provenance = call_provenance(
        plan.design_hash(), data, as_of=as_of, analyst=analyst, design_file=design_file,
        analysis=plan.borrowing_name, packages=("pymc", "arviz") if check_pymc else (),
    )  # fmt: skip
    return InterimResult(
        plan=plan,
        calls=tuple(calls),
        inference=inference,
        data=data,
        as_of=as_of,
        analyst=analyst,
        provenance=provenance,
        notes=tuple(notes),
        checks=checks,
        survival=survival,
    )


def call_provenance(
    design_hash: str,
    data: PatientData,
    *,
    as_of: dt.date,
    analyst: str | None,
    design_file: SourceFile | None,
    analysis: str,
    packages: tuple[str, ...] = (),
    extra: dict[str, Any] | None = None,
) -> Provenance:
    """An interim call's provenance: design hash, cut-off, analyst, the inputs' SHA-256,
    the analysis and the versions of the packages that read the files (and ``packages``)."""
    inputs = data.to_provenance() + ([design_file.to_dict()] if design_file else [])
    return Provenance(
        "exact",
        design_hash,
        details={
            "call": "interim analysis",
            "as_of": as_of.isoformat(),
            "analyst": analyst,
            "data_format": data.format,
            "inputs": inputs,
            "analysis": analysis,
            **(extra or {}),
            "versions": versions(*_readers(data), *packages),
        },
    )


def _readers(data: PatientData) -> tuple[str, ...]:
    """The packages that read the input files (their version can change what is read)."""
    suffixes = {Path(s.path).suffix.lower() for s in data.sources}
    return tuple(
        name
        for suffix, name in ((".xlsx", "openpyxl"), (".xpt", "pyreadstat"))
        if suffix in suffixes
    )


def _notes(
    calls: list[CohortCall], counts: list[CohortCounts], plans: dict[str, Any] | None = None
) -> list[str]:
    plans = plans or {}
    notes = []
    for call, count in zip(calls, counts, strict=True):
        if count.excluded_enrolled_later:
            notes.append(
                f"{call.cohort}: {count.excluded_enrolled_later} patient(s) enrolled after the "
                f"cut-off are not in this analysis"
            )
        if count.outcomes_after_cutoff:
            notes.append(
                f"{call.cohort}: {count.outcomes_after_cutoff} response(s) assessed after the "
                f"cut-off count as pending"
            )
        notes += unconfirmed_notes(
            call.cohort, count.unconfirmed, count.unconfirmed_pending, plans.get(call.cohort)
        )
    return notes


def unconfirmed_notes(
    cohort: str,
    unconfirmed: int,
    pending: int,
    plan: Any = None,
    *,
    fallback: str = "",
) -> list[str]:
    """What the call did with the cohort's unconfirmed responses, for the DSMB.

    ``plan``: anything with ``unconfirmed``, ``confirmation`` and ``confirmation_source``;
    ``fallback``: what a response not confirmed becomes (designs on several endpoints).
    """
    if not unconfirmed:
        return []
    if plan is not None and getattr(plan, "unconfirmed", "") == "weighted":
        return [
            f"{cohort}: {unconfirmed} unconfirmed response(s) are weighted: each is taken to be "
            f"confirmed with probability {plan.confirmation:g} (source: "
            f"{plan.confirmation_source}), independently; the posterior and the decision "
            "statistic are mixtures over the number confirmed"
            + (f"; one not confirmed {fallback}" if fallback else "")
            + " (the design's endpoint.unconfirmed: weighted)"
        ]
    if pending:
        return [
            f"{cohort}: {unconfirmed} unconfirmed response(s) wait for their confirmation and "
            "count as pending (the design's endpoint.unconfirmed: pending)"
        ]
    return [
        f"{cohort}: {unconfirmed} unconfirmed response(s) count as responses (the design's "
        "endpoint.unconfirmed: count)"
    ]


def _pymc_note(check: dict[str, Any]) -> str:
    fit = (
        f"{check['chains']} chains x {check['draws']} draws, max R-hat {check['max_r_hat']:.3f}, "
        f"min bulk ESS {check['min_ess_bulk']:.0f}, {check['divergences']} divergences"
    )
    if not check["converged"]:
        return f"PyMC check: the NUTS fit did not converge ({fit}); its comparison is not reliable"
    if check["flagged"]:
        return (
            f"PyMC check: fast and NUTS P(p > p0) differ by more than {PYMC_TOLERANCE} (beyond "
            f"2 MCSE) for {', '.join(check['flagged'])} ({fit})"
        )
    return f"PyMC check: fast and NUTS P(p > p0) agree within {PYMC_TOLERANCE} + 2 MCSE ({fit})"


def _pymc_check(
    plan: InterimPlan, calls: list[CohortCall], *, draws: int, seed: int
) -> dict[str, Any]:
    assert plan.borrowing is not None and plan.borrowing.borrowing is not None
    trial = plan.borrowing
    assert trial.borrowing is not None
    p0s = tuple(c.p0 for c in trial.cohorts)
    model = trial.borrowing.analysis_model(p0s)
    n = [c.n_evaluable for c in calls]
    x = [c.responses for c in calls]
    fit = model.pymc_posterior(n, x, list(p0s), draws=draws, seed=seed)
    d = fit.diagnostics
    rows = []
    for j, call in enumerate(calls):
        nuts, mcse = float(fit.prob_gt_p0[j]), float(d["mcse_prob_gt_p0"][j])
        difference = nuts - call.prob_gt_p0
        rows.append(
            {
                "cohort": call.cohort,
                "fast": call.prob_gt_p0,
                "nuts": nuts,
                "mcse": mcse,
                "difference": difference,
                "flagged": abs(difference) > PYMC_TOLERANCE + 2 * mcse,
            }
        )
    flagged = [r["cohort"] for r in rows if r["flagged"]]
    converged = d["max_r_hat"] <= 1.01 and d["divergences"] == 0
    return {
        "method": "PyMC NUTS",
        "cohorts": rows,
        "tolerance": PYMC_TOLERANCE,
        "flag_rule": "|NUTS - fast| > tolerance + 2 MCSE",
        "flagged": flagged,
        "max_r_hat": d["max_r_hat"],
        "min_ess_bulk": d["min_ess_bulk"],
        "divergences": d["divergences"],
        "draws": d["draws"],
        "chains": d["chains"],
        "seed": d["seed"],
        "converged": converged,
        "ok": not flagged and converged,
    }
