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
   lowest point. Tiny strokes (i-dots, flat cross-bars: vertical extent below 30 % of
   the median extent of the strokes taller than a tenth of the tallest) are left out.
   When :mod:`penmotor.metrics.tremor` finds a clear tremor line in the writing, the
   extrema are taken on the trace with that line (``f0 +- 0.5 Hz``, by complex
   demodulation) subtracted: a tremor of amplitude ``A`` otherwise lifts every maximum
   and lowers every minimum by up to its vertical part (+8 % x-height for 0.35 mm on
   4.5 mm letters). A tremor too weak to be found (below ~0.2 mm in handwriting) stays
   in and may inflate the x-height by up to ``2 A / x_height``.
3. **Zones.** The baseline is the median of the minima in the upper of two Otsu
   classes of minima heights (the lower class, when clearly separate, holds the
   descenders); the midline lies the x-height above it, the median of the maxima in
   the lower class of maxima heights (the upper class: ascenders). Both are refined
   twice keeping only extrema within 0.3 x-height of their line. Ascender maxima are
   those higher than ``1.4`` x-heights, descender minima those deeper than 0.4
   x-heights below the baseline.
3b. **Letters** (ink components, :func:`letter_components`): each letter's x-zone height
   is measured from its own baseline to its own lowest cluster of maxima, and the
   x-height is their trimmed mean (:func:`x_height`) -- robust to letters of varying
   size, where the global zones of step 3 follow the extremes.
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

**One estimator, two sources.** Steps 1-3b are geometry only: :func:`sizing_from_paths`
(:func:`x_height_from_paths`, :func:`layout_from_paths`) runs them on any pen centre-line
paths with a given slant (and optionally given letters). The online metrics pass the
recording's pen-down strokes (tremor line removed), the slant of step 4 and the ink
components; the scanned-worksheet pipeline passes its traced skeleton
(:func:`penmotor.scan.trace.centre_line_paths`), the scan's slant and its glyph clusters.

Metrics return NaN when undefined: no pen-down ink, no extrema, a non-text task
(``rec.meta["task"]`` containing ``"spiral"``, or ``"circle"``, ``"line"``, ...), fewer
than three letters for the variability measures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..recording import Recording
from ..registry import metric
from ..segment import components, frame_coords, lines

