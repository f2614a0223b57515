"""The `bitext` command: a thin Typer layer over the library.

Each command parses options, calls one library function and prints. Results
go to stdout (or files); progress and errors go to stderr. Exit codes: 0 all
done or skipped, 1 some documents failed, 2 the request cannot work, 130/143
interrupted.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Offline Norwegian-to-English translation with side-by-side exports.\n\n"
    "Example: bitext translate seeds/ -o exports/",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
models_app = typer.Typer(
    help="Install, list and remove Argos translation packages.\n\n"
    "Example: bitext models install translate-nb_en-1_9.argosmodel",
    no_args_is_help=True,
)
app.add_typer(models_app, name="models")
cache_app = typer.Typer(
    help="The translation memory: every sentence translated, reused by later runs.\n\n"
    "Example: bitext cache info",
    no_args_is_help=True,
)
app.add_typer(cache_app, name="cache")
glossary_app = typer.Typer(
    help="Glossaries: English spellings of names and fixed translations of terms.\n\n"
    "Example: bitext glossary check my_terms.tsv seeds/",
    no_args_is_help=True,
)
app.add_typer(glossary_app, name="glossary")


EXIT_OK, EXIT_FAILED, EXIT_REQUEST = 0, 1, 2

ModelsDir = Annotated[
    Path | None,
    typer.Option(
        "--models-dir",
        help="Folder of installed packages [default: $BITEXT_MODELS_DIR or ./models].",
    ),
]


def _err(message: str) -> None:
    typer.echo(message, err=True)


class _ProgressBar:
    """Sentences done, sentences per second and time left, on a terminal only."""

    def __init__(self) -> None:
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
                TextColumn("translating"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("translate", total=total, rate="")
        task = self._progress.tasks[0]
        rate = f"{task.speed:.0f} sentences/s" if task.speed else ""
        self._progress.update(self._task, completed=done, total=total, rate=rate)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


@app.command()
def translate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Article files or folders [default: seeds/]."),
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for the exports.")] = Path(
        "exports"
    ),
    format: Annotated[
        str, typer.Option("--format", "-f", help="Comma-separated formats: docx,tsv.")
    ] = "docx,tsv",
    source: Annotated[
        str, typer.Option("--from", help="Source language, or 'auto' to detect per document.")
    ] = "auto",
    target: Annotated[str, typer.Option("--to", help="Target language.")] = "en",
    fast: Annotated[
        bool, typer.Option("--fast", help="Greedy decoding: faster, slightly lower quality.")
    ] = False,
    granularity: Annotated[
        str, typer.Option("--granularity", help="DOCX rows per 'block' or per 'sentence'.")
    ] = "block",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Redo documents whose exports already exist.")
    ] = False,
    threads: Annotated[
        int | None, typer.Option("--threads", help="CPU threads [default: all cores].")
    ] = None,
    device: Annotated[
        str, typer.Option("--device", help="auto (CUDA when CTranslate2 sees a GPU), cpu or cuda.")
    ] = "auto",
    compute_type: Annotated[
        str, typer.Option("--compute-type", help="CTranslate2 compute type [default: int8 on CPU].")
    ] = "default",
    models_dir: ModelsDir = None,
    glossary: Annotated[
        list[Path] | None,
        typer.Option(
            "--glossary",
            help="Glossary file (TSV, CSV or TBX) on top of the default name list; repeatable.",
        ),
    ] = None,
    no_default_glossary: Annotated[
        bool,
        typer.Option("--no-default-glossary", help="Do not respell names with the shipped list."),
    ] = False,
    no_cache: Annotated[
        bool,
        typer.Option("--no-cache", help="Neither read nor write the translation memory."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the run summary as JSON on stdout.")
    ] = False,
) -> None:
    """Translate articles and write side-by-side exports.

    Example: bitext translate seeds/ -o exports/ --format docx,tsv
    """
    from bitext.exporters import parse_formats
    from bitext.pipeline import RequestError, TranslateOptions, translate_paths

    try:
        formats = parse_formats(format)
    except ValueError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_REQUEST) from None
    if granularity not in ("block", "sentence"):
        _err("error: --granularity must be 'block' or 'sentence'")
        raise typer.Exit(EXIT_REQUEST)
    if device not in ("auto", "cpu", "cuda"):
        _err("error: --device must be 'auto', 'cpu' or 'cuda'")
        raise typer.Exit(EXIT_REQUEST)
    options = TranslateOptions(
        output_dir=output,
        formats=formats,
        source_lang=source,
        target_lang=target,
        fast=fast,
        models_dir=models_dir,
        device=device,
        compute_type=compute_type,
        threads=threads,
        overwrite=overwrite,
        granularity=granularity,
        glossaries=list(glossary or []),
        default_glossary=not no_default_glossary,
        cache=not no_cache,
    )
    bar = _ProgressBar()
    try:
        summary = translate_paths(paths or [Path("seeds")], options, progress=bar)
    except RequestError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_REQUEST) from None
    finally:
        bar.close()

    data = summary.as_dict()
    for result in summary.results:
        for warning in result.warnings:
            _err(f"warning: {warning}")
        if result.status == "failed":
            _err(f"failed: {result.path}: {result.reason}")
        elif result.status == "skipped":
            _err(f"skipped: {result.path}: {result.reason}")
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        languages = ", ".join(f"{k} {v}" for k, v in data["languages"].items()) or "none"
        typer.echo(
            f"{data['documents']} documents: {data['done']} done, {data['skipped']} skipped, "
            f"{data['failed']} failed; {data['blocks']} blocks, {data['sentences']} sentences "
            f"({data['translated_sentences']} translated); languages: {languages}"
        )
        for path in data["files"]:
            typer.echo(path)
    raise typer.Exit(EXIT_FAILED if summary.failed else EXIT_OK)


@models_app.command("install")
def models_install(
    archive: Annotated[Path, typer.Argument(help="An .argosmodel file.")],
    models_dir: ModelsDir = None,
    sha256: Annotated[
        str | None, typer.Option("--sha256", help="Refuse the file unless its SHA-256 is this.")
    ] = None,
) -> None:
    """Install an Argos package from a file, checked before anything is written.

    Example: bitext models install translate-nb_en-1_9.argosmodel
    """
    from bitext.models import ModelError, install_archive

    try:
        package = install_archive(archive, models_dir, expected_sha256=sha256)
    except ModelError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_REQUEST) from None
    typer.echo(f"installed {package.code} {package.version} ({package.pair}) in {package.path}")


@models_app.command("list")
def models_list(
    models_dir: ModelsDir = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """List installed packages: code, pair, version, size, folder, checksum.

    Example: bitext models list --json
    """
    from bitext.models import list_installed

    packages = list_installed(models_dir)
    if not packages and not as_json:
        _err("no packages installed (bitext models install FILE.argosmodel)")
    for pkg in packages:
        row = {
            "code": pkg.code,
            "pair": pkg.pair,
            "version": pkg.version,
            "size": pkg.size_bytes,
            "path": str(pkg.path),
            "sha256": pkg.sha256,
        }
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            typer.echo(
                f"{pkg.code}\t{pkg.pair}\t{pkg.version}\t{row['size'] / 1e6:.1f} MB\t"
                f"{pkg.path}\t{pkg.sha256 or '-'}"
            )


@models_app.command("remove")
def models_remove(
    package: Annotated[str, typer.Argument(help="A pair (nb-en) or package code.")],
    models_dir: ModelsDir = None,
) -> None:
    """Remove an installed package.

    Example: bitext models remove nb-en
    """
    from bitext.models import remove_package

    removed = remove_package(package, models_dir)
    if not removed:
        _err(f"error: no installed package matches {package!r}")
        raise typer.Exit(EXIT_REQUEST)
    for path in removed:
        typer.echo(f"removed {path}")


@cache_app.command("info")
def cache_info(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """Where the translation memory is, its size, and entries per model.

    The location is $BITEXT_CACHE_DIR/memory.sqlite3, else
    ~/.cache/bitext/memory.sqlite3. Example: bitext cache info
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
    for model, count in info["models"].items():
        typer.echo(f"model\t{count}\t{model}")


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete every entry of the translation memory.

    Example: bitext cache clear
    """
    from bitext.memory import TranslationMemory

    with TranslationMemory() as memory:
        removed = memory.clear()
        path = memory.path
    typer.echo(f"removed {removed} entries from {path}")


@glossary_app.command("check")
def glossary_check(
    file: Annotated[Path, typer.Argument(help="A glossary file (TSV, CSV or TBX).")],
    folder: Annotated[
        Path | None,
        typer.Argument(help="Articles to match it against [default: seeds/]."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Report duplicates, conflicts, no-op entries and entries that never match.

    Example: bitext glossary check my_terms.tsv seeds/
    """
    from bitext.glossary import Glossary, GlossaryError, check_glossary, format_check_report
    from bitext.reading import find_articles, read_document

    try:
        glossary = Glossary.load(file)
    except GlossaryError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_REQUEST) from None
    try:
        paths = list(find_articles([folder or Path("seeds")]))
    except FileNotFoundError as exc:
        _err(f"error: {exc}")
        raise typer.Exit(EXIT_REQUEST) from None

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


def main() -> None:  # pragma: no cover - console entry point
    app()
