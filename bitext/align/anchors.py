"""Anchors: what a sentence and its translation share whatever the languages.

Numbers, months, capitalised tokens and acronyms, words spelled alike on
both sides, question marks, exclamation marks and quotes, as feature
strings (`anchors`). `AnchorIndex` keeps those of a document pair that
occur on *both* sides, weighted by how rare they are, with where each
occurs: the aligner's cost model and link scores read them from there.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import numpy as np

__all__ = ["AnchorIndex", "anchors"]

_MONTHS = {
    1: "jan januar january januari janvier enero gennaio",
    2: "feb februar february februari février febrero",
    3: "mar mars march märz maart marzo",
    4: "apr april avril abril",
    5: "mai may maj mei mayo",
    6: "jun juni june juin junio",
    7: "jul juli july juillet julio",
    8: "aug august augusti augustus août agosto",
    9: "sep sept september septembre septiembre",
    10: "okt oktober october oct octobre octubre",
    11: "nov november novembre noviembre",
    12: "des dec desember december dezember décembre diciembre",
}
_MONTH_OF = {name: number for number, names in _MONTHS.items() for name in names.split()}
# Words that name the same thing in Norwegian, Danish, Swedish, German and
# English but are spelled differently: weekdays, number words, and the
# countries and institutions most often in the news. Forms that are common
# words in another of these languages ("to", "fire", "en", "one") are left out.
_CONCEPTS = {
    "mon": "mandag måndag montag monday",
    "tue": "tirsdag tirsdagen tysdag tisdag dienstag tuesday",
    "wed": "onsdag onsdagen mittwoch wednesday",
    "thu": "torsdag torsdagen donnerstag thursday",
    "fri": "fredag fredagen freitag friday",
    "sat": "lørdag lørdagen laurdag lördag samstag saturday",
    "sun": "søndag søndagen sundag söndag sonntag sunday",
    "3": "tre drei three",
    "5": "fem fünf five",
    "6": "seks sechs six",
    "7": "sju syv sieben seven",
    "8": "åtte otte acht eight åtta",
    "9": "neun nine nio",
    "10": "ti zehn ten tio",
    "11": "elleve elf eleven",
    "12": "tolv zwölf twelve",
    "20": "tjue tyve zwanzig twenty tjugo",
    "100": "hundre hundrede hundert hundred",
    "1000": "tusen tusind tausend thousand",
    "1e6": "million millioner millionen millions miljon miljoner mill",
    "1e9": "milliard milliarder milliarden billion billions miljard miljarder mrd",
    "%": "% prosent procent prozent percent",
    "china": "kina kinas kinesisk kinesiske china chinas chinese chinesische chinesischen",
    "germany": "tyskland tysklands tysk tyske germany german germans deutschland deutsche"
    " deutschen",
    "norway": "norge norges norsk norske norway norwegian norwegen norwegische",
    "sweden": "sverige sveriges svensk svenske sweden swedish schweden",
    "denmark": "danmark danmarks dansk danske denmark danish dänemark",
    "france": "frankrike frankrig fransk franske france french frankreich französische",
    "britain": "storbritannia storbritannien britisk britiske britain british"
    " großbritannien britische",
    "usa": "usa us amerika amerikansk amerikanske america american americans amerikanische",
    "spain": "spania spanien spansk spanske spain spanish",
    "un": "fn un uno",
    "police": "politi politiet polizei police polis polisen",
    "government": "regjering regjeringen regering regeringen regierung government",
    "king": "konge kongen kong king könig kung",
    "queen": "dronning dronningen queen königin drottning",
}
_CONCEPT_OF = {word: key for key, words in _CONCEPTS.items() for word in words.split()}

# Short forms that are common words in some language are only taken capitalised.
_MONTH_NEEDS_CAPITAL = {"may", "mar"}

# Numbers: groups of three digits after a space (or a no-break space) are
# one number, as Norwegian, Swedish and French write thousands ("380 000" is
# "380.000" in German and "380,000" in English).
_TOKEN = re.compile(
    r"(?<!\d)\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d+)?(?!\d)|\d+(?:[.,:]\d+)*|\w+|[?!%]"
    r"|[\"«»“”„‟\u201e]",
    re.UNICODE,
)
_QUOTES = set('"«»“”„‟')
_NON_DIGIT = re.compile(r"\D")


def _fold(word: str) -> str:
    """Lower-case and strip accents (Zürich/Zurich; ø and æ stay)."""
    folded = word.lower()
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _word_features(token: str, first_word: bool) -> tuple[str, ...]:
    """Anchors of one word token (not a number, not punctuation)."""
    features: list[str] = []
    ch = token[0]
    folded = _fold(token)
    concept = _CONCEPT_OF.get(folded)
    if concept is not None:
        features.append("k:" + concept)
    month = _MONTH_OF.get(folded)
    if month is not None and (ch.isupper() or folded not in _MONTH_NEEDS_CAPITAL):
        features.append(f"m:{month}")
    if len(token) >= 5:
        features.append("w:" + folded)  # spelled alike: names, loans
        features.append("p:" + folded[:4])  # cognates: parlament/parliament
    if ch.isupper() and len(token) >= 2:
        acronym = token.isupper()
        if not first_word or acronym:
            features.append("c:" + folded)  # names and acronyms
            if len(folded) >= 4 and not acronym:
                features.append("p:" + folded[:4])  # Russland/Russia
    return tuple(features)


def anchors(sentence: str, cache: dict | None = None) -> set[str]:
    """The language-independent anchors of a sentence, as feature strings.

    `cache` (any dict) memoises the features of words across calls.

    >>> sorted(anchors("Trump møtte Kim 12. mars 2019?"))
    ['?', 'c:kim', 'm:3', 'n:12', 'n:2019', 'p:møtt', 'p:trum', 'w:møtte', 'w:trump']
    """
    if cache is None:
        cache = {}
    features: set[str] = set()
    first_word = True
    for token in _TOKEN.findall(sentence):
        ch = token[0]
        if ch.isdigit():
            features.add("n:" + _NON_DIGIT.sub("", token))
            first_word = False
        elif ch == "?" or ch == "!":
            features.add(ch)
        elif ch == "%":
            features.add("k:%")
        elif ch in _QUOTES:
            features.add('"')
        elif not token.isdigit() and "_" not in token:
            key = (token, first_word)
            got = cache.get(key)
            if got is None:
                got = cache[key] = _word_features(token, first_word)
            features.update(got)
            first_word = False
    return features


Postings = dict[str, list[int]]
"""Anchor -> the sentences holding it, in increasing order."""


def postings(feats: list[dict[str, float]]) -> Postings:
    found: Postings = {}
    for t, fs in enumerate(feats):
        for f in fs:
            found.setdefault(f, []).append(t)
    return found


@dataclass
class AnchorIndex:
    """The anchors of a document pair found on both sides, and where they are.

    `src_feats[i]` maps each shared anchor of source sentence i to its weight
    (log(1 + sentences / sentences holding it)); `src_cummass` is the running
    sum of those weights; `src_pair_feats[i]` holds the anchors sentences i
    and i+1 have in common, for exact overlaps of merged units. The `tgt_`
    fields are the same for the target; postings say where each anchor is.
    """

    weight: dict[str, float]
    src_feats: list[dict[str, float]]
    tgt_feats: list[dict[str, float]]
    src_cummass: np.ndarray
    tgt_cummass: np.ndarray
    src_pair_feats: list[dict[str, float]]
    tgt_pair_feats: list[dict[str, float]]
    src_postings: Postings
    tgt_postings: Postings
    tgt_pair_postings: Postings
    src_orphans: np.ndarray
    tgt_orphans: np.ndarray

    @classmethod
    def build(cls, source: list[str], target: list[str]) -> AnchorIndex:
        cache: dict = {}
        src_sets = [anchors(s, cache) for s in source]
        tgt_sets = [anchors(t, cache) for t in target]
        df_src: Counter[str] = Counter(f for fs in src_sets for f in fs)
        df_tgt: Counter[str] = Counter(f for fs in tgt_sets for f in fs)
        shared = df_src.keys() & df_tgt.keys()
        total = len(source) + len(target)
        weight = {f: math.log(1.0 + total / (df_src[f] + df_tgt[f])) for f in shared}
        # In sorted order: `anchors` returns sets, whose order follows the
        # per-process string hash, and sums of weights in another order can
        # differ in the last bit from run to run.
        src_feats = [{f: weight[f] for f in sorted(fs) if f in weight} for fs in src_sets]
        tgt_feats = [{f: weight[f] for f in sorted(fs) if f in weight} for fs in tgt_sets]
        tgt_pair_feats = _neighbour_overlaps(tgt_feats)
        return cls(
            weight=weight,
            src_feats=src_feats,
            tgt_feats=tgt_feats,
            src_cummass=_cumulative_mass(src_feats),
            tgt_cummass=_cumulative_mass(tgt_feats),
            src_pair_feats=_neighbour_overlaps(src_feats),
            tgt_pair_feats=tgt_pair_feats,
            src_postings=postings(src_feats),
            tgt_postings=postings(tgt_feats),
            tgt_pair_postings=postings(tgt_pair_feats),
            src_orphans=_orphans(src_sets, df_tgt),
            tgt_orphans=_orphans(tgt_sets, df_src),
        )


def _cumulative_mass(feats: list[dict[str, float]]) -> np.ndarray:
    mass = np.array([sum(fs.values()) for fs in feats])
    return np.concatenate([[0.0], np.cumsum(mass)])


def _neighbour_overlaps(feats: list[dict[str, float]]) -> list[dict[str, float]]:
    """[s]: the anchors sentences s and s+1 have in common."""
    return [{f: w for f, w in a.items() if f in b} for a, b in zip(feats, feats[1:] + [{}])]


def _orphans(sets: list[set[str]], other: Counter) -> np.ndarray:
    """[i]: how many numbers of sentence i occur nowhere on the other side.

    Digits survive translation, so a sentence with a number the other
    document lacks altogether most likely has no counterpart there.
    """
    return np.array(
        [sum(1 for f in fs if f.startswith("n:") and f not in other) for fs in sets], float
    )
