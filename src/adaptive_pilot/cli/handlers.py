"""What each command does: read its options, call the library, render the result.

Wiring only: the statistics are in the library, the options in
:mod:`adaptive_pilot.cli.commands`. The library is imported inside each handler
so that ``--help`` and ``--version`` answer at once.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


class ExitStatus(Exception):  # noqa: N818 - a normal outcome, not an error
    """A command's output with a non-zero exit status that is not an input error."""

    def __init__(self, output: str, code: int) -> None:
        super().__init__(output)
        self.output = output if output.endswith("\n") else output + "\n"
        self.code = code


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
def run_simon(args: argparse.Namespace) -> str:
    from ..designs.simon import simon_designs

    search = simon_designs(
        args.p0, args.p1, args.alpha, args.beta, n_max=args.n_max, convention=args.convention
    )
    return _render(search, args.format)


def run_oc(args: argparse.Namespace) -> str:
    from .._grid import parse_rate_grid
    from ..boundary_table import BoundaryTable
    from ..oc.exact import exact_oc

    table = BoundaryTable.from_strings(
        args.looks, args.futility, args.efficacy, three_outcomes=args.consider
    )
    oc = exact_oc(table, parse_rate_grid(args.p))
    if args.format == "csv" and args.by_look:
        return str(oc.by_look().to_csv(index=False, lineterminator="\n"))
    if args.format in ("text", "md"):
        parts = [table.summary(), oc.summary(by_look=args.by_look)]
        render = "as_markdown" if args.format == "md" else "as_text"
        return "\n\n".join(getattr(part, render)() for part in parts)
    return _render(oc, args.format, dict={"by_look": args.by_look})


def run_inference(args: argparse.Namespace) -> str:
    from ..boundary_table import BoundaryTable
    from ..inference import stagewise_inference
    from ..priors import BetaPrior

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


def run_toxicity_boundary(args: argparse.Namespace) -> str:
    from ..designs.toxicity_boundary import toxicity_boundary

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


def run_design(args: argparse.Namespace) -> str:
    from .._grid import parse_rate_grid
    from ..spec import load_design

    resolved = load_design(args.file)
    if resolved.is_time_to_event or resolved.is_multi_endpoint:
        from ..errors import InputError

        if args.p is not None:
            raise InputError(
                "--p",
                "a time_to_event design is simulated at its scenarios (adaptive-pilot simulate "
                "FILE), not evaluated at response rates"
                if resolved.is_time_to_event
                else "a design with several endpoints is evaluated at its outcome section's "
                "null and alternative scenarios (category probabilities), not at response rates",
            )
        if resolved.is_time_to_event:
            return _render(resolved.survival_summary(), args.format)
        return _render(resolved.evaluate_endpoints(), args.format)
    rates = None if args.p is None else parse_rate_grid(args.p)
    return _render(resolved.evaluate(rates), args.format)


