"""JSON Lines: one object per sentence, for scripts, jq and pandas.

Every line is a complete JSON object with the ids, languages, texts and
flags of one sentence (`jq 'select(.flags | length > 0)'` lists the flagged
ones), and `origin`: where the target came from (`model`, `reviewed`,
`source`; null for `bitext align`'s pairs). Text is UTF-8, not escaped to
ASCII. Rows of a document whose source says more about itself than a date
(author, outlet, section, URL: a saved news page) also carry `meta`, an
object of those fields. U+0085, U+2028 and U+2029 are escaped so that no tool splitting
lines on them breaks a record in two.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from bitext.documents import BilingualDocument, BilingualRow, source_metadata

#: Keys of every object, in this order.
KEYS = [
    "id",
    "document",
    "block",
    "sentence",
    "kind",
    "source_lang",
    "target_lang",
    "source",
    "target",
    "flags",
    "score",
    "origin",
]
_LINE_BREAKERS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def row_object(row: BilingualRow) -> dict:
    return {
        "id": f"{row.document}:{row.block}.{row.sentence}",
        "document": row.document,
        "block": row.block,
        "sentence": row.sentence,
        "kind": row.kind,
        "source_lang": row.source_lang,
        "target_lang": row.target_lang,
        "source": row.source,
        "target": row.target,
        "flags": list(row.flags),
        "score": row.score,
        "origin": row.origin,
    }


def line(row: BilingualRow, meta: dict[str, str] | None = None) -> str:
    """One row as one line of JSON, without the newline (`meta`: see the module)."""
    record = row_object(row)
    if meta:
        record["meta"] = meta
    text = json.dumps(record, ensure_ascii=False)
    for char, escaped in _LINE_BREAKERS.items():
        text = text.replace(char, escaped)
    return text


def iter_lines(documents: Iterable[BilingualDocument]) -> Iterator[bytes]:
    """Encoded lines, one document after another (for streaming to stdout)."""
    for document in documents:
        meta = source_metadata(document.document)
        for row in document.rows:
            yield (line(row, meta) + "\n").encode("utf-8")


class JsonlExporter:
    suffix = ".jsonl"

    def render(self, document: BilingualDocument, *, granularity: str | None = None) -> bytes:
        """Always one line per sentence: `granularity` does not apply."""
        return self.render_many([document])

    def render_many(
        self, documents: Iterable[BilingualDocument], *, granularity: str | None = None
    ) -> bytes:
        return b"".join(iter_lines(documents))


EXPORTER = JsonlExporter()
