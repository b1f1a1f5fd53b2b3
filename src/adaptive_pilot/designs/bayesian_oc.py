"""Bayesian operating characteristics of a boundary table, exactly.

Beside the frequentist error rates (P(GO) at p0 and p1), a Bayesian pilot is also
judged averaged over a *design prior* for the true rate (FDA's 2026 draft guidance on
Bayesian methods; O'Hagan, Stevens & Campbell 2005):

* the **probability of success** (assurance) P(GO) = ∫ P(GO | p) π_d(p) dp;
* **P(H0 | GO)**, the probability that a GO is false, H0: p <= p0;
* **P(H1 | NO-GO)**, the probability that a NO-GO misses an effective regimen,
  H1: p >= p1;
* the expected sample size E[N] under the design prior.

Every outcome of the table ends at some (n, x) reached by c(n, x) response paths,
each of probability p^x (1 - p)^(n - x), so with a Beta(a, b) design prior

    P(end at (n, x), p <= c) = c(n, x) B(a + x, b + n - x) / B(a, b) I_c(a + x, b + n - x),

with I the regularised incomplete Beta function: a finite sum, exact (mixtures are
sums of such terms). No simulation and no quadrature.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..boundary_table import BoundaryTable
from ..errors import InputError
from ..inference import SampleSpace
from ..priors import BetaMixturePrior, BetaPrior
from ..provenance import Provenance
from ..results import ResultMixin, Summary, Table, json_safe

__all__ = ["BayesianOC", "bayesian_oc"]


@dataclass(frozen=True)
class BayesianOC(ResultMixin):
    """Operating characteristics averaged over a design prior (see the module docstring).

    Attributes
    ----------
    table : BoundaryTable
        The design.
    design_prior : BetaPrior or BetaMixturePrior
        The prior of the true rate the characteristics are averaged over.
    p0, p1 : float
        The hypotheses: H0 p <= p0, H1 p >= p1.
    p_success, p_h0_given_go, p_h1_given_nogo, en_design, p_h0, p_h1 : float
        Probability of GO, of H0 given GO, of H1 given NO-GO, E[N], and the design
        prior's probabilities of H0 and H1.
    p_consider : float
        Probability of CONSIDER (a Go / Consider / No-Go table; NO-GO then
        excludes it).
    """

    table: BoundaryTable
    design_prior: BetaPrior | BetaMixturePrior
    p0: float
    p1: float
    p_success: float
    p_h0_given_go: float | None
    p_h1_given_nogo: float | None
    en_design: float
    p_h0: float
    p_h1: float
    #: P(CONSIDER) under the design prior (a Go / Consider / No-Go table; 0 otherwise)
    p_consider: float = 0.0

    @functools.cached_property
    def provenance(self) -> Provenance:
        """Exact (a finite sum over the table's outcomes)."""
        return Provenance(
            "exact",
            self.table.design_hash(),
            details={
                "design_prior": self.design_prior.to_dict(),
                "algorithm": "sum over the table's outcomes of path counts x Beta functions",
            },
        )

    def to_frame(self) -> pd.DataFrame:
        """One row: ``p_success``, (``p_consider``), ``p_h0_given_go``, ``p_h1_given_nogo``,
        ``en_design``."""
        consider = {"p_consider": self.p_consider} if self.table.three_outcomes else {}
        return pd.DataFrame(
            [
                {
                    "p_success": self.p_success,
                    **consider,
                    "p_h0_given_go": self.p_h0_given_go,
                    "p_h1_given_nogo": self.p_h1_given_nogo,
                    "en_design": self.en_design,
                }
            ]
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the design prior, the hypotheses and the characteristics."""
        return json_safe(
            {
                "design_prior": self.design_prior.to_dict(),
                "p0": self.p0,
                "p1": self.p1,
                "p_h0": self.p_h0,
                "p_h1": self.p_h1,
                **self.to_frame().iloc[0].to_dict(),
                "provenance": self.provenance.to_dict(),
            }
        )

    def summary(self) -> Summary:
        """The characteristics in a line each, and the one-row table."""

        def pct(value: float | None) -> str:
            return "not defined" if value is None else f"{value:.3f}"

        header = [
            f"Design prior {self.design_prior} (P(p <= p0 = {self.p0:g}) = {self.p_h0:.3f}, "
            f"P(p >= p1 = {self.p1:g}) = {self.p_h1:.3f})",
            f"Probability of success (GO) {self.p_success:.3f}; "
            + (f"P(CONSIDER) {self.p_consider:.3f}; " if self.table.three_outcomes else "")
            + "P(H0 | GO) "
            f"{pct(self.p_h0_given_go)}; P(H1 | NO-GO) {pct(self.p_h1_given_nogo)}; "
            f"E[N] {self.en_design:.1f}",
        ]
        return Summary("Bayesian operating characteristics (averaged over the design prior)",
                       header, (Table(self.to_frame()),), (), self.provenance)  # fmt: skip


def bayesian_oc(
    table: BoundaryTable,
    design_prior: BetaPrior | BetaMixturePrior,
    p0: float,
    p1: float,
) -> BayesianOC:
    """Probability of success, P(H0 | GO), P(H1 | NO-GO) and E[N] under a design prior.

    Parameters
    ----------
    table : BoundaryTable
        The design's boundary table.
    design_prior : BetaPrior or BetaMixturePrior
        The prior of the true response rate (the "design" or "analysis" prior).
    p0, p1 : float
        The hypotheses: H0: p <= p0, H1: p >= p1.

    Examples
    --------
    >>> table = BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, 6))
    >>> oc = bayesian_oc(table, BetaPrior(1, 1), 0.1, 0.3)
    >>> round(oc.p_success, 4), round(oc.p_h0_given_go, 4)
    (0.7721, 0.0011)
    """
    if not (0 < p0 < p1 < 1):
        raise InputError("p0, p1", f"must satisfy 0 < p0 < p1 < 1 (got {p0}, {p1})")
    space = SampleSpace.of(table)
    w, a, b = design_prior.components()
    x, n = space.x[:, None].astype(float), space.n[:, None].astype(float)
    log_mass = space.log_count[:, None] + special.betaln(a + x, b + n - x) - special.betaln(a, b)
    mass = np.exp(log_mass)  # (outcomes, components): P(end here) per component
    below = special.betainc(a + x, b + n - x, p0)  # P(p <= p0 | end here), per component
    above = special.betaincc(a + x, b + n - x, p1)  # P(p >= p1 | end here)
    go, nogo = space.go, space.nogo
    p_end = mass @ w
    p_success = float(p_end[go].sum())
    p_nogo = float(p_end[nogo].sum())
    h0_go = float(((mass * below)[go] @ w).sum())
    h1_nogo = float(((mass * above)[nogo] @ w).sum())
    p_h0 = float(w @ special.betainc(a, b, p0))
    p_h1 = float(w @ special.betaincc(a, b, p1))
    return BayesianOC(
        table=table,
        design_prior=design_prior,
        p0=float(p0),
        p1=float(p1),
        p_success=min(max(p_success, 0.0), 1.0),
        p_h0_given_go=None if p_success <= 0 else min(h0_go / p_success, 1.0),
        p_h1_given_nogo=None if p_nogo <= 0 else min(h1_nogo / p_nogo, 1.0),
        en_design=float(p_end @ space.n),
        p_h0=p_h0,
        p_h1=p_h1,
        p_consider=min(max(float(p_end[space.consider].sum()), 0.0), 1.0),
    )
