"""Seeded, chunked, parallel Monte Carlo runner with checkpoint/resume.

Reproducibility contract: trials are simulated in fixed-size chunks; chunk i uses
the i-th child of ``numpy.random.SeedSequence(seed)``. The chunk size never
depends on the number of workers or the backend, and chunk statistics are combined
in chunk order, so results are bit-identical for any ``n_jobs`` and for the loky
and dask backends (on the same platform and numpy version).

Checkpointing (:mod:`.checkpoints`): with an output folder, each finished chunk is
written to ``OUT/chunks/`` atomically, with its index, the run's hash and a
checksum. Running the same command again uses the chunks already there, after
checking each, so an interrupted run resumes and ends with the same results as an
uninterrupted one; a damaged, foreign or misplaced chunk is reported and simulated
again. Worker processes end within seconds when the run's process dies
(:mod:`.workers`).
"""

from __future__ import annotations

import contextlib
import json
import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..cohorts.tables import PosteriorTables
from ..cohorts.trial import TrialDesign
from ..errors import InputError
from ..provenance import Provenance, package_version
from .checkpoints import CheckpointFolder, ChunkStats
from .kernel import draw, run_trials, shared_tables
from .progress import Progress, progress_reporter, stderr_line
from .scenarios import Scenario, scenarios_hash
from .summary import (
    SimulationResult,
    chunk_statistics,
    combine,
    result_frame,
    survival_look_frame,
)
from .survival import draw_survival, survival_outcomes
from .workers import dask_client, run_jobs

__all__ = ["CHUNK_SIZE", "simulate"]

