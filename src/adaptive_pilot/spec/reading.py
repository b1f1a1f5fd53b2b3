"""Reading design and scenario files safely, and one-line errors in the user's words.

A file is read as data only: YAML through PyYAML's safe loader (no object
construction), TOML through :mod:`tomllib`. Before anything is validated the
file must be a readable regular file of at most 1 MiB, UTF-8 text, with no key
repeated in a mapping, nesting at most 32 levels deep and at most 100,000
nodes once YAML aliases are expanded. Validation errors name the file, the
line (YAML) and the key, and say what is allowed in plain words.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from ..errors import InputError

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "one_line",
    "read_document",
    "read_validated",
]

MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 32
MAX_NODES = 100_000
_RULE_TYPES = ["simon", "posterior", "predictive", "bop2", "posterior_vs_standard"]


def read_document(path: Path, what: str) -> tuple[dict[str, Any], Any]:
    """Read a YAML or TOML file into a mapping (and the YAML node tree, for line numbers).

    Raises
    ------
    InputError
        One line naming the file and what is wrong with it.
    """
    where = str(path)
    if not path.exists():
        raise InputError(what, f"{path} does not exist")
    if path.is_dir():
        raise InputError(what, f"{path} is a folder; give a .yaml, .yml or .toml file")
    if not path.is_file():
        raise InputError(what, f"{path} is not a regular file")
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".yaml", ".yml"):
        raise InputError(where, "must end in .yaml, .yml or .toml")
    try:
        raw = path.read_bytes()
    except PermissionError:
        raise InputError(where, "cannot be read: permission denied") from None
    except OSError as error:
        raise InputError(where, f"cannot be read: {error.strerror or error}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(
            where, f"is {len(raw):,} bytes; design and scenario files are at most 1 MiB"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            where, f"is not UTF-8 text (byte {error.start}); save it as UTF-8"
        ) from None
    if suffix == ".toml":
        data, root = _read_toml(text, where), None
    else:
        data, root = _read_yaml(text, where)
    if not isinstance(data, dict):
        raise InputError(where, "must be a mapping of keys to values at the top level")
    return data, root


def read_validated[M: BaseModel](
    path: Path, what: str, model: type[M]
) -> tuple[M, dict[str, Any], Any]:
    """Read a file and validate it against ``model``: (spec, raw data, YAML node tree)."""
    data, root = read_document(path, what)
    try:
        return model.model_validate(data), data, root
    except ValidationError as error:
        raise one_line(error, path, root, model) from None


def _read_toml(text: str, where: str) -> Any:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise InputError(where, f"is not valid TOML: {error}") from None
    except RecursionError:
        raise InputError(where, f"is nested too deeply (at most {MAX_DEPTH} levels)") from None
    _check_data_depth(data, where)
    return data


def _yaml_error(error: yaml.YAMLError, where: str) -> InputError:
    """One line: the file and line, and what is wrong (a tag is named as not allowed)."""
    mark = getattr(error, "problem_mark", None)
    at = f"{where}:{mark.line + 1}" if mark is not None else where
    problem = getattr(error, "problem", None) or str(error)
    problem = " ".join(str(problem).split())
    if "constructor for the tag" in problem:
        tag = problem.split("tag", 1)[1].strip().strip("'").replace("tag:yaml.org,2002:", "!!")
        return InputError(
            at, f"has the YAML tag {tag}, which is not allowed: design and scenario files hold "
            f"plain values only (nothing is constructed or run)",
        )  # fmt: skip
    return InputError(at, f"is not valid YAML: {problem}")


def _read_yaml(text: str, where: str) -> tuple[Any, Any]:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        raise _yaml_error(error, where) from None
    except RecursionError:
        raise InputError(where, f"is nested too deeply (at most {MAX_DEPTH} levels)") from None
    if root is None:
        raise InputError(where, "is empty")
    _check_tree(root, where)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:  # a tag: composing accepts it, constructing does not
        raise _yaml_error(error, where) from None
    except RecursionError:  # pragma: no cover - compose caught it
        raise InputError(where, f"is nested too deeply (at most {MAX_DEPTH} levels)") from None
    return data, root


def _check_tree(root: Any, where: str) -> None:
    """Depth, size (aliases expanded) and repeated keys of a composed YAML tree."""
    count = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise InputError(where, f"has more than {MAX_NODES:,} values once aliases are expanded")
        if depth > MAX_DEPTH:
            line = node.start_mark.line + 1
            raise InputError(
                f"{where}:{line}", f"is nested too deeply (at most {MAX_DEPTH} levels)"
            )
        if isinstance(node, yaml.MappingNode):
            seen: dict[Any, int] = {}
            for key, value in node.value:
                name = key.value if isinstance(key, yaml.ScalarNode) else None
                line = key.start_mark.line + 1
                if name is not None and name in seen:
                    raise InputError(
                        f"{where}:{line}",
                        f"repeats the key '{name}' (first given on line {seen[name]})",
                    )
                if name is not None:
                    seen[name] = line
                stack.append((value, depth + 1))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, depth + 1) for item in node.value)


def _check_data_depth(data: Any, where: str) -> None:
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise InputError(where, f"is nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


# ------------------------------------------------------------ error lines
def one_line(
    error: ValidationError,
    path: Path | str,
    root: Any,
    model: type[BaseModel],
    prefix: tuple[Any, ...] = (),
) -> InputError:
    """The validation error to show, as one line naming file, line and key."""
    errors = error.errors()
    # A misspelt key also shows up as a missing one: report the misspelling.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), None)
    if first is None:
        first = _most_specific(errors)
    loc = [str(part) for part in (*prefix, *first["loc"])]
    key_path = _readable_path(loc)
    line = _yaml_line(root, (*prefix, *first["loc"]))
    where = f"{path}:{line}" if line else str(path)
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(first["loc"][:-1], model)
        unknown = loc[-1]
        message = f"unknown key '{unknown}'"
        close = difflib.get_close_matches(unknown, allowed, n=1)
        if close:
            message += f"; did you mean '{close[0]}'?"
        if allowed:
            message += f" (allowed: {', '.join(allowed)})"
        return InputError(f"{where}: {key_path}", message)
    if first["type"] == "union_tag_invalid":
        given = first.get("input")
        tag = given.get("type") if isinstance(given, dict) else None
        message = f"unknown rule type {tag!r}; allowed: {', '.join(_RULE_TYPES)}"
        close = difflib.get_close_matches(str(tag), _RULE_TYPES, n=1)
        if close:
            message += f"; did you mean '{close[0]}'?"
        return InputError(f"{where}: {key_path}.type", message)
    if first["type"] == "union_tag_not_found":
        message = f"is required; allowed: {', '.join(_RULE_TYPES)}"
        return InputError(f"{where}: {key_path}.type", message)
    return InputError(f"{where}: {key_path or '(top level)'}", _plain_message(first))


def _most_specific(errors: list[Any]) -> Any:
    """Among the errors on the first key at fault, the deepest (the union branch that matched)."""
    top = errors[0]["loc"][:1]
    same = [e for e in errors if e["loc"][:1] == top]
    mismatch = {"list_type", "model_type", "dict_type", "model_attributes_type", "tuple_type"}
    return max(same, key=lambda e: (e["type"] not in mismatch, len(e["loc"])))


def _shown(value: Any) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "not a number"
    if isinstance(value, float) and math.isinf(value):
        return "infinity" if value > 0 else "minus infinity"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)


def _plain_message(error: Any) -> str:
    """A pydantic error in plain words."""
    kind = error["type"]
    ctx = error.get("ctx", {})
    got = f" (got {_shown(error.get('input'))})"
    simple = {
        "missing": "is required",
        "int_parsing": "must be a whole number" + got,
        "int_type": "must be a whole number" + got,
        "int_from_float": "must be a whole number" + got,
        "float_parsing": "must be a number" + got,
        "float_type": "must be a number" + got,
        "finite_number": "must be a finite number" + got,
        "bool_type": "must be true or false" + got,
        "bool_parsing": "must be true or false" + got,
        "string_type": "must be text" + got,
        "list_type": "must be a list" + got,
        "tuple_type": "must be a list" + got,
        "dict_type": "must be a mapping of keys to values" + got,
        "model_type": "must be a mapping of keys to values" + got,
        "model_attributes_type": "must be a mapping of keys to values" + got,
    }
    if kind in simple:
        return simple[kind]
    bounds = {
        "greater_than": ("must be greater than", "gt"),
        "greater_than_equal": ("must be at least", "ge"),
        "less_than": ("must be less than", "lt"),
        "less_than_equal": ("must be at most", "le"),
    }
    if kind in bounds:
        text, key = bounds[kind]
        value = error.get("input")
        if isinstance(value, float) and math.isnan(value):
            return "must be a number" + got
        limit = ctx.get(key)
        shown = f"{limit:g}" if isinstance(limit, int | float) else str(limit)
        return f"{text} {shown}{got}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}{got}"
    if kind in ("too_short", "too_long"):
        return (
            str(error["msg"])
            .replace("Value should have", "needs")
            .replace("List should have", "needs")
        )
    return str(error["msg"]).removeprefix("Value error, ")


def _readable_path(loc: list[str]) -> str:
    parts: list[str] = []
    for part in loc:
        if (
            part in _RULE_TYPES
            or "[" in part
            or "-" in part
            or (part[:1].isupper() and part.endswith("Spec"))
        ):
            continue
        if part.isdigit() and parts:
            parts[-1] += f"[{part}]"
        else:
            parts.append(part)
    return ".".join(parts)


def _allowed_keys(loc: tuple[Any, ...], model: type[BaseModel]) -> list[str]:
    """Keys allowed at a location, read from the JSON Schema."""
    schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    node: dict[str, Any] = schema

    def resolve(n: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in n:
            n = defs[n["$ref"].split("/")[-1]]
        return n

    node = resolve(node)
    for part in loc:
        node = resolve(node)
        if "properties" in node and part in node["properties"]:
            node = resolve(node["properties"][part])
            if "anyOf" in node:
                objects = [resolve(o) for o in node["anyOf"] if "$ref" in o or "properties" in o]
                if not objects:  # an optional union (e.g. rule: RuleSpec | None)
                    objects = [resolve(o) for o in node["anyOf"] if o.get("type") != "null"]
                if len(objects) == 1:
                    node = objects[0]
            continue
        options = node.get("oneOf") or node.get("anyOf") or []
        mapping = node.get("discriminator", {}).get("mapping", {})
        if part in mapping:
            node = resolve({"$ref": mapping[part]})
            continue
        matching = [resolve(o) for o in options if part in resolve(o).get("properties", {})]
        if isinstance(part, int) and "items" in node:
            node = resolve(node["items"])
        elif matching:
            node = resolve(matching[0]["properties"][part])
    return sorted(node.get("properties", {}))


def _yaml_line(root: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest YAML node on the error's path."""
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    line = key.start_mark.line + 1
                    node = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line
