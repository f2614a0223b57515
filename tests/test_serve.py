"""`bitext serve` over real HTTP: a real client, the CLI's answers, bad input, stops.

The server is the real command (`python -m bitext serve`) in a subprocess on
127.0.0.1, with the project's copy model installed the normal way; the
client is `libretranslatepy` 2.1.4 from PyPI. Every answer is compared with
what the CLI gives on the same text. Tight limits are tested on an
in-process server (`bitext.web.server.running`), also real HTTP on loopback.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from libretranslatepy import LibreTranslateAPI
from typer.testing import CliRunner

from bitext.cli import app

ROOT = Path(__file__).resolve().parent.parent
START_DEADLINE = 90.0
STOP_DEADLINE = 30.0
#: Norwegian with names the default glossary respells (Sjojgu -> Shoigu).
ARTICLE = (
    "Russlands forsvarsminister Sergej Sjojgu besøkte fronten i går.\n\n"
    "Han sa at soldatene har gjort en god jobb. Kritikerne er uenige, skriver avisen.\n\n"
    "– Vi jobber aktivt med saken, sa Sjojgu til journalistene."
)


class Serve:
    """A real `bitext serve` subprocess on a free loopback port."""

    def __init__(self, models: Path, *extra: str) -> None:
        command = [sys.executable, "-m", "bitext", "serve", "--port", "0"]
        command += ["--models-dir", str(models), "--threads", "1", *extra]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.url = self._wait_for_url()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + START_DEADLINE
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if found:
                return found.group(1)
        self.stop()
        raise RuntimeError(f"bitext serve did not start: {''.join(self.stderr)}")

    def signal(self, signum: int) -> int:
        """Send `signum`; the exit code (bounded wait)."""
        self.process.send_signal(signum)
        return self.process.wait(timeout=STOP_DEADLINE)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_DEADLINE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_DEADLINE)


def call(url: str, path: str, body=None, *, form: bool = False, method: str | None = None):
    """(status, decoded JSON, headers) of one request; errors are answers too."""
    data, headers = None, {}
    if isinstance(body, bytes):
        data, headers = body, {"Content-Type": "application/json"}
    elif body is not None and form:
        from urllib.parse import urlencode

        data = urlencode(body).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    elif body is not None:
        data, headers = json.dumps(body).encode(), {"Content-Type": "application/json"}
    request = urllib.request.Request(url + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, _decoded(response.read()), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, _decoded(exc.read()), dict(exc.headers)


def _decoded(data: bytes):
    """JSON, or the raw text when the answer is not JSON (so a failure shows it)."""
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def server(installed_models):
    serve = Serve(installed_models)
    try:
        yield serve
    finally:
        serve.stop()


def cli_rows(tmp_path: Path, models: Path, text: str, name: str = "article.txt", *extra: str):
    """The JSONL rows `bitext translate` writes for `text` saved as `name`."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["translate", str(path), "-o", "-", "--format", "jsonl"]
        + ["--models-dir", str(models), "--threads", "1", *extra],
    )
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def joined_targets(rows: list[dict]) -> str:
    """Each block's sentences joined by a space, blocks by a blank line."""
    blocks: dict[int, list[str]] = {}
    for row in rows:
        blocks.setdefault(row["block"], []).append(row["target"])
    return "\n\n".join(" ".join(targets) for targets in blocks.values())


def still_answers(url: str) -> None:
    status, body, _ = call(url, "/translate", {"q": "Hei.", "source": "nb", "target": "en"})
    assert (status, body) == (200, {"translatedText": "Hei."})


# -- a real client ---------------------------------------------------------------


def test_libretranslatepy_translate_equals_the_cli(server, tmp_path, installed_models):
    client = LibreTranslateAPI(server.url)
    answer = client.translate(ARTICLE, "nb", "en", timeout=60)
    rows = cli_rows(tmp_path, installed_models, ARTICLE, "article.txt", "--from", "nb")
    assert answer == joined_targets(rows)
    assert "Shoigu" in answer and "Sjojgu" not in answer  # the default glossary, as the CLI


