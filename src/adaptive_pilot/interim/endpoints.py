"""The interim call of a design on several endpoints of one outcome (BOP2's nested and
co-primary endpoints), per cohort.

Each patient with a known best response (and a known toxicity status, when toxicity is
part of the outcome) at the cut-off is put in one outcome category
(:mod:`adaptive_pilot.patients.categories`). With n such patients a cohort's call is
the rule's at n (:meth:`~adaptive_pilot.rules.endpoints.MultiEndpointRule.decide`):
each endpoint's posterior probability of being better than its threshold against the
cut-off lambda (n/N)^gamma, joined as the design says. At a planned look the design's
per-look switches apply; at an unplanned n the rule is applied at n with both stops
on, and flagged; from n = N on it is the final analysis (cut-off lambda).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..cohorts.endpoint_borrowing import EndpointBorrowing
from ..designs.multi_endpoint import MultiEndpointDesign
from ..errors import InputError
from ..patients.categories import CategoryCounts, CategoryDefinition, category_counts
from ..patients.records import PatientData, SourceFile
from ..results import ResultMixin, Summary, Table, records
from .call import call_provenance, unconfirmed_notes
from .decide import DECISION_LABELS
from .result import DesignCall

__all__ = ["EndpointCohortCall", "EndpointInterimResult", "endpoint_interim", "plain_words"]


@dataclass(frozen=True)
class EndpointCohortCall:
    """A cohort's call on several endpoints, with the numbers behind it."""

    cohort: str
    enrolled: int
    n_evaluable: int
    pending: int
    categories: dict[str, int]
    endpoints: tuple[dict[str, Any], ...]
    cutoff: float | None
    decision: str
    reason: str
    planned_look: bool
    look: int | None
    final: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready cohort row (glossary keys)."""
        return {
            "cohort": self.cohort,
            "decision": self.decision,
            "reason": self.reason,
            "enrolled": self.enrolled,
            "n_evaluable": self.n_evaluable,
            "pending": self.pending,
            "categories": dict(self.categories),
            "cutoff": self.cutoff,
            "planned_look": self.planned_look,
            "look": self.look,
            "final": self.final,
        }


@dataclass(frozen=True)
class EndpointInterimResult(DesignCall, ResultMixin):
    """Decisions per cohort at a data cut-off for a design on several endpoints.

    The fields of :class:`~adaptive_pilot.interim.result.DesignCall`: ``calls`` holds an
    :class:`EndpointCohortCall` per cohort and ``designs`` each cohort's
    :class:`~adaptive_pilot.designs.multi_endpoint.MultiEndpointDesign`.
    """

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per cohort and endpoint."""
        rows = []
        for call in self.calls:
            for e in call.endpoints:
                rows.append(
                    {
                        "cohort": call.cohort,
                        "endpoint": e["endpoint"],
                        "n_evaluable": call.n_evaluable,
                        "x": e["x"],
                        "threshold": e["threshold"],
                        "better": e["better"],
                        "posterior_mean": e["posterior_mean"],
                        "prob_better": e["prob_better"],
                        "cutoff": call.cutoff,
                        "decision": call.decision,
                    }
                )
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: ``cohorts``, ``endpoints``, ``notes``, ``provenance`` (and ``audit``)."""
        return self._payload([c.to_dict() for c in self.calls], endpoints=records(self.to_frame()))

    def summary(self) -> Summary:
        """Decision per cohort, then each endpoint's posterior against the cut-off."""
        decisions = pd.DataFrame(
            [
                {
                    "cohort": c.cohort,
                    "n_evaluable": c.n_evaluable,
                    "pending": c.pending,
                    "cutoff": c.cutoff,
                    "decision": DECISION_LABELS.get(c.decision, c.decision),
                }
                for c in self.calls
            ]
        )
        frame = self.to_frame()
        shown = ["cohort", "endpoint", "x", "n_evaluable", "threshold", "better"]
        shown += ["posterior_mean", "prob_better", "cutoff"]
        category_table = pd.DataFrame(
            [
                {"cohort": c.cohort, "category": name, "n": count}
                for c in self.calls
                for name, count in c.categories.items()
            ]
        )
        details = self.provenance.details
        header = [
            f"Design: {self.title or self.name} (design {self.provenance.design_hash})",
            f"Data cut-off: {self.as_of.isoformat()}; analyst: {self.analyst or 'not given'}",
            "Analysis: each cohort on its own data (several endpoints of one outcome, "
            "Dirichlet-multinomial, BOP2 cut-off)",
            "Data: "
            + "; ".join(f"{s['file']} (SHA-256 {s['sha256'][:16]})" for s in details["inputs"]),
        ]
        if self.designs:
            header.append("Rule: " + self.designs[0].rule.describe())
        if self.audit is not None:
            header.append(f"Audit record {self.audit['id']} (hash {self.audit['hash'][:16]})")
        notes = [
            f"{c.cohort}: {DECISION_LABELS[c.decision]}. {plain_words(c)} In the design's "
            f"terms: {c.reason}."
            for c in self.calls
        ]
        return Summary(
            "Interim analysis (several endpoints)",
            header=tuple(header),
            tables=(
                Table(decisions, title="Decision per cohort"),
                Table(frame[shown], title="Endpoints: posterior against the cut-off"),
                Table(
                    category_table,
                    title="Evaluable patients by outcome category",
                    formats={"n": "d"},
                    wide="category",
                ),
            ),
            notes=(*notes, *self.notes),
            provenance=self.provenance,
        )


