"""The interim call's result: one row per cohort, inference for ended cohorts, provenance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Self

import pandas as pd

from ..cohorts.plan import InterimPlan
from ..inference import Inference
from ..patients.records import PatientData
from ..provenance import Provenance
from ..results import ResultMixin, Summary, Table, json_safe, records
from .decide import DECISION_LABELS, CohortCall

__all__ = ["COHORT_KEYS", "Audited", "InterimResult"]

#: Keys of each cohort in the JSON output, in order.
COHORT_KEYS = (
    "cohort",
    "n_evaluable",
    "responses",
    "toxicities",
    "pending",
    "planned_look",
    "decision",
    "reason",
    "futility_bound",
    "efficacy_bound",
    "prob_gt_p0",
    "predictive_probability",
    "predictive_nogo",
    "p_final_go_p0",
    "p_final_go_p1",
    "look",
    "final",
    "enrolled",
    "n_toxicity",
    "toxicity_bound",
    "prob_toxicity",
    "method",
    "box_p",
    "sam_weight",
)
_SHOWN = [
    "cohort",
    "n_evaluable",
    "responses",
    "pending",
    "toxicities",
    "decision",
    "prob_gt_p0",
    "predictive_probability",
    "p_final_go_p0",
    "p_final_go_p1",
]


class Audited:
    """An interim call that can carry its audit record (frozen dataclasses with ``audit``)
    and holds one call per cohort (``calls``, each with ``cohort`` and ``decision``)."""

    audit: Mapping[str, Any] | None
    calls: tuple[Any, ...]

    @property
    def cohort_names(self) -> tuple[str, ...]:
        """The cohorts, in design order."""
        return tuple(c.cohort for c in self.calls)

    def decisions(self) -> dict[str, str]:
        """{cohort: decision}."""
        return {c.cohort: c.decision for c in self.calls}

    def with_audit(self, record: Mapping[str, Any]) -> Self:
        """A copy that carries its audit record (id, hash)."""
        return replace(self, audit=dict(record))  # type: ignore[type-var]

    def _audited(self, payload: dict[str, Any]) -> dict[str, Any]:
        """``payload`` with the audit record, when there is one."""
        if self.audit is not None:
            payload["audit"] = dict(self.audit)
        return payload


@dataclass(frozen=True)
class DesignCall(Audited):
    """The fields of an interim call on a design without a boundary-table plan (several
    endpoints, a time-to-event endpoint): its name and title, one call per cohort in
    design order, the data, cut-off, analyst, provenance, notes, audit record, and each
    cohort's design. The results build on it."""

    name: str
    title: str
    calls: tuple[Any, ...]
    data: PatientData
    as_of: dt.date
    analyst: str | None
    provenance: Provenance
    notes: tuple[str, ...] = ()
    audit: Mapping[str, Any] | None = None
    designs: tuple[Any, ...] = ()

    def _payload(self, cohorts: list[dict[str, Any]], **more: Any) -> dict[str, Any]:
        """The JSON payload: design, cut-off, analyst, ``cohorts``, ``more``, notes,
        provenance (and the audit record)."""
        payload: dict[str, Any] = {
            "design": {"name": self.name, "title": self.title},
            "as_of": self.as_of.isoformat(),
            "analyst": self.analyst,
            "cohorts": cohorts,
            **more,
            "notes": list(self.notes),
            "provenance": self.provenance.to_dict(),
        }
        return self._audited(payload)


