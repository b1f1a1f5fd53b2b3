"""Bayesian hierarchical model across cohorts, with a fast exact posterior.

Model (Berry et al. 2013; bhmbasket's "berry" model, without centring)::

    x_j ~ Binomial(n_j, p_j),  logit p_j = theta_j,
    theta_j ~ Normal(mu, tau^2),  mu ~ Normal(m, s^2),  tau ~ HalfNormal(t).

The fast posterior integrates theta_j out of each cohort's likelihood and (mu, tau)
numerically on a fixed quadrature (:mod:`adaptive_pilot.cohorts.quadrature`, where
the rule and its measured accuracy are stated); the per-(n, x) rows are kept as
:class:`~adaptive_pilot.cohorts.tables.PosteriorTables`, which the simulator and the
interim call sum. The priors and the data check are in
:mod:`adaptive_pilot.cohorts.prior`; EXNEX is :mod:`adaptive_pilot.cohorts.exnex`.
The PyMC model of the same hierarchy (:meth:`HierarchicalModel.pymc_posterior`)
is for real interim analyses and for checking the fast posterior.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from ..provenance import Provenance, design_hash
from ..results import ResultMixin, Summary, Table, records
from .prior import Data, HierarchicalPrior, NonExchangeable, hierarchical_prior, validate_data
from .quadrature import (
    _TAU_RANGE,
    _TAU_SINH_SCALE,
    RowMapped,
    _gauss_legendre,
    _mu_breaks,
    build_tables,
    row_index,
    theta_interval,
)
from .tables import PosteriorTables, _tail

if TYPE_CHECKING:
    import pandas as pd

    from .exnex import ExnexPrior

__all__ = [
    "BorrowingModel",
    "BorrowingResult",
    "HierarchicalModel",
    "HierarchicalPrior",
    "NonExchangeable",
    "NutsSettings",
    "PosteriorTables",
    "hierarchical_prior",
    "nuts_result",
    "row_index",
]


@dataclass(frozen=True)
class BorrowingResult(ResultMixin):
    """Posterior summaries per cohort under the hierarchical model.

    Attributes
    ----------
    n, x : ndarray
        Data per cohort.
    p0 : ndarray
        Per-cohort null response rates.
    prob_gt_p0, posterior_mean, credible_low, credible_high : ndarray
        P(p_j > p0_j | all data), posterior mean of p_j and its 95 % interval.
    method : str
        ``"fast"`` (quadrature) or ``"pymc"`` (NUTS).
    prior : HierarchicalPrior or ExnexPrior
        The model's prior: Berry's hierarchy, or EXNEX's (which says which model
        the posterior is: ``prior.model_name``).
    diagnostics : dict
        For PyMC: draws, chains, maximum R-hat and minimum bulk ESS.
    """

    n: np.ndarray
    x: np.ndarray
    p0: np.ndarray
    prob_gt_p0: np.ndarray
    posterior_mean: np.ndarray
    credible_low: np.ndarray
    credible_high: np.ndarray
    method: str
    prior: HierarchicalPrior | ExnexPrior
    diagnostics: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per cohort."""
        import pandas as pd

        return pd.DataFrame(
            {
                "cohort": np.arange(1, self.n.size + 1),
                "n": self.n,
                "x": self.x,
                "p0": self.p0,
                "prob_gt_p0": self.prob_gt_p0,
                "posterior_mean": self.posterior_mean,
                "credible_low": self.credible_low,
                "credible_high": self.credible_high,
            }
        )

    @functools.cached_property
    def provenance(self) -> Provenance:
        """Exact (quadrature, to ~1e-6) for the fast posterior; Monte Carlo for NUTS.

        Made once per result, so every rendering shows the same creation time.
        """
        model = {self.prior.model_name: self.prior.to_dict()}
        design = design_hash({**model, "p0": self.p0.tolist()})
        if self.method == "fast":
            return Provenance("exact", design, details={"algorithm": "quadrature"})
        return Provenance(
            "monte carlo",
            design,
            seed=self.diagnostics.get("seed"),
            details={"algorithm": "PyMC NUTS", **self.diagnostics},
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``cohorts`` rows, ``prior``, ``provenance``."""
        return {
            "cohorts": records(self.to_frame()),
            "prior": self.prior.to_dict(),
            "model": self.prior.model_name,
            "provenance": self.provenance.to_dict(),
        }

    def summary(self) -> Summary:
        """The per-cohort posterior table."""
        prior = self.prior
        method = (
            "fast quadrature (exact to numerical precision, ~1e-6)"
            if self.method == "fast"
            else "PyMC NUTS (Monte Carlo)"
        )
        notes = []
        if self.diagnostics:
            d = self.diagnostics
            notes.append(
                f"NUTS: {d['chains']} chains x {d['draws']} draws; max R-hat "
                f"{d['max_r_hat']:.3f}, min bulk ESS {d['min_ess_bulk']:.0f}"
            )
        return Summary(
            prior.posterior_title,
            header=(f"Model: {prior.describe()}", f"Method: {method}"),
            tables=(Table(self.to_frame()),),
            notes=tuple(notes),
            provenance=self.provenance,
        )


@dataclass(frozen=True)
class NutsSettings:
    """How a borrowing model is fitted with PyMC's NUTS (the check of its fast posterior)."""

    draws: int = 2000
    tune: int = 1000
    chains: int = 2
    seed: int = 1

    def sample(self) -> Any:
        """NUTS draws of the PyMC model in context."""
        import pymc as pm

        return pm.sample(
            draws=self.draws,
            tune=self.tune,
            chains=self.chains,
            cores=1,
            random_seed=self.seed,
            progressbar=False,
            target_accept=0.95,
            compute_convergence_checks=False,
        )


class BorrowingModel:
    """What every borrowing model offers: its fast posterior and the same model by NUTS.

    Subclasses implement ``_fast_posterior`` and ``_nuts_posterior`` on validated
    data, and may extend ``_data`` (which validates n, x and p0).
    """

    def posterior(
        self,
        n: Sequence[int],
        x: Sequence[int],
        p0: float | Sequence[float],
        *,
        level: float = 0.95,
    ) -> BorrowingResult:
        """Posterior summaries for one dataset from the fast quadrature.

        Parameters
        ----------
        n, x : sequence of int
            Evaluable patients and responses per cohort.
        p0 : float or sequence of float
            Null response rate (one for all cohorts, or one per cohort).
        level : float, default 0.95
            Level of the equal-tailed credible intervals.
        """
        return self._fast_posterior(self._data(n, x, p0), level)

    def pymc_posterior(
        self,
        n: Sequence[int],
        x: Sequence[int],
        p0: float | Sequence[float],
        *,
        draws: int = 2000,
        tune: int = 1000,
        chains: int = 2,
        seed: int = 1,
        level: float = 0.95,
    ) -> BorrowingResult:
        """The same model fitted with PyMC's NUTS, with its diagnostics.

        Parameters are those of :meth:`posterior`, and the NUTS draws, tuning
        steps and chains (per chain) and its seed.
        """
        settings = NutsSettings(draws, tune, chains, seed)
        return self._nuts_posterior(self._data(n, x, p0), settings, level)

    def _data(self, n: Sequence[int], x: Sequence[int], p0: float | Sequence[float]) -> Data:
        return validate_data(n, x, p0)

    def _fast_posterior(self, data: Data, level: float) -> BorrowingResult:
        """The fast posterior of validated ``data`` (n, x, p0)."""
        raise NotImplementedError

    def _nuts_posterior(self, data: Data, settings: NutsSettings, level: float) -> BorrowingResult:
        """The NUTS fit of validated ``data`` (n, x, p0)."""
        raise NotImplementedError


class HierarchicalModel(BorrowingModel):
    """The hierarchical model with a precomputed quadrature over (mu, tau).

    Parameters
    ----------
    prior : HierarchicalPrior
        Priors of mu and tau.
    cuts : sequence of float, default ()
        The decision cuts logit(p0_j) of the cohorts. The mu rule is refined
        around each cut so that tail probabilities stay accurate as tau -> 0.
    tau_points : int, default 20
        Gauss-Legendre nodes in y, where tau = a sinh(y), a = 0.7 tau_sd, on
        tau in [0, 6 tau_sd].
    mu_panel : float, default 0.6
        Width of the Gauss-Legendre panels in mu on [-6, 6] (panels of width 2
        outside, out to mu_mean +- 8 mu_sd; at most mu_sd / 2).
    mu_nodes : int, default 5
        Gauss-Legendre nodes per mu panel.
    """

    def __init__(
        self,
        prior: HierarchicalPrior,
        cuts: Sequence[float] = (),
        *,
        tau_points: int = 20,
        mu_panel: float = 0.6,
        mu_nodes: int = 5,
    ) -> None:
        self.prior = prior
        self.cuts = tuple(sorted({float(c) for c in cuts}))
        # tau = a sinh(y): linear below a, logarithmic above. a stays at most 0.7, so a
        # wide prior (tau_sd 10-50) still resolves small tau, where a narrow mu prior
        # pulls theta; the nodes grow with the log range (20 for tau_sd <= 1).
        scale = _TAU_SINH_SCALE * min(prior.tau_sd, 1.0)
        y_max = math.asinh(_TAU_RANGE * prior.tau_sd / scale)
        nodes = math.ceil(tau_points * y_max / math.asinh(_TAU_RANGE / _TAU_SINH_SCALE) - 1e-9)
        y, y_w = _gauss_legendre(np.array([0.0, y_max]), max(tau_points, nodes))
        tau_nodes = scale * np.sinh(y)
        tau_weights = y_w * scale * np.cosh(y)
        # The whole prior of mu (8 SD each side): with little data or a wide tau the
        # posterior of mu spreads as far as its prior; panels resolve a narrow prior.
        lo = prior.mu_mean - 8 * prior.mu_sd
        hi = prior.mu_mean + 8 * prior.mu_sd
        panel = min(mu_panel, prior.mu_sd / 2)
        mus, taus, log_w = [], [], []
        for tau, tau_w in zip(tau_nodes, tau_weights, strict=True):
            mu, mu_w = _gauss_legendre(_mu_breaks(lo, hi, self.cuts, tau, panel), mu_nodes)
            mus.append(mu)
            taus.append(np.full(mu.size, tau))
            log_w.append(
                np.log(mu_w)
                + math.log(tau_w)
                - 0.5 * ((mu - prior.mu_mean) / prior.mu_sd) ** 2
                - 0.5 * (tau / prior.tau_sd) ** 2
            )
        self.mu = np.concatenate(mus)
        self.tau = np.concatenate(taus)
        self.log_prior = np.concatenate(log_w)
        self._rows: dict[str, Any] = {"n_max": -1}
        self._sparse: dict[str, Any] = {}
        self._compact: dict[tuple[Any, ...], PosteriorTables] = {}

    @property
    def n_points(self) -> int:
        """Number of (mu, tau) quadrature points."""
        return self.log_prior.size

    # ---------------------------------------------------------------- tables
    def row_tables(self, n_max: int, only_n: Sequence[int] | None = None) -> dict[str, Any]:
        """Tables for every (n, x) with 0 <= x <= n <= n_max, row n (n + 1) / 2 + x.

        Returns a dict with ``log_lik`` (rows, points): log L; ``tail``: a dict
        cut -> U / L; ``mean``: M / L (M the integral of expit(theta)).
        With ``only_n`` just the rows of those sample sizes are built (one
        dataset's posterior needs a few: memory grows with n, not n squared),
        still indexed by their row numbers in the full table.
        """
        if only_n is not None and self._rows["n_max"] < max(only_n):
            key = tuple(sorted({int(v) for v in only_n}))
            if self._sparse.get("key") != key:
                built = build_tables(max(key), self.mu, self.tau, self.cuts, key, True)
                rows = built["rows"]
                self._sparse = {
                    "key": key,
                    "n_max": max(key),
                    "log_lik": RowMapped(built["log_lik"], rows),
                    "tail": {cut: RowMapped(t, rows) for cut, t in built["tail"].items()},
                    "mean": RowMapped(built["mean"], rows),
                }
            return self._sparse
        if self._rows["n_max"] < n_max:
            self._rows = build_tables(int(n_max), self.mu, self.tau, self.cuts)
        return self._rows

    def tail_table(self, n_max: int, p0: float, only_n: Sequence[int] | None = None) -> Any:
        """U / L rows for the cut logit(p0), which must be one of the model's cuts."""
        return _tail(self.row_tables(n_max, only_n), p0)

    def tables(
        self, n: int, p0: float, only_n: Sequence[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(log L, U / L, M / L) for x = 0..n, each of shape (n + 1, points)."""
        rows = slice(row_index(n, 0), row_index(n + 1, 0))
        tables = self.row_tables(n, only_n)
        return (
            tables["log_lik"][rows],
            self.tail_table(n, p0, only_n)[rows],
            tables["mean"][rows],
        )

    # ------------------------------------------------------------- posterior
    def log_weights(
        self, n: ArrayLike, x: ArrayLike, p0: ArrayLike, only_n: Sequence[int] | None = None
    ) -> np.ndarray:
        """Normalised log posterior weights on the (mu, tau) grid for datasets x (..., J)."""
        x_arr = np.asarray(x)
        n_arr = np.asarray(n)
        log_lik = self.row_tables(int(n_arr.max()), only_n)["log_lik"]
        log_w = self.log_prior + log_lik[row_index(n_arr, x_arr)].sum(axis=-2)
        log_w -= special.logsumexp(log_w, axis=-1, keepdims=True)
        return log_w

    def compact_tables(
        self,
        n_max: int,
        p0: Sequence[float],
        dtype: Any = np.float64,
        only_n: Sequence[int] | None = None,
        nex: NonExchangeable | None = None,
    ) -> PosteriorTables:
        """:class:`PosteriorTables` for cohorts with null rates ``p0`` (cached).

        ``only_n`` builds just the rows of those sample sizes (an interim call
        needs a few; the simulator needs them all): the same numbers, less work.
        ``nex``: EXNEX's non-exchangeable part (None: Berry's model).
        """
        rows: dict[str, Any] | None = None  # the tables built, or new ones without means
        if only_n is not None:
            rows = build_tables(int(n_max), self.mu, self.tau, self.cuts, only_n, False)
            return PosteriorTables(self, int(n_max), p0, dtype=dtype, rows=rows, nex=nex)
        key = (int(n_max), tuple(float(v) for v in p0), np.dtype(dtype).name, nex)
        for (size, *rest), built in self._compact.items():
            if size >= key[0] and tuple(rest) == key[1:]:
                return built  # tables for a larger N hold every row of a smaller one
        if key not in self._compact:
            if self._rows["n_max"] < n_max:
                rows = build_tables(int(n_max), self.mu, self.tau, self.cuts, None, False)
            self._compact[key] = PosteriorTables(
                self, key[0], key[1], dtype=dtype, rows=rows, nex=nex
            )
        return self._compact[key]

    def prob_greater(self, n: Sequence[int], x: np.ndarray, p0: Sequence[float]) -> np.ndarray:
        """P(p_j > p0_j | all cohorts' data), vectorised over datasets x of shape (..., J)."""
        x = np.asarray(x)
        n_arr = np.broadcast_to(np.asarray(n), x.shape).reshape(-1, x.shape[-1])
        tables = self.compact_tables(int(np.max(n)), p0)
        flat = x.reshape(-1, x.shape[-1])
        out = np.stack(
            [
                tables.prob_greater(n_arr, flat, np.full(flat.shape[0], j))
                for j in range(x.shape[-1])
            ],
            axis=-1,
        )
        return out.reshape(x.shape)

    def _fast_posterior(self, data: Data, level: float) -> BorrowingResult:
        n_arr, x_arr, p0_arr = data
        only = n_arr.tolist()  # the rows of this dataset's sample sizes, no others
        log_w = self.log_weights(n_arr, x_arr[None, :], p0_arr, only)[0]
        w = np.exp(log_w)
        prob = np.empty(n_arr.size)
        mean = np.empty(n_arr.size)
        low = np.empty(n_arr.size)
        high = np.empty(n_arr.size)
        for j, (n_j, x_j, p0_j) in enumerate(zip(n_arr, x_arr, p0_arr, strict=True)):
            _, ratio_tail, ratio_mean = self.tables(int(n_j), float(p0_j), only)
            prob[j] = w @ ratio_tail[x_j]
            mean[j] = w @ ratio_mean[x_j]
            low[j], high[j] = self._interval(int(n_j), int(x_j), w, log_w, level, only)
        return BorrowingResult(n_arr, x_arr, p0_arr, prob, mean, low, high, "fast", self.prior)

    def _interval(
        self,
        n: int,
        x: int,
        w: np.ndarray,
        log_w: np.ndarray,
        level: float,
        only_n: Sequence[int] | None = None,
    ) -> tuple[float, float]:
        """Equal-tailed interval for p_j from its marginal posterior density on a fine grid."""
        log_total = self.row_tables(n, only_n)["log_lik"][row_index(n, x)]
        keep = w > 1e-14 * w.max()
        log_coef = log_w[keep] - log_total[keep]
        return theta_interval(n, x, self.mu[keep], self.tau[keep], log_coef, level)

    # ------------------------------------------------------------------ PyMC
    def _nuts_posterior(self, data: Data, settings: NutsSettings, level: float) -> BorrowingResult:
        """The hierarchy in PyMC, non-centred (theta = mu + tau z)."""
        import pymc as pm

        n_arr, x_arr, p0_arr = data
        with pm.Model():
            mu = pm.Normal("mu", mu=self.prior.mu_mean, sigma=self.prior.mu_sd)
            tau = pm.HalfNormal("tau", sigma=self.prior.tau_sd)
            z = pm.Normal("z", 0.0, 1.0, shape=n_arr.size)
            theta = pm.Deterministic("theta", mu + tau * z)
            pm.Binomial("x", n=n_arr, logit_p=theta, observed=x_arr)
            idata = settings.sample()
        theta_draws = np.asarray(idata.posterior["theta"]).reshape(-1, n_arr.size)
        p = special.expit(theta_draws)
        draws_of = {"above": (p > p0_arr).astype(float), "mean": p, "p": p}
        fit = (idata, ["mu", "tau", "theta"], settings)
        return nuts_result(fit, (n_arr, x_arr, p0_arr), draws_of, level, self.prior)


def nuts_result(
    fit: tuple[Any, list[str], NutsSettings],
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
    draws_of: dict[str, np.ndarray],
    level: float,
    prior: HierarchicalPrior | ExnexPrior,
) -> BorrowingResult:
    """The :class:`BorrowingResult` of a NUTS fit, with its diagnostics.

    ``fit``: (inference data, names of the parameters checked, the NUTS settings);
    ``data``: (n, x, p0); ``draws_of``: per draw (draws, J), ``"above"`` the value whose
    mean is P(p_j > p0_j) (an indicator, or its Rao-Blackwellised expectation),
    ``"mean"`` the one whose mean is E(p_j), and ``"p"`` draws of p_j for the interval.
    Diagnostics: seed, draws, chains, max R-hat, min bulk ESS, divergences, and the
    MCSE of each P(p_j > p0_j) (ESS-based, per ArviZ).
    """
    import arviz as az

    idata, names, settings = fit
    chains = settings.chains
    summary = az.summary(idata, var_names=names)
    diagnostics = {
        "seed": int(settings.seed),
        "draws": int(settings.draws),
        "chains": int(chains),
        "max_r_hat": float(np.nanmax(summary["r_hat"].to_numpy(dtype=float))),
        "min_ess_bulk": float(np.nanmin(summary["ess_bulk"].to_numpy(dtype=float))),
        "divergences": int(np.asarray(idata.sample_stats["diverging"]).sum()),
        "mcse_prob_gt_p0": [float(az.mcse(v.reshape(chains, -1))) for v in draws_of["above"].T],
    }
    alpha = (1.0 - level) / 2.0
    p = draws_of["p"]
    return BorrowingResult(
        *data,
        draws_of["above"].mean(axis=0),
        draws_of["mean"].mean(axis=0),
        np.quantile(p, alpha, axis=0),
        np.quantile(p, 1.0 - alpha, axis=0),
        "pymc",
        prior,
        diagnostics,
    )