__all__ = [
    "Layout",
    "Sizing",
    "PageSizing",
    "line_sizings",
    "stroke_lines",
    "layout",
    "sizing_from_paths",
    "x_height_from_paths",
    "layout_from_paths",
    "letter_size_cv",
    "letter_baseline_deviation",
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
#: The slant's low-pass follows the writing tempo (pen-down speed / x-height, 1/s): its cut-off
#: is at least this many times the tempo (and at least SLANT_CUTOFF_HZ), so that the
#: down-strokes of fast or small writing are not smoothed away.
SLANT_TEMPO_FACTOR = 1.0
#: The cut-offs the slant's low-pass chooses from (Hz; the first is SLANT_CUTOFF_HZ, the second
#: the kinematics family's trace).
SLANT_CUTOFFS_HZ = (5.0, 12.0, 24.0)
#: A cusp (the pen reversing without slowing) is refined when the sample next to the extreme
#: lies within this fraction of a sample step of the straight line through its side.
CUSP_STRAIGHTNESS = 0.2
#: Half-width (degrees) of the window around the direction mode whose weighted mean is the slant.
SLANT_WINDOW_DEG = 12.0
#: A letter's maxima count for its x-zone from this height (x-heights) above its own baseline.
LETTER_MIN_XH = 0.4
#: A letter's x-zone maxima lie within this factor of its lowest significant maximum.
LETTER_CLUSTER = 1.3
#: A letter whose lowest maximum is higher than this (x-heights) is taken to show only an
#: ascender (an l not recognised as one, e.g. looped); t and f are read from their
#: cross-bars, a stick l from its shape (see :func:`size_cv`).
LETTER_MAX_XH = 1.8
#: Letter heights further than this many robust SDs (1.4826 MAD) from the median are
#: left out of :func:`size_cv`.
OUTLIER_SD = 4.0
#: A flat stroke at least this wide (x-heights) is a cross-bar (t, f) on its letter's midline.
BAR_MIN_XH = 0.25
#: ... when its height is below this fraction of its width.
BAR_FLATNESS = 0.35
#: Share of letter heights trimmed at each end for the x-height (a trimmed mean).
TRIM = 0.1
#: Low-pass (Hz) of the demodulated tremor: the tremor line removed before the extrema
#: are found is ``f0 +- TREMOR_LINE_HZ`` wide.
TREMOR_LINE_HZ = 0.5
#: Minimum concentration (see :mod:`.tremor`) of a tremor line taken out before the extrema
#: (true lines of 0.3-0.5 mm: 0.65-0.99; false lines from the rhythm of 2 mm letters: <= 0.61).
TREMOR_LINE_CONCENTRATION = 0.64
#: A tremor line of smaller amplitude (mm, peak, over the pen-down samples) is left in: that
#: weak, the writing's own rhythm passes for a line (0.1 mm at the 4.8 Hz rhythm of 3 mm
#: constant-speed cursive at 10 mm/s; taking it out lowered the x-height by 7 %), while a
#: real tremor that weak biases the x-height by at most ``2 A / x_height``.
TREMOR_LINE_MIN_MM = 0.15
#: Extrema count when at least this prominent (fraction of the median height of the strokes).
PROMINENCE = 0.25
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


#: Up to this many values, :func:`_median` sorts (faster than ``np.median``'s partition call).
_SORT_MEDIAN_MAX = 4096


def _median(values: np.ndarray) -> Any:
    """``np.median`` of a float array, bit for bit, ~5x faster on small arrays (a sort).

    ``np.median`` costs ~7 us per call on a few dozen values (this: ~1.5 us), and the
    size estimator and the scan's line measures take hundreds of such medians per page.
    Same result, type (the array's float scalar) and NaN propagation: NaN if any value
    is NaN; the middle value, or the mean of the two middle values, computed as
    ``np.mean`` does it (``+ 0.0``: ``np.mean`` adds to a zero, so a median of ``-0.0``
    is ``0.0``).
    Other inputs (empty, 0-d, large, not float32 / float64) go to ``np.median``.

    Parameters
    ----------
    values : ndarray
        Any shape; the median is taken over all elements.

    Returns
    -------
    numpy.floating or float
        As ``np.median(values)``.

    Examples
    --------
    >>> _median(np.array([3.0, 1.0, 2.0, 10.0]))
    np.float64(2.5)
    >>> _median(np.array([1.0, np.nan, 2.0]))
    np.float64(nan)
    """
    a = np.asarray(values)
    if not (0 < a.size <= _SORT_MEDIAN_MAX) or a.ndim == 0 or a.dtype.char not in "fd":
        return np.median(a)
    s = np.sort(a, axis=None)
    if np.isnan(s[-1]):  # NaNs sort last; np.median picks which NaN it returns
        return np.median(a)
    h = s.size // 2
    return s[h] + 0.0 if s.size % 2 else (s[h - 1] + s[h] + 0.0) / 2


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


def _refine_cusps(v: np.ndarray, par: np.ndarray, st: np.ndarray, sp: np.ndarray, idx: np.ndarray,
                  kind: np.ndarray, stroke: np.ndarray) -> np.ndarray:
    """Heights of the extrema ``v[idx]``, cusps refined to the tip between two samples.

    At a cusp the pen reverses without slowing down: the tip lies between two samples,
    up to half a sample step (0.15 mm at 60 mm/s and 200 Hz: 5 % of a 3 mm letter) above
    the highest one. Where the extreme sample lies on the straight line (in ``v`` against
    `par`, time or sample index) through the two samples before it, or the two after it
    (within ``CUSP_STRAIGHTNESS`` of a step), the sides are straight: the tip is where the
    two side lines meet. A rounded turn (its sides curve up to the extreme) is left as
    sampled; so is a turn where the pen slows down (dense samples: nothing to refine).
    """
    ev = v[idx].astype(np.float64, copy=True)
    ok = (idx - 2 >= st[stroke]) & (idx + 2 < sp[stroke])
    if not ok.any():
        return ev
    j = np.flatnonzero(ok)
    i = idx[j]
    sg = kind[j].astype(np.float64)  # maxima as they are, minima mirrored
    w = [sg * v[i + d] for d in (-2, -1, 0, 1, 2)]
    p = [par[i + d] for d in (-2, -1, 0, 1, 2)]
    with np.errstate(invalid="ignore", divide="ignore"):
        a = (w[1] - w[0]) / (p[1] - p[0])  # rising side
        b = (w[4] - w[3]) / (p[4] - p[3])  # falling side
        rl = np.abs(w[2] - (w[1] + a * (p[2] - p[1])))
        rr = np.abs(w[2] - (w[3] + b * (p[2] - p[3])))
        step = np.minimum(a * (p[2] - p[1]), -b * (p[3] - p[2]))
        pt = (w[3] - w[1] + a * p[1] - b * p[3]) / (a - b)
        tip = w[1] + a * (pt - p[1])
        lift = tip - w[2]
        cusp = ((a > 0) & (b < 0) & (step > 0) & (np.minimum(rl, rr) <= CUSP_STRAIGHTNESS * step)
                & (pt >= p[1]) & (pt <= p[3]) & (lift > 0)
                & (lift <= 0.6 * np.maximum(a * (p[2] - p[1]), -b * (p[3] - p[2]))))
    ev[j[cusp]] = sg[cusp] * tip[cusp]
    return ev


def _zones(vmin: np.ndarray, vmax: np.ndarray, scale: float) -> tuple[float, float]:
    """Baseline and x-height from minima and maxima heights."""
    if vmin.size == 0 or vmax.size == 0:
        return NAN, NAN
    sp = _otsu(vmin)
    base = float(_median(vmin))
    if sp is not None:
        lo, hi = sp
        if _median(hi) - _median(lo) > 0.35 * scale:
            # a large upper class is the baseline (the lower one: descenders); a small
            # upper class is a few stray minima above the baseline
            base = float(_median(hi if hi.size >= 0.3 * vmin.size else lo))
    h = vmax - base
    xh = float(_median(h))
    sp = _otsu(h)
    if sp is not None:
        lo, hi = sp
        mlo, mhi = float(_median(lo)), float(_median(hi))
        if mlo > 0 and mhi > 1.3 * mlo and mhi - mlo > 0.3 * scale:
            xh = mlo
    for _ in range(2):
        if not (xh > 0):
            return base, NAN
        sel = np.abs(vmin - base) < 0.3 * xh
        if sel.any():
            base = float(_median(vmin[sel]))
        sel = np.abs(vmax - base - xh) < 0.3 * xh
        if sel.any():
            xh = float(_median(vmax[sel])) - base
    return base, (xh if xh > 0 else NAN)


def _theil_sen_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Median of the pairwise slopes (as ``scipy.stats.theilslopes``, without its confidence interval)."""
    dx = x[:, None] - x
    pos = dx > 0
    if not pos.any():
        return NAN
    return float(_median((y[:, None] - y)[pos] / dx[pos]))


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


def _tremor_line(rec: Recording) -> tuple[np.ndarray, np.ndarray] | None:
    """x and y displacement of the tremor line found by :mod:`.tremor`, at the samples; None without one.

    The residual of the continuous sampling runs (x, y minus their 2 Hz low-pass, as in
    :func:`penmotor.metrics.tremor.tremor_spectrum`) is demodulated at the tremor
    frequency ``f0``, low-passed at ``TREMOR_LINE_HZ`` and remodulated: the band ``f0 +-
    ~0.5 Hz`` of the pen-tip displacement, i.e. the tremor, with its slowly varying
    amplitude and phase.
    """
    from .. import signal as psig
    from . import tremor as trm

    f0 = trm.tremor_frequency(rec, mode="handwriting")  # sizing only ever sees writing
    # only a clearly narrow line is taken out: removing the band of a false line (the
    # rhythm of small fast writing) would bend the letters themselves
    if not np.isfinite(f0) or (trm._concentration(trm.tremor_spectrum(rec, segment_s=trm.FINE_SEGMENT_S), f0)
                               < TREMOR_LINE_CONCENTRATION):
        return None
    rate = 200.0
    tu, res, ns, ne = trm.run_residual(rec, rate_hz=rate, highpass_hz=2.0)
    if tu.size < 3 or np.any(np.diff(tu) <= 0):
        return None
    ph = 2.0 * np.pi * f0 * (tu - tu[0])
    c, sn = np.cos(ph), np.sin(ph)
    dem = np.column_stack((res[:, 0] * c, res[:, 0] * sn, res[:, 1] * c, res[:, 1] * sn))
    lp = psig.lowpass(dem, rate_hz=rate, cutoff_hz=TREMOR_LINE_HZ, starts=ns, stops=ne)
    bx = 2.0 * (lp[:, 0] * c + lp[:, 1] * sn)
    by = 2.0 * (lp[:, 2] * c + lp[:, 3] * sn)
    if not (np.all(np.isfinite(bx)) and np.all(np.isfinite(by))):
        return None
    lx, ly = np.interp(rec.t, tu, bx), np.interp(rec.t, tu, by)
    d = rec.pen_down
    if not d.any() or math.sqrt(2.0 * float(np.mean(lx[d] ** 2 + ly[d] ** 2))) < TREMOR_LINE_MIN_MM:
        return None
    return lx, ly


def _boxes(u: np.ndarray, v: np.ndarray, st: np.ndarray) -> np.ndarray:
    """Per-stroke ``u_min, u_max, v_min, v_max`` of contiguous strokes starting at `st`."""
    out = np.empty((st.size, 4))
    out[:, 0] = np.minimum.reduceat(u, st)
    out[:, 1] = np.maximum.reduceat(u, st)
    out[:, 2] = np.minimum.reduceat(v, st)
    out[:, 3] = np.maximum.reduceat(v, st)
    return out


def _analyse(x: np.ndarray, y: np.ndarray, st: np.ndarray, sp: np.ndarray, angle: float,
             par: np.ndarray | None = None) -> dict:
    """Extrema and zones of contiguous strokes ``x[st[i]:sp[i]]`` (every sample pen-down).

    `par` orders the samples along the pen's motion (default the sample index: evenly
    spaced in time for a recording, in length for a traced path) for the refinement of
    cusps (:func:`_refine_cusps`).
    """
    u, v = frame_coords(x, y, angle_deg=angle)
    box = _boxes(u, v, st)
    ext = box[:, 3] - box[:, 2]
    if not np.isfinite(ext).any() or np.nanmax(ext) <= 0:
        return {"ok": False}
    # tiny strokes (dots, flat cross-bars) are left out relative to the *typical* stroke
    # height, not the tallest: one big ascender must not drop every small letter
    fin = np.isfinite(ext)
    typical = float(_median(ext[fin & (ext >= 0.1 * np.max(ext[fin]))]))
    use = fin & (ext >= 0.3 * typical)
    scale = float(_median(ext[use]))
    idx, kind = _extrema(u, v, st, sp, use, PROMINENCE * scale)
    stroke = np.searchsorted(st, idx, side="right") - 1
    eu = u[idx]
    ev = _refine_cusps(v, np.arange(v.size, dtype=np.float64) if par is None else par, st, sp, idx, kind, stroke)
    base, xh = _zones(ev[kind < 0], ev[kind > 0], scale)
    zone = np.full(idx.size, 9, dtype=np.intp)
    if np.isfinite(xh):
        zone[(kind < 0) & (np.abs(ev - base) < 0.3 * xh)] = 0
        zone[(kind > 0) & (np.abs(ev - base - xh) < 0.3 * xh)] = 1
        zone[(kind > 0) & (ev - base > 1.4 * xh) & (ev - base < 5.0 * xh)] = 2
        zone[(kind < 0) & (base - ev > 0.4 * xh) & (base - ev < 4.0 * xh)] = -1
    return {"ok": np.isfinite(xh), "u": eu, "v": ev, "kind": kind, "stroke": stroke, "zone": zone,
            "base": base, "xh": xh}


def _tempo_cutoff(ink_mm: float, time_s: float, x_height: float) -> float:
    """Low-pass cut-off (Hz) for the slant: the first of :data:`SLANT_CUTOFFS_HZ` at or above
    ``SLANT_TEMPO_FACTOR`` x tempo (tempo = pen-down ink length / pen-down time / x-height).

    Few fixed cut-offs, so that the filtered trace is shared: 12 Hz is the kinematics
    family's own trace.
    """
    if not (x_height > 0 and time_s > 0):
        return SLANT_CUTOFF_HZ
    f = SLANT_TEMPO_FACTOR * ink_mm / time_s / x_height
    for c in SLANT_CUTOFFS_HZ:
        if f <= c:
            return c
    return SLANT_CUTOFFS_HZ[-1]


def _stroke_ink(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """Per pen-down stroke: ink length (mm) and duration (s)."""
    st, sp = rec.stroke_bounds()
    if st.size == 0:
        return np.empty(0), np.empty(0)
    step = np.hypot(np.diff(rec.x), np.diff(rec.y))
    inside = np.r_[rec.pen_down[1:] & rec.pen_down[:-1], False]  # steps within a stroke
    cs = np.r_[0.0, np.cumsum(np.where(inside[:-1], step, 0.0))]
    return cs[sp - 1] - cs[st], rec.t[sp - 1] - rec.t[st]


def _slant(rec: Recording, angle: float, *, cutoff_hz: float = SLANT_CUTOFF_HZ) -> float:
    """Slant of the down-strokes of the recording's trace low-passed at `cutoff_hz`."""
    from ..signal import kinematics

    tr = kinematics(rec, cutoff_hz=cutoff_hz)  # cached per recording and cut-off
    if len(tr) < 3:
        return NAN
    return _slant_of(tr.vx, tr.vy, angle)


