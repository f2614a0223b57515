"""chrF (Popović 2015): character n-gram F-score of a translation.

`chrf` scores one sentence pair. `ChrfIndex` keeps the n-grams of a machine
translation of every source sentence and of every target sentence, so the
aligner can count the matches of many candidate pairs, and of merged units,
from per-sentence counts (`chrf_from_counts`).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

__all__ = ["ChrfIndex", "char_ngrams", "chrf", "chrf_from_counts", "clipped_matches"]

ORDER = 6
"""Character n-grams of orders 1..ORDER, as in chrF."""


def char_ngrams(text: str, order: int = ORDER) -> list[Counter[str]]:
    """The character n-grams of orders 1..`order` of `text`, whitespace removed."""
    chars = "".join(text.split())
    return [
        Counter(chars[k : k + n] for k in range(len(chars) - n + 1)) for n in range(1, order + 1)
    ]


def clipped_matches(hyp: Counter[str], ref: Counter[str]) -> int:
    """Clipped n-gram matches: the size of the multiset intersection."""
    if len(hyp) > len(ref):
        hyp, ref = ref, hyp
    return sum(min(c, ref[g]) for g, c in hyp.items() if g in ref)


def chrf(hypothesis: str, reference: str, *, order: int = ORDER, beta: float = 2.0) -> float:
    """chrF (Popović 2015) of one sentence pair, 0..1.

    Character n-grams of orders 1..`order`, whitespace removed; precision and
    recall are averaged over the orders present on both sides, then combined
    into the F-beta score, as in the original chrF and in sacrebleu 2's
    `CHRF` (its default, without eps smoothing; tests/test_aligner.py checks
    known values).
    """
    hyp = char_ngrams(hypothesis, order)
    ref = char_ngrams(reference, order)
    matches = [clipped_matches(h, r) for h, r in zip(hyp, ref)]
    return chrf_from_counts(
        np.array(matches, float),
        np.array([sum(h.values()) for h in hyp], float),
        np.array([sum(r.values()) for r in ref], float),
        beta,
    )


def chrf_from_counts(match, hyp, ref, beta: float):
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


class ChrfIndex:
    """N-grams of the translations and the targets, with running totals.

    `hyp_cum[i]` / `ref_cum[j]` hold, per order, the n-grams of translations
    0..i-1 / targets 0..j-1, so a merged unit's totals are one subtraction.
    The matches of a (translation, target) pair are counted once and kept.
    """

    def __init__(self, translations: list[str], targets: list[str], order: int = ORDER) -> None:
        self.hyp_grams = [char_ngrams(t, order) for t in translations]
        self.ref_grams = [char_ngrams(t, order) for t in targets]
        hyp_tot = np.array([[sum(c.values()) for c in h] for h in self.hyp_grams], float)
        ref_tot = np.array([[sum(c.values()) for c in r] for r in self.ref_grams], float)
        self.hyp_cum = np.concatenate([np.zeros((1, order)), np.cumsum(hyp_tot, 0)])
        self.ref_cum = np.concatenate([np.zeros((1, order)), np.cumsum(ref_tot, 0)])
        self._matches: dict[tuple[int, int], list[int]] = {}

    def pair_counts(self, plo: np.ndarray, pwidth: int) -> np.ndarray:
        """Per-order matches of translation s with targets plo[s] .. plo[s]+pwidth-1.

        Merged units add the counts of their sentences, an approximation of
        the chrF of the concatenation that ignores n-grams across the join.
        """
        n, m = len(self.hyp_grams), len(self.ref_grams)
        order = self.hyp_cum.shape[1]
        counts = np.zeros((n, pwidth, order))
        cache = self._matches
        for s in range(n):
            lo = int(plo[s])
            hyp = self.hyp_grams[s]
            for t in range(max(lo, 0), min(lo + pwidth, m)):
                got = cache.get((s, t))
                if got is None:
                    got = [clipped_matches(h, r) for h, r in zip(hyp, self.ref_grams[t])]
                    cache[(s, t)] = got
                counts[s, t - lo] = got
        return counts
