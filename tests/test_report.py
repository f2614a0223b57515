"""The run report (bitext.report) and a run folder opened for review (bitext.revision).

Real runs of the seed articles with the test model; the report is parsed as
HTML, and the review's rebuilt documents are compared byte for byte with the
exports `translate` wrote.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from lxml import html

from bitext.memory import TranslationMemory
from bitext.pipeline import TranslateOptions, translate_paths
from bitext.rendering import render
from bitext.report import REPORT_HTML, REPORT_JSON, read_facts
from bitext.revision import ReviewError, ReviewFolder

from .conftest import ROOT, SEEDS_DIR

SEEDS = ("000_971f0af4c1b6c782", "002_a3320b0741197cf2")


def _run(out: Path, models: Path, inputs, **changes):
    values = dict(output_dir=out, models_dir=models, formats=["docx", "tsv", "xliff"])
    values.update(cache_path=out.parent / "memory.sqlite3", **changes)
    return translate_paths(inputs, TranslateOptions(**values))


@pytest.fixture(scope="module")
def run_with_a_failure(tmp_path_factory, installed_models):
    base = tmp_path_factory.mktemp("report")
    inputs = base / "in"
    shutil.copytree(SEEDS_DIR, inputs)
    (inputs / "broken.docx").write_bytes(b"not a zip at all")
    summary = _run(base / "out", installed_models, [inputs])
    return base / "out", summary


def test_the_report_is_self_contained_and_holds_the_overview(run_with_a_failure):
    out, summary = run_with_a_failure
    text = (out / REPORT_HTML).read_text(encoding="utf-8")
    page = html.fromstring(text)
    # Nothing that could load: no script, stylesheet link, image, frame or font.
    assert not page.xpath("//script | //link | //img | //iframe | //object | //embed")
    assert not page.xpath("//@src | //@srcset")
    style = "".join(page.xpath("//style/text()"))
    assert style and "url(" not in style and "@import" not in style and "@font-face" not in style
    assert len(page.xpath("//svg")) == 3
    rows = page.xpath("//table[@class='documents']/tbody/tr")
    assert [r.xpath("string(td[1])") for r in rows] == [*SEEDS, "broken"]
    # Each exported document links to its first export, beside the report.
    assert page.xpath("//table[@class='documents']//a/@href") == [f"{s}.docx" for s in SEEDS]
    failures = page.xpath("string(//section[@aria-label='Failures'])")
    assert "broken" in failures and summary.failed[0].reason in failures
    facts = page.xpath("string(//dl[@class='facts'])")
    assert "translate-nb_en" in facts and "default" in facts


def test_report_json_holds_what_the_summary_says(run_with_a_failure):
    out, summary = run_with_a_failure
    facts = read_facts(out)
    by_name = {d.name: d for d in facts.documents}
    for result in summary.results:
        document = by_name[result.document]
        assert (document.status, document.sentences, document.flags) == (
            result.status,
            result.sentences,
            result.flags,
        )
    assert by_name[SEEDS[0]].input_kind == "text" and by_name[SEEDS[0]].blocks == 19
    assert by_name["broken"].reason == summary.failed[0].reason
    assert facts.formats == ["docx", "tsv", "xliff"]


def test_a_resumed_run_reports_the_documents_it_skipped(tmp_path, installed_models):
    out = tmp_path / "out"
    _run(out, installed_models, [SEEDS_DIR])
    first = json.loads((out / REPORT_JSON).read_text())
    again = _run(out, installed_models, [SEEDS_DIR])
    assert again.count("skipped") == 2
    assert json.loads((out / REPORT_JSON).read_text()) == first


@pytest.fixture()
def relative_run(tmp_path, installed_models, monkeypatch):
    """The seeds translated as `translate seeds -o OUT` from the repository root."""
    monkeypatch.chdir(ROOT)
    out = tmp_path / "out"
    _run(out, installed_models, [Path("seeds")], formats=["docx", "tsv", "xliff", "jsonl"])
    monkeypatch.chdir(tmp_path)  # the review starts elsewhere
    return out


def _review(out: Path, models: Path, **changes) -> ReviewFolder:
    values = dict(models_dir=models, cache_path=out.parent / "memory.sqlite3", **changes)
    return ReviewFolder(out, TranslateOptions(**values))


def test_a_rebuilt_document_is_byte_identical_to_its_exports(relative_run, installed_models):
    folder = _review(relative_run, installed_models)
    try:
        for name in SEEDS:
            rendered = render(folder.render_request(name))
            paths = folder.export_paths(name)
            assert [p.name for p in paths] == [
                f"{name}{s}" for s in (".docx", ".tsv", ".xlf", ".jsonl")
            ]
            assert [p.read_bytes() for p in paths] == rendered.files
            rows = folder.document(name).rows
            assert len(rows) == {SEEDS[0]: 29, SEEDS[1]: 19}[name]
            assert rows[0].id == f"{name}:1.1"
    finally:
        folder.close()


def test_a_save_stores_one_reviewed_correction_and_updates_the_report(
    relative_run, installed_models
):
    folder = _review(relative_run, installed_models)
    name = SEEDS[1]
    try:
        row = folder.document(name).rows[4]
        with pytest.raises(ReviewError, match="empty"):
            folder.save(name, row.id, "   ")
        unchanged = folder.save(name, row.id, row.row.target)
        assert not unchanged.stored and unchanged.row.row.origin == "model"
        with pytest.raises(ReviewError, match="no row"):
            folder.save(name, f"{name}:99.1", "Text.")
        outcome = folder.save(name, row.id, "A reviewer's sentence.")
        assert outcome.stored and outcome.row.row.origin == "reviewed"
        assert outcome.row.machine == row.row.target  # the model's output, for the diff
        assert outcome.files == [f"{name}{s}" for s in (".docx", ".tsv", ".xlf", ".jsonl")]
    finally:
        folder.close()
    with TranslationMemory(relative_run.parent / "memory.sqlite3") as memory:
        entries = memory.entries(reviewed_only=True)
    assert [(e["source"], e["target"], e["file"]) for e in entries] == [
        (
            row.row.source,
            "A reviewer's sentence.",
            f"review:{name}:{row.row.block}.{row.row.sentence}",
        )
    ]
    facts = read_facts(relative_run)
    assert facts.document(name).reviewed == 1
    assert "A reviewer" not in (relative_run / REPORT_HTML).read_text()  # counts, not texts
    assert ">1</td></tr>" in (relative_run / REPORT_HTML).read_text()


def test_a_folder_that_cannot_be_reviewed_says_why(tmp_path, relative_run, installed_models):
    with pytest.raises(ReviewError, match="holds no run report"):
        _review(tmp_path, installed_models)
    with pytest.raises(ReviewError, match="--no-cache"):
        _review(relative_run, installed_models, cache=False)
    with pytest.raises(ReviewError, match="same --glossary"):
        _review(relative_run, installed_models, default_glossary=False)
    (relative_run / REPORT_JSON).write_text("{not json", encoding="utf-8")
    with pytest.raises(ReviewError, match="cannot be read"):
        _review(relative_run, installed_models)


def test_a_moved_input_fails_its_page_alone(tmp_path, installed_models):
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS_DIR, inputs)
    out = tmp_path / "out"
    _run(out, installed_models, [inputs])
    (inputs / f"{SEEDS[0]}.txt").unlink()
    folder = _review(out, installed_models)
    try:
        with pytest.raises(ReviewError, match="cannot read its input"):
            folder.document(SEEDS[0])
        assert len(folder.document(SEEDS[1]).rows) == 19
    finally:
        folder.close()


def test_a_save_takes_a_file_edit_in_first_and_keeps_the_run_record_in_step(
    relative_run, installed_models
):
    from bitext.exporters.tsv import quote, read_rows
    from bitext.record import RunRecord

    name = SEEDS[0]
    record = RunRecord(relative_run)
    run = record.start_run()
    for path in sorted(relative_run.glob(f"{name}.*")):
        record.note(path, path.read_bytes(), name, run.id)
    record.save()
    tsv = relative_run / f"{name}.tsv"
    header = tsv.read_text(encoding="utf-8").split("\n", 1)[0].split("\t")
    rows = read_rows(tsv.read_bytes())
    edited = next(r for r in rows if (r["block"], r["sentence"]) == ("3", "1"))
    edited["target"] = "Edited in the file."
    lines = ["\t".join(quote(r[c]) for c in header) for r in rows]
    tsv.write_text("\t".join(header) + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert [e.path for e in RunRecord.load(relative_run).changed()] == [tsv.name]

    folder = _review(relative_run, installed_models)
    try:
        outcome = folder.save(name, f"{name}:5.1", "Edited in the page.")
        page_row = outcome.row.row
    finally:
        folder.close()
    assert outcome.imported == 1
    kept = [Path(k) for k in outcome.kept]  # the edited file, kept aside, never lost
    assert [k.suffix for k in kept] == [".tsv"] and ".edited-" in kept[0].name
    assert "Edited in the file." in kept[0].read_text(encoding="utf-8")
    with TranslationMemory(relative_run.parent / "memory.sqlite3") as memory:
        reviewed = memory.get_reviewed("nb", "en", [edited["source"], page_row.source])
    assert reviewed == {
        edited["source"]: "Edited in the file.",
        page_row.source: "Edited in the page.",
    }
    after = RunRecord.load(relative_run)
    assert after.changed() == []  # the files written again are noted with their new bytes
    assert after.entry(tsv).sha256 != record.entry(tsv).sha256


def test_review_of_a_folder_without_a_report_exits_2_and_says_why(tmp_path):
    from typer.testing import CliRunner

    from bitext.cli import app

    result = CliRunner().invoke(app, ["review", str(tmp_path), "--no-browser"])
    assert result.exit_code == 2
    assert "holds no run report" in result.output and "bitext translate" in result.output


def test_a_file_name_that_is_not_utf8_still_gets_its_report(tmp_path, installed_models):
    import os

    inputs = tmp_path / "in"
    inputs.mkdir()
    name = os.fsdecode(b"bl\xe5b\xe6r.txt")  # surrogate escapes for the two bytes
    (inputs / name).write_text((SEEDS_DIR / f"{SEEDS[1]}.txt").read_text("utf-8"), "utf-8")
    out = tmp_path / "out"
    summary = _run(out, installed_models, [inputs])
    assert summary.report_warning is None and summary.count("done") == 1
    facts = read_facts(out)
    assert Path(facts.documents[0].location) == inputs / name
    assert "bl_b_r" in (out / REPORT_HTML).read_text(encoding="utf-8")
    folder = _review(out, installed_models)
    try:
        assert len(folder.document("bl_b_r").rows) == 19
    finally:
        folder.close()
