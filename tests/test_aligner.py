"""Tests of bitext.align.aligner: link types, paragraphs, scores, chrF, band."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bitext.align.aligner import LENGTH_ONLY, WEAK_THRESHOLD, AlignParams, Link, align_sentences
from bitext.align.anchors import anchors
from bitext.align.chrf import chrf
from bitext.align.cost import Side, end_mark

# A short news story in Bokmål and its English version, sentence by sentence.
NB = [
    "Statsministeren besøkte Tromsø tirsdag 14. mars 2023.",
    "Hun møtte ordfører Gunnar Wilhelmsen og representanter for Universitetet i Tromsø.",
    "– Vi må satse mer på nordområdene, sa hun.",
    "Regjeringen vil bruke 250 millioner kroner på forskning i Arktis de neste fem årene.",
    "Opposisjonen mener beløpet er for lite.",
    "Fremskrittspartiet krever at pengene heller går til veier og sykehus.",
    "Hvorfor skal forskerne få mer enn pasientene?",
    "Spørsmålet ble stilt av stortingsrepresentant Per-Willy Amundsen fra Harstad.",
    "Statsministeren svarte at forskning skaper arbeidsplasser i nord.",
    "Besøket ble avsluttet med en middag på Hurtigruten.",
    "Neste stopp er Kirkenes og grensen mot Russland torsdag.",
    "Der skal hun møte forsvarsminister Bjørn Arild Gram og NATO-offiserer.",
]
EN = [
    "The Prime Minister visited Tromsø on Tuesday 14 March 2023.",
    "She met Mayor Gunnar Wilhelmsen and representatives of the University of Tromsø.",
    '"We must invest more in the High North," she said.',
    "The government will spend 250 million kroner on research in the Arctic over the next"
    " five years.",
    "The opposition believes the amount is too small.",
    "The Progress Party demands that the money go to roads and hospitals instead.",
    "Why should researchers get more than patients?",
    "The question was asked by MP Per-Willy Amundsen from Harstad.",
    "The Prime Minister replied that research creates jobs in the north.",
    "The visit ended with a dinner on the Hurtigruten.",
    "Next stop is Kirkenes and the border with Russia on Thursday.",
    "There she will meet Defence Minister Bjørn Arild Gram and NATO officers.",
]
NTREX = Path(__file__).resolve().parent / "data" / "ntrex-dev"


def pairs(links: list[Link]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    return [(tuple(x.source), tuple(x.target)) for x in links]


def check_cover(links: list[Link], n: int, m: int) -> None:
    """Every sentence exactly once, in order; link sizes 0..2, never empty."""
    src = [i for x in links for i in x.source]
    tgt = [j for x in links for j in x.target]
    assert src == list(range(n))
    assert tgt == list(range(m))
    for x in links:
        assert len(x.source) <= 2 and len(x.target) <= 2
        assert x.source or x.target
        assert 0.0 <= x.score <= 1.0
        assert x.weak == (x.score < WEAK_THRESHOLD)


def test_one_to_one() -> None:
    links = align_sentences([NB[:6], NB[6:]], [EN[:6], EN[6:]])
    check_cover(links, 12, 12)
    assert pairs(links) == [((k,), (k,)) for k in range(12)]
    assert not any(x.weak for x in links)


def test_one_to_zero_source_sentence_without_translation() -> None:
    target = EN[:1] + EN[2:]
    links = align_sentences([NB], [target])
    check_cover(links, 12, 11)
    assert ((1,), ()) in pairs(links)
    assert ((0,), (0,)) in pairs(links) and ((2,), (1,)) in pairs(links)


def test_zero_to_one_target_sentence_without_source() -> None:
    source = NB[:7] + NB[8:]
    links = align_sentences([source], [EN])
    check_cover(links, 11, 12)
    assert ((), (7,)) in pairs(links)
    assert ((6,), (6,)) in pairs(links) and ((7,), (8,)) in pairs(links)


def test_two_to_one() -> None:
    target = EN[:4] + [EN[4] + " " + EN[5]] + EN[6:]
    links = align_sentences([NB], [target])
    check_cover(links, 12, 11)
    assert ((4, 5), (4,)) in pairs(links)
    assert sum(len(x.source) == len(x.target) == 1 for x in links) == 10


def test_one_to_two() -> None:
    source = NB[:8] + [NB[8] + " " + NB[9]] + NB[10:]
    links = align_sentences([source], [EN])
    check_cover(links, 11, 12)
    assert ((8,), (8, 9)) in pairs(links)


def test_two_to_two() -> None:
    # Staggered merges: (A B | C) against (A | B C).
    source = NB[:2] + [NB[2] + " " + NB[3], NB[4]] + NB[5:]
    target = EN[:3] + [EN[3] + " " + EN[4]] + EN[5:]
    links = align_sentences([source], [target])
    check_cover(links, 11, 11)
    assert ((2, 3), (2, 3)) in pairs(links)


def test_links_cross_paragraphs() -> None:
    # The English version breaks its paragraphs elsewhere; merges span them.
    source = [NB[:3], NB[3:8], NB[8:]]
    target = [EN[:5], [EN[5] + " " + EN[6]], EN[7:]]
    links = align_sentences(source, target)
    check_cover(links, 12, 11)
    assert ((5, 6), (5,)) in pairs(links)
    assert ((2,), (2,)) in pairs(links) and ((3,), (3,)) in pairs(links)


def test_paragraphs_in_the_wrong_order_invent_no_sure_links() -> None:
    source = [NB[:4], NB[4:8], NB[8:]]
    target = [EN[8:], EN[4:8], EN[:4]]  # first and last paragraph swapped
    target_index = {s: k for k, s in enumerate(EN[8:] + EN[4:8] + EN[:4])}
    truth = {(k, target_index[EN[k]]) for k in range(12)}
    links = align_sentences(source, target)
    check_cover(links, 12, 12)
    for x in links:
        if x.source and x.target and not x.weak:
            assert len(x.source) == len(x.target) == 1, x
            assert (x.source[0], x.target[0]) in truth, x
    # What cannot be linked in order is either left unlinked or flagged weak.
    linked_right = sum(
        1
        for x in links
        if len(x.source) == len(x.target) == 1 and (x.source[0], x.target[0]) in truth
    )
    assert linked_right <= 4
    assert any(x.weak for x in links) or sum(1 for x in links if not x.target) >= 8


def test_unrelated_texts_are_weak() -> None:
    other = [
        "Aksjemarkedet falt kraftig fredag etter nye renteøkninger.",
        "Analytikere venter mer uro neste uke.",
        "Oljeprisen steg likevel litt.",
    ]
    links = align_sentences([other], [EN[:3]])
    check_cover(links, 3, 3)
    assert all(x.weak or not (x.source and x.target) for x in links)


@pytest.mark.parametrize("wrong", [1, 4, 6, 9])
def test_mismatched_translation_pairs_score_lower_than_true_pairs(wrong: int) -> None:
    """One English sentence replaced by an unrelated one: its link scores
    below every true pair and every other link of its document, and is weak."""
    true_links = align_sentences([NB], [EN])
    assert min(x.score for x in true_links) > 0.7
    target = list(EN)
    target[wrong] = "The stock market fell sharply on Friday after new interest rate rises."
    links = align_sentences([NB], [target])
    mismatched = [x for x in links if wrong in x.target]
    assert [(x.source, x.target) for x in mismatched] == [([wrong], [wrong])]
    assert mismatched[0].score < min(x.score for x in true_links)
    assert mismatched[0].weak
    others = [x.score for x in links if x is not mismatched[0]]
    assert mismatched[0].score < min(others)  # the lowest of its document too


def test_empty_sides() -> None:
    assert align_sentences([], []) == []
    links = align_sentences([["En setning."]], [])
    assert pairs(links) == [((0,), ())]
    links = align_sentences([], [["One.", "Two."]])
    assert pairs(links) == [((), (0,)), ((), (1,))]
    assert all(x.weak for x in links)


def test_deterministic() -> None:
    a = align_sentences([NB[:5], NB[5:]], [EN[:2], EN[3:]])
    b = align_sentences([NB[:5], NB[5:]], [EN[:2], EN[3:]])
    assert a == b


def test_translations_are_used_and_checked() -> None:
    # A "translation" that is the reference with a few words changed.
    mt = [e.replace("The ", "A ").replace(" the ", " a ") for e in EN]
    target = EN[:4] + [EN[4] + " " + EN[5]] + EN[6:]
    links = align_sentences([NB], [target], translations=mt)
    check_cover(links, 12, 11)
    assert ((4, 5), (4,)) in pairs(links)
    with pytest.raises(ValueError):
        align_sentences([NB], [EN], translations=mt[:3])


def test_translations_rescue_a_text_without_anchors() -> None:
    # No numbers, names or quotes: only the machine translation tells.
    nb = ["Det regnet hele dagen.", "Vi ble hjemme og leste bøker.", "Om kvelden kom sola fram."]
    en = ["We stayed at home and read books.", "In the evening the sun came out."]
    mt = ["It rained all day.", "We stayed home and read books.", "In the evening the sun came."]
    links = align_sentences([nb], [en], translations=mt)
    assert pairs(links) == [((0,), ()), ((1,), (0,)), ((2,), (1,))]


def test_band_widens_when_the_path_leaves_it() -> None:
    # 15 extra target sentences in front and 15 extra source sentences at
    # the end push the path far off the diagonal.
    extra_en = [f"Extra item number {k + 100} about something else." for k in range(15)]
    extra_nb = [f"Ekstra punkt nummer {k + 500} om noe annet." for k in range(15)]
    links = align_sentences([NB + extra_nb], [extra_en + EN], band=2)
    check_cover(links, 27, 27)
    assert [p for p in pairs(links) if p[0] and p[1]] == [((k,), (k + 15,)) for k in range(12)]


def test_length_only_baseline_runs() -> None:
    links = align_sentences([NB], [EN], params=LENGTH_ONLY)
    check_cover(links, 12, 12)
    assert sum(p == ((k,), (k,)) for k, p in enumerate(pairs(links))) >= 10


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.lists(st.text(min_size=0, max_size=30), max_size=4), max_size=5),
    st.lists(st.lists(st.text(min_size=0, max_size=30), max_size=4), max_size=5),
    st.integers(1, 6),
)
def test_links_cover_everything_once_in_order(source, target, band) -> None:
    links = align_sentences(source, target, band=band)
    check_cover(links, sum(map(len, source)), sum(map(len, target)))


def test_anchors() -> None:
    assert {"n:2023", "n:14", "m:3", "c:tromsø"} <= anchors(NB[0])
    assert {"n:2023", "n:14", "m:3", "c:tromsø"} <= anchors(EN[0])
    assert "n:1000000" in anchors("Det kostet 1.000.000 kroner.")
    assert "n:1000000" in anchors("It cost 1,000,000 kroner.")
    assert "?" in anchors(NB[6]) and "?" in anchors(EN[6])
    assert '"' in anchors("«Nei», sa han.") and '"' in anchors('"No," he said.')
    assert "c:the" not in anchors("The house.")  # a capital at the start says little


def test_thousands_written_with_spaces_are_one_number() -> None:
    # Norwegian writes "380 000" where German writes "380.000" and English
    # "380,000". Read as "380" and "000", the number matched nothing, and
    # "000" made the sentence look like one without counterpart.
    numbers = {"n:380000"}
    for text in ("mer enn 380 000 innbyggere", "über 380.000 Einwohner", "over 380,000 people"):
        assert {f for f in anchors(text) if f.startswith("n:")} == numbers
    assert "n:380000" in anchors("380\u00a0000 og 380\u202f000")
    assert "n:3100000" in anchors("3 100 000 kroner")
    assert {"n:2018", "n:250"} <= anchors("i 2018 250 personer")  # a year is no group
    assert {"n:12", "n:3000"} <= anchors("12 3000")  # four digits are no group


# chrF of (hypothesis, reference) with character orders 1..6, whitespace removed.
# The exact fractions are worked by hand (per order: matches / n-grams of the
# hypothesis and of the reference; precision and recall averaged over the
# orders both sides have, then F-beta). The others were computed with
# sacrebleu 2.4.3, `CHRF(char_order=6, word_order=0, beta=B).sentence_score(h,
# [r]).score / 100`, the same formula (its default, without eps smoothing).
CHRF_TABLE = [
    # "abc"/"abd": order 1: 2 of 3 both ways, order 2: 1 of 2, order 3: 0 of 1.
    ("abc", "abd", 2, 7 / 18),
    ("abc", "abd", 1, 7 / 18),
    # "ab"/"abcdefgh": P 1 at orders 1-2; R 2/8 and 1/7; orders 3-6 not on both sides.
    ("ab", "abcdefgh", 2, 11 / 47),
    ("ab", "abcdefgh", 1, 22 / 67),
    # Only "?" matches (1 of 8 and 1 of 4 unigrams); orders 2-4 match nothing.
    ("Hvorfor?", "Why?", 2, 5 / 96),
    ("Hvorfor?", "Why?", 1, 1 / 24),
    ("the cat sat on the mat", "the cat sat on a mat", 2, 0.720848317308462),
    ("the cat sat on the mat", "the cat sat on a mat", 1, 0.6889726135582335),
    ("the cat", "the cat sat on the mat", 2, 0.2725331540542631),
    ("the cat sat on the mat", "the cat", 2, 0.5997650411493229),
    ("the cat", "the cat sat on the mat", 1, 0.3747705985285476),
    (
        "Statsministeren besøkte Tromsø tirsdag.",
        "The Prime Minister visited Tromsø on Tuesday.",
        2,
        0.297631846501115,
    ),
    (
        "Regjeringen vil bruke 250 millioner kroner.",
        "The government will spend 250 million kroner.",
        1,
        0.3949647794490423,
    ),
]


@pytest.mark.parametrize("hypothesis, reference, beta, expected", CHRF_TABLE)
def test_chrf_known_values(hypothesis, reference, beta, expected) -> None:
    assert chrf(hypothesis, reference, beta=beta) == pytest.approx(expected, abs=1e-12)


def test_chrf() -> None:
    assert chrf("the cat sat", "the cat sat") == pytest.approx(1.0)
    assert chrf("xyz", "abc") == 0.0
    assert chrf("", "abc") == 0.0
    near = chrf("the cat sat on the mat", "the cat sat on a mat")
    far = chrf("the cat sat on the mat", "stock markets fell sharply")
    assert 0.5 < near < 1.0 and far < 0.3 < near
    # Recall weighs more than precision (beta = 2).
    assert chrf("the cat", "the cat sat on the mat") < chrf("the cat sat on the mat", "the cat")


def test_ntrex_document_with_merges_and_drops() -> None:
    ids = (NTREX / "DOCUMENT_IDS.tsv").read_text(encoding="utf-8").splitlines()
    nob = (NTREX / "nob.txt").read_text(encoding="utf-8").splitlines()
    eng = (NTREX / "eng-US.txt").read_text(encoding="utf-8").splitlines()
    size = ids.count(ids[0])
    nob, eng = nob[:size], eng[:size]
    rng = random.Random(7)
    drop = rng.sample(range(1, size), 2)
    target = [e for k, e in enumerate(eng) if k not in drop]
    links = align_sentences([nob[:8], nob[8:]], [target])
    check_cover(links, size, size - 2)
    for k in drop:
        assert ((k,), ()) in pairs(links)


def test_links_with_nothing_to_go_on_are_unsure_not_wrong() -> None:
    """No anchors and no sure neighbour: flagged, with a score that says
    'unknown' (about 0.4), not 'wrong' (it was 0.002)."""
    links = align_sentences(
        [["Dette er en test.", "Den har to setninger."]],
        [["This is a test.", "It has two sentences."]],
    )
    assert [(link.source, link.target) for link in links] == [([0], [0]), ([1], [1])]
    assert all(link.weak and 0.2 < link.score < 0.5 for link in links)


def test_a_short_text_keeps_a_thin_but_matching_link_sure() -> None:
    """A thin link is doubted only among neighbours that speak against the
    order; a neighbour with no anchors at all does not."""
    links = align_sentences(
        [["Kongen besøkte Tromsø.", "Det var en fin dag."]],
        [["The King visited Tromsø.", "It was a nice day."]],
    )
    assert [(link.source, link.target) for link in links] == [([0], [0]), ([1], [1])]
    assert not links[0].weak


# Punctuation structure (issue 26). Each text has no anchors, so length alone
# decides without the rule; each test also checks that turning the rule off
# gives the wrong links, so it fails without the rule.


def _with_and_without(source, target, rule: str):
    on = pairs(align_sentences(source, target))
    off = pairs(align_sentences(source, target, params=AlignParams(**{rule: 0.0})))
    return on, off


def test_a_headline_without_counterpart_stays_alone() -> None:
    # A line without a final stop (a sub-heading) is not merged into the
    # sentence after it, whose translation ends with a full stop.
    source = [
        [
            "Vi reiste tidlig om morgenen.",
            "Mye regn og vind på fjellet",
            "Været var dårlig hele dagen lang.",
        ]
    ]
    target = [["We left early in the morning.", "It rained all day."]]
    on, off = _with_and_without(source, target, "end_penalty")
    assert on == [((0,), (0,)), ((1,), ()), ((2,), (1,))]
    assert off == [((0, 1), (0,)), ((2,), (1,))]


def test_sentence_stops_find_a_merge() -> None:
    # "Det regnet." is not a sentence without counterpart: the target unit
    # holds two sentences, as the two source sentences are.
    source = [["Vi reiste tidlig om morgenen.", "Det regnet.", "Alle kom trygt hjem."]]
    target = [["We left early in the morning. It rained.", "Everybody got home safely."]]
    on, off = _with_and_without(source, target, "stop_penalty")
    assert on == [((0, 1), (0,)), ((2,), (1,))]
    assert off == [((0,), (0,)), ((1,), ()), ((2,), (1,))]


def test_a_translator_merge_is_not_penalised_for_the_stop_it_drops() -> None:
    # Two sentences joined with a comma or "and": one stop fewer is what a
    # merge does, so the 2-1 link pays nothing for it (without that slack,
    # these come out as a 1-1 link and a sentence without counterpart).
    target_end = "Everybody got home safely."
    cases = [
        (
            ["Vi reiste tidlig om morgenen.", "Det regnet."],
            "We left early in the morning, and it rained.",
        ),
        (
            ["Hun nikket.", "Vi reiste tidlig om morgenen."],
            "She nodded and we left early in the morning.",
        ),
    ]
    for two, one in cases:
        links = align_sentences([[*two, "Alle kom trygt hjem."]], [[one, target_end]])
        assert pairs(links) == [((0, 1), (0,)), ((2,), (1,))]


def test_sentence_stops_and_end_marks() -> None:
    side = Side(["Han kom. Så gikk han!", "«Nei.»", "Dr. Hansen", "Kilde: NTB"], *[None] * 2)
    assert list(side.cumstops) == [0, 2, 3, 4, 4]
    assert [end_mark(s) for s in side.sentences] == [3, 1, 0, 0]


def test_a_quoted_sentence_is_not_linked_to_an_unquoted_one() -> None:
    # The quoted sentence has no counterpart. (The first version of this test
    # had no first sentence: its one 1-1 link then hung on a length ratio
    # estimated from two sentences against one, and on the paragraph penalty
    # that `paragraph_refund` now gives back to a deletion at a paragraph end.)
    quoted = "«Dette er en stor dag for oss alle», sa hun."
    source = [["Vi reiste tidlig om morgenen.", quoted, "Han sa ingenting om dette."]]
    target = [["We left early in the morning.", "He said nothing about that."]]
    on, off = _with_and_without(source, target, "quote_penalty")
    assert on == [((0,), (0,)), ((1,), ()), ((2,), (1,))]
    assert off == [((0,), ()), ((1,), (0,)), ((2,), (1,))]


def test_a_staggered_boundary_makes_a_two_to_two_link() -> None:
    # "A B | C" against "A | B C": each 1-1 half would have a sentence stop
    # too many on one side, in opposite directions; one 2-2 link has none.
    source = [["Vi reiste tidlig om morgenen til Bergen. Det regnet hele dagen."]]
    source[0].append("Alle kom trygt hjem til Oslo.")
    target = [["We left early in the morning for Bergen."]]
    target[0].append("It rained all day. Everybody got home safely to Oslo.")
    on, off = _with_and_without(source, target, "stagger_bonus")
    assert on == [((0, 1), (0, 1))]
    assert off == [((0,), (0,)), ((1,), (1,))]


def test_a_headline_is_not_a_staggered_sentence() -> None:
    # A headline has no stop: a 2-2 link starting with one is no sentence
    # boundary that moved, so it gets no stagger bonus, and the headlines stay
    # linked (when the bonus did not ask for a stop at the end of all four
    # sentences, "Mye regn" came out as a sentence without counterpart and a
    # 2-2 link joined "Rain" to the sentence after it).
    source = [["Mye regn", "Vi reiste tidlig om morgenen til Bergen med toget.", "Det regnet."]]
    target = [["Rain", "We left early in the morning for Bergen by train. It rained."]]
    source[0].append("Alle kom trygt hjem.")
    target[0].append("Everybody got home safely.")
    links = pairs(align_sentences(source, target))
    assert links == [((0,), (0,)), ((1, 2), (1,)), ((3,), (2,))]


def test_a_sentence_without_counterpart_may_end_a_paragraph() -> None:
    # The last sentence of a paragraph has no counterpart. The link before it
    # ends the paragraph on the other side only and pays for that, but the
    # paragraphs do end together right after; without the refund the sentence
    # was moved up a place (source side) or merged into the link (target side).
    start, end = ["Vi reiste tidlig om morgenen."], ["Alle kom trygt hjem."]
    source = [[*start, "Det regnet hele dagen.", "Vinden var svært kald og sterk."], end]
    target = [
        ["We left early in the morning.", "It rained all day."],
        ["Everybody got home safely."],
    ]
    on, off = _with_and_without(source, target, "paragraph_refund")
    assert on == [((0,), (0,)), ((1,), (1,)), ((2,), ()), ((3,), (2,))]
    assert off == [((0,), (0,)), ((1,), ()), ((2,), (1,)), ((3,), (2,))]

    source = [["Vi reiste tidlig om morgenen til Bergen.", "Det regnet hele dagen i Bergen."], end]
    target = [
        ["We left early in the morning for Bergen.", "It rained all day in Bergen."],
        ["Everybody got home safely."],
    ]
    target[0].append("Nobody had an umbrella.")
    on, off = _with_and_without(source, target, "paragraph_refund")
    assert on == [((0,), (0,)), ((1,), (1,)), ((), (2,)), ((2,), (3,))]
    assert off == [((0,), (0,)), ((1,), (1, 2)), ((2,), (3,))]
