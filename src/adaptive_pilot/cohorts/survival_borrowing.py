"""Borrowing between cohorts for designs monitoring PFS (or OS): Bayesian model averaging.

The model (Psioda et al. 2021, "Bayesian adaptive basket trial design using model
averaging", Biostatistics 22: 19-34; bmabasket on CRAN; here with the piecewise-
exponential likelihood of :mod:`adaptive_pilot.rules.survival` in place of the
binomial):

* a model M is a partition of the J cohorts into blocks; the cohorts of a block share
  their piece hazards lambda_{B,1..K}, each with the design's Gamma(a, b) prior,
  independently between blocks (every partition: Bell(J) models);
* prior P(M) proportional to exp(delta x number of blocks) (bmabasket's default
  delta = 1; delta = 0: every partition equally likely; larger: less borrowing);
* with D_{B,k} events over E_{B,k} months in block B's piece k (the sums over its
  cohorts), the marginal likelihood of M is the product over its blocks and pieces of
  b^a Gamma(a + D) / (Gamma(a) (b + E)^(a + D)), so P(M | data) is exact;
* cohort j's posterior is the mixture over the blocks B that may hold it,
  pi_{j,B} = sum of P(M | data) over the models where j's block is B, of the block's
  Gamma posteriors. P(S_j(H) > goal | data) = sum_B pi_{j,B} F_B, with F_B the exact
  distribution function of the block's cumulative hazard
  (:func:`adaptive_pilot._gamma_sum.gamma_sum_cdf`). The mean of S_j(H) is the same
  mixture of closed forms; its quantiles are found by bisection on the mixture.

Every number is exact (no simulation, no quadrature): a sum over the 2^J - 1 blocks
and Bell(J) partitions, so J is limited to :data:`MAX_COHORTS`. The threshold
comparisons inside the predictive imputations use rigorous bounds on each F_B
(:func:`adaptive_pilot._gamma_sum.gamma_sum_cdf_bounds`) and compute the mixture
exactly only where the bounds do not settle it.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from .._gamma_sum import gamma_sum_cdf, gamma_sum_cdf_bounds
from ..errors import InputError
from ..rules.survival import SurvivalGoalRule

__all__ = ["MAX_COHORTS", "BorrowedCohort", "SurvivalModelAveraging", "set_partitions"]

#: Most cohorts model averaging enumerates (Bell(7) = 877 partitions, 127 blocks).
MAX_COHORTS = 7


def set_partitions(n: int) -> np.ndarray:
    """Every partition of n items as block labels (restricted growth strings), (Bell(n), n)."""
    rows: list[list[int]] = [[0]]
    for _ in range(1, n):
        rows = [[*r, label] for r in rows for label in range(max(r) + 2)]
    return np.array(rows, dtype=np.int64).reshape(len(rows), n)


@dataclass(frozen=True)
class SurvivalModelAveraging:
    """Model averaging over the partitions of the cohorts (see the module).

    Parameters
    ----------
    rule : SurvivalGoalRule
        The cohorts' rule: pieces, goal, Gamma prior (the same for every cohort).
    cohorts : int
        J, from 2 to :data:`MAX_COHORTS`.
    delta : float
        Prior P(M) proportional to exp(delta x blocks of M).
    """

    rule: SurvivalGoalRule
    cohorts: int
    delta: float = 1.0

    def __post_init__(self) -> None:
        if not 2 <= int(self.cohorts) <= MAX_COHORTS:
            raise InputError(
                "borrowing.model",
                f"model averaging enumerates every partition of the cohorts: 2 to {MAX_COHORTS} "
                f"cohorts (got {self.cohorts})",
            )
        if not (math.isfinite(self.delta) and -10 <= self.delta <= 10):
            raise InputError(
                "borrowing.delta", f"must be a number from -10 to 10 (got {self.delta})"
            )

    # ------------------------------------------------------------ the model space
    @functools.cached_property
    def _space(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(masks (S, J), incidence (P, S), log prior (P,), block_of (P, J),
        subsets_of (J, S_j))."""
        n = int(self.cohorts)
        labels = set_partitions(n)
        subsets = (1 << n) - 1
        masks = ((np.arange(1, subsets + 1)[:, None] >> np.arange(n)[None, :]) & 1).astype(float)
        same = labels[:, :, None] == labels[:, None, :]  # (P, J, J)
        bits = (same * (1 << np.arange(n))[None, None, :]).sum(axis=2)  # block mask per cohort
        block_of = bits - 1  # subset index of cohort j's block in partition p
        incidence = np.zeros((labels.shape[0], subsets))
        for p in range(labels.shape[0]):
            incidence[p, np.unique(block_of[p])] = 1.0
        log_prior = self.delta * incidence.sum(axis=1)
        log_prior -= np.logaddexp.reduce(log_prior)
        subsets_of = np.array([np.flatnonzero(masks[:, j]) for j in range(n)])
        return masks, incidence, log_prior, block_of, subsets_of

    @property
    def partitions(self) -> int:
        """Bell(J), the number of models."""
        return int(self._space[1].shape[0])

    @functools.cached_property
    def _membership(self) -> np.ndarray:
        """(J, P, S_j): 1 where cohort j's block in partition p is its s-th possible block."""
        _, _, _, block_of, subsets_of = self._space
        out = np.zeros((self.cohorts, block_of.shape[0], subsets_of.shape[1]))
        for j in range(self.cohorts):
            position = np.searchsorted(subsets_of[j], block_of[:, j])
            out[j, np.arange(block_of.shape[0]), position] = 1.0
        return out

    # ------------------------------------------------------------ posterior pieces
    def _blocks(self, events: np.ndarray, exposure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each block's (events, exposure) per piece, (..., S, K), from (..., J, K)."""
        masks = self._space[0]
        d = np.matmul(masks, np.asarray(events, float))
        e = np.matmul(masks, np.asarray(exposure, float))
        return d, e

    def _log_marginal(self, d: np.ndarray, e: np.ndarray) -> np.ndarray:
        """log of each block's marginal likelihood, (..., S)."""
        from scipy.special import gammaln

        a, b = self.rule.prior.shape, self.rule.prior.rate
        terms = a * math.log(b) - math.lgamma(a) + gammaln(a + d) - (a + d) * np.log(b + e)
        return terms.sum(axis=-1)

    def model_probabilities(self, events: np.ndarray, exposure: np.ndarray) -> np.ndarray:
        """P(M | data) per partition, (..., P) (the order of :func:`set_partitions`)."""
        _, incidence, log_prior, _, _ = self._space
        d, e = self._blocks(events, exposure)
        log_w = log_prior + self._log_marginal(d, e) @ incidence.T
        log_w -= log_w.max(axis=-1, keepdims=True)
        w = np.exp(log_w)
        return w / w.sum(axis=-1, keepdims=True)

    def block_weights(
        self, events: np.ndarray, exposure: np.ndarray, cohort: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pi (..., S_j), block events, block exposure (..., S_j, K)) for ``cohort``:
        the posterior probability of each block that may hold it, and the block's data."""
        w = self.model_probabilities(events, exposure)
        pi = w @ self._membership[cohort]
        d, e = self._blocks(events, exposure)
        own = self._space[4][cohort]
        return pi, d[..., own, :], e[..., own, :]

    def _scales(self, d: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        shape, rate = self.rule.posterior(d, e)
        return shape, self.rule.model.widths / rate

    # ------------------------------------------------------------ summaries
    def prob_better(self, events: np.ndarray, exposure: np.ndarray) -> np.ndarray:
        """P(S_j(H) > goal | every cohort's data), exact, (..., J) from data (..., J, K)."""
        return np.stack(
            [self.prob_better_for(events, exposure, j) for j in range(self.cohorts)], axis=-1
        )

    def prob_better_for(self, events: np.ndarray, exposure: np.ndarray, cohort: int) -> np.ndarray:
        """P(S_j(H) > goal | every cohort's data) for one cohort, (...,)."""
        pi, d, e = self.block_weights(events, exposure, cohort)
        shape, scale = self._scales(d, e)
        return np.sum(pi * gamma_sum_cdf(self.rule.cutoff, shape, scale), axis=-1)

    def mean_survival(self, events: np.ndarray, exposure: np.ndarray) -> np.ndarray:
        """Posterior mean of S_j(H), exact, (..., J)."""
        widths = self.rule.model.widths
        out = []
        for j in range(self.cohorts):
            pi, d, e = self.block_weights(events, exposure, j)
            shape, rate = self.rule.posterior(d, e)
            means = np.exp(np.sum(shape * np.log(rate / (rate + widths)), axis=-1))
            out.append(np.sum(pi * means, axis=-1))
        return np.stack(out, axis=-1)

    def survival_cdf(
        self, events: np.ndarray, exposure: np.ndarray, cohort: int, s: np.ndarray
    ) -> np.ndarray:
        """P(S_j(H) <= s | data) for one dataset (J, K) at the points ``s`` (in (0, 1])."""
        pi, d, e = self.block_weights(events[None], exposure[None], cohort)
        shape, scale = self._scales(d[0], e[0])  # (S_j, K)
        s = np.clip(np.asarray(s, float), 1e-300, 1.0)
        y = -np.log(s)[:, None]  # P(S <= s) = 1 - F_Y(-log s)
        f = gamma_sum_cdf(y, shape[None], scale[None])  # (points, S_j)
        return 1.0 - f @ pi[0]

    def survival_quantile(
        self, events: np.ndarray, exposure: np.ndarray, cohort: int, level: float
    ) -> float:
        """The posterior ``level`` quantile of S_j(H) (bisection on the exact mixture, 1e-10)."""
        low, high = 0.0, 1.0
        for _ in range(40):
            mid = (low + high) / 2
            if self.survival_cdf(events, exposure, cohort, np.array([mid]))[0] < level:
                low = mid
            else:
                high = mid
        return (low + high) / 2

    def survival_density(
        self, events: np.ndarray, exposure: np.ndarray, cohort: int, points: int = 201
    ) -> tuple[np.ndarray, np.ndarray]:
        """(s, posterior density of S_j(H)) on a grid of (0, 1), for drawing."""
        edges = np.linspace(0.0, 1.0, points + 1)
        cdf = self.survival_cdf(events, exposure, cohort, np.clip(edges, 1e-12, 1.0))
        cdf[0], cdf[-1] = 0.0, 1.0
        return (edges[:-1] + edges[1:]) / 2, np.diff(cdf) / np.diff(edges)

    def pooled_probability(self, events: np.ndarray, exposure: np.ndarray) -> np.ndarray:
        """P(cohort j shares its hazards with at least one other cohort | data), (..., J)."""
        masks = self._space[0]
        out = []
        for j in range(self.cohorts):
            pi, _, _ = self.block_weights(events, exposure, j)
            alone = np.flatnonzero(masks[self._space[4][j]].sum(axis=1) == 1)
            out.append(1.0 - pi[..., alone].sum(axis=-1))
        return np.stack(out, axis=-1)

    def describe(self) -> str:
        """The borrowing model in one sentence."""
        return (
            f"Bayesian model averaging over the {self.partitions} partitions of the "
            f"{self.cohorts} cohorts (cohorts in one block share their hazards; prior "
            f"proportional to exp({self.delta:g} x blocks); Psioda et al. 2021)"
        )

    # ------------------------------------------------------------ the predictive step
    def succeeds(
        self, events: np.ndarray, exposure: np.ndarray, cohort: int, level: float
    ) -> np.ndarray:
        """P(S_j(H) > goal | data) > ``level`` for ``cohort``, data (..., J, K): exact,
        settled by rigorous bounds on each block's distribution function where clear."""
        pi, d, e = self.block_weights(events, exposure, cohort)
        shape, scale = self._scales(d, e)
        batch = pi.shape[:-1]
        pi = pi.reshape(-1, pi.shape[-1])
        shape = shape.reshape(pi.shape[0], pi.shape[1], -1)
        scale = scale.reshape(shape.shape)
        cut = self.rule.cutoff
        out = np.zeros(pi.shape[0], dtype=bool)
        rest = np.arange(pi.shape[0])
        # Chernoff bounds of every block, then the series bracket of the blocks that
        # matter in the rows still open; then, row by row, the block with the widest
        # weighted bracket is computed exactly until the row is settled
        low = np.zeros(pi.shape)
        high = np.ones(pi.shape)
        for width in (math.inf, 0.0, *(None,) * pi.shape[1]):
            w = pi[rest]
            slack = w * (high[rest] - low[rest])
            if width is None:  # one block per open row, exactly
                r = np.arange(rest.size)
                c = slack.argmax(axis=1)
                r, c = r[slack[r, c] > 0], c[slack[r, c] > 0]
                lo = hi = gamma_sum_cdf(cut, shape[rest[r], c], scale[rest[r], c])
            else:
                r, c = np.nonzero((slack > 1e-13) & (w > 1e-12))
                lo, hi = gamma_sum_cdf_bounds(
                    cut, shape[rest[r], c], scale[rest[r], c], width=width
                )
            low[rest[r], c], high[rest[r], c] = lo, hi
            lower = np.sum(w * low[rest], axis=1)
            upper = np.sum(w * high[rest], axis=1)
            exact = upper - lower <= 0.0
            above = (lower > level + 1e-11) | (exact & (lower > level))
            below = (upper <= level - 1e-11) | (exact & (lower <= level))
            out[rest[above]] = True
            rest = rest[~(above | below)]
            if not rest.size:
                break
        if rest.size:  # not reached: every block is exact after the last pass
            out[rest] = np.sum(pi[rest] * gamma_sum_cdf(cut, shape[rest], scale[rest]), 1) > level
        return out.reshape(batch)

    def draw_rates(
        self,
        events: np.ndarray,
        exposure: np.ndarray,
        cohort: int,
        rng: np.random.Generator,
        m: int,
    ) -> np.ndarray:
        """m draws of cohort j's piece hazards from its posterior, (R, m, K), data (R, J, K).

        A block is drawn from pi_{j,.}, then the block's hazards from their Gamma posterior.
        """
        pi, d, e = self.block_weights(events, exposure, cohort)
        shape, rate = self.rule.posterior(d, e)  # (R, S_j, K)
        u = rng.random((pi.shape[0], m))
        cum = np.cumsum(pi, axis=1)
        cum[:, -1] = 1.0
        pick = np.minimum((u[:, :, None] > cum[:, None, :]).sum(axis=2), pi.shape[1] - 1)
        chosen_shape = np.take_along_axis(shape, pick[:, :, None], axis=1)
        chosen_rate = np.take_along_axis(rate, pick[:, :, None], axis=1)
        return rng.standard_gamma(chosen_shape) / chosen_rate


@dataclass(frozen=True)
class BorrowedCohort:
    """Cohort j's posterior under model averaging, the other cohorts' data held as seen.

    What :meth:`~adaptive_pilot.rules.survival.SurvivalGoalRule.predictive` needs to
    impute cohort j's patients with borrowing: its hazards are drawn from its mixture
    posterior, and each completed dataset's final analysis pools it with the other
    cohorts' data as they stood at the look (their own patients are not imputed).
    ``events`` and ``exposure`` are every cohort's data, (R, J, K).
    """

    model: SurvivalModelAveraging
    cohort: int
    events: np.ndarray
    exposure: np.ndarray

    def draw(self, rows: slice, rng: np.random.Generator, m: int) -> np.ndarray:
        """(R', m, K) hazard draws for the rows."""
        return self.model.draw_rates(self.events[rows], self.exposure[rows], self.cohort, rng, m)

    def succeeds(self, rows: slice, events: np.ndarray, exposure: np.ndarray) -> np.ndarray:
        """Final GO of cohort j with its data (R', M, K) completed, the others as seen."""
        shape = (*events.shape[:2], *self.events.shape[1:])
        d = np.broadcast_to(self.events[rows][:, None], shape).copy()
        e = np.broadcast_to(self.exposure[rows][:, None], shape).copy()
        d[:, :, self.cohort] = events
        e[:, :, self.cohort] = exposure
        return self.model.succeeds(d, e, self.cohort, self.model.rule.success)
