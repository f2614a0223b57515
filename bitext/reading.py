"""Paths to Documents: the seed article format, plain text and .docx.

The seed format: a first line ` date YYYY-MM[-DD] <photo caption>`, then the
headline, then blocks separated by blank lines. Plain text without that header
is read as blocks too; its first block is the headline when it looks like one.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from pathlib import Path

from bitext.documents import Block, BlockKind, Document

#: File endings read as articles when a folder is given.
ARTICLE_SUFFIXES = (".txt", ".docx")

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
# Line and paragraph separators and vertical tabs break lines like a newline.
_LINE_BREAKS = re.compile("[\u2028\u2029\x0b\x0c\x1c\x1d\x1e\x85]")
#: Share of control characters above which a file is taken for binary data.
_BINARY_SHARE = 0.05
#: ... and at least this many of them (a stray escape is no reason to refuse).
_BINARY_MIN = 16


class ReadError(Exception):
    """A file that cannot be read as an article; the message says why."""


def _decode(data: bytes, path: Path) -> tuple[str, list[str]]:
    """Bytes to text; returns the text and warnings about the encoding.

    A byte-order mark decides (UTF-8, UTF-16, UTF-32); without one, UTF-8 is
    tried, then Windows-1252 and Latin-1 with a warning naming the encoding,
    since every byte string decodes as Latin-1 and a wrong guess must be seen.
    Binary data (NUL bytes, many control characters) is refused.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(codec)
            except UnicodeDecodeError as exc:
                if codec != "utf-8":
                    raise ReadError(f"{path}: invalid {codec.upper()} text ({exc.reason})") from exc
                text, encoding = _legacy(data[len(bom) :])
                return _check_text(text, path), [
                    f"{path}: has a UTF-8 byte-order mark but is not valid UTF-8; "
                    f"decoded as {encoding}"
                ]
            return _check_text(text, path), []
    if b"\x00" in data:
        raise ReadError(f"{path}: binary file (contains NUL bytes), not a text article")
    try:
        return _check_text(data.decode("utf-8"), path), []
    except UnicodeDecodeError:
        pass
    text, encoding = _legacy(data)
    return _check_text(text, path), [f"{path}: not valid UTF-8, decoded as {encoding}"]


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


def _check_text(text: str, path: Path) -> str:
    """Refuse decoded text that is really binary data."""
    if "\x00" in text:
        raise ReadError(f"{path}: binary file (contains NUL characters), not a text article")
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\n\r\x0c") + text.count("\x7f")
    if controls >= _BINARY_MIN and controls / len(text) > _BINARY_SHARE:
        raise ReadError(
            f"{path}: binary file ({controls} control characters in {len(text)}), "
            "not a text article"
        )
    return text


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _LINE_BREAKS.sub("\n", text)
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


def _clean_block(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(line for line in lines if line)


def parse_article(text: str, doc_id: str, path: str = "") -> Document:
    """Parse article text (already decoded) into a Document."""
    text = _normalise(text)
    chunks = [c for c in (_clean_block(c) for c in _BLANK_LINE.split(text)) if c]
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


def _read_docx(path: Path) -> tuple[str, set[str]]:
    """Text of a .docx as blank-line separated blocks, and the heading texts.

    Paragraphs and headings in document order, then table cells row by row
    (articles often carry a fact box as a table). Headings are returned
    apart so their blocks can be marked as headline and sub-headings.
    """
    from docx import Document as DocxDocument
    from docx.table import Table

    try:
        docx = DocxDocument(str(path))
        paragraphs = []
        for item in docx.iter_inner_content():
            if isinstance(item, Table):
                paragraphs.extend(p for row in item.rows for c in row.cells for p in c.paragraphs)
            else:
                paragraphs.append(item)
        texts, headings = [], set()
        for paragraph in paragraphs:
            text = paragraph.text
            if not text.strip():
                continue
            texts.append(text)
            style = (paragraph.style.name if paragraph.style is not None else "") or ""
            if style.startswith(("Heading", "Title")):
                headings.add(_clean_block(_normalise(text)))
    except OSError:
        raise
    except Exception as exc:  # a damaged file raises anything from zipfile to lxml
        raise ReadError(
            f"{path}: not a readable .docx file ({exc.__class__.__name__}: {exc})"
        ) from exc
    return "\n\n".join(texts), headings


def _mark_headings(document: Document, headings: set[str]) -> None:
    """Blocks styled as headings in a .docx: the first is the headline."""
    has_headline = document.headline is not None
    for block in document.blocks:
        if block.text in headings and block.kind not in (BlockKind.HEADLINE, BlockKind.CAPTION):
            block.kind = BlockKind.SUBHEADING if has_headline else BlockKind.HEADLINE
            has_headline = True


def document_id(path: Path) -> str:
    """The document id: the file name without its ending."""
    return path.stem


def read_document(path: str | os.PathLike[str], doc_id: str | None = None) -> Document:
    """Read one article file; raises ReadError with the reason when it cannot."""
    path = Path(path)
    headings: set[str] = set()
    try:
        if path.suffix.lower() == ".docx":
            (text, headings), warnings = _read_docx(path), []
        else:
            text, warnings = _decode(path.read_bytes(), path)
    except OSError as exc:
        raise ReadError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    document = parse_article(text, doc_id or document_id(path), str(path))
    if headings:
        _mark_headings(document, headings)
    document.warnings.extend(warnings)
    return document


def find_articles(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Article files under the given paths, in a stable order, each once.

    Folders are walked recursively; hidden files and folders and Word's
    `~$` lock files are skipped. Symlinked folders are followed, but each
    real folder is visited once, so a link loop cannot hang a run. A file
    reached twice (named twice, or through a link) is read once. A path that
    does not exist raises FileNotFoundError. Files that exist but cannot be
    read (a dangling link, no permission) are yielded, so the reader reports
    them by name.
    """
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found = [path]
        elif path.is_dir():
            found = _walk(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
        for item in found:
            try:
                key = item.resolve()
            except (OSError, RuntimeError):  # a link loop: keep the name itself
                key = item.absolute()
            if key not in seen:
                seen.add(key)
                yield item


def _walk(folder: Path) -> list[Path]:
    found = []
    visited: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        try:
            info = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        if (info.st_dev, info.st_ino) in visited:
            dirs[:] = []
            continue
        visited.add((info.st_dev, info.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith((".", "~$")) or not name.lower().endswith(ARTICLE_SUFFIXES):
                continue
            found.append(Path(root) / name)
    return sorted(found, key=lambda p: p.as_posix())
