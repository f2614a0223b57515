"""Load on `bitext serve`: batching across requests against the CLI and against none.

A benchmark script, not a test. In one run, on the base-size copy model
(`python -m bitext.copymodel --size base`: the nb->en package's shape, weights
that copy their input), the same thread count everywhere, and the NTREX-128
dev sentences (tests/data/ntrex-dev/nob.txt, one request per line):

(cli)      `bitext translate` on the same sentences (one article, one
           paragraph per line) through `translate_paths`, in this process,
           with the model loaded before the clock starts; no memory.
(batched)  a real `bitext serve --no-cache` subprocess on 127.0.0.1 with
           1, 4, 16 and 64 concurrent clients, each sending one sentence
           per POST /translate (LibreTranslate's API) on a kept-alive
           connection until every sentence is sent once.
(single)   the same with `--no-batching`: each request on its own, one at a
           time, as LibreTranslate's one model replica serves them (the
           baseline), on the server's own layout (one replica per core);
(lt)       the same with `--no-batching --replicas 1`: also LibreTranslate's
           layout (argostranslate's inter_threads=1, intra_threads=0: one
           replica using every core), which is faster on single sentences.
The ratio "x no-batching" is against the faster of the two baselines.

The arms of each level are interleaved: the sentences are cut into
`--rounds` parts, and each part goes through the CLI, the batching server
and the no-batching servers before the next (the servers stay up; an idle
one costs no CPU), so a change in the machine's load hits the arms alike.
It prints sentences/s, p50/p99 latency, the mean batch size (from
/v1/status), the ratios to the CLI and to the no-batching arm, the servers'
peak memory (VmHWM), the machine's load (`uptime`) and the commit.
`--minutes M` then keeps 16 clients on the batching server for M minutes
and prints its resident memory every minute (flat memory). Every server and
client stays on 127.0.0.1; every loop is bounded in count and time.

    uv run python bench/serve_load.py                        # all levels
    uv run python bench/serve_load.py --sentences 200 --clients 1,16
    uv run python bench/serve_load.py --minutes 10           # plus the soak
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
START_DEADLINE = 300.0
REQUEST_TIMEOUT = 660.0


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def ntrex_sentences(count: int | None) -> list[str]:
    from translate_speed import NTREX

    lines = (NTREX / "nob.txt").read_text(encoding="utf-8").splitlines()
    unique = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    return unique[:count]


# -- the CLI arm ----------------------------------------------------------------


#: The CLI arm's translator, loaded once (the model load is never timed).
_CLI_TRANSLATORS: dict = {}


def arm_cli(store: Path, sentences: list[str], threads: int) -> float:
    """Seconds of `translate_paths` on the sentences (model loaded beforehand)."""
    from bitext.pipeline import TranslateOptions, default_translator, translate_paths

    loaded = _CLI_TRANSLATORS

    def factory(package, options):
        if package.code not in loaded:
            loaded[package.code] = default_translator(package, options)
            loaded[package.code].translate_tokens([["▁a"]])  # the model load, off the clock
        return loaded[package.code]

    with tempfile.TemporaryDirectory(prefix="serve-load-") as folder:
        article = Path(folder) / "ntrex.txt"
        article.write_text("\n\n".join(sentences) + "\n", encoding="utf-8")
        options = TranslateOptions(
            output_dir=Path(folder) / "out",
            formats=["jsonl"],
            models_dir=store,
            threads=threads,
            cache=False,
            device="cpu",
            source_lang="nb",
        )
        factory(_package(store), options)
        start = time.perf_counter()
        summary = translate_paths([article], options, translator_factory=factory)
        seconds = time.perf_counter() - start
    if summary.failed:
        raise SystemExit(f"the CLI arm failed: {summary.failed[0].reason}")
    return seconds


def _package(store: Path):
    from bitext.models import find_package

    return find_package("nb", "en", store)


# -- the server arms ---------------------------------------------------------------


class Server:
    """`bitext serve` in a subprocess on a free loopback port."""

    def __init__(self, store: Path, threads: int, *extra: str) -> None:
        command = [sys.executable, "-m", "bitext", "serve", "--port", "0", "--no-cache"]
        command += ["--request-seconds", "600"]  # the baseline queues long on a busy machine
        command += ["--models-dir", str(store), "--threads", str(threads), "--device", "cpu"]
        self.process = subprocess.Popen(
            [*command, *extra], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        lines: queue.Queue = queue.Queue()
        threading.Thread(
            target=lambda: [lines.put(line) for line in self.process.stderr] + [lines.put(None)],
            daemon=True,
        ).start()
        deadline = time.monotonic() + START_DEADLINE
        self.url = None
        while self.url is None and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if line is None:
                break
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            self.url = found.group(1) if found else None
        if self.url is None:
            self.stop()
            raise SystemExit("bitext serve did not start")

    def memory_mb(self, field: str = "VmHWM") -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=60)


def _client(url: str, work: queue.Queue, latencies: list, errors: list, until: float) -> None:
    """One client: one kept-alive connection, one sentence per request."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT)
    try:
        while time.monotonic() < until:
            try:
                sentence = work.get_nowait()
            except queue.Empty:
                return
            body = json.dumps({"q": sentence, "source": "nb", "target": "en"})
            start = time.perf_counter()
            connection.request("POST", "/translate", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            answer = response.read()
            latencies.append(time.perf_counter() - start)
            if response.status != 200:
                errors.append(f"{response.status} {answer[:200]!r}")
    finally:
        connection.close()


def load(url: str, sentences: list[str], clients: int, seconds: float | None = None) -> dict:
    """`clients` concurrent clients until every sentence is sent (or `seconds` pass)."""
    work: queue.Queue = queue.Queue()
    rounds = 1 if seconds is None else 10_000  # a soak cycles the sentences, bounded
    for _ in range(rounds):
        for sentence in sentences:
            work.put(sentence)
    latencies: list[float] = []
    errors: list[str] = []
    until = time.monotonic() + (seconds if seconds is not None else 3600)
    threads = [
        threading.Thread(target=_client, args=(url, work, latencies, errors, until))
        for _ in range(clients)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(1.0, until - time.monotonic() + REQUEST_TIMEOUT))
    wall = time.perf_counter() - start
    if errors:
        log(f"  {len(errors)} requests failed, e.g. {errors[0]}")
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "seconds": wall,
        "per_second": len(latencies) / wall,
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "latencies": latencies,
    }


