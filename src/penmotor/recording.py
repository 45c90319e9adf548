"""The one data model for pen recordings: :class:`Recording` (devices: :mod:`penmotor.devices`).

Units are part of the API:

* ``t`` -- seconds, starting at 0 at the first sample;
* ``x``, ``y`` -- millimetres, **y grows upward** on the page (as in Wintab and SVC
  files; sources whose y grows downward -- evdev, screens, images -- flip it on the
  way in, see ``y_down`` in :meth:`Recording.from_raw`);
* ``pressure`` -- normalised 0..1 (NaN where the device has no pressure channel),
  the raw device scale is kept in :attr:`Recording.raw` and :attr:`Recording.device`;
* ``tilt_x``, ``tilt_y`` -- degrees from vertical in the x-z and y-z planes (NaN if absent);
* ``pen_down`` -- True when the pen **inks** the surface, False in the air (hovering).

What counts as ink (the one place this is decided)
--------------------------------------------------
Eraser contacts are not handwriting. When a recording has an ``extra["eraser"]`` channel
(non-zero where the eraser end / eraser tool is in use), :meth:`Recording.from_arrays`
sets ``pen_down`` False on those samples, so every metric, stroke and segment ignores
them; the eraser's own surface contact is kept as ``extra["eraser_down"]`` (1.0 / 0.0) and
counted by the ``eraser_count`` metric. Recordings without an ``eraser`` channel are
untouched. To study the eraser strokes themselves use
``rec.replace(pen_down=rec.extra["eraser_down"] > 0)``.

Time-stamp policy (real tablets emit duplicate, out-of-order and jittered time stamps)
--------------------------------------------------------------------------------------
:meth:`Recording.from_arrays` (and so every reader) applies one documented policy:

1. non-finite time stamps are an error (never silently dropped);
2. samples are **stably sorted** by time; how many were out of order is counted;
3. **exact duplicates** -- same time stamp *and* identical values on every channel --
   are merged into one sample (the copy carries no information); counted;
4. samples sharing a time stamp but with different values are **kept** (counted as
   ``tied``); :mod:`penmotor.signal` averages them when it resamples;
5. **clock glitches** -- a step between consecutive samples (in the order they came) of
   more than :data:`GLITCH_JUMP_S` either way (a clock jump of years, a reset, a wrap), or a
   step *backwards* of more than :data:`GLITCH_BACK_S` inside a pen-down stroke -- are not
   pauses: the true interval is unknown. The recording is cut there: the samples after the
   cut are moved in time to follow those before it (two median sampling intervals later),
   and one pen-up sample (a copy of the last sample before the cut, pressure 0) is inserted
   between them, so a glitch inside a stroke splits the stroke and no velocity is measured
   across it. Counted in ``timing.glitches`` (the recording has that many more samples)
   with a :class:`~penmotor.PenmotorWarning` naming the file; the original stamps stay in
   ``raw["t"]`` when the recording came from device units. Work and memory downstream then
   follow the number of samples, not what the broken clock said;
6. nothing else is removed. The counts, the nominal rate (from the device) and the
   effective rate (from the median interval) are in :attr:`Recording.timing`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import numpy as np

from .devices import DEVICES, Device, check_device, get_device, register_device
from .errors import ParameterError, PenmotorWarning, UnitsError, as_float_array

__all__ = ["Recording", "Timing", "valid_recording", "tilt_from_azimuth_altitude",
           "GLITCH_JUMP_S", "GLITCH_BACK_S", "glitch_steps",
           # device presets live in penmotor.devices; re-exported here
           "Device", "DEVICES", "get_device", "register_device"]

#: A step between consecutive time stamps longer than this (s), forwards or backwards, is a
#: clock glitch (jump, reset, wrap), not a pause: no recording session lasts an hour.
GLITCH_JUMP_S = 3600.0
#: Inside a pen-down stroke, a step backwards longer than this (s) is a clock reset or wrap,
#: not delivery jitter (reordered packets are milliseconds apart).
GLITCH_BACK_S = 1.0

#: Channels every Recording has, in this order.
CHANNELS = ("t", "x", "y", "pressure", "tilt_x", "tilt_y", "pen_down")


@dataclass(frozen=True)
class Timing:
    """What the time-stamp policy did, and the nominal vs effective sampling rate.

    Examples
    --------
    >>> rec = Recording.from_arrays(t=[0.0, 0.02, 0.01, 0.01], x=[0, 2, 1, 1], y=[0, 0, 0, 0])
    >>> rec.timing.reordered, rec.timing.duplicates_merged
    (1, 1)
    """

    reordered: int = 0
    duplicates_merged: int = 0
    tied: int = 0
    glitches: int = 0
    nominal_rate_hz: float | None = None
    effective_rate_hz: float = float("nan")
    t0: float = 0.0


def glitch_steps(t: Any, pen_down: Any) -> np.ndarray:
    """Where the clock glitched: indices ``i`` such that the step ``t[i] - t[i-1]`` is a glitch.

    A glitch is a step of more than :data:`GLITCH_JUMP_S` in either direction, or a step
    backwards of more than :data:`GLITCH_BACK_S` between two pen-down samples (see the
    time-stamp policy in :mod:`penmotor.recording`). `t` is taken in the order the samples came.

    Parameters
    ----------
    t : array_like, shape (n,)
        Time stamps in s, in arrival order.
    pen_down : array_like of bool, shape (n,)

    Returns
    -------
    ndarray of int
        Sorted indices in ``1 .. n-1`` (empty when the clock is sane).

    Examples
    --------
    >>> glitch_steps([0.0, 0.01, 1.7e9, 1.7e9 + 0.01, 5.0], [True, True, True, True, True])
    array([2, 4])
    >>> glitch_steps([0.0, 0.01, 0.005, 0.02], [True] * 4)  # jitter: reordered, not a glitch
    array([], dtype=int64)
    """
    tt = np.asarray(t, dtype=np.float64)
    pd = np.asarray(pen_down, dtype=bool)
    if tt.size < 2:
        return np.empty(0, dtype=np.int64)
    dt = np.diff(tt)
    bad = (np.abs(dt) > GLITCH_JUMP_S) | ((dt < -GLITCH_BACK_S) & pd[1:] & pd[:-1])
    return (np.flatnonzero(bad) + 1).astype(np.int64)


def _cut_at_glitches(
    ch: dict[str, np.ndarray], rawd: dict[str, np.ndarray], extd: dict[str, np.ndarray],
    cut: np.ndarray, nominal_rate_hz: float | None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Apply rule 5 of the time-stamp policy (vectorised; `cut` from :func:`glitch_steps`)."""
    t = ch["t"]
    n = t.size
    dt = np.diff(t)
    ok = np.ones(n - 1, dtype=bool)
    ok[cut - 1] = False
    good = dt[ok & (dt > 0)]
    if good.size:
        period = float(np.median(good))
    elif nominal_rate_hz:
        period = 1.0 / nominal_rate_hz
    else:
        period = 0.01
    period = min(period, GLITCH_BACK_S)
    first = np.concatenate(([0], cut))  # first sample of each epoch (between cuts)
    epoch = np.zeros(n, dtype=np.intp)
    epoch[cut] = 1
    epoch = np.cumsum(epoch)
    lo = np.minimum.reduceat(t, first)
    span = np.maximum.reduceat(t, first) - lo
    start = lo[0] + np.concatenate(([0.0], np.cumsum(span[:-1] + 2.0 * period)))
    out = dict(ch)
    out["t"] = (t - lo[epoch]) + start[epoch]
    prev = cut - 1
    for k, v in ch.items():
        if k == "t":
            ins = start[1:] - period
        elif k == "pen_down":
            ins = np.zeros(cut.size, dtype=bool)
        elif k == "pressure":
            ins = np.where(np.isfinite(v[prev]), 0.0, np.nan)
        else:
            ins = v[prev]
        out[k] = np.insert(out[k], cut, ins)
    raw_out = {k: np.insert(v, cut, v[prev], axis=0) for k, v in rawd.items()}
    ext_out = {k: np.insert(v, cut, v[prev]) for k, v in extd.items()}
    return out, raw_out, ext_out


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.asarray(a)
    if a.flags.writeable and a.base is None:
        a.flags.writeable = False
    elif a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop indices of the True runs of a boolean mask (vectorised)."""
    m = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    d = np.diff(m.view(np.int8))
    return np.flatnonzero(d == 1), np.flatnonzero(d == -1)


def _frozen_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_runs` as read-only arrays (cached on a recording and shared by every caller)."""
    s, e = _runs(mask)
    s.flags.writeable = False
    e.flags.writeable = False
    return s, e


