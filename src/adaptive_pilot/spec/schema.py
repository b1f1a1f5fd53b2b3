"""The design-file schema (pydantic): hypotheses, prior, rule, looks, toxicity,
calibration, cohorts, accrual and borrowing.

Unknown keys are rejected (with a "did you mean" from :mod:`.reading`), numbers
must be finite, and sizes are bounded: a maximum sample size, a look or a
cohort's ``max_size`` at most 5,000. :func:`json_schema` exports the schema for
editors.
"""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .._limits import PRIOR_RANGES
from ..designs.calibration import grid as make_grid
from ..priors import BetaMixturePrior, BetaPrior, prior_from_historical
from ..rules._common import N_LIMIT

__all__ = ["DesignSpec", "json_schema"]

Probability = Annotated[float, Field(gt=0, lt=1)]
ClosedProbability = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
Count = Annotated[int, Field(ge=1)]
Size = Annotated[int, Field(ge=1, le=N_LIMIT)]


class _Spec(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )


# ------------------------------------------------------------------ pieces
class EndpointSpec(_Spec):
    """The primary binary endpoint.

    ``unconfirmed``: how the interim call treats a CR/PR that the patient file marks as
    not yet confirmed (RECIST 1.1 asks for confirmation in single-arm trials): ``pending``
    (default) waits for the confirmation, ``count`` counts it as a response, ``weighted``
    counts each as confirmed with probability ``confirmation`` (independently; the
    decision statistic is then the mixture over the number confirmed), whose source
    ``confirmation_source`` states.
    """

    name: str = "response"
    definition: str = ""
    unconfirmed: Literal["pending", "count", "weighted"] = "pending"
    confirmation: ClosedProbability | None = None
    confirmation_source: str = ""

    @model_validator(mode="after")
    def _confirmation(self) -> Self:
        if (self.unconfirmed == "weighted") != (self.confirmation is not None):
            raise ValueError(
                "endpoint.unconfirmed: weighted needs endpoint.confirmation (the probability "
                "that an unconfirmed response is confirmed), and confirmation is read only "
                "with weighted"
            )
        if self.unconfirmed == "weighted" and not self.confirmation_source.strip():
            raise ValueError(
                "endpoint.confirmation_source: state where the probability of confirmation "
                "comes from (e.g. the share of first responses confirmed in earlier trials)"
            )
        return self


class OutcomeEndpointSpec(_Spec):
    """One endpoint of a categorical outcome: the categories whose probabilities add up
    to its rate, which way it is better, and the rate it is judged against."""

    categories: Annotated[list[str], Field(min_length=1)]
    better: Literal["higher", "lower"] = "higher"
    #: the rate that is not promising (higher) or not acceptable (lower); default: the
    #: endpoint's rate under the (first) null scenario, as BOP2 sets it
    threshold: Probability | None = None


Cells = dict[str, Annotated[float, Field(ge=0, le=1)]]


class CategorySpec(_Spec):
    """Which patients of a patient file fall in an outcome category: their best overall
    response (RECIST 1.1 codes) and, optionally, whether they had a toxicity event."""

    response: Annotated[list[str], Field(min_length=1)]
    #: true: with a toxicity event; false: without; absent: either
    toxicity: bool | None = None


