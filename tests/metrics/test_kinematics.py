"""Kinematics: analytic cases, invariances (hypothesis), time scaling, fluency measures."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import FEATURES, ParameterError, Recording
from penmotor.metrics import kinematics as kin


def _line(v=25.0, dur=2.0, dt=0.005, angle=0.0):
    t = np.arange(0, dur, dt)
    return Recording.from_arrays(t=t, x=v * t * math.cos(angle), y=v * t * math.sin(angle))


def _circle(r=20.0, f_hz=0.5, dur=4.0, dt=0.005):
    t = np.arange(0, dur, dt)
    w = 2 * np.pi * f_hz
    return Recording.from_arrays(t=t, x=r * np.cos(w * t), y=r * np.sin(w * t)), r, w


def _wiggle(seed: int = 0, n: int = 600) -> Recording:
    """A smooth random-ish path with pen lifts, pressure and irregular time stamps."""
    rng = np.random.default_rng(seed)
    t = np.cumsum(rng.uniform(0.004, 0.009, n))
    x = 20 * np.sin(1.3 * t) + 5 * np.sin(7.1 * t + seed)
    y = 10 * np.cos(2.2 * t) + 3 * np.sin(5.3 * t)
    pd = (np.arange(n) // 100) % 3 != 2
    return Recording.from_arrays(t=t, x=x, y=y, pressure=np.where(pd, 0.5, 0.0), pen_down=pd)


@pytest.mark.parametrize("mode", ["smooth", "raw"])
def test_constant_speed_line(mode):
    rec = _line(v=25.0, angle=0.3)
    # reference: 25 mm/s by construction; raw differences are exact up to rounding
    assert kin.speed_mean(rec, mode=mode) == pytest.approx(25.0, rel=1e-6)
    assert kin.speed_median(rec, mode=mode) == pytest.approx(25.0, rel=1e-6)
    assert kin.speed_cv(rec, mode=mode) == pytest.approx(0.0, abs=1e-6)
    assert kin.acc_p95(rec, mode=mode) == pytest.approx(0.0, abs=1e-4)
    assert kin.jerk_p95(rec, mode=mode) == pytest.approx(0.0, abs=1e-2)


@pytest.mark.parametrize("mode", ["smooth", "raw"])
def test_circle_centripetal_acceleration(mode):
    rec, r, w = _circle()
    # uniform circular motion: |v| = r w, |a| = r w^2, |j| = r w^3 (1 % tolerance)
    assert kin.speed_median(rec, mode=mode) == pytest.approx(r * w, rel=0.01)
    assert kin.acc_median(rec, mode=mode) == pytest.approx(r * w**2, rel=0.01)
    assert kin.jerk_median(rec, mode=mode) == pytest.approx(r * w**3, rel=0.01)


@settings(max_examples=25)
@given(
    dx=st.floats(-500, 500), dy=st.floats(-500, 500), angle=st.floats(0, 2 * np.pi),
    t0=st.floats(0, 1e5), seed=st.integers(0, 50),
)
def test_invariant_to_translation_rotation_time_shift(dx, dy, angle, t0, seed):
    rec = _wiggle(seed)
    c, s = math.cos(angle), math.sin(angle)
    moved = Recording.from_arrays(
        t=rec.t + t0, x=c * rec.x - s * rec.y + dx, y=s * rec.x + c * rec.y + dy,
        pressure=rec.pressure, pen_down=rec.pen_down,
    )
    for name in ("speed_mean", "acc_median", "jerk_p95", "air_speed_mean", "normalized_jerk",
                 "log_dimensionless_jerk", "substroke_count"):
        a, b = FEATURES[name].func(rec), FEATURES[name].func(moved)
        assert b == pytest.approx(a, rel=1e-5, abs=1e-6), name


@settings(max_examples=20)
@given(k=st.floats(0.25, 4.0), seed=st.integers(0, 50))
def test_time_scaling(k, seed):
    rec = _wiggle(seed)
    fast = Recording.from_arrays(t=rec.t / k, x=rec.x, y=rec.y, pressure=rec.pressure, pen_down=rec.pen_down)
    # raw differences: speed scales exactly by k, acceleration by k^2
    assert kin.speed_mean(fast, mode="raw") == pytest.approx(k * kin.speed_mean(rec, mode="raw"), rel=1e-9)
    assert kin.acc_median(fast, mode="raw") == pytest.approx(k**2 * kin.acc_median(rec, mode="raw"), rel=1e-9)
    # dimensionless jerk measures do not change (raw mode: no rate-dependent filter)
    assert kin.normalized_jerk(fast, mode="raw", min_duration_s=0) == pytest.approx(
        kin.normalized_jerk(rec, mode="raw", min_duration_s=0), rel=1e-6)


def test_time_halved_doubles_smooth_speed():
    rec = _line(v=10.0, dur=4.0)
    half = Recording.from_arrays(t=rec.t / 2, x=rec.x, y=rec.y)
    assert kin.speed_mean(half) == pytest.approx(2 * kin.speed_mean(rec), rel=1e-6)


def test_in_air_variants():
    t = np.arange(0, 2, 0.005)
    pd = t < 1
    x = np.where(pd, 10 * t, 10 + 40 * (t - 1))  # 10 mm/s on the surface, 40 mm/s in the air
    rec = Recording.from_arrays(t=t, x=x, y=0 * t, pen_down=pd)
    assert kin.speed_median(rec) == pytest.approx(10.0, rel=1e-3)
    assert kin.air_speed_median(rec) == pytest.approx(40.0, rel=1e-3)
    no_air = _line()
    assert math.isnan(kin.air_speed_mean(no_air))
    assert math.isnan(kin.air_jerk_cv(no_air))


def test_minimum_jerk_reach_normalized_jerk():
    # analytic: minimum-jerk profile has NJ^2 = 0.5 * int_0^1 (60 - 360 u + 360 u^2)^2 du = 360,
    # LDLJ = -ln(720 / 1.875^2) (peak speed 1.875 D/T); 2 % tolerance for the filter edges
    t = np.arange(0, 1 + 1e-9, 0.002)
    x = 30 * t**3 * (10 - 15 * t + 6 * t**2)
    rec = Recording.from_arrays(t=t, x=x, y=0 * t)
    assert kin.normalized_jerk(rec) == pytest.approx(math.sqrt(360), rel=0.02)
    assert kin.log_dimensionless_jerk(rec) == pytest.approx(-math.log(720 / 1.875**2), abs=0.05)
    # a tremulous copy is less smooth on both scales
    shaky = rec.replace(y=0.2 * np.sin(2 * np.pi * 8 * t))
    assert kin.normalized_jerk(shaky) > 2 * kin.normalized_jerk(rec)
    assert kin.log_dimensionless_jerk(shaky) < kin.log_dimensionless_jerk(rec) - 1


def test_substrokes_and_niv():
    t = np.arange(0, 2, 0.005)
    x = 10 * (t - np.sin(2 * np.pi * 2 * t) / (4 * np.pi))  # 4 bell-shaped speed profiles
    rec = Recording.from_arrays(t=t, x=x, y=0 * t)
    starts, stops = kin.substroke_bounds(rec)
    assert len(starts) == 4
    assert np.all(stops > starts)
    assert kin.substroke_duration_mean(rec) == pytest.approx(0.5, abs=0.03)
    fluent = Recording.from_arrays(t=t, x=5 * t, y=-10 * np.cos(2 * np.pi * t))
    assert kin.niv(fluent) == pytest.approx(1.0)
    # add a 6 Hz speed modulation along the strokes: several speed peaks per up/down-stroke
    jerky = fluent.replace(x=5 * t + 0.6 * np.sin(2 * np.pi * 6 * t))
    assert kin.niv(jerky) > 1.5


def test_substrokes_never_cross_a_pen_lift():
    rec = _wiggle(3)
    from penmotor import signal

    tr = signal.kinematics(rec)
    starts, stops = kin.substroke_bounds(rec)
    seg = tr.segment_of()
    assert np.all(seg[starts] == seg[stops - 1])
    # every stroke start is a sub-stroke start
    assert set(tr.starts[tr.stops > tr.starts].tolist()) <= set(starts.tolist())


def test_bad_parameters_raise():
    rec = _line()
    with pytest.raises(ParameterError, match="quantity"):
        kin.kinematic_stat(rec, "velocity")
    with pytest.raises(ParameterError, match="stat"):
        kin.kinematic_stat(rec, "speed", "max")
    with pytest.raises(ParameterError, match="mode"):
        kin.speed_mean(rec, mode="fancy")


def test_registry_entries():
    assert FEATURES["speed_mean"].unit == "mm/s"
    assert FEATURES["air_acc_p95"].unit == "mm/s^2"
    assert FEATURES["jerk_cv"].unit == "1"
    assert FEATURES["normalized_jerk"].better == "lower"
    assert FEATURES["speed_mean"].family == "kinematics"


@pytest.mark.parametrize("speed,seed", [(15.0, 1), (25.0, 2), (40.0, 3)])
def test_synthetic_ground_truth_speed(speed, seed):
    from penmotor import synth

    rec = synth.handwriting("hello world", speed_mm_s=speed, seed=seed)
    truth = rec.meta["truth"]["speed_mean"]  # synth's own path length / pen-down time
    assert truth == pytest.approx(speed, rel=0.05)
    # 3 %: the 12 Hz low-pass rounds off the sharpest turns of the synthetic letters
    assert kin.speed_mean(rec) == pytest.approx(truth, rel=0.03)
    assert kin.speed_mean(rec, mode="raw") == pytest.approx(truth, rel=0.03)
