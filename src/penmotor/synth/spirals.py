"""Synthetic spirals with known ground truth: :func:`spiral`, :func:`tremor_spiral`.

Examples
--------
>>> sp = spiral(seed=0)
>>> sp.meta["task"], sp.meta["truth"]["spiral_tightness"]
('spiral', 1.5)
"""

from __future__ import annotations

import math

import numpy as np

from ..devices import Device
from ..errors import ParameterError
from ..recording import Recording
from ._base import check_number, finish_recording, sample_times, smoothstep

__all__ = ["spiral", "tremor_spiral"]



# ----------------------------------------------------------------------------- spiral
def spiral(
    *,
    turns: float = 3.0,
    tightness_mm_per_rad: float = 1.5,
    duration_s: float = 8.0,
    tremor_hz: float | None = None,
    tremor_amplitude_mm: float = 0.0,
    pressure: float = 0.5,
    rate_hz: float = 200.0,
    jitter_s: float = 0.0,
    seed: int | None = None,
    tremor_direction_deg: float = 45.0,
    speed_variation: float = 0.1,
    device: Device | str | None = None,
    hover_s: float = 0.2,
) -> Recording:
    """An Archimedean spiral ``r = b theta`` drawn outward from its centre, counter-clockwise.

    The pen moves along the spiral with a smooth tangential speed profile (ramps of 10 %
    of the duration at both ends, slow modulation of +-``speed_variation``), in one
    pen-down stroke with `hover_s` (0.2 s) of hover before and after. Tremor, jitter and the device
    are as in :func:`handwriting`.

    Parameters
    ----------
    turns : float
        Number of revolutions (> 0.5).
    tightness_mm_per_rad : float
        ``b`` in ``r = b theta`` (mm per radian); loop spacing is ``2 pi b``.
    duration_s : float
        Pen-down drawing time.
    tremor_hz, tremor_amplitude_mm : float
        Tremor frequency and amplitude A (half peak-to-peak), mm.
    pressure : float
        Pen-down pressure level (0-1).
    rate_hz, jitter_s : float
        Sampling rate and time jitter SD.
    seed : int, optional
        Random seed.
    tremor_direction_deg : float
        Direction of the tremor displacement.
    speed_variation : float
        Relative amplitude of the slow speed modulation.
    device : Device or str, optional
        Default :data:`SYNTH_DEVICE`.
    hover_s : float
        In-air time before and after the stroke, s (> 0).

    Returns
    -------
    Recording
        ``meta["task"] == "spiral"``; ``meta["truth"]`` has ``spiral_tightness``,
        ``spiral_rms_deviation`` (radial RMS of the final samples from the true spiral,
        leaving out the innermost half loop where r(theta) is ill-defined),
        ``spiral_centre_x``, ``spiral_centre_y`` (mm), ``spiral_turns``,
        ``tremor_frequency``, ``tremor_amplitude``, ``pressure_mean``, ``in_air_ratio``
        (``2 hover_s / duration_s``).

    Examples
    --------
    >>> rec = spiral(turns=2, tightness_mm_per_rad=2.0, seed=1)
    >>> rec.meta["truth"]["spiral_tightness"], rec.n_strokes
    (2.0, 1)
    """
    check_number("turns", turns, lo=0.5, strict=True)
    check_number("tightness_mm_per_rad", tightness_mm_per_rad, strict=True)
    check_number("duration_s", duration_s, strict=True)
    check_number("tremor_hz", tremor_hz, strict=True, allow_none=True)
    check_number("tremor_amplitude_mm", tremor_amplitude_mm)
    check_number("pressure", pressure, strict=True)
    check_number("rate_hz", rate_hz, strict=True)
    check_number("jitter_s", jitter_s)
    check_number("speed_variation", speed_variation)
    check_number("hover_s", hover_s, strict=True)
    if speed_variation >= 1:
        raise ParameterError(f"speed_variation: expected 0 <= value < 1, got {speed_variation!r}")
    rng = np.random.default_rng(seed)
    b = float(tightness_mm_per_rad)
    theta_max = 2 * np.pi * float(turns)
    cx, cy = 80.0, 80.0
    # dense arc-length table of the spiral
    th = np.linspace(0.0, theta_max, 20001)
    ds = b * np.sqrt(1.0 + th * th)  # |dP/dtheta|
    s_tab = np.concatenate(([0.0], np.cumsum(0.5 * (ds[1:] + ds[:-1]) * np.diff(th))))
    # smooth tangential speed profile over the pen-down time
    tg = np.linspace(0.0, duration_s, 4001)
    ramp = 0.1 * duration_s
    phi = rng.uniform(0, 2 * np.pi)
    v = smoothstep(tg / ramp) * smoothstep((duration_s - tg) / ramp) * (
        1.0 + speed_variation * np.sin(2 * np.pi * 0.3 * tg + phi)) + 1e-3
    s_t = np.concatenate(([0.0], np.cumsum(0.5 * (v[1:] + v[:-1]) * np.diff(tg))))
    s_t *= s_tab[-1] / s_t[-1]
    lead = float(hover_s)
    t_end = duration_s + 2 * lead
    t_true = sample_times(t_end, rate_hz, jitter_s, rng)
    tt = np.clip(t_true - lead, 0.0, duration_s)
    theta = np.interp(np.interp(tt, tg, s_t), s_tab, th)
    x = cx + b * theta * np.cos(theta)
    y = cy + b * theta * np.sin(theta)
    down = (t_true >= lead) & (t_true <= lead + duration_s)
    # hover: drift in from / out to 1 mm away
    pre = t_true < lead
    post = t_true > lead + duration_s
    x = np.where(pre, x - (lead - t_true) * 5.0, x)
    x = np.where(post, x + (t_true - lead - duration_s) * 5.0, x)
    env = smoothstep(tt / 0.05) * smoothstep((duration_s - tt) / 0.05)
    p = np.where(down, pressure * (0.15 + 0.85 * env), 0.0)
    meta = {"task": "spiral", "source": "penmotor.synth",
            "params": dict(turns=float(turns), tightness_mm_per_rad=b, duration_s=float(duration_s),
                           tremor_hz=tremor_hz, tremor_amplitude_mm=float(tremor_amplitude_mm),
                           pressure=float(pressure), rate_hz=float(rate_hz), jitter_s=float(jitter_s),
                           seed=seed, tremor_direction_deg=float(tremor_direction_deg),
                           speed_variation=float(speed_variation), hover_s=lead)}
    rec = finish_recording(t_true, x, y, p, down, tremor_hz=tremor_hz, tremor_amplitude_mm=tremor_amplitude_mm,
                  tremor_direction_deg=tremor_direction_deg, duplicate_fraction=0.0, device=device,
                  rng=rng, meta=meta)
    pdn = rec.pen_down
    dx, dy = rec.x[pdn] - cx, rec.y[pdn] - cy
    ang = np.unwrap(np.arctan2(dy, dx))
    # align the unwrapped angle with the true one (drawn from theta = 0 upward)
    k = np.round((np.median(theta[down] - ang)) / (2 * np.pi))
    ang = ang + 2 * np.pi * k
    resid = np.hypot(dx, dy) - b * ang
    far = theta[down] >= np.pi  # the innermost half loop is left out, as in metrics.spiral
    truth = {
        "spiral_tightness": b,
        "spiral_rms_deviation": float(np.sqrt(np.mean(resid[far] ** 2))) if far.any() else math.nan,
        "spiral_centre_x": cx,
        "spiral_centre_y": cy,
        "spiral_turns": float(turns),
        "tremor_frequency": float(tremor_hz) if tremor_hz is not None and tremor_amplitude_mm > 0 else math.nan,
        "tremor_amplitude": float(tremor_amplitude_mm) if tremor_hz is not None else 0.0,
        "pressure_mean": float(np.mean(rec.pressure[pdn])) if pdn.any() else math.nan,
        "in_air_ratio": 2.0 * lead / float(duration_s),
    }
    return rec.with_meta(truth=truth)


def tremor_spiral(freq_hz: float = 6.0, amplitude_mm: float = 0.4, seed: int | None = None) -> Recording:
    """A default :func:`spiral` with tremor of `freq_hz` Hz and amplitude `amplitude_mm` mm.

    Examples
    --------
    >>> rec = tremor_spiral(freq_hz=5.0, amplitude_mm=0.3, seed=2)
    >>> rec.meta["truth"]["tremor_frequency"], rec.meta["truth"]["tremor_amplitude"]
    (5.0, 0.3)
    """
    return spiral(tremor_hz=freq_hz, tremor_amplitude_mm=amplitude_mm, seed=seed)
