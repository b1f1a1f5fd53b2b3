"""Posterior tables: a trial's borrowed posterior as sums of precomputed rows.

:class:`PosteriorTables` holds, for every (n, x) up to N, the per-cohort rows of
the quadrature (:mod:`adaptive_pilot.cohorts.quadrature`) in compact form
(float32 for the simulator), with EXNEX's non-exchangeable part mixed in when
the model has one; :meth:`PosteriorTables.prob_greater` turns a trial's data
into P(p_j > p0_j | all data) with one weighted sum. The simulator and the
interim call decide on the same tables.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError
from .prior import NonExchangeable
from .quadrature import _LOG_FLOOR, _logit, nex_rows, row_index

if TYPE_CHECKING:
    from .hierarchical import HierarchicalModel

__all__ = ["PosteriorTables"]


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
        from .weighted_tail import weighted_tail  # numba: only where a posterior is summed

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
