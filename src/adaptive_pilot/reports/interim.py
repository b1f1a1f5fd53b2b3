"""What an interim call leaves behind: the audit record, decision.json, closed and open reports.

The *closed* report is for the DSMB only: outcomes by cohort, decisions,
reasons, the rule's quantities and the inference for ended cohorts. The
*open* report can go to the trial team: accrual by cohort and month, pending
and evaluable counts and data completeness, with no outcome and no decision
detail (the separation DMC guidance asks for). Both state the design hash,
the data files' SHA-256, the cut-off and the versions, and are single
self-contained HTML files (no external resource, no script).
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from .._files import atomic_write
from ..interim.endpoints import EndpointInterimResult
from ..interim.result import InterimResult
from ..interim.survival_call import SurvivalInterimResult
from ..patients.counts import cohort_counts
from ..results import Summary, Table, format_cell

#: Every interim call's result type.
AnyInterim = InterimResult | EndpointInterimResult | SurvivalInterimResult

__all__ = ["audit_payload", "open_summary", "write_outputs"]

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 64rem; padding: 0 1rem; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.5rem; } h3 { font-size: 1.15rem; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: 0.6rem 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f2f2f2; } td:first-child, th:first-child { text-align: left; }
.banner { padding: 0.5rem 0.8rem; border: 2px solid #a00; color: #a00; font-weight: 600; }
.open { border-color: #05a; color: #05a; }
.ap-provenance { font-size: 0.85rem; color: #555; }
figure.ap-figure { margin: 1rem 0; } figure.ap-figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: #444; }
@page { size: A4 portrait; margin: 14mm 12mm; }
@media print {
  body { margin: 0; max-width: none; padding: 0; font-size: 9.5pt; line-height: 1.35; }
  table { font-size: 8pt; } th, td { padding: 0.12rem 0.3rem; }
  table, figure, .banner { break-inside: avoid; } h2, h3 { break-after: avoid; }
  figure.ap-figure svg { max-height: 120mm; }
}
"""


def audit_payload(result: AnyInterim) -> dict[str, Any]:
    """What the audit record keeps: cut-off, inputs' hashes, decisions, versions."""
    if isinstance(result, EndpointInterimResult):
        return _endpoint_audit_payload(result)
    if isinstance(result, SurvivalInterimResult):
        return _survival_audit_payload(result)
    decisions = [
        {
            "cohort": c.cohort,
            "decision": c.decision,
            "n_evaluable": c.n_evaluable,
            "responses": c.responses,
            "toxicities": c.toxicities,
            "pending": c.pending,
            "reason": c.reason,
        }
        for c in result.calls
    ]
    return _audit_record(result, result.plan.name, decisions)


def _audit_record(
    result: AnyInterim, name: str, decisions: list[dict[str, Any]], **more: Any
) -> dict[str, Any]:
    """An audit record: the head, ``more``, the decisions and the software versions."""
    return {
        **_payload_head(result, name),
        **more,
        "decisions": decisions,
        "versions": result.provenance.details["versions"],
    }


def _payload_head(result: AnyInterim, name: str) -> dict[str, Any]:
    """What every audit record starts with: the call, the design, cut-off, inputs, analysis."""
    details = result.provenance.details
    return {
        "call": "interim analysis",
        "design": {"name": name, "hash": result.provenance.design_hash},
        "as_of": result.as_of.isoformat(),
        "inputs": details["inputs"],
        **({"plan_origin": details["plan_origin"]} if "plan_origin" in details else {}),
        "analysis": details["analysis"],
    }


def open_summary(result: InterimResult) -> Summary:
    """Accrual, pending and completeness by cohort: nothing about outcomes or decisions."""
    counts = cohort_counts(result.data, result.plan.cohort_names, as_of=result.as_of)
    status = [(c.cohort, c.enrolled, c.n_evaluable, c.pending) for c in counts]
    return _open_summary(result, status, _header(result), "response known")


def _open_summary(
    result: AnyInterim,
    status: list[tuple[str, int, int, int]],
    header: tuple[str, ...],
    known: str,
) -> Summary:
    """The open report's tables: patients by cohort (enrolled, evaluable, pending) and
    enrolment by month; ``known`` labels the completeness column."""
    frame = result.data.frame
    cutoff = pd.Timestamp(result.as_of)
    enrolled = frame[frame["enrolled"] <= cutoff]
    months = enrolled["enrolled"].dt.strftime("%Y-%m")
    names = [row[0] for row in status]
    accrual = (pd.crosstab(months, enrolled["cohort"]).reindex(columns=names)).fillna(0)
    accrual = accrual.astype(int).reset_index().rename(columns={"enrolled": "month"})
    table = pd.DataFrame(
        [
            {
                "cohort": cohort,
                "enrolled": n_enrolled,
                "n_evaluable": n_evaluable,
                "pending": pending,
                "complete": (n_evaluable / n_enrolled) if n_enrolled else None,
            }
            for cohort, n_enrolled, n_evaluable, pending in status
        ]
    )
    return Summary(
        "Open report: accrual and data completeness",
        header=header,
        tables=(
            Table(
                table, title="Patients by cohort", formats={"complete": ".0%"},
                labels={"complete": known},
            ),
            Table(accrual, title="Enrolment by month and cohort", labels={"month": "month"}),
        ),
        notes=(
            "This report shows no outcome and no decision: it may be shared with the trial team.",
        ),
        provenance=result.provenance,
    )  # fmt: skip


