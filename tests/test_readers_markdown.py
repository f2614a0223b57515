"""Markdown articles: structure from the markup, then the markup removed (issue 16)."""

from __future__ import annotations

import pytest

from bitext.readers import ReadError, read_document
from bitext.readers.markdown import parse_markdown, split_front_matter

from .article_inputs import SEEDS, full_date, markdown, seed_document, sentences


@pytest.fixture(scope="module", params=SEEDS, ids=lambda p: p.stem)
def seed(request):
    return seed_document(request.param)


def test_markdown_gives_the_seed_article(tmp_path, seed):
    path = tmp_path / "artikkel.md"
    text = markdown(seed)
    assert "**" in text and "](" in text and "\n> " in text  # there is markup to remove
    path.write_text(text, encoding="utf-8")
    document = read_document(path)
    assert sentences(document) == sentences(seed)
    assert [(b.kind, b.text) for b in document.blocks] == [(b.kind, b.text) for b in seed.blocks]
    assert document.date == full_date(seed.date)
    assert document.input_kind == "markdown"


def kinds_and_texts(text: str) -> list[tuple[str, str]]:
    return [(b.kind.value, b.text) for b in parse_markdown(text, "a").blocks]


def test_markup_is_removed():
    text = (
        "Tittel på saken\n===============\n\n"
        'Et *lite* avsnitt med `kode`, en [lenke](https://example.org "tittel"), '
        "~~strøket~~ og \\*stjerner\\* og et bilde ![alt](b.png) midt i.\n"
        "Linje to av samme avsnitt.\n\n"
        "Undertittel\n-----------\n\n"
        "> Første sitatlinje\nfortsetter latskapelig.\n>\n> Andre sitatavsnitt.\n\n"
        "- punkt en\n- punkt **to**\n\n"
        "1. nummer en\n\n"
        "```\nkode som ikke er tekst\n```\n\n"
        '<div class="annonse">Annonse</div>\n\n'
        "### Tredje nivå\n\n"
        "| A | B |\n|---|---|\n| celle en | celle to |\n"
    )
    assert kinds_and_texts(text) == [
        ("headline", "Tittel på saken"),
        (
            "paragraph",
            "Et lite avsnitt med kode, en lenke, strøket og *stjerner* og et bilde midt i. "
            "Linje to av samme avsnitt.",
        ),
        ("subheading", "Undertittel"),
        ("quote", "Første sitatlinje fortsetter latskapelig."),
        ("quote", "Andre sitatavsnitt."),
        ("paragraph", "punkt en"),
        ("paragraph", "punkt to"),
        ("paragraph", "nummer en"),
        ("subheading", "Tredje nivå"),
        ("paragraph", "A"),
        ("paragraph", "B"),
        ("paragraph", "celle en"),
        ("paragraph", "celle to"),
    ]


def test_second_h1_is_a_subheading_and_dash_paragraph_a_quote():
    assert kinds_and_texts("# En\n\n– Sitat her, sa han.\n\n# To\n") == [
        ("headline", "En"),
        ("quote", "– Sitat her, sa han."),
        ("subheading", "To"),
    ]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("---\ntitle: x\ndate: 2024-05-06\n---\n# T\n", "2024-05-06"),
        ("---\ndate: '2024-05'\n...\n# T\n", "2024-05"),
        ("---\ntitle: uten dato\n---\n# T\n", None),
        ("# T\n\n---\n\ndate: 2024-01-01\n", None),  # a rule later on is not front matter
    ],
)
def test_front_matter_date(text, date):
    assert split_front_matter(text)[1] == date


def test_windows_1252_markdown_is_read_with_a_warning(tmp_path):
    path = tmp_path / "gammel.md"
    path.write_bytes("# Blåbær\n\nEt «sitat» – her.\n".encode("cp1252"))
    document = read_document(path)
    assert [b.text for b in document.blocks] == ["Blåbær", "Et «sitat» – her."]
    assert any("Windows-1252" in w for w in document.warnings)


def test_binary_named_md_is_refused(tmp_path):
    path = tmp_path / "bilde.md"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(ReadError, match=r"bilde\.md: named \.md but is a PNG image"):
        read_document(path)
