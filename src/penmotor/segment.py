"""Segmentation of the ink: components, words and lines from gaps; sub-strokes.

All functions work on the pen-down strokes of a :class:`~penmotor.Recording`, in a
*writing frame*: the page rotated by ``-angle_deg`` so that the baseline is horizontal
(``u`` along the line, ``v`` up), optionally de-slanted (``u - v tan(slant)``) so that
letters leaning right or left still group by their upright footprint. The frame
(angle, x-height, slant) is estimated by :func:`penmotor.metrics.sizing.layout`;
here it is a parameter, so these functions stay pure and testable.

Loops run over strokes and components, never over samples.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._stats import median, otsu_split
from .errors import ParameterError
from .recording import Recording

__all__ = ["frame_coords", "frame_coords_lines", "stroke_boxes", "components", "words", "lines", "line_labels", "gap_threshold",
           "word_breaks",
           "component_gaps", "component_pauses"]


# --- words and lines ---
def frame_coords(x: Any, y: Any, *, angle_deg: float = 0.0, slant_deg: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in the writing frame: rotate by ``-angle_deg``, then remove the slant.

    Parameters
    ----------
    x, y : array_like
        Page coordinates in mm (y up).
    angle_deg : float
        Direction of the baseline, degrees counter-clockwise from the x axis.
    slant_deg : float
        Slant to remove (positive = right-leaning): ``u -= v tan(slant)``.

    Returns
    -------
    u, v : ndarray
        Along-line and perpendicular (upward) coordinates, mm.

    Examples
    --------
    >>> u, v = frame_coords([0.0, 1.0], [0.0, 1.0], angle_deg=45.0)
    >>> np.round(u, 6).tolist(), np.round(v, 6).tolist()
    ([0.0, 1.414214], [0.0, 0.0])
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if not angle_deg and not slant_deg:
        return x.copy(), y.copy()
    a = math.radians(angle_deg)
    u = x * math.cos(a) + y * math.sin(a)
    v = -x * math.sin(a) + y * math.cos(a)
    if slant_deg:
        u = u - v * math.tan(math.radians(slant_deg))
    return u, v


def frame_coords_lines(x: Any, y: Any, counts: Any, angles_deg: Any,
                       slants_deg: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`frame_coords` of consecutive groups of points (text lines), each in its own frame.

    Group ``k`` is the next ``counts[k]`` points, rotated by ``-angles_deg[k]`` and de-slanted
    by ``slants_deg[k]`` (default none): the same numbers as :func:`frame_coords` group by
    group, in whole-array operations.

    Examples
    --------
    >>> u, v = frame_coords_lines([0.0, 1.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0], [2, 2], [45.0, 0.0])
    >>> np.round(u, 6).tolist(), np.round(v, 6).tolist()
    ([0.0, 1.414214, 0.0, 1.0], [0.0, 0.0, 0.0, 1.0])
    >>> frame_coords_lines([0.0, 1.0], [0.0, 1.0], [3], [0.0])
    Traceback (most recent call last):
    ...
    penmotor.errors.ParameterError: counts, angles_deg, slants_deg: expected one non-negative count and angle (and slant) per group, the counts adding up to the 2 points; got 1 counts adding up to 3, 1 angles, 1 slants, 2 y values
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = np.asarray(counts, dtype=np.intp)
    ang = np.asarray(angles_deg, dtype=np.float64)
    sl = np.zeros(ang.size) if slants_deg is None else np.asarray(slants_deg, dtype=np.float64)
    if n.ndim != 1 or ang.shape != n.shape or sl.shape != n.shape or np.any(n < 0) or int(n.sum()) != x.size \
            or y.shape != x.shape:
        raise ParameterError(f"counts, angles_deg, slants_deg: expected one non-negative count and angle (and slant) "
                             f"per group, the counts adding up to the {x.size} points; got {n.size} counts adding "
                             f"up to {int(n.sum())}, {ang.size} angles, {sl.size} slants, {y.size} y values")
    c = np.repeat(np.array([math.cos(math.radians(a)) for a in ang]), n)
    s = np.repeat(np.array([math.sin(math.radians(a)) for a in ang]), n)
    u = x * c + y * s
    v = -x * s + y * c
    same = np.repeat((ang == 0) & (sl == 0), n)  # frame_coords leaves these as they are
    if same.any():
        u[same], v[same] = x[same], y[same]
    tilted = np.repeat(sl != 0, n)
    if tilted.any():
        ta = np.repeat(np.array([math.tan(math.radians(a)) for a in sl]), n)
        u[tilted] = u[tilted] - v[tilted] * ta[tilted]
    return u, v


def _bounds(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """``rec.stroke_bounds()``, cached on the recording (asked for once per text line on a page)."""
    return rec.cached("segment.stroke_bounds", rec.stroke_bounds)


def stroke_boxes(rec: Recording, *, angle_deg: float = 0.0, slant_deg: float = 0.0,
                 strokes: Any = None) -> np.ndarray:
    """Bounding box of each pen-down stroke in the writing frame.

    Parameters
    ----------
    rec : Recording
    angle_deg, slant_deg : float
        Writing frame (see :func:`frame_coords`).
    strokes : array_like of int, optional
        Only these strokes (indices, e.g. one text line's); default all.

    Returns
    -------
    ndarray, shape (n_strokes, 4)
        Columns ``u_min, u_max, v_min, v_max`` (mm). In the page frame (both angles 0)
        the array is cached on the recording and read-only.

    Examples
    --------
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0, 1, 5, 6, 7], y=[0, 2, 0, 0, 1],
    ...                             pen_down=[1, 1, 0, 1, 1])
    >>> stroke_boxes(rec).tolist()
    [[0.0, 1.0, 0.0, 2.0], [6.0, 7.0, 0.0, 1.0]]
    >>> stroke_boxes(rec, strokes=[1]).tolist()
    [[6.0, 7.0, 0.0, 1.0]]
    """
    if strokes is not None:
        starts, stops = _bounds(rec)
        k = np.asarray(strokes, dtype=np.intp)
        if k.size == 0:
            return np.empty((0, 4))
        n = stops[k] - starts[k]
        s2 = np.r_[0, np.cumsum(n)[:-1]].astype(np.intp)
        idx = np.arange(int(n.sum())) + np.repeat(starts[k] - s2, n)
        u, v = frame_coords(rec.x[idx], rec.y[idx], angle_deg=angle_deg, slant_deg=slant_deg)
        return np.column_stack((np.minimum.reduceat(u, s2), np.maximum.reduceat(u, s2),
                                np.minimum.reduceat(v, s2), np.maximum.reduceat(v, s2)))
    if angle_deg == 0 and slant_deg == 0:  # the page frame: shared (geometry, pen-lift locations), cached
        return rec.cached(("segment.stroke_boxes",), lambda: _stroke_boxes(rec, 0.0, 0.0))
    return _stroke_boxes(rec, angle_deg, slant_deg)


def _stroke_boxes(rec: Recording, angle_deg: float, slant_deg: float) -> np.ndarray:
    starts, stops = _bounds(rec)
    if starts.size == 0:
        return np.empty((0, 4))
    down = rec.pen_down
    if angle_deg == 0 and slant_deg == 0:  # reduce over the pen-down samples only
        idx = np.flatnonzero(down)
        first = np.concatenate(([0], np.cumsum(stops - starts)[:-1]))
        cols = [rec.x[idx], rec.y[idx]]
        out = np.empty((starts.size, 4))
        for k, c in enumerate(cols):
            out[:, 2 * k] = np.minimum.reduceat(c, first)
            out[:, 2 * k + 1] = np.maximum.reduceat(c, first)
        out.flags.writeable = False
        return out
    u, v = frame_coords(rec.x, rec.y, angle_deg=angle_deg, slant_deg=slant_deg)
    out = np.empty((starts.size, 4))
    out[:, 0] = np.minimum.reduceat(np.where(down, u, np.inf), starts)
    out[:, 1] = np.maximum.reduceat(np.where(down, u, -np.inf), starts)
    out[:, 2] = np.minimum.reduceat(np.where(down, v, np.inf), starts)
    out[:, 3] = np.maximum.reduceat(np.where(down, v, -np.inf), starts)
    return out


def _group_overlaps(lo: np.ndarray, hi: np.ndarray, tol: float) -> np.ndarray:
    """Labels of the connected groups of intervals [lo, hi] (overlap or gap <= tol), left to right."""
    n = lo.size
    if n == 0:
        return np.empty(0, dtype=np.intp)
    order = np.argsort(lo, kind="stable")
    reach = np.maximum.accumulate(hi[order])
    new = np.concatenate(([True], lo[order][1:] > reach[:-1] + tol))
    lab_sorted = np.cumsum(new) - 1
    lab = np.empty(n, dtype=np.intp)
    lab[order] = lab_sorted
    return lab


def lines(rec: Recording, *, x_height_mm: float | None = None, angle_deg: float | None = None) -> np.ndarray:
    """Text line of each pen-down stroke (0, 1, ... from the top line down).

    Built for pages of online ink: slanted and drifting lines, descenders reaching into
    the next line's ascenders, strokes written late (i-dots, t-bars, corrections made
    after the line or after the page), a line written in several bursts.

    1. **Runs.** The strokes large enough to carry a line (height or width at least
       half the typical stroke height ``h``) are cut, in writing order, into runs
       wherever the pen jumps back along the line by more than ``3 h``, up or down by
       more than ``1.5 h``, or down by more than ``h`` while going back: a line return,
       a late stroke, a jump to another line.
    2. **Run lines.** Each run gets a least-squares centre line ``v = c + b u`` through
       its pen-down samples; runs at least ``2 h`` long are *anchors*. The writing
       direction is the width-weighted median of the anchors' directions (unless
       `angle_deg` is given), and everything is redone in that frame when it is tilted
       by more than 2 degrees.
    3. **Line pitch.** ``S``: the median, over anchors, of the vertical distance to the
       nearest anchor that overlaps it along the line (half of its length or more):
       such runs lie on different lines. Without any, ``S`` is ``2.5 h`` (with
       `x_height_mm`: ``3`` x-heights).
    4. **Lines.** Anchors whose centre lines, extended to the middle between them, are
       closer than ``S / 2`` are one line (connected components: a line written in
       bursts). Every other stroke, and any anchor stroke further than ``0.6 S`` from
       its line, goes to the line whose centre line is nearest at its position; a dot
       or short bar (height and width below ``h / 2``) goes with the nearest kept
       stroke (box distance; a box below it counts half, one above it twice: a dot sits
       on its letter, under the descenders of the line above), or with the line of the
       stroke written just before it when that stroke is within ``h`` or that line's ink
       is at most 1.5 times as far (an i-dot written in place, or at the end of its word).

    When no run is ``2 h`` long (a few letters, short words), strokes whose vertical
    extents overlap (widened by ``h / 10``) form a line.

    Work is vectorised over samples and strokes; Python loops run over nothing that
    grows with the recording except the pairs of anchors (one array operation).

    Parameters
    ----------
    rec : Recording
    x_height_mm : float, optional
        Scale of the writing; default estimated from the strokes (``h`` above).
    angle_deg : float, optional
        Writing direction on the page; default estimated (step 2).

    Returns
    -------
    ndarray of int, shape (n_strokes,)

    Examples
    --------
    >>> rec = Recording.from_arrays(t=np.arange(11.0), x=[0, 0, 2, 5, 5, 2, 0, 0, 2, 5, 5],
    ...                             y=[10, 13, 12, 10, 13, 6, 0, 3, 2, 0, 3],
    ...                             pen_down=[1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1])
    >>> lines(rec, x_height_mm=3.0).tolist()
    [0, 0, 1, 1]
    >>> from penmotor import synth
    >>> page = synth.page(n_lines=6, seed=0)
    >>> int(lines(page).max()) + 1
    6
    """
    if x_height_mm is not None and not (x_height_mm > 0):
        raise ParameterError(f"x_height_mm: expected a positive number, got {x_height_mm!r}")
    st, sp = rec.stroke_bounds()
    if st.size == 0:
        return np.empty(0, dtype=np.intp)
    n = sp - st
    idx = np.arange(int(n.sum())) + np.repeat(st - np.r_[0, np.cumsum(n)[:-1]], n)  # pen-down samples
    starts = np.r_[0, np.cumsum(n)[:-1]].astype(np.intp)
    return line_labels(rec.x[idx], rec.y[idx], starts, x_height_mm=x_height_mm, angle_deg=angle_deg)


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    o = np.argsort(values, kind="stable")
    cw = np.cumsum(weights[o])
    return float(values[o][np.searchsorted(cw, 0.5 * cw[-1])])


def _group_fits(sums: tuple[np.ndarray, ...], umin: np.ndarray, umax: np.ndarray, group: np.ndarray, m: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per group of strokes (``group`` label per stroke, -1 = none): mean u, mean v, slope, u range.

    Least squares of v on u over the pen-down samples, from the strokes' sums ``n, du, v,
    du^2, du v`` (``du = u - uc``); mean u is returned relative to ``uc``. Slope NaN where u
    does not vary.
    """
    ok = group >= 0
    g = group[ok]
    cnt, su, sv, suu, suv = (np.bincount(g, weights=s[ok], minlength=m) for s in sums)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu, mv = su / cnt, sv / cnt
        var = suu / cnt - mu * mu
        slope = np.where(var > 0, (suv / cnt - mu * mv) / var, np.nan)
    lo = np.full(m, np.inf)
    hi = np.full(m, -np.inf)
    np.minimum.at(lo, g, umin[ok])
    np.maximum.at(hi, g, umax[ok])
    return mu, mv, slope, lo, hi


