"""Every export format, opened with the library its users rely on (issue 4).

Hand-made rows carry the awkward texts (tabs, newlines, quotes, &, <, emoji,
right-to-left script) and flags; the seed run goes through the real
pipeline with the copy model and checks the files against its rows.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bitext.documents import BilingualDocument, BilingualRow, Document
from bitext.exporters import COMBINED_STEM, formats, get_exporter, parse_formats
from bitext.exporters.tsv import COLUMNS
from bitext.outputs import safe_stem
from bitext.pipeline import TranslateOptions, translate_paths

from .conftest import SEEDS_DIR, docx_to_pdf
from .exported import exported

AWKWARD = [
    "Tab\there and a new\nline, «sitat» \"quote\" 'single' & <b>not bold</b>",
    "Emoji 🇳🇴😀 and Hebrew שלום עולם and Arabic مرحبا بالعالم.",
    "=SUM(A1:A2) looks like a formula; back\\slash \\t not a tab",
    "  leading and trailing spaces  ",
    "Carriage\r\nreturn – en dash — em dash … æøå ÆØÅ",
]


def awkward_document() -> BilingualDocument:
    rows = []
    for i, text in enumerate(AWKWARD, start=1):
        rows.append(
            BilingualRow(
                "doc-1",
                1 + i // 3,
                "paragraph",
                i,
                "nb",
                text,
                "en",
                text[::-1] + " EN",
                ["number-mismatch"] if i == 2 else [],
            )
        )
    rows.append(
        BilingualRow("doc-1", 9, "quote", 1, "en", "Already English.", "en", "Already English.")
    )
    rows.append(
        BilingualRow("doc-1", 10, "paragraph", 1, "nb", "Ingen oversettelse.", "en", "", ["empty"])
    )
    document = Document("doc-1", "doc-1.txt", [], date="2023-04")
    return BilingualDocument(
        document,
        rows,
        "nb",
        "en",
        model="translate-nb_en 1.9",
        metadata={"Translated": "2024-01-02"},
    )


def read_tsv(data: bytes) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(data.decode("utf-8"), newline=""), delimiter="\t")
    header, *records = list(reader)
    return header, records


# ---------------------------------------------------------------- registry


def test_every_format_is_registered_and_combined_name_cannot_clash():
    assert set(formats()) == {"docx", "tsv", "tmx", "jsonl", "xlsx", "xliff"}
    assert parse_formats("TMX, jsonl,xlsx") == ["tmx", "jsonl", "xlsx"]
    with pytest.raises(ValueError):
        parse_formats("pdf")
    for name in ("_combined", "__combined", "._combined", "_"):
        assert not safe_stem(name).startswith("_")
    assert COMBINED_STEM.startswith("_")


# ---------------------------------------------------------------- TSV


def test_tsv_same_field_count_everywhere_and_texts_restored():
    doc = awkward_document()
    header, records = read_tsv(get_exporter("tsv").render(doc))
    assert header == COLUMNS and header[-1] == "flags"
    assert all(len(r) == len(COLUMNS) for r in records)
    assert len(records) == len(doc.rows)
    for record, row in zip(records, doc.rows):
        fields = dict(zip(header, record))
        assert (fields["source"], fields["target"]) == (row.source, row.target)
        assert fields["flags"] == ",".join(row.flags)


def test_tsv_block_granularity_joins_sentences_and_their_flags():
    doc = awkward_document()
    header, records = read_tsv(get_exporter("tsv").render(doc, granularity="block"))
    blocks = [dict(zip(header, r)) for r in records]
    assert [b["block"] for b in blocks] == ["1", "2", "9", "10"]
    first = blocks[0]
    assert first["sentence"] == "1-2" and first["flags"] == "number-mismatch"
    assert first["source"] == f"{AWKWARD[0]} {AWKWARD[1]}"


def test_tsv_reads_back_with_pandas_defaults():
    import pandas as pd

    data = get_exporter("tsv").render(awkward_document())
    frame = pd.read_csv(io.BytesIO(data), sep="\t", dtype=str, keep_default_na=False)
    assert list(frame.columns) == COLUMNS
    assert list(frame["source"]) == [r.source for r in awkward_document().rows]
    assert list(frame["target"]) == [r.target for r in awkward_document().rows]


# ---------------------------------------------------------------- JSONL


def test_jsonl_one_object_per_sentence_with_everything():
    doc = awkward_document()
    lines = get_exporter("jsonl").render(doc).decode("utf-8").split("\n")
    assert lines[-1] == ""
    objects = [json.loads(line) for line in lines[:-1]]
    assert len(objects) == len(doc.rows)
    for obj, row in zip(objects, doc.rows):
        assert obj["id"] == f"{row.document}:{row.block}.{row.sentence}"
        assert (obj["source"], obj["target"], obj["flags"]) == (row.source, row.target, row.flags)
        assert (obj["source_lang"], obj["target_lang"]) == (row.source_lang, row.target_lang)


# ---------------------------------------------------------------- TMX


def test_tmx_reads_back_with_translate_toolkit():
    from translate.storage import tmx

    doc = awkward_document()
    data = get_exporter("tmx").render(doc)
    assert b'<tmx version="1.4">' in data and b"creationdate" not in data
    store = tmx.tmxfile.parsestring(data)
    translated = [r for r in doc.rows if r.source_lang != r.target_lang and r.target]
    assert len(store.units) == len(translated) == len(AWKWARD)
    for unit, row in zip(store.units, translated):
        assert (unit.source, unit.target) == (row.source, row.target)
        assert unit.getid() == f"doc-1:{row.block}.{row.sentence}"
        props = {p.get("type"): p.text for p in unit.xmlelement.iter("{*}prop", "prop")}
        assert props["x-document"] == "doc-1"
        assert props["x-segment"] == f"{row.block}.{row.sentence}"
        assert props.get("x-flags") == (",".join(row.flags) or None)
        langs = [
            tuv.get("{http://www.w3.org/XML/1998/namespace}lang") for tuv in unit.getlanguageNodes()
        ]
        assert langs == ["nb", "en"]


# ---------------------------------------------------------------- XLSX


def test_xlsx_reads_back_with_openpyxl():
    from openpyxl import load_workbook

    doc = awkward_document()
    book = load_workbook(io.BytesIO(get_exporter("xlsx").render(doc)))
    assert book.sheetnames == ["bitext"]
    sheet = book["bitext"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == COLUMNS
    assert len(values) == len(doc.rows) + 1
    for record, row in zip(values[1:], doc.rows):
        fields = dict(zip(COLUMNS, record))
        # An empty string is an empty cell in Excel: it reads back as None.
        assert (fields["source"], fields["target"] or "") == (row.source, row.target)
        assert (fields["flags"] or "") == ",".join(row.flags)
        assert (fields["block"], fields["sentence"]) == (row.block, row.sentence)
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["F"].width == 60
    formula_like = sheet.cell(row=4, column=COLUMNS.index("source") + 1)
    assert formula_like.data_type == "s" and formula_like.value.startswith("=SUM")
    flagged = sheet.cell(row=3, column=COLUMNS.index("flags") + 1)
    plain = sheet.cell(row=2, column=COLUMNS.index("flags") + 1)
    assert flagged.fill.fgColor.rgb.endswith("FFD966") and plain.fill.fill_type is None
    assert sheet.cell(row=2, column=COLUMNS.index("source") + 1).alignment.wrap_text


def test_xlsx_and_docx_bytes_do_not_depend_on_the_clock():
    doc = awkward_document()
    first = {name: get_exporter(name).render(doc) for name in ("xlsx", "docx", "tmx")}
    time.sleep(1.1)  # openpyxl and python-docx stamp seconds
    for name, data in first.items():
        assert get_exporter(name).render(doc) == data, name
    with zipfile.ZipFile(io.BytesIO(first["xlsx"])) as zf:
        assert {i.date_time for i in zf.infolist()} == {(2000, 1, 1, 0, 0, 0)}
        assert b"2000-01-01T00:00:00Z" in zf.read("docProps/core.xml")


# ---------------------------------------------------------------- DOCX


def test_docx_review_layout():
    from docx import Document as open_docx
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn

    doc = awkward_document()
    docx = open_docx(io.BytesIO(get_exporter("docx").render(doc, granularity="sentence")))
    section = docx.sections[0]
    assert section.orientation == WD_ORIENT.LANDSCAPE
    assert section.page_width > section.page_height
    assert section.right_margin > section.left_margin  # room for comments
    text = "\n".join(p.text for p in docx.paragraphs)
    for fact in (
        "Source file: doc-1.txt",
        "Date: 2023-04",
        "Model: translate-nb_en 1.9",
        "Translated: 2024-01-02",
    ):
        assert fact in text
    assert "number-mismatch (1)" in text and "empty (1)" in text  # legend with counts
    table = docx.tables[0]
    assert len(table.columns) == 3
    assert table.columns[0].width < table.columns[1].width / 4
    header = table.rows[0]._tr.trPr
    assert header.find(qn("w:tblHeader")) is not None
    rows = table.rows[1:]
    assert len(rows) == len(doc.rows)
    for tr, row in zip(rows, doc.rows):
        assert tr._tr.trPr.find(qn("w:cantSplit")) is not None
        ident, source, target = tr.cells
        assert ident.text == f"{row.block}.{row.sentence}"
        assert source.paragraphs[0].text == row.source.replace("\r\n", "\n").replace("\r", "\n")
        assert target.paragraphs[0].text == row.target.replace("\r\n", "\n").replace("\r", "\n")
        shaded = target._tc.tcPr.find(qn("w:shd")) is not None
        assert shaded == bool(row.flags)
        if row.flags:
            assert target.paragraphs[-1].text == "Check: " + ", ".join(row.flags)
    fonts = docx.styles["Normal"].element.rPr.rFonts
    assert {fonts.get(qn(f"w:{slot}")) for slot in ("ascii", "hAnsi", "cs", "eastAsia")} == {
        "Calibri"
    }


# ---------------------------------------------------------------- round trips


_XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")
        + "\ufffe\uffff",
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(source=_XML_TEXT.filter(str.strip), target=_XML_TEXT.filter(str.strip))
def test_any_text_survives_tsv_jsonl_and_tmx(source, target):
    from translate.storage import tmx

    row = BilingualRow("d", 1, "paragraph", 1, "nb", source, "en", target, ["length-ratio"])
    doc = BilingualDocument(Document("d", "d.txt", []), [row], "nb", "en")
    header, records = read_tsv(get_exporter("tsv").render(doc))
    assert len(records) == 1 and len(records[0]) == len(COLUMNS)
    fields = dict(zip(header, records[0]))
    assert (fields["source"], fields["target"]) == (source, target)
    (line,) = get_exporter("jsonl").render(doc).decode("utf-8").splitlines()
    assert (json.loads(line)["source"], json.loads(line)["target"]) == (source, target)
    (unit,) = tmx.tmxfile.parsestring(get_exporter("tmx").render(doc)).units
    assert (unit.source, unit.target) == (source, target)


# ---------------------------------------------------------------- the seed run


@pytest.fixture(scope="module")
def seed_exports(tmp_path_factory, installed_models):
    out = tmp_path_factory.mktemp("all-formats")
    summary = translate_paths(
        [SEEDS_DIR],
        TranslateOptions(
            output_dir=out,
            models_dir=installed_models,
            threads=1,
            formats=["docx", "tsv", "tmx", "jsonl", "xlsx"],
            combine=True,
            cache=False,
            default_glossary=False,
        ),
    )
    return out, summary


def test_seed_run_writes_every_format_plus_combined_files(seed_exports):
    out, summary = seed_exports
    assert summary.count("done") == 2
    names = {p.name for p in exported(out)}
    assert {f"{COMBINED_STEM}{ext}" for ext in (".tsv", ".tmx", ".jsonl", ".xlsx")} <= names
    assert f"{COMBINED_STEM}.docx" not in names
    # The copy model repeats every sentence: each one with ordinary words is
    # flagged untranslated, and the run summary counts them.
    rows = [
        json.loads(line)
        for line in (out / f"{COMBINED_STEM}.jsonl").read_text("utf-8").splitlines()
    ]
    assert len(rows) == sum(r.sentences for r in summary.results) == 48
    flagged = sum("untranslated" in r["flags"] for r in rows)
    assert flagged == summary.flag_counts["untranslated"] > 40
    assert summary.as_dict()["flags"] == {"untranslated": flagged}
    per_document = b"".join((out / f"{r.document}.jsonl").read_bytes() for r in summary.results)
    assert per_document == (out / f"{COMBINED_STEM}.jsonl").read_bytes()


def test_seed_files_agree_with_each_other(seed_exports):
    from openpyxl import load_workbook
    from translate.storage import tmx

    out, _ = seed_exports
    rows = [
        json.loads(line)
        for line in (out / f"{COMBINED_STEM}.jsonl").read_text("utf-8").splitlines()
    ]
    header, records = read_tsv((out / f"{COMBINED_STEM}.tsv").read_bytes())
    tsv_rows = [dict(zip(header, r)) for r in records]
    assert [(r["source"], r["target"], r["flags"]) for r in tsv_rows] == [
        (r["source"], r["target"], ",".join(r["flags"])) for r in rows
    ]
    units = tmx.tmxfile.parsestring((out / f"{COMBINED_STEM}.tmx").read_bytes()).units
    assert [(u.source, u.target) for u in units] == [(r["source"], r["target"]) for r in rows]
    sheet = load_workbook(out / f"{COMBINED_STEM}.xlsx")["bitext"]
    assert [c.value for c in sheet["F"][1:]] == [r["source"] for r in rows]


@pytest.mark.skipif(
    shutil.which("soffice") is None or shutil.which("pdftotext") is None,
    reason="LibreOffice or poppler-utils is not installed",
)
def test_docx_pdf_from_libreoffice_contains_every_sentence(seed_exports, tmp_path):
    out, _ = seed_exports
    pdf = docx_to_pdf(out / "002_a3320b0741197cf2.docx", tmp_path)
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    words = " ".join(text.split())
    rows = [
        json.loads(line)
        for line in (out / "002_a3320b0741197cf2.jsonl").read_text("utf-8").splitlines()
    ]
    # Cells wrap and the two columns interleave in the text layer, so every
    # word of every source and target sentence must be there.
    # (pdftotext joins `Nord-` and `Koreas` where a line broke at the hyphen.)
    pdf_words = set(words.replace("-", "").split())
    for row in rows:
        for sentence in (row["source"], row["target"]):
            missing = [w for w in sentence.replace("-", "").split() if w not in pdf_words]
            assert not missing, (sentence, missing)
    assert "Check: untranslated" in words


def test_cli_streams_jsonl_to_stdout_and_refuses_other_formats(tmp_path, installed_models):
    seed = SEEDS_DIR / "002_a3320b0741197cf2.txt"
    base = [
        sys.executable,
        "-m",
        "bitext",
        "translate",
        str(seed),
        "--models-dir",
        str(installed_models),
    ]
    base += ["--threads", "1", "--no-cache"]
    proc = subprocess.run(
        base + ["-o", "-", "-f", "jsonl"], capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    objects = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(objects) == 19 and objects[0]["document"] == "002_a3320b0741197cf2"
    assert "flags: untranslated" in proc.stderr
    assert not Path("-").exists()
    refused = subprocess.run(
        base + ["-o", "-", "-f", "tsv"], capture_output=True, text=True, timeout=120
    )
    assert refused.returncode == 2 and "jsonl" in refused.stderr
