"""Endpoints page: a design on several endpoints of one outcome (ORR with DCR, efficacy with
toxicity): its rule, stopping bounds and exact OC; lambda and gamma edited or calibrated;
the protocol report. A thin layer: every number comes from the resolved design."""

from __future__ import annotations

import copy
from dataclasses import replace
from pathlib import Path
from typing import Any

from htmltools import tags
from shiny import module, reactive, render, req, ui

from ..errors import InputError
from ..spec import design_from_document
from ..spec.reading import read_document
from .common import (
    ACCEPTED,
    design_heading,
    error_box,
    example_files,
    report_bytes,
    report_controls,
    report_suffix,
    table_html,
)

__all__ = ["endpoint_designs", "endpoints_server", "endpoints_ui"]

_UPLOAD = "__upload__"


def endpoint_designs() -> dict[str, Path]:
    """Shipped design files with an outcome section (several endpoints)."""
    out = {}
    for name, path in example_files("designs").items():
        document, _ = read_document(path, "design file")
        if "outcome" in document:
            out[name] = path
    return out


@module.ui
def endpoints_ui() -> Any:
    files = endpoint_designs()
    shipped = {name: f"Shipped: {name}" for name in files}
    first: dict[str, Any] = {}
    if files:
        first = read_document(next(iter(files.values())), "design file")[0].get("rule", {})
    return ui.layout_sidebar(
        ui.sidebar(
            ui.p("A design on several endpoints of one outcome per patient (BOP2: ORR with "
                 "DCR, efficacy with toxicity): its stopping bounds and exact operating "
                 "characteristics at its null and alternative scenarios."),
            ui.input_select("start", "Design", {**shipped, _UPLOAD: "a design file of my own"}),
            ui.panel_conditional(
                f"input.start === '{_UPLOAD}'",
                ui.input_file("upload", "Design file (.yaml, .toml)", accept=ACCEPTED["design"]),
            ),
            ui.layout_columns(
                ui.input_numeric("lam", "lambda", first.get("lambda", 0.9), min=0.01, max=0.999,
                                 step=0.01),
                ui.input_numeric("gamma", "gamma", first.get("gamma", 1.0), min=0.01, max=10,
                                 step=0.05),
            ),
            ui.input_task_button("calibrate", "Calibrate lambda and gamma",
                                 label_busy="Calibrating..."),
            ui.output_ui("calibration"),
            ui.hr(),
            report_controls(),
            width=340,
            id="sidebar",
        ),
        ui.output_ui("heading"),
        ui.output_ui("problem"),
        ui.output_ui("results"),
    )  # fmt: skip


@module.server
def endpoints_server(input: Any, output: Any, session: Any) -> None:
    """The page's logic."""
    base: reactive.Value[dict[str, Any] | None] = reactive.value(None)
    origin = reactive.value("")
    calibrated: reactive.Value[dict[str, Any] | None] = reactive.value(None)

    @reactive.effect
    @reactive.event(input.start, input.upload)
    def _load() -> None:
        choice = input.start()
        try:
            if choice == _UPLOAD:
                files = input.upload()
                if not files:
                    base.set(None)
                    return
                document, _ = read_document(Path(files[0]["datapath"]), "design file")
                origin.set(str(files[0]["name"]))
            else:
                document, _ = read_document(endpoint_designs()[choice], "design file")
                origin.set(choice)
        except InputError as error:
            ui.notification_show(str(error), type="error", duration=8)
            return
        base.set(document)
        calibrated.set(None)
        rule = document.get("rule", {})
        ui.update_numeric("lam", value=rule.get("lambda"))
        ui.update_numeric("gamma", value=rule.get("gamma"))

    @reactive.calc
    def current() -> dict[str, Any]:
        document = base()
        req(document is not None)
        assert document is not None
        document = copy.deepcopy(document)
        rule = dict(document.get("rule", {}))
        for key, value in (("lambda", input.lam()), ("gamma", input.gamma())):
            if value is not None:
                rule[key] = value
        document["rule"] = rule
        try:
            resolved = design_from_document(document, source="design")
            if not resolved.is_multi_endpoint:
                raise InputError(
                    "outcome",
                    "this page shows designs with several endpoints (an outcome section); "
                    "open designs with one endpoint on the Design page",
                )
            return {"resolved": resolved, "evaluation": resolved.evaluate_endpoints()}
        except InputError as error:
            return {"error": error}

    @render.ui
    def heading() -> Any:
        state = current()
        if "resolved" not in state:
            return None
        resolved = state["resolved"]
        return design_heading(
            resolved.title or resolved.name, resolved.design_hash(), "design",
            f"from {origin()}",
        )  # fmt: skip

    @render.ui
    def problem() -> Any:
        state = current()
        return error_box(state["error"]) if "error" in state else None

    @render.ui
    def results() -> Any:
        state = current()
        if "evaluation" not in state:
            return None
        evaluation = state["evaluation"]
        summary = evaluation.summary()
        oc = evaluation.oc
        key = "; ".join(
            f"{label}: P(GO) {p:.4f}, E[N] {en:.1f}"
            for label, p, en in zip(oc.labels, oc.p_go, oc.en, strict=True)
        )
        return tags.div(
            tags.p("Exact (no Monte Carlo error). " + key, class_="ap-key"),
            tags.p(evaluation.design.rule.describe(), class_="small"),
            tags.h3("Stopping bounds", class_="h5"),
            table_html(replace(summary.tables[0], title="")),
            tags.h3("Exact operating characteristics", class_="h5"),
            table_html(replace(summary.tables[1], title="")),
            *(tags.p(line, class_="small text-muted") for line in summary.notes),
            class_="ap-endpoints",
        )

    @reactive.extended_task
    async def _search(document: dict[str, Any]) -> dict[str, Any]:
        try:
            result = design_from_document(document, source="design").calibrate()
        except InputError as error:
            return {"error": error}
        return {"result": result}

    @reactive.effect
    @reactive.event(input.calibrate)
    def _calibrate() -> None:
        document = base()
        if document is None:
            return
        _search(copy.deepcopy(document))

    @reactive.effect
    def _calibrated() -> None:
        outcome = _search.result()
        calibrated.set(outcome)
        result = outcome.get("result")
        if result is not None and result.design is not None:
            ui.update_numeric("lam", value=result.design.rule.lam)
            ui.update_numeric("gamma", value=result.design.rule.gamma)

    @render.ui
    def calibration() -> Any:
        outcome = calibrated()
        if outcome is None:
            return None
        if "error" in outcome:
            return error_box(outcome["error"])
        result = outcome["result"]
        if result.design is None:
            return tags.p("No design in the grids meets the targets.", class_="small")
        best = result.feasible.iloc[0]
        return tags.p(
            f"Calibrated: lambda {result.design.rule.lam:g}, gamma {result.design.rule.gamma:g}"
            f" (type I error {best['alpha']:.4f}, power {best['power']:.4f}; "
            f"{len(result.table):,} designs evaluated exactly).",
            class_="small ap-calibrated",
        )

    @render.download_button(
        filename=lambda: f"endpoints_report.{report_suffix(input.report_format())}"
    )
    def report() -> Any:
        from ..reports import report as build_report

        yield report_bytes(build_report(current()["resolved"]), input.report_format())
