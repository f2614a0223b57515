"""One sentence never fails a document (issue 22): position limits and split-and-retry.

The models are real Argos packages built by `bitext.copymodel` with a short
position table (`max_positions=256`, and 64) and, for one of them, a word
on which the model runs on without stopping (`run_on_word`), installed
through the normal code path and run by CTranslate2. Before this issue, the
run-on sentence failed its whole article with "No position encodings are
defined for positions >= 256" once a longer sentence shared its batch.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bitext.cli import app
from bitext.copymodel import build_copy_package
from bitext.engine import Translator
from bitext.models import find_package, install_archive
from bitext.pipeline import TranslateOptions, translate_paths
from bitext.positions import (
    FAILED,
    POSITION_LIMIT,
    PositionLimits,
    Unfinished,
    read_position_limits,
)

RUN_ON = "Zyzzogeton"
LONG = " ".join(["Regjeringen har besluttet at forsvarsbudsjettet skal økes betydelig"] * 14) + "."
ARTICLE = f""" date 2025-09-02 Statsministeren på pressekonferansen. Foto: NTB

Regjeringen øker forsvarsbudsjettet

Regjeringen har besluttet at budsjettet skal økes de neste årene.

Ministeren snakket lenge om {RUN_ON} i Oslo. Norge og Kina har inngått en ny avtale.

{LONG}

