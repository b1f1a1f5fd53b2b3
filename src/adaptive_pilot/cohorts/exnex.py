"""EXNEX: exchangeable and non-exchangeable cohorts (Neuenschwander et al. 2016).

Model, for cohorts j = 1..J and exchangeable (EX) components k = 1..K::

    x_j ~ Binomial(n_j, p_j),  logit p_j = theta_j,
    with probability w_jk:      theta_j ~ N(mu_k, tau_k^2)   (EX component k),
    with probability w_j,NEX:   theta_j ~ N(m_j, s_j^2)      (NEX: the cohort alone),
    mu_k ~ N(mu_mean_k, mu_sd_k^2),  tau_k ~ HalfNormal(tau_sd_k).

K = 1 with weight w_j is the usual choice and what design files offer; all weights 1
is Berry's model. bhmbasket's ``exnex`` method and Neuenschwander et al.'s own
example use K = 2.

The posterior here is exact up to quadrature: the mixture indicators are summed
over all (K + 1)^J assignments. Given an assignment, the EX components are
independent Berry hierarchies on their subsets of cohorts, so each needs only
Z_k(S) = integral prior_k(mu, tau) prod_{j in S} L_j(mu, tau) and the matching
tail and mean integrals, for every subset S of cohorts, on the Berry model's
(mu, tau) quadrature and tables (:mod:`adaptive_pilot.cohorts.hierarchical`);
the NEX part is a one-dimensional integral per cohort. This is 2^J subsets per
component, so it is meant for analyses and checks (J <= 12). With K = 1 the
simulator uses :class:`~adaptive_pilot.cohorts.hierarchical.PosteriorTables`,
which puts the mixture inside the (mu, tau) integral instead (one pass per
evaluation, like Berry's); the two agree to rounding (tested).

:meth:`ExnexModel.pymc_posterior` is the same model in PyMC, for interim analyses
and for checking: the indicators are marginalised (the likelihood of x_j is the
weighted sum over components), every component's theta is non-centred, and
P(p_j > p0_j) and the mean are Rao-Blackwellised over the indicators.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ..errors import InputError
from .hierarchical import (
    BorrowingModel,
    BorrowingResult,
    HierarchicalModel,
    NutsSettings,
    nuts_result,
)
from .prior import Data, HierarchicalPrior, NonExchangeable, validate_data
from .quadrature import nex_rows, row_index, theta_interval

__all__ = ["ExnexModel", "ExnexPrior", "default_nex"]

_MAX_ASSIGNMENTS = 2**20
_MAX_COHORTS = 12


def default_nex(p0: Sequence[float], p1: Sequence[float]) -> tuple[list[float], list[float]]:
    """The default NEX prior of each cohort: centred at its midway rate, worth one patient.

    m_j = logit(q_j) with q_j = (p0_j + p1_j) / 2 and s_j = 1 / sqrt(q_j (1 - q_j)),
    the unit-information normal prior on the logit scale (Neuenschwander et al.
    2016 use logit(0.2) and 2.5 for p0 = 0.1, p1 = 0.3: the same).

    Examples
    --------
    >>> means, sds = default_nex([0.1], [0.3])
    >>> round(means[0], 4), round(sds[0], 4)
    (-1.3863, 2.5)
    """
    means, sds = [], []
    for a, b in zip(p0, p1, strict=True):
        q = (a + b) / 2.0
        means.append(math.log(q / (1.0 - q)))
        sds.append(1.0 / math.sqrt(q * (1.0 - q)))
    return means, sds


@dataclass(frozen=True)
class ExnexPrior:
    """EXNEX priors: K exchangeable components, and each cohort's own (NEX) prior.

    Parameters
    ----------
    ex : tuple of HierarchicalPrior
        The EX components' priors of (mu_k, tau_k).
    weights : tuple of tuples
        Per cohort, the prior probabilities (w_EX1, ..., w_EXK, w_NEX), summing to 1.
    nex_mean, nex_sd : tuple of float
        Per cohort, the NEX prior theta_j ~ N(nex_mean_j, nex_sd_j^2).
    """

    ex: tuple[HierarchicalPrior, ...]
    weights: tuple[tuple[float, ...], ...]
    nex_mean: tuple[float, ...]
    nex_sd: tuple[float, ...]

    def __post_init__(self) -> None:
        k = len(self.ex)
        if k < 1:
            raise InputError("ex", "needs at least one exchangeable component")
        if not (len(self.weights) == len(self.nex_mean) == len(self.nex_sd) >= 1):
            raise InputError("weights", "needs one set of weights, NEX mean and NEX SD per cohort")
        for row in self.weights:
            if len(row) != k + 1 or any(not 0.0 <= w <= 1.0 for w in row):
                raise InputError(
                    "weights", f"each cohort needs {k + 1} weights between 0 and 1 (EX..., NEX)"
                )
            if abs(sum(row) - 1.0) > 1e-9:
                raise InputError("weights", f"each cohort's weights must sum to 1 (got {row})")
        # the NEX checks (ranges where its integral is checked) live in one place
        NonExchangeable(
            tuple(1.0 - r[-1] for r in self.weights), tuple(self.nex_mean), tuple(self.nex_sd)
        )

    @classmethod
    def single(cls, prior: HierarchicalPrior, nex: NonExchangeable) -> ExnexPrior:
        """One EX component (``prior``) with each cohort's EX weight from ``nex``."""
        weights = tuple((w, 1.0 - w) for w in nex.ex_weight)
        return cls((prior,), weights, tuple(nex.nex_mean), tuple(nex.nex_sd))

    #: the model this prior defines, as results name it
    model_name: ClassVar[str] = "exnex"
    #: the title of a posterior under it
    posterior_title: ClassVar[str] = "EXNEX posterior across cohorts"

    @property
    def n_cohorts(self) -> int:
        """Number of cohorts."""
        return len(self.weights)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "ex": [p.to_dict() for p in self.ex],
            "weights": [list(r) for r in self.weights],
            "nex_mean": list(self.nex_mean),
            "nex_sd": list(self.nex_sd),
        }

    def describe(self) -> str:
        """One line for summaries."""
        parts = [
            f"EX{i + 1}: mu ~ N({p.mu_mean:.3f}, {p.mu_sd:g}^2), tau ~ HalfNormal({p.tau_sd:g})"
            for i, p in enumerate(self.ex)
        ]

        def listing(items: list[str]) -> str:
            return items[0] if len(set(items)) == 1 else "per cohort " + "; ".join(items)

        w_text = listing([", ".join(f"{w:g}" for w in r) for r in self.weights])
        nex_text = listing(
            [f"N({m:.3g}, {s:.3g}^2)" for m, s in zip(self.nex_mean, self.nex_sd, strict=True)]
        )
        return f"EXNEX: {'; '.join(parts)}; NEX theta_j ~ {nex_text}; weights (EX, NEX) {w_text}"


