"""Writing outputs safely: temporary file, then rename into place.

A reader (or a crashed or interrupted run) never sees half a file: either the
old file, no file, or the complete new one. Temporaries carry the
`.bitext-tmp-` prefix so a later run can recognise and remove leftovers.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

TEMP_PREFIX = ".bitext-tmp-"
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)
#: Names Windows refuses whatever the ending (a shared folder may be read there).
_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(10)}
#: errno values that no later document of the run can escape either.
FATAL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}
_HINTS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the output folder is on a read-only file system",
    errno.EFBIG: "the file is larger than the size limit for files",
    errno.EACCES: "no permission to write in the output folder",
    errno.EPERM: "no permission to write in the output folder",
}


class OutputError(OSError):
    """A file could not be written; nothing partial was left behind.

    `fatal` is true when every later write would fail the same way (disk
    full, read-only file system), so a run should stop instead of translating
    documents it cannot save.
    """

    @property
    def fatal(self) -> bool:
        return self.errno in FATAL_ERRNOS

    def __str__(self) -> str:
        return str(self.strerror)


class _LiveTemporaries:
    """Temporaries being written right now, so a hard stop can remove them.

    Module state on purpose: a signal handler has no other way to reach the
    writes in flight. `close()` removes them and refuses new ones.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paths: set[str] = set()
        self._closed = False

    def create(self, folder: Path) -> tuple[int, str]:
        with self._lock:
            if self._closed:
                raise OutputError(errno.EINTR, "the run was stopped", str(folder))
            fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
            self._paths.add(tmp)
            return fd, tmp

    def forget(self, tmp: str) -> None:
        with self._lock:
            self._paths.discard(tmp)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for tmp in self._paths:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass
            self._paths.clear()


_LIVE = _LiveTemporaries()


def abort_writes() -> None:
    """Remove every temporary being written and refuse new writes (hard stop)."""
    _LIVE.close()


class TooLarge(ValueError):
    """A file bitext wrote itself has grown past the size it may have."""


def read_bounded(path: Path, max_bytes: int) -> bytes | None:
    """A file of bitext's own (the run record, the report's facts), read with a bound.

    None when it does not exist; TooLarge when it holds over `max_bytes` (only
    `max_bytes + 1` are ever read); OSError when it cannot be read.
    """
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        return None
    if len(data) > max_bytes:
        raise TooLarge(f"{path} is larger than {max_bytes // 2**20} MiB")
    return data


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` through a temporary file in the same folder.

    Raises OutputError (an OSError) with the path and a plain reason when the
    file cannot be written; the temporary is removed in every case.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _LIVE.create(path.parent)
    except OutputError:
        raise
    except OSError as exc:
        raise _output_error(exc, path) from exc
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise _output_error(exc, path) from exc
        raise
    finally:
        _LIVE.forget(tmp)


def _output_error(exc: OSError, path: Path) -> OutputError:
    reason = exc.strerror or str(exc)
    hint = _HINTS.get(exc.errno or 0)
    text = f"cannot write {path}: {reason}" + (f" ({hint})" if hint else "")
    return OutputError(exc.errno or errno.EIO, text)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_writable(folder: Path) -> None:
    """Raise OutputError when `folder` cannot be created or written.

    Creates nothing: an existing folder gets a probe temporary, removed at
    once; a missing one is checked through its nearest existing parent.
    """
    folder = Path(folder)
    probe = folder
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise OutputError(errno.ENOTDIR, f"cannot write in {folder}: {probe} is not a folder")
    if probe != folder:
        if not os.access(probe, os.W_OK | os.X_OK):
            raise OutputError(errno.EACCES, f"cannot create {folder}: no permission in {probe}")
        return
    try:
        fd, tmp = _LIVE.create(folder)
    except OutputError:
        raise
    except OSError as exc:
        raise _output_error(exc, folder / (TEMP_PREFIX + "probe")) from exc
    os.close(fd)
    os.unlink(tmp)
    _LIVE.forget(tmp)


def clean_temporaries(folder: Path) -> None:
    """Remove temporary files an interrupted run left in `folder`."""
    if folder.is_dir():
        for entry in folder.glob(TEMP_PREFIX + "*"):
            try:
                entry.unlink()
            except OSError:
                pass


def safe_stem(name: str) -> str:
    """A file-name stem with no path separators or control characters.

    Names are NFC-normalised (macOS writes decomposed letters), so `ø` typed
    either way gives one output name.
    """
    name = unicodedata.normalize("NFC", name)
    stem = _UNSAFE.sub("_", name).strip("._") or "document"
    stem = stem[:150]
    if stem.split(".")[0].lower() in _RESERVED:
        stem = "_" + stem
    return stem


def output_stems(paths: Iterable[Path]) -> dict[Path, str]:
    """A distinct, stable output stem for every input path.

    Inputs sharing a stem (`a/x.txt`, `b/x.txt`, or `x.txt` and `x.docx`) get
    a short digest of their path appended, so neither overwrites the other;
    the digest depends only on the path, so a re-run maps each input to the
    same outputs.
    """
    paths = list(paths)
    stems = {p: safe_stem(p.stem) for p in paths}
    counts: dict[str, int] = {}
    for stem in stems.values():
        counts[stem.lower()] = counts.get(stem.lower(), 0) + 1
    taken = {s.lower() for s in stems.values()}
    for path, stem in stems.items():
        if counts[stem.lower()] > 1:
            digest = hashlib.sha1(str(path.resolve()).encode("utf-8")).hexdigest()
            size = 8
            while f"{stem}-{digest[:size]}".lower() in taken and size < len(digest):
                size += 4
            stems[path] = f"{stem}-{digest[:size]}"
            taken.add(stems[path].lower())
    return stems
