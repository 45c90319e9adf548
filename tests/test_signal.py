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


def test_resample_result_is_named_and_still_unpacks():
    t = np.array([0.0, 0.01, 0.03, 5.0, 5.02])
    r = resample(t, np.column_stack((t, 2 * t)), starts=[0, 3], stops=[3, 5], rate_hz=100)
    assert r._fields == ("t", "values", "starts", "stops", "source")
    assert r.values.shape == (7, 2) and r.starts.tolist() == [0, 4] and r.stops.tolist() == [4, 7]
    tu, vu, s, e, src = r
    assert tu is r.t and vu is r.values and src is r.source


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


@pytest.mark.parametrize("n,nper,nfft,k",
                         [(2000, 256, 1024, 2), (801, 800, 6400, 2), (999, 100, 101, 1), (5000, 33, 33, 3),
                          (9000, 800, 6400, 2), (3000, 257, 600, 1)])
def test_welch_matches_scipy(n, nper, nfft, k):
    from scipy.signal import welch as scipy_welch

    from penmotor.signal import welch

    x = np.cumsum(np.random.default_rng(n).standard_normal((n, k)), axis=0)  # red noise: a wide dynamic range
    f, p = welch(x, rate_hz=133.0, nperseg=nper, nfft=nfft, chunk=7)
    f2, p2 = scipy_welch(x, fs=133.0, nperseg=nper, nfft=nfft, axis=0)
    np.testing.assert_allclose(f, f2, rtol=1e-12)
    np.testing.assert_allclose(p, p2, rtol=1e-9, atol=1e-12 * p2.max())
    f1, p1 = welch(x[:, 0], rate_hz=133.0, nperseg=nper, nfft=nfft)
    np.testing.assert_allclose(p1, p2[:, 0], rtol=1e-9, atol=1e-12 * p2.max())


def test_welch_rejects_bad_segments():
    from penmotor.signal import welch

    with pytest.raises(ParameterError, match="nperseg"):
        welch(np.zeros(10), rate_hz=100.0, nperseg=20)
    with pytest.raises(ParameterError, match="nfft"):
        welch(np.zeros(100), rate_hz=100.0, nperseg=20, nfft=10)


@pytest.mark.parametrize("taps,n", [(9, 700), (45, 700), (201, 700), (401, 8000)])
def test_segment_filter_matches_per_segment_reference(taps, n):
    # reference: each segment odd-reflected on its own, then a direct correlation;
    # 401 taps over 8000 samples exercises the FFT (overlap-add) path
    rng = np.random.default_rng(taps)
    v = np.cumsum(rng.standard_normal((n, 2)), axis=0) + 100.0
    starts, stops = np.array([0, 5, 300, 301]), np.array([3, 300, 301, n - 10])
    k = rng.standard_normal(taps)
    out = segment_filter(v, k, starts, stops)
    h = taps // 2
    for s, e in zip(starts, stops):
        for c in range(2):
            seg = v[s:e, c]
            if seg.size == 1:
                ref = np.full(1, seg[0] * k.sum())
            else:
                # odd reflection about the end samples, repeated point-wise as segment_filter does
                j = np.arange(1, h + 1)
                m = np.minimum(j, seg.size - 1)
                left = 2 * seg[0] - seg[m][::-1]
                right = 2 * seg[-1] - seg[seg.size - 1 - m]
                ref = np.correlate(np.concatenate((left, seg, right)), k, mode="valid")
            np.testing.assert_allclose(out[s:e, c], ref, rtol=1e-9, atol=1e-9 * np.abs(v).max() * np.abs(k).sum())
    assert np.isnan(out[n - 10 :]).all() and np.isnan(out[3:5]).all()


