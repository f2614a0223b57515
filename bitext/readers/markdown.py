"""Markdown articles (`.md`, `.markdown`) to Documents, markup removed.

markdown-it-py (a CommonMark parser, already in the environment through
rich) turns the file into tokens, so the edge cases of the syntax (setext
headings, lazy quote lines, emphasis inside words, links with titles,
escaped characters) are its job, not a pile of regular expressions here.

Kinds: the first `#` heading is the headline, later headings (`##`, `###`
and any further `#`) sub-headings, paragraphs inside `>` quotes quotes, an
image opening a paragraph of text a caption (the text; the image's alt
text describes the picture and is left out). List items and table cells are
paragraphs. Code and raw HTML blocks are left out: neither is article text.
A YAML front-matter block is not text either; its `date:` is the date, and
its `title`, `author` (or `authors`, `byline`), `site` (or `outlet`,
`publisher`, `site_name`), `section` (or `category`), `url` (or `canonical`)
and `lang` (or `language`) become the Document's metadata (`front_matter`:
plain `key: value` lines; nested YAML is not read).
"""

from __future__ import annotations

import re
from pathlib import Path

from bitext.documents import BlockKind, Document
from bitext.limits import Limits, check_text, read_file
from bitext.readers._structured import (
    build_document,
    check_document,
    clean_text,
    paragraph_kind,
)
from bitext.readers.base import decode

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_DATE = re.compile(r"^date\s*:\s*[\"']?(\d{4}-\d{2}(?:-\d{2})?)", re.MULTILINE | re.IGNORECASE)


def split_front_matter(text: str) -> tuple[str, str | None]:
    """The text without a leading YAML front matter, and the date it names."""
    match = _FRONT_MATTER.match(text)
    if match is None:
        return text, None
    date = _DATE.search(match.group(1))
    return text[match.end() :], date.group(1) if date else None


_FIELD = re.compile(r"^([A-Za-z_]+)\s*:\s*(.+?)\s*$", re.MULTILINE)
#: Front-matter keys, as written by static site generators, to Document fields.
_KEYS = {
    "title": "title",
    "author": "author",
    "authors": "author",
    "byline": "author",
    "site": "outlet",
    "site_name": "outlet",
    "outlet": "outlet",
    "publisher": "outlet",
    "section": "section",
    "category": "section",
    "url": "url",
    "canonical": "url",
    "canonical_url": "url",
    "lang": "declared_language",
    "language": "declared_language",
}


def front_matter(text: str) -> dict[str, str]:
    """Document fields named by a leading front matter (see the module docstring)."""
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    found: dict[str, str] = {}
    if match is None:
        return found
    for key, value in _FIELD.findall(match.group(1)):
        field = _KEYS.get(key.lower())
        value = value.strip().strip("\"'").strip("[]").strip()
        if field and value and field not in found:
            found[field] = value
    return found


def parse_markdown(text: str, doc_id: str, path: str = "") -> Document:
    """A Document from Markdown text (already decoded)."""
    from markdown_it import MarkdownIt

    body, date = split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"))
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = parser.parse(body)
    items: list[tuple[BlockKind, str]] = []
    context: list[str] = []  # open containers: blockquote, list, table cell
    pending: BlockKind | None = None
    for token in tokens:
        if token.type.endswith("_open"):
            if token.type == "heading_open":
                pending = BlockKind.HEADLINE if token.tag == "h1" else BlockKind.SUBHEADING
            elif token.type in ("paragraph_open", "th_open", "td_open"):
                pending = None
            context.append(token.type[: -len("_open")])
        elif token.type.endswith("_close"):
            context.pop()
        elif token.type == "inline":
            text_of, has_image = _inline_text(token.children or [])
            if pending is not None:
                items.append((pending, text_of))
                pending = None
            elif "blockquote" in context:
                items.append((BlockKind.QUOTE, text_of))
            elif has_image and clean_text(text_of):
                items.append((BlockKind.CAPTION, text_of))
            else:
                items.append((paragraph_kind(clean_text(text_of)), text_of))
    document = build_document(items, doc_id, path, date=date, input_kind="markdown")
    for field, value in front_matter(text).items():
        setattr(document, field, value)
    return document


def _inline_text(children) -> tuple[str, bool]:
    """Plain text of an inline token's children, and whether they open with an image."""
    parts = []
    opens_with_image = False
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image" and not "".join(parts).strip():
            opens_with_image = True
    return "".join(parts), opens_with_image


class MarkdownReader:
    kind = "markdown"
    suffixes = (".md", ".markdown")

    def read(self, path: Path, doc_id: str, limits: Limits) -> Document:
        """Decoded as plain text is (encodings, binary refused), then parsed."""
        text, warnings = decode(read_file(path, limits), path)
        check_text(text, path, limits)
        document = parse_markdown(text, doc_id, str(path))
        check_document(document, path, limits)
        document.warnings.extend(warnings)
        return document


READER = MarkdownReader()
