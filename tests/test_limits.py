"""Bounded work per input (issue 14): limits on bytes read, bytes unpacked, characters kept.

The functions of `bitext.limits` on real files built here, then hostile
inputs beside a good article in real `bitext` processes: each fails alone,
quickly, with a small memory peak, and a stop signal ends a run within
seconds.
"""

from __future__ import annotations

import io
import os
import struct
import zipfile

import pytest

from bitext.limits import (
    LimitExceeded,
    Limits,
    ReadError,
    check_archive,
    check_text,
    read_file,
    read_zip_member,
)

MB = 1_000_000


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _lie_about_size(archive: bytes, name: str, size: int) -> bytes:
    """The archive with `name`'s uncompressed size in the central directory set to `size`."""
    data = bytearray(archive)
    entry = data.find(b"PK\x01\x02")
    while entry != -1:
        name_length = struct.unpack_from("<H", data, entry + 28)[0]
        if data[entry + 46 : entry + 46 + name_length] == name.encode():
            struct.pack_into("<I", data, entry + 24, size)
            return bytes(data)
        entry = data.find(b"PK\x01\x02", entry + 4)
    raise AssertionError(f"{name} not in the archive")


# --- bitext.limits on its own ------------------------------------------------------


def test_a_file_over_the_limit_is_refused_from_its_size(tmp_path):
    big = tmp_path / "big.txt"
    with open(big, "wb") as handle:  # sparse: 300 MB on paper, nothing on disk
        handle.truncate(300 * MB)
    with pytest.raises(LimitExceeded, match=r"300 MB, over the limit of 64 MB .*--max-file-mb"):
        read_file(big, Limits())
    assert read_file(big, Limits(max_file_bytes=400 * MB))[:4] == bytes(4)


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(ReadError, match="not a regular file"):
        read_file(fifo, Limits())


def test_archive_members_are_judged_from_the_central_directory(tmp_path):
    zf = zipfile.ZipFile(io.BytesIO(_zip({"a.xml": b"<a/>" * 1000, "b.xml": b"x" * 5 * MB})))
    check_archive(zf, "ok.zip", Limits(max_compression_ratio=10_000))
    with pytest.raises(LimitExceeded, match=r"ratio of member b.xml .*--max-compression-ratio"):
        check_archive(zf, "ok.zip", Limits())
    with pytest.raises(LimitExceeded, match=r"member b.xml unpacked .*--max-member-mb"):
        check_archive(zf, "ok.zip", Limits(max_member_bytes=MB, max_compression_ratio=10_000))
    with pytest.raises(LimitExceeded, match=r"unpacked archive .*--max-unpacked-mb"):
        check_archive(zf, "ok.zip", Limits(max_unpacked_bytes=2 * MB, max_compression_ratio=1e4))
    # Small members compress well and are never judged by their ratio.
    assert read_zip_member(zf, "a.xml", Limits()) == b"<a/>" * 1000


def test_a_member_whose_header_understates_its_size_stops_at_that_size():
    archive = _lie_about_size(_zip({"word/document.xml": b"x" * 10 * MB}), "word/document.xml", 999)
    zf = zipfile.ZipFile(io.BytesIO(archive))
    check_archive(zf, "liar.docx", Limits())  # the directory looks harmless
    with pytest.raises(ReadError, match="false size"):
        read_zip_member(zf, "word/document.xml", Limits())


def test_a_member_whose_header_overstates_its_size_is_refused():
    archive = _lie_about_size(_zip({"a.xml": b"<a/>" * 100}), "a.xml", 1000)
    zf = zipfile.ZipFile(io.BytesIO(archive))
    with pytest.raises(ReadError, match="not the 1000 its header gives"):
        read_zip_member(zf, "a.xml", Limits())


def test_character_limits_name_their_option():
    limits = Limits(max_article_chars=100, max_block_chars=10)
    check_text("x" * 100, "a.txt", limits)
    with pytest.raises(LimitExceeded, match=r"101 characters.*--max-article-chars"):
        check_text("x" * 101, "a.txt", limits)
    with pytest.raises(LimitExceeded, match=r"block 3 is 11 characters.*--max-block-chars"):
        check_text("x" * 11, "a.txt", limits, block=3)


def test_read_document_applies_the_character_limits(tmp_path):
    from bitext.readers import read_document

    path = tmp_path / "a.txt"
    path.write_text("Tittel\n\nEn kort setning.\n\n" + "Ord " * 50 + "\n", encoding="utf-8")
    assert len(read_document(path).blocks) == 3
    with pytest.raises(LimitExceeded, match="block 3 is 199 characters"):
        read_document(path, limits=Limits(max_block_chars=100))
    with pytest.raises(LimitExceeded, match="--max-article-chars"):
        read_document(path, limits=Limits(max_article_chars=100))


def test_every_reader_keeps_the_contract():
    import importlib

    from bitext.readers import _MODULES, ARTICLE_SUFFIXES

    assert ARTICLE_SUFFIXES == tuple(_MODULES)
    for suffix, name in _MODULES.items():
        reader = importlib.import_module(f"bitext.readers.{name}").READER
        assert suffix in reader.suffixes and reader.kind
        assert callable(reader.read)