def line_labels(x: Any, y: Any, starts: Any, *, x_height_mm: float | None = None,
                angle_deg: float | None = None) -> np.ndarray:
    """Text line of each stroke of concatenated pen paths (the rule of :func:`lines`).

    Parameters
    ----------
    x, y : array_like
        Pen-down samples of all strokes, in writing order, mm (y up).
    starts : array_like of int
        Index of the first sample of each stroke (increasing; strokes are contiguous).
    x_height_mm, angle_deg : float, optional
        As in :func:`lines`.

    Returns
    -------
    ndarray of int, shape (n_strokes,)
        0 = top line.

    Examples
    --------
    >>> x = np.r_[np.linspace(0, 60, 50), np.linspace(0, 60, 50)]
    >>> y = np.r_[10 + np.sin(np.arange(50.0)), np.sin(np.arange(50.0))]
    >>> line_labels(x, y, [0, 25, 50, 75]).tolist()
    [0, 0, 1, 1]
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    st = np.asarray(starts, dtype=np.intp)
    ns = st.size
    if ns == 0:
        return np.empty(0, dtype=np.intp)
    if x.shape != y.shape or st[0] != 0 or np.any(np.diff(st) <= 0) or st[-1] >= x.size:
        raise ParameterError("starts: expected increasing first-sample indices of non-empty strokes "
                             f"into {x.size} samples, got {st.size} values")
    angle = 0.0 if angle_deg is None else float(angle_deg)
    for attempt in range(2):
        u, v = frame_coords(x, y, angle_deg=angle)
        res = _line_pass(u, v, st, x_height_mm)
        if angle_deg is not None or attempt == 1 or not (abs(res[1]) > 2.0):
            return res[0]
        angle += res[1]
    return res[0]  # pragma: no cover


def _dense_components(adj: np.ndarray) -> np.ndarray:
    """Connected components of the undirected graph of a dense (n, n) boolean adjacency matrix.

    Labels numbered by each component's smallest node (as SciPy's ``connected_components``
    numbers them); every node's label is lowered to its neighbours' smallest, with pointer
    jumping, until nothing changes: a handful of (n, n) passes for the few dozen line anchors
    of a page, without building a sparse matrix.

    Examples
    --------
    >>> adj = np.zeros((5, 5), dtype=bool)
    >>> adj[0, 3] = adj[3, 4] = adj[1, 2] = True
    >>> _dense_components(adj).tolist()
    [0, 1, 1, 0, 0]
    """
    n = adj.shape[0]
    a = adj | adj.T
    lab = np.arange(n)
    while True:
        low = np.minimum(lab, np.where(a, lab[None, :], n).min(axis=1)) if n else lab
        low = low[low]  # pointer jumping
        if np.array_equal(low, lab):
            break
        lab = low
    return np.unique(lab, return_inverse=True)[1].reshape(-1)


def _line_pass(u: np.ndarray, v: np.ndarray, st: np.ndarray, xh: float | None) -> tuple[np.ndarray, float]:
    """Line labels in the frame (u, v), and the writing direction found in it (degrees)."""
    ns = st.size
    cnt = np.diff(np.r_[st, u.size]).astype(np.float64)
    uc = float(u[0])
    du = u - uc  # (relative to a sample: sums of squares stay exact enough on a page)
    umin, umax = np.minimum.reduceat(du, st), np.maximum.reduceat(du, st)
    vmin, vmax = np.minimum.reduceat(v, st), np.maximum.reduceat(v, st)
    sums = (cnt, np.add.reduceat(du, st), np.add.reduceat(v, st), np.add.reduceat(du * du, st),
            np.add.reduceat(du * v, st))
    cu, cv = sums[1] / cnt, sums[2] / cnt
    ext = vmax - vmin
    top = float(np.max(ext))
    if not top > 0:
        return np.zeros(ns, dtype=np.intp), 0.0
    h = float(np.median(ext[ext >= 0.1 * top]))
    if xh is not None:
        h = min(h, 2.0 * xh) if h > 0 else 2.0 * xh
    big = ext >= 0.5 * h  # flat strokes (bars, dashes, underlines) never carry a line
    bi = np.flatnonzero(big)
    # 1. runs of big strokes, cut at line returns and jumps
    back = umax[bi[:-1]] - umin[bi[1:]]
    dv = cv[bi[1:]] - cv[bi[:-1]]
    cut = (back > 3.0 * h) | (np.abs(dv) > 1.5 * h) | ((dv < -h) & (back > 0.5 * h))
    run = np.full(ns, -1, dtype=np.intp)
    run[bi] = np.r_[0, np.cumsum(cut)]
    m = int(run.max()) + 1
    mu, mv, slope, lo, hi = _group_fits(sums, umin, umax, run, m)
    width = hi - lo
    anchor = (width >= 2.0 * h) & np.isfinite(slope)
    if not anchor.any():
        # nothing as long as a line (letters, short words): strokes whose heights overlap
        # (widened by a tenth of h) are one line
        return _group_overlaps(-vmax - 0.1 * h, -vmin + 0.1 * h, 0.0), 0.0
    a_idx = np.flatnonzero(anchor)
    b_glob = _weighted_median(slope[a_idx], width[a_idx])
    turn = math.degrees(math.atan(b_glob))
    slope = np.where(anchor, slope, b_glob)
    # 3. line pitch from anchors overlapping along the line
    A = a_idx.size
    ov = np.minimum(hi[a_idx, None], hi[a_idx]) - np.maximum(lo[a_idx, None], lo[a_idx])
    wmin = np.minimum(width[a_idx, None], width[a_idx])
    # centre lines compared at the middle of the overlap, or of the gap between them
    mid = 0.5 * (np.minimum(hi[a_idx, None], hi[a_idx]) + np.maximum(lo[a_idx, None], lo[a_idx]))
    cp = mv[a_idx, None] + slope[a_idx, None] * (mid - mu[a_idx, None])
    cq = mv[a_idx] + slope[a_idx] * (mid - mu[a_idx])
    d = np.abs(cq - cp)
    over = (ov >= 0.5 * wmin) & ~np.eye(A, dtype=bool)
    near = np.where(over, d, np.inf).min(axis=1) if A > 1 else np.full(A, np.inf)
    near = near[np.isfinite(near)]
    pitch = float(np.median(near)) if near.size else (3.0 * xh if xh is not None else 2.5 * h)
    pitch = max(pitch, 0.5 * h)
    # 4. anchors closer than half the pitch are one line (connected components)
    comp = _dense_components(d < 0.5 * pitch)
    line_of_run = np.full(m, -1, dtype=np.intp)
    line_of_run[a_idx] = comp
    lab = np.where(run >= 0, line_of_run[np.maximum(run, 0)], -1)
    L = int(comp.max()) + 1
    lmu, lmv, lslope, llo, lhi = _group_fits(sums, umin, umax, lab, L)
    lslope = np.where(np.isfinite(lslope) & (lhi - llo >= 2.0 * h), lslope, b_glob)

    has = lab >= 0
    own = np.full(ns, np.inf)
    hs = np.flatnonzero(has)
    own[hs] = np.abs(cv[hs] - (lmv[lab[hs]] + lslope[lab[hs]] * (cu[hs] - lmu[lab[hs]])))
    keep = has & (own <= 0.6 * pitch)
    redo = np.flatnonzero(~keep)
    if redo.size and keep.any():
        # the other strokes (dots, bars, late corrections, stray anchor strokes) go with the
        # nearest kept stroke (box distance), or with the line of the stroke written just
        # before them when that line's ink is at most 1.5 times as far
        from scipy.spatial import cKDTree

        ki = np.flatnonzero(keep)
        tree = cKDTree(np.column_stack((0.5 * (umin[ki] + umax[ki]), 0.5 * (vmin[ki] + vmax[ki]))))
        k = min(12, ki.size)
        _, nb = tree.query(np.column_stack((cu[redo], cv[redo])), k=k)
        nb = ki[np.asarray(nb).reshape(redo.size, k)]
        du = np.maximum(0.0, np.maximum(umin[nb] - cu[redo, None], cu[redo, None] - umax[nb]))
        # a dot or bar sits on or above its letter, never below it: for small strokes, a
        # box below counts half its distance and a box above (a descender of the line
        # above) twice
        small = (np.maximum(ext, umax - umin)[redo] < 0.5 * h)[:, None]  # dots, short bars
        below, above = cv[redo, None] - vmax[nb], vmin[nb] - cv[redo, None]
        dvv = np.maximum(0.0, np.maximum(np.where(small, 2.0, 1.0) * above, np.where(small, 0.5, 1.0) * below))
        # ... and a dot under the middle of a box (a descender reaching down to it) is not its dot
        dvv = dvv + np.where(small, 0.5 * np.maximum(0.0, 0.5 * (vmin[nb] + vmax[nb]) - cv[redo, None]), 0.0)
        bd = np.hypot(du, dvv)
        j = np.argmin(bd, axis=1)
        rows = np.arange(redo.size)
        near_line, d_near = lab[nb[rows, j]], bd[rows, j]
        prev_keep = np.maximum.accumulate(np.where(keep, np.arange(ns), -1))[redo]
        pl = np.where(prev_keep >= 0, lab[np.maximum(prev_keep, 0)], -1)
        d_prev = np.where(lab[nb] == pl[:, None], bd, np.inf).min(axis=1)
        # written right after a stroke close to it (an i-dot in place): that stroke's line
        pk = np.maximum(prev_keep, 0)
        close = np.hypot(np.maximum(0.0, np.maximum(umin[pk] - cu[redo], cu[redo] - umax[pk])),
                         np.maximum(0.0, np.maximum(vmin[pk] - cv[redo], cv[redo] - vmax[pk]))) <= h
        new = np.where((pl >= 0) & (close | (d_prev <= 1.5 * d_near)), pl, near_line)
        # anything larger (a piece of a word, a long bar) goes to the nearest centre line
        wide = np.flatnonzero(~small[:, 0])
        for c0 in range(0, wide.size, 4096):  # chunks bound the (strokes x lines) matrix
            r = redo[wide[c0:c0 + 4096]]
            dm = np.abs(cv[r, None] - (lmv + lslope * (cu[r, None] - lmu)))
            new[wide[c0:c0 + 4096]] = np.argmin(dm, axis=1)
        lab[redo] = new
    # top line first: order by the centre lines' heights in the writing frame
    centre = lmv - b_glob * lmu
    used = np.unique(lab)
    order = used[np.argsort(-centre[used], kind="stable")]
    rank = np.empty(L, dtype=np.intp)
    rank[order] = np.arange(order.size)
    return rank[lab], turn


def components(
    rec: Recording,
    *,
    x_height_mm: float,
    angle_deg: float = 0.0,
    slant_deg: float = 0.0,
    small_xh: float = 0.4,
    line: np.ndarray | None = None,
) -> np.ndarray:
    """Connected ink components (letters or joined letter groups) of the pen-down strokes.

    Strokes whose de-slanted horizontal extents overlap belong to one component; small
    components (both extents below ``small_xh`` x-heights: i/j dots, a detached accent)
    are attached to the horizontally nearest large component of the same line.

    Parameters
    ----------
    rec : Recording
    x_height_mm : float
        Scale for "small".
    angle_deg, slant_deg : float
        Writing frame (see :func:`frame_coords`).
    small_xh : float
        Size (x-heights) below which a component is a diacritic.
    line : ndarray of int, optional
        Line index per stroke (:func:`lines`); default all in one line.

    Returns
    -------
    ndarray of int, shape (n_strokes,)
        Component index per stroke, numbered left to right within each line, lines in
        order (line 0 first).

    Examples
    --------
    >>> from penmotor import synth
    >>> rec = synth.handwriting("hi", x_height_mm=3.0, seed=0)
    >>> components(rec, x_height_mm=3.0).tolist()   # h | i + its dot
    [0, 1, 1]
    """
    if not (x_height_mm > 0):
        raise ParameterError(f"x_height_mm: expected a positive number, got {x_height_mm!r}")
    box = stroke_boxes(rec, angle_deg=angle_deg, slant_deg=slant_deg)
    n = box.shape[0]
    if n == 0:
        return np.empty(0, dtype=np.intp)
    ln = np.zeros(n, dtype=np.intp) if line is None else np.asarray(line, dtype=np.intp)
    if ln.shape != (n,):
        raise ParameterError(f"line: expected {n} labels (one per stroke), got shape {ln.shape}")
    # offset lines far apart along u so that one grouping pass handles all lines
    span = float(np.ptp(box[:, :2])) + 10.0 * x_height_mm + 1.0
    off = ln * span
    lab = _group_overlaps(box[:, 0] + off, box[:, 1] + off, 0.0)
    m = lab.max() + 1
    clo = np.full(m, np.inf)
    chi = np.full(m, -np.inf)
    vlo = np.full(m, np.inf)
    vhi = np.full(m, -np.inf)
    np.minimum.at(clo, lab, box[:, 0] + off)
    np.maximum.at(chi, lab, box[:, 1] + off)
    np.minimum.at(vlo, lab, box[:, 2])
    np.maximum.at(vhi, lab, box[:, 3])
    small = ((chi - clo) < small_xh * x_height_mm) & ((vhi - vlo) < small_xh * x_height_mm)
    if small.any() and (~small).any():
        big = np.flatnonzero(~small)
        target = np.arange(m)
        for c in np.flatnonzero(small):  # loop over diacritics, not samples
            mid = 0.5 * (clo[c] + chi[c])
            dist = np.maximum(0.0, np.maximum(clo[big] - mid, mid - chi[big]))
            target[c] = big[int(np.argmin(dist))]
        lab = target[lab]
        # renumber left to right
        m2 = np.unique(lab)
        lo2 = np.full(m, np.inf)
        np.minimum.at(lo2, lab, box[:, 0] + off)
        rank = np.empty(m2.size, dtype=np.intp)
        rank[np.argsort(lo2[m2], kind="stable")] = np.arange(m2.size)
        remap = np.zeros(m, dtype=np.intp)
        remap[m2] = rank
        lab = remap[lab]
    return lab


def gap_threshold(gaps_xh: Any, *, default_xh: float = 1.0, bounds_xh: tuple[float, float] = (0.6, 2.0)) -> float:
    """Threshold (in x-heights) between letter gaps and word gaps.

    Otsu's two-class split of the gaps when they are clearly bimodal (at least three
    gaps, the mean of the upper class at least twice the lower's and above
    ``bounds_xh[0]``), clamped to `bounds_xh`; otherwise `default_xh`.

    Examples
    --------
    >>> gap_threshold([0.3, 0.35, 0.4, 1.6, 0.3, 1.5])
    0.95
    >>> gap_threshold([0.3, 0.32, 0.35])
    1.0
    """
    g = np.asarray(gaps_xh, dtype=np.float64)
    g = g[np.isfinite(g)]
    if g.size < 3:
        return float(default_xh)
    split = otsu_split(g)
    lo_mean, hi_mean = split.lower_mean, split.upper_mean
    if hi_mean < bounds_xh[0] or hi_mean < 2.0 * max(lo_mean, 0.05):
        return float(default_xh)
    thr = split.threshold
    return float(np.clip(thr, *bounds_xh))


def word_breaks(
    gaps_xh: Any,
    pauses_s: Any = None,
    *,
    pause_weight: float = 0.5,
    min_ratio: float = 1.3,
    floor: float = 0.1,
) -> np.ndarray:
    """Which gaps between consecutive components are gaps between words.

    Each gap gets a score: its width over the median width, plus `pause_weight` times
    the in-air pause before the next component over the median pause (when `pauses_s`
    is given: writers pause longer between words than between letters, which separates
    words when a child spaces them hardly wider than letters). The scores are split in
    two by Kittler-Illingworth minimum-error thresholding (two Gaussian classes of
    unequal spread, SD floored at `floor`): unlike Otsu's split, it finds a small, tight
    class of word gaps above a long tail of letter gaps. The split is kept when the
    upper class's mean gap is at least `min_ratio` times the lower's; otherwise (and with
    fewer than four gaps) :func:`gap_threshold` decides from the widths alone.

    Parameters
    ----------
    gaps_xh : array_like
        Gaps in x-heights, in writing order along the line.
    pauses_s : array_like, optional
        In-air time before each gap's right-hand component, s (NaN: unknown).
    pause_weight, min_ratio, floor : float
        See above.

    Returns
    -------
    ndarray of bool, shape (n_gaps,)

    Examples
    --------
    >>> word_breaks([0.3, 0.35, 0.4, 1.6, 0.3, 1.5]).tolist()
    [False, False, False, True, False, True]
    >>> gx = [0.3, 0.5, 0.62, 0.2, 0.55, 0.6, 0.45, 0.6, 0.3]   # word gaps hardly wider ...
    >>> pause = [0.3, 0.35, 0.9, 0.3, 0.4, 0.95, 0.3, 0.85, 0.3]   # ... but longer pauses
    >>> word_breaks(gx, pause).tolist()
    [False, False, True, False, False, True, False, True, False]
    """
    gx = np.asarray(gaps_xh, dtype=np.float64)
    fallback = gx > gap_threshold(gx)
    fin = np.isfinite(gx)
    n = int(np.count_nonzero(fin))
    if n < 4:
        return fallback
    g = np.maximum(gx, 0.0)
    med = float(median(g[fin]))
    z = g / max(med, 0.01)
    if pauses_s is not None and pause_weight > 0:
        p = np.asarray(pauses_s, dtype=np.float64)
        if p.shape != gx.shape:
            raise ParameterError(f"pauses_s: expected {gx.size} values (one per gap), got shape {p.shape}")
        ok = np.isfinite(p) & (p >= 0)
        if ok.any():
            pm = float(median(p[ok]))
            if pm > 0:
                z = z + pause_weight * np.where(ok, p, pm) / pm
    zs = np.sort(z[fin])
    k = np.arange(2, n)  # lower class zs[:k] (at least two values), upper zs[k:]
    if k.size == 0:
        return fallback
    cs, cs2 = np.cumsum(zs), np.cumsum(zs * zs)
    m0 = cs[k - 1] / k
    m1 = (cs[-1] - cs[k - 1]) / (n - k)
    s0 = np.sqrt(np.maximum(cs2[k - 1] / k - m0**2, 0.0)) + floor
    s1 = np.sqrt(np.maximum((cs2[-1] - cs2[k - 1]) / (n - k) - m1**2, 0.0)) + floor
    p0 = k / n
    p1 = 1.0 - p0
    crit = p0 * np.log(s0) + p1 * np.log(s1) - p0 * np.log(p0) - p1 * np.log(p1)
    kk = int(k[int(np.argmin(crit))])
    brk = fin & (z > 0.5 * (zs[kk - 1] + zs[kk]))
    lo, hi = gx[fin & ~brk], gx[brk]
    if hi.size == 0 or lo.size == 0 or hi.mean() < min_ratio * max(lo.mean(), 0.05):
        return fallback
    return brk


def words(
    rec: Recording,
    *,
    x_height_mm: float,
    angle_deg: float = 0.0,
    slant_deg: float = 0.0,
    word_gap_xh: float | None = None,
    line: np.ndarray | None = None,
) -> np.ndarray:
    """Word index of each pen-down stroke, from the gaps between components.

    The gap between consecutive components of a line is measured between their ink
    bounding boxes along the baseline (not de-slanted: the same definition as
    ``word_spacing``); a gap larger than ``word_gap_xh`` x-heights separates words
    (default: adaptive, :func:`word_breaks` from the gaps and the pen-lift pauses).

    Returns
    -------
    ndarray of int, shape (n_strokes,)

    Examples
    --------
    >>> from penmotor import synth
    >>> rec = synth.handwriting("ab cd", x_height_mm=3.0, seed=0)
    >>> words(rec, x_height_mm=3.0).tolist()
    [0, 0, 1, 1]
    """
    comp = components(rec, x_height_mm=x_height_mm, angle_deg=angle_deg, slant_deg=slant_deg, line=line)
    if comp.size == 0:
        return comp
    gaps, same_line = component_gaps(rec, comp, angle_deg=angle_deg, line=line)
    gx = gaps / x_height_mm
    if word_gap_xh is None:
        brk = np.zeros(gx.size, dtype=bool)
        brk[same_line] = word_breaks(gx[same_line], component_pauses(rec, comp)[same_line])
    else:
        brk = gx > float(word_gap_xh)
    new = np.concatenate(([True], ~same_line | brk))
    wid = np.cumsum(new) - 1
    return wid[comp]


def component_gaps(
    rec: Recording, comp: np.ndarray, *, angle_deg: float = 0.0, line: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Gaps (mm) between consecutive components' boxes along the baseline, and whether both are on one line.

    Examples
    --------
    >>> from penmotor import synth
    >>> rec = synth.handwriting("ab", x_height_mm=3.0, letter_spacing_mm=1.0, seed=0)
    >>> g, same = component_gaps(rec, components(rec, x_height_mm=3.0))
    >>> np.round(g, 2).tolist(), same.tolist()
    ([1.0], [True])
    """
    box = stroke_boxes(rec, angle_deg=angle_deg)
    m = int(comp.max()) + 1 if comp.size else 0
    lo = np.full(m, np.inf)
    hi = np.full(m, -np.inf)
    np.minimum.at(lo, comp, box[:, 0])
    np.maximum.at(hi, comp, box[:, 1])
    ln = np.zeros(comp.size, dtype=np.intp) if line is None else np.asarray(line, dtype=np.intp)
    cl = np.zeros(m, dtype=np.intp)
    cl[comp] = ln
    return lo[1:] - hi[:-1], cl[1:] == cl[:-1]


