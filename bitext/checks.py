"""Quality flags: cheap checks that point a reviewer at rows worth a second look.

Each check reads one bilingual row and says whether something looks wrong;
the names land in `BilingualRow.flags` and every exporter shows them. They
are hints, not verdicts: a flagged row may be fine, an unflagged one may not.

- `empty`: the source has text, the target has none.
- `untranslated`: the target repeats the source's ordinary (lower-case)
  words, so only names changed or nothing did (a caption credit or a lone
  name copied through does not count), or a target long enough to tell is
  still detected as the source language (or a close neighbour: Bokmål,
  Nynorsk, Danish, Swedish).
- `number-mismatch`: a number of the source (digits, years, percentages,
  amounts) has no counterpart in the target. Decimal commas, thousands
  separators (`1 000`, `1.000`, `1,000`), `1,5 millioner` / `1.5 million`
  and English number words (`two`, `eighty`) all count as the same number.
- `length-ratio`: the target is much shorter or longer than targets of a
  source that long usually are (bounds measured on human nb->en news
  translations by `bench/checks_eval.py`).

Flags set by other stages (`glossary`, `weak-alignment`) are kept; running
the checks twice gives the same flags. Rows shown beside themselves (a block
already in the target language) are not checked.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from bitext.documents import BilingualRow

EMPTY = "empty"
UNTRANSLATED = "untranslated"
NUMBER_MISMATCH = "number-mismatch"
LENGTH_RATIO = "length-ratio"
#: Flags set elsewhere: bitext.glossary and bitext.align.aligner.
GLOSSARY = "glossary"
WEAK_ALIGNMENT = "weak-alignment"
#: Set by the engine (bitext.positions): a sentence the model could not finish.
POSITION_LIMIT = "position-limit"
FAILED = "failed"
#: Flags legends list only where they occur (rare, and each named in the run's warnings).
OCCASIONAL_FLAGS = frozenset({POSITION_LIMIT, FAILED})

#: The flags this module computes (it owns them: re-checking replaces them).
OWN_FLAGS = (EMPTY, UNTRANSLATED, NUMBER_MISMATCH, LENGTH_RATIO)

#: Every known flag with a one-line meaning, in the order exporters list them.
FLAG_DESCRIPTIONS: dict[str, str] = {
    EMPTY: "no translation",
    UNTRANSLATED: "translation equals the source or is still in the source language",
    NUMBER_MISMATCH: "a number of the source is missing from the translation",
    LENGTH_RATIO: "translation much shorter or longer than usual for a source this long",
    GLOSSARY: "a glossary term or name is missing from the translation",
    WEAK_ALIGNMENT: "the aligner is unsure these sentences belong together",
    POSITION_LIMIT: "decoding reached the model's position limit: the translation is cut",
    FAILED: "the model failed on this sentence (or ran on without stopping); see the run's "
    "warnings for the reason",
}

# --------------------------------------------------------------------------
# length-ratio. On 603 human nb->en news translations (NTREX-128 dev slice)
# log(len(target)/len(source)) has mean -0.04 and standard deviation 0.14;
# short sentences vary more, which the smoothing constant absorbs. The bounds
# sit near the 0.5th and 99.5th percentiles of the smoothed ratio on that
# data: about 1% of human translations are flagged, while a target cut in
# half is flagged about 9 times in 10 (bench/checks_eval.py prints both).
# --------------------------------------------------------------------------

#: Characters added to both lengths so that short pairs need a larger gap.
LENGTH_SMOOTHING = 12
#: Smoothed target/source length ratios outside [LOW, HIGH] are flagged.
LENGTH_RATIO_LOW = 0.62
LENGTH_RATIO_HIGH = 1.45

# --------------------------------------------------------------------------
# untranslated
# --------------------------------------------------------------------------

#: Targets with fewer words than this are not language-detected (unreliable).
DETECT_MIN_WORDS = 8
#: Share of the detector's vote the source's language family needs to flag a row.
DETECT_MIN_CONFIDENCE = 0.8
_SCANDINAVIAN = frozenset({"nb", "nn", "no", "da", "sv"})
_WORD_RE = re.compile(r"[^\W\d_]+")

# --------------------------------------------------------------------------
# numbers
# --------------------------------------------------------------------------

_SPACES = " \u00a0\u202f\u2009"
_DIGIT_RE = re.compile(r"\d")
# A grouped number (one separator, repeated: 1 000 000, 1.000, 2,500) with
# an optional fraction, or a plain number with an optional fraction.
_NUMBER_RE = re.compile(
    r"(?<!\d)(?:"
    r"(?P<grouped>\d{1,3}(?P<sep>[" + _SPACES + r".,'’])\d{3}(?:(?P=sep)\d{3})*)"
    r"(?:(?P<gfrac_sep>[.,])(?P<gfrac>\d+))?"
    r"|(?P<plain>\d+)(?:(?P<frac_sep>[.,])(?P<frac>\d+))?"
    r")(?!\d)"
)
_SCALES = {
    "tusen": 1000,
    "thousand": 1000,
    "million": 10**6,
    "millioner": 10**6,
    "mill": 10**6,
    "mln": 10**6,
    "milliard": 10**9,
    "milliarder": 10**9,
    "mrd": 10**9,
    "billion": 10**9,
    "bn": 10**9,
    "trillion": 10**12,
    "billioner": 10**12,
}
# Clock times: `kl. 15.00`, `7:55`, `3 p.m.`, `7.55am`. Each reads as the
# time and, from 13:00 on, as the 12-hour time an English text may write.
_CLOCK_RE = re.compile(r"(?<![\d.,:])(?P<h>[01]?\d|2[0-3])[:.](?P<m>[0-5]\d)(?![.,:]?\d)")
_KL_RE = re.compile(r"(?<!\w)kl\.?\s*(?P<h>[01]?\d|2[0-3])(?P<m>)(?![.,:]?\d)", re.I)
_MERIDIEM_RE = re.compile(
    r"(?<![\d.,:])(?P<h>1[0-2]|0?\d)(?:[:.](?P<m>[0-5]\d))?\s?(?P<ap>[ap])\.?m\.?(?!\w)", re.I
)
_SCALE_RE = re.compile(r"\s*(" + "|".join(sorted(_SCALES, key=len, reverse=True)) + r")s?\b", re.I)
_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "twenty thirty forty fifty sixty seventy eighty ninety".split()
_EN_WORDS: dict[str, int] = {w: i for i, w in enumerate(_ONES)}
_EN_WORDS.update({w: 10 * (i + 2) for i, w in enumerate(_TENS)})
_EN_WORDS.update(
    {
        f"{t}-{o}": 10 * (i + 2) + j
        for i, t in enumerate(_TENS)
        for j, o in enumerate(_ONES[1:10], 1)
    }
)
_EN_WORDS.update({"hundred": 100, "thousand": 1000, "dozen": 12})
_EN_WORD_RE = re.compile(
    r"(?<![\w-])(" + "|".join(sorted(_EN_WORDS, key=len, reverse=True)) + r")(?![\w-])", re.I
)
# The pattern above, tried at every position, was the slowest part of the
# checks; its words are whole runs of word characters and hyphens, so each
# run is looked up instead.
_EN_WORD_RUN_RE = re.compile(r"[\w-]+")


def _canon(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _readings(match: re.Match) -> set[Decimal]:
    """Every value a written number may stand for (`2,500`: 2500 or 2.5)."""
    values: set[Decimal | None] = set()
    if match.group("grouped"):
        grouped, sep = match.group("grouped"), match.group("sep")
        joined = grouped.replace(sep, "")
        frac = match.group("gfrac")
        values.add(_decimal(joined + ("." + frac if frac else "")))
        groups = grouped.split(sep)
        if sep in ".," and len(groups) == 2 and not frac:
            # One group after a comma or stop: thousands (en 2,500; nb 2.500)
            # or a decimal fraction (nb 2,500; en 2.500).
            values.add(_decimal(groups[0] + "." + groups[1]))
    else:
        frac = match.group("frac")
        values.add(_decimal(match.group("plain") + ("." + frac if frac else "")))
    return {v for v in values if v is not None}


def _clock_readings(hour: int, minute: int, meridiem: str | None = None) -> set[Decimal]:
    """`15.00` may be written `15:00`, `3 p.m.` or `15`; all read the same."""
    hours = {hour}
    if meridiem:
        hours.add(hour % 12 + (12 if meridiem.lower() == "p" else 0))
    hours |= {h - 12 for h in hours if h > 12}
    return {Decimal(h) + Decimal(minute) / 100 for h in hours}


def _tokens(text: str, *, words: bool) -> list[tuple[int, str, frozenset[str]]]:
    """(position, written form, readings) of every number in `text`."""
    found: list[tuple[int, str, set[Decimal]]] = []
    spans: list[tuple[int, int]] = []
    # Every pattern but the number words needs a digit; most sentences have none.
    digit_patterns = (_MERIDIEM_RE, _CLOCK_RE, _KL_RE) if _DIGIT_RE.search(text) else ()
    for regex in digit_patterns:
        for match in regex.finditer(text):
            if any(a <= match.start("h") < b for a, b in spans):
                continue
            minute = int(match.group("m") or 0)
            meridiem = match.groupdict().get("ap")
            readings = _clock_readings(int(match.group("h")), minute, meridiem)
            spans.append((match.start("h"), match.end("m") if match.group("m") else match.end("h")))
            found.append((match.start("h"), match.group(0), readings))
    for match in _NUMBER_RE.finditer(text) if digit_patterns else ():
        if any(a <= match.start() < b for a, b in spans):
            continue
        readings = _readings(match)
        scale = _SCALE_RE.match(text, match.end())
        if scale:
            readings |= {r * _SCALES[scale.group(1).lower()] for r in readings}
        found.append((match.start(), match.group(0), readings))
    if words:
        for match, number in _english_number_words(text):
            value = Decimal(number)
            readings = {value}
            scale = _SCALE_RE.match(text, match.end())
            if scale:
                readings.add(value * _SCALES[scale.group(1).lower()])
            found.append((match.start(), match.group(0), readings))
    found.sort(key=lambda item: item[0])
    return [(pos, written, frozenset(_canon(r) for r in rs)) for pos, written, rs in found]


def _english_number_words(text: str) -> list[tuple[re.Match, int]]:
    """English number words of `text` (what `_EN_WORD_RE` finds), with their values."""
    found = []
    for match in _EN_WORD_RUN_RE.finditer(text):
        run = match.group(0)
        number = _EN_WORDS.get(run.lower())
        if number is None and not run.isascii():
            # Non-ASCII case folds (the Kelvin sign, long s), as the pattern has them.
            word = _EN_WORD_RE.fullmatch(run)
            number = _EN_WORDS.get(word.group(1).casefold()) if word else None
        if number is not None:
            found.append((match, number))
    return found


def numbers(text: str, *, words: bool = False) -> list[frozenset[str]]:
    """The numbers in `text`, each as the set of values it may stand for.

    With `words` (used on targets), English number words (`two`,
    `eighty-one`) count too: a translation may spell out a number.
    """
    return [readings for _, _, readings in _tokens(text, words=words)]


def missing_numbers(source: str, target: str) -> list[str]:
    """Numbers of `source` with no counterpart in `target` (each used once)."""
    available = numbers(target, words=True)
    missing = []
    for _, written, readings in _tokens(source, words=False):
        for i, candidate in enumerate(available):
            if readings & candidate:
                del available[i]
                break
        else:
            missing.append(written)
    return missing


def length_ratio(source: str, target: str) -> float:
    """Smoothed target/source length ratio (characters, spaces squeezed)."""
    s = len(" ".join(source.split()))
    t = len(" ".join(target.split()))
    return (t + LENGTH_SMOOTHING) / (s + LENGTH_SMOOTHING)


def _same_text(source: str, target: str) -> bool:
    return " ".join(source.split()).casefold() == " ".join(target.split()).casefold()


def _common_words(text: str) -> list[str]:
    """Ordinary words (lower-case, 3+ letters): the text a model should change."""
    return [w for w in _WORD_RE.findall(text) if w[0].islower() and len(w) >= 3]


def copied_through(source: str, target: str) -> bool:
    """The target repeats the source's ordinary words: only names (or nothing) changed.

    `Sjojgu` respelled `Shoigu` by the glossary leaves a copied sentence
    copied; a caption credit or a lone name (no ordinary words) is not flagged.
    """
    words = _common_words(source)
    if not words or words != _common_words(target):
        return False
    # One ordinary word alike on both sides is as likely a loanword or a
    # cognate ("Dette er en test." / "This is a test."): then only an
    # unchanged text counts as copied.
    return len(words) > 1 or source.split() == target.split()


def _language_family(code: str) -> frozenset[str]:
    return _SCANDINAVIAN if code in _SCANDINAVIAN else frozenset({code})


def still_source_language(source_lang: str, target_lang: str, target: str) -> bool:
    """The target, long enough to tell, is detected as the source's language."""
    if len(_WORD_RE.findall(target)) < DETECT_MIN_WORDS:
        return False
    from bitext.detection import detect_text

    detection = detect_text(target)
    if not detection.candidates:
        return False
    # Bokmål and Nynorsk (and Danish) split the vote on Norwegian text, so
    # the family's share counts, not the single best language's.
    family = _language_family(source_lang) - _language_family(target_lang)
    top = detection.candidates[0][0]
    share = sum(p for lang, p in detection.candidates if lang in family)
    return top in family and share >= DETECT_MIN_CONFIDENCE


