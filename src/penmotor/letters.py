"""The one letter-size estimator: zones, letters and sizes of pen paths, online or scanned.

Steps 1-3b below are geometry only, so the same code measures a tablet recording's pen-down
strokes (:mod:`penmotor.metrics.sizing`, which adds the slant of the pen's down-strokes, its
ink components and the removal of a tremor line) and a scanned worksheet's traced centre
line (:func:`penmotor.scan.trace.centre_line_paths`, with the scan's slant and glyph clusters):

1. **Writing frame.** The line direction is first taken from the principal axis of the
   ink (when it is at least 3x wider than tall, else horizontal), then refined by a
   Theil-Sen line through the baseline minima (step 3); all heights are measured
   perpendicular to that baseline, so a rotated page gives the same numbers.
2. **Stroke extrema.** In every stroke, the local maxima and minima of the height ``v``
   with a prominence of at least a quarter of the typical stroke height
   (``scipy.signal.find_peaks``, stroke by stroke), plus each stroke's highest and
   lowest point. Tiny strokes (i-dots, flat cross-bars: vertical extent below 30 % of
   the median extent of the strokes taller than a tenth of the tallest) are left out.
   Each extreme between two samples is recovered (:func:`_refine_extrema`): at a cusp
   travelled without slowing, where the side lines meet; at a rounded turn, at the vertex
   of the parabola through the three samples around it. Sampling otherwise misses it by
   up to half a step (5 % of a 3 mm letter at 60 mm/s and 200 Hz).
3. **Zones.** The baseline is the median of the minima in the upper of two Otsu
   classes of minima heights (the lower class, when clearly separate, holds the
   descenders); the midline lies the x-height above it, the median of the maxima in
   the lower class of maxima heights (the upper class: ascenders). Both are refined
   twice keeping only extrema within 0.3 x-height of their line. Ascender maxima are
   those higher than ``1.4`` x-heights, descender minima those deeper than 0.4
   x-heights below the baseline.
3b. **Letters**: each letter's x-zone height is measured from its own baseline to its own
   lowest cluster of maxima, and the x-height is their trimmed mean
   (:attr:`Sizing.x_height`) -- robust to letters of varying size, where the global zones
   of step 3 follow the extremes.

Entry points: :func:`sizing_from_paths` (any centre-line paths), :func:`sizing_from_strokes`
(concatenated strokes, with a slant and letters that may depend on the fitted frame),
:func:`sizings_from_lines` (every text line of a page, each as :func:`sizing_from_strokes`
of its strokes alone, bit for bit, but with the per-stroke extrema search of all lines in
one call), and the per-letter summaries :func:`letter_size_cv`, :func:`letter_baseline_deviation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._stats import SORT_MEDIAN_MAX, group_median, median, otsu_split, pca_angles, theil_sen_slope
from .errors import ParameterError
from .segment import frame_coords_lines

__all__ = [
    "Layout",
    "Sizing",
    "PageSizing",
    "sizing_from_paths",
    "sizing_from_strokes",
    "sizings_from_lines",
    "x_height_from_paths",
    "layout_from_paths",
    "letter_size_cv",
    "letter_baseline_deviation",
    "baseline_residuals",
]

NAN = float("nan")

#: A letter's maxima count for its x-zone from this height (x-heights) above its own baseline.
LETTER_MIN_XH = 0.4

#: A letter's x-zone maxima lie within this factor of its lowest significant maximum.
LETTER_CLUSTER = 1.3

#: A letter whose lowest maximum is higher than this (x-heights) is taken to show only an
#: ascender (an l not recognised as one, e.g. looped); t and f are read from their
#: cross-bars, a stick l from its shape (see :func:`~penmotor.metrics.sizing.size_cv`).
LETTER_MAX_XH = 1.8

#: Letter heights further than this many robust SDs (1.4826 MAD) from the median are
#: left out of :func:`~penmotor.metrics.sizing.size_cv`.
OUTLIER_SD = 4.0

#: A cusp (the pen reversing without slowing) is refined to where its side lines meet when one
#: side's next sample lies within this fraction of a sample step of the side's line, and both
#: sides, extrapolated in 2-D to the tip's time, meet within this fraction of a step. On
#: constant-speed cursive (12 words x 2 slants x 3 sampling phases, 200 Hz, 3 mm) the
#: 2-D test took the error of the 60 mm/s extrema from -1.0..+0.5 % (5th-95th percentile of a
#: 3 mm x-height; loop tops and sharp joins refined above the ink, up to +2.6 %) to -0.8..+0.2 %
#: (with the parabola of rounded turns; max 1.7 %); at 10 mm/s within 0.11 %.
CUSP_STRAIGHTNESS = 0.1

#: Heights closer than this (mm) are level: a stroke's end sample level with its refined peaks is
#: kept, and a cusp needs sides rising by more than this a step.
TIE_MM = 1e-9

#: An extreme sample whose next two samples on one side are level with it (within this fraction of
#: the drop on the other side) is on a plateau, not refined by a parabola: otherwise which end of a
#: quantised plateau (a scan's pixel row, a tablet's 0.005 mm steps) is the extreme, decided by a
#: 1e-15 degree tilt of the frame, moved it by an eighth of the step beside it.
PLATEAU = 0.1

#: A flat stroke at least this wide (x-heights) is a cross-bar (t, f) on its letter's midline.
BAR_MIN_XH = 0.25

#: ... when its height is below this fraction of its width.
BAR_FLATNESS = 0.35

#: Share of letter heights trimmed at each end for the x-height (a trimmed mean).
TRIM = 0.1

#: Extrema count when at least this prominent (fraction of the median height of the strokes).
PROMINENCE = 0.25


@dataclass(frozen=True)
class Layout:
    """The writing frame and zones of one recording (all lengths mm, angles degrees).

    Attributes
    ----------
    angle_deg : float
        Baseline direction (counter-clockwise from the page x axis).
    baseline : float
        Baseline height ``v`` in the frame (see :func:`penmotor.segment.frame_coords`).
    x_height, ascender, descender : float
        Zone heights from the baseline (descender positive downward); NaN if absent.
    slant_deg : float
        Down-stroke slant, positive = right-leaning.
    ext_u, ext_v : ndarray
        Extrema positions in the frame.
    ext_kind : ndarray of int
        +1 maximum, -1 minimum.
    ext_stroke : ndarray of int
        Stroke index of each extremum.
    ext_zone : ndarray of int
        0 baseline minimum, 1 midline maximum, 2 ascender maximum, -1 descender minimum,
        9 other.

    Examples
    --------
    >>> Layout().ok
    False
    """

    angle_deg: float = NAN
    baseline: float = NAN
    x_height: float = NAN
    ascender: float = NAN
    descender: float = NAN
    slant_deg: float = NAN
    ext_u: np.ndarray = field(default_factory=lambda: np.empty(0))
    ext_v: np.ndarray = field(default_factory=lambda: np.empty(0))
    ext_kind: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    ext_stroke: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    ext_zone: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))

    @property
    def ok(self) -> bool:
        """Whether a baseline and an x-height were found."""
        return bool(np.isfinite(self.x_height) and self.x_height > 0)


def _extrema(u: np.ndarray, v: np.ndarray, starts: np.ndarray, stops: np.ndarray, use: np.ndarray,
             prom: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices, kinds (+1 max, -1 min) and `added` flags of significant height extrema of the used strokes.

    `prom` is the minimum prominence of every stroke (strokes of different text lines may
    have different ones: the lines of a page are searched in one call).

    Vectorised over strokes: the strokes are concatenated with one separator sample
    higher than every value between them (``v`` for maxima, ``-v`` for minima), where a
    prominence base search stops just as at the end of a lone stroke; so the result
    equals ``find_peaks`` stroke by stroke, with one call per kind.
    Each stroke's highest and lowest samples are added (flagged `added` unless found as a
    peak): :func:`_analyse_lines` keeps them only when they are beyond the stroke's peaks
    refined between samples.
    """
    from scipy.signal import find_peaks, peak_prominences

    s, e = starts[use], stops[use]
    if s.size == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0, dtype=bool)
    L = e - s
    n = int(L.sum())
    cs = np.concatenate(([0], np.cumsum(L)[:-1]))  # start of every used stroke among the used samples
    if s.size == starts.size and np.array_equal(s[1:], e[:-1]):  # every stroke, back to back
        idx_in = np.arange(s[0], s[0] + n)
    else:
        idx_in = np.arange(n) + np.repeat(s - cs, L)  # sample index of every used sample
    vv = v[idx_in]
    span = float(np.ptp(vv)) + 1.0
    # separators higher than everything: a prominence base search stops there, exactly
    # as it stops at the edge of a single stroke; the separators' own peaks are dropped
    top = float(np.max(np.abs(vv))) + 10.0 * span
    sep = cs + L + np.arange(s.size)  # every stroke is followed by one separator
    inside = np.ones(n + s.size, dtype=bool)
    inside[sep] = False
    promu = np.asarray(prom, dtype=np.float64)[use]
    found = []
    for sign in (1.0, -1.0):
        sig = np.empty(n + s.size)
        sig[inside] = vv if sign > 0 else -vv
        sig[sep] = top
        cand, _ = find_peaks(sig)
        cand = cand[inside[cand]]  # (separators' own prominence would scan everything)
        j = np.searchsorted(sep, cand)  # used stroke of every candidate (separators before it)
        keep = peak_prominences(sig, cand)[0] >= promu[j] if cand.size else np.zeros(0, dtype=bool)
        found.append(idx_in[cand[keep] - j[keep]])
    pk, tr = found
    # per-stroke highest / lowest sample (first occurrence)
    vmax = np.maximum.reduceat(vv, cs)
    vmin = np.minimum.reduceat(vv, cs)
    big = np.iinfo(np.intp).max
    amax = np.minimum.reduceat(np.where(vv == np.repeat(vmax, L), idx_in, big), cs)
    amin = np.minimum.reduceat(np.where(vv == np.repeat(vmin, L), idx_in, big), cs)
    hi = np.union1d(pk, amax)
    lo = np.union1d(tr, amin)
    idx = np.concatenate((hi, lo)).astype(np.intp)
    kind = np.concatenate((np.ones(hi.size, dtype=np.intp), -np.ones(lo.size, dtype=np.intp)))
    added = np.concatenate((~_member(hi, pk), ~_member(lo, tr)))
    order = np.argsort(idx, kind="stable")
    return idx[order], kind[order], added[order]


