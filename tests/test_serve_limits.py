"""Every limit of `bitext serve`, and API keys, over real HTTP on 127.0.0.1.

The app is the one `bitext serve` builds (`build_app`), with tight limits,
served in a thread by `bitext.web.server.running`. After each refusal the
server must still answer.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from email.message import Message

import pytest
from libretranslatepy import LibreTranslateAPI

from bitext.pipeline import TranslateOptions
from bitext.web.app import Settings
from bitext.web.server import running
from bitext.web.service import ServeOptions
from bitext.web.serving import build_app, serve_settings

KEY = "k-0123456789"


def post(url: str, path: str, body: dict | bytes) -> tuple[int, dict, Message]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url + path, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), exc.headers


def options(models, **limits) -> ServeOptions:
    return ServeOptions(translate=TranslateOptions(models_dir=models, cache=False), **limits)


def still_answers(url: str, key: str | None = None) -> None:
    body = {"q": "Hei.", "source": "nb", "target": "en"}
    if key:
        body["api_key"] = key
    assert post(url, "/translate", body)[:2] == (200, {"translatedText": "Hei."})


@pytest.fixture(scope="module")
def tight(installed_models):
    serve_options = options(
        installed_models, max_texts=3, max_chars=2000, max_sentences=20, max_queued=8
    )
    app = build_app(serve_options, Settings(max_body_bytes=4000))
    with running(app) as url:
        yield url


@pytest.mark.parametrize(
    "q, reason",
    [
        (["a", "b", "c", "d"], "request (4) exceeds text limit (3)"),
        ("x" * 2001, "request (2001) exceeds text limit (2000)"),
        (" ".join(["Hei."] * 21), "21 sentences exceed the limit (20)"),
    ],
)
def test_per_request_limits_are_400(tight, q, reason):
    status, body, _ = post(tight, "/translate", {"q": q, "source": "nb", "target": "en"})
    assert (status, body["error"]) == (400, f"Invalid request: {reason}")
    still_answers(tight)


def test_a_body_over_the_limit_is_413_in_json(tight):
    status, body, _ = post(tight, "/translate", b'{"q": "' + b"a" * 5000 + b'"}')
    assert status == 413 and "over 4000 bytes" in body["error"]
    still_answers(tight)


def test_a_full_queue_is_503_with_retry_after(tight):
    q = " ".join(f"Setning {i}." for i in range(9))  # 9 sentences, the queue holds 8
    status, body, headers = post(tight, "/translate", {"q": q, "source": "nb", "target": "en"})
    assert status == 503 and "limit 8" in body["error"]
    assert int(headers["Retry-After"]) > 0
    still_answers(tight)


def test_too_many_html_elements_is_400(installed_models):
    app = build_app(options(installed_models, max_elements=5), Settings())
    with running(app) as url:
        html = "<p>" + "<b>Hei</b>" * 6 + "</p>"
        status, body, _ = post(
            url, "/translate", {"q": html, "source": "nb", "target": "en", "format": "html"}
        )
        assert status == 400 and "HTML elements exceed the limit (5)" in body["error"]
        still_answers(url)


def test_a_request_over_its_time_is_503_and_the_server_goes_on(installed_models):
    app = build_app(options(installed_models, request_seconds=1e-9), Settings())
    with running(app) as url:
        q = " ".join(f"Setning nummer {i} om været." for i in range(50))
        status, body, headers = post(url, "/translate", {"q": q, "source": "nb", "target": "en"})
        assert status == 503 and "longer than" in body["error"]
        assert headers["Retry-After"]
        status, body, _ = post(url, "/languages", b"{}")
        assert status == 200 and body[0]["code"] == "en"


def test_api_keys_are_required_when_configured(installed_models, tmp_path):
    keys = tmp_path / "keys.txt"
    keys.write_text(f"# clients\n{KEY}\n\nother-key\n", encoding="utf-8")
    settings = serve_settings("127.0.0.1", keys)
    assert settings.api_keys == frozenset({KEY, "other-key"})
    with running(build_app(options(installed_models), settings)) as url:
        for body in ({}, {"api_key": "wrong"}, {"api_key": KEY[:-1]}):
            status, answer, _ = post(url, "/translate", {"q": "Hei.", "source": "nb", **body})
            assert (status, answer) == (403, {"error": "Invalid API key"})
            status, answer, _ = post(url, "/v1/translate", {"text": "Hei.", **body})
            assert status == 403
        client = LibreTranslateAPI(url, api_key=KEY)
        assert client.translate("Hei.", "nb", "en", timeout=60) == "Hei."
        assert client.languages(timeout=60)[0]["code"] == "en"
        still_answers(url, KEY)


def test_keys_files_that_cannot_work_are_refused(tmp_path):
    from bitext.runs import RequestError

    empty = tmp_path / "empty.txt"
    empty.write_text("# no keys\n\n", encoding="utf-8")
    with pytest.raises(RequestError, match="holds no key"):
        serve_settings("127.0.0.1", empty)
    with pytest.raises(RequestError, match="--api-keys"):
        serve_settings("0.0.0.0", None)
    keys = tmp_path / "keys.txt"
    keys.write_text(KEY, encoding="utf-8")
    open_settings = serve_settings("0.0.0.0", keys)
    assert open_settings.allowed_hosts is None and open_settings.api_keys == {KEY}
