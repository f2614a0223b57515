"""`bitext align` over many pairs: a second run skips finished pairs, and a run
stopped by Ctrl+C or SIGTERM writes whole files only and resumes where it was.

The pairs are ntrex-dev articles (nob beside eng-US), in two folders with the
same file names. A real `python -m bitext align` process is stopped as soon as
its first files appear; every file in the output folder must then be
byte-identical to an uninterrupted run's, and the next run must finish the
rest without redoing what was done.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from itertools import groupby
from pathlib import Path

import pytest

from bitext.outputs import TEMP_PREFIX

from .exported import exported

ROOT = Path(__file__).resolve().parents[1]
NTREX = ROOT / "tests" / "data" / "ntrex-dev"
COPIES = 2  # each of the 40 articles twice, under other names: 80 pairs


def _articles(language: str) -> list[list[str]]:
    ids = (NTREX / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    lines = iter((NTREX / f"{language}.txt").read_text(encoding="utf-8").splitlines())
    return [[next(lines) for _ in group] for _, group in groupby(ids)]


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path, int]:
    base = tmp_path_factory.mktemp("pairs")
    src, tgt = base / "nb", base / "en"
    src.mkdir()
    tgt.mkdir()
    for n, (nb, en) in enumerate(zip(_articles("nob"), _articles("eng-US"))):
        for copy in range(COPIES):
            name = f"article {copy}-{n:02d}.txt"
            # Paragraphs of three lines, as an article would have them.
            for folder, lines in ((src, nb), (tgt, en)):
                paragraphs = [" ".join(lines[k : k + 3]) for k in range(0, len(lines), 3)]
                (folder / name).write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    return src, tgt, len(list(src.iterdir()))


def _command(src: Path, tgt: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "bitext", "align", str(src), str(tgt), "-o", str(out)] + [
        "--format",
        "tsv,docx",
        "--json",
        *extra,
    ]


def _run(command: list[str]) -> tuple[int, dict | None, str]:
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    summary = json.loads(proc.stdout) if proc.stdout.strip() else None
    return proc.returncode, summary, proc.stderr


@pytest.fixture(scope="module")
def reference(folders, tmp_path_factory) -> dict[str, bytes]:
    src, tgt, pairs = folders
    out = tmp_path_factory.mktemp("reference")
    rc, summary, stderr = _run(_command(src, tgt, out))
    assert rc == 0, stderr
    assert summary["done"] == pairs and summary["not_done"] == 0
    return {p.name: p.read_bytes() for p in exported(out)}


def test_a_second_run_skips_finished_pairs_and_overwrite_redoes_them(
    folders, reference, tmp_path
) -> None:
    src, tgt, pairs = folders
    out = tmp_path / "out"
    out.mkdir()
    for name, data in reference.items():  # as a finished run left them
        (out / name).write_bytes(data)
    stamps = {p.name: p.stat().st_mtime_ns for p in exported(out)}
    rc, summary, stderr = _run(_command(src, tgt, out))
    assert rc == 0, stderr
    assert (summary["done"], summary["skipped"]) == (0, pairs)
    assert "already exported (use --overwrite to redo)" in stderr
    assert {p.name: p.stat().st_mtime_ns for p in exported(out)} == stamps  # not rewritten
    rc, summary, stderr = _run(_command(src, tgt, out, "--overwrite"))
    assert rc == 0, stderr
    assert summary["done"] == pairs
    assert {p.name: p.read_bytes() for p in exported(out)} == reference


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_run_keeps_whole_files_and_the_next_run_finishes(
    folders, reference, tmp_path, signum
) -> None:
    src, tgt, pairs = folders
    out = tmp_path / "out"
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    proc = subprocess.Popen(
        _command(src, tgt, out),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sent = False
    while proc.poll() is None:
        names = set(os.listdir(out)) if out.exists() else set()
        finished = {n for n in names if not n.startswith(TEMP_PREFIX)}
        if finished and not sent:
            proc.send_signal(signum)
            sent = True
        time.sleep(0.02)
    stdout, stderr = proc.communicate()
    assert not [n for n in os.listdir(out) if n.startswith(TEMP_PREFIX)]
    written = {p.name: p.read_bytes() for p in exported(out)}
    for name, data in written.items():
        assert data == reference[name], f"{name} differs from the uninterrupted run"
    if proc.returncode == 0:  # finished before the signal landed: all there
        assert written == reference
        return
    assert proc.returncode == 128 + signum, stderr
    summary = json.loads(stdout)
    assert 0 < summary["not_done"] < pairs
    assert summary["done"] * 2 == len(written)  # each finished pair: its TSV and its DOCX
    assert "interrupted:" in stderr and "run the same command again" in stderr

    rc, again, stderr = _run(_command(src, tgt, out))
    assert rc == 0, stderr
    assert again["skipped"] == summary["done"]
    assert again["done"] == pairs - summary["done"]
    assert {p.name: p.read_bytes() for p in exported(out)} == reference
