"""Geometry of the ink: path lengths, extents of strokes and of the writing, self-intersections.

Self-intersections are counted in O(N log N) for well-spread ink (uniform-grid spatial
hashing over the segments, fully vectorised; BDALab ``handwriting-features`` tests
every pair of segments, O(N^2) in time and memory). A crossing is *proper*: the two
segments' interiors cross; segments that only touch (a shared end point, collinear
overlap, a retrace through a sample point) are not counted, as in BDALab.
"""

from __future__ import annotations

import math

import numpy as np

from .._stats import hypot
from ..errors import ParameterError, as_float_array
from ..recording import Recording
from ..registry import metric
from ..segment import stroke_boxes

__all__ = [
    "segment_crossings",
    "ink_length",
    "stroke_extents",
    "stroke_length_mean",
    "stroke_width_mean",
    "stroke_height_mean",
    "writing_width",
    "writing_height",
    "self_intersections",
    "intra_stroke_intersections",
]


_MAX_CELLS = 64  # a segment covering more grid cells than this is "long"
_MAX_LONG_PAIRS = 20_000_000


def _orient_sign(ax, ay, bx, by, cx, cy):  # type: ignore[no-untyped-def]
    return np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))


def segment_crossings(
    x: np.ndarray,
    y: np.ndarray,
    *,
    valid: np.ndarray | None = None,
    cell_mm: float | None = None,
) -> np.ndarray:
    """Pairs of segments of a polyline whose interiors cross (proper crossings).

    Segment ``k`` joins points ``k`` and ``k + 1``. Candidate pairs come from a
    uniform grid (each segment is hashed into the cells its bounding box covers),
    so the work grows as N log N for ink spread over the page instead of N^2. The candidate
    pairs of the cells are generated one in-cell offset at a time, never all at once, so
    the extra memory stays linear in N (plus the pairs whose boxes overlap) even where the
    ink retraces itself densely.

    Parameters
    ----------
    x, y : array_like
        Point coordinates (mm), N points.
    valid : array_like of bool, optional
        N - 1 flags: which segments exist (False across a pen lift). Default all.
    cell_mm : float, optional
        Grid cell size; default twice the median segment length. Segments covering more
        than 64 cells are tested against all others instead of being hashed.

    Returns
    -------
    ndarray of int, shape (K, 2)
        Segment index pairs ``(i, j)``, ``i < j``, sorted; consecutive segments
        (sharing a point) are never reported.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.linspace(0.05, 2 * np.pi + 0.03, 400)        # a figure eight, one crossing
    >>> segment_crossings(np.sin(t), np.sin(t) * np.cos(t)).shape
    (1, 2)
    >>> segment_crossings([0, 1, 1, 0], [0, 1, 0, 1])        # a "Z" folded into an X
    array([[0, 2]])
    """
    x = as_float_array(x, "x")
    y = as_float_array(y, "y", n=x.size)
    n_seg = max(x.size - 1, 0)
    if valid is None:
        ok = np.ones(n_seg, dtype=bool)
    else:
        ok = np.asarray(valid, dtype=bool)
        if ok.shape != (n_seg,):
            raise ParameterError(f"valid: expected {n_seg} flags (one per segment), got shape {ok.shape}")
    empty = np.empty((0, 2), dtype=np.int64)
    x0, y0, x1, y1 = x[:-1], y[:-1], x[1:], y[1:]
    ok = ok & ((x0 != x1) | (y0 != y1)) & np.isfinite(x0 + y0 + x1 + y1)
    sid = np.flatnonzero(ok)
    m = sid.size
    if m < 2:
        return empty
    x0, y0, x1, y1 = x0[sid], y0[sid], x1[sid], y1[sid]
    lox, hix = np.minimum(x0, x1), np.maximum(x0, x1)
    loy, hiy = np.minimum(y0, y1), np.maximum(y0, y1)
    X0, Y0 = lox.min(), loy.min()
    if cell_mm is None:
        # about two typical segments: few segments share a cell, each covers few cells (the
        # typical length from an evenly spaced subsample of at most ~4,000 segments: any cell
        # size gives the same pairs, only the speed depends on it)
        step = max(1, m // 4096)
        dx, dy = x1[::step] - x0[::step], y1[::step] - y0[::step]
        c = max(2.0 * float(np.sqrt(np.median(dx * dx + dy * dy))), 1e-9)
    else:
        if not cell_mm > 0:
            raise ParameterError(f"cell_mm: expected > 0, got {cell_mm!r}")
        c = float(cell_mm)
    span = max(float(hix.max() - X0), float(hiy.max() - Y0))
    if not np.isfinite(span):  # coordinates near the float limit: halve them (exact) and retry
        return segment_crossings(x * 0.5, y * 0.5, valid=valid, cell_mm=None if cell_mm is None else c * 0.5)
    c = max(c, span / 2.0**26)  # at most 2^26 cells a side, so cell numbers fit in int64
    ix0 = np.floor((lox - X0) / c).astype(np.int64)
    ix1 = np.floor((hix - X0) / c).astype(np.int64)
    iy0 = np.floor((loy - Y0) / c).astype(np.int64)
    iy1 = np.floor((hiy - Y0) / c).astype(np.int64)
    nx = ix1 - ix0 + 1
    ny = iy1 - iy0 + 1
    ncell = nx * ny
    # Segments covering many cells (rare: a jump, a straight ruler line) are not hashed;
    # they are tested against every other segment instead (cost: n_long * m).
    long_ = ncell > _MAX_CELLS
    li = np.flatnonzero(long_)
    if li.size * m > _MAX_LONG_PAIRS:  # too many long ones: coarsen the grid instead
        return segment_crossings(x, y, valid=valid, cell_mm=c * 4.0)
    ncell = np.where(long_, 0, ncell)
    total = int(ncell.sum())
    NY = int(iy1.max()) + 2
    # A pair is kept only in ONE shared cell, the one holding the lower-left corner of the
    # boxes' overlap: floor is monotone, so that cell is (max ix0, max iy0), i.e. a cell
    # where one box starts in x and one (maybe the other) starts in y: bit 0 / bit 1 of
    # `code` (an entry in its box's first column / first row). Most segments lie in one
    # cell (code 3); the entries of the others are enumerated cell by cell. (The order of
    # the entries before the sort by cell does not change the pairs found.)
    rep, code, cell = _cell_entries(ix0, iy0, nx, ncell, NY)
    # stable (timsort): `cell` runs in long ascending stretches along the ink, which it merges
    # faster than quicksort sorts; the order within a cell does not change the pairs found
    order = np.argsort(cell, kind="stable")
    cell = cell[order]
    seg = rep[order]
    code = code[order]
    del rep, order
    # entries left in the same cell after entry i (itself included)
    brk = np.flatnonzero(cell[1:] != cell[:-1]) + 1
    gend = np.concatenate((brk, [total]))
    rem = np.repeat(gend, np.diff(np.concatenate(([0], gend)))) - np.arange(total)
    del brk, gend
    # Crowded cells (ink retracing itself densely): order each cell's entries by the left
    # edge of their boxes, so that entry i's partners end at the first box starting right
    # of it (a sweep within the cell: about 2-3x fewer candidate pairs there).
    sweep = int(rem.sum()) - total > 4 * total and (int(cell[-1]) + 1) * m < 2**62
    if sweep:
        rank = np.empty(m, dtype=np.int64)
        rank[np.argsort(lox)] = np.arange(m)
        order = np.argsort(cell * m + rank[seg])
        cell, seg, code = cell[order], seg[order], code[order]  # same cells in the same places: `rem` holds
        del rank, order
    # Entries of one cell are contiguous, so the pairs of a cell are (i, i + k) for
    # k = 1, 2, ...: looping over k (up to the largest cell occupancy, not over samples or
    # cells) keeps memory linear in the number of entries instead of materialising every
    # candidate pair at once. Per-entry copies (sorted by cell) of what the tests read:
    e_lox, e_hix, e_loy, e_hiy = lox[seg], hix[seg], loy[seg], hiy[seg]
    e_sid = sid[seg]
    del cell
    parts_a: list[np.ndarray] = []
    parts_b: list[np.ndarray] = []
    k = 1
    idx = np.flatnonzero(rem > 1)
    while idx.size:
        j = idx + k
        # cheap rejects, the most selective first: disjoint boxes; adjacent segments
        # (sharing a point); a pair already kept in another shared cell (see `code`)
        if sweep:  # lox[i] <= lox[j]; once lox[j] > hix[i], so are all later ones
            keep = e_lox[j] <= e_hix[idx]
            idx = i2 = idx[keep]
            j2 = j[keep]
        else:
            keep = (e_lox[idx] <= e_hix[j]) & (e_lox[j] <= e_hix[idx])
            i2, j2 = idx[keep], j[keep]
        keep = (e_loy[i2] <= e_hiy[j2]) & (e_loy[j2] <= e_hiy[i2])
        keep &= (code[i2] | code[j2]) == 3
        keep &= np.abs(e_sid[i2] - e_sid[j2]) != 1
        sa, sb = seg[i2[keep]], seg[j2[keep]]
        parts_a.append(np.minimum(sa, sb))
        parts_b.append(np.maximum(sa, sb))
        k += 1
        idx = idx[rem[idx] > k]
    a = np.concatenate(parts_a) if parts_a else np.empty(0, dtype=np.int64)
    b = np.concatenate(parts_b) if parts_b else np.empty(0, dtype=np.int64)
    if li.size:  # long segments against all others (long-long pairs once: b > a)
        lo, hi = _long_pairs(li, long_, sid, (lox, hix, loy, hiy))
        a, b = np.concatenate((a, lo)), np.concatenate((b, hi))
    if a.size == 0:
        return empty
    return _proper_crossings(a, b, sid, x0, y0, x1, y1)


def _cell_entries(ix0: np.ndarray, iy0: np.ndarray, nx: np.ndarray, ncell: np.ndarray,
                  n_rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid entries of the hashed segments: (segment, corner code, cell number) per entry.

    Segments in one cell (most) get their entry directly with code 3; the others are
    enumerated cell by cell, bit 0 / bit 1 of the code marking an entry in the first
    column / first row of the segment's box (see :func:`segment_crossings`).
    """
    single = np.flatnonzero(ncell == 1)
    multi = np.flatnonzero(ncell > 1)
    nm = ncell[multi]
    rep_m = np.repeat(multi, nm)
    within = np.arange(rep_m.size) - np.repeat(np.cumsum(nm) - nm, nm)
    row_, col_ = np.divmod(within, nx[rep_m])
    rep = np.concatenate((single, rep_m))
    code = np.concatenate((np.full(single.size, 3, dtype=np.uint8),
                           (col_ == 0).view(np.uint8) | ((row_ == 0).view(np.uint8) << 1)))
    cell = np.concatenate((ix0[single] * n_rows + iy0[single],
                           (ix0[rep_m] + col_) * n_rows + (iy0[rep_m] + row_)))
    return rep, code, cell


def _long_pairs(li: np.ndarray, long_: np.ndarray, sid: np.ndarray,
                boxes: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Candidate pairs (lower, higher index) of the long segments `li` with every other segment.

    Long-long pairs come once; adjacent segments and disjoint boxes are dropped.
    """
    lox, hix, loy, hiy = boxes
    m = long_.size
    la = np.repeat(li, m)
    lb = np.tile(np.arange(m), li.size)
    ok = (~long_[lb] | (lb > la)) & (la != lb)
    la, lb = la[ok], lb[ok]
    lo, hi = np.minimum(la, lb), np.maximum(la, lb)
    ok = (sid[hi] != sid[lo] + 1) & (lox[lo] <= hix[hi]) & (lox[hi] <= hix[lo]) & (loy[lo] <= hiy[hi]) & (
        loy[hi] <= hiy[lo])
    return lo[ok], hi[ok]


def _proper_crossings(a: np.ndarray, b: np.ndarray, sid: np.ndarray, x0: np.ndarray, y0: np.ndarray,
                      x1: np.ndarray, y1: np.ndarray) -> np.ndarray:
    """The candidate pairs ``(a, b)`` whose segments cross properly, as sorted segment-id pairs."""
    o1 = _orient_sign(x0[a], y0[a], x1[a], y1[a], x0[b], y0[b])
    o2 = _orient_sign(x0[a], y0[a], x1[a], y1[a], x1[b], y1[b])
    o3 = _orient_sign(x0[b], y0[b], x1[b], y1[b], x0[a], y0[a])
    o4 = _orient_sign(x0[b], y0[b], x1[b], y1[b], x1[a], y1[a])
    cross = (o1 * o2 < 0) & (o3 * o4 < 0)
    out = np.column_stack((sid[a[cross]], sid[b[cross]]))
    return out[np.lexsort((out[:, 1], out[:, 0]))]


def _ink(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """Per-segment on-surface flag and stroke id (segment k joins samples k, k+1)."""
    pd = rec.pen_down
    valid = pd[:-1] & pd[1:]
    sid = np.cumsum(pd & ~np.concatenate(([False], pd[:-1]))) - 1
    return valid, sid[:-1]


def stroke_extents(rec: Recording) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Path length, width (horizontal extent) and height (vertical extent) of every stroke, mm.

    Computed once per recording (cached; the arrays are shared: do not modify them).

    Returns
    -------
    length, width, height : ndarray, shape (n_strokes,)

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0, 3, 3, 10, 10], y=[0, 4, 4, 0, 2],
    ...                             pen_down=[1, 1, 0, 1, 1])
    >>> [a.tolist() for a in stroke_extents(rec)]
    [[5.0, 2.0], [3.0, 0.0], [4.0, 2.0]]
    """
    return rec.cached(("geometry.stroke_stats",), lambda: _compute_stroke_stats(rec))


_stroke_stats = stroke_extents


def _compute_stroke_stats(rec: Recording) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    starts, stops = rec.stroke_bounds()
    if starts.size == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    x, y = rec.x, rec.y
    box = stroke_boxes(rec)  # x_min, x_max, y_min, y_max per stroke (shared, cached)
    w = box[:, 1] - box[:, 0]
    h = box[:, 3] - box[:, 2]
    # path length on the pen-down samples only (reduceat runs up to the next start)
    idx = np.flatnonzero(rec.pen_down)
    xs, ys = x[idx], y[idx]
    new_starts = np.concatenate(([0], np.cumsum(stops - starts)[:-1]))
    seg = hypot(np.diff(xs), np.diff(ys))
    seg = np.concatenate((seg, [0.0]))
    seg[new_starts[1:] - 1] = 0.0  # the jump from one stroke's end to the next start
    length = np.add.reduceat(seg, new_starts)
    return length, w, h


@metric(unit="mm", better=None, depends_on_text=True, label='Ink length')
def ink_length(rec: Recording) -> float:
    """Total on-surface path length (mm).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0, 3, 3, 10, 10], y=[0, 4, 4, 0, 2],
    ...                             pen_down=[1, 1, 0, 1, 1])
    >>> ink_length(rec)
    7.0
    """
    if not rec.pen_down.any():
        return math.nan
    return float(_stroke_stats(rec)[0].sum())


@metric(unit="mm", better=None, depends_on_text=True, label='Stroke length')
def stroke_length_mean(rec: Recording) -> float:
    """Mean path length of a stroke (mm).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0, 3, 3, 10, 10], y=[0, 4, 4, 0, 2],
    ...                             pen_down=[1, 1, 0, 1, 1])
    >>> stroke_length_mean(rec)
    3.5
    """
    length = _stroke_stats(rec)[0]
    return float(length.mean()) if length.size else math.nan


@metric(unit="mm", better=None, depends_on_text=True, label='Stroke width (extent)')
def stroke_width_mean(rec: Recording) -> float:
    """Mean horizontal extent of a stroke (mm).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0, 3, 3, 10, 10], y=[0, 4, 4, 0, 2],
    ...                             pen_down=[1, 1, 0, 1, 1])
    >>> stroke_width_mean(rec)
    1.5
    """
    w = _stroke_stats(rec)[1]
    return float(w.mean()) if w.size else math.nan


@metric(unit="mm", better=None, depends_on_text=True, label='Stroke height')
def stroke_height_mean(rec: Recording) -> float:
    """Mean vertical extent of a stroke (mm).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0, 3, 3, 10, 10], y=[0, 4, 4, 0, 2],
    ...                             pen_down=[1, 1, 0, 1, 1])
    >>> stroke_height_mean(rec)
    3.0
    """
    h = _stroke_stats(rec)[2]
    return float(h.mean()) if h.size else math.nan


@metric(unit="mm", better=None, depends_on_text=True, label='Writing width')
def writing_width(rec: Recording) -> float:
    """Horizontal extent of all the ink (mm).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2], x=[0, 30, 12], y=[0, 4, 0], pen_down=[1, 0, 1])
    >>> writing_width(rec)
    12.0
    """
    x = rec.x[rec.pen_down]
    return float(x.max() - x.min()) if x.size else math.nan


@metric(unit="mm", better=None, depends_on_text=True, label='Writing height')
def writing_height(rec: Recording) -> float:
    """Vertical extent of all the ink (mm).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2], x=[0, 30, 12], y=[0, 40, 5], pen_down=[1, 0, 1])
    >>> writing_height(rec)
    5.0
    """
    y = rec.y[rec.pen_down]
    return float(y.max() - y.min()) if y.size else math.nan


def _crossings(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    def compute() -> tuple[np.ndarray, np.ndarray]:
        valid, sid = _ink(rec)
        pairs = segment_crossings(rec.x, rec.y, valid=valid)
        return pairs, sid

    return rec.cached(("geometry.crossings",), compute)


@metric(unit="1", better=None, depends_on_text=True, label='Ink crossings')
def self_intersections(rec: Recording) -> float:
    """Number of proper crossings of the ink with itself (within and between strokes).

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.linspace(0.05, 2 * np.pi + 0.03, 400)
    >>> rec = Recording.from_arrays(t=t, x=10 * np.sin(t), y=10 * np.sin(t) * np.cos(t))
    >>> self_intersections(rec)
    1.0
    """
    if len(rec) < 2 or not rec.pen_down.any():
        return math.nan
    return float(_crossings(rec)[0].shape[0])


@metric(unit="1", better=None, depends_on_text=True, label='Crossings within strokes')
def intra_stroke_intersections(rec: Recording) -> float:
    """Number of proper crossings of strokes with themselves (not with other strokes).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4, 5, 6], x=[0, 1, 1, 0, 0, 5, 5], y=[0, 1, 0, 1, 0, 0, 1],
    ...                             pen_down=[1, 1, 1, 1, 0, 1, 1])
    >>> intra_stroke_intersections(rec)
    1.0
    """
    if len(rec) < 2 or not rec.pen_down.any():
        return math.nan
    pairs, sid = _crossings(rec)
    return float(np.count_nonzero(sid[pairs[:, 0]] == sid[pairs[:, 1]]))
