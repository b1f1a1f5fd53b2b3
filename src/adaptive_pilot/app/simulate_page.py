"""Simulate page: the Design page's multi-cohort trial under a scenario file, with progress."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from htmltools import tags
from shiny import module, reactive, render, ui

from ..errors import InputError
from ..spec import load_scenarios
from .common import (
    ACCEPTED,
    TaskProgress,
    current_result,
    design_heading,
    enable_downloads,
    error_box,
    example_files,
    monte_carlo_line,
    progress_status,
    register_result_downloads,
    report_bytes,
    report_controls,
    report_suffix,
    table_html,
    take_task_result,
)

__all__ = ["simulate_server", "simulate_ui"]

MAX_APP_TRIALS = 200_000


@module.ui
def simulate_ui() -> Any:
    shipped = {name: f"Shipped: {name}" for name in example_files("simulations")}
    return ui.layout_sidebar(
        ui.sidebar(
            ui.p("Simulates the trial of the Design page (its cohorts, accrual and borrowing)."),
            ui.input_select("scenarios", "Scenario file", shipped),
            ui.input_file(
                "upload", "or open a scenario file (.yaml, .toml)", accept=ACCEPTED["scenarios"]
            ),
            ui.input_numeric(
                "n_trials", "Simulated trials per scenario", 2000, min=1, max=MAX_APP_TRIALS
            ),
            ui.input_numeric("seed", "Seed", 1, min=0, step=1),
            ui.input_task_button("run", "Run the simulation", label_busy="Simulating..."),
            ui.hr(),
            ui.download_button("results_csv", "Results (CSV)"),
            ui.download_button("results_json", "Results (JSON)"),
            report_controls(),
            width=340,
            id="sidebar",
        ),
        ui.output_ui("design_line"),
        ui.output_ui("status"),
        ui.output_ui("results"),
    )  # fmt: skip


@module.server
def simulate_server(input: Any, output: Any, session: Any, design: Any) -> None:
    """``design``: the Design page's current design (a reactive calc)."""
    progress: reactive.Value[TaskProgress | None] = reactive.value(None)
    outcome: reactive.Value[dict[str, Any] | None] = reactive.value(None)

    @ui.bind_task_button(button_id="run")
    @reactive.extended_task
    async def task(
        trial: Any, scenarios: list[Any], n: int, seed: int, tracker: TaskProgress
    ) -> Any:
        from ..simulation import simulate

        return await asyncio.to_thread(simulate, trial, scenarios, n, seed, progress=tracker)

    @render.ui
    def design_line() -> Any:
        state = design()
        if "resolved" not in state:
            return None
        resolved = state["resolved"]
        try:
            trial = resolved.trial()
        except InputError as error:
            return error_box(error)
        analysis = trial.analysis_label
        cohorts = f"{len(trial.cohorts)} cohorts ({', '.join(trial.cohort_names)})"
        title = resolved.title or resolved.name
        return design_heading(
            title, trial.design_hash(), "simulate", f"{cohorts}; analysis: {analysis}"
        )

    @reactive.effect
    @reactive.event(input.run)
    def _run() -> None:
        state = design()
        try:
            if "resolved" not in state:
                raise state.get("error") or InputError("design", "is being updated; try again")
            resolved = state["resolved"]
            trial = resolved.trial()
            path, name = _scenario_file(input)
            scenarios = load_scenarios(path, trial)
            n, seed = input.n_trials(), input.seed()
            if n is None or not 1 <= n <= MAX_APP_TRIALS:
                raise InputError("trials", f"must be a whole number from 1 to {MAX_APP_TRIALS:,}")
            if seed is None or seed < 0:
                raise InputError("seed", "must be a whole number >= 0")
        except InputError as error:
            outcome.set({"error": _renamed(error, input)})
            return
        tracker = TaskProgress(int(n) * 1)
        progress.set(tracker)
        outcome.set({"pending": True, "resolved": resolved, "source": name})
        task.invoke(trial, scenarios, int(n), int(seed), tracker)

    @reactive.effect
    def _finished() -> None:
        take_task_result(task, outcome)

    @render.ui
    def status() -> Any:
        return progress_status(outcome(), progress(), "simulate-progress")

    @render.ui
    def results() -> Any:
        state = outcome()
        if not state or "result" not in state:
            return None
        result = state["result"]
        summary = result.summary()
        parts: list[Any] = [
            tags.h2(summary.title, class_="h4"),
            *(tags.p(h) for h in summary.header),
        ]
        for table in summary.tables:
            parts.append(ui.card(ui.card_header(table.title), table_html(_untitled(table))))
        parts += [tags.p(n, class_="small") for n in summary.notes]
        parts.append(monte_carlo_line(result))
        return tags.div(*parts, class_="ap-simulation")

    @reactive.effect
    async def _after_run() -> None:
        """Downloads only once there is a result; on a phone the results come out from
        under the sidebar."""
        state = outcome()
        done = bool(state and "result" in state)
        reason = None if done else "Available after the simulation."
        await enable_downloads(session, ("results_csv", "results_json", "report"), reason)
        if done:
            await session.send_custom_message("ap-collapse-on-phone", {"id": session.ns("sidebar")})

    def _result() -> Any:
        return current_result(outcome())

    register_result_downloads(outcome, "simulation_results")

    @render.download_button(
        filename=lambda: f"simulation_report.{report_suffix(input.report_format())}"
    )
    def report() -> Any:
        from ..reports import design_report

        state = outcome() or {}
        result = _result()
        document = design_report(
            state["resolved"], simulation=result, scenario_source=state.get("source")
        )
        yield report_bytes(document, input.report_format())


def _scenario_file(input: Any) -> tuple[Path, str]:
    files = input.upload()
    if files:
        return Path(files[0]["datapath"]), str(files[0]["name"])
    name = input.scenarios()
    return example_files("simulations")[name], name


def _renamed(error: InputError, input: Any) -> InputError:
    files = input.upload()
    if not files:
        return error
    text = str(error).replace(str(files[0]["datapath"]), str(files[0]["name"]))
    field, _, message = text.partition(": ")
    return InputError(field, message)


def _untitled(table: Any) -> Any:
    from dataclasses import replace

    return replace(table, title="")
