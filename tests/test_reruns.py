"""Safe to run again and again (issue 22): outputs are never inputs, and edits are never lost.

Real runs of the `bitext` command on real files with the copy model: the
same command five times in the folder of the articles gives the same files
and exit 0; exports edited with python-docx, openpyxl, csv and lxml are
imported into the memory and kept aside before `--overwrite` replaces them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bitext.cli import app
from bitext.memory import TranslationMemory
from bitext.record import RECORD_NAME, RunRecord, holds_record

from .conftest import SEEDS_DIR
from .test_review import edit_docx, edit_xliff, edit_xlsx

SEEDS = sorted(SEEDS_DIR.glob("*.txt"))


@pytest.fixture()
def memory_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "memory"
    monkeypatch.setenv("BITEXT_CACHE_DIR", str(folder))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return folder


def run(*args: str | Path):
    """The `bitext` command in this process; the result (exit code, stdout, stderr)."""
    return CliRunner().invoke(app, [str(a) for a in args])


def files(folder: Path) -> dict[str, str]:
    """Every file under `folder` but the run record: relative path -> SHA-256."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != RECORD_NAME
    }


def test_five_runs_in_the_article_folder_then_five_into_a_nested_folder(
    tmp_path, memory_dir, installed_models, monkeypatch
):
    folder = tmp_path / "articles"
    folder.mkdir()
    for seed in SEEDS:
        shutil.copy(seed, folder)
    monkeypatch.chdir(folder)
    common = ["--models-dir", installed_models, "--threads", "1", "--json"]
    for command in (["translate", "."], ["translate", ".", "-o", "sub/out"]):
        seen = []
        for _ in range(5):
            result = run(*command, *common)
            assert result.exit_code == 0, result.output
            summary = json.loads(result.stdout)
            assert summary["documents"] == len(SEEDS), summary  # no export read as an article
            assert {r["path"] for r in summary["results"]} == {s.name for s in SEEDS}
            seen.append(files(folder))
        assert all(snapshot == seen[0] for snapshot in seen)
        out = folder / (command[3] if len(command) > 2 else "exports")
        assert holds_record(out)
        assert sorted(RunRecord.load(out).files) == sorted(
            f"{s.stem}{ext}" for s in SEEDS for ext in (".docx", ".tsv")
        )
    assert len(seen[0]) == len(SEEDS) * 5  # articles, exports/ and sub/out/ (2 formats each)


def test_a_moved_folder_of_exports_is_not_read(tmp_path, memory_dir, installed_models):
    out = tmp_path / "out"
    common = ["--models-dir", installed_models, "--threads", "1", "-f", "tsv,xlsx", "--json"]
    assert run("translate", SEEDS_DIR, "-o", out, *common).exit_code == 0
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    shutil.copy(SEEDS[0], inputs)
    shutil.move(str(out), str(inputs / "old exports"))  # moved: no longer the -o folder
    result = run("translate", inputs, "-o", tmp_path / "new", *common)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [r["path"] for r in summary["results"]] == [str(inputs / SEEDS[0].name)]
    # The record moved with its folder and still knows its files.
    moved = RunRecord.load(inputs / "old exports")
    assert moved.changed() == [] and len(moved.files) == 2 * len(SEEDS)


def test_the_output_folder_as_input_is_refused(tmp_path, memory_dir, installed_models):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEEDS[0], folder)
    result = run("translate", folder, "-o", folder, "--models-dir", installed_models)
    assert result.exit_code == 2
    assert "is also an input folder" in result.output
    assert sorted(p.name for p in folder.iterdir()) == [SEEDS[0].name]


# -- edited exports -----------------------------------------------------------


def tsv_rows(path: Path) -> list[dict[str, str]]:
    reader = csv.reader(io.StringIO(path.read_text(encoding="utf-8")), delimiter="\t")
    header = next(reader)
    return [dict(zip(header, row)) for row in reader]


def edit_tsv(path: Path, block: str, sentence: str, new_target: str) -> None:
    """Change one row's target with the csv module, as a script or a plain editor would."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text), delimiter="\t"))
    header = rows[0]
    for row in rows[1:]:
        if row[header.index("block")] == block and row[header.index("sentence")] == sentence:
            row[header.index("target")] = new_target
    buffer = io.StringIO()
    csv.writer(buffer, delimiter="\t", lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def sentence(rows: list[dict[str, str]], block: str, number: str) -> str:
    return next(r["source"] for r in rows if r["block"] == block and r["sentence"] == number)


def two_sentence_block(rows: list[dict[str, str]], skip: set[str]) -> str:
    """A block of two sentences (for a 2-1 merge the aligner cannot take)."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["block"]] = counts.get(r["block"], 0) + 1
    return next(b for b, n in counts.items() if n == 2 and b not in skip)


