"""Command-line options no other test reached (issue 29): each through `bitext` itself.

`--device cuda` on a machine without a GPU, `--compute-type`, `--granularity`,
`models install --force`, and the choice among several installed versions
of one package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import docx
import pytest
from typer.testing import CliRunner

from bitext.cli import app
from bitext.models import find_package, install_archive, list_installed

from .conftest import ROOT, SEEDS_DIR

SEED = SEEDS_DIR / "002_a3320b0741197cf2.txt"
BLOCKS, SENTENCES = 11, 19  # of that seed (tests/test_translate_seeds.py)


def _translate(tmp_path: Path, models: Path, *extra: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "bitext", "translate", str(SEED), "-o", str(tmp_path / "out")]
    command += ["--models-dir", str(models), "--threads", "1", "--json", *extra]
    env = {**os.environ, "BITEXT_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def test_device_cuda_without_a_gpu_exits_2_and_writes_nothing(tmp_path, installed_models):
    import ctranslate2

    if ctranslate2.get_cuda_device_count() > 0:
        pytest.skip("CTranslate2 sees a CUDA device here: --device cuda is not refused")
    done = _translate(tmp_path, installed_models, "--device", "cuda")
    assert done.returncode == 2, done.stderr
    assert "--device cuda: CTranslate2 sees no CUDA device" in done.stderr
    assert "use --device cpu or auto" in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["translate", "review", "serve"])
def test_an_unknown_compute_type_exits_2_before_anything_is_read(tmp_path, command):
    args = [command, "--compute-type", "int7", "--models-dir", str(tmp_path / "none")]
    if command == "translate":
        args += [str(SEED), "-o", str(tmp_path / "out")]
    if command == "review":
        args += [str(tmp_path / "out"), "--no-browser"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "--compute-type must be one of" in result.output and "'int7'" in result.output
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("compute_type", ["float32", "int8"])
def test_compute_type_reaches_the_engine(tmp_path, installed_models, compute_type):
    """The memory keys its entries by model and compute type: the one asked for is there."""
    from bitext.memory import TranslationMemory

    done = _translate(tmp_path, installed_models, "--compute-type", compute_type)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["done"] == 1
    with TranslationMemory(tmp_path / "cache" / "memory.sqlite3") as memory:
        models = {e["model"] for e in memory.entries() if e["origin"] == "model"}
    assert models and all(f"|{compute_type}|" in model for model in models), models


@pytest.mark.parametrize(("granularity", "rows"), [("block", BLOCKS), ("sentence", SENTENCES)])
def test_granularity_sets_the_rows_of_the_tsv(tmp_path, installed_models, granularity, rows):
    done = _translate(
        tmp_path, installed_models, "--granularity", granularity, "--format", "tsv", "--no-cache"
    )
    assert done.returncode == 0, done.stderr
    lines = (tmp_path / "out" / f"{SEED.stem}.tsv").read_text(encoding="utf-8").splitlines()
    assert len(lines) - 1 == rows  # less the header


def test_a_bad_granularity_exits_2(tmp_path, installed_models):
    done = _translate(tmp_path, installed_models, "--granularity", "word")
    assert done.returncode == 2
    assert "--granularity must be 'block' or 'sentence'" in done.stderr
    assert not (tmp_path / "out").exists()


def test_models_install_force_downloads_an_installed_version_again(
    copy_model_archive, tmp_path, model_server
):
    base = model_server.publish(copy_model_archive)
    store = tmp_path / "models"
    command = ["models", "install", "nb-en", "--index", base, "--models-dir", str(store)]
    first = CliRunner().invoke(app, command)
    assert first.exit_code == 0, first.output
    downloads = [r for r in model_server.requests if r.endswith(".argosmodel")]
    again = CliRunner().invoke(app, command)
    assert again.exit_code == 0 and again.output.startswith("already installed")
    assert [r for r in model_server.requests if r.endswith(".argosmodel")] == downloads
    forced = CliRunner().invoke(app, [*command, "--force"])
    assert forced.exit_code == 0, forced.output
    assert not forced.output.startswith("already installed"), forced.output
    assert len([r for r in model_server.requests if r.endswith(".argosmodel")]) > len(downloads)
    assert [p.version for p in list_installed(store)] == ["0.1"]


def test_the_newest_of_several_installed_versions_translates(tmp_path, copy_model_archive):
    """Two versions of one package side by side (as another tool may leave them):
    `find_package` and a run both take the newest, whichever folder name sorts first."""
    from bitext.copymodel import build_copy_package

    newer = build_copy_package(tmp_path / "newer.argosmodel", package_version="0.10")
    store, other = tmp_path / "models", tmp_path / "other"
    install_archive(newer, other)
    install_archive(copy_model_archive, store)  # 0.1
    (package,) = list_installed(other)
    shutil.copytree(package.path, store / "aaa-translate-nb_en-0_10")
    assert sorted(p.version for p in list_installed(store)) == ["0.1", "0.10"]
    assert find_package("nb", "en", store).version == "0.10"  # 10 > 1, not "0.10" < "0.1"
    done = _translate(tmp_path, store, "--format", "docx", "--no-cache")
    assert done.returncode == 0, done.stderr
    review = docx.Document(str(tmp_path / "out" / f"{SEED.stem}.docx"))
    text = "\n".join(p.text for p in review.paragraphs)
    assert "translate-nb_en 0.10" in text and "translate-nb_en 0.1\n" not in text
