"""Bayesian hierarchical model across cohorts, with a fast exact posterior.

Model (Berry et al. 2013; bhmbasket's "berry" model, without centring)::

    x_j ~ Binomial(n_j, p_j),  logit p_j = theta_j,
    theta_j ~ Normal(mu, tau^2),  mu ~ Normal(m, s^2),  tau ~ HalfNormal(t).

The fast posterior integrates theta_j out of each cohort's likelihood,

    L_j(mu, tau) = integral Binomial(x_j | n_j, expit theta) Normal(theta | mu, tau^2) dtheta,

and integrates (mu, tau) numerically on a fixed product-type quadrature:

* tau = a sinh(y) with a = 0.7 min(tau_sd, 1) and Gauss-Legendre nodes in y on
  tau in [0, 6 tau_sd]: linear near 0, logarithmic beyond, which is where the
  integrand's features are (a plain rule in tau converges far more slowly); 20
  nodes, more when tau_sd > 1 makes the logarithmic range longer;
* for each tau node, composite Gauss-Legendre panels in mu over the prior's
  mu_mean +- 8 mu_sd: width min(0.6, mu_sd / 2) on [-6, 6] (up to 2 outside),
  plus panels of width tau/4 ... 8 tau around each decision cut logit(p0_j). As
  tau -> 0, P(theta_j > cut | mu, tau, x_j) becomes a step in mu; the tau-scaled
  panels resolve it at every tau;
* theta_j is integrated out by composite Gauss-Legendre in theta on [-40, 40]
  (breaking at each cut), plus the exact tails beyond, where expit is 0 or 1 (a
  wide tau puts mass there); or in z = (theta - mu) / tau for tau < 0.05.

Then, with w(mu, tau) proportional to prior x prod_j L_j,

    P(p_j > p0_j | all data) = sum w(mu, tau) U_j(mu, tau) / L_j(mu, tau).

Tables of log L, U / L and M / L are computed once for every (n, x) with
n <= N (row n (n + 1) / 2 + x), so a trial's posterior is a sum of table rows
followed by one weighted sum: this is what the simulator uses.

Measured accuracy (tests/test_hierarchical.py): against a quadrature with four
times the points, posterior probabilities agree within 1e-7 (tested at 1e-6);
in the complete-pooling limit (tau_sd -> 0) they agree with an adaptive 1-D
integral within 1e-6; against an independent adaptive integral of the one-cohort
model, within 1e-5 (worst seen 4e-6) over the whole allowed prior range
(:data:`adaptive_pilot._limits.PRIOR_RANGES`: tau_sd 1e-5 to 50, mu_sd 0.1 to 10,
mu_mean -10 to 10), which the library, the design files and the CLI enforce.
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

from .._limits import BORROWED_N_LIMIT, PRIOR_RANGES
from ..errors import InputError
from ..provenance import Provenance, design_hash
from ..results import ResultMixin, Summary, Table, records
from .weighted_tail import weighted_tail

if TYPE_CHECKING:
    import pandas as pd

    from .exnex import ExnexPrior

__all__ = [
    "BorrowingResult",
    "HierarchicalModel",
    "HierarchicalPrior",
    "NonExchangeable",
    "PosteriorTables",
    "hierarchical_prior",
]

_TAU_RANGE = 6.0  # tau in [0, 6 tau_sd]
_TAU_SINH_SCALE = 0.7  # tau = 0.7 tau_sd sinh(y): linear near 0, logarithmic beyond
_MU_INNER = 6.0  # fine mu panels on [-6, 6], where data can make the posterior narrow
_MU_OUTER_PANEL = 2.0
_THETA_INNER = 12.0
_THETA_FINE, _THETA_COARSE, _THETA_LIMIT, _THETA_NODES = 0.05, 0.25, 40.0, 8
# theta panel widths on [-12, 12], chosen per tau and n by _theta_panels
_THETA_PANELS = np.array([0.05, 0.1, 0.25, 0.5])
_SMALL_TAU = 0.05  # below this the theta integral is done in z = (theta - mu) / tau
_Z_LIMIT, _Z_PANELS, _Z_NODES = 9.0, 4, 16
_LOG_FLOOR = -1e5  # log L below this (or -inf: underflow) is stored as this


@dataclass(frozen=True)
class HierarchicalPrior:
    """Priors of the hierarchy: mu ~ N(mu_mean, mu_sd^2), tau ~ HalfNormal(tau_sd).

    Parameters
    ----------
    mu_mean : float
        Prior mean of mu on the logit scale (e.g. logit(p0)).
    mu_sd : float, default 2
        Prior standard deviation of mu.
    tau_sd : float, default 1
        Scale of the half-normal prior of tau (between-cohort SD on the logit scale).
    """

    mu_mean: float
    mu_sd: float = 2.0
    tau_sd: float = 1.0

    def __post_init__(self) -> None:
        for name, positive in (("mu_mean", False), ("mu_sd", True), ("tau_sd", True)):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                raise InputError(name, f"must be a finite number (got {value!r})")
            if positive and not value > 0:
                raise InputError(name, f"must be positive (got {value})")
            low, high = PRIOR_RANGES[name]
            if not low <= value <= high:
                raise InputError(
                    name,
                    f"must be between {low:g} and {high:g} (got {value:g}): the range where "
                    "the fast posterior is checked exact to 1e-5",
                )
            object.__setattr__(self, name, float(value))

    def to_dict(self) -> dict[str, float]:
        """JSON-ready form."""
        return {"mu_mean": self.mu_mean, "mu_sd": self.mu_sd, "tau_sd": self.tau_sd}


@dataclass(frozen=True)
class NonExchangeable:
    """The non-exchangeable part of an EXNEX model (Neuenschwander et al. 2016).

    Cohort j's logit p_j is exchangeable, theta_j ~ N(mu, tau^2), with prior
    probability ``ex_weight[j]``, and otherwise non-exchangeable with its own
    prior theta_j ~ N(``nex_mean[j]``, ``nex_sd[j]``^2). All weights 1 is the
    Berry model.
    """

    ex_weight: tuple[float, ...]
    nex_mean: tuple[float, ...]
    nex_sd: tuple[float, ...]

    def __post_init__(self) -> None:
        for name in ("ex_weight", "nex_mean", "nex_sd"):
            object.__setattr__(self, name, tuple(float(v) for v in getattr(self, name)))
        if not (len(self.ex_weight) == len(self.nex_mean) == len(self.nex_sd) >= 1):
            raise InputError("ex_weight", "needs one weight, NEX mean and NEX SD per cohort")
        for w in self.ex_weight:
            if not 0.0 <= w <= 1.0:
                raise InputError("ex_weight", f"must be between 0 and 1 (got {w})")
        for m in self.nex_mean:
            if not -10.0 <= m <= 10.0:
                raise InputError("nex_mean", f"must be between -10 and 10 (got {m})")
        for sd in self.nex_sd:
            if not 0.1 <= sd <= 5.0:
                raise InputError("nex_sd", f"must be between 0.1 and 5 (got {sd})")

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-ready form."""
        return {
            "ex_weight": list(self.ex_weight),
            "nex_mean": list(self.nex_mean),
            "nex_sd": list(self.nex_sd),
        }


