"""The model store: hostile archives refused, folder installs, verify, remove, kills.

Every archive here is a real `.argosmodel` zip derived from the session's copy
model; the kill test runs the real `python -m bitext models install` in a
subprocess and SIGKILLs it at each stage of an install.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bitext.cli import app
from bitext.models import (
    LOCK_NAME,
    ModelError,
    find_package,
    install_archive,
    install_folder,
    list_installed,
    remove_package,
    sha256_file,
    store_lock,
    verify_installed,
)

from .waiting import read_line

ROOT = Path(__file__).resolve().parent.parent


def _members(archive: Path) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(archive) as zf:
        return [(info, zf.read(info)) for info in zf.infolist()]


def _write(path: Path, members) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in members:
            if isinstance(info, str):
                info = zipfile.ZipInfo(info)
            zf.writestr(info, data)
    return path


def repacked(source: Path, target: Path, *, version: str | None = None, drop=(), replace=None):
    """The copy package with its metadata version changed or members dropped/replaced."""
    out = []
    for info, data in _members(source):
        name = info.filename
        if any(name.endswith(d) for d in drop):
            continue
        if version and name.endswith("metadata.json"):
            meta = json.loads(data)
            meta["package_version"] = version
            data = json.dumps(meta).encode()
        for suffix, new in (replace or {}).items():
            if name.endswith(suffix):
                data = new
        out.append((info, data))
    return _write(target, out)


def _top(archive: Path) -> str:
    return _members(archive)[0][0].filename.split("/")[0]


def _zip_bomb(source: Path, target: Path) -> Path:
    """The copy package with every member's central-directory size set near 4 GiB."""
    data = bytearray(source.read_bytes())
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        data[pos + 24 : pos + 28] = (0xFFFFFFF0).to_bytes(4, "little")
        pos = data.find(b"PK\x01\x02", pos + 4)
    target.write_bytes(bytes(data))
    return target


def _hostile(kind: str, source: Path, tmp: Path) -> Path:
    top = _top(source)
    target = tmp / f"{kind}.argosmodel"
    if kind == "traversal":
        return _write(target, _members(source) + [(f"{top}/../../x", b"evil")])
    if kind == "absolute":
        return _write(target, _members(source) + [("/tmp/bitext-evil", b"evil")])
    if kind == "symlink":
        link = zipfile.ZipInfo(f"{top}/model/link")
        link.external_attr = 0o120777 << 16
        return _write(target, _members(source) + [(link, b"/etc/passwd")])
    if kind == "zip-bomb":
        return _zip_bomb(source, target)
    if kind == "not-a-zip":
        target.write_bytes(b"this is not a zip archive\n" * 100)
        return target
    if kind == "no-metadata":
        return repacked(source, target, drop=("metadata.json",))
    if kind == "bad-model":
        return repacked(source, target, replace={"model/model.bin": b"\x00garbage" * 64})
    raise AssertionError(kind)


@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("traversal", "points outside"),
        ("absolute", "absolute path"),
        ("symlink", "symbolic link"),
        ("zip-bomb", "zip bomb"),
        ("not-a-zip", "not a zip"),
        ("no-metadata", "no metadata.json"),
        ("bad-model", "CTranslate2 cannot load"),
    ],
)
def test_hostile_archive_is_refused_and_nothing_is_written(
    kind, reason, copy_model_archive, tmp_path
):
    archive = _hostile(kind, copy_model_archive, tmp_path)
    store = tmp_path / "models"
    with pytest.raises(ModelError, match=reason):
        install_archive(archive, store)
    # Refused before anything was written; only a model CTranslate2 cannot load
    # gets as far as a temporary folder, which is gone again (the lock file stays).
    left = sorted(p.name for p in store.iterdir()) if store.exists() else []
    assert left in ([], [LOCK_NAME])
    assert not (tmp_path / "x").exists() and not Path("/tmp/bitext-evil").exists()


def test_hostile_archive_leaves_installed_package_alone(copy_model_archive, models_copy, tmp_path):
    before = {
        p.relative_to(models_copy): p.read_bytes() for p in models_copy.rglob("*") if p.is_file()
    }
    archive = _hostile("bad-model", copy_model_archive, tmp_path)
    result = CliRunner().invoke(
        app, ["models", "install", str(archive), "--models-dir", str(models_copy)]
    )
    assert result.exit_code == 2 and "CTranslate2 cannot load" in result.output
    after = {
        p.relative_to(models_copy): p.read_bytes() for p in models_copy.rglob("*") if p.is_file()
    }
    assert after == before


def test_wrong_sha256_is_refused(copy_model_archive, tmp_path):
    with pytest.raises(ModelError, match="does not match"):
        install_archive(copy_model_archive, tmp_path / "m", expected_sha256="0" * 64)
    assert not (tmp_path / "m").exists()


def test_pinned_digest_applies_to_files_too(copy_model_archive, tmp_path):
    """A file claiming to be translate-nb_en 1.9 with another digest is refused."""
    fake = repacked(copy_model_archive, tmp_path / "fake.argosmodel", version="1.9")
    with pytest.raises(ModelError, match="known digest"):
        install_archive(fake, tmp_path / "m")
    assert list_installed(tmp_path / "m") == []


def test_install_records_digest_and_verify_catches_a_changed_file(copy_model_archive, tmp_path):
    store = tmp_path / "m"
    pkg = install_archive(copy_model_archive, store)
    assert pkg.sha256 == sha256_file(copy_model_archive)
    assert "model/model.bin" in pkg.files
    assert [r.ok for r in verify_installed(store)] == [True]
    runner = CliRunner()
    listed = runner.invoke(app, ["models", "list", "--json", "--models-dir", str(store)])
    assert json.loads(listed.output)["sha256"] == pkg.sha256
    vocab = next((pkg.path / "model").glob("*vocabulary*"))
    vocab.write_bytes(vocab.read_bytes() + b"x\n")
    (pkg.path / "extra.txt").write_text("hello")
    [result] = verify_installed(store)
    assert not result.ok
    assert any("changed file model/" in p for p in result.problems)
    assert any("unexpected file extra.txt" in p for p in result.problems)
    out = runner.invoke(app, ["models", "verify", "--models-dir", str(store)])
    assert out.exit_code == 1 and "FAILED" in out.output


