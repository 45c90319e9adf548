"""Recording / Device: units, the time-stamp policy, strokes, immutability."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import penmotor
from penmotor import Device, ParameterError, Recording, UnitsError
from penmotor.recording import get_device, tilt_from_azimuth_altitude


def test_from_raw_converts_units_with_intuos4_preset():
    raw = {"x": [0, 2000], "y": [0, 1000], "t": [1000, 1010], "pressure": [0, 2047],
           "azimuth": [900, 900], "altitude": [900, 450]}
    rec = Recording.from_raw(raw, "wacom-intuos4")
    np.testing.assert_allclose(rec.x, [0, 10])  # 200 lines/mm
    np.testing.assert_allclose(rec.y, [0, 5])
    np.testing.assert_allclose(rec.t, [0, 0.01])  # ms -> s, from 0
    assert rec.timing.t0 == pytest.approx(1.0)
    np.testing.assert_allclose(rec.pressure, [0, 1])
    np.testing.assert_allclose(rec.extra["altitude"], [90, 45])
    # azimuth 90 deg, altitude 45 deg: the pen leans along +y by 45 deg
    np.testing.assert_allclose(rec.tilt_y, [0, 45], atol=1e-9)
    np.testing.assert_allclose(rec.tilt_x, [0, 0], atol=1e-9)
    np.testing.assert_array_equal(rec.raw["x"], [0, 2000])
    assert rec.timing.nominal_rate_hz == 200.0


def test_from_raw_flips_y_down_sources():
    rec = Recording.from_raw({"x": [0, 0], "y": [0, 200], "t": [0, 1]}, "wacom-intuos4", y_down=True)
    assert rec.y[1] < rec.y[0]  # moving down the device moves down the page


def test_units_are_never_guessed():
    with pytest.raises(UnitsError, match="no device given"):
        Recording.from_raw({"x": [0], "y": [0], "t": [0]}, None, source="a.svc")
    with pytest.raises(UnitsError, match="no x/y resolution"):
        Recording.from_raw({"x": [0], "y": [0], "t": [0]}, Device("mystery"))
    with pytest.raises(UnitsError, match="pressure_range"):
        Recording.from_raw({"x": [0], "y": [0], "t": [0], "pressure": [3]}, Device("d", 1.0, 1.0))


def test_unknown_device_preset_is_named():
    with pytest.raises(ParameterError, match="unknown preset 'nope'"):
        get_device("nope")


def test_nonfinite_time_or_position_is_an_error_naming_the_sample():
    with pytest.raises(ParameterError, match=r"t: non-finite value at sample 1"):
        Recording.from_arrays(t=[0, np.nan], x=[0, 1], y=[0, 0])
    with pytest.raises(ParameterError, match=r"x: non-finite value at sample 0"):
        Recording.from_arrays(t=[0, 1], x=[np.inf, 1], y=[0, 0])
    with pytest.raises(ParameterError, match="expected 2 values"):
        Recording.from_arrays(t=[0, 1], x=[0, 1, 2], y=[0, 0])
    with pytest.raises(ParameterError, match="normalised 0..1"):
        Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0], pressure=[0, 300])


def test_policy_sorts_merges_exact_duplicates_keeps_ties():
    t = [0.00, 0.02, 0.01, 0.01, 0.03, 0.03]
    x = [0.0, 2.0, 1.0, 1.0, 3.0, 3.5]  # (0.01, 1.0) twice = exact duplicate; 0.03 twice = tie
    rec = Recording.from_arrays(t=t, x=x, y=[0] * 6)
    assert rec.timing.reordered == 1
    assert rec.timing.duplicates_merged == 1
    assert rec.timing.tied == 1
    np.testing.assert_allclose(rec.t, [0, 0.01, 0.02, 0.03, 0.03])
    np.testing.assert_allclose(rec.x, [0, 1, 2, 3, 3.5])
    assert np.all(np.diff(rec.t) >= 0)


@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.integers(0, 3), st.booleans()), min_size=1, max_size=60
    )
)
def test_policy_never_loses_information(rows):
    """Every distinct (t, x, pen) sample survives; only exact copies are merged, and counted."""
    t = np.array([r[0] for r in rows], float) / 100
    x = np.array([r[1] for r in rows], float)
    pd = np.array([r[2] for r in rows])
    rec = Recording.from_arrays(t=t, x=x, y=np.zeros_like(x), pen_down=pd)
    assert len(rec) + rec.timing.duplicates_merged == len(rows)
    assert np.all(np.diff(rec.t) >= 0)
    got = set(zip(np.round(rec.t + rec.timing.t0, 9), rec.x, rec.pen_down))
    want = set(zip(np.round(t, 9), x, pd))
    assert got == want
    # the multiset of samples is preserved up to merging of exact copies
    assert len(set(zip(np.round(rec.t, 9), rec.x, rec.pen_down))) == len(want)


@given(st.lists(st.booleans(), min_size=0, max_size=50))
def test_strokes_and_in_air_partition_the_samples(mask):
    n = len(mask)
    rec = Recording.from_arrays(t=np.arange(n) * 0.01, x=np.arange(n, dtype=float), y=np.zeros(n),
                                pen_down=mask)
    strokes, air = list(rec.strokes()), list(rec.in_air())
    assert sum(map(len, strokes)) == sum(mask)
    assert sum(map(len, air)) == n - sum(mask)
    assert all(s.pen_down.all() for s in strokes) and not any(a.pen_down.any() for a in air)
    assert rec.n_strokes == len(strokes)
    for s in strokes:  # views, not copies
        assert np.shares_memory(s.x, rec.x)


def test_recording_is_immutable():
    rec = Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 0])
    with pytest.raises(AttributeError):
        rec.device = None
    with pytest.raises(ValueError):
        rec.x[0] = 5.0


def test_repr_and_slicing():
    t = np.arange(0, 1, 0.005)
    rec = Recording.from_arrays(t=t, x=t, y=t, pen_down=t < 0.5).with_meta(source="a.svc")
    r = repr(rec)
    assert "200 samples" in r and "2 strokes" not in r and "1 stroke," in r and "200.0 Hz" in r
    assert "a.svc" in r
    sub = rec[10:20]
    assert len(sub) == 10 and sub.meta["source"] == "a.svc"
    assert rec[rec.pen_down].pen_down.all()


def test_tilt_conversion_vertical_pen_is_zero():
    tx, ty = tilt_from_azimuth_altitude([0, 123, 270], [90, 90, 90])
    np.testing.assert_allclose(tx, 0, atol=1e-9)
    np.testing.assert_allclose(ty, 0, atol=1e-9)


def test_device_round_trips_through_dict():
    d = penmotor.DEVICES["wacom-intuos4"]
    assert Device.from_dict(d.to_dict()) == d
    with pytest.raises(ParameterError, match="pressure_range"):
        Device("bad", pressure_range=(5, 1))
