"""Pen digitisers and their units: :class:`Device`, the named presets :data:`DEVICES`, and
:func:`register_device` / :func:`get_device`.

Every preset penmotor ships is defined here, so a preset name resolves as soon as
:mod:`penmotor` (or only :mod:`penmotor.recording`) is imported.

Every preset says where its figures come from. Two of them describe *recordings*
rather than tablets: the software that wrote PaHaW and the UCI spiral files rescaled
the tablet coordinates, so the tablet's own resolution would give wrong millimetres.
The reasoning behind each effective resolution is in the preset's ``notes`` and below.

``"pahaw"`` -- PaHaW (Drotár et al. 2016), Wacom Intuos 4M, SVC files
------------------------------------------------------------------------
*Effective resolution 40 units/mm (= 1016 lines/inch, 1/5 of the tablet's 200 l/mm).*

Evidence (the four PaHaW subjects in ``../shared/data/pahaw``, 129 files, 102 946 samples):

1. **The ink must fit the tablet.** The Intuos4 M active area is 223.5 x 139.7 mm
   (44704 x 27940 counts at 200 l/mm). Pen-down y reaches 5525 units and x 8045;
   Wintab's origin is the lower-left corner of the active area, so the resolution is
   at least 5525 / 139.7 = 39.5 units/mm (x gives >= 36.0). At the nominal 200 l/mm
   the whole template would be 40 x 28 mm -- impossible for a spiral plus eight
   rows of words. (One hover sample reaches y = 5684 with altitude at its 30-degree
   floor and zero pressure: the pen at the edge of proximity, 2.4 mm beyond.)
2. **The simplest rescaling that fits** is an integer decimation of the native counts by
   5 (44704 x 27940 -> 8941 x 5588), i.e. 40 units/mm. Coordinates step by 1 unit
   with no gaps (so they are not up-scaled screen pixels).
3. **Sizes come out as adult handwriting on a ruled template**: the Archimedean spiral
   (task 1) spans 64 x 57 mm (HC-female) to 75 x 67 mm (PD-female); the printed lines
   (baselines of tasks 3-6) are 468 +/- 13 units = 11.7 mm apart; the letter "l"
   (task 3) is 7.1-11.5 mm tall (median 7.8); the sentence (task 9, 25 characters) is
   65-79 mm long, about 3 mm per character.
4. **Speeds come out plausible**: pen-down path length over pen-down time, averaged
   over the letter/word/sentence files (tasks 2-9), is 22.7 mm/s (HC-female), 18.4
   (HC-male), 21.5 (PD-female) and 11.1 mm/s (PD-male, the slowest, as expected with
   bradykinesia); single files range 6.8-30.7 mm/s; the spirals 33-50 mm/s.

Uncertainty: the evidence brackets the resolution between 39.5 (the ink must fit the
tablet) and about 50 units/mm (smaller spirals and slower writing become implausible),
so lengths and speeds may be up to ~20 % too large if the true figure were at the top
of that range; ratios between PaHaW recordings are unaffected.

Pressure reaches 2048 in 5 files (range taken as 0..2048, not 0..2047); azimuth and
altitude are in tenths of a degree (0..3589 and 300..867 observed). Time stamps are in
ms and step 7 or 8 ms alternately (mean 7.5 ms = 133 Hz), not the 5 ms of the stated
200 Hz: ``nominal_rate_hz`` is the observed 133 Hz.

``"uci-cintiq12wx"`` -- UCI spiral drawings (Isenkul et al. 2014), Wacom Cintiq 12WX
------------------------------------------------------------------------------------
*Effective resolution 4.902 px/mm: the coordinates are screen pixels.*

The Cintiq 12WX is a pen display: 1280 x 800 pixels over a 261.1 x 163.2 mm active
area (12.1-inch panel, 0.204 mm pixel pitch), i.e. 1280 / 261.1 = 4.902 px/mm in x and
800 / 163.2 = 4.902 in y. In the 77 files X spans -5..1007 and Y -15..569 (the drawing
window) in whole units. With 4.902 px/mm the traced static spirals are 77 x 69 mm
(median; 10th-90th percentile width 74-101 mm) -- a spiral printed for tracing -- and are
drawn at 26 mm/s (median path length over pen-down time; 10th-90th percentile
12-63 mm/s), ordinary drawing speeds. Screen y grows
downward, so the reader flips it (``y_down``). Pressure is 0..1023 (the 12WX has 1024
levels; the evdev description in ``../shared/data/evemu`` agrees). Time stamps in ms step
7 or 9 ms (mean 7.8 ms = 128 Hz), so ``nominal_rate_hz`` is 128. ``Z`` (0..1023, mostly
0) and ``GripAngle`` (0..3580 in steps of 10) have no documented unit and are kept raw.

Examples
--------
>>> get_device("pahaw").x_resolution
40.0
>>> round(get_device("uci-cintiq12wx").x_resolution, 3)
4.902
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import ParameterError

__all__ = ["Device", "DEVICES", "register_device", "get_device", "WACOM_INTUOS4", "PAHAW", "UCI_CINTIQ12WX",
           "WACOM_CINTIQ12WX", "check_device", "RATE_TOLERANCE", "AREA_TOLERANCE_MM", "MIN_SAMPLES_FOR_RATE"]

#: The effective rate may differ from the nominal one by this factor before a warning.
RATE_TOLERANCE = 1.25
#: The rate is checked on recordings of at least this many samples.
MIN_SAMPLES_FOR_RATE = 50
#: Positions may lie this far outside the active area (a hovering pen at the edge of
#: proximity is still reported a little beyond it) before a warning.
AREA_TOLERANCE_MM = 5.0


@dataclass(frozen=True)
class Device:
    """A pen digitiser and the units of its raw values.

    Parameters
    ----------
    name : str
        Human-readable device name.
    x_resolution, y_resolution : float or None
        Raw position units per millimetre ("lines per mm"). None when unknown:
        converting positions then raises :class:`~penmotor.UnitsError`.
    pressure_range : tuple of float or None
        Raw (min, max) of the pressure channel; None when the device has no pressure.
    tilt_deg_per_unit : float or None
        Degrees per raw tilt/angle unit (0.1 for tenths of a degree); None if no tilt.
    tilt_zero : float
        Raw tilt value that means "vertical" (64 on Intuos4 evdev tilt 0..127).
    nominal_rate_hz : float or None
        Sampling rate the maker states (effective rate is in :attr:`Recording.timing`).
    time_scale_s : float
        Seconds per raw time unit (1e-3 for millisecond time stamps).
    notes : str
        Where the figures come from.
    area_mm : tuple of float or None
        (width, height) of the active area in mm, raw positions running from 0 at one
        corner; None when unknown. Used by :func:`check_device`.

    Examples
    --------
    >>> dev = Device("Example", x_resolution=200.0, y_resolution=200.0, pressure_range=(0, 1023))
    >>> dev.x_resolution
    200.0
    >>> dev.has_pressure
    True
    """

    name: str
    x_resolution: float | None = None
    y_resolution: float | None = None
    pressure_range: tuple[float, float] | None = None
    tilt_deg_per_unit: float | None = None
    tilt_zero: float = 0.0
    nominal_rate_hz: float | None = None
    time_scale_s: float = 1e-3
    notes: str = ""
    area_mm: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        for name in ("x_resolution", "y_resolution", "nominal_rate_hz", "tilt_deg_per_unit"):
            v = getattr(self, name)
            if v is not None and not (np.isfinite(v) and v > 0):
                raise ParameterError(f"Device.{name}: expected a positive number or None, got {v!r}")
        if self.pressure_range is not None:
            lo, hi = self.pressure_range
            if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
                raise ParameterError(
                    f"Device.pressure_range: expected (min, max) with max > min, got {self.pressure_range!r}"
                )
            object.__setattr__(self, "pressure_range", (float(lo), float(hi)))
        if not (self.time_scale_s > 0):
            raise ParameterError(f"Device.time_scale_s: expected > 0, got {self.time_scale_s!r}")
        if self.area_mm is not None:
            w, h = self.area_mm
            if not (np.isfinite(w) and np.isfinite(h) and w > 0 and h > 0):
                raise ParameterError(f"Device.area_mm: expected (width, height) > 0 in mm, got {self.area_mm!r}")
            object.__setattr__(self, "area_mm", (float(w), float(h)))

    @property
    def has_pressure(self) -> bool:
        """Whether the device reports pressure."""
        return self.pressure_range is not None

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serialisable), the inverse of :meth:`from_dict`.

        Examples
        --------
        >>> Device.from_dict(Device("a", 1.0, 1.0).to_dict()) == Device("a", 1.0, 1.0)
        True
        """
        d = dataclasses.asdict(self)
        for k in ("pressure_range", "area_mm"):
            if d[k] is not None:
                d[k] = list(d[k])
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Device":
        """Build a Device from :meth:`to_dict` output (unknown keys are an error).

        Examples
        --------
        >>> Device.from_dict({"name": "x", "x_resolution": 10, "y_resolution": 10}).y_resolution
        10
        """
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ParameterError(f"Device: unknown field(s) {sorted(unknown)}")
        kw = dict(d)
        for k in ("pressure_range", "area_mm"):
            if kw.get(k) is not None:
                kw[k] = tuple(kw[k])
        return cls(**kw)


