"""Temporal metrics: durations, ratio, lifts, pauses, tempo; hand-computed references."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import ParameterError, Recording
from penmotor.metrics import temporal as tm


def _rec(pd, dt=0.01, x=None):
    pd = np.asarray(pd, dtype=bool)
    t = np.arange(pd.size) * dt
    x = np.arange(pd.size, dtype=float) if x is None else x
    return Recording.from_arrays(t=t, x=x, y=0 * t, pen_down=pd)


def test_durations_by_hand():
    rec = _rec([1, 1, 1, 0, 0, 1, 1, 0], dt=0.5)
    # intervals start-state: down 0,1,2,5,6 -> 5 intervals; air 3,4 -> 2 (the last sample owns none)
    assert tm.duration_total(rec) == pytest.approx(3.5)
    assert tm.duration_on_surface(rec) == pytest.approx(2.5)
    assert tm.duration_in_air(rec) == pytest.approx(1.0)
    assert tm.in_air_ratio(rec) == pytest.approx(0.4)
    # spans (BDALab's definition): strokes [0..2] and [5..6] -> 1.0 + 0.5; air [3..4], [7] -> 0.5 + 0
    assert tm.duration_on_surface(rec, method="spans") == pytest.approx(1.5)
    assert tm.duration_in_air(rec, method="spans") == pytest.approx(0.5)
    assert tm.stroke_count(rec) == 2
    assert tm.pen_lifts(rec) == 2
    assert tm.pen_lifts_per_s(rec) == pytest.approx(2 / 3.5)
    assert tm.tempo(rec) == pytest.approx(2 / 3.5)


@settings(max_examples=40)
@given(pd=st.lists(st.booleans(), min_size=2, max_size=200), dt=st.floats(0.001, 0.1))
def test_on_plus_air_is_total(pd, dt):
    rec = _rec(pd, dt=dt)
    assert tm.duration_on_surface(rec) + tm.duration_in_air(rec) == pytest.approx(tm.duration_total(rec))
    assert tm.stroke_count(rec) == sum(1 for i, v in enumerate(pd) if v and (i == 0 or not pd[i - 1]))


def test_pen_lifts_per_100mm():
    # 2 strokes of 50 mm each (x steps of 1 mm), one lift between them and one at the end
    pd = [1] * 51 + [0] * 5 + [1] * 51 + [0]
    x = np.concatenate((np.arange(51.0), np.full(5, 60.0), 100 + np.arange(51.0), [0.0]))
    rec = _rec(pd, x=x)
    assert tm.pen_lifts(rec) == 2
    assert tm.pen_lifts_per_100mm(rec) == pytest.approx(2.0)


def test_pauses_params_and_degenerate():
    t = np.arange(0, 4, 0.005)
    # moving 20 mm/s, still for 0.3 s, moving, still for 1 s, moving
    v = np.where(((t > 1) & (t < 1.3)) | ((t > 2.5) & (t < 3.5)), 0.0, 20.0)
    x = np.concatenate(([0], np.cumsum(v[1:] * 0.005)))
    rec = Recording.from_arrays(t=t, x=x, y=0 * t)
    runs = tm.pause_runs(rec)
    assert len(runs) == 2
    assert runs == pytest.approx([0.3, 1.0], abs=0.05)
    assert tm.pause_count(rec, min_pause_s=0.5) == 1
    assert tm.pause_time(rec) == pytest.approx(1.3, abs=0.1)
    assert tm.pause_ratio(rec) == pytest.approx(1.3 / 4, abs=0.03)
    # a threshold above the writing speed makes everything one pause
    assert tm.pause_count(rec, speed_threshold_mm_s=50.0) == 1
    with pytest.raises(ParameterError, match="min_pause_s"):
        tm.pause_runs(rec, min_pause_s=-1)
    with pytest.raises(ParameterError, match="speed_threshold_mm_s"):
        tm.pause_runs(rec, speed_threshold_mm_s=0)


def test_pauses_do_not_cross_pen_lifts():
    t = np.arange(0, 2, 0.005)
    pd = (t < 0.9) | (t > 1.1)
    # pen still just before and after the lift (0.6..0.9 and 1.1..1.4): two pauses, never merged
    v = np.where(((t > 0.6) & (t < 1.4)), 0.0, 20.0)
    x = np.concatenate(([0], np.cumsum(v[1:] * 0.005)))
    rec = Recording.from_arrays(t=t, x=x, y=0 * t, pen_down=pd)
    assert tm.pause_count(rec, min_pause_s=0.2) == 2
    assert tm.pause_count(rec, min_pause_s=0.45) == 0


def test_degenerate():
    one = Recording.from_arrays(t=[0.0], x=[0.0], y=[0.0])
    assert math.isnan(tm.duration_total(one))
    assert math.isnan(tm.in_air_ratio(one))
    air_only = _rec([0, 0, 0])
    assert math.isnan(tm.in_air_ratio(air_only))
    assert math.isnan(tm.pause_count(air_only))
    assert tm.stroke_count(air_only) == 0
    assert math.isnan(tm.pen_lifts_per_100mm(air_only))
    down_only = _rec([1, 1, 1])
    assert tm.in_air_ratio(down_only) == 0.0
    with pytest.raises(ParameterError, match="method"):
        tm.duration_on_surface(down_only, method="bdalab")


def test_real_pahaw_durations(shared_data):
    import penmotor

    files = sorted((shared_data / "pahaw").rglob("*.svc"))[:3]
    for f in files:
        rec = penmotor.read(f, columns="pahaw", device="pahaw")
        total = tm.duration_total(rec)
        assert total > 1.0
        assert tm.duration_on_surface(rec) + tm.duration_in_air(rec) == pytest.approx(total)
        assert tm.stroke_count(rec) >= 1


@pytest.mark.parametrize("text,seed", [("hello world", 1), ("the quick brown fox", 2), ("ijtx", 3)])
def test_synthetic_ground_truth(text, seed):
    from penmotor import synth

    rec = synth.handwriting(text, seed=seed)
    truth = rec.meta["truth"]
    assert tm.stroke_count(rec) == truth["stroke_count"]
    assert tm.in_air_ratio(rec) == pytest.approx(truth["in_air_ratio"], rel=0.03)
