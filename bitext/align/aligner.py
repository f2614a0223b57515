"""Sentence alignment of a text and its existing translation.

The aligner takes two documents that are already split into paragraphs and
sentences and returns monotone links between them: 1-1, 1-0, 0-1, 1-2, 2-1
and 2-2, within and across paragraphs. It needs no model:

* a Gale-Church length cost (characters, the length ratio estimated from the
  document pair itself);
* lexical anchors that survive translation: numbers, months, capitalised
  tokens and acronyms, words spelled alike on both sides, question marks,
  exclamation marks and quotes. Only anchors that occur on *both* sides of
  the document pair count, weighted by how rare they are, and a candidate
  link scores their Dice overlap;
* paragraph boundaries as soft anchors (a link that ends a paragraph on one
  side only, or merges sentences of two paragraphs, pays a small penalty);
* optionally, when the caller has a machine translation of every source
  sentence, the chrF of that translation against each candidate target (as
  Bleualign does with BLEU).

Dynamic programming runs in a band around the diagonal; when the best path
comes close to the band's edge the band is widened and the alignment redone
(as hunalign does), so time and memory grow linearly with the document.

Each link gets a score in 0..1 (a logistic model of its anchor overlap and
length fit, calibrated on ntrex-dev); links under `WEAK_THRESHOLD` are marked
`weak`, which exporters write as the `weak-alignment` flag. See
docs/alignment.md for the design and the measured numbers.
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "Link",
    "AlignParams",
    "LENGTH_ONLY",
    "WEAK_THRESHOLD",
    "align_sentences",
    "anchors",
    "chrf",
]

WEAK_THRESHOLD = 0.5
"""Links scoring below this are `weak` (exporters flag them 'weak-alignment')."""

# Log-odds model of a link being right (see docs/alignment.md, fitted on
# ntrex-dev): bias, per nat of length cost, per unit of anchor similarity
# above an offset, without any anchor, per unit of chrF above an offset.
SCORE_BIAS = 1.5
SCORE_LENGTH = 0.6
SCORE_ANCHOR = 6.0
SCORE_ANCHOR_OFFSET = 0.25
SCORE_BLIND = 1.5
SCORE_CHRF = 8.0
SCORE_CHRF_OFFSET = 0.25
ALIGN_CHRF_BETA = 1.0  # chrF2 favours recall, so merged units would look as good
MT_BAND = 8  # half-width of the band in which chrF is computed
FULL_TABLE_SIZE = 300  # documents up to this many sentences need no band
SURE_Z = 1.4  # a neighbour this sure (score 0.8) vouches for a blind link
SANDWICH_BONUS = 1.5
# A link sharing less anchor weight than this is thin: when a neighbour within
# SUPPORT_WINDOW links doubts the order and no sure one vouches for it, it is
# unsure (see _Aligner._unsupported).
THIN_EVIDENCE = 8.0
SUPPORT_WINDOW = 2
UNSUPPORTED_Z = -0.5  # such a link is unsure (score 0.38 at most), not known wrong
# Anchors count for a link's score only when the other side has them within
# this many sentences of the link (see _Aligner._local_dice).
LOCAL_WINDOW = 20
# A link is unsure when one of its sentences shares this much anchor weight
# (and RIVAL_RATIO times what the link shares) with a sentence elsewhere.
RIVAL_MIN = 6.0
RIVAL_RATIO = 2.0
RIVAL_PENALTY = 4.0
RIVAL_WINDOW = 150  # sentences searched on each side
RIVAL_MAX_DF = 40  # anchors more common than this are too weak to tell


@dataclass
class Link:
    """One alignment link between consecutive source and target sentences.

    `source` and `target` are indices into the flat sentence lists (0, 1 or 2
    consecutive items each, never both empty).
    """

    source: list[int]
    target: list[int]
    score: float
    weak: bool


# (source sentences, target sentences) of each link type.
LINK_TYPES: tuple[tuple[int, int], ...] = ((1, 1), (1, 0), (0, 1), (2, 1), (1, 2), (2, 2))


@dataclass(frozen=True)
class AlignParams:
    """Weights of the alignment cost; the defaults were tuned on ntrex-dev.

    Costs are in nats (negative log probabilities): a link costs its prior,
    plus its length cost, minus `anchor_weight` times its anchor similarity,
    minus `mt_weight` times its chrF (when translations are given), plus the
    paragraph penalties.
    """

    prior_11: float = 0.0
    prior_del: float = 0.0  # 1-0 and 0-1
    prior_21: float = 2.5  # 2-1 and 1-2
    prior_22: float = 4.0
    length_variance: float = 6.8  # Gale-Church s^2
    length_ratio: float | None = None  # None: estimate from the document pair
    deletion_length_cap: float = 3.0  # length cost of a 1-0/0-1 link is capped
    anchor_weight: float = 6.0
    anchor_offset: float = 0.4  # similarity a link needs to break even
    mt_weight: float = 6.0
    mt_offset: float = 0.3  # chrF a link needs to break even
    paragraph_penalty: float = 1.5  # link ends a paragraph on one side only
    cross_paragraph_penalty: float = 3.0  # a 2-x or x-2 unit spans two paragraphs
    band: int = 30  # initial half-width of the band
    max_widen: int = 4  # times the band may double when the path nears its edge


LENGTH_ONLY = AlignParams(
    prior_11=-math.log(0.89),
    prior_del=-math.log(0.0099 / 2),
    prior_21=-math.log(0.089 / 2),
    prior_22=-math.log(0.011),
    length_ratio=1.0,
    deletion_length_cap=float("inf"),
    anchor_weight=0.0,
    mt_weight=0.0,
    paragraph_penalty=0.0,
    cross_paragraph_penalty=0.0,
)
"""Plain Gale-Church (1993): length costs and their published priors only."""


# --------------------------------------------------------------------------
# Anchors
# --------------------------------------------------------------------------

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

_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*|\w+|[?!%]|[\"«»“”„‟\u201e]", re.UNICODE)
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


# --------------------------------------------------------------------------
# chrF
# --------------------------------------------------------------------------


def _char_ngrams(text: str, order: int) -> list[Counter[str]]:
    chars = "".join(text.split())
    return [
        Counter(chars[k : k + n] for k in range(len(chars) - n + 1)) for n in range(1, order + 1)
    ]


def _matches(hyp: Counter[str], ref: Counter[str]) -> int:
    """Clipped n-gram matches: the size of the multiset intersection."""
    if len(hyp) > len(ref):
        hyp, ref = ref, hyp
    return sum(min(c, ref[g]) for g, c in hyp.items() if g in ref)


def chrf(hypothesis: str, reference: str, *, order: int = 6, beta: float = 2.0) -> float:
    """chrF (Popović 2015) of one sentence pair, 0..1.

    Character n-grams of orders 1..`order`, whitespace removed; precision and
    recall are averaged over the orders present on both sides, then combined
    into the F-beta score, as in the original chrF. (sacrebleu 2 averages
    per-order F-scores instead, so its values differ slightly.)
    """
    hyp = _char_ngrams(hypothesis, order)
    ref = _char_ngrams(reference, order)
    matches = [_matches(h, r) for h, r in zip(hyp, ref)]
    return _chrf_from_counts(
        np.array(matches, float),
        np.array([sum(h.values()) for h in hyp], float),
        np.array([sum(r.values()) for r in ref], float),
        beta,
    )


def _chrf_from_counts(match, hyp, ref, beta: float):
    """chrF from per-order counts; arrays of shape (order, ...) broadcast."""
    with np.errstate(divide="ignore", invalid="ignore"):
        present = (hyp > 0) & (ref > 0)
        precision = np.where(present, match / np.where(hyp > 0, hyp, 1), 0.0)
        recall = np.where(present, match / np.where(ref > 0, ref, 1), 0.0)
        orders = present.sum(axis=0)
        p = precision.sum(axis=0) / np.maximum(orders, 1)
        r = recall.sum(axis=0) / np.maximum(orders, 1)
        b2 = beta * beta
        denominator = b2 * p + r
        safe = np.where(denominator > 0, denominator, 1)
        score = np.where(denominator > 0, (1 + b2) * p * r / safe, 0.0)
    if np.ndim(score) == 0:
        return float(score)
    return score


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


def _flatten(paragraphs: list[list[str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Flat sentences, plus flags: sentence starts / ends a paragraph."""
    sentences: list[str] = []
    starts: list[bool] = []
    ends: list[bool] = []
    for paragraph in paragraphs:
        kept = [s for s in paragraph]
        for k, sentence in enumerate(kept):
            sentences.append(sentence)
            starts.append(k == 0)
            ends.append(k == len(kept) - 1)
    return sentences, np.array(starts, bool), np.array(ends, bool)