def test_kinematics_cascade_equals_composed_kernels():
    # the low-pass and the Savitzky-Golay derivatives are applied one after the other; this
    # must equal one pass of the composed kernels (linear filters commute)
    from penmotor.signal import _kinematic_kernels, resample

    rng = np.random.default_rng(3)
    t = np.cumsum(rng.uniform(0.004, 0.006, 900))
    pd = (np.arange(900) // 150) % 3 != 2
    rec = Recording.from_arrays(t=t, x=np.cumsum(rng.standard_normal(900)), y=np.sin(t * 7) * 5, pen_down=pd)
    tr = kinematics(rec)
    s, e = rec.stroke_bounds()
    _, v, ns, ne, _ = resample(rec.t, np.column_stack((rec.x, rec.y)), starts=s, stops=e, rate_hz=200.0)
    lp, d1, d2, d3 = _kinematic_kernels(200.0, 12.0)
    ref = segment_filter(v, [lp] + [np.convolve(lp, d) for d in (d1, d2, d3)], ns, ne)
    for got, want in zip(((tr.x, tr.y), (tr.vx, tr.vy), (tr.ax, tr.ay), (tr.jx, tr.jy)), ref):
        scale = np.abs(want).max()
        np.testing.assert_allclose(np.column_stack(got), want, rtol=0, atol=1e-10 * scale)


def test_segment_filter_with_unsorted_segments():
    # segments given out of order must give the same result as in order
    v = np.cumsum(np.random.default_rng(1).standard_normal(40))
    k = np.array([0.25, 0.5, 0.25])
    for order in ([2, 0, 3, 1], [0, 2, 1, 3]):  # the second spans 0..40 in order of its ends
        s, e = np.array([0, 10, 25, 30]), np.array([10, 25, 30, 40])
        a = segment_filter(v, k, s, e)
        b = segment_filter(v, k, s[order], e[order])
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
        c = derivative(v, rate_hz=10.0, window_s=0.5, starts=s[order], stops=e[order])
        np.testing.assert_allclose(c, derivative(v, rate_hz=10.0, window_s=0.5, starts=s, stops=e), rtol=0, atol=1e-12)


def test_kernels_equal_scipy_bit_for_bit() -> None:
    # signal.py designs its low-pass and Welch windows without importing scipy.signal;
    # they must stay the very numbers scipy gives (the feature values depend on them)
    from scipy.signal import firwin, get_window

    from penmotor.signal import _firwin, _hann

    for numtaps in (3, 31, 101, 257, 401):
        for cutoff, rate in ((2.0, 200.0), (10.0, 200.0), (5.0, 133.0), (12.0, 250.0)):
            assert np.array_equal(_firwin(numtaps, cutoff, rate), firwin(numtaps, cutoff, fs=rate))
    for n in (1, 2, 64, 255, 256, 1024):
        assert np.array_equal(_hann(n), get_window("hann", n))


def _strokes_rec() -> Recording:
    from penmotor import synth

    return synth.handwriting("lazy trace", seed=3)


def test_smooth_acc_tangential_is_lazy_and_the_derivative_of_speed():
    rec = _strokes_rec()
    tr = kinematics(rec)
    assert tr._acc_tangential is None  # not computed until read
    want = derivative(tr.speed, rate_hz=tr.rate_hz, deriv=1, starts=tr.starts, stops=tr.stops)
    got = tr.acc_tangential
    assert got.shape == tr.speed.shape and np.array_equal(got, want, equal_nan=True)
    assert tr.acc_tangential is got  # computed once
    raw = kinematics(rec, mode="raw")
    assert raw._acc_tangential is not None and raw.acc_tangential is raw._acc_tangential


@pytest.mark.parametrize("cutoff", [5.0, 10.0, 24.0])
@pytest.mark.parametrize("phase", ["down", "air"])
def test_velocity_equals_the_full_trace_bit_for_bit(phase: str, cutoff: float):
    from penmotor.signal import velocity

    v = velocity(_strokes_rec(), phase=phase, cutoff_hz=cutoff)  # a fresh recording: nothing shared
    tr = kinematics(_strokes_rec(), phase=phase, cutoff_hz=cutoff)
    assert len(v) == len(tr) > 0
    for name in ("t", "x", "y", "vx", "vy", "starts", "stops", "seg_index"):
        assert np.array_equal(getattr(v, name), getattr(tr, name)), name
    assert np.array_equal(v.segment_of(), tr.segment_of())


def test_segment_filter_long_kernel_channels_together_equal_one_by_one():
    # 401 taps on long segments take the overlap-add FFT path, all channels in one call
    rng = np.random.default_rng(5)
    v = rng.standard_normal((9000, 2)).cumsum(axis=0)
    k = np.hanning(401) / np.hanning(401).sum()
    starts, stops = [0, 4000, 4100], [3990, 4100, 9000]
    both = segment_filter(v, k, starts, stops)
    for c in range(2):
        assert np.array_equal(both[:, c], segment_filter(v[:, c], k, starts, stops), equal_nan=True)
    assert np.isnan(both[3995]).all() and np.isfinite(both[:3990]).all()
