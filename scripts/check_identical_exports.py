"""Check that a change leaves every export byte-identical.

A refactor must not change what bitext writes. This script runs the real
commands, as processes, on the repository's own inputs and writes all their
exports into one folder:

* `translate seeds/` with the copy model, every format, `--combine`;
* `translate` of the NTREX-128 Bokmål slice (`tests/data/ntrex-dev/nob.txt`,
  one article per document id, one paragraph per line), the same way;
* `align` of the whole Bokmål slice with the whole US-English one, as one
  document pair (one paragraph per line), every format, without and with
  `--use-model`.

The copy model is built by `bitext.copymodel` and installed into a temporary
models folder; the translation memory is a fresh temporary folder for each
command, and `SOURCE_DATE_EPOCH` pins the DOCX "Translated" date. Nothing
outside the repository is read.

Usage:

    # exports of this checkout, then of another commit, compared byte by byte
    uv run --frozen python scripts/check_identical_exports.py against main

    # or by hand
    uv run --frozen python scripts/check_identical_exports.py write /tmp/after
    uv run --frozen python scripts/check_identical_exports.py compare /tmp/before /tmp/after

`against REV` extracts REV with `git archive` into a temporary folder and runs
the same commands with that tree's `bitext` package first on `PYTHONPATH`
(same environment, so REV must need no other dependencies). Exit status: 0
when every file is identical, 1 when any differs or is missing on one side.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from itertools import groupby
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NTREX = ROOT / "tests" / "data" / "ntrex-dev"
FORMATS = "docx,tsv,tmx,jsonl,xlsx,xliff"
#: 2024-01-01, the DOCX "Translated" date of every run.
SOURCE_DATE_EPOCH = "1704067200"
#: The run record of an output folder (bitext.record.RECORD_NAME; older trees have none).
RECORD_NAME = ".bitext-record.json"


def _bitext(tree: Path, work: Path, cache: str, *args: str) -> None:
    """Run `python -m <module> args` with `tree`'s bitext, in `work`, checked."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tree), env.get("PYTHONPATH")]))
    env["BITEXT_CACHE_DIR"] = str(work / "caches" / cache)
    env["BITEXT_MODELS_DIR"] = str(work / "models")
    env["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    command = [sys.executable, "-m", *args]
    print("$", " ".join(args[1:] if args[0] == "bitext" else args), file=sys.stderr)
    done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"{' '.join(args)} exited {done.returncode}")


def _ntrex_inputs(work: Path) -> None:
    """The NTREX slice as articles (translate) and as one document pair (align)."""
    ids = (NTREX / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    nob = (NTREX / "nob.txt").read_text(encoding="utf-8").splitlines()
    eng = (NTREX / "eng-US.txt").read_text(encoding="utf-8").splitlines()
    articles = work / "inputs" / "ntrex-nob"
    articles.mkdir(parents=True)
    k = 0
    for number, (_, group) in enumerate(groupby(ids)):
        size = len(list(group))
        text = "\n\n".join(nob[k : k + size]) + "\n"
        (articles / f"doc{number:02d}.txt").write_text(text, encoding="utf-8")
        k += size
    pair = work / "inputs" / "align"
    pair.mkdir(parents=True)
    (pair / "ntrex.nb.txt").write_text("\n\n".join(nob) + "\n", encoding="utf-8")
    (pair / "ntrex.en.txt").write_text("\n\n".join(eng) + "\n", encoding="utf-8")


def write_exports(tree: Path, output: Path) -> None:
    """All exports of `tree`'s code on the repository's inputs, into `output`."""
    output = output.resolve()
    if output.exists() and any(output.iterdir()):
        raise SystemExit(f"{output} is not empty")
    with tempfile.TemporaryDirectory(prefix="bitext-identical-") as tmp:
        work = Path(tmp)
        _ntrex_inputs(work)
        shutil.copytree(ROOT / "seeds", work / "inputs" / "seeds")
        archive = str(work / "copy.argosmodel")
        _bitext(tree, work, "model", "bitext.copymodel", archive)
        _bitext(tree, work, "model", "bitext", "models", "install", archive)
        common = ["--format", FORMATS, "--combine", "--threads", "1"]
        for name in ("seeds", "ntrex-nob"):
            out = str(output / f"translate-{name}")
            _bitext(tree, work, name, "bitext", "translate", f"inputs/{name}", "-o", out, *common)
        pair = ["inputs/align/ntrex.nb.txt", "inputs/align/ntrex.en.txt", "--format", FORMATS]
        _bitext(tree, work, "align", "bitext", "align", *pair, "-o", str(output / "align-ntrex"))
        out = str(output / "align-ntrex-use-model")
        _bitext(tree, work, "align-mt", "bitext", "align", *pair, "--use-model", "-o", out)


def _export(path: Path) -> bool:
    return path.is_file() and path.name != RECORD_NAME


def compare(before: Path, after: Path) -> int:
    """Byte comparison of two export folders; prints each difference."""
    # The run record (issue 22) holds run ids and dates: not an export.
    names_before = {p.relative_to(before) for p in before.rglob("*") if _export(p)}
    names_after = {p.relative_to(after) for p in after.rglob("*") if _export(p)}
    one_sided = sorted(names_before ^ names_after)
    for name in one_sided:
        print(f"only {'before' if name in names_before else 'after'}: {name}")
    both = sorted(names_before & names_after)
    differing = [n for n in both if not filecmp.cmp(before / n, after / n, shallow=False)]
    for name in differing:
        print(f"differs: {name}")
    print(
        f"{len(both) - len(differing)} of {len(both)} files byte-identical; "
        f"{len(differing)} differ, {len(one_sided)} on one side only"
    )
    return 1 if differing or one_sided or not both else 0


def _extract(rev: str, folder: Path) -> Path:
    """The tree of commit `rev` of this repository, unpacked into `folder`."""
    tar = folder / "tree.tar"
    with tar.open("wb") as out:
        subprocess.run(["git", "archive", rev], cwd=ROOT, stdout=out, check=True)
    tree = folder / "tree"
    with tarfile.open(tar) as archive:
        if hasattr(tarfile, "data_filter"):  # Python 3.12, and 3.10/3.11 security releases
            archive.extractall(tree, filter="data")
        else:
            archive.extractall(tree)
    return tree


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    write = sub.add_parser("write", help="write this checkout's exports into a new folder")
    write.add_argument("output", type=Path)
    cmp = sub.add_parser("compare", help="compare two export folders byte by byte")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    against = sub.add_parser("against", help="compare this checkout's exports with REV's")
    against.add_argument("rev", help="a commit, branch or tag, e.g. main")
    args = parser.parse_args(argv)

    if args.command == "write":
        write_exports(ROOT, args.output)
        return 0
    if args.command == "compare":
        return compare(args.before, args.after)
    with tempfile.TemporaryDirectory(prefix="bitext-against-") as tmp:
        folder = Path(tmp)
        tree = _extract(args.rev, folder)
        write_exports(tree, folder / "before")
        write_exports(ROOT, folder / "after")
        return compare(folder / "before", folder / "after")


if __name__ == "__main__":
    raise SystemExit(main())
