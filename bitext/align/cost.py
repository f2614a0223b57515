"""The cost of a link: what the aligner's search minimises.

A link costs its prior (by type), plus a Gale-Church length cost, minus
its anchor similarity, minus its chrF against a machine translation (when
there is one), plus paragraph penalties; see `AlignParams`. `CostModel`
holds what the costs are computed from (the two sides, the length ratio,
the anchor and n-gram indexes); `Band` holds the sentence-pair tables of
one band of the search, built by `CostModel.band`.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from dataclasses import dataclass, field

import numpy as np

from bitext.align.anchors import AnchorIndex, Postings
from bitext.align.chrf import ChrfIndex, chrf_from_counts

ALIGN_CHRF_BETA = 1.0  # chrF2 favours recall, so merged units would look as good

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
    anchor_offset: float = 0.3  # similarity a link needs to break even
    mt_weight: float = 6.0
    mt_offset: float = 0.3  # chrF a link needs to break even
    paragraph_penalty: float = 1.5  # link ends a paragraph on one side only
    cross_paragraph_penalty: float = 3.0  # a 2-x or x-2 unit spans two paragraphs
    # A 1-0/0-1 link costs this much less when its sentence has a number that
    # the other document lacks altogether (digits survive translation).
    orphan_bonus: float = 1.0
    # A 2-x or x-2 link pays this for each of its merged sentences that has
    # anchors but shares none with the other side: it is most likely a
    # sentence without counterpart, not part of the link.
    part_penalty: float = 1.0
    # A link pays this when its last source and last target sentence end
    # differently (a full stop, a question mark, an exclamation mark, a colon,
    # or no mark at all, as a headline): translations keep the sentence type.
    end_penalty: float = 1.0
    # A link pays this for each sentence-ending mark (. ? ! …, before a capital
    # or at the end) that one side has more than the other, beyond the one a
    # merge may drop per merged sentence; at most two: translations keep
    # the number of sentences.
    stop_penalty: float = 1.0
    # A link pays this for each quotation mark (" « » “ ” „) one side has more
    # than the other, at most two: a translation quotes what its source quotes.
    quote_penalty: float = 0.5
    # A 2-2 link costs this much less when its inner boundary sits at a
    # different sentence stop on each side: its first source sentence has
    # more stops than its first target sentence and its second fewer, or the
    # reverse. Two 1-1 links would then each pay a stop it lacks.
    stagger_bonus: float = 3.0
    # A 1-0/0-1 link that ends a paragraph on its side, where the other side's
    # paragraph ended just before it, gets this back: the link before it paid
    # `paragraph_penalty` for ending a paragraph on the other side only, but
    # the paragraphs do end together, after the sentence without counterpart.
    paragraph_refund: float = 1.5
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
    orphan_bonus=0.0,
    part_penalty=0.0,
    end_penalty=0.0,
    stop_penalty=0.0,
    quote_penalty=0.0,
    stagger_bonus=0.0,
    paragraph_refund=0.0,
)
"""Plain Gale-Church (1993): length costs and their published priors only."""


Spans = list[tuple[int, int, int, int]]
"""A path: links as (source start, source end, target start, target end)."""


def flatten(paragraphs: list[list[str]]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Flat sentences, plus flags: sentence starts / ends a paragraph."""
    sentences: list[str] = []
    starts: list[bool] = []
    ends: list[bool] = []
    for paragraph in paragraphs:
        for k, sentence in enumerate(paragraph):
            sentences.append(sentence)
            starts.append(k == 0)
            ends.append(k == len(paragraph) - 1)
    return sentences, np.array(starts, bool), np.array(ends, bool)


_CLOSERS = "\"'»”’)]"
_QUOTE_MARKS = '"«»“”„'
_END_MARKS = {".": 1, "…": 1, "?": 2, "!": 3, ":": 4}


_STOP = re.compile(r"[.?!…][\"'»”’)]*(?:\s+(?=[\"'«“‘(–-]*[A-ZÆØÅÄÖÜ])|\s*$)")


def end_mark(sentence: str) -> int:
    """How a sentence ends: 1 full stop, 2 question, 3 exclamation, 4 colon,
    0 no mark (a headline, a sub-heading, a line cut off)."""
    text = sentence.rstrip().rstrip(_CLOSERS).rstrip()
    return _END_MARKS.get(text[-1:], 0)


