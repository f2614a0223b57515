"""Tab-separated rows, one per sentence, for spreadsheets and scripts.

Tabs, newlines, carriage returns and backslashes inside texts are written as
`\\t`, `\\n`, `\\r` and `\\\\`, so every record is one physical line with
the same number of fields (safe for cut, awk, grep); `unescape` restores them.
The `flags` column lists quality flags comma-separated (empty when none).
Rows that carry a score (`bitext align`: the link's confidence, 0..1) add a
last column `score`; `translate`'s TSV has no score and keeps its columns.
With granularity `block` a row holds a whole block and `sentence` its range
(`1-3`); the default is one row per sentence.
"""

from __future__ import annotations

from collections.abc import Iterable

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

_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}
_ESCAPE_TABLE = str.maketrans(_ESCAPES)
_UNESCAPES = {"\\": "\\", "t": "\t", "n": "\n", "r": "\r"}


def escape(text: str) -> str:
    return text.translate(_ESCAPE_TABLE)


def unescape(text: str) -> str:
    out = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            out.append(_UNESCAPES.get(nxt, "\\" + nxt))
        else:
            out.append(ch)
    return "".join(out)


def row_fields(row: BilingualRow | Segment) -> list[str]:
    """The fields of one row, in COLUMNS order, not yet escaped."""
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
    """Rows as TSV; a last `score` column when any row has one (`bitext align`)."""
    rows = list(rows)
    scored = any(row.score is not None for row in rows)
    lines = ["\t".join(COLUMNS + ["score"] if scored else COLUMNS)]
    for row in rows:
        fields = row_fields(row)
        if scored:
            fields.append("" if row.score is None else f"{row.score:.3f}")
        lines.append("\t".join(escape(field) for field in fields))
    return ("\n".join(lines) + "\n").encode("utf-8")


class TsvExporter(RecordExporter):
    suffix = ".tsv"

    def write(self, records: Iterable[BilingualRow | Segment]) -> bytes:
        return render_rows(records)


EXPORTER = TsvExporter()
