"""Shared parts of the simulators: the synthetic device, sampling, and turning paths into a Recording.

Internal module of :mod:`penmotor.synth` (used by :mod:`~penmotor.synth.writing` and
:mod:`~penmotor.synth.spirals`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..devices import Device, get_device
from ..errors import ParameterError
from ..recording import Recording

__all__ = ["SYNTH_DEVICE", "check_number", "min_jerk", "smoothstep", "sample_times", "finish_recording"]

#: The synthetic digitiser: 200 lines/mm, pressure 0..1023, time stamps in ms.
SYNTH_DEVICE = Device(
    "penmotor synth",
    x_resolution=200.0,
    y_resolution=200.0,
    pressure_range=(0.0, 1023.0),
    nominal_rate_hz=200.0,
    time_scale_s=1e-3,
    notes="Synthetic device of penmotor.synth: 200 lines/mm, pressure 0..1023, ms time stamps.",
)


def check_number(name: str, value: float, *, lo: float = 0.0, strict: bool = False, allow_none: bool = False) -> None:
    if value is None and allow_none:
        return
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a number, got {value!r}") from None
    if not math.isfinite(v) or v < lo or (strict and v == lo):
        rel = ">" if strict else ">="
        raise ParameterError(f"{name}: expected a finite number {rel} {lo:g}, got {value!r}")


def min_jerk(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * u * (10.0 - 15.0 * u + 6.0 * u * u)


def smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def sample_times(duration: float, rate_hz: float, jitter_s: float, rng: np.random.Generator) -> np.ndarray:
    n = int(math.floor(duration * rate_hz)) + 1
    t = np.arange(n) / rate_hz
    if jitter_s > 0:
        t = np.sort(np.clip(t + rng.normal(0.0, jitter_s, n), 0.0, duration))
    return t


def finish_recording(
    t_true: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    p: np.ndarray,
    down: np.ndarray,
    *,
    tremor_hz: float | None,
    tremor_amplitude_mm: float,
    tremor_direction_deg: float,
    duplicate_fraction: float,
    device: Device | str | None,
    rng: np.random.Generator,
    meta: dict[str, Any],
) -> Recording:
    """Tremor, time-stamp ties, quantisation to device units, Recording.from_raw."""
    if tremor_hz is not None and tremor_amplitude_mm > 0:
        phase = rng.uniform(0, 2 * np.pi)
        disp = tremor_amplitude_mm * np.sin(2 * np.pi * tremor_hz * t_true + phase)
        th = math.radians(tremor_direction_deg)
        x = x + disp * math.cos(th)
        y = y + disp * math.sin(th)
    stamps = t_true.copy()
    if duplicate_fraction > 0 and stamps.size > 1:
        k = int(round(duplicate_fraction * (stamps.size - 1)))
        idx = np.sort(rng.choice(np.arange(1, stamps.size), size=k, replace=False))
        # each chosen sample reports the stamp of the previous (reported) sample
        rep = np.arange(stamps.size)
        rep[idx] = -1
        rep = np.maximum.accumulate(np.where(rep < 0, -1, rep))
        stamps = stamps[rep]
    dev = SYNTH_DEVICE if device is None else device
    dev = get_device(dev)
    if dev.x_resolution is None or dev.y_resolution is None:
        raise ParameterError(f"device: {dev.name!r} has no x/y resolution")
    raw: dict[str, np.ndarray] = {
        "x": np.round(x * dev.x_resolution).astype(np.int64),
        "y": np.round(y * dev.y_resolution).astype(np.int64),
        "t": np.round(stamps / dev.time_scale_s, 3),
    }
    if dev.pressure_range is not None:
        lo, hi = dev.pressure_range
        praw = np.round(lo + np.clip(p, 0.0, 1.0) * (hi - lo))
        praw = np.where(down, np.maximum(praw, lo + 1), lo)
        raw["pressure"] = praw.astype(np.int64)
    return Recording.from_raw(raw, dev, pen_down=down, meta=meta, check=False)  # made for the device
