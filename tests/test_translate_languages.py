"""Which articles go through the nb->en model (issue 29): Nynorsk does; an
article whose language cannot be told does not, until `--from` says it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bitext.cli import app

from .test_detection import NYNORSK
from .test_translate_seeds import read_tsv

UNTELLABLE = "12 345 678.\n\n90 123 456 789.\n"


def _translate(tmp_path, models, *extra: str):
    command = ["translate", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--json"]
    command += ["--models-dir", str(models), "--threads", "1", "--format", "tsv", "--no-cache"]
    result = CliRunner().invoke(app, [*command, *extra])
    return result, json.loads(result.stdout) if result.stdout.strip() else None


def test_an_article_in_no_tellable_language_is_not_translated_until_from_is_given(
    tmp_path, installed_models
):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "tall.txt").write_text(UNTELLABLE, encoding="utf-8")
    result, summary = _translate(tmp_path, installed_models)
    assert result.exit_code == 1, result.output
    (outcome,) = summary["results"]
    assert outcome["status"] == "failed"
    assert outcome["language"] in ("unknown", "uncertain")
    assert "give --from CODE to translate it anyway" in outcome["reason"]
    assert not (tmp_path / "out" / "tall.tsv").exists()

    result, summary = _translate(tmp_path, installed_models, "--from", "nb")
    assert result.exit_code == 0, result.output
    assert summary["results"][0]["status"] == "done"
    rows = read_tsv(tmp_path / "out" / "tall.tsv")
    assert [r["source"] for r in rows] == ["12 345 678.", "90 123 456 789."]


def test_nynorsk_goes_through_the_bokmal_model(tmp_path, installed_models):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "nynorsk.txt").write_text("\n\n".join(NYNORSK) + "\n", encoding="utf-8")
    result, summary = _translate(tmp_path, installed_models)
    assert result.exit_code == 0, result.output
    (outcome,) = summary["results"]
    assert (outcome["status"], outcome["language"]) == ("done", "nn")
    assert outcome["translated_sentences"] == outcome["sentences"] > 0
    rows = read_tsv(tmp_path / "out" / "nynorsk.tsv")
    assert {r["source_lang"] for r in rows} == {"nn"}
    # The copy model gives every sentence back beside its source.
    assert all(r["target"] == r["source"] for r in rows)
