"""TMX 1.4b translation memory, for CAT tools (OmegaT, Trados, memoQ).

Written with translate-toolkit's `translate.storage.tmx`. One translation
unit per sentence, `xml:lang` set to the rows' language codes (ISO 639-1
codes such as `nb` and `en` are valid BCP-47 tags), a `tuid` of
`document:block.sentence`, and properties `x-document`, `x-segment`,
`x-kind`, `x-origin` (where the target came from: `model` or `reviewed`;
absent for `bitext align`'s pairs) and, when a row has any, `x-flags`. Rows that are not
translations (a block shown beside itself in its own language) and rows
with no target or no source (the 1-0 and 0-1 links of `bitext align`) are
left out: a memory of them would only mislead.

The header names bitext as the creation tool, holds the source metadata of
the documents that have any (`x-document`, then `x-author`, `x-outlet`,
`x-url` and the like, as `<prop>` elements) and carries no creation date,
so the same rows always give the same bytes. Characters XML cannot hold
(C0 control characters other than tab and newline) become U+FFFD.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bitext import __version__
from bitext.documents import BilingualDocument, BilingualRow, source_metadata
from bitext.exporters._common import RecordExporter, model_labels, xml_safe

#: Properties written on each unit, in this order.
PROPERTIES = ("x-document", "x-segment", "x-kind", "x-origin", "x-flags")


def in_memory(row: BilingualRow) -> bool:
    """Rows worth a translation unit: a real translation with both sides."""
    return (
        row.source_lang != row.target_lang and bool(row.source.strip()) and bool(row.target.strip())
    )


def _properties(row: BilingualRow) -> list[tuple[str, str]]:
    props = [
        ("x-document", row.document),
        ("x-segment", f"{row.block}.{row.sentence}"),
        ("x-kind", row.kind),
    ]
    if row.origin:
        props.append(("x-origin", row.origin))
    if row.flags:
        props.append(("x-flags", ",".join(row.flags)))
    return props


def new_store(source_langs: Iterable[str]):
    """An empty TMX store; srclang "*all*" when units have different source languages."""
    from translate.storage import tmx

    sources = sorted(set(source_langs))
    srclang = sources[0] if len(sources) == 1 else ("*all*" if sources else "nb")
    return tmx.tmxfile(sourcelanguage=srclang)


def add_unit(store, source: str, source_lang: str, target: str, target_lang: str,
             properties: Iterable[tuple[str, str]]):  # fmt: skip
    """A unit with its properties before the first `tuv`, as TMX 1.4b orders them.

    Built as translate-toolkit 3.20's `addsourceunit(source, lang)` builds it
    (`srclang` on the `tu`, then the source `tuv`), by calls that 3.17.5, the
    newest release for Python 3.10, has too: the same bytes on both."""
    from lxml import etree

    unit = store.UnitClass(None)
    unit.xmlelement.set("srclang", source_lang)
    unit.setsource(xml_safe(source), source_lang)
    store.addunit(unit)
    unit.settarget(xml_safe(target), target_lang, append=True)
    first_tuv = unit.xmlelement.find(unit.namespaced("tuv"))
    for kind, value in properties:
        prop = etree.Element(unit.namespaced("prop"))
        prop.set("type", kind)
        prop.text = xml_safe(value)
        first_tuv.addprevious(prop)
    return unit


def finish(store, header_props: Iterable[tuple[str, str]] = ()) -> bytes:
    """The store's bytes, with a header that names bitext and carries no date
    (and `header_props` as `<prop>` elements)."""
    from lxml import etree

    header = store.document.getroot().find(store.namespaced("header"))
    header.set("creationtool", "bitext")
    header.set("creationtoolversion", __version__)
    header.set("srclang", store.sourcelanguage)
    for kind, value in header_props:
        prop = etree.SubElement(header, store.namespaced("prop"))
        prop.set("type", kind)
        prop.text = xml_safe(value)
    return bytes(store)


def document_props(documents: Iterable[BilingualDocument]) -> list[tuple[str, str]]:
    """Header properties of the documents that carry source metadata: for each,
    `x-document` (the id its units carry), then `x-date`, `x-title`, `x-author`,
    `x-outlet`, `x-section`, `x-url`, `x-declared-language` where present."""
    props = []
    for document in documents:
        meta = source_metadata(document.document)
        if meta:
            props.append(("x-document", document.document.id))
            props += [(f"x-{name.replace('_', '-')}", value) for name, value in meta.items()]
    return props


def render_rows(
    rows: Iterable[BilingualRow], header_props: Iterable[tuple[str, str]] = ()
) -> bytes:
    rows = [r for r in rows if in_memory(r)]
    store = new_store(r.source_lang for r in rows)
    for row in rows:
        unit = add_unit(
            store, row.source, row.source_lang, row.target, row.target_lang, _properties(row)
        )
        unit.xmlelement.set("tuid", f"{row.document}:{row.block}.{row.sentence}")
    return finish(store, header_props)


class TmxExporter(RecordExporter):
    """Always one unit per sentence: `granularity` does not apply."""

    suffix = ".tmx"
    per_sentence_only = True

    def write(self, records: Iterable[BilingualRow], models: Sequence[str] = ()) -> bytes:
        return render_rows(records, [("x-model", model) for model in models])

    def render_many(
        self, documents: Iterable[BilingualDocument], *, granularity: str | None = None
    ) -> bytes:
        """Sentence units; the models (`x-model`) and the documents' source
        metadata in the header."""
        documents = list(documents)
        rows = [row for doc in documents for row in doc.rows]
        models = [("x-model", model) for model in model_labels(documents)]
        return render_rows(rows, models + document_props(documents))


EXPORTER = TmxExporter()