def test_install_from_unpacked_folder(copy_model_archive, tmp_path):
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(copy_model_archive) as zf:
        zf.extractall(unpacked)  # our own trusted archive
    store = tmp_path / "m"
    result = CliRunner().invoke(
        app, ["models", "install", str(unpacked), "--models-dir", str(store)]
    )
    assert result.exit_code == 0, result.output
    [pkg] = list_installed(store)
    assert pkg.pair == "nb-en" and pkg.sha256 is None and pkg.tree_sha256
    assert [r.ok for r in verify_installed(store)] == [True]
    listed = CliRunner().invoke(app, ["models", "list", "--models-dir", str(store)])
    assert f"tree:{pkg.tree_sha256}" in listed.output


def test_folder_with_symlink_is_refused(copy_model_archive, tmp_path):
    unpacked = tmp_path / "unpacked"
    with zipfile.ZipFile(copy_model_archive) as zf:
        zf.extractall(unpacked)
    package = unpacked / _top(copy_model_archive)
    (package / "model" / "escape").symlink_to("/etc/passwd")
    with pytest.raises(ModelError, match="symbolic link"):
        install_folder(package, tmp_path / "m")
    assert not (tmp_path / "m").exists()


def test_remove_by_pair_and_code(models_copy):
    assert remove_package("nothing", models_copy) == []
    assert len(remove_package("nb-en", models_copy)) == 1
    assert list_installed(models_copy) == []
    assert [p.name for p in models_copy.iterdir() if not p.name.startswith(".")] == []


def test_second_install_waits_for_the_lock(copy_model_archive, tmp_path):
    """Two installs at once: the second waits for the first's lock, then installs."""
    store = tmp_path / "m"
    with store_lock(store):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bitext",
                "models",
                "install",
                str(copy_model_archive),
                "--models-dir",
                str(store),
            ],
            cwd=ROOT,
            stderr=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = read_line(proc, proc.stderr, timeout=120)
        assert "waiting for another bitext install" in line
        assert list_installed(store) == []
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert [p.pair for p in list_installed(store)] == ["nb-en"]


# --- killed installs -----------------------------------------------------------

STAGES = ["download", "downloaded", "unpacked", "validated", "replacing", "installed"]


def _start_paused(args: list[str], stage: str, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bitext", *args],
        cwd=ROOT,
        env={**env, "BITEXT_TEST_PAUSE_AT": stage},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    for line in proc.stderr:
        if f"paused at {stage}" in line:
            return proc
        lines.append(line)
    proc.wait(timeout=30)
    raise AssertionError(f"never reached {stage} (exit {proc.returncode}): {''.join(lines)}")


def _state(store: Path) -> tuple[list[dict], int]:
    runner = CliRunner()
    listed = runner.invoke(app, ["models", "list", "--json", "--models-dir", str(store)])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines() if line.strip()]
    verified = runner.invoke(app, ["models", "verify", "--models-dir", str(store)])
    return rows, verified.exit_code


def test_killed_install_leaves_a_consistent_store(
    copy_model_archive, models_copy, tmp_path, model_server
):
    """SIGKILL an upgrade 0.1 -> 0.2 at every stage: always exactly one intact package."""
    from bitext.engine import Translator

    newer = repacked(copy_model_archive, tmp_path / "translate-nb_en-0_2.argosmodel", version="0.2")
    base = model_server.publish(newer, code="translate-nb_en", version="0.2")
    env = {**os.environ, "ARGOS_PACKAGE_INDEX": base}
    args = ["models", "install", "nb-en", "--models-dir", str(models_copy)]
    for stage in STAGES:
        proc = _start_paused(args, stage, env)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stderr.close()
        rows, verify_code = _state(models_copy)
        expected = "0.2" if stage == "installed" else "0.1"
        assert [(r["code"], r["version"]) for r in rows] == [("translate-nb_en", expected)], stage
        assert verify_code == 0, stage
        leftovers = [p.name for p in models_copy.iterdir() if p.name.startswith(".tmp-")]
        assert leftovers == [], (stage, leftovers)
        translator = Translator(find_package("nb", "en", models_copy), threads=1)
        assert translator.translate(["Hei på deg."]) == ["Hei på deg."], stage
        if stage == "installed":  # start the next round from 0.1 again
            assert (
                CliRunner()
                .invoke(
                    app,
                    [
                        "models",
                        "install",
                        str(copy_model_archive),
                        "--models-dir",
                        str(models_copy),
                    ],
                )
                .exit_code
                == 0
            )
    # The download killed part-way left a .part that the final install resumed.
    assert any(r.startswith("bytes=") for r in model_server.ranges)
    done = subprocess.run(
        [sys.executable, "-m", "bitext", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows, verify_code = _state(models_copy)
    assert [r["version"] for r in rows] == ["0.2"] and verify_code == 0


def test_killed_remove_leaves_no_half_package(models_copy):
    proc = _start_paused(
        ["models", "remove", "nb-en", "--models-dir", str(models_copy)],
        "removing",
        dict(os.environ),
    )
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    proc.stderr.close()
    rows, verify_code = _state(models_copy)
    assert rows == [] and verify_code == 0
    assert [p.name for p in models_copy.iterdir() if p.name.startswith(".tmp-")] == []
