"""Decoded samples -> :class:`penmotor.Recording` (through ``Recording.from_raw``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from penmotor import Recording
from penmotor.errors import UnitsError

from .events import TOOL_NAMES, DeviceInfo

__all__ = ["to_recording", "split_attempts"]


def to_recording(samples: np.ndarray, info: DeviceInfo, *, meta: Mapping[str, Any] | None = None,
                 source: str | None = None, extra: Mapping[str, Any] | None = None) -> Recording:
    """Build a Recording from a block of :data:`~penmotor_capture.SAMPLE_DTYPE` samples.

    Units come from the device: x/y resolution (absinfo or the named-device fallback),
    pressure range, tilt (units per radian, centred); time stamps are microseconds.
    ``pen_down`` is contact (hover samples are pen-up; eraser contacts are not ink, see
    :mod:`penmotor.recording`). Extra channels: ``hover_distance`` (raw ABS_DISTANCE units;
    NaN if the device has none), ``eraser`` (0/1), ``eraser_down`` (eraser touching, 0/1),
    ``tool`` (index into :data:`~penmotor_capture.events.TOOL_NAMES`, also in
    ``meta["tool_names"]``), ``tool_serial`` (``MSC_SERIAL``, NaN when not sent), ``buttons``
    (bit mask 1 = BTN_STYLUS, 2 = BTN_STYLUS2), ``attempt`` (task attempt index), plus any `extra` channels a
    source adds (one value per sample, e.g. the browser's ``twist``).

    Raises
    ------
    UnitsError
        When the device's x/y resolution is unknown (driver says 0 and the name is not known).

    Examples
    --------
    >>> from penmotor_capture import AbsInfo, DeviceInfo, empty_samples
    >>> info = DeviceInfo("Pen", {0: AbsInfo(0, 2000, resolution=100), 1: AbsInfo(0, 1000, resolution=100),
    ...                          0x18: AbsInfo(0, 1023)})
    >>> s = empty_samples(2)
    >>> s["t_us"], s["x"], s["y"], s["pressure"], s["contact"] = [5000, 9000], [100, 200], [0, 100], [0, 1023], [0, 1]
    >>> rec = to_recording(s, info)
    >>> rec.t.round(6).tolist(), rec.x.tolist(), rec.y.tolist(), rec.pressure.tolist(), rec.pen_down.tolist()
    ([0.0, 0.004], [1.0, 2.0], [-0.0, -1.0], [0.0, 1.0], [False, True])
    """
    dev = info.to_device()
    if dev.x_resolution is None or dev.y_resolution is None:
        raise UnitsError(
            f"device {info.name!r} reports no x/y resolution and is not a known model; "
            "add it to penmotor_capture.events.NAMED_RESOLUTION (units per mm)",
            path=source,
        )
    s = np.asarray(samples)
    raw: dict[str, Any] = {"t": s["t_us"], "x": s["x"], "y": s["y"]}
    if dev.pressure_range is not None:
        raw["pressure"] = s["pressure"]
    if dev.tilt_deg_per_unit is not None:
        raw["tilt_x"], raw["tilt_y"] = s["tilt_x"], s["tilt_y"]
    extra = {
        "hover_distance": s["distance"],
        "eraser": s["eraser"].astype(np.float64),
        "tool": s["tool"].astype(np.float64),
        "tool_serial": s["serial"].astype(np.float64),
        "buttons": s["buttons"].astype(np.float64),
        "attempt": s["attempt"].astype(np.float64),
        **(extra or {}),
    }
    m = {"source": source or info.path, "device_info": info.to_dict(), "tool_names": list(TOOL_NAMES)}
    m.update(meta or {})
    return Recording.from_raw(raw, dev, y_down=True, pen_down=s["contact"], meta=m, extra=extra,
                              source=source)


def split_attempts(rec: Recording) -> list[Recording]:
    """One Recording per task attempt of a saved session (meta ``task``, ``attempt``, ``redone``).

    Examples
    --------
    >>> rec = Recording.from_arrays(t=[0, 1, 2], x=[0, 1, 2], y=[0, 0, 0], extra={"attempt": [0, 0, 1]},
    ...                             meta={"attempts": [{"task": "lines"}, {"task": "spiral"}]})
    >>> [(len(r), r.meta["task"]) for r in split_attempts(rec)]
    [(2, 'lines'), (1, 'spiral')]
    """
    att = rec.extra.get("attempt")
    infos = list(rec.meta.get("attempts", []))
    if att is None:
        return [rec]
    out = []
    for k in np.unique(att):
        sub = rec[np.flatnonzero(att == k)]
        info = dict(infos[int(k)]) if int(k) < len(infos) else {}
        sub = sub.with_meta(attempt=int(k), **info)
        out.append(sub)
    return out
