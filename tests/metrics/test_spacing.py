"""penmotor.metrics.spacing and penmotor.segment (words/lines) against synthetic ground truth."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import ParameterError, Recording, synth
from penmotor.metrics import spacing
from penmotor.segment import components, gap_threshold, lines, word_breaks, words

from test_sizing import transformed

TEXTS = ["hello world again", "the quick brown fox", "jumping over lazy dogs", "a big cat sat on my hat"]


@given(xh=st.floats(2.5, 6.0), lsp_xh=st.floats(0.15, 0.5), wsp_xh=st.floats(1.2, 3.0),
       slant=st.floats(-15.0, 25.0), text=st.sampled_from(TEXTS), seed=st.integers(0, 10_000))
@settings(max_examples=30)
def test_word_and_letter_spacing_within_10_percent(xh, lsp_xh, wsp_xh, slant, text, seed):
    rec = synth.handwriting(text, x_height_mm=xh, letter_spacing_mm=lsp_xh * xh, word_spacing_mm=wsp_xh * xh,
                            slant_deg=slant, seed=seed)
    tr = rec.meta["truth"]
    assert spacing.word_spacing(rec) == pytest.approx(tr["word_spacing"], rel=0.10)
    assert spacing.letter_spacing(rec) == pytest.approx(tr["letter_spacing"], rel=0.10)
    assert spacing.word_spacing_xh(rec) == pytest.approx(tr["word_spacing_xh"], rel=0.10)
    assert spacing.letter_spacing_xh(rec) == pytest.approx(tr["letter_spacing_xh"], rel=0.10)


@pytest.mark.parametrize("seed", range(5))
def test_spacing_on_varied_handwriting(seed):
    rec = synth.handwriting("the quick brown fox jumps over the lazy dog", x_height_mm=4.0, size_cv=0.1,
                            baseline_sd_mm=0.3, spacing_cv=0.3, slant_deg=10, jitter_s=0.001,
                            tremor_hz=9.0, tremor_amplitude_mm=0.05, seed=seed)
    tr = rec.meta["truth"]
    assert spacing.word_spacing(rec) == pytest.approx(tr["word_spacing"], rel=0.10)
    assert spacing.letter_spacing(rec) == pytest.approx(tr["letter_spacing"], rel=0.10)
    assert spacing.spacing_cv(rec) == pytest.approx(tr["spacing_cv"], abs=0.05)


def test_word_spacing_of_child_sessions_is_found():
    """synth.child_sessions: word gaps of 0.7-0.8 x-heights next to letter gaps up to 0.6 (spacing CV 0.5).

    Before: NaN for seeds 2 and 4 (truth 3.63 and 3.85 mm): the Otsu split of the gaps alone failed
    and no gap passed the 1-x-height default. Now every sentence within 10 % (measured max 3.8 %).
    """
    for seed in range(6):
        for rec in synth.child_sessions(6 if seed < 2 else 1, seed=seed)[::2]:
            tr = rec.meta["truth"]["word_spacing"]
            assert spacing.word_spacing(rec) == pytest.approx(tr, rel=0.10), (seed, rec.meta["session"])


@given(nw=st.integers(2, 7), xh=st.floats(2.5, 6.0), lsp_xh=st.floats(0.15, 0.5), wsp_xh=st.floats(1.2, 3.0),
       spacing_cv=st.floats(0.0, 0.5), size_cv=st.floats(0.0, 0.2), slant=st.floats(-10.0, 20.0),
       seed=st.integers(0, 10_000))
@settings(max_examples=40)
def test_word_spacing_with_uneven_letters_and_gaps(nw, xh, lsp_xh, wsp_xh, spacing_cv, size_cv, slant, seed):
    """Word spacing within 10 % (and finite) over a range of spacing and size variability."""
    words_ = "the quick brown fox jumps over lazy dogs".split()
    text = " ".join(words_[(seed + i) % len(words_)] for i in range(nw))
    rec = synth.handwriting(text, x_height_mm=xh, letter_spacing_mm=lsp_xh * xh, word_spacing_mm=wsp_xh * xh,
                            spacing_cv=spacing_cv, size_cv=size_cv, slant_deg=slant, seed=seed)
    assert spacing.word_spacing(rec) == pytest.approx(rec.meta["truth"]["word_spacing"], rel=0.10)


def test_word_breaks():
    assert word_breaks([0.3, 0.35, 0.4, 1.6, 0.3, 1.5]).tolist() == [False, False, False, True, False, True]
    # word gaps hardly wider than the widest letter gaps: the longer pauses decide
    gx = [0.3, 0.5, 0.62, 0.2, 0.55, 0.6, 0.45, 0.6, 0.3]
    pause = [0.3, 0.35, 0.9, 0.3, 0.4, 0.95, 0.3, 0.85, 0.3]
    assert np.flatnonzero(word_breaks(gx, pause)).tolist() == [2, 5, 7]
    # one word: no break; two words: the one wide gap (a single-value upper class)
    assert not word_breaks([0.3, 0.35, 0.32, 0.4, 0.3]).any()
    assert np.flatnonzero(word_breaks([0.3, 0.35, 0.32, 2.0, 0.4, 0.3])).tolist() == [3]
    with pytest.raises(ParameterError, match="pauses_s"):
        word_breaks([0.3, 0.4, 0.3, 1.5], [0.1, 0.2])


def test_spacing_cv_grows_with_irregular_gaps():
    even = spacing.spacing_cv(synth.handwriting("several letters here", seed=1))
    uneven = spacing.spacing_cv(synth.handwriting("several letters here", spacing_cv=0.4, seed=1))
    assert even < 0.02 and uneven > 0.2


def test_line_straightness():
    rec = synth.handwriting("one two three four five six", seed=2)
    straight = spacing.line_straightness(rec)
    tilted = spacing.line_straightness(transformed(rec, angle_deg=5.0))
    wavy_y = rec.y + 1.0 * np.sin((rec.x - rec.x.min()) / 12.0)
    wavy = spacing.line_straightness(Recording.from_arrays(rec.t, rec.x, wavy_y, rec.pressure,
                                                           pen_down=rec.pen_down, meta=rec.meta))
    assert straight < 0.01 and tilted < 0.05
    assert wavy > 0.3


def _straightness_by_definition(sp: spacing.Spacing, sz) -> float:
    """line_straightness of one line, word by word as the module docstring defines it."""
    if not sz.layout.ok or sp.word_of_component.size == 0:
        return math.nan
    ok = np.isfinite(sz.letter_offsets)
    wo, wu = [], []
    for w in range(int(sp.word_of_component.max()) + 1):
        sel = ok & (sp.word_of_component == w)
        if sel.any():
            wo.append(np.median(sz.letter_offsets[sel]))
            wu.append(np.mean(sz.letter_u[sel]))
    if len(wo) < 3:
        return math.nan
    wo, wu = np.array(wo), np.array(wu)
    coef = np.polyfit(wu, wo, 1)
    return float(np.sqrt(np.mean((wo - np.polyval(coef, wu)) ** 2)))


@given(seed=st.integers(0, 10_000), n_lines=st.integers(2, 5))
@settings(max_examples=10, deadline=None)
def test_line_straightness_is_the_median_over_lines_of_the_definition_exactly(seed, n_lines):
    # the per-word medians and means are computed in one pass over a line's letters; they
    # must equal the word-by-word np.median / np.mean bit for bit
    from penmotor.metrics.sizing import line_sizings

    rec = synth.page(n_lines=n_lines, seed=seed)
    per_line = np.array([_straightness_by_definition(a, b)
                         for a, b in zip(spacing.line_spacings(rec), line_sizings(rec))])
    assert np.count_nonzero(np.isfinite(per_line)) >= 1
    want = float(np.median(per_line[np.isfinite(per_line)]))
    assert spacing.line_straightness(rec) == want


@given(angle=st.floats(-12.0, 12.0), dx=st.floats(-50, 50), dy=st.floats(-50, 50), dt=st.floats(0, 1e3))
@settings(max_examples=20)
def test_spacing_invariant_to_rotation_translation_time(angle, dx, dy, dt):
    rec = synth.handwriting("the quick brown fox", slant_deg=6.0, seed=5)
    moved = transformed(rec, angle_deg=angle, dx=dx, dy=dy, dt=dt)
    assert spacing.word_spacing(moved) == pytest.approx(spacing.word_spacing(rec), rel=0.02)
    assert spacing.letter_spacing(moved) == pytest.approx(spacing.letter_spacing(rec), rel=0.05)


def test_words_and_components_of_synthetic_text():
    rec = synth.handwriting("it is fine", seed=0)
    comp = components(rec, x_height_mm=3.0)
    # i t i s f i n e -> 8 letters; i dots and t/f cross-bars belong to their letters
    assert comp.max() + 1 == 8
    w = words(rec, x_height_mm=3.0)
    assert w.max() + 1 == 3
    assert np.all(np.diff(w) >= 0)
    assert spacing.spacing_layout(rec).word_gaps.size == 2


def test_lines_split_a_two_line_recording():
    a = synth.handwriting("first line", seed=0)
    b = synth.handwriting("second line", seed=1)
    t = np.concatenate((a.t, b.t + a.t[-1] + 1.0))
    x = np.concatenate((a.x, b.x))
    y = np.concatenate((a.y, b.y - 12.0))  # 4 x-heights lower
    rec = Recording.from_arrays(t, x, y, np.concatenate((a.pressure, b.pressure)),
                                pen_down=np.concatenate((a.pen_down, b.pen_down)))
    ln = lines(rec, x_height_mm=3.0)
    assert ln.tolist() == [0] * a.n_strokes + [1] * b.n_strokes
    w = words(rec, x_height_mm=3.0, line=ln)
    assert w.max() + 1 == 4


def test_gap_threshold():
    assert gap_threshold([0.3, 0.3, 0.4, 1.8, 2.0]) == pytest.approx(1.1)
    assert gap_threshold([0.3, 0.35]) == 1.0
    assert gap_threshold([0.2, 0.25, 0.3], default_xh=0.8) == 0.8
    with pytest.raises(ParameterError, match="x_height_mm"):
        components(synth.handwriting("ab", seed=0), x_height_mm=0.0)


@pytest.mark.parametrize(
    "rec",
    [
        Recording.from_arrays(t=[0.0], x=[1.0], y=[2.0]),
        Recording.from_arrays(t=[0, 0.01, 0.02, 0.03], x=[0, 1, 2, 3], y=[0, 5, 0, 5], pen_down=[1, 0, 1, 0]),
        Recording.from_arrays(t=np.arange(50) * 0.01, x=np.zeros(50), y=np.zeros(50), pen_down=np.zeros(50)),
        synth.handwriting("word", seed=0),  # one word: no word spacing
        synth.spiral(seed=0),
    ],
    ids=["one-point", "one-point-strokes", "all-in-air", "one-word", "spiral-task"],
)
def test_degenerate_input_gives_nan(rec):
    assert math.isnan(spacing.word_spacing(rec))
    assert math.isnan(spacing.line_straightness(rec))
    for f in (spacing.letter_spacing, spacing.spacing_cv, spacing.word_spacing_xh, spacing.letter_spacing_xh):
        assert isinstance(f(rec), float)
