"""Archimedean spiral analysis: centre, unravelled r(theta), tightness, smoothness, deviation.

Method
------
1. **Fit.** The pen-down samples are fitted with ``r = a + b theta`` around a centre
   ``(cx, cy)``: theta is the unwrapped polar angle about the centre and the residual
   ``r - (a + b theta)`` is minimised over the centre by non-linear least squares, with
   ``a`` and ``b`` solved linearly for every trial centre (variable projection). Starts:
   the ink centroid, the first and the last pen-down sample; the best fit wins. The fit
   is then repeated without the innermost half loop (the samples before the radius first
   exceeds ``pi |b|``, or after it last does for a spiral drawn inwards), where r(theta)
   is ill-defined; all measures use the remaining samples.
2. **Unravel.** theta is made increasing along the drawing direction (``theta * sign(b)``,
   keeping only samples that advance it), and ``r(theta)`` is interpolated onto a
   uniform grid of ``2 pi / 100`` rad (3.6 degrees).
3. **Measures** on that grid:

   * ``spiral_tightness`` = ``|b|``, mm per radian (loop spacing is ``2 pi |b|``);
   * ``spiral_rms_deviation`` = RMS of ``r - (a + b theta)`` over the samples, mm;
   * ``spiral_smoothness_1`` (first-order smoothness) = RMS deviation of ``dr/dtheta``
     from ``|b|``, mm/rad, and ``spiral_smoothness_2`` (second-order) = RMS of
     ``d2r/dtheta2``, mm/rad^2. Reference: Pullman S.L., "Spiral analysis: a new
     technique for measuring tremor with a digitizing tablet", Mov Disord 1998;13 Suppl
     3:85-89, which defines first- and second-order smoothness from the derivatives of
     the unravelled spiral; we use the RMS about the ideal (constant ``b`` and 0), in
     physical units, on the 2 pi/100 grid (derivatives by central differences), so
     values depend on that grid and are comparable only within penmotor. 0 = perfectly
     smooth;
   * ``spiral_zero_crossing_rate`` = sign changes of ``dr/dtheta - |b|`` per turn
     (Pullman's first-order zero crossings, normalised by the number of turns), with a
     0.1 mm/rad dead band against digitiser noise;
   * ``spiral_loop_width_cv`` = SD/mean of the loop width ``r(theta + 2 pi) - r(theta)``.

NaN when the ink does not look like a spiral: fewer than 20 pen-down samples, less
than one turn about the fitted centre (outside the innermost half loop), a radius
growth ``|b| * angle covered`` below half the largest radius (a row of loops such as
PaHaW's "llll" task circles a centre about once without growing), an RMS deviation
above 30 % of the mean radius, or a recording whose ``meta["task"]`` names a text task
(``"sentence"``, ...).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..recording import Recording
from ..registry import metric

__all__ = [
    "SpiralFit",
    "spiral_fit",
    "spiral_tightness",
    "spiral_rms_deviation",
    "spiral_smoothness_1",
    "spiral_smoothness_2",
    "spiral_zero_crossing_rate",
    "spiral_loop_width_cv",
]

NAN = float("nan")
TEXT_TASKS = frozenset({"sentence", "text", "words", "word", "letters", "letter", "syllables", "copy"})
GRID_RAD = 2.0 * math.pi / 100.0


@dataclass(frozen=True)
class SpiralFit:
    """The fitted Archimedean spiral ``r = a + b theta`` about ``(cx, cy)``.

    Attributes
    ----------
    cx, cy : float
        Centre, mm (page coordinates).
    a : float
        Radius at theta = 0, mm.
    b : float
        Signed tightness, mm/rad (negative when drawn clockwise outward).
    rms : float
        RMS radial residual over the samples, mm.
    turns : float
        Unwrapped angle covered by the analysed samples (without the innermost half loop), in turns.
    theta, r : ndarray
        Unravelled spiral on the uniform grid (theta increasing along the drawing).
    residual : ndarray
        Per-sample radial residual, mm.
    valid : bool
        Whether the ink passed the spiral checks (see the module docstring).

    Examples
    --------
    >>> from penmotor import synth
    >>> spiral_fit(synth.handwriting("no spiral", seed=0)).valid
    False
    """

    cx: float
    cy: float
    a: float
    b: float
    rms: float
    turns: float
    theta: np.ndarray
    r: np.ndarray
    residual: np.ndarray
    valid: bool


_INVALID = SpiralFit(NAN, NAN, NAN, NAN, NAN, NAN, np.empty(0), np.empty(0), np.empty(0), False)


def _project(x: np.ndarray, y: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dx, dy = x - c[0], y - c[1]
    th = np.unwrap(np.arctan2(dy, dx))
    r = np.hypot(dx, dy)
    A = np.column_stack((np.ones_like(th), th))
    coef, *_ = np.linalg.lstsq(A, r, rcond=None)
    return r - A @ coef, coef, th


def spiral_fit(rec: Recording) -> SpiralFit:
    """Fit an Archimedean spiral to the pen-down ink (cached per recording).

    Parameters
    ----------
    rec : Recording

    Returns
    -------
    SpiralFit
        ``valid`` is False (and the numbers NaN) when the ink is not a spiral.

    Examples
    --------
    >>> from penmotor import synth
    >>> fit = spiral_fit(synth.spiral(tightness_mm_per_rad=1.5, seed=0))
    >>> round(fit.cx, 1), round(fit.cy, 1), round(abs(fit.b), 2), round(fit.turns, 1)
    (80.0, 80.0, 1.5, 2.5)
    """
    return rec.cached("spiral.fit", lambda: _fit(rec))


def _fit(rec: Recording) -> SpiralFit:
    from scipy.optimize import least_squares

    if str(rec.meta.get("task", "")).lower() in TEXT_TASKS:
        return _INVALID
    down = rec.pen_down
    x, y = rec.x[down], rec.y[down]
    if x.size < 20:
        return _INVALID
    # drop consecutive duplicates (they add nothing and slow the fit)
    keep = np.concatenate(([True], (np.diff(x) != 0) | (np.diff(y) != 0)))
    x, y = x[keep], y[keep]
    if x.size < 20:
        return _INVALID
    span = max(float(np.ptp(x)), float(np.ptp(y)), 1e-9)
    # the centre is fitted on at most ~4000 evenly spaced samples (linear cost for long
    # recordings); the residuals and measures use every sample
    step = max(1, x.size // 4000)
    xs, ys = x[::step], y[::step]
    best = None
    for c0 in (np.array([x.mean(), y.mean()]), np.array([x[0], y[0]]), np.array([x[-1], y[-1]])):
        try:
            sol = least_squares(lambda c: _project(xs, ys, c)[0], c0, x_scale=span, method="lm", max_nfev=200)
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - degenerate geometry
            continue
        if best is None or sol.cost < best.cost:
            best = sol
    if best is None:
        return _INVALID
    c = best.x
    res, (a, b), th = _project(x, y, c)
    # refit without the innermost half loop, where r(theta) is ill-defined (a tremor
    # of the size of the radius moves the pen around the centre)
    rm = np.hypot(x - c[0], y - c[1])  # radius about the centre; keep one contiguous outer part
    outer = (np.maximum.accumulate(rm) if rm[-1] >= rm[0] else np.maximum.accumulate(rm[::-1])[::-1]) \
        >= math.pi * abs(b)
    if np.count_nonzero(outer) >= 20 and not outer.all():
        x, y = x[outer], y[outer]
        xs, ys = x[::step], y[::step]
        try:
            c = least_squares(lambda cc: _project(xs, ys, cc)[0], c, x_scale=span, method="lm", max_nfev=200).x
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover
            pass
        res, (a, b), th = _project(x, y, c)
    rms = float(np.sqrt(np.mean(res**2)))
    turns = float(np.ptp(th) / (2 * math.pi))
    r = np.hypot(x - c[0], y - c[1])
    growth = abs(b) * turns * 2 * math.pi / max(float(np.max(r)), 1e-9)
    valid = bool(turns >= 1.0 and growth >= 0.5 and np.isfinite(rms) and rms <= 0.3 * max(float(np.mean(r)), 1e-9))
    if not valid:
        return _INVALID
    # unravel onto a uniform grid, theta increasing along the drawing direction
    ths = th * np.sign(b)
    adv = ths >= np.maximum.accumulate(ths)
    adv &= np.concatenate(([True], np.diff(np.maximum.accumulate(ths)) > 0))
    tg = np.arange(ths[adv][0], ths[adv][-1], GRID_RAD)
    rg = np.interp(tg, ths[adv], r[adv])
    return SpiralFit(float(c[0]), float(c[1]), float(a), float(b), rms, turns, tg, rg, res, True)


@metric(unit="mm/rad", better=None)
def spiral_tightness(rec: Recording) -> float:
    """Tightness of the fitted Archimedean spiral: radius gained per radian, mm/rad.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(spiral_tightness(synth.spiral(tightness_mm_per_rad=1.2, seed=0)), 2)
    1.2
    """
    fit = spiral_fit(rec)
    return abs(fit.b) if fit.valid else NAN


@metric(unit="mm", better="lower")
def spiral_rms_deviation(rec: Recording) -> float:
    """RMS radial deviation of the ink from the fitted Archimedean spiral, mm.

    Examples
    --------
    >>> from penmotor import synth
    >>> bool(spiral_rms_deviation(synth.spiral(seed=0)) < 0.01)
    True
    """
    fit = spiral_fit(rec)
    return fit.rms if fit.valid else NAN


def _deriv(fit: SpiralFit) -> tuple[np.ndarray, np.ndarray]:
    if fit.r.size < 5:
        return np.empty(0), np.empty(0)
    d1 = np.gradient(fit.r, GRID_RAD)
    d2 = np.gradient(d1, GRID_RAD)
    return d1[1:-1], d2[2:-2]


@metric(unit="mm/rad", better="lower")
def spiral_smoothness_1(rec: Recording) -> float:
    """First-order smoothness: RMS deviation of dr/dtheta of the unravelled spiral from its tightness, mm/rad.

    Examples
    --------
    >>> from penmotor import synth
    >>> smooth = spiral_smoothness_1(synth.spiral(seed=0))
    >>> shaky = spiral_smoothness_1(synth.tremor_spiral(seed=0))
    >>> bool(smooth < 0.1 < shaky)
    True
    """
    fit = spiral_fit(rec)
    d1, _ = _deriv(fit)
    if not fit.valid or d1.size == 0:
        return NAN
    return float(np.sqrt(np.mean((d1 - abs(fit.b)) ** 2)))


@metric(unit="mm/rad^2", better="lower")
def spiral_smoothness_2(rec: Recording) -> float:
    """Second-order smoothness: RMS of d2r/dtheta2 of the unravelled spiral, mm/rad^2.

    Examples
    --------
    >>> from penmotor import synth
    >>> bool(spiral_smoothness_2(synth.spiral(seed=0)) < spiral_smoothness_2(synth.tremor_spiral(seed=0)))
    True
    """
    fit = spiral_fit(rec)
    _, d2 = _deriv(fit)
    if not fit.valid or d2.size == 0:
        return NAN
    return float(np.sqrt(np.mean(d2**2)))


@metric(unit="1/turn", better="lower")
def spiral_zero_crossing_rate(rec: Recording, *, deadband_mm_per_rad: float = 0.1) -> float:
    """Sign changes of (dr/dtheta - tightness) of the unravelled spiral per turn.

    Crossings are counted with hysteresis: the deviation must leave the dead band
    ``+-deadband_mm_per_rad`` on the other side (so digitiser noise does not count).

    Examples
    --------
    >>> from penmotor import synth
    >>> rate = spiral_zero_crossing_rate(synth.tremor_spiral(freq_hz=6.0, seed=0))
    >>> bool(rate > 5)
    True
    """
    fit = spiral_fit(rec)
    d1, _ = _deriv(fit)
    if not fit.valid or d1.size < 2:
        return NAN
    e = d1 - abs(fit.b)
    s = np.where(e > deadband_mm_per_rad, 1, np.where(e < -deadband_mm_per_rad, -1, 0))
    s = s[s != 0]
    turns = (fit.theta[-1] - fit.theta[0]) / (2 * math.pi)
    if turns <= 0:
        return NAN
    if s.size < 2:
        return 0.0
    return float(np.count_nonzero(s[1:] != s[:-1]) / turns)


@metric(unit="1", better="lower")
def spiral_loop_width_cv(rec: Recording) -> float:
    """Loop-width variability: SD/mean of the radial distance between consecutive loops.

    Examples
    --------
    >>> from penmotor import synth
    >>> bool(spiral_loop_width_cv(synth.spiral(seed=0)) < 0.02)
    True
    """
    fit = spiral_fit(rec)
    if not fit.valid:
        return NAN
    k = int(round(2 * math.pi / GRID_RAD))
    if fit.r.size <= k + 1:
        return NAN
    w = fit.r[k:] - fit.r[:-k]
    m = float(np.mean(w))
    return float(np.std(w) / m) if m > 0 else NAN
