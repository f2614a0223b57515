"""What every reader shares: decoding, normalising, and text to a Document.

`parse_article` turns decoded text into blocks, with the rules of the seed
format: a first line ` date YYYY-MM[-DD] <photo caption>`, then the
headline, then blocks separated by blank lines. Plain text without that
header is read as blocks too; its first block is the headline when it looks
like one. Readers of richer formats (.docx) hand it their paragraphs joined
by blank lines, then mark what their styles say (`mark_headings`). It also
applies the character limits, so every reader has them.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Protocol

from bitext.documents import Block, BlockKind, Document
from bitext.limits import LimitExceeded, Limits, ReadError, check_text

__all__ = [
    "LimitExceeded",
    "ReadError",
    "Reader",
    "clean_block",
    "decode",
    "mark_headings",
    "normalise",
    "parse_article",
]

_HEADER = re.compile(r"^\s*date\s+(\d{4}-\d{2}(?:-\d{2})?)\b\s*(.*)$", re.DOTALL)
_QUOTE_OPENERS = ("–", "—", "-", "―")
# A line of nothing but white space (any kind but a newline) ends a block.
_BLANK_LINE = re.compile(r"\n[^\S\n]*\n")
# Zero-width characters that carry no text, and control characters other than
# tab and newline (form feeds, stray escapes): kept out of blocks.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\ufffe\uffff"), None)
_INVISIBLE.update(
    dict.fromkeys((c for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)] if c not in (9, 10)), " ")
)
# Any of them: most text has none, and a search is much faster than `translate`.
_ANY_INVISIBLE = re.compile("[" + "".join(map(chr, _INVISIBLE)) + "]")
# Line and paragraph separators and vertical tabs break lines like a newline.
_LINE_BREAKS = re.compile("[\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85]")
# Control characters that mark binary data (tab, newlines and form feed do not).
_CONTROLS = re.compile("[\x01-\x08\x0b\x0e-\x1f\x7f]")
#: Share of control characters above which a file is taken for binary data.
_BINARY_SHARE = 0.05
#: ... and at least this many of them (a stray escape is no reason to refuse).
_BINARY_MIN = 16


class Reader(Protocol):
    """One input format: `READER` of each module in `bitext.readers`."""

    #: Short name of the format ("text", "docx").
    kind: str
    #: File endings it reads, lower case, with the dot.
    suffixes: tuple[str, ...]

    def read(self, path: Path, doc_id: str, limits: Limits) -> Document:
        """The article in `path`; ReadError (LimitExceeded) with the reason when it cannot."""
        ...


def decode(data: bytes, path: Path, limits: Limits | None = None) -> tuple[str, list[str]]:
    """Bytes to text; returns the text and warnings about the encoding.

    A byte-order mark decides (UTF-8, UTF-16, UTF-32); without one, UTF-8 is
    tried, then Windows-1252 and Latin-1 with a warning naming the encoding,
    since every byte string decodes as Latin-1 and a wrong guess must be seen.
    Binary data (NUL bytes, many control characters) is refused, and so is
    text over the article limit (before any other work on it).
    """
    limits = limits or Limits()
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                if codec != "utf-8":
                    raise ReadError(f"{path}: invalid {codec.upper()} text ({exc.reason})") from exc
                text, encoding = _legacy(data[len(bom) :])
                return _check_text(text, path, limits), [
                    f"{path}: has a UTF-8 byte-order mark but is not valid UTF-8; "
                    f"decoded as {encoding}"
                ]
            return _check_text(text, path, limits), []
    if b"\x00" in data:
        raise ReadError(f"{path}: binary file (contains NUL bytes), not a text article")
    try:
        return _check_text(data.decode("utf-8"), path, limits), []
    except UnicodeDecodeError:
        pass
    text, encoding = _legacy(data)
    return _check_text(text, path, limits), [f"{path}: not valid UTF-8, decoded as {encoding}"]


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _legacy(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _check_text(text: str, path: Path, limits: Limits) -> str:
    """Refuse decoded text that is really binary data, or too long."""
    if "\x00" in text:
        raise ReadError(f"{path}: binary file (contains NUL characters), not a text article")
    check_text(text, path, limits)
    controls = len(_CONTROLS.findall(text))
    if controls >= _BINARY_MIN and controls / len(text) > _BINARY_SHARE:
        raise ReadError(
            f"{path}: binary file ({controls} control characters in {len(text)}), "
            "not a text article"
        )
    return text


def normalise(text: str) -> str:
    """Newlines as `\n`, invisible and control characters out, letters composed (NFC)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_BREAKS.sub("\n", text)
    if _ANY_INVISIBLE.search(text):
        text = text.translate(_INVISIBLE)
    return unicodedata.normalize("NFC", text)


def _block_kind(text: str) -> BlockKind:
    stripped = text.strip()
    if stripped.startswith(_QUOTE_OPENERS) and stripped[1:2].isspace():
        return BlockKind.QUOTE
    words = stripped.split()
    if "\n" not in stripped and len(words) <= 8 and not stripped.endswith((".", ":", ";", ",")):
        return BlockKind.SUBHEADING
    return BlockKind.PARAGRAPH


def _looks_like_headline(text: str) -> bool:
    stripped = text.strip()
    return "\n" not in stripped and len(stripped.split()) <= 20 and not stripped.endswith(".")


def clean_block(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def parse_article(text: str, doc_id: str, path: str = "", limits: Limits | None = None) -> Document:
    """Parse article text (already decoded) into a Document.

    Raises LimitExceeded when the text or one of its blocks is over `limits`
    (the defaults when None).
    """
    limits = limits or Limits()
    check_text(text, path or doc_id, limits)
    text = normalise(text)
    chunks = [c for c in (clean_block(c) for c in _BLANK_LINE.split(text)) if c]
    for number, chunk in enumerate(chunks, start=1):
        check_text(chunk, path or doc_id, limits, block=number)
    date = None
    blocks: list[Block] = []
    if chunks:
        first_line, _, rest_of_first = chunks[0].partition("\n")
        header = _HEADER.match(first_line)
        if header:
            date = header.group(1)
            caption = header.group(2).strip()
            if caption:
                blocks.append(Block(len(blocks) + 1, BlockKind.CAPTION, caption))
            chunks = ([rest_of_first] if rest_of_first.strip() else []) + chunks[1:]
        if len(chunks) > 1 and _looks_like_headline(chunks[0]):
            blocks.append(Block(len(blocks) + 1, BlockKind.HEADLINE, chunks[0]))
            chunks = chunks[1:]
    for chunk in chunks:
        blocks.append(Block(len(blocks) + 1, _block_kind(chunk), chunk))
    return Document(id=doc_id, path=path, blocks=blocks, date=date)


def mark_headings(document: Document, headings: set[str]) -> None:
    """Blocks whose text a format styled as a heading: the first is the headline.

    `headings` holds texts already passed through `normalise` and `clean_block`.
    """
    has_headline = document.headline is not None
    for block in document.blocks:
        if block.text in headings and block.kind not in (BlockKind.HEADLINE, BlockKind.CAPTION):
            block.kind = BlockKind.SUBHEADING if has_headline else BlockKind.HEADLINE
            has_headline = True
