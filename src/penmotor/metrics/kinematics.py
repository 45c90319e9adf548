"""Kinematic metrics: speed, acceleration and jerk (on the surface and in the air), fluency.

Every value comes from :func:`penmotor.signal.kinematics`: per stroke (or in-air run),
in ``mode="smooth"`` (default) resampled to a uniform rate, low-passed (zero phase) and
differentiated with Savitzky-Golay filters; in ``mode="raw"`` plain differences between
the original samples, as BDALab ``handwriting-features`` computes them.

Quantities (per sample)
-----------------------
* ``speed`` -- magnitude of the velocity vector (mm/s);
* ``acc`` -- magnitude of the acceleration vector (mm/s^2). BDALab's "acceleration" is
  instead the signed rate of change of speed (the trace's ``acc_tangential``);
* ``jerk`` -- magnitude of the jerk vector (mm/s^3).

Each is summarised by ``mean``, ``median``, ``cv`` (SD / mean) and ``p95`` (95th
percentile), over on-surface samples (``speed_mean`` ...) or in-air samples
(``air_speed_mean`` ...); all are registered features. In smooth mode samples are
uniform in time, so these are time averages. In-air means *sampled hover*: in-air runs
are cut at out-of-range gaps (:func:`penmotor.signal.out_of_range`) and nothing is
interpolated across one, so ``air_*`` describe how the pen moved within the tablet's
range, not how long it was out of it (that is ``out_of_range_time``).

Fluency
-------
* sub-strokes: pieces of a stroke between local minima of the speed
  (:func:`penmotor.segment.substroke_bounds`, re-exported here);
* NIV, number of inversions in velocity (Mai & Marquardt): mean number of speed maxima
  per vertical stroke (an up- or down-stroke, delimited by zero crossings of the vertical
  velocity); 1 for a fluent, automated movement;
* normalised jerk (Teulings et al. 1997): per stroke ``sqrt(0.5 * int |j|^2 dt * T^5 / L^2)``
  with T the stroke duration and L its path length -- dimensionless, 0 for no jerk;
* log dimensionless jerk (Balasubramanian et al. 2012): per stroke
  ``-ln(T^3 / v_peak^2 * int |j|^2 dt)``, higher (closer to 0) is smoother.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .. import signal
from ..errors import ParameterError
from ..recording import Recording
from ..registry import metric
from ..segment import local_extrema, substroke_bounds

__all__ = [
    "phase_trace",
    "kinematic_stat",
    "substroke_bounds",
    "substroke_count",
    "substroke_duration_mean",
    "niv",
    "normalized_jerk",
    "log_dimensionless_jerk",
]

_QUANTITIES = {"speed": "mm/s", "acc": "mm/s^2", "jerk": "mm/s^3"}
_STATS = ("mean", "median", "cv", "p95")
_PHASES = {"down": "", "air": "air_"}


def _empty_trace(mode: str, rate_hz: float) -> signal.Trace:
    z = np.empty(0)
    i = np.empty(0, dtype=np.intp)
    return signal.Trace(z, z, z, z, z, z, z, z, z, z, z, z, z, z, i, i, i, float(rate_hz), mode)


def phase_trace(rec: Recording, phase: str, mode: str, rate_hz: float, cutoff_hz: float) -> signal.Trace:
    """The cached kinematic trace of `phase`; an empty trace when the recording has no such samples.

    :func:`penmotor.signal.kinematics` with an empty result (instead of an error) for a
    recording without pen-down (``phase="down"``) or in-air (``phase="air"``) samples.

    Examples
    --------
    >>> from penmotor import synth
    >>> tr = phase_trace(synth.handwriting("ab", seed=1), "down", "smooth", 200.0, 10.0)
    >>> bool(len(tr) > 0 and np.nanmax(tr.speed) > 0)
    True
    """
    pd = rec.pen_down
    if len(rec) == 0 or (phase == "down" and not pd.any()) or (phase == "air" and pd.all()):
        if mode not in ("smooth", "raw"):
            raise ParameterError(f"mode: expected 'smooth' or 'raw', got {mode!r}")
        return _empty_trace(mode, rate_hz)
    return signal.kinematics(rec, phase=phase, mode=mode, rate_hz=rate_hz, cutoff_hz=cutoff_hz)  # type: ignore[arg-type]


def _summaries(v: np.ndarray) -> dict[str, float]:
    """mean, median, cv and p95 of the finite values of `v` (all NaN when there are none)."""
    v = v[np.isfinite(v)]  # a copy: the percentiles may partition it in place
    if v.size == 0:
        return dict.fromkeys(_STATS, math.nan)
    mean = float(v.mean())
    # a mean of (numerically) zero makes the CV meaningless: e.g. the jerk of a straight line
    cv = float(v.std() / mean) if v.size >= 2 and mean > 1e-9 else math.nan
    med, p95 = np.percentile(v, [50.0, 95.0], overwrite_input=True)  # after mean and SD (order)
    return {"mean": mean, "median": float(med), "cv": cv, "p95": float(p95)}


def kinematic_stat(
    rec: Recording,
    quantity: str = "speed",
    stat: str = "mean",
    *,
    phase: str = "down",
    mode: str = "smooth",
    rate_hz: float = signal.DEFAULT_RATE_HZ,
    cutoff_hz: float = signal.DEFAULT_CUTOFF_HZ,
) -> float:
    """A summary statistic of speed, acceleration or jerk over the on-surface or in-air samples.

    Parameters
    ----------
    rec : Recording
    quantity : {"speed", "acc", "jerk"}
        Magnitude of the velocity, acceleration or jerk vector.
    stat : {"mean", "median", "cv", "p95"}
        Summary over samples (``cv`` = SD / mean, ``p95`` = 95th percentile).
    phase : {"down", "air"}
        Pen-down strokes or in-air (hover) runs.
    mode : {"smooth", "raw"}
        See :func:`penmotor.signal.kinematics`.
    rate_hz, cutoff_hz : float
        Resampling rate and low-pass cut-off (smooth mode).

    Returns
    -------
    float
        In mm/s, mm/s^2 or mm/s^3 (``cv``: dimensionless); NaN without samples of that phase.

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 2, 0.005)
    >>> rec = Recording.from_arrays(t=t, x=25.0 * t, y=0 * t)   # 25 mm/s straight line
    >>> round(kinematic_stat(rec, "speed", "mean"), 3), round(kinematic_stat(rec, "jerk", "p95"), 3)
    (25.0, 0.0)
    """
    if quantity not in _QUANTITIES:
        raise ParameterError(f"quantity: expected one of {sorted(_QUANTITIES)}, got {quantity!r}")
    if stat not in _STATS:
        raise ParameterError(f"stat: expected one of {_STATS}, got {stat!r}")
    if phase not in _PHASES:
        raise ParameterError(f"phase: expected 'down' or 'air', got {phase!r}")
    if len(rec) < 2:
        return math.nan

    def compute() -> dict[str, float]:
        tr = phase_trace(rec, phase, mode, rate_hz, cutoff_hz)
        return _summaries(np.asarray(getattr(tr, quantity)))

    key = ("kinematics.stats", quantity, phase, mode, float(rate_hz), float(cutoff_hz))
    return rec.cached(key, compute)[stat]


_STAT_TEXT = {"mean": "Mean", "median": "Median", "cv": "Coefficient of variation (SD / mean) of the",
              "p95": "95th percentile of the"}
_Q_TEXT = {"speed": "speed", "acc": "acceleration magnitude", "jerk": "jerk magnitude"}


def _make(quantity: str, stat: str, phase: str) -> Callable[..., float]:
    name = f"{_PHASES[phase]}{quantity}_{stat}"
    where = "on-surface" if phase == "down" else "in-air"

    def f(
        rec: Recording,
        *,
        mode: str = "smooth",
        rate_hz: float = signal.DEFAULT_RATE_HZ,
        cutoff_hz: float = signal.DEFAULT_CUTOFF_HZ,
    ) -> float:
        return kinematic_stat(rec, quantity, stat, phase=phase, mode=mode, rate_hz=rate_hz, cutoff_hz=cutoff_hz)

    text = _STAT_TEXT[stat]
    unit = "1" if stat == "cv" else _QUANTITIES[quantity]
    first = f"{text} {where} {_Q_TEXT[quantity]}"
    pd = "t < 3" if phase == "down" else "t < 1"
    f.__doc__ = f"""{first} ({unit}).

    Shortcut for ``kinematic_stat(rec, {quantity!r}, {stat!r}, phase={phase!r}, ...)``;
    see :func:`kinematic_stat` for the parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 2, 0.005)
    >>> rec = Recording.from_arrays(t=t, x=25.0 * t, y=3 * np.sin(2 * np.pi * t), pen_down={pd})
    >>> bool({name}(rec) > 0)
    True
    """
    f.__name__ = f.__qualname__ = name
    f.__module__ = __name__
    return metric(unit=unit, better=None, name=name, label=_label(quantity, stat, phase))(f)


def _label(quantity: str, stat: str, phase: str) -> str:
    """Plain-language label of a generated statistic ("Writing speed variability")."""
    base = {"speed": "writing speed", "acc": "acceleration", "jerk": "jerkiness"}[quantity]
    if phase != "down":
        base = {"speed": "pen speed"}.get(quantity, base) + " in the air"
    base = base[:1].upper() + base[1:]
    return {"mean": base, "median": f"{base} (median)", "cv": f"{base} variability",
            "p95": f"{base} (95th percentile)"}[stat]


for _phase in _PHASES:
    for _q in _QUANTITIES:
        for _s in _STATS:
            _f = _make(_q, _s, _phase)
            globals()[_f.__name__] = _f
            __all__.append(_f.__name__)
del _phase, _q, _s, _f


# ------------------------------------------------------------------ sub-strokes and fluency
def _substrokes(rec: Recording, min_duration_s: float) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`substroke_bounds`, or None when there is no ink (the metrics' NaN case)."""
    if len(rec) < 2 or not rec.pen_down.any():
        return None
    key = ("kinematics.substrokes", float(min_duration_s))  # shared by the count and the mean duration
    return rec.cached(key, lambda: substroke_bounds(rec, min_duration_s=min_duration_s))


