"""The audit trail: append-only hash chain; every kind of tampering is found; concurrent writers."""

from __future__ import annotations

import itertools
import multiprocessing
import sqlite3
import subprocess
import sys

import pytest

from adaptive_pilot.errors import InputError
from adaptive_pilot.interim import audit


def _fill(path, count=4):
    for i in range(count):
        audit.append(path, created_utc=f"2026-11-2{i}T10:00:00Z", analyst="A",
                     design_hash="d" * 16, payload={"call": i, "decisions": []})  # fmt: skip


def _tamper(path, *statements):
    connection = sqlite3.connect(path)
    connection.execute("DROP TRIGGER IF EXISTS records_never_updated")
    connection.execute("DROP TRIGGER IF EXISTS records_never_deleted")
    for statement in statements:
        connection.execute(*statement) if isinstance(statement, tuple) else connection.execute(
            statement
        )
    connection.commit()
    connection.close()


def test_intact_chain_verifies_and_links_each_record_to_the_previous(tmp_path):
    db = tmp_path / "a.db"
    _fill(db)
    records = audit.read_records(db)
    assert [r.id for r in records] == [1, 2, 3, 4]
    assert records[0].previous_hash == audit.GENESIS
    assert all(b.previous_hash == a.hash for a, b in itertools.pairwise(records))
    check = audit.verify(db)
    assert check.ok and check.records == 4 and check.head == records[-1].hash


def test_the_tool_cannot_update_or_delete(tmp_path):
    db = tmp_path / "a.db"
    _fill(db, 2)
    connection = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="never updated"):
        connection.execute("UPDATE records SET analyst = 'B' WHERE id = 1")
    with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
        connection.execute("DELETE FROM records WHERE id = 1")


@pytest.mark.parametrize(
    ("statements", "broken_at", "words"),
    [
        (['UPDATE records SET payload = \'{"call":9,"decisions":[]}\' WHERE id = 2'], 2, "edited"),
        (["UPDATE records SET analyst = 'B' WHERE id = 3"], 3, "edited"),
        (["DELETE FROM records WHERE id = 2"], 3, "deleted"),
        (
            [
                "UPDATE records SET id = 100 WHERE id = 2",
                "UPDATE records SET id = 2 WHERE id = 3",
                "UPDATE records SET id = 3 WHERE id = 100",
            ],
            2,
            "previous-record hash",
        ),
    ],
    ids=["edit-payload", "edit-analyst", "delete", "reorder"],
)
def test_tampering_is_found_at_the_first_broken_record(tmp_path, statements, broken_at, words):
    db = tmp_path / "a.db"
    _fill(db)
    _tamper(db, *statements)
    check = audit.verify(db)
    assert not check.ok and check.broken_at == broken_at and words in check.problem


def test_an_inserted_record_with_a_valid_own_hash_is_found(tmp_path):
    db = tmp_path / "a.db"
    _fill(db)
    second = audit.read_records(db)[1]
    forged = audit.record_hash(3, "2026-11-22T00:00:00Z", "X", "d" * 16, {"call": "forged"},
                               second.hash)  # fmt: skip
    _tamper(
        db,
        "UPDATE records SET id = id + 10 WHERE id >= 3",
        "UPDATE records SET id = id - 9 WHERE id >= 13",
        (
            "INSERT INTO records (id, created_utc, analyst, design_hash, payload, previous_hash, "
            "hash) VALUES (3, '2026-11-22T00:00:00Z', 'X', ?, ?, ?, ?)",
            ("d" * 16, '{"call":"forged"}', second.hash, forged),
        ),
    )
    check = audit.verify(db)
    assert not check.ok and check.broken_at == 4


def test_removing_the_latest_records_is_found_against_a_kept_head(tmp_path):
    db = tmp_path / "a.db"
    _fill(db)
    head = audit.verify(db).head
    _tamper(db, "DELETE FROM records WHERE id = 4")
    assert audit.verify(db).ok  # a chain alone cannot see its tail cut off ...
    check = audit.verify(db, head=head)
    assert not check.ok and "head hash" in check.problem  # ... a kept head hash can


def _writer(path, worker):
    for i in range(10):
        audit.append(path, created_utc="2026-11-21T10:00:00Z", analyst=f"w{worker}",
                     design_hash="d" * 16, payload={"worker": worker, "i": i})  # fmt: skip


def test_concurrent_writers_never_fork_or_corrupt_the_chain(tmp_path):
    db = tmp_path / "a.db"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(db), w)) for w in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
        assert w.exitcode == 0
    check = audit.verify(db)
    assert check.ok and check.records == 40
    records = audit.read_records(db)
    assert sorted((r.payload["worker"], r.payload["i"]) for r in records) == [
        (w, i) for w in range(4) for i in range(10)
    ]


def test_a_file_that_is_not_an_audit_database_is_refused(tmp_path):
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (a)").connection.commit()
    with pytest.raises(InputError, match="not an adaptive_pilot audit database"):
        audit.verify(other)
    text = tmp_path / "notes.txt"
    text.write_text("hello, this is not a database at all" * 20)
    with pytest.raises(InputError, match="not an SQLite database"):
        audit.read_records(text)


def test_cli_verify_exits_1_naming_the_broken_record(tmp_path):
    db = tmp_path / "a.db"
    _fill(db)
    _tamper(db, "UPDATE records SET analyst = 'B' WHERE id = 2")
    done = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "audit", "verify", "--audit", str(db)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "audit chain broken at record 2" in done.stdout
    listed = subprocess.run(
        [sys.executable, "-m", "adaptive_pilot.cli", "audit", "list", "--audit", str(db)],
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0 and listed.stdout.count("\n") == 4
