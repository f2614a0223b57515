"""What the readers of marked-up formats (HTML, PDF, ODT, Markdown) share.

These formats say what each block is (a heading, a block quote, a caption),
so their readers hand over `(kind, text)` pairs and `build_document` turns
them into the same `Document` the text reader makes: text cleaned the same
way, empty blocks dropped, blocks numbered in order. The one rule taken over
from plain text is the dash quote: Norwegian papers print a spoken quote as a
paragraph opening with a dash (`– Vi var alltid sammen ...`), with no markup
of its own, so such a paragraph is a `quote` in every format.
"""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator

from bitext.documents import Block, BlockKind, Document
from bitext.limits import LimitExceeded, Limits, ReadError, check_text

#: Dashes that open a spoken quote when followed by a space.
QUOTE_OPENERS = ("–", "—", "-", "―")
# Zero-width characters and control characters (tab and newline aside)
# carry no text; they are removed, as the text reader does.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\ufffe\uffff\u00ad"), None)
_INVISIBLE.update(
    dict.fromkeys((c for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if c not in (9, 10)), " ")
)
_SPACE = re.compile(r"\s+")


def clean_text(text: str) -> str:
    """One block's text on one line: white space collapsed, invisibles out, NFC."""
    text = text.translate(_INVISIBLE)
    return unicodedata.normalize("NFC", _SPACE.sub(" ", text).strip())


def is_dash_quote(text: str) -> bool:
    """A paragraph opening with a dash and a space: a spoken quote."""
    return text.startswith(QUOTE_OPENERS) and text[1:2].isspace()


def paragraph_kind(text: str) -> BlockKind:
    """The kind of a block the format marks only as a paragraph."""
    return BlockKind.QUOTE if is_dash_quote(text) else BlockKind.PARAGRAPH


def build_document(
    items: Iterable[tuple[BlockKind, str]],
    doc_id: str,
    path: str,
    *,
    date: str | None = None,
    input_kind: str | None = None,
) -> Document:
    """A Document from (kind, text) pairs in reading order; empty texts dropped.

    Only the first headline stays one: a second `<h1>` or `#` in the body is
    a sub-heading, so `Document.headline` is always the title of the piece.
    """
    blocks: list[Block] = []
    has_headline = False
    for kind, raw in items:
        text = clean_text(raw)
        if not text:
            continue
        if kind is BlockKind.HEADLINE:
            if has_headline:
                kind = BlockKind.SUBHEADING
            has_headline = True
        blocks.append(Block(len(blocks) + 1, kind, text))
    return Document(id=doc_id, path=path, blocks=blocks, date=date, input_kind=input_kind)


def check_document(document: Document, path: str | os.PathLike[str], limits: Limits) -> None:
    """The character limits on what a reader built: the whole text, then each block."""
    check_text("\n\n".join(b.text for b in document.blocks), path, limits)
    for block in document.blocks:
        check_text(block.text, path, limits, block=block.number)


class FormatError(ReadError):
    """A file a reader's library could not make sense of; the message says why.

    Raised without the path; `with_path` adds it when the reader reports it.
    """


@contextlib.contextmanager
def with_path(path: str | os.PathLike[str]) -> Iterator[None]:
    """Name the file in a FormatError raised inside, as every ReadError does."""
    try:
        yield
    except LimitExceeded:
        raise
    except FormatError as exc:
        raise ReadError(f"{path}: {exc}") from exc