_ERFCC = (
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
    0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
)  # fmt: skip


def _phi_tail_cost(z: np.ndarray) -> np.ndarray:
    """-log(2 * (1 - Phi(|z|))), the Gale-Church length cost, vectorised.

    Uses the complementary error function approximation of Numerical Recipes
    (erfcc, fractional error below 1.2e-7), in log space so it never
    overflows.
    """
    x = np.abs(z) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.5 * x)
    poly = np.zeros_like(t)
    for c in _ERFCC[::-1]:
        poly = poly * t + c
    poly = poly - x * x
    # erfc(x) = t * exp(poly); 2 * (1 - Phi(|z|)) = erfc(|z| / sqrt 2)
    return -(np.log(t) + poly)


@dataclass
class _Side:
    sentences: list[str]
    starts: np.ndarray
    ends: np.ndarray
    cumlen: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        lengths = np.array([len(s.strip()) for s in self.sentences], float)
        self.cumlen = np.concatenate([[0.0], np.cumsum(lengths)])


# --------------------------------------------------------------------------
# The aligner
# --------------------------------------------------------------------------


def align_sentences(
    source: list[list[str]],
    target: list[list[str]],
    *,
    source_lang: str = "nb",
    target_lang: str = "en",
    translations: list[str] | None = None,
    band: int | None = None,
    params: AlignParams | None = None,
) -> list[Link]:
    """Align two documents given as paragraphs of sentences.

    Returns monotone links that cover every flat source and target sentence
    exactly once, in order. `translations`, when given, holds a machine
    translation of each flat source sentence (into the target language); its
    chrF against candidate targets is added to the anchor similarity. `band`
    is the initial half-width of the dynamic-programming band (in sentences);
    the band widens by itself when the path nears its edge. `params` replaces
    the tuned cost weights (`LENGTH_ONLY` gives plain Gale-Church).
    The language codes are accepted for future use; the anchors are
    language-independent.
    """
    del source_lang, target_lang  # anchors are language independent
    p = params or AlignParams()
    src = _Side(*_flatten(source))
    tgt = _Side(*_flatten(target))
    n, m = len(src.sentences), len(tgt.sentences)
    if translations is not None and len(translations) != n:
        raise ValueError(f"{len(translations)} translations for {n} source sentences")
    if n == 0 or m == 0:
        return [Link([i], [], 0.0, True) for i in range(n)] + [
            Link([], [j], 0.0, True) for j in range(m)
        ]
    aligner = _Aligner(src, tgt, p, translations)
    if band is None:
        # Short documents get the full table; long ones a band that widens.
        band = max(n, m) if max(n, m) <= FULL_TABLE_SIZE else p.band
    half = max(band, 2)
    center = None
    for _ in range(p.max_widen + 1):
        path, touched = aligner.run(half, center)
        if not touched or half >= max(n, m):
            break
        # The path ran along the band's edge: follow it with a wider band.
        center = _path_center(path, n)
        half *= 2
    if aligner.use_mt:
        # chrF is costly: the first passes ran without it, this one scores it
        # in a narrow band around their path.
        aligner.mt_active = True
        path, _ = aligner.run(min(MT_BAND, max(n, m)), _path_center(path, n))
    links = None  # the scored path, kept while the path and the ratio stand
    if half < max(n, m):
        links = aligner.links(path)
        if sum(link.weak for link in links) > 0.25 * len(links):
            # Many weak links can mean the band kept the path from the truth.
            cost = aligner.last_cost
            wide_path, _ = aligner.run(min(4 * half, max(n, m)))
            if aligner.last_cost < cost:
                path, links = wide_path, None
    if p.length_ratio is None and aligner.refit_ratio(path):
        # Sentences without counterpart skewed the length ratio: redo with
        # the ratio of the 1-1 links found.
        path, _ = aligner.run(half, _path_center(path, n))
        links = None
    return links if links is not None else aligner.links(path)


