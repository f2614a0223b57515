"""Readers, registered by file ending: paths in, Documents out.

Each reader module defines `READER` (see `base.Reader`): its `kind`, the
`suffixes` it reads and `read(path, doc_id, limits)`. Modules are imported
only when a file of theirs is read. Every reader reads through
`bitext.limits`, so one oversized or hostile file fails alone with the
limit in its reason.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from bitext.documents import Document
from bitext.limits import Limits
from bitext.readers.base import LimitExceeded, Reader, ReadError, parse_article

__all__ = [
    "ARTICLE_SUFFIXES",
    "LimitExceeded",
    "ReadError",
    "Reader",
    "document_id",
    "find_articles",
    "get_reader",
    "input_name",
    "parse_article",
    "read_document",
    "reader_of_kind",
    "skipped_reason",
]

#: file ending -> module of `bitext.readers` reading it (imported when used).
_MODULES = {
    ".txt": "text",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".odt": "odt",
    ".md": "markdown",
    ".markdown": "markdown",
}

#: File endings read as articles when a folder is given.
ARTICLE_SUFFIXES = tuple(_MODULES)

#: How exports name the kind of file an article was read from (metadata "Input").
_INPUT_NAMES = {
    "text": "plain text",
    "docx": "Word document (.docx)",
    "html": "web page (HTML)",
    "pdf": "PDF",
    "odt": "OpenDocument text (.odt)",
    "markdown": "Markdown",
}

#: The reader of a file named on the command line with another ending.
_DEFAULT = "text"


def get_reader(path: str | os.PathLike[str]) -> Reader:
    """The reader for a file, by its ending; plain text for an unknown one."""
    name = _MODULES.get(Path(path).suffix.lower(), _DEFAULT)
    return importlib.import_module(f"bitext.readers.{name}").READER


def reader_of_kind(kind: str) -> Reader:
    """The reader of a kind (`pdf`, `html` ...): each kind's module has its name."""
    return importlib.import_module(f"bitext.readers.{kind}").READER


def input_name(kind: str) -> str:
    """The name exports give an input kind ("web page (HTML)" for `html`)."""
    return _INPUT_NAMES.get(kind, kind)


def document_id(path: Path) -> str:
    """The document id: the file name without its ending."""
    return path.stem


def read_document(
    path: str | os.PathLike[str], doc_id: str | None = None, limits: Limits | None = None
) -> Document:
    """Read one article file; raises ReadError with the reason when it cannot.

    `limits` None means the default `Limits`.
    """
    from bitext.readers.sniff import reader_for

    path = Path(path)
    try:
        # The content decides when the ending lies (a PDF saved as .html).
        reader, warning = reader_for(path, get_reader(path), reader_of_kind)
        document = reader.read(path, doc_id or document_id(path), limits or Limits())
    except OSError as exc:
        raise ReadError(f"{path}: cannot read ({exc.strerror or exc})") from exc
    document.input_kind = document.input_kind or reader.kind
    if warning:
        document.warnings.insert(0, warning)
    return document


#: Why a file in an output folder is not read (named on the command line).
IN_OUTPUT_FOLDER = (
    "in an output folder of bitext (it holds a run record): an export, not an article"
)


def find_articles(
    paths: Iterable[str | os.PathLike[str]],
    skipped: list[tuple[Path, str]] | None = None,
    exclude: Iterable[str | os.PathLike[str]] = (),
) -> Iterator[Path]:
    """Article files under the given paths, in a stable order, each once.

    Outputs are never inputs: folders named in `exclude` (the run's output
    folder, wherever it lies) and every folder holding bitext's run record
    (`bitext.record`; a folder of exports moved elsewhere) are not walked,
    and a file named in such a folder is skipped with `IN_OUTPUT_FOLDER`.

    Files in folders that no reader takes are left out; with `skipped`, each
    is appended there with the reason (`skipped_reason`), so a run can say
    so instead of ignoring them in silence.

    Folders are walked recursively; hidden files and folders and Word's
    `~$` lock files are skipped. Symlinked folders are followed, but each
    real folder is visited once, so a link loop cannot hang a run. A file
    reached twice (named twice, or through a link) is read once. A path that
    does not exist raises FileNotFoundError. Files that exist but cannot be
    read (a dangling link, no permission) are yielded, so the reader reports
    them by name.
    """
    from bitext.record import holds_record

    seen: set[Path] = set()
    outputs = {_identity(Path(p)) for p in exclude} - {None}
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            found = [path]
            folder = path.parent
            if holds_record(folder) or _identity(folder) in outputs:
                found = []
                if skipped is not None:
                    skipped.append((path, IN_OUTPUT_FOLDER))
        elif path.is_dir():
            found = _walk(path, skipped, outputs)
        else:
            raise FileNotFoundError(f"no such file or folder: {path}")
        for item in found:
            try:
                key = item.resolve()
            except (OSError, RuntimeError):  # a link loop: keep the name itself
                key = item.absolute()
            if key not in seen:
                seen.add(key)
                yield item


def _identity(folder: Path) -> tuple[int, int] | None:
    """(device, inode) of a folder, so one reached by another name is still known."""
    try:
        info = os.stat(folder)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _walk(
    folder: Path,
    skipped: list[tuple[Path, str]] | None = None,
    outputs: set[tuple[int, int] | None] | None = None,
) -> list[Path]:
    from bitext.record import holds_record

    found = []
    visited: set[tuple[int, int]] = set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        try:
            info = os.stat(root)
        except OSError:
            dirs[:] = []
            continue
        identity = (info.st_dev, info.st_ino)
        if identity in visited or identity in (outputs or ()) or holds_record(Path(root)):
            dirs[:] = []
            continue
        visited.add((info.st_dev, info.st_ino))
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith((".", "~$")):
                continue
            if not name.lower().endswith(ARTICLE_SUFFIXES):
                if skipped is not None:
                    skipped.append((Path(root) / name, skipped_reason(Path(name))))
                continue
            found.append(Path(root) / name)
    if skipped is not None:
        skipped.sort(key=lambda item: item[0].as_posix())
    return sorted(found, key=lambda p: p.as_posix())


def skipped_reason(path: Path) -> str:
    """Why a file in a folder is not read: its kind, and the kinds bitext reads."""
    import mimetypes

    suffix = path.suffix.lower()
    mime, _ = mimetypes.guess_type(path.name, strict=False)
    if not suffix:
        kind = "a file without an ending"
    elif mime:
        kind = f"a {suffix} file ({mime})"
    else:
        kind = f"a {suffix} file"
    return f"not an article format: {kind}; bitext reads {', '.join(ARTICLE_SUFFIXES)}"
