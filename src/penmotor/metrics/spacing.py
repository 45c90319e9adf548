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
from typing import Any

import numpy as np

from ..recording import Recording
from ..registry import declare_family, metric
from ..segment import component_pauses, frame_coords_lines, gap_threshold, stroke_boxes, word_breaks
from ..letters import PageSizing, Sizing
from .sizing import layout, letter_components, letter_sizing, line_sizings

__all__ = [
    "Spacing",
    "spacing_layout",
    "line_spacings",
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

    On a page of several lines (see :func:`penmotor.metrics.sizing.stroke_lines`) every
    line is segmented on its own (:func:`line_spacings`); this returns them joined:
    letters and words numbered line by line, the gaps of all lines, the median threshold.

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
    >>> np.round(spacing.letter_gaps, 1).tolist(), np.round(spacing.word_gaps, 1).tolist()   # mm (the second gap: 1.005)
    ([1.0, 1.0], [5.0])
    """
    if word_gap_xh is None:
        return rec.cached("spacing.layout", lambda: _joined(rec, None))
    return _joined(rec, word_gap_xh)


def line_spacings(rec: Recording, *, word_gap_xh: float | None = None) -> list[Spacing]:
    """The :class:`Spacing` of every text line, top line first (cached for the default).

    Each line is segmented in its own frame and x-height (:func:`penmotor.metrics.sizing.line_sizings`);
    the pause before a letter is the in-air time since the stroke written just before it.

    Examples
    --------
    >>> from penmotor.synth import page
    >>> pg = page(n_lines=6, seed=0)
    >>> ws = [float(np.mean(s.word_gaps)) for s in line_spacings(pg)]
    >>> truth = [ln["word_spacing"] for ln in pg.meta["lines"]]
    >>> bool(np.allclose(ws, truth, rtol=0.1))
    True
    """
    if word_gap_xh is None:
        return rec.cached("spacing.lines", lambda: _line_spacings(rec, None))
    return _line_spacings(rec, word_gap_xh)


def _line_spacings(rec: Recording, word_gap_xh: float | None) -> list[Spacing]:
    sz = letter_sizing(rec)
    if not isinstance(sz, PageSizing):
        return [_spacing(rec, word_gap_xh)]
    use = [s.layout.ok and s.letters.size > 0 for s in sz.lines]
    boxes = _line_boxes(rec, [k for k, u in zip(sz.line_strokes, use) if u],
                        [s.layout.angle_deg for s, u in zip(sz.lines, use) if u])
    out = []
    for s, k, u in zip(sz.lines, sz.line_strokes, use):  # loop over lines
        if not u:
            out.append(_EMPTY)
            continue
        out.append(_gaps(s.letters, next(boxes), s.layout.x_height, component_pauses(rec, s.letters, strokes=k),
                         word_gap_xh))
    return out


def _line_boxes(rec: Recording, strokes: list[np.ndarray], angles: list[float]) -> Any:
    """``stroke_boxes(rec, angle_deg=angles[j], strokes=strokes[j])`` for every line ``j`` (an iterator),
    the strokes of all lines in one pass: the same numbers."""
    if not strokes:
        return iter(())
    st, sp = rec.stroke_bounds()
    k = np.concatenate(strokes).astype(np.intp)
    n = sp[k] - st[k]
    s2 = np.r_[0, np.cumsum(n)[:-1]].astype(np.intp)
    idx = np.arange(int(n.sum())) + np.repeat(st[k] - s2, n)
    x, y = rec.x[idx], rec.y[idx]
    per_line = np.array([len(a) for a in strokes])
    ns = np.add.reduceat(n, np.r_[0, np.cumsum(per_line)[:-1]])  # samples per line
    u, v = frame_coords_lines(x, y, ns, angles)
    box = np.column_stack((np.minimum.reduceat(u, s2), np.maximum.reduceat(u, s2),
                           np.minimum.reduceat(v, s2), np.maximum.reduceat(v, s2)))
    return iter(np.split(box, np.cumsum(per_line)[:-1]))


def _joined(rec: Recording, word_gap_xh: float | None) -> Spacing:
    sps = line_spacings(rec, word_gap_xh=word_gap_xh)
    if len(sps) == 1:
        return sps[0]
    comp = letter_components(rec)
    wids, off = [], 0
    for sp in sps:
        wids.append(sp.word_of_component + off)
        off += int(sp.word_of_component.max()) + 1 if sp.word_of_component.size else 0
    thr = np.array([sp.threshold_xh for sp in sps])
    thr = thr[np.isfinite(thr)]
    return Spacing(comp, np.concatenate(wids), np.concatenate([sp.letter_gaps for sp in sps]),
                   np.concatenate([sp.word_gaps for sp in sps]), float(np.median(thr)) if thr.size else NAN)


def _spacing(rec: Recording, word_gap_xh: float | None) -> Spacing:
    lay = layout(rec)
    if not lay.ok:
        return _EMPTY
    comp = letter_components(rec)
    if comp.size == 0:
        return _EMPTY
    box = stroke_boxes(rec, angle_deg=lay.angle_deg)
    return _gaps(comp, box, lay.x_height, component_pauses(rec, comp) if word_gap_xh is None else None,
                 word_gap_xh)


def _gaps(comp: np.ndarray, box: np.ndarray, xh: float, pauses: np.ndarray | None,
          word_gap_xh: float | None) -> Spacing:
    """Letters' gaps split into letter and word gaps, from the letters' stroke boxes."""
    m = int(comp.max()) + 1
    lo = np.full(m, np.inf)
    hi = np.full(m, -np.inf)
    np.minimum.at(lo, comp, box[:, 0])
    np.maximum.at(hi, comp, box[:, 1])
    gaps = lo[1:] - hi[:-1]
    gx = gaps / xh
    if word_gap_xh is None:
        brk = word_breaks(gx, pauses)
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


def _over_lines(rec: Recording, f: Any) -> float:
    """``f(spacing, sizing)`` of a one-line recording; on a page, its median over the lines."""
    sps = line_spacings(rec)
    szs = line_sizings(rec)
    if len(sps) == 1:
        return f(sps[0], szs[0])
    v = np.array([f(a, b) for a, b in zip(sps, szs)], dtype=np.float64)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if v.size else NAN


@metric(unit="mm", better=None, scan=True, label='Word spacing')
def word_spacing(rec: Recording) -> float:
    """Mean horizontal gap between the ink bounding boxes of consecutive words, mm.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(word_spacing(synth.handwriting("one two three", word_spacing_mm=6.0, seed=0)), 1)
    6.0
    """
    return _over_lines(rec, lambda sp, sz: float(np.mean(sp.word_gaps)) if sp.word_gaps.size else NAN)


@metric(unit="mm", better=None, scan=True, label='Letter spacing')
def letter_spacing(rec: Recording) -> float:
    """Mean horizontal gap between the ink bounding boxes of consecutive letters of a word, mm.

    Examples
    --------
    >>> from penmotor import synth
    >>> round(letter_spacing(synth.handwriting("one two", letter_spacing_mm=1.2, seed=0)), 2)
    1.2
    """
    return _over_lines(rec, lambda sp, sz: float(np.mean(sp.letter_gaps)) if sp.letter_gaps.size else NAN)


@metric(unit="1", better=None, scan=True, label='Word spacing (in letter sizes)')
def word_spacing_xh(rec: Recording) -> float:
    """Mean gap between words in x-heights (``word_spacing / x_height``).

    Examples
    --------
    >>> from penmotor import synth
    >>> round(word_spacing_xh(synth.handwriting("one two", x_height_mm=4, word_spacing_mm=8.0, seed=0)), 2)
    2.0
    """
    return _over_lines(rec, lambda sp, sz: (float(np.mean(sp.word_gaps)) if sp.word_gaps.size else NAN) / sz.x_height)


@metric(unit="1", better=None, scan=True, label='Letter spacing (in letter sizes)')
def letter_spacing_xh(rec: Recording) -> float:
    """Mean gap between letters in x-heights (``letter_spacing / x_height``).

    Examples
    --------
    >>> from penmotor import synth
    >>> round(letter_spacing_xh(synth.handwriting("one two", x_height_mm=4, letter_spacing_mm=1.0, seed=0)), 2)
    0.25
    """
    return _over_lines(rec, lambda sp, sz: (float(np.mean(sp.letter_gaps)) if sp.letter_gaps.size else NAN)
                       / sz.x_height)


@metric(unit="1", better="lower", scan=True, label='Spacing consistency')
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
    return _over_lines(rec, lambda sp, sz: _cv(sp.letter_gaps))


def _cv(g: np.ndarray) -> float:
    if g.size < 2 or np.mean(g) <= 0:
        return NAN
    return float(np.std(g) / np.mean(g))


@metric(unit="mm", better="lower", scan=True, label='Line straightness')
def line_straightness(rec: Recording) -> float:
    """RMS deviation of the words' baselines from a straight line through them, mm (0 = straight).

    Examples
    --------
    >>> from penmotor import synth
    >>> round(line_straightness(synth.handwriting("a line of text", seed=0)), 2)
    0.0
    """
    return _over_lines(rec, _straightness)


def _straightness(spacing: Spacing, sz: Sizing) -> float:
    if not sz.layout.ok or spacing.word_of_component.size == 0:
        return NAN
    off, cu = sz.letter_offsets, sz.letter_u
    wid = spacing.word_of_component
    nw = int(wid.max()) + 1
    # letters with a baseline, word by word (writing order kept within a word), each word's
    # offsets sorted: one pass over the line's letters, not one per word
    k = np.flatnonzero(np.isfinite(off))
    k = k[np.argsort(wid[k], kind="stable")]
    b = np.searchsorted(wid[k], np.arange(nw + 1))
    n = np.diff(b)
    has = np.flatnonzero(n)
    wo = np.full(nw, NAN)
    wu = np.full(nw, NAN)
    if has.size:
        s = off[k[np.lexsort((off[k], wid[k]))]]
        lo, hi = b[has] + (n[has] - 1) // 2, b[has] + n[has] // 2
        # np.median of each word's offsets, bit for bit (odd: the middle value; even: the
        # mean of the two middle values, as np.mean computes it)
        wo[has] = np.where(n[has] % 2 == 1, s[hi] + 0.0, (s[lo] + s[hi] + 0.0) / 2)
        cuk = cu[k]
        for w in has:  # loop over words (np.mean of a contiguous slice: as of the word's letters)
            wu[w] = np.mean(cuk[b[w]:b[w + 1]])
    good = np.isfinite(wo)
    if np.count_nonzero(good) < 3:
        return NAN
    coef = np.polyfit(wu[good], wo[good], 1)
    return float(np.sqrt(np.mean((wo[good] - np.polyval(coef, wu[good])) ** 2)))
