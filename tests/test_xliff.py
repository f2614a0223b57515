"""XLIFF 1.2 export (issue 15): read back through translate-toolkit, and opened
by OmegaT (console mode) where it is installed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bitext.cli import app

from .capabilities import needs_omegat
from .conftest import SEEDS_DIR

NS = "urn:oasis:names:tc:xliff:document:1.2"


def bitext(*args) -> str:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture()
def exported(tmp_path, monkeypatch, installed_models) -> Path:
    monkeypatch.setenv("BITEXT_CACHE_DIR", str(tmp_path / "memory"))
    out = tmp_path / "out"
    bitext("translate", SEEDS_DIR, "-o", out, "--models-dir", installed_models, "--from", "nb",
           "-f", "xliff,jsonl", "--combine", "--threads", "1")  # fmt: skip
    return out


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_xliff_reads_back_through_translate_toolkit(exported):
    from translate.storage import xliff

    for path in sorted(exported.glob("0*.xlf")):
        rows = _rows(path.with_suffix(".jsonl"))
        store = xliff.xlifffile.parsestring(path.read_bytes())
        root = store.document.getroot()
        assert root.get("version") == "1.2" and store.namespace == NS
        [file_node] = root.iterchildren(f"{{{NS}}}file")
        assert file_node.get("original") == path.stem
        assert (file_node.get("source-language"), file_node.get("target-language")) == (
            "nb",
            "en",
        )
        header = [
            n.text for n in file_node.iter(f"{{{NS}}}note") if n.getparent().tag.endswith("header")
        ]
        assert any(h.startswith("Source file: ") and path.stem in h for h in header)
        assert any(h.startswith("Model: translate-nb_en") for h in header)
        assert any(h.startswith("Date: ") for h in header)
        units = store.units
        assert [u.getid().split("\x04")[-1] for u in units] == [r["id"] for r in rows]
        assert [(u.source, u.target or "") for u in units] == [
            (r["source"], r["target"]) for r in rows
        ]
        for unit, row in zip(units, rows):
            element = unit.xmlelement
            group = element.getparent()
            assert group.tag == f"{{{NS}}}group"
            assert group.get("id") == f"{row['document']}:{row['block']}"
            notes = unit.getnotes()
            assert f"kind: {row['kind']}" in notes and f"origin: {row['origin']}" in notes
            assert ("flags: " in notes) == bool(row["flags"])
            target = element.find(f"{{{NS}}}target")
            if row["origin"] == "model" and row["target"]:
                assert target.get("state") == "needs-review-translation"
        # One group per block, in order.
        blocks = [g.get("id") for g in file_node.iter(f"{{{NS}}}group")]
        assert blocks == list(dict.fromkeys(f"{r['document']}:{r['block']}" for r in rows))


def test_combined_xliff_holds_every_document_and_is_deterministic(
    exported, tmp_path, installed_models
):
    from translate.storage import xliff

    combined = exported / "_combined.xlf"
    store = xliff.xlifffile.parsestring(combined.read_bytes())
    files = [f.get("original") for f in store.document.getroot().iterchildren(f"{{{NS}}}file")]
    assert files == sorted(p.stem for p in exported.glob("0*.xlf"))
    assert len(store.units) == len(_rows(exported / "_combined.jsonl"))
    # A second run (from the memory, this time) writes the same bytes.
    again = tmp_path / "again"
    bitext("translate", SEEDS_DIR, "-o", again, "--models-dir", installed_models, "--from", "nb",
           "-f", "xliff", "--combine", "--threads", "1")  # fmt: skip
    for path in sorted(exported.glob("*.xlf")):
        assert (again / path.name).read_bytes() == path.read_bytes(), path.name


def _omegat_project(folder: Path) -> Path:
    for name in ("source", "target", "tm/auto", "glossary", "dictionary", "omegat"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / "omegat.project").write_text(
        """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<omegat>
  <project version="1.0">
    <source_dir>__DEFAULT__</source_dir>
    <source_dir_excludes/>
    <target_dir>__DEFAULT__</target_dir>
    <tm_dir>__DEFAULT__</tm_dir>
    <glossary_dir>__DEFAULT__</glossary_dir>
    <glossary_file>__DEFAULT__</glossary_file>
    <dictionary_dir>__DEFAULT__</dictionary_dir>
    <source_lang>nb</source_lang>
    <target_lang>en</target_lang>
    <source_tok>org.omegat.tokenizer.LuceneNorwegianTokenizer</source_tok>
    <target_tok>org.omegat.tokenizer.LuceneEnglishTokenizer</target_tok>
    <sentence_seg>false</sentence_seg>
    <support_default_translations>true</support_default_translations>
    <remove_tags>false</remove_tags>
  </project>
</omegat>
""",
        encoding="utf-8",
    )
    return folder


@needs_omegat
def test_omegat_opens_the_xliff_and_uses_the_memory_tmx(exported, tmp_path):
    """OmegaT's console mode loads bitext's XLIFF as a source file and bitext's
    memory TMX as an auto-applied memory, and writes the reviewed translation
    into its target XLIFF, which `bitext memory import` takes back."""
    from lxml import etree

    doc = sorted(p.stem for p in exported.glob("0*.xlf"))[0]
    rows = _rows(exported / f"{doc}.jsonl")
    row = next(r for r in rows if r["id"] == f"{doc}:3.1")
    reviewed = "Reviewed before OmegaT: state media report closer cooperation."
    edited = tmp_path / "edited.tmx"
    edited.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="nb" '
        'creationtool="test" creationtoolversion="1" segtype="sentence" o-tmf="x" '
        'adminlang="en" datatype="PlainText"/><body><tu><tuv xml:lang="nb"><seg>'
        f'{row["source"]}</seg></tuv><tuv xml:lang="en"><seg>{reviewed}</seg></tuv></tu>'
        "</body></tmx>\n",
        encoding="utf-8",
    )
    assert json.loads(bitext("memory", "import", edited, "--json"))["imported"] == 1
    project = _omegat_project(tmp_path / "project")
    shutil.copy(exported / f"{doc}.xlf", project / "source" / f"{doc}.xlf")
    bitext("memory", "export", "-o", project / "tm" / "auto" / "bitext.tmx", "--reviewed-only")
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.run(
        [
            "omegat",
            "--mode=console-translate",
            f"--config-dir={home / 'omegat'}",
            "--disable-project-locking",
            "--no-team",
            str(project),
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=300,
        env=dict(os.environ, HOME=str(home), JAVA_TOOL_OPTIONS="-Djava.awt.headless=true"),
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert "bitext.tmx" in log and "Translated document created" in log, log[-3000:]
    stats = (project / "omegat" / "project_stats.txt").read_text(encoding="utf-8")
    assert f"{doc}.xlf" in stats
    target = project / "target" / f"{doc}.xlf"
    tree = etree.parse(str(target))
    unit = tree.find(f".//{{{NS}}}trans-unit[@id='{doc}:3.1']")
    assert unit.find(f"{{{NS}}}target").text == reviewed
    # Every other unit keeps the model's output; OmegaT's file imports back cleanly.
    report = json.loads(bitext("memory", "import", target, "--json"))
    assert report["imported"] == 0 and report["skipped"] == 0, report
    assert report["unchanged"] == sum(1 for r in rows if r["origin"] != "source")
