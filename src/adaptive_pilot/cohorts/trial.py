"""A multi-cohort trial: cohorts, accrual and the borrowing model, resolved from a design file.

Conventions (stated in every simulation report):

* Patients arrive as a Poisson process at ``rate`` patients per month. With
  ``allocation: prevalence`` each arrival belongs to cohort j with probability
  equal to its prevalence (so cohort j's arrivals are a Poisson process at rate
  ``prevalence_j x rate``); with ``allocation: fixed`` arrivals are dealt to the
  cohorts in a fixed repeating pattern in proportion to the allocation weights.
  An arrival for a cohort that is stopped or full is not enrolled.
* A patient's response is known ``assessment_delay`` months after enrolment.
  A look at n evaluable patients happens when the n-th patient's response is
  known; patients enrolled meanwhile (still pending) are not counted in that
  decision but are enrolled (over-run). A stopped cohort enrols no one else.
* Enrolment closes at ``max_duration`` months. A cohort that has not reached its
  final look by then ends "incomplete": by default (``incomplete: analyse``) it is
  analysed once the outcomes of everyone it enrolled are known, by its rule's final
  GO criterion at the n it reached (``Cohort.reached_go``; with borrowing, by the GO
  threshold on P(p_j > p0_j | all data) at that time); with ``incomplete: no_go`` it
  is NO-GO.
* Toxicity is monitored per cohort with its Beta-Binomial rule at its own looks
  (also counted in evaluable patients); a toxicity stop takes precedence over a
  response decision made at the same number of evaluable patients.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .._limits import BORROWING_TRIAL_N_LIMIT
from ..boundary_table import BoundaryTable
from ..errors import InputError
from ..provenance import design_hash
from ..rules.toxicity import ToxicityRule
from .borrowing import BerryBorrowing, Borrowing
from .exnex import ExnexModel
from .hierarchical import HierarchicalModel
from .prior import HierarchicalPrior
from .tables import PosteriorTables

if TYPE_CHECKING:
    from ..designs.design import Design

__all__ = ["Accrual", "Cohort", "HierarchicalBorrowing", "TrialDesign", "posterior_tables"]


@dataclass(frozen=True)
class Cohort:
    """One cohort: its name, share of accrual, boundary table, p0 and toxicity rule.

    ``reached_go[n]`` (n = 0, ..., N - 1) is the least number of responses that is
    GO when the cohort is analysed at n evaluable patients because enrolment closed
    before its final look (n + 1: never). Empty: GO only when the final look's GO is
    already certain (x >= the final efficacy bound), the rule a Simon design implies.
    """

    name: str
    share: float
    table: BoundaryTable
    p0: float
    toxicity: ToxicityRule | None = None
    reached_go: tuple[int, ...] = ()
    odds_ratio: float = 1.0  # response-toxicity odds ratio scenarios default to
    #: the cohort's whole design when it came from one (:meth:`of`); the fields above
    #: are what the simulator reads of it
    design: Design | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.reached_go and len(self.reached_go) != self.n_max:
            raise ValueError("reached_go needs one bound per n = 0, ..., N - 1")

    @classmethod
    def of(cls, design: Design, name: str, share: float) -> Cohort:
        """The cohort that runs ``design`` with ``share`` of the accrual."""
        return cls(
            name=name,
            share=share,
            table=design.table,
            p0=design.p0,
            toxicity=design.toxicity,
            reached_go=design.reached_go,
            odds_ratio=design.odds_ratio,
            design=design,
        )

    @property
    def n_max(self) -> int:
        """Maximum number of patients."""
        return self.table.n_max

    def reached_go_bounds(self) -> np.ndarray:
        """``reached_go`` as an array of N + 1 bounds (the last, at N, the final look's)."""
        final = self.table.efficacy[-1]
        if self.reached_go:
            return np.array((*self.reached_go, final), dtype=np.int64)
        return np.full(self.n_max + 1, final, dtype=np.int64)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description."""
        return {
            "name": self.name,
            "share": self.share,
            "p0": self.p0,
            "boundaries": self.table.to_dict(),
            "toxicity": None if self.toxicity is None else self.toxicity.to_dict(),
            "reached_go": list(self.reached_go_bounds()[:-1].tolist()),
        }


@dataclass(frozen=True)
class Accrual:
    """Overall accrual rate (patients/month), allocation, assessment delay, maximum duration.

    ``incomplete``: what happens to a cohort short of its final look when enrolment
    closes at ``max_duration``: ``"analyse"`` (at the n it reached) or ``"no_go"``.
    """

    rate: float
    allocation: str = "prevalence"
    assessment_delay: float = 0.0
    max_duration: float | None = None
    incomplete: str = "analyse"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.rate) and self.rate > 0):
            raise InputError("accrual.rate", f"must be a positive number (got {self.rate})")
        if self.allocation not in ("prevalence", "fixed"):
            raise InputError("accrual.allocation", "must be 'prevalence' or 'fixed'")
        if not self.assessment_delay >= 0:
            raise InputError("accrual.assessment_delay", "must be >= 0")
        if self.max_duration is not None and not self.max_duration > 0:
            raise InputError("accrual.max_duration", "must be positive")
        if self.incomplete not in ("analyse", "no_go"):
            raise InputError("accrual.incomplete", "must be 'analyse' or 'no_go'")


@dataclass(frozen=True)
class HierarchicalBorrowing:
    """Decisions on P(p_j > p0_j | all cohorts' data) under the hierarchical model.

    ``futility[k]`` / ``efficacy[k]`` are the thresholds at interim look k (NaN: no
    stop); ``go`` is the final-look GO threshold, one for all cohorts or one per
    cohort (in the trial's cohort order). ``timing``: ``"per_cohort"``, each cohort
    analysed when its own n_k-th outcome is known, on whatever the other cohorts
    have then; ``"joint"``, look k of every running cohort at once, when the
    slowest of them has its n_k-th outcome (as bhmbasket does), or at the calendar
    months ``joint_months`` for the interim looks (as in Berry et al. 2013).
    ``model``: which posterior (:class:`~adaptive_pilot.cohorts.borrowing.BerryBorrowing`
    or :class:`~adaptive_pilot.cohorts.borrowing.ExnexBorrowing`).

    ``nogo`` (optional; one number or one per cohort, at most the GO threshold): Go /
    Consider / No-Go at the final analysis, NO-GO if P(p_j > p0_j | all data) < nogo,
    GO if it is at least ``go``, CONSIDER between. Without it every final outcome
    that is not GO is NO-GO.
    """

    model: Borrowing
    futility: tuple[float, ...]
    efficacy: tuple[float, ...]
    go: float | tuple[float, ...]
    timing: str = "per_cohort"
    joint_months: tuple[float, ...] | None = None
    nogo: float | tuple[float, ...] | None = None

    @property
    def name(self) -> str:
        """The model's name: ``"hierarchical"`` (Berry) or ``"exnex"``."""
        return self.model.name

    @property
    def prior(self) -> HierarchicalPrior:
        """The exchangeable hierarchy's priors of (mu, tau)."""
        return self.model.prior

    def describe(self) -> str:
        """The model in words, for reports and summaries."""
        return self.model.describe()

    def __post_init__(self) -> None:
        if isinstance(self.model, HierarchicalPrior):  # the 0.1 signature: a prior first
            warnings.warn(
                "HierarchicalBorrowing(prior, ...) is deprecated since adaptive_pilot 0.2.0 and "
                "will be removed in 0.3.0; pass a model: BerryBorrowing(prior) or "
                "ExnexBorrowing(prior, nex)",
                DeprecationWarning,
                stacklevel=3,
            )
            object.__setattr__(self, "model", BerryBorrowing(self.model))
        if self.timing not in ("per_cohort", "joint"):
            raise InputError("borrowing.analysis_timing", "must be 'per_cohort' or 'joint'")
        if self.nogo is not None:
            nogo = np.atleast_1d(np.asarray(self.nogo, dtype=float))
            go = np.atleast_1d(np.asarray(self.go, dtype=float))
            if nogo.size > 1 and go.size > 1 and nogo.size != go.size:
                raise InputError("borrowing.nogo", "needs one threshold per cohort, as go has")
            if np.any(nogo > go):
                raise InputError(
                    "borrowing.nogo",
                    f"must be at most the GO threshold (got nogo {self.nogo} and go {self.go}): "
                    "NO-GO below nogo, GO from go on, CONSIDER between",
                )
        if self.joint_months is not None:
            if self.timing != "joint":
                raise InputError("borrowing.joint_looks", "needs analysis_timing: joint")
            months = self.joint_months
            if (
                len(months) != len(self.futility)
                or any(not b > a for a, b in itertools.pairwise(months))
                or not months[0] > 0
            ):
                raise InputError(
                    "borrowing.joint_looks.months",
                    f"needs one increasing positive month per interim look ({len(self.futility)})",
                )

    def go_thresholds(self, n_cohorts: int) -> np.ndarray:
        """The GO threshold of each of ``n_cohorts`` cohorts."""
        if isinstance(self.go, tuple):
            if len(self.go) != n_cohorts:
                raise ValueError("one GO threshold per cohort is needed")
            return np.asarray(self.go, dtype=float)
        return np.full(n_cohorts, float(self.go))

    def stops(
        self,
        prob: np.ndarray,
        final: np.ndarray,
        look: np.ndarray,
        cohort: np.ndarray | int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(futility or NO-GO, efficacy or GO) from P(p_j > p0_j | all data).

        The one comparison the simulator and the interim call both make: at
        interim look ``look`` (0-based) stop for futility if prob < futility[look]
        and for efficacy if prob >= efficacy[look] (NaN: no such stop); at the
        final analysis GO if prob >= the cohort's GO threshold, NO-GO otherwise.
        ``cohort`` (index per element) is needed when the GO threshold is per
        cohort. With ``nogo``, the final futility (NO-GO) is prob < nogo, and
        neither holds between (CONSIDER). Vectorised.
        """
        prob = np.asarray(prob)
        final = np.asarray(final, dtype=bool)
        go = self._per_cohort(self.go, cohort)
        nogo = go if self.nogo is None else self._per_cohort(self.nogo, cohort)
        k = np.clip(np.asarray(look), 0, max(len(self.futility) - 1, 0))
        fut_cut = np.asarray((*self.futility, math.nan))[np.where(final, -1, k)]
        eff_cut = np.asarray((*self.efficacy, math.nan))[np.where(final, -1, k)]
        with np.errstate(invalid="ignore"):
            futility = np.where(final, prob < nogo, prob < fut_cut)  # NaN compares False
            efficacy = np.where(final, prob >= go, prob >= eff_cut)
        return futility, efficacy

    @staticmethod
    def _per_cohort(
        value: float | tuple[float, ...], cohort: np.ndarray | int | None
    ) -> np.ndarray:
        """A threshold for each probability: one for all, or the cohort's own."""
        if isinstance(value, tuple):
            if cohort is None:
                raise ValueError("per-cohort thresholds need the cohort of each probability")
            return np.asarray(value, dtype=float)[np.asarray(cohort)]
        return np.asarray(float(value))

    @property
    def three_outcomes(self) -> bool:
        """Whether the final analysis has a CONSIDER zone (a ``nogo`` threshold)."""
        return self.nogo is not None

    def analysis_model(self, p0s: Sequence[float]) -> HierarchicalModel | ExnexModel:
        """The model for one dataset's posterior summaries and its PyMC fit."""
        return self.model.posterior_model(p0s)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description."""

        def clean(values: tuple[float, ...]) -> list[float | None]:
            return [None if math.isnan(v) else v for v in values]

        return {
            **self.model.to_dict(),
            "futility": clean(self.futility),
            "efficacy": clean(self.efficacy),
            "go": list(self.go) if isinstance(self.go, tuple) else self.go,
            "analysis_timing": self.timing,
            "joint_months": None if self.joint_months is None else list(self.joint_months),
        } | (
            {}
            if self.nogo is None
            else {"nogo": list(self.nogo) if isinstance(self.nogo, tuple) else self.nogo}
        )


@dataclass(frozen=True)
class TrialDesign:
    """A multi-cohort trial ready to simulate.

    ``plan_hash``: the hash of the design file it was resolved from (its
    :meth:`design_hash`); "" for a trial built in code, identified by its content.
    """

    name: str
    cohorts: tuple[Cohort, ...]
    accrual: Accrual
    borrowing: HierarchicalBorrowing | None = None
    plan_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        cut_short = self.accrual.max_duration is not None and self.accrual.incomplete == "analyse"
        three = [j for j in range(len(self.cohorts)) if self.decides_consider(j)]
        if cut_short and three:
            raise InputError(
                "accrual.incomplete",
                f"cohort {self.cohorts[three[0]].name} decides Go / Consider / No-Go, and a "
                "cohort cut short by max_duration is analysed at the n it reached with the "
                "GO bound only (never CONSIDER): set accrual.incomplete: no_go",
            )
        if self.borrowing is None:
            return
        for i, cohort in enumerate(self.cohorts):
            if cohort.n_max > BORROWING_TRIAL_N_LIMIT:
                raise InputError(
                    f"cohorts[{i}].max_size",
                    f"with borrowing, a cohort has at most {BORROWING_TRIAL_N_LIMIT} patients "
                    f"(got {cohort.n_max} for {cohort.name}): the simulator's posterior tables "
                    f"grow as N squared (5 GB per worker at {BORROWING_TRIAL_N_LIMIT})",
                )

    @property
    def cohort_names(self) -> tuple[str, ...]:
        """Cohort names in design order."""
        return tuple(c.name for c in self.cohorts)

    def decides_consider(self, j: int) -> bool:
        """Whether cohort j can end in CONSIDER: its own Go / Consider / No-Go table, or
        with borrowing a final NO-GO threshold below the GO one."""
        if self.borrowing is not None:
            return self.borrowing.three_outcomes
        return self.cohorts[j].table.three_outcomes

    @property
    def analysis_label(self) -> str:
        """``"independent"``, ``"hierarchical borrowing"`` or ``"EXNEX borrowing"``."""
        if self.borrowing is None:
            return "independent"
        return self.borrowing.model.label

    def null_cohorts(self, response: Sequence[float] | np.ndarray) -> np.ndarray:
        """Which cohorts are null at these true response rates: rate at most the cohort's p0.

        The one definition behind every "false GO" (FWER, the worst false GO, the
        borrowing calibration's nulls).
        """
        rates = np.asarray(response, dtype=float)
        return rates <= np.array([c.p0 for c in self.cohorts])

    @property
    def monitors_toxicity(self) -> bool:
        """Whether any cohort has a toxicity rule."""
        return any(c.toxicity is not None for c in self.cohorts)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description of everything that determines the simulation."""
        return {
            "name": self.name,
            "cohorts": [c.to_dict() for c in self.cohorts],
            "accrual": {
                "rate": self.accrual.rate,
                "allocation": self.accrual.allocation,
                "assessment_delay": self.accrual.assessment_delay,
                "max_duration": self.accrual.max_duration,
                "incomplete": self.accrual.incomplete,
            },
            "borrowing": (
                {"model": "independent"} if self.borrowing is None else self.borrowing.to_dict()
            ),
        }

    def design_hash(self) -> str:
        """The design hash: the design file's, or of :meth:`to_dict` for a trial built in code."""
        return self.plan_hash or self.content_hash()

    def content_hash(self) -> str:
        """Hash of :meth:`to_dict`: what the simulation computes with (checkpoints, caches)."""
        return design_hash(self.to_dict())

    def with_independent_analysis(self) -> TrialDesign:
        """The same trial with each cohort analysed on its own boundary table."""
        return TrialDesign(self.name, self.cohorts, self.accrual, None, self.plan_hash)


def posterior_tables(trial: TrialDesign, only_n: Sequence[int] | None = None) -> PosteriorTables:
    """Float32 tables of the trial's hierarchical model: what the simulator and the interim
    call both decide on (built once per process by the simulator, shared by its chunks).

    ``only_n``: just the rows of these sample sizes (an interim call), which
    may exceed the cohorts' N (an over-run); each row is the same number.
    """
    if trial.borrowing is None:
        raise ValueError("the trial has no hierarchical borrowing")
    p0s = tuple(c.p0 for c in trial.cohorts)
    n_max = max([c.n_max for c in trial.cohorts] + list(only_n or []))
    return trial.borrowing.model.tables(p0s, n_max, only_n)
