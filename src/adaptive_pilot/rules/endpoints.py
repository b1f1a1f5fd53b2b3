"""BOP2 rules on several endpoints of one categorical outcome (Zhou, Lee & Yuan 2017).

Each patient's outcome falls in one of K categories (CR, PR, SD, PD; or response x
toxicity) with a Dirichlet prior. An endpoint is a group of categories, its rate the sum
of their probabilities: ORR = CR + PR, DCR = CR + PR + SD, toxicity = the cells with a
toxicity. Its posterior is Beta (the Dirichlet's aggregation property), so for each
endpoint

    q_e = P(rate_e better than phi_e | data),

"better" meaning above phi_e for an efficacy endpoint and below it for a toxicity
endpoint. With t = n / N and BOP2's cut-off C(t) = lambda t^gamma:

* ``require="any"`` (nested endpoints: CR within ORR, ORR within DCR; the treatment is
  worth pursuing if any endpoint is promising): stop for futility if q_e < C(t) for
  every endpoint;
* ``require="all"`` (co-primary efficacy and toxicity: both must hold): stop if
  q_e < C(t) for any endpoint;
* ``require="(ORR or DCR) and toxicity"``: groups joined by ``and``, endpoints within
  a group by ``or`` (nested efficacy endpoints with a toxicity co-primary): stop if, in
  some group, q_e < C(t) for every endpoint.

At the final analysis (t = 1) the same test with C = lambda gives NO-GO, otherwise GO.
The optional efficacy stop of BOP2-FE (Xu et al. 2025) is the dual: stop for efficacy
if every group has an endpoint with q_e >= C_e(t), with the power or O'Brien-Fleming
form of :class:`~adaptive_pilot.rules.bop2.BOP2Rule`.

``"any"`` and ``"all"`` are the forms Zhou et al. (2017, section 2) give for nested and
co-primary endpoints and BOP2FE implements (``get_boundary_nested``,
``get_boundary_jointefftox``); the grouped form combines them, one cut-off for all.
Each endpoint's condition is monotone in its own count, so each compiles to a
one-endpoint boundary table; the joint design is those tables and the join.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .._validate import open_probability
from ..errors import InputError
from ..priors import BetaPrior, DirichletPrior
from ._common import max_sample_size, threshold
from .bop2 import BOP2Rule

__all__ = ["DIRECTIONS", "JOINS", "Endpoint", "MultiEndpointRule"]

#: Which way an endpoint is better: a response rate higher, a toxicity rate lower.
DIRECTIONS = ("higher", "lower")
#: Shorthands for how the endpoints join: GO needs any endpoint promising, or all.
JOINS = ("any", "all")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)
_OR = re.compile(r"\s+or\s+", re.IGNORECASE)


def requirement_groups(require: str, names: tuple[str, ...]) -> tuple[tuple[int, ...], ...]:
    """Endpoint groups of a requirement: GO needs, in every group, some endpoint promising.

    ``"any"`` is one group of every endpoint, ``"all"`` one group per endpoint;
    otherwise groups are joined by ``and`` and the endpoints of a group by ``or``,
    a group of several in parentheses: ``"(ORR or DCR) and toxicity"``. Every endpoint
    appears once. Parsed by pattern, never evaluated.

    Examples
    --------
    >>> requirement_groups("(ORR or DCR) and tox", ("ORR", "DCR", "tox"))
    ((0, 1), (2,))
    """
    if not isinstance(require, str) or not require.strip():
        raise InputError("require", "must be 'any', 'all' or endpoints joined by and/or")
    text = require.strip()
    if text == "any":
        return (tuple(range(len(names))),)
    if text == "all":
        return tuple((i,) for i in range(len(names)))
    parts = _AND.split(text)
    groups: list[tuple[int, ...]] = []
    seen: set[str] = set()
    for part in parts:
        inner = part.strip()
        bracketed = inner.startswith("(") and inner.endswith(")")
        if bracketed:
            inner = inner[1:-1].strip()
        members = _OR.split(inner)
        if len(members) > 1 and len(parts) > 1 and not bracketed:
            raise InputError(
                "require",
                f"put each 'or' group in parentheses when groups are joined by 'and' ({text!r})",
            )
        group = []
        for member in members:
            name = member.strip()
            if name not in names:
                raise InputError(
                    "require",
                    f"{name!r} is not an endpoint; the endpoints are {', '.join(names)} "
                    "(or write 'any' or 'all')",
                )
            if name in seen:
                raise InputError("require", f"names the endpoint {name!r} twice")
            seen.add(name)
            group.append(names.index(name))
        groups.append(tuple(group))
    missing = [n for n in names if n not in seen]
    if missing:
        raise InputError("require", f"must name every endpoint (missing {missing[0]!r})")
    return tuple(groups)


@dataclass(frozen=True)
class Endpoint:
    """An endpoint: a group of outcome categories and the rate it is judged against.

    Parameters
    ----------
    name : str
        Short name (``ORR``, ``DCR``, ``toxicity``).
    categories : sequence of str
        The categories whose probabilities add up to the endpoint's rate.
    threshold : float
        phi: the rate that is not promising (``better="higher"``) or not acceptable
        (``better="lower"``).
    better : {"higher", "lower"}
        Which way the rate is better.
    """

    name: str
    categories: tuple[str, ...]
    threshold: float
    better: Literal["higher", "lower"] = "higher"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise InputError("endpoints", f"each endpoint needs a name (got {self.name!r})")
        field = f"endpoints.{self.name}"
        cats = (self.categories,) if isinstance(self.categories, str) else tuple(self.categories)
        if not cats or not all(isinstance(c, str) for c in cats):
            raise InputError(f"{field}.categories", "needs a list of category names")
        if len(set(cats)) != len(cats):
            raise InputError(f"{field}.categories", f"lists a category twice ({list(cats)})")
        object.__setattr__(self, "categories", cats)
        object.__setattr__(
            self, "threshold", open_probability(f"{field}.threshold", self.threshold)
        )
        if self.better not in DIRECTIONS:
            raise InputError(
                f"{field}.better", f"must be 'higher' or 'lower' (got {self.better!r})"
            )

    def condition(self) -> str:
        """The endpoint's promising condition in words, e.g. ``ORR > 0.3``."""
        sign = ">" if self.better == "higher" else "<"
        return f"{self.name} {sign} {self.threshold:g}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "categories": list(self.categories),
            "threshold": self.threshold,
            "better": self.better,
        }


