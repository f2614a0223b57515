"""Seed articles dressed as analysts receive them: a news page, a PDF, an ODT, Markdown.

Each builder takes a `Document` read from a seed `.txt` (through the text
reader) and writes the same article in another format, the way a news site,
a press service or a colleague would: the web page has a menu, a cookie
banner, a "les også" list, comments and scripts around the article; the PDF
has two pages with a running header and page numbers and hyphenates long
words at line ends. Every piece of boilerplate text is listed in
`BOILERPLATE`, so tests and `bench/read_formats.py` can check that none of
it comes through. The PDF and ODT are written with reportlab and odfpy
(development dependencies), not with the libraries bitext reads them with.
"""

from __future__ import annotations

import difflib
import html
import textwrap
from pathlib import Path

from bitext.documents import BlockKind, Document

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))

SITE = "Nordavisa"

#: Text of the page and PDF furniture that must never reach a Document.
BOILERPLATE = (
    "Nyheter",
    "Sport",
    "Kultur",
    "Meninger",
    "Vi bruker informasjonskapsler for å gi deg en bedre opplevelse",
    "Godta alle",
    "Les også",
    "Strømprisen stiger igjen i Sør-Norge",
    "Slik blir været i helgen",
    "Rekordmange søkte studieplass i år",
    "Kommentarer",
    "Dette er bare propaganda fra begge sider, skriver en leser",
    "Ansvarlig redaktør",
    "Kontakt oss",
    "Personvern",
    "Annonse",
    "Kjøp abonnement i dag",
    "dataLayer",
    "font-family",
    f"{SITE} – utenriks",
    "Side 1 av 2",
    "Side 2 av 2",
)

_RELATED = (
    "Strømprisen stiger igjen i Sør-Norge",
    "Slik blir været i helgen",
    "Rekordmange søkte studieplass i år",
)


def seed_document(path: Path) -> Document:
    """A seed article read by the text reader: what every other format must give back."""
    from bitext.readers import read_document

    return read_document(path)


def sentences(document: Document) -> list[tuple[str, str]]:
    """(block kind, sentence) of every sentence, in order, split as the pipeline splits."""
    from bitext.segmentation import split_sentences

    return [
        (block.kind.value, sentence)
        for block in document.blocks
        for sentence in split_sentences(block.text, "nb")
    ]


def sentence_recall(read: Document, seed: Document) -> float:
    """Share of the seed's sentences that come through, with their kind, in order."""
    expected, got = sentences(seed), sentences(read)
    matcher = difflib.SequenceMatcher(a=expected, b=got, autojunk=False)
    matched = sum(block.size for block in matcher.get_matching_blocks())
    return matched / len(expected)


def leaked(document: Document, planted: tuple[str, ...] = BOILERPLATE) -> list[str]:
    """The boilerplate phrases that made it into the document's text."""
    text = "\n".join(block.text for block in document.blocks)
    return [phrase for phrase in planted if phrase in text]


def full_date(date: str | None) -> str:
    """A seed date (`2023-04` or `2023-04-17`) as a whole day, for page metadata."""
    if not date:
        return "2023-04-17"
    return date if len(date) == 10 else f"{date}-17"


