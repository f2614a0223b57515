"""PDF articles: paragraphs rebuilt, hyphenation undone, page furniture dropped (issue 16).

The PDFs are made from the seed articles by reportlab (a development
dependency, independent of the PDFium the reader uses) and, where
LibreOffice is installed, by LibreOffice from an ODT with a running header
and page numbers.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bitext.documents import Block, BlockKind, Document
from bitext.readers import ReadError, read_document
from bitext.readers.pdf import rejoin

from .article_inputs import (
    SEEDS,
    leaked,
    news_page,
    pdf_layout,
    seed_document,
    sentences,
    write_odt,
    write_pdf,
)
from .capabilities import needs_writer
from .conftest import docx_to_pdf


@pytest.fixture(scope="module", params=SEEDS, ids=lambda p: p.stem)
def seed(request):
    return seed_document(request.param)


def assert_same_article(document: Document, seed: Document) -> None:
    assert sentences(document) == sentences(seed)
    assert [(b.kind, b.text) for b in document.blocks] == [(b.kind, b.text) for b in seed.blocks]
    assert leaked(document) == []


def test_two_page_pdf_gives_the_seed_article(tmp_path, seed):
    path = write_pdf(seed, tmp_path / "artikkel.pdf")
    document = read_document(path)
    assert_same_article(document, seed)
    assert document.input_kind == "pdf"
    assert document.warnings == []


def test_the_pdf_really_has_two_pages_hyphens_and_furniture(tmp_path, seed):
    """What the test above relies on: the layout breaks pages and words."""
    import pypdfium2

    path = write_pdf(seed, tmp_path / "artikkel.pdf")
    pdf = pypdfium2.PdfDocument(path)
    texts = [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    assert len(texts) == 2
    assert all("Nordavisa – utenriks" in t for t in texts)
    assert "Side 1 av 2" in texts[0] and "Side 2 av 2" in texts[1]
    broken = [line for *_, lines in pdf_layout(seed) for line in lines if line.endswith("-")]
    assert len(broken) >= 2, broken


@needs_writer
def test_libreoffice_pdf_gives_the_seed_article(tmp_path, seed):
    """A PDF made by LibreOffice: its fonts, spacing, header and `Side N` footer."""
    odt = write_odt(seed, tmp_path / "artikkel.odt", for_print=True)
    path = docx_to_pdf(odt, tmp_path)
    document = read_document(path)
    assert_same_article(document, seed)


HYPHENATED = (
    "Regjeringen la fram en ny sikkerhetspolitikk for NATO-landene i Nord-Europa i går. "
    "Sikkerhetspolitikken skal styrke samarbeidet med NATO-landene, og forsvarsministeren "
    "sier at Ukraina-krigen har endret forsvarsindustrien og samarbeidsforumet."
)


@pytest.mark.parametrize("column", [120.0, 140.0, 160.0, 200.0])
def test_line_end_hyphens_undone_or_kept(tmp_path, column):
    document = Document("a", "", [Block(1, BlockKind.PARAGRAPH, HYPHENATED)])
    lines = pdf_layout(document, column)[0][-1]
    ends = {line.rsplit(" ", 1)[-1] for line in lines[:-1]}
    assert any(e.endswith("-") for e in ends), ends  # the layout did break words
    # Over two pages: the paragraph also runs on across the page break.
    path = write_pdf(document, tmp_path / "smal.pdf", pages=2, column=column)
    assert [b.text for b in read_document(path).blocks] == [HYPHENATED]


@pytest.mark.parametrize(
    ("left", "right", "opens", "vocabulary", "word"),
    [
        ("sikkerhets-", "politikk", False, "", "sikkerhetspolitikk"),
        ("NATO-", "landene", False, "", "NATO-landene"),
        ("SCO-", "møtet", False, "", "SCO-møtet"),
        ("1930-", "tallet", False, "", "1930-tallet"),
        ("Nord-", "Korea", False, "", "Nord-Korea"),
        ("Ukraina-", "krigen,", False, "", "Ukraina-krigen,"),
        ("Forsvars-", "ministeren", True, "", "Forsvarsministeren"),
        ("japansk-", "okkupert", False, "", "japansk-okkupert"),
        ("militær-", "politiske", False, "militær-politiske", "militær-politiske"),
        ("militær-", "parade", False, "militærparade", "militærparade"),
        ("«sam-", "arbeid»", False, "", "«samarbeid»"),
        ("e-", "post", False, "e-post", "e-post"),
    ],
)
def test_rejoin_rule(left, right, opens, vocabulary, word):
    assert rejoin(left, right, Counter(vocabulary.split()), opens_sentence=opens) == word


def test_scanned_pdf_fails_alone_saying_there_is_no_text_layer(tmp_path):
    from reportlab.pdfgen.canvas import Canvas

    path = tmp_path / "skannet.pdf"
    canvas = Canvas(str(path), invariant=1)
    for row in range(40):  # a page of "text" that is only drawn shapes, as a scan is
        canvas.rect(60, 780 - row * 18, 400 - (row % 5) * 30, 9, fill=1, stroke=0)
    canvas.showPage()
    canvas.save()
    with pytest.raises(ReadError, match=r"skannet\.pdf: no text layer .*bitext does no OCR"):
        read_document(path)


def test_encrypted_pdf_fails_alone_saying_so(tmp_path, seed):
    path = write_pdf(seed, tmp_path / "låst.pdf", password="hemmelig")
    with pytest.raises(ReadError, match=r"låst\.pdf: encrypted PDF \(it needs a password\)"):
        read_document(path)


@pytest.mark.parametrize("share", [0.3, 0.6, 0.95])
def test_truncated_pdf_fails_alone(tmp_path, seed, share):
    data = write_pdf(seed, tmp_path / "hel.pdf").read_bytes()
    path = tmp_path / "avkuttet.pdf"
    path.write_bytes(data[: int(len(data) * share)])
    with pytest.raises(ReadError, match=r"avkuttet\.pdf: truncated PDF"):
        read_document(path)


def test_damaged_pdf_fails_alone(tmp_path):
    path = tmp_path / "skadet.pdf"
    path.write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n")
    with pytest.raises(ReadError, match=r"skadet\.pdf: (not a readable PDF|no text layer)"):
        read_document(path)


def test_pdf_that_is_really_a_web_page_is_read_as_html(tmp_path, seed):
    path = tmp_path / "side.pdf"
    path.write_bytes(news_page(seed))
    document = read_document(path)
    assert document.input_kind == "html"
    assert "named .pdf but is an HTML page; read as HTML" in document.warnings[0]
    assert sentences(document) == sentences(seed)


def test_text_named_pdf_is_refused_clearly(tmp_path):
    path = tmp_path / "notat.pdf"
    path.write_text("Bare tekst, ingen PDF.\n")
    with pytest.raises(ReadError, match=r"notat\.pdf: (truncated PDF|not a readable PDF)"):
        read_document(path)
