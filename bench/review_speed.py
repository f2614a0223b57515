"""Time the review pages: first page, page loads on a 500-document run, saves.

The run is made cheaply and for real: the two seed articles copied into
`--documents` files, each copy's headline and paragraphs numbered so no two
documents are the same text, translated by `bitext translate` in this process
with the test model (`bitext.copymodel`, greedy decoding) into DOCX and TSV.
Then:

* time to the first page: `bitext review --no-browser` started as a process
  until its overview answers 200 (token swapped for the cookie), on the
  500-document run; the median of `--repeat` starts;
* page loads over HTTP on 127.0.0.1 (`bitext.web.server.running`): the
  overview (500 rows), a document page the first time (rebuilt from the
  memory) and again (cached), and a search of the whole run;
* save latency: POST of an edited target (memory transaction, the
  document's DOCX and TSV rendered and written, the report rewritten).

Medians, in milliseconds, with the machine's load average.

    uv run python bench/review_speed.py [--documents 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def make_articles(folder: Path, count: int) -> list[Path]:
    """`count` distinct articles from the seeds: each block gets the copy's number."""
    seeds = sorted((ROOT / "seeds").glob("*.txt"))
    folder.mkdir(parents=True)
    paths = []
    for i in range(count):
        seed = seeds[i % len(seeds)].read_text(encoding="utf-8")
        head, _, body = seed.partition("\n")
        blocks = re.split(r"\n\s*\n", body.strip())
        numbered = [f"{block} (Sak {i})" if block[-1:] not in ".!?" else block for block in blocks]
        numbered[0] = f"{blocks[0]} nummer {i}"
        path = folder / f"article_{i:04d}.txt"
        path.write_text(head + "\n" + "\n\n".join(numbered) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def median(values: list[float]) -> str:
    return f"{statistics.median(values):8.1f} ms (n={len(values)}, min {min(values):.1f})"


class Client:
    """GET/POST on the test server with the session cookie."""

    def __init__(self, url: str, settings) -> None:
        from bitext.web.app import SESSION_COOKIE

        self.port = urlsplit(url).port
        self.settings = settings
        self.cookie = {"Cookie": f"{SESSION_COOKIE}={settings.session_value}"}

    def request(self, method: str, path: str, body: bytes | None = None, headers=None) -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers={**self.cookie, **(headers or {})})
            response = connection.getresponse()
            data = response.read()
            if response.status != 200:
                raise SystemExit(f"{method} {path}: {response.status} {data[:200]!r}")
            return data
        finally:
            connection.close()

    def save(self, name: str, unit: str, target: str) -> None:
        body = json.dumps({"unit": unit, "target": target}).encode()
        headers = {"X-CSRF-Token": self.settings.csrf_token, "Content-Type": "application/json"}
        self.request("POST", f"/doc/{name}/save", body, headers)


def first_page(folder: Path, models: Path, cache: Path) -> float:
    """Milliseconds from starting `bitext review` to its overview answering 200."""
    env = {**os.environ, "BITEXT_CACHE_DIR": str(cache), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "bitext", "review", str(folder), "--no-browser", "--fast"]
    start = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--models-dir", str(models)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        line = process.stdout.readline()
        address = urlsplit(line.split()[-1])
        connection = http.client.HTTPConnection("127.0.0.1", address.port, timeout=60)
        connection.request("GET", f"/?{address.query}")
        answer = connection.getresponse()
        cookie = answer.getheader("set-cookie").split(";")[0]
        answer.read()
        connection.request("GET", "/", headers={"Cookie": cookie})
        page = connection.getresponse()
        page.read()
        assert page.status == 200, page.status
        elapsed = (time.perf_counter() - start) * 1000
        connection.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from bitext.copymodel import build_copy_package
    from bitext.models import install_archive
    from bitext.pipeline import TranslateOptions, translate_paths
    from bitext.revision import ReviewFolder
    from bitext.web.app import Settings, create_app
    from bitext.web.review import ReviewPart
    from bitext.web.server import running

    with tempfile.TemporaryDirectory(prefix="bitext-review-bench-") as tmp:
        base = Path(tmp)
        models = base / "models"
        install_archive(build_copy_package(base / "copy.argosmodel", size="test"), models)
        articles = make_articles(base / "articles", args.documents)
        cache = base / "cache"
        out = base / "exports"
        options = dict(models_dir=models, cache_path=cache / "memory.sqlite3", fast=True)
        made = timed(
            lambda: translate_paths(
                [base / "articles"], TranslateOptions(output_dir=out, threads=2, **options)
            )
        )
        print(f"run of {len(articles)} documents made in {made / 1000:.1f} s (DOCX and TSV)")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        starts = [first_page(out, models, cache) for _ in range(args.repeat)]
        print(f"time to the first page (process start to overview): {median(starts)}")

        folder = ReviewFolder(out, TranslateOptions(**options))
        settings = Settings()
        with running(create_app(settings, [ReviewPart(folder, settings)])) as url:
            client = Client(url, settings)
            names = [d.name for d in folder.documents()]
            overview = [timed(lambda: client.request("GET", "/")) for _ in range(args.repeat)]
            print(f"overview page, {len(names)} documents:               {median(overview)}")
            picks = names[:: max(1, len(names) // args.repeat)][: args.repeat]
            cold = [timed(lambda n=n: client.request("GET", f"/doc/{n}")) for n in picks]
            warm = [timed(lambda n=n: client.request("GET", f"/doc/{n}")) for n in picks]
            print(f"document page, first view (rebuilt from memory): {median(cold)}")
            print(f"document page, again (cached):                   {median(warm)}")
            # A word no row holds: every document is searched (rebuilt the first time).
            search = [timed(lambda: client.request("GET", "/search?q=zqxj")) for _ in range(3)]
            print(f"search of every row of the run, first:           {search[0]:8.1f} ms")
            print(f"search of every row of the run, again:           {median(search[1:])}")
            saves = []
            for i, name in enumerate(picks * 2):
                unit = folder.document(name).rows[3 + i // len(picks)].id
                text = f"Edited sentence {i}."
                saves.append(timed(lambda n=name, u=unit, t=text: client.save(n, u, t)))
            print(f"save (memory, DOCX+TSV rewritten, report):       {median(saves)}")
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
