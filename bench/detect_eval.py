"""Evaluate bitext's language detection against plain (seeded) langdetect.

Data: tests/data/ntrex-dev/ (a slice of NTREX-128, CC BY-SA 4.0;
Federmann, Kocmi and Xin, 2022). Lines with the same id in DOCUMENT_IDS.tsv
form one document; each line is one block of it.

Prints:
- document accuracy per language (nob, nno, dan, swe, eng-US, deu, isl) and
  the share of Icelandic documents labelled `nb` (must be 0);
- block accuracy of every language's lines inside its own documents, Bokmål
  first (goal >= 99.5% for Bokmål);
- recall of English lines planted inside Bokmål documents (goal >= 95%) and
  what the planting does to the Bokmål lines around them;
- a reliability table of `detect_text` confidence on single lines;
- the time to detect the two seed articles once loaded.

Run: uv run python bench/detect_eval.py [--data DIR]
"""

from __future__ import annotations

import argparse
import functools
import time
from collections import Counter
from pathlib import Path

from bitext import detection
from bitext.documents import Block, BlockKind, Document

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "tests" / "data" / "ntrex-dev"

LANGUAGES = {
    "nob": "nb",
    "nno": "nn",
    "dan": "da",
    "swe": "sv",
    "eng-US": "en",
    "deu": "de",
    "isl": "is",
}

# Cache langdetect so the baseline and our detector share one call per text.
detection.langdetect_probabilities = functools.lru_cache(maxsize=None)(
    detection.langdetect_probabilities
)


def baseline(text: str) -> str:
    """Plain langdetect, seeded, `no` reported as `nb`."""
    probs = detection.langdetect_probabilities(text)
    if not probs:
        return detection.UNKNOWN
    return max(probs.items(), key=lambda kv: kv[1])[0]


