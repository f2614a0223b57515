"""The align pipeline: an article and its existing translation in, bilingual files out.

paths -> pair (two files, one folder of `x.txt` + `x.en.txt`, or two folders
with the same file names) -> read, detect, segment (the same stages as
`translate`) -> optionally machine-translate the source (`use_model`) ->
`bitext.align.aligner.align_sentences` -> rows -> checks -> export.

Rows are `BilingualRow`s, one per link, so every exporter of `translate`
writes them unchanged. Ids of a row: the block and 1-based sentence number
of its first source sentence; a 0-1 link (a target sentence with no source)
takes the block of the source sentence before it (the document's first
block when there is none) and sentence number 0, so ids stay in document
order, block-level exports keep the row beside its neighbours, and a
sentence number 0 always means "no source sentence". Its `kind` is that of
the target sentence's block.
"""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from bitext import runs
from bitext.documents import BilingualDocument, BilingualRow, Document
from bitext.pipeline import prepare_document
from bitext.record import holds_record
from bitext.rendering import NORWEGIAN, UNDECIDED, goes_through_model, model_language
from bitext.reruns import OutputFolder, open_output_folder

#: A translation named after its source with a language code: `article.en.txt`.
_TRANSLATION_NAME = re.compile(r"^(?P<base>.+)\.(?P<lang>[a-z]{2,3}(?:[-_][A-Za-z]{2})?)$")


class AlignRequestError(runs.RequestError):
    """An align request that cannot work at all (exit code 2): nothing was written."""


@dataclass
class AlignOptions(runs.RunOptions):
    """Everything `bitext align` can be told; defaults match the CLI."""

    #: Language codes, or 'auto' to detect each document.
    source_lang: str = "auto"
    target_lang: str = "auto"
    #: Translate the source with an installed model and add chrF to the costs.
    use_model: bool = False
    #: Replace edited exports without keeping them aside (bitext.reruns).
    discard_edits: bool = False


@dataclass
class AlignResult(runs.Result):
    """What happened to one source file (and the translation it was paired with)."""

    path: str
    target: str | None
    document: str
    status: str  # done | skipped | failed | interrupted
    reason: str | None = None
    source_lang: str | None = None
    target_lang: str | None = None
    source_sentences: int = 0
    target_sentences: int = 0
    links: int = 0
    #: Link type ("1-1", "2-1", ...) -> count.
    link_types: dict[str, int] = field(default_factory=dict)
    weak: int = 0
    used_model: str | None = None
    files: list[str] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class AlignSummary(runs.Summary):
    """The pairs of an `align` run, each an AlignResult."""

    #: Edited exports found before they were replaced (bitext.reruns.KeptEdit, as dicts).
    edits: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "pairs": len(self.results),
            "done": self.count("done"),
            "skipped": self.count("skipped"),
            "failed": self.count("failed"),
            "not_done": self.count("interrupted"),
            "links": sum(r.links for r in self.results),
            "weak": sum(r.weak for r in self.results),
            "flags": dict(self.flag_counts),
            "files": self.files,
            "edits": self.edits,
            "results": [vars(r) for r in self.results],
        }


@dataclass
class _Pair:
    source: Path
    target: Path | None
    #: Why the pair cannot be aligned (a source without a translation ...).
    problem: str | None = None
    status: str = "failed"


# --------------------------------------------------------------------------
# Pairing
# --------------------------------------------------------------------------


def _translation_parts(path: Path) -> tuple[str, str] | None:
    """(`article`, `en`) for `article.en.txt`; None for a name without a code."""
    match = _TRANSLATION_NAME.match(path.stem)
    if match is None:
        return None
    return match["base"], match["lang"].lower().replace("_", "-")


