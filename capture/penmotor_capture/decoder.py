"""The pure evdev decoder: (time, type, code, value) events -> pen samples.

Rules (the same for live evdev and evemu replay):

* a **frame** ends at ``SYN_REPORT``; its time is the SYN_REPORT time stamp;
* axis and key **state is kept** across frames (the kernel only re-sends changed axes);
  within a frame the last value of a code wins;
* an axis is **NaN until the device reports it** (a declared axis that never reports stays
  NaN; nothing is filled in from ``absinfo``);
* a tool is **in range** (proximity) while one of its ``BTN_TOOL_*`` keys is down; before any
  tool key was seen (pen already in range when recording started, or a cheap tablet with no
  tool keys, e.g. UC-Logic) it is assumed in range;
* the **tool** is the first ``BTN_TOOL_*`` key that is down, as an index into
  :data:`~.events.TOOL_NAMES` (pen, eraser, brush, pencil, airbrush, mouse, lens; ``pen``
  for devices without tool keys); ``serial`` is the last ``MSC_SERIAL`` (NaN until sent);
* **contact** is ``BTN_TOUCH`` once it has been seen (the device's own tip threshold),
  else ``pressure > pressure_min``; contact exists **only in range**: a frame out of range
  releases it, and a ``BTN_TOUCH`` still down when the tool comes back does not count until
  the device presses it again (buggy tablets that leave proximity with the tip down);
* **eraser** is "tool is the eraser"; **buttons** is a bit mask (1 = ``BTN_STYLUS``,
  2 = ``BTN_STYLUS2``);
* a frame gives **one sample** when a tool is in range and x and y are known; frames
  leaving range (where Wacom zeroes every axis) give none, so no sample sits at a
  zeroed or never-set position;
* a frame holding ``SYN_DROPPED`` is discarded (its events are not applied) and counted
  in :attr:`Decoder.dropped_frames`;
* ``ABS_MISC`` and anything else is ignored.

Values stay in device units (y grows downward as on the device); :mod:`.convert`
turns them into a :class:`penmotor.Recording` via ``Recording.from_raw``.
Everything is vectorised over events (``np.searchsorted`` per tracked code).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .events import (
    ABS_DISTANCE, ABS_PRESSURE, ABS_TILT_X, ABS_TILT_Y, ABS_X, ABS_Y, BTN_STYLUS, BTN_STYLUS2,
    BTN_TOUCH, EV_ABS, EV_KEY, EV_MSC, EV_SYN, MSC_SERIAL, SYN_DROPPED, SYN_REPORT, TOOL_KEYS,
    DeviceInfo,
)

__all__ = ["PenSample", "SAMPLE_DTYPE", "Decoder", "decode", "empty_samples"]


class PenSample(NamedTuple):
    """One pen sample (a row of a :data:`SAMPLE_DTYPE` array), in device units.

    Attributes
    ----------
    t_us : int
        Time stamp in microseconds (kernel monotonic clock for live evdev, the file's
        clock for replay, the event loop's monotonic clock for the mouse fallback).
    x, y : float
        Position in device units (y grows downward).
    pressure, tilt_x, tilt_y, distance : float
        Device units; NaN when the device has no such axis or it is not yet known.
    in_range, contact, eraser : bool
        Tool in proximity; touching the surface; the tool is the eraser.
    buttons : int
        Side buttons bit mask (1 = BTN_STYLUS, 2 = BTN_STYLUS2).
    tool : int
        Index into :data:`~penmotor_capture.events.TOOL_NAMES` (0 = pen).
    serial : float
        Tool serial number (``MSC_SERIAL``), NaN when the device sends none.
    attempt : int
        Task attempt the session filed the sample under (0 from the sources).
    """

    t_us: int
    x: float
    y: float
    pressure: float
    tilt_x: float
    tilt_y: float
    distance: float
    in_range: bool
    contact: bool
    eraser: bool
    buttons: int
    tool: int = 0
    serial: float = float("nan")
    attempt: int = 0


#: The structured dtype of sample blocks: the fields of :class:`PenSample`.
SAMPLE_DTYPE = np.dtype([
    ("t_us", "<i8"), ("x", "<f8"), ("y", "<f8"), ("pressure", "<f8"), ("tilt_x", "<f8"),
    ("tilt_y", "<f8"), ("distance", "<f8"), ("in_range", "?"), ("contact", "?"), ("eraser", "?"),
    ("buttons", "u1"), ("tool", "u1"), ("serial", "<f8"), ("attempt", "<u2"),
])


def empty_samples(n: int = 0) -> np.ndarray:
    """A block of `n` samples (NaN axes, False flags).

    Examples
    --------
    >>> empty_samples(2)["pressure"]
    array([nan, nan])
    """
    a = np.zeros(n, SAMPLE_DTYPE)
    for f in ("x", "y", "pressure", "tilt_x", "tilt_y", "distance", "serial"):
        a[f] = np.nan
    return a


_ABS = {"x": ABS_X, "y": ABS_Y, "pressure": ABS_PRESSURE, "tilt_x": ABS_TILT_X, "tilt_y": ABS_TILT_Y,
        "distance": ABS_DISTANCE}
_KEYS = (*TOOL_KEYS, BTN_TOUCH, BTN_STYLUS, BTN_STYLUS2)


class Decoder:
    """Streaming form of :func:`decode`: feed event chunks, get sample blocks.

    Holds only the axis/key state and the events of an unfinished frame, so feeding a
    stream in any chunking gives exactly the samples of one :func:`decode` call.

    Parameters
    ----------
    pressure_min : float
        Raw pressure at or below which the pen is not touching (when the device
        sends no BTN_TOUCH). Use the absinfo minimum.
    initial : dict, optional
        Known state at start: ``{"x": .., "pressure": .., BTN_TOUCH: 1, ...}`` (axis names
        or key codes), e.g. from ``absinfo.value`` and ``active_keys()`` of a live device.

    Examples
    --------
    >>> dec = Decoder()
    >>> s = dec.feed([0, 0, 0, 10, 10], [3, 3, 0, 3, 0], [0, 1, 0, 0, 0], [5, 7, 0, 6, 0])
    >>> s["t_us"].tolist(), s["x"].tolist(), s["y"].tolist()
    ([0, 10], [5.0, 6.0], [7.0, 7.0])
    """

    def __init__(self, *, pressure_min: float = 0.0, initial: dict[Any, float] | None = None) -> None:
        self.pressure_min = float(pressure_min)
        self.state: dict[Any, float] = {k: np.nan for k in (*_ABS, *_KEYS, "serial")}
        for k, v in (initial or {}).items():
            if k not in self.state:
                raise KeyError(f"initial: unknown state key {k!r}")
            self.state[k] = float(v)
        self._tail: tuple[np.ndarray, ...] = tuple(np.zeros(0, d) for d in ("<i8", "<u2", "<u2", "<i8"))
        self.frames = 0
        self.dropped_frames = 0
        # contact latch: frame number of the last BTN_TOUCH press and of the last out-of-range
        # frame (numbered from 1; the initial BTN_TOUCH state counts as pressed at frame 0)
        self._last_press = 0
        self._last_out = -1

    @classmethod
    def for_device(cls, info: DeviceInfo, **kw: Any) -> "Decoder":
        """A decoder set up from the device capabilities.

        On a device that has ``BTN_TOUCH`` contact is "not touching" until BTN_TOUCH says
        otherwise (Wacom sends a few low-pressure glitches in hover before the touch
        threshold). Axes start unknown (NaN) until the device reports them.
        """
        p = info.absinfo.get(ABS_PRESSURE)
        initial: dict[Any, float] = {}
        if BTN_TOUCH in info.keys:
            initial[BTN_TOUCH] = 0  # a device that has BTN_TOUCH signals contact with it
        initial.update(kw.pop("initial", None) or {})
        return cls(pressure_min=p.min if p is not None else 0.0, initial=initial, **kw)

    def feed(self, t_us: Any, type: Any, code: Any, value: Any) -> np.ndarray:
        """Decode a chunk of events; returns the samples of the frames it completes."""
        t = np.concatenate((self._tail[0], np.asarray(t_us, dtype=np.int64).reshape(-1)))
        ty = np.concatenate((self._tail[1], np.asarray(type, dtype=np.uint16).reshape(-1)))
        co = np.concatenate((self._tail[2], np.asarray(code, dtype=np.uint16).reshape(-1)))
        va = np.concatenate((self._tail[3], np.asarray(value, dtype=np.int64).reshape(-1)))
        if not (t.shape == ty.shape == co.shape == va.shape):
            raise ValueError("t_us, type, code and value must have the same length")
        syn = ty == EV_SYN
        report = syn & (co == SYN_REPORT)
        ends = np.flatnonzero(report)
        if ends.size == 0:
            self._tail = (t, ty, co, va)
            return empty_samples(0)
        last = int(ends[-1]) + 1
        self._tail = (t[last:], ty[last:], co[last:], va[last:])
        t, ty, co, va, report = t[:last], ty[:last], co[:last], va[:last], report[:last]
        nf = ends.size
        # frame index of every event; frames holding SYN_DROPPED are discarded whole
        fid = np.cumsum(report) - report
        dropped_frames = np.zeros(nf, bool)
        dropped_frames[fid[syn[:last] & (co == SYN_DROPPED)]] = True
        ok = ~dropped_frames[fid]
        self.dropped_frames += int(dropped_frames.sum())

        def track(evtype: int, c: int, key: Any) -> np.ndarray:
            idx = np.flatnonzero(ok & (ty == evtype) & (co == c))
            if idx.size == 0:
                return np.full(nf, self.state[key])
            pos = np.searchsorted(idx, ends) - 1
            vals = va[idx[np.maximum(pos, 0)]].astype(np.float64)
            vals[pos < 0] = self.state[key]
            self.state[key] = float(vals[-1])
            return vals

        ax = {k: track(EV_ABS, c, k) for k, c in _ABS.items()}
        keys = {c: track(EV_KEY, c, c) for c in _KEYS}
        serial = track(EV_MSC, MSC_SERIAL, "serial")

        tools = np.stack([keys[c] for c in TOOL_KEYS])
        down = tools == 1
        tool_known = np.isfinite(tools).any(axis=0)
        in_range = down.any(axis=0) | ~tool_known
        tool = np.where(down.any(axis=0), np.argmax(down, axis=0), 0)
        # contact latch (see the module docstring): BTN_TOUCH counts only if pressed after the
        # last out-of-range frame
        fno = self.frames + 1 + np.arange(nf)
        pressed = np.zeros(nf, bool)
        pidx = np.flatnonzero(ok & (ty == EV_KEY) & (co == BTN_TOUCH) & (va == 1))
        pressed[fid[pidx]] = True
        last_press = np.maximum.accumulate(np.where(pressed, fno, self._last_press))
        last_out = np.maximum.accumulate(np.where(~in_range & ~dropped_frames, fno, self._last_out))
        self._last_press, self._last_out = int(last_press[-1]), int(last_out[-1])
        self.frames += nf
        touch = keys[BTN_TOUCH]
        touch_known = np.isfinite(touch)
        contact = in_range & np.where(touch_known, (touch == 1) & (last_press > last_out),
                                      ax["pressure"] > self.pressure_min)
        emit = in_range & np.isfinite(ax["x"]) & np.isfinite(ax["y"]) & ~dropped_frames
        out = np.zeros(int(emit.sum()), SAMPLE_DTYPE)
        out["t_us"] = t[ends[emit]]
        for k in _ABS:
            out[k] = ax[k][emit]
        out["in_range"] = True
        out["contact"] = contact[emit]
        out["tool"] = tool[emit]
        out["eraser"] = out["tool"] == 1
        out["serial"] = np.where(np.isfinite(serial[emit]), np.mod(serial[emit], 2.0**32), np.nan)
        out["buttons"] = (keys[BTN_STYLUS][emit] == 1) * 1 + (keys[BTN_STYLUS2][emit] == 1) * 2
        return out

    @property
    def pending_events(self) -> int:
        """Events of the unfinished frame held for the next :meth:`feed`."""
        return int(self._tail[0].shape[0])


def decode(t_us: Any, type: Any, code: Any, value: Any, *, pressure_min: float = 0.0,
           initial: dict[Any, float] | None = None) -> np.ndarray:
    """Decode a whole event stream to samples (one per complete in-range frame).

    Parameters
    ----------
    t_us, type, code, value : array_like
        The events: time in microseconds, event type, code and value.
    pressure_min : float
        Raw pressure meaning "not touching" when no BTN_TOUCH is sent.
    initial : dict, optional
        Known state at the start (see :class:`Decoder`).

    Returns
    -------
    ndarray of SAMPLE_DTYPE
        See :class:`PenSample`. Events after the last SYN_REPORT are ignored.

    Examples
    --------
    >>> # pen comes in range, touches with pressure 300, lifts, leaves (Wacom zeroes axes)
    >>> ev = [(0, 3, 0, 100), (0, 3, 1, 200), (0, 1, 0x140, 1), (0, 0, 0, 0),
    ...       (4000, 3, 0x18, 300), (4000, 1, 0x14a, 1), (4000, 0, 0, 0),
    ...       (8000, 3, 0, 110), (8000, 0, 0, 0),
    ...       (12000, 3, 0x18, 0), (12000, 1, 0x14a, 0), (12000, 0, 0, 0),
    ...       (16000, 3, 0, 0), (16000, 1, 0x140, 0), (16000, 0, 0, 0)]
    >>> s = decode(*zip(*ev))
    >>> s["x"].tolist(), s["contact"].tolist(), s["pressure"].tolist()
    ([100.0, 100.0, 110.0, 110.0], [False, True, True, False], [nan, 300.0, 300.0, 0.0])
    """
    return Decoder(pressure_min=pressure_min, initial=initial).feed(t_us, type, code, value)
