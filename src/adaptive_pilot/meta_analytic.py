"""Meta-analytic-predictive (MAP) priors from historical studies, without MCMC.

The historical studies h = 1..H (x_h responses among n_h patients) and the new
study share the hierarchy logit p_h ~ N(mu, tau^2), mu ~ N(mu_mean, mu_sd^2),
tau ~ HalfNormal(tau_sd) (Neuenschwander et al. 2010; RBesT's ``gMAP`` with a
binomial family and a half-normal tau prior). The MAP prior is the predictive
distribution of the new study's rate given the historical data.

It is computed exactly with the quadrature of the hierarchical model
(:class:`~adaptive_pilot.cohorts.HierarchicalModel`): posterior weights w_j of
the (mu, tau) nodes from the historical data, then the predictive CDF

    F(p) = sum_j w_j Phi((logit p - mu_j) / tau_j),

and the studies' shrinkage estimates, each p_h's posterior given all studies.

The MAP prior is then approximated by a Beta mixture, as RBesT's ``automixfit``
does from MCMC draws: for K = 1..4 components, the mixture maximising the
likelihood of the predictive distribution itself (binned into 1,000 bins on the
logit scale plus the two tails, each weighted by its exact probability), and the K
with the smallest information criterion -2 N E[log f] + 6 (3K - 1), RBesT's AIC
with penalty 6 and N = 4,000 (gMAP's default number of draws). Components are
kept with a and b above 1 by default, so that the ELIR effective sample size is
defined (RBesT's ``constrain_gt1``). The approximation error is stated: the
Kullback-Leibler divergence from the MAP prior to the mixture and the largest
difference between their CDFs.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from .cohorts.hierarchical import HierarchicalModel
from .cohorts.prior import HierarchicalPrior
from .errors import InputError
from .ess import ESS_METHODS, effective_sample_size
from .priors import BetaMixturePrior, BetaPrior, robustify
from .provenance import Provenance, design_hash
from .results import ResultMixin, Summary, Table, json_safe, records

__all__ = ["HistoricalStudy", "MapPrior", "map_prior"]

#: Draws the information criterion takes the exact predictive to be (gMAP's default).
DRAWS_EQUIVALENT = 4000
#: RBesT's automixfit penalty per parameter.
AIC_PENALTY = 6.0
_BINS = 1000
_TAIL = 1e-7


@dataclass(frozen=True)
class HistoricalStudy:
    """One historical study: its name, patients and responses."""

    name: str
    n: int
    x: int


@dataclass(frozen=True)
class MapPrior(ResultMixin):
    """A MAP prior: the exact predictive, its Beta-mixture approximation and the studies.

    Attributes
    ----------
    studies : tuple of HistoricalStudy
        The historical data.
    model : HierarchicalPrior
        Priors of mu and tau.
    prior : BetaMixturePrior
        The Beta-mixture approximation (robustified when asked), the prior a design uses.
    mixture : BetaMixturePrior
        The approximation before robustification.
    predictive : dict
        The exact MAP prior's ``mean``, ``sd`` and quantiles (``q025``, ``q50``,
        ``q975``).
    fit : dict
        ``components``, ``kl`` (KL divergence, nats), ``cdf_error`` (largest CDF
        difference), the criterion per K (``criteria``).
    shrinkage : DataFrame
        Per study: raw rate, posterior mean and 95 % interval given all studies.
    robust : dict or None
        The robustification (``weight``, ``mean``).
    """

    studies: tuple[HistoricalStudy, ...]
    model: HierarchicalPrior
    prior: BetaPrior | BetaMixturePrior
    mixture: BetaPrior | BetaMixturePrior
    predictive: dict[str, float]
    fit: dict[str, Any]
    shrinkage: pd.DataFrame = field(compare=False)
    robust: dict[str, float] | None = None
    tau_posterior: dict[str, float] = field(default_factory=dict)

    @functools.cached_property
    def ess(self) -> dict[str, float | None]:
        """ESS of the prior by ELIR, moment and Morita (ELIR None where undefined)."""
        out: dict[str, float | None] = {}
        for method in ESS_METHODS:
            try:
                out[f"ess_{method}"] = effective_sample_size(self.prior, method)
            except InputError:
                out[f"ess_{method}"] = None
        return out

    @functools.cached_property
    def provenance(self) -> Provenance:
        """Exact (quadrature); hashed on the historical data, the model and the options."""
        return Provenance(
            "exact",
            design_hash(self._inputs()),
            details={
                "algorithm": "hierarchical-model quadrature, Beta-mixture fit to the exact "
                "predictive (binned likelihood), components by AIC (penalty 6, N 4000)"
            },
        )

    def robustified(self, weight: float | None, mean: float = 0.5) -> MapPrior:
        """The same MAP prior robustified with a vague component (or not, for None); the
        quadrature and the mixture fit are not redone."""
        if weight is None:
            return replace(self, prior=self.mixture, robust=None)
        prior = robustify(self.mixture, weight, mean)
        return replace(self, prior=prior, robust={"weight": float(weight), "mean": float(mean)})

    def _inputs(self) -> dict[str, Any]:
        return {
            "historical": [{"name": s.name, "n": s.n, "x": s.x} for s in self.studies],
            "mu_mean": self.model.mu_mean,
            "mu_sd": self.model.mu_sd,
            "tau_sd": self.model.tau_sd,
            "robust": self.robust,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per historical study: ``study``, ``n``, ``x``, ``rate``, ``posterior_mean``,
        ``credible_low``, ``credible_high``."""
        return self.shrinkage.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the inputs, the mixture (weight, a, b), ESS, predictive, fit, studies."""
        w, a, b = self.prior.components()
        return json_safe(
            {
                "inputs": self._inputs(),
                "mixture": records(pd.DataFrame({"weight": w, "a": a, "b": b})),
                **self.ess,
                "predictive": self.predictive,
                "tau_posterior": self.tau_posterior,
                "fit": self.fit,
                "studies": records(self.to_frame()),
                "provenance": self.provenance.to_dict(),
            }
        )

    def summary(self) -> Summary:
        """The studies and their shrinkage, the MAP prior, its mixture and ESS."""
        pred = self.predictive
        ess = ", ".join(f"{m} {_ess_text(self.ess[f'ess_{m}'])}" for m in ESS_METHODS)
        header = [
            f"{len(self.studies)} historical studies, {sum(s.n for s in self.studies)} "
            f"patients; logit p_h ~ N(mu, tau^2), mu ~ N({self.model.mu_mean:g}, "
            f"{self.model.mu_sd:g}^2), tau ~ HalfNormal({self.model.tau_sd:g})",
            f"MAP prior (exact): mean {pred['mean']:.4f}, SD {pred['sd']:.4f}, 95% interval "
            f"{pred['q025']:.4f} to {pred['q975']:.4f}; between-study SD tau: posterior mean "
            f"{self.tau_posterior['mean']:.3f} (SD {self.tau_posterior['sd']:.3f})",
            f"Beta-mixture approximation ({self.fit['components']} component"
            f"{'' if self.fit['components'] == 1 else 's'}): {self.mixture}; KL divergence "
            f"{self.fit['kl']:.2e}, largest CDF difference {self.fit['cdf_error']:.4f}",
        ]
        if self.robust is not None:
            header.append(
                f"Robustified at weight {self.robust['weight']:g} (vague component of mean "
                f"{self.robust['mean']:g}): {self.prior}"
            )
        header.append(f"Effective sample size (patients): {ess}")
        w, a, b = self.prior.components()
        components = pd.DataFrame({"component": np.arange(1, w.size + 1), "weight": w, "a": a,
                                   "b": b})  # fmt: skip
        tables = [
            Table(self.to_frame(), title="Historical studies and their shrinkage estimates"),
            Table(components, title="The prior's Beta-mixture components"),
        ]
        notes = [
            "Shrinkage estimates: each study's rate given all studies under the hierarchy "
            "(posterior mean and 95% interval); the MAP prior is the predictive distribution "
            "of a new study's rate."
        ]
        return Summary("Meta-analytic-predictive (MAP) prior", header, tables, notes,
                       self.provenance)  # fmt: skip


def map_prior(
    historical: Sequence[HistoricalStudy | Mapping[str, Any]],
    *,
    tau_sd: float = 1.0,
    mu_mean: float = 0.0,
    mu_sd: float = 2.0,
    robust_weight: float | None = None,
    robust_mean: float = 0.5,
    components: Sequence[int] = (1, 2, 3, 4),
    constrain_gt1: bool = True,
) -> MapPrior:
    """The MAP prior of a new study's response rate from historical studies.

    Parameters
    ----------
    historical : sequence of HistoricalStudy or mappings with ``name``, ``n``, ``x``
        The historical studies.
    tau_sd : float, default 1
        Scale of the half-normal prior of tau, the between-study SD of logit p
        (0.5: moderate heterogeneity, 1: substantial; Neuenschwander et al. 2010).
    mu_mean, mu_sd : float, default 0 and 2
        Normal prior of mu on the logit scale (RBesT's default for binomial data).
    robust_weight, robust_mean : float, optional
        Robustify the fitted mixture with a vague component (:func:`~adaptive_pilot.
        priors.robustify`).
    components : sequence of int, default 1..4
        Numbers of mixture components tried.
    constrain_gt1 : bool, default True
        Keep every component's a and b above 1 (ELIR defined).

    Returns
    -------
    MapPrior

    Raises
    ------
    InputError
        For invalid studies or options, one line naming the field.
    """
    studies = _studies(historical)
    model_prior = HierarchicalPrior(mu_mean, mu_sd, tau_sd)
    model = HierarchicalModel(model_prior, cuts=(0.0,))  # logit 0.5: a cut the posterior reads
    n = np.array([s.n for s in studies])
    x = np.array([s.x for s in studies])
    only = sorted(set(n.tolist()))
    log_w = model.log_weights(n, x[None, :], np.full(n.size, 0.5), only)[0]
    keep = log_w > log_w.max() - 40  # weights below e^-40 of the largest add nothing
    w = np.exp(log_w[keep])
    w /= w.sum()
    mu, tau = model.mu[keep], model.tau[keep]
    posterior = model.posterior(n.tolist(), x.tolist(), 0.5)
    shrinkage = pd.DataFrame(
        {
            "study": [s.name for s in studies],
            "n": n,
            "x": x,
            "rate": x / n,
            "posterior_mean": posterior.posterior_mean,
            "credible_low": posterior.credible_low,
            "credible_high": posterior.credible_high,
        }
    )
    predictive = _predictive_summary(w, mu, tau)
    edges, masses = _bins(w, mu, tau)
    fits = [(k, *_fit(k, edges, masses, predictive, constrain_gt1)) for k in sorted(components)]
    criteria = {
        k: -2 * DRAWS_EQUIVALENT * loglik + AIC_PENALTY * (3 * k - 1) for k, _, loglik in fits
    }
    best_k = min(criteria, key=lambda k: criteria[k])
    mixture = next(m for k, m, _ in fits if k == best_k)
    fit = {
        "components": best_k,
        "criteria": {str(k): v for k, v in criteria.items()},
        **_error(mixture, edges, masses),
    }
    prior: BetaPrior | BetaMixturePrior = mixture
    robust = None
    if robust_weight is not None:
        prior = robustify(mixture, robust_weight, robust_mean)
        robust = {"weight": float(robust_weight), "mean": float(robust_mean)}
    tau_mean = float(np.sum(w * tau))
    tau_posterior = {
        "mean": tau_mean,
        "sd": math.sqrt(max(float(np.sum(w * tau**2)) - tau_mean**2, 0)),
    }
    return MapPrior(
        tuple(studies), model_prior, prior, mixture, predictive, fit, shrinkage, robust,
        tau_posterior,
    )  # fmt: skip


# ----------------------------------------------------------------- internals
def _studies(historical: Sequence[HistoricalStudy | Mapping[str, Any]]) -> list[HistoricalStudy]:
    if isinstance(historical, str | bytes) or not isinstance(historical, Sequence):
        raise InputError("historical", "must be a list of studies with name, n and x")
    if not historical:
        raise InputError("historical", "needs at least one study")
    out: list[HistoricalStudy] = []
    for k, study in enumerate(historical):
        where = f"historical[{k}]"
        n: Any
        x: Any
        if isinstance(study, HistoricalStudy):
            name, n, x = study.name, study.n, study.x
        elif isinstance(study, Mapping):
            unknown = set(study) - {"name", "n", "x"}
            if unknown:
                raise InputError(where, f"unknown key {sorted(unknown)[0]!r}; allowed: name, n, x")
            name, n, x = study.get("name", f"study {k + 1}"), study.get("n"), study.get("x")
        else:
            raise InputError(where, "must have name, n and x")
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= 100_000:
            raise InputError(f"{where}.n", f"must be a whole number from 1 to 100,000 (got {n!r})")
        if isinstance(x, bool) or not isinstance(x, int | np.integer) or not 0 <= x <= n:
            raise InputError(f"{where}.x", f"must be a whole number from 0 to n = {n} (got {x!r})")
        out.append(HistoricalStudy(str(name), int(n), int(x)))
    names = [s.name for s in out]
    if len(set(names)) != len(names):
        raise InputError("historical", "study names must differ")
    return out


def _ess_text(value: float | None) -> str:
    return "not defined" if value is None else f"{value:.1f}"


def _cdf(w: np.ndarray, mu: np.ndarray, tau: np.ndarray, logit_p: np.ndarray) -> np.ndarray:
    """The MAP prior's CDF at logit p (vectorised over logit_p)."""
    z = (np.asarray(logit_p)[..., None] - mu) / tau
    return np.asarray(special.ndtr(z) @ w)


def _quantile(w: np.ndarray, mu: np.ndarray, tau: np.ndarray, q: float) -> float:
    """logit of the MAP prior's q-quantile (bisection on the exact CDF)."""

    def gap(t: float) -> float:
        return float(_cdf(w, mu, tau, np.array(t))) - q

    return float(optimize.brentq(gap, -60.0, 60.0, xtol=1e-13, rtol=1e-13))


def _predictive_summary(w: np.ndarray, mu: np.ndarray, tau: np.ndarray) -> dict[str, float]:
    z, zw = np.polynomial.hermite_e.hermegauss(60)
    zw = zw / zw.sum()
    p = special.expit(mu[:, None] + tau[:, None] * z[None, :])
    mean = float(w @ (p @ zw))
    second = float(w @ ((p**2) @ zw))
    out = {"mean": mean, "sd": math.sqrt(max(second - mean**2, 0.0))}
    for name, q in (("q025", 0.025), ("q50", 0.5), ("q975", 0.975)):
        out[name] = float(special.expit(_quantile(w, mu, tau, q)))
    return out


def _bins(w: np.ndarray, mu: np.ndarray, tau: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges on the rate scale (0, 1000 bins on the logit scale, 1) and their masses."""
    low, high = _quantile(w, mu, tau, _TAIL), _quantile(w, mu, tau, 1 - _TAIL)
    inner = np.linspace(low, high, _BINS + 1)
    cdf = np.concatenate([[0.0], _cdf(w, mu, tau, inner), [1.0]])
    edges = np.concatenate([[0.0], special.expit(inner), [1.0]])
    return edges, np.clip(np.diff(cdf), 0.0, None)


def _fit(
    k: int,
    edges: np.ndarray,
    masses: np.ndarray,
    predictive: dict[str, float],
    constrain_gt1: bool,
) -> tuple[BetaPrior | BetaMixturePrior, float]:
    """The k-component Beta mixture fitted by EM to the binned MAP prior.

    The bins' centres on the logit scale carry the bins' exact probabilities as
    weights; EM alternates the components' shares of each point and a weighted
    maximum-likelihood Beta per component (a and b kept >= 1 with
    ``constrain_gt1``). Returns the mixture and sum(masses * log(its bin
    probabilities)), the expected log-likelihood the criterion compares.
    """
    floor = 1.0 if constrain_gt1 else 1e-3
    inner = slice(1, -1)  # the two tail bins (1e-7 each) carry no point
    logit_edges = special.logit(edges[1:-1])
    p = special.expit(0.5 * (logit_edges[1:] + logit_edges[:-1]))
    q = masses[inner] / masses[inner].sum()
    log_p, log_1mp = np.log(p), np.log1p(-p)
    best: tuple[float, np.ndarray, np.ndarray, np.ndarray] | None = None
    for shares in _starts(q, k):
        weights, a, b = _m_step(shares, q, p, log_p, log_1mp, floor)
        previous = -np.inf
        # EM crawls where a component is nearly redundant: after 500 steps the criterion is
        # within a few units of its limit (2.2 for 4 components on RBesT's AS data), below
        # the 18 that three more parameters cost
        for _ in range(500):
            log_f = (
                np.log(weights)[None, :]
                + (a - 1)[None, :] * log_p[:, None]
                + (b - 1)[None, :] * log_1mp[:, None]
                - special.betaln(a, b)[None, :]
            )
            top = log_f.max(axis=1, keepdims=True)
            scaled = np.exp(log_f - top)
            sums = scaled.sum(axis=1, keepdims=True)
            loglik = float(q @ (top + np.log(sums))[:, 0])
            shares = scaled / sums
            weights, a, b = _m_step(shares, q, p, log_p, log_1mp, floor, (a, b))
            if loglik - previous < 1e-9:  # (x 2 N = 8,000: a criterion change of 1e-5)
                break
            previous = loglik
        score = float(masses @ np.log(_masses(weights, a, b, edges)))
        if best is None or score > best[0]:
            best = (score, weights, a, b)
    assert best is not None
    score, weights, a, b = best
    order = np.argsort(-weights)
    parts = [BetaPrior(float(a[i]), float(b[i])) for i in order]
    mixture: BetaPrior | BetaMixturePrior = (
        parts[0] if k == 1 else BetaMixturePrior(parts, [float(weights[i]) for i in order])
    )
    return mixture, score


def _starts(q: np.ndarray, k: int) -> list[np.ndarray]:
    """Starting shares: the points split into k slices of equal probability, and into k
    slices of the middle 90 % with the tails in the outer two."""
    cdf = np.cumsum(q) - 0.5 * q
    out = []
    for low, high in ((0.0, 1.0), (0.05, 0.95)):
        cuts = low + (high - low) * np.arange(1, k) / k
        labels = np.searchsorted(cuts, cdf)
        out.append(np.eye(k)[labels] * 0.98 + 0.02 / k)
    return out


def _m_step(
    shares: np.ndarray,
    q: np.ndarray,
    p: np.ndarray,
    log_p: np.ndarray,
    log_1mp: np.ndarray,
    floor: float,
    start: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weights and, per component, the weighted maximum-likelihood Beta (a, b >= floor).

    The Beta's likelihood equations psi(a) - psi(a + b) = E[log p], psi(b) - psi(a + b)
    = E[log(1 - p)] are solved by Newton's method for all components at once (from
    ``start``, else from the moments); a parameter held at ``floor`` leaves the other's
    one-dimensional equation.
    """
    mass = q @ shares
    weights = np.maximum(mass, 1e-300)
    weights = weights / weights.sum()
    r = q[:, None] * shares
    r = r / np.maximum(r.sum(axis=0), 1e-300)
    s1, s2 = log_p @ r, log_1mp @ r
    if start is None:
        m = p @ r
        v = np.maximum(((p[:, None] - m) ** 2 * r).sum(axis=0), 1e-12)
        size = np.maximum(m * (1 - m) / v - 1.0, 2.0 * floor + 1e-3)
        a, b = np.maximum(m * size, floor), np.maximum((1 - m) * size, floor)
    else:
        a, b = start[0].copy(), start[1].copy()
    for _ in range(100):
        c = a + b
        f1 = special.digamma(a) - special.digamma(c) - s1
        f2 = special.digamma(b) - special.digamma(c) - s2
        t_a, t_b, t_c = special.polygamma(1, a), special.polygamma(1, b), special.polygamma(1, c)
        j11, j12, j22 = t_a - t_c, -t_c, t_b - t_c
        det = j11 * j22 - j12 * j12
        step_a = (j22 * f1 - j12 * f2) / det
        step_b = (j11 * f2 - j12 * f1) / det
        # held at the floor: solve the other parameter's equation alone
        at_a = (a <= floor) & (a - step_a <= floor)
        at_b = (b <= floor) & (b - step_b <= floor)
        step_a = np.where(at_a, 0.0, np.where(at_b, f1 / j11, step_a))
        step_b = np.where(at_b, 0.0, np.where(at_a, f2 / j22, step_b))
        # keep positive: at most halve a parameter per step
        new_a = np.maximum(a - step_a, np.maximum(0.5 * a, floor))
        new_b = np.maximum(b - step_b, np.maximum(0.5 * b, floor))
        done = np.all(np.abs(new_a - a) <= 1e-12 * a) and np.all(np.abs(new_b - b) <= 1e-12 * b)
        a, b = new_a, new_b
        if done:
            break
    return weights, a, b


def _masses(weights: np.ndarray, a: np.ndarray, b: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """The mixture's probability of each bin: lower-tail differences left of each
    component's median, upper-tail differences right of it (no cancellation)."""
    lower = special.betainc(a[None, :], b[None, :], edges[:, None])
    upper = special.betaincc(a[None, :], b[None, :], edges[:, None])
    left = np.diff(lower, axis=0)
    right = -np.diff(upper, axis=0)
    per_component = np.where(lower[:-1] < 0.5, left, right)
    return np.clip(per_component @ weights, 1e-300, None)


def _error(
    mixture: BetaPrior | BetaMixturePrior, edges: np.ndarray, masses: np.ndarray
) -> dict[str, float]:
    weights, a, b = mixture.components()
    fitted = _masses(weights, a, b, edges)
    positive = masses > 0
    kl = float(np.sum(masses[positive] * np.log(masses[positive] / fitted[positive])))
    gap = np.max(np.abs(np.cumsum(masses) - np.cumsum(fitted)))
    return {"kl": max(kl, 0.0), "cdf_error": float(gap)}
