"""Break each guarded rule on purpose and check that its tests catch it (issue 29).

Each mutation below is one deliberate breakage of a rule bitext keeps (the
Bokmål splitting rules, the guard against overwriting an input, the glossary
flag, ...) and the few tests that guard it. The script copies the tracked
files of the repository into a scratch folder (the working tree is never
touched), checks that those tests pass there unbroken, then for each
mutation puts the breakage into the copy, runs only its tests, and puts the
file back. A mutation is *caught* when its tests fail, *survived* when they
pass. Every one must be caught: the exit code is 1 otherwise.

The scratch copy comes first on PYTHONPATH, so the tests, their `python -m
bitext` children and the `bitext` console script all run the broken code.

Keep the list growing: a new rule gets a mutation here with the tests that
guard it.

Usage: uv run python scripts/mutation_check.py [--only NAME ...] [--list] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Mutation:
    """Replace `old` (found exactly once) by `new` in `path`; `tests` must then fail.

    `also` holds further (path, old, new) edits made together with the first.
    """

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    also: tuple[tuple[str, str, str], ...] = ()

    @property
    def edits(self) -> tuple[tuple[str, str, str], ...]:
        return ((self.path, self.old, self.new), *self.also)


SPLIT_TESTS = ("tests/test_segmentation_rules.py", "tests/test_translate_seeds.py")
REJOIN = "    sentences = _rejoin_false_breaks(sentences)\n"
PREFIXES_READ = 'combined = handle.read() + "\\n" + extra.read_text(encoding="utf-8")'

MUTATIONS = [
    Mutation(
        "Bokmål non-breaking prefixes removed",
        "bitext/segmentation.py",
        PREFIXES_READ,
        "combined = handle.read()",
        SPLIT_TESTS,
    ),
    Mutation(
        "false breaks after numbers, Kl. and Nr. not rejoined",
        "bitext/segmentation.py",
        REJOIN,
        "",
        SPLIT_TESTS,
    ),
    Mutation(
        "both Bokmål rules removed (Kl. 14.00 splits)",
        "bitext/segmentation.py",
        PREFIXES_READ,
        "combined = handle.read()",
        (
            "tests/test_segmentation_rules.py::"
            "test_norwegian_abbreviations_and_numbers_do_not_end_a_sentence",
        ),
        also=(("bitext/segmentation.py", REJOIN, ""),),
    ),
    Mutation(
        "an output may overwrite an input",
        "bitext/runs.py",
        "    if any(path.resolve() in inputs for path in outputs):",
        "    if False:",
        ("tests/test_overwrite_guard.py",),
    ),
    Mutation(
        "finished files are exported again (no resume)",
        "bitext/runs.py",
        "    if not overwrite and all(path.exists() for path in outputs):",
        "    if False:",
        ("tests/test_overwrite_guard.py",),
    ),
    Mutation(
        "a missing glossary term is not flagged",
        "bitext/pipeline.py",
        "and glossary.missing_terms(s, t)\n",
        "and False\n",
        ("tests/test_translate_glossary.py::test_user_term_missing_from_output_is_flagged",),
    ),
    Mutation(
        "the earlier correction wins over a later one (import)",
        "bitext/review.py",
        "        chosen[key] = p\n",
        "        chosen.setdefault(key, p)\n",
        ("tests/test_review.py::test_within_one_file_the_later_correction_of_a_sentence_wins",),
    ),
    Mutation(
        "the memory keeps an earlier reviewed translation",
        "bitext/memory.py",
        '"INSERT OR REPLACE INTO reviewed "',
        '"INSERT OR IGNORE INTO reviewed "',
        ("tests/test_review.py::test_xlsx_with_reordered_columns_and_a_tsv",),
    ),
    Mutation(
        "an archive's SHA-256 is not checked",
        "bitext/models.py",
        "    if expected_sha256 and digest.lower() != expected_sha256.strip().lower():",
        "    if False:",
        (
            "tests/test_models.py",
            "tests/test_model_download.py::test_sha256_option_pins_any_package",
        ),
    ),
    Mutation(
        "the compression-ratio limit is not applied",
        "bitext/limits.py",
        "    if size > RATIO_FLOOR and size > limits.max_compression_ratio * max(packed, 1):",
        "    if False:",
        ("tests/test_limits.py::test_archive_members_are_judged_from_the_central_directory",),
    ),
    Mutation(
        "an article of no tellable language is translated anyway",
        "bitext/pipeline.py",
        "    if document.language in UNDECIDED:\n        result.reason = (",
        "    if False:\n        result.reason = (",
        ("tests/test_translate_languages.py",),
    ),
    Mutation(
        "Nynorsk is not sent through the Bokmål model",
        "bitext/rendering.py",
        'NORWEGIAN = {"nb", "nn", "no"}',
        'NORWEGIAN = {"nb", "no"}',
        ("tests/test_translate_languages.py",),
    ),
    Mutation(
        "a memory from a newer bitext is opened",
        "bitext/memory.py",
        "        if version > SCHEMA_VERSION:",
        "        if False:",
        (
            "tests/test_memory.py::test_a_memory_written_by_a_newer_bitext_is_refused_and_left_alone",
        ),
    ),
    Mutation(
        "a stopped run exits 0",
        "bitext/interrupts.py",
        "    return 128 + int(signum)",
        "    return 0",
        (
            "tests/test_cli_detect.py::test_ctrl_c_in_the_installed_script_exits_130_not_aborted",
            "tests/test_align_resume.py::test_a_stopped_run_keeps_whole_files_and_the_next_run_finishes",
        ),
    ),
    Mutation(
        "the first signal does not stop the run",
        "bitext/interrupts.py",
        "            stop.set()\n",
        "            pass\n",
        ("tests/test_interrupt.py",),
    ),
    Mutation(
        "--device cuda falls back to the CPU",
        "bitext/engine.py",
        '    if device == "cuda":\n        raise ValueError',
        "    if False:\n        raise ValueError",
        ("tests/test_cli_options.py::test_device_cuda_without_a_gpu_exits_2_and_writes_nothing",),
    ),
    Mutation(
        "the oldest of several installed versions is used",
        "bitext/models.py",
        "    return max(matches, key=lambda p: version_key(p.version)) if matches else None",
        "    return min(matches, key=lambda p: version_key(p.version)) if matches else None",
        ("tests/test_cli_options.py::test_the_newest_of_several_installed_versions_translates",),
    ),
]


def scratch_copy(target: Path) -> Path:
    """The tracked and untracked-but-not-ignored files of the repository, copied."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / os.fsdecode(name)
        if source.is_file():  # a deleted but still listed file is skipped
            destination = target / os.fsdecode(name)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination)
    return target


