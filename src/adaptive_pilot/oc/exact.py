"""Exact operating characteristics (OC) of a boundary table.

The forward recursion carries, for every true response rate ``p`` at once,
the distribution of the number of responses ``x`` among trials still running.
Between looks it adds a Binomial(n_k - n_{k-1}, p) increment; at look ``k`` it
removes the mass at ``x <= f_k`` (stop for futility) and ``x >= e_k`` (stop
for efficacy). The cost is O(K * N) per rate and there is no Monte Carlo
error: every figure is exact up to floating-point rounding.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._binomial import add_binomial
from .._validate import closed_probability
from ..boundary_table import BoundaryTable
from ..errors import InputError
from ..provenance import Provenance, design_hash
from ..results import ResultMixin, Summary, Table, records
from ._stops import LookStops

__all__ = ["OperatingCharacteristics", "batch_stopping_probabilities", "compare_oc", "exact_oc"]

_SUMMARY_COLUMNS = ["p", "p_go", "p_early_futility", "p_early_efficacy", "pet", "en"]


@dataclass(frozen=True)
class OperatingCharacteristics(LookStops, ResultMixin):
    """Exact operating characteristics of a boundary table over true rates.

    Attributes
    ----------
    table : BoundaryTable
        The design evaluated.
    p : ndarray, shape (P,)
        True response rates.
    stop_futility : ndarray, shape (P, K)
        Probability of stopping for futility at each look; at the final look
        this is the probability of NO-GO there.
    stop_efficacy : ndarray, shape (P, K)
        Probability of stopping for efficacy at each look; at the final look
        this is the probability of GO there.
    provenance : Provenance
        Method "exact" and the design hash.
    final_consider : ndarray, shape (P,)
        Probability of CONSIDER at the final look (a Go / Consider / No-Go
        table; zeros otherwise).

    Notes
    -----
    "Early" means at a look before the final one. P(GO) counts early efficacy
    stops and the final GO; PET is the probability of stopping before the
    final look for either reason. For a Go / Consider / No-Go table, P(GO) +
    P(CONSIDER) + P(NO-GO) = 1 and the tables gain ``p_consider``. All figures
    are exact (no Monte Carlo).
    """

    table: BoundaryTable
    p: np.ndarray
    stop_futility: np.ndarray
    stop_efficacy: np.ndarray
    provenance: Provenance
    final_consider: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.final_consider is None:
            consider = np.zeros(self.p.shape)
            consider.setflags(write=False)
            object.__setattr__(self, "final_consider", consider)

    # -------------------------------------------------------------- summaries
    @property
    def p_nogo(self) -> np.ndarray:
        """P(NO-GO): early futility stop or x <= f_K at the final look (1 - P(GO) for a
        two-outcome table)."""
        return self.stop_futility.sum(axis=1)

    @property
    def p_consider(self) -> np.ndarray:
        """P(CONSIDER): f_K < x < e_K at the final look (zero for a two-outcome table)."""
        assert self.final_consider is not None
        return self.final_consider

    @property
    def three_outcomes(self) -> bool:
        """Whether the table is a Go / Consider / No-Go table."""
        return self.table.three_outcomes

    @property
    def pet(self) -> np.ndarray:
        """Probability of early termination, for either reason."""
        return self.p_early_futility + self.p_early_efficacy

    @property
    def stop_consider(self) -> np.ndarray:
        """P(CONSIDER) at each look, shape (P, K): zero before the final look."""
        out = np.zeros_like(self.stop_futility)
        out[:, -1] = self.p_consider
        return out

    @property
    def sample_size_distribution(self) -> np.ndarray:
        """P(the trial ends at look k, with n_k patients); shape (P, K)."""
        return self.stop_futility + self.stop_efficacy + self.stop_consider

    @property
    def en(self) -> np.ndarray:
        """Expected sample size E[N]."""
        return self.sample_size_distribution @ np.asarray(self.table.looks, dtype=float)

    @property
    def sd_n(self) -> np.ndarray:
        """Standard deviation of the sample size.

        From the squared deviations about E[N] (not E[N^2] - E[N]^2, whose
        cancellation left 2e-7 where N cannot vary).
        """
        looks = np.asarray(self.table.looks, dtype=float)
        deviations = (looks[None, :] - self.en[:, None]) ** 2
        return np.sqrt(np.sum(self.sample_size_distribution * deviations, axis=1))

    def at(self, p: float) -> dict[str, float]:
        """The summary figures at one of the evaluated rates."""
        index = np.flatnonzero(np.isclose(self.p, p, rtol=0, atol=1e-12))
        if index.size == 0:
            raise InputError("p", f"{p} is not among the evaluated rates")
        return records(self.to_frame().drop(columns=["method"]))[int(index[0])]

    # ------------------------------------------------------------------ views
    def to_frame(self) -> pd.DataFrame:
        """Tidy table: one row per true rate.

        Columns: ``p``, ``p_go``, (``p_consider`` for a Go / Consider / No-Go
        table), ``p_nogo``, ``p_early_futility``, ``p_early_efficacy``, ``pet``,
        ``en``, ``sd_n``, ``method``.
        """
        consider = {"p_consider": self.p_consider} if self.three_outcomes else {}
        return pd.DataFrame(
            {
                "p": self.p,
                "p_go": self.p_go,
                **consider,
                "p_nogo": self.p_nogo,
                "p_early_futility": self.p_early_futility,
                "p_early_efficacy": self.p_early_efficacy,
                "pet": self.pet,
                "en": self.en,
                "sd_n": self.sd_n,
                "method": "exact",
            }
        )

    def by_look(self) -> pd.DataFrame:
        """Tidy per-look table: one row per (rate, look).

        Columns: ``p``, ``look``, ``n``, ``p_reach`` (probability the look
        happens), ``p_stop_futility``, ``p_stop_efficacy`` (at the final look:
        NO-GO and GO there), ``p_consider`` (a Go / Consider / No-Go table: the
        final CONSIDER, zero before) and ``p_end`` (probability the trial ends
        there: the sample-size distribution).
        """
        n_rates, n_looks = self.stop_futility.shape
        ended = self.sample_size_distribution
        reach = 1.0 - np.cumsum(ended, axis=1) + ended
        consider = {"p_consider": self.stop_consider.ravel()} if self.three_outcomes else {}
        return pd.DataFrame(
            {
                "p": np.repeat(self.p, n_looks),
                "look": np.tile(np.arange(1, n_looks + 1), n_rates),
                "n": np.tile(np.asarray(self.table.looks), n_rates),
                "p_reach": reach.ravel(),
                "p_stop_futility": self.stop_futility.ravel(),
                "p_stop_efficacy": self.stop_efficacy.ravel(),
                **consider,
                "p_end": ended.ravel(),
            }
        )

    def to_dict(self, *, by_look: bool = False) -> dict[str, Any]:
        """JSON-safe result: ``boundaries``, ``oc`` rows (and ``by_look`` rows), ``provenance``."""
        payload: dict[str, Any] = {
            "boundaries": self.table.to_dict(),
            "oc": records(self.to_frame().drop(columns=["method"])),
        }
        if by_look:
            payload["by_look"] = records(self.by_look())
        payload["provenance"] = self.provenance.to_dict()
        return payload

    def summary(self, *, by_look: bool = False) -> Summary:
        """The OC table (and the per-look table) as a :class:`~adaptive_pilot.results.Summary`."""
        columns = list(_SUMMARY_COLUMNS)
        notes = ["GO counts early efficacy stops and the final GO; PET = P(early termination)."]
        if self.three_outcomes:
            columns[2:2] = ["p_consider", "p_nogo"]
            notes.append(
                "Go / Consider / No-Go: CONSIDER is the final band between the NO-GO and GO "
                "bounds; P(GO) + P(CONSIDER) + P(NO-GO) = 1."
            )
        tables = [Table(self.to_frame()[columns])]
        if by_look:
            tables.append(Table(self.by_look(), title="Per-look stopping probabilities"))
        return Summary(
            "Exact operating characteristics",
            header=(
                f"N = {self.table.n_max}, {self.table.n_looks} looks at n = "
                f"{', '.join(str(n) for n in self.table.looks)}; exact (no Monte Carlo error)",
            ),
            tables=tuple(tables),
            notes=tuple(notes),
            provenance=self.provenance,
        )


def exact_oc(
    table: BoundaryTable,
    p: float | Sequence[float] | np.ndarray,
    *,
    design: Mapping[str, Any] | None = None,
) -> OperatingCharacteristics:
    """Exact operating characteristics of a boundary table.

    Parameters
    ----------
    table : BoundaryTable
        Looks and bounds.
    p : float or array_like
        True response rate(s) in [0, 1].
    design : mapping, optional
        ``to_dict()`` of the design the table was compiled from, for the
        design hash in the provenance (default: the table itself).

    Returns
    -------
    OperatingCharacteristics
        Per-look stopping probabilities and the summaries derived from them
        (P(GO), P(early futility), P(early efficacy), PET, E[N], the
        sample-size distribution).

    Examples
    --------
    >>> table = BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, 6))
    >>> oc = exact_oc(table, [0.1, 0.3])
    >>> oc.p_go.round(4).tolist()
    [0.0471, 0.8051]
    """
    rates = _as_rates(p)
    futility = np.asarray(table.futility)[None, :]
    efficacy = np.asarray(table.efficacy)[None, :]
    stops = _forward(table.looks, futility, efficacy, rates)
    stop_futility, stop_efficacy = stops[0][0], stops[1][0]
    # the mass still running after the final look is the CONSIDER band (none: rounding)
    consider = stops[2][0] if table.three_outcomes else np.zeros(rates.shape)
    for array in (rates, stop_futility, stop_efficacy, consider):
        array.setflags(write=False)
    provenance = Provenance(
        "exact",
        design_hash(design) if design is not None else table.design_hash(),
        details={"algorithm": "forward recursion over the boundary table"},
    )
    return OperatingCharacteristics(
        table, rates, stop_futility, stop_efficacy, provenance, final_consider=consider
    )


def batch_stopping_probabilities(
    looks: tuple[int, ...], futility: np.ndarray, efficacy: np.ndarray, rates: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact per-look stopping probabilities for a batch of tables sharing looks.

    Parameters
    ----------
    looks : tuple of int
        Common look schedule (K looks).
    futility, efficacy : ndarray of int, shape (B, K)
        Bounds of B tables (sentinels -1 and n_k + 1 for "never").
    rates : ndarray, shape (P,)
        True response rates.

    Returns
    -------
    (stop_futility, stop_efficacy) : ndarrays of shape (B, P, K)
        At the final look of a Go / Consider / No-Go table these are NO-GO and GO;
        the CONSIDER band is what neither holds (see :func:`exact_oc`).
    """
    stop_futility, stop_efficacy, _ = _forward(looks, futility, efficacy, rates)
    return stop_futility, stop_efficacy


