"""Segment a levelled ink mask: centre line (skeleton), components, text lines, glyph clusters, words.

Everything geometric downstream is measured on the skeleton -- the pen's centre line -- so
that stroke width does not inflate heights and gaps (as online, where the pen tip is a point).

Conventions: arrays are (row, col) with rows growing *down*; the metrics convert to mm
with y up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


__all__ = ["skeleton", "skeleton_pixels", "components", "text_lines", "clusters", "turning_points",
           "Segmentation", "segment_page", "refine_turns", "turn_flags"]


def skeleton(ink: np.ndarray) -> np.ndarray:
    """One-pixel centre line of the ink (scikit-image skeletonize, band by band).

    Examples
    --------
    >>> m = np.zeros((9, 20), bool); m[3:6, 2:18] = True
    >>> s = skeleton(m)
    >>> bool(s[4, 5:15].all()), int(s.sum()) < int(m.sum()) // 2
    (True, True)
    """
    return skeleton_pixels(ink)[0]


def _bands(ink: np.ndarray, min_gap_px: int) -> list[tuple[int, int, int, int]]:
    """Row bands of ink separated by at least `min_gap_px` blank rows: (r0, r1, c0, c1) crops with a blank border."""
    h, w = ink.shape
    if ink.dtype == bool and ink.size:
        import cv2

        # rows holding ink: row counts by cv2.reduce (about 2x faster than ink.any(axis=1) on a page)
        rows = np.flatnonzero(cv2.reduce(np.ascontiguousarray(ink).view(np.uint8), 1, cv2.REDUCE_SUM,
                                         dtype=cv2.CV_32S).ravel())
    else:
        rows = np.flatnonzero(ink.any(axis=1))
    if rows.size == 0:
        return []
    split = np.flatnonzero(np.diff(rows) > min_gap_px)
    out = []
    for a, b in zip(rows[np.r_[0, split + 1]], rows[np.r_[split, rows.size - 1]] + 1):  # loop over bands
        r0, r1 = max(int(a) - 1, 0), min(int(b) + 1, h)
        cols = np.flatnonzero(ink[r0:r1].any(axis=0))
        out.append((r0, r1, max(int(cols[0]) - 1, 0), min(int(cols[-1]) + 2, w)))
    return out


def _thin_band(band: np.ndarray, skeletonize: Any) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """``skeletonize(band)``, thinned piece by piece: column runs of ink split by blank columns.

    Thinning looks only at 3x3 neighbourhoods, so pieces of ink with a blank column between
    them thin independently (identical result); each piece is cropped to its own rows, so
    the thinning passes scan far less paper (the gaps between words, the rows above short
    letters). Also returns each piece's crop with a blank margin of one pixel inside the
    band, ``(r0, r1, c0, c1)`` (none when the band is one piece).

    Examples
    --------
    >>> from skimage.morphology import skeletonize
    >>> band = np.random.default_rng(0).random((30, 80)) < 0.4
    >>> band[:, [0, 10, 11, 40, 79]] = False
    >>> sk, boxes = _thin_band(band, skeletonize)
    >>> bool((sk == skeletonize(band)).all()), len(boxes)
    (True, 3)
    """
    cols = band.any(axis=0)
    d = np.diff(np.r_[0, cols.view(np.int8), 0])
    st, en = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    if st.size <= 1:
        return skeletonize(band), []
    # rows holding ink in each piece, all pieces at once (the blank columns after a piece add nothing)
    occ = np.maximum.reduceat(band.view(np.uint8), st, axis=1)
    top = occ.argmax(axis=0)
    bottom = occ.shape[0] - occ[::-1].argmax(axis=0)
    sk = np.zeros(band.shape, bool)
    h, w = band.shape
    boxes = []
    for a, b, lo, hi in zip(st.tolist(), en.tolist(), top.tolist(), bottom.tolist()):  # loop over pieces (words)
        sk[lo:hi, a:b] = skeletonize(np.ascontiguousarray(band[lo:hi, a:b]))
        boxes.append((max(lo - 1, 0), min(hi + 1, h), max(a - 1, 0), min(b + 1, w)))
    return sk, boxes


def skeleton_pixels(ink: np.ndarray, *, min_gap_px: int = 16, details: bool = False) -> Any:
    """Centre line of the ink and its pixels' rows and columns (row-major order).

    Thinning only looks at 3x3 neighbourhoods, so horizontal bands of ink separated by
    blank rows are thinned independently, each cropped to its own columns: the text
    lines of a page, not the blank space between them (about half the work on a page).
    Bands closer than `min_gap_px` are thinned together (fewer calls; same result).
    With ``details=True`` also returns, computed on the same crops, the ink component
    (8-connected; labels 1, 2, ... numbered band by band) of each centre-line pixel, the
    number of labels (with 0) and the Euclidean distance to the paper at each centre-line
    pixel (the stroke's half width).

    Examples
    --------
    >>> m = np.zeros((60, 20), bool); m[3:6, 2:18] = True; m[40:43, 5:15] = True
    >>> s, r, c = skeleton_pixels(m)
    >>> bool((((r >= 3) & (r < 6)) | ((r >= 40) & (r < 43))).all()), bool(s[r, c].all()), int(s.sum()) == r.size
    (True, True, True)
    >>> s, r, c, lab, n, dist = skeleton_pixels(m, details=True)
    >>> n, sorted(set(lab.tolist())), float(dist.max())
    (3, [1, 2], 2.0)
    """
    import cv2
    from skimage.morphology import skeletonize

    out = np.zeros(ink.shape, bool)
    rr, cc, dd = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)], [np.zeros(0, np.float32)]
    ll = [np.zeros(0, np.int64)]
    n_lab = 1
    for r0, r1, c0, c1 in _bands(ink, min_gap_px):  # loop over bands (text lines)
        band = np.ascontiguousarray(ink[r0:r1, c0:c1])
        sk, boxes = _thin_band(band, skeletonize)
        out[r0:r1, c0:c1] = sk
        flat = np.flatnonzero(sk)
        r_, c_ = np.divmod(flat, sk.shape[1])  # = np.nonzero(sk), 2-3x faster
        rr.append(r_ + r0)
        cc.append(c_ + c0)
        if details:
            u8 = band.view(np.uint8)
            n, lab = cv2.connectedComponents(u8, connectivity=8)
            # (flat gathers: several times faster than [r_, c_])
            ll.append(np.take(lab, flat).astype(np.int64) + (n_lab - 1))
            n_lab += n - 1
            if boxes:
                # distance to the paper, piece by piece (a third of the band's area): each
                # piece's crop keeps a blank margin, and the chamfer distance to a zero
                # beyond that margin is never shorter than to the margin, so every ink
                # pixel's distance is the band's (outside the image counts as far, as in the band)
                dist = np.zeros(band.shape, np.float32)
                for p0, p1, q0, q1 in boxes:  # loop over pieces (words): rows p0:p1, columns q0:q1
                    dist[p0:p1, q0:q1] = cv2.distanceTransform(np.ascontiguousarray(u8[p0:p1, q0:q1]), cv2.DIST_L2, 5)
            else:
                dist = cv2.distanceTransform(u8, cv2.DIST_L2, 5)
            dd.append(np.take(dist, flat))
    r, c = np.concatenate(rr).astype(np.int64), np.concatenate(cc).astype(np.int64)
    if details:
        return out, r, c, np.concatenate(ll), n_lab, np.concatenate(dd)
    return out, r, c


def components(ink: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected components of the ink: label image (0 = background) and number of labels.

    (``cv2.connectedComponents``; per-component extents are computed on the centre line by
    :func:`segment_page`, several times cheaper than OpenCV's pixel statistics.)

    Examples
    --------
    >>> m = np.zeros((5, 9), bool); m[1:3, 1:3] = True; m[2:4, 5:8] = True
    >>> lab, n = components(m)
    >>> n, np.unique(lab[m]).tolist()
    (3, [1, 2])
    """
    import cv2

    n, lab = cv2.connectedComponents(ink.view(np.uint8) if ink.dtype == bool else (ink > 0).astype(np.uint8),
                                     connectivity=8)
    return lab, int(n)


def text_lines(skel: np.ndarray, *, dpi: float, min_line_gap_mm: float = 4.0,
               letter_px: float | None = None) -> np.ndarray:
    """Row boundaries between text lines, from valleys of the smoothed row profile.

    The profile of the centre line is smoothed over ~1 mm (or a quarter of the typical
    letter height `letter_px`); its peaks (at least `min_line_gap_mm`, or 1.2 letter
    heights, apart and 15 % of the highest) are line cores, and each boundary is the
    profile minimum between two cores -- ascenders and descenders dip into, but do not
    fill, the valley.

    Returns
    -------
    ndarray of int
        ``cuts`` of length n_lines + 1; line i spans rows ``cuts[i]:cuts[i+1]``.

    Examples
    --------
    >>> s = np.zeros((300, 100), bool); s[50, 10:90] = s[60, 10:90] = s[200, 10:90] = True
    >>> text_lines(s, dpi=100).tolist()
    [0, 130, 300]
    """
    from scipy.ndimage import gaussian_filter1d
    from scipy.signal import find_peaks

    h = skel.shape[0]
    if skel.dtype == bool and skel.ndim == 2 and skel.size:
        import cv2

        # row counts by cv2.reduce (= skel.sum(axis=1), several times faster on a page)
        prof = cv2.reduce(np.ascontiguousarray(skel).view(np.uint8), 1, cv2.REDUCE_SUM,
                          dtype=cv2.CV_32S).ravel().astype(np.float64)
    else:
        prof = skel.sum(axis=1).astype(np.float64)
    if prof.sum() == 0:
        return np.array([0, h])
    px = dpi / 25.4
    sigma = max(1.0, 1.0 * px) if letter_px is None else max(1.0, 0.25 * letter_px)
    gap = min_line_gap_mm * px if letter_px is None else max(min_line_gap_mm * px, 1.2 * letter_px)
    sm = gaussian_filter1d(prof, sigma)
    peaks, _ = find_peaks(np.r_[0.0, sm, 0.0], height=0.15 * sm.max(), distance=max(1, int(gap)))
    peaks = peaks - 1
    # merge peaks not separated by a real valley (a line's core and its ascender band)
    keep = [int(peaks[0])]
    for p in peaks[1:]:
        valley = sm[keep[-1]:p + 1].min()
        if valley > 0.35 * min(sm[keep[-1]], sm[p]):
            if sm[p] > sm[keep[-1]]:
                keep[-1] = int(p)
        else:
            keep.append(int(p))
    cuts = [0]
    for a, b in zip(keep[:-1], keep[1:]):
        seg = sm[a:b + 1]
        lo = np.flatnonzero(seg <= seg.min() + 1e-9)
        cuts.append(int(a + lo[len(lo) // 2]))
    cuts.append(h)
    return np.asarray(cuts)


def turning_points(skel: np.ndarray, rows: np.ndarray | None = None,
                   cols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Local tops and bottoms of the centre line (boolean images, one pixel per turn).

    The skeleton is cut into horizontal runs (consecutive pixels of a row). A run is a
    *top* when no skeleton pixel touches it from above (diagonals included) but one does
    from below -- the top of an ``o``, an ascender tip; a *bottom* is the mirror image.
    Each turn is marked at its run's middle pixel. They play the role of the online pen
    trace's vertical-velocity zero crossings.

    Examples
    --------
    >>> s = np.zeros((7, 7), bool); s[1:6, 3] = True
    >>> top, bot = turning_points(s)
    >>> np.argwhere(top).tolist(), np.argwhere(bot).tolist()
    ([[1, 3]], [[5, 3]])
    """
    if rows is None or cols is None:
        r, c = np.nonzero(skel)
    else:
        r, c = np.asarray(rows), np.asarray(cols)
    top = np.zeros_like(skel)
    bot = np.zeros_like(skel)
    t, b = turn_flags(r, c)
    top[r[t], c[t]] = True
    bot[r[b], c[b]] = True
    return top, bot


def turn_flags(rows: np.ndarray, cols: np.ndarray, skel: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """:func:`turning_points` as flags per centre-line pixel (row-major, unique pixels), not images.

    The neighbour lookups use `skel`, the image holding exactly these pixels (the
    segmentation's centre line), when given and no pixel touches its edge; otherwise a
    padded crop around the pixels alone. Either way no full-page image is padded or
    indexed (the pipeline needs the flags only at these pixels).

    Examples
    --------
    >>> s = np.zeros((7, 7), bool); s[1:6, 3] = True
    >>> r, c = np.nonzero(s)
    >>> t, b = turn_flags(r, c)
    >>> np.flatnonzero(t).tolist(), np.flatnonzero(b).tolist()
    ([0], [4])
    >>> [np.flatnonzero(f).tolist() for f in turn_flags(r, c, s)]
    [[0], [4]]
    """
    r, c = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    t_px = np.zeros(r.size, bool)
    b_px = np.zeros(r.size, bool)
    if r.size == 0:
        return t_px, b_px
    r0, c0 = int(r.min()), int(c.min())
    if (skel is not None and skel.flags.c_contiguous and r0 >= 1 and c0 >= 1 and int(r.max()) < skel.shape[0] - 1
            and int(c.max()) < skel.shape[1] - 1):
        p, at = skel, r * skel.shape[1] + c
    else:
        p = np.zeros((int(r.max()) - r0 + 3, int(c.max()) - c0 + 3), bool)
        at = (r - r0 + 1) * p.shape[1] + (c - c0 + 1)
        p.ravel()[at] = True
    w = p.shape[1]
    flat = p.ravel()
    up = flat[at - w - 1] | flat[at - w] | flat[at - w + 1]
    dn = flat[at + w - 1] | flat[at + w] | flat[at + w + 1]
    start = np.r_[True, (r[1:] != r[:-1]) | (c[1:] != c[:-1] + 1)]
    idx = np.flatnonzero(start)
    any_up = np.logical_or.reduceat(up, idx)
    any_dn = np.logical_or.reduceat(dn, idx)
    ends = np.r_[idx[1:], r.size]
    mid = (idx + ends - 1) // 2
    t_px[mid[~any_up & any_dn]] = True
    b_px[mid[any_up & ~any_dn]] = True
    return t_px, b_px


def refine_turns(ink: np.ndarray, rows: np.ndarray, cols: np.ndarray, up: np.ndarray,
                 width_px: float, *, return_flat: bool = False) -> Any:
    """Sub-pixel pen-centre rows of turning points, from the ink edges in their column.

    For each top (``up`` True) or bottom, the ink run through it in its column is
    followed up and down (at most ``2 * width_px + 2`` px each way). The pen centre lies
    half a stroke width inside the outer edge, the stroke width being the run's own
    length when the stroke is horizontal there (tops of arches, bottoms of bowls) and
    otherwise (the end of a vertical stem, where thinning also shortens the skeleton) the
    median run length of the page's horizontal turns. Binarisation that thickens or thins
    the ink moves both edges and cancels. With ``return_flat=True`` also returns which
    turns were horizontal ("flat": measured from both edges, the more reliable kind).

    Examples
    --------
    >>> m = np.zeros((30, 5), bool); m[5:25, 1:4] = True      # a 3 px wide stem, rows 5..24
    >>> refine_turns(m, np.array([7]), np.array([2]), np.array([True]), width_px=3.0).tolist()
    [6.0]
    >>> m = np.zeros((30, 30), bool); m[10:14, 2:28] = True     # a 4 px thick horizontal stroke
    >>> refine_turns(m, np.array([12, 11]), np.array([15, 5]), np.array([True, False]), 3.0).tolist()
    [11.5, 11.5]
    >>> m = np.zeros((6, 4), bool); m[0:3, 1:4] = True          # cut by the page's top and right edges
    >>> refine_turns(m, np.array([0, 2]), np.array([3, 3]), np.array([True, False]), width_px=2.0).tolist()
    [1.0, 1.0]
    """
    h, wdt = ink.shape
    n = rows.size
    if n == 0:
        return (np.zeros(0), np.zeros(0, bool)) if return_flat else np.zeros(0)
    lim = int(np.ceil(2 * width_px)) + 2
    # lookups by flat index (np.take, several times faster than 2-D indexing); an index off
    # the page is clipped, and its value masked by the row test
    ink_flat = np.ascontiguousarray(ink).ravel()
    at = np.asarray(rows, np.int64) * wdt + cols
    k_up = np.zeros(n)
    k_dn = np.zeros(n)
    a_up = np.ones(n, bool)
    a_dn = np.ones(n, bool)
    for j in range(1, lim + 1):  # a few pixels, vectorised over points
        a_up &= (rows - j >= 0) & ink_flat.take(at - j * wdt, mode="clip")
        a_dn &= (rows + j < h) & ink_flat.take(at + j * wdt, mode="clip")
        k_up += a_up
        k_dn += a_dn
    w_loc = k_up + k_dn + 1
    flat = (k_up < lim) & (k_dn < lim)
    w_est = float(np.median(w_loc[flat])) if flat.sum() >= 5 else float(width_px)
    # the outer edge of a pointed turn (a cusp) lies beside the skeleton's column: take the
    # farthest ink reached, from the turn's row, in the columns within half a stroke width
    reach = max(1, int(round(w_est / 2)))
    sign = np.where(up, -1, 1)
    steps = [((rows + sign * j >= 0) & (rows + sign * j < h), sign * (j * wdt)) for j in range(1, lim + 1)]
    for dc in range(-reach, reach + 1):  # a few columns, vectorised over points
        if dc == 0:
            continue
        base = np.asarray(rows, np.int64) * wdt + np.clip(cols + dc, 0, wdt - 1)
        alive = ink_flat[base]
        kk = np.zeros(n)
        for on_page, off in steps:
            alive &= on_page & ink_flat.take(base + off, mode="clip")
            kk += alive
        k_up = np.where(up, np.maximum(k_up, kk), k_up)
        k_dn = np.where(up, k_dn, np.maximum(k_dn, kk))
    half = np.where(flat, np.minimum(w_loc, 1.5 * w_est), w_est) / 2.0
    centre = np.where(up, rows - k_up - 0.5 + half, rows + k_dn + 0.5 - half)
    out = np.where(np.abs(centre - rows) > lim, rows.astype(float), centre)
    return (out, flat) if return_flat else out


def clusters(left: np.ndarray, right: np.ndarray, *, overlap_px: float = 0.0) -> np.ndarray:
    """Group horizontally overlapping boxes (a letter and its dot, a ``t`` and its bar).

    Parameters
    ----------
    left, right : ndarray
        Box extents (inclusive) of items already sorted by `left`.
    overlap_px : float
        Boxes closer than this (or overlapping) join the same cluster.

    Returns
    -------
    ndarray of int
        Cluster id per item (0, 1, 2, ... left to right).

    Examples
    --------
    >>> clusters(np.array([0, 3, 10, 30]), np.array([5, 6, 20, 40])).tolist()
    [0, 0, 1, 2]
    """
    if left.size == 0:
        return np.zeros(0, int)
    run_right = np.maximum.accumulate(right)
    new = np.r_[True, left[1:] > run_right[:-1] + overlap_px]
    return np.cumsum(new) - 1


@dataclass
class Segmentation:
    """Result of :func:`segment_page` (all in pixels of the levelled page).

    Attributes
    ----------
    skel : ndarray of bool
        Centre line.
    labels : ndarray of int
        Ink component (8-connected) of each centre-line pixel (same order as `rows`).
    stats : ndarray
        (left, top, width, height, pixels) of each label's centre line.
    cuts : ndarray
        Text-line row boundaries.
    lines : list of dict
        Per text line: ``rows`` / ``cols`` of its skeleton pixels (``idx``: their positions
        in :attr:`rows` / :attr:`cols`), ``comp`` (component label per skeleton pixel), ``cluster`` (glyph-cluster id per pixel), ``cl_left`` /
        ``cl_right`` (cluster extents on the centre line).
    rows, cols : ndarray of int
        Centre-line pixels (row-major order).
    dist : ndarray of float32
        Distance from each centre-line pixel to the paper (half the local stroke width).
    """

    skel: np.ndarray
    labels: np.ndarray
    stats: np.ndarray
    cuts: np.ndarray
    lines: list[dict] = field(default_factory=list)
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    cols: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    dist: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))


def segment_page(ink: np.ndarray, *, dpi: float, min_component_mm: float = 0.25) -> Segmentation:
    """Skeleton, components, text lines and glyph clusters of a levelled ink mask.

    Components smaller than `min_component_mm` across (specks of noise) are dropped.
    A component belongs to the text line holding most of its centre line.

    Examples
    --------
    >>> m = np.zeros((100, 200), bool); m[40:43, 10:60] = True; m[40:43, 90:150] = True
    >>> seg = segment_page(m, dpi=100)
    >>> len(seg.lines), seg.lines[0]["cl_left"].tolist()
    (1, [10, 90])
    """
    px = dpi / 25.4
    skel, r, c, comp, n_lab, dist = skeleton_pixels(ink, details=True)
    # extents of each component's centre line: (left, top, width, height, pixels)
    big = np.iinfo(np.int64).max
    left, top = np.full(n_lab, big), np.full(n_lab, big)
    right, bottom = np.full(n_lab, -1), np.full(n_lab, -1)
    np.minimum.at(left, comp, c)
    np.minimum.at(top, comp, r)
    np.maximum.at(right, comp, c)
    np.maximum.at(bottom, comp, r)
    npx = np.bincount(comp, minlength=n_lab)
    present = npx > 0
    wdt = np.where(present, right - left + 1, 0)
    hgt = np.where(present, bottom - top + 1, 0)
    stats = np.stack([np.where(present, left, 0), np.where(present, top, 0), wdt, hgt, npx], axis=1)
    small = np.maximum(wdt, hgt) < max(2.0, min_component_mm * px)
    small[0] = True
    keep = ~small[comp]
    # skel holds exactly the pixels (r, c): clear the dropped ones in place (a fresh page
    # array would cost its allocation and page faults)
    drop = ~keep
    skel[r[drop], c[drop]] = False
    r, c, comp, dist = r[keep], c[keep], comp[keep], dist[keep]
    hts = hgt[~small]
    cuts = text_lines(skel, dpi=dpi, letter_px=float(np.median(hts)) if hts.size else None)
    # each component goes to the line that holds the median row of its centre line
    # (16-bit keys, when the labels fit, sort by radix: the same stable order, several times faster)
    order = np.argsort(comp.astype(np.uint16) if n_lab <= 1 << 16 else comp, kind="stable")
    cs, rs = comp[order], r[order]
    starts = np.searchsorted(cs, np.arange(n_lab))
    ends = np.searchsorted(cs, np.arange(n_lab), side="right")
    has = ends > starts
    med_row = np.zeros(n_lab)
    med_row[has] = rs[(starts[has] + ends[has]) // 2]  # rows are sorted within a label by nonzero order
    line_of = np.clip(np.searchsorted(cuts, med_row, side="right") - 1, 0, len(cuts) - 2)
    pix_line = line_of[comp]
    lines = []
    for i in range(len(cuts) - 1):
        sel = pix_line == i
        if np.count_nonzero(sel) < max(10, 0.02 * r.size):  # specks or a scrap of a ruled line
            continue
        lr, lc, lcomp = r[sel], c[sel], comp[sel]
        labs = np.flatnonzero(np.bincount(lcomp, minlength=n_lab))  # = np.unique(lcomp), several times faster
        # centre-line extents per component
        left = np.full(n_lab, np.iinfo(np.int64).max)
        right = np.full(n_lab, -1)
        np.minimum.at(left, lcomp, lc)
        np.maximum.at(right, lcomp, lc)
        order_l = labs[np.argsort(left[labs], kind="stable")]
        cl_ids = clusters(left[order_l], right[order_l])
        cluster_of = np.zeros(n_lab, int)
        cluster_of[order_l] = cl_ids
        n_cl = int(cl_ids.max()) + 1
        cl_left = np.full(n_cl, np.iinfo(np.int64).max)
        cl_right = np.full(n_cl, -1)
        np.minimum.at(cl_left, cl_ids, left[order_l])
        np.maximum.at(cl_right, cl_ids, right[order_l])
        lines.append({"rows": lr, "cols": lc, "comp": lcomp, "cluster": cluster_of[lcomp], "idx": np.flatnonzero(sel),
                      "cl_left": cl_left, "cl_right": cl_right, "band": (int(cuts[i]), int(cuts[i + 1]))})
    return Segmentation(skel, comp, stats, cuts, lines, r, c, dist)