def _path_center(path: list[tuple[int, int, int, int]], n: int) -> np.ndarray:
    """Band centre per row: the middle of the columns the path visits there."""
    lo = np.full(n + 1, np.iinfo(np.int64).max)
    hi = np.full(n + 1, -1)
    for i0, i1, j0, j1 in path:
        # The row inside a 2-x link is not on the path: take the link's middle.
        for i, j in ((i0, j0), (i1, j1), ((i0 + i1) // 2, (j0 + j1) // 2)):
            lo[i] = min(lo[i], j)
            hi[i] = max(hi[i], j)
    return (lo + hi) // 2


class _NoPath(RuntimeError):
    """The band held no complete path."""


class _Aligner:
    def __init__(self, src: _Side, tgt: _Side, p: AlignParams, translations) -> None:
        self.src, self.tgt, self.p = src, tgt, p
        self.n, self.m = len(src.sentences), len(tgt.sentences)
        total_s, total_t = src.cumlen[-1], tgt.cumlen[-1]
        if p.length_ratio is not None:
            self.ratio = p.length_ratio
        else:
            self.ratio = float(total_t / total_s) if total_s > 0 and total_t > 0 else 1.0
            self.ratio = min(max(self.ratio, 0.25), 4.0)
        self.use_anchors = p.anchor_weight > 0
        self.use_mt = translations is not None and p.mt_weight > 0
        self.mt_active = False  # chrF only enters the final pass
        self.translations = translations
        self.src_ends = np.concatenate([[False], src.ends])  # [i]: sentence i-1 ends a paragraph
        self.tgt_ends = np.concatenate([[False], tgt.ends])
        if self.use_anchors:
            self._prepare_anchors()
        if self.use_mt:
            self._prepare_mt()

    def refit_ratio(self, path: list[tuple[int, int, int, int]]) -> bool:
        """Re-estimate the length ratio from 1-1 links; True if it moved > 10%."""
        ls = lt = 0.0
        for i0, i1, j0, j1 in path:
            if i1 - i0 == 1 and j1 - j0 == 1:
                ls += self.src.cumlen[i1] - self.src.cumlen[i0]
                lt += self.tgt.cumlen[j1] - self.tgt.cumlen[j0]
        if ls <= 0 or lt <= 0:
            return False
        ratio = min(max(lt / ls, 0.25), 4.0)
        if abs(math.log(ratio / self.ratio)) <= 0.1:
            return False
        self.ratio = float(ratio)
        return True

    # ---- anchors --------------------------------------------------------

    def _prepare_anchors(self) -> None:
        cache: dict = {}
        src_feats = [anchors(s, cache) for s in self.src.sentences]
        tgt_feats = [anchors(t, cache) for t in self.tgt.sentences]
        df_src: Counter[str] = Counter(f for fs in src_feats for f in fs)
        df_tgt: Counter[str] = Counter(f for fs in tgt_feats for f in fs)
        shared = df_src.keys() & df_tgt.keys()
        total = self.n + self.m
        weight = {f: math.log(1.0 + total / (df_src[f] + df_tgt[f])) for f in shared}
        self.weight = weight
        # In sorted order: `anchors` returns sets, whose order follows the
        # per-process string hash, and sums of weights in another order can
        # differ in the last bit from run to run.
        self.src_feats = [{f: weight[f] for f in sorted(fs) if f in weight} for fs in src_feats]
        self.tgt_feats = [{f: weight[f] for f in sorted(fs) if f in weight} for fs in tgt_feats]
        src_mass = np.array([sum(fs.values()) for fs in self.src_feats])
        tgt_mass = np.array([sum(fs.values()) for fs in self.tgt_feats])
        self.src_cummass = np.concatenate([[0.0], np.cumsum(src_mass)])
        self.tgt_cummass = np.concatenate([[0.0], np.cumsum(tgt_mass)])
        # Anchors shared by neighbouring sentences, for exact overlaps of
        # merged units: [s] holds what sentences s and s+1 have in common.
        self.src_pair_feats = [
            {f: w for f, w in a.items() if f in b}
            for a, b in zip(self.src_feats, self.src_feats[1:] + [{}])
        ]
        self.tgt_pair_feats = [
            {f: w for f, w in a.items() if f in b}
            for a, b in zip(self.tgt_feats, self.tgt_feats[1:] + [{}])
        ]
        self.postings = self._postings(self.tgt_feats)
        self.src_postings = self._postings(self.src_feats)
        self.pair_postings = self._postings(self.tgt_pair_feats)

    @staticmethod
    def _postings(feats: list[dict[str, float]]) -> dict[str, list[int]]:
        postings: dict[str, list[int]] = {}
        for t, fs in enumerate(feats):
            for f in fs:
                postings.setdefault(f, []).append(t)
        return postings

    def _prepare_mt(self) -> None:
        order = 6
        self.hyp_grams = [_char_ngrams(t, order) for t in self.translations]
        self.ref_grams = [_char_ngrams(t, order) for t in self.tgt.sentences]
        hyp_tot = np.array([[sum(c.values()) for c in h] for h in self.hyp_grams], float)
        ref_tot = np.array([[sum(c.values()) for c in r] for r in self.ref_grams], float)
        self.hyp_cum = np.concatenate([np.zeros((1, order)), np.cumsum(hyp_tot, 0)])
        self.ref_cum = np.concatenate([np.zeros((1, order)), np.cumsum(ref_tot, 0)])
        self.mt_cache: dict[tuple[int, int], list[int]] = {}

    # ---- band ----------------------------------------------------------

    def _setup_band(self, half: int, center: np.ndarray | None) -> None:
        n, m = self.n, self.m
        self.width = 2 * half + 1
        if center is None:
            center = np.rint(np.arange(n + 1) * (m / n)).astype(np.int64)
        self.lo = center - half  # column j of row i sits at k = j - lo[i]
        # Sentence-pair tables: source sentence s (used by rows s+1 and s+2)
        # against target sentences t in [plo[s], plo[s] + pwidth).
        lo_next = self.lo[1:]
        lo_next2 = np.concatenate([self.lo[2:], self.lo[-1:]])
        self.plo = np.minimum(lo_next, lo_next2) - 2
        self.pwidth = int(np.max(np.maximum(lo_next, lo_next2) - self.plo)) + self.width
        if self.use_anchors:
            # Weighted anchors in common of: sentence s and sentence t; the
            # pair s, s+1 and t; s and the pair t, t+1; both pairs.
            self.overlap = self._pairwise_overlap(self.src_feats, self.postings)
            self.overlap_s2 = self._pairwise_overlap(self.src_pair_feats, self.postings)
            self.overlap_t2 = self._pairwise_overlap(self.src_feats, self.pair_postings)
            self.overlap_22 = self._pairwise_overlap(self.src_pair_feats, self.pair_postings)
        if self.mt_active:
            self.mt_counts = self._pairwise_chrf_counts()

    def _pairwise_overlap(self, src_feats, postings) -> np.ndarray:
        overlap = np.zeros((self.n, self.pwidth))
        for s, fs in enumerate(src_feats):
            lo = int(self.plo[s])
            hi = lo + self.pwidth
            row = overlap[s]
            for f, w in fs.items():
                plist = postings.get(f)
                if plist is None:
                    continue
                k = bisect_left(plist, lo)
                while k < len(plist) and plist[k] < hi:
                    row[plist[k] - lo] += w
                    k += 1
        return overlap

    def _pairwise_chrf_counts(self) -> np.ndarray:
        """Per-order char n-gram matches of each translation with nearby targets.

        Merged units add the counts of their sentences, an approximation of
        the chrF of the concatenation that ignores n-grams across the join.
        """
        order = self.hyp_cum.shape[1]
        counts = np.zeros((self.n, self.pwidth, order))
        cache = self.mt_cache
        for s in range(self.n):
            lo = int(self.plo[s])
            hyp = self.hyp_grams[s]
            for t in range(max(lo, 0), min(lo + self.pwidth, self.m)):
                got = cache.get((s, t))
                if got is None:
                    got = [_matches(h, r) for h, r in zip(hyp, self.ref_grams[t])]
                    cache[(s, t)] = got
                counts[s, t - lo] = got
        return counts

    def _pair_values(self, table: np.ndarray, S: np.ndarray, T: np.ndarray) -> np.ndarray:
        """table[s, t] for arrays of source sentences S and target sentences T."""
        S = np.clip(S, 0, self.n - 1)
        K = T - self.plo[S]
        ok = (K >= 0) & (K < self.pwidth) & (T >= 0) & (T < self.m)
        values = table[S, np.where(ok, K, 0)]
        if values.ndim > ok.ndim:
            ok = ok[..., None]
        return np.where(ok, values, 0.0)

    # ---- link costs ------------------------------------------------------

    def _length_cost(self, ls: np.ndarray, lt: np.ndarray) -> np.ndarray:
        c, s2 = self.ratio, self.p.length_variance
        mean = (ls + lt / c) / 2.0
        z = (c * ls - lt) / np.sqrt(np.maximum(mean, 1e-9) * s2)
        return _phi_tail_cost(z)

    def _evidence(self, a: int, b: int, ii: np.ndarray, jj: np.ndarray, anchors: bool = True):
        """Length cost, anchor similarity, anchor mass and chrF of links.

        The links cover source sentences ii-a..ii-1 and target sentences
        jj-b..jj-1 (ii and jj broadcast; indices are clipped, so callers mask
        impossible links themselves). `anchors=False` leaves the banded
        anchor tables out (the scores count anchors locally instead).
        """
        n, m = self.n, self.m
        iic = np.clip(ii, a, n)
        jjc = np.clip(jj, b, m)
        ls = self.src.cumlen[iic] - self.src.cumlen[iic - a]
        lt = self.tgt.cumlen[jjc] - self.tgt.cumlen[jjc - b]
        length = self._length_cost(ls, lt)
        sim = mass = chrf_score = None
        if anchors and self.use_anchors and a and b:
            # Overlap of the units as multisets of anchors, by inclusion-exclusion.
            ov = 0.0
            for da in range(1, a + 1):
                for db in range(1, b + 1):
                    ov = ov + self._pair_values(self.overlap, iic - da, jjc - db)
            if a == 2:
                for db in range(1, b + 1):
                    ov = ov - self._pair_values(self.overlap_s2, iic - 2, jjc - db)
            if b == 2:
                for da in range(1, a + 1):
                    ov = ov - self._pair_values(self.overlap_t2, iic - da, jjc - 2)
            if a == b == 2:
                ov = ov + 2 * self._pair_values(self.overlap_22, iic - 2, jjc - 2)
            mass = (self.src_cummass[iic] - self.src_cummass[iic - a]) + (
                self.tgt_cummass[jjc] - self.tgt_cummass[jjc - b]
            )
            with np.errstate(divide="ignore", invalid="ignore"):
                sim = np.where(mass > 0, np.minimum(2 * ov / mass, 1.0), 0.0)
        if self.mt_active and a and b:
            match = 0.0
            for da in range(1, a + 1):
                for db in range(1, b + 1):
                    match = match + self._pair_values(self.mt_counts, iic - da, jjc - db)
            hyp = self.hyp_cum[iic] - self.hyp_cum[iic - a]
            ref = self.ref_cum[jjc] - self.ref_cum[jjc - b]
            match, hyp, ref = np.broadcast_arrays(match, hyp, ref)
            match = np.minimum(match, np.minimum(hyp, ref))
            chrf_score = _chrf_from_counts(
                np.moveaxis(match, -1, 0),
                np.moveaxis(hyp, -1, 0),
                np.moveaxis(ref, -1, 0),
                ALIGN_CHRF_BETA,
            )
        return length, sim, mass, chrf_score

    def _cost(self, a: int, b: int, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
        p = self.p
        length, sim, mass, chrf_score = self._evidence(a, b, ii, jj)
        if a == 0 or b == 0:
            return np.minimum(length, p.deletion_length_cap) + p.prior_del
        prior = p.prior_11 if a == b == 1 else p.prior_22 if a == b == 2 else p.prior_21
        cost = length + prior
        if sim is not None:
            cost = cost - p.anchor_weight * np.where(mass > 0, sim - p.anchor_offset, 0.0)
        if chrf_score is not None:
            cost = cost - p.mt_weight * (chrf_score - p.mt_offset)
        if p.paragraph_penalty or p.cross_paragraph_penalty:
            iic = np.clip(ii, a, self.n)
            jjc = np.clip(jj, b, self.m)
            cost = cost + p.paragraph_penalty * (self.src_ends[iic] != self.tgt_ends[jjc])
            if a == 2:
                cost = cost + p.cross_paragraph_penalty * self.src_ends[iic - 1]
            if b == 2:
                cost = cost + p.cross_paragraph_penalty * self.tgt_ends[jjc - 1]
        return cost

    # ---- dynamic programming --------------------------------------------

    def run(self, half: int, center: np.ndarray | None = None):
        """Best path in a band; also whether the path ran along the band's edge.

        A band that leaves no way through (a very uneven pair, or a centre
        taken from a path with long runs of 0-1 links) falls back to the
        full table rather than failing.
        """
        try:
            return self._run_band(half, center)
        except _NoPath:
            return self._run_band(max(self.n, self.m) + 2, None)

    def _run_band(self, half: int, center: np.ndarray | None):
        self._setup_band(half, center)
        n, m, width, lo = self.n, self.m, self.width, self.lo
        inf = np.inf
        D = np.full((n + 1, width), inf)
        back = np.full((n + 1, width), -1, np.int8)
        ks = np.arange(width)
        insert_type = LINK_TYPES.index((0, 1))
        # 0-1 links do not depend on the row: cost of target sentence j-1.
        all_j = np.arange(m + 1)
        insert_cost = self._cost(0, 1, np.zeros(1, np.int64), all_j)
        insert_cost[0] = 0.0
        insert_pad = np.concatenate([np.zeros(width), insert_cost, np.zeros(width)])
        row_types = [(t, a, b) for t, (a, b) in enumerate(LINK_TYPES) if a > 0]
        inf_row = np.full(width, inf)
        none_row = np.full(width, -1, np.int8)
        lo_list = lo.tolist()
        chunk = 1024
        for c0 in range(0, n + 1, chunk):
            rows = np.arange(c0, min(c0 + chunk, n + 1))
            ii = rows[:, None]
            jj = lo[rows][:, None] + ks[None, :]
            costs = {t: self._cost(a, b, ii, jj) for t, a, b in row_types}
            for r, i in enumerate(rows.tolist()):
                j0 = lo_list[i]
                best = inf_row.copy()
                choice = none_row.copy()
                if i == 0:
                    if 0 <= -j0 < width:
                        best[-j0] = 0.0
                else:
                    for t, a, b in row_types:
                        if i - a < 0:
                            continue
                        # D[i-a, j-b] sits at k + off in row i-a.
                        off = j0 - b - lo_list[i - a]
                        k_start = max(0, -off)
                        k_stop = min(width, width - off)
                        if k_start >= k_stop:
                            continue
                        cand = D[i - a, k_start + off : k_stop + off] + costs[t][r, k_start:k_stop]
                        seg = best[k_start:k_stop]
                        better = cand < seg
                        seg[better] = cand[better]
                        choice[k_start:k_stop][better] = t
                edge = j0 < 0 or j0 + width - 1 > m
                if edge:  # columns outside 0..m stay impossible
                    outside = (ks + j0 < 0) | (ks + j0 > m)
                    best[outside] = inf
                # 0-1 links inside the row: D[j] = min(best[j], D[j-1] + ins[j]).
                ins = insert_pad[j0 + width : j0 + 2 * width].copy()
                ins[0] = 0.0
                csum = np.cumsum(ins)
                row = best - csum
                np.minimum.accumulate(row, out=row)
                row += csum
                if edge:
                    row[outside] = inf
                choice[row < best - 1e-9] = insert_type
                D[i] = row
                back[i] = choice
        end = m - int(lo[n])
        if not 0 <= end < width or not np.isfinite(D[n, end]):
            raise _NoPath("the band does not reach the end of both texts")
        self.last_cost = float(D[n, end])
        # Backtrack.
        path: list[tuple[int, int, int, int]] = []
        i, j = n, m
        touched = False
        while i > 0 or j > 0:
            k = j - int(lo[i])
            t = int(back[i, k]) if 0 <= k < width else -1
            if t < 0:
                raise _NoPath("alignment path lost its way (band too narrow)")
            a, b = LINK_TYPES[t]
            if (k <= 1 and lo[i] > 0) or (k >= width - 2 and lo[i] + width - 1 < m):
                touched = True
            path.append((i - a, i, j - b, j))
            i, j = i - a, j - b
        path.reverse()
        return path, touched

    # ---- scores ------------------------------------------------------------

    def links(self, path: list[tuple[int, int, int, int]]) -> list[Link]:
        z = np.zeros(len(path))
        informed = np.ones(len(path), bool)
        by_type: dict[tuple[int, int], list[int]] = {}
        for x, (i0, i1, j0, j1) in enumerate(path):
            by_type.setdefault((i1 - i0, j1 - j0), []).append(x)
        for (a, b), members in by_type.items():
            ii = np.array([path[x][1] for x in members])
            jj = np.array([path[x][3] for x in members])
            z[members], informed[members] = self._evidence_z(a, b, ii, jj)
        if self.use_anchors:
            shared = self._shared_weight(path)
            z = z - self._better_elsewhere(path, shared)
            unsupported = self._unsupported(path, z, shared, informed)
            z = np.where(unsupported, np.minimum(z, UNSUPPORTED_Z), z)
        else:
            unsupported = np.zeros(len(path), bool)
        # A link with nothing but its length to go on is as sure as its
        # neighbours: between two sure links (or a sure link and the start or
        # end of the document) it is most likely right.
        sure = np.concatenate([[True], z >= SURE_Z, [True]])
        sandwiched = ~informed & ~unsupported & sure[:-2] & sure[2:]
        z = z + np.where(sandwiched, SANDWICH_BONUS, 0.0)
        scores = 1.0 / (1.0 + np.exp(-z))
        return [
            Link(list(range(i0, i1)), list(range(j0, j1)), float(s), bool(s < WEAK_THRESHOLD))
            for (i0, i1, j0, j1), s in zip(path, scores)
        ]

    def _best_match(self, feats: dict[str, float], postings, skip: range, centre: int) -> float:
        """Largest anchor weight `feats` shares with one sentence near `centre`."""
        lo, hi = centre - RIVAL_WINDOW, centre + RIVAL_WINDOW
        shared: dict[int, float] = {}
        for f, w in feats.items():
            plist = postings.get(f)
            if plist is None or len(plist) > RIVAL_MAX_DF:
                continue
            for k in range(bisect_left(plist, lo), bisect_left(plist, hi)):
                other = plist[k]
                if other not in skip:
                    shared[other] = shared.get(other, 0.0) + w
        return max(shared.values(), default=0.0)

    def _shared_weight(self, path: list[tuple[int, int, int, int]]) -> np.ndarray:
        """Anchor weight the two sides of each link have in common."""
        shared = np.zeros(len(path))
        for x, (i0, i1, j0, j1) in enumerate(path):
            if i0 == i1 or j0 == j1:
                continue
            src = {f: w for i in range(i0, i1) for f, w in self.src_feats[i].items()}
            tgt = {f for j in range(j0, j1) for f in self.tgt_feats[j]}
            shared[x] = sum(w for f, w in src.items() if f in tgt)
        return shared

    def _better_elsewhere(
        self, path: list[tuple[int, int, int, int]], shared: np.ndarray
    ) -> np.ndarray:
        """Penalty for links whose sentences share clearly more anchors elsewhere.

        The path is monotone, so when paragraphs were reordered it is forced
        through pairs that are not translations. Those pairs may still share
        an anchor or two, but their sentences share far more with their true
        counterparts, somewhere else in the document: such links are unsure.
        Sentences next to the link do not count as rivals: merges and drops
        there are the dynamic programme's own business.
        """
        penalty = np.zeros(len(path))
        for x, (i0, i1, j0, j1) in enumerate(path):
            if i0 == i1 or j0 == j1:
                continue
            near_tgt, near_src = range(j0 - 2, j1 + 2), range(i0 - 2, i1 + 2)
            rivals = [
                self._best_match(self.src_feats[i], self.postings, near_tgt, j0)
                for i in range(i0, i1)
            ]
            rivals += [
                self._best_match(self.tgt_feats[j], self.src_postings, near_src, i0)
                for j in range(j0, j1)
            ]
            rival = max(rivals, default=0.0)
            if rival >= RIVAL_MIN and rival > RIVAL_RATIO * shared[x]:
                penalty[x] = RIVAL_PENALTY
        return penalty

    @staticmethod
    def _unsupported(
        path: list[tuple[int, int, int, int]],
        z: np.ndarray,
        shared: np.ndarray,
        informed: np.ndarray,
    ) -> np.ndarray:
        """Which links are thin, among neighbours that doubt the order, with
        no sure link nearby to vouch for them.

        A link whose sentences share only an anchor or two (a quote mark,
        "police") can score high on its own, since those few anchors match.
        Among correctly ordered sentences such a link sits in a run of sure
        links. Where paragraphs were reordered, the path is forced through
        pairs that are not translations: there its neighbours are links whose
        anchors do not match and sentences left without counterpart, and it
        is unsure too. (Neighbours with no anchors at all say nothing either
        way: a short text of a few plain sentences keeps its sure links.)
        """
        paired = np.array([i0 < i1 and j0 < j1 for i0, i1, j0, j1 in path])
        vouches = paired & (z >= SURE_Z)
        doubts = (paired & informed & (z < 0)) | ~paired
        unsupported = np.zeros(len(path), bool)
        w = SUPPORT_WINDOW
        for x in np.flatnonzero(paired & (shared < THIN_EVIDENCE)):
            before, after = slice(max(0, x - w), x), slice(x + 1, x + 1 + w)
            if vouches[before].any() or vouches[after].any():
                continue
            unsupported[x] = doubts[before].any() or doubts[after].any()
        return unsupported

    def _local_dice(self, a: int, b: int, ii: np.ndarray, jj: np.ndarray):
        """Anchor similarity and mass of links, counting local anchors only.

        In a long document, a word stem or name shared by the two sides
        somewhere far away (`p:leng` of `lenger` and `length`) says nothing
        about this link, but it would count against it. Here an anchor of
        the link counts only when the other side has it within
        `LOCAL_WINDOW` sentences of the link. Short documents are unchanged.
        """
        sims = np.zeros(len(ii))
        masses = np.zeros(len(ii))
        for x, (i1, j1) in enumerate(zip(ii.tolist(), jj.tolist())):
            i0, j0 = i1 - a, j1 - b
            src = self._local_counts(self.src_feats[i0:i1], self.postings, j0, j1)
            tgt = self._local_counts(self.tgt_feats[j0:j1], self.src_postings, i0, i1)
            weight = self.weight
            mass = sum(weight[f] * c for f, c in src.items())
            mass += sum(weight[f] * c for f, c in tgt.items())
            overlap = sum(weight[f] * min(c, tgt[f]) for f, c in src.items() if f in tgt)
            masses[x] = mass
            sims[x] = min(2 * overlap / mass, 1.0) if mass > 0 else 0.0
        return sims, masses

    @staticmethod
    def _local_counts(feats, postings, lo: int, hi: int) -> dict[str, int]:
        """In how many of `feats` each anchor occurs that the other side has near lo..hi."""
        lo, hi = lo - LOCAL_WINDOW, hi + LOCAL_WINDOW
        counts: dict[str, int] = {}
        for sentence in feats:
            for f in sentence:
                plist = postings[f]
                k = bisect_left(plist, lo)
                if k < len(plist) and plist[k] < hi:
                    counts[f] = counts.get(f, 0) + 1
        return counts

    def _evidence_z(self, a: int, b: int, ii: np.ndarray, jj: np.ndarray):
        """Log-odds that links are right, and whether anything but length spoke."""
        if a == 0 or b == 0:
            if not self.use_anchors:
                return np.zeros(len(ii)), np.zeros(len(ii), bool)
            # A sentence without counterpart: sure when it shares no anchor
            # with the sentences around the gap, unsure when it does.
            out = []
            for i, j in zip(ii.tolist(), jj.tolist()):
                if a:
                    mine = self.src_feats[i - 1]
                    others = self.tgt_feats[max(0, j - 2) : j + 2]
                else:
                    mine = self.tgt_feats[j - 1]
                    others = self.src_feats[max(0, i - 2) : i + 2]
                mass = sum(mine.values())
                if mass == 0:
                    out.append(0.4)
                    continue
                shared = max((sum(w for f, w in mine.items() if f in o) for o in others), default=0)
                out.append(2.5 - 3.5 * shared / mass)
            return np.array(out), np.ones(len(ii), bool)
        length, _, _, chrf_score = self._evidence(a, b, ii, jj, anchors=False)
        sim = mass = None
        if self.use_anchors:
            sim, mass = self._local_dice(a, b, ii, jj)
        z = SCORE_BIAS - SCORE_LENGTH * length
        informed = np.zeros(len(ii), bool)
        if sim is not None:
            z = z + np.where(mass > 0, SCORE_ANCHOR * (sim - SCORE_ANCHOR_OFFSET), -SCORE_BLIND)
            informed |= mass > 0
        else:
            z = z - SCORE_BLIND
        if chrf_score is not None:
            z = z + SCORE_CHRF * (chrf_score - SCORE_CHRF_OFFSET)
            informed[:] = True
        return z, informed
