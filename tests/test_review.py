"""The review loop (issue 15): corrections made in bitext's exports come back.

A reviewer edits targets in each format with the library people use for it
(python-docx for the DOCX, openpyxl for the XLSX, lxml for the XLIFF, plain
text for the TMX and TSV); `bitext memory import` stores them; a new
`translate --overwrite` run gives exactly the edited rows their reviewed
text with origin `reviewed`, and every other row is byte-identical; with
`--no-cache` the model's output comes back. The copy model translates every
sentence into itself, so a correction is easy to spot.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bitext.cli import app
from bitext.memory import TranslationMemory
from bitext.record import RECORD_NAME

from .conftest import SEEDS_DIR

FORMATS = "docx,tsv,xlsx,jsonl,tmx,xliff"
XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"


@pytest.fixture()
def memory_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "memory"
    monkeypatch.setenv("BITEXT_CACHE_DIR", str(folder))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return folder


def bitext(*args: str | Path) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def translate(out: Path, models: Path, *extra: str) -> None:
    bitext("translate", SEEDS_DIR, "-o", out, "--models-dir", models, "-f", FORMATS,
           "--from", "nb", "--threads", "1", *extra)  # fmt: skip


def jsonl_rows(folder: Path) -> dict[str, tuple[bytes, dict]]:
    """id -> (the JSONL line's bytes, its object), over every document."""
    out = {}
    for path in sorted(folder.glob("*.jsonl")):
        for line in path.read_bytes().splitlines():
            obj = json.loads(line)
            out[obj["id"]] = (line, obj)
    return out


def memory_export(tmp_path: Path, name: str) -> bytes:
    path = tmp_path / name
    bitext("memory", "export", "-o", path)
    return path.read_bytes()


# -- the reviewer, one format at a time ---------------------------------------


def edit_docx(path: Path, block: int, new_target: str) -> None:
    """Replace the target text of one block row, as a person in Word would."""
    from docx import Document

    document = Document(path)
    for row in document.tables[0].rows[1:]:
        if row.cells[0].text.strip() == str(block):
            paragraph = row.cells[2].paragraphs[0]
            for run in paragraph.runs[1:]:
                run._r.getparent().remove(run._r)
            paragraph.runs[0].text = new_target
            break
    else:
        raise AssertionError(f"no row {block}")
    document.save(path)


def edit_xlsx(path: Path, row_id: str, new_target: str, *, reorder: bool = False) -> None:
    """Change one row's target (found by the `block`/`sentence` columns) with openpyxl."""
    from openpyxl import Workbook, load_workbook

    book = load_workbook(path)
    rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    header = rows[0]
    block, sentence = row_id.split(".")
    for row in rows[1:]:
        if str(row[header.index("block")]) == block and str(row[header.index("sentence")]) == (
            sentence
        ):
            row[header.index("target")] = new_target
    if reorder:  # target first, source last, the rest in between, as a user might
        order = [header.index("target")]
        order += [i for i in range(len(header)) if header[i] not in ("target", "source")]
        order += [header.index("source")]
        rows = [[r[i] for i in order] for r in rows]
    fresh = Workbook()
    for row in rows:
        fresh.active.append(row)
    fresh.save(path)


def edit_xliff(path: Path, unit_id: str, new_target: str) -> None:
    from lxml import etree

    tree = etree.parse(str(path))
    unit = tree.find(f".//{{{XLIFF_NS}}}trans-unit[@id='{unit_id}']")
    target = unit.find(f"{{{XLIFF_NS}}}target")
    target.text = new_target
    target.set("state", "translated")  # a CAT tool's "confirmed", not signed off
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def edit_tmx(path: Path, source: str, new_target: str) -> None:
    """Change the English side of the unit whose Norwegian side is `source`."""
    from lxml import etree

    tree = etree.parse(str(path))
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    for unit in tree.iter("tu"):
        segs = {tuv.get(lang): tuv.find("seg") for tuv in unit.iter("tuv")}
        if segs["nb"].text == source:
            segs["en"].text = new_target
            break
    else:
        raise AssertionError(f"no unit for {source!r}")
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")


def test_reviewed_corrections_from_every_format_come_back(tmp_path, memory_dir, installed_models):
    first, second, third = tmp_path / "first", tmp_path / "second", tmp_path / "third"
    translate(first, installed_models)
    before = jsonl_rows(first)
    docs = sorted(p.stem for p in first.glob("*.jsonl"))
    a, b = docs[0], docs[1]

    def row(doc: str, ref: str) -> dict:
        return before[f"{doc}:{ref}"][1]

    review = tmp_path / "review"
    review.mkdir()
    edits: dict[str, str] = {}  # source sentence -> reviewed target

    # Word: block 3 of document A has two sentences; the reviewer rewrites the second.
    s1, s2 = row(a, "3.1"), row(a, "3.2")
    docx = review / f"{a}.docx"
    docx.write_bytes((first / f"{a}.docx").read_bytes())
    word_text = "Beijing said it would work more closely with the Russian armed forces."
    edit_docx(docx, 3, f"{s1['target']} {word_text}")
    edits[s2["source"]] = word_text
    # Excel: sentence 4.1 of document A.
    xlsx = review / f"{a}.xlsx"
    xlsx.write_bytes((first / f"{a}.xlsx").read_bytes())
    excel_text = "Edited in Excel: the ministers met on Sunday."
    edit_xlsx(xlsx, "4.1", excel_text)
    edits[row(a, "4.1")["source"]] = excel_text
    # A CAT tool's XLIFF: sentence 2.1 (the headline) of document B.
    xlf = review / f"{b}.xlf"
    xlf.write_bytes((first / f"{b}.xlf").read_bytes())
    cat_text = "Edited in a CAT tool: the headline of document B"
    edit_xliff(xlf, f"{b}:2.1", cat_text)
    edits[row(b, "2.1")["source"]] = cat_text
    # A TMX edit: sentence 3.1 of document B.
    tmx = review / f"{b}.tmx"
    tmx.write_bytes((first / f"{b}.tmx").read_bytes())
    tmx_text = "Edited in the TMX: the first paragraph of document B."
    edit_tmx(tmx, row(b, "3.1")["source"], tmx_text)
    edits[row(b, "3.1")["source"]] = tmx_text

    output = bitext("memory", "import", docx, xlsx, xlf, tmx, "--json")
    report = json.loads(output)
    assert report["imported"] == len(edits) == 4, report
    assert report["conflicts"] == [] and report["skipped"] == 0, report
    assert report["unchanged"] > 20  # every row nobody touched

    translate(second, installed_models, "--overwrite")
    after = jsonl_rows(second)
    assert after.keys() == before.keys()
    changed = {key for key in before if before[key][0] != after[key][0]}
    assert {after[k][1]["source"] for k in changed} == set(edits)
    for key in changed:
        obj = after[key][1]
        assert obj["target"] == edits[obj["source"]]
        assert obj["origin"] == "reviewed"
    for key in before.keys() - changed:
        assert after[key][1]["origin"] in ("model", "source")
    # The same in the TSV: exactly the edited lines differ, with origin `reviewed` last.
    for doc in docs:
        old = (first / f"{doc}.tsv").read_text(encoding="utf-8").splitlines()
        new = (second / f"{doc}.tsv").read_text(encoding="utf-8").splitlines()
        assert old[0] == new[0] and old[0].split("\t")[-1] == "origin"
        differing = [n for o, n in zip(old, new, strict=True) if o != n]
        assert all(line.endswith("\treviewed") for line in differing)
        assert len(differing) == sum(1 for k in changed if k.startswith(f"{doc}:"))
    # The XLIFF marks them final, the DOCX marks them and says so in its legend.
    assert f'state="final">{cat_text}<' in (second / f"{b}.xlf").read_text(encoding="utf-8")
    from docx import Document

    from bitext.exporters.docx import REVIEWED_MARK

    reviewed_doc = Document(second / f"{a}.docx")
    marks = [r.cells[0].text for r in reviewed_doc.tables[0].rows[1:]]
    assert [m for m in marks if REVIEWED_MARK in m] == [f"3 {REVIEWED_MARK}", f"4 {REVIEWED_MARK}"]
    assert any(p.text.startswith("Origin.") for p in reviewed_doc.paragraphs)

    # XLSX: `origin` after the existing columns; TMX: an `x-origin` property.
    from openpyxl import load_workbook

    sheet = list(load_workbook(second / f"{a}.xlsx").active.iter_rows(values_only=True))
    assert sheet[0][-2:] == ("flags", "origin")
    assert sorted(r[sheet[0].index("target")] for r in sheet[1:] if r[-1] == "reviewed") == (
        sorted(edits[r[sheet[0].index("source")]] for r in sheet[1:] if r[-1] == "reviewed")
    )
    assert sum(r[-1] == "reviewed" for r in sheet[1:]) == 2
    from translate.storage import tmx as tmx_storage

    tmx_units = tmx_storage.tmxfile.parsestring((second / f"{b}.tmx").read_bytes()).units
    tmx_origin = {
        u.source: {p.get("type"): p.text for p in u.xmlelement.iter("prop")}["x-origin"]
        for u in tmx_units
    }
    assert {s for s, o in tmx_origin.items() if o == "reviewed"} == {
        row(b, "2.1")["source"],
        row(b, "3.1")["source"],
    }

    # Without the memory, the model's output again: every file as in the first run.
    translate(third, installed_models, "--no-cache")
    for path in sorted(p for p in first.iterdir() if p.name != RECORD_NAME):
        assert (third / path.name).read_bytes() == path.read_bytes(), path.name

    # The memory exports its reviewed pairs as TMX with dates and origin.
    exported = tmp_path / "reviewed.tmx"
    bitext("memory", "export", "-o", exported, "--reviewed-only", "--from", "nb", "--to", "en")
    units = tmx_storage.tmxfile.parsestring(exported.read_bytes()).units
    assert {(u.source, u.target) for u in units} == set(edits.items())
    for unit in units:
        assert unit.xmlelement.get("creationdate", "").endswith("Z")
        assert "reviewed" in [p.text for p in unit.xmlelement.iter("prop")]


def test_a_reviewed_translation_is_never_respelled_by_the_glossary(
    tmp_path, memory_dir, installed_models
):
    first, second = tmp_path / "first", tmp_path / "second"
    translate(first, installed_models)
    rows = jsonl_rows(first)
    # The default glossary respells the Russian minister's name in the model's output.
    source, machine = next(
        (o["source"], o["target"]) for _, o in rows.values() if "Sjojgu" in o["source"]
    )
    assert "Shoigu" in machine
    reviewed = source.replace("I midten", "In the middle:")  # keeps the Norwegian spelling
    tsv = tmp_path / "edited.tsv"
    tsv.write_text(
        "source_lang\ttarget_lang\tsource\ttarget\tflags\tsentence\n"
        f"nb\ten\t{source}\t{reviewed}\t\t1\n",
        encoding="utf-8",
    )
    report = json.loads(bitext("memory", "import", tsv, "--json"))
    assert report["imported"] == 1, report
    translate(second, installed_models, "--overwrite")
    [after] = [o for _, o in jsonl_rows(second).values() if o["source"] == source]
    assert after["target"] == reviewed and "Sjojgu" in after["target"]
    assert after["origin"] == "reviewed" and "glossary" not in after["flags"]


def test_xlsx_with_reordered_columns_and_a_tsv(tmp_path, memory_dir, installed_models):
    first = tmp_path / "first"
    translate(first, installed_models)
    doc = sorted(p.stem for p in first.glob("*.xlsx"))[0]
    xlsx = tmp_path / "reordered.xlsx"
    xlsx.write_bytes((first / f"{doc}.xlsx").read_bytes())
    edit_xlsx(xlsx, "3.1", "Reordered columns still import.", reorder=True)
    from openpyxl import load_workbook

    header = next(load_workbook(xlsx).active.iter_rows(values_only=True))
    assert header[0] == "target" and header[-1] == "source"
    report = json.loads(bitext("memory", "import", xlsx, "--json"))
    assert report["imported"] == 1 and report["skipped"] == 0, report
    source = jsonl_rows(first)[f"{doc}:3.1"][1]["source"]
    with TranslationMemory() as memory:
        assert memory.get_reviewed("nb", "en", [source]) == {
            source: "Reordered columns still import."
        }
    # The same sentence from a TSV, differently: the later import wins, listed as a conflict.
    tsv = tmp_path / "later.tsv"
    records = list(
        csv.reader(io.StringIO((first / f"{doc}.tsv").read_text(encoding="utf-8"), newline=""),
                   delimiter="\t")
    )  # fmt: skip
    header_tsv = records[0]
    for fields in records[1:]:
        if fields[header_tsv.index("source")] == source:
            fields[header_tsv.index("target")] = "A later correction."
    with tsv.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter="\t", lineterminator="\n").writerows(records)
    report = json.loads(bitext("memory", "import", tsv, "--json"))
    assert report["imported"] == 1, report
    [conflict] = report["conflicts"]
    assert conflict["earlier"] == "Reordered columns still import."
    assert conflict["later"] == "A later correction." and conflict["earlier_from"] == "the memory"