class OutcomeSpec(_Spec):
    """Several endpoints of one categorical outcome per patient (issue 27).

    Each patient falls in one of ``categories`` (e.g. CR/PR, SD, PD; or response x
    toxicity cells); ``endpoints`` are groups of categories (ORR, DCR, toxicity) and
    ``require`` joins them (``any``, ``all`` or ``(ORR or DCR) and toxicity``). The rule
    is BOP2's on each endpoint's Dirichlet-multinomial posterior. ``nulls`` and
    ``alternatives`` are category probabilities: one scenario, or named scenarios (the
    type I error is the largest P(GO) over the null ones, the power the smallest over
    the alternatives). ``prior`` gives the
    Dirichlet concentrations; by default the first null scenario on an effective sample
    size of one patient, as BOP2 does.
    """

    #: category names, or {name: {response: [codes], toxicity: true or false}} so that the
    #: interim call can put each patient of a patient file in one category
    categories: (
        Annotated[list[str], Field(min_length=2)]
        | Annotated[dict[str, CategorySpec], Field(min_length=2)]
    )
    endpoints: Annotated[dict[str, OutcomeEndpointSpec], Field(min_length=1)]
    require: str = "any"
    nulls: Cells | dict[str, Cells]
    alternatives: Cells | dict[str, Cells]
    prior: dict[str, Positive] | None = None
    #: the CTCAE grade from which a toxicity counts as an event (when no DLT is given)
    toxicity_grade: Annotated[int, Field(ge=1, le=5)] = 3

    @property
    def names(self) -> list[str]:
        """The category names, in order."""
        return list(self.categories)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"outcome categories must be distinct (got {self.names})")
        known = set(self.names)
        for name, endpoint in self.endpoints.items():
            unknown = [c for c in endpoint.categories if c not in known]
            if unknown:
                raise ValueError(
                    f"endpoint {name!r} names {unknown[0]!r}, which is not one of the "
                    f"categories ({', '.join(self.names)})"
                )
        if self.prior is not None and set(self.prior) != known:
            raise ValueError(
                "the outcome prior needs one concentration per category ("
                + ", ".join(self.names)
                + ")"
            )
        self.scenarios("nulls")
        self.scenarios("alternatives")
        definitions = self.definitions()
        if definitions is not None:
            from ..errors import InputError
            from ..patients.categories import check_partition

            try:
                check_partition(definitions, "outcome.categories")
            except InputError as error:
                raise ValueError(error.message) from None
        return self

    def definitions(self) -> dict[str, Any] | None:
        """{category: CategoryDefinition} when the categories say which patients they hold."""
        if not isinstance(self.categories, dict):
            return None
        from ..patients.categories import CategoryDefinition

        return {
            name: CategoryDefinition(
                frozenset(code.strip().upper() for code in c.response), c.toxicity
            )
            for name, c in self.categories.items()
        }

    def scenarios(self, which: str) -> dict[str, list[float]]:
        """{label: category probabilities} of the ``nulls`` or ``alternatives``."""
        value = getattr(self, which)
        single = {"nulls": "null", "alternatives": "alternative"}[which]
        named = value if all(isinstance(v, dict) for v in value.values()) else {single: value}
        out = {}
        for label, cells in named.items():
            from ..errors import InputError
            from ..oc.endpoints import category_row

            try:
                row = category_row(self.names, cells, f"outcome.{which}")
            except InputError as error:
                raise ValueError(f"outcome.{which} scenario {label!r}: {error.message}") from None
            out[label] = [float(v) for v in row]
        return out


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


class _ResponsesOfPatients(_Spec):
    """x responses among n patients: x must not exceed n (shared check)."""

    x: int
    n: int

    @model_validator(mode="after")
    def _x_within_n(self) -> Self:
        if self.x > self.n:
            raise ValueError(f"x must not exceed n (got x={self.x}, n={self.n})")
        return self


class HistoricalSpec(_ResponsesOfPatients):
    """Power prior from historical data: Beta(a0 + w x, b0 + w (n - x))."""

    x: Annotated[int, Field(ge=0)]
    n: Count
    weight: ClosedProbability = 1.0
    base: BetaSpec = BetaSpec(a=1.0, b=1.0)


class MapStudySpec(_ResponsesOfPatients):
    """One historical study of a MAP prior: patients and responses (and a name)."""

    name: str | None = None
    n: Annotated[int, Field(ge=1, le=100_000)]
    x: Annotated[int, Field(ge=0)]


class TauPriorSpec(_Spec):
    """The prior of the between-study SD tau (logit scale): half-normal with this scale."""

    half_normal: Annotated[float, Field(ge=PRIOR_RANGES["tau_sd"][0], le=PRIOR_RANGES["tau_sd"][1])]


class MuPriorSpec(_Spec):
    """The normal prior of mu, the mean logit rate (RBesT's default N(0, 2^2))."""

    mean: Annotated[float, Field(ge=-10, le=10)] = 0.0
    sd: Annotated[float, Field(ge=PRIOR_RANGES["mu_sd"][0], le=PRIOR_RANGES["mu_sd"][1])] = 2.0


class RobustSpec(_Spec):
    """A vague Beta component of mean ``mean`` (worth 2 patients) added at ``weight``."""

    weight: ClosedProbability
    mean: Probability = 0.5


