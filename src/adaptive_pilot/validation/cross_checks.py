"""Cross-checks: the package's exact and fast computations against independent ones run now.

No stored numbers here: both sides are computed on the user's installation.

* the Monte Carlo simulator against the exact OC (the motivating trial's cohorts, with
  toxicity monitoring; Berry's model analysed jointly against an exact enumeration);
* the fast posteriors of hierarchical borrowing (Berry's model, EXNEX) against PyMC's NUTS.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .catalogue import Expected, Tolerance
from .compare import Check, compare
from .computations import Figure
from .installation import describe_installation, installed_files

__all__ = ["CROSS_CHECKS", "CrossCheck"]

#: The fixed seeds of the cross-checks (each states its own in its description).
SIMULATOR_SEED, JOINT_SEED, NUTS_SEED = 20261207, 8, 3
#: NUTS draws per chain (2 chains, after 1,000 tuning steps)
NUTS_DRAWS = 4000


@dataclass(frozen=True)
class CrossCheck:
    """One cross-check: what is compared with what, and the function that does it."""

    id: str
    title: str
    method: str
    quick: bool
    run: Callable[[], list[Check]]
    seed: int | None = None
    kind: str = "cross-check"
    source: str = "independent computation on this installation"


def _simulator_vs_exact_oc() -> list[Check]:
    """The shipped motivating trial's four cohorts simulated (independent analysis, no
    accrual limits, so each cohort follows the exact recursion) against the exact joint
    OC of efficacy and toxicity monitoring."""
    from ..demo import example_path
    from ..oc.joint import joint_oc
    from ..simulation.runner import simulate
    from ..simulation.scenarios import Scenario
    from ..spec import load_design

    trial = load_design(example_path("designs/motivating_trial.yaml")).trial("independent")
    trial = type(trial)(trial.name, trial.cohorts, type(trial.accrual)(6.0), None)
    j = len(trial.cohorts)
    settings = {"null": (0.05, 0.15), "target": (0.20, 0.15), "toxic": (0.20, 0.40)}
    scenarios = [Scenario(name, np.full(j, r), np.full(j, t)) for name, (r, t) in settings.items()]
    n_trials = 100_000
    result = simulate(trial, scenarios, n_trials, seed=SIMULATOR_SEED, progress=False)
    tol = Tolerance(mcse=4, why="4 Monte Carlo standard errors of the simulation")
    rows: list[Check] = []
    for name, (r, t) in settings.items():
        for cohort in trial.cohorts:
            assert cohort.toxicity is not None  # the motivating trial monitors toxicity
            exact = joint_oc(cohort.table, cohort.toxicity, [r], [t])
            for metric, value in (
                ("p_go", exact.p_go[0]),
                ("p_early_futility", exact.p_early_futility[0]),
                ("p_stop_toxicity", exact.p_stop_toxicity[0]),
                ("en", exact.en[0]),
            ):
                estimate, mcse = _estimate(result, name, cohort.name, metric)
                rows += compare(
                    "simulator_vs_exact_oc",
                    f"{cohort.name}, ORR {r}, toxicity {t}",
                    metric,
                    Expected(float(value)),
                    Figure(float(estimate), se=float(mcse)),
                    tol,
                )
    return rows


def _estimate(result: Any, scenario: str, cohort: str, metric: str) -> tuple[float, float]:
    """(estimate, MCSE) of one metric of a simulation's tidy frame."""
    frame = result.frame
    row = frame[(frame.scenario == scenario) & (frame.cohort == cohort) & (frame.metric == metric)]
    return float(row.estimate.iloc[0]), float(row.mcse.iloc[0])


