"""How much a design on several endpoints leans on its Dirichlet prior: exact OC under
other priors, the cut-off's lambda and gamma kept.

The variants keep the prior's mean (its category probabilities) and scale its effective
sample size A = sum a_j (x 0.5, 2, 5), and replace it by a uniform Dirichlet (every
a_j = 1/K, so A = 1 with equal means). Each variant is compiled by the one compile path
and evaluated exactly at the design's scenarios, so a row shows what the prior alone does
to P(GO) and E[N]."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..priors import DirichletPrior
from ..provenance import Provenance
from ..results import ResultMixin, Summary, Table, records
from ..rules.endpoints import MultiEndpointRule
from .multi_endpoint import MultiEndpointDesign

__all__ = ["EndpointPriorSensitivity", "endpoint_prior_sensitivity"]

#: Effective-sample-size factors of the variants (the prior's mean kept).
FACTORS = (0.5, 2.0, 5.0)


@dataclass(frozen=True)
class EndpointPriorSensitivity(ResultMixin):
    """Exact P(GO) and E[N] of the design under each prior variant, per scenario."""

    frame: pd.DataFrame
    provenance: Provenance

    def to_frame(self) -> pd.DataFrame:
        """Tidy: prior, scenario, p_go, en (and the change of P(GO) from the design's)."""
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe rows and provenance."""
        return {"sensitivity": records(self.frame), "provenance": self.provenance.to_dict()}

    def summary(self) -> Summary:
        """P(GO) per prior (rows) and scenario (columns)."""
        return Summary(
            "Prior sensitivity (several endpoints): exact P(GO) under other Dirichlet priors",
            header=(
                "lambda and gamma as designed; each prior compiled and evaluated exactly at the "
                "design's null and alternative scenarios",
            ),
            tables=(
                Table(self.frame[["prior", "scenario", "p_go"]], title="P(GO)", wide="scenario"),
                Table(self.frame[["prior", "scenario", "en"]], title="E[N]", wide="scenario"),
            ),
            provenance=self.provenance,
        )


def endpoint_prior_sensitivity(
    design: MultiEndpointDesign, scenarios: Any, *, design_hash: str = ""
) -> EndpointPriorSensitivity:
    """Exact OC of ``design`` with its prior replaced by each variant.

    A variant whose rule makes no design on the schedule (it never or always declares
    GO) is listed with empty numbers and the reason.
    """
    rule = design.rule
    prior = rule.prior
    a = np.array(prior.concentration)
    k = len(a)
    variants: list[tuple[str, DirichletPrior]] = [(f"as designed: {prior}", prior)]
    for factor in FACTORS:
        scaled = DirichletPrior(prior.categories, tuple(float(v) for v in a * factor))
        variants.append((f"ESS x {factor:g}: {scaled}", scaled))
    uniform = DirichletPrior(prior.categories, (1.0 / k,) * k)
    variants.append((f"uniform: {uniform}", uniform))
    rows = []
    for label, variant in variants:
        changed = MultiEndpointRule(
            variant, rule.endpoints, rule.require, rule.n_max, rule.lam, rule.gamma,
            rule.efficacy, rule.eta,
        )  # fmt: skip
        try:
            oc = MultiEndpointDesign(
                changed, design.looks, design.futility_on, design.efficacy_on
            ).oc(scenarios)
        except InputError as error:
            rows.append({"prior": f"{label} ({error.message})", "scenario": "",
                         "p_go": np.nan, "en": np.nan})  # fmt: skip
            continue
        for name, p_go, en in zip(oc.labels, oc.p_go, oc.en, strict=True):
            rows.append({"prior": label, "scenario": name, "p_go": float(p_go), "en": float(en)})
    provenance = Provenance(
        "exact",
        design_hash or design.design_hash(),
        details={"algorithm": "exact OC under each prior variant", "factors": list(FACTORS)},
    )
    return EndpointPriorSensitivity(pd.DataFrame(rows), provenance)
