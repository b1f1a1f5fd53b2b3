"""Resolution: a validated design file turned into designs, calibrations and trials.

This is the one step from the file format to the engine's objects; nothing
outside :mod:`adaptive_pilot.spec` knows the file format.
"""

from __future__ import annotations

import copy
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from ..boundary_table import BoundaryTable
from ..cohorts.borrowing import BerryBorrowing, Borrowing, ExnexBorrowing
from ..cohorts.endpoint_borrowing import EndpointBorrowing
from ..cohorts.exnex import default_nex
from ..cohorts.plan import InterimPlan
from ..cohorts.prior import NonExchangeable, hierarchical_prior
from ..cohorts.trial import Accrual, Cohort, HierarchicalBorrowing, TrialDesign
from ..designs.bayesian import BayesianDesign
from ..designs.calibration import (
    CalibrationResult,
    calibrate_bop2,
    calibrate_dual,
    calibrate_predictive,
)
from ..designs.design import CohortDesign, Design, Endpoint
from ..designs.endpoint_calibration import calibrate_endpoints
from ..designs.evaluation import DesignEvaluation
from ..designs.looks import look_schedule
from ..designs.multi_endpoint import (
    MultiEndpointDesign,
    MultiEndpointEvaluation,
    evaluate_endpoints,
)
from ..designs.simon import simon_designs
from ..designs.survival_monitoring import SurvivalDesignDescription, SurvivalMonitoringDesign
from ..errors import InputError
from ..priors import BetaMixturePrior, BetaPrior, DirichletPrior
from ..provenance import Provenance, design_hash
from ..rules.bop2 import BOP2Rule
from ..rules.dual import DualRule
from ..rules.endpoints import Endpoint as RuleEndpoint
from ..rules.endpoints import MultiEndpointRule
from ..rules.posterior import PosteriorRule
from ..rules.predictive import PredictiveRule
from ..rules.toxicity import ToxicityRule
from ..rules.versus_standard import PosteriorVsStandardRule
from ..simulation.scenarios import EndpointCohort, EndpointScenario
from .reading import one_line, read_validated
from .time_to_event import scenario_of, simulator_accrual, survival_cohorts, survival_scenarios

if TYPE_CHECKING:
    from ..cohorts.survival_borrowing import SurvivalModelAveraging
    from ..simulation.calibration import BorrowingCalibration
    from ..simulation.survival_calibration import SurvivalCalibration
    from ..simulation.survival_monitoring import (
        SurvivalMonitoringCohort,
        SurvivalMonitoringScenario,
    )
