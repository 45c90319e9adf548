"""penmotor._stats: the shared robust statistics against NumPy/SciPy references."""

from __future__ import annotations

import math
import warnings

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor._stats import group_median, median, otsu_split, pca_angle, theil_sen_slope

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=300)
@given(st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=0, max_size=60),
       st.sampled_from([np.float64, np.float32]))
def test_median_is_np_median_bit_for_bit(values, dtype) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # float32 overflow to inf; median of nothing
        a = np.array(values, dtype=dtype)
        want, got = np.median(a), median(a)
    assert type(got) is type(want)
    assert np.asarray(got).tobytes() == np.asarray(want).tobytes() or (np.isnan(got) and np.isnan(want))


@given(st.lists(finite, min_size=2, max_size=50))
def test_otsu_split_maximises_between_class_variance(values) -> None:
    s = otsu_split(values)
    g = np.sort(values)
    assert s.values.tolist() == g.tolist() and 1 <= s.k < g.size

    def between(k: int) -> float:
        lo, hi = g[:k], g[k:]
        return k * (g.size - k) * (lo.mean() - hi.mean()) ** 2

    best = max(between(k) for k in range(1, g.size))
    assert between(s.k) >= best * (1 - 1e-9) - 1e-9
    assert s.lower_mean == np.float64(np.cumsum(g)[s.k - 1] / s.k)
    assert otsu_split([1.0]) is None


@given(st.lists(st.tuples(st.integers(0, 4), finite), min_size=0, max_size=40))
def test_group_median_is_per_group_np_median(pairs) -> None:
    groups = np.array([p[0] for p in pairs], dtype=np.intp)
    values = np.array([p[1] for p in pairs], dtype=np.float64)
    got = group_median(groups, values, 5)
    for k in range(5):
        sel = values[groups == k]
        if sel.size:
            assert got[k] == np.median(sel)
        else:
            assert math.isnan(got[k])


grid = st.integers(-2000, 2000).map(lambda i: i / 8.0)  # no overflow in the pairwise slopes


@given(st.lists(st.tuples(grid, grid), min_size=2, max_size=25))
def test_theil_sen_slope_matches_scipy(points) -> None:
    from scipy.stats import theilslopes

    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    got = theil_sen_slope(x, y)
    if np.unique(x).size < 2:
        assert math.isnan(got)
    else:
        assert got == theilslopes(y, x)[0]


def test_pca_angle_of_rotated_lines() -> None:
    t = np.linspace(0.0, 30.0, 200)
    wobble = 0.2 * np.sin(5 * t)
    for deg in (-40.0, -10.0, 0.0, 25.0):
        a = math.radians(deg)
        x, y = t * math.cos(a) - wobble * math.sin(a), t * math.sin(a) + wobble * math.cos(a)
        assert abs(pca_angle(x, y) - deg) < 0.5
    assert pca_angle(t, t * 3.0) == 0.0               # steeper than 45 degrees
    assert pca_angle(np.cos(t), np.sin(t)) == 0.0     # a round cloud has no direction
