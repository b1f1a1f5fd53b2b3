"""The Design page's form as edits of a design document (no statistics here).

A design starts from a document (a shipped or uploaded design file, or a new one
for a family); the form shows the fields a statistician tunes most (family,
hypotheses, errors, prior, N, looks, the rule's two thresholds, toxicity), and
:func:`apply_form` writes them back into a copy of the document. Everything the
form does not show (cohorts, accrual, borrowing, calibration grids) is kept, so
the page's design file is always a complete design file.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

__all__ = [
    "DUAL_CRITERIA",
    "FAMILIES",
    "SIMON_KINDS",
    "THRESHOLDS",
    "apply_form",
    "family_defaults",
    "form_fields",
    "form_values",
    "new_document",
    "prior_is_beta",
]

#: The Simon designs the form offers (the search's ``kind``).
SIMON_KINDS = {
    "optimal": "optimal (smallest E[N | p0])",
    "minimax": "minimax (smallest N)",
    "admissible": "admissible for q = 1/2 (smallest (N + E[N | p0]) / 2)",
}

#: Design families the form offers, with their names on the page.
FAMILIES = {
    "bop2": "BOP2 (Zhou et al. 2017)",
    "dual": "Go / Consider / No-Go (LRV = p0, TV = p1)",
    "predictive": "Predictive probability (Lee & Liu 2008)",
    "posterior": "Posterior probability (Thall & Simon 1994)",
    "simon": "Simon two-stage (Simon 1989)",
}

#: The two thresholds of each family: (rule key, label, default), twice.
THRESHOLDS: dict[str, tuple[tuple[str, str, float], tuple[str, str, float]]] = {
    "bop2": (("lambda", "lambda (final GO if q >= lambda)", 0.8),
             ("gamma", "gamma (futility cut-off lambda (n/N)^gamma)", 1.0)),
    "predictive": (("theta_t", "theta_T (final GO threshold)", 0.9),
                   ("theta_l", "theta_L (stop if PP < theta_L)", 0.05)),
    "posterior": (("theta_final", "final GO if P(p > p0) >", 0.9),
                  ("theta_futility", "stop for futility if P(p > p0) <", 0.05)),
    "simon": (("alpha", "alpha (type I error) of the search", 0.05),
              ("beta", "beta (type II error) of the search", 0.2)),
    # a Go / Consider / No-Go rule has two criteria in words (DUAL_CRITERIA), no number:
    # the page hides these two fields for it
    "dual": (("", "(not used)", 0.5), ("", "(not used)", 0.5)),
}  # fmt: skip

#: The criteria of a new Go / Consider / No-Go design: (rule key, form field, label, default).
DUAL_CRITERIA = (
    ("go", "go_text", "GO if", "P(p > LRV) > 0.9 and P(p > TV) > 0.5"),
    ("nogo", "nogo_text", "NO-GO if", "P(p < TV) > 0.9"),
)


def family_defaults(family: str, previous: str) -> dict[str, Any]:
    """The fields a switch from ``previous`` to ``family`` resets, with their defaults.

    The two thresholds (BOP2's lambda is not Simon's alpha) and Simon's kind; N
    too when the switch enters or leaves Simon, where it is the largest N searched.
    """
    first, second = THRESHOLDS[family]
    reset: dict[str, Any] = {
        "threshold_1": first[2],
        "threshold_2": second[2],
        "simon_kind": "optimal",
    }
    if family == "dual":
        reset |= {form_key: default for _, form_key, _, default in DUAL_CRITERIA}
    if (family == "simon") != (previous == "simon"):
        reset["n_max"] = 100 if family == "simon" else 40
    return reset


#: Design-file keys (as an error names them) -> the form fields that set them.
_FIELDS_OF_KEY = {
    "hypotheses": ("p0", "p1"),
    "hypotheses.p0": ("p0",),
    "hypotheses.p1": ("p1",),
    "prior": ("prior_a", "prior_b"),
    "prior.a": ("prior_a",),
    "prior.b": ("prior_b",),
    "n_max": ("n_max",),
    "rule.search.n_max": ("n_max",),
    "looks": ("every", "n_max"),
    "toxicity.threshold": ("tox_threshold",),
    "toxicity.probability": ("tox_probability",),
    "rule.go": ("go_text",),
    "rule.nogo": ("nogo_text",),
    "go": ("go_text",),  # a compile problem of a dual rule names the criterion
    "nogo": ("nogo_text",),
}


def form_fields(error_field: str, family: str) -> tuple[str, ...]:
    """The form fields behind an error's field (a design-file key, or a form key).

    Empty when the error is about something the form does not show.
    """
    key = error_field.removeprefix("design: ").strip()
    if key in _FIELDS_OF_KEY:
        return _FIELDS_OF_KEY[key]
    if key.startswith("looks"):
        return _FIELDS_OF_KEY["looks"]
    first, second = THRESHOLDS.get(family, THRESHOLDS["bop2"])
    by_key = {f"rule.{first[0]}": "threshold_1", f"rule.{second[0]}": "threshold_2"}
    if family == "simon":
        by_key |= {"errors.alpha": "threshold_1", "errors.beta": "threshold_2"}
    else:
        by_key |= {"errors.alpha": "alpha", "errors.beta": "beta"}
    if key in by_key:
        return (by_key[key],)
    plain = {"p0", "p1", "alpha", "beta", "prior_a", "prior_b", "n_max", "every",
             "threshold_1", "threshold_2", "tox_threshold", "tox_probability", "go_text",
             "nogo_text"}  # fmt: skip
    return (key,) if key in plain else ()


def prior_is_beta(document: dict[str, Any]) -> bool:
    """Whether the document's prior is a Beta(a, b) (robustified or not): the one prior the
    form's two fields describe (a mixture, historical or MAP prior is kept as written)."""
    prior = document.get("prior") or {}
    return set(prior) <= {"a", "b", "robust", "type"} and prior.get("type") in (None, "beta")


