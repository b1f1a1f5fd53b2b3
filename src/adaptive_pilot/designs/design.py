"""One single-cohort design, resolved once: what a design file's rule section becomes.

A :class:`Design` holds everything that decides a cohort and everything a
report says about it: the endpoint, the hypotheses (p0, p1) and errors, the
prior, the rule on its look schedule (or the Simon design), the boundary table
compiled from them (once, at construction), the toxicity rule, and the rule
for a cohort analysed short of its final look. Reports, the app, the interim
call and the simulator read these attributes; nobody outside
:mod:`adaptive_pilot.spec` reads the design file's schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from ..boundary_table import BoundaryTable
from ..priors import BetaMixturePrior, BetaPrior
from ..provenance import design_hash as hash_of
from ..rules.compile import final_go
from ..rules.toxicity import ToxicityRule
from .bayesian import BayesianDesign
from .evaluation import DesignEvaluation, evaluate_design

__all__ = ["CohortDesign", "Design", "Endpoint"]

#: design families, as the ``rule.type`` of a design file names them
FAMILIES = ("simon", "posterior", "posterior_vs_standard", "predictive", "bop2", "dual")
#: the family of each Bayesian rule class
_RULE_FAMILY = {
    "PosteriorRule": "posterior",
    "PosteriorVsStandardRule": "posterior_vs_standard",
    "PredictiveRule": "predictive",
    "BOP2Rule": "bop2",
    "DualRule": "dual",
}


@dataclass(frozen=True)
class Endpoint:
    """The endpoint's name (e.g. ``ORR``) and its definition in words."""

    name: str = "response"
    definition: str = ""