class PriorSpec(_Spec):
    """A prior: a and b, a mixture, historical data (power prior), or a MAP prior.

    ``type: map`` builds a meta-analytic-predictive prior from a list of historical
    studies (``historical: [{name, n, x}, ...]``, ``tau: {half_normal: s}``, optionally
    ``mu: {mean, sd}``); ``robust: {weight, mean}`` robustifies any prior.
    """

    type: Literal["beta", "mixture", "historical", "map"] | None = None
    a: Positive | None = None
    b: Positive | None = None
    mixture: list[MixtureComponentSpec] | None = None
    historical: HistoricalSpec | list[MapStudySpec] | None = None
    tau: TauPriorSpec | None = None
    mu: MuPriorSpec | None = None
    robust: RobustSpec | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> PriorSpec:
        if self.type == "map" or isinstance(self.historical, list):
            if not isinstance(self.historical, list) or not self.historical:
                raise ValueError("a MAP prior needs historical: a list of studies with n and x")
            if self.tau is None:
                raise ValueError(
                    "a MAP prior needs tau: {half_normal: s}, the prior of the between-study "
                    "SD (0.5 moderate, 1 substantial heterogeneity)"
                )
            if self.a is not None or self.b is not None or self.mixture is not None:
                raise ValueError("a MAP prior takes historical, tau, mu and robust only")
            names = [study.name for study in self.historical if study.name is not None]
            if len(set(names)) != len(names):
                raise ValueError("the historical studies' names must differ")
            return self
        if self.tau is not None or self.mu is not None:
            raise ValueError("tau and mu belong to a MAP prior (type: map)")
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
        """The prior object (the MAP prior's Beta mixture; robustified when asked)."""
        if isinstance(self.historical, list):
            return self.map().prior
        prior: BetaPrior | BetaMixturePrior
        if self.mixture is not None:
            prior = BetaMixturePrior(
                [BetaPrior(c.a, c.b) for c in self.mixture], [c.weight for c in self.mixture]
            )
        elif self.historical is not None:
            h = self.historical
            prior = prior_from_historical(h.x, h.n, h.weight, BetaPrior(h.base.a, h.base.b))
        else:
            prior = BetaPrior(self.a, self.b)  # type: ignore[arg-type]
        if self.robust is not None:
            from ..priors import robustify

            return robustify(prior, self.robust.weight, self.robust.mean)
        return prior

    def map(self) -> Any:
        """The :class:`~adaptive_pilot.meta_analytic.MapPrior` of a ``type: map`` prior (cached)."""
        assert isinstance(self.historical, list) and self.tau is not None
        studies = tuple(
            (study.name or f"study {k + 1}", study.n, study.x)
            for k, study in enumerate(self.historical)
        )
        mu = self.mu or MuPriorSpec()
        built = _map(studies, self.tau.half_normal, mu.mean, mu.sd)
        if self.robust is None:
            return built
        return built.robustified(self.robust.weight, self.robust.mean)


@functools.lru_cache(maxsize=16)
def _map(
    studies: tuple[tuple[str, int, int], ...], tau_sd: float, mu_mean: float, mu_sd: float
) -> Any:
    """A MAP prior, built once per process for the same inputs (it takes seconds); its
    robustifications reuse it."""
    from ..meta_analytic import map_prior

    return map_prior(
        [{"name": name, "n": n, "x": x} for name, n, x in studies],
        tau_sd=tau_sd, mu_mean=mu_mean, mu_sd=mu_sd,
    )  # fmt: skip


class LooksSpec(_Spec):
    """A look schedule: every k patients (from ``first``) or continuous from ``first``."""

    every: Size | None = None
    first: Size | None = None

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


def grid_values(value: Grid) -> tuple[float, ...]:
    return value.values() if isinstance(value, GridSpec) else tuple(value)


# ------------------------------------------------------------------ rules
class SimonSearchSpec(_Spec):
    """Search a Simon design from the hypotheses and error targets.

    ``kind``: the optimal design (smallest E[N | p0]), the minimax design (smallest
    N), or the admissible design for q = 1/2 (Jung et al. 2004: the design that
    minimises (N + E[N | p0]) / 2, weighing the two equally).
    """

    kind: Literal["optimal", "minimax", "admissible"] = "optimal"
    n_max: Annotated[int, Field(ge=2, le=2000)] = 100
    convention: Literal["clinfun", "inclusive"] = "clinfun"


class SimonRuleSpec(_Spec):
    """Simon two-stage rule: explicit r1/n1, r/n, or a search."""

    type: Literal["simon"]
    r1: Annotated[int, Field(ge=0)] | None = None
    n1: Size | None = None
    r: Annotated[int, Field(ge=0)] | None = None
    n: Size | None = None
    search: SimonSearchSpec | None = None

    @model_validator(mode="after")
    def _explicit_or_search(self) -> SimonRuleSpec:
        explicit = [v is not None for v in (self.r1, self.n1, self.r, self.n)]
        if self.search is None and not all(explicit):
            raise ValueError("give r1, n1, r and n, or a search section")
        if self.search is not None and any(explicit):
            raise ValueError("give either r1, n1, r, n or a search section, not both")
        r1, n1, r, n = self.r1, self.n1, self.r, self.n
        if (
            r1 is not None
            and n1 is not None
            and r is not None
            and n is not None
            and not (n1 < n and r1 < n1 and r1 <= r < n)
        ):
            raise ValueError("needs n1 < n, r1 < n1 and r1 <= r < n")
        return self


