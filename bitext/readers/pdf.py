"""PDF articles (`.pdf`) to Documents: paragraphs rebuilt from lines.

A PDF holds positioned lines of text, not paragraphs. PDFium (through
pypdfium2: Apache-2.0/BSD; PyMuPDF is AGPL and not an option) gives each
character with its position, size and font in reading order; this module
rebuilds the article from them:

- **Lines** are PDFium's (and a new one wherever the text jumps down);
  each keeps its left and right edge, height on the page, font size and
  whether it is bold or italic.
- **Running headers and footers** are the first and last two lines of a
  page whose text, with digits masked, repeats on another page
  (`Nordavisa – utenriks 2023-04-17`, `Side 1 av 2`), and lone page numbers
  there (`3`, `- 3 -`, `Side 3`, `3/10`). They are dropped.
- **Paragraphs**: a new block starts where the style changes (size, bold,
  italic), where the left edge moves (an indented quote), after a gap
  clearly larger than the line spacing, or after a line that ends a
  sentence and had room left for the next line's first word (a line that
  stops early ends its paragraph: typesetters fill lines). Across a page
  break the gap is not counted, so a paragraph running over two pages
  stays one.
- **Hyphenation** at a line end is undone when it split a word and kept
  when the hyphen is the word's own, by this rule, in order:
  1. the next line starts with a capital or a digit: keep (`Nord-Korea`);
  2. the part before is an acronym or has a digit: keep (`NATO-landene`,
     `1930-tallet`);
  3. the joined word occurs elsewhere in the document: join; the hyphenated
     one does: keep;
  4. the part before starts with a capital and does not open a sentence:
     keep (`Ukraina-krigen`, `Shanghai-toppmøtet`);
  5. the part before is an adjective in -sk of 5 letters or more: keep
     (`japansk-okkupert`, `russisk-ukrainsk`: the usual lower-case
     compounds written with a hyphen; word processors break lines there);
  6. otherwise join (`sikkerhets-` / `politikk` -> `sikkerhetspolitikk`).
  Without a dictionary no rule is always right: other lower-case compounds
  with their own hyphen (`militær-politiske`) broken exactly there and found
  nowhere else in the text are joined, and a closed compound split after
  an -sk stem (`norsk-` / `språklig`) keeps its hyphen.
- **Kinds**: the largest text on the first page is the headline; other
  text larger than the body, or bold short blocks, sub-headings. A caption
  is a caption by layout only: a block beside a figure (an image, or a
  filled shape at least `_FIGURE_SIDE` points each way, as a photo's
  placeholder is), or a block in a smaller font right under one. Quotes
  are what they are in a DOCX: speech led by a dash or a guillemet, and
  indented or italic blocks. Italic or small text away from any figure is
  therefore a quote or a paragraph, never a caption.

A PDF without a text layer (a scan) and an encrypted one fail alone with
that reason: bitext does no OCR and opens no protected file. A PDF has no
publication date of its own (its metadata dates are the file's), so none is set.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bitext.documents import BlockKind, Document
from bitext.limits import Limits, read_file
from bitext.readers._structured import (
    FormatError,
    build_document,
    check_document,
    is_dash_quote,
    with_path,
)

#: Lines at each end of a page looked at for running headers and footers.
_FURNITURE_LINES = 2
_PAGE_NUMBER = re.compile(
    r"^[\W_]*(?:side|page|s\.|p\.)?\s*\d{1,4}(?:\s*(?:av|of|/)\s*\d{1,4})?[\W_]*$", re.IGNORECASE
)
_DIGITS = re.compile(r"\d+")
_TERMINAL = (".", "!", "?", ":", "»", '"', "”", "…")
_HYPHENS = ("-", "\u2010", "\u00ad", "\x02")
_WORD = re.compile(r"\w+(?:-\w+)*")
_FONT_FLAG_ITALIC = 0x40
_FONT_FLAG_BOLD = 0x40000
_BOLD_NAMES = ("bold", "black", "heavy", "semibold")
#: A filled shape this many points wide and high, or an image, is a figure.
_FIGURE_SIDE = 30.0
#: A caption starts at most this many of its line heights under its figure.
_CAPTION_GAP = 2.5
_ITALIC_NAMES = ("italic", "oblique")


class PdfError(FormatError):
    """A PDF that cannot be read as an article; the message says why."""


@dataclass
class Line:
    """One line of text as laid out on a page."""

    page: int
    text: str
    x0: float
    x1: float
    y: float
    size: float
    bold: bool
    italic: bool
    first_word: float  # width of the line's first word, with the space before it

    @property
    def style(self) -> tuple[float, bool, bool]:
        return (round(self.size * 2) / 2, self.bold, self.italic)


@dataclass(frozen=True)
class Figure:
    """An image or a large filled shape on a page (PDF points, y upwards)."""

    page: int
    left: float
    bottom: float
    right: float
    top: float


def parse_pdf(
    data: bytes, doc_id: str, path: str = "", *, max_chars: int | None = None
) -> Document:
    """Read a PDF's text into a Document; raises PdfError with the reason.

    `max_chars` stops reading pages once that much text was seen, so a
    10,000-page file is refused after the pages that prove it too long.
    """
    import pypdfium2 as pdfium

    if b"%%EOF" not in data[-2048:]:
        raise PdfError(
            "truncated PDF (no end-of-file marker): the file is incomplete; "
            "copy or download it again"
        )
    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise PdfError(
                "encrypted PDF (it needs a password); bitext does not open protected files"
            ) from exc
        raise PdfError(f"not a readable PDF (damaged: {exc})") from exc
    warnings: list[str] = []
    pages: list[list[Line]] = []
    figures: list[Figure] = []
    empty: list[int] = []
    seen = 0
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            try:
                textpage = page.get_textpage()
                try:
                    lines = _page_lines(textpage, index)
                finally:
                    textpage.close()
                figures.extend(page_figures(page, index))
            finally:
                page.close()
            if not lines:
                empty.append(index + 1)
            pages.append(lines)
            seen += sum(len(line.text) for line in lines)
            if max_chars is not None and seen > max_chars:
                raise PdfError(
                    f"more than {max_chars:,} characters of text by page {index + 1} "
                    f"of {len(pdf)}: too long for one article"
                )
    finally:
        pdf.close()
    if not any(pages):
        raise PdfError("no text layer (a scanned PDF?); bitext does no OCR")
    if empty:
        listed = ", ".join(map(str, empty))
        warnings.append(
            f"{path}: pages {listed} have no text layer (scanned?); their text is missing"
        )
    lines = drop_furniture(pages)
    blocks = paragraphs(lines)
    vocabulary = _vocabulary(lines)
    texts = [join_lines(block, vocabulary) for block in blocks]
    kinds = classify(blocks, texts, figures)
    document = build_document(zip(kinds, texts), doc_id, path, input_kind="pdf")
    document.warnings.extend(warnings)
    return document


def page_figures(page, page_index: int) -> list[Figure]:
    """The page's images, and its filled shapes at least `_FIGURE_SIDE` each way
    (rules, underlines and frames' thin strokes are left out)."""
    import pypdfium2.raw as raw

    kinds = (raw.FPDF_PAGEOBJ_IMAGE, raw.FPDF_PAGEOBJ_PATH)
    figures = []
    for obj in page.get_objects(filter=kinds, max_depth=2):
        left, bottom, right, top = obj.get_bounds()
        if obj.type == raw.FPDF_PAGEOBJ_PATH:
            if right - left < _FIGURE_SIDE or top - bottom < _FIGURE_SIDE:
                continue
            fill, _ = _draw_mode(obj, raw)
            if not fill:
                continue
        figures.append(Figure(page_index, left, bottom, right, top))
    return figures


def _draw_mode(obj, raw) -> tuple[bool, bool]:
    """Whether a path object is filled, and whether it is stroked."""
    import ctypes

    fillmode, stroke = ctypes.c_int(), ctypes.c_int()
    if not raw.FPDFPath_GetDrawMode(obj.raw, ctypes.byref(fillmode), ctypes.byref(stroke)):
        return False, False
    return fillmode.value != 0, bool(stroke.value)


def _page_lines(textpage, page_index: int) -> list[Line]:
    """PDFium's lines of one page, with their geometry and style."""
    import ctypes

    import pypdfium2.raw as raw

    count = textpage.count_chars()
    if count <= 0:
        return []
    handle = textpage.raw
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    name = ctypes.create_string_buffer(128)
    flags = ctypes.c_int()
    lines: list[Line] = []
    chars: list[tuple[str, float, float, float, float, bool, bool]] = []
    styles: dict[int | None, tuple[float, bool, bool]] = {}

    def close_line() -> None:
        visible = [c for c in chars if not c[0].isspace()]
        text = "".join(c[0] for c in chars).strip()
        if visible and text:
            sizes = Counter(round(c[3], 1) for c in visible)
            first_space = next(
                (i for i, c in enumerate(chars) if c[0].isspace() and i > 0 and chars[0][0] != " "),
                len(chars),
            )
            word_end = chars[first_space - 1][2] if first_space > 0 else visible[0][2]
            space = visible[0][3] * 0.28
            lines.append(
                Line(
                    page=page_index,
                    text=" ".join(text.split()),
                    x0=min(c[1] for c in visible),
                    x1=max(c[2] for c in visible),
                    y=statistics.median(c[4] for c in visible),
                    size=sizes.most_common(1)[0][0],
                    bold=sum(c[5] for c in visible) * 2 > len(visible),
                    italic=sum(c[6] for c in visible) * 2 > len(visible),
                    first_word=word_end - visible[0][1] + space,
                )
            )
        chars.clear()

    for index in range(count):
        code = raw.FPDFText_GetUnicode(handle, index)
        char = chr(code) if 0 < code < 0x110000 else ""
        if char in ("\r", "\n"):
            if char == "\n" or chars:
                close_line()
            continue
        if not char:
            continue
        raw.FPDFText_GetCharBox(handle, index, left, right, bottom, top)
        # Characters of one text object share font, size and transformation:
        # their style is looked up once (a third of the time of a page).
        key = ctypes.cast(raw.FPDFText_GetTextObject(handle, index), ctypes.c_void_p).value
        style = styles.get(key)
        if style is None:
            style = styles[key] = _char_style(handle, index, name, flags, raw)
        size, bold, italic = style
        base = bottom.value
        if chars and abs(base - chars[-1][4]) > max(size, 1.0) * 0.5 and not char.isspace():
            close_line()  # a line break PDFium did not mark
        if char == "\x02":
            # PDFium's mark for a hyphen it took for a soft one: it joins the two
            # lines itself. bitext decides (see `rejoin`), so the line ends here.
            chars.append(("-", left.value, right.value, size, base, False, False))
            close_line()
            continue
        if char.isspace():
            chars.append((" ", left.value, left.value, size, base, False, False))
            continue
        chars.append((char, left.value, right.value, size, base, bold, italic))
    close_line()
    return lines


def _char_style(handle, index: int, name, flags, raw) -> tuple[float, bool, bool]:
    """Font size, bold, italic of one character (from its font's flags and name)."""
    import ctypes

    size = raw.FPDFText_GetFontSize(handle, index)
    raw.FPDFText_GetFontInfo(handle, index, name, len(name), ctypes.byref(flags))
    font = name.value.decode("latin-1").lower()
    bold = bool(flags.value & _FONT_FLAG_BOLD) or any(w in font for w in _BOLD_NAMES)
    italic = bool(flags.value & _FONT_FLAG_ITALIC) or any(w in font for w in _ITALIC_NAMES)
    return size, bold, italic


def _furniture_key(text: str) -> str:
    return _DIGITS.sub("#", " ".join(text.lower().split()))


def drop_furniture(pages: list[list[Line]]) -> list[Line]:
    """All lines in reading order, without running headers, footers and page numbers."""
    edges = [page[:_FURNITURE_LINES] + page[-_FURNITURE_LINES:] for page in pages]
    pages_with = Counter()
    for edge in edges:
        for key in {_furniture_key(line.text) for line in edge}:
            pages_with[key] += 1
    kept = []
    for page, edge in zip(pages, edges):
        furniture = {
            id(line)
            for line in edge
            if pages_with[_furniture_key(line.text)] >= 2 or _PAGE_NUMBER.match(line.text)
        }
        kept.extend(line for line in page if id(line) not in furniture)
    return kept


def paragraphs(lines: list[Line]) -> list[list[Line]]:
    """Lines grouped into blocks (see the module docstring for the rules)."""
    if not lines:
        return []
    body = Counter()
    for line in lines:
        body[line.style] += len(line.text)
    body_size = body.most_common(1)[0][0][0]
    pitches = [
        prev.y - cur.y
        for prev, cur in zip(lines, lines[1:])
        if prev.page == cur.page and prev.style == cur.style and prev.y > cur.y
    ]
    # Line spacing relative to font size: the most usual spacing is taken as
    # within a paragraph (articles have more lines than paragraphs).
    ratios = sorted(p / max(cur.size, 1.0) for p, cur in zip(pitches, lines[1:]) if p > 0)
    pitch_ratio = ratios[len(ratios) // 3] if ratios else 1.4
    right_edge = {}
    for line in lines:
        right_edge[line.page] = max(right_edge.get(line.page, 0.0), line.x1)
    blocks: list[list[Line]] = [[lines[0]]]
    for prev, cur in zip(lines, lines[1:]):
        block = blocks[-1]
        room = right_edge[prev.page] - prev.x1
        stopped_early = prev.text.endswith(_TERMINAL) and cur.first_word < room
        if cur.page != prev.page:
            new = cur.style != prev.style or abs(cur.x0 - block[-1].x0) > body_size or stopped_early
        else:
            gap = prev.y - cur.y
            indent_moved = abs(cur.x0 - prev.x0) > body_size * 0.8 and not (
                len(block) == 1 and cur.x0 < prev.x0  # a first-line indent
            )
            new = (
                cur.style != prev.style
                or indent_moved
                or gap > cur.size * pitch_ratio * 1.25
                or gap < 0  # a new column or a jump back up the page
                or stopped_early
            )
        if new:
            blocks.append([cur])
        else:
            block.append(cur)
    return blocks


def _vocabulary(lines: list[Line]) -> Counter:
    words: Counter = Counter()
    for line in lines:
        words.update(w.lower() for w in _WORD.findall(line.text))
    return words


def rejoin(left: str, right: str, vocabulary: Counter, *, opens_sentence: bool = False) -> str:
    """A word hyphenated over a line end: `left` ends with the hyphen, `right` follows.

    Returns the word as it is written (see the numbered rule in the module docstring).
    """
    stem = left[:-1]
    first = right[:1]
    keep = stem + "-" + right
    if not first.isalpha() or not first.islower():
        return keep
    part = re.split(r"[-\u2010]", stem)[-1].strip("«»\"'(")
    if any(ch.isdigit() for ch in part) or (len(part) > 1 and part.isupper()):
        return keep
    core_left = stem.strip("«»\"'(").lower()
    core_right = _WORD.match(right)
    tail = core_right.group(0).lower() if core_right else right.lower()
    if vocabulary.get(core_left + tail):
        return stem + right
    if vocabulary.get(f"{core_left}-{tail}"):
        return keep
    if part[:1].isupper() and not opens_sentence:
        return keep
    if len(part) >= 5 and part.endswith("sk"):
        return keep
    return stem + right


def join_lines(lines: list[Line], vocabulary: Counter) -> str:
    """One block's text: lines joined by spaces, line-end hyphenation undone."""
    text = lines[0].text
    for line in lines[1:]:
        words = text.rsplit(" ", 2)
        last = words[-1]
        if last.endswith(_HYPHENS) and len(last) > 1 and last[-2].isalpha():
            before = words[-2] if len(words) > 1 else ""
            opens = not before or before.endswith((".", "!", "?", ":"))
            head, _, rest = line.text.partition(" ")
            joined = rejoin(
                last.rstrip("".join(_HYPHENS)) + "-", head, vocabulary, opens_sentence=opens
            )
            prefix = text[: len(text) - len(last)]
            text = prefix + joined + (" " + rest if rest else "")
        else:
            text = f"{text} {line.text}"
    return text


def classify(
    blocks: list[list[Line]], texts: list[str], figures: Sequence[Figure] = ()
) -> list[BlockKind]:
    """The kind of each block, from its style against the body text's and
    from where it stands against the page's figures."""
    body = Counter()
    for block in blocks:
        for line in block:
            body[line.style] += len(line.text)
    body_size, _, _ = body.most_common(1)[0][0]
    body_left = Counter(round(b[0].x0) for b in blocks if b[0].style[0] == body_size)
    left_edge = min(body_left) if body_left else 0
    first_page = [i for i, block in enumerate(blocks) if block[0].page == blocks[0][0].page]
    largest = max((blocks[i][0].size for i in first_page), default=0)
    headline = next(
        (i for i in first_page if blocks[i][0].size == largest and largest >= body_size * 1.3),
        None,
    )
    kinds = []
    for index, (block, text) in enumerate(zip(blocks, texts)):
        size, bold, italic = block[0].style
        short = len(text.split()) <= 20 and not text.endswith(".")
        if index == headline:
            kinds.append(BlockKind.HEADLINE)
        elif size >= body_size * 1.1 or (bold and not italic and short):
            kinds.append(BlockKind.SUBHEADING)
        elif is_caption(block, figures, smaller=size < body_size * 0.9):
            kinds.append(BlockKind.CAPTION)
        elif (
            is_dash_quote(text)
            or text.startswith("«")
            or italic
            or min(line.x0 for line in block) > left_edge + body_size
        ):
            kinds.append(BlockKind.QUOTE)
        else:
            kinds.append(BlockKind.PARAGRAPH)
    return kinds


def is_caption(block: list[Line], figures: Sequence[Figure], *, smaller: bool) -> bool:
    """Whether a block is a figure's caption: beside a figure on its page, or,
    in a `smaller` font than the body, starting right under one."""
    first = block[0]
    top = first.y + first.size
    bottom = min(line.y for line in block if line.page == first.page)
    x0 = min(line.x0 for line in block)
    x1 = max(line.x1 for line in block)
    for figure in figures:
        if figure.page != first.page:
            continue
        overlaps_x = x0 < figure.right and x1 > figure.left
        overlaps_y = bottom < figure.top and top > figure.bottom
        if overlaps_y and not overlaps_x:
            return True  # beside it
        gap = figure.bottom - top
        if smaller and overlaps_x and -first.size * 0.5 <= gap <= first.size * _CAPTION_GAP:
            return True  # right under it
    return False


class PdfReader:
    kind = "pdf"
    suffixes = (".pdf",)

    def read(self, path: Path, doc_id: str, limits: Limits) -> Document:
        """The file's bytes within the file limit; pages read until the text limit."""
        with with_path(path):
            document = parse_pdf(
                read_file(path, limits), doc_id, str(path), max_chars=limits.max_article_chars
            )
        check_document(document, path, limits)
        return document


READER = PdfReader()
