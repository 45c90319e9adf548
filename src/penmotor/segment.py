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

from ._stats import otsu_split
from .errors import ParameterError
from .recording import Recording

__all__ = ["frame_coords", "stroke_boxes", "components", "words", "lines", "gap_threshold", "word_breaks",
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
    a = math.radians(angle_deg)
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    u = x * math.cos(a) + y * math.sin(a)
    v = -x * math.sin(a) + y * math.cos(a)
    if slant_deg:
        u = u - v * math.tan(math.radians(slant_deg))
    return u, v


def stroke_boxes(rec: Recording, *, angle_deg: float = 0.0, slant_deg: float = 0.0) -> np.ndarray:
    """Bounding box of each pen-down stroke in the writing frame.

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
    """
    if angle_deg == 0 and slant_deg == 0:  # the page frame: shared (geometry, pen-lift locations), cached
        return rec.cached(("segment.stroke_boxes",), lambda: _stroke_boxes(rec, 0.0, 0.0))
    return _stroke_boxes(rec, angle_deg, slant_deg)


def _stroke_boxes(rec: Recording, angle_deg: float, slant_deg: float) -> np.ndarray:
    starts, stops = rec.stroke_bounds()
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


def lines(rec: Recording, *, x_height_mm: float, angle_deg: float = 0.0, line_gap_xh: float = 1.5) -> np.ndarray:
    """Line index of each pen-down stroke (0, 1, ... from the top line down).

    Strokes are grouped by the vertical overlap of their boxes in the writing frame,
    widened by a quarter x-height; groups whose vertical centres are closer than
    ``line_gap_xh`` x-heights are merged (ascenders, descenders and dots stay with their
    line).

    Parameters
    ----------
    rec : Recording
    x_height_mm : float
        x-height (mm) that scales the gaps.
    angle_deg : float
        Baseline direction.
    line_gap_xh : float
        Minimum distance between line centres, in x-heights.

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
    """
    if not (x_height_mm > 0):
        raise ParameterError(f"x_height_mm: expected a positive number, got {x_height_mm!r}")
    box = stroke_boxes(rec, angle_deg=angle_deg)
    if box.shape[0] == 0:
        return np.empty(0, dtype=np.intp)
    # group by vertical overlap of the (core of) the boxes: top-down
    pad = 0.25 * x_height_mm
    lab = _group_overlaps(-box[:, 3] - pad, -box[:, 2] + pad, 0.0)
    # merge groups whose centres are too close (a dot or a lone descender above/below its line)
    n = lab.max() + 1
    w = np.maximum(box[:, 3] - box[:, 2], 1e-9)
    cen = np.bincount(lab, weights=0.5 * (box[:, 2] + box[:, 3]) * w, minlength=n) / np.bincount(
        lab, weights=w, minlength=n)
    order = np.argsort(-cen)
    newline = np.concatenate(([True], -np.diff(cen[order]) > line_gap_xh * x_height_mm))
    grp = np.empty(n, dtype=np.intp)
    grp[order] = np.cumsum(newline) - 1
    return grp[lab]


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
    med = float(np.median(g[fin]))
    z = g / max(med, 0.01)
    if pauses_s is not None and pause_weight > 0:
        p = np.asarray(pauses_s, dtype=np.float64)
        if p.shape != gx.shape:
            raise ParameterError(f"pauses_s: expected {gx.size} values (one per gap), got shape {p.shape}")
        ok = np.isfinite(p) & (p >= 0)
        if ok.any():
            pm = float(np.median(p[ok]))
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


def component_pauses(rec: Recording, comp: np.ndarray) -> np.ndarray:
    """In-air time (s) before each component after the first: before its earliest-written stroke.

    NaN where that stroke is the first of the recording. Components as from
    :func:`components` (numbered left to right), so entry ``k`` belongs to the gap
    between components ``k`` and ``k + 1``, as in :func:`component_gaps`.

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
    starts, stops = rec.stroke_bounds()
    m = int(comp.max()) + 1
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
        Line and word index of every stroke (both or neither).
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
    """
    st, sp = rec.stroke_bounds()
    n = st.size
    if n < 2:
        return np.zeros(0, dtype=np.intp)
    if (line is None) != (word is None):
        raise ParameterError("line, word: give both per-stroke label arrays or neither")
    if line is not None:
        ln = np.asarray(line, dtype=np.intp)
        wd = np.asarray(word, dtype=np.intp)
        if ln.shape != (n,) or wd.shape != (n,):
            raise ParameterError(f"line, word: expected {n} labels each (one per stroke), got {ln.shape}, {wd.shape}")
        out = np.where(wd[1:] != wd[:-1], BETWEEN_WORDS, WITHIN_WORD)
        return np.where(ln[1:] != ln[:-1], BETWEEN_LINES, out).astype(np.intp)
    box = stroke_boxes(rec)  # u_min, u_max, v_min, v_max
    hgt = box[:, 3] - box[:, 2]
    pos = hgt[hgt > 0]
    h = float(np.median(pos)) if pos.size else 1.0
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
