"""Text lines of a page: how many, how far apart, how their size, tilt and left margin drift.

Lines are found by :func:`penmotor.segment.lines` (cached as
:func:`penmotor.metrics.sizing.stroke_lines`) and each is measured on its own by the
letter-size estimator (:func:`penmotor.metrics.sizing.line_sizings`): its own writing
frame (baseline direction ``angle_deg`` and height), x-height and slant. From those:

* **n_lines**: number of text lines (1 for a one-line recording).
* **line_spacing**: median over consecutive lines of the distance between their
  baselines (mm), measured across the page's writing direction (the median of the
  lines' directions) at the middle of the two lines' common extent.
* **x_height_line_cv**: SD / mean (ddof=1) of the lines' x-heights: letters growing or
  shrinking from line to line (the size CV within lines is ``size_cv``).
* **baseline_drift**: mean absolute direction of the lines' baselines against the page's
  x axis (degrees): lines climbing or falling across the page. For a one-line
  recording, ``|baseline_angle|``. A sheet lying rotated on the tablet adds its rotation.
* **left_margin_drift**: how far the lines' left edges move from the first line to the
  last (mm, :func:`margin_drift`), the same definition as for scanned pages.

NaN when undefined: a non-text task, no ink, fewer than two lines for the between-line
measures.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..recording import Recording
from ..registry import declare_family, metric
from ..segment import stroke_boxes
from .sizing import line_sizings, stroke_lines

__all__ = ["n_lines", "line_spacing", "x_height_line_cv", "baseline_drift", "left_margin_drift",
           "margin_drift", "line_geometry"]

NAN = float("nan")

declare_family("lines", kinds=["text"])  # text lines exist on text only


def margin_drift(lefts: Any, baselines: Any) -> float:
    """Drift of the lines' left edges (mm): least-squares line of left edge on baseline height,
    its slope times the height spanned by the lines (absolute value).

    Shared by online pages (:func:`left_margin_drift`) and scanned pages. NaN with fewer
    than two lines.

    Examples
    --------
    >>> round(margin_drift([20.0, 21.0, 22.0], [0.0, -10.0, -20.0]), 6)   # 1 mm further right every line
    2.0
    >>> margin_drift([20.0], [0.0])
    nan
    """
    lefts = np.asarray(lefts, dtype=np.float64)
    bases = np.asarray(baselines, dtype=np.float64)
    ok = np.isfinite(lefts) & np.isfinite(bases)
    if np.count_nonzero(ok) < 2 or np.ptp(bases[ok]) == 0:
        return NAN
    slope = np.polyfit(bases[ok], lefts[ok], 1)[0]
    return float(abs(slope * np.ptp(bases[ok])))


def line_geometry(rec: Recording) -> dict[str, np.ndarray]:
    """Per text line: direction, left edge, baseline height at it, extent and x-height (cached).

    Returns
    -------
    dict of ndarray, one value per line (top line first)
        ``angle_deg`` (baseline direction), ``left`` (leftmost pen-down x, mm), ``baseline``
        (page y of the baseline at ``left``), ``offset`` (the baseline's height in its own
        rotated frame), ``x_height``; NaN where a line has no baseline. Empty for non-text.

    Examples
    --------
    >>> from penmotor.synth import page
    >>> pg = page(n_lines=6, seed=4)
    >>> g = line_geometry(pg)
    >>> truth = np.array([ln["angle_deg"] for ln in pg.meta["lines"]])
    >>> bool(np.all(np.abs(g["angle_deg"] - truth) < 0.5))
    True
    """
    return rec.cached("lines.geometry", lambda: _geometry(rec))


def _geometry(rec: Recording) -> dict[str, np.ndarray]:
    lab = stroke_lines(rec)
    keys = ("angle_deg", "left", "baseline", "offset", "x_height")
    if lab.size == 0:
        return {k: np.empty(0) for k in keys}
    szs = line_sizings(rec)
    L = len(szs)
    lays = [s.layout for s in szs]
    ok = np.array([la.ok for la in lays])
    ang = np.array([la.angle_deg if la.ok else NAN for la in lays])
    off = np.array([la.baseline if la.ok else NAN for la in lays])
    box = stroke_boxes(rec)
    left = np.full(L, np.inf)
    np.minimum.at(left, lab, box[:, 0])
    a = np.radians(ang)
    with np.errstate(invalid="ignore"):
        base = (off + left * np.sin(a)) / np.cos(a)  # page y of the baseline at the left edge
    return {"angle_deg": ang, "left": np.where(ok, left, NAN), "baseline": base, "offset": off,
            "x_height": np.array([s.x_height for s in szs])}


@metric(unit="1", better=None, depends_on_text=True, label="Text lines")
def n_lines(rec: Recording) -> float:
    """Number of text lines (:func:`penmotor.segment.lines`); NaN for non-text tasks.

    Examples
    --------
    >>> from penmotor.synth import page
    >>> n_lines(page(n_lines=9, seed=1))
    9.0
    """
    lab = stroke_lines(rec)
    return float(lab.max() + 1) if lab.size else NAN


@metric(unit="mm", better=None, label="Line spacing")
def line_spacing(rec: Recording) -> float:
    """Median distance between the baselines of consecutive text lines, mm; NaN with one line.

    Measured across the page's writing direction (median of the lines' directions), at
    the middle of the two lines' common extent along it.

    Examples
    --------
    >>> from penmotor.synth import page
    >>> pg = page(n_lines=7, seed=2)
    >>> abs(line_spacing(pg) - pg.meta["truth"]["line_spacing"]) < 0.2
    True
    """
    g = line_geometry(rec)
    ang = g["angle_deg"]
    if np.count_nonzero(np.isfinite(ang)) < 2:
        return NAN
    f = float(np.median(ang[np.isfinite(ang)]))
    lab = stroke_lines(rec)
    box = stroke_boxes(rec, angle_deg=f)
    L = ang.size
    lo, hi = np.full(L, np.inf), np.full(L, -np.inf)
    np.minimum.at(lo, lab, box[:, 0])
    np.maximum.at(hi, lab, box[:, 1])
    a, fr = np.radians(ang), math.radians(f)
    # each baseline: points with -x sin a + y cos a = offset; in the frame of f:
    # v(u) = v0 + tan(a - f) (u - u0) through the foot point (u0, v0) of the offset
    px, py = -g["offset"] * np.sin(a), g["offset"] * np.cos(a)
    u0 = px * math.cos(fr) + py * math.sin(fr)
    v0 = -px * math.sin(fr) + py * math.cos(fr)
    k = np.tan(a - fr)
    um = 0.5 * (np.maximum(lo[:-1], lo[1:]) + np.minimum(hi[:-1], hi[1:]))
    d = (v0[:-1] + k[:-1] * (um - u0[:-1])) - (v0[1:] + k[1:] * (um - u0[1:]))
    d = d[np.isfinite(d)]
    return float(np.median(d)) if d.size else NAN


@metric(unit="1", better="lower", label="Letter-size drift across lines (CV)")
def x_height_line_cv(rec: Recording) -> float:
    """Size drift across lines: SD / mean (ddof=1) of the lines' x-heights; NaN with one line.

    Examples
    --------
    >>> from penmotor.synth import page
    >>> even = x_height_line_cv(page(n_lines=6, x_height_mm=[3.5] * 6, seed=0))
    >>> growing = x_height_line_cv(page(n_lines=6, x_height_mm=[3, 3.5, 4, 4.5, 5, 5.5], seed=0))
    >>> bool(even < 0.02 < 0.15 < growing)
    True
    """
    xh = line_geometry(rec)["x_height"]
    xh = xh[np.isfinite(xh)]
    if xh.size < 2 or np.mean(xh) <= 0:
        return NAN
    return float(np.std(xh, ddof=1) / np.mean(xh))


@metric(unit="deg", better="lower", label="Line tilt (baseline drift)")
def baseline_drift(rec: Recording) -> float:
    """How much the lines climb or fall: mean absolute baseline direction of the lines, degrees.

    Against the page's x axis (a rotated sheet adds its rotation); one line:
    ``|baseline_angle|``.

    Examples
    --------
    >>> from penmotor.synth import page
    >>> pg = page(n_lines=6, seed=5)
    >>> abs(baseline_drift(pg) - pg.meta["truth"]["baseline_drift"]) < 0.3
    True
    """
    ang = line_geometry(rec)["angle_deg"]
    ang = ang[np.isfinite(ang)]
    return float(np.mean(np.abs(ang))) if ang.size else NAN


@metric(unit="mm", better="lower", scan=True, label="Left-margin drift")
def left_margin_drift(rec: Recording) -> float:
    """Horizontal drift of the lines' left edges from the first to the last text line, mm.

    :func:`margin_drift` of the lines' leftmost pen-down x against their baseline heights
    there. NaN with one line.

    Examples
    --------
    >>> from penmotor.synth import page
    >>> pg = page(n_lines=8, margin_drift_mm=2.0, seed=3)
    >>> abs(left_margin_drift(pg) - pg.meta["truth"]["left_margin_drift"]) < 1.0
    True
    """
    g = line_geometry(rec)
    return margin_drift(g["left"], g["baseline"])
