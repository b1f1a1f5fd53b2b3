"""Checkpoint folder of a simulation run: a manifest and one self-describing file per chunk.

Layout of ``OUT/``::

    run.json                 the run's manifest (design and scenario hashes, seed, n_trials, ...)
    chunks/chunk-000007.npz  chunk 7's statistics, with a record of what it is
    results.csv, results.json

Each chunk file is a NumPy ``.npz`` archive (read with ``allow_pickle=False``:
nothing in it is ever unpickled) holding the chunk's statistic arrays and a
``__record__`` entry: the chunk index, the run hash (the hash of the manifest),
the number of trials and a SHA-256 checksum of the arrays. On resume a chunk is
used only when its file reads, its checksum matches, and its index, run hash and
size are the ones expected at that position; anything else is reported on one
line and simulated again.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .._files import atomic_write, remove_stale, writable_folder
from ..errors import InputError
from ..provenance import design_hash

__all__ = ["CheckpointFolder", "ChunkStats"]

#: One chunk's statistics: per scenario, named arrays.
ChunkStats = list[dict[str, np.ndarray]]

_MANIFEST = "run.json"
_RECORD = "__record__"
_FORMAT = 1


@dataclass(frozen=True)
class CheckpointFolder:
    """An output folder bound to one run (its manifest)."""

    folder: Path
    manifest: dict[str, Any]

    @property
    def run_hash(self) -> str:
        """Hash of the manifest: ties every chunk file to this run."""
        return design_hash(self.manifest)

    @classmethod
    def open(cls, out: str | Path, manifest: dict[str, Any]) -> CheckpointFolder:
        """Create or reopen ``out`` for the run described by ``manifest``.

        Refuses (``InputError`` on field ``out``) a path that is a file or lies under
        one, a folder that cannot be written, a non-empty folder that holds no
        simulation, and a folder that holds a different simulation.
        """
        folder = writable_folder(out)
        path = folder / _MANIFEST
        if path.exists():
            try:
                previous = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                previous = None
            if previous != manifest:
                raise InputError(
                    "out",
                    f"{folder} holds a different simulation (design, scenarios, seed, n_trials or "
                    "version differ); choose another folder or delete it",
                )
        elif folder.exists() and any(folder.iterdir()):
            raise InputError("out", f"{folder} is not empty and holds no adaptive-pilot simulation")
        try:
            (folder / "chunks").mkdir(parents=True, exist_ok=True)
            atomic_write(path, json.dumps(manifest, indent=2).encode())
        except OSError as error:
            raise InputError("out", f"cannot write in {folder}: {_reason(error)}") from None
        # temporary files of a run that was killed while writing them
        remove_stale(folder / "chunks", ".tmp")
        remove_stale(folder, ".tmp")
        return cls(folder, manifest)

    def chunk_path(self, index: int) -> Path:
        """Where chunk ``index`` is kept."""
        return self.folder / "chunks" / f"chunk-{index:06d}.npz"

    def save(self, index: int, size: int, stats: ChunkStats) -> None:
        """Write chunk ``index`` (``size`` trials) atomically, with its record."""
        arrays = {
            f"{s}|{key}": np.ascontiguousarray(value)
            for s, block in enumerate(stats)
            for key, value in block.items()
        }
        record = {
            "format": _FORMAT,
            "chunk": index,
            "run": self.run_hash,
            "trials": size,
            "sha256": _checksum(arrays),
        }
        encoded = np.frombuffer(json.dumps(record, sort_keys=True).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        savez: Any = np.savez  # its stub types **kwds as its keyword options
        savez(buffer, **{_RECORD: encoded}, **arrays)
        path = self.chunk_path(index)
        try:
            atomic_write(path, buffer.getvalue())
        except OSError as error:
            raise InputError("out", f"cannot write {path}: {_reason(error)}") from None

    def load(
        self, sizes: list[int], n_scenarios: int, report: Callable[[str], None]
    ) -> tuple[dict[int, ChunkStats], list[tuple[int, str]]]:
        """Chunks already done, and the ones refused with the reason.

        Parameters
        ----------
        sizes : list of int
            Trials in each chunk of the run, by index.
        n_scenarios : int
            Scenarios each chunk must hold.
        report : callable
            Receives one line per refused chunk file.
        """
        done: dict[int, ChunkStats] = {}
        refused: list[tuple[int, str]] = []
        for index, size in enumerate(sizes):
            path = self.chunk_path(index)
            if not path.exists():
                continue
            if not path.is_file():  # a folder, a pipe (reading it would wait forever), a device
                raise InputError(
                    "out",
                    f"{path} is not a regular file (a folder, pipe or device); remove it so that "
                    f"the chunk can be simulated and saved there",
                )
            stats, problem = self._read(path, index, size, n_scenarios)
            if problem is None and stats is not None:
                done[index] = stats
                continue
            refused.append((index, problem or "unreadable"))
            report(
                f"checkpoint {path.relative_to(self.folder)} {problem}; "
                f"simulating chunk {index} again"
            )
        return done, refused

    def _read(
        self, path: Path, index: int, size: int, n_scenarios: int
    ) -> tuple[ChunkStats | None, str | None]:
        try:
            with np.load(path, allow_pickle=False) as data:
                names = list(data.files)
                arrays = {name: data[name] for name in names if name != _RECORD}
                raw = data[_RECORD] if _RECORD in names else None
        except Exception:  # any failure to read means: do not use it
            return None, "is damaged (truncated or not a chunk file)"
        if raw is None:
            return None, "has no record of its run (written by an older version)"
        try:
            record = json.loads(raw.tobytes().decode("utf-8"))
            fmt, chunk, run = record["format"], record["chunk"], record["run"]
            trials, digest = record["trials"], record["sha256"]
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError):
            return None, "is damaged (its record cannot be read)"
        if fmt != _FORMAT:
            return None, f"has format {fmt!r}, not {_FORMAT}"
        if digest != _checksum(arrays):
            return None, "is damaged (checksum mismatch)"
        if run != self.run_hash:
            return None, "belongs to another run"
        if chunk != index:
            return None, f"is misplaced (it holds chunk {chunk})"
        if trials != size:
            return None, f"holds {trials} trials, not {size}"
        blocks: dict[int, dict[str, np.ndarray]] = {}
        for name, value in arrays.items():
            scenario, _, key = name.partition("|")
            if not scenario.isdigit() or not key:
                return None, f"is damaged (unexpected entry {name!r})"
            blocks.setdefault(int(scenario), {})[key] = value
        if sorted(blocks) != list(range(n_scenarios)):
            return None, f"holds {len(blocks)} scenarios, not {n_scenarios}"
        return [blocks[s] for s in range(n_scenarios)], None

    def write_results(self, csv_text: str, json_text: str) -> None:
        """Write ``results.csv`` and ``results.json``."""
        atomic_write(self.folder / "results.csv", csv_text.encode())
        atomic_write(self.folder / "results.json", json_text.encode())


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        value = np.ascontiguousarray(arrays[name])
        header = f"{name}\0{value.dtype.str}\0{value.shape}\0".encode()
        digest.update(header)
        digest.update(value.tobytes())
    return digest.hexdigest()


def _reason(error: OSError) -> str:
    return (error.strerror or type(error).__name__).lower()
