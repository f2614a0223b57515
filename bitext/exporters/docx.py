"""Side-by-side review document: source on the left, translation on the right.

Landscape A4 with a wide right margin for comments; a title block (headline
in both languages, date, source file, languages with detection confidence,
model and version, date of translation); a short legend of the quality
flags; then a table with a narrow id column, one row per block (or per
sentence), a header row repeated on every page and rows kept whole across
page breaks. Flagged rows are shaded and name their flags in a note line.
Rows whose target is a reviewed human translation (origin `reviewed`) carry
a green ✓ after their number, explained by a line of the legend.
Every style uses Calibri for all scripts (LibreOffice substitutes the
metric-compatible Carlito), so æ ø å, dashes and quotes render everywhere.

Written with python-docx. The bytes are reproducible: core-property dates
are fixed and the zip is rewritten with fixed member timestamps. The
"Translated" date is the day of the run (UTC), or the day of
`$SOURCE_DATE_EPOCH` when set, or the document's `Translated` metadata.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import io
import os

from bitext.checks import FLAG_DESCRIPTIONS, OCCASIONAL_FLAGS, count_flags, sort_flags
from bitext.documents import BilingualDocument
from bitext.exporters._common import (
    ZIP_TIME,
    Segment,
    check_granularity,
    segments,
    xml_safe,
)

LANGUAGE_NAMES = {
    "nb": "Norwegian (Bokmål)",
    "nn": "Norwegian (Nynorsk)",
    "no": "Norwegian",
    "en": "English",
    "da": "Danish",
    "sv": "Swedish",
    "de": "German",
}
_FIXED_TIME = dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)
FONT = "Calibri"
#: Page: landscape A4; the right margin leaves room for comments and notes.
PAGE_CM = (29.7, 21.0)
MARGINS_CM = {"left": 1.8, "right": 3.5, "top": 1.6, "bottom": 1.6}
ID_COLUMN_CM = 1.3
FLAG_SHADE = "FFF2CC"
HEADER_SHADE = "D9E2F3"
NOTE_COLOR = (0x9C, 0x57, 0x00)
#: Mark after the id of a row whose target is (partly) a reviewed translation.
REVIEWED_MARK = "\u2713"
REVIEWED_COLOR = "00703C"


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def translated_on(document: BilingualDocument) -> str:
    """The date shown as "Translated" (see the module docstring)."""
    if "Translated" in document.metadata:
        return document.metadata["Translated"]
    return run_date()


def run_date() -> str:
    """Today (UTC), or the day of `$SOURCE_DATE_EPOCH` when it is set."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        moment = dt.datetime.fromtimestamp(int(epoch), tz=dt.timezone.utc)
    else:
        moment = dt.datetime.now(tz=dt.timezone.utc)
    return moment.date().isoformat()


