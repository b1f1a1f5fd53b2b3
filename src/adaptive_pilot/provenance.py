"""Provenance stamped on every result: package version, content hashes."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from typing import Any

__all__ = ["content_hash", "package_version"]


def package_version() -> str:
    """The installed version of adaptive_pilot (``0+unknown`` when not installed)."""
    try:
        return metadata.version("adaptive-pilot")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown"


def content_hash(obj: Any) -> str:
    """A short, stable SHA-256 hash of a JSON-serialisable object.

    The object is serialised with sorted keys and no whitespace, so the hash
    depends only on content, never on key order or formatting.
    """
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