@dataclass(frozen=True)
class InterimResult(Audited, ResultMixin):
    """Decisions per cohort at a data cut-off (see :func:`adaptive_pilot.interim.interim_analysis`).

    Attributes
    ----------
    plan : InterimPlan
        The design the decisions follow.
    calls : tuple of CohortCall
        One per cohort, in design order.
    inference : mapping of str to Inference
        Exact inference for each cohort whose design has ended at a planned look.
    data : PatientData
        The validated patient records (closed data: never leaves the session).
    as_of : date
        The data cut-off.
    analyst : str or None
        Who made the call.
    provenance : Provenance
        Design hash, input files' SHA-256, cut-off, versions, analyst, UTC time.
    notes : tuple of str
        Flags for the DSMB (unplanned looks, excluded data, checks).
    audit : mapping or None
        The audit record (id and hash) when the call was written to an audit database.
    checks : mapping
        The PyMC check of a borrowed posterior, when asked for.
    survival : DataFrame or None
        Kaplan-Meier PFS and OS per cohort (:mod:`adaptive_pilot.interim.survival`),
        descriptive.
    """

    plan: InterimPlan
    calls: tuple[CohortCall, ...]
    inference: Mapping[str, Inference]
    data: PatientData
    as_of: dt.date
    analyst: str | None
    provenance: Provenance
    notes: tuple[str, ...] = ()
    audit: Mapping[str, Any] | None = None
    checks: Mapping[str, Any] = field(default_factory=dict)
    survival: pd.DataFrame | None = None

    def call(self, cohort: str) -> CohortCall:
        """The call for one cohort."""
        for c in self.calls:
            if c.cohort == cohort:
                return c
        raise KeyError(cohort)

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per cohort with the keys of :data:`COHORT_KEYS`."""
        return pd.DataFrame([{k: getattr(c, k) for k in COHORT_KEYS} for c in self.calls])

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``cohorts``, ``inference``, ``notes``, ``provenance`` (and ``audit``)."""
        payload: dict[str, Any] = {
            "design": {"name": self.plan.name, "title": self.plan.title},
            "as_of": self.as_of.isoformat(),
            "analyst": self.analyst,
            "cohorts": records(self.to_frame()),
            "inference": {
                name: {k: v for k, v in result.to_dict().items() if k != "provenance"}
                for name, result in self.inference.items()
            },
            "checks": json_safe(dict(self.checks)),
            "survival": [] if self.survival is None else records(self.survival),
            "notes": list(self.notes),
            "provenance": self.provenance.to_dict(),
        }
        return self._audited(payload)

    def summary(self) -> Summary:
        """Decisions per cohort, reasons, and inference for the cohorts that ended."""
        shown = list(_SHOWN)
        if any(c.table.three_outcomes for c in self.plan.cohorts):  # Go / Consider / No-Go
            shown.insert(shown.index("predictive_probability") + 1, "predictive_nogo")
        frame = self.to_frame()[shown]
        if "decision" in frame.columns:  # printed as words; the frame and JSON keep the codes
            frame = frame.assign(decision=frame["decision"].map(DECISION_LABELS))
        tables = [Table(frame, title="Decision per cohort")]
        if self.inference:
            rows = []
            for name, result in self.inference.items():
                rows.append(
                    {
                        "cohort": name,
                        "n": result.n,
                        "x": result.x,
                        "mle": result.mle,
                        "umvue": result.umvue,
                        "median_unbiased": result.median_unbiased,
                        "p_value": result.p_value,
                        "ci_low": result.ci_low,
                        "ci_high": result.ci_high,
                    }
                )
            level = next(iter(self.inference.values())).level
            tables.append(
                Table(
                    pd.DataFrame(rows),
                    title=f"Ended cohorts: exact inference (stage-wise ordering, "
                    f"{100 * level:g}% CI)",
                )
            )
        if self.survival is not None and not self.survival.empty:
            landmark = float(self.survival["landmark_months"].iloc[0])
            tables.append(
                Table(
                    self.survival.drop(columns=["landmark_months"]),
                    title="Secondary endpoints: Kaplan-Meier PFS and OS (descriptive; "
                    f"survival at {landmark:g} months with its Greenwood SE)",
                    formats={"median_months": ".1f", "s_landmark": ".3f", "s_landmark_se": ".3f"},
                )
            )
        if "pymc" in self.checks:
            check = pd.DataFrame(self.checks["pymc"]["cohorts"])
            check["flagged"] = check["flagged"].map({True: "yes", False: "no"})
            tables.append(
                Table(
                    check,
                    title="Check of the borrowed posterior: P(p > p0 | data), fast vs PyMC NUTS",
                    formats={"fast": ".4f", "nuts": ".4f", "mcse": ".4f", "difference": "+.4f"},
                    labels={"fast": "fast", "nuts": "NUTS", "mcse": "NUTS MCSE"},
                )
            )
        details = self.provenance.details
        header = [
            f"Design: {self.plan.title or self.plan.name} (design {self.provenance.design_hash})",
            f"Data cut-off: {self.as_of.isoformat()}; analyst: {self.analyst or 'not given'}",
            f"Analysis: {self.plan.analysis_description}",
            "Data: "
            + "; ".join(f"{s['file']} (SHA-256 {s['sha256'][:16]})" for s in details["inputs"]),
        ]
        if self.audit is not None:
            header.append(f"Audit record {self.audit['id']} (hash {self.audit['hash'][:16]})")
        notes = [
            f"{c.cohort}: {c.decision.upper().replace('_', ' ')}. {c.reason}."
            + ("" if c.conflict is None else f" Prior-data check: {c.conflict.sentence()}")
            for c in self.calls
        ]
        notes += list(self.notes)
        return Summary(
            "Interim analysis",
            header=tuple(header),
            tables=tuple(tables),
            notes=tuple(notes),
            provenance=self.provenance,
        )
