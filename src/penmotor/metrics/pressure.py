"""Pressure and pen-tilt metrics (on-surface samples only).

Pressure is the normalised 0..1 channel of :class:`~penmotor.Recording` (1 = the
device maximum). Tilt is the angle of the pen axis from vertical, combined from
``tilt_x`` and ``tilt_y`` (``tan^2 = tan^2 tilt_x + tan^2 tilt_y``); azimuth is the
direction the pen leans to in the page plane (degrees counter-clockwise from +x),
summarised with circular statistics. Every metric returns NaN when its channel is
absent or there are no on-surface samples.
"""

from __future__ import annotations

import math

import numpy as np

from .._stats import hypot
from ..errors import ParameterError
from ..recording import Recording
from ..registry import metric

__all__ = [
    "pressure_mean",
    "pressure_sd",
    "pressure_cv",
    "pressure_near_max_share",
    "pressure_onset_slope",
    "pressure_offset_slope",
    "pressure_within_stroke_cv",
    "tilt_angles",
    "tilt_mean",
    "tilt_sd",
    "azimuth_mean",
    "azimuth_sd",
]


def _down_pressure(rec: Recording) -> np.ndarray:
    def compute() -> np.ndarray:
        p = rec.pressure[rec.pen_down]
        return p[np.isfinite(p)]

    return rec.cached(("pressure.down",), compute)


@metric(unit="1", better=None, needs=("pressure",), label='Pen pressure')
def pressure_mean(rec: Recording) -> float:
    """Mean on-surface pen pressure (0..1 of the device range).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3], x=[0] * 4, y=[0] * 4, pressure=[0, 0.2, 0.4, 0])
    >>> round(pressure_mean(rec), 3)
    0.3
    """
    p = _down_pressure(rec)
    return float(p.mean()) if p.size else math.nan


@metric(unit="1", better="lower", needs=("pressure",), label='Pressure variation')
def pressure_sd(rec: Recording) -> float:
    """Standard deviation of the on-surface pressure (0..1 of the device range).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3], x=[0] * 4, y=[0] * 4, pressure=[0, 0.2, 0.4, 0])
    >>> round(pressure_sd(rec), 3)
    0.1
    """
    p = _down_pressure(rec)
    return float(p.std()) if p.size >= 2 else math.nan


@metric(unit="1", better="lower", needs=("pressure",), label='Pressure variability')
def pressure_cv(rec: Recording) -> float:
    """Coefficient of variation (SD / mean) of the on-surface pressure.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3], x=[0] * 4, y=[0] * 4, pressure=[0, 0.2, 0.4, 0])
    >>> round(pressure_cv(rec), 3)
    0.333
    """
    p = _down_pressure(rec)
    if p.size < 2 or not p.mean() > 0:
        return math.nan
    return float(p.std() / p.mean())


@metric(unit="1", better="lower", needs=("pressure",), label='Pressing too hard')
def pressure_near_max_share(rec: Recording, *, threshold: float = 0.9) -> float:
    """Share of on-surface samples pressing at or above `threshold` of the device maximum.

    A high share means the child presses too hard (the device saturates).

    Parameters
    ----------
    rec : Recording
    threshold : float
        Normalised pressure (0..1] counted as "near the maximum".

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3], x=[0] * 4, y=[0] * 4, pressure=[0.5, 0.95, 1.0, 0.3])
    >>> pressure_near_max_share(rec)
    0.5
    """
    if not 0 < threshold <= 1:
        raise ParameterError(f"threshold: expected a normalised pressure in (0, 1], got {threshold!r}")
    p = _down_pressure(rec)
    return float(np.count_nonzero(p >= threshold) / p.size) if p.size else math.nan


