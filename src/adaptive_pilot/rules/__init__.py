"""Stopping rules, each evaluable at any (n, x) and compiled onto a look schedule."""

from .bop2 import BOP2Rule
from .compile import CompiledBounds, Cutoffs, Rule, compile_rules
from .dual import Condition, Criterion, DualRule
from .posterior import PosteriorRule
from .predictive import PredictiveRule, predictive_probability
from .toxicity import ToxicityBoundary, ToxicityRule
from .versus_standard import PosteriorVsStandardRule

__all__ = [
    "BOP2Rule",
    "CompiledBounds",
    "Condition",
    "Criterion",
    "Cutoffs",
    "DualRule",
    "PosteriorRule",
    "PosteriorVsStandardRule",
    "PredictiveRule",
    "Rule",
    "ToxicityBoundary",
    "ToxicityRule",
    "compile_rules",
    "predictive_probability",
]


def _rules_satisfy_the_protocol(
    posterior: PosteriorRule,
    versus_standard: PosteriorVsStandardRule,
    predictive: PredictiveRule,
    bop2: BOP2Rule,
) -> list[Rule]:
    """Never called: mypy checks here that every rule type satisfies :class:`Rule`."""
    return [posterior, versus_standard, predictive, bop2]