def pair_folder(folder: Path, target_lang: str = "auto", source_lang: str = "auto") -> list[_Pair]:
    """Pairs of one folder: `x.txt` with `x.<code>.txt` beside it.

    With a target code only `x.<code>.*` counts as a translation; with
    'auto' any language code does, and a source with several is a problem
    to report (which one is meant cannot be guessed). Where there is no plain
    `x.txt`, `x.nb.txt` (or `x.<source_lang>.txt`) is the source, so
    `article.nb.txt` pairs with `article.en.txt`.
    """
    from bitext.readers import find_articles

    files = list(find_articles([folder]))
    # The codes that name a source: Norwegian ones, or the --from code.
    source_codes = NORWEGIAN if source_lang == "auto" else {source_lang.lower()}
    plain = {(p.parent, p.stem) for p in files if _translation_parts(p) is None}
    sources: list[tuple[Path, str]] = []
    by_base: dict[tuple[Path, str], list[Path]] = {}
    for path in files:
        parts = _translation_parts(path)
        if parts is None:
            sources.append((path, path.stem))
            continue
        base, lang = parts
        if lang in source_codes and (path.parent, base) not in plain:
            sources.append((path, base))
            continue
        if target_lang != "auto" and lang != target_lang.lower():
            continue
        by_base.setdefault((path.parent, base), []).append(path)
    pairs = []
    for path, base in sources:
        found = by_base.get((path.parent, base), [])
        if len(found) == 1:
            pairs.append(_Pair(path, found[0]))
        elif not found:
            expected = f"{base}.{target_lang if target_lang != 'auto' else 'en'}.txt"
            pairs.append(
                _Pair(path, None, f"no translation beside it (expected {expected})", "skipped")
            )
        else:
            names = ", ".join(p.name for p in sorted(found))
            pairs.append(
                _Pair(path, None, f"several translations ({names}); give --to CODE to choose")
            )
    return pairs


def pair_folders(source: Path, target: Path) -> list[_Pair]:
    """Pairs of two folders: files with the same path relative to each folder."""
    from bitext.readers import find_articles

    targets = {p.relative_to(target).as_posix(): p for p in find_articles([target])}
    pairs = []
    for path in find_articles([source]):
        name = path.relative_to(source).as_posix()
        other = targets.pop(name, None)
        if other is None:
            pairs.append(_Pair(path, None, f"no file {name} in {target}"))
        else:
            pairs.append(_Pair(path, other))
    return pairs


def find_pairs(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str] | None,
    target_lang: str,
    source_lang: str = "auto",
) -> list[_Pair]:
    """The (source, translation) pairs a request names; AlignRequestError if none can be."""
    source = Path(source)
    target = Path(target) if target is not None else None
    for path in (source, target):
        if path is not None and not path.exists():
            raise AlignRequestError(f"no such file or folder: {path}")
    if target is None:
        if not source.is_dir():
            raise AlignRequestError(
                f"{source} is a file: give its translation too (bitext align SOURCE TARGET)"
            )
        pairs = pair_folder(source, target_lang, source_lang)
    elif source.is_dir() and target.is_dir():
        pairs = pair_folders(source, target)
    elif source.is_file() and target.is_file():
        pairs = [_Pair(source, target)]
    else:
        raise AlignRequestError("give two files or two folders (or one folder of x.txt, x.en.txt)")
    if not any(p.target is not None for p in pairs):
        raise AlignRequestError(
            f"no article with a translation found in {source}"
            + (f" and {target}" if target else " (expected pairs like x.txt and x.en.txt)")
        )
    return pairs


# --------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------


def _flat(document: Document) -> tuple[list[list[str]], list[tuple[int, int, str, str | None]]]:
    """Paragraphs of sentences (non-empty blocks) and (block, sentence, kind,
    language) of each flat sentence."""
    paragraphs, where = [], []
    for block in document.blocks:
        if not block.sentences:
            continue
        paragraphs.append(list(block.sentences))
        for number, _ in enumerate(block.sentences, start=1):
            where.append((block.number, number, block.kind.value, block.language))
    return paragraphs, where


