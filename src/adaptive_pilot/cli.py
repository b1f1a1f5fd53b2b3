"""The ``adaptive-pilot`` command line: a thin layer that calls the library and renders results.

Every input problem ends in one line on standard error naming the option (or
file, line and key) and what is allowed, with exit status 2 and no traceback.
Output is assembled in full before anything is printed, so a failed command
prints nothing to stdout. Table-printing commands take ``--format
text|json|csv|md``: text and Markdown render the result's ``Summary``, JSON its
``to_dict()`` and CSV its tidy ``to_frame()``.

The library is imported inside each command, never at the top of this module,
so that ``--help`` and ``--version`` answer at once. argparse (standard library)
rather than click: it costs nothing to import, needs no dependency, and with
its defaults-showing help formatter and an overridden ``error`` it meets the
one-line, exit-2 contract directly.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["build_parser", "main"]

PROG = "adaptive-pilot"
EXIT_INPUT = 2
FORMATS = ("text", "json", "csv", "md")
#: Limits on sizes accepted from the command line (stated in the help).
MAX_TRIALS = 100_000_000
MAX_DRAWS = 1_000_000
SIMON_N_LIMIT = 2000


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (no usage dump) and exit status 2."""

    def error(self, message: str) -> NoReturn:
        _fail(f"{self.prog}: error: {message}")


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows defaults, except where there is none worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default in (None, False, argparse.SUPPRESS, []) or action.required:
            return action.help
        return super()._get_help_string(action)


def _fail(line: str) -> NoReturn:
    print(line, file=sys.stderr)
    raise SystemExit(EXIT_INPUT)


# ------------------------------------------------------------------ types
def _probability(text: str) -> float:
    value = _finite(text, "a probability strictly between 0 and 1")
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(
            f"must be a probability strictly between 0 and 1 (got {text})"
        )
    return value


def _finite(text: str, what: str = "a number") -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what} (got {text!r})") from None
    if math.isnan(value):
        raise argparse.ArgumentTypeError(f"must be {what} (got not a number)")
    if math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be {what} (got infinity)")
    return value


def _positive_number(text: str) -> float:
    value = _finite(text, "a positive number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number (got {text})")
    return value


def _count(minimum: int, maximum: int | None = None) -> Any:
    """A whole number in [minimum, maximum]."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number (got {text!r})") from None
        if value < minimum or (maximum is not None and value > maximum):
            allowed = f">= {minimum:,}" if maximum is None else f"from {minimum:,} to {maximum:,}"
            raise argparse.ArgumentTypeError(f"must be a whole number {allowed} (got {text})")
        return value

    return parse


def _beta_prior(text: str) -> tuple[float, float]:
    parts = text.split(",")
    try:
        a, b = (float(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be two positive numbers a,b, e.g. 0.6,0.4 (got {text!r})"
        ) from None
    if not (math.isfinite(a) and math.isfinite(b) and a > 0 and b > 0):
        raise argparse.ArgumentTypeError(f"must be two positive numbers a,b (got {text})")
    return a, b


def _limited_count(
    parser: argparse.ArgumentParser, flag: str, low: int, high: int, what: str, **options: Any
) -> None:
    """A whole-number option whose help states its limits."""
    limits = f"{low:,} to {high:,}"
    parser.add_argument(flag, type=_count(low, high), help=f"{what} ({limits})", **options)


def _max_jobs() -> int:
    return 4 * (os.cpu_count() or 1)


def _jobs_option(parser: argparse.ArgumentParser) -> None:
    """--n-jobs: parallel simulation workers."""
    parser.add_argument(
        "--n-jobs",
        type=_count(1, _max_jobs()),
        default=1,
        help=f"parallel simulation workers (1 to 4 x the CPUs = {_max_jobs()})",
    )


def _analysis_option(parser: argparse.ArgumentParser) -> None:
    """--analysis: override the design file's borrowing model."""
    parser.add_argument(
        "--analysis",
        choices=("independent", "hierarchical", "exnex"),
        default=None,
        help="override the design file's borrowing model (hierarchical: borrow with the "
        "file's model, Berry's unless it says exnex)",
    )


