"""One fused pass per posterior probability: P(p_t > p0_t | all data) from table rows.

With posterior weights w_k proportional to exp(log prior_k + sum_j log L_j,k) on
the K quadrature points (mu_k, tau_k), the borrowing models' tail probability is

    P(p_t > p0_t | data) = sum_k w_k T_t,k / sum_k w_k,

T_t the target cohort's tail-ratio row. The simulator evaluates this some 24
times per simulated trial, 99.9 % of them on distinct data, so this loop is where
a hierarchical simulation spends its time. Here it is one compiled pass per
dataset: the J rows are summed into one cache-resident buffer and then turned
into weights and both sums together, with no temporaries.

Two details make that pass fast and keep it exact to float32 precision:

* every table row is shifted so that its maximum is 0 (and the prior likewise),
  so each sum of rows is <= 0 and exp of it needs no per-dataset maximum: the
  weights are exp(sum) themselves. Only when the largest weight falls below
  e^-50 (cohorts' data in strong conflict) is the pass repeated with the
  dataset's own maximum subtracted, so no weight that matters ever leaves the
  normal float32 range;
* in float32 the exponential is computed inline (Cody-Waite reduction by ln 2,
  a degree-7 polynomial for exp on [-ln2/2, ln2/2], the power of two written into
  the exponent bits), which the compiler vectorises; its relative error is
  below 3e-7, like numpy's float32 exp (2e-7). Arguments below -87 are taken as
  -87 (e^-87 = 1.6e-38): such a point weighs at most 1e-35 of the whole. Sums
  run in float32 over blocks of 256 points and in float64 across blocks.

The float64 variant (the reference used by ``HierarchicalModel.prob_greater``)
takes ``math.exp``. Results depend only on the dataset, never on which other
datasets share the call, so simulations are bit-identical for any chunking and
any number of workers on the same machine.

The pass is compiled once and then loaded from numba's on-disk cache (0.1 s
instead of about 1 s in every process and every simulation worker). The block
sum is inlined into its caller at numba's level (``inline="always"``): compiled
as a separate function and linked in, the fast-math block sum ran in another
order when loaded from the cache than when freshly compiled (a float32 ulp,
about 1e-8 in a probability), so the first run after an install disagreed with
later runs in the eighth digit. Inlined, the cached and the fresh code are the
same (``tests/test_hierarchical.py`` checks a compiling and a loading process
agree to the bit).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

__all__ = ["weighted_tail"]

_F32 = np.float32
# ln 2 split in two (the high part has 9 significant bits, so n * _LN2_HI is exact)
_LN2_HI = _F32(0.693359375)
_LN2_LO = _F32(-2.12194440e-4)
_LOG2E = _F32(1.4426950408889634)
_FLOOR_32 = _F32(-87.0)  # e^-87 = 1.6e-38, just above float32's smallest normal number
# Repeat a dataset's pass with its own maximum subtracted when the total weight is below this.
_RESCALE_BELOW = math.exp(-50.0)
_BLOCK = 256


@intrinsic
def _float32_from_bits(typingctx: Any, bits: Any) -> Any:
    """The float32 whose IEEE-754 bit pattern is the int32 ``bits``."""
    signature = types.float32(types.int32)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.bitcast(args[0], ir.FloatType())

    return signature, codegen


def _exp_nonpositive(t: float) -> float:  # pragma: no cover - compiled through the overload
    """exp(t) for t <= 0 (compiled per precision, see the overload)."""
    return math.exp(t)


@overload(_exp_nonpositive, inline="always")
def _exp_nonpositive_compiled(t: Any) -> Any:
    if isinstance(t, types.Float) and t.bitwidth == 32:

        def exp32(t: Any) -> Any:
            t = max(t, _FLOOR_32)
            n = np.floor(t * _LOG2E + _F32(0.5))
            r = t - n * _LN2_HI
            r = r - n * _LN2_LO
            # exp(r) = 1 + r + r^2 / 2! + ... + r^7 / 7!, |r| <= ln2 / 2: error < 2e-8
            p = _F32(1.0 / 5040.0)
            p = p * r + _F32(1.0 / 720.0)
            p = p * r + _F32(1.0 / 120.0)
            p = p * r + _F32(1.0 / 24.0)
            p = p * r + _F32(1.0 / 6.0)
            p = p * r + _F32(0.5)
            p = p * r + _F32(1.0)
            p = p * r + _F32(1.0)
            scale = _float32_from_bits((np.int32(n) + np.int32(127)) << np.int32(23))  # type: ignore[call-arg,var-annotated]
            return p * scale

        return exp32

    def exp64(t: Any) -> Any:
        return math.exp(t)

    return exp64


@njit(fastmath=True, nogil=True, cache=True, inline="always")
def _pass(buf: Any, tail: Any, shift: Any) -> tuple[float, float]:  # pragma: no cover
    """(sum w T, sum w) with w = exp(buf - shift), in blocks of ``_BLOCK`` points."""
    zero = buf[0] - buf[0]
    num = 0.0
    den = 0.0
    for start in range(0, buf.size, _BLOCK):
        stop = min(start + _BLOCK, buf.size)
        block_num = zero
        block_den = zero
        for k in range(start, stop):
            w = _exp_nonpositive(buf[k] - shift)
            block_num += w * tail[k]
            block_den += w
        num += block_num
        den += block_den
    return num, den


@njit(fastmath=True, nogil=True, cache=True)
def _weighted_tail(
    log_prior: Any, log_lik: Any, tail: Any, rows: Any, tail_rows: Any, out: Any
) -> None:  # pragma: no cover - compiled
    n_sets, n_cohorts = rows.shape
    buf = np.empty(log_prior.size, log_prior.dtype)
    zero = log_prior[0] - log_prior[0]
    for s in range(n_sets):
        for k in range(buf.size):  # (a loop: numba's slice assignment is 4x slower here)
            buf[k] = log_prior[k]
        for j in range(n_cohorts):
            row = log_lik[rows[s, j]]
            for k in range(buf.size):
                buf[k] += row[k]
        tail_row = tail[tail_rows[s]]
        num, den = _pass(buf, tail_row, zero)
        if den < _RESCALE_BELOW:
            top = buf[0]
            for k in range(buf.size):
                top = buf[k] if buf[k] > top else top
            num, den = _pass(buf, tail_row, top)
        out[s] = num / den


def weighted_tail(
    log_prior: np.ndarray,
    log_lik: np.ndarray,
    tail: np.ndarray,
    rows: np.ndarray,
    tail_rows: np.ndarray,
) -> np.ndarray:
    """sum_k w_k T_k / sum_k w_k per dataset, w = exp(log_prior + sum of its rows).

    Parameters
    ----------
    log_prior : ndarray of shape (K,)
        Log prior weights of the quadrature points, maximum 0.
    log_lik : ndarray of shape (R, K)
        Log marginal likelihood rows, each with maximum 0 and no -inf (floored).
    tail : ndarray of shape (T, K)
        Tail-ratio rows, in [0, 1].
    rows : ndarray of shape (S, J), int
        Each dataset's ``log_lik`` rows, one per cohort.
    tail_rows : ndarray of shape (S,), int
        Each dataset's ``tail`` row (its target cohort's).

    Returns
    -------
    ndarray of shape (S,), float64
    """
    dtype = log_lik.dtype
    out = np.empty(rows.shape[0])
    if rows.shape[0]:
        _weighted_tail(
            np.ascontiguousarray(log_prior, dtype=dtype),
            log_lik,
            np.ascontiguousarray(tail, dtype=dtype),
            np.ascontiguousarray(rows, dtype=np.int64),
            np.ascontiguousarray(tail_rows, dtype=np.int64),
            out,
        )
    return out
