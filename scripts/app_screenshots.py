"""Screenshots of the web app's pages, made in headless Chromium (for the docs and reviews).

    .venv/bin/python scripts/app_screenshots.py [--out docs/screenshots]

Starts ``adaptive-pilot app`` on a free loopback port, opens the Design page, makes
the interim call of the shipped synthetic patients and runs a short simulation,
and saves one PNG per page at a laptop's window size (1366 x 768). Needs the
``app`` extra, Playwright and the system's Chromium (``apt-get install chromium``).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def running_app(*options: str) -> Iterator[str]:
    """The app in a subprocess on a free loopback port; yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "adaptive_pilot.cli", "app", "--port", str(port), *options]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    started = time.perf_counter()
    try:
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if process.poll() is not None or time.perf_counter() - started > 30:
                raise SystemExit(f"the app did not start: {process.stderr.read().decode()}")  # type: ignore[union-attr]
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", help="folder for the PNG files")
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    examples = Path(str(resources.files("adaptive_pilot") / "examples" / "designs"))
    patients = examples / "motivating_trial_synthetic_patients.csv"
    with (
        tempfile.TemporaryDirectory() as folder,
        running_app("--audit", str(Path(folder) / "audit.sqlite")) as url,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url)
        page.wait_for_selector("#design-boundaries table", timeout=30_000)
        page.wait_for_timeout(500)
        page.screenshot(path=out / "design.png")
        prepare_interim_call(page, patients, "DSMB statistician")
        page.click("#interim-run")
        page.wait_for_selector(".ap-cohort", timeout=30_000)
        page.wait_for_timeout(500)
        page.screenshot(path=out / "interim.png")
        page.get_by_role("tab", name="Simulate").click()
        page.click("#simulate-run")
        page.wait_for_selector(".ap-simulation table", timeout=60_000)
        page.screenshot(path=out / "simulate.png")
        page.get_by_role("tab", name="Audit").click()
        page.click("#audit-verify")
        page.wait_for_selector("#audit-verification .alert", timeout=10_000)
        page.screenshot(path=out / "audit.png")
        browser.close()
    for name in ("design", "interim", "simulate", "audit"):
        print(f"Written: {out / name}.png")


if __name__ == "__main__":
    main()


def prepare_interim_call(page: Any, patients: Path, analyst: str) -> None:
    """On the Interim page: upload the patients, set the cut-off 2026-06-30, name the analyst."""
    page.get_by_role("tab", name="Interim").click()
    page.set_input_files("#interim-data", str(patients))
    page.wait_for_function(
        "() => document.querySelector('#interim-data_progress .progress-bar')"
        "?.textContent.includes('complete')", timeout=10_000,
    )  # fmt: skip
    box = page.locator("#interim-as_of input")
    box.click()
    box.press("Control+a")
    box.type("2026-06-30")
    box.press("Enter")
    page.fill("#interim-analyst", analyst)
