"""Sensitivity of a design's decisions and operating characteristics to its prior.

FDA's 2026 draft guidance on Bayesian methods asks for sensitivity analyses of the
prior. :func:`sensitivity` rebuilds a Bayesian design under alternative priors, each
through the one compile path (the design document with another ``prior``), and
reports for each the final GO bound, the exact type I error P(GO | p0), the power
P(GO | p1) and E[N | p0]:

* **vague**: Beta(1, 1);
* **sceptical** and **enthusiastic**: Betas centred at p0 and at p1 with the design
  prior's effective sample size (moment; at least 2 patients);
* **robust weights** 0.25, 0.5, 0.75 and 1 (the design's prior robustified with a
  vague component of mean 1/2, RBesT's form);
* for a MAP prior, its tau prior's scale halved and doubled (less or more
  heterogeneity between the historical studies and the new one).

It also gives the type I error over the whole null range: the largest exact
P(GO | p) for p <= p0 (on a grid of 201 rates and at p0), not only at p0.

**Drift** between the historical evidence and the current trial: the true rate is
moved from the prior's mean (for a MAP prior, the historical studies' predictive
mean) by -0.15 to +0.15, and for each shift it gives the exact P(GO) of the design
as designed, with a vague prior and with its prior robustified at weight 0.5, and
the probability that the data at N flag a prior-data conflict (Box's p < 0.05, if
all N patients are evaluated). Every number is exact.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import InputError
from .ess import effective_sample_size
from .oc.exact import exact_oc
from .provenance import Provenance
from .results import ResultMixin, Summary, Table, json_safe, records

__all__ = ["SensitivityResult", "TauSensitivity", "sensitivity", "tau_sensitivity"]

ROBUST_WEIGHTS = (0.25, 0.5, 0.75, 1.0)
#: shifts of the true rate from the prior's mean in the drift analysis
DRIFT_SHIFTS = (-0.15, -0.10, -0.05, 0.0, 0.05, 0.10, 0.15)
#: the priors the drift analysis compares
_DRIFT_SCENARIOS = ("as designed", "robust weight 0.5", "vague")


@dataclass(frozen=True)
class SensitivityResult(ResultMixin):
    """Decisions and exact OC of a design under alternative priors.

    Attributes
    ----------
    name : str
        The design's name.
    p0, p1 : float
        Its hypotheses.
    frame : DataFrame
        One row per prior: ``scenario``, ``prior``, ``ess_moment``, ``go_bound``
        (final GO if x >= it), ``p_go_p0``, ``p_go_p1``, ``en0``.
    null_range : dict
        ``max_alpha`` (largest P(GO | p) over p <= p0) and ``at`` (the p where).
    design_hash : str
        The design's hash.
    drift : DataFrame
        One row per (prior, shift): ``scenario``, ``shift`` (true rate minus the
        prior's mean), ``p`` (the true rate), ``p_go`` and ``p_conflict`` (the
        probability that Box's p < 0.05 with N patients under that scenario's prior).
    """

    name: str
    p0: float
    p1: float
    frame: pd.DataFrame = field(compare=False)
    null_range: dict[str, float]
    design_hash: str
    drift: pd.DataFrame | None = field(default=None, compare=False)

    @functools.cached_property
    def provenance(self) -> Provenance:
        """Exact; the design's hash."""
        return Provenance("exact", self.design_hash, details={"analysis": "prior sensitivity"})

    def to_frame(self) -> pd.DataFrame:
        """One row per prior scenario (see :attr:`frame`)."""
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``scenarios`` (the rows), ``null_range``, ``drift``, ``provenance``."""
        return json_safe(
            {
                "design": self.name,
                "scenarios": records(self.frame),
                "null_range": self.null_range,
                "drift": [] if self.drift is None else records(self.drift),
                "provenance": self.provenance.to_dict(),
            }
        )

    def summary(self) -> Summary:
        """The scenarios' table and the null-range type I error in words."""
        worst = self.null_range
        header = [
            f"Design {self.name}: p0 = {self.p0:g}, p1 = {self.p1:g}; every number exact.",
            f"Type I error over the whole null range p <= {self.p0:g}: at most "
            f"{worst['max_alpha']:.4f} (at p = {worst['at']:.3g}).",
        ]
        table = Table(
            self.frame,
            title="Decisions and operating characteristics under alternative priors",
            labels={
                "go_bound": "final GO if x >=",
                "p_go_p0": "P(GO | p0)",
                "p_go_p1": "P(GO | p1)",
            },
        )
        tables = [table]
        if self.drift is not None:
            tables.append(
                Table(
                    self.drift,
                    title="Drift: the true rate moved from the prior's mean (exact)",
                    labels={"shift": "shift from the prior mean"},
                )
            )
        return Summary("Prior sensitivity", header, tuple(tables), (), self.provenance)


