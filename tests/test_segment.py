"""penmotor.segment: frame coordinates, gap threshold, local extrema, letter components."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from penmotor import synth
from penmotor.segment import components, frame_coords, gap_threshold, local_extrema


@given(st.floats(-80, 80), st.lists(st.tuples(st.floats(-50, 50), st.floats(-50, 50)), min_size=1, max_size=20))
def test_frame_coords_undo_a_rotation(angle, pts) -> None:
    u0 = np.array([p[0] for p in pts])
    v0 = np.array([p[1] for p in pts])
    a = math.radians(angle)
    x, y = u0 * math.cos(a) - v0 * math.sin(a), u0 * math.sin(a) + v0 * math.cos(a)
    u, v = frame_coords(x, y, angle_deg=angle)
    np.testing.assert_allclose(u, u0, atol=1e-9)
    np.testing.assert_allclose(v, v0, atol=1e-9)


def test_frame_coords_slant_makes_slanted_stems_upright() -> None:
    t = np.linspace(0.0, 5.0, 11)
    u, v = frame_coords(t * math.tan(math.radians(20.0)), t, slant_deg=20.0)
    np.testing.assert_allclose(u, 0.0, atol=1e-12)


def test_gap_threshold_splits_bimodal_gaps_and_clamps() -> None:
    assert 0.4 < gap_threshold([0.3, 0.35, 0.4, 1.6, 0.3, 1.5]) < 1.5
    assert gap_threshold([0.3, 0.32, 0.35]) == 1.0                       # one class: the default
    assert gap_threshold([0.1, 0.1, 0.1, 9.0, 9.0], bounds_xh=(0.6, 2.0)) == 2.0  # clamped
    assert gap_threshold([np.nan, 0.3, 1.6]) == 1.0                      # two finite gaps are too few


@given(st.lists(st.integers(0, 5), min_size=0, max_size=40), st.booleans())
def test_local_extrema_match_a_plain_loop(values, minima) -> None:
    v = np.array(values, dtype=float)
    seg = np.arange(v.size) // 7                                         # segments of 7 samples
    got = local_extrema(v, seg, minima=minima)
    s = -v if minima else v
    want = np.zeros(v.size, bool)
    for i in range(1, v.size - 1):
        want[i] = seg[i - 1] == seg[i] == seg[i + 1] and s[i] > s[i - 1] and s[i] >= s[i + 1]
    assert got.tolist() == want.tolist()


@pytest.mark.parametrize(("text", "n"), [("hi", 2), ("minimum", 7), ("ab cd", 4)])
def test_components_are_the_letters_of_print_writing(text, n) -> None:
    rec = synth.handwriting(text, x_height_mm=4.0, letter_spacing_mm=1.5, seed=0)
    comp = components(rec, x_height_mm=4.0)
    assert comp.size == rec.n_strokes
    assert np.unique(comp).size == n


@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from([0.0, -0.0, 1.3, -25.0, 90.0]),
                          st.sampled_from([0.0, 12.0, -8.5])), min_size=1, max_size=5),
       st.booleans())
def test_frame_coords_lines_is_frame_coords_line_by_line(groups, with_slant) -> None:
    from penmotor import ParameterError
    from penmotor.segment import frame_coords_lines

    n = [g[0] for g in groups]
    rng = np.random.default_rng(sum(n))
    x, y = rng.normal(0, 50, sum(n)), rng.normal(0, 50, sum(n))
    ang = [g[1] for g in groups]
    sl = [g[2] for g in groups] if with_slant else None
    u, v = frame_coords_lines(x, y, n, ang, sl)
    b = np.r_[0, np.cumsum(n)]
    for k in range(len(n)):  # bit for bit the one-group function
        u0, v0 = frame_coords(x[b[k]:b[k + 1]], y[b[k]:b[k + 1]], angle_deg=ang[k], slant_deg=sl[k] if sl else 0.0)
        assert np.array_equal(u[b[k]:b[k + 1]], u0) and np.array_equal(v[b[k]:b[k + 1]], v0)
    with pytest.raises(ParameterError, match="counts adding up to"):
        frame_coords_lines(x, y, n + [1], ang + [0.0])
