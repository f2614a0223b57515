"""How sure each link of the aligner's path is: a score in 0..1.

A logistic model of a link's evidence (length fit, local anchor overlap,
chrF), calibrated on ntrex-dev, then three corrections that the search
itself cannot make: a link whose sentences share clearly more anchors with
sentences elsewhere is unsure (paragraphs were reordered); a thin link
among neighbours that doubt the order is unsure; a link with nothing but
its length to go on, between two sure links, is sure. Links under
`WEAK_THRESHOLD` are `weak`. See docs/alignment.md.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np

from bitext.align.cost import Band, CostModel, Spans
from bitext.align.search import BestPath

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
SURE_Z = 1.4  # a neighbour this sure (score 0.8) vouches for a blind link
SANDWICH_BONUS = 1.5
# A link sharing less anchor weight than this is thin: when a neighbour within
# SUPPORT_WINDOW links doubts the order and no sure one vouches for it, it is
# unsure (see LinkScorer._unsupported).
THIN_EVIDENCE = 8.0
SUPPORT_WINDOW = 2
UNSUPPORTED_Z = -0.5  # such a link is unsure (score 0.38 at most), not known wrong
# Anchors count for a link's score only when the other side has them within
# this many sentences of the link (see LinkScorer._local_dice).
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


class LinkScorer:
    """Scores the links of a path found by the search, for one document pair.

    It reads the pair's anchors (counted near each link only) and lengths
    from the cost model, and chrF from the band the path was found in.
    """

    def __init__(self, model: CostModel) -> None:
        self.model = model
        self.index = model.anchors

    def links(self, best: BestPath) -> list[Link]:
        """The links of `best.path`, each with its score and whether it is weak."""
        path = best.path
        z = np.zeros(len(path))
        informed = np.ones(len(path), bool)
        by_type: dict[tuple[int, int], list[int]] = {}
        for x, (i0, i1, j0, j1) in enumerate(path):
            by_type.setdefault((i1 - i0, j1 - j0), []).append(x)
        for (a, b), members in by_type.items():
            ii = np.array([path[x][1] for x in members])
            jj = np.array([path[x][3] for x in members])
            z[members], informed[members] = self._evidence_z(best.band, a, b, ii, jj)
        if self.index is not None:
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

    def _shared_weight(self, path: Spans) -> np.ndarray:
        """Anchor weight the two sides of each link have in common."""
        shared = np.zeros(len(path))
        for x, (i0, i1, j0, j1) in enumerate(path):
            if i0 == i1 or j0 == j1:
                continue
            src = {f: w for i in range(i0, i1) for f, w in self.index.src_feats[i].items()}
            tgt = {f for j in range(j0, j1) for f in self.index.tgt_feats[j]}
            shared[x] = sum(w for f, w in src.items() if f in tgt)
        return shared

    def _better_elsewhere(self, path: Spans, shared: np.ndarray) -> np.ndarray:
        """Penalty for links whose sentences share clearly more anchors elsewhere.

        The path is monotone, so when paragraphs were reordered it is forced
        through pairs that are not translations. Those pairs may still share
        an anchor or two, but their sentences share far more with their true
        counterparts, somewhere else in the document: such links are unsure.
        Sentences next to the link do not count as rivals: merges and drops
        there are the dynamic programme's own business.
        """
        index = self.index
        penalty = np.zeros(len(path))
        for x, (i0, i1, j0, j1) in enumerate(path):
            if i0 == i1 or j0 == j1:
                continue
            near_tgt, near_src = range(j0 - 2, j1 + 2), range(i0 - 2, i1 + 2)
            rivals = [
                self._best_match(index.src_feats[i], index.tgt_postings, near_tgt, j0)
                for i in range(i0, i1)
            ]
            rivals += [
                self._best_match(index.tgt_feats[j], index.src_postings, near_src, i0)
                for j in range(j0, j1)
            ]
            rival = max(rivals, default=0.0)
            if rival >= RIVAL_MIN and rival > RIVAL_RATIO * shared[x]:
                penalty[x] = RIVAL_PENALTY
        return penalty

    @staticmethod
    def _unsupported(
        path: Spans,
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
        index = self.index
        sims = np.zeros(len(ii))
        masses = np.zeros(len(ii))
        for x, (i1, j1) in enumerate(zip(ii.tolist(), jj.tolist())):
            i0, j0 = i1 - a, j1 - b
            src = self._local_counts(index.src_feats[i0:i1], index.tgt_postings, j0, j1)
            tgt = self._local_counts(index.tgt_feats[j0:j1], index.src_postings, i0, i1)
            weight = index.weight
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

    def _evidence_z(self, band: Band, a: int, b: int, ii: np.ndarray, jj: np.ndarray):
        """Log-odds that links are right, and whether anything but length spoke."""
        if a == 0 or b == 0:
            if self.index is None:
                return np.zeros(len(ii)), np.zeros(len(ii), bool)
            # A sentence without counterpart: sure when it shares no anchor
            # with the sentences around the gap, unsure when it does.
            out = []
            for i, j in zip(ii.tolist(), jj.tolist()):
                if a:
                    mine = self.index.src_feats[i - 1]
                    others = self.index.tgt_feats[max(0, j - 2) : j + 2]
                else:
                    mine = self.index.tgt_feats[j - 1]
                    others = self.index.src_feats[max(0, i - 2) : i + 2]
                mass = sum(mine.values())
                if mass == 0:
                    out.append(0.4)
                    continue
                shared = max((sum(w for f, w in mine.items() if f in o) for o in others), default=0)
                out.append(2.5 - 3.5 * shared / mass)
            return np.array(out), np.ones(len(ii), bool)
        length, _, _, chrf_score = self.model.evidence(band, a, b, ii, jj, with_anchors=False)
        sim = mass = None
        if self.index is not None:
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
