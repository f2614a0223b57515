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
  side only, or merges sentences of two paragraphs, pays a small penalty,
  which a sentence without counterpart ending the paragraph gives back);
* punctuation structure a translation keeps: how a link's last sentences end,
  how many sentence stops and quotation marks each side has, and whether a
  2-2 link's inner boundary sits at a different stop on each side;
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

`align_sentences` runs the phases; each has its module in this package:

1. flatten the paragraphs and index what the costs need (`cost.CostModel`:
   lengths, `anchors.AnchorIndex`, `chrf.ChrfIndex`);
2. search the cheapest path in a band, doubling the band while the path
   runs along its edge (`search.best_path`);
3. with translations, search again in a narrow band around that path with
   chrF added (it is costly, so the earlier passes go without);
4. when a banded path has many weak links, try a wider band, and keep it
   if it is cheaper;
5. re-estimate the length ratio from the 1-1 links and search again if it
   moved;
6. score the links of the final path (`scoring.LinkScorer`).
"""

from __future__ import annotations

from bitext.align.cost import LENGTH_ONLY, AlignParams, CostModel, Side, flatten
from bitext.align.scoring import WEAK_THRESHOLD, Link, LinkScorer
from bitext.align.search import BestPath, best_path, path_center

__all__ = [
    "Link",
    "AlignParams",
    "LENGTH_ONLY",
    "WEAK_THRESHOLD",
    "align_sentences",
]

MT_BAND = 8  # half-width of the band in which chrF is computed
FULL_TABLE_SIZE = 300  # documents up to this many sentences need no band


def align_sentences(
    source: list[list[str]],
    target: list[list[str]],
    *,
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
    the tuned cost weights (`LENGTH_ONLY` gives plain Gale-Church). The
    anchors are language-independent, so no language codes are needed.
    """
    p = params or AlignParams()
    src = Side(*flatten(source))
    tgt = Side(*flatten(target))
    n, m = len(src.sentences), len(tgt.sentences)
    if translations is not None and len(translations) != n:
        raise ValueError(f"{len(translations)} translations for {n} source sentences")
    if n == 0 or m == 0:
        return [Link([i], [], 0.0, True) for i in range(n)] + [
            Link([], [j], 0.0, True) for j in range(m)
        ]
    model = CostModel(src, tgt, p, translations)
    scorer = LinkScorer(model)
    size = max(n, m)
    if band is None:
        # Short documents get the full table; long ones a band that widens.
        band = size if size <= FULL_TABLE_SIZE else p.band
    best, half = _widening_search(model, max(band, 2), p.max_widen)
    with_chrf = model.use_mt
    if with_chrf:
        # chrF is costly: the first passes ran without it, this one scores it
        # in a narrow band around their path.
        best = best_path(model, min(MT_BAND, size), path_center(best.path, n), with_chrf=True)
    links = None  # the scored path, kept while the path and the ratio stand
    if half < size:
        links = scorer.links(best)
        if sum(link.weak for link in links) > 0.25 * len(links):
            # Many weak links can mean the band kept the path from the truth.
            wide = best_path(model, min(4 * half, size), with_chrf=with_chrf)
            if wide.cost < best.cost:
                best, links = wide, None
    if p.length_ratio is None and model.refit_ratio(best.path):
        # Sentences without counterpart skewed the length ratio: redo with
        # the ratio of the 1-1 links found.
        best = best_path(model, half, path_center(best.path, n), with_chrf=with_chrf)
        links = None
    return links if links is not None else scorer.links(best)


def _widening_search(model: CostModel, half: int, max_widen: int) -> tuple[BestPath, int]:
    """Best path in a band that doubles (up to `max_widen` times) while the
    path runs along its edge; also the half-width reached."""
    size = max(model.n, model.m)
    center = None
    for _ in range(max_widen + 1):
        best = best_path(model, half, center)
        if not best.touched or half >= size:
            break
        # The path ran along the band's edge: follow it with a wider band.
        center = path_center(best.path, model.n)
        half *= 2
    return best, half
