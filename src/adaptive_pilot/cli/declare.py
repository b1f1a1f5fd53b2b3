"""Commands and options declared once; the argparse parser and error names derived from them.

A :class:`Command` is its name, one-line summary, description, an example and
its :class:`Option` s; :func:`build_parser` turns the declarations into an
argparse parser (each default shown once, each limit stated from the type that
enforces it, the example under the help) and :func:`option_names` maps a
library field back to the option as the user typed it, from the same parser.

argparse (standard library) rather than click or typer: it costs nothing to
import (``--help`` answers in 0.1 s), needs no dependency, and with an
overridden ``error`` meets the one-line, exit-2 contract directly; the
declarations here give what click would (one place per option).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

__all__ = ["EXIT_INPUT", "PROG", "Command", "Option", "build_parser", "fail", "option_names"]

PROG = "adaptive-pilot"
EXIT_INPUT = 2


def fail(line: str) -> NoReturn:
    """Print one error line and exit with status 2."""
    print(line, file=sys.stderr)
    raise SystemExit(EXIT_INPUT)


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        fail(f"{self.prog}: error: {message}")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Shows each default once (none where there is none worth showing); keeps the example's
    line breaks."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, argparse.SUPPRESS, []) or action.required:
            return action.help
        return super()._get_help_string(action)


@dataclass(frozen=True)
class Option:
    """One option (or positional argument) of a command, as ``add_argument`` takes it.

    ``type`` may carry ``limits`` (see :mod:`adaptive_pilot.cli.types`): they are
    added to the help. ``hidden`` options work but are not listed.
    """

    flags: str | tuple[str, ...]
    help: str = ""
    type: Callable[[str], Any] | None = None
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] | None = None
    action: str | None = None
    metavar: str | None = None
    nargs: str | None = None
    dest: str | None = None
    const: Any = None
    hidden: bool = False

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        """Add the option to ``parser``."""
        flags = (self.flags,) if isinstance(self.flags, str) else self.flags
        limits = getattr(self.type, "limits", "")
        text = self.help
        if limits and limits not in text:
            text = f"{text} ({limits})"
        options: dict[str, Any] = {"help": argparse.SUPPRESS if self.hidden else text}
        if self.action is not None:
            options["action"] = self.action
        if self.action not in ("store_true", "store_const"):
            options["type"] = self.type
            options["choices"] = self.choices
            options["metavar"] = self.metavar
            options["nargs"] = self.nargs
        if self.const is not None:
            options["const"] = self.const
        if self.dest is not None:
            options["dest"] = self.dest
        if flags[0].startswith("-"):
            options["required"] = self.required
        if self.default is not None or self.action != "store_true":
            options["default"] = self.default
        parser.add_argument(*flags, **{k: v for k, v in options.items() if v is not None})


@dataclass(frozen=True)
class Command:
    """One command: its options, its help, an example, and the handler that runs it.

    ``handler`` names a function of :mod:`adaptive_pilot.cli.handlers` taking the
    parsed arguments and returning the output text.
    """

    name: str
    summary: str
    description: str
    example: str
    options: tuple[Option, ...]
    handler: str


def build_parser(
    commands: Sequence[Command], description: str, version: str
) -> argparse.ArgumentParser:
    """The argparse parser of ``commands``."""
    parser = Parser(prog=PROG, description=description, formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {version}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for command in commands:
        sub = subparsers.add_parser(
            command.name,
            help=command.summary,
            description=command.description,
            epilog=f"example:\n  {command.example}",
            formatter_class=HelpFormatter,
        )
        for option in command.options:
            option.add_to(sub)
        sub.set_defaults(handler=command.handler)
    return parser


def option_names(parser: argparse.ArgumentParser, command: str) -> dict[str, str]:
    """{field: option as typed} for one command: ``n_trials`` -> ``--n-trials``."""
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub = subparsers.choices[command]
    names = {}
    for action in sub._actions:
        longest = max(action.option_strings, key=len, default="")
        if longest.startswith("--") and action.dest not in names:
            names[action.dest] = longest
    return names