def _joint_borrowing_vs_enumeration() -> list[Check]:
    """Berry's hierarchical model analysed jointly at 20 patients per cohort (the shipped
    4 x 20 basket): P(GO) of each cohort simulated, against the exact sum over all 21^4
    outcomes of the posterior decisions."""
    from scipy import stats

    from ..cohorts.trial import posterior_tables
    from ..demo import example_path
    from ..simulation.runner import simulate
    from ..simulation.scenarios import Scenario
    from ..spec import load_design

    trial = load_design(example_path("designs/basket_4x20.yaml")).trial()
    rates = np.array([0.1, 0.1, 0.3, 0.3])
    tables = posterior_tables(trial)
    grid = np.stack(np.meshgrid(*[np.arange(21)] * 4, indexing="ij"), axis=-1).reshape(-1, 4)
    weight = np.prod(stats.binom.pmf(grid, 20, rates), axis=1)
    base = 21 ** np.arange(3, -1, -1)

    def canonical(j: int) -> np.ndarray:  # (x_j, the others sorted): the prior is exchangeable
        return np.column_stack([grid[:, j], np.sort(np.delete(grid, j, axis=1), axis=1)])

    unique = np.unique(canonical(0), axis=0)
    q = tables.prob_greater(np.full(unique.shape, 20), unique, np.zeros(len(unique), int))
    keys = unique @ base
    order = np.argsort(keys)
    go = trial.borrowing.go  # type: ignore[union-attr]
    thresholds = np.broadcast_to(np.asarray(go, float), len(trial.cohorts))
    result = simulate(trial, [Scenario("s", rates, None)], 20_000, seed=JOINT_SEED, progress=False)
    tol = Tolerance(mcse=4, why="4 Monte Carlo standard errors of the simulation")
    rows: list[Check] = []
    for j, cohort in enumerate(trial.cohorts):
        at = order[np.searchsorted(keys[order], canonical(j) @ base)]
        exact = float(weight @ (q[at] >= thresholds[j]))
        estimate, mcse = _estimate(result, "s", cohort.name, "p_go")
        rows += compare(
            "joint_borrowing_vs_enumeration",
            f"{cohort.name}, ORR {rates[j]} (others {', '.join(map(str, np.delete(rates, j)))})",
            "p_go",
            Expected(exact),
            Figure(float(estimate), se=float(mcse)),
            tol,
        )
    return rows


Dataset = tuple[list[int], list[int], float | list[float]]


def _quadrature_vs_nuts() -> list[Check]:
    """Berry's hierarchical posterior by the package's quadrature against PyMC's NUTS."""
    from ..cohorts.hierarchical import HierarchicalModel, HierarchicalPrior

    logit = [math.log(p / (1 - p)) for p in (0.1, 0.15, 0.2, 0.3)]
    model = HierarchicalModel(HierarchicalPrior(mu_mean=logit[2], mu_sd=2.0, tau_sd=1.0), logit)
    datasets: list[Dataset] = [
        ([20, 20, 20, 20], [2, 3, 8, 9], 0.2),
        ([10, 15, 25, 12], [0, 6, 5, 4], 0.2),
        ([30, 30, 30], [3, 4, 20], [0.1, 0.15, 0.3]),
    ]
    return _against_nuts("quadrature_vs_nuts", model, datasets)


def _exnex_quadrature_vs_nuts() -> list[Check]:
    """The EXNEX posterior (a sum over the cohorts' EX/NEX assignments of quadratures)
    against PyMC's NUTS on the mixture model."""
    from ..cohorts.exnex import ExnexModel, ExnexPrior
    from ..cohorts.hierarchical import NonExchangeable
    from ..cohorts.prior import hierarchical_prior

    p0 = [0.1, 0.1, 0.2]
    nex = NonExchangeable((0.5, 0.3, 0.8), (-1.5, -1.5, -1.0), (2.0, 2.0, 2.0))
    prior = ExnexPrior.single(hierarchical_prior(p0), nex)
    model = ExnexModel(prior, [math.log(p / (1 - p)) for p in p0])
    return _against_nuts("exnex_quadrature_vs_nuts", model, [([20, 20, 20], [1, 2, 9], p0)])


def _against_nuts(check_id: str, model: Any, datasets: list[Dataset]) -> list[Check]:
    """P(p_j > p0_j), posterior means and 90% credible limits of the fast posterior against
    NUTS, each within 4 of its Monte Carlo standard errors (by NUTS' bulk ESS) + 0.001;
    NUTS converged (R-hat below 1.02, no divergent transition)."""
    import pymc  # noqa: F401 - imported before its loggers are quietened (it sets their level)
    from scipy import stats

    tol = Tolerance(mcse=4, absolute=1e-3, why="4 Monte Carlo standard errors of NUTS (bulk ESS)")
    z = float(stats.norm.ppf(0.95))
    quantile_factor = math.sqrt(0.05 * 0.95) / float(stats.norm.pdf(z))
    rows: list[Check] = []
    for n, x, p0 in datasets:
        fast = model.posterior(n, x, p0, level=0.90)
        with warnings.catch_warnings(), _Quiet("pymc", "pytensor", "arviz"):
            warnings.simplefilter("ignore")
            nuts = model.pymc_posterior(
                n, x, p0, draws=NUTS_DRAWS, tune=1000, chains=2, seed=NUTS_SEED, level=0.90
            )
        ess = float(nuts.diagnostics["min_ess_bulk"])
        sd = (nuts.credible_high - nuts.credible_low) / (2 * z)  # the posterior SD, about
        case = f"n {n}, x {x}"
        for j in range(len(n)):
            p = float(np.clip(nuts.prob_gt_p0[j], 1e-3, 1 - 1e-3))
            for name, se in (
                ("prob_gt_p0", math.sqrt(p * (1 - p) / ess)),
                ("posterior_mean", float(sd[j]) / math.sqrt(ess)),
                ("credible_low", quantile_factor * float(sd[j]) / math.sqrt(ess)),
                ("credible_high", quantile_factor * float(sd[j]) / math.sqrt(ess)),
            ):
                rows += compare(
                    check_id, case, f"{name}[{j + 1}]",
                    Expected(float(getattr(nuts, name)[j]), se=se),
                    float(getattr(fast, name)[j]), tol,
                )  # fmt: skip
        rows += compare(
            check_id, case, "max_r_hat", Expected(1.0), float(nuts.diagnostics["max_r_hat"]),
            Tolerance(absolute=0.02, why="NUTS converged: R-hat below 1.02"),
        )  # fmt: skip
        rows += compare(
            check_id, case, "divergences", Expected(0), int(nuts.diagnostics["divergences"]),
            Tolerance(why="no divergent transition"),
        )  # fmt: skip
    return rows