Det sier statsministeren til NTB.
"""


def _store(tmp_path_factory, name: str, **build) -> Path:
    archive = tmp_path_factory.mktemp(name) / "translate-nb_en.argosmodel"
    build_copy_package(archive, size="test", **build)
    store = tmp_path_factory.mktemp(f"{name}-models")
    install_archive(archive, store)
    return store


@pytest.fixture(scope="module")
def run_on_models(tmp_path_factory) -> Path:
    """A 256-position model that runs on at RUN_ON."""
    return _store(tmp_path_factory, "runon", max_positions=256, run_on_word=RUN_ON)


@pytest.fixture(scope="module")
def short_models(tmp_path_factory) -> Path:
    """A model with a 64-position table (and no run-on word)."""
    return _store(tmp_path_factory, "short", max_positions=64)


@pytest.fixture()
def article(tmp_path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "artikkel.txt").write_text(ARTICLE, encoding="utf-8")
    return folder


def _translator(store: Path) -> Translator:
    return Translator(find_package("nb", "en", store), threads=1)


def test_limits_are_read_from_the_model(installed_models, run_on_models, short_models):
    def limits(store):
        return read_position_limits(find_package("nb", "en", store).path / "model")

    assert limits(installed_models) == PositionLimits(encoder=1024, decoder=1024)
    assert limits(run_on_models) == PositionLimits(encoder=256, decoder=256)
    assert limits(short_models) == PositionLimits(encoder=64, decoder=64)
    assert read_position_limits(Path("/nonexistent")) == PositionLimits()


def test_input_pieces_are_bounded_by_a_short_table(short_models):
    translator = _translator(short_models)
    assert translator.max_input_tokens == 62
    assert len(translator.tokenize(LONG)) > 200  # several pieces of the 64-position model
    assert translator.translate([LONG]) == [LONG]  # and no position error


def test_a_run_on_sentence_is_cut_at_the_limit_and_flagged(run_on_models):
    """Batched with a long sentence, the run-on one would decode past 256 positions:
    the bound read from the model cuts it there; alone, it is cut at CTranslate2's
    usual 256 tokens. Either way only it is flagged."""
    translator = _translator(run_on_models)
    sentences = ["Regjeringen har besluttet at budsjettet skal økes.", f"Dette om {RUN_ON}.", LONG]
    out = translator.translate(sentences)
    assert out[0] == sentences[0] and out[2] == LONG
    assert isinstance(out[1], Unfinished) and out[1].flag == POSITION_LIMIT
    assert "position limit (256 positions)" in out[1].reason
    (alone,) = translator.translate([f"Dette om {RUN_ON} igjen."])
    assert isinstance(alone, Unfinished) and alone.flag == FAILED
    assert "did not stop within 256 tokens" in alone.reason


def test_a_failing_batch_is_retried_down_to_the_sentence_that_fails(run_on_models):
    """Without known limits (a model whose files do not tell them), CTranslate2
    refuses the batch; the retry in halves isolates the one sentence."""
    translator = _translator(run_on_models)
    translator.limits = PositionLimits()
    bad = f"{LONG[:-1]} og {RUN_ON}."
    assert len(translator.tokenize(bad)) > 130  # decoding asked for past 256 positions
    good = ["Norge og Kina har inngått en ny avtale.", LONG, "Det sier statsministeren."]
    out = translator.translate([good[0], bad, *good[1:]])
    assert [out[0], *out[2:]] == good
    assert isinstance(out[1], Unfinished) and out[1].flag == FAILED
    assert "No position encodings are defined for positions >= 256" in out[1].reason
    assert translator.last_stats.translated == 4


def test_an_unfinished_sentence_is_not_stored_in_the_memory(run_on_models, tmp_path):
    from bitext.memory import TranslationMemory

    translator = _translator(run_on_models)
    with TranslationMemory(tmp_path / "memory.sqlite3") as memory:
        translator.translate([f"Dette om {RUN_ON}.", "Norge."], memory=memory)
        assert translator.last_stats.translated == 2
        translator.translate([f"Dette om {RUN_ON}.", "Norge."], memory=memory)
        assert translator.last_stats.cached == 1  # the unfinished one is tried again


def _tsv(path: Path) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter="\t")
    header = next(reader)
    return [dict(zip(header, row)) for row in reader]


def _check_article(out: Path, summary: dict) -> None:
    """The article is written, only the run-on sentence flagged, the summary counts it."""
    assert summary["done"] == 1 and summary["failed"] == 0, summary
    assert summary["failed_sentences"] == 1
    rows = _tsv(out / "artikkel.tsv")
    flagged = [r for r in rows if FAILED in r["flags"] or POSITION_LIMIT in r["flags"]]
    assert [r["source"] for r in flagged] == [f"Ministeren snakket lenge om {RUN_ON} i Oslo."]
    others = [r for r in rows if r not in flagged]
    assert others and all(r["target"] == r["source"] for r in others)
    (result,) = summary["results"]
    assert any("block 4 sentence 1: flagged position-limit" in w for w in result["warnings"])


def test_the_article_is_exported_and_the_cli_exits_3(tmp_path, article, run_on_models):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "translate",
            str(article),
            "-o",
            str(out),
            "--models-dir",
            str(run_on_models),
            "-f",
            "tsv,docx",
            "--threads",
            "1",
            "--no-cache",
            "--json",
        ],  # fmt: skip
    )
    assert result.exit_code == 3, result.output
    _check_article(out, json.loads(result.stdout))
    assert "flagged position-limit: decoding reached the model's position limit" in (result.stderr)
    human = CliRunner().invoke(
        app,
        [
            "translate",
            str(article),
            "-o",
            str(tmp_path / "again"),
            "--models-dir",
            str(run_on_models),
            "-f",
            "tsv",
            "--threads",
            "1",
            "--no-cache",
        ],  # fmt: skip
    )
    assert human.exit_code == 3
    assert "failed sentences: 1" in human.stdout


def test_the_ray_engine_does_the_same(tmp_path, article, run_on_models, monkeypatch):
    pytest.importorskip("ray", reason="the optional extra 'ray' is not installed")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    options = dict(formats=["tsv", "docx"], models_dir=run_on_models, threads=1, cache=False)
    local = translate_paths([article], TranslateOptions(output_dir=tmp_path / "local", **options))
    ray = translate_paths(
        [article], TranslateOptions(output_dir=tmp_path / "ray", engine="ray", **options)
    )
    _check_article(tmp_path / "ray", ray.as_dict())
    for name in ("artikkel.tsv", "artikkel.docx"):
        assert (tmp_path / "ray" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert local.as_dict()["failed_sentences"] == ray.as_dict()["failed_sentences"] == 1
    shutil.rmtree(tmp_path / "ray")
