"""Installing from a package index over real HTTP (a server on 127.0.0.1).

The index is in the format of the real argospm index
(`tests/data/argospm-index.json`); the archives are the project's
own copy model, so each install ends in a package CTranslate2 really loads.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bitext.cli import app
from bitext.index import (
    DownloadError,
    fetch_index,
    index_url,
    install_from_index,
    parse_index,
)
from bitext.models import ModelError, list_installed, sha256_file, verify_installed

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_INDEX = ROOT / "tests" / "data" / "argospm-index.json"
FAST = {"retries": 2, "backoff": 0.01, "timeout": 10}


def _no_package(store: Path) -> None:
    assert list_installed(store) == []
    assert [p.name for p in store.iterdir() if not p.name.startswith(".")] == []
    assert not any(store.glob(".tmp-*"))


def test_install_pair_from_index_with_progress(copy_model_archive, tmp_path, model_server):
    base = model_server.publish(copy_model_archive)
    store = tmp_path / "models"
    seen = []
    result = install_from_index(
        "nb-en", store, index=base, progress=lambda done, total: seen.append((done, total)), **FAST
    )
    size = copy_model_archive.stat().st_size
    assert result.status == "installed"
    assert result.package.sha256 == sha256_file(copy_model_archive)
    assert result.package.source == f"{base}translate-nb_en-0_1.argosmodel"
    assert seen[-1] == (size, size) and all(t == size for _, t in seen)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert [r.ok for r in verify_installed(store)] == [True]
    assert list((store / ".downloads").glob("*.argosmodel*")) == []
    # Same code and version again: nothing downloaded, the cached index is used.
    before = list(model_server.requests)
    again = install_from_index("translate-nb_en", store, index=base, **FAST)
    assert again.status == "already installed" and model_server.requests == before


def test_digest_mismatch_with_pinned_table_is_refused(copy_model_archive, tmp_path, model_server):
    """An archive served as translate-nb_en 1.9 is not the real one: refused."""
    base = model_server.publish(copy_model_archive, version="1.9")
    store = tmp_path / "models"
    with pytest.raises(ModelError, match="does not match the expected ee2e3b35"):
        install_from_index("nb-en", store, index=base, **FAST)
    _no_package(store)
    assert list((store / ".downloads").iterdir()) == []  # the bad file is not kept


def test_sha256_option_pins_any_package(copy_model_archive, tmp_path, model_server):
    base = model_server.publish(copy_model_archive)
    store = tmp_path / "models"

    def install(digest: str):
        return CliRunner().invoke(
            app,
            ["models", "install", "nb-en", "--index", base, "--models-dir", str(store)]
            + ["--sha256", digest],
        )

    wrong = install("ab" * 32)
    assert wrong.exit_code == 2 and "does not match" in wrong.output
    _no_package(store)
    right = install(sha256_file(copy_model_archive))
    assert right.exit_code == 0, right.output
    assert "installed translate-nb_en 0.1 (nb-en)" in right.stdout


def test_dropped_connection_is_resumed_with_range(copy_model_archive, tmp_path, model_server):
    base = model_server.publish(copy_model_archive)
    model_server.drops["/translate-nb_en-0_1.argosmodel"] = 1
    store = tmp_path / "models"
    result = install_from_index("nb-en", store, index=base, **FAST)
    assert result.package.sha256 == sha256_file(copy_model_archive)
    half = int(copy_model_archive.stat().st_size * model_server.drop_at)
    assert model_server.ranges == [f"bytes={half}-"]


def test_dropped_connection_restarts_when_server_ignores_range(
    copy_model_archive, tmp_path, model_server
):
    base = model_server.publish(copy_model_archive)
    model_server.ranges_supported = False
    model_server.drops["/translate-nb_en-0_1.argosmodel"] = 1
    store = tmp_path / "models"
    result = install_from_index("nb-en", store, index=base, **FAST)
    assert result.package.sha256 == sha256_file(copy_model_archive)
    assert len(model_server.ranges) == 1  # asked to resume, got the whole file, restarted


def test_transient_http_errors_are_retried(copy_model_archive, tmp_path, model_server):
    base = model_server.publish(copy_model_archive)
    model_server.status["/translate-nb_en-0_1.argosmodel"] = [503, 502]
    result = install_from_index("nb-en", tmp_path / "models", index=base, **FAST)
    assert result.status == "installed"


def test_connection_that_keeps_dropping_fails_cleanly_then_resumes(
    copy_model_archive, tmp_path, model_server
):
    base = model_server.publish(copy_model_archive)
    path = "/translate-nb_en-0_1.argosmodel"
    model_server.drops[path] = 10
    store = tmp_path / "models"
    with pytest.raises(DownloadError) as info:
        install_from_index("nb-en", store, index=base, **FAST)
    message = str(info.value)
    assert "translate-nb_en-0_1.argosmodel" in message
    assert f"bitext models install translate-nb_en-0_1.argosmodel --models-dir {store}" in message
    _no_package(store)
    # What was fetched is kept and resumed by the next try.
    model_server.drops[path] = 0
    result = install_from_index("nb-en", store, index=base, **FAST)
    assert result.package.sha256 == sha256_file(copy_model_archive)
    assert len(model_server.ranges) == 2 + 1  # two retries, then the next install


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_index_unreachable_gives_offline_instructions(tmp_path):
    store = tmp_path / "models"
    result = CliRunner().invoke(
        app,
        [
            "models",
            "install",
            "nb-en",
            "--index",
            f"http://127.0.0.1:{_closed_port()}/",
            "--models-dir",
            str(store),
        ],
    )
    assert result.exit_code == 2
    assert "Cannot download from" in result.output
    assert "https://argos-net.com/v1/translate-nb_en-1_9.argosmodel" in result.output
    assert (
        f"bitext models install translate-nb_en-1_9.argosmodel --models-dir {store}"
        in result.output
    )
    assert list_installed(store) == []


def test_available_lists_the_real_index_and_caches_it(tmp_path, model_server):
    entries = json.loads(REFERENCE_INDEX.read_text(encoding="utf-8"))
    model_server.entries = entries
    store = tmp_path / "models"
    runner = CliRunner()
    args = ["models", "available", "--index", model_server.base, "--models-dir", str(store)]
    result = runner.invoke(app, [*args, "--from", "nb", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["code"], r["version"], r["file"]) for r in rows] == [
        ("translate-nb_en", "1.9", "translate-nb_en-1_9.argosmodel")
    ]
    assert rows[0]["pinned_sha256"].startswith("ee2e3b35")
    assert len(parse_index(REFERENCE_INDEX.read_bytes(), "ref")) == len(entries)
    # Served from the cache now, even with the server gone; --refresh goes back to it.
    model_server.close()
    cached = runner.invoke(app, [*args, "--to", "en"])
    assert cached.exit_code == 0 and "translate-nb_en\tnb-en\t1.9" in cached.stdout
    refreshed = runner.invoke(app, [*args, "--refresh"])
    assert refreshed.exit_code == 0 and "using the cached index" in refreshed.output


def test_index_address_follows_argos_setting(monkeypatch):
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://mirror.example/argos")
    assert index_url() == "http://mirror.example/argos/index.json"
    assert index_url("http://other/x.json") == "http://other/x.json"


def test_translate_download_installs_the_missing_pair(copy_model_archive, tmp_path, model_server):
    base = model_server.publish(copy_model_archive)
    store, out = tmp_path / "models", tmp_path / "out"
    seed = next((ROOT / "seeds").glob("*.txt"))
    command = [
        sys.executable,
        "-m",
        "bitext",
        "translate",
        str(seed),
        "-o",
        str(out),
        "--models-dir",
        str(store),
        "--format",
        "tsv",
        "--threads",
        "1",
        "--no-cache",
    ]
    env = {**os.environ, "ARGOS_PACKAGE_INDEX": base}
    without = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert without.returncode == 2 and "bitext models install nb-en" in without.stderr
    assert not out.exists() or list(out.iterdir()) == []
    done = subprocess.run(
        [*command, "--download"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "downloaded" in done.stderr
    assert [p.pair for p in list_installed(store)] == ["nb-en"]
    assert list(out.glob("*.tsv"))


def test_fetch_index_without_cache_or_network_names_the_problem(tmp_path):
    with pytest.raises(DownloadError, match="Cannot download from"):
        fetch_index(f"http://127.0.0.1:{_closed_port()}/", tmp_path / "m")
