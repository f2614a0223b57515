"""Plain data passed between the pipeline stages.

Every stage takes and returns these dataclasses, so each stage can be tested
on its own and a Python user can enter or leave the pipeline anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class BlockKind(str, Enum):
    """What a block of an article is; exporters style each kind differently."""

    CAPTION = "caption"
    HEADLINE = "headline"
    PARAGRAPH = "paragraph"
    SUBHEADING = "subheading"
    QUOTE = "quote"


@dataclass
class Block:
    """One block of an article (a paragraph, a sub-heading, a quote ...).

    `number` is 1-based and stable: it is the block's position in the file, so
    ids survive re-runs and appear unchanged in every export.
    """

    number: int
    kind: BlockKind
    text: str
    language: str | None = None
    language_confidence: float | None = None
    sentences: list[str] = field(default_factory=list)


@dataclass
class Document:
    """An article as read from disk, before and after detection/segmentation."""

    id: str
    path: str
    blocks: list[Block]
    date: str | None = None
    language: str | None = None
    language_confidence: float | None = None
    warnings: list[str] = field(default_factory=list)
    #: What the file was read as (`text`, `docx`, `html`, `pdf`, `odt`, `markdown`):
    #: exports name it, and a file whose ending lies says here what it really was.
    input_kind: str | None = None
    #: What the source says about itself, where it says it (a page's metadata,
    #: a DOCX's core properties): exporters show these beside the text, never
    #: as text to translate. `declared_language` is the language the source
    #: names (`<html lang>`); detection decides `language`.
    title: str | None = None
    author: str | None = None
    outlet: str | None = None
    section: str | None = None
    url: str | None = None
    declared_language: str | None = None

    @property
    def headline(self) -> Block | None:
        for block in self.blocks:
            if block.kind is BlockKind.HEADLINE:
                return block
        return None

    @property
    def caption(self) -> Block | None:
        for block in self.blocks:
            if block.kind is BlockKind.CAPTION:
                return block
        return None


#: Document fields that describe the source, with the labels exports give them.
SOURCE_FIELDS = (
    ("title", "Title"),
    ("author", "Author"),
    ("outlet", "Outlet"),
    ("section", "Section"),
    ("url", "URL"),
    ("declared_language", "Declared language"),
)


def source_facts(document: Document) -> list[tuple[str, str]]:
    """(label, value) of the source metadata a document has, for title blocks and
    headers; one helper so every export shows the same facts in the same order.

    The title is left out when it is the headline (already shown as the title).
    """
    headline = document.headline
    facts = []
    for name, label in SOURCE_FIELDS:
        value = getattr(document, name)
        if not value or (name == "title" and headline is not None and headline.text == value):
            continue
        facts.append((label, value))
    return facts


def source_metadata(document: Document) -> dict[str, str]:
    """The source metadata a document has, by field name (date included when
    there is any other): for JSONL and other machine-read exports."""
    found = {name: getattr(document, name) for name, _ in SOURCE_FIELDS}
    found = {name: value for name, value in found.items() if value}
    if found and document.date:
        found = {"date": document.date, **found}
    return found


@dataclass
class BilingualRow:
    """One aligned pair: a source sentence beside its translation.

    This is the unit every exporter writes. `sentence` is 1-based within its
    block. `flags` holds quality-check names (empty when nothing is wrong).
    `origin` says where the target came from (one of ORIGINS; None for rows
    that are not translations at all, such as `bitext align`'s human pairs).
    """

    document: str
    block: int
    kind: str
    sentence: int
    source_lang: str
    source: str
    target_lang: str
    target: str
    flags: list[str] = field(default_factory=list)
    score: float | None = None
    origin: str | None = None


#: Where a row's target came from, as every export names it:
#: `model` the current model's output (fresh, or its own earlier output taken
#: from the translation memory: the same bytes either way, so a resumed run
#: matches an uninterrupted one); `memory` a machine translation reused from
#: the memory that is not the current model's own (bitext never reuses another
#: model's output today, so `translate` does not write it; the name is kept
#: for memory exports and other tools); `reviewed` a human translation from
#: the memory's reviewed store; `source` text kept in its own language.
ORIGINS = ("model", "memory", "reviewed", "source")


def merged_origin(origins) -> str:
    """One label for a block of rows: their distinct origins in ORIGINS order,
    comma-separated (`model,reviewed` when a reviewer changed some sentences)."""
    present = {o for o in origins if o}
    known = [o for o in ORIGINS if o in present]
    return ",".join(known + sorted(present - set(ORIGINS)))


@dataclass
class BilingualDocument:
    """A document with its rows and the facts exporters put in a title block."""

    document: Document
    rows: list[BilingualRow]
    source_lang: str
    target_lang: str
    model: str | None = None
    note: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    #: What the run did, as the DOCX title block labels its date.
    date_label: str = "Translated"
