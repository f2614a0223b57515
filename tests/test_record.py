"""The run record (bitext.record): what it keeps, where, and what it refuses."""

from __future__ import annotations

import json
import shutil

import pytest

from bitext.record import (
    MAX_RECORD_BYTES,
    RECORD_NAME,
    DocumentOutcome,
    RecordError,
    RunRecord,
    holds_record,
    sha256,
)


def test_empty_when_none(tmp_path):
    record = RunRecord.load(tmp_path)
    assert record.files == {} and record.runs == []
    assert not holds_record(tmp_path)


def test_note_save_load_and_changed(tmp_path):
    out = tmp_path / "out"
    (out / "sub").mkdir(parents=True)
    record = RunRecord.load(out)
    run = record.start_run(inputs=["in"], input_kind="folder", model="nb->en test")
    run.documents.append(DocumentOutcome("a", "in/a.txt", "done", files=["a.tsv"]))
    for name, data in (("a.tsv", b"one\ttwo\n"), ("sub/b.tsv", b"three\n")):
        (out / name).write_bytes(data)
        record.note(out / name, data, document=name[0], run=run.id)
    record.save()
    assert holds_record(out)
    saved = json.loads((out / RECORD_NAME).read_text("utf-8"))
    assert [f["path"] for f in saved["files"]] == ["a.tsv", "sub/b.tsv"]
    assert saved["files"][0]["sha256"] == sha256(b"one\ttwo\n")

    again = RunRecord.load(out)
    assert again.changed() == []
    assert again.last_run.model == "nb->en test"
    assert again.last_run.documents[0].status == "done"
    (out / "a.tsv").write_bytes(b"one\tedited\n")
    (out / "sub" / "b.tsv").unlink()  # gone is not changed: nothing to lose
    assert [e.path for e in again.changed()] == ["a.tsv"]


def test_record_survives_a_move(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    record = RunRecord(out)
    (out / "a.tsv").write_bytes(b"x")
    record.note(out / "a.tsv", b"x", "a", "r1")
    record.save()
    moved = tmp_path / "elsewhere" / "exports"
    moved.parent.mkdir()
    shutil.move(str(out), str(moved))
    loaded = RunRecord.load(moved)
    assert holds_record(moved)
    assert loaded.entry(moved / "a.tsv").sha256 == sha256(b"x")
    (moved / "a.tsv").write_bytes(b"y")
    assert [e.path for e in loaded.changed()] == ["a.tsv"]


def test_path_outside_the_folder_is_refused(tmp_path):
    record = RunRecord(tmp_path / "out")
    with pytest.raises(ValueError):
        record.note(tmp_path / "a.tsv", b"x", "a", "r1")


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b'{"version": 99, "files": [], "runs": []}',
        b'{"version": 1, "files": [{"path": "../x", "sha256": "", "document": "", '
        b'"run": ""}], "runs": []}',
        b'{"version": 1, "files": [{"path": 3}], "runs": []}',
        b"[]",
    ],
)
def test_malformed_record_is_refused(tmp_path, content):
    (tmp_path / RECORD_NAME).write_bytes(content)
    with pytest.raises(RecordError, match="cannot be read"):
        RunRecord.load(tmp_path)


def test_oversized_record_is_refused(tmp_path):
    with open(tmp_path / RECORD_NAME, "wb") as handle:
        handle.truncate(MAX_RECORD_BYTES + 1)
    with pytest.raises(RecordError, match="larger than"):
        RunRecord.load(tmp_path)


def test_save_leaves_no_temporary(tmp_path):
    record = RunRecord(tmp_path)
    record.start_run()
    record.save()
    assert [p.name for p in tmp_path.iterdir()] == [RECORD_NAME]