def link_rows(
    source: Document,
    target: Document,
    links: Iterable,
    *,
    source_lang: str,
    target_lang: str,
) -> list[BilingualRow]:
    """One row per link, with the ids described in the module docstring."""
    from bitext.checks import WEAK_ALIGNMENT

    _, src_where = _flat(source)
    _, tgt_where = _flat(target)
    src_text = [s for b in source.blocks for s in b.sentences]
    tgt_text = [s for b in target.blocks for s in b.sentences]
    first_block = src_where[0][0] if src_where else 0
    rows = []
    last_source = -1  # flat index of the last source sentence seen
    for link in links:
        if link.source:
            block, sentence, kind, _ = src_where[link.source[0]]
            last_source = link.source[-1]
        else:
            block = src_where[last_source][0] if last_source >= 0 else first_block
            sentence, kind = 0, tgt_where[link.target[0]][2]
        rows.append(
            BilingualRow(
                document=source.id,
                block=block,
                kind=kind,
                sentence=sentence,
                source_lang=source_lang,
                source=" ".join(src_text[i] for i in link.source),
                target_lang=target_lang,
                target=" ".join(tgt_text[j] for j in link.target),
                flags=[WEAK_ALIGNMENT] if link.weak else [],
                score=round(float(link.score), 4),
            )
        )
    return rows


def _link_type(link) -> str:
    return f"{len(link.source)}-{len(link.target)}"


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------


def _language(document: Document, forced: str, side: str, option: str) -> str:
    if forced != "auto":
        return forced
    if document.language in UNDECIDED:
        raise ValueError(
            f"cannot tell the language of the {side} ({document.language or 'unknown'}, "
            f"confidence {document.language_confidence or 0:.2f}); give {option} CODE"
        )
    return document.language


class _Models:
    """Translators by language pair, loaded once; a missing one raises MissingModel."""

    def __init__(self, options: AlignOptions, factory: Callable | None) -> None:
        self.options = options
        self.factory = factory
        self.loaded: dict[tuple[str, str], object] = {}

    def get(self, source: str, target: str):
        from bitext.models import find_package, models_dir

        key = (source, target)
        if key not in self.loaded:
            store = models_dir(self.options.models_dir)
            package = find_package(source, target, store)
            if package is None:
                raise runs.MissingModel(source, target, store)
            if self.factory is not None:
                self.loaded[key] = self.factory(package)
            else:
                from bitext.engine import Translator

                self.loaded[key] = Translator(
                    package, device=self.options.device, threads=self.options.threads
                )
        return self.loaded[key]


def machine_translations(document: Document, translator, source_lang: str) -> list[str]:
    """A translation of every flat source sentence, for the aligner's chrF.

    Blocks detected as another language than the document's (an English
    quote in a Norwegian article) are passed through as they are, as
    `translate` does.
    """
    sentences, through = [], []
    for block in document.blocks:
        goes = goes_through_model(document, block, source_lang)
        for sentence in block.sentences:
            sentences.append(sentence)
            through.append(goes)
    wanted = [s for s, g in zip(sentences, through) if g]
    done = dict(zip(wanted, translator.translate(wanted))) if wanted else {}
    return [done.get(s, s) if g else s for s, g in zip(sentences, through)]


def align_documents(
    source: Document,
    target: Document,
    *,
    source_lang: str,
    target_lang: str,
    translator=None,
) -> tuple[BilingualDocument, list]:
    """Align two read, detected and segmented documents into a BilingualDocument.

    Returns it with the links (for counts). `translator`, when given, turns
    the source into the target language for the chrF part of the costs.
    """
    from bitext.align.aligner import align_sentences
    from bitext.checks import apply_checks

    src_pars, _ = _flat(source)
    tgt_pars, _ = _flat(target)
    translations = None
    if translator is not None:
        translations = machine_translations(source, translator, model_language(source_lang))
    links = align_sentences(src_pars, tgt_pars, translations=translations)
    rows = link_rows(source, target, links, source_lang=source_lang, target_lang=target_lang)
    # Targets are human translations: the language-detection half of the
    # `untranslated` check (the slowest check, as long as the alignment itself
    # on a long document) is left out; copied-through text is still flagged.
    apply_checks(rows, detect=False)
    model = None
    if translator is not None:
        model = translator.package.label
    weak = sum(link.weak for link in links)
    from bitext.readers import input_name

    metadata = {
        "Input": input_name(source.input_kind or "text"),
        "Translation file": target.path or target.id,
        "Alignment": f"{len(links)} links, {weak} weak (score < 0.5)",
    }
    note = "Aligned with an existing translation"
    note += "; the model only guided the alignment." if model else " (no model)."
    bilingual = BilingualDocument(
        document=source,
        rows=rows,
        source_lang=source_lang,
        target_lang=target_lang,
        model=model,
        note=note,
        metadata=metadata,
        date_label="Aligned",
    )
    return bilingual, links


