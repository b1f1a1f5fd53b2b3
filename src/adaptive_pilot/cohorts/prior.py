"""The hierarchical model's priors and the data it is given.

:class:`HierarchicalPrior` holds the priors of (mu, tau) of Berry's model,
:class:`NonExchangeable` EXNEX's per-cohort weights and NEX priors, and
:func:`hierarchical_prior` the defaults every surface shares (mu centred on the
cohorts' mean logit p0). :func:`validate_data` checks one dataset (n, x, p0 per
cohort) against the limits where the fast posterior is checked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._limits import BORROWED_N_LIMIT, PRIOR_RANGES
from ..errors import InputError

__all__ = ["Data", "HierarchicalPrior", "NonExchangeable", "hierarchical_prior", "validate_data"]


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

    #: the model this prior defines, as results name it
    model_name: ClassVar[str] = "hierarchical"
    #: the title of a posterior under it
    posterior_title: ClassVar[str] = "Hierarchical posterior across cohorts"

    def to_dict(self) -> dict[str, float]:
        """JSON-ready form."""
        return {"mu_mean": self.mu_mean, "mu_sd": self.mu_sd, "tau_sd": self.tau_sd}

    def describe(self) -> str:
        """One line for summaries."""
        return (
            f"logit p_j ~ N(mu, tau^2), mu ~ N({self.mu_mean:.3f}, {self.mu_sd:g}^2), "
            f"tau ~ HalfNormal({self.tau_sd:g})"
        )


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


#: One dataset, validated: (n, x, p0) per cohort.
Data = tuple[np.ndarray, np.ndarray, np.ndarray]


def validate_data(
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
