"""Trace the centre line (skeleton) of a text line into ordered pen-like paths.

The letter-size estimator (:mod:`penmotor.letters`) finds letter tops and bottoms
as prominent extrema *along* the pen path. A scan has no path, only a skeleton; this module
turns the skeleton into one, so that the very same estimator measures both
(:func:`centre_line_paths` -> :func:`penmotor.letters.sizing_from_paths`, the
geometry-only estimator behind the online :func:`penmotor.metrics.sizing.x_height`).

Method:

1. **Walk.** ``cv2.findContours`` on the one-pixel skeleton walks around each component:
   an ordered closed path through every centre-line pixel, each branch once out and once
   back (a loop once around its outside). Duplicated extrema weigh every letter alike.
2. **Junction repair.** Junction pixels (3+ neighbours) closer than a stroke width form
   one junction (a thick crossing thins into two forks). Where strokes meet, the walk
   turns into the *next* branch, not the one the pen took:

   * arriving up one branch and leaving down another makes the junction a false letter
     top (the fork where the lead-in of a cursive ``l`` meets its loop); a false bottom is
     the mirror case. A detour up (down) the junction's rising (falling) branch and back
     is inserted, the way the pen went;
   * a branch leaving a stem sideways (within 30 degrees of horizontal) below the stem's
     upper part -- the top of the bowl of a ``b``, ``d``, ``p`` -- is where a pen retraces
     the stem and turns: a detour down the stem and back makes it the top it is online.
   * the mirror case, a branch leaving a descender stem sideways above the stem's lower
     part -- the bottom of the bowl of a ``q``, ``g``, ``y`` (a "heel") -- gets a detour up
     and back, making it the bottom it is online (:data:`HEELS`; on 80 PaHaW recordings:
     descender height 16 -> 14 %, size CV 51 -> 35 % median difference from online).
     Detours rejoin their junction a few pixels from where they left; the gap is bridged
     with straight pixel steps. A detour walks a stretch of the walk again, so the
     junctions it passes are repaired in its copy too (:data:`DETOUR_DEPTH` deep), and a
     branch longer than :data:`DETOUR_WIDTHS` stroke widths -- one that runs on through
     the rest of the word, no retrace a pen makes -- gets no detour (on 80 PaHaW
     recordings, x-height 6.5 -> 5.7 % median difference from online, sentences 10.5 ->
     8.0 %; the walks were up to 15x, now at most 4x the centre line's length).
     Nor does a branch that crosses to the other side of its junction by more than a
     stroke width before the next junction it meets: a detour down (up) follows a branch
     lying below (above) the junction, not one that only starts that way -- the lead-out
     of an ``e`` dips a little before it rises, and a "shoulder" detour down it walked the
     lead-out out and back again.
3. **Stroke ends.** Thinning stops short of a stroke's end; each tip is moved along its
   branch to half a stroke width inside the ink's edge (when the ink mask is given).
   Thinning may also fork a blunt end into two arms no longer than a stroke width: the
   shorter arm is pruned before the walk (else neither arm is long enough to be a tip,
   and the end stays a turn inside a path -- depending on where the pixel grid falls).
4. **Strokes.** The closed walk is cut at its tips (reversals at the end of a branch at
   least :data:`TIP_WIDTHS` stroke widths long, out and back within a pixel of each other
   -- a staircase corner of the skeleton is walked on one side only; shorter ones are
   thinning spurs), as a
   pen's strokes end at tips: the online estimator's prominence threshold scales with the
   stroke height. A walk with a single tip is opened there: a stroke's end is the end of
   a path, never a turn inside one (a lead-out ending at mid-height was an x-zone top).

The paths go to :func:`penmotor.letters.sizing_from_paths` as they are: no timing is
invented, and the letters are the scan's glyph clusters (passed as labels), so neither a
time-domain step nor the estimator's own letter grouping is needed.

Measured on 80 PaHaW word/sentence recordings rendered at 300 dpi
(``benchmarks/scan_vs_online.py``): the scan x-height moved from a median 15.5 % off the
online value (turning points of the centre line with a separate scan estimator) to 7.8 %
(traced paths as a fake-timed recording), 6.5 % (geometry-only paths, glyph clusters as
letters, baseline along the levelled page, heels) and 5.7 % (detours repaired and bounded);
ascender height 2.3 % (was 5.6 %). That 5.7 % is one draw of the rasterisation: the same
ink moved by 1/3 or 2/3 pixel gave 9.2 and 6.9 %. Pooled over three sub-pixel offsets at
200, 300 and 600 dpi and a thinner pen (``--offsets 3``; 960 comparisons, four sets of
offsets), the detour side rule, the opened one-tip walks and the pruned forks and
one-pixel retrace of tips took the x-height from 6.5 to 5.9 % (mean of the four sets;
6.2-6.8 -> 5.6-6.1 %) and halved the per-file change between offsets at 300 dpi (median
6.1 -> 3.9 points); at the default pen and 300 dpi alone the median is unchanged within
that noise (6.4 -> 6.5 %). On
rendered synthetic print the x-height is within 4 % of the truth (about -1 % bias).
Where they still differ: touching strokes merge on paper (a lead-out running into the next
letter makes a junction, not a pen lift), so a letter's lowest cluster of maxima can be a
junction; and a scan cannot tell a retraced stem's top from a tail's end.

No Python loop runs over pixels; loops run over components and junction visits.
"""

