"""Time and peak memory of the sentence aligner for 1k, 5k and 10k sentences.

The documents are built from ntrex-dev (NTREX-128, CC BY-SA 4.0): nob lines
against eng-US lines, the 603-line slice repeated as often as needed, with the
same kind of merges, drops and paragraphs as bench/align_eval.py, so the
band has real work to do. Each size is aligned once for time (wall clock,
no tracing) and once under tracemalloc for peak Python + numpy memory. The
F1 against the known truth is printed too, as a sanity check.

With --cli, each pair is also written as two text files (paragraphs
separated by blank lines) and the whole `bitext align` command is run on
them as a process: wall time and peak resident memory of the process
(reading, language detection, sentence splitting, alignment, checks and a
TSV export, interpreter start-up included).

Usage: uv run python bench/align_speed.py [--sizes 1000 5000 10000] [--cli]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from align_eval import DEFAULT_DATA, make_task, prf, read_documents, score  # noqa: E402

from bitext.align.aligner import align_sentences  # noqa: E402


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
    parser.add_argument("--cli", action="store_true", help="also time the whole command")
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
    if args.cli:
        print("whole `bitext align` command, one process per size (TSV out):")
        print(f"{'sentences':>10} {'time s':>8} {'peak RSS MiB':>13}")
        for size in args.sizes:
            source, target, *_ = build(size, args.data, args.seed)
            elapsed, rss = time_command(source, target)
            print(f"{size:>10} {elapsed:>8.2f} {rss:>13.1f}")
    return 0


def time_command(source: list[list[str]], target: list[list[str]]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of `python -m bitext align` on the pair."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, paragraphs in (("article.txt", source), ("article.en.txt", target)):
            text = "\n\n".join(" ".join(p) for p in paragraphs) + "\n"
            (folder / name).write_text(text, encoding="utf-8")
        command = [sys.executable, "-m", "bitext", "align", str(folder / "article.txt")]
        command += [str(folder / "article.en.txt"), "-o", str(folder / "out"), "--format", "tsv"]
        errors = folder / "stderr.txt"
        with errors.open("wb") as stderr:
            start = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
            _, status, usage = os.wait4(process.pid, 0)  # this child's own peak memory
            elapsed = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise SystemExit(f"bitext align failed: {errors.read_text(errors='replace')}")
        return elapsed, usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


if __name__ == "__main__":
    raise SystemExit(main())
