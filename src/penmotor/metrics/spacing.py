"""Spacing: gaps between letters and words, spacing consistency, line straightness.

Definitions (the same as :mod:`penmotor.synth` uses for its ground truth):

* A **letter** is an ink component: pen-down strokes whose de-slanted horizontal extents
  overlap, with i/j dots attached (:func:`penmotor.segment.components`), in the writing
  frame of :func:`penmotor.metrics.sizing.layout` (baseline horizontal).
* A **gap** is the horizontal distance, along the baseline, between the ink bounding
  boxes (pen centre line) of two consecutive letters or words. Word gaps are found by
  :func:`penmotor.segment.word_breaks`: a minimum-error (Kittler-Illingworth) split of a
  score combining the gap width (in x-heights) and the in-air pause before the next
  letter, so that a child whose word gaps are hardly wider than the letter gaps (0.6-0.8
  vs up to 0.6 x-heights) still gets words; unclear splits fall back to the widths alone
  (Otsu, clamped to 0.6-2 x-heights, :func:`penmotor.segment.gap_threshold`).
* **word_spacing** / **letter_spacing**: mean gap between consecutive words / between
  consecutive letters of a word (mm); the ``_xh`` variants divide by the x-height.
* **spacing_cv**: SD / mean (ddof=0) of the letter gaps.
* **line_straightness**: RMS deviation (mm) of the words' baselines (median baseline
  offset of their letters) from the least-squares straight line through them; a line
  that wanders up and down scores high. Needs three words.

NaN when undefined (fewer than two words or letters, no layout, a spiral task).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..recording import Recording
from ..registry import declare_family, metric
from ..segment import component_pauses, gap_threshold, stroke_boxes, word_breaks
from .sizing import layout, letter_components, letter_sizing, x_height

__all__ = [
    "Spacing",
    "spacing_layout",
    "word_spacing",
    "letter_spacing",
    "word_spacing_xh",
    "letter_spacing_xh",
    "spacing_cv",
    "line_straightness",
]

NAN = float("nan")

declare_family("spacing", kinds=["text"])  # letter and word spacing exist on text only


@dataclass(frozen=True)
class Spacing:
    """Letters, words and gaps of one recording.

    Attributes
    ----------
    component : ndarray of int
        Letter (component) index of each pen-down stroke.
    word_of_component : ndarray of int
        Word index of each letter.
    letter_gaps, word_gaps : ndarray
        Gaps in mm (see the module docstring).
    threshold_xh : float
        Gap threshold between letters and words, x-heights.

    Examples
    --------
    >>> from penmotor import synth
    >>> spacing_layout(synth.handwriting("ab cd", seed=0)).word_of_component.tolist()
    [0, 0, 1, 1]
    """

    component: np.ndarray
    word_of_component: np.ndarray
    letter_gaps: np.ndarray
    word_gaps: np.ndarray
    threshold_xh: float


_EMPTY = Spacing(np.empty(0, dtype=np.intp), np.empty(0, dtype=np.intp), np.empty(0), np.empty(0), NAN)


def spacing_layout(rec: Recording, *, word_gap_xh: float | None = None) -> Spacing:
    """Segment the ink into letters and words and measure the gaps (cached for the default).

    Parameters
    ----------
    rec : Recording
    word_gap_xh : float, optional
        Fixed letter/word gap threshold in x-heights; default adaptive.

    Returns
    -------
    Spacing

    Examples
    --------
    >>> from penmotor import synth
    >>> spacing = spacing_layout(synth.handwriting("ab cd", letter_spacing_mm=1.0, word_spacing_mm=5.0, seed=0))
    >>> np.round(spacing.letter_gaps, 2).tolist(), np.round(spacing.word_gaps, 2).tolist()
    ([1.0, 1.0], [5.0])
    """
    if word_gap_xh is None:
        return rec.cached("spacing.layout", lambda: _spacing(rec, None))
    return _spacing(rec, word_gap_xh)


def _spacing(rec: Recording, word_gap_xh: float | None) -> Spacing:
    lay = layout(rec)
    if not lay.ok:
        return _EMPTY
    comp = letter_components(rec)
    if comp.size == 0:
        return _EMPTY
    box = stroke_boxes(rec, angle_deg=lay.angle_deg)
    m = int(comp.max()) + 1
    lo = np.full(m, np.inf)
    hi = np.full(m, -np.inf)
    np.minimum.at(lo, comp, box[:, 0])
    np.maximum.at(hi, comp, box[:, 1])
    xh = lay.x_height
    gaps = lo[1:] - hi[:-1]
    gx = gaps / xh
    if word_gap_xh is None:
        brk = word_breaks(gx, component_pauses(rec, comp))
        # the threshold actually applied: halfway between the widest letter gap and the
        # narrowest word gap (the pauses may move single gaps across it)
        thr = (0.5 * (float(np.max(gx[~brk])) + float(np.min(gx[brk]))) if brk.any() and (~brk).any()
               else gap_threshold(gx))
    else:
        thr = float(word_gap_xh)
        brk = gx > thr
    new = np.concatenate(([True], brk))
    wid = np.cumsum(new) - 1
    nw = int(wid[-1]) + 1
    wlo = np.full(nw, np.inf)
    whi = np.full(nw, -np.inf)
    np.minimum.at(wlo, wid, lo)
    np.maximum.at(whi, wid, hi)
    return Spacing(comp, wid, gaps[~new[1:]], wlo[1:] - whi[:-1], thr)


@metric(unit="mm", better=None, scan=True)
def word_spacing(rec: Recording) -> float:
    """Mean horizontal gap between the ink bounding boxes of consecutive words, mm.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(word_spacing(synth.handwriting("one two three", word_spacing_mm=6.0, seed=0)), 1)
    6.0
    """
    g = spacing_layout(rec).word_gaps
    return float(np.mean(g)) if g.size else NAN


@metric(unit="mm", better=None, scan=True)
def letter_spacing(rec: Recording) -> float:
    """Mean horizontal gap between the ink bounding boxes of consecutive letters of a word, mm.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(letter_spacing(synth.handwriting("one two", letter_spacing_mm=1.2, seed=0)), 2)
    1.2
    """
    g = spacing_layout(rec).letter_gaps
    return float(np.mean(g)) if g.size else NAN


@metric(unit="1", better=None, scan=True)
def word_spacing_xh(rec: Recording) -> float:
    """Mean gap between words in x-heights (``word_spacing / x_height``).

    Examples
    --------
    >>> from penmotor import synth
    >>> round(word_spacing_xh(synth.handwriting("one two", x_height_mm=4, word_spacing_mm=8.0, seed=0)), 2)
    2.0
    """
    return word_spacing(rec) / x_height(rec)


@metric(unit="1", better=None, scan=True)
def letter_spacing_xh(rec: Recording) -> float:
    """Mean gap between letters in x-heights (``letter_spacing / x_height``).

    Examples
    --------
    >>> from penmotor import synth
    >>> round(letter_spacing_xh(synth.handwriting("one two", x_height_mm=4, letter_spacing_mm=1.0, seed=0)), 2)
    0.25
    """
    return letter_spacing(rec) / x_height(rec)


@metric(unit="1", better="lower", scan=True)
def spacing_cv(rec: Recording) -> float:
    """Spacing consistency: coefficient of variation (SD/mean, ddof=0) of the letter gaps.

    Examples
    --------
    >>> from penmotor import synth
    >>> even = spacing_cv(synth.handwriting("several letters here", seed=0))
    >>> uneven = spacing_cv(synth.handwriting("several letters here", spacing_cv=0.4, seed=0))
    >>> bool(even < 0.05 < uneven)
    True
    """
    g = spacing_layout(rec).letter_gaps
    if g.size < 2 or np.mean(g) <= 0:
        return NAN
    return float(np.std(g) / np.mean(g))


@metric(unit="mm", better="lower", scan=True)
def line_straightness(rec: Recording) -> float:
    """RMS deviation of the words' baselines from a straight line through them, mm (0 = straight).

    Examples
    --------
    >>> from penmotor import synth
    >>> round(line_straightness(synth.handwriting("a line of text", seed=0)), 3)
    0.0
    """
    lay = layout(rec)
    spacing = spacing_layout(rec)
    if not lay.ok or spacing.word_of_component.size == 0:
        return NAN
    sizes = letter_sizing(rec)
    off, cu = sizes.letter_offsets, sizes.letter_u
    wid = spacing.word_of_component
    ok = np.isfinite(off)
    nw = int(wid.max()) + 1
    wo = np.full(nw, NAN)
    wu = np.full(nw, NAN)
    for w in range(nw):  # loop over words
        sel = ok & (wid == w)
        if sel.any():
            wo[w] = np.median(off[sel])
            wu[w] = np.mean(cu[sel])
    good = np.isfinite(wo)
    if np.count_nonzero(good) < 3:
        return NAN
    coef = np.polyfit(wu[good], wo[good], 1)
    return float(np.sqrt(np.mean((wo[good] - np.polyval(coef, wu[good])) ** 2)))
