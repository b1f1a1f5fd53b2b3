"""Borrowing models: how cohorts share information, one type per model behind one interface.

A multi-cohort trial that borrows decides each cohort on P(p_j > p0_j | all
cohorts' data) (:class:`~adaptive_pilot.cohorts.trial.HierarchicalBorrowing`).
Which posterior that is, is a :class:`Borrowing`:

* :class:`BerryBorrowing` (Berry et al. 2013): logit p_j ~ N(mu, tau^2);
* :class:`ExnexBorrowing` (Neuenschwander et al. 2016): each cohort exchangeable
  with that hierarchy with its weight, otherwise on its own NEX prior.

Each model answers the same questions (its name and words, its dictionary for
the design hash, its posterior for one dataset, its float32 tables for the
simulator and the interim call), so nothing outside this module asks which
model it is. A new model is a new subclass here.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .exnex import ExnexModel, ExnexPrior
from .hierarchical import HierarchicalModel
from .prior import HierarchicalPrior, NonExchangeable
from .tables import PosteriorTables

__all__ = ["BerryBorrowing", "Borrowing", "ExnexBorrowing"]


class Borrowing(ABC):
    """A hierarchical model of the cohorts' response rates (see the module)."""

    #: ``"hierarchical"`` (Berry) or ``"exnex"``: the design file's ``borrowing.model``
    name: ClassVar[str]
    #: how results name the analysis, e.g. "hierarchical borrowing"
    label: ClassVar[str]
    #: the exchangeable hierarchy's priors of (mu, tau)
    prior: HierarchicalPrior

    @abstractmethod
    def describe(self) -> str:
        """The model in words, for reports and summaries."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the model's name and parameters."""

    @abstractmethod
    def posterior_model(self, p0s: Sequence[float]) -> HierarchicalModel | ExnexModel:
        """The model of one dataset's posterior summaries and its PyMC fit."""

    def quadrature(self, p0s: Sequence[float]) -> HierarchicalModel:
        """The fast quadrature of the exchangeable hierarchy, cut at every logit(p0)."""
        return HierarchicalModel(self.prior, [_logit(p) for p in p0s])

    @abstractmethod
    def tables(
        self, p0s: Sequence[float], n_max: int, only_n: Sequence[int] | None = None
    ) -> PosteriorTables:
        """Float32 posterior tables of every (n, x) up to ``n_max`` (or the rows of ``only_n``)."""


@dataclass(frozen=True)
class BerryBorrowing(Borrowing):
    """Berry et al. (2013): logit p_j ~ N(mu, tau^2), mu ~ N(m, s^2), tau ~ HalfNormal(t)."""

    name: ClassVar[str] = "hierarchical"
    label: ClassVar[str] = "hierarchical borrowing"
    prior: HierarchicalPrior

    def describe(self) -> str:
        """The model in words, for reports and summaries."""
        p = self.prior
        ex = f"mu ~ N({p.mu_mean:.3f}, {p.mu_sd:g}^2), tau ~ HalfNormal({p.tau_sd:g})"
        return f"Berry hierarchical model: logit p_j ~ N(mu, tau^2), {ex}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the model's name and its prior."""
        return {"model": self.name, "prior": self.prior.to_dict()}

    def posterior_model(self, p0s: Sequence[float]) -> HierarchicalModel:
        """The quadrature model (it gives the posterior summaries and the PyMC fit)."""
        return self.quadrature(p0s)

    def tables(
        self, p0s: Sequence[float], n_max: int, only_n: Sequence[int] | None = None
    ) -> PosteriorTables:
        """Float32 posterior tables of every (n, x) up to ``n_max`` (or the rows of ``only_n``)."""
        p0 = tuple(float(p) for p in p0s)
        return self.quadrature(p0).compact_tables(n_max, p0, np.float32, only_n=only_n)


@dataclass(frozen=True)
class ExnexBorrowing(Borrowing):
    """EXNEX with one exchangeable component: ``prior``'s hierarchy, and ``nex`` per cohort."""

    name: ClassVar[str] = "exnex"
    label: ClassVar[str] = "EXNEX borrowing"
    prior: HierarchicalPrior
    nex: NonExchangeable

    def exnex_prior(self) -> ExnexPrior:
        """The full EXNEX prior (one EX component)."""
        return ExnexPrior.single(self.prior, self.nex)

    def describe(self) -> str:
        """The model in words, for reports and summaries."""
        return self.exnex_prior().describe()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the model's name, its EX prior and its NEX part."""
        return {"model": self.name, "prior": self.prior.to_dict(), "exnex": self.nex.to_dict()}

    def posterior_model(self, p0s: Sequence[float]) -> ExnexModel:
        """The EXNEX model of one dataset."""
        return ExnexModel(self.exnex_prior(), [_logit(p) for p in p0s])

    def tables(
        self, p0s: Sequence[float], n_max: int, only_n: Sequence[int] | None = None
    ) -> PosteriorTables:
        """Float32 posterior tables: the EX hierarchy's rows mixed with each cohort's NEX."""
        p0 = tuple(float(p) for p in p0s)
        return self.quadrature(p0).compact_tables(
            n_max, p0, np.float32, only_n=only_n, nex=self.nex
        )


def _logit(p: float) -> float:
    return math.log(p / (1 - p))