from __future__ import annotations

import bisect
from typing import Any, NamedTuple

import numpy as np

__all__ = ["centre_line_walks", "centre_line_paths", "TIP_WIDTHS", "JUNCTION_WIDTHS",
           "SHOULDER_SLOPE", "HEELS", "DETOUR_WIDTHS", "DETOUR_DEPTH", "CentrePaths"]

#: Junction pixels within this many stroke widths are one junction.
JUNCTION_WIDTHS = 1.0
#: A branch leaving a junction within this slope of horizontal (30 degrees), with a stem
#: above, makes the junction a shoulder (0: off).
SHOULDER_SLOPE = 0.58
#: Also repair the mirror case of a shoulder (a "heel": the bottom of a bowl joined to a
#: descender stem, as in q, g, y).
HEELS = True
#: A detour copies at most this many stroke widths of the walk (a longer "branch" runs on
#: through the rest of the word: no retrace a pen makes).
DETOUR_WIDTHS = 50.0
#: A detour's copy of the walk is repaired too, up to this many detours deep.
DETOUR_DEPTH = 3
#: A branch at least this many stroke widths long ends a stroke (shorter: a thinning spur).
TIP_WIDTHS = 4.0


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for every pair, vectorised."""
    lengths = np.asarray(lengths, np.int64)
    tot = int(lengths.sum())
    if tot == 0:
        return np.zeros(0, np.int64)
    off = np.repeat(np.asarray(starts, np.int64) - (np.cumsum(lengths) - lengths), lengths)
    return np.arange(tot, dtype=np.int64) + off


def _cyc(i: np.ndarray, k: Any, s: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Index ``k`` steps from ``i`` along closed walks starting at ``s`` with ``n`` points."""
    return s + (i - s + k) % n


