"""The ``adaptive-pilot`` command line.

Every input problem ends in one line on standard error naming the option (or
file, line and key) and what is allowed, with exit status 2 and no traceback.
Output is assembled in full before anything is printed, so a failed command
prints nothing to stdout.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from ._grid import parse_rate_grid
from ._text import text_table
from .cohorts.hierarchical import HierarchicalModel, HierarchicalPrior
from .cohorts.trial import trial_from_design
from .designs.boundary_table import BoundaryTable
from .designs.calibration import CalibrationResult, calibrate_bop2, calibrate_predictive
from .designs.simon import simon_designs
from .errors import InputError
from .oc.exact import exact_oc
from .oc.joint import joint_oc
from .priors import BetaPrior
from .provenance import content_hash, package_version
from .rules.predictive import predictive_probability
from .simulate.runner import CHUNK_SIZE, simulate
from .simulate.scenarios import load_scenarios
from .spec import ResolvedDesign, json_schema, load_design_file

__all__ = ["main"]

PROG = "adaptive-pilot"
EXIT_INPUT = 2
DEFAULT_DESIGN = "designs/motivating_trial.yaml"
DEFAULT_SCENARIOS = "simulations/motivating_trial.yaml"


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


def _beta_prior(text: str) -> BetaPrior:
    parts = text.split(",")
    try:
        a, b = (float(part) for part in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be two positive numbers a,b, e.g. 0.6,0.4 (got {text!r})"
        ) from None
    if not (a > 0 and b > 0):
        raise argparse.ArgumentTypeError(f"must be two positive numbers a,b (got {text})")
    return BetaPrior(a, b)


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
    simon.add_argument("--p1", type=_probability, required=True, help="response rate under H1")
    simon.add_argument("--alpha", type=_probability, default=0.05, help="type I error bound")
    simon.add_argument("--beta", type=_probability, default=0.20, help="type II error bound")
    simon.add_argument("--nmax", type=_whole_number, default=100, help="largest total n searched")
    simon.add_argument(
        "--convention",
        choices=("clinfun", "inclusive"),
        default="clinfun",
        help="feasibility: clinfun (strict <, default) or inclusive (<=)",
    )
    _json_option(simon)
    simon.set_defaults(handler=_run_simon)

    oc = commands.add_parser(
        "oc",
        help="exact operating characteristics of a boundary table",
        description="Exact operating characteristics of a boundary table (no Monte Carlo).",
    )
    oc.add_argument("--looks", required=True, help="evaluable patients at each look, e.g. 10,29")
    oc.add_argument("--futility", required=True, help="stop if responses <= f ('never': none)")
    oc.add_argument("--efficacy", required=True, help="stop if responses >= e ('never': none)")
    oc.add_argument("--p", required=True, help="true rates: start:stop:step or a,b,c")
    oc.add_argument("--by-look", action="store_true", help="also per-look stopping probabilities")
    _json_option(oc)
    oc.set_defaults(handler=_run_oc)

    design = commands.add_parser(
        "design",
        help="compile a design file: boundary table and exact OC",
        description="Compile a design file into its boundary table and exact OC.",
    )
    design.add_argument("file", help="design file (.yaml, .yml or .toml)")
    design.add_argument("--p", default=None, help="true rates (default 0.05:0.6:0.05, p0, p1)")
    _json_option(design)
    design.set_defaults(handler=_run_design)

    calibrate = commands.add_parser(
        "calibrate",
        help="run the calibration a design file describes",
        description="Run the calibration search in a design file (exact OC).",
    )
    calibrate.add_argument("file", help="design file with a calibration section")
    calibrate.add_argument("--top", type=_whole_number, default=10, help="feasible designs shown")
    _json_option(calibrate)
    calibrate.set_defaults(handler=_run_calibrate)

    predprob = commands.add_parser(
        "predprob",
        help="predictive probability of success (Lee & Liu 2008)",
        description="Predictive probability that the final analysis will succeed.",
    )
    _data_arguments(predprob)
    predprob.add_argument("--nmax", type=_whole_number, required=True, help="maximum N")
    predprob.add_argument(
        "--theta-t", type=_probability, required=True, help="final success threshold"
    )
    predprob.set_defaults(handler=_run_predprob)

    postprob = commands.add_parser(
        "postprob",
        help="posterior probability P(p > p0 | data)",
        description="Posterior probability that the response rate exceeds p0.",
    )
    _data_arguments(postprob)
    postprob.set_defaults(handler=_run_postprob)

    borrow = commands.add_parser(
        "borrow",
        help="hierarchical posterior across cohorts for one dataset",
        description=(
            "Posterior of each cohort's response rate under the hierarchical model "
            "logit p_j ~ N(mu, tau^2), mu ~ N(M, S^2), tau ~ HalfNormal(T)."
        ),
    )
    borrow.add_argument(
        "--n", required=True, help="evaluable patients per cohort, e.g. 20,20,20,20"
    )
    borrow.add_argument("--x", required=True, help="responses per cohort, e.g. 2,3,8,9")
    borrow.add_argument("--p0", required=True, help="null rate: one value or one per cohort")
    borrow.add_argument(
        "--mu-mean", type=float, default=None, help="prior mean of mu (default logit p0)"
    )
    borrow.add_argument("--mu-sd", type=float, default=2.0, help="prior SD of mu (default 2)")
    borrow.add_argument(
        "--tau-sd", type=float, default=1.0, help="half-normal scale of tau (default 1)"
    )
    borrow.add_argument("--method", choices=("fast", "pymc"), default="fast", help="fast or pymc")
    borrow.add_argument("--draws", type=_whole_number, default=2000, help="PyMC draws per chain")
    borrow.add_argument("--seed", type=_whole_number, default=1, help="PyMC random seed")
    _json_option(borrow)
    borrow.set_defaults(handler=_run_borrow)

    simulate = commands.add_parser(
        "simulate",
        help="Monte Carlo OC of a multi-cohort trial under scenarios",
        description=(
            "Simulate the trial in a design file (cohorts, accrual, borrowing) under each "
            "scenario of a scenario file. Results are identical for any --n-jobs and backend; "
            "with --out, finished chunks are checkpointed and a rerun resumes."
        ),
    )
    simulate.add_argument("design", help="design file with cohorts and accrual")
    simulate.add_argument("--scenarios", required=True, help="scenario file (YAML or TOML)")
    simulate.add_argument(
        "--n-trials", type=_whole_number, default=10_000, help="trials per scenario"
    )
    simulate.add_argument("--seed", type=_whole_number, default=1, help="root random seed")
    simulate.add_argument("--n-jobs", type=_whole_number, default=1, help="parallel workers")
    simulate.add_argument(
        "--backend", choices=("loky", "dask"), default="loky", help="joblib backend"
    )
    simulate.add_argument("--scheduler", default=None, help="dask scheduler address (backend dask)")
    simulate.add_argument(
        "--analysis",
        choices=("independent", "hierarchical"),
        default=None,
        help="override the design file's borrowing model",
    )
    simulate.add_argument("--out", default=None, help="folder for checkpoints and results")
    simulate.add_argument(
        "--chunk-size", type=_whole_number, default=CHUNK_SIZE, help=argparse.SUPPRESS
    )
    simulate.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    _json_option(simulate)
    simulate.set_defaults(handler=_run_simulate)

    schema = commands.add_parser(
        "schema",
        help="JSON Schema of design files (for editors)",
        description="Print the JSON Schema of design files.",
    )
    schema.set_defaults(handler=_run_schema)

    demo = commands.add_parser(
        "demo",
        help="the motivating trial: Simon and Bayesian designs with exact OC",
        description="Design the motivating trial and print the exact OC of its designs.",
    )
    demo.add_argument("design", nargs="?", default=DEFAULT_DESIGN, help="design file")
    demo.add_argument(
        "--scenarios", default=DEFAULT_SCENARIOS, help="scenario file for the short simulation"
    )
    demo.add_argument(
        "--n-trials", type=_whole_number, default=10_000, help="simulated trials per scenario"
    )
    demo.set_defaults(handler=_run_demo)
    return parser


def _json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def _data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--x", type=_whole_number, required=True, help="responses so far")
    parser.add_argument("--n", type=_whole_number, required=True, help="evaluable patients so far")
    parser.add_argument("--p0", type=_probability, required=True, help="uninteresting rate")
    parser.add_argument(
        "--prior", type=_beta_prior, default=BetaPrior(1.0, 1.0), help="Beta prior a,b"
    )
    _json_option(parser)


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


_OPTIONS = {
    "simon": {"p0", "p1", "alpha", "beta", "nmax", "convention"},
    "oc": {"looks", "futility", "efficacy", "p"},
    "design": {"p"},
    "predprob": {"x", "n", "nmax", "p0", "prior", "theta_t"},
    "postprob": {"x", "n", "p0", "prior"},
    "borrow": {"x", "n", "p0", "mu_mean", "mu_sd", "tau_sd"},
    "simulate": {"n_trials", "seed", "n_jobs", "backend", "scheduler", "out", "chunk_size"},
}


def _option_name(command: str, field: str) -> str:
    """Map a library field name to the command-line option that set it."""
    if field in _OPTIONS.get(command, set()):
        return "--" + field.replace("_", "-")
    return field


# ------------------------------------------------------------------ commands
def _run_simon(args: argparse.Namespace) -> str:
    search = simon_designs(
        args.p0, args.p1, args.alpha, args.beta, nmax=args.nmax, convention=args.convention
    )
    return _json(search.to_dict()) if args.json else search.summary()


def _run_oc(args: argparse.Namespace) -> str:
    table = BoundaryTable.from_strings(args.looks, args.futility, args.efficacy)
    oc = exact_oc(table, parse_rate_grid(args.p))
    if args.json:
        payload: dict[str, Any] = {
            "boundaries": table.to_records(),
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


def _run_design(args: argparse.Namespace) -> str:
    resolved = load_design_file(args.file)
    table = resolved.boundary_table()
    hyp = resolved.spec.hypotheses
    if args.p is None:
        rates = np.unique(np.concatenate([parse_rate_grid("0.05:0.6:0.05"), [hyp.p0, hyp.p1]]))
    else:
        rates = parse_rate_grid(args.p)
    oc = exact_oc(table, rates)
    rows = oc.to_records()
    tox_rows = _toxicity_rows(resolved, table, rates)
    provenance = oc.provenance() | {"design_file": args.file, "design_hash": _hash(resolved, table)}
    if args.json:
        payload: dict[str, Any] = {
            "design": resolved.spec.name,
            "rule": resolved.rule_type,
            "boundaries": table.to_records(),
            "oc": tox_rows if tox_rows is not None else rows,
            "provenance": provenance,
        }
        tox_rule = resolved.toxicity_rule(table.looks)
        if tox_rule is not None:
            payload["toxicity_boundaries"] = [
                {"n": n, "stop_if_toxicities_at_least": None if s > n else s}
                for n, s in tox_rule.bounds().items()
            ]
        return _json(payload)
    return "\n".join(
        [*_design_text(resolved, table, oc, tox_rows), "", _provenance_line(provenance)]
    )


def _run_calibrate(args: argparse.Namespace) -> str:
    resolved = load_design_file(args.file)
    result = _calibrate(resolved)
    if args.json:
        payload = result.to_dict()
        payload["provenance"] = {
            "package": "adaptive_pilot",
            "version": package_version(),
            "method": "exact",
            "design_file": args.file,
        }
        return _json(payload)
    return result.summary(top=args.top)


def _run_predprob(args: argparse.Namespace) -> str:
    _check_data(args.x, args.n, args.nmax)
    pp = float(predictive_probability(args.x, args.n, args.nmax, args.p0, args.prior, args.theta_t))
    if args.json:
        return _json(
            {"pp": pp, "inputs": _data_inputs(args) | {"nmax": args.nmax, "theta_t": args.theta_t}}
        )
    return (
        f"Predictive probability of success PP = {pp:.4f}\n"
        f"{args.x} responses among {args.n} evaluable patients, {args.nmax - args.n} to come "
        f"(N = {args.nmax}); success at the end means P(p > {args.p0:g} | data) > "
        f"{args.theta_t:g}; prior {args.prior}."
    )


def _run_postprob(args: argparse.Namespace) -> str:
    _check_data(args.x, args.n, None)
    prob = float(args.prior.prob_greater(args.p0, args.x, args.n))
    if args.json:
        return _json({"prob": prob, "inputs": _data_inputs(args)})
    post_a, post_b = args.prior.a + args.x, args.prior.b + args.n - args.x
    return (
        f"P(p > {args.p0:g} | data) = {prob:.4f}\n"
        f"{args.x} responses among {args.n} evaluable patients; prior {args.prior}, "
        f"posterior Beta({post_a:g}, {post_b:g})."
    )


def _run_borrow(args: argparse.Namespace) -> str:
    n = _int_list("n", args.n)
    x = _int_list("x", args.x)
    p0 = [float(v) for v in _number_list("p0", args.p0)]
    if len(p0) not in (1, len(n)):
        raise InputError(
            "p0", f"give one value or one per cohort ({len(n)} cohorts, got {len(p0)})"
        )
    if any(not 0 < v < 1 for v in p0):
        raise InputError("p0", f"must be strictly between 0 and 1 (got {p0})")
    mu_mean = args.mu_mean
    if mu_mean is None:
        centre = float(np.mean(p0))
        mu_mean = float(np.log(centre / (1 - centre)))
    prior = HierarchicalPrior(mu_mean=mu_mean, mu_sd=args.mu_sd, tau_sd=args.tau_sd)
    model = HierarchicalModel(prior, [float(np.log(v / (1 - v))) for v in p0])
    if args.method == "fast":
        result = model.posterior(n, x, p0 if len(p0) > 1 else p0[0])
    else:
        result = model.pymc_posterior(
            n, x, p0 if len(p0) > 1 else p0[0], draws=args.draws, seed=args.seed
        )
    if args.json:
        return _json(
            {
                "cohorts": result.to_records(),
                "method": result.method,
                "prior": prior.to_dict(),
                "diagnostics": result.diagnostics,
                "provenance": {"package": "adaptive_pilot", "version": package_version()},
            }
        )
    method = (
        "fast quadrature (exact to numerical precision)" if result.method == "fast" else "PyMC NUTS"
    )
    table = text_table(
        result.to_frame(),
        {
            "cohort": ("cohort", "d"),
            "n": ("n", "d"),
            "x": ("x", "d"),
            "p0": ("p0", ".3f"),
            "P(p > p0)": ("prob_gt_p0", ".4f"),
            "mean": ("post_mean", ".4f"),
            "95% low": ("ci_low", ".4f"),
            "95% high": ("ci_high", ".4f"),
        },
    )
    lines = [
        "Hierarchical model: logit p_j ~ N(mu, tau^2), "
        f"mu ~ N({prior.mu_mean:.3f}, {prior.mu_sd:g}^2), tau ~ HalfNormal({prior.tau_sd:g})",
        f"Method: {method}",
        table,
    ]
    if result.diagnostics:
        d = result.diagnostics
        lines.append(
            f"NUTS: {d['chains']} chains x {d['draws']} draws; max R-hat {d['max_r_hat']:.3f}, "
            f"min bulk ESS {d['min_ess_bulk']:.0f}"
        )
    return "\n".join(lines)


def _int_list(field: str, text: str) -> list[int]:
    values = _number_list(field, text)
    if any(v != int(v) for v in values):
        raise InputError(field, f"must list whole numbers (got {text!r})")
    return [int(v) for v in values]


def _number_list(field: str, text: str) -> list[float]:
    try:
        values = [float(item) for item in text.split(",") if item.strip()]
    except ValueError:
        raise InputError(
            field, f"must be a comma-separated list of numbers (got {text!r})"
        ) from None
    if not values:
        raise InputError(field, "must not be empty")
    return values


def _run_simulate(args: argparse.Namespace) -> str:
    trial = trial_from_design(load_design_file(args.design), args.analysis)
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
        chunk_size=args.chunk_size,
        progress=False if args.no_progress else None,
    )
    provenance = result.provenance | {"design_file": args.design, "scenario_file": args.scenarios}
    if args.json:
        return _json({"results": result.to_records(), "provenance": provenance})
    lines = [result.summary(), "", _simulation_provenance(provenance)]
    if args.out:
        lines.append(f"Results written to {args.out}/results.csv and {args.out}/results.json")
    return "\n".join(lines)


def _simulation_provenance(p: dict[str, Any]) -> str:
    resumed = f"; {p['resumed_chunks']} chunks resumed" if p["resumed_chunks"] else ""
    return (
        f"[adaptive_pilot {p['package_version']}; Monte Carlo, seed {p['seed']}, "
        f"{p['n_trials']:,} trials in {p['n_chunks']} chunks of {p['chunk_size']}{resumed}; "
        f"design {p['design_hash']}; {p['wall_time_s']:.1f} s]"
    )


def _run_schema(args: argparse.Namespace) -> str:
    return _json(json_schema())


def _run_demo(args: argparse.Namespace) -> str:
    resolved = load_design_file(args.design)
    spec = resolved.spec
    hyp, errors = spec.hypotheses, spec.errors
    search = simon_designs(hyp.p0, hyp.p1, errors.alpha, errors.beta)
    bayes = resolved.boundary_table()
    rates = np.unique(np.round(np.concatenate([np.arange(0.0, 0.401, 0.05), [hyp.p0, hyp.p1]]), 10))
    designs = {
        "Simon optimal": (search.optimal.notation, search.optimal.boundary_table()),
        "Simon minimax": (search.minimax.notation, search.minimax.boundary_table()),
        resolved.rule_type.upper(): ("this file", bayes),
    }
    parts = [
        spec.title or spec.name,
        f"Primary endpoint: {spec.endpoint.name} ({spec.endpoint.definition}); "
        f"H0: p <= {hyp.p0:g}, H1: p >= {hyp.p1:g}",
        "",
        search.summary(),
        "",
    ]
    oc = exact_oc(bayes, rates)
    tox_rows = _toxicity_rows(resolved, bayes, rates)
    parts += _design_text(resolved, bayes, oc, tox_rows)
    parts += [
        "",
        "Side by side (exact): P(GO) and E[N] by true response rate",
        _comparison(designs, rates),
    ]
    parts += ["", _provenance_line(oc.provenance() | {"design_hash": _hash(resolved, bayes)})]
    if spec.cohorts and spec.accrual is not None:
        trial = trial_from_design(resolved)
        result = simulate(
            trial, load_scenarios(args.scenarios, trial), args.n_trials, seed=2026, progress=False
        )
        parts += [
            "",
            f"Multi-cohort trial: {len(trial.cohorts)} KRAS-subtype cohorts, "
            f"{trial.accrual.rate:g} patients/month ({trial.accrual.allocation}), "
            f"response known {trial.accrual.assessment_delay:g} months after enrolment"
            + (
                f", enrolment closes at {trial.accrual.max_duration:g} months"
                if trial.accrual.max_duration
                else ""
            ),
            result.summary(),
            "",
            _simulation_provenance(result.provenance),
            "With borrowing between cohorts: adaptive-pilot simulate "
            f"{args.design} --scenarios {args.scenarios} --analysis hierarchical",
        ]
    return "\n".join(parts)


# ------------------------------------------------------------------ helpers
def _calibrate(resolved: ResolvedDesign) -> CalibrationResult:
    grids = resolved.calibration_grids()
    hyp, errors = resolved.spec.hypotheses, resolved.spec.errors
    if grids["method"] == "predictive":
        return calibrate_predictive(
            hyp.p0,
            hyp.p1,
            errors.alpha,
            errors.beta,
            resolved.prior,
            n_range=grids["n_range"],
            theta_t=grids["theta_t"],
            theta_l=grids["theta_l"],
            first_look=grids["first_look"],
            every=grids["every"],
            theta_u=grids["theta_u"],
        )
    n_max = resolved.n_max()
    return calibrate_bop2(
        hyp.p0,
        hyp.p1,
        errors.alpha,
        resolved.prior,
        looks=resolved.looks(n_max),
        lam=grids["lam"],
        gamma=grids["gamma"],
        efficacy=grids["efficacy"],
        eta=grids["eta"],
    )


def _toxicity_rows(
    resolved: ResolvedDesign, table: BoundaryTable, rates: np.ndarray
) -> list[dict[str, float]] | None:
    """OC rows per (p, p_toxicity) when the design monitors toxicity."""
    rule = resolved.toxicity_rule(table.looks)
    if rule is None:
        return None
    odds_ratio = resolved.spec.toxicity.odds_ratio  # type: ignore[union-attr]
    rows: list[dict[str, float]] = []
    for tox_rate in resolved.toxicity_rates():
        joint = joint_oc(table, rule, rates, np.full_like(rates, tox_rate), odds_ratio)
        ended = joint.stop_toxicity + joint.stop_futility + joint.stop_efficacy
        sizes = np.asarray(joint.looks, dtype=float)
        for i, p in enumerate(rates):
            rows.append(
                {
                    "p": float(p),
                    "p_toxicity": float(tox_rate),
                    "p_go": float(joint.p_go[i]),
                    "p_early_futility": float(joint.p_stop_futility[i]),
                    "p_early_efficacy": float(joint.p_early_efficacy[i]),
                    "p_stop_toxicity": float(joint.p_stop_toxicity[i]),
                    "pet": float(ended[i, :-1].sum()),
                    "en": float(ended[i] @ sizes),
                }
            )
    return rows


def _design_text(
    resolved: ResolvedDesign, table: BoundaryTable, oc: Any, tox_rows: list[dict[str, float]] | None
) -> list[str]:
    spec = resolved.spec
    lines = [f"Design: {spec.title or spec.name} ({resolved.rule_type})"]
    if resolved.rule_type != "simon":
        lines.append(resolved.bayesian_design().rule.describe())
    lines += ["", "Boundary table", table.describe(), "", oc.summary()]
    if tox_rows is not None:
        rule = resolved.toxicity_rule(table.looks)
        shown = text_table(
            pd.DataFrame(tox_rows),
            {
                "p": ("p", ".3f"),
                "p_tox": ("p_toxicity", ".2f"),
                "P(GO)": ("p_go", ".4f"),
                "P(tox stop)": ("p_stop_toxicity", ".4f"),
                "P(early futility)": ("p_early_futility", ".4f"),
                "P(early efficacy)": ("p_early_efficacy", ".4f"),
                "E[N]": ("en", ".2f"),
            },
        )
        lines += [
            "",
            "Toxicity co-monitoring",
            rule.describe(),  # type: ignore[union-attr]
            "Exact joint OC (response and toxicity independent unless an odds ratio is given):",
            shown,
        ]
    return lines


def _comparison(designs: dict[str, tuple[str, BoundaryTable]], rates: np.ndarray) -> str:
    columns: dict[str, Any] = {"p": [f"{p:.3f}" for p in rates]}
    for label, (_, table) in designs.items():
        oc = exact_oc(table, rates)
        columns[f"{label} P(GO)"] = [f"{v:.4f}" for v in oc.p_go]
        columns[f"{label} E[N]"] = [f"{v:.1f}" for v in oc.en]
    legend = "; ".join(
        f"{label}: {detail}, N = {table.n_max}" for label, (detail, table) in designs.items()
    )
    return pd.DataFrame(columns).to_string(index=False) + "\n" + legend


def _hash(resolved: ResolvedDesign, table: BoundaryTable) -> str:
    return content_hash({"spec": resolved.spec.model_dump(mode="json"), "table": table.to_dict()})


def _check_data(x: int, n: int, n_max: int | None) -> None:
    if n < 1:
        raise InputError("n", f"must be a whole number >= 1 (got {n})")
    if not 0 <= x <= n:
        raise InputError("x", f"must be between 0 and n = {n} (got {x})")
    if n_max is not None and n_max < n:
        raise InputError("nmax", f"must be at least n = {n} (got {n_max})")


def _data_inputs(args: argparse.Namespace) -> dict[str, Any]:
    return {"x": args.x, "n": args.n, "p0": args.p0, "prior": args.prior.to_dict()}


def _json(payload: dict[str, Any]) -> str:
    return json.dumps(payload, indent=2, allow_nan=False)


def _provenance_line(provenance: dict[str, Any]) -> str:
    return (
        f"[adaptive_pilot {provenance['version']}; {provenance['method']}; "
        f"design {provenance['design_hash']}]"
    )


def _by_look_text(frame: pd.DataFrame) -> str:
    probabilities = ("p_reach", "p_stop_futility", "p_stop_efficacy", "p_end")
    columns = {"p": ("p", ".3f"), "look": ("look", "d"), "n": ("n", "d")}
    return text_table(frame, columns | {name: (name, ".4f") for name in probabilities})


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
