"""A prior described: its components, moments and effective sample size by each method.

:func:`describe_prior` is what ``adaptive-pilot prior`` prints and what reports and
the app show wherever a prior is shown: the mixture (weight, a, b per component),
its mean and SD, the ESS by ELIR, moment and Morita (:mod:`adaptive_pilot.ess`),
and, for a robustified prior, how the ESS falls as the vague component's weight
grows (RBesT's ESS-against-robust-weight curve).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .ess import ESS_METHODS, effective_sample_size
from .priors import BetaMixturePrior, BetaPrior, robustify
from .provenance import Provenance, design_hash
from .results import ResultMixin, Summary, Table, json_safe, records

__all__ = ["PriorInformation", "describe_prior"]

#: Robust weights of the ESS curve (RBesT plots the same range).
CURVE_WEIGHTS = tuple(round(0.1 * k, 1) for k in range(11))


@dataclass(frozen=True)
class PriorInformation(ResultMixin):
    """A prior's components, moments and effective sample size.

    Attributes
    ----------
    prior : BetaPrior or BetaMixturePrior
        The prior described (robustified when a robust weight was given).
    ess : dict
        ``ess_elir``, ``ess_moment``, ``ess_morita``; ELIR is None where it is not
        defined (a component with a or b below 1).
    curve : DataFrame or None
        ESS by method against the weight of the vague component, from the prior
        before robustification (``robust_weight``, ``ess_elir``, ``ess_moment``,
        ``ess_morita``).
    robust : dict or None
        The robustification asked for (``weight``, ``mean``).
    """

    prior: BetaPrior | BetaMixturePrior
    ess: dict[str, float | None]
    curve: pd.DataFrame | None = field(default=None, compare=False)
    robust: dict[str, float] | None = None

    @functools.cached_property
    def provenance(self) -> Provenance:
        """Exact (quadrature); hashed on the prior."""
        return Provenance(
            "exact",
            design_hash({"prior": self.prior.to_dict(), "robust": self.robust}),
            details={"algorithm": "ESS by ELIR, moment and Morita (s = 100), as RBesT"},
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per component: ``component``, ``weight``, ``a``, ``b``."""
        w, a, b = self.prior.components()
        return pd.DataFrame({"component": np.arange(1, len(w) + 1), "weight": w, "a": a, "b": b})

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``mixture`` (weight, a, b), ``prior_mean``, ``prior_sd``, the three ESS,
        ``robust`` and ``robust_curve``, ``provenance``."""
        payload: dict[str, Any] = {
            "mixture": records(self.to_frame().drop(columns=["component"])),
            "prior_mean": self.prior.mean,
            "prior_sd": math.sqrt(self.prior.variance),
            **self.ess,
            "robust": self.robust,
        }
        if self.curve is not None:
            payload["robust_curve"] = records(self.curve)
        payload["provenance"] = self.provenance.to_dict()
        return json_safe(payload)

    def summary(self) -> Summary:
        """The mixture, its moments and ESS; the ESS curve when robustified."""
        ess = ", ".join(f"{method} {_number(self.ess[f'ess_{method}'])}" for method in ESS_METHODS)
        header = [
            f"Prior: {self.prior}",
            f"Mean {self.prior.mean:.4f}, SD {math.sqrt(self.prior.variance):.4f}; "
            f"effective sample size (patients): {ess}",
        ]
        if self.robust is not None:
            header.append(
                f"Robustified: a vague Beta component with mean {self.robust['mean']:g} "
                f"(worth 2 patients) at weight {self.robust['weight']:g}"
            )
        tables = [Table(self.to_frame(), title="Mixture components")]
        if self.curve is not None:
            tables.append(
                Table(self.curve, title="Effective sample size against the robust weight")
            )
        notes = [
            "ELIR: expected local-information ratio (Neuenschwander et al. 2020), RBesT's "
            "default; moment: a + b of the Beta with the same mean and variance; Morita: "
            "Morita, Thall & Mueller (2008) at the prior's mode, as RBesT computes it."
        ]
        if self.ess["ess_elir"] is None:
            notes.append(
                "ELIR is not defined here: a component has a or b below 1, so its "
                "integral diverges (RBesT refuses it too)."
            )
        return Summary("Prior and its effective sample size", header, tables, notes,
                       self.provenance)  # fmt: skip


def describe_prior(
    prior: BetaPrior | BetaMixturePrior,
    *,
    robust_weight: float | None = None,
    robust_mean: float = 0.5,
    curve_weights: Sequence[float] = CURVE_WEIGHTS,
) -> PriorInformation:
    """The prior's components, moments and ESS by every method.

    Parameters
    ----------
    prior : BetaPrior or BetaMixturePrior
        The prior.
    robust_weight : float, optional
        Weight of a vague component added to the prior (:func:`~adaptive_pilot.priors.
        robustify`); the ESS curve over ``curve_weights`` is then computed too.
    robust_mean : float, default 0.5
        Mean of the vague component.

    Examples
    --------
    >>> info = describe_prior(BetaPrior(3, 12))
    >>> round(info.ess["ess_elir"], 6), round(info.ess["ess_moment"], 6)
    (15.0, 15.0)
    """
    robust = None
    curve = None
    described = prior
    if robust_weight is not None:
        described = robustify(prior, robust_weight, robust_mean)
        robust = {"weight": float(robust_weight), "mean": float(robust_mean)}
        rows = []
        for weight in curve_weights:
            each = robustify(prior, weight, robust_mean)
            rows.append({"robust_weight": weight, **_ess_all(each)})
        curve = pd.DataFrame(rows)
    return PriorInformation(described, _ess_all(described), curve, robust)


def _ess_all(prior: BetaPrior | BetaMixturePrior) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for method in ESS_METHODS:
        try:
            out[f"ess_{method}"] = effective_sample_size(prior, method)
        except InputError:
            out[f"ess_{method}"] = None
    return out


def _number(value: float | None) -> str:
    return "not defined" if value is None else f"{value:.2f}"