def _around(v: np.ndarray, s: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`v` at each point's previous and next point along its closed walk (walks start at `s`, `n` points).

    = ``v[_cyc(i, -1, ...)]`` and ``v[_cyc(i, 1, ...)]`` for every point ``i``, by shifting
    the array and mending each walk's ends (no modulo, no gather over all points).
    """
    before = np.concatenate((v[-1:], v[:-1]))
    before[s] = v[s + n - 1]
    after = np.concatenate((v[1:], v[:1]))
    after[s + n - 1] = v[s]
    return before, after


def _contours(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The closed walks around the components of `img`: all ``(col, row)`` points and each walk's length."""
    import cv2

    contours, _ = cv2.findContours(img, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    n = np.array([len(ct) for ct in contours], np.int64)
    return np.concatenate(contours).reshape(-1, 2).astype(np.int64), n


def _fork_arms(P: np.ndarray, n: np.ndarray, arm_px: int) -> np.ndarray:
    """``(col, row)`` pixels of the shorter arm of each forked stroke end (junction excluded).

    `P` holds the closed walks of :func:`_contours`, `n` their lengths. An end branch is a
    reversal of a walk (out to the end and back the same way); its length is how far the
    walk retraces itself. Two end branches no longer than `arm_px`, walked one right after
    the other from the same junction, are the fork thinning makes of a blunt stroke end.
    """
    s0 = np.cumsum(n) - n
    key = P[:, 0] * 4_000_037 + P[:, 1]
    before, after = _around(key, s0, n)
    t = np.flatnonzero(before == after)
    w = np.searchsorted(s0, t, side="right") - 1      # walk of each reversal
    s, nn = s0[w], n[w]
    # retraced length of each reversal: its leading run of matching steps 1..arm_px + 1, all
    # steps of all reversals at once (one numpy call per step cost more than the few extra points)
    k = np.arange(1, arm_px + 2)
    tc, sc, nc = t[:, None], s[:, None], nn[:, None]
    same = key.take(_cyc(tc, -k, sc, nc)) == key.take(_cyc(tc, k, sc, nc))
    m = np.logical_and.accumulate(same, axis=1).sum(axis=1)
    # (a walk of at most four arms is one short stroke retraced end to end: no fork)
    short = (m <= arm_px) & (4 * arm_px < nn)
    # the next reversal along each walk (cyclic), and whether it leaves where this one came back
    own = np.arange(t.size)
    new_walk = s[1:] != s[:-1]
    first = np.maximum.accumulate(np.where(np.concatenate(([True], new_walk)), own, 0))
    nxt = np.where(np.concatenate((new_walk, [True])), first, own + 1)
    gap = (t[nxt] - m[nxt] - t - m) % nn
    q = np.flatnonzero(short & short[nxt] & (nxt != own) & (gap <= 2))
    drop = np.unique(np.where(m[q] <= m[nxt[q]], q, nxt[q]))
    back = _ranges(np.zeros(drop.size, np.int64), m[drop])   # 0..m-1 steps back from each end
    tt = np.repeat(drop, m[drop])
    return np.take(P, _cyc(t[tt], -back, s[tt], nn[tt]), axis=0)


def _splice(bad: list[int], up: list[bool], at_centre: list[bool], vs_l: list[int], ve_l: list[int],
            vl_l: list[int], vc_l: list[int], yv_l: list[float], ya_l: list[float], s_l: list[int],
            n_l: list[int], y: np.ndarray, nj: np.ndarray, d: int) -> list[int]:
    """Walk indices of a line's closed walks with a detour inserted at each listed junction visit.

    The detour follows the junction's shortest other departure rising (``up``) or falling
    from it, back to the junction; it is inserted at the visit's end (a false turn: the
    visit is walked again after it) or ``at_centre``, at its first junction pixel (a
    shoulder: the top is the junction itself). A departure whose stretch back to the
    junction is longer than :data:`DETOUR_WIDTHS` stroke widths (`d` pixels), or that
    crosses more than `d` pixels to the other side of the junction before the next
    junction it meets, is no retrace; the detours met inside a detour's stretch are
    inserted in its copy too.

    The visits come as plain Python lists (a few per word, so numpy's per-call cost would
    dominate): the listed visits `bad`, and for every visit its start `vs_l`, end `ve_l`
    (inclusive), junction label `vl_l`, walk `vc_l`, height `yv_l` and the height `ya_l` of
    the walk `d` points after it; `s_l`, `n_l` are the walks' starts and lengths, `y` the
    height of every walk point and `nj` the index of the next junction pixel at or after
    each point (its walk's end when none is left). A junction lies in one walk, so its
    visits are all the visits with its label. Returns the index array of all walks as runs,
    flattened: ``[start, length, start, length, ...]`` (one ``np.arange`` per piece cost more
    than the splicing itself, and a flat list of ints is the fastest to convert).
    """
    groups: dict[int, list[int]] = {}
    for i_, lab_ in enumerate(vl_l):  # loop over junction visits
        groups.setdefault(lab_, []).append(i_)
    # each walk's detours: the walk stretch a detour copies (start, stop; indices wrap at
    # the walk's end) and the runs of the junction visit(s) walked after it, by position
    inserts: dict[int, dict[int, tuple[int, int, list[int]]]] = {}
    for j, want_up, centre in zip(bad, up, at_centre):  # loop over junction visits (a few per word)
        k = groups[vl_l[j]]
        if len(k) < 2:
            continue
        s, n = s_l[vc_l[j]], n_l[vc_l[j]]
        end = s + n
        best = None
        best_size = 0
        ref = yv_l[j] + 1.0 if want_up else yv_l[j] - 1.0
        for m_, a in enumerate(k):  # the junction's other departures
            if a == j:
                continue
            ya2 = ya_l[a]
            if (ya2 > ref) if want_up else (ya2 < ref):
                b = k[(m_ + 1) % len(k)]
                stop = vs_l[b] if vs_l[b] > ve_l[a] else vs_l[b] + n
                seg_size = max(0, stop - ve_l[a] - 1)
                if seg_size > DETOUR_WIDTHS * d or (best is not None and seg_size >= best_size):
                    continue
                # a branch walked up (down) and back lies above (below) its junction, up to
                # the next junction it meets: one crossing more than a stroke width to the
                # other side is no retrace
                lo = ve_l[a] + 1
                hit = int(nj[lo]) if lo < end else end   # the next junction pixel, unwrapped
                if hit == end:
                    hit = end + int(nj[s]) - s
                hi = min(stop, hit)
                ys = y[lo:hi] if hi <= end else np.concatenate((y[lo:end], y[s:hi - n]))
                if ys.size and (ys.min() < yv_l[j] - d if want_up else ys.max() > yv_l[j] + d):
                    continue
                best = (a, b, stop)
                best_size = seg_size + (ve_l[b] - vs_l[b] + 1) + (0 if centre else ve_l[j] - vs_l[j] + 1)
        if best is not None:
            a, b, stop = best
            tail = [vs_l[b], ve_l[b] - vs_l[b] + 1]
            if not centre:
                tail += (vs_l[j], ve_l[j] - vs_l[j] + 1)
            pos = ve_l[j]
            if centre:
                pos = min(pos, int(nj[vs_l[j]]))   # the visit's first junction pixel, if any
            inserts.setdefault(vc_l[j], {})[pos] = (ve_l[a] + 1, stop, tail)

    runs: list[int] = []
    done = 0
    for c in sorted(inserts):  # loop over walks with detours (the others are copied whole)
        ins = inserts[c]
        runs += (done, s_l[c] - done)
        _expand(runs, s_l[c], s_l[c] + n_l[c], (), s_l[c], n_l[c], ins, sorted(ins))
        done = s_l[c] + n_l[c]
    runs += (done, s_l[-1] + n_l[-1] - done)
    return runs


def _span(out: list[int], lo: int, hi: int, s: int, n: int) -> None:
    """Append indices ``lo..hi-1`` of the closed walk ``s..s+n-1`` (wrapping at its end) to `out` as flat runs."""
    if s <= lo and hi <= s + n:   # (most stretches do not wrap)
        if lo < hi:
            out += (lo, hi - lo)
        return
    while lo < hi:
        a = s + (lo - s) % n
        m = min(hi - lo, s + n - a)
        out += (a, m)
        lo += m


def _expand(out: list[int], lo: int, hi: int, stack: tuple[int, ...], s: int, n: int,
            ins: dict[int, tuple[int, int, list[int]]], where: list[int]) -> None:
    """Append walk indices ``lo..hi-1`` (wrapping) of the walk ``s..s+n-1``, with the detours `ins` passed on the way.

    A detour's copy of the walk gets the detours inside it too (the walk lost those false
    turns: its copy must not keep them), never itself (`stack`: the detours being copied),
    at most :data:`DETOUR_DEPTH` deep. `where` lists the detours' positions, sorted; the
    indices go to `out` as flat runs, as :func:`_splice` returns them.
    """
    prev = lo
    if len(stack) < DETOUR_DEPTH:
        i = bisect.bisect_left(where, lo)   # the positions from lo on, in walk order (unwrapped)
        for q in where[i:] + [p + n for p in where[:i]]:  # a few per walk
            if q >= hi:
                break
            p = s + (q - s) % n
            if p in stack:
                continue
            a0, a1, tail = ins[p]
            _span(out, prev, q + 1, s, n)
            _expand(out, a0, a1, stack + (p,), s, n, ins, where)
            out += tail
            prev = q + 1
    _span(out, prev, hi, s, n)


def centre_line_walks(rows: np.ndarray, cols: np.ndarray, *, width_px: float = 3.0) -> list[np.ndarray]:
    """Ordered pen-like paths through the skeleton pixels of one text line.

    Parameters
    ----------
    rows, cols : ndarray of int
        Skeleton pixels (image coordinates, rows down), e.g. one entry of
        :attr:`penmotor.scan.segment.Segmentation.lines`.
    width_px : float
        Stroke width: junction turns are judged one width away from the junction, and a
        branch shorter than :data:`TIP_WIDTHS` widths is a thinning spur, not a stroke end.

    Returns
    -------
    list of ndarray, shape (n_i, 2)
        ``(col, row)`` points of each path, consecutive points 8-adjacent.

    Examples
    --------
    >>> # a "V": one stroke down and up, cut at its two tips into two paths
    >>> r = np.r_[np.arange(10, 30), np.arange(29, 9, -1)]
    >>> c = np.r_[np.arange(10, 30), np.arange(30, 50)]
    >>> w = centre_line_walks(r, c, width_px=2)
    >>> len(w), sorted(int(p[:, 1].max()) for p in w)
    (2, [29, 29])
    """
    pts, down = _walk_points(rows, cols, width_px=width_px)
    if pts.size == 0:
        return []
    cut = np.flatnonzero(~down)
    return [q[:-1] for q in np.split(pts, cut + 1)[:-1]]


def _walk_points(rows: np.ndarray, cols: np.ndarray, *, width_px: float,
                 ink: np.ndarray | None = None, split: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """All paths' (col, row) points, each path followed by a repeat of its last point marked pen-up."""
    import cv2

    rows = np.asarray(rows, np.int64)
    cols = np.asarray(cols, np.int64)
    if rows.size == 0:
        return np.zeros((0, 2), np.int64), np.zeros(0, bool)
    r0, c0 = int(rows.min()) - 1, int(cols.min()) - 1
    img = np.zeros((int(rows.max()) - r0 + 2, int(cols.max()) - c0 + 2), np.uint8)
    w_img = img.shape[1]
    at = (rows - r0) * w_img + (cols - c0)   # flat index of every pixel
    img.ravel()[at] = 1
    d = max(2, int(round(width_px)))
    tip_px = max(2, int(round(TIP_WIDTHS * width_px)))
    P, n = _contours(img)
    # 0. a stroke end that thinning forked into two arms no longer than a stroke width keeps
    # its longer arm, which then ends the stroke as a tip (a fork of forks: a few rounds)
    for _ in range(3):
        arm = _fork_arms(P, n, d)
        if not arm.size:
            break
        img[arm[:, 1], arm[:, 0]] = 0
        P, n = _contours(img)
        at = at[img.ravel()[at] > 0]
    # junction pixels: 3+ of 8 neighbours on the skeleton (counted at the skeleton's pixels
    # alone, by flat lookups: the image has a blank border)
    flat = img.ravel()
    nb = np.zeros(at.size, np.uint8)
    for off in (-w_img - 1, -w_img, -w_img + 1, -1, 1, w_img - 1, w_img, w_img + 1):
        nb += flat.take(at + off)
    at_j = at[nb >= 3]
    s = np.cumsum(n) - n   # each walk's start
    cid = np.repeat(np.arange(n.size), n)
    if at_j.size:
        # 1. junction repair (see module doc); junction = junction pixels and their neighbours
        junc = np.zeros_like(img)
        junc.ravel()[at_j] = 1
        # junction pixels closer than about a stroke width are one junction (thick crossings
        # thin into two forks joined by a short bridge)
        kj = 2 * int(round(JUNCTION_WIDTHS * width_px / 2.0)) + 1
        kj = max(3, kj)
        _, jlab = cv2.connectedComponents(cv2.dilate(junc, np.ones((kj, kj), np.uint8)) & img, connectivity=8)
        at_p = P[:, 1] * w_img + P[:, 0]   # (flat gathers: several times faster than [rows, cols])
        lab = np.take(jlab, at_p)
        is_j = np.take(junc, at_p) > 0
        # rotate every walk to start off a junction, so no junction visit wraps around
        big = np.iinfo(np.int64).max
        local = np.arange(P.shape[0]) - s[cid]
        first0 = np.minimum.reduceat(np.where(lab == 0, local, big), s)
        first0 = np.where(first0 == big, 0, first0)
        order = s[cid] + (local + first0[cid]) % n[cid]
        # (np.take: row gathers from an (n, 2) array by fancy indexing are several times slower)
        P, lab, is_j = np.take(P, order, axis=0), lab[order], is_j[order]
        local = np.arange(P.shape[0]) - s[cid]
        prev = np.concatenate(([-1], lab[:-1]))
        nxt = np.concatenate((lab[1:], [-1]))
        vs = np.flatnonzero((lab > 0) & ((local == 0) | (lab != prev)))
        ve = np.flatnonzero((lab > 0) & ((local == n[cid] - 1) | (lab != nxt)))
        y = -P[:, 1].astype(np.float64)
        vc = cid[vs]
        yv = 0.5 * (y[vs] + y[ve])
        yb = y[_cyc(vs, -d, s[vc], n[vc])]
        ya = y[_cyc(ve, d, s[vc], n[vc])]
        fmax = (yb < yv - 1.0) & (ya < yv - 1.0)
        fmin = (yb > yv + 1.0) & (ya > yv + 1.0)
        # a shoulder: from a stem above into a branch leaving sideways (the top of a bowl
        # joined to a stem, as in b, d, p): a pen retraces the stem and turns there -- a top
        # (either way round: a walk read backwards has the same turns)
        xa = P[_cyc(ve, d, s[vc], n[vc]), 0].astype(np.float64)
        xb = P[_cyc(vs, -d, s[vc], n[vc]), 0].astype(np.float64)
        xv = 0.5 * (P[vs, 0] + P[ve, 0])
        level_a = np.abs(ya - yv) <= SHOULDER_SLOPE * np.abs(xa - xv)
        level_b = np.abs(yb - yv) <= SHOULDER_SLOPE * np.abs(xb - xv)
        shoulder = ((yb > yv + 1.0) & level_a) | ((ya > yv + 1.0) & level_b)
        # and its mirror, from a stem below into a branch leaving sideways (the bottom of a
        # bowl joined to a descender, as in q, g, y): a bottom, by a detour up and back
        heel = ((yb < yv - 1.0) & level_a) | ((ya < yv - 1.0) & level_b)
        heel &= ~shoulder
        if not SHOULDER_SLOPE > 0:
            shoulder[:] = False
            heel[:] = False
        if not HEELS:
            heel[:] = False
        bad = np.flatnonzero(fmax | fmin | shoulder | heel)
        if bad.size:
            # index of the next junction pixel at or after every point, within its walk (a
            # reversed running minimum; a later walk's index is past this walk's end: clipped)
            m_pts = P.shape[0]
            nj = np.minimum.accumulate(np.where(is_j, np.arange(m_pts), m_pts)[::-1])[::-1]
            nj = np.minimum(nj, (s + n)[cid])
            # the walks' indices with the detours spliced in, as (start, length) runs
            runs = np.array(_splice(bad.tolist(), (fmax | (heel & ~fmin))[bad].tolist(),
                                    ((shoulder | heel) & ~(fmax | fmin))[bad].tolist(), vs.tolist(), ve.tolist(),
                                    lab[vs].tolist(), vc.tolist(), yv.tolist(), ya.tolist(), s.tolist(), n.tolist(),
                                    y, nj, d), np.int64)
            ix = _ranges(runs[0::2], runs[1::2])
            cid = cid[ix]
            P = np.take(P, ix, axis=0)
            # a detour returns to its junction a few pixels from where it left: bridge such
            # jumps with straight pixel steps, so consecutive points stay 8-adjacent
            step = np.maximum(np.abs(np.diff(P[:, 0])), np.abs(np.diff(P[:, 1])))  # Chebyshev step
            gap = np.flatnonzero((step > 1) & (cid[1:] == cid[:-1]))
            if gap.size:
                reps = step[gap] - 1
                g_rep = np.repeat(gap, reps)
                frac = _ranges(np.ones(gap.size, np.int64), reps) / np.repeat(step[gap], reps)
                fill = np.rint(P[g_rep] + (P[g_rep + 1] - P[g_rep]) * frac[:, None]).astype(np.int64)
                # = np.insert(P, g_rep + 1, fill, axis=0) (ascending: fill k lands at g_rep[k] + 1 + k),
                # as one gather
                at = g_rep + 1 + np.arange(g_rep.size)
                src = np.ones(P.shape[0] + at.size, bool)
                src[at] = False
                src = np.cumsum(src) - 1
                src[at] = P.shape[0] + np.arange(at.size)
                P = np.take(np.concatenate((P, fill)), src, axis=0)
                cid = np.concatenate((cid, cid[g_rep]))[src]
            # drop immediate repeats left by the splices (within a walk)
            keep = np.concatenate(([True], (P[1:, 0] != P[:-1, 0]) | (P[1:, 1] != P[:-1, 1]) | (cid[1:] != cid[:-1])))
            P, cid = np.compress(keep, P, axis=0), cid[keep]
            n = np.bincount(cid, minlength=n.size)
            s = np.cumsum(n) - n
            # a walk that ends where it started would close twice
            last = s + n - 1
            dup = (n > 1) & np.all(P[last] == P[s], axis=1)
            if dup.any():
                keep = np.ones(P.shape[0], bool)
                keep[last[dup]] = False
                P, cid = np.compress(keep, P, axis=0), cid[keep]
                n = np.bincount(cid, minlength=n.size)
                s = np.cumsum(n) - n
    # 2. tips: reversals whose out-and-back runs at least tip_px (within a pixel: a
    # staircase corner of the skeleton is walked on one side only)
    key = P[:, 0] * 4_000_037 + P[:, 1]
    si, ni = s[cid], n[cid]
    before, after = _around(key, s, n)
    tip = (ni >= 3) & (before == after)
    t = np.flatnonzero(tip)
    # (steps 2..tip_px of all reversals at once: one numpy call per step cost more)
    k = np.arange(2, tip_px + 1)
    tc, sc, nc = t[:, None], si[t][:, None], ni[t][:, None]
    out, back = _cyc(tc, -k, sc, nc), _cyc(tc, k, sc, nc)
    px, py = np.ascontiguousarray(P[:, 0]), np.ascontiguousarray(P[:, 1])   # (contiguous: faster gathers)
    near = (np.abs(px.take(out) - px.take(back)) <= 1) & (np.abs(py.take(out) - py.take(back)) <= 1)
    t = t[near.all(axis=1)]
    n_tip = np.bincount(cid[t], minlength=n.size)
    Pf = P.astype(np.float64)
    if ink is not None and t.size:
        # thinning stops short of a stroke's end: follow the ink beyond each tip, in the
        # branch's direction, to its edge; the pen centre lies half a stroke width inside
        u = (P[t] - P[_cyc(t, -d, si[t], ni[t])]).astype(np.float64)
        u /= np.maximum(np.hypot(u[:, 0], u[:, 1]), 1e-9)[:, None]
        h_, w_ = ink.shape
        lim = int(np.ceil(2 * width_px)) + 2
        base = P[t] + np.array([c0, r0])
        # pixels 1..lim steps beyond each tip (all steps at once); reach = the leading run on ink
        k = np.arange(1, lim + 1)[None, :, None]
        q = np.rint(base[:, None, :] + u[:, None, :] * k).astype(np.int64)
        qc, qr = q[..., 0], q[..., 1]
        on = (qc >= 0) & (qc < w_) & (qr >= 0) & (qr < h_) & ink[np.clip(qr, 0, h_ - 1), np.clip(qc, 0, w_ - 1)]
        reach = np.logical_and.accumulate(on, axis=1).sum(axis=1).astype(np.float64)
        ext = np.clip(reach + 0.5 - width_px / 2.0, 0.0, None)
        ext[reach >= lim] = 0.0  # ran along ink: not a stroke end
        Pf[t] += u * ext[:, None]
    # 3. paths: a walk with tips is cut at them (rotated to start at its first tip; one
    # tip: opened there); without, it stays one closed path. Each path = its points + its
    # end point again.
    first_t = np.full(n.size, 0, np.int64)
    has = (n_tip >= 1) & split
    ct = cid[t]
    ft = t[np.concatenate(([True], ct[1:] != ct[:-1]))] if t.size else t
    first_t[cid[ft]] = ft - s[cid[ft]]
    first_t[~has] = 0
    # path starts (walk-local, in rotated order) and lengths
    t_loc = (t - s[ct] - first_t[ct]) % n[ct]
    keep_t = has[ct]
    p_cid = np.concatenate((ct[keep_t], np.flatnonzero(~has)))
    p_start = np.concatenate((t_loc[keep_t], np.zeros(int((~has).sum()), np.int64)))
    o = np.lexsort((p_start, p_cid))
    p_cid, p_start = p_cid[o], p_start[o]
    nxt_start = np.concatenate((p_start[1:], [0]))
    same = np.concatenate((p_cid[1:] == p_cid[:-1], [False]))
    p_end = np.where(same, nxt_start, n[p_cid])          # inclusive end; n = back to the start
    p_len = p_end - p_start + 2        # with the pen-up repeat of its end point
    # walk-local index of every point counted from the walk's first tip, 0 <= x < 2 n, then
    # wrapped (per-path values repeated, no gathers or modulo over all points)
    x = _ranges(p_start + first_t[p_cid], p_len)
    ends = np.cumsum(p_len) - 1
    x[ends] -= 1
    nw = np.repeat(n[p_cid], p_len)
    gidx = np.repeat(s[p_cid], p_len) + np.where(x >= nw, x - nw, x)
    down = np.ones(gidx.size, bool)
    down[ends] = False
    # back to the page's coordinates (column by column: adding a length-2 row to an (n, 2)
    # array is several times slower)
    Pf[:, 0] += c0
    Pf[:, 1] += r0
    return np.take(Pf, gidx, axis=0), down


class CentrePaths(NamedTuple):
    """Pen paths of a text line's centre line (see :func:`centre_line_paths`)."""

    #: ``x, y`` in mm (y up) of each path.
    paths: list[np.ndarray]
    #: Glyph cluster (letter) of each path.
    letters: np.ndarray


def centre_line_paths(rows: np.ndarray, cols: np.ndarray, *, dpi: float, width_px: float = 3.0,
                      cluster: np.ndarray | None = None, ink: np.ndarray | None = None,
                      split: bool = True) -> "CentrePaths":
    """The centre line of one text line as pen paths in mm (y up), with each path's letter.

    Positions are ``col * 25.4 / dpi`` and ``-row * 25.4 / dpi``; the paths are those of
    :func:`centre_line_walks` (stroke ends moved to the pen centre when `ink` is given).
    Feed them to the geometry-only size estimator shared with online recordings
    (:func:`penmotor.letters.sizing_from_paths`): no timing is needed or invented.

    Parameters
    ----------
    rows, cols : ndarray of int
        Skeleton pixels of the line (image coordinates).
    dpi : float
    width_px : float
        Stroke width (see :func:`centre_line_walks`).
    cluster : ndarray of int, optional
        Glyph cluster (letter) of every pixel (see :func:`penmotor.scan.segment.segment_page`).
    ink : ndarray of bool, optional
        The page's ink mask (same coordinates as `rows`, `cols`).

    split : bool
        Cut each closed walk at its tips (stroke ends), as a pen's strokes end there.

    Returns
    -------
    CentrePaths
        ``paths`` (``x, y`` in mm of each path) and ``letters`` (the cluster of each
        path: every path lies in one ink component, so in one cluster; zeros without
        `cluster`).

    Examples
    --------
    >>> import cv2
    >>> from penmotor.letters import x_height_from_paths
    >>> img = np.zeros((200, 400), np.uint8)
    >>> for x in (50, 150, 250):               # three "o" of 4 mm at 254 dpi (10 px/mm)
    ...     _ = cv2.ellipse(img, (x, 100), (15, 20), 0, 0, 360, 1, 1)
    >>> r, c = np.nonzero(img)
    >>> paths, letters = centre_line_paths(r, c, dpi=254)
    >>> len(paths), round(x_height_from_paths(paths, slant_deg=0.0), 1)
    (3, 4.0)
    """
    pts, down = _walk_points(rows, cols, width_px=width_px, ink=ink, split=split)
    if pts.size == 0:
        return CentrePaths([], np.zeros(0, np.intp))
    mm = 25.4 / float(dpi)
    xy = np.column_stack((pts[:, 0] * mm, -pts[:, 1] * mm))
    up = np.flatnonzero(~down)                    # each path's pen-up repeat (the last point is one)
    starts = np.concatenate(([0], up[:-1] + 1))   # each path's first point
    letters = np.zeros(up.size, np.intp)
    if cluster is not None:
        rows = np.asarray(rows, np.int64)
        cols = np.asarray(cols, np.int64)
        cl = np.asarray(cluster, np.int64)
        w = int(cols.max()) + 2
        key = rows * w + cols
        pk = np.rint(pts[:, 1]).astype(np.int64) * w + np.rint(pts[:, 0]).astype(np.int64)
        # the skeleton pixel of each point's key, by a table over the line's keys (a sort and
        # binary search cost several times more): 1 + its first index, 0 when off the skeleton
        # (a stretched tip); written last to first, so a repeated pixel keeps its first index
        k0 = int(key.min())
        first = np.zeros(int(key.max()) - k0 + 1, np.min_scalar_type(rows.size))
        first[key[::-1] - k0] = np.arange(rows.size, 0, -1, dtype=first.dtype)
        q = pk - k0
        on = (q >= 0) & (q < first.size)
        hit = np.where(on, first[np.where(on, q, 0)], 0).astype(np.intp) - 1
        big = np.iinfo(np.int64).max
        per_path = np.minimum.reduceat(np.where(hit >= 0, cl[hit], big), starts)
        letters = np.where(per_path == big, 0, per_path).astype(np.intp)
    ends = (up + 1).tolist()       # = np.split(xy, ends)[:-1], each without its pen-up repeat
    paths = [xy[a:b - 1] for a, b in zip([0] + ends[:-1], ends)]
    return CentrePaths(paths, letters)
