"""The audit trail under faults: kill -9 at each stage, held locks, damaged databases, bad heads.

A child process runs the real code with one function replaced by "do it, then
SIGKILL yourself" (or "SIGKILL yourself first"), so the kill lands exactly at
the stage named; the test then checks what is on disk and that the next
command leaves a record with its reports, or neither.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from adaptive_pilot.dsmb.run import run_interim
from adaptive_pilot.errors import InputError
from adaptive_pilot.interim import audit
from test_interim import DESIGN, PATIENTS

AS_OF = "2026-06-30"
CALL = ["interim", str(DESIGN), "--data", str(PATIENTS), "--as-of", AS_OF, "--analyst", "K"]


def _killed_at(module: str, function: str, *, after: bool, argv: list[str] | None = None,
               code: str = "") -> subprocess.CompletedProcess:  # fmt: skip
    """Run the CLI (or ``code``) in a child that SIGKILLs itself in ``module.function``.

    ``function`` may be ``Class.method``; with ``after`` the kill follows the
    real call, otherwise it replaces it.
    """
    owner, _, name = function.rpartition(".")
    script = textwrap.dedent(f"""
        import functools, importlib, os, signal
        target = importlib.import_module({module!r})
        for part in {owner!r}.split(".") if {owner!r} else []:
            target = getattr(target, part)
        original = getattr(target, {name!r})

        @functools.wraps(original)
        def killer(*args, **kwargs):
            if {after!r}:
                original(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)

        setattr(target, {name!r}, killer)
    """)
    if argv is not None:
        script += f"from adaptive_pilot.cli import main\nmain({argv!r})\n"
    script += textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr
    return done


def _pending(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.pending")) + sorted(folder.glob(".*.creating"))


def _outputs_name_their_record(out: Path, db: Path) -> None:
    decision = json.loads((out / "decision.json").read_text())
    records = {r.id: r for r in audit.read_records(db)}
    record = records[decision["audit"]["id"]]
    assert decision["audit"]["hash"] == record.hash
    assert record.payload["outputs"]["folder"] == str(out.absolute())
    assert record.hash in (out / "closed_report.html").read_text()


def test_a_kill_while_the_database_is_created_leaves_no_database(tmp_path):
    db = tmp_path / "trail.db"
    append = f"""
        from adaptive_pilot.interim import audit
        audit.append({str(db)!r}, created_utc="2026-12-01T00:00:00Z", analyst="K",
                     design_hash="d" * 16, payload={{"decisions": []}})
    """
    _killed_at("adaptive_pilot.interim.audit", "_publish_new_database", after=False, code=append)
    assert not db.exists()  # complete or absent, never a 0-byte file
    assert len(list(tmp_path.glob(".trail.db.*.creating"))) == 1  # the killed process's file
    audit.append(db, created_utc="2026-12-01T00:00:00Z", analyst="K", design_hash="d" * 16,
                 payload={"decisions": []})  # fmt: skip
    assert audit.verify(db).records == 1
    assert not _pending(tmp_path)  # the next run removed it


@pytest.mark.parametrize("kind", ["empty file", "database without tables"])
def test_a_database_left_empty_by_an_older_version_is_repaired(tmp_path, kind):
    db = tmp_path / "trail.db"
    if kind == "empty file":
        db.write_bytes(b"")
    else:
        connection = sqlite3.connect(db)
        connection.execute("CREATE TABLE t (a)")
        connection.execute("DROP TABLE t")
        connection.commit()
        connection.close()
        assert db.stat().st_size > 0
    audit.append(db, created_utc="2026-12-01T00:00:00Z", analyst="K", design_hash="d" * 16,
                 payload={"decisions": []})  # fmt: skip
    assert audit.verify(db).ok and audit.verify(db).records == 1


def test_a_kill_during_the_append_leaves_neither_record_nor_reports(tmp_path):
    db, out = tmp_path / "trail.db", tmp_path / "call"
    argv = [*CALL, "--audit", str(db), "--out", str(out)]
    # killed once the record is stored in the open transaction, before the commit
    _killed_at("adaptive_pilot.interim.audit", "Appending.store", after=True, argv=argv)
    assert audit.verify(db).records == 0  # SQLite rolled the half-made record back
    assert not out.exists() and len(list(tmp_path.glob(".call.*.pending"))) == 1
    result = run_interim(DESIGN, data=PATIENTS, as_of=_date(), analyst="K", audit=db, out=out)
    assert result.audit["id"] == 1
    _outputs_name_their_record(out, db)
    assert not _pending(tmp_path)  # the killed call's staging folder is gone


def test_a_kill_between_the_record_and_the_move_is_completed_by_the_next_use(tmp_path):
    db, out = tmp_path / "trail.db", tmp_path / "call"
    argv = [*CALL, "--audit", str(db), "--out", str(out)]
    _killed_at("adaptive_pilot.dsmb.publish", "_move_outputs", after=False, argv=argv)
    records = audit.read_records(db)
    assert len(records) == 1 and not out.exists()  # committed; reports still staged
    staged = list(tmp_path.glob(f".call.*.{records[0].hash[:16]}.pending"))
    assert len(staged) == 1 and (staged[0] / "decision.json").is_file()
    done = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "audit", "verify", "--audit", str(db)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"completed: the reports of a recorded call were moved into {out.absolute()}" in (
        done.stdout
    )
    _outputs_name_their_record(out, db)
    assert not _pending(tmp_path)


def test_the_same_out_after_a_completed_kill_is_refused_not_overwritten(tmp_path):
    db, out = tmp_path / "trail.db", tmp_path / "call"
    argv = [*CALL, "--audit", str(db), "--out", str(out)]
    _killed_at("adaptive_pilot.dsmb.publish", "_move_outputs", after=False, argv=argv)
    with pytest.raises(InputError, match="already holds files"):
        run_interim(DESIGN, data=PATIENTS, as_of=_date(), analyst="K", audit=db, out=out)
    _outputs_name_their_record(out, db)  # the next call finished the killed one's move
    assert audit.verify(db).records == 1


def test_reports_that_cannot_be_written_leave_no_record(tmp_path, monkeypatch):
    from adaptive_pilot.dsmb import publish

    def full_disk(result, folder):
        (Path(folder) / "decision.json").write_text("{")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish, "write_outputs", full_disk)
    db, out = tmp_path / "trail.db", tmp_path / "call"
    with pytest.raises(InputError, match=r"cannot write the reports in .*No space left"):
        run_interim(DESIGN, data=PATIENTS, as_of=_date(), analyst="K", audit=db, out=out)
    assert audit.verify(db).records == 0 and not out.exists() and not _pending(tmp_path)


# ------------------------------------------------------------------ locks
@pytest.mark.parametrize("mode", ["EXCLUSIVE", "IMMEDIATE"])
def test_a_lock_held_too_long_is_one_line(tmp_path, mode):
    db = tmp_path / "trail.db"
    audit.append(db, created_utc="2026-12-01T00:00:00Z", analyst="K", design_hash="d" * 16,
                 payload={"decisions": []})  # fmt: skip
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute(f"BEGIN {mode}")
    try:
        expected = f"{db} is locked by another program (waited 0.2 s)"
        with pytest.raises(InputError, match=r"is locked by another program \(waited 0.2 s\)"):
            audit.append(db, created_utc="2026-12-01T00:00:00Z", analyst="K",
                         design_hash="d" * 16, payload={}, timeout=0.2)  # fmt: skip
        if mode == "EXCLUSIVE":  # readers wait for an exclusive lock only
            with pytest.raises(InputError) as caught:
                audit.verify(db, timeout=0.2)
            assert caught.value.message.startswith(expected)
        if mode == "IMMEDIATE":  # the command line says the same in one line
            done = subprocess.run(
                [sys.executable, "-m", "adaptive_pilot.cli", *CALL, "--audit", str(db),
                 "--lock-timeout", "0.2"],
                capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert done.returncode == 2 and "Traceback" not in done.stderr
            assert done.stderr.count("\n") == 1 and "is locked by another program" in done.stderr
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert audit.verify(db).records == 1


# ------------------------------------------------------------------ shapes and heads
def _with_meta(path: Path, *statements: str) -> None:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    connection.execute("INSERT INTO meta VALUES ('format', 'adaptive_pilot audit trail v1')")
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()


@pytest.mark.parametrize(
    "statements", [(), ("CREATE TABLE records (id INTEGER, note TEXT)",)], ids=["none", "other"]
)
def test_the_right_meta_row_without_the_records_table_is_one_line(tmp_path, statements):
    db = tmp_path / "trail.db"
    _with_meta(db, *statements)
    for call in (
        lambda: audit.verify(db),
        lambda: audit.append(db, created_utc="x", analyst=None, design_hash="d", payload={}),
    ):
        with pytest.raises(InputError, match="has the audit format but not its records table"):
            call()


def test_a_database_from_before_signatures_is_read_and_extended(tmp_path):
    db = tmp_path / "trail.db"
    _with_meta(
        db,
        "CREATE TABLE records (id INTEGER PRIMARY KEY, created_utc TEXT NOT NULL, analyst TEXT, "
        "design_hash TEXT NOT NULL, payload TEXT NOT NULL, previous_hash TEXT NOT NULL, "
        "hash TEXT NOT NULL UNIQUE)",
    )
    first = audit.record_hash(1, "2026-01-01T00:00:00Z", "K", "d" * 16, {}, audit.GENESIS)
    connection = sqlite3.connect(db)
    connection.execute(
        "INSERT INTO records VALUES (1, '2026-01-01T00:00:00Z', 'K', ?, '{}', ?, ?)",
        ("d" * 16, audit.GENESIS, first),
    )
    connection.commit()
    connection.close()
    assert audit.verify(db).ok
    audit.append(db, created_utc="2026-01-02T00:00:00Z", analyst="K", design_hash="d" * 16,
                 payload={})  # fmt: skip
    check = audit.verify(db)
    assert check.ok and check.records == 2


@pytest.mark.parametrize("head", ["not-a-hash", "abc", "g" * 64, "a" * 63, "a" * 65, ""])
def test_a_head_that_is_not_a_hash_is_bad_input(head):
    with pytest.raises(InputError, match="must be a record hash: 64 hexadecimal digits"):
        audit.check_head(head)


def test_the_command_line_refuses_a_head_that_is_not_a_hash_as_bad_input(tmp_path):
    db = tmp_path / "trail.db"
    audit.append(db, created_utc="2026-12-01T00:00:00Z", analyst="K", design_hash="d" * 16,
                 payload={})  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "audit", "verify", "--audit", str(db),
         "--head", "not-a-hash"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""  # bad input, not "tampering" (exit 1)
    assert done.stderr.count("\n") == 1 and "--head: must be a record hash" in done.stderr


def test_an_upper_case_head_is_the_same_hash(tmp_path):
    db = tmp_path / "trail.db"
    record = audit.append(db, created_utc="2026-12-01T00:00:00Z", analyst="K",
                          design_hash="d" * 16, payload={})  # fmt: skip
    assert audit.verify(db, head=record.hash.upper()).ok


def _date():
    import datetime as dt

    return dt.date.fromisoformat(AS_OF)
