"""Out-of-range gaps: detection (signal.out_of_range), hover vs out-of-range time, no resampling across a gap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import penmotor
from penmotor import Recording, signal, synth
from penmotor.errors import ParameterError
from penmotor.metrics import kinematics as kin
from penmotor.metrics import temporal as tm


def gapped_page(seed: int = 0, *, keep_s: float = 0.04, min_run_s: float = 0.15, every: int = 1):
    """A synthetic page whose longer in-air runs lose their middle: the pen went out of range.

    Returns the gapped recording, the original one and the true out-of-range time
    (the sum of the intervals that span a removed stretch).
    """
    rec = synth.handwriting("the quick brown fox jumps over the lazy dog", seed=seed, pause_scale=2.0)
    s, e = rec.in_air_bounds()
    t = rec.t
    drop = np.zeros(len(rec), dtype=bool)
    truth = 0.0
    for k, (a, b) in enumerate(zip(s, e)):  # test set-up only: a loop over in-air runs
        if k % every or t[b - 1] - t[a] < min_run_s or b >= len(rec):
            continue
        inner = (t >= t[a] + keep_s) & (t <= t[b - 1] - keep_s) & (np.arange(len(rec)) >= a) & (np.arange(len(rec)) < b)
        idx = np.flatnonzero(inner)
        if idx.size == 0:
            continue
        drop[idx] = True
        truth += t[idx[-1] + 1] - t[idx[0] - 1]
    return rec[~drop], rec, truth


def test_out_of_range_time_matches_truth():
    for seed in range(4):
        gapped, _, truth = gapped_page(seed)
        assert truth > 1.0
        assert tm.out_of_range_time(gapped) == pytest.approx(truth, rel=0.05)


def test_no_gap_in_a_regular_recording():
    rec = synth.handwriting("hello world", seed=3, jitter_s=0.001)
    assert not signal.out_of_range(rec).any()
    assert tm.out_of_range_time(rec) == 0.0
    assert tm.out_of_range_ratio(rec) == 0.0
    assert tm.hover_time(rec) == pytest.approx(tm.duration_in_air(rec))


def test_hover_plus_out_of_range_is_in_air_time():
    gapped, rec, truth = gapped_page(1)
    h, o = tm.hover_time(gapped), tm.out_of_range_time(gapped)
    assert h + o == pytest.approx(tm.duration_in_air(gapped), rel=1e-12)
    assert tm.duration_in_air(gapped) + tm.duration_on_surface(gapped) == pytest.approx(tm.duration_total(gapped))
    assert tm.out_of_range_ratio(gapped) == pytest.approx(o / (h + o))
    # the page lasts as long as before: removing samples inside the runs moves no time stamp
    assert tm.duration_in_air(gapped) == pytest.approx(tm.duration_in_air(rec), rel=1e-9)


def test_air_kinematics_never_cross_a_gap():
    gapped, rec, _ = gapped_page(2)
    tr = signal.kinematics(gapped, phase="air")
    gap = signal.out_of_range(gapped)
    g0, g1 = gapped.t[:-1][gap], gapped.t[1:][gap]
    inside = (tr.t[:, None] > g0[None, :] + 1e-9) & (tr.t[:, None] < g1[None, :] - 1e-9)
    assert not inside.any()  # no resampled sample inside an out-of-range gap
    # constant-velocity filling across the gaps made the median in-air acceleration tiny;
    # on sampled hover it stays in the range of the complete recording's
    a_gap = kin.kinematic_stat(gapped, "acc", "median", phase="air")
    a_full = kin.kinematic_stat(rec, "acc", "median", phase="air")
    assert a_gap > 0.3 * a_full
    assert np.all(tr.stops - tr.starts >= 1)
    assert set(np.unique(tr.seg_index)) <= set(range(len(gapped.in_air_bounds()[0])))


def test_gap_after_the_last_contact_sample_is_in_air_time():
    t = [0.0, 0.01, 0.02, 0.52, 0.53, 0.54]  # pen lifted high straight from the surface
    rec = Recording.from_arrays(t=t, x=[0.0] * 6, y=[0.0] * 6, pen_down=[1, 1, 1, 0, 1, 1])
    assert signal.out_of_range(rec).tolist() == [False, False, True, False, False]
    assert tm.out_of_range_time(rec) == pytest.approx(0.5)
    assert tm.duration_on_surface(rec) == pytest.approx(0.03)  # 0-0.02 and 0.53-0.54
    assert tm.duration_in_air(rec) == pytest.approx(0.51)  # the gap and one hover interval


def test_dropout_while_touching_is_not_out_of_range():
    t = [0.0, 0.01, 0.02, 0.30, 0.31]
    rec = Recording.from_arrays(t=t, x=[0.0] * 5, y=[0.0] * 5, pen_down=[1] * 5)
    assert not signal.out_of_range(rec).any()


def test_proximity_channel_marks_a_gap():
    t = np.arange(8) * 0.01
    in_range = np.array([1, 1, 1, 0, 1, 1, 1, 1.0])
    rec = Recording.from_arrays(t=t, x=t, y=0 * t, pen_down=[1, 1, 0, 0, 0, 0, 1, 1], extra={"in_range": in_range})
    assert np.flatnonzero(signal.out_of_range(rec)).tolist() == [3]
    assert tm.out_of_range_time(rec) == pytest.approx(0.01)


def test_threshold_follows_the_effective_rate():
    # 125 Hz hover with 30 ms steps: 3.75 periods is hover at the default 5, a gap at 3
    t = np.concatenate((np.arange(10) * 0.008, 0.072 + np.arange(1, 6) * 0.030, 0.222 + np.arange(1, 10) * 0.008))
    pd = np.r_[np.ones(10), np.zeros(5), np.ones(9)].astype(bool)
    rec = Recording.from_arrays(t=t, x=t, y=0 * t, pen_down=pd)
    assert not signal.out_of_range(rec).any()
    assert signal.out_of_range(rec, max_gap_periods=3.0).sum() == 5
    with pytest.raises(ParameterError, match="max_gap_periods"):
        signal.out_of_range(rec, max_gap_periods=0)


@given(st.lists(st.floats(0.001, 0.05), min_size=3, max_size=60), st.integers(0, 2**32 - 1))
def test_split_is_a_partition_of_in_air_time(dts, seed):
    rng = np.random.default_rng(seed)
    t = np.concatenate(([0.0], np.cumsum(dts)))
    pd = rng.random(t.size) < 0.5
    rec = Recording.from_arrays(t=t, x=rng.random(t.size), y=rng.random(t.size), pen_down=pd)
    h, o = tm.hover_time(rec), tm.out_of_range_time(rec)
    assert h >= 0 and o >= 0
    assert h + o == pytest.approx(tm.duration_in_air(rec), abs=1e-12)
    assert tm.duration_in_air(rec) + tm.duration_on_surface(rec) == pytest.approx(tm.duration_total(rec), abs=1e-12)
    tr = signal.kinematics(rec, phase="air")  # never fails, whatever the gaps
    assert len(tr) == 0 or np.isfinite(tr.speed).all()


def test_pahaw_out_of_range_share(shared_data):
    files = sorted((shared_data / "pahaw").glob("*/*.svc"))
    if not files:
        pytest.skip("no PaHaW files")
    air = oor = 0.0
    for f in files:
        rec = penmotor.read(f)
        air += tm.duration_in_air(rec)
        oor += tm.out_of_range_time(rec)
        if tm.out_of_range_time(rec) > 0:
            # the raw-mode in-air speed never differentiates across a gap either
            tr = signal.kinematics(rec, phase="air", mode="raw")
            dt = np.diff(tr.t)
            same = tr.segment_of()[1:] == tr.segment_of()[:-1]
            assert np.all(dt[same] <= 5.0 / rec.timing.effective_rate_hz + 1e-9)
    # PaHaW tablets stop reporting when the pen is lifted high: a fifth of the in-air time
    assert 0.1 < oor / air < 0.35
