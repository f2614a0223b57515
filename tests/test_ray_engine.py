"""`--engine ray` on a real two-node Ray cluster on 127.0.0.1 (issue 17).

The cluster (two nodes of one CPU each, `ray.cluster_utils.Cluster`) is
started once per test session. Every run is compared with the local engine
on the seeds plus the 40 NTREX articles: the same summary and byte-identical
files in every format, `--combine` included; and a run of several chunks
with HTML and Markdown inputs and a broken file. Then the faults: a worker
killed by PID mid-run, Ctrl+C on the driver; the translation memory filled
and hit; and the message a user without the extra gets. Without Ray
installed, only that last test runs.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bitext.exporters import COMBINED_STEM
from bitext.outputs import TEMP_PREFIX
from bitext.pipeline import TranslateOptions, translate_paths

from .conftest import ROOT, SEEDS_DIR
from .exported import exported

NTREX = ROOT / "tests" / "data" / "ntrex-dev"
FORMATS = ["docx", "tsv", "tmx", "jsonl", "xlsx", "xliff"]
EPOCH = "1700000000"


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """The two seeds and the 40 NTREX-128 articles, one file each."""
    folder = tmp_path_factory.mktemp("corpus")
    ids = (NTREX / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    lines = (NTREX / "nob.txt").read_text(encoding="utf-8").splitlines()
    articles: dict[str, list[str]] = {}
    for doc_id, line in zip(ids, lines):
        articles.setdefault(doc_id, []).append(line)
    for doc_id, paragraphs in articles.items():
        (folder / f"{doc_id}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    for seed in SEEDS_DIR.glob("*.txt"):
        (folder / seed.name).write_bytes(seed.read_bytes())
    assert len(list(folder.iterdir())) == 42
    return folder


@pytest.fixture(scope="session")
def ray_cluster():
    """Two 1-CPU nodes on 127.0.0.1, joined by this process; shut down at the end."""
    from bitext.cluster.runtime import loopback_environment

    loopback_environment()  # before Ray is imported: it reads them then
    ray = pytest.importorskip("ray", reason="the optional extra 'ray' is not installed")
    import logging

    from ray.cluster_utils import Cluster

    head = {"num_cpus": 1, "include_dashboard": False, "node_ip_address": "127.0.0.1"}
    try:
        cluster = Cluster(initialize_head=True, head_node_args=head)
    except Exception:  # Ray gives a node 30 s to start: a second try on a busy machine
        cluster = Cluster(initialize_head=True, head_node_args=head)
    try:
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
        ray.init(
            address=cluster.address,
            _node_ip_address="127.0.0.1",
            logging_level=logging.ERROR,
            log_to_driver=False,
        )
        yield cluster
    finally:
        ray.shutdown()
        cluster.shutdown()


@pytest.fixture(autouse=True)
def _fixed_dates(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)


def _options(out: Path, models: Path, **changes) -> TranslateOptions:
    values = dict(output_dir=out, formats=FORMATS, models_dir=models, threads=1, cache=False)
    values.update(changes)
    return TranslateOptions(**values)


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(exported(folder))}


def _comparable(summary, out: Path) -> dict:
    """The summary with the output folder's name taken out."""
    return json.loads(json.dumps(summary.as_dict()).replace(str(out), "OUT"))


@pytest.fixture(scope="session")
def reference(tmp_path_factory, corpus, installed_models):
    """The local engine's files and summary for the corpus, with `--combine`:
    (each document's files, the summary, the combined files)."""
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    out = tmp_path_factory.mktemp("local")
    summary = translate_paths([corpus], _options(out, installed_models, combine=True))
    assert summary.count("done") == 42
    files = _files(out)
    combined = {name: data for name, data in files.items() if name.startswith(COMBINED_STEM)}
    assert len(combined) == len(FORMATS) - 1  # every format but DOCX
    documents = {name: data for name, data in files.items() if name not in combined}
    return documents, _comparable(summary, out), combined