@metric(unit="1", better=None, depends_on_text=True, label='Movement pieces')
def substroke_count(rec: Recording, *, min_duration_s: float = 0.03) -> float:
    """Number of on-surface sub-strokes (pieces between speed minima), see :func:`substroke_bounds`.

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 2, 0.005)
    >>> x = t - np.sin(2 * np.pi * 2 * t) / (2 * np.pi * 2)
    >>> substroke_count(Recording.from_arrays(t=t, x=10 * x, y=0 * t))
    4.0
    """
    bounds = _substrokes(rec, min_duration_s)
    return math.nan if bounds is None else float(bounds[0].size)


@metric(unit="s", better=None, label='Length of a movement piece')
def substroke_duration_mean(rec: Recording, *, min_duration_s: float = 0.03) -> float:
    """Mean duration of an on-surface sub-stroke (s), see :func:`substroke_bounds`.

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 2, 0.005)
    >>> x = t - np.sin(2 * np.pi * 2 * t) / (2 * np.pi * 2)
    >>> round(substroke_duration_mean(Recording.from_arrays(t=t, x=10 * x, y=0 * t)), 2)
    0.5
    """
    bounds = _substrokes(rec, min_duration_s)
    if bounds is None or bounds[0].size == 0:
        return math.nan
    starts, stops = bounds
    return float(np.mean(stops - starts) / signal.DEFAULT_RATE_HZ)


