"""The `bitext` command: a thin Typer layer over the library.

Each command parses options, calls one library function and prints. Results
go to stdout (or files); progress and errors go to stderr. Exit codes: 0 all
done or skipped, 1 some documents failed, 2 the request cannot work, 3 every
document written but some sentences flagged as not finished by the model,
130/143 interrupted.
"""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from bitext.clihelp import App
from bitext.limits import MB, Limits
from bitext.runs import MissingModel, RequestError
from bitext.wording import counted

app = App(
    help="Offline Norwegian-to-English translation with side-by-side exports.\n\n"
    "Example: bitext translate seeds/ -o exports/",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = App(
    help="Find, install, list, verify and remove Argos translation packages.\n\n"
    "Example: bitext models install nb-en",
    no_args_is_help=True,
)
app.add_typer(models_app, name="models")
memory_app = App(
    help="The translation memory: every sentence translated, and the reviewed (human) "
    "translations imported from corrected exports, reused by later runs.\n\n"
    "Example: bitext memory import reviewed/article.xlsx",
    no_args_is_help=True,
)
app.add_typer(memory_app, name="memory")
# `bitext cache ...` (the group's name before issue 15) keeps working.
app.add_typer(
    memory_app, name="cache", hidden=True, help="Old name of 'bitext memory' (still works)."
)
glossary_app = App(
    help="Glossaries: English spellings of names and fixed translations of terms.\n\n"
    "Example: bitext glossary check my_terms.tsv seeds/",
    no_args_is_help=True,
)
app.add_typer(glossary_app, name="glossary")

EXIT_OK, EXIT_FAILED, EXIT_REQUEST = 0, 1, 2
#: Every document was written, but some sentences are flagged `position-limit` or
#: `failed`: the model could not finish them (docs/reruns.md).
EXIT_SENTENCES_FAILED = 3


def _print_version(wanted: bool) -> None:
    if wanted:
        from bitext import version_line

        typer.echo(version_line())
        raise typer.Exit(EXIT_OK)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print the versions of bitext, CTranslate2 and Python, and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Offline Norwegian-to-English translation with side-by-side exports.

    Example: bitext translate seeds/ -o exports/
    """


Formats = Annotated[
    str,
    typer.Option("--format", "-f", help="Comma-separated formats: docx,tsv,tmx,jsonl,xlsx,xliff."),
]
ModelsDir = Annotated[
    Path | None,
    typer.Option(
        "--models-dir",
        help="Folder of installed packages (default: $BITEXT_MODELS_DIR or ./models).",
    ),
]
Overwrite = Annotated[
    bool,
    typer.Option(
        "--overwrite/--skip-existing",
        help="Redo what was already exported, or skip it and say so (a stopped run resumes).",
    ),
]
DiscardEdits = Annotated[
    bool,
    typer.Option(
        "--discard-edits",
        help="Replace exports someone edited without importing their corrections or "
        "keeping them aside as <name>.edited-<run>.<ext> (by default edits are never lost).",
    ),
]

# The model options `translate` and `serve` share, written once.
Threads = Annotated[
    int | None,
    typer.Option(
        "--threads", min=1, help="CPU threads (default: all cores), shared by the replicas."
    ),
]
Replicas = Annotated[
    int | None,
    typer.Option(
        "--replicas",
        min=1,
        help="Model replicas sharing the threads (default: measured once per model "
        "and machine, see --verbose).",
    ),
]
Fast = Annotated[
    bool, typer.Option("--fast", help="Greedy decoding: faster, slightly lower quality.")
]
Device = Annotated[
    str, typer.Option("--device", help="auto (CUDA when CTranslate2 sees a GPU), cpu or cuda.")
]
ComputeType = Annotated[
    str,
    typer.Option(
        "--compute-type",
        help="CTranslate2 compute type (default: int8 on CPU, int8_float16 on GPU).",
        show_default=False,
    ),
]
Glossaries = Annotated[
    list[Path] | None,
    typer.Option(
        "--glossary",
        help="Glossary file (TSV, CSV or TBX) on top of the default name list; repeatable.",
    ),
]
NoDefaultGlossary = Annotated[
    bool,
    typer.Option("--no-default-glossary", help="Do not respell names with the shipped list."),
]

# Limits on each input (bitext.limits): shared by translate, align and detect.
_LIMITS_PANEL = "Limits on each input (a file over one fails alone)"
MaxFileMB = Annotated[
    float,
    typer.Option(
        "--max-file-mb", help="Size of one input file, in MB.", min=0, rich_help_panel=_LIMITS_PANEL
    ),
]
MaxMemberMB = Annotated[
    float,
    typer.Option(
        "--max-member-mb",
        help="Unpacked size of one member of a .docx (zip), in MB.",
        min=0,
        rich_help_panel=_LIMITS_PANEL,
    ),
]
MaxUnpackedMB = Annotated[
    float,
    typer.Option(
        "--max-unpacked-mb",
        help="Unpacked size of all members of a .docx together, in MB.",
        min=0,
        rich_help_panel=_LIMITS_PANEL,
    ),
]
MaxCompressionRatio = Annotated[
    float,
    typer.Option(
        "--max-compression-ratio",
        help="Unpacked to packed size of a .docx member over 1 MB, and of the whole file.",
        min=1,
        rich_help_panel=_LIMITS_PANEL,
    ),
]
MaxArticleChars = Annotated[
    int,
    typer.Option(
        "--max-article-chars",
        help="Characters of text in one article.",
        min=1,
        rich_help_panel=_LIMITS_PANEL,
    ),
]
MaxBlockChars = Annotated[
    int,
    typer.Option(
        "--max-block-chars",
        help="Characters in one block (paragraph).",
        min=1,
        rich_help_panel=_LIMITS_PANEL,
    ),
]


#: The options of `Limits`: (parameter, its option, default), in --help order.
_LIMIT_OPTIONS = (
    ("max_file_mb", MaxFileMB, Limits.max_file_bytes // MB),
    ("max_member_mb", MaxMemberMB, Limits.max_member_bytes // MB),
    ("max_unpacked_mb", MaxUnpackedMB, Limits.max_unpacked_bytes // MB),
    ("max_compression_ratio", MaxCompressionRatio, Limits.max_compression_ratio),
    ("max_article_chars", MaxArticleChars, Limits.max_article_chars),
    ("max_block_chars", MaxBlockChars, Limits.max_block_chars),
)


#: What a command decorated with `limit_options` declares as its `limits` default.
DEFAULT_LIMITS = Limits()


def _limits(
    max_file_mb: float,
    max_member_mb: float,
    max_unpacked_mb: float,
    max_compression_ratio: float,
    max_article_chars: int,
    max_block_chars: int,
) -> Limits:
    """The Limits the options give (megabytes are decimal, as in the messages)."""
    return Limits(
        max_file_bytes=int(max_file_mb * MB),
        max_member_bytes=int(max_member_mb * MB),
        max_unpacked_bytes=int(max_unpacked_mb * MB),
        max_compression_ratio=max_compression_ratio,
        max_article_chars=max_article_chars,
        max_block_chars=max_block_chars,
    )


def limit_options(command: Callable[..., None]) -> Callable[..., None]:
    """Give a command the options of `Limits`; it receives them as one `limits`.

    Written once for translate, align and detect, as sqlite-utils writes its
    shared options once as decorators: Typer reads the options from the
    signature made here (the command's own, `limits` replaced by the six).
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "limits"]
    added = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=option, default=default)
        for name, option, default in _LIMIT_OPTIONS
    ]

    @functools.wraps(command)
    def with_limits(*args, **kwargs):
        values = {name: kwargs.pop(name) for name, _, _ in _LIMIT_OPTIONS}
        return command(*args, limits=_limits(**values), **kwargs)

    with_limits.__signature__ = signature.replace(parameters=own + added)
    return with_limits


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _inputs(paths: list[Path] | None, name: str) -> list[Path]:
    """The paths given, else ./seeds when it is there; else exit 2 saying what to give."""
    if paths:
        return paths
    if Path("seeds").is_dir():
        return [Path("seeds")]
    from bitext.invocation import command

    _refuse(
        f"no articles given, and there is no seeds/ folder in {Path.cwd()} to read instead; "
        f"name files or folders: {command(*name.split(), 'ARTICLES/')}"
    )


