"""The audit trail: an append-only, hash-chained, optionally signed record of interim calls.

Each call made with an audit database appends one record: the call's time
(UTC), analyst, design hash, data cut-off, the SHA-256 of every input file,
the decision of every cohort, the software versions and where its reports
went, with the hash of the previous record. A record's hash is the SHA-256 of
its canonical JSON (sorted keys, no whitespace) including its position and the
previous hash, so that editing, deleting, reordering or inserting a record
breaks the chain at that point and :func:`verify` names the first broken
record. A record may carry an analyst's signature of its hash
(:mod:`.signing`); :func:`verify` with public keys names every record that is
unsigned or wrongly signed.

Faults, handled:

* **Creation** is atomic: the schema is written to a temporary file that is
  then linked into place, so a database is complete or absent. A file with no
  table at all (left empty by an older version killed while creating it)
  holds no record and is replaced the same way, under a file lock.
* **Locks.** Writers take SQLite's write lock (``BEGIN IMMEDIATE``) before
  reading the last record, so concurrent processes append one after the other
  and never fork the chain. A lock held longer than the timeout (default
  :data:`LOCK_TIMEOUT` seconds) is reported on one line.
* **A kill during an append** leaves SQLite's journal, which rolls the
  half-written record back at the next opening.
* **A database of another shape** (no ``records`` table, other columns) is
  refused on one line, never half-read.

The tool never updates or deletes a record; triggers refuse both. What each
protection covers is stated in the documentation's security page (docs/guide/security.md): the chain
detects changes made without recomputing every later hash, the head hash
kept outside the database detects a cut-off tail, and signatures detect
records made without an analyst's private key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._files import remove_stale, sync_folder, temporary_prefix, umask_mode
from ..errors import InputError
from .signing import PublicKey, Signature

__all__ = [
    "GENESIS",
    "LOCK_TIMEOUT",
    "Appending",
    "AuditRecord",
    "Verification",
    "append",
    "check_head",
    "read_records",
    "verify",
]

GENESIS = "0" * 64
#: Seconds a writer or reader waits for another program's lock before saying so.
LOCK_TIMEOUT = 30.0
_FORMAT = "adaptive_pilot audit trail v1"
_COLUMNS = ("id", "created_utc", "analyst", "design_hash", "payload", "previous_hash", "hash")
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    created_utc TEXT NOT NULL,
    analyst TEXT,
    design_hash TEXT NOT NULL,
    payload TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    signature TEXT
);
CREATE TRIGGER records_never_updated BEFORE UPDATE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are never updated'); END;
CREATE TRIGGER records_never_deleted BEFORE DELETE ON records
BEGIN SELECT RAISE(ABORT, 'audit records are never deleted'); END;
"""
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class AuditRecord:
    """One record of the trail (its signature, if any, is not part of its hash)."""

    id: int
    created_utc: str
    analyst: str | None
    design_hash: str
    payload: dict[str, Any]
    previous_hash: str
    hash: str
    signature: Signature | None = None
    signature_unreadable: bool = False

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
            "signature": None if self.signature is None else self.signature.to_dict(),
        }


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain (and checking signatures): intact, or what is wrong."""

    ok: bool
    records: int
    head: str
    broken_at: int | None = None
    problem: str = ""
    signature_problems: tuple[str, ...] = ()
    signers: dict[str, int] = field(default_factory=dict)
    keys_checked: bool = False
    signed: int = 0

    def line(self) -> str:
        if self.broken_at is not None:
            return f"audit chain broken at record {self.broken_at}: {self.problem}"
        text = f"audit chain intact: {self.records} record(s); head hash {self.head}"
        if self.keys_checked:
            valid = sum(self.signers.values())
            who = ", ".join(f"{name} {count}" for name, count in sorted(self.signers.items()))
            text += f"\nsignatures: {valid} of {self.records} valid" + (f" ({who})" if who else "")
        elif self.signed:
            text += (
                f"\nsignatures: {self.signed} of {self.records} record(s) carry one, not checked "
                f"(give --keys FOLDER of public keys to check them)"
            )
        return text

    def lines(self) -> list[str]:
        """The verdict, then one line per record whose signature is missing or wrong."""
        return [self.line(), *self.signature_problems]


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


def check_head(head: str) -> str:
    """A head hash as given by a user: 64 hexadecimal digits (any case), returned lower case.

    Raises
    ------
    InputError
        Anything else.
    """
    text = head.strip().lower()
    if not _HEX64.fullmatch(text):
        raise InputError(
            "head",
            f"must be a record hash: 64 hexadecimal digits, as printed by 'audit verify' and "
            f"written in decision.json (got {head[:80]!r})",
        )
    return text


# ------------------------------------------------------------------ opening
def _locked(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


def _lock_message(path: Path, timeout: float) -> str:
    return (
        f"{path} is locked by another program (waited {timeout:g} s); try again when it has "
        f"finished, or wait longer with --lock-timeout"
    )


@contextlib.contextmanager
def _connect(path: Path, *, create: bool, timeout: float) -> Iterator[sqlite3.Connection]:
    if path.is_dir():
        raise InputError("audit", f"{path} is a folder; give a database file name")
    if path.exists() and not path.is_file():
        raise InputError("audit", f"{path} is not a regular file")
    if not create and not path.exists():
        raise InputError("audit", f"{path} does not exist")
    if create:
        _ensure_database(path)
    try:
        connection = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    except sqlite3.Error as error:
        raise InputError("audit", f"{path} cannot be opened: {error}") from None
    try:
        _check_schema(connection, path, timeout)
        yield connection
    except sqlite3.OperationalError as error:
        if _locked(error):
            raise InputError("audit", _lock_message(path, timeout)) from None
        raise InputError("audit", f"{path} cannot be used: {error}") from None
    except sqlite3.DatabaseError as error:
        raise InputError("audit", f"{path} is damaged: {error}") from None
    finally:
        connection.close()


def _check_schema(connection: sqlite3.Connection, path: Path, timeout: float) -> None:
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    except sqlite3.OperationalError as error:
        if _locked(error):
            raise InputError("audit", _lock_message(path, timeout)) from None
        raise InputError("audit", f"{path} is not an SQLite database") from None
    except sqlite3.DatabaseError:
        raise InputError("audit", f"{path} is not an SQLite database") from None
    if "meta" not in tables:
        raise InputError("audit", f"{path} is not an adaptive_pilot audit database")
    try:
        row = connection.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if row is None or row[0] != _FORMAT:
        raise InputError("audit", f"{path} is not an adaptive_pilot audit database")
    columns = {r[1] for r in connection.execute("PRAGMA table_info(records)")}
    if "records" not in tables or not set(_COLUMNS) <= columns:
        found = ", ".join(sorted(columns)) or "no records table"
        raise InputError(
            "audit",
            f"{path} has the audit format but not its records table (found: {found}): it was "
            f"changed outside adaptive_pilot; keep it as evidence and start a new database",
        )


def _has_signature_column(connection: sqlite3.Connection) -> bool:
    return any(r[1] == "signature" for r in connection.execute("PRAGMA table_info(records)"))


# ------------------------------------------------------------------ creation
def _ensure_database(path: Path) -> None:
    """Make ``path`` an audit database if it is absent or holds no table (atomically)."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise InputError("audit", f"the folder {parent} does not exist")
    remove_stale(parent, ".creating", path.name)
    if path.exists() and not _holds_no_table(path):
        return
    if not os.access(parent, os.W_OK):
        raise InputError("audit", f"cannot write in {parent}: permission denied")
    fresh = _new_database_file(parent, path.name)
    try:
        if path.exists():
            _replace_empty(fresh, path)
        else:
            _publish_new_database(fresh, path)
    finally:
        fresh.unlink(missing_ok=True)


