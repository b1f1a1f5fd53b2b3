"""The local web app (Shiny for Python): design, simulate, interim call and audit pages.

A thin shell over the library: every number on a page comes from the same
functions the CLI and the API call (no statistics here). Safe by default: it
binds 127.0.0.1; off loopback it needs an access token; uploads are limited in
size and type, read as data only, and stay in the browser session that sent them.
Needs the ``app`` extra (``pip install adaptive-pilot[app]``).
"""

from __future__ import annotations

from .main import TOKEN_VARIABLE, create_app, serve

__all__ = ["TOKEN_VARIABLE", "create_app", "serve"]
