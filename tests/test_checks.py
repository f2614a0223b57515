"""Quality flags (issue 4): each raised by a bad row, quiet on a good one."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bitext.checks import (
    EMPTY,
    LENGTH_RATIO,
    NUMBER_MISMATCH,
    UNTRANSLATED,
    apply_checks,
    format_flag_counts,
    missing_numbers,
)
from bitext.documents import BilingualRow


def row(source: str, target: str, flags=None, source_lang="nb", target_lang="en"):
    return BilingualRow(
        "doc", 1, "paragraph", 1, source_lang, source, target_lang, target, flags or []
    )


def flags_of(source: str, target: str, **kwargs) -> list[str]:
    return apply_checks([row(source, target, **kwargs)])[0].flags


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("Han fylte 80 år i fjor.", "He turned 80 years old last year."),
        ("Renten steg med 2,5 prosent.", "The interest rate rose by 2.5 percent."),
        ("Over 1 000 soldater ble sendt.", "More than 1,000 soldiers were sent."),
        ("Prisen var 2.500 kroner.", "The price was 2,500 kroner."),
        ("Budsjettet er 1,5 millioner kroner.", "The budget is 1.5 million kroner."),
        ("Budsjettet er 1 500 000 kroner.", "The budget is 1.5 million kroner."),
        ("Møtet starter kl. 15.00.", "The meeting starts at 3 p.m."),
        ("Han kom 2 ganger.", "He came two times."),
        ("Det skjedde i 2018 og 2019.", "It happened in 2019 and 2018."),
        ("Den 80. bursdagen.", "The 80th birthday."),
    ],
)
def test_number_mismatch_is_quiet_on_good_translations(source, target):
    assert missing_numbers(source, target) == []
    assert NUMBER_MISMATCH not in flags_of(source, target)


@pytest.mark.parametrize(
    ("source", "target", "missing"),
    [
        ("80 år", "18 years", ["80"]),
        ("Det skjedde i 2018 og 2019.", "It happened in 2018.", ["2019"]),
        ("Renten steg med 2,5 prosent.", "The interest rate rose by 25 percent.", ["2,5"]),
        ("Han ble 80 år, og kona 80 år.", "He turned 80, and his wife too.", ["80"]),
        ("Over 1 000 soldater.", "More than 100 soldiers.", ["1 000"]),
    ],
)
def test_number_mismatch_is_raised_when_a_number_changes_or_vanishes(source, target, missing):
    assert missing_numbers(source, target) == missing
    assert NUMBER_MISMATCH in flags_of(source, target)


def test_80_years_quiet_and_18_years_flagged_as_in_the_issue():
    assert flags_of("80 år", "80 years") == []
    assert flags_of("80 år", "18 years") == [NUMBER_MISMATCH]
    assert flags_of("2,5 prosent", "2.5 percent") == []


def test_untranslated_when_the_target_repeats_the_source():
    text = "Kinesiske statlige medier melder at Kina er åpen for samarbeid."
    assert UNTRANSLATED in flags_of(text, text)
    # Only a name respelled by the glossary: still the Norwegian sentence.
    assert UNTRANSLATED in flags_of(
        "I midten den russiske forsvarsministeren Sergej Sjojgu.",
        "I midten den russiske forsvarsministeren Sergei Shoigu.",
    )


def test_untranslated_when_the_target_is_still_norwegian():
    source = (
        "Kinesiske statlige medier melder at Kina nå er åpen for et tettere militært samarbeid."
    )
    # Rewritten, not copied: the model answered in Nynorsk.
    half_done = (
        "Kinesiske statlege medium melder at Kina no er open for eit tettare militært samarbeid."
    )
    assert UNTRANSLATED in flags_of(source, half_done)


def test_untranslated_is_quiet_on_a_translation_and_on_names_copied_through():
    assert UNTRANSLATED not in flags_of(
        "Kinesiske statlige medier melder at Kina nå er åpen for et tettere militært samarbeid.",
        "Chinese state media report that China is now open to closer military cooperation.",
    )
    # One ordinary word spelled alike is a cognate, not a copy; the same text is.
    assert UNTRANSLATED not in flags_of("Dette er en test.", "This is a test.")
    assert UNTRANSLATED in flags_of("Dette er en test.", "Dette er en test.")
    credit = "Alexander Kazakov / Sputnik / AP / NTB"
    assert flags_of(credit, credit) == []
    assert flags_of("Vladimir Putin", "Vladimir Putin") == []


def test_length_ratio_flags_a_truncated_or_padded_target_only():
    source = "Ukrainske styrker finner et økende antall komponenter fra Kina i russiske våpen."
    good = (
        "Ukrainian forces are finding a growing number of components from China in Russian weapons."
    )
    assert LENGTH_RATIO not in flags_of(source, good)
    assert LENGTH_RATIO in flags_of(source, "Ukrainian forces are finding.")
    assert LENGTH_RATIO in flags_of(source, good + " " + good)
    # Short pairs vary more: a two-word heading may halve or double.
    assert LENGTH_RATIO not in flags_of("USA advarer", "US warns")


def test_empty_target_is_flagged_and_nothing_else():
    assert flags_of("Putin hyllet samarbeidet i 2023.", "") == [EMPTY]
    assert flags_of("Putin hyllet samarbeidet i 2023.", "   ") == [EMPTY]


def test_rows_shown_beside_themselves_are_not_checked():
    text = "This quote was in English all along, so it was never translated at all."
    assert flags_of(text, text, source_lang="en", target_lang="en") == []


def test_other_stages_flags_are_kept_and_rechecking_is_stable():
    rows = [row("80 år", "18 years", flags=["weak-alignment", "glossary"])]
    apply_checks(rows)
    assert rows[0].flags == [NUMBER_MISMATCH, "glossary", "weak-alignment"]
    rows[0].target = "80 years"
    apply_checks(rows)
    assert rows[0].flags == ["glossary", "weak-alignment"]


def test_summary_line_lists_known_flags_first():
    counts = Counter({"number-mismatch": 1, "untranslated": 3, "zz-custom": 2, "empty": 0})
    assert format_flag_counts(counts) == "untranslated 3, number-mismatch 1, zz-custom 2"
    assert format_flag_counts(Counter()) == "none"


_NUMBER_WORD_TEXT = st.lists(
    st.sampled_from(
        [
            "one",
            "Two",
            "eighty-one",
            "EIGHTY",
            "ninety-nine",
            "six",
            "\u212aid",
            "\u017fix",
            "-",
            "seven-",
            "x",
            "1",
            "_",
            " ",
            ", ",
            "é",
            "Ten.",
            "hundred",
            "twelve",
            "\u212a",
        ]
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_NUMBER_WORD_TEXT)
def test_number_words_are_found_as_the_pattern_finds_them(text: str) -> None:
    """The run-by-run lookup finds exactly what the whole-text pattern finds."""
    from bitext.checks import _EN_WORD_RE, _english_number_words

    by_pattern = [(m.start(), m.group(0)) for m in _EN_WORD_RE.finditer(text)]
    assert [(m.start(), m.group(0)) for m, _ in _english_number_words(text)] == by_pattern


def test_a_number_word_with_a_long_s_is_read_not_a_crash() -> None:
    from bitext.checks import numbers

    assert numbers("\u017fix", words=True) == [frozenset({"6"})]  # KeyError before