from .schema import (
    BOP2RuleSpec,
    CohortSpec,
    DesignSpec,
    DualRuleSpec,
    ExnexSpec,
    HypothesesSpec,
    LooksSpec,
    OutcomeSpec,
    PosteriorRuleSpec,
    PosteriorVsStandardRuleSpec,
    PredictiveRuleSpec,
    SimonRuleSpec,
    TimeToEventScenarioSpec,
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
    """A validated design file, resolved once into the engine's objects.

    The file's designs are built on first use and kept: :attr:`design` (the
    single-cohort design the file states at its top level), :attr:`cohorts`
    (each cohort with its own :class:`~adaptive_pilot.designs.design.Design`),
    :meth:`trial` (the multi-cohort trial the simulator runs) and
    :meth:`interim_plan` (what an interim call decides with). Every one of them
    carries :meth:`design_hash`, the file's one hash. Rules are compiled and
    Simon searches run once per distinct design.
    """

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
        self._trials: dict[str, TrialDesign] = {}
        self._plans: dict[str, InterimPlan] = {}

    # ------------------------------------------------------------ the file's objects
    def map_prior(self) -> Any:
        """The :class:`~adaptive_pilot.meta_analytic.MapPrior` behind a ``type: map`` prior, else
        None (the historical studies, shrinkage, the mixture fit)."""
        prior = self.spec.prior
        return prior.map() if isinstance(prior.historical, list) else None

    @property
    def name(self) -> str:
        """The design's name."""
        return self.spec.name

    @property
    def title(self) -> str:
        """The design's title ("" when the file has none)."""
        return self.spec.title

    @property
    def rule_type(self) -> str:
        """``simon``, ``posterior``, ``posterior_vs_standard``, ``predictive``, ``bop2``, ``dual``
        or ``time_to_event``."""
        if self.spec.rule is None:
            return "time_to_event"
        return self.spec.rule.type

    @cached_property
    def _resolved(self) -> tuple[Design, tuple[CohortDesign, ...], str]:
        """(top-level design, cohorts, file hash), built together once."""
        if self.is_time_to_event:
            raise InputError(
                self._field("time_to_event"),
                "a design monitoring a time-to-event endpoint is supported by the design, "
                "simulate and interim commands (and the Python API); this command needs a "
                "single binary endpoint (hypotheses p0, p1)",
            )
        if self.is_multi_endpoint:
            raise InputError(
                self._field("outcome"),
                "a design with several endpoints (an outcome section) is supported by the "
                "design and calibrate commands (and the Python API) so far; this command "
                "needs a single binary endpoint (hypotheses p0, p1)",
            )
        built: dict[str, Any] = {}
        main = _build_design(self.spec, self.source, built)
        if self.spec.cohorts:
            cohorts = tuple(
                CohortDesign(
                    spec_cohort.name,
                    spec_cohort.prevalence,
                    spec_cohort.allocation,
                    _build_design(spec, source, built),
                )
                for spec_cohort, spec, source in self._cohort_specs()
            )
        else:
            cohorts = (CohortDesign(self.spec.name, 1.0, 1.0, main),)
        digest = design_hash(
            {
                "file": self.spec.model_dump(mode="json", by_alias=True),
                "design": main.content(),
                "cohorts": [c.design.content() for c in cohorts],
            }
        )
        main = main.belonging_to(digest)
        cohorts = tuple(replace(c, design=c.design.belonging_to(digest)) for c in cohorts)
        return main, cohorts, digest

    @property
    def design(self) -> Design:
        """The single-cohort design the file states at its top level."""
        return self._resolved[0]

    @property
    def cohorts(self) -> tuple[CohortDesign, ...]:
        """Each cohort with its own design (without a ``cohorts`` section: one, the design)."""
        return self._resolved[1]

    def design_hash(self) -> str:
        """The file's one design hash.

        A hash of the validated file (every field, defaults filled in; not its
        layout or comments) and of every resolved design (rules, compiled bounds,
        toxicity rules): every input that can change a printed number changes it,
        and every command, page, report and audit record of the file shows it.
        """
        if self.is_multi_endpoint:
            return self._resolved_endpoints[1]
        if self.is_time_to_event:
            return self._resolved_survival[1]
        return self._resolved[2]

    @property
    def error_targets(self) -> tuple[float, float]:
        """The file's (alpha, beta) targets."""
        return self.spec.errors.alpha, self.spec.errors.beta

    # ------------------------------------------------------------ time to event
    @property
    def is_time_to_event(self) -> bool:
        """Whether the file has a time_to_event section (an endpoint against a goal)."""
        return self.spec.time_to_event is not None

    @cached_property
    def _resolved_survival(
        self,
    ) -> tuple[tuple[tuple[str, float, SurvivalMonitoringDesign], ...], str]:
        """((cohort, share, design) per cohort, file hash), built once."""
        cohorts = survival_cohorts(self.spec, self.source)
        content = {
            "file": self.spec.model_dump(mode="json", by_alias=True),
            "cohorts": [[name, share, d.to_dict()] for name, share, d in cohorts],
        }
        return cohorts, design_hash(content)

    @property
    def survival_cohorts(self) -> tuple[tuple[str, SurvivalMonitoringDesign], ...]:
        """(cohort name, its design) per cohort of a time_to_event file."""
        if not self.is_time_to_event:
            raise InputError(self._field("time_to_event"), "is missing from this design")
        return tuple((name, d) for name, _, d in self._resolved_survival[0])

    @property
    def survival_design(self) -> SurvivalMonitoringDesign:
        """The first cohort's design (the design itself without cohorts)."""
        return self.survival_cohorts[0][1]

    def survival_borrowing(self, analysis: str | None = None) -> SurvivalModelAveraging | None:
        """The borrowing model of a time_to_event file (None: each cohort on its own).

        ``analysis``: ``"independent"`` analyses each cohort alone whatever the file says
        (the other borrowing models are for response rates and are refused).
        """
        from ..cohorts.survival_borrowing import SurvivalModelAveraging

        if analysis not in (None, "independent"):
            raise InputError(
                "analysis",
                "a time_to_event design borrows by model averaging (the file's borrowing.model) "
                f"or not at all: use independent, not {analysis}",
            )
        b = self.spec.borrowing
        if analysis == "independent" or b.model != "model_averaging":
            return None
        cohorts = self.survival_cohorts
        try:
            return SurvivalModelAveraging(
                cohorts[0][1].rule, len(cohorts), 1.0 if b.delta is None else b.delta
            )
        except InputError as error:
            raise InputError(self._field(error.field), error.message) from None

    def survival_trial(self) -> tuple[tuple[SurvivalMonitoringCohort, ...], Accrual]:
        """The simulator's cohorts and accrual."""
        from ..simulation.survival_monitoring import SurvivalMonitoringCohort  # loads numba

        cohorts = tuple(
            SurvivalMonitoringCohort(name, share, d)
            for name, share, d in self._resolved_survival[0]
        )
        return cohorts, simulator_accrual(self.spec, self.source)

    def survival_summary(self) -> SurvivalDesignDescription:
        """The design described: rule in words and look table (``adaptive-pilot design``)."""
        return SurvivalDesignDescription(
            self.survival_cohorts,
            Provenance(
                "exact",
                self.design_hash(),
                details={
                    "source": self.source,
                    **({"borrowing": b.describe()} if (b := self.survival_borrowing()) else {}),
                },
            ),
        )

    def calibrate_survival(
        self,
        *,
        n_trials: int | None = None,
        seed: int | None = None,
        n_jobs: int = 1,
        progress: bool | None = None,
    ) -> SurvivalCalibration:
        """Simulate the time_to_event.calibration grid (``adaptive-pilot calibrate``)."""
        from ..simulation.survival_calibration import calibrate_survival

        tte = self.spec.time_to_event
        assert tte is not None
        cal = tte.calibration
        if cal is None:
            raise InputError(
                self._field("time_to_event.calibration"),
                "is missing: add a calibration section with a grid of success thresholds",
            )
        assert tte.target is not None  # the schema asks for it with a calibration section
        cohorts, accrual = self.survival_trial()
        n_cohorts = len(cohorts)
        null, alternative = (
            scenario_of(
                TimeToEventScenarioSpec(name=name, survival_at_landmark=value), tte, n_cohorts,
                self.source,
            )
            for name, value in (("goal", tte.goal), ("target", tte.target))
        )  # fmt: skip
        borrowing = self.survival_borrowing()
        mixed = []
        if borrowing is not None:  # some cohorts at or below the goal, others above
            for scenario in self.survival_scenarios():
                truth = scenario.survival_at(tte.landmark)
                if (truth <= tte.goal + 1e-12).any() and (truth > tte.goal + 1e-12).any():
                    mixed.append(scenario)
        return calibrate_survival(
            cohorts, accrual, null, alternative, grid_values(cal.success),
            alpha=self.spec.errors.alpha, beta=self.spec.errors.beta,
            n_trials=cal.n_trials if n_trials is None else n_trials,
            seed=cal.seed if seed is None else seed, imputations=cal.imputations,
            borrowing=borrowing, mixed=mixed, design_hash=self.design_hash(), n_jobs=n_jobs,
            progress=progress,
        )  # fmt: skip

    def survival_calibrated_document(self, result: SurvivalCalibration) -> dict[str, Any]:
        """The design file's content with the calibrated final threshold and its record."""
        if result.chosen is None:
            raise InputError(
                self._field("time_to_event.calibration.success"),
                "no candidate keeps P(GO) at the goal within alpha: nothing to write",
            )
        data = copy.deepcopy(self.data)
        section = dict(data["time_to_event"])
        section["success"] = result.chosen
        calibration = dict(section.get("calibration", {}))
        calibration["calibrated"] = result.record()
        section["calibration"] = calibration
        data["time_to_event"] = section
        return data

    def survival_scenarios(self) -> list[SurvivalMonitoringScenario]:
        """The section's scenarios (default: the goal and the target)."""
        return survival_scenarios(self.spec, self.source)

    # ------------------------------------------------------------ several endpoints
    @property
    def is_multi_endpoint(self) -> bool:
        """Whether the file has an outcome section (several endpoints of one outcome)."""
        return self.spec.outcome is not None

    @cached_property
    def _resolved_endpoints(self) -> tuple[MultiEndpointDesign, str]:
        """(the multi-endpoint design, file hash), built once."""
        design = _endpoint_design(self.spec, self.source)
        content: dict[str, Any] = {
            "file": self.spec.model_dump(mode="json", by_alias=True),
            "design": design.to_dict(),
        }
        if self.spec.cohorts:
            content["cohorts"] = [d.to_dict() for _, d in self.endpoint_cohorts]
        return design, design_hash(content)

    @property
    def endpoint_design(self) -> MultiEndpointDesign:
        """The design of a file with an outcome section (several endpoints)."""
        if not self.is_multi_endpoint:
            raise InputError(self._field("outcome"), "is missing: this design has one endpoint")
        return self._resolved_endpoints[0]

    @cached_property
    def endpoint_cohorts(self) -> tuple[tuple[str, MultiEndpointDesign], ...]:
        """(cohort name, its multi-endpoint design) per cohort (the design when no cohorts)."""
        if not self.spec.cohorts:
            return ((self.name, self.endpoint_design),)
        built: dict[str, MultiEndpointDesign] = {}
        out = []
        for cohort, spec, source in self._cohort_specs():
            key = json.dumps(spec.model_dump(mode="json", by_alias=True, exclude={"name"}))
            if key not in built:
                built[key] = _endpoint_design(spec, source)
            out.append((cohort.name, built[key]))
        return tuple(out)

    def endpoint_borrowing(self, analysis: str | None = None) -> EndpointBorrowing | None:
        """Berry's model per endpoint between the cohorts (None: each cohort on its own).

        ``analysis`` overrides the file's model: ``independent`` or ``hierarchical``.
        """
        model = analysis or self.spec.borrowing.model
        if model not in ("independent", "hierarchical"):
            raise InputError(
                "analysis",
                f"a design with several endpoints is analysed independent or hierarchical "
                f"(got {model!r})",
            )
        if model == "independent":
            return None
        if len(self.endpoint_cohorts) < 2:
            raise InputError("analysis", "borrowing needs at least two cohorts")
        b = self.spec.borrowing
        try:
            return EndpointBorrowing(
                tuple(d.rule for _, d in self.endpoint_cohorts), b.mu_sd, b.tau_sd
            )
        except InputError as error:
            raise InputError(self._field(f"borrowing.{error.field}"), error.message) from None

    def endpoint_trial(self) -> tuple[tuple[EndpointCohort, ...], Accrual]:
        """The cohorts (with their share of accrual) and the accrual model, to simulate."""
        accrual = self.accrual
        if accrual is None:
            raise InputError(
                self._field("accrual"), "is required to simulate (rate in patients per month)"
            )
        specs = self.spec.cohorts or []
        if specs:
            weights = np.array(
                [
                    (c.prevalence if accrual.allocation == "prevalence" else c.allocation) or 0.0
                    for c in specs
                ],
                dtype=float,
            )
            weights = weights / weights.sum()
        else:
            weights = np.ones(1)
        cohorts = tuple(
            EndpointCohort(name, float(share), design)
            for (name, design), share in zip(self.endpoint_cohorts, weights, strict=True)
        )
        return cohorts, accrual

    def endpoint_design_scenarios(self) -> list[EndpointScenario]:
        """The design's own null and alternative scenarios, each for every cohort."""
        nulls, alternatives = self.endpoint_scenarios()
        n_cohorts = len(self.endpoint_cohorts)
        out = []
        for kind, named in (("null", nulls), ("alternative", alternatives)):
            for label, cells in named.items():
                name = label if label == kind else f"{kind}: {label}"
                out.append(
                    EndpointScenario(
                        name,
                        np.tile(np.asarray(cells, float), (n_cohorts, 1)),
                        f"every cohort at the design's {kind} scenario",
                    )
                )
        return out

    @property
    def unconfirmed(self) -> str:
        """How an interim call treats an unconfirmed CR/PR: ``pending``, ``count`` or
        ``weighted``."""
        return self.spec.endpoint.unconfirmed

    @property
    def confirmation(self) -> tuple[float | None, str]:
        """(probability that an unconfirmed response is confirmed, its stated source), for
        ``unconfirmed: weighted``."""
        return self.spec.endpoint.confirmation, self.spec.endpoint.confirmation_source

    def category_definitions(self) -> tuple[dict[str, Any], int]:
        """({category: CategoryDefinition}, toxicity min grade) for the interim call."""
        outcome = self.spec.outcome
        assert outcome is not None
        definitions = outcome.definitions()
        if definitions is None:
            raise InputError(
                self._field("outcome.categories"),
                "must say which patients each category holds for an interim call, e.g. "
                "OR+T: {response: [CR, PR], toxicity: true}",
            )
        return definitions, outcome.toxicity_grade

    def endpoint_scenarios(self) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
        """The outcome section's ({label: cells} null, {label: cells} alternative) scenarios."""
        outcome = self.spec.outcome
        assert outcome is not None
        return outcome.scenarios("nulls"), outcome.scenarios("alternatives")

    @property
    def has_cohorts(self) -> bool:
        """Whether the file has a ``cohorts`` section (a multi-cohort trial)."""
        return bool(self.spec.cohorts)

    @property
    def accrual(self) -> Accrual | None:
        """The accrual model (None when the file has no accrual section)."""
        acc = self.spec.accrual
        if acc is None:
            return None
        return Accrual(
            acc.rate, acc.allocation, acc.assessment_delay, acc.max_duration, acc.incomplete
        )

    @property
    def borrowing_model(self) -> str:
        """The file's analysis model: ``independent``, ``hierarchical`` or ``exnex``."""
        return self.spec.borrowing.model

    @property
    def borrowing_prior_sds(self) -> tuple[float, float]:
        """The file's (mu_sd, tau_sd) of the hierarchical model (for text without a trial)."""
        return self.spec.borrowing.mu_sd, self.spec.borrowing.tau_sd

    def _cohort_specs(self) -> list[tuple[CohortSpec, DesignSpec, str]]:
        """Each cohort's own validated design section (the top level merged with its own)."""
        base = self.spec.model_dump(
            by_alias=True, exclude_unset=True, exclude={"cohorts", "accrual", "borrowing"}
        )
        out = []
        for i, cohort in enumerate(self.spec.cohorts or ()):
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
            out.append((cohort, spec, f"{self.source}: cohorts[{i}] {cohort.name}"))
        return out

    def _field(self, name: str) -> str:
        return f"{self.source}: {name}" if self.source else name

    # ------------------------------------------------------------ single cohort
    def boundary_table(self) -> BoundaryTable:
        """The compiled boundary table of the design."""
        return self.design.table

    def to_dict(self) -> dict[str, Any]:
        """The resolved single-cohort design: name, design (rule, looks, bounds), toxicity rule."""
        return self.design.to_dict()

    def evaluate_endpoints(self) -> MultiEndpointEvaluation:
        """Bounds and exact OC of a multi-endpoint design at its null and alternative
        scenarios."""
        null, alternative = self.endpoint_scenarios()
        scenarios = {f"null: {k}" if k != "null" else k: v for k, v in null.items()}
        scenarios |= {
            f"alternative: {k}" if k != "alternative" else k: v for k, v in alternative.items()
        }
        return evaluate_endpoints(
            self.endpoint_design, scenarios, name=self.name, title=self.title,
            plan_hash=self.design_hash(),
        )  # fmt: skip

    def evaluate(
        self, rates: Sequence[float] | np.ndarray | None = None, *, joint: bool = True
    ) -> DesignEvaluation:
        """Boundaries and exact OC of :attr:`design` (see :meth:`Design.evaluate`)."""
        return self.design.evaluate(rates, joint=joint)

    # ------------------------------------------------------------ deprecated (0.2.0)
    def cohort_designs(self) -> list[tuple[CohortSpec, ResolvedDesign]]:
        """Deprecated since 0.2.0 (removed in 0.3.0): use :attr:`cohorts`."""
        _deprecated("ResolvedDesign.cohort_designs()", "ResolvedDesign.cohorts")
        if not self.spec.cohorts:
            alone = CohortSpec(name=self.spec.name, prevalence=1.0, allocation=1.0)
            return [(alone, self)]
        return [(c, ResolvedDesign(spec, source)) for c, spec, source in self._cohort_specs()]

    def bayesian_design(self) -> BayesianDesign:
        """Deprecated since 0.2.0 (removed in 0.3.0): use ``design.bayesian``."""
        _deprecated("ResolvedDesign.bayesian_design()", "ResolvedDesign.design.bayesian")
        if self.design.bayesian is None:
            raise InputError(self._field("rule.type"), "a Simon rule is not a Bayesian design")
        return self.design.bayesian

    def toxicity_rule(self, looks: tuple[int, ...] | None = None) -> ToxicityRule | None:
        """Deprecated since 0.2.0 (removed in 0.3.0): use ``design.toxicity``."""
        _deprecated("ResolvedDesign.toxicity_rule()", "ResolvedDesign.design.toxicity")
        if looks is None or looks == self.design.looks:
            return self.design.toxicity
        return _toxicity_rule(self.spec, self.source, looks)

    def toxicity_rates(self) -> tuple[float, ...]:
        """Deprecated since 0.2.0 (removed in 0.3.0): use ``design.toxicity_rates``."""
        _deprecated("ResolvedDesign.toxicity_rates()", "ResolvedDesign.design.toxicity_rates")
        return self.design.toxicity_rates

    def n_max(self) -> int:
        """Deprecated since 0.2.0 (removed in 0.3.0): use ``design.n_max``."""
        _deprecated("ResolvedDesign.n_max()", "ResolvedDesign.design.n_max")
        return _n_max(self.spec, self.source)

    def looks(self, n_max: int) -> tuple[int, ...]:
        """Deprecated since 0.2.0 (removed in 0.3.0): use ``design.looks``."""
        _deprecated("ResolvedDesign.looks()", "ResolvedDesign.design.looks")
        return _looks(self.spec, n_max)

    def reached_go(self, n_max: int | None = None) -> tuple[int, ...]:
        """Deprecated since 0.2.0 (removed in 0.3.0): use ``design.reached_go``."""
        _deprecated("ResolvedDesign.reached_go()", "ResolvedDesign.design.reached_go")
        return self.design.reached_go

    def has_single_cohort_calibration(self) -> bool:
        """Whether the calibration section has a bop2, predictive or dual grid."""
        cal = self.spec.calibration
        return cal is not None and any(
            grid is not None for grid in (cal.bop2, cal.predictive, cal.dual)
        )

    def has_borrowing_calibration(self) -> bool:
        """Whether the calibration section has a borrowing grid."""
        cal = self.spec.calibration
        return cal is not None and cal.borrowing is not None

    def calibration_grids(self) -> dict[str, Any]:
        """The calibration section as plain values, with the design's error targets."""
        grids = self._calibration_grids()
        errors = self.spec.errors
        return {**grids, "targets": {"alpha": errors.alpha, "beta": errors.beta}}

    def _calibration_grids(self) -> dict[str, Any]:
        cal = self.spec.calibration
        if self.is_time_to_event:
            raise InputError(
                self._field("time_to_event"),
                "a time_to_event design has no calibration grid yet: tune its thresholds by "
                "simulation (adaptive-pilot simulate FILE runs its scenarios)",
            )
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
        if cal.dual is not None:
            if not isinstance(self.spec.rule, DualRuleSpec):
                raise InputError(
                    self._field("calibration.dual"),
                    f"calibrates a Go / Consider / No-Go rule (rule type dual); this file's rule "
                    f"is {self.rule_type}",
                )
            d = cal.dual
            return {
                "method": "dual",
                "go": grid_values(d.go),
                "nogo": grid_values(d.nogo),
                "go_condition": d.go_condition,
                "nogo_condition": d.nogo_condition,
                "criterion": d.criterion,
            }
        b = cal.bop2
        if b is None:
            raise InputError(
                self._field("calibration"),
                "has no single-cohort grid (bop2, predictive or dual); its borrowing grid is run "
                "by `adaptive-pilot calibrate --borrowing`",
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
        """Run the calibration the file describes, with the file's per-look switches.

        Its provenance carries the hash of the design file it writes (``--write``): the
        hash every other command then shows for the calibrated design.
        """
        result = self._calibrate()
        if result.design is None:
            return result
        written = design_from_document(self.calibrated_document(result), self.source)
        return replace(result, plan_hash=written.design_hash())

    def _calibrate(self) -> CalibrationResult:
        grids = self.calibration_grids()
        if self.is_multi_endpoint:
            null, alternative = self.endpoint_scenarios()
            design = self.endpoint_design if _rule_complete(self.spec) else None
            rule = (
                design.rule
                if design is not None
                else _endpoint_rule(self.spec, self.source, lam=0.5, gamma=1.0, eta=1.0)
            )
            try:
                return calibrate_endpoints(
                    rule,
                    looks=_looks(self.spec, _n_max(self.spec, self.source)),
                    null=null,
                    alternative=alternative,
                    alpha=self.spec.errors.alpha,
                    lam=grids["lam"],
                    gamma=grids["gamma"],
                    eta=grids["eta"],
                    criterion=grids["criterion"],
                    beta=self.spec.errors.beta,
                    futility_on=self.spec.futility_on,
                    efficacy_on=self.spec.efficacy_on,
                )
            except InputError as error:
                raise InputError(self._field(error.field), error.message) from None
        hyp, errors = _hypotheses(self.spec), self.spec.errors
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
            n_max = _n_max(self.spec, self.source)
            if grids["method"] == "dual":
                # the rule as written (its thresholds are searched; it need not compile)
                return calibrate_dual(
                    _dual_rule(self.spec, self.source, self.prior, n_max),
                    _looks(self.spec, n_max),
                    alpha=errors.alpha,
                    beta=errors.beta,
                    go=grids["go"],
                    nogo=grids["nogo"],
                    go_condition=grids["go_condition"],
                    nogo_condition=grids["nogo_condition"],
                    p0=hyp.p0,
                    p1=hyp.p1,
                    criterion=grids["criterion"],
                    **switches,
                )
            return calibrate_bop2(
                hyp.p0,
                hyp.p1,
                errors.alpha,
                self.prior,
                looks=_looks(self.spec, n_max),
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
        elif isinstance(rule, BOP2Rule | MultiEndpointRule):
            section.update({"lambda": rule.lam, "gamma": rule.gamma})
            if rule.eta is not None:
                section["eta"] = rule.eta
        elif isinstance(rule, DualRule):
            section.update(go=rule.go_criterion.source(), nogo=rule.nogo_criterion.source())
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
        p1 = [c.design.p1 for c in self.cohorts]
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
        if model not in self._plans:
            trial = None if model == "independent" else self.trial(model)
            self._plans[model] = InterimPlan(
                self.name,
                self.title,
                tuple(c.design for c in self.cohorts),
                trial,
                plan_hash=self.design_hash(),
            )
        return self._plans[model]

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
        model = borrowing or self.spec.borrowing.model
        if model == "hierarchical" and self.spec.borrowing.model == "exnex":
            model = "exnex"
        if model not in self._trials:
            self._trials[model] = self._build_trial(model)
        return self._trials[model]

    def _build_trial(self, model: str) -> TrialDesign:
        accrual = self.accrual
        if accrual is None:
            raise InputError(
                self._field("accrual"), "is required to simulate (rate in patients per month)"
            )
        weights = np.array(
            [
                (c.prevalence if accrual.allocation == "prevalence" else c.allocation) or 0.0
                for c in self.cohorts
            ],
            dtype=float,
        )
        weights = weights / weights.sum()
        cohorts = [
            Cohort.of(c.design, c.name, float(share))
            for c, share in zip(self.cohorts, weights, strict=True)
        ]
        p1 = [c.design.p1 for c in self.cohorts]
        hier = None if model == "independent" else self._hierarchical(cohorts, p1, model)
        return TrialDesign(self.name, tuple(cohorts), accrual, hier, plan_hash=self.design_hash())

    def _hierarchical(
        self, cohorts: list[Cohort], p1: list[float], model: str
    ) -> HierarchicalBorrowing:
        dual = [c.name for c in self.cohorts if c.design.table.three_outcomes]
        if dual:
            raise InputError(
                self._field("borrowing.model"),
                f"{model} borrowing decides on P(p_j > p0_j | all data); cohort {dual[0]} has a "
                "Go / Consider / No-Go rule (rule type dual), which is decided on each "
                "cohort's own data: use borrowing model independent, or give the cohorts a "
                "single-threshold rule and borrowing.nogo for a CONSIDER zone",
            )
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
        nogo: float | tuple[float, ...] | None = None
        if spec.nogo is not None:
            nogo = (
                tuple(float(g) for g in spec.nogo)
                if isinstance(spec.nogo, list)
                else float(spec.nogo)
            )
        if spec.analysis_timing == "joint" and len(interims) > 1:
            raise InputError(
                self._field("borrowing.analysis_timing"),
                "joint analyses need the same number of looks in every cohort "
                f"(got {', '.join(str(len(c.table.looks)) for c in cohorts)})",
            )
        months = None if isinstance(spec.joint_looks, str) else tuple(spec.joint_looks.months)
        borrowing: Borrowing = (
            ExnexBorrowing(prior, self._nex(cohorts, p1))
            if model == "exnex"
            else BerryBorrowing(prior)
        )
        try:
            return HierarchicalBorrowing(
                borrowing,
                thresholds["futility"],
                thresholds["efficacy"],
                go,
                spec.analysis_timing,
                months,
                nogo,
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


def _deprecated(old: str, new: str) -> None:
    warnings.warn(
        f"{old} is deprecated since adaptive_pilot 0.2.0 and will be removed in 0.3.0; use {new}",
        DeprecationWarning,
        stacklevel=3,
    )


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


# ------------------------------------------------------------------ designs
def _build_design(spec: DesignSpec, source: str, built: dict[str, Any]) -> Design:
    """One section's :class:`Design`; ``built`` keeps compiled rules and Simon tables by content.

    Cohorts that share a rule share its compiled table: each distinct design is
    compiled (or searched) once per file.
    """
    hyp, errors, rule = _hypotheses(spec), spec.errors, spec.rule
    assert rule is not None  # the schema asks for it without a time_to_event section
    prior = spec.prior.build()
    key = json.dumps(
        spec.model_dump(
            mode="json",
            by_alias=True,
            include={"hypotheses", "errors", "prior", "n_max", "looks", "futility_on",
                     "efficacy_on", "rule"},
        ),
        sort_keys=True,
    )  # fmt: skip
    bayesian: BayesianDesign | None = None
    if key not in built:
        if isinstance(rule, SimonRuleSpec):
            built[key] = _simon_table(spec, rule)
        else:
            built[key] = _bayesian_design(spec, source, prior)
    if isinstance(built[key], BayesianDesign):
        bayesian = built[key]
        table = bayesian.boundary_table
    else:
        table = built[key]
    tox = spec.toxicity
    return Design(
        name=spec.name,
        title=spec.title,
        family=rule.type,
        endpoint=Endpoint(spec.endpoint.name, spec.endpoint.definition),
        p0=float(hyp.p0),
        p1=float(hyp.p1),
        alpha=float(errors.alpha),
        beta=float(errors.beta),
        prior=prior,
        table=table,
        bayesian=bayesian,
        simon_kind=(rule.search.kind if isinstance(rule, SimonRuleSpec) and rule.search else ""),
        toxicity=_toxicity_rule(spec, source, table.looks),
        toxicity_rates=(
            () if tox is None else tuple(tox.evaluate_at) if tox.evaluate_at else (tox.threshold,)
        ),
        odds_ratio=1.0 if tox is None else float(tox.odds_ratio),
        min_grade=3 if tox is None else tox.min_grade,
        design_prior=None if spec.design_prior is None else spec.design_prior.build(),
        unconfirmed=spec.endpoint.unconfirmed,
        confirmation=spec.endpoint.confirmation,
        confirmation_source=spec.endpoint.confirmation_source,
    )


def _field(source: str, name: str) -> str:
    return f"{source}: {name}" if source else name


def _hypotheses(spec: DesignSpec) -> HypothesesSpec:
    """The binary design's hypotheses (an outcome design never reaches the binary path)."""
    assert spec.hypotheses is not None, "an outcome design has no p0 / p1"
    return spec.hypotheses


def _n_max(spec: DesignSpec, source: str) -> int:
    """Maximum sample size: n_max, or the last explicit look."""
    if spec.n_max is not None:
        return spec.n_max
    if isinstance(spec.looks, list) and spec.looks:
        return spec.looks[-1]
    raise InputError(_field(source, "n_max"), "is required (or give an explicit list of looks)")


def _looks(spec: DesignSpec, n_max: int) -> tuple[int, ...]:
    """The look schedule resolved against N."""
    looks = spec.looks
    if looks is None:
        return (n_max,)
    if isinstance(looks, LooksSpec):
        return look_schedule(n_max, every=looks.every, first=looks.first)
    return look_schedule(n_max, looks=looks)


def _required(spec: DesignSpec, source: str, value: float | None, name: str) -> float:
    if value is None:
        hint = " (or run `adaptive-pilot calibrate` on this file)" if spec.calibration else ""
        raise InputError(_field(source, name), f"is required to build the design{hint}")
    return value


def _bayesian_design(
    spec: DesignSpec, source: str, prior: BetaPrior | BetaMixturePrior
) -> BayesianDesign:
    rule = spec.rule
    n_max = _n_max(spec, source)
    looks = _looks(spec, n_max)
    p0 = _hypotheses(spec).p0
    built: PosteriorRule | PosteriorVsStandardRule | PredictiveRule | BOP2Rule | DualRule
    if isinstance(rule, PosteriorVsStandardRuleSpec):
        built = PosteriorVsStandardRule(
            p0,
            prior,
            BetaPrior(rule.standard.a, rule.standard.b),
            _required(spec, source, rule.theta_final, "rule.theta_final"),
            rule.theta_futility,
            rule.theta_efficacy,
            margin=rule.margin,
        )
    elif isinstance(rule, PosteriorRuleSpec):
        built = PosteriorRule(
            p0,
            prior,
            _required(spec, source, rule.theta_final, "rule.theta_final"),
            rule.theta_futility,
            rule.theta_efficacy,
        )
    elif isinstance(rule, PredictiveRuleSpec):
        built = PredictiveRule(
            p0,
            prior,
            n_max,
            _required(spec, source, rule.theta_t, "rule.theta_t"),
            rule.theta_l,
            rule.theta_u,
        )
    elif isinstance(rule, DualRuleSpec):
        built = _dual_rule(spec, source, prior, n_max)
    else:
        assert isinstance(rule, BOP2RuleSpec)
        built = BOP2Rule(
            p0,
            prior,
            n_max,
            _required(spec, source, rule.lambda_, "rule.lambda"),
            _required(spec, source, rule.gamma, "rule.gamma"),
            rule.efficacy,
            rule.eta,
        )
    try:
        design = BayesianDesign(
            built, looks, _as_tuple(spec.futility_on), _as_tuple(spec.efficacy_on)
        )
        design.boundary_table  # noqa: B018 - compiled here, once, so its errors name the file
    except InputError as error:
        raise InputError(_field(source, error.field), error.message) from None
    return design


def _dual_rule(
    spec: DesignSpec, source: str, prior: BetaPrior | BetaMixturePrior, n_max: int
) -> DualRule:
    """A Go / Consider / No-Go rule; LRV and TV default to the hypotheses' p0 and p1."""
    rule = spec.rule
    assert isinstance(rule, DualRuleSpec)
    hint = " (e.g. go: 'P(p > LRV) > 0.9 and P(p > TV) > 0.5', nogo: 'P(p < TV) > 0.9')"
    for name in ("go", "nogo"):
        if getattr(rule, name) is None:
            raise InputError(_field(source, f"rule.{name}"), f"is required{hint}")
    try:
        return DualRule(
            prior,
            _hypotheses(spec).p0 if rule.lrv is None else rule.lrv,
            rule.go,  # type: ignore[arg-type]
            rule.nogo,  # type: ignore[arg-type]
            tv=_hypotheses(spec).p1 if rule.tv is None else rule.tv,
            interim=rule.interim,
            n_max=n_max,
            pp_go=rule.pp_go,
            pp_nogo=rule.pp_nogo,
        )
    except InputError as error:
        raise InputError(_field(source, f"rule.{error.field}"), error.message) from None


def _toxicity_rule(spec: DesignSpec, source: str, looks: tuple[int, ...]) -> ToxicityRule | None:
    """The toxicity rule on its looks (default: the efficacy looks)."""
    tox = spec.toxicity
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
                _field(source, "toxicity.looks"),
                f"look {tox_looks[-1]} is beyond the maximum sample size N = {n_max}",
            )
    return ToxicityRule(tox.threshold, tox.probability, tox.prior.build(), tox_looks)


def _rule_complete(spec: DesignSpec) -> bool:
    """Whether the file's BOP2 rule has its lambda and gamma (and eta when needed)."""
    rule = spec.rule
    assert isinstance(rule, BOP2RuleSpec)
    return (
        rule.lambda_ is not None
        and rule.gamma is not None
        and (rule.efficacy != "power" or rule.eta is not None)
    )


def _endpoint_rule(
    spec: DesignSpec,
    source: str,
    *,
    lam: float | None = None,
    gamma: float | None = None,
    eta: float | None = None,
) -> MultiEndpointRule:
    """The outcome section's rule; ``lam``/``gamma``/``eta`` stand in for missing values
    (a calibration replaces them)."""
    outcome, rule = spec.outcome, spec.rule
    assert isinstance(outcome, OutcomeSpec) and isinstance(rule, BOP2RuleSpec)
    null = outcome.scenarios("nulls")
    first = dict(zip(outcome.names, next(iter(null.values())), strict=True))
    concentration = outcome.prior or first
    if outcome.prior is None and min(concentration.values()) <= 0:
        zero = min(concentration, key=lambda c: concentration[c])
        raise InputError(
            _field(source, "outcome.prior"),
            f"is needed: the default prior (the first null scenario on one patient) has "
            f"{zero} = 0, and Dirichlet concentrations must be positive",
        )
    prior = DirichletPrior(tuple(outcome.names), tuple(concentration[c] for c in outcome.names))
    endpoints = []
    for name, e in outcome.endpoints.items():
        threshold = e.threshold
        if threshold is None:
            threshold = sum(first[c] for c in e.categories)
        try:
            endpoints.append(RuleEndpoint(name, tuple(e.categories), threshold, e.better))
        except InputError as error:
            raise InputError(
                _field(source, f"outcome.{error.field}"),
                error.message
                + (
                    " (its default threshold is its rate under the first null)"
                    if e.threshold is None
                    else ""
                ),
            ) from None
    n_max = _n_max(spec, source)
    value_lam = rule.lambda_ if rule.lambda_ is not None else lam
    value_gamma = rule.gamma if rule.gamma is not None else gamma
    value_eta = rule.eta if rule.eta is not None else (eta if rule.efficacy == "power" else None)
    try:
        return MultiEndpointRule(
            prior,
            tuple(endpoints),
            outcome.require,
            n_max,
            _required(spec, source, value_lam, "rule.lambda"),
            _required(spec, source, value_gamma, "rule.gamma"),
            rule.efficacy,
            value_eta,
        )
    except InputError as error:
        field = error.field if error.field.startswith("rule.") else f"outcome.{error.field}"
        if error.field in ("lambda", "gamma", "eta", "efficacy"):
            field = f"rule.{error.field}"
        raise InputError(_field(source, field), error.message) from None


def _endpoint_design(spec: DesignSpec, source: str) -> MultiEndpointDesign:
    """The multi-endpoint design of a file with an outcome section."""
    rule = _endpoint_rule(spec, source)
    looks = _looks(spec, _n_max(spec, source))
    try:
        design = MultiEndpointDesign(
            rule, looks, _as_tuple(spec.futility_on), _as_tuple(spec.efficacy_on)
        )
        _ = design.bounds  # compiled once, here: a rule that makes no design is refused now
    except InputError as error:
        field = error.field if "." in error.field else f"rule.{error.field}"
        raise InputError(_field(source, field), error.message) from None
    return design


def _simon_table(spec: DesignSpec, rule: SimonRuleSpec) -> BoundaryTable:
    if rule.search is None:
        n1, n, r1, r = rule.n1, rule.n, rule.r1, rule.r
        assert n1 is not None and n is not None and r1 is not None and r is not None
        return BoundaryTable(looks=(n1, n), futility=(r1, r), efficacy=(n1 + 1, r + 1))
    hyp, errors = _hypotheses(spec), spec.errors
    search = simon_designs(
        hyp.p0,
        hyp.p1,
        errors.alpha,
        errors.beta,
        n_max=rule.search.n_max,
        convention=rule.search.convention,
    )
    chosen = {
        "optimal": search.optimal,
        "minimax": search.minimax,
        "admissible": search.admissible_at(0.5),
    }[rule.search.kind]
    return chosen.boundary_table()
