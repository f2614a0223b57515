"""Reading articles of every kind, finding them in folders, naming outputs (issue 7).

No model needed: these tests exercise `bitext.readers` and `bitext.outputs`
on real files written to a temporary folder.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest

from bitext.documents import BlockKind
from bitext.outputs import (
    TEMP_PREFIX,
    OutputError,
    atomic_write_bytes,
    check_writable,
    output_stems,
    safe_stem,
)
from bitext.readers import ReadError, find_articles, read_document

from .exported import exported

ARTICLE = (
    " date 2023-04 Putin og Xi i Moskva. Foto: NTB\n"
    "Kina og Russland styrker båndene\n"
    "\n"
    "Presidentene møttes i Kreml, bl.a. for å snakke om Ukraina. Det varte i ca. to timer.\n"
    "\n"
    "USA advarer\n"
    "\n"
    "– Vi følger nøye med, sa talspersonen.\n"
)
EXPECTED = [
    (BlockKind.CAPTION, "Putin og Xi i Moskva. Foto: NTB"),
    (BlockKind.HEADLINE, "Kina og Russland styrker båndene"),
    (
        BlockKind.PARAGRAPH,
        "Presidentene møttes i Kreml, bl.a. for å snakke om Ukraina. Det varte i ca. to timer.",
    ),
    (BlockKind.SUBHEADING, "USA advarer"),
    (BlockKind.QUOTE, "– Vi følger nøye med, sa talspersonen."),
]


def blocks(path: Path) -> list[tuple[BlockKind, str]]:
    return [(b.kind, b.text) for b in read_document(path).blocks]


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- encodings ------------------------------------------------------------


@pytest.mark.parametrize(
    "encoding, prefix",
    [
        ("utf-8", b""),
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-32-le", b"\xff\xfe\x00\x00"),
    ],
)
def test_unicode_encodings_with_and_without_bom(tmp_path, encoding, prefix):
    path = write(tmp_path, "a.txt", prefix + ARTICLE.encode(encoding))
    document = read_document(path)
    assert [(b.kind, b.text) for b in document.blocks] == EXPECTED
    assert document.date == "2023-04"
    assert document.warnings == []


def test_windows_1252_is_decoded_with_a_warning_naming_it(tmp_path):
    text = ARTICLE.replace("talspersonen", "talspersonen “i dag” – €")
    path = write(tmp_path, "a.txt", text.encode("cp1252"))
    document = read_document(path)
    assert document.blocks[-1].text == "– Vi følger nøye med, sa talspersonen “i dag” – €."
    assert document.warnings == [f"{path}: not valid UTF-8, decoded as Windows-1252"]


def test_bytes_undefined_in_windows_1252_fall_back_to_latin_1(tmp_path):
    path = write(tmp_path, "a.txt", "Blåbær og jordbær.".encode("latin-1") + b"\x81")
    document = read_document(path)
    assert document.blocks[0].text == "Blåbær og jordbær."
    assert "decoded as Latin-1" in document.warnings[0]


def test_utf8_bom_on_text_that_is_not_utf8(tmp_path):
    path = write(tmp_path, "a.txt", b"\xef\xbb\xbf" + "Blåbær.".encode("cp1252"))
    document = read_document(path)
    assert document.blocks[0].text == "Blåbær."
    assert "byte-order mark but is not valid UTF-8" in document.warnings[0]


# --- line endings and white space -------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
def test_crlf_and_lone_cr_read_like_lf(tmp_path, newline):
    path = write(tmp_path, "a.txt", ARTICLE.replace("\n", newline).encode("utf-8"))
    assert blocks(path) == EXPECTED


def test_tabs_nbsp_and_zero_width_spaces(tmp_path):
    text = (
        "Overskrift\u200b her\n"
        "\u00a0\u202f\t\n"  # a line of odd spaces still separates blocks
        "Første\tlinje\u00a0med\u00a0mellomrom, og\u200bord\u2060 uten\ufeff skille.\n"
        "\n"
        "Andre\u2028linje her, og så videre.\n"
    )
    path = write(tmp_path, "a.txt", text.encode("utf-8"))
    assert [b.text for b in read_document(path).blocks] == [
        "Overskrift her",
        "Første linje med mellomrom, ogord uten skille.",
        "Andre\nlinje her, og så videre.",
    ]


def test_decomposed_letters_are_composed(tmp_path):
    text = unicodedata.normalize("NFD", "Blåbærsyltetøy på skiva.")
    path = write(tmp_path, "a.txt", text.encode("utf-8"))
    assert read_document(path).blocks[0].text == "Blåbærsyltetøy på skiva."


@pytest.mark.parametrize("data", [b"", b"   \n\t\n\r\n", "\u00a0\u200b\n\ufeff".encode()])
def test_empty_and_whitespace_only_files_have_no_blocks(tmp_path, data):
    assert read_document(write(tmp_path, "a.txt", data)).blocks == []


def test_a_stray_control_character_is_dropped_not_fatal(tmp_path):
    path = write(tmp_path, "a.txt", b"Dette er\x07 en setning.\x1b\n")
    assert blocks(path) == [(BlockKind.PARAGRAPH, "Dette er en setning.")]


# --- refused inputs ---------------------------------------------------------


def test_nul_bytes_are_refused_as_binary(tmp_path):
    path = write(tmp_path, "a.txt", b"Tekst\x00med NUL.")
    with pytest.raises(ReadError, match=r"binary file \(contains NUL bytes\)") as info:
        read_document(path)
    assert str(path) in str(info.value)


def test_binary_without_nul_is_refused(tmp_path):
    path = write(tmp_path, "a.txt", bytes(range(1, 32)) * 20)
    with pytest.raises(ReadError, match="binary file"):
        read_document(path)


def test_utf16_text_holding_nul_characters_is_refused(tmp_path):
    path = write(tmp_path, "a.txt", b"\xff\xfe" + "Tekst\x00".encode("utf-16-le"))
    with pytest.raises(ReadError, match="NUL characters"):
        read_document(path)


def test_dangling_link_and_link_loop_are_read_errors(tmp_path):
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    (tmp_path / "loop.txt").symlink_to(tmp_path / "loop.txt")
    with pytest.raises(ReadError, match=r"dangling.txt: cannot read \(No such file"):
        read_document(tmp_path / "dangling.txt")
    with pytest.raises(ReadError, match=r"loop.txt: cannot read \(Too many levels"):
        read_document(tmp_path / "loop.txt")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file(tmp_path):
    path = write(tmp_path, "a.txt", b"Tekst.")
    path.chmod(0)
    with pytest.raises(ReadError, match=r"cannot read \(Permission denied\)"):
        read_document(path)


# --- .docx inputs -------------------------------------------------------------


def _docx(path: Path) -> Path:
    from docx import Document

    doc = Document()
    doc.add_heading("Kina og Russland styrker båndene", level=1)
    doc.add_paragraph("Presidentene møttes i Kreml. Det varte i ca. to timer.")
    doc.add_heading("Bakgrunn.", level=2)  # a heading even with a final stop
    doc.add_paragraph("– Vi følger nøye med, sa talspersonen.")
    doc.add_paragraph("")
    table = doc.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Fakta om møtet"
    table.cell(0, 1).text = "Det var det fjerde møtet."
    doc.save(path)
    return path


def test_docx_paragraphs_headings_and_tables(tmp_path):
    document = read_document(_docx(tmp_path / "artikkel.docx"))
    assert [(b.kind, b.text) for b in document.blocks] == [
        (BlockKind.HEADLINE, "Kina og Russland styrker båndene"),
        (BlockKind.PARAGRAPH, "Presidentene møttes i Kreml. Det varte i ca. to timer."),
        (BlockKind.SUBHEADING, "Bakgrunn."),
        (BlockKind.QUOTE, "– Vi følger nøye med, sa talspersonen."),
        (BlockKind.SUBHEADING, "Fakta om møtet"),
        (BlockKind.PARAGRAPH, "Det var det fjerde møtet."),
    ]
    assert document.id == "artikkel"


@pytest.mark.parametrize(
    "data", [b"plain text, not a zip", b"PK\x03\x04 broken zip", b"", "æøå".encode()]
)
def test_damaged_docx_is_a_read_error(tmp_path, data):
    path = write(tmp_path, "a.docx", data)
    with pytest.raises(ReadError, match="not a readable .docx file"):
        read_document(path)


def test_docx_without_document_part(tmp_path):
    import zipfile

    path = tmp_path / "a.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    with pytest.raises(ReadError, match="not a readable .docx file"):
        read_document(path)


# --- finding articles ---------------------------------------------------------


def test_folders_hidden_files_lock_files_and_names(tmp_path):
    root = tmp_path / "in"
    (root / "sub folder").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for name in [
        "a.txt",
        "Navn med æøå og mellomrom.txt",
        "sub folder/b.TXT",
        "sub folder/c.docx",
        ".skjult.txt",
        ".hidden/d.txt",
        "~$c.docx",
        "photo.jpg",
    ]:
        (root / name).write_bytes(b"x")
    skipped = []
    found = [p.relative_to(root).as_posix() for p in find_articles([root], skipped=skipped)]
    assert found == [
        "Navn med æøå og mellomrom.txt",
        "a.txt",
        "sub folder/b.TXT",
        "sub folder/c.docx",
    ]
    # A file no reader takes is reported with its kind; hidden and lock files are not.
    assert [(p.name, r.split(";")[0]) for p, r in skipped] == [
        ("photo.jpg", "not an article format: a .jpg file (image/jpeg)")
    ]
    # A hidden file named on its own is read.
    assert list(find_articles([root / ".skjult.txt"])) == [root / ".skjult.txt"]


def test_symlink_loops_end_and_each_file_is_found_once(tmp_path):
    root = tmp_path / "in"
    (root / "a").mkdir(parents=True)
    (root / "a" / "x.txt").write_bytes(b"x")
    (root / "a" / "back").symlink_to(root)  # a loop
    (root / "a" / "self").symlink_to(root / "a")  # another
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "y.txt").write_bytes(b"y")
    (root / "linked").symlink_to(elsewhere)  # a linked folder is followed
    found = list(find_articles([root, root / "a" / "x.txt"]))
    assert sorted(p.resolve().name for p in found) == ["x.txt", "y.txt"]


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        list(find_articles([tmp_path / "nope"]))


# --- output names and writes ----------------------------------------------------


def test_safe_stems():
    assert safe_stem("Navn med æøå og mellomrom") == "Navn_med_æøå_og_mellomrom"
    assert safe_stem(unicodedata.normalize("NFD", "blåbær")) == "blåbær"
    assert safe_stem("../../etc/passwd") == "etc_passwd"
    assert safe_stem("a/b\\c:d*e?\x00") == "a_b_c_d_e"
    assert safe_stem("...") == "document"
    assert safe_stem("CON") == "_CON"
    assert len(safe_stem("x" * 1000)) == 150


def test_output_stems_are_distinct_and_stable(tmp_path):
    paths = [
        tmp_path / "a" / "x.txt",
        tmp_path / "b" / "x.txt",
        tmp_path / "X.docx",
        tmp_path / "y.txt",
    ]
    stems = output_stems(paths)
    assert stems[paths[3]] == "y"
    assert len({s.lower() for s in stems.values()}) == 4
    assert all(s.lower().startswith("x-") for s in list(stems.values())[:3])
    assert output_stems(reversed(paths)) == stems


def test_atomic_write_replaces_whole_and_leaves_no_temporaries(tmp_path):
    target = tmp_path / "out" / "a.tsv"
    atomic_write_bytes(target, b"first")
    atomic_write_bytes(target, b"second")
    assert target.read_bytes() == b"second"
    (tmp_path / "out" / "dir.tsv").mkdir()
    with pytest.raises(OutputError, match="cannot write .*dir.tsv") as info:
        atomic_write_bytes(tmp_path / "out" / "dir.tsv", b"data")
    assert not info.value.fatal
    assert sorted(p.name for p in exported(tmp_path / "out")) == ["a.tsv", "dir.tsv"]
    assert not list((tmp_path / "out").glob(TEMP_PREFIX + "*"))


def test_check_writable(tmp_path):
    check_writable(tmp_path / "new" / "deeper")  # creatable: fine, and nothing created
    assert not (tmp_path / "new").exists()
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OutputError, match="is not a folder"):
        check_writable(tmp_path / "file" / "out")
    check_writable(tmp_path)
    assert list(tmp_path.iterdir()) == [tmp_path / "file"]
