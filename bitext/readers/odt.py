"""OpenDocument text (`.odt`) to Documents: headings, paragraphs and tables in order.

An ODT is a zip whose `content.xml` holds the text. It is read here with
lxml (already in the environment through python-docx) rather than odfpy:
odfpy opens the zip itself and inflates every member whole, so the size and
ratio limits on zip members could not be applied, and its last release is
from 2020. The member is read through the bounded zip reader and parsed with
entities left unresolved, no DTD, no network and libxml2's tree-size
guards on, so an entity bomb or an external entity is refused, not expanded.

Kinds: `text:h` level 1 is the headline (the first; later ones are
sub-headings), other levels sub-headings; paragraphs styled Title, Subtitle,
Heading N, Quotations or Caption/Illustration/Figure (LibreOffice's names,
through automatic styles to the named style they derive from) take that
kind; a dash-led paragraph is a quote. Table cells, list items and text
boxes come in document order. Notes, annotations (comments) and tracked
deletions are not article text and are left out. ODT has no publication
date of its own (meta.xml's dates are the file's), so none is set; meta.xml's
title, `dc:creator` (else `meta:initial-creator`) and
`dc:language` become the Document's title, author and declared language
(read with the same safe parser, bounded like content.xml).
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from bitext.documents import BlockKind, Document
from bitext.limits import Limits, open_archive, read_file, read_zip_member
from bitext.readers._structured import (
    FormatError,
    build_document,
    check_document,
    clean_text,
    paragraph_kind,
    with_path,
)

TEXT_MIMETYPE = "application/vnd.oasis.opendocument.text"
_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
}
_TEXT = f"{{{_NS['text']}}}"
_OFFICE = f"{{{_NS['office']}}}"
_STYLE = f"{{{_NS['style']}}}"
_TABLE = f"{{{_NS['table']}}}"
_DRAW = f"{{{_NS['draw']}}}"
#: Elements whose text is not the article's.
_SKIPPED = {
    f"{_OFFICE}annotation",
    f"{_OFFICE}annotation-end",
    f"{_TEXT}note",
    f"{_TEXT}tracked-changes",
    f"{_TEXT}sequence-decls",
    f"{_TEXT}variable-decls",
    f"{_TEXT}user-field-decls",
    f"{_TABLE}table-columns",
    f"{_TABLE}table-column",
    f"{_OFFICE}forms",
}
_ENTITIES = "content.xml declares entities (no office program writes them); refused"
# Style names are stored with spaces and other characters as _xx_ (hex).
_ENCODED = re.compile(r"_([0-9a-fA-F]{2})_")


class OdtError(FormatError):
    """A file that is not a readable ODT text document; the message says why."""


def safe_parser():
    """An lxml parser that expands no entity and fetches nothing."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def parse_content(content: bytes, doc_id: str, path: str = "") -> Document:
    """A Document from an ODT's `content.xml` bytes."""
    from lxml import etree

    prolog = content.split(b"<office:", 1)[0]
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise OdtError(_ENTITIES)
    try:
        root = etree.fromstring(content, parser=safe_parser())
    except etree.XMLSyntaxError as exc:
        raise OdtError(f"damaged content.xml ({exc})") from exc
    if (
        root.getroottree().docinfo.internalDTD is not None
        or next(root.iter(etree.Entity), None) is not None
    ):
        raise OdtError(_ENTITIES)
    text = root.find(f"{_OFFICE}body/{_OFFICE}text")
    if text is None:
        raise OdtError("no text body in content.xml (a spreadsheet or a drawing?)")
    parents = {}
    for style in root.iter(f"{_STYLE}style"):
        name = style.get(f"{_STYLE}name")
        if name:
            parents[name] = style.get(f"{_STYLE}parent-style-name")
    items: list[tuple[BlockKind, str]] = []
    _walk(text, items, parents)
    return build_document(items, doc_id, path, input_kind="odt")


