"""Every command of ``adaptive-pilot``, declared once: options, limits, help and an example.

The parser (:func:`adaptive_pilot.cli.declare.build_parser`), the option names
in error lines and the CLI reference are all derived from :data:`COMMANDS`.
To add a command: declare it here and write its handler in
:mod:`adaptive_pilot.cli.handlers`.
"""

from __future__ import annotations

from .declare import Command, Option
from .types import (
    BETA_MIXTURE,
    BETA_PRIOR,
    NUMBER,
    POSITIVE,
    PROBABILITY,
    SECONDS,
    UNIT,
    Count,
    max_jobs,
)

__all__ = ["COMMANDS", "DESCRIPTION"]

DESCRIPTION = (
    "Design, tune, simulate and evaluate adaptive pilot trials with exact operating "
    "characteristics."
)
#: Limits on sizes accepted from the command line (stated in the help from these).
MAX_TRIALS = 100_000_000
MAX_DRAWS = 1_000_000
SIMON_N_LIMIT = 2000

FORMAT = (
    Option("--format", help="output: text, json, csv or md", choices=("text", "json", "csv", "md"),
           default="text"),
    Option("--json", help="same as --format json", action="store_const", dest="format",
           const="json"),
)  # fmt: skip
JOBS = Option(
    "--n-jobs",
    help="processes that simulate at once (this one and up to N-1 workers, started when "
    "the run is long enough to gain from them)",
    type=Count(1, max_jobs(), words=f"1 to 4 x the CPUs = {max_jobs()}"),
    default=1,
)
ANALYSIS = Option(
    "--analysis",
    help="override the design file's borrowing model (hierarchical: borrow with the "
    "file's model, Berry's unless it says exnex)",
    choices=("independent", "hierarchical", "exnex"),
)
LOCK = Option(
    "--lock-timeout",
    help=("seconds to wait while another program holds the audit database"),
    type=SECONDS,
    default=30.0,
)
DATA = (
    Option("--x", help="responses so far", type=Count(0), required=True),
    Option("--n", help="evaluable patients so far", type=Count(1, 5000), required=True),
    Option("--p0", help="uninteresting rate", type=PROBABILITY, required=True),
    Option("--prior", help="Beta prior a,b", type=BETA_PRIOR, default=(1.0, 1.0)),
)

