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
