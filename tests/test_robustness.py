"""A run over bad and odd inputs, failures, full disks: nothing lost, nothing broken (issue 7).

Every input kind goes through the real pipeline with the copy model; each
test asserts the outcome for the odd document (read right, or the exact
reason it failed) and that the other documents of the same run were exported.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from bitext.exporters.tsv import read_rows
from bitext.outputs import TEMP_PREFIX
from bitext.pipeline import RequestError, TranslateOptions, translate_paths

from .conftest import ROOT, SEEDS_DIR
from .exported import exported

SEED = sorted(SEEDS_DIR.glob("*.txt"))[0]
NTREX = ROOT / "tests" / "data" / "ntrex-dev" / "nob.txt"
GOOD = "Regjeringen la fram budsjettet i dag. Det ble godt mottatt av de fleste partiene.\n"


def tsv_pairs(path: Path) -> list[tuple[str, str]]:
    return [(row["source"], row["target"]) for row in read_rows(path.read_bytes())]


def options(out: Path, models: Path, **extra) -> TranslateOptions:
    extra.setdefault("source_lang", "nb")
    extra.setdefault("default_glossary", False)  # names respelled would not be copies
    return TranslateOptions(output_dir=out, models_dir=models, threads=1, **extra)


def _docx_article(path: Path) -> None:
    from docx import Document

    doc = Document()
    doc.add_heading("Statsbudsjettet er lagt fram", level=1)
    doc.add_paragraph("Regjeringen la fram budsjettet i dag. Det ble godt mottatt.")
    doc.save(path)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory, installed_models):
    """One folder holding every kind of input, translated in one run."""
    root = tmp_path_factory.mktemp("zoo")
    src = root / "in"
    (src / "a").mkdir(parents=True)
    (src / "b").mkdir()
    (src / ".hidden").mkdir()
    shutil.copy(SEED, src / SEED.name)
    files = {
        "utf8-bom.txt": b"\xef\xbb\xbf" + GOOD.encode(),
        "utf16.txt": GOOD.encode("utf-16"),
        "cp1252.txt": "Blåbær og “sitater” koster 10 €.\n".encode("cp1252"),
        "crlf.txt": GOOD.replace("\n", "\r\n").encode(),
        "cr.txt": ("Overskrift\n\n" + GOOD).replace("\n", "\r").encode(),
        "spaces.txt": "Det\u00a0er\tfint\u200b vær i\u202fdag.\n".encode(),
        "nul.txt": b"Binary\x00data\x01\x02",
        "empty.txt": b"",
        "blank.txt": " \r\n\t\n\u00a0\u200b\n".encode(),
        "Navn med æøå.txt": GOOD.encode(),
        unicodedata.normalize("NFD", "blåbær.txt"): GOOD.encode(),
        "a/x.txt": b"Dette er den ene.\n",
        "b/x.txt": b"Dette er den andre.\n",
        ".hidden/skjult.txt": GOOD.encode(),
        ".skjult.txt": GOOD.encode(),
        "broken.docx": b"PK\x03\x04 not really a zip",
    }
    for name, data in files.items():
        (src / name).write_bytes(data)
    _docx_article(src / "artikkel.docx")
    (src / "loop").symlink_to(src)  # a folder link loop
    (src / "dangling.txt").symlink_to(src / "missing.txt")
    out = root / "out"
    summary = translate_paths([src], options(out, installed_models))
    results = {Path(r.path).relative_to(src).as_posix(): r for r in summary.results}
    return src, out, summary, results


def _by_stem(out: Path, stem: str) -> list[tuple[str, str]]:
    return tsv_pairs(out / f"{stem}.tsv")


def test_zoo_every_input_has_its_outcome(zoo):
    src, out, summary, results = zoo
    nfc_blabaer = unicodedata.normalize("NFD", "blåbær.txt")
    assert set(results) == {
        SEED.name,
        "utf8-bom.txt",
        "utf16.txt",
        "cp1252.txt",
        "crlf.txt",
        "cr.txt",
        "spaces.txt",
        "nul.txt",
        "empty.txt",
        "blank.txt",
        "Navn med æøå.txt",
        nfc_blabaer,
        "a/x.txt",
        "b/x.txt",
        "broken.docx",
        "artikkel.docx",
        "dangling.txt",
    }  # hidden files, the link loop's second view: not there
    status = {name: r.status for name, r in results.items()}
    failed = {n for n, s in status.items() if s == "failed"}
    skipped = {n for n, s in status.items() if s == "skipped"}
    assert failed == {"nul.txt", "broken.docx", "dangling.txt"}
    assert skipped == {"empty.txt", "blank.txt"}
    assert results["nul.txt"].reason.endswith(
        "nul.txt: binary file (contains NUL bytes), not a text article"
    )
    assert "broken.docx: not a readable .docx file" in results["broken.docx"].reason
    assert "dangling.txt: cannot read (No such file or directory)" in results["dangling.txt"].reason
    assert results["empty.txt"].reason == "empty file: no text to translate"
    # Every other document was exported, TSV and DOCX, and nothing else was left.
    done = [r for r in summary.results if r.status == "done"]
    assert len(done) == len(results) - 5
    names = sorted(p.name for p in exported(out))
    assert names == sorted(f"{r.document}{ext}" for r in done for ext in (".docx", ".tsv"))


def test_zoo_texts_read_right(zoo):
    src, out, summary, results = zoo
    sentences = [
        "Regjeringen la fram budsjettet i dag.",
        "Det ble godt mottatt av de fleste partiene.",
    ]
    for name in ("utf8-bom.txt", "utf16.txt", "crlf.txt", "Navn med æøå.txt"):
        assert [s for s, _ in _by_stem(out, results[name].document)] == sentences, name
    assert _by_stem(out, results["cr.txt"].document)[0] == ("Overskrift", "Overskrift")
    assert [s for s, _ in _by_stem(out, "cp1252")] == ["Blåbær og “sitater” koster 10 €."]
    assert results["cp1252.txt"].warnings == [
        f"{src / 'cp1252.txt'}: not valid UTF-8, decoded as Windows-1252"
    ]
    assert [s for s, _ in _by_stem(out, "spaces")] == ["Det er fint vær i dag."]
    docx_rows = _by_stem(out, "artikkel")
    assert docx_rows[0] == ("Statsbudsjettet er lagt fram", "Statsbudsjettet er lagt fram")
    # The copy model gives every sentence back: each sits beside its own.
    for result in results.values():
        if result.status == "done":
            assert all(s == t for s, t in _by_stem(out, result.document))


def test_zoo_output_names_are_safe_and_distinct(zoo):
    src, out, summary, results = zoo
    assert results["Navn med æøå.txt"].document == "Navn_med_æøå"
    blabaer = results[unicodedata.normalize("NFD", "blåbær.txt")]
    assert blabaer.document == "blåbær" and (out / "blåbær.tsv").exists()
    one, other = results["a/x.txt"].document, results["b/x.txt"].document
    assert one != other and one.startswith("x-") and other.startswith("x-")
    assert [s for s, _ in _by_stem(out, one)] == ["Dette er den ene."]
    assert [s for s, _ in _by_stem(out, other)] == ["Dette er den andre."]
    assert all(Path(f).parent == out for f in summary.files)


def test_rerun_skips_finished_documents_and_overwrite_redoes_them(zoo, installed_models):
    src, out, _, _ = zoo
    before = {p.name: p.stat().st_mtime_ns for p in exported(out)}
    again = translate_paths([src], options(out, installed_models))
    skipped = [r for r in again.results if r.status == "skipped"]
    assert {r.reason for r in skipped} == {
        "already exported (use --overwrite to redo)",
        "empty file: no text to translate",
    }
    assert again.count("done") == 0 and again.count("failed") == 3
    assert {p.name: p.stat().st_mtime_ns for p in exported(out)} == before
    tsv = out / "crlf.tsv"
    data = tsv.read_bytes()
    redo = translate_paths([src / "crlf.txt"], options(out, installed_models, overwrite=True))
    assert redo.count("done") == 1 and tsv.read_bytes() == data
    assert tsv.stat().st_mtime_ns != before["crlf.tsv"]


def test_cli_exit_1_lists_failures_on_stderr_and_in_json(zoo, installed_models, tmp_path):
    src, _, _, _ = zoo
    out = tmp_path / "out"
    base = [sys.executable, "-m", "bitext", "translate", str(src), "-o", str(out)]
    base += ["--models-dir", str(installed_models), "--threads", "1", "--from", "nb"]
    proc = subprocess.run(base + ["--format", "tsv", "--json"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    failures = {
        Path(r["path"]).name: r["reason"] for r in data["results"] if r["status"] == "failed"
    }
    assert set(failures) == {"nul.txt", "broken.docx", "dangling.txt"}
    for name, reason in failures.items():
        assert f"failed: {src / name}: {reason}" in proc.stderr
    assert data["failed"] == 3 and data["done"] == len(data["results"]) - 5
    # Again, with --skip-existing said out loud: done documents are skipped and said so.
    proc = subprocess.run(
        base + ["--format", "tsv", "--skip-existing"], capture_output=True, text=True
    )
    assert proc.returncode == 1
    assert f"skipped: {src / 'crlf.txt'}: already exported (use --overwrite to redo)" in proc.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["{tmp}/does-not-exist"], "no such file or folder"),
        (["{seeds}", "--from", "xx"], "unknown language code 'xx'"),
        (["{seeds}", "--to", "zz"], "unknown language code 'zz'"),
        (["{seeds}", "--format", "pdf"], "unknown format 'pdf'"),
        (["{seeds}", "-o", "{tmp}/file/out"], "is not a folder"),
    ],
)
def test_requests_that_cannot_work_exit_2(tmp_path, installed_models, args, message):
    (tmp_path / "file").write_bytes(b"")
    args = [a.format(tmp=tmp_path, seeds=SEEDS_DIR) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "out")]
    command = [sys.executable, "-m", "bitext", "translate", *args]
    command += ["--models-dir", str(installed_models)]
    proc = subprocess.run(command, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert not (tmp_path / "out").exists()


# --- failure isolation at every stage --------------------------------------------


def _three(folder: Path) -> Path:
    folder.mkdir()
    for name, text in {
        "one.txt": "Den første saken handler om skatt.\n",
        "two.txt": "Den andre saken handler om GIFT i vannet.\n",
        "three.txt": "Den tredje saken handler om skoler.\n",
    }.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_an_engine_error_on_one_document_fails_only_that_document(tmp_path, installed_models):
    from bitext.engine import Translator

    class Failing(Translator):
        """The real engine, which raises on one sentence (as a broken model would)."""

        def _run(self, group, units):
            if any("GIFT" in "".join(units[u][1]) for u in group):
                raise RuntimeError("CTranslate2 failed on this input")
            return super()._run(group, units)

    def factory(package, opts):
        return Failing(package, threads=1)

    src = _three(tmp_path / "in")
    summary = translate_paths(
        [src], options(tmp_path / "out", installed_models, cache=False), translator_factory=factory
    )
    status = {r.document: (r.status, r.reason) for r in summary.results}
    assert status["two"] == ("failed", "translation failed: CTranslate2 failed on this input")
    assert status["one"] == ("done", None) and status["three"] == ("done", None)
    assert sorted(p.name for p in exported(tmp_path / "out")) == [
        "one.docx",
        "one.tsv",
        "three.docx",
        "three.tsv",
    ]


def test_a_detection_error_fails_only_that_document(tmp_path, installed_models, monkeypatch):
    import bitext.detection

    real = bitext.detection.detect_document

    def detect(document, **options):
        if "GIFT" in document.blocks[0].text:
            raise ValueError("detector crashed")
        return real(document, **options)

    monkeypatch.setattr(bitext.detection, "detect_document", detect)
    src = _three(tmp_path / "in")
    summary = translate_paths([src], options(tmp_path / "out", installed_models, cache=False))
    status = {r.document: (r.status, r.reason) for r in summary.results}
    assert status == {
        "one": ("done", None),
        "three": ("done", None),
        "two": ("failed", "detector crashed"),
    }


def test_an_export_error_fails_only_that_document(tmp_path, installed_models):
    src = _three(tmp_path / "in")
    out = tmp_path / "out"
    (out / "two.tsv").mkdir(parents=True)  # something in the way of one output
    summary = translate_paths([src], options(out, installed_models, overwrite=True))
    status = {r.document: r.status for r in summary.results}
    assert status == {"one": "done", "three": "done", "two": "failed"}
    two = next(r for r in summary.results if r.document == "two")
    assert two.reason.startswith(f"cannot write {out / 'two.tsv'}: Is a directory")
    assert (out / "one.tsv").is_file() and (out / "three.tsv").is_file()
    assert not list(out.glob(TEMP_PREFIX + "*"))


# --- disk full and read-only output -----------------------------------------------


def _limit_file_size(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_disk_full_stops_with_a_clear_error_and_no_partial_file(
    tmp_path, installed_models, monkeypatch
):
    """Files over a size limit cannot be written (RLIMIT_FSIZE, as on a full disk):
    the first such file fails with the reason, the run stops instead of
    translating documents it cannot save, every file present is complete,
    and no temporary is left."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # same DOCX date in both runs
    src = tmp_path / "in"
    src.mkdir()
    (src / "a-small.txt").write_text(GOOD, encoding="utf-8")
    (src / "b-big.txt").write_text(GOOD * 600, encoding="utf-8")
    (src / "c-small.txt").write_text(GOOD, encoding="utf-8")
    reference = tmp_path / "reference"
    translate_paths([src], options(reference, installed_models, cache=False))
    sizes = {p.name: p.stat().st_size for p in exported(reference)}
    limit = max(size for name, size in sizes.items() if "small" in name) + 4096
    assert sizes["b-big.tsv"] > limit

    out = tmp_path / "out"
    command = [sys.executable, "-m", "bitext", "translate", str(src), "-o", str(out)]
    command += ["--models-dir", str(installed_models), "--threads", "1", "--from", "nb"]
    command += ["--no-cache", "--no-default-glossary", "--json"]
    proc = subprocess.run(
        command, capture_output=True, text=True, preexec_fn=_limit_file_size(limit)
    )
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    reasons = {r["document"]: (r["status"], r["reason"]) for r in data["results"]}
    status, reason = reasons["b-big"]
    assert status == "failed"
    assert reason.startswith(f"cannot write {out / 'b-big'}.")
    assert ": File too large (the file is larger than the size limit for files)" in reason
    assert f"failed: {src / 'b-big.txt'}: cannot write" in proc.stderr
    assert reasons["a-small"] == ("done", None)
    # Every file there is complete (identical to the unlimited run); none partial.
    present = sorted(p.name for p in exported(out))
    assert "a-small.docx" in present and "b-big.tsv" not in present
    for name in present:
        assert not name.startswith(TEMP_PREFIX)
        assert (out / name).read_bytes() == (reference / name).read_bytes(), name
    # c-small was written before the big one failed, or was not attempted.
    status, reason = reasons["c-small"]
    assert status == "done" or reason.startswith("not done: cannot write")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_a_request_error(tmp_path, installed_models):
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(0o555)
    try:
        with pytest.raises(RequestError, match="Permission denied"):
            translate_paths([SEEDS_DIR], options(out, installed_models))
        assert list(out.iterdir()) == []
    finally:
        out.chmod(0o755)