#: Trials per chunk (part of the reproducibility contract; recorded in provenance).
CHUNK_SIZE = 2_000
#: Spawn key of each chunk's survival stream (its SeedSequence, extended by this).
SURVIVAL_STREAM = 1_000_003
#: the stream of true rates drawn from design priors (a scenario with response_prior)
PRIOR_STREAM = 1_000_033


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
    progress: bool | Progress | None = None,
    log: Callable[[str], None] = stderr_line,
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
        Processes that simulate at once: this one and up to ``n_jobs - 1`` loky
        workers, started only when the run is long enough to gain from them
        (a worker needs about a second to start). With ``backend="dask"``, the
        cluster's workers.
    backend : {"loky", "dask"}
        joblib backend; ``dask`` uses a dask.distributed cluster: the one at
        ``scheduler``, or a local cluster with ``n_jobs`` workers.
    out : path, optional
        Folder for checkpoints and ``results.csv`` / ``results.json``; an existing
        folder of the same run is resumed.
    chunk_size : int, default 2000
        Trials per chunk.
    progress : bool or Progress, optional
        ``True``: a progress bar; ``False``: nothing; default: a bar when stderr is
        a terminal, otherwise a line (chunks done, trials/s, time left) at most
        every 10 s. An object with ``update(trials)`` and ``close()`` is told of
        every chunk (as the web app's progress bar is).
    log : callable, default: print on stderr
        Receives progress lines and one line per checkpoint refused on resume.

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
    manifest: dict[str, Any] = {
        "package_version": package_version(),
        "numpy_version": np.__version__,
        "seed": int(seed),
        "n_trials": n_trials,
        "chunk_size": chunk_size,
        "design_hash": trial.design_hash(),
        "trial_hash": trial.content_hash(),
        "scenarios_hash": scenarios_hash(scenarios, trial.cohort_names),
    }
    with contextlib.ExitStack() as stack:
        client = stack.enter_context(dask_client(scheduler, n_jobs)) if backend == "dask" else None
        folder = CheckpointFolder.open(out, manifest) if out is not None else None
        done: dict[int, ChunkStats] = {}
        refused: list[tuple[int, str]] = []
        if folder is not None:
            done, refused = folder.load(sizes, len(scenarios), log)
        pending = [i for i in range(n_chunks) if i not in done]
        # in this process when it runs the chunks; otherwise each worker builds its own once
        local = client is None and n_jobs == 1
        tables = shared_tables(trial) if trial.borrowing is not None and local else None
        children = np.random.SeedSequence(int(seed)).spawn(n_chunks)
        reporter = progress_reporter(
            progress,
            n_chunks=n_chunks,
            total=n_trials,
            initial_chunks=len(done),
            initial=sum(sizes[i] for i in done),
            log=log,
        )
        jobs = [(i, children[i], sizes[i]) for i in pending]
        for index, stats in run_jobs(_run_chunk, (trial, scenarios, tables), jobs, n_jobs, client):
            done[index] = stats
            if folder is not None:
                folder.save(index, sizes[index], stats)
            reporter.update(sizes[index])
        reporter.close()

    per_scenario = [combine([done[i][s] for i in range(n_chunks)]) for s in range(len(scenarios))]
    frame = result_frame(trial, scenarios, per_scenario)
    details = {key: manifest[key] for key in ("numpy_version", "chunk_size", "scenarios_hash")} | {
        "n_chunks": n_chunks,
        "resumed_chunks": n_chunks - len(pending),
        "refused_chunks": [{"chunk": index, "reason": reason} for index, reason in refused],
        "backend": backend,
        "n_jobs": n_jobs,
        "wall_time_s": round(time.perf_counter() - started, 3),
    }
    provenance = Provenance(
        "monte carlo", str(manifest["design_hash"]), int(seed), n_trials, details=details
    )
    analysis = trial.analysis_label
    looks = survival_look_frame(trial, scenarios, per_scenario)
    result = SimulationResult(
        frame, provenance, trial, tuple(scenarios), analysis, None if looks.empty else looks
    )
    if folder is not None:
        folder.write_results(
            result.frame.to_csv(index=False),
            json.dumps(result.to_dict(), indent=2, allow_nan=False) + "\n",
        )
    return result


# ---------------------------------------------------------------- execution
def _run_chunk(
    trial: TrialDesign,
    scenarios: list[Scenario],
    tables: PosteriorTables | None,
    index: int,
    seed: np.random.SeedSequence,
    size: int,
) -> tuple[int, ChunkStats]:
    if tables is None and trial.borrowing is not None:
        tables = shared_tables(trial)
    rng = np.random.Generator(np.random.PCG64(seed))
    draws = draw(trial, rng, size)
    survival_draws = None
    if any(s.survival is not None for s in scenarios):
        # a second stream, so survival leaves every other simulated number unchanged
        stream = np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, SURVIVAL_STREAM))
        survival_draws = draw_survival(
            np.random.Generator(np.random.PCG64(stream)), draws.arrivals.shape
        )
    stats = []
    for s_index, scenario in enumerate(scenarios):
        rates = None
        if scenario.response_prior is not None:
            # a stream of its own per scenario: other scenarios' numbers are unchanged
            key = (*seed.spawn_key, PRIOR_STREAM, s_index)
            stream = np.random.SeedSequence(seed.entropy, spawn_key=key)
            rates = scenario.draw_rates(np.random.Generator(np.random.PCG64(stream)), size)
        outcomes = run_trials(
            trial,
            draws,
            scenario.response if rates is None else rates,
            scenario.toxicity,
            tables,
            scenario.odds_ratio,
        )
        survival = None
        if scenario.survival is not None:
            assert survival_draws is not None
            responded = draws.response_u < scenario.response[None, :, None]
            survival = survival_outcomes(
                scenario.survival,
                survival_draws,
                draws.arrivals,
                responded,
                scenario.response,
                outcomes.enrolled,
                outcomes.end_time,
                outcomes.look_time,
            )
        stats.append(chunk_statistics(trial, scenario, outcomes, survival, rates))
    return index, stats


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(name, f"must be an integer >= 1 (got {value!r})")
    return int(value)
