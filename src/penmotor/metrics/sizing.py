"""Letter size and alignment: baseline, midline, x-height, ascenders, descenders, slant.

Method (online ink; the scanned-worksheet pipeline computes the same quantities from
ink components):

1. **Writing frame.** The line direction is first taken from the principal axis of the
   pen-down ink (when the ink is at least 3x wider than tall, else horizontal), then
   refined by a Theil-Sen line through the baseline minima (step 3); all heights are
   measured perpendicular to that baseline, so a rotated page gives the same numbers.
2. **Stroke extrema.** In every pen-down stroke, the local maxima and minima of the
   height ``v`` with a prominence of at least a quarter of the typical stroke height
   (``scipy.signal.find_peaks``, stroke by stroke), plus each stroke's highest and
   lowest point. Tiny
   strokes (i-dots, flat cross-bars: vertical extent below 30 % of the tallest) are
   left out.
3. **Zones.** The baseline is the median of the minima in the upper of two Otsu
   classes of minima heights (the lower class, when clearly separate, holds the
   descenders); the midline lies the x-height above it, the median of the maxima in
   the lower class of maxima heights (the upper class: ascenders). Both are refined
   twice keeping only extrema within 0.3 x-height of their line. Ascender maxima are
   those higher than ``1.4`` x-heights, descender minima those deeper than 0.4
   x-heights below the baseline.
4. **Slant** is the mode of the direction of the down-strokes: for each uniformly
   resampled pen-down sample, low-passed at 5 Hz (:func:`penmotor.signal.kinematics`),
   moving down steeply (within 60 degrees of vertical), the angle ``atan(du/dv)`` (u
   along the line, v up), weighted by the downward speed; the peak of the smoothed
   weighted histogram, refined by the weighted mean within 12 degrees of it. Straight
   down-strokes (stems) pile up at the slant, round strokes spread symmetrically
   around it; the window keeps the diagonals of v, w, x and the arches of n, m, h out
   and averages letters of varying slant (with a per-letter SD of 4 degrees the
   estimate stays within 2 degrees of the mean slant; a 3 degree window follows the
   most common letters instead). The 5 Hz low-pass keeps the velocity of a tremor from tilting the
   directions (at 12 Hz, a 0.35 mm tremor at 45 degrees moved the slant of 15 mm/s
   writing by 5-8 degrees); a slow (4-6 Hz) tremor whose velocity is comparable to the
   writing speed still biases it by up to ~3 degrees. Positive = right-leaning.

Metrics return NaN when undefined: no pen-down ink, no extrema, a non-text task
(``rec.meta["task"]`` containing ``"spiral"``, or ``"circle"``, ``"line"``, ...), fewer
than three letters for the variability measures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..recording import Recording
from ..registry import metric
from ..segment import components, frame_coords

__all__ = [
    "Layout",
    "layout",
    "letter_components",
    "x_height",
    "ascender_height",
    "descender_height",
    "size_cv",
    "baseline_deviation",
    "baseline_angle",
    "slant",
]

NAN = float("nan")
#: Low-pass cut-off (Hz) of the trajectory whose down-stroke directions give the slant
#: mode: low enough that a tremor's velocity does not tilt the down-strokes.
SLANT_CUTOFF_HZ = 5.0
#: Half-width (degrees) of the window around the direction mode whose weighted mean is the slant.
SLANT_WINDOW_DEG = 12.0
#: Tasks for which letter sizing is meaningless.
NON_TEXT_TASKS = frozenset({"spiral", "circle", "line", "lines", "dots"})


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


def _otsu(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Split sorted-able values into the two Otsu classes (lower, upper); None if < 2 values."""
    g = np.sort(values)
    n = g.size
    if n < 2:
        return None
    cs = np.cumsum(g)
    k = np.arange(1, n)
    m0 = cs[:-1] / k
    m1 = (cs[-1] - cs[:-1]) / (n - k)
    j = int(np.argmax(k * (n - k) * (m0 - m1) ** 2))
    return g[: j + 1], g[j + 1 :]


