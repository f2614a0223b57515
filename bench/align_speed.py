"""Time and peak memory of the sentence aligner for 1k, 5k and 10k sentences.

The documents are built from ntrex-dev (NTREX-128, CC BY-SA 4.0): nob lines
against eng-US lines, the 603-line slice repeated as often as needed, with the
same kind of merges, drops and paragraphs as bench/align_eval.py, so the
band has real work to do. Each size is aligned once for time (wall clock,
no tracing) and once under tracemalloc for peak Python + numpy memory. The
F1 against the known truth is printed too, as a sanity check.

Usage: uv run python bench/align_speed.py [--sizes 1000 5000 10000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from align_eval import DEFAULT_DATA, make_task, prf, read_documents, score  # noqa: E402

from bitext.aligner import align_sentences  # noqa: E402


def build(size: int, data: Path, seed: int):
    """A long document pair of about `size` source sentences, with its truth."""
    src_docs = read_documents(data, "nob")
    tgt_docs = read_documents(data, "eng-US")
    rng = random.Random(f"speed/{seed}/{size}")
    source: list[list[str]] = []
    target: list[list[str]] = []
    truth: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
    ns = nt = 0
    while ns < size:
        for s_lines, t_lines in zip(src_docs, tgt_docs):
            sp, tp, tr = make_task(s_lines, t_lines, rng)
            source += sp
            target += tp
            truth += [(tuple(i + ns for i in a), tuple(j + nt for j in b)) for a, b in tr]
            ns += sum(map(len, sp))
            nt += sum(map(len, tp))
            if ns >= size:
                break
    return source, target, truth, ns, nt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    print(f"{'sentences':>10} {'src':>6} {'tgt':>6} {'time s':>8} {'peak MiB':>9} {'F1':>7}")
    for size in args.sizes:
        source, target, truth, ns, nt = build(size, args.data, args.seed)
        start = time.perf_counter()
        links = align_sentences(source, target)
        elapsed = time.perf_counter() - start
        tracemalloc.start()
        align_sentences(source, target)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        f1 = prf(*score(links, truth))[2]
        print(f"{size:>10} {ns:>6} {nt:>6} {elapsed:>8.2f} {peak / 2**20:>9.1f} {f1:>7.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
