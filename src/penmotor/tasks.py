"""What task a recording is (text, spiral, other drawing): the one rule, in one place.

:func:`task_kind` reads a recording's ``meta["task"]`` label (set by the readers, the
capture templates and :mod:`penmotor.synth`):

* a label containing ``"spiral"`` -> ``"spiral"``;
* a label in :data:`NON_TEXT_TASKS` (circle, line, lines, dots) -> ``"drawing"``;
* any other label (``"sentence"``, ``"llll"``, ``"pahaw_task_5"`` ...) -> ``"text"``;
* no label (missing, empty, None, 0) -> from the ink: ``"spiral"`` when it is spiral-like
  (:func:`spiral_like`), else ``"text"``.

Metric families declare the kinds they apply to (:func:`penmotor.registry.declare_family`:
letter sizes and spacing on text, the spiral fit on spirals and drawings); the registry
returns NaN for the others without computing them. The families use the same rule when
called directly (tremor picks its line search by it).

Examples
--------
>>> from penmotor import Recording, synth
>>> task_kind(synth.handwriting("sun", seed=0)), task_kind(synth.spiral(seed=0))
('text', 'spiral')
>>> ink = synth.spiral(seed=0)
>>> task_kind(Recording.from_arrays(t=ink.t, x=ink.x, y=ink.y))  # unlabelled: from the ink
'spiral'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from .recording import Recording

__all__ = ["KINDS", "NON_TEXT_TASKS", "task_label", "task_kind", "spiral_like", "SPIRAL_MIN_TURNS",
           "SPIRAL_MIN_CORR"]

#: The kinds :func:`task_kind` returns.
KINDS = ("text", "spiral", "drawing")
#: Task labels of drawings that are not text (a label containing "spiral" is a spiral).
NON_TEXT_TASKS = frozenset({"spiral", "circle", "line", "lines", "dots"})
#: Unlabelled ink is spiral-like when it turns at least this many times about its centre...
SPIRAL_MIN_TURNS = 1.5
#: ... with its radius growing (or shrinking) with the angle: |correlation| at least this.
SPIRAL_MIN_CORR = 0.5


def task_label(rec: "Recording") -> str:
    """The recording's task label, lower case; ``""`` when unlabelled (or labelled with a false value).

    Examples
    --------
    >>> from penmotor import Recording
    >>> task_label(Recording.from_arrays(t=[0], x=[0], y=[0], meta={"task": "Sentence"}))
    'sentence'
    """
    return str(rec.meta.get("task", "") or "").lower()


def spiral_like(rec: "Recording") -> bool:
    """Whether the pen-down ink is spiral-like: it winds about its bounding-box centre.

    True when the unwrapped angle of the ink about the centre of its bounding box turns
    :data:`SPIRAL_MIN_TURNS` times or more from the first to the last pen-down sample and
    the radius follows the angle (|Pearson r| >= :data:`SPIRAL_MIN_CORR`). On the real data
    used in the tests, handwriting turns at most ~1.5 times (mostly 0.5) with r <= 0.56;
    spirals turn 1.6-7 times with r 0.8-0.98. A circle turns but its radius does not grow.

    Examples
    --------
    >>> from penmotor import synth
    >>> spiral_like(synth.spiral(seed=0)), spiral_like(synth.handwriting("loop o", seed=0))
    (True, False)
    """
    down = rec.pen_down
    x, y = rec.x[down], rec.y[down]
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if x.size < 20:
        return False
    dx = x - 0.5 * (x.min() + x.max())
    dy = y - 0.5 * (y.min() + y.max())
    th = np.arctan2(dy, dx)
    d = np.diff(th)
    th[1:] += np.cumsum((d < -math.pi).astype(np.float64) - (d > math.pi)) * (2.0 * math.pi)
    if abs(th[-1] - th[0]) < SPIRAL_MIN_TURNS * 2.0 * math.pi:
        return False
    r = np.sqrt(dx * dx + dy * dy)
    tc, rc = th - th.mean(), r - r.mean()
    den = math.sqrt(float(tc @ tc) * float(rc @ rc))
    return den > 0 and abs(float(tc @ rc)) / den >= SPIRAL_MIN_CORR


def task_kind(rec: "Recording") -> str:
    """The kind of task: ``"text"``, ``"spiral"`` or ``"drawing"`` (the rule in the module notes).

    Cached per recording (the ink test runs once).

    Examples
    --------
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, 0.01], x=[0, 1], y=[0, 0])
    >>> [task_kind(rec.with_meta(task=t)) for t in ("Spiral_2", "circle", "llll", "sentence")]
    ['spiral', 'drawing', 'text', 'text']
    >>> task_kind(rec)  # unlabelled, and too little ink to be a spiral
    'text'
    """
    label = task_label(rec)
    if label:
        if "spiral" in label:
            return "spiral"
        return "drawing" if label in NON_TEXT_TASKS else "text"
    return rec.cached("tasks.kind", lambda: "spiral" if spiral_like(rec) else "text")
