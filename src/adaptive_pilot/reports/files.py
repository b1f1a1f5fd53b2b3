"""Writing a report's files: built in a temporary folder, then moved into place."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from .. import figures
from .._files import remove_stale, temporary_prefix, umask_mode, writable_folder
from ..errors import InputError
from .document import Report

__all__ = ["FORMATS", "parse_formats", "write_report"]

#: Report formats and what each writes.
FORMATS = {
    "html": "report.html (one self-contained file, figures inline)",
    "md": "report.md with figures/*.svg beside it",
    "tex": "report.tex with figures/figures.pdf, a page per figure (compile with pdflatex)",
    "docx": "report.docx (Word tables and headings, figures embedded)",
    "csv": "tables/*.csv (every table, raw values at full precision)",
}


def parse_formats(text: str) -> tuple[str, ...]:
    """``"html,docx"`` -> ("html", "docx"); one-line error naming what is allowed."""
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        problem = f"unknown format {unknown[0]!r}" if unknown else "no format given"
        raise InputError("format", f"{problem}; allowed: {', '.join(FORMATS)}")
    return chosen


def write_report(
    report: Report,
    folder: str | Path,
    formats: Sequence[str],
    extra: Mapping[str, bytes] | None = None,
) -> list[Path]:
    """Write the report in ``formats`` to ``folder``; return the files written.

    Every figure is also written as PNG and SVG under ``figures/``; ``extra`` files
    (name -> bytes, e.g. a result's JSON) are written beside the report. The files
    are made in a temporary folder next to ``folder`` and moved in only when
    all are done: a failure leaves nothing half-written.
    """
    folder = writable_folder(folder)
    parent = folder.parent if folder.parent != Path("") else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError("out", f"cannot create the folder {parent}: {error.strerror}") from None
    remove_stale(parent, ".report", folder.name)  # left by a killed run
    try:
        staging = Path(
            tempfile.mkdtemp(prefix=temporary_prefix(folder.name), suffix=".report", dir=parent)
        )
    except OSError as error:
        raise InputError("out", f"cannot write in {parent}: {error.strerror}") from None
    try:
        names = _write_all(report, staging, formats, extra or {})
        if folder.exists() and not folder.is_dir():
            raise InputError("out", f"{folder} is a file, not a folder")
        folder.mkdir(exist_ok=True)
        for name in names:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            (staging / name).replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [folder / name for name in names]


def _write_all(
    report: Report, root: Path, formats: Sequence[str], extra: Mapping[str, bytes]
) -> list[str]:
    written: list[str] = []

    def put(name: str, data: bytes) -> None:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(umask_mode())
        written.append(name)

    svg_paths: dict[int, str] = {}
    pdf_pages: dict[int, str] = {}
    drawn = list(report.figures())
    for number, block in drawn:
        stem = f"figures/figure{number}_{block.name}"
        put(f"{stem}.svg", figures.svg(block.figure).encode("utf-8"))
        put(f"{stem}.png", figures.png(block.figure))
        svg_paths[number] = f"{stem}.svg"
    if "tex" in formats and drawn:
        # one PDF, a page per figure: its fonts are embedded (and subset) once
        put("figures/figures.pdf", figures.pdf_pages([block.figure for _, block in drawn]))
        pdf_pages = {number: f"page={page}" for page, (number, _) in enumerate(drawn, 1)}
    if "html" in formats:
        from .html import render_html

        put("report.html", render_html(report).encode("utf-8"))
    if "md" in formats:
        from .markdown import render_markdown

        put("report.md", render_markdown(report, svg_paths).encode("utf-8"))
    if "tex" in formats:
        from .latex import render_latex

        put("report.tex", render_latex(report, pdf_pages).encode("utf-8"))
    if "docx" in formats:
        from .word import render_docx

        put("report.docx", render_docx(report))
    if "csv" in formats:
        for _, stem, table in report.tables():
            put(f"tables/{stem}.csv", table.frame.to_csv(index=False).encode("utf-8"))
    for name, data in extra.items():
        put(name, data)
    return written