def hierarchical_prior(
    p0: float | Sequence[float],
    *,
    mu_mean: float | None = None,
    mu_sd: float = 2.0,
    tau_sd: float = 1.0,
) -> HierarchicalPrior:
    """The hierarchy's prior, with the one default for the prior mean of mu.

    The default ``mu_mean`` is the mean of the cohorts' logit(p0_j): the prior
    centres the cohorts' logits on their null rates. With one p0 for every
    cohort this is logit(p0). ``borrow``, design files, the simulator and the
    API all build the prior here, so the same trial gets the same posterior
    everywhere.

    Examples
    --------
    >>> round(hierarchical_prior([0.1, 0.2]).mu_mean, 4)
    -1.7918
    """
    values = np.atleast_1d(np.asarray(p0, dtype=float))
    if values.size == 0 or np.any(~((values > 0) & (values < 1))):
        raise InputError("p0", f"must be strictly between 0 and 1 (got {values.tolist()})")
    if mu_mean is None:
        mu_mean = float(np.mean(np.log(values / (1.0 - values))))
    return HierarchicalPrior(mu_mean, mu_sd, tau_sd)


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
    prior : HierarchicalPrior
        The hierarchy's prior (EXNEX: its first exchangeable component).
    diagnostics : dict
        For PyMC: draws, chains, maximum R-hat and minimum bulk ESS.
    exnex : ExnexPrior, optional
        The EXNEX model's priors, when the posterior is EXNEX's.
    """

    n: np.ndarray
    x: np.ndarray
    p0: np.ndarray
    prob_gt_p0: np.ndarray
    posterior_mean: np.ndarray
    credible_low: np.ndarray
    credible_high: np.ndarray
    method: str
    prior: HierarchicalPrior
    diagnostics: dict[str, Any] = field(default_factory=dict)
    exnex: ExnexPrior | None = None

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
        model = (
            {"hierarchical": self.prior.to_dict()}
            if self.exnex is None
            else {"exnex": self.exnex.to_dict()}
        )
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
            "prior": self.prior.to_dict() if self.exnex is None else self.exnex.to_dict(),
            "model": "hierarchical" if self.exnex is None else "exnex",
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
        model = (
            f"Model: logit p_j ~ N(mu, tau^2), mu ~ N({prior.mu_mean:.3f}, {prior.mu_sd:g}^2), "
            f"tau ~ HalfNormal({prior.tau_sd:g})"
            if self.exnex is None
            else f"Model: {self.exnex.describe()}"
        )
        return Summary(
            "Hierarchical posterior across cohorts"
            if self.exnex is None
            else "EXNEX posterior across cohorts",
            header=(model, f"Method: {method}"),
            tables=(Table(self.to_frame()),),
            notes=tuple(notes),
            provenance=self.provenance,
        )


#: One dataset, validated: (n, x, p0) per cohort.
Data = tuple[np.ndarray, np.ndarray, np.ndarray]


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
        return _validate_data(n, x, p0)

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
                built = _build_tables(max(key), self.mu, self.tau, self.cuts, key, True)
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
            self._rows = _build_tables(int(n_max), self.mu, self.tau, self.cuts)
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
            rows = _build_tables(int(n_max), self.mu, self.tau, self.cuts, only_n, False)
            return PosteriorTables(self, int(n_max), p0, dtype=dtype, rows=rows, nex=nex)
        key = (int(n_max), tuple(float(v) for v in p0), np.dtype(dtype).name, nex)
        for (size, *rest), built in self._compact.items():
            if size >= key[0] and tuple(rest) == key[1:]:
                return built  # tables for a larger N hold every row of a smaller one
        if key not in self._compact:
            if self._rows["n_max"] < n_max:
                rows = _build_tables(int(n_max), self.mu, self.tau, self.cuts, None, False)
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


class PosteriorTables:
    """The hierarchy's posterior as sums of table rows, in float64 or float32.

    This is the one implementation of P(p_j > p0_j | all data) from the
    quadrature tables: :meth:`HierarchicalModel.prob_greater` uses it in
    float64 and the simulator in float32. ``log_lik`` rows are shifted by their
    maximum (a constant per row cancels in the normalised weights), so float32
    keeps ~1e-7 relative precision where the weights matter (differences from
    float64 within 2e-6, tested).
    """

    def __init__(
        self,
        model: HierarchicalModel,
        n_max: int,
        p0: Sequence[float],
        dtype: Any = np.float64,
        rows: dict[str, Any] | None = None,
        nex: NonExchangeable | None = None,
    ) -> None:
        tables = model.row_tables(n_max) if rows is None else rows
        log_lik = tables["log_lik"]
        n_rows = log_lik.shape[0]
        #: rows of the full table (every 0 <= x <= n <= n_max): the radix of dataset keys
        self.full_rows = int(row_index(n_max + 1, 0))
        kept = tables.get("rows")
        # full-table row -> stored row (-1: not built); None when every row is stored
        self.row_map: np.ndarray | None = None
        if kept is not None:
            self.row_map = np.full(self.full_rows, -1, dtype=np.int64)
            self.row_map[kept] = np.arange(kept.size)
        self.log_prior = (model.log_prior - model.log_prior.max()).astype(dtype)
        self.n_points = model.n_points
        if nex is None:
            distinct = sorted(set(p0))
            self.cut_index = np.array([distinct.index(v) for v in p0])
            tails = [_tail(tables, v) for v in distinct]
            per_cohort = [log_lik]
            self.row_offset = np.zeros(len(p0), dtype=np.int64)
        else:
            # EXNEX: cohort j's marginal likelihood is w L_EX(mu, tau) + (1 - w) C_j, and
            # its tail ratio the same mixture of the EX ratio and the NEX one.
            if len(nex.ex_weight) != len(p0):
                raise InputError("ex_weight", "needs one weight per cohort")
            # cohorts with the same p0, weight and NEX prior share one block of rows
            keys = [
                (float(p), nex.ex_weight[j], nex.nex_mean[j], nex.nex_sd[j])
                for j, p in enumerate(p0)
            ]
            distinct_keys = list(dict.fromkeys(keys))
            self.cut_index = np.array([distinct_keys.index(k) for k in keys])
            tails, per_cohort = [], []
            for p, weight, nex_mean, nex_sd in distinct_keys:
                log_c, ratio, _ = nex_rows(n_max, nex_mean, nex_sd, _logit(p))
                if kept is not None:
                    log_c, ratio = log_c[kept], ratio[kept]
                with np.errstate(divide="ignore", invalid="ignore"):
                    log_ex = math.log(weight) if weight > 0 else -np.inf
                    log_nex = math.log1p(-weight) if weight < 1 else -np.inf
                    mixed = np.logaddexp(log_ex + log_lik, log_nex + log_c[:, None])
                    share = np.exp(log_ex + log_lik - mixed)  # P(EX | mu, tau, x_j)
                tail = share * _tail(tables, p) + (1.0 - share) * ratio[:, None]
                per_cohort.append(mixed)
                tails.append(np.clip(tail, 0.0, 1.0))
            self.row_offset = self.cut_index.astype(np.int64) * n_rows
        with np.errstate(invalid="ignore"):  # a row of -inf only: its NaNs weigh nothing
            shifted = []
            for table in per_cohort:
                finite = np.where(np.isfinite(table), table, -np.inf)
                shifted.append(table - np.max(finite, axis=1)[:, None])
            # rows of maximum 0 (see weighted_tail); a likelihood that underflowed to 0
            # (log -inf) becomes e^-1e5, which weighs nothing and keeps the sums finite
            self.log_lik = np.maximum(np.concatenate(shifted), _LOG_FLOOR).astype(dtype)
        self.tail = np.stack(tails).astype(dtype)

    def prob_greater(self, n: np.ndarray, x: np.ndarray, target: np.ndarray) -> np.ndarray:
        """P(p_t > p0_t | all data) for datasets (n, x) of shape (S, J); t = target, shape (S,)."""
        rows = row_index(np.asarray(n), np.asarray(x))
        if self.row_map is not None:
            rows = self.row_map[rows]
            if np.any(rows < 0):
                raise ValueError("these tables were built for other sample sizes")
        target = np.asarray(target)
        of_target = np.take_along_axis(rows, target[:, None], axis=1)[:, 0]
        tail_rows = self.cut_index[target] * self.tail.shape[1] + of_target
        return weighted_tail(
            self.log_prior,
            self.log_lik,
            self.tail.reshape(-1, self.tail.shape[-1]),
            rows + self.row_offset,
            tail_rows,
        )


# ---------------------------------------------------------------- internals
def _tail(tables: dict[str, Any], p0: float) -> Any:
    """U / L rows of built tables for the cut logit(p0) (one of the model's cuts)."""
    cut = _logit(p0)
    for known, table in tables["tail"].items():
        if abs(known - cut) < 1e-12:
            return table
    raise ValueError(f"p0 = {p0} is not one of the model's cuts; pass it in `cuts`")


def nex_rows(
    n_max: int, mean: float, sd: float, cut: float, only_n: Sequence[int] | None = None
) -> tuple[Any, Any, Any]:
    """log C, C_upper / C and C_mean / C for every (n, x) row under theta ~ N(mean, sd^2).

    C = integral Binomial(x | n, expit theta) N(theta | mean, sd^2) dtheta (with the
    binomial coefficient, as the EX tables), C_upper the same over theta > cut and
    C_mean the integral times expit theta, on the EX tables' theta rule (the prior
    puts no mass beyond |theta| = 40). With ``only_n``, just those sample sizes'
    rows (as :class:`RowMapped`, indexed by full-table row numbers).
    """
    sizes = range(n_max + 1) if only_n is None else sorted({int(v) for v in only_n})
    n = np.concatenate([np.full(k + 1, k) for k in sizes])
    x = np.concatenate([np.arange(k + 1) for k in sizes])
    theta, weight = _theta_rule((cut,))
    log_f = (
        special.gammaln(n + 1)[:, None]
        - special.gammaln(x + 1)[:, None]
        - special.gammaln(n - x + 1)[:, None]
        - x[:, None] * np.logaddexp(0.0, -theta)
        - (n - x)[:, None] * np.logaddexp(0.0, theta)
        + np.log(np.maximum(weight * _normal_pdf(theta, mean, sd), 1e-300))
    )
    shift = log_f.max(axis=1)
    f = np.exp(log_f - shift[:, None])
    total = f.sum(axis=1)
    upper = f[:, theta > cut].sum(axis=1)
    mean_part = f @ special.expit(theta)
    out = (np.log(total) + shift, upper / total, mean_part / total)
    if only_n is None:
        return out
    rows = row_index(n, x)
    return tuple(RowMapped(part, rows) for part in out)  # type: ignore[return-value]


class RowMapped:
    """Rows built for some sample sizes only, indexed by their full-table row numbers.

    ``table[row_index(n, x)]`` (an int, an array or a slice of rows) gives the
    same rows as the full table would; a row that was not built raises.
    """

    def __init__(self, data: np.ndarray, rows: np.ndarray) -> None:
        self.data = data
        self._map = np.full(int(rows.max()) + 1, -1, dtype=np.int64)
        self._map[rows] = np.arange(rows.size)

    def __getitem__(self, rows: Any) -> np.ndarray:
        if isinstance(rows, slice):
            rows = np.arange(rows.start, rows.stop)
        local = self._map[np.asarray(rows)]
        if np.any(local < 0):
            raise IndexError("a row of a sample size that was not built")
        return self.data[local]


def nuts_result(
    fit: tuple[Any, list[str], NutsSettings],
    data: tuple[np.ndarray, np.ndarray, np.ndarray],
    draws_of: dict[str, np.ndarray],
    level: float,
    prior: HierarchicalPrior,
    exnex: ExnexPrior | None = None,
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
        exnex=exnex,
    )


def row_index(n: Any, x: Any) -> Any:
    """Row of (n, x) in the tables, which list x = 0..n for n = 0, 1, 2, ..."""
    return n * (n + 1) // 2 + x


def theta_interval(
    n: int,
    x: int,
    mu: np.ndarray,
    tau: np.ndarray,
    log_coef: np.ndarray,
    level: float,
    extra: tuple[float, float, float] | None = None,
) -> tuple[float, float]:
    """Equal-tailed interval of p from a mixture of theta | (mu, tau) posteriors.

    The density of theta is proportional to Binomial(x | n, expit theta) times
    sum_i c_i N(theta | mu_i, tau_i^2), log c_i = ``log_coef`` = log(posterior
    weight / marginal likelihood) at point i, plus ``extra``'s normal component
    (log c, mean, sd), on a fine grid in theta.
    """
    theta = np.linspace(-14, 14, 5601)
    step = theta[1] - theta[0]
    log_choose = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    log_lik = x * -np.logaddexp(0, -theta) + (n - x) * -np.logaddexp(0, theta)
    coef = np.exp(log_coef + log_choose)
    density = np.zeros_like(theta)
    for start in range(0, tau.size, 512):
        sl = slice(start, start + 512)
        widths = np.maximum(tau[sl], step)  # spikes narrower than the grid are smoothed
        density += coef[sl] @ _normal_pdf(theta[None, :], mu[sl, None], widths[:, None])
    if extra is not None:
        density += math.exp(extra[0] + log_choose) * _normal_pdf(theta, extra[1], extra[2])
    density *= np.exp(log_lik)
    cdf = np.cumsum(density)
    cdf /= cdf[-1]
    alpha = (1.0 - level) / 2.0
    lo = float(np.interp(alpha, cdf, theta))
    hi = float(np.interp(1.0 - alpha, cdf, theta))
    return float(special.expit(lo)), float(special.expit(hi))


def _normal_pdf(value: np.ndarray, mean: ArrayLike, sd: ArrayLike) -> np.ndarray:
    mean, sd = np.asarray(mean, dtype=float), np.asarray(sd, dtype=float)
    return np.exp(-0.5 * ((value - mean) / sd) ** 2) / (sd * math.sqrt(2.0 * math.pi))


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _gauss_legendre(breaks: np.ndarray, nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss-Legendre rule with panels between consecutive breakpoints."""
    u, v = np.polynomial.legendre.leggauss(nodes)
    half = (breaks[1:] - breaks[:-1])[:, None] / 2.0
    centre = (breaks[1:] + breaks[:-1])[:, None] / 2.0
    return (centre + half * u).ravel(), (half * v).ravel()


def _mu_breaks(
    lo: float, hi: float, cuts: tuple[float, ...], tau: float, panel: float
) -> np.ndarray:
    """Panel breakpoints in mu for one tau node.

    Panels of width ``panel`` on [-6, 6] aligned on the first cut, width 2 outside,
    and around each cut panels of width tau/4 ... 8 tau: P(theta_j > cut | mu, tau)
    is a sigmoid of width ~tau in mu, which these panels resolve for any tau.
    """
    outer = max(panel, min(_MU_OUTER_PANEL, (hi - lo) / 16))
    anchor = cuts[0] if cuts else 0.0
    inner_lo, inner_hi = max(lo, -_MU_INNER), min(hi, _MU_INNER)
    k = np.arange(
        math.floor((inner_lo - anchor) / panel), math.ceil((inner_hi - anchor) / panel) + 1
    )
    fine = anchor + panel * k
    if fine.size == 0:  # the prior of mu lies outside [-6, 6]: outer panels only
        fine = np.array([lo])
    breaks = [
        fine,
        np.arange(fine[0], lo, -outer),
        np.arange(fine[-1], hi, outer),
        np.array([lo, hi]),
    ]
    for cut in cuts:
        widths = tau * np.array([0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
        widths = widths[widths < panel]
        breaks.append(np.concatenate([[cut], cut - widths, cut + widths]))
    merged = np.unique(np.clip(np.concatenate(breaks), lo, hi))
    return merged[np.concatenate([[True], np.diff(merged) > 1e-9])]


def _theta_rule(
    cuts: tuple[float, ...], panel: float = _THETA_FINE
) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre rule in theta on [-40, 40], breaking at each cut.

    Panels of width ``panel`` on [-12, 12] and of width max(panel, 0.25) beyond.
    """
    fine = np.arange(-_THETA_INNER, _THETA_INNER + 1e-9, panel)
    coarse = np.arange(_THETA_INNER, _THETA_LIMIT + 1e-9, max(panel, _THETA_COARSE))
    breaks = np.unique(np.concatenate([fine, coarse, -coarse, np.asarray(cuts, float)]))
    return _gauss_legendre(breaks, _THETA_NODES)


def _theta_panels(n: np.ndarray, tau: float) -> np.ndarray:
    """Width of the theta panels for rows of n patients under N(mu, tau^2).

    The integrand Binomial(x | n, expit theta) N(theta | mu, tau^2) is no narrower
    than a normal of SD s = (1 / tau^2 + n / 4)^(-1/2) (the binomial's information
    in theta is at most n / 4). Eight Gauss-Legendre nodes on panels up to 2 s wide
    integrate a normal to 1e-12; the widest allowed panel is used, never wider
    than 0.5 nor narrower than 0.05 (the finest, whatever s).
    """
    narrowest = 1.0 / np.sqrt(1.0 / tau**2 + n / 4.0)
    fits = _THETA_PANELS[None, :] <= 2.0 * narrowest[:, None]
    widest = _THETA_PANELS.size - 1 - np.argmax(fits[:, ::-1], axis=1)
    return np.where(fits.any(axis=1), _THETA_PANELS[widest], _THETA_PANELS[0])


def _build_tables(
    n_max: int,
    mu: np.ndarray,
    tau: np.ndarray,
    cuts: tuple[float, ...],
    only_n: Sequence[int] | None = None,
    with_mean: bool = True,
) -> dict[str, Any]:
    """log L, U / L per cut and M / L for every (n, x) row and (mu, tau) point.

    With ``only_n`` just the rows of those sample sizes are computed and kept
    (each row is its own integral, so their values are the same, to round-off);
    ``rows`` then holds their row numbers in the full table.
    ``with_mean=False`` leaves out M / L (the posterior mean), which decisions
    never read: a third less work for the simulator's tables.
    """
    sizes = range(n_max + 1) if only_n is None else sorted(set(only_n))
    n = np.concatenate([np.full(k + 1, k) for k in sizes])
    x = np.concatenate([np.arange(k + 1) for k in sizes])
    log_choose = special.gammaln(n + 1) - special.gammaln(x + 1) - special.gammaln(n - x + 1)
    # each row scaled by its likelihood's supremum (at p = x / n), so no value underflows
    # needlessly; a property of the row alone, whatever theta rule integrates it
    with np.errstate(divide="ignore", invalid="ignore"):
        p_hat = x / np.maximum(n, 1)
        shift = (
            log_choose
            + np.nan_to_num(x * np.log(p_hat))
            + np.nan_to_num((n - x) * np.log1p(-p_hat))
        )
    rules: dict[float, tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]] = {}
    cut_order = sorted(cuts)

    def theta_rule(panel: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[int]]:
        """Nodes, weights, scaled likelihood of every row, start of each cut's stretch."""
        if panel not in rules:
            theta, theta_w = _theta_rule(cuts, panel)
            log_lik = (
                (log_choose - shift)[:, None]
                - x[:, None] * np.logaddexp(0.0, -theta)
                - (n - x)[:, None] * np.logaddexp(0.0, theta)
            )
            # theta ascends and no node is a cut: stretches between cuts, then the end
            segments = [*np.searchsorted(theta, cut_order, side="right").tolist(), theta.size]
            rules[panel] = (theta, theta_w, np.exp(log_lik), segments)
        return rules[panel]

    rows, points = n.size, mu.size
    total = np.empty((rows, points))
    mean = np.zeros((rows, points))  # left at 0 (not garbage) when with_mean is False
    tails = {cut: np.empty((rows, points)) for cut in cuts}
    for value in np.unique(tau):
        idx = np.flatnonzero(tau == value)
        if value >= _SMALL_TAU:
            # rows are in order of n, so each theta rule serves one stretch of rows
            panels = _theta_panels(n, float(value))
            for panel in np.unique(panels):
                r = slice(
                    int(np.argmax(panels == panel)),
                    int(panels.size - np.argmax(panels[::-1] == panel)),
                )
                theta, theta_w, lik, segments = theta_rule(float(panel))
                density = theta_w[:, None] * _normal_pdf(theta[:, None], mu[None, idx], value)
                # one product per stretch of theta between cuts: the tail above each
                # cut and the total are sums of them
                above_cut = np.zeros((r.stop - r.start, idx.size))
                for i in reversed(range(len(cut_order))):
                    part = slice(segments[i], segments[i + 1])
                    above_cut += lik[r, part] @ density[part]
                    tails[cut_order[i]][r, idx] = above_cut
                total[r, idx] = above_cut + lik[r, : segments[0]] @ density[: segments[0]]
                if with_mean:
                    mean[r, idx] = lik[r] @ (density * special.expit(theta)[:, None])
            # Beyond |theta| = 40 expit is 0 or 1 (to 4e-18): the likelihood is 1 for x = 0
            # below and for x = n above, 0 otherwise. A wide tau puts prior mass there.
            below = special.ndtr((-_THETA_LIMIT - mu[idx]) / value)
            above = special.ndtr((mu[idx] - _THETA_LIMIT) / value)
            none, all_ = np.exp(-shift) * (x == 0), np.exp(-shift) * (x == n)
            total[:, idx] += none[:, None] * below + all_[:, None] * above
            mean[:, idx] += all_[:, None] * above
            for tail in tails.values():
                tail[:, idx] += all_[:, None] * above
            continue
        # Small tau: integrate in z = (theta - mu) / tau, where the integrand is smooth.
        z_args = (n, x, log_choose - shift, mu[idx], float(value))
        total[:, idx], mean[:, idx] = _z_integrals(*z_args, np.full(idx.size, -_Z_LIMIT))
        for cut, tail in tails.items():
            z_cut = np.clip((cut - mu[idx]) / value, -_Z_LIMIT, _Z_LIMIT)
            tail[:, idx] = _z_integrals(*z_args, z_cut)[0]
    with np.errstate(divide="ignore"):
        log_total = np.log(total) + shift[:, None]

    def ratio(part: np.ndarray) -> np.ndarray:
        # where the likelihood underflows to 0 the point has no weight: any ratio will do
        safe = np.divide(part, total, out=np.zeros_like(part), where=total > 0)
        return np.clip(safe, 0.0, 1.0)

    out = {
        "n_max": n_max,
        "log_lik": log_total,
        "tail": {cut: ratio(t) for cut, t in tails.items()},
        "mean": ratio(mean) if with_mean else None,
    }
    # with only_n, the rows kept are these (full-table row numbers, ascending)
    out["rows"] = None if only_n is None else row_index(n, x)
    return out


def _z_integrals(
    n: np.ndarray,
    x: np.ndarray,
    log_scale: np.ndarray,
    mu: np.ndarray,
    tau: float,
    z_lo: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Integrals of Binomial x N(0, 1) (and x expit) over z in [z_lo, 9], theta = mu + tau z.

    Row r's integrand is exp(log_scale_r) p^x_r (1 - p)^(n_r - x_r) at p = expit(theta):
    the powers are tabled once for every exponent and summed over the nodes by
    one matrix product per point, so no exp per row and node.
    """
    u, v = np.polynomial.legendre.leggauss(_Z_NODES)
    edges = z_lo[:, None] + (_Z_LIMIT - z_lo)[:, None] * np.linspace(0, 1, _Z_PANELS + 1)
    half = (edges[:, 1:] - edges[:, :-1])[:, :, None] / 2.0
    z = ((edges[:, 1:] + edges[:, :-1])[:, :, None] / 2.0 + half * u).reshape(mu.size, -1)
    w = (half * v).reshape(mu.size, -1) * _normal_pdf(z, 0.0, 1.0)
    theta = mu[:, None] + tau * z
    # T[k, a, b] = sum_m w_km p_km^a (1 - p_km)^b for every a, b <= n_max + 1 is one
    # matrix product per point k; row (n, x) reads its total at (x, n - x) and its
    # mean at (x + 1, n - x). Points in blocks: temporaries of ~16 MB.
    exponents = np.arange(int(n.max()) + 2)[None, :, None]
    scale = np.exp(log_scale)
    total = np.empty((n.size, mu.size))
    mean = np.empty((n.size, mu.size))
    block = max(1, 2_000_000 // (exponents.size * max(exponents.size, theta.shape[1])))
    for start in range(0, mu.size, block):
        k = slice(start, start + block)
        # p^a = exp(-a log(1 + e^-theta)), (1 - p)^b = exp(-b log(1 + e^theta))
        success = np.exp(-exponents * np.logaddexp(0.0, -theta[k])[:, None, :])
        failure = np.exp(-exponents * np.logaddexp(0.0, theta[k])[:, None, :])
        sums = (success * w[k, None, :]) @ failure.transpose(0, 2, 1)  # (points, a, b)
        total[:, k] = scale[:, None] * sums[:, x, n - x].T
        mean[:, k] = scale[:, None] * sums[:, x + 1, n - x].T
    return total, mean


def _validate_data(
    n: Sequence[int], x: Sequence[int], p0: float | Sequence[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_arr = np.asarray(n)
    x_arr = np.asarray(x)
    if n_arr.ndim != 1 or n_arr.size < 1:
        raise InputError("n", "needs one sample size per cohort, e.g. 20,20,20,20")
    if x_arr.shape != n_arr.shape:
        raise InputError(
            "x", f"needs one count per cohort ({n_arr.size} cohorts, got {x_arr.size})"
        )
    if not (np.issubdtype(n_arr.dtype, np.integer) and np.issubdtype(x_arr.dtype, np.integer)):
        raise InputError("n", "sample sizes and counts must be whole numbers")
    if np.any(n_arr < 1):
        raise InputError("n", f"sample sizes must be >= 1 (got {n_arr.tolist()})")
    if np.any(n_arr > BORROWED_N_LIMIT):
        raise InputError(
            "n",
            f"with borrowing, a cohort's patients must be at most {BORROWED_N_LIMIT} (got "
            f"{n_arr.max():,}): the fast posterior is checked to 1e-5 up to there",
        )
    if np.any((x_arr < 0) | (x_arr > n_arr)):
        raise InputError(
            "x", f"each count must be between 0 and its cohort's n (got {x_arr.tolist()})"
        )
    p0_arr = np.broadcast_to(np.asarray(p0, dtype=float), n_arr.shape).copy()
    if np.any((p0_arr <= 0) | (p0_arr >= 1)):
        raise InputError("p0", "must be strictly between 0 and 1")
    return n_arr, x_arr, p0_arr
