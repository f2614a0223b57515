"""Side-by-side review document: source on the left, translation on the right.

Written with python-docx. The bytes are made reproducible: core-property
dates are fixed and the zip is rewritten with fixed member timestamps, so the
same rows always give the same file.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from itertools import groupby

from bitext.documents import BilingualDocument, BilingualRow

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
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FONT = "Calibri"


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def reproducible_zip(data: bytes) -> bytes:
    """Rewrite a zip with fixed timestamps and member order kept."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _set_repeat_header(row) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def _style_run(run, kind: str) -> None:
    if kind in ("subheading", "headline"):
        run.bold = True
    if kind in ("quote", "caption"):
        run.italic = True


def _blocks(rows: list[BilingualRow]):
    """Rows grouped by block, in order: (kind, source text, target text)."""
    for (_doc, _block), group in groupby(rows, key=lambda r: (r.document, r.block)):
        group = list(group)
        yield (
            group[0].kind,
            " ".join(r.source for r in group),
            " ".join(r.target for r in group if r.target),
        )


class DocxExporter:
    suffix = ".docx"

    def render(self, document: BilingualDocument, *, granularity: str = "block") -> bytes:
        from docx import Document
        from docx.shared import Pt

        doc = Document()
        normal = doc.styles["Normal"]
        normal.font.name = FONT
        normal.font.size = Pt(10.5)

        src = document.document
        headline = next((r for r in document.rows if r.kind == "headline"), None)
        title = (headline.source if headline else None) or src.id
        doc.add_heading(title, level=1)
        if headline and headline.target and headline.target != headline.source:
            doc.add_heading(" ".join(r.target for r in document.rows if r.kind == "headline"), 2)
        facts = [
            ("Source file", src.path or src.id),
            ("Date", src.date or "–"),
            (
                "Languages",
                f"{language_name(document.source_lang)} → {language_name(document.target_lang)}",
            ),
            ("Model", document.model or "–"),
        ]
        facts += list(document.metadata.items())
        if document.note:
            facts.append(("Note", document.note))
        for label, value in facts:
            para = doc.add_paragraph()
            para.add_run(f"{label}: ").bold = True
            para.add_run(str(value))

        table = doc.add_table(rows=1, cols=2)
        table.style = "Table Grid"
        header = table.rows[0]
        _set_repeat_header(header)
        for cell, code in zip(header.cells, (document.source_lang, document.target_lang)):
            cell.text = ""
            cell.paragraphs[0].add_run(language_name(code)).bold = True
        if granularity == "sentence":
            units = [(r.kind, r.source, r.target) for r in document.rows]
        else:
            units = list(_blocks(document.rows))
        for kind, source, target in units:
            cells = table.add_row().cells
            for cell, text in zip(cells, (source, target)):
                cell.text = ""
                _style_run(cell.paragraphs[0].add_run(text), kind)

        props = doc.core_properties
        props.title = title
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
