"""The validation report: verdict and sign-off, the installation, every check with its source."""

from __future__ import annotations

import pandas as pd

from ..glossary import GLOSSARY, label
from ..reports.document import Paragraph, Report, Section
from ..results import Table
from .catalogue import reference_sets
from .run import SetOutcome, ValidationResult

__all__ = ["validation_report"]

_PURPOSE = (
    "This report records an installation qualification and operational check of "
    "adaptive_pilot on the machine named below. It checks that the installed files are those "
    "the installer recorded (their SHA-256 hashes), then reruns every third-party number the "
    "package's test suite reproduces (from published papers and from R packages; each with "
    "its source, the call or table that produced it and its tolerance, shipped with the "
    "package) and cross-checks computed on this installation: the Monte Carlo simulator "
    "against the exact operating characteristics, and the fast posteriors of hierarchical "
    "borrowing (Berry's model, EXNEX) against PyMC's NUTS. A check passes when the computed "
    "value is within its stated tolerance of the reference."
)

_CHECK_LABELS = {
    "case": "case",
    "quantity": "quantity",
    "reference_value": "reference",
    "computed_value": "value",
    "difference": "difference",
    "allowed_difference": "allowed",
    "tolerance": "tolerance",
    "passed": "passed",
}


def validation_report(result: ValidationResult) -> Report:
    """The dated report of a validation run, for a QA reviewer to sign.

    Sections: verdict and sign-off; the installation (platform and versions); the
    reference sets and cross-checks; the failed checks (when any); then every check, set
    by set, with the set's source and how its numbers were produced.
    """
    sections = [
        _verdict(result),
        _installation(result),
        _overview(result),
    ]
    failed = result.to_frame()
    if len(failed) and not failed["passed"].all():
        rows = failed[~failed["passed"]].reset_index(drop=True)
        rows["quantity"] = [_shown_quantity(q) for q in rows["quantity"]]
        sections.append(
            Section(
                "Failed checks",
                (Table(rows, "Checks outside their tolerance", labels=_CHECK_LABELS),),
            )
        )
    errors = [o for o in result.outcomes if o.error]
    if errors:
        sections.append(
            Section(
                "Computations that failed",
                tuple(Paragraph(f"{o.id}: {o.error}") for o in errors),
            )
        )
    sections += [_detail(o) for o in result.outcomes]
    sources = tuple(dict.fromkeys(r.source for r in reference_sets() if r.id in _ids(result)))
    title = "Validation report: adaptive_pilot " + result.versions["adaptive-pilot"]
    return Report(title, tuple(sections), sources, result.provenance)


def _ids(result: ValidationResult) -> set[str]:
    return {o.id for o in result.outcomes}


def _verdict(result: ValidationResult) -> Section:
    signoff = pd.DataFrame(
        {
            "role": ["Run by", "Reviewed by (QA)", "Approved by"],
            "name": ["", "", ""],
            "signature": ["", "", ""],
            "date": [result.created[:10], "", ""],
        }
    )
    if result.selected:
        names = ", ".join(o.id for o in result.outcomes)
        scope = f"Only a selection was run: {names}. A full run checks every shipped set."
    elif result.quick:
        scope = (
            "The quick subset was run (the sets marked quick); a full run adds the slower "
            "reference sets and cross-checks."
        )
    else:
        scope = "Every shipped reference set and cross-check was run."
    return Section(
        "Verdict and sign-off",
        (
            Paragraph(result.verdict()),
            Paragraph(
                f"Run on {result.created} in {result.seconds:.1f} s. {scope} "
                f"Reference data fingerprint {result.provenance.design_hash}."
            ),
            Paragraph(_PURPOSE),
            Paragraph(
                "Reviewer's conclusion (tick one): [ ] the installation reproduces its "
                "references and is accepted for use; [ ] not accepted (reason below). "
                "Comments: ____________________________________________"
            ),
            Table(signoff, "Sign-off"),
        ),
    )


def _installation(result: ValidationResult) -> Section:
    rows = [(k.replace("_", " "), v) for k, v in result.platform.items()]
    rows += [(f"{name} version", version) for name, version in result.versions.items()]
    frame = pd.DataFrame(rows, columns=["setting", "value"])
    return Section("Installation", (Table(frame, "Platform and package versions"),))


def _overview(result: ValidationResult) -> Section:
    frame = result.sets_frame()
    return Section(
        "Reference sets and cross-checks",
        (
            Paragraph(
                "Each reference set holds numbers from one third-party source; each "
                "cross-check compares two computations run now. Cases: calls of the "
                "computation; checks: compared figures."
            ),
            Table(frame, "What was checked"),
        ),
    )


def _shown_quantity(quantity: str) -> str:
    """An operating characteristic by its glossary label (``p_go`` -> ``P(GO)``: the report's
    formula typesetting would read ``p_go`` as p with subscript go); other names as they are
    in the reference files (the JSON and CSV keep every name as it is)."""
    prefix, dot, rest = quantity.rpartition(".")
    base, bracket, index = rest.partition("[")
    if (base.startswith(("p_", "prob_")) or base in ("en", "pet")) and base in GLOSSARY:
        base = label(base)
    return f"{prefix}{dot}{base}{bracket}{index}"


def _detail(outcome: SetOutcome) -> Section:
    frame = pd.DataFrame([{k: getattr(c, k) for k in _CHECK_LABELS} for c in outcome.checks])
    if len(frame):
        frame["quantity"] = [_shown_quantity(q) for q in frame["quantity"]]
    how = "How the numbers were produced" if outcome.kind == "reference" else "What is compared"
    blocks: list[Paragraph | Table] = [
        Paragraph(f"Source: {outcome.source}"),
        Paragraph(f"{how}: {outcome.produced_by}"),
    ]
    if outcome.error:
        blocks.append(Paragraph(f"The computation failed: {outcome.error}"))
    if len(frame):
        blocks.append(
            Table(
                frame,
                f"{outcome.id}: {outcome.title}",
                formats={"difference": ".3g", "allowed_difference": ".3g"},
                labels=_CHECK_LABELS,
            )
        )
    kind = {"reference": "Reference set", "cross-check": "Cross-check"}.get(outcome.kind, "Check")
    return Section(f"{kind} {outcome.id}: {outcome.title}", tuple(blocks))
