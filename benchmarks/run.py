"""Benchmarks for the exact engines and the simulator. Run with ``make bench``.

Each benchmark is timed several times after a warm-up and reported as the
median and the best wall time, next to its target. Simulations are timed once,
end to end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import adaptive_pilot as ap
from adaptive_pilot.cohorts.borrowing import BerryBorrowing, ExnexBorrowing
from adaptive_pilot.cohorts.prior import HierarchicalPrior, NonExchangeable
from adaptive_pilot.cohorts.trial import (
    Accrual,
    Cohort,
    HierarchicalBorrowing,
    TrialDesign,
)
from adaptive_pilot.designs.calibration import calibrate_bop2, calibrate_predictive, grid
from adaptive_pilot.priors import BetaPrior
from adaptive_pilot.simulation.runner import simulate
from adaptive_pilot.simulation.scenarios import Scenario
from adaptive_pilot.spec import load_design

ROOT = Path(__file__).resolve().parents[1]


def timed(function: Callable[[], object], repeats: int) -> tuple[float, float]:
    function()  # warm-up (imports, caches)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def continuous_monitoring_table(n_max: int = 40) -> ap.BoundaryTable:
    """A 40-look table (a look after every patient) with futility and efficacy bounds."""
    looks = tuple(range(1, n_max + 1))
    futility = [max(-1, int(0.2 * n) - 2) for n in looks]
    efficacy = [min(n + 1, int(np.ceil(0.45 * n)) + 3) for n in looks]
    futility[-1], efficacy[-1] = 11, 12
    return ap.BoundaryTable(looks=looks, futility=tuple(futility), efficacy=tuple(efficacy))


def six_cohort_hierarchical_trial(exnex: bool = False) -> TrialDesign:
    """6 cohorts, 4 looks each (8/16/24/32 patients), hierarchical borrowing, 2-month delay.

    ``exnex``: EXNEX instead of Berry's model (weight 0.5, NEX N(logit 0.2, 2.5^2)).
    """
    table = ap.BoundaryTable(
        looks=(8, 16, 24, 32), futility=(0, 1, 3, 5), efficacy=(None,) * 3 + (6,)
    )
    cohorts = tuple(Cohort(f"C{j + 1}", 1 / 6, table, 0.10) for j in range(6))
    prior = HierarchicalPrior(math.log(0.1 / 0.9), 2.0, 1.0)
    model = (
        ExnexBorrowing(prior, NonExchangeable((0.5,) * 6, (math.log(0.2 / 0.8),) * 6, (2.5,) * 6))
        if exnex
        else BerryBorrowing(prior)
    )
    borrowing = HierarchicalBorrowing(model, (0.05,) * 3, (math.nan,) * 3, 0.9)
    return TrialDesign("bench-6x4", cohorts, Accrual(6.0, assessment_delay=2.0), borrowing)


def _fresh_workers() -> None:
    """End joblib's reusable worker processes, so the next run starts them (cold)."""
    from joblib.externals.loky import get_reusable_executor

    get_reusable_executor().shutdown(wait=True)


def _simulate_rows(
    label: str, target: float, trial: TrialDesign, scenarios: list[Scenario], n_trials: int,
    jobs: tuple[int, ...], warm: bool, **options: Any,
) -> list[tuple[str, float, float | None]]:  # fmt: skip
    """Timed simulate() runs: cold (new workers, tables built), then warm if asked.

    Cold is the end-to-end figure: worker start-up (imports), tables and every chunk.
    Warm repeats the run on the same workers, which keep their tables: throughput alone.
    """
    rows = []
    for n_jobs in jobs:
        workers = f"{n_jobs} worker" + ("s" if n_jobs > 1 else "")
        for state in ("", ", warm")[: 1 + warm]:
            if not state:
                _fresh_workers()
            start = time.perf_counter()
            simulate(trial, scenarios, n_trials, seed=1, n_jobs=n_jobs, progress=False, **options)
            # the targets are for 2 workers from cold; the other rows are for comparison
            goal = target if n_jobs == 2 and not state else None
            rows.append((f"{label} ({workers}{state})", time.perf_counter() - start, goal))
    return rows


