"""Saved web pages: the article comes through, the page around it does not (issue 16).

The pages are built from the seed articles (tests/article_inputs.py) the way
a Norwegian news site serves them, and read through `read_document`, the
path every command takes.
"""

from __future__ import annotations

import pytest

from bitext.documents import BlockKind
from bitext.readers import ReadError, read_document
from bitext.readers.html import MAX_PAGE_ELEMENTS, declared_charset, parse_page

from .article_inputs import (
    BOILERPLATE,
    SEEDS,
    full_date,
    leaked,
    news_page,
    seed_document,
    sentences,
    write_pdf,
)


@pytest.fixture(scope="module", params=SEEDS, ids=lambda p: p.stem)
def seed(request):
    document = seed_document(request.param)
    assert not leaked(document), "the seed itself holds a boilerplate phrase"
    return document


@pytest.mark.parametrize("encoding", ["utf-8", "windows-1252", "iso-8859-1"])
def test_news_page_gives_the_seed_article(tmp_path, seed, encoding):
    path = tmp_path / "artikkel.html"
    path.write_bytes(news_page(seed, encoding=encoding))
    document = read_document(path)
    assert sentences(document) == sentences(seed)
    assert [(b.kind, b.text) for b in document.blocks] == [(b.kind, b.text) for b in seed.blocks]
    assert len(document.blocks) == len(seed.blocks)
    assert leaked(document) == []
    assert document.date == full_date(seed.date)
    assert document.input_kind == "html"
    assert document.warnings == []


def test_every_kind_is_in_the_pages():
    """The seeds between them hold every block kind, so the test above checks each."""
    kinds = {b.kind for path in SEEDS for b in seed_document(path).blocks}
    assert kinds == set(BlockKind)


def test_boilerplate_is_really_in_the_page(seed):
    """The page carries every planted phrase (scripts and styles as code), so leaks could show."""
    page = news_page(seed).decode()
    assert all(
        phrase in page for phrase in BOILERPLATE if "Side" not in phrase and "–" not in phrase
    )


@pytest.mark.parametrize(
    ("head", "codec"),
    [
        (b'<meta charset="windows-1252">', "cp1252"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1">', "cp1252"),
        (b"<meta charset='utf-8'>", "utf-8"),
        (b'<?xml version="1.0" encoding="iso-8859-15"?>', "iso8859-15"),
        (b"\xef\xbb\xbf<html>", "utf-8"),
        (b'<meta charset="no-such-codec">', None),
        (b"<html><head>", None),
    ],
)
def test_declared_charset(head, codec):
    assert declared_charset(head + b"<title>x</title>") == codec


def test_declared_charset_decides_over_a_guess(tmp_path, seed):
    """Windows-1252 bytes that are also valid UTF-8 would be misread by a guess."""
    page = news_page(seed, encoding="windows-1252")
    assert "«".encode("cp1252") in page and "–".encode("cp1252") in page
    path = tmp_path / "side.htm"
    path.write_bytes(page)
    text = "\n".join(b.text for b in read_document(path).blocks)
    assert "«" in text or "–" in text
    assert "\ufffd" not in text


def test_undeclared_legacy_page_is_read_with_a_warning(tmp_path):
    body = "<p>Blåbærsyltetøy er «godt» – sier alle som har smakt det her i landet.</p>" * 3
    path = tmp_path / "gammel.html"
    path.write_bytes(f"<html><body><article>{body}</article></body></html>".encode("cp1252"))
    document = read_document(path)
    assert "Blåbærsyltetøy er «godt»" in document.blocks[0].text
    assert any("decoded as Windows-1252" in w for w in document.warnings)


def test_headline_from_the_title_when_no_h1():
    """With the seed that has a headline (the other has none, so nothing to find)."""
    seed = seed_document(SEEDS[0])
    assert seed.headline is not None
    page = news_page(seed).decode()
    page = page.replace("<h1>", "<p class='x'>").replace("</h1>", "</p>", 1)
    page = page.replace(f"<p class='x'>{seed.headline.text}</p>", "")
    document = parse_page(page.encode(), "a")
    assert document.headline is not None
    assert document.headline.text == seed.headline.text


def test_date_from_a_time_element_alone(seed):
    page = news_page(seed).decode()
    page = "\n".join(line for line in page.splitlines() if "published_time" not in line)
    page = page.replace(f'datetime="{full_date(seed.date)}T08:00:00+02:00"', "")
    page = page.replace(
        '<article class="article">',
        '<article class="article"><time datetime="2021-03-04T10:00">4. mars 2021</time>',
    )
    assert parse_page(page.encode(), "a").date == "2021-03-04"


def test_page_without_article_fails_alone(tmp_path):
    path = tmp_path / "meny.html"
    menu = "".join(f'<li><a href="/{i}">Seksjon {i}</a></li>' for i in range(30))
    path.write_text(f"<html><body><nav><ul>{menu}</ul></nav><footer>© Avisa</footer></body></html>")
    with pytest.raises(ReadError, match=r"meny\.html: no article text found in the page"):
        read_document(path)


@pytest.mark.parametrize("data", [b"", b"   \n", b"<html></html>"])
def test_empty_pages_fail_with_a_reason(tmp_path, data):
    path = tmp_path / "tom.html"
    path.write_bytes(data)
    with pytest.raises(ReadError, match=r"tom\.html: (empty page|no article text)"):
        read_document(path)


def test_html_that_is_really_a_pdf_is_read_as_pdf(tmp_path, seed):
    path = write_pdf(seed, tmp_path / "lagret.html")
    document = read_document(path)
    assert document.input_kind == "pdf"
    assert sentences(document) == sentences(seed)
    assert "named .html but is PDF; read as PDF" in document.warnings[0]


def test_fifty_megabyte_page_of_inline_state_is_read(tmp_path):
    """A saved page of 50 MB, nearly all of it a script's data: the article still comes out.

    (Its time is printed by `bench/hostile_inputs.py`; pytest-timeout bounds it here.)
    """
    seed = seed_document(SEEDS[0])
    page = news_page(seed)
    state = b'<script>window.__STATE__ = "' + b"a" * 50_000_000 + b'";</script>'
    at = page.index(b"<footer")
    path = tmp_path / "stor.html"
    path.write_bytes(page[:at] + state + page[at:])
    document = read_document(path)
    assert sentences(document) == sentences(seed)


def test_fifty_megabyte_page_of_markup_is_refused(tmp_path):
    """1.5 million list items would take trafilatura minutes: refused, with the reason.

    (Its time is printed by `bench/hostile_inputs.py`; pytest-timeout bounds it here.)
    """
    seed = seed_document(SEEDS[0])
    page = news_page(seed)
    item = b'<li><a href="/a">Nyhet</a></li>'
    at = page.index(b"<footer")
    path = tmp_path / "liste.html"
    path.write_bytes(page[:at] + b"<ul>" + item * (50_000_000 // len(item)) + b"</ul>" + page[at:])
    with pytest.raises(ReadError, match=f"over the {MAX_PAGE_ELEMENTS:,} an article page has"):
        read_document(path)
