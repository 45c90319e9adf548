"""Temporal metrics: durations, in-air ratio, strokes, pen lifts, pauses and tempo.

Time attribution
----------------
Each sampling interval ``[t[i], t[i+1])`` belongs to the state of the pen at its
start, sample ``i`` (on the surface or in the air), so that
``duration_on_surface + duration_in_air == duration_total``; except that an
out-of-range gap (:func:`penmotor.signal.out_of_range`: no sample for longer than a few
sampling periods with the pen in the air at one end, as when a child lifts the pen
high) is always in-air time, even when it starts at the last sample of a stroke.
In-air time splits into sampled hover and out-of-range time:
``hover_time + out_of_range_time == duration_in_air``. The alternative,
``method="spans"``, sums ``t[last] - t[first]`` of each pen-down (or in-air) run, as
BDALab ``handwriting-features`` does; it leaves out the transition intervals between
runs and gives a one-sample stroke zero duration.

Pauses are found on the smoothed on-surface speed (:func:`penmotor.signal.kinematics`),
never across a pen lift.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError
from ..recording import Recording
from ..registry import metric
from ..signal import DEFAULT_MAX_GAP_PERIODS, out_of_range
from .geometry import stroke_extents

__all__ = [
    "duration_total",
    "duration_on_surface",
    "duration_in_air",
    "in_air_ratio",
    "hover_time",
    "out_of_range_time",
    "out_of_range_ratio",
    "stroke_count",
    "eraser_count",
    "pen_lifts",
    "pen_lifts_per_s",
    "pen_lifts_per_100mm",
    "pause_runs",
    "pause_count",
    "pause_time",
    "pause_ratio",
    "tempo",
]

_METHODS = ("intervals", "spans")


def _check_method(method: str) -> None:
    if method not in _METHODS:
        raise ParameterError(f"method: expected one of {_METHODS}, got {method!r}")


def _phase_duration(rec: Recording, down: bool, method: str) -> float:
    _check_method(method)
    if len(rec) < 2:
        return math.nan
    t = rec.t
    if method == "intervals":
        split = _time_split(rec, DEFAULT_MAX_GAP_PERIODS)
        return split[0] if down else split[1] + split[2]
    starts, stops = rec.stroke_bounds() if down else rec.in_air_bounds()
    if starts.size == 0:
        return 0.0
    return float((t[stops - 1] - t[starts]).sum())


@metric(unit="s", better=None, depends_on_text=True, label='Total time')
def duration_total(rec: Recording) -> float:
    """Time from the first to the last sample.

    Parameters
    ----------
    rec : Recording

    Returns
    -------
    float
        Seconds; NaN for fewer than two samples.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 0.5, 1.0, 2.0], x=[0, 1, 2, 3], y=[0] * 4)
    >>> duration_total(rec)
    2.0
    """
    return float(rec.t[-1] - rec.t[0]) if len(rec) >= 2 else math.nan


@metric(unit="s", better=None, depends_on_text=True, label='Time on the paper')
def duration_on_surface(rec: Recording, *, method: str = "intervals") -> float:
    """Time the pen spends on the surface.

    Parameters
    ----------
    rec : Recording
    method : {"intervals", "spans"}
        ``"intervals"`` (default): sum of the sampling intervals that start on the
        surface; ``"spans"``: sum of ``t[last] - t[first]`` per stroke (BDALab's definition).

    Returns
    -------
    float
        Seconds; NaN for fewer than two samples.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0] * 5, y=[0] * 5,
    ...                             pen_down=[1, 1, 0, 1, 1])
    >>> duration_on_surface(rec), duration_on_surface(rec, method="spans")
    (3.0, 2.0)
    """
    return _phase_duration(rec, True, method)


@metric(unit="s", better=None, depends_on_text=True, label='Time in the air')
def duration_in_air(rec: Recording, *, method: str = "intervals") -> float:
    """Time the pen spends in the air (hovering) between the first and last sample.

    Parameters
    ----------
    rec : Recording
    method : {"intervals", "spans"}
        As in :func:`duration_on_surface`.

    Returns
    -------
    float
        Seconds (0 when the pen never leaves the surface); NaN for fewer than two samples.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0] * 5, y=[0] * 5,
    ...                             pen_down=[1, 1, 0, 1, 1])
    >>> duration_in_air(rec)
    1.0
    """
    return _phase_duration(rec, False, method)


@metric(unit="1", better="lower", label='Pen-in-air time')
def in_air_ratio(rec: Recording, *, method: str = "intervals") -> float:
    """In-air time divided by on-surface time.

    Parameters
    ----------
    rec : Recording
    method : {"intervals", "spans"}
        As in :func:`duration_on_surface`.

    Returns
    -------
    float
        Dimensionless; NaN when there is no on-surface time.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0] * 5, y=[0] * 5,
    ...                             pen_down=[1, 1, 0, 1, 1])
    >>> in_air_ratio(rec)
    0.3333333333333333
    """
    on = _phase_duration(rec, True, method)
    air = _phase_duration(rec, False, method)
    return air / on if on > 0 else math.nan


def _time_split(rec: Recording, max_gap_periods: float) -> tuple[float, float, float]:
    """(on-surface, hover, out-of-range) time in s by the interval attribution of the module docstring; cached."""

    def compute() -> tuple[float, float, float]:
        dt = np.diff(rec.t)
        gap = out_of_range(rec, max_gap_periods=max_gap_periods)
        down = rec.pen_down[:-1]
        if not gap.any():
            return float(dt[down].sum()), float(dt[~down].sum()), 0.0
        return float(dt[down & ~gap].sum()), float(dt[~down & ~gap].sum()), float(dt[gap].sum())

    return rec.cached(("temporal.time_split", float(max_gap_periods)), compute)


def _air_split(rec: Recording, max_gap_periods: float) -> tuple[float, float]:
    """(hover, out-of-range) time in s."""
    return _time_split(rec, max_gap_periods)[1:]


@metric(unit="s", better=None, label="Hover time")
def hover_time(rec: Recording, *, max_gap_periods: float = DEFAULT_MAX_GAP_PERIODS) -> float:
    """Sampled in-air time: the pen hovering within the tablet's range (s).

    In-air time minus the out-of-range gaps (see :func:`out_of_range_time`).

    Returns
    -------
    float
        Seconds; NaN for fewer than two samples.

    Examples
    --------
    >>> from penmotor import Recording
    >>> t = [0.0, 0.01, 0.02, 0.03, 0.53, 0.54, 0.55]        # 100 Hz, pen out of range for 0.5 s
    >>> rec = Recording.from_arrays(t=t, x=[0.0] * 7, y=[0.0] * 7, pen_down=[1, 1, 0, 0, 0, 1, 1])
    >>> round(hover_time(rec), 3), round(duration_in_air(rec), 3)
    (0.02, 0.52)
    """
    if len(rec) < 2:
        return math.nan
    return _air_split(rec, max_gap_periods)[0]


@metric(unit="s", better=None, label="Time out of the tablet's range")
def out_of_range_time(rec: Recording, *, max_gap_periods: float = DEFAULT_MAX_GAP_PERIODS) -> float:
    """In-air time with the pen out of the tablet's range: the gaps in the samples (s).

    The sum of the out-of-range gaps of :func:`penmotor.signal.out_of_range`: intervals
    without a sample for longer than `max_gap_periods` sampling periods with the pen in
    the air at one end (or marked by a proximity channel, where the format records one).

    Returns
    -------
    float
        Seconds (0 when the pen never leaves the range); NaN for fewer than two samples.

    Examples
    --------
    >>> from penmotor import Recording
    >>> t = [0.0, 0.01, 0.02, 0.03, 0.53, 0.54, 0.55]
    >>> rec = Recording.from_arrays(t=t, x=[0.0] * 7, y=[0.0] * 7, pen_down=[1, 1, 0, 0, 0, 1, 1])
    >>> round(out_of_range_time(rec), 3)
    0.5
    """
    if len(rec) < 2:
        return math.nan
    return _air_split(rec, max_gap_periods)[1]


@metric(unit="1", better=None, label="Share of air time out of range")
def out_of_range_ratio(rec: Recording, *, max_gap_periods: float = DEFAULT_MAX_GAP_PERIODS) -> float:
    """Share of the in-air time spent out of the tablet's range (0..1).

    ``out_of_range_time / duration_in_air``; high when the child lifts the pen far from
    the page between strokes.

    Returns
    -------
    float
        0..1; NaN when there is no in-air time.

    Examples
    --------
    >>> from penmotor import Recording
    >>> t = [0.0, 0.01, 0.02, 0.03, 0.53, 0.54, 0.55]
    >>> rec = Recording.from_arrays(t=t, x=[0.0] * 7, y=[0.0] * 7, pen_down=[1, 1, 0, 0, 0, 1, 1])
    >>> round(out_of_range_ratio(rec), 3)
    0.962
    """
    if len(rec) < 2:
        return math.nan
    hover, oor = _air_split(rec, max_gap_periods)
    return oor / (hover + oor) if hover + oor > 0 else math.nan


@metric(unit="1", better=None, depends_on_text=True, label='Strokes')
def stroke_count(rec: Recording) -> float:
    """Number of strokes (pen-down runs).

    Parameters
    ----------
    rec : Recording

    Returns
    -------
    float
        Count (0 when the pen never touches the surface).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3], x=[0] * 4, y=[0] * 4, pen_down=[1, 0, 1, 1])
    >>> stroke_count(rec)
    2.0
    """
    return float(rec.n_strokes)


@metric(unit="count", better=None, needs=("t", "eraser_down"), depends_on_text=True, label="Eraser uses")
def eraser_count(rec: Recording) -> float:
    """Number of eraser contacts (runs of ``extra["eraser_down"]``).

    Eraser contacts are not handwriting: they never count as strokes or ink (see
    "What counts as ink" in :mod:`penmotor.recording`); this counts them instead.

    Returns
    -------
    float
        Count; NaN when the recording has no eraser information (no ``eraser`` channel).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=range(6), x=range(6), y=[0] * 6, pen_down=[1, 1, 0, 1, 0, 1],
    ...                             extra={"eraser": [0, 0, 1, 1, 1, 1]})
    >>> stroke_count(rec), eraser_count(rec)
    (1.0, 2.0)
    """
    down = rec.extra.get("eraser_down")
    if down is None:
        return math.nan
    m = np.concatenate(([False], np.asarray(down) > 0, [False]))
    return float(np.count_nonzero(m[1:] & ~m[:-1]))


def pen_lifts(rec: Recording) -> int:
    """Number of pen lifts: transitions from the surface into the air.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0] * 5, y=[0] * 5,
    ...                             pen_down=[1, 0, 1, 1, 0])
    >>> pen_lifts(rec)
    2
    """
    pd = rec.pen_down
    return int(np.count_nonzero(pd[:-1] & ~pd[1:]))


@metric(unit="1/s", better="lower", depends_on_text=True, label='Pen lifts per second')
def pen_lifts_per_s(rec: Recording) -> float:
    """Pen lifts per second of recording.

    Returns
    -------
    float
        1/s; NaN for a recording of zero duration.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0] * 5, y=[0] * 5,
    ...                             pen_down=[1, 0, 1, 1, 0])
    >>> pen_lifts_per_s(rec)
    0.5
    """
    d = duration_total(rec)
    return pen_lifts(rec) / d if d > 0 else math.nan


def _ink_length(rec: Recording) -> float:
    """On-surface path length (mm): the per-stroke lengths shared with the geometry family."""
    if len(rec) < 2 or not rec.pen_down.any():
        return 0.0
    return float(stroke_extents(rec)[0].sum())


@metric(unit="1/(100 mm)", better="lower", depends_on_text=True, label='Pen lifts per 100 mm of ink')
def pen_lifts_per_100mm(rec: Recording) -> float:
    """Pen lifts per 100 mm of ink (on-surface path length).

    Returns
    -------
    float
        Lifts per 100 mm; NaN without ink.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3], x=[0, 50, 60, 110], y=[0] * 4,
    ...                             pen_down=[1, 1, 0, 0])
    >>> pen_lifts_per_100mm(rec)
    2.0
    """
    ink = _ink_length(rec)
    return 100.0 * pen_lifts(rec) / ink if ink > 0 else math.nan


def pause_runs(
    rec: Recording,
    *,
    speed_threshold_mm_s: float = 5.0,
    min_pause_s: float = 0.15,
    rate_hz: float = 200.0,
) -> np.ndarray:
    """Durations of the on-surface pauses: pen on the paper, moving slower than a threshold.

    A pause is a run of the smoothed on-surface speed (uniformly resampled at
    `rate_hz`, see :func:`penmotor.signal.kinematics`) below `speed_threshold_mm_s`
    lasting at least `min_pause_s`; runs never cross a pen lift.

    Parameters
    ----------
    rec : Recording
    speed_threshold_mm_s : float
        Speed below which the pen counts as still (mm/s).
    min_pause_s : float
        Minimum duration of a pause (s).
    rate_hz : float
        Resampling rate of the speed signal (Hz).

    Returns
    -------
    ndarray
        Duration of each pause in seconds (empty when there is none).

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 3, 0.005)
    >>> x = np.where(t < 1, 20 * t, np.where(t < 2, 20.0, 20 + 20 * (t - 2)))  # still for 1 s
    >>> rec = Recording.from_arrays(t=t, x=x, y=np.zeros_like(t))
    >>> [round(float(d), 1) for d in pause_runs(rec)]
    [1.0]
    """
    if not speed_threshold_mm_s > 0:
        raise ParameterError(f"speed_threshold_mm_s: expected > 0, got {speed_threshold_mm_s!r}")
    if not min_pause_s >= 0:
        raise ParameterError(f"min_pause_s: expected >= 0, got {min_pause_s!r}")
    key = ("temporal.pause_runs", float(speed_threshold_mm_s), float(min_pause_s), float(rate_hz))
    # cached (three metrics read it); the caller gets its own copy
    return rec.cached(key, lambda: _pause_runs(rec, speed_threshold_mm_s, min_pause_s, rate_hz)).copy()


def _pause_runs(rec: Recording, speed_threshold_mm_s: float, min_pause_s: float, rate_hz: float) -> np.ndarray:
    from ..signal import DEFAULT_CUTOFF_HZ
    from .kinematics import phase_trace

    tr = phase_trace(rec, "down", "smooth", rate_hz, DEFAULT_CUTOFF_HZ)
    speed = np.asarray(tr.speed)
    if speed.size == 0:
        return np.empty(0)
    slow = speed < speed_threshold_mm_s
    seg_start = np.zeros(speed.size, dtype=bool)
    seg_start[np.asarray(tr.starts, dtype=np.intp)] = True
    prev = np.concatenate(([False], slow[:-1]))
    run_start = slow & (~prev | seg_start)
    if not run_start.any():
        return np.empty(0)
    rid = np.cumsum(run_start)[slow] - 1
    counts = np.bincount(rid)
    dur = counts / float(rate_hz)
    return dur[dur >= min_pause_s - 0.5 / rate_hz]


def _pauses(rec: Recording, speed_threshold_mm_s: float, min_pause_s: float, rate_hz: float) -> np.ndarray | None:
    """:func:`pause_runs`, or None when there is no ink to pause on (the metrics' NaN case)."""
    if len(rec) < 2 or not rec.pen_down.any():
        return None
    return pause_runs(rec, speed_threshold_mm_s=speed_threshold_mm_s, min_pause_s=min_pause_s, rate_hz=rate_hz)


@metric(unit="1", better="lower", depends_on_text=True, label='Pauses')
def pause_count(
    rec: Recording, *, speed_threshold_mm_s: float = 5.0, min_pause_s: float = 0.15, rate_hz: float = 200.0
) -> float:
    """Number of on-surface pauses (see :func:`pause_runs`).

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 3, 0.005)
    >>> x = np.where(t < 1, 20 * t, np.where(t < 2, 20.0, 20 + 20 * (t - 2)))
    >>> pause_count(Recording.from_arrays(t=t, x=x, y=np.zeros_like(t)))
    1.0
    """
    runs = _pauses(rec, speed_threshold_mm_s, min_pause_s, rate_hz)
    return math.nan if runs is None else float(runs.size)


@metric(unit="s", better="lower", depends_on_text=True, label='Pause time')
def pause_time(
    rec: Recording, *, speed_threshold_mm_s: float = 5.0, min_pause_s: float = 0.15, rate_hz: float = 200.0
) -> float:
    """Total duration of the on-surface pauses (see :func:`pause_runs`).

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 3, 0.005)
    >>> x = np.where(t < 1, 20 * t, np.where(t < 2, 20.0, 20 + 20 * (t - 2)))
    >>> round(pause_time(Recording.from_arrays(t=t, x=x, y=np.zeros_like(t))), 1)
    1.0
    """
    runs = _pauses(rec, speed_threshold_mm_s, min_pause_s, rate_hz)
    return math.nan if runs is None else float(runs.sum())


@metric(unit="1", better="lower", label='Share of time paused')
def pause_ratio(
    rec: Recording, *, speed_threshold_mm_s: float = 5.0, min_pause_s: float = 0.15, rate_hz: float = 200.0
) -> float:
    """Share of the on-surface time spent in pauses (see :func:`pause_runs`).

    Examples
    --------
    >>> import numpy as np
    >>> from penmotor import Recording
    >>> t = np.arange(0, 3, 0.005)
    >>> x = np.where(t < 1, 20 * t, np.where(t < 2, 20.0, 20 + 20 * (t - 2)))
    >>> round(pause_ratio(Recording.from_arrays(t=t, x=x, y=np.zeros_like(t))), 1)
    0.3
    """
    on = duration_on_surface(rec)
    if not on > 0:
        return math.nan
    return pause_time(rec, speed_threshold_mm_s=speed_threshold_mm_s,
                      min_pause_s=min_pause_s, rate_hz=rate_hz) / on


@metric(unit="1/s", better=None, depends_on_text=True, label='Tempo (strokes per second)')
def tempo(rec: Recording) -> float:
    """Writing tempo: strokes per second of recording.

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0] * 5, y=[0] * 5,
    ...                             pen_down=[1, 0, 1, 0, 1])
    >>> tempo(rec)
    0.75
    """
    d = duration_total(rec)
    return rec.n_strokes / d if d > 0 else math.nan
