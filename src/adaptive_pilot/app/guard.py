"""The web app's gate (ASGI middleware): access token and upload size, before the app sees a byte.

* **Token.** With a token configured, every request needs the session cookie that
  the login page sets after the token is typed in (or an ``Authorization: Bearer``
  header). Tokens are compared in constant time (:func:`hmac.compare_digest`);
  the cookie holds an HMAC of the token, never the token; neither is logged.
  Without the cookie, the start page redirects to the login page, any other
  request gets 401 and no data, and a websocket is closed before it opens.
* **Upload size.** A request body larger than the limit is refused with 413
  before it is read: at once when its ``Content-Length`` says so, otherwise as
  soon as the bytes received pass the limit. (Shiny for Python has no limit of
  its own; the app also refuses too-large files when the browser announces
  them, with a readable message.)
"""

from __future__ import annotations

import hashlib
import hmac
import html
import urllib.parse
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["COOKIE", "Guard"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Name of the session cookie set by the login page.
COOKIE = "adaptive_pilot_session"
_LOGIN_BODY_LIMIT = 4096

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


class Guard:
    """Wrap an ASGI app with the token check and the upload size limit.

    Parameters
    ----------
    app : ASGI application
        The app to protect.
    max_upload_bytes : int
        Largest request body accepted.
    token : str, optional
        The access token; ``None`` lets every request through (loopback use).
    """

    def __init__(self, app: ASGIApp, *, max_upload_bytes: int, token: str | None = None) -> None:
        self.app = app
        self.max_upload_bytes = max_upload_bytes
        self._token = token
        self._cookie = _session_value(token) if token else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
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
        if kind == "http" and scope.get("method") in ("POST", "PUT"):
            await self._limited(scope, receive, send)
            return
        await self.app(scope, receive, send)

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
        limit = self.max_upload_bytes
        declared = _headers(scope).get("content-length")
        too_large = _too_large_message(limit)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _text(send, 413, too_large)
            return
        received = 0
        started = False
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return  # the refusal below answers instead
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, tracking_send)
        if refused and not started:
            await _text(send, 413, too_large)


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
