"""Archimedean spiral analysis: centre, unravelled r(theta), tightness, smoothness, deviation.

Method
------
1. **Fit.** The pen-down samples are fitted with ``r = a + b theta`` around a centre
   ``(cx, cy)``: theta is the unwrapped polar angle about the centre and the residual
   ``r - (a + b theta)`` is minimised over the centre by non-linear least squares, with
   ``a`` and ``b`` solved linearly for every trial centre (variable projection). Starts:
   the ink centroid, the first and the last pen-down sample; the best fit wins. A run
   whose centre drifts more than 3 ink spans outside the ink (which then lies within
   ~27 degrees of it: no spiral about that centre) is stopped there, and if it is the
   best fit the ink is not a spiral -- instead of wandering off for all of its 200
   evaluations, as fits of non-spiral ink (letters, words) otherwise do. The fit
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
above 30 % of the mean radius, or a text recording (:func:`penmotor.tasks.task_kind`: a
writing label, or unlabelled ink that is not spiral-like), whose fit is not even tried.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._stats import hypot
from ..recording import Recording
from ..registry import declare_family, metric
from ..tasks import task_kind

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

declare_family("spiral", kinds=["spiral", "drawing"])  # the spiral fit is tried on spirals and drawings, never on text
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


_TWO_PI = 2.0 * math.pi
#: scipy's relative step for ``jac="2-point"`` (``_Model.jac`` reproduces that Jacobian).
_FD_STEP = float(np.finfo(np.float64).eps) ** 0.5
#: A centre this many ink spans outside the ink's bounding box sees all of it within ~27
#: degrees: the ink does not turn about it (see ``_Diverged``).
_FAR_SPANS = 3.0


def _unwrap(th: np.ndarray) -> np.ndarray:
    """``np.unwrap`` along the last axis, for angles from ``arctan2`` (steps beyond +-pi folded by 2 pi)."""
    if th.shape[-1] < 2:
        return th
    d = np.diff(th, axis=-1)
    out = th.copy()
    out[..., 1:] += np.cumsum((d < -math.pi).astype(np.float64) - (d > math.pi), axis=-1) * _TWO_PI
    return out


def _residuals(x: np.ndarray, y: np.ndarray, cx: Any, cy: Any) -> tuple[np.ndarray, Any, Any, np.ndarray]:
    """Radial residuals of ``r = a + b theta`` about centre(s) ``(cx, cy)``, (a, b) fitted linearly.

    `cx`, `cy` are scalars or ``(k, 1)`` columns (k centres at once: rows of the result).
    Returns (residual, a, b, theta) with a, b of shape ``(..., 1)``.
    """
    dx, dy = x - cx, y - cy
    th = _unwrap(np.arctan2(dy, dx))
    r = hypot(dx, dy)
    tm = th.mean(axis=-1, keepdims=True)
    tc = th - tm
    stt = np.einsum("...i,...i->...", tc, tc)[..., None]
    with np.errstate(divide="ignore", invalid="ignore"):
        b = np.einsum("...i,...i->...", tc, r)[..., None] / stt
    a = r.mean(axis=-1, keepdims=True) - b * tm
    bad = ~(stt.reshape(-1) > 0)
    if bad.any():  # a single angle: the minimum-norm solution, as lstsq gives it
        th2, r2, a2, b2 = th.reshape(-1, th.shape[-1]), r.reshape(-1, r.shape[-1]), a.reshape(-1), b.reshape(-1)
        for k in np.flatnonzero(bad):  # loop over centres, not samples
            coef, *_ = np.linalg.lstsq(np.column_stack((np.ones_like(th2[k]), th2[k])), r2[k], rcond=None)
            a2[k], b2[k] = coef
    return r - (a + b * th), a, b, th


def _project(x: np.ndarray, y: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    res, a, b, th = _residuals(x, y, float(c[0]), float(c[1]))
    return res, np.array([float(a[0]), float(b[0])]), th


class _Diverged(Exception):
    """The centre of a fit has left the ink (``cost`` is the fit's cost there)."""

    def __init__(self, cost: float) -> None:
        super().__init__(cost)
        self.cost = cost


class _Model:
    """Residual and Jacobian of the centre fit for ``least_squares(method="lm")``.

    The Jacobian is scipy's default ``jac="2-point"`` forward difference (same steps, same
    formula) without its per-call overhead, reusing the residual at the current centre
    (MINPACK asks for the Jacobian at the point whose residual it has just computed): the
    same iterations as the default, at a fraction of the cost.

    With a `box`, an accepted iterate (MINPACK evaluates the Jacobian there only) whose
    centre lies outside it raises :class:`_Diverged`: a centre more than ``_FAR_SPANS`` ink
    spans away from the ink sees it within ~27 degrees, so a fit that ends there is no
    spiral, and such runs otherwise drift away for all of their ``max_nfev`` evaluations.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, box: tuple[float, float, float, float] | None = None) -> None:
        self.x, self.y = x, y
        self.box = box
        self.c: tuple[float, float] | None = None
        self.f = np.empty(0)
        self.jc: tuple[float, float] | None = None
        self.J = np.empty((0, 2))

    def residual(self, c: np.ndarray) -> np.ndarray:
        if self.c is None or c[0] != self.c[0] or c[1] != self.c[1]:
            self.c = (float(c[0]), float(c[1]))
            self.f = self._residual(self.c[0], self.c[1])
        return self.f

    def _residual(self, cx: float, cy: float) -> np.ndarray:
        """``_residuals(x, y, cx, cy)[0]`` for one centre, with fewer NumPy calls (the hot loop)."""
        dx, dy = self.x - cx, self.y - cy
        th = np.arctan2(dy, dx)
        n = th.size
        if n < 2:
            return _residuals(self.x, self.y, cx, cy)[0]
        d = np.diff(th)
        th[1:] += np.cumsum((d < -math.pi).astype(np.float64) - (d > math.pi)) * _TWO_PI
        r = np.sqrt(dx * dx + dy * dy)  # (hypot is several times slower; no overflow risk in mm)
        tm = th.sum() / n
        tc = th - tm
        stt = float(tc @ tc)
        if not stt > 0:
            return _residuals(self.x, self.y, cx, cy)[0]
        b = float(tc @ r) / stt
        a = float(r.sum()) / n - b * tm
        return r - (a + b * th)

    def check(self, c: np.ndarray, cost: float) -> None:
        """Raise :class:`_Diverged` when centre `c` lies outside the box."""
        if self.box is not None:
            x0, x1, y0, y1 = self.box
            if not (x0 <= c[0] <= x1 and y0 <= c[1] <= y1):
                raise _Diverged(cost)

    def jac(self, c: np.ndarray) -> np.ndarray:
        c = np.asarray(c, dtype=np.float64)
        if self.jc is not None and c[0] == self.jc[0] and c[1] == self.jc[1]:
            return self.J.copy()  # leastsq checks the Jacobian at c0 before MINPACK asks for it
        f0 = self.residual(c)
        self.check(c, 0.5 * float(f0 @ f0))
        h = _FD_STEP * np.where(c >= 0, 1.0, -1.0) * np.maximum(1.0, np.abs(c))
        c1 = c + h
        jac = np.empty((f0.size, 2))
        jac[:, 0] = (self._residual(float(c1[0]), float(c[1])) - f0) / (c1[0] - c[0])
        jac[:, 1] = (self._residual(float(c[0]), float(c1[1])) - f0) / (c1[1] - c[1])
        self.jc, self.J = (float(c[0]), float(c[1])), jac
        return jac.copy()


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
    from scipy.optimize import leastsq

    if task_kind(rec) == "text":
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

    def lm(c0: np.ndarray, model: _Model) -> tuple[np.ndarray, float]:
        # = least_squares(model.residual, c0, jac=model.jac, x_scale=span, method="lm",
        # max_nfev=200): the same MINPACK call (lmder, same tolerances, factor and scaling),
        # without least_squares' per-evaluation wrappers
        f0 = model.residual(c0)
        if not np.all(np.isfinite(f0)):
            raise ValueError("residuals are not finite at the initial point")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # "maxfev reached" is a result here
            c, _, info, _, _ = leastsq(model.residual, np.array(c0, dtype=np.float64), Dfun=model.jac,
                                       full_output=True, ftol=1e-8, xtol=1e-8, gtol=1e-8, maxfev=200,
                                       factor=100.0, diag=np.full(2, 1.0 / span))
        f = info["fvec"]
        cost = 0.5 * float(f @ f)
        model.check(c, cost)
        return c, cost

    far = _FAR_SPANS * span
    box = (float(x.min()) - far, float(x.max()) + far, float(y.min()) - far, float(y.max()) + far)
    best, best_cost, best_far, have = None, math.inf, False, False
    for c0 in (np.array([x.mean(), y.mean()]), np.array([x[0], y[0]]), np.array([x[-1], y[-1]])):
        try:
            sol, cost = lm(c0, _Model(xs, ys, box))
            is_far = False
        except _Diverged as exc:  # drifted away from the ink: it is no spiral if it wins
            sol, cost, is_far = None, exc.cost, True
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover - degenerate geometry
            continue
        if not have or cost < best_cost:
            best, best_cost, best_far, have = sol, cost, is_far, True
    if best is None or best_far:
        return _INVALID
    c = best
    res, (a, b), th = _project(x, y, c)
    # refit without the innermost half loop, where r(theta) is ill-defined (a tremor
    # of the size of the radius moves the pen around the centre)
    rm = hypot(x - c[0], y - c[1])  # radius about the centre; keep one contiguous outer part
    outer = (np.maximum.accumulate(rm) if rm[-1] >= rm[0] else np.maximum.accumulate(rm[::-1])[::-1]) \
        >= math.pi * abs(b)
    if np.count_nonzero(outer) >= 20 and not outer.all():
        x, y = x[outer], y[outer]
        xs, ys = x[::step], y[::step]
        try:
            c = lm(c, _Model(xs, ys, box))[0]
        except _Diverged:  # the refit drifted away from the ink: no spiral about it
            return _INVALID
        except (ValueError, np.linalg.LinAlgError):  # pragma: no cover
            pass
        res, (a, b), th = _project(x, y, c)
    rms = float(np.sqrt(np.mean(res**2)))
    turns = float(np.ptp(th) / (2 * math.pi))
    r = hypot(x - c[0], y - c[1])
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


@metric(unit="mm/rad", better=None, label='Spiral tightness')
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


@metric(unit="mm", better="lower", label='Spiral accuracy')
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


@metric(unit="mm/rad", better="lower", label='Spiral smoothness')
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


@metric(unit="mm/rad^2", better="lower", label='Spiral smoothness (2nd order)')
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


@metric(unit="1/turn", better="lower", label='Spiral wobbles per turn')
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


@metric(unit="1", better="lower", label='Spiral loop evenness')
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
