"""Bokmål splitting rules, case by case (issue 29).

Two rules keep Norwegian abbreviations and numbers inside their sentence:
the Bokmål non-breaking prefixes added to Moses' list
(`bitext/data/nb_extra_nonbreaking_prefixes.txt`) and the rejoining of a
break after a number, `Kl.` or `Nr.` when the next piece starts with a digit
(`segmentation._rejoin_false_breaks`). Each case below fails when the rule
named beside it is removed; `Kl. 14.00` and `Nr. 5` are held by both, so
they fail only when both go. `scripts/mutation_check.py` removes them to
prove it.
"""

from __future__ import annotations

import pytest

from bitext.segmentation import split_sentences

KEPT_WHOLE = [
    # (sentence, the rule that keeps it whole)
    ("Møtet ledes av ordf. Hansen fra Tromsø.", "prefixes"),
    ("Hun snakket med adm. dir. Kari Nordmann i går.", "prefixes"),
    ("Bl.a. Russland og Kina deltok.", "prefixes"),
    ("F.eks. Kina har sagt nei.", "prefixes"),
    ("Ca. 200 soldater var der.", "prefixes"),
    ("Ifølge avd. Nord er det rolig.", "prefixes"),
    ("Dvs. Norge må betale.", "prefixes"),
    ("Jf. Kina sin uttalelse.", "prefixes"),
    ("Det feires 17. 5. hvert år i Norge.", "rejoin"),
    ("Kl. 14.00 startet møtet i Oslo.", "both"),
    ("Nr. 5 på listen er Kina.", "both"),
    ("Putin fylte 70 år den 7. oktober 2022.", "Moses"),
    ("MØTE: Det ble holdt god avstand da Vladimir Putin (t.h.) hadde besøk søndag.", "Moses"),
]

SPLIT = [
    (
        "Det var ca. 40 personer til stede. Alle var fornøyde.",
        ["Det var ca. 40 personer til stede.", "Alle var fornøyde."],
    ),
    (
        "Årsak? Kjøp av kampfly fra Russland.",
        ["Årsak?", "Kjøp av kampfly fra Russland."],
    ),
    (
        "Kl. 14.00 startet møtet. Det varte i to timer.",
        ["Kl. 14.00 startet møtet.", "Det varte i to timer."],
    ),
]


@pytest.mark.parametrize(("sentence", "rule"), KEPT_WHOLE, ids=[s for s, _ in KEPT_WHOLE])
def test_norwegian_abbreviations_and_numbers_do_not_end_a_sentence(sentence, rule):
    assert split_sentences(sentence, "nb") == [sentence], rule


@pytest.mark.parametrize(("text", "expected"), SPLIT, ids=[t for t, _ in SPLIT])
def test_real_sentence_ends_still_split(text, expected):
    assert split_sentences(text, "nb") == expected