class _Quiet:
    """Silence the loggers of the MCMC stack for the duration of a block."""

    def __init__(self, *names: str) -> None:
        self.loggers = [logging.getLogger(n) for n in names]
        self.levels = [lg.level for lg in self.loggers]

    def __enter__(self) -> None:
        for lg in self.loggers:
            lg.setLevel(logging.ERROR)

    def __exit__(self, *exc: object) -> None:
        for lg, level in zip(self.loggers, self.levels, strict=True):
            lg.setLevel(level)


CROSS_CHECKS: tuple[CrossCheck, ...] = (
    CrossCheck(
        "installed_files",
        "The installed files are the files the installer recorded",
        describe_installation(),
        True,
        installed_files,
        kind="installation",
        source="the installer's RECORD file (pip)",
    ),
    CrossCheck(
        "simulator_vs_exact_oc",
        "Monte Carlo simulator against exact OC (efficacy and toxicity monitoring)",
        "The shipped motivating trial's four cohorts, independent analysis, simulated "
        f"(100,000 trials per scenario, seed {SIMULATOR_SEED}) against the exact joint OC of each "
        "cohort's boundary table and toxicity rule: P(GO), P(early futility), P(toxicity "
        "stop) and E[N], within 4 MCSE.",
        True,
        _simulator_vs_exact_oc,
        SIMULATOR_SEED,
    ),
    CrossCheck(
        "joint_borrowing_vs_enumeration",
        "Simulator with hierarchical borrowing against exact enumeration",
        "The shipped 4 x 20 basket (Berry's model, one joint analysis at 20 patients per "
        f"cohort), 20,000 simulated trials (seed {JOINT_SEED}) against the exact sum of the "
        "posterior decisions over all 21^4 outcomes, within 4 MCSE.",
        False,
        _joint_borrowing_vs_enumeration,
        JOINT_SEED,
    ),
    CrossCheck(
        "quadrature_vs_nuts",
        "Hierarchical posterior: quadrature against PyMC's NUTS",
        "Berry's model (mu ~ N(logit 0.2, 2^2), tau ~ HalfNormal(1)) on three datasets: the "
        f"package's quadrature against NUTS (PyMC, 2 chains x {NUTS_DRAWS:,} draws after 1,000 "
        f"tuning steps, seed {NUTS_SEED}): P(p_j > p0_j), posterior means and 90% credible "
        "limits within 4 MCSE (by NUTS' bulk ESS; a quantile's by its normal approximation) "
        "+ 0.001; R-hat below 1.02 and no divergent transition.",
        False,
        _quadrature_vs_nuts,
        NUTS_SEED,
    ),
    CrossCheck(
        "exnex_quadrature_vs_nuts",
        "EXNEX posterior: sum over assignments against PyMC's NUTS",
        "EXNEX with one EX component (mu ~ N(mean logit p0, 2^2), tau ~ HalfNormal(1)), EX "
        "weights 0.5, 0.3, 0.8 and NEX N(-1.5, 2^2), N(-1.5, 2^2), N(-1, 2^2), three cohorts "
        "(1, 2, 9 of 20; p0 0.1, 0.1, 0.2): the package's exact sum over the EX/NEX "
        f"assignments against NUTS on the mixture model (2 chains x {NUTS_DRAWS:,} draws, seed "
        f"{NUTS_SEED}), with the tolerances of the cross-check above.",
        False,
        _exnex_quadrature_vs_nuts,
        NUTS_SEED,
    ),
)