def _set_font(style_or_run, size_pt: float | None = None) -> None:
    """Calibri for every script slot, theme fonts removed (they win otherwise)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = style_or_run.font
    font.name = FONT
    if size_pt:
        font.size = Pt(size_pt)
    r_pr = style_or_run.element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    for slot in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(slot), FONT)
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(theme), None)


def _row_property(row, tag: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    element = OxmlElement(tag)
    element.set(qn("w:val"), "true")
    tr_pr.append(element)


def _shade(cell, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tc_pr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    tc_pr.append(shading)


def _fixed_layout(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    table._tbl.tblPr.append(layout)


def _cell_text(text: str) -> str:
    """Any line break (CR LF, CR, LF) becomes one Word line break; tabs stay tabs."""
    return xml_safe(text.replace("\r\n", "\n").replace("\r", "\n"))


def _note(segment: Segment) -> str:
    """`Check: untranslated (sentences 1, 2), number-mismatch`."""
    parts = []
    for flag in segment.flags:
        numbers = sorted({n for n, f in segment.sentence_flags if f == flag})
        if "-" in segment.sentences and numbers:
            label = "sentence" if len(numbers) == 1 else "sentences"
            parts.append(f"{flag} ({label} {', '.join(map(str, numbers))})")
        else:
            parts.append(flag)
    return "Check: " + ", ".join(parts)


_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NOTE_HEX = "".join(f"{c:02X}" for c in NOTE_COLOR)
_ID_HEX = "595959"


def _runs_xml(text: str, props: str) -> str:
    """One run; tabs and line breaks become <w:tab/> and <w:br/> as in python-docx."""
    from xml.sax.saxutils import escape

    pieces = []
    for line_number, line in enumerate(_cell_text(text).split("\n")):
        if line_number:
            pieces.append("<w:br/>")
        for tab_number, chunk in enumerate(line.split("\t")):
            if tab_number:
                pieces.append("<w:tab/>")
            if chunk:
                keep = ' xml:space="preserve"' if chunk != chunk.strip() else ""
                pieces.append(f"<w:t{keep}>{escape(chunk)}</w:t>")
    r_pr = f"<w:rPr>{props}</w:rPr>" if props else ""
    return f"<w:r>{r_pr}{''.join(pieces)}</w:r>"


def _cell_xml(width: int, shade: str | None, paragraphs: list[str]) -> str:
    fill = f'<w:shd w:val="clear" w:color="auto" w:fill="{shade}"/>' if shade else ""
    body = "".join(f"<w:p>{p}</w:p>" for p in paragraphs)
    return f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{width}"/>{fill}</w:tcPr>{body}</w:tc>'


def _body_rows(rows: list[Segment], twips: list[int]) -> list:
    """The table's body rows as WordprocessingML, parsed in one go.

    Building hundreds of rows through python-docx's object model took most
    of an export (and most of a warm re-run); the XML it would produce is
    written here directly and parsed once.
    """
    from lxml import etree

    style = {"subheading": "<w:b/>", "headline": "<w:b/>", "quote": "<w:i/>", "caption": "<w:i/>"}
    id_props = f'<w:color w:val="{_ID_HEX}"/><w:sz w:val="16"/>'
    note_props = f'<w:i/><w:color w:val="{_NOTE_HEX}"/><w:sz w:val="16"/>'
    out = []
    mark_props = f'<w:b/><w:color w:val="{REVIEWED_COLOR}"/><w:sz w:val="16"/>'
    for segment in rows:
        shade = FLAG_SHADE if segment.flags else None
        props = style.get(segment.kind, "")
        target = [_runs_xml(segment.target, props)]
        if segment.flags:
            target.append(_runs_xml(_note(segment), note_props))
        number = _runs_xml(segment.id, id_props)
        if "reviewed" in (segment.origin or "").split(","):
            number += _runs_xml(" " + REVIEWED_MARK, mark_props)
        out.append(
            '<w:tr><w:trPr><w:cantSplit w:val="true"/></w:trPr>'
            + _cell_xml(twips[0], shade, [number])
            + _cell_xml(twips[1], shade, [_runs_xml(segment.source, props)])
            + _cell_xml(twips[2], shade, target)
            + "</w:tr>"
        )
    if not out:
        return []
    table = etree.fromstring(f'<w:tbl xmlns:w="{_W_NS}">{"".join(out)}</w:tbl>')
    return list(table)


def _member(zf, name: str, blob: bytes) -> None:
    import zipfile

    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, blob)


@functools.lru_cache(maxsize=1)
def _frame():
    """What every export shares, serialized once: the skeleton's parts.

    Returns the skeleton document, its `document.xml` to start each export
    from, and the package members in the order python-docx's writer uses,
    with None where an export puts its own document or core properties.
    """
    from docx.opc.oxml import serialize_part_xml
    from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
    from docx.opc.pkgwriter import _ContentTypesItem

    doc = _skeleton()
    package = doc.part.package
    core_part = package._core_properties_part
    parts = list(package.parts)
    for part in parts:
        part.before_marshal()
    members: list[tuple[str, bytes | None]] = [
        (CONTENT_TYPES_URI.membername, _ContentTypesItem.from_parts(parts).blob),
        (PACKAGE_URI.rels_uri.membername, package.rels.xml),
    ]
    for part in parts:
        own = part is doc.part or part is core_part
        members.append((part.partname.membername, None if own else part.blob))
        if len(part.rels):
            members.append((part.partname.rels_uri.membername, part.rels.xml))
    return doc, serialize_part_xml(doc.element), core_part, tuple(members)


def _package_bytes(document_element, core_element) -> bytes:
    """The .docx bytes: the shared members plus this export's own two parts."""
    import zipfile

    from docx.opc.oxml import serialize_part_xml

    doc, _, core_part, members = _frame()
    own = {
        doc.part.partname.membername: serialize_part_xml(document_element),
        core_part.partname.membername: serialize_part_xml(core_element),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, blob in members:
            _member(zf, name, own[name] if blob is None else blob)
    return buffer.getvalue()


@functools.lru_cache(maxsize=1)
def _skeleton():
    """The empty, styled document every export starts from (never changed).

    Loading python-docx's template and looking styles up by name cost more
    than the rest of a short article's export: it is done once per process,
    and each export builds only its own `document.xml` and core properties.
    """
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    doc = Document()
    _set_font(doc.styles["Normal"], 10.5)
    for name in ("Heading 1", "Heading 2", "Title"):
        _set_font(doc.styles[name])
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
    section.left_margin = Cm(MARGINS_CM["left"])
    section.right_margin = Cm(MARGINS_CM["right"])
    section.top_margin = Cm(MARGINS_CM["top"])
    section.bottom_margin = Cm(MARGINS_CM["bottom"])
    props = doc.core_properties
    props.author = "bitext"
    props.last_modified_by = "bitext"
    props.created = _FIXED_TIME
    props.modified = _FIXED_TIME
    props.last_printed = _FIXED_TIME
    props.revision = 1
    return doc


def _heading(doc, text: str, level: int) -> None:
    """`doc.add_heading`, with the style set by id (the template's `HeadingN`).

    python-docx finds a style by name by reading every style of the
    template; by id it is one attribute.
    """
    paragraph = doc.add_paragraph(text)
    paragraph._p.style = f"Heading{level}"


def _title_block(doc, document: BilingualDocument) -> str:
    """Headline in both languages, then one bold-labelled line per fact; returns the title."""
    from docx.shared import Pt

    src = document.document
    headline_rows = [r for r in document.rows if r.kind == "headline"]
    title = " ".join(r.source for r in headline_rows) or src.id
    _heading(doc, xml_safe(title), 1)
    target_title = " ".join(r.target for r in headline_rows if r.target)
    if target_title:
        _heading(doc, xml_safe(target_title), 2)
    languages = f"{language_name(document.source_lang)} → {language_name(document.target_lang)}"
    facts = [
        ("Source file", src.path or src.id),
        ("Date", src.date or "–"),
        ("Languages", languages),
    ]
    facts += [(k, v) for k, v in document.metadata.items() if k != "Translated"]
    facts += [("Model", document.model or "–"), (document.date_label, translated_on(document))]
    if document.note:
        facts.append(("Note", document.note))
    for label, value in facts:
        para = doc.add_paragraph()
        para.paragraph_format.space_after = Pt(0)
        para.add_run(f"{label}: ").bold = True
        para.add_run(xml_safe(str(value)))
    return title


def _legend(doc, document: BilingualDocument) -> None:
    """What the flags mean (with their counts), and the reviewed mark when rows carry origins."""
    from docx.shared import Pt

    counts = count_flags(document.rows)
    legend = doc.add_paragraph()
    legend.paragraph_format.space_before = Pt(6)
    legend.add_run("Flags. ").bold = True
    shown = sort_flags(set(FLAG_DESCRIPTIONS) - OCCASIONAL_FLAGS | set(counts))
    legend.add_run(
        "Shaded rows need a look; a flag is a hint, not a verdict. "
        + "; ".join(
            f"{flag} ({counts.get(flag, 0)}): {FLAG_DESCRIPTIONS.get(flag, 'see README')}"
            for flag in shown
        )
        + "."
    ).font.size = Pt(9)
    if any(r.origin for r in document.rows):
        reviewed = sum(r.origin == "reviewed" for r in document.rows)
        origin = doc.add_paragraph()
        origin.paragraph_format.space_before = Pt(3)
        origin.add_run("Origin. ").bold = True
        origin.add_run(
            f"{REVIEWED_MARK} after a number: a reviewed human translation from the "
            f"translation memory ({reviewed} sentences); other rows are the model's "
            "output, or text kept in its own language."
        ).font.size = Pt(9)


def _side_by_side_table(doc, document: BilingualDocument, unit: str) -> None:
    """The id | source | target table: fixed widths, a repeated header, the body rows."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Cm, Length

    width = Cm(PAGE_CM[0] - MARGINS_CM["left"] - MARGINS_CM["right"])
    text_width = int((width - Cm(ID_COLUMN_CM)) / 2)
    widths = [Cm(ID_COLUMN_CM), text_width, text_width]
    table = doc.add_table(rows=1, cols=3)
    table._tbl.tblStyle_val = "TableGrid"  # "Table Grid", set by id: no name lookup
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _fixed_layout(table)
    for column, w in zip(table.columns, widths):
        column.width = w
    header = table.rows[0]
    _row_property(header, "w:tblHeader")
    _row_property(header, "w:cantSplit")
    labels = ("#", language_name(document.source_lang), language_name(document.target_lang))
    for cell, label, w in zip(header.cells, labels, widths):
        cell.width = w
        cell.text = ""
        cell.paragraphs[0].add_run(label).bold = True
        _shade(cell, HEADER_SHADE)
    twips = [Length(w).twips for w in widths]
    table._tbl.extend(_body_rows(segments(document.rows, unit), twips))


class DocxExporter:
    suffix = ".docx"

    def render(self, document: BilingualDocument, *, granularity: str | None = None) -> bytes:
        """Title block, legend and table on the cached skeleton; core title set last."""
        from docx.document import Document as DocumentProxy
        from docx.opc.coreprops import CoreProperties
        from docx.oxml.parser import parse_xml

        unit = check_granularity(granularity, "block")
        skeleton, document_xml, core_part, _ = _frame()
        doc = DocumentProxy(parse_xml(document_xml), skeleton.part)
        title = _title_block(doc, document)
        _legend(doc, document)
        _side_by_side_table(doc, document, unit)
        core = copy.deepcopy(core_part.element)
        CoreProperties(core).title = xml_safe(title)
        return _package_bytes(doc.element, core)


EXPORTER = DocxExporter()
