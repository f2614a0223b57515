"""What `bitext serve` does with text: the CLI's own stages, fed through the batcher.

The answers must equal `bitext translate`'s on the same sentences, so nothing
here translates on its own terms:

- LibreTranslate's `/translate` text is cut into paragraphs and sentences by
  the readers' cleaning and `bitext.segmentation` (the CLI's rules); each
  sentence passes the glossary (`protect`, then `restore`), reviewed
  translations come from the memory, and the rest from the model through the
  `Batcher`, whose memory answers repeats. HTML keeps its markup: its text
  nodes are translated the same way.
- `/v1/translate` runs the translate pipeline itself (`translate_paths`, JSONL
  export) on the uploaded article, with a translator that hands its sentences
  to the batcher: reading, detection, memory, glossary and checks are the
  pipeline's, so the rows are the JSONL export's.
- `/v1/align` runs `bitext.align.pipeline.align_documents` on two articles.

Everything here is synchronous; the API runs it in worker threads and waits
for the batcher's futures without blocking the event loop.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path

from bitext.engine import TranslateStats
from bitext.models import InstalledPackage, list_installed, models_dir
from bitext.pipeline import TranslateOptions, default_translator, load_glossary
from bitext.rendering import NORWEGIAN, UNDECIDED, model_language
from bitext.runs import RequestError
from bitext.web.batching import Batcher, BatcherClosed, QueueFull

#: A blank line (with any spaces) between paragraphs; kept as it is in the answer.
_PARAGRAPH_BREAK = re.compile(r"(\n[ \t]*\n\s*)")
#: Elements whose text is not prose to translate.
_SKIPPED_ELEMENTS = frozenset({"script", "style", "code", "pre", "kbd", "samp", "var"})


class BadRequest(ValueError):
    """The request cannot be answered as asked (HTTP 400)."""


class Busy(Exception):
    """The server is at its limit or shutting down (HTTP 503 with Retry-After)."""


@dataclass
class ServeOptions:
    """Everything `bitext serve` is told beyond where it listens."""

    #: The model, memory and glossary options, as `bitext translate` takes them.
    translate: TranslateOptions = field(default_factory=TranslateOptions)
    #: Gather the sentences of concurrent requests into shared batches.
    cross_request: bool = True
    #: Sentences waiting for the model, all requests together (then 503).
    max_queued: int = 4096
    #: Texts in one LibreTranslate request (`q` as a list).
    max_texts: int = 128
    #: Sentences in one request, all its texts together.
    max_sentences: int = 1000
    #: Characters in one request, all its texts together (LibreTranslate's charLimit).
    max_chars: int = 100_000
    #: HTML elements in one text of format html.
    max_elements: int = 10_000
    #: Seconds one request may take, queueing included (then 503).
    request_seconds: float = 60.0


@dataclass
class Pair:
    """One loaded model and the batcher that owns it."""

    package: InstalledPackage
    batcher: Batcher


class Service:
    """The loaded models, glossary and memory of one server."""

    def __init__(self, options: ServeOptions) -> None:
        self.options = options
        topts = options.translate
        self.glossary = load_glossary(topts)
        self.pairs: dict[tuple[str, str], Pair] = {}
        self._memories: list = []
        self._reviewed_lock = threading.Lock()
        self._reviewed_memory = self._open_memory()
        store = models_dir(topts.models_dir)
        for package in list_installed(store):
            key = (package.from_code, package.to_code)
            if key in self.pairs:
                continue
            translator = default_translator(package, topts)
            batcher = Batcher(
                translator,
                self._open_memory(),
                cross_request=options.cross_request,
                max_queued=options.max_queued,
            )
            self.pairs[key] = Pair(package, batcher)
        if not self.pairs:
            raise RequestError(
                f"no translation model is installed in {store}: "
                "install one with `bitext models install nb-en`"
            )

    def _open_memory(self):
        if not self.options.translate.cache:
            return None
        from bitext.memory import TranslationMemory, default_path

        memory = TranslationMemory(self.options.translate.cache_path or default_path())
        self._memories.append(memory)
        return memory

    def start(self) -> None:
        """Load every model now (a request never pays for it) and start the batchers."""
        for pair in self.pairs.values():
            pair.batcher.translator.translate_tokens([["▁a"]])  # loads the CTranslate2 model
            pair.batcher.start()

    def close(self) -> None:
        """Finish the queued work, then stop the batchers and close the memory."""
        for pair in self.pairs.values():
            pair.batcher.close()
        for memory in self._memories:
            memory.close()

    # -- languages ------------------------------------------------------------

    def languages(self) -> list[dict]:
        """LibreTranslate's `/languages`: each code with the targets it translates into."""
        from bitext.exporters.docx import language_name

        targets: dict[str, set[str]] = {}
        for source, target in self.pairs:
            targets.setdefault(source, set()).add(target)
            targets.setdefault(target, set())
        return [
            {"code": code, "name": language_name(code), "targets": sorted(targets[code])}
            for code in sorted(targets)
        ]

    def pair(self, source: str, target: str) -> Pair:
        """The model for `source` -> `target` (Nynorsk and `no` use the nb model)."""
        found = self.pairs.get((model_language(source) or source, target))
        if found is None:
            known = {code for pair in self.pairs for code in pair}
            bad = target if target not in known else source
            raise BadRequest(f"{bad} is not supported")
        return found

    def check_code(self, code: str, what: str) -> None:
        known = {c for pair in self.pairs for c in pair} | (NORWEGIAN if self._has_nb() else set())
        if code not in known:
            raise BadRequest(f"{code} is not supported ({what})")

    def _has_nb(self) -> bool:
        return any(source == "nb" for source, _ in self.pairs)

    # -- waiting on the batcher ---------------------------------------------

    def wait(self, batcher: Batcher, texts: Sequence[str], deadline: float) -> dict[str, str]:
        """The model's translations of `texts`, within `deadline` (time.monotonic)."""
        future = self.submit(batcher, texts)
        return self.result(batcher, future, deadline)

    @staticmethod
    def submit(batcher: Batcher, texts: Sequence[str]) -> Future:
        try:
            return batcher.submit(texts)
        except QueueFull as exc:
            raise Busy(str(exc)) from exc
        except BatcherClosed as exc:
            raise Busy(str(exc)) from exc

    def result(self, batcher: Batcher, future: Future, deadline: float) -> dict[str, str]:
        try:
            return future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout as exc:
            batcher.cancel(future)
            raise Busy(
                f"the request took longer than {self.options.request_seconds:g} s; "
                "send fewer sentences or try again later"
            ) from exc

    def reviewed(self, source: str, target: str, sentences: list[str]) -> dict[str, str]:
        """Reviewed (human) translations from the memory, as the CLI uses them."""
        if self._reviewed_memory is None or not sentences:
            return {}
        with self._reviewed_lock:
            return self._reviewed_memory.get_reviewed(source, target, sentences)