@dataclass(frozen=True)
class MultiEndpointRule:
    """BOP2 rule on several endpoints of one categorical outcome.

    Parameters
    ----------
    prior : DirichletPrior
        Prior on the category probabilities; its categories are the outcome's.
    endpoints : sequence of Endpoint
        One or more endpoints, each a group of the prior's categories.
    require : str
        ``"any"``: GO needs any endpoint promising (nested endpoints); ``"all"``: all
        of them (co-primary, efficacy with toxicity); or groups such as
        ``"(ORR or DCR) and toxicity"`` (see :func:`requirement_groups`).
    n_max : int
        Maximum sample size N.
    lam, gamma : float
        Cut-off C(t) = lambda t^gamma, lambda in (0, 1), gamma > 0.
    efficacy : {None, "power", "obrien-fleming"}
        Form of the BOP2-FE efficacy cut-off; None for no efficacy stop.
    eta : float, optional
        Exponent of the power-form efficacy cut-off.

    Examples
    --------
    ORR within DCR, BOP2's nested endpoints:

    >>> prior = DirichletPrior(("CR/PR", "SD", "PD"), (0.1, 0.25, 0.65))
    >>> rule = MultiEndpointRule(
    ...     prior,
    ...     (Endpoint("ORR", ("CR/PR",), 0.1), Endpoint("DCR", ("CR/PR", "SD"), 0.35)),
    ...     "any", n_max=40, lam=0.9, gamma=1.0)
    >>> [round(float(q), 3) for q in rule.statistics(40, [[6, 15]])[0]]
    [0.807, 0.617]
    """

    prior: DirichletPrior
    endpoints: tuple[Endpoint, ...]
    require: str
    n_max: int
    lam: float
    gamma: float
    efficacy: Literal["power", "obrien-fleming"] | None = None
    eta: float | None = None
    name: str = "bop2_endpoints"

    def __post_init__(self) -> None:
        if not isinstance(self.prior, DirichletPrior):
            raise InputError("prior", "needs a Dirichlet prior on the outcome categories")
        endpoints = tuple(self.endpoints)
        if not endpoints or not all(isinstance(e, Endpoint) for e in endpoints):
            raise InputError("endpoints", "needs at least one endpoint")
        names = [e.name for e in endpoints]
        if len(set(names)) != len(names):
            raise InputError("endpoints", f"endpoint names must be distinct (got {names})")
        for e in endpoints:
            members = self.prior.members(e.categories)
            if members.all():
                raise InputError(
                    f"endpoints.{e.name}.categories",
                    "covers every category, so its rate is always 1; leave at least one out",
                )
        object.__setattr__(self, "endpoints", endpoints)
        requirement_groups(self.require, tuple(names))
        object.__setattr__(self, "n_max", max_sample_size(self.n_max))
        object.__setattr__(self, "lam", threshold("lambda", self.lam))
        # the cut-off's form is checked by the per-endpoint BOP2 rule
        self.endpoint_rules()

    @property
    def categories(self) -> tuple[str, ...]:
        """The outcome categories (the prior's)."""
        return self.prior.categories

    @property
    def endpoint_names(self) -> tuple[str, ...]:
        """The endpoints' names, in order."""
        return tuple(e.name for e in self.endpoints)

    @property
    def groups(self) -> tuple[tuple[int, ...], ...]:
        """Endpoint groups: GO needs, in every group, some endpoint promising."""
        return requirement_groups(self.require, self.endpoint_names)

    @property
    def membership(self) -> np.ndarray:
        """(K, E) 0/1: which categories count towards each endpoint."""
        return np.stack([self.prior.members(e.categories) for e in self.endpoints], axis=1)

    @property
    def lower_is_better(self) -> np.ndarray:
        """(E,) bool: endpoints judged as lower-is-better (toxicity)."""
        return np.array([e.better == "lower" for e in self.endpoints])

    def endpoint_rules(self) -> tuple[BOP2Rule, ...]:
        """One BOP2 rule per endpoint, on the endpoint's *favourable* count.

        The favourable count is the endpoint's count when higher is better and the
        number of patients without the event when lower is better, with the prior and
        threshold mirrored (Beta(A - a_S, a_S), 1 - phi), so that every endpoint's q
        increases with its favourable count.
        """
        rules = []
        for e in self.endpoints:
            beta = self.prior.marginal(e.categories)
            if e.better == "lower":
                beta, phi = BetaPrior(beta.b, beta.a), 1.0 - e.threshold
            else:
                phi = e.threshold
            rules.append(
                BOP2Rule(
                    phi,
                    beta,
                    self.n_max,
                    lam=self.lam,
                    gamma=self.gamma,
                    efficacy=self.efficacy,
                    eta=self.eta,
                )
            )
        return tuple(rules)

    def endpoint_counts(self, counts: Any) -> np.ndarray:
        """Endpoint counts (..., E) from category counts (..., K) or a {category: count} map."""
        if isinstance(counts, Mapping):
            unknown = [c for c in counts if c not in self.categories]
            if unknown:
                raise InputError(
                    "counts", f"{unknown[0]!r} is not a category ({', '.join(self.categories)})"
                )
            counts = [int(counts.get(c, 0)) for c in self.categories]
        values = np.asarray(counts)
        if values.shape[-1] != len(self.categories):
            raise InputError("counts", f"needs one count per category ({len(self.categories)})")
        return values @ self.membership

    def favourable_counts(self, n: Any, endpoint_counts: Any) -> np.ndarray:
        """Favourable counts (..., E): the count, or n minus it for lower-is-better."""
        counts = np.asarray(endpoint_counts)
        return np.where(self.lower_is_better, np.asarray(n)[..., None] - counts, counts)

    def statistics(self, n: int, endpoint_counts: Any) -> np.ndarray:
        """q_e = P(rate_e better than phi_e | data), shape (..., E)."""
        fav = self.favourable_counts(n, endpoint_counts)
        rules = self.endpoint_rules()
        return np.stack(
            [np.asarray(r.statistic(n, fav[..., i])) for i, r in enumerate(rules)], axis=-1
        )

    def decide(self, n: int, endpoint_counts: Any) -> str:
        """The rule's call at n patients: ``continue``, ``stop_futility``,
        ``stop_efficacy`` (interim) or ``go`` / ``no_go`` (n = N)."""
        return self.decide_on(n, self.statistics(n, np.asarray(endpoint_counts)))

    def decide_on(self, n: int, q: Any) -> str:
        """The call at n patients from the endpoints' probabilities q (E,): the rule's own
        posteriors, or borrowed ones. From n = N on it is the final analysis (cut-off
        lambda)."""
        final = n >= self.n_max
        weak, strong = self.stops(n, np.asarray(q, dtype=float)[None, :], final=final)
        if final:
            return "no_go" if weak[0] else "go"
        if weak[0]:
            return "stop_futility"
        return "stop_efficacy" if strong[0] else "continue"

    def stops(self, n: int, q: np.ndarray, *, final: bool) -> tuple[np.ndarray, np.ndarray]:
        """(stop for futility, stop for efficacy) for rows of probabilities q (S, E) at n
        patients; at the final analysis (NO-GO, GO), with the cut-off lambda.

        Futility: in some group every endpoint's q is below lambda (n/N)^gamma.
        Efficacy (BOP2-FE, interim only): in every group some endpoint's q reaches the
        efficacy cut-off. The two never both hold.
        """
        rule = self.endpoint_rules()[0]
        weak = q < float(rule.futility_cutoff(self.n_max if final else min(n, self.n_max)))
        stop = np.zeros(len(q), bool)
        for group in self.groups:
            stop |= weak[:, list(group)].all(axis=1)
        if final:
            return stop, ~stop
        strong = np.zeros(len(q), bool)
        cut = float(rule.efficacy_cutoff(n))
        if not math.isnan(cut):
            strong[:] = True
            for group in self.groups:
                strong &= (q[:, list(group)] >= cut).any(axis=1)
        return stop, strong & ~stop

    def describe(self) -> str:
        """The rule in words."""
        conditions = [f"q_{e.name} = P({e.condition()} | data)" for e in self.endpoints]
        keep, join = self.requirement_words()
        text = (
            f"Outcome categories {', '.join(self.categories)} with a {self.prior} prior; "
            + "; ".join(conditions)
            + f". After n of N = {self.n_max} evaluable patients: stop for futility if "
            f"q < {self.lam:g} (n/N)^{self.gamma:g} {join}; final GO if "
            f"q >= {self.lam:g} {keep}."
        )
        if self.efficacy == "power":
            text += f" Stop for efficacy if q >= 1 - {1 - self.lam:g} (n/N)^{self.eta:g} {keep}."
        elif self.efficacy == "obrien-fleming":
            text += (
                f" Stop for efficacy if q >= 2 Phi(Phi^-1((1 + lambda)/2) / sqrt(n/N)) - 1 {keep}."
            )
        return text

    def requirement_words(self) -> tuple[str, str]:
        """(where q must reach the cut-off for GO, where q below it stops), in words."""
        names = self.endpoint_names
        groups = self.groups
        if len(groups) == 1:
            if len(names) == 1:
                return f"for {names[0]}", f"for {names[0]}"
            return "for at least one endpoint", "for every endpoint"
        if all(len(g) == 1 for g in groups):
            return "for every endpoint", "for at least one endpoint"
        parts = [" or ".join(names[i] for i in g) for g in groups]
        keep = "for " + " and for ".join(f"({p})" if " or " in p else p for p in parts)
        stop = "for " + ", or for ".join(_every(names[i] for i in g) for g in groups)
        return keep, stop

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        return {
            "type": self.name,
            "categories": list(self.categories),
            "prior": self.prior.to_dict(),
            "endpoints": [e.to_dict() for e in self.endpoints],
            "require": self.require,
            "n_max": self.n_max,
            "lambda": self.lam,
            "gamma": self.gamma,
            "efficacy": self.efficacy,
            "eta": self.eta,
        }


def _every(names: Any) -> str:
    """'ORR', 'both ORR and DCR', 'each of A, B and C'."""
    items = list(names)
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return f"both {items[0]} and {items[1]}"
    return "each of " + ", ".join(items[:-1]) + f" and {items[-1]}"


def with_parameters(
    rule: MultiEndpointRule, lam: float, gamma: float, eta: float | None
) -> MultiEndpointRule:
    """The same rule with other cut-off parameters (a calibration candidate)."""
    return MultiEndpointRule(
        rule.prior, rule.endpoints, rule.require, rule.n_max, lam, gamma, rule.efficacy, eta
    )


def endpoint_rates(rule: MultiEndpointRule, cells: Any) -> np.ndarray:
    """Endpoint rates (S, E) of scenarios given as category probabilities (S, K)."""
    return np.atleast_2d(np.asarray(cells, dtype=float)) @ rule.membership
