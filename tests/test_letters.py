"""penmotor.letters: the letter-size estimator on paths (no timing), shared by tablet and scan."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import ParameterError, synth
from penmotor.letters import (
    letter_baseline_deviation,
    letter_size_cv,
    sizing_from_paths,
    sizing_from_strokes,
    sizings_from_lines,
    x_height_from_paths,
)


def _paths(rec):
    return [np.column_stack((s.x, s.y)) for s in rec.strokes()]


def _ohs(n=4, height=4.0):
    t = np.linspace(0, 2 * np.pi, 80)
    return [np.column_stack((x0 + 1.5 * np.cos(t), 0.5 * height * np.sin(t))) for x0 in np.arange(n) * 5.0]


def test_a_row_of_o_has_their_height() -> None:
    s = sizing_from_paths(_ohs(4, 4.0), slant_deg=0.0)
    assert s.x_height == pytest.approx(4.0, abs=0.01)
    assert s.letters.tolist() == [0, 1, 2, 3]
    assert math.isnan(s.ascender_height) and math.isnan(s.descender_height)


@settings(max_examples=15, deadline=None)
@given(dx=st.floats(-500, 500), dy=st.floats(-500, 500))
def test_sizes_do_not_depend_on_where_the_writing_is(dx, dy) -> None:
    paths = _paths(synth.handwriting("sun moon", x_height_mm=3.5, seed=2))
    a = sizing_from_paths(paths, slant_deg=0.0)
    b = sizing_from_paths([p + (dx, dy) for p in paths], slant_deg=0.0)
    assert b.x_height == pytest.approx(a.x_height, abs=1e-6)
    assert b.layout.angle_deg == pytest.approx(a.layout.angle_deg, abs=1e-6)


def test_paths_and_strokes_are_one_estimator() -> None:
    paths = _paths(synth.handwriting("held gypsy", x_height_mm=3.0, seed=5))
    n = np.array([len(p) for p in paths])
    stops = np.cumsum(n)
    xy = np.concatenate(paths)
    a = sizing_from_paths(paths, slant_deg=0.0)
    b = sizing_from_strokes(xy[:, 0], xy[:, 1], stops - n, stops, slant=0.0)
    assert (a.x_height, a.ascender_height, a.descender_height) == (b.x_height, b.ascender_height,
                                                                   b.descender_height)
    assert a.letters.tolist() == b.letters.tolist()


def test_empty_input_and_bad_letters() -> None:
    assert math.isnan(x_height_from_paths([], slant_deg=0.0))
    assert math.isnan(sizing_from_paths([np.empty((0, 2))], slant_deg=0.0).x_height)
    with pytest.raises(ParameterError, match="letters"):
        sizing_from_paths(_ohs(3), slant_deg=0.0, letters=[0, 1])


def test_letter_summaries_analytic() -> None:
    assert letter_size_cv([2.0, 2.0, 2.0]) == 0.0
    assert math.isnan(letter_size_cv([2.0, 3.0]))                          # needs three letters
    h = [3.0, 3.3, 2.7, 3.0, 9.0]                                          # 9 mm: a gross outlier, dropped
    assert letter_size_cv(h) == pytest.approx(np.std([3.0, 3.3, 2.7, 3.0], ddof=1) / 3.0)
    u = np.arange(5.0)
    assert letter_baseline_deviation(0.2 * u + 1.0, u) == pytest.approx(0.0, abs=1e-12)  # a tilted line is straight
    assert math.isnan(letter_baseline_deviation([0.0, 1.0], [0.0, 1.0]))


def _same_sizing(a, b) -> bool:
    """Bit-identical sizings (NaN equals NaN): every layout field and every per-letter array."""
    fields = [(getattr(a.layout, f), getattr(b.layout, f)) for f in a.layout.__dataclass_fields__]
    fields += [(getattr(a, f), getattr(b, f)) for f in ("letters", "letter_heights", "letter_offsets", "letter_u")]
    for p, q in fields:
        p, q = np.asarray(p), np.asarray(q)
        if p.shape != q.shape or p.dtype != q.dtype:
            return False
        if p.dtype.kind == "f":
            if not np.array_equal(p.view(np.int64) if p.size else p, q.view(np.int64) if q.size else q):
                return False  # bit for bit (NaN == NaN, and 0.0 != -0.0)
        elif not np.array_equal(p, q):
            return False
    return True


def _page_strokes(lines):
    """Concatenated x, y, starts, stops and line firsts of lines of (n_i, 2) paths."""
    paths = [p for ln in lines for p in ln]
    n = np.array([len(p) for p in paths])
    xy = np.concatenate(paths)
    stops = np.cumsum(n)
    first = np.r_[0, np.cumsum([len(ln) for ln in lines])]
    return xy[:, 0], xy[:, 1], stops - n, stops, first


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lines_measured_together_equal_each_line_alone(seed) -> None:
    from penmotor.metrics.sizing import stroke_lines

    rec = synth.page(n_lines=6, seed=seed)
    strokes = list(rec.strokes())
    lab = stroke_lines(rec)
    lines = [[np.column_stack((strokes[i].x, strokes[i].y)) for i in np.flatnonzero(lab == k)]
             for k in range(int(lab.max()) + 1)]
    x, y, starts, stops, first = _page_strokes(lines)
    rng = np.random.default_rng(seed)
    ext = (x + 0.02 * rng.standard_normal(x.size), y + 0.02 * rng.standard_normal(y.size))
    slants = [float(s) for s in rng.uniform(-20, 20, len(lines))]
    slants[0] = 0.0
    for ext_xy in (None, ext):
        together = sizings_from_lines(x, y, starts, stops, first, slants=slants, ext_xy=ext_xy)
        assert len(together) == len(lines)
        for k in range(len(lines)):
            s0, s1 = starts[first[k]], stops[first[k + 1] - 1]
            alone = sizing_from_strokes(x[s0:s1], y[s0:s1], starts[first[k]:first[k + 1]] - s0,
                                        stops[first[k]:first[k + 1]] - s0, slant=slants[k],
                                        ext_xy=None if ext_xy is None else (ext_xy[0][s0:s1], ext_xy[1][s0:s1]))
            assert alone.layout.ok
            assert _same_sizing(together[k], alone), k


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.floats(1.0, 6.0), st.floats(-30.0, 30.0), st.integers(0, 6)), min_size=1, max_size=5))
def test_any_lines_measured_together_equal_each_alone(spec) -> None:
    lines = []
    for k, (h, ang, n) in enumerate(spec):
        a = math.radians(ang)
        rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
        # n "o" letters (n = 0: an empty line; n = 1 with a 2-sample stroke: too short to measure)
        ln = [p @ rot.T + (0.0, -15.0 * k) for p in _ohs(n, h)] if n != 1 else [np.array([[0.0, -15.0 * k], [1.0, -15.0 * k]])]
        lines.append(ln)
    if not any(lines):
        return
    x, y, starts, stops, first = _page_strokes(lines)
    together = sizings_from_lines(x, y, starts, stops, first, slants=[3.0] * len(lines))
    for k, ln in enumerate(lines):
        if not ln:
            assert not together[k].layout.ok
            continue
        s0, s1 = starts[first[k]], stops[first[k + 1] - 1]
        alone = sizing_from_strokes(x[s0:s1], y[s0:s1], starts[first[k]:first[k + 1]] - s0,
                                    stops[first[k]:first[k + 1]] - s0, slant=3.0)
        assert _same_sizing(together[k], alone), k


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_zones_of_many_lines_equal_each_line_alone(seed) -> None:
    # the page-wide zones (sorted rows, index arithmetic) against the one-line rule, bit for bit, on
    # random lines: baseline minima with descenders, x-height maxima with ascenders, ties (rounded
    # heights), empty classes and lines without a scale
    from penmotor.letters import _zones, _zones_lines

    rng = np.random.default_rng(seed)
    kind, ev, eline, scales = [], [], [], []
    for k in range(int(rng.integers(1, 8))):
        n = int(rng.integers(0, 50))
        kk = rng.choice([-1, 1], n)
        base, xh = rng.normal(0.0, 5.0), rng.uniform(1.0, 6.0)
        desc = (rng.random(n) < rng.uniform(0.0, 0.6)) * xh * rng.uniform(0.5, 2.0, n)
        asc = (rng.random(n) < rng.uniform(0.0, 0.6)) * xh * rng.uniform(0.5, 2.0, n)
        v = np.where(kk < 0, base + rng.normal(0.0, 0.2, n) - desc, base + xh + rng.normal(0.0, 0.3, n) + asc)
        if rng.random() < 0.3:
            v = np.round(v, 1)
        kind.append(kk), ev.append(v), eline.append(np.full(n, k))
        scales.append(rng.uniform(1.0, 8.0) if rng.random() > 0.15 else math.nan)
    kind, ev = np.concatenate(kind).astype(np.intp), np.concatenate(ev)
    eline, scales = np.concatenate(eline).astype(np.intp), np.array(scales)
    bases, xhs = _zones_lines(kind, ev, eline, scales)
    for k in range(scales.size):
        if math.isnan(scales[k]):
            assert math.isnan(bases[k]) and math.isnan(xhs[k])
            continue
        sel = eline == k
        b, x = _zones(ev[sel & (kind < 0)], ev[sel & (kind > 0)], float(scales[k]))
        assert (b == bases[k] or (math.isnan(b) and math.isnan(bases[k]))), k
        assert (x == xhs[k] or (math.isnan(x) and math.isnan(xhs[k]))), k
