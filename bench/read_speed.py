"""Seconds per MB of reading, language detection and sentence splitting, by article size.

Issue 14 asks that time per document stays proportional to its size: a
large but legal article (2 MB of real text) must not take more per MB than
a short one. The articles are built from the Norwegian side of ntrex-dev
(NTREX-128, CC BY-SA 4.0, `tests/data/ntrex-dev/nob.txt`): its lines, four
to a paragraph, paragraphs separated by blank lines, repeated until the
size is reached. Each size is run `--repeat` times in this process; the
median CPU time of each stage and of all three (`cpu`), and the median wall
time of all three, are printed in seconds and in seconds per MB. CPU time
is what a busy machine disturbs least. If the stages are linear, the s/MB
columns are flat across sizes.
Sizes over the default article limit are read with a raised limit.

Usage: uv run python bench/read_speed.py [--sizes 0.25 0.5 1 2 4] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bitext.detection import detect_document  # noqa: E402
from bitext.limits import Limits  # noqa: E402
from bitext.readers import read_document  # noqa: E402
from bitext.segmentation import split_sentences  # noqa: E402

DATA = ROOT / "tests" / "data" / "ntrex-dev" / "nob.txt"
MB = 1_000_000


def article(size: int) -> str:
    """About `size` bytes of real Norwegian text in paragraphs of four lines."""
    lines = [line for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    paragraphs = [" ".join(lines[i : i + 4]) for i in range(0, len(lines), 4)]
    out: list[str] = []
    length = 0
    while length < size:
        for paragraph in paragraphs:
            out.append(paragraph)
            length += len(paragraph.encode()) + 2
            if length >= size:
                break
    return "\n\n".join(out) + "\n"


#: Large enough for every size measured here.
LIMITS = Limits(max_article_chars=10**9, max_block_chars=10**9, max_file_bytes=10**10)


def measure(path: Path) -> dict[str, float]:
    """CPU seconds of each stage (a busy machine disturbs them less than wall time),
    and the wall time of the whole."""
    times = {}
    wall = time.perf_counter()
    start = time.process_time()
    document = read_document(path, limits=LIMITS)
    times["read"] = time.process_time() - start
    start = time.process_time()
    detect_document(document)
    times["detect"] = time.process_time() - start
    start = time.process_time()
    for block in document.blocks:
        block.sentences = split_sentences(block.text, block.language or "nb")
    times["segment"] = time.process_time() - start
    times["cpu"] = sum(times.values())
    times["wall"] = time.perf_counter() - wall
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.25, 0.5, 1.0, 2.0, 4.0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    stages = ("read", "detect", "segment", "cpu", "wall")
    # Warm the caches (langdetect profiles, splitter rules) outside the timings.
    detect_document(read_document(DATA))
    split_sentences("Dette er en setning. Og en til.")
    header = " ".join(f"{s + ' s':>9} {s + ' s/MB':>12}" for s in stages)
    print(f"{'MB':>6} {'blocks':>7} {header}")
    with tempfile.TemporaryDirectory(prefix="bitext-read-speed-") as folder:
        for size_mb in args.sizes:
            path = Path(folder) / f"artikkel-{size_mb}.txt"
            path.write_text(article(int(size_mb * MB)), encoding="utf-8")
            real = path.stat().st_size / MB
            runs = [measure(path) for _ in range(args.repeat)]
            blocks = len(read_document(path, limits=LIMITS).blocks)
            cells = []
            for stage in stages:
                median = statistics.median(run[stage] for run in runs)
                cells.append(f"{median:>9.3f} {median / real:>12.3f}")
            print(f"{real:>6.2f} {blocks:>7} " + " ".join(cells), flush=True)


if __name__ == "__main__":
    main()
