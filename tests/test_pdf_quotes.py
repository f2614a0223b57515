"""Quotes and captions in a PDF (issue 26): kinds by what a reader sees.

The PDF is built here with reportlab: a bold headline, body paragraphs,
speech set in italic and led by a dash or a guillemet (as many papers set
quotes), an indented quote in the body font, a real photo (an image object)
with its caption in a smaller font right under it, and a second photo with a
caption set beside it. The quotes must come out as `quote` blocks, as the
same text does from a DOCX, and only the two captions as `caption`.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bitext.documents import BlockKind
from bitext.readers import read_document

from .article_inputs import grey_png

HEADLINE = "Ny bru åpner før sommeren"
PARAGRAPHS = [
    "Kommunen har bestemt at den nye brua over elva skal åpne i juni, en måned "
    "tidligere enn planlagt.",
    "Entreprenøren sier at arbeidet har gått raskere enn ventet gjennom vinteren.",
]
DASH_QUOTE = "– Vi er svært fornøyde med framdriften, sier prosjektlederen."
GUILLEMET_QUOTE = "«Dette blir et løft for hele sentrum», sa ordføreren på møtet."
INDENTED_QUOTE = "– Vi kommer til å bruke brua hver dag, sier en nabo som bor like ved."
CAPTION_UNDER = "NY BRU: Slik skal brua se ut når den står ferdig. Foto: Kommunen"
CAPTION_BESIDE = "ELVA: Vannstanden er lav om våren."
LAST = "Brua skal etter planen stå i minst hundre år, ifølge kommunen."


def _write(path: Path) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    photo = ImageReader(io.BytesIO(grey_png()))
    canvas = Canvas(str(path), pagesize=A4, invariant=1)
    left, y = 60.0, A4[1] - 80.0

    def text(line: str, font: str = "Helvetica", size: float = 10.5, x: float = left) -> None:
        nonlocal y
        canvas.setFont(font, size)
        canvas.drawString(x, y - size, line)
        y -= size * 1.35 + size * 0.9

    text(HEADLINE, "Helvetica-Bold", 20)
    first, second = PARAGRAPHS[0].split(" en måned ")
    text(first + " en")
    y += 10.5 * 0.9  # the paragraph's second line follows closely
    text("måned " + second)
    text(DASH_QUOTE, "Helvetica-Oblique")
    canvas.drawImage(photo, left, y - 150, width=240, height=150)
    y -= 154
    text(CAPTION_UNDER, "Helvetica", 8)
    text(PARAGRAPHS[1])
    text(GUILLEMET_QUOTE, "Helvetica-Oblique")
    text(INDENTED_QUOTE, x=left + 24)
    canvas.drawImage(photo, left, y - 90, width=120, height=90)
    canvas.setFont("Helvetica-Oblique", 10.5)
    canvas.drawString(left + 135, y - 45, CAPTION_BESIDE)
    y -= 110
    text(LAST)
    canvas.showPage()
    canvas.save()


@pytest.fixture(scope="module")
def blocks(tmp_path_factory):
    path = tmp_path_factory.mktemp("pdf") / "bru.pdf"
    _write(path)
    return [(block.kind, block.text) for block in read_document(path).blocks]


def test_dash_and_guillemet_led_italic_speech_is_quote(blocks):
    kinds = dict((text, kind) for kind, text in blocks)
    assert kinds[DASH_QUOTE] is BlockKind.QUOTE
    assert kinds[GUILLEMET_QUOTE] is BlockKind.QUOTE
    assert kinds[INDENTED_QUOTE] is BlockKind.QUOTE


def test_only_real_figure_captions_are_captions(blocks):
    captions = [text for kind, text in blocks if kind is BlockKind.CAPTION]
    assert captions == [CAPTION_UNDER, CAPTION_BESIDE]


def test_the_rest_reads_as_the_article(blocks):
    assert blocks[0] == (BlockKind.HEADLINE, HEADLINE)
    paragraphs = [text for kind, text in blocks if kind is BlockKind.PARAGRAPH]
    assert paragraphs == [*PARAGRAPHS, LAST]
