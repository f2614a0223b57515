"""Plain text and the seed article format (`.txt`), in any common encoding."""

from __future__ import annotations

from pathlib import Path

from bitext.documents import Document
from bitext.limits import Limits, read_file
from bitext.readers.base import decode, parse_article


class TextReader:
    kind = "text"
    suffixes = (".txt",)

    def read(self, path: Path, doc_id: str, limits: Limits) -> Document:
        """Bytes (refused from the file's size when too many), decoded, then parsed."""
        text, warnings = decode(read_file(path, limits), path, limits)
        document = parse_article(text, doc_id, str(path), limits)
        document.warnings.extend(warnings)
        return document


READER = TextReader()