def environment(scratch: Path) -> dict[str, str]:
    """The copy first on the import path, for the tests and every child they start."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(scratch), env.get("PYTHONPATH")]))
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_tests(scratch: Path, tests: tuple[str, ...], timeout: float) -> tuple[bool, float, str]:
    """Whether `tests` pass in the copy; the seconds taken and the output's tail."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:randomly"]
    command += ["-p", "no:cacheprovider", *tests]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=scratch,
            env=environment(scratch),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - started, f"timed out after {timeout:.0f} s"
    tail = (done.stdout + done.stderr).strip().splitlines()[-1:] or [""]
    return done.returncode == 0, time.monotonic() - started, tail[0]


def check_import_path(scratch: Path) -> None:
    """Refuse to go on if `import bitext` would not load the copy."""
    done = subprocess.run(
        [sys.executable, "-c", "import bitext; print(bitext.__file__)"],
        cwd=scratch,
        env=environment(scratch),
        capture_output=True,
        text=True,
        check=True,
    )
    if not Path(done.stdout.strip()).resolve().is_relative_to(scratch.resolve()):
        raise SystemExit(f"bitext is imported from {done.stdout.strip()}, not the scratch copy")


def mutate(scratch: Path, mutation: Mutation) -> dict[Path, str]:
    """Apply `mutation` to the copy; return the original text of each file changed."""
    originals: dict[Path, str] = {}
    for name, old, new in mutation.edits:
        path = scratch / name
        text = path.read_text(encoding="utf-8")
        originals.setdefault(path, text)
        count = text.count(old)
        if count != 1:
            restore(originals)
            raise SystemExit(
                f"{mutation.name}: the text to break is found {count} times in {name}; "
                "update the mutation to the code"
            )
        path.write_text(text.replace(old, new), encoding="utf-8")
    return originals


def restore(originals: dict[Path, str]) -> None:
    for path, text in originals.items():
        path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", help="Mutations whose name contains one of these.")
    parser.add_argument("--list", action="store_true", help="List the mutations and stop.")
    parser.add_argument("--keep", action="store_true", help="Keep the scratch copy.")
    parser.add_argument("--timeout", type=float, default=600, help="Seconds per test run.")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.only or any(o in m.name for o in args.only)]
    if args.list:
        for m in chosen:
            print(f"{m.name}\t{m.path}\t{' '.join(m.tests)}")
        return 0
    folder = Path(tempfile.mkdtemp(prefix="bitext-mutation-"))
    try:
        return _check(scratch_copy(folder), chosen, args.timeout)
    finally:
        if args.keep:
            print(f"scratch copy kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _check(scratch: Path, chosen: list[Mutation], timeout: float) -> int:
    check_import_path(scratch)
    every_test = tuple(dict.fromkeys(t for m in chosen for t in m.tests))
    passed, seconds, tail = run_tests(scratch, every_test, timeout)
    print(f"unbroken copy: {'pass' if passed else 'FAIL'} ({seconds:.0f} s) {tail}", flush=True)
    if not passed:
        print("the tests must pass on the unbroken code first", file=sys.stderr)
        return 2
    survived = []
    for mutation in chosen:
        originals = mutate(scratch, mutation)
        try:
            passed, seconds, tail = run_tests(scratch, mutation.tests, timeout)
        finally:
            restore(originals)
        verdict = "SURVIVED" if passed else "caught"
        print(
            f"{verdict:8}  {mutation.name}  ({mutation.path}; {seconds:.0f} s) {tail}", flush=True
        )
        if passed:
            survived.append(mutation.name)
    print(f"{len(chosen) - len(survived)} of {len(chosen)} mutations caught")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
