"""ODT articles: headings, paragraphs and tables in order; hostile containers refused (issue 16).

The ODTs are written by odfpy (a development dependency), not by the lxml
code that reads them; LibreOffice checks one where it is installed.
"""

from __future__ import annotations

import zipfile

import pytest

from bitext.limits import LimitExceeded, Limits
from bitext.readers import ReadError, read_document

from .article_inputs import SEEDS, seed_document, sentences, write_odt, write_zip_bomb
from .capabilities import needs_writer, soffice

CONTENT_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "{doctype}"
    '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:text>{body}</office:text></office:body></office:document-content>"
)


def odt_from_content(path, content: str | bytes, mimetype: bytes = b"") -> None:
    """A minimal ODT around a content.xml (mimetype first and stored, as ODF asks)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"),
            mimetype or b"application/vnd.oasis.opendocument.text",
            compress_type=zipfile.ZIP_STORED,
        )
        archive.writestr("content.xml", content)


@pytest.fixture(scope="module", params=SEEDS, ids=lambda p: p.stem)
def seed(request):
    return seed_document(request.param)


def test_odt_gives_the_seed_article(tmp_path, seed):
    document = read_document(write_odt(seed, tmp_path / "artikkel.odt"))
    assert sentences(document) == sentences(seed)
    assert [(b.kind, b.text) for b in document.blocks] == [(b.kind, b.text) for b in seed.blocks]
    assert document.input_kind == "odt"
    assert document.date is None  # ODT has no publication date; meta.xml's are the file's


@needs_writer
def test_libreoffice_opens_the_test_odt_as_the_same_text(tmp_path):
    """The test file is a real ODT: LibreOffice's own text export has every block."""
    seed = seed_document(SEEDS[0])
    path = write_odt(seed, tmp_path / "artikkel.odt")
    soffice(
        ["--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(tmp_path), str(path)], tmp_path
    )
    text = (tmp_path / "artikkel.txt").read_text(encoding="utf-8-sig")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines == [b.text for b in seed.blocks]


def test_spaces_tabs_breaks_spans_and_what_is_left_out(tmp_path):
    body = (
        '<text:h text:outline-level="1">Tittel</text:h>'
        '<text:p>Ett<text:s text:c="3"/>to<text:tab/>tre<text:line-break/>fire '
        '<text:span text:style-name="T1">fem</text:span> '
        '<text:a xlink:href="https://example.org" xmlns:xlink="http://www.w3.org/1999/xlink">'
        "seks</text:a>.<text:note><text:note-citation>1</text:note-citation><text:note-body>"
        "<text:p>Fotnote</text:p></text:note-body></text:note></text:p>"
        "<office:annotation><text:p>En kommentar</text:p></office:annotation>"
        "<text:tracked-changes><text:changed-region><text:deletion><text:p>Slettet tekst</text:p>"
        "</text:deletion></text:changed-region></text:tracked-changes>"
        "<text:list><text:list-item><text:p>Punkt en</text:p></text:list-item></text:list>"
        '<text:h text:outline-level="3">Mellomtittel</text:h>'
        "<text:section><text:p>– Et sitat i en seksjon.</text:p></text:section>"
    )
    path = tmp_path / "små.odt"
    odt_from_content(path, CONTENT_HEAD.format(doctype="", body=body))
    document = read_document(path)
    assert [(b.kind.value, b.text) for b in document.blocks] == [
        ("headline", "Tittel"),
        ("paragraph", "Ett to tre fire fem seks."),
        ("paragraph", "Punkt en"),
        ("subheading", "Mellomtittel"),
        ("quote", "– Et sitat i en seksjon."),
    ]


def test_billion_laughs_is_refused_not_expanded(tmp_path):
    entities = '<!ENTITY a "ha">' + "".join(
        f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(9)
    )
    doctype = f"<!DOCTYPE office:document-content [{entities}]>"
    path = tmp_path / "latter.odt"
    odt_from_content(path, CONTENT_HEAD.format(doctype=doctype, body="<text:p>&j;</text:p>"))
    with pytest.raises(ReadError, match=r"latter\.odt: content\.xml declares entities"):
        read_document(path)


def test_external_entity_is_refused_not_resolved(tmp_path):
    secret = tmp_path / "hemmelig.txt"
    secret.write_text("HEMMELIG INNHOLD")
    doctype = f'<!DOCTYPE office:document-content [<!ENTITY x SYSTEM "file://{secret}">]>'
    path = tmp_path / "ekstern.odt"
    odt_from_content(path, CONTENT_HEAD.format(doctype=doctype, body="<text:p>&x;</text:p>"))
    with pytest.raises(ReadError, match="declares entities") as info:
        read_document(path)
    assert "HEMMELIG" not in str(info.value)


def test_zip_bomb_renamed_odt_is_refused_by_the_limits(tmp_path):
    """100 MB of one repeated paragraph packs into a few hundred KB."""
    path = write_zip_bomb(tmp_path / "bombe.odt", unpacked=100_000_000)
    assert path.stat().st_size < 2_000_000
    with pytest.raises(LimitExceeded, match=r"bombe\.odt: .*content\.xml") as info:
        read_document(path)
    assert "--max-" in str(info.value)


def test_member_limit_is_the_user_s_to_raise(tmp_path, seed):
    path = write_odt(seed, tmp_path / "artikkel.odt")
    with pytest.raises(LimitExceeded, match="--max-member-mb"):
        read_document(path, limits=Limits(max_member_bytes=1000))


def test_encrypted_odt_fails_alone_saying_so(tmp_path, seed):
    source = write_odt(seed, tmp_path / "kilde.odt")
    path = tmp_path / "låst.odt"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as archive:
        for info in original.infolist():
            data = original.read(info)
            if info.filename == "META-INF/manifest.xml":
                data = data.replace(
                    b'manifest:full-path="content.xml"',
                    b'manifest:full-path="content.xml"><manifest:encryption-data/></x',
                    1,
                )
            elif info.filename == "content.xml":
                data = bytes(b ^ 0x5A for b in data)  # what a cipher makes of it
            archive.writestr(info, data)
    with pytest.raises(ReadError, match=r"låst\.odt: encrypted ODT"):
        read_document(path)


def test_spreadsheet_named_odt_is_refused_clearly(tmp_path):
    path = tmp_path / "tall.odt"
    odt_from_content(
        path,
        CONTENT_HEAD.format(doctype="", body=""),
        b"application/vnd.oasis.opendocument.spreadsheet",
    )
    with pytest.raises(ReadError, match=r"tall\.odt: named \.odt but is an OpenDocument file"):
        read_document(path)


@pytest.mark.parametrize("data", [b"PK\x03\x04 not a zip at all", b"plain text", b""])
def test_damaged_odt_fails_alone(tmp_path, data):
    path = tmp_path / "skadet.odt"
    path.write_bytes(data)
    with pytest.raises(ReadError, match=r"skadet\.odt: not a readable ODT file"):
        read_document(path)


def test_docx_named_odt_is_read_as_docx(tmp_path):
    from docx import Document as Docx

    path = tmp_path / "feil.odt"
    docx = Docx()
    docx.add_heading("Budsjettet er lagt fram", level=1)
    docx.add_paragraph("Regjeringen la fram budsjettet i dag.")
    docx.save(path)
    document = read_document(path)
    assert document.input_kind == "docx"
    assert [b.text for b in document.blocks] == [
        "Budsjettet er lagt fram",
        "Regjeringen la fram budsjettet i dag.",
    ]
    assert "named .odt but is DOCX; read as DOCX" in document.warnings[0]
