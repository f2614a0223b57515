"""Side-by-side review document: source on the left, translation on the right.

Landscape A4 with a wide right margin for comments; a title block (headline
in both languages, date, source file, languages with detection confidence,
model and version, date of translation); a short legend of the quality
flags; then a table with a narrow id column, one row per block (or per
sentence), a header row repeated on every page and rows kept whole across
page breaks. Flagged rows are shaded and name their flags in a note line.
Every style uses Calibri for all scripts (LibreOffice substitutes the
metric-compatible Carlito), so æ ø å, dashes and quotes render everywhere.

Written with python-docx. The bytes are reproducible: core-property dates
are fixed and the zip is rewritten with fixed member timestamps. The
"Translated" date is the day of the run (UTC), or the day of
`$SOURCE_DATE_EPOCH` when set, or the document's `Translated` metadata.
"""

from __future__ import annotations

import datetime as dt
import io
import os

from bitext.checks import FLAG_DESCRIPTIONS, count_flags, sort_flags
from bitext.documents import BilingualDocument
from bitext.exporters._common import (
    Segment,
    check_granularity,
    reproducible_zip,
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


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def translated_on(document: BilingualDocument) -> str:
    """The date shown as "Translated" (see the module docstring)."""
    if "Translated" in document.metadata:
        return document.metadata["Translated"]
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


def _style_run(run, kind: str) -> None:
    if kind in ("subheading", "headline"):
        run.bold = True
    if kind in ("quote", "caption"):
        run.italic = True


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


class DocxExporter:
    suffix = ".docx"

    def render(self, document: BilingualDocument, *, granularity: str | None = None) -> bytes:
        from docx import Document
        from docx.enum.section import WD_ORIENT
        from docx.enum.table import WD_TABLE_ALIGNMENT
        from docx.shared import Cm, Pt, RGBColor

        unit = check_granularity(granularity, "block")
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

        src = document.document
        headline_rows = [r for r in document.rows if r.kind == "headline"]
        title = " ".join(r.source for r in headline_rows) or src.id
        doc.add_heading(xml_safe(title), level=1)
        target_title = " ".join(r.target for r in headline_rows if r.target)
        if target_title:
            doc.add_heading(xml_safe(target_title), level=2)

        facts = [
            ("Source file", src.path or src.id),
            ("Date", src.date or "–"),
            (
                "Languages",
                f"{language_name(document.source_lang)} → {language_name(document.target_lang)}",
            ),
        ]
        facts += [(k, v) for k, v in document.metadata.items() if k != "Translated"]
        facts += [("Model", document.model or "–"), ("Translated", translated_on(document))]
        if document.note:
            facts.append(("Note", document.note))
        for label, value in facts:
            para = doc.add_paragraph()
            para.paragraph_format.space_after = Pt(0)
            para.add_run(f"{label}: ").bold = True
            para.add_run(xml_safe(str(value)))

        counts = count_flags(document.rows)
        legend = doc.add_paragraph()
        legend.paragraph_format.space_before = Pt(6)
        legend.add_run("Flags. ").bold = True
        shown = sort_flags(set(FLAG_DESCRIPTIONS) | set(counts))
        legend.add_run(
            "Shaded rows need a look; a flag is a hint, not a verdict. "
            + "; ".join(
                f"{flag} ({counts.get(flag, 0)}): {FLAG_DESCRIPTIONS.get(flag, 'see README')}"
                for flag in shown
            )
            + "."
        ).font.size = Pt(9)

        width = Cm(PAGE_CM[0] - MARGINS_CM["left"] - MARGINS_CM["right"])
        text_width = int((width - Cm(ID_COLUMN_CM)) / 2)
        widths = [Cm(ID_COLUMN_CM), text_width, text_width]
        table = doc.add_table(rows=1, cols=3)
        table.style = "Table Grid"
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

        for segment in segments(document.rows, unit):
            row = table.add_row()
            _row_property(row, "w:cantSplit")
            cells = row.cells
            for cell, w in zip(cells, widths):
                cell.width = w
            id_run = cells[0].paragraphs[0].add_run(segment.id)
            id_run.font.size = Pt(8)
            id_run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
            for cell, text in zip(cells[1:], (segment.source, segment.target)):
                _style_run(cell.paragraphs[0].add_run(_cell_text(text)), segment.kind)
            if segment.flags:
                for cell in cells:
                    _shade(cell, FLAG_SHADE)
                note = cells[2].add_paragraph().add_run(_note(segment))
                note.italic = True
                note.font.size = Pt(8)
                note.font.color.rgb = RGBColor(*NOTE_COLOR)

        props = doc.core_properties
        props.title = xml_safe(title)
        props.author = "bitext"
        props.last_modified_by = "bitext"
        props.created = _FIXED_TIME
        props.modified = _FIXED_TIME
        props.last_printed = _FIXED_TIME
        props.revision = 1
        buffer = io.BytesIO()
        doc.save(buffer)
        return reproducible_zip(buffer.getvalue())


EXPORTER = DocxExporter()
