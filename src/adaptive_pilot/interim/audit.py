"""The audit trail: an append-only, hash-chained record of every interim call, in SQLite.

Each call made with an audit database appends one record: the call's time
(UTC), analyst, design hash, data cut-off, the SHA-256 of every input file,
the decision of every cohort and the software versions, with the hash of the
previous record. A record's hash is the SHA-256 of its canonical JSON (sorted
keys, no whitespace) including its position and the previous hash, so that
editing, deleting, reordering or inserting a record breaks the chain at that
point and :func:`verify` names the first broken record.

Writers take SQLite's write lock (``BEGIN IMMEDIATE``) before reading the last
record, so concurrent processes append one after the other and never fork the
chain. The tool never updates or deletes a record; triggers refuse both.

Limits, stated plainly: a hash chain detects changes made without
recomputing every later hash, and cannot show that the latest records were
cut off. Keep the head hash (printed by ``audit verify`` and written into
every ``decision.json``) outside the database and pass it to
``audit verify --head`` to check that the chain still reaches it.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._files import umask_mode
from ..errors import InputError

__all__ = ["GENESIS", "AuditRecord", "Verification", "append", "read_records", "verify"]

GENESIS = "0" * 64
_FORMAT = "adaptive_pilot audit trail v1"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY,
    created_utc TEXT NOT NULL,
    analyst TEXT,
    design_hash TEXT NOT NULL,
    payload TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);
CREATE TRIGGER IF NOT EXISTS records_never_updated BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are never updated'); END;
CREATE TRIGGER IF NOT EXISTS records_never_deleted BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are never deleted'); END;
"""


@dataclass(frozen=True)
class AuditRecord:
    """One record of the trail."""

    id: int
    created_utc: str
    analyst: str | None
    design_hash: str
    payload: dict[str, Any]
    previous_hash: str
    hash: str

    def decisions(self) -> str:
        """The decisions of the call, one ``cohort decision`` per cohort."""
        return ", ".join(
            f"{d.get('cohort')} {d.get('decision')}" for d in self.payload.get("decisions", [])
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_utc": self.created_utc,
            "analyst": self.analyst,
            "design_hash": self.design_hash,
            "payload": self.payload,
            "previous_hash": self.previous_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain: intact or the first broken record."""

    ok: bool
    records: int
    head: str
    broken_at: int | None = None
    problem: str = ""

    def line(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.records} record(s); head hash {self.head}"
        return f"audit chain broken at record {self.broken_at}: {self.problem}"


def record_hash(
    position: int,
    created_utc: str,
    analyst: str | None,
    design_hash: str,
    payload: Mapping[str, Any],
    previous_hash: str,
) -> str:
    """SHA-256 of a record's canonical JSON (its position and the previous hash included)."""
    body = {
        "format": _FORMAT,
        "id": position,
        "created_utc": created_utc,
        "analyst": analyst,
        "design_hash": design_hash,
        "payload": payload,
        "previous_hash": previous_hash,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@contextmanager
def _connect(path: Path, *, create: bool) -> Iterator[sqlite3.Connection]:
    if path.is_dir():
        raise InputError("audit", f"{path} is a folder; give a database file name")
    if not create and not path.exists():
        raise InputError("audit", f"{path} does not exist")
    if create and not path.exists():
        parent = path.parent if str(path.parent) else Path(".")
        if not parent.is_dir():
            raise InputError("audit", f"the folder {parent} does not exist")
        if not os.access(parent, os.W_OK):
            raise InputError("audit", f"cannot write in {parent}: permission denied")
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, umask_mode())
        os.close(fd)
    try:
        connection = sqlite3.connect(path, timeout=60.0, isolation_level=None)
    except sqlite3.Error as error:
        raise InputError("audit", f"{path} cannot be opened: {error}") from None
    try:
        _check_database(connection, path, create=create)
        yield connection
    finally:
        connection.close()


def _check_database(connection: sqlite3.Connection, path: Path, *, create: bool) -> None:
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError:
        raise InputError("audit", f"{path} is not an SQLite database") from None
    if "meta" not in tables:
        if not create or tables:
            raise InputError("audit", f"{path} is not an adaptive_pilot audit database")
        # one transaction: a concurrent creator waits, then finds everything in place
        connection.executescript(
            "BEGIN IMMEDIATE;"
            + _SCHEMA
            + f"INSERT OR IGNORE INTO meta (key, value) VALUES ('format', '{_FORMAT}');"
            + "COMMIT;"
        )
        return
    row = connection.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    if row is None or row[0] != _FORMAT:
        raise InputError("audit", f"{path} is not an adaptive_pilot audit database")


def append(
    path: str | Path,
    *,
    created_utc: str,
    analyst: str | None,
    design_hash: str,
    payload: Mapping[str, Any],
) -> AuditRecord:
    """Append one record under the database's write lock; returns it with its hash."""
    path = Path(path)
    content = json.loads(json.dumps(dict(payload), allow_nan=False))
    with _connect(path, create=True) as connection:
        connection.execute("BEGIN IMMEDIATE")
        try:
            last = connection.execute(
                "SELECT id, hash FROM records ORDER BY id DESC LIMIT 1"
            ).fetchone()
            position = 1 if last is None else int(last[0]) + 1
            previous = GENESIS if last is None else str(last[1])
            digest = record_hash(position, created_utc, analyst, design_hash, content, previous)
            connection.execute(
                "INSERT INTO records (id, created_utc, analyst, design_hash, payload, "
                "previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    position,
                    created_utc,
                    analyst,
                    design_hash,
                    json.dumps(content, sort_keys=True, separators=(",", ":")),
                    previous,
                    digest,
                ),
            )
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
    return AuditRecord(position, created_utc, analyst, design_hash, content, previous, digest)


def read_records(path: str | Path) -> list[AuditRecord]:
    """Every record, in stored order (ascending id)."""
    with _connect(Path(path), create=False) as connection:
        rows = connection.execute(
            "SELECT id, created_utc, analyst, design_hash, payload, previous_hash, hash "
            "FROM records ORDER BY id"
        ).fetchall()
    out = []
    for row in rows:
        try:
            payload = json.loads(row[4])
        except (TypeError, ValueError):
            payload = {"unreadable": str(row[4])}
        out.append(AuditRecord(int(row[0]), row[1], row[2], row[3], payload, row[5], row[6]))
    return out


def verify(path: str | Path, *, head: str | None = None) -> Verification:
    """Walk the chain from the first record; report the first record that breaks it."""
    records = read_records(path)
    previous = GENESIS
    for expected, record in enumerate(records, start=1):
        if record.id != expected:
            where = "deleted" if record.id > expected else "inserted or renumbered"
            return Verification(
                False,
                len(records),
                previous,
                record.id,
                f"expected record {expected} here (a record was {where})",
            )
        if record.previous_hash != previous:
            return Verification(
                False,
                len(records),
                previous,
                record.id,
                "its previous-record hash does not match the record before it "
                "(a record was deleted, inserted or reordered)",
            )
        digest = record_hash(
            record.id,
            record.created_utc,
            record.analyst,
            record.design_hash,
            record.payload,
            record.previous_hash,
        )
        if digest != record.hash:
            return Verification(
                False,
                len(records),
                previous,
                record.id,
                "its content does not match its hash (the record was edited)",
            )
        previous = record.hash
    if head is not None and head not in {r.hash for r in records}:
        return Verification(
            False,
            len(records),
            previous,
            len(records) + 1,
            f"the chain does not reach the head hash {head} kept outside the database "
            f"(later records were removed)",
        )
    return Verification(True, len(records), previous)