# ------------------------------------------------------------------ parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    from .provenance import package_version

    parser = _Parser(
        prog=PROG,
        description=(
            "Design, tune, simulate and evaluate adaptive pilot trials with exact operating "
            "characteristics."
        ),
        formatter_class=_Help,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    def command(name: str, help: str, description: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=help, description=description, formatter_class=_Help)

    simon = command(
        "simon",
        "Simon two-stage designs: optimal, minimax and admissible",
        "Search Simon two-stage designs (exact binomial).",
    )
    simon.add_argument("--p0", type=_probability, required=True, help="response rate under H0")
    simon.add_argument("--p1", type=_probability, required=True, help="response rate under H1")
    simon.add_argument("--alpha", type=_probability, default=0.05, help="type I error bound")
    simon.add_argument("--beta", type=_probability, default=0.20, help="type II error bound")
    _limited_count(simon, "--n-max", 2, SIMON_N_LIMIT, "largest total n searched", default=100)
    simon.add_argument(
        "--convention",
        choices=("clinfun", "inclusive"),
        default="clinfun",
        help="feasibility: clinfun (strict <) or inclusive (<=)",
    )
    _format_option(simon)
    simon.set_defaults(handler=_run_simon)

    oc = command(
        "oc",
        "exact operating characteristics of a boundary table",
        "Exact operating characteristics of a boundary table (no Monte Carlo).",
    )
    oc.add_argument(
        "--looks", required=True, help="evaluable patients at each look, e.g. 10,29 (at most 5,000)"
    )
    oc.add_argument("--futility", required=True, help="stop if responses <= f ('never': none)")
    oc.add_argument("--efficacy", required=True, help="stop if responses >= e ('never': none)")
    oc.add_argument("--p", required=True, help="true rates: start:stop:step or a,b,c")
    oc.add_argument("--by-look", action="store_true", help="also per-look stopping probabilities")
    _format_option(oc)
    oc.set_defaults(handler=_run_oc)

    inference = command(
        "inference",
        "exact estimates, p-value and CI after a cohort ended (any number of looks)",
        "Exact inference for a cohort that ended at n patients with x responses under a "
        "boundary table: naive, UMVUE, median-unbiased and bias-adjusted estimates, the "
        "p-value for H0: p <= p0 and the exact confidence interval under the stage-wise "
        "ordering (or the MLE / UMVUE ordering), and the Beta posterior.",
    )
    inference.add_argument("--looks", required=True, help="evaluable patients at each look")
    inference.add_argument("--futility", required=True, help="stop if x <= f ('never': none)")
    inference.add_argument("--efficacy", required=True, help="stop if x >= e ('never': none)")
    inference.add_argument(
        "--n", type=_count(1, 5000), required=True, help="evaluable patients when it ended"
    )
    inference.add_argument("--x", type=_count(0), required=True, help="responses when it ended")
    inference.add_argument(
        "--p0", type=_probability, required=True, help="null rate of the p-value (H0: p <= p0)"
    )
    inference.add_argument(
        "--level", type=_probability, default=0.90, help="two-sided level of the intervals"
    )
    inference.add_argument(
        "--ordering",
        choices=("stagewise", "mle", "umvue"),
        default="stagewise",
        help="ordering of the outcomes for the p-value, CI and median-unbiased estimate",
    )
    inference.add_argument(
        "--interval",
        choices=("exact", "koyama-chen"),
        default="exact",
        help="exact: (1 - level)/2 in each tail; koyama-chen: clinfun's twostage.inference",
    )
    inference.add_argument(
        "--prior", type=_beta_prior, default=(1.0, 1.0), help="Beta prior a,b of the posterior"
    )
    _format_option(inference)
    inference.set_defaults(handler=_run_inference)

    toxbound = command(
        "toxicity-boundary",
        "repeated-significance toxicity boundary (clinfun toxbdry)",
        "Repeated-significance toxicity stopping boundary (Ivanova, Qaqish & Schell 2005; "
        "clinfun's toxbdry), found exactly, with its exact operating characteristics.",
    )
    toxbound.add_argument("--p-lo", type=_probability, required=True, help="acceptable rate")
    toxbound.add_argument("--p-hi", type=_probability, required=True, help="unacceptable rate")
    toxbound.add_argument(
        "--looks", required=True, help="patients at each toxicity check, e.g. 20,40,60,75"
    )
    toxbound.add_argument(
        "--cp0", type=_probability, default=0.1, help="P(stop) allowed at the acceptable rate"
    )
    toxbound.add_argument(
        "--cp1", type=_probability, default=0.9, help="P(stop) wanted at the unacceptable rate"
    )
    toxbound.add_argument(
        "--shape",
        type=_finite,
        default=0.0,
        help="boundary shape from 0 (Pocock-like) to 0.5 (O'Brien-Fleming-like)",
    )
    toxbound.add_argument(
        "--priority",
        choices=("null", "alt"),
        default="null",
        help="the target to meet when N cannot meet both",
    )
    _limited_count(toxbound, "--grid", 2, 1000, "toxicity rates in the OC table", default=6)
    _format_option(toxbound)
    toxbound.set_defaults(handler=_run_toxicity_boundary)

    design = command(
        "design",
        "compile a design file: boundary table and exact OC",
        "Compile a design file into its boundary table and exact OC.",
    )
    design.add_argument("file", help="design file (.yaml, .yml or .toml)")
    design.add_argument(
        "--p", default=None, help="true rates (default: 0.05:0.6:0.05 with p0 and p1)"
    )
    _format_option(design)
    design.set_defaults(handler=_run_design)

    report = command(
        "report",
        "write the protocol report of a design: text, tables and figures",
        "Write the statistical-section report of a design file: the protocol paragraph "
        "with the design's own numbers, the boundary table in numbers and words, the exact "
        "OC, figures, a side-by-side comparison with --compare, and with --scenarios the "
        "simulated OC of a multi-cohort trial and its simulation appendix. Formats: html (one "
        "self-contained file), md (figures beside it), tex (pdflatex), docx (Word tables), "
        "csv (every table). Files are made in a temporary folder and moved into --out.",
    )
    report.add_argument("file", help="design file (.yaml, .yml or .toml)")
    report.add_argument(
        "--compare", nargs="+", default=[], metavar="FILE", help="other design files to compare"
    )
    report.add_argument(
        "--p",
        default=None,
        help="true rates of the OC table (default: 0.05:0.6:0.05); p0 and p1 are always added",
    )
    report.add_argument(
        "--format",
        default="html,md,tex,docx,csv",
        help="comma-separated formats: html, md, tex, docx, csv",
    )
    report.add_argument("--out", required=True, help="folder to write the report into")
    report.add_argument(
        "--scenarios",
        default=None,
        help="scenario file: simulate the multi-cohort trial and add the simulated OC and "
        "the simulation appendix",
    )
    _limited_count(
        report, "--n-trials", 1, MAX_TRIALS, "simulated trials per scenario", default=None
    )
    report.add_argument("--seed", type=_count(0), default=None, help="root random seed (default 1)")
    _jobs_option(report)
    _analysis_option(report)
    report.add_argument("--no-progress", action="store_true", help="no simulation progress")
    report.set_defaults(handler=_run_report)

    calibrate = command(
        "calibrate",
        "run the calibration a design file describes",
        "Run the calibration search in a design file: the single-cohort rule's thresholds "
        "(exact OC), or with --borrowing the hierarchical-borrowing thresholds of a "
        "multi-cohort trial (simulated, each cohort's P(false GO) controlled, the worst "
        "mixed null reported). With --write, save the design file with the calibrated "
        "thresholds filled in (and, for borrowing, the grid and the errors with their MCSE).",
    )
    calibrate.add_argument("file", help="design file with a calibration section")
    calibrate.add_argument(
        "--top", type=_count(0), default=10, help="feasible designs shown (0 or more)"
    )
    calibrate.add_argument("--write", default=None, help="write the calibrated design file here")
    calibrate.add_argument(
        "--borrowing",
        action="store_true",
        help="run calibration.borrowing (the default when it is the only grid in the file)",
    )
    _limited_count(
        calibrate, "--n-trials", 100, MAX_TRIALS, "trials per scenario (borrowing; default: "
        "the file's)", default=None,
    )  # fmt: skip
    calibrate.add_argument(
        "--seed", type=_count(0), default=None, help="root random seed (borrowing; default: the "
        "file's)"
    )  # fmt: skip
    _jobs_option(calibrate)
    calibrate.add_argument("--no-progress", action="store_true", help="no progress display")
    _format_option(calibrate)
    calibrate.set_defaults(handler=_run_calibrate)

    predprob = command(
        "predprob",
        "predictive probability of success (Lee & Liu 2008)",
        "Predictive probability that the final analysis will succeed.",
    )
    _data_arguments(predprob)
    _limited_count(predprob, "--n-max", 1, 5000, "maximum N", required=True)
    predprob.add_argument(
        "--theta-t", type=_probability, required=True, help="final success threshold"
    )
    _format_option(predprob)
    predprob.set_defaults(handler=_run_predprob)

    postprob = command(
        "postprob",
        "posterior probability P(p > p0 | data)",
        "Posterior probability that the response rate exceeds p0.",
    )
    _data_arguments(postprob)
    _format_option(postprob)
    postprob.set_defaults(handler=_run_postprob)

    borrow = command(
        "borrow",
        "hierarchical posterior across cohorts for one dataset",
        "Posterior of each cohort's response rate under the hierarchical model "
        "logit p_j ~ N(mu, tau^2), mu ~ N(M, S^2), tau ~ HalfNormal(T); with --ex-weight, "
        "under EXNEX: each cohort exchangeable with that probability, otherwise on its own "
        "prior logit p_j ~ N(--nex-mean, --nex-sd^2).",
    )
    borrow.add_argument(
        "--n", required=True, help="evaluable patients per cohort, e.g. 20,20,20,20"
    )
    borrow.add_argument("--x", required=True, help="responses per cohort, e.g. 2,3,8,9")
    borrow.add_argument("--p0", required=True, help="null rate: one value or one per cohort")
    borrow.add_argument(
        "--mu-mean",
        type=_finite,
        default=None,
        help="prior mean of mu (default: the mean of the cohorts' logit p0)",
    )
    borrow.add_argument("--mu-sd", type=_positive_number, default=2.0, help="prior SD of mu")
    borrow.add_argument(
        "--tau-sd", type=_positive_number, default=1.0, help="half-normal scale of tau"
    )
    borrow.add_argument(
        "--ex-weight",
        default=None,
        help="EXNEX: prior probability that a cohort is exchangeable (one value or one per "
        "cohort, 0 to 1; default: Berry's model, every cohort exchangeable)",
    )
    borrow.add_argument(
        "--nex-mean",
        default=None,
        help="EXNEX: mean of each cohort's own prior on logit p (one value or one per cohort; "
        "default: logit of the midway rate between --p0 and --p1; write negative values as "
        "--nex-mean=-1.4)",
    )
    borrow.add_argument(
        "--nex-sd",
        default=None,
        help="EXNEX: its SD, 0.1 to 5 (default: one patient's worth at the midway rate)",
    )
    borrow.add_argument("--p1", default=None, help="EXNEX: target rate, for the default NEX prior")
    borrow.add_argument("--method", choices=("fast", "pymc"), default="fast", help="fast or pymc")
    _limited_count(borrow, "--draws", 1, MAX_DRAWS, "PyMC draws per chain", default=2000)
    borrow.add_argument("--seed", type=_count(0), default=1, help="PyMC random seed")
    _format_option(borrow)
    borrow.set_defaults(handler=_run_borrow)

    simulate = command(
        "simulate",
        "Monte Carlo OC of a multi-cohort trial under scenarios",
        "Simulate the trial in a design file (cohorts, accrual, borrowing) under each "
        "scenario of a scenario file. Results are identical for any --n-jobs and backend; "
        "with --out, finished chunks are checkpointed and a rerun resumes.",
    )
    simulate.add_argument("design", help="design file with cohorts and accrual")
    simulate.add_argument("--scenarios", required=True, help="scenario file (YAML or TOML)")
    _limited_count(simulate, "--n-trials", 1, MAX_TRIALS, "trials per scenario", default=10_000)
    simulate.add_argument("--seed", type=_count(0), default=1, help="root random seed")
    _jobs_option(simulate)
    simulate.add_argument(
        "--backend", choices=("loky", "dask"), default="loky", help="joblib backend"
    )
    simulate.add_argument("--scheduler", default=None, help="dask scheduler address (backend dask)")
    _analysis_option(simulate)
    simulate.add_argument("--out", default=None, help="folder for checkpoints and results")
    simulate.add_argument(
        "--chunk-size", type=_count(1, 100_000), default=None, help=argparse.SUPPRESS
    )
    simulate.add_argument("--no-progress", action="store_true", help="no progress bar or lines")
    _format_option(simulate)
    simulate.set_defaults(handler=_run_simulate)

    interim = command(
        "interim",
        "DSMB interim call from patient data: a documented decision per cohort",
        "Decide every cohort of a design from patient data at a data cut-off: continue, stop "
        "for futility / efficacy / toxicity, or GO / NO-GO at the end, with the bound that "
        "applied and the reason. Give --data (one row per patient, CSV or XLSX) or CDISC ADaM "
        "--adsl and --adrs (+ --adae, --adtte), CSV or XPT. Closed data stay on this machine.",
    )
    interim.add_argument("design", help="design file (.yaml, .yml or .toml)")
    interim.add_argument("--data", default=None, help="patients, one row each (.csv or .xlsx)")
    interim.add_argument("--adsl", default=None, help="ADaM ADSL (.csv or .xpt)")
    interim.add_argument("--adrs", default=None, help="ADaM ADRS with PARAMCD BOR")
    interim.add_argument("--adae", default=None, help="ADaM ADAE (toxicity grades)")
    interim.add_argument("--adtte", default=None, help="ADaM ADTTE (PFS and OS)")
    interim.add_argument(
        "--cohort-var", default="COHORT", help="ADSL variable that holds the cohort"
    )
    interim.add_argument("--as-of", default=None, help="data cut-off YYYY-MM-DD (default: today)")
    interim.add_argument("--analyst", default=None, help="who makes the call (recorded)")
    interim.add_argument("--audit", default=None, help="append the call to this audit database")
    interim.add_argument(
        "--sign",
        default=None,
        metavar="KEY",
        help="sign the audit record with this private key (made by 'audit keygen'); the call's "
        "analyst is the key's",
    )
    interim.add_argument(
        "--passphrase-file",
        default=None,
        help="file whose first line is the signing key's passphrase (otherwise asked for on a "
        "terminal)",
    )
    _lock_option(interim)
    interim.add_argument(
        "--out",
        default=None,
        help="new or empty folder for decision.json and the closed and open reports (written "
        "together with the audit record)",
    )
    _analysis_option(interim)
    interim.add_argument(
        "--check-pymc", action="store_true", help="check the borrowed posterior with PyMC NUTS"
    )
    interim.add_argument(
        "--pymc-draws",
        type=_count(100, 200_000),
        default=10_000,
        help="NUTS draws per chain for --check-pymc (2 chains; 10,000 take about 15 s)",
    )
    interim.add_argument(
        "--level", type=_probability, default=0.90, help="level of the CIs of ended cohorts"
    )
    interim.add_argument(
        "--format",
        choices=("text", "json", "md", "html"),
        default="text",
        help="output: text, json, md or html (the closed report)",
    )
    interim.add_argument(
        "--json", dest="format", action="store_const", const="json", help="same as --format json"
    )
    interim.set_defaults(handler=_run_interim)

    audit_cmd = command(
        "audit",
        "verify or list the audit trail; make an analyst's signing key",
        "The audit trail: 'verify' walks the hash chain (exit 0 intact, 1 broken, naming the "
        "first broken record) and with --keys checks every record's signature (naming each "
        "unsigned or wrongly signed record); 'list' shows the history; 'keygen' makes an "
        "analyst's Ed25519 key pair for 'interim --sign'.",
    )
    audit_cmd.add_argument("action", choices=("verify", "list", "keygen"), help="what to do")
    audit_cmd.add_argument("--audit", default=None, help="audit database (verify, list)")
    audit_cmd.add_argument(
        "--head",
        default=None,
        help="verify: the head hash kept outside the database (64 hexadecimal digits)",
    )
    audit_cmd.add_argument(
        "--keys", default=None, help="verify: folder of the analysts' public keys (.pub files)"
    )
    audit_cmd.add_argument("--analyst", default=None, help="keygen: the key owner's name")
    audit_cmd.add_argument(
        "--out", default=".", help="keygen: folder for NAME.key (private) and NAME.pub"
    )
    audit_cmd.add_argument(
        "--passphrase-file",
        default=None,
        help="keygen: protect the private key with the passphrase in this file's first line "
        "(on a terminal, asked for when not given)",
    )
    _lock_option(audit_cmd)
    audit_cmd.add_argument("--json", action="store_true", help="list: JSON output")
    audit_cmd.set_defaults(handler=_run_audit)

    app = command(
        "app",
        "the local web app: design, simulate, interim call and audit pages",
        "Start the web app (Shiny for Python; needs the 'app' extra) on this machine. It binds "
        "127.0.0.1 by default; another host needs an access token (--token-file or the "
        "ADAPTIVE_PILOT_TOKEN environment variable), asked for on a sign-in page.",
    )
    app.add_argument("--host", default="127.0.0.1", help="address to bind")
    app.add_argument("--port", type=_count(1, 65535), default=8000, help="port")
    app.add_argument("--audit", default=None, help="audit database the interim calls go to")
    app.add_argument(
        "--max-upload-mb",
        type=_positive_number,
        default=10.0,
        help="largest file accepted from the browser, in MB",
    )
    app.add_argument("--token-file", default=None, help="file whose first line is the token")
    app.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME[:PORT]",
        help="another host name the app answers to, e.g. a reverse proxy's public name "
        "(repeat for several); requests naming any other host, and pages from other sites, "
        "get 403",
    )
    app.set_defaults(handler=_run_app)

    schema = command(
        "schema",
        "JSON Schema of design files (for editors)",
        "Print the JSON Schema of design files.",
    )
    schema.set_defaults(handler=_run_schema)

    demo = command(
        "demo",
        "the motivating trial: Simon and Bayesian designs, exact OC, a short simulation",
        "Design the motivating trial (shipped with the package) and print the exact OC of its "
        "designs side by side, then simulate its KRAS-subtype cohorts. Runs from any folder.",
    )
    demo.add_argument("design", nargs="?", default=None, help="design file (default: shipped)")
    demo.add_argument("--scenarios", default=None, help="scenario file (default: shipped)")
    demo.add_argument(
        "--n-trials",
        type=_count(1, MAX_TRIALS),
        default=10_000,
        help="simulated trials per scenario",
    )
    demo.set_defaults(handler=_run_demo)
    return parser