def _header(result: InterimResult) -> tuple[str, ...]:
    return _header_lines(
        result.plan.title or result.plan.name, result, result.plan.analysis_description
    )


def _header_lines(title: str, result: AnyInterim, analysis: str | None) -> tuple[str, ...]:
    """Design, cut-off, analysis, inputs, software, and the audit record and signature."""
    details = result.provenance.details
    files = "; ".join(f"{s['file']} (SHA-256 {s['sha256']})" for s in details["inputs"])
    versions = ", ".join(f"{k} {v}" for k, v in details["versions"].items())
    lines = [
        f"Design: {title}; design hash {result.provenance.design_hash}",
        f"Data cut-off: {result.as_of.isoformat()}; analyst: {result.analyst or 'not given'}",
        *([f"Analysis: {analysis}"] if analysis else []),
        f"Inputs: {files}",
        f"Software: {versions}",
    ]
    if result.audit is not None:
        lines.append(f"Audit record {result.audit['id']}, hash {result.audit['hash']}")
        signature = result.audit.get("signature")
        if signature:
            lines.append(
                f"Electronic signature: {signature['signer']}, {signature['signed_utc']} (UTC), "
                f"meaning: {signature['meaning']} ({signature['algorithm']} key "
                f"{signature['key_fingerprint'][:16]}; signs record hash {result.audit['hash']})"
            )
    return tuple(lines)


def _page(title: str, banner: str, sections: list[str], *, open_report: bool) -> str:
    css = "banner open" if open_report else "banner"
    body = "\n".join(sections)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
        f'<h1>{html.escape(title)}</h1>\n<p class="{css}">{html.escape(banner)}</p>\n'
        f"{body}\n</body>\n</html>\n"
    )


def _closed_page(title: str, sections: list[str]) -> str:
    """The closed report's page around its sections, with the DSMB-only banner."""
    return _page(
        f"Closed interim report: {title}",
        "CLOSED: for the Data Safety Monitoring Board only. Contains outcomes and decisions.",
        sections,
        open_report=False,
    )


def _figure_block(drawing: str, caption: str) -> str:
    """An inline SVG figure with its caption."""
    return (
        f'<figure class="ap-figure">{drawing}<figcaption>{html.escape(caption)}'
        "</figcaption></figure>"
    )


def closed_report(result: AnyInterim) -> str:
    """The DSMB's closed report (self-contained HTML)."""
    if isinstance(result, EndpointInterimResult):
        return _endpoint_closed_report(result)
    if isinstance(result, SurvivalInterimResult):
        return _survival_closed_report(result)
    summary = result.summary()
    detail = Summary(
        "Data and provenance",
        header=_header(result),
        tables=(_every_figure(result),),
    )
    sections = [summary.as_html(), _figures(result), detail.as_html()]
    for name, inference in result.inference.items():
        sections.append(f"<h3>{html.escape(name)}</h3>" + inference.summary().as_html())
    return _closed_page(result.plan.title or result.plan.name, sections)


def _every_figure(result: InterimResult) -> Table:
    """Every figure of every cohort, one column per cohort (21 figures do not fit across a
    page; four cohorts do)."""
    import pandas as pd

    from ..glossary import label
    from ..interim.decide import DECISION_LABELS

    frame = result.to_frame()
    rows = []
    for record in frame.to_dict("records"):
        for key, value in record.items():
            name = str(key)
            if name == "cohort":
                continue
            shown = DECISION_LABELS.get(value, value) if name == "decision" else value
            rows.append({"figure": label(name), "cohort": record["cohort"],
                         "value": format_cell(shown, name)})  # fmt: skip
    return Table(pd.DataFrame(rows), title="Every figure per cohort", wide="cohort")


def _figures(result: InterimResult) -> str:
    """Per cohort: posterior, how it can end from here, position on the boundaries (SVG)."""
    from .. import figures  # matplotlib only when a report is written

    parts = ["<h3>Figures by cohort</h3>"]
    for plan, call in zip(result.plan.cohorts, result.calls, strict=True):
        drawing = figures.svg(figures.cohort_figure(plan, call))
        caption = (
            f"Cohort {call.cohort}: posterior of the response rate (shaded: p above p0 = "
            f"{plan.p0:g}); predictive probability of each way the cohort can end, following "
            "the boundary table; the current position against the stopping regions."
        )
        parts.append(_figure_block(drawing, caption))
    return "\n".join(parts)