def new_document(family: str) -> dict[str, Any]:
    """A complete design document of a family with middle-of-the-road values."""
    document: dict[str, Any] = {
        "name": f"{family}-design",
        "title": f"{FAMILIES[family]} design",
        "endpoint": {"name": "ORR", "definition": "complete or partial response by RECIST 1.1"},
        "hypotheses": {"p0": 0.1, "p1": 0.3},
        "errors": {"alpha": 0.05, "beta": 0.2},
        "prior": {"a": 0.1, "b": 0.9},
        "n_max": 40,
        "looks": {"every": 10},
        "rule": _rule(family),
    }
    if family == "simon":
        for key in ("prior", "n_max", "looks"):
            del document[key]
    return document


def form_values(document: dict[str, Any]) -> dict[str, Any]:
    """The form's fields as found in a design document (defaults where it is silent)."""
    family = str(document.get("rule", {}).get("type", "bop2"))
    if family not in FAMILIES:
        family = "bop2"
    rule = document.get("rule", {})
    errors = document.get("errors", {})
    prior = document.get("prior", {})
    looks = document.get("looks")
    every = looks.get("every") if isinstance(looks, dict) else None
    if isinstance(looks, list) and len(looks) > 1:
        steps = {b - a for a, b in itertools.pairwise(looks)}
        every = steps.pop() if len(steps) == 1 and looks[0] == looks[1] - looks[0] else None
    first, second = THRESHOLDS[family]
    search = rule.get("search") or {}
    values = {
        "family": family,
        "p0": float(document.get("hypotheses", {}).get("p0", 0.1)),
        "p1": float(document.get("hypotheses", {}).get("p1", 0.3)),
        "alpha": float(errors.get("alpha", 0.05)),
        "beta": float(errors.get("beta", 0.2)),
        "prior_a": float(prior.get("a", 1.0)) if "a" in prior else 1.0,
        "prior_b": float(prior.get("b", 1.0)) if "b" in prior else 1.0,
        "n_max": int(document.get("n_max") or search.get("n_max") or 40),
        "every": int(every) if every else 0,
        "threshold_1": _threshold(family, first, rule, errors),
        "threshold_2": _threshold(family, second, rule, errors),
    }
    for key, form_key, _, default in DUAL_CRITERIA:
        text = rule.get(key) if family == "dual" else None
        values[form_key] = " and ".join(text) if isinstance(text, list) else str(text or default)
    kind = search.get("kind", "optimal")
    values["simon_kind"] = kind if kind in SIMON_KINDS else "optimal"
    toxicity = document.get("toxicity")
    values["toxicity"] = isinstance(toxicity, dict)
    values["tox_threshold"] = float((toxicity or {}).get("threshold", 0.3))
    values["tox_probability"] = float((toxicity or {}).get("probability", 0.9))
    return values


