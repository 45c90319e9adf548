"""penmotor.scan.metrics: stroke width, ink darkness and the page's metrics under registry names."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from penmotor import FEATURES
from penmotor.scan.metrics import SCAN_ONLY, SHARED, ink_darkness, page_metrics, stroke_width_mm


@pytest.mark.parametrize("width_px", [3, 4, 5, 6, 9])
def test_stroke_width_of_a_bar(width_px) -> None:
    m = np.zeros((60, 200), np.uint8)
    m[20:20 + width_px, 10:190] = 1
    d = cv2.distanceTransform(m, cv2.DIST_L2, 5)
    skel = np.zeros(m.shape, bool)
    skel[20 + (width_px - 1) // 2, 20:180] = True
    got_px = stroke_width_mm(d, skel, dpi=254) / 0.1
    assert abs(got_px - width_px) <= 0.5 + 1e-6   # 2 d - 0.5: at most half a pixel off, odd or even
    assert math.isnan(stroke_width_mm(d, np.zeros_like(skel), dpi=254))


def test_ink_darkness_is_relative_to_the_local_paper() -> None:
    g = np.full((128, 128), 200, np.uint8)
    g[:, 64:] = 100                                  # a darker right half (uneven light)
    g[60:63, 10:50] = 50                             # ink on the light paper: 1 - 50/200
    g[60:63, 74:120] = 25                            # ink on the dark paper: 1 - 25/100
    left = ink_darkness(g, np.full(20, 61), np.arange(20, 40))
    right = ink_darkness(g, np.full(20, 61), np.arange(80, 100))
    assert left == pytest.approx(0.75) and right == pytest.approx(0.75)
    assert math.isnan(ink_darkness(g, np.zeros(0, int), np.zeros(0, int)))


def test_page_metrics_use_registry_names() -> None:
    m = page_metrics([])
    assert all(math.isnan(v) for v in m.values())
    assert set(m) <= set(FEATURES)
    for name in SHARED:
        assert "scan" in FEATURES[name].modalities and FEATURES[name].func is not None
    for name in SCAN_ONLY:
        assert FEATURES[name].modalities == frozenset({"scan"}) and FEATURES[name].func is None
