"""A run's output folder opened for review: its documents rebuilt, edits stored.

`bitext review` shows each document as `translate` wrote it and lets a person
correct a target. Nothing here is a copy of the exports: a document is
rebuilt the way `translate` builds it (its input's analysis from the memory's
cache, each sentence's translation from the memory, reviewed translations
first, the run's glossary, date and formats from `report.json`), so what the
page shows and what a save writes are exactly what `translate --overwrite`
would write. A model is loaded only when a sentence is missing from the memory.

A save is, in order, under one lock:

1. the document's exports that someone edited in a file since bitext wrote
   them (the run record says) are imported first and kept aside as
   `<name>.edited-<run><ext>`, exactly as `translate` does before it replaces
   an export (`bitext.reruns.OutputFolder.before_replacing`); an export no
   record knows counts as edited when it differs from what `translate` would
   write now;
2. the page's target is stored as a reviewed correction in the memory, in
   one transaction (the later edit wins over the file's);
3. the document's exports are rendered again (`bitext.rendering`), written
   atomically and noted in the run record (one `review` run per session),
   with the row's origin `reviewed`;
4. report.json/report.html are updated.

The web pages (`bitext.web.review`) only call this module.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bitext.documents import BilingualDocument, BilingualRow
from bitext.pipeline import TranslateOptions

if TYPE_CHECKING:
    from bitext.report import DocumentFacts, RunFacts

#: Formats `memory import` reads back (JSONL and TMX exports are rewritten
#: from the memory; a person edits the others).
IMPORTABLE = {".tsv", ".xlsx", ".xlf", ".docx"}
#: Longest target a save takes, in characters.
MAX_TARGET_CHARS = 20_000


class ReviewError(Exception):
    """The folder cannot be reviewed, or an edit cannot be saved: nothing was changed."""


@dataclass
class ReviewRow:
    """One sentence row as the page shows it."""

    id: str
    row: BilingualRow
    #: The model's own output, when the row's target is a reviewed one (for the diff).
    machine: str | None = None


@dataclass
class ReviewDocument:
    name: str
    bilingual: BilingualDocument
    rows: list[ReviewRow]


@dataclass
class SaveOutcome:
    """What a save did: the row as it is now, the files written, file edits taken first."""

    row: ReviewRow
    stored: bool
    files: list[str] = field(default_factory=list)
    #: Corrections taken from exports edited in a file, and where those files went.
    imported: int = 0
    kept: list[str] = field(default_factory=list)


def unit_id(row: BilingualRow) -> str:
    """`DOCUMENT:BLOCK.SENTENCE`: the XLIFF unit id and the JSONL `id`."""
    return f"{row.document}:{row.block}.{row.sentence}"


class ReviewFolder:
    """The output folder of a `translate` run, with the run's model and memory options."""

    def __init__(self, folder: Path, options: TranslateOptions | None = None) -> None:
        from bitext.pipeline import load_glossary
        from bitext.report import ReportError, read_facts
        from bitext.runs import RequestError

        self.folder = Path(folder)
        self.options = options or TranslateOptions()
        try:
            facts = read_facts(self.folder)
        except ReportError as exc:
            raise ReviewError(str(exc)) from exc
        if facts is None:
            raise ReviewError(
                f"{self.folder} holds no run report ({self.folder / 'report.json'}); "
                f"run: bitext translate ARTICLES -o {self.folder}"
            )
        self.facts: RunFacts = facts
        if not self.options.cache:
            raise ReviewError("review stores every edit in the translation memory: drop --no-cache")
        try:
            self.glossary = load_glossary(self.options)
        except RequestError as exc:
            raise ReviewError(str(exc)) from exc
        if facts.glossary is not None and self.glossary.name != facts.glossary:
            raise ReviewError(
                f"the run used the glossary {facts.glossary!r}, these options give "
                f"{self.glossary.name!r}: give review the same --glossary options as translate"
            )
        self.options.target_lang = facts.target_lang
        self.memory = _open_memory(self.options)
        self.lock = threading.RLock()
        self._translators: dict[str, object] = {}
        self._documents: dict[str, ReviewDocument] = {}
        self._output_folder = None  # bitext.reruns.OutputFolder, at the first save

    def close(self) -> None:
        with self.lock:
            self.memory.close()

    # -- reading ------------------------------------------------------------

    def documents(self) -> list[DocumentFacts]:
        return list(self.facts.documents)

    def reviewable(self, name: str) -> DocumentFacts:
        facts = self.facts.document(name)
        if facts is None:
            raise ReviewError(f"no document {name!r} in this run")
        if not facts.files:
            raise ReviewError(f"{name}: not exported ({facts.reason or facts.status})")
        return facts

    def document(self, name: str) -> ReviewDocument:
        """The document's rows as `translate` would write them now (cached until a save)."""
        with self.lock:
            if name not in self._documents:
                self._documents[name] = self._rebuild(name)
            return self._documents[name]

    def search(self, query: str, limit: int = 200) -> list[ReviewRow]:
        """Rows of the whole run whose source or target holds `query` (case-insensitive)."""
        needle = query.casefold().strip()
        found: list[ReviewRow] = []
        if not needle:
            return found
        for facts in self.facts.documents:
            if not facts.files:
                continue
            try:
                rows = self.document(facts.name).rows
            except ReviewError:
                continue
            for item in rows:
                text = f"{item.row.source}\n{item.row.target}".casefold()
                if needle in text:
                    found.append(item)
                    if len(found) >= limit:
                        return found
        return found

    def _rebuild(self, name: str) -> ReviewDocument:
        request = self.render_request(name)
        from bitext.checks import apply_checks
        from bitext.rendering import build_bilingual

        bilingual = build_bilingual(request)
        apply_checks(bilingual.rows)
        machine = self._machine_outputs(request) if request.reviewed else {}
        rows = [
            ReviewRow(unit_id(r), r, machine.get(r.source) if r.origin == "reviewed" else None)
            for r in bilingual.rows
        ]
        return ReviewDocument(name, bilingual, rows)

    def render_request(self, name: str):
        """The RenderRequest `translate` would build for this document now
        (`bitext.rendering.render` of it gives the bytes of its exports)."""
        from bitext.rendering import RenderRequest

        facts = self.reviewable(name)
        document = self._analysis(facts)
        translations, reviewed, flagged, model = self._translations(document)
        return RenderRequest(
            document=document,
            target_lang=self.facts.target_lang,
            translations=translations,
            reviewed=frozenset(reviewed),
            flagged=frozenset(flagged),
            model=model,
            glossary=None if model is None else self.glossary.name,
            formats=tuple(self.facts.formats),
            granularity=self.facts.granularity,
            date=self.facts.date,
        )

    def _analysis(self, facts: DocumentFacts):
        """The input's blocks and sentences: the memory's cached analysis, else read again."""
        from bitext.interrupts import cancellable
        from bitext.limits import read_file
        from bitext.pipeline import analysis_key, cached_analysis, prepare_document, store_analysis

        path = Path(facts.location or facts.input)
        limits = self.options.limits
        forced = None if self.options.source_lang == "auto" else self.options.source_lang
        try:
            with cancellable():
                data = read_file(path, limits)
            key = analysis_key(data, forced, limits)
            # Named as the run named it: exports show the input's path.
            document = cached_analysis(self.memory, key, Path(facts.input), facts.name)
            if document is None:
                store_analysis(self.memory, key, prepare_document(path, facts.name, forced, limits))
                document = cached_analysis(self.memory, key, Path(facts.input), facts.name)
        except Exception as exc:  # the input moved, or no longer reads
            raise ReviewError(f"{facts.name}: cannot read its input {path}: {exc}") from exc
        return document

    def _translator(self, source: str):
        from bitext.models import find_package, models_dir
        from bitext.pipeline import default_translator
        from bitext.runs import MissingModel, RequestError

        if source not in self._translators:
            store = models_dir(self.options.models_dir)
            package = find_package(source, self.facts.target_lang, store)
            if package is None:
                raise ReviewError(str(MissingModel(source, self.facts.target_lang, store)))
            try:
                self._translators[source] = default_translator(package, self.options)
            except RequestError as exc:
                raise ReviewError(str(exc)) from exc
        return self._translators[source]

    def _translations(self, document) -> tuple[dict[str, str], set[str], set[str], str | None]:
        """Translations, reviewed and glossary-flagged sentences, model label: as
        `translate` finds them (reviewed first, then the memory, then the model)."""
        from bitext.rendering import goes_through_model, model_language

        source = model_language(document.language) or "nb"
        target = self.facts.target_lang
        if source == target:
            return {}, set(), set(), None
        translator = self._translator(source)
        sentences = [
            s
            for block in document.blocks
            if goes_through_model(document, block, source)
            for s in block.sentences
        ]
        reviewed = self.memory.get_reviewed(source, target, [s for s in sentences if s.strip()])
        protected = {s: self.glossary.protect(s) for s in sentences if s not in reviewed}
        texts = list(dict.fromkeys(t for t, _ in protected.values() if t.strip()))
        outputs = dict(zip(texts, translator.translate(texts, memory=self.memory)))
        translations: dict[str, str] = {}
        for sentence in dict.fromkeys(sentences):
            if sentence in reviewed:
                translations[sentence] = reviewed[sentence]
                continue
            text, state = protected[sentence]
            if text.strip() and text in outputs:
                translations[sentence] = self.glossary.restore(outputs[text], state)
        flagged = {
            s
            for s, t in translations.items()
            if s not in reviewed and self.glossary.missing_terms(s, t)
        }
        return translations, set(reviewed), flagged, translator.package.label

    def _machine_outputs(self, request) -> dict[str, str]:
        """The model's own output for each reviewed sentence, when the memory holds it."""
        from bitext.rendering import model_language

        source = model_language(request.document.language) or "nb"
        translator = self._translator(source)
        protected = {s: self.glossary.protect(s) for s in request.reviewed}
        stored = self.memory.get_many(translator.model_key, [t for t, _ in protected.values()])
        return {
            s: self.glossary.restore(stored[t], state)
            for s, (t, state) in protected.items()
            if t in stored
        }

    # -- saving -------------------------------------------------------------

    def save(self, name: str, unit: str, target: str) -> SaveOutcome:
        """Store `target` for the row `unit` of document `name` as a reviewed
        correction, then write the document's exports again (see the module)."""
        target = _clean_target(target)
        with self.lock:
            current = self._row(name, unit)
            imported, kept = self._take_file_edits(name)
            stored = self._store(name, current.row, target)
            self._documents.pop(name, None)
            files = self._write(name)
            row = self._row(name, unit)
            self._update_report(name)
            return SaveOutcome(row, stored, files, imported, kept)

    def _row(self, name: str, unit: str) -> ReviewRow:
        document = self.document(name)
        for item in document.rows:
            if item.id == unit:
                return item
        raise ReviewError(f"no row {unit!r} in {name}")

    def _output(self):
        """The folder as `translate` keeps it (`bitext.reruns.OutputFolder`): one
        `review` run in its record for this session, opened at the first save."""
        from bitext.reruns import open_output_folder

        if self._output_folder is None:
            self._output_folder = open_output_folder(
                self.folder, ReviewError, command="review", inputs=[]
            )
        return self._output_folder

    def _take_file_edits(self, name: str) -> tuple[int, list[str]]:
        """The document's exports edited in a file since bitext wrote them: their
        corrections go into the memory first, and the edited files are kept aside
        (`translate`'s own way, `OutputFolder.before_replacing`)."""
        output = self._output()
        paths = [p for p in self.export_paths(name) if p.is_file()]
        imported = self._import_unrecorded(name, [p for p in paths if not output.record.entry(p)])
        target = self.facts.target_lang
        found = output.before_replacing(paths, name, self.memory, target)
        imported += sum(k.imported for k in found)
        return imported, [k.kept_as for k in found if k.kept_as]

    def _import_unrecorded(self, name: str, paths: list[Path]) -> int:
        """Exports no record knows (a folder from before the run record): edited
        when their bytes differ from what `translate` would write now."""
        from bitext.rendering import render
        from bitext.review import ReviewImportError, import_files

        paths = [p for p in paths if p.suffix in IMPORTABLE]
        if not paths:
            return 0
        fresh = dict(zip(self.export_paths(name), render(self.render_request(name)).files))
        edited = [p for p in paths if _digest(p) != _sha(fresh[p])]
        if not edited:
            return 0
        try:
            report = import_files(edited, self.memory, target_lang=self.facts.target_lang)
        except ReviewImportError as exc:
            raise ReviewError(f"an edited export cannot be taken in first: {exc}") from exc
        return report.imported

    def _store(self, name: str, row: BilingualRow, target: str) -> bool:
        """One transaction in the reviewed store; False when nothing changes
        (the model's own output and no reviewed translation to replace)."""
        from bitext.rendering import model_language

        if row.origin not in ("model", "reviewed", "memory"):
            raise ReviewError(f"{unit_id(row)} is kept in its own language, not a translation")
        source_lang = model_language(row.source_lang) or row.source_lang
        known = self.memory.get_reviewed(source_lang, row.target_lang, [row.source])
        if row.source in known and known[row.source] == target:
            return False
        if row.source not in known and row.origin == "model" and row.target == target:
            return False
        origin = f"review:{name}:{row.block}.{row.sentence}"
        self.memory.put_reviewed([(source_lang, row.target_lang, row.source, target, origin)])
        return True

    def export_paths(self, name: str) -> list[Path]:
        """The document's exports in the folder, in the run's format order."""
        from bitext.runs import output_paths

        return output_paths(self.folder, list(self.facts.formats), name)

    def _write(self, name: str) -> list[str]:
        """The document's exports rendered again, each written atomically and noted."""
        from bitext.rendering import render

        output = self._output()
        rendered = render(self.render_request(name))
        for path, data in zip(self.export_paths(name), rendered.files):
            output.write(path, data, name)
        output.save()
        return [path.name for path in self.export_paths(name)]

    def _update_report(self, name: str) -> None:
        from bitext.checks import count_flags
        from bitext.report import write_report

        facts = self.reviewable(name)
        rows = [item.row for item in self.document(name).rows]
        facts.reviewed = sum(1 for r in rows if r.origin == "reviewed")
        facts.translated = sum(1 for r in rows if r.source_lang != r.target_lang)
        facts.flags = dict(sorted(count_flags(rows).items()))
        write_report(self.folder, self.facts)


def _clean_target(target: str) -> str:
    if not isinstance(target, str):
        raise ReviewError("the target must be text")
    target = target.replace("\r\n", "\n").strip()
    if not target:
        raise ReviewError("an empty target is not a translation; nothing was saved")
    if len(target) > MAX_TARGET_CHARS:
        raise ReviewError(f"a target is at most {MAX_TARGET_CHARS} characters; nothing was saved")
    return target


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest(path: Path) -> str:
    return _sha(path.read_bytes())


def _open_memory(options: TranslateOptions):
    import sqlite3

    from bitext.memory import TranslationMemory, default_path

    path = options.cache_path or default_path()
    try:
        return TranslationMemory(path)
    except (OSError, sqlite3.Error) as exc:
        raise ReviewError(f"cannot open the translation memory {path}: {exc}") from exc