def _extrema(u: np.ndarray, v: np.ndarray, st: np.ndarray, sp: np.ndarray, use: np.ndarray,
             prom: float) -> tuple[np.ndarray, np.ndarray]:
    """Indices and kinds (+1 max, -1 min) of significant height extrema of the used strokes.

    Vectorised over strokes: the strokes are concatenated with one separator sample
    higher than every value between them (``v`` for maxima, ``-v`` for minima), where a
    prominence base search stops just as at the end of a lone stroke; so the result
    equals ``find_peaks`` stroke by stroke, with one call per kind.
    Each stroke's highest and lowest samples are added.
    """
    from scipy.signal import find_peaks, peak_prominences

    s, e = st[use], sp[use]
    if s.size == 0:
        return np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp)
    L = e - s
    # sample index of every concatenated position, -1 for the separators
    pos = np.full(int(L.sum()) + s.size, -1, dtype=np.intp)
    off = np.concatenate(([0], np.cumsum(L + 1)[:-1]))
    seg = np.repeat(np.arange(s.size), L)
    local = np.arange(int(L.sum())) - np.repeat(np.cumsum(L) - L, L)
    pos[off[seg] + local] = s[seg] + local
    inside = pos >= 0
    vals = v[np.where(inside, pos, 0)]
    span = float(np.ptp(vals[inside])) + 1.0
    # separators higher than everything: a prominence base search stops there, exactly
    # as it stops at the edge of a single stroke; the separators' own peaks are dropped
    top = float(np.max(np.abs(vals[inside]))) + 10.0 * span
    found = []
    for sig in (np.where(inside, vals, top), np.where(inside, -vals, top)):
        cand, _ = find_peaks(sig)
        cand = cand[inside[cand]]  # (separators' own prominence would scan everything)
        found.append(cand[peak_prominences(sig, cand)[0] >= prom] if cand.size else cand)
    pk, tr = found
    # per-stroke highest / lowest sample (first occurrence)
    vv = v[pos[inside]]
    idx_in = pos[inside]
    cs = np.concatenate(([0], np.cumsum(L)[:-1]))
    vmax = np.maximum.reduceat(vv, cs)
    vmin = np.minimum.reduceat(vv, cs)
    big = np.iinfo(np.intp).max
    amax = np.minimum.reduceat(np.where(vv == vmax[seg], idx_in, big), cs)
    amin = np.minimum.reduceat(np.where(vv == vmin[seg], idx_in, big), cs)
    hi = np.union1d(pos[pk], amax)
    lo = np.union1d(pos[tr], amin)
    idx = np.concatenate((hi, lo)).astype(np.intp)
    kind = np.concatenate((np.ones(hi.size, dtype=np.intp), -np.ones(lo.size, dtype=np.intp)))
    order = np.argsort(idx, kind="stable")
    return idx[order], kind[order]


def _zones(vmin: np.ndarray, vmax: np.ndarray, scale: float) -> tuple[float, float]:
    """Baseline and x-height from minima and maxima heights."""
    if vmin.size == 0 or vmax.size == 0:
        return NAN, NAN
    sp = _otsu(vmin)
    base = float(np.median(vmin))
    if sp is not None:
        lo, hi = sp
        if np.median(hi) - np.median(lo) > 0.35 * scale:
            # a large upper class is the baseline (the lower one: descenders); a small
            # upper class is a few stray minima above the baseline
            base = float(np.median(hi if hi.size >= 0.3 * vmin.size else lo))
    h = vmax - base
    xh = float(np.median(h))
    sp = _otsu(h)
    if sp is not None:
        lo, hi = sp
        mlo, mhi = float(np.median(lo)), float(np.median(hi))
        if mlo > 0 and mhi > 1.3 * mlo and mhi - mlo > 0.3 * scale:
            xh = mlo
    for _ in range(2):
        if not (xh > 0):
            return base, NAN
        sel = np.abs(vmin - base) < 0.3 * xh
        if sel.any():
            base = float(np.median(vmin[sel]))
        sel = np.abs(vmax - base - xh) < 0.3 * xh
        if sel.any():
            xh = float(np.median(vmax[sel])) - base
    return base, (xh if xh > 0 else NAN)


