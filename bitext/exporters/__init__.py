"""Exporters, registered by format name.

An exporter turns BilingualDocuments into bytes; the pipeline writes them
atomically. `render` makes one file per document, `render_many` a combined
file for a whole run (formats that support it).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Protocol

from bitext.documents import BilingualDocument


class Exporter(Protocol):
    suffix: str

    def render(self, document: BilingualDocument, *, granularity: str = "block") -> bytes: ...


#: format name -> module implementing it (imported only when used).
_MODULES = {
    "docx": "bitext.exporters.docx",
    "tsv": "bitext.exporters.tsv",
}


def formats() -> list[str]:
    return list(_MODULES)


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
