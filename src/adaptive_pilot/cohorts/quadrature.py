"""Quadrature of the hierarchical model: the numerical core behind its posterior tables.

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

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

__all__ = ["RowMapped", "build_tables", "nex_rows", "row_index", "theta_interval"]

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


def build_tables(
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


def row_index(n: Any, x: Any) -> Any:
    """Row of (n, x) in the tables, which list x = 0..n for n = 0, 1, 2, ..."""
    return n * (n + 1) // 2 + x


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
