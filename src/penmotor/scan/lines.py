"""Printed ruled lines: detect (long horizontal morphology), remove, and repair crossed strokes.

Run on a levelled page (see :mod:`penmotor.scan.deskew`). The detected rows are kept: they
are the reference for the Minnesota baseline rule and a check of the scale (line spacing in mm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["RuledLines", "detect_ruled_lines", "remove_ruled_lines"]


@dataclass(frozen=True)
class RuledLines:
    """Detected ruled lines.

    Attributes
    ----------
    mask : ndarray of bool
        Pixels belonging to ruled lines.
    rows : ndarray of float
        Centre row of each line (top to bottom).
    thickness_px : ndarray of float
        Thickness of each line in pixels.

    Examples
    --------
    >>> RuledLines(np.zeros((2, 2), bool), np.array([]), np.array([])).count
    0
    """

    mask: np.ndarray
    rows: np.ndarray
    thickness_px: np.ndarray

    @property
    def count(self) -> int:
        """Number of lines."""
        return int(self.rows.size)

    def spacing_px(self) -> float:
        """Median distance between consecutive lines (NaN for fewer than two).

        Examples
        --------
        >>> RuledLines(np.zeros((1, 1), bool), np.array([10.0, 30.0, 50.0]), np.ones(3)).spacing_px()
        20.0
        """
        return float(np.median(np.diff(self.rows))) if self.rows.size >= 2 else float("nan")


def _row_counts(m: np.ndarray) -> np.ndarray:
    """Non-zero pixels of each row of a bool/uint8 image (``cv2.reduce``: many times faster than ``sum``)."""
    import cv2

    u8 = m.view(np.uint8) if m.dtype == bool else (m != 0).view(np.uint8)
    return cv2.reduce(np.ascontiguousarray(u8), 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel().astype(np.int64)


def _open_rows(m: np.ndarray, k: int) -> np.ndarray:
    """Morphological opening of a 0/1 uint8 image with a ``k x 1`` horizontal line, by run lengths.

    Exactly ``cv2.morphologyEx(m, MORPH_OPEN, getStructuringElement(MORPH_RECT, (k, 1)))``
    (default anchor and border: outside counts as ink for the erosion, as paper for the
    dilation), from the horizontal runs of ink: a run at least `k` long survives (shorter
    ones touching the image edge may, as outside counts as ink for the erosion); with an
    even `k` OpenCV's unreflected anchor shifts it one pixel right.

    Examples
    --------
    >>> import cv2
    >>> m = (np.random.default_rng(1).random((40, 60)) < 0.8).astype(np.uint8)
    >>> ref = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (7, 1)))
    >>> bool((_open_rows(m, 7) == ref).all())
    True
    """
    h, w = m.shape
    a = k // 2
    pad = np.zeros((h, w + 2), np.int8)
    pad[:, 1:-1] = m != 0
    d = np.diff(pad, axis=1).ravel()           # +1 at a run's start, -1 one past its end (per row of w + 1)
    st = np.flatnonzero(d == 1)
    en = np.flatnonzero(d == -1)               # same order: runs do not cross rows
    p, q = st % (w + 1), en % (w + 1) - 1      # run [p, q] in its row
    # erosion keeps e when its window [e - a, e - a + k - 1] (inside the image) lies in the run
    e_lo = np.where(p > 0, p + a, 0)
    e_hi = np.where(q < w - 1, q - k + 1 + a, w - 1)
    ok = e_lo <= e_hi
    out = np.zeros((h, w), np.uint8)
    if ok.any():
        # the dilation paints [e - (k - 1 - a), e + a] around every kept e
        lo = np.maximum(e_lo[ok] - (k - 1 - a), 0)
        hi = np.minimum(e_hi[ok] + a, w - 1)
        ln = hi - lo + 1
        rows = st[ok] // (w + 1)
        off = np.repeat(rows * w + lo - np.r_[0, np.cumsum(ln)[:-1]], ln)
        out.ravel()[np.arange(int(ln.sum()), dtype=np.int64) + off] = 1
    return out


def detect_ruled_lines(
    ink: np.ndarray,
    *,
    dpi: float,
    min_length_mm: float = 40.0,
    max_thickness_mm: float = 1.0,
    bridge_mm: float = 0.35,
) -> RuledLines:
    """Find horizontal ruled lines: morphological opening with a long horizontal element.

    Handwriting has no straight horizontal run of `min_length_mm` (a long underline would
    count as a ruled line). Runs thicker than `max_thickness_mm` are ignored.

    Parameters
    ----------
    ink : ndarray of bool
        Levelled ink mask.
    dpi : float
    min_length_mm : float
        Shortest ruled line.
    max_thickness_mm : float
        Thickest ruled line.
    bridge_mm : float
        Breaks along a line up to this length are bridged first (faint print, rotation).

    Examples
    --------
    >>> m = np.zeros((200, 800), bool); m[100:102, 20:780] = True; m[50:150, 300:303] = True
    >>> rl = detect_ruled_lines(m, dpi=100)
    >>> rl.rows.tolist(), int(rl.mask.sum())
    ([100.5], 1526)
    """
    import cv2

    px = dpi / 25.4
    length = max(5, int(round(min_length_mm * px)))
    m = ink.view(np.uint8) if ink.dtype == bool else (ink > 0).astype(np.uint8)
    # morphology at ~150 dpi (a block is ink if any of its pixels is), then back to full size
    f = max(1, int(round(dpi / 150.0)))
    h, w = m.shape
    if f > 1:
        ms = np.ascontiguousarray(cv2.dilate(m, np.ones((f, f), np.uint8))[::f, ::f])
    else:
        ms = m
    pxs = px / f
    # bridge the small breaks of faint or rotated printed lines (never the gaps between letters)
    gap = max(3, int(round(bridge_mm * pxs)) | 1)
    m2 = cv2.dilate(ms, np.ones((3, 1), np.uint8))  # a line stepping between rows stays one run
    m2 = cv2.morphologyEx(m2, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    opened = _open_rows(m2, max(5, length // f))
    # full-resolution mask only in the row blocks where the reduced opening found long runs
    cand = np.flatnonzero(_row_counts(opened) >= 0.4 * length / f)
    mask = np.zeros((h, w), bool)
    if cand.size:
        blocks = np.unique(np.clip(np.r_[cand - 1, cand, cand + 1], 0, opened.shape[0] - 1))
        for blk in np.split(blocks, np.flatnonzero(np.diff(blocks) > 1) + 1):  # loop over row blocks
            a, b = int(blk[0]), int(blk[-1]) + 1
            up = np.repeat(np.repeat(opened[a:b], f, axis=0), f, axis=1)[:, :w] if f > 1 else opened[a:b]
            r0, r1 = a * f, min(h, b * f)
            mask[r0:r1] = (up[: r1 - r0] > 0) & (m[r0:r1] > 0)
    prof = _row_counts(mask)
    on = prof >= 0.5 * length
    if not on.any():
        return RuledLines(np.zeros_like(mask), np.zeros(0), np.zeros(0))
    # bridge 1-2 row holes inside a line (antialiasing, binarisation noise)
    on = on | (np.r_[on[1:], False] & np.r_[False, on[:-1]]) | (np.r_[on[2:], False, False] & np.r_[False, on[:-1]])
    d = np.diff(np.r_[0, on.view(np.int8), 0])
    starts, stops = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    thick = (stops - starts).astype(float)
    ok = thick <= max(1.0, max_thickness_mm * px)
    rows_all = np.arange(mask.shape[0], dtype=float)
    centres = np.array([np.average(rows_all[a:b], weights=prof[a:b] + 1e-9) for a, b in zip(starts, stops)])
    keep_rows = np.zeros(mask.shape[0], bool)
    for a, b, k in zip(starts, stops, ok):  # loop over lines
        if k:
            keep_rows[a:b] = True
    # a line with a residual tilt steps a few rows along its length: keep its long runs nearby
    near = cv2.dilate(keep_rows.astype(np.uint8)[:, None], np.ones((2 * int(np.ceil(px * 0.5)) + 1, 1),
                                                                    np.uint8)).ravel().astype(bool)
    np.logical_and(mask, near[:, None], out=mask)
    return RuledLines(mask, centres[ok], thick[ok])


def _handwriting_on_lines(grey: np.ndarray, core: np.ndarray, rest: np.ndarray, band: np.ndarray) -> np.ndarray:
    """Band pixels clearly darker than the printed line (reflectance, so uneven light cancels).

    Reflectance = grey / local paper brightness (max-filter at 1/8 scale). When the
    handwriting is clearly darker than the print, pixels darker than the line by 30 % of
    the line-to-ink contrast are handwriting. All arrays are one line's strip of the page.
    """
    import cv2

    out = np.zeros(grey.shape, bool)
    hand = rest & cv2.erode(rest.view(np.uint8), np.ones((3, 3), np.uint8)).view(bool)
    if not (core.any() and hand.any()):
        return out
    h, w = grey.shape
    f = 8
    small = cv2.resize(grey, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
    paper = np.maximum(cv2.dilate(small, np.ones((7, 7), np.uint8)).astype(np.float32), np.float32(1.0))
    # reflectance of the whole strip (paper brightness of each pixel's 8 x 8 block, the last
    # blocks extended to the edges)
    bg = paper[np.minimum(np.arange(h) // f, paper.shape[0] - 1)][:, np.minimum(np.arange(w) // f, paper.shape[1] - 1)]
    refl = grey / bg
    # letters resting on the line are part of its mask: read the print where no letter is near
    busy = cv2.dilate(rest.any(axis=0).astype(np.uint8)[None, :], np.ones((1, 9), np.uint8)).ravel() > 0
    free = core & ~busy[None, :]
    g_rule = float(np.median(refl[free if free.sum() >= 20 else core]))
    g_hand = float(np.median(refl[hand]))
    if g_hand < g_rule - 0.12:
        out = band & (refl < g_rule - 0.3 * (g_rule - g_hand))
    return out


def remove_ruled_lines(ink: np.ndarray, ruled: RuledLines, grey: Any = None,
                       *, pad_px: int = 1) -> np.ndarray:
    """Erase ruled lines but keep the handwriting that crosses or touches them.

    Each line's band (its pixels and rows, widened by `pad_px` rows for rotation jaggies)
    is erased, then:

    * strokes *crossing* the line (ink directly above and below) are bridged by a vertical
      closing across the band;
    * when the grey page is given and the handwriting is clearly darker than the printed
      line (the usual case), band pixels clearly darker than the line are handwriting
      and are kept -- so a letter sitting on the line keeps (most of) its bottom.

    Only a strip of rows around each line is touched (cheap on a full page). `grey` is the
    levelled grey page, or a function ``grey(lo, hi)`` returning its rows ``lo:hi`` (so a
    rotated page need only be resampled near the lines).

    Examples
    --------
    >>> m = np.zeros((200, 800), bool); m[100:102, 20:780] = True; m[50:150, 300:303] = True
    >>> out = remove_ruled_lines(m, detect_ruled_lines(m, dpi=100))
    >>> int(out.sum()), bool(out[100:102, 300:303].all())
    (300, True)
    """
    import cv2

    out = ink.copy()
    if ruled.count == 0:
        return out
    h = ink.shape[0]
    k = int(ruled.thickness_px.max()) + 2 * pad_px + 2
    # strips of rows around the lines (merged when they touch)
    spans = []
    for c, t in zip(ruled.rows, ruled.thickness_px):  # loop over lines
        a = max(0, int(np.floor(c - t / 2.0)) - pad_px + 1)
        b = min(h, int(np.ceil(c + t / 2.0)) + pad_px)
        spans.append((a, b))
    margin = k + 3 + int(np.ceil(ruled.thickness_px.max()))
    strips: list[list[int]] = []
    for a, b in sorted(spans):
        lo, hi = max(0, a - margin), min(h, b + margin)
        if strips and lo <= strips[-1][1]:
            strips[-1][1] = max(strips[-1][1], hi)
        else:
            strips.append([lo, hi])
    for lo, hi in strips:  # loop over strips (one per line)
        sub_ink = ink[lo:hi]
        rows_on = np.zeros(hi - lo, bool)
        for a, b in spans:
            if a < hi and b > lo:
                rows_on[max(a, lo) - lo:min(b, hi) - lo] = True
        sub_mask = ruled.mask[lo:hi]
        near = cv2.dilate(sub_mask.view(np.uint8), np.ones((2 * pad_px + 1, 1), np.uint8)).view(bool)
        band = sub_ink & (near | rows_on[:, None])
        rest = sub_ink & ~band
        closed = cv2.morphologyEx(rest.view(np.uint8), cv2.MORPH_CLOSE,
                                  cv2.getStructuringElement(cv2.MORPH_RECT, (1, k + 1)))
        keep = rest | (closed.view(bool) & band)
        if grey is not None:
            g = grey(lo, hi) if callable(grey) else grey[lo:hi]
            if g.shape == sub_ink.shape:
                keep |= _handwriting_on_lines(g, sub_mask & band, rest, band)
        out[lo:hi] = keep
    return out