def news_page(document: Document, *, encoding: str = "utf-8") -> bytes:
    """The article as a Norwegian news site serves it, encoded as the page declares."""
    esc = html.escape
    date = full_date(document.date)
    headline = document.headline.text if document.headline else None
    title = f"{headline} – {SITE}" if headline else SITE
    body: list[str] = []
    quote_count = 0
    for position, block in enumerate(document.blocks):
        text = esc(block.text)
        if block.kind is BlockKind.HEADLINE:
            body.append(
                f'<header class="article-header"><h1>{text}</h1>'
                f'<p class="byline">Av <a href="/journalist/ntb">NTB</a></p>'
                f'<time datetime="{date}T08:00:00+02:00">17. april</time></header>'
            )
        elif block.kind is BlockKind.CAPTION:
            body.append(
                '<figure class="lead-image"><img src="/bilder/toppbilde.jpg" '
                f'alt="" width="1200" height="800"><figcaption>{text}</figcaption></figure>'
            )
        elif block.kind is BlockKind.SUBHEADING:
            body.append(f"<h2>{text}</h2>")
        elif block.kind is BlockKind.QUOTE:
            # Sites mark up dash quotes both ways: as paragraphs and as block quotes.
            quote_count += 1
            if quote_count % 2:
                body.append(f"<blockquote><p>{text}</p></blockquote>")
            else:
                body.append(f"<p>{text}</p>")
        else:
            cls = ' class="lead"' if position <= 2 and "lead" not in "".join(body) else ""
            body.append(f"<p{cls}>{text}</p>")
        if position == len(document.blocks) // 2:
            links = "".join(
                f'<li><a href="/artikkel/{i}">{esc(t)}</a></li>' for i, t in enumerate(_RELATED)
            )
            body.append(
                f'<aside class="related-articles"><h3>Les også</h3><ul>{links}</ul></aside>'
            )
            body.append(
                '<div class="ad"><span>Annonse</span><a href="/abo">Kjøp abonnement i dag</a></div>'
            )
    menu = "".join(
        f'<li><a href="/{name.lower()}">{name}</a></li>'
        for name in ("Nyheter", "Sport", "Kultur", "Meninger")
    )
    page = f"""<!DOCTYPE html>
<html lang="nb">
<head>
<meta charset="{encoding}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<meta property="og:site_name" content="{SITE}">
<meta property="og:type" content="article">
<meta property="article:published_time" content="{date}T08:00:00+02:00">
<style>body {{ font-family: Georgia, serif; }} .cookie-banner {{ position: fixed; }}</style>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"page": "artikkel"}});</script>
</head>
<body>
<header class="site-header">
<a class="logo" href="/">{SITE}</a>
<nav class="main-menu"><ul>{menu}</ul></nav>
</header>
<div id="cookie-banner" class="cookie-banner" role="dialog">
<p>Vi bruker informasjonskapsler for å gi deg en bedre opplevelse. Les mer i vår
personvernerklæring.</p>
<button>Godta alle</button> <button>Bare nødvendige</button>
</div>
<main>
<article class="article">
{chr(10).join(body)}
</article>
<section class="comments">
<h2>Kommentarer</h2>
<div class="comment"><p class="author">Leser123</p>
<p>Dette er bare propaganda fra begge sider, skriver en leser.</p></div>
</section>
</main>
<footer class="site-footer">
<p>Ansvarlig redaktør: Kari Nordmann. © {SITE} 2023</p>
<ul><li><a href="/kontakt">Kontakt oss</a></li><li><a href="/personvern">Personvern</a></li></ul>
</footer>
<script src="/static/app.js"></script>
<script>document.getElementById("cookie-banner").hidden = false;</script>
</body>
</html>
"""
    return page.encode(encoding, errors="xmlcharrefreplace")


def markdown(document: Document) -> str:
    """The article as Markdown: `#` headline, `##` sub-headings, `>` quotes, an image caption."""
    parts = []
    for block in document.blocks:
        text = block.text
        if block.kind is BlockKind.HEADLINE:
            parts.append(f"# {text}")
        elif block.kind is BlockKind.SUBHEADING:
            parts.append(f"## {text}")
        elif block.kind is BlockKind.QUOTE:
            parts.append(f"> {text}")
        elif block.kind is BlockKind.CAPTION:
            parts.append(f"![Toppbilde](toppbilde.jpg)\n*{text}*")
        else:
            # Some emphasis and a link, as people write: the markup must go.
            words = text.split(" ")
            if len(words) > 6:
                words[1] = f"**{words[1]}**"
                words[4] = f"[{words[4]}](https://example.org/lenke)"
            parts.append(_fill(" ".join(words)))
    front = f"---\ntitle: artikkel\ndate: {full_date(document.date)}\n---\n\n"
    return front + "\n\n".join(parts) + "\n"


def _fill(text: str) -> str:
    """Wrap at 78 columns as editors do, never starting a line with a list marker."""
    lines: list[str] = []
    for line in textwrap.wrap(text, width=78, break_long_words=False, break_on_hyphens=False):
        if lines and (line[:2] in ("- ", "+ ", "* ") or line[:1] in "#>"):
            lines[-1] += " " + line
        else:
            lines.append(line)
    return "\n".join(lines)


