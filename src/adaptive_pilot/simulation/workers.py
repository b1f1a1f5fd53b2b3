"""Running chunks in worker processes that never outlive the run that started them.

A worker (loky or a local dask worker) that loses its parent, for instance when
the parent is killed with SIGKILL and cannot tell anyone, would otherwise finish
its current chunk and then idle for minutes. Each worker therefore starts, with
its first chunk, a daemon thread that checks every second that the process that
started the run is still alive, and ends the worker at once when it is not.

A worker also keeps the memory it frees for its next chunk (glibc's allocator
would otherwise return every array of more than 128 kB to the system and
page-fault it back in on the next chunk: a third of an independent run's time
on two workers). This is set only in the worker processes a run starts itself
(loky's), never in the user's process or in a dask cluster's workers.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._files import process_alive

__all__ = [
    "WATCH_INTERVAL_S",
    "RunOwner",
    "check_run_settings",
    "run_jobs",
    "run_provenance",
    "stop_workers",
    "summed_chunks",
]

#: Seconds between two checks that the run's parent process is alive.
WATCH_INTERVAL_S = 1.0

_watching: int | None = None
_lock = threading.Lock()


class RunOwner:
    """The process that started a run: a worker ends when it is gone."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.host = socket.gethostname()

    def guard(self) -> None:
        """In a worker: start the watch thread (once per process)."""
        global _watching
        if os.getpid() == self.pid or socket.gethostname() != self.host:
            return  # the parent itself, or a remote worker that cannot see it
        with _lock:
            if _watching == self.pid:
                return
            _watching = self.pid
        started_by_owner = os.getppid() == self.pid
        if started_by_owner:  # a loky worker of this run, not someone's dask worker
            keep_freed_memory()
        thread = threading.Thread(
            target=_watch, args=(self.pid, started_by_owner), name="adaptive-pilot-watch"
        )
        thread.daemon = True
        thread.start()


# glibc mallopt parameters, and the largest mmap threshold it accepts on 64-bit systems
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD_MAX = 32 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Let this process reuse freed arrays of up to 32 MB instead of unmapping them.

    Returns whether the C library took the setting (glibc only; elsewhere nothing
    is changed). Memory then stays with the process until it ends, so this is
    for worker processes.
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD_MAX)) and bool(
        mallopt(_M_TRIM_THRESHOLD, 4 * _MMAP_THRESHOLD_MAX)
    )


def _watch(pid: int, started_by_owner: bool) -> None:
    while True:
        time.sleep(WATCH_INTERVAL_S)
        orphaned = started_by_owner and os.getppid() != pid
        if orphaned or not process_alive(pid):
            os._exit(1)


def _guarded[T](owner: RunOwner, function: Callable[..., T], *args: Any) -> T:
    owner.guard()
    return function(*args)


def run_jobs[T](
    function: Callable[..., T],
    shared: tuple[Any, ...],
    jobs: list[tuple[Any, ...]],
    n_jobs: int,
    client: Any,
) -> Iterator[T]:
    """``function(*shared, *job)`` for every job, in completion order.

    In this process when ``n_jobs`` is 1 and there is no dask ``client``; on the
    dask cluster of ``client`` (the ``shared`` arguments are scattered to the
    workers once); otherwise ``n_jobs`` processes share the jobs: this one and
    ``n_jobs - 1`` loky workers (see :func:`_with_loky_workers`).
    """
    if not jobs:
        return iter(())
    if client is None and n_jobs == 1:
        return (function(*shared, *job) for job in jobs)
    if client is None:
        return _with_loky_workers(function, shared, jobs, n_jobs - 1)
    import joblib

    owner = RunOwner()
    calls = (joblib.delayed(_guarded)(owner, function, *shared, *job) for job in jobs)

    def on_dask() -> Iterator[T]:
        with joblib.parallel_config(backend="dask", scatter=list(shared)):
            yield from joblib.Parallel(return_as="generator_unordered")(calls)

    return on_dask()


#: A run starts workers only when its remaining jobs would take longer than this here.
#: A new loky worker needs about 1 s (Python, imports) before it can take a job, and
#: meanwhile competes with this process for the cores; measured on 2 cores, a worker
#: gains only when the remaining work is about twice that.
WORKER_START_S = 2.0


def _with_loky_workers[T](
    function: Callable[..., T], shared: tuple[Any, ...], jobs: list[tuple[Any, ...]], workers: int
) -> Iterator[T]:
    """The jobs shared between this process and up to ``workers`` loky worker processes.

    This process starts at once. After two jobs (the first one pays for one-off
    set-up) it knows what a job costs; workers are started only when the jobs
    left would take longer than :data:`WORKER_START_S`, so a short run is not
    slowed down by starting processes it would not use. Each worker is first
    sent a job that only loads ``function`` and the shared arguments; once one
    has answered, the workers are kept two jobs ahead, and between collecting
    their results this process takes the next job itself. The jobs themselves
    decide the results (each has its own seed), so which process runs which job
    changes nothing.
    """
    from concurrent.futures import FIRST_COMPLETED, Future, wait

    waiting = list(reversed(jobs))  # the next job is the last item
    for _ in range(2):
        if not waiting:
            return
        started = time.perf_counter()
        result = function(*shared, *waiting.pop())
        cost = time.perf_counter() - started
        yield result
    if cost * len(waiting) <= WORKER_START_S:
        while waiting:
            yield function(*shared, *waiting.pop())
        return

    from joblib.externals.loky import get_reusable_executor

    executor = get_reusable_executor(max_workers=workers)
    owner = RunOwner()
    probes = [executor.submit(_guarded, owner, _loaded, function, *shared) for _ in range(workers)]
    _submitted.extend(probes)
    running: set[Future[T]] = set()
    while waiting or running:
        if any(probe.done() for probe in probes):
            while waiting and len(running) < 2 * workers:
                running.add(executor.submit(_guarded, owner, function, *shared, *waiting.pop()))
                _submitted.extend(running)
        finished = {future for future in running if future.done()}
        if not finished and not waiting and running:
            finished = wait(running, return_when=FIRST_COMPLETED).done
        for future in finished:
            running.discard(future)
            yield future.result()
        if waiting:
            yield function(*shared, *waiting.pop())
    _submitted[:] = [future for future in _submitted if not future.done()]


