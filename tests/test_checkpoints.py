"""Checkpoints that cannot lie, workers that die with their run, umask, progress lines."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from adaptive_pilot import InputError
from adaptive_pilot.cli import main
from adaptive_pilot.simulation import progress as progress_module
from adaptive_pilot.simulation.progress import LogLines
from adaptive_pilot.simulation.runner import simulate
from test_simulate import MOTIVATING, two_cohort_trial, write

NULL_SCENARIO = "scenarios:\n  - {name: inactive, response: 0.1}\n"
RUN = {"n_trials": 5_000, "seed": 9, "chunk_size": 1000}


def chunk(out: Path, index: int) -> Path:
    return out / "chunks" / f"chunk-{index:06d}.npz"


@pytest.fixture
def finished(tmp_path):
    """A finished run in ``tmp_path/run`` and its result."""
    trial, scenarios = two_cohort_trial(tmp_path)
    out = tmp_path / "run"
    result = simulate(trial, scenarios, **RUN, out=out)
    return trial, scenarios, out, result


def resume(trial, scenarios, out):
    lines: list[str] = []
    result = simulate(trial, scenarios, **RUN, out=out, log=lines.append)
    return result, lines


def rewrite_npz(path: Path, change) -> None:
    """Rewrite a chunk file with ``change(arrays)`` applied (the record kept as it was)."""
    with np.load(path) as data:
        arrays = {name: data[name] for name in data.files}
    change(arrays)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path.write_bytes(buffer.getvalue())


def test_every_chunk_records_its_index_run_and_checksum(finished):
    _, _, out, _ = finished
    manifest = json.loads((out / "run.json").read_text())
    with np.load(chunk(out, 3)) as data:
        record = json.loads(data["__record__"].tobytes())
    assert record["chunk"] == 3 and record["trials"] == 1000 and len(record["sha256"]) == 64
    from adaptive_pilot.provenance import design_hash

    assert record["run"] == design_hash(manifest)


def test_misplaced_chunks_are_reported_and_simulated_again(finished):
    trial, scenarios, out, first = finished
    a, b = chunk(out, 1), chunk(out, 3)
    a_bytes, b_bytes = a.read_bytes(), b.read_bytes()
    a.write_bytes(b_bytes)
    b.write_bytes(a_bytes)
    again, lines = resume(trial, scenarios, out)
    pd.testing.assert_frame_equal(first.frame, again.frame, check_exact=True)
    assert lines == [
        "checkpoint chunks/chunk-000001.npz is misplaced (it holds chunk 3); "
        "simulating chunk 1 again",
        "checkpoint chunks/chunk-000003.npz is misplaced (it holds chunk 1); "
        "simulating chunk 3 again",
    ]
    details = again.provenance.details
    assert details["resumed_chunks"] == 3
    assert [r["chunk"] for r in details["refused_chunks"]] == [1, 3]
    # the re-simulated chunks were written back: a third run uses all five
    third, lines = resume(trial, scenarios, out)
    assert lines == [] and third.provenance.details["resumed_chunks"] == 5


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2]), "is damaged"),
        (lambda p: p.write_bytes(b""), "is damaged"),
        (lambda p: p.write_bytes(b"\x93NUMPY not really"), "is damaged"),
        (
            lambda p: rewrite_npz(
                p, lambda a: a.update({k: v + 1 for k, v in a.items() if "|" in k})
            ),
            "is damaged (checksum mismatch)",
        ),
        (lambda p: rewrite_npz(p, lambda a: a.pop("__record__")), "has no record of its run"),
        (
            lambda p: rewrite_npz(p, lambda a: a.update(__record__=np.frombuffer(b"{", np.uint8))),
            "its record cannot be read",
        ),
    ],
    ids=["truncated", "empty", "not-npz", "altered", "no-record", "bad-record"],
)
def test_damaged_chunk_is_reported_and_simulated_again(finished, damage, reason):
    trial, scenarios, out, first = finished
    damage(chunk(out, 2))
    again, lines = resume(trial, scenarios, out)
    pd.testing.assert_frame_equal(first.frame, again.frame, check_exact=True)
    assert len(lines) == 1 and lines[0].startswith("checkpoint chunks/chunk-000002.npz ")
    assert reason in lines[0] and lines[0].endswith("simulating chunk 2 again"), lines
    assert again.provenance.details["resumed_chunks"] == 4


def test_chunk_from_another_run_is_refused(finished, tmp_path):
    trial, scenarios, out, first = finished
    other = tmp_path / "other"
    simulate(trial, scenarios, **(RUN | {"seed": 10}), out=other)
    shutil.copy(chunk(other, 0), chunk(out, 0))
    again, lines = resume(trial, scenarios, out)
    pd.testing.assert_frame_equal(first.frame, again.frame, check_exact=True)
    assert lines == [
        "checkpoint chunks/chunk-000000.npz belongs to another run; simulating chunk 0 again"
    ]


def test_outputs_follow_the_umask(tmp_path):
    trial, scenarios = two_cohort_trial(tmp_path)
    previous = os.umask(0o027)
    try:
        out = tmp_path / "new" / "run"
        simulate(trial, scenarios, 2_000, seed=1, chunk_size=1000, out=out)
    finally:
        os.umask(previous)
    files = [out / "run.json", out / "results.csv", out / "results.json", chunk(out, 0)]
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o640}
    assert {stat.S_IMODE(p.stat().st_mode) for p in (out, out / "chunks")} == {0o750}
    assert not list(out.rglob(".*.tmp"))


def test_progress_lines_at_most_every_interval():
    now = [0.0]
    lines: list[str] = []
    log = LogLines(10, 10_000, 2, 2_000, lines.append, 10.0, clock=lambda: now[0])
    for t in (3.0, 9.9, 10.0, 12.0, 25.0):
        now[0] = t
        log.update(1_000)
    assert len(lines) == 2
    assert lines[0] == "simulating: 5/10 chunks, 5,000/10,000 trials, 300 trials/s, about 17 s left"
    assert lines[1].startswith("simulating: 7/10 chunks, 7,000/10,000 trials, 200 trials/s")


def test_progress_is_logged_when_stderr_is_not_a_terminal(tmp_path, monkeypatch):
    trial, scenarios = two_cohort_trial(tmp_path)
    monkeypatch.setattr(progress_module, "LOG_INTERVAL_S", 0.0)
    lines: list[str] = []
    simulate(trial, scenarios, 3_000, seed=1, chunk_size=1000, log=lines.append)
    assert [line.split(",")[0] for line in lines] == [
        "simulating: 1/3 chunks",
        "simulating: 2/3 chunks",
        "simulating: 3/3 chunks",
    ]
    assert all("trials/s" in line and line.endswith("left") for line in lines)
    quiet: list[str] = []
    simulate(trial, scenarios, 3_000, seed=1, chunk_size=1000, log=quiet.append, progress=False)
    assert quiet == []


# ----------------------------------------------------------------- bad --out
def run_simulate_cli(capsys, tmp_path, out: Path):
    scenarios = write(tmp_path, "s.yaml", NULL_SCENARIO)
    with pytest.raises(SystemExit) as exit_info:
        main(["simulate", str(MOTIVATING), "--scenarios", str(scenarios), "--n-trials", "100",
              "--out", str(out)])  # fmt: skip
    captured = capsys.readouterr()
    return exit_info.value.code, captured.out, captured.err


def test_out_under_a_file_is_refused(tmp_path, capsys):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    code, stdout, err = run_simulate_cli(capsys, tmp_path, blocker / "run")
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and "--out: " in err and "is a file" in err, err
    assert blocker.read_text() == "x"


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder nobody may write in: chmod for users, the immutable flag for root."""
    folder = tmp_path / "locked"
    folder.mkdir()
    if os.geteuid() == 0:
        chattr = shutil.which("chattr")
        if chattr is None or subprocess.run([chattr, "+i", str(folder)]).returncode != 0:
            pytest.skip("running as root on a file system without the immutable flag")
        yield folder
        subprocess.run([chattr, "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


def test_out_in_a_read_only_folder_is_refused(tmp_path, capsys, read_only_folder):
    code, stdout, err = run_simulate_cli(capsys, tmp_path, read_only_folder / "run")
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and "--out: cannot write in" in err, err
    assert list(read_only_folder.iterdir()) == []


def test_calibrate_write_to_bad_targets_is_refused(tmp_path, capsys, read_only_folder):
    design = Path(__file__).resolve().parents[1] / "designs" / "bop2_example.yaml"
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    cases = {
        str(read_only_folder / "out.yaml"): "permission denied",
        str(blocker / "out.yaml"): "does not exist",
        str(tmp_path): "is a folder",
        str(tmp_path / "out.txt"): "must end in .yaml",
    }
    for target, needle in cases.items():
        with pytest.raises(SystemExit) as exit_info:
            main(["calibrate", str(design), "--write", target])
        captured = capsys.readouterr()
        assert exit_info.value.code == 2 and captured.out == ""
        assert captured.err.count("\n") == 1 and "--write: " in captured.err, captured.err
        assert needle in captured.err, captured.err
    assert list(read_only_folder.iterdir()) == [] and blocker.read_text() == "x"


def test_api_refuses_out_under_a_file(tmp_path):
    trial, scenarios = two_cohort_trial(tmp_path)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(InputError, match="is a file"):
        simulate(trial, scenarios, 100, seed=1, out=blocker / "a" / "b")


# ------------------------------------------------------------ killed parent
def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux)")
@pytest.mark.parametrize("backend", ["loky", "dask"])
def test_workers_end_within_10_s_of_the_parent_being_killed(tmp_path, backend):
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "adaptive_pilot.cli", "simulate", str(MOTIVATING),
         "--scenarios", str(write(tmp_path, "s.yaml", NULL_SCENARIO)),
         "--analysis", "hierarchical", "--n-trials", "2000000", "--seed", "1",
         "--chunk-size", "500", "--n-jobs", "2", "--backend", backend, "--no-progress",
         "--out", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.time() + 120
        while time.time() < deadline and len(list(out.glob("chunks/chunk-*.npz"))) < 4:
            time.sleep(0.1)
        workers = {pid for pid in _descendants(process.pid) if _running(pid)}
        assert len(list(out.glob("chunks/chunk-*.npz"))) >= 4 and len(workers) >= 2
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed = time.time()
    while time.time() - killed < 10 and any(_running(pid) for pid in workers):
        time.sleep(0.2)
    alive = [pid for pid in workers if _running(pid)]
    for pid in alive:  # do not leave them behind even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert alive == [], f"{len(alive)} of {len(workers)} workers outlived the run by 10 s"