def simulation_benchmarks() -> list[tuple[str, float, float | None]]:
    """End-to-end simulate() runs (worker start-up, tables and all chunks included)."""
    motivating = load_design(ROOT / "designs" / "motivating_trial.yaml").trial()
    mixed = Scenario("mixed", np.array([0.20, 0.05, 0.30, 0.05]), np.full(4, 0.15))
    rows = _simulate_rows(
        "Simulate 1,000,000 trials, 4 cohorts, independent", 3.0, motivating, [mixed],
        1_000_000, (2, 1), True, chunk_size=10_000,
    )  # fmt: skip
    scenario = Scenario("mixed", np.array([0.1, 0.1, 0.1, 0.3, 0.3, 0.1]), None)
    berry = _simulate_rows(
        "Simulate 100,000 trials, 6 cohorts x 4 looks, hierarchical", 10.0,
        six_cohort_hierarchical_trial(), [scenario], 100_000, (2, 1), True,
    )  # fmt: skip
    # EXNEX's target: within 2x of Berry's model on the same design (2 workers, cold)
    rows += berry + _simulate_rows(
        "Simulate 100,000 trials, 6 cohorts x 4 looks, EXNEX", 2 * berry[0][1],
        six_cohort_hierarchical_trial(exnex=True), [scenario], 100_000, (2,), False,
    )  # fmt: skip
    basket = load_design(ROOT / "designs" / "basket_4x20.yaml")
    null = [Scenario("null", np.full(4, 0.1), None)]
    berry = _simulate_rows(
        "Simulate 100,000 trials, 4 x 20 basket, joint analysis at 20, hierarchical", 2.0,
        basket.trial("hierarchical"), null, 100_000, (2,), True,
    )  # fmt: skip
    rows += berry + _simulate_rows(
        "Simulate 100,000 trials, 4 x 20 basket, joint analysis at 20, exnex", 2 * berry[0][1],
        basket.trial("exnex"), null, 100_000, (2,), True,
    )  # fmt: skip
    rows.append(basket_command())
    return rows


def basket_command() -> tuple[str, float, float | None]:
    """The simulate command on the 4 x 20 Berry basket, end to end (Python start included).

    bhmbasket needs about 1,200 s for the same run (issue 25). The limit: about 0.65 s
    of imports, the posterior tables (0.2 s) and 200,000 trials at about 0.35 s per
    100,000 on one core; workers start only when the run is long enough to gain.
    """
    with tempfile.TemporaryDirectory() as folder:
        scenarios = Path(folder) / "basket.yaml"
        scenarios.write_text(
            "scenarios:\n"
            "  - {name: all-null, response: 0.1}\n"
            "  - {name: two-active, response: {A: 0.1, B: 0.1, C: 0.3, D: 0.3}}\n"
        )
        command = [
            sys.executable, "-m", "adaptive_pilot.cli", "simulate",
            str(ROOT / "designs" / "basket_4x20.yaml"), "--scenarios", str(scenarios),
            "--analysis", "hierarchical", "--n-trials", "100000", "--n-jobs", "2",
            "--no-progress",
        ]  # fmt: skip
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, timeout=300)
            times.append(time.perf_counter() - start)
    return (
        "simulate command, 4 x 20 basket, hierarchical, 100,000 trials x 2 scenarios, "
        "--n-jobs 2, end to end (median of 3)",
        statistics.median(times),
        2.4,
    )


