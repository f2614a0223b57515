"""The translate pipeline: paths in, bilingual documents and files out.

paths -> read -> detect -> segment -> translate (all sentences of the run
at once) -> align -> export. Each stage is a function of its own module; this
module only orders them, isolates failures per document, and writes files.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bitext.documents import BilingualDocument, Block, Document
from bitext.engine import DecodeOptions, Translator
from bitext.exporters import get_exporter
from bitext.models import InstalledPackage, find_package, missing_model_message, models_dir
from bitext.outputs import atomic_write_bytes, clean_temporaries, output_stems

#: Language codes that go through a Norwegian (Bokmål) model.
NORWEGIAN = {"nb", "nn", "no"}
#: Detection results that mean "cannot tell".
UNDECIDED = {"unknown", "uncertain", None}


class RequestError(Exception):
    """The request cannot work at all (exit code 2): nothing was done."""


@dataclass
class TranslateOptions:
    """Everything `bitext translate` can be told; defaults match the CLI."""

    output_dir: Path = Path("exports")
    formats: list[str] = field(default_factory=lambda: ["docx", "tsv"])
    source_lang: str = "auto"
    target_lang: str = "en"
    fast: bool = False
    models_dir: Path | None = None
    device: str = "cpu"
    compute_type: str = "default"
    threads: int | None = None
    overwrite: bool = False
    granularity: str = "block"


@dataclass
class DocumentResult:
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


@dataclass
class RunSummary:
    results: list[DocumentResult] = field(default_factory=list)

    @property
    def failed(self) -> list[DocumentResult]:
        return [r for r in self.results if r.status == "failed"]

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def languages(self) -> Counter:
        return Counter(r.language or "?" for r in self.results if r.status != "failed")

    @property
    def files(self) -> list[str]:
        return [f for r in self.results for f in r.files]

    def as_dict(self) -> dict:
        return {
            "documents": len(self.results),
            "done": self.count("done"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "blocks": sum(r.blocks for r in self.results),
            "sentences": sum(r.sentences for r in self.results),
            "translated_sentences": sum(r.translated_sentences for r in self.results),
            "languages": dict(sorted(self.languages.items())),
            "files": self.files,
            "results": [vars(r) for r in self.results],
        }


def model_language(code: str | None) -> str | None:
    """The model source code for a detected language (Nynorsk uses nb->en)."""
    if code in NORWEGIAN:
        return "nb"
    return code


def prepare_document(path: Path, doc_id: str, forced_lang: str | None) -> Document:
    """Read, detect and segment one file."""
    from bitext.detection import detect_document
    from bitext.reading import read_document
    from bitext.segmentation import split_sentences

    document = read_document(path, doc_id=doc_id)
    detect_document(document)
    if forced_lang:
        document.language = forced_lang
    for block in document.blocks:
        block.sentences = split_sentences(block.text, block.language or document.language or "nb")
    return document


def _goes_through_model(document: Document, block: Block, source: str) -> bool:
    """A block is translated when it is in the document's source language.

    Blocks detected as another language (an English quote) keep their own
    text; undecided blocks (short ones) follow the document.
    """
    if block.language in UNDECIDED:
        return True
    return model_language(block.language) == model_language(source)


class _Run:
    """State of one `translate` call."""

    def __init__(self, options: TranslateOptions, translator_factory) -> None:
        self.options = options
        self.translator_factory = translator_factory
        self.translators: dict[tuple[str, str], Translator] = {}

    def package_for(self, source: str) -> InstalledPackage:
        store = models_dir(self.options.models_dir)
        package = find_package(source, self.options.target_lang, store)
        if package is None:
            raise RequestError(missing_model_message(source, self.options.target_lang, store))
        return package

    def translator(self, source: str) -> Translator:
        key = (source, self.options.target_lang)
        if key not in self.translators:
            self.translators[key] = self.translator_factory(self.package_for(source), self.options)
        return self.translators[key]


def default_translator(package: InstalledPackage, options: TranslateOptions) -> Translator:
    return Translator(
        package,
        device=options.device,
        compute_type=options.compute_type,
        threads=options.threads,
        options=DecodeOptions.fast() if options.fast else DecodeOptions(),
    )


def _output_paths(options: TranslateOptions, stem: str) -> list[Path]:
    return [options.output_dir / f"{stem}{get_exporter(f).suffix}" for f in options.formats]


def translate_paths(
    paths: Iterable[str | os.PathLike[str]],
    options: TranslateOptions | None = None,
    *,
    translator_factory: Callable[
        [InstalledPackage, TranslateOptions], Translator
    ] = default_translator,
    progress: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """Translate every article under `paths` and write its exports.

    Raises RequestError before writing anything when the request cannot work
    (missing path, missing model). Failures of single documents are recorded
    in the summary and do not stop the others.
    """
    from bitext.reading import find_articles

    options = options or TranslateOptions()
    try:
        files = list(find_articles(paths))
    except FileNotFoundError as exc:
        raise RequestError(str(exc)) from exc
    inputs = {f.resolve() for f in files}
    stems = output_stems(files)
    forced = None if options.source_lang == "auto" else options.source_lang
    run = _Run(options, translator_factory)
    summary = RunSummary()
    prepared: list[tuple[DocumentResult, Document, str]] = []

    for path in files:
        stem = stems[path]
        result = DocumentResult(path=str(path), document=stem, status="failed")
        summary.results.append(result)
        outputs = _output_paths(options, stem)
        if any(p.resolve() in inputs for p in outputs):
            result.reason = "an output file would overwrite an input; choose another -o folder"
            continue
        if not options.overwrite and all(p.exists() for p in outputs):
            result.status = "skipped"
            result.reason = "already exported (use --overwrite to redo)"
            result.files = [str(p) for p in outputs]
            continue
        try:
            document = prepare_document(path, stem, forced)
        except Exception as exc:  # one bad file never stops the batch
            result.reason = _reason(exc)
            continue
        result.language = document.language
        result.warnings = list(document.warnings)
        result.blocks = len(document.blocks)
        result.sentences = sum(len(b.sentences) for b in document.blocks)
        if document.language in UNDECIDED:
            result.reason = (
                f"language {document.language or 'unknown'} (confidence "
                f"{document.language_confidence or 0:.2f}); give --from CODE to translate it anyway"
            )
            continue
        prepared.append((result, document, stem))

    # The models needed must all be there before any work is done.
    needed = sorted(
        {
            model_language(d.language)
            for _, d, _ in prepared
            if model_language(d.language) != options.target_lang
        }
    )
    for source in needed:
        run.package_for(source)

    by_source: dict[str, list[str]] = {}
    for _, document, _ in prepared:
        source = model_language(document.language)
        if source == options.target_lang:
            continue
        for block in document.blocks:
            if _goes_through_model(document, block, source):
                by_source.setdefault(source, []).extend(block.sentences)
    translations: dict[str, dict[str, str]] = {}
    total = sum(len(set(s)) for s in by_source.values())
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done += count
        if progress:
            progress(min(done, total), total)

    for source, sentences in by_source.items():
        translator = run.translator(source)
        unique = list(dict.fromkeys(sentences))
        outputs = translator.translate(unique, progress=advance)
        translations[source] = dict(zip(unique, outputs))

    options.output_dir.mkdir(parents=True, exist_ok=True)
    clean_temporaries(options.output_dir)
    for result, document, stem in prepared:
        try:
            bilingual = build_bilingual(document, translations, run, options)
            result.translated_sentences = sum(
                1 for r in bilingual.rows if r.source_lang != r.target_lang
            )
            result.files = write_exports(bilingual, stem, options)
            result.status = "done"
        except Exception as exc:
            result.reason = _reason(exc)
    return summary


def build_bilingual(
    document: Document,
    translations: dict[str, dict[str, str]],
    run: _Run,
    options: TranslateOptions,
) -> BilingualDocument:
    from bitext.alignment import translation_rows

    source = model_language(document.language) or "nb"
    target = options.target_lang
    note = None
    model = None
    if source == target:
        note = f"Already {target}: shown beside itself, not translated."
        rows = translation_rows(
            document, {}, source_lang=source, target_lang=target, translate_block=lambda b: False
        )
    else:
        package = run.translator(source).package
        model = f"{package.code} {package.version}".strip()
        if document.language != source:
            note = f"Detected {document.language}; translated with the {source}->{target} model."
        rows = translation_rows(
            document,
            translations.get(source, {}),
            source_lang=document.language or source,
            target_lang=target,
            translate_block=lambda b: _goes_through_model(document, b, source),
        )
    metadata = {}
    if document.language_confidence is not None:
        metadata["Detected language"] = f"{document.language} ({document.language_confidence:.2f})"
    return BilingualDocument(
        document=document,
        rows=rows,
        source_lang=document.language or source,
        target_lang=target,
        model=model,
        note=note,
        metadata=metadata,
    )


def write_exports(bilingual: BilingualDocument, stem: str, options: TranslateOptions) -> list[str]:
    written = []
    for name, path in zip(options.formats, _output_paths(options, stem)):
        data = get_exporter(name).render(bilingual, granularity=options.granularity)
        atomic_write_bytes(path, data)
        written.append(str(path))
    return written


def _reason(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return (
        text
        if not isinstance(exc, OSError) or exc.filename is None
        else f"{exc.filename}: {exc.strerror}"
    )