def _slant_of(vx: np.ndarray, vy: np.ndarray, angle: float) -> float:
    """Slant from the pen-down velocities (mode of the down-stroke directions, see the module docstring)."""
    if vx.size < 3:
        return NAN
    a = math.radians(angle)
    vu = vx * math.cos(a) + vy * math.sin(a)
    vv = -vx * math.sin(a) + vy * math.cos(a)
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


class _LineVelocities:
    """Pen-down velocities of the trace at a cut-off, grouped by text line (computed once per cut-off)."""

    def __init__(self, rec: Recording, lab: np.ndarray) -> None:
        self.rec, self.lab, self.n = rec, lab, int(lab.max()) + 1
        self.by_cutoff: dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def __call__(self, cutoff_hz: float, k: int) -> tuple[np.ndarray, np.ndarray]:
        from ..signal import kinematics

        if cutoff_hz not in self.by_cutoff:
            tr = kinematics(self.rec, cutoff_hz=cutoff_hz)
            ln = self.lab[tr.seg_index][tr.segment_of()] if len(tr) else np.empty(0, dtype=np.intp)
            order = np.argsort(ln, kind="stable")
            self.by_cutoff[cutoff_hz] = (tr.vx[order], tr.vy[order],
                                         np.searchsorted(ln[order], np.arange(self.n + 1)))
        vx, vy, b = self.by_cutoff[cutoff_hz]
        return vx[b[k]:b[k + 1]], vy[b[k]:b[k + 1]]