#: Named device presets. Readers and the CLI accept these names for ``device=``.
DEVICES: dict[str, Device] = {}


def register_device(key: str, device: Device) -> Device:
    """Add a named preset to :data:`DEVICES` (used by readers and ``device=`` arguments).

    Examples
    --------
    >>> _ = register_device("my-tablet", Device("My tablet", 100.0, 100.0))
    >>> get_device("my-tablet").name
    'My tablet'
    """
    DEVICES[key] = device
    return device


def get_device(device: "Device | str | None") -> Device | None:
    """Resolve a :class:`Device` or a preset name from :data:`DEVICES`.

    Examples
    --------
    >>> get_device("wacom-intuos4").x_resolution
    200.0
    >>> get_device("nope")
    Traceback (most recent call last):
    ...
    penmotor.errors.ParameterError: device: unknown preset 'nope'; known: ...
    """
    if device is None or isinstance(device, Device):
        return device
    if isinstance(device, str):
        try:
            return DEVICES[device]
        except KeyError:
            raise ParameterError(
                f"device: unknown preset {device!r}", argument="device",
                advice=f"known: {', '.join(sorted(DEVICES))}",
            ) from None
    raise ParameterError(f"device: expected a penmotor.Device or a preset name, got {type(device).__name__}")


WACOM_INTUOS4 = register_device(
    "wacom-intuos4",
    Device(
        "Wacom Intuos 4",
        x_resolution=200.0,
        y_resolution=200.0,
        pressure_range=(0.0, 2047.0),
        tilt_deg_per_unit=0.1,
        nominal_rate_hz=200.0,
        time_scale_s=1e-3,
        notes="5080 lines/inch = 200 lines/mm; pressure 0..2047; azimuth 0..3600 and "
        "altitude 0..900 in tenths of a degree (Wintab).",
    ),
)

