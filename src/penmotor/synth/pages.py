"""Draw online recordings as scanned pages: every recording doubles as a worksheet with known truth.

:func:`render` draws the pen-down ink of one recording (or several, one per text line) with
pressure mapped to stroke width and ink darkness; :func:`degrade` adds what scanners and
phones add (rotation, noise, uneven light, blur).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..recording import Recording, valid_recording

__all__ = ["render", "degrade", "render_transform"]

_LEVELS = 8
# OpenCV's anti-aliased lines of thickness t cover ~t + 2.4 px (odd steps); pick t for a width
_T = np.arange(1, 400)
_EFFECTIVE = np.where(_T == 1, 1.35, 2 * ((_T - 1) // 2) + 3.44)


def _thickness(width_px: float) -> int:
    return int(_T[int(np.argmin(np.abs(_EFFECTIVE - width_px)))])


def _as_list(rec: Any) -> list[Any]:
    recs = [rec] if isinstance(rec, Recording) else list(rec)
    if not recs:
        raise ParameterError("rec: expected a Recording or a non-empty sequence of Recordings")
    for r in recs:
        valid_recording(r)
    return recs


def render_transform(
    rec: Any,
    dpi: float = 300.0,
    *,
    margin_mm: float = 10.0,
    line_gap_mm: float | None = None,
    page_mm: tuple[float, float] | None = None,
) -> tuple[list[float], float, float, tuple[int, int]]:
    """Where :func:`render` puts each line: per-line y offsets (mm), x/y origin (mm) and page shape.

    A point ``(x, y)`` (mm, y up) of line ``i`` lands at column ``(x - x0) * dpi / 25.4`` and
    row ``(y0 - (y + offsets[i])) * dpi / 25.4``.

    Examples
    --------
    >>> from penmotor import Recording
    >>> r = Recording.from_arrays(t=[0, 1], x=[0, 10], y=[0, 0])
    >>> offs, x0, y0, shape = render_transform(r, dpi=254, margin_mm=5)
    >>> offs, x0, y0, shape
    ([0.0], -5.0, 5.0, (100, 200))
    """
    recs = _as_list(rec)
    if not (np.isfinite(dpi) and dpi > 0):
        raise ParameterError(f"dpi: expected a positive number, got {dpi!r}")
    down = [r.pen_down if r.pen_down.any() else np.ones(len(r), bool) for r in recs]
    ylo = [float(r.y[d].min()) if len(r) else 0.0 for r, d in zip(recs, down)]
    yhi = [float(r.y[d].max()) if len(r) else 0.0 for r, d in zip(recs, down)]
    if line_gap_mm is None:
        line_gap_mm = 1.6 * max(max(h - lo for h, lo in zip(yhi, ylo)), 1.0)
    offsets = [-i * float(line_gap_mm) for i in range(len(recs))]
    xs = [r.x[d] for r, d in zip(recs, down) if len(r)]
    xmin = min(float(x.min()) for x in xs) if xs else 0.0
    xmax = max(float(x.max()) for x in xs) if xs else 0.0
    top = max(h + o for h, o in zip(yhi, offsets))
    bottom = min(lo + o for lo, o in zip(ylo, offsets))
    x0 = xmin - margin_mm
    y0 = top + margin_mm
    if page_mm is None:
        w_mm = xmax - xmin + 2 * margin_mm
        h_mm = top - bottom + 2 * margin_mm
    else:
        w_mm, h_mm = float(page_mm[0]), float(page_mm[1])
    px = dpi / 25.4
    shape = (int(np.ceil(h_mm * px)), int(np.ceil(w_mm * px)))
    return offsets, x0, y0, shape


def render(
    rec: Any,
    dpi: float = 300.0,
    *,
    width_mm: tuple[float, float] = (0.25, 0.65),
    darkness: tuple[float, float] = (0.6, 0.95),
    paper: int = 245,
    margin_mm: float = 10.0,
    line_gap_mm: float | None = None,
    page_mm: tuple[float, float] | None = None,
    rules_mm: Sequence[float] | None = None,
    rule_width_mm: float = 0.25,
    rule_grey: int = 150,
) -> np.ndarray:
    """Draw the pen-down ink of a recording as a grey scanned page.

    Pressure (0..1; 0.5 where absent) sets each segment's width and ink darkness linearly
    between the two values of `width_mm` and `darkness` (8 levels, light drawn first).

    Parameters
    ----------
    rec : Recording or sequence of Recording
        Several recordings are stacked top to bottom, one text line each.
    dpi : float
        Output resolution.
    width_mm : (float, float)
        Stroke width at pressure 0 and 1.
    darkness : (float, float)
        Fraction of light absorbed by the ink at pressure 0 and 1.
    paper : int
        Paper grey level.
    margin_mm : float
        Blank border around the ink (or the top-left offset on a fixed `page_mm`).
    line_gap_mm : float, optional
        Distance between stacked lines (default 1.6 x the tallest line).
    page_mm : (width, height), optional
        Fixed page size, e.g. ``(210, 297)`` for A4; default fits the ink.
    rules_mm : sequence of float, optional
        Draw printed ruled lines at these heights (mm, in each line's recording
        coordinates, e.g. ``[0.0]`` for a line under a baseline at y = 0), page-wide.
    rule_width_mm, rule_grey : float, int
        Printed line thickness and grey.

    Returns
    -------
    ndarray of uint8, shape (rows, cols)
        0 = black; the scale is `dpi`.

    Examples
    --------
    >>> from penmotor import Recording
    >>> r = Recording.from_arrays(t=[0, 1], x=[0, 20], y=[0, 0], pressure=[0.5, 0.5])
    >>> page = render(r, dpi=254, margin_mm=5)
    >>> page.shape, int(page.min()) < 60, int(page.max())
    ((100, 300), True, 245)
    """
    import cv2

    recs = _as_list(rec)
    offsets, x0, y0, shape = render_transform(rec, dpi, margin_mm=margin_mm, line_gap_mm=line_gap_mm,
                                              page_mm=page_mm)
    if shape[0] * shape[1] > 200_000_000:
        raise ParameterError(f"render: page of {shape[1]}x{shape[0]} px is too large; lower dpi")
    px = dpi / 25.4
    absorb = np.zeros(shape, np.uint8)
    if rules_mm is not None:
        t = _thickness(rule_width_mm * px)
        a = int(round(255 * (1 - rule_grey / paper)))
        for off in offsets:
            for ry in rules_mm:
                row = int(round((y0 - (ry + off)) * px * 16))
                cv2.line(absorb, (int(margin_mm * px * 0.5) * 16, row),
                         (int((shape[1] - margin_mm * px * 0.5)) * 16, row), a, t, cv2.LINE_AA, shift=4)
    lvl_w = np.linspace(width_mm[0], width_mm[1], _LEVELS)
    lvl_d = np.linspace(darkness[0], darkness[1], _LEVELS)
    segs_by_level: list[list[np.ndarray]] = [[] for _ in range(_LEVELS)]
    for r, off in zip(recs, offsets):
        if len(r) == 0:
            continue
        d = np.asarray(r.pen_down)
        cols = np.rint((r.x - x0) * px * 16).astype(np.int32)
        rows = np.rint((y0 - (r.y + off)) * px * 16).astype(np.int32)
        p = np.nan_to_num(np.asarray(r.pressure, float), nan=0.5).clip(0, 1)
        pts = np.stack([cols, rows], axis=1)
        i = np.flatnonzero(d[:-1] & d[1:])
        # isolated pen-down samples become dots
        iso = np.flatnonzero(d & ~np.r_[False, d[:-1]] & ~np.r_[d[1:], False])
        a_idx = np.r_[i, iso]
        b_idx = np.r_[i + 1, iso]
        pm = 0.5 * (p[a_idx] + p[b_idx])
        lv = np.minimum((pm * _LEVELS).astype(int), _LEVELS - 1)
        seg = np.stack([pts[a_idx], pts[b_idx]], axis=1)
        for k in np.unique(lv):
            segs_by_level[k].append(seg[lv == k])
    for k in range(_LEVELS):
        if not segs_by_level[k]:
            continue
        seg = np.concatenate(segs_by_level[k])
        thick = _thickness(lvl_w[k] * px)
        cv2.polylines(absorb, list(seg), False, int(round(255 * lvl_d[k])), thick, cv2.LINE_AA, shift=4)
    out = paper * (1.0 - absorb.astype(np.float32) / 255.0)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def degrade(
    page: np.ndarray,
    *,
    rotate_deg: float = 0.0,
    noise_sd: float = 0.0,
    uneven_light: float = 0.0,
    blur_px: float = 0.0,
    seed: int | None = None,
) -> np.ndarray:
    """Make a clean page look scanned: rotation, uneven light, blur and grey noise.

    Parameters
    ----------
    page : ndarray of uint8
    rotate_deg : float
        Counter-clockwise rotation (canvas enlarged, white fill).
    noise_sd : float
        Gaussian noise, grey levels.
    uneven_light : float
        0..1: the darkest corner receives this fraction less light (smooth gradient).
    blur_px : float
        Gaussian blur sigma in pixels.
    seed : int, optional

    Examples
    --------
    >>> p = np.full((100, 100), 240, np.uint8)
    >>> q = degrade(p, uneven_light=0.4, noise_sd=3, seed=1)
    >>> q.shape, int(q[:5, :5].mean()) > int(q[-5:, -5:].mean()) + 50
    ((100, 100), True)
    """
    import cv2

    from ..scan.deskew import rotate  # the scan's own rotation, so a page and its deskew agree

    out = np.asarray(page, np.uint8)
    if rotate_deg:
        out = rotate(out, rotate_deg, fill=int(np.percentile(out, 95)))
    f = out.astype(np.float32)
    if blur_px > 0:
        f = cv2.GaussianBlur(f, (0, 0), blur_px)
    if uneven_light > 0:
        h, w = f.shape
        yy = np.linspace(0, 1, h, dtype=np.float32)[:, None]
        xx = np.linspace(0, 1, w, dtype=np.float32)[None, :]
        field = 1.0 - uneven_light * (0.6 * xx + 0.4 * yy) ** 1.5 / 1.0
        f *= field
    if noise_sd > 0:
        rng = np.random.default_rng(seed)
        f += rng.normal(0.0, noise_sd, f.shape).astype(np.float32)
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)