def sensitivity(resolved: Any) -> SensitivityResult:
    """Rebuild a Bayesian design under alternative priors and compare its decisions and OC.

    Parameters
    ----------
    resolved : ResolvedDesign
        The design (from :func:`adaptive_pilot.load_design`).

    Raises
    ------
    InputError
        For a Simon design (its decisions do not use a prior): only the null-range type I
        error applies, which :func:`null_range_alpha` gives.
    """
    from .spec import design_from_document

    design = resolved.design
    if design.bayesian is None:
        raise InputError("rule", "a Simon design has no prior: prior sensitivity does not apply")
    p0, p1 = design.p0, design.p1
    base = resolved.data
    prior = design.prior
    size = max(effective_sample_size(prior, "moment"), 2.0)
    scenarios: list[tuple[str, dict[str, Any]]] = [
        ("as designed", base["prior"]),
        ("vague", {"a": 1.0, "b": 1.0}),
        ("sceptical (mean p0)", {"a": p0 * size, "b": (1 - p0) * size}),
        ("enthusiastic (mean p1)", {"a": p1 * size, "b": (1 - p1) * size}),
    ]
    for weight in ROBUST_WEIGHTS:
        scenarios.append(
            (f"robust weight {weight:g}", {**base["prior"], "robust": {"weight": weight}})
        )
    if base["prior"].get("type") == "map" or isinstance(base["prior"].get("historical"), list):
        tau = float(base["prior"]["tau"]["half_normal"])
        for factor, word in ((0.5, "halved"), (2.0, "doubled")):
            changed = {**base["prior"], "tau": {"half_normal": tau * factor}}
            scenarios.append((f"MAP, tau scale {word} ({tau * factor:g})", changed))
    rows = []
    built = {}
    for label, spec in scenarios:
        if label == "as designed":
            alt = design  # compiled already
        else:
            document = copy.deepcopy(base)
            document["prior"] = spec
            document.pop("calibration", None)
            try:
                alt = design_from_document(document, source="sensitivity").design
            except InputError as error:
                raise InputError(f"sensitivity ({label})", error.message) from None
        built[label] = alt
        oc = exact_oc(alt.table, [p0, p1])
        rows.append(
            {
                "scenario": label,
                "prior": str(alt.prior),
                "ess_moment": effective_sample_size(alt.prior, "moment"),
                "go_bound": alt.table.efficacy[-1],
                "p_go_p0": float(oc.p_go[0]),
                "p_go_p1": float(oc.p_go[1]),
                "en0": float(oc.en[0]),
            }
        )
    frame = pd.DataFrame(rows).astype({"go_bound": "Int64"})
    return SensitivityResult(
        resolved.name, p0, p1, frame, null_range_alpha(design.table, p0),
        resolved.design_hash(), drift_frame(built, prior.mean),
    )  # fmt: skip


def drift_frame(designs: dict[str, Any], centre: float) -> pd.DataFrame:
    """Exact P(GO) and P(conflict flagged at N) as the true rate drifts from ``centre``.

    ``designs``: the compiled designs by scenario name (those of ``_DRIFT_SCENARIOS``
    present are used). Shifts that leave (0, 1) are skipped.
    """
    from ._binomial import binomial_pmf_matrix
    from .conflict import CONFLICT_LEVEL, box_p_values

    shifts = [s for s in DRIFT_SHIFTS if 0.0 < centre + s < 1.0]
    rates = np.array([centre + s for s in shifts])
    rows = []
    for label in _DRIFT_SCENARIOS:
        if label not in designs:
            continue
        alt = designs[label]
        n = alt.table.n_max
        flagged = box_p_values(alt.prior, n) < CONFLICT_LEVEL
        p_conflict = binomial_pmf_matrix(n, rates)[:, flagged].sum(axis=1)
        p_go = exact_oc(alt.table, rates).p_go
        for shift, rate, go, conflict in zip(shifts, rates, p_go, p_conflict, strict=True):
            rows.append(
                {
                    "scenario": label,
                    "shift": float(shift),
                    "p": float(rate),
                    "p_go": float(go),
                    "p_conflict": float(min(conflict, 1.0)),
                }
            )
    return pd.DataFrame(rows)


def null_range_alpha(table: Any, p0: float) -> dict[str, float]:
    """The largest exact P(GO | p) over p <= p0 (a grid of 201 rates and p0 itself)."""
    grid = np.unique(np.r_[np.linspace(0.0, p0, 201), p0])
    p_go = exact_oc(table, grid).p_go
    k = int(np.argmax(p_go))
    return {"max_alpha": float(p_go[k]), "at": float(grid[k])}


