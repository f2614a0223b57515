"""Tests of bitext.glossary: matching, inflection, case, files, checks."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bitext.glossary import (
    FLAG,
    Glossary,
    GlossaryEntry,
    GlossaryError,
    check_glossary,
    format_check_report,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))


def copy_translate(glossary: Glossary, source: str) -> str:
    """Translate with a model that copies its input, as the test model does."""
    text, state = glossary.protect(source)
    return glossary.restore(text, state)


@pytest.fixture(scope="module")
def default() -> Glossary:
    return Glossary.default()


# -- the shipped list -----------------------------------------------------------


def test_default_glossary_covers_the_seed_names(default):
    sources = {e.source for e in default.entries}
    for name in ["Sjojgu", "Sergej", "Lukasjenko", "Aleksandr Lukasjenko", "Zelenskyj", "Kiev"]:
        assert name in sources
    assert default.name == "default (bitext names_nb_en.tsv)"
    assert all(e.kind == "name" for e in default.entries)
    assert 50 <= len(default) <= 200


def test_default_glossary_is_clean(default):
    report = check_glossary(default, [])
    assert report["duplicates"] == []
    assert report["conflicts"] == []
    assert report["identical"] == []
    for entry in default.entries:
        assert entry.note, f"{entry.origin}: no source of spelling"
        assert entry.origin.startswith("names_nb_en.tsv:")


@pytest.mark.parametrize("seed", SEEDS, ids=lambda p: p.name)
def test_seed_articles_get_english_spellings(default, seed):
    text = seed.read_text(encoding="utf-8")
    sentences = [line for line in text.splitlines() if line.strip()]
    english = [copy_translate(default, s) for s in sentences]
    joined = "\n".join(english)
    for norwegian in ["Sjojgu", "Lukasjenko", "Zelenskyj", "Sergej", "Kiev"]:
        assert not re.search(rf"\b{norwegian}", joined)
    for src, out in zip(sentences, english, strict=True):
        assert default.missing_terms(src, out) == []
    if "Sjojgu" in text:
        assert "Sergei Shoigu" in joined
        assert "Zelensky's" in joined
        assert "Kyiv" in joined
    if "Lukasjenko" in text:
        assert "Alexander Lukashenko" in joined
        assert "Belarus' president" in joined  # no entry: left as it was


# -- whole words, inflection, case, overlaps ------------------------------------------


def test_whole_words_only(default):
    assert copy_translate(default, "Kievskij og Sjojguland") == "Kievskij og Sjojguland"
    assert copy_translate(default, "Kiev-regimet i Kiev.") == "Kyiv-regimet i Kyiv."
    assert copy_translate(default, "«Sjojgu»") == "«Shoigu»"


def test_genitive_becomes_english_possessive(default):
    src = "Volodymyr Zelenskyjs tidligere talskvinne og Lukasjenkos kone"
    assert copy_translate(default, src) == (
        "Volodymyr Zelensky's tidligere talskvinne og Lukashenko's kone"
    )
    # A model that writes the English possessive itself keeps its apostrophe.
    _, state = default.protect("Zelenskyjs kone")
    assert default.restore("Zelenskyj's wife", state) == "Zelensky's wife"
    assert default.restore("Zelenskyj\u2019s wife", state) == "Zelensky\u2019s wife"
    assert default.missing_terms("Zelenskyjs kone", "Zelensky's wife") == []


def test_genitive_after_s_in_norwegian_is_an_apostrophe():
    g = Glossary.from_pairs([("Paris", "Lutetia")], kind="name")
    assert copy_translate(g, "Paris' ordfører") == "Lutetia's ordfører"
    assert copy_translate(g, "Pariss") == "Pariss"


def test_case(default):
    assert copy_translate(default, "MØTE: SERGEJ SJOJGU I KIEV") == "MØTE: SERGEI SHOIGU I KYIV"
    # A capitalised name does not match a lower-case word of the same spelling.
    assert copy_translate(default, "krim og Krim") == "krim og Crimea"
    # Lower-case term entries match any case; the target follows the output position.
    g = Glossary.from_pairs([("forsvarsdepartementet", "the Ministry of Defence")])
    assert (
        copy_translate(g, "Forsvarsdepartementet sier nei.") == "The Ministry of Defence sier nei."
    )
    assert copy_translate(g, "– Forsvarsdepartementet sier nei.") == (
        "– The Ministry of Defence sier nei."
    )
    assert copy_translate(g, "Hun ringte forsvarsdepartementet.") == (
        "Hun ringte the Ministry of Defence."
    )
    assert copy_translate(g, "FORSVARSDEPARTEMENTET") == "THE MINISTRY OF DEFENCE"


def test_longest_match_wins(default):
    assert copy_translate(default, "Aleksandr Lukasjenko møtte Aleksandr Dugin.") == (
        "Alexander Lukashenko møtte Aleksandr Dugin."
    )
    assert copy_translate(default, "general Valerij Zaluzjnyj og Valerij Gerasimov") == (
        "general Valerii Zaluzhnyi og Valery Gerasimov"
    )
    g = Glossary.from_pairs(
        [("Norges Bank", "Norges Bank (the central bank)"), ("Norges Bank Investment", "NBIM")]
    )
    assert copy_translate(g, "Norges Bank Investment og Norges Bank") == (
        "NBIM og Norges Bank (the central bank)"
    )


def test_multiword_terms_span_any_whitespace(default):
    assert copy_translate(default, "Sankt  Petersburg") == "Saint Petersburg"


# -- terms protected with placeholders ------------------------------------------------


def test_terms_are_protected_and_restored():
    g = Glossary.from_pairs([("Forsvarsdepartementet", "the Ministry of Defence")])
    text, state = g.protect("Talsperson for Forsvarsdepartementets pressekontor")
    assert "Forsvarsdepartement" not in text
    assert re.search(r"\bXZQA\b", text)
    assert g.restore(text, state) == "Talsperson for the Ministry of Defence's pressekontor"
    # What a real model might do around a placeholder.
    _, state = g.protect("Forsvarsdepartementet sier")
    assert g.restore("The XZQA says", state) == "The Ministry of Defence says"
    assert g.restore("xzqa says", state) == "The Ministry of Defence says"
    assert g.restore("It said XZQA.", state) == "It said the Ministry of Defence."


def test_dropped_placeholder_falls_back_and_is_flagged():
    g = Glossary.from_pairs([("Forsvarsdepartementet", "the Ministry of Defence")])
    src = "Forsvarsdepartementet sier nei."
    _, state = g.protect(src)
    # The model ignored the placeholder and copied the source term: respelled.
    assert g.restore("Forsvarsdepartementet says no.", state) == "The Ministry of Defence says no."
    # The model lost it entirely: nothing to restore, and the row is flagged.
    out = g.restore("It says no.", state)
    assert out == "It says no."
    assert g.missing_terms(src, out) == ["Forsvarsdepartementet"]


def test_several_placeholders_in_one_sentence():
    g = Glossary.from_pairs([("NAV", "the Labour and Welfare Administration"), ("UDI", "the UDI")])
    src = "NAV og UDI og NAV"
    text, state = g.protect(src)
    assert text == "XZQA og XZQB og XZQC"
    assert g.restore(text, state) == (
        "The Labour and Welfare Administration og the UDI og the Labour and Welfare Administration"
    )


def test_state_is_plain_data(default):
    g = default.merged(Glossary.from_pairs([("Stortinget", "the Storting")]))
    src = "Sjojgu talte i Stortinget."
    text, state = g.protect(src)
    state = json.loads(json.dumps(state))  # survives serialisation (caches, processes)
    assert g.restore(text, state) == "Shoigu talte i the Storting."


def test_translate_with_batches(default):
    calls = []

    def translate(batch):
        calls.append(list(batch))
        return list(batch)

    out = default.translate_with(["Sjojgu kom.", "Ingen navn her."], translate)
    assert out == ["Shoigu kom.", "Ingen navn her."]
    assert len(calls) == 1


def test_empty_glossary_is_free():
    g = Glossary.empty()
    src = "Sjojgu kom."
    text, state = g.protect(src)
    assert text is src and state is None
    assert g.restore("x", None) == "x"
    assert g.missing_terms(src, "x") == []
    assert len(g) == 0


def test_no_match_gives_no_state(default):
    assert default.protect("Ingen navn her.") == ("Ingen navn her.", None)


# -- the quality flag ----------------------------------------------------------------


def test_missing_target_is_flagged(default):
    assert FLAG == "glossary"
    src = "Sergej Sjojgu kom til Kiev."
    assert default.missing_terms(src, "Sergei Shoigu came to Kyiv.") == []
    assert default.missing_terms(src, "Sergey Shoygu came to Kiev.") == ["Sergej", "Sjojgu", "Kiev"]
    assert default.missing_terms("Ingen navn.", "No names.") == []


# -- files --------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_tsv_with_comments_and_types(tmp_path):
    path = write(
        tmp_path,
        "terms.tsv",
        "# my terms\nsource\ttarget\ttype\tnote\n\nSjojgu\tShoygu\tname\tx\n"
        "Forsvarsdepartementet\tthe Ministry of Defence\t\t\n",
    )
    g = Glossary.load(path)
    assert g.name == "terms.tsv"
    assert g.entries[0] == GlossaryEntry("Sjojgu", "Shoygu", "name", str(path), 4, "x")
    assert g.entries[1].kind == "term"  # empty type: the default for user files
    assert g.entries[1].origin == f"{path}:5"


def test_load_csv_and_semicolons_and_sniffing(tmp_path):
    g = Glossary.load(
        write(tmp_path, "a.csv", 'nb,en\nStortinget,"the Storting, Norway\'s parliament"\n')
    )
    assert g.entries[0].target == "the Storting, Norway's parliament"
    g = Glossary.load(write(tmp_path, "b.txt", "source;target\nStortinget;the Storting\n"))
    assert g.entries[0].target == "the Storting"
    g = Glossary.load(write(tmp_path, "c.txt", "source\ttarget\nStortinget\tthe Storting\n"))
    assert g.entries[0].target == "the Storting"


def test_load_tbx(tmp_path):
    tbx = """<?xml version="1.0" encoding="UTF-8"?>
