"""The SQLite translation memory, alone, with two writers, and in the pipeline (issue 6)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap

import pytest
from typer.testing import CliRunner

from bitext.cli import app
from bitext.memory import FILE_NAME, TranslationMemory, default_path
from bitext.pipeline import TranslateOptions, translate_paths

from .conftest import SEEDS_DIR
from .exported import exported


def test_roundtrip_per_model_key(tmp_path):
    with TranslationMemory(tmp_path / "m.sqlite3") as memory:
        pairs = {f"setning {i}\tmed «tegn»\n": f"sentence {i}" for i in range(1200)}
        memory.put_many("model-a", pairs)
        memory.put_many("model-b", {"setning 1\tmed «tegn»\n": "other"})
        found = memory.get_many("model-a", list(pairs) + ["unknown"])
        assert found == pairs
        assert memory.get_many("model-b", list(pairs)) == {"setning 1\tmed «tegn»\n": "other"}
        memory.put_many("model-b", [("setning 1\tmed «tegn»\n", "replaced")])
        assert memory.get_many("model-b", ["setning 1\tmed «tegn»\n"]) == {
            "setning 1\tmed «tegn»\n": "replaced"
        }
        info = memory.info()
        assert info["entries"] == 1201
        assert info["models"] == {"model-a": 1200, "model-b": 1}
        assert info["bytes"] > 0
        assert memory.clear() == 1201
        assert memory.info()["entries"] == 0


def test_wal_mode_and_persistence(tmp_path):
    path = tmp_path / "m.sqlite3"
    with TranslationMemory(path) as memory:
        memory.put_many("m", {"a": "b"})
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with TranslationMemory(path) as memory:
        assert memory.get_many("m", ["a"]) == {"a": "b"}


def test_default_location(monkeypatch, tmp_path):
    monkeypatch.setenv("BITEXT_CACHE_DIR", str(tmp_path / "c"))
    assert default_path() == tmp_path / "c" / FILE_NAME
    monkeypatch.delenv("BITEXT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_path() == tmp_path / "x" / "bitext" / FILE_NAME


WRITER = textwrap.dedent(
    """
    import sys
    from bitext.memory import TranslationMemory
    name, path = sys.argv[1], sys.argv[2]
    with TranslationMemory(path) as memory:
        for batch in range(40):
            memory.put_many("m", {f"{name} {batch} {i}": name for i in range(50)})
            memory.put_many("common", {f"s {batch} {i}": "same" for i in range(50)})
            assert len(memory.get_many("m", [f"{name} {batch} {i}" for i in range(50)])) == 50
    """
)


def test_two_runs_at_once(tmp_path):
    """Two processes writing and reading the same file: no lock errors, nothing lost."""
    path = tmp_path / "m.sqlite3"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, str(path)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("one", "two")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    with TranslationMemory(path) as memory:
        assert memory.info()["models"] == {"m": 4000, "common": 2000}


@pytest.fixture()
def run_seeds(tmp_path, installed_models):
    def run(out: str, **kwargs):
        options = TranslateOptions(
            output_dir=tmp_path / out,
            models_dir=installed_models,
            threads=1,
            cache_path=tmp_path / "memory.sqlite3",
            **kwargs,
        )
        return translate_paths([SEEDS_DIR], options)

    return run


def test_warm_run_translates_nothing_and_writes_the_same_files(run_seeds, tmp_path):
    cold = run_seeds("cold")
    assert cold.model_sentences > 40 and cold.cached_sentences == 0
    warm = run_seeds("warm")
    assert warm.model_sentences == 0
    assert warm.cached_sentences == cold.model_sentences
    for name in sorted(p.name for p in exported(tmp_path / "cold")):
        assert (tmp_path / "cold" / name).read_bytes() == (tmp_path / "warm" / name).read_bytes()
    assert warm.as_dict()["cache"] == {"hits": cold.model_sentences, "translated": 0, "reviewed": 0}
    # The analysis of each article (detection, sentences) is kept too.
    with TranslationMemory(tmp_path / "memory.sqlite3") as memory:
        assert memory.info()["documents"] == 2


def test_edited_article_is_analysed_again(run_seeds, tmp_path, installed_models):
    folder = tmp_path / "articles"
    folder.mkdir()
    article = folder / "a.txt"
    article.write_text("Statsministeren møtte pressen i Oslo i dag.\n", encoding="utf-8")
    options = TranslateOptions(
        output_dir=tmp_path / "out",
        models_dir=installed_models,
        threads=1,
        formats=["tsv"],
        overwrite=True,
        cache_path=tmp_path / "memory.sqlite3",
    )
    translate_paths([folder], options)
    article.write_text(
        "Statsministeren møtte pressen i Oslo i dag. Hun svarte på spørsmål.\n", encoding="utf-8"
    )
    summary = translate_paths([folder], options)
    assert summary.results[0].sentences == 2
    assert summary.model_sentences == 1 and summary.cached_sentences == 1
    with TranslationMemory(tmp_path / "memory.sqlite3") as memory:
        assert memory.info()["documents"] == 2


def test_a_cached_analysis_warns_with_the_name_being_read_now(tmp_path, installed_models):
    text = "Blåbær og “sitater” koster 10 € i butikken på hjørnet i dag.\n".encode("cp1252")
    first, second = tmp_path / "old" / "x.txt", tmp_path / "new place" / "x.txt"
    for path in (first, second):
        path.parent.mkdir()
        path.write_bytes(text)
    options = TranslateOptions(
        output_dir=tmp_path / "out",
        models_dir=installed_models,
        threads=1,
        formats=["tsv"],
        overwrite=True,
        source_lang="nb",
        cache_path=tmp_path / "memory.sqlite3",
    )
    translate_paths([first], options)
    summary = translate_paths([second], options)
    with TranslationMemory(tmp_path / "memory.sqlite3") as memory:
        assert memory.info()["documents"] == 1  # the second run used the cached analysis
    assert summary.results[0].warnings == [f"{second}: not valid UTF-8, decoded as Windows-1252"]


def test_no_cache_leaves_no_file(run_seeds, tmp_path):
    summary = run_seeds("out", cache=False)
    assert summary.count("done") == 2 and summary.model_sentences > 40
    assert not (tmp_path / "memory.sqlite3").exists()


def test_changed_glossary_is_never_served_stale(run_seeds, tmp_path):
    """The memory keys on what the model saw: protected terms miss the cache."""
    cold = run_seeds("plain")
    terms = tmp_path / "terms.tsv"
    terms.write_text("source\ttarget\ttype\nKina\tthe PRC\tterm\n", encoding="utf-8")
    with_terms = run_seeds("terms", glossaries=[terms])
    changed = sum(
        1
        for path in SEEDS_DIR.glob("*.txt")
        for line in path.read_text(encoding="utf-8").splitlines()
        if "Kina" in line
    )
    assert changed > 0
    assert 0 < with_terms.model_sentences < cold.model_sentences
    tsv = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "terms").glob("*.tsv"))
    assert "the PRC" in tsv and "XZQ" not in tsv


def test_cache_commands(tmp_path, monkeypatch):
    monkeypatch.setenv("BITEXT_CACHE_DIR", str(tmp_path))
    with TranslationMemory() as memory:
        memory.put_many("some-model", {"a": "b", "c": "d"})
    runner = CliRunner()
    result = runner.invoke(app, ["cache", "info"])
    assert result.exit_code == 0, result.output
    assert str(tmp_path / FILE_NAME) in result.output
    assert "entries\t2" in result.output and "some-model" in result.output
    result = runner.invoke(app, ["cache", "clear"])
    assert result.exit_code == 0 and "removed 2 entries" in result.output
    result = runner.invoke(app, ["cache", "info", "--json"])
    assert '"entries": 0' in result.output


def test_unreadable_memory_is_a_request_error(tmp_path, installed_models):
    from bitext.pipeline import RequestError

    broken = tmp_path / "memory.sqlite3"
    broken.write_bytes(b"this is not a database" * 100)
    options = TranslateOptions(
        output_dir=tmp_path / "out", models_dir=installed_models, cache_path=broken
    )
    with pytest.raises(RequestError, match="--no-cache"):
        translate_paths([SEEDS_DIR], options)
    assert broken.read_bytes() == b"this is not a database" * 100


def test_clear_older_than_keeps_recent_entries(tmp_path, monkeypatch):
    monkeypatch.setenv("BITEXT_CACHE_DIR", str(tmp_path))
    with TranslationMemory() as memory:
        memory.put_many("model-a", {"gammel": "old", "ny": "new"})
        memory.put_many("model-b", {"gammel": "old too"})
        memory.put_document("old-doc", "{}")
        memory.put_document("new-doc", "{}")
        path = memory.path
    day = 86400
    with sqlite3.connect(path) as db:  # as if stored 100 days ago
        db.execute(
            "UPDATE translations SET created = created - ? WHERE source = 'gammel'", (100 * day,)
        )
        db.execute("UPDATE documents SET created = created - ? WHERE key = 'old-doc'", (100 * day,))
    result = CliRunner().invoke(app, ["cache", "clear", "--older-than", "30"])
    assert result.exit_code == 0, result.output
    assert "removed 2 entries" in result.output
    with TranslationMemory() as memory:
        assert memory.get_many("model-a", ["gammel", "ny"]) == {"ny": "new"}
        assert memory.get_many("model-b", ["gammel"]) == {}
        assert memory.get_document("old-doc") is None
        assert memory.get_document("new-doc") == "{}"
    assert CliRunner().invoke(app, ["cache", "clear", "--older-than", "-1"]).exit_code == 2
