"""Stroke-to-stroke consistency (metrics/consistency.py): known answers on constructed and synthetic ink."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import penmotor
from penmotor import Recording, segment, synth
from penmotor.metrics import consistency as cs


def strokes_recording(durations, lifts, *, rate_hz=200.0, length_mm=None, height_mm=None):
    """Straight diagonal strokes of given durations separated by hover of given durations."""
    t_parts, x_parts, y_parts, pd_parts = [], [], [], []
    t0 = 0.0
    x0 = 0.0
    for k, d in enumerate(durations):
        n = int(round(d * rate_hz)) + 1
        tt = t0 + np.arange(n) / rate_hz
        w = 2.0 + k if length_mm is None else length_mm[k]
        h = 3.0 if height_mm is None else height_mm[k]
        u = np.linspace(0, 1, n)
        t_parts.append(tt)
        x_parts.append(x0 + w * u)
        y_parts.append(h * u)
        pd_parts.append(np.ones(n, dtype=bool))
        t0 = tt[-1]
        x0 += w
        if k < len(lifts):
            m = int(round(lifts[k] * rate_hz))
            ta = t0 + np.arange(1, m) / rate_hz
            t_parts.append(ta)
            x_parts.append(np.linspace(x0, x0 + 1.0, ta.size + 2)[1:-1])
            y_parts.append(np.full(ta.size, 4.0))
            pd_parts.append(np.zeros(ta.size, dtype=bool))
            t0 += lifts[k]
            x0 += 1.0
    return Recording.from_arrays(t=np.concatenate(t_parts), x=np.concatenate(x_parts), y=np.concatenate(y_parts),
                                 pen_down=np.concatenate(pd_parts))


def test_stroke_and_lift_statistics_known():
    d = [0.2, 0.4, 0.3, 0.8, 0.5]
    lifts = [0.1, 0.3, 0.2, 0.6]
    rec = strokes_recording(d, lifts)
    assert cs.stroke_durations(rec) == pytest.approx(d)
    ld, travel = cs.lift_measures(rec)
    assert ld == pytest.approx(lifts)
    assert cs.stroke_duration_median(rec) == pytest.approx(0.4)
    assert cs.stroke_duration_sd(rec) == pytest.approx(np.std(d))
    assert cs.stroke_duration_cv(rec) == pytest.approx(np.std(d) / np.mean(d))
    assert cs.stroke_duration_p95(rec) == pytest.approx(np.percentile(d, 95))
    assert cs.stroke_duration_log_sd(rec) == pytest.approx(np.log(d).std())
    assert cs.lift_duration_median(rec) == pytest.approx(np.median(lifts))
    assert cs.lift_duration_log_sd(rec) == pytest.approx(np.log(lifts).std())
    # each stroke ends at height 3 and the next starts at height 0, 1 mm to the right
    assert travel == pytest.approx([math.hypot(1.0, 3.0)] * 4)
    assert cs.lift_travel_cv(rec) == pytest.approx(0.0, abs=1e-12)
    widths = [2.0, 3.0, 4.0, 5.0, 6.0]
    assert cs.stroke_width_median(rec) == pytest.approx(4.0)
    assert cs.stroke_width_sd(rec) == pytest.approx(np.std(widths))
    assert cs.stroke_height_cv(rec) == pytest.approx(0.0, abs=1e-12)
    assert cs.stroke_length_median(rec) == pytest.approx(math.hypot(4.0, 3.0))


def test_one_stroke_has_no_spread():
    rec = strokes_recording([0.5], [])
    assert math.isnan(cs.stroke_duration_sd(rec)) and math.isnan(cs.stroke_duration_cv(rec))
    assert cs.stroke_duration_median(rec) == pytest.approx(0.5)
    assert math.isnan(cs.lift_duration_median(rec))


def test_updown_strokes_and_isochrony_of_a_regular_rhythm():
    f = 2.0  # up and down twice a second, 8 mm tall
    t = np.arange(0, 4, 0.005)
    rec = Recording.from_arrays(t=t, x=6 * t, y=-4 * np.cos(2 * np.pi * f * t))
    ud = cs.updown_strokes(rec)
    assert ud["duration"].size == 16
    assert cs.updown_duration_mean(rec) == pytest.approx(1 / (2 * f), rel=0.03)
    assert cs.updown_height_mean(rec) == pytest.approx(8.0, rel=0.02)
    assert cs.updown_height_cv(rec) < 0.02
    assert cs.updown_width_mean(rec) == pytest.approx(6 / (2 * f), rel=0.05)
    # peak speed: |v| max = sqrt(6^2 + (4 * 2 pi f)^2)
    assert cs.updown_peak_speed_mean(rec) == pytest.approx(math.hypot(6, 8 * np.pi * f), rel=0.03)
    assert cs.peak_interval_median(rec) == pytest.approx(1 / f, rel=0.02)
    assert cs.peak_interval_cv(rec) < 0.02


def test_irregular_rhythm_is_measured():
    rng = np.random.default_rng(5)
    periods = rng.uniform(0.3, 0.7, 12)
    edges = np.concatenate(([0.0], np.cumsum(periods)))
    t = np.arange(0, edges[-1], 0.005)
    k = np.searchsorted(edges, t, side="right") - 1
    phase = (t - edges[k]) / periods[k]
    rec = Recording.from_arrays(t=t, x=5 * t, y=-4 * np.cos(2 * np.pi * phase))
    pi = cs.peak_intervals(rec)
    # peaks at the middle of each period: intervals are the means of neighbouring periods
    truth = 0.5 * (periods[:-1] + periods[1:])
    assert pi.size == truth.size
    assert pi == pytest.approx(truth, abs=0.012)
    assert cs.peak_interval_cv(rec) == pytest.approx(np.std(truth) / np.mean(truth), abs=0.02)


def test_small_wiggles_are_not_updown_strokes():
    t = np.arange(0, 2, 0.005)
    rec = Recording.from_arrays(t=t, x=20 * t, y=0.1 * np.sin(2 * np.pi * 3 * t))  # 0.2 mm jitter
    assert cs.updown_strokes(rec)["duration"].size == 0
    assert math.isnan(cs.updown_duration_mean(rec)) and math.isnan(cs.peak_interval_median(rec))


def page(lines, *, line_step_mm=12.0, return_s=0.8, seed=0):
    """Synthetic lines stacked into a page, the pen hovering back to the left margin between lines."""
    recs = [synth.handwriting(text, seed=seed + i, pause_scale=3.0) for i, text in enumerate(lines)]
    t, x, y, pd = [], [], [], []
    t0 = 0.0
    for i, r in enumerate(recs):
        if i:
            ta = t0 + np.arange(1, int(return_s * 200)) / 200.0
            t.append(ta)
            x.append(np.linspace(x[-1][-1], r.x[0], ta.size))
            y.append(np.linspace(y[-1][-1], r.y[0] - i * line_step_mm, ta.size))
            pd.append(np.zeros(ta.size, dtype=bool))
            t0 += return_s
        t.append(t0 + r.t)
        x.append(r.x)
        y.append(r.y - i * line_step_mm)
        pd.append(r.pen_down)
        t0 += r.t[-1] + 0.005
    return Recording.from_arrays(t=np.concatenate(t), x=np.concatenate(x), y=np.concatenate(y),
                                 pen_down=np.concatenate(pd))


def test_pauses_by_location_on_a_synthetic_page():
    lines = ["the cat sat", "on a mat", "so it did", "all day"]
    rec = page(lines)
    loc = segment.lift_locations(rec)
    assert int((loc == segment.BETWEEN_LINES).sum()) == len(lines) - 1
    n_word_gaps = sum(len(s.split()) - 1 for s in lines)
    assert int((loc == segment.BETWEEN_WORDS).sum()) == n_word_gaps
    assert cs.pause_between_lines_count(rec) == len(lines) - 1
    assert cs.pause_between_lines_time(rec) > 0.8 * (len(lines) - 1)
    assert cs.pause_between_words_count(rec) == n_word_gaps
    d, where = cs.pause_locations(rec)
    total = cs.pause_within_word_time(rec) + cs.pause_between_words_time(rec) + cs.pause_between_lines_time(rec)
    assert total == pytest.approx(d.sum())
    assert cs.pause_duration_log_sd(rec) > 0
    # line and word labels, when given, decide instead of the gap rule
    n = rec.n_strokes
    lab = segment.lift_locations(rec, line=np.zeros(n, dtype=int), word=np.arange(n))
    assert set(lab.tolist()) == {segment.BETWEEN_WORDS}


def test_pahaw_single_lines_have_no_line_breaks(shared_data):
    files = sorted((shared_data / "pahaw").glob("*/*.svc"))
    if not files:
        pytest.skip("no PaHaW files")
    lifts = breaks = 0
    for f in files:
        loc = segment.lift_locations(penmotor.read(f))
        lifts += loc.size
        breaks += int((loc == segment.BETWEEN_LINES).sum())
    assert lifts > 200
    assert breaks <= 0.01 * lifts  # every PaHaW task is written on one line


def test_registry_units_and_directions():
    for name in ("stroke_duration_cv", "lift_travel_p95", "updown_peak_speed_sd", "peak_interval_cv",
                 "pause_between_words_count", "pause_duration_log_sd"):
        info = penmotor.FEATURES[name]
        assert info.family == "consistency" and info.description
    assert penmotor.FEATURES["stroke_duration_median"].unit == "s"
    assert penmotor.FEATURES["lift_travel_median"].unit == "mm"
    assert penmotor.FEATURES["updown_peak_speed_mean"].unit == "mm/s"
    assert penmotor.FEATURES["stroke_height_cv"].better == "lower"
    assert penmotor.FEATURES["stroke_height_median"].better is None


@given(st.lists(st.floats(0.05, 2.0), min_size=2, max_size=12), st.floats(0.2, 5.0))
def test_time_scaling(durations, k):
    """Slowing the whole recording by k scales durations by k; CVs and log-SDs do not change."""
    lifts = [0.1] * (len(durations) - 1)
    rec = strokes_recording(durations, lifts)
    slow = Recording.from_arrays(t=rec.t * k, x=rec.x, y=rec.y, pen_down=rec.pen_down)
    assert cs.stroke_duration_median(slow) == pytest.approx(k * cs.stroke_duration_median(rec), rel=1e-9)
    assert cs.stroke_duration_cv(slow) == pytest.approx(cs.stroke_duration_cv(rec), rel=1e-9, abs=1e-12)
    assert cs.stroke_duration_log_sd(slow) == pytest.approx(cs.stroke_duration_log_sd(rec), rel=1e-9, abs=1e-12)
    assert cs.stroke_length_median(slow) == pytest.approx(cs.stroke_length_median(rec))


@given(st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=0, max_size=40))
def test_spread_matches_numpy(values):
    v = np.asarray(values)
    for stat, ref in (("median", lambda a: np.median(a)), ("p95", lambda a: np.percentile(a, 95)),
                      ("mean", np.mean), ("sd", np.std)):
        got = cs.spread(v, stat)
        if v.size == 0 or (stat == "sd" and v.size < 2):
            assert math.isnan(got)
        else:
            assert got == pytest.approx(ref(v), rel=1e-9, abs=1e-9)
    pos = v[v > 0]
    got = cs.spread(v, "log_sd")
    assert math.isnan(got) if pos.size < 2 else got == pytest.approx(np.log(pos).std(), rel=1e-9, abs=1e-9)
    with pytest.raises(penmotor.ParameterError, match="stat"):
        cs.spread(v, "mode")