<martif type="TBX" xml:lang="en"><text><body>
<termEntry id="c1">
  <langSet xml:lang="nb"><tig><term>Forsvarsdepartementet</term></tig></langSet>
  <langSet xml:lang="en-GB"><tig><term>the Ministry of Defence</term></tig></langSet>
</termEntry>
<termEntry id="c2">
  <descrip type="subjectField">names</descrip>
  <langSet xml:lang="no"><tig><term>Sjojgu</term>
    <termNote type="partOfSpeech">properNoun</termNote></tig></langSet>
  <langSet xml:lang="en"><tig><term>Shoigu</term></tig></langSet>
</termEntry>
<termEntry id="c3"><langSet xml:lang="de"><tig><term>Haus</term></tig></langSet></termEntry>
</body></text></martif>
"""
    g = Glossary.load(write(tmp_path, "t.tbx", tbx))
    assert [(e.source, e.target, e.kind, e.line) for e in g.entries] == [
        ("Forsvarsdepartementet", "the Ministry of Defence", "term", 4),
        ("Sjojgu", "Shoigu", "name", 9),
    ]


@pytest.mark.parametrize(
    ("name", "text", "line", "reason"),
    [
        ("a.tsv", "", 1, "empty glossary"),
        ("a.tsv", "foo\tbar\nSjojgu\tShoigu\n", 1, "header must name"),
        ("a.tsv", "source\ttarget\nSjojgu\tShoigu\nKiev\n", 3, "expected 2 columns"),
        ("a.tsv", "source\ttarget\nSjojgu\tShoigu\tx\n", 2, "expected 2 columns"),
        ("a.tsv", "# c\nsource\ttarget\n\nKiev\t\n", 4, "empty target"),
        ("a.tsv", "source\ttarget\n\tKyiv\n", 2, "empty source"),
        ("a.tsv", "source\ttarget\ttype\nKiev\tKyiv\tplace\n", 2, "type must be"),
        ("a.csv", 'source,target\nKiev,"Kyiv\n', 2, "cannot parse"),
        ("a.tbx", "<martif><termEntry>\n<langSet>\n</martif>", 3, "not well-formed"),
        (
            "a.tbx",
            '<martif>\n<termEntry><langSet xml:lang="nb"><tig><term>Kiev</term></tig>'
            "</langSet></termEntry></martif>",
            2,
            "no English term",
        ),
    ],
)
def test_malformed_files_name_file_and_line(tmp_path, name, text, line, reason):
    path = write(tmp_path, name, text)
    with pytest.raises(GlossaryError) as info:
        Glossary.load(path)
    err = info.value
    assert err.file == str(path) and err.line == line
    assert reason in err.reason
    assert str(err).startswith(f"{path}:{line}: ")


def test_not_utf8_and_missing_file(tmp_path):
    path = tmp_path / "latin1.tsv"
    path.write_bytes("source\ttarget\nKiev\tKyiv\nTromsø\tTromso\n".encode("latin-1"))
    with pytest.raises(GlossaryError, match=r"latin1.tsv:3: not valid UTF-8"):
        Glossary.load(path)
    with pytest.raises(GlossaryError, match="cannot read glossary"):
        Glossary.load(tmp_path / "nope.tsv")


def test_tbx_entities_refused(tmp_path):
    tbx = '<?xml version="1.0"?>\n<!DOCTYPE m [<!ENTITY a "aaaa">]>\n<martif>&a;</martif>'
    with pytest.raises(GlossaryError, match="entity declarations"):
        Glossary.load(write(tmp_path, "e.tbx", tbx))


# -- merging and checking --------------------------------------------------------------


def test_user_entries_override_default(default, tmp_path):
    user = Glossary.load(write(tmp_path, "mine.tsv", "source\ttarget\ttype\nKiev\tKiev\tname\n"))
    merged = default.merged(user)
    assert merged.name == "default (bitext names_nb_en.tsv) + mine.tsv"
    assert copy_translate(merged, "Sjojgu i Kiev") == "Shoigu i Kiev"
    assert len(merged) == len(default)
    assert Glossary.empty().merged(user) is user


def test_check_glossary_reports_duplicates_conflicts_unmatched(tmp_path):
    path = write(
        tmp_path,
        "g.tsv",
        "source\ttarget\nKiev\tKyiv\nkiev\tKyiv\nSjojgu\tShoigu\nSjojgu\tShoygu\n"
        "Putin\tPutin\nTsjernihiv\tChernihiv\n",
    )
    g = Glossary.load(path)
    report = check_glossary(g, ["Sjojgu og Putin i Kiev.", "Sjojgus tale"])
    assert [d["source"] for d in report["duplicates"]] == ["kiev"]
    assert report["duplicates"][0]["origins"] == [f"{path}:2", f"{path}:3"]
    assert report["conflicts"] == [
        {
            "source": "Sjojgu",
            "origins": [f"{path}:4", f"{path}:5"],
            "targets": ["Shoigu", "Shoygu"],
            "used": "Shoygu",
        }
    ]
    assert [d["source"] for d in report["identical"]] == ["Putin"]
    assert [d["source"] for d in report["unmatched"]] == ["Tsjernihiv"]
    assert report["matches"] == {"kiev": 1, "Sjojgu": 2, "Putin": 1}
    text = format_check_report(report)
    assert "conflict: Sjojgu -> Shoigu | Shoygu" in text
    assert "never matches: Tsjernihiv -> Chernihiv" in text
    # The last of conflicting entries is the one applied.
    assert copy_translate(g, "Sjojgu") == "Shoygu"


def test_with_the_copy_test_model(default, tmp_path):
    """The project's test model (it copies its input) through CTranslate2."""
    import zipfile

    import ctranslate2
    import sentencepiece as spm

    from bitext import copymodel

    archive = tmp_path / "copy.argosmodel"
    copymodel.build_copy_package(archive, size="test")
    with zipfile.ZipFile(archive) as z:
        z.extractall(tmp_path)
    package = next(p for p in tmp_path.iterdir() if p.is_dir())
    sp = spm.SentencePieceProcessor(model_file=str(package / "sentencepiece.model"))
    translator = ctranslate2.Translator(str(package / "model"))

    def translate(batch):
        results = translator.translate_batch([sp.encode(s, out_type=str) for s in batch])
        return [sp.decode(r.hypotheses[0]) for r in results]

    g = default.merged(Glossary.from_pairs([("Forsvarsdepartementet", "the Ministry of Defence")]))
    src = [
        "I midten den russiske forsvarsministeren Sergej Sjojgu.",
        "Den ukrainske presidenten Volodymyr Zelenskyjs tidligere talskvinne Iiuliia Mendel.",
        "Forsvarsdepartementet sier at Aleksandr Lukasjenko kom til Kiev.",
    ]
    assert g.translate_with(src, translate) == [
        "I midten den russiske forsvarsministeren Sergei Shoigu.",
        "Den ukrainske presidenten Volodymyr Zelensky's tidligere talskvinne Iiuliia Mendel.",
        "The Ministry of Defence sier at Alexander Lukashenko kom til Kyiv.",
    ]
