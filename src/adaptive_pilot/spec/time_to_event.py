"""A design file's ``time_to_event`` section resolved into engine objects.

The rule (:class:`~adaptive_pilot.rules.survival.SurvivalGoalRule`), the design per
cohort (:class:`~adaptive_pilot.designs.survival_monitoring.SurvivalMonitoringDesign`),
the simulator's cohorts and scenarios. :class:`~adaptive_pilot.spec.resolve.ResolvedDesign`
calls these once and caches them; nothing else reads the section.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from ..cohorts.trial import Accrual
from ..designs.survival_monitoring import SurvivalMonitoringDesign
from ..errors import InputError
from ..priors import GammaPrior
from ..rules.survival import PiecewiseExponential, SurvivalGoalRule
from .schema import DesignSpec, LookThresholds, TimeToEventScenarioSpec, TimeToEventSpec

if TYPE_CHECKING:
    from ..simulation.survival_monitoring import SurvivalMonitoringScenario

__all__ = ["simulator_accrual", "survival_cohorts", "survival_design", "survival_scenarios"]


def _thresholds(value: LookThresholds, looks: int) -> tuple[float, ...]:
    if value is None:
        return (math.nan,) * looks
    if isinstance(value, list):
        return tuple(math.nan if v is None else float(v) for v in value)
    return (float(value),) * looks


def survival_design(
    spec: DesignSpec, source: str, n_max: int | None = None
) -> SurvivalMonitoringDesign:
    """The design the section states (``n_max``: a cohort's own maximum)."""
    tte = spec.time_to_event
    assert tte is not None and spec.n_max is not None
    looks = len(tte.looks.at)
    try:
        rule = SurvivalGoalRule(
            PiecewiseExponential(tte.landmark, tuple(tte.breaks)),
            tte.goal,
            GammaPrior(tte.prior.shape, tte.prior.rate),
            tte.success,
            futility=_thresholds(tte.futility.below, looks),
            futility_on=tte.futility.statistic,
            expected_success=_thresholds(tte.expected_success.above, looks),
            imputations=tte.imputations,
        )
        return SurvivalMonitoringDesign(
            rule,
            n_max if n_max is not None else spec.n_max,
            tte.looks.by,
            tuple(tte.looks.at),
            tte.endpoint,
            tte.target,
        )
    except InputError as error:
        where = f"{source}: time_to_event" if source else "time_to_event"
        raise InputError(f"{where}.{error.field}", error.message) from None


def survival_cohorts(
    spec: DesignSpec, source: str
) -> tuple[tuple[str, float, SurvivalMonitoringDesign], ...]:
    """(name, accrual share, design) per cohort; one cohort, the design's, without a section."""
    if not spec.cohorts:
        return ((spec.name, 1.0, survival_design(spec, source)),)
    allocation = spec.accrual.allocation if spec.accrual else "prevalence"
    out = []
    total = sum(float(c.allocation or 0) for c in spec.cohorts)
    for c in spec.cohorts:
        share = float(c.prevalence) if allocation == "prevalence" else float(c.allocation) / total  # type: ignore[arg-type]
        out.append((c.name, share, survival_design(spec, source, c.max_size)))
    return tuple(out)


def simulator_accrual(spec: DesignSpec, source: str) -> Accrual:
    """The simulator's accrual (an accrual section is needed)."""
    if spec.accrual is None:
        raise InputError(
            f"{source}: accrual" if source else "accrual",
            "simulating a time_to_event design needs an accrual section (rate: patients per month)",
        )
    return Accrual(spec.accrual.rate, spec.accrual.allocation)


def survival_scenarios(spec: DesignSpec, source: str) -> list[SurvivalMonitoringScenario]:
    """The section's scenarios (default: the goal and the target, exponential)."""
    tte = spec.time_to_event
    assert tte is not None
    n_cohorts = len(spec.cohorts or [None])
    items: list[TimeToEventScenarioSpec] = list(tte.scenarios)
    if not items:
        items.append(
            TimeToEventScenarioSpec(
                name="goal",
                survival_at_landmark=tte.goal,
                description="true S(landmark) at the goal",
            )
        )
        if tte.target is not None:
            items.append(
                TimeToEventScenarioSpec(
                    name="target",
                    survival_at_landmark=tte.target,
                    description="true S(landmark) at the target",
                )
            )
    return [scenario_of(item, tte, n_cohorts, source) for item in items]


def scenario_of(
    item: TimeToEventScenarioSpec, tte: TimeToEventSpec, n_cohorts: int, source: str
) -> SurvivalMonitoringScenario:
    """One scenario: an event-time model per cohort."""
    # the simulator's modules load numba: imported when a scenario is built, not before
    from ..simulation.survival import EventTimeModel
    from ..simulation.survival_monitoring import SurvivalMonitoringScenario

    def per_cohort(value: Any) -> list[float]:
        return [float(v) for v in value] if isinstance(value, list) else [float(value)] * n_cohorts

    if item.survival_at_landmark is not None:
        # exponential: S(H) = 2^(-H / median)
        medians = [
            tte.landmark * math.log(2) / -math.log(s) for s in per_cohort(item.survival_at_landmark)
        ]
    else:
        medians = per_cohort(item.median)
    try:
        models = tuple(
            EventTimeModel(
                m, item.distribution, item.shape, tuple(item.breaks), tuple(item.hazard_ratios)
            )
            for m in medians
        )
        return SurvivalMonitoringScenario(
            item.name, models, tte.dropout, tte.scan_every, item.description
        )
    except InputError as error:
        where = f"{source}: time_to_event.scenarios" if source else "time_to_event.scenarios"
        raise InputError(f"{where}.{item.name}.{error.field}", error.message) from None
