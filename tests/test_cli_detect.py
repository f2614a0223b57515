"""`bitext detect`: JSON lines per document, blocks on request, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import SEEDS_DIR


def run_detect(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bitext", "detect", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_json_lines_with_blocks_for_seeds_and_a_planted_english_quote(tmp_path):
    seed = (SEEDS_DIR / "000_971f0af4c1b6c782.txt").read_text(encoding="utf-8")
    quote = (
        "– We will keep working closely with our partners in the region to protect "
        "security and stability, the minister told reporters on Monday."
    )
    planted = tmp_path / "planted.txt"
    planted.write_text(seed + "\n\n" + quote + "\n", encoding="utf-8")
    proc = run_detect("--json", "--blocks", str(SEEDS_DIR), str(planted))
    assert proc.returncode == 0, proc.stderr
    reports = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["path"].rsplit("/", 1)[-1] for r in reports] == [
        "000_971f0af4c1b6c782.txt",
        "002_a3320b0741197cf2.txt",
        "planted.txt",
    ]
    for report in reports:
        assert report["language"] == "nb"
        assert 0.5 <= report["confidence"] <= 1
        assert all({"block", "language", "confidence"} <= set(b) for b in report["blocks"])
    last_block = reports[-1]["blocks"][-1]
    assert last_block["language"] == "en"
    assert reports[-1]["blocks_by_language"] == {"en": 1, "nb": 19}


def test_missing_path_exits_2_and_bad_file_exits_1(tmp_path):
    assert run_detect(str(tmp_path / "nope")).returncode == 2
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "good.txt").write_text("Dette er en helt vanlig norsk setning om været i dag.\n")
    proc = run_detect("--json", str(tmp_path))
    assert proc.returncode == 1
    assert "bad.txt" in proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert any(r.get("language") == "nb" for r in lines)


def test_ctrl_c_in_the_installed_script_exits_130_not_aborted(tmp_path):
    """The `bitext` console script, stopped while it streams: exit 130, no
    "Aborted!" (what Click prints for Ctrl+C, with exit code 1). The listing
    waits after its first article until the signal comes (a test hook), so
    the signal surely lands mid-run."""
    import os
    import signal
    from pathlib import Path

    from bitext.interrupts import PAUSE_ENV

    from .waiting import read_line

    script = Path(sys.executable).with_name("bitext")
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(5):
        (folder / f"{i:04d}.txt").write_text(f"Dette er artikkel nummer {i}.\n", encoding="utf-8")
    proc = subprocess.Popen(
        [str(script), "detect", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONUNBUFFERED="1", **{PAUSE_ENV: "detected"}),
    )
    first = read_line(proc, proc.stdout, timeout=60)  # detection is under way
    assert first.startswith(str(folder)), first
    paused = read_line(proc, proc.stderr, timeout=60)  # nothing else goes to stderr before it
    assert paused.startswith("bitext: paused at detected"), paused
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "Aborted" not in stderr
    assert stdout == ""  # the other four were never listed
