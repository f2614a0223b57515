"""Messages that fit the user: versions, help screens, hints for the route
bitext was started by, absolute folders, counts, "No articles found", and a
test model that says it is one."""

from __future__ import annotations

import json
import os
import platform
import re
import shutil
import subprocess
import sys
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bitext import __version__
from bitext.cli import app
from bitext.invocation import command_prefix, python_prefix
from bitext.models import missing_model_message, read_installed
from bitext.wording import counted

from .conftest import SEEDS_DIR

SEED = SEEDS_DIR / "000_971f0af4c1b6c782.txt"


def run(*args: str, cwd: Path | None = None, env: dict | None = None):
    """`python -m bitext ARGS` in a child process (its own cwd and environment)."""
    return subprocess.run(
        [sys.executable, "-m", "bitext", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def plain_help(*command: str) -> str:
    result = CliRunner().invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_names_bitext_ctranslate2_and_python(flag):
    result = CliRunner().invoke(app, [flag])
    assert result.exit_code == 0
    expected = (
        f"bitext {__version__} (CTranslate2 {version('ctranslate2')}, "
        f"Python {platform.python_version()})"
    )
    assert result.output.strip() == expected


def test_the_package_version_is_the_one_bitext_reports():
    assert version("bitext") == __version__


@pytest.mark.parametrize("command", [[], ["translate"], ["align"], ["models", "install"]])
def test_help_shows_no_type_for_flags_and_no_markup_loss(command):
    text = plain_help(*command)
    assert "<bool>" not in text
    assert "[default: default]" not in text
    assert "{" not in text.split("\n\n")[0]


def test_help_keeps_the_extra_and_usage_lines_name_arguments():
    # CliRunner calls the program "root"; the words after it are bitext's.
    assert "pip install 'bitext[ray]'" in " ".join(plain_help("translate").split())
    assert " align [OPTIONS] SOURCE [TARGET]" in plain_help("align")
    assert " translate [OPTIONS] [PATHS]..." in plain_help("translate")
    assert " models install [OPTIONS] PACKAGE" in plain_help("models", "install")


@pytest.mark.parametrize(
    ("n", "noun", "expected"),
    [
        (0, "document", "0 documents"),
        (1, "document", "1 document"),
        (2, "pair", "2 pairs"),
        (1, "entry", "1 entry"),
        (3, "entry", "3 entries"),
        (1, "other file", "1 other file"),
    ],
)
def test_counted(n, noun, expected):
    assert counted(n, noun) == expected


@pytest.mark.parametrize(
    ("environ", "argv0", "expected"),
    [
        ({"UV": "/opt/uv", "VIRTUAL_ENV": sys.prefix}, "/x/.venv/bin/bitext", "uv run bitext"),
        ({"UV": "/opt/uv"}, "/x/bin/bitext", "uv run bitext"),
        ({"UV": "/opt/uv", "VIRTUAL_ENV": "/elsewhere/venv"}, "/x/bin/bitext", "bitext"),
        ({}, "/x/.local/bin/bitext", "bitext"),
        ({}, "/x/bitext/__main__.py", "python -m bitext"),
        ({}, "/x/pytest/__main__.py", "bitext"),
        ({"UV": "/opt/uv"}, "/x/bitext/__main__.py", "uv run python -m bitext"),
    ],
)
def test_hints_name_the_command_as_it_was_started(environ, argv0, expected):
    assert command_prefix(environ, argv0) == expected


def test_missing_model_hint_without_uv_names_bitext_and_absolute_folders(tmp_path, monkeypatch):
    monkeypatch.delenv("UV", raising=False)
    monkeypatch.delenv("ARGOS_PACKAGE_INDEX", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/bitext"])
    monkeypatch.chdir(tmp_path)
    text = missing_model_message("nb", "en", Path("models"))
    store = tmp_path / "models"
    assert f"is installed in {store}." in text
    assert f"\n  bitext models install nb-en --models-dir {store}\n" in text
    assert "uv run" not in text
    assert f"{python_prefix()} -m bitext.copymodel copy.argosmodel" in text
    # One index address: the index in effect, and the known archive's own link.
    addresses = set(re.findall(r"https?://[^\s)]+", text))
    assert addresses == {
        "https://argos-net.com/v1/translate-nb_en-1_9.argosmodel",
        "https://raw.githubusercontent.com/argosopentech/argospm-index/main/index.json",
    }


def test_missing_model_hint_under_uv_says_uv_run_and_follows_a_mirror(tmp_path, monkeypatch):
    monkeypatch.setenv("UV", "/opt/uv")
    monkeypatch.setenv("VIRTUAL_ENV", sys.prefix)
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/mirror/")
    text = missing_model_message("de", "en", tmp_path / "m")
    assert f"uv run bitext models install de-en --models-dir {tmp_path / 'm'}" in text
    assert "bitext.copymodel" not in text  # the test model is nb -> en only
    assert "the package index http://127.0.0.1:9/mirror/index.json" in text
    assert "argosopentech" not in text


@pytest.mark.parametrize("command", ["translate", "detect"])
def test_an_empty_folder_is_no_articles_found_exit_2(command, tmp_path, installed_models):
    empty = tmp_path / "empty"
    empty.mkdir()
    models = ["--models-dir", str(installed_models)] if command == "translate" else []
    done = run(command, str(empty), *models, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert f"No articles found in {empty}: no files there" in done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("command", ["translate", "detect"])
def test_a_folder_of_images_names_each_file_skipped(command, tmp_path, installed_models):
    folder = tmp_path / "pictures"
    folder.mkdir()
    for name in ("a.png", "b.jpg"):
        (folder / name).write_bytes(b"\x89PNG\r\n")
    out = tmp_path / "out"
    done = run(
        command,
        "pictures",
        "-o" if command == "translate" else "--json",
        *(["out"] if command == "translate" else []),
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert f"No articles found in {folder}: 2 files were skipped" in done.stderr
    assert f"{folder / 'a.png'}: not an article format: a .png file (image/png)" in done.stderr
    assert f"{folder / 'b.jpg'}: not an article format: a .jpg file" in done.stderr
    assert not out.exists()


def test_no_arguments_outside_a_clone_says_what_to_give(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "UV"}
    done = run("translate", cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert f"no seeds/ folder in {tmp_path}" in done.stderr
    assert "python -m bitext translate ARTICLES/" in done.stderr
    assert "no such file or folder" not in done.stderr


def test_summary_counts_documents_apart_from_other_files_and_names_the_test_model(
    tmp_path, installed_models
):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder)
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    done = run(
        "translate",
        "in",
        "-o",
        "out",
        "--format",
        "docx,xliff,tmx,xlsx,tsv",
        "--models-dir",
        str(installed_models),
        "--threads",
        "1",
        "--no-cache",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("1 document: 1 done, 0 skipped, 0 failed (1 other file skipped: ")
    assert "1 documents" not in done.stdout
    label = "translate-nb_en 0.1 (test model: copies its input, does not translate)"
    assert f"model: {label}" in done.stdout
    out = tmp_path / "out"
    with zipfile.ZipFile(out / f"{SEED.stem}.docx") as docx:
        assert label in docx.read("word/document.xml").decode("utf-8")
    assert label in (out / f"{SEED.stem}.xlf").read_text(encoding="utf-8")
    tmx = (out / f"{SEED.stem}.tmx").read_text(encoding="utf-8")
    assert f'<prop type="x-model">{label}</prop>' in tmx.split("</header>")[0]
    from openpyxl import load_workbook

    assert load_workbook(out / f"{SEED.stem}.xlsx").properties.description == f"Model: {label}"


def test_models_list_and_install_say_test_model(tmp_path, copy_model_archive):
    store = tmp_path / "models"
    done = run("models", "install", str(copy_model_archive), "--models-dir", str(store))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"installed translate-nb_en 0.1 (nb-en) in {store}/")
    assert done.stdout.rstrip().endswith("(test model: copies its input, does not translate)")
    listed = run("models", "list", "--models-dir", str(store), "--json")
    row = json.loads(listed.stdout)
    assert row["test_model"] is True
    assert row["label"].endswith("(test model: copies its input, does not translate)")


def test_a_package_without_the_test_mark_is_not_called_one(installed_models, tmp_path):
    package = next(p for p in installed_models.iterdir() if (p / "metadata.json").is_file())
    copy = tmp_path / package.name
    shutil.copytree(package, copy)
    metadata = json.loads((copy / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["test_model"] is True and "copies its input" in metadata["description"]
    del metadata["test_model"]
    (copy / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    installed = read_installed(copy)
    assert installed.test_note is None
    assert installed.label == "translate-nb_en 0.1"