# -- LibreTranslate text and HTML -------------------------------------------


def detect(text: str) -> list[dict]:
    """LibreTranslate's `/detect` answer: candidates, confidence 0-100, best first."""
    from bitext.detection import detect_text

    found = detect_text(text)
    ranked = list(found.candidates) or [(found.language, found.confidence)]
    return [
        {"confidence": round(float(score) * 100, 1), "language": code}
        for code, score in ranked
        if code not in UNDECIDED
    ] or [{"confidence": 0.0, "language": "unknown"}]


@dataclass
class TextJob:
    """The texts of one `/translate` request, cut into sentences, and their way back."""

    service: Service
    source: str
    target: str
    html: bool
    #: Per text: its pieces, each a verbatim string or a list of sentences.
    pieces: list[list] = field(default_factory=list)
    #: Per HTML text: its parsed tree and the text slots in piece order.
    trees: list = field(default_factory=list)
    #: Sentence -> (text the model sees, glossary state).
    protected: dict[str, tuple[str, object]] = field(default_factory=dict)
    reviewed: dict[str, str] = field(default_factory=dict)
    sentences: int = 0

    def add_text(self, text: str) -> None:
        if self.html:
            self._add_html(text)
        else:
            self.pieces.append(self._plan(text))

    def _plan(self, text: str) -> list:
        """Paragraph breaks verbatim; each paragraph's sentences as the CLI cuts them."""
        from bitext.readers.base import clean_block, normalise
        from bitext.segmentation import split_sentences

        pieces: list = []
        for index, chunk in enumerate(_PARAGRAPH_BREAK.split(text)):
            if index % 2:
                pieces.append(chunk)
                continue
            body = clean_block(normalise(chunk))
            lead = chunk[: len(chunk) - len(chunk.lstrip())]
            trail = chunk[len(chunk.rstrip()) :] if chunk.strip() else ""
            sentences = split_sentences(body, self.source) if body else []
            pieces += [lead, sentences, trail]
            self.sentences += len(sentences)
            for sentence in sentences:
                if sentence not in self.protected:
                    self.protected[sentence] = self.service.glossary.protect(sentence)
        if self.sentences > self.service.options.max_sentences:
            raise BadRequest(
                f"Invalid request: {self.sentences} sentences exceed the limit "
                f"({self.service.options.max_sentences})"
            )
        return pieces

    def _add_html(self, text: str) -> None:
        import lxml.html

        try:
            root = lxml.html.fragment_fromstring(text, create_parent="div")
        except Exception as exc:  # lxml's ParserError and friends
            raise BadRequest(f"Invalid request: cannot parse the HTML ({exc})") from exc
        slots = []
        elements = 0
        for element in root.iter():
            elements += 1
            if not isinstance(element.tag, str):  # comments, processing instructions
                slots.append((element, "tail"))
                continue
            if element.tag not in _SKIPPED_ELEMENTS:
                slots.append((element, "text"))
            if element is not root:
                slots.append((element, "tail"))
        if elements > self.service.options.max_elements:
            raise BadRequest(
                f"Invalid request: {elements} HTML elements exceed the limit "
                f"({self.service.options.max_elements})"
            )
        plans = [self._plan(getattr(el, attr) or "") for el, attr in slots]
        self.trees.append((root, slots))
        self.pieces.append(plans)

    def model_texts(self) -> list[str]:
        """The texts for the model: protected sentences without a reviewed translation."""
        self.reviewed = self.service.reviewed(
            model_language(self.source) or self.source, self.target, list(self.protected)
        )
        return [
            text
            for sentence, (text, _) in self.protected.items()
            if sentence not in self.reviewed and text.strip()
        ]

    def finish(self, outputs: dict[str, str]) -> list[str]:
        """Each text translated: the model's outputs restored and put back in place."""
        if not self.html:
            return [self._join(pieces, outputs) for pieces in self.pieces]
        import lxml.html

        answers = []
        for (root, slots), plans in zip(self.trees, self.pieces):
            for (element, attr), pieces in zip(slots, plans):
                if getattr(element, attr):
                    setattr(element, attr, self._join(pieces, outputs))
            html = lxml.html.tostring(root, encoding="unicode")
            answers.append(html[len("<div>") : -len("</div>")])
        return answers

    def _join(self, pieces: list, outputs: dict[str, str]) -> str:
        out = []
        for piece in pieces:
            if isinstance(piece, str):
                out.append(piece)
            else:
                out.append(" ".join(self._sentence(s, outputs) for s in piece))
        return "".join(out)

    def _sentence(self, sentence: str, outputs: dict[str, str]) -> str:
        if sentence in self.reviewed:
            return self.reviewed[sentence]
        text, state = self.protected[sentence]
        if not text.strip():
            return ""
        return self.service.glossary.restore(outputs.get(text, ""), state)