#: Why a pair is not done when a stop request came first.
_NOT_DONE = "not done: the run was stopped"


def align_paths(
    source: str | os.PathLike[str],
    target: str | os.PathLike[str] | None = None,
    options: AlignOptions | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    translator_factory: Callable | None = None,
    stop: threading.Event | None = None,
) -> AlignSummary:
    """Align every (article, translation) pair a request names and write its exports.

    `source` and `target` are two files, two folders (files paired by path),
    or `source` alone: a folder of `x.txt` beside `x.en.txt`. Each pair's
    files are `<output_dir>/<source-stem>.<ext>`, written atomically.
    Raises AlignRequestError before writing anything when the request cannot
    work (unknown format, missing path, nothing to pair, unwritable output),
    and runs.MissingModel when `use_model` finds no model; a bad pair is recorded
    as failed and the others go on.
    `progress(handled, total)` hears of each pair as it is handled. Pairs whose exports
    all exist are skipped unless `options.overwrite`. When `stop` is set (the
    CLI sets it on Ctrl+C or SIGTERM), the pair in hand is finished and the
    rest are recorded as `interrupted`, for the next run to do.
    """
    from bitext.exporters import check_formats
    from bitext.outputs import check_writable, output_stems

    options = options or AlignOptions()
    _check_languages(options)
    with runs.refusing(AlignRequestError):
        check_formats(options.formats)
        pairs = find_pairs(source, target, options.target_lang, options.source_lang)
        check_writable(options.output_dir)
    run = _AlignRun(options, pairs, _Models(options, translator_factory), stop)
    run.folder = _output_folder(options, [source] if target is None else [source, target])
    if options.use_model and "auto" not in (options.source_lang, options.target_lang):
        run.models.get(model_language(options.source_lang), model_language(options.target_lang))
    stems = output_stems([p.source for p in pairs])
    summary = AlignSummary()
    for handled, pair in enumerate(pairs):
        if progress is not None:
            progress(handled, len(pairs))
        result = AlignResult(
            path=str(pair.source),
            target=str(pair.target) if pair.target else None,
            document=stems[pair.source],
            status="failed",
        )
        summary.results.append(result)
        run.align_pair(pair, result)
    if progress is not None:
        progress(len(pairs), len(pairs))
    summary.edits = [dataclasses.asdict(k) for k in run.folder.kept]
    if run.written_any or run.folder.kept or holds_record(options.output_dir):
        run.folder.settle(summary.results)
    return summary


def _check_languages(options: AlignOptions) -> None:
    """An unknown `--from`/`--to` code is refused at once (exit 2)."""
    from bitext.languages import UnknownLanguage, check_code

    try:
        check_code(options.source_lang, auto=True)
        check_code(options.target_lang, auto=True)
    except UnknownLanguage as exc:
        raise AlignRequestError(str(exc)) from exc


def _output_folder(options: AlignOptions, inputs: list) -> OutputFolder:
    """The output folder's run record (bitext.reruns): every file written is noted."""
    return open_output_folder(
        options.output_dir,
        AlignRequestError,
        command="align",
        inputs=inputs,
        discard_edits=options.discard_edits,
    )


