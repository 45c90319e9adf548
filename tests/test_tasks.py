"""penmotor.tasks: the task rules, including the documented disagreement on unlabelled recordings."""

from __future__ import annotations

import math

import pytest

from penmotor import Recording, features, synth
from penmotor.tasks import NON_TEXT_TASKS, TEXT_TASKS, is_labelled_writing, is_named_text, may_be_text, task_label

_REC = Recording.from_arrays(t=[0.0, 0.01], x=[0.0, 1.0], y=[0.0, 0.0])

# label -> (may_be_text, is_labelled_writing, is_named_text); None = no "task" key
CASES = {
    None: (True, False, False),
    "": (True, False, False),
    0: (True, False, False),          # str(0) = "0" reads as text for sizing; falsy for tremor
    "sentence": (True, True, True),
    "Copy": (True, True, True),
    "llll": (True, True, False),
    "spiral": (False, False, False),
    "Spiral_2": (False, False, False),
    "circle": (False, False, False),
    "lines": (False, False, False),
}


@pytest.mark.parametrize("label", list(CASES))
def test_the_three_rules(label) -> None:
    rec = _REC if label is None else _REC.with_meta(task=label)
    assert (may_be_text(rec), is_labelled_writing(rec), is_named_text(rec)) == CASES[label]


def test_label_sets_are_disjoint_and_lower_case() -> None:
    assert not (NON_TEXT_TASKS & TEXT_TASKS)
    assert all(t == t.lower() for t in NON_TEXT_TASKS | TEXT_TASKS)
    assert task_label(_REC.with_meta(task=None)) == ""


def test_families_follow_their_rule() -> None:
    # sizing measures unlabelled writing, refuses a spiral label; spiral metrics refuse named text
    rec = synth.handwriting("hello world", x_height_mm=4.0, seed=1)
    unlabelled = Recording.from_arrays(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure, pen_down=rec.pen_down)
    assert "task" not in unlabelled.meta
    assert features(unlabelled, names=["x_height"])["x_height"] == pytest.approx(4.0, abs=0.2)
    assert math.isnan(features(rec.with_meta(task="spiral"), names=["x_height"])["x_height"])
    sp = synth.spiral(seed=0)
    assert math.isfinite(features(sp, names=["spiral_tightness"])["spiral_tightness"])
    assert math.isnan(features(sp.with_meta(task="sentence"), names=["spiral_tightness"])["spiral_tightness"])
