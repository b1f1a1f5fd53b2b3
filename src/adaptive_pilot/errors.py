"""Errors raised for invalid user input.

Every input problem is reported as an :class:`InputError` that names the
offending field and what is allowed, so that the command line can print it as
one line and exit with status 2 instead of showing a traceback.
"""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Invalid input, with the name of the field at fault.

    Parameters
    ----------
    field : str
        Name of the argument, option or design-file key at fault
        (``"p0"``, ``"--looks"``, ``"cohorts[2].prevalence"``...).
    message : str
        What is wrong and what is allowed, as one sentence.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
