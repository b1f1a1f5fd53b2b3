"""What the pages share: the shipped example files, error display, tables and report bytes."""

from __future__ import annotations

import html
import io
import tempfile
import threading
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

from htmltools import HTML, Tag, TagList, tags

from ..errors import InputError
from ..provenance import package_version
from ..results import Table, html_table

__all__ = [
    "ACCEPTED",
    "TaskProgress",
    "current_result",
    "design_heading",
    "enable_downloads",
    "error_box",
    "example_files",
    "field_message",
    "figure_html",
    "mark_fields",
    "monte_carlo_line",
    "progress_status",
    "provenance_line",
    "register_result_downloads",
    "report_bytes",
    "report_controls",
    "report_suffix",
    "single_endpoint_designs",
    "table_html",
    "take_task_result",
]

#: File types the app accepts from the browser, by page.
ACCEPTED = {
    "design": [".yaml", ".yml", ".toml"],
    "scenarios": [".yaml", ".yml", ".toml"],
    "patients": [".csv", ".xlsx"],
    "adam": [".csv", ".xpt"],
}


def example_files(
    kind: str, suffixes: tuple[str, ...] = (".yaml", ".yml", ".toml")
) -> dict[str, Path]:
    """Shipped example files (``kind``: "designs" or "simulations"), by file name."""
    folder = Path(str(resources.files("adaptive_pilot") / "examples" / kind))
    return {p.name: p for p in sorted(folder.iterdir()) if p.suffix in suffixes and p.is_file()}


def single_endpoint_designs() -> dict[str, Path]:
    """Shipped design files with one binary endpoint (the pages' designs so far); a file
    with an outcome section (several endpoints) or a time_to_event section is left out."""
    from ..spec.reading import read_document

    out = {}
    for name, path in example_files("designs").items():
        document, _ = read_document(path, "design file")
        if "outcome" not in document and "time_to_event" not in document:
            out[name] = path
    return out


def error_box(error: Exception) -> Tag:
    """A readable message for bad input: the one line, and a data error's rows."""
    if isinstance(error, InputError):
        lines = list(getattr(error, "lines", ()))
        items = [tags.li(line) for line in lines]
        return tags.div(
            tags.strong(str(error)),
            tags.ul(*items) if items else None,
            class_="alert alert-danger ap-error",
            role="alert",
        )
    return tags.div(
        tags.strong(f"Unexpected error: {type(error).__name__}: {error}"),
        class_="alert alert-danger ap-error",
        role="alert",
    )


def table_html(table: Table) -> Tag:
    """A result table as the reports show it (same numbers, same formats).

    It scrolls sideways inside its own box on a narrow screen, so the page does not.
    """
    return tags.div(HTML(html_table(table)), class_="ap-scroll")


def figure_html(svg: str, description: str) -> HTML:
    """An inline SVG figure with its text alternative (``role="img"``, ``aria-label``)."""
    label = html.escape(description, quote=True)
    start = svg.index("<svg")
    return HTML(f'{svg[:start]}<svg role="img" aria-label="{label}"{svg[start + 4 :]}')


def provenance_line(design_hash: str, extra: str = "") -> TagList:
    """The line that ties what is on screen to the CLI's output."""
    text = f"adaptive_pilot {package_version()} · design hash {design_hash}"
    if extra:
        text += f" · {extra}"
    return TagList(tags.p(text, class_="ap-provenance text-muted small"))


def report_controls() -> TagList:
    """The report format choice and its download button (output id ``report``)."""
    from shiny import ui

    return TagList(
        ui.input_select(
            "report_format",
            "Report format",
            {
                "html": "HTML",
                "docx": "Word (DOCX)",
                "zip": "All formats (ZIP: HTML, Markdown, LaTeX, DOCX, CSV)",
            },
        ),
        ui.download_button("report", "Download the report"),
    )


def report_suffix(fmt: str) -> str:
    """File name suffix of a report download in the format chosen."""
    return {"html": "html", "docx": "docx"}.get(fmt, "zip")


def design_heading(title: str, design_hash: str, command: str, *details: str) -> Tag:
    """The design a page works on, with the hash the matching CLI command prints."""
    return tags.div(
        tags.h5(f"Design: {title}", class_="mb-0"),
        *(tags.p(detail, class_="mb-0") for detail in details),
        provenance_line(design_hash, f"as the {command} command prints it"),
    )