def endpoint_interim(
    cohorts: Sequence[tuple[str, MultiEndpointDesign]],
    definitions: Mapping[str, CategoryDefinition],
    data: PatientData,
    *,
    as_of: dt.date,
    design_hash: str,
    name: str = "design",
    title: str = "",
    min_grade: int = 3,
    analyst: str | None = None,
    design_file: SourceFile | None = None,
    borrowing: EndpointBorrowing | None = None,
    unconfirmed: str = "pending",
    confirmation: float | None = None,
    confirmation_source: str = "",
) -> EndpointInterimResult:
    """Decide every cohort of a multi-endpoint design at the data cut-off.

    Parameters
    ----------
    cohorts : sequence of (str, MultiEndpointDesign)
        Each cohort's name and design, in design order.
    definitions : mapping
        {category: CategoryDefinition}: which patients each category holds.
    data : PatientData
        Validated patient records.
    as_of : date
        Data cut-off: only what was known by then counts.
    design_hash : str
        The design file's hash.
    min_grade : int
        CTCAE grade from which a toxicity is an event (when no DLT is given).
    analyst, design_file
        Recorded in the provenance.
    borrowing : EndpointBorrowing, optional
        Berry's model per endpoint between the cohorts: each cohort is decided on its
        endpoints' borrowed posteriors (default: on its own data).
    unconfirmed : {"pending", "count", "weighted"}
        An unconfirmed CR/PR waits for its confirmation, counts as it stands, or is
        confirmed with probability ``confirmation`` (otherwise its best response is SD):
        each endpoint's P(better) and posterior mean are then mixtures over the ways the
        unconfirmed responses may turn out, and the rule decides on the mixed P(better).
    confirmation : float, optional
        The probability that an unconfirmed response is confirmed (``weighted``).
    confirmation_source : str
        Where that probability comes from (for the notes).
    """
    if unconfirmed == "weighted" and borrowing is not None:
        raise InputError(
            "endpoint.unconfirmed", "weighted is not available with borrowing between cohorts"
        )
    if unconfirmed == "weighted" and confirmation is None:
        raise InputError("endpoint.confirmation", "weighted needs the confirmation probability")
    counts = category_counts(
        data, [c for c, _ in cohorts], definitions, as_of=as_of, min_grade=min_grade,
        unconfirmed=unconfirmed,
    )  # fmt: skip
    weighting = _Weighting(unconfirmed, confirmation, confirmation_source)
    borrowed: list[np.ndarray | None] = [None] * len(cohorts)
    if borrowing is not None:
        borrowed = list(_borrowed(cohorts, counts, borrowing))
    calls = [
        _decide(name_, design, count, q, confirmation)
        for (name_, design), count, q in zip(cohorts, counts, borrowed, strict=True)
    ]
    provenance = call_provenance(
        design_hash, data, as_of=as_of, analyst=analyst, design_file=design_file,
        analysis="independent" if borrowing is None else "hierarchical",
        extra={} if borrowing is None else {"borrowing": borrowing.to_dict()},
    )  # fmt: skip
    return EndpointInterimResult(
        name, title, tuple(calls), data, as_of, analyst, provenance,
        tuple([*data.notes, *_notes(calls, counts, weighting)]), None,
        tuple(d for _, d in cohorts),
    )  # fmt: skip