def test_ray_engine_writes_the_local_engines_files_and_summary(
    ray_cluster, tmp_path, corpus, installed_models, reference
):
    files, summary, combined = reference
    cache = tmp_path / "memory.sqlite3"
    out = tmp_path / "ray"
    options = _options(
        out, installed_models, engine="ray", cache=True, cache_path=cache, combine=True
    )
    first = translate_paths([corpus], options)
    assert _files(out) == {**files, **combined}
    assert len(files) == 42 * len(FORMATS)
    files = {**files, **combined}  # the runs below write into the same folder
    assert {**_comparable(first, out), "cache": None} == {**summary, "cache": None}
    assert first.cached_sentences == 0 and first.model_sentences > 500

    # The memory now holds every translation: a second run, on Ray or here, hits it.
    again = translate_paths(
        [corpus],
        _options(out, installed_models, engine="ray", cache=True, cache_path=cache, overwrite=True),
    )
    assert (again.cached_sentences, again.model_sentences) == (first.model_sentences, 0)
    assert _files(out) == files
    local_out = tmp_path / "local"
    warm = translate_paths(
        [corpus], _options(local_out, installed_models, cache=True, cache_path=cache)
    )
    assert (warm.cached_sentences, warm.model_sentences) == (first.model_sentences, 0)
    assert _files(local_out) == reference[0]


def test_several_chunks_other_inputs_and_a_broken_file_as_the_local_engine_does(
    ray_cluster, tmp_path, corpus, installed_models
):
    """Ten articles in chunks of three, one of them as HTML and one as
    Markdown (read on the workers), and a broken .docx that fails alone with
    the same reason in both engines.

    Documents read ahead for the next chunk must not keep the workers
    counted busy while this chunk translates (they once did: no batch could
    be sent, and every document of a run over one chunk failed)."""
    articles = tmp_path / "articles"
    articles.mkdir()
    texts = sorted(corpus.iterdir())[:10]
    for path in texts[:8]:
        (articles / path.name).write_bytes(path.read_bytes())
    paragraphs = [p for p in texts[8].read_text(encoding="utf-8").split("\n\n") if p.strip()]
    body = "".join(f"<p>{p}</p>" for p in paragraphs[1:])
    page = f"<html><body><article><h1>{paragraphs[0]}</h1>{body}</article></body></html>"
    (articles / f"{texts[8].stem}.html").write_text(page, encoding="utf-8")
    markdown = "# " + "\n\n".join(texts[9].read_text(encoding="utf-8").split("\n\n"))
    (articles / f"{texts[9].stem}.md").write_text(markdown, encoding="utf-8")
    (articles / "broken.docx").write_bytes(b"PK\x03\x04 not a zip archive")
    runs = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        options = _options(out, installed_models, engine=engine, chunk_documents=3)
        summary = translate_paths([articles], options)
        statuses = {Path(r.path).name: r.status for r in summary.results}
        assert statuses.pop("broken.docx") == "failed"
        assert set(statuses.values()) == {"done"} and len(statuses) == 10, summary.results
        runs[engine] = _files(out), _comparable(summary, out)
    assert runs["ray"] == runs["local"]
    failure = next(r for r in summary.results if r.status == "failed")
    # The worker read it from a private copy; the reason names the user's file.
    assert failure.reason.startswith(f"{articles / 'broken.docx'}: not a readable .docx file")