def _pca_angle(x: np.ndarray, y: np.ndarray) -> float:
    if x.size < 3:
        return 0.0
    c = np.cov(np.vstack((x, y)))
    w, vec = np.linalg.eigh(c)
    if w[0] <= 0 or w[1] / max(w[0], 1e-12) < 9.0:  # less than 3x elongated
        return 0.0
    d = vec[:, 1]
    ang = math.degrees(math.atan2(d[1], d[0]))
    ang = (ang + 90.0) % 180.0 - 90.0  # direction modulo 180, in (-90, 90]
    return ang if abs(ang) <= 45.0 else 0.0


def _analyse(rec: Recording, angle: float, st: np.ndarray, sp: np.ndarray) -> dict:
    u, v = frame_coords(rec.x, rec.y, angle_deg=angle)
    down = rec.pen_down
    vlo = np.minimum.reduceat(np.where(down, v, np.inf), st)
    vhi = np.maximum.reduceat(np.where(down, v, -np.inf), st)
    ext = vhi - vlo
    if not np.isfinite(ext).any() or np.nanmax(ext) <= 0:
        return {"ok": False}
    use = ext >= 0.3 * np.max(ext)
    scale = float(np.median(ext[use]))
    idx, kind = _extrema(u, v, st, sp, use, 0.25 * scale)
    stroke = np.searchsorted(st, idx, side="right") - 1
    ev, eu = v[idx], u[idx]
    base, xh = _zones(ev[kind < 0], ev[kind > 0], scale)
    zone = np.full(idx.size, 9, dtype=np.intp)
    if np.isfinite(xh):
        zone[(kind < 0) & (np.abs(ev - base) < 0.3 * xh)] = 0
        zone[(kind > 0) & (np.abs(ev - base - xh) < 0.3 * xh)] = 1
        zone[(kind > 0) & (ev - base > 1.4 * xh) & (ev - base < 5.0 * xh)] = 2
        zone[(kind < 0) & (base - ev > 0.4 * xh) & (base - ev < 4.0 * xh)] = -1
    return {"ok": np.isfinite(xh), "idx": idx, "u": eu, "v": ev, "kind": kind, "stroke": stroke, "zone": zone,
            "base": base, "xh": xh}


def _slant(rec: Recording, angle: float) -> float:
    from ..signal import kinematics

    tr = kinematics(rec, cutoff_hz=SLANT_CUTOFF_HZ)  # cached per recording
    if len(tr) < 3:
        return NAN
    a = math.radians(angle)
    vu = tr.vx * math.cos(a) + tr.vy * math.sin(a)
    vv = -tr.vx * math.sin(a) + tr.vy * math.cos(a)
    sp = np.hypot(vu, vv)
    ok = np.isfinite(sp) & (vv < 0) & (-vv > 0.5 * sp) & (sp > 0.1 * np.nanmedian(sp))
    if np.count_nonzero(ok) < 5:
        return NAN
    ang = np.degrees(np.arctan(vu[ok] / vv[ok]))
    w = -vv[ok]
    edges = np.arange(-60.0, 60.0 + 0.25, 0.25)
    hist, _ = np.histogram(ang, bins=edges, weights=w)
    k = np.arange(-24, 25) * 0.25
    kern = np.exp(-0.5 * (k / 1.5) ** 2)
    sm = np.convolve(hist, kern, mode="same")
    peak = 0.5 * (edges[int(np.argmax(sm))] + edges[int(np.argmax(sm)) + 1])
    near = np.abs(ang - peak) <= SLANT_WINDOW_DEG
    return float(np.sum(ang[near] * w[near]) / np.sum(w[near])) if near.any() else float(peak)


def _is_text(rec: Recording) -> bool:
    task = str(rec.meta.get("task", "")).lower()
    return task not in NON_TEXT_TASKS and "spiral" not in task


def layout(rec: Recording) -> Layout:
    """Estimate the writing frame, zones and slant of a recording (cached per recording).

    Parameters
    ----------
    rec : Recording

    Returns
    -------
    Layout
        All NaN when there is no usable pen-down ink or the task is not text
        (``meta["task"]`` is ``"spiral"``, ...).

    Examples
    --------
    >>> from penmotor import synth
    >>> lay = layout(synth.handwriting("hello world", x_height_mm=4.0, slant_deg=10, seed=1))
    >>> round(lay.x_height, 2), round(lay.ascender, 1), round(lay.slant_deg)
    (4.0, 8.0, 10)
    """
    return rec.cached("sizing.layout", lambda: _layout(rec))


