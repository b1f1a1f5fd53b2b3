"""An interim call's record and its reports, made permanent together (internal to the interim call).

The reports (``decision.json``, the closed and the open report) name their
audit record, and the record names the folder of its reports, so neither may
exist without the other. The steps:

1. ``--out`` must be a new or empty folder (each call has its own, so that no
   earlier call's reports are ever overwritten).
2. Under the audit database's write lock, the record is prepared (its hash,
   and its signature when a key is given) and the reports are written, naming
   it, to a staging folder beside ``--out``: ``.NAME.PID.HASH.pending``.
3. The record is committed, then the staging folder is renamed to ``--out``
   (one rename: the folder appears whole).

A kill during step 2 leaves no record (SQLite rolls the transaction back) and
a staging folder of a process that no longer runs, which the next call with
the same ``--out`` removes. A kill between the commit and the rename leaves a
record whose reports are complete in their staging folder: the next use of
the audit database (another call, ``audit verify``, ``audit list``) finishes
the rename. So every record has its reports and a failed call leaves
neither. Without an audit database the reports are still staged and renamed,
so a folder never holds half of them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from pathlib import Path

from .._files import (
    glob_escape,
    process_alive,
    sync_folder,
    temporary_prefix,
    writable_folder,
)
from ..errors import InputError
from ..interim import audit
from ..interim.signing import SigningKey
from ..reports.interim import AnyInterim, audit_payload, write_outputs

__all__ = ["check_out_folder", "complete_pending", "publish"]


def check_out_folder(out: str | Path) -> Path:
    """The ``--out`` folder of a call: new or empty, in a folder that exists and is writable.

    Raises
    ------
    InputError
        A file, a dangling link, a folder that already holds files, a missing
        or read-only parent.
    """
    folder = writable_folder(out)
    if folder.exists():
        held = sorted(p.name for p in folder.iterdir())
        if held:
            shown = ", ".join(held[:3]) + (", ..." if len(held) > 3 else "")
            raise InputError(
                "out",
                f"{out} already holds files ({shown}): each interim call gets a new or empty "
                f"folder, so that no earlier call's reports are overwritten",
            )
    parent = folder.absolute().parent
    if not parent.is_dir():
        raise InputError("out", f"the folder {parent} does not exist")
    return folder


def _staging(out: Path, tag: str) -> Path:
    return out.absolute().parent / f"{temporary_prefix(out.name)}{tag}.pending"


def _remove_stale_staging(out: Path, committed: set[str]) -> None:
    """Staging folders of killed calls for this ``--out`` whose record was never committed.

    Only folders of processes that no longer run are touched, and never one
    whose record is in the trail (``committed``: the records' hash prefixes):
    :func:`complete_pending` moves those into place instead.
    """
    parent = out.absolute().parent
    for leftover in parent.glob(f".{glob_escape(out.name)}.*.pending"):
        pid, tag = leftover.name.removesuffix(".pending").split(".")[-2:]
        if pid.isdigit() and not process_alive(int(pid)) and tag not in committed:
            shutil.rmtree(leftover, ignore_errors=True)


def _move_outputs(stage: Path, out: Path) -> None:
    """The staged reports become ``--out`` in one rename."""
    os.replace(stage, out)  # an empty --out folder is replaced; a non-empty one refuses


def publish(
    result: AnyInterim,
    *,
    out: str | Path | None = None,
    database: str | Path | None = None,
    key: SigningKey | None = None,
    timeout: float = audit.LOCK_TIMEOUT,
) -> tuple[AnyInterim, list[Path]]:
    """Record the call (signed with ``key``) and write its reports into ``out``, together.

    Returns the result (carrying its audit record, when there is a database)
    and the files written.

    Raises
    ------
    InputError
        ``out`` is not a new or empty folder, the reports cannot be written
        (then nothing is recorded), the database is locked or not an audit
        database.
    """
    folder = None if out is None else check_out_folder(out)
    if database is None:
        if folder is None:
            return result, []
        _remove_stale_staging(folder, committed=set())
        staged = _staging(folder, secrets.token_hex(4))
        _write(result, staged)
        _finish(staged, folder, None)
        return result, [folder / p.name for p in sorted(folder.iterdir())]
    with audit.Appending(database, timeout=timeout) as session:
        records = session.records()
        complete_pending(records)
        if folder is not None:
            check_out_folder(folder)  # a call completed just now may hold it
            _remove_stale_staging(folder, committed={r.hash[:16] for r in records})
        payload = audit_payload(result)
        if folder is not None:
            payload["outputs"] = {"folder": str(folder.absolute()), "files": list(FILES)}
        record = session.prepare(
            created_utc=result.provenance.created_utc,
            analyst=result.analyst,
            design_hash=result.provenance.design_hash,
            payload=payload,
        )
        signature = None if key is None else key.sign(record.hash)
        details: dict[str, object] = {
            "id": record.id, "hash": record.hash, "previous_hash": record.previous_hash,
        }  # fmt: skip
        if signature is not None:
            details["signature"] = signature.to_dict()
        result = result.with_audit(details)
        stage = None if folder is None else _staging(folder, record.hash[:16])
        if stage is not None:
            _write(result, stage)
        try:
            session.store(record, signature)
            session.commit()
        except BaseException:
            if stage is not None:
                shutil.rmtree(stage, ignore_errors=True)
            raise
    if folder is None or stage is None:
        return result, []
    _finish(stage, folder, record.id)
    return result, [folder / name for name in FILES]


#: The reports of a call, in its folder.
FILES = ("decision.json", "closed_report.html", "open_report.html")


def _write(result: AnyInterim, stage: Path) -> None:
    try:
        stage.mkdir()
        write_outputs(result, stage)
        sync_folder(stage)
    except OSError as error:
        shutil.rmtree(stage, ignore_errors=True)
        raise InputError(
            "out", f"cannot write the reports in {stage.parent}: {error.strerror or error}"
        ) from None
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _finish(stage: Path, folder: Path, record: int | None) -> None:
    try:
        _move_outputs(stage, folder)
    except FileNotFoundError:
        if record is not None and (folder / "decision.json").is_file():
            return  # another process reading the trail completed the move just now
        raise InputError("out", f"the reports staged in {stage} are gone") from None
    except OSError as error:
        if record is None:
            shutil.rmtree(stage, ignore_errors=True)
            raise InputError("out", f"cannot create {folder}: {error.strerror}") from None
        raise InputError(
            "out",
            f"the call is recorded (record {record}) and its reports are complete in {stage}, "
            f"but could not be moved to {folder} ({error.strerror}); the next use of the audit "
            f"database moves them",
        ) from None
    sync_folder(folder.absolute().parent)


def complete_pending(records: list[audit.AuditRecord]) -> list[Path]:
    """Finish the move of reports whose record was committed just before a kill.

    A record naming an output folder that is missing (or empty), whose staging
    folder (named with the record's hash) holds the reports, gets its folder
    now. Returns the folders completed.
    """
    done = []
    for record in records:
        outputs = record.payload.get("outputs")
        if not isinstance(outputs, dict) or not isinstance(outputs.get("folder"), str):
            continue
        folder = Path(outputs["folder"])
        if folder.is_symlink() or (folder.exists() and not _empty_folder(folder)):
            continue
        pattern = f".{glob_escape(folder.name)}.*.{record.hash[:16]}.pending"
        for stage in folder.parent.glob(pattern):
            if (stage / "decision.json").is_file():
                with contextlib.suppress(OSError):
                    _move_outputs(stage, folder)
                    done.append(folder)
                break
    return done


def _empty_folder(folder: Path) -> bool:
    return folder.is_dir() and not any(folder.iterdir())
