"""Scenario files: true response (and toxicity) rates per cohort, one block per scenario.

Example (YAML)::

    design: ../designs/motivating_trial.yaml   # informative only
    scenarios:
      - name: global-null
        description: no subtype responds above p0
        response: 0.05                 # one rate for every cohort
        toxicity: 0.15
      - name: G12D-active
        response: {G12C: 0.05, G12D: 0.20, G12V: 0.05, other: 0.05}
        toxicity: 0.15
        odds_ratio: 2.0                # response-toxicity odds ratio (default: the
                                       # design's toxicity.odds_ratio, else 1)
      - name: assurance
        response: design_prior         # each trial draws its rates from the design
                                       # file's design_prior: Bayesian OC with MCSE
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from ..cohorts.trial import TrialDesign
from ..errors import InputError
from ..oc.endpoints import category_row
from ..simulation.scenarios import EndpointScenario, Scenario
from ..simulation.survival import EventTimeModel, SurvivalScenario
from .reading import read_validated

__all__ = ["load_endpoint_scenarios", "load_scenarios"]

Rate = Annotated[float, Field(ge=0, le=1)]
OddsRatio = Annotated[float, Field(ge=0.01, le=100)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


Months = Annotated[float, Field(gt=0, le=600)]


class EventTimeSpec(_Spec):
    """One endpoint's event times: the cohort's median, the distribution, responders' HR."""

    median: Months
    distribution: Literal["exponential", "weibull", "piecewise"] = "exponential"
    shape: Annotated[float, Field(ge=0.05, le=20)] = 1.0
    breaks: list[Months] | None = None
    hazard_ratios: list[Annotated[float, Field(gt=0, le=1000)]] | None = None
    hr_responders: Annotated[float, Field(ge=0.01, le=100)] = 1.0


def _one_or_per_cohort(value: Any) -> str:
    """A model for every cohort has a median; otherwise the keys are cohort names."""
    if isinstance(value, dict) and "median" not in value:
        return "per-cohort"
    return "one-model"


EventTimes = Annotated[
    Annotated[EventTimeSpec, Tag("one-model")]
    | Annotated[dict[str, EventTimeSpec], Tag("per-cohort")],
    Discriminator(_one_or_per_cohort),
]


class SurvivalSpec(_Spec):
    """PFS (and OS) of a scenario: one model for every cohort or one per cohort name."""

    pfs: EventTimes
    os: EventTimes | None = None
    dropout: Annotated[float, Field(ge=0, le=10)] = 0.0
    scan_every: Annotated[float, Field(ge=0, le=60)] = 0.0
    follow_up: Annotated[float, Field(ge=0, le=240)] = 0.0
    landmark: Annotated[float, Field(gt=0, le=240)] = 6.0


class ScenarioSpec(_Spec):
    """One scenario: true rates, one number for all cohorts or one per cohort name."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    response: Rate | dict[str, Rate] | Literal["design_prior"]
    toxicity: Rate | dict[str, Rate] | None = None
    odds_ratio: OddsRatio | dict[str, OddsRatio] | None = None
    survival: SurvivalSpec | None = None


class ScenarioFileSpec(_Spec):
    """A scenario file."""

    design: str | None = None
    scenarios: Annotated[list[ScenarioSpec], Field(min_length=1)]


def load_scenarios(path: str | Path, trial: TrialDesign) -> list[Scenario]:
    """Read and validate a scenario file against the trial's cohorts.

    Raises
    ------
    InputError
        One line naming the file, line and key: unknown or missing cohort names,
        rates outside [0, 1], repeated scenario names, a toxicity rate for a
        trial that monitors no toxicity.
    """
    path = Path(path)
    spec, _, _ = read_validated(path, "scenario file", ScenarioFileSpec)
    names = trial.cohort_names
    out = []
    for item, where in _named(spec.scenarios, path):
        priors = None
        if item.response == "design_prior":
            priors = _design_priors(trial, item, f"{where}.response")
            response = np.array([prior.mean for prior in priors])
        else:
            response = _per_cohort(item.response, names, f"{where}.response")
        toxicity = None
        if item.toxicity is not None:
            if not trial.monitors_toxicity:
                raise InputError(
                    f"{where}.toxicity",
                    "sets a toxicity rate, but the design has no toxicity rule; "
                    "add a toxicity section to the design or remove the rate",
                )
            toxicity = _per_cohort(item.toxicity, names, f"{where}.toxicity")
        if item.odds_ratio is not None:
            if toxicity is None:
                raise InputError(
                    f"{where}.odds_ratio",
                    "links response and toxicity, but the scenario sets no toxicity rate",
                )
            odds = _per_cohort(item.odds_ratio, names, f"{where}.odds_ratio")
        else:
            odds = np.array([c.odds_ratio for c in trial.cohorts])
        if priors is not None:  # rates drawn per trial: toxicity independent of response
            odds = np.ones(len(names))
        survival = None
        if item.survival is not None:
            survival = _survival(item.survival, names, f"{where}.survival")
        out.append(
            Scenario(item.name, response, toxicity, item.description, odds, survival, priors)
        )
    return out


Cells = dict[str, Rate]


class EndpointScenarioSpec(_Spec):
    """One scenario of a design on several endpoints: category probabilities for every
    cohort, or per cohort name."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    cells: Cells | dict[str, Cells]


