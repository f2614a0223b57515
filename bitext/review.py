"""Reviewed translations back into the memory: `bitext memory import`.

Analysts correct the machine translation in the review DOCX, in the XLSX or
TSV, or in a CAT tool (XLIFF, TMX). This module reads those files, finds the
pairs a person changed, and stores them in the memory's reviewed store
(`TranslationMemory.put_reviewed`), where every later `translate` takes them
before the model.

What counts as a human translation: a pair whose target differs from every
machine output the memory holds for that source (with the default
glossary's respellings applied, as `translate` applies them), or a pair the
file itself does not present as machine output (a TMX unit without bitext's
`x-origin=model`, an XLIFF unit marked `final`/`signed-off`). A pair equal to
the machine output is `unchanged`. A pair the file presents as machine
output for which the memory holds no machine output is skipped: nothing
tells whether a person changed it.

Rows of whole blocks (the DOCX's default) are split into sentences and
linked to the block's source sentences with `bitext.align.aligner`; links that are
not 1-1 or that the aligner marks weak are skipped and reported.

Files come from outside and are treated as untrusted: a size bound on each
file and on the unpacked zip members of XLSX/DOCX, and every XML part is
parsed with entity resolution, DTD loading and network access off; a
document that declares entities (XXE, "billion laughs") is refused. All
files are read before anything is written, and the pairs go in in one
transaction: a refused file or an interrupted import leaves the memory as
it was.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bitext.memory import TranslationMemory

#: Largest file an import reads, and the most its zip members may unpack to.
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
SUFFIXES = {
    ".xlf": "xliff",
    ".xliff": "xliff",
    ".tmx": "tmx",
    ".xlsx": "xlsx",
    ".tsv": "tsv",
    ".docx": "docx",
}
#: XLIFF states (1.2 and 2.0) that mean a person has signed the target off.
FINAL_STATES = {"final", "signed-off", "reviewed"}
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class ReviewImportError(Exception):
    """A file cannot be imported (unreadable, malformed, hostile): nothing is written."""


@dataclass
class Pair:
    """One source sentence with the target a file gives it."""

    source_lang: str
    target_lang: str
    source: str
    target: str
    #: Where it came from, for reports: `file.xlsx:12` or `file.xlf:doc:3.2`.
    where: str
    #: Whether the file presents the target as machine output (a person may
    #: still have edited it: the memory's machine output decides).
    machine: bool = True


@dataclass
class BlockPair:
    """A row of a whole block: sentences of the source, edited target text."""

    source_lang: str
    target_lang: str
    source: str
    target: str
    where: str
    machine: bool = True


@dataclass
class ImportReport:
    """What an import did; `conflicts` lists sources given two reviewed translations."""

    files: list[str] = field(default_factory=list)
    imported: int = 0
    unchanged: int = 0
    skipped: list[dict] = field(default_factory=list)
    conflicts: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "imported": self.imported,
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
            "skipped_details": self.skipped,
            "conflicts": self.conflicts,
        }


def normalize_language(code: str | None) -> str | None:
    """`nb-NO` -> `nb`, `EN_us` -> `en`, `nn`/`no` -> `nb` (the Norwegian model's code)."""
    if not code:
        return None
    from bitext.rendering import model_language

    primary = code.strip().replace("_", "-").split("-")[0].lower()
    return model_language(primary) if primary else None


# -- untrusted input ---------------------------------------------------------


def _read_bounded(path: Path) -> bytes:
    try:
        if not path.is_file():  # a folder, or a pipe that could block the read
            raise ReviewImportError(f"{path}: not a regular file")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ReviewImportError(
                f"{path}: {size} bytes, more than the {MAX_FILE_BYTES} an import reads"
            )
        return path.read_bytes()
    except OSError as exc:
        raise ReviewImportError(f"{path}: {exc.strerror or exc}") from None


def safe_xml(data: bytes, label: str):
    """The root element of `data`, parsed as untrusted XML.

    No entity is resolved, no DTD loaded, nothing fetched; a document that
    declares entities (the vehicle of XXE and entity-expansion bombs) is
    refused, as is anything that is not well-formed.
    """
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ReviewImportError(f"{label}: not well-formed XML ({exc})") from None
    if root is None:
        raise ReviewImportError(f"{label}: empty XML document")
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and (list(dtd.iterentities()) or list(dtd.iterelements())):
        raise ReviewImportError(
            f"{label}: declares a DTD with entities or elements; refused "
            "(external entities and entity expansion are not allowed)"
        )
    if any(True for _ in root.iter(etree.Entity)):
        raise ReviewImportError(f"{label}: uses entity references; refused")
    return root


def _safe_zip(data: bytes, label: str) -> zipfile.ZipFile:
    """A zip (XLSX, DOCX) whose members are bounded and whose XML parts are safe."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ReviewImportError(f"{label}: not a readable zip package ({exc})") from None
    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise ReviewImportError(
            f"{label}: unpacks to more than {MAX_UNPACKED_BYTES} bytes; refused"
        )
    for member in members:
        if member.filename.endswith((".xml", ".rels")):
            try:
                content = archive.read(member)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
                raise ReviewImportError(
                    f"{label}: damaged member {member.filename} ({exc})"
                ) from None
            safe_xml(content, f"{label} ({member.filename})")
    return archive


# -- readers -----------------------------------------------------------------


def read_file(path: Path) -> list[Pair | BlockPair]:
    """The pairs of one reviewed file; raises ReviewImportError naming it."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ReviewImportError(
            f"{path}: unknown kind of file; import reads .xlf/.xliff, .tmx, .xlsx, .tsv, .docx"
        )
    data = _read_bounded(path)
    reader = {
        "xliff": _read_xliff,
        "tmx": _read_tmx,
        "xlsx": _read_xlsx,
        "tsv": _read_tsv,
        "docx": _read_docx,
    }[kind]
    try:
        return reader(data, path)
    except ReviewImportError:
        raise
    except Exception as exc:  # a library's own error on a malformed file
        raise ReviewImportError(f"{path}: cannot be read ({exc})") from None