@dataclass(frozen=True, eq=False)
class Design:
    """A single-cohort design with its compiled boundary table.

    Attributes
    ----------
    name, title : str
        The design's name and title.
    family : str
        ``simon``, ``posterior``, ``posterior_vs_standard``, ``predictive``, ``bop2`` or
        ``dual`` (Go / Consider / No-Go).
    endpoint : Endpoint
        The endpoint's name and definition.
    p0, p1 : float
        Null and target response rates.
    alpha, beta : float
        Type I and type II error the design is built for.
    prior : BetaPrior or BetaMixturePrior
        Prior of the response rate (a Simon design has one too: the interim
        call's posterior summaries use it).
    table : BoundaryTable
        The compiled boundaries (a Simon design: its two stages).
    bayesian : BayesianDesign or None
        The rule on its looks; None for a Simon design (the table is the rule).
    simon_kind : str
        ``optimal`` or ``minimax`` when a Simon design came from a search, else "".
    toxicity : ToxicityRule or None
        The toxicity co-monitoring rule.
    toxicity_rates : tuple of float
        Toxicity rates at which OC are reported (default: the threshold).
    odds_ratio : float
        Response-toxicity odds ratio of the joint OC and of scenarios by default.
    min_grade : int
        CTCAE grade from which a toxicity counts.
    unconfirmed : {"pending", "count", "weighted"}
        How an interim call treats a CR/PR not yet confirmed.
    confirmation : float, optional
        ``weighted``: the probability that an unconfirmed response is confirmed.
    confirmation_source : str
        Where that probability comes from (stated in the call's notes).
    design_hash : str
        The hash of the plan this design belongs to (the design file's, see
        :attr:`adaptive_pilot.spec.ResolvedDesign.design_hash`); "" for a
        design built in code, which is then identified by its own content.
    """

    name: str
    title: str
    family: str
    endpoint: Endpoint
    p0: float
    p1: float
    alpha: float
    beta: float
    prior: BetaPrior | BetaMixturePrior
    table: BoundaryTable
    bayesian: BayesianDesign | None = None
    simon_kind: str = ""
    toxicity: ToxicityRule | None = None
    toxicity_rates: tuple[float, ...] = ()
    odds_ratio: float = 1.0
    min_grade: int = 3
    #: the prior of the true rate that Bayesian OC average over (None: not reported)
    design_prior: BetaPrior | BetaMixturePrior | None = None
    design_hash: str = field(default="", compare=False)
    #: an unconfirmed CR/PR at an interim call: ``pending`` (waits), ``count`` or ``weighted``
    unconfirmed: str = "pending"
    confirmation: float | None = None
    confirmation_source: str = ""

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES} (got {self.family!r})")
        if (self.family == "simon") != (self.bayesian is None):
            raise ValueError("a Simon design has no Bayesian rule; every other family has one")
        if self.bayesian is not None and self.bayesian.boundary_table is not self.table:
            raise ValueError("the table must be the Bayesian design's own compiled table")

    @classmethod
    def of(
        cls,
        design: BayesianDesign | BoundaryTable,
        *,
        p1: float,
        p0: float | None = None,
        prior: BetaPrior | BetaMixturePrior | None = None,
        name: str = "design",
        title: str = "",
        alpha: float = 0.05,
        beta: float = 0.20,
        toxicity: ToxicityRule | None = None,
        min_grade: int = 3,
    ) -> Design:
        """A design built in code from a Bayesian design or a (Simon) boundary table.

        A Bayesian design gives p0 and the prior from its rule; a table needs ``p0``
        (its prior defaults to Beta(1, 1)).

        Examples
        --------
        >>> from adaptive_pilot import BayesianDesign, BetaPrior, BOP2Rule
        >>> rule = BOP2Rule(0.05, BetaPrior(0.05, 0.95), 30, 0.83, 0.30)
        >>> design = Design.of(BayesianDesign(rule, (10, 20, 30)), p1=0.2)
        >>> design.family, design.table.looks
        ('bop2', (10, 20, 30))
        """
        if isinstance(design, BayesianDesign):
            rule = design.rule
            family = _RULE_FAMILY[type(rule).__name__]
            p0 = float(getattr(rule, "p0")) if p0 is None else p0  # noqa: B009 - every rule has one
            prior = getattr(rule, "prior") if prior is None else prior  # noqa: B009
            table, bayesian = design.boundary_table, design
        else:
            if p0 is None:
                raise ValueError("a design from a boundary table needs p0")
            family, table, bayesian = "simon", design, None
            prior = BetaPrior(1.0, 1.0) if prior is None else prior
        return cls(
            name=name,
            title=title,
            family=family,
            endpoint=Endpoint(),
            p0=float(p0),
            p1=float(p1),
            alpha=alpha,
            beta=beta,
            prior=prior,
            table=table,
            bayesian=bayesian,
            toxicity=toxicity,
            min_grade=min_grade,
        )

    # ------------------------------------------------------------ facts
    @property
    def n_max(self) -> int:
        """Maximum number of evaluable patients."""
        return self.table.n_max

    @property
    def looks(self) -> tuple[int, ...]:
        """The look schedule (the last look is the final analysis)."""
        return self.table.looks

    @property
    def is_simon(self) -> bool:
        """Whether this is a Simon two-stage design."""
        return self.bayesian is None

    @property
    def rule_text(self) -> str:
        """The Bayesian rule in words ("" for a Simon design: its table is the rule)."""
        return "" if self.bayesian is None else self.bayesian.rule.describe()

    @cached_property
    def reached_go(self) -> tuple[int, ...]:
        """Least GO response count at n = 0..N-1 when enrolment closes before the final look.

        A Bayesian design applies its rule's final GO criterion to the n reached,
        with the cut-off of N; a Simon design has no rule off its table, so this is
        () (GO only when the final GO is already certain).
        """
        if self.bayesian is None:
            return ()
        rule, n_max = self.bayesian.rule, self.n_max
        bounds = [1]
        for n in range(1, n_max):
            x = np.arange(n + 1)
            go = np.asarray(final_go(rule, n, x, cutoff_at=n_max), dtype=bool)
            bounds.append(int(x[go][0]) if go.any() else n + 1)
        return tuple(bounds)

    # ------------------------------------------------------------ identity
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: name, design (rule, looks, bounds), toxicity rule."""
        return {
            "name": self.name,
            "design": self.table.to_dict() if self.bayesian is None else self.bayesian.to_dict(),
            "toxicity": None if self.toxicity is None else self.toxicity.to_dict(),
        }

    def content(self) -> dict[str, Any]:
        """Everything that can change a number this design prints (hashed into the plan's hash)."""
        return {
            **self.to_dict(),
            "title": self.title,
            "family": self.family,
            "simon_kind": self.simon_kind,
            "endpoint": {"name": self.endpoint.name, "definition": self.endpoint.definition},
            "hypotheses": {"p0": self.p0, "p1": self.p1},
            "errors": {"alpha": self.alpha, "beta": self.beta},
            "prior": self.prior.to_dict(),
            "toxicity_rates": list(self.toxicity_rates),
            "odds_ratio": self.odds_ratio,
            "min_grade": self.min_grade,
            "reached_go": list(self.reached_go),
            "unconfirmed": self.unconfirmed,
            **(
                {"confirmation": self.confirmation, "confirmation_source": self.confirmation_source}
                if self.unconfirmed == "weighted"
                else {}
            ),
        } | ({} if self.design_prior is None else {"design_prior": self.design_prior.to_dict()})

    def identity(self) -> str:
        """The plan's hash, or this design's own content hash when it has no plan."""
        return self.design_hash or hash_of(self.content())

    def belonging_to(self, plan_hash: str) -> Design:
        """The same design, identified by the hash of the plan it belongs to."""
        return replace(self, design_hash=plan_hash)

    # ------------------------------------------------------------ OC
    def default_rates(self) -> np.ndarray:
        """0.05 to 0.60 by 0.05, plus p0 and p1: the rates of the OC table."""
        return np.unique(np.round(np.r_[np.arange(1, 13) * 0.05, self.p0, self.p1], 10))

    def evaluate(
        self, rates: Sequence[float] | np.ndarray | None = None, *, joint: bool = True
    ) -> DesignEvaluation:
        """Boundaries and exact OC (joint with toxicity when it is monitored and ``joint``).

        Parameters
        ----------
        rates : sequence of float, optional
            True response rates (default :meth:`default_rates`).
        joint : bool, default True
            False leaves the toxicity rule out (response OC only, as on an OC curve).
        """
        return evaluate_design(
            self.table,
            self.default_rates() if rates is None else rates,
            design=self.to_dict(),
            design_hash=self.design_hash or None,
            name=self.name,
            title=self.title,
            rule_text=self.rule_text,
            toxicity=self.toxicity if joint else None,
            toxicity_rates=self.toxicity_rates if joint else (),
            odds_ratio=self.odds_ratio,
            bayesian=self.bayesian_oc(),
        )

    def bayesian_oc(self) -> Any:
        """The :class:`~adaptive_pilot.designs.bayesian_oc.BayesianOC` under the design
        prior (None without one)."""
        if self.design_prior is None:
            return None
        from .bayesian_oc import bayesian_oc

        return bayesian_oc(self.table, self.design_prior, self.p0, self.p1)


@dataclass(frozen=True)
class CohortDesign:
    """One cohort of a trial: its name, share of accrual and its own :class:`Design`.

    ``prevalence`` (share of arrivals with ``allocation: prevalence``) and
    ``allocation`` (weight with ``allocation: fixed``) are as the design file
    gives them; a single-cohort design is one cohort with both 1.
    """

    name: str
    prevalence: float | None
    allocation: float | None
    design: Design