@metric(unit="1", better="lower", label='Speed changes per stroke')
def niv(
    rec: Recording,
    *,
    min_stroke_s: float = 0.05,
    rate_hz: float = signal.DEFAULT_RATE_HZ,
    cutoff_hz: float = signal.DEFAULT_CUTOFF_HZ,
) -> float:
    """Number of inversions in velocity: mean count of speed maxima per vertical stroke.

    Vertical strokes are the on-surface pieces between zero crossings of the smoothed
    vertical velocity (up- and down-strokes, Mai & Marquardt); pieces shorter than
    `min_stroke_s` are ignored. 1 for fluent, automated writing; higher when the pen
    accelerates and brakes repeatedly within a stroke.

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 2, 0.005)
    >>> y = -np.cos(2 * np.pi * t)                     # up/down strokes with one speed peak each
    >>> round(niv(Recording.from_arrays(t=t, x=5 * t, y=10 * y)), 1)
    1.0
    """
    if len(rec) < 2 or not rec.pen_down.any():
        return math.nan
    tr = phase_trace(rec, "down", "smooth", rate_hz, cutoff_hz)
    n = len(tr)
    if n < 3:
        return math.nan
    seg = tr.segment_of()
    vy = np.asarray(tr.vy)
    sign = np.sign(vy)
    cut = np.zeros(n, dtype=bool)
    cut[tr.starts[tr.stops > tr.starts]] = True
    cut[1:] |= (sign[1:] * sign[:-1] < 0) | (seg[1:] != seg[:-1])
    vid = np.cumsum(cut) - 1
    maxima = local_extrema(np.asarray(tr.speed), seg, minima=False)
    counts = np.bincount(vid, weights=maxima.astype(float), minlength=vid[-1] + 1)
    lengths = np.bincount(vid, minlength=vid[-1] + 1)
    # drop the first and last vertical piece of each stroke when cut short? keep all long enough
    ok = lengths >= max(int(round(min_stroke_s * rate_hz)), 3)
    return float(counts[ok].mean()) if ok.any() else math.nan