@dataclass
class Side:
    """One document's flat sentences, paragraph flags and running length."""

    sentences: list[str]
    starts: np.ndarray
    ends: np.ndarray
    cumlen: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        lengths = np.array([len(s.strip()) for s in self.sentences], float)
        self.cumlen = np.concatenate([[0.0], np.cumsum(lengths)])
        self.end_marks = np.array([0] + [end_mark(s) for s in self.sentences], np.int8)
        stops = np.array([len(_STOP.findall(s)) for s in self.sentences], float)
        self.cumstops = np.concatenate([[0.0], np.cumsum(stops)])
        quotes = np.array([sum(map(s.count, _QUOTE_MARKS)) for s in self.sentences], float)
        self.cumquotes = np.concatenate([[0.0], np.cumsum(quotes)])


_ERFCC = (
    -1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
    0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277,
)  # fmt: skip


def phi_tail_cost(z: np.ndarray) -> np.ndarray:
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
class Band:
    """The part of the search table searched, and sentence-pair tables for it.

    Column j of row i sits at k = j - lo[i], 0 <= k < width. The pair tables
    hold source sentence s (used by rows s+1 and s+2) against target
    sentences plo[s] .. plo[s]+pwidth-1: weighted anchors in common of s and
    t (`overlap`), of the pair s, s+1 and t (`overlap_s2`), of s and the pair
    t, t+1 (`overlap_t2`), of both pairs (`overlap_22`); and chrF matches
    (`chrf_counts`), only in the passes that use the translations.
    """

    n: int
    m: int
    width: int
    lo: np.ndarray
    plo: np.ndarray
    pwidth: int
    overlap: np.ndarray | None
    overlap_s2: np.ndarray | None
    overlap_t2: np.ndarray | None
    overlap_22: np.ndarray | None
    chrf_counts: np.ndarray | None

    def values(self, table: np.ndarray, S: np.ndarray, T: np.ndarray) -> np.ndarray:
        """table[s, t] for arrays of source sentences S and target sentences T."""
        S = np.clip(S, 0, self.n - 1)
        K = T - self.plo[S]
        ok = (K >= 0) & (K < self.pwidth) & (T >= 0) & (T < self.m)
        values = table[S, np.where(ok, K, 0)]
        if values.ndim > ok.ndim:
            ok = ok[..., None]
        return np.where(ok, values, 0.0)


