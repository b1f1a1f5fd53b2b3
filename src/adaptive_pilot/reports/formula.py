# ruff: noqa: RUF001 - Greek letters and math signs are what this module writes
"""Formulas in report text, typeset for HTML, LaTeX and Word (internal).

The engine writes its rules in plain ASCII, as a statistician types them and as the
text and Markdown reports and the JSON keep them: ``q < 0.83 (n/N)^0.3``,
``P(p_tox > 0.3 | data) > 0.9``, ``2 Phi(Phi^-1((1 + lambda)/2) / sqrt(n/N)) - 1``,
``N(mu, tau^2)``, ``x >= 4``. :func:`segments` reads such text once into pieces
(plain, superscript, subscript) with Greek letters and relation signs as symbols,
and each renderer writes the pieces in its own way: ``<sup>`` in HTML, math mode in
LaTeX, superscript runs in Word. Words are left alone: only Greek names standing
alone, ``^`` exponents, single-letter ``_`` subscripts and ``>=``, ``<=``, ``!=``,
``sqrt(`` are read as formula.
"""

from __future__ import annotations

import html
import re
from typing import Literal

from ..results import tex_escape

__all__ = ["Segment", "html_text", "segments", "tex_text"]

Kind = Literal["text", "sup", "sub"]
Segment = tuple[str, Kind]

_GREEK = {
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "eta": "η",
    "lambda": "λ",
    "mu": "μ",
    "tau": "τ",
    "theta": "θ",
    "sigma": "σ",
    "Phi": "Φ",
}
_RELATIONS = {">=": "≥", "<=": "≤", "!=": "≠", " ~ ": " ∼ "}
_LATEX_SYMBOLS = {
    "α": r"\alpha",
    "β": r"\beta",
    "γ": r"\gamma",
    "η": r"\eta",
    "λ": r"\lambda",
    "μ": r"\mu",
    "τ": r"\tau",
    "θ": r"\theta",
    "σ": r"\sigma",
    "Φ": r"\Phi",
    "≥": r"\geq",
    "≤": r"\leq",
    "≠": r"\neq",
    "√": r"\surd",
    "∼": r"\sim",
    "−": "-",
}

_WORDS = re.compile(r"(?<![A-Za-z])(" + "|".join(_GREEK) + r")(?![A-Za-z])")
_SUBSCRIPT = re.compile(r"(?<![A-Za-z0-9_.])([A-Za-zθλμτσ])_([A-Za-z0-9]+)(?![A-Za-z0-9_.])")
_SUPERSCRIPT = re.compile(r"\^(\([^()]*\)|-?\d+(?:\.\d+)?|-?[A-Za-z0-9]+)")


def segments(text: str) -> list[Segment]:
    """``text`` as plain, superscript and subscript pieces, with symbols in Unicode."""
    for ascii_form, symbol in _RELATIONS.items():
        text = text.replace(ascii_form, symbol)
    text = text.replace("sqrt(", "√(")
    text = _WORDS.sub(lambda m: _GREEK[m.group(1)], text)
    pieces: list[Segment] = []
    position = 0
    marks = sorted(
        [(m.start(), m.end(), "sup", _group(m.group(1))) for m in _SUPERSCRIPT.finditer(text)]
        + [(m.start(2) - 1, m.end(), "sub", m.group(2)) for m in _SUBSCRIPT.finditer(text)]
    )
    for start, end, kind, inner in marks:
        if start < position:
            continue  # overlapping marks: the first wins
        if start > position:
            pieces.append((text[position:start], "text"))
        pieces.append((inner.replace("-", "−"), kind))  # type: ignore[arg-type]
        position = end
    if position < len(text):
        pieces.append((text[position:], "text"))
    return pieces


def _group(value: str) -> str:
    """An exponent's text: a parenthesised group loses its parentheses (``^(1/2)``)."""
    return value[1:-1] if value.startswith("(") and value.endswith(")") else value


def html_text(text: str) -> str:
    """``text`` as HTML with its formulas typeset (escaped, ``<sup>``, ``<sub>``)."""
    out = []
    for piece, kind in segments(text):
        escaped = html.escape(piece)
        out.append(escaped if kind == "text" else f"<{kind}>{escaped}</{kind}>")
    return "".join(out)


def tex_text(text: str) -> str:
    """``text`` as LaTeX with its formulas typeset (symbols in math mode)."""
    out = []
    for piece, kind in segments(text):
        parts: list[str] = []
        math = ""  # consecutive symbols share one math group
        for ch in piece:
            if ch in _LATEX_SYMBOLS:
                math += _LATEX_SYMBOLS[ch] + " "
                continue
            if math:
                parts.append(f"${math.strip()}$")
                math = ""
            parts.append(tex_escape(ch))
        if math:
            parts.append(f"${math.strip()}$")
        body = "".join(parts)
        if kind == "sup":
            body = f"\\textsuperscript{{{body}}}"
        elif kind == "sub":
            body = f"\\textsubscript{{{body}}}"
        out.append(body)
    return "".join(out)
