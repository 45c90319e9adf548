"""Pressure and tilt metrics: hand-computed references, absent channels, real data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import FEATURES, ParameterError, Recording, features
from penmotor.metrics import pressure as pm


def test_stats_by_hand(rng):
    p = rng.uniform(0.1, 0.9, 500)
    t = np.arange(p.size) * 0.005
    pd = np.ones(p.size, bool)
    pd[100:150] = False  # in-air samples are ignored even though their pressure is > 0
    rec = Recording.from_arrays(t=t, x=t, y=0 * t, pressure=p, pen_down=pd)
    on = p[pd]
    assert pm.pressure_mean(rec) == pytest.approx(on.mean())
    assert pm.pressure_sd(rec) == pytest.approx(on.std())
    assert pm.pressure_cv(rec) == pytest.approx(on.std() / on.mean())
    assert pm.pressure_near_max_share(rec, threshold=0.8) == pytest.approx(np.mean(on >= 0.8))


def test_onset_offset_slopes_known_ramps():
    t = np.arange(0, 1, 0.005)
    # 3 strokes, each: rise 0 -> 0.6 in 0.1 s (6 /s), hold, fall to 0.06 in 0.2 s (2.7 /s)
    one = np.interp(t, [0, 0.1, 0.7, 0.9, 0.995], [0.0, 0.6, 0.6, 0.06, 0.06])
    p = np.concatenate([one, np.zeros(10)] * 3)
    tt = np.arange(p.size) * 0.005
    pd = np.concatenate([np.ones(t.size, bool), np.zeros(10, bool)] * 3)
    rec = Recording.from_arrays(t=tt, x=tt, y=0 * tt, pressure=p, pen_down=pd)
    # onset: 0 -> 0.9 * 0.6 = 0.54 reached at 0.09 s -> 6 /s
    assert pm.pressure_onset_slope(rec) == pytest.approx(6.0, rel=0.05)
    # offset: from the last sample >= 0.54 (t ~ 0.722) to the stroke end (0.06 at 0.995):
    # (0.54 - 0.06) / (0.995 - 0.7222)
    assert pm.pressure_offset_slope(rec) == pytest.approx((0.54 - 0.06) / (0.995 - 0.7222), rel=0.05)
    with pytest.raises(ParameterError, match="level"):
        pm.pressure_onset_slope(rec, level=1.5)


def test_within_stroke_cv_ignores_between_stroke_differences():
    # each stroke is constant, but strokes differ: overall CV > 0, within-stroke CV = 0
    p = np.concatenate([np.full(20, 0.2), [0.0], np.full(20, 0.8)])
    t = np.arange(p.size) * 0.01
    rec = Recording.from_arrays(t=t, x=t, y=0 * t, pressure=p)
    assert pm.pressure_cv(rec) > 0.5
    assert pm.pressure_within_stroke_cv(rec) == pytest.approx(0.0, abs=1e-12)


@settings(max_examples=30)
@given(k=st.floats(0.1, 1.0), seed=st.integers(0, 100))
def test_cv_is_scale_free(k, seed):
    rng = np.random.default_rng(seed)
    p = rng.uniform(0.05, 1.0, 100)
    t = np.arange(p.size) * 0.01
    a = Recording.from_arrays(t=t, x=t, y=0 * t, pressure=p)
    b = Recording.from_arrays(t=t, x=t, y=0 * t, pressure=k * p)
    assert pm.pressure_cv(b) == pytest.approx(pm.pressure_cv(a), rel=1e-9)
    assert pm.pressure_within_stroke_cv(b) == pytest.approx(pm.pressure_within_stroke_cv(a), rel=1e-9)


def test_tilt_and_azimuth():
    n = 100
    t = np.arange(n) * 0.01
    # pen leaning 30 deg towards -x (a right-hander's pen points back-left), small wobble
    wob = np.sin(np.arange(n))
    rec = Recording.from_arrays(t=t, x=t, y=0 * t, tilt_x=-30.0 + wob, tilt_y=np.zeros(n))
    assert pm.tilt_mean(rec) == pytest.approx(30.0, abs=0.1)
    assert pm.tilt_sd(rec) == pytest.approx(np.std(np.abs(-30 + wob)), rel=1e-6)
    assert abs(pm.azimuth_mean(rec)) == pytest.approx(180.0, abs=1e-6)  # wrap-around handled
    assert pm.azimuth_sd(rec) == pytest.approx(0.0, abs=1e-6)


def test_absent_channels_give_nan():
    t = np.arange(10) * 0.01
    rec = Recording.from_arrays(t=t, x=t, y=0 * t)  # no pressure, no tilt
    f = features(rec, families="pressure")
    assert set(f) >= {"pressure_mean", "pressure_sd", "tilt_mean", "azimuth_sd"}
    assert all(math.isnan(v) for v in f.values())
    assert math.isnan(pm.pressure_mean(rec))  # direct call too: NaN, not an exception
    assert FEATURES["pressure_mean"].unit == "1"
    assert FEATURES["tilt_mean"].unit == "deg"


def test_real_pahaw_pressure(shared_data):
    import penmotor

    f = sorted((shared_data / "pahaw" / "HC-female").glob("*1_1.svc"))[0]
    rec = penmotor.read(f, columns="pahaw", device="pahaw")
    pmean = pm.pressure_mean(rec)
    assert 0.05 < pmean < 0.95
    assert 0 <= pm.pressure_near_max_share(rec) < 0.5
    assert pm.pressure_onset_slope(rec) > 0
    assert pm.pressure_offset_slope(rec) > 0


@pytest.mark.parametrize("pressure,seed", [(0.3, 1), (0.6, 2)])
def test_synthetic_ground_truth_pressure(pressure, seed):
    from penmotor import synth

    rec = synth.handwriting("hello world", pressure=pressure, seed=seed)
    assert pm.pressure_mean(rec) == pytest.approx(rec.meta["truth"]["pressure_mean"], rel=0.01)