def _stroke_arrays(rec: Recording, min_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Concatenated t, pressure of strokes with >= min_samples finite samples; stroke starts/stops
    (cached: read by three metrics; shared arrays, not to be modified)."""
    return rec.cached(("pressure.stroke_arrays", int(min_samples)), lambda: _compute_stroke_arrays(rec, min_samples))


def _compute_stroke_arrays(rec: Recording, min_samples: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    starts, stops = rec.stroke_bounds()
    keep = (stops - starts) >= min_samples
    starts, stops = starts[keep], stops[keep]
    if starts.size == 0:
        return np.empty(0), np.empty(0), starts, stops
    lengths = stops - starts
    new_starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    idx = np.arange(lengths.sum()) + np.repeat(starts - new_starts, lengths)
    return rec.t[idx], rec.pressure[idx], new_starts, new_starts + lengths


def _slopes(rec: Recording, level: float, onset: bool) -> np.ndarray:
    t, p, starts, stops = _stroke_arrays(rec, 3)
    if starts.size == 0:
        return np.empty(0)
    p = np.where(np.isfinite(p), p, 0.0)
    peak = np.maximum.reduceat(p, starts)
    lengths = stops - starts
    sid = np.repeat(np.arange(starts.size), lengths)
    reached = p >= level * peak[sid]
    pos = np.arange(p.size)
    if onset:
        big = np.where(reached, pos, p.size)
        k = np.minimum.reduceat(big, starts)
        a, b = starts, k
    else:
        small = np.where(reached, pos, -1)
        k = np.maximum.reduceat(small, starts)
        a, b = k, stops - 1
    dt = t[b] - t[a]
    dp = np.abs(p[b] - p[a])
    ok = (dt > 0) & (peak > 0)
    return dp[ok] / dt[ok]


def _median_slope(rec: Recording, level: float, *, onset: bool) -> float:
    """Median over strokes of :func:`_slopes` (NaN without any); the body of the onset/offset metrics."""
    if not 0 < level <= 1:
        raise ParameterError(f"level: expected a fraction in (0, 1], got {level!r}")
    s = _slopes(rec, level, onset)
    return float(np.median(s)) if s.size else math.nan


@metric(unit="1/s", better=None, needs=("pressure",), label='Pressure build-up')
def pressure_onset_slope(rec: Recording, *, level: float = 0.9) -> float:
    """Median rate of pressure build-up at stroke starts (pressure units per second).

    For each stroke (>= 3 samples): rise of the pressure from the first sample to the
    first sample reaching `level` times the stroke's peak pressure, divided by the time
    taken. Median over strokes.

    Parameters
    ----------
    rec : Recording
    level : float
        Fraction of the stroke's peak pressure that ends the onset.

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 1.0, 0.01)
    >>> p = np.clip(t / 0.2, 0, 1) * 0.5          # 0 -> 0.5 in 0.2 s: 2.5 per s
    >>> rec = Recording.from_arrays(t=t, x=t, y=0 * t, pressure=p, pen_down=np.ones_like(t, bool))
    >>> round(pressure_onset_slope(rec), 1)
    2.5
    """
    return _median_slope(rec, level, onset=True)


@metric(unit="1/s", better=None, needs=("pressure",), label='Pressure release')
def pressure_offset_slope(rec: Recording, *, level: float = 0.9) -> float:
    """Median rate of pressure release at stroke ends (pressure units per second, positive).

    For each stroke (>= 3 samples): fall of the pressure from the last sample at or
    above `level` times the stroke's peak to the stroke's last sample, divided by the
    time taken. Median over strokes.

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 1.0, 0.01)
    >>> p = np.clip((0.99 - t) / 0.4, 0, 1) * 0.8   # 0.8 -> 0 in the last 0.4 s: 2 per s
    >>> rec = Recording.from_arrays(t=t, x=t, y=0 * t, pressure=p, pen_down=np.ones_like(t, bool))
    >>> round(pressure_offset_slope(rec), 1)
    2.0
    """
    return _median_slope(rec, level, onset=False)


@metric(unit="1", better="lower", needs=("pressure",), label='Pressure evenness within strokes')
def pressure_within_stroke_cv(rec: Recording, *, min_samples: int = 5) -> float:
    """Mean within-stroke coefficient of variation of the pressure.

    Per stroke with at least `min_samples` samples: SD / mean of its pressure; then the
    mean over strokes. Unlike :func:`pressure_cv` it ignores differences between strokes.

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> p = np.array([0.2, 0.4] * 5 + [0, 0] + [0.6] * 10)   # 2 strokes: CV 1/3 and 0
    >>> t = np.arange(p.size) * 0.01
    >>> rec = Recording.from_arrays(t=t, x=t, y=0 * t, pressure=p)
    >>> round(pressure_within_stroke_cv(rec), 4)
    0.1667
    """
    _, p, starts, stops = _stroke_arrays(rec, max(int(min_samples), 2))
    if starts.size == 0:
        return math.nan
    fin = np.isfinite(p)
    pv = np.where(fin, p, 0.0)
    s1 = np.add.reduceat(pv, starts)
    s2 = np.add.reduceat(pv * pv, starts)
    nf = np.add.reduceat(fin.astype(float), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = s1 / nf
        var = np.maximum(s2 / nf - mean * mean, 0.0)
        cv = np.sqrt(var) / mean
    cv = cv[np.isfinite(cv) & (nf >= 2)]
    return float(cv.mean()) if cv.size else math.nan


def tilt_angles(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """Tilt from vertical and azimuth (degrees) of each sample, from ``tilt_x``/``tilt_y``.

    Returns
    -------
    tilt, azimuth : ndarray
        Angle of the pen axis from vertical (0..90) and the direction it leans to
        (degrees counter-clockwise from +x, -180..180). NaN where tilt is absent.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1], x=[0, 0], y=[0, 0], tilt_x=[45.0, 0.0], tilt_y=[0.0, 30.0])
    >>> tilt, az = tilt_angles(rec)
    >>> tilt.round(3).tolist(), az.round(3).tolist()
    ([45.0, 30.0], [0.0, 90.0])
    """
    return _angles(rec.tilt_x, rec.tilt_y)


def _angles(tilt_x: np.ndarray, tilt_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    tx = np.tan(np.deg2rad(tilt_x))
    ty = np.tan(np.deg2rad(tilt_y))
    return np.rad2deg(np.arctan(hypot(tx, ty))), np.rad2deg(np.arctan2(ty, tx))


def _down_tilt(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    def compute() -> tuple[np.ndarray, np.ndarray]:
        d = rec.pen_down
        tilt, az = _angles(rec.tilt_x[d], rec.tilt_y[d])
        m = np.isfinite(tilt)
        return tilt[m], az[m]

    return rec.cached(("pressure.down_tilt",), compute)


@metric(unit="deg", better=None, needs=("tilt_x", "tilt_y"), label='Pen tilt')
def tilt_mean(rec: Recording) -> float:
    """Mean on-surface pen tilt from vertical (degrees).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1], x=[0, 0], y=[0, 0], tilt_x=[40.0, 50.0], tilt_y=[0.0, 0.0])
    >>> round(tilt_mean(rec), 6)
    45.0
    """
    tilt, _ = _down_tilt(rec)
    return float(tilt.mean()) if tilt.size else math.nan


@metric(unit="deg", better="lower", needs=("tilt_x", "tilt_y"), label='Pen tilt variation')
def tilt_sd(rec: Recording) -> float:
    """Standard deviation of the on-surface pen tilt (degrees).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1], x=[0, 0], y=[0, 0], tilt_x=[40.0, 50.0], tilt_y=[0.0, 0.0])
    >>> round(tilt_sd(rec), 6)
    5.0
    """
    tilt, _ = _down_tilt(rec)
    return float(tilt.std()) if tilt.size >= 2 else math.nan


def _down_circ(rec: Recording, min_tilt_deg: float) -> tuple[float, float, int]:
    """Circular mean and SD of the on-surface azimuth where tilt >= min_tilt_deg, and the count (cached)."""

    def compute() -> tuple[float, float, int]:
        tilt, az = _down_tilt(rec)
        az = az[tilt >= min_tilt_deg]
        return (*_circ(az), int(az.size)) if az.size else (math.nan, math.nan, 0)

    return rec.cached(("pressure.down_circ", float(min_tilt_deg)), compute)


def _circ(az: np.ndarray) -> tuple[float, float]:
    r = np.deg2rad(az)
    c, s = np.cos(r).mean(), np.sin(r).mean()
    R = min(float(np.hypot(c, s)), 1.0)
    mean = float(np.rad2deg(np.arctan2(s, c)))
    sd = float(np.rad2deg(np.sqrt(abs(-2.0 * np.log(R))))) if R > 0 else math.inf
    return mean, sd


@metric(unit="deg", better=None, needs=("tilt_x", "tilt_y"), label='Pen lean direction')
def azimuth_mean(rec: Recording, *, min_tilt_deg: float = 1.0) -> float:
    """Circular mean direction the pen leans to on the surface (degrees from +x, -180..180).

    Samples with a tilt below `min_tilt_deg` (pen nearly vertical, azimuth undefined)
    are ignored.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1], x=[0, 0], y=[0, 0], tilt_x=[-30.0, -30.0], tilt_y=[1.0, -1.0])
    >>> round(abs(azimuth_mean(rec)), 3)
    180.0
    """
    mean, _, n = _down_circ(rec, min_tilt_deg)
    return mean if n else math.nan


@metric(unit="deg", better="lower", needs=("tilt_x", "tilt_y"), label='Pen lean variation')
def azimuth_sd(rec: Recording, *, min_tilt_deg: float = 1.0) -> float:
    """Circular standard deviation of the on-surface azimuth (degrees).

    ``sqrt(-2 ln R)`` with R the mean resultant length; samples with a tilt below
    `min_tilt_deg` are ignored.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1], x=[0, 0], y=[0, 0], tilt_x=[30.0, 30.0], tilt_y=[0.0, 0.0])
    >>> azimuth_sd(rec)
    0.0
    """
    _, sd, n = _down_circ(rec, min_tilt_deg)
    return sd if n >= 2 else math.nan
