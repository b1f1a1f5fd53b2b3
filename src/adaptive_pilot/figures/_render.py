"""Rendering figures to bytes: deterministic SVG and PNG (internal)."""

from __future__ import annotations

import hashlib
import io
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure

__all__ = ["COLOURS", "SvgCache", "new_figure", "pdf", "pdf_pages", "png", "style", "svg"]

#: Okabe-Ito colours (readable with colour-vision deficiency), by meaning.
COLOURS = {
    "futility": "#D55E00",
    "efficacy": "#009E73",
    "no_go": "#E69F00",
    "consider": "#56B4E9",
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
    "pdf.fonttype": 42,  # TrueType in PDF figures (Type 3 fonts are refused by some journals)
    "svg.hashsalt": "adaptive-pilot",  # stable element ids: same figure, same bytes
}


def style() -> Any:
    """Context in which figures are drawn and saved (fonts, sizes, stable SVG ids)."""
    return rc_context(_STYLE)


def new_figure(width: float, height: float) -> Figure:
    """A figure (inches), not attached to any GUI or pyplot; draw on it inside :func:`style`."""
    return Figure(figsize=(width, height), layout="constrained")


#: Rendered bytes by figure: a report shows each figure in several formats and files,
#: and figures are never changed once drawn, so each (format, dpi) is rendered once.
_RENDERED: weakref.WeakKeyDictionary[Figure, dict[tuple[str, int], bytes]] = (
    weakref.WeakKeyDictionary()
)


def _rendered(figure: Figure, fmt: str, dpi: int = 0, **options: Any) -> bytes:
    if figure not in _RENDERED:
        _fix_layout(figure)
    done = _RENDERED.setdefault(figure, {})
    if (fmt, dpi) not in done:
        buffer = io.BytesIO()
        if dpi:
            options["dpi"] = dpi
        with style():
            figure.savefig(buffer, format=fmt, **options)
        done[fmt, dpi] = buffer.getvalue()
    return done[fmt, dpi]


def _fix_layout(figure: Figure) -> None:
    """Lay the figure out once (constrained layout), then keep it for every format.

    Each save would otherwise redo the layout, which measures every text again.
    """
    if figure.get_layout_engine() is not None:
        with style():
            figure.draw_without_rendering()
        figure.set_layout_engine("none")


def svg(figure: Figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no date)."""
    text = _rendered(figure, "svg", metadata={"Date": None}).decode("utf-8")
    return text[text.index("<svg") :]


def pdf(figure: Figure) -> bytes:
    """The figure as PDF bytes (vector; for LaTeX), without a creation date."""
    return _rendered(figure, "pdf", metadata={"CreationDate": None})


def pdf_pages(figures: list[Figure]) -> bytes:
    """The figures as one PDF, a page each (for LaTeX, ``\\includegraphics[page=k]``).

    One file embeds each font once for all its pages: the font subsetting, most of a
    PDF figure's cost, is done once, not once per figure.
    """
    from matplotlib.backends.backend_pdf import PdfPages

    for figure in figures:
        if figure not in _RENDERED:
            _fix_layout(figure)
            _RENDERED.setdefault(figure, {})
    buffer = io.BytesIO()
    with style(), PdfPages(buffer, metadata={"CreationDate": None}) as document:
        for figure in figures:
            document.savefig(figure)
    return buffer.getvalue()


def png(figure: Figure, dpi: int = 200) -> bytes:
    """The figure as PNG bytes (for documents that cannot hold SVG)."""
    return _rendered(figure, "png", dpi, metadata={"Software": None})


class SvgCache:
    """SVG figures by content: a figure drawn from the same inputs is not drawn again.

    ``get(name, draw, *inputs)`` returns ``svg(draw())``, or the text kept from an
    earlier call with the same ``name`` whose inputs had the same content (their
    ``repr``; numpy arrays by their bytes): the inputs must be all that ``draw``
    draws. The app keeps one cache per browser session, so one session's figures (a
    DSMB's closed data) are never served to another. At most ``size`` figures are
    kept, the least recently used dropped first.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._kept: OrderedDict[str, str] = OrderedDict()

    def get(self, name: str, draw: Callable[[], Figure], *inputs: Any) -> str:
        key = self._key(name, inputs)
        if key in self._kept:
            self._kept.move_to_end(key)
            return self._kept[key]
        text = svg(draw())
        self._kept[key] = text
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return text

    @staticmethod
    def _key(name: str, inputs: tuple[Any, ...]) -> str:
        digest = hashlib.sha256(name.encode())
        for value in inputs:
            if hasattr(value, "tobytes"):  # numpy arrays: dtype, shape and every value
                digest.update(f"{value.dtype}{value.shape}".encode())
                digest.update(value.tobytes())
            else:
                digest.update(repr(value).encode())
            digest.update(b"\x1f")
        return digest.hexdigest()
