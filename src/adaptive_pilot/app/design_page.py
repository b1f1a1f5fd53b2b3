"""Design page: open or build a design, see its boundaries, exact OC and figures, calibrate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from htmltools import tags
from shiny import module, reactive, render, req, ui

from .. import figures
from ..designs.calibration import criterion_words
from ..errors import InputError
from ..results import Table
from ..spec import design_from_document
from ..spec.reading import read_document
from .common import (
    ACCEPTED,
    enable_downloads,
    error_box,
    field_message,
    figure_html,
    mark_fields,
    provenance_line,
    report_bytes,
    report_controls,
    report_suffix,
    single_endpoint_designs,
    table_html,
)
from .form import (
    DUAL_CRITERIA,
    FAMILIES,
    SIMON_KINDS,
    THRESHOLDS,
    apply_form,
    family_defaults,
    form_fields,
    form_values,
    new_document,
    prior_is_beta,
)

__all__ = ["design_server", "design_ui"]

_NEW = "new:"
_FIELDS = (
    "family",
    "p0",
    "p1",
    "alpha",
    "beta",
    "prior_a",
    "prior_b",
    "n_max",
    "every",
    "threshold_1",
    "threshold_2",
    "go_text",
    "nogo_text",
    "simon_kind",
    "toxicity",
    "tox_threshold",
    "tox_probability",
)

#: the form's text fields (the criteria of a Go / Consider / No-Go rule)
_TEXT_FIELDS = tuple(form_key for _, form_key, _, _ in DUAL_CRITERIA)


def _starts() -> dict[str, str]:
    choices = {name: f"Shipped: {name}" for name in single_endpoint_designs()}
    choices |= {f"{_NEW}{key}": f"New {label} design" for key, label in FAMILIES.items()}
    return choices


_FIRST = "motivating_trial.yaml"


@module.ui
def design_ui() -> Any:
    start = form_values(_shipped_document(_FIRST))  # the form opens on the first design
    first, second = THRESHOLDS[start["family"]]

    def number(key: str, label: str, _default: float, **limits: Any) -> Any:
        return ui.input_numeric(key, label, start[key], **limits)

    return ui.layout_sidebar(
        ui.sidebar(
            ui.input_select("start", "Start from", _starts(), selected=_FIRST),
            ui.input_file(
                "upload", "or open a design file (.yaml, .toml)", accept=ACCEPTED["design"]
            ),
            ui.input_select("family", "Design family", FAMILIES, selected=start["family"]),
            ui.layout_columns(
                number("p0", "p0 (null rate)", 0.05, min=0.001, max=0.999, step=0.01),
                number("p1", "p1 (target rate)", 0.2, min=0.001, max=0.999, step=0.01),
            ),
            # fields a Simon design does not have: its alpha and beta are the search's
            # (the two threshold fields), it has no prior and its looks come from the search
            ui.panel_conditional(
                "input.family !== 'simon'",
                ui.layout_columns(
                    number("alpha", "alpha", 0.05, min=0.001, max=0.5, step=0.01),
                    number("beta", "beta", 0.2, min=0.01, max=0.5, step=0.01),
                ),
                ui.layout_columns(
                    number("prior_a", "prior a", 0.05, min=0.001, step=0.05),
                    number("prior_b", "prior b", 0.95, min=0.001, step=0.05),
                ),
            ),
            ui.layout_columns(
                number("n_max", "N (Simon: largest N searched)", 30, min=2, max=1000, step=1),
                ui.panel_conditional(
                    "input.family !== 'simon'",
                    number("every", "look every", 10, min=0, max=1000, step=1),
                ),
            ),
            ui.panel_conditional(
                "input.family !== 'dual'",
                number("threshold_1", first[1], first[2], step=0.01),
                number("threshold_2", second[1], second[2], step=0.01),
            ),
            ui.panel_conditional(
                "input.family === 'dual'",
                *(
                    ui.input_text(form_key, label, start[form_key], width="100%")
                    for _, form_key, label, _ in DUAL_CRITERIA
                ),
                ui.p(
                    "Conditions P(p > v) > c or P(p < v) > c (v a rate, LRV or TV), joined by "
                    "'and' or by 'or'. CONSIDER when neither criterion holds.",
                    class_="small text-muted",
                ),
            ),
            ui.panel_conditional(
                "input.family === 'simon'",
                ui.input_select(
                    "simon_kind", "Simon design", SIMON_KINDS, selected=start["simon_kind"]
                ),
            ),
            ui.input_checkbox("toxicity", "Toxicity co-monitoring", start["toxicity"]),
            ui.layout_columns(
                number("tox_threshold", "toxicity limit", 0.3, min=0.01, max=0.99, step=0.05),
                number(
                    "tox_probability",
                    "stop if P(tox > limit) >",
                    0.9,
                    min=0.5,
                    max=0.999,
                    step=0.01,
                ),
            ),
            ui.hr(),
            ui.download_button("design_file", "Download the design file"),
            report_controls(),
            width=360,
        ),
        ui.output_ui("header"),
        ui.output_ui("problem"),
        ui.layout_columns(
            ui.card(ui.card_header("Stopping boundaries"), ui.output_ui("boundaries")),
            ui.card(ui.card_header("Boundaries in words"), ui.output_ui("words")),
            col_widths=(7, 5),
        ),
        ui.card(ui.card_header("Exact operating characteristics"), ui.output_ui("oc")),
        ui.output_ui("map_panel"),
        ui.card(ui.card_header("Figures"), ui.output_ui("figures_panel")),
        ui.card(
            ui.card_header("Prior sensitivity"),
            ui.input_action_button(
                "sensitivity_run", "Check the prior's influence", class_="btn-secondary"
            ),
            ui.output_ui("sensitivity_panel"),
        ),
        ui.card(
            ui.card_header("Calibration"),
            ui.output_ui("criterion"),
            ui.input_action_button("calibrate", "Run the calibration", class_="btn-secondary"),
            ui.output_ui("calibration"),
        ),
    )


@module.server
def design_server(input: Any, output: Any, session: Any) -> Any:
    """The page's logic; returns the current design (a reactive calc) for the other pages."""
    base = reactive.value(_shipped_document(_FIRST))
    #: the text and suffix of the file ``base`` came from: a downloaded design keeps its comments
    source: reactive.Value[tuple[str, str] | None] = reactive.value(_shipped_source(_FIRST))
    #: where ``base`` came from, in words (the Interim page names it when handed the design)
    origin = reactive.value(_FIRST)
    pushed: reactive.Value[dict[str, Any] | None] = reactive.value(None)
    #: the family the form shows; a switch to another resets the family's own fields
    shown_family = reactive.value("")
    calibrated: reactive.Value[dict[str, Any] | None] = reactive.value(None)
    #: this session's figures by content: an unchanged design is not drawn again
    drawings = figures.SvgCache()

    @reactive.effect
    @reactive.event(input.start)
    def _start() -> None:
        choice = input.start()
        if choice.startswith(_NEW):
            base.set(new_document(choice.removeprefix(_NEW)))
            origin.set(f"a new {FAMILIES[choice.removeprefix(_NEW)]} design")
            source.set(None)
        else:
            base.set(_shipped_document(choice))
            origin.set(choice)
            source.set(_shipped_source(choice))
        calibrated.set(None)

    @reactive.effect
    @reactive.event(input.upload)
    def _upload() -> None:
        files = input.upload()
        if not files:
            return
        path = Path(files[0]["datapath"])
        try:
            document, _ = read_document(path, "design file")
        except InputError as error:
            ui.notification_show(_named(str(error), files[0]), type="error", duration=8)
            return
        base.set(document)
        origin.set(str(files[0]["name"]))
        source.set((path.read_text(encoding="utf-8"), Path(files[0]["name"]).suffix.lower()))
        calibrated.set(None)

    @reactive.effect
    def _fill_form() -> None:
        values = form_values(base())
        pushed.set(values)  # until the browser shows them, the old form must not be used
        with reactive.isolate():
            shown_family.set(values["family"])
            ui.update_select("family", selected=values["family"])
            for key in _FIELDS[1:]:
                if key == "toxicity":
                    ui.update_checkbox(key, value=values[key])
                elif key == "simon_kind":
                    ui.update_select(key, selected=values[key])
                elif key in _TEXT_FIELDS:
                    ui.update_text(key, value=values[key])
                else:
                    ui.update_numeric(key, value=values[key])
            _label_thresholds(values["family"])
            # a mixture or MAP prior is used as the file gives it: say so in the two fields
            kept = "" if prior_is_beta(base()) else " (unused: the file's prior, shown above)"
            ui.update_numeric("prior_a", label=f"prior a{kept}")
            ui.update_numeric("prior_b", label=f"prior b{kept}")

    @reactive.effect
    @reactive.event(input.family)
    def _family_switch() -> None:
        """A switch of family resets the fields whose meaning changes (BOP2's lambda
        is not Simon's alpha): to the design's own values when switching back to its
        family, to the new family's defaults otherwise."""
        family = input.family()
        with reactive.isolate():
            previous = shown_family()
            if family == previous:
                return
            shown_family.set(family)
            values = {key: input[key]() for key in _FIELDS}
            own = form_values(base())
            reset = family_defaults(family, previous)
            if own["family"] == family:  # back to the design's own family: its own values
                reset = {key: own[key] for key in (*reset, "n_max")}
            pushed.set({**values, "family": family, **reset})
            for key, value in reset.items():
                if key == "simon_kind":
                    ui.update_select(key, selected=value)
                elif key in _TEXT_FIELDS:
                    ui.update_text(key, value=value)
                else:
                    ui.update_numeric(key, value=value)
            _label_thresholds(family)

    @reactive.effect
    def _synced() -> None:
        want = pushed()
        if want is not None and _same(want, {key: input[key]() for key in _FIELDS}):
            pushed.set(None)

    @reactive.calc
    def current() -> dict[str, Any]:
        return {**_current(), "base": base(), "origin": origin(), "source": source()}

    def _current() -> dict[str, Any]:
        values = {key: input[key]() for key in _FIELDS}
        missing = [key for key, value in values.items() if value is None]
        document = base()
        want = pushed()
        if want is not None and not _same(want, values):
            return {"document": document, "waiting": True}
        if missing:
            return {"document": document, "error": InputError(missing[0], "is empty")}
        document = apply_form(document, values)
        try:
            resolved = design_from_document(document, source="design")
            evaluation = resolved.evaluate(joint=False)  # the joint OC is in the report
        except InputError as error:
            return {"document": document, "error": error}
        return {"document": document, "resolved": resolved, "evaluation": evaluation}

    @reactive.calc
    def evaluated() -> dict[str, Any]:
        """The current design when it resolved; outputs that need it show nothing otherwise."""
        state = current()
        req("evaluation" in state)
        return state

    @render.ui
    def header() -> Any:
        state = evaluated()
        hyp = state["resolved"].design
        oc = state["evaluation"].oc
        at0, at1 = oc.at(hyp.p0), oc.at(hyp.p1)
        key = (
            f"Exact: type I error P(GO | p0 = {hyp.p0:g}) = {at0['p_go']:.4f}, power "
            f"P(GO | p1 = {hyp.p1:g}) = {at1['p_go']:.4f}; E[N] {at0['en']:.1f} at p0 and "
            f"{at1['en']:.1f} at p1; PET(p0) = {at0['pet']:.3f}"
        )
        if oc.three_outcomes:
            key = (
                f"Exact: false GO P(GO | p0 = {hyp.p0:g}) = {at0['p_go']:.4f}, false NO-GO "
                f"P(NO-GO | p1 = {hyp.p1:g}) = {at1['p_nogo']:.4f}; P(CONSIDER) "
                f"{at0['p_consider']:.4f} at p0 and {at1['p_consider']:.4f} at p1; P(GO | p1) "
                f"= {at1['p_go']:.4f}; E[N] {at0['en']:.1f} at p0 and {at1['en']:.1f} at p1"
            )
        bayes = state["evaluation"].bayesian
        return tags.div(
            tags.h2(hyp.title or hyp.name, class_="h4 mb-0"),
            tags.p(key, class_="mb-0 ap-key"),
            tags.p(_prior_line(hyp.prior), class_="mb-0 small ap-prior"),
            None
            if bayes is None
            else tags.p(
                f"Under the design prior {bayes.design_prior}: " + bayes.summary().header[1],
                class_="mb-0 small ap-bayesian",
            ),
            provenance_line(state["evaluation"].provenance.design_hash),
        )

    @render.ui
    def map_panel() -> Any:
        """A MAP prior's historical studies, shrinkage and forest plot (nothing otherwise)."""
        state = evaluated()
        result = state["resolved"].map_prior()
        if result is None:
            return None
        summary = result.summary()
        drawing = drawings.get(
            "forest", lambda: figures.forest_figure(result.to_frame(), result.predictive),
            result.to_frame().to_numpy(dtype=str), repr(result.predictive),
        )  # fmt: skip
        return ui.card(
            ui.card_header("Prior from historical studies (MAP)"),
            *(tags.p(line, class_="small") for line in summary.header),
            table_html(summary.tables[0]),
            figure_html(
                drawing,
                "Forest plot: each historical study's observed rate and "
                "shrinkage estimate, and the MAP prior's 95% interval",
            ),
            class_="ap-map",
        )

    #: the last prior-sensitivity check, with the hash of the design it was made for
    checked: reactive.Value[dict[str, Any] | None] = reactive.value(None)

    @reactive.effect
    @reactive.event(input.sensitivity_run)
    def _sensitivity() -> None:
        from ..sensitivity import sensitivity

        state = current()
        if "resolved" not in state:
            return
        resolved = state["resolved"]
        try:
            checked.set({"result": sensitivity(resolved), "hash": resolved.design_hash()})
        except InputError as error:
            checked.set({"error": error, "hash": resolved.design_hash()})

    @render.ui
    def sensitivity_panel() -> Any:
        """The design rebuilt under other priors, and the drift table (on request)."""
        state = evaluated()
        stored = checked()
        if stored is None or stored["hash"] != state["resolved"].design_hash():
            return tags.p(
                "Rebuilds this design under a vague, a sceptical, an enthusiastic and robustified "
                "priors, gives the type I error over the whole null range, and the drift of the "
                "true rate from the prior's mean (exact, a second or so).",
                class_="small text-muted mt-2",
            )
        if "error" in stored:
            return error_box(stored["error"])
        result = stored["result"]
        summary = result.summary()
        frame = result.frame
        drawing = drawings.get(
            "tornado", lambda: figures.prior_sensitivity_figure(frame), frame.to_numpy(dtype=str)
        )
        return tags.div(
            *(tags.p(line, class_="small") for line in summary.header),
            *(table_html(table) for table in summary.tables),
            figure_html(
                drawing,
                "Prior sensitivity: the change in type I error and power under each "
                "alternative prior",
            ),
            class_="ap-sensitivity mt-2",
        )

    @render.ui
    def problem() -> Any:
        state = current()
        return error_box(state["error"]) if "error" in state else None

    @render.ui
    def boundaries() -> Any:
        state = evaluated()
        table = state["evaluation"].table
        return table_html(Table(table.summary().tables[0].frame, title=""))

    @render.ui
    def words() -> Any:
        state = evaluated()
        evaluation = state["evaluation"]
        lines = evaluation.table.describe().splitlines()
        return tags.div(
            tags.p(evaluation.rule_text) if evaluation.rule_text else None,
            tags.ul(*(tags.li(line) for line in lines)),
        )

    @render.ui
    def oc() -> Any:
        state = evaluated()
        frame = state["evaluation"].oc.to_frame().drop(columns=["method"])
        return table_html(Table(frame, title=""))

    @render.ui
    def figures_panel() -> Any:
        state = evaluated()
        from ..reports.build import oc_curve

        hyp = state["resolved"].design
        table = state["evaluation"].table
        curve = oc_curve(hyp)
        title = (hyp.p0, hyp.p1, curve.label)
        return tags.div(
            figure_html(
                drawings.get("boundaries", lambda: figures.boundary_figure(table), table),
                "Stopping boundaries: responses against evaluable patients, with the regions "
                "where the design stops for futility or efficacy at each look",
            ),
            figure_html(
                drawings.get(
                    "oc",
                    lambda: figures.oc_figure([curve], p0=hyp.p0, p1=hyp.p1),
                    *(title, curve.p, curve.p_go, curve.en),
                ),
                f"Operating characteristics: probability of GO and of early stopping against "
                f"the true response rate, with p0 = {hyp.p0:g} and p1 = {hyp.p1:g} marked",
            ),
            class_="ap-figures",
        )

    @render.ui
    def criterion() -> Any:
        """What the calibration will choose, in words, from the design file's section."""
        state = evaluated()
        resolved = state["resolved"]
        try:
            grids = resolved.calibration_grids()
        except InputError as error:
            return tags.p(f"No calibration here: {error.message}.", class_="text-muted")
        words = criterion_words(grids["method"], grids["criterion"], grids["targets"])
        return tags.p(
            "Searches the design file's calibration grid on exact operating characteristics "
            f"and chooses {words}.",
            class_="ap-criterion",
        )

    @reactive.effect
    async def _show_problems() -> None:
        """The field at fault marked, with the message beside it; the report waits for a design."""
        state = current()
        if state.get("waiting"):
            return
        error = state.get("error")
        with reactive.isolate():
            family = input.family()
        fields: tuple[str, ...] = ()
        message = ""
        if isinstance(error, InputError):
            fields, message = form_fields(error.field, family), field_message(error)
        await mark_fields(session, fields, message if fields else "")
        reason = None if "resolved" in state else "Available once the design is valid."
        await enable_downloads(session, ("report",), reason)

    @reactive.effect
    @reactive.event(input.calibrate)
    def _calibrate() -> None:
        state = current()
        if "resolved" not in state:
            return
        resolved = state["resolved"]
        with ui.Progress(min=0, max=1) as progress:
            progress.set(message="Calibrating on exact OC", detail="searching the grid...")
            try:
                result = resolved.calibrate()
            except InputError as error:
                calibrated.set({"error": error})
                return
            progress.set(1)
        calibrated.set({"result": result, "resolved": resolved})

    @render.ui
    def calibration() -> Any:
        state = calibrated()
        if state is None:
            return None
        if "error" in state:
            return error_box(state["error"])
        summary = state["result"].summary()
        parts: list[Any] = [tags.p(line) for line in summary.header]
        parts += [table_html(t) for t in summary.tables[:2]]
        parts.append(ui.input_action_button("use_calibrated", "Use the calibrated design"))
        return tags.div(*parts)

    @reactive.effect
    @reactive.event(input.use_calibrated)
    def _use_calibrated() -> None:
        state = calibrated()
        if state and "result" in state:
            base.set(state["resolved"].calibrated_document(state["result"]))
            origin.set(f"{origin()}, calibrated")

    @render.download_button(filename=lambda: _name(current()) + _suffix(current()))
    def design_file() -> Any:
        yield design_text(current())

    @render.download_button(
        filename=lambda: f"{_name(current())}_report.{report_suffix(input.report_format())}"
    )
    def report() -> Any:
        from ..reports import report as build_report

        state = current()
        if "resolved" not in state:
            raise state.get("error") or InputError("design", "is being updated; try again")
        with ui.Progress(min=0, max=1) as progress:
            progress.set(message="Writing the report")
            yield report_bytes(build_report(state["resolved"]), input.report_format())

    return current


