"""Stroke-to-stroke consistency: how much strokes, up/down-strokes, pen lifts and pauses vary.

Means and totals say how a child writes on average; the spread from one stroke to the
next says how automated the movement is. Every quantity here is measured per unit
(stroke, pen lift, up/down-stroke, pause) and summarised across units.

Units
-----
* **strokes** (pen-down runs, on the original samples): duration ``t[last] - t[first]``
  (s), path length, width (horizontal extent) and height (vertical extent) (mm, from
  :func:`penmotor.metrics.geometry.stroke_extents`);
* **pen lifts** (from one stroke's last contact sample to the next stroke's first):
  duration (s, including any out-of-range time) and travel, the straight distance from
  the lift-off point to the next touch-down (mm: defined even when the pen left the
  tablet's range in between);
* **up/down-strokes**: the pieces of the smoothed pen-down trace
  (:func:`penmotor.signal.kinematics`) between sign changes of the vertical velocity,
  as for :func:`penmotor.metrics.kinematics.niv`; pieces shorter than
  `min_duration_s` or lower than `min_height_mm` are left out (jitter, flat joins).
  Each has a duration (s), vertical size and horizontal extent (mm) and a peak speed
  (mm/s);
* **vertical peaks**: the turning points from an up-stroke into a down-stroke of the
  same stroke (the tops of the letters); the intervals between successive peaks of a
  stroke measure the writing rhythm, their CV its isochrony;
* **pauses**: on-surface stops (:func:`penmotor.metrics.temporal.pause_runs`, always
  within a word) and pen lifts lasting at least `min_pause_s`, located within a word,
  between words or between lines by :func:`penmotor.segment.lift_locations`.

Statistics
----------
``median``, ``sd`` (population SD, ``ddof=0``), ``cv`` (SD / mean) and ``p95`` (95th
percentile) across units; ``mean`` for the up/down-strokes. SD and CV need at least two
units, the others one; otherwise NaN.

Log scale
---------
Durations of strokes, pen lifts and pauses are right-skewed with heavy tails (a few
long hesitations next to many short lifts): their SD is dominated by the longest one.
``*_log_sd`` is the SD of their natural logarithm (the log of the geometric SD): a
scale-free spread, 0.1 ~ 10 % variation, that a single long pause moves little. Counts
(pauses per location) are per recording and stay on their natural scale; take
``log1p`` across recordings when pooling children whose counts differ tenfold.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from .. import signal
from .._stats import hypot
from ..errors import ParameterError
from ..recording import Recording
from ..registry import metric
from ..segment import BETWEEN_LINES, BETWEEN_WORDS, WITHIN_WORD, lift_locations
from .geometry import stroke_extents
from .sizing import stroke_lines
from .temporal import pause_runs

__all__ = [
    "stroke_durations",
    "lift_measures",
    "updown_strokes",
    "peak_intervals",
    "pause_locations",
    "spread",
]

_STATS = ("median", "sd", "cv", "p95")
_UPDOWN_STATS = ("mean", "sd", "cv")


def spread(values: np.ndarray, stat: str) -> float:
    """One summary of the finite values: mean, median, sd, cv, p95 or log_sd.

    Parameters
    ----------
    values : ndarray
    stat : {"mean", "median", "sd", "cv", "p95", "log_sd"}
        ``sd`` is the population SD; ``cv`` = SD / mean (NaN for a mean <= 0);
        ``log_sd`` = SD of the natural log of the positive values.

    Returns
    -------
    float
        NaN without values (SD, CV and log-SD: fewer than two).

    Examples
    --------
    >>> v = np.array([1.0, 2.0, 4.0])
    >>> spread(v, "median"), round(spread(v, "cv"), 3), round(spread(v, "log_sd"), 3)
    (2.0, 0.535, 0.566)
    """
    out = _spreads(values)
    if stat not in out:
        raise ParameterError(f"stat: expected mean, median, sd, cv, p95 or log_sd, got {stat!r}")
    return out[stat]



def _spreads(values: np.ndarray) -> dict[str, float]:
    """Every statistic of :func:`spread` at once: one sort, plain sums (a few units per
    recording: NumPy's general percentile and variance machinery would dominate)."""
    v = np.asarray(values, dtype=np.float64)
    v = np.sort(v[np.isfinite(v)])
    n = v.size
    out = dict.fromkeys(("mean", "median", "sd", "cv", "p95", "log_sd"), math.nan)
    if n == 0:
        return out
    mean = float(v.sum()) / n
    out["mean"] = mean
    for key, p in (("median", 0.5), ("p95", 0.95)):  # linear interpolation, as np.percentile
        h = (n - 1) * p
        i = int(h)
        j = min(i + 1, n - 1)
        out[key] = float(v[i] + (v[j] - v[i]) * (h - i))
    if n >= 2:
        d = v - mean
        out["sd"] = math.sqrt(float(np.sum(d * d)) / n)
        out["cv"] = out["sd"] / mean if mean > 1e-12 else math.nan
    pos = v[v > 0]
    if pos.size >= 2:
        lg = np.log(pos)
        d = lg - float(lg.sum()) / pos.size
        out["log_sd"] = math.sqrt(float(np.sum(d * d)) / pos.size)
    return out


# ------------------------------------------------------------------------------ strokes
def stroke_durations(rec: Recording) -> np.ndarray:
    """Duration of every stroke, ``t[last] - t[first]`` of its pen-down samples (s).

    Examples
    --------
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 5], x=[0] * 5, y=[0] * 5, pen_down=[1, 1, 0, 1, 1])
    >>> stroke_durations(rec).tolist()
    [1.0, 2.0]
    """

    def compute() -> np.ndarray:
        st, sp = rec.stroke_bounds()
        return rec.t[sp - 1] - rec.t[st] if st.size else np.empty(0)

    return rec.cached(("consistency.stroke_durations",), compute)


def lift_measures(rec: Recording) -> tuple[np.ndarray, np.ndarray]:
    """Duration (s) and travel (mm) of every pen lift between two strokes.

    Duration: from the last contact sample of a stroke to the first of the next one
    (hover and out-of-range time alike). Travel: straight distance between the two.

    Returns
    -------
    duration, travel : ndarray, shape (max(n_strokes - 1, 0),)

    Examples
    --------
    >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 5], x=[0, 1, 2, 4, 5], y=[0, 0, 9, 4, 0],
    ...                             pen_down=[1, 1, 0, 1, 1])
    >>> [a.tolist() for a in lift_measures(rec)]
    [[2.0], [5.0]]
    """

    def compute() -> tuple[np.ndarray, np.ndarray]:
        st, sp = rec.stroke_bounds()
        if st.size < 2:
            return np.empty(0), np.empty(0)
        a, b = sp[:-1] - 1, st[1:]
        return rec.t[b] - rec.t[a], hypot(rec.x[b] - rec.x[a], rec.y[b] - rec.y[a])

    return rec.cached(("consistency.lift_measures",), compute)


def _stroke_quantity(rec: Recording, quantity: str) -> np.ndarray:
    if quantity == "stroke_duration":
        return stroke_durations(rec)
    if quantity in ("stroke_length", "stroke_width", "stroke_height"):
        return stroke_extents(rec)[("stroke_length", "stroke_width", "stroke_height").index(quantity)]
    if quantity in ("lift_duration", "lift_travel"):
        return lift_measures(rec)[quantity == "lift_travel"]
    raise ParameterError(f"quantity: unknown {quantity!r}")  # pragma: no cover - internal


# ---------------------------------------------------------------------- up/down-strokes
def updown_strokes(
    rec: Recording,
    *,
    min_duration_s: float = 0.05,
    min_height_mm: float = 0.5,
    rate_hz: float = signal.DEFAULT_RATE_HZ,
    cutoff_hz: float = signal.DEFAULT_CUTOFF_HZ,
) -> dict[str, np.ndarray]:
    """Up- and down-strokes: pieces of the smoothed pen-down trace between vertical-velocity sign changes.

    Parameters
    ----------
    rec : Recording
    min_duration_s : float
        Shorter pieces are left out (s).
    min_height_mm : float
        Pieces of a smaller vertical size are left out (mm).
    rate_hz, cutoff_hz : float
        Passed to :func:`penmotor.signal.kinematics`.

    Returns
    -------
    dict of str to ndarray
        One entry per kept piece, in writing order: ``duration`` (s), ``height``
        (vertical size, mm), ``width`` (horizontal extent, mm), ``peak_speed`` (mm/s),
        ``up`` (bool: the pen moved upward), ``start`` (s: time of the first sample),
        ``stroke`` (index of the stroke it belongs to). Cached per recording.

    Examples
    --------
    >>> t = np.arange(0, 2, 0.005)
    >>> rec = Recording.from_arrays(t=t, x=5 * t, y=-5 * np.cos(2 * np.pi * t))   # 1 Hz up and down
    >>> ud = updown_strokes(rec)
    >>> ud["up"].tolist(), np.round(ud["height"], 1).tolist()
    ([True, False, True, False], [10.0, 10.0, 10.0, 10.0])
    """
    if not (min_duration_s >= 0 and min_height_mm >= 0):
        raise ParameterError(f"min_duration_s, min_height_mm: expected >= 0, got {min_duration_s!r}, {min_height_mm!r}")
    key = ("consistency.updown", float(min_duration_s), float(min_height_mm), float(rate_hz), float(cutoff_hz))
    return rec.cached(key, lambda: _updown(rec, min_duration_s, min_height_mm, rate_hz, cutoff_hz))


def _updown(rec: Recording, min_duration_s: float, min_height_mm: float, rate_hz: float,
            cutoff_hz: float) -> dict[str, np.ndarray]:
    names = ("duration", "height", "width", "peak_speed", "start")
    empty = {k: np.empty(0) for k in names} | {"up": np.empty(0, dtype=bool), "stroke": np.empty(0, dtype=np.intp)}
    if len(rec) < 2 or not rec.pen_down.any():
        return empty
    tr = signal.kinematics(rec, phase="down", mode="smooth", rate_hz=rate_hz, cutoff_hz=cutoff_hz)
    n = len(tr)
    if n < 2:
        return empty
    seg = tr.segment_of()
    sign = np.sign(tr.vy)
    cut = np.zeros(n, dtype=bool)
    cut[tr.starts[tr.stops > tr.starts]] = True
    cut[1:] |= sign[1:] * sign[:-1] < 0
    ps = np.flatnonzero(cut)
    pe = np.append(ps[1:], n)
    y, x = tr.y, tr.x
    height = np.maximum.reduceat(y, ps) - np.minimum.reduceat(y, ps)
    width = np.maximum.reduceat(x, ps) - np.minimum.reduceat(x, ps)
    peak = np.maximum.reduceat(tr.speed, ps)
    duration = (pe - ps) / float(rate_hz)
    keep = (duration >= min_duration_s) & (height >= min_height_mm)
    return {
        "duration": duration[keep],
        "height": height[keep],
        "width": width[keep],
        "peak_speed": peak[keep],
        "up": (y[pe - 1] > y[ps])[keep],
        "start": tr.t[ps][keep],
        "stroke": tr.seg_index[seg[ps]][keep],
    }


def peak_intervals(
    rec: Recording,
    *,
    min_duration_s: float = 0.05,
    min_height_mm: float = 0.5,
) -> np.ndarray:
    """Time between successive vertical peaks of the same stroke (s): the writing rhythm.

    A vertical peak is where a kept up-stroke is followed by a kept down-stroke of the
    same stroke (:func:`updown_strokes`), timed at the start of the down-stroke.

    Examples
    --------
    >>> t = np.arange(0, 3, 0.005)
    >>> rec = Recording.from_arrays(t=t, x=5 * t, y=-5 * np.cos(2 * np.pi * 1.5 * t))  # 1.5 Hz
    >>> pi = peak_intervals(rec)                              # peaks every 2/3 s
    >>> pi.size, bool(np.allclose(pi, 2 / 3, atol=0.01))
    (3, True)
    """
    ud = updown_strokes(rec, min_duration_s=min_duration_s, min_height_mm=min_height_mm)
    up, stroke = ud["up"], ud["stroke"]
    if up.size < 2:
        return np.empty(0)
    is_peak = up[:-1] & ~up[1:] & (stroke[:-1] == stroke[1:])
    pk_t = ud["start"][1:][is_peak]
    pk_s = stroke[1:][is_peak]
    if pk_t.size < 2:
        return np.empty(0)
    return np.diff(pk_t)[pk_s[1:] == pk_s[:-1]]


# ------------------------------------------------------------------------------ pauses
def pause_locations(
    rec: Recording,
    *,
    min_pause_s: float = 0.15,
    speed_threshold_mm_s: float = 5.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Every pause and where it happens: on-surface stops and pen lifts of at least `min_pause_s`.

    On-surface stops (:func:`penmotor.metrics.temporal.pause_runs`) happen within a
    stroke, so within a word; pen lifts are located by
    :func:`penmotor.segment.lift_locations`, with the text lines of
    :func:`penmotor.metrics.sizing.stroke_lines` (the page's line finder) where the
    recording is text, and its gap rule for words within a line.

    Returns
    -------
    duration : ndarray
        Seconds, stops first, then lifts in writing order.
    location : ndarray of int
        :data:`penmotor.segment.WITHIN_WORD`, ``BETWEEN_WORDS`` or ``BETWEEN_LINES``.

    Examples
    --------
    >>> from penmotor import synth
    >>> rec = synth.handwriting("ab cd", seed=0, pause_scale=3.0)
    >>> d, where = pause_locations(rec)
    >>> where.tolist()
    [0, 1, 0]
    """

    def compute() -> tuple[np.ndarray, np.ndarray]:
        stops = pause_runs(rec, speed_threshold_mm_s=speed_threshold_mm_s, min_pause_s=min_pause_s)
        lift_d, _ = lift_measures(rec)
        line = stroke_lines(rec)  # the text lines of the page (empty for a non-text task)
        loc = lift_locations(rec, line=line if line.size == rec.n_strokes and line.size else None)
        long = lift_d >= min_pause_s
        d = np.concatenate((stops, lift_d[long]))
        where = np.concatenate((np.full(stops.size, WITHIN_WORD, dtype=np.intp), loc[long]))
        return d, where

    if len(rec) < 2 or not rec.pen_down.any():
        return np.empty(0), np.empty(0, dtype=np.intp)
    return rec.cached(("consistency.pauses", float(min_pause_s), float(speed_threshold_mm_s)), compute)


# ----------------------------------------------------------------------- registration
_WHAT = {
    "stroke_duration": ("s", "stroke durations"),
    "stroke_length": ("mm", "stroke path lengths"),
    "stroke_width": ("mm", "stroke widths (horizontal extent)"),
    "stroke_height": ("mm", "stroke heights (vertical extent)"),
    "lift_duration": ("s", "pen-lift durations (last contact to next touch-down)"),
    "lift_travel": ("mm", "pen-lift travel (straight distance from lift-off to next touch-down)"),
}
_STAT_TEXT = {"median": "Median of the", "sd": "SD of the", "cv": "CV (SD / mean) of the",
              "p95": "95th percentile of the", "mean": "Mean of the", "log_sd": "SD of the log of the"}


_STAT_LABEL = {"median": "median", "sd": "SD", "cv": "variation, CV", "p95": "95th percentile", "mean": "mean",
               "log_sd": "spread, log SD"}
_QUANTITY_LABEL = {"stroke": "Stroke", "lift": "Pen-lift", "updown": "Up/down-stroke"}


def _label(name: str) -> str:
    """Plain-language label of a generated name: ``stroke_duration_cv`` -> "Stroke duration (variation, CV)"."""
    for stat in sorted(_STAT_LABEL, key=len, reverse=True):
        if name.endswith("_" + stat):
            head, what = name[: -len(stat) - 1].split("_", 1)
            return f"{_QUANTITY_LABEL[head]} {what.replace('_', ' ')} ({_STAT_LABEL[stat]})"
    raise ValueError(name)  # pragma: no cover - every generated name ends with a statistic


def _register(name: str, unit: str, better: str | None, doc: str, fn: Callable[[Recording], float], *,
              label: str | None = None, depends_on_text: bool = False) -> None:
    def f(rec: Recording) -> float:
        return fn(rec)

    f.__name__ = f.__qualname__ = name
    f.__module__ = __name__
    f.__doc__ = doc
    globals()[name] = metric(unit=unit, better=better, name=name, label=label or _label(name),
                             depends_on_text=depends_on_text)(f)
    __all__.append(name)


def _example(name: str, text: str = "minimum") -> str:
    return f"""

    Examples
    --------
    >>> from penmotor import synth
    >>> rec = synth.handwriting("the {text} jumps", seed=1)
    >>> bool({name}(rec) >= 0)
    True
    """


def _stroke_metric(quantity: str, stat: str) -> None:
    unit, what = _WHAT[quantity]
    name = f"{quantity}_{stat}"
    better = "lower" if stat in ("sd", "cv", "log_sd") else None
    doc = (f"{_STAT_TEXT[stat]} {what}, across the recording ({'1' if stat in ('cv', 'log_sd') else unit}).\n\n"
           "    See :mod:`penmotor.metrics.consistency` for the definitions; NaN without enough units."
           + _example(name))

    def fn(rec: Recording) -> float:
        return rec.cached(("consistency.spreads", quantity), lambda: _spreads(_stroke_quantity(rec, quantity)))[stat]

    _register(name, "1" if stat in ("cv", "log_sd") else unit, better, doc, fn)


for _q in _WHAT:
    for _s in _STATS:
        _stroke_metric(_q, _s)
for _q in ("stroke_duration", "lift_duration"):
    _stroke_metric(_q, "log_sd")

_UD = {
    "duration": ("s", "up/down-stroke durations"),
    "height": ("mm", "up/down-stroke vertical sizes"),
    "width": ("mm", "up/down-stroke horizontal extents"),
    "peak_speed": ("mm/s", "up/down-stroke peak speeds"),
}


def _updown_metric(quantity: str, stat: str) -> None:
    unit, what = _UD[quantity]
    name = f"updown_{quantity}_{stat}"
    doc = (f"{_STAT_TEXT[stat]} {what} (pieces between vertical-velocity sign changes) "
           f"({'1' if stat == 'cv' else unit}).\n\n"
           "    See :func:`updown_strokes`; NaN without enough up/down-strokes." + _example(name))

    def fn(rec: Recording) -> float:
        return rec.cached(("consistency.spreads", "updown", quantity),
                          lambda: _spreads(updown_strokes(rec)[quantity]))[stat]

    _register(name, "1" if stat == "cv" else unit, "lower" if stat in ("sd", "cv") else None, doc, fn)


for _q in _UD:
    for _s in _UPDOWN_STATS:
        _updown_metric(_q, _s)

_register(
    "peak_interval_median", "s", None,
    "Median time between successive vertical peaks of a stroke: the writing rhythm (s).\n\n"
    "    See :func:`peak_intervals`." + _example("peak_interval_median"),
    lambda rec: spread(peak_intervals(rec), "median"), label="Writing rhythm (time between peaks)",
)
_register(
    "peak_interval_cv", "1", "lower",
    "CV of the time between successive vertical peaks: isochrony, 0 for a perfectly even rhythm.\n\n"
    "    See :func:`peak_intervals`." + _example("peak_interval_cv"),
    lambda rec: spread(peak_intervals(rec), "cv"), label="Rhythm regularity (CV of the time between peaks)",
)

_WHERE = {"within_word": WITHIN_WORD, "between_words": BETWEEN_WORDS, "between_lines": BETWEEN_LINES}
_WHERE_TEXT = {"within_word": "within a word (on-surface stops and pen lifts between letters or strokes of a word)",
               "between_words": "between words (pen lifts)", "between_lines": "between lines (pen lifts)"}


def _pause_metric(where: str, what: str) -> None:
    code = _WHERE[where]
    name = f"pause_{where}_{what}"
    unit = "1" if what == "count" else "s"
    head = "Number" if what == "count" else "Total duration"
    doc = (f"{head} of the pauses of at least 0.15 s {_WHERE_TEXT[where]} ({unit}).\n\n"
           "    See :func:`pause_locations`; word and line breaks from :func:`penmotor.segment.lift_locations`."
           + _example(name, "quick brown fox"))

    def fn(rec: Recording) -> float:
        if len(rec) < 2 or not rec.pen_down.any():
            return math.nan
        d, loc = pause_locations(rec)
        sel = d[loc == code]
        return float(sel.size) if what == "count" else float(sel.sum())

    place = where.replace("_", " ").replace("within word", "within words")
    _register(name, unit, "lower", doc, fn, depends_on_text=True,
              label=f"Pauses {place}" if what == "count" else f"Pause time {place}")


for _w in _WHERE:
    for _what in ("count", "time"):
        _pause_metric(_w, _what)


def _all_stops(rec: Recording) -> float:
    if len(rec) < 2 or not rec.pen_down.any():
        return math.nan
    return spread(pause_locations(rec)[0], "log_sd")


_register(
    "pause_duration_log_sd", "1", "lower",
    "Spread of the pause durations: SD of the log of every stop and pen-lift pause (>= 0.15 s).\n\n"
    "    Scale-free (0.1 ~ 10 % variation); see :func:`pause_locations`." + _example("pause_duration_log_sd"),
    _all_stops, label="Spread of pause durations (log SD)",
)
del _q, _s, _w, _what
