"""A translated TSV read back by the programs people open it with, on their defaults.

An English sentence that opens with a quotation mark is the common case that
breaks unquoted TSV: csv, pandas, LibreOffice Calc and Excel take a leading
`"` for a text qualifier. The article below has such sentences on both sides
(the copy model writes each source as its own translation) and an English
paragraph kept as it is ("already en"). The JSONL export of the same run is
the reference for every cell. Texts with tabs and line breaks, which no
article reader lets through, are checked on the exporters' awkward rows.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from bitext.exporters.tsv import COLUMNS
from bitext.pipeline import TranslateOptions, translate_paths

from .capabilities import needs_calc, soffice

#: translate's TSV: the fixed columns, then where each target came from (issue 15).
HEADER = [*COLUMNS, "origin"]

ARTICLE = (
    "Regjeringen er klar for forhandlinger\n\n"
    '"Vi er klare," sa statsministeren på en pressekonferanse i Oslo tirsdag. '
    'Hun la til at "alle parter" må bidra.\n\n'
    "Finansministeren var enig i dette.\nHan sa at budsjettet er stramt, "
    "men at regjeringen vil prioritere sykehusene og skolene.\n\n"
    '"We are ready to talk," the foreign minister said in English. '
    "The talks will begin next week in Geneva, and every party has been invited.\n"
)


@pytest.fixture(scope="module")
def exported(tmp_path_factory, installed_models) -> tuple[Path, list[dict]]:
    root = tmp_path_factory.mktemp("tsv-readers")
    (root / "in").mkdir()
    (root / "in" / "sitat.txt").write_text(ARTICLE, encoding="utf-8")
    options = TranslateOptions(
        output_dir=root / "out",
        models_dir=installed_models,
        formats=["tsv", "jsonl"],
        combine=True,
        threads=1,
        default_glossary=False,
        cache=False,
    )
    summary = translate_paths([root / "in"], options)
    assert summary.count("done") == 1
    reference = [json.loads(line) for line in (root / "out" / "sitat.jsonl").open(encoding="utf-8")]
    sources = [row["source"] for row in reference]
    assert any(s.startswith('"') for s in sources), sources
    assert any(row["source_lang"] == row["target_lang"] == "en" for row in reference)
    return root / "out", reference


def _expected(reference: list[dict]) -> list[dict[str, str]]:
    return [
        {
            "document": row["document"],
            "block": str(row["block"]),
            "kind": row["kind"],
            "sentence": str(row["sentence"]),
            "source_lang": row["source_lang"],
            "source": row["source"],
            "target_lang": row["target_lang"],
            "target": row["target"],
            "flags": ",".join(row["flags"]),
            "origin": row["origin"],
        }
        for row in reference
    ]


@pytest.mark.parametrize("name", ["sitat.tsv", "_combined.tsv"])
def test_python_csv_defaults_read_every_cell(exported, name):
    out, reference = exported
    with (out / name).open(encoding="utf-8", newline="") as handle:
        header, *records = list(csv.reader(handle, delimiter="\t"))
    assert header == HEADER
    assert [dict(zip(header, record)) for record in records] == _expected(reference)


def test_pandas_defaults_read_every_cell(exported):
    import pandas as pd

    out, reference = exported
    frame = pd.read_csv(out / "sitat.tsv", sep="\t", dtype=str, keep_default_na=False)
    assert list(frame.columns) == HEADER
    assert frame.to_dict("records") == _expected(reference)


def test_cut_reads_rows_without_tabs_or_line_breaks(exported):
    out, reference = exported
    lines = (out / "sitat.tsv").read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    simple = [row for row in reference if '"' not in row["source"] and "\n" not in row["source"]]
    assert simple
    for row in simple:
        line = next(line for line in lines if line.split("\t")[5:6] == [row["source"]])
        assert dict(zip(header, line.split("\t")))["target"] == row["target"]


def _calc_rows(tsv: Path, tmp_path: Path) -> list[dict[str, str]]:
    import openpyxl

    # The Text Import dialog's defaults for a TSV: tab, `"` as text qualifier,
    # UTF-8, from line 1; every column as text so Calc does not turn 1-3 into a date.
    columns = "/".join(f"{n}/2" for n in range(1, len(HEADER) + 1))
    soffice(
        [
            f"--infilter=Text - txt - csv (StarCalc):9,34,76,1,{columns}",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(tmp_path),
            str(tsv),
        ],
        tmp_path,
    )
    sheet = openpyxl.load_workbook(tmp_path / f"{tsv.stem}.xlsx").active
    header, *records = [[c or "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert header in (COLUMNS, HEADER)  # rows built by hand carry no origin
    return [dict(zip(header, record)) for record in records]


@needs_calc
def test_libreoffice_calc_reads_every_cell(exported, tmp_path):
    out, reference = exported
    assert _calc_rows(out / "sitat.tsv", tmp_path) == _expected(reference)


@needs_calc
def test_libreoffice_calc_reads_tabs_quotes_and_line_breaks(tmp_path):
    from bitext.exporters import get_exporter
    from tests.test_exporters import awkward_document

    document = awkward_document()
    # Calc keeps a line break in a cell as one newline, so a carriage return
    # does not survive it; bitext's readers turn every CR into a line break,
    # so exported texts never hold one.
    document.rows = [row for row in document.rows if "\r" not in row.source + row.target]
    assert any("\t" in row.source and "\n" in row.source for row in document.rows)
    tsv = tmp_path / "awkward.tsv"
    tsv.write_bytes(get_exporter("tsv").render(document))
    rows = _calc_rows(tsv, tmp_path)
    assert [(r["source"], r["target"]) for r in rows] == [
        (row.source, row.target) for row in document.rows
    ]