class EndpointScenarioFileSpec(_Spec):
    """A scenario file for a design with an outcome section."""

    design: str | None = None
    scenarios: Annotated[list[EndpointScenarioSpec], Field(min_length=1)]


def load_endpoint_scenarios(
    path: str | Path, cohorts: Sequence[str], categories: Sequence[str]
) -> list[EndpointScenario]:
    """Read a scenario file of category probabilities (``cells``) per cohort.

    Example (YAML)::

        scenarios:
          - name: G12C-active
            cells:
              G12C: {OR+T: 0.05, OR: 0.20, SD+T: 0.06, SD: 0.24, PD+T: 0.09, PD: 0.36}
              G12D: {OR+T: 0.035, OR: 0.065, ...}

    Raises
    ------
    InputError
        One line naming the file, line and key: unknown or missing cohorts or
        categories, probabilities that do not sum to 1, repeated scenario names.
    """
    path = Path(path)
    spec, _, _ = read_validated(path, "scenario file", EndpointScenarioFileSpec)
    names = tuple(cohorts)
    out = []
    for item, where in _named(spec.scenarios, path):
        value = item.cells
        if all(isinstance(v, dict) for v in value.values()):
            _check_names(value, names, f"{where}.cells", "category probabilities")
            rows = [category_row(categories, value[n], f"{where}.cells.{n}") for n in names]  # type: ignore[arg-type]
        else:
            rows = [category_row(categories, value, f"{where}.cells")] * len(names)
        out.append(EndpointScenario(item.name, np.array(rows), item.description))
    return out


def _named[T: (ScenarioSpec, EndpointScenarioSpec)](
    items: Sequence[T], path: Path
) -> Iterator[tuple[T, str]]:
    """Each scenario with where it is in the file; a repeated name is refused."""
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{path}: scenarios[{i}] ({item.name})"
        if item.name in seen:
            raise InputError(where, f"repeats the scenario name '{item.name}'")
        seen.add(item.name)
        yield item, where


def _design_priors(trial: TrialDesign, item: ScenarioSpec, field: str) -> tuple[Any, ...]:
    """Each cohort's design prior, for a scenario whose rates are drawn per trial."""
    missing = [c.name for c in trial.cohorts if c.design is None or c.design.design_prior is None]
    if missing:
        raise InputError(
            field,
            "design_prior draws each trial's rates from the design file's design_prior, which "
            f"is missing for cohort(s) {', '.join(missing)}: add design_prior: {{a: .., b: ..}}",
        )
    if item.survival is not None:
        raise InputError(
            f"{field}", "design_prior cannot be combined with survival in one scenario"
        )
    if item.odds_ratio is not None and np.any(np.asarray(
        list(item.odds_ratio.values()) if isinstance(item.odds_ratio, dict) else item.odds_ratio
    ) != 1.0):  # fmt: skip
        raise InputError(
            f"{field}", "design_prior draws response rates per trial; toxicity is then "
            "independent of response (remove odds_ratio)",
        )  # fmt: skip
    return tuple(c.design.design_prior for c in trial.cohorts if c.design is not None)


def _survival(spec: SurvivalSpec, names: tuple[str, ...], field: str) -> SurvivalScenario:
    def models(
        value: EventTimeSpec | dict[str, EventTimeSpec], key: str
    ) -> tuple[EventTimeModel, ...]:
        if isinstance(value, dict):
            _check_names(value, names, f"{field}.{key}")
            specs = [value[n] for n in names]
        else:
            specs = [value] * len(names)
        out = []
        for name, s in zip(names, specs, strict=True):
            try:
                out.append(
                    EventTimeModel(
                        s.median,
                        s.distribution,
                        s.shape,
                        tuple(s.breaks or ()),
                        tuple(s.hazard_ratios or ()),
                        s.hr_responders,
                    )
                )
            except InputError as error:
                where = f"{field}.{key}" + (f".{name}" if isinstance(value, dict) else "")
                raise InputError(f"{where}.{error.field}", error.message) from None
        return tuple(out)

    return SurvivalScenario(
        models(spec.pfs, "pfs"),
        None if spec.os is None else models(spec.os, "os"),
        spec.dropout,
        spec.scan_every,
        spec.follow_up,
        spec.landmark,
    )


def _check_names(
    value: Mapping[str, object], names: tuple[str, ...], field: str, what: str = "value"
) -> None:
    """Every cohort named once, and no other name."""
    unknown = [k for k in value if k not in names]
    if unknown:
        raise InputError(
            field, f"names unknown cohort '{unknown[0]}'; the design's cohorts: {', '.join(names)}"
        )
    missing = [n for n in names if n not in value]
    if missing:
        raise InputError(field, f"has no {what} for cohort(s): {', '.join(missing)}")


def _per_cohort(value: float | dict[str, float], names: tuple[str, ...], field: str) -> np.ndarray:
    if not isinstance(value, dict):
        return np.full(len(names), float(value))
    _check_names(value, names, field, "rate")
    return np.array([float(value[n]) for n in names])
