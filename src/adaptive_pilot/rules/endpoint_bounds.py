"""The compiled form of a multi-endpoint rule: one bound per endpoint and look, and the join.

Each endpoint's condition q_e < C(t) holds exactly when its favourable count (the
endpoint's count, or n minus it when lower is better) is at most a bound f_e,k, and
q_e >= C_e(t) when it is at least e_e,k: the one-endpoint boundary tables that
:func:`~adaptive_pilot.rules.compile.compile_rules` gives for the endpoints' BOP2 rules.
The joint stopping sets on the lattice of endpoint counts follow from those bounds and
the join, so the exact OC (:mod:`adaptive_pilot.oc.multinomial`), the simulator and the
interim call all read the same bounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .._lattice import count_grid, reachable_cells
from ..errors import InputError
from .compile import compile_rules
from .endpoints import MultiEndpointRule

__all__ = ["EndpointBounds", "compile_endpoint_rules", "look_keys", "look_masks"]


@dataclass(frozen=True)
class EndpointBounds:
    """Per-endpoint bounds of a multi-endpoint design on its look schedule.

    Attributes
    ----------
    looks : tuple of int
        Look schedule; the last look is the final analysis.
    endpoints : tuple of str
        Endpoint names.
    lower_is_better : tuple of bool
        Per endpoint: judged lower-is-better (toxicity).
    require : str
        The rule's requirement (``"any"``, ``"all"`` or groups joined by and/or).
    groups : tuple of tuple of int
        Endpoint groups: GO needs, in every group, some endpoint promising.
    futility, efficacy : tuple of tuple of int
        Per endpoint and look, bounds on the *favourable* count: the endpoint is
        unpromising if it is <= futility (-1: never) and strongly promising if it is
        >= efficacy (n_k + 1: never). At the final look futility is the NO-GO bound
        and efficacy = futility + 1.
    """

    looks: tuple[int, ...]
    endpoints: tuple[str, ...]
    lower_is_better: tuple[bool, ...]
    require: str
    groups: tuple[tuple[int, ...], ...]
    futility: tuple[tuple[int, ...], ...]
    efficacy: tuple[tuple[int, ...], ...]

    @property
    def n_max(self) -> int:
        """Maximum sample size."""
        return self.looks[-1]

    def masks(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(futility or NO-GO, efficacy or GO) sets at look k on the endpoint-count lattice.

        Shape (n_k + 1,) * E over the endpoints' own counts (not the favourable ones).
        """
        fut, eff = _masks(
            self.looks[k], np.array(self.futility)[None, :, k], np.array(self.efficacy)[None, :, k],
            np.array(self.lower_is_better), self.groups, final=k == len(self.looks) - 1,
        )  # fmt: skip
        return fut[0], eff[0]

    def natural(self) -> tuple[np.ndarray, np.ndarray]:
        """Bounds on each endpoint's own count, shape (E, K) each.

        Higher is better: unpromising if count <= futility, strong if >= efficacy.
        Lower is better: unpromising if count >= futility, strong if <= efficacy.
        """
        n = np.asarray(self.looks)
        fut, eff = np.array(self.futility), np.array(self.efficacy)
        low = np.array(self.lower_is_better)[:, None]
        return np.where(low, n - fut, fut), np.where(low, n - eff, eff)

    def conditions(self, k: int) -> tuple[str | None, str | None]:
        """(futility, efficacy) conditions at look k in words (None: cannot happen)."""
        n = self.looks[k]
        fut, eff = self.natural()
        weak, strong = [], []
        for i, name in enumerate(self.endpoints):
            f, e = int(fut[i, k]), int(eff[i, k])
            if self.lower_is_better[i]:
                weak.append(f"{name} >= {f}" if f <= n else None)
                strong.append(f"{name} <= {e}" if e >= 0 else None)
            else:
                weak.append(f"{name} <= {f}" if f >= 0 else None)
                strong.append(f"{name} >= {e}" if e <= n else None)
        return _words(weak, self.groups, "and", "or"), _words(strong, self.groups, "or", "and")

    def to_frame(self) -> pd.DataFrame:
        """One row per look: the futility (NO-GO) and efficacy (GO) conditions in words."""
        rows = []
        last = len(self.looks) - 1
        for k, n in enumerate(self.looks):
            weak, strong = self.conditions(k)
            rows.append(
                {
                    "look": k + 1,
                    "n": n,
                    "stop_futility_if": weak or "never",
                    "stop_efficacy_if": strong or ("otherwise" if k == last else "never"),
                    "final": k == last,
                }
            )
        return pd.DataFrame(rows)

    def describe(self) -> str:
        """The bounds in words, one line per look."""
        lines = []
        last = len(self.looks) - 1
        for k, n in enumerate(self.looks):
            weak, strong = self.conditions(k)
            if k == last:
                lines.append(f"final (n={n}): NO-GO if {weak or 'never'}; otherwise GO")
                continue
            parts = [f"stop for futility if {weak}" if weak else "no futility stop"]
            if strong:
                parts.append(f"stop for efficacy if {strong}")
            lines.append(f"n = {n}: " + "; ".join(parts))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready bounds (on the endpoints' own counts) with the join."""
        fut, eff = self.natural()
        return {
            "looks": list(self.looks),
            "require": self.require,
            "endpoints": [
                {
                    "endpoint": name,
                    "better": "lower" if low else "higher",
                    "futility": [int(v) for v in fut[i]],
                    "efficacy": [int(v) for v in eff[i]],
                }
                for i, (name, low) in enumerate(
                    zip(self.endpoints, self.lower_is_better, strict=True)
                )
            ],
        }


def compile_endpoint_rules(
    rules: Sequence[MultiEndpointRule],
    looks: Sequence[int],
    futility_on: Sequence[bool] | None = None,
    efficacy_on: Sequence[bool] | None = None,
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str] | None]]:
    """Compile multi-endpoint rules on one schedule, vectorised over rules and endpoints.

    The rules must share their categories, endpoints and join (calibration candidates
    differ in lambda, gamma and eta only).

    Returns
    -------
    (futility, efficacy, problems)
        Favourable-count bounds of shape (B, E, K) and, per rule, None or the
        ``(field, message)`` saying why it makes no design: the final analysis would
        never or always declare GO, or no interim outcome can stop the trial although
        an interim look is switched on.
    """
    looks = tuple(int(n) for n in looks)
    first = rules[0]
    n_end = len(first.endpoints)
    flat = [r for rule in rules for r in rule.endpoint_rules()]
    compiled = compile_rules(flat, looks, futility_on, efficacy_on)
    futility = compiled.futility.reshape(len(rules), n_end, len(looks))
    efficacy = compiled.efficacy.reshape(len(rules), n_end, len(looks))
    problems = _problems(first, looks, futility, efficacy, futility_on, efficacy_on)
    return futility, efficacy, problems