def open_report(result: AnyInterim) -> str:
    """The open report (self-contained HTML): no outcome, no decision."""
    if isinstance(result, SurvivalInterimResult):
        title, summary = result.title or result.name, _survival_open_summary(result)
    elif isinstance(result, EndpointInterimResult):
        title, summary = result.title or result.name, _endpoint_open_summary(result)
    else:
        title, summary = result.plan.title or result.plan.name, open_summary(result)
    return _page(
        f"Open interim report: {title}",
        "OPEN: accrual and data completeness only; no outcome or decision.",
        [summary.as_html()],
        open_report=True,
    )


def write_outputs(result: AnyInterim, folder: str | Path) -> list[Path]:
    """decision.json, closed_report.html and open_report.html in ``folder`` (each atomic)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    documents = {
        "decision.json": json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n",
        "closed_report.html": closed_report(result),
        "open_report.html": open_report(result),
    }
    written = []
    for name, text in documents.items():
        path = folder / name
        atomic_write(path, text.encode("utf-8"))
        written.append(path)
    return written


# ------------------------------------------------------------ time to event
def _survival_audit_payload(result: SurvivalInterimResult) -> dict[str, Any]:
    decisions = [
        {
            "cohort": c.cohort,
            "decision": c.decision,
            "enrolled": c.enrolled,
            "events": c.events,
            "exposure_months": c.exposure_months,
            "in_follow_up": c.in_follow_up,
            "prob_better": c.prob_better,
            "pp_now": c.pp_now,
            "pp_max": c.pp_max,
            "reason": c.reason,
        }
        for c in result.calls
    ]
    return _audit_record(
        result, result.name, decisions, seed=result.provenance.seed,
        imputations=result.provenance.details["imputations"],
    )  # fmt: skip


def _survival_header(result: SurvivalInterimResult) -> tuple[str, ...]:
    return _header_lines(result.title or result.name, result, None)


def _survival_closed_report(result: SurvivalInterimResult) -> str:
    from .. import figures  # matplotlib only when a report is written

    detail = Summary("Data and provenance", header=_survival_header(result))
    parts = ["<h3>Figures by cohort</h3>"]
    for design, call in zip(result.designs, result.calls, strict=True):
        drawing = figures.svg(figures.survival_figure(design, call))
        caption = (
            f"Cohort {call.cohort}: the exact posterior of S({design.landmark:g} months) from the "
            f"cohort's events and follow-up (shaded: above the goal {design.rule.goal:g})."
        )
        parts.append(_figure_block(drawing, caption))
    sections = [result.summary().as_html(), "\n".join(parts), detail.as_html()]
    return _closed_page(result.title or result.name, sections)


def _survival_open_summary(result: SurvivalInterimResult) -> Summary:
    """Accrual and follow-up by cohort, without outcomes or decisions."""
    status = [(c.cohort, c.enrolled, c.enrolled - c.in_follow_up, c.in_follow_up)
              for c in result.calls]  # fmt: skip
    return _open_summary(result, status, _survival_header(result), "follow-up complete")


# ------------------------------------------------------------ several endpoints
def _endpoint_audit_payload(result: EndpointInterimResult) -> dict[str, Any]:
    decisions = [
        {
            "cohort": c.cohort,
            "decision": c.decision,
            "n_evaluable": c.n_evaluable,
            "categories": dict(c.categories),
            "pending": c.pending,
            "reason": c.reason,
        }
        for c in result.calls
    ]
    return _audit_record(result, result.name, decisions)


def _endpoint_header(result: EndpointInterimResult) -> tuple[str, ...]:
    analysis = "hierarchical" if result.provenance.details["analysis"] == "hierarchical" else ""
    return _header_lines(result.title or result.name, result, analysis or None)


def _endpoint_closed_report(result: EndpointInterimResult) -> str:
    from .. import figures  # matplotlib only when a report is written

    detail = Summary("Data and provenance", header=_endpoint_header(result))
    borrowed = result.provenance.details["analysis"] == "hierarchical"
    parts = ["<h3>Figures by cohort</h3>"]
    for design, call in zip(result.designs, result.calls, strict=True):
        drawing = figures.svg(figures.endpoint_figure(design, call, borrowed))
        caption = (
            f"Cohort {call.cohort}: each endpoint's posterior from the cohort's own data "
            "(shaded: the rate better than its threshold), and the probability that decides "
            "against the cut-off."
        )
        parts.append(_figure_block(drawing, caption))
    sections = [result.summary().as_html(), "\n".join(parts), detail.as_html()]
    return _closed_page(result.title or result.name, sections)


def _endpoint_open_summary(result: EndpointInterimResult) -> Summary:
    """Accrual and completeness by cohort, without outcomes or decisions."""
    status = [(c.cohort, c.enrolled, c.n_evaluable, c.pending) for c in result.calls]
    return _open_summary(result, status, _endpoint_header(result), "outcome known")