def _layout(rec: Recording) -> Layout:
    if len(rec) < 3 or not _is_text(rec):
        return Layout()
    st, sp = rec.stroke_bounds()
    if st.size == 0:
        return Layout()
    down = rec.pen_down
    angle = _pca_angle(rec.x[down], rec.y[down])
    res = _analyse(rec, angle, st, sp)
    if not res["ok"]:
        return Layout()
    base_sel = res["zone"] == 0
    if np.count_nonzero(base_sel) >= 3 and np.ptp(res["u"][base_sel]) > 3.0 * res["xh"]:
        from scipy.stats import theilslopes

        slope = theilslopes(res["v"][base_sel], res["u"][base_sel])[0]
        if np.isfinite(slope):
            angle += math.degrees(math.atan(slope))
            res2 = _analyse(rec, angle, st, sp)
            if res2["ok"]:
                res = res2
    z = res["zone"]
    ev = res["v"]
    base, xh = res["base"], res["xh"]
    asc = float(np.median(ev[z == 2]) - base) if np.any(z == 2) else NAN
    desc = float(base - np.median(ev[z == -1])) if np.any(z == -1) else NAN
    return Layout(angle, base, xh, asc, desc, _slant(rec, angle), res["u"], ev, res["kind"], res["stroke"], z)


def letter_components(rec: Recording) -> np.ndarray:
    """Component (letter) index of every pen-down stroke, in the writing frame of :func:`layout`.

    Empty when the layout is undefined.

    Examples
    --------
    >>> from penmotor import synth
    >>> letter_components(synth.handwriting("hi", seed=0)).tolist()
    [0, 1, 1]
    """
    def comp() -> np.ndarray:
        lay = layout(rec)
        if not lay.ok:
            return np.empty(0, dtype=np.intp)
        sl = lay.slant_deg if np.isfinite(lay.slant_deg) else 0.0
        return components(rec, x_height_mm=lay.x_height, angle_deg=lay.angle_deg, slant_deg=sl)

    return rec.cached("sizing.components", comp)


def _group_median(group: np.ndarray, values: np.ndarray, m: int) -> np.ndarray:
    """Median of `values` per group label 0..m-1 (NaN for empty groups), vectorised."""
    out = np.full(m, NAN)
    if group.size == 0:
        return out
    order = np.lexsort((values, group))
    g, v = group[order], values[order]
    cnt = np.bincount(g, minlength=m)
    start = np.concatenate(([0], np.cumsum(cnt)[:-1]))
    has = cnt > 0
    lo = start[has] + (cnt[has] - 1) // 2
    hi = start[has] + cnt[has] // 2
    out[has] = 0.5 * (v[lo] + v[hi])
    return out