def test_a_block_edit_the_aligner_cannot_link_is_reported_not_imported(
    tmp_path, memory_dir, installed_models
):
    first = tmp_path / "first"
    translate(first, installed_models)
    rows = jsonl_rows(first)
    doc = sorted(p.stem for p in first.glob("*.docx"))[0]
    # Block 6 has three sentences; the reviewer merges them all into one.
    assert f"{doc}:6.3" in rows and f"{doc}:6.4" not in rows
    docx = tmp_path / "merged.docx"
    docx.write_bytes((first / f"{doc}.docx").read_bytes())
    edit_docx(docx, 6, "One sentence where there were three")
    report = json.loads(bitext("memory", "import", docx, "--json"))
    assert report["imported"] == 0, report
    reasons = [s["reason"] for s in report["skipped_details"]]
    assert reasons and all("aligner is unsure" in r for r in reasons), reasons


def test_a_docx_edited_with_track_changes_imports_the_accepted_text(
    tmp_path, memory_dir, installed_models
):
    """Word keeps tracked edits in <w:ins>/<w:del>: the inserted words count."""
    from docx import Document
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    first = tmp_path / "first"
    translate(first, installed_models)
    doc = sorted(p.stem for p in first.glob("*.docx"))[0]
    headline = jsonl_rows(first)[f"{doc}:2.1"][1]
    docx = tmp_path / "tracked.docx"
    document = Document(first / f"{doc}.docx")
    row = next(r for r in document.tables[0].rows[1:] if r.cells[0].text.strip() == "2")
    paragraph = row.cells[2].paragraphs[0]._p
    deletion = OxmlElement("w:del")
    deletion.set(qn("w:id"), "1")
    deletion.set(qn("w:author"), "Reviewer")
    for run in paragraph.findall(qn("w:r")):
        for text in run.findall(qn("w:t")):
            text.tag = qn("w:delText")
        deletion.append(run)
    insertion = OxmlElement("w:ins")
    insertion.set(qn("w:id"), "2")
    insertion.set(qn("w:author"), "Reviewer")
    new_run = OxmlElement("w:r")
    new_text = OxmlElement("w:t")
    new_text.text = "China willing to work more closely with Russia"
    new_run.append(new_text)
    insertion.append(new_run)
    paragraph.append(deletion)
    paragraph.append(insertion)
    document.save(docx)
    report = json.loads(bitext("memory", "import", docx, "--json"))
    assert report["imported"] == 1, report
    with TranslationMemory() as memory:
        assert memory.get_reviewed("nb", "en", [headline["source"]]) == {
            headline["source"]: "China willing to work more closely with Russia"
        }


