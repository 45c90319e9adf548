"""penmotor.tasks: the one task rule, and the registry computing only what applies."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import penmotor
from penmotor import FEATURES, Recording, features, synth
from penmotor.registry import declare_family
from penmotor.tasks import KINDS, NON_TEXT_TASKS, spiral_like, task_kind, task_label

_REC = Recording.from_arrays(t=[0.0, 0.01], x=[0.0, 1.0], y=[0.0, 0.0])

# label -> kind; None = no "task" key (the ink decides: two samples are no spiral)
CASES = {
    None: "text",
    "": "text",
    0: "text",
    "sentence": "text",
    "Copy": "text",
    "llll": "text",
    "pahaw_task_5": "text",
    "spiral": "spiral",
    "Spiral_2": "spiral",
    "static_spiral": "spiral",
    "circle": "drawing",
    "lines": "drawing",
}


def _unlabelled(rec: Recording) -> Recording:
    return Recording.from_arrays(t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure, pen_down=rec.pen_down)


@pytest.mark.parametrize("label", list(CASES))
def test_one_rule_for_labels(label) -> None:
    rec = _REC if label is None else _REC.with_meta(task=label)
    assert task_kind(rec) == CASES[label] and task_kind(rec) in KINDS


def test_label_sets_are_lower_case() -> None:
    assert all(t == t.lower() for t in NON_TEXT_TASKS)
    assert task_label(_REC.with_meta(task=None)) == ""


def test_unlabelled_ink_decides_spiral_or_text() -> None:
    for s in range(3):
        assert task_kind(_unlabelled(synth.spiral(seed=s))) == "spiral"
        assert task_kind(_unlabelled(synth.handwriting("the quick brown fox", seed=s))) == "text"
        assert task_kind(_unlabelled(synth.handwriting("oo", seed=s))) == "text"  # loops, no growth


def test_spiral_like_on_real_recordings(shared_data: Path) -> None:
    """Every PaHaW and UCI recording read as unlabelled ink: spirals are spiral-like, writing is not."""
    kinds = {"spiral": [], "text": []}
    for f in sorted((shared_data / "pahaw").rglob("*.svc")):
        rec = penmotor.read(f, columns="pahaw", device="pahaw")
        kinds["spiral" if rec.meta["task"] == "spiral" else "text"].append(spiral_like(rec))
    for f in sorted((shared_data / "uci_spiral").rglob("*.txt")):
        try:
            got = penmotor.read(f)
        except penmotor.PenmotorError:
            continue
        kinds["spiral"] += [spiral_like(r) for r in got if "spiral" in r.meta["task"]]
    assert len(kinds["text"]) > 100 and not any(kinds["text"])
    assert len(kinds["spiral"]) > 100 and np.mean(kinds["spiral"]) > 0.85


def test_families_follow_the_rule() -> None:
    rec = synth.handwriting("hello world", x_height_mm=4.0, seed=1)
    assert features(_unlabelled(rec), names=["x_height"])["x_height"] == pytest.approx(4.0, abs=0.2)
    assert math.isnan(features(rec.with_meta(task="spiral"), names=["x_height"])["x_height"])
    sp = synth.spiral(seed=0)
    assert math.isfinite(features(sp, names=["spiral_tightness"])["spiral_tightness"])
    assert math.isfinite(features(_unlabelled(sp), names=["spiral_tightness"])["spiral_tightness"])
    assert math.isnan(features(sp.with_meta(task="sentence"), names=["spiral_tightness"])["spiral_tightness"])
    assert math.isnan(features(_unlabelled(sp), names=["x_height"])["x_height"])  # no letters in a spiral


def test_inapplicable_families_are_not_computed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The registry returns NaN for a family that does not apply without calling its metrics."""
    from penmotor.metrics import spiral

    calls = []
    real = spiral.spiral_fit
    monkeypatch.setattr(spiral, "spiral_fit", lambda rec: calls.append(rec) or real(rec))
    text = synth.handwriting("no spiral here", seed=2)
    f = features(text, families="spiral")
    assert calls == [] and len(f) >= 5 and all(math.isnan(v) for v in f.values())
    features(synth.spiral(seed=1), families="spiral")
    assert len(calls) >= 1
    assert FEATURES.applies_to("sizing") == {"text"} and FEATURES.applies_to("spiral") == {"spiral", "drawing"}
    assert FEATURES.applies_to("kinematics") is None


def test_declare_family_checks_kinds() -> None:
    with pytest.raises(penmotor.ParameterError, match="kinds"):
        declare_family("demo_bad", kinds=["poem"])
