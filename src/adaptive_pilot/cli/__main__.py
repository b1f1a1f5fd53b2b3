"""``python -m adaptive_pilot.cli``: the same as the ``adaptive-pilot`` command."""

from . import main

raise SystemExit(main())