def status(url: str) -> dict:
    """The server's batching counters (GET /v1/status), first model."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=REQUEST_TIMEOUT)
    try:
        connection.request("GET", "/v1/status")
        return json.loads(connection.getresponse().read())["models"][0]
    finally:
        connection.close()


def measure(server: Server, sentences: list[str], clients: int) -> dict:
    """One round on one server, with its batch counters and peak memory."""
    before = status(server.url)
    result = load(server.url, sentences, clients)
    after = status(server.url)
    result["batches"] = after["batches"] - before["batches"]
    result["model_sentences"] = after["model_sentences"] - before["model_sentences"]
    result["peak_mb"] = server.memory_mb()
    return result


def combined(rounds: list[dict]) -> dict:
    """The rounds of one arm as one figure: totals, latencies pooled."""
    latencies = sorted(x for r in rounds for x in r["latencies"])
    seconds = sum(r["seconds"] for r in rounds)
    return {
        "per_second": len(latencies) / seconds,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "batch": sum(r["model_sentences"] for r in rounds)
        / max(1, sum(r["batches"] for r in rounds)),
        "peak_mb": max(r["peak_mb"] for r in rounds),
        "errors": sum(r["errors"] for r in rounds),
    }


def run_levels(store: Path, sentences, threads: int, levels: list[int], rounds: int):
    """Per level, the CLI, the batching server and the no-batching one, interleaved.

    The sentences are cut into `rounds` parts; each part goes through the
    three arms one after the other before the next part, and both servers
    stay up the whole time (the idle one costs memory, not CPU). So a change
    in the machine's load (it is shared) hits the three arms alike.
    """
    servers = {
        "batching": Server(store, threads),
        "single": Server(store, threads, "--no-batching"),
        "lt": Server(store, threads, "--no-batching", "--replicas", "1"),
    }
    rows = []
    try:
        for server in servers.values():  # first requests off the clock
            load(server.url, sentences[:8], 1)
        arm_cli(store, sentences[:8], threads)  # the CLI's first-use imports, too
        for clients in levels:
            cli_seconds, arms = 0.0, {name: [] for name in servers}
            for part in (sentences[i::rounds] for i in range(rounds)):
                cli_seconds += arm_cli(store, part, threads)
                for name, server in servers.items():
                    arms[name].append(measure(server, part, clients))
            row = {"clients": clients, "cli": len(sentences) / cli_seconds}
            row.update({name: combined(parts) for name, parts in arms.items()})
            row["baseline"] = max(row["single"]["per_second"], row["lt"]["per_second"])
            row["uptime"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout
            log(
                f"  {clients:>2} clients: CLI {row['cli']:.1f}, batching "
                f"{row['batching']['per_second']:.1f}, no batching "
                f"{row['single']['per_second']:.1f}, no batching 1 x all "
                f"{row['lt']['per_second']:.1f} sentences/s"
            )
            rows.append(row)
    finally:
        for server in servers.values():
            server.stop()
    return rows


def soak(store: Path, sentences, threads: int, minutes: float, clients: int = 16) -> None:
    """Resident memory of the batching server, each minute, under constant load."""
    server = Server(store, threads)
    try:
        print(f"\n## Soak: {clients} clients for {minutes:g} min (batching server)")
        print("| minute | requests | sentences/s | RSS MB | peak MB |")
        print("|---:|---:|---:|---:|---:|")
        for minute in range(1, int(minutes) + 1):
            result = load(server.url, sentences, clients, seconds=60)
            print(
                f"| {minute} | {result['requests']} | {result['per_second']:.1f} "
                f"| {server.memory_mb('VmRSS'):.0f} | {server.memory_mb():.0f} |",
                flush=True,
            )
    finally:
        server.stop()


def provenance() -> str:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    uptime = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"{stamp}, commit {commit}, {os.cpu_count()} cores; uptime: {uptime}"


def report(rows: list[dict], count: int, threads: int) -> None:
    print(f"\n## bitext serve under load ({count} NTREX sentences, {threads} threads)")
    print("CLI: `bitext translate` on the same sentences, model load excluded, per level.\n")
    print(
        "| clients | arm | sentences/s | p50 s | p99 s | mean batch | x CLI | x no-batching "
        "| peak MB | errors |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['clients']} | CLI | {row['cli']:.1f} | | | | 1.00 | | | |")
        arms = (
            ("batching", "batching"),
            ("no batching", "single"),
            ("no batching, 1 replica x all threads", "lt"),
        )
        for name, key in arms:
            r = row[key]
            print(
                f"| {row['clients']} | {name} | {r['per_second']:.1f} | {r['p50']:.3f} | "
                f"{r['p99']:.3f} | {r['batch']:.1f} | {r['per_second'] / row['cli']:.2f} | "
                f"{r['per_second'] / row['baseline']:.2f} | {r['peak_mb']:.0f} "
                f"| {r['errors']} |"
            )
    print("\nLoad at the end of each level:")
    for row in rows:
        print(f"- {row['clients']} clients: {row['uptime'].strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sentences", type=int, default=None, help="first N sentences only")
    parser.add_argument("--clients", default="1,4,16,64")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--size", default="base", help="copy model size (base, test)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved parts per level")
    parser.add_argument("--minutes", type=float, default=0, help="then a soak of M minutes")
    args = parser.parse_args()
    from translate_speed import model_store

    store = model_store(args.size)
    sentences = ntrex_sentences(args.sentences)
    levels = [int(c) for c in args.clients.split(",")]
    print(f"# {provenance()}")
    rows = run_levels(store, sentences, args.threads, levels, args.rounds)
    report(rows, len(sentences), args.threads)
    print(f"\n# after the arms: {provenance()}")
    if args.minutes:
        soak(store, sentences, args.threads, args.minutes)
        print(f"\n# after the soak: {provenance()}")


if __name__ == "__main__":
    main()