def test_libretranslatepy_detect_and_languages_equal_the_cli(server, tmp_path, installed_models):
    client = LibreTranslateAPI(server.url)
    detected = client.detect(ARTICLE, timeout=60)
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    result = CliRunner().invoke(app, ["detect", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert detected[0]["language"] == json.loads(result.stdout)["language"] == "nb"
    assert 0 < detected[0]["confidence"] <= 100
    languages = client.languages(timeout=60)
    listed = CliRunner().invoke(
        app, ["models", "list", "--json", "--models-dir", str(installed_models)]
    )
    pairs = [json.loads(line)["pair"].split("-") for line in listed.stdout.splitlines()]
    assert {lang["code"] for lang in languages} == {code for pair in pairs for code in pair}
    assert next(lang for lang in languages if lang["code"] == "nb")["targets"] == ["en"]


def test_auto_and_lists_answer_as_libretranslate(server):
    status, body, _ = call(
        server.url,
        "/translate",
        {"q": [ARTICLE, "Sjojgu"], "source": "auto", "target": "en", "alternatives": 3},
    )
    assert status == 200
    assert body["alternatives"] == [[], []]
    assert [d["language"] for d in body["detectedLanguage"]] == ["nb", "nb"]
    assert body["translatedText"][1] == "Shoigu"
    status, form_body, _ = call(
        server.url, "/translate", {"q": ARTICLE, "source": "auto", "target": "en"}, form=True
    )
    assert status == 200 and form_body["translatedText"] == body["translatedText"][0]
    assert form_body["detectedLanguage"]["language"] == "nb"


def test_html_keeps_its_markup(server):
    html = '<p class="lead">Forsvarsminister <b>Sergej Sjojgu</b> &amp; hæren.</p><p>Ja.</p>'
    status, body, _ = call(
        server.url, "/translate", {"q": html, "source": "nb", "target": "en", "format": "html"}
    )
    assert status == 200
    assert body["translatedText"] == (
        '<p class="lead">Forsvarsminister <b>Sergei Shoigu</b> &amp; hæren.</p><p>Ja.</p>'
    )


def test_v1_translate_gives_the_jsonl_export_rows(server, tmp_path, installed_models):
    rows = cli_rows(tmp_path, installed_models, ARTICLE, "article.txt")
    status, body, _ = call(server.url, "/v1/translate", {"text": ARTICLE})
    assert status == 200
    assert body["rows"] == rows
    assert {row["origin"] for row in body["rows"]} == {"model"}


def test_v1_translate_takes_an_uploaded_html_page(server, tmp_path, installed_models):
    page = (
        "<html><head><title>Sak</title></head><body><article><h1>Sjojgu i Moskva</h1>"
        f"<p>{ARTICLE.split(chr(10))[0]}</p><p>Han sa at soldatene har gjort en god jobb.</p>"
        "</article></body></html>"
    )
    rows = cli_rows(tmp_path, installed_models, page, "page.html")
    boundary = "bitextboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="page.html"\r\n'
        f"Content-Type: text/html\r\n\r\n{page}\r\n--{boundary}--\r\n"
    ).encode()
    request = urllib.request.Request(
        server.url + "/v1/translate",
        data=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    assert answer["rows"] == rows and rows


def test_v1_align_and_openapi(server):
    status, body, _ = call(
        server.url,
        "/v1/align",
        {
            "text": "Dette er en setning. Her er en til.",
            "translation": "This is a sentence. Here is another.",
            "source": "nb",
            "target": "en",
        },
    )
    assert status == 200
    assert [r["target"] for r in body["rows"]] == ["This is a sentence.", "Here is another."]
    assert all(r["score"] is not None for r in body["rows"])
    status, spec, _ = call(server.url, "/v1/openapi.json")
    assert status == 200 and spec["openapi"].startswith("3.")
    assert {"/v1/translate", "/v1/align"} <= set(spec["paths"])
    status, settings, _ = call(server.url, "/frontend/settings")
    assert status == 200 and settings["keyRequired"] is False


# -- bad input: each gets a reason, and the server goes on ---------------------------------


@pytest.mark.parametrize(
    "body, reason",
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "must be an object"),
        ({"q": 12, "source": "nb", "target": "en"}, "q must be a string"),
        ({"q": ["a", 3], "source": "nb", "target": "en"}, "q must be a string"),
        ({"source": "nb", "target": "en"}, "missing q"),
        ({"q": "Hei", "source": "nb"}, "missing target"),
        ({"q": "Hei", "source": "xx", "target": "en"}, "xx is not supported"),
        ({"q": "Hei", "source": "nb", "target": "zz"}, "zz is not supported"),
        ({"q": "Hei", "source": ["nb"], "target": "en"}, "source must be a language code"),
        ({"q": "Hei", "source": "nb", "target": "en", "format": "pdf"}, "pdf format"),
        ({"q": "Hei", "source": "nb", "target": "en", "api_key": 5}, "api_key must be"),
    ],
)
def test_malformed_requests_get_400_with_a_reason(server, body, reason):
    status, answer, _ = call(server.url, "/translate", body)
    assert status == 400
    assert reason in answer["error"]
    still_answers(server.url)