@dataclass(frozen=True)
class TauSensitivity(ResultMixin):
    """Trial-level simulated OC of a borrowing design as the tau prior's scale changes.

    Attributes
    ----------
    frame : DataFrame
        One row per (tau_sd, scenario): ``tau_sd``, ``scenario``, ``p_any_go`` and ``fwer``
        with their Monte Carlo standard errors (``p_any_go_mcse``, ``fwer_mcse``).
    analysis : str
        The borrowing model simulated.
    seed, n_trials : int
        Root seed and simulated trials per scenario (the same for every tau_sd: common
        random numbers, so differences between rows are not Monte Carlo noise alone).
    """

    frame: pd.DataFrame = field(compare=False)
    analysis: str
    seed: int
    n_trials: int
    design_hash: str

    @functools.cached_property
    def provenance(self) -> Provenance:
        """Monte Carlo: seed and trials per scenario."""
        details = {"analysis": f"tau-prior sensitivity ({self.analysis})"}
        return Provenance("monte carlo", self.design_hash, self.seed, self.n_trials, details)

    def to_frame(self) -> pd.DataFrame:
        """One row per (tau_sd, scenario) (see :attr:`frame`)."""
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``rows`` and ``provenance``."""
        return json_safe({"rows": records(self.frame), "provenance": self.provenance.to_dict()})

    def summary(self) -> Summary:
        """P(any GO) and the family-wise false-GO rate per scenario, for each tau scale."""
        table = Table(
            self.frame, title="Simulated trial-level OC as the tau prior's scale changes",
            errors={"p_any_go": "p_any_go_mcse", "fwer": "fwer_mcse"},
        )  # fmt: skip
        header = [
            f"Borrowing: {self.analysis}; tau ~ HalfNormal(tau_sd) for each tau_sd below; "
            f"{self.n_trials:,} trials per scenario, seed {self.seed} (the same random numbers "
            "for every tau_sd); Monte Carlo standard errors in parentheses."
        ]
        return Summary("Tau-prior sensitivity", header, (table,), (), self.provenance)


def tau_sensitivity(
    resolved: Any,
    scenarios: str,
    *,
    n_trials: int = 10_000,
    seed: int = 1,
    n_jobs: int = 1,
    analysis: str | None = None,
    factors: tuple[float, ...] = (0.5, 1.0, 2.0),
) -> TauSensitivity:
    """Simulate a borrowing trial with the tau prior's scale multiplied by each factor.

    Parameters
    ----------
    resolved : ResolvedDesign
        A multi-cohort design.
    scenarios : path
        Its scenario file.
    n_trials, seed, n_jobs : int
        Simulated trials per scenario, root seed, processes.
    analysis : {"hierarchical", "exnex"}, optional
        The borrowing model (default: the design file's, which must borrow).

    Raises
    ------
    InputError
        For a design that does not borrow (and no ``analysis``), or bad options.
    """
    from .simulation import simulate
    from .spec import design_from_document, load_scenarios

    model = analysis or (resolved.data.get("borrowing") or {}).get("model", "independent")
    if model not in ("hierarchical", "exnex"):
        raise InputError(
            "analysis",
            "the design does not borrow between cohorts: tau sensitivity needs --analysis "
            "hierarchical or exnex",
        )
    base_tau = float((resolved.data.get("borrowing") or {}).get("tau_sd", 1.0))
    rows = []
    for factor in factors:
        document = copy.deepcopy(resolved.data)
        document["borrowing"] = {**(document.get("borrowing") or {}), "tau_sd": base_tau * factor}
        trial = design_from_document(document, source="tau sensitivity").trial(model)
        result = simulate(trial, load_scenarios(scenarios, trial), n_trials, seed,
                          n_jobs=n_jobs, progress=False)  # fmt: skip
        frame = result.to_frame()
        trial_rows = frame[frame["cohort"] == "ALL"]
        for name in dict.fromkeys(trial_rows["scenario"]):
            part = trial_rows[trial_rows["scenario"] == name].set_index("metric")
            row: dict[str, Any] = {"tau_sd": base_tau * factor, "scenario": name}
            for metric in ("p_any_go", "fwer"):
                if metric in part.index:
                    row[metric] = float(part.loc[metric, "estimate"])
                    row[f"{metric}_mcse"] = float(part.loc[metric, "mcse"])
            rows.append(row)
    return TauSensitivity(pd.DataFrame(rows), model, seed, n_trials, resolved.design_hash())
