"""Time to event page: a design monitoring PFS (or OS) against a goal, with its looks and
its operating characteristics simulated at the design's scenarios (with its borrowing, if
any), with progress; results and the protocol report to download. A thin layer: every
number comes from the resolved design and the simulator."""

from __future__ import annotations

import asyncio
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
    TaskProgress,
    current_result,
    design_heading,
    enable_downloads,
    error_box,
    example_files,
    figure_html,
    monte_carlo_line,
    progress_status,
    register_result_downloads,
    report_bytes,
    report_controls,
    report_suffix,
    table_html,
    take_task_result,
)

__all__ = ["survival_designs", "survival_server", "survival_ui"]

_UPLOAD = "__upload__"
#: Most simulated trials per scenario the page runs (the CLI runs more).
MAX_TRIALS = 20_000


def survival_designs() -> dict[str, Path]:
    """Shipped design files with a time_to_event section."""
    out = {}
    for name, path in example_files("designs").items():
        document, _ = read_document(path, "design file")
        if "time_to_event" in document:
            out[name] = path
    return out


@module.ui
def survival_ui() -> Any:
    shipped = {name: f"Shipped: {name}" for name in survival_designs()}
    return ui.layout_sidebar(
        ui.sidebar(
            ui.p("PFS (or OS) monitored against a performance goal, Goldilocks-style: the "
                 "rule, its interim looks and its operating characteristics, simulated at the "
                 "design's scenarios (with its borrowing between cohorts, if any)."),
            ui.input_select("start", "Design", {**shipped, _UPLOAD: "a design file of my own"}),
            ui.panel_conditional(
                f"input.start === '{_UPLOAD}'",
                ui.input_file("upload", "Design file (.yaml, .toml)", accept=ACCEPTED["design"]),
            ),
            ui.input_numeric("n_trials", "Simulated trials per scenario", 200, min=10,
                             max=MAX_TRIALS),
            ui.input_numeric("imputations", "Imputations per predictive probability", 200,
                             min=10, max=5000),
            ui.input_numeric("seed", "Seed", 1, min=0, step=1),
            ui.input_task_button("run", "Simulate", label_busy="Simulating..."),
            ui.hr(),
            ui.download_button("results_csv", "Results (CSV)"),
            ui.download_button("results_json", "Results (JSON)"),
            report_controls(),
            width=340,
            id="sidebar",
        ),
        ui.output_ui("heading"),
        ui.output_ui("problem"),
        ui.output_ui("design"),
        ui.output_ui("status"),
        ui.output_ui("results"),
    )  # fmt: skip