def interim_benchmarks() -> list[tuple[str, float, float, float | None]]:
    """The DSMB call on the shipped synthetic patients: read, validate, decide (and report)."""
    import subprocess
    import sys

    from adaptive_pilot.interim import interim_analysis
    from adaptive_pilot.patients import read_patients
    from adaptive_pilot.reports.interim import write_outputs

    resolved = load_design(ROOT / "designs" / "motivating_trial.yaml")
    patients = ROOT / "designs" / "motivating_trial_synthetic_patients.csv"
    as_of = dt.date(2026, 6, 30)

    def call(analysis: str, **options: object) -> ap.interim.InterimResult:
        plan = resolved.interim_plan(analysis)
        data = read_patients(patients, cohorts=plan.cohort_names, today=as_of, as_of_given=True)
        return interim_analysis(plan, data, as_of=as_of, **options)  # type: ignore[arg-type]

    rows: list[tuple[str, float, float, float | None]] = []
    median, best = timed(lambda: call("independent"), repeats=7)
    rows.append(
        ("Interim call, 4 cohorts, independent (read + validate + decide)", median, best, 1.0)
    )
    median, best = timed(lambda: call("hierarchical"), repeats=5)
    rows.append(("Interim call, 4 cohorts, hierarchical, fast posterior", median, best, 1.0))
    result = call("independent")
    with tempfile.TemporaryDirectory() as folder:
        median, best = timed(lambda: write_outputs(result, folder), repeats=3)
    rows.append(("decision.json + closed (4 figures) and open reports", median, best, None))
    command = [
        sys.executable, "-m", "adaptive_pilot.cli", "interim",
        str(ROOT / "designs" / "motivating_trial.yaml"), "--data", str(patients),
        "--as-of", as_of.isoformat(), "--format", "json",
    ]  # fmt: skip
    median, best = timed(
        lambda: subprocess.run(command, check=True, capture_output=True), repeats=3
    )
    rows.append(
        ("interim command end to end (Python start-up and imports included)", median, best, 1.5)
    )
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "patients_1e6.csv"
        million_patient_file(big)
        command = [
            sys.executable, "-m", "adaptive_pilot.cli", "interim",
            str(ROOT / "designs" / "motivating_trial.yaml"), "--data", str(big),
            "--as-of", as_of.isoformat(), "--format", "json",
        ]  # fmt: skip
        size = f"{big.stat().st_size / 1e6:.0f} MB"
        median, best = timed(
            lambda: subprocess.run(command, check=True, capture_output=True), repeats=3
        )
    rows.append(
        (
            f"interim command on a 1,000,000-row patient file ({size} CSV), end to end",
            median,
            best,
            10.0,
        )
    )
    start = time.perf_counter()
    call("hierarchical", check_pymc=True)
    seconds = time.perf_counter() - start
    rows.append(
        (
            "Interim call, hierarchical, with PyMC NUTS check (2 x 10,000 draws)",
            seconds,
            seconds,
            60.0,
        )
    )
    return rows


def million_patient_file(path: Path, rows: int = 1_000_000) -> None:
    """A seeded, valid minimal patient file of ``rows`` patients in the 4 cohorts."""
    import pandas as pd

    rng = np.random.default_rng(23)
    enrolled = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 2000, rows), "D")
    response = rng.choice(
        ["CR", "PR", "SD", "PD", "NE", ""], rows, p=[0.02, 0.08, 0.4, 0.4, 0.05, 0.05]
    )
    assessed = (enrolled + pd.to_timedelta(rng.integers(40, 90, rows), "D")).strftime("%Y-%m-%d")
    pd.DataFrame(
        {
            "patient_id": np.char.add("P", np.arange(rows).astype(str)),
            "cohort": rng.choice(["G12D", "G12V", "G12C", "other"], rows),
            "enrolled": enrolled.strftime("%Y-%m-%d"),
            "response": response,
            "response_date": np.where(response == "", "", assessed),
            "toxicity_grade": rng.choice(["0", "1", "2", "3", ""], rows),
        }
    ).to_csv(path, index=False)


def report_benchmarks() -> list[tuple[str, float, float, float | None]]:
    """The report command end to end: exact only, and with the 20,000-trial simulation."""
    import subprocess
    import sys

    design = str(ROOT / "designs" / "motivating_trial.yaml")
    scenarios = str(ROOT / "simulations" / "motivating_trial.yaml")
    rows: list[tuple[str, float, float, float | None]] = []

    def run(*options: str) -> None:
        with tempfile.TemporaryDirectory() as folder:
            command = [sys.executable, "-m", "adaptive_pilot.cli", "report", design,
                       *options, "--out", str(Path(folder) / "report")]  # fmt: skip
            subprocess.run(command, check=True, capture_output=True)

    def single(name: str) -> None:
        with tempfile.TemporaryDirectory() as folder:
            out = str(Path(folder) / "r")
            command = [sys.executable, "-m", "adaptive_pilot.cli", "report",
                       str(ROOT / "designs" / name), "--out", out]  # fmt: skip
            subprocess.run(command, check=True, capture_output=True)

    for name in ("simon_example.toml", "bop2_example.yaml"):
        median, best = timed(lambda n=name: single(n), repeats=3)
        rows.append((f"report command, {name}, all 5 formats (start-up included)",
                     median, best, 3.0))  # fmt: skip
    median, best = timed(run, repeats=3)
    rows.append(
        (
            "report command, motivating trial, exact OC only, all 5 formats (start-up included)",
            median,
            best,
            5.0,
        )
    )
    simulated = ("--scenarios", scenarios, "--n-trials", "20000", "--seed", "7", "--n-jobs", "2",
                 "--no-progress")  # fmt: skip
    median, best = timed(lambda: run(*simulated), repeats=3)
    rows.append(
        (
            "report command, + 20,000-trial simulation of 4 cohorts x 6 scenarios, 2 workers",
            median,
            best,
            10.0,
        )
    )
    return rows