def _read_xliff(data: bytes, path: Path) -> list[Pair]:
    root = safe_xml(data, str(path))
    version = root.get("version", "")
    if version.startswith("2") or ":2." in (root.nsmap.get(None) or ""):
        return _read_xliff2(root, path)
    from translate.storage import xliff

    store = xliff.xlifffile.parsestring(data)
    pairs = []
    for unit in store.units:
        element = unit.xmlelement
        if element.tag != store.namespaced("trans-unit") or not unit.istranslatable():
            continue
        file_node = next(element.iterancestors(store.namespaced("file")), None)
        source_lang = file_node.get("source-language") if file_node is not None else None
        target_lang = file_node.get("target-language") if file_node is not None else None
        target_node = element.find(store.namespaced("target"))
        state = target_node.get("state") if target_node is not None else None
        if target_node is not None and target_node.get(_XML_LANG):
            target_lang = target_node.get(_XML_LANG)
        pairs.append(
            Pair(
                normalize_language(source_lang) or "",
                normalize_language(target_lang) or "",
                str(unit.source or ""),
                str(unit.target or ""),
                f"{path.name}:{element.get('id')}",
                machine=state not in FINAL_STATES and element.get("approved") != "yes",
            )
        )
    return pairs


def _read_xliff2(root, path: Path) -> list[Pair]:
    namespace = root.nsmap.get(None) or "urn:oasis:names:tc:xliff:document:2.0"

    def tag(name: str) -> str:
        return f"{{{namespace}}}{name}"

    def text(node) -> str:
        return "".join(node.itertext()) if node is not None else ""

    source_lang = normalize_language(root.get("srcLang")) or ""
    target_lang = normalize_language(root.get("trgLang")) or ""
    pairs = []
    for unit in root.iter(tag("unit")):
        if unit.get("translate") == "no":
            continue
        for number, segment in enumerate(unit.iter(tag("segment")), start=1):
            state = segment.get("state")
            pairs.append(
                Pair(
                    source_lang,
                    target_lang,
                    text(segment.find(tag("source"))),
                    text(segment.find(tag("target"))),
                    f"{path.name}:{unit.get('id')}/{segment.get('id') or number}",
                    machine=state not in FINAL_STATES,
                )
            )
    return pairs


