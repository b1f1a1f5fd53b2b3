"""Borrowing between cohorts for designs on several endpoints: Berry's model per endpoint.

For each endpoint e, the cohorts' favourable rates (the endpoint's rate, or one minus it
when lower is better) follow Berry's hierarchical model (Berry et al. 2013):

    logit r_{e,j} ~ N(mu_e, tau_e^2),  mu_e ~ N(m_e, mu_sd^2),  tau_e ~ HalfNormal(tau_sd),
    y_{e,j} | r_{e,j} ~ Binomial(n_j, r_{e,j}),

with y_{e,j} cohort j's favourable count and m_e the logit of the endpoint's favourable
threshold (averaged over cohorts). Each endpoint is modelled on its own: a working model
that uses each endpoint's binomial margin and leaves out the correlation of the
endpoints within a patient (a patient's response and disease control are nested). A
cohort's q_{e,j} = P(r_{e,j} better than its threshold | every cohort's data) then goes
through the cohort's own rule (:meth:`MultiEndpointRule.decide_on`): the same cut-off
lambda (n/N)^gamma and the same join. The posterior is the quadrature of
:class:`~adaptive_pilot.cohorts.hierarchical.HierarchicalModel` (no MCMC), through its
:class:`~adaptive_pilot.cohorts.tables.PosteriorTables`, which the interim call and the
simulator share.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import InputError
from ..rules.endpoints import MultiEndpointRule
from .hierarchical import HierarchicalModel
from .prior import HierarchicalPrior
from .tables import PosteriorTables

__all__ = ["EndpointBorrowing"]


@dataclass(frozen=True)
class EndpointBorrowing:
    """Berry's hierarchical model on each endpoint's favourable rate across cohorts.

    Parameters
    ----------
    rules : sequence of MultiEndpointRule
        Each cohort's rule; their endpoints must have the same names and directions.
    mu_sd, tau_sd : float
        Prior SD of mu_e and scale of the half-normal prior of tau_e (logit scale).
    """

    rules: tuple[MultiEndpointRule, ...]
    mu_sd: float = 2.0
    tau_sd: float = 1.0

    def __post_init__(self) -> None:
        rules = tuple(self.rules)
        first = rules[0]
        for rule in rules[1:]:
            same = [(e.name, e.better) for e in rule.endpoints] == [
                (e.name, e.better) for e in first.endpoints
            ]
            if not same:
                raise InputError(
                    "borrowing",
                    "borrows each endpoint between cohorts, so every cohort needs the same "
                    "endpoints (names and directions)",
                )
        object.__setattr__(self, "rules", rules)
        for e in range(len(first.endpoints)):  # the priors' ranges are checked here
            self.prior(e)

    @property
    def n_endpoints(self) -> int:
        """Number of endpoints."""
        return len(self.rules[0].endpoints)

    def thresholds(self, e: int) -> np.ndarray:
        """Each cohort's favourable threshold of endpoint e (1 - phi when lower is better)."""
        values = []
        for rule in self.rules:
            endpoint = rule.endpoints[e]
            phi = endpoint.threshold
            values.append(1.0 - phi if endpoint.better == "lower" else phi)
        return np.array(values)

    def prior(self, e: int) -> HierarchicalPrior:
        """The hierarchy's prior for endpoint e (mu centred on its thresholds' logit)."""
        logits = np.log(self.thresholds(e) / (1.0 - self.thresholds(e)))
        return HierarchicalPrior(float(np.mean(logits)), self.mu_sd, self.tau_sd)

    def tables(self, e: int, dtype: Any = np.float64) -> PosteriorTables:
        """The posterior tables of endpoint e (built once, covering every cohort's N):
        float64 for the interim call, float32 for the simulator (as Berry's model's)."""
        return _tables(self, e, np.dtype(dtype).name)

    def prob_better(
        self,
        n: np.ndarray,
        favourable: np.ndarray,
        target: np.ndarray,
        dtype: Any = np.float64,
        *,
        only_n: Sequence[int] | None = None,
    ) -> np.ndarray:
        """q of the target cohort for each endpoint, from every cohort's data.

        Parameters
        ----------
        n : ndarray, shape (S, J)
            Evaluable patients per dataset and cohort.
        favourable : ndarray, shape (S, J, E)
            Favourable counts per dataset, cohort and endpoint.
        target : ndarray of int, shape (S,)
            The cohort whose q is wanted, per dataset.
        dtype : numpy dtype
            Of the tables: float64 (default) or float32 (the simulator's; within 2e-6).
        only_n : sequence of int, optional
            Build just the rows of these sample sizes (an interim call's few), not cached.

        Returns
        -------
        ndarray, shape (S, E)
        """
        out = []
        for e in range(self.n_endpoints):
            if only_n is None:
                tables = self.tables(e, dtype)
            else:
                thresholds = [float(t) for t in self.thresholds(e)]
                tables = _model(self, e).compact_tables(
                    max(max(only_n), 1), thresholds, dtype=dtype, only_n=list(only_n)
                )
            out.append(tables.prob_greater(n, favourable[..., e], target))
        return np.stack(out, axis=-1)

    def describe(self) -> str:
        """The model in words."""
        return (
            "each endpoint borrowed between cohorts with Berry's hierarchical model on its "
            f"favourable rate (logit r_j ~ N(mu, tau^2), mu ~ N(logit threshold, "
            f"{self.mu_sd:g}^2), tau ~ HalfNormal({self.tau_sd:g})), endpoints modelled "
            "separately"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        return {"model": "hierarchical per endpoint", "mu_sd": self.mu_sd, "tau_sd": self.tau_sd}


@functools.lru_cache(maxsize=32)
def _model(borrowing: EndpointBorrowing, e: int) -> HierarchicalModel:
    cuts = [math.log(t / (1.0 - t)) for t in borrowing.thresholds(e)]
    return HierarchicalModel(borrowing.prior(e), cuts)


@functools.lru_cache(maxsize=32)
def _tables(borrowing: EndpointBorrowing, e: int, dtype: str) -> PosteriorTables:
    n_max = max(rule.n_max for rule in borrowing.rules)
    thresholds = [float(t) for t in borrowing.thresholds(e)]
    return _model(borrowing, e).compact_tables(n_max, thresholds, dtype=np.dtype(dtype))