def row_flags(row: BilingualRow, *, detect: bool = True) -> list[str]:
    """The flags this module raises for one row, in `OWN_FLAGS` order."""
    if row.source_lang == row.target_lang or not row.source.strip():
        return []
    if not row.target.strip():
        return [EMPTY]
    flags = []
    if copied_through(row.source, row.target) or (
        detect
        and not _same_text(row.source, row.target)
        and still_source_language(row.source_lang, row.target_lang, row.target)
    ):
        flags.append(UNTRANSLATED)
    if missing_numbers(row.source, row.target):
        flags.append(NUMBER_MISMATCH)
    ratio = length_ratio(row.source, row.target)
    if not LENGTH_RATIO_LOW <= ratio <= LENGTH_RATIO_HIGH:
        flags.append(LENGTH_RATIO)
    return flags


def sort_flags(flags: Iterable[str]) -> list[str]:
    """Distinct flags in the order of FLAG_DESCRIPTIONS, unknown ones after (A-Z)."""
    order = {name: i for i, name in enumerate(FLAG_DESCRIPTIONS)}
    return sorted(set(flags), key=lambda f: (order.get(f, len(order)), f))


def apply_checks(rows: Iterable[BilingualRow], *, detect: bool = True) -> list[BilingualRow]:
    """Set each row's own flags (replacing earlier ones), keep other stages' flags.

    `detect=False` skips language detection of targets (the slowest check).
    Returns the rows, changed in place.
    """
    rows = list(rows)
    for row in rows:
        kept = [f for f in row.flags if f not in OWN_FLAGS]
        row.flags = sort_flags(kept + row_flags(row, detect=detect))
    return rows


def count_flags(rows: Iterable[BilingualRow]) -> Counter:
    """How many rows carry each flag."""
    return Counter(flag for row in rows for flag in row.flags)


def format_flag_counts(counts: Counter | dict[str, int]) -> str:
    """`untranslated 3, number-mismatch 1` (known flags first), or `none`."""
    names = sort_flags(name for name, n in counts.items() if n)
    return ", ".join(f"{name} {counts[name]}" for name in names) or "none"
