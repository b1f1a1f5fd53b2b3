"""Design files (YAML or TOML): schema, loading and resolution into designs.

A design file describes the hypotheses, the prior, the stopping rule and its
thresholds, the look schedule, an optional toxicity rule and optional
calibration grids. It is validated with pydantic; unknown keys are rejected
with a "did you mean" suggestion, and errors name the file, the line (YAML)
and the key. :func:`json_schema` exports the schema for editors.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .designs.bayesian import BayesianDesign
from .designs.boundary_table import BoundaryTable
from .designs.calibration import grid as make_grid
from .designs.looks import look_schedule
from .designs.simon import simon_designs
from .errors import InputError
from .priors import BetaMixturePrior, BetaPrior, prior_from_historical
from .rules.bop2 import BOP2Rule
from .rules.posterior import PosteriorRule
from .rules.predictive import PredictiveRule
from .rules.toxicity import ToxicityRule

__all__ = ["DesignSpec", "ResolvedDesign", "json_schema", "load_design_file"]

Probability = Annotated[float, Field(gt=0, lt=1)]
ClosedProbability = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=1)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ------------------------------------------------------------------ pieces
class EndpointSpec(_Spec):
    """The primary binary endpoint."""

    name: str = "response"
    definition: str = ""


class HypothesesSpec(_Spec):
    """Null (uninteresting) and target response rates."""

    p0: Probability
    p1: Probability

    @model_validator(mode="after")
    def _ordered(self) -> HypothesesSpec:
        if self.p0 >= self.p1:
            raise ValueError(f"p1 must be greater than p0 (got p0={self.p0:g}, p1={self.p1:g})")
        return self


class ErrorsSpec(_Spec):
    """Error targets: type I error alpha at p0, type II error beta at p1."""

    alpha: Probability = 0.05
    beta: Probability = 0.20


class BetaSpec(_Spec):
    """A Beta(a, b) distribution."""

    a: Positive
    b: Positive


class MixtureComponentSpec(_Spec):
    """One weighted Beta component of a mixture prior."""

    weight: Annotated[float, Field(ge=0)]
    a: Positive
    b: Positive


class HistoricalSpec(_Spec):
    """Power prior from historical data: Beta(a0 + w x, b0 + w (n - x))."""

    x: Annotated[int, Field(ge=0)]
    n: Count
    weight: ClosedProbability = 1.0
    base: BetaSpec = BetaSpec(a=1.0, b=1.0)

    @model_validator(mode="after")
    def _x_within_n(self) -> HistoricalSpec:
        if self.x > self.n:
            raise ValueError(f"x must not exceed n (got x={self.x}, n={self.n})")
        return self


class PriorSpec(_Spec):
    """A prior: give a and b, or a mixture, or historical data."""

    a: Positive | None = None
    b: Positive | None = None
    mixture: list[MixtureComponentSpec] | None = None
    historical: HistoricalSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> PriorSpec:
        kinds = [
            self.a is not None or self.b is not None,
            self.mixture is not None,
            self.historical is not None,
        ]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of: a and b, mixture, historical")
        if kinds[0] and (self.a is None or self.b is None):
            raise ValueError("a Beta prior needs both a and b")
        if self.mixture is not None and not self.mixture:
            raise ValueError("a mixture needs at least one component")
        return self

    def build(self) -> BetaPrior | BetaMixturePrior:
        """The prior object."""
        if self.mixture is not None:
            return BetaMixturePrior(
                [BetaPrior(c.a, c.b) for c in self.mixture], [c.weight for c in self.mixture]
            )
        if self.historical is not None:
            h = self.historical
            return prior_from_historical(h.x, h.n, h.weight, BetaPrior(h.base.a, h.base.b))
        return BetaPrior(self.a, self.b)  # type: ignore[arg-type]


class LooksSpec(_Spec):
    """A look schedule: every k patients (from ``first``) or continuous from ``first``."""

    every: Count | None = None
    first: Count | None = None

    @model_validator(mode="after")
    def _something(self) -> LooksSpec:
        if self.every is None and self.first is None:
            raise ValueError(
                "give every (and optionally first), or first for continuous monitoring"
            )
        return self


class GridSpec(_Spec):
    """An inclusive grid: from, to, by."""

    from_: float = Field(alias="from")
    to: float
    by: Positive

    @model_validator(mode="after")
    def _ordered(self) -> GridSpec:
        if self.to < self.from_:
            raise ValueError(f"'to' must not be below 'from' (got from={self.from_}, to={self.to})")
        return self

    def values(self) -> tuple[float, ...]:
        return make_grid(self.from_, self.to, self.by)


Grid = list[float] | GridSpec


def _grid_values(value: Grid) -> tuple[float, ...]:
    return value.values() if isinstance(value, GridSpec) else tuple(value)


# ------------------------------------------------------------------ rules
class SimonSearchSpec(_Spec):
    """Search a Simon design from the hypotheses and error targets."""

    kind: Literal["optimal", "minimax"] = "optimal"
    nmax: Annotated[int, Field(ge=2, le=2000)] = 100
    convention: Literal["clinfun", "inclusive"] = "clinfun"


class SimonRuleSpec(_Spec):
    """Simon two-stage rule: explicit r1/n1, r/n, or a search."""

    type: Literal["simon"]
    r1: Annotated[int, Field(ge=0)] | None = None
    n1: Count | None = None
    r: Annotated[int, Field(ge=0)] | None = None
    n: Count | None = None
    search: SimonSearchSpec | None = None

    @model_validator(mode="after")
    def _explicit_or_search(self) -> SimonRuleSpec:
        explicit = [v is not None for v in (self.r1, self.n1, self.r, self.n)]
        if self.search is None and not all(explicit):
            raise ValueError("give r1, n1, r and n, or a search section")
        if self.search is not None and any(explicit):
            raise ValueError("give either r1, n1, r, n or a search section, not both")
        if all(explicit) and not (
            self.n1 < self.n and self.r1 < self.n1 and self.r1 <= self.r < self.n
        ):  # type: ignore[operator]
            raise ValueError("needs n1 < n, r1 < n1 and r1 <= r < n")
        return self


class PosteriorRuleSpec(_Spec):
    """Posterior-probability rule (Thall & Simon 1994)."""

    type: Literal["posterior"]
    theta_final: Probability | None = None
    theta_futility: Probability | None = None
    theta_efficacy: Probability | None = None


class PredictiveRuleSpec(_Spec):
    """Predictive-probability rule (Lee & Liu 2008)."""

    type: Literal["predictive"]
    theta_t: Probability | None = None
    theta_l: Probability | None = None
    theta_u: Probability | None = None


class BOP2RuleSpec(_Spec):
    """BOP2 rule (Zhou, Lee & Yuan 2017), optional efficacy stop (BOP2-FE)."""

    type: Literal["bop2"]
    lambda_: Probability | None = Field(default=None, alias="lambda")
    gamma: Positive | None = None
    efficacy: Literal["power", "obrien-fleming"] | None = None
    eta: Positive | None = None


RuleSpec = Annotated[
    SimonRuleSpec | PosteriorRuleSpec | PredictiveRuleSpec | BOP2RuleSpec,
    Field(discriminator="type"),
]


class ToxicitySpec(_Spec):
    """Toxicity co-monitoring: stop if P(p_tox > threshold | data) > probability."""

    threshold: Probability
    probability: Probability
    prior: PriorSpec = PriorSpec(a=1.0, b=1.0)
    looks: list[Count] | LooksSpec | None = None
    evaluate_at: list[ClosedProbability] | None = None
    odds_ratio: Positive = 1.0


# ------------------------------------------------------------- calibration
class PredictiveCalibrationSpec(_Spec):
    """Lee & Liu search grids."""

    n_range: tuple[Count, Count]
    theta_t: Grid
    theta_l: Grid
    first_look: Count
    every: Count = 1
    theta_u: Probability | None = None


class BOP2CalibrationSpec(_Spec):
    """BOP2 search grids."""

    lambda_: Grid = Field(alias="lambda")
    gamma: Grid
    eta: Grid | None = None


class CalibrationSpec(_Spec):
    """Calibration grids (one method)."""

    predictive: PredictiveCalibrationSpec | None = None
    bop2: BOP2CalibrationSpec | None = None

    @model_validator(mode="after")
    def _one(self) -> CalibrationSpec:
        if (self.predictive is None) == (self.bop2 is None):
            raise ValueError("give exactly one of: predictive, bop2")
        return self


# ------------------------------------------------------------ multi-cohort
class CohortSpec(_Spec):
    """One cohort (e.g. one KRAS subtype) of a multi-cohort trial.

    ``design`` holds keys of the single-cohort design that differ for this cohort
    (merged over the top-level design); ``max_size`` sets its N.
    """

    name: Annotated[str, Field(min_length=1)]
    prevalence: Annotated[float, Field(gt=0, le=1)] | None = None
    allocation: Positive | None = None
    max_size: Count | None = None
    design: dict[str, Any] | None = None


class AccrualSpec(_Spec):
    """Accrual: Poisson arrivals, response-assessment delay and maximum duration (months)."""

    rate: Positive
    allocation: Literal["prevalence", "fixed"] = "prevalence"
    assessment_delay: Annotated[float, Field(ge=0)] = 0.0
    max_duration: Positive | None = None


LookThresholds = Probability | list[Probability | None] | None


class BorrowingSpec(_Spec):
    """How cohorts are analysed: independently, or with a Bayesian hierarchical model.

    Hierarchical decisions use P(p_j > p0_j | all cohorts' data) at each cohort's looks:
    stop for futility if it is below ``futility`` (interim looks), stop for efficacy if
    it is at least ``efficacy`` (interim looks), and GO at the final look if it is at
    least ``go``. Thresholds are one number or one per interim look (null: no stop).
    """

    model: Literal["independent", "hierarchical"] = "independent"
    mu_mean: float | None = None
    mu_sd: Positive = 2.0
    tau_sd: Positive = 1.0
    futility: LookThresholds = None
    efficacy: LookThresholds = None
    go: Probability | None = None

    @model_validator(mode="after")
    def _complete(self) -> BorrowingSpec:
        if self.model == "hierarchical" and self.go is None:
            raise ValueError("hierarchical borrowing needs 'go' (the final-look GO threshold)")
        return self


# ------------------------------------------------------------------ design
class DesignSpec(_Spec):
    """A single-cohort design file."""

    name: str = "design"
    title: str = ""
    endpoint: EndpointSpec = EndpointSpec()
    hypotheses: HypothesesSpec
    errors: ErrorsSpec = ErrorsSpec()
    prior: PriorSpec = PriorSpec(a=1.0, b=1.0)
    n_max: Count | None = None
    looks: list[Count] | LooksSpec | None = None
    futility_on: list[bool] | None = None
    efficacy_on: list[bool] | None = None
    rule: RuleSpec
    toxicity: ToxicitySpec | None = None
    calibration: CalibrationSpec | None = None
    cohorts: list[CohortSpec] | None = None
    accrual: AccrualSpec | None = None
    borrowing: BorrowingSpec = BorrowingSpec()

    @model_validator(mode="after")
    def _cohorts_consistent(self) -> DesignSpec:
        if not self.cohorts:
            return self
        names = [c.name for c in self.cohorts]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"cohort names must be unique (repeated: {', '.join(duplicated)})")
        allocation = self.accrual.allocation if self.accrual else "prevalence"
        key = "prevalence" if allocation == "prevalence" else "allocation"
        missing = [c.name for c in self.cohorts if getattr(c, key) is None]
        if missing:
            raise ValueError(f"every cohort needs '{key}' (missing for: {', '.join(missing)})")
        if key == "prevalence":
            total = sum(c.prevalence for c in self.cohorts)  # type: ignore[misc]
            if abs(total - 1.0) > 1e-6:
                parts = ", ".join(f"{c.name} {c.prevalence:g}" for c in self.cohorts)
                raise ValueError(f"cohort prevalences must sum to 1 (got {total:g}: {parts})")
        return self


# ------------------------------------------------------------------ resolved
class ResolvedDesign:
    """A validated design file turned into objects the engine uses."""

    def __init__(self, spec: DesignSpec, source: str = "", yaml_root: Any = None) -> None:
        self.spec = spec
        self.source = source
        self.prior = spec.prior.build()
        self._yaml_root = yaml_root

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
                raise _one_line(
                    error, Path(self.source or "design"), self._yaml_root, ("cohorts", i, "design")
                ) from None
            out.append((cohort, ResolvedDesign(spec, f"{self.source}: cohorts[{i}] {cohort.name}")))
        return out

    @property
    def rule_type(self) -> str:
        """``simon``, ``posterior``, ``predictive`` or ``bop2``."""
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

    def bayesian_design(self) -> BayesianDesign:
        """The Bayesian design (not for Simon rules)."""
        rule = self.spec.rule
        if isinstance(rule, SimonRuleSpec):
            raise InputError(self._field("rule.type"), "a Simon rule is not a Bayesian design")
        n_max = self.n_max()
        looks = self.looks(n_max)
        p0 = self.spec.hypotheses.p0
        if isinstance(rule, PosteriorRuleSpec):
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
            return BayesianDesign(built, looks, self.spec.futility_on, self.spec.efficacy_on)
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
            return BoundaryTable(
                looks=(rule.n1, rule.n),  # type: ignore[arg-type]
                futility=(rule.r1, rule.r),  # type: ignore[arg-type]
                efficacy=(None, rule.r + 1),  # type: ignore[operator]
            )
        hyp, errors = self.spec.hypotheses, self.spec.errors
        search = simon_designs(
            hyp.p0,
            hyp.p1,
            errors.alpha,
            errors.beta,
            nmax=rule.search.nmax,
            convention=rule.search.convention,
        )
        chosen = search.optimal if rule.search.kind == "optimal" else search.minimax
        return chosen.boundary_table()

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
                "theta_t": _grid_values(c.theta_t),
                "theta_l": _grid_values(c.theta_l),
                "first_look": c.first_look,
                "every": c.every,
                "theta_u": c.theta_u,
            }
        c = cal.bop2  # type: ignore[assignment]
        rule = self.spec.rule
        efficacy = rule.efficacy if isinstance(rule, BOP2RuleSpec) else None
        if efficacy == "power" and c.eta is None:
            raise InputError(
                self._field("calibration.bop2.eta"),
                "is required for the power-form efficacy cut-off",
            )
        return {
            "method": "bop2",
            "lam": _grid_values(c.lambda_),
            "gamma": _grid_values(c.gamma),
            "efficacy": efficacy,
            "eta": None if c.eta is None else _grid_values(c.eta),
        }


# ------------------------------------------------------------------ loading
def json_schema() -> dict[str, Any]:
    """JSON Schema of the design file, for editors."""
    return DesignSpec.model_json_schema(by_alias=True)


def load_design_file(path: str | Path) -> ResolvedDesign:
    """Read, validate and resolve a YAML (.yaml/.yml) or TOML (.toml) design file.

    Raises
    ------
    InputError
        One-line, naming the file, the line (YAML) and the key at fault.
    """
    path = Path(path)
    data, root = read_document(path, "design file")
    try:
        spec = DesignSpec.model_validate(data)
    except ValidationError as error:
        raise _one_line(error, path, root) from None
    return ResolvedDesign(spec, source=str(path), yaml_root=root)


def read_document(path: Path, what: str) -> tuple[dict[str, Any], Any]:
    """Read a YAML or TOML file into a mapping (and the YAML node tree, for line numbers)."""
    if not path.is_file():
        raise InputError(what, f"{path} does not exist")
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise InputError(str(path), f"is not valid TOML: {error}") from None
        root = None
    elif suffix in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
            problem = getattr(error, "problem", None) or str(error).splitlines()[0]
            raise InputError(where, f"is not valid YAML: {problem}") from None
    else:
        raise InputError(str(path), "must end in .yaml, .yml or .toml")
    if not isinstance(data, dict):
        raise InputError(str(path), "must be a mapping of keys to values at the top level")
    return data, root


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and "type" not in value:
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _one_line(
    error: ValidationError,
    path: Path,
    root: Any,
    prefix: tuple[Any, ...] = (),
    model: type[BaseModel] | None = None,
) -> InputError:
    errors = error.errors()
    # A misspelt key also shows up as a missing one: report the misspelling.
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    loc = [str(part) for part in (*prefix, *first["loc"])]
    key_path = _readable_path(loc)
    line = _yaml_line(root, (*prefix, *first["loc"]))
    where = f"{path}:{line}" if line else str(path)
    if first["type"] == "extra_forbidden":
        allowed = _allowed_keys(first["loc"][:-1], model or DesignSpec)
        unknown = loc[-1]
        message = f"unknown key '{unknown}'"
        close = difflib.get_close_matches(unknown, allowed, n=1)
        if close:
            message += f"; did you mean '{close[0]}'?"
        if allowed:
            message += f" (allowed: {', '.join(allowed)})"
        return InputError(f"{where}: {key_path}", message)
    if first["type"] == "union_tag_invalid":
        tag = first.get("input", {}).get("type") if isinstance(first.get("input"), dict) else None
        expected = ["simon", "posterior", "predictive", "bop2"]
        message = f"unknown rule type {tag!r}; allowed: {', '.join(expected)}"
        close = difflib.get_close_matches(str(tag), expected, n=1)
        if close:
            message += f"; did you mean '{close[0]}'?"
        return InputError(f"{where}: {key_path}.type", message)
    message = first["msg"].removeprefix("Value error, ")
    return InputError(f"{where}: {key_path or '(top level)'}", message)


def _readable_path(loc: list[str]) -> str:
    tags = {"simon", "posterior", "predictive", "bop2", "list[float]", "GridSpec", "LooksSpec"}
    parts: list[str] = []
    for part in loc:
        if part in tags or part.startswith(("list[", "tuple[")):
            continue
        if part.isdigit() and parts:
            parts[-1] += f"[{part}]"
        else:
            parts.append(part)
    return ".".join(parts)


def _allowed_keys(loc: tuple[Any, ...], model: type[BaseModel]) -> list[str]:
    """Keys allowed at a location, read from the JSON Schema."""
    schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    node: dict[str, Any] = schema

    def resolve(n: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in n:
            n = defs[n["$ref"].split("/")[-1]]
        return n

    node = resolve(node)
    for part in loc:
        node = resolve(node)
        if "properties" in node and part in node["properties"]:
            node = resolve(node["properties"][part])
            if "anyOf" in node:
                objects = [resolve(o) for o in node["anyOf"] if "$ref" in o or "properties" in o]
                if len(objects) == 1:
                    node = objects[0]
            continue
        options = node.get("oneOf") or node.get("anyOf") or []
        mapping = node.get("discriminator", {}).get("mapping", {})
        if part in mapping:
            node = resolve({"$ref": mapping[part]})
            continue
        matching = [resolve(o) for o in options if part in resolve(o).get("properties", {})]
        if isinstance(part, int) and "items" in node:
            node = resolve(node["items"])
        elif matching:
            node = resolve(matching[0]["properties"][part])
    return sorted(node.get("properties", {}))


def _yaml_line(root: Any, loc: tuple[Any, ...]) -> int | None:
    """1-based line of the deepest YAML node on the error's path."""
    if root is None:
        return None
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == part:
                    line = key.start_mark.line + 1
                    node = value
                    break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line
