"""Metrics of a segmented scanned page, under the registry's names.

Metrics whose meaning is the same online and on paper (``x_height``, ``word_spacing``,
``slant``, ...) are registered once by the online families (:mod:`penmotor.metrics.sizing`,
:mod:`penmotor.metrics.spacing`, flagged ``scan=True``); this module registers only the
**scan-only** metrics, declared in :mod:`penmotor.metrics.scan_only` (:data:`SCAN_ONLY`).
Importing it is cheap (no OpenCV).

Definitions (all on the centre line, y up, mm):

* *baseline*: straight line fitted to the bottoms (turning points) of the x-height zone;
  *mean line*: the densest height of the tops above it. ``x_height`` = median height of
  the core tops above the baseline; ``ascender_height`` / ``descender_height`` = median
  height of the tops above 1.5 x-heights / depth of the bottoms below 0.5 x-height,
  both measured from the baseline. :func:`penmotor.scan.pipeline.analyze_page` replaces
  these (and the letters' heights and baseline offsets, hence ``size_cv`` and
  ``baseline_deviation``) by the online estimator's on the traced centre line
  (:func:`penmotor.letters.sizing_from_paths`, see :mod:`penmotor.scan.trace`);
  the contour x-height is kept as ``x_height_contour`` and stands in where that finds no
  x-zone. ``size_cv`` and ``baseline_deviation`` pool the letters of all lines with the
  online formulas (:func:`penmotor.letters.letter_size_cv`, outliers dropped as online).
* *letters* = glyph clusters (components overlapping horizontally, e.g. ``i`` and its
  dot); *words* = groups of letters split by a gap threshold (Otsu on gaps in x-heights).
  ``word_spacing`` = mean horizontal gap between the centre-line bounding boxes of
  consecutive words on a line; ``letter_spacing`` = mean gap between consecutive letters
  within words; ``*_xh`` = the same divided by the line's x-height; ``spacing_cv`` =
  SD / mean of the letter gaps (population SD, as online).
* ``slant``: shear angle (positive = right-leaning) that makes the centre line's
  column profile sharpest: straight down-strokes (stems) pile into few columns when
  sheared upright, as they dominate the online mode of down-stroke directions.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._stats import group_median, median, otsu_split
from ..letters import baseline_residuals, letter_size_cv
from ..metrics.lines import margin_drift
from ..metrics.scan_only import SCAN_ONLY

__all__ = ["SCAN_ONLY", "SHARED", "MINNESOTA_MM", "line_measures", "page_metrics", "stroke_width_mm",
           "ink_darkness"]

#: 1/16 inch: the Minnesota Handwriting Assessment's alignment tolerance.
MINNESOTA_MM = 25.4 / 16

#: Metric names shared with the online families (registered there with ``scan=True``).
SHARED = ("x_height", "ascender_height", "descender_height", "size_cv", "baseline_deviation", "slant",
          "word_spacing", "letter_spacing", "word_spacing_xh", "letter_spacing_xh", "spacing_cv",
          "line_straightness", "left_margin_drift")

_NAN = math.nan


def _mode(values: np.ndarray, bin_mm: float, bw_mm: float) -> float:
    """Densest value of a 1-D sample (histogram + Gaussian smoothing)."""
    from scipy.ndimage import gaussian_filter1d

    if values.size == 0:
        return _NAN
    lo, hi = float(values.min()), float(values.max())
    nb = max(1, int(np.ceil((hi - lo) / bin_mm)) + 1)
    h = np.bincount(((values - lo) / bin_mm).astype(np.int64), minlength=nb).astype(float)
    h = gaussian_filter1d(h, max(bw_mm / bin_mm, 0.5), mode="constant")
    return lo + (int(np.argmax(h)) + 0.5) * bin_mm


def _otsu_upper(h: np.ndarray) -> float | None:
    """Threshold between two clearly separated height classes (upper mean >= 1.4 x lower), else None."""
    g = h[np.isfinite(h)]
    if g.size < 4:
        return None
    split = otsu_split(g)
    if split.lower_mean > 0 and split.upper_mean >= 1.4 * split.lower_mean:
        return float(split.threshold)
    return None


def _fit_line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares y = a + b x (b = 0 for fewer than 3 points or no x spread)."""
    if x.size >= 3 and np.ptp(x) > 0:
        b, a = np.polyfit(x, y, 1)
        return float(a), float(b)
    return float(median(y)) if y.size else _NAN, 0.0