def _new_database_file(parent: Path, name: str) -> Path:
    """A complete, empty audit database in a temporary file beside the target."""
    fd, temporary = tempfile.mkstemp(dir=parent, prefix=temporary_prefix(name), suffix=".creating")
    os.close(fd)
    fresh = Path(temporary)
    try:
        connection = sqlite3.connect(fresh, isolation_level=None)
        try:
            connection.executescript(
                "BEGIN;" + _SCHEMA
                + f"INSERT INTO meta (key, value) VALUES ('format', '{_FORMAT}');COMMIT;"
            )  # fmt: skip
        finally:
            connection.close()
        with open(fresh, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(fresh, umask_mode())
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    return fresh


def _publish_new_database(fresh: Path, path: Path) -> None:
    """Link the complete database into place; another creator's database wins a race."""
    try:
        os.link(fresh, path)
    except FileExistsError:
        pass  # created meanwhile by another process: use that one
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(fresh, path)
    sync_folder(path.parent)


def _replace_empty(fresh: Path, path: Path) -> None:
    """Replace a database holding no table, unless someone else did it first."""
    import fcntl

    with open(path, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        same = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
        if same and _holds_no_table(path):
            os.replace(fresh, path)
            sync_folder(path.parent)


def _holds_no_table(path: Path) -> bool:
    """An empty file, or an SQLite database without any table (no record can be in it)."""
    if path.stat().st_size == 0:
        return True
    journal = Path(f"{path}-journal")
    if journal.exists() and journal.stat().st_size > 0:
        return False  # SQLite rolls it back on opening; then look again
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.1)
        try:
            count = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.Error:
        return False  # not SQLite, or locked: leave it to the checks that follow
    return int(count) == 0


# ------------------------------------------------------------------ appending
class Appending:
    """The write lock on the trail, held while one record is prepared and stored.

    Use as a context manager: on entry the database exists (created
    atomically if need be), the write lock is held and :attr:`position` and
    :attr:`previous` are the new record's; :meth:`prepare` computes the record,
    :meth:`store` writes it and :meth:`commit` makes it permanent. Leaving
    without a commit (an error, a kill) rolls back: no record.
    """

    def __init__(self, path: str | Path, *, timeout: float = LOCK_TIMEOUT) -> None:
        self.path = Path(path)
        self.timeout = timeout
        self._stack = contextlib.ExitStack()
        self._connection: sqlite3.Connection | None = None
        self.position = 0
        self.previous = GENESIS
        self.committed = False

    def __enter__(self) -> Appending:
        try:
            connection = self._stack.enter_context(
                _connect(self.path, create=True, timeout=self.timeout)
            )
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                if _locked(error):
                    raise InputError("audit", _lock_message(self.path, self.timeout)) from None
                raise
            self._connection = connection
            if not _has_signature_column(connection):  # a database made before signatures
                connection.execute("ALTER TABLE records ADD COLUMN signature TEXT")
            last = connection.execute(
                "SELECT id, hash FROM records ORDER BY id DESC LIMIT 1"
            ).fetchone()
            self.position = 1 if last is None else int(last[0]) + 1
            self.previous = GENESIS if last is None else str(last[1])
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._connection is not None and self._connection.in_transaction:
                self._connection.execute("ROLLBACK")
        finally:
            self._stack.close()

    def records(self) -> list[AuditRecord]:
        """Every record already in the trail (read under the lock)."""
        assert self._connection is not None
        return _rows(self._connection)

    def prepare(
        self,
        *,
        created_utc: str,
        analyst: str | None,
        design_hash: str,
        payload: Mapping[str, Any],
    ) -> AuditRecord:
        """The next record with its hash (not stored yet)."""
        content = json.loads(json.dumps(dict(payload), allow_nan=False))
        digest = record_hash(
            self.position, created_utc, analyst, design_hash, content, self.previous
        )
        return AuditRecord(
            self.position, created_utc, analyst, design_hash, content, self.previous, digest
        )

    def store(self, record: AuditRecord, signature: Signature | None = None) -> AuditRecord:
        """Insert the prepared record (inside the transaction; :meth:`commit` makes it stay)."""
        assert self._connection is not None and record.id == self.position
        stored = json.dumps(signature.to_dict(), sort_keys=True) if signature else None
        self._connection.execute(
            "INSERT INTO records (id, created_utc, analyst, design_hash, payload, "
            "previous_hash, hash, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                record.created_utc,
                record.analyst,
                record.design_hash,
                json.dumps(record.payload, sort_keys=True, separators=(",", ":")),
                record.previous_hash,
                record.hash,
                stored,
            ),
        )
        return AuditRecord(**{**record.__dict__, "signature": signature})

    def commit(self) -> None:
        """Make the stored record permanent."""
        assert self._connection is not None
        self._connection.execute("COMMIT")
        self.committed = True