def _read_tmx(data: bytes, path: Path) -> list[Pair]:
    root = safe_xml(data, str(path))
    header = root.find("header")
    default_source = header.get("srclang") if header is not None else None
    pairs = []
    for number, unit in enumerate(root.iter("tu"), start=1):
        segments = []
        for tuv in unit.iter("tuv"):
            seg = tuv.find("seg")
            lang = tuv.get(_XML_LANG) or tuv.get("lang")
            segments.append((lang, "".join(seg.itertext()) if seg is not None else ""))
        props = {p.get("type"): (p.text or "") for p in unit.iter("prop")}
        source_code = unit.get("srclang") or default_source
        if source_code in (None, "*all*"):
            source_code = segments[0][0] if segments else None
        source = [s for s in segments if _same_language(s[0], source_code)]
        others = [s for s in segments if not _same_language(s[0], source_code)]
        where = f"{path.name}:{unit.get('tuid') or number}"
        if not source or not others:
            pairs.append(Pair("", "", "", "", where))  # skipped below: one side only
            continue
        for lang, target in others:
            pairs.append(
                Pair(
                    normalize_language(source[0][0]) or "",
                    normalize_language(lang) or "",
                    source[0][1],
                    target,
                    where,
                    machine=props.get("x-origin") == "model",
                )
            )
    return pairs


def _same_language(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.split("-")[0].lower() == b.split("-")[0].lower()


def _table_pairs(header: list[str], records: Iterable[tuple[int, list]], path: Path):
    """Pairs from rows of bitext's TSV/XLSX, columns found by header name."""
    names = [str(h or "").strip().lower() for h in header]
    missing = [c for c in ("source", "target") if c not in names]
    if missing:
        raise ReviewImportError(
            f"{path}: no column {' or '.join(repr(m) for m in missing)} in the header row "
            f"(found: {', '.join(n for n in names if n) or 'nothing'})"
        )
    column = {name: index for index, name in enumerate(names) if name}

    def get(values: list, name: str) -> str:
        index = column.get(name)
        if index is None or index >= len(values) or values[index] is None:
            return ""
        return str(values[index])

    pairs: list[Pair | BlockPair] = []
    for line, values in records:
        origin = get(values, "origin")
        source_lang = normalize_language(get(values, "source_lang")) or "nb"
        target_lang = normalize_language(get(values, "target_lang")) or "en"
        if origin == "source":
            source_lang = target_lang  # kept in its own language: skipped below
        kind = BlockPair if "-" in get(values, "sentence") else Pair
        pairs.append(
            kind(
                source_lang,
                target_lang,
                get(values, "source"),
                get(values, "target"),
                f"{path.name}:{line}",
                machine=origin != "reviewed",
            )
        )
    return pairs


def _read_tsv(data: bytes, path: Path) -> list[Pair | BlockPair]:
    """bitext's TSV dialect (tab-delimited, RFC 4180 quoting; `bitext.exporters.tsv`)."""
    import csv

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ReviewImportError(f"{path}: not UTF-8 text ({exc})") from None
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=True))
    except csv.Error as exc:
        raise ReviewImportError(f"{path}: not a readable TSV ({exc})") from None
    if not records:
        raise ReviewImportError(f"{path}: empty file")
    body = ((number, fields) for number, fields in enumerate(records[1:], start=2) if fields)
    return _table_pairs(records[0], body, path)


def _read_xlsx(data: bytes, path: Path) -> list[Pair | BlockPair]:
    from openpyxl import load_workbook

    _safe_zip(data, str(path))
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.active
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            raise ReviewImportError(f"{path}: the sheet is empty")
        records = [(number, list(values)) for number, values in enumerate(rows, start=2)]
        return _table_pairs(list(header), records, path)
    finally:
        workbook.close()