class _PosteriorThresholdsSpec(_Spec):
    """Thresholds on a posterior probability q: final GO, interim futility and efficacy."""

    theta_final: Probability | None = None
    theta_futility: Probability | None = None
    theta_efficacy: Probability | None = None


class PosteriorRuleSpec(_PosteriorThresholdsSpec):
    """Posterior-probability rule (Thall & Simon 1994)."""

    type: Literal["posterior"]


class StandardRateSpec(_Spec):
    """Beta(a, b) distribution of the standard treatment's response rate."""

    a: Positive
    b: Positive


class PosteriorVsStandardRuleSpec(_PosteriorThresholdsSpec):
    """Thall & Simon's rule: P(p > p_S + margin | data), p_S ~ Beta(a, b) not updated."""

    type: Literal["posterior_vs_standard"]
    standard: StandardRateSpec
    margin: Annotated[float, Field(gt=-1.0, lt=1.0)] = 0.0


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


class DualRuleSpec(_Spec):
    """Go / Consider / No-Go rule: a GO and a NO-GO criterion against LRV and TV.

    ``lrv`` and ``tv`` default to the hypotheses' p0 and p1; ``go`` and ``nogo`` are
    criteria in words (``"P(p > LRV) > 0.9 and P(p > TV) > 0.5"``) or lists of
    conditions that must all hold.
    """

    type: Literal["dual"]
    lrv: Probability | None = None
    tv: Probability | None = None
    go: str | list[str] | None = None
    nogo: str | list[str] | None = None
    interim: Literal["posterior", "predictive"] = "posterior"
    pp_go: Probability | None = None
    pp_nogo: Probability | None = None


RuleSpec = Annotated[
    SimonRuleSpec
    | PosteriorRuleSpec
    | PosteriorVsStandardRuleSpec
    | PredictiveRuleSpec
    | BOP2RuleSpec
    | DualRuleSpec,
    Field(discriminator="type"),
]


class ToxicitySpec(_Spec):
    """Toxicity co-monitoring: stop if P(p_tox > threshold | data) > probability."""

    threshold: Probability
    probability: Probability
    prior: PriorSpec = PriorSpec(a=1.0, b=1.0)
    looks: list[Size] | LooksSpec | None = None
    evaluate_at: list[ClosedProbability] | None = None
    odds_ratio: Positive = 1.0
    # interim calls: the worst CTCAE grade that counts as a toxicity event
    min_grade: int = Field(default=3, ge=1, le=5)


# ------------------------------------------------------------- calibration
class PredictiveCalibrationSpec(_Spec):
    """Lee & Liu search grids."""

    n_range: tuple[Size, Size]
    theta_t: Grid
    theta_l: Grid
    first_look: Size
    every: Size = 1
    theta_u: Probability | None = None
    criterion: Literal["en0", "n_then_en0"] = "en0"


class BOP2CalibrationSpec(_Spec):
    """BOP2 search grids."""

    lambda_: Grid = Field(alias="lambda")
    gamma: Grid
    eta: Grid | None = None
    criterion: Literal["power", "en0"] = "power"


class DualCalibrationSpec(_Spec):
    """Go / Consider / No-Go search grids: the thresholds of one GO and one NO-GO condition
    (``go_condition``, ``nogo_condition``: 1-based positions in their criteria)."""

    go: Grid
    nogo: Grid
    go_condition: Annotated[int, Field(ge=1)] = 1
    nogo_condition: Annotated[int, Field(ge=1)] = 1
    criterion: Literal["consider", "en0"] = "consider"


class BorrowingCalibrationSpec(_Spec):
    """Grids and settings of the simulated calibration of a hierarchical-borrowing trial.

    ``go``: final GO thresholds tried; ``futility``: interim futility thresholds
    tried (the same at every interim look; 0 means no futility stop; omitted: the
    file's). ``go_per_cohort``: one GO threshold per cohort instead of a common
    one. ``control``: where each cohort's P(false GO) must be <= alpha, under the
    global null (``global_null``) or under every null scenario, mixed nulls
    included (``all_nulls``). ``alpha`` defaults to ``errors.alpha``. Designs whose
    average power is within ``power_tolerance`` of the best are taken as tied and
    the one with the smallest expected total N under the global null is chosen.
    """

    go: Grid
    futility: Grid | None = None
    go_per_cohort: bool = False
    control: Literal["global_null", "all_nulls"] = "global_null"
    alpha: Probability | None = None
    power_tolerance: Annotated[float, Field(ge=0, lt=1)] = 0.0
    n_trials: Annotated[int, Field(ge=100, le=1_000_000)] = 10_000
    seed: Annotated[int, Field(ge=0)] = 1


