"""What a file really is, from its first bytes, when its ending may lie.

Files arrive renamed: a PDF saved as `.html` by a browser, a `.docx`
renamed `.odt`, a zip bomb given an article's ending. The reader chosen by
the ending would then fail with a confusing error (or read binary data as
text), so `reader_for` looks at the content first: PDFs and zip containers
have fixed signatures, and a zip names its format in its members. A file
whose content names another readable kind is read as that kind, with a
warning; one whose content no reader takes is refused, saying what it is.
Text formats (.txt, .md, .html) are not told apart: each reader takes text.
"""

from __future__ import annotations

import os
from pathlib import Path

from bitext.limits import ReadError

#: Bytes looked at (for a zip, its directory is read as well).
_HEAD = 1024
#: Bytes read of a zip: enough for the first local headers of an Office file.
_ZIP_HEAD = 64 * 1024
_BINARY_KINDS = ("pdf", "odt", "docx")
_OFFICE_PARTS = (
    (b"word/document.xml", "docx"),
    (b"xl/workbook.xml", "an Excel workbook"),
    (b"ppt/presentation.xml", "a PowerPoint presentation"),
)
_OTHER_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office (OLE) document such as .doc"),
    (b"{\\rtf", "an RTF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
)


def content_kind(path: str | os.PathLike[str]) -> str | None:
    """`pdf`, `odt`, `docx`, `zip` (another zip), a description of another binary
    format, or None for anything else (text, HTML, Markdown, unknown)."""
    with open(path, "rb") as handle:
        head = handle.read(_HEAD)
        if head.startswith(b"PK\x03\x04"):
            head += handle.read(_ZIP_HEAD - len(head))
    if head.lstrip(b"\xef\xbb\xbf \t\r\n\x00").startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(head)
    if head.startswith(b"PK\x05\x06"):
        return "an empty zip archive"
    for signature, description in _OTHER_SIGNATURES:
        if head.startswith(signature):
            return description
    return None


def _zip_kind(head: bytes) -> str:
    """The format a zip container declares, from the local headers at its start.

    ODF and EPUB store a `mimetype` member first, uncompressed, so the type
    is readable at a fixed place; Office files name their parts in the first
    local headers. The zip directory is not read here (a hostile one is the
    reader's to refuse, within the limits).
    """
    if head[30:38] == b"mimetype":
        mimetype = head[38:].split(b"PK\x03\x04", 1)[0].strip()
        if mimetype == b"application/vnd.oasis.opendocument.text":
            return "odt"
        if mimetype == b"application/epub+zip":
            return "an EPUB e-book"
        if mimetype.startswith(b"application/vnd.oasis.opendocument."):
            kind = mimetype.rsplit(b".", 1)[-1].decode("ascii", "replace")
            return f"an OpenDocument file other than text ({kind})"
    for part, kind in _OFFICE_PARTS:
        if part in head:
            return kind
    return "a zip archive"


def reader_for(path: Path, by_name, get_reader_of_kind):
    """The reader for `path`: `by_name` unless the content says otherwise.

    Returns (reader, warning or None); `get_reader_of_kind(kind)` gives the
    reader of a kind. A file whose content is positively another readable
    kind is read as that kind; a known unreadable format (an image, an
    e-book) is refused, naming it. A damaged container named as one is left
    to its reader, whose error says what is wrong inside.
    """
    actual = content_kind(path)
    named = path.suffix or "without an ending"
    if actual is None:
        if by_name.kind in _BINARY_KINDS and _looks_like_html(path):
            reader = get_reader_of_kind("html")
            return reader, f"{path}: named {named} but is an HTML page; read as HTML"
        return by_name, None
    if actual == by_name.kind:
        return by_name, None
    if actual in _BINARY_KINDS:
        reader = get_reader_of_kind(actual)
        return reader, f"{path}: named {named} but is {actual.upper()}; read as {actual.upper()}"
    if by_name.kind in ("odt", "docx") and actual in _ZIPS:
        return by_name, None
    raise ReadError(
        f"{path}: named {named} but is {actual}; bitext does not read that kind of file"
    )


_ZIPS = ("a zip archive", "an empty zip archive")


def _looks_like_html(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(_HEAD).lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head
