"""The ``adaptive-pilot`` command line.

Every input problem ends in one line on standard error naming the option and
what is allowed, with exit status 2 and no traceback. Output is assembled in
full before anything is printed, so a failed command prints nothing to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np

from ._grid import parse_rate_grid
from .designs.boundary_table import BoundaryTable
from .designs.simon import simon_designs
from .errors import InputError
from .oc.exact import exact_oc
from .provenance import package_version
from .spec import load_design_file

__all__ = ["main"]

PROG = "adaptive-pilot"
EXIT_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{self.prog}: error: {message}")


def _fail(line: str) -> NoReturn:
    print(line, file=sys.stderr)
    raise SystemExit(EXIT_INPUT)


def _probability(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a probability strictly between 0 and 1 (got {text!r})"
        ) from None
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"must be a probability strictly between 0 and 1 (got {text})"
        )
    return value


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = _Parser(
        prog=PROG,
        description=(
            "Design, tune and evaluate adaptive pilot trials with exact operating characteristics."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    simon = commands.add_parser(
        "simon",
        help="Simon two-stage designs: optimal, minimax and admissible",
        description="Search Simon two-stage designs (exact binomial).",
    )
    simon.add_argument("--p0", type=_probability, required=True, help="response rate under H0")
    simon.add_argument(
        "--p1", type=_probability, required=True, help="response rate under H1 (> p0)"
    )
    simon.add_argument(
        "--alpha", type=_probability, default=0.05, help="type I error bound (default 0.05)"
    )
    simon.add_argument(
        "--beta", type=_probability, default=0.20, help="type II error bound (default 0.20)"
    )
    simon.add_argument(
        "--nmax", type=_whole_number, default=100, help="largest total n searched (default 100)"
    )
    simon.add_argument(
        "--convention",
        choices=("clinfun", "inclusive"),
        default="clinfun",
        help="feasibility: clinfun (alpha < target, beta < target; default) or inclusive (<=)",
    )
    simon.add_argument("--json", action="store_true", help="print one JSON object")
    simon.set_defaults(handler=_run_simon)

    oc = commands.add_parser(
        "oc",
        help="exact operating characteristics of a boundary table",
        description="Exact operating characteristics of a boundary table (no Monte Carlo).",
    )
    oc.add_argument("--looks", required=True, help="evaluable patients at each look, e.g. 10,29")
    oc.add_argument(
        "--futility", required=True, help="stop if responses <= f at each look ('never' for none)"
    )
    oc.add_argument(
        "--efficacy", required=True, help="stop for efficacy if responses >= e ('never' for none)"
    )
    oc.add_argument("--p", required=True, help="true rates: start:stop:step or a,b,c")
    oc.add_argument(
        "--by-look", action="store_true", help="also show per-look stopping probabilities"
    )
    oc.add_argument("--json", action="store_true", help="print one JSON object")
    oc.set_defaults(handler=_run_oc)

    demo = commands.add_parser(
        "demo",
        help="the motivating trial: Simon designs and their exact OC",
        description="Design the motivating trial's primary endpoint and print the exact OC.",
    )
    demo.add_argument(
        "design", nargs="?", default="designs/motivating_trial.toml", help="design file"
    )
    demo.set_defaults(handler=_run_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``adaptive-pilot`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        output = args.handler(args)
    except InputError as error:
        _fail(
            f"{PROG} {args.command}: error: "
            f"{_option_name(args.command, error.field)}: {error.message}"
        )
    except KeyboardInterrupt:  # pragma: no cover - interactive only
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    sys.stdout.write(output if output.endswith("\n") else output + "\n")
    return 0


def _option_name(command: str, field: str) -> str:
    """Map a library field name to the command-line option that set it."""
    if command == "demo":
        return field
    options = {
        "p0",
        "p1",
        "alpha",
        "beta",
        "nmax",
        "convention",
        "looks",
        "futility",
        "efficacy",
        "p",
    }
    return f"--{field}" if field in options else field


# ------------------------------------------------------------------ commands
def _run_simon(args: argparse.Namespace) -> str:
    search = simon_designs(
        args.p0, args.p1, args.alpha, args.beta, nmax=args.nmax, convention=args.convention
    )
    if args.json:
        return _json(search.to_dict())
    return search.summary()


def _run_oc(args: argparse.Namespace) -> str:
    table = BoundaryTable.from_strings(args.looks, args.futility, args.efficacy)
    rates = parse_rate_grid(args.p)
    oc = exact_oc(table, rates)
    if args.json:
        payload: dict[str, Any] = {
            "boundaries": table.to_dict(),
            "oc": oc.to_records(),
            "provenance": oc.provenance(),
        }
        if args.by_look:
            payload["by_look"] = oc.by_look().to_dict("records")
        return _json(payload)
    parts = ["Boundary table", table.describe(), "", oc.summary()]
    if args.by_look:
        parts += ["", "Per-look stopping probabilities", _by_look_text(oc.by_look())]
    parts += ["", _provenance_line(oc.provenance())]
    return "\n".join(parts)


def _run_demo(args: argparse.Namespace) -> str:
    spec = load_design_file(args.design)
    search = simon_designs(
        spec.p0, spec.p1, spec.alpha, spec.beta, nmax=spec.nmax, convention=spec.convention
    )
    rates = np.unique(
        np.round(np.concatenate([np.arange(0.0, 0.401, 0.05), [spec.p0, spec.p1]]), 10)
    )
    parts = [
        spec.title or spec.name,
        f"Primary endpoint: {spec.endpoint} ({spec.endpoint_definition}); "
        f"H0: p <= {spec.p0:g}, H1: p >= {spec.p1:g}",
        "",
        search.summary(),
    ]
    for design in (search.minimax, search.optimal):
        table = design.boundary_table()
        oc = table.oc(rates)
        parts += [
            "",
            f"{design.kind.capitalize()} design {design.notation}",
            table.describe(),
            oc.summary(),
            _provenance_line(oc.provenance()),
        ]
    return "\n".join(parts)


# ------------------------------------------------------------------ helpers
def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, allow_nan=False)


def _provenance_line(provenance: dict[str, Any]) -> str:
    return (
        f"[adaptive_pilot {provenance['version']}; {provenance['method']}; "
        f"design {provenance['design_hash']}]"
    )


def _by_look_text(frame: Any) -> str:
    shown = frame.copy()
    for column in ("p_reach", "p_stop_futility", "p_stop_efficacy", "p_end"):
        shown[column] = shown[column].map("{:.4f}".format)
    shown["p"] = shown["p"].map("{:.3f}".format)
    return shown.to_string(index=False)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