def _forward(
    looks: tuple[int, ...], futility: np.ndarray, efficacy: np.ndarray, rates: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The forward recursion: per-look stops and the mass left after the final look (B, P)."""
    futility = np.asarray(futility)
    efficacy = np.asarray(efficacy)
    n_tables, n_looks = futility.shape
    stop_futility = np.zeros((n_tables, rates.size, n_looks))
    stop_efficacy = np.zeros((n_tables, rates.size, n_looks))
    state = np.ones((n_tables, rates.size, 1))  # P(x = 0 among 0 patients) = 1
    previous = 0
    for k, n in enumerate(looks):
        state = add_binomial(state, n - previous, rates)
        previous = n
        x = np.arange(n + 1)
        low = (x[None, :] <= futility[:, k, None])[:, None, :]  # (B, 1, n + 1)
        high = (x[None, :] >= efficacy[:, k, None])[:, None, :]
        stop_futility[:, :, k] = np.sum(state * low, axis=-1)
        stop_efficacy[:, :, k] = np.sum(state * high, axis=-1)
        state = state * ~(low | high)
    return stop_futility, stop_efficacy, np.clip(state.sum(axis=-1), 0.0, 1.0)


def _as_rates(p: float | Sequence[float] | np.ndarray) -> np.ndarray:
    values = np.atleast_1d(np.asarray(p, dtype=object)).ravel()
    if values.size == 0:
        raise InputError("p", "needs at least one response rate")
    return np.array([closed_probability("p", value) for value in values], dtype=float)


def compare_oc(
    tables: Mapping[str, BoundaryTable], rates: Sequence[float] | np.ndarray
) -> pd.DataFrame:
    """Exact OC of several designs at the same true rates, side by side (long).

    One row per (design, p): ``design``, ``p``, ``p_go``, ``en``, ``pet``. The one
    comparison behind the demo's table and the report's "Designs side by side".

    Examples
    --------
    >>> simon = BoundaryTable(looks=(10, 29), futility=(1, 5), efficacy=(None, 6))
    >>> single = BoundaryTable(looks=(25,), futility=(5,), efficacy=(6,))
    >>> frame = compare_oc({"Simon": simon, "single": single}, [0.1]).round(3)
    >>> frame[["design", "p_go", "en", "pet"]].values.tolist()
    [['Simon', 0.047, 15.014, 0.736], ['single', 0.033, 25.0, 0.0]]
    """
    import pandas as pd

    frames = []
    for name, table in tables.items():
        oc = exact_oc(table, rates)
        frames.append(
            pd.DataFrame({"design": name, "p": oc.p, "p_go": oc.p_go, "en": oc.en, "pet": oc.pet})
        )
    return pd.concat(frames, ignore_index=True)