# --- long input: never cut short --------------------------------------------------


def test_long_sentence_and_1_mb_paragraph_come_back_complete(tmp_path, installed_models):
    from bitext.engine import MAX_INPUT_TOKENS, Translator
    from bitext.models import find_package

    lines = [
        line
        for line in NTREX.read_text(encoding="utf-8").splitlines()
        if line.strip() and unicodedata.normalize("NFKC", line) == line
    ]
    # One sentence of several hundred tokens: no stop inside.
    clauses = [
        line.rstrip(".!?").replace(".", "").replace("?", "").replace("!", "") for line in lines
    ]
    long_sentence = ", ".join(clauses[:12]) + "."
    tokens = Translator(find_package("nb", "en", installed_models), threads=1).tokenize(
        long_sentence
    )
    assert len(tokens) > 2 * MAX_INPUT_TOKENS
    paragraph = " ".join(lines[:12])
    mega = " ".join([paragraph] * (1_000_000 // len(paragraph.encode()) + 1))
    assert len(mega.encode()) > 1_000_000
    src = tmp_path / "in"
    src.mkdir()
    (src / "long.txt").write_text(long_sentence + "\n", encoding="utf-8")
    (src / "mega.txt").write_text(mega + "\n", encoding="utf-8")
    out = tmp_path / "out"
    summary = translate_paths(
        [src], options(out, installed_models, formats=["tsv"], fast=True, cache=False)
    )
    assert summary.count("done") == 2, [r.reason for r in summary.results]
    assert tsv_pairs(out / "long.tsv") == [(long_sentence, long_sentence)]
    rows = tsv_pairs(out / "mega.tsv")
    assert all(s == t for s, t in rows)
    assert " ".join(s for s, _ in rows) == mega


def test_file_name_that_is_not_utf8(tmp_path, installed_models):
    """A name written by a Latin-1 system (bytes invalid as UTF-8) is read and exported."""
    src = tmp_path / "in"
    src.mkdir()
    name = os.fsdecode(b"bl\xe5b\xe6r.txt")  # surrogate escapes for the two bytes
    (src / name).write_text(GOOD, encoding="utf-8")
    out = tmp_path / "out"
    summary = translate_paths([src], options(out, installed_models))
    assert [(r.status, r.document) for r in summary.results] == [("done", "bl_b_r")]
    assert [s for s, _ in tsv_pairs(out / "bl_b_r.tsv")][
        0
    ] == "Regjeringen la fram budsjettet i dag."


def test_a_word_longer_than_the_model_input_is_rejoined_without_a_space(installed_models):
    """No word start to cut at: the pieces are cut inside the word and rejoined directly."""
    from bitext.engine import MAX_INPUT_TOKENS, DecodeOptions, Translator
    from bitext.models import find_package

    translator = Translator(
        find_package("nb", "en", installed_models), threads=1, options=DecodeOptions.fast()
    )
    word = "".join(f"ord{i}del" for i in range(150))  # one "word" of many pieces
    sentence = f"Lenken er {word} og slutter her."
    tokens = translator.tokenize(sentence)
    assert len(tokens) > MAX_INPUT_TOKENS
    pieces = translator._pieces(tokens)
    assert len(pieces) > 1 and sum(map(len, pieces)) == len(tokens)
    assert translator.translate([sentence]) == [sentence]
