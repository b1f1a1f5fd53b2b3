"""Output files: atomic writes with the user's umask, temporary names, stale leftovers (internal).

Every temporary file or folder the package makes beside a target is named
``.NAME.PID.RANDOM.SUFFIX``: the process that made it is in its name, so the
next run removes what a killed process left (:func:`remove_stale`) and never
what a running one is still writing.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from .errors import InputError

__all__ = [
    "atomic_write",
    "glob_escape",
    "process_alive",
    "remove_stale",
    "sync_folder",
    "temporary_prefix",
    "umask_mode",
    "writable_folder",
]


def umask_mode(mode: int = 0o666) -> int:
    """``mode`` with the process umask applied (what ``open()`` would give a new file)."""
    mask = os.umask(0)
    os.umask(mask)
    return mode & ~mask


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    Readers see the old content or the new, never a half-written file; the new
    file gets the permissions a plain ``open()`` would give it (the umask).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path.name), suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def temporary_prefix(name: str) -> str:
    """``.NAME.PID.``: the start of a temporary name beside ``name``."""
    return f".{name}.{os.getpid()}."


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (a zombie, dead but not reaped, does not)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, OverflowError):
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True  # no /proc: trust kill(0)
    return state not in ("Z", "X")


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (a rename or link in it) to disk, where the system allows."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters taken literally."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def remove_stale(folder: Path, suffix: str, name: str | None = None) -> list[Path]:
    """Remove ``.NAME.PID.RANDOM{suffix}`` files and folders whose process no longer runs.

    ``name`` limits it to one target's leftovers (any target's when None).
    """
    removed = []
    pattern = f".{'*' if name is None else glob_escape(name)}.*{suffix}"
    for leftover in folder.glob(pattern):
        parts = leftover.name[: -len(suffix)].split(".")
        if len(parts) < 4 or not parts[-2].isdigit() or process_alive(int(parts[-2])):
            continue
        if leftover.is_dir() and not leftover.is_symlink():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


def writable_folder(path: str | Path, field: str = "out") -> Path:
    """An output folder that exists or can be made: refused, before any work, when it cannot.

    Raises
    ------
    InputError
        A file, a link to nothing, under a file, or where nothing can be written.
    """
    folder = Path(path)
    if folder.is_symlink() and not folder.exists():
        raise InputError(field, f"{path} is a link to {os.readlink(folder)}, which does not exist")
    if folder.exists() and not folder.is_dir():
        raise InputError(field, f"{path} is a file, not a folder")
    existing = folder.absolute()
    while not existing.exists() and existing.parent != existing:
        if existing.is_symlink():
            raise InputError(field, f"{existing} is a link to nothing")
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(field, f"{existing} is a file, not a folder: {path} cannot go under it")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise InputError(field, f"cannot write in {existing}: permission denied")
    return folder
