"""XLIFF 1.2 for CAT tools (OmegaT, Trados, memoQ, Phrase): review the machine
translation where translators work, then `bitext memory import` it back.

Written with translate-toolkit's `translate.storage.xliff` (units, targets,
notes) in an XLIFF 1.2 skeleton. One `<file>` per document (`--combine`: all
documents of the run in one XLIFF, one `<file>` each), with `original` the
document id, `source-language`/`target-language` set, and a `<header>`
naming the tool, the source file, the article's date and the model. Units
are grouped per block (`<group id="doc:3">`, one `<trans-unit>` per
sentence with the id `doc:3.2`, as in every other export). The target's
`state` says where it came from: `needs-review-translation` for the model's
output, `final` for a reviewed (human) translation from the memory. Notes
(`from="bitext"`) give the block kind, the origin and any quality flags.
Text kept in its own language (an English quote) is a `translate="no"`
unit with itself as target, so CAT tools show but do not count it.

No date of the run goes in, and nothing else varies: the same rows always
give the same bytes. Characters XML cannot hold become U+FFFD.

XLIFF 2.0 is not written: translate-toolkit's `xliff2` store puts notes
inside `<segment>` (the schema wants them on `<unit>`) and has no groups;
see the README. `bitext memory import` reads both 1.2 and 2.0.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from bitext import __version__
from bitext.documents import BilingualDocument, BilingualRow, source_facts
from bitext.exporters._common import xml_safe

NAMESPACE = "urn:oasis:names:tc:xliff:document:1.2"
#: Target `state` per row origin (XLIFF 1.2 state values).
STATES = {
    "model": "needs-review-translation",
    "memory": "needs-review-translation",
    "reviewed": "final",
    "source": "final",
}
#: Source of notes written by bitext (import ignores nothing on their account).
NOTE_FROM = "bitext"


def unit_id(row: BilingualRow) -> str:
    """`document:block.sentence`, the id every export gives a sentence."""
    return f"{row.document}:{row.block}.{row.sentence}"


def _skeleton(documents: list[BilingualDocument]) -> bytes:
    from xml.sax.saxutils import quoteattr

    files = "".join(
        f"<file original={quoteattr(xml_safe(d.document.id))} "
        f"source-language={quoteattr(d.source_lang)} "
        f'target-language={quoteattr(d.target_lang)} datatype="plaintext"><body/></file>'
        for d in documents
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<xliff version="1.2" xmlns="{NAMESPACE}">{files}</xliff>'
    ).encode()


def _header(file_node, document: BilingualDocument) -> None:
    """`<header>` (first child of `<file>`): the tool and the document's facts."""
    from lxml import etree

    header = etree.Element(f"{{{NAMESPACE}}}header")
    tool = etree.SubElement(header, f"{{{NAMESPACE}}}tool")
    tool.set("tool-id", "bitext")
    tool.set("tool-name", "bitext")
    tool.set("tool-version", __version__)
    source = document.document
    facts = [
        ("Source file", source.path or source.id),
        ("Date", source.date or "-"),
        *source_facts(source),
        ("Model", document.model or "-"),
    ]
    facts += [(k, v) for k, v in document.metadata.items() if k != "Translated"]
    if document.note:
        facts.append(("Note", document.note))
    for label, value in facts:
        note = etree.SubElement(header, f"{{{NAMESPACE}}}note")
        note.set("from", NOTE_FROM)
        note.text = xml_safe(f"{label}: {value}")
    file_node.insert(0, header)


def render_documents(documents: Iterable[BilingualDocument]) -> bytes:
    from lxml import etree
    from translate.storage import xliff

    documents = list(documents)
    store = xliff.xlifffile.parsestring(_skeleton(documents))
    root = store.document.getroot()
    for document, file_node in zip(documents, root.iterchildren(f"{{{NAMESPACE}}}file")):
        _header(file_node, document)
        filename = file_node.get("original")
        body = file_node.find(f"{{{NAMESPACE}}}body")
        for (_, block), rows in groupby(document.rows, key=lambda r: (r.document, r.block)):
            rows = list(rows)
            group = etree.SubElement(body, f"{{{NAMESPACE}}}group")
            group.set("id", f"{rows[0].document}:{block}")
            group.set("restype", f"x-{rows[0].kind}")
            for row in rows:
                group.append(_unit(store, filename, row).xmlelement)
    etree.cleanup_namespaces(root)
    return bytes(store)


def _in_store_namespace(store, unit) -> None:
    """Move a new unit's elements into the store's namespace (XLIFF 1.2).

    translate-toolkit builds a unit in its class's namespace (XLIFF 1.1);
    3.20 moves it into the store's when it adds it, 3.17.5 (the newest release
    for Python 3.10) does not, and its `target` would land in another
    namespace than its `source`. Done here, both give the same bytes."""
    from lxml import etree

    old = etree.QName(unit.xmlelement).namespace
    if old == store.namespace:
        return
    for node in unit.xmlelement.iter():
        if isinstance(node.tag, str) and etree.QName(node).namespace == old:
            node.tag = f"{{{store.namespace}}}{etree.QName(node).localname}"


def _unit(store, filename: str, row: BilingualRow):
    unit = store.addsourceunit(xml_safe(row.source), filename=filename)
    _in_store_namespace(store, unit)
    unit.setid(unit_id(row))
    origin = row.origin or "model"
    if row.target:
        unit.settarget(xml_safe(row.target))
    element = unit.xmlelement
    element.attrib.pop("approved", None)
    if origin == "source":
        element.set("translate", "no")
    target = element.find(f"{{{NAMESPACE}}}target")
    if target is not None:
        target.set("state", STATES.get(origin, "needs-review-translation"))
        if row.target_lang != store.gettargetlanguage():
            target.set("{http://www.w3.org/XML/1998/namespace}lang", row.target_lang)
        if origin == "reviewed":
            element.set("approved", "yes")
    unit.addnote(f"kind: {row.kind}", origin=NOTE_FROM)
    unit.addnote(f"origin: {origin}", origin=NOTE_FROM)
    if row.flags:
        unit.addnote(f"flags: {','.join(row.flags)}", origin=NOTE_FROM)
    return unit


class XliffExporter:
    """Always one unit per sentence: `granularity` does not apply."""

    suffix = ".xlf"

    def render(self, document: BilingualDocument, *, granularity: str | None = None) -> bytes:
        return render_documents([document])

    def render_many(
        self, documents: Iterable[BilingualDocument], *, granularity: str | None = None
    ) -> bytes:
        return render_documents(documents)


EXPORTER = XliffExporter()