def test_edited_exports_are_imported_and_kept_before_overwrite(
    tmp_path, memory_dir, installed_models
):
    out = tmp_path / "out"
    common = ["--models-dir", installed_models, "--threads", "1", "--from", "nb"]
    formats = ["-f", "docx,tsv,xlsx,xliff"]
    assert run("translate", SEEDS_DIR, "-o", out, *formats, *common).exit_code == 0
    a, b = (s.stem for s in SEEDS)
    rows_a, rows_b = tsv_rows(out / f"{a}.tsv"), tsv_rows(out / f"{b}.tsv")
    edits: dict[str, str] = {}  # source sentence -> the reviewer's target

    # Word, document A: block 3 holds two sentences; the second is rewritten.
    first, second = sentence(rows_a, "3", "1"), sentence(rows_a, "3", "2")
    word_text = "Beijing said it would work more closely with the Russian armed forces."
    edit_docx(out / f"{a}.docx", 3, f"{first} {word_text}")
    edits[second] = word_text
    # Excel, document A: sentence 4.1.
    edit_xlsx(out / f"{a}.xlsx", "4.1", "Edited in Excel: the ministers met on Sunday.")
    edits[sentence(rows_a, "4", "1")] = "Edited in Excel: the ministers met on Sunday."
    # A script over the TSV, document B: sentence 3.1.
    edit_tsv(out / f"{b}.tsv", "3", "1", "Edited in the TSV: the first paragraph.")
    edits[sentence(rows_b, "3", "1")] = "Edited in the TSV: the first paragraph."
    # A CAT tool's XLIFF, document B: the headline.
    edit_xliff(out / f"{b}.xlf", f"{b}:2.1", "Edited in a CAT tool: the headline")
    edits[sentence(rows_b, "2", "1")] = "Edited in a CAT tool: the headline"
    # Word, document B: two sentences merged into one, which the import cannot take.
    merged = two_sentence_block(rows_b, {"2", "3"})
    edit_docx(out / f"{b}.docx", int(merged), "Two sentences merged into one by the reviewer.")

    edited = {
        name: (out / name).read_bytes()
        for name in (f"{a}.docx", f"{a}.xlsx", f"{b}.tsv", f"{b}.xlf", f"{b}.docx")
    }
    assert sorted(e.path for e in RunRecord.load(out).changed()) == sorted(edited)

    result = run("translate", SEEDS_DIR, "-o", out, *formats, *common, "--overwrite", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    by_file = {Path(e["path"]).name: e for e in summary["edits"]}
    assert sorted(by_file) == sorted(edited)
    # Every edited file is kept, byte for byte, under a name that says so.
    for name, data in edited.items():
        kept = Path(by_file[name]["kept_as"])
        assert kept.parent == out and ".edited-" in kept.name and kept.suffix == Path(name).suffix
        assert kept.read_bytes() == data
        assert f"edited: {out / name}:" in result.stderr and str(kept) in result.stderr
    assert sum(e["imported"] for e in summary["edits"]) == len(edits) == 4
    # The merge is named with its file and row, and what to do instead.
    refused = by_file[f"{b}.docx"]["not_imported"]
    assert refused and all(r["where"].startswith(f"{b}.docx:{merged}") for r in refused)
    assert f"not imported: {b}.docx:{merged}" in result.stderr
    assert "edit per sentence, in the XLSX or the XLIFF" in result.stderr

    with TranslationMemory() as memory:
        reviewed = memory.get_reviewed("nb", "en", list(edits))
    assert reviewed == edits
    for doc in (a, b):  # the new exports carry the corrections as `reviewed`
        for row in tsv_rows(out / f"{doc}.tsv"):
            if row["source"] in edits:
                assert (row["target"], row["origin"]) == (edits[row["source"]], "reviewed")
            else:
                assert row["origin"] in ("model", "source")
    # A third run finds nothing edited and keeps nothing more.
    kept_before = sorted(p.name for p in out.glob("*.edited-*"))
    again = run("translate", SEEDS_DIR, "-o", out, *formats, *common, "--overwrite", "--json")
    assert again.exit_code == 0 and json.loads(again.stdout)["edits"] == []
    assert sorted(p.name for p in out.glob("*.edited-*")) == kept_before
    # Kept files are never read as articles.
    assert json.loads(again.stdout)["documents"] == len(SEEDS)


def test_discard_edits_replaces_without_import(tmp_path, memory_dir, installed_models):
    out = tmp_path / "out"
    common = ["--models-dir", installed_models, "--threads", "1", "-f", "tsv", "--from", "nb"]
    assert run("translate", SEEDS_DIR, "-o", out, *common).exit_code == 0
    a = SEEDS[0].stem
    model_output = (out / f"{a}.tsv").read_bytes()
    edit_tsv(out / f"{a}.tsv", "3", "1", "An edit nobody wants.")
    result = run("translate", SEEDS_DIR, "-o", out, *common, "--overwrite", "--discard-edits")
    assert result.exit_code == 0, result.output
    assert "edits discarded" in result.stderr
    assert (out / f"{a}.tsv").read_bytes() == model_output
    assert list(out.glob("*.edited-*")) == []
    with TranslationMemory() as memory:
        assert (
            memory.get_reviewed("nb", "en", [sentence(tsv_rows(out / f"{a}.tsv"), "3", "1")]) == {}
        )


def test_an_unreadable_record_refuses_the_run(tmp_path, memory_dir, installed_models):
    out = tmp_path / "out"
    out.mkdir()
    (out / RECORD_NAME).write_text("{not json", encoding="utf-8")
    result = run("translate", SEEDS[0], "-o", out, "--models-dir", installed_models, "-f", "tsv")
    assert result.exit_code == 2
    assert f"the run record {out / RECORD_NAME} cannot be read" in result.stderr
    assert "move it away" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [RECORD_NAME]


def test_memory_export_into_an_output_folder_is_noted(tmp_path, memory_dir, installed_models):
    out = tmp_path / "out"
    assert run("translate", SEEDS[0], "-o", out, "--models-dir", installed_models).exit_code == 0
    assert run("memory", "export", "-o", out / "memory.tmx").exit_code == 0
    entry = RunRecord.load(out).entry(out / "memory.tmx")
    assert entry is not None and entry.document == "_memory"
    assert entry.sha256 == hashlib.sha256((out / "memory.tmx").read_bytes()).hexdigest()