def _stroke_jerk_parts(
    rec: Recording, mode: str, rate_hz: float, cutoff_hz: float, min_duration_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per stroke: T (s), L (mm), peak speed (mm/s), integral of |jerk|^2 dt (cached: read by two
    metrics; shared arrays, not to be modified)."""
    key = ("kinematics.jerk_parts", mode, float(rate_hz), float(cutoff_hz), float(min_duration_s))
    return rec.cached(key, lambda: _compute_jerk_parts(rec, mode, rate_hz, cutoff_hz, min_duration_s))


def _compute_jerk_parts(
    rec: Recording, mode: str, rate_hz: float, cutoff_hz: float, min_duration_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    tr = phase_trace(rec, "down", mode, rate_hz, cutoff_hz)
    s, e = np.asarray(tr.starts), np.asarray(tr.stops)
    keep = e > s
    s, e = s[keep], e[keep]
    if s.size == 0:
        z = np.empty(0)
        return z, z, z, z
    t = np.asarray(tr.t)
    speed = np.asarray(tr.speed)
    jerk = np.asarray(tr.jerk)
    if mode == "smooth":
        dt = np.full(t.size, 1.0 / rate_hz)
    else:
        dt = np.concatenate(([np.nan], np.diff(t)))
        dt[s] = np.nan
    fin_s = np.isfinite(speed) & np.isfinite(dt)
    fin_j = np.isfinite(jerk) & np.isfinite(dt)
    T = t[e - 1] - t[s]
    L = signal.segment_sums(np.where(fin_s, speed * np.where(fin_s, dt, 0.0), 0.0), s, e)
    J = signal.segment_sums(np.where(fin_j, jerk**2 * np.where(fin_j, dt, 0.0), 0.0), s, e)
    vmax = np.maximum.reduceat(np.where(np.isfinite(speed), speed, 0.0), s) if s.size else np.empty(0)
    ok = (T >= min_duration_s) & (L > 1e-6)  # a stroke shorter than a micron has no shape
    return T[ok], L[ok], vmax[ok], J[ok]


@metric(unit="1", better="lower", label='Smoothness (normalised jerk)')
def normalized_jerk(
    rec: Recording,
    *,
    mode: str = "smooth",
    min_duration_s: float = 0.1,
    rate_hz: float = signal.DEFAULT_RATE_HZ,
    cutoff_hz: float = signal.DEFAULT_CUTOFF_HZ,
) -> float:
    """Median over strokes of the normalised jerk ``sqrt(0.5 * int |j|^2 dt * T^5 / L^2)`` (Teulings).

    Dimensionless, so comparable across sizes and speeds; 0 for a jerk-free stroke.
    Strokes shorter than `min_duration_s` are skipped.

    Parameters
    ----------
    rec : Recording
    mode : {"smooth", "raw"}
        Derivatives of the smoothed, resampled trace (default) or plain differences.
    min_duration_s : float
        Shortest stroke considered (s).
    rate_hz, cutoff_hz : float
        Passed to :func:`penmotor.signal.kinematics`.

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 1, 0.005)
    >>> x = 10 * t**3 * (10 - 15 * t + 6 * t**2)          # minimum-jerk reach: NJ = sqrt(360) ~ 19
    >>> nj = normalized_jerk(Recording.from_arrays(t=t, x=x, y=0 * t))
    >>> 15 < nj < 25
    True
    """
    T, L, _, J = _stroke_jerk_parts(rec, mode, rate_hz, cutoff_hz, min_duration_s)
    if T.size == 0:
        return math.nan
    return float(np.median(np.sqrt(0.5 * J * T**5 / L**2)))


@metric(unit="1", better="higher", label='Smoothness (log dimensionless jerk)')
def log_dimensionless_jerk(
    rec: Recording,
    *,
    mode: str = "smooth",
    min_duration_s: float = 0.1,
    rate_hz: float = signal.DEFAULT_RATE_HZ,
    cutoff_hz: float = signal.DEFAULT_CUTOFF_HZ,
) -> float:
    """Median over strokes of the log dimensionless jerk ``-ln(T^3 / v_peak^2 * int |j|^2 dt)``.

    Balasubramanian et al. (2012); higher (closer to zero) is smoother. Strokes shorter
    than `min_duration_s` or with no jerk at all are skipped.

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 1, 0.005)
    >>> x = 10 * t**3 * (10 - 15 * t + 6 * t**2)          # minimum jerk: -ln(720 / 1.875**2) ~ -5.3
    >>> ldlj = log_dimensionless_jerk(Recording.from_arrays(t=t, x=x, y=0 * t))
    >>> -6.5 < ldlj < -4.5
    True
    """
    T, _, vmax, J = _stroke_jerk_parts(rec, mode, rate_hz, cutoff_hz, min_duration_s)
    ok = (J > 0) & (vmax > 0)
    if not ok.any():
        return math.nan
    return float(np.median(-np.log(T[ok] ** 3 / vmax[ok] ** 2 * J[ok])))
