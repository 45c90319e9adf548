"""penmotor.scan.segment: skeleton, turning points and their per-pixel flags, page segmentation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from penmotor import synth
from penmotor.scan.segment import segment_page, skeleton, skeleton_pixels, turn_flags, turning_points


def _ink(dpi=254):
    img = np.zeros((200, 400), np.uint8)
    for x in (50, 150, 250):                      # three "o" and a stick, 1-px outlines thickened
        cv2.ellipse(img, (x, 100), (15, 20), 0, 0, 360, 1, 5)
    cv2.line(img, (330, 60), (330, 140), 1, 5)
    return img.astype(bool)


def test_skeleton_is_thin_and_inside_the_ink() -> None:
    ink = _ink()
    s = skeleton(ink)
    assert s.any() and not (s & ~ink).any()
    assert int(s.sum()) < int(ink.sum()) // 3
    sk, r, c = skeleton_pixels(ink)
    assert np.array_equal(np.flatnonzero(sk.ravel()), r * ink.shape[1] + c)   # row-major pixel list


def test_turn_flags_equal_turning_points_at_the_pixels() -> None:
    sk, r, c = skeleton_pixels(_ink())
    top, bot = turning_points(sk)
    t, b = turn_flags(r, c)
    assert np.array_equal(t, top[r, c]) and np.array_equal(b, bot[r, c])
    t2, b2 = turn_flags(r, c, sk)
    assert np.array_equal(t2, t) and np.array_equal(b2, b)
    assert int(top.sum()) == 4 and int(bot.sum()) == 4      # one top and one bottom per o, and the stick


def test_segment_page_finds_the_text_lines() -> None:
    recs = [synth.handwriting(s, x_height_mm=4.0, seed=i) for i, s in enumerate(("the cat", "sat on", "a mat"))]
    page = synth.render(recs, 200.0, rules_mm=None)
    ink = page < 128
    seg = segment_page(ink, dpi=200.0)
    assert len(seg.lines) == 3
    tops = [int(ln["rows"].min()) for ln in seg.lines]
    assert tops == sorted(tops)


def test_blank_page_has_no_lines() -> None:
    seg = segment_page(np.zeros((100, 100), bool), dpi=200.0)
    assert len(seg.lines) == 0
