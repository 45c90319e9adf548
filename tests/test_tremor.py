"""penmotor.metrics.tremor against synthetic tremor of known frequency and amplitude, and real data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import Recording, read, synth
from penmotor.metrics import tremor

from test_sizing import transformed


# Tolerances from the issue: frequency within 0.25 Hz, amplitude within 10 %.
@given(f=st.floats(4.0, 12.0), amp=st.floats(0.1, 1.0), direction=st.floats(0.0, 180.0),
       rate=st.sampled_from([133.0, 200.0]), jitter=st.sampled_from([0.0, 0.001]), seed=st.integers(0, 10_000))
@settings(max_examples=30)
def test_spiral_tremor_frequency_and_amplitude(f, amp, direction, rate, jitter, seed):
    rec = synth.spiral(tremor_hz=f, tremor_amplitude_mm=amp, tremor_direction_deg=direction, rate_hz=rate,
                       jitter_s=jitter, seed=seed)
    assert tremor.tremor_frequency(rec) == pytest.approx(f, abs=0.25)
    assert tremor.tremor_amplitude(rec) == pytest.approx(amp, rel=0.10)


@pytest.mark.parametrize("f, amp", [(3.5, 0.2), (5.0, 0.05), (14.0, 0.3)])
def test_edges_of_the_band_and_small_tremor(f, amp):
    rec = synth.spiral(tremor_hz=f, tremor_amplitude_mm=amp, seed=1)
    assert tremor.tremor_frequency(rec) == pytest.approx(f, abs=0.25)
    assert tremor.tremor_amplitude(rec) == pytest.approx(amp, rel=0.10)


@pytest.mark.parametrize("f, amp", [(8.0, 0.5), (10.0, 0.5), (12.0, 0.5)])
@pytest.mark.parametrize("seed", range(3))
def test_strong_tremor_in_handwriting(f, amp, seed):
    """In handwriting the letter shapes leak into the spectrum (documented); a strong tremor stands out."""
    rec = synth.handwriting("the quick brown fox jumps over the lazy dog", tremor_hz=f, tremor_amplitude_mm=amp,
                            speed_mm_s=(15.0, 20.0, 25.0)[seed], seed=seed)
    assert tremor.tremor_frequency(rec) == pytest.approx(f, abs=0.25)
    assert tremor.tremor_amplitude(rec) == pytest.approx(amp, rel=0.25)


def test_power_ratio_separates_calm_from_shaky():
    calm = tremor.tremor_power_ratio(synth.spiral(seed=0))
    shaky = tremor.tremor_power_ratio(synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.4, seed=0))
    assert 0.0 <= calm < 0.05 < 0.5 < shaky <= 1.0
    out_of_band = tremor.tremor_power_ratio(synth.spiral(tremor_hz=14.0, tremor_amplitude_mm=0.4, seed=0))
    assert out_of_band < 0.05


@pytest.mark.parametrize("seed", range(4))
def test_no_tremor_gives_no_tremor(seed):
    calm = synth.spiral(seed=seed, jitter_s=0.001)
    assert tremor.tremor_amplitude(calm) == 0.0
    assert math.isnan(tremor.tremor_frequency(calm))


@given(angle=st.floats(-180, 180), dx=st.floats(-100, 100), dy=st.floats(-100, 100), dt=st.floats(0, 1e4))
@settings(max_examples=15)
def test_invariant_to_rotation_translation_time_shift(angle, dx, dy, dt):
    rec = synth.tremor_spiral(freq_hz=7.0, amplitude_mm=0.3, seed=4)
    moved = transformed(rec, angle_deg=angle, dx=dx, dy=dy, dt=dt)
    assert tremor.tremor_frequency(moved) == pytest.approx(tremor.tremor_frequency(rec), abs=1e-6)
    assert tremor.tremor_amplitude(moved) == pytest.approx(tremor.tremor_amplitude(rec), rel=1e-3)


def test_time_scaling_scales_frequency():
    rec = synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.3, seed=5)
    slow = Recording.from_arrays(rec.t * 1.5, rec.x, rec.y, rec.pressure, pen_down=rec.pen_down)
    assert tremor.tremor_frequency(slow) == pytest.approx(4.0, abs=0.25)


@pytest.mark.parametrize(
    "rec",
    [
        Recording.from_arrays(t=[0.0], x=[1.0], y=[2.0]),
        Recording.from_arrays(t=[0, 0.01, 0.02, 0.03], x=[0, 1, 2, 3], y=[0, 5, 0, 5], pen_down=[1, 0, 1, 0]),
        Recording.from_arrays(t=np.arange(100) * 0.01, x=np.arange(100.0), y=np.zeros(100)),  # 1 s only
        Recording.from_arrays(t=np.arange(500) * 0.01, x=np.zeros(500), y=np.zeros(500), pen_down=np.zeros(500)),
    ],
    ids=["one-point", "one-point-strokes", "too-short", "all-in-air"],
)
def test_degenerate_input_gives_nan(rec):
    for f in (tremor.tremor_frequency, tremor.tremor_amplitude, tremor.tremor_power_ratio):
        assert math.isnan(f(rec))


def test_no_pressure_channel_is_fine():
    rec = synth.tremor_spiral(seed=0)
    bare = Recording.from_arrays(rec.t, rec.x, rec.y, pen_down=rec.pen_down)
    assert tremor.tremor_frequency(bare) == pytest.approx(6.0, abs=0.25)


def test_pahaw_parkinson_spiral_shows_its_tremor(shared_data):
    """PaHaW PD-male (subject 00009): a visible ~7 Hz tremor, the strongest tremor band share of the four."""
    files = {p.parent.name: p for p in (shared_data / "pahaw").glob("*/*.1_1.svc")}
    if "PD-male" not in files:
        pytest.skip("PaHaW PD-male spiral not found")
    recs = {k: read(p, columns="pahaw", device="pahaw") for k, p in files.items()}
    pd_male = recs["PD-male"]
    assert 6.5 <= tremor.tremor_frequency(pd_male) <= 8.0
    assert 0.1 <= tremor.tremor_amplitude(pd_male) <= 0.4  # mm
    ratios = {k: tremor.tremor_power_ratio(r) for k, r in recs.items()}
    assert max(ratios, key=ratios.get) == "PD-male" and ratios["PD-male"] > 0.5


def test_pahaw_spirals_give_finite_plausible_values(shared_data):
    files = sorted((shared_data / "pahaw").glob("*/*.1_1.svc"))
    if not files:
        pytest.skip("no PaHaW spiral (task 1) files")
    for p in files:
        rec = read(p, columns="pahaw", device="pahaw")
        f, a, r = tremor.tremor_frequency(rec), tremor.tremor_amplitude(rec), tremor.tremor_power_ratio(rec)
        assert math.isnan(f) == (a == 0.0)  # no peak: no frequency, zero amplitude
        assert math.isnan(f) or 3.0 <= f <= 15.0
        assert 0.0 <= a < 2.0  # mm
        assert 0.0 <= r <= 1.0