def look_keys(futility: np.ndarray, efficacy: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Ids of the distinct per-look bounds of B designs.

    Returns ``keys`` of shape (B, K): designs with equal ids at look k have equal
    bounds there; and per look, the distinct (futility, efficacy) rows, shape (U_k, 2, E).
    """
    n_designs, _, n_looks = futility.shape
    keys = np.empty((n_designs, n_looks), dtype=int)
    rows = []
    for k in range(n_looks):
        both = np.stack([futility[:, :, k], efficacy[:, :, k]], axis=1)  # (B, 2, E)
        unique, inverse = np.unique(both.reshape(n_designs, -1), axis=0, return_inverse=True)
        keys[:, k] = inverse.ravel()
        rows.append(unique.reshape(len(unique), 2, -1))
    return keys, rows


def look_masks(
    n: int,
    bounds: np.ndarray,
    lower_is_better: Sequence[bool] | np.ndarray,
    groups: Sequence[Sequence[int]],
    *,
    final: bool,
) -> list[np.ndarray]:
    """[futility or NO-GO, efficacy or GO] masks at one look from one (2, E) bounds row."""
    fut, eff = _masks(
        n, bounds[None, 0], bounds[None, 1], np.asarray(lower_is_better, bool), groups,
        final=final,
    )  # fmt: skip
    return [fut[0], eff[0]]


def _masks(
    n: int,
    futility: np.ndarray,
    efficacy: np.ndarray,
    low: np.ndarray,
    groups: Sequence[Sequence[int]],
    *,
    final: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Joint sets at one look for B designs: bounds (B, E) -> masks (B, (n + 1,) * E)."""
    grid = np.stack(count_grid(n, low.size))  # (E, lattice)
    shape = (slice(None),) + (None,) * low.size
    fav = np.where(low[shape], n - grid, grid)[None]  # (1, E, lattice)
    weak = fav <= futility[(..., *(None,) * low.size)]
    strong = fav >= efficacy[(..., *(None,) * low.size)]
    stop_f = np.zeros((weak.shape[0], *weak.shape[2:]), bool)
    stop_e = np.ones_like(stop_f)
    for group in groups:
        members = list(group)
        stop_f |= weak[:, members].all(axis=1)
        stop_e &= strong[:, members].any(axis=1)
    if final:
        stop_e = ~stop_f
    return stop_f, stop_e & ~stop_f


def _problems(
    rule: MultiEndpointRule,
    looks: tuple[int, ...],
    futility: np.ndarray,
    efficacy: np.ndarray,
    futility_on: Sequence[bool] | None,
    efficacy_on: Sequence[bool] | None,
) -> list[tuple[str, str] | None]:
    """Why each candidate makes no design (None when it does), on reachable outcomes."""
    reach = reachable_cells(looks, rule.membership)
    keys, rows = look_keys(futility, efficacy)
    n_max, last = looks[-1], len(looks) - 1
    low, groups = rule.lower_is_better, rule.groups
    final = [look_masks(n_max, row, low, groups, final=True) for row in rows[last]]
    never = ~np.array([(go & reach[last]).any() for _, go in final])[keys[:, last]]
    always = ~np.array([(nogo & reach[last]).any() for nogo, _ in final])[keys[:, last]]
    fut_on = [True] * len(looks) if futility_on is None else list(futility_on)
    eff_on = [True] * len(looks) if efficacy_on is None else list(efficacy_on)
    switched = any(fut_on[:-1]) or any(eff_on[:-1])
    stops = np.zeros(len(keys), bool)
    for k in range(last):
        can = np.array(
            [
                any(
                    (m & reach[k]).any()
                    for m in look_masks(looks[k], row, low, groups, final=False)
                )
                for row in rows[k]
            ]
        )
        stops |= can[keys[:, k]]
    problems: list[tuple[str, str] | None] = []
    for i in range(len(keys)):
        if never[i] or always[i]:
            what = "never" if never[i] else "always"
            problems.append(
                ("lambda", f"the final analysis (n={n_max}) would {what} declare GO; adjust "
                 "lambda")
            )  # fmt: skip
        elif len(looks) > 1 and switched and not stops[i]:
            problems.append(
                ("lambda", "the rule can never stop early: no outcome at any interim look "
                 "crosses a cut-off; change lambda and gamma or remove the interim looks")
            )  # fmt: skip
        else:
            problems.append(None)
    return problems


def _words(
    parts: list[str | None], groups: Sequence[Sequence[int]], inner: str, outer: str
) -> str | None:
    """Per-endpoint conditions joined within groups by ``inner`` and across by ``outer``.

    A part that cannot hold is None; an 'and' with such a part cannot hold, an 'or'
    drops it."""
    joined = [_join([parts[i] for i in g], inner) for g in groups]
    if outer == "or":
        present = [j for j in joined if j is not None]
    elif any(j is None for j in joined):
        return None
    else:
        present = [j for j in joined if j is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return f" {outer} ".join(f"({p})" if f" {inner} " in p else p for p in present)


def _join(parts: list[str | None], word: str) -> str | None:
    """Conditions joined by 'and'/'or'; an 'and' with an impossible part cannot hold."""
    present = [p for p in parts if p is not None]
    if not present or (word == "and" and len(present) < len(parts)):
        return None
    return f" {word} ".join(present)


def check_schedule(rule: MultiEndpointRule, looks: tuple[int, ...]) -> None:
    """The last look must be the rule's N."""
    if looks[-1] != rule.n_max:
        raise InputError(
            "looks",
            f"the last look ({looks[-1]}) must equal the rule's maximum sample size "
            f"N = {rule.n_max}",
        )
