"""Simon's two-stage designs: optimal, minimax and admissible.

Conventions (Simon 1989): enrol ``n1`` evaluable patients; stop for futility
if ``x1 <= r1``; otherwise enrol to ``n`` and reject H0 (GO) if the total
``x > r``. ``alpha = P(reject | p0)``, ``power = P(reject | p1)``,
``PET(p0) = P(x1 <= r1 | p0)``, ``EN(p0) = n1 + (1 - PET(p0)) (n - n1)``.

* optimal: minimum EN(p0) among feasible designs with ``n <= n_max``;
* minimax: minimum ``n``, ties broken by minimum EN(p0);
* admissible (Jung, Lee, Kim & George 2004): the designs that minimise
  ``q n + (1 - q) EN(p0)`` for some ``q`` in [0, 1], each reported with the
  interval of ``q`` over which it is the minimiser.

Feasibility follows clinfun's ``ph2simon`` by default (``convention="clinfun"``):
``alpha < target`` and ``1 - power < beta`` strictly. ``convention="inclusive"``
uses ``<=`` in both. Among designs of one ``n`` with the same EN(p0), the one
found first by ph2simon is kept: the smallest ``n1``, then the largest ``r1``,
then the largest feasible ``r`` (smallest alpha). The search is exhaustive
over ``2 <= n <= n_max``, ``1 <= n1 < n`` and every ``r1``, ``r``; what it
leaves out is proved unable to matter (see :mod:`._simon_scan`): a total ``n``
at which the most powerful single-stage test of size alpha lacks the power, or
at which no design can beat the best EN(p0) found at a smaller ``n`` (so it can
be neither optimal nor admissible); for each ``(n, n1)`` only the ``r1`` that
can still beat it, and for each ``(n1, r1)`` only the largest ``r`` with the
power. Per total ``n`` the work grows about as ``n^2`` times a few standard
deviations of the stage-1 count, so the whole search as ``n_max^3``
to ``n_max^3.5`` (about 0.1 s for ``n_max`` 1000 at p0 0.4; ``n_max`` is at
most 2000).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._binomial import binomial_cdf, binomial_quantile, binomial_sf
from .._validate import (
    feasibility_convention,
    open_probability,
    positive_int,
    response_hypotheses,
)
from ..boundary_table import BoundaryTable
from ..errors import InputError
from ..provenance import Provenance, design_hash
from ..results import ResultMixin, Summary, Table, json_safe
from ._binomial_tables import BinomialTables
from .single_stage import (
    SingleStageDesign,
    SingleStageTests,
    single_stage_tests,
    smallest_single_stage,
)

__all__ = ["SimonDesign", "SimonSearch", "simon_designs"]

Convention = Literal["clinfun", "inclusive"]
N_MAX_LIMIT = 2000
_TIE = 1e-12
_CANDIDATE_COLUMNS = ("r1", "n1", "r", "n", "en0", "pet0", "alpha", "power")


@dataclass(frozen=True)
class SimonDesign:
    """One Simon two-stage design with its exact characteristics.

    Attributes
    ----------
    r1, n1, r, n : int
        Stop after stage 1 if at most ``r1`` responses among ``n1``; reject
        H0 if more than ``r`` responses among ``n``.
    p0, p1 : float
        Hypothesised response rates.
    en0, pet0 : float
        Expected sample size and probability of early termination under p0.
    alpha, power : float
        Exact type I error and power.
    kind : str
        ``"minimax"``, ``"optimal"``, ``"admissible"`` or ``"candidate"``.
    q_lo, q_hi : float or None
        For admissible designs, the interval of ``q`` over which the design
        minimises ``q n + (1 - q) EN(p0)``.
    """

    r1: int
    n1: int
    r: int
    n: int
    p0: float
    p1: float
    en0: float
    pet0: float
    alpha: float
    power: float
    kind: str = "candidate"
    q_lo: float | None = None
    q_hi: float | None = None

    @property
    def notation(self) -> str:
        """Simon's notation, e.g. ``"1/10, 5/29"``."""
        return f"{self.r1}/{self.n1}, {self.r}/{self.n}"

    def boundary_table(self) -> BoundaryTable:
        """The design as a boundary table: looks (n1, n), futility (r1, r)."""
        return BoundaryTable(
            looks=(self.n1, self.n),
            futility=(self.r1, self.r),
            efficacy=(self.n1 + 1, self.r + 1),  # n1 + 1: no efficacy stop at stage 1
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict with the keys of ``adaptive-pilot simon --json``."""
        return {
            "kind": self.kind,
            "r1": self.r1,
            "n1": self.n1,
            "r": self.r,
            "n": self.n,
            "en0": self.en0,
            "pet0": self.pet0,
            "alpha": self.alpha,
            "power": self.power,
            "q_lo": self.q_lo,
            "q_hi": self.q_hi,
        }

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.notation}: EN(p0) {self.en0:.2f}, PET(p0) {self.pet0:.3f}, "
            f"alpha {self.alpha:.4f}, power {self.power:.4f}"
        )


@dataclass(frozen=True)
class SimonSearch(ResultMixin):
    """Result of a Simon two-stage design search.

    Attributes
    ----------
    p0, p1, alpha, beta : float
        The design targets.
    n_max : int
        Largest total sample size searched.
    convention : str
        Feasibility convention (``"clinfun"``: strict ``<``; ``"inclusive"``: ``<=``).
    admissible : tuple of SimonDesign
        The admissible designs by increasing ``n``: the first is the minimax,
        the last the optimal design.
    candidate_rows : numpy.ndarray
        The rows of :attr:`candidates` as an array (columns as there).
    candidates : pandas.DataFrame
        For each total ``n`` that can be optimal or admissible (its best EN(p0)
        is not above that of any smaller ``n``), the feasible design with the
        smallest EN(p0) (columns ``r1, n1, r, n, en0, pet0, alpha, power``).
    single_stage : SingleStageDesign
        The exact single-stage binomial design, for comparison.
    """

    p0: float
    p1: float
    alpha: float
    beta: float
    n_max: int
    convention: str
    admissible: tuple[SimonDesign, ...]
    candidate_rows: np.ndarray = field(repr=False)
    single_stage: SingleStageDesign

    @functools.cached_property
    def candidates(self) -> pd.DataFrame:
        """The per-n candidates as a table (built when first asked for)."""
        frame = pd.DataFrame(self.candidate_rows, columns=list(_CANDIDATE_COLUMNS))
        return frame.astype({name: int for name in ("r1", "n1", "r", "n")})

    @property
    def minimax(self) -> SimonDesign:
        """The minimax design (smallest n; ties: smallest EN(p0))."""
        return self.admissible[0]

    @property
    def optimal(self) -> SimonDesign:
        """The optimal design (smallest EN(p0))."""
        return self.admissible[-1]

    def admissible_at(self, q: float) -> SimonDesign:
        """The admissible design minimising ``q n + (1 - q) EN(p0)``.

        ``q`` 1 gives the minimax design, 0 the optimal one. At a breakpoint,
        where two designs tie, the one with the smaller ``n`` is returned.
        """
        if not 0.0 <= q <= 1.0:
            raise InputError("q", f"must be between 0 and 1 (got {q})")
        for design in self.admissible:
            assert design.q_lo is not None
            if q >= design.q_lo:
                return design
        return self.optimal  # pragma: no cover - the last interval starts at 0

    @property
    def designs(self) -> list[SimonDesign]:
        """Minimax, the admissible designs between, and optimal, each labelled.

        When one design is both minimax and optimal it is listed twice, once
        under each label.
        """
        chosen = list(self.admissible)
        if len(chosen) == 1:
            only = chosen[0]
            return [_relabel(only, "minimax"), _relabel(only, "optimal")]
        return chosen

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of :attr:`designs` (one row per design)."""
        return pd.DataFrame([design.to_dict() for design in self.designs])

    @functools.cached_property
    def provenance(self) -> Provenance:
        """Exact; the design hash of the search's inputs."""
        return Provenance(
            "exact",
            design_hash({"simon_search": self._inputs()}),
            details={"algorithm": "exhaustive search on exact binomial probabilities"},
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe result with inputs, designs, the single-stage design and provenance."""
        return {
            "inputs": self._inputs(),
            "designs": [json_safe(design.to_dict()) for design in self.designs],
            "single_stage": json_safe(self.single_stage.to_dict()),
            "provenance": self.provenance.to_dict(),
        }

    def _inputs(self) -> dict[str, Any]:
        return {
            "p0": self.p0,
            "p1": self.p1,
            "alpha": self.alpha,
            "beta": self.beta,
            "n_max": self.n_max,
            "convention": self.convention,
        }

    def summary(self) -> Summary:
        """Minimax, admissible and optimal designs in Simon's notation."""
        relation = "<" if self.convention == "clinfun" else "<="
        frame = pd.DataFrame(
            {
                "kind": [d.kind for d in self.designs],
                "r1_n1": [f"{d.r1}/{d.n1}" for d in self.designs],
                "r_n": [f"{d.r}/{d.n}" for d in self.designs],
                "en0": [d.en0 for d in self.designs],
                "pet0": [d.pet0 for d in self.designs],
                "alpha": [d.alpha for d in self.designs],
                "power": [d.power for d in self.designs],
                "q_interval": [_q_text(d) for d in self.designs],
            }
        )
        single = self.single_stage
        notes = [
            "Stage 1: enrol n1 evaluable patients; stop for futility if at most r1 respond.",
            "Stage 2: enrol up to n; reject H0 (GO) if more than r respond in total.",
            "Admissible designs minimise q*n + (1-q)*EN(p0) for q in their interval "
            "(Jung et al. 2004).",
            f"Single-stage exact binomial design for comparison: n = {single.n}, reject H0 if more "
            f"than {single.r} respond (alpha {single.alpha:.4f}, power {single.power:.4f}).",
        ]
        if self.optimal.n > self.n_max - 10:
            notes.append(
                f"Warning: the optimal n ({self.optimal.n}) is close to the largest n searched "
                f"({self.n_max}); a larger --n-max may find a design with smaller EN(p0)."
            )
        return Summary(
            "Simon two-stage designs (exact binomial)",
            header=(
                f"H0: p <= {self.p0:g}   H1: p >= {self.p1:g}   "
                f"alpha {relation} {self.alpha:g}, beta {relation} {self.beta:g} "
                f"(power {'>' if relation == '<' else '>='} {1 - self.beta:g})",
                f"feasibility convention: {self.convention}; total n searched up to {self.n_max}",
            ),
            tables=(Table(frame),),
            notes=tuple(notes),
            provenance=self.provenance,
        )


def simon_designs(
    p0: float,
    p1: float,
    alpha: float = 0.05,
    beta: float = 0.20,
    n_max: int = 100,
    *,
    convention: Convention = "clinfun",
) -> SimonSearch:
    """Search Simon two-stage designs.

    Parameters
    ----------
    p0 : float
        Response rate under H0 (uninteresting), in (0, 1).
    p1 : float
        Response rate under H1 (target), in (p0, 1).
    alpha : float, default 0.05
        Upper bound on the type I error.
    beta : float, default 0.20
        Upper bound on the type II error (power at least ``1 - beta``).
    n_max : int, default 100
        Largest total sample size searched (up to 2000).
    convention : {"clinfun", "inclusive"}
        ``"clinfun"``: feasible if ``alpha_exact < alpha`` and
        ``1 - power < beta`` (as clinfun's ``ph2simon``); ``"inclusive"``:
        with ``<=`` instead.

    Returns
    -------
    SimonSearch
        Minimax, optimal and admissible designs, the per-n candidates and the
        single-stage design.

    Raises
    ------
    InputError
        For invalid inputs, or when no design is feasible up to ``n_max``.

    Examples
    --------
    >>> search = simon_designs(0.1, 0.3, alpha=0.05, beta=0.2)
    >>> search.optimal.notation, search.minimax.notation
    ('1/10, 5/29', '1/15, 5/25')
    """
    p0, p1, alpha, beta, n_max, strict = _validate(p0, p1, alpha, beta, n_max, convention)
    # the tables start large enough for a default search (n_max 100), so it builds them once
    tables0 = BinomialTables(p0, min(n_max, 128))
    tables1 = BinomialTables(p1, min(n_max, 128))
    tests = single_stage_tests(p0, p1, alpha, n_max, strict)
    impossible = _neyman_pearson_impossible(tests, alpha, beta)
    rows = _best_design_per_n(tables0, tables1, alpha, beta, n_max, strict, impossible)
    if not len(rows):
        raise InputError(
            "n_max",
            f"no two-stage design with alpha {'<' if strict else '<='} {alpha:g} and power "
            f"{'>' if strict else '>='} {1 - beta:g} exists with n up to {n_max}; increase n_max",
        )
    admissible = _admissible(rows, p0, p1)
    single = smallest_single_stage(tests, beta, strict)
    return SimonSearch(
        p0=p0,
        p1=p1,
        alpha=alpha,
        beta=beta,
        n_max=n_max,
        convention=convention,
        admissible=admissible,
        candidate_rows=rows,
        single_stage=single,
    )


# ---------------------------------------------------------------- internals
def _validate(
    p0: float, p1: float, alpha: float, beta: float, n_max: int, convention: str
) -> tuple[float, float, float, float, int, bool]:
    p0, p1 = response_hypotheses(p0, p1)
    alpha = open_probability("alpha", alpha)
    beta = open_probability("beta", beta)
    n_max = positive_int("n_max", n_max, minimum=2)
    if n_max > N_MAX_LIMIT:
        raise InputError("n_max", f"must be at most {N_MAX_LIMIT} (got {n_max})")
    return p0, p1, alpha, beta, n_max, feasibility_convention(convention) == "clinfun"


def _stage1_lower_bounds(p0: float, p1: float, beta: float, n_max: int) -> np.ndarray:
    """Lower bound on EN(p0) of any feasible design with total n, for n = 0..n_max.

    Power <= P(x1 > r1 | p1) = 1 - PET(p1), so a feasible (n1, r1) needs
    PET(p1) <= beta; among those, the largest r1 maximises PET(p0). Hence
    EN(p0) >= min over n1 < n of n1 + (1 - PET0*(n1)) (n - n1).
    """
    from ._simon_scan import stage1_lower_bounds

    n1 = np.arange(1, n_max + 1)
    # Largest r1 with P(X1 <= r1 | p1) <= beta, from the quantile and a check.
    r1 = binomial_quantile(beta, n1, p1)
    r1 = np.where(binomial_cdf(r1, n1, p1) <= beta + _TIE, r1, r1 - 1)
    r1 = np.minimum(r1, n1 - 1)
    continuing = np.full(n_max + 1, np.nan)
    continuing[1:] = np.where(r1 >= 0, binomial_sf(r1, n1, p0), np.nan)
    return np.asarray(stage1_lower_bounds(continuing))


def _neyman_pearson_impossible(tests: SingleStageTests, alpha: float, beta: float) -> np.ndarray:
    """Totals n = 0..n_max at which no test of size alpha has power 1 - beta.

    The randomised single-stage test on X ~ Bin(n, p) is most powerful at its
    size (Neyman-Pearson), and every two-stage design is a test on the same n
    patients, so when that test's power is below 1 - beta no design of total
    n is feasible. It rejects when X > r and with probability gamma when
    X = r, r the single-stage critical value. A margin of 1e-9 keeps
    borderline totals in the search.
    """
    pmf0 = tests.size_below - tests.size
    gamma = (alpha - tests.size) / np.where(pmf0 > 0, pmf0, 1.0)
    pmf1 = tests.power_below - tests.power
    power = tests.power + np.clip(gamma, 0.0, 1.0) * pmf1
    return power < 1.0 - beta - 1e-9


def _best_design_per_n(
    t0: BinomialTables,
    t1: BinomialTables,
    alpha: float,
    beta: float,
    n_max: int,
    strict: bool,
    impossible: np.ndarray,
) -> np.ndarray:
    """For each total n that can be optimal or admissible, its best design (one row each).

    The best design at n is the feasible design with the smallest EN(p0) (as
    in ph2simon's table); totals whose best EN(p0) is above that of a smaller
    total are left out, since they can be neither. The binomial tables grow
    (doubling) only as far as a total still worth scanning.
    """
    from ._simon_scan import scan_simon  # numba: compiled once, then from its cache

    lower = _stage1_lower_bounds(t0.p, t1.p, beta, n_max)
    worth = ~impossible
    worth[:2] = False
    blocks: list[np.ndarray] = []
    best = np.inf
    out = np.empty((n_max + 1, len(_CANDIDATE_COLUMNS)))
    n_from = 2
    while n_from <= n_max:
        ahead = np.flatnonzero(worth[n_from:] & (lower[n_from:] <= best + 1e-9))
        if not ahead.size:
            break
        n_from += int(ahead[0])
        t0.ensure(min(n_max, max(n_from, 2 * t0.capacity)))
        t1.ensure(t0.capacity)
        n_to = min(n_max, t0.capacity)
        count = scan_simon(
            t0.pmf, t0.cdf, t0.sf, t1.pmf, t1.cdf, t1.sf, alpha, beta, strict, _TIE,
            lower, ~worth, n_from, n_to, best, out,
        )  # fmt: skip
        if count:
            blocks.append(out[:count].copy())
            best = min(best, float(out[:count, 4].min()))
        n_from = n_to + 1
    return np.concatenate(blocks) if blocks else np.empty((0, len(_CANDIDATE_COLUMNS)))


def _admissible(rows: np.ndarray, p0: float, p1: float) -> tuple[SimonDesign, ...]:
    """Lower convex hull of (n, EN(p0)) from the minimax to the optimal design."""
    r1s, n1s, rs, ns, ens, pets, alphas, powers = rows.T
    optimal = int(np.argmin(ens))  # first minimum: smallest n among ties
    chain: list[tuple[int, float, float]] = []  # (row, q_lo, q_hi)
    current, q_hi = 0, 1.0
    while current != optimal:
        later = np.arange(current + 1, optimal + 1)
        later = later[ens[later] < ens[current]]
        slope = (ens[current] - ens[later]) / (ns[later] - ns[current])
        q = slope / (1.0 + slope)
        q_best = q.max()
        # Among designs tying at the same breakpoint the largest n wins below it.
        nxt = int(later[np.flatnonzero(q >= q_best - 1e-12).max()])
        chain.append((current, float(q_best), q_hi))
        current, q_hi = nxt, float(q_best)
    chain.append((optimal, 0.0, q_hi))
    designs = []
    last = len(chain) - 1
    for position, (row, q_lo, q_hi) in enumerate(chain):
        kind = "minimax" if position == 0 else "optimal" if position == last else "admissible"
        designs.append(
            SimonDesign(
                r1=int(r1s[row]),
                n1=int(n1s[row]),
                r=int(rs[row]),
                n=int(ns[row]),
                p0=p0,
                p1=p1,
                en0=float(ens[row]),
                pet0=float(pets[row]),
                alpha=float(alphas[row]),
                power=float(powers[row]),
                kind=kind,
                q_lo=q_lo,
                q_hi=q_hi,
            )
        )
    return tuple(designs)


def _relabel(design: SimonDesign, kind: str) -> SimonDesign:
    return replace(design, kind=kind)


def _q_text(design: SimonDesign) -> str:
    if design.q_lo is None or design.q_hi is None:
        return ""
    return f"[{design.q_lo:.3f}, {design.q_hi:.3f}]"
