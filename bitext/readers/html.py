"""Saved web pages (`.html`, `.htm`) to Documents: the article, not the page.

A news page is mostly furniture: menus, a cookie banner, "les også" lists,
comments, ads and scripts. trafilatura finds the article's main text (the
best published scores among maintained extractors) and keeps its structure:
headings, block quotes and paragraphs come back as elements in page order.
bitext adds what it leaves out: figure captions (trafilatura keeps the image
of a `<figure>` but drops its `<figcaption>`; the caption is put back where
its image stands) and the headline from the page title when the `<h1>` is
outside the part it kept.

The bytes are decoded here, not by trafilatura: the page's declared charset
(byte-order mark, `<meta charset>`, `http-equiv`, XML declaration) decides,
since a saved page keeps its original encoding and a guess can be wrong. The
date comes from the page metadata or a `<time>` element, through htmldate's
fast mode (no free-text date parsing, so no clock or locale can change it).

The rest of what a page says about itself becomes Document metadata, never
text to translate (`page_metadata`): trafilatura's author, site name and
category (from `<meta name=author>`, `og:site_name`, `article:section`, JSON-LD
and the like), the URL from `<link rel=canonical>` or else `og:url`, and the
language `<html lang>` declares. A byline paragraph the extractor kept
(`Av Kari Nordmann og Ola Hansen`, `Tekst: ...`) near the top is taken out of
the body and becomes the author when the page named none.
"""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path

from bitext.documents import BlockKind, Document
from bitext.limits import Limits, check_text, read_file
from bitext.readers._structured import (
    FormatError,
    build_document,
    check_document,
    clean_text,
    paragraph_kind,
    with_path,
)

