"""Progress of a long simulation: a bar on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Protocol

__all__ = ["LOG_INTERVAL_S", "Progress", "progress_reporter", "stderr_line"]

#: Seconds between two progress lines when stderr is not a terminal.
LOG_INTERVAL_S = 10.0


class Progress(Protocol):
    """What the runner tells about its progress."""

    def update(self, trials: int) -> None:
        """``trials`` more trials are done (one chunk)."""

    def close(self) -> None:
        """The run is over."""


def stderr_line(line: str) -> None:
    """Print ``adaptive-pilot: line`` on standard error."""
    print(f"adaptive-pilot: {line}", file=sys.stderr, flush=True)


def progress_reporter(
    mode: bool | Progress | None,
    *,
    n_chunks: int,
    total: int,
    initial_chunks: int,
    initial: int,
    log: Callable[[str], None],
    interval: float | None = None,
) -> Progress:
    """The progress display for a run.

    Parameters
    ----------
    mode : bool, Progress or None
        ``False``: nothing. ``True``: a progress bar. ``None``: a bar when stderr
        is a terminal, otherwise a log line at most every ``interval`` seconds.
        A :class:`Progress` object (``update`` / ``close``) is told directly (a web
        page's progress bar).
    n_chunks, total : int
        Chunks and trials in the whole run.
    initial_chunks, initial : int
        Chunks and trials already done (resumed from checkpoints).
    log : callable
        Receives the log lines.
    interval : float, optional
        Seconds between log lines (default ``LOG_INTERVAL_S``).
    """
    if mode is False:
        return _Silent()
    if not isinstance(mode, bool) and mode is not None:
        return mode
    if mode is True or (mode is None and sys.stderr.isatty()):
        from tqdm import tqdm

        bar: Any = tqdm(
            total=total, initial=initial, unit=" trials", unit_scale=True, desc="simulating"
        )
        return bar
    return LogLines(
        n_chunks,
        total,
        initial_chunks,
        initial,
        log,
        LOG_INTERVAL_S if interval is None else interval,
    )


class _Silent:
    def update(self, trials: int) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


class LogLines:
    """One line (chunks done, trials/s, time left) at most every ``interval`` seconds."""

    def __init__(
        self,
        n_chunks: int,
        total: int,
        initial_chunks: int,
        initial: int,
        log: Callable[[str], None],
        interval: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.n_chunks, self.total = n_chunks, total
        self.chunks, self.trials = initial_chunks, initial
        self.fresh = 0
        self.log, self.interval, self.clock = log, interval, clock
        self.started = self.last = clock()

    def update(self, trials: int) -> None:
        """Count a finished chunk; log a line if ``interval`` has passed since the last."""
        self.chunks += 1
        self.trials += trials
        self.fresh += trials
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            self.log(self.line(now))

    def line(self, now: float) -> str:
        """The progress line at time ``now``."""
        elapsed = max(now - self.started, 1e-9)
        rate = self.fresh / elapsed
        left = (self.total - self.trials) / rate if rate > 0 else float("inf")
        return (
            f"simulating: {self.chunks}/{self.n_chunks} chunks, "
            f"{self.trials:,}/{self.total:,} trials, {rate:,.0f} trials/s, "
            f"about {_duration(left)} left"
        )

    def close(self) -> None:
        """Nothing to close."""


def _duration(seconds: float) -> str:
    if seconds == float("inf"):
        return "? s"
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
