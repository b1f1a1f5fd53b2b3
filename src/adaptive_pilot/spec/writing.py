"""Writing a design document back to a file, keeping the comments of the file it came from.

A design file is documentation as much as input: its comments say why each number
is what it is. When a document read from a file is changed (the Design page's form,
``calibrate --write``) and written again, the original text is edited in place:
changed values are replaced, removed keys dropped and new keys appended, and every
comment and the key order stay where they were (ruamel.yaml's and tomlkit's
round-trip modes). Without an original, the document is written plainly.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

__all__ = ["document_text"]


def document_text(
    document: Mapping[str, Any],
    original: str | None = None,
    suffix: str = ".yaml",
    header: str = "",
) -> str:
    """The text of a design file holding ``document``.

    Parameters
    ----------
    document : mapping
        The design document (plain values: mappings, lists, numbers, strings).
    original : str, optional
        Text of the file the document was read from: its comments and layout are kept.
    suffix : {".yaml", ".yml", ".toml"}
        Format of ``original`` and of the text returned.
    header : str
        Comment lines put first when there is no original (each starting with ``#``).

    Returns
    -------
    str
        The file's text; read back, it gives ``document``.
    """
    if suffix.lower() == ".toml":
        return _toml(document, original, header)
    return _yaml(document, original, header)


def _yaml(document: Mapping[str, Any], original: str | None, header: str) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a line the edit did not touch
    yaml.indent(mapping=2, sequence=4, offset=2)
    tree = yaml.load(original) if original else None
    if not isinstance(tree, dict):
        tree = None
    if tree is None:
        out = io.StringIO()
        yaml.dump(_plain(document), out)
        return header + out.getvalue()
    _merge(tree, document)
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _toml(document: Mapping[str, Any], original: str | None, header: str) -> str:
    import tomlkit

    if not original:
        return header + tomlkit.dumps(_plain(document))
    tree = tomlkit.parse(original)
    _merge(tree, document)
    return tomlkit.dumps(tree)


def _merge(tree: Any, document: Mapping[str, Any]) -> None:
    """Make ``tree`` (a round-trip mapping) equal ``document``, editing it in place."""
    for key in [k for k in tree if k not in document]:
        del tree[key]
    for key, value in document.items():
        if key in tree and isinstance(value, Mapping) and isinstance(tree[key], Mapping):
            _merge(tree[key], value)
        elif key in tree and _same(tree[key], value):
            continue  # unchanged: keep the original's spelling (0.30, quotes, flow style)
        else:
            tree[key] = _plain(value)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return isinstance(old, bool) and isinstance(new, bool) and bool(old) == bool(new)
    if isinstance(old, int | float) and isinstance(new, int | float):
        return float(old) == float(new)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return old.keys() == new.keys() and all(_same(old[k], new[k]) for k in old)
    return bool(old == new)


def _plain(value: Any) -> Any:
    """Plain Python values (tuples as lists, numpy scalars as numbers) for the dumpers."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return value.item()
    return value