def _model_settings(
    *,
    device: str,
    compute_type: str,
    threads: int | None,
    fast: bool,
    models_dir: Path | None,
    glossary: list[Path] | None,
    no_default_glossary: bool,
    replicas: int | None = None,
) -> dict:
    """The `TranslateOptions` fields of the model options translate, review and
    serve share; --device and --compute-type refused (exit 2) before any file
    is read."""
    from bitext.engine import COMPUTE_TYPES, DEVICES

    if device not in DEVICES:
        _refuse("--device must be 'auto', 'cpu' or 'cuda'")
    if compute_type not in COMPUTE_TYPES:
        _refuse(f"--compute-type must be one of {', '.join(COMPUTE_TYPES)}, not {compute_type!r}")
    return {
        "device": device,
        "compute_type": compute_type,
        "threads": threads,
        "replicas": replicas,
        "fast": fast,
        "models_dir": models_dir,
        "glossaries": list(glossary or []),
        "default_glossary": not no_default_glossary,
    }


def _refuse(message: str) -> NoReturn:
    """The request cannot work: say why on stderr and exit 2 (nothing was done)."""
    _err(f"error: {message}")
    raise typer.Exit(EXIT_REQUEST)


@contextmanager
def _request_errors(*errors: type[Exception]) -> Iterator[None]:
    """Library errors that mean the request cannot work become `_refuse`, with their message."""
    try:
        yield
    except errors as exc:
        _refuse(str(exc))


class _ProgressBar:
    """Items done, items per second and time left, on a terminal only."""

    def __init__(self, label: str = "translating", unit: str = "sentences") -> None:
        self._label, self._unit = label, unit
        self._progress = None
        self._task = None

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn(self._label),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task(self._label, total=total, rate="")
        task = self._progress.tasks[0]
        rate = f"{task.speed:.0f} {self._unit}/s" if task.speed else ""
        self._progress.update(self._task, completed=done, total=total, rate=rate)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


def _export_choices(format: str, granularity: str | None) -> list[str]:
    """The checked --format list; a bad --format or --granularity is exit 2."""
    from bitext.exporters import parse_formats

    with _request_errors(ValueError):  # UnknownFormat, or no format at all
        formats = parse_formats(format)
    if granularity is not None and granularity not in ("block", "sentence"):
        _refuse("--granularity must be 'block' or 'sentence'")
    return formats


