"""Shared test helpers."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=60, deadline=None)
settings.load_profile("ci")


def enumerate_outcomes(looks, futility, efficacy, p):
    """Brute-force OC: walk every one of the 2**N response sequences.

    Returns (P(stop futility at look k), P(stop efficacy at look k)) as lists.
    ``futility``/``efficacy`` use None for "never"; the final look must have both.
    """
    n_max = looks[-1]
    fut = [0.0] * len(looks)
    eff = [0.0] * len(looks)
    for sequence in itertools.product((0, 1), repeat=n_max):
        x = sum(sequence)
        prob = p**x * (1 - p) ** (n_max - x)
        for k, n in enumerate(looks):
            responses = sum(sequence[:n])
            f, e = futility[k], efficacy[k]
            if f is not None and responses <= f:
                fut[k] += prob
                break
            if e is not None and responses >= e:
                eff[k] += prob
                break
    return np.array(fut), np.array(eff)


def system_binary(binary, packages):
    """Path of a system program, installed from the system packages when missing.

    Tests that need one (pdflatex, chromium, nginx) call this: as root with apt-get it installs
    ``packages``; otherwise the test is skipped, except in CI (``CI`` set),
    where a missing program is a failure (``.ci/run`` installs them first).
    """
    import os
    import shutil
    import subprocess

    import pytest

    def which() -> str | None:  # daemons such as nginx live in sbin, not always on PATH
        return shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/sbin")

    found = which()
    if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(
            ["apt-get", "install", "-y", "--no-install-recommends", *packages],
            check=False, capture_output=True, timeout=900,
        )  # fmt: skip
        found = which()
    if found is None:
        message = f"{binary} is not installed (apt-get install {' '.join(packages)})"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@pytest.fixture(autouse=True)
def _workers_for_every_run(monkeypatch):
    """Runs with n_jobs > 1 start their workers however short (tests' runs are short).

    The command line and the library start workers only for runs long enough to
    gain from them (``WORKER_START_S``); the tests check the workers' path, and
    ``test_simulate`` checks the short-run path with this set back.
    """
    from adaptive_pilot.simulation import workers

    monkeypatch.setattr(workers, "WORKER_START_S", 0.0)
