"""Installation check: every file the installer wrote is the file it recorded.

pip writes a ``RECORD`` file into the package's ``.dist-info`` folder with the SHA-256
of every file it installed. Rehashing them shows that nothing was changed, lost or
corrupted since the installation. An editable install (``pip install -e``, as ``make``
makes) records only its link to the source folder: the code is then the checkout,
named by its commit in the report's provenance.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
from importlib import metadata

from .catalogue import Expected, Tolerance
from .compare import Check, compare

__all__ = ["describe_installation", "installed_files"]

DISTRIBUTION = "adaptive-pilot"


def _editable_source() -> str | None:
    """The source folder of an editable install, else None."""
    try:
        text = metadata.distribution(DISTRIBUTION).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not text:
        return None
    info = json.loads(text)
    return str(info.get("url")) if info.get("dir_info", {}).get("editable") else None


def describe_installation() -> str:
    """How the package was installed, in one sentence (the check's description)."""
    source = _editable_source()
    what = (
        f"an editable install from {source}: RECORD covers only the link to the source "
        "folder, so the code checked is that checkout (its commit is in the provenance line)"
        if source
        else "a regular install: RECORD covers every file of the package"
    )
    return (
        "Every file pip recorded in the package's RECORD (its .dist-info folder) is hashed "
        f"again (SHA-256) and compared with the recorded hash. This is {what}."
    )


def installed_files() -> list[Check]:
    """One row per file whose hash differs or that is missing, and a count of the files
    that match (reference: every hashed file in RECORD)."""
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return compare(
            "installed_files", "RECORD", "installed", Expected("yes"), "no (not installed)",
            Tolerance(),
        )  # fmt: skip
    # RECORD itself, not distribution.files: that list leaves out files that are missing
    hashed = [
        (name, digest)
        for name, digest, *_ in csv.reader((distribution.read_text("RECORD") or "").splitlines())
        if digest
    ]
    matching = 0
    rows: list[Check] = []
    for name, digest in hashed:
        mode, _, expected = digest.partition("=")
        path = distribution.locate_file(name)
        try:
            data = path.read_bytes()  # type: ignore[attr-defined]
        except OSError:
            rows += compare(
                "installed_files", name, mode, Expected(expected), "missing", Tolerance()
            )
            continue
        found = base64.urlsafe_b64encode(hashlib.new(mode, data).digest()).rstrip(b"=").decode()
        if found == expected:
            matching += 1
        else:
            rows += compare("installed_files", name, mode, Expected(expected), found, Tolerance())
    case = "editable install" if _editable_source() else "RECORD"
    count = compare(
        "installed_files", case, "files matching their recorded hash", Expected(len(hashed)),
        matching, Tolerance(),
    )  # fmt: skip
    return [*count, *rows]