class CalibrationSpec(_Spec):
    """Calibration grids: one single-cohort method, and/or the borrowing calibration."""

    predictive: PredictiveCalibrationSpec | None = None
    bop2: BOP2CalibrationSpec | None = None
    dual: DualCalibrationSpec | None = None
    borrowing: BorrowingCalibrationSpec | None = None

    @model_validator(mode="after")
    def _one(self) -> CalibrationSpec:
        given = [k for k in ("predictive", "bop2", "dual") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of: predictive, bop2, dual (not {' and '.join(given)})")
        if not given and self.borrowing is None:
            raise ValueError("give one of: predictive, bop2, dual, borrowing")
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
    max_size: Size | None = None
    design: dict[str, Any] | None = None


class AccrualSpec(_Spec):
    """Accrual: Poisson arrivals, response-assessment delay and maximum duration (months)."""

    rate: Positive
    allocation: Literal["prevalence", "fixed"] = "prevalence"
    assessment_delay: Annotated[float, Field(ge=0)] = 0.0
    max_duration: Positive | None = None
    incomplete: Literal["analyse", "no_go"] = "analyse"


LookThresholds = Probability | list[Probability | None] | None


class JointMonthsSpec(_Spec):
    """Joint interim analyses at calendar months since the first patient."""

    months: Annotated[list[Positive], Field(min_length=1)]


# where the hierarchical model's fast posterior is checked exact (see adaptive_pilot._limits)
_MU_MEAN, _MU_SD, _TAU_SD = (PRIOR_RANGES[k] for k in ("mu_mean", "mu_sd", "tau_sd"))


_NEX_MEAN = Annotated[float, Field(ge=-10, le=10)]
_NEX_SD = Annotated[float, Field(ge=0.1, le=5)]


class ExnexSpec(_Spec):
    """EXNEX (Neuenschwander et al. 2016): each cohort exchangeable with prior
    probability ``ex_weight``, otherwise on its own prior logit p_j ~ N(nex_mean, nex_sd^2).

    Each setting is one number or one per cohort. The NEX prior defaults to each
    cohort's midway rate q = (p0 + p1) / 2 with one patient's worth of information:
    nex_mean = logit(q), nex_sd = 1 / sqrt(q (1 - q)).
    """

    ex_weight: ClosedProbability | list[ClosedProbability] = 0.5
    nex_mean: _NEX_MEAN | list[_NEX_MEAN] | None = None
    nex_sd: _NEX_SD | list[_NEX_SD] | None = None


class BorrowingSpec(_Spec):
    """How cohorts are analysed: independently, or with a Bayesian hierarchical model
    (Berry's, ``hierarchical``, or ``exnex``).

    Hierarchical decisions use P(p_j > p0_j | all cohorts' data) at each cohort's looks:
    stop for futility if it is below ``futility`` (interim looks), stop for efficacy if
    it is at least ``efficacy`` (interim looks), and GO at the final look if it is at
    least ``go``. Thresholds are one number or one per interim look (null: no stop).
    ``nogo`` (one number or one per cohort) makes the final look Go / Consider / No-Go:
    NO-GO below it, CONSIDER between it and ``go``.
    """

    model: Literal["independent", "hierarchical", "exnex", "model_averaging"] = "independent"
    mu_mean: Annotated[float, Field(ge=_MU_MEAN[0], le=_MU_MEAN[1])] | None = None
    mu_sd: Annotated[float, Field(ge=_MU_SD[0], le=_MU_SD[1])] = 2.0
    tau_sd: Annotated[float, Field(ge=_TAU_SD[0], le=_TAU_SD[1])] = 1.0
    futility: LookThresholds = None
    efficacy: LookThresholds = None
    go: Probability | list[Probability] | None = None
    # Go / Consider / No-Go at the final look: NO-GO below nogo, CONSIDER between nogo and go
    nogo: Probability | list[Probability] | None = None
    # model: exnex only; its mixture weight and non-exchangeable priors
    exnex: ExnexSpec | None = None
    # model: model_averaging only (time_to_event designs): prior P(partition) proportional
    # to exp(delta x its number of blocks); 0: every partition equally likely
    delta: Annotated[float, Field(ge=-10, le=10)] | None = None
    # per_cohort: each cohort analysed when its own look's outcome is known; joint: all
    # running cohorts together, at each look when the slowest has reached it
    analysis_timing: Literal["per_cohort", "joint"] = "per_cohort"
    # joint interim looks: when the slowest running cohort reaches each look (default),
    # or at calendar months (one per interim look); the final always by the slowest
    joint_looks: Literal["slowest"] | JointMonthsSpec = "slowest"
    # written by `adaptive-pilot calibrate --borrowing`: grids, simulation settings and
    # the calibrated design's errors with their MCSE (a record; decisions do not read it)
    calibrated: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _complete(self) -> BorrowingSpec:
        if self.exnex is not None and self.model != "exnex":
            raise ValueError("'exnex' settings are read only with model: exnex")
        if self.delta is not None and self.model != "model_averaging":
            raise ValueError("'delta' is read only with model: model_averaging")
        if self.nogo is not None and self.model == "independent":
            raise ValueError(
                "'nogo' is a threshold of hierarchical or exnex borrowing; cohorts analysed "
                "independently take a Go / Consider / No-Go rule (rule type dual)"
            )
        return self


# ------------------------------------------------------------ time to event
class GammaPriorSpec(_Spec):
    """Gamma(shape, rate) prior on each piece's hazard (events per month)."""

    shape: Positive = 0.1
    rate: Positive = 0.1


class TimeToEventLooksSpec(_Spec):
    """Interim looks: after a number of patients enrolled, of events within the landmark,
    or at calendar months from the first enrolment."""

    by: Literal["enrolled", "events", "months"] = "enrolled"
    at: list[Positive] = []


class TimeToEventFutilitySpec(_Spec):
    """Stop for futility if the ``statistic`` is below ``below`` (one number or one per look;
    null: none): ``predictive`` (of a final GO at the maximum size) or ``posterior``."""

    statistic: Literal["predictive", "posterior"] = "predictive"
    below: LookThresholds = None


class TimeToEventSuccessSpec(_Spec):
    """Stop enrolment for expected success if the predictive probability of a final GO with
    the patients enrolled so far exceeds ``above`` (one number or one per look; null: none)."""

    above: LookThresholds = None


class TimeToEventScenarioSpec(_Spec):
    """A true event-time model per cohort (one value, or one per cohort): the survival
    probability at the landmark (exponential), or a median with a distribution."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    survival_at_landmark: Probability | list[Probability] | None = None
    median: Positive | list[Positive] | None = None
    distribution: Literal["exponential", "weibull", "piecewise"] = "exponential"
    shape: Positive = 1.0
    breaks: list[Positive] = []
    hazard_ratios: list[Positive] = []

    @model_validator(mode="after")
    def _one_truth(self) -> Self:
        if (self.survival_at_landmark is None) == (self.median is None):
            raise ValueError(
                f"scenario {self.name!r}: give survival_at_landmark or median (one of them)"
            )
        if self.survival_at_landmark is not None and self.distribution != "exponential":
            raise ValueError(
                f"scenario {self.name!r}: survival_at_landmark sets an exponential model; give "
                "a median for a weibull or piecewise one"
            )
        return self


class TimeToEventCalibrationSpec(_Spec):
    """Candidate final thresholds (``success``), simulated under the goal and the target
    with common random numbers; the smallest with P(GO) <= errors.alpha at the goal in
    every cohort is chosen (``adaptive-pilot calibrate``)."""

    success: Grid
    n_trials: Annotated[int, Field(ge=100, le=1_000_000)] = 1000
    seed: Annotated[int, Field(ge=0)] = 1
    imputations: Annotated[int, Field(ge=10, le=100_000)] | None = 200
    # written by `adaptive-pilot calibrate --write` (a record; decisions do not read it)
    calibrated: dict[str, Any] | None = None


class TimeToEventSpec(_Spec):
    """A time-to-event endpoint monitored against a performance goal (issue 27): the
    design is GO if P(S(landmark) > goal | data) > ``success`` at the final analysis, under
    a piecewise-exponential model (``breaks``; none: exponential) with a Gamma prior on
    each piece's hazard; interim looks stop for futility or stop enrolment for expected
    success on Goldilocks predictive probabilities."""

    endpoint: Literal["pfs", "os"] = "pfs"
    landmark: Annotated[float, Field(gt=0, le=240)]
    goal: Probability
    target: Probability | None = None
    breaks: list[Positive] = []
    prior: GammaPriorSpec = GammaPriorSpec()
    success: Probability = 0.95
    looks: TimeToEventLooksSpec = TimeToEventLooksSpec()
    futility: TimeToEventFutilitySpec = TimeToEventFutilitySpec()
    expected_success: TimeToEventSuccessSpec = TimeToEventSuccessSpec()
    imputations: Annotated[int, Field(ge=10, le=100_000)] = 1000
    # simulated OC: true models, dropout rate per month, months between scans
    scenarios: list[TimeToEventScenarioSpec] = []
    dropout: Annotated[float, Field(ge=0, le=10)] = 0.0
    scan_every: Annotated[float, Field(ge=0, le=60)] = 0.0
    calibration: TimeToEventCalibrationSpec | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.calibration is not None and self.target is None:
            raise ValueError(
                "time_to_event.calibration simulates the goal and the target: give "
                "time_to_event.target"
            )
        if self.target is not None and self.target <= self.goal:
            raise ValueError(
                f"time_to_event.target ({self.target:g}) must exceed the goal ({self.goal:g})"
            )
        names = [s.name for s in self.scenarios]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"time_to_event scenario names repeat: {', '.join(repeated)}")
        for name in ("below",):
            value = self.futility.below
            if isinstance(value, list) and len(value) != len(self.looks.at):
                raise ValueError(
                    f"time_to_event.futility.{name} needs one threshold per interim look "
                    f"({len(self.looks.at)}) or one number"
                )
        value = self.expected_success.above
        if isinstance(value, list) and len(value) != len(self.looks.at):
            raise ValueError(
                "time_to_event.expected_success.above needs one threshold per interim look "
                f"({len(self.looks.at)}) or one number"
            )
        return self


# ------------------------------------------------------------------ design
class DesignSpec(_Spec):
    """A single-cohort design file."""

    name: str = "design"
    title: str = ""
    endpoint: EndpointSpec = EndpointSpec()
    #: several endpoints of one categorical outcome (replaces hypotheses p0 / p1)
    outcome: OutcomeSpec | None = None
    #: a time-to-event endpoint against a performance goal (replaces hypotheses and rule)
    time_to_event: TimeToEventSpec | None = None
    hypotheses: HypothesesSpec | None = None
    errors: ErrorsSpec = ErrorsSpec()
    prior: PriorSpec = PriorSpec(a=1.0, b=1.0)
    #: the prior of the true rate that Bayesian OC (probability of success, P(H0 | GO))
    #: average over; any prior form (a and b, mixture, map)
    design_prior: PriorSpec | None = None
    n_max: Size | None = None
    looks: list[Size] | LooksSpec | None = None
    futility_on: list[bool] | None = None
    efficacy_on: list[bool] | None = None
    rule: RuleSpec | None = None
    toxicity: ToxicitySpec | None = None
    calibration: CalibrationSpec | None = None
    cohorts: list[CohortSpec] | None = None
    accrual: AccrualSpec | None = None
    borrowing: BorrowingSpec = BorrowingSpec()

    @model_validator(mode="after")
    def _time_to_event(self) -> DesignSpec:
        if self.time_to_event is None:
            if self.rule is None:
                raise ValueError("give a rule section (or a time_to_event section)")
            return self
        present = [
            name
            for name in ("outcome", "hypotheses", "rule", "toxicity", "calibration", "looks",
                         "futility_on", "efficacy_on", "design_prior")
            if getattr(self, name) is not None
        ]  # fmt: skip
        if "prior" in self.model_fields_set:
            present.append("prior")
        if present:
            raise ValueError(
                f"a time_to_event section states its own model, prior, goal and looks; leave "
                f"out {present[0]}"
            )
        if self.n_max is None:
            raise ValueError("a time_to_event design needs n_max (the maximum sample size)")
        b = self.borrowing
        if b.model not in ("independent", "model_averaging"):
            raise ValueError(
                f"a time_to_event design borrows between cohorts with model: model_averaging "
                f"(or independent); {b.model} is for response rates"
            )
        given = [
            k
            for k in ("go", "nogo", "futility", "efficacy", "mu_mean")
            if getattr(b, k) is not None
        ]
        if given:
            raise ValueError(
                f"a time_to_event design decides by its own thresholds (success, futility, "
                f"expected_success) on the borrowed posterior; leave out borrowing.{given[0]}"
            )
        if b.model == "model_averaging" and len(self.cohorts or []) < 2:
            raise ValueError("borrowing between cohorts needs at least two cohorts")
        for cohort in self.cohorts or []:
            if cohort.design:
                raise ValueError(
                    f"cohort {cohort.name!r}: a time_to_event design takes max_size per cohort, "
                    "not design overrides"
                )
        if self.accrual is not None and self.accrual.max_duration is not None:
            raise ValueError(
                "a time_to_event design stops enrolment by its looks; leave out "
                "accrual.max_duration"
            )
        if self.accrual is not None and self.accrual.assessment_delay:
            raise ValueError(
                "a time_to_event design follows event times, not assessments; leave out "
                "accrual.assessment_delay"
            )
        for scenario in self.time_to_event.scenarios:
            for key in ("survival_at_landmark", "median"):
                value = getattr(scenario, key)
                if isinstance(value, list) and len(value) != len(self.cohorts or [None]):
                    raise ValueError(
                        f"time_to_event scenario {scenario.name!r}: {key} needs one value per "
                        f"cohort ({len(self.cohorts or [None])}) or one number"
                    )
        return self

    @model_validator(mode="after")
    def _outcome_or_hypotheses(self) -> DesignSpec:
        if self.time_to_event is not None:
            return self
        if self.borrowing.model == "model_averaging":
            raise ValueError(
                "borrowing model model_averaging is for time_to_event designs; response "
                "rates borrow with hierarchical or exnex"
            )
        if self.outcome is None:
            if self.hypotheses is None:
                raise ValueError("give hypotheses: {p0, p1} (or an outcome section)")
            return self
        if self.hypotheses is not None:
            raise ValueError(
                "an outcome section states its nulls and alternatives (category probabilities); "
                "leave out "
                "hypotheses"
            )
        assert self.rule is not None  # _time_to_event has checked
        if self.rule.type != "bop2":
            raise ValueError(f"an outcome section takes rule type bop2 (got {self.rule.type})")
        if self.toxicity is not None:
            raise ValueError(
                "with an outcome section, monitor toxicity as an endpoint with better: lower "
                "(leave out the toxicity section)"
            )
        b = self.borrowing
        if b.model == "exnex":
            raise ValueError(
                "a design with several endpoints borrows with model hierarchical (each "
                "endpoint by Berry's model); exnex is not available for it yet"
            )
        given = [k for k in ("go", "nogo", "futility", "efficacy") if getattr(b, k) is not None]
        if given:
            raise ValueError(
                f"with an outcome section the BOP2 cut-off decides on the borrowed posteriors; "
                f"leave out borrowing.{given[0]}"
            )
        if self.calibration is not None and (
            self.calibration.predictive or self.calibration.dual or self.calibration.borrowing
        ):
            raise ValueError("an outcome section is calibrated by calibration.bop2")
        if self.prior != PriorSpec(a=1.0, b=1.0) and "prior" in self.model_fields_set:
            raise ValueError(
                "with an outcome section, give the Dirichlet prior as outcome.prior "
                "(one concentration per category)"
            )
        return self

    @model_validator(mode="after")
    def _weighted_confirmation(self) -> DesignSpec:
        if self.endpoint.unconfirmed != "weighted":
            return self
        if self.rule is not None and self.rule.type in ("simon", "dual"):
            raise ValueError(
                "endpoint.unconfirmed: weighted needs a rule with a posterior or predictive "
                "statistic (posterior, posterior_vs_standard, predictive, bop2); a "
                f"{self.rule.type} rule decides on counts only (use pending or count)"
            )
        if self.borrowing.model != "independent":
            raise ValueError(
                "endpoint.unconfirmed: weighted is not available yet with borrowing between "
                "cohorts (use pending or count)"
            )
        return self

    @model_validator(mode="after")
    def _borrowing_thresholds(self) -> DesignSpec:
        b = self.borrowing
        if self.outcome is None and b.model in ("hierarchical", "exnex") and b.go is None:
            raise ValueError(f"{b.model} borrowing needs 'go' (the final-look GO threshold)")
        return self

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
        for threshold in ("go", "nogo"):
            value = getattr(self.borrowing, threshold)
            if isinstance(value, list) and len(value) != len(self.cohorts):
                raise ValueError(
                    f"borrowing.{threshold} needs one threshold per cohort "
                    f"({len(self.cohorts)}) or one number"
                )
        if key == "prevalence":
            total = sum(c.prevalence for c in self.cohorts)  # type: ignore[misc]
            if abs(total - 1.0) > 1e-6:
                parts = ", ".join(f"{c.name} {c.prevalence:g}" for c in self.cohorts)
                raise ValueError(f"cohort prevalences must sum to 1 (got {total:g}: {parts})")
        return self


def json_schema() -> dict[str, Any]:
    """JSON Schema of the design file, for editors."""
    return DesignSpec.model_json_schema(by_alias=True)
