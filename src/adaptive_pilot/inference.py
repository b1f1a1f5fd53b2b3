"""Exact inference at the end of a cohort, or after it stopped early, for any boundary table.

After a multi-stage design has stopped, the naive response rate x / n is
biased and the single-stage Clopper-Pearson interval has the wrong coverage,
because which (look, x) the trial ends at depends on the data. This module
enumerates the design's sample space exactly.

The sample space
----------------
A trial ends at look ``k`` with ``x`` responses among ``n_k`` patients; every
path of responses leading there without crossing an earlier bound has the same
probability ``p**x (1 - p)**(n_k - x)``, so

    P(end at (k, x); p) = c(k, x) p**x (1 - p)**(n_k - x),

where ``c(k, x)`` counts those paths. ``c`` and ``c1`` (the paths whose first
patient responded) come from one forward recursion over the looks, in log
space so that N up to thousands neither overflows nor underflows. ``(k, x)``
is a complete sufficient statistic, so:

* **UMVUE** (Rao-Blackwell of the first patient's response; Chang, Wieand &
  Chang 1989; Jung & Kim 2004): ``c1(k, x) / c(k, x)``;
* **bias-adjusted** (Whitehead 1986): the rate ``p`` at which the expected
  MLE equals the observed MLE, E_p[X / N] = x / n (desmon's "bias corrected");
* **median-unbiased** (Koyama & Chen 2008): the rate at which the p-value
  ``P_p(outcome at least as extreme)`` is 1/2;
* **p-value** for H0: p <= p0: ``P_p0(outcome at least as extreme)``;
* **confidence interval**, two-sided level ``L``: ``exact`` (Atkinson & Brown
  1985; Jennison & Turnbull 2000, ch. 8) puts (1 - L) / 2 in each tail,
  lower = the p with P_p(at least as extreme) = (1 - L) / 2, upper = the p
  with P_p(at most as extreme) = (1 - L) / 2; ``koyama_chen`` (Koyama & Chen
  2008, clinfun's ``twostage.inference``) is the set of p whose p-value lies
  in ((1 - L) / 2, (1 + L) / 2), which is narrower at the upper end.

Orderings of the sample space
-----------------------------
``stagewise`` (default; Fairbanks & Madsen 1982, Jennison & Turnbull 2000):
an efficacy stop at look k is more extreme than any outcome at a later look,
a futility stop at look k less extreme than any outcome at a later look, and
outcomes at the same look are ordered by x. ``mle`` orders by x / n and
``umvue`` by the UMVUE (ties count as "at least as extreme").

Examples
--------
Simon's optimal design 1/10, 5/29 (p0 = 0.1), trial ended with 6 responses
among 29 (clinfun: UMVUE 0.2613, p-value 0.0471):

>>> from adaptive_pilot.boundary_table import BoundaryTable
>>> table = BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, 6))
>>> result = stagewise_inference(table, n=29, x=6, p0=0.1)
>>> round(result.umvue, 4), round(result.p_value, 4)
(0.2613, 0.0471)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from scipy import special
from scipy.optimize import brentq

from ._validate import closed_probability, open_probability
from .errors import InputError
from .priors import BetaMixturePrior, BetaPrior
from .provenance import Provenance
from .provenance import design_hash as hash_of
from .results import ResultMixin, Summary, Table

if TYPE_CHECKING:
    from .boundary_table import BoundaryTable

__all__ = ["INTERVALS", "ORDERINGS", "Inference", "SampleSpace", "stagewise_inference"]

#: Orderings of the sample space for p-values, intervals and the median-unbiased estimate.
ORDERINGS = ("stagewise", "mle", "umvue")
#: Confidence-interval constructions.
INTERVALS = ("exact", "koyama_chen")

_ESTIMATES = (
    "mle",
    "umvue",
    "median_unbiased",
    "bias_adjusted",
    "p_value",
    "ci_low",
    "ci_high",
    "posterior_mean",
    "credible_low",
    "credible_high",
)
_ORDERING_WORDS = {
    "stagewise": "stage-wise ordering",
    "mle": "MLE ordering (x / n)",
    "umvue": "UMVUE ordering",
}
_INTERVAL_WORDS = {
    "exact": "exact, (1 - level)/2 in each tail (Atkinson & Brown 1985)",
    "koyama_chen": "Koyama & Chen (2008): rates whose p-value lies in ((1 - level)/2, "
    "(1 + level)/2)",
}
# Root brackets: a grid dense near 0 and 1 (p = sin^2), refined by Brent's method.
_GRID = np.sin(np.linspace(0.0, np.pi / 2, 4097)) ** 2
_XTOL = 1e-13


@dataclass(frozen=True)
class SampleSpace:
    """Every way a boundary table can end, with its path counts (exact, p-free).

    Attributes
    ----------
    look : ndarray of int, shape (T,)
        0-based look at which the outcome ends the trial.
    n, x : ndarray of int, shape (T,)
        Patients and responses at that look.
    kind : ndarray of int, shape (T,)
        -1 futility stop at an interim look, +1 efficacy stop at an interim
        look, 0 the final analysis.
    log_count : ndarray, shape (T,)
        log c(k, x): the number of response paths that end there.
    umvue : ndarray, shape (T,)
        The UMVUE c1(k, x) / c(k, x) of each outcome.
    n_looks : int
        K, the number of looks.
    final_efficacy : int
        GO at the final analysis if x >= this.
    n0, x0 : int
        Where the paths start (0, 0 for the whole trial).
    final_futility : int or None
        NO-GO at the final analysis if x <= this (None: every final outcome that
        is not GO, a two-outcome table); between the two is CONSIDER.
    """

    look: np.ndarray
    n: np.ndarray
    x: np.ndarray
    kind: np.ndarray
    log_count: np.ndarray
    umvue: np.ndarray
    n_looks: int
    final_efficacy: int = 0
    n0: int = 0
    x0: int = 0
    final_futility: int | None = None

    @classmethod
    def of(cls, table: BoundaryTable, start: tuple[int, int] | None = None) -> SampleSpace:
        """Enumerate the outcomes of a table by a forward recursion over its looks.

        With ``start = (n, x)``, the ways the trial can end *from* x responses
        among n patients, over the looks after n (counts of future paths; the
        ``umvue`` attribute is then meaningless and set to NaN).
        """
        looks, futility, efficacy = table.looks, table.futility, table.efficacy
        n_looks = len(looks)
        parts: dict[str, list[np.ndarray]] = {k: [] for k in ("look", "n", "x", "kind", "lc", "u")}
        n0, x0 = (0, 0) if start is None else start
        first = next((k for k, n in enumerate(looks) if n > n0), n_looks)
        if start is None:  # rows: all paths; paths whose first patient responded
            x1 = np.arange(looks[0] + 1)
            state = np.vstack([_log_choose(looks[0], x1), _log_choose(looks[0] - 1, x1 - 1)])
            previous = looks[0]
        else:
            state = np.full((2, x0 + 1), -np.inf)
            state[:, x0] = 0.0
            previous = n0
        for k in range(first, n_looks):
            n = looks[k]
            state = _log_convolve(state, n - previous)
            if state.shape[1] < n + 1:  # a start with x0 < n0 leaves totals above x0 + m empty
                pad = np.full((2, n + 1 - state.shape[1]), -np.inf)
                state = np.hstack([state, pad])
            previous = n
            x = np.arange(n + 1)
            final = k == n_looks - 1
            low, high = x <= futility[k], x >= efficacy[k]
            stop = np.ones(n + 1, bool) if final else low | high
            ends = stop & np.isfinite(state[0])
            kind = np.where(final, 0, np.where(high, 1, -1))
            parts["look"].append(np.full(int(ends.sum()), k))
            parts["n"].append(np.full(int(ends.sum()), n))
            parts["x"].append(x[ends])
            parts["kind"].append(kind[ends])
            parts["lc"].append(state[0, ends])
            umvue = np.exp(state[1, ends] - state[0, ends]) if start is None else np.nan
            parts["u"].append(np.broadcast_to(umvue, (int(ends.sum()),)))
            state = np.where(stop[None, :], -np.inf, state)
        out = {k: np.concatenate(v) if v else np.zeros(0) for k, v in parts.items()}
        for array in out.values():
            array.setflags(write=False)
        return cls(
            out["look"].astype(int),
            out["n"].astype(int),
            out["x"].astype(int),
            out["kind"].astype(int),
            out["lc"],
            out["u"],
            n_looks=n_looks,
            final_efficacy=int(efficacy[-1]),
            n0=n0,
            x0=x0,
            final_futility=int(futility[-1]) if table.three_outcomes else None,
        )

    @property
    def go(self) -> np.ndarray:
        """Outcomes that are GO: an early efficacy stop, or GO at the final analysis."""
        final_go = (self.kind == 0) & (self.x >= self.final_efficacy)
        return (self.kind == 1) | final_go

    @property
    def consider(self) -> np.ndarray:
        """Outcomes that are CONSIDER: the final band of a Go / Consider / No-Go table."""
        if self.final_futility is None:
            return np.zeros(self.x.shape, dtype=bool)
        return (self.kind == 0) & (self.x > self.final_futility) & (self.x < self.final_efficacy)

    @property
    def nogo(self) -> np.ndarray:
        """Outcomes that are NO-GO: a futility stop, or NO-GO at the final analysis."""
        return ~self.go & ~self.consider

    def probabilities(self, p: np.ndarray) -> np.ndarray:
        """P(end at each outcome; p), shape (len(p), T); each row sums to one."""
        p = np.asarray(p, dtype=float)[:, None]
        y, m = self.x - self.x0, self.n - self.n0  # responses and patients after the start
        with np.errstate(divide="ignore"):
            log_prob = self.log_count + special.xlogy(y, p) + special.xlog1py(m - y, -p)
        return np.exp(log_prob)

    def index(self, n: int, x: int) -> int:
        """Position of the outcome (n, x) in the space (it must end the trial)."""
        hit = np.flatnonzero((self.n == n) & (self.x == x))
        if hit.size == 0:
            raise KeyError((n, x))
        return int(hit[0])

    def keys(self, ordering: str) -> np.ndarray:
        """Sort keys of the outcomes: larger is more extreme against H0 (higher rate)."""
        if ordering == "stagewise":
            # efficacy stops at look k rank above every later look, futility stops below
            tier = np.where(self.kind == 0, 0, self.kind * (self.n_looks - 1 - self.look))
            return tier * (int(self.n.max()) + 2) + self.x
        if ordering == "mle":
            return self.x / self.n
        if ordering == "umvue":
            return np.round(self.umvue, 12)
        raise InputError("ordering", f"must be one of {', '.join(ORDERINGS)} (got {ordering!r})")


@dataclass(frozen=True)
class Inference(ResultMixin):
    """Estimates, p-value and intervals for one ended cohort (see the module docstring).

    Attributes
    ----------
    table : BoundaryTable
        The design.
    n, x : int
        Evaluable patients and responses when the cohort ended.
    look : int
        1-based look at which it ended.
    ended : {"futility", "efficacy", "final"}
        How it ended.
    p0 : float
        Null rate of the one-sided p-value (H0: p <= p0).
    level : float
        Two-sided level of the confidence and credible intervals.
    ordering, interval : str
        Sample-space ordering and interval construction.
    mle, umvue, median_unbiased, bias_adjusted, p_value : float
        Estimates and p-value.
    ci_low, ci_high : float or None
        Confidence interval (None where the Koyama-Chen set is empty).
    posterior_mean, credible_low, credible_high : float
        Beta posterior under ``prior``.
    prior : BetaPrior or BetaMixturePrior
        Prior of the posterior summaries.
    provenance : Provenance
        Method "exact" and the design hash.
    """

    table: BoundaryTable
    n: int
    x: int
    look: int
    ended: str
    p0: float
    level: float
    ordering: str
    interval: str
    mle: float
    umvue: float
    median_unbiased: float
    bias_adjusted: float
    p_value: float
    ci_low: float | None
    ci_high: float | None
    posterior_mean: float
    credible_low: float
    credible_high: float
    prior: BetaPrior | BetaMixturePrior
    provenance: Provenance

    def values(self) -> dict[str, float | None]:
        """The ten figures by glossary name (``mle`` ... ``credible_high``)."""
        return {name: getattr(self, name) for name in _ESTIMATES}

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per figure (``metric``, ``estimate``)."""
        values = self.values()
        return pd.DataFrame({"metric": list(values), "estimate": list(values.values())})

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: the figures, ``ordering``, ``level``, the data, the design, provenance."""
        return {
            **self.values(),
            "ordering": self.ordering,
            "interval": self.interval,
            "level": self.level,
            "p0": self.p0,
            "n": self.n,
            "x": self.x,
            "look": self.look,
            "ended": self.ended,
            "prior": self.prior.to_dict(),
            "boundaries": self.table.to_dict(),
            "provenance": self.provenance.to_dict(),
        }

    def outcome_text(self) -> str:
        """How the cohort ended, in words."""
        responses = f"{self.x} response{'' if self.x == 1 else 's'} among {self.n} patients"
        where = f"look {self.look} of {self.table.n_looks}"
        if self.ended == "futility":
            return f"stopped for futility at {where} with {responses}"
        if self.ended == "efficacy":
            return f"stopped early for efficacy (GO) at {where} with {responses}"
        verdict = {"go": "GO", "consider": "CONSIDER", "no_go": "NO-GO"}[
            self.table.final_outcome(self.x)
        ]
        return f"reached the final analysis ({where}) with {responses}: {verdict}"

    def summary(self) -> Summary:
        """Estimates, p-value and intervals as a :class:`~adaptive_pilot.results.Summary`."""
        pct = f"{100 * self.level:g}%"
        rows = [
            ("mle", "naive estimate x / n (MLE), biased after early stopping"),
            ("umvue", "UMVUE (Rao-Blackwell over the stopping paths)"),
            ("median_unbiased", f"median-unbiased ({_ORDERING_WORDS[self.ordering]})"),
            ("bias_adjusted", "bias-adjusted MLE (Whitehead): E_p[x/n] = observed x/n"),
            ("p_value", f"p-value, H0: p <= {self.p0:g} ({_ORDERING_WORDS[self.ordering]})"),
            ("ci_low", f"{pct} confidence interval, lower ({self.interval.replace('_', '-')})"),
            ("ci_high", f"{pct} confidence interval, upper"),
            ("posterior_mean", f"posterior mean, prior {self.prior}"),
            ("credible_low", f"{pct} equal-tailed credible interval, lower"),
            ("credible_high", f"{pct} equal-tailed credible interval, upper"),
        ]
        values = self.values()
        frame = pd.DataFrame(
            {
                "metric": [name for name, _ in rows],
                "estimate": [values[name] for name, _ in rows],
                "meaning": [words for _, words in rows],
            }
        )
        notes = [
            "Exact: computed by enumerating every way the design can end (no simulation, "
            "no normal approximation).",
            f"Interval: {_INTERVAL_WORDS[self.interval]}.",
        ]
        if self.ci_low is None:
            notes.append(
                "The Koyama-Chen interval is empty at the least extreme outcome (clinfun "
                "returns NA there); use --interval exact."
            )
        return Summary(
            "Inference after the end of the cohort",
            header=(
                f"The cohort {self.outcome_text()}.",
                f"Design: looks at n = {', '.join(str(v) for v in self.table.looks)}.",
            ),
            tables=(Table(frame, labels={"metric": "quantity", "meaning": "meaning"}),),
            notes=tuple(notes),
            provenance=self.provenance,
        )


def stagewise_inference(
    table: BoundaryTable,
    n: int,
    x: int,
    *,
    p0: float,
    level: float = 0.90,
    ordering: str = "stagewise",
    interval: str = "exact",
    prior: BetaPrior | BetaMixturePrior | None = None,
    design_hash: str | None = None,
) -> Inference:
    """Exact inference for a cohort that ended at (n, x) under a boundary table.

    Parameters
    ----------
    table : BoundaryTable
        The design (any number of looks, futility and efficacy stops).
    n, x : int
        Evaluable patients and responses at the end: ``n`` is a look of the
        table and ``x`` an outcome that ends the trial there.
    p0 : float
        Null rate of the one-sided p-value (H0: p <= p0).
    level : float, default 0.90
        Two-sided level of the confidence and credible intervals.
    ordering : {"stagewise", "mle", "umvue"}
        Sample-space ordering for the p-value, interval and median-unbiased
        estimate.
    interval : {"exact", "koyama_chen"}
        Confidence-interval construction.
    prior : BetaPrior or BetaMixturePrior, optional
        Prior of the posterior summaries (default: Beta(1, 1)).
    design_hash : str, optional
        The hash of the plan the table belongs to (default: the table's own).

    Returns
    -------
    Inference

    Raises
    ------
    InputError
        When (n, x) is not an outcome at which the design ends.
    """
    p0 = closed_probability("p0", p0)
    level = open_probability("level", level)
    if ordering not in ORDERINGS:
        raise InputError("ordering", f"must be one of {', '.join(ORDERINGS)} (got {ordering!r})")
    if interval not in INTERVALS:
        raise InputError("interval", f"must be one of {', '.join(INTERVALS)} (got {interval!r})")
    prior = BetaPrior(1.0, 1.0) if prior is None else prior
    space = SampleSpace.of(table)
    obs = _observed(table, space, n, x)
    keys = space.keys(ordering)
    at_least = keys >= keys[obs]
    at_most = keys <= keys[obs]

    curves = _Curves(space)
    tail = (1.0 - level) / 2.0
    mle = float(x / n)
    low = curves.first_above(at_least, tail)
    ci_low: float | None = low
    if interval == "exact":
        ci_high: float | None = curves.last_above(at_most, tail)
        ci_high = 0.0 if ci_high is None else ci_high
    else:  # empty at the least extreme outcome, where every p-value is 1
        ci_high = curves.last_above(~at_least, tail)
        if ci_high is None or ci_high < low:
            ci_low = ci_high = None
    k = int(space.look[obs])
    provenance = Provenance(
        "exact",
        design_hash or table.design_hash(),
        details={
            "algorithm": "enumeration of the stopping paths (forward recursion in log space)",
            "outcomes": int(space.x.size),
            "root_tolerance": _XTOL,
            "inputs_hash": hash_of({"n": n, "x": x, "p0": p0, "level": level}),
        },
    )
    return Inference(
        table=table,
        n=n,
        x=x,
        look=k + 1,
        ended={-1: "futility", 1: "efficacy", 0: "final"}[int(space.kind[obs])],
        p0=p0,
        level=level,
        ordering=ordering,
        interval=interval,
        mle=mle,
        umvue=float(space.umvue[obs]),
        median_unbiased=curves.first_above(at_least, 0.5),
        bias_adjusted=curves.first_above(space.x / space.n, mle),
        p_value=min(1.0, curves.value(at_least, p0)),
        ci_low=ci_low,
        ci_high=ci_high,
        posterior_mean=float(prior.posterior_mean(x, n)),
        credible_low=prior.posterior_quantile(tail, x, n),
        credible_high=prior.posterior_quantile(1.0 - tail, x, n),
        prior=prior,
        provenance=provenance,
    )


# ------------------------------------------------------------------ helpers
def _observed(table: BoundaryTable, space: SampleSpace, n: int, x: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise InputError("n", f"must be a whole number (got {n!r})")
    if isinstance(x, bool) or not isinstance(x, int | np.integer):
        raise InputError("x", f"must be a whole number (got {x!r})")
    if n not in table.looks:
        raise InputError(
            "n",
            f"{n} is not a look of the design (looks at n = "
            f"{', '.join(str(v) for v in table.looks)}); exact inference needs the cohort to "
            f"have ended at one of its looks",
        )
    if not 0 <= x <= n:
        raise InputError("x", f"must be between 0 and n = {n} (got {x})")
    try:
        return space.index(n, x)
    except KeyError:
        pass
    k = table.looks.index(n)
    f, e = table.futility[k], table.efficacy[k]
    if f < x < e and k < table.n_looks - 1:
        raise InputError(
            "x",
            f"{x} responses at look {k + 1} (n = {n}) do not end the trial: the design "
            f"continues when {f + 1} <= x <= {e - 1}; inference is for a cohort that has "
            f"stopped or reached N = {table.n_max}",
        )
    raise InputError(
        "x",
        f"{x} responses at n = {n} cannot happen under the design: every path to it "
        f"crosses an earlier stopping bound",
    )


def _log_choose(m: int, k: np.ndarray) -> np.ndarray:
    k = np.asarray(k)
    inside = (k >= 0) & (k <= m)
    safe = np.where(inside, k, 0)
    value = special.gammaln(m + 1) - special.gammaln(safe + 1) - special.gammaln(m - safe + 1)
    return np.where(inside, value, -np.inf)


def _log_convolve(state: np.ndarray, m: int) -> np.ndarray:
    """log of (counts * binomial coefficients C(m, j)) convolved, row by row."""
    if m == 0:
        return state
    log_c = _log_choose(m, np.arange(m + 1))
    rows, width = state.shape
    out = np.full((rows, width + m), -np.inf)
    if m + 1 <= width:
        for j in range(m + 1):
            out[:, j : j + width] = np.logaddexp(out[:, j : j + width], state + log_c[j])
    else:
        for i in range(width):
            out[:, i : i + m + 1] = np.logaddexp(out[:, i : i + m + 1], state[:, i : i + 1] + log_c)
    return out


class _Curves:
    """Sums ``P(outcome; p) @ weights`` over p: tails (0/1 weights) and E_p[x / n].

    Crossings are bracketed on a fixed grid dense near 0 and 1 (the grid's
    probabilities are computed once), then refined by Brent's method.
    """

    def __init__(self, space: SampleSpace) -> None:
        self.space = space
        self.on_grid = space.probabilities(_GRID)

    def value(self, weights: np.ndarray, p: float) -> float:
        return float(self.space.probabilities(np.array([p]))[0] @ weights)

    def first_above(self, weights: np.ndarray, target: float) -> float:
        """inf{p in [0, 1] : curve(p) > target}; 1 when it never exceeds the target."""
        above = np.flatnonzero(self.on_grid @ weights > target)
        if above.size == 0:
            return 1.0
        i = int(above[0])
        if i == 0:
            return 0.0
        return self._root(weights, target, float(_GRID[i - 1]), float(_GRID[i]))

    def last_above(self, weights: np.ndarray, target: float) -> float | None:
        """sup{p in [0, 1] : curve(p) > target}; None when it never exceeds the target."""
        above = np.flatnonzero(self.on_grid @ weights > target)
        if above.size == 0:
            return None
        i = int(above[-1])
        if i == _GRID.size - 1:
            return 1.0
        return self._root(weights, target, float(_GRID[i]), float(_GRID[i + 1]))

    def _root(self, weights: np.ndarray, target: float, a: float, b: float) -> float:
        def g(p: float) -> float:
            return self.value(weights, p) - target

        ga, gb = g(a), g(b)
        if ga * gb > 0:  # the crossing sits on a grid point, up to rounding
            return a if abs(ga) <= abs(gb) else b
        return float(brentq(g, a, b, xtol=_XTOL))