def component_pauses(rec: Recording, comp: np.ndarray, *, strokes: Any = None) -> np.ndarray:
    """In-air time (s) before each component after the first: before its earliest-written stroke.

    NaN where that stroke is the first of the recording. Components as from
    :func:`components` (numbered left to right), so entry ``k`` belongs to the gap
    between components ``k`` and ``k + 1``, as in :func:`component_gaps`. With
    `strokes` (increasing stroke indices, e.g. one text line's), ``comp`` labels those
    strokes and the pause is the time since the stroke written just before, whatever
    its line.

    Examples
    --------
    >>> from penmotor import synth
    >>> rec = synth.handwriting("ab cd", seed=0)
    >>> p = component_pauses(rec, components(rec, x_height_mm=3.0))
    >>> bool(p[1] > p[0] and p[1] > p[2])   # the pause between the words is the longest
    True
    """
    comp = np.asarray(comp, dtype=np.intp)
    if comp.size == 0:
        return np.empty(0)
    starts, stops = _bounds(rec)
    m = int(comp.max()) + 1
    if strokes is not None:
        k = np.asarray(strokes, dtype=np.intp)
        if k.shape != comp.shape:
            raise ParameterError(f"strokes: expected {comp.size} stroke indices (one per label), got shape {k.shape}")
        first = np.full(m, starts.size, dtype=np.intp)
        np.minimum.at(first, comp, k)
        prev_end = rec.t[stops[np.maximum(first - 1, 0)] - 1]
        return np.where(first > 0, rec.t[starts[first]] - prev_end, np.nan)[1:]
    first = np.full(m, comp.size, dtype=np.intp)
    np.minimum.at(first, comp, np.arange(comp.size))
    first = np.minimum(first, comp.size - 1)
    prev_end = rec.t[stops[np.maximum(first - 1, 0)] - 1]
    pause = np.where(first > 0, rec.t[starts[first]] - prev_end, np.nan)
    return pause[1:]


