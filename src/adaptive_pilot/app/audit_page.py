"""Audit page: the history of interim calls and the check of the hash chain."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from htmltools import tags
from shiny import module, reactive, render, ui

from ..errors import InputError
from ..results import Table
from .common import error_box, table_html

__all__ = ["audit_server", "audit_ui"]


@module.ui
def audit_ui() -> Any:
    return ui.div(
        ui.output_ui("history"),
        ui.input_text(
            "head",
            "Head hash kept outside the database (optional: finds removed latest records)",
            placeholder="64 hexadecimal digits, as 'audit verify' prints it",
            width="100%",
        ),
        ui.input_action_button("verify", "Verify the chain", class_="btn-primary"),
        ui.output_ui("verification"),
        class_="container-fluid ap-audit-page",
        style="max-width: 60rem;",
    )


@module.server
def audit_server(input: Any, output: Any, session: Any, audit: str | None, recorded: Any) -> None:
    """``recorded``: bumped by the Interim page after each call, to refresh the history."""
    checked: reactive.Value[Any] = reactive.value(None)

    @render.ui
    def history() -> Any:
        recorded()
        input.verify()
        if audit is None:
            return tags.p("No audit database: start the app with --audit FILE to record calls.")
        if not Path(audit).exists():
            return tags.p(f"{Path(audit).name} holds no calls yet.")
        from ..interim.audit import read_records

        try:
            records = read_records(audit)
        except InputError as error:
            return error_box(error)
        rows = [
            {
                "record": r.id,
                "recorded (UTC)": r.created_utc,
                "analyst": r.analyst or "",
                "cut-off": r.payload.get("as_of", ""),
                "design": r.design_hash,
                "decisions": r.decisions(),
                "signed by": r.signature.signer if r.signature else "not signed",
                "hash": r.hash[:16],
            }
            for r in records
        ]
        frame = pd.DataFrame(rows)
        calls = "1 interim call" if len(rows) == 1 else f"{len(rows)} interim calls"
        title = f"{calls} in {Path(audit).name}"
        return tags.div(
            tags.h2(title, class_="h4"), table_html(Table(frame, title="")), class_="ap-audit"
        )

    @reactive.effect
    @reactive.event(input.verify)
    def _verify() -> None:
        if audit is None or not Path(audit).exists():
            checked.set(None)
            return
        from ..interim.audit import verify

        head = (input.head() or "").strip() or None
        try:
            checked.set(verify(audit, head=head))
        except InputError as error:
            checked.set(error)

    @render.ui
    def verification() -> Any:
        result = checked()
        if result is None:
            return None
        if isinstance(result, InputError):
            return error_box(result)
        style = "alert-success" if result.ok else "alert-danger"
        return tags.div(result.line(), class_=f"alert {style} mt-3 ap-audit")
