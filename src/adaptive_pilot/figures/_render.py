"""Rendering figures to bytes: deterministic SVG and PNG (internal)."""

from __future__ import annotations

import io
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure

__all__ = ["COLOURS", "new_figure", "pdf", "png", "style", "svg"]

#: Okabe-Ito colours (readable with colour-vision deficiency), by meaning.
COLOURS = {
    "futility": "#D55E00",
    "efficacy": "#009E73",
    "no_go": "#E69F00",
    "continue": "#E8E8E8",
    "point": "#0072B2",
    "reference": "#555555",
}

_STYLE: dict[Any, Any] = {
    "font.size": 9,
    "axes.titlesize": 9.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.fonttype": "none",  # text stays text: searchable, small
    "svg.hashsalt": "adaptive-pilot",  # stable element ids: same figure, same bytes
}


def style() -> Any:
    """Context in which figures are drawn and saved (fonts, sizes, stable SVG ids)."""
    return rc_context(_STYLE)


def new_figure(width: float, height: float) -> Figure:
    """A figure (inches), not attached to any GUI or pyplot; draw on it inside :func:`style`."""
    return Figure(figsize=(width, height), layout="constrained")


def svg(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no date)."""
    buffer = io.StringIO()
    with style():
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def pdf(figure: Figure) -> bytes:
    """The figure as PDF bytes (vector; for LaTeX), without a creation date."""
    buffer = io.BytesIO()
    with style():
        figure.savefig(buffer, format="pdf", metadata={"CreationDate": None})
    return buffer.getvalue()


def png(figure: Figure, dpi: int = 200) -> bytes:
    """The figure as PNG bytes (for documents that cannot hold SVG)."""
    buffer = io.BytesIO()
    with style():
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
