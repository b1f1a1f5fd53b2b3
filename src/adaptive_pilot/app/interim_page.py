"""Interim page: patient data in, one decision card per cohort, closed and open reports out."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from htmltools import tags
from shiny import module, reactive, render, ui

from .. import figures
from ..errors import InputError
from ..interim.decide import DECISION_LABELS, counted, plain_reason
from ..interim.endpoints import EndpointInterimResult, plain_words
from ..interim.survival_call import SurvivalInterimResult
from .common import (
    ACCEPTED,
    design_heading,
    enable_downloads,
    error_box,
    example_files,
    figure_html,
    provenance_line,
    table_html,
)

__all__ = ["interim_server", "interim_ui"]

_ADAM = ("adsl", "adrs", "adae", "adtte")
EXAMPLE_PATIENTS = "motivating_trial_synthetic_patients.csv"
EXAMPLE_CUT_OFF = "2026-06-30"


_UPLOAD = "upload:"


def _plans() -> dict[str, str]:
    choices = {name: name for name in example_files("designs")}
    return choices | {_UPLOAD: "a plan file of my own (upload)"}


@module.ui
def interim_ui() -> Any:
    return ui.layout_sidebar(
        ui.sidebar(
            ui.p("Decides every cohort of the analysis plan (a design file, named by its "
                 "SHA-256) from patient data. The data stay in this browser session and on "
                 "this machine."),
            ui.input_select("plan", "Analysis plan", _plans(), selected="motivating_trial.yaml"),
            ui.panel_conditional(
                f"input.plan === '{_UPLOAD}'",
                ui.input_file("plan_file", "Plan file (.yaml, .toml)", accept=ACCEPTED["design"]),
            ),
            ui.input_action_link("from_design", "or use the Design page's design as the plan…"),
            ui.output_ui("handover"),
            ui.input_radio_buttons("kind", "Patient data",
                                   {"minimal": "One row per patient (CSV or XLSX)",
                                    "adam": "CDISC ADaM (ADSL + ADRS, optional ADAE, ADTTE)"}),
            ui.panel_conditional(
                "input.kind === 'minimal'",
                ui.input_file("data", "Patient file", accept=ACCEPTED["patients"]),
                ui.output_ui("example_link"),
                ui.output_ui("example_note"),
            ),
            ui.panel_conditional(
                "input.kind === 'adam'",
                *(ui.input_file(name, name.upper(), accept=ACCEPTED["adam"]) for name in _ADAM),
                ui.input_text("cohort_var", "ADSL variable holding the cohort", "COHORT"),
            ),
            ui.input_date("as_of", "Data cut-off", value=dt.datetime.now(dt.UTC).date()),
            ui.input_text("analyst", "Analyst", placeholder="who makes the call"),
            ui.input_action_button("run", "Make the interim call", class_="btn-primary"),
            ui.output_ui("audit_note"),
            ui.hr(),
            ui.download_button("closed", "Closed report (DSMB only)"),
            ui.download_button("open", "Open report"),
            width=360,
            id="sidebar",
        ),
        ui.output_ui("design_line"),
        ui.output_ui("problem"),
        ui.output_ui("cards"),
    )  # fmt: skip


@module.server
def interim_server(
    input: Any, output: Any, session: Any, design: Any, audit: str | None, recorded: Any
) -> None:
    """``design``: the Design page's design; ``recorded``: bumped after each audited call."""
    outcome: reactive.Value[dict[str, Any] | None] = reactive.value(None)
    example = reactive.value(False)
    #: this session's cohort figures by content (plan hash and the call's numbers): the
    #: same call is not drawn again; kept in the session, like its data
    drawings = figures.SvgCache(size=32)
    folder = Path(tempfile.mkdtemp(prefix="adaptive-pilot-plans-"))
    session.on_ended(lambda: shutil.rmtree(folder, ignore_errors=True))
    #: the Design page's design offered as the plan (shown, not yet used), and once confirmed
    offered: reactive.Value[dict[str, Any] | None] = reactive.value(None)
    handed: reactive.Value[dict[str, Any] | None] = reactive.value(None)

    @reactive.effect
    @reactive.event(input.plan, input.plan_file)
    def _plan_chosen() -> None:
        handed.set(None)  # a plan chosen here replaces one handed over
        offered.set(None)

    @reactive.calc
    def plan() -> dict[str, Any]:
        """The analysis plan: a file, its name as the user knows it, and where it came from."""
        if handed() is not None:
            return handed()  # type: ignore[return-value]
        choice = input.plan()
        if choice == _UPLOAD:
            files = input.plan_file()
            if not files:
                return {"error": InputError("plan file", "choose the plan file first")}
            source = Path(files[0]["datapath"])
            copy = folder / f"uploaded-plan{source.suffix.lower()}"
            shutil.copyfile(source, copy)
            return _plan_state(copy, str(files[0]["name"]), None)
        return _plan_state(example_files("designs")[choice], choice, None)

    @reactive.effect
    @reactive.event(input.from_design)
    def _offer() -> None:
        state = design()
        if "resolved" not in state:
            offered.set({"error": state.get("error") or InputError("design", "is not ready")})
            return
        text = _plan_text(state)
        digest = state["resolved"].design_hash()
        path = folder / f"design-page-{digest}.yaml"
        path.write_text(text)
        changes = _differences(state["base"], state["document"])
        origin = f"the Design page's design {path.name}, opened from {state['origin']}" + (
            f" and edited ({'; '.join(changes)})" if changes else " (unchanged)"
        )
        offered.set(
            {**_plan_state(path, path.name, origin), "changes": changes,
             "base_origin": state["origin"]}
        )  # fmt: skip

    @reactive.effect
    @reactive.event(input.confirm_handover)
    def _confirm() -> None:
        state = offered()
        if state and "error" not in state:
            handed.set(state)
            offered.set(None)

    @render.ui
    def handover() -> Any:
        state = offered()
        if state is None:
            return None
        if "error" in state:
            return error_box(state["error"])
        changes = state["changes"]
        return tags.div(
            tags.p(tags.strong("Use the Design page's design as the analysis plan?")),
            tags.p(
                f"File {state['name']}, SHA-256 {state['sha256'][:16]}…, design hash "
                f"{state['hash']}.",
                class_="small",
            ),
            tags.p(
                f"Opened from {state['base_origin']}; "
                + ("changed there: " + "; ".join(changes) if changes else "not changed")
                + ". The call's record will say so.",
                class_="small ap-changes",
            ),
            ui.input_action_button(
                "confirm_handover",
                "Use it as the analysis plan",
                class_="btn-outline-primary btn-sm",
            ),
            class_="border rounded p-2 mb-2 ap-handover",
        )

    @reactive.effect
    @reactive.event(input.example)
    def _use_example() -> None:
        example.set(True)
        ui.update_date("as_of", value=EXAMPLE_CUT_OFF)

    @reactive.effect
    @reactive.event(input.data)
    def _uploaded() -> None:
        example.set(False)

    @render.ui
    def example_link() -> Any:
        """The shipped example patients, offered only for a plan that has their cohorts."""
        state = plan()
        if "error" in state or not _example_cohorts() <= set(state["cohorts"]):
            return None
        return ui.input_action_link(
            "example", "or use the shipped example: synthetic patients of the motivating trial"
        )

    @render.ui
    def example_note() -> Any:
        if not example():
            return None
        return tags.p(f"Using {EXAMPLE_PATIENTS} (cut-off set to {EXAMPLE_CUT_OFF}).",
                      class_="small text-success")  # fmt: skip

    @render.ui
    def design_line() -> Any:
        state = plan()
        if "error" in state:
            return error_box(state["error"])
        detail = f"analysis plan {state['name']}, SHA-256 {state['sha256'][:16]}…"
        if state["origin"]:
            detail += " (from the Design page)"
        return design_heading(state["title"], state["hash"], "interim", detail)

    @render.ui
    def audit_note() -> Any:
        if audit is None:
            return tags.p("Calls are not recorded: start the app with --audit FILE to keep an "
                          "audit trail.", class_="small text-muted")  # fmt: skip
        return tags.p(f"Each call is appended to the audit database {Path(audit).name}.",
                      class_="small text-muted")  # fmt: skip

    @reactive.effect
    @reactive.event(input.run)
    def _run() -> None:
        from ..dsmb.run import run_interim

        state = plan()
        names: dict[str, str] = {}
        try:
            if "error" in state:
                raise state["error"]
            names[str(state["path"])] = state["name"]
            with (
                tempfile.TemporaryDirectory(prefix="adaptive-pilot-interim-") as folder,
                ui.Progress(min=0, max=1) as progress,
            ):
                progress.set(message="Reading the data and deciding every cohort")
                files = _files(input, names, example(), Path(folder))
                result = run_interim(
                    str(state["path"]),
                    plan_origin=state["origin"],
                    as_of=input.as_of(),
                    analyst=(input.analyst() or "").strip() or None,
                    audit=audit,
                    names=names,
                    cohort_var=(input.cohort_var() or "COHORT").strip() or "COHORT",
                    **files,
                )
        except InputError as error:
            outcome.set({"error": error, "names": names})
            return
        outcome.set({"result": result})
        if audit is not None:
            recorded.set(recorded() + 1)

    @render.ui
    def problem() -> Any:
        state = outcome()
        if not state or "error" not in state:
            return None
        return error_box(_renamed(state["error"], state["names"]))

    @reactive.effect
    async def _after_call() -> None:
        """Reports only once there is a call; on a phone the cards come out from under
        the sidebar."""
        state = outcome()
        done = bool(state and "result" in state)
        reason = None if done else "Available after the interim call."
        await enable_downloads(session, ("closed", "open"), reason)
        if state is not None:
            await session.send_custom_message("ap-collapse-on-phone", {"id": session.ns("sidebar")})

    @render.ui
    def cards() -> Any:
        state = outcome()
        if not state or "result" not in state:
            return None
        result = state["result"]
        if isinstance(result, EndpointInterimResult):
            return _endpoint_cards(result)
        if isinstance(result, SurvivalInterimResult):
            return _survival_cards(result)
        plan_hash = result.provenance.design_hash
        cards = [
            _card(plan, call, drawings.get("cohort", _drawing(plan, call), plan_hash, call))
            for plan, call in zip(result.plan.cohorts, result.calls, strict=True)
        ]
        return tags.div(*_call_header(result), *cards, class_="ap-interim")

    def _result() -> Any:
        state = outcome()
        if not state or "result" not in state:
            raise InputError("interim", "make the interim call first")
        return state["result"]

    @render.download_button(filename=lambda: f"closed_report_{_result().as_of.isoformat()}.html")
    def closed() -> Any:
        from ..reports.interim import closed_report

        yield closed_report(_result())

    @render.download_button(filename=lambda: f"open_report_{_result().as_of.isoformat()}.html")
    def open() -> Any:
        from ..reports.interim import open_report

        yield open_report(_result())