#: Bytes at the start of a page searched for a declared charset (HTML's
#: prescan reads 1,024; saved pages put comments and scripts first).
_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_:.\-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]+encoding\s*=\s*["']([a-zA-Z0-9_.\-]+)""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# Labels browsers map to another decoder (the WHATWG Encoding Standard):
# a page labelled Latin-1 or ASCII is decoded as Windows-1252.
_BROWSER_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252", "latin-1": "cp1252"}
#: Elements whose text is never article text, removed before extraction so a
#: page with megabytes of inline script costs no more than its article.
_NEVER_TEXT = ("script", "style", "noscript", "template", "svg", "iframe", "object", "canvas")
#: A page with more elements than this is refused: trafilatura's time grows
#: faster than the page (100,000 list items: 46 s), and an article page has
#: a few thousand (bench/read_formats.py).
MAX_PAGE_ELEMENTS = 25_000
#: Above this many elements trafilatura runs without its fallback extractors
#: (fast mode), which keeps the worst case near 5 s on this machine.
SLOW_ELEMENTS = 5_000
_OPENING_TAG = re.compile(r"<[a-zA-Z]")
_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext")
#: A byline paragraph: a lead word, then up to eight names (capitalised words
#: joined by commas, `og`, `and`, `&`), and perhaps a role or date after a
#: separator (`Av Kari Nordmann, NTB`, `Tekst og foto: Ola Hansen | Oslo`).
_BYLINE = re.compile(
    r"^(?i:av|by|tekst|text|skrevet av|tekst og foto|foto og tekst)\s*:?\s+"
    r"(?P<names>[A-ZÆØÅ][\w.'-]*(?:(?:\s+|,\s*|\s+(?:og|and|&)\s+)[A-ZÆØÅ][\w.'-]*){0,12})"
    r"\s*(?:[|·–—,(].{0,60})?$"
)
#: JSON-LD scripts up to this size are kept for trafilatura's metadata.
_MAX_JSON_LD = 100_000
#: Blocks at the top of the body looked at for a byline.
_BYLINE_BLOCKS = 4


class PageError(FormatError):
    """A page with no article text in it; the message says why (without the path)."""


def declared_charset(data: bytes) -> str | None:
    """The codec the page names for itself (BOM first), or None if it names none.

    An unknown label counts as none, so the page is then decoded as UTF-8
    or Windows-1252 with a warning instead of being refused.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec
    head = data[:_PRESCAN_BYTES]
    match = _XML_ENCODING.match(head.lstrip()) or _META_CHARSET.search(head)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    return _BROWSER_ALIASES.get(name, name)


def decode_page(data: bytes, path: str = "") -> tuple[str, list[str]]:
    """Page bytes to text, honouring the declared charset; also returns warnings."""
    declared = declared_charset(data)
    warnings = []
    if declared is not None:
        try:
            text = data.decode(declared)
        except UnicodeDecodeError:
            text = data.decode(declared, errors="replace")
            warnings.append(
                f"{path}: page declares {declared} but is not valid {declared}; "
                "bad bytes replaced with U+FFFD"
            )
        return text.lstrip("\ufeff"), warnings
    try:
        return data.decode("utf-8"), warnings
    except UnicodeDecodeError:
        pass
    warnings.append(f"{path}: page declares no charset and is not UTF-8; decoded as Windows-1252")
    return data.decode("cp1252", errors="replace"), warnings


def parse_page(data: bytes, doc_id: str, path: str = "", limits: Limits | None = None) -> Document:
    """Read the article of one web page; raises PageError when there is none.

    A page with more text than `limits.max_article_chars` (LimitExceeded) or
    more elements than `MAX_PAGE_ELEMENTS` is refused before extraction, so
    a 50 MB page costs seconds at most.
    """
    import lxml.html
    from lxml import etree

    text, warnings = decode_page(data, path)
    _quiet_loggers()
    # XML declarations in a str are refused by lxml; the text is decoded already.
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text, count=1)
    if not text.strip():
        raise PageError("empty page: no article text")
    if text.count("<") > 4 * MAX_PAGE_ELEMENTS:
        # Before parsing: a page of millions of elements would fill memory first.
        tags = sum(1 for _ in _OPENING_TAG.finditer(text))
        if tags > 2 * MAX_PAGE_ELEMENTS:
            raise PageError(_too_many(tags))
    try:
        tree = lxml.html.document_fromstring(
            text, parser=lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
        )
    except (etree.ParserError, ValueError) as exc:
        raise PageError(f"not a readable HTML page ({exc})") from exc
    for element in tree.xpath("|".join(f"//{tag}" for tag in _NEVER_TEXT)):
        if not _is_small_json_ld(element):  # kept: the page's metadata
            element.drop_tree()
    elements = sum(1 for _ in tree.iter())
    if elements > MAX_PAGE_ELEMENTS:
        raise PageError(_too_many(elements))
    check_text(tree.text_content(), path or doc_id, limits or Limits())
    captions = _figure_captions(tree)
    link_texts = {clean_text(link.text_content()) for link in tree.iter("a")} - {""}
    import trafilatura

    result = trafilatura.bare_extraction(
        tree,
        with_metadata=True,
        include_formatting=False,
        include_images=True,
        include_tables=True,
        include_comments=False,
        fast=elements > SLOW_ELEMENTS,
        # max_date None: htmldate's own default (the end of today); trafilatura
        # 2.0.0 (the newest for Python 3.10) needs the key, 2.3 reads it if there.
        date_extraction_params={"extensive_search": False, "original_date": True, "max_date": None},
    )
    body = getattr(result, "body", None)
    if body is None:
        raise PageError(
            "no article text found in the page (only navigation, lists or scripts; "
            "or the article is loaded by a script and was not saved)"
        )
    items = list(_blocks(body, captions))
    if not any(kind is not BlockKind.CAPTION for kind, _ in items) or _links_only(
        items, link_texts
    ):
        raise PageError("no article text found in the page (only navigation, lists or links)")
    if not any(kind is BlockKind.HEADLINE for kind, _ in items):
        title = clean_text(result.title or "")
        # Not the site's name, nor one of the article's own blocks: trafilatura
        # 2.0.0 (Python 3.10) falls back to the first <h2> when <title> is the site.
        if title and title != clean_text(result.sitename or "") and not _in_items(title, items):
            leading = 0
            while leading < len(items) and items[leading][0] is BlockKind.CAPTION:
                leading += 1
            items.insert(leading, (BlockKind.HEADLINE, title))
    items, byline = _take_byline(items)
    document = build_document(items, doc_id, path, date=result.date or None, input_kind="html")
    _set_metadata(document, tree, result, byline)
    document.warnings.extend(warnings)
    return document


def _is_small_json_ld(element) -> bool:
    """A `<script type=application/ld+json>` of at most `_MAX_JSON_LD` characters:
    metadata (author, publisher, section) that trafilatura reads, not text."""
    return (
        element.tag == "script"
        and (element.get("type") or "").strip().lower() == "application/ld+json"
        and len(element.text or "") <= _MAX_JSON_LD
    )


def _take_byline(items: list[tuple[BlockKind, str]]) -> tuple[list[tuple[BlockKind, str]], str]:
    """The blocks without a byline paragraph near the top, and the byline's names."""
    for index, (kind, text) in enumerate(items[:_BYLINE_BLOCKS]):
        if kind is BlockKind.HEADLINE or kind is BlockKind.CAPTION:
            continue
        match = _BYLINE.match(clean_text(text))
        if match:
            return items[:index] + items[index + 1 :], match.group("names")
    return items, ""


def _in_items(text: str, items: list[tuple[BlockKind, str]]) -> bool:
    """Whether `text` is already one of the page's blocks."""
    return any(clean_text(item) == text for _, item in items)


def _set_metadata(document: Document, tree, result, byline: str) -> None:
    """What the page says about itself (see the module docstring)."""
    document.title = clean_text(result.title or "") or None
    document.author = clean_text(result.author or "") or byline or None
    document.outlet = clean_text(result.sitename or "") or None
    categories = [clean_text(c) for c in (result.categories or []) if clean_text(c)]
    document.section = categories[0] if categories else None
    document.url = page_url(tree) or None
    lang = clean_text(tree.get("lang") or tree.get("xml:lang") or "")
    document.declared_language = lang or None


def page_url(tree) -> str:
    """The page's own address: `<link rel=canonical>`, else `og:url` ("" if none)."""
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            return link.get("href").strip()
    for meta in tree.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").lower() == "og:url":
            return (meta.get("content") or "").strip()
    return ""


def _too_many(elements: int) -> str:
    return (
        f"the page has {elements:,} elements, over the {MAX_PAGE_ELEMENTS:,} an article "
        "page has at most (a web application or a long list, not an article)"
    )


def _figure_captions(tree) -> dict[str, str]:
    """Image address -> the caption of the `<figure>` holding it."""
    captions = {}
    for figure in tree.iter("figure"):
        caption = figure.find(".//figcaption")
        if caption is None:
            continue
        text = clean_text(caption.text_content())
        for image in figure.iter("img"):
            src = image.get("src") or image.get("data-src")
            if src and text:
                captions.setdefault(src, text)
    return captions


def _blocks(body, captions: dict[str, str]):
    """(kind, text) of trafilatura's elements, in page order."""
    for element in body:
        tag = element.tag
        if tag == "head":
            kind = BlockKind.HEADLINE if element.get("rend") == "h1" else BlockKind.SUBHEADING
            yield kind, _text(element)
        elif tag == "quote":
            paragraphs = [p for p in element if p.tag == "p"]
            if paragraphs:
                for paragraph in paragraphs:
                    yield BlockKind.QUOTE, _text(paragraph)
            else:
                yield BlockKind.QUOTE, _text(element)
        elif tag == "graphic":
            caption = captions.get(element.get("src") or "")
            if caption:
                yield BlockKind.CAPTION, caption
        elif tag == "list":
            for item in element.iter("item"):
                text = _text(item)
                yield paragraph_kind(clean_text(text)), text
        elif tag == "table":
            for cell in element.iter("cell"):
                yield BlockKind.PARAGRAPH, _text(cell)
        else:  # p, code and anything newer trafilatura may emit
            text = _text(element)
            yield paragraph_kind(clean_text(text)), text


def _links_only(items: list[tuple[BlockKind, str]], link_texts: set[str]) -> bool:
    """Whether what was kept is nearly all the page's link texts: a menu or a
    list of headlines, which trafilatura's last-resort extraction returns
    when a page has no article."""
    text = " ".join(clean_text(t) for _, t in items)
    linked = sum(len(link) for link in link_texts if len(link) > 1 and link in text)
    return linked >= 0.8 * len(text)


def _text(element) -> str:
    """An element's text with line breaks (`<lb/>`) as spaces."""
    parts = [element.text or ""]
    for child in element:
        parts.append(" " if child.tag == "lb" else _text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _quiet_loggers() -> None:
    """trafilatura logs pages it discards; bitext reports them itself.

    A NullHandler stops Python printing those records on stderr when the
    application configured no logging; an application that did still sees them.
    """
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(logging.NullHandler())


class HtmlReader:
    kind = "html"
    suffixes = (".html", ".htm")

    def read(self, path: Path, doc_id: str, limits: Limits) -> Document:
        """The page's bytes within the file limit, its article within the text limits."""
        with with_path(path):
            document = parse_page(read_file(path, limits), doc_id, str(path), limits)
        check_document(document, path, limits)
        return document


READER = HtmlReader()
