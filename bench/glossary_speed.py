"""Time applying the default glossary to ~10,000 news sentences.

Sentences: every line of tests/data/ntrex-dev/nob.txt (or
$BITEXT_NTREX) plus the sentences of seeds/*.txt, repeated to about 10,000.
Each sentence goes through what the pipeline does around a translation:
`protect`, a model that copies its input, `restore`, and `missing_terms`
(the `glossary` quality flag). Prints sentences per second for each step, so
the cost can be set against translation time (the translation-speed
benchmark prints sentences/s of the model on the same machine).

    uv run python bench/glossary_speed.py [--sentences 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

from bitext.glossary import Glossary

ROOT = Path(__file__).resolve().parent.parent
NTREX = Path(os.environ.get("BITEXT_NTREX", ROOT / "tests" / "data" / "ntrex-dev" / "nob.txt"))
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-ZÆØÅ–«])")


def corpus(target: int) -> list[str]:
    base: list[str] = []
    if NTREX.exists():
        base += [line.strip() for line in NTREX.read_text(encoding="utf-8").splitlines()]
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        for block in re.split(r"\n\s*\n", seed.read_text(encoding="utf-8")):
            base += _SENTENCE_END.split(block.strip())
    base = [s for s in base if s]
    out: list[str] = []
    while len(out) < target:
        out += base
    return out[:target]


def best_of(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = parser.parse_args()
    sentences = corpus(args.sentences)
    n = len(sentences)

    start = time.perf_counter()
    glossary = Glossary.default()
    glossary.protect("Sjojgu")  # compiles the regexes
    setup = time.perf_counter() - start

    def round_trip(g: Glossary) -> None:
        for s in sentences:
            text, state = g.protect(s)
            g.restore(text, state)  # the copy model's output is its input

    def flags(g: Glossary) -> None:
        for s in sentences:
            g.missing_terms(s, s)

    protected = [glossary.protect(s) for s in sentences]
    hits = sum(1 for _, state in protected if state is not None)
    t_round = best_of(args.repeat, lambda: round_trip(glossary))
    t_flags = best_of(args.repeat, lambda: flags(glossary))
    t_empty = best_of(args.repeat, lambda: round_trip(Glossary.empty()))
    words = sum(len(s.split()) for s in sentences)

    print(f"sentences: {n} ({words} words), {hits} with a glossary match")
    print(f"default glossary: {len(glossary)} entries, load + compile {setup * 1000:.1f} ms")
    print(f"protect+restore:  {n / t_round:12,.0f} sentences/s ({t_round * 1000:.1f} ms)")
    print(f"missing_terms:    {n / t_flags:12,.0f} sentences/s ({t_flags * 1000:.1f} ms)")
    total = t_round + t_flags
    print(f"all glossary work: {n / total:11,.0f} sentences/s ({total * 1000:.1f} ms)")
    print(f"empty glossary:   {n / t_empty:12,.0f} sentences/s ({t_empty * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
