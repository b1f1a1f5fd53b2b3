"""Figures for reports: matplotlib drawings of the engine's results, no statistics.

Every figure is a :class:`matplotlib.figure.Figure` built without pyplot (no
global state, no display needed) and rendered by :func:`svg` to a
deterministic, self-contained SVG string that HTML reports inline: the same
result gives the same bytes. The numbers drawn come from the statistical
modules (boundary tables, posterior and predictive probabilities); this
package only draws them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr

#: Public name -> module that defines it, imported on first use: a design report loads
#: no interim or simulation drawing code (nor what those import).
_EXPORTS = {
    "OUTCOME_COLOURS": "simulation",
    "OCCurve": "design",
    "SvgCache": "_render",
    "boundary_figure": "boundary",
    "forest_figure": "prior",
    "cohort_figure": "interim",
    "endpoint_figure": "endpoints",
    "oc_figure": "design",
    "pdf": "_render",
    "pdf_pages": "_render",
    "png": "_render",
    "sample_size_figure": "design",
    "scenario_figure": "simulation",
    "stopping_figure": "design",
    "survival_figure": "survival",
    "svg": "_render",
    "prior_sensitivity_figure": "sensitivity",
    "tornado_figure": "sensitivity",
}

__all__ = [
    "OUTCOME_COLOURS",
    "OCCurve",
    "SvgCache",
    "boundary_figure",
    "cohort_figure",
    "endpoint_figure",
    "forest_figure",
    "oc_figure",
    "pdf",
    "pdf_pages",
    "png",
    "prior_sensitivity_figure",
    "sample_size_figure",
    "scenario_figure",
    "stopping_figure",
    "survival_figure",
    "svg",
    "tornado_figure",
]


__getattr__ = lazy_getattr(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and editors only
    from ._render import SvgCache, pdf, pdf_pages, png, svg
    from .boundary import boundary_figure
    from .design import OCCurve, oc_figure, sample_size_figure, stopping_figure
    from .endpoints import endpoint_figure
    from .interim import cohort_figure
    from .prior import forest_figure
    from .sensitivity import prior_sensitivity_figure, tornado_figure
    from .simulation import OUTCOME_COLOURS, scenario_figure
    from .survival import survival_figure
