"""Letter size and alignment of a recording: x-height, ascenders, descenders, size CV, baseline, slant.

The geometry (writing frame, stroke extrema, zones, letters) is the one letter-size
estimator of :mod:`penmotor.letters`, shared with the scanned-worksheet pipeline. This
family feeds it a recording's pen-down strokes and adds what only a pen recording has:

* **Tremor line removal.** When :mod:`penmotor.metrics.tremor` finds a clear tremor line
  in the writing, the extrema are taken on the trace with that line (``f0 +- 0.5 Hz``, by
  complex demodulation) subtracted: a tremor of amplitude ``A`` otherwise lifts every
  maximum and lowers every minimum by up to its vertical part (+8 % x-height for 0.35 mm
  on 4.5 mm letters). A tremor too weak to be found (below ~0.2 mm in handwriting) stays
  in and may inflate the x-height by up to ``2 A / x_height``.
* **Letters** are the ink components of the strokes (:func:`penmotor.segment.components`)
  in the fitted writing frame (:func:`letter_components`).
* **Slant** is the mode of the direction of the down-strokes: for each uniformly
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
  The low-pass follows the writing's tempo (pen-down speed / x-height): 5 Hz up to a
  tempo of 5 per second (15 mm/s on 3 mm letters), 24 Hz beyond, so that the
  down-strokes of fast or small writing are not smoothed away (at 5 Hz, 3 mm
  constant-speed cursive read -1.5 degrees at 10 mm/s and -35 degrees at 60 mm/s; now
  within 1.2 degrees from 10 to 60 mm/s). When a tremor line is found, the low-pass
  stays at 5 Hz. The price: a tremor too weak for the line search in writing faster
  than that tempo tilts the slant more than before (0.3 mm at 6 Hz in 25 mm/s, 3 mm
  writing: 1-3.5 degrees, was below 1).
* **Pages.** The strokes are split into text lines (:func:`stroke_lines`,
  :func:`penmotor.segment.lines`) and every line is measured on its own, in its own frame
  (:func:`line_sizings`, through :func:`penmotor.letters.sizings_from_lines`: the lines'
  extrema are searched in one call, the values equal those of each line alone); the metrics
  are the medians over lines (:class:`PageSizing`).
  A one-line recording is measured as before.

Metrics return NaN when undefined: no pen-down ink, no extrema, a non-text task
(:func:`penmotor.tasks.task_kind` is not ``"text"``: a spiral or drawing label, or unlabelled
spiral-like ink), fewer than three letters for the variability measures.
"""

from __future__ import annotations

import math

import numpy as np

from .. import signal as psig
from .._stats import hypot, median
from ..letters import (
    Layout,
    PageSizing,
    Sizing,
    layout_from_paths,
    letter_baseline_deviation,
    letter_size_cv,
    sizing_from_paths,
    sizing_from_strokes,
    sizings_from_lines,
    x_height_from_paths,
)
from ..recording import Recording
from ..registry import declare_family, metric
from ..segment import frame_coords_lines, lines
from ..tasks import NON_TEXT_TASKS, task_kind
from . import tremor as trm
from .geometry import stroke_extents

__all__ = [
    "letter_sizing",
    "line_sizings",
    "stroke_lines",
    "layout",
    "letter_components",
    "x_height",
    "ascender_height",
    "descender_height",
    "size_cv",
    "baseline_deviation",
    "baseline_angle",
    "slant",
    # the estimator lives in penmotor.letters; these names are re-exported from there
    "Layout",
    "Sizing",
    "PageSizing",
    "sizing_from_paths",
    "x_height_from_paths",
    "layout_from_paths",
    "letter_size_cv",
    "letter_baseline_deviation",
    "NON_TEXT_TASKS",
]

NAN = float("nan")

declare_family("sizing", kinds=["text"])  # letter sizes and slant exist on text only
#: Low-pass cut-off (Hz) of the trajectory whose down-stroke directions give the slant
#: mode: low enough that a tremor's velocity does not tilt the down-strokes.
SLANT_CUTOFF_HZ = 5.0
#: Half-width (degrees) of the window around the direction mode whose weighted mean is the slant.
SLANT_WINDOW_DEG = 12.0
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
#: The slant's low-pass follows the writing tempo (pen-down speed / x-height, 1/s): its cut-off
#: is the first of SLANT_CUTOFFS_HZ at or above this many times the tempo, so that the
#: down-strokes of fast or small writing are not smoothed away.
SLANT_TEMPO_FACTOR = 1.0
#: The cut-offs the slant's low-pass chooses from (Hz; the first is SLANT_CUTOFF_HZ): few, so that
#: the filtered trace is shared by the lines of a page.
SLANT_CUTOFFS_HZ = (5.0, 24.0)