@app.command()
@limit_options
def translate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Article files (.txt .docx .html .pdf .odt .md) or folders "
            "(default: ./seeds, if there)."
        ),
    ] = None,
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="Folder for the exports; '-' streams JSONL to stdout."),
    ] = Path("exports"),
    format: Formats = "docx,tsv",
    source: Annotated[
        str, typer.Option("--from", help="Source language, or 'auto' to detect per document.")
    ] = "auto",
    target: Annotated[str, typer.Option("--to", help="Target language.")] = "en",
    fast: Fast = False,
    granularity: Annotated[
        str | None,
        typer.Option(
            "--granularity",
            help="Rows per 'block' or per 'sentence' in DOCX, TSV and XLSX "
            "(default: DOCX block, TSV and XLSX sentence; TMX and JSONL always sentence).",
        ),
    ] = None,
    combine: Annotated[
        bool,
        typer.Option(
            "--combine",
            help="Also write one TSV/TMX/JSONL/XLSX for the whole run: <output>/_combined.<ext>.",
        ),
    ] = False,
    overwrite: Overwrite = False,
    discard_edits: DiscardEdits = False,
    threads: Threads = None,
    replicas: Replicas = None,
    device: Device = "auto",
    compute_type: ComputeType = "default",
    models_dir: ModelsDir = None,
    download: Annotated[
        bool,
        typer.Option(
            "--download",
            help="Install a missing model from the package index first (needs network).",
        ),
    ] = False,
    glossary: Glossaries = None,
    no_default_glossary: NoDefaultGlossary = False,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Neither read nor write the translation memory (reviewed translations included).",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run summary as JSON on stdout.")
    ] = False,
    limits: Limits = DEFAULT_LIMITS,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            # `\[`: Rich would read `[ray]` as markup and drop it.
            help="local (this process) or ray (a Ray cluster; needs the extra: "
            "pip install 'bitext\\[ray]').",
        ),
    ] = "local",
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="With --engine ray: 'auto' or HOST:PORT of a running cluster "
            "(default: $RAY_ADDRESS, else a local Ray runtime for this run).",
        ),
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose",
            help="Say each model's thread layout on stderr; with --engine ray, let Ray's "
            "own log lines through too.",
        ),
    ] = False,
) -> None:
    """Translate articles and write side-by-side exports.

    Example: bitext translate seeds/ -o exports/ --format docx,tsv

    On a Ray cluster: bitext translate archive/ --engine ray --ray-address auto
    """
    from bitext.interrupts import exit_on_signals

    exit_on_signals()
    from bitext.pipeline import TranslateOptions

    formats = _export_choices(format, granularity)
    model = _model_settings(
        device=device,
        compute_type=compute_type,
        threads=threads,
        replicas=replicas,
        fast=fast,
        models_dir=models_dir,
        glossary=glossary,
        no_default_glossary=no_default_glossary,
    )
    from bitext.engines import UnknownEngine, engine_names

    if engine not in engine_names():
        _refuse(str(UnknownEngine(engine)))
    options = TranslateOptions(
        output_dir=output,
        formats=formats,
        source_lang=source,
        target_lang=target,
        **model,
        overwrite=overwrite,
        discard_edits=discard_edits,
        granularity=granularity,
        combine=combine,
        cache=not no_cache,
        limits=limits,
        engine=engine,
        ray_address=ray_address,
        verbose=verbose,
    )
    stream = str(output) == "-"
    with _streamed(options) if stream else nullcontext():
        with _request_errors(RequestError):
            summary, signum = _translate_downloading(_inputs(paths, "translate"), options, download)
        _report_problems(summary.results)
        _report_edits(summary.edits)
        if stream:
            _stream_results(summary)
    if verbose:
        _report_layouts(summary.layouts)
    _report_translation(summary, as_json, stream, target, models_dir)
    _exit(summary, signum, counted(summary.count("interrupted"), "document"))


@contextmanager
def _streamed(options) -> Iterator[None]:
    """`-o -`: the run writes into a private folder, removed afterwards; its
    JSONL is copied to stdout in input order (`_stream_results`)."""
    import tempfile

    if options.formats != ["jsonl"]:
        _refuse("-o - streams JSONL only; add --format jsonl")
    with tempfile.TemporaryDirectory(prefix="bitext-stream-") as folder:
        options.output_dir, options.overwrite, options.combine = Path(folder), True, False
        yield


def _translate_downloading(paths: list[Path], options, download: bool):
    """`translate_paths` with a progress bar and signal handling: (summary, signal).

    With --download a missing model is installed and the run starts again;
    models are checked before any work, so a retry is clean.
    """
    from bitext.pipeline import translate_paths

    downloaded: set[str] = set()
    while True:
        try:
            return _interruptible(
                lambda stop, bar: translate_paths(paths, options, progress=bar, stop=stop),
                _ProgressBar(),
            )
        except MissingModel as exc:
            if not download or exc.pair in downloaded:
                raise
            downloaded.add(exc.pair)
            _install(exc.pair, options.models_dir)


def _interruptible(work, bar: _ProgressBar):
    """`work(stop, bar)` in `run_interruptible`, saying what a signal does; (result, signal)."""
    from bitext.interrupts import run_interruptible

    try:
        return run_interruptible(
            lambda stop: work(stop, bar), on_first=_on_first_signal, on_hard_stop=_on_hard_stop
        )
    finally:
        bar.close()


def _report_layouts(layouts: dict[str, dict]) -> None:
    """--verbose: each model's replicas x threads and where the choice came from."""
    from bitext.layout import Layout

    for pair, layout in layouts.items():
        _err(f"layout {pair}: {Layout(**layout)}")


def _not_an_article(result) -> bool:
    from bitext.readers import NOT_AN_ARTICLE

    return result.status == "skipped" and (result.reason or "").startswith(NOT_AN_ARTICLE)


