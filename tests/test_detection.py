"""Tests for bitext.detection: one test (or a few) per rule of issue 5."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bitext import detection
from bitext.detection import Detection, detect_document, detect_text, detection_report
from bitext.documents import Block, BlockKind, Document

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))

# Small texts written for these tests (not taken from the evaluation data).
DANISH = [
    "Regeringen vil nu skære ned på udgifterne til forsvaret",
    "Det sker efter at flere partier har krævet, at der bliver brugt færre penge "
    "på militæret i de kommende år.",
    "– Vi er nødt til at se på, hvad vi kan gøre, sagde statsministeren mandag aften.",
    "Oppositionen er dog ikke enig og mener, at Danmark skal leve op til sine "
    "forpligtelser i NATO.",
]
NYNORSK = [
    "Regjeringa vil no kutte i utgiftene til forsvaret",
    "Det skjer etter at fleire parti har kravd at det blir brukt mindre pengar på "
    "militæret dei komande åra.",
    "– Vi er nøydde til å sjå på kva vi kan gjere, sa ho måndag kveld.",
    "Opposisjonen er ikkje einig og meiner at Noreg framleis må halde fast ved "
    "forpliktingane sine i NATO.",
]
ICELANDIC = [
    "Ríkisstjórnin hækkar skatta",
    "Ríkisstjórnin hefur ákveðið að hækka skatta á næsta ári.",
    "Fjármálaráðherra sagði í gær að það væri nauðsynlegt vegna stöðu ríkissjóðs.",
    "Stjórnarandstaðan gagnrýndi ákvörðunina harðlega og sagði að hún myndi bitna á "
    "heimilum landsins.",
    "Forsætisráðherra segir að ekki sé um annað að ræða.",
]
FAROESE = (
    "Landsstýrið hevur gjørt av at hækka skattin næsta ár. Landsstýrismaðurin í "
    "fíggjarmálum segði í gjár, at tað er neyðugt vegna støðuna hjá landskassanum. "
    "Andstøðan er ikki samd og sigur, at tað fer at raka húskini í Føroyum."
)
IRISH = (
    "Tá an rialtas ag iarraidh cánacha a ardú an bhliain seo chugainn. Dúirt an tAire "
    "Airgeadais inné go raibh sé riachtanach mar gheall ar staid an airgeadais phoiblí."
)
BASQUE = (
    "Gobernuak zergak igotzea erabaki du datorren urterako. Ogasun ministroak atzo esan "
    "zuen beharrezkoa zela finantza publikoen egoera dela eta."
)
ENGLISH_QUOTE = (
    "“We are working very closely with our partners, and we will not accept any attempt "
    "to change the borders by force,” the minister said in a statement on Sunday."
)


def make_document(paragraphs: list[str], doc_id: str = "test") -> Document:
    blocks = [Block(i, BlockKind.PARAGRAPH, text) for i, text in enumerate(paragraphs, 1)]
    return Document(id=doc_id, path=f"{doc_id}.txt", blocks=blocks)


def read_seed(path: Path) -> Document:
    """A seed article as a Document, through bitext's reader (a broken reader fails)."""
    from bitext.readers import read_document

    return read_document(path)


# --- the seed articles ----------------------------------------------------


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_seed_articles_are_bokmal_throughout(path: Path) -> None:
    doc = detect_document(read_seed(path))
    assert doc.language == "nb"
    assert doc.language_confidence >= 0.9
    assert [b.language for b in doc.blocks] == ["nb"] * len(doc.blocks)
    assert all(0.0 <= b.language_confidence <= 1.0 for b in doc.blocks)


def test_english_quote_planted_in_a_seed_article_is_kept_out() -> None:
    doc = read_seed(SEEDS[0])
    where = len(doc.blocks) // 2
    doc.blocks.insert(where, Block(0, BlockKind.QUOTE, ENGLISH_QUOTE))
    for number, block in enumerate(doc.blocks, 1):
        block.number = number
    detect_document(doc)
    assert doc.language == "nb"
    assert doc.blocks[where].language == "en"
    others = [b.language for i, b in enumerate(doc.blocks) if i != where]
    assert others == ["nb"] * len(others)


def test_short_subheading_takes_the_document_language() -> None:
    doc = read_seed(SEEDS[0])
    doc.blocks.append(Block(len(doc.blocks) + 1, BlockKind.SUBHEADING, "USA advarer"))
    doc.blocks.append(Block(len(doc.blocks) + 1, BlockKind.QUOTE, "– Alltid sammen"))
    detect_document(doc)
    assert [b.language for b in doc.blocks[-2:]] == ["nb", "nb"]


def test_two_word_english_quote_is_not_pulled_out_on_thin_evidence() -> None:
    # Two words are no strong evidence: the block follows the document.
    doc = read_seed(SEEDS[0])
    doc.blocks.append(Block(len(doc.blocks) + 1, BlockKind.QUOTE, "– Big deal"))
    detect_document(doc)
    assert doc.blocks[-1].language == "nb"


# --- other languages ------------------------------------------------------


def test_danish_article() -> None:
    doc = detect_document(make_document(DANISH))
    assert doc.language == "da"
    assert [b.language for b in doc.blocks] == ["da"] * len(DANISH)


def test_nynorsk_article() -> None:
    doc = detect_document(make_document(NYNORSK))
    assert doc.language == "nn"
    assert [b.language for b in doc.blocks] == ["nn"] * len(NYNORSK)


