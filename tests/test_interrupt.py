"""Ctrl+C and SIGTERM on a real `python -m bitext translate` process (issue 7).

One uninterrupted run gives the reference files. Then the same command is
started again and again on another output folder, each time stopped at a
different moment (while reading, as the first documents are written, by
SIGTERM, by two quick Ctrl+C), until a last run finishes the job. The
folder is polled all along: every file that appears under its final name must
already be byte-identical to the reference (no partial file, ever), and no
`.bitext-tmp-*` temporary may outlive a run. If a run ends before its signal
arrives (a fast machine), the case still has to hold: the outputs are simply
complete sooner.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bitext.outputs import TEMP_PREFIX
from bitext.record import RECORD_NAME

from .conftest import ROOT, SEEDS_DIR
from .exported import exported

NTREX = ROOT / "tests" / "data" / "ntrex-dev" / "nob.txt"
ARTICLES = 60


def _corpus(folder: Path) -> Path:
    """Articles of two NTREX paragraphs each, plus the two seed articles."""
    folder.mkdir()
    lines = [line for line in NTREX.read_text(encoding="utf-8").splitlines() if line.strip()]
    for i in range(ARTICLES):
        first, second = lines[(2 * i) % len(lines)], lines[(2 * i + 1) % len(lines)]
        (folder / f"artikkel {i:03d}.txt").write_text(f"{first}\n\n{second}\n", encoding="utf-8")
    for seed in SEEDS_DIR.glob("*.txt"):
        (folder / seed.name).write_bytes(seed.read_bytes())
    return folder


class _Run:
    """One `bitext translate` process, with the output folder watched while it runs."""

    def __init__(self, corpus: Path, out: Path, models: Path, cache: Path) -> None:
        self.out = out
        env = dict(os.environ, BITEXT_CACHE_DIR=str(cache), SOURCE_DATE_EPOCH="1700000000")
        command = [sys.executable, "-m", "bitext", "translate", str(corpus), "-o", str(out)]
        command += ["--models-dir", str(models), "--threads", "1", "--from", "nb", "--json"]
        self.existing = self.names()
        self.start = time.monotonic()
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def names(self) -> set[str]:
        # Not the run record: its run ids and dates differ from run to run.
        return set(os.listdir(self.out)) - {RECORD_NAME} if self.out.exists() else set()

    def new_outputs(self) -> set[str]:
        return {n for n in self.names() - self.existing if not n.startswith(TEMP_PREFIX)}

    def finish(self, reference: dict[str, bytes] | None, signals=(), when=None) -> tuple:
        """Wait for the end, sending `signals` once `when(self)` is true; check every poll."""
        pending = list(signals)
        seen: set[str] = set()
        while self.proc.poll() is None:
            if reference is not None:
                for name in self.new_outputs() - seen:
                    try:
                        data = (self.out / name).read_bytes()
                    except FileNotFoundError:  # pragma: no cover - never renamed away
                        raise AssertionError(f"{name} vanished") from None
                    assert data == reference[name], f"{name} appeared incomplete or different"
                    seen.add(name)
            if pending and when is not None and when(self):
                for number in pending:
                    self.proc.send_signal(number)
                    time.sleep(0.1)
                pending = []
            time.sleep(0.02)
        stdout, stderr = self.proc.communicate()
        leftovers = [n for n in self.names() if n.startswith(TEMP_PREFIX)]
        assert not leftovers, f"temporaries left behind: {leftovers}"
        summary = json.loads(stdout) if stdout.strip() else None
        return self.proc.returncode, summary, stderr.decode("utf-8", "replace")


def after(seconds: float):
    return lambda run: time.monotonic() - run.start >= seconds


def when_writing(run: _Run) -> bool:
    return bool(run.new_outputs())


def test_interrupted_runs_resume_to_byte_identical_outputs(tmp_path, installed_models):
    corpus = _corpus(tmp_path / "articles")
    documents = ARTICLES + len(list(SEEDS_DIR.glob("*.txt")))

    ref_out = tmp_path / "reference"
    rc, summary, stderr = _Run(corpus, ref_out, installed_models, tmp_path / "cache-ref").finish(
        None
    )
    assert rc == 0, stderr
    assert summary["done"] == documents and summary["failed"] == 0
    reference = {p.name: p.read_bytes() for p in exported(ref_out)}
    assert len(reference) == 2 * documents

    out = tmp_path / "resumed"
    cache = tmp_path / "cache-resumed"
    cases = [
        ("SIGINT while reading", [signal.SIGINT], after(1.0), 130),
        ("SIGINT as documents are written", [signal.SIGINT], when_writing, 130),
        ("SIGTERM as documents are written", [signal.SIGTERM], when_writing, 143),
        ("Ctrl+C twice", [signal.SIGINT, signal.SIGINT], when_writing, 130),
    ]
    translated = 0
    for label, signals, when, code in cases:
        run = _Run(corpus, out, installed_models, cache)
        before = run.existing
        rc, summary, stderr = run.finish(reference, signals, when)
        done = {n for n in run.names() if not n.startswith(TEMP_PREFIX)}
        print(
            f"{label}: exit {rc}, {len(done) - len(before)} new files, "
            f"{summary['cache'] if summary else 'no summary'}",
            file=sys.stderr,
        )
        assert done >= before, label
        for name in done:
            assert (out / name).read_bytes() == reference[name], f"{label}: {name}"
        if rc == 0:  # finished before the signal: then everything is there
            assert done == set(reference), label
            continue
        # (-N: the signal came before Python had set up any handler: still nothing written.)
        assert rc in (code, -signals[0]), f"{label}: exit {rc}\n{stderr}"
        if summary is not None:  # a hard stop prints no summary
            assert summary["interrupted"] is True, label
            assert summary["done"] + summary["skipped"] + summary["not_done"] == documents
            assert summary["skipped"] == len(_complete(before)), label
            assert summary["failed"] == 0, stderr
            translated += summary["cache"]["translated"]
            assert "run the same command again" in stderr
        # Both files of a document are written before the next is started
        # (on a hard stop, at worst one document has one file of two).
        stems = {n.rsplit(".", 1)[0] for n in done}
        assert len(done) >= 2 * len(stems) - 1, label

    last = _Run(corpus, out, installed_models, cache)
    before = {n for n in last.existing if not n.startswith(TEMP_PREFIX)}
    rc, summary, stderr = last.finish(reference)
    assert rc == 0, stderr
    assert summary["failed"] == 0 and summary["interrupted"] is False
    assert summary["done"] + summary["skipped"] == documents
    complete = _complete(before)
    assert summary["skipped"] == len(complete)
    if complete:
        assert "already exported" in stderr
    # What earlier runs translated came from the memory, not the model again.
    assert summary["cache"]["translated"] + translated <= _sentences(reference)
    if translated:
        assert summary["cache"]["translated"] < _sentences(reference)
    assert {p.name: p.read_bytes() for p in exported(out)} == reference


def _complete(names: set[str]) -> set[str]:
    """Documents with both their files."""
    stems = {n.rsplit(".", 1)[0] for n in names}
    return {s for s in stems if f"{s}.tsv" in names and f"{s}.docx" in names}


def _sentences(reference: dict[str, bytes]) -> int:
    """Distinct source sentences of the run, from the reference TSV files."""
    sources = set()
    for name, data in reference.items():
        if name.endswith(".tsv"):
            for line in data.decode("utf-8").splitlines()[1:]:
                sources.add(line.split("\t")[5])
    return len(sources)
