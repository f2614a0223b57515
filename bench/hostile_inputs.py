"""Seconds for the hostile inputs and stops the tests check only by their outcome (issue 29).

The tests no longer assert on the wall clock; what they used to bound is
printed here instead, on real files and real `bitext` processes:

- each hostile file of `tests/test_limits.py` beside a good article (a real
  `bitext translate` with the project's copy model): exit code, seconds and
  peak resident memory;
- the 50 MB saved web pages of `tests/test_readers_html.py` (one read, one
  refused): seconds in this process;
- a run stuck in `open()` on a FIFO inside `cancellable()`: seconds from its
  SIGTERM to its end (the grace period, `bitext.interrupts.GRACE_S`, plus
  start-up of nothing).

Each figure is the median of `--repeat` runs. The machine is shared: quote
the load beside the figures.

Usage: uv run python bench/hostile_inputs.py [--repeat 3] [--only html stuck limits]
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1_000_000


def html_pages(folder: Path, repeat: int) -> None:
    from bitext.readers import ReadError, read_document
    from tests.article_inputs import SEEDS, news_page, seed_document

    seed = seed_document(SEEDS[0])
    page = news_page(seed)
    at = page.index(b"<footer")
    state = b'<script>window.__STATE__ = "' + b"a" * 50_000_000 + b'";</script>'
    item = b'<li><a href="/a">Nyhet</a></li>'
    markup = b"<ul>" + item * (50_000_000 // len(item)) + b"</ul>"
    for name, middle in (("inline state, read", state), ("list markup, refused", markup)):
        path = folder / "page.html"
        path.write_bytes(page[:at] + middle + page[at:])
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                read_document(path)
            except ReadError:
                pass
            times.append(time.perf_counter() - started)
        print(f"50 MB page, {name}: {statistics.median(times):.1f} s")
        path.unlink()


def stuck_reading(folder: Path, repeat: int) -> None:
    from tests.test_limits import STUCK_READER

    times = []
    for i in range(repeat):
        fifo = folder / f"stalled-{i}"
        os.mkfifo(fifo)
        proc = subprocess.Popen(
            [sys.executable, "-c", STUCK_READER, str(fifo)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        proc.stdout.readline()
        sent = time.perf_counter()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        times.append(time.perf_counter() - sent)
        assert code == 143, code
    print(f"stuck in open(), SIGTERM to exit 143: {statistics.median(times):.2f} s")


def hostile_files(folder: Path, repeat: int) -> None:
    from bitext.copymodel import build_copy_package
    from bitext.models import install_archive
    from tests import test_limits

    models = folder / "models"
    install_archive(build_copy_package(folder / "copy.argosmodel"), models)
    for name, (build, _) in test_limits.CASES.items():
        rows = []
        for i in range(repeat):
            src = folder / f"in-{i}"
            src.mkdir()
            (src / "good.txt").write_text(test_limits.GOOD, encoding="utf-8")
            hostile = build(src / name)
            args = test_limits.translate_args(src, folder / f"out-{name}-{i}", models)
            process = test_limits.BitextProcess(args, folder)
            code, seconds, _ = process.wait(timeout=600)
            rows.append((code, seconds, process.peak))
            hostile.unlink()
            (src / "good.txt").unlink()
            src.rmdir()
        codes = sorted({c for c, _, _ in rows})
        seconds = statistics.median(s for _, s, _ in rows)
        peak = statistics.median(p for _, _, p in rows) / MB
        print(f"{name}: exit {codes}, {seconds:.1f} s, peak RSS {peak:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", default=["html", "stuck", "limits"])
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory(prefix="bitext-bench-") as name:
        folder = Path(name)
        if "html" in args.only:
            html_pages(folder, args.repeat)
        if "stuck" in args.only:
            stuck_reading(folder, args.repeat)
        if "limits" in args.only:
            hostile_files(folder, args.repeat)


if __name__ == "__main__":
    main()
