"""Held-out bad inputs: each is one line naming the option, exit 2, no traceback, no hang.

And what a killed run leaves behind (temporary files of a process that no
longer runs) is removed by the next run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from adaptive_pilot._files import remove_stale
from test_interim import DESIGN, PATIENTS

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "simulations" / "motivating_trial.yaml"


def _cli(*args, timeout=120):
    return subprocess.run([sys.executable, "-m", "adaptive_pilot.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def _one_line(done, fragment):
    assert done.returncode == 2 and done.stdout == "", done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1, done.stderr
    assert fragment in done.stderr, done.stderr


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_yaml_tag_is_refused_on_one_line(tmp_path):
    design = tmp_path / "d.yaml"
    design.write_text('name: x\np0: !!python/object/apply:os.system ["echo hi"]\n')
    _one_line(_cli("design", design), "d.yaml:2: has the YAML tag !!python/object/apply:os.system")


def test_an_out_that_is_a_link_to_nothing_is_refused_before_any_work(tmp_path):
    link = tmp_path / "report"
    link.symlink_to(tmp_path / "gone" / "away")
    done = _cli("report", DESIGN, "--out", link, "--format", "md")
    _one_line(done, f"--out: {link} is a link to {tmp_path / 'gone' / 'away'}, which does not")
    done = _cli("interim", DESIGN, "--data", PATIENTS, "--as-of", "2026-06-30", "--out", link)
    _one_line(done, "which does not exist")


@pytest.mark.parametrize("kind", ["folder", "pipe"])
def test_a_chunk_path_that_is_not_a_file_is_one_line_and_never_read(tmp_path, kind):
    out = tmp_path / "run"
    first = _cli("simulate", DESIGN, "--scenarios", SCENARIOS, "--n-trials", "20", "--out", out,
                 "--no-progress")  # fmt: skip
    assert first.returncode == 0, first.stderr
    chunk = out / "chunks" / "chunk-000000.npz"
    chunk.unlink()
    chunk.mkdir() if kind == "folder" else os.mkfifo(chunk)
    done = _cli("simulate", DESIGN, "--scenarios", SCENARIOS, "--n-trials", "20", "--out", out,
                "--no-progress", timeout=60)  # fmt: skip
    _one_line(done, "chunk-000000.npz is not a regular file (a folder, pipe or device)")


def test_temporary_files_of_a_killed_run_are_removed_by_the_next_run(tmp_path):
    dead, alive = _dead_pid(), os.getpid()
    out = tmp_path / "run"
    first = _cli("simulate", DESIGN, "--scenarios", SCENARIOS, "--n-trials", "20", "--out", out,
                 "--no-progress")  # fmt: skip
    assert first.returncode == 0, first.stderr
    stale = out / "chunks" / f".chunk-000000.npz.{dead}.k1ll3d.tmp"
    running = out / "chunks" / f".chunk-000001.npz.{alive}.wr1t1n.tmp"
    stale.write_bytes(b"half a chunk")
    running.write_bytes(b"being written")
    again = _cli("simulate", DESIGN, "--scenarios", SCENARIOS, "--n-trials", "20", "--out", out,
                 "--no-progress")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert not stale.exists() and running.exists()  # a running process's file is left alone


def test_remove_stale_takes_only_leftovers_of_processes_that_ended(tmp_path):
    dead = _dead_pid()
    ended = tmp_path / f".report.{dead}.x1.report"
    ended.mkdir()
    mine = tmp_path / f".report.{os.getpid()}.x2.report"
    mine.mkdir()
    other = tmp_path / "report.1.x3.report"  # not a temporary name
    other.mkdir()
    assert remove_stale(tmp_path, ".report", "report") == [ended]
    assert mine.exists() and other.exists()


def test_a_token_file_that_is_not_utf8_is_one_line(tmp_path):
    token = tmp_path / "token"
    token.write_bytes("pässwörd-pässwörd-pässwörd".encode("latin-1"))
    done = _cli("app", "--token-file", token, "--port", "1")
    _one_line(done, "--token-file: ")
    assert "is not UTF-8 text" in done.stderr
