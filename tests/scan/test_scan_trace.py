"""Tracing the scan's centre line into pen-like paths (penmotor.scan.trace).

Ground truth: shapes drawn with OpenCV at known positions (pixels), thinned by the pipeline's
own skeleton; and synthetic handwriting (``synth``) rendered as a page.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor import synth
from penmotor.letters import x_height_from_paths
from penmotor.scan.segment import skeleton_pixels
from penmotor.scan.trace import centre_line_paths, centre_line_walks
from penmotor.synth import render


def centre_line_x_height(rows, cols, *, dpi, width_px=3.0, slant_deg=0.0, cluster=None, ink=None):
    """X-height (mm) of one text line: the letter-size estimator on its traced centre line."""
    cp = centre_line_paths(rows, cols, dpi=dpi, width_px=width_px, cluster=cluster, ink=ink)
    return x_height_from_paths(cp.paths, slant_deg=slant_deg, letters=cp.letters if cluster is not None else None)


def _draw(lines, shape=(200, 300), width=7):
    img = np.zeros(shape, np.uint8)
    for (x0, y0), (x1, y1) in lines:
        cv2.line(img, (x0, y0), (x1, y1), 1, width)
    return img.astype(bool)


def _extrema_rows(ink, *, width_px=7.0, prominence_px=5.0):
    """Rows of the tops of every path: peaks of -row along it (path ends included) as prominent as
    the online estimator asks for."""
    from scipy.signal import find_peaks

    _, r, c = skeleton_pixels(ink)
    tops = []
    for p in centre_line_walks(r, c, width_px=width_px):
        y = np.r_[-1e9, -p[:, 1], -1e9]
        pk, _ = find_peaks(y, prominence=prominence_px, plateau_size=1)
        tops += (-y[pk]).tolist()
    return tops


def test_paths_visit_every_centre_line_pixel_and_step_by_one_pixel():
    ink = _draw([((20, 150), (80, 40)), ((80, 40), (140, 150)), ((50, 100), (110, 100))])  # an "A"
    _, r, c = skeleton_pixels(ink)
    paths = centre_line_walks(r, c, width_px=7)
    pts = np.concatenate(paths)
    assert {(int(a), int(b)) for a, b in zip(c, r)} <= {(int(a), int(b)) for a, b in np.rint(pts)}
    for p in paths:  # consecutive points are 8-neighbours (stretched tips excepted)
        step = np.abs(np.diff(np.rint(p[1:-1]), axis=0)).max(axis=1) if len(p) > 3 else np.zeros(0)
        assert (step <= 1).all()


def test_false_top_at_a_cursive_fork_is_removed():
    # a cursive "l": lead-in from lower left up to the fork J, the stem on up to the top,
    # and the down-stroke leaving J to the lower right (the loop is filled in): J is no top
    J = (100, 120)
    ink = _draw([((40, 170), J), (J, (120, 20)), (J, (170, 170))])
    tops = _extrema_rows(ink)
    assert tops and min(tops) < 40                       # the real top
    assert not any(100 < t < 140 for t in tops), tops    # nothing at the fork


def test_bowl_joined_to_a_stem_has_its_top():
    # a print "b": stem from row 20 to 170, a bowl joined to the stem at its top (row 100)
    ink = np.zeros((200, 300), np.uint8)
    cv2.line(ink, (60, 20), (60, 170), 1, 7)
    cv2.line(ink, (60, 100), (120, 100), 1, 7)
    cv2.line(ink, (120, 100), (120, 170), 1, 7)
    cv2.line(ink, (60, 170), (120, 170), 1, 7)
    tops = _extrema_rows(ink.astype(bool))
    assert any(abs(t - 100) <= 4 for t in tops), tops    # the bowl's top, as a pen makes it
    assert min(tops) < 30                                # and the ascender


def test_stroke_ends_are_moved_to_the_pen_centre():
    ink = _draw([((50, 30), (50, 170))], width=9)        # a stem: pen centre from row 30 to 170
    _, r, c = skeleton_pixels(ink)
    paths, _ = centre_line_paths(r, c, dpi=254, width_px=9.0, ink=ink)
    rows = -np.concatenate(paths)[:, 1] / 0.1
    assert abs(rows.min() - 30) <= 1.5 and abs(rows.max() - 170) <= 1.5
    short, _ = centre_line_paths(r, c, dpi=254, width_px=9.0)  # without the ink, thinning shortens it
    assert (-np.concatenate(short)[:, 1] / 0.1).min() >= rows.min()


def test_paths_carry_their_glyph_cluster_and_mm_coordinates():
    ink = _draw([((20, 150), (40, 40)), ((120, 150), (140, 40)), ((220, 150), (240, 40))], shape=(200, 300))
    _, r, c = skeleton_pixels(ink)
    cluster = (c // 100).astype(np.int64)                  # three sticks, three clusters
    paths, letters = centre_line_paths(r, c, dpi=254, width_px=7.0, cluster=cluster)
    assert sorted(set(letters.tolist())) == [0, 1, 2]
    for p, lab in zip(paths, letters):
        assert np.all((p[:, 0] / 0.1) // 100 == lab)      # x mm -> column -> the cluster it lies in
        assert np.all(p[:, 1] <= 0)                         # y up: rows below the top are negative


def test_no_invented_timing_scan_and_online_share_the_estimator():
    from penmotor.metrics import sizing

    rec = synth.handwriting("sun moon rain", x_height_mm=3.2, seed=2)
    paths = [np.column_stack((s.x, s.y)) for s in rec.strokes()]
    got = sizing.sizing_from_paths(paths, slant_deg=sizing.slant(rec), letters=sizing.letter_components(rec))
    assert got.x_height == sizing.x_height(rec)
    assert got.size_cv == sizing.size_cv(rec)


@settings(max_examples=6, deadline=None, derandomize=True)
@given(xh=st.floats(2.5, 5.0), slant=st.floats(-15, 15), seed=st.integers(0, 1000),
       dpi=st.sampled_from([200, 300, 400]))
def test_online_estimator_on_traced_scan_matches_truth(xh, slant, seed, dpi):
    from penmotor.scan import analyze_page

    rec = synth.handwriting("the quick brown fox jumps over the lazy dog", x_height_mm=xh, slant_deg=slant,
                            seed=seed)
    a = analyze_page(render(rec, dpi=dpi), dpi=dpi)
    ln = a.seg.lines[0]
    w = a.metrics["stroke_width"] * dpi / 25.4
    got = centre_line_x_height(ln["rows"], ln["cols"], dpi=dpi, width_px=w, slant_deg=a.lines[0]["slant"],
                               cluster=ln["cluster"], ink=a.clean)
    assert got == pytest.approx(rec.meta["truth"]["x_height"], rel=0.05)
    assert a.metrics["x_height"] == pytest.approx(got)


def test_short_line_with_bowls_on_stems():
    # b and d alone carry their x-zone on a bowl joined to the stem
    rec = synth.handwriting("big dog", seed=1)
    from penmotor.scan import score_page

    assert score_page(render(rec, dpi=150), dpi=150)["x_height"] == pytest.approx(3.0, rel=0.05)


@pytest.mark.parametrize("text", ["a", "it", "go", "big dog", "red hat"])
@pytest.mark.parametrize("dpi", [150, 300])
def test_short_lines_measure_the_same_x_height_every_run(text, dpi):
    # a one- or two-letter line has too few letters for the trimmed mean: the fitted zones
    # stand in; scoring twice gives bit-identical numbers (no state kept between pages)
    from penmotor.scan import score_page

    img = render(synth.handwriting(text, seed=3), dpi=dpi)
    a, b = score_page(img, dpi=dpi), score_page(img.copy(), dpi=dpi)
    assert a["x_height"] == pytest.approx(3.0, rel=0.08)
    assert a == b or all(a[k] == b[k] or (a[k] != a[k] and b[k] != b[k]) for k in a)


def test_bowl_joined_to_a_descender_has_its_bottom():
    # a print "q": stem from row 100 down to 190, a bowl (rows 100-160) joined to it at its bottom
    from scipy.signal import find_peaks

    ink = np.zeros((220, 300), np.uint8)
    cv2.line(ink, (120, 100), (120, 190), 1, 7)
    cv2.line(ink, (60, 160), (120, 160), 1, 7)
    cv2.line(ink, (60, 100), (60, 160), 1, 7)
    cv2.line(ink, (60, 100), (120, 100), 1, 7)
    _, r, c = skeleton_pixels(ink.astype(bool))
    bottoms = []
    for p in centre_line_walks(r, c, width_px=7.0):
        y = np.r_[-1e9, p[:, 1], -1e9]                     # rows down: a bottom is a peak of row
        pk, _ = find_peaks(y, prominence=5.0, plateau_size=1)
        bottoms += y[pk].tolist()
    assert any(abs(b - 160) <= 4 for b in bottoms), bottoms  # the bowl's bottom, as a pen makes it
    assert max(bottoms) > 180                                  # and the descender


def test_false_top_inside_a_detour_is_removed_too():
    # a cursive "l" fork J1 (lead-in up to it, a stroke down from it) whose rising branch runs on
    # to an "s"-like fork J2 (up to a short top, down a stem): the detour that repairs J1 walks
    # that branch again, and its copy of J2 must be repaired as the walk's own J2 is
    J1, J2 = (100, 150), (130, 120)
    ink = _draw([((60, 180), J1), (J1, (120, 185)), (J1, J2), (J2, (145, 90)), (J2, (135, 175))],
                shape=(240, 300))
    tops = _extrema_rows(ink)
    assert tops and min(tops) < 95                        # the real top
    assert not any(110 < t < 160 for t in tops), tops     # nothing at either fork


def test_a_branch_that_dips_then_rises_gets_no_detour_down():
    # the bottom of an "e": its back comes down to J, the stroke to the previous letter leaves
    # level, and the lead-out dips a little before rising to its end: J looks like a shoulder,
    # but the lead-out is no stem below it. A detour down "the stem" walked the lead-out out
    # and back again, a retrace the pen never made (its end reached twice, a false top by J)
    J = (150, 150)
    ink = _draw([((140, 70), J), (J, (80, 152)), (J, (175, 158)), ((175, 158), (235, 105))], shape=(220, 300))
    _, r, c = skeleton_pixels(ink)
    walks = centre_line_walks(r, c, width_px=7)
    end = np.array([234, 106])
    reached = sum(int(np.abs(p[-1] - end).max() <= 3) for p in walks)
    assert reached == 1
    assert not any(140 <= t < 150 for t in _extrema_rows(ink))


def test_a_walk_with_one_stroke_end_is_opened_there():
    # three "o" with a lead-out rising from the bottom to mid-height (4 mm at 254 dpi): each
    # component has one stroke end. Closed, its walk had the end as a peak inside it -- an
    # x-zone top at 2.5 mm the pen never turned at; opened there, the end is the path's end
    img = np.zeros((200, 400), np.uint8)
    for x in (60, 160, 260):
        cv2.ellipse(img, (x, 100), (15, 20), 0, 0, 360, 1, 1)
        cv2.line(img, (x + 5, 119), (x + 40, 95), 1, 1)
    r, c = np.nonzero(img)
    walks = centre_line_walks(r, c, width_px=3)
    assert len(walks) == 3
    for p in walks:
        assert p[0, 1] == p[-1, 1] == 95 and p[0, 0] == p[-1, 0]   # from the lead-out's end round to it
    assert centre_line_x_height(r, c, dpi=254) == pytest.approx(4.0, abs=0.1)


@pytest.mark.parametrize("arm", [[(10, 12)], [(10, 12), (9, 13)]])
def test_a_forked_stroke_end_still_ends_the_stroke(arm):
    # thinning may fork a blunt stroke end into two arms a pixel or two long; the fork is
    # pruned to its longer arm, so the end still cuts the walk as a tip (as the clean "V")
    r = np.r_[np.arange(10, 30), np.arange(29, 9, -1), [a[0] for a in arm]]
    c = np.r_[np.arange(10, 30), np.arange(30, 50), [a[1] for a in arm]]
    walks = centre_line_walks(r, c, width_px=2)
    assert len(walks) == 2
    ends = sorted({tuple(np.rint(p[i]).astype(int)) for p in walks for i in (0, -1)})
    assert len(ends) == 2 and ends[1] == (49, 10) and ends[0][1] <= 10 and ends[0][0] <= 13


@pytest.mark.parametrize("corner", [[(13, 14)], [(14, 13)], [(13, 14), (17, 18)]])
def test_a_staircase_corner_does_not_hide_a_stroke_end(corner):
    # a pixel beside a diagonal stroke (a staircase corner the thinning left) is walked on
    # one side only: out and back differ by a pixel there, and the end is still a tip
    r = np.r_[np.arange(10, 30), np.arange(29, 9, -1), [a[0] for a in corner]]
    c = np.r_[np.arange(10, 30), np.arange(30, 50), [a[1] for a in corner]]
    walks = centre_line_walks(r, c, width_px=2)
    assert len(walks) == 2
    assert sorted({tuple(np.rint(p[i]).astype(int)) for p in walks for i in (0, -1)}) == [(10, 10), (49, 10)]


def test_walks_stay_short_on_real_cursive(shared_data):
    # a detour copies one retraced branch, not the rest of the word (DETOUR_WIDTHS): before,
    # the walks of a cursive PaHaW word ran up to 15x the centre line's length
    import penmotor
    from penmotor.scan import analyze_page

    files = sorted((shared_data / "pahaw").glob("*/*.12_1.svc"))[:2]   # "les les les les les"
    if not files:
        pytest.skip("no PaHaW task 12 recordings")
    for f in files:
        a = analyze_page(render(penmotor.read(f, columns="pahaw", device="pahaw"), dpi=300), dpi=300)
        w = a.metrics["stroke_width"] * 300 / 25.4
        for ln in a.seg.lines:
            walked = sum(len(p) for p in centre_line_walks(ln["rows"], ln["cols"], width_px=w))
            assert walked <= 4 * ln["rows"].size
