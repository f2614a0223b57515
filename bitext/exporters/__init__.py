"""Exporters, registered by format name.

An exporter turns BilingualDocuments into bytes; the pipelines write them
atomically. Every format is an `Exporter` (`render`: one file per document);
those that can also write one file for a whole run (every format but DOCX)
are a `CombinedExporter` (`render_many`). `granularity` None means the
format's own default: DOCX one row per block, TSV and XLSX one per
sentence; TMX and JSONL are always per sentence. A name that is not a
format raises `UnknownFormat`, wherever it is looked up.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from bitext.documents import BilingualDocument


@runtime_checkable
class Exporter(Protocol):
    """What every format module's `EXPORTER` is."""

    suffix: str

    def render(self, document: BilingualDocument, *, granularity: str | None = None) -> bytes:
        """One document's file. `granularity` None means the format's default."""
        ...


@runtime_checkable
class CombinedExporter(Exporter, Protocol):
    """A format that can also write one file for a whole run (`--combine`)."""

    def render_many(
        self, documents: Iterable[BilingualDocument], *, granularity: str | None = None
    ) -> bytes:
        """One file holding every document of `documents`, in order."""
        ...


class UnknownFormat(ValueError):
    """A format name that no exporter is registered for."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"unknown format {name!r}; choose from {', '.join(_MODULES)}")


#: format name -> module implementing it (imported only when used).
_MODULES = {
    "docx": "bitext.exporters.docx",
    "tsv": "bitext.exporters.tsv",
    "tmx": "bitext.exporters.tmx",
    "jsonl": "bitext.exporters.jsonl",
    "xlsx": "bitext.exporters.xlsx",
    "xliff": "bitext.exporters.xliff",
}

#: Stem of the combined files of a run (`--combine`). Document stems come
#: from `bitext.outputs.safe_stem`, which never starts with `_`, so this
#: name cannot clash with a document's.
COMBINED_STEM = "_combined"


def formats() -> list[str]:
    return list(_MODULES)


def get_exporter(name: str) -> Exporter:
    """The exporter of format `name`; its module is imported now, not before."""
    if name not in _MODULES:
        raise UnknownFormat(name)
    return importlib.import_module(_MODULES[name]).EXPORTER


def check_formats(names: Iterable[str]) -> None:
    """Raise UnknownFormat for the first name that is not a format."""
    for name in names:
        get_exporter(name)


def combined_exporter(name: str) -> CombinedExporter | None:
    """The exporter of format `name` if it writes one file for a whole run, else None."""
    exporter = get_exporter(name)
    return exporter if isinstance(exporter, CombinedExporter) else None


def can_combine(name: str) -> bool:
    """Whether a format writes one file for a whole run (all but DOCX)."""
    return combined_exporter(name) is not None


def parse_formats(value: str | Sequence[str]) -> list[str]:
    """'docx,tsv' -> ['docx', 'tsv'], checking each name (UnknownFormat).

    An empty list is a ValueError too: a run must write something.
    """
    names = value.split(",") if isinstance(value, str) else list(value)
    out = []
    for name in (n.strip().lower() for n in names):
        if not name:
            continue
        if name not in _MODULES:
            raise UnknownFormat(name)
        if name not in out:
            out.append(name)
    if not out:
        raise ValueError("no export format given")
    return out


def write_combined(
    documents: Sequence[BilingualDocument],
    output_dir: Path,
    formats: Sequence[str],
    granularity: str | None = None,
) -> list[str]:
    """One file per format for all `documents` (`_combined.tsv`, ...), written atomically.

    Formats without a combined form (DOCX) are left out.
    """
    from bitext.outputs import atomic_write_bytes

    written = []
    for name in formats:
        exporter = combined_exporter(name)
        if exporter is None:
            continue
        path = Path(output_dir) / f"{COMBINED_STEM}{exporter.suffix}"
        atomic_write_bytes(path, exporter.render_many(documents, granularity=granularity))
        written.append(str(path))
    return written
