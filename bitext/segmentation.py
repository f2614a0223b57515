"""Sentences of a block, with Norwegian abbreviation and ordinal rules.

Built on the Moses splitting heuristics of the `sentence-splitter` package
(its Norwegian non-breaking prefixes cover `t.h.`, `f.eks.`, `ca.` ...), with
bitext's own additions and two guarantees the translation pipeline relies on:
sentences are exact slices of the block text (nothing is normalised away), and
joining them with single spaces gives the block back up to whitespace.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
from importlib import resources

_SPACE = re.compile(r"\s+")

# "80. år", "2. september", "1. mai": a number, a stop, then a lower-case word.
# Moses already keeps these together; this also covers a following digit
# ("Kl. 14.00") which Moses would split.
_ORDINAL_SPLIT = re.compile(r"(?:\d|\b[Kk]l|\b[Nn]r)\.$")


@functools.lru_cache(maxsize=4)
def _splitter(language: str):
    from sentence_splitter import SentenceSplitter

    if language not in ("nb", "nn", "no"):
        try:
            return SentenceSplitter(language=language)
        except Exception:  # no prefix list for this language: English rules
            return SentenceSplitter(language="en")
    import sentence_splitter

    builtin = os.path.join(
        os.path.dirname(sentence_splitter.__file__), "non_breaking_prefixes", "no.txt"
    )
    extra = resources.files("bitext.data").joinpath("nb_extra_nonbreaking_prefixes.txt")
    with open(builtin, encoding="utf-8") as handle:
        combined = handle.read() + "\n" + extra.read_text(encoding="utf-8")
    fd, path = tempfile.mkstemp(prefix="bitext-prefixes-", suffix=".txt")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(combined)
        return SentenceSplitter(language="no", non_breaking_prefix_file=path)
    finally:
        os.unlink(path)


def _slices(text: str, pieces: list[str]) -> list[str] | None:
    """Find each piece in `text`, comparing non-space characters only."""
    out = []
    pos = 0
    for piece in pieces:
        chars = _SPACE.sub("", piece)
        if not chars:
            continue
        while pos < len(text) and text[pos].isspace():
            pos += 1
        start = pos
        matched = 0
        while pos < len(text) and matched < len(chars):
            if text[pos].isspace():
                pos += 1
                continue
            if text[pos] != chars[matched]:
                return None
            matched += 1
            pos += 1
        if matched < len(chars):
            return None
        out.append(text[start:pos])
    if text[pos:].strip():
        return None
    return out


def _rejoin_false_breaks(sentences: list[str]) -> list[str]:
    merged: list[str] = []
    for sentence in sentences:
        if merged and _ORDINAL_SPLIT.search(merged[-1]) and sentence[:1].isdigit():
            merged[-1] = merged[-1] + " " + sentence
        else:
            merged.append(sentence)
    return merged


def split_sentences(text: str, language: str = "nb") -> list[str]:
    """Split a block into sentences that are exact slices of `text`."""
    if not text.strip():
        return []
    # The Moses rules work on one line; keep every other character as it is.
    flat = text.replace("\r", " ").replace("\n", " ")
    pieces = _splitter(language).split(flat)
    sentences = _slices(flat, pieces)
    if sentences is None:  # the splitter changed characters: keep the block whole
        sentences = [flat.strip()]
    sentences = _rejoin_false_breaks(sentences)
    # Report slices of the caller's text (newlines kept), not of `flat`.
    exact = _slices(text, sentences)
    return exact if exact is not None else sentences