def _member(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether every value of `a` is in the sorted array `b`."""
    if b.size == 0:
        return np.zeros(a.size, dtype=bool)
    k = np.minimum(np.searchsorted(b, a), b.size - 1)
    return b[k] == a


def _refine_extrema(u: np.ndarray, v: np.ndarray, par: np.ndarray, st: np.ndarray, sp: np.ndarray,
                    idx: np.ndarray, kind: np.ndarray, stroke: np.ndarray) -> np.ndarray:
    """Heights of the extrema ``v[idx]``, refined to the extreme between samples.

    Sampling misses an extreme lying between two samples by up to half a sample step
    (0.15 mm at 60 mm/s and 200 Hz: 5 % of a 3 mm letter). Two models, `par` (time or
    sample index) as the parameter:

    * **Cusp** (the pen reversing without slowing): the tip lies between the extreme sample
      and one of its neighbours, where the side lines meet -- the lines through the two
      samples on either side of that gap, in ``v`` against `par`. Accepted when one side is
      straight (its next sample within ``CUSP_STRAIGHTNESS`` of a step of its line) *and*
      both sides, extrapolated in ``u`` too, reach the same point at the tip's time
      (within ``CUSP_STRAIGHTNESS`` of a step): a rounded turn travelled at speed passes
      the first test but its sides meet above the ink (up to +2 % of a 3 mm letter at 60
      mm/s on a loop top or a sharp join), not at one point.
    * **Rounded** otherwise: the vertex of the parabola through the extreme sample and its
      two neighbours (``v`` against `par`).

    A turn where the pen slows down has dense samples: either model moves it little.
    """
    ev = v[idx].astype(np.float64, copy=True)
    lo, hi = st[stroke], sp[stroke]
    ok = (idx - 1 >= lo) & (idx + 1 < hi)
    if not ok.any():
        return ev
    j = np.flatnonzero(ok)
    i, lo, hi = idx[j], lo[j], hi[j]
    sg = kind[j].astype(np.float64)  # maxima as they are, minima mirrored
    off = np.arange(-3, 4)
    k = i[:, None] + off  # samples i-3 .. i+3 (column 3: the extreme)
    have = (k >= lo[:, None]) & (k < hi[:, None])
    k = np.clip(k, lo[:, None], hi[:, None] - 1)
    w, p, uu = sg[:, None] * v[k], par[k], u[k]
    # rounded: parabola through columns 2, 3, 4
    with np.errstate(invalid="ignore", divide="ignore"):
        d1 = (w[:, 3] - w[:, 2]) / (p[:, 3] - p[:, 2])
        d2 = (w[:, 4] - w[:, 3]) / (p[:, 4] - p[:, 3])
        c2 = (d2 - d1) / (p[:, 4] - p[:, 2])  # half the second derivative
        pv = 0.5 * (p[:, 2] + p[:, 3]) - d1 / (2.0 * c2)  # vertex
        # not on a plateau: the extreme sample and the next two on one side level (within
        # PLATEAU of the drop on the other side: flat ink, a tablet's coordinate step, a scan's
        # pixel row); two level samples (a top between them) are refined
        dl, dr = w[:, 3] - w[:, 2], w[:, 3] - w[:, 4]
        flat_l = (dl <= PLATEAU * dr) & (~have[:, 1] | (np.abs(w[:, 2] - w[:, 1]) <= PLATEAU * dr))
        flat_r = (dr <= PLATEAU * dl) & (~have[:, 5] | (np.abs(w[:, 4] - w[:, 5]) <= PLATEAU * dl))
        rounded = (c2 < 0) & (pv >= p[:, 2]) & (pv <= p[:, 4]) & ~flat_l & ~flat_r
        best = np.where(rounded,
                        w[:, 3] + d1 * (pv - p[:, 3]) + c2 * (pv - p[:, 3]) * (pv - p[:, 2]), w[:, 3])
        best = np.maximum(best, w[:, 3])
        # cusp: the tip between columns g and g + 1 (g = 2: before the extreme sample, 3: after)
        tips = []
        for g in (2, 3):  # the two gaps next to the extreme sample, not samples
            l0, l1, r0, r1 = g - 1, g, g + 1, g + 2
            full = have[:, l0] & have[:, r1]
            dl, dr = p[:, l1] - p[:, l0], p[:, r1] - p[:, r0]
            a, b = (w[:, l1] - w[:, l0]) / dl, (w[:, r1] - w[:, r0]) / dr
            ua, ub = (uu[:, l1] - uu[:, l0]) / dl, (uu[:, r1] - uu[:, r0]) / dr
            pt = (w[:, r0] - w[:, l1] + a * p[:, l1] - b * p[:, r0]) / (a - b)
            tip = w[:, l1] + a * (pt - p[:, l1])
            step = np.minimum(a * dl, -b * dr)
            rl = np.where(have[:, l0 - 1], np.abs(w[:, l0 - 1] - w[:, l0] - a * (p[:, l0 - 1] - p[:, l0])), np.inf)
            rr = np.where(have[:, r1 + 1], np.abs(w[:, r1 + 1] - w[:, r1] - b * (p[:, r1 + 1] - p[:, r1])), np.inf)
            meet = np.abs(uu[:, l1] + ua * (pt - p[:, l1]) - uu[:, r0] - ub * (pt - p[:, r0]))
            side = np.minimum(np.hypot(a, ua) * dl, np.hypot(b, ub) * dr)
            lift = tip - w[:, 3]
            cusp = (full & (a > 0) & (b < 0) & (step > TIE_MM) & (pt >= p[:, l1]) & (pt <= p[:, r0])
                    & (np.minimum(rl, rr) <= CUSP_STRAIGHTNESS * step) & (meet <= CUSP_STRAIGHTNESS * side)
                    & (lift > 0) & (lift <= 0.6 * np.maximum(a * dl, -b * dr)))
            tips.append(np.where(cusp, tip, -np.inf))
        tip = np.maximum(tips[0], tips[1])
    ev[j] = sg * np.where(np.isfinite(tip), tip, best)
    return ev


def _zones(vmin: np.ndarray, vmax: np.ndarray, scale: float) -> tuple[float, float]:
    """Baseline and x-height from minima and maxima heights."""
    if vmin.size == 0 or vmax.size == 0:
        return NAN, NAN
    split = otsu_split(vmin)
    base = float(median(vmin))
    if split is not None:
        lo, hi = split.lower, split.upper
        if median(hi) - median(lo) > 0.35 * scale:
            # a large upper class is the baseline (the lower one: descenders); a small
            # upper class is a few stray minima above the baseline
            base = float(median(hi if hi.size >= 0.3 * vmin.size else lo))
    h = vmax - base
    xh = float(median(h))
    split = otsu_split(h)
    if split is not None:
        lo, hi = split.lower, split.upper
        mlo, mhi = float(median(lo)), float(median(hi))
        if mlo > 0 and mhi > 1.3 * mlo and mhi - mlo > 0.3 * scale:
            xh = mlo
    for _ in range(2):
        if not (xh > 0):
            return base, NAN
        sel = np.abs(vmin - base) < 0.3 * xh
        if sel.any():
            base = float(median(vmin[sel]))
        sel = np.abs(vmax - base - xh) < 0.3 * xh
        if sel.any():
            xh = float(median(vmax[sel])) - base
    return base, (xh if xh > 0 else NAN)


def _boxes(u: np.ndarray, v: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per-stroke ``u_min, u_max, v_min, v_max`` of contiguous strokes starting at `starts`."""
    out = np.empty((starts.size, 4))
    out[:, 0] = np.minimum.reduceat(u, starts)
    out[:, 1] = np.maximum.reduceat(u, starts)
    out[:, 2] = np.minimum.reduceat(v, starts)
    out[:, 3] = np.maximum.reduceat(v, starts)
    return out


def _line_ranges(starts: np.ndarray, first: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Sample range ``ls[k]:le[k]`` of every line: from its first stroke to the next line's (the end: `n`)."""
    b = np.r_[starts, n][first]
    b[0] = 0
    return b[:-1], b[1:]


def _analyse_lines(x: np.ndarray, y: np.ndarray, starts: np.ndarray, stops: np.ndarray, first: np.ndarray,
                   angles: np.ndarray, active: np.ndarray) -> list[dict]:
    """Extrema and zones of every text line: line ``k`` is strokes ``first[k]:first[k + 1]``.

    The strokes ``x[starts[i]:stops[i]]`` (every sample pen-down) are contiguous and the
    lines follow each other. Each line is measured in its own frame (``angles[k]``) with
    its own prominence threshold; the extrema of all lines are searched in one call
    (:func:`_extrema` is exact stroke by stroke). Lines not `active` are skipped
    (``{"ok": False}``). The extrema are refined between samples along the sample index
    within the line (:func:`_refine_extrema`).
    """
    L = first.size - 1
    out: list[dict] = [{"ok": False} for _ in range(L)]
    if L == 0 or starts.size == 0:
        return out
    ls, le = _line_ranges(starts, first, x.size)
    nl = le - ls
    u, v = frame_coords_lines(x, y, nl, angles)
    box = _boxes(u, v, starts)
    ext = box[:, 3] - box[:, 2]
    # per line: strokes taller than 0.3 of the *typical* stroke height (the median of those
    # taller than a tenth of the tallest): tiny strokes (dots, flat cross-bars) are left out
    # relative to the typical height, so that one big ascender does not drop every small letter
    line = np.repeat(np.arange(L), np.diff(first))  # line of every stroke
    ok = np.asarray(active, dtype=bool) & (first[1:] > first[:-1])
    fin = np.isfinite(ext)
    nz = np.minimum(first[:-1], max(starts.size - 1, 0))  # (reduceat of an empty line: ignored)
    top_fin = np.maximum.reduceat(np.where(fin, ext, -np.inf), nz)
    top_num = np.maximum.reduceat(np.where(np.isnan(ext), -np.inf, ext), nz)  # np.nanmax
    ok &= np.isfinite(top_fin) & (top_num > 0)
    okl = ok[line]
    sel = okl & fin & (ext >= 0.1 * top_fin[line])
    typical = group_median(line[sel], ext[sel], L)
    use = okl & fin & (ext >= 0.3 * typical[line])
    scales = group_median(line[use], ext[use], L)
    scales[~ok] = NAN
    prom = PROMINENCE * scales[line]
    idx, kind, added = _extrema(u, v, starts, stops, use, prom)
    stroke = np.searchsorted(starts, idx, side="right") - 1
    par = (np.arange(v.size) - np.repeat(ls, nl)).astype(np.float64)  # sample index within the line
    ev = _refine_extrema(u, v, par, starts, stops, idx, kind, stroke)
    if added.any():
        # a stroke's highest (lowest) sample counts when it is beyond its peaks refined between
        # samples: a stroke ending level with its troughs (an l's foot on the baseline) added
        # a minimum when its last sample happened to lie below the troughs' samples, at some
        # speeds only ("home deal deal", 3.56 mm: its letter baseline moved by 0.08 mm at 30 mm/s)
        sk = 2 * stroke + (kind > 0)  # stroke and kind
        far = np.full(2 * starts.size, -np.inf)
        np.maximum.at(far, sk[~added], kind[~added] * ev[~added])
        keep = ~added | (kind * ev >= far[sk] - TIE_MM)
        idx, kind, stroke, ev = idx[keep], kind[keep], stroke[keep], ev[keep]
    eu = u[idx]
    cut = np.searchsorted(idx, ls)
    cut = np.r_[cut, idx.size]
    eline = np.repeat(np.arange(L), np.diff(cut))  # line of every extremum
    bases, xhs = _zones_lines(kind, ev, eline, scales)
    # zones of every extremum, from its line's baseline and x-height
    eb, ex = bases[eline], xhs[eline]
    zone = np.full(idx.size, 9, dtype=np.intp)
    zone[(kind < 0) & (np.abs(ev - eb) < 0.3 * ex)] = 0
    zone[(kind > 0) & (np.abs(ev - eb - ex) < 0.3 * ex)] = 1
    zone[(kind > 0) & (ev - eb > 1.4 * ex) & (ev - eb < 5.0 * ex)] = 2
    zone[(kind < 0) & (eb - ev > 0.4 * ex) & (eb - ev < 4.0 * ex)] = -1
    for k in np.flatnonzero(np.isfinite(scales)):  # loop over lines: each line's slices
        a, b = cut[k], cut[k + 1]
        xh = float(xhs[k])
        out[k] = {"ok": np.isfinite(xh), "u": eu[a:b], "v": ev[a:b], "kind": kind[a:b],
                  "stroke": stroke[a:b] - first[k], "zone": zone[a:b] if np.isfinite(xh) else np.full(b - a, 9, np.intp),
                  "base": float(bases[k]), "xh": xh}
    return out


def _zones_lines(kind: np.ndarray, ev: np.ndarray, eline: np.ndarray, scales: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_zones` of every line with a finite scale (others: NaN), as arrays of baselines and x-heights.

    Lines of up to ``SORT_MEDIAN_MAX`` minima and maxima are done together on rows of
    sorted values (NaN-free lines only, from three such lines on): each class split, median and band around the
    baseline or the midline is a contiguous run of a sorted row, so every step is an
    index computation on all rows at once, with the numbers :func:`_zones` computes.
    Other lines go through :func:`_zones` one by one.
    """
    L = scales.size
    bases, xhs = np.full(L, NAN), np.full(L, NAN)
    mn, mx = kind < 0, kind > 0
    nmin = np.bincount(eline[mn], minlength=L)
    nmax = np.bincount(eline[mx], minlength=L)
    bad = np.bincount(eline[~np.isfinite(ev)], minlength=L) > 0
    todo = np.isfinite(scales)
    rows = todo & ~bad & (nmin <= SORT_MEDIAN_MAX) & (nmax <= SORT_MEDIAN_MAX) & (nmin > 0) & (nmax > 0)
    if np.count_nonzero(rows) < 3:  # a line or two: the rule itself costs less than building rows
        rows[:] = False
    for k in np.flatnonzero(todo & ~rows):  # loop over the few lines the rows do not take
        sel = eline == k
        b, x = _zones(ev[sel & mn], ev[sel & mx], float(scales[k]))
        bases[k], xhs[k] = b, x
    r = np.flatnonzero(rows)
    if r.size:
        pos = np.full(L, -1, dtype=np.intp)
        pos[r] = np.arange(r.size)
        smin = _sorted_rows(pos[eline[mn]], ev[mn], r.size)
        smax = _sorted_rows(pos[eline[mx]], ev[mx], r.size)
        bases[r], xhs[r] = _zones_rows(smin, nmin[r], smax, nmax[r], scales[r])
    return bases, xhs


def _sorted_rows(row: np.ndarray, vals: np.ndarray, R: int) -> np.ndarray:
    """Values of rows ``0..R-1`` (``row < 0``: left out) as an (R, max count) array, each row sorted, +inf after."""
    keep = row >= 0
    row, vals = row[keep], vals[keep]
    n = np.bincount(row, minlength=R)
    out = np.full((R, max(int(n.max()) if n.size else 0, 1)), np.inf)
    o = np.lexsort((vals, row))
    ro = row[o]
    out[ro, np.arange(ro.size) - np.r_[0, np.cumsum(n)[:-1]][ro]] = vals[o]
    return out


def _row_median(S: np.ndarray, a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Median of ``S[i, a[i]:a[i] + c[i]]`` per row (c >= 1), as :func:`~penmotor._stats.median` computes it."""
    i = np.arange(S.shape[0])
    h = a + c // 2
    hi = S[i, np.minimum(h, S.shape[1] - 1)]
    lo = S[i, np.maximum(h - 1, 0)]
    return np.where(c % 2 == 1, hi + 0.0, (lo + hi + 0.0) / 2)


def _row_otsu(S: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Size of Otsu's lower class (:func:`~penmotor._stats.otsu_split`) of the first ``n[i]`` values of each
    sorted row; 0 where ``n < 2`` (no split)."""
    R, W = S.shape
    if W < 2:
        return np.zeros(R, dtype=np.intp)
    cs = np.cumsum(np.where(np.isfinite(S), S, 0.0), axis=1)
    k = np.arange(1, W)  # split after k values
    nn = n[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        m0 = cs[:, :-1] / k
        m1 = (cs[np.arange(R), np.maximum(n - 1, 0)][:, None] - cs[:, :-1]) / (nn - k)
        crit = k * (nn - k) * (m0 - m1) ** 2
    crit = np.where(k < nn, crit, -np.inf)
    return np.where(n >= 2, np.argmax(crit, axis=1) + 1, 0)


def _band(S: np.ndarray, n: np.ndarray, dist: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of the run of each sorted row's first ``n`` values where `dist` (same shape) holds."""
    ok = dist & (np.arange(S.shape[1]) < n[:, None])
    return np.argmax(ok, axis=1), ok.sum(axis=1)


def _zones_rows(smin: np.ndarray, nmin: np.ndarray, smax: np.ndarray, nmax: np.ndarray,
                scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_zones` of rows of sorted minima and maxima heights (counts `nmin`, `nmax` >= 1)."""
    z = np.zeros(nmin.size, dtype=np.intp)
    kmin = _row_otsu(smin, nmin)
    base = _row_median(smin, z, nmin)
    split = kmin > 0
    mlo = _row_median(smin, z, np.maximum(kmin, 1))
    mhi = _row_median(smin, kmin, np.maximum(nmin - kmin, 1))
    big = split & (mhi - mlo > 0.35 * scale)
    upper = (nmin - kmin) >= 0.3 * nmin
    base = np.where(big, np.where(upper, mhi, mlo), base)
    with np.errstate(invalid="ignore"):
        h = smax - base[:, None]  # sorted as smax (a monotone map of each row)
    xh = _row_median(h, z, nmax)
    kmax = _row_otsu(h, nmax)
    hlo = _row_median(h, z, np.maximum(kmax, 1))
    hhi = _row_median(h, kmax, np.maximum(nmax - kmax, 1))
    xh = np.where((kmax > 0) & (hlo > 0) & (hhi > 1.3 * hlo) & (hhi - hlo > 0.3 * scale), hlo, xh)
    alive = np.ones(nmin.size, dtype=bool)
    for _ in range(2):
        alive &= xh > 0
        with np.errstate(invalid="ignore"):
            a, c = _band(smin, nmin, np.abs(smin - base[:, None]) < 0.3 * xh[:, None])
        base = np.where(alive & (c > 0), _row_median(smin, a, np.maximum(c, 1)), base)
        with np.errstate(invalid="ignore"):
            a, c = _band(smax, nmax, np.abs(smax - base[:, None] - xh[:, None]) < 0.3 * xh[:, None])
        xh = np.where(alive & (c > 0), _row_median(smax, a, np.maximum(c, 1)) - base, xh)
    return base, np.where(alive & (xh > 0), xh, NAN)


@dataclass(frozen=True)
class Sizing:
    """Zones and letters of some writing: everything the size metrics are read from.

    Computed by :func:`sizing_from_paths` (centre-line paths, e.g. a traced scan) or, for a
    recording, by the online metrics (:func:`~penmotor.metrics.sizing.x_height`, ...) through the
    same estimator.

    Attributes
    ----------
    layout : Layout
        Writing frame, zones and slant.
    letters : ndarray of int
        Letter (ink component) index of every stroke / path; empty when undefined.
    letter_heights : ndarray
        Per letter: x-zone height from the letter's own baseline, mm (NaN: no x-zone).
    letter_offsets : ndarray
        Per letter: its baseline minus the fitted baseline, mm (NaN: no baseline minima).
    letter_u : ndarray
        Per letter: mean along-line position of its extrema, mm.

    Examples
    --------
    >>> Sizing().x_height
    nan
    """

    layout: Layout = field(default_factory=Layout)
    letters: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.intp))
    letter_heights: np.ndarray = field(default_factory=lambda: np.empty(0))
    letter_offsets: np.ndarray = field(default_factory=lambda: np.empty(0))
    letter_u: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def x_height(self) -> float:
        """Trimmed mean of the letters' x-zone heights (the fitted zones with fewer than 3), mm."""
        if not self.layout.ok:
            return NAN
        h = self.letter_heights[np.isfinite(self.letter_heights)]
        return _robust_mean(h) if h.size >= 3 else self.layout.x_height

    @property
    def ascender_height(self) -> float:
        """Ascender height above the baseline, mm (see :func:`~penmotor.metrics.sizing.ascender_height`)."""
        return self.layout.ascender

    @property
    def descender_height(self) -> float:
        """Descender depth below the baseline, mm (see :func:`~penmotor.metrics.sizing.descender_height`)."""
        return self.layout.descender

    @property
    def size_cv(self) -> float:
        """Coefficient of variation of the letters' x-zone heights (see :func:`~penmotor.metrics.sizing.size_cv`)."""
        return letter_size_cv(self.letter_heights) if self.layout.ok else NAN

    @property
    def baseline_deviation(self) -> float:
        """RMS residual of the letters' baselines about a straight line, mm.

        See :func:`~penmotor.metrics.sizing.baseline_deviation`.
        """
        return letter_baseline_deviation(self.letter_offsets, self.letter_u) if self.layout.ok else NAN


def _median_of(values: Any) -> float:
    v = np.asarray(list(values), dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(median(v)) if v.size else NAN


@dataclass(frozen=True)
class PageSizing(Sizing):
    """Sizing of a page of several text lines: each line measured on its own, medians over lines.

    ``x_height``, ``ascender_height``, ``descender_height``, ``size_cv`` and
    ``baseline_deviation`` are the medians of the lines' values (lines where a value is
    undefined are left out); the :attr:`layout` holds the medians of the lines' angles,
    zones and slants (no extrema). ``letters`` numbers the letters line by line (top line
    first); ``letter_heights``, ``letter_offsets`` (from the letter's own line) and
    ``letter_u`` follow that numbering.

    Attributes
    ----------
    lines : tuple of Sizing
        Per line, top line first.
    line_strokes : tuple of ndarray
        Indices of each line's strokes (writing order).

    Examples
    --------
    >>> PageSizing.of([Sizing(), Sizing()], [np.array([0]), np.array([1])], 2).x_height
    nan
    """

    lines: tuple = ()
    line_strokes: tuple = ()

    @classmethod
    def of(cls, sizings: list[Sizing], strokes: list[np.ndarray], n_strokes: int) -> "PageSizing":
        """Assemble the page from its lines' sizings and each line's stroke indices (of `n_strokes`).

        Examples
        --------
        >>> PageSizing.of([Sizing()], [np.array([0, 1])], 2).letters.tolist()
        [-1, -1]
        """
        lays = [s.layout for s in sizings if s.layout.ok]
        lay = Layout(*(_median_of(getattr(la, f) for la in lays)
                       for f in ("angle_deg", "baseline", "x_height", "ascender", "descender", "slant_deg")))
        letters = np.full(n_strokes, -1, dtype=np.intp)
        off = 0
        for s, k in zip(sizings, strokes):
            if s.letters.size == k.size:
                letters[k] = s.letters + off
                off += int(s.letters.max()) + 1 if s.letters.size else 0
        cat = [np.concatenate([getattr(s, f) for s in sizings if s.letters.size]) if any(s.letters.size for s in sizings)
               else np.empty(0) for f in ("letter_heights", "letter_offsets", "letter_u")]
        return cls(lay, letters, *cat, lines=tuple(sizings), line_strokes=tuple(strokes))

    @property
    def x_height(self) -> float:
        """Median of the lines' x-heights, mm."""
        return _median_of(s.x_height for s in self.lines)

    @property
    def ascender_height(self) -> float:
        """Median of the lines' ascender heights, mm."""
        return _median_of(s.ascender_height for s in self.lines)

    @property
    def descender_height(self) -> float:
        """Median of the lines' descender depths, mm."""
        return _median_of(s.descender_height for s in self.lines)

    @property
    def size_cv(self) -> float:
        """Median of the lines' letter-size CVs."""
        return _median_of(s.size_cv for s in self.lines)

    @property
    def baseline_deviation(self) -> float:
        """Median of the lines' baseline deviations, mm."""
        return _median_of(s.baseline_deviation for s in self.lines)


def sizing_from_strokes(x: np.ndarray, y: np.ndarray, starts: np.ndarray, stops: np.ndarray, *, slant: Any,
                        letters: Any = None, angle_deg: float | None = None,
                        ext_xy: tuple[np.ndarray, np.ndarray] | None = None) -> Sizing:
    """The one size estimator: contiguous strokes ``x[starts[i]:stops[i]], y[starts[i]:stops[i]]`` -> :class:`Sizing`.

    Parameters
    ----------
    x, y : ndarray
        Concatenated stroke coordinates, mm (y up).
    starts, stops : ndarray of int
        Stroke starts and stops in `x`, `y`, contiguous (``starts[i + 1] == stops[i]``).
    slant : float or callable
        Slant in degrees, or a function ``slant(angle_deg, x_height_mm)`` of the fitted
        baseline angle and zone x-height returning it.
    letters : array_like of int or callable, optional
        A letter label per stroke, a function of the fitted :class:`Layout` returning them,
        or None: strokes whose de-slanted extents overlap form a letter (dots join the
        nearest one).
    angle_deg : float, optional
        Baseline direction; default estimated (principal axis, then a Theil-Sen line
        through the baseline minima).
    ext_xy : tuple of ndarray, optional
        Coordinates the extrema are read from instead of `x`, `y` (e.g. the trace with a
        tremor line taken out).

    Returns
    -------
    Sizing
        All NaN / empty when no x-zone is found.

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 80)
    >>> x = np.concatenate([x0 + 1.5 * np.cos(t) for x0 in (0, 5, 10)])  # three "o"
    >>> y = np.tile(2.0 * np.sin(t), 3)
    >>> s = sizing_from_strokes(x, y, np.array([0, 80, 160]), np.array([80, 160, 240]), slant=0.0)
    >>> round(s.x_height, 2), s.letters.tolist()
    (4.0, [0, 1, 2])
    """
    return _sizings(x, y, starts, stops, np.array([0, starts.size]), [slant], [letters], angle_deg, ext_xy)[0]


def sizings_from_lines(x: np.ndarray, y: np.ndarray, starts: np.ndarray, stops: np.ndarray, first: np.ndarray, *,
                       slants: Any, ext_xy: tuple[np.ndarray, np.ndarray] | None = None) -> list[Sizing]:
    """:func:`sizing_from_strokes` of every text line of a page, the lines' extrema searched together.

    Line ``k`` is the strokes ``first[k]:first[k + 1]``; each line is measured on its own
    (its own frame, zones, letters and slant), exactly as :func:`sizing_from_strokes` of
    its strokes alone, but the per-stroke work of all lines is done in a few whole-page
    calls (hundreds of lines per page cost little more than one).

    Parameters
    ----------
    x, y : ndarray
        Concatenated stroke coordinates, mm (y up), line after line.
    starts, stops : ndarray of int
        Stroke starts and stops in `x`, `y`, contiguous (``starts[i + 1] == stops[i]``,
        ``starts[0] == 0``).
    first : ndarray of int
        Index of every line's first stroke, then the number of strokes (increasing).
    slants : sequence or callable
        Per line, a slant as for :func:`sizing_from_strokes` (degrees or a callable); or one
        function ``slants(angles_deg, x_heights_mm, lines)`` of the measured lines' fitted
        baseline angles, zone x-heights and indices (arrays) returning their slants, so
        that every line's slant is found in one call.
    ext_xy : tuple of ndarray, optional
        Coordinates the extrema are read from instead of `x`, `y`.

    Returns
    -------
    list of Sizing
        One per line, equal to ``sizing_from_strokes`` of the line's strokes.

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 80)
    >>> x = np.concatenate([x0 + 1.5 * np.cos(t) for x0 in (0, 5, 10, 0, 5, 10)])  # two lines of "ooo"
    >>> y = np.concatenate([y0 + h * np.sin(t) for y0, h in ((0, 2.0),) * 3 + ((-12, 1.5),) * 3])
    >>> st = np.arange(6) * 80
    >>> [round(s.x_height, 2) for s in sizings_from_lines(x, y, st, st + 80, np.array([0, 3, 6]), slants=[0.0, 0.0])]
    [4.0, 3.0]
    """
    L = first.size - 1
    return _sizings(x, y, starts, stops, np.asarray(first, dtype=np.intp), slants if callable(slants) else list(slants),
                    [None] * L, None, ext_xy)


def _sizings(x: np.ndarray, y: np.ndarray, starts: np.ndarray, stops: np.ndarray, first: np.ndarray,
             slants: Any, letters_of: list, angle_deg: float | None,
             ext_xy: tuple[np.ndarray, np.ndarray] | None) -> list[Sizing]:
    """The estimator on lines of contiguous strokes (see :func:`sizings_from_lines`)."""
    L = first.size - 1
    if L == 0:
        return []
    ls, le = _line_ranges(starts, first, x.size)
    active = (first[1:] > first[:-1]) & (le - ls >= 3)
    angles = np.zeros(L)
    if angle_deg is None:  # every line's principal direction in one call
        angles[active] = pca_angles(x, y, np.r_[ls, le[-1]])[active]
    else:
        angles[active] = float(angle_deg)
    xe, ye = (x, y) if ext_xy is None else ext_xy
    res = _analyse_lines(xe, ye, starts, stops, first, angles, active)
    # refit the baseline direction: a Theil-Sen line through the baseline minima
    angles2 = angles.copy()
    refit = np.zeros(L, dtype=bool)
    if angle_deg is None:
        for k in np.flatnonzero(active):  # loop over lines
            r = res[k]
            if not r["ok"]:
                continue
            base_sel = r["zone"] == 0
            if np.count_nonzero(base_sel) >= 3 and np.ptp(r["u"][base_sel]) > 3.0 * r["xh"]:
                slope = theil_sen_slope(r["u"][base_sel], r["v"][base_sel])
                if np.isfinite(slope):
                    angles2[k] = angles[k] + math.degrees(math.atan(slope))
                    refit[k] = True
    if refit.any():
        res2 = _analyse_lines(xe, ye, starts, stops, first, angles2, refit)
        for k in np.flatnonzero(refit):
            angles[k] = angles2[k]  # the refitted direction is kept even if its zones fail
            if res2[k]["ok"]:
                res[k] = res2[k]
    done = np.array([bool(active[k] and res[k]["ok"]) for k in range(L)], dtype=bool)
    sl = np.full(L, NAN)
    if callable(slants):  # every line's slant in one call
        ks = np.flatnonzero(done)
        if ks.size:
            sl[ks] = slants(angles[ks], np.array([res[k]["xh"] for k in ks], dtype=np.float64), ks)
    else:
        for k in np.flatnonzero(done):  # loop over lines
            sk = slants[k]
            sl[k] = float(sk(float(angles[k]), res[k]["xh"])) if callable(sk) else float(sk)
    # every line's strokes in its own de-slanted frame (penmotor.segment.frame_coords, line by line)
    u, v = frame_coords_lines(x, y, le - ls, angles, np.where(np.isfinite(sl), sl, 0.0))
    box = _boxes(u, v, starts)
    plain = np.array([letters_of[k] is None for k in range(L)], dtype=bool)
    ks = np.flatnonzero(done & plain)
    page = _finish_lines(box, first, res, angles, sl, ks) if ks.size else {}
    out = []
    for k in range(L):  # loop over lines
        if not done[k]:
            out.append(Sizing())
        elif k in page:
            out.append(page[k])
        else:
            out.append(_finish(box[first[k]:first[k + 1]], res[k], float(angles[k]), float(sl[k]), letters_of[k]))
    return out


def _finish(box: np.ndarray, res: dict, angle: float, sl: float, letters: Any) -> Sizing:
    """One line's :class:`Sizing` from its extrema and zones (`res` of :func:`_analyse_lines`),
    slant `sl`, strokes' boxes in its de-slanted frame and given `letters` (labels or a function
    of the layout)."""
    z = res["zone"]
    ev = res["v"]
    base, xh = res["base"], res["xh"]
    asc = float(median(ev[z == 2]) - base) if np.any(z == 2) else NAN
    desc = float(base - median(ev[z == -1])) if np.any(z == -1) else NAN
    lay = Layout(angle, base, xh, asc, desc, sl, res["u"], ev, res["kind"], res["stroke"], z)
    # (letters None: the estimator's own grouping, every such line in _finish_lines)
    if callable(letters):
        comp = np.asarray(letters(lay), dtype=np.intp)
    else:
        comp = _renumber(np.asarray(letters, dtype=np.intp), box)
    if comp.shape != (box.shape[0],):
        raise ParameterError(f"letters: expected one label per stroke ({box.shape[0]}), got shape {comp.shape}")
    h, off, cu = _zones_of_components(lay, comp, box)
    return Sizing(lay, comp, h, off, cu)


def _finish_lines(box: np.ndarray, first: np.ndarray, res: list[dict], angles: np.ndarray, sl: np.ndarray,
                  ks: np.ndarray) -> dict[int, Sizing]:
    """``_finish(box[first[k]:first[k + 1]], res[k], angles[k], sl[k], None)`` of every line ``k`` of `ks`.

    The same numbers, with the per-letter work of all the lines done in a few whole-page
    calls (letters numbered page-wide, then line by line again): a page of hundreds of
    lines costs little more per line than a few array slices.
    """
    nst = first[ks + 1] - first[ks]
    lj = np.repeat(np.arange(ks.size), nst)  # line (position in ks) of every selected stroke
    st0 = np.r_[0, np.cumsum(nst)[:-1]]
    b = box[np.arange(int(nst.sum())) + np.repeat(first[ks] - st0, nst)]
    xh = np.array([res[k]["xh"] for k in ks], dtype=np.float64)
    base = np.array([res[k]["base"] for k in ks], dtype=np.float64)
    comp, m = _components_lines(b, lj, xh)
    goff = np.r_[0, np.cumsum(m)[:-1]]  # page-wide letter id = line's offset + letter id in the line
    ne = np.array([res[k]["v"].size for k in ks], dtype=np.intp)
    ej = np.repeat(np.arange(ks.size), ne)
    ev = np.concatenate([res[k]["v"] for k in ks])
    ekind = np.concatenate([res[k]["kind"] for k in ks])
    z = np.concatenate([res[k]["zone"] for k in ks])
    estroke = np.concatenate([res[k]["stroke"] for k in ks]) + np.repeat(st0, ne)
    eu = np.concatenate([res[k]["u"] for k in ks])
    asc = group_median(ej[z == 2], ev[z == 2], ks.size) - base
    desc = base - group_median(ej[z == -1], ev[z == -1], ks.size)
    h, off, cu = _zones_of_components_lines(comp + goff[lj], int(m.sum()), lj, b, estroke, ej, ev, ekind, eu,
                                            xh, base, m)
    out = {}
    for j, k in enumerate(ks):  # loop over lines: slices of the page-wide arrays
        r = res[k]
        lay = Layout(float(angles[k]), r["base"], r["xh"], float(asc[j]), float(desc[j]), float(sl[k]), r["u"], r["v"],
                     r["kind"], r["stroke"], r["zone"])
        g = slice(goff[j], goff[j] + m[j])
        if ne[j] == 0:
            out[int(k)] = Sizing(lay, comp[st0[j]:st0[j] + nst[j]], np.empty(0), np.empty(0), np.empty(0))
        else:
            out[int(k)] = Sizing(lay, comp[st0[j]:st0[j] + nst[j]], h[g], off[g], cu[g])
    return out


def _renumber(lab: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..m-1 from left to right (by each group's leftmost u)."""
    if lab.size == 0:
        return lab
    uniq, inv = np.unique(lab, return_inverse=True)
    lo = np.full(uniq.size, np.inf)
    np.minimum.at(lo, inv, box[:, 0])
    rank = np.empty(uniq.size, dtype=np.intp)
    rank[np.argsort(lo, kind="stable")] = np.arange(uniq.size)
    return rank[inv]


def _components_lines(box: np.ndarray, lj: np.ndarray, xh: np.ndarray,
                      small_xh: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """Letters of every line: strokes whose de-slanted extents overlap, small groups (dots) joined to
    the nearest big one of their line (the rule of :func:`penmotor.segment.components`, on stroke
    boxes). Strokes' boxes `box`, their line `lj` (sorted, 0..L-1) and each line's x-height `xh`;
    returns each stroke's letter within its line (left to right) and each line's number of letters."""
    L = xh.size
    order = np.lexsort((box[:, 0], lj))  # by line, then left edge (stable, as the line's own sort)
    bo = box[order]
    lo_ = lj[order]
    bounds = np.searchsorted(lo_, np.arange(L + 1))
    reach = np.empty(order.size)
    for j in range(L):  # loop over lines: the running right edge restarts on every line
        reach[bounds[j]:bounds[j + 1]] = np.maximum.accumulate(bo[bounds[j]:bounds[j + 1], 1])
    new = np.r_[True, (bo[1:, 0] > reach[:-1]) | (lo_[1:] != lo_[:-1])]
    lab = np.empty(order.size, dtype=np.intp)
    lab[order] = np.cumsum(new) - 1  # page-wide groups, numbered line by line
    m = int(lab.max()) + 1
    gl = np.empty(m, dtype=np.intp)
    gl[lab] = lj  # line of every group
    g = np.empty((m, 4))
    for c, f in enumerate((np.minimum, np.maximum, np.minimum, np.maximum)):
        g[:, c] = np.inf if c % 2 == 0 else -np.inf
        f.at(g[:, c], lab, box[:, c])
    small = ((g[:, 1] - g[:, 0]) < small_xh * xh[gl]) & ((g[:, 3] - g[:, 2]) < small_xh * xh[gl])
    n_small = np.bincount(gl[small], minlength=L)
    n_big = np.bincount(gl[~small], minlength=L)
    attach = small & ((n_small > 0) & (n_big > 0))[gl]
    if attach.any():
        big = np.flatnonzero(~small)  # increasing, so grouped by line
        bb = np.searchsorted(gl[big], np.arange(L + 1))
        target = np.arange(m)
        for c in np.flatnonzero(attach):  # loop over diacritics, not samples
            cand = big[bb[gl[c]]:bb[gl[c] + 1]]  # the big groups of its own line
            mid = 0.5 * (g[c, 0] + g[c, 1])
            dist = np.maximum(0.0, np.maximum(g[cand, 0] - mid, mid - g[cand, 1]))
            target[c] = cand[int(np.argmin(dist))]
        lab = target[lab]
    # renumber left to right within each line (as _renumber: by each group's leftmost u)
    uniq, inv = np.unique(lab, return_inverse=True)
    lo = np.full(uniq.size, np.inf)
    np.minimum.at(lo, inv, box[:, 0])
    ul = gl[uniq]
    rank = np.empty(uniq.size, dtype=np.intp)
    rank[np.lexsort((lo, ul))] = np.arange(uniq.size)
    m_l = np.bincount(ul, minlength=L)
    rank -= np.r_[0, np.cumsum(m_l)[:-1]][ul]
    return rank[inv], m_l


def _zones_of_components_lines(gc: np.ndarray, m: int, lj: np.ndarray, box: np.ndarray, estroke: np.ndarray,
                               ej: np.ndarray, ev: np.ndarray, ekind: np.ndarray, eu: np.ndarray, xh_l: np.ndarray,
                               base_l: np.ndarray, m_l: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_zones_of_components` of every line at once, on page-wide letter ids `gc` (per stroke,
    `m` in all, `m_l` per line) and the lines' extrema (line `ej`, stroke `estroke`)."""
    gline = np.repeat(np.arange(xh_l.size), m_l)  # line of every letter
    ec = gc[estroke]
    xh, base = xh_l[ej], base_l[ej]
    is_min = ekind < 0
    near_base = is_min & (np.abs(ev - base) < 0.5 * xh)
    bc = group_median(ec[near_base], ev[near_base], m)
    offs = bc - base_l[gline]
    n_ext = np.bincount(ec, minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        cu = np.bincount(ec, weights=eu, minlength=m) / n_ext
    cu[~np.isfinite(bc)] = NAN
    # maxima above the letter's own baseline; the x-zone of a letter is its *lowest*
    # cluster of significant maxima (an h, b, k or d also reaches its ascender: a
    # window around the global x-height took both when letters vary in size)
    hmax = ev - bc[ec]
    isx = ~is_min
    # cross-bars (t, f: flat strokes, left out of the extrema) lie on the letter's
    # midline: their level counts as an x-zone maximum of their letter
    bw, bh = box[:, 1] - box[:, 0], box[:, 3] - box[:, 2]
    sxh = xh_l[lj]  # x-height of every stroke's line
    bar = (bw >= BAR_MIN_XH * sxh) & (bw <= 1.5 * sxh) & (bh < BAR_FLATNESS * bw)
    ec = np.concatenate((ec, gc[bar]))
    hmax = np.concatenate((hmax, 0.5 * (box[bar, 2] + box[bar, 3]) - bc[gc[bar]]))
    isx = np.concatenate((isx, np.ones(int(bar.sum()), dtype=bool)))
    xh = np.concatenate((xh, sxh[bar]))
    # a letter showing one cluster of maxima is either an x-zone letter or one showing
    # only its ascender: t and f are read from their bars (above), a stick l from its
    # shape (below), anything else above LETTER_MAX_XH x-heights is left out
    cand = isx & np.isfinite(hmax) & (hmax >= LETTER_MIN_XH * xh)
    m0 = np.full(m, np.inf)
    np.minimum.at(m0, ec[cand], hmax[cand])
    sel = cand & (hmax <= LETTER_CLUSTER * m0[ec])
    low = group_median(ec[sel], hmax[sel], m)  # each letter's lowest cluster of maxima
    # an l: its strokes are narrow (de-slanted width below a fifth of its height) and it
    # has neither an i-dot nor a cross-bar: it shows only its ascender
    wide = np.full(m, -np.inf)
    np.maximum.at(wide, gc, np.where(bh >= 0.3 * sxh, bw, -np.inf))
    extra = np.zeros(m, dtype=bool)
    extra[gc[bar | ((bw < 0.4 * sxh) & (bh < 0.4 * sxh))]] = True
    low[~extra & (wide < 0.2 * low)] = NAN
    # per line, the reference x-height starts from the median letter (most letters have
    # no ascender) and is refined from the letters read as x-zone letters
    heights = np.full(m, NAN)
    b = np.r_[0, np.cumsum(m_l)]
    for j in range(xh_l.size):  # loop over lines: each line's reference x-height (a few medians)
        lw = low[b[j]:b[j + 1]]
        fin = np.isfinite(lw)
        if not fin.any():
            heights[b[j]:b[j + 1]] = lw
            continue
        ref = float(median(lw[fin]))
        for _ in range(3):
            xz = fin & (lw <= LETTER_MAX_XH * ref)
            if np.count_nonzero(xz) < 3:
                break
            ref = _robust_mean(lw[xz])
        heights[b[j]:b[j + 1]] = np.where(fin & (lw <= LETTER_MAX_XH * ref), lw, NAN)
    return heights, offs, cu


def _as_strokes(paths: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Concatenated x, y, stroke starts/stops of (n_i, 2) paths, and the indices of the non-empty ones."""
    ps = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in paths]
    sizes = np.array([len(p) for p in ps], dtype=np.intp)
    keep = np.flatnonzero(sizes)
    if not keep.size:
        return np.empty(0), np.empty(0), np.empty(0, np.intp), np.empty(0, np.intp), keep
    xy = np.concatenate(ps)  # the empty paths add nothing
    n = sizes[keep]
    stops = np.cumsum(n)
    return xy[:, 0], xy[:, 1], stops - n, stops, keep


def sizing_from_paths(paths: Any, *, slant_deg: float, letters: Any = None,
                      angle_deg: float | None = None) -> Sizing:
    """Zones, letters and sizes of pen centre-line paths (geometry only: no timing needed).

    The estimator behind the online size metrics of :mod:`penmotor.metrics.sizing`
    (``x_height``, ``ascender_height``, ``descender_height``, ``size_cv`` and
    ``baseline_deviation``, which pass
    the pen-down strokes of a recording, its slant from the pen's down-strokes and its
    ink components), for paths from elsewhere, e.g. a scan's traced centre line
    (:func:`penmotor.scan.trace.centre_line_paths`).

    Parameters
    ----------
    paths : sequence of array_like, shape (n_i, 2)
        Each an ordered pen path (one stroke), ``x, y`` in mm, y up.
    slant_deg : float
        Slant of the writing (positive = right-leaning), used to group strokes into letters
        and to find cross-bars; NaN counts as upright.
    letters : array_like of int, optional
        Letter label of every path (e.g. a scan's glyph clusters); default: paths whose
        de-slanted horizontal extents overlap form a letter, dots joining the nearest one.
    angle_deg : float, optional
        Baseline direction; default estimated (principal axis, then a Theil-Sen line through
        the baseline minima), as online.

    Returns
    -------
    Sizing
        All NaN / empty when no x-zone is found.

    Examples
    --------
    >>> from penmotor import synth
    >>> rec = synth.handwriting("sun moon rain", x_height_mm=3.5, seed=0)
    >>> paths = [np.column_stack((s.x, s.y)) for s in rec.strokes()]
    >>> s = sizing_from_paths(paths, slant_deg=0.0)
    >>> round(s.x_height, 2), len(s.letter_heights)
    (3.5, 11)
    """
    x, y, starts, stops, keep = _as_strokes(paths)
    n_paths = len(paths)
    if letters is not None:
        if len(letters) != n_paths:
            raise ParameterError(f"letters: expected one label per path ({n_paths}), got {len(letters)}")
        letters = np.asarray(letters)[keep]
    return sizing_from_strokes(x, y, starts, stops, slant=slant_deg, letters=letters, angle_deg=angle_deg)


def x_height_from_paths(paths: Any, *, slant_deg: float, letters: Any = None) -> float:
    """X-height (mm) of pen centre-line paths: :attr:`Sizing.x_height` of :func:`sizing_from_paths`.

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 80)
    >>> o = [np.column_stack((x0 + 1.5 * np.cos(t), 2.0 * np.sin(t))) for x0 in (0, 5, 10)]  # three "o"
    >>> round(x_height_from_paths(o, slant_deg=0.0), 2)
    4.0
    """
    return sizing_from_paths(paths, slant_deg=slant_deg, letters=letters).x_height


def layout_from_paths(paths: Any, *, slant_deg: float, angle_deg: float | None = None) -> Layout:
    """Writing frame and zones of pen centre-line paths (:attr:`Sizing.layout` of :func:`sizing_from_paths`).

    Examples
    --------
    >>> t = np.linspace(0, 2 * np.pi, 80)
    >>> o = [np.column_stack((x0 + 1.5 * np.cos(t), 2.0 * np.sin(t))) for x0 in (0, 5, 10)]
    >>> round(layout_from_paths(o, slant_deg=0.0).x_height, 2)
    4.0
    """
    return sizing_from_paths(paths, slant_deg=slant_deg, angle_deg=angle_deg).layout


def _zones_of_components(lay: Layout, comp: np.ndarray, box: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per letter of one line: x-zone height, baseline offset and mean along-line position
    (:func:`_zones_of_components_lines` of one line)."""
    if comp.size == 0 or lay.ext_v.size == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    m = int(comp.max()) + 1
    z = np.zeros(lay.ext_v.size, dtype=np.intp)
    return _zones_of_components_lines(comp, m, np.zeros(comp.size, dtype=np.intp), box, lay.ext_stroke, z,
                                      lay.ext_v, lay.ext_kind, lay.ext_u, np.array([lay.x_height]),
                                      np.array([lay.baseline]), np.array([m]))


def _robust_mean(h: np.ndarray) -> float:
    """Mean of the values after trimming `TRIM` of them at each end (at least one value kept)."""
    h = np.sort(h)
    k = int(TRIM * h.size)
    return float(np.mean(h[k : h.size - k])) if h.size - 2 * k > 0 else float(median(h))


def letter_size_cv(heights: Any) -> float:
    """Size CV of letters' x-zone heights: SD/mean (ddof=1) after dropping gross outliers.

    Heights more than :data:`OUTLIER_SD` robust SDs from the median are left out (with at
    least five letters); NaN heights are ignored; NaN with fewer than three letters.
    Used by :func:`~penmotor.metrics.sizing.size_cv` and by the scan's page metrics.

    Examples
    --------
    >>> round(letter_size_cv([3.0, 3.3, 2.7, 3.0, 9.0]), 3)
    0.082
    """
    h = np.asarray(heights, dtype=np.float64)
    h = h[np.isfinite(h)]
    if h.size >= 5:  # drop gross outliers (a small t or l whose ascender passed for an x-zone)
        med = float(median(h))
        mad = 1.4826 * float(median(np.abs(h - med)))
        if mad > 0:
            h = h[np.abs(h - med) <= OUTLIER_SD * mad]
    if h.size < 3 or h.mean() <= 0:
        return NAN
    return float(np.std(h, ddof=1) / np.mean(h))


def baseline_residuals(offsets: Any, u: Any) -> np.ndarray:
    """Letters' baseline offsets minus their least-squares line (empty with fewer than 3 letters).

    Examples
    --------
    >>> baseline_residuals([0.0, 1.0, 2.5], [0.0, 1.0, 2.0]).round(3).tolist()
    [0.083, -0.167, 0.083]
    """
    off, cu = np.asarray(offsets, dtype=np.float64), np.asarray(u, dtype=np.float64)
    ok = np.isfinite(off) & np.isfinite(cu)
    if np.count_nonzero(ok) < 3:
        return np.empty(0)
    coef = np.polyfit(cu[ok], off[ok], 1)
    return off[ok] - np.polyval(coef, cu[ok])


def letter_baseline_deviation(offsets: Any, u: Any) -> float:
    """RMS residual (mm) of letters' baseline offsets about their least-squares straight line.

    NaN with fewer than three letters. Used by :func:`~penmotor.metrics.sizing.baseline_deviation` and by the scan.

    Examples
    --------
    >>> round(letter_baseline_deviation([0.0, 0.2, -0.2, 0.2, -0.2, 0.0], np.arange(6.0)), 3)
    0.159
    """
    r = baseline_residuals(offsets, u)
    return float(np.sqrt(np.mean(r ** 2))) if r.size else NAN
