"""The web app's one security layer, over a real server on 127.0.0.1.

A small part with a page, a form-changing POST and an API route stands in for
the review pages and the LibreTranslate API: the checks are the layer's, not
the part's, so each must hold for any part mounted behind it.
"""

from __future__ import annotations

import http.client
import json
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from bitext.web.app import SESSION_COOKIE, Settings, create_app
from bitext.web.server import running


class _Part:
    api_prefixes = ("/api",)

    def routes(self):
        async def page(request: Request):
            return PlainTextResponse("overview")

        async def save(request: Request):
            body = await request.body()
            return PlainTextResponse(f"saved {len(body)}")

        async def ping(request: Request):
            body = await request.body()
            return JSONResponse({"pong": len(body)})

        return [
            Route("/", page),
            Route("/save", save, methods=["POST"]),
            Route("/api/ping", ping, methods=["GET", "POST"]),
        ]

    def lifespan(self):
        @asynccontextmanager
        async def nothing():
            yield

        return nothing()


@pytest.fixture(scope="module")
def server():
    settings = Settings(max_body_bytes=1000)
    with running(create_app(settings, [_Part()])) as base:
        yield settings, urlsplit(base).port


def _request(port, method, path, headers=None, body=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _session(settings):
    return {"Cookie": f"{SESSION_COOKIE}={settings.session_value}"}


def test_token_is_swapped_for_a_strict_httponly_cookie(server):
    settings, port = server
    status, headers, _ = _request(port, "GET", f"/?token={settings.token}&doc=a")
    assert status == 303
    assert headers["location"] == "/?doc=a"
    cookie = headers["set-cookie"]
    assert f"{SESSION_COOKIE}={settings.session_value}" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    status, _, body = _request(port, "GET", "/", _session(settings))
    assert (status, body) == (200, b"overview")


@pytest.mark.parametrize("query", ["", "?token=wrong"])
def test_a_page_without_the_token_is_refused(server, query):
    _, port = server
    status, _, _ = _request(port, "GET", f"/{query}")
    assert status == 403


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "192.168.1.5"])
def test_a_foreign_host_header_is_refused(server, host):
    settings, port = server
    status, _, _ = _request(port, "GET", "/", {**_session(settings), "Host": host})
    assert status == 400
    status, _, body = _request(port, "GET", "/api/ping", {"Host": host})
    assert status == 400 and "error" in json.loads(body)


def test_localhost_names_are_accepted(server):
    settings, port = server
    for host in (f"localhost:{port}", f"127.0.0.1:{port}"):
        assert _request(port, "GET", "/", {**_session(settings), "Host": host})[0] == 200


def test_a_post_needs_the_csrf_token_and_its_own_origin(server):
    settings, port = server
    session = _session(settings)
    csrf = {"X-CSRF-Token": settings.csrf_token}
    assert _request(port, "POST", "/save", session, b"x")[0] == 403
    assert _request(port, "POST", "/save", {**session, "X-CSRF-Token": "no"}, b"x")[0] == 403
    foreign = {**session, **csrf, "Origin": "http://evil.example"}
    assert _request(port, "POST", "/save", foreign, b"x")[0] == 403
    own = {**session, **csrf, "Origin": f"http://127.0.0.1:{port}"}
    assert _request(port, "POST", "/save", own, b"x")[:3:2] == (200, b"saved 1")
    assert _request(port, "POST", "/save", csrf, b"x")[0] == 403  # no session


def test_bodies_over_the_limit_get_413_and_the_server_keeps_answering(server):
    settings, port = server
    status, _, body = _request(port, "POST", "/api/ping", {}, b"x" * 1001)
    assert status == 413 and "error" in json.loads(body)
    chunked = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        chunked.putrequest("POST", "/api/ping")
        chunked.putheader("Transfer-Encoding", "chunked")
        chunked.endheaders()
        for _ in range(3):
            chunked.send(b"200\r\n" + b"y" * 512 + b"\r\n")
        chunked.send(b"0\r\n\r\n")
        assert chunked.getresponse().status == 413
    finally:
        chunked.close()
    assert _request(port, "POST", "/api/ping", {}, b"x" * 10)[2] == b'{"pong":10}'


def test_every_answer_carries_the_content_security_policy(server):
    settings, port = server
    for path, headers in (("/", _session(settings)), ("/", {}), ("/api/ping", {})):
        _, answer_headers, _ = _request(port, "GET", path, headers)
        policy = {k.lower(): v for k, v in answer_headers.items()}["content-security-policy"]
        assert policy.startswith("default-src 'self'")


def test_api_keys_are_compared_whole():
    settings = Settings(api_keys=frozenset({"k-123"}))
    assert settings.key_ok("k-123")
    assert not settings.key_ok("k-12") and not settings.key_ok("") and not settings.key_ok(None)
    assert Settings().key_ok(None)
