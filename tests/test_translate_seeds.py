"""End to end: the seed folder to side-by-side DOCX and TSV (issue 2)."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bitext.exporters.tsv import COLUMNS
from bitext.pipeline import RequestError, TranslateOptions, translate_paths
from bitext.readers import read_document
from bitext.segmentation import split_sentences

from .conftest import SEEDS_DIR, docx_to_pdf
from .exported import exported

# Counted by hand from the seed files (caption and headline count as blocks).
EXPECTED = {
    "000_971f0af4c1b6c782": {"blocks": 19, "sentences": 29},
    "002_a3320b0741197cf2": {"blocks": 11, "sentences": 19},
}


def read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        header = next(reader)
        rows = [dict(zip(header, fields)) for fields in reader]
    assert header[: len(COLUMNS)] == COLUMNS
    return rows


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory, installed_models):
    out = tmp_path_factory.mktemp("exports")
    # Without the name glossary, so every target equals its source exactly
    # (tests/test_translate_glossary.py checks the respelled names).
    summary = translate_paths(
        [SEEDS_DIR],
        TranslateOptions(
            output_dir=out, models_dir=installed_models, threads=1, default_glossary=False
        ),
    )
    return out, summary


def test_every_seed_gets_a_docx_and_a_tsv(seed_run):
    out, summary = seed_run
    assert summary.count("done") == 2 and not summary.failed
    names = sorted(p.name for p in exported(out))
    assert names == sorted(f"{doc}{ext}" for doc in EXPECTED for ext in (".docx", ".tsv"))


def test_block_and_sentence_counts_match_hand_counts(seed_run):
    _, summary = seed_run
    for result in summary.results:
        assert result.language == "nb"
        assert {"blocks": result.blocks, "sentences": result.sentences} == EXPECTED[result.document]


def test_every_sentence_appears_once_in_order_beside_its_own_translation(seed_run):
    out, _ = seed_run
    for doc_id, counts in EXPECTED.items():
        rows = read_tsv(out / f"{doc_id}.tsv")
        document = read_document(SEEDS_DIR / f"{doc_id}.txt")
        expected = [s for b in document.blocks for s in split_sentences(b.text)]
        assert [r["source"] for r in rows] == expected
        assert len(rows) == counts["sentences"]
        assert len({r["block"] for r in rows}) == counts["blocks"]
        # The copy model translates each sentence into itself: a translation
        # that landed beside the wrong source would differ from it.
        for row in rows:
            assert row["target"] == row["source"]
            assert row["document"] == doc_id
            assert (row["source_lang"], row["target_lang"]) == ("nb", "en")
        numbering = [(int(r["block"]), int(r["sentence"])) for r in rows]
        assert numbering == sorted(numbering)


def test_docx_has_one_row_per_block_plus_header(seed_run):
    from docx import Document

    out, _ = seed_run
    for doc_id, counts in EXPECTED.items():
        docx = Document(str(out / f"{doc_id}.docx"))
        table = docx.tables[0]
        assert len(table.rows) == counts["blocks"] + 1
        # Columns: segment id, source, target (issue 4).
        assert "Norwegian" in table.rows[0].cells[1].text
        assert "English" in table.rows[0].cells[2].text
        source = read_document(SEEDS_DIR / f"{doc_id}.txt")
        assert [row.cells[1].text for row in table.rows[1:]] == [
            " ".join(split_sentences(b.text)) for b in source.blocks
        ]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_docx_opens_in_libreoffice(seed_run, tmp_path):
    out, _ = seed_run
    pdf = docx_to_pdf(out / "000_971f0af4c1b6c782.docx", tmp_path)
    assert pdf.stat().st_size > 1000


def test_same_command_twice_gives_identical_files(seed_run, tmp_path, installed_models):
    out, _ = seed_run
    again = tmp_path / "again"
    translate_paths(
        [SEEDS_DIR],
        TranslateOptions(
            output_dir=again, models_dir=installed_models, threads=1, default_glossary=False
        ),
    )
    for path in exported(out):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def test_no_model_installed_stops_before_writing(tmp_path):
    out = tmp_path / "exports"
    with pytest.raises(RequestError) as info:
        translate_paths([SEEDS_DIR], TranslateOptions(output_dir=out, models_dir=tmp_path / "none"))
    message = str(info.value)
    assert "nb -> en" in message and "bitext models install" in message
    assert not out.exists()


def translate_cli(out: Path, models: Path, *extra: str) -> subprocess.CompletedProcess:
    """`python -m bitext translate seeds/ -o OUT --models-dir MODELS ...` as a real process."""
    command = [sys.executable, "-m", "bitext", "translate", str(SEEDS_DIR), "-o", str(out)]
    command += ["--models-dir", str(models), *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_cli_without_model_exits_2_with_instructions(tmp_path):
    out = tmp_path / "exports"
    proc = translate_cli(out, tmp_path / "none")
    assert proc.returncode == 2
    assert "bitext models install" in proc.stderr
    assert not out.exists()


def test_cli_translates_seeds_with_installed_model(tmp_path, installed_models):
    out = tmp_path / "exports"
    proc = translate_cli(out, installed_models, "--threads", "1")
    assert proc.returncode == 0, proc.stderr
    assert "2 done" in proc.stdout
    assert len(list(out.glob("*.docx"))) == 2 and len(list(out.glob("*.tsv"))) == 2


def test_import_bitext_does_no_work():
    code = (
        "import sys, bitext, bitext.cli;"
        "heavy = {'ctranslate2', 'argostranslate', 'langdetect', 'docx', 'sentencepiece'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