def load(data: Path, name: str) -> list[tuple[str, list[str]]]:
    ids = (data / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    lines = (data / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    docs: dict[str, list[str]] = {}
    for doc_id, line in zip(ids, lines, strict=True):
        docs.setdefault(doc_id, []).append(line)
    return list(docs.items())


def make_document(doc_id: str, lines: list[str]) -> Document:
    blocks = [Block(i, BlockKind.PARAGRAPH, line) for i, line in enumerate(lines, 1)]
    return Document(id=doc_id, path=doc_id, blocks=blocks)


def pct(num: int, den: int) -> str:
    return f"{100.0 * num / den:6.1f}%" if den else "     -"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    corpus = {name: load(args.data, name) for name in LANGUAGES}

    # --- documents -------------------------------------------------------
    print("Document accuracy (lines of one id joined into one document)")
    print(f"{'language':10} {'docs':>5} {'langdetect':>11} {'bitext':>8}  bitext labels")
    detected: dict[str, list[Document]] = {}
    for name, expected in LANGUAGES.items():
        docs = [detection.detect_document(make_document(i, ls)) for i, ls in corpus[name]]
        detected[name] = docs
        base = [baseline("\n\n".join(ls)) for _, ls in corpus[name]]
        ok_base = sum(b == expected for b in base)
        ok_ours = sum(d.language == expected for d in docs)
        labels = Counter(d.language for d in docs)
        print(
            f"{name:10} {len(docs):5} {pct(ok_base, len(docs)):>11} "
            f"{pct(ok_ours, len(docs)):>8}  {dict(labels.most_common())}"
        )
        if name == "isl":
            nb_base = sum(b == "nb" for b in base)
            nb_ours = sum(d.language == "nb" for d in docs)
            print(
                f"{'isl as nb':10} {len(docs):5} {pct(nb_base, len(docs)):>11} "
                f"{pct(nb_ours, len(docs)):>8}  (must be 0)"
            )
        if name == "nno":
            nor_base = sum(b in ("nb", "nn") for b in base)
            nor_ours = sum(d.language in ("nb", "nn") for d in docs)
            print(
                f"{'nno as no':10} {len(docs):5} {pct(nor_base, len(docs)):>11} "
                f"{pct(nor_ours, len(docs)):>8}  (nb or nn: Norwegian at all)"
            )

    # --- blocks inside their own documents ------------------------------
    print()
    print("Block accuracy (each line inside its own document; baseline: line alone)")
    print(f"{'language':10} {'lines':>5} {'langdetect':>11} {'bitext':>8}  bitext errors")
    for name, expected in LANGUAGES.items():
        lines = [line for _, ls in corpus[name] for line in ls]
        blocks = [b for d in detected[name] for b in d.blocks]
        ok_base = sum(baseline(line) == expected for line in lines)
        ok_ours = sum(b.language == expected for b in blocks)
        errors = Counter(b.language for b in blocks if b.language != expected)
        print(
            f"{name:10} {len(lines):5} {pct(ok_base, len(lines)):>11} "
            f"{pct(ok_ours, len(lines)):>8}  {dict(errors.most_common(4))}"
        )

    # --- English planted in Bokmål documents ---------------------------
    english = corpus["eng-US"]
    planted_total = planted_ours = planted_base = 0
    around_total = around_ok = 0
    doc_ok = 0
    nob = corpus["nob"]
    for k, (doc_id, lines) in enumerate(nob):
        # Two English lines (not headlines) of the next article, planted in
        # the middle of this one: an English quote in a Norwegian article.
        quote = english[(k + 1) % len(english)][1][1:3]
        mid = len(lines) // 2
        mixed = lines[:mid] + quote + lines[mid:]
        doc = detection.detect_document(make_document(doc_id, mixed))
        doc_ok += doc.language == "nb"
        for j, block in enumerate(doc.blocks):
            if mid <= j < mid + len(quote):
                planted_total += 1
                planted_ours += block.language == "en"
                planted_base += baseline(block.text) == "en"
            else:
                around_total += 1
                around_ok += block.language == "nb"
    print()
    print("English lines planted inside Bokmål documents (2 per document)")
    print(f"{'measure':28} {'n':>5} {'langdetect':>11} {'bitext':>8}")
    print(
        f"{'English recall':28} {planted_total:5} "
        f"{pct(planted_base, planted_total):>11} {pct(planted_ours, planted_total):>8}"
    )
    print(
        f"{'Bokmål lines around, as nb':28} {around_total:5} {'':>11} "
        f"{pct(around_ok, around_total):>8}"
    )
    print(f"{'documents still nb':28} {len(nob):5} {'':>11} {pct(doc_ok, len(nob)):>8}")

    # --- reliability of detect_text confidence --------------------------
    print()
    print("Reliability of detect_text() on single lines, all 7 languages")
    print(f"{'confidence':12} {'lines':>6} {'correct':>8}")
    bins = [(0.0, 0.5), (0.5, 0.7), (0.7, 0.8), (0.8, 0.9), (0.9, 0.95), (0.95, 1.01)]
    tally = {b: [0, 0] for b in bins}
    alone: dict[str, list[int]] = {}
    for name, expected in LANGUAGES.items():
        for _, ls in corpus[name]:
            for line in ls:
                found = detection.detect_text(line)
                guess = found.candidates[0][0] if found.candidates else found.language
                counts = alone.setdefault(name, [0, 0, 0])
                counts[0] += 1
                counts[1] += guess == expected
                counts[2] += baseline(line) == expected
                for lo, hi in bins:
                    if lo <= found.confidence < hi:
                        tally[(lo, hi)][0] += 1
                        tally[(lo, hi)][1] += guess == expected
    for (lo, hi), (n, ok) in tally.items():
        label = f"{lo:.2f}-{min(hi, 1.0):.2f}"
        print(f"{label:12} {n:6} {pct(ok, n):>8}")
    print()
    print("Single lines alone, no document prior (best guess of detect_text)")
    print(f"{'language':10} {'lines':>5} {'langdetect':>11} {'bitext':>8}")
    for name, (n, ok, ok_base) in alone.items():
        print(f"{name:10} {n:5} {pct(ok_base, n):>11} {pct(ok, n):>8}")

    # --- speed on the seed articles --------------------------------------
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    if seeds:
        detection.langdetect_probabilities = detection.langdetect_probabilities.__wrapped__
        detection.detect_text("Oppvarming.")  # load profiles once
        start = time.perf_counter()
        for path in seeds:
            paragraphs = [p for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]
            doc = make_document(path.name, paragraphs)
            detection.detect_document(doc)
        elapsed = time.perf_counter() - start
        print()
        print(f"Seed articles: {len(seeds)} detected in {elapsed * 1000:.0f} ms after start-up")


if __name__ == "__main__":
    main()
