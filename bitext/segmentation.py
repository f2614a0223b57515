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
# Every break the Moses rules make follows a stop, question or exclamation
# mark (maybe with closing quotes) and a space, with more text after it.
_MAY_BREAK = re.compile(r"[.?!]\S*\s+\S")

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
        exact = piece.strip()
        if text.startswith(exact, pos):  # the usual case, in one C call
            pos += len(exact)
            out.append(exact)
            continue
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


#: Longer text is split window by window: the Moses splitter slows down more
#: than linearly with input length (a 1 MB paragraph took 29 s in one call,
#: 3 s in windows).
_WINDOW = 10_000


def _split_flat(flat: str, language: str) -> list[str] | None:
    """Sentences of one line of text as exact slices, or None if the splitter changed it.

    Each window keeps all its sentences but the last, which may run on past
    the window's end; the next window starts where that sentence starts.
    A window holding a single sentence grows until the sentence ends.
    """
    if not _MAY_BREAK.search(flat):  # one sentence: no need to run the splitter
        return [flat.strip()] if flat.strip() else []
    splitter = _splitter(language)
    if len(flat) <= _WINDOW:
        return _slices(flat, splitter.split(flat))
    out: list[str] = []
    start, size = 0, _WINDOW
    while start < len(flat):
        window = flat[start : start + size]
        found = _slices(window, splitter.split(window))
        if found is None:
            return None
        if start + size >= len(flat):
            out.extend(found)
            break
        if len(found) < 2:
            size *= 2
            continue
        position = 0
        for sentence in found[:-1]:
            position = window.index(sentence, position) + len(sentence)
        out.extend(found[:-1])
        start += window.index(found[-1], position)
        size = _WINDOW
    return out


def split_sentences(text: str, language: str = "nb") -> list[str]:
    """Split a block into sentences that are exact slices of `text`."""
    if not text.strip():
        return []
    # The Moses rules work on one line; keep every other character as it is.
    flat = text.replace("\r", " ").replace("\n", " ")
    sentences = _split_flat(flat, language)
    if sentences is None:  # the splitter changed characters: keep the block whole
        sentences = [flat.strip()]
    sentences = _rejoin_false_breaks(sentences)
    # Report slices of the caller's text (newlines kept), not of `flat`.
    exact = _slices(text, sentences)
    return exact if exact is not None else sentences
