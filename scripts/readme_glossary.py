"""Regenerate the README's glossary table from adaptive_pilot.glossary.

Run from the repository root:  .venv/bin/python scripts/readme_glossary.py
"""

from __future__ import annotations

import re
from pathlib import Path

from adaptive_pilot.glossary import GLOSSARY

README = Path(__file__).resolve().parents[1] / "README.md"
TABLE = re.compile(r"\| name \| label \| meaning \|\n\|---\|---\|---\|\n(?:\|.*\|\n)+")


def main() -> None:
    rows = ["| name | label | meaning |", "|---|---|---|"]
    rows += [
        f"| `{name}` | {_cell(term.label)} | {_cell(term.definition)} |"
        for name, term in GLOSSARY.items()
    ]
    text = README.read_text()
    README.write_text(TABLE.sub("\n".join(rows) + "\n", text))


def _cell(text: str) -> str:
    """A Markdown table cell: a literal | escaped (as in P(H0 | GO))."""
    return text.replace("|", "\\|")


if __name__ == "__main__":
    main()
