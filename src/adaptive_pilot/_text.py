"""Plain-text tables for terminals (internal)."""

from __future__ import annotations

import pandas as pd


def text_table(frame: pd.DataFrame, columns: dict[str, tuple[str, str]]) -> str:
    """Render selected columns with per-column formats.

    ``columns`` maps a display label to ``(column name, format spec)``,
    e.g. ``{"P(GO)": ("p_go", ".4f")}``.
    """
    shown = pd.DataFrame(
        {
            label: frame[name].map(lambda v, f=fmt: format(v, f))
            for label, (name, fmt) in columns.items()
        }
    )
    return shown.to_string(index=False)
