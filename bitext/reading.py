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
_BLANK_LINE = re.compile(r"\n[ \t\u00a0\u200b\ufeff]*\n")
# Zero-width characters that carry no text; kept out of blocks.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


class ReadError(Exception):
    """A file that cannot be read as an article; the message says why."""


def _decode(data: bytes, path: Path) -> tuple[str, list[str]]:
    """Bytes to text; returns the text and warnings about the encoding."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), []
        except UnicodeDecodeError as exc:
            raise ReadError(f"{path}: invalid UTF-16 text ({exc.reason})") from exc
    if b"\x00" in data:
        raise ReadError(f"{path}: binary file (contains NUL bytes), not a text article")
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
        encoding = "Windows-1252"
    except UnicodeDecodeError:
        text = data.decode("latin-1")
        encoding = "Latin-1"
    return text, [f"{path}: not valid UTF-8, decoded as {encoding}"]


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
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


def _read_docx(path: Path) -> str:
    """Paragraph text of a .docx, headings included, as blank-line separated blocks."""
    import zipfile

    from docx import Document as DocxDocument

    try:
        docx = DocxDocument(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ReadError(f"{path}: not a readable .docx file ({exc})") from exc
    return "\n\n".join(p.text for p in docx.paragraphs if p.text.strip())


def document_id(path: Path) -> str:
    """The document id: the file name without its ending."""
    return path.stem


def read_document(path: str | os.PathLike[str], doc_id: str | None = None) -> Document:
    """Read one article file; raises ReadError with the reason when it cannot."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".docx":
            text, warnings = _read_docx(path), []
        else:
            text, warnings = _decode(path.read_bytes(), path)
    except OSError as exc:
        raise ReadError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    document = parse_article(text, doc_id or document_id(path), str(path))
    document.warnings.extend(warnings)
    return document


def find_articles(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Article files under the given paths, in a stable order.

    Folders are walked recursively; hidden files and folders are skipped and
    symlinked folders are not followed, so a link loop cannot hang a run.
    A path that does not exist raises FileNotFoundError.
    """
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            yield path
        elif path.is_dir():
            found = []
            for root, dirs, files in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in files:
                    if name.startswith(".") or not name.lower().endswith(ARTICLE_SUFFIXES):
                        continue
                    found.append(Path(root) / name)
            yield from sorted(found, key=lambda p: p.as_posix())
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