def _borrowed(
    cohorts: Sequence[tuple[str, MultiEndpointDesign]],
    counts: list[CategoryCounts],
    borrowing: EndpointBorrowing,
) -> np.ndarray:
    """Each cohort's q per endpoint from every cohort's data, shape (J, E)."""
    n = np.array([c.n_evaluable for c in counts])
    favourable = np.stack(
        [
            design.rule.favourable_counts(c.n_evaluable, design.rule.endpoint_counts(c.counts))
            for (_, design), c in zip(cohorts, counts, strict=True)
        ]
    )  # (J, E)
    size = len(cohorts)
    return borrowing.prob_better(
        np.tile(n, (size, 1)),
        np.tile(favourable, (size, 1, 1)),
        np.arange(size),
        only_n=sorted({int(v) for v in n}),
    )


def confirmation_mixture(
    count: CategoryCounts, categories: Sequence[str], confirmation: float
) -> tuple[np.ndarray, np.ndarray]:
    """(weights (M,), category counts (M, K)): every way the unconfirmed responses may turn
    out, each confirmed independently with probability ``confirmation``.

    ``count.counts`` holds them as not confirmed; a confirmed one moves from that category
    to its confirmed one (``count.unconfirmed_moves``).
    """
    import math

    base = np.array([count.counts.get(c, 0) for c in categories], dtype=np.int64)
    weights = np.ones(1)
    table = base[None, :]
    for (to, fro), u in sorted((count.unconfirmed_moves or {}).items()):
        k = np.arange(u + 1)
        w = np.array([math.comb(u, int(i)) * confirmation**i * (1 - confirmation) ** (u - i)
                      for i in k])  # fmt: skip
        step = np.zeros((u + 1, len(categories)), dtype=np.int64)
        step[:, categories.index(to)] += k
        step[:, categories.index(fro)] -= k
        weights = (weights[:, None] * w[None, :]).reshape(-1)
        table = (table[:, None, :] + step[None, :, :]).reshape(-1, len(categories))
        if weights.size > 200_000:
            raise InputError(
                "endpoint.unconfirmed",
                "too many ways for the unconfirmed responses to turn out (over 200,000): "
                "use pending or count",
            )
    return weights, table


def _decide(
    cohort: str,
    design: MultiEndpointDesign,
    count: CategoryCounts,
    borrowed: np.ndarray | None = None,
    confirmation: float | None = None,
) -> EndpointCohortCall:
    rule = design.rule
    n = count.n_evaluable
    n_max = design.n_max
    planned = n in design.looks
    look = design.looks.index(n) + 1 if planned else None
    final = n >= n_max
    values = rule.endpoint_counts(count.counts) if n else np.zeros(len(rule.endpoints), int)
    if n == 0:
        rows = tuple(
            {"endpoint": e.name, "x": 0, "threshold": e.threshold, "better": e.better,
             "posterior_mean": None, "prob_better": None}
            for e in rule.endpoints
        )  # fmt: skip
        return EndpointCohortCall(
            cohort, count.enrolled, 0, count.pending, dict(count.counts), rows, None,
            "continue", "no patient has a known outcome yet", planned, look, False,
        )  # fmt: skip
    q = rule.statistics(n, values) if borrowed is None else borrowed
    prior = rule.prior
    expected = values.astype(float)  # each endpoint's count (its mean over the mixture)
    if count.unconfirmed_moves and confirmation is not None:
        weights, table = confirmation_mixture(count, list(rule.categories), confirmation)
        outcomes = rule.endpoint_counts(table)  # (M, E)
        q = weights @ rule.statistics(n, outcomes)
        expected = weights @ outcomes
    cutoff = float(rule.endpoint_rules()[0].futility_cutoff(min(n, n_max)))
    rows = tuple(
        {
            "endpoint": e.name,
            "x": int(x),
            "threshold": e.threshold,
            "better": e.better,
            "posterior_mean": float((prior.marginal(e.categories).a + m) / (prior.total + n)),
            "prob_better": float(p),
        }
        for e, x, m, p in zip(rule.endpoints, values, expected, q, strict=True)
    )
    decision = rule.decide_on(n, q)  # from n = N on: the final analysis (cut-off lambda)
    if planned and not final:
        fut_on, eff_on = design.futility_on, design.efficacy_on
        assert fut_on is not None and eff_on is not None
        k = design.looks.index(n)
        if (decision == "stop_futility" and not fut_on[k]) or (
            decision == "stop_efficacy" and not eff_on[k]
        ):
            decision = "continue"
    reason = _reason(rule, rows, cutoff, decision, n, n_max, planned)
    if borrowed is not None:
        reason = "borrowed posteriors (Berry's model per endpoint); " + reason
    if count.unconfirmed_moves and confirmation is not None:
        reason = (
            f"{count.unconfirmed} unconfirmed response(s) weighted (each confirmed with "
            f"probability {confirmation:g}; counts shown as not confirmed); " + reason
        )
    return EndpointCohortCall(
        cohort, count.enrolled, n, count.pending, dict(count.counts), rows, cutoff, decision,
        reason, planned, look, final,
    )  # fmt: skip


