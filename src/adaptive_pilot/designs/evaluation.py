"""A single-cohort design evaluated: boundaries, exact OC, and joint OC with toxicity."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..boundary_table import BoundaryTable
from ..oc.exact import OperatingCharacteristics, exact_oc
from ..oc.joint import JointOperatingCharacteristics, joint_oc
from ..provenance import Provenance
from ..provenance import design_hash as hash_of
from ..results import ResultMixin, Summary, Table, json_safe, records
from ..rules.toxicity import ToxicityRule

__all__ = ["DesignEvaluation", "evaluate_design"]


@dataclass(frozen=True)
class DesignEvaluation(ResultMixin):
    """Boundaries and exact OC of one design (joint OC when toxicity is monitored).

    Attributes
    ----------
    name, title : str
        The design's name and title.
    rule_text : str
        The rule in words.
    table : BoundaryTable
        The compiled boundaries.
    oc : OperatingCharacteristics
        Exact OC over the true response rates.
    toxicity : ToxicityRule or None
        The toxicity rule, when toxicity is co-monitored.
    joint : JointOperatingCharacteristics or None
        Exact joint OC over (response rate x toxicity rate).
    provenance : Provenance
        Exact; the design hash of the resolved design.
    """

    name: str
    title: str
    rule_text: str
    table: BoundaryTable
    oc: OperatingCharacteristics
    toxicity: ToxicityRule | None
    joint: JointOperatingCharacteristics | None
    provenance: Provenance
    #: Bayesian OC under the design's design prior (None without one)
    bayesian: Any = None

    def to_frame(self) -> pd.DataFrame:
        """The OC table: joint OC rows (p, p_toxicity) with toxicity, else one row per p."""
        return self.joint.to_frame() if self.joint is not None else self.oc.to_frame()

    def toxicity_frame(self) -> pd.DataFrame | None:
        """Toxicity stopping bounds per look (None without toxicity monitoring)."""
        if self.toxicity is None:
            return None
        bounds = self.toxicity.bounds()
        return pd.DataFrame(
            {"n": list(bounds), "toxicity": [s if s <= n else None for n, s in bounds.items()]}
        ).astype({"toxicity": "Int64"})

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: design, rule, boundaries, OC rows, toxicity boundaries, provenance."""
        payload: dict[str, Any] = {
            "design": self.name,
            "rule": self.rule_text,
            "boundaries": self.table.to_dict(),
            "oc": records(self.to_frame().drop(columns=["method"])),
        }
        tox = self.toxicity_frame()
        if tox is not None:
            payload["toxicity_boundaries"] = records(tox)
        if self.bayesian is not None:
            payload["bayesian_oc"] = {
                k: v for k, v in self.bayesian.to_dict().items() if k != "provenance"
            }
        payload["provenance"] = self.provenance.to_dict()
        return json_safe(payload)

    def summary(self) -> Summary:
        """Rule, boundary table and OC (joint OC with toxicity)."""
        tables = [Table(self.table.summary().tables[0].frame, title="Boundary table")]
        if self.joint is not None:
            oc_table = self.joint.summary().tables[0]
            title = "Exact operating characteristics with toxicity co-monitoring"
        else:
            oc_table = self.oc.summary().tables[0]
            title = "Exact operating characteristics"
        tables.append(Table(oc_table.frame, title=title))
        tox = self.toxicity_frame()
        notes = list(self.table.describe().splitlines())
        if tox is not None and self.toxicity is not None:
            tables.append(Table(tox, title="Toxicity co-monitoring: stop if toxicities >= bound"))
            notes.append(self.toxicity.describe())
        notes.append(
            "Exact: no Monte Carlo error. GO counts early efficacy stops and the final GO."
        )
        bayes = None if self.bayesian is None else self.bayesian.summary().header[1]
        return Summary(
            f"Design: {self.title or self.name}",
            header=tuple(line for line in (self.rule_text, bayes) if line),
            tables=tuple(tables),
            notes=tuple(notes),
            provenance=self.provenance,
        )


def evaluate_design(
    table: BoundaryTable,
    rates: Sequence[float] | np.ndarray,
    *,
    design: Mapping[str, Any],
    design_hash: str | None = None,
    name: str = "design",
    title: str = "",
    rule_text: str = "",
    toxicity: ToxicityRule | None = None,
    toxicity_rates: Sequence[float] = (),
    odds_ratio: float = 1.0,
    bayesian: Any = None,
) -> DesignEvaluation:
    """Exact OC of a design, joint with toxicity when it is co-monitored.

    Parameters
    ----------
    table : BoundaryTable
        The compiled design.
    rates : sequence of float
        True response rates.
    design : mapping
        ``to_dict()`` of the resolved design, for the design hash.
    design_hash : str, optional
        The hash of the plan the design belongs to (a design file's); default:
        the hash of ``design``. Every result of the evaluation carries it.
    toxicity : ToxicityRule, optional
        Toxicity co-monitoring rule.
    toxicity_rates : sequence of float
        True toxicity rates at which the joint OC are reported.
    odds_ratio : float, default 1
        Odds ratio between response and toxicity (1: independent).
    """
    digest = design_hash or hash_of(design)
    oc = exact_oc(table, rates, design=design)
    oc = replace(oc, provenance=replace(oc.provenance, design_hash=digest))
    joint = None
    if toxicity is not None:
        grid_p, grid_t = np.meshgrid(np.asarray(oc.p), np.asarray(toxicity_rates, float))
        joint = joint_oc(table, toxicity, grid_p.ravel(), grid_t.ravel(), odds_ratio)
        joint = replace(joint, provenance=replace(joint.provenance, design_hash=digest))
    provenance = Provenance("exact", digest, details={"algorithm": "forward recursion"})
    return DesignEvaluation(
        name, title, rule_text, table, oc, toxicity, joint, provenance, bayesian
    )
