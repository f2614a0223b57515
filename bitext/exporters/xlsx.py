"""XLSX workbook for analysts who live in Excel.

One sheet (`bitext`) with the TSV's columns (with `origin` last, as in the
TSV, when rows carry one; reviewed rows' origin cell is green), a frozen and filterable header
row, wrapped source and target text, set column widths, and flagged rows
highlighted (flags cell in amber, texts in light yellow). Every text cell is
stored as a string, never as a formula, even when it starts with `=`.
Characters XML cannot hold (C0 controls other than tab, newline and
carriage return) become U+FFFD.

openpyxl stamps the save time into docProps/core.xml and the zip; both are
pinned, so the same rows always give the same bytes.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence

from bitext.exporters._common import RecordExporter, Segment, reproducible_zip, xml_safe
from bitext.exporters.tsv import COLUMNS, extra_columns, row_fields

SHEET = "bitext"
WIDTHS = {
    "document": 24,
    "block": 7,
    "kind": 11,
    "sentence": 9,
    "source_lang": 8,
    "source": 60,
    "target_lang": 8,
    "target": 60,
    "flags": 22,
    "origin": 10,
}
_NUMERIC = {"block"}  # and `sentence`, unless it is a range such as 1-3
_WRAPPED = {"source", "target", "flags"}
FLAG_FILL = "FFD966"
REVIEWED_FILL = "C6EFCE"
ROW_FILL = "FFF2CC"
_FIXED_W3CDTF = b"2000-01-01T00:00:00Z"
_DATE_RE = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def _pin_dates(name: str, content: bytes) -> bytes:
    if name == "docProps/core.xml":
        return _DATE_RE.sub(rb"\g<1>" + _FIXED_W3CDTF + rb"\g<2>", content)
    return content


def render_segments(rows: Iterable[Segment], models: Sequence[str] = ()) -> bytes:
    import datetime as dt

    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    rows = list(rows)
    extra_header, extra = extra_columns(rows, with_score=False)  # align's score: TSV only
    columns = COLUMNS + extra_header
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    sheet.append(columns)
    bold = Font(bold=True)
    for cell in sheet[1]:
        cell.font = bold
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    flag_fill = PatternFill("solid", start_color=FLAG_FILL, end_color=FLAG_FILL)
    row_fill = PatternFill("solid", start_color=ROW_FILL, end_color=ROW_FILL)
    reviewed_fill = PatternFill("solid", start_color=REVIEWED_FILL, end_color=REVIEWED_FILL)
    number = 1
    for number, segment in enumerate(rows, start=2):
        values = row_fields(segment) + extra(segment)
        for column, (name, value) in enumerate(zip(columns, values), start=1):
            cell = sheet.cell(row=number, column=column)
            if name in _NUMERIC or (name == "sentence" and value.isdigit()):
                cell.value = int(value)
            else:
                cell.value = xml_safe(value)
                cell.data_type = "s"  # never a formula, whatever the text starts with
            cell.alignment = wrap if name in _WRAPPED else top
            if segment.flags:
                cell.fill = flag_fill if name == "flags" else row_fill
            if name == "origin" and value == "reviewed":
                cell.fill = reviewed_fill
    for column, name in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = WIDTHS[name]
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{number}"
    fixed = dt.datetime(2000, 1, 1)
    workbook.properties.creator = "bitext"
    if models:
        workbook.properties.description = "Model: " + "; ".join(models)
    workbook.properties.created = fixed
    workbook.properties.modified = fixed
    buffer = io.BytesIO()
    workbook.save(buffer)
    return reproducible_zip(buffer.getvalue(), _pin_dates)


class XlsxExporter(RecordExporter):
    suffix = ".xlsx"

    def write(self, records: Iterable[Segment], models: Sequence[str] = ()) -> bytes:
        return render_segments(records, models)


EXPORTER = XlsxExporter()
