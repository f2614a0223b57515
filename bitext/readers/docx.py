"""Word documents (`.docx`): paragraphs, headings and table cells, in order."""

from __future__ import annotations

from pathlib import Path

from bitext.documents import Document
from bitext.limits import Limits
from bitext.readers.base import ReadError, clean_block, mark_headings, normalise, parse_article


class DocxReader:
    kind = "docx"
    suffixes = (".docx",)

    def read(self, path: Path, doc_id: str, limits: Limits) -> Document:
        text, headings = _read_docx(path)
        document = parse_article(text, doc_id, str(path), limits)
        if headings:
            mark_headings(document, headings)
        return document


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
                headings.add(clean_block(normalise(text)))
    except OSError:
        raise
    except Exception as exc:  # a damaged file raises anything from zipfile to lxml
        raise ReadError(
            f"{path}: not a readable .docx file ({exc.__class__.__name__}: {exc})"
        ) from exc
    return "\n\n".join(texts), headings


READER = DocxReader()
