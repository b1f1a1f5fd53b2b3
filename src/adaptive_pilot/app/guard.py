"""The web app's gate (ASGI middleware): host and origin, token, upload size.

* **Other sites.** Every request's ``Host`` must name the address and port the
  app is bound to (``127.0.0.1:8000``, ``localhost:8000``...) or a name given
  with ``--allowed-host`` (a reverse proxy's public name). Every websocket and
  every request that can change something (any method but GET, HEAD and
  OPTIONS) that carries an ``Origin`` must come from one of those same hosts.
  Anything else gets 403 before Shiny sees it: a page on another site cannot
  open the app's websocket or post to it, and a DNS-rebinding name pointed at
  127.0.0.1 gets no page. (Requests without ``Origin`` come from programs on
  this machine, not from a web page, and are let through.)
* **Token.** With a token configured, every request needs the session cookie that
  the login page sets after the token is typed in (or an ``Authorization: Bearer``
  header). Tokens are compared in constant time (:func:`hmac.compare_digest`);
  the cookie holds an HMAC of the token, never the token; neither is logged.
  Without the cookie, the start page redirects to the login page, any other
  request gets 401 and no data, and a websocket is closed before it opens.
* **Upload size.** A request body larger than the limit is refused with 413
  before the app reads any of it: at once when its ``Content-Length`` says so,
  otherwise as soon as the bytes received pass the limit (the guard holds the
  body, at most the limit, and hands it over whole). (Shiny for Python has no
  limit of its own; the app also refuses too-large files when the browser
  announces them, with a readable message.)
"""

from __future__ import annotations

import hashlib
import hmac
import html
import ipaddress
import urllib.parse
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

