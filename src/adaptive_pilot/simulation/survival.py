"""Progression-free and overall survival in the simulated trials.

Event times (months from enrolment) follow proportional hazards, with a hazard
ratio for responders against non-responders, so that PFS and OS go with the
simulated responses:

* baseline cumulative hazard H0(t) = c G(t), with G(t) = t (exponential),
  t^k (Weibull, shape k) or the integral of a piecewise-constant relative hazard
  (piecewise exponential, ``breaks`` and ``hazard_ratios``);
* a responder's cumulative hazard is ``hr_responders`` x H0(t);
* the scale c is set so that the *cohort's* median is the scenario's
  ``median`` (what trials publish): with response rate r, u = c G(median) solves
  r exp(-HR u) + (1 - r) exp(-u) = 1/2.

A patient's PFS and OS come from one standard exponential draw E, as
T = G^-1(E / (c HR_i)) under each endpoint's model: the two are comonotone (a
patient who progresses late also dies late), so each keeps the scenario's median
and OS >= PFS whenever the OS hazard is the lower one for responders and
non-responders alike (OS = max(OS, PFS) where it is not). The PFS model is that of
the PFS event (progression or death). A PFS event is seen at the
first scheduled scan at or after it (every ``scan_every`` months from
enrolment), unless death comes first; death is seen when it happens.
Patients drop out at an exponential time (``dropout`` per month) and everyone
is censored at the data cut. The survival draws come from a second random stream
of each chunk, so adding survival to a scenario changes none of the response,
toxicity or decision numbers.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError
from ..kaplan_meier import kaplan_meier

__all__ = ["EventTimeModel", "SurvivalScenario"]


@dataclass(frozen=True)
class EventTimeModel:
    """One endpoint's event-time distribution in one cohort (see the module)."""

    median: float
    distribution: str = "exponential"
    shape: float = 1.0
    breaks: tuple[float, ...] = ()
    hazard_ratios: tuple[float, ...] = ()
    hr_responders: float = 1.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.median) and self.median > 0):
            raise InputError("median", f"must be a positive number of months (got {self.median})")
        if self.distribution not in ("exponential", "weibull", "piecewise"):
            raise InputError("distribution", "must be exponential, weibull or piecewise")
        if not (0.05 <= self.shape <= 20):
            raise InputError("shape", f"must be between 0.05 and 20 (got {self.shape})")
        if not (0.01 <= self.hr_responders <= 100):
            raise InputError(
                "hr_responders", f"must be between 0.01 and 100 (got {self.hr_responders})"
            )
        if self.distribution == "piecewise":
            b, h = self.breaks, self.hazard_ratios
            if len(h) != len(b) + 1 or not b:
                raise InputError(
                    "hazard_ratios", "needs one relative hazard per piece: one more than breaks"
                )
            if any(not x > 0 for x in b) or any(y <= x for x, y in itertools.pairwise(b)):
                raise InputError("breaks", "must be increasing positive months")
            if any(not (0 < x <= 1000) for x in h):
                raise InputError("hazard_ratios", "must be positive (at most 1000)")

    # G and its inverse ------------------------------------------------------
    def _g(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        if self.distribution == "exponential":
            return t
        if self.distribution == "weibull":
            return np.power(t, self.shape)
        edges = np.array((0.0, *self.breaks))
        rates = np.array(self.hazard_ratios)
        widths = np.diff(np.append(edges, np.inf))
        before = np.concatenate([[0.0], np.cumsum(rates[:-1] * widths[:-1])])
        piece = np.searchsorted(edges, t, side="right") - 1
        return before[piece] + rates[piece] * (t - edges[piece])

    def _g_inverse(self, v: np.ndarray) -> np.ndarray:
        v = np.asarray(v, dtype=float)
        if self.distribution == "exponential":
            return v
        if self.distribution == "weibull":
            return np.power(v, 1.0 / self.shape)
        edges = np.array((0.0, *self.breaks))
        rates = np.array(self.hazard_ratios)
        widths = np.diff(np.append(edges, np.inf))
        before = np.concatenate([[0.0], np.cumsum(rates[:-1] * widths[:-1])])
        piece = np.searchsorted(before, v, side="right") - 1
        return edges[piece] + (v - before[piece]) / rates[piece]

    def scale(self, response_rate: float) -> float:
        """The baseline scale c that gives the cohort median at this response rate."""
        r, hr = float(response_rate), self.hr_responders

        def excess(u: float) -> float:
            return r * math.exp(-hr * u) + (1 - r) * math.exp(-u) - 0.5

        from scipy.optimize import brentq  # imported where used (0.1 s at start-up)

        u = brentq(excess, 1e-12, 1e4, xtol=1e-14, rtol=1e-14)
        return float(u / float(self._g(np.array(self.median))))

    def survival(self, t: np.ndarray, response_rate: float) -> np.ndarray:
        """The cohort's survival function S(t), responders and non-responders mixed."""
        h0 = self.scale(response_rate) * self._g(np.asarray(t, dtype=float))
        r = float(response_rate)
        return r * np.exp(-self.hr_responders * h0) + (1 - r) * np.exp(-h0)

    def sample(
        self, exponentials: np.ndarray, responded: np.ndarray, response_rate: np.ndarray
    ) -> np.ndarray:
        """Event times from standard exponential draws (shape (B, J, W); rates per J)."""
        scales = np.array([self.scale(r) for r in np.atleast_1d(response_rate)])
        factor = np.where(responded, self.hr_responders, 1.0) * scales[None, :, None]
        return self._g_inverse(exponentials / factor)


@dataclass(frozen=True)
class SurvivalScenario:
    """PFS (and OS) per cohort in one scenario, with dropout, scans and follow-up.

    ``pfs`` and ``os`` hold one model per cohort (None where not simulated).
    ``follow_up``: months from a cohort's last decision to its survival data cut.
    """

    pfs: tuple[EventTimeModel, ...]
    os: tuple[EventTimeModel, ...] | None = None
    dropout: float = 0.0
    scan_every: float = 0.0
    follow_up: float = 0.0
    landmark: float = 6.0

    def __post_init__(self) -> None:
        if not (0 < self.landmark <= 240):
            raise InputError("landmark", "must be from 0 to 240 months")
        if not (0 <= self.dropout <= 10):
            raise InputError("dropout", f"must be a rate per month from 0 to 10 ({self.dropout})")
        if not (0 <= self.scan_every <= 60):
            raise InputError("scan_every", "must be from 0 (continuous) to 60 months")
        if not (0 <= self.follow_up <= 240):
            raise InputError("follow_up", "must be from 0 to 240 months")

    def to_dict(self) -> dict[str, object]:
        """JSON-ready description."""

        def model(m: EventTimeModel) -> dict[str, object]:
            out: dict[str, object] = {
                "median": m.median,
                "distribution": m.distribution,
                "hr_responders": m.hr_responders,
            }
            if m.distribution == "weibull":
                out["shape"] = m.shape
            if m.distribution == "piecewise":
                out |= {"breaks": list(m.breaks), "hazard_ratios": list(m.hazard_ratios)}
            return out

        return {
            "pfs": [model(m) for m in self.pfs],
            "os": None if self.os is None else [model(m) for m in self.os],
            "dropout": self.dropout,
            "scan_every": self.scan_every,
            "follow_up": self.follow_up,
            "landmark": self.landmark,
        }


@dataclass(frozen=True)
class SurvivalDraws:
    """Standard exponential draws per patient for the event times and for dropout."""

    progression: np.ndarray
    dropout: np.ndarray


def draw_survival(rng: np.random.Generator, shape: tuple[int, ...]) -> SurvivalDraws:
    """The survival draws of a chunk (from its second random stream)."""
    return SurvivalDraws(rng.standard_exponential(shape), rng.standard_exponential(shape))


@dataclass(frozen=True)
class SurvivalOutcomes:
    """Per trial and cohort: KM estimates at the survival data cut, events at each look."""

    median_pfs: np.ndarray  # (B, J), NaN where the KM curve stays above 1/2
    pfs_landmark: np.ndarray  # (B, J), KM S(survival.landmark)
    pfs_events: np.ndarray  # (B, J)
    median_os: np.ndarray | None
    os_events: np.ndarray | None
    look_events: np.ndarray  # (B, J, K): PFS events known at look k (NaN: no look k)


def survival_outcomes(
    survival: SurvivalScenario,
    draws: SurvivalDraws,
    arrivals: np.ndarray,
    responded: np.ndarray,
    response_rates: np.ndarray,
    enrolled: np.ndarray,
    end_time: np.ndarray,
    look_times: np.ndarray,
) -> SurvivalOutcomes:
    """Observed PFS and OS of every enrolled patient, summarised per trial and cohort.

    ``look_times`` (B, J, K): calendar month of each response look (NaN where the
    cohort did not reach it). The survival data cut of a cohort is its end time
    plus ``survival.follow_up``.
    """
    width = arrivals.shape[2]
    present = np.arange(width)[None, None, :] < enrolled[:, :, None]
    rates = np.asarray(response_rates, dtype=float)

    def sample(models: tuple[EventTimeModel, ...], exponentials: np.ndarray) -> np.ndarray:
        out = np.empty(exponentials.shape)
        for j, model in enumerate(models):
            out[:, j] = model.sample(
                exponentials[:, j : j + 1], responded[:, j : j + 1], rates[j : j + 1]
            )[:, 0]
        return out

    pfs_true = sample(survival.pfs, draws.progression)
    if survival.os is not None:
        # the same draw as PFS (comonotone), so each endpoint keeps its median and OS
        # follows PFS patient by patient; max() only where the models cross
        death = np.maximum(sample(survival.os, draws.progression), pfs_true)
    else:
        death = np.full(pfs_true.shape, np.inf)
    seen = pfs_true
    if survival.scan_every > 0:
        seen = np.ceil(pfs_true / survival.scan_every) * survival.scan_every
    pfs = np.minimum(seen, death)  # progression at the next scan, unless death comes first
    dropout = (
        draws.dropout / survival.dropout if survival.dropout > 0 else np.full(pfs.shape, np.inf)
    )
    cut = (end_time + survival.follow_up)[:, :, None] - arrivals  # follow-up window
    window = np.minimum(dropout, cut)

    def observed(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        event = present & (times <= window)
        return np.where(present, np.minimum(times, window), np.nan), event

    pfs_time, pfs_event = observed(pfs)
    median_pfs, at_landmark, pfs_events = kaplan_meier(pfs_time, pfs_event, survival.landmark)
    median_os = os_events = None
    if survival.os is not None:
        os_time, os_event = observed(death)
        median_os, _, os_events = kaplan_meier(os_time, os_event, survival.landmark)
    # PFS events known at each look: patients enrolled by then, event before it
    seen = arrivals[:, :, None, :] + np.minimum(pfs, dropout)[:, :, None, :]
    known = (
        (seen <= look_times[:, :, :, None])
        & (pfs <= dropout)[:, :, None, :]
        & present[:, :, None, :]
    )
    look_events = np.where(np.isnan(look_times), np.nan, known.sum(axis=3))
    return SurvivalOutcomes(median_pfs, at_landmark, pfs_events, median_os, os_events, look_events)
