"""One `bitext translate` run over a shelf of every input kind, broken ones among them (issue 16).

A real process with the copy model: each article format is exported, each
broken file fails alone with its reason, a file no reader takes is listed
as skipped with its kind (on stderr and in --json), hidden and lock files
stay silently out, and the exports name the input kind.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bitext.exporters.tsv import read_rows

from .article_inputs import (
    SEEDS,
    markdown,
    news_page,
    seed_document,
    sentences,
    write_odt,
    write_pdf,
    write_zip_bomb,
)


@pytest.fixture(scope="module")
def shelf(tmp_path_factory, installed_models):
    root = tmp_path_factory.mktemp("shelf")
    src = root / "inn"
    src.mkdir()
    first, second = (seed_document(path) for path in SEEDS[:2])
    (src / "side.html").write_bytes(news_page(first))
    (src / "notat.md").write_text(markdown(second), encoding="utf-8")
    write_odt(first, src / "artikkel.odt")
    write_pdf(second, src / "presse.pdf")
    write_pdf(first, src / "lagret.html")  # a PDF saved under a page's name
    data = (src / "presse.pdf").read_bytes()
    (src / "avkuttet.pdf").write_bytes(data[: len(data) // 2])
    write_zip_bomb(src / "bombe.odt", unpacked=100_000_000)
    (src / "bilde.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(100))
    (src / "tabell.csv").write_text("a,b\n1,2\n")
    (src / ".skjult.html").write_bytes(news_page(first))
    (src / "~$notat.md").write_bytes(b"\x00lock")
    out = root / "ut"
    command = [sys.executable, "-m", "bitext", "translate", str(src), "-o", str(out)]
    command += ["--models-dir", str(installed_models), "--threads", "1", "--from", "nb"]
    command += ["--no-default-glossary", "--format", "docx,tsv", "--json"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    data = json.loads(proc.stdout)
    results = {Path(r["path"]).name: r for r in data["results"]}
    return src, out, proc, data, results, {"first": first, "second": second}


def test_every_file_has_its_outcome(shelf):
    src, out, proc, data, results, _ = shelf
    assert proc.returncode == 1, proc.stderr  # some documents failed, the others done
    status = {name: r["status"] for name, r in results.items()}
    assert status == {
        "side.html": "done",
        "notat.md": "done",
        "artikkel.odt": "done",
        "presse.pdf": "done",
        "lagret.html": "done",
        "avkuttet.pdf": "failed",
        "bombe.odt": "failed",
        "bilde.jpg": "skipped",
        "tabell.csv": "skipped",
    }  # the hidden page and the lock file: silently out
    assert "truncated PDF" in results["avkuttet.pdf"]["reason"]
    assert "--max-" in results["bombe.odt"]["reason"]
    assert "named .html but is PDF" in results["lagret.html"]["warnings"][0]


def test_files_no_reader_takes_are_named_with_their_kind(shelf):
    src, out, proc, data, results, _ = shelf
    jpg = results["bilde.jpg"]["reason"]
    assert jpg.startswith("not an article format: a .jpg file (image/jpeg); bitext reads .txt")
    assert ".pdf" in jpg and ".odt" in jpg and ".md" in jpg and ".html" in jpg
    assert "a .csv file" in results["tabell.csv"]["reason"]
    assert f"skipped: {src / 'bilde.jpg'}: {jpg}" in proc.stderr
    assert data["skipped"] == 2


def test_each_format_exports_the_seed_sentences(shelf):
    src, out, proc, data, results, seeds = shelf
    expected = {
        "side.html": seeds["first"],
        "notat.md": seeds["second"],
        "artikkel.odt": seeds["first"],
        "presse.pdf": seeds["second"],
        "lagret.html": seeds["first"],
    }
    for name, seed in expected.items():
        tsv = out / f"{results[name]['document']}.tsv"
        rows = read_rows(tsv.read_bytes())
        assert [(r["kind"], r["source"]) for r in rows] == sentences(seed), name
        assert all(r["target"] == r["source"] for r in rows)  # the copy model


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("side.html", "web page (HTML)"),
        ("notat.md", "Markdown"),
        ("artikkel.odt", "OpenDocument text (.odt)"),
        ("presse.pdf", "PDF"),
        ("lagret.html", "PDF"),
    ],
)
def test_docx_export_names_the_input_kind(shelf, name, label):
    from docx import Document

    src, out, proc, data, results, _ = shelf
    docx = Document(str(out / f"{results[name]['document']}.docx"))
    assert f"Input: {label}" in [p.text for p in docx.paragraphs]
