"""A multi-endpoint BOP2 design: the rule on a look schedule, compiled to endpoint bounds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..oc.endpoints import EndpointOperatingCharacteristics, endpoint_oc, scenario_cells
from ..provenance import Provenance, design_hash
from ..results import ResultMixin, Summary, Table, json_safe, records
from ..rules.endpoint_bounds import EndpointBounds, compile_endpoint_rules
from ..rules.endpoints import MultiEndpointRule
from .bayesian import settle_schedule

__all__ = [
    "EndpointDecision",
    "MultiEndpointDesign",
    "MultiEndpointEvaluation",
    "evaluate_endpoints",
]


@dataclass(frozen=True)
class EndpointDecision:
    """The rule's call at one look, with each endpoint's count and posterior probability."""

    n: int
    counts: dict[str, int]
    statistics: dict[str, float]
    action: str  # "continue", "stop_futility", "stop_efficacy", "go", "no_go"
    final: bool


@dataclass(frozen=True)
class MultiEndpointDesign:
    """A :class:`~adaptive_pilot.rules.endpoints.MultiEndpointRule` on a look schedule.

    Parameters
    ----------
    rule : MultiEndpointRule
        The rule; its N is the last look.
    looks : sequence of int
        Look schedule.
    futility_on, efficacy_on : sequence of bool, optional
        Per-look switches for interim stopping (default: on). The final look decides.

    Examples
    --------
    >>> from adaptive_pilot.priors import DirichletPrior
    >>> from adaptive_pilot.rules.endpoints import Endpoint, MultiEndpointRule
    >>> prior = DirichletPrior(("CR/PR", "SD", "PD"), (0.1, 0.25, 0.65))
    >>> rule = MultiEndpointRule(prior, (Endpoint("ORR", ("CR/PR",), 0.1),
    ...     Endpoint("DCR", ("CR/PR", "SD"), 0.35)), "any", n_max=30, lam=0.9, gamma=1.0)
    >>> design = MultiEndpointDesign(rule, (15, 30))
    >>> print(design.bounds.describe())
    n = 15: stop for futility if ORR <= 1 and DCR <= 5
    final (n=30): NO-GO if ORR <= 5 and DCR <= 14; otherwise GO
    """

    rule: MultiEndpointRule
    looks: tuple[int, ...]
    futility_on: tuple[bool, ...] | None = None
    efficacy_on: tuple[bool, ...] | None = None

    def __post_init__(self) -> None:
        settle_schedule(self, self.rule.n_max)

    @property
    def n_max(self) -> int:
        """Maximum sample size."""
        return self.looks[-1]

    @cached_property
    def bounds(self) -> EndpointBounds:
        """The compiled bounds (raises the rule's problem on this schedule, if any)."""
        fut, eff, problems = compile_endpoint_rules(
            [self.rule], self.looks, self.futility_on, self.efficacy_on
        )
        if problems[0] is not None:
            raise InputError(*problems[0])
        return EndpointBounds(
            self.looks,
            self.rule.endpoint_names,
            tuple(bool(v) for v in self.rule.lower_is_better),
            self.rule.require,
            self.rule.groups,
            tuple(tuple(int(v) for v in row) for row in fut[0]),
            tuple(tuple(int(v) for v in row) for row in eff[0]),
        )

    def oc(self, scenarios: Any) -> EndpointOperatingCharacteristics:
        """Exact OC at scenarios of category probabilities (see
        :func:`~adaptive_pilot.oc.endpoints.scenario_cells` for the accepted forms)."""
        cells, labels = scenario_cells(self.rule.categories, scenarios)
        return endpoint_oc(
            self.bounds, self.rule.membership, cells, categories=self.rule.categories,
            labels=labels, design=self.to_dict(),
        )  # fmt: skip

    def decide(self, n: int, counts: Any) -> EndpointDecision:
        """The rule's call at n patients from category counts (a {category: count} map
        or one count per category); n is a look or any number up to N."""
        if not 1 <= n <= self.n_max:
            raise InputError("n", f"must be between 1 and N = {self.n_max} (got {n})")
        values = self.rule.endpoint_counts(counts)
        category_total = (
            sum(int(v) for v in counts.values())
            if isinstance(counts, dict)
            else int(np.sum(counts))
        )
        if category_total != n:
            raise InputError(
                "counts", f"the category counts add up to {category_total}, not n = {n}"
            )
        action = self.rule.decide(n, values)
        k = self.looks.index(n) if n in self.looks else None
        if k is not None and n < self.n_max:
            fut_on, eff_on = self.futility_on, self.efficacy_on
            assert fut_on is not None and eff_on is not None
            if (action == "stop_futility" and not fut_on[k]) or (
                action == "stop_efficacy" and not eff_on[k]
            ):
                action = "continue"
        q = self.rule.statistics(n, values)
        names = self.rule.endpoint_names
        return EndpointDecision(
            n,
            {name: int(v) for name, v in zip(names, values, strict=True)},
            {name: float(v) for name, v in zip(names, q, strict=True)},
            action,
            n == self.n_max,
        )

    def describe(self) -> str:
        """The rule in words, then its compiled bounds."""
        return self.rule.describe() + "\n" + self.bounds.describe()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready design (rule, looks, switches, bounds)."""
        return {
            "rule": self.rule.to_dict(),
            "looks": list(self.looks),
            "futility_on": list(self.futility_on or ()),
            "efficacy_on": list(self.efficacy_on or ()),
            "boundaries": self.bounds.to_dict(),
        }

    def design_hash(self) -> str:
        """Hash of the resolved design."""
        return design_hash(self.to_dict())


@dataclass(frozen=True)
class MultiEndpointEvaluation(ResultMixin):
    """Bounds and exact OC of a multi-endpoint design at its null and target scenarios.

    Attributes
    ----------
    name, title : str
        The design's name and title.
    design : MultiEndpointDesign
        The design.
    oc : EndpointOperatingCharacteristics
        Exact OC at the scenarios (the file's null and alternative ones first).
    provenance : Provenance
        Exact; the plan's design hash.
    """

    name: str
    title: str
    design: MultiEndpointDesign
    oc: EndpointOperatingCharacteristics
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """The OC table, one row per scenario."""
        return self.oc.to_frame()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: design, rule in words, bounds, OC rows, scenarios, provenance."""
        oc = self.oc.to_dict()
        return json_safe(
            {
                "design": self.name,
                "rule": self.design.rule.describe(),
                "boundaries": self.design.bounds.to_dict(),
                "boundary_table": records(self.design.bounds.to_frame()),
                "oc": oc["oc"],
                "by_look": oc["by_look"],
                "scenarios": oc["scenarios"],
                "provenance": self.provenance.to_dict(),
            }
        )

    def summary(self) -> Summary:
        """Rule, bounds per look and the OC table."""
        oc = self.oc.summary()
        return Summary(
            f"Design: {self.title or self.name}",
            header=(self.design.rule.describe(),),
            tables=(
                Table(self.design.bounds.to_frame(), title="Stopping bounds (endpoint counts)"),
                Table(oc.tables[0].frame, title="Exact operating characteristics"),
            ),
            notes=(
                *oc.header[1:],
                "Exact: no Monte Carlo error. GO counts early efficacy stops and the final GO.",
            ),
            provenance=self.provenance,
        )


def evaluate_endpoints(
    design: MultiEndpointDesign,
    scenarios: Any,
    *,
    name: str = "design",
    title: str = "",
    plan_hash: str = "",
) -> MultiEndpointEvaluation:
    """Bounds and exact OC of ``design`` at ``scenarios`` (any form
    :func:`~adaptive_pilot.oc.endpoints.scenario_cells` accepts); ``plan_hash`` is the
    design file's hash (default: the design's own)."""
    digest = plan_hash or design.design_hash()
    oc = design.oc(scenarios)
    oc = replace(oc, provenance=replace(oc.provenance, design_hash=digest))
    provenance = Provenance(
        "exact", digest, details={"algorithm": "forward recursion over the endpoint counts"}
    )
    return MultiEndpointEvaluation(name, title, design, oc, provenance)
