"""Design and scenario files (YAML or TOML): schema, safe reading, one resolution step.

* :mod:`.schema`: the pydantic schema of design files and :func:`json_schema`;
* :mod:`.reading`: safe reading and one-line errors in the user's words;
* :mod:`.resolve`: :func:`load_design` and :class:`ResolvedDesign`, which turn a
  file into designs, calibrations and multi-cohort trials;
* :mod:`.scenarios`: :func:`load_scenarios`.

Nothing outside this package knows the file format.
"""

from .resolve import ResolvedDesign, design_from_document, load_design
from .scenarios import load_scenarios
from .schema import DesignSpec, json_schema

__all__ = [
    "DesignSpec",
    "ResolvedDesign",
    "design_from_document",
    "json_schema",
    "load_design",
    "load_scenarios",
]
