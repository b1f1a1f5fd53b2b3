"""The app: its pages over the library, behind the guard; started by ``adaptive-pilot app``."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shiny import App, reactive, ui
from shiny.types import SafeException

from ..errors import InputError
from ..provenance import package_version
from .audit_page import audit_server, audit_ui
from .common import ACCEPTED
from .design_page import design_server, design_ui
from .endpoints_page import endpoints_server, endpoints_ui
from .guard import AllowedHosts, Guard, parse_allowed_host
from .interim_page import interim_server, interim_ui
from .simulate_page import simulate_server, simulate_ui
from .survival_page import survival_server, survival_ui

__all__ = ["TOKEN_VARIABLE", "create_app", "serve"]

#: Environment variable that may hold the access token.
TOKEN_VARIABLE = "ADAPTIVE_PILOT_TOKEN"

_STYLE = """
.ap-table { border-collapse: collapse; font-variant-numeric: tabular-nums; font-size: .9rem; }
.ap-table th, .ap-table td { padding: .15rem .55rem; text-align: right; white-space: nowrap; }
.ap-table th:first-child, .ap-table td:first-child, .ap-table .ap-text { text-align: left; }
.ap-table thead th { border-top: 2px solid #222; border-bottom: 1px solid #222; }
.ap-table tbody tr:last-child td { border-bottom: 2px solid #222; }
.card svg, .ap-figures svg { max-width: 100%; height: auto; }
.ap-provenance { margin: 0; overflow-wrap: anywhere; }
.ap-scroll { overflow-x: auto; max-width: 100%; }
.ap-why { display: block; }
.shiny-download-link.disabled { pointer-events: none; opacity: .55; }
main, .bslib-page-main, .main { min-width: 0; }
@media (max-width: 575.98px) {
  .ap-interim, .ap-simulation, .ap-audit { overflow-wrap: anywhere; }
  .navbar-brand { font-size: 1.1rem; }
}
"""

#: Field errors beside their field and downloads that wait for a result; the server
#: says which (no statistics here, only what the page shows).
_SCRIPT = """
(function () {
  const marked = {};
  function markFields(m) {
    document.querySelectorAll('.ap-field-error[data-ap-scope="' + m.scope + '"]')
      .forEach((e) => e.remove());
    document.querySelectorAll('[data-ap-invalid="' + m.scope + '"]').forEach((el) => {
      el.removeAttribute('aria-invalid'); el.removeAttribute('aria-describedby');
      el.removeAttribute('data-ap-invalid'); el.classList.remove('is-invalid');
    });
    const ids = m.ids || [];
    ids.forEach((id, i) => {
      const el = document.getElementById(id);
      if (!el) return;
      el.setAttribute('aria-invalid', 'true');
      el.setAttribute('data-ap-invalid', m.scope);
      el.setAttribute('aria-describedby', ids[0] + '-error');
      el.classList.add('is-invalid');
      if (i === 0) {
        const note = document.createElement('div');
        note.id = id + '-error';
        note.className = 'invalid-feedback d-block ap-field-error';
        note.setAttribute('data-ap-scope', m.scope);
        note.textContent = m.message;
        (el.closest('.shiny-input-container') || el.parentElement).appendChild(note);
      }
    });
    const key = ids.join(' ');
    if (ids.length && marked[m.scope] !== key) {  // the field and its message in view
      const note = document.getElementById(ids[0] + '-error');
      const first = note || document.getElementById(ids[0]);
      if (first) first.scrollIntoView({block: 'nearest'});
    }
    marked[m.scope] = key;
  }
  function enable(m) {
    m.ids.forEach((id) => {
      const el = document.getElementById(id);
      if (!el) return;
      let why = document.getElementById(id + '-why');
      if (!why) {
        why = document.createElement('small');
        why.id = id + '-why';
        why.className = 'text-muted ap-why';
        el.insertAdjacentElement('afterend', why);
      }
      el.classList.toggle('disabled', !m.enabled);
      if (m.enabled) {
        el.removeAttribute('aria-disabled'); el.removeAttribute('tabindex');
        el.removeAttribute('aria-describedby');
        why.textContent = ''; why.hidden = true;
      } else {
        el.setAttribute('aria-disabled', 'true'); el.setAttribute('tabindex', '-1');
        el.setAttribute('aria-describedby', why.id);
        why.textContent = m.reason; why.hidden = false;
      }
    });
  }
  function collapseOnPhone(m) {
    if (window.innerWidth >= 576) return;
    const sidebar = document.getElementById(m.id);
    const layout = sidebar && sidebar.closest('.bslib-sidebar-layout');
    const toggle = layout && layout.querySelector('.collapse-toggle');
    if (toggle && toggle.getAttribute('aria-expanded') === 'true') toggle.click();
  }
  // on a phone, choosing a page closes the navigation menu it was chosen from
  document.addEventListener('click', (event) => {
    if (!event.target.closest('.navbar-collapse .nav-link')) return;
    const menu = document.querySelector('.navbar-collapse.show');
    const toggler = document.querySelector('.navbar-toggler');
    if (menu && toggler && getComputedStyle(toggler).display !== 'none') toggler.click();
  });
  function register() {
    Shiny.addCustomMessageHandler('ap-mark-fields', markFields);
    Shiny.addCustomMessageHandler('ap-enable', enable);
    Shiny.addCustomMessageHandler('ap-collapse-on-phone', collapseOnPhone);
  }
  if (window.Shiny && Shiny.addCustomMessageHandler) register();
  else document.addEventListener('DOMContentLoaded', register);
})();
"""


def create_app(
    *,
    audit: str | Path | None = None,
    max_upload_mb: float = 10.0,
    token: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    allowed_hosts: Sequence[str] = (),
) -> Any:
    """The ASGI app: the Shiny pages wrapped in the host, origin, token and upload-size guard.

    Parameters
    ----------
    audit : path, optional
        Audit database the Interim page appends each call to (and the Audit page reads).
    max_upload_mb : float
        Largest file accepted from the browser, in MB.
    token : str, optional
        Access token every request must carry (required off loopback).
    host, port : str, int
        The address the app is served on: requests must name it in ``Host``
        (and in ``Origin`` when they carry one).
    allowed_hosts : sequence of str
        Further ``name`` or ``name:port`` the app answers to (a reverse proxy's name).
    """
    limit = int(max_upload_mb * 1_000_000)  # MB = 10^6 bytes, as browsers show sizes
    page = ui.page_navbar(
        ui.nav_panel("Design", design_ui("design")),
        ui.nav_panel("Endpoints", endpoints_ui("endpoints")),
        ui.nav_panel("Time to event", survival_ui("survival")),
        ui.nav_panel("Simulate", simulate_ui("simulate")),
        ui.nav_panel("Interim", interim_ui("interim")),
        ui.nav_panel("Audit", audit_ui("audit")),
        title=ui.tags.h1("adaptive_pilot", class_="navbar-brand fs-5 m-0"),
        window_title="adaptive_pilot",
        lang="en",
        id="page",
        header=ui.TagList(ui.tags.style(_STYLE), ui.tags.script(_SCRIPT)),
        footer=ui.tags.footer(
            ui.p(
                f"adaptive_pilot {package_version()} · data stay on this machine: nothing is "
                "sent elsewhere",
                class_="text-muted small text-center",
            )
        ),
    )

    database = None if audit is None else str(audit)

    def server(input: Any, output: Any, session: Any) -> None:
        _limit_uploads(session, limit)
        design = design_server("design")
        endpoints_server("endpoints")
        survival_server("survival")
        simulate_server("simulate", design=design)
        recorded = reactive.value(0)
        interim_server("interim", design=design, audit=database, recorded=recorded)
        audit_server("audit", audit=database, recorded=recorded)

    hosts = AllowedHosts.for_server(host, port, allowed_hosts)
    return Guard(App(page, server), max_upload_bytes=limit, token=token, hosts=hosts)


def _limit_uploads(session: Any, limit: int) -> None:
    """Refuse a file the browser announces as too large or of a type we do not read.

    The refusal reaches the browser as the file input's error message; the guard
    refuses the bytes themselves if a client sends them anyway.
    """
    original = session._message_handlers["uploadInit"][0]
    allowed = {suffix for suffixes in ACCEPTED.values() for suffix in suffixes}

    async def upload_init(file_infos: list[dict[str, Any]]) -> Any:
        for info in file_infos:
            name = str(info.get("name", ""))
            suffix = Path(name).suffix.lower()
            if suffix not in allowed:
                raise SafeException(f"{name}: only {', '.join(sorted(allowed))} files are accepted")
            if int(info.get("size", 0)) > limit:
                raise SafeException(
                    f"{name} is {int(info['size']) / 1e6:.2f} MB; the limit is "
                    f"{limit / 1e6:g} MB (--max-upload-mb)"
                )
        return await original(file_infos)

    session.set_message_handler("uploadInit", upload_init)


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    audit: str | Path | None = None,
    max_upload_mb: float = 10.0,
    token_file: str | Path | None = None,
    allowed_hosts: Sequence[str] = (),
) -> None:
    """Run the app with uvicorn until interrupted.

    Raises
    ------
    InputError
        A non-loopback host without a token, an unreadable token file, an
        allowed host that is not a host name.
    """
    import uvicorn

    for entry in allowed_hosts:
        try:
            parse_allowed_host(entry)
        except ValueError as error:
            raise InputError("allowed_host", str(error)) from None
    token = read_token(token_file)
    if not _loopback(host) and token is None:
        raise InputError(
            "host",
            f"{host} is reachable from other machines; set an access token with --token-file "
            f"or {TOKEN_VARIABLE}, or use 127.0.0.1",
        )
    app = create_app(
        audit=audit, max_upload_mb=max_upload_mb, token=token, host=host, port=port,
        allowed_hosts=allowed_hosts,
    )  # fmt: skip
    print(f"adaptive_pilot app on http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)


def read_token(token_file: str | Path | None) -> str | None:
    """The access token from the file (first line) or the environment, if any."""
    if token_file is not None:
        path = Path(token_file)
        if not path.is_file():
            missing = "does not exist" if not path.exists() else "is not a regular file"
            raise InputError("token_file", f"{path} {missing}")
        try:
            with path.open("rb") as handle:
                text = handle.read(4096).decode("utf-8")
        except OSError as error:
            raise InputError("token_file", f"cannot read {path}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise InputError(
                "token_file", f"{path} is not UTF-8 text; write the token in plain ASCII"
            ) from None
        token = text.strip().splitlines()[0].strip() if text.strip() else ""
        if len(token) < 16:
            raise InputError("token_file", "the token must be at least 16 characters")
        return token
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if token and len(token) < 16:
        raise InputError(TOKEN_VARIABLE, "the token must be at least 16 characters")
    return token or None


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
