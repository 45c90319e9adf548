"""penmotor.metrics.tremor against synthetic tremor of known frequency and amplitude, and real data."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import ParameterError, Recording, read, synth
from penmotor.metrics import tremor

from cursive import constant_speed
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
    assert tremor.tremor_amplitude(rec) == pytest.approx(amp, rel=0.20)  # was 25 % before the line test


# --------------------------------------------------------------------------- handwriting
SENTENCES = ["the quick brown fox jumps over the lazy dog", "a big cat sat on my hat", "my cat likes warm milk",
             "we play in the park", "i can write my name", "fish swim in the lake", "hello world again"]


def _sentence(k: int, rng: np.random.Generator, amp: float, f: float | None) -> Recording:
    """A varied synthetic sentence: x-height 2.5-8 mm, 15-25 mm/s, uneven letters and gaps, any tremor axis."""
    xh = rng.uniform(2.5, 8.0)
    return synth.handwriting(SENTENCES[k % len(SENTENCES)], x_height_mm=xh, speed_mm_s=rng.uniform(15, 25),
                             tremor_hz=f if amp > 0 else None, tremor_amplitude_mm=amp,
                             size_cv=rng.uniform(0, 0.25), spacing_cv=rng.uniform(0, 0.5),
                             baseline_sd_mm=rng.uniform(0, 0.1 * xh), slant_deg=rng.uniform(-10, 20),
                             tremor_direction_deg=rng.uniform(0, 180), jitter_s=0.0005, seed=k)


@pytest.mark.parametrize("f", [6.0, 8.0, 10.0])
@pytest.mark.parametrize("amp", [0.3, 0.5])
@pytest.mark.parametrize("k", [0, 3])
def test_tremor_in_sentences(f, amp, k):
    """Planted tremor of 0.3-0.5 mm at 6-10 Hz: frequency within 0.25 Hz, amplitude within 20 %."""
    rec = synth.handwriting(SENTENCES[k], x_height_mm=4.0, speed_mm_s=20.0, size_cv=0.1, spacing_cv=0.3,
                            tremor_hz=f, tremor_amplitude_mm=amp, tremor_direction_deg=30.0 * k, seed=k)
    assert tremor.tremor_frequency(rec) == pytest.approx(f, abs=0.25)
    assert tremor.tremor_amplitude(rec) == pytest.approx(amp, rel=0.20)


def test_tremor_in_varied_sentences_is_found_or_missed_never_wrong():
    """0.2-0.5 mm at 6-10 Hz in 40 varied sentences: >= 85 % within 0.25 Hz and 20 %, the rest missed (NaN, 0).

    Measured when written (3 x 200 random sentences): 0.2 mm 89 %, 0.3 mm 99 %, 0.4-0.5 mm 96-100 %;
    a tremor of 0.1-0.15 mm is found in only about half of the sentences (documented limit).
    """
    rng = np.random.default_rng(7)
    ok = wrong = 0
    for k in range(40):
        f, amp = rng.uniform(6.0, 10.0), rng.uniform(0.2, 0.5)
        rec = _sentence(k, rng, amp, f)
        fm, am = tremor.tremor_frequency(rec), tremor.tremor_amplitude(rec)
        if math.isnan(fm):
            assert am == 0.0
        elif abs(fm - f) <= 0.25 and abs(am / amp - 1) <= 0.20:
            ok += 1
        else:
            wrong += 1
    assert ok >= 34 and wrong <= 1


def test_tremor_free_sentences_report_no_tremor():
    """No tremor planted: amplitude below 0.05 mm or no peak at all (before: 0.05-1.3 mm "tremor")."""
    rng = np.random.default_rng(8)
    amps = []
    for k in range(30):
        rec = _sentence(k, rng, 0.0, None)
        f, a = tremor.tremor_frequency(rec), tremor.tremor_amplitude(rec)
        assert math.isnan(f) == (a == 0.0)
        amps.append(a)
    assert max(amps) < 0.05


@pytest.mark.parametrize("xh", [2.0, 3.0])
def test_short_or_small_fast_writing_gives_no_false_tremor(xh):
    """Tremor-free writing at 25 mm/s: short texts (4-6 s, a single Welch segment) made false "tremor" lines of
    0.05-0.4 mm (12 of these 120) before the 8 s minimum for handwriting."""
    for seed in range(30):
        for text in ("hello world", "the quick brown fox jumps over the lazy dog"):
            rec = synth.handwriting(text, x_height_mm=xh, seed=seed)
            assert math.isnan(tremor.tremor_frequency(rec)) and tremor.tremor_amplitude(rec) == 0.0, (text, seed)


def test_child_sessions_tremor_is_honest():
    """synth.child_sessions: tremor >= 0.25 mm always found (7 Hz, within 20 %); smaller ones found or reported absent."""
    for seed in range(3):
        for rec in synth.child_sessions(6, seed=seed)[::2]:
            planted = rec.meta["truth"]["tremor_amplitude"]
            f, a = tremor.tremor_frequency(rec), tremor.tremor_amplitude(rec)
            if planted >= 0.25:
                assert f == pytest.approx(7.0, abs=0.25) and a == pytest.approx(planted, rel=0.20)
            elif planted >= 0.15 and not math.isnan(f):
                assert f == pytest.approx(7.0, abs=0.25) and a == pytest.approx(planted, rel=0.25)


def test_mode_selects_the_method():
    rec = synth.handwriting("the quick brown fox jumps over the lazy dog", tremor_hz=8.0, tremor_amplitude_mm=0.4,
                            seed=1)
    for mode in ("auto", "handwriting", "spiral"):
        assert tremor.tremor_frequency(rec, mode=mode) == pytest.approx(8.0, abs=0.25)
    sp = synth.tremor_spiral(freq_hz=5.0, amplitude_mm=0.3, seed=1)
    assert tremor.tremor_amplitude(sp) == pytest.approx(tremor.tremor_amplitude(sp, mode="spiral"))
    with pytest.raises(ParameterError, match="mode"):
        tremor.tremor_frequency(rec, mode="letters")


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


def test_pahaw_spirals_give_finite_plausible_values(pahaw_spiral_files):
    for p in pahaw_spiral_files:
        rec = read(p, columns="pahaw", device="pahaw")
        f, a, r = tremor.tremor_frequency(rec), tremor.tremor_amplitude(rec), tremor.tremor_power_ratio(rec)
        assert math.isnan(f) == (a == 0.0)  # no peak: no frequency, zero amplitude
        assert math.isnan(f) or 3.0 <= f <= 15.0
        assert 0.0 <= a < 2.0  # mm
        assert 0.0 <= r <= 1.0


def test_short_writing_answer_matches_its_spectrum(shared_data):
    """Writing under HANDWRITING_MIN_S is answered without a spectrum: the same answer the
    spectrum gives (NaN and 0 when usable, NaN and NaN when not), on every PaHaW recording."""
    n_short = 0
    for f in sorted((shared_data / "pahaw").rglob("*.svc")):
        rec = read(f, columns="pahaw", device="pahaw")
        if rec.meta["task"] == "spiral" or rec.t[-1] - rec.t[0] >= tremor.HANDWRITING_MIN_S:
            continue
        n_short += 1
        freq, amp = tremor.tremor_frequency(rec), tremor.tremor_amplitude(rec)
        sp = tremor.tremor_spectrum(rec[:])
        usable = sp is not None and sp.duration_s >= 2.0
        assert math.isnan(freq)
        assert (amp == 0.0) if usable else math.isnan(amp), f.name
    assert n_short > 50


# ------------------------------------------------------------ steady periodic writing is not a tremor
REPEATED = (["home", "union", "home", "mum"], ["noun", "home", "home"], ["mum", "mum", "mum"],
            ["nun", "mum", "nun", "mum"])


def _with_tremor(rec: Recording, f: float, amp: float, direction_deg: float) -> Recording:
    """`rec` with a tremor ``amp sin(2 pi f t)`` along `direction_deg` on every sample (pen-down and hover)."""
    d = amp * np.sin(2 * np.pi * f * rec.t + 0.3)
    th = math.radians(direction_deg)
    return Recording.from_arrays(rec.t, rec.x + d * math.cos(th), rec.y + d * math.sin(th), rec.pressure,
                                 pen_down=rec.pen_down, meta=rec.meta)


@pytest.mark.parametrize("words", REPEATED, ids=" ".join)
@pytest.mark.parametrize("xh", [3.0, 5.0])
def test_rhythm_of_constant_speed_words_is_no_tremor(words, xh):
    """Repeated words at exactly constant speed are periodic: their rhythm made narrow lines (0.71 mm at 4.7 Hz
    for "home union home mum" at 30 mm/s, 3 mm; 0.05-0.1 mm at 5 Hz for "mum mum mum" at 10 mm/s)."""
    for v in (10.0, 30.0, 60.0):
        rec = constant_speed(words, speed_mm_s=v, x_height_mm=xh)
        assert math.isnan(tremor.tremor_frequency(rec, mode="handwriting")), (v, xh)
        assert tremor.tremor_amplitude(rec, mode="handwriting") == 0.0


@pytest.mark.parametrize("words", REPEATED, ids=" ".join)
@pytest.mark.parametrize("v, xh", [(10.0, 3.0), (30.0, 3.0), (30.0, 5.0)])
@pytest.mark.parametrize("f, amp, direction", [(6.5, 0.4, 90.0), (8.5, 0.3, 30.0), (7.5, 0.5, 150.0)])
def test_tremor_on_periodic_writing_is_still_found(words, v, xh, f, amp, direction):
    """The same periodic cursive with a real tremor (hand: pen-down and hover): found, within 0.3 Hz and 20 %,
    also where the writing's own line is stronger (0.71 mm at 4.7 Hz for "home union home mum", 30 mm/s, 3 mm).
    (A tremor within ~1 Hz of such a line is not told from it: 5.1-5.3 Hz beside 4.4 Hz, 2 of 78 random cases.)"""
    ws = list(words)
    while True:  # the words written again until the handwriting method's minimum duration is reached
        rec = _with_tremor(constant_speed(ws, speed_mm_s=v, x_height_mm=xh), f, amp, direction)
        if rec.t[-1] - rec.t[0] >= tremor.HANDWRITING_MIN_S:
            break
        ws += list(words)
    assert tremor.tremor_frequency(rec, mode="handwriting") == pytest.approx(f, abs=0.3)
    assert tremor.tremor_amplitude(rec, mode="handwriting") == pytest.approx(amp, rel=0.20)


def test_without_hover_the_line_is_kept():
    """Words joined by pen lifts of two samples: no hover to tell, so a planted tremor is found as before (and so
    would the writing's own line be: the hover test only ever rejects)."""
    rec = _with_tremor(constant_speed(REPEATED[0], speed_mm_s=10.0, x_height_mm=3.0, lift_s=0.0), 7.0, 0.4, 60.0)
    assert tremor.tremor_frequency(rec, mode="handwriting") == pytest.approx(7.0, abs=0.3)
