"""Bilingual rows: every source sentence beside its own translation.

For `translate` the alignment is known by construction (each sentence is
translated on its own), so this stage only has to keep ids and order right.
Aligning a text with an existing human translation is `bitext.align.aligner`.
"""

from __future__ import annotations

from collections.abc import Mapping

from bitext.documents import BilingualRow, Document


def translation_rows(
    document: Document,
    translations: Mapping[str, str],
    *,
    source_lang: str,
    target_lang: str,
    translate_block,
) -> list[BilingualRow]:
    """Rows in document order, one per sentence.

    `translate_block(block)` says whether a block went through the model; a
    block that did not (already in the target language, or in a language the
    model does not cover) is shown beside itself in its own language.
    """
    rows = []
    for block in document.blocks:
        translated = translate_block(block)
        block_lang = source_lang if translated else (block.language or source_lang)
        for number, sentence in enumerate(block.sentences, start=1):
            target = translations.get(sentence, "") if translated else sentence
            rows.append(
                BilingualRow(
                    document=document.id,
                    block=block.number,
                    kind=block.kind.value,
                    sentence=number,
                    source_lang=block_lang,
                    source=sentence,
                    target_lang=target_lang if translated else block_lang,
                    target=target,
                )
            )
    return rows