def _is_text(rec: Recording) -> bool:
    task = str(rec.meta.get("task", "")).lower()
    return task not in NON_TEXT_TASKS and "spiral" not in task


@dataclass(frozen=True)
class Sizing:
    """Zones and letters of some writing: everything the size metrics are read from.

    Computed by :func:`sizing_from_paths` (centre-line paths, e.g. a traced scan) or, for a
    recording, by the online metrics (:func:`x_height`, ...) through the same estimator.

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
        """Ascender height above the baseline, mm (see :func:`ascender_height`)."""
        return self.layout.ascender

    @property
    def descender_height(self) -> float:
        """Descender depth below the baseline, mm (see :func:`descender_height`)."""
        return self.layout.descender

    @property
    def size_cv(self) -> float:
        """Coefficient of variation of the letters' x-zone heights (see :func:`size_cv`)."""
        return letter_size_cv(self.letter_heights) if self.layout.ok else NAN

    @property
    def baseline_deviation(self) -> float:
        """RMS residual of the letters' baselines about a straight line, mm (see :func:`baseline_deviation`)."""
        return letter_baseline_deviation(self.letter_offsets, self.letter_u) if self.layout.ok else NAN


def _median_of(values: Any) -> float:
    v = np.asarray(list(values), dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(_median(v)) if v.size else NAN


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
        """Assemble the page from its lines' sizings and stroke indices."""
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


def _geometry(x: np.ndarray, y: np.ndarray, st: np.ndarray, sp: np.ndarray, *, slant: Any,
              letters: Any = None, angle_deg: float | None = None,
              ext_xy: tuple[np.ndarray, np.ndarray] | None = None) -> Sizing:
    """The one size estimator: contiguous pen-down strokes ``[st[i], sp[i])`` -> :class:`Sizing`.

    `slant` is degrees or a function of the baseline angle and the x-height; `letters` a
    label per stroke, a function of the :class:`Layout`, or None (ink components of the
    strokes); `ext_xy` optional coordinates the extrema are read from (the trace without a
    tremor). Cusps are refined along the sample index (:func:`_refine_cusps`), the same
    for a recording's strokes and for paths without timing.
    """
    if st.size == 0 or x.size < 3:
        return Sizing()
    angle = _pca_angle(x, y) if angle_deg is None else float(angle_deg)
    xe, ye = (x, y) if ext_xy is None else ext_xy
    res = _analyse(xe, ye, st, sp, angle)
    if not res["ok"]:
        return Sizing()
    base_sel = res["zone"] == 0
    if angle_deg is None and np.count_nonzero(base_sel) >= 3 and np.ptp(res["u"][base_sel]) > 3.0 * res["xh"]:
        slope = _theil_sen_slope(res["u"][base_sel], res["v"][base_sel])
        if np.isfinite(slope):
            angle += math.degrees(math.atan(slope))
            res2 = _analyse(xe, ye, st, sp, angle)
            if res2["ok"]:
                res = res2
    z = res["zone"]
    ev = res["v"]
    base, xh = res["base"], res["xh"]
    asc = float(_median(ev[z == 2]) - base) if np.any(z == 2) else NAN
    desc = float(base - _median(ev[z == -1])) if np.any(z == -1) else NAN
    sl = float(slant(angle, xh)) if callable(slant) else float(slant)
    lay = Layout(angle, base, xh, asc, desc, sl, res["u"], ev, res["kind"], res["stroke"], z)
    slx = sl if np.isfinite(sl) else 0.0
    u, v = frame_coords(x, y, angle_deg=angle, slant_deg=slx)
    box = _boxes(u, v, st)
    if callable(letters):
        comp = np.asarray(letters(lay), dtype=np.intp)
    elif letters is None:
        comp = _components(box, xh)
    else:
        comp = _renumber(np.asarray(letters, dtype=np.intp), box)
    if comp.shape != (st.size,):
        raise ParameterError(f"letters: expected one label per stroke ({st.size}), got shape {comp.shape}")
    h, off, cu = _zones_of_components(lay, comp, box)
    return Sizing(lay, comp, h, off, cu)


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


def _components(box: np.ndarray, xh: float, small_xh: float = 0.4) -> np.ndarray:
    """Strokes whose de-slanted extents overlap, small groups (dots) joined to the nearest big one.

    The rule of :func:`penmotor.segment.components`, on stroke boxes.
    """
    n = box.shape[0]
    order = np.argsort(box[:, 0], kind="stable")
    reach = np.maximum.accumulate(box[order, 1])
    new = np.r_[True, box[order, 0][1:] > reach[:-1]]
    lab = np.empty(n, dtype=np.intp)
    lab[order] = np.cumsum(new) - 1
    m = int(lab.max()) + 1
    g = np.empty((m, 4))
    for j, f in enumerate((np.minimum, np.maximum, np.minimum, np.maximum)):
        g[:, j] = np.inf if j % 2 == 0 else -np.inf
        f.at(g[:, j], lab, box[:, j])
    small = ((g[:, 1] - g[:, 0]) < small_xh * xh) & ((g[:, 3] - g[:, 2]) < small_xh * xh)
    if small.any() and (~small).any():
        big = np.flatnonzero(~small)
        target = np.arange(m)
        for c in np.flatnonzero(small):  # loop over diacritics, not samples
            mid = 0.5 * (g[c, 0] + g[c, 1])
            dist = np.maximum(0.0, np.maximum(g[big, 0] - mid, mid - g[big, 1]))
            target[c] = big[int(np.argmin(dist))]
        lab = target[lab]
    return _renumber(lab, box)


def _as_strokes(paths: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Concatenated x, y, stroke starts/stops of (n_i, 2) paths, and the indices of the non-empty ones."""
    ps = [np.asarray(p, dtype=np.float64).reshape(-1, 2) for p in paths]
    sizes = np.array([len(p) for p in ps], dtype=np.intp)
    keep = np.flatnonzero(sizes)
    if not keep.size:
        return np.empty(0), np.empty(0), np.empty(0, np.intp), np.empty(0, np.intp), keep
    xy = np.concatenate(ps)  # the empty paths add nothing
    n = sizes[keep]
    sp = np.cumsum(n)
    return xy[:, 0], xy[:, 1], sp - n, sp, keep


def sizing_from_paths(paths: Any, *, slant_deg: float, letters: Any = None,
                      angle_deg: float | None = None) -> Sizing:
    """Zones, letters and sizes of pen centre-line paths (geometry only: no timing needed).

    The estimator behind the online :func:`x_height`, :func:`ascender_height`,
    :func:`descender_height`, :func:`size_cv` and :func:`baseline_deviation` (which pass
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
    x, y, st, sp, keep = _as_strokes(paths)
    n_paths = len(paths)
    if letters is not None:
        if len(letters) != n_paths:
            raise ParameterError(f"letters: expected one label per path ({n_paths}), got {len(letters)}")
        letters = np.asarray(letters)[keep]
    return _geometry(x, y, st, sp, slant=slant_deg, letters=letters, angle_deg=angle_deg)


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


def _sizing(rec: Recording) -> Sizing:
    """The :class:`Sizing` of a recording (cached): its pen-down strokes through :func:`_geometry`."""
    return rec.cached("sizing.sizing", lambda: _rec_sizing(rec))


def stroke_lines(rec: Recording) -> np.ndarray:
    """Text line of every pen-down stroke (:func:`penmotor.segment.lines`; cached), top line 0.

    Empty for a non-text task or a recording without ink.

    Examples
    --------
    >>> from penmotor.synth_pages import page
    >>> int(stroke_lines(page(n_lines=8, seed=2)).max()) + 1
    8
    """
    def compute() -> np.ndarray:
        if len(rec) < 3 or not _is_text(rec) or rec.n_strokes == 0:
            return np.empty(0, dtype=np.intp)
        return lines(rec)

    return rec.cached("sizing.lines", compute)


def line_sizings(rec: Recording) -> list[Sizing]:
    """The :class:`Sizing` of every text line, top line first (one for a one-line recording).

    Every line is measured on its own by the one estimator (its own frame, zones, letters
    and slant, with the recording's tremor line taken out); the metrics of this family
    are the medians over lines (:class:`PageSizing`).

    Examples
    --------
    >>> from penmotor.synth_pages import page
    >>> pg = page(n_lines=6, seed=0)
    >>> xs = [s.x_height for s in line_sizings(pg)]
    >>> truth = [ln["x_height"] for ln in pg.meta["lines"]]
    >>> bool(np.allclose(xs, truth, rtol=0.03))
    True
    """
    s = _sizing(rec)
    return list(s.lines) if isinstance(s, PageSizing) else [s]


def _line_slices(rec: Recording, lab: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pen-down sample indices grouped by line, and per line the start of its strokes in them.

    Returns ``idx`` (samples, line by line, strokes in writing order within a line),
    ``order`` (stroke indices in that order), ``st2`` (start of each stroke in ``idx``)
    and ``first`` (index into ``order`` of each line's first stroke, plus the total).
    """
    st, sp = rec.stroke_bounds()
    order = np.argsort(lab, kind="stable")
    n = (sp - st)[order]
    st2 = np.r_[0, np.cumsum(n)[:-1]].astype(np.intp)
    idx = np.arange(int(n.sum())) + np.repeat(st[order] - st2, n)
    first = np.searchsorted(lab[order], np.arange(int(lab.max()) + 2))
    return idx, order, st2, first


def _rec_sizing(rec: Recording) -> Sizing:
    """One line: the recording through the estimator; several: each line on its own (:class:`PageSizing`)."""
    lab = stroke_lines(rec)
    if lab.size == 0 or lab.max() == 0:
        return _one_line_sizing(rec)
    idx, order, st2, first = _line_slices(rec, lab)
    x, y = rec.x[idx], rec.y[idx]
    line = _tremor_line(rec)
    ex, ey = (x, y) if line is None else (x - line[0][idx], y - line[1][idx])
    L = first.size - 1
    ink, dur = _stroke_ink(rec)
    ink_l = np.bincount(lab, weights=ink, minlength=L)
    dur_l = np.bincount(lab, weights=dur, minlength=L)
    vel = _LineVelocities(rec, lab)

    def slant(k: int) -> Any:
        # the low-pass follows the line's tempo unless a tremor line was found (see _one_line_sizing)
        def f(ang: float, xh: float) -> float:
            cut = SLANT_CUTOFF_HZ if line is not None else _tempo_cutoff(ink_l[k], dur_l[k], xh)
            return _slant_of(*vel(cut, k), ang)
        return f

    sizings = []
    total = idx.size
    for k in range(L):  # loop over lines
        a, b = first[k], first[k + 1]
        s0 = st2[a]
        s1 = st2[b] if b < st2.size else total
        st_k = st2[a:b] - s0
        sp_k = np.r_[st_k[1:], s1 - s0]
        sizings.append(_geometry(x[s0:s1], y[s0:s1], st_k, sp_k, slant=slant(k),
                                 ext_xy=None if line is None else (ex[s0:s1], ey[s0:s1])))
    return PageSizing.of(sizings, [order[first[k]:first[k + 1]] for k in range(first.size - 1)], lab.size)


def _one_line_sizing(rec: Recording) -> Sizing:
    if len(rec) < 3 or not _is_text(rec):
        return Sizing()
    st, sp = rec.stroke_bounds()
    if st.size == 0:
        return Sizing()
    n = sp - st
    idx = np.arange(int(n.sum())) + np.repeat(st - np.r_[0, np.cumsum(n)[:-1]], n)  # pen-down samples
    st2 = np.r_[0, np.cumsum(n)[:-1]].astype(np.intp)
    sp2 = np.cumsum(n).astype(np.intp)
    x, y = rec.x[idx], rec.y[idx]
    # extrema of a trace with the tremor taken out: a tremor moves every maximum up and
    # every minimum down by about its vertical amplitude (+8 % x-height at 0.35 mm)
    line = _tremor_line(rec)
    ext_xy = None if line is None else (x - line[0][idx], y - line[1][idx])

    def letters(lay: Layout) -> np.ndarray:
        sl = lay.slant_deg if np.isfinite(lay.slant_deg) else 0.0
        return components(rec, x_height_mm=lay.x_height, angle_deg=lay.angle_deg, slant_deg=sl)

    # the low-pass follows the tempo unless a tremor line was found (its velocity would tilt
    # the down-strokes: then 5 Hz, as the tremor is what the low-pass is for)
    ink, dur = _stroke_ink(rec)
    return _geometry(x, y, st2, sp2, slant=lambda a, xh: _slant(
        rec, a, cutoff_hz=SLANT_CUTOFF_HZ if line is not None else _tempo_cutoff(float(ink.sum()), float(dur.sum()), xh)),
                     letters=letters, ext_xy=ext_xy)


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
    return _sizing(rec).layout


def letter_components(rec: Recording) -> np.ndarray:
    """Component (letter) index of every pen-down stroke, in the writing frame of :func:`layout`.

    Empty when the layout is undefined.

    Examples
    --------
    >>> from penmotor import synth
    >>> letter_components(synth.handwriting("hi", seed=0)).tolist()
    [0, 1, 1]
    """
    return _sizing(rec).letters


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


def _component_zones(rec: Recording, lay: Layout | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per component: x-zone height, baseline offset, centre u (NaN where undefined); cached."""
    s = _sizing(rec)
    return s.letter_heights, s.letter_offsets, s.letter_u


def _zones_of_components(lay: Layout, comp: np.ndarray, box: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    # maxima above the letter's own baseline; the x-zone of a letter is its *lowest*
    # cluster of significant maxima (an h, b, k or d also reaches its ascender: a
    # window around the global x-height took both when letters vary in size)
    hmax = lay.ext_v - bc[ec]
    isx = ~is_min
    # cross-bars (t, f: flat strokes, left out of the extrema) lie on the letter's
    # midline: their level counts as an x-zone maximum of their letter
    bw, bh = box[:, 1] - box[:, 0], box[:, 3] - box[:, 2]
    bar = (bw >= BAR_MIN_XH * xh) & (bw <= 1.5 * xh) & (bh < BAR_FLATNESS * bw)
    ecb = np.concatenate((ec, comp[bar]))
    hmax = np.concatenate((hmax, 0.5 * (box[bar, 2] + box[bar, 3]) - bc[comp[bar]]))
    isx = np.concatenate((isx, np.ones(int(bar.sum()), dtype=bool)))
    ec = ecb
    # a letter showing one cluster of maxima is either an x-zone letter or one showing
    # only its ascender: t and f are read from their bars (above), a stick l from its
    # shape (below), anything else above LETTER_MAX_XH x-heights is left out
    max_xh = LETTER_MAX_XH
    cand = isx & np.isfinite(hmax) & (hmax >= LETTER_MIN_XH * xh)
    m0 = np.full(m, np.inf)
    np.minimum.at(m0, ec[cand], hmax[cand])
    sel = cand & (hmax <= LETTER_CLUSTER * m0[ec])
    low = _group_median(ec[sel], hmax[sel], m)  # each letter's lowest cluster of maxima
    # an l: its strokes are narrow (de-slanted width below a fifth of its height) and it
    # has neither an i-dot nor a cross-bar: it shows only its ascender
    wide = np.full(m, -np.inf)
    np.maximum.at(wide, comp, np.where(bh >= 0.3 * xh, bw, -np.inf))
    extra = np.zeros(m, dtype=bool)
    extra[comp[bar | ((bw < 0.4 * xh) & (bh < 0.4 * xh))]] = True
    low[~extra & (wide < 0.2 * low)] = NAN
    fin = np.isfinite(low)
    if not fin.any():
        return low, offs, cu
    # the reference x-height starts from the median letter (most letters have no
    # ascender) and is refined from the letters read as x-zone letters
    ref = float(_median(low[fin]))
    for _ in range(3):
        xz = fin & (low <= max_xh * ref)
        if np.count_nonzero(xz) < 3:
            break
        ref = _robust_mean(low[xz])
    heights = np.where(fin & (low <= max_xh * ref), low, NAN)
    return heights, offs, cu


def _robust_mean(h: np.ndarray) -> float:
    """Mean of the values after trimming `TRIM` of them at each end (at least one value kept)."""
    h = np.sort(h)
    k = int(TRIM * h.size)
    return float(np.mean(h[k : h.size - k])) if h.size - 2 * k > 0 else float(_median(h))


def letter_size_cv(heights: Any) -> float:
    """Size CV of letters' x-zone heights: SD/mean (ddof=1) after dropping gross outliers.

    Heights more than :data:`OUTLIER_SD` robust SDs from the median are left out (with at
    least five letters); NaN heights are ignored; NaN with fewer than three letters.
    Used by :func:`size_cv` and by the scan's page metrics.

    Examples
    --------
    >>> round(letter_size_cv([3.0, 3.3, 2.7, 3.0, 9.0]), 3)
    0.082
    """
    h = np.asarray(heights, dtype=np.float64)
    h = h[np.isfinite(h)]
    if h.size >= 5:  # drop gross outliers (a small t or l whose ascender passed for an x-zone)
        med = float(_median(h))
        mad = 1.4826 * float(_median(np.abs(h - med)))
        if mad > 0:
            h = h[np.abs(h - med) <= OUTLIER_SD * mad]
    if h.size < 3 or h.mean() <= 0:
        return NAN
    return float(np.std(h, ddof=1) / np.mean(h))


def _baseline_residuals(offsets: Any, u: Any) -> np.ndarray:
    """Letters' baseline offsets minus their least-squares line (empty with fewer than 3 letters)."""
    off, cu = np.asarray(offsets, dtype=np.float64), np.asarray(u, dtype=np.float64)
    ok = np.isfinite(off) & np.isfinite(cu)
    if np.count_nonzero(ok) < 3:
        return np.empty(0)
    coef = np.polyfit(cu[ok], off[ok], 1)
    return off[ok] - np.polyval(coef, cu[ok])


def letter_baseline_deviation(offsets: Any, u: Any) -> float:
    """RMS residual (mm) of letters' baseline offsets about their least-squares straight line.

    NaN with fewer than three letters. Used by :func:`baseline_deviation` and by the scan.

    Examples
    --------
    >>> round(letter_baseline_deviation([0.0, 0.2, -0.2, 0.2, -0.2, 0.0], np.arange(6.0)), 3)
    0.159
    """
    r = _baseline_residuals(offsets, u)
    return float(np.sqrt(np.mean(r ** 2))) if r.size else NAN


@metric(unit="mm", better=None, scan=True)
def x_height(rec: Recording) -> float:
    """Height of x-height letters: distance from the baseline to the midline, mm.

    The 10 %-trimmed mean of the letters' x-zone heights (see :func:`size_cv`), each
    from the letter's own baseline, so that letters sitting off the baseline do not
    widen it and letters of varying size are averaged rather than their extremes
    followed; with fewer than three such letters, the distance between the fitted
    baseline and midline (:func:`layout`). (Before: the median of the maxima within half
    an x-height of a global midline also took the ascenders of small h, k, b, d, and a
    stroke-height cut at 30 % of the tallest stroke dropped small letters: +10-20 % on
    letters of size CV 0.15-0.3.)

    Examples
    --------
    >>> from penmotor import synth
    >>> round(x_height(synth.handwriting("minimum", x_height_mm=3.5, seed=0)), 2)
    3.5
    """
    return _sizing(rec).x_height


@metric(unit="mm", better=None, scan=True)
def ascender_height(rec: Recording) -> float:
    """Height of ascenders (b d f h k l t) above the baseline, mm; NaN without ascenders.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(ascender_height(synth.handwriting("held", x_height_mm=3.0, ascender_mm=6.5, seed=0)), 2)
    6.5
    """
    return _sizing(rec).ascender_height


@metric(unit="mm", better=None, scan=True)
def descender_height(rec: Recording) -> float:
    """Depth of descenders (g j p q y) below the baseline, mm (positive); NaN without descenders.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(descender_height(synth.handwriting("gypsy", x_height_mm=3.0, descender_mm=2.5, seed=0)), 2)
    2.5
    """
    return _sizing(rec).descender_height


@metric(unit="1", better="lower", scan=True)
def size_cv(rec: Recording) -> float:
    """Size consistency: coefficient of variation (SD/mean, ddof=1) of the letters' x-zone heights.

    A letter's x-zone height is the median height of its lowest cluster of significant
    maxima (within 1.3x of the lowest one, at least 0.4 x-heights up) above the median of
    its baseline minima (letters = ink components, see
    :func:`penmotor.segment.components`). A flat stroke (a t or f cross-bar) counts as a
    maximum at its level; a letter of narrow strokes (de-slanted width below a fifth of
    its height) with neither a dot nor a bar (an l), or whose lowest maximum is above
    1.8 x-heights, shows only an ascender and has no x-zone height. Heights more than 4 robust SDs from
    the median are left out. Needs at least three letters.

    Examples
    --------
    >>> from penmotor import synth
    >>> even = size_cv(synth.handwriting("sun moon rain", seed=0))
    >>> uneven = size_cv(synth.handwriting("sun moon rain", size_cv=0.2, seed=0))
    >>> bool(even < 0.01 < uneven)
    True
    """
    return _sizing(rec).size_cv


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
    return _sizing(rec).baseline_deviation


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