def _component_zones(rec: Recording, lay: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per component: x-zone height, baseline offset, centre u (NaN where undefined); cached."""
    return rec.cached("sizing.component_zones", lambda: _zones_of_components(rec, lay))


def _zones_of_components(rec: Recording, lay: Layout) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    comp = letter_components(rec)
    if comp.size == 0 or lay.ext_v.size == 0:
        return np.empty(0), np.empty(0), np.empty(0)
    m = int(comp.max()) + 1
    ec = comp[lay.ext_stroke]
    xh, base = lay.x_height, lay.baseline
    is_min = lay.ext_kind < 0
    near_base = is_min & (np.abs(lay.ext_v - base) < 0.5 * xh)
    bc = _group_median(ec[near_base], lay.ext_v[near_base], m)
    offs = bc - base
    n_ext = np.bincount(ec, minlength=m)
    with np.errstate(invalid="ignore", divide="ignore"):
        cu = np.bincount(ec, weights=lay.ext_u, minlength=m) / n_ext
    cu[~np.isfinite(bc)] = NAN
    own = bc[ec]
    near_mid = ~is_min & np.isfinite(own) & (np.abs(lay.ext_v - own - xh) < 0.5 * xh)
    heights = _group_median(ec[near_mid], lay.ext_v[near_mid], m) - bc
    return heights, offs, cu


@metric(unit="mm", better=None, scan=True)
def x_height(rec: Recording) -> float:
    """Height of x-height letters: distance from the baseline to the midline, mm.

    The median of the letters' x-zone heights (see :func:`size_cv`), so that letters
    sitting off the baseline do not widen it; with fewer than three such letters, the
    distance between the fitted baseline and midline (:func:`layout`).

    Examples
    --------
    >>> from penmotor import synth
    >>> round(x_height(synth.handwriting("minimum", x_height_mm=3.5, seed=0)), 2)
    3.5
    """
    lay = layout(rec)
    if not lay.ok:
        return NAN
    h, _, _ = _component_zones(rec, lay)
    h = h[np.isfinite(h)]
    return float(np.median(h)) if h.size >= 3 else lay.x_height


@metric(unit="mm", better=None, scan=True)
def ascender_height(rec: Recording) -> float:
    """Height of ascenders (b d f h k l t) above the baseline, mm; NaN without ascenders.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(ascender_height(synth.handwriting("held", x_height_mm=3.0, ascender_mm=6.5, seed=0)), 2)
    6.5
    """
    return layout(rec).ascender


@metric(unit="mm", better=None, scan=True)
def descender_height(rec: Recording) -> float:
    """Depth of descenders (g j p q y) below the baseline, mm (positive); NaN without descenders.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(descender_height(synth.handwriting("gypsy", x_height_mm=3.0, descender_mm=2.5, seed=0)), 2)
    2.5
    """
    return layout(rec).descender


@metric(unit="1", better="lower", scan=True)
def size_cv(rec: Recording) -> float:
    """Size consistency: coefficient of variation (SD/mean, ddof=1) of the letters' x-zone heights.

    A letter's x-zone height is the median height of its midline maxima above the
    median of its baseline minima (letters = ink components, see
    :func:`penmotor.segment.components`); needs at least three letters with both.

    Examples
    --------
    >>> from penmotor import synth
    >>> even = size_cv(synth.handwriting("sun moon rain", seed=0))
    >>> uneven = size_cv(synth.handwriting("sun moon rain", size_cv=0.2, seed=0))
    >>> bool(even < 0.01 < uneven)
    True
    """
    lay = layout(rec)
    if not lay.ok:
        return NAN
    h, _, _ = _component_zones(rec, lay)
    h = h[np.isfinite(h)]
    if h.size < 3 or h.mean() <= 0:
        return NAN
    return float(np.std(h, ddof=1) / np.mean(h))


@metric(unit="mm", better="lower", scan=True)
def baseline_deviation(rec: Recording) -> float:
    """How far letters sit off a straight baseline: RMS residual of the letters' baseline heights, mm.

    Each letter's baseline height is the median of its baseline minima; the residual is
    taken about the least-squares straight line through them (so a uniformly tilted line
    is not penalised). Needs three letters.

    Examples
    --------
    >>> from penmotor import synth
    >>> rec = synth.handwriting("the cat sat on a mat", baseline_sd_mm=0.4, seed=3)
    >>> abs(baseline_deviation(rec) - rec.meta["truth"]["baseline_deviation"]) < 0.05
    True
    """
    lay = layout(rec)
    if not lay.ok:
        return NAN
    _, off, cu = _component_zones(rec, lay)
    ok = np.isfinite(off) & np.isfinite(cu)
    if np.count_nonzero(ok) < 3:
        return NAN
    coef = np.polyfit(cu[ok], off[ok], 1)
    return float(np.sqrt(np.mean((off[ok] - np.polyval(coef, cu[ok])) ** 2)))


@metric(unit="deg", better=None)
def baseline_angle(rec: Recording) -> float:
    """Direction of the fitted baseline on the page, degrees counter-clockwise (0 = horizontal).

    Examples
    --------
    >>> from penmotor import synth
    >>> abs(baseline_angle(synth.handwriting("hello world", seed=0))) < 0.5
    True
    """
    lay = layout(rec)
    return lay.angle_deg if lay.ok else NAN


@metric(unit="deg", better=None, scan=True)
def slant(rec: Recording) -> float:
    """Slant of the down-strokes from the perpendicular to the baseline, degrees (positive = right).

    Examples
    --------
    >>> from penmotor import synth
    >>> round(slant(synth.handwriting("hello world", slant_deg=-12, seed=0)))
    -12
    """
    lay = layout(rec)
    return lay.slant_deg if lay.ok else NAN