def _tremor_line(rec: Recording) -> tuple[np.ndarray, np.ndarray] | None:
    """x and y displacement of the tremor line found by :mod:`.tremor`, at the samples; None without one.

    The residual of the continuous sampling runs (x, y minus their 2 Hz low-pass, as in
    :func:`penmotor.metrics.tremor.tremor_spectrum`) is demodulated at the tremor
    frequency ``f0``, low-passed at ``TREMOR_LINE_HZ`` and remodulated: the band ``f0 +-
    ~0.5 Hz`` of the pen-tip displacement, i.e. the tremor, with its slowly varying
    amplitude and phase.
    """
    f0 = trm.tremor_frequency(rec, mode="handwriting")  # sizing only ever sees writing
    # only a clearly narrow line is taken out: removing the band of a false line (the
    # rhythm of small fast writing) would bend the letters themselves
    if not np.isfinite(f0) or (trm.line_concentration(trm.tremor_spectrum(rec, segment_s=trm.FINE_SEGMENT_S), f0)
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


def _tempo_cutoff(ink_mm: float, time_s: float, x_height: float) -> float:
    """Low-pass cut-off (Hz) for the slant: the first of :data:`SLANT_CUTOFFS_HZ` at or above
    ``SLANT_TEMPO_FACTOR`` x tempo (tempo = pen-down ink length / pen-down time / x-height).

    Few fixed cut-offs, so that the filtered trace is shared by the lines of a page.
    """
    if not (x_height > 0 and time_s > 0):
        return SLANT_CUTOFF_HZ
    f = SLANT_TEMPO_FACTOR * ink_mm / time_s / x_height
    for c in SLANT_CUTOFFS_HZ:
        if f <= c:
            return c
    return SLANT_CUTOFFS_HZ[-1]


def _stroke_ink(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """Per pen-down stroke: ink length (mm, :func:`~penmotor.metrics.geometry.stroke_extents`) and duration (s)."""
    st, sp = rec.stroke_bounds()
    if st.size == 0:
        return np.empty(0), np.empty(0)
    return stroke_extents(rec)[0], rec.t[sp - 1] - rec.t[st]


def _slant(rec: Recording, angle: float, *, cutoff_hz: float = SLANT_CUTOFF_HZ) -> float:
    """Slant of the down-strokes of the recording's trace low-passed at `cutoff_hz`."""
    from ..signal import velocity

    tr = velocity(rec, cutoff_hz=cutoff_hz)  # cached per recording and cut-off (no acc./jerk)
    if len(tr) < 3:
        return NAN
    return _slant_of(tr.vx, tr.vy, angle)


#: Bin edges (degrees) of the histogram of down-stroke directions, and its smoothing kernel.
_SLANT_EDGES = np.arange(-60.0, 60.0 + 0.25, 0.25)
_SLANT_KERNEL = np.exp(-0.5 * ((np.arange(-24, 25) * 0.25) / 1.5) ** 2)


def _slant_of(vx: np.ndarray, vy: np.ndarray, angle: float) -> float:
    """Slant from the pen-down velocities (mode of the down-stroke directions, see the module docstring)."""
    return float(_slants_of(vx, vy, np.array([0, vx.size]), np.array([angle], dtype=np.float64))[0])


def _slants_of(vx: np.ndarray, vy: np.ndarray, bounds: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """:func:`_slant_of` of every line at once: line ``k`` is ``vx[bounds[k]:bounds[k + 1]]``, baseline ``angles[k]``.

    Whole-page arrays, no loop over samples or lines: each line's direction histogram is a
    row of one 2-D histogram (a ``bincount`` over line and bin, as ``np.histogram``
    counts), smoothed row by row in one convolution of the rows laid end to end with
    zeros between them.
    """
    L = angles.size
    out = np.full(L, NAN)
    n = np.diff(bounds)
    if L == 0 or vx.size == 0:
        return out
    ln = np.repeat(np.arange(L), n)
    vu, vv = frame_coords_lines(vx, vy, n, angles)  # velocities in each line's frame
    speed = hypot(vu, vv)
    med = np.full(L, NAN)
    for k in np.flatnonzero(n):  # loop over lines: np.nanmedian of each line's speeds
        sk = speed[bounds[k]:bounds[k + 1]]
        num = sk[~np.isnan(sk)]
        if num.size:
            med[k] = median(num)
    ok = np.isfinite(speed) & (vv < 0) & (-vv > 0.5 * speed) & (speed > 0.1 * np.repeat(med, n))
    lo = ln[ok]
    cnt = np.bincount(lo, minlength=L)
    use = (n >= 3) & (cnt >= 5)
    if not use.any():
        return out
    ang = np.degrees(np.arctan(vu[ok] / vv[ok]))
    w = -vv[ok]
    edges = _SLANT_EDGES
    nb = edges.size - 1
    # bins of np.histogram (uniform bins: index from the position, then corrected against
    # the edges); values outside the edges are left out
    inside = (ang >= edges[0]) & (ang <= edges[-1])
    a_in = ang[inside]
    b = ((a_in - edges[0]) * (nb / (edges[-1] - edges[0]))).astype(np.intp)
    b[b == nb] -= 1
    b[a_in < edges[b]] -= 1
    b[(a_in >= edges[b + 1]) & (b != nb - 1)] += 1
    hist = np.bincount(lo[inside] * nb + b, weights=w[inside], minlength=L * nb).reshape(L, nb)
    h = _SLANT_KERNEL.size // 2
    rows = np.zeros((L, nb + 2 * h))
    rows[:, h:h + nb] = hist
    sm = np.convolve(rows.ravel(), _SLANT_KERNEL, mode="same").reshape(L, nb + 2 * h)[:, h:h + nb]
    top = np.argmax(sm, axis=1)
    peak = 0.5 * (edges[top] + edges[top + 1])
    near = np.abs(ang - peak[lo]) <= SLANT_WINDOW_DEG
    num = np.bincount(lo[near], weights=ang[near] * w[near], minlength=L)
    den = np.bincount(lo[near], weights=w[near], minlength=L)
    has = np.bincount(lo[near], minlength=L) > 0
    out[use] = np.where(has, num / np.where(has, den, 1.0), peak)[use]
    return out


class _LineVelocities:
    """Pen-down velocities of the trace at a cut-off, grouped by text line (computed once per cut-off)."""

    def __init__(self, rec: Recording, lab: np.ndarray) -> None:
        self.rec, self.lab, self.n = rec, lab, int(lab.max()) + 1
        self.by_cutoff: dict[float, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def __call__(self, cutoff_hz: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``vx, vy`` sorted by line (writing order within a line) and each line's bounds in them."""
        from ..signal import velocity

        if cutoff_hz not in self.by_cutoff:
            tr = velocity(self.rec, cutoff_hz=cutoff_hz)  # the slant reads velocities only
            ln = self.lab[tr.seg_index][tr.segment_of()] if len(tr) else np.empty(0, dtype=np.intp)
            order = np.argsort(ln, kind="stable")
            self.by_cutoff[cutoff_hz] = (tr.vx[order], tr.vy[order],
                                         np.searchsorted(ln[order], np.arange(self.n + 1)))
        return self.by_cutoff[cutoff_hz]

    def slants(self, cutoffs: np.ndarray, lines: np.ndarray, angles: np.ndarray) -> np.ndarray:
        """Slant of each of `lines` (baseline `angles`), its velocities low-passed at its `cutoffs`."""
        out = np.full(lines.size, NAN)
        for cut in np.unique(cutoffs):  # loop over the few cut-offs (SLANT_CUTOFFS_HZ)
            sel = np.flatnonzero(cutoffs == cut)
            vx, vy, b = self(float(cut))
            k = lines[sel]
            n = b[k + 1] - b[k]
            st = np.r_[0, np.cumsum(n)]
            idx = np.arange(int(st[-1])) + np.repeat(b[k] - st[:-1], n)
            out[sel] = _slants_of(vx[idx], vy[idx], st, angles[sel])
        return out


def letter_sizing(rec: Recording) -> Sizing:
    """Zones, letters and sizes of a recording (cached): what every metric of this family reads.

    The recording's pen-down strokes through :func:`penmotor.letters.sizing_from_strokes`,
    with the slant of its down-strokes, its ink components as letters and the extrema read
    on the trace with a clear tremor line taken out.

    Returns
    -------
    Sizing
        All NaN / empty when there is no usable pen-down ink or the task is not text.

    Examples
    --------
    >>> from penmotor import synth
    >>> s = letter_sizing(synth.handwriting("sun moon rain", x_height_mm=3.5, seed=0))
    >>> round(s.x_height, 2), len(s.letter_heights)
    (3.5, 11)
    """
    return rec.cached("sizing.sizing", lambda: _rec_sizing(rec))


def stroke_lines(rec: Recording) -> np.ndarray:
    """Text line of every pen-down stroke (:func:`penmotor.segment.lines`; cached), top line 0.

    Empty for a non-text task or a recording without ink.

    Examples
    --------
    >>> from penmotor.synth import page
    >>> int(stroke_lines(page(n_lines=8, seed=2)).max()) + 1
    8
    """
    def compute() -> np.ndarray:
        if len(rec) < 3 or task_kind(rec) != "text" or rec.n_strokes == 0:
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
    >>> from penmotor.synth import page
    >>> pg = page(n_lines=6, seed=0)
    >>> xs = [s.x_height for s in line_sizings(pg)]
    >>> truth = [ln["x_height"] for ln in pg.meta["lines"]]
    >>> bool(np.allclose(xs, truth, rtol=0.03))
    True
    """
    s = letter_sizing(rec)
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

    def slants(angles: np.ndarray, xhs: np.ndarray, ks: np.ndarray) -> np.ndarray:
        # the low-pass follows each line's tempo unless a tremor line was found (see _one_line_sizing)
        cuts = np.array([SLANT_CUTOFF_HZ if line is not None else _tempo_cutoff(ink_l[k], dur_l[k], xh)
                         for k, xh in zip(ks, xhs)])
        return vel.slants(cuts, ks, angles)

    sizings = sizings_from_lines(x, y, st2, np.r_[st2[1:], idx.size], first, slants=slants,
                                 ext_xy=None if line is None else (ex, ey))
    return PageSizing.of(sizings, [order[first[k]:first[k + 1]] for k in range(first.size - 1)], lab.size)


def _one_line_sizing(rec: Recording) -> Sizing:
    if len(rec) < 3 or task_kind(rec) != "text":
        return Sizing()
    starts, stops = rec.stroke_bounds()
    if starts.size == 0:
        return Sizing()
    n = stops - starts
    idx = np.arange(int(n.sum())) + np.repeat(starts - np.r_[0, np.cumsum(n)[:-1]], n)  # pen-down samples
    st2 = np.r_[0, np.cumsum(n)[:-1]].astype(np.intp)
    sp2 = np.cumsum(n).astype(np.intp)
    x, y = rec.x[idx], rec.y[idx]
    # extrema of a trace with the tremor taken out: a tremor moves every maximum up and
    # every minimum down by about its vertical amplitude (+8 % x-height at 0.35 mm)
    line = _tremor_line(rec)
    ext_xy = None if line is None else (x - line[0][idx], y - line[1][idx])

    # the low-pass follows the tempo unless a tremor line was found (its velocity would tilt
    # the down-strokes: then 5 Hz, as the tremor is what the low-pass is for)
    ink, dur = _stroke_ink(rec)
    ink_mm, time_s = float(ink.sum()), float(dur.sum())

    def slant(angle: float, xh: float) -> float:
        return _slant(rec, angle, cutoff_hz=SLANT_CUTOFF_HZ if line is not None else _tempo_cutoff(ink_mm, time_s, xh))

    # letters: the estimator's own grouping of the strokes' boxes in the de-slanted frame (the
    # rule of penmotor.segment.components, on the boxes it has already computed)
    return sizing_from_strokes(x, y, st2, sp2, slant=slant, ext_xy=ext_xy)


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
    return letter_sizing(rec).layout


def letter_components(rec: Recording) -> np.ndarray:
    """Component (letter) index of every pen-down stroke, in the writing frame of :func:`layout`.

    Empty when the layout is undefined.

    Examples
    --------
    >>> from penmotor import synth
    >>> letter_components(synth.handwriting("hi", seed=0)).tolist()
    [0, 1, 1]
    """
    return letter_sizing(rec).letters


@metric(unit="mm", better=None, scan=True, label='Letter size')
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
    return letter_sizing(rec).x_height


@metric(unit="mm", better=None, scan=True, depends_on_text=True, label='Tall-letter height')
def ascender_height(rec: Recording) -> float:
    """Height of ascenders (b d f h k l t) above the baseline, mm; NaN without ascenders.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(ascender_height(synth.handwriting("held", x_height_mm=3.0, ascender_mm=6.5, seed=0)), 2)
    6.5
    """
    return letter_sizing(rec).ascender_height


@metric(unit="mm", better=None, scan=True, depends_on_text=True, label='Tail depth')
def descender_height(rec: Recording) -> float:
    """Depth of descenders (g j p q y) below the baseline, mm (positive); NaN without descenders.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(descender_height(synth.handwriting("gypsy", x_height_mm=3.0, descender_mm=2.5, seed=0)), 2)
    2.5
    """
    return letter_sizing(rec).descender_height


@metric(unit="1", better="lower", scan=True, label='Letter size consistency')
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
    return letter_sizing(rec).size_cv


@metric(unit="mm", better="lower", scan=True, label='Baseline alignment')
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
    return letter_sizing(rec).baseline_deviation


@metric(unit="deg", better=None, label='Line direction')
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


@metric(unit="deg", better=None, scan=True, label='Slant')
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