def _drawing(plan: Any, call: Any) -> Any:
    return lambda: figures.cohort_figure(plan, call)


def _card(plan: Any, call: Any, drawing: str) -> Any:
    """One cohort: the decision in words, why (plain, then notation), counts, toxicity, figure."""
    lines = [
        tags.p(plain_reason(plan, call), class_="ap-plain"),
        tags.p("In the design's terms: " + call.reason, class_="small text-muted ap-reason"),
        tags.p(
            f"{counted(call.counts.responses, 'response')} in "
            f"{counted(call.counts.n_evaluable, 'evaluable patient')} "
            f"({call.counts.enrolled} enrolled, {call.counts.pending} pending); "
            f"P(p > p0 | data) = {_probability(call.prob_gt_p0)}",
            class_="small",
        ),
    ]
    if plan.toxicity is not None:
        lines.append(tags.p(_toxicity_line(plan, call), class_="small ap-toxicity"))
    if call.conflict is not None:
        alarm = " text-danger fw-semibold" if call.conflict.conflict else ""
        lines.append(tags.p(call.conflict.sentence(), class_=f"small ap-conflict{alarm}"))
    label = (
        f"Cohort {call.cohort}: posterior of the response rate, how the cohort can end, "
        "and where it stands against the stopping boundaries "
        f"({counted(call.responses, 'response')} in {call.n_evaluable})"
    )
    return ui.card(
        _card_header(call.cohort, call.decision),
        *lines,
        figure_html(drawing, label),
        class_="ap-cohort",
        data_cohort=call.cohort,
    )


