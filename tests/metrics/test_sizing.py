"""penmotor.metrics.sizing against synthetic ground truth, invariances and degenerate input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import Recording, features, synth
from penmotor.metrics import sizing

TEXTS = ["hello world", "the quick brown fox", "jumping over lazy dogs", "a big cat sat on my hat",
         "writing is fun"]


def transformed(rec: Recording, *, angle_deg: float = 0.0, dx: float = 0.0, dy: float = 0.0,
                dt: float = 0.0) -> Recording:
    """The same recording rotated about the origin, translated and shifted in time."""
    a = math.radians(angle_deg)
    x = rec.x * math.cos(a) - rec.y * math.sin(a) + dx
    y = rec.x * math.sin(a) + rec.y * math.cos(a) + dy
    return Recording.from_arrays(rec.t + dt, x, y, rec.pressure, pen_down=rec.pen_down, meta=rec.meta)


# --------------------------------------------------------------------------- ground truth
@given(xh=st.floats(2.0, 8.0), text=st.sampled_from(TEXTS), slant=st.floats(-20.0, 25.0),
       seed=st.integers(0, 10_000))
@settings(max_examples=30)
def test_x_height_within_3_percent(xh, text, slant, seed):
    rec = synth.handwriting(text, x_height_mm=xh, slant_deg=slant, seed=seed)
    assert sizing.x_height(rec) == pytest.approx(rec.meta["truth"]["x_height"], rel=0.03)


@given(asc=st.floats(1.6, 2.6), desc=st.floats(0.6, 1.3), seed=st.integers(0, 10_000))
@settings(max_examples=20)
def test_ascender_and_descender_within_3_percent(asc, desc, seed):
    rec = synth.handwriting("big happy dogs play", x_height_mm=3.0, ascender_mm=3 * asc, descender_mm=3 * desc,
                            seed=seed)
    tr = rec.meta["truth"]
    assert sizing.ascender_height(rec) == pytest.approx(tr["ascender_height"], rel=0.03)
    assert sizing.descender_height(rec) == pytest.approx(tr["descender_height"], rel=0.03)


@given(slant=st.floats(-25.0, 30.0), text=st.sampled_from(TEXTS), seed=st.integers(0, 10_000),
       jitter=st.sampled_from([0.0, 0.001]))
@settings(max_examples=30)
def test_slant_within_3_degrees(slant, text, seed, jitter):
    rec = synth.handwriting(text, slant_deg=slant, seed=seed, jitter_s=jitter)
    assert sizing.slant(rec) == pytest.approx(slant, abs=3.0)


@given(slant=st.floats(-15.0, 25.0), sd=st.floats(0.0, 4.0), seed=st.integers(0, 10_000))
@settings(max_examples=20)
def test_slant_of_letters_with_varying_slant_is_their_mean(slant, sd, seed):
    rec = synth.handwriting("the quick brown fox jumps over the lazy dog", slant_deg=slant, slant_sd_deg=sd,
                            seed=seed)
    assert sizing.slant(rec) == pytest.approx(rec.meta["truth"]["slant"], abs=3.0)


@pytest.mark.parametrize("seed", range(6))
def test_measured_errors_on_varied_handwriting(seed):
    """Letters of varying size, off the baseline, slanted, sampled with jitter and ties."""
    rec = synth.handwriting("the quick brown fox jumps over the lazy dog", x_height_mm=3.5, slant_deg=12,
                            size_cv=0.1, baseline_sd_mm=0.3, jitter_s=0.001, duplicate_fraction=0.05,
                            seed=seed)
    tr = rec.meta["truth"]
    # trimmed mean of 30+ varying letters (measured within 1.1 %; was 5 % with the median)
    assert sizing.x_height(rec) == pytest.approx(tr["x_height"], rel=0.03)
    assert sizing.slant(rec) == pytest.approx(12.0, abs=3.0)
    assert sizing.size_cv(rec) == pytest.approx(tr["size_cv"], abs=0.02)  # measured within 0.011 (was 0.03)
    assert sizing.baseline_deviation(rec) == pytest.approx(tr["baseline_deviation"], rel=0.05)  # within 1.5 %


PANGRAM = "the quick brown fox jumps over the lazy dog"


@given(cv=st.floats(0.05, 0.2), xh=st.floats(2.5, 8.0), slant=st.floats(-15.0, 20.0), base=st.floats(0.0, 0.08),
       spacing=st.floats(0.0, 0.4), speed=st.floats(15.0, 25.0), seed=st.integers(0, 10_000))
@settings(max_examples=40)
def test_x_height_of_uneven_letters(cv, xh, slant, base, spacing, speed, seed):
    """Letters of size CV 0.05-0.2: x-height within 4 % (3 % up to CV 0.1) of the mean letter x-height.

    Before the per-letter estimator: +10-20 % at CV 0.15-0.3 (child_sessions seed 0, sessions 1-2:
    5.64 vs 4.74 mm and 5.31 vs 4.63 mm). On 2 x 80 random pangrams the error was at most 3.0 %
    (1.0 % up to CV 0.1); the rest is sampling: the truth averages every letter, the estimate the ~32
    whose x-zone is visible (not the l's).
    """
    rec = synth.handwriting(PANGRAM, x_height_mm=xh, size_cv=cv, slant_deg=slant, baseline_sd_mm=base * xh,
                            spacing_cv=spacing, speed_mm_s=speed, jitter_s=0.0005, seed=seed)
    tol = 0.03 if cv <= 0.1 else 0.04
    assert sizing.x_height(rec) == pytest.approx(rec.meta["truth"]["x_height"], rel=tol)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("amp", [0.3, 0.45])
def test_x_height_is_not_inflated_by_tremor(seed, amp):
    """A tremor moves every maximum up and minimum down: +8 % at 0.35 mm / 4.5 mm letters before it was removed.

    Vertical tremor, the worst direction: within 4 %. (A tremor too weak to be told from the writing,
    e.g. 0.2 mm here, stays in and inflates the x-height by up to 2 A / x-height: 5-6.5 %.)
    """
    rec = synth.handwriting(PANGRAM, x_height_mm=4.0, size_cv=0.1, speed_mm_s=18.0, tremor_hz=6.0 + seed,
                            tremor_amplitude_mm=amp, tremor_direction_deg=90.0, seed=seed)
    assert sizing.x_height(rec) == pytest.approx(rec.meta["truth"]["x_height"], rel=0.04)


def test_x_height_of_child_sessions():
    """synth.child_sessions (uneven letters, tremor, 18-20 letters a sentence): sessions with size CV below 0.2
    within 7 % (measured max 5.7 % over 10 seeds, mean bias +2.9 %: tremor too weak to be taken out), and on
    average within 4 %.

    Before: session 1 and 2 of seed 0 read 5.64 / 5.31 mm for 4.74 / 4.63 mm (+19 %, +15 %).
    """
    errs = []
    for seed in range(6):
        for rec in synth.child_sessions(6, seed=seed)[::2]:
            tr = rec.meta["truth"]
            if tr["size_cv"] < 0.2:
                errs.append(sizing.x_height(rec) / tr["x_height"] - 1)
    errs = np.array(errs)
    assert errs.size >= 20
    assert np.max(np.abs(errs)) < 0.07 and abs(np.mean(errs)) < 0.04


def test_size_cv_and_baseline_deviation_are_zero_for_perfect_letters():
    rec = synth.handwriting("the quick brown fox", seed=1)
    assert sizing.size_cv(rec) < 0.005
    assert sizing.baseline_deviation(rec) < 0.01


def test_tremor_does_not_break_sizing():
    rec = synth.handwriting("hello world", x_height_mm=4.0, tremor_hz=8.0, tremor_amplitude_mm=0.1, seed=2)
    assert sizing.x_height(rec) == pytest.approx(4.0, rel=0.05)
    assert sizing.slant(rec) == pytest.approx(0.0, abs=3.0)


@pytest.mark.parametrize("freq, amp", [(4.0, 0.15), (6.0, 0.15), (8.0, 0.35), (10.0, 0.35)])
@pytest.mark.parametrize("seed", range(3))
def test_slant_is_not_tilted_by_a_diagonal_tremor(freq, amp, seed):
    # a tremor along 45 deg biased the speed-weighted directions of a 12 Hz trajectory by 5-8 deg
    rec = synth.handwriting("the quick brown fox jumps over the lazy dog", slant_deg=-7.0, speed_mm_s=15.0,
                            tremor_hz=freq, tremor_amplitude_mm=amp, seed=seed)
    assert sizing.slant(rec) == pytest.approx(-7.0, abs=3.0)


# --------------------------------------------------------------------------- invariances
@given(angle=st.floats(-15.0, 15.0), dx=st.floats(-100, 100), dy=st.floats(-100, 100), dt=st.floats(0, 1e4))
@settings(max_examples=25)
def test_invariant_to_rotation_translation_and_time_shift(angle, dx, dy, dt):
    rec = synth.handwriting("the lazy dog jumps", slant_deg=8.0, seed=11)
    moved = transformed(rec, angle_deg=angle, dx=dx, dy=dy, dt=dt)
    assert sizing.x_height(moved) == pytest.approx(sizing.x_height(rec), rel=0.01)
    assert sizing.ascender_height(moved) == pytest.approx(sizing.ascender_height(rec), rel=0.01)
    assert sizing.descender_height(moved) == pytest.approx(sizing.descender_height(rec), rel=0.01)
    assert sizing.slant(moved) == pytest.approx(sizing.slant(rec), abs=0.5)
    assert sizing.baseline_angle(moved) == pytest.approx(angle, abs=0.5)


def test_time_shift_and_translation_are_exact():
    rec = synth.handwriting("hello world", slant_deg=5.0, size_cv=0.1, seed=3)
    moved = transformed(rec, dx=12.5, dy=-40.0, dt=100.0)
    for f in (sizing.x_height, sizing.size_cv, sizing.slant, sizing.baseline_deviation):
        assert f(moved) == pytest.approx(f(rec), rel=1e-6, abs=1e-9)


# --------------------------------------------------------------------------- degenerate input
ALL = (sizing.x_height, sizing.ascender_height, sizing.descender_height, sizing.size_cv,
       sizing.baseline_deviation, sizing.baseline_angle, sizing.slant)


@pytest.mark.parametrize(
    "rec",
    [
        Recording.from_arrays(t=[0.0], x=[1.0], y=[2.0]),
        Recording.from_arrays(t=[0, 0.01, 0.02, 0.03], x=[0, 1, 2, 3], y=[0, 5, 0, 5], pen_down=[1, 0, 1, 0]),
        Recording.from_arrays(t=np.arange(50) * 0.01, x=np.arange(50.0), y=np.zeros(50)),
        Recording.from_arrays(t=np.arange(50) * 0.01, x=np.zeros(50), y=np.zeros(50), pen_down=np.zeros(50)),
        synth.spiral(seed=0),
    ],
    ids=["one-point", "one-point-strokes", "flat-line", "all-in-air", "spiral-task"],
)
def test_degenerate_input_gives_nan_not_exceptions(rec):
    for f in ALL:
        v = f(rec)
        assert isinstance(v, float)
    assert math.isnan(sizing.x_height(rec)) or rec.meta.get("task") != "spiral"
    assert all(math.isnan(f(rec)) for f in ALL) or len(rec) == 50


def test_no_pressure_channel_still_measures_size():
    rec = synth.handwriting("hello world", seed=1)
    bare = Recording.from_arrays(rec.t, rec.x, rec.y, pen_down=rec.pen_down)
    assert sizing.x_height(bare) == pytest.approx(3.0, rel=0.03)


def test_registered_with_scan_modality():
    from penmotor import FEATURES

    for name in ("x_height", "ascender_height", "descender_height", "size_cv", "baseline_deviation", "slant"):
        info = FEATURES[name]
        assert info.family == "sizing" and "scan" in info.modalities and "online" in info.modalities
    assert FEATURES["x_height"].unit == "mm" and FEATURES["slant"].unit == "deg"


def test_features_table_runs_sizing():
    f = features(synth.handwriting("big dogs", x_height_mm=5.0, seed=0), families="sizing")
    assert f["x_height"] == pytest.approx(5.0, rel=0.03)


# --------------------------------------------------------------------------- geometry-only entry point
def _strokes(rec: Recording) -> list:
    return [np.column_stack((s.x, s.y)) for s in rec.strokes()]


@given(xh=st.floats(2.0, 6.0), text=st.sampled_from(TEXTS), slant=st.floats(-15.0, 20.0),
       seed=st.integers(0, 10_000))
@settings(max_examples=15)
def test_paths_without_timing_give_the_online_sizes(xh, text, slant, seed):
    # the online metrics are sizing_from_paths of the pen-down strokes with the pen's slant and
    # letters: the same numbers, bit for bit; with the default letters (box overlap) within 3 %
    rec = synth.handwriting(text, x_height_mm=xh, slant_deg=slant, seed=seed)
    same = sizing.sizing_from_paths(_strokes(rec), slant_deg=sizing.slant(rec),
                                    letters=sizing.letter_components(rec))
    assert same.x_height == sizing.x_height(rec)
    assert same.ascender_height == sizing.ascender_height(rec)
    assert (same.size_cv == sizing.size_cv(rec)) or (math.isnan(same.size_cv) and math.isnan(sizing.size_cv(rec)))
    own = sizing.x_height_from_paths(_strokes(rec), slant_deg=slant)
    assert own == pytest.approx(rec.meta["truth"]["x_height"], rel=0.03)


def test_paths_in_any_order_and_with_empty_ones():
    rec = synth.handwriting("sun moon rain", x_height_mm=3.5, size_cv=0.1, seed=4)
    p = _strokes(rec)
    ref = sizing.sizing_from_paths(p, slant_deg=0.0)
    mixed = sizing.sizing_from_paths([np.empty((0, 2))] + p[::-1], slant_deg=0.0)
    assert mixed.x_height == pytest.approx(ref.x_height, rel=1e-9)
    assert mixed.size_cv == pytest.approx(ref.size_cv, rel=1e-9)
    assert math.isnan(sizing.x_height_from_paths([], slant_deg=0.0))


def test_paths_letters_must_match_the_paths():
    from penmotor.errors import ParameterError

    p = _strokes(synth.handwriting("sun", seed=0))
    with pytest.raises(ParameterError, match="letters"):
        sizing.sizing_from_paths(p, slant_deg=0.0, letters=[0])