def _loaded(*_: Any) -> None:
    """A worker's first job: receiving the function and arguments loads their modules."""


#: Futures this process handed to loky workers (so that :func:`stop_workers` knows
#: whether any is still out).
_submitted: list[Any] = []


def stop_workers() -> None:
    """End the loky workers now, for a process about to exit (the command line).

    Otherwise the interpreter keeps the idle workers' manager alive until it has
    shut them down at exit. Workers are stopped at once only when they hold no
    job (loky's manager fails on a job taken away from it); a worker still
    starting up when a short run ended is left to finish starting.
    """
    import sys

    module = sys.modules.get("joblib.externals.loky.reusable_executor")
    executor = getattr(module, "_executor", None)  # the one running, if any (not a new one)
    if executor is None:
        return
    idle = all(future.done() for future in _submitted)
    _submitted.clear()
    executor.shutdown(wait=False, kill_workers=idle)


def _refused_at_once(scheduler: str) -> None:
    """A TCP scheduler address whose port refuses the connection is said at once (the
    client would retry until its 5-second timeout); anything else is left to the client."""
    from ..errors import InputError

    if not scheduler.startswith("tcp://"):
        return
    host, _, port = scheduler.removeprefix("tcp://").rstrip("/").rpartition(":")
    if not host or not port.isdigit():
        return
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=5):
            pass
    except ConnectionRefusedError:
        raise InputError(
            "scheduler", f"cannot reach {scheduler}: the connection was refused"
        ) from None
    except OSError:  # unresolved or unreachable: the client says it, after its timeout
        return


@contextlib.contextmanager
def dask_client(scheduler: str | None, n_jobs: int) -> Iterator[Any]:
    """A dask.distributed client: on ``scheduler``, or on a local cluster of ``n_jobs``."""
    from ..errors import InputError

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
    _refused_at_once(scheduler)
    try:
        client = Client(scheduler, timeout="5s")
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError("scheduler", f"cannot reach {scheduler}: {reason}") from None
    with client:
        yield client


def check_run_settings(n_trials: Any, seed: Any, chunk_size: Any, n_jobs: Any) -> None:
    """Each of a simulation's integer settings, checked in one line each."""
    from ..errors import InputError

    for name, value, low in (("n_trials", n_trials, 1), ("chunk_size", chunk_size, 1),
                             ("seed", seed, 0), ("n_jobs", n_jobs, 1)):  # fmt: skip
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InputError(name, f"must be an integer >= {low} (got {value!r})")


def summed_chunks(
    function: Callable[..., tuple[int, list[dict[str, np.ndarray]]]],
    shared: tuple[Any, ...],
    n_trials: int,
    seed: int,
    chunk_size: int,
    n_jobs: int,
    n_scenarios: int,
    reporter_of: Callable[[int], Any],
) -> tuple[list[dict[str, np.ndarray]], int]:
    """Run ``function(*shared, index, seed, size)`` on every chunk of a simulation and add up
    each scenario's sums in chunk order (identical for any ``n_jobs``).

    Chunk i has ``min(chunk_size, what is left)`` trials and the i-th child of
    ``SeedSequence(seed)``; ``function`` returns (i, one dict of sums per scenario).
    ``reporter_of(n_chunks)`` makes the progress reporter. Returns the totals per
    scenario and the number of chunks.
    """
    n_chunks = math.ceil(n_trials / chunk_size)
    sizes = [min(chunk_size, n_trials - i * chunk_size) for i in range(n_chunks)]
    children = np.random.SeedSequence(int(seed)).spawn(n_chunks)
    reporter = reporter_of(n_chunks)
    jobs = [(i, children[i], sizes[i]) for i in range(n_chunks)]
    done: dict[int, list[dict[str, np.ndarray]]] = {}
    for index, stats in run_jobs(function, shared, jobs, n_jobs, None):
        done[index] = stats
        reporter.update(sizes[index])
    reporter.close()
    totals: list[dict[str, np.ndarray]] = [
        {key: np.sum([done[i][s][key] for i in range(n_chunks)], axis=0) for key in done[0][s]}
        for s in range(n_scenarios)
    ]
    return totals, n_chunks


def run_provenance(
    design_hash: str,
    seed: int,
    n_trials: int,
    algorithm: str,
    *,
    started: float,
    chunk_size: int | None = None,
    n_chunks: int | None = None,
    n_jobs: int = 1,
    **more: Any,
) -> Any:
    """A simulation's provenance: method, seed, trials, the algorithm in words, the chunking
    (part of the reproducibility contract), numpy's version and the wall time."""
    from ..provenance import Provenance

    chunks = {} if chunk_size is None else {"chunk_size": chunk_size, "n_chunks": n_chunks}
    return Provenance(
        "monte carlo",
        design_hash,
        int(seed),
        int(n_trials),
        details={
            "algorithm": algorithm,
            **more,
            **chunks,
            "n_jobs": n_jobs,
            "numpy_version": np.__version__,
            "wall_time_s": round(time.perf_counter() - started, 3),
        },
    )