def _card_header(cohort: str, decision: str) -> Any:
    """A cohort card's heading: its name and the decision as a badge."""
    return ui.card_header(
        tags.h3(f"Cohort {cohort}", class_="h6 d-inline me-2"),
        tags.span(
            DECISION_LABELS.get(decision, decision),
            class_=f"badge {_badge(decision)} ap-decision",
            data_decision=decision,
        ),
    )


def _call_header(result: Any, *extra: Any) -> list[Any]:
    """Above the cards: the cut-off, ``extra`` lines, the notes, the provenance line and the
    summary's own table of decisions (the same words), under this page's heading."""
    header: list[Any] = [
        tags.h2(f"Interim call at the data cut-off {result.as_of.isoformat()}", class_="h4"),
        *extra,
    ]
    header += [tags.p(note, class_="small") for note in result.notes]
    audit_line = f"audit record #{result.audit.get('id')}" if result.audit else ""
    header.append(provenance_line(result.provenance.design_hash, audit_line))
    overview = replace(result.summary().tables[0], title="")
    header.append(
        tags.section(
            tags.h3("All cohorts", class_="h5"), table_html(overview), class_="ap-overview mb-3"
        )
    )
    return header


def _endpoint_cards(result: EndpointInterimResult) -> Any:
    """A design on several endpoints: per cohort, each endpoint's posterior and the rule."""
    rule = tags.p("Rule: " + result.designs[0].rule.describe(), class_="small")
    header = _call_header(result, rule)
    tables = result.summary().tables
    frame = tables[1].frame
    cards = []
    borrowed = result.provenance.details["analysis"] == "hierarchical"
    for design, call in zip(result.designs, result.calls, strict=True):
        rows = frame[frame["cohort"] == call.cohort].drop(columns=["cohort"])
        counts = ", ".join(f"{name} {k}" for name, k in call.categories.items())
        cards.append(
            ui.card(
                _card_header(call.cohort, call.decision),
                tags.p(plain_words(call), class_="ap-plain"),
                tags.p(
                    "In the design's terms: " + call.reason, class_="small text-muted ap-reason"
                ),
                tags.p(
                    f"{counted(call.n_evaluable, 'evaluable patient')} ({call.enrolled} "
                    f"enrolled, {call.pending} pending): {counts}",
                    class_="small",
                ),
                table_html(replace(tables[1], frame=rows.reset_index(drop=True), title="")),
                figure_html(
                    figures.svg(figures.endpoint_figure(design, call, borrowed)),
                    f"Cohort {call.cohort}: each endpoint's posterior against its threshold",
                ),
                class_="ap-cohort",
                data_cohort=call.cohort,
            )
        )
    return tags.div(*header, *cards, class_="ap-interim")


