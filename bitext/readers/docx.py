"""Word documents (`.docx`): paragraphs, headings and table cells, in order.

The file is read within the limits and every zip member checked and
inflated once within them (`bitext.limits.check_members`) before
python-docx sees the bytes, so a zip bomb or a member with a false size is
refused without being unpacked. XML parts with a document type declaration
are refused too: Word never writes one, and it is where entity tricks live
(python-docx's parser does not expand entities either).

The core properties give the Document's title, author, section (Word's
"Category") and declared language where they are filled in; python-docx's
own placeholder author (`python-docx`) is not an author.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from bitext.documents import Document
from bitext.limits import Limits, check_members, open_archive, read_file
from bitext.readers.base import ReadError, clean_block, mark_headings, normalise, parse_article


class DocxReader:
    kind = "docx"
    suffixes = (".docx",)

    def read(self, path: Path, doc_id: str, limits: Limits) -> Document:
        text, headings, metadata = _read_docx(path, _checked_package(path, limits))
        document = parse_article(text, doc_id, str(path), limits)
        if headings:
            mark_headings(document, headings)
        for field, value in metadata.items():
            setattr(document, field, value)
        return document


def _checked_package(path: Path, limits: Limits) -> io.BytesIO:
    """The file's bytes, once every member is known to be within the limits."""
    data = read_file(path, limits)
    try:
        with open_archive(data, path, limits) as zf:
            check_members(zf, path, limits)
            for info in zf.infolist():
                if info.filename.endswith((".xml", ".rels")) and not info.is_dir():
                    with zf.open(info) as member:
                        _refuse_doctype(path, info.filename, member.read(_PROLOG))
    except zipfile.BadZipFile as exc:
        raise ReadError(f"{path}: not a readable .docx file (BadZipFile: {exc})") from exc
    return io.BytesIO(data)


#: Bytes of an XML part searched for a document type declaration.
_PROLOG = 64 * 1024


def _refuse_doctype(path: Path, name: str, head: bytes) -> None:
    text = head.decode("utf-16", "ignore") if head.startswith((b"\xff\xfe", b"\xfe\xff")) else head
    marker = "<!DOCTYPE" if isinstance(text, str) else b"<!DOCTYPE"
    if marker in text:
        raise ReadError(
            f"{path}: {name} declares a document type (<!DOCTYPE>), which Word never "
            "writes and entity tricks need; the file is refused"
        )


def _read_docx(path: Path, package: io.BytesIO) -> tuple[str, set[str], dict[str, str]]:
    """Text of a .docx as blank-line separated blocks, the heading texts and
    the metadata of its core properties.

    Paragraphs and headings in document order, then table cells row by row
    (articles often carry a fact box as a table). Headings are returned
    apart so their blocks can be marked as headline and sub-headings.
    """
    from docx import Document as DocxDocument
    from docx.table import Table

    try:
        docx = DocxDocument(package)
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
                headings.add(clean_block(normalise(text)))
        metadata = core_metadata(docx.core_properties)
    except OSError:
        raise
    except Exception as exc:  # a damaged file raises anything from zipfile to lxml
        raise ReadError(
            f"{path}: not a readable .docx file ({exc.__class__.__name__}: {exc})"
        ) from exc
    return "\n\n".join(texts), headings, metadata


#: Authors that are a tool's placeholder, not a person.
_PLACEHOLDER_AUTHORS = {"python-docx", "unknown", "author"}


def core_metadata(core) -> dict[str, str]:
    """Document fields from a .docx's core properties (only those filled in)."""
    found = {
        "title": core.title,
        "author": core.author,
        "section": core.category,
        "declared_language": core.language,
    }
    found = {k: " ".join((v or "").split()) for k, v in found.items()}
    if found["author"].lower() in _PLACEHOLDER_AUTHORS:
        found["author"] = ""
    return {k: v for k, v in found.items() if v}


READER = DocxReader()
