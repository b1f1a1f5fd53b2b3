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
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .._files import process_alive

__all__ = ["WATCH_INTERVAL_S", "RunOwner", "run_jobs"]

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

    In this process when ``n_jobs`` is 1 and there is no dask ``client``; otherwise
    on joblib's loky backend, or on the dask cluster of ``client`` (the ``shared``
    arguments are scattered to the workers once).
    """
    if not jobs:
        return iter(())
    if client is None and n_jobs == 1:
        return (function(*shared, *job) for job in jobs)
    import joblib

    owner = RunOwner()
    calls = (joblib.delayed(_guarded)(owner, function, *shared, *job) for job in jobs)
    if client is None:
        parallel = joblib.Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        return iter(parallel(calls))

    def on_dask() -> Iterator[T]:
        with joblib.parallel_config(backend="dask", scatter=list(shared)):
            yield from joblib.Parallel(return_as="generator_unordered")(calls)

    return on_dask()


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
    try:
        client = Client(scheduler, timeout="5s")
    except (OSError, TimeoutError, ValueError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError("scheduler", f"cannot reach {scheduler}: {reason}") from None
    with client:
        yield client