def _survival_cards(result: SurvivalInterimResult) -> Any:
    """A time-to-event design: per cohort, the posterior of S(landmark) and the look's rule."""
    design = result.designs[0]
    rule = tags.p("Rule: " + design.describe(), class_="small")
    header = _call_header(result, rule)
    numbers = result.summary().tables[1]
    frame = numbers.frame
    cards = []
    for design, call in zip(result.designs, result.calls, strict=True):
        shown = frame.drop(columns=["cohort", "events", "exposure_months"])  # in the line above
        rows = shown[frame["cohort"] == call.cohort]
        cards.append(
            ui.card(
                _card_header(call.cohort, call.decision),
                tags.p(call.reason[:1].upper() + call.reason[1:] + ".", class_="ap-plain"),
                tags.p(
                    f"{counted(call.enrolled, 'patient')} enrolled, "
                    f"{counted(call.events, 'event')} within {design.landmark:g} months over "
                    f"{call.exposure_months:.1f} months of follow-up, "
                    f"{call.in_follow_up} still in follow-up; P(S({design.landmark:g}) > "
                    f"{design.rule.goal:g} | data) = {_probability(call.prob_better)}",
                    class_="small",
                ),
                table_html(replace(numbers, frame=rows.reset_index(drop=True), title="")),
                figure_html(
                    figures.svg(figures.survival_figure(design, call)),
                    f"Cohort {call.cohort}: the posterior of S({design.landmark:g} months) "
                    "against the goal",
                ),
                class_="ap-cohort",
                data_cohort=call.cohort,
            )
        )
    return tags.div(*header, *cards, class_="ap-interim")


def _toxicity_line(plan: Any, call: Any) -> str:
    """Toxicity on the card: events, the stopping bound at this size, P(rate > limit)."""
    rule = plan.toxicity
    grade = f"CTCAE grade >= {plan.min_grade}"
    if call.n_toxicity == 0:
        return f"Toxicity ({grade}): no patient assessable yet; limit {rule.threshold:g}."
    bound = (
        f"the design stops at >= {call.toxicity_bound} of {call.n_toxicity}"
        if call.toxicity_bound is not None
        else f"no stop is possible at {call.n_toxicity}"
    )
    return (
        f"Toxicity ({grade}): {call.toxicities} of {counted(call.n_toxicity, 'patient')}; "
        f"{bound}; P(toxicity rate > {rule.threshold:g} | data) = "
        f"{_probability(call.prob_toxicity)} (stop if > {rule.probability:g})"
    )


