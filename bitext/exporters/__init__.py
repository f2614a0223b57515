"""Exporters, registered by format name.

An exporter turns BilingualDocuments into bytes; the pipeline writes them
atomically. `render` makes one file per document, `render_many` a combined
file for a whole run (every format but DOCX). `granularity` None means the
format's own default: DOCX one row per block, TSV and XLSX one per
sentence; TMX and JSONL are always per sentence.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from bitext.documents import BilingualDocument


class Exporter(Protocol):
    suffix: str

    def render(self, document: BilingualDocument, *, granularity: str | None = None) -> bytes:
        """One document's file. `granularity` None means the format's default."""
        ...


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


def can_combine(name: str) -> bool:
    """Whether a format writes one file for a whole run (all but DOCX)."""
    return hasattr(get_exporter(name), "render_many")


def get_exporter(name: str) -> Exporter:
    if name not in _MODULES:
        raise KeyError(f"unknown format {name!r}; choose from {', '.join(_MODULES)}")
    return importlib.import_module(_MODULES[name]).EXPORTER


def parse_formats(value: str | Sequence[str]) -> list[str]:
    """'docx,tsv' -> ['docx', 'tsv'], checking each name."""
    names = value.split(",") if isinstance(value, str) else list(value)
    out = []
    for name in (n.strip().lower() for n in names):
        if not name:
            continue
        if name not in _MODULES:
            raise ValueError(f"unknown format {name!r}; choose from {', '.join(_MODULES)}")
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
        if not can_combine(name):
            continue
        exporter = get_exporter(name)
        path = Path(output_dir) / f"{COMBINED_STEM}{exporter.suffix}"
        atomic_write_bytes(path, exporter.render_many(documents, granularity=granularity))
        written.append(str(path))
    return written
