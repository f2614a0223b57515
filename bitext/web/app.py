"""The application factory and the one security layer every route sits behind.

A page served on 127.0.0.1 is still reachable from any web page the user
opens (a browser is a confused deputy: OpenRefine's DNS-rebinding advisory is
the cautionary tale). So every request passes the same checks, whichever part
of the app it is for:

- the Host header must name this server (defeats DNS rebinding);
- request bodies are bounded (413 before the body is read when it says its size);
- pages need the session: the token printed on the command line, swapped on
  first use for an HttpOnly, SameSite=Strict cookie;
- a state-changing request to a page needs the CSRF token (header
  ``X-CSRF-Token``) and, when the browser sends an Origin, this server's own;
- API routes (the LibreTranslate-compatible endpoints) are for programs, not
  pages: they take no cookie and check API keys themselves (`Settings.key_ok`);
- every answer carries a strict Content-Security-Policy.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import parse_qsl, urlencode

from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
SESSION_COOKIE = "bitext_session"
CSRF_HEADER = "x-csrf-token"
DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024
SECURITY_HEADERS = {
    "content-security-policy": "default-src 'self'; frame-ancestors 'none'; base-uri 'none';"
    " form-action 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Settings:
    """What the security layer needs to know; one per running server."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    # Host names (without port) the Host header may carry; None accepts any
    # (only when bound beyond loopback, where API keys are required instead).
    allowed_hosts: frozenset[str] | None = LOOPBACK_HOSTS
    api_keys: frozenset[str] = frozenset()
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES

    @property
    def csrf_token(self) -> str:
        """Derived from the session token, so a page can embed it without a store."""
        return hmac.new(self.token.encode(), b"csrf", hashlib.sha256).hexdigest()

    @property
    def session_value(self) -> str:
        return hmac.new(self.token.encode(), b"session", hashlib.sha256).hexdigest()

    def key_ok(self, key: str | None) -> bool:
        """True when no keys are configured, or `key` is one of them (constant time)."""
        if not self.api_keys:
            return True
        given = (key or "").encode()
        return any(hmac.compare_digest(given, known.encode()) for known in self.api_keys)


class WebPart(Protocol):
    """A piece of the app (review pages, the API): its routes and its lifecycle.

    `api_prefixes` are the paths served to programs rather than pages: they skip
    the session cookie and CSRF checks and must check API keys themselves.
    """

    api_prefixes: Sequence[str]

    def routes(self) -> list[BaseRoute]: ...

    def lifespan(self) -> Any:
        """An async context manager entered at start-up and left at shutdown."""
        ...


def create_app(settings: Settings, parts: Sequence[WebPart]) -> Starlette:
    """One Starlette app from its parts, behind the security layer."""
    api_prefixes = tuple(prefix for part in parts for prefix in part.api_prefixes)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for part in parts:
                await stack.enter_async_context(part.lifespan())
            yield

    routes = [route for part in parts for route in part.routes()]
    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={BodyTooLarge: _too_large})
    app.state.settings = settings
    app.add_middleware(SecurityLayer, settings=settings, api_prefixes=api_prefixes)
    return app


def is_api_path(path: str, api_prefixes: Sequence[str]) -> bool:
    return any(
        path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in api_prefixes
    )


class SecurityLayer:
    """Pure ASGI middleware, so the body limit holds while the body streams in."""

    def __init__(self, app: ASGIApp, settings: Settings, api_prefixes: Sequence[str]) -> None:
        self.app = app
        self.settings = settings
        self.api_prefixes = tuple(api_prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        send = _with_security_headers(send)
        is_api = is_api_path(scope["path"], self.api_prefixes)
        refusal = self._refusal(scope, is_api)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _bounded(receive, self.settings.max_body_bytes), send)

    def _refusal(self, scope: Scope, is_api: bool) -> Response | None:
        headers = Headers(scope=scope)
        error = _error_response if is_api else _page_error
        if not _host_allowed(headers.get("host", ""), self.settings.allowed_hosts):
            return error(400, "invalid Host header: this server answers only to its own address")
        length = headers.get("content-length")
        limit = self.settings.max_body_bytes
        if length is not None and (not length.isdigit() or int(length) > limit):
            return error(413, f"request body over {limit} bytes")
        if is_api:
            return None
        return self._page_refusal(scope, headers)

    def _page_refusal(self, scope: Scope, headers: Headers) -> Response | None:
        settings = self.settings
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if "token" in query and hmac.compare_digest(query["token"], settings.token):
            return _session_start(scope, query, settings)
        cookies = _cookies(headers.get("cookie", ""))
        if not hmac.compare_digest(cookies.get(SESSION_COOKIE, ""), settings.session_value):
            return _page_error(403, "open the link that bitext printed (it carries the token)")
        if scope["method"] in SAFE_METHODS:
            return None
        origin = headers.get("origin")
        if (
            origin is not None
            and origin != f"{scope.get('scheme', 'http')}://{headers.get('host')}"
        ):
            return _page_error(403, "cross-origin request refused")
        if not hmac.compare_digest(headers.get(CSRF_HEADER, ""), settings.csrf_token):
            return _page_error(403, "missing or wrong CSRF token")
        return None


def _session_start(scope: Scope, query: dict[str, str], settings: Settings) -> Response:
    """Swap the URL's token for a cookie, and drop it from the address bar."""
    query.pop("token")
    target = scope["path"] + (f"?{urlencode(query)}" if query else "")
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE, settings.session_value, httponly=True, samesite="strict", path="/"
    )
    return response


def _host_allowed(host: str, allowed: frozenset[str] | None) -> bool:
    if allowed is None:
        return True
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    return name.lower() in allowed


def _cookies(header: str) -> dict[str, str]:
    pairs = (item.strip().split("=", 1) for item in header.split(";") if "=" in item)
    return {name: value for name, value in pairs}


def _error_response(status: int, message: str) -> Response:
    """LibreTranslate's error shape, which its clients parse."""
    return JSONResponse({"error": message}, status_code=status)


def _page_error(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status)


def _with_security_headers(send: Send) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for name, value in SECURITY_HEADERS.items():
                headers.setdefault(name, value)
        await send(message)

    return sending


class BodyTooLarge(Exception):
    """Raised inside a request whose streamed body passes the limit."""


def _bounded(receive: Receive, limit: int) -> Receive:
    received = 0

    async def receiving() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(f"request body over {limit} bytes")
        return message

    return receiving


async def _too_large(request: Any, exc: Exception) -> Response:
    return _error_response(413, str(exc))
