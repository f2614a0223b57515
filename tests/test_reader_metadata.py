"""Source metadata of saved news pages, through to the exports (issue 26).

Three small pages in the shapes of three Norwegian outlets (the text is our
own, no article is copied): an NRK-like page that names its authors in
`<meta name=author>` and its section in `article:section`; an
Aftenposten-like page that says everything in JSON-LD, has only `og:url`,
and keeps its byline as a paragraph of the article; a VG-like page whose
byline paragraph is the only place the author is named. One real
`bitext translate` run with the copy model exports them, and the DOCX title
block, the XLIFF and TMX headers and the JSONL rows must show the byline,
the outlet, the date, the section and the URL, and no row may hold the byline.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from bitext.readers.html import parse_page

BODY = """
<p>Brua over elva i sentrum blir stengt for all trafikk fra mandag, opplyser kommunen.
Arbeidet med nye fundamenter skal ta tre uker.</p>
<p>Bilister må kjøre omvei gjennom industriområdet, og bussene får en midlertidig
holdeplass ved skolen i hele perioden.</p>
<h2>Gående får egen gangbru</h2>
<p>For gående og syklister bygger entreprenøren en midlertidig gangbru like nedenfor
den gamle brua, slik at skoleveien blir kortere.</p>
<p>– Vi vet at dette blir krevende for mange, men arbeidet må gjøres nå, sier
prosjektlederen i kommunen.</p>
"""

NRK = f"""<!DOCTYPE html>
<html lang="nb"><head><meta charset="utf-8">
<title>Kommunen stenger brua i tre uker – NRK Vestland</title>
<meta property="og:title" content="Kommunen stenger brua i tre uker">
<meta property="og:site_name" content="NRK">
<meta property="og:url" content="https://www.nrk.no/vestland/brua-stenges-1.111">
<meta property="article:section" content="Vestland">
<meta property="article:published_time" content="2026-03-14T08:15:00+01:00">
<meta name="author" content="Kari Nordmann, Ola Hansen">
<link rel="canonical" href="https://www.nrk.no/vestland/brua-stenges-1.111">
</head><body>
<nav><a href="/">Forsiden</a> <a href="/vestland/">Vestland</a></nav>
<main><article>
<h1>Kommunen stenger brua i tre uker</h1>
<div class="byline"><span>Kari Nordmann</span> <span>Ola Hansen</span>
<time datetime="2026-03-14T08:15:00+01:00">14. mars 2026</time></div>
{BODY}
</article></main>
<footer><p>NRK – Norsk rikskringkasting AS</p></footer>
</body></html>"""

AFTENPOSTEN = f"""<!DOCTYPE html>
<html lang="no"><head><meta charset="utf-8">
<title>Brua i sentrum stenges fra mandag</title>
<meta property="og:url" content="https://www.aftenposten.no/oslo/i/Ab12Cd/brua-stenges">
<script type="application/ld+json">
{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "Brua i sentrum stenges fra mandag",
 "datePublished": "2026-02-02T06:00:00+01:00",
 "articleSection": "Oslo",
 "author": [{{"@type": "Person", "name": "Ingrid Berg"}},
            {{"@type": "Person", "name": "Jonas Lie"}}],
 "publisher": {{"@type": "Organization", "name": "Aftenposten"}}}}