def _prior_line(prior: Any) -> str:
    """The prior with its effective sample size by each method (as ``adaptive-pilot prior``)."""
    from ..prior_information import describe_prior

    ess = describe_prior(prior).ess

    def shown(value: float | None) -> str:
        return "not defined" if value is None else f"{value:.1f}"

    parts = [f"{method} {shown(ess[f'ess_{method}'])}" for method in ("elir", "moment", "morita")]
    return f"Prior {prior}: effective sample size (patients) {', '.join(parts)}"


def _same(want: dict[str, Any], shown: dict[str, Any]) -> bool:
    """Does the form in the browser show the values pushed to it?"""
    for key, value in want.items():
        other = shown.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if not isinstance(other, int | float) or abs(float(other) - float(value)) > 1e-9:
                return False
        elif other != value:
            return False
    return True


def _label_thresholds(family: str) -> None:
    first, second = THRESHOLDS.get(family, THRESHOLDS["bop2"])
    ui.update_numeric("threshold_1", label=first[1])
    ui.update_numeric("threshold_2", label=second[1])


def design_text(state: dict[str, Any]) -> str:
    """The page's design as a file's text, keeping the comments of the file it came from."""
    from ..spec.writing import document_text

    original, suffix = state.get("source") or (None, ".yaml")
    header = f"# Design made on the Design page from {state.get('origin', 'a new design')}.\n"
    return document_text(state["document"], original, suffix, header=header)


def _suffix(state: dict[str, Any]) -> str:
    return ".toml" if (state.get("source") or ("", ""))[1] == ".toml" else ".yaml"


def _shipped_source(name: str) -> tuple[str, str]:
    path = single_endpoint_designs()[name]
    return path.read_text(encoding="utf-8"), path.suffix.lower()


def _shipped_document(name: str) -> dict[str, Any]:
    document, _ = read_document(single_endpoint_designs()[name], "design file")
    return document


def _named(message: str, file: dict[str, Any]) -> str:
    return message.replace(str(file["datapath"]), str(file["name"]))


def _name(state: dict[str, Any]) -> str:
    return str(state["document"].get("name", "design")).replace("/", "_") or "design"
