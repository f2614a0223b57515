"""A clone is the whole project: nothing reads outside it, and the copy model is
the same wherever it is built."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: A folder beside the repository, or an absolute path into one machine's tree.
_OUTSIDE = re.compile(
    r"""(\.\./shared|parents?\[\d\]\s*/\s*["']shared["']|parent\s*/\s*["']shared["']"""
    r"""|["'](/work|/home|/root|/mnt|/srv|/Users)/)"""
)


def _python_sources() -> list[Path]:
    files = []
    for folder in ("bitext", "tests", "bench", "scripts"):
        files += sorted((ROOT / folder).rglob("*.py"))
    return [f for f in files if f.resolve() != Path(__file__).resolve()]


def test_nothing_names_a_folder_outside_the_repository():
    offenders = []
    for path in _python_sources():
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_outside_pattern_catches_what_it_should():
    # The folder's name is built from parts, so a plain grep of the tree for
    # it finds no false hit in this test.
    name = "sha" + "red"
    assert _OUTSIDE.search(f"DATA = ROOT.parent / '{name}' / 'data'")
    assert _OUTSIDE.search(f'Path(__file__).resolve().parents[2] / "{name}"')
    assert _OUTSIDE.search(f'NTREX = Path("/work/{name}/data/ntrex-dev/nob.txt")')
    assert _OUTSIDE.search(f"see ../{name}/BRIEF.md")
    assert not _OUTSIDE.search('DATA = ROOT / "tests" / "data" / "ntrex-dev"')


def test_the_test_data_carries_its_licence_and_attribution():
    ntrex = ROOT / "tests" / "data" / "ntrex-dev"
    assert "Attribution-ShareAlike 4.0" in (ntrex / "LICENSE.md").read_text(encoding="utf-8")
    assert "Federmann" in (ntrex / "README.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in (ROOT / "bitext" / "data" / "README.md").read_text(encoding="utf-8")


def _build_in(folder: Path) -> str:
    folder.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "bitext.copymodel", "copy.argosmodel"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HOME": str(folder)},
    )
    return hashlib.sha256((folder / "copy.argosmodel").read_bytes()).hexdigest()


def test_two_builds_in_two_folders_give_the_same_archive(tmp_path):
    assert _build_in(tmp_path / "one") == _build_in(tmp_path / "two" / "deeper")


def test_the_copy_vocabulary_covers_news_letters_and_punctuation(copy_model_archive):
    import zipfile

    import sentencepiece as spm

    with zipfile.ZipFile(copy_model_archive) as archive:
        name = next(n for n in archive.namelist() if n.endswith("sentencepiece.model"))
        processor = spm.SentencePieceProcessor(model_proto=archive.read(name))
    text = (
        "ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅ abcdefghijklmnopqrstuvwxyzæøå 0123456789 "
        "éüöäÉ «»“”„‘’–—-.,;:!?'\"()[]/&%§€$£@#*+=°…"
    )
    pieces = processor.encode(text, out_type=str)
    assert [p for p in pieces if p.startswith("<0x")] == []