def plain_words(call: EndpointCohortCall) -> str:
    """The call in plain words: which endpoints clear the cut-off, and what follows. E.g.
    "ORR is below the cut-off (0.021 < 0.295); DCR clears it (0.937); toxicity clears it
    (0.998). Continue to the next look."."""
    if call.cutoff is None:
        return "No patient has a known outcome yet. Continue."
    parts = []
    for e in call.endpoints:
        q = e["prob_better"]
        if q >= call.cutoff:
            parts.append(f"{e['endpoint']} clears the cut-off ({q:.3f})")
        else:
            parts.append(f"{e['endpoint']} is below the cut-off ({q:.3f} < {call.cutoff:.3f})")
    then = {
        "continue": "Continue to the next look.",
        "stop_futility": "Stop the cohort for futility.",
        "stop_efficacy": "Stop the cohort early for efficacy (GO).",
        "go": "GO: the final analysis supports further development.",
        "no_go": "NO-GO at the final analysis.",
    }[call.decision]
    return "; ".join(parts) + ". " + then


def _reason(
    rule: Any,
    rows: tuple[dict[str, Any], ...],
    cutoff: float,
    decision: str,
    n: int,
    n_max: int,
    planned: bool,
) -> str:
    """The call in words: each endpoint's P(better) against the cut-off, and the join."""
    words = ", ".join(
        f"{r['endpoint']} {r['x']}/{n}: P({r['endpoint']} {'>' if r['better'] == 'higher' else '<'}"
        f" {r['threshold']:g}) = {r['prob_better']:.3f}"
        for r in rows
    )
    where = "final analysis" if n >= n_max else ("planned look" if planned else "unplanned look")
    cut = f"cut-off {cutoff:.3f} = {rule.lam:g} ({min(n, n_max)}/{n_max})^{rule.gamma:g}"
    keep, stop = rule.requirement_words()
    verdict = {
        "continue": f"continue: the probabilities reach the cut-off {keep}",
        "stop_futility": f"stop for futility: below the cut-off {stop}",
        "stop_efficacy": f"stop for efficacy: at or above the efficacy cut-off {keep}",
        "go": f"GO: at or above the cut-off {keep}",
        "no_go": f"NO-GO: below the cut-off {stop}",
    }[decision]
    return f"{where}, n = {n}; {words}; {cut}; {verdict}"


@dataclass(frozen=True)
class _Weighting:
    """How unconfirmed responses were treated (what the notes say)."""

    unconfirmed: str
    confirmation: float | None
    confirmation_source: str


def _notes(
    calls: list[EndpointCohortCall], counts: list[CategoryCounts], weighting: _Weighting
) -> list[str]:
    notes = []
    for call, count in zip(calls, counts, strict=True):
        if call.n_evaluable and not call.planned_look and not call.final:
            notes.append(
                f"{call.cohort}: unplanned look at n = {call.n_evaluable}; the rule is applied "
                "at that n with both stops on"
            )
        if count.toxicity_unknown:
            notes.append(
                f"{call.cohort}: {count.toxicity_unknown} patient(s) with a known response but "
                "no toxicity status yet count as pending"
            )
        if count.excluded_enrolled_later:
            notes.append(
                f"{call.cohort}: {count.excluded_enrolled_later} patient(s) enrolled after the "
                "cut-off are not in this analysis"
            )
        if count.outcomes_after_cutoff:
            notes.append(
                f"{call.cohort}: {count.outcomes_after_cutoff} response(s) assessed after the "
                "cut-off count as pending"
            )
        notes += unconfirmed_notes(
            call.cohort, count.unconfirmed, count.unconfirmed_pending, weighting,
            fallback="has best response SD (RECIST 1.1)",
        )  # fmt: skip
    return notes
