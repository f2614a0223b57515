"""One document's exports as bytes: its rows, flags, checks and rendered files.

`render` is a pure function of the request the pipeline builds (the document,
its translations, a few facts of the run such as the date), with no file,
memory or model access. That is what lets the Ray engine run it on a worker
and hand the driver finished bytes: rendering a DOCX costs more than
everything else the driver does for a document, so on the driver it would
cap how many workers one driver can keep busy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bitext.documents import BilingualDocument, Block, Document

#: Detection results that mean "cannot tell".
UNDECIDED = {"unknown", "uncertain", None}
#: Language codes that go through a Norwegian (Bokmål) model.
NORWEGIAN = {"nb", "nn", "no"}


def model_language(code: str | None) -> str | None:
    """The model source code for a detected language (Nynorsk uses nb->en)."""
    if code in NORWEGIAN:
        return "nb"
    return code


def goes_through_model(document: Document, block: Block, source: str) -> bool:
    """A block is translated when it is in the document's source language.

    Blocks detected as another language (an English quote) keep their own
    text; undecided blocks (short ones) follow the document.
    """
    if block.language in UNDECIDED:
        return True
    return model_language(block.language) == model_language(source)


@dataclass(frozen=True)
class RenderRequest:
    """Everything `render` needs, small enough to send to a worker."""

    document: Document
    target_lang: str
    #: Source sentence -> translation (reviewed ones included); empty when
    #: the document is already in the target language.
    translations: dict[str, str]
    #: Sentences whose translation is a reviewed (human) one.
    reviewed: frozenset[str]
    #: Sentences whose glossary terms are missing from the translation.
    flagged: frozenset[str]
    #: The model's label, and the glossary's name (None: no glossary).
    model: str | None
    glossary: str | None
    formats: tuple[str, ...]
    granularity: str | None
    #: The "Translated" date, fixed where the run started: a worker's clock
    #: and environment must not change the bytes.
    date: str
    #: Return the BilingualDocument too (for `--combine`).
    keep: bool = False
    #: Sentences the model could not finish -> their flag (bitext.positions).
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class Rendered:
    """The bytes of each requested format, in order, and what the summary reports."""

    files: list[bytes]
    translated_sentences: int
    flags: dict[str, int]
    bilingual: BilingualDocument | None = None


def render(request: RenderRequest) -> Rendered:
    """Rows, flags and checks of the document, then each format's bytes."""
    from bitext.checks import apply_checks, count_flags
    from bitext.exporters import get_exporter

    bilingual = build_bilingual(request)
    apply_checks(bilingual.rows)
    files = [
        get_exporter(name).render(bilingual, granularity=request.granularity)
        for name in request.formats
    ]
    return Rendered(
        files=files,
        translated_sentences=sum(1 for r in bilingual.rows if r.source_lang != r.target_lang),
        flags=dict(count_flags(bilingual.rows)),
        bilingual=bilingual if request.keep else None,
    )


def render_or_reason(request: RenderRequest) -> Rendered | str:
    """`render`, or the reason it failed, worded as every engine words it
    (an exception from a worker would arrive wrapped in Ray's own)."""
    from bitext.runs import reason

    try:
        return render(request)
    except Exception as exc:
        return reason(exc)


def build_bilingual(request: RenderRequest) -> BilingualDocument:
    """The document's rows, each with its origin: `reviewed` for the sentences
    with a reviewed (human) translation, `model` for the rest of the
    translated ones, `source` for text kept in its own language; then the
    glossary flags."""
    from bitext.align.rows import translation_rows
    from bitext.glossary import FLAG

    document = request.document
    source = model_language(document.language) or "nb"
    target = request.target_lang
    note = None
    model = None
    if source == target:
        note = f"Already {target}: shown beside itself, not translated."
        rows = translation_rows(
            document, {}, source_lang=source, target_lang=target, translate_block=lambda b: False
        )
    else:
        model = request.model
        if document.language != source:
            note = f"Detected {document.language}; translated with the {source}->{target} model."
        rows = translation_rows(
            document,
            request.translations,
            source_lang=document.language or source,
            target_lang=target,
            translate_block=lambda b: goes_through_model(document, b, source),
        )
    for row in rows:
        if row.source_lang == row.target_lang:
            row.origin = "source"
        else:
            row.origin = "reviewed" if row.source in request.reviewed else "model"
            if row.source in request.flagged and FLAG not in row.flags:
                row.flags.append(FLAG)
            failed = request.failed.get(row.source)
            if failed is not None and failed not in row.flags:
                row.flags.append(failed)
    metadata = {}
    if document.input_kind:
        from bitext.readers import input_name

        metadata["Input"] = input_name(document.input_kind)
    if model is not None and request.glossary is not None:
        metadata["Glossary"] = request.glossary
    if document.language_confidence is not None:
        metadata["Detected language"] = f"{document.language} ({document.language_confidence:.2f})"
    metadata["Translated"] = request.date
    return BilingualDocument(
        document=document,
        rows=rows,
        source_lang=document.language or source,
        target_lang=target,
        model=model,
        note=note,
        metadata=metadata,
    )
