"""A time-to-event endpoint (PFS or OS) monitored against a performance goal.

The model (Broglio, Connor & Berry 2014; goldilocks): the hazard is constant on the
pieces [c_0 = 0, c_1), ..., [c_{J-1}, c_J = H) up to the landmark H, with independent
Gamma(a, b) priors on the piece hazards lambda_j. A patient followed for y months
(truncated at H) adds min(max(y - c_j, 0), c_{j+1} - c_j) months of exposure to piece
j and, with an event at y <= H, one event to the piece holding y. With D_j events over
E_j months, lambda_j | data ~ Gamma(a + D_j, b + E_j) independently, and

    S(H) = exp(-sum_j w_j lambda_j),   w_j = c_{j+1} - c_j.

**Posterior probability.** q = P(S(H) > goal | data) = P(sum_j w_j lambda_j < -log goal),
the distribution function of a sum of independent Gammas, computed exactly
(:func:`adaptive_pilot._gamma_sum.gamma_sum_cdf`; one piece: one incomplete gamma).
A hazard against a historical median m0 is the same question at H = m0, goal = 1/2.

**Predictive probabilities** (Goldilocks, by imputation). Each imputation draws the
piece hazards from the current posterior, then completes the data: a patient still in
follow-up (censored before H and not lost) gets an event time drawn given survival
to y (the residual cumulative hazard is a standard exponential), censored at H; a
patient not yet enrolled gets a time drawn from the start. The completed data's
posterior probability, computed exactly, against the final threshold says whether
that imputation succeeds:

* ``pp_now``: the patients enrolled so far, followed to H (stop accrual for expected
  success if above the look's threshold);
* ``pp_max``: the same plus the patients still to come up to the maximum (stop for
  futility if below the look's threshold).

The predictive probabilities carry a Monte Carlo error, sqrt(pp (1 - pp) / M) with M
imputations, and depend on the seed, which every result records.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .._gamma_sum import gamma_sum_cdf, gamma_sum_cdf_above
from ..errors import InputError
from ..priors import GammaPrior

__all__ = ["BorrowedPosterior", "PiecewiseExponential", "SurvivalGoalRule"]


class BorrowedPosterior(Protocol):
    """A cohort's posterior with borrowing, as the predictive step uses it (rows: a slice
    of the datasets)."""

    def draw(self, rows: slice, rng: np.random.Generator, m: int) -> np.ndarray:
        """(R, m, J) draws of the piece hazards."""
        ...

    def succeeds(self, rows: slice, events: np.ndarray, exposure: np.ndarray) -> np.ndarray:
        """Final GO for the completed data (R, M, J)."""
        ...


#: Imputations processed at once (bounds memory: rows x imputations x patients).
_ROWS_PER_BLOCK = 64


@dataclass(frozen=True)
class PiecewiseExponential:
    """Constant hazards on [0, b_1), [b_1, b_2), ..., [b_last, landmark).

    ``breaks`` empty: the exponential model.
    """

    landmark: float
    breaks: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        if not (math.isfinite(self.landmark) and 0 < self.landmark <= 240):
            raise InputError("landmark", f"must be from 0 to 240 months (got {self.landmark})")
        b = tuple(float(x) for x in self.breaks)
        if any(not (0 < x < self.landmark) for x in b) or any(
            y <= x for x, y in itertools.pairwise(b)
        ):
            raise InputError(
                "breaks", f"must be increasing months between 0 and the landmark {self.landmark:g}"
            )
        object.__setattr__(self, "breaks", b)

    @property
    def edges(self) -> np.ndarray:
        """c_0 = 0, the breaks, c_J = landmark."""
        return np.array((0.0, *self.breaks, self.landmark))

    @property
    def widths(self) -> np.ndarray:
        """The piece lengths w_j (months)."""
        return np.diff(self.edges)

    @property
    def pieces(self) -> int:
        """The number of pieces J."""
        return len(self.breaks) + 1

    def describe(self) -> str:
        """'exponential' or the pieces in words."""
        if not self.breaks:
            return "exponential (one constant hazard)"
        cuts = ", ".join(f"{x:g}" for x in self.breaks)
        return f"piecewise exponential, hazard constant between {cuts} months"

    def events_and_exposure(
        self, time: np.ndarray, event: np.ndarray, present: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(D, E), each (..., J): events and months of exposure per piece.

        ``time`` and ``event`` are (..., W), patients on the last axis; times beyond the
        landmark are censored there; ``present`` (..., W) masks patients out.
        """
        time = np.asarray(time, dtype=float)
        event = np.asarray(event, dtype=bool) & (time <= self.landmark)
        if present is not None:
            time = np.where(present, time, 0.0)
            event = event & present
        edges = self.edges
        events = np.empty((*time.shape[:-1], self.pieces))
        exposure = np.empty_like(events)
        for j in range(self.pieces):
            low, high = edges[j], edges[j + 1]
            exposure[..., j] = np.clip(time - low, 0.0, high - low).sum(axis=-1)
            last = j == self.pieces - 1
            inside = (time >= low) & ((time <= high) if last else (time < high))
            events[..., j] = (event & inside).sum(axis=-1)
        return events, exposure

    def cumulative(self, rates: np.ndarray, time: np.ndarray) -> np.ndarray:
        """Cumulative hazard at ``time`` (..., W) under ``rates`` (..., J)."""
        edges, widths = self.edges, self.widths
        total = np.zeros(np.broadcast_shapes(time.shape, (*rates.shape[:-1], 1)))
        for j in range(self.pieces):
            total += rates[..., j : j + 1] * np.clip(time - edges[j], 0.0, widths[j])
        return total

    def event_times(
        self, rates: np.ndarray, start: np.ndarray, exponentials: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Times drawn given survival to ``start``, censored at the landmark.

        ``rates`` (..., J); ``start`` and ``exponentials`` (..., W). The residual
        cumulative hazard is the standard exponential; returns (time, event).
        """
        target = self.cumulative(rates, start) + exponentials
        edges, widths = self.edges, self.widths
        at_edges = np.concatenate(
            [np.zeros((*rates.shape[:-1], 1)), np.cumsum(rates * widths, axis=-1)], axis=-1
        )  # (..., J + 1)
        event = target < at_edges[..., -1:]
        piece = np.zeros(target.shape, dtype=np.int64)
        for j in range(1, self.pieces):
            piece += target >= at_edges[..., j : j + 1]
        base = np.take_along_axis(
            np.broadcast_to(at_edges, (*target.shape[:-1], at_edges.shape[-1])), piece, axis=-1
        )
        rate = np.take_along_axis(
            np.broadcast_to(rates, (*target.shape[:-1], rates.shape[-1])), piece, axis=-1
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            time = edges[piece] + (target - base) / rate
        return np.where(event, np.minimum(time, self.landmark), self.landmark), event


@dataclass(frozen=True)
class SurvivalGoalRule:
    """Monitor S(landmark) against a performance goal (see the module).

    Parameters
    ----------
    model : PiecewiseExponential
        The landmark H and the hazard pieces.
    goal : float
        The performance goal for S(H) (e.g. the historical 6-month PFS).
    prior : GammaPrior
        The prior of every piece hazard.
    success : float
        Final GO if P(S(H) > goal | data) > success.
    futility : tuple of float
        Per interim look: stop for futility if the look's statistic is below it (NaN: no
        futility stop at that look).
    futility_on : {"predictive", "posterior"}
        The statistic futility reads: ``pp_max`` or the posterior probability.
    expected_success : tuple of float
        Per interim look: stop accrual for expected success if ``pp_now`` exceeds it
        (NaN: not at that look).
    imputations : int
        Imputations per predictive probability.
    """

    model: PiecewiseExponential
    goal: float
    prior: GammaPrior = field(default_factory=GammaPrior)
    success: float = 0.95
    futility: tuple[float, ...] = ()
    futility_on: str = "predictive"
    expected_success: tuple[float, ...] = ()
    imputations: int = 1000

    def __post_init__(self) -> None:
        if not (0 < self.goal < 1):
            raise InputError("goal", f"must be a survival probability in (0, 1) (got {self.goal})")
        if not (0 < self.success < 1):
            raise InputError("success", f"must be in (0, 1) (got {self.success})")
        if self.futility_on not in ("predictive", "posterior"):
            raise InputError("futility.statistic", "must be 'predictive' or 'posterior'")
        for name in ("futility", "expected_success"):
            values = tuple(float(v) for v in getattr(self, name))
            if any(not (math.isnan(v) or 0 <= v <= 1) for v in values):
                raise InputError(name, "thresholds must be probabilities from 0 to 1")
            object.__setattr__(self, name, values)
        if len(self.futility) != len(self.expected_success):
            raise InputError("expected_success", "needs one threshold per interim look")
        if isinstance(self.imputations, bool) or not 10 <= int(self.imputations) <= 100_000:
            raise InputError("imputations", "must be an integer from 10 to 100000")

    @property
    def interim_looks(self) -> int:
        """The number of interim looks with thresholds."""
        return len(self.futility)

    @property
    def cutoff(self) -> float:
        """The cumulative-hazard cut-off -log(goal): S(H) > goal iff sum w lambda < it."""
        return -math.log(self.goal)

    # ------------------------------------------------------------ posterior
    def posterior(self, events: np.ndarray, exposure: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gamma (shape, rate) of each piece hazard, (..., J) each."""
        return self.prior.shape + np.asarray(events, float), self.prior.rate + np.asarray(
            exposure, float
        )

    def prob_better(self, events: np.ndarray, exposure: np.ndarray) -> np.ndarray:
        """P(S(H) > goal | data), exact, for data (..., J)."""
        shape, rate = self.posterior(events, exposure)
        return gamma_sum_cdf(self.cutoff, shape, self.model.widths / rate)

    def succeeds(self, events: np.ndarray, exposure: np.ndarray) -> np.ndarray:
        """P(S(H) > goal | data) > success, exactly (the comparison, settled by rigorous
        bounds where it is clear and by :meth:`prob_better` where it is close)."""
        shape, rate = self.posterior(events, exposure)
        return gamma_sum_cdf_above(self.cutoff, shape, self.model.widths / rate, self.success)

    def mean_survival(self, events: np.ndarray, exposure: np.ndarray) -> np.ndarray:
        """Posterior mean of S(H): prod_j (rate_j / (rate_j + w_j))^shape_j, exact."""
        shape, rate = self.posterior(events, exposure)
        return np.exp(np.sum(shape * np.log(rate / (rate + self.model.widths)), axis=-1))

    def survival_quantile(
        self, events: np.ndarray, exposure: np.ndarray, level: float
    ) -> np.ndarray:
        """The posterior ``level`` quantile of S(H) (bisection on the exact CDF, 1e-10)."""
        shape, rate = self.posterior(np.atleast_2d(events), np.atleast_2d(exposure))
        scales = self.model.widths / rate
        low = np.zeros(shape.shape[0])
        high = np.ones(shape.shape[0])
        for _ in range(40):  # S = exp(-Y): P(S <= s) = 1 - F_Y(-log s)
            mid = (low + high) / 2
            below = 1.0 - gamma_sum_cdf(-np.log(np.maximum(mid, 1e-300)), shape, scales)
            smaller = below < level
            low = np.where(smaller, mid, low)
            high = np.where(smaller, high, mid)
        return (low + high) / 2

    def survival_density(
        self, events: np.ndarray, exposure: np.ndarray, points: int = 201
    ) -> tuple[np.ndarray, np.ndarray]:
        """(s, posterior density of S(H) at s) on a grid of (0, 1), for one dataset (J,).

        The density is the exact distribution function's central difference (for
        drawing).
        """
        shape, rate = self.posterior(np.asarray(events)[None, :], np.asarray(exposure)[None, :])
        scales = self.model.widths / rate
        edges = np.linspace(0.0, 1.0, points + 1)
        inner = np.clip(edges, 1e-12, 1.0)
        # P(S <= s) = 1 - F_Y(-log s)
        cdf = 1.0 - gamma_sum_cdf(-np.log(inner), np.repeat(shape, edges.size, 0),
                                  np.repeat(scales, edges.size, 0))  # fmt: skip
        cdf[0], cdf[-1] = 0.0, 1.0
        centres = (edges[:-1] + edges[1:]) / 2
        return centres, np.diff(cdf) / np.diff(edges)

    # ------------------------------------------------------------ predictive
    def predictive(
        self,
        time: np.ndarray,
        event: np.ndarray,
        open_: np.ndarray,
        present: np.ndarray,
        n_future: np.ndarray,
        rng: np.random.Generator,
        *,
        imputations: int | None = None,
        with_max: bool = True,
        borrowed: BorrowedPosterior | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(pp_now, pp_max) per dataset, by imputation (see the module).

        Parameters
        ----------
        time, event, open_, present : arrays (B, W)
            Follow-up so far (months), event seen, still in follow-up (to impute),
            patient enrolled.
        n_future : array (B,)
            Patients still to come up to the maximum.
        rng : numpy.random.Generator
            The draws (hazards, then residual times, then the patients to come).
        imputations : int, optional
            Default: the rule's.
        with_max : bool
            Compute ``pp_max`` (NaN otherwise).
        borrowed : optional
            With borrowing between cohorts: draws this cohort's hazards and decides the
            completed data's final analysis
            (:class:`~adaptive_pilot.cohorts.survival_borrowing.BorrowedCohort`);
            default: this cohort's own data.
        """
        m = int(imputations or self.imputations)
        time = np.atleast_2d(np.asarray(time, float))
        event = np.atleast_2d(np.asarray(event, bool))
        open_ = np.atleast_2d(np.asarray(open_, bool)) & np.atleast_2d(present)
        present = np.atleast_2d(np.asarray(present, bool))
        n_future = np.atleast_1d(np.asarray(n_future, np.int64))
        rows = time.shape[0]
        pp_now = np.empty(rows)
        pp_max = np.full(rows, np.nan)
        width_future = int(n_future.max()) if with_max and n_future.size else 0
        for start in range(0, rows, _ROWS_PER_BLOCK):
            part = slice(start, min(start + _ROWS_PER_BLOCK, rows))
            now, full = self._predictive_block(
                time[part], event[part], open_[part], present[part], n_future[part],
                width_future, rng, m, with_max, part, borrowed,
            )  # fmt: skip
            pp_now[part] = now
            if with_max:
                pp_max[part] = full
        return pp_now, pp_max

    def _predictive_block(
        self,
        time: np.ndarray,
        event: np.ndarray,
        open_: np.ndarray,
        present: np.ndarray,
        n_future: np.ndarray,
        width_future: int,
        rng: np.random.Generator,
        m: int,
        with_max: bool,
        part: slice,
        borrowed: BorrowedPosterior | None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        model = self.model
        if borrowed is None:
            d_obs, e_obs = model.events_and_exposure(time, event, present)  # (R, J)
            shape, rate = self.posterior(d_obs, e_obs)
            rates = rng.standard_gamma(shape[:, None, :], size=(shape.shape[0], m, model.pieces))
            rates = rates / rate[:, None, :]  # (R, M, J)

            def succeeds(d: np.ndarray, e: np.ndarray) -> np.ndarray:
                return self.succeeds(d, e)
        else:
            rates = borrowed.draw(part, rng, m)

            def succeeds(d: np.ndarray, e: np.ndarray) -> np.ndarray:
                return borrowed.succeeds(part, d, e)

        closed = present & ~open_
        d_closed, e_closed = model.events_and_exposure(time, event, closed)
        # patients still in follow-up, moved to the front of each row (the rest are not
        # drawn): times drawn given survival to their follow-up
        order = np.argsort(~open_, axis=1, kind="stable")[:, : max(int(open_.sum(axis=1).max()), 1)]
        start = np.take_along_axis(time, order, axis=1)
        drawn = np.take_along_axis(open_, order, axis=1)
        residual = rng.standard_exponential((time.shape[0], m, start.shape[1]))
        t_new, ev_new = model.event_times(
            rates, np.broadcast_to(start[:, None, :], residual.shape), residual
        )
        d_open, e_open = model.events_and_exposure(
            t_new, ev_new, np.broadcast_to(drawn[:, None, :], t_new.shape)
        )
        d_now = d_closed[:, None, :] + d_open
        e_now = e_closed[:, None, :] + e_open
        succeed_now = succeeds(d_now, e_now)
        if not with_max:
            return succeed_now.mean(axis=1), None
        fresh = rng.standard_exponential((time.shape[0], m, width_future))
        coming = np.arange(width_future)[None, None, :] < n_future[:, None, None]
        t_f, ev_f = model.event_times(rates, np.zeros_like(fresh), fresh)
        d_f, e_f = model.events_and_exposure(t_f, ev_f, np.broadcast_to(coming, t_f.shape))
        succeed_max = succeeds(d_now + d_f, e_now + e_f)
        return succeed_now.mean(axis=1), succeed_max.mean(axis=1)

    def describe(self) -> str:
        """The rule in one sentence."""
        return (
            f"GO if P(S({self.model.landmark:g} months) > {self.goal:g} | data) > "
            f"{self.success:g}; {self.model.describe()}, {self.prior} prior on each hazard"
        )
