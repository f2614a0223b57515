"""Bounds on the work one input may cause: bytes read, bytes unpacked, characters kept.

Every reader goes through these functions, so a zip bomb, a corpus dump or a
300 MB log file dropped among the articles fails alone, early and with a
reason that names the limit and the option that raises it, instead of
filling memory or stalling the batch. Sizes are checked before the work
(`os.stat`, a zip's central directory) and enforced again while it is done,
since a file can grow and zip headers can lie.

`ReadError` lives here, not in `bitext.readers`, so that both this module
and the readers can raise it without importing each other.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

#: Sizes are given and shown in decimal megabytes, as file managers show them.
MB = 1_000_000

#: Bytes read or inflated at a time: the most held beyond what is kept.
CHUNK = 1 << 20

#: Members smaller than this are not judged by their compression ratio: a
#: short run of repeated markup compresses far better than 100:1 and is
#: harmless. Larger ones (and the archive as a whole) are.
RATIO_FLOOR = 1 * MB


class ReadError(Exception):
    """A file that cannot be read as an article; the message says why."""


class LimitExceeded(ReadError):
    """An input over one of the `Limits`; the message names the limit and its option."""


@dataclass(frozen=True)
class Limits:
    """How much one input may hold. Defaults are far above any real article.

    A long news article is about 50 KB of text; a .docx of one with photos a
    few MB. Each limit has a command-line option (see `OPTIONS`).
    """

    #: Bytes of one input file as stored (before unpacking).
    max_file_bytes: int = 64 * MB
    #: Uncompressed bytes of one member of an archive (.docx, .odt, .epub).
    max_member_bytes: int = 64 * MB
    #: Uncompressed bytes of all members of one archive together.
    max_unpacked_bytes: int = 256 * MB
    #: Uncompressed to compressed size of a member over 1 MB, and of a whole archive.
    max_compression_ratio: float = 100.0
    #: Characters of text in one article (about 80 long articles).
    max_article_chars: int = 4_000_000
    #: Characters in one block. A real paragraph has under 5,000, but plain
    #: text without blank lines is one block, and a 1 MB paragraph is kept
    #: working (tests/test_robustness.py).
    max_block_chars: int = 2_000_000


#: Limits field -> the option that raises it, for messages and the CLI.
OPTIONS = {
    "max_file_bytes": "--max-file-mb",
    "max_member_bytes": "--max-member-mb",
    "max_unpacked_bytes": "--max-unpacked-mb",
    "max_compression_ratio": "--max-compression-ratio",
    "max_article_chars": "--max-article-chars",
    "max_block_chars": "--max-block-chars",
}


def _mb(size: float) -> str:
    return f"{size / MB:.1f} MB" if size < 10 * MB else f"{size / MB:.0f} MB"


def _exceeded(path: str | os.PathLike[str], what: str, size: str, limit: str, field: str):
    return LimitExceeded(
        f"{path}: {what} is {size}, over the limit of {limit} (raise it with {OPTIONS[field]})"
    )


def check_file_size(path: Path, size: int, limits: Limits) -> None:
    if size > limits.max_file_bytes:
        raise _exceeded(
            path,
            "the file",
            _mb(size),
            f"{_mb(limits.max_file_bytes)} for one file",
            "max_file_bytes",
        )


def read_file(path: str | os.PathLike[str], limits: Limits) -> bytes:
    """The bytes of a regular file, refused from its size before it is read.

    A FIFO or device (which could block or never end) is refused too. The
    read is bounded as well, so a file that grows while it is read cannot
    slip past the limit.
    """
    path = Path(path)
    with open(path, "rb", opener=_open_no_block) as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ReadError(f"{path}: not a regular file (a pipe, socket or device)")
        check_file_size(path, info.st_size, limits)
        data = handle.read(limits.max_file_bytes + 1)
    check_file_size(path, len(data), limits)
    return data


def _open_no_block(name: str, flags: int) -> int:
    """Open without waiting for a writer (a FIFO would block `open` forever)."""
    fd = os.open(name, flags | getattr(os, "O_NONBLOCK", 0))
    if hasattr(os, "set_blocking"):
        os.set_blocking(fd, True)
    return fd


#: Members of one archive. A .docx has a few dozen, an EPUB a few hundred;
#: each costs memory when the central directory is read, so a file of a
#: million empty members is refused before it is.
MAX_MEMBERS = 10_000
_END_OF_DIRECTORY = b"PK\x05\x06"
_ZIP64_END_OF_DIRECTORY = b"PK\x06\x06"


def open_archive(data: bytes, path: str | os.PathLike[str], limits: Limits) -> zipfile.ZipFile:
    """A zip archive held in `data`, once its members are judged by `check_archive`.

    The member count is read from the end-of-directory record before
    `zipfile` builds an object per member. Raises zipfile.BadZipFile for
    data that is not a zip archive.
    """
    count = _member_count(data)
    if count > MAX_MEMBERS:
        raise ReadError(
            f"{path}: the archive has {count:,} members, over the {MAX_MEMBERS:,} "
            "any document needs; refused as a zip bomb"
        )
    zf = zipfile.ZipFile(io.BytesIO(data))
    try:
        check_archive(zf, path, limits)
    except BaseException:
        zf.close()
        raise
    return zf


def _member_count(data: bytes) -> int:
    """Members an archive declares (0 when no end record is found: zipfile says why)."""
    end = data.rfind(_END_OF_DIRECTORY, max(0, len(data) - 22 - 0xFFFF))
    if end < 0 or end + 22 > len(data):
        return 0
    count = struct.unpack_from("<H", data, end + 10)[0]
    if count == 0xFFFF:  # Zip64: the count is in the Zip64 end record
        start = data.rfind(_ZIP64_END_OF_DIRECTORY, max(0, end - 0xFFFF), end)
        if start >= 0 and start + 40 <= len(data):
            count = struct.unpack_from("<Q", data, start + 32)[0]
    return count


def check_archive(zf: zipfile.ZipFile, path: str | os.PathLike[str], limits: Limits) -> None:
    """Judge every member of an archive from its central directory, before inflating.

    Each member's uncompressed size and ratio, and the sum of all members,
    must be within the limits. `read_zip_member` enforces the same while
    inflating, since the sizes written in the headers can be false.
    """
    total = packed = 0
    for info in zf.infolist():
        _check_member(path, info.filename, info.file_size, info.compress_size, limits)
        total += info.file_size
        packed += info.compress_size
    if total > limits.max_unpacked_bytes:
        raise _exceeded(
            path,
            "the unpacked size of all members",
            _mb(total),
            f"{_mb(limits.max_unpacked_bytes)} for all members together",
            "max_unpacked_bytes",
        )
    _check_ratio(path, "the archive", total, packed, limits)


def _check_member(path, name: str, size: int, packed: int, limits: Limits) -> None:
    if size > limits.max_member_bytes:
        raise _exceeded(
            path,
            f"the unpacked size of member {name}",
            _mb(size),
            f"{_mb(limits.max_member_bytes)} for one archive member",
            "max_member_bytes",
        )
    _check_ratio(path, f"member {name}", size, packed, limits)


def _check_ratio(path, what: str, size: int, packed: int, limits: Limits) -> None:
    if size > RATIO_FLOOR and size > limits.max_compression_ratio * max(packed, 1):
        raise _exceeded(
            path,
            f"the compression ratio of {what}",
            f"{size / max(packed, 1):.0f}:1",
            f"{limits.max_compression_ratio:g}:1",
            "max_compression_ratio",
        )


def read_zip_member(zf: zipfile.ZipFile, name: str, limits: Limits) -> bytes:
    """One member's bytes, inflated a chunk at a time within the limits.

    The central directory's sizes are checked first; then the inflated
    bytes are counted as they come, so a member whose header understates
    its size stops at the limit (or at its declared size, with a CRC error)
    instead of filling memory.
    """
    chunks: list[bytes] = []
    _inflate(zf, zf.getinfo(name), limits, chunks.append)
    return b"".join(chunks)


def check_members(zf: zipfile.ZipFile, path: str | os.PathLike[str], limits: Limits) -> None:
    """`check_archive`, then inflate every member as `read_zip_member` would, keeping nothing.

    For a library (python-docx) that reads the archive itself: once this
    passes, every member is known to unpack to its declared size, within
    the limits, with a good CRC, and the library cannot be made to inflate
    more than that (zipfile stops at the declared size).
    """
    check_archive(zf, path, limits)
    for info in zf.infolist():
        if not info.is_dir():
            _inflate(zf, info, limits, lambda chunk: None, path)


def _inflate(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, sink, path=None) -> None:
    path = path or zf.filename or "archive"
    name = info.filename
    _check_member(path, name, info.file_size, info.compress_size, limits)
    size = 0
    try:
        with zf.open(info) as member:
            while chunk := member.read(CHUNK):
                size += len(chunk)
                _check_member(path, name, size, info.compress_size, limits)
                sink(chunk)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
        raise ReadError(
            f"{path}: member {name} is damaged or its header gives a false size ({exc})"
        ) from exc
    except (NotImplementedError, RuntimeError) as exc:  # unknown method, encrypted
        raise ReadError(f"{path}: member {name} cannot be unpacked ({exc})") from exc
    if size != info.file_size:
        raise ReadError(
            f"{path}: member {name} unpacks to {size} bytes, not the {info.file_size} "
            "its header gives"
        )


def check_text(
    text: str, path: str | os.PathLike[str], limits: Limits, *, block: int | None = None
) -> None:
    """Refuse an article (or, with `block`, one of its blocks) over the character limits."""
    if block is None:
        if len(text) > limits.max_article_chars:
            raise _exceeded(
                path,
                "the text",
                f"{len(text):,} characters",
                f"{limits.max_article_chars:,} characters for one article",
                "max_article_chars",
            )
    elif len(text) > limits.max_block_chars:
        raise _exceeded(
            path,
            f"block {block}",
            f"{len(text):,} characters",
            f"{limits.max_block_chars:,} characters for one block",
            "max_block_chars",
        )