PAHAW = register_device(
    "pahaw",
    Device(
        "PaHaW (Wacom Intuos 4M, rescaled by the recording software)",
        x_resolution=40.0,
        y_resolution=40.0,
        pressure_range=(0.0, 2048.0),
        tilt_deg_per_unit=0.1,
        nominal_rate_hz=133.0,
        time_scale_s=1e-3,
        area_mm=(223.5, 139.7),
        notes="Effective 40 units/mm (1/5 of the Intuos4's 200 l/mm), inferred: pen-down ink "
        "must fit the 223.5 x 139.7 mm active area (y up to 5525 -> >= 39.5 units/mm); "
        "spiral 64-75 mm wide, printed lines 11.7 mm apart, words written at 11-23 mm/s. "
        "Plausible range 39.5-50 units/mm. Pressure 0..2048 (2048 occurs); azimuth/altitude "
        "in 0.1 degree; time in ms, 7-8 ms steps (133 Hz observed, 200 Hz stated). "
        "See penmotor.devices.",
    ),
)

UCI_CINTIQ12WX = register_device(
    "uci-cintiq12wx",
    Device(
        "UCI spiral (Wacom Cintiq 12WX, screen pixels)",
        x_resolution=1280 / 261.1,
        y_resolution=800 / 163.2,
        pressure_range=(0.0, 1023.0),
        tilt_deg_per_unit=None,
        nominal_rate_hz=128.0,
        time_scale_s=1e-3,
        area_mm=(261.1, 163.2),
        notes="Coordinates are screen pixels of the 1280 x 800 display over 261.1 x 163.2 mm "
        "(4.902 px/mm), y downward; pressure 0..1023; time in ms, 7 or 9 ms steps "
        "(128 Hz observed). Z and GripAngle kept raw (unit undocumented). See penmotor.devices.",
    ),
)