def test_a_worker_killed_mid_run_costs_no_document(
    ray_cluster, tmp_path, corpus, installed_models, reference, monkeypatch
):
    from bitext.cluster import driver

    engines = []
    start = driver.RayEngine.__init__

    def remember(self, options):
        start(self, options)
        engines.append((self, self.worker_pids()))

    monkeypatch.setattr(driver.RayEngine, "__init__", remember)
    killed = []

    def progress(done: int, total: int) -> None:
        if not killed:  # after the first batch: more are queued on both workers
            victim = engines[0][1][0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    out = tmp_path / "out"
    summary = translate_paths(
        [corpus], _options(out, installed_models, engine="ray"), progress=progress
    )
    assert killed, "the run ended before a worker could be killed"
    with pytest.raises(ProcessLookupError):
        os.kill(killed[0], 0)
    assert [r.status for r in summary.results] == ["done"] * 42
    assert sorted(summary.files) == sorted(str(out / name) for name in reference[0])
    assert _files(out) == reference[0]


def _cluster_pids() -> set[int]:
    """This process's descendants: the Ray nodes the fixture started and their workers."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _tcp_endpoints(pids: set[int]) -> list[tuple[str, str, str]]:
    """(local, remote, state) of every IPv4/IPv6 TCP socket those processes hold."""
    inodes: set[str] = set()
    for pid in pids:
        try:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            continue
    found = []
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                found.append((_address(fields[1], family), _address(fields[2], family), fields[3]))
    return found


def _address(field: str, family: int) -> str:
    raw = bytes.fromhex(field.split(":")[0])
    # /proc/net/tcp* prints each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(family, words)


def test_the_cluster_talks_on_loopback_only(ray_cluster, tmp_path, installed_models):
    translate_paths([SEEDS_DIR], _options(tmp_path, installed_models, engine="ray"))
    endpoints = _tcp_endpoints(_cluster_pids() | {os.getpid()})
    connected = [e for e in endpoints if e[2] != "0A"]  # 0A: listening
    assert connected, "no Ray connection found to check"
    loopback = {"127.0.0.1", "::ffff:127.0.0.1", "::1"}
    assert [e for e in connected if e[0] not in loopback or e[1] not in loopback] == []
    # Nothing listens on this machine's interface address either.
    listening = {e[0] for e in endpoints if e[2] == "0A"}
    assert listening <= loopback | {"0.0.0.0", "::"}, listening


def _command(corpus: Path, out: Path, models: Path, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "bitext", "translate", str(corpus), "-o", str(out),
        "--models-dir", str(models), "--threads", "1", "--format", ",".join(FORMATS),
        "--no-cache", "--json", *extra,
    ]  # fmt: skip


def test_without_the_extra_engine_ray_exits_2_with_the_install_command(tmp_path, installed_models):
    # `import ray` fails in this child as it does where the extra is not installed.
    code = "import sys; sys.modules['ray'] = None; from bitext.cli import app; app()"
    command = _command(SEEDS_DIR, tmp_path / "out", installed_models, "--engine", "ray")
    result = subprocess.run(
        [sys.executable, "-c", code, *command[3:]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "pip install 'bitext[ray]'" in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_ctrl_c_on_the_driver_keeps_finished_documents_and_resumes(
    ray_cluster, tmp_path, corpus, installed_models, reference
):
    files = reference[0]
    out = tmp_path / "out"
    command = _command(corpus, out, installed_models, "--engine", "ray")
    command += ["--ray-address", ray_cluster.address]
    env = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH)
    proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 300
    sent = False
    while proc.poll() is None and time.monotonic() < deadline:
        names = (
            [n for n in os.listdir(out) if not n.startswith(TEMP_PREFIX)] if out.exists() else []
        )
        if names and not sent:  # the first documents are written: stop now
            proc.send_signal(signal.SIGINT)
            sent = True
        for name in names:
            try:
                assert (out / name).read_bytes() == files[name], f"{name} is partial"
            except FileNotFoundError:  # pragma: no cover
                raise AssertionError(f"{name} vanished") from None
        time.sleep(0.05)
    stdout, stderr = proc.communicate(timeout=60)
    assert sent, stderr.decode()
    summary = json.loads(stdout)
    assert proc.returncode == 130, stderr.decode()
    assert summary["interrupted"] and summary["not_done"] > 0
    assert not any(n.startswith(TEMP_PREFIX) for n in os.listdir(out))
    assert all(files[name] == data for name, data in _files(out).items())

    rerun = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr.decode()
    assert _files(out) == files
