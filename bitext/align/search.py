"""The aligner's search: the cheapest monotone path through the link costs.

Dynamic programming over (source sentences done, target sentences done),
in a band around the diagonal or around an earlier path, row by row with
whole rows of costs from `CostModel.cost`. The caller widens the band when
the path runs along its edge (`BestPath.touched`), as hunalign does, so
time and memory grow linearly with the document.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bitext.align.cost import LINK_TYPES, Band, CostModel, Spans

#: Rows of the table whose costs are computed in one call.
ROWS_PER_CHUNK = 1024


@dataclass
class BestPath:
    """The cheapest path in a band, its cost, and the band it was found in.

    `touched`: the path ran along the band's edge, so a wider band may find
    a cheaper one. The link scores read chrF from `band`.
    """

    path: Spans
    touched: bool
    cost: float
    band: Band


class _NoPath(RuntimeError):
    """The band held no complete path."""


def best_path(
    model: CostModel, half: int, center: np.ndarray | None = None, *, with_chrf: bool = False
) -> BestPath:
    """Best path in a band of half-width `half` around `center` (default: the diagonal).

    `with_chrf` adds the translations' chrF to the costs. A band that leaves
    no way through (a very uneven pair, or a centre taken from a path with
    long runs of 0-1 links) falls back to the full table rather than failing.
    """
    try:
        return _search(model, model.band(half, center, with_chrf=with_chrf))
    except _NoPath:
        full = max(model.n, model.m) + 2
        return _search(model, model.band(full, None, with_chrf=with_chrf))


def path_center(path: Spans, n: int) -> np.ndarray:
    """Band centre per row: the middle of the columns the path visits there."""
    lo = np.full(n + 1, np.iinfo(np.int64).max)
    hi = np.full(n + 1, -1)
    for i0, i1, j0, j1 in path:
        # The row inside a 2-x link is not on the path: take the link's middle.
        for i, j in ((i0, j0), (i1, j1), ((i0 + i1) // 2, (j0 + j1) // 2)):
            lo[i] = min(lo[i], j)
            hi[i] = max(hi[i], j)
    return (lo + hi) // 2


def _search(model: CostModel, band: Band) -> BestPath:
    D, back = _fill(model, band)
    n, m, width, lo = band.n, band.m, band.width, band.lo
    end = m - int(lo[n])
    if not 0 <= end < width or not np.isfinite(D[n, end]):
        raise _NoPath("the band does not reach the end of both texts")
    path, touched = _backtrack(band, back)
    return BestPath(path, touched, float(D[n, end]), band)


def _fill(model: CostModel, band: Band) -> tuple[np.ndarray, np.ndarray]:
    """Cheapest cost of each cell of the band (D), and the link type reaching it."""
    n, m, width, lo = band.n, band.m, band.width, band.lo
    inf = np.inf
    D = np.full((n + 1, width), inf)
    back = np.full((n + 1, width), -1, np.int8)
    ks = np.arange(width)
    insert_type = LINK_TYPES.index((0, 1))
    # 0-1 links: cost of target sentence j-1, the same in every row, less the
    # paragraph refund in rows whose source sentence before ends a paragraph.
    all_j = np.arange(m + 1)
    insert_cost = model.cost(band, 0, 1, np.zeros(1, np.int64), all_j)
    insert_cost[0] = 0.0
    insert_pad = np.concatenate([np.zeros(width), insert_cost, np.zeros(width)])
    refund = model.insert_refund()
    refund_pad = None
    if refund is not None:
        refund_pad = np.concatenate([np.zeros(width), refund, np.zeros(width)])
    src_ends = model.src_ends.tolist()
    row_types = [(t, a, b) for t, (a, b) in enumerate(LINK_TYPES) if a > 0]
    inf_row = np.full(width, inf)
    none_row = np.full(width, -1, np.int8)
    lo_list = lo.tolist()
    for c0 in range(0, n + 1, ROWS_PER_CHUNK):
        rows = np.arange(c0, min(c0 + ROWS_PER_CHUNK, n + 1))
        ii = rows[:, None]
        jj = lo[rows][:, None] + ks[None, :]
        costs = {t: model.cost(band, a, b, ii, jj) for t, a, b in row_types}
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
            if refund_pad is not None and src_ends[i]:
                ins -= refund_pad[j0 + width : j0 + 2 * width]
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
    return D, back


def _backtrack(band: Band, back: np.ndarray) -> tuple[Spans, bool]:
    """The path ending at (n, m), and whether it ran along the band's edge."""
    n, m, width, lo = band.n, band.m, band.width, band.lo
    path: Spans = []
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
