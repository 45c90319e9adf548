"""Simulate: synthetic handwriting, spirals, cohorts and scanned pages, all with known ground truth.

Every recording made here carries its answers in ``rec.meta["truth"]``, keyed by
registered feature names (``"x_height"``, ``"word_spacing"``, ``"slant"``,
``"tremor_frequency"``, ...), so metrics can be validated against numbers that are
true by construction. Everything is deterministic given ``seed``.

* :func:`handwriting` -- one line of print handwriting (:mod:`penmotor.synth.writing`
  describes the model: alphabet, sigma-lognormal movement, geometry, pen lifts,
  pressure, tremor, sampling);
* :func:`spiral`, :func:`tremor_spiral` -- Archimedean spirals (:mod:`penmotor.synth.spirals`);
* :func:`page`, :func:`stack_lines` -- pages of several lines of online ink, as a child writes
  them (line returns out of the tablet's range, drifting lines, late i-dots and t-bars),
  with per-line truth (:mod:`penmotor.synth.multiline`);
* :func:`child_sessions` -- one child improving over weekly sessions (:mod:`penmotor.synth.cohorts`);
* :func:`render`, :func:`degrade` -- recordings drawn as scanned pages, and what scanners
  and phones do to them (:mod:`penmotor.synth.pages`; OpenCV loads on first use).

Examples
--------
>>> from penmotor import synth
>>> rec = synth.handwriting("hello world", x_height_mm=4.0, seed=1)
>>> rec.meta["truth"]["x_height"], round(rec.meta["truth"]["word_spacing"], 1)
(4.0, 6.0)
>>> sp = synth.spiral(seed=0)
>>> sp.meta["task"], sp.meta["truth"]["spiral_tightness"]
('spiral', 1.5)
"""

from __future__ import annotations

from ._base import SYNTH_DEVICE
from .cohorts import child_sessions
from .multiline import PARAGRAPH, page, stack_lines
from .pages import degrade, render, render_transform
from .spirals import spiral, tremor_spiral
from .writing import ALPHABET, ASCENDERS, DESCENDERS, handwriting

__all__ = ["handwriting", "spiral", "tremor_spiral", "child_sessions", "page", "stack_lines", "render", "degrade",
           "render_transform", "SYNTH_DEVICE", "ALPHABET", "ASCENDERS", "DESCENDERS", "PARAGRAPH"]