def validate_benchmarks() -> list[tuple[str, float, float, float | None]]:
    """``adaptive-pilot validate``, quick and full, end to end (start-up and report included)."""
    import subprocess
    import sys

    rows: list[tuple[str, float, float, float | None]] = []
    for name, options, target in (
        ("validate --quick, HTML, DOCX and JSON report (start-up included)", ["--quick"], 20.0),
        ("validate (every set and cross-check), HTML, DOCX and JSON report", [], 120.0),
    ):

        def run(options: list[str] = options) -> None:
            with tempfile.TemporaryDirectory() as folder:
                command = [sys.executable, "-m", "adaptive_pilot.cli", "validate", *options,
                           "--no-progress", "--out", str(Path(folder) / "v")]  # fmt: skip
                subprocess.run(command, check=True, capture_output=True)

        median, best = timed(run, repeats=3 if options else 1)
        rows.append((name, median, best, target))
    return rows


def app_benchmarks() -> list[tuple[str, float, float, float | None]]:
    """The web app: start-up, and the Design page's answer to a change of p0 (N = 30, 100)."""
    import shutil
    import sys
    import urllib.request

    sys.path.insert(0, str(ROOT / "scripts"))
    from app_screenshots import running_app  # the same launcher as the screenshots

    rows: list[tuple[str, float, float, float | None]] = []
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with running_app() as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page(viewport={"width": 1366, "height": 768})
        page.goto(url)
        page.wait_for_selector("#design-boundaries table", timeout=30_000)
        changed = "([css, old]) => document.querySelector(css).innerHTML !== old"
        step = 0
        for n_max in (30, 100):
            page.fill("#design-n_max", str(n_max))
            page.keyboard.press("Tab")
            page.wait_for_timeout(3000)
            tables, whole = [], []
            for _ in range(7):
                header = page.inner_html("#design-header")
                drawn = page.inner_html("#design-figures_panel")
                started = time.perf_counter()
                step += 1  # a p0 never shown before (0.051, 0.052, ...): no figure is cached
                page.fill("#design-p0", f"{0.05 + 0.001 * step:.3f}")
                page.keyboard.press("Tab")
                page.wait_for_function(changed, arg=["#design-header", header], timeout=20_000)
                tables.append(time.perf_counter() - started)
                page.wait_for_function(
                    changed, arg=["#design-figures_panel", drawn], timeout=20_000
                )
                whole.append(time.perf_counter() - started)
            rows.append((f"app: Design page, boundary + OC tables after a p0 change, N = {n_max}",
                         statistics.median(tables), min(tables), 0.5))  # fmt: skip
            rows.append((f"app: Design page, figures too, N = {n_max}",
                         statistics.median(whole), min(whole), None))  # fmt: skip
        rows += _app_interim_rows(page)
        browser.close()
    starts = []
    for _ in range(3):
        started = time.perf_counter()
        with running_app() as url, urllib.request.urlopen(url) as response:
            response.read()
            starts.append(time.perf_counter() - started)
    rows.insert(0, ("app: start to the first page served", statistics.median(starts),
                    min(starts), 3.0))  # fmt: skip
    return rows


