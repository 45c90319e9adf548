"""Geometry: lengths/extents by hand, self-intersections vs brute force (hypothesis), known shapes."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import ParameterError, Recording
from penmotor.metrics import geometry as geo


def brute_crossings(x, y, valid=None):
    """O(N^2) reference: every pair of non-consecutive segments, strict orientation test."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = x.size - 1
    ok = np.ones(n, bool) if valid is None else np.asarray(valid, bool)
    ok &= (x[:-1] != x[1:]) | (y[:-1] != y[1:])
    i, j = np.triu_indices(n, k=2)
    keep = ok[i] & ok[j]
    i, j = i[keep], j[keep]

    def o(ax, ay, bx, by, cx, cy):
        return np.sign((bx - ax) * (cy - ay) - (by - ay) * (cx - ax))

    p, q = (x[i], y[i]), (x[i + 1], y[i + 1])
    r, s = (x[j], y[j]), (x[j + 1], y[j + 1])
    c = (o(*p, *q, *r) * o(*p, *q, *s) < 0) & (o(*r, *s, *p) * o(*r, *s, *q) < 0)
    return np.column_stack((i[c], j[c]))


@settings(max_examples=60)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(2, 120),
    kind=st.sampled_from(["uniform", "walk", "grid"]),
    lifts=st.booleans(),
)
def test_matches_brute_force(seed, n, kind, lifts):
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        xy = rng.uniform(0, 10, (n, 2))
    elif kind == "walk":
        xy = np.cumsum(rng.normal(0, 1, (n, 2)), axis=0)
    else:  # integer lattice: many collinear / touching cases, repeated points
        xy = rng.integers(0, 4, (n, 2)).astype(float)
    valid = rng.random(n - 1) > 0.2 if lifts else None
    got = geo.segment_crossings(xy[:, 0], xy[:, 1], valid=valid)
    ref = brute_crossings(xy[:, 0], xy[:, 1], valid)
    assert got.tolist() == ref.tolist()


def test_larger_random_walk_matches_brute_force(rng):
    xy = np.cumsum(rng.normal(0, 1, (1500, 2)), axis=0)
    got = geo.segment_crossings(xy[:, 0], xy[:, 1])
    assert got.shape[0] > 50
    assert got.tolist() == brute_crossings(xy[:, 0], xy[:, 1]).tolist()


@pytest.mark.parametrize("cell_mm", [None, 0.02, 0.2, 2.0, 50.0])
def test_crowded_cells_match_brute_force(cell_mm):
    # a scribble retracing the same small area: cells hold many segments (the pair loop runs
    # to large in-cell offsets), pairs share several cells (kept once), and with a tiny cell
    # most segments take the long-segment path
    t = np.linspace(0, 60, 1200)
    x = np.cos(t) + 0.3 * np.cos(7.3 * t)
    y = np.sin(1.1 * t) + 0.3 * np.sin(5.1 * t)
    ref = brute_crossings(x, y).tolist()
    assert len(ref) > 200
    assert geo.segment_crossings(x, y, cell_mm=cell_mm).tolist() == ref


def test_figure_eight_and_pentagram():
    t = np.linspace(0.05, 2 * np.pi + 0.03, 2000)
    rec = Recording.from_arrays(t=t, x=20 * np.sin(t), y=20 * np.sin(t) * np.cos(t))
    assert geo.self_intersections(rec) == 1
    # pentagram {5/2}, densely sampled edges: 5 crossings
    ang = np.pi / 2 + np.arange(6) * 4 * np.pi / 5
    vx, vy = np.cos(ang), np.sin(ang)
    u = np.linspace(0, 1, 50, endpoint=False)
    x = np.concatenate([vx[k] + (vx[k + 1] - vx[k]) * u for k in range(5)] + [[vx[0]]])
    y = np.concatenate([vy[k] + (vy[k + 1] - vy[k]) * u for k in range(5)] + [[vy[0]]])
    rec = Recording.from_arrays(t=np.arange(x.size) * 0.01, x=10 * x, y=10 * y)
    assert geo.self_intersections(rec) == 5
    assert geo.intra_stroke_intersections(rec) == 5


def test_inter_vs_intra_stroke():
    # a "+" drawn as two strokes: one crossing, between strokes
    x = [0, 2, 9, 1, 1]
    y = [1, 1, 9, 0, 2]
    rec = Recording.from_arrays(t=np.arange(5) * 0.1, x=x, y=y, pen_down=[1, 1, 0, 1, 1])
    assert geo.self_intersections(rec) == 1
    assert geo.intra_stroke_intersections(rec) == 0


@settings(max_examples=25)
@given(seed=st.integers(0, 1000), angle=st.floats(0, 2 * np.pi), dx=st.floats(-1e3, 1e3), scale=st.floats(0.1, 10))
def test_crossings_invariant_under_similarity(seed, angle, dx, scale):
    rng = np.random.default_rng(seed)
    xy = np.cumsum(rng.normal(0, 1, (200, 2)), axis=0)
    c, s = math.cos(angle), math.sin(angle)
    x2 = scale * (c * xy[:, 0] - s * xy[:, 1]) + dx
    y2 = scale * (s * xy[:, 0] + c * xy[:, 1]) - dx
    assert len(geo.segment_crossings(x2, y2)) == len(geo.segment_crossings(xy[:, 0], xy[:, 1]))


def test_lengths_and_extents_by_hand():
    # stroke 1: 3-4-5 triangle leg (5 mm) then 2 mm up; lift; stroke 2: 10 mm right
    x = [0, 3, 3, 50, 20, 30]
    y = [0, 4, 6, 50, 0, 0]
    rec = Recording.from_arrays(t=np.arange(6) * 0.1, x=x, y=y, pen_down=[1, 1, 1, 0, 1, 1])
    assert geo.ink_length(rec) == pytest.approx(17.0)
    assert geo.stroke_length_mean(rec) == pytest.approx(8.5)
    assert geo.stroke_width_mean(rec) == pytest.approx((3 + 10) / 2)
    assert geo.stroke_height_mean(rec) == pytest.approx((6 + 0) / 2)
    assert geo.writing_width(rec) == pytest.approx(30.0)
    assert geo.writing_height(rec) == pytest.approx(6.0)


def test_degenerate_and_errors():
    one = Recording.from_arrays(t=[0.0], x=[1.0], y=[1.0])
    assert math.isnan(geo.self_intersections(one))
    assert geo.ink_length(one) == 0.0
    air = Recording.from_arrays(t=[0, 1], x=[0, 1], y=[0, 1], pen_down=[0, 0])
    assert math.isnan(geo.ink_length(air))
    assert math.isnan(geo.writing_width(air))
    assert geo.segment_crossings([0, 0, 0], [0, 0, 0]).shape == (0, 2)  # zero-length segments
    with pytest.raises(ParameterError, match="valid"):
        geo.segment_crossings([0, 1, 2], [0, 1, 0], valid=[True])
    with pytest.raises(ParameterError, match="cell_mm"):
        geo.segment_crossings([0, 1, 2], [0, 1, 0], cell_mm=0)


def test_long_segments_do_not_blow_up():
    # a few very long segments among many short ones: the grid coarsens instead of exploding
    rng = np.random.default_rng(1)
    xy = np.cumsum(rng.normal(0, 0.05, (5000, 2)), axis=0)
    xy[::1000] += 500.0
    got = geo.segment_crossings(xy[:, 0], xy[:, 1])
    assert got.ndim == 2
