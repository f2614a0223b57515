"""`bitext serve --exports DIR`: the API and the review pages in one app.

One security layer for both: the API answers programs without a session, the
review pages still need the token, and the two share one server and lifecycle.
"""

from __future__ import annotations

import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bitext.pipeline import TranslateOptions, translate_paths
from bitext.runs import RequestError
from bitext.web.app import SESSION_COOKIE, Settings
from bitext.web.server import running
from bitext.web.service import ServeOptions
from bitext.web.serving import build_app

from .conftest import SEEDS_DIR


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory, installed_models) -> tuple[Path, TranslateOptions]:
    base = tmp_path_factory.mktemp("serve-review")
    options = TranslateOptions(
        output_dir=base / "exports",
        formats=["tsv", "jsonl"],
        models_dir=installed_models,
        cache_path=base / "memory.sqlite3",
    )
    assert translate_paths([SEEDS_DIR], options).count("done") == 2
    return base / "exports", TranslateOptions(
        models_dir=installed_models, cache_path=base / "memory.sqlite3"
    )


def _get(port: int, path: str, headers: dict | None = None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_the_api_and_the_review_pages_share_one_app(run_folder):
    exports, options = run_folder
    settings = Settings()
    app = build_app(ServeOptions(translate=options), settings, exports)
    with running(app) as base:
        port = urlsplit(base).port
        status, body = _get(port, "/languages")
        assert status == 200 and any(lang["code"] == "nb" for lang in json.loads(body))
        assert _get(port, "/")[0] == 403  # the pages need the session
        session = {"Cookie": f"{SESSION_COOKIE}={settings.session_value}"}
        status, body = _get(port, "/", session)
        assert status == 200
        assert b"000_971f0af4c1b6c782" in body and b"002_a3320b0741197cf2" in body


def test_a_folder_without_a_run_is_a_request_error(tmp_path, run_folder):
    _, options = run_folder
    with pytest.raises(RequestError, match="no run report"):
        build_app(ServeOptions(translate=options), Settings(), tmp_path)