def append(
    path: str | Path,
    *,
    created_utc: str,
    analyst: str | None,
    design_hash: str,
    payload: Mapping[str, Any],
    timeout: float = LOCK_TIMEOUT,
) -> AuditRecord:
    """Append one unsigned record under the database's write lock; returns it with its hash."""
    with Appending(path, timeout=timeout) as session:
        record = session.prepare(
            created_utc=created_utc, analyst=analyst, design_hash=design_hash, payload=payload
        )
        stored = session.store(record)
        session.commit()
    return stored


# ------------------------------------------------------------------ reading
def _rows(connection: sqlite3.Connection) -> list[AuditRecord]:
    signature = "signature" if _has_signature_column(connection) else "NULL"
    rows = connection.execute(
        "SELECT id, created_utc, analyst, design_hash, payload, previous_hash, hash, "
        f"{signature} FROM records ORDER BY id"
    ).fetchall()
    out = []
    for row in rows:
        try:
            payload = json.loads(row[4])
        except (TypeError, ValueError):
            payload = {"unreadable": str(row[4])}
        if not isinstance(payload, dict):
            payload = {"unreadable": str(row[4])}
        sign, unreadable = None, False
        if row[7] is not None:
            try:
                sign = Signature.from_dict(json.loads(row[7]))
            except (TypeError, ValueError):
                unreadable = True
        out.append(
            AuditRecord(
                int(row[0]), row[1], row[2], row[3], payload, row[5], row[6], sign, unreadable
            )
        )
    return out