# -- bitext's own endpoints: whole articles -------------------------------------


class _BatchedTranslator:
    """What the translate pipeline calls a translator, answered by a batcher.

    The pipeline hands it every sentence of the document in one call, as it
    does the engine; the sentences join the other requests' batches.
    """

    def __init__(self, service: Service, pair: Pair, deadline: float) -> None:
        self.service = service
        self.pair = pair
        self.package = pair.package
        self.deadline = deadline
        self.last_stats = TranslateStats()
        self.error: Exception | None = None

    def translate(self, sentences, progress=None, *, memory=None, on_translated=None):
        self.last_stats = TranslateStats(sentences=len(sentences))
        try:
            done = self.service.wait(self.pair.batcher, sentences, self.deadline)
        except Exception as exc:  # kept: the API answers with its status
            self.error = exc
            raise
        self.last_stats.translated = len(done)
        if on_translated and done:
            on_translated(done)
        if progress and done:
            progress(len(done))
        return [done.get(s, "") for s in sentences]


def translate_article(
    service: Service, data: bytes, filename: str, source: str, target: str
) -> tuple[list[dict], dict]:
    """The JSONL export's rows of one article (its bytes), and its summary."""
    from bitext.pipeline import translate_paths

    deadline = time.monotonic() + service.options.request_seconds
    used: list[_BatchedTranslator] = []

    def factory(package: InstalledPackage, options: TranslateOptions):
        used.append(_BatchedTranslator(service, service.pair(package.from_code, target), deadline))
        return used[-1]

    with tempfile.TemporaryDirectory(prefix="bitext-serve-") as folder:
        path = Path(folder) / "in" / _safe_name(filename)
        path.parent.mkdir()
        path.write_bytes(data)
        base = service.options.translate
        options = TranslateOptions(
            output_dir=Path(folder) / "out",
            formats=["jsonl"],
            source_lang=source,
            target_lang=target,
            models_dir=base.models_dir,
            glossaries=base.glossaries,
            default_glossary=base.default_glossary,
            cache=base.cache,
            cache_path=base.cache_path,
            fast=base.fast,
            limits=base.limits,
        )
        summary = translate_paths([path], options, translator_factory=factory)
        for translator in used:
            if isinstance(translator.error, Busy):
                raise translator.error
        result = summary.results[0]
        if result.status != "done":
            raise BadRequest(f"cannot translate {filename}: {result.reason}")
        rows = _rows(Path(result.files[0]))
    return rows, _summary(result)