</script>
</head><body>
<header><a href="/">Aftenposten</a> <a href="/oslo">Oslo</a></header>
<article>
<h1>Brua i sentrum stenges fra mandag</h1>
<p>Av Ingrid Berg og Jonas Lie</p>
{BODY}
</article>
</body></html>"""

VG = f"""<!DOCTYPE html>
<html lang="nb-NO"><head><meta charset="utf-8">
<title>Stengt bru skaper kaos i sentrum - VG</title>
<meta property="og:site_name" content="VG">
<meta property="article:section" content="Nyheter">
<link rel="canonical" href="https://www.vg.no/nyheter/i/Xy34/stengt-bru">
</head><body>
<div class="menu"><a href="/">Forsiden</a> <a href="/nyheter">Nyheter</a></div>
<article>
<h1>Stengt bru skaper kaos i sentrum</h1>
<p>Tekst: Per Olsen | Foto: Anne Moe</p>
<time datetime="2026-01-20T12:30:00+01:00">20.01.26 12:30</time>
{BODY}
</article>
</body></html>"""

PAGES = {
    "nrk": (
        NRK,
        {
            "author": "Kari Nordmann; Ola Hansen",
            "outlet": "NRK",
            "date": "2026-03-14",
            "section": "Vestland",
            "url": "https://www.nrk.no/vestland/brua-stenges-1.111",
        },
        "Kari Nordmann",
    ),
    "aftenposten": (
        AFTENPOSTEN,
        {
            "author": "Ingrid Berg; Jonas Lie",
            "outlet": "Aftenposten",
            "date": "2026-02-02",
            "section": "Oslo",
            "url": "https://www.aftenposten.no/oslo/i/Ab12Cd/brua-stenges",
        },
        "Av Ingrid Berg",
    ),
    "vg": (
        VG,
        {
            "author": "Per Olsen",
            "outlet": "VG",
            "date": "2026-01-20",
            "section": "Nyheter",
            "url": "https://www.vg.no/nyheter/i/Xy34/stengt-bru",
        },
        "Per Olsen",
    ),
}
FIELDS = ("author", "outlet", "date", "section", "url")


@pytest.mark.parametrize("name", PAGES)
def test_reader_gives_the_page_metadata(name):
    html, expected, byline = PAGES[name]
    document = parse_page(html.encode(), name)
    assert {field: getattr(document, field) for field in FIELDS} == expected
    assert document.declared_language and document.declared_language.startswith(("nb", "no"))
    assert document.headline is not None
    # A byline is metadata, never a block of text to translate.
    assert not any(byline in block.text for block in document.blocks)
    assert document.blocks[1].text.startswith("Brua over elva")


def test_a_sentence_that_starts_like_a_byline_stays_text():
    page = VG.replace("<p>Tekst: Per Olsen | Foto: Anne Moe</p>", "<p>Av disse ble tre skadet.</p>")
    document = parse_page(page.encode(), "vg")
    assert any(block.text == "Av disse ble tre skadet." for block in document.blocks)
    assert document.author is None


@pytest.fixture(scope="module")
def exports(tmp_path_factory, installed_models):
    root = tmp_path_factory.mktemp("outlets")
    src = root / "sider"
    src.mkdir()
    for name, (html, _, _) in PAGES.items():
        (src / f"{name}.html").write_text(html, encoding="utf-8")
    out = root / "ut"
    command = [sys.executable, "-m", "bitext", "translate", str(src), "-o", str(out)]
    command += ["--models-dir", str(installed_models), "--threads", "1", "--from", "nb"]
    command += ["--no-default-glossary", "--format", "docx,xliff,tmx,jsonl"]
    proc = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return out


def _export(out: Path, name: str, suffix: str) -> Path:
    found = sorted(out.rglob(f"{name}*{suffix}"))
    assert found, f"no {suffix} export of {name} in {sorted(out.rglob('*'))}"
    return found[0]


def _docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        root = etree.fromstring(archive.read("word/document.xml"))
    ns = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    return "\n".join("".join(t.text or "" for t in p.iter(f"{ns}t")) for p in root.iter(f"{ns}p"))


@pytest.mark.parametrize("name", PAGES)
def test_exports_show_the_metadata(exports, name):
    _, expected, byline = PAGES[name]
    docx = _docx_text(_export(exports, name, ".docx"))
    for label, field in (("Author", "author"), ("Outlet", "outlet"), ("Date", "date"),
                         ("Section", "section"), ("URL", "url")):  # fmt: skip
        assert f"{label}: {expected[field]}" in docx.splitlines()

    xliff = etree.parse(str(_export(exports, name, ".xlf")))
    notes = [n.text for n in xliff.iter("{urn:oasis:names:tc:xliff:document:1.2}note")]
    for label, field in (("Author", "author"), ("Outlet", "outlet"), ("URL", "url")):
        assert f"{label}: {expected[field]}" in notes

    tmx = etree.parse(str(_export(exports, name, ".tmx")))
    props = {p.get("type"): p.text for p in tmx.find("header").iter("prop")}
    assert props["x-document"] == name
    assert {f: props[f"x-{f}"] for f in FIELDS} == expected

    lines = _export(exports, name, ".jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert records and all(r["meta"] == records[0]["meta"] for r in records)
    assert {f: records[0]["meta"][f] for f in FIELDS} == expected
    # Nowhere translated: the byline is not a row.
    assert not any(byline in r["source"] for r in records)


def test_markdown_front_matter_gives_the_metadata():
    from bitext.readers.markdown import parse_markdown

    text = (
        '---\ntitle: "Brua stenges"\nauthor: Kari Nordmann\nsite: NRK\ncategory: Vestland\n'
        "url: https://www.nrk.no/vestland/brua-stenges-1.111\nlang: nb\ndate: 2026-03-14\n---\n"
        "# Brua stenges\n\nBrua over elva blir stengt for all trafikk fra mandag.\n"
    )
    document = parse_markdown(text, "md")
    assert {f: getattr(document, f) for f in FIELDS} == {
        "author": "Kari Nordmann",
        "outlet": "NRK",
        "date": "2026-03-14",
        "section": "Vestland",
        "url": "https://www.nrk.no/vestland/brua-stenges-1.111",
    }
    assert document.declared_language == "nb"
    assert [b.text for b in document.blocks][0] == "Brua stenges"


def test_docx_core_properties_give_the_metadata(tmp_path):
    import docx

    from bitext.readers import read_document

    made = docx.Document()
    made.add_heading("Brua stenges", level=1)
    made.add_paragraph("Brua over elva blir stengt for all trafikk fra mandag.")
    made.core_properties.author = "Kari Nordmann"
    made.core_properties.category = "Vestland"
    made.core_properties.language = "nb-NO"
    made.save(tmp_path / "brua.docx")
    document = read_document(tmp_path / "brua.docx")
    assert (document.author, document.section, document.declared_language) == (
        "Kari Nordmann",
        "Vestland",
        "nb-NO",
    )
    # python-docx's placeholder author is no author.
    plain = docx.Document()
    plain.add_paragraph("Brua over elva blir stengt for all trafikk fra mandag.")
    plain.save(tmp_path / "plain.docx")
    assert read_document(tmp_path / "plain.docx").author is None


def test_odt_meta_gives_the_metadata(tmp_path):
    from odf.dc import Creator, Language, Title
    from odf.opendocument import OpenDocumentText
    from odf.text import P

    from bitext.readers import read_document

    odt = OpenDocumentText()
    odt.meta.addElement(Title(text="Brua stenges"))
    odt.meta.addElement(Creator(text="Kari Nordmann"))
    odt.meta.addElement(Language(text="nb-NO"))
    odt.text.addElement(P(text="Brua over elva blir stengt for all trafikk fra mandag."))
    odt.save(str(tmp_path / "brua.odt"))
    document = read_document(tmp_path / "brua.odt")
    assert (document.title, document.author, document.declared_language) == (
        "Brua stenges",
        "Kari Nordmann",
        "nb-NO",
    )