class ExnexModel(BorrowingModel):
    """The EXNEX posterior by summing over mixture assignments (exact up to quadrature).

    Parameters
    ----------
    prior : ExnexPrior
        The model's priors.
    cuts : sequence of float
        The decision cuts logit(p0_j); every EX component's quadrature is refined
        around them (see :class:`HierarchicalModel`).
    """

    def __init__(self, prior: ExnexPrior, cuts: Sequence[float] = ()) -> None:
        j = prior.n_cohorts
        if j > _MAX_COHORTS or (len(prior.ex) + 1) ** j > _MAX_ASSIGNMENTS:
            raise InputError(
                "cohorts",
                f"EXNEX's exact posterior sums over (K + 1)^J assignments: at most "
                f"{_MAX_COHORTS} cohorts and {_MAX_ASSIGNMENTS} assignments",
            )
        self.prior = prior
        self.components = [HierarchicalModel(p, cuts) for p in prior.ex]
        with np.errstate(divide="ignore"):
            self._log_w = np.log(np.asarray(prior.weights, dtype=float))  # (J, K + 1)
        k = len(prior.ex)
        self._z = np.array(list(itertools.product(range(k + 1), repeat=j)), dtype=np.int64)
        bits = 1 << np.arange(j)
        self._masks = [(self._z == c) @ bits for c in range(k)]  # (A,) subset of each EX comp.

    # ------------------------------------------------------------- posterior
    def prob_greater(self, n: ArrayLike, x: ArrayLike, p0: Sequence[float]) -> np.ndarray:
        """P(p_j > p0_j | all data) for datasets x of shape (..., J)."""
        return self._evaluate(n, x, p0)[0]

    def posterior_mean(self, n: ArrayLike, x: ArrayLike, p0: Sequence[float]) -> np.ndarray:
        """Posterior mean of p_j for datasets x of shape (..., J)."""
        return self._evaluate(n, x, p0)[1]

    def _data(self, n: Sequence[int], x: Sequence[int], p0: float | Sequence[float]) -> Data:
        data = validate_data(n, x, p0)
        self._check_cohorts(data[0].size)
        return data

    def _fast_posterior(self, data: Data, level: float) -> BorrowingResult:
        n_arr, x_arr, p0_arr = data
        only = n_arr.tolist()  # the rows of this dataset's sample sizes, no others
        prob, mean, parts = self._evaluate(n_arr, x_arr[None, :], p0_arr, keep=True, only_n=only)
        low = np.empty(n_arr.size)
        high = np.empty(n_arr.size)
        for j in range(n_arr.size):
            low[j], high[j] = self._interval(int(n_arr[j]), int(x_arr[j]), j, parts, level, only)
        return BorrowingResult(
            n_arr,
            x_arr,
            p0_arr,
            prob[0],
            mean[0],
            low,
            high,
            "fast",
            self.prior,
        )

    def _check_cohorts(self, j: int) -> None:
        if j != self.prior.n_cohorts:
            raise InputError(
                "n", f"the EXNEX prior has {self.prior.n_cohorts} cohorts (got data for {j})"
            )

    def _evaluate(
        self,
        n: ArrayLike,
        x: ArrayLike,
        p0: ArrayLike,
        keep: bool = False,
        only_n: Sequence[int] | None = None,
    ) -> Any:
        x = np.asarray(x)
        shape = x.shape
        cohorts = shape[-1]
        self._check_cohorts(cohorts)
        flat_x = x.reshape(-1, cohorts)
        flat_n = np.broadcast_to(np.asarray(n), shape).reshape(-1, cohorts)
        p0_arr = np.broadcast_to(np.asarray(p0, dtype=float), (cohorts,))
        cuts = np.log(p0_arr / (1.0 - p0_arr))
        n_max = int(flat_n.max())
        rows = row_index(flat_n, flat_x)
        nex = [
            nex_rows(n_max, self.prior.nex_mean[j], self.prior.nex_sd[j], float(cuts[j]), only_n)
            for j in range(cohorts)
        ]
        cols = np.arange(cohorts)
        log_c = np.stack([nex[j][0][rows[:, j]] for j in cols], axis=1)  # (S, J)
        nex_tail = np.stack([nex[j][1][rows[:, j]] for j in cols], axis=1)
        nex_mean = np.stack([nex[j][2][rows[:, j]] for j in cols], axis=1)
        prob = np.empty(flat_x.shape)
        mean = np.empty(flat_x.shape)
        batch = max(1, 2_000_000 // ((1 << cohorts) * max(c.n_points for c in self.components)))
        parts = None
        for start in range(0, flat_x.shape[0], batch):
            sl = slice(start, start + batch)
            comp = [
                self._component(m, rows[sl], p0_arr, n_max, keep, only_n) for m in self.components
            ]
            # log posterior of each assignment (S, A)
            is_nex = (self._z == len(self.components)).astype(float)  # (A, J)
            log_p = self._log_w[cols, self._z].sum(axis=1)[None, :] + log_c[sl] @ is_nex.T
            for c, (log_z, _, _, _) in enumerate(comp):
                log_p = log_p + log_z[:, self._masks[c]]
            log_p -= special.logsumexp(log_p, axis=1, keepdims=True)
            post = np.exp(log_p)  # (S, A)
            tail = np.broadcast_to(nex_tail[sl][:, None, :], (post.shape[0], *self._z.shape))
            avg = np.broadcast_to(nex_mean[sl][:, None, :], tail.shape)
            for c, (_, t, m, _) in enumerate(comp):
                own = self._z == c
                tail = np.where(own, t[:, self._masks[c], :], tail)
                avg = np.where(own, m[:, self._masks[c], :], avg)
            prob[sl] = np.einsum("sa,saj->sj", post, tail)
            mean[sl] = np.einsum("sa,saj->sj", post, avg)
            if keep:
                parts = (post, comp, log_c[sl])
        out = (prob.reshape(shape), mean.reshape(shape))
        return (*out, parts) if keep else out

    @staticmethod
    def _component(
        model: HierarchicalModel,
        rows: np.ndarray,
        p0: np.ndarray,
        n_max: int,
        keep: bool,
        only_n: Sequence[int] | None = None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """log Z(S) (B, 2^J) and tail / mean (B, 2^J, J) of one EX component per subset."""
        tables = model.row_tables(n_max, only_n)
        cohorts = rows.shape[1]
        log_lik = tables["log_lik"][rows]  # (B, J, P)
        ratio_tail = np.stack(
            [model.tail_table(n_max, float(p), only_n)[rows[:, j]] for j, p in enumerate(p0)],
            axis=1,
        )
        ratio_mean = tables["mean"][rows]
        subsets = 1 << cohorts
        sums = np.empty((rows.shape[0], subsets, model.n_points))
        sums[:, 0] = model.log_prior
        for mask in range(1, subsets):
            low = mask & -mask
            sums[:, mask] = sums[:, mask ^ low] + log_lik[:, low.bit_length() - 1]
        shift = sums.max(axis=2, keepdims=True)
        weights = np.exp(sums - shift, out=sums)
        total = weights.sum(axis=2, keepdims=True)
        weights /= total
        log_z = (np.log(total) + shift)[:, :, 0]
        tail = weights @ ratio_tail.transpose(0, 2, 1)  # (B, 2^J, J)
        mean = weights @ ratio_mean.transpose(0, 2, 1)
        return log_z, tail, mean, (weights if keep else None)

    def _interval(
        self,
        n: int,
        x: int,
        j: int,
        parts: Any,
        level: float,
        only_n: Sequence[int] | None = None,
    ) -> tuple[float, float]:
        post, comp, log_c = parts
        mus, taus, log_coef = [], [], []
        for c, (model, (_, _, _, weights)) in enumerate(zip(self.components, comp, strict=True)):
            own = self._z[:, j] == c
            if not own.any():
                continue
            # posterior weight of each (mu, tau) point with cohort j in component c
            point = post[0, own] @ weights[0, self._masks[c][own]]
            log_lik = model.row_tables(n, only_n)["log_lik"][row_index(n, x)]
            keep = point > 1e-14 * max(point.max(), 1e-300)
            with np.errstate(divide="ignore"):
                log_coef.append(np.log(point[keep]) - log_lik[keep])
            mus.append(model.mu[keep])
            taus.append(model.tau[keep])
        nex_share = float(post[0, self._z[:, j] == len(self.components)].sum())
        extra = None
        if nex_share > 0:
            extra = (
                math.log(nex_share) - float(log_c[0, j]),
                self.prior.nex_mean[j],
                self.prior.nex_sd[j],
            )
        return theta_interval(
            n,
            x,
            np.concatenate(mus) if mus else np.empty(0),
            np.concatenate(taus) if taus else np.empty(0),
            np.concatenate(log_coef) if log_coef else np.empty(0),
            level,
            extra,
        )

    # ------------------------------------------------------------------ PyMC
    def _nuts_posterior(self, data: Data, settings: NutsSettings, level: float) -> BorrowingResult:
        """The mixture in PyMC with its assignment indicators marginalised."""
        import pymc as pm
        import pytensor.tensor as pt

        n_arr, x_arr, p0_arr = data
        prior = self.prior
        k = len(prior.ex)
        log_w = np.where(np.isfinite(self._log_w), self._log_w, -1e30).T  # (K + 1, J)
        log_choose = (
            special.gammaln(n_arr + 1)
            - special.gammaln(x_arr + 1)
            - special.gammaln(n_arr - x_arr + 1)
        )

        def log_binomial(theta: Any) -> Any:
            return log_choose - x_arr * pt.log1pexp(-theta) - (n_arr - x_arr) * pt.log1pexp(theta)

        with pm.Model():
            mu = pm.Normal(
                "mu", mu=[p.mu_mean for p in prior.ex], sigma=[p.mu_sd for p in prior.ex]
            )
            tau = pm.HalfNormal("tau", sigma=[p.tau_sd for p in prior.ex])
            z = pm.Normal("z", 0.0, 1.0, shape=(k, n_arr.size))
            theta_ex = pm.Deterministic("theta_ex", mu[:, None] + tau[:, None] * z)
            theta_nex = pm.Normal(
                "theta_nex", mu=np.asarray(prior.nex_mean), sigma=np.asarray(prior.nex_sd)
            )
            thetas = pt.concatenate([theta_ex, theta_nex[None, :]], axis=0)  # (K + 1, J)
            terms = log_w + log_binomial(thetas)
            pm.Deterministic("log_terms", terms)
            pm.Potential("x", pm.math.logsumexp(terms, axis=0).sum())
            idata = settings.sample()
        post = idata.posterior
        terms_d = np.asarray(post["log_terms"]).reshape(-1, k + 1, n_arr.size)
        share = np.exp(terms_d - special.logsumexp(terms_d, axis=1, keepdims=True))
        theta_d = np.concatenate(
            [
                np.asarray(post["theta_ex"]).reshape(-1, k, n_arr.size),
                np.asarray(post["theta_nex"]).reshape(-1, 1, n_arr.size),
            ],
            axis=1,
        )
        cut = np.log(p0_arr / (1.0 - p0_arr))
        above = (share * (theta_d > cut)).sum(axis=1)  # Rao-Blackwellised per draw
        mean = (share * special.expit(theta_d)).sum(axis=1)
        rng = np.random.default_rng(settings.seed)
        pick = (share.cumsum(axis=1) < rng.random((share.shape[0], 1, n_arr.size))).sum(axis=1)
        pick = np.minimum(pick, k)
        p_draws = special.expit(np.take_along_axis(theta_d, pick[:, None, :], axis=1)[:, 0])
        fit = (idata, ["mu", "tau", "theta_ex", "theta_nex"], settings)
        draws_of = {"above": above, "mean": mean, "p": p_draws}
        return nuts_result(fit, (n_arr, x_arr, p0_arr), draws_of, level, prior)
