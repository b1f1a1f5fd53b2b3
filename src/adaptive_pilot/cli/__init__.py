"""The ``adaptive-pilot`` command line: a thin layer that calls the library and renders results.

Every input problem ends in one line on standard error naming the option as
typed (or the file, line and key) and what is allowed, with exit status 2 and
no traceback. Output is assembled in full before anything is printed, so a
failed command prints nothing to stdout. Table-printing commands take
``--format text|json|csv|md``: text and Markdown render the result's
``Summary``, JSON its ``to_dict()`` and CSV its tidy ``to_frame()``.

* :mod:`.commands` declares every command and option once;
* :mod:`.declare` derives the parser and the option names of error lines;
* :mod:`.types` holds the option value types and their limits;
* :mod:`.handlers` is the wiring: options in, library call, text out.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .commands import COMMANDS, DESCRIPTION
from .declare import EXIT_INPUT, PROG, fail, option_names
from .declare import build_parser as _build

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser, derived from :data:`~adaptive_pilot.cli.commands.COMMANDS`."""
    from ..provenance import package_version

    return _build(COMMANDS, DESCRIPTION, package_version())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``adaptive-pilot`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from ..errors import InputError
    from ..patients.records import DataError
    from . import handlers

    try:
        output = getattr(handlers, args.handler)(args)
    except DataError as error:
        for line in error.lines:
            print(f"{PROG} {args.command}: error: {line}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT) from None
    except handlers.ExitStatus as status:
        sys.stdout.write(status.output)
        return status.code
    except InputError as error:
        name = option_names(parser, args.command).get(error.field, error.field)
        fail(f"{PROG} {args.command}: error: {name}: {error.message}")
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    finally:
        if "adaptive_pilot.simulation.workers" in sys.modules:  # a simulation ran
            sys.modules["adaptive_pilot.simulation.workers"].stop_workers()
    sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return 0