def align_article(
    service: Service,
    source: tuple[bytes, str],
    target: tuple[bytes, str],
    source_lang: str,
    target_lang: str,
) -> tuple[list[dict], dict]:
    """Rows of an article aligned with its given translation (`bitext align`'s)."""
    from bitext.align.pipeline import align_documents
    from bitext.exporters.jsonl import row_object
    from bitext.pipeline import prepare_document

    limits = service.options.translate.limits
    with tempfile.TemporaryDirectory(prefix="bitext-serve-") as folder:
        documents = []
        for side, (data, filename), forced in (
            ("source", source, source_lang),
            ("target", target, target_lang),
        ):
            path = Path(folder) / side / _safe_name(filename)
            path.parent.mkdir()
            path.write_bytes(data)
            try:
                documents.append(
                    prepare_document(path, path.stem, None if forced == "auto" else forced, limits)
                )
            except Exception as exc:  # a reader's reason, worded as the CLI words it
                raise BadRequest(f"cannot read the {side} ({filename}): {exc}") from exc
    src, tgt = documents
    langs = [d.language or "unknown" for d in documents]
    if "unknown" in langs or any(lang in UNDECIDED for lang in langs):
        raise BadRequest(
            "cannot tell the language of the source or the translation: give source and target"
        )
    bilingual, links = align_documents(src, tgt, source_lang=langs[0], target_lang=langs[1])
    rows = [row_object(row) for row in bilingual.rows]
    weak = sum(link.weak for link in links)
    return rows, {"links": len(links), "weak": weak, "source": langs[0], "target": langs[1]}


def _safe_name(filename: str) -> str:
    """The upload's own name, reduced to a safe file name (its ending picks the reader)."""
    name = Path(filename.replace("\\", "/")).name
    name = re.sub(r"[^\w.\-]+", "_", name).lstrip(".")[:100]
    return name or "article.txt"


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _summary(result) -> dict:
    return {
        "document": result.document,
        "language": result.language,
        "sentences": result.sentences,
        "translated_sentences": result.translated_sentences,
        "flags": result.flags,
        "warnings": result.warnings,
    }