WACOM_CINTIQ12WX = register_device(
    "wacom-cintiq12wx",
    Device(
        "Wacom Cintiq 12WX",
        x_resolution=200.0,
        y_resolution=200.0,
        pressure_range=(0.0, 1023.0),
        tilt_deg_per_unit=None,
        nominal_rate_hz=None,
        time_scale_s=1e-3,
        area_mm=(265.1, 167.2),
        notes="Native tablet counts (evdev): 0..53020 x 0..33440 at 200 units/mm, pressure "
        "0..1023 (../shared/data/evemu/wacom_cintiq12wx_pen.evemu).",
    ),
)


def check_device(rec: Any, *, source: str | None = None) -> list[dict[str, Any]]:
    """Check a recording's raw data against its declared device; what contradicts it.

    :meth:`penmotor.Recording.from_raw` (so every reader) runs this, warns with a
    :class:`~penmotor.PenmotorWarning` per finding and stores the findings in
    ``rec.meta["checks"]``. Nothing is rescaled: the right fix is the right device.

    Checks
    ------
    ``pressure_saturation``
        Raw pressure piles up at a maximum below the device's: at least 10 pen-down
        samples, 2 % of them and 10 times as many as on an average level of the 2 % of the
        range just below sit at one top value that is below 98 % of the device's range
        and is a pen's full scale (a power of two, or one less, from 255 up): e.g. a
        0..1023 pen read with a 0..2047 preset, every pressure half-scale. A child who
        simply never presses hard has no such pile-up.
    ``sampling_rate``
        The effective rate (median interval) differs from the nominal one by more than a
        factor :data:`RATE_TOLERANCE` (recordings of :data:`MIN_SAMPLES_FOR_RATE` samples
        or more).
    ``position_range``
        Raw positions, over the resolution, fall outside ``Device.area_mm`` by more than
        :data:`AREA_TOLERANCE_MM` (wrong resolution or wrong device).

    Parameters
    ----------
    rec : penmotor.Recording
        Built from raw units (``rec.raw`` holds ``x``, ``y`` and, if any, ``pressure``).
    source : str, optional
        File name for the messages (default ``rec.meta["source"]``).

    Returns
    -------
    list of dict
        One dict per finding: ``check``, ``message`` and the figures behind it.

    Examples
    --------
    >>> import warnings
    >>> from penmotor import Recording
    >>> t = np.arange(400) * 8                                        # 125 Hz, in ms
    >>> raw = {"t": t, "x": 4000 + t, "y": 2000 + 0 * t, "pressure": np.minimum(t, 1023)}
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     rec = Recording.from_raw(raw, "pahaw", source="child.svc")
    >>> [c["check"] for c in rec.meta["checks"]]
    ['pressure_saturation']
    >>> print(w[0].message)                                          # doctest: +ELLIPSIS
    child.svc: device 'PaHaW ...': raw pressure saturates at 1023 (...), below the device maximum 2048: ...
    >>> raw["t"] = np.arange(400) * 5                                 # 200 Hz under a 133 Hz preset
    >>> with warnings.catch_warnings(record=True):
    ...     warnings.simplefilter("always")
    ...     [c["check"] for c in check_device(Recording.from_raw(raw, "pahaw"))]
    ['pressure_saturation', 'sampling_rate']
    """
    dev = rec.device
    if dev is None or len(rec) == 0:
        return []
    where = source or rec.meta.get("source") or "recording"
    head = f"{where}: device {dev.name!r}:"
    out: list[dict[str, Any]] = []
    raw = rec.raw
    down = rec.pen_down
    # -- pressure saturating below the device maximum
    if dev.pressure_range is not None and "pressure" in raw and down.any():
        p = np.asarray(raw["pressure"], dtype=np.float64)[down]
        p = p[np.isfinite(p)]
        lo, hi = dev.pressure_range
        if p.size:
            top = float(p.max())
            n_top = int(np.count_nonzero(p == top))
            win = max(1.0, 0.02 * (hi - lo))  # levels just below the top: a clipped signal piles up
            below = np.count_nonzero((p >= top - win) & (p < top)) / win
            pow2 = top >= 255 and any(float(2 ** round(math.log2(v))) == v for v in (top, top + 1))
            if pow2 and top < lo + 0.98 * (hi - lo) and n_top >= max(10, 0.02 * p.size, 10 * below):
                out.append({
                    "check": "pressure_saturation", "raw_max": top, "device_max": hi, "share_at_max": n_top / p.size,
                    "message": f"{head} raw pressure saturates at {top:g} ({100 * n_top / p.size:.1f} % of the "
                               f"pen-down samples sit there), below the device maximum {hi:g}: pressures read as at "
                               f"most {(top - lo) / (hi - lo):.2f} of full scale. Not rescaled; if the pen's range is "
                               f"0..{top:g}, pass a Device with that pressure_range.",
                })
    # -- effective vs nominal sampling rate
    nom, eff = dev.nominal_rate_hz, rec.timing.effective_rate_hz
    enough = len(rec) >= MIN_SAMPLES_FOR_RATE  # a median interval of a handful of samples says little
    if (enough and nom is not None and math.isfinite(eff) and eff > 0
            and not 1 / RATE_TOLERANCE <= eff / nom <= RATE_TOLERANCE):
        out.append({
            "check": "sampling_rate", "effective_rate_hz": eff, "nominal_rate_hz": nom,
            "message": f"{head} samples arrive at {eff:.1f} Hz (median interval), the device's nominal rate is "
                       f"{nom:g} Hz. Time stamps are used as they are; check the device or the time unit.",
        })
    # -- positions outside the active area
    if dev.area_mm is not None and "x" in raw and "y" in raw and dev.x_resolution and dev.y_resolution:
        xs = np.asarray(raw["x"], dtype=np.float64) / dev.x_resolution
        ys = np.asarray(raw["y"], dtype=np.float64) / dev.y_resolution
        w, h = dev.area_mm
        tol = AREA_TOLERANCE_MM
        bad = (xs < -tol) | (xs > w + tol) | (ys < -tol) | (ys > h + tol)
        if bad.any():
            out.append({
                "check": "position_range", "share_outside": float(bad.mean()),
                "x_range_mm": [float(xs.min()), float(xs.max())], "y_range_mm": [float(ys.min()), float(ys.max())],
                "area_mm": [w, h],
                "message": f"{head} {int(bad.sum())} of {bad.size} positions lie outside the {w:g} x {h:g} mm active "
                           f"area (x {xs.min():.1f}..{xs.max():.1f} mm, y {ys.min():.1f}..{ys.max():.1f} mm): wrong "
                           "resolution or wrong device? Positions are used as they are.",
            })
    return out
