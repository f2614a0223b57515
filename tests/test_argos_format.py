"""bitext reads Argos packages itself (bitext/argos.py); these tests hold it to
argostranslate 1.11's behaviour: the same tokens and the same detokenized
text for every sentence, with a SentencePiece package (the copy model) and a
BPE package (codes learned here with subword-nmt), and the same settings.

argostranslate is a development dependency only. It runs in a child process
whose home and XDG folders are temporary, because importing it creates its
data folders.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from bitext.argos import ArgosPackage, BPETokenizer, SentencePieceTokenizer, argos_setting

ROOT = Path(__file__).resolve().parent.parent
NTREX = ROOT / "tests" / "data" / "ntrex-dev"

#: Runs argostranslate's own Package on argv[1] and tokenizes stdin's lines.
_ARGOS_CHILD = """
import json, sys
from argostranslate.package import Package
from argostranslate.settings import get_setting
tok = Package(sys.argv[1]).tokenizer
out = []
for line in json.load(sys.stdin):
    tokens = tok.encode(line)
    out.append([tokens, tok.decode(tokens)])
print(json.dumps({"rows": out, "index": get_setting("ARGOS_PACKAGE_INDEX", "DEFAULT")}))
"""


def _sentences() -> list[str]:
    """Seed and NTREX lines, plus the characters a tokenizer treats specially."""
    lines = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        lines += [x.strip() for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    for name in ("nob.txt", "eng-US.txt"):
        text = (NTREX / name).read_text(encoding="utf-8").splitlines()
        lines += [x.strip() for x in text[:150] if x.strip()]
    lines += [
        "snake_case_name og __init__",
        "– Sitat med «anførsel» og “quotes” … 80. år, t.h., bl.a. 3,5 % & <tag>",
        "Ærlig øl på Åland: ÆØÅ æøå",
        "  leading and trailing  ",
        "tab\tand emoji 🙂",
        "",
    ]
    return lines


def _argos(package_dir: Path, lines: list[str], home: Path, env: dict | None = None) -> dict:
    child_env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "ARGOS_"))}
    child_env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    child_env.update(XDG_DATA_HOME=str(home / "data"), XDG_CACHE_HOME=str(home / "cache"))
    child_env.update(env or {})
    done = subprocess.run(
        [sys.executable, "-c", _ARGOS_CHILD, str(package_dir)],
        input=json.dumps(lines),
        capture_output=True,
        text=True,
        env=child_env,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout)


def _ours(package_dir: Path, lines: list[str]) -> list[list]:
    tokenizer = ArgosPackage(package_dir).tokenizer
    return [[tokens := tokenizer.encode(x), tokenizer.decode(tokens)] for x in lines]


def test_sentencepiece_package_tokenizes_as_argostranslate(installed_models, tmp_path):
    package_dir = next(p for p in installed_models.iterdir() if (p / "metadata.json").is_file())
    lines = _sentences()
    package = ArgosPackage(package_dir)
    assert isinstance(package.tokenizer, SentencePieceTokenizer)
    assert (package.from_code, package.to_code) == ("nb", "en")
    ours = _ours(package_dir, lines)
    theirs = _argos(package_dir, lines, tmp_path)["rows"]
    assert len(ours) == len(lines) > 300
    assert ours == theirs
    # A line with underscores really does change on the way back (so the
    # comparison covers argostranslate's replacement of "_" by " ").
    row = ours[lines.index("snake_case_name og __init__")]
    assert "_" not in row[1]


@pytest.fixture(scope="module")
def bpe_package(tmp_path_factory) -> Path:
    """An unpacked Argos package whose tokenizer is `bpe.model` (codes learned here)."""
    from subword_nmt.learn_bpe import learn_bpe

    folder = tmp_path_factory.mktemp("bpe") / "translate-nb_en-bpe"
    folder.mkdir()
    corpus = "\n".join(_sentences()[:200]).split("\n")
    with open(folder / "bpe.model", "w", encoding="utf-8") as codes:
        learn_bpe(corpus, codes, num_symbols=300)
    metadata = {"from_code": "nb", "to_code": "en", "code": "translate-nb_en", "type": "translate"}
    (folder / "metadata.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


def test_bpe_package_tokenizes_as_argostranslate(bpe_package, tmp_path):
    lines = [x for x in _sentences() if x.strip()]
    assert isinstance(ArgosPackage(bpe_package).tokenizer, BPETokenizer)
    ours = _ours(bpe_package, lines)
    theirs = _argos(bpe_package, lines, tmp_path)["rows"]
    assert ours == theirs
    # The codes split words into sub-words, so BPE itself was exercised.
    assert any(t.endswith("@@") for tokens, _ in ours for t in tokens)


def test_argos_setting_reads_environment_then_argos_settings_file(
    installed_models, tmp_path, monkeypatch
):
    package_dir = next(p for p in installed_models.iterdir() if (p / "metadata.json").is_file())
    settings = tmp_path / "config" / "argos-translate" / "settings.json"
    monkeypatch.delenv("ARGOS_PACKAGE_INDEX", raising=False)
    monkeypatch.delenv("SNAP", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    assert argos_setting("ARGOS_PACKAGE_INDEX", "DEFAULT") == "DEFAULT"
    settings.parent.mkdir(parents=True)
    settings.write_text('{"ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/mirror/"}', "utf-8")
    assert argos_setting("ARGOS_PACKAGE_INDEX") == "http://127.0.0.1:9/mirror/"
    assert _argos(package_dir, [], tmp_path)["index"] == "http://127.0.0.1:9/mirror/"
    monkeypatch.setenv("ARGOS_PACKAGE_INDEX", "http://127.0.0.1:9/env/")
    assert argos_setting("ARGOS_PACKAGE_INDEX") == "http://127.0.0.1:9/env/"
    env = {"ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/env/"}
    assert _argos(package_dir, [], tmp_path, env)["index"] == "http://127.0.0.1:9/env/"
    settings.write_text("not json", "utf-8")
    monkeypatch.delenv("ARGOS_PACKAGE_INDEX")
    assert argos_setting("ARGOS_PACKAGE_INDEX", "DEFAULT") == "DEFAULT"


def test_index_url_follows_the_argos_settings_file(tmp_path, monkeypatch):
    from bitext.index import index_url

    monkeypatch.delenv("ARGOS_PACKAGE_INDEX", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    settings = tmp_path / "argos-translate" / "settings.json"
    settings.parent.mkdir()
    settings.write_text('{"ARGOS_PACKAGE_INDEX": "http://127.0.0.1:9/m"}', "utf-8")
    assert index_url() == "http://127.0.0.1:9/m/index.json"
    assert not (tmp_path / "argos-translate" / "packages").exists()


def test_bitext_imports_no_argostranslate(copy_model_archive, tmp_path):
    """The installed package needs no argostranslate: translate with it blocked."""
    with zipfile.ZipFile(copy_model_archive) as archive:
        assert any(n.endswith("/sentencepiece.model") for n in archive.namelist())
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] == 'argostranslate':\n"
        "            raise ImportError('argostranslate is blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from bitext.models import install_archive\n"
        "from bitext.engine import Translator\n"
        f"pkg = install_archive({str(copy_model_archive)!r}, {str(tmp_path / 'm')!r})\n"
        "print(Translator(pkg, threads=1).translate(['Dette er en test.'])[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Dette er en test."


def test_bpe_package_without_the_extra_fails_its_documents_with_the_install_command(
    bpe_package, installed_models, tmp_path
):
    """subword-nmt blocked from importing stands for an install without `bitext[bpe]`."""
    copy = next(p for p in installed_models.iterdir() if (p / "metadata.json").is_file())
    package = tmp_path / "bpe-package"
    shutil.copytree(bpe_package, package)
    shutil.copytree(copy / "model", package / "model")
    store = tmp_path / "models"
    from bitext.models import install_folder

    install_folder(package, store)
    code = (
        "import sys, runpy\n"
        "sys.modules['subword_nmt'] = None  # import subword_nmt: ImportError\n"
        "runpy.run_module('bitext', run_name='__main__')\n"
    )
    seed = sorted((ROOT / "seeds").glob("*.txt"))[0]
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "translate",
            str(seed),
            "-o",
            str(tmp_path / "out"),
            "--models-dir",
            str(store),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    assert "uses BPE tokenization, which needs the extra: pip install 'bitext[bpe]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