@module.server
def survival_server(input: Any, output: Any, session: Any) -> None:
    """The page's logic."""
    loaded: reactive.Value[dict[str, Any] | None] = reactive.value(None)
    progress: reactive.Value[TaskProgress | None] = reactive.value(None)
    outcome: reactive.Value[dict[str, Any] | None] = reactive.value(None)

    @reactive.effect
    @reactive.event(input.start, input.upload)
    def _load() -> None:
        choice = input.start()
        outcome.set(None)
        try:
            if choice == _UPLOAD:
                files = input.upload()
                if not files:
                    loaded.set(None)
                    return
                document, _ = read_document(Path(files[0]["datapath"]), "design file")
                origin = str(files[0]["name"])
            else:
                document, _ = read_document(survival_designs()[choice], "design file")
                origin = choice
            resolved = design_from_document(document, source=origin)
            if not resolved.is_time_to_event:
                raise InputError(
                    "time_to_event",
                    "this page shows designs with a time_to_event section; open designs on "
                    "response on the Design or Endpoints page",
                )
            loaded.set({"resolved": resolved, "origin": origin})
        except InputError as error:
            loaded.set({"error": error})

    def _resolved() -> Any:
        state = loaded()
        req(state is not None and "resolved" in state)
        assert state is not None
        return state["resolved"]

    @render.ui
    def heading() -> Any:
        state = loaded()
        if not state or "resolved" not in state:
            return None
        resolved = state["resolved"]
        names = ", ".join(name for name, _ in resolved.survival_cohorts)
        return design_heading(
            resolved.title or resolved.name, resolved.design_hash(), "simulate",
            f"from {state['origin']}", f"cohorts: {names}",
        )  # fmt: skip

    @render.ui
    def problem() -> Any:
        state = loaded()
        return error_box(state["error"]) if state and "error" in state else None

    @render.ui
    def design() -> Any:
        summary = _resolved().survival_summary().summary()
        return tags.div(
            *(tags.p(line, class_="small") for line in summary.header),
            table_html(summary.tables[0]),
            *(tags.p(line, class_="small text-muted") for line in summary.notes),
            class_="ap-survival-design",
        )

    @ui.bind_task_button(button_id="run")
    @reactive.extended_task
    async def task(resolved: Any, n: int, seed: int, imputations: int, tracker: Any) -> Any:
        def run() -> Any:
            from ..simulation.survival_monitoring import simulate_survival_monitoring

            cohorts, accrual = resolved.survival_trial()
            return simulate_survival_monitoring(
                cohorts, accrual, resolved.survival_scenarios(), n, seed,
                imputations=imputations, borrowing=resolved.survival_borrowing(),
                design_hash=resolved.design_hash(), progress=tracker,
            )  # fmt: skip

        return await asyncio.to_thread(run)

    @reactive.effect
    @reactive.event(input.run)
    def _run() -> None:
        try:
            state = loaded()
            if not state or "resolved" not in state:
                raise (state or {}).get("error") or InputError("design", "choose a design first")
            resolved = state["resolved"]
            resolved.survival_trial()  # an accrual section is needed: say so before running
            n, seed, imputations = input.n_trials(), input.seed(), input.imputations()
            if n is None or not 10 <= n <= MAX_TRIALS:
                raise InputError("trials", f"must be a whole number from 10 to {MAX_TRIALS:,}")
            if imputations is None or not 10 <= imputations <= 5000:
                raise InputError("imputations", "must be a whole number from 10 to 5,000")
            if seed is None or seed < 0:
                raise InputError("seed", "must be a whole number >= 0")
        except InputError as error:
            outcome.set({"error": error})
            return
        tracker = TaskProgress(int(n))  # told the trials of each chunk, every scenario at once
        progress.set(tracker)
        outcome.set({"pending": True, "resolved": resolved})
        task.invoke(resolved, int(n), int(seed), int(imputations), tracker)

    @reactive.effect
    def _finished() -> None:
        take_task_result(task, outcome)

    @render.ui
    def status() -> Any:
        return progress_status(outcome(), progress(), "survival-progress")

    @render.ui
    def results() -> Any:
        state = outcome()
        if not state or "result" not in state:
            return None
        from ..figures import svg
        from ..reports.survival_report import scenario_figures

        result = state["result"]
        summary = result.summary()
        parts: list[Any] = [tags.h2(summary.title, class_="h4")]
        parts += [tags.p(line, class_="small") for line in summary.header]
        figures = scenario_figures(state["resolved"], result)
        for table, figure in zip(summary.tables, figures, strict=True):
            parts.append(
                ui.card(
                    ui.card_header(table.title),
                    table_html(replace(table, title="")),
                    figure_html(svg(figure.figure), figure.caption),
                )
            )
        parts.append(monte_carlo_line(result))
        return tags.div(*parts, class_="ap-survival")

    @reactive.effect
    async def _after_run() -> None:
        state = outcome()
        done = bool(state and "result" in state)
        reason = None if done else "Available after the simulation."
        await enable_downloads(session, ("results_csv", "results_json", "report"), reason)

    def _result() -> Any:
        return current_result(outcome())

    register_result_downloads(outcome, "survival_results")

    @render.download_button(
        filename=lambda: f"survival_report.{report_suffix(input.report_format())}"
    )
    def report() -> Any:
        from ..reports.survival_report import survival_report

        resolved = (outcome() or {})["resolved"]
        document = survival_report(resolved, _result(), resolved.survival_borrowing())
        yield report_bytes(document, input.report_format())
