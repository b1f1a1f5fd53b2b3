"""Resolution: a validated design file turned into designs, calibrations and trials.

This is the one step from the file format to the engine's objects; nothing
outside :mod:`adaptive_pilot.spec` knows the file format.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from ..boundary_table import BoundaryTable
from ..cohorts.exnex import default_nex
from ..cohorts.hierarchical import NonExchangeable, hierarchical_prior
from ..cohorts.trial import Accrual, Cohort, HierarchicalBorrowing, TrialDesign
from ..designs.bayesian import BayesianDesign
from ..designs.calibration import CalibrationResult, calibrate_bop2, calibrate_predictive
from ..designs.evaluation import DesignEvaluation, evaluate_design
from ..designs.looks import look_schedule
from ..designs.simon import simon_designs
from ..errors import InputError
from ..interim.plan import CohortPlan, InterimPlan
from ..priors import BetaPrior
from ..provenance import design_hash
from ..rules.bop2 import BOP2Rule
from ..rules.compile import final_go
from ..rules.posterior import PosteriorRule
from ..rules.predictive import PredictiveRule
from ..rules.toxicity import ToxicityRule
from ..rules.versus_standard import PosteriorVsStandardRule
from .reading import one_line, read_validated

if TYPE_CHECKING:
    from ..simulation.calibration import BorrowingCalibration
from .schema import (
    BOP2RuleSpec,
    CohortSpec,
    DesignSpec,
    ExnexSpec,
    LooksSpec,
    PosteriorRuleSpec,
    PosteriorVsStandardRuleSpec,
    PredictiveRuleSpec,
    SimonRuleSpec,
    grid_values,
)

__all__ = ["ResolvedDesign", "load_design"]


def load_design(path: str | Path) -> ResolvedDesign:
    """Read, validate and resolve a YAML (.yaml/.yml) or TOML (.toml) design file.

    Raises
    ------
    InputError
        One line, naming the file, the line (YAML) and the key at fault.
    """
    path = Path(path)
    spec, data, root = read_validated(path, "design file", DesignSpec)
    return ResolvedDesign(spec, source=str(path), yaml_root=root, data=data)


def design_from_document(data: dict[str, Any], source: str = "design") -> ResolvedDesign:
    """Validate and resolve a design given as a document (the parsed content of a file).

    ``source`` names it in error messages. The result has no file behind it.

    Raises
    ------
    InputError
        One line naming the key at fault.
    """
    try:
        spec = DesignSpec.model_validate(data)
    except ValidationError as error:
        raise one_line(error, source, None, DesignSpec) from None
    return ResolvedDesign(spec, data=data)


class ResolvedDesign:
    """A validated design file turned into objects the engine uses."""

    def __init__(
        self,
        spec: DesignSpec,
        source: str = "",
        yaml_root: Any = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        self.spec = spec
        self.source = source
        self.prior = spec.prior.build()
        self._yaml_root = yaml_root
        self.data = data if data is not None else spec.model_dump(by_alias=True, exclude_unset=True)

    def cohort_designs(self) -> list[tuple[CohortSpec, ResolvedDesign]]:
        """Each cohort with its own resolved single-cohort design.

        Without a ``cohorts`` section the design is one cohort named after the design.
        """
        if not self.spec.cohorts:
            alone = CohortSpec(name=self.spec.name, prevalence=1.0, allocation=1.0)
            return [(alone, self)]
        base = self.spec.model_dump(
            by_alias=True, exclude_unset=True, exclude={"cohorts", "accrual", "borrowing"}
        )
        out = []
        for i, cohort in enumerate(self.spec.cohorts):
            merged = _deep_merge(base, cohort.design or {})
            if cohort.max_size is not None:
                merged["n_max"] = cohort.max_size
            merged["name"] = cohort.name
            try:
                spec = DesignSpec.model_validate(merged)
            except ValidationError as error:
                raise one_line(
                    error,
                    self.source or "design",
                    self._yaml_root,
                    DesignSpec,
                    ("cohorts", i, "design"),
                ) from None
            out.append((cohort, ResolvedDesign(spec, f"{self.source}: cohorts[{i}] {cohort.name}")))
        return out

    @property
    def rule_type(self) -> str:
        """``simon``, ``posterior``, ``posterior_vs_standard``, ``predictive`` or ``bop2``."""
        return self.spec.rule.type

    def _field(self, name: str) -> str:
        return f"{self.source}: {name}" if self.source else name

    def looks(self, n_max: int) -> tuple[int, ...]:
        """The look schedule resolved against N."""
        looks = self.spec.looks
        if looks is None:
            return (n_max,)
        if isinstance(looks, LooksSpec):
            return look_schedule(n_max, every=looks.every, first=looks.first)
        return look_schedule(n_max, looks=looks)

    def n_max(self) -> int:
        """Maximum sample size: n_max, or the last explicit look."""
        if self.spec.n_max is not None:
            return self.spec.n_max
        if isinstance(self.spec.looks, list) and self.spec.looks:
            return self.spec.looks[-1]
        raise InputError(self._field("n_max"), "is required (or give an explicit list of looks)")

    def boundary_table(self) -> BoundaryTable:
        """The compiled boundary table of the design."""
        rule = self.spec.rule
        if isinstance(rule, SimonRuleSpec):
            return self._simon_table(rule)
        return self.bayesian_design().boundary_table

    def design(self) -> BayesianDesign | BoundaryTable:
        """The single-cohort design: a BayesianDesign, or a Simon design's boundary table."""
        if isinstance(self.spec.rule, SimonRuleSpec):
            return self._simon_table(self.spec.rule)
        return self.bayesian_design()

    def to_dict(self) -> dict[str, Any]:
        """The resolved single-cohort design: name, design (rule, looks, bounds), toxicity rule."""
        table = self.boundary_table()
        tox = self.toxicity_rule(table.looks)
        return {
            "name": self.spec.name,
            "design": self.design().to_dict(),
            "toxicity": None if tox is None else tox.to_dict(),
        }

    def design_hash(self) -> str:
        """The design hash of the resolved single-cohort design."""
        return design_hash(self.to_dict())

    def evaluate(
        self, rates: Sequence[float] | np.ndarray | None = None, *, joint: bool = True
    ) -> DesignEvaluation:
        """Boundaries and exact OC (joint with toxicity when it is monitored and ``joint``).

        Default rates: 0.05 to 0.60 by 0.05, plus p0 and p1. ``joint=False`` leaves
        the toxicity rule out (response OC only, as on an OC curve).
        """
        hyp = self.spec.hypotheses
        if rates is None:
            rates = np.unique(np.round(np.r_[np.arange(1, 13) * 0.05, hyp.p0, hyp.p1], 10))
        table = self.boundary_table()
        rule_text = "" if self.rule_type == "simon" else self.bayesian_design().rule.describe()
        tox = self.spec.toxicity
        return evaluate_design(
            table,
            rates,
            design=self.to_dict(),
            name=self.spec.name,
            title=self.spec.title,
            rule_text=rule_text,
            toxicity=self.toxicity_rule(table.looks) if joint else None,
            toxicity_rates=self.toxicity_rates() if joint else (),
            odds_ratio=1.0 if tox is None else tox.odds_ratio,
        )

    def bayesian_design(self) -> BayesianDesign:
        """The Bayesian design (not for Simon rules)."""
        rule = self.spec.rule
        if isinstance(rule, SimonRuleSpec):
            raise InputError(self._field("rule.type"), "a Simon rule is not a Bayesian design")
        n_max = self.n_max()
        looks = self.looks(n_max)
        p0 = self.spec.hypotheses.p0
        built: PosteriorRule | PosteriorVsStandardRule | PredictiveRule | BOP2Rule
        if isinstance(rule, PosteriorVsStandardRuleSpec):
            built = PosteriorVsStandardRule(
                p0,
                self.prior,
                BetaPrior(rule.standard.a, rule.standard.b),
                self._required(rule.theta_final, "rule.theta_final"),
                rule.theta_futility,
                rule.theta_efficacy,
                margin=rule.margin,
            )
        elif isinstance(rule, PosteriorRuleSpec):
            built = PosteriorRule(
                p0,
                self.prior,
                self._required(rule.theta_final, "rule.theta_final"),
                rule.theta_futility,
                rule.theta_efficacy,
            )
        elif isinstance(rule, PredictiveRuleSpec):
            built = PredictiveRule(
                p0,
                self.prior,
                n_max,
                self._required(rule.theta_t, "rule.theta_t"),
                rule.theta_l,
                rule.theta_u,
            )
        else:
            built = BOP2Rule(
                p0,
                self.prior,
                n_max,
                self._required(rule.lambda_, "rule.lambda"),
                self._required(rule.gamma, "rule.gamma"),
                rule.efficacy,
                rule.eta,
            )
        try:
            return BayesianDesign(
                built, looks, _as_tuple(self.spec.futility_on), _as_tuple(self.spec.efficacy_on)
            )
        except InputError as error:
            raise InputError(self._field(error.field), error.message) from None

    def toxicity_rule(self, looks: tuple[int, ...]) -> ToxicityRule | None:
        """The toxicity rule on its looks (default: the efficacy looks)."""
        tox = self.spec.toxicity
        if tox is None:
            return None
        n_max = looks[-1]
        if tox.looks is None:
            tox_looks = looks
        elif isinstance(tox.looks, LooksSpec):
            tox_looks = look_schedule(n_max, every=tox.looks.every, first=tox.looks.first)
        else:
            tox_looks = tuple(tox.looks)
            if tox_looks and tox_looks[-1] > n_max:
                raise InputError(
                    self._field("toxicity.looks"),
                    f"look {tox_looks[-1]} is beyond the maximum sample size N = {n_max}",
                )
        return ToxicityRule(tox.threshold, tox.probability, tox.prior.build(), tox_looks)

    def toxicity_rates(self) -> tuple[float, ...]:
        """Toxicity rates at which OC are reported (default: the threshold)."""
        tox = self.spec.toxicity
        if tox is None:
            return ()
        return tuple(tox.evaluate_at) if tox.evaluate_at else (tox.threshold,)

    def _required(self, value: float | None, name: str) -> float:
        if value is None:
            hint = (
                " (or run `adaptive-pilot calibrate` on this file)" if self.spec.calibration else ""
            )
            raise InputError(self._field(name), f"is required to build the design{hint}")
        return value

    def _simon_table(self, rule: SimonRuleSpec) -> BoundaryTable:
        if rule.search is None:
            n1, n, r1, r = rule.n1, rule.n, rule.r1, rule.r
            assert n1 is not None and n is not None and r1 is not None and r is not None
            return BoundaryTable(looks=(n1, n), futility=(r1, r), efficacy=(n1 + 1, r + 1))
        hyp, errors = self.spec.hypotheses, self.spec.errors
        search = simon_designs(
            hyp.p0,
            hyp.p1,
            errors.alpha,
            errors.beta,
            n_max=rule.search.n_max,
            convention=rule.search.convention,
        )
        chosen = search.optimal if rule.search.kind == "optimal" else search.minimax
        return chosen.boundary_table()

    def has_single_cohort_calibration(self) -> bool:
        """Whether the calibration section has a bop2 or predictive grid."""
        cal = self.spec.calibration
        return cal is not None and (cal.bop2 is not None or cal.predictive is not None)

    def calibration_grids(self) -> dict[str, Any]:
        """The calibration section as plain values."""
        cal = self.spec.calibration
        if cal is None:
            raise InputError(self._field("calibration"), "is missing: add a calibration section")
        if cal.predictive is not None:
            c = cal.predictive
            return {
                "method": "predictive",
                "n_range": tuple(c.n_range),
                "theta_t": grid_values(c.theta_t),
                "theta_l": grid_values(c.theta_l),
                "first_look": c.first_look,
                "every": c.every,
                "theta_u": c.theta_u,
                "criterion": c.criterion,
            }
        b = cal.bop2
        if b is None:
            raise InputError(
                self._field("calibration"),
                "has no single-cohort grid (bop2 or predictive); its borrowing grid is run by "
                "`adaptive-pilot calibrate --borrowing`",
            )
        rule = self.spec.rule
        efficacy = rule.efficacy if isinstance(rule, BOP2RuleSpec) else None
        if efficacy == "power" and b.eta is None:
            raise InputError(
                self._field("calibration.bop2.eta"),
                "is required for the power-form efficacy cut-off",
            )
        return {
            "method": "bop2",
            "lam": grid_values(b.lambda_),
            "gamma": grid_values(b.gamma),
            "efficacy": efficacy,
            "eta": None if b.eta is None else grid_values(b.eta),
            "criterion": b.criterion,
        }

    def calibrate(self) -> CalibrationResult:
        """Run the calibration the file describes, with the file's per-look switches."""
        grids = self.calibration_grids()
        hyp, errors = self.spec.hypotheses, self.spec.errors
        switches = {"futility_on": self.spec.futility_on, "efficacy_on": self.spec.efficacy_on}
        try:
            if grids["method"] == "predictive":
                return calibrate_predictive(
                    hyp.p0,
                    hyp.p1,
                    errors.alpha,
                    errors.beta,
                    self.prior,
                    n_range=grids["n_range"],
                    theta_t=grids["theta_t"],
                    theta_l=grids["theta_l"],
                    first_look=grids["first_look"],
                    every=grids["every"],
                    theta_u=grids["theta_u"],
                    criterion=grids["criterion"],
                    **switches,
                )
            n_max = self.n_max()
            return calibrate_bop2(
                hyp.p0,
                hyp.p1,
                errors.alpha,
                self.prior,
                looks=self.looks(n_max),
                lam=grids["lam"],
                gamma=grids["gamma"],
                efficacy=grids["efficacy"],
                eta=grids["eta"],
                criterion=grids["criterion"],
                beta=errors.beta,
                **switches,
            )
        except InputError as error:
            raise InputError(self._field(error.field), error.message) from None

    def calibrated_document(self, result: CalibrationResult) -> dict[str, Any]:
        """The design file's content with the calibrated thresholds (and N) filled in."""
        if result.design is None:
            raise InputError(self._field("calibration"), "found no feasible design to write")
        data = copy.deepcopy(self.data)
        rule = result.design.rule
        section = dict(data.get("rule", {}))
        if isinstance(rule, PredictiveRule):
            section.update(theta_t=rule.theta_t, theta_l=rule.theta_l)
            data["n_max"] = rule.n_max
            if isinstance(data.get("looks"), list):
                data["looks"] = list(result.design.looks)
        elif isinstance(rule, BOP2Rule):
            section.update({"lambda": rule.lam, "gamma": rule.gamma})
            if rule.eta is not None:
                section["eta"] = rule.eta
        data["rule"] = section
        return data

    # ------------------------------------------------------------ borrowing
    def calibrate_borrowing(
        self,
        *,
        n_trials: int | None = None,
        seed: int | None = None,
        n_jobs: int = 1,
        progress: Any = None,
    ) -> BorrowingCalibration:
        """Run the file's ``calibration.borrowing`` search (simulated; see
        :mod:`adaptive_pilot.simulation.calibration`). ``n_trials`` and ``seed``
        override the file's."""
        from ..simulation.calibration import calibrate_borrowing

        cal = self.spec.calibration
        if cal is None or cal.borrowing is None:
            raise InputError(
                self._field("calibration.borrowing"),
                "is missing: add the grids of the borrowing calibration (go, futility)",
            )
        if not self.spec.cohorts:
            raise InputError(self._field("cohorts"), "the borrowing calibration needs cohorts")
        b = cal.borrowing
        p1 = [float(design.spec.hypotheses.p1) for _, design in self.cohort_designs()]
        alpha = float(self.spec.errors.alpha if b.alpha is None else b.alpha)
        try:
            return calibrate_borrowing(
                self.trial("hierarchical"),
                p1,
                go_grid=grid_values(b.go),
                futility_grid=None if b.futility is None else grid_values(b.futility),
                go_per_cohort=b.go_per_cohort,
                control=b.control,
                alpha=alpha,
                power_tolerance=b.power_tolerance,
                n_trials=b.n_trials if n_trials is None else n_trials,
                seed=b.seed if seed is None else seed,
                n_jobs=n_jobs,
                progress=progress,
            )
        except InputError as error:
            raise InputError(self._field(error.field), error.message) from None

    def borrowing_calibrated_document(self, result: BorrowingCalibration) -> dict[str, Any]:
        """The design file's content with the calibrated borrowing thresholds and record."""
        data = copy.deepcopy(self.data)
        section = dict(data.get("borrowing", {}))
        if result.futility is not None:  # 0: no futility stop (null in the file)
            section["futility"] = result.futility if result.futility > 0 else None
        section["go"] = list(result.go) if result.settings["go_per_cohort"] else result.go[0]
        section["calibrated"] = result.record()
        data["borrowing"] = section
        return data

    # ------------------------------------------------------------ interim
    def interim_plan(self, borrowing: str | None = None) -> InterimPlan:
        """What an interim call decides with: every cohort's design (and the borrowing).

        Parameters
        ----------
        borrowing : {"independent", "hierarchical", "exnex"}, optional
            Override the file's borrowing model (see :meth:`trial`).
        """
        model = borrowing or self.spec.borrowing.model
        cohorts = []
        for cohort_spec, design in self.cohort_designs():
            table = design.boundary_table()
            tox = design.spec.toxicity
            cohorts.append(
                CohortPlan(
                    name=cohort_spec.name,
                    table=table,
                    design=None if design.rule_type == "simon" else design.bayesian_design(),
                    prior=design.prior,
                    p0=float(design.spec.hypotheses.p0),
                    p1=float(design.spec.hypotheses.p1),
                    toxicity=design.toxicity_rule(table.looks),
                    min_grade=3 if tox is None else tox.min_grade,
                )
            )
        trial = None if model == "independent" else self.trial(model)
        return InterimPlan(self.spec.name, self.spec.title or "", tuple(cohorts), trial)

    # ------------------------------------------------------------ trials
    def trial(self, borrowing: str | None = None) -> TrialDesign:
        """The multi-cohort trial (cohorts, accrual, borrowing) the file describes.

        Parameters
        ----------
        borrowing : {"independent", "hierarchical", "exnex"}, optional
            Override the file's borrowing model: ``"hierarchical"`` borrows with the
            file's model (Berry's unless the file says ``exnex``), ``"exnex"`` with
            EXNEX (the file's ``borrowing.exnex`` settings or their defaults).
        """
        spec = self.spec
        if spec.accrual is None:
            raise InputError(
                self._field("accrual"), "is required to simulate (rate in patients per month)"
            )
        pairs = self.cohort_designs()
        allocation = spec.accrual.allocation
        weights = np.array(
            [(c.prevalence if allocation == "prevalence" else c.allocation) for c, _ in pairs],
            dtype=float,
        )
        weights = weights / weights.sum()
        cohorts = []
        for (cohort_spec, design), share in zip(pairs, weights, strict=True):
            table = design.boundary_table()
            cohorts.append(
                Cohort(
                    name=cohort_spec.name,
                    share=float(share),
                    table=table,
                    p0=float(design.spec.hypotheses.p0),
                    toxicity=design.toxicity_rule(table.looks),
                    reached_go=design.reached_go(table.n_max),
                    odds_ratio=1.0
                    if design.spec.toxicity is None
                    else float(design.spec.toxicity.odds_ratio),
                )
            )
        acc = spec.accrual
        accrual = Accrual(
            acc.rate, acc.allocation, acc.assessment_delay, acc.max_duration, acc.incomplete
        )
        model = borrowing or spec.borrowing.model
        if model == "hierarchical" and spec.borrowing.model == "exnex":
            model = "exnex"
        p1 = [float(design.spec.hypotheses.p1) for _, design in pairs]
        hier = None if model == "independent" else self._hierarchical(cohorts, p1, model)
        return TrialDesign(spec.name, tuple(cohorts), accrual, hier)

    def reached_go(self, n_max: int) -> tuple[int, ...]:
        """Least GO response count at n = 0..N-1 when enrolment closes before the final look.

        A Bayesian design applies its rule's final GO criterion to the n reached,
        with the cut-off of N; a Simon design has no rule off its table, so it
        returns () (GO only when the final GO is already certain).
        """
        if self.rule_type == "simon":
            return ()
        rule = self.bayesian_design().rule
        bounds = [1]
        for n in range(1, n_max):
            x = np.arange(n + 1)
            go = np.asarray(final_go(rule, n, x, cutoff_at=n_max), dtype=bool)
            bounds.append(int(x[go][0]) if go.any() else n + 1)
        return tuple(bounds)

    def _hierarchical(
        self, cohorts: list[Cohort], p1: list[float], model: str
    ) -> HierarchicalBorrowing:
        spec = self.spec.borrowing
        if spec.go is None:
            raise InputError(
                self._field("borrowing.go"),
                "is required for hierarchical borrowing (final GO threshold)",
            )
        interims = {len(c.table.looks) - 1 for c in cohorts}
        n_interims = max(interims)
        thresholds = {}
        for key in ("futility", "efficacy"):
            value = getattr(spec, key)
            if value is None:
                values = [math.nan] * n_interims
            elif isinstance(value, list):
                if len(interims) > 1 or len(value) != n_interims:
                    raise InputError(
                        self._field(f"borrowing.{key}"),
                        f"needs one value per interim look ({n_interims}), or one number",
                    )
                values = [math.nan if v is None else float(v) for v in value]
            else:
                values = [float(value)] * n_interims
            thresholds[key] = tuple(values)
        prior = hierarchical_prior(
            [c.p0 for c in cohorts], mu_mean=spec.mu_mean, mu_sd=spec.mu_sd, tau_sd=spec.tau_sd
        )
        go = tuple(float(g) for g in spec.go) if isinstance(spec.go, list) else float(spec.go)
        if spec.analysis_timing == "joint" and len(interims) > 1:
            raise InputError(
                self._field("borrowing.analysis_timing"),
                "joint analyses need the same number of looks in every cohort "
                f"(got {', '.join(str(len(c.table.looks)) for c in cohorts)})",
            )
        months = None if isinstance(spec.joint_looks, str) else tuple(spec.joint_looks.months)
        nex = self._nex(cohorts, p1) if model == "exnex" else None
        try:
            return HierarchicalBorrowing(
                prior,
                thresholds["futility"],
                thresholds["efficacy"],
                go,
                spec.analysis_timing,
                months,
                nex,
            )
        except InputError as error:
            raise InputError(self._field(error.field), error.message) from None

    def _nex(self, cohorts: list[Cohort], p1: list[float]) -> NonExchangeable:
        """EXNEX's weights and NEX priors, one per cohort (defaults: :func:`default_nex`)."""
        settings = self.spec.borrowing.exnex or ExnexSpec()
        means, sds = default_nex([c.p0 for c in cohorts], p1)
        values = {}
        for key, default in (("ex_weight", None), ("nex_mean", means), ("nex_sd", sds)):
            value = getattr(settings, key)
            if value is None:
                values[key] = tuple(default or ())
            elif isinstance(value, list):
                if len(value) != len(cohorts):
                    raise InputError(
                        self._field(f"borrowing.exnex.{key}"),
                        f"needs one value per cohort ({len(cohorts)}) or one number",
                    )
                values[key] = tuple(float(v) for v in value)
            else:
                values[key] = (float(value),) * len(cohorts)
        try:
            return NonExchangeable(values["ex_weight"], values["nex_mean"], values["nex_sd"])
        except InputError as error:
            raise InputError(self._field(f"borrowing.exnex.{error.field}"), error.message) from None


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and "type" not in value:
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _as_tuple(values: Sequence[bool] | None) -> tuple[bool, ...] | None:
    return None if values is None else tuple(values)
