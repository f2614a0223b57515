"""Tab-separated rows, one per sentence, for spreadsheets and scripts.

The dialect is the one spreadsheet programs and CSV libraries expect with their
defaults (RFC 4180 quoting with a tab delimiter): a field is put in double
quotes only when it holds a tab, a line break or a `"`, and a `"` inside a
quoted field is doubled. Python's `csv` module, pandas, LibreOffice Calc and
Excel all read a `"` at the start of a field as a text qualifier, so an
English sentence that opens with a quotation mark must be quoted to come back
whole. Rows whose texts hold no tab or line break stay one physical line, so
`cut -f` and `awk -F'\t'` keep working on them. Lines end with `\n`.
The `flags` column lists quality flags comma-separated (empty when none).
Rows that carry a score (`bitext align`: the link's confidence, 0..1) add a
column `score`; rows that carry an origin (`bitext translate`: `model`,
`reviewed`, `source`, see `bitext.documents.ORIGINS`) add a last column
`origin`. Readers should find columns by header name.
With granularity `block` a row holds a whole block and `sentence` its range
(`1-3`); the default is one row per sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from bitext.documents import BilingualRow
from bitext.exporters._common import RecordExporter, Segment

COLUMNS = [
    "document",
    "block",
    "kind",
    "sentence",
    "source_lang",
    "source",
    "target_lang",
    "target",
    "flags",
]

_NEEDS_QUOTES = ("\t", "\n", "\r", '"')


def quote(text: str) -> str:
    """One field in the export's dialect: quoted only when a reader needs it."""
    if any(ch in text for ch in _NEEDS_QUOTES):
        return '"' + text.replace('"', '""') + '"'
    return text


def read_rows(data: str | bytes) -> list[dict[str, str]]:
    """The records of a bitext TSV as dicts keyed by its header."""
    import csv
    import io

    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    records = list(csv.reader(io.StringIO(data, newline=""), delimiter="\t"))
    header, body = records[0], records[1:]
    return [dict(zip(header, record)) for record in body]


def row_fields(row: BilingualRow | Segment) -> list[str]:
    """The fields of one row, in COLUMNS order, not yet quoted."""
    sentence = row.sentences if isinstance(row, Segment) else str(row.sentence)
    return [
        row.document,
        str(row.block),
        row.kind,
        sentence,
        row.source_lang,
        row.source,
        row.target_lang,
        row.target,
        ",".join(row.flags),
    ]


def render_rows(rows: Iterable[BilingualRow | Segment]) -> bytes:
    """Rows as TSV; a `score` column when any row has one (`bitext align`), then
    an `origin` column when any row has one (`bitext translate`)."""
    rows = list(rows)
    header, extra = extra_columns(rows)
    lines = ["\t".join(COLUMNS + header)]
    for row in rows:
        fields = row_fields(row) + extra(row)
        lines.append("\t".join(quote(field) for field in fields))
    return ("\n".join(lines) + "\n").encode("utf-8")


def extra_columns(
    rows: list, *, with_score: bool = True
) -> tuple[list[str], Callable[[object], list[str]]]:
    """The optional columns after COLUMNS (`score`, `origin`) present in `rows`,
    and a function giving a row's values for them."""
    scored = with_score and any(row.score is not None for row in rows)
    traced = any(getattr(row, "origin", None) for row in rows)
    header = (["score"] if scored else []) + (["origin"] if traced else [])

    def values(row) -> list[str]:
        out = []
        if scored:
            out.append("" if row.score is None else f"{row.score:.3f}")
        if traced:
            out.append(row.origin or "")
        return out

    return header, values


class TsvExporter(RecordExporter):
    suffix = ".tsv"

    def write(self, records: Iterable[BilingualRow | Segment], models: Sequence[str] = ()) -> bytes:
        return render_rows(records)  # a TSV has no place for metadata


EXPORTER = TsvExporter()