# -- untrusted files ----------------------------------------------------------

XXE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE xliff [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<xliff version="1.2" xmlns="urn:oasis:names:tc:xliff:document:1.2">
<file original="x" source-language="nb" target-language="en" datatype="plaintext"><body>
<trans-unit id="1"><source>Hei</source><target state="final">&secret;</target></trans-unit>
</body></file></xliff>
"""
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE tmx [\n<!ENTITY lol "lol">\n'
    + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + ']>\n<tmx version="1.4"><header srclang="nb"/><body><tu>'
    '<tuv xml:lang="nb"><seg>Hei</seg></tuv><tuv xml:lang="en"><seg>&lol9;</seg></tuv>'
    "</tu></body></tmx>\n"
)
OTHER_PAIR = """<?xml version="1.0" encoding="UTF-8"?>
<tmx version="1.4"><header srclang="de" creationtool="x" creationtoolversion="1"
 segtype="sentence" o-tmf="x" adminlang="en" datatype="PlainText"/><body>
<tu><tuv xml:lang="de"><seg>Guten Tag.</seg></tuv><tuv xml:lang="fr"><seg>Bonjour.</seg></tuv></tu>
</body></tmx>
"""


def _hostile_files(folder: Path, good_xlf: bytes, good_xlsx: bytes) -> list[Path]:
    files = {
        "xxe.xlf": XXE.encode(),
        "laughs.tmx": LAUGHS.encode(),
        "truncated.xlf": good_xlf[: len(good_xlf) // 2],
        "truncated.xlsx": good_xlsx[: len(good_xlsx) // 2],
        "other-pair.tmx": OTHER_PAIR.encode(),
        "not-a-table.tsv": b"just\tsome\tcolumns\nno\tsource\there\n",
    }
    paths = []
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths.append(folder / name)
    return paths


def test_hostile_and_malformed_files_are_refused_and_the_memory_is_unchanged(
    tmp_path, memory_dir, installed_models
):
    first = tmp_path / "first"
    translate(first, installed_models)
    doc = sorted(p.stem for p in first.glob("*.xlf"))[0]
    good = tmp_path / "good.xlf"
    good.write_bytes((first / f"{doc}.xlf").read_bytes())
    edit_xliff(good, f"{doc}:2.1", "A correction that must not get in with the bad files.")
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    bad = _hostile_files(
        hostile, (first / f"{doc}.xlf").read_bytes(), (first / f"{doc}.xlsx").read_bytes()
    )
    before = memory_export(tmp_path, "before.tmx")
    for path in bad:
        # Each bad file alone, and beside a good one: refused, naming the file, nothing written.
        for files in ([path], [good, path]):
            result = CliRunner().invoke(app, ["memory", "import", *map(str, files)])
            assert result.exit_code == 2, (path.name, result.output)
            assert str(path) in result.output and "nothing was imported" in result.output
            assert "root:" not in result.output  # no /etc/passwd content, ever
    assert memory_export(tmp_path, "after.tmx") == before
    with TranslationMemory() as memory:
        assert memory.info()["reviewed"] == {}


def test_an_oversized_file_is_refused(tmp_path, memory_dir, monkeypatch):
    from bitext import review

    monkeypatch.setattr(review, "MAX_FILE_BYTES", 100)
    big = tmp_path / "big.tmx"
    big.write_text("<tmx>" + "x" * 200 + "</tmx>", encoding="utf-8")
    result = CliRunner().invoke(app, ["memory", "import", str(big)])
    assert result.exit_code == 2 and "more than the 100" in result.output


def test_an_import_interrupted_while_writing_changes_nothing(tmp_path, memory_dir):
    """put_reviewed is one transaction: an error half-way rolls every row back."""
    with TranslationMemory() as memory:
        memory.put_reviewed([("nb", "en", "Før.", "Before.", "x")])

        def entries():
            yield ("nb", "en", "En.", "One.", "x")
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            memory.put_reviewed(entries())
        assert memory.get_reviewed("nb", "en", ["Før.", "En."]) == {"Før.": "Before."}


def test_a_memory_file_from_before_the_reviewed_store_is_migrated(tmp_path):
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:  # the schema before issue 15
        db.executescript(
            "CREATE TABLE translations (model TEXT NOT NULL, source TEXT NOT NULL, "
            "target TEXT NOT NULL, created REAL NOT NULL, PRIMARY KEY (model, source)) "
            "WITHOUT ROWID;"
            "CREATE TABLE documents (key TEXT PRIMARY KEY, data TEXT NOT NULL, "
            "created REAL NOT NULL) WITHOUT ROWID;"
            "INSERT INTO translations VALUES ('m', 'Hei.', 'Hi.', 1.0);"
        )
    with TranslationMemory(path) as memory:
        assert memory.get_many("m", ["Hei."]) == {"Hei.": "Hi."}
        memory.put_reviewed([("nb", "en", "Hei.", "Hello.", "review.tmx")])
    with TranslationMemory(path) as memory:
        assert memory.get_reviewed("nb", "en", ["Hei."]) == {"Hei.": "Hello."}
        assert memory.info()["reviewed"] == {"nb-en": 1}
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 1


def test_cache_is_still_an_alias_of_memory(memory_dir):
    assert "entries\t0" in bitext("cache", "info")
    assert "removed 0 entries" in bitext("cache", "clear")


def test_xliff_2_from_a_cat_tool_is_imported(tmp_path, memory_dir):
    xlf = tmp_path / "cat-tool.xlf"
    xlf.write_text(
        """<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:2.0" version="2.0" srcLang="nb-NO" trgLang="en-GB">
 <file id="f1">
  <unit id="u1"><segment state="final"><source>Kina er villig.</source>
   <target>China is willing.</target></segment></unit>
  <unit id="u2"><segment state="initial"><source>Uten mal.</source><target>Sans.</target></segment>
  </unit>
  <unit id="u3" translate="no"><segment><source>Oslo</source><target>Oslo</target></segment></unit>
 </file>
</xliff>
""",
        encoding="utf-8",
    )
    report = json.loads(bitext("memory", "import", xlf, "--json"))
    assert report["imported"] == 1 and report["skipped"] == 1, report
    assert "machine output" in report["skipped_details"][0]["reason"]
    with TranslationMemory() as memory:
        assert memory.get_reviewed("nb", "en", ["Kina er villig.", "Uten mal.", "Oslo"]) == {
            "Kina er villig.": "China is willing."
        }


def test_memory_export_writes_machine_and_reviewed_units(tmp_path, memory_dir, installed_models):
    from translate.storage import tmx as tmx_storage

    first = tmp_path / "first"
    translate(first, installed_models)
    rows = [o for _, o in jsonl_rows(first).values() if o["origin"] == "model"]
    tsv = tmp_path / "one.tsv"
    tsv.write_text(f"source\ttarget\n{rows[0]['source']}\tA reviewed sentence.\n", encoding="utf-8")
    assert json.loads(bitext("memory", "import", tsv, "--json"))["imported"] == 1
    everything = tmp_path / "all.tmx"
    bitext("memory", "export", "-o", everything)
    units = tmx_storage.tmxfile.parsestring(everything.read_bytes()).units
    origins = [
        {p.get("type"): p.text for p in u.xmlelement.iter("prop")}["x-origin"] for u in units
    ]
    assert origins[0] == "reviewed" and set(origins[1:]) == {"model"}
    # Machine units are shown as translate shows them (names respelled).
    shown = {r["source"]: r["target"] for r in rows}
    machine = [(u.source, u.target) for u, o in zip(units, origins) if o == "model"]
    matched = [(s, t) for s, t in machine if s in shown]
    assert len(matched) > 20 and all(shown[s] == t for s, t in matched)
    assert any("Shoigu" in t for _, t in matched)
    none = tmp_path / "none.tmx"
    assert "wrote 0 units" in bitext("memory", "export", "-o", none, "--from", "de")
