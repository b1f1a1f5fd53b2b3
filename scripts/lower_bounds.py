"""Print pip constraints that pin every dependency to the lower bound pyproject.toml states.

    python scripts/lower_bounds.py > constraints.txt    (make test-lower uses it)

The runtime dependencies and the ``app`` extra are pinned to their ``>=`` bounds, so a
test run against them shows whether the ranges we publish really work at their lower
ends. Test tools (the ``dev`` extra) are left free.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
#: name>=version, with optional extras in brackets
_BOUND = re.compile(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*>=\s*([0-9][0-9A-Za-z.\-]*)\s*$")


def constraints() -> list[str]:
    """'name==lower bound' for each runtime and app dependency with a >= bound."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    wanted = list(project["dependencies"]) + list(project["optional-dependencies"]["app"])
    out = []
    for requirement in wanted:
        match = _BOUND.match(requirement)
        if match is None:
            sys.exit(f"lower_bounds.py: {requirement!r} has no '>=' lower bound to pin")
        out.append(f"{match.group(1)}=={match.group(3)}")
    return out


if __name__ == "__main__":
    print("\n".join(constraints()))