class _AlignRun:
    """State of one `align` call: what every pair is checked against, and
    whether anything is written yet (until then, a missing model fails the
    whole request instead of one pair)."""

    def __init__(self, options: AlignOptions, pairs: list[_Pair], models: _Models, stop) -> None:
        self.options = options
        self.models = models
        self.stop: threading.Event | None = stop
        self.inputs = {p.resolve() for pair in pairs for p in (pair.source, pair.target) if p}
        self.written_any = False
        #: The output folder's record (set once the request is checked).
        self.folder: OutputFolder

    def stopping(self) -> bool:
        return self.stop is not None and self.stop.is_set()

    def checkpoint(self) -> None:
        """Between the blocks of a document being read: stop here when asked to."""
        if self.stopping():
            raise runs.Stopped()

    def align_pair(self, pair: _Pair, result: AlignResult) -> None:
        """Claim the pair's outputs, read both sides, align them, write the exports."""
        options = self.options
        if self.stopping():
            result.settle("interrupted", _NOT_DONE)
            return
        if pair.problem is not None:
            result.settle(pair.status, pair.problem)
            return
        outputs = runs.output_paths(options.output_dir, options.formats, result.document)
        claim = runs.claim_outputs(outputs, self.inputs, options.overwrite)
        if claim is not None:
            result.settle(*claim)
            return
        try:
            documents = self._read(pair, result)
            self.folder.before_replacing(outputs, result.document, None, options.target_lang)
        except Exception as exc:  # one bad file never stops the others
            result.fail(exc)
            return
        except runs.Stopped:
            result.settle("interrupted", _NOT_DONE)
            return
        if documents is None:
            result.settle("skipped", "both files are empty: nothing to align")
            return
        translator = None
        if options.use_model:
            try:
                translator = self.models.get(*map(model_language, documents[2:]))
            except runs.MissingModel as exc:
                if not self.written_any:
                    raise  # nothing written yet: the whole request fails cleanly
                result.fail(exc)
                return
            result.used_model = translator.package.label
        try:
            self._write(documents, translator, outputs, result)
        except Exception as exc:
            result.fail(exc)

    def _read(self, pair: _Pair, result: AlignResult):
        """Both sides read, detected and segmented, with their languages; None
        when both are empty. Raises when one side alone is empty or its
        language cannot be told."""
        options, stem = self.options, result.document
        forced_src = None if options.source_lang == "auto" else options.source_lang
        forced_tgt = None if options.target_lang == "auto" else options.target_lang
        src_doc = prepare_document(pair.source, stem, forced_src, options.limits, self.checkpoint)
        tgt_doc = prepare_document(pair.target, stem, forced_tgt, options.limits, self.checkpoint)
        result.warnings = src_doc.warnings + tgt_doc.warnings
        result.source_sentences = sum(len(b.sentences) for b in src_doc.blocks)
        result.target_sentences = sum(len(b.sentences) for b in tgt_doc.blocks)
        if not result.source_sentences and not result.target_sentences:
            return None
        for path, count in (
            (pair.source, result.source_sentences),
            (pair.target, result.target_sentences),
        ):
            if not count:
                raise ValueError(f"{path.name} has no text: nothing to align it with")
        src_lang = _language(src_doc, options.source_lang, "source", "--from")
        tgt_lang = _language(tgt_doc, options.target_lang, "translation", "--to")
        result.source_lang, result.target_lang = src_lang, tgt_lang
        return src_doc, tgt_doc, src_lang, tgt_lang

    def _write(self, documents, translator, outputs: list[Path], result: AlignResult) -> None:
        """Align the read pair, count its links and flags, write every export."""
        from bitext.exporters import get_exporter

        options = self.options
        src_doc, tgt_doc, src_lang, tgt_lang = documents
        bilingual, links = align_documents(
            src_doc, tgt_doc, source_lang=src_lang, target_lang=tgt_lang, translator=translator
        )
        result.links = len(links)
        result.link_types = dict(sorted(Counter(map(_link_type, links)).items()))
        result.weak = sum(link.weak for link in links)
        result.flags = dict(Counter(f for row in bilingual.rows for f in row.flags))
        if not self.written_any:
            options.output_dir.mkdir(parents=True, exist_ok=True)
        for name, path in zip(options.formats, outputs):
            data = get_exporter(name).render(bilingual, granularity=options.granularity)
            self.folder.write(path, data, result.document)
            result.files.append(str(path))
            self.written_any = True
        result.status = "done"