def run_report(args: argparse.Namespace) -> str:
    from .._grid import parse_rate_grid
    from ..errors import InputError
    from ..reports import parse_formats, write_report
    from ..reports import report as build_report
    from ..spec import load_design

    formats = parse_formats(args.format)
    rates = None if args.p is None else parse_rate_grid(args.p)
    resolved = load_design(args.file)
    simulated_anyway = resolved.is_time_to_event  # its OC come from simulation only
    if args.scenarios is None and not simulated_anyway:
        for name in ("n_trials", "seed"):
            if getattr(args, name) is not None:
                raise InputError(name, "is used only with --scenarios (a simulation)")
        if args.n_jobs != 1:
            raise InputError("n_jobs", "is used only with --scenarios (a simulation)")
    _check_output_folder(args.out)
    default_trials = 1_000 if simulated_anyway else 10_000
    report = build_report(
        resolved,
        compare=args.compare,
        rates=rates,
        scenarios=args.scenarios,
        n_trials=default_trials if args.n_trials is None else args.n_trials,
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


def run_calibrate(args: argparse.Namespace) -> str:
    from ..spec import load_design

    resolved = load_design(args.file)
    if args.write is not None:
        _check_writable_file(args.write, "write")
    progress = False if args.no_progress else None
    if resolved.is_time_to_event:
        if args.borrowing:
            from ..errors import InputError

            raise InputError(
                "--borrowing",
                "a time_to_event design calibrates time_to_event.calibration (with the file's "
                "borrowing, if any): leave --borrowing out",
            )
        calibration = resolved.calibrate_survival(
            n_trials=args.n_trials, seed=args.seed, n_jobs=args.n_jobs, progress=progress
        )
        output = _render(calibration, args.format)
        return _calibrated(args, output, lambda: resolved.survival_calibrated_document(calibration))
    if args.borrowing or (
        resolved.has_borrowing_calibration() and not resolved.has_single_cohort_calibration()
    ):
        borrowing = resolved.calibrate_borrowing(
            n_trials=args.n_trials, seed=args.seed, n_jobs=args.n_jobs, progress=progress
        )
        output = _render(borrowing, args.format, summary={"top": args.top})
        return _calibrated(args, output, lambda: resolved.borrowing_calibrated_document(borrowing))
    result = resolved.calibrate()
    output = _render(result, args.format, dict={"top": args.top}, summary={"top": args.top})
    return _calibrated(args, output, lambda: resolved.calibrated_document(result))


def _calibrated(args: argparse.Namespace, output: str, document: Callable[[], Any]) -> str:
    """Write the calibrated design file when --write asks for it, and say so."""
    if args.write is not None:
        _write_document(args.write, document(), args.file)
        if args.format == "text":
            output += f"\n\nCalibrated design file written to {args.write}"
    return output


def run_predprob(args: argparse.Namespace) -> str:
    import pandas as pd

    from ..priors import BetaPrior
    from ..results import Summary, Table
    from ..rules.predictive import predictive_probability

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


def run_prior(args: argparse.Namespace) -> str:
    from ..errors import InputError
    from ..prior_information import describe_prior
    from ..priors import BetaMixturePrior, BetaPrior

    if (args.mix is None) == (args.map is None):
        raise InputError("prior", "give one of --mix (a Beta mixture) or --map FILE")
    if args.map is not None:
        from ..meta_analytic import map_prior
        from ..spec.historical import read_historical

        result = map_prior(
            read_historical(args.map), tau_sd=args.tau_sd, mu_mean=args.mu_mean,
            mu_sd=args.mu_sd, robust_weight=args.robust, robust_mean=args.robust_mean,
        )  # fmt: skip
        return _render(result, args.format)
    components = [BetaPrior(a, b) for _, a, b in args.mix]
    weights = [w for w, _, _ in args.mix]
    prior: BetaPrior | BetaMixturePrior = (
        components[0] if len(components) == 1 else BetaMixturePrior(components, weights)
    )
    info = describe_prior(prior, robust_weight=args.robust, robust_mean=args.robust_mean)
    return _render(info, args.format)


def run_sensitivity(args: argparse.Namespace) -> str:
    from ..sensitivity import sensitivity, tau_sensitivity
    from ..spec import load_design

    resolved = load_design(args.design)
    if resolved.is_multi_endpoint:
        from ..designs.endpoint_sensitivity import endpoint_prior_sensitivity
        from ..errors import InputError

        if args.scenarios is not None:
            raise InputError(
                "--scenarios",
                "the tau sensitivity needs a design with one endpoint; a design with several "
                "endpoints gets its prior sensitivity",
            )
        nulls, alternatives = resolved.endpoint_scenarios()
        return _render(
            endpoint_prior_sensitivity(
                resolved.endpoint_design, {**nulls, **alternatives},
                design_hash=resolved.design_hash(),
            ),
            args.format,
        )  # fmt: skip
    results: list[tuple[str, Any]] = []
    if resolved.design.bayesian is not None:
        results.append(("prior", sensitivity(resolved)))
    if args.scenarios is not None:
        tau = tau_sensitivity(
            resolved, args.scenarios, n_trials=args.n_trials, seed=args.seed,
            n_jobs=args.n_jobs, analysis=args.analysis,
        )  # fmt: skip
        results.append(("tau", tau))
    if not results:
        from ..errors import InputError

        raise InputError("design", "a Simon design has no prior: give --scenarios for a trial")
    if args.format == "json":
        return json.dumps({name: r.to_dict() for name, r in results}, indent=2, allow_nan=False)
    return "\n\n".join(_render(r, args.format) for _, r in results)


def run_postprob(args: argparse.Namespace) -> str:
    import pandas as pd

    from ..conflict import prior_data_conflict
    from ..priors import BetaPrior
    from ..results import Summary, Table

    _check_data(args.x, args.n, None)
    prior = BetaPrior(*args.prior)
    prob = float(prior.prob_greater(args.p0, args.x, args.n))
    check = prior_data_conflict(prior, args.x, args.n, delta=args.delta)
    inputs = {"x": args.x, "n": args.n, "p0": args.p0}
    measures = {"box_p": check.box_p}
    if check.sam_weight is not None:
        measures |= {"sam_weight": check.sam_weight}
    frame = pd.DataFrame([inputs | {"prob_gt_p0": prob} | measures])
    summary = Summary(
        "Posterior probability that the response rate exceeds p0",
        header=(
            f"{args.x} responses among {args.n} evaluable patients; prior {prior}, posterior "
            f"Beta({prior.a + args.x:g}, {prior.b + args.n - args.x:g})",
            "Prior-data conflict: " + check.sentence(),
        ),
        tables=(Table(frame),),
    )
    payload = {
        "prob_gt_p0": prob,
        "conflict": check.to_dict(),
        "inputs": inputs | {"prior": prior.to_dict(), "delta": args.delta},
    }
    return _plain_result(summary, frame, payload, args.format)


def _plain_result(summary: Any, frame: Any, payload: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(payload, indent=2, allow_nan=False)
    if fmt == "csv":
        return str(frame.to_csv(index=False, lineterminator="\n"))
    return str(summary.as_markdown() if fmt == "md" else summary.as_text())


def run_borrow(args: argparse.Namespace) -> str:
    from ..cohorts.exnex import ExnexModel, ExnexPrior
    from ..cohorts.hierarchical import HierarchicalModel, hierarchical_prior

    n = _int_list("n", args.n)
    x = _int_list("x", args.x)
    p0 = _number_list("p0", args.p0)
    if len(p0) not in (1, len(n)):
        from ..errors import InputError

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
    from ..cohorts.exnex import default_nex
    from ..cohorts.prior import NonExchangeable
    from ..errors import InputError

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
    from ..errors import InputError

    values = _number_list(field, text)
    if any(v != int(v) for v in values):
        raise InputError(field, f"must list whole numbers (got {text!r})")
    return [int(v) for v in values]


def _number_list(field: str, text: str) -> list[float]:
    from ..errors import InputError

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


def run_simulate(args: argparse.Namespace) -> str:
    from ..errors import InputError
    from ..simulation.runner import CHUNK_SIZE, simulate
    from ..spec import load_design, load_scenarios

    resolved = load_design(args.design)
    if resolved.is_multi_endpoint:
        return _simulate_endpoints(resolved, args)
    if resolved.is_time_to_event:
        return _simulate_time_to_event(resolved, args)
    if args.imputations is not None:
        raise InputError("--imputations", "is read only for a time_to_event design")
    if args.scenarios is None:
        raise InputError("--scenarios", "is required: a scenario file (YAML or TOML)")
    trial = resolved.trial(args.analysis)
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


def _only_loky(args: argparse.Namespace, kind: str) -> None:
    """Refuse the options these simulators do not have yet, in one line."""
    from ..errors import InputError

    for option, value, allowed in (
        ("--backend", args.backend, ("loky",)),
        ("--out", args.out, (None,)),
        ("--scheduler", args.scheduler, (None,)),
    ):
        if value not in allowed:
            raise InputError(
                option,
                f"is not available yet for {kind} (simulated in this process or loky workers, "
                "without checkpoints)",
            )


def _simulate_time_to_event(resolved: Any, args: argparse.Namespace) -> str:
    """``simulate`` for a time_to_event design (with the file's borrowing, if any)."""
    from ..errors import InputError
    from ..simulation.survival_monitoring import simulate_survival_monitoring

    _only_loky(args, "a time_to_event design")
    if args.scenarios is not None:
        raise InputError(
            "--scenarios",
            "a time_to_event design is simulated at the scenarios of its time_to_event section "
            "(leave --scenarios out)",
        )
    borrowing = resolved.survival_borrowing(args.analysis)
    cohorts, accrual = resolved.survival_trial()
    result = simulate_survival_monitoring(
        cohorts,
        accrual,
        resolved.survival_scenarios(),
        args.n_trials,
        args.seed,
        imputations=args.imputations,
        borrowing=borrowing,
        design_hash=resolved.design_hash(),
        n_jobs=args.n_jobs,
        chunk_size=args.chunk_size,
        progress=False if args.no_progress else None,
    )
    return _render(result, args.format)


def _simulate_endpoints(resolved: Any, args: argparse.Namespace) -> str:
    """``simulate`` for a design on several endpoints (each cohort on its own data)."""
    from ..errors import InputError
    from ..simulation.endpoints import CHUNK_SIZE, simulate_endpoints
    from ..spec.scenarios import load_endpoint_scenarios

    _only_loky(args, "a design with several endpoints")
    if args.imputations is not None:
        raise InputError("--imputations", "is read only for a time_to_event design")
    cohorts, accrual = resolved.endpoint_trial()
    borrowing = resolved.endpoint_borrowing(args.analysis)
    if args.scenarios is None:
        scenarios = resolved.endpoint_design_scenarios()
    else:
        categories = cohorts[0].design.rule.categories
        scenarios = load_endpoint_scenarios(args.scenarios, [c.name for c in cohorts], categories)
    result = simulate_endpoints(
        cohorts,
        accrual,
        scenarios,
        args.n_trials,
        args.seed,
        design_hash=resolved.design_hash(),
        borrowing=borrowing,
        n_jobs=args.n_jobs,
        chunk_size=args.chunk_size or CHUNK_SIZE,
        progress=False if args.no_progress else None,
    )
    return _render(result, args.format)


def run_interim(args: argparse.Namespace) -> str:
    from ..dsmb.publish import FILES, check_out_folder
    from ..dsmb.run import run_interim
    from ..reports.interim import closed_report

    as_of = None if args.as_of is None else _date_option("as_of", args.as_of)
    if args.out is not None:
        check_out_folder(args.out)
    if args.audit is not None:
        if not (args.analyst or "").strip() and args.sign is None:
            from ..errors import InputError

            raise InputError(
                "analyst",
                "an audited call records who makes it: give --analyst NAME (or sign with "
                "--sign KEY)",
            )
        _check_audit_target(args.audit, args.lock_timeout)
    key = None
    if args.sign is not None:
        from ..interim.signing import SigningKey

        if args.audit is None:
            from ..errors import InputError

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
        **({} if args.seed is None else {"seed": args.seed}),
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
    from ..interim.signing import key_is_encrypted

    if passphrase_file is not None:
        return _passphrase_from_file(passphrase_file)
    if key_is_encrypted(key_file) and sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"Passphrase of {Path(key_file).name}: ").encode("utf-8")
    return None


def _passphrase_from_file(path: str) -> bytes:
    from ..errors import InputError

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


def run_app(args: argparse.Namespace) -> str:
    from ..errors import InputError

    try:
        from ..app import serve
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


def run_audit(args: argparse.Namespace) -> str:
    from ..errors import InputError
    from ..interim import audit

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
        from ..interim.signing import load_public_keys

        keys = None if args.keys is None else load_public_keys(args.keys)
        check = audit.verify(args.audit, head=head, keys=keys, timeout=args.lock_timeout)
        text = "\n".join([*completed, *check.lines()])
        if not check.ok:
            raise ExitStatus(text, 1)
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
    from ..dsmb.publish import complete_pending
    from ..interim import audit

    done = complete_pending(audit.read_records(database, timeout=timeout))
    return [f"completed: the reports of a recorded call were moved into {f}" for f in done]


def _keygen(args: argparse.Namespace) -> str:
    from ..errors import InputError
    from ..interim.signing import generate_key

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

    from ..errors import InputError

    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(field, f"must be a date YYYY-MM-DD (got {text!r})") from None


def _check_output_folder(path: str) -> None:
    from .._files import writable_folder

    writable_folder(path)


def _check_audit_target(path: str, timeout: float = 30.0) -> None:
    from pathlib import Path

    from ..errors import InputError

    target = Path(path)
    if target.is_dir():
        raise InputError("audit", f"{path} is a folder; give a database file name")
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise InputError("audit", f"the folder {parent} does not exist")
    if not os.access(target if target.exists() else parent, os.W_OK):
        raise InputError("audit", f"cannot write {path}: permission denied")
    if target.exists():
        from ..interim import audit

        audit.read_records(target, timeout=timeout)  # refuses a file that is not an audit database


def run_validate(args: argparse.Namespace) -> str:
    from ..errors import InputError
    from ..validation import validate
    from ..validation.report import validation_report

    if args.list:
        return _validation_list()
    formats = _validation_formats(args.format)
    if args.out is None and args.format != "html,docx,json":
        raise InputError("format", "is used only with --out (a folder to write the report into)")
    if args.out is not None:
        _check_output_folder(args.out)
    log = None if args.no_progress else (lambda line: print(line, file=sys.stderr, flush=True))
    result = validate(quick=args.quick, only=args.only, progress=log)
    lines = [result.summary().as_text()]
    if args.out is not None:
        from ..reports import write_report

        report_formats = [f for f in formats if f != "json"]
        extra = {}
        if "json" in formats:
            extra["validation.json"] = json.dumps(result.to_dict(), indent=2).encode("utf-8")
        report = validation_report(result)
        written = write_report(report, args.out, report_formats, extra)
        lines.append("")
        lines += [f"Written: {p}" for p in written if p.parent == Path(args.out)]
        if any(p.parent.name == "tables" for p in written):
            lines.append(f"Tables: CSV files in {Path(args.out) / 'tables'}")
    output = "\n".join(lines)
    if not result.passed:
        raise ExitStatus(output, 1)
    return output


def _validation_formats(text: str) -> tuple[str, ...]:
    from ..errors import InputError
    from ..reports import FORMATS

    allowed = ("html", "docx", "json", "md", "csv", "tex")
    chosen = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    unknown = [f for f in chosen if f not in allowed]
    if unknown or not chosen:
        problem = f"unknown format {unknown[0]!r}" if unknown else "no format given"
        raise InputError("format", f"{problem}; allowed: {', '.join(allowed)}")
    assert set(allowed) - {"json"} <= set(FORMATS)
    return chosen


def _validation_list() -> str:
    import pandas as pd

    from ..results import Summary, Table
    from ..validation.catalogue import reference_sets
    from ..validation.cross_checks import CROSS_CHECKS

    rows = [
        {"reference_set": r.id, "check_type": "reference", "software": r.software,
         "cases": len(r.cases), "title": r.title, "quick": r.quick}
        for r in reference_sets()
    ] + [
        {"reference_set": c.id, "check_type": c.kind, "software": "this installation",
         "cases": None, "title": c.title, "quick": c.quick}
        for c in CROSS_CHECKS
    ]  # fmt: skip
    frame = pd.DataFrame(rows)
    summary = Summary(
        "Reference sets and cross-checks",
        header=("quick: part of --quick; run one with --only ID",),
        tables=(Table(frame, labels={"quick": "quick"}),),
    )
    return summary.as_text()


def run_schema(args: argparse.Namespace) -> str:
    from ..spec import json_schema

    return json.dumps(json_schema(), indent=2)


def run_demo(args: argparse.Namespace) -> str:
    from ..demo import demo_summaries

    return "\n\n".join(
        s.as_text() for s in demo_summaries(args.design, args.scenarios, args.n_trials)
    )


# ------------------------------------------------------------------ helpers
def _check_data(x: int, n: int, n_max: int | None) -> None:
    from ..errors import InputError

    if not 0 <= x <= n:
        raise InputError("x", f"must be between 0 and n = {n} (got {x})")
    if n_max is not None and n_max < n:
        raise InputError("n_max", f"must be at least n = {n} (got {n_max})")


def _check_writable_file(path: str, field: str) -> None:
    """Refuse, before any work, a target whose folder is missing, read-only or a file."""
    from pathlib import Path

    from ..errors import InputError

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


def _write_document(path: str, document: dict[str, Any], source: str) -> None:
    """Write the calibrated design file, keeping the comments of a YAML source file."""
    from pathlib import Path

    from .._files import atomic_write
    from ..spec.writing import document_text

    origin = Path(source)
    original = None
    if origin.suffix.lower() in (".yaml", ".yml"):
        original = origin.read_text(encoding="utf-8")
    header = "# Written by adaptive-pilot calibrate: the design file with calibrated thresholds.\n"
    text = document_text(document, original, ".yaml", header=header)
    atomic_write(Path(path), text.encode("utf-8"))