def _lock_option(parser: argparse.ArgumentParser) -> None:
    """--lock-timeout: how long to wait for another program's lock on the audit database."""
    parser.add_argument(
        "--lock-timeout",
        type=_lock_seconds,
        default=30.0,
        help="seconds to wait while another program holds the audit database (0.1 to 3600)",
    )


def _lock_seconds(text: str) -> float:
    value = _finite(text, "a number of seconds")
    if not 0.1 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"must be 0.1 to 3600 seconds (got {text})")
    return value


def _format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output: text, json, csv or md"
    )
    parser.add_argument(
        "--json", dest="format", action="store_const", const="json", help="same as --format json"
    )


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--x", type=_count(0), required=True, help="responses so far")
    parser.add_argument(
        "--n", type=_count(1, 5000), required=True, help="evaluable patients so far"
    )
    parser.add_argument("--p0", type=_probability, required=True, help="uninteresting rate")
    parser.add_argument("--prior", type=_beta_prior, default=(1.0, 1.0), help="Beta prior a,b")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``adaptive-pilot`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from .errors import InputError
    from .patients.records import DataError

    try:
        output = args.handler(args)
    except DataError as error:
        for line in error.lines:
            print(f"{PROG} {args.command}: error: {line}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT) from None
    except _ExitStatus as status:
        sys.stdout.write(status.output)
        return status.code
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


class _ExitStatus(Exception):  # noqa: N818 - a normal outcome, not an error
    """A command's output with a non-zero exit status that is not an input error."""

    def __init__(self, output: str, code: int) -> None:
        super().__init__(output)
        self.output = output if output.endswith("\n") else output + "\n"
        self.code = code


_OPTIONS = {
    "simon": {"p0", "p1", "alpha", "beta", "n_max", "convention"},
    "oc": {"looks", "futility", "efficacy", "p"},
    "inference": {"looks", "futility", "efficacy", "n", "x", "p0", "level", "ordering"},
    "design": {"p"},
    "report": {"p", "format", "out", "compare", "n_trials", "seed", "n_jobs", "analysis"},
    "calibrate": {"write", "top", "n_trials", "seed", "n_jobs"},
    "predprob": {"x", "n", "n_max", "p0", "prior", "theta_t"},
    "postprob": {"x", "n", "p0", "prior"},
    "borrow": {
        "x",
        "n",
        "p0",
        "mu_mean",
        "mu_sd",
        "tau_sd",
        "draws",
        "ex_weight",
        "nex_mean",
        "nex_sd",
        "p1",
    },
    "toxicity-boundary": {"p_lo", "p_hi", "looks", "cp0", "cp1", "shape", "priority", "grid"},
    "simulate": {"n_trials", "seed", "n_jobs", "backend", "scheduler", "out", "chunk_size"},
    "interim": {
        "data",
        "adsl",
        "adrs",
        "adae",
        "adtte",
        "as_of",
        "audit",
        "out",
        "level",
        "sign",
        "passphrase_file",
        "analyst",
        "lock_timeout",
    },
    "audit": {"audit", "head", "keys", "analyst", "out", "passphrase_file", "lock_timeout"},
    "app": {"host", "port", "audit", "max_upload_mb", "token_file", "allowed_host"},
}


def _option_name(command: str, field: str) -> str:
    """Map a library field name to the command-line option that set it."""
    if field in _OPTIONS.get(command, set()):
        return "--" + field.replace("_", "-")
    return field


# ------------------------------------------------------------------ output
def _render(result: Any, fmt: str, **options: Any) -> str:
    """A result in the chosen format: its Summary, its to_dict() or its tidy frame."""
    if fmt == "json":
        return json.dumps(result.to_dict(**options.get("dict", {})), indent=2, allow_nan=False)
    if fmt == "csv":
        return str(result.to_frame().to_csv(index=False, lineterminator="\n"))
    summary = result.summary(**options.get("summary", {}))
    return summary.as_markdown() if fmt == "md" else summary.as_text()


# ------------------------------------------------------------------ commands
def _run_simon(args: argparse.Namespace) -> str:
    from .designs.simon import simon_designs

    search = simon_designs(
        args.p0, args.p1, args.alpha, args.beta, n_max=args.n_max, convention=args.convention
    )
    return _render(search, args.format)


def _run_oc(args: argparse.Namespace) -> str:
    from ._grid import parse_rate_grid
    from .boundary_table import BoundaryTable
    from .oc.exact import exact_oc

    table = BoundaryTable.from_strings(args.looks, args.futility, args.efficacy)
    oc = exact_oc(table, parse_rate_grid(args.p))
    if args.format == "csv" and args.by_look:
        return str(oc.by_look().to_csv(index=False, lineterminator="\n"))
    if args.format in ("text", "md"):
        parts = [table.summary(), oc.summary(by_look=args.by_look)]
        render = "as_markdown" if args.format == "md" else "as_text"
        return "\n\n".join(getattr(part, render)() for part in parts)
    return _render(oc, args.format, dict={"by_look": args.by_look})


def _run_inference(args: argparse.Namespace) -> str:
    from .boundary_table import BoundaryTable
    from .inference import stagewise_inference
    from .priors import BetaPrior

    table = BoundaryTable.from_strings(args.looks, args.futility, args.efficacy)
    result = stagewise_inference(
        table,
        args.n,
        args.x,
        p0=args.p0,
        level=args.level,
        ordering=args.ordering,
        interval=args.interval.replace("-", "_"),
        prior=BetaPrior(*args.prior),
    )
    return _render(result, args.format)


def _run_toxicity_boundary(args: argparse.Namespace) -> str:
    from .designs.toxicity_boundary import toxicity_boundary

    search = toxicity_boundary(
        args.p_lo,
        args.p_hi,
        _int_list("looks", args.looks),
        cp0=args.cp0,
        cp1=args.cp1,
        shape=args.shape,
        priority=args.priority,
        grid=args.grid,
    )
    return _render(search, args.format)


def _run_design(args: argparse.Namespace) -> str:
    from ._grid import parse_rate_grid
    from .spec import load_design

    resolved = load_design(args.file)
    rates = None if args.p is None else parse_rate_grid(args.p)
    return _render(resolved.evaluate(rates), args.format)


def _run_report(args: argparse.Namespace) -> str:
    from ._grid import parse_rate_grid
    from .errors import InputError
    from .reports import parse_formats, write_report
    from .reports import report as build_report

    formats = parse_formats(args.format)
    rates = None if args.p is None else parse_rate_grid(args.p)
    if args.scenarios is None:
        for name in ("n_trials", "seed"):
            if getattr(args, name) is not None:
                raise InputError(name, "is used only with --scenarios (a simulation)")
        if args.n_jobs != 1:
            raise InputError("n_jobs", "is used only with --scenarios (a simulation)")
    _check_output_folder(args.out)
    report = build_report(
        args.file,
        compare=args.compare,
        rates=rates,
        scenarios=args.scenarios,
        n_trials=10_000 if args.n_trials is None else args.n_trials,
        seed=1 if args.seed is None else args.seed,
        n_jobs=args.n_jobs,
        analysis=args.analysis,
        progress=False if args.no_progress else None,
    )
    written = write_report(report, args.out, formats)
    main = [str(p) for p in written if p.parent == Path(args.out)]
    figures = sum(p.suffix == ".png" for p in written)
    tables = sum(p.suffix == ".csv" for p in written)
    lines = [f"Report of {report.title.removeprefix('Statistical design: ')}"]
    lines += [f"Written: {path}" for path in main]
    lines.append(f"Figures: {figures} (PNG and SVG) in {Path(args.out) / 'figures'}")
    if tables:
        lines.append(f"Tables: {tables} CSV files in {Path(args.out) / 'tables'}")
    return "\n".join(lines)


def _run_calibrate(args: argparse.Namespace) -> str:
    from .spec import load_design

    resolved = load_design(args.file)
    if args.write is not None:
        _check_writable_file(args.write, "write")
    if args.borrowing or (
        resolved.has_borrowing_calibration() and not resolved.has_single_cohort_calibration()
    ):
        borrowing = resolved.calibrate_borrowing(
            n_trials=args.n_trials,
            seed=args.seed,
            n_jobs=args.n_jobs,
            progress=False if args.no_progress else None,
        )
        output = _render(borrowing, args.format, summary={"top": args.top})
        if args.write is not None:
            _write_document(args.write, resolved.borrowing_calibrated_document(borrowing))
            if args.format == "text":
                output += f"\n\nCalibrated design file written to {args.write}"
        return output
    result = resolved.calibrate()
    output = _render(result, args.format, dict={"top": args.top}, summary={"top": args.top})
    if args.write is not None:
        document = resolved.calibrated_document(result)
        _write_document(args.write, document)
        if args.format == "text":
            output += f"\n\nCalibrated design file written to {args.write}"
    return output


def _run_predprob(args: argparse.Namespace) -> str:
    import pandas as pd

    from .priors import BetaPrior
    from .results import Summary, Table
    from .rules.predictive import predictive_probability

    _check_data(args.x, args.n, args.n_max)
    prior = BetaPrior(*args.prior)
    pp = float(predictive_probability(args.x, args.n, args.n_max, args.p0, prior, args.theta_t))
    inputs = {"x": args.x, "n": args.n, "n_max": args.n_max, "p0": args.p0}
    frame = pd.DataFrame([inputs | {"theta_t": args.theta_t, "predictive_probability": pp}])
    summary = Summary(
        "Predictive probability of success (Lee & Liu 2008)",
        header=(
            f"{args.x} responses among {args.n} evaluable patients, {args.n_max - args.n} to "
            f"come; success at N means P(p > {args.p0:g} | data) > {args.theta_t:g}; "
            f"prior {prior}",
        ),
        tables=(Table(frame),),
    )
    payload = {
        "predictive_probability": pp,
        "inputs": inputs | {"theta_t": args.theta_t, "prior": prior.to_dict()},
    }
    return _plain_result(summary, frame, payload, args.format)


def _run_postprob(args: argparse.Namespace) -> str:
    import pandas as pd

    from .priors import BetaPrior
    from .results import Summary, Table

    _check_data(args.x, args.n, None)
    prior = BetaPrior(*args.prior)
    prob = float(prior.prob_greater(args.p0, args.x, args.n))
    inputs = {"x": args.x, "n": args.n, "p0": args.p0}
    frame = pd.DataFrame([inputs | {"prob_gt_p0": prob}])
    summary = Summary(
        "Posterior probability that the response rate exceeds p0",
        header=(
            f"{args.x} responses among {args.n} evaluable patients; prior {prior}, posterior "
            f"Beta({prior.a + args.x:g}, {prior.b + args.n - args.x:g})",
        ),
        tables=(Table(frame),),
    )
    payload = {"prob_gt_p0": prob, "inputs": inputs | {"prior": prior.to_dict()}}
    return _plain_result(summary, frame, payload, args.format)


def _plain_result(summary: Any, frame: Any, payload: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(payload, indent=2, allow_nan=False)
    if fmt == "csv":
        return str(frame.to_csv(index=False, lineterminator="\n"))
    return str(summary.as_markdown() if fmt == "md" else summary.as_text())


def _run_borrow(args: argparse.Namespace) -> str:
    from .cohorts.exnex import ExnexModel, ExnexPrior
    from .cohorts.hierarchical import HierarchicalModel, hierarchical_prior

    n = _int_list("n", args.n)
    x = _int_list("x", args.x)
    p0 = _number_list("p0", args.p0)
    if len(p0) not in (1, len(n)):
        from .errors import InputError

        raise InputError(
            "p0", f"give one value or one per cohort ({len(n)} cohorts, got {len(p0)})"
        )
    p0s = p0 * len(n) if len(p0) == 1 else p0
    prior = hierarchical_prior(p0s, mu_mean=args.mu_mean, mu_sd=args.mu_sd, tau_sd=args.tau_sd)
    cuts = [math.log(v / (1 - v)) for v in p0s]
    model: Any = HierarchicalModel(prior, cuts)
    if args.ex_weight is not None:
        model = ExnexModel(ExnexPrior.single(prior, _nex_option(args, p0s)), cuts)
    if args.method == "fast":
        result = model.posterior(n, x, p0s)
    else:
        result = model.pymc_posterior(n, x, p0s, draws=args.draws, seed=args.seed)
    return _render(result, args.format)


def _nex_option(args: argparse.Namespace, p0s: list[float]) -> Any:
    """EXNEX's weights and NEX priors from --ex-weight, --nex-mean, --nex-sd, --p1."""
    from .cohorts.exnex import default_nex
    from .cohorts.prior import NonExchangeable
    from .errors import InputError

    def per_cohort(field: str, text: str) -> list[float]:
        values = _number_list(field, text)
        if len(values) not in (1, len(p0s)):
            raise InputError(
                field, f"give one value or one per cohort ({len(p0s)} cohorts, got {len(values)})"
            )
        return values * len(p0s) if len(values) == 1 else values

    if args.nex_mean is None or args.nex_sd is None:
        if args.p1 is None:
            raise InputError(
                "p1", "is needed for the default NEX prior (or give --nex-mean and --nex-sd)"
            )
        p1 = per_cohort("p1", args.p1)
        if any(not a < b < 1 for a, b in zip(p0s, p1, strict=True)):
            raise InputError("p1", "each must be above its cohort's p0 and below 1")
        means, sds = default_nex(p0s, p1)
    weights = per_cohort("ex_weight", args.ex_weight)
    means = per_cohort("nex_mean", args.nex_mean) if args.nex_mean is not None else means
    sds = per_cohort("nex_sd", args.nex_sd) if args.nex_sd is not None else sds
    return NonExchangeable(tuple(weights), tuple(means), tuple(sds))


def _int_list(field: str, text: str) -> list[int]:
    from .errors import InputError

    values = _number_list(field, text)
    if any(v != int(v) for v in values):
        raise InputError(field, f"must list whole numbers (got {text!r})")
    return [int(v) for v in values]


def _number_list(field: str, text: str) -> list[float]:
    from .errors import InputError

    try:
        values = [float(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise InputError(
            field, f"must be a comma-separated list of numbers (got {text!r})"
        ) from None
    if not values:
        raise InputError(field, "must not be empty")
    if not all(math.isfinite(v) for v in values):
        raise InputError(field, f"must list finite numbers, not NaN or infinity (got {text!r})")
    return values


def _run_simulate(args: argparse.Namespace) -> str:
    from .simulation.runner import CHUNK_SIZE, simulate
    from .spec import load_design, load_scenarios

    trial = load_design(args.design).trial(args.analysis)
    scenarios = load_scenarios(args.scenarios, trial)
    result = simulate(
        trial,
        scenarios,
        args.n_trials,
        args.seed,
        n_jobs=args.n_jobs,
        backend=args.backend,
        scheduler=args.scheduler,
        out=args.out,
        chunk_size=args.chunk_size or CHUNK_SIZE,
        progress=False if args.no_progress else None,
    )
    output = _render(result, args.format)
    if args.out and args.format == "text":
        output += f"\nResults written to {args.out}/results.csv and {args.out}/results.json"
    return output


def _run_interim(args: argparse.Namespace) -> str:
    from .dsmb.publish import FILES, check_out_folder
    from .dsmb.run import run_interim
    from .reports.interim import closed_report

    as_of = None if args.as_of is None else _date_option("as_of", args.as_of)
    if args.out is not None:
        check_out_folder(args.out)
    if args.audit is not None:
        _check_audit_target(args.audit, args.lock_timeout)
    key = None
    if args.sign is not None:
        from .interim.signing import SigningKey

        if args.audit is None:
            from .errors import InputError

            raise InputError("sign", "signs the audit record: give --audit DATABASE as well")
        key = SigningKey.load(args.sign, _key_passphrase(args.sign, args.passphrase_file))
    result = run_interim(
        args.design,
        data=args.data,
        adsl=args.adsl,
        adrs=args.adrs,
        adae=args.adae,
        adtte=args.adtte,
        cohort_var=args.cohort_var,
        as_of=as_of,
        analyst=args.analyst,
        audit=args.audit,
        analysis=args.analysis,
        level=args.level,
        check_pymc=args.check_pymc,
        pymc_draws=args.pymc_draws,
        out=args.out,
        key=key,
        lock_timeout=args.lock_timeout,
    )
    notes = []
    if args.out is not None:
        notes.append("Written: " + ", ".join(str(Path(args.out) / name) for name in FILES))
    if args.format == "json":
        return json.dumps(result.to_dict(), indent=2, allow_nan=False)
    if args.format == "html":
        return closed_report(result)
    summary = result.summary()
    text = summary.as_markdown() if args.format == "md" else summary.as_text()
    return "\n\n".join([text, *notes])


def _key_passphrase(key_file: str, passphrase_file: str | None) -> bytes | None:
    """The signing key's passphrase: from the file, or asked for on a terminal if it has one."""
    from .interim.signing import key_is_encrypted

    if passphrase_file is not None:
        return _passphrase_from_file(passphrase_file)
    if key_is_encrypted(key_file) and sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"Passphrase of {Path(key_file).name}: ").encode("utf-8")
    return None


def _passphrase_from_file(path: str) -> bytes:
    from .errors import InputError

    file = Path(path)
    if not file.is_file():
        missing = "does not exist" if not file.exists() else "is not a regular file"
        raise InputError("passphrase_file", f"{path} {missing}")
    with file.open("rb") as handle:
        raw = handle.read(4096)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("passphrase_file", f"{path} is not UTF-8 text") from None
    line = text.splitlines()[0].strip() if text.strip() else ""
    if len(line) < 8:
        raise InputError("passphrase_file", "the passphrase must be at least 8 characters")
    return line.encode("utf-8")


def _run_app(args: argparse.Namespace) -> str:
    from .errors import InputError

    try:
        from .app import serve
    except ModuleNotFoundError as error:  # pragma: no cover - the extra is installed by make
        if (error.name or "").split(".")[0] not in ("shiny", "uvicorn", "starlette", "htmltools"):
            raise
        raise InputError(
            "app", f"needs the 'app' extra: pip install 'adaptive-pilot[app]' ({error.name})"
        ) from None
    if args.audit is not None:
        _check_audit_target(args.audit)
    serve(
        host=args.host,
        port=args.port,
        audit=args.audit,
        max_upload_mb=args.max_upload_mb,
        token_file=args.token_file,
        allowed_hosts=args.allowed_host,
    )
    return ""


def _run_audit(args: argparse.Namespace) -> str:
    from .errors import InputError
    from .interim import audit

    if args.action == "keygen":
        return _keygen(args)
    for name in ("analyst", "passphrase_file"):
        if getattr(args, name) is not None:
            raise InputError(name, "is used only with 'audit keygen'")
    if args.audit is None:
        raise InputError("audit", f"give the audit database to {args.action}")
    if args.action == "list" and (args.head is not None or args.keys is not None):
        raise InputError("head" if args.head is not None else "keys", "is used only with verify")
    head = None if args.head is None else audit.check_head(args.head)
    completed = _complete_pending(args.audit, args.lock_timeout)
    if args.action == "verify":
        from .interim.signing import load_public_keys

        keys = None if args.keys is None else load_public_keys(args.keys)
        check = audit.verify(args.audit, head=head, keys=keys, timeout=args.lock_timeout)
        text = "\n".join([*completed, *check.lines()])
        if not check.ok:
            raise _ExitStatus(text, 1)
        return text
    records = audit.read_records(args.audit, timeout=args.lock_timeout)
    if args.json:
        return json.dumps([r.to_dict() for r in records], indent=2)
    lines = list(completed)
    for r in records:
        signed = f" signed by {r.signature.signer}" if r.signature else ""
        lines.append(
            f"#{r.id} {r.created_utc} analyst {r.analyst or '-'} cut-off "
            f"{r.payload.get('as_of', '?')} design {r.design_hash}: {r.decisions()} "
            f"[hash {r.hash[:16]}]{signed}"
        )
    return "\n".join(lines) if lines else f"{args.audit}: no records yet"


def _complete_pending(database: str, timeout: float) -> list[str]:
    """Finish moving the reports of a call killed between its record and its folder."""
    from .dsmb.publish import complete_pending
    from .interim import audit

    done = complete_pending(audit.read_records(database, timeout=timeout))
    return [f"completed: the reports of a recorded call were moved into {f}" for f in done]


def _keygen(args: argparse.Namespace) -> str:
    from .errors import InputError
    from .interim.signing import generate_key

    for name in ("audit", "head", "keys"):
        if getattr(args, name) is not None:
            raise InputError(name, "is not used by 'audit keygen'")
    if args.analyst is None:
        raise InputError("analyst", "give the key owner's name, e.g. --analyst 'A. Nyone'")
    passphrase = None
    if args.passphrase_file is not None:
        passphrase = _passphrase_from_file(args.passphrase_file)
    elif sys.stdin.isatty():
        import getpass

        typed = getpass.getpass("Passphrase for the private key (Enter for none): ")
        if typed:
            if getpass.getpass("The same passphrase again: ") != typed:
                raise InputError("passphrase", "the two passphrases differ; nothing was written")
            if len(typed) < 8:
                raise InputError("passphrase", "must be at least 8 characters")
            passphrase = typed.encode("utf-8")
    private, public, fingerprint = generate_key(args.analyst, args.out, passphrase)
    protection = "protected by a passphrase" if passphrase else "not protected by a passphrase"
    return "\n".join(
        [
            f"Private key: {private} (permissions 0600, {protection}): keep it to yourself; "
            f"sign with 'interim --sign {private}'",
            f"Public key:  {public}: give it to whoever verifies ('audit verify --keys FOLDER')",
            f"Fingerprint: {fingerprint}",
        ]
    )


def _date_option(field: str, text: str) -> Any:
    import datetime as dt

    from .errors import InputError

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(field, f"must be a date YYYY-MM-DD (got {text!r})") from None


def _check_output_folder(path: str) -> None:
    from ._files import writable_folder

    writable_folder(path)


def _check_audit_target(path: str, timeout: float = 30.0) -> None:
    from pathlib import Path

    from .errors import InputError

    target = Path(path)
    if target.is_dir():
        raise InputError("audit", f"{path} is a folder; give a database file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError("audit", f"the folder {parent} does not exist")
    if not os.access(target if target.exists() else parent, os.W_OK):
        raise InputError("audit", f"cannot write {path}: permission denied")
    if target.exists():
        from .interim import audit

        audit.read_records(target, timeout=timeout)  # refuses a file that is not an audit database


def _run_schema(args: argparse.Namespace) -> str:
    from .spec import json_schema

    return json.dumps(json_schema(), indent=2)


def _run_demo(args: argparse.Namespace) -> str:
    from .demo import demo_summaries

    return "\n\n".join(
        s.as_text() for s in demo_summaries(args.design, args.scenarios, args.n_trials)
    )


# ------------------------------------------------------------------ helpers
def _check_data(x: int, n: int, n_max: int | None) -> None:
    from .errors import InputError

    if not 0 <= x <= n:
        raise InputError("x", f"must be between 0 and n = {n} (got {x})")
    if n_max is not None and n_max < n:
        raise InputError("n_max", f"must be at least n = {n} (got {n_max})")


def _check_writable_file(path: str, field: str) -> None:
    """Refuse, before any work, a target whose folder is missing, read-only or a file."""
    from pathlib import Path

    from .errors import InputError

    target = Path(path)
    if target.is_dir():
        raise InputError(field, f"{path} is a folder; give a file name ending in .yaml")
    if target.suffix.lower() not in (".yaml", ".yml"):
        raise InputError(field, f"{path} must end in .yaml or .yml")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError(field, f"the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise InputError(field, f"cannot write in {parent}: permission denied")


def _write_document(path: str, document: dict[str, Any]) -> None:
    from pathlib import Path

    import yaml

    from ._files import atomic_write

    text = "# Written by adaptive-pilot calibrate: the design file with calibrated thresholds.\n"
    text += yaml.safe_dump(
        document, sort_keys=False, allow_unicode=True, default_flow_style=None, width=96
    )
    atomic_write(Path(path), text.encode("utf-8"))


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
