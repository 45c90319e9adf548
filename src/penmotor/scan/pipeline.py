"""The whole scan pipeline: :func:`analyze_page` (every stage kept) and :func:`score_page` (metrics)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import FormatError, ParameterError
from .io import MAX_PIXELS, Page, as_page

__all__ = ["PageAnalysis", "analyze_page", "score_page", "METRIC_NAMES"]


@dataclass
class PageAnalysis:
    """Every intermediate of the scan pipeline, for inspection and plotting.

    Attributes
    ----------
    page : Page
        Input grey page and dpi.
    method : str
        Binarisation used ("otsu" or "sauvola").
    ink : ndarray of bool
        Ink mask of the input page.
    skew_deg : float
        Estimated page skew (counter-clockwise positive); the page was rotated by ``-skew_deg``.
    level : ndarray of bool
        Levelled ink mask (before ruled-line removal).
    ruled : RuledLines
        Detected ruled lines (on the levelled page).
    clean : ndarray of bool
        Levelled ink with ruled lines removed and crossed strokes repaired.
    seg : Segmentation
        Skeleton, components, text lines, glyph clusters.
    lines : list of dict
        Per-line measures (:func:`penmotor.scan.metrics.line_measures`).
    metrics : dict of str to float
        The page's metrics (registry names).
    """

    page: Page
    method: str
    ink: np.ndarray
    skew_deg: float
    level: np.ndarray
    ruled: Any
    clean: np.ndarray
    seg: Any
    lines: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)

    def overlay(self) -> np.ndarray:
        """RGB image of the levelled page: ink grey, ruled lines blue, centre line red, baselines green.

        Examples
        --------
        >>> a = analyze_page(_demo_page(), dpi=200)
        >>> a.overlay().shape[2]
        3
        """
        h, w = self.clean.shape
        img = np.full((h, w, 3), 255, np.uint8)
        img[self.clean] = (170, 170, 170)
        img[self.ruled.mask & ~self.clean] = (150, 180, 255)
        img[self.seg.skel] = (220, 30, 30)
        mm = 25.4 / self.page.dpi
        for ln in self.lines:
            b = ln.get("baseline", math.nan)
            if np.isfinite(b):
                r = int(round(-b / mm))
                if 0 <= r < h:
                    img[r, :] = (40, 160, 40)
        return img


def _demo_page() -> np.ndarray:
    """A tiny synthetic page (used by doctests)."""
    import cv2

    g = np.full((240, 600), 245, np.uint8)
    for i, x in enumerate(range(40, 560, 40)):
        if i % 4 == 3:
            continue
        cv2.ellipse(g, (x, 150), (12, 16), 0, 0, 360, 20, 3)
        if i % 2:
            cv2.line(g, (x + 12, 166), (x + 12, 100), 20, 3)
    return g


def _reduce(ink: np.ndarray, dpi: float) -> np.ndarray:
    """The ink mask at ~100 dpi (0-255 coverage), shared by deskew and the short-text check."""
    import cv2

    f = max(1, int(round(dpi / 100.0)))
    h, w = ink.shape
    m = ink.view(np.uint8) * np.uint8(255)
    return cv2.resize(m, (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA) if f > 1 else m


def _short_text(small: np.ndarray) -> bool:
    """Whether the ink is only a few letters wide (its width < 6 typical component heights).

    A lone short word does not show the page angle -- its slant fools the projection
    profile -- so such pages are not levelled (as online, where only ink at least three
    times wider than tall is rotated). Measured at ~100 dpi, cheaply.
    """
    import cv2

    small = small > 0
    u8 = small.view(np.uint8)
    # statistics with 16-bit labels are several times faster (same stats); they fit when there are
    # fewer ink pixels than 16-bit labels, else plain labelling first tells whether they do
    n = np.count_nonzero(u8)
    if n > np.iinfo(np.uint16).max:
        n = cv2.connectedComponents(u8, connectivity=8)[0]
    ltype = cv2.CV_16U if n <= np.iinfo(np.uint16).max else cv2.CV_32S
    n, _, st, _ = cv2.connectedComponentsWithStats(u8, connectivity=8, ltype=ltype)
    keep = st[1:, 4] >= 4
    if not keep.any():
        return True
    hts = st[1:, 3][keep]
    cols = np.flatnonzero(small.any(axis=0))
    return bool((cols[-1] - cols[0]) < 6 * float(np.median(hts)))


def analyze_page(
    image: Any,
    *,
    dpi: float | None = None,
    method: str = "auto",
    deskew: bool = True,
    remove_lines: bool = True,
    max_pixels: int = MAX_PIXELS,
    force_dpi: float | None = None,
) -> PageAnalysis:
    """Run the scan pipeline on one page and keep every stage.

    Parameters
    ----------
    image : ndarray, Page, str or Path
        Grey/colour array (then `dpi` is required), a :class:`~penmotor.scan.io.Page`, or a
        file (its first page).
    dpi : float, optional
        Resolution of an array, or of a file that does not state one.
    method : {"auto", "otsu", "sauvola"}
        Binarisation (see :func:`penmotor.scan.binarize.binarize`).
    deskew : bool
        Estimate and undo page rotation (not for a lone short word, which does not show
        the page angle).
    remove_lines : bool
        Detect and remove printed ruled lines.
    max_pixels : int
        Refuse larger pages.
    force_dpi : float, optional
        Resolution to use whatever the file or Page states.

    Raises
    ------
    FormatError
        Blank page, all-black page, unreadable or oversized file.
    UnitsError
        Resolution unknown.

    Examples
    --------
    >>> a = analyze_page(_demo_page(), dpi=200)
    >>> a.method, len(a.lines), round(a.metrics["x_height"], 1)
    ('otsu', 1, 4.1)
    """
    import cv2

    from .binarize import binarize, check_ink
    from .deskew import estimate_skew, rotate, rotation_matrix
    from .lines import RuledLines, detect_ruled_lines, remove_ruled_lines
    from .metrics import ink_darkness, line_measures, page_metrics, stroke_width_mm
    from .segment import turn_flags, refine_turns, segment_page
    from ..letters import sizing_from_paths
    from .trace import centre_line_paths

    page = as_page(image, dpi=dpi, force_dpi=force_dpi, max_pixels=max_pixels)
    grey = page.grey
    d = page.dpi
    if method == "auto":
        from .binarize import background_unevenness

        method = "sauvola" if background_unevenness(grey) > 25.0 else "otsu"
    ink = binarize(grey, dpi=d, method=method)
    try:
        check_ink(ink, grey)
    except FormatError as exc:
        raise FormatError(f"page {page.index + 1}: {exc.reason}", path=page.source, line=page.index + 1,
                          field="pixels") from None
    small = _reduce(ink, d) if deskew else None
    skew = estimate_skew(ink, dpi=d, reduced=small) if deskew else 0.0
    if skew and _short_text(small):
        skew = 0.0
    level = rotate(ink, -skew) if abs(skew) >= 0.05 else ink
    ruled = detect_ruled_lines(level, dpi=d) if remove_lines else RuledLines(
        np.zeros_like(level), np.zeros(0), np.zeros(0))
    if ruled.count:
        if level is ink:
            level_grey: Any = grey
        else:  # resample the grey page only in the strips around the lines
            mat_l, shape_l = rotation_matrix(grey.shape, -skew)

            def level_grey(lo: int, hi: int) -> np.ndarray:
                m_ = mat_l.copy()
                m_[1, 2] -= lo
                return cv2.warpAffine(grey, m_, (shape_l[1], hi - lo), flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_CONSTANT, borderValue=255)
        clean = remove_ruled_lines(level, ruled, level_grey)
    else:
        clean = level
    if not clean.any():
        raise FormatError(f"page {page.index + 1}: no handwriting found (only ruled lines)",
                          path=page.source, line=page.index + 1, field="pixels")
    seg = segment_page(clean, dpi=d)
    width_mm = stroke_width_mm(seg.dist, np.ones(seg.dist.size, bool), dpi=d)  # distance on the centre line
    width_px = width_mm * d / 25.4 if np.isfinite(width_mm) else 1.0
    # pen-centre heights of all turning points at once (the page's stroke width is shared)
    t_all, b_all = turn_flags(seg.rows, seg.cols, seg.skel)  # = turning_points(seg.skel, ...) at these pixels
    turn = np.flatnonzero(t_all | b_all)
    rf_all = seg.rows.astype(float)
    flat_all = np.zeros(seg.rows.size, bool)
    rf_all[turn], flat_all[turn] = refine_turns(clean, seg.rows[turn], seg.cols[turn], t_all[turn], width_px,
                                                return_flat=True)
    lines = []
    for ln in seg.lines:
        i = ln["idx"]
        meas = line_measures(rf_all[i], ln["cols"], t_all[i], b_all[i], ln["cluster"], ln["cl_left"],
                             ln["cl_right"], dpi=d, rule_rows=ruled.rows, comp=ln["comp"], flat=flat_all[i])
        # sizes by the online estimator itself (geometry only), on the line's traced centre line
        # (letters = the scan's glyph clusters); the turning-point estimates stay as *_contour
        # and stand in where the online estimator finds no x-zone
        meas["x_height_contour"] = meas["x_height"]
        if ln["rows"].size >= 10:
            cp = centre_line_paths(ln["rows"], ln["cols"], dpi=d, width_px=width_px, cluster=ln["cluster"],
                                   ink=clean)
            sz = sizing_from_paths(cp.paths, slant_deg=meas["slant"], letters=cp.letters, angle_deg=0.0)
            if sz.layout.ok:
                meas.update(x_height=sz.x_height, ascender_height=sz.ascender_height,
                            descender_height=sz.descender_height, letter_heights=sz.letter_heights,
                            letter_offsets=sz.letter_offsets, letter_x=sz.letter_u, sizing=sz)
        lines.append(meas)
    m = page_metrics(lines, rule_spacing_mm=ruled.spacing_px() * 25.4 / d)
    m["stroke_width"] = width_mm
    # ink darkness on the original grey page: map centre-line pixels back through the rotation
    rs, cs = seg.rows, seg.cols
    if abs(skew) >= 0.05:
        mat, _ = rotation_matrix(grey.shape, -skew)
        inv = cv2.invertAffineTransform(mat)
        oc = inv[0, 0] * cs + inv[0, 1] * rs + inv[0, 2]
        orow = inv[1, 0] * cs + inv[1, 1] * rs + inv[1, 2]
        rs = np.clip(np.rint(orow).astype(np.int64), 0, grey.shape[0] - 1)
        cs = np.clip(np.rint(oc).astype(np.int64), 0, grey.shape[1] - 1)
    m["ink_darkness"] = ink_darkness(grey, rs, cs)
    return PageAnalysis(page, method, ink, skew, level, ruled, clean, seg, lines, m)


#: Names :func:`score_page` returns (registry names).
METRIC_NAMES: tuple[str, ...] = ()


def score_page(image: Any, *, dpi: float | None = None, **kwargs: Any) -> dict[str, float]:
    """Metrics of one scanned page, under the registry's names (see :data:`penmotor.FEATURES`).

    Parameters
    ----------
    image : ndarray, Page, str or Path
        The page (first page of a file).
    dpi : float, optional
        Resolution; required for arrays and for files without dpi metadata.
    **kwargs
        Passed to :func:`analyze_page` (``method``, ``deskew``, ``remove_lines``, ``max_pixels``).

    Returns
    -------
    dict of str to float
        ``x_height``, ``word_spacing``, ``slant``, ... in the registry's units; NaN when
        undefined for this page (e.g. spacing on a single word).

    Examples
    --------
    >>> m = score_page(_demo_page(), dpi=200)
    >>> round(m["x_height"], 1), round(m["stroke_width"], 1), abs(round(m["slant"], 1))
    (4.1, 0.6, 0.0)
    """
    unknown = set(kwargs) - {"method", "deskew", "remove_lines", "max_pixels"}
    if unknown:
        raise ParameterError(f"score_page: unknown keyword(s) {sorted(unknown)}")
    return dict(analyze_page(image, dpi=dpi, **kwargs).metrics)