def apply_form(document: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` with the form's values written in."""
    out = copy.deepcopy(document)
    family = str(values["family"])
    rule = out.get("rule", {})
    if rule.get("type") != family:
        rule = _rule(family)
        out.pop("calibration", None)  # grids of another family would not apply
    out["hypotheses"] = {**out.get("hypotheses", {}), "p0": values["p0"], "p1": values["p1"]}
    first, second = THRESHOLDS[family]
    if family == "simon":
        out["errors"] = {"alpha": values["threshold_1"], "beta": values["threshold_2"]}
        search = dict(rule.get("search") or {"kind": "optimal"})
        search["n_max"] = int(values["n_max"])
        search["kind"] = str(values.get("simon_kind") or search.get("kind", "optimal"))
        rule = {"type": "simon", "search": search}
        for key in ("prior", "n_max", "looks"):
            out.pop(key, None)
    else:
        out["errors"] = {**out.get("errors", {}), "alpha": values["alpha"], "beta": values["beta"]}
        prior = out.get("prior") or {}
        if prior_is_beta(out):
            # a Beta prior: the form's a and b (a robustification in the file is kept)
            out["prior"] = {**prior, "a": values["prior_a"], "b": values["prior_b"]}
        # a mixture, historical or MAP prior is kept as the file gives it: the form's a and b
        # describe a Beta only (the page shows the prior in use above the tables)
        out["n_max"] = int(values["n_max"])
        # looks the file lists stay a list when they are exactly "every k" up to N
        every = int(values["every"])
        spelled = list(range(every, out["n_max"] + 1, every)) if every > 0 else []
        same = bool(spelled) and spelled[-1] == out["n_max"] and out.get("looks") == spelled
        if every > 0 and not same:
            out["looks"] = {"every": every}
        if family == "dual":
            rule = _dual_rule(rule, values)
        else:
            rule = {**rule, first[0]: values["threshold_1"], second[0]: values["threshold_2"]}
    out["rule"] = rule
    if values.get("toxicity"):
        toxicity = dict(out.get("toxicity") or {"prior": {"a": 0.3, "b": 0.7}})
        toxicity["threshold"] = values["tox_threshold"]
        toxicity["probability"] = values["tox_probability"]
        out["toxicity"] = toxicity
    else:
        out.pop("toxicity", None)
    return out


def _dual_rule(rule: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """The form's two criteria written into the rule; a list of conditions in the file stays
    a list while the form shows it unchanged."""
    out = dict(rule)
    for key, form_key, _, _ in DUAL_CRITERIA:
        text, before = str(values[form_key]), rule.get(key)
        if not (isinstance(before, list) and " and ".join(before) == text):
            out[key] = text
    return out


def _rule(family: str) -> dict[str, Any]:
    if family == "simon":
        return {"type": "simon", "search": {"kind": "optimal", "n_max": 100}}
    if family == "dual":
        return {"type": "dual", **{key: default for key, _, _, default in DUAL_CRITERIA}}
    first, second = THRESHOLDS[family]
    return {"type": family, first[0]: first[2], second[0]: second[2]}


def _threshold(
    family: str, spec: tuple[str, str, float], rule: dict[str, Any], errors: dict[str, Any]
) -> float:
    key, _, default = spec
    source = errors if family == "simon" else rule
    value = source.get(key)
    return float(value) if isinstance(value, int | float) else default
