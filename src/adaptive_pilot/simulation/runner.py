"""Seeded, chunked, parallel Monte Carlo runner with checkpoint/resume.

Reproducibility contract: trials are simulated in fixed-size chunks; chunk i uses
the i-th child of ``numpy.random.SeedSequence(seed)``. The chunk size never
depends on the number of workers or the backend, and chunk statistics are combined
in chunk order, so results are bit-identical for any ``n_jobs`` and for the loky
and dask backends (on the same platform and numpy version).

Checkpointing: with an output folder, each finished chunk is written to
``OUT/chunks/`` (atomically) as it arrives. Running the same command again skips
the chunks already there, so an interrupted run resumes and ends with the same
results as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .._files import atomic_write
from ..cohorts.hierarchical import PosteriorTables
from ..cohorts.trial import TrialDesign
from ..errors import InputError
from ..provenance import Provenance, package_version
from .kernel import draw, posterior_tables, run_trials
from .scenarios import Scenario, scenarios_hash
from .summary import SimulationResult, chunk_statistics, combine, result_frame

__all__ = ["CHUNK_SIZE", "simulate"]

#: Trials per chunk (part of the reproducibility contract; recorded in provenance).
CHUNK_SIZE = 2_000
_MANIFEST = "run.json"


def simulate(
    trial: TrialDesign,
    scenarios: list[Scenario],
    n_trials: int,
    seed: int,
    *,
    n_jobs: int = 1,
    backend: str = "loky",
    scheduler: str | None = None,
    out: str | Path | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: bool | None = None,
) -> SimulationResult:
    """Simulate every scenario on ``n_trials`` trials.

    Parameters
    ----------
    trial : TrialDesign
        Cohorts, accrual and borrowing model.
    scenarios : list of Scenario
        True rates per cohort.
    n_trials : int
        Number of simulated trials per scenario (common random numbers across scenarios).
    seed : int
        Root seed (a non-negative integer).
    n_jobs : int, default 1
        Parallel workers (joblib).
    backend : {"loky", "dask"}
        joblib backend; ``dask`` uses a dask.distributed cluster: the one at
        ``scheduler``, or a local cluster with ``n_jobs`` workers.
    out : path, optional
        Folder for checkpoints and ``results.csv`` / ``results.json``.
    chunk_size : int, default 2000
        Trials per chunk.
    progress : bool, optional
        Show a progress bar (default: when stderr is a terminal).

    Returns
    -------
    SimulationResult
    """
    started = time.perf_counter()
    n_trials = _positive_int("n_trials", n_trials)
    chunk_size = _positive_int("chunk_size", chunk_size)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError("seed", f"must be a non-negative integer (got {seed!r})")
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs < 1:
        raise InputError("n_jobs", f"must be a positive integer (got {n_jobs!r})")
    if backend not in ("loky", "dask"):
        raise InputError("backend", f"must be 'loky' or 'dask' (got {backend!r})")
    if scheduler is not None and backend != "dask":
        raise InputError("scheduler", "is only used with backend 'dask'")
    if not scenarios:
        raise InputError("scenarios", "at least one scenario is needed")

    n_chunks = math.ceil(n_trials / chunk_size)
    sizes = [min(chunk_size, n_trials - i * chunk_size) for i in range(n_chunks)]
    manifest = {
        "package_version": package_version(),
        "numpy_version": np.__version__,
        "seed": int(seed),
        "n_trials": n_trials,
        "chunk_size": chunk_size,
        "design_hash": trial.design_hash(),
        "scenarios_hash": scenarios_hash(scenarios, trial.cohort_names),
    }
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(_dask_client(scheduler, n_jobs)) if backend == "dask" else None
        folder = _prepare_folder(out, manifest) if out is not None else None
        done = _load_chunks(folder, n_chunks) if folder is not None else {}
        tables = posterior_tables(trial) if trial.borrowing is not None else None
        children = np.random.SeedSequence(int(seed)).spawn(n_chunks)
        pending = [i for i in range(n_chunks) if i not in done]
        bar = _progress_bar(progress, n_trials, sum(sizes[i] for i in done))
        results = _execute(
            trial, scenarios, tables, [(i, children[i], sizes[i]) for i in pending], n_jobs, client
        )
        for index, stats in results:
            done[index] = stats
            if folder is not None:
                _save_chunk(folder, index, stats)
            bar.update(sizes[index])
        bar.close()

    per_scenario = [combine([done[i][s] for i in range(n_chunks)]) for s in range(len(scenarios))]
    frame = result_frame(trial, scenarios, per_scenario)
    details = {key: manifest[key] for key in ("numpy_version", "chunk_size", "scenarios_hash")} | {
        "n_chunks": n_chunks,
        "resumed_chunks": n_chunks - len(pending),
        "backend": backend,
        "n_jobs": n_jobs,
        "wall_time_s": round(time.perf_counter() - started, 3),
    }
    provenance = Provenance(
        "monte carlo", manifest["design_hash"], int(seed), n_trials, details=details
    )
    analysis = "independent" if trial.borrowing is None else "hierarchical borrowing"
    result = SimulationResult(frame, provenance, trial, tuple(scenarios), analysis)
    if folder is not None:
        _write_results(folder, result)
    return result


# ---------------------------------------------------------------- execution
def _run_chunk(
    trial: TrialDesign,
    scenarios: list[Scenario],
    tables: PosteriorTables | None,
    index: int,
    seed: np.random.SeedSequence,
    size: int,
) -> tuple[int, list[dict[str, np.ndarray]]]:
    rng = np.random.Generator(np.random.PCG64(seed))
    draws = draw(trial, rng, size)
    stats = []
    for scenario in scenarios:
        outcomes = run_trials(trial, draws, scenario.response, scenario.toxicity, tables)
        stats.append(chunk_statistics(trial, scenario, outcomes))
    return index, stats


def _execute(
    trial: TrialDesign,
    scenarios: list[Scenario],
    tables: PosteriorTables | None,
    jobs: list[tuple[int, np.random.SeedSequence, int]],
    n_jobs: int,
    client: Any,
) -> Iterator[tuple[int, list[dict[str, np.ndarray]]]]:
    if not jobs:
        return iter(())
    if client is None and n_jobs == 1:
        return (_run_chunk(trial, scenarios, tables, *job) for job in jobs)
    import joblib

    if client is None:
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        return iter(
            parallel(joblib.delayed(_run_chunk)(trial, scenarios, tables, *job) for job in jobs)
        )

    def run_on_dask() -> Iterator[tuple[int, list[dict[str, np.ndarray]]]]:
        with joblib.parallel_config(backend="dask", scatter=[trial, scenarios, tables]):
            parallel = joblib.Parallel(return_as="generator_unordered")
            yield from parallel(
                joblib.delayed(_run_chunk)(trial, scenarios, tables, *job) for job in jobs
            )

    return run_on_dask()


@contextlib.contextmanager
def _dask_client(scheduler: str | None, n_jobs: int) -> Iterator[Any]:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError(
            "backend", "'dask' needs dask.distributed: pip install 'adaptive-pilot[dask]'"
        ) from None
    if scheduler is None:
        with (
            LocalCluster(
                n_workers=n_jobs, threads_per_worker=1, dashboard_address=None, processes=True
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    try:
        client = Client(scheduler, timeout="5s")
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError("scheduler", f"cannot reach {scheduler}: {reason}") from None
    with client:
        yield client


def _progress_bar(progress: bool | None, total: int, initial: int) -> Any:
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit=" trials", unit_scale=True, desc="simulating")


class _NoBar:
    def update(self, n: int) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


# ---------------------------------------------------------------- checkpoints
def _prepare_folder(out: str | Path, manifest: dict[str, Any]) -> Path:
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise InputError("out", f"{folder} exists and is not a folder")
    path = folder / _MANIFEST
    if path.exists():
        try:
            previous = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            previous = None
        if previous != manifest:
            raise InputError(
                "out",
                f"{folder} holds a different simulation (design, scenarios, seed, n_trials or "
                "version differ); choose another folder or delete it",
            )
    elif folder.exists() and any(folder.iterdir()):
        raise InputError("out", f"{folder} is not empty and holds no adaptive-pilot simulation")
    (folder / "chunks").mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(manifest, indent=2).encode())
    return folder


def _chunk_path(folder: Path, index: int) -> Path:
    return folder / "chunks" / f"chunk-{index:06d}.npz"


def _save_chunk(folder: Path, index: int, stats: list[dict[str, np.ndarray]]) -> None:
    arrays = {f"{s}|{key}": value for s, block in enumerate(stats) for key, value in block.items()}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write(_chunk_path(folder, index), buffer.getvalue())


def _load_chunks(folder: Path, n_chunks: int) -> dict[int, list[dict[str, np.ndarray]]]:
    done: dict[int, list[dict[str, np.ndarray]]] = {}
    for index in range(n_chunks):
        path = _chunk_path(folder, index)
        if not path.exists():
            continue
        try:
            with np.load(path) as data:
                blocks: dict[int, dict[str, np.ndarray]] = {}
                for name in data.files:
                    s, key = name.split("|", 1)
                    blocks.setdefault(int(s), {})[key] = data[name]
        except (OSError, ValueError):
            continue  # damaged checkpoint: simulate the chunk again
        done[index] = [blocks[s] for s in sorted(blocks)]
    return done


def _write_results(folder: Path, result: SimulationResult) -> None:
    atomic_write(folder / "results.csv", result.frame.to_csv(index=False).encode())
    text = json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n"
    atomic_write(folder / "results.json", text.encode())


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(name, f"must be an integer >= 1 (got {value!r})")
    return int(value)