def _app_interim_rows(page: Any) -> list[tuple[str, float, float, float | None]]:
    """The Interim page: the shipped plan and example patients, click to the four cards."""
    from app_screenshots import prepare_interim_call  # (scripts/ is on sys.path here)

    patients = ROOT / "designs" / "motivating_trial_synthetic_patients.csv"
    # The cards' HTML is the same on every call, so wait for Shiny to deliver the output
    # again (its shiny:value event) rather than for the HTML to change.
    listen = (
        "() => { window.__cards = 0; $(document).on('shiny:value', (event) => {"
        " if (event.name === 'interim-cards') window.__cards += 1; }); }"
    )

    def call() -> float:
        count = page.evaluate("() => window.__cards")
        started = time.perf_counter()
        page.click("#interim-run")
        page.wait_for_function(
            "(count) => window.__cards > count"
            " && document.querySelector('#interim-cards .ap-cohort')",
            arg=count, timeout=30_000,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        page.wait_for_timeout(300)
        return seconds

    first, repeated = [], []
    for _ in range(5):  # each in a new session: its figures are drawn, not cached
        page.reload()
        page.wait_for_selector("#design-boundaries table", timeout=30_000)
        prepare_interim_call(page, patients, "Benchmark")
        page.evaluate(listen)
        first.append(call())
        repeated.append(call())
    return [
        ("app: interim call, 4 cohorts, click to the four cards (new session)",
         statistics.median(first), min(first), 1.5),
        ("app: the same call again (its four figures cached)",
         statistics.median(repeated), min(repeated), None),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        choices=("all", "exact", "simulation", "interim", "report", "app", "validate"),
        default="all",
        help="run one group of benchmarks",
    )
    only = parser.parse_args().only
    print(
        f"adaptive_pilot {ap.__version__} | Python {platform.python_version()} | "
        f"numpy {np.__version__} | {os.cpu_count()} CPUs | {platform.machine()}"
    )
    rows: list[tuple[str, float, float, float | None]] = []
    if only in ("all", "exact"):
        rows += exact_benchmarks()
    if only in ("all", "simulation"):
        rows += [
            (name, seconds, seconds, target) for name, seconds, target in simulation_benchmarks()
        ]
    if only in ("all", "interim"):
        rows += interim_benchmarks()
    if only in ("all", "report"):
        rows += report_benchmarks()
    if only in ("all", "app"):
        rows += app_benchmarks()
    if only in ("all", "validate"):
        rows += validate_benchmarks()
    report(rows)


def exact_benchmarks() -> list[tuple[str, float, float, float | None]]:
    """Simon searches, exact OC and calibration searches."""
    rows: list[tuple[str, float, float, float | None]] = []
    # clinfun 1.1.5 ph2simon on this machine (R 4.2.2, system.time, idle): the target is 10x
    # faster. The search is exhaustive but skips what cannot matter (designs/_simon_scan.py);
    # its limit is the binomial tables it reads, O(n^2) numbers for the largest n scanned.
    simon_settings = [
        ((0.40, 0.50, 0.05, 0.10, 500), 3.135),
        ((0.40, 0.50, 0.05, 0.10, 1000), 50.17),
        ((0.05, 0.15, 0.05, 0.20, 600), 7.576),
        ((0.05, 0.15, 0.05, 0.20, 1000), 61.37),
        ((0.20, 0.30, 0.05, 0.10, 300), 0.438),
        ((0.70, 0.80, 0.05, 0.10, 300), 0.399),
        ((0.10, 0.30, 0.05, 0.20, 100), 0.0100),
    ]
    for (p0, p1, alpha, beta, n_max), clinfun in simon_settings:
        search = (p0, p1, alpha, beta)
        median, best = timed(lambda s=search, n=n_max: ap.simon_designs(*s, n_max=n), repeats=7)
        rows.append((f"Simon search p0 {p0:g}, p1 {p1:g}, a {alpha:g}, b {beta:g}, n <= {n_max}"
                     f" (clinfun {clinfun:g} s)", median, best, clinfun / 10))  # fmt: skip

    table = continuous_monitoring_table()
    rates = np.linspace(0.0, 1.0, 1001)
    median, best = timed(lambda: ap.exact_oc(table, rates), repeats=15)
    rows.append(("Exact OC, 40-look table, 1001 values of p", median, best, 0.05))

    def lee_liu() -> None:
        calibrate_predictive(
            0.2,
            0.4,
            0.1,
            0.1,
            BetaPrior(0.2, 0.8),
            n_range=(10, 50),
            theta_t=grid(0.80, 0.99, 0.01),
            theta_l=grid(0.005, 0.200, 0.005),
            first_look=10,
        )

    median, best = timed(lee_liu, repeats=3)
    rows.append(("Lee & Liu search: N 10-50 x 20 theta_T x 40 theta_L", median, best, 30.0))

    def bop2() -> None:
        calibrate_bop2(
            0.2,
            0.4,
            0.1,
            BetaPrior(0.2, 0.8),
            looks=(10, 20, 30, 40),
            lam=grid(0.50, 0.99, 0.01),
            gamma=grid(0.10, 3.00, 0.05),
        )

    median, best = timed(bop2, repeats=5)
    rows.append(("BOP2 search: 50 lambda x 59 gamma, 4 looks", median, best, None))

    def dual() -> None:
        from adaptive_pilot.designs.calibration import calibrate_dual
        from adaptive_pilot.rules import dual as dual_rules

        dual_rules._tails.cache_clear()  # each repeat computes its posteriors afresh
        rule = ap.DualRule(ap.BetaPrior(0.3, 0.7), 0.15, "P(p > LRV) > 0.9 and P(p > TV) > 0.5",
                           "P(p < TV) > 0.9", tv=0.3)  # fmt: skip
        calibrate_dual(rule, (10, 20, 30, 40), alpha=0.1, beta=0.2, go=grid(0.50, 0.99, 0.01),
                       nogo=grid(0.50, 0.99, 0.01))  # fmt: skip

    median, best = timed(dual, repeats=3)
    rows.append(("Go / Consider / No-Go search: 50 x 50 thresholds, 4 looks", median, best, None))
    rows += endpoint_benchmarks()
    rows += time_to_event_benchmarks()

    ten_looks = ap.BoundaryTable(
        looks=tuple(range(10, 101, 10)),
        futility=(0, 1, 2, 3, 5, 6, 7, 8, 9, 13),
        efficacy=(None,) * 9 + (14,),
    )
    median, best = timed(lambda: ap.stagewise_inference(ten_looks, 100, 20, p0=0.1), repeats=5)
    rows.append(("Exact inference, 10 looks to N = 100", median, best, 1.0))

    def help_text() -> None:
        subprocess.run([sys.executable, "-m", "adaptive_pilot.cli", "--help"],
                       capture_output=True, check=True, timeout=60)  # fmt: skip

    median, best = timed(help_text, repeats=5)
    rows.append(("adaptive-pilot --help (a new process)", median, best, 1.0))

    return rows


def endpoint_benchmarks() -> list[tuple[str, float, float, float | None]]:
    """Designs on several endpoints: exact OC, calibration and simulation.

    Limits. The exact OC's recursion adds one patient at a time on the lattice of the E
    endpoint counts: about N (N + 1)^E / (E + 1) cells x J category steps x scenarios
    (the lattice grows with n). For the shipped three-endpoint design (N = 50, 6
    categories, 4 scenarios) that is 50 x 51^3 / 4 x 6 x 4 = 40M multiply-adds, some
    0.05 s at the 1 G/s a numpy pass over float64 reaches here. The calibration runs the
    forward recursion once per distinct prefix of bounds and the last stretch backwards
    once per distinct final bound, so its cost is set by how many distinct bounds the grid
    makes, not by the grid's size.
    """
    from adaptive_pilot.simulation.endpoints import simulate_endpoints
    from adaptive_pilot.spec import load_design

    rows: list[tuple[str, float, float, float | None]] = []
    resolved = load_design(ROOT / "designs" / "motivating_trial_endpoints.yaml")
    design = resolved.endpoint_design
    nulls, alternatives = resolved.endpoint_scenarios()
    scenarios = {**nulls, **alternatives}
    median, best = timed(lambda: design.oc(scenarios), repeats=7)
    rows.append(("Exact OC, 3 endpoints, N = 50, 5 looks, 4 scenarios", median, best, 0.5))
    median, best = timed(resolved.calibrate, repeats=3)
    rows.append(("Three-endpoint calibration: 50 lambda x 37 gamma, N = 50", median, best, 10.0))
    cohorts, accrual = resolved.endpoint_trial()
    simulated = resolved.endpoint_design_scenarios()
    median, best = timed(
        lambda: simulate_endpoints(cohorts, accrual, simulated, 100_000, 1, progress=False),
        repeats=3,
    )
    rows.append(("Simulation, 4 cohorts x 3 endpoints, 4 scenarios, 100k trials", median, best,
                 None))  # fmt: skip
    borrowing = resolved.endpoint_borrowing("hierarchical")
    median, best = timed(
        lambda: simulate_endpoints(
            cohorts, accrual, simulated[-1:], 20_000, 1, borrowing=borrowing, progress=False
        ),
        repeats=3,
    )
    rows.append(("The same with borrowing (Berry's model per endpoint), 1 scenario, 20k trials",
                 median, best, None))  # fmt: skip
    return rows


def time_to_event_benchmarks() -> list[tuple[str, float, float, float | None]]:
    """PFS monitored against a goal: the exact Gamma-sum posterior and the simulation.

    Limits. P(S(H) > goal | data) for a three-piece model is a series of about 30-200
    mixture terms per dataset, each a few flops after an FFT of that length: a few
    microseconds per dataset in numpy. A simulated look with M imputations needs M (and,
    for futility, M more) such posteriors per trial and cohort, plus M x (patients in
    follow-up + patients to come) residual-time draws; for the shipped design (4 cohorts, 2
    looks, 1,000 imputations) that is about 16,000 posteriors and 0.4M draws per trial,
    some 20 ms at the rates measured here. The threshold comparisons inside the
    imputations are settled by Chernoff and truncated-series bounds, so most cost one
    short series rather than the full one.

    With borrowing by model averaging a cohort's P(S(H) > goal) is a mixture over the 8
    blocks that may hold it (4 cohorts, 15 partitions): 8 posteriors where there was one,
    so about 8 times the work per imputation at the least; bounds on each block settle most
    comparisons, and the block with the widest bound is computed exactly first.
    """
    import numpy as np

    from adaptive_pilot._gamma_sum import gamma_sum_cdf
    from adaptive_pilot.simulation.survival_monitoring import simulate_survival_monitoring
    from adaptive_pilot.spec import load_design

    rng = np.random.default_rng(1)
    events = rng.poisson((8, 5, 3), (100_000, 3))
    exposure = rng.uniform((60, 40, 25), (80, 55, 35), (100_000, 3))
    median, best = timed(
        lambda: gamma_sum_cdf(-np.log(0.3), 0.1 + events, 2.0 / (0.1 + exposure)), repeats=3
    )
    rows: list[tuple[str, float, float, float | None]] = [
        ("Exact posterior P(S(6) > goal), 3 pieces, 100k datasets", median, best, 5.0)
    ]
    resolved = load_design(ROOT / "designs" / "motivating_trial_pfs.yaml")
    cohorts, accrual = resolved.survival_trial()
    scenarios = resolved.survival_scenarios()[:1]
    median, best = timed(
        lambda: simulate_survival_monitoring(cohorts, accrual, scenarios, 500, 1, progress=False),
        repeats=3,
    )
    rows.append(("PFS design: 500 trials, 4 cohorts, 2 looks, 1,000 imputations", median, best,
                 None))  # fmt: skip
    # borrowing by model averaging: each posterior is a mixture over the 8 blocks that may
    # hold the cohort (15 partitions); the comparisons settle on bounds first
    borrowing = load_design(ROOT / "designs" / "motivating_trial_pfs_borrowing.yaml")
    cohorts, accrual = borrowing.survival_trial()
    model = borrowing.survival_borrowing()
    median, best = timed(
        lambda: simulate_survival_monitoring(cohorts, accrual, borrowing.survival_scenarios()[:1],
                                             100, 1, borrowing=model, progress=False),
        repeats=3,
    )  # fmt: skip
    rows.append(("PFS design with model averaging: 100 trials, 1,000 imputations", median, best,
                 None))  # fmt: skip
    return rows


def report(rows: list[tuple[str, float, float, float | None]]) -> None:
    """One line per benchmark: median, best, target and whether it is met."""
    width = max(len(name) for name, *_ in rows)
    print(f"{'benchmark':<{width}}  {'median':>9}  {'best':>9}  {'target':>8}  status")
    for name, median, best, target in rows:
        target_text = f"{target:.3f} s" if target else "-"
        status = "" if target is None else ("ok" if median < target else "SLOW")
        print(f"{name:<{width}}  {median:8.4f}s  {best:8.4f}s  {target_text:>8}  {status}")


if __name__ == "__main__":
    main()
