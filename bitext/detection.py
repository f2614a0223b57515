"""Language of each document and block.

langdetect (always seeded, through a private factory) is the base detector.
Three things are layered on top of it, each measured in `bench/detect_eval.py`
and described in `docs/detection.md`:

1. Lexicons of the Scandinavian standards (Bokmål, Nynorsk, Danish,
   Swedish): the same frequent function words in each one's spelling
   (`ikke`/`ikkje`/`ikke`/`inte`, `hva`/`kva`/`hvad`/`vad`, ...), combined
   log-linearly with langdetect. They separate Bokmål from Danish, where
   langdetect alone errs on sentences, and Nynorsk from Bokmål, which
   langdetect does not know.
2. A check for the languages langdetect cannot know. langdetect has no
   Icelandic, Faroese, Irish or Basque model, and calls most Icelandic text
   Norwegian. Icelandic and Faroese are recognised by their letters (þ, ð)
   and function words; any other text that langdetect calls Norwegian must
   also *look* Norwegian (enough common Norwegian words), or it comes out as
   `unknown`. No text is reported as `nb` without that check.
3. A document prior for blocks: a short block (a sub-heading, a two-word
   quote) takes the document's language unless the evidence for another
   language is strong; a longer block in another language (an English quote
   in a Norwegian article) is recognised and reported as that language.

Codes are ISO 639-1 (`nb`, `nn`, `da`, `sv`, `en`, `de`, `is`, `fo`, ...)
plus `unknown` (no letters, or a language we cannot name) and `uncertain`
(a document whose confidence is below `UNCERTAIN_BELOW`).

Nothing happens at import time: langdetect is imported and its profiles
loaded on first use, and cached.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bitext.documents import Document

UNKNOWN = "unknown"
UNCERTAIN = "uncertain"

#: Documents whose confidence falls below this are reported as `uncertain`.
UNCERTAIN_BELOW = 0.5

#: Blocks with fewer words than this count as short: they take the
#: document's language unless the evidence for another one is strong.
SHORT_BLOCK_WORDS = 6

# langdetect's codes that we report differently.
_LANGDETECT_TO_ISO = {"no": "nb", "zh-cn": "zh", "zh-tw": "zh"}

NORDIC = ("nb", "nn", "da", "sv")
INSULAR = ("is", "fo")
_FAMILIES = (NORDIC, INSULAR)

# --------------------------------------------------------------------------
# Word lists. They are curated from general linguistic knowledge (grammar
# books and frequency lists of the written standards), not from any
# evaluation text: function words, pronouns, common adverbs and verb forms.
# --------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Lexicons of the four written Scandinavian standards: the same ~140
# frequent function words, pronouns, adverbs and verb forms, each in that
# standard's spelling (`ikke`/`ikkje`/`ikke`/`inte`, `hva`/`kva`/`hvad`/`vad`,
# `etter`/`etter`/`efter`/`efter`, ...). A word that several standards share
# counts for each of them and so cancels out; only the differences decide.
LEXICONS: dict[str, frozenset[str]] = {
    "nb": _words(
        """
        og i på av til som er det at en et ei den de for med har om ikke var
        seg sier sa han hun vi jeg kan skal vil ble blir fra etter mot ut opp
        inn over under ved mellom uten hos men eller så da når hvis fordi enn
        også bare kun nå ennå fortsatt allerede alle andre annen annet noe
        noen mye mange flere mer mest dette denne disse deres sin sitt sine
        hans hennes hva hvordan hvorfor hvem hvor hver være vært hadde ha hatt
        kunne skulle ville måtte må ingen selv sammen hele helt her der slik
        veldig både siden år dag ny nye første ifølge tidligere senere igjen
        aldri alltid få fikk gikk kom kommer gjør gjøre gjort meg deg oss å
        kanskje mens
        """
    ),
    "nn": _words(
        """
        og i på av til som er det at ein eit ei den dei for med har om ikkje
        var seg seier sa han ho vi eg kan skal vil blei vart blir frå etter mot
        ut opp inn over under ved mellom utan hjå men eller så då når viss
        fordi enn òg også berre no enno framleis allereie alle andre anna
        noko nokon mykje mange fleire meir mest dette denne desse deira sin
        sitt sine hans hennar kva korleis kvifor kven kvar kvart vere vore
        hadde ha hatt kunne skulle ville måtte må ingen sjølv saman heile
        heilt her der slik svært både sidan år dag ny nye første ifølgje
        tidlegare seinare igjen aldri alltid få fekk gjekk kom kjem gjer gjere
        gjort meg deg oss å kanskje medan
        """
    ),
    "da": _words(
        """
        og i på af til som er det at en et den de for med har om ikke var sig
        siger sagde han hun vi jeg kan skal vil blev bliver fra efter mod ud op
        ind over under ved mellem uden hos men eller så da når hvis fordi end
        også bare kun nu endnu fortsat allerede alle andre anden andet noget
        nogen meget mange flere mere mest dette denne disse deres sin sit sine
        hans hendes hvad hvordan hvorfor hvem hvor hver være været havde have
        haft kunne skulle ville måtte må ingen selv sammen hele helt her der
        sådan både siden år dag ny nye første ifølge tidligere senere igen
        aldrig altid få fik gik kom kommer gør gøre gjort mig dig os måske
        mens
        """
    ),
    "sv": _words(
        """
        och i på av till som är det att en ett den de för med har om inte var
        sig säger sa han hon vi jag kan ska vill blev blir från efter mot ut
        upp in över under vid mellan utan hos men eller så då när om eftersom
        än också bara nu ännu fortfarande redan alla andra annan annat något
        några mycket många fler mer mest detta denna dessa deras sin sitt sina
        hans hennes vad hur varför vem var varje vara varit hade ha haft
        kunde skulle ville måste ingen själv tillsammans hela helt här där
        sådan både sedan år dag ny nya första enligt tidigare senare igen
        aldrig alltid få fick gick kom kommer gör göra gjort mig dig oss
        kanske medan
        """
    ),
}

# Common Norwegian words (Bokmål and Nynorsk): used to check that a text
# langdetect calls Norwegian actually looks Norwegian. Shared Scandinavian
# words are in it on purpose: the check is against languages outside the
# family (Icelandic, Faroese, ...); Danish and Swedish are told apart by
# the lexicons above.
NORWEGIAN_COMMON = LEXICONS["nb"] | LEXICONS["nn"]

# Suffixes that mark a standard (counted on words of 6+ letters).
_SUFFIX_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("sjon", ("nb", "nn")),  # nb/nn informasjon; da/sv information
    ("sjonen", ("nb", "nn")),
    ("sjoner", ("nb", "nn")),
    ("tion", ("da", "sv")),
    ("heden", ("da",)),  # nb/sv -het(en); Danish -hed(en)
    ("lege", ("nn",)),  # nn -leg(e)/-legt; nb -lig(e)/-ligt
    ("legt", ("nn",)),
    ("leg", ("nn",)),
    ("lige", ("nb", "da")),  # nb/da -lig(e), sv -lig(a), nn -leg(e)
)

# Icelandic and Faroese: langdetect has no model for either.
ICELANDIC_COMMON = _words(
    """
    og að í á er sem um við það ekki var með hann hún þeir þær þau hefur hafa
    eru voru verið vegna eftir fyrir frá til þess þetta þessi þessu hans
    hennar sínum sína sinni segir sagði mjög einnig líka eða en ef hér þar nú
    allt árið þegar hafði hefði þá þó ég við okkur þið þú hvað hvernig
    hverjir hver sér sig sín sinn því úr yfir undir milli gegn síðan aftur
    """
)
FAROESE_COMMON = _words(
    """
    og at í á er sum um við tað ikki var við hann hon teir tær tey hevur hava
    eru vóru verið vegna eftir fyri frá til hetta hesin hesi hesum hansara
    sínum hennara segði sigur sum sera eisini ella men um her har nú alt árið
    tá tó eg vit tit tú hvat hvussu hvør seg sín sítt tí úr yvir undir millum
    móti síðan aftur bert meira øll eitt ein
    """
)

# Common function words of the other languages bitext meets most, used to
# check that a block really lacks the words of its document's language.
ENGLISH_COMMON = _words(
    """
    the of and to in a is was for that on with as are by it he she they we
    you i has have had said from at be this which will would not an were
    been but their his her its or after about more also than who what when
    there can could should into over out up new one two all some other
    """
)
GERMAN_COMMON = _words(
    """
    der die das und in zu den von mit sich auf für ist im dem nicht ein eine
    als auch es an werden aus er hat dass sie nach wird bei einer um am sind
    noch wie einem über einen so zum war haben nur oder aber vor zur bis
    mehr durch man sein wurde sei diese dieser wir ich
    """
)

COMMON: dict[str, frozenset[str]] = {
    "nb": NORWEGIAN_COMMON,
    "nn": NORWEGIAN_COMMON,
    "da": LEXICONS["da"],
    "sv": LEXICONS["sv"],
    "en": ENGLISH_COMMON,
    "de": GERMAN_COMMON,
    "is": ICELANDIC_COMMON,
    "fo": FAROESE_COMMON,
}


def _coverage(words: list[str], common: frozenset[str]) -> float:
    """Share of `words` found in `common`."""
    return sum(1 for w in words if w in common) / len(words) if words else 0.0


_WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass
class Detection:
    """The language of a text, with a confidence and the runner-up guesses."""

    language: str
    confidence: float
    candidates: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class _Evidence:
    """Everything measured on one text; detection decisions read this."""

    words: list[str]
    letters: int
    scores: dict[str, float]  # probability per language, sums to 1
    norwegian_coverage: float  # share of words in NORWEGIAN_COMMON
    markers: Counter  # marker counts per language code (nb, nn, da, sv, no)


# --------------------------------------------------------------------------
# langdetect, behind a private, seeded factory
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _factory():
    """A private langdetect factory: profiles loaded in a fixed order, seed 0.

    langdetect's module-level `DetectorFactory` is left untouched, so
    importing bitext changes no global state.
    """
    import json
    import os

    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.utils.lang_profile import LangProfile

    names = sorted(os.listdir(PROFILES_DIRECTORY))
    factory = DetectorFactory()
    for index, name in enumerate(names):
        with open(os.path.join(PROFILES_DIRECTORY, name), encoding="utf-8") as handle:
            # Parsed once (load_json_profile would want it as a string again).
            factory.add_profile(LangProfile(**json.load(handle)), index, len(names))
    factory.seed = 0
    return factory


def langdetect_probabilities(text: str) -> dict[str, float]:
    """Plain langdetect (seeded), with codes mapped to ISO 639-1 (`no` -> `nb`).

    This is the baseline `bench/detect_eval.py` compares against. Returns an
    empty dict when langdetect finds no features in the text.
    """
    from langdetect.lang_detect_exception import LangDetectException

    detector = _factory().create()
    detector.append(text)
    try:
        found = detector.get_probabilities()
    except LangDetectException:
        return {}
    result: dict[str, float] = {}
    for item in found:
        code = _LANGDETECT_TO_ISO.get(item.lang, item.lang)
        result[code] = result.get(code, 0.0) + item.prob
    return result


# --------------------------------------------------------------------------
# Evidence
# --------------------------------------------------------------------------


def _tokenize(text: str) -> list[str]:
    return [w.lower() for w in _WORD_RE.findall(text)]


def _count_markers(words: list[str]) -> Counter:
    """Lexicon and suffix hits per Scandinavian standard."""
    counts: Counter = Counter()
    for word in words:
        for code in _word_markers(word):
            counts[code] += 1
    return counts


@functools.lru_cache(maxsize=1 << 16)
def _word_markers(word: str) -> tuple[str, ...]:
    """The standards one word counts for (news repeats its words: cached)."""
    codes = [code for code, lexicon in LEXICONS.items() if word in lexicon]
    if len(word) >= 6:
        for suffix, suffix_codes in _SUFFIX_MARKERS:
            if word.endswith(suffix):
                codes.extend(suffix_codes)
                break
    if "ä" in word or "ö" in word:
        codes.append("sv")
    return tuple(codes)


def _insular_evidence(words: list[str]) -> tuple[float, float]:
    """How Icelandic and how Faroese the words look, each 0..1."""
    if not words:
        return 0.0, 0.0
    n = len(words)
    # Ð is written in Icelandic and Faroese only (and þ in Icelandic only):
    # without either, the text is not insular, whatever its accents (é and
    # ö are also French, Swedish, German; ó in Norwegian `fór`).
    if not any("ð" in w or "þ" in w for w in words):
        return 0.0, 0.0
    # þ, é and ö are Icelandic and not Faroese; ø is Faroese and not
    # Icelandic; ð and the acute vowels are both.
    icelandic_letters = sum(1 for w in words if any(c in w for c in "þéö"))
    faroese_letters = sum(1 for w in words if "ø" in w)
    shared_letters = sum(1 for w in words if any(c in w for c in "ðáíóúý"))
    is_only, fo_only = _insular_words()
    is_words = sum(1 for w in words if w in is_only)
    fo_words = sum(1 for w in words if w in fo_only)
    # Icelandic is far more common: Faroese only on clearly more Faroese
    # evidence and no Icelandic letter.
    faroese = icelandic_letters == 0 and faroese_letters + fo_words >= is_words + 2
    own_letters = faroese_letters if faroese else icelandic_letters
    own_words = fo_words if faroese else is_words
    share = (max(own_letters, shared_letters) + own_words) / n
    # 25% of words with such evidence is plenty: real Icelandic runs at 40%+,
    # Norwegian with a foreign name or two stays far below.
    evidence = min(1.0, share / 0.25)
    return (0.0, evidence) if faroese else (evidence, 0.0)


@functools.lru_cache(maxsize=1)
def _insular_words() -> tuple[frozenset[str], frozenset[str]]:
    """Icelandic-only and Faroese-only function words (not Norwegian either)."""
    is_only = ICELANDIC_COMMON - FAROESE_COMMON - NORWEGIAN_COMMON
    fo_only = FAROESE_COMMON - ICELANDIC_COMMON - NORWEGIAN_COMMON
    return is_only, fo_only


def _cheap_evidence(text: str) -> _Evidence:
    """Words, letters, markers and coverage: no langdetect call yet."""
    words = _tokenize(text)
    letters = sum(map(str.isalpha, text))
    markers = _count_markers(words)
    coverage = _coverage(words, NORWEGIAN_COMMON)
    return _Evidence(words, letters, {}, coverage, markers)


def _joined_evidence(parts: list[_Evidence]) -> _Evidence:
    """The cheap evidence of texts joined by blank lines, from theirs (no word
    spans a line break, so this equals measuring the joined text again)."""
    words = [word for part in parts for word in part.words]
    markers: Counter = Counter()
    for part in parts:
        markers.update(part.markers)
    letters = sum(part.letters for part in parts)
    return _Evidence(words, letters, {}, _coverage(words, NORWEGIAN_COMMON), markers)


def _evidence(text: str, cheap: _Evidence | None = None) -> _Evidence:
    """All the evidence on `text`; `cheap` is its `_cheap_evidence`, if measured."""
    ev = cheap if cheap is not None else _cheap_evidence(text)
    if not ev.words:
        return ev
    words, markers = ev.words, ev.markers
    scores = dict(langdetect_probabilities(text))

    # Scandinavian: combine langdetect with marker words, log-linearly.
    # langdetect's `no` stands for both Bokmål and Nynorsk.
    nordic_mass = sum(scores.get(code, 0.0) for code in ("nb", "da", "sv"))
    if nordic_mass > 0.05 or sum(markers.values()) >= 2:
        logits = {}
        for code in NORDIC:
            p = scores.get("nb" if code == "nn" else code, 0.0)
            m = markers[code]
            logits[code] = _LANGDETECT_WEIGHT * math.log(p + 0.02) + _MARKER_WEIGHT * m
        # Ties between the Norwegian standards go to Bokmål.
        logits["nn"] -= _NYNORSK_BIAS
        top = max(logits.values())
        weights = {code: math.exp(v - top) for code, v in logits.items()}
        total = sum(weights.values())
        for code in NORDIC:
            scores[code] = nordic_mass * weights[code] / total

    # Icelandic / Faroese: langdetect cannot say these; take the mass they
    # deserve from the others.
    is_ev, fo_ev = _insular_evidence(words)
    for code, strength in (("is", is_ev), ("fo", fo_ev)):
        if strength > 0.2:
            for other in list(scores):
                scores[other] *= 1.0 - strength
            scores[code] = scores.get(code, 0.0) + strength

    total = sum(scores.values())
    if total > 0:
        scores = {k: v / total for k, v in scores.items()}
    ev.scores = scores
    return ev


# langdetect's probabilities on one sentence are overconfident (its 7 trials
# agree or not); halving its log-probabilities lets a marker word count.
_LANGDETECT_WEIGHT = 0.5
_MARKER_WEIGHT = 1.0
_NYNORSK_BIAS = 1.0

#: A text called Norwegian must have at least this share of common Norwegian
#: words (when it has enough words to tell).
MIN_NORWEGIAN_COVERAGE = 0.2


def _guard(ev: _Evidence, scores: dict[str, float]) -> dict[str, float]:
    """Move Norwegian mass to `unknown` when the text does not look Norwegian."""
    nor = scores.get("nb", 0.0) + scores.get("nn", 0.0)
    if nor == 0.0:
        return scores
    n = len(ev.words)
    # With few words, the share is noisy: demand it only from 4 words up,
    # and fully only from 10 words.
    if n < 4:
        return scores
    trust = min(1.0, ev.norwegian_coverage / MIN_NORWEGIAN_COVERAGE)
    if trust >= 1.0:
        return scores
    moved = {k: v for k, v in scores.items()}
    lost = 0.0
    for code in ("nb", "nn"):
        if code in moved:
            lost += moved[code] * (1.0 - trust)
            moved[code] *= trust
    moved[UNKNOWN] = moved.get(UNKNOWN, 0.0) + lost
    return moved


def _length_factor(n_words: int) -> float:
    """How much a decision on `n_words` words can be trusted (0..1)."""
    return 1.0 - math.exp(-n_words / 3.0)


def _ranked(scores: dict[str, float], limit: int = 3) -> list[tuple[str, float]]:
    items = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(k, round(v, 4)) for k, v in items[:limit] if v > 0.0]


def _decide(ev: _Evidence) -> Detection:
    if ev.letters == 0 or not ev.words or not ev.scores:
        return Detection(UNKNOWN, 0.0, [])
    scores = _guard(ev, ev.scores)
    ranked = _ranked(scores)
    language, p = ranked[0]
    confidence = round(p * _length_factor(len(ev.words)), 4)
    return Detection(language, confidence, ranked)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def detect_text(text: str) -> Detection:
    """The language of one text, on its own (no document prior).

    Returns `unknown` with confidence 0 for a text with no letters, and
    `uncertain` when the confidence is below `UNCERTAIN_BELOW` (the best
    guess stays first in `candidates`).
    """
    return _judged(_evidence(text))


def _judged(ev: _Evidence) -> Detection:
    detection = _decide(ev)
    if detection.language != UNKNOWN and detection.confidence < UNCERTAIN_BELOW:
        detection.language = UNCERTAIN
    return detection


def _detect_block(text: str, prior: Detection, cheap: _Evidence | None = None) -> Detection:
    """The language of a block inside a document whose language is `prior`,
    with the block's own confidence (see `_own_confidence`).

    `cheap` is the block's `_cheap_evidence`, when the caller has it.
    """
    doc_lang = prior.language
    if cheap is None:
        cheap = _cheap_evidence(text)
    short = len(cheap.words) < SHORT_BLOCK_WORDS
    if not short and (_plainly_norwegian(cheap, doc_lang) or _bound_to_document(cheap, doc_lang)):
        # Its words settle it: no langdetect call (see `_lexical_confidence`).
        confidence = _lexical_confidence(cheap, doc_lang)
        return Detection(doc_lang, confidence, [(doc_lang, confidence)])
    ev = _evidence(text, cheap)
    language = _block_language(ev, doc_lang)
    return Detection(language, _own_confidence(ev, language), _decide(ev).candidates)


def _block_language(ev: _Evidence, doc_lang: str) -> str:
    """The language of a block with all its evidence, the document's language
    as the prior (the rules of docs/detection.md, "Blocks")."""
    if ev.letters == 0 or not ev.words:
        return doc_lang  # numbers, dates, punctuation: nothing to tell
    if _plainly_norwegian(ev, doc_lang) or _bound_to_document(ev, doc_lang):
        return doc_lang
    own = _decide(ev)
    if doc_lang in (UNKNOWN, UNCERTAIN):
        return own.language
    n = len(ev.words)
    # Closely related languages (the Norwegian standards and Danish/Swedish)
    # are the usual confusion on single sentences; a block of the document's
    # own family takes the document's language unless its own markers say
    # otherwise.
    short = n < SHORT_BLOCK_WORDS
    best, p_best = own.candidates[0] if own.candidates else (doc_lang, 0.0)
    if best == doc_lang or best == UNKNOWN:
        return doc_lang
    if any(doc_lang in group and best in group for group in _FAMILIES):
        # Lexicon hits beyond the document language's: three more words of
        # the other standard than of the document's is strong evidence.
        strong = not short and ev.markers[best] - ev.markers[doc_lang] >= 3
        return best if strong else doc_lang
    # Another language altogether (an English quote in a Norwegian article).
    threshold = 0.999 if short else 0.9
    if n >= 3 and p_best >= threshold and _doc_words_absent(ev, doc_lang, best, short):
        return best
    return doc_lang


def _own_confidence(ev: _Evidence, language: str) -> float:
    """How strongly a block's own text says `language`: that language's
    probability from the block's evidence alone (langdetect and lexicons,
    guarded), times the length factor. A block that took the document's
    language by the short-block rules therefore keeps a low confidence: its
    language comes from the document, not from its own words."""
    if ev.letters == 0 or not ev.words or not ev.scores:
        return 0.0
    p = _guard(ev, ev.scores).get(language, 0.0)
    return round(p * _length_factor(len(ev.words)), 4)


def _lexical_confidence(ev: _Evidence, language: str) -> float:
    """`_own_confidence` for a block of 6+ words whose words alone settle its
    language, without the langdetect call: for the Scandinavian standards,
    the marker-word part of the log-linear score (softmax of lexicon hits,
    with the Nynorsk bias); for another language, its share of the common
    words of its own and the other listed languages."""
    if language in NORDIC:
        logits = {code: _MARKER_WEIGHT * ev.markers[code] for code in NORDIC}
        logits["nn"] -= _NYNORSK_BIAS
        top = max(logits.values())
        weights = {code: math.exp(v - top) for code, v in logits.items()}
        p = weights[language] / sum(weights.values())
    else:
        own = _coverage(ev.words, COMMON[language])
        others = [_coverage(ev.words, w) for c, w in COMMON.items() if w is not COMMON[language]]
        p = own / (own + max(others, default=0.0)) if own else 0.0
    return round(p * _length_factor(len(ev.words)), 4)


def _plainly_norwegian(ev: _Evidence, doc_lang: str) -> bool:
    """A block of a Norwegian document that needs no langdetect call.

    Four or more words, a quarter of them common Norwegian words, and two
    more lexicon hits for the document's standard than for any other
    Scandinavian one: the block is in the document's language.
    """
    if doc_lang not in ("nb", "nn") or len(ev.words) < 4:
        return False
    if ev.norwegian_coverage < 0.25:
        return False
    own = ev.markers[doc_lang]
    others = max(ev.markers[c] for c in NORDIC if c != doc_lang)
    return own - others >= 2


def _bound_to_document(ev: _Evidence, doc_lang: str) -> bool:
    """Whether the rules below would keep the block in the document's language
    whatever langdetect said, so the (costly) langdetect call can be skipped.

    A related standard needs 3+ more marker words than the document's to take
    the block; an unrelated language needs the document's common words to be
    (nearly) absent. When neither can happen, the answer is the document's.
    This holds for Norwegian documents and for documents in a language of no
    family with a common-word list (English, German): the human translation
    that `bitext align` reads is usually one of those.
    """
    if not ev.words:
        return False
    if doc_lang in ("nb", "nn"):
        if any(ev.markers[c] - ev.markers[doc_lang] > 2 for c in NORDIC if c != doc_lang):
            return False
        others: tuple[str, ...] = ("en", "de", "is", "fo")
    elif doc_lang in COMMON and not any(doc_lang in family for family in _FAMILIES):
        others = tuple(c for c in COMMON if COMMON[c] is not COMMON[doc_lang])
    else:
        return False
    doc_share = _coverage(ev.words, COMMON[doc_lang])
    if doc_share <= (0.0 if len(ev.words) < SHORT_BLOCK_WORDS else 0.15):
        return False
    return all(_coverage(ev.words, COMMON[other]) < 2 * doc_share for other in others)


def _doc_words_absent(ev: _Evidence, doc_lang: str, other: str, short: bool) -> bool:
    """Whether the block lacks the function words of the document's language.

    A long block passes when few of its words are common words of the
    document's language, or when it has at least twice as many common words
    of the other language (English shares `for`, `at`, `over`, `her` with
    Norwegian).
    """
    common = COMMON.get(doc_lang)
    if common is None:
        return True
    doc_share = _coverage(ev.words, common)
    if short:
        return doc_share == 0.0
    if doc_share <= 0.15:
        return True
    other_common = COMMON.get(other)
    return other_common is not None and _coverage(ev.words, other_common) >= 2 * doc_share


def detect_document(document: Document, checkpoint: Callable[[], None] | None = None) -> Document:
    """Set the language of the document and of each block, in place.

    The document is judged on all its text; each block is then judged with
    the document's language as the prior (see `_detect_block`).
    `checkpoint`, called between blocks, may raise to stop a long document.
    """
    checkpoint = checkpoint or (lambda: None)
    cheap = []
    for block in document.blocks:
        checkpoint()
        cheap.append(_cheap_evidence(block.text))
    text = "\n\n".join(block.text for block in document.blocks)
    doc = _judged(_evidence(text, _joined_evidence(cheap)))
    document.language = doc.language
    document.language_confidence = doc.confidence
    for block, evidence in zip(document.blocks, cheap):
        checkpoint()
        found = _detect_block(block.text, doc, evidence)
        block.language = found.language
        block.language_confidence = found.confidence
    return document


def detection_report(document: Document, with_blocks: bool = False) -> dict:
    """A JSON-ready summary of a detected document (for `bitext detect`)."""
    if document.language is None:
        detect_document(document)
    by_language: Counter = Counter(block.language for block in document.blocks)
    report: dict = {
        "path": document.path,
        "language": document.language,
        "confidence": document.language_confidence,
        "blocks_by_language": dict(sorted(by_language.items())),
    }
    if with_blocks:
        report["blocks"] = [
            {"block": b.number, "language": b.language, "confidence": b.language_confidence}
            for b in document.blocks
        ]
    return report