def _test_models(languages, target: str, models_dir: Path | None) -> list[str]:
    """Labels of the test models (copies, not translations) a run's languages went to."""
    from bitext.models import find_package

    found = (find_package(source, target, models_dir) for source in languages)
    return sorted({p.label for p in found if p is not None and p.test_note})


def _report_translation(
    summary, as_json: bool, stream: bool, target: str = "en", models_dir: Path | None = None
) -> None:
    """The run in numbers, then the files written; on stderr when stdout carries the JSONL."""
    data = summary.as_dict()
    report = _err if stream else typer.echo
    if as_json:
        report(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from bitext.checks import format_flag_counts

    languages = ", ".join(f"{k} {v}" for k, v in data["languages"].items()) or "none"
    others = sum(_not_an_article(r) for r in summary.results)
    report(
        f"{counted(data['documents'] - others, 'document')}: {data['done']} done, "
        f"{data['skipped'] - others} skipped, {data['failed']} failed"
        + (f" ({counted(others, 'other file')} skipped: not an article)" if others else "")
        + f"; {counted(data['blocks'], 'block')}, {counted(data['sentences'], 'sentence')} "
        f"({data['translated_sentences']} translated); languages: {languages}"
    )
    for label in _test_models(data["languages"], target, models_dir):
        report(f"model: {label}")
    report(f"flags: {format_flag_counts(data['flags'])}")
    if data["failed_sentences"]:
        report(
            f"failed sentences: {data['failed_sentences']} (exported with the flag "
            "position-limit or failed; each is named in the warnings)"
        )
    if data["cache"]["reviewed"]:
        reviewed = counted(data["cache"]["reviewed"], "sentence")
        report(f"reviewed: {reviewed} from the memory's reviewed store")
    if not stream:
        for path in data["files"] + data["combined_files"]:
            typer.echo(path)
    if summary.report_warning:
        _err(f"warning: {summary.report_warning}")
    elif summary.report_files and not stream:
        _err(f"report: {summary.report_files[-1]}")


def _report_edits(edits: list[dict]) -> None:
    """Edited exports found before they were replaced: what was imported, where they went."""
    from bitext.reruns import KeptEdit

    for edit in edits:
        for line in KeptEdit(**edit).lines():
            _err(line)


def _report_problems(results) -> None:
    """Warnings, failures and skips of a run: one line each on stderr."""
    for result in results:
        for warning in result.warnings:
            _err(f"warning: {warning}")
        if result.status in ("failed", "skipped"):
            _err(f"{result.status}: {result.path}: {result.reason}")


def _exit(summary, signum: int | None, not_done: str) -> NoReturn:
    """The exit of a run: 130/143 when a signal stopped it, 1 if anything failed."""
    from bitext.interrupts import exit_code

    if signum is not None:
        _err(
            f"interrupted: {not_done} not done; run the same command again "
            "to finish them (finished ones are skipped)"
        )
        raise typer.Exit(exit_code(signum))
    if summary.failed:
        raise typer.Exit(EXIT_FAILED)
    failed_sentences = sum(getattr(r, "failed_sentences", 0) for r in summary.results)
    raise typer.Exit(EXIT_SENTENCES_FAILED if failed_sentences else EXIT_OK)


def _stream_results(summary) -> None:
    """Copy each finished document's JSONL to stdout, in input order."""
    out = sys.stdout.buffer
    for result in summary.results:
        for path in result.files:
            if result.status == "done":
                out.write(Path(path).read_bytes())
    out.flush()


def _on_first_signal(signum: int) -> None:
    _err(
        "\nstopping: finishing the batch in flight and writing the complete documents "
        "(press Ctrl+C again to stop at once)"
    )


def _on_hard_stop(signum: int) -> None:
    _err("\nstopped at once: no partial file was left; finished documents are kept")


class _DownloadBar:
    """Bytes, size, speed and time left of a download; a summary line when not a terminal."""

    def __init__(self) -> None:
        self._progress = None
        self._task = None
        self._start = None
        self._done = 0
        self._tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int | None) -> None:
        import time

        if self._start is None:
            self._start = time.monotonic()
            self._first = done
        self._done = done
        if not self._tty:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self._progress = Progress(
                TextColumn("downloading"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("download", total=total)
        self._progress.update(self._task, completed=done, total=total)

    def close(self) -> None:
        import time

        if self._progress is not None:
            self._progress.stop()
        if self._start is not None:
            seconds = max(time.monotonic() - self._start, 1e-6)
            fetched = self._done - self._first
            _err(
                f"downloaded {self._done / 1e6:.1f} MB"
                + (f" (resumed at {self._first / 1e6:.1f} MB)" if self._first else "")
                + f" in {seconds:.1f} s ({fetched / 1e6 / seconds:.1f} MB/s)"
            )


def _install(target: str, models_dir: Path | None, **options):
    """Run `bitext.index.install` with a download bar; errors exit 2 with their message."""
    from bitext.index import install
    from bitext.models import ModelError

    bar = _DownloadBar()
    try:
        with _request_errors(ModelError):
            return install(target, models_dir, progress=bar, on_message=_err, **options)
    finally:
        bar.close()


IndexOption = Annotated[
    str | None,
    typer.Option(
        "--index",
        help="Package index address (a mirror) (default: $ARGOS_PACKAGE_INDEX or Argos's).",
    ),
]


@models_app.command("install")
def models_install(
    package: Annotated[
        str,
        typer.Argument(
            help="A pair (nb-en), a package code (translate-nb_en), an .argosmodel file, "
            "or a folder holding an unpacked package."
        ),
    ],
    models_dir: ModelsDir = None,
    sha256: Annotated[
        str | None,
        typer.Option("--sha256", help="Refuse the archive unless its SHA-256 is this."),
    ] = None,
    index: IndexOption = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Fetch the package index again first.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Download again even if that version is installed.")
    ] = False,
) -> None:
    """Install an Argos package, checked before anything is written.

    A pair or code is downloaded from the package index (resumable, retried,
    SHA-256 checked against bitext's pinned digests); a file or folder is
    installed offline. A package is either fully installed or not at all.

    Example: bitext models install nb-en
    Example: bitext models install translate-nb_en-1_9.argosmodel
    """
    result = _install(
        package, models_dir, expected_sha256=sha256, index=index, refresh=refresh, force=force
    )
    pkg = result.package
    note = f" ({pkg.test_note})" if pkg.test_note else ""
    typer.echo(f"{result.status} {pkg.code} {pkg.version} ({pkg.pair}) in {pkg.path}{note}")


@models_app.command("available")
def models_available(
    source: Annotated[str | None, typer.Option("--from", help="Only this source language.")] = None,
    target: Annotated[str | None, typer.Option("--to", help="Only this target language.")] = None,
    index: IndexOption = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Fetch the index again instead of the cached copy.")
    ] = False,
    models_dir: ModelsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List the packages of the Argos package index (cached in the models folder).

    Example: bitext models available --from nb --to en
    """
    from bitext.index import fetch_index
    from bitext.models import ModelError, list_installed

    with _request_errors(ModelError):
        found = fetch_index(index, models_dir, refresh=refresh)
    if found.warning:
        _err(f"warning: {found.warning}")
    installed = {(p.code, p.version) for p in list_installed(models_dir)}
    entries = [
        e
        for e in found.entries
        if (source is None or e.from_code == source) and (target is None or e.to_code == target)
    ]
    if not entries:
        _err(f"no packages match in {found.url}")
    for e in entries:
        row = {
            "code": e.code,
            "pair": e.pair,
            "version": e.package_version,
            "from_name": e.from_name,
            "to_name": e.to_name,
            "file": e.filename,
            "installed": (e.code, e.package_version) in installed,
            "pinned_sha256": e.pinned_sha256,
        }
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            typer.echo(
                f"{e.code}\t{e.pair}\t{e.package_version}\t{e.from_name} -> {e.to_name}"
                + ("\tinstalled" if row["installed"] else "")
            )


@models_app.command("list")
def models_list(
    models_dir: ModelsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List installed packages: code, pair, version, size, folder, checksum.

    The checksum is the SHA-256 of the archive installed ("tree:" and a digest
    of every file for a package installed from a folder).

    Example: bitext models list --json
    """
    from bitext.models import list_installed, recover_store

    recover_store(models_dir)
    packages = list_installed(models_dir)
    if not packages and not as_json:
        _err("no packages installed (bitext models install nb-en, or FILE.argosmodel)")
    for pkg in packages:
        row = {
            "code": pkg.code,
            "pair": pkg.pair,
            "version": pkg.version,
            "size": pkg.size_bytes,
            "path": str(pkg.path),
            "sha256": pkg.sha256,
            "tree_sha256": pkg.tree_sha256,
            "source": pkg.source,
            "test_model": pkg.test_note is not None,
            "label": pkg.label,
        }
        checksum = pkg.sha256 or (f"tree:{pkg.tree_sha256}" if pkg.tree_sha256 else "-")
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            typer.echo(
                f"{pkg.code}\t{pkg.pair}\t{pkg.version}\t{row['size'] / 1e6:.1f} MB\t"
                f"{pkg.path}\t{checksum}" + (f"\t{pkg.test_note}" if pkg.test_note else "")
            )


@models_app.command("verify")
def models_verify(
    models_dir: ModelsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Re-check every installed package against its recorded checksums and load it.

    Exit code 0 when every package is intact, 1 when one is not (each named
    with what is wrong; reinstall or remove it).

    Example: bitext models verify
    """
    from bitext.models import verify_installed

    results = verify_installed(models_dir)
    if not results and not as_json:
        _err("no packages installed")
    for r in results:
        if as_json:
            row = {
                "path": str(r.path),
                "code": r.package.code if r.package else None,
                "pair": r.package.pair if r.package else None,
                "version": r.package.version if r.package else None,
                "ok": r.ok,
                "problems": r.problems,
                "warnings": r.warnings,
            }
            typer.echo(json.dumps(row, ensure_ascii=False))
            continue
        name = f"{r.package.code} {r.package.version} ({r.package.pair})" if r.package else ""
        typer.echo(f"{'ok' if r.ok else 'FAILED'}\t{name}\t{r.path}")
        for problem in r.problems:
            _err(f"  {r.path}: {problem}")
        for warning in r.warnings:
            _err(f"  warning: {r.path}: {warning}")
    raise typer.Exit(EXIT_FAILED if any(not r.ok for r in results) else EXIT_OK)


@models_app.command("remove")
def models_remove(
    package: Annotated[str, typer.Argument(help="A pair (nb-en) or package code.")],
    models_dir: ModelsDir = None,
) -> None:
    """Remove an installed package (under the models folder's lock; atomic).

    Example: bitext models remove nb-en
    """
    from bitext.models import ModelError, remove_package

    with _request_errors(ModelError):
        removed = remove_package(package, models_dir)
    if not removed:
        _refuse(f"no installed package matches {package!r}")
    for path in removed:
        typer.echo(f"removed {path}")


@memory_app.command("info")
def memory_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Where the translation memory is, its size, entries per model, reviewed pairs.

    The location is $BITEXT_CACHE_DIR/memory.sqlite3, else
    ~/.cache/bitext/memory.sqlite3. Example: bitext memory info
    """
    from bitext.memory import TranslationMemory

    with TranslationMemory() as memory:
        info = memory.info()
    if as_json:
        typer.echo(json.dumps(info, ensure_ascii=False, indent=2))
        return
    typer.echo(f"path\t{info['path']}")
    typer.echo(f"size\t{info['bytes'] / 1e6:.1f} MB")
    typer.echo(f"entries\t{info['entries']}")
    typer.echo(f"articles\t{info['documents']}")
    for model, count in info["models"].items():
        typer.echo(f"model\t{count}\t{model}")
    for pair, count in info["reviewed"].items():
        typer.echo(f"reviewed\t{count}\t{pair}")


@memory_app.command("clear")
def memory_clear(
    older_than: Annotated[
        float | None,
        typer.Option(
            "--older-than",
            help="Only entries stored more than this many days ago (the rest are kept).",
            min=0,
        ),
    ] = None,
    reviewed: Annotated[
        bool,
        typer.Option(
            "--reviewed",
            help="Also delete reviewed (human) translations; without it they are kept.",
        ),
    ] = False,
) -> None:
    """Delete the machine entries of the translation memory (all, or the old ones).

    Reviewed translations cost a person's time and are kept unless --reviewed
    is given. Example: bitext memory clear --older-than 90
    """
    import time

    from bitext.memory import TranslationMemory

    cutoff = None if older_than is None else time.time() - older_than * 86400
    with TranslationMemory() as memory:
        removed = memory.clear(stored_before=cutoff, reviewed=reviewed)
        path = memory.path
    typer.echo(f"removed {counted(removed, 'entry')} from {path}")


@memory_app.command("import")
def memory_import(
    files: Annotated[
        list[Path],
        typer.Argument(help="Reviewed files: .xlf/.xliff (1.2, 2.0), .tmx, .xlsx, .tsv, .docx."),
    ],
    source_lang: Annotated[
        str | None,
        typer.Option("--from", help="Import only pairs from this language (default: any)."),
    ] = None,
    target_lang: Annotated[
        str, typer.Option("--to", help="Import pairs into this language.")
    ] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Store the corrections made in reviewed exports as reviewed translations.

    Every later 'bitext translate' gives such a sentence its reviewed
    translation, whatever the model. Rows equal to the machine output count as
    unchanged; block rows are split into sentences and linked with the aligner
    (unsure links are reported, not imported); the later of two different
    reviewed translations wins and is listed as a conflict. One transaction: a
    refused file (malformed, hostile, too large, wrong language pair) leaves the
    memory unchanged. Example: bitext memory import reviewed/article.docx
    """
    from bitext.memory import TranslationMemory
    from bitext.review import ReviewImportError, import_files

    with TranslationMemory() as memory, _request_errors(ReviewImportError):
        report = import_files(files, memory, source_lang=source_lang, target_lang=target_lang)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    typer.echo(f"imported\t{report.imported}")
    typer.echo(f"unchanged\t{report.unchanged}")
    typer.echo(f"skipped\t{len(report.skipped)}")
    typer.echo(f"conflicts\t{len(report.conflicts)}")
    reasons: dict[str, list[str]] = {}
    for skipped in report.skipped:
        reasons.setdefault(skipped["reason"], []).append(skipped["where"])
    for reason, places in reasons.items():
        more = f" and {len(places) - 3} more" if len(places) > 3 else ""
        typer.echo(f"skipped\t{len(places)}\t{reason}: {', '.join(places[:3])}{more}")
    for conflict in report.conflicts:
        typer.echo(
            f"conflict\t{conflict['source']}\t{conflict['earlier_from']}: "
            f"{conflict['earlier']}\t{conflict['later_from']} (kept): {conflict['later']}"
        )


@memory_app.command("export")
def memory_export(
    output: Annotated[Path, typer.Option("--output", "-o", help="The TMX file to write.")],
    reviewed_only: Annotated[
        bool,
        typer.Option("--reviewed-only", help="Only reviewed (human) translations."),
    ] = False,
    source_lang: Annotated[
        str | None, typer.Option("--from", help="Only pairs from this language.")
    ] = None,
    target_lang: Annotated[
        str | None, typer.Option("--to", help="Only pairs into this language.")
    ] = None,
) -> None:
    """Write the translation memory as TMX 1.4b for CAT tools (OmegaT, Trados, memoQ).

    Units carry their creation date and origin (reviewed or model).
    Example: bitext memory export -o memory.tmx --reviewed-only --from nb --to en
    """
    from bitext.memory import TranslationMemory
    from bitext.outputs import atomic_write_bytes
    from bitext.record import RecordError
    from bitext.reruns import note_written
    from bitext.review import memory_tmx, normalize_language

    with TranslationMemory() as memory:
        entries = memory.entries(
            reviewed_only=reviewed_only,
            source_lang=normalize_language(source_lang) if source_lang else None,
            target_lang=normalize_language(target_lang) if target_lang else None,
        )
    data = memory_tmx(entries)
    try:
        atomic_write_bytes(output, data)
        note_written(output, data, "_memory", "memory export")  # an output folder's record
    except (OSError, RecordError) as exc:
        _refuse(f"cannot write {output}: {getattr(exc, 'strerror', None) or exc}")
    typer.echo(f"wrote {counted(len(entries), 'unit')} to {output}")


@glossary_app.command("check")
def glossary_check(
    file: Annotated[Path, typer.Argument(help="A glossary file (TSV, CSV or TBX).")],
    folder: Annotated[
        Path | None,
        typer.Argument(help="Articles to match it against (default: ./seeds, if there)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Report duplicates, conflicts, no-op entries and entries that never match.

    Example: bitext glossary check my_terms.tsv seeds/
    """
    from bitext.glossary import Glossary, GlossaryError, check_glossary, format_check_report
    from bitext.readers import find_articles, read_document

    with _request_errors(GlossaryError, FileNotFoundError):
        glossary = Glossary.load(file)
        paths = list(find_articles(_inputs([folder] if folder else None, "glossary check")))

    def texts():
        for path in paths:
            try:
                document = read_document(path)
            except Exception as exc:  # an unreadable article is reported, not fatal
                _err(f"warning: {path}: {exc}")
                continue
            for block in document.blocks:
                yield block.text

    report = check_glossary(glossary, texts())
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        typer.echo(format_check_report(report))


@app.command()
@limit_options
def detect(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Article files or folders (default: ./seeds, if there)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per line per document.")
    ] = False,
    blocks: Annotated[
        bool, typer.Option("--blocks", help="Also give every block's language and confidence.")
    ] = False,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Detect the language of each article and how its blocks split by language.

    Results stream as each document is read, so a large folder starts at once.

    Example: bitext detect seeds/ --json --blocks
    """
    from bitext.interrupts import exit_on_signals

    exit_on_signals()  # nothing is written: a signal ends the listing at once
    from bitext.interrupts import pause_point
    from bitext.readers import find_articles
    from bitext.runs import NoArticles

    failed, found, skipped = False, 0, []
    paths = _inputs(paths, "detect")
    with _request_errors(FileNotFoundError):
        for path in find_articles(paths, skipped=skipped):
            found += 1
            failed |= not _print_detection(path, limits, blocks, as_json)
            pause_point("detected")
    if not found:
        _refuse(str(NoArticles(paths, skipped)))
    raise typer.Exit(EXIT_FAILED if failed else EXIT_OK)


def _print_detection(path: Path, limits: Limits, blocks: bool, as_json: bool) -> bool:
    """One article's language (and its blocks') on stdout; False when it cannot be read."""
    from bitext.detection import detection_report
    from bitext.readers import read_document

    try:
        report = detection_report(read_document(path, limits=limits), with_blocks=blocks)
    except Exception as exc:  # one bad file never stops the listing
        _err(f"failed: {path}: {exc}")
        if as_json:
            typer.echo(json.dumps({"path": str(path), "error": str(exc)}))
        return False
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return True
    split = ", ".join(f"{k} {v}" for k, v in report["blocks_by_language"].items())
    typer.echo(f"{report['path']}\t{report['language']}\t{report['confidence']:.2f}\t{split}")
    for block in report.get("blocks", []):
        typer.echo(f"  block {block['block']}\t{block['language']}\t{block['confidence']:.2f}")
    return True


@app.command()
@limit_options
def align(
    source: Annotated[
        Path,
        typer.Argument(
            help="The article, a folder of articles, or one folder holding both "
            "article.txt (or article.nb.txt) and article.en.txt."
        ),
    ],
    target: Annotated[
        Path | None,
        typer.Argument(help="Its translation, or a folder of translations with the same names."),
    ] = None,
    source_lang: Annotated[
        str, typer.Option("--from", help="Source language, or 'auto' to detect it.")
    ] = "auto",
    target_lang: Annotated[
        str,
        typer.Option(
            "--to", help="Translation language, or 'auto' (in a folder: picks x.CODE.txt)."
        ),
    ] = "auto",
    output: Annotated[
        Path,
        typer.Option("-o", "--output", help="Folder for the exports: <source-stem>.<ext>."),
    ] = Path("exports"),
    format: Formats = "docx,tsv",
    granularity: Annotated[
        str | None,
        typer.Option("--granularity", help="Rows per 'block' or per 'sentence' (as translate)."),
    ] = None,
    use_model: Annotated[
        bool,
        typer.Option(
            "--use-model",
            help="Translate the source with the installed SOURCE->TARGET model and use the "
            "similarity of that translation (chrF) to align.",
        ),
    ] = False,
    models_dir: ModelsDir = None,
    overwrite: Overwrite = False,
    discard_edits: DiscardEdits = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run summary as JSON on stdout.")
    ] = False,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Align an article with its existing translation, sentence by sentence.

    Links are 1-1, 1-0, 0-1, 1-2, 2-1 or 2-2, each row with a score (0..1);
    unsure links are flagged weak-alignment. Files are paired as two files,
    two folders with the same file names, or one folder of x.txt beside
    x.en.txt. Output: <output>/<source-stem>.<ext>; the TSV has translate's
    columns plus score.

    Example: bitext align article.txt article.en.txt -o exports/ --format tsv,tmx
    """
    from bitext.interrupts import exit_on_signals

    exit_on_signals()
    from bitext.align.pipeline import AlignOptions, align_paths

    options = AlignOptions(
        output_dir=output,
        formats=_export_choices(format, granularity),
        source_lang=source_lang,
        target_lang=target_lang,
        use_model=use_model,
        models_dir=models_dir,
        granularity=granularity,
        overwrite=overwrite,
        discard_edits=discard_edits,
        limits=limits,
    )
    with _request_errors(RequestError):
        summary, signum = _interruptible(
            lambda stop, bar: align_paths(source, target, options, progress=bar, stop=stop),
            _ProgressBar("aligning", "pairs"),
        )
    _report_problems(summary.results)
    _report_edits(summary.edits)
    _report_alignment(summary, as_json)
    _exit(summary, signum, counted(summary.count("interrupted"), "pair"))


def _report_alignment(summary, as_json: bool) -> None:
    """The run in numbers (links, weak ones, flags), then the files written."""
    data = summary.as_dict()
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    from bitext.checks import format_flag_counts

    typer.echo(
        f"{counted(data['pairs'], 'pair')}: {data['done']} done, {data['skipped']} skipped, "
        f"{data['failed']} failed; {counted(data['links'], 'link')} ({data['weak']} weak)"
    )
    typer.echo(f"flags: {format_flag_counts(data['flags'])}")
    for path in data["files"]:
        typer.echo(path)


@app.command()
def review(
    exports: Annotated[
        Path, typer.Argument(help="Output folder of a translate run (it holds report.json).")
    ] = Path("exports"),
    port: Annotated[
        int, typer.Option("--port", help="Port on 127.0.0.1 (default: a free one).", min=0)
    ] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the address; do not open a browser.")
    ] = False,
    source: Annotated[
        str, typer.Option("--from", help="Source language the run was given, or 'auto'.")
    ] = "auto",
    fast: Annotated[
        bool, typer.Option("--fast", help="The run used --fast (greedy decoding).")
    ] = False,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda.")] = "auto",
    compute_type: Annotated[
        str, typer.Option("--compute-type", help="The run's CTranslate2 compute type.")
    ] = "default",
    threads: Annotated[int | None, typer.Option("--threads", help="CPU threads.")] = None,
    models_dir: ModelsDir = None,
    glossary: Annotated[
        list[Path] | None,
        typer.Option("--glossary", help="The run's glossary files (as given to translate)."),
    ] = None,
    no_default_glossary: Annotated[
        bool, typer.Option("--no-default-glossary", help="The run did not use the name list.")
    ] = False,
) -> None:
    """Review a run in the browser: read, filter, search and correct its translations.

    Serves the run's overview and each document side by side on 127.0.0.1,
    behind a one-time token; a saved target is a reviewed correction in the
    translation memory, and the document's exports are written again with it.
    Stop with Ctrl+C.

    Example: bitext review exports/ --no-browser
    """
    from bitext.pipeline import TranslateOptions
    from bitext.revision import ReviewError
    from bitext.web.review import serve_review

    options = TranslateOptions(
        output_dir=exports,
        source_lang=source,
        **_model_settings(
            device=device,
            compute_type=compute_type,
            threads=threads,
            fast=fast,
            models_dir=models_dir,
            glossary=glossary,
            no_default_glossary=no_default_glossary,
        ),
    )
    announce = functools.partial(typer.echo, err=False)
    try:
        serve_review(exports, options, port=port, open_browser=not no_browser, announce=announce)
    except ReviewError as exc:
        _refuse(str(exc))
    except OSError as exc:
        _refuse(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}")


@app.command()
def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host", help="Address to listen on; anything but loopback needs --api-keys."
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (LibreTranslate's default).")] = 5000,
    api_keys: Annotated[
        Path | None,
        typer.Option("--api-keys", help="File of API keys, one per line; clients must send one."),
    ] = None,
    exports: Annotated[
        Path | None,
        typer.Option("--exports", help="Also serve the review pages of this exports folder."),
    ] = None,
    models_dir: ModelsDir = None,
    threads: Threads = None,
    replicas: Replicas = None,
    device: Device = "auto",
    compute_type: ComputeType = "default",
    fast: Fast = False,
    glossary: Glossaries = None,
    no_default_glossary: NoDefaultGlossary = False,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Neither read nor write the translation memory."),
    ] = False,
    no_batching: Annotated[
        bool,
        typer.Option(
            "--no-batching",
            help="Translate each request on its own, as LibreTranslate does (a baseline).",
        ),
    ] = False,
    max_queued: Annotated[
        int, typer.Option("--max-queued", help="Sentences waiting, all requests (then 503).")
    ] = 4096,
    request_seconds: Annotated[
        float, typer.Option("--request-seconds", help="Time one request may take (then 503).")
    ] = 60.0,
) -> None:
    """Serve the LibreTranslate API (and bitext's /v1/) over HTTP, offline.

    Loads the model once and batches the sentences of concurrent requests
    together. Stops on Ctrl+C or SIGTERM: requests in flight finish first.

    Example: bitext serve --port 5000  (then: curl -d q=Hei -d source=nb -d target=en
    http://127.0.0.1:5000/translate)
    """
    from bitext.pipeline import TranslateOptions
    from bitext.web.service import ServeOptions
    from bitext.web.serving import serve as run_server

    model = _model_settings(
        device=device,
        compute_type=compute_type,
        threads=threads,
        replicas=replicas,
        fast=fast,
        models_dir=models_dir,
        glossary=glossary,
        no_default_glossary=no_default_glossary,
    )
    if max_queued < 1 or request_seconds <= 0:
        _refuse("--max-queued and --request-seconds must be positive")
    options = ServeOptions(
        translate=TranslateOptions(**model, cache=not no_cache),
        cross_request=not no_batching,
        max_queued=max_queued,
        request_seconds=request_seconds,
    )
    with _request_errors(RequestError):
        run_server(
            host,
            port,
            options,
            api_keys=api_keys,
            exports=exports,
            on_started=_announce_serving,
        )
    _err("bitext serve: stopped")


def _announce_serving(url: str) -> None:
    if "?token=" in url:  # --exports: the review pages, as `bitext review` says it
        _err(f"Review at {url}")
    else:
        _err(f"bitext serve: listening on {url} (Ctrl+C stops)")


def main() -> None:  # pragma: no cover - console entry point
    app()
