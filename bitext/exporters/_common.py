"""What several exporters share: segments (rows per block or per sentence),
ids, text cleaning for XML formats, and reproducible zip files."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from bitext.checks import sort_flags
from bitext.documents import BilingualDocument, BilingualRow, merged_origin

GRANULARITIES = ("block", "sentence")
#: Timestamp written into zip members and document properties.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)

# Characters XML 1.0 cannot hold (C0 controls other than tab, newline and
# carriage return; surrogates; U+FFFE/U+FFFF). DOCX, XLSX and TMX are XML.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """`text` with characters XML cannot carry replaced by U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def check_granularity(granularity: str | None, default: str) -> str:
    value = granularity or default
    if value not in GRANULARITIES:
        raise ValueError(f"granularity must be 'block' or 'sentence', not {value!r}")
    return value


@dataclass
class Segment:
    """One row of an export: a sentence, or a whole block of sentences."""

    document: str
    block: int
    kind: str
    sentences: str  # "2", or "1-3" for a block of three sentences
    source_lang: str
    source: str
    target_lang: str
    target: str
    flags: list[str] = field(default_factory=list)
    #: (sentence number, flag) for each flag of the rows it was made of.
    sentence_flags: list[tuple[int, str]] = field(default_factory=list)
    #: `3` for a block, `3.2` for the second sentence of block 3.
    id: str = ""
    #: Alignment confidence (`bitext align`); a block's is its weakest row's.
    score: float | None = None
    #: Where the target came from (`bitext.documents.ORIGINS`); None for align's rows.
    origin: str | None = None


def sentence_segment(row: BilingualRow) -> Segment:
    return Segment(
        row.document,
        row.block,
        row.kind,
        str(row.sentence),
        row.source_lang,
        row.source,
        row.target_lang,
        row.target,
        list(row.flags),
        [(row.sentence, f) for f in row.flags],
        f"{row.block}.{row.sentence}",
        row.score,
        row.origin,
    )


def block_segment(rows: list[BilingualRow]) -> Segment:
    first, last = rows[0], rows[-1]
    numbers = str(first.sentence) if len(rows) == 1 else f"{first.sentence}-{last.sentence}"
    return Segment(
        first.document,
        first.block,
        first.kind,
        numbers,
        first.source_lang,
        " ".join(r.source for r in rows),
        first.target_lang,
        " ".join(r.target for r in rows if r.target),
        sort_flags(f for r in rows for f in r.flags),
        [(r.sentence, f) for r in rows for f in r.flags],
        str(first.block),
        min((r.score for r in rows if r.score is not None), default=None),
        merged_origin(r.origin for r in rows) or None,
    )


def segments(rows: Iterable[BilingualRow], granularity: str) -> list[Segment]:
    """Rows as export segments: one per sentence, or one per block."""
    if granularity == "sentence":
        return [sentence_segment(r) for r in rows]
    return [
        block_segment(list(group))
        for _, group in groupby(rows, key=lambda r: (r.document, r.block))
    ]


def reproducible_zip(data: bytes, rewrite: Callable[[str, bytes], bytes] | None = None) -> bytes:
    """Rewrite a zip with fixed timestamps, member order kept.

    `rewrite(name, content)` may change a member's content (to pin a date a
    library wrote inside it).
    """
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            content = src.read(info.filename)
            if rewrite is not None:
                content = rewrite(info.filename, content)
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, content)
    return out.getvalue()


def model_labels(documents: Iterable[BilingualDocument]) -> list[str]:
    """The models documents were translated with, for a file's metadata.

    Labels come from `InstalledPackage.label`, so a test model that only
    copies its input says so in every format with a place for it.
    """
    return sorted({d.model for d in documents if d.model})


class RecordExporter:
    """Base of the formats that write one record per sentence (or per block).

    Subclasses set `suffix` and implement `write`; `per_sentence_only`
    formats (TMX) always get sentence rows, the others honour `granularity`.
    One document's file is the combined file of a run of one document, so
    every subclass is a `CombinedExporter` (see `bitext.exporters`).
    """

    suffix = ""
    per_sentence_only = False

    def write(self, records: Iterable, models: Sequence[str] = ()) -> bytes:
        """The file of `records`; `models` (their labels) for formats with metadata."""
        raise NotImplementedError

    def render(self, document: BilingualDocument, *, granularity: str | None = None) -> bytes:
        return self.render_many([document], granularity=granularity)

    def render_many(
        self, documents: Iterable[BilingualDocument], *, granularity: str | None = None
    ) -> bytes:
        documents = list(documents)
        models = model_labels(documents)
        if self.per_sentence_only:
            return self.write((row for doc in documents for row in doc.rows), models)
        unit = check_granularity(granularity, "sentence")
        return self.write((seg for doc in documents for seg in segments(doc.rows, unit)), models)
