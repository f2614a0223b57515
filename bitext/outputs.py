"""Writing outputs safely: temporary file, then rename into place.

A reader (or a crashed run) never sees half a file: either the old file, no
file, or the complete new one.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

TEMP_PREFIX = ".bitext-tmp-"
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def clean_temporaries(folder: Path) -> None:
    """Remove temporary files an interrupted run left in `folder`."""
    if folder.is_dir():
        for entry in folder.glob(TEMP_PREFIX + "*"):
            try:
                entry.unlink()
            except OSError:
                pass


def safe_stem(name: str) -> str:
    """A file-name stem with no path separators or control characters."""
    stem = _UNSAFE.sub("_", name).strip("._") or "document"
    return stem[:150]


def output_stems(paths: Iterable[Path]) -> dict[Path, str]:
    """A distinct, stable output stem for every input path.

    Inputs sharing a stem (`a/x.txt`, `b/x.txt`) get a short digest of their
    path appended, so neither overwrites the other.
    """
    paths = list(paths)
    stems = {p: safe_stem(p.stem) for p in paths}
    counts: dict[str, int] = {}
    for stem in stems.values():
        counts[stem.lower()] = counts.get(stem.lower(), 0) + 1
    for path, stem in stems.items():
        if counts[stem.lower()] > 1:
            digest = hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()[:8]
            stems[path] = f"{stem}-{digest}"
    return stems
