"""penmotor.signal: resampling, per-segment filters, kinematics trace."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from penmotor import ParameterError, Recording
from penmotor.signal import derivative, kinematics, lowpass, resample, segment_filter, segment_sums


def test_resample_interpolates_within_segments_only():
    t = np.array([0.0, 0.01, 0.03, 5.0, 5.02])
    v = np.array([0.0, 1.0, 3.0, 100.0, 102.0])
    tu, vu, s, e, src = resample(t, v, starts=[0, 3], stops=[3, 5], rate_hz=100)
    np.testing.assert_allclose(vu, [0, 1, 2, 3, 100, 101, 102])
    np.testing.assert_allclose(tu, [0, 0.01, 0.02, 0.03, 5.0, 5.01, 5.02])
    assert src.tolist() == [0, 0, 0, 0, 1, 1, 1]


def test_resample_averages_tied_time_stamps():
    tu, vu, *_ = resample([0, 0.01, 0.01, 0.02], [0.0, 1.0, 3.0, 4.0], starts=[0], stops=[4], rate_hz=100)
    np.testing.assert_allclose(vu, [0, 2, 4])


def test_resample_rejects_bad_rate():
    with pytest.raises(ParameterError, match="rate_hz"):
        resample([0, 1], [0, 1], starts=[0], stops=[2], rate_hz=0)


@given(st.integers(2, 40), st.integers(2, 40), st.floats(-100, 100), st.integers(0, 10_000))
def test_filters_do_not_leak_between_segments(n1, n2, bump, seed):
    """Changing one segment never changes another segment's filtered output."""
    rng = np.random.default_rng(seed)
    v = rng.normal(size=n1 + n2)
    w = v.copy()
    w[n1:] += bump
    k = np.hanning(11) / np.hanning(11).sum()
    a = segment_filter(v, k, [0, n1], [n1, n1 + n2])
    b = segment_filter(w, k, [0, n1], [n1, n1 + n2])
    np.testing.assert_array_equal(a[:n1], b[:n1])


def test_segment_filter_keeps_lines_exact_at_the_ends():
    x = np.concatenate((np.linspace(0, 1, 20), np.linspace(50, 40, 15)))
    out = segment_filter(x, np.hanning(9) / np.hanning(9).sum(), [0, 20], [20, 35])
    np.testing.assert_allclose(out, x, atol=1e-12)


def test_derivative_of_polynomials_is_exact_including_edges():
    t = np.arange(60) / 100.0
    d1 = derivative(t ** 3, rate_hz=100.0, deriv=1, starts=[0, 30], stops=[30, 60])
    np.testing.assert_allclose(d1, 3 * t ** 2, atol=1e-9)
    d2 = derivative(t ** 3, rate_hz=100.0, deriv=2)
    np.testing.assert_allclose(d2, 6 * t, atol=1e-6)


def test_lowpass_passes_slow_and_removes_fast_components():
    fs = 200.0
    t = np.arange(1000) / fs
    slow = np.sin(2 * np.pi * 1.5 * t)
    out = lowpass(slow + 0.5 * np.sin(2 * np.pi * 45 * t), rate_hz=fs, cutoff_hz=12.0)
    assert np.abs(out - slow)[40:-40].max() < 0.02
    with pytest.raises(ParameterError, match="cutoff_hz"):
        lowpass(slow, rate_hz=fs, cutoff_hz=150.0)


def test_segment_sums_handles_empty_segments():
    np.testing.assert_allclose(segment_sums([1.0, 2, 3], [0, 1, 3], [1, 3, 3]), [1, 5, 0])


def _circle(omega=2 * np.pi, r=10.0, fs=250.0, jitter=0.0, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(0, 3, 1 / fs) + rng.uniform(-jitter, jitter, int(3 * fs))
    t.sort()
    return Recording.from_arrays(t=t, x=r * np.cos(omega * t), y=r * np.sin(omega * t))


def test_kinematics_circle_known_speed_and_centripetal_acceleration():
    rec = _circle(jitter=0.001)  # irregular sampling, resampled per stroke
    tr = kinematics(rec)
    mid = slice(50, -50)
    np.testing.assert_allclose(tr.speed[mid], 10 * 2 * np.pi, rtol=0.01)
    np.testing.assert_allclose(tr.acc[mid], 10 * (2 * np.pi) ** 2, rtol=0.02)
    np.testing.assert_allclose(tr.acc_tangential[mid], 0, atol=2.0)


def test_pen_lift_creates_no_velocity_spike():
    t = np.arange(0, 2, 0.005)
    x = np.where(t < 1, 20 * t, 20 * t + 30)  # jump of 30 mm while the pen is up
    rec = Recording.from_arrays(t=t, x=x, y=0 * t, pen_down=(t < 0.95) | (t > 1.05))
    for mode in ("smooth", "raw"):
        tr = kinematics(rec, mode=mode)
        assert tr.n_segments == 2
        assert np.nanmax(tr.speed) == pytest.approx(20, rel=1e-6)


def test_kinematics_is_cached_per_recording():
    rec = _circle()
    assert kinematics(rec) is kinematics(rec)
    assert kinematics(rec, mode="raw") is not kinematics(rec)


@pytest.mark.parametrize("mode", ["smooth", "raw"])
@pytest.mark.parametrize("phase", ["down", "air", "all"])
def test_empty_phases_give_empty_traces(phase, mode):
    rec = Recording.from_arrays(t=[0, 0.01, 0.02], x=[0, 1, 2], y=[0, 0, 0])  # no in-air sample
    tr = kinematics(rec, phase=phase, mode=mode)
    assert tr.n_segments == (0 if phase == "air" else 1)
    assert len(tr) == (0 if phase == "air" else (3 if mode == "raw" else 5))
