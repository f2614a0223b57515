"""How well and how fast bitext reads articles in each input format (issue 16).

Each seed article (seeds/*.txt, read by the text reader) is written as a
news-site page (HTML), a two-page PDF (reportlab; and LibreOffice's PDF of
an ODT when `soffice` is installed), an ODT and a Markdown file, by the
builders the tests use (tests/article_inputs.py). Each file is then read
through `bitext.readers.read_document`.

Prints:
- per format: sentence recall (share of the seed's sentences that come
  through with their block kind, in order), boilerplate leakage (planted
  phrases of menus, banners, "les også" lists, comments, scripts, running
  headers and page numbers found in the output, of those planted), and
  whether the block counts equal the seed's;
- reading speed: articles per second for HTML and PDF (and the others),
  from the median of `--repeat` timed reads of each article;
- the installed size of the runtime packages this reader work added
  (their files as listed in each distribution's RECORD).

Run: uv run python bench/read_formats.py [--repeat 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the test builders live in tests/

from bitext.readers import read_document  # noqa: E402
from tests.article_inputs import (  # noqa: E402
    BOILERPLATE,
    SEEDS,
    leaked,
    markdown,
    news_page,
    seed_document,
    sentence_recall,
    write_odt,
    write_pdf,
)

#: Runtime packages added for HTML, PDF and Markdown input (and what they pull in).
ADDED = [
    "trafilatura",
    "courlan",
    "babel",
    "htmldate",
    "dateparser",
    "justext",
    "lxml-html-clean",
    "tld",
    "pytz",
    "tzdata",
    "tzlocal",
    "python-dateutil",
    "charset-normalizer",
    "certifi",
    "urllib3",
    "pypdfium2",
]


def build(folder: Path, name: str, seed) -> dict[str, Path]:
    files = {}
    page = folder / f"{name}.html"
    page.write_bytes(news_page(seed))
    files["html"] = page
    files["pdf"] = write_pdf(seed, folder / f"{name}.pdf")
    files["odt"] = write_odt(seed, folder / f"{name}.odt")
    md = folder / f"{name}.md"
    md.write_text(markdown(seed), encoding="utf-8")
    files["markdown"] = md
    if shutil.which("soffice"):
        print_odt = write_odt(seed, folder / f"{name}-print.odt", for_print=True)
        subprocess.run(
            ["soffice", "--headless", "--convert-to", "pdf", "--outdir", str(folder),
             str(print_odt)],
            check=True, capture_output=True, timeout=180,
            env={"HOME": str(folder), "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        files["pdf (LibreOffice)"] = folder / f"{name}-print.pdf"
    return files


def installed_mb(names: list[str]) -> dict[str, float]:
    sizes = {}
    for name in names:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        total = 0
        for file in dist.files or []:
            path = Path(dist.locate_file(file))
            if path.is_file():
                total += path.stat().st_size
        sizes[name] = total / 1e6
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed reads of each file")
    args = parser.parse_args()
    seeds = {path.stem: seed_document(path) for path in SEEDS}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = {name: build(folder, name, seed) for name, seed in seeds.items()}
        formats = list(next(iter(files.values())))
        print(f"{len(seeds)} seed articles; {len(BOILERPLATE)} boilerplate phrases planted\n")
        print(
            f"{'format':<18} {'recall':>8} {'leakage':>9} {'blocks = seed':>14} {'articles/s':>11}"
        )
        for kind in formats:
            recalls, leaks, same_blocks, times = [], 0, 0, []
            for name, seed in seeds.items():
                path = files[name][kind]
                document = read_document(path)
                recalls.append(sentence_recall(document, seed))
                leaks += len(leaked(document))
                same_blocks += len(document.blocks) == len(seed.blocks)
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    read_document(path)
                    times.append(time.perf_counter() - started)
            recall = statistics.mean(recalls)
            per_article = statistics.median(times)
            print(
                f"{kind:<18} {recall:>8.1%} {leaks:>4}/{len(BOILERPLATE) * len(seeds):<4} "
                f"{same_blocks:>7}/{len(seeds):<6} {1 / per_article:>11.1f}"
                f"   (median {per_article * 1000:.1f} ms)"
            )
    sizes = installed_mb(ADDED)
    print("\ninstalled size of the added runtime packages (MB):")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"  {name:<20} {size:6.1f}")
    print(f"  {'total':<20} {sum(sizes.values()):6.1f}")


if __name__ == "__main__":
    main()