def read_odt(path: Path, doc_id: str, limits: Limits) -> Document:
    """Read an ODT file: the archive judged from its zip directory, members read bounded."""
    data = read_file(path, limits)
    try:
        with open_archive(data, path, limits) as archive:
            names = set(archive.namelist())
            if "mimetype" in names:
                mimetype = read_zip_member(archive, "mimetype", limits)
                mimetype_text = mimetype.decode("ascii", "replace").strip()
                if mimetype_text != TEXT_MIMETYPE:
                    raise OdtError(f"not an ODT text document (its mimetype is {mimetype_text!r})")
            if "META-INF/manifest.xml" in names:
                if b"encryption-data" in read_zip_member(archive, "META-INF/manifest.xml", limits):
                    raise OdtError("encrypted ODT (saved with a password); bitext cannot open it")
            if "content.xml" not in names:
                raise OdtError("not an ODT text document (no content.xml)")
            content = read_zip_member(archive, "content.xml", limits)
            meta = read_zip_member(archive, "meta.xml", limits) if "meta.xml" in names else b""
    except zipfile.BadZipFile as exc:
        raise OdtError(f"not a readable ODT file (damaged zip: {exc})") from exc
    document = parse_content(content, doc_id, str(path))
    for field, value in meta_fields(meta).items():
        setattr(document, field, value)
    return document


def meta_fields(meta: bytes) -> dict[str, str]:
    """Title, author and declared language from meta.xml ({} when it has none,
    or is unreadable: metadata never stops an article from being read)."""
    from lxml import etree

    if not meta or b"<!DOCTYPE" in meta.split(b"<office:", 1)[0]:
        return {}
    try:
        root = etree.fromstring(meta, parser=safe_parser())
    except etree.XMLSyntaxError:
        return {}
    dc = "{http://purl.org/dc/elements/1.1/}"
    odf_meta = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
    found = {}
    for field, tags in (
        ("title", [f"{dc}title"]),
        ("author", [f"{dc}creator", f"{odf_meta}initial-creator"]),
        ("declared_language", [f"{dc}language"]),
    ):
        for tag in tags:
            element = next(root.iter(tag), None)
            value = clean_text(element.text or "") if element is not None else ""
            if value:
                found[field] = value
                break
    return found


class OdtReader:
    kind = "odt"
    suffixes = (".odt",)

    def read(self, path: Path, doc_id: str, limits: Limits) -> Document:
        with with_path(path):
            document = read_odt(path, doc_id, limits)
        check_document(document, path, limits)
        return document


READER = OdtReader()


def _walk(element, items: list[tuple[BlockKind, str]], parents: dict[str, str | None]) -> None:
    for child in element:
        tag = child.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            continue
        if tag == f"{_TEXT}h":
            level = child.get(f"{_TEXT}outline-level") or "1"
            kind = BlockKind.HEADLINE if level == "1" else BlockKind.SUBHEADING
            items.append((kind, _inline(child, items, parents)))
        elif tag == f"{_TEXT}p":
            text = _inline(child, items, parents)
            kind = _style_kind(child.get(f"{_TEXT}style-name"), parents)
            items.append((kind or paragraph_kind(clean_text(text)), text))
        else:  # sections, lists, list items, tables, rows, cells, frames, text boxes
            _walk(child, items, parents)


def _inline(element, items, parents) -> str:
    """Text of a paragraph; frames inside it (captions) are added as their own blocks."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in _SKIPPED:
            if tag == f"{_TEXT}s":
                parts.append(" " * int(child.get(f"{_TEXT}c") or 1))
            elif tag in (f"{_TEXT}tab", f"{_TEXT}line-break"):
                parts.append(" ")
            elif tag == f"{_DRAW}frame":
                _walk(child, items, parents)
            else:
                parts.append(_inline(child, items, parents))
        parts.append(child.tail or "")
    return "".join(parts)


def _style_kind(name: str | None, parents: dict[str, str | None]) -> BlockKind | None:
    """The block kind a paragraph style (or the style it derives from) stands for."""
    seen = set()
    while name and name not in seen:
        seen.add(name)
        label = _ENCODED.sub(lambda m: chr(int(m.group(1), 16)), name).lower().strip()
        if label == "title":
            return BlockKind.HEADLINE
        if label in ("subtitle",) or label.startswith("heading "):
            return BlockKind.SUBHEADING if label != "heading 1" else BlockKind.HEADLINE
        if label.startswith(("quotation", "quote", "sitat")):
            return BlockKind.QUOTE
        if label.startswith(("caption", "illustration", "figure", "bildetekst")):
            return BlockKind.CAPTION
        name = parents.get(name)
    return None
