"""Figures for reports: matplotlib drawings of the engine's results, no statistics.

Every figure is a :class:`matplotlib.figure.Figure` built without pyplot (no
global state, no display needed) and rendered by :func:`svg` to a
deterministic, self-contained SVG string that HTML reports inline: the same
result gives the same bytes. The numbers drawn come from the statistical
modules (boundary tables, posterior and predictive probabilities); this
package only draws them.
"""

from __future__ import annotations

from ._render import pdf, png, svg
from .boundary import boundary_figure
from .design import OCCurve, oc_figure, sample_size_figure, stopping_figure
from .interim import cohort_figure
from .simulation import OUTCOME_COLOURS, scenario_figure

__all__ = [
    "OUTCOME_COLOURS",
    "OCCurve",
    "boundary_figure",
    "cohort_figure",
    "oc_figure",
    "pdf",
    "png",
    "sample_size_figure",
    "scenario_figure",
    "stopping_figure",
    "svg",
]
