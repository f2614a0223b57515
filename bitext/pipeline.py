"""The translate pipeline: paths in, bilingual documents and files out.

paths -> read -> detect -> segment -> translate (all sentences of the run
at once) -> align -> export. Each stage is a function of its own module; this
module only orders them, isolates failures per document, and writes files.
Where reading, decoding and rendering run is the engine's business: the run
takes an engine object (`bitext.engines`), `LocalEngine` by default.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bitext.documents import BilingualDocument, Block, BlockKind, Document
from bitext.engine import DecodeOptions, Translator
from bitext.engines import Engine, UnknownEngine, open_engine
from bitext.exporters import check_formats, write_combined
from bitext.exporters.docx import run_date
from bitext.languages import no_model_line
from bitext.limits import Limits
from bitext.models import InstalledPackage, find_package, models_dir
from bitext.outputs import (
    OutputError,
    atomic_write_bytes,
    check_writable,
    clean_temporaries,
    output_stems,
)
from bitext.positions import Unfinished
from bitext.record import holds_record
from bitext.rendering import (
    UNDECIDED,
    Rendered,
    RenderRequest,
    goes_through_model,
    model_language,
    render_or_reason,
)
from bitext.reruns import OutputFolder, open_output_folder
from bitext.runs import (
    MissingModel,
    RequestError,
    Result,
    RunOptions,
    Stopped,
    Summary,
    claim_outputs,
    output_paths,
    reason,
    refusing,
)

if TYPE_CHECKING:
    from bitext.glossary import Glossary


@dataclass
class TranslateOptions(RunOptions):
    """Everything `bitext translate` can be told; defaults match the CLI."""

    source_lang: str = "auto"
    target_lang: str = "en"
    fast: bool = False
    compute_type: str = "default"
    #: Also write one file per format for the whole run (exports/_combined.tsv, ...).
    combine: bool = False
    #: Glossary files put on top of the default name list (issue 9).
    glossaries: list[Path] = field(default_factory=list)
    default_glossary: bool = True
    #: Translation memory: on by default; `cache_path` None means the default
    #: location ($BITEXT_CACHE_DIR or ~/.cache/bitext/memory.sqlite3).
    cache: bool = True
    cache_path: Path | None = None
    #: Documents read, translated and exported together (memory stays flat).
    chunk_documents: int = 200
    #: Where the work runs: an engine name of `bitext.engines` ("local": this process).
    engine: str = "local"
    #: Ray cluster to join ("auto" or HOST:PORT); None: $RAY_ADDRESS, else a
    #: private runtime on 127.0.0.1 for this run.
    ray_address: str | None = None
    #: Let Ray's own log lines through to stderr.
    verbose: bool = False
    #: Replace edited exports without importing their corrections or keeping
    #: them aside (bitext.reruns; by default edits are never lost).
    discard_edits: bool = False

    def __post_init__(self) -> None:
        # Python callers may pass plain strings for paths.
        self.output_dir = Path(self.output_dir)
        if self.models_dir is not None:
            self.models_dir = Path(self.models_dir)
        if self.cache_path is not None:
            self.cache_path = Path(self.cache_path)
        self.glossaries = [Path(g) for g in self.glossaries]


@dataclass
class DocumentResult(Result):
    """What happened to one input file."""

    path: str
    document: str
    status: str  # done | skipped | failed
    language: str | None = None
    reason: str | None = None
    files: list[str] = field(default_factory=list)
    blocks: int = 0
    sentences: int = 0
    translated_sentences: int = 0
    warnings: list[str] = field(default_factory=list)
    #: Quality flag -> number of rows carrying it (bitext.checks).
    flags: dict[str, int] = field(default_factory=dict)
    #: Sentences the model failed on alone, exported with the flag `failed`.
    failed_sentences: int = 0


@dataclass
class RunSummary(Summary):
    """The documents of a `translate` run, each a DocumentResult, and what the memory gave."""

    #: A signal stopped the run before every document was done.
    interrupted: bool = False
    #: Distinct sentences taken from the translation memory / run through a model.
    cached_sentences: int = 0
    model_sentences: int = 0
    #: Distinct sentences given a reviewed (human) translation from the memory.
    reviewed_sentences: int = 0
    #: Files of `--combine` (all documents of the run in one file per format).
    combined_files: list[str] = field(default_factory=list)
    #: Edited exports found before they were replaced (bitext.reruns.KeptEdit, as dicts).
    edits: list[dict] = field(default_factory=list)

    @property
    def languages(self) -> Counter:
        return Counter(r.language for r in self.results if r.status != "failed" and r.language)

    def as_dict(self) -> dict:
        return {
            "documents": len(self.results),
            "done": self.count("done"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "interrupted": self.interrupted,
            "not_done": self.count("interrupted"),
            "blocks": sum(r.blocks for r in self.results),
            "sentences": sum(r.sentences for r in self.results),
            "translated_sentences": sum(r.translated_sentences for r in self.results),
            "failed_sentences": sum(r.failed_sentences for r in self.results),
            "cache": {
                "hits": self.cached_sentences,
                "translated": self.model_sentences,
                "reviewed": self.reviewed_sentences,
            },
            "languages": dict(sorted(self.languages.items())),
            "files": self.files,
            "flags": dict(self.flag_counts),
            "combined_files": self.combined_files,
            "edits": self.edits,
            "results": [vars(r) for r in self.results],
        }


def prepare_document(
    path: Path,
    doc_id: str,
    forced_lang: str | None,
    limits: Limits | None = None,
    checkpoint: Callable[[], None] | None = None,
) -> Document:
    """Read, detect and segment one file, within `limits` (the defaults when None).

    `checkpoint` is called between blocks, so a stop request ends a long
    document's analysis within a fraction of a second (it raises to stop).
    """
    from bitext.detection import detect_document
    from bitext.interrupts import cancellable
    from bitext.readers import read_document
    from bitext.segmentation import split_sentences

    checkpoint = checkpoint or (lambda: None)
    with cancellable():
        document = read_document(path, doc_id=doc_id, limits=limits)
        checkpoint()
        detect_document(document, checkpoint=checkpoint)
        if forced_lang:
            document.language = forced_lang
        for block in document.blocks:
            checkpoint()
            language = block.language or document.language or "nb"
            block.sentences = split_sentences(block.text, language)
    return document


@functools.lru_cache(maxsize=1)
def _analysis_version() -> str:
    """Digest of the code that reads, detects and segments: a change misses the cache."""
    import hashlib

    import langdetect

    from bitext import detection, limits, readers, segmentation

    digest = hashlib.sha256(getattr(langdetect, "__version__", "").encode())
    sources = [Path(m.__file__) for m in (limits, detection, segmentation)]
    sources += sorted(Path(readers.__file__).parent.glob("*.py"))
    for source in sources:
        digest.update(source.read_bytes())
    for data in sorted((Path(detection.__file__).parent / "data").glob("*")):
        if data.is_file():
            digest.update(data.read_bytes())
    return digest.hexdigest()[:16]


def _prepare(
    path: Path,
    doc_id: str,
    forced_lang: str | None,
    memory,
    limits: Limits,
    checkpoint: Callable[[], None],
) -> Document:
    """`prepare_document`, through the memory's analysis cache when there is one.

    Detection costs more than exporting, so a warm re-run would pay for it
    on every file; the key is the file's bytes, the forced language and the
    analysing code, so an edited file or a changed detector is analysed anew.
    """
    from bitext.interrupts import cancellable
    from bitext.limits import read_file

    if memory is None:
        return prepare_document(path, doc_id, forced_lang, limits, checkpoint)
    try:
        with cancellable():  # the same bounded read as the readers': refused from its size
            data = read_file(path, limits)
    except OSError:  # the reader names the file and the reason
        return prepare_document(path, doc_id, forced_lang, limits, checkpoint)
    key = analysis_key(data, forced_lang, limits)
    cached = cached_analysis(memory, key, path, doc_id)
    if cached is not None:
        return cached
    document = prepare_document(path, doc_id, forced_lang, limits, checkpoint)
    store_analysis(memory, key, document)
    return document


def analysis_key(data: bytes, forced_lang: str | None, limits: Limits) -> str:
    """The analysis-cache key of a file's bytes (shared with the Ray engine's driver).

    The limits are part of the key: a document analysed under raised limits
    is not taken from the cache by a run with lower ones.
    """
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    return f"{digest}|{forced_lang or 'auto'}|{_analysis_version()}|{limits!r}"


def cached_analysis(memory, key: str, path: Path, doc_id: str) -> Document | None:
    """The stored analysis under `key`, as a Document of `path`, or None."""
    import json

    cached = memory.get_document(key)
    if cached is None:
        return None
    data = json.loads(cached)
    blocks = [Block(**{**b, "kind": BlockKind(b["kind"])}) for b in data.pop("blocks")]
    # The same bytes may have been analysed under another name: warnings
    # name the file being read now.
    first = f"{data['path']}: "
    data["warnings"] = [
        f"{path}: {w[len(first) :]}" if w.startswith(first) else w for w in data["warnings"]
    ]
    return Document(**{**data, "id": doc_id, "path": str(path), "blocks": blocks})


def store_analysis(memory, key: str, document: Document) -> None:
    import dataclasses
    import json

    data = dataclasses.asdict(document)
    for block in data["blocks"]:
        block["kind"] = block["kind"].value
    # ASCII JSON: a file name undecodable as UTF-8 holds surrogates SQLite refuses.
    memory.put_document(key, json.dumps(data))


class _Run:
    """State of one `translate` call."""

    def __init__(
        self,
        options: TranslateOptions,
        translator_factory,
        files: list[Path],
        stop: threading.Event | None,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.options = options
        self.translator_factory = translator_factory
        self.translators: dict[tuple[str, str], Translator] = {}
        #: The source language given with --from; None to detect each document's.
        self.forced = None if options.source_lang == "auto" else options.source_lang
        self.inputs = {f.resolve() for f in files}  # no export may replace one
        self.stems = output_stems(files)  # each file's distinct export name
        self.glossary: Glossary = load_glossary(options)  # RequestError for a bad file
        self.tracker = _Progress(progress, len(files))
        self.memory = None if not options.cache else _open_memory(options)
        self.exported = False  # once a file is written, errors are per document
        self.stop = stop  # set by a signal (bitext.interrupts)
        self.halted: str | None = None  # why every later write would fail (disk full)
        self.combined: dict[str, BilingualDocument] = {}  # by stem, kept for --combine
        self.date = run_date()  # every document's "Translated" date
        self.renderer = LocalRenderer()  # replaced by the run's engine's
        #: The output folder's record and the edits kept (set once the request is checked).
        self.folder: OutputFolder

    def outputs_of(self, stem: str) -> list[Path]:
        return output_paths(self.options.output_dir, self.options.formats, stem)

    def wanted(self, path: Path) -> bool:
        """Whether a file is to be read at all: its outputs are free to write."""
        outputs = self.outputs_of(self.stems[path])
        return claim_outputs(outputs, self.inputs, self.options.overwrite) is None

    def checkpoint(self) -> None:
        """Between batches and documents: stop here when asked to."""
        if self.halted is not None or (self.stop is not None and self.stop.is_set()):
            raise Stopped()

    def advance(self, count: int) -> None:
        """Progress after each batch (its documents are already written), then a checkpoint."""
        self.tracker.advance(count)
        self.checkpoint()

    def package_for(self, source: str) -> InstalledPackage:
        store = models_dir(self.options.models_dir)
        package = find_package(source, self.options.target_lang, store)
        if package is None:
            raise MissingModel(source, self.options.target_lang, store)
        return package

    def translator(self, source: str) -> Translator:
        key = (source, self.options.target_lang)
        if key not in self.translators:
            self.translators[key] = self.translator_factory(self.package_for(source), self.options)
        return self.translators[key]


class LocalRenderer:
    """Rendering in this process, at once (the local engine's renderer).

    The Ray engine's renderer has the same two methods and renders on the
    workers; `settle` returns when every submitted document has been handed
    to its callback.
    """

    def submit(self, request: RenderRequest, done: Callable[[Rendered | str], None]) -> None:
        done(render_or_reason(request))

    def settle(self, timeout: float | None = None) -> None:
        """Nothing is ever pending here."""


class LocalEngine:
    """The work in this process: `--engine local`, the default engine.

    Reading goes through the memory's analysis cache (`_prepare`), decoding
    through `default_translator`, rendering happens at once. Other engines
    (`bitext.engines`) have the same members and do that work elsewhere.
    """

    def __init__(self, options: TranslateOptions) -> None:
        self.limits = options.limits
        self.renderer = LocalRenderer()

    def translator(self, package: InstalledPackage, options: TranslateOptions) -> Translator:
        return default_translator(package, options)

    def analyser(
        self,
        files: list[Path],
        forced: str | None,
        memory,
        stems: dict[Path, str],
        wanted: Callable[[Path], bool],
        checkpoint: Callable[[], None],
    ) -> Callable[[Path, str], Document]:
        """Each file analysed when the pipeline reaches it (see `bitext.engines.Engine`)."""
        return functools.partial(
            _prepare, forced_lang=forced, memory=memory, limits=self.limits, checkpoint=checkpoint
        )

    def close(self) -> None:
        """Nothing was started."""


def default_translator(package: InstalledPackage, options: TranslateOptions) -> Translator:
    try:
        return Translator(
            package,
            device=options.device,
            compute_type=options.compute_type,
            threads=options.threads,
            options=DecodeOptions.fast() if options.fast else DecodeOptions(),
        )
    except ValueError as exc:  # a device that cannot work: nothing is done
        raise RequestError(str(exc)) from exc


def translate_paths(
    paths: Iterable[str | os.PathLike[str]],
    options: TranslateOptions | None = None,
    *,
    translator_factory: Callable[[InstalledPackage, TranslateOptions], Translator] | None = None,
    progress: Callable[[int, int], None] | None = None,
    stop: threading.Event | None = None,
    engine: Engine | None = None,
) -> RunSummary:
    """Translate every article under `paths` and write its exports.

    When `stop` is set (the CLI sets it on Ctrl+C or SIGTERM), the batch in
    flight finishes, every complete document is written, and the rest are
    reported with status `interrupted`; the same call again finishes the job.

    Documents are handled in chunks (`options.chunk_documents`), so memory
    stays flat on any corpus size; all sentences of a chunk go through one
    engine call, and each document is written as soon as its last sentence
    is translated. Raises RequestError before writing anything when the
    request cannot work (unknown format, missing path, missing model, bad glossary). Failures
    of single documents are recorded in the summary and do not stop the others.

    `engine` does the reading, decoding and rendering (`bitext.engines.Engine`;
    the caller closes it); None opens the one `options.engine` names and
    closes it at the end. `translator_factory` replaces the engine's own
    translators (tests pass the copy model's).
    """
    from bitext.readers import find_articles

    options = options or TranslateOptions()
    check_languages(options.source_lang, options.target_lang, RequestError)
    unread: list[tuple[Path, str]] = []
    with refusing(RequestError):
        check_formats(options.formats)
        paths = list(paths)
        _refuse_output_as_input(paths, options.output_dir)
        files = list(find_articles(paths, skipped=unread, exclude=[options.output_dir]))
        check_writable(options.output_dir)
    run = _Run(options, translator_factory, files, stop, progress)
    run.folder = open_output_folder(
        options.output_dir,
        RequestError,
        command="translate",
        inputs=paths,
        discard_edits=options.discard_edits,
    )
    summary = RunSummary()
    opened = None  # the engine this call opened, and so closes
    try:
        if engine is None:
            engine = opened = _open_engine(options)
        run.translator_factory = translator_factory or engine.translator
        run.renderer = engine.renderer
        prepare = engine.analyser(
            files, run.forced, run.memory, run.stems, run.wanted, run.checkpoint
        )
        _translate_files(files, prepare, run, summary)
    except Stopped:
        # Documents whose translation was complete are written, if their
        # bytes come back soon; the rest are reported as not done.
        run.renderer.settle(timeout=STOP_GRACE_SECONDS)
        summary.interrupted = run.halted is None
        _not_done(summary, files[len(summary.results) :], run.stems, run.halted)
    except BaseException:  # an error after files were written: their notes are kept
        _finish_record(run, summary)
        raise
    finally:
        if opened is not None:
            opened.close()
        if run.memory is not None:
            run.memory.close()
    # Files no reader takes are named with their kind, never ignored in silence.
    for path, why in unread:
        summary.results.append(
            DocumentResult(path=str(path), document=path.stem, status="skipped", reason=why)
        )
    if options.combine and run.combined and not summary.interrupted and run.halted is None:
        summary.combined_files = _write_combined(run, summary)
    summary.edits = [dataclasses.asdict(k) for k in run.folder.kept]
    _finish_record(run, summary, final=True)
    return summary


def check_languages(source: str, target: str, error: type[Exception]) -> None:
    """Refuse (as `error`, exit 2) a `--from`/`--to` code that names no language."""
    from bitext.languages import UnknownLanguage, check_code

    try:
        check_code(source, auto=True)
        check_code(target)
    except UnknownLanguage as exc:
        raise error(str(exc)) from exc


def _refuse_output_as_input(paths: list, output_dir: Path) -> None:
    """An input folder that is the output folder itself cannot work: refused (exit 2)."""
    try:
        output = output_dir.resolve()
    except OSError:
        return
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and path.resolve() == output:
            raise RequestError(
                f"the output folder {output_dir} is also an input folder; "
                "choose another -o folder (exports are never read as articles)"
            )


def _write_combined(run: _Run, summary: RunSummary) -> list[str]:
    """The `--combine` files, edits in earlier ones kept first, each noted in the record."""
    options = run.options
    documents = [run.combined[r.document] for r in summary.results if r.document in run.combined]
    targets = [options.output_dir / f"_combined{suffix}" for suffix in _suffixes(options)]
    run.folder.before_replacing(targets, "_combined", run.memory, options.target_lang)
    files = write_combined(documents, options.output_dir, options.formats, options.granularity)
    for name in files:
        run.folder.record.note(Path(name), Path(name).read_bytes(), "_combined", run.folder.run.id)
    return files


def _suffixes(options: TranslateOptions) -> list[str]:
    from bitext.exporters import get_exporter

    return [get_exporter(name).suffix for name in options.formats]


def _model_labels(run: _Run) -> str | None:
    labels = sorted({t.package.label for t in run.translators.values()})
    return ", ".join(labels) or None


def _finish_record(run: _Run, summary: RunSummary, final: bool = False) -> None:
    """Save the record with the run's outcome: at the end of every run that wrote
    something or found a record (`final`), and on the way out of one that stopped
    or failed after writing (so its notes are never lost)."""
    wrote = run.exported or bool(run.folder.kept)
    if not (wrote or (final and holds_record(run.options.output_dir))):
        return
    try:
        run.folder.settle(summary.results, model=_model_labels(run), glossary=run.glossary.name)
    except OSError:
        pass  # the disk is full: the record stays as it was, the summary says why


def _translate_files(
    files: list[Path], prepare: Callable[[Path, str], Document], run: _Run, summary: RunSummary
) -> None:
    """Each file read (`prepare`) in turn; the documents to translate go in
    chunks, and each chunk is translated and exported as soon as it is full."""
    chunk: list[tuple[DocumentResult, Document, str]] = []
    chunk_sentences = 0
    for position, path in enumerate(files, start=1):
        run.checkpoint()
        run.tracker.documents_seen = position
        stem = run.stems[path]
        result = DocumentResult(path=str(path), document=stem, status="failed")
        summary.results.append(result)
        document = _document_to_translate(path, result, prepare, run)
        if document is None:
            continue
        chunk.append((result, document, stem))
        chunk_sentences += result.sentences
        if len(chunk) >= run.options.chunk_documents or chunk_sentences >= CHUNK_SENTENCES:
            _translate_chunk(chunk, run, summary)
            chunk, chunk_sentences = [], 0
    if chunk:
        _translate_chunk(chunk, run, summary)


def _document_to_translate(
    path: Path, result: DocumentResult, prepare: Callable[[Path, str], Document], run: _Run
) -> Document | None:
    """The file's document, or None with `result` saying why it is not translated:
    its outputs are claimed (an input, or already exported), it cannot be read,
    it is empty, or its language cannot be told."""
    options = run.options
    outputs = run.outputs_of(result.document)
    claim = claim_outputs(outputs, run.inputs, options.overwrite)
    if claim is not None:
        result.settle(*claim)
        if result.status == "skipped":  # listed: the files are there
            result.files = [str(p) for p in outputs]
        return None
    try:
        # Before the document is translated: its corrections are then in the memory.
        run.folder.before_replacing(outputs, result.document, run.memory, options.target_lang)
    except OSError as exc:
        result.fail(exc)
        return None
    try:
        document = prepare(path, result.document)
    except Exception as exc:  # one bad file never stops the batch
        result.fail(exc)
        return None
    result.language = document.language
    result.warnings = list(document.warnings)
    result.blocks = len(document.blocks)
    result.sentences = sum(len(b.sentences) for b in document.blocks)
    if not document.blocks:
        result.settle("skipped", "empty file: no text to translate")
        return None
    if document.language in UNDECIDED:
        result.reason = (
            f"language {document.language or 'unknown'} (confidence "
            f"{document.language_confidence or 0:.2f}); give --from CODE to translate it "
            "anyway"
        )
        return None
    return document


#: After a stop, how long documents rendering elsewhere are waited for.
STOP_GRACE_SECONDS = 5.0
#: A chunk is closed at this many sentences even before `chunk_documents`.
CHUNK_SENTENCES = 20_000


def _open_engine(options: TranslateOptions) -> Engine:
    """The engine `options.engine` names, from the registry (`bitext.engines`)."""
    try:
        return open_engine(options.engine, options)
    except UnknownEngine as exc:
        raise RequestError(str(exc)) from exc


def load_glossary(options: TranslateOptions) -> Glossary:
    """The default name list (unless switched off) with the user's files on top."""
    from bitext.glossary import Glossary, GlossaryError

    glossary = Glossary.default() if options.default_glossary else Glossary.empty()
    for path in options.glossaries:
        try:
            glossary = glossary.merged(Glossary.load(path))
        except GlossaryError as exc:
            raise RequestError(str(exc)) from exc
    return glossary


def _open_memory(options: TranslateOptions):
    from bitext.memory import TranslationMemory, default_path

    path = options.cache_path or default_path()
    try:
        return TranslationMemory(path)
    except (OSError, sqlite3.Error) as exc:
        raise RequestError(
            f"cannot open the translation memory {path}: {exc} "
            "(run with --no-cache, or move the file away)"
        ) from exc


class _Progress:
    """Sentences done out of an estimated total (chunks are read as they go).

    The total is exact once every document has been read; before that it is
    the sentences seen so far plus their average per document for the rest.
    """

    def __init__(self, callback: Callable[[int, int], None] | None, documents: int) -> None:
        self.callback = callback
        self.documents = documents
        self.documents_seen = 0
        self.seen = 0
        self.done = 0

    def add(self, sentences: int) -> None:
        self.seen += sentences

    def advance(self, count: int) -> None:
        self.done += count
        if self.callback is None:
            return
        rest = self.documents - self.documents_seen
        total = self.seen + (self.seen * rest // max(1, self.documents_seen))
        self.callback(min(self.done, total), max(total, self.done))


def _translate_chunk(
    chunk: list[tuple[DocumentResult, Document, str]], run: _Run, summary: RunSummary
) -> None:
    """Translate every sentence of a chunk in one engine call per model; export.

    The model sees each sentence after `Glossary.protect` (so the memory is
    keyed on what the model saw); `restore` runs on its output.
    """
    work = _ChunkWork(chunk, run, summary)
    work.find_models()
    work.plan()
    work.translate()
    run.renderer.settle()  # every document of the chunk written before the next
    if run.exported:
        run.folder.save()  # a run killed later still knows what this chunk wrote


class _ChunkWork:
    """One chunk on its way through the models, each document exported as
    soon as the last of its sentences is back.

    Phases: `find_models` (each document's model; a missing one fails the
    document, or the request when nothing could be done), `plan` (which
    protected sentences each document waits for), `translate` (one engine
    call per model; `finished` counts down and calls `export`).
    """

    def __init__(
        self, chunk: list[tuple[DocumentResult, Document, str]], run: _Run, summary: RunSummary
    ) -> None:
        self.chunk, self.run, self.summary = chunk, run, summary
        #: Document (by position in the chunk) -> model source language.
        self.sources: dict[int, str] = {}
        #: Source language -> sentence -> reviewed (human) translation.
        self.reviewed: dict[str, dict[str, str]] = {}
        #: Source language -> sentence -> (text the model sees, glossary state).
        self.protected: dict[str, dict[str, tuple[str, object]]] = {}
        #: (source language, text) -> documents waiting for its translation.
        self.waiting: dict[tuple[str, str], list[int]] = {}
        #: Document -> texts it still waits for.
        self.pending: dict[int, int] = {}
        #: Document -> its sentences that go through the model.
        self.own: dict[int, list[str]] = {}
        #: Source language -> text -> the model's translation.
        self.outputs: dict[str, dict[str, str]] = {}

    def find_models(self) -> None:
        """A missing model fails only the documents that need it; when no
        document of the first chunk can be translated at all, nothing is
        written and the whole request fails (exit 2, with the install command)."""
        options = self.run.options
        missing: list[RequestError] = []
        for i, (result, document, _) in enumerate(self.chunk):
            source = model_language(document.language)
            if source == options.target_lang:
                continue
            try:
                self.run.translator(source)
            except MissingModel as exc:  # one line; the request error has the install steps
                result.reason = no_model_line(source, options.target_lang)
                missing.append(exc)
                continue
            except RequestError as exc:
                result.reason = reason(exc)
                missing.append(exc)
                continue
            self.sources[i] = source
        if missing and not self.sources and not self.run.exported:
            first = missing[0]
            if self.run.forced is None and isinstance(first, MissingModel) and first.source != "nb":
                # Detected languages other than the one bitext is for (a Danish
                # article): each document's one line, not the steps to install a model.
                lines = [f"{r.path}: {r.reason}" for r, _, _ in self.chunk if r.reason]
                raise MissingModel(first.source, first.target, Path(), "\n".join(lines))
            raise first
        if not self.run.exported:
            options.output_dir.mkdir(parents=True, exist_ok=True)
            clean_temporaries(options.output_dir)

    def plan(self) -> None:
        """Protect each sentence once; count what each document waits for."""
        self.reviewed = _reviewed_translations(self.chunk, self.sources, self.run)
        self.summary.reviewed_sentences += sum(len(found) for found in self.reviewed.values())
        for i, source in self.sources.items():
            needs = self._needs(i, source)
            for text in needs:
                self.waiting.setdefault((source, text), []).append(i)
            self.pending[i] = len(needs)
        self.outputs = {source: {} for source in self.protected}
        self.run.tracker.add(len(self.waiting))

    def _needs(self, i: int, source: str) -> set[str]:
        """The texts document `i` needs from the model (reviewed sentences skip it)."""
        _, document, _ = self.chunk[i]
        seen = self.protected.setdefault(source, {})
        needs: set[str] = set()
        self.own[i] = []
        for block in document.blocks:
            if not goes_through_model(document, block, source):
                continue
            for sentence in block.sentences:
                self.own[i].append(sentence)
                if sentence in self.reviewed[source]:
                    continue  # a human translation: neither the model nor the glossary
                if sentence not in seen:
                    seen[sentence] = self.run.glossary.protect(sentence)
                text = seen[sentence][0]
                if text.strip():
                    needs.add(text)
        return needs

    def translate(self) -> None:
        """Export what needs no model, run each model over its texts, export the rest."""
        for i in range(len(self.chunk)):
            if self.pending.get(i, 0) == 0:
                self.export(i)
        for source in self.protected:
            self._through_model(source)
        for i, count in self.pending.items():
            if count:  # nothing left to wait for (e.g. an empty translation)
                self.export(i)

    def _through_model(self, source: str) -> None:
        run = self.run
        finished = functools.partial(self.finished, source)
        texts = [text for (s, text) in self.waiting if s == source]
        translator = run.translator(source)
        try:
            translator.translate(
                texts, progress=run.advance, memory=run.memory, on_translated=finished
            )
        except Exception:  # find the document that breaks the engine; the others go on
            _translate_each(self.chunk, source, self.waiting, self.pending, run, finished)
        finally:  # counted even when a signal stops the call
            self.summary.cached_sentences += translator.last_stats.cached
            self.summary.model_sentences += translator.last_stats.translated

    def finished(self, source: str, done: dict[str, str]) -> None:
        """The engine's callback: texts translated; export each document now complete."""
        self.outputs[source].update(done)
        for text in done:
            for i in self.waiting.pop((source, text), ()):
                self.pending[i] -= 1
                if self.pending[i] == 0:
                    self.export(i)

    def _translations(self, i: int) -> tuple[dict[str, str], set[str], set[str], dict]:
        """Document `i`'s translations, the sentences whose glossary terms are
        missing, those with a reviewed translation, and those the model could
        not finish (sentence -> the engine's `Unfinished` output)."""
        source = self.sources.get(i)
        if source is None:
            return {}, set(), set(), {}
        glossary = self.run.glossary
        mine: dict[str, str] = {}
        human: set[str] = set()
        unfinished: dict[str, Unfinished] = {}
        for sentence in dict.fromkeys(self.own[i]):
            if sentence in self.reviewed[source]:
                mine[sentence] = self.reviewed[source][sentence]
                human.add(sentence)
                continue
            text, state = self.protected[source][sentence]
            if text.strip() and text in self.outputs[source]:
                output = self.outputs[source][text]
                mine[sentence] = glossary.restore(output, state)
                if isinstance(output, Unfinished):
                    unfinished[sentence] = output
        flagged = {
            s
            for s, t in mine.items()
            if s not in human and s not in unfinished and glossary.missing_terms(s, t)
        }
        return mine, flagged, human, unfinished

    def export(self, i: int) -> None:
        """Document `i` to the renderer (here, or a worker); `written` gets its bytes."""
        result, document, _ = self.chunk[i]
        if result.reason:  # failed before translation (a missing model)
            return
        run, options = self.run, self.run.options
        translations, flagged, human, unfinished = self._translations(i)
        _note_unfinished(result, document, unfinished)
        source = self.sources.get(i)
        request = RenderRequest(
            document=document,
            target_lang=options.target_lang,
            translations=translations,
            reviewed=frozenset(human),
            flagged=frozenset(flagged),
            model=None if source is None else run.translator(source).package.label,
            glossary=None if run.glossary is None else run.glossary.name,
            formats=tuple(options.formats),
            granularity=options.granularity,
            date=run.date,
            keep=options.combine,
            failed={sentence: output.flag for sentence, output in unfinished.items()},
        )
        run.renderer.submit(request, functools.partial(self.written, i))

    def written(self, i: int, outcome: Rendered | str) -> None:
        """Write document `i`'s rendered files; a failure is its own."""
        result, _, stem = self.chunk[i]
        run, options = self.run, self.run.options
        if isinstance(outcome, str):  # rendering failed: the reason
            result.reason = outcome
            return
        result.translated_sentences = outcome.translated_sentences
        result.flags = outcome.flags
        try:
            result.files = write_files(outcome.files, stem, options, run.folder)
        except Exception as exc:
            result.reason = reason(exc)
            if isinstance(exc, OutputError) and exc.fatal:
                run.halted = result.reason  # no later document can be written either
            return
        if options.combine:
            run.combined[stem] = outcome.bilingual
        result.status = "done"
        run.exported = True


def _note_unfinished(
    result: DocumentResult, document: Document, unfinished: dict[str, Unfinished]
) -> None:
    """Count the sentences the model could not finish, each named in a warning
    with its place and reason (its row carries the flag)."""
    result.failed_sentences = 0
    if not unfinished:
        return
    for block in document.blocks:
        for number, sentence in enumerate(block.sentences, start=1):
            if sentence in unfinished:
                result.failed_sentences += 1
                result.warnings.append(
                    f"{document.path}: block {block.number} sentence {number}: "
                    f"flagged {unfinished[sentence].flag}: {unfinished[sentence].reason}"
                )


def _reviewed_translations(chunk, sources: dict[int, str], run: _Run) -> dict[str, dict[str, str]]:
    """Per model source language: the chunk's sentences that have a reviewed
    (human) translation in the memory, with that translation.

    Looked up by the sentence as read (before glossary placeholders) and the
    language pair, whatever the model: such a sentence skips the model.
    """
    found: dict[str, dict[str, str]] = {source: {} for source in sources.values()}
    if run.memory is None:
        return found
    for source in found:
        sentences = [
            sentence
            for i, s in sources.items()
            if s == source
            for block in chunk[i][1].blocks
            if goes_through_model(chunk[i][1], block, source)
            for sentence in block.sentences
            if sentence.strip()
        ]
        found[source] = run.memory.get_reviewed(source, run.options.target_lang, sentences)
    return found


def write_files(
    contents: list[bytes], stem: str, options: TranslateOptions, folder: OutputFolder | None = None
) -> list[str]:
    """One document's rendered files, each written atomically (and noted in
    `folder`'s run record when given); their paths."""
    written = []
    for data, path in zip(contents, output_paths(options.output_dir, options.formats, stem)):
        if folder is None:
            atomic_write_bytes(path, data)
        else:
            folder.write(path, data, stem)
        written.append(str(path))
    return written


def _translate_each(chunk, source, waiting, pending, run: _Run, finished) -> None:
    """After an engine error on a whole chunk: one document at a time.

    A document whose own sentences still fail is reported with the error and
    not exported; every other document is translated and written as usual.
    """
    translator = run.translator(source)
    for i, (result, _, _) in enumerate(chunk):
        texts = [text for (s, text), docs in waiting.items() if s == source and i in docs]
        if not texts or not pending.get(i):
            continue
        try:
            translator.translate(
                texts, progress=run.advance, memory=run.memory, on_translated=finished
            )
        except Exception as exc:
            # Not exported; a document sharing the bad sentence fails on its own turn.
            result.status = "failed"
            result.reason = f"translation failed: {reason(exc)}"
            pending[i] = 0


def _not_done(summary: RunSummary, rest: list[Path], stems: dict[Path, str], halted) -> None:
    """Mark what a stopped run did not finish: read-but-unwritten and unread documents."""
    status = "interrupted" if halted is None else "failed"
    reason = (
        "not done: the run was interrupted (run the same command again to finish)"
        if halted is None
        else f"not done: {halted}"
    )
    for result in summary.results:
        if result.status == "failed" and result.reason is None:
            result.status, result.reason = status, reason
    for path in rest:
        summary.results.append(
            DocumentResult(path=str(path), document=stems[path], status=status, reason=reason)
        )