def _read_docx(data: bytes, path: Path) -> list[Pair | BlockPair]:
    """Rows of bitext's review DOCX: `#` id, source, target (+ a `Check:` note)."""
    from docx import Document

    from bitext.exporters.docx import LANGUAGE_NAMES, REVIEWED_MARK

    _safe_zip(data, str(path))
    document = Document(io.BytesIO(data))
    if not document.tables:
        raise ReviewImportError(f"{path}: no table; not a bitext review document")
    table = document.tables[0]
    rows = table.rows
    codes = {name: code for code, name in LANGUAGE_NAMES.items()}
    labels = [c.text.strip() for c in rows[0].cells]
    if len(labels) < 3 or labels[0] != "#":
        raise ReviewImportError(f"{path}: the first table is not a bitext review table")
    source_lang = normalize_language(codes.get(labels[1], labels[1])) or "nb"
    target_lang = normalize_language(codes.get(labels[2], labels[2])) or "en"
    pairs: list[Pair | BlockPair] = []
    for row in rows[1:]:
        cells = row.cells
        if len(cells) < 3:
            continue
        number = cells[0].text.strip()
        reviewed = REVIEWED_MARK in number
        number = number.replace(REVIEWED_MARK, "").strip()
        paragraphs = [_accepted_text(p._p) for p in cells[2].paragraphs]
        if len(paragraphs) > 1 and paragraphs[-1].startswith("Check: "):
            paragraphs = paragraphs[:-1]  # the flag note bitext wrote
        kind = Pair if "." in number else BlockPair
        pairs.append(
            kind(
                source_lang,
                target_lang,
                "\n".join(_accepted_text(p._p) for p in cells[1].paragraphs),
                "\n".join(paragraphs),
                f"{path.name}:{number}",
                machine=not reviewed,
            )
        )
    return pairs


