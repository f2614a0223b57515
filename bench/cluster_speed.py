"""Cluster speed: the local engine against `--engine ray` on one and two Ray nodes.

A benchmark script, not a test. In one run, on the same model, articles and
options (the translation memory on, as by default, but empty at the start of
each run, so every sentence is translated and stored), arms side by side,
repeated, medians reported:

  local   `translate_paths` with the local engine pinned to 1 thread
  ray-1   `--engine ray` on a Ray cluster of one 1-CPU node
  ray-2   `--engine ray` on the same cluster with a second 1-CPU node added

All nodes run on this machine, on 127.0.0.1 (`ray.cluster_utils.Cluster`).
It checks that every arm wrote byte-identical files, prints documents/s and
the ratios ray-1/local (goal >= 0.85) and ray-2/ray-1 (goal >= 1.7), and the
driver's own CPU time per document in the Ray arms (the calling thread's CPU
time, and the whole driver process's, which includes Ray's client threads).
From those it prints the scaling plan: how many documents per second one
driver can serve, and at how many 1-CPU nodes it would become the bottleneck.

The model: `python -m bitext.copymodel --size base` (the nb->en package's
transformer-base shape, int8, weights that copy their input), built once into
bench/out/ (git-ignored). Articles: the 40 NTREX-128 dev articles plus the
seeds, in variants whose sentences each begin with a different short word,
so no sentence repeats across the corpus (the engine translates a repeated
sentence once).

    uv run python bench/cluster_speed.py                    # 200 articles, 3 repeats
    uv run python bench/cluster_speed.py --articles 60 --repeats 1 --fast
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NTREX = ROOT / "tests" / "data" / "ntrex-dev"
OUT = ROOT / "bench" / "out"
#: The run record of an output folder (bitext.record.RECORD_NAME; older trees have none).
RECORD_NAME = ".bitext-record.json"
#: First words that make each variant's sentences distinct.
OPENERS = ["", "I går:", "Oppdatert:", "Bakgrunn:", "Analyse:", "Kort sagt:", "Nyhet:", "Kilde:"]


def corpus(folder: Path, articles: int) -> Path:
    """`articles` files: NTREX articles and seeds in distinct variants."""
    ids = (NTREX / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    lines = (NTREX / "nob.txt").read_text(encoding="utf-8").splitlines()
    base: dict[str, list[str]] = {}
    for doc_id, line in zip(ids, lines):
        base.setdefault(doc_id, []).append(line)
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        text = seed.read_text(encoding="utf-8")
        base[seed.stem] = [b for b in text.split("\n\n")[1:] if b.strip()]
    names = sorted(base)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(articles):
        name, variant = names[i % len(names)], i // len(names)
        if variant >= len(OPENERS):
            raise SystemExit(f"at most {len(OPENERS) * len(names)} distinct articles")
        opener = OPENERS[variant]
        paragraphs = [f"{opener} {p}".strip() for p in base[name]]
        (folder / f"{variant}-{name}.txt").write_text("\n\n".join(paragraphs) + "\n", "utf-8")
    return folder


def model_store() -> Path:
    """bench/out/models with the base-size copy model installed (built once)."""
    from bitext.copymodel import build_copy_package
    from bitext.models import install_archive, list_installed

    store = OUT / "models"
    if not any(p.code.endswith("copy-base") for p in list_installed(store)):
        archive = OUT / "translate-nb_en-copy-base.argosmodel"
        if not archive.exists():
            print("building the base-size copy model ...", file=sys.stderr)
            build_copy_package(archive, size="base")
        install_archive(archive, store)
    return store


def run_arm(name: str, articles: Path, out: Path, store: Path, fast: bool, address):
    from bitext.pipeline import TranslateOptions, translate_paths

    shutil.rmtree(out, ignore_errors=True)
    memory = out.with_name(f"{name}-memory.sqlite3")
    for stale in memory.parent.glob(memory.name + "*"):
        stale.unlink()
    options = TranslateOptions(
        output_dir=out,
        formats=["docx", "tsv"],
        models_dir=store,
        threads=1,
        cache=True,
        cache_path=memory,
        fast=fast,
        engine="local" if address is None else "ray",
        ray_address=address,
    )
    cpu_thread, cpu_process = time.thread_time(), time.process_time()
    start = time.perf_counter()
    summary = translate_paths([articles], options)
    wall = time.perf_counter() - start
    cpu_thread, cpu_process = time.thread_time() - cpu_thread, time.process_time() - cpu_process
    done = summary.count("done")
    if done != len(summary.results):
        raise SystemExit(f"{name}: {len(summary.results) - done} documents not done")
    # Without the run record (its run ids and dates differ from run to run).
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.name != RECORD_NAME}
    print(
        f"  {name:6s} {wall:7.1f} s  {done / wall:6.3f} docs/s  "
        f"driver CPU {1000 * cpu_thread / done:6.1f} ms/doc (thread), "
        f"{1000 * cpu_process / done:6.1f} ms/doc (process)",
        file=sys.stderr,
    )
    return done / wall, cpu_thread / done, cpu_process / done, files, summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fast", action="store_true", help="greedy decoding (beam 1)")
    args = parser.parse_args(argv)

    from bitext.cluster.runtime import loopback_environment

    loopback_environment()  # before Ray is imported
    import ray
    from ray.cluster_utils import Cluster

    os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")
    store = model_store()
    work = Path(tempfile.mkdtemp(prefix="bitext-cluster-speed-"))
    articles = corpus(work / "articles", args.articles)
    sentences = None
    print(
        f"{args.articles} articles, base-size copy model, repeats {args.repeats}", file=sys.stderr
    )
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "include_dashboard": False, "node_ip_address": "127.0.0.1"},
    )
    speeds: dict[str, list[float]] = {"local": [], "ray-1": [], "ray-2": []}
    driver_thread: list[float] = []
    driver_process: list[float] = []
    reference = None
    try:
        ray.init(
            address=cluster.address,
            _node_ip_address="127.0.0.1",
            logging_level=logging.ERROR,
            log_to_driver=False,
        )
        for repeat in range(args.repeats):
            print(f"repeat {repeat + 1}", file=sys.stderr)
            for name in ("local", "ray-1", "ray-2"):
                second = cluster.add_node(num_cpus=1) if name == "ray-2" else None
                if second is not None:
                    cluster.wait_for_nodes()
                    while ray.cluster_resources().get("CPU", 0) < 2:
                        time.sleep(0.5)
                address = None if name == "local" else cluster.address
                speed, per_thread, per_process, files, summary = run_arm(
                    name, articles, work / name, store, args.fast, address
                )
                if second is not None:
                    cluster.remove_node(second)
                    while ray.cluster_resources().get("CPU", 0) > 1:
                        time.sleep(0.5)
                speeds[name].append(speed)
                if name != "local":
                    driver_thread.append(per_thread)
                    driver_process.append(per_process)
                if reference is None:
                    reference = files
                    sentences = summary.as_dict()["sentences"]
                elif files != reference:
                    raise SystemExit(f"{name}: files differ from the local engine's")
    finally:
        ray.shutdown()
        cluster.shutdown()
        shutil.rmtree(work, ignore_errors=True)

    med = {name: statistics.median(values) for name, values in speeds.items()}
    per_doc = statistics.median(driver_process)
    per_doc_thread = statistics.median(driver_thread)
    serve = 1 / per_doc
    node = med["ray-2"] / 2  # documents/s one 1-CPU node adds
    print()
    print(
        f"articles {args.articles}, sentences {sentences}, repeats {args.repeats}, "
        f"decoding {'greedy' if args.fast else 'beam 4'}; all files byte-identical: yes"
    )
    for name, value in med.items():
        print(
            f"{name:6s} median {value:.3f} documents/s  (runs: "
            + ", ".join(f"{v:.3f}" for v in speeds[name])
            + ")"
        )
    print(f"ray-1 / local  = {med['ray-1'] / med['local']:.2f}x  (goal >= 0.85)")
    print(f"ray-2 / ray-1  = {med['ray-2'] / med['ray-1']:.2f}x  (goal >= 1.7)")
    print(
        f"driver CPU per document: {1000 * per_doc_thread:.1f} ms (its thread), "
        f"{1000 * per_doc:.1f} ms (whole process)"
    )
    print("scaling plan:")
    print(
        f"  one driver serves {serve:.0f} documents/s "
        f"({serve * sentences / args.articles:.0f} sentences/s)"
    )
    print(f"  one 1-CPU node translates {node:.3f} documents/s here")
    print(f"  the driver becomes the bottleneck at about {serve / node:.0f} such nodes")
    print(
        f"  8 GPUs saturate it only above {serve / 8:.0f} documents/s per GPU "
        "(GPU speed not measured here)"
    )


if __name__ == "__main__":
    main()