# --- sub-strokes -------------------------------------------------------------------------
# (metrics-C) Velocity-minima segmentation of the smoothed pen trace; used by
# penmotor.metrics.kinematics (substroke_count, substroke_duration_mean).
__all__ += ["substroke_bounds", "local_extrema"]


def local_extrema(values: np.ndarray, seg: np.ndarray, minima: bool) -> np.ndarray:
    """Interior local minima (or maxima) of `values` whose two neighbours are in the same segment.

    A plateau counts once, at its first sample (strict on the left, loose on the right).

    Examples
    --------
    >>> v = np.array([0.0, 2.0, 1.0, 3.0, 3.0, 0.0])
    >>> np.flatnonzero(local_extrema(v, np.zeros(6, int), minima=False)).tolist()
    [1, 3]
    """
    n = values.size
    out = np.zeros(n, dtype=bool)
    if n < 3:
        return out
    s = -values if minima else values
    c, left, right = s[1:-1], s[:-2], s[2:]
    same = (seg[1:-1] == seg[:-2]) & (seg[1:-1] == seg[2:])
    out[1:-1] = same & (c > left) & (c >= right)
    return out


def substroke_bounds(
    rec: Recording,
    *,
    phase: str = "down",
    min_duration_s: float = 0.03,
    rate_hz: float = 200.0,
    cutoff_hz: float = 12.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Split the strokes at local minima of the smoothed speed (velocity-minima sub-strokes).

    Parameters
    ----------
    rec : Recording
    phase : {"down", "air"}
        Which trace of :func:`penmotor.signal.kinematics` to split.
    min_duration_s : float
        A speed minimum closer than this to the previous cut (or to a stroke end) does not
        start a new sub-stroke.
    rate_hz, cutoff_hz : float
        Passed to :func:`penmotor.signal.kinematics` (smooth mode).

    Returns
    -------
    starts, stops : ndarray of int
        Bounds of the sub-strokes in the arrays of the smooth trace
        ``signal.kinematics(rec, phase=phase, rate_hz=rate_hz, cutoff_hz=cutoff_hz)``
        (empty when the recording has no samples of that phase). Sub-strokes never
        cross a pen lift; every stroke starts a sub-stroke.

    Examples
    --------
    >>> t = np.arange(0, 2, 0.005)
    >>> x = t - np.sin(2 * np.pi * 2 * t) / (2 * np.pi * 2)    # speed 1 - cos: 4 bell-shaped strokes
    >>> starts, stops = substroke_bounds(Recording.from_arrays(t=t, x=10 * x, y=0 * t))
    >>> len(starts)
    4
    """
    from . import signal

    if phase not in ("down", "air"):
        raise ParameterError(f"phase: expected 'down' or 'air', got {phase!r}")
    if not min_duration_s >= 0:
        raise ParameterError(f"min_duration_s: expected >= 0, got {min_duration_s!r}")
    empty = (np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp))
    pd = rec.pen_down
    if len(rec) == 0 or (phase == "down" and not pd.any()) or (phase == "air" and pd.all()):
        return empty
    tr = signal.kinematics(rec, phase=phase, mode="smooth", rate_hz=rate_hz, cutoff_hz=cutoff_hz)  # type: ignore[arg-type]
    n = len(tr)
    if n == 0:
        return empty
    seg = tr.segment_of()
    nonempty = tr.stops > tr.starts
    cut = np.zeros(n, dtype=bool)
    cut[tr.starts[nonempty]] = True
    minima = local_extrema(np.asarray(tr.speed), seg, minima=True)
    gap = max(int(round(min_duration_s * rate_hz)), 1)
    pos = np.arange(n)
    sid = np.maximum(seg, 0)
    minima &= (pos - tr.starts[sid] >= gap) & (tr.stops[sid] - pos >= gap)
    m = np.flatnonzero(minima)
    if m.size > 1:  # thin minima closer than `gap` to the previous one (one vectorised pass)
        m = m[np.concatenate(([True], np.diff(m) >= gap))]
    cut[m] = True
    starts = np.flatnonzero(cut)
    stops = np.minimum(np.concatenate((starts[1:], [n])), tr.stops[seg[starts]])
    return starts, stops


# --- where pen lifts happen ----------------------------------------------------------------
# (timing) Used by the pause metrics of penmotor.metrics.consistency. The rule without
# labels is a stand-in: when a per-stroke line/word assignment is available, pass it (or
# make it the default here) and the pauses follow it.
__all__ += ["lift_locations", "WITHIN_WORD", "BETWEEN_WORDS", "BETWEEN_LINES"]

#: Location codes returned by :func:`lift_locations`.
WITHIN_WORD, BETWEEN_WORDS, BETWEEN_LINES = 0, 1, 2


def lift_locations(
    rec: Recording,
    *,
    line: Any = None,
    word: Any = None,
    line_drop: float = 2.0,
    line_back: float = 4.0,
) -> np.ndarray:
    """Where each pen lift happens: within a word, between words or between lines.

    Lift ``k`` leads from stroke ``k`` to stroke ``k + 1`` (in writing order).

    * With per-stroke `line` and `word` labels (a line/word assignment of the strokes),
      a lift is :data:`BETWEEN_LINES` where the line changes, :data:`BETWEEN_WORDS` where
      the word changes, else :data:`WITHIN_WORD`.
    * With `line` labels only (e.g. from :func:`lines`, top line 0), lines change where
      the labels do, and the gap rule below decides between letters and words within a
      line.
    * Without them, a simple gap rule in page coordinates, scaled by ``h``, the median
      height of the strokes: a lift is between lines when the next stroke's vertical
      centre lies more than ``line_drop * h`` below the previous one's and it starts
      more than ``line_back * h`` left of the right-most ink so far (a carriage return:
      a capital's bar followed by its stem, or an accent followed by the next letter, is
      not one); otherwise
      the horizontal gap from the right-most ink so far on the line to the next stroke's
      left end (in ``h``; negative for delayed dots and bars) and the lift's duration
      decide between letters and words (:func:`word_breaks`).

    Parameters
    ----------
    rec : Recording
    line, word : array_like of int, optional
        Line (0 = top) and word index of every stroke; `word` only together with `line`.
    line_drop, line_back : float
        Vertical step down and horizontal step back (in stroke heights) that start a new
        line in the gap rule.

    Returns
    -------
    ndarray of int, shape (max(n_strokes - 1, 0),)
        :data:`WITHIN_WORD` (0), :data:`BETWEEN_WORDS` (1) or :data:`BETWEEN_LINES` (2).

    Examples
    --------
    >>> from penmotor import synth
    >>> rec = synth.handwriting("ab cd", x_height_mm=3.0, seed=0)
    >>> lift_locations(rec).tolist()
    [0, 1, 0]
    >>> lift_locations(rec, line=[0, 0, 1, 1], word=[0, 0, 1, 1]).tolist()
    [0, 2, 0]
    >>> lift_locations(rec, line=[0, 0, 0, 0]).tolist()
    [0, 1, 0]
    """
    st, sp = rec.stroke_bounds()
    n = st.size
    if n < 2:
        return np.zeros(0, dtype=np.intp)
    if word is not None and line is None:
        raise ParameterError("word: per-stroke word labels need the line labels too (line=)")
    box = stroke_boxes(rec)  # u_min, u_max, v_min, v_max
    hgt = box[:, 3] - box[:, 2]
    pos = hgt[hgt > 0]
    h = float(np.median(pos)) if pos.size else 1.0
    if line is not None:
        lid = np.asarray(line, dtype=np.intp)
        if lid.shape != (n,) or (word is not None and np.shape(word) != (n,)):
            raise ParameterError(f"line, word: expected {n} labels each (one per stroke), got {lid.shape}"
                                 f"{'' if word is None else f', {np.shape(word)}'}")
        new_line = lid[1:] != lid[:-1]
        if word is not None:
            wd = np.asarray(word, dtype=np.intp)
            out = np.where(wd[1:] != wd[:-1], BETWEEN_WORDS, WITHIN_WORD)
            return np.where(new_line, BETWEEN_LINES, out).astype(np.intp)
    else:
        cy = 0.5 * (box[:, 2] + box[:, 3])
        back = np.maximum.accumulate(box[:, 1])[:-1] - box[1:, 0]  # how far left of all ink so far
        new_line = (cy[:-1] - cy[1:] > line_drop * h) & (back > line_back * h)
        lid = np.concatenate(([0], np.cumsum(new_line)))
    # right-most ink so far on each line: one running maximum, lines offset far apart
    span = float(box[:, 1].max() - box[:, 0].min()) + 1.0
    reach = np.maximum.accumulate(box[:, 1] + lid * span) - lid * span
    gaps = (box[1:, 0] - reach[:-1]) / h
    pauses = rec.t[st[1:]] - rec.t[sp[:-1] - 1]
    out = np.full(n - 1, BETWEEN_LINES, dtype=np.intp)
    same = ~new_line
    if same.any():
        out[same] = np.where(word_breaks(gaps[same], pauses[same]), BETWEEN_WORDS, WITHIN_WORD)
    return out