COMMANDS: tuple[Command, ...] = (
    Command(
        "simon",
        summary="Simon two-stage designs: optimal, minimax and admissible",
        description="Search Simon two-stage designs (exact binomial).",
        example="adaptive-pilot simon --p0 0.1 --p1 0.3",
        handler="run_simon",
        options=(
            Option("--p0", help="response rate under H0", type=PROBABILITY, required=True),
            Option("--p1", help="response rate under H1", type=PROBABILITY, required=True),
            Option("--alpha", help="type I error bound", type=PROBABILITY, default=0.05),
            Option("--beta", help="type II error bound", type=PROBABILITY, default=0.2),
            Option(
                "--n-max",
                help="largest total n searched",
                type=Count(2, SIMON_N_LIMIT),
                default=100,
            ),
            Option(
                "--convention",
                help="feasibility: clinfun (strict <) or inclusive (<=)",
                choices=("clinfun", "inclusive"),
                default="clinfun",
            ),
            *FORMAT,
        ),
    ),
    Command(
        "oc",
        summary="exact operating characteristics of a boundary table",
        description=("Exact operating characteristics of a boundary table (no Monte Carlo)."),
        example=("adaptive-pilot oc --looks 10,29 --futility 1,5 --efficacy never,6 --p 0.1,0.3"),
        handler="run_oc",
        options=(
            Option(
                "--looks",
                help="evaluable patients at each look, e.g. 10,29 (at most 5,000)",
                required=True,
            ),
            Option("--futility", help="stop if responses <= f ('never': none)", required=True),
            Option("--efficacy", help="stop if responses >= e ('never': none)", required=True),
            Option("--p", help="true rates: start:stop:step or a,b,c", required=True),
            Option("--by-look", help="also per-look stopping probabilities", action="store_true"),
            Option(
                "--consider",
                help="Go / Consider / No-Go: the final bounds may leave a CONSIDER band "
                "(NO-GO if x <= the last futility bound, GO if x >= the last efficacy bound)",
                action="store_true",
            ),
            *FORMAT,
        ),
    ),
    Command(
        "inference",
        summary=("exact estimates, p-value and CI after a cohort ended (any number of looks)"),
        description=(
            "Exact inference for a cohort that ended at n patients with x responses"
            " under a boundary table: naive, UMVUE, median-unbiased and "
            "bias-adjusted estimates, the p-value for H0: p <= p0 and the exact "
            "confidence interval under the stage-wise ordering (or the MLE / UMVUE "
            "ordering), and the Beta posterior."
        ),
        example=(
            "adaptive-pilot inference --looks 10,29 --futility 1,5 --efficacy "
            "never,6 --n 29 --x 6 --p0 0.1"
        ),
        handler="run_inference",
        options=(
            Option("--looks", help="evaluable patients at each look", required=True),
            Option("--futility", help="stop if x <= f ('never': none)", required=True),
            Option("--efficacy", help="stop if x >= e ('never': none)", required=True),
            Option(
                "--n", help="evaluable patients when it ended", type=Count(1, 5000), required=True
            ),
            Option("--x", help="responses when it ended", type=Count(0), required=True),
            Option(
                "--p0",
                help="null rate of the p-value (H0: p <= p0)",
                type=PROBABILITY,
                required=True,
            ),
            Option(
                "--level", help="two-sided level of the intervals", type=PROBABILITY, default=0.9
            ),
            Option(
                "--ordering",
                help=("ordering of the outcomes for the p-value, CI and median-unbiased estimate"),
                choices=("stagewise", "mle", "umvue"),
                default="stagewise",
            ),
            Option(
                "--interval",
                help=(
                    "exact: (1 - level)/2 in each tail; koyama-chen: clinfun's twostage.inference"
                ),
                choices=("exact", "koyama-chen"),
                default="exact",
            ),
            Option(
                "--prior",
                help="Beta prior a,b of the posterior",
                type=BETA_PRIOR,
                default=(1.0, 1.0),
            ),
            *FORMAT,
        ),
    ),
    Command(
        "toxicity-boundary",
        summary="repeated-significance toxicity boundary (clinfun toxbdry)",
        description=(
            "Repeated-significance toxicity stopping boundary (Ivanova, Qaqish & "
            "Schell 2005; clinfun's toxbdry), found exactly, with its exact "
            "operating characteristics."
        ),
        example=("adaptive-pilot toxicity-boundary --p-lo 0.2 --p-hi 0.35 --looks 20,40,60,75"),
        handler="run_toxicity_boundary",
        options=(
            Option("--p-lo", help="acceptable rate", type=PROBABILITY, required=True),
            Option("--p-hi", help="unacceptable rate", type=PROBABILITY, required=True),
            Option(
                "--looks", help="patients at each toxicity check, e.g. 20,40,60,75", required=True
            ),
            Option(
                "--cp0",
                help="P(stop) allowed at the acceptable rate",
                type=PROBABILITY,
                default=0.1,
            ),
            Option(
                "--cp1",
                help="P(stop) wanted at the unacceptable rate",
                type=PROBABILITY,
                default=0.9,
            ),
            Option(
                "--shape",
                help=("boundary shape from 0 (Pocock-like) to 0.5 (O'Brien-Fleming-like)"),
                type=NUMBER,
                default=0.0,
            ),
            Option(
                "--priority",
                help="the target to meet when N cannot meet both",
                choices=("null", "alt"),
                default="null",
            ),
            Option("--grid", help="toxicity rates in the OC table", type=Count(2, 1000), default=6),
            *FORMAT,
        ),
    ),
    Command(
        "design",
        summary="compile a design file: boundary table and exact OC",
        description="Compile a design file into its boundary table and exact OC.",
        example="adaptive-pilot design designs/bop2_example.yaml --p 0.2,0.3,0.4",
        handler="run_design",
        options=(
            Option("file", help="design file (.yaml, .yml or .toml)"),
            Option("--p", help="true rates (default: 0.05:0.6:0.05 with p0 and p1)", default=None),
            *FORMAT,
        ),
    ),
    Command(
        "report",
        summary=("write the protocol report of a design: text, tables and figures"),
        description=(
            "Write the statistical-section report of a design file: the protocol "
            "paragraph with the design's own numbers, the boundary table in numbers"
            " and words, the exact OC, figures, a side-by-side comparison with "
            "--compare, and with --scenarios the simulated OC of a multi-cohort "
            "trial and its simulation appendix. Formats: html (one self-contained "
            "file), md (figures beside it), tex (pdflatex), docx (Word tables), csv"
            " (every table). Files are made in a temporary folder and moved into "
            "--out."
        ),
        example=(
            "adaptive-pilot report designs/bop2_example.yaml --compare "
            "designs/simon_example.toml --out bop2-report"
        ),
        handler="run_report",
        options=(
            Option("file", help="design file (.yaml, .yml or .toml)"),
            Option(
                "--compare",
                help="other design files to compare",
                nargs="+",
                default=[],
                metavar="FILE",
            ),
            Option(
                "--p",
                help=(
                    "true rates of the OC table (default: 0.05:0.6:0.05); p0 and p1 are "
                    "always added"
                ),
                default=None,
            ),
            Option(
                "--format",
                help="comma-separated formats: html, md, tex, docx, csv",
                default="html,md,tex,docx,csv",
            ),
            Option("--out", help="folder to write the report into", required=True),
            Option(
                "--scenarios",
                help=(
                    "scenario file: simulate the multi-cohort trial and add the simulated "
                    "OC and the simulation appendix"
                ),
                default=None,
            ),
            Option(
                "--n-trials",
                help="simulated trials per scenario (default 10,000; a time_to_event design, "
                "always simulated at its own scenarios: 1,000)",
                type=Count(1, MAX_TRIALS),
                default=None,
            ),
            Option("--seed", help="root random seed (default 1)", type=Count(0), default=None),
            JOBS,
            ANALYSIS,
            Option("--no-progress", help="no simulation progress", action="store_true"),
        ),
    ),
    Command(
        "calibrate",
        summary="run the calibration a design file describes",
        description=(
            "Run the calibration search in a design file: the single-cohort rule's "
            "thresholds (exact OC), or with --borrowing the hierarchical-borrowing "
            "thresholds of a multi-cohort trial (simulated, each cohort's P(false "
            "GO) controlled, the worst mixed null reported). With --write, save the"
            " design file with the calibrated thresholds filled in (and, for "
            "borrowing, the grid and the errors with their MCSE)."
        ),
        example="adaptive-pilot calibrate designs/bop2_example.yaml --top 5",
        handler="run_calibrate",
        options=(
            Option("file", help="design file with a calibration section"),
            Option("--top", help="feasible designs shown (0 or more)", type=Count(0), default=10),
            Option("--write", help="write the calibrated design file here", default=None),
            Option(
                "--borrowing",
                help=(
                    "run calibration.borrowing (the default when it is the only grid in the file)"
                ),
                action="store_true",
            ),
            Option(
                "--n-trials",
                help="trials per scenario (borrowing or time_to_event; default: the file's)",
                type=Count(100, MAX_TRIALS),
                default=None,
            ),
            Option(
                "--seed",
                help="root random seed (borrowing or time_to_event; default: the file's)",
                type=Count(0),
                default=None,
            ),
            JOBS,
            Option("--no-progress", help="no progress display", action="store_true"),
            *FORMAT,
        ),
    ),
    Command(
        "predprob",
        summary="predictive probability of success (Lee & Liu 2008)",
        description=("Predictive probability that the final analysis will succeed."),
        example=("adaptive-pilot predprob --x 5 --n 20 --n-max 40 --p0 0.2 --theta-t 0.9"),
        handler="run_predprob",
        options=(
            *DATA,
            Option("--n-max", help="maximum N", type=Count(1, 5000), required=True),
            Option("--theta-t", help="final success threshold", type=PROBABILITY, required=True),
            *FORMAT,
        ),
    ),
    Command(
        "prior",
        summary="a prior's mixture, mean and effective sample size; MAP priors from history",
        description=(
            "Describe a Beta or Beta-mixture prior for the response rate (--mix): its "
            "components, mean and SD, and its effective sample size by ELIR (RBesT's "
            "default), moment matching and Morita's method. Or build a meta-analytic-"
            "predictive (MAP) prior from historical studies (--map FILE, a CSV with columns "
            "name, n, x): the predictive of a new study's rate under logit p_h ~ N(mu, "
            "tau^2), computed exactly by quadrature and approximated by a Beta mixture. With "
            "--robust, a vague Beta component of mean --robust-mean (worth 2 patients) is "
            "added at that weight."
        ),
        example="adaptive-pilot prior --mix 0.2:1:1,0.8:10:2 --robust 0.2 --format json",
        handler="run_prior",
        options=(
            Option(
                "--mix",
                help="the prior: components weight:a:b, comma-separated (a:b for one Beta)",
                type=BETA_MIXTURE,
                default=None,
            ),
            Option(
                "--map",
                help="CSV of historical studies (columns name, n, x): build a MAP prior",
                default=None,
            ),
            Option(
                "--tau-sd",
                help="MAP: half-normal scale of tau (between-study SD of logit p)",
                type=POSITIVE,
                default=1.0,
            ),
            Option(
                "--mu-mean", help="MAP: prior mean of mu (logit scale)", type=NUMBER, default=0.0
            ),
            Option("--mu-sd", help="MAP: prior SD of mu", type=POSITIVE, default=2.0),
            Option("--robust", help="weight of a vague component to add", type=UNIT, default=None),
            Option(
                "--robust-mean", help="mean of the vague component", type=PROBABILITY, default=0.5
            ),
            *FORMAT,
        ),
    ),
    Command(
        "sensitivity",
        summary="a design's decisions and exact OC under alternative priors",
        description=(
            "Rebuild a Bayesian design under alternative priors (vague, sceptical, "
            "enthusiastic, robust weights 0.25 to 1, and for a MAP prior its tau scale "
            "halved and doubled) and give each one's final GO bound, exact P(GO | p0), "
            "P(GO | p1) and E[N | p0]; and the type I error over the whole null range p <= p0."
        ),
        example="adaptive-pilot sensitivity designs/bop2_example.yaml",
        handler="run_sensitivity",
        options=(
            Option("design", help="design file (.yaml, .toml)"),
            Option(
                "--scenarios",
                help="scenario file: also simulate the trial with the tau prior's scale "
                "halved and doubled (borrowing designs)",
                default=None,
            ),
            Option(
                "--n-trials",
                help="trials per scenario (with --scenarios)",
                type=Count(100, MAX_TRIALS),
                default=10_000,
            ),
            Option("--seed", help="root random seed (with --scenarios)", type=Count(0), default=1),
            JOBS,
            ANALYSIS,
            *FORMAT,
        ),
    ),
    Command(
        "postprob",
        summary="posterior probability P(p > p0 | data), and prior-data conflict",
        description=(
            "Posterior probability that the response rate exceeds p0, with the check of "
            "prior-data conflict: Box's prior-predictive p-value and, with --delta, the "
            "self-adapting mixture (SAM) weight of the prior (SAMprior)."
        ),
        example="adaptive-pilot postprob --x 5 --n 20 --p0 0.2 --prior 0.2,0.8 --delta 0.2",
        handler="run_postprob",
        options=(
            *DATA,
            Option(
                "--delta",
                help="clinically significant difference for the prior-data conflict's SAM "
                "weight (e.g. p1 - p0)",
                type=PROBABILITY,
                default=None,
            ),
            *FORMAT,
        ),
    ),
    Command(
        "borrow",
        summary="hierarchical posterior across cohorts for one dataset",
        description=(
            "Posterior of each cohort's response rate under the hierarchical model "
            "logit p_j ~ N(mu, tau^2), mu ~ N(M, S^2), tau ~ HalfNormal(T); with "
            "--ex-weight, under EXNEX: each cohort exchangeable with that "
            "probability, otherwise on its own prior logit p_j ~ N(--nex-mean, "
            "--nex-sd^2)."
        ),
        example="adaptive-pilot borrow --n 20,20,20,20 --x 2,3,8,9 --p0 0.1",
        handler="run_borrow",
        options=(
            Option("--n", help="evaluable patients per cohort, e.g. 20,20,20,20", required=True),
            Option("--x", help="responses per cohort, e.g. 2,3,8,9", required=True),
            Option("--p0", help="null rate: one value or one per cohort", required=True),
            Option(
                "--mu-mean",
                help=("prior mean of mu (default: the mean of the cohorts' logit p0)"),
                type=NUMBER,
                default=None,
            ),
            Option("--mu-sd", help="prior SD of mu", type=POSITIVE, default=2.0),
            Option("--tau-sd", help="half-normal scale of tau", type=POSITIVE, default=1.0),
            Option(
                "--ex-weight",
                help=(
                    "EXNEX: prior probability that a cohort is exchangeable (one value or "
                    "one per cohort, 0 to 1; default: Berry's model, every cohort "
                    "exchangeable)"
                ),
                default=None,
            ),
            Option(
                "--nex-mean",
                help=(
                    "EXNEX: mean of each cohort's own prior on logit p (one value or one "
                    "per cohort; default: logit of the midway rate between --p0 and --p1; "
                    "write negative values as --nex-mean=-1.4)"
                ),
                default=None,
            ),
            Option(
                "--nex-sd",
                help=("EXNEX: its SD, 0.1 to 5 (default: one patient's worth at the midway rate)"),
                default=None,
            ),
            Option("--p1", help="EXNEX: target rate, for the default NEX prior", default=None),
            Option("--method", help="fast or pymc", choices=("fast", "pymc"), default="fast"),
            Option("--draws", help="PyMC draws per chain", type=Count(1, MAX_DRAWS), default=2000),
            Option("--seed", help="PyMC random seed", type=Count(0), default=1),
            *FORMAT,
        ),
    ),
    Command(
        "simulate",
        summary="Monte Carlo OC of a multi-cohort trial under scenarios",
        description=(
            "Simulate the trial in a design file (cohorts, accrual, borrowing) "
            "under each scenario of a scenario file. Results are identical for any "
            "--n-jobs and backend; with --out, finished chunks are checkpointed and"
            " a rerun resumes."
        ),
        example=(
            "adaptive-pilot simulate designs/motivating_trial.yaml --scenarios "
            "simulations/motivating_trial.yaml --n-trials 2000"
        ),
        handler="run_simulate",
        options=(
            Option("design", help="design file with cohorts and accrual"),
            Option(
                "--scenarios",
                help="scenario file (YAML or TOML); a design with several endpoints defaults "
                "to its own null and alternative scenarios, a time_to_event design uses its own",
                default=None,
            ),
            Option(
                "--imputations",
                help="imputations per predictive probability (time_to_event designs; default: "
                "the design's)",
                type=Count(10, 100000),
                default=None,
            ),
            Option(
                "--n-trials", help="trials per scenario", type=Count(1, MAX_TRIALS), default=10000
            ),
            Option("--seed", help="root random seed", type=Count(0), default=1),
            JOBS,
            Option("--backend", help="joblib backend", choices=("loky", "dask"), default="loky"),
            Option("--scheduler", help="dask scheduler address (backend dask)", default=None),
            ANALYSIS,
            Option("--out", help="folder for checkpoints and results", default=None),
            Option("--chunk-size", hidden=True, type=Count(1, 100000), default=None),
            Option("--no-progress", help="no progress bar or lines", action="store_true"),
            *FORMAT,
        ),
    ),
    Command(
        "interim",
        summary=("DSMB interim call from patient data: a documented decision per cohort"),
        description=(
            "Decide every cohort of a design from patient data at a data cut-off: "
            "continue, stop for futility / efficacy / toxicity, or GO / NO-GO at "
            "the end, with the bound that applied and the reason. Give --data (one "
            "row per patient, CSV or XLSX) or CDISC ADaM --adsl and --adrs (+ "
            "--adae, --adtte), CSV or XPT. Closed data stay on this machine."
        ),
        example=(
            "adaptive-pilot interim designs/motivating_trial.yaml --data "
            "designs/motivating_trial_synthetic_patients.csv --as-of 2026-06-30"
        ),
        handler="run_interim",
        options=(
            Option("design", help="design file (.yaml, .yml or .toml)"),
            Option("--data", help="patients, one row each (.csv or .xlsx)", default=None),
            Option("--adsl", help="ADaM ADSL (.csv or .xpt)", default=None),
            Option("--adrs", help="ADaM ADRS with PARAMCD BOR", default=None),
            Option("--adae", help="ADaM ADAE (toxicity grades)", default=None),
            Option("--adtte", help="ADaM ADTTE (PFS and OS)", default=None),
            Option("--cohort-var", help="ADSL variable that holds the cohort", default="COHORT"),
            Option("--as-of", help="data cut-off YYYY-MM-DD (default: today)", default=None),
            Option("--analyst", help="who makes the call (recorded)", default=None),
            Option("--audit", help="append the call to this audit database", default=None),
            Option(
                "--sign",
                help=(
                    "sign the audit record with this private key (made by 'audit keygen'); "
                    "the call's analyst is the key's"
                ),
                default=None,
                metavar="KEY",
            ),
            Option(
                "--passphrase-file",
                help=(
                    "file whose first line is the signing key's passphrase (otherwise asked"
                    " for on a terminal)"
                ),
                default=None,
            ),
            LOCK,
            Option(
                "--out",
                help=(
                    "new or empty folder for decision.json and the closed and open reports "
                    "(written together with the audit record)"
                ),
                default=None,
            ),
            ANALYSIS,
            Option(
                "--check-pymc",
                help="check the borrowed posterior with PyMC NUTS",
                action="store_true",
            ),
            Option(
                "--pymc-draws",
                help=("NUTS draws per chain for --check-pymc (2 chains; 10,000 take about 15 s)"),
                type=Count(100, 200000),
                default=10000,
            ),
            Option(
                "--level", help="level of the CIs of ended cohorts", type=PROBABILITY, default=0.9
            ),
            Option(
                "--seed",
                help="seed of the predictive probabilities' imputations (time_to_event designs; "
                "recorded)",
                type=Count(0),
                default=None,
            ),
            Option(
                "--format",
                help="output: text, json, md or html (the closed report)",
                choices=("text", "json", "md", "html"),
                default="text",
            ),
            Option(
                "--json",
                help="same as --format json",
                dest="format",
                action="store_const",
                const="json",
            ),
        ),
    ),
    Command(
        "audit",
        summary=("verify or list the audit trail; make an analyst's signing key"),
        description=(
            "The audit trail: 'verify' walks the hash chain (exit 0 intact, 1 "
            "broken, naming the first broken record) and with --keys checks every "
            "record's signature (naming each unsigned or wrongly signed record); "
            "'list' shows the history; 'keygen' makes an analyst's Ed25519 key pair"
            " for 'interim --sign'."
        ),
        example="adaptive-pilot audit verify --audit dsmb-audit.sqlite",
        handler="run_audit",
        options=(
            Option("action", help="what to do", choices=("verify", "list", "keygen")),
            Option("--audit", help="audit database (verify, list)", default=None),
            Option(
                "--head",
                help=("verify: the head hash kept outside the database (64 hexadecimal digits)"),
                default=None,
            ),
            Option(
                "--keys",
                help="verify: folder of the analysts' public keys (.pub files)",
                default=None,
            ),
            Option("--analyst", help="keygen: the key owner's name", default=None),
            Option("--out", help="keygen: folder for NAME.key (private) and NAME.pub", default="."),
            Option(
                "--passphrase-file",
                help=(
                    "keygen: protect the private key with the passphrase in this file's "
                    "first line (on a terminal, asked for when not given)"
                ),
                default=None,
            ),
            LOCK,
            Option("--json", help="list: JSON output", action="store_true"),
        ),
    ),
    Command(
        "app",
        summary=("the local web app: design, simulate, interim call and audit pages"),
        description=(
            "Start the web app (Shiny for Python; needs the 'app' extra) on this "
            "machine. It binds 127.0.0.1 by default; another host needs an access "
            "token (--token-file or the ADAPTIVE_PILOT_TOKEN environment variable),"
            " asked for on a sign-in page."
        ),
        example="adaptive-pilot app --port 8000",
        handler="run_app",
        options=(
            Option("--host", help="address to bind", default="127.0.0.1"),
            Option("--port", help="port", type=Count(1, 65535), default=8000),
            Option("--audit", help="audit database the interim calls go to", default=None),
            Option(
                "--max-upload-mb",
                help="largest file accepted from the browser, in MB",
                type=POSITIVE,
                default=10.0,
            ),
            Option("--token-file", help="file whose first line is the token", default=None),
            Option(
                "--allowed-host",
                help=(
                    "another host name the app answers to, e.g. a reverse proxy's public "
                    "name (repeat for several); requests naming any other host, and pages "
                    "from other sites, get 403"
                ),
                action="append",
                default=[],
                metavar="NAME[:PORT]",
            ),
        ),
    ),
    Command(
        "validate",
        summary="rerun every third-party reference number and cross-check; a signable report",
        description=(
            "Validate this installation: check its files against the hashes pip recorded, "
            "rerun every reference number the test suite "
            "reproduces (papers and R packages: clinfun, desmon, ph2bayes, phase1b, RBesT, "
            "SAMprior, BOP2FE, bhmbasket, bmabasket, goldilocks; shipped with the package "
            "with their source, the call that produced them and their tolerance) and the "
            "cross-checks (the simulator against exact OC, quadrature against PyMC's NUTS). "
            "Prints the verdict and a table of the checks; with --out, writes a dated report "
            "with the platform, the versions, every check and a sign-off table. Exit status 1 "
            "when any check fails."
        ),
        example="adaptive-pilot validate --out validation --format html,docx,json",
        handler="run_validate",
        options=(
            Option("--out", help="folder to write the report into", default=None),
            Option(
                "--format",
                help="comma-separated report formats: html, docx, json, md, csv, tex",
                default="html,docx,json",
            ),
            Option(
                "--quick",
                help="only the quick subset (a few seconds): the fast reference sets and the "
                "simulator cross-check",
                action="store_true",
            ),
            Option(
                "--only",
                help="only these reference sets or cross-checks (see --list)",
                nargs="+",
                default=None,
                metavar="ID",
            ),
            Option(
                "--list",
                help="list the reference sets and cross-checks; run nothing",
                action="store_true",
            ),
            Option("--no-progress", help="no progress lines", action="store_true"),
        ),
    ),
    Command(
        "schema",
        summary="JSON Schema of design files (for editors)",
        description="Print the JSON Schema of design files.",
        example="adaptive-pilot schema",
        handler="run_schema",
        options=(),
    ),
    Command(
        "demo",
        summary=("the motivating trial: Simon and Bayesian designs, exact OC, a short simulation"),
        description=(
            "Design the motivating trial (shipped with the package) and print the "
            "exact OC of its designs side by side, then simulate its KRAS-subtype "
            "cohorts. Runs from any folder."
        ),
        example="adaptive-pilot demo --n-trials 2000",
        handler="run_demo",
        options=(
            Option("design", help="design file (default: shipped)", nargs="?", default=None),
            Option("--scenarios", help="scenario file (default: shipped)", default=None),
            Option(
                "--n-trials",
                help="simulated trials per scenario",
                type=Count(1, MAX_TRIALS),
                default=10000,
            ),
        ),
    ),
)
