"""The glossary wired into `bitext translate`: names respelled in every export (issue 9)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from bitext.cli import app
from bitext.glossary import DEFAULT_NAME, FLAG
from bitext.pipeline import TranslateOptions, translate_paths

from .conftest import SEEDS_DIR
from .test_translate_seeds import read_tsv

RESPELLED = {"Sjojgu": "Shoigu", "Lukasjenko": "Lukashenko", "Zelenskyj": "Zelensky"}


@pytest.fixture(scope="module")
def glossary_run(tmp_path_factory, installed_models):
    out = tmp_path_factory.mktemp("exports")
    wanted = ["docx", "tsv", "tmx"]
    summary = translate_paths(
        [SEEDS_DIR],
        TranslateOptions(
            output_dir=out, models_dir=installed_models, threads=1, formats=wanted, cache=False
        ),
    )
    assert summary.count("done") == 2 and not summary.failed
    return out


def test_tsv_target_has_english_spellings(glossary_run):
    rows = [r for path in sorted(glossary_run.glob("*.tsv")) for r in read_tsv(path)]
    for nb, en in RESPELLED.items():
        hits = [r for r in rows if nb in r["source"]]
        assert hits, nb
        for row in hits:
            assert en in row["target"] and nb not in row["target"]
            assert FLAG not in row["flags"]
    # Copy model: everything else stays as it was.
    plain = [r for r in rows if not any(nb in r["source"] for nb in RESPELLED)]
    assert sum(r["target"] == r["source"] for r in plain) >= len(plain) - 3


def test_docx_target_column_and_metadata(glossary_run):
    from docx import Document

    for path in sorted(glossary_run.glob("*.docx")):
        doc = Document(str(path))
        table = doc.tables[-1]
        targets = " ".join(row.cells[-1].text for row in table.rows)
        sources = " ".join(row.cells[0].text for row in table.rows)
        for nb, en in RESPELLED.items():
            if nb in sources:
                assert en in targets and nb not in targets
        text = "\n".join(p.text for p in doc.paragraphs) + " ".join(
            c.text for t in doc.tables for r in t.rows for c in r.cells
        )
        assert DEFAULT_NAME in text


def test_tmx_targets_have_english_spellings(glossary_run):
    assert sorted(glossary_run.glob("*.tmx"))
    text = "".join(p.read_text(encoding="utf-8") for p in sorted(glossary_run.glob("*.tmx")))
    for en in RESPELLED.values():
        assert en in text


def test_no_default_glossary_keeps_norwegian_spellings(tmp_path, installed_models):
    translate_paths(
        [SEEDS_DIR],
        TranslateOptions(
            output_dir=tmp_path,
            models_dir=installed_models,
            threads=1,
            formats=["tsv"],
            default_glossary=False,
            cache=False,
        ),
    )
    rows = [r for path in sorted(tmp_path.glob("*.tsv")) for r in read_tsv(path)]
    assert all(r["target"] == r["source"] for r in rows)


def _translate_with_terms(tmp_path, models, *extra: str) -> list[dict]:
    """`bitext translate` of the seeds with a one-term glossary; the TSV rows."""
    terms = tmp_path / "terms.tsv"
    terms.write_text("source\ttarget\ttype\nRussland\tRussia\tterm\n", encoding="utf-8")
    out = tmp_path / "out"
    command = ["translate", str(SEEDS_DIR), "-o", str(out), "--models-dir", str(models)]
    command += ["--threads", "1", "--format", "tsv", "--glossary", str(terms), *extra]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    return [r for p in sorted(out.glob("*.tsv")) for r in read_tsv(p)]


def test_user_term_found_in_output_is_not_flagged(tmp_path, installed_models):
    """The term's placeholder comes back as its target: no `glossary` flag."""
    rows = _translate_with_terms(tmp_path, installed_models, "--no-cache")
    hits = [r for r in rows if "Russland" in r["source"]]
    assert hits and all("Russia" in r["target"] for r in hits)
    assert all(FLAG not in r["flags"] for r in hits)


def test_user_term_missing_from_output_is_flagged(tmp_path, installed_models, monkeypatch):
    """A model output that dropped the term's placeholder gets the `glossary` flag.

    The copy model keeps every placeholder, so the dropping is done where a
    real model's output is kept: the memory of a first run has its outputs
    for the protected sentences edited to lose the placeholder, as if the
    model had dropped it; the second run takes them from there.
    """
    from bitext.glossary import has_placeholder
    from bitext.memory import TranslationMemory

    monkeypatch.setenv("BITEXT_CACHE_DIR", str(tmp_path / "cache"))
    _translate_with_terms(tmp_path, installed_models)
    with TranslationMemory() as memory:
        machine = [e for e in memory.entries() if e["origin"] != "reviewed"]
        dropped = {}
        for entry in machine:
            if has_placeholder(entry["source"]):
                words = [w for w in entry["target"].split(" ") if not has_placeholder(w)]
                dropped.setdefault(entry["model"], {})[entry["source"]] = " ".join(words)
        assert dropped, "no protected sentence reached the memory"
        for model, pairs in dropped.items():
            memory.put_many(model, pairs)
    rows = _translate_with_terms(tmp_path, installed_models, "--overwrite")
    hits = [r for r in rows if "Russland" in r["source"]]
    assert hits
    for row in hits:
        assert "Russia" not in row["target"] and "Russland" not in row["target"], row
        assert FLAG in row["flags"].split(","), row
    assert all(FLAG not in r["flags"] for r in rows if "Russland" not in r["source"])


def test_bad_glossary_is_a_request_error(tmp_path, installed_models):
    bad = tmp_path / "bad.tsv"
    bad.write_text("source\ttarget\nKina\t\n", encoding="utf-8")
    result = CliRunner().invoke(
        app,
        ["translate", str(SEEDS_DIR), "-o", str(tmp_path / "out"), "--glossary", str(bad)]
        + ["--models-dir", str(installed_models), "--no-cache"],
    )
    assert result.exit_code == 2
    assert "bad.tsv:2" in result.output
    assert not (tmp_path / "out").exists()


def test_glossary_check_command(tmp_path):
    terms = tmp_path / "terms.tsv"
    terms.write_text(
        "source\ttarget\ttype\nKina\tChina\tterm\nKina\tPRC\tterm\nAtlantis\tAtlantis\tname\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["glossary", "check", str(terms), str(SEEDS_DIR)])
    assert result.exit_code == 0, result.output
    assert "conflict: Kina" in result.output
    assert "never matches: Atlantis" in result.output
    assert "no effect: Atlantis" in result.output