def _probability(value: float | None) -> str:
    if value is None:
        return "not computed"
    return "< 0.001" if 0 < value < 0.0005 else f"{min(max(value, 0.0), 1.0):.3f}"


def _files(input: Any, names: dict[str, str], example: bool, folder: Path) -> dict[str, Any]:
    """The uploaded files as the library's arguments, under names of our own.

    Each upload is copied to ``folder`` as ``<role><suffix>`` (Shiny names every first
    upload ``0.csv``), so messages can say which file; ``names`` maps each copy to the
    name the file has in the user's browser, shown instead.
    """
    if example and input.kind() == "minimal":
        return {"data": str(example_files("designs", (".csv",))[EXAMPLE_PATIENTS])}
    keys = ("data",) if input.kind() == "minimal" else _ADAM
    out: dict[str, Any] = {}
    for key in keys:
        files = input[key]()
        if files:
            source = Path(files[0]["datapath"])
            copy = folder / f"{key}{source.suffix.lower()}"
            shutil.copyfile(source, copy)
            names[str(copy)] = str(files[0]["name"])
            out[key] = str(copy)
    if input.kind() == "minimal" and "data" not in out:
        raise InputError("patient file", "choose the patient file first")
    if input.kind() == "adam" and not ("adsl" in out and "adrs" in out):
        raise InputError("ADaM files", "choose at least ADSL and ADRS")
    return out


def _renamed(error: InputError, names: dict[str, str]) -> InputError:
    text = str(error)
    lines = list(getattr(error, "lines", ()))
    for path, name in names.items():
        text = text.replace(path, name).replace(Path(path).name, name)
        lines = [line.replace(path, name).replace(Path(path).name, name) for line in lines]
    field, _, message = text.partition(": ")
    renamed = InputError(field, message)
    renamed.lines = tuple(lines)  # type: ignore[attr-defined]
    return renamed


def _badge(decision: str) -> str:
    if decision in ("no_go", "stop_futility", "stop_toxicity"):
        return "text-bg-danger"
    if decision in ("go", "stop_efficacy"):
        return "text-bg-success"
    if decision == "consider":
        return "text-bg-info"
    return "text-bg-secondary"


def _plan_state(path: Path, name: str, origin: str | None) -> dict[str, Any]:
    """A plan file resolved: its path, shown name, SHA-256, design hash and title."""
    import hashlib

    from ..spec import load_design

    try:
        resolved = load_design(path)
        digest = resolved.design_hash()
    except InputError as error:
        return {"error": InputError(name, str(error).removeprefix(f"{path}: "))}
    return {
        "path": path,
        "name": name,
        "cohorts": (
            tuple(name for name, _ in resolved.endpoint_cohorts)
            if resolved.is_multi_endpoint
            else tuple(name for name, _ in resolved.survival_cohorts)
            if resolved.is_time_to_event
            else tuple(c.name for c in resolved.cohorts)
        ),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "hash": digest,
        "title": resolved.title or resolved.name,
        "origin": origin,
    }


def _example_cohorts() -> set[str]:
    """The cohorts of the shipped example patients."""
    import csv

    path = example_files("designs", (".csv",))[EXAMPLE_PATIENTS]
    with path.open(newline="") as handle:
        return {row["cohort"] for row in csv.DictReader(handle)}


def _plan_text(state: dict[str, Any]) -> str:
    """The Design page's design as the plan file's text, with its file's comments."""
    from .design_page import design_text

    head = "# The Design page's design, handed to the Interim page as the analysis plan.\n"
    text = design_text({**state, "source": None if _is_toml(state) else state.get("source")})
    return head + text


def _is_toml(state: dict[str, Any]) -> bool:
    return bool(state.get("source")) and state["source"][1] == ".toml"


def _differences(before: Any, after: Any, path: str = "") -> list[str]:
    """'key: old -> new' for every leaf that differs between two design documents."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = []
        for key in dict.fromkeys([*before, *after]):
            name = f"{path}.{key}" if path else str(key)
            out += _differences(before.get(key), after.get(key), name)
        return out
    if before == after:
        return []
    return [f"{path}: {_shown(before)} → {_shown(after)}"]


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