def _accepted_text(paragraph) -> str:
    """A paragraph's text with its tracked changes accepted.

    Reviewers in Word often edit with Track Changes on: the new words sit in
    `<w:ins>` and the old ones in `<w:del>`. python-docx's `Paragraph.text`
    reads only the runs directly under the paragraph, which would drop both;
    here inserted text counts, deleted text does not.
    """
    from docx.oxml.ns import qn

    deleted = qn("w:del")
    pieces = []
    for element in paragraph.iter(qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr")):
        if element.getparent().tag == qn("w:tabs"):
            continue  # a tab stop of the paragraph's style, not a character
        if any(a.tag == deleted for a in element.iterancestors()):
            continue
        if element.tag == qn("w:t"):
            pieces.append(element.text or "")
        else:
            pieces.append("\t" if element.tag == qn("w:tab") else "\n")
    return "".join(pieces)


# -- deciding and storing ----------------------------------------------------


class _Reference:
    """The machine outputs the memory holds, as `translate` would show them."""

    def __init__(self, memory: TranslationMemory) -> None:
        from bitext.glossary import Glossary

        self.memory = memory
        self.glossary = Glossary.default()

    def machine(self, sources: Sequence[str]) -> dict[str, set[str]]:
        protected = {s: self.glossary.protect(s) for s in sources}
        stored = self.memory.machine_outputs(
            list(dict.fromkeys([*sources, *(text for text, _ in protected.values())]))
        )
        out: dict[str, set[str]] = {}
        for source, (text, state) in protected.items():
            found = set(stored.get(source, ()))
            found |= {self.glossary.restore(t, state) for t in stored.get(text, ())}
            if found:
                out[source] = found
        return out


def _split_blocks(
    items: list[Pair | BlockPair], reference: _Reference, report: ImportReport
) -> list[Pair]:
    """Block rows as sentence pairs, linked with the aligner; unsure links reported."""
    from bitext.align.aligner import align_sentences
    from bitext.segmentation import split_sentences

    out: list[Pair] = []
    for item in items:
        if isinstance(item, Pair):
            out.append(item)
            continue
        if not item.source.strip() or item.source_lang == item.target_lang:
            out.append(Pair(**vars(item)))  # skipped with its reason later
            continue
        sources = split_sentences(item.source, item.source_lang)
        machine = reference.machine(sources)
        known = [sorted(machine[s])[0] if s in machine else None for s in sources]
        if all(k is not None for k in known) and " ".join(known).strip() == item.target.strip():
            report.unchanged += len(sources)
            continue
        targets = split_sentences(item.target, item.target_lang) if item.target.strip() else []
        if len(sources) == 1:
            links = [([0], list(range(len(targets))), False)] if targets else []
        else:
            aligned = align_sentences(
                [sources],
                [targets],
                translations=known if all(k is not None for k in known) else None,
            )
            links = [(link.source, link.target, link.weak) for link in aligned]
        for src, tgt, weak in links:
            source_text = " ".join(sources[i] for i in src)
            target_text = " ".join(targets[j] for j in tgt)
            # One sentence: the whole edited text is its translation. Otherwise
            # only firm 1-1 links are taken.
            if len(src) == 1 and tgt and (len(sources) == 1 or (len(tgt) == 1 and not weak)):
                out.append(
                    Pair(
                        item.source_lang,
                        item.target_lang,
                        source_text,
                        target_text,
                        f"{item.where} sentence {src[0] + 1}",
                        item.machine,
                    )
                )
                continue
            why = "a weak link" if weak else f"a {len(src)}-{len(tgt)} link"
            report.skipped.append(
                {
                    "where": item.where,
                    "source": source_text,
                    "target": target_text,
                    "reason": f"the aligner is unsure ({why}); not imported",
                }
            )
    return out


def import_files(
    paths: Sequence[str | Path],
    memory: TranslationMemory,
    *,
    source_lang: str | None = None,
    target_lang: str = "en",
) -> ImportReport:
    """Read every file, then store the reviewed pairs in one transaction.

    Raises ReviewImportError (naming the file) before anything is written
    when a file cannot be read, is hostile or malformed, or holds no pair
    in the language pair asked for (`source_lang` None: any into `target_lang`).
    """
    wanted_source = normalize_language(source_lang) if source_lang else None
    wanted_target = normalize_language(target_lang) or "en"
    report = ImportReport()
    reference = _Reference(memory)
    pairs: list[Pair] = []
    problems: list[str] = []
    for path in map(Path, paths):
        try:
            items = read_file(path)
        except ReviewImportError as exc:
            problems.append(str(exc))
            continue
        report.files.append(str(path))

        def wanted(item: Pair | BlockPair) -> bool:
            return item.target_lang == wanted_target and (
                wanted_source is None or item.source_lang == wanted_source
            )

        translations = [i for i in items if i.source_lang != i.target_lang]
        if translations and not any(wanted(i) for i in translations):
            found = sorted({f"{i.source_lang or '?'}-{i.target_lang or '?'}" for i in items})
            problems.append(
                f"{path}: no pair into {wanted_target}"
                + (f" from {wanted_source}" if wanted_source else "")
                + f" (the file holds {', '.join(found)}); refused"
            )
            continue
        in_pair = []
        for item in items:
            if wanted(item) or item.source_lang == item.target_lang:
                in_pair.append(item)  # kept text is skipped later, with its reason
                continue
            report.skipped.append(
                {
                    "where": item.where,
                    "source": item.source,
                    "target": item.target,
                    "reason": f"language pair {item.source_lang or '?'}-"
                    f"{item.target_lang or '?'} is not the pair imported",
                }
            )
        pairs.extend(_split_blocks(in_pair, reference, report))
    if problems:
        raise ReviewImportError("; ".join(problems) + " (nothing was imported)")

    entries = _decide(pairs, reference, memory, report)
    memory.put_reviewed(entries)
    return report


def _decide(
    pairs: list[Pair], reference: _Reference, memory: TranslationMemory, report: ImportReport
) -> list[tuple[str, str, str, str, str]]:
    machine = reference.machine([p.source for p in pairs if p.source.strip()])
    existing: dict[tuple[str, str], dict[str, str]] = {}
    for p in pairs:
        key = (p.source_lang, p.target_lang)
        if key not in existing:
            sources = [q.source for q in pairs if (q.source_lang, q.target_lang) == key]
            existing[key] = memory.get_reviewed(p.source_lang, p.target_lang, sources)
    chosen: dict[tuple[str, str, str], Pair] = {}
    for p in pairs:
        reason = None
        if not p.source.strip() or not p.target.strip():
            reason = "empty source or target"
        elif p.source_lang == p.target_lang:
            reason = "text kept in its own language, not a translation"
        if reason:
            report.skipped.append(
                {"where": p.where, "source": p.source, "target": p.target, "reason": reason}
            )
            continue
        key = (p.source_lang, p.target_lang, p.source)
        earlier = chosen.get(key)
        previous = earlier.target if earlier is not None else existing[key[:2]].get(p.source)
        if p.target in machine.get(p.source, ()) or previous == p.target:
            # The machine output (never a reason to drop a reviewed translation),
            # or the reviewed translation already known.
            report.unchanged += 1
            continue
        if previous is None and p.machine and p.source not in machine:
            report.skipped.append(
                {
                    "where": p.where,
                    "source": p.source,
                    "target": p.target,
                    "reason": "marked as machine output and the memory holds no machine "
                    "output to compare it with (was it cleared, or the run made with "
                    "--no-cache?)",
                }
            )
            continue
        if previous is not None:
            report.conflicts.append(
                {
                    "source": p.source,
                    "earlier": previous,
                    "earlier_from": earlier.where if earlier is not None else "the memory",
                    "later": p.target,
                    "later_from": p.where,
                }
            )
        chosen[key] = p
    report.imported = len(chosen)
    return [(sl, tl, s, p.target, p.where) for (sl, tl, s), p in chosen.items()]


# -- memory export -----------------------------------------------------------


def memory_tmx(entries: Iterable[dict]) -> bytes:
    """TMX 1.4b of memory entries (`TranslationMemory.entries`), for CAT tools.

    Machine entries are given as `translate` shows them with the default
    glossary (names respelled); those stored with term placeholders are left
    out, since their text depends on the glossary of the run that made them.
    Each unit carries its `creationdate` (when it entered the memory, UTC)
    and properties `x-origin` (`reviewed` or `model`) and `x-model` (the
    model key) or `x-file` (the file a reviewed translation was imported
    from). Written with translate-toolkit, like the TMX export.
    """
    import datetime as dt

    from bitext.exporters.tmx import add_unit, finish, new_store

    entries = _as_shown(entries)
    store = new_store(e["source_lang"] for e in entries)
    for entry in entries:
        props = [("x-origin", entry["origin"])]
        if entry.get("model"):
            props.append(("x-model", entry["model"]))
        if entry.get("file"):
            props.append(("x-file", entry["file"]))
        unit = add_unit(
            store, entry["source"], entry["source_lang"], entry["target"], entry["target_lang"],
            props,
        )  # fmt: skip
        moment = dt.datetime.fromtimestamp(entry["created"], tz=dt.timezone.utc)
        unit.xmlelement.set("creationdate", moment.strftime("%Y%m%dT%H%M%SZ"))
    return finish(store)


def _as_shown(entries: Iterable[dict]) -> list[dict]:
    """Reviewed entries as stored; machine entries restored with the default glossary."""
    from bitext.glossary import Glossary, has_placeholder

    glossary = None
    out = []
    for entry in entries:
        if entry["origin"] != "reviewed":
            if has_placeholder(entry["source"]):
                continue
            glossary = glossary or Glossary.default()
            _, state = glossary.protect(entry["source"])
            entry = {**entry, "target": glossary.restore(entry["target"], state)}
        out.append(entry)
    return out
