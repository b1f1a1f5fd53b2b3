"""Write (or compare) the JSON/CSV outputs of the shipped examples.

The redesign of issue 24 keeps every printed number: ``tests/test_golden.py``
runs the same commands and compares them with the files written here before
the redesign, byte for byte apart from time, version, commit and design hashes.

Usage: ``python scripts/golden.py OUT_FOLDER``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: the interim call on the shipped synthetic patients (JSON output)
INTERIM = [
    "interim",
    "designs/motivating_trial.yaml",
    "--data",
    "designs/motivating_trial_synthetic_patients.csv",
    "--as-of",
    "2026-06-30",
    "--json",
]
#: name -> command line (after ``adaptive-pilot``)
COMMANDS: dict[str, list[str]] = {
    "design_motivating.json": ["design", "designs/motivating_trial.yaml", "--json"],
    "design_bop2.json": ["design", "designs/bop2_example.yaml", "--json"],
    "design_lee_liu.json": ["design", "designs/lee_liu_example.yaml", "--json"],
    "design_simon.json": ["design", "designs/simon_example.toml", "--json"],
    "design_basket.json": ["design", "designs/basket_4x20.yaml", "--json"],
    "simulate_motivating.json": [
        "simulate",
        "designs/motivating_trial.yaml",
        "--scenarios",
        "simulations/motivating_trial.yaml",
        "--n-trials",
        "400",
        "--seed",
        "7",
        "--no-progress",
        "--json",
    ],
    "simulate_motivating_hier.json": [
        "simulate",
        "designs/motivating_trial.yaml",
        "--scenarios",
        "simulations/motivating_trial.yaml",
        "--n-trials",
        "200",
        "--seed",
        "3",
        "--analysis",
        "hierarchical",
        "--no-progress",
        "--json",
    ],
    "interim_motivating.json": [*INTERIM],
    "interim_motivating_hier.json": [*INTERIM, "--analysis", "hierarchical"],
}

#: report --format csv: the folder's CSV files are compared one by one.
REPORTS: dict[str, list[str]] = {
    "report_bop2": [
        "report",
        "designs/bop2_example.yaml",
        "--compare",
        "designs/simon_example.toml",
        "designs/lee_liu_example.yaml",
        "--format",
        "csv",
    ],
    "report_motivating": [
        "report",
        "designs/motivating_trial.yaml",
        "--format",
        "csv",
        "--scenarios",
        "simulations/motivating_trial.yaml",
        "--n-trials",
        "200",
        "--seed",
        "5",
        "--no-progress",
    ],
}


_MAIN = "import sys; from adaptive_pilot.cli import main; sys.exit(main())"


def run(args: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _MAIN, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr}")
    return done.stdout


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, args in COMMANDS.items():
        (out / name).write_text(run(args))
    for name, args in REPORTS.items():
        folder = out / name
        run([*args, "--out", str(folder)])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