def test_malformed_v1_requests_get_400(server):
    status, answer, _ = call(server.url, "/v1/translate", {"text": 5})
    assert status == 400 and "text must be a string" in answer["error"]
    status, answer, _ = call(server.url, "/v1/align", {"text": "Hei."})
    assert status == 400 and "missing translation" in answer["error"]
    status, answer, _ = call(server.url, "/detect", {})
    assert status == 400 and "missing q" in answer["error"]
    still_answers(server.url)


def test_a_request_with_a_wrong_host_is_refused(server):
    request = urllib.request.Request(
        server.url + "/languages", headers={"Host": "evil.example:5000"}
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=30)
    assert caught.value.code == 400
    still_answers(server.url)


# -- signals -------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_lets_the_request_in_flight_finish(installed_models, signum):
    """In-flight work finishes, new connections are refused, exit 0, no traceback."""
    serve = Serve(installed_models, "--no-cache", "--fast")
    try:
        # Two batches (the second still queued when the signal comes), greedy
        # decoding: well within the server's graceful-shutdown time (10 s) even
        # on a busy machine.
        text = " ".join(f"Setning nummer {i} handler om været i Oslo i dag." for i in range(200))
        answers: list = []
        sender = threading.Thread(
            target=lambda: answers.append(
                call(serve.url, "/translate", {"q": text, "source": "nb", "target": "en"})
            )
        )
        sender.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until the batcher holds the request
            _, status, _ = call(serve.url, "/v1/status")
            if status["models"][0]["requests"] >= 1:
                break
            sender.join(0.01)
        assert status["models"][0]["requests"] >= 1
        assert status["models"][0]["queued"] > 0, "the request finished before the stop"
        code = serve.signal(signum)
        sender.join(STOP_DEADLINE)
        assert code == 0
        assert answers and answers[0][0] == 200
        assert answers[0][1]["translatedText"] == text
        with pytest.raises(OSError):  # the port is closed: new requests are refused
            call(serve.url, "/languages")
        text = "".join(serve.stderr)
        assert "Traceback" not in text and "stopped" in text
    finally:
        serve.stop()


def test_non_loopback_needs_api_keys(installed_models):
    result = CliRunner().invoke(
        app, ["serve", "--host", "0.0.0.0", "--port", "0", "--models-dir", str(installed_models)]
    )
    assert result.exit_code == 2
    assert "--api-keys" in result.output
    assert os.environ.get("BITEXT_CACHE_DIR")  # the test memory, never ~/.cache