def _shear_scores(xs: np.ndarray, ys: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """Sum of squared column counts of the points ``(xs, ys)`` (px) sheared by each angle (deg)."""
    t = np.tan(np.deg2rad(angles))
    # each angle's column range from the extreme points (subtraction and rounding are
    # monotonic, so these bound every point's column exactly)
    ylo, yhi = ys.min(), ys.max()
    lo = np.rint(xs.min() - np.maximum(t * ylo, t * yhi))
    hi = np.rint(xs.max() - np.minimum(t * ylo, t * yhi))
    w = int((hi - lo).max()) + 1
    # all the angles at once: one bincount over (angle, column) pairs, in place on one
    # (angle, pixel) array; after rint all values are whole numbers, so the shift is exact
    c = np.multiply.outer(t, ys)
    np.subtract(xs[None, :], c, out=c)
    np.rint(c, out=c)
    c += (np.arange(angles.size) * w - lo)[:, None]
    p = np.bincount(c.astype(np.int64).ravel(), minlength=angles.size * w).reshape(angles.size, w)
    return np.einsum("ij,ij->i", p, p).astype(np.float64)


def _slant(x: np.ndarray, y: np.ndarray, mm: float, *, max_deg: float = 45.0) -> float:
    """Shear angle (deg, right-leaning positive) that makes the centre line's column profile sharpest.

    Down-strokes sheared upright pile into few columns; the sum of squared column counts
    is maximised over +-`max_deg` (2 degree steps, refined to 0.2 degree).
    """
    if x.size < 20:
        return _NAN
    xc = x / mm
    yc = (y - y.mean()) / mm
    coarse = np.arange(-max_deg, max_deg + 0.01, 2.0)
    step = 2 if xc.size > 4000 else 1
    best = coarse[int(np.argmax(_shear_scores(xc[::step], yc[::step], coarse)))]
    fine = np.arange(best - 2.0, best + 2.001, 0.2)
    s = _shear_scores(xc, yc, fine)
    top = np.flatnonzero(s >= s.max())
    return float(fine[top].mean())


def _on_envelope(x: np.ndarray, y: np.ndarray, top: np.ndarray, bottom: np.ndarray, slant_deg: float,
                 mm: float, *, tol_px: float = 2.0, use: np.ndarray | None = None,
                 prominence: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Keep the tops at prominent peaks of the upper envelope of the de-slanted centre line
    (and the bottoms at prominent valleys of the lower envelope).

    Turning points inside a letter (the bar of an ``e``, a junction in cursive writing) are
    not letter tops or bottoms: some other stroke lies above / below them in the same
    (de-slanted) column. Small wiggles on the envelope are not either: a top must be a peak
    of the envelope rising at least `prominence` (mm) above the valleys on both sides
    (``scipy.signal.find_peaks``) -- the online method's prominence filter.
    """
    from scipy.signal import find_peaks

    sl = np.tan(np.deg2rad(slant_deg)) if np.isfinite(slant_deg) else 0.0
    col = np.rint((x - (y - y.mean()) * sl) / mm).astype(np.int64)
    col -= col.min()
    n = int(col.max()) + 3
    hi = np.full(n, -np.inf)
    lo = np.full(n, np.inf)
    u = np.ones(x.size, bool) if use is None else use
    np.maximum.at(hi, col[u] + 1, y[u])
    np.minimum.at(lo, col[u] + 1, y[u])
    keep_t = top & (y >= np.maximum(np.maximum(hi[:-2], hi[1:-1]), hi[2:])[col] - tol_px * mm)
    keep_b = bottom & (y <= np.minimum(np.minimum(lo[:-2], lo[1:-1]), lo[2:])[col] + tol_px * mm)
    if prominence > 0 and np.isfinite(hi).any():
        floor_, ceil_ = float(np.min(lo[np.isfinite(lo)])), float(np.max(hi[np.isfinite(hi)]))
        span = ceil_ - floor_ + 1.0
        up_env = np.where(np.isfinite(hi), hi, floor_ - span)     # gaps between words: deep valleys
        dn_env = np.where(np.isfinite(lo), -lo, -ceil_ - span)
        pk, _ = find_peaks(np.r_[-np.inf, up_env, -np.inf], prominence=prominence, plateau_size=1)
        vl, _ = find_peaks(np.r_[-np.inf, dn_env, -np.inf], prominence=prominence, plateau_size=1)
        ok_up = np.zeros(n + 2, bool)
        ok_dn = np.zeros(n + 2, bool)
        # a peak's plateau and one column either side
        for arr, idx in ((ok_up, pk), (ok_dn, vl)):
            for d in (-2, -1, 0):
                arr[np.clip(idx + d, 0, n + 1)] = True
        # a pixel in column col is near a peak when one of ok[col + 1 : col + 4] is set
        keep_t &= (ok_up[1:n] | ok_up[2 : n + 1] | ok_up[3 : n + 2])[col]
        keep_b &= (ok_dn[1:n] | ok_dn[2 : n + 1] | ok_dn[3 : n + 2])[col]
    return keep_t, keep_b


def line_measures(
    rows: np.ndarray,
    cols: np.ndarray,
    top: np.ndarray,
    bottom: np.ndarray,
    cluster: np.ndarray,
    cl_left: np.ndarray,
    cl_right: np.ndarray,
    *,
    dpi: float,
    rule_rows: np.ndarray | None = None,
    comp: np.ndarray | None = None,
    flat: np.ndarray | None = None,
) -> dict[str, Any]:
    """Heights, spacing and slant of one text line from its centre-line pixels.

    Parameters
    ----------
    rows, cols : ndarray of int
        Skeleton pixels of the line (image coordinates, rows down).
    top, bottom : ndarray of bool
        Which of them are turning points (see :func:`penmotor.scan.segment.turning_points`).
    cluster : ndarray of int
        Glyph-cluster (letter) id per pixel.
    cl_left, cl_right : ndarray
        Cluster extents in columns.
    dpi : float
    rule_rows : ndarray, optional
        Rows of ruled lines on the page (for the Minnesota rule).
    comp : ndarray of int, optional
        Component label per pixel: turning points of tiny components (i-dots, short
        cross-bars: height below 30 % of the line's tallest) are ignored, as online.
    flat : ndarray of bool, optional
        Turning points on horizontal strokes (see :func:`penmotor.scan.segment.refine_turns`);
        a letter with flat tops (bottoms) is measured on those only.

    Returns
    -------
    dict
        Scalars in mm/deg (``x_height``, ``ascender_height``, ``descender_height``,
        ``slant``, ``baseline``) and arrays (``letter_heights``, ``letter_offsets``,
        ``word_gaps``, ``letter_gaps``, ``word_baselines``), NaN / empty when undefined.

    Examples
    --------
    >>> # an "o"-like ring and a stick, 100 px per mm-ish resolution
    >>> import cv2
    >>> img = np.zeros((120, 200), np.uint8)
    >>> _ = cv2.ellipse(img, (50, 80), (20, 20), 0, 0, 360, 1, 1)
    >>> _ = cv2.line(img, (120, 100), (120, 20), 1, 1)
    >>> r, c = np.nonzero(img)
    >>> from penmotor.scan.segment import turning_points
    >>> t, b = turning_points(img.astype(bool))
    >>> m = line_measures(r, c, t[r, c], b[r, c], (c > 90).astype(int), np.array([30, 120]),
    ...                   np.array([70, 120]), dpi=254)
    >>> round(m["x_height"], 1), round(m["ascender_height"], 1)
    (4.0, 8.0)
    """
    mm = 25.4 / dpi
    x = cols.astype(float) * mm
    y = -rows.astype(float) * mm
    out: dict[str, Any] = {"x_height": _NAN, "ascender_height": _NAN, "descender_height": _NAN,
                           "slant": _NAN, "baseline": _NAN, "letter_heights": np.zeros(0),
                           "letter_offsets": np.zeros(0), "word_gaps": np.zeros(0),
                           "letter_gaps": np.zeros(0), "word_baselines": np.zeros(0), "letter_x": np.zeros(0),
                           "word_x": np.zeros(0), "minnesota": np.zeros(0, bool), "left": _NAN}
    if x.size == 0:
        return out
    out["left"] = float(x.min())
    out["slant"] = _slant(x, y, mm)
    tiny = np.zeros(x.size, bool)
    if comp is not None and comp.size == x.size:
        labs, inv = np.unique(comp, return_inverse=True)
        hi = np.full(labs.size, -np.inf)
        lo = np.full(labs.size, np.inf)
        np.maximum.at(hi, inv, y)
        np.minimum.at(lo, inv, y)
        ext = hi - lo
        tiny = (ext < 0.3 * ext.max())[inv]
        prom = 0.15 * float(median(ext[ext >= 0.3 * ext.max()]))
    else:
        prom = 0.15 * float(np.ptp(y))
    top, bottom = _on_envelope(x, y, top & ~tiny, bottom & ~tiny, out["slant"], mm, use=~tiny,
                               prominence=prom)
    fl = np.zeros(x.size, bool) if flat is None else np.asarray(flat, bool)
    xb, yb, cb, fb = x[bottom], y[bottom], cluster[bottom], fl[bottom]
    xt, yt, ct, ft = x[top], y[top], cluster[top], fl[top]
    if yb.size < 2 or yt.size < 2:
        return out
    bw = max(0.12, 1.5 * mm)
    b0 = _mode(yb, mm / 2, bw)
    above = yt > b0 + max(0.5, 4 * mm)
    if not above.any():
        return out
    cand = yt[above]
    split = _otsu_upper(cand - b0)
    if split is not None:  # clearly two height classes: midline tops and ascender tops
        cand = cand[cand - b0 < split]
    xh0 = _mode(cand, mm / 2, bw) - b0
    if not (xh0 > 0):
        return out
    core_b = np.abs(yb - b0) < 0.35 * xh0
    a, s = _fit_line(xb[core_b], yb[core_b])
    base_b = a + s * xb
    base_t = a + s * xt
    ht = yt - base_t
    core_t = np.abs(ht - xh0) < 0.35 * xh0
    if not core_t.any():
        return out
    # per letter (glyph cluster): median core-top height and median core-bottom offset from the
    # straight baseline; the letter's own height (top - bottom) is immune to baseline wobble
    n_cl = int(cl_left.size)
    cb_core = np.abs(yb - base_b) < 0.35 * xh0
    cnt_t = np.bincount(ct[core_t], minlength=n_cl)
    cnt_b = np.bincount(cb[cb_core], minlength=n_cl)
    # prefer a letter's flat turns (arch tops, bowl bottoms) over its stem ends
    has_ft = np.bincount(ct[core_t & ft], minlength=n_cl) > 0
    has_fb = np.bincount(cb[cb_core & fb], minlength=n_cl) > 0
    use_t = core_t & (ft | ~has_ft[ct])
    use_b = cb_core & (fb | ~has_fb[cb])
    top_l = group_median(ct[use_t], ht[use_t], n_cl)
    bot_l = group_median(cb[use_b], (yb - base_b)[use_b], n_cl)
    both = (cnt_t > 0) & (cnt_b > 0)
    if both.any():
        # a letter's height: its own median top minus its own median bottom (no fitted line)
        heights = (group_median(ct[use_t], yt[use_t], n_cl) - group_median(cb[use_b], yb[use_b], n_cl))[both]
        xh = float(median(heights))
    else:
        heights = np.zeros(0)
        xh = float(median(ht[core_t]))
    out["x_height"] = xh
    out["baseline"] = a + s * float(np.mean(x))
    # ascenders/descenders relative to their letter's own bottom when it has one
    loc_t = np.where(cnt_b[ct] > 0, bot_l[ct], 0.0) if n_cl else np.zeros(ct.size)
    loc_b = np.where(cnt_b[cb] > 0, bot_l[cb], 0.0) if n_cl else np.zeros(cb.size)
    ht_loc = ht - np.nan_to_num(loc_t)
    asc = ht_loc > 1.4 * xh
    out["ascender_height"] = float(median(ht_loc[asc])) if asc.any() else _NAN
    dep = base_b + np.nan_to_num(loc_b) - yb
    desc = dep > 0.4 * xh
    out["descender_height"] = float(median(dep[desc])) if desc.any() else _NAN
    out["letter_heights"] = heights
    out["letter_offsets"] = bot_l[cnt_b > 0]
    out["letter_x"] = (0.5 * (cl_left + cl_right) * mm)[cnt_b > 0]
    lowest = np.full(n_cl, np.inf)
    np.minimum.at(lowest, cb[cb_core], (yb - base_b)[cb_core])
    # Minnesota: letter bottom vs the ruled line under the line (else the fitted baseline)
    ref_off = 0.0
    if rule_rows is not None and rule_rows.size:
        rule_y = -np.asarray(rule_rows, float) * mm
        d = rule_y - out["baseline"]
        j = int(np.argmin(np.abs(d)))
        if abs(d[j]) < 0.6 * xh:
            ref_off = float(d[j])
    letter_bottom = np.where(np.isfinite(lowest), lowest, np.nan)[cnt_b > 0]
    out["minnesota"] = np.abs(letter_bottom - ref_off) > MINNESOTA_MM
    # spacing: gaps between consecutive letters' centre-line boxes
    gaps = (cl_left[1:] - cl_right[:-1]).astype(float) * mm
    if gaps.size:
        from ..segment import gap_threshold

        thr = gap_threshold(gaps / xh) * xh
        is_word = gaps > thr
        out["word_gaps"] = gaps[is_word]
        out["letter_gaps"] = gaps[~is_word]
        # word baselines (for straightness): median baseline offset of the word's letters
        word_of_cluster = np.r_[0, np.cumsum(is_word)]
        has_b = cnt_b > 0
        wl = word_of_cluster[has_b]
        offs_l, x_l = bot_l[has_b], (0.5 * (cl_left + cl_right) * mm)[has_b]
        wb, wx = [], []
        for w in np.unique(wl):  # loop over words
            sel = wl == w
            wb.append(float(median(offs_l[sel])))
            wx.append(float(np.mean(x_l[sel])))
        out["word_baselines"] = np.asarray(wb)
        out["word_x"] = np.asarray(wx)
    return out


def stroke_width_mm(dist: np.ndarray, skel: np.ndarray, *, dpi: float) -> float:
    """Stroke width from the distance transform sampled on the centre line: ``2 d - 0.5`` px.

    A stroke of odd width ``w`` has ``d = (w + 1) / 2`` at its centre pixel, an even one
    ``d = w / 2``; ``2 d - 0.5`` halves the bias of both.

    Examples
    --------
    >>> import cv2
    >>> m = np.zeros((40, 100), np.uint8); m[10:15, 10:90] = 1
    >>> d = cv2.distanceTransform(m, cv2.DIST_L2, 5)
    >>> s = np.zeros((40, 100), bool); s[12, 12:88] = True
    >>> round(stroke_width_mm(d, s, dpi=254), 2)
    0.55
    """
    v = dist[skel]
    if v.size == 0:
        return _NAN
    return float((2.0 * median(v) - 0.5) * 25.4 / dpi)


def ink_darkness(grey: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> float:
    """Median light absorbed by the ink at the given pixels, relative to the local paper.

    The paper brightness is a max-filter of the page at 1/8 scale, so uneven light cancels.

    Examples
    --------
    >>> g = np.full((64, 64), 200, np.uint8); g[30:33, 5:60] = 50
    >>> round(ink_darkness(g, np.full(10, 31), np.arange(10, 20)), 2)
    0.75
    """
    import cv2

    if rows.size == 0:
        return _NAN
    f = 8
    small = np.ascontiguousarray(grey[::f, ::f])  # paper brightness varies slowly: a sparse sample will do
    paper = cv2.dilate(small, np.ones((5, 5), np.uint8)).astype(np.float64)
    pr = np.clip(rows // f, 0, paper.shape[0] - 1)
    pc = np.clip(cols // f, 0, paper.shape[1] - 1)
    bg = np.maximum(paper[pr, pc], 1.0)
    return float(np.clip(median(1.0 - grey[rows, cols] / bg), 0.0, 1.0))


def page_metrics(lines: list[dict[str, Any]], *, rule_spacing_mm: float = _NAN) -> dict[str, float]:
    """Combine per-line measures (:func:`line_measures`) into the page's metrics.

    Heights are medians over lines; spacings pool every gap on the page; slant is the
    median over lines; ``baseline_deviation`` is the RMS offset of the letters from their
    line's straight baseline; ``line_straightness`` the RMS offset of the words' baselines
    from that line.

    Examples
    --------
    >>> m = page_metrics([])
    >>> sorted(m) == sorted(SHARED + tuple(k for k in SCAN_ONLY if k not in ("stroke_width", "ink_darkness")))
    True
    """
    def med(key: str) -> float:
        v = np.array([ln[key] for ln in lines], float)
        v = v[np.isfinite(v)]
        return float(median(v)) if v.size else _NAN

    def cat(key: str) -> np.ndarray:
        parts = [np.asarray(ln[key], float) for ln in lines]
        return np.concatenate(parts) if parts else np.zeros(0)

    out: dict[str, float] = {}
    for k in ("x_height", "ascender_height", "descender_height", "slant"):
        out[k] = med(k)
    xh = out["x_height"]
    # letter size and alignment as online (penmotor.metrics.sizing): letters pooled over lines,
    # baseline residuals about each line's own straight line
    out["size_cv"] = letter_size_cv(cat("letter_heights"))
    res = [baseline_residuals(ln["letter_offsets"], ln["letter_x"]) for ln in lines]
    r = np.concatenate(res) if res else np.zeros(0)
    out["baseline_deviation"] = float(np.sqrt(np.mean(r ** 2))) if r.size >= 3 else _NAN
    wg, lg = cat("word_gaps"), cat("letter_gaps")
    out["word_spacing"] = float(wg.mean()) if wg.size else _NAN
    out["letter_spacing"] = float(lg.mean()) if lg.size else _NAN
    xhs = [np.full(len(ln["word_gaps"]), ln["x_height"]) for ln in lines]
    xhl = [np.full(len(ln["letter_gaps"]), ln["x_height"]) for ln in lines]
    xw = np.concatenate(xhs) if xhs else np.zeros(0)
    xl = np.concatenate(xhl) if xhl else np.zeros(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["word_spacing_xh"] = float(np.nanmean(wg / xw)) if wg.size and np.isfinite(wg / xw).any() else _NAN
        out["letter_spacing_xh"] = float(np.nanmean(lg / xl)) if lg.size and np.isfinite(lg / xl).any() else _NAN
    out["spacing_cv"] = float(lg.std() / lg.mean()) if lg.size > 1 and lg.mean() > 0 else _NAN
    res = []
    for ln in lines:
        wb, wx = np.asarray(ln["word_baselines"]), np.asarray(ln["word_x"])
        if wb.size >= 3:
            a, s = _fit_line(wx, wb)
            res.append(wb - (a + s * wx))
    r = np.concatenate(res) if res else np.zeros(0)
    out["line_straightness"] = float(np.sqrt(np.mean(r ** 2))) if r.size else _NAN
    mn = cat("minnesota")
    out["minnesota_baseline_share"] = float(mn.mean()) if mn.size else _NAN
    lefts = np.array([ln["left"] for ln in lines], float)
    bases = np.array([ln["baseline"] for ln in lines], float)
    ok = np.isfinite(lefts) & np.isfinite(bases)
    out["left_margin_drift"] = margin_drift(lefts[ok], bases[ok])
    out["ruled_line_spacing"] = float(rule_spacing_mm)
    return out