def grey_png(width: int = 8, height: int = 5) -> bytes:
    """A small grey PNG, standing for a photo."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\xa0" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def _odt_photo(odt, stylename):
    """A paragraph holding an 8 x 5 cm picture."""
    from odf.draw import Frame, Image
    from odf.text import P

    href = odt.addPicture("Pictures/foto.png", "image/png", grey_png())
    frame = Frame(width="8cm", height="5cm", anchortype="as-char", name="Foto")
    frame.addElement(Image(href=href))
    paragraph = P(stylename=stylename)
    paragraph.addElement(frame)
    return paragraph


def write_odt(document: Document, path: Path, *, for_print: bool = False) -> Path:
    """The article as an ODT with LibreOffice's style names and a table.

    Headings use Heading 1/2, body text Text body, quotes Quotations, the
    caption Caption. With `for_print`, every page has a running header and a
    `Side N` footer and the article breaks onto a second page, so the PDF
    LibreOffice makes of it is a two-page article with page furniture.
    """
    from odf.opendocument import OpenDocumentText
    from odf.style import (
        Footer,
        Header,
        MasterPage,
        PageLayout,
        PageLayoutProperties,
        ParagraphProperties,
        Style,
        TextProperties,
    )
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import H, P, PageNumber

    odt = OpenDocumentText()

    def style(name, display, size, *, bold=False, italic=False, indent=None, parent=None):
        made = Style(name=name, displayname=display, family="paragraph")
        if parent is not None:
            made.setAttribute("parentstylename", parent)
        made.addElement(ParagraphProperties(marginbottom="0.3cm", marginleft=indent or "0cm"))
        made.addElement(
            TextProperties(
                fontsize=size,
                fontweight="bold" if bold else "normal",
                fontstyle="italic" if italic else "normal",
            )
        )
        odt.styles.addElement(made)
        return made

    heading1 = style("Heading_20_1", "Heading 1", "20pt", bold=True)
    heading2 = style("Heading_20_2", "Heading 2", "13pt", bold=True)
    body = style("Text_20_body", "Text body", "11pt")
    quote = style("Quotations", "Quotations", "11pt", indent="1cm")
    caption = style("Caption", "Caption", "9pt", italic=True)
    new_page = Style(name="P_break", family="paragraph", parentstylename=body)
    new_page.addElement(ParagraphProperties(breakbefore="page"))
    odt.automaticstyles.addElement(new_page)
    if for_print:
        layout = PageLayout(name="pm1")
        layout.addElement(
            PageLayoutProperties(
                pagewidth="21cm",
                pageheight="29.7cm",
                margintop="1.5cm",
                marginbottom="1.5cm",
                marginleft="2.5cm",
                marginright="2.5cm",
            )
        )
        odt.automaticstyles.addElement(layout)
        master = MasterPage(name="Standard", pagelayoutname=layout)
        header, footer = Header(), Footer()
        header.addElement(P(stylename=caption, text=f"{SITE} – utenriks"))
        number = P(stylename=caption, text="Side ")
        number.addElement(PageNumber(selectpage="current", text="1"))
        footer.addElement(number)
        master.addElement(header)
        master.addElement(footer)
        odt.masterstyles.addElement(master)
    # The last paragraph sits in a one-cell table, as a fact box would: table
    # text must come through in its place.
    boxed = max(i for i, b in enumerate(document.blocks) if b.kind is BlockKind.PARAGRAPH)
    middle = len(document.blocks) // 2
    for position, block in enumerate(document.blocks):
        if block.kind is BlockKind.HEADLINE:
            odt.text.addElement(H(outlinelevel=1, stylename=heading1, text=block.text))
        elif block.kind is BlockKind.SUBHEADING:
            odt.text.addElement(H(outlinelevel=2, stylename=heading2, text=block.text))
        elif block.kind is BlockKind.QUOTE:
            odt.text.addElement(P(stylename=quote, text=block.text))
        elif block.kind is BlockKind.CAPTION:
            if for_print:  # the photo the caption is under: a PDF knows captions by layout
                odt.text.addElement(_odt_photo(odt, body))
            odt.text.addElement(P(stylename=caption, text=block.text))
        elif position == boxed:
            table = Table(name="Fakta")
            table.addElement(TableColumn())
            row, cell = TableRow(), TableCell()
            cell.addElement(P(stylename=body, text=block.text))
            row.addElement(cell)
            table.addElement(row)
            odt.text.addElement(table)
        else:
            paragraph_style = new_page if for_print and position >= middle else body
            if paragraph_style is new_page:
                middle = len(document.blocks)  # one break only
            odt.text.addElement(P(stylename=paragraph_style, text=block.text))
    odt.save(str(path))
    return path


def write_zip_bomb(path: Path, unpacked: int = 200_000_000) -> Path:
    """An ODT-shaped zip whose content.xml is `unpacked` bytes of one repeated paragraph."""
    import zipfile

    head = (
        '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0">'
        "<office:body><office:text>"
    )
    tail = "</office:text></office:body></office:document-content>"
    block = ("<text:p>" + "Blablabla " * 50 + "</text:p>").encode() * 2000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            b"application/vnd.oasis.opendocument.text",
            compress_type=zipfile.ZIP_STORED,
        )
        with archive.open("content.xml", "w", force_zip64=True) as member:
            member.write(head.encode())
            for _ in range(unpacked // len(block)):
                member.write(block)
            member.write(tail.encode())
    return path


#: Words the PDF writer hyphenates at a line end: (left part, right part).
PDF_HYPHENATED = {
    "samarbeidsforumet": ("samarbeids", "forumet"),
    "forsvarsministeren": ("forsvars", "ministeren"),
    "statskontrollerte": ("stats", "kontrollerte"),
    "forsvarsindustrien": ("forsvars", "industrien"),
    "høytstående": ("høyt", "stående"),
    "sikkerhetspolitikk": ("sikkerhets", "politikk"),
    "sikkerhetspolitikken": ("sikkerhets", "politikken"),
}


def pdf_layout(document: Document, column: float = 330.0) -> list[tuple]:
    """(kind, font, size, indent, lines) of each block as `write_pdf` sets it."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    items = []
    for block in document.blocks:
        if block.kind is BlockKind.HEADLINE:
            font, size, indent = "Helvetica-Bold", 20.0, 0.0
        elif block.kind is BlockKind.SUBHEADING:
            font, size, indent = "Helvetica-Bold", 12.0, 0.0
        elif block.kind is BlockKind.CAPTION:
            font, size, indent = "Helvetica-Oblique", 9.0, 0.0
        elif block.kind is BlockKind.QUOTE:
            font, size, indent = "Helvetica", 10.5, 20.0
        else:
            font, size, indent = "Helvetica", 10.5, 0.0
        lines = _wrap(block.text, font, size, column - indent, stringWidth)
        items.append((block.kind, font, size, indent, lines))
    return items