def read_records(path: str | Path, *, timeout: float = LOCK_TIMEOUT) -> list[AuditRecord]:
    """Every record, in stored order (ascending id)."""
    with _connect(Path(path), create=False, timeout=timeout) as connection:
        return _rows(connection)


def verify(
    path: str | Path,
    *,
    head: str | None = None,
    keys: Mapping[str, PublicKey] | None = None,
    timeout: float = LOCK_TIMEOUT,
) -> Verification:
    """Walk the chain from the first record; report the first record that breaks it.

    With ``keys`` (public keys by fingerprint, :func:`.signing.load_public_keys`)
    every record must carry a valid signature by one of them; each record that
    does not is named.
    """
    if head is not None:
        head = check_head(head)
    records = read_records(path, timeout=timeout)
    previous = GENESIS
    for expected, record in enumerate(records, start=1):
        problem = _chain_problem(record, expected, previous)
        if problem is not None:
            return Verification(False, len(records), previous, record.id, problem)
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
    signed = sum(r.signature is not None or r.signature_unreadable for r in records)
    if keys is None:
        return Verification(True, len(records), previous, signed=signed)
    problems, signers = _signature_problems(records, keys)
    return Verification(
        not problems, len(records), previous, signature_problems=tuple(problems),
        signers=signers, keys_checked=True, signed=signed,
    )  # fmt: skip


def _chain_problem(record: AuditRecord, expected: int, previous: str) -> str | None:
    if record.id != expected:
        where = "deleted" if record.id > expected else "inserted or renumbered"
        return f"expected record {expected} here (a record was {where})"
    if record.previous_hash != previous:
        return (
            "its previous-record hash does not match the record before it "
            "(a record was deleted, inserted or reordered)"
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
        return "its content does not match its hash (the record was edited)"
    return None


def _signature_problems(
    records: list[AuditRecord], keys: Mapping[str, PublicKey]
) -> tuple[list[str], dict[str, int]]:
    problems: list[str] = []
    signers: dict[str, int] = {}
    for record in records:
        signature = record.signature
        if signature is None:
            what = "its signature cannot be read" if record.signature_unreadable else "unsigned"
            problems.append(f"record {record.id}: {what}")
            continue
        key = keys.get(signature.key_fingerprint)
        if key is None:
            problems.append(
                f"record {record.id}: signed with key {signature.key_fingerprint[:16]} "
                f"(named {signature.signer!r}), which is not among the public keys given"
            )
            continue
        wrong = key.check(record.hash, signature)
        if wrong is not None:
            problems.append(f"record {record.id}: {wrong}")
            continue
        signers[signature.signer] = signers.get(signature.signer, 0) + 1
    return problems, signers
