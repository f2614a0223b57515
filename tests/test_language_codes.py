"""Language codes are checked (issue 22): an unknown one is refused, a known one without
a model fails alone in one line, and the nb->en test model is offered for nb->en only."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from bitext.cli import app
from bitext.languages import UnknownLanguage, check_code, language_name, no_model_line
from bitext.models import missing_model_message

from .conftest import SEEDS_DIR
from .test_missing_model import DANISH

SWEDISH = (
    "Regeringen har beslutat att höja skatten på bensin från och med nästa år. "
    "Det sker efter en lång förhandling där partierna inte kunde enas om hur "
    "pengarna skulle användas. Många bilister är missnöjda med beslutet och säger "
    "att det blir dyrare att köra till jobbet varje dag.\n"
)


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize(
    "code, known", [("nb", True), ("da", True), ("EN_us", True), ("nb-NO", True),
                    ("xx", False), ("zz", False), ("", False), ("english", False)],
)  # fmt: skip
def test_codes(code, known):
    if known:
        assert check_code(code) == code
    else:
        with pytest.raises(UnknownLanguage, match=f"unknown language code '{code}'"):
            check_code(code)
    assert check_code("auto", auto=True) == "auto"


@pytest.mark.parametrize("option", ["--from", "--to"])
def test_unknown_code_exits_2_with_one_line(tmp_path, installed_models, option):
    out = tmp_path / "out"
    result = run("translate", SEEDS_DIR, option, "xx", "-o", out, "--models-dir", installed_models)
    assert result.exit_code == 2
    assert result.stderr == "error: unknown language code 'xx'\n"
    assert "argosmodel" not in result.output and not out.exists()


def test_align_refuses_an_unknown_code_too(tmp_path):
    (tmp_path / "a.txt").write_text("Hei.\n", encoding="utf-8")
    (tmp_path / "a.en.txt").write_text("Hi.\n", encoding="utf-8")
    result = run("align", tmp_path, "--to", "qq", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "unknown language code 'qq'" in result.stderr


def test_danish_and_swedish_articles_fail_alone_in_one_line(tmp_path, installed_models):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(sorted(SEEDS_DIR.glob("*.txt"))[0], folder)
    (folder / "dansk.txt").write_text(DANISH, encoding="utf-8")
    (folder / "svensk.txt").write_text(SWEDISH, encoding="utf-8")
    result = run("translate", folder, "-o", tmp_path / "out", "--models-dir", installed_models,
                 "-f", "tsv", "--no-cache", "--json")  # fmt: skip
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.startswith("failed:")]
    assert lines == [
        f"failed: {folder / 'dansk.txt'}: no model for Danish (da) -> English (en) is installed; "
        "see bitext models available --from da",
        f"failed: {folder / 'svensk.txt'}: no model for Swedish (sv) -> English (en) is "
        "installed; see bitext models available --from sv",
    ]
    assert "copymodel" not in result.output and "argosmodel" not in result.output
    assert json.loads(result.stdout)["done"] == 1


def test_a_lone_danish_article_is_one_line_too(tmp_path, installed_models):
    (tmp_path / "dansk.txt").write_text(DANISH, encoding="utf-8")
    result = run("translate", tmp_path / "dansk.txt", "-o", tmp_path / "out", "--models-dir",
                 installed_models)  # fmt: skip
    assert result.exit_code == 2
    assert result.stderr == (f"error: {tmp_path / 'dansk.txt'}: {no_model_line('da', 'en')}\n")


def test_the_test_model_is_offered_for_nb_en_only(tmp_path):
    assert "bitext.copymodel" in missing_model_message("nb", "en", tmp_path)
    for pair in (("da", "en"), ("sv", "en"), ("nb", "de")):
        assert "copymodel" not in missing_model_message(*pair, tmp_path)
    assert language_name("da") == "Danish" and language_name("nb") == "Norwegian Bokmål"
