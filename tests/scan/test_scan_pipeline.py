"""Scanned-worksheet pipeline validated on rendered synthetic ink with known ground truth.

Ground truth: ``penmotor.synth.handwriting(...).meta["truth"]`` (exact by construction),
drawn by ``penmotor.render`` and degraded (rotation, ruled lines, noise, uneven light).
Targets from issue #5: x-height within 5 %, word spacing within 10 %, slant within 3 deg.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import FEATURES, synth
from penmotor.errors import ParameterError, UnitsError
from penmotor.scan import analyze_page, score_page
from penmotor.scan.deskew import estimate_skew, rotate
from penmotor.scan.metrics import SCAN_ONLY, SHARED
from penmotor.synth import degrade, render

TEXT = "the quick brown fox jumps over the lazy dog"
BASE = 100.0  # synth writes its baseline at y = 100 mm


def _page(dpi: float, *, rotate_deg: float = 0.0, slant: float = 0.0, xh: float = 3.0, seed: int = 0,
          rules: bool = True, noise: float = 5.0, light: float = 0.35, text: str = TEXT):
    rec = synth.handwriting(text, x_height_mm=xh, slant_deg=slant, seed=seed)
    img = render(rec, dpi=dpi, rules_mm=[BASE, BASE + 2.5 * xh, BASE - 2.5 * xh] if rules else None)
    img = degrade(img, rotate_deg=rotate_deg, noise_sd=noise, uneven_light=light, seed=seed)
    return rec.meta["truth"], img


def _check(truth: dict, m: dict) -> None:
    assert abs(m["x_height"] / truth["x_height"] - 1) < 0.05, (m["x_height"], truth["x_height"])
    assert abs(m["word_spacing"] / truth["word_spacing"] - 1) < 0.10, (m["word_spacing"], truth["word_spacing"])
    assert abs(m["slant"] - truth["slant"]) < 3.0, (m["slant"], truth["slant"])


@pytest.mark.parametrize(
    ("dpi", "rot", "slant", "xh", "seed"),
    [(200, 0.0, 0.0, 3.0, 1), (200, -5.0, 12.0, 3.5, 2), (300, 5.0, -10.0, 3.0, 3), (300, 2.5, 20.0, 5.0, 4),
     (450, -3.0, 5.0, 2.5, 5), (600, 4.0, -15.0, 4.0, 6)],
)
def test_rendered_synth_meets_issue_targets(dpi, rot, slant, xh, seed):
    truth, img = _page(dpi, rotate_deg=rot, slant=slant, xh=xh, seed=seed)
    a = analyze_page(img, dpi=dpi)
    _check(truth, a.metrics)
    assert abs(a.skew_deg - rot) < 0.3
    assert a.ruled.count == 3
    assert abs(a.metrics["ruled_line_spacing"] - 2.5 * xh) < 0.15


@settings(max_examples=8, deadline=None, derandomize=True)
@given(dpi=st.sampled_from([200, 250, 300, 400, 600]), rot=st.floats(-5, 5), slant=st.floats(-20, 20),
       seed=st.integers(0, 10_000))
def test_targets_hold_over_random_conditions(dpi, rot, slant, seed):
    truth, img = _page(dpi, rotate_deg=rot, slant=slant, seed=seed, light=0.4, noise=6.0)
    _check(truth, score_page(img, dpi=dpi))


def test_letter_spacing_and_heights_close_to_truth():
    truth, img = _page(300, slant=0.0, seed=7, rules=False)
    m = score_page(img, dpi=300)
    assert abs(m["letter_spacing"] / truth["letter_spacing"] - 1) < 0.12
    assert abs(m["ascender_height"] / truth["ascender_height"] - 1) < 0.05
    assert abs(m["descender_height"] / truth["descender_height"] - 1) < 0.05
    assert abs(m["word_spacing_xh"] / truth["word_spacing_xh"] - 1) < 0.10


def test_size_and_alignment_variability_are_detected():
    rec0 = synth.handwriting(TEXT, seed=3)
    rec1 = synth.handwriting(TEXT, seed=3, size_cv=0.15, baseline_sd_mm=0.6)
    m0 = score_page(render(rec0, dpi=300), dpi=300)
    m1 = score_page(render(rec1, dpi=300), dpi=300)
    assert m1["size_cv"] > m0["size_cv"] + 0.05
    assert m1["baseline_deviation"] > m0["baseline_deviation"] + 0.2
    # measured 0.565 mm for a truth of 0.716 (0.569 before detours were kept to their side
    # of the junction: one letter's baseline minima changed); seeds 4-7 are within 0.06 mm
    assert abs(m1["baseline_deviation"] - rec1.meta["truth"]["baseline_deviation"]) < 0.16
    assert m1["minnesota_baseline_share"] >= m0["minnesota_baseline_share"]


def test_stroke_width_and_ink_darkness_follow_the_pen():
    rec = synth.handwriting("minimum", seed=1)
    thin = score_page(render(rec, dpi=600, width_mm=(0.3, 0.3)), dpi=600)
    thick = score_page(render(rec, dpi=600, width_mm=(0.7, 0.7)), dpi=600)
    assert abs(thin["stroke_width"] - 0.3) < 0.07 and abs(thick["stroke_width"] - 0.7) < 0.07
    # heights are on the centre line: stroke width does not inflate them
    assert abs(thin["x_height"] - thick["x_height"]) < 0.1
    light = score_page(render(rec.replace(pressure=np.full(len(rec), 0.1)), dpi=300), dpi=300)
    dark = score_page(render(rec.replace(pressure=np.full(len(rec), 0.9)), dpi=300), dpi=300)
    assert dark["ink_darkness"] > light["ink_darkness"] + 0.2


def test_multiline_page_and_left_margin_drift():
    recs = [synth.handwriting("sun and rain", seed=s) for s in (1, 2, 3, 4)]
    aligned = analyze_page(render(recs, dpi=200, line_gap_mm=14), dpi=200)
    assert len(aligned.lines) == 4
    assert aligned.metrics["left_margin_drift"] < 0.3
    drifting = [r.replace(x=r.x + 3.0 * i) for i, r in enumerate(recs)]
    m = score_page(render(drifting, dpi=200, line_gap_mm=14), dpi=200)
    assert abs(m["left_margin_drift"] - 9.0) < 0.6


def test_translation_invariance_of_metrics():
    truth, img = _page(300, seed=11, rules=False, noise=0, light=0)
    a = score_page(img, dpi=300)
    b = score_page(np.pad(img, ((57, 13), (101, 7)), constant_values=int(img.max())), dpi=300)
    for k in ("x_height", "word_spacing", "slant", "letter_spacing", "stroke_width"):
        assert a[k] == pytest.approx(b[k], rel=0.02, abs=0.02), k


def test_otsu_and_sauvola_agree_and_auto_picks_sauvola_under_uneven_light():
    truth, img = _page(300, seed=2, light=0.5, noise=3)
    a = analyze_page(img, dpi=300)
    assert a.method == "sauvola"
    clean = render(synth.handwriting(TEXT, seed=2), dpi=300)
    o = score_page(clean, dpi=300, method="otsu")
    s = score_page(clean, dpi=300, method="sauvola")
    assert o["x_height"] == pytest.approx(s["x_height"], rel=0.03)


def test_skew_estimate_on_rotated_page():
    _, img = _page(200, seed=4, noise=0, light=0)
    from penmotor.scan.binarize import binarize

    for ang in (-4.0, 1.5, 3.0):
        ink = binarize(rotate(img, ang), dpi=200)
        assert abs(estimate_skew(ink, dpi=200) - ang) < 0.2


def test_metric_names_are_registry_names():
    m = score_page(_page(200, seed=1, noise=0, light=0)[1], dpi=200)
    assert set(m) == set(SHARED) | set(SCAN_ONLY)
    for k in SCAN_ONLY:
        assert FEATURES[k].modalities == frozenset({"scan"})
    missing = [k for k in SHARED if k not in FEATURES]
    assert not missing, f"shared names not registered by the online families: {missing}"
    for k in SHARED:
        assert "scan" in FEATURES[k].modalities, k


def test_units_required_for_arrays():
    with pytest.raises(UnitsError, match="dpi"):
        score_page(np.full((50, 50), 255, np.uint8))
    with pytest.raises(ParameterError, match="unknown keyword"):
        score_page(np.full((50, 50), 255, np.uint8), dpi=300, bogus=1)


def test_single_word_has_no_word_spacing():
    m = score_page(render(synth.handwriting("minimum", seed=0), dpi=300), dpi=300)
    assert math.isnan(m["word_spacing"]) and math.isfinite(m["x_height"])