def report_bytes(report: Any, fmt: str) -> bytes:
    """A report as one downloadable file: HTML, DOCX, or a ZIP of the other formats."""
    from ..reports import write_report

    with tempfile.TemporaryDirectory(prefix="adaptive-pilot-report-") as folder:
        out = Path(folder) / "report"
        formats = [fmt] if fmt in ("html", "docx") else ["html", "md", "tex", "docx", "csv"]
        write_report(report, out, formats)
        if fmt in ("html", "docx"):
            return (out / f"report.{fmt}").read_bytes()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(out.rglob("*")):
                if path.is_file():
                    archive.write(path, str(Path("report") / path.relative_to(out)))
        return buffer.getvalue()


def escape(text: str) -> str:
    """HTML-escape a string for inline markup."""
    return html.escape(text)


async def mark_fields(session: Any, fields: tuple[str, ...], message: str) -> None:
    """Mark the page's ``fields`` invalid (``aria-invalid``, red border) with ``message``
    beside the first; no fields clears the page's marks."""
    await session.send_custom_message(
        "ap-mark-fields",
        {"scope": str(session.ns), "ids": [session.ns(f) for f in fields], "message": message},
    )


async def enable_downloads(session: Any, ids: tuple[str, ...], reason: str | None) -> None:
    """Enable the page's download buttons ``ids``, or disable them saying why (``reason``)."""
    await session.send_custom_message(
        "ap-enable",
        {"ids": [session.ns(i) for i in ids], "enabled": reason is None, "reason": reason or ""},
    )


def field_message(error: InputError) -> str:
    """An error's message as shown beside its field ("Must be less than 1 (got 1.2)")."""
    message = error.message.strip()
    if message.startswith(("must", "is ")):
        message = "This value " + message
    return message[:1].upper() + message[1:]


class TaskProgress:
    """Chunks done, shared between the simulation thread and the page (thread-safe)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self._lock = threading.Lock()

    def update(self, trials: int) -> None:
        with self._lock:
            self.done += trials

    def close(self) -> None:
        """Nothing to close."""

    def fraction(self) -> float:
        """Share of the work done, 0 to 1."""
        with self._lock:
            return min(self.done / self.total, 1.0) if self.total else 1.0


def take_task_result(task: Any, outcome: Any) -> None:
    """Inside a reactive effect: move a finished simulation task's result (or its one-line
    refusal) into ``outcome``, the page's state."""
    from shiny import reactive

    status = task.status()
    if status == "success":
        with reactive.isolate():
            state = dict(outcome() or {})
        state.pop("pending", None)
        state["result"] = task.result()
        outcome.set(state)
    elif status == "error":
        try:
            task.result()
        except InputError as error:
            outcome.set({"error": error})


def progress_status(state: dict[str, Any] | None, tracker: Any, element_id: str) -> Tag | None:
    """The page's status while a simulation runs: its refusal, or a progress bar (redrawn
    every 0.4 s)."""
    from shiny import reactive

    if state is None or "error" in state:
        return error_box(state["error"]) if state else None
    if not state.get("pending"):
        return None
    reactive.invalidate_later(0.4)
    share = 0.0 if tracker is None else tracker.fraction()
    return tags.div(
        tags.p(f"Simulating... {100 * share:.0f} %"),
        tags.div(
            tags.div(class_="progress-bar", style=f"width: {100 * share:.1f}%",
                     role="progressbar", aria_valuenow=f"{100 * share:.0f}"),
            class_="progress", id=element_id,
        ),
    )  # fmt: skip


def current_result(state: dict[str, Any] | None) -> Any:
    """The simulation result on the page, or a one-line refusal before there is one."""
    if not state or "result" not in state:
        raise InputError("simulation", "run the simulation first")
    return state["result"]


def monte_carlo_line(result: Any) -> TagList:
    """The provenance line under simulated results."""
    provenance = result.provenance
    return provenance_line(
        provenance.design_hash,
        f"monte carlo, seed {provenance.seed}, {provenance.n_trials:,} trials",
    )


def register_result_downloads(outcome: Any, stem: str) -> None:
    """The ``results_csv`` and ``results_json`` downloads of a page's simulation (called
    inside the page's server function)."""
    import json

    from shiny import render

    @render.download_button(filename=f"{stem}.csv")
    def results_csv() -> Any:
        yield current_result(outcome()).to_frame().to_csv(index=False)

    @render.download_button(filename=f"{stem}.json")
    def results_json() -> Any:
        yield json.dumps(current_result(outcome()).to_dict(), indent=2, allow_nan=False)
