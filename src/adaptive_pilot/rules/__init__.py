"""Stopping rules, each evaluable at any (n, x) and compiled onto a look schedule."""

from .bop2 import BOP2Rule
from .posterior import PosteriorRule
from .predictive import PredictiveRule, predictive_probability
from .toxicity import ToxicityRule

__all__ = ["BOP2Rule", "PosteriorRule", "PredictiveRule", "ToxicityRule", "predictive_probability"]