def write_pdf(
    document: Document,
    path: Path,
    *,
    pages: int = 2,
    column: float = 330.0,
    password: str | None = None,
) -> Path:
    """The article as a press-service PDF laid out over `pages` pages.

    A running header (site, section and date) and a footer `Side N av M` on
    each page; headline in large bold, sub-headings bold, quotes indented,
    the caption in italic under a grey box standing for the photo. The text
    column is `column` points wide, as narrow as a newspaper's, and lines
    are filled and hyphenated by `_wrap`, so words break at line ends as in
    print. Helvetica's WinAnsi encoding covers æøå, « » and the dash. With
    `password` the file is encrypted (RC4, a user password needed to open it).
    """
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen.canvas import Canvas

    width, height = A4
    left, top = 60.0, height - 80.0
    right = left + column
    items = pdf_layout(document, column)
    total_lines = sum(len(i[4]) for i in items)
    per_page = -(-total_lines // pages)
    canvas = Canvas(str(path), pagesize=A4, invariant=1, encrypt=password)
    canvas.setTitle("Artikkel")
    page, y, used = 1, top, 0

    def furniture() -> None:
        canvas.setFont("Helvetica", 8)
        canvas.drawString(left, height - 50, f"{SITE} – utenriks")
        canvas.drawRightString(right, height - 50, full_date(document.date))
        canvas.drawCentredString(width / 2, 45, f"Side {page} av {pages}")

    furniture()
    for kind, font, size, indent, lines in items:
        if kind is BlockKind.CAPTION:
            canvas.setFillGray(0.8)
            canvas.rect(left, y - 120, right - left, 110, fill=1, stroke=0)
            canvas.setFillGray(0)
            y -= 130
        for line in lines:
            if used >= per_page and page < pages:
                canvas.showPage()
                page, y, used = page + 1, top, 0
                furniture()
            canvas.setFont(font, size)
            canvas.drawString(left + indent, y - size, line)
            y -= size * 1.35
            used += 1
        y -= size * 0.9  # the gap between paragraphs
    canvas.showPage()
    canvas.save()
    return path


def _wrap(text: str, font: str, size: float, room: float, width_of) -> list[str]:
    """Greedy line filling that hyphenates as a typesetter would.

    A word that does not fit is broken: a word of `PDF_HYPHENATED` at its
    compound joint, another lower-case word of 9 letters or more at a
    syllable (vowel, then consonant), a word with its own hyphen after that
    hyphen when its first part is a name or an acronym (`Ukraina-krigen`,
    `SCO-møtet`). Names are not hyphenated and lower-case compounds with
    their own hyphen (`japansk-okkupert`) move whole, as style guides ask;
    bitext/readers/pdf.py says why the second matters.
    """
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if width_of(candidate, font, size) <= room:
            line = candidate
            continue
        for first, rest in _break_points(word):
            with_first = f"{line} {first}" if line else first
            if width_of(with_first, font, size) <= room:
                lines.append(with_first)
                line = rest
                break
        else:
            if line:
                lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _break_points(word: str) -> list[tuple[str, str]]:
    """Where `word` may break at a line end, latest first: (first line part, rest)."""
    core = word.strip(".,;:«»()?!")
    start = word.find(core)
    if "-" in core.strip("-"):
        head = core.split("-")[0]
        if head[:1].isupper():
            cut = start + len(head) + 1
            return [(word[:cut], word[cut:])]
        return []
    split = PDF_HYPHENATED.get(core.lower())
    if split is not None:
        cut = start + len(split[0])
        return [(word[:cut] + "-", word[cut:])]
    if not core.islower() or len(core) < 9:
        return []
    vowels = "aeiouyæøå"
    cuts = [
        i
        for i in range(4, len(core) - 3)
        if core[i - 1] in vowels and core[i] not in vowels and core[i + 1] in vowels
    ]
    return [(word[: start + i] + "-", word[start + i :]) for i in reversed(cuts)]