def test_icelandic_article_is_never_norwegian() -> None:
    doc = detect_document(make_document(ICELANDIC))
    assert doc.language in ("is", "unknown")
    assert doc.language == "is"
    assert "nb" not in {b.language for b in doc.blocks}
    assert "nn" not in {b.language for b in doc.blocks}


@pytest.mark.parametrize("text", [FAROESE, IRISH, BASQUE], ids=["fo", "ga", "eu"])
def test_languages_langdetect_does_not_know_are_never_norwegian(text: str) -> None:
    found = detect_text(text)
    assert found.language not in ("nb", "nn")
    doc = detect_document(make_document([text]))
    assert doc.language not in ("nb", "nn")


def test_icelandic_without_its_letters_is_not_norwegian_either() -> None:
    # Even if a text langdetect calls Norwegian has no þ/ð, it must look
    # Norwegian (common Norwegian words) to be called Norwegian.
    text = "Hann var kosinn formaður flokksins á landsfundi um helgina í Reykjavík."
    assert detect_text(text.replace("ð", "d")).language not in ("nb", "nn")


# --- edge cases -----------------------------------------------------------


def test_one_line_document() -> None:
    doc = detect_document(make_document(["Kina villig til å samarbeide mer med Russland"]))
    assert doc.language == "nb"
    assert doc.blocks[0].language == "nb"


def test_empty_document() -> None:
    for doc in (make_document([]), make_document([""]), make_document(["   \n "])):
        detect_document(doc)
        assert doc.language == "unknown"
        assert doc.language_confidence == 0.0


def test_numbers_only_document() -> None:
    doc = detect_document(make_document(["2023-04-12", "80 000 – 12,5 %", "1930"]))
    assert doc.language == "unknown"
    assert doc.language_confidence == 0.0
    assert {b.language for b in doc.blocks} == {"unknown"}


def test_numbers_only_block_follows_the_document() -> None:
    doc = read_seed(SEEDS[1])
    doc.blocks.append(Block(len(doc.blocks) + 1, BlockKind.PARAGRAPH, "2025"))
    detect_document(doc)
    assert doc.blocks[-1].language == "nb"


def test_two_words_alone_are_uncertain() -> None:
    found = detect_text("USA advarer")
    assert found.language == "uncertain"
    assert found.candidates and found.confidence < detection.UNCERTAIN_BELOW


# --- API, determinism, no global state -------------------------------------


def test_detect_text_returns_detection() -> None:
    found = detect_text(" ".join(DANISH))
    assert isinstance(found, Detection)
    assert found.language == "da"
    assert 0.5 <= found.confidence <= 1.0
    probs = [p for _, p in found.candidates]
    assert probs == sorted(probs, reverse=True)
    assert found.candidates[0][0] == "da"


def test_deterministic() -> None:
    text = "Stormen møter kaldere farvann i Stillehavet, og mister derved kraft."
    assert detect_text(text) == detect_text(text)


def test_no_work_at_import_and_no_global_langdetect_state() -> None:
    code = (
        "import sys, bitext.detection as d\n"
        "assert 'langdetect' not in sys.modules, 'langdetect imported at import time'\n"
        "d.detect_text('Dette er en norsk setning om været i dag.')\n"
        "from langdetect import detector_factory as f\n"
        "assert f._factory is None and f.DetectorFactory.seed is None\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_detection_report() -> None:
    doc = make_document(NYNORSK[:2] + [ENGLISH_QUOTE], "mixed")
    report = detection_report(doc, with_blocks=True)
    assert report["path"] == "mixed.txt"
    assert report["language"] == "nn"
    assert report["blocks_by_language"] == {"en": 1, "nn": 2}
    assert [b["block"] for b in report["blocks"]] == [1, 2, 3]
    assert set(report["blocks"][0]) == {"block", "language", "confidence"}
    assert "blocks" not in detection_report(doc, with_blocks=False)


# The seeds' detection time is a figure, not a test: `bench/detect_eval.py` prints it.


NTREX = Path(__file__).resolve().parent / "data" / "ntrex-dev"


@pytest.mark.parametrize("language", ["eng-US", "deu", "nob"])
def test_skipping_langdetect_changes_no_block_decision(language, monkeypatch) -> None:
    """Blocks of English, German and Bokmål news get the language the full
    path (langdetect and every rule) gives them, with or without the shortcut."""
    from itertools import groupby

    ids = (NTREX / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    lines = iter((NTREX / f"{language}.txt").read_text(encoding="utf-8").splitlines())
    documents = [[next(lines) for _ in group] for _, group in groupby(ids)][:12]
    shortcut, full = [], []
    skipped = 0
    for document in documents:
        prior = detect_text("\n\n".join(document))
        for line in document:
            shortcut.append(detection._detect_block(line, prior).language)
            skipped += detection._bound_to_document(detection._cheap_evidence(line), prior.language)
    monkeypatch.setattr(detection, "_bound_to_document", lambda evidence, language: False)
    monkeypatch.setattr(detection, "_plainly_norwegian", lambda evidence, language: False)
    for document in documents:
        prior = detect_text("\n\n".join(document))
        full += [detection._detect_block(line, prior).language for line in document]
    assert shortcut == full
    assert skipped > len(full) // 2  # the shortcut is taken for most lines