__all__ = ["COOKIE", "AllowedHosts", "Guard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Name of the session cookie set by the login page.
COOKIE = "adaptive_pilot_session"
_LOGIN_BODY_LIMIT = 4096
#: Methods that only read: no Origin check (a cross-site page cannot read their answer).
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

_LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>adaptive_pilot: sign in</title>
<style>body{{font-family:system-ui,sans-serif;max-width:26rem;margin:6rem auto;padding:0 1rem}}
input{{font-size:1rem;padding:.4rem;width:100%;box-sizing:border-box}}
button{{font-size:1rem;padding:.4rem 1rem;margin-top:.8rem}}.error{{color:#b00020}}</style>
</head><body><h1>adaptive_pilot</h1>
<p>This app is shared. Type the access token you were given.</p>{message}
<form method="post" action="login"><label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus>
<button type="submit">Sign in</button></form></body></html>
"""


@dataclass(frozen=True)
class AllowedHosts:
    """The hosts the app answers to: its bound address and port, and named extra hosts.

    Parameters
    ----------
    port : int
        The port the app is bound to.
    exact : frozenset of (host, port)
        Host names (lower case, IPv6 without brackets) allowed on the given port.
    any_port : frozenset of str
        Host names allowed on any port (``--allowed-host NAME`` without a port:
        a reverse proxy's public name, reached on 80 or 443).
    any_ip : bool
        Any IP address on ``port`` (the app is bound to every interface).
    """

    port: int
    exact: frozenset[tuple[str, int]]
    any_port: frozenset[str] = frozenset()
    any_ip: bool = False

    @classmethod
    def for_server(cls, host: str, port: int, extra: Iterable[str] = ()) -> AllowedHosts:
        """The bound address (and, on loopback, every loopback name) plus ``extra``.

        ``extra`` entries are ``name`` (any port) or ``name:port``; validate them
        with :func:`parse_allowed_host` first.
        """
        bound = _bare(host.lower())
        exact = {(bound, port)}
        wildcard = bound in ("0.0.0.0", "::")
        if wildcard or bound == "localhost" or _is_loopback(bound):
            exact |= {("localhost", port), ("127.0.0.1", port), ("::1", port)}
        any_port: set[str] = set()
        for entry in extra:
            name, entry_port = parse_allowed_host(entry)
            if entry_port is None:
                any_port.add(name)
            else:
                exact.add((name, entry_port))
        return cls(port, frozenset(exact), frozenset(any_port), wildcard)

    def allows(self, host: str | None, port: int | None) -> bool:
        """Whether ``host:port`` (as a browser or client named it) is this app."""
        if not host:
            return False
        host = _bare(host.lower())
        if host in self.any_port:
            return True
        if port is None:
            return False
        if (host, port) in self.exact:
            return True
        return self.any_ip and port == self.port and _is_ip(host)

    def describe(self) -> str:
        """The allowed hosts, for a refusal message."""
        shown = sorted(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in self.exact)
        shown += sorted(self.any_port)
        if self.any_ip:
            shown.append(f"any IP address on port {self.port}")
        return ", ".join(shown)


def parse_allowed_host(entry: str) -> tuple[str, int | None]:
    """``name`` or ``name:port`` (IPv6 in brackets) as (lower-case name, port or None).

    Raises
    ------
    ValueError
        Not a host name or address, or a port outside 1-65535.
    """
    text = entry.strip()
    try:
        parts = urllib.parse.urlsplit("//" + text)
        name, port = parts.hostname, parts.port
    except ValueError:
        name, port = None, None
    valid = bool(name) and parts.netloc == text and not parts.path and "@" not in text
    if not valid or name is None:
        raise ValueError(f"{entry!r} is not a host name or address (e.g. dsmb.example.org)")
    if not (_is_ip(name) or all(_label(label) for label in name.split("."))):
        raise ValueError(f"{entry!r} is not a host name or address (e.g. dsmb.example.org)")
    if port is not None and not 1 <= port <= 65535:
        raise ValueError(f"{entry!r}: the port must be 1 to 65535")
    return name.lower(), port


def _label(label: str) -> bool:
    return 0 < len(label) <= 63 and all(c.isalnum() or c == "-" for c in label) and label.isascii()


def _bare(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(_bare(host))
    except ValueError:
        return False
    return True


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(_bare(host)).is_loopback
    except ValueError:
        return False


def _authority(text: str, default_port: int | None) -> tuple[str | None, int | None]:
    """(host, port) of ``host[:port]``; (None, None) when it cannot be parsed."""
    try:
        parts = urllib.parse.urlsplit("//" + text.strip())
        return parts.hostname, parts.port if parts.port is not None else default_port
    except ValueError:
        return None, None


class Guard:
    """Wrap an ASGI app with the host and origin check, the token check and the upload limit.

    Parameters
    ----------
    app : ASGI application
        The app to protect.
    max_upload_bytes : int
        Largest request body accepted.
    token : str, optional
        The access token; ``None`` lets every request through (loopback use).
    hosts : AllowedHosts, optional
        The hosts the app answers to; ``None`` checks neither ``Host`` nor
        ``Origin`` (for tests of the other checks only: :func:`create_app` always
        gives one).
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_upload_bytes: int,
        token: str | None = None,
        hosts: AllowedHosts | None = None,
    ) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self.hosts = hosts
        self._token = token
        self._cookie = _session_value(token) if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refusal = self._foreign(scope)
        if refusal is not None:
            if kind == "websocket":
                await _refuse_websocket(scope, send, refusal)
            else:
                await _text(send, 403, refusal)
            return
        path = scope.get("path", "")
        if self._token is not None and not self._authorised(scope):
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            elif path.endswith("/login") and scope.get("method") == "POST":
                await self._login(scope, receive, send)
            elif path.endswith("/login") or (path in ("/", "") and scope.get("method") == "GET"):
                if path.endswith("/login"):
                    await _html(send, 200, _LOGIN_PAGE.format(message=""))
                else:
                    await _redirect(send, "login")
            else:
                await _text(send, 401, "Sign in first: this app needs an access token.")
            return
        if kind == "http" and scope.get("method") not in _SAFE_METHODS:
            await self._limited(scope, receive, send)
            return
        await self.app(scope, receive, send)

    # ----------------------------------------------------------- other sites
    def _foreign(self, scope: Scope) -> str | None:
        """Why the request is refused as coming from another site, or None."""
        if self.hosts is None:
            return None
        headers = _headers(scope)
        scheme = str(scope.get("scheme", "http"))
        host_header = headers.get("host")
        host, port = _authority(host_header or "", _DEFAULT_PORTS.get(scheme))
        if not self.hosts.allows(host, port):
            return (
                f"Refused: this app answers only to {self.hosts.describe()}, not to "
                f"{host_header or 'a request without a Host header'!r}. Behind a reverse proxy, "
                f"start it with --allowed-host NAME."
            )
        unsafe = scope["type"] == "websocket" or scope.get("method") not in _SAFE_METHODS
        origin = headers.get("origin")
        if unsafe and origin is not None:
            parts = urllib.parse.urlsplit(origin.strip())
            try:
                origin_port = parts.port or _DEFAULT_PORTS.get(parts.scheme)
            except ValueError:
                origin_port = None
            if parts.scheme not in ("http", "https") or not self.hosts.allows(
                parts.hostname, origin_port
            ):
                return (
                    f"Refused: a page from {origin!r} may not use this app; open it at "
                    f"{self.hosts.describe()}."
                )
        return None

    # ----------------------------------------------------------------- token
    def _authorised(self, scope: Scope) -> bool:
        assert self._token is not None and self._cookie is not None
        headers = _headers(scope)
        bearer = headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            return _same(bearer[7:].strip(), self._token)
        for part in headers.get("cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == COOKIE and _same(value, self._cookie):
                return True
        return False

    async def _login(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert self._token is not None and self._cookie is not None
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if len(body) > _LOGIN_BODY_LIMIT:
                await _text(send, 413, "The sign-in form is too large.")
                return
            if not message.get("more_body"):
                break
        fields = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
        typed = (fields.get("token") or [""])[0]
        if not _same(typed, self._token):
            wrong = '<p class="error">That token is not right.</p>'
            await _html(send, 401, _LOGIN_PAGE.format(message=wrong))
            return
        secure = "; Secure" if scope.get("scheme") == "https" else ""
        cookie = f"{COOKIE}={self._cookie}; HttpOnly; SameSite=Strict; Path=/{secure}"
        await _redirect(send, "./", cookie=cookie)

    # ---------------------------------------------------------------- upload
    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Receive the whole body (at most the limit), then hand it to the app in one message.

        A body that passes the limit is refused with 413 and the app never sees
        the request, so no handler is left reading a stream cut short (which
        Shiny reports as a server error).
        """
        limit = self.max_upload_bytes
        declared = _headers(scope).get("content-length")
        too_large = _too_large_message(limit)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _text(send, 413, too_large)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nothing to answer
            body = message.get("body", b"")
            received += len(body)
            if received > limit:
                await _text(send, 413, too_large)
                return
            chunks.append(body)
            if not message.get("more_body"):
                break
        whole: Message = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        handed = False

        async def replay() -> Message:
            nonlocal handed
            if not handed:
                handed = True
                return whole
            return await receive()

        await self.app(scope, replay, send)


async def _refuse_websocket(scope: Scope, send: Send, text: str) -> None:
    """403 before the handshake: with the reason where the server can send a body."""
    if "websocket.http.response" in scope.get("extensions", {}):
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        await send({"type": "websocket.http.response.start", "status": 403, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": text.encode("utf-8")})
    else:
        await send({"type": "websocket.close", "code": 1008})


def _too_large_message(limit: int) -> str:
    return f"The file is too large: the limit is {limit / 1e6:g} MB (--max-upload-mb)."


def _session_value(token: str) -> str:
    return hmac.new(token.encode("utf-8"), b"adaptive-pilot-session", hashlib.sha256).hexdigest()


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store")]  # fmt: skip
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _text(send: Send, status: int, text: str) -> None:
    await _respond(
        send, status, text.encode("utf-8"), [(b"content-type", b"text/plain; charset=utf-8")]
    )


async def _html(send: Send, status: int, page: str) -> None:
    await _respond(
        send, status, page.encode("utf-8"), [(b"content-type", b"text/html; charset=utf-8")]
    )


async def _redirect(send: Send, location: str, cookie: str | None = None) -> None:
    headers = [(b"location", location.encode("latin-1"))]
    if cookie:
        headers.append((b"set-cookie", cookie.encode("latin-1")))
    body = f'<a href="{html.escape(location)}">continue</a>'.encode()
    await _respond(send, 303, body, [*headers, (b"content-type", b"text/html; charset=utf-8")])
