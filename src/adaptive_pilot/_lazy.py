"""Lazy package exports: a package names what it offers, and imports it on first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_getattr"]


def lazy_getattr(
    package: str, exports: Mapping[str, str], space: dict[str, Any]
) -> Callable[[str], Any]:
    """A module ``__getattr__``: imports ``exports[name]``, a submodule of ``package``, on
    first use.

    The value is stored in ``space`` (the package's globals), so the next access is free.
    """

    def attribute(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        space[name] = value
        return value

    return attribute