class Recording:
    """An immutable pen recording: struct-of-arrays over samples, with its device and meta.

    Build one with :meth:`from_arrays` (physical units) or :meth:`from_raw`
    (device units + a :class:`Device`); readers in :mod:`penmotor.io` do the latter.

    Attributes
    ----------
    t : ndarray
        Time in seconds from the first sample (non-decreasing).
    x, y : ndarray
        Position in mm, y upward.
    pressure : ndarray
        Normalised pressure 0..1 (NaN where absent).
    tilt_x, tilt_y : ndarray
        Tilt in degrees (NaN where absent).
    pen_down : ndarray of bool
        On the surface (True) or in the air (False).
    device : Device or None
    meta : Mapping
        Free metadata (subject id, task, date, source file, ...), read-only.
    raw : Mapping[str, ndarray]
        Original device-unit channels aligned with the samples, read-only.
    extra : Mapping[str, ndarray]
        Further per-sample channels in physical units (e.g. ``azimuth`` and
        ``altitude`` in degrees, ``hover_distance``, ``eraser``), read-only.
    timing : Timing

    Examples
    --------
    >>> rec = Recording.from_arrays(t=[0, .01, .02, .03], x=[0, 1, 2, 3], y=[0, 0, 0, 0],
    ...                             pen_down=[True, True, False, True])
    >>> len(rec), rec.n_strokes
    (4, 2)
    >>> [len(s) for s in rec.strokes()]
    [2, 1]
    """

    __slots__ = ("_ch", "device", "meta", "raw", "extra", "timing", "_cache", "__weakref__")

    def __init__(
        self,
        channels: Mapping[str, np.ndarray],
        *,
        device: Device | None = None,
        meta: Mapping[str, Any] | None = None,
        raw: Mapping[str, np.ndarray] | None = None,
        extra: Mapping[str, np.ndarray] | None = None,
        timing: Timing | None = None,
    ) -> None:
        # Internal constructor: arrays are trusted (use from_arrays / from_raw).
        object.__setattr__(self, "_ch", {k: _ro(channels[k]) for k in CHANNELS})
        object.__setattr__(self, "device", device)
        object.__setattr__(self, "meta", MappingProxyType(dict(meta or {})))
        object.__setattr__(self, "raw", MappingProxyType({k: _ro(v) for k, v in (raw or {}).items()}))
        object.__setattr__(self, "extra", MappingProxyType({k: _ro(v) for k, v in (extra or {}).items()}))
        object.__setattr__(self, "timing", timing or Timing())
        object.__setattr__(self, "_cache", {})

    def cached(self, key: Any, compute: Any) -> Any:
        """Memoise a derived quantity on this (immutable) recording.

        Metrics share intermediates (resampled, filtered, differentiated signals)
        through this cache so that each is computed once per recording.

        Examples
        --------
        >>> rec = Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0])
        >>> rec.cached("n", lambda: len(rec))
        2
        """
        try:
            return self._cache[key]
        except KeyError:
            v = self._cache[key] = compute()
            return v

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Recording is immutable; use .replace(...) or .with_meta(...)")

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle support (process pools, Dask): the constructor's arguments, no cache.

        Examples
        --------
        >>> import pickle
        >>> rec = Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0]).with_meta(subject="S1")
        >>> pickle.loads(pickle.dumps(rec)) == rec
        True
        """
        return (_rebuild, (dict(self._ch), self.device, dict(self.meta), dict(self.raw), dict(self.extra),
                           self.timing))

    # ------------------------------------------------------------------ channels
    @property
    def t(self) -> np.ndarray:
        """Time in s from the first sample."""
        return self._ch["t"]

    @property
    def x(self) -> np.ndarray:
        """Horizontal position in mm."""
        return self._ch["x"]

    @property
    def y(self) -> np.ndarray:
        """Vertical position in mm, growing upward."""
        return self._ch["y"]

    @property
    def pressure(self) -> np.ndarray:
        """Pressure normalised to 0..1 (NaN when the device has none)."""
        return self._ch["pressure"]

    @property
    def tilt_x(self) -> np.ndarray:
        """Tilt in the x-z plane, degrees from vertical (NaN if absent)."""
        return self._ch["tilt_x"]

    @property
    def tilt_y(self) -> np.ndarray:
        """Tilt in the y-z plane, degrees from vertical (NaN if absent)."""
        return self._ch["tilt_y"]

    @property
    def pen_down(self) -> np.ndarray:
        """True where the pen touches the surface."""
        return self._ch["pen_down"]

    def channel(self, name: str) -> np.ndarray:
        """A core channel or an :attr:`extra` channel by name.

        Examples
        --------
        >>> Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0]).channel("x")
        array([0., 1.])
        """
        if name in self._ch:
            return self._ch[name]
        if name in self.extra:
            return self.extra[name]
        raise ParameterError(f"channel: unknown channel {name!r}; have {list(CHANNELS) + list(self.extra)}")

    def has(self, name: str) -> bool:
        """Whether channel `name` exists and has at least one finite value.

        Examples
        --------
        >>> Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0]).has("pressure")
        False
        """
        if name == "pen_down":
            return len(self) > 0
        if name not in self._ch and name not in self.extra:
            return False
        a = self.channel(name)
        return bool(a.size and np.isfinite(a).any())

    # ------------------------------------------------------------- construction
    @classmethod
    def from_arrays(
        cls,
        t: Any,
        x: Any,
        y: Any,
        pressure: Any = None,
        tilt_x: Any = None,
        tilt_y: Any = None,
        pen_down: Any = None,
        *,
        device: Device | str | None = None,
        meta: Mapping[str, Any] | None = None,
        raw: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        source: str | None = None,
    ) -> "Recording":
        """Build a Recording from arrays in physical units, applying the time-stamp policy.

        Parameters
        ----------
        t : array_like
            Time stamps in seconds (any origin; shifted to start at 0, the original
            start is kept in ``timing.t0``).
        x, y : array_like
            Positions in mm, y upward. Must be finite.
        pressure : array_like, optional
            Normalised pressure 0..1; NaN or None where the device has none.
        tilt_x, tilt_y : array_like, optional
            Degrees; None if absent.
        pen_down : array_like of bool, optional
            Surface contact. Default: ``pressure > 0`` where pressure exists, else all True.
            Samples with a non-zero ``extra["eraser"]`` are never ink (see "What counts as
            ink" in the module docstring).
        device : Device or str, optional
            Device or preset name (see :data:`DEVICES`).
        meta : mapping, optional
            Free metadata (``subject``, ``task``, ``date``, ``source`` ...).
        raw : mapping of str to array_like, optional
            Original device-unit channels, one value per sample (reordered with the samples).
        extra : mapping of str to array_like, optional
            Further per-sample channels in physical units.
        source : str, optional
            File name for warnings (default ``meta["source"]``).

        Returns
        -------
        Recording

        Raises
        ------
        ParameterError
            Arrays of different lengths, non-finite time or position, pressure outside 0..1.

        Warns
        -----
        PenmotorWarning
            Clock glitches were cut (rule 5 of the policy), naming the file.

        Examples
        --------
        >>> rec = Recording.from_arrays(t=[10.0, 10.01, 10.01, 10.02], x=[0, 1, 1, 2], y=[0, 0, 0, 0])
        >>> rec.t
        array([0.  , 0.01, 0.02])
        >>> rec.timing.duplicates_merged, rec.timing.t0
        (1, 10.0)
        >>> rub = Recording.from_arrays(t=[0, 1, 2, 3], x=[0, 1, 2, 3], y=[0] * 4, pen_down=[1, 1, 0, 1],
        ...                             extra={"eraser": [0, 0, 1, 1]})
        >>> rub.pen_down.tolist(), rub.extra["eraser_down"].tolist()
        ([True, True, False, False], [0.0, 0.0, 0.0, 1.0])
        """
        t = as_float_array(t, "t")
        n = t.shape[0]
        ch: dict[str, np.ndarray] = {"t": t}
        ch["x"] = as_float_array(x, "x", n=n)
        ch["y"] = as_float_array(y, "y", n=n)
        nan = np.full(n, np.nan)
        for name, v in (("pressure", pressure), ("tilt_x", tilt_x), ("tilt_y", tilt_y)):
            ch[name] = nan.copy() if v is None else as_float_array(v, name, n=n)
        for name in ("t", "x", "y"):
            bad = ~np.isfinite(ch[name])
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise ParameterError(f"{name}: non-finite value at sample {i} ({ch[name][i]!r})")
        p = ch["pressure"]
        fin = np.isfinite(p)
        if fin.any() and (p[fin].min() < -1e-9 or p[fin].max() > 1 + 1e-9):
            raise ParameterError(
                f"pressure: expected normalised 0..1, got range {p[fin].min():g}..{p[fin].max():g}; "
                "use Recording.from_raw with a Device to normalise raw units"
            )
        if pen_down is None:
            ch["pen_down"] = (p > 0) if fin.any() else np.ones(n, dtype=bool)
        else:
            pd = np.asarray(pen_down)
            if pd.shape != (n,):
                raise ParameterError(f"pen_down: expected {n} values (as many as t), got shape {pd.shape}")
            ch["pen_down"] = pd.astype(bool)
        rawd = {k: np.asarray(v) for k, v in (raw or {}).items()}
        extd = {k: as_float_array(v, f"extra[{k!r}]", n=n) for k, v in (extra or {}).items()}
        if "eraser" in extd:  # eraser contacts are not ink (module docstring); idempotent on re-read
            rubbing = np.nan_to_num(extd["eraser"]) != 0
            if "eraser_down" not in extd:
                extd["eraser_down"] = (ch["pen_down"] & rubbing).astype(np.float64)
            ch["pen_down"] = ch["pen_down"] & ~rubbing
        for k, v in rawd.items():
            if v.shape[:1] != (n,):
                raise ParameterError(f"raw[{k!r}]: expected {n} values (as many as t), got shape {v.shape}")

        dev = get_device(device)
        # 5. clock glitches, found in arrival order (before sorting would scramble them)
        cut = glitch_steps(ch["t"], ch["pen_down"])
        if cut.size:
            ch, rawd, extd = _cut_at_glitches(ch, rawd, extd, cut, None if dev is None else dev.nominal_rate_hz)
            where = source or (meta or {}).get("source") or "recording"
            warnings.warn(
                f"{where}: {cut.size} time-stamp glitch(es) (a clock jump, reset or wrap; first at "
                f"sample {int(cut[0])}): cut there, later samples moved to follow, and strokes split "
                "(see Recording.timing.glitches)",
                PenmotorWarning, stacklevel=2,
            )
        t = ch["t"]
        # 2. stable sort by time
        dt = np.diff(t)
        reordered = int(np.count_nonzero(dt < 0))
        if reordered:
            order = np.argsort(t, kind="stable")
            ch = {k: v[order] for k, v in ch.items()}
            rawd = {k: v[order] for k, v in rawd.items()}
            extd = {k: v[order] for k, v in extd.items()}
            dt = np.diff(ch["t"])
        # 3./4. duplicates vs ties
        tie = dt == 0
        merged = 0
        n_tied = int(np.count_nonzero(tie))
        if n_tied:
            same = tie.copy()
            for k, v in list(ch.items()) + list(extd.items()):
                if k == "t":
                    continue
                a, b = v[1:], v[:-1]
                eq = a == b
                if v.dtype.kind == "f":
                    eq |= np.isnan(a) & np.isnan(b)
                same &= eq
            for v in rawd.values():
                a, b = v[1:], v[:-1]
                eq = a == b
                if eq.ndim > 1:
                    eq = eq.reshape(eq.shape[0], -1).all(axis=1)
                if v.dtype.kind == "f":
                    eq |= np.isnan(a) & np.isnan(b) if a.ndim == 1 else False
                same &= eq
            merged = int(np.count_nonzero(same))
            if merged:
                keep = np.concatenate(([True], ~same))
                ch = {k: v[keep] for k, v in ch.items()}
                rawd = {k: v[keep] for k, v in rawd.items()}
                extd = {k: v[keep] for k, v in extd.items()}
                n_tied -= merged
        t0 = float(ch["t"][0]) if ch["t"].size else 0.0
        ch["t"] = ch["t"] - t0
        timing = Timing(
            reordered=reordered,
            duplicates_merged=merged,
            tied=n_tied,
            glitches=int(cut.size),
            nominal_rate_hz=None if dev is None else dev.nominal_rate_hz,
            effective_rate_hz=_effective_rate(ch["t"]),
            t0=t0,
        )
        return cls(ch, device=dev, meta=meta, raw=rawd, extra=extd, timing=timing)

    @classmethod
    def from_raw(
        cls,
        raw: Mapping[str, Any],
        device: Device | str | None,
        *,
        y_down: bool = False,
        pen_down: Any = None,
        meta: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
        source: str | None = None,
        check: bool = True,
    ) -> "Recording":
        """Build a Recording from device units: the one place raw units become mm, s, 0..1, degrees.

        Parameters
        ----------
        raw : mapping
            Raw channels: ``x``, ``y``, ``t`` (required), optionally ``pressure``,
            ``tilt_x``, ``tilt_y``, ``azimuth``, ``altitude`` (the last two become
            ``extra`` channels in degrees and, when no tilt_x/tilt_y is given,
            tilt_x/tilt_y via :func:`tilt_from_azimuth_altitude`), plus any others (kept raw).
        device : Device or str
            Gives resolution (units/mm), pressure range, tilt and time scale.
        y_down : bool
            True when raw y grows downward (evdev, screens, images); y is then flipped
            about the device origin so that it grows upward.
        pen_down : array_like of bool, optional
            On-surface flag; default ``pressure > min``.
        meta, extra : mapping, optional
            As in :meth:`from_arrays`.
        source : str, optional
            File name for error messages.
        check : bool
            Check the data against the device (:func:`penmotor.devices.check_device`);
            False for data generated for the device (:mod:`penmotor.synth`).

        Raises
        ------
        UnitsError
            When the device does not give the x/y resolution (or a pressure range while
            the raw data has pressure), naming what is missing.

        Warns
        -----
        PenmotorWarning
            When the data contradict the device (:func:`penmotor.devices.check_device`:
            pressure saturating below the device maximum, an effective rate far from the
            nominal one, positions outside the active area); the findings are also in
            ``rec.meta["checks"]``. Nothing is rescaled.

        Examples
        --------
        >>> rec = Recording.from_raw({"x": [0, 200], "y": [0, 400], "t": [0, 5], "pressure": [0, 2047]},
        ...                          "wacom-intuos4")
        >>> rec.x, rec.y, rec.t, rec.pressure
        (array([0., 1.]), array([0., 2.]), array([0.   , 0.005]), array([0., 1.]))
        """
        dev = get_device(device)
        where = f"{source}: " if source else ""
        if dev is None:
            raise UnitsError(
                f"{where}no device given: the position resolution (units per mm) is unknown",
                argument="device", advice=f"pass device= a penmotor.Device or one of {sorted(DEVICES)}",
            )
        if dev.x_resolution is None or dev.y_resolution is None:
            raise UnitsError(
                f"{where}device {dev.name!r} has no x/y resolution (units per mm)",
                argument="device.x_resolution",
                advice="pass device=Device(..., x_resolution=..., y_resolution=...)",
            )
        r = {k: np.asarray(v) for k, v in raw.items()}
        for need in ("t", "x", "y"):
            if need not in r:
                raise ParameterError(f"raw: channel {need!r} is required")
        x = r["x"].astype(np.float64) / dev.x_resolution
        y = r["y"].astype(np.float64) / dev.y_resolution
        if y_down:
            y = -y
        t = r["t"].astype(np.float64) * dev.time_scale_s
        pressure = None
        if "pressure" in r:
            if dev.pressure_range is None:
                raise UnitsError(
                    f"{where}raw data has pressure but device {dev.name!r} has no pressure range (raw min, max)",
                    argument="device.pressure_range",
                    advice="pass device=Device(..., pressure_range=(min, max))",
                )
            lo, hi = dev.pressure_range
            pressure = np.clip((r["pressure"].astype(np.float64) - lo) / (hi - lo), 0.0, 1.0)
        ext = {k: np.asarray(v, dtype=np.float64) for k, v in (extra or {}).items()}
        tilt = {}
        angle_keys = [k for k in ("tilt_x", "tilt_y", "azimuth", "altitude") if k in r]
        if angle_keys and dev.tilt_deg_per_unit is None:
            raise UnitsError(
                f"{where}raw data has {angle_keys} but device {dev.name!r} has no tilt_deg_per_unit",
                argument="device.tilt_deg_per_unit",
                advice="pass device=Device(..., tilt_deg_per_unit=...) or a preset that has it",
            )
        for k in ("tilt_x", "tilt_y"):
            if k in r:
                tilt[k] = (r[k].astype(np.float64) - dev.tilt_zero) * dev.tilt_deg_per_unit
        for k in ("azimuth", "altitude"):
            if k in r:
                ext[k] = r[k].astype(np.float64) * dev.tilt_deg_per_unit
        if not tilt and "azimuth" in ext and "altitude" in ext:
            tilt["tilt_x"], tilt["tilt_y"] = tilt_from_azimuth_altitude(ext["azimuth"], ext["altitude"])
        if pen_down is None and pressure is not None:
            pen_down = pressure > 0
        rec = cls.from_arrays(
            t, x, y, pressure, tilt.get("tilt_x"), tilt.get("tilt_y"), pen_down,
            device=dev, meta=meta, raw=r, extra=ext, source=source,
        )
        checks = check_device(rec, source=source) if check else []  # warn, never rescale
        if checks:
            for c in checks:
                warnings.warn(c["message"], PenmotorWarning, stacklevel=2)
            rec = rec.with_meta(checks=checks)
        return rec

    # ------------------------------------------------------------------ derived
    def __len__(self) -> int:
        return int(self._ch["t"].shape[0])

    @property
    def duration(self) -> float:
        """Time from first to last sample, in s."""
        return float(self.t[-1] - self.t[0]) if len(self) else 0.0

    @property
    def n_strokes(self) -> int:
        """Number of pen-down runs."""
        return int(self.stroke_bounds()[0].size)

    def stroke_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and stop (exclusive) sample indices of the pen-down runs, vectorised.

        Examples
        --------
        >>> rec = Recording.from_arrays(t=[0, 1, 2, 3, 4], x=[0] * 5, y=[0] * 5,
        ...                             pen_down=[0, 1, 1, 0, 1])
        >>> rec.stroke_bounds()
        (array([1, 4]), array([3, 5]))
        """
        return self.cached("recording.stroke_bounds", lambda: _frozen_runs(self.pen_down))

    def in_air_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Start and stop (exclusive) sample indices of the in-air runs.

        Examples
        --------
        >>> rec = Recording.from_arrays(t=[0, 1, 2], x=[0] * 3, y=[0] * 3, pen_down=[1, 0, 1])
        >>> rec.in_air_bounds()
        (array([1]), array([2]))
        """
        return self.cached("recording.in_air_bounds", lambda: _frozen_runs(~self.pen_down))

    def strokes(self) -> Iterator["Recording"]:
        """Yield each pen-down run as a Recording whose arrays are views, not copies.

        Examples
        --------
        >>> rec = Recording.from_arrays(t=[0, 1, 2], x=[0, 1, 2], y=[0] * 3, pen_down=[1, 0, 1])
        >>> [s.x.tolist() for s in rec.strokes()]
        [[0.0], [2.0]]
        """
        for a, b in zip(*self.stroke_bounds()):
            yield self[int(a) : int(b)]

    def in_air(self) -> Iterator["Recording"]:
        """Yield each in-air (hover) run as a Recording of views.

        Examples
        --------
        >>> rec = Recording.from_arrays(t=[0, 1, 2], x=[0, 1, 2], y=[0] * 3, pen_down=[1, 0, 1])
        >>> [s.x.tolist() for s in rec.in_air()]
        [[1.0]]
        """
        for a, b in zip(*self.in_air_bounds()):
            yield self[int(a) : int(b)]

    def __getitem__(self, idx: Any) -> "Recording":
        """Slice (views), boolean mask or index array (copies); times keep their origin."""
        if isinstance(idx, (int, np.integer)):
            idx = slice(int(idx), int(idx) + 1 if int(idx) != -1 else None)
        ch = {k: v[idx] for k, v in self._ch.items()}
        raw = {k: v[idx] for k, v in self.raw.items()}
        extra = {k: v[idx] for k, v in self.extra.items()}
        return Recording(ch, device=self.device, meta=self.meta, raw=raw, extra=extra, timing=self.timing)

    def replace(self, **channels: Any) -> "Recording":
        """A copy with some channels replaced (same length; no re-sorting).

        Examples
        --------
        >>> rec = Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0])
        >>> rec.replace(x=[5, 6]).x
        array([5., 6.])
        """
        ch = dict(self._ch)
        for k, v in channels.items():
            if k not in CHANNELS:
                raise ParameterError(f"replace: unknown channel {k!r}; expected one of {CHANNELS}")
            a = np.asarray(v, dtype=bool if k == "pen_down" else np.float64)
            if a.shape != (len(self),):
                raise ParameterError(f"{k}: expected {len(self)} values, got shape {a.shape}")
            ch[k] = a
        return Recording(ch, device=self.device, meta=self.meta, raw=self.raw,
                         extra=self.extra, timing=self.timing)

    def with_meta(self, **meta: Any) -> "Recording":
        """A copy with meta entries added or replaced (arrays are shared).

        Examples
        --------
        >>> Recording.from_arrays(t=[0], x=[0], y=[0]).with_meta(subject="C01").meta["subject"]
        'C01'
        """
        m = dict(self.meta)
        m.update(meta)
        return Recording(self._ch, device=self.device, meta=m, raw=self.raw,
                         extra=self.extra, timing=self.timing)

    def to_frame(self) -> "Any":
        """A pandas DataFrame with one row per sample (core and extra channels).

        Examples
        --------
        >>> Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0]).to_frame().columns[:3].tolist()
        ['t', 'x', 'y']
        """
        import pandas as pd

        d = {k: np.asarray(v) for k, v in self._ch.items()}
        d.update({k: np.asarray(v) for k, v in self.extra.items()})
        return pd.DataFrame(d)

    def __repr__(self) -> str:
        dev = self.device.name if self.device else "no device"
        rate = self.timing.effective_rate_hz
        src = self.meta.get("source") or self.meta.get("task") or ""
        src = f" {src!s}" if src else ""
        n, k = len(self), self.n_strokes
        return (
            f"<Recording{src}: {n} sample{'' if n == 1 else 's'}, {self.duration:.3f} s, "
            f"{k} stroke{'' if k == 1 else 's'}, {rate:.1f} Hz effective, {dev}>"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Recording):
            return NotImplemented
        if len(self) != len(other):
            return False
        return all(
            np.array_equal(self._ch[k], other._ch[k], equal_nan=self._ch[k].dtype.kind == "f")
            for k in CHANNELS
        )

    __hash__ = None  # type: ignore[assignment]


def _effective_rate(t: np.ndarray) -> float:
    dt = np.diff(t)
    dt = dt[dt > 0]
    return float(1.0 / np.median(dt)) if dt.size else float("nan")


def tilt_from_azimuth_altitude(azimuth_deg: Any, altitude_deg: Any) -> tuple[np.ndarray, np.ndarray]:
    """Convert Wintab azimuth/altitude (degrees) to tilt_x/tilt_y (degrees from vertical).

    The pen axis points along ``(cos(alt) cos(az), cos(alt) sin(az), sin(alt))``;
    tilt_x is its angle from vertical in the x-z plane, tilt_y in the y-z plane.

    Examples
    --------
    >>> tx, ty = tilt_from_azimuth_altitude([0.0, 90.0], [45.0, 90.0])
    >>> np.round(tx, 6).tolist(), np.round(ty, 6).tolist()
    ([45.0, 0.0], [0.0, 0.0])
    """
    az = np.deg2rad(np.asarray(azimuth_deg, dtype=np.float64))
    alt = np.deg2rad(np.asarray(altitude_deg, dtype=np.float64))
    c, s = np.cos(alt), np.sin(alt)
    return (np.rad2deg(np.arctan2(c * np.cos(az), s)), np.rad2deg(np.arctan2(c * np.sin(az), s)))


def valid_recording(rec: Any, *, needs: Iterable[str] = (), min_samples: int = 0) -> "Recording":
    """Check that `rec` is a :class:`~penmotor.Recording` with the channels a function needs.

    Parameters
    ----------
    rec : Recording
        The recording to check.
    needs : iterable of str
        Channel names that must hold at least one finite value
        (e.g. ``("pressure",)``).
    min_samples : int
        Minimum number of samples.

    Returns
    -------
    Recording
        `rec` itself, for chaining.

    Raises
    ------
    ParameterError
        When `rec` is not a Recording, is too short, or lacks a needed channel.

    Examples
    --------
    >>> rec = Recording.from_arrays(t=[0, 0.01], x=[0, 1], y=[0, 0])
    >>> valid_recording(rec, needs=("x",)) is rec
    True
    >>> valid_recording(rec, needs=("pressure",))
    Traceback (most recent call last):
    ...
    penmotor.errors.ParameterError: rec: channel 'pressure' is absent (all NaN); this needs it
    """
    if not isinstance(rec, Recording):
        raise ParameterError(f"rec: expected a penmotor.Recording, got {type(rec).__name__}")
    if len(rec) < min_samples:
        raise ParameterError(f"rec: needs at least {min_samples} samples, has {len(rec)}")
    for name in needs:
        if not rec.has(name):
            raise ParameterError(f"rec: channel {name!r} is absent (all NaN); this needs it")
    return rec


def _rebuild(channels: dict, device: Any, meta: dict, raw: dict, extra: dict, timing: Any) -> Recording:
    """Unpickle a :class:`Recording` (see ``Recording.__reduce__``)."""
    return Recording(channels, device=device, meta=meta, raw=raw, extra=extra, timing=timing)