class CostModel:
    """The cost of every candidate link of one document pair.

    Built once per pair: the length ratio (estimated from the pair unless
    the parameters fix it, and re-estimated by `refit_ratio`), the anchors
    both sides share, and the n-grams of the translations. Each pass of the
    search gets a `Band` from `band`, then asks `cost` for whole rows of it.
    """

    def __init__(self, src: Side, tgt: Side, p: AlignParams, translations) -> None:
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
        self.src_ends = np.concatenate([[False], src.ends])  # [i]: sentence i-1 ends a paragraph
        self.tgt_ends = np.concatenate([[False], tgt.ends])
        self.anchors = AnchorIndex.build(src.sentences, tgt.sentences) if self.use_anchors else None
        self.chrf = ChrfIndex(translations, tgt.sentences) if self.use_mt else None

    def refit_ratio(self, path: Spans) -> bool:
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

    # ---- bands ---------------------------------------------------------

    def band(self, half: int, center: np.ndarray | None, *, with_chrf: bool = False) -> Band:
        """A band of half-width `half` around `center` (default: the diagonal)."""
        n, m = self.n, self.m
        width = 2 * half + 1
        if center is None:
            center = np.rint(np.arange(n + 1) * (m / n)).astype(np.int64)
        lo = center - half
        lo_next = lo[1:]
        lo_next2 = np.concatenate([lo[2:], lo[-1:]])
        plo = np.minimum(lo_next, lo_next2) - 2
        pwidth = int(np.max(np.maximum(lo_next, lo_next2) - plo)) + width
        tables = [None] * 4
        index = self.anchors
        if index is not None:
            src, pairs = index.src_feats, index.src_pair_feats
            tgt, tgt_pairs = index.tgt_postings, index.tgt_pair_postings
            tables = [
                self._pairwise_overlap(plo, pwidth, feats, postings)
                for feats, postings in (
                    (src, tgt),
                    (pairs, tgt),
                    (src, tgt_pairs),
                    (pairs, tgt_pairs),
                )
            ]
        chrf_counts = None
        if with_chrf and self.chrf is not None:
            chrf_counts = self.chrf.pair_counts(plo, pwidth)
        return Band(n, m, width, lo, plo, pwidth, *tables, chrf_counts)

    def _pairwise_overlap(
        self, plo: np.ndarray, pwidth: int, src_feats: list[dict[str, float]], postings: Postings
    ) -> np.ndarray:
        """Anchor weight source unit s shares with target unit plo[s] + k, as [s, k]."""
        overlap = np.zeros((self.n, pwidth))
        for s, fs in enumerate(src_feats):
            lo = int(plo[s])
            hi = lo + pwidth
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

    def insert_refund(self) -> np.ndarray | None:
        """`paragraph_refund` of a 0-1 link ending at target j (index j), in a
        row whose source sentence before ends a paragraph; None if off."""
        if not self.p.paragraph_refund:
            return None
        ends = self.tgt_ends
        refund = np.zeros(self.m + 1)
        refund[1:] = ends[1:] & ~ends[:-1]
        return self.p.paragraph_refund * refund

    # ---- link costs ------------------------------------------------------

    def length_cost(self, ls: np.ndarray, lt: np.ndarray) -> np.ndarray:
        c, s2 = self.ratio, self.p.length_variance
        mean = (ls + lt / c) / 2.0
        z = (c * ls - lt) / np.sqrt(np.maximum(mean, 1e-9) * s2)
        return phi_tail_cost(z)

    def evidence(
        self,
        band: Band,
        a: int,
        b: int,
        ii: np.ndarray,
        jj: np.ndarray,
        *,
        with_anchors: bool = True,
    ):
        """Length cost, anchor similarity, anchor mass and chrF of links.

        The links cover source sentences ii-a..ii-1 and target sentences
        jj-b..jj-1 (ii and jj broadcast; indices are clipped, so callers mask
        impossible links themselves). `with_anchors=False` leaves the banded
        anchor tables out (the scores count anchors locally instead). chrF
        is None unless the band has the translations' counts.
        """
        n, m = self.n, self.m
        iic = np.clip(ii, a, n)
        jjc = np.clip(jj, b, m)
        ls = self.src.cumlen[iic] - self.src.cumlen[iic - a]
        lt = self.tgt.cumlen[jjc] - self.tgt.cumlen[jjc - b]
        length = self.length_cost(ls, lt)
        sim = mass = chrf_score = None
        if with_anchors and self.anchors is not None and a and b:
            sim, mass = self._anchor_similarity(band, a, b, iic, jjc)
        if band.chrf_counts is not None and a and b:
            chrf_score = self._chrf(band, a, b, iic, jjc)
        return length, sim, mass, chrf_score

    def _anchor_similarity(self, band: Band, a: int, b: int, iic, jjc):
        """Dice overlap of the units as multisets of anchors, and their anchor mass."""
        # Overlap by inclusion-exclusion.
        ov = 0.0
        for da in range(1, a + 1):
            for db in range(1, b + 1):
                ov = ov + band.values(band.overlap, iic - da, jjc - db)
        if a == 2:
            for db in range(1, b + 1):
                ov = ov - band.values(band.overlap_s2, iic - 2, jjc - db)
        if b == 2:
            for da in range(1, a + 1):
                ov = ov - band.values(band.overlap_t2, iic - da, jjc - 2)
        if a == b == 2:
            ov = ov + 2 * band.values(band.overlap_22, iic - 2, jjc - 2)
        index = self.anchors
        mass = (index.src_cummass[iic] - index.src_cummass[iic - a]) + (
            index.tgt_cummass[jjc] - index.tgt_cummass[jjc - b]
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            sim = np.where(mass > 0, np.minimum(2 * ov / mass, 1.0), 0.0)
        return sim, mass

    def _orphan_parts(self, band: Band, a: int, b: int, ii, jj):
        """How many sentences of a merged unit have anchors (shared with the
        other document) but share none with the other unit of the link."""
        iic = np.clip(ii, a, self.n)
        jjc = np.clip(jj, b, self.m)
        index = self.anchors
        count = 0
        if a == 2:
            for da in (1, 2):
                ov = sum(band.values(band.overlap, iic - da, jjc - db) for db in range(1, b + 1))
                mass = index.src_cummass[iic - da + 1] - index.src_cummass[iic - da]
                count = count + ((mass > 0) & (ov == 0))
        if b == 2:
            for db in (1, 2):
                ov = sum(band.values(band.overlap, iic - da, jjc - db) for da in range(1, a + 1))
                mass = index.tgt_cummass[jjc - db + 1] - index.tgt_cummass[jjc - db]
                count = count + ((mass > 0) & (ov == 0))
        return count

    def _chrf(self, band: Band, a: int, b: int, iic, jjc):
        """chrF of the translation of the source unit against the target unit."""
        match = 0.0
        for da in range(1, a + 1):
            for db in range(1, b + 1):
                match = match + band.values(band.chrf_counts, iic - da, jjc - db)
        hyp = self.chrf.hyp_cum[iic] - self.chrf.hyp_cum[iic - a]
        ref = self.chrf.ref_cum[jjc] - self.chrf.ref_cum[jjc - b]
        match, hyp, ref = np.broadcast_arrays(match, hyp, ref)
        match = np.minimum(match, np.minimum(hyp, ref))
        return chrf_from_counts(
            np.moveaxis(match, -1, 0),
            np.moveaxis(hyp, -1, 0),
            np.moveaxis(ref, -1, 0),
            ALIGN_CHRF_BETA,
        )

    def _structure_cost(self, a: int, b: int, ii: np.ndarray, jj: np.ndarray):
        """Punctuation structure a translation keeps: how the link's last
        sentences end, how many sentence stops and quotation marks each side
        has (issue 26: a link that mismatches them is most likely wrong)."""
        p, src, tgt = self.p, self.src, self.tgt
        iic = np.clip(ii, a, self.n)
        jjc = np.clip(jj, b, self.m)
        cost = p.end_penalty * (src.end_marks[iic] != tgt.end_marks[jjc])
        ds = src.cumstops[iic] - src.cumstops[iic - a]
        dt = tgt.cumstops[jjc] - tgt.cumstops[jjc - b]
        slack = a + b - 2  # a translator who merges two sentences drops a stop
        cost = cost + p.stop_penalty * np.minimum(np.maximum(np.abs(ds - dt) - slack, 0), 2)
        qs = src.cumquotes[iic] - src.cumquotes[iic - a]
        qt = tgt.cumquotes[jjc] - tgt.cumquotes[jjc - b]
        cost = cost + p.quote_penalty * np.minimum(np.abs(qs - qt), 2)
        if a == b == 2 and p.stagger_bonus:
            cost = cost - p.stagger_bonus * self._staggered(iic, jjc, ds - dt)
        return cost

    def _staggered(self, iic: np.ndarray, jjc: np.ndarray, excess: np.ndarray) -> np.ndarray:
        """2-2 links whose inner boundary sits at a different sentence stop on
        each side (`A B | C` against `D | E F`): the first source sentence has
        more stops than the first target sentence and the second fewer, or
        the reverse, and all four sentences end in a stop, so none is a
        headline or a cut line. `excess` is the source's extra stops over
        the whole link."""
        src, tgt = self.src, self.tgt
        first = (src.cumstops[iic - 1] - src.cumstops[iic - 2]) - (
            tgt.cumstops[jjc - 1] - tgt.cumstops[jjc - 2]
        )
        second = excess - first
        src_stop = (src.end_marks >= 1) & (src.end_marks <= 3)
        tgt_stop = (tgt.end_marks >= 1) & (tgt.end_marks <= 3)
        stops = src_stop[iic - 1] & src_stop[iic] & tgt_stop[jjc - 1] & tgt_stop[jjc]
        return (first * second < 0) & stops

    def cost(self, band: Band, a: int, b: int, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
        """Cost of a-b links ending at source ii and target jj (see `AlignParams`)."""
        p = self.p
        length, sim, mass, chrf_score = self.evidence(band, a, b, ii, jj)
        if a == 0 or b == 0:
            cost = np.minimum(length, p.deletion_length_cap) + p.prior_del
            if p.orphan_bonus and self.anchors is not None:
                if a:
                    orphans = self.anchors.src_orphans[np.clip(ii, 1, self.n) - 1]
                else:
                    orphans = self.anchors.tgt_orphans[np.clip(jj, 1, self.m) - 1]
                cost = cost - p.orphan_bonus * np.minimum(orphans, 1)
            if a and p.paragraph_refund:
                iic = np.clip(ii, 1, self.n)
                jjc = np.clip(jj, 0, self.m)
                ends = self.src_ends[iic] & self.tgt_ends[jjc] & ~self.src_ends[iic - 1]
                cost = cost - p.paragraph_refund * ends
            return cost
        prior = p.prior_11 if a == b == 1 else p.prior_22 if a == b == 2 else p.prior_21
        cost = length + prior
        if sim is not None:
            cost = cost - p.anchor_weight * np.where(mass > 0, sim - p.anchor_offset, 0.0)
        if p.part_penalty and self.anchors is not None and (a == 2 or b == 2):
            cost = cost + p.part_penalty * self._orphan_parts(band, a, b, ii, jj)
        cost = cost + self._structure_cost(a, b, ii, jj)
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
