"""Multi-line pages of online ink with per-line ground truth, and pages stacked from real lines.

A child's sample is a page: a paragraph copied onto 6-10 lines. :func:`page` writes one
from :func:`~penmotor.synth.handwriting` lines and :func:`stack_lines` assembles any
single-line recordings (synthetic, or real sentences) into a page, as a child would
write it:

* **Line returns out of range.** At the end of a line the pen lifts (a short sampled
  hover), then leaves the tablet's range: no samples at all for ``return_s`` while it
  travels to the next line, where a short sampled hover precedes the first stroke.
* **Drifting lines.** Each line is rotated about its start by its own angle (lines that
  climb or fall), its left edge moves (``left_mm``), its size can change from line to
  line (``x_heights_mm``).
* **Overlapping zones.** Lines ``line_spacing_mm`` apart: with the default 2.6
  x-heights, a line's descenders reach below the ascenders of the line under it.
* **Late strokes** (:func:`page`): i/j dots and t/f cross-bars written at the end of
  their line (``late_share``) or at the end of the page (``page_late_share``: the child
  goes back to an earlier line).
* **Bursts** (:func:`page`): some lines are written in two bursts, with the pen out of
  range for ``burst_s`` between two words.

Ground truth in ``meta``: ``meta["lines"]`` holds one dict per line (top line first):
the line's own truth as measured where it was made (``x_height``, ``slant``,
``word_spacing``, ... of :func:`~penmotor.synth.handwriting`, or whatever the caller
passes for real lines), and its placement: ``angle_deg``, ``left`` (leftmost pen-down x
on the page, mm), ``baseline`` (page y of the baseline at ``left``), ``x_min``/``x_max``.
``meta["line_of_stroke"]`` is the true line of every pen-down stroke. ``meta["truth"]``
holds the page values under the registry's names: ``n_lines``, ``line_spacing``
(median distance between consecutive baselines, in the frame of the median line
angle, at the middle of the two lines' common extent), ``x_height_line_cv`` (SD/mean,
ddof=1, of the lines' x-heights), ``baseline_drift`` (mean absolute line angle, deg),
``left_margin_drift`` (see :func:`penmotor.metrics.lines.margin_drift`),
``out_of_range_time`` (total time without samples, s: each gap from the last sample
before it to the first after it) and, from the lines, the medians of ``x_height``,
``slant``, ``word_spacing``, ``letter_spacing``.

Examples
--------
>>> pg = page(n_lines=6, seed=1)
>>> pg.meta["truth"]["n_lines"], len(pg.meta["lines"])
(6, 6)
>>> bool(pg.meta["truth"]["out_of_range_time"] > 2.0)
True
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from ..errors import ParameterError
from ..recording import Recording

__all__ = ["page", "stack_lines", "PARAGRAPH"]

#: Default text: one entry per line; dots (i, j), cross-bars (t, f), ascenders and descenders.
PARAGRAPH = (
    "the little fox jumps high",
    "it digs a deep pit by the gate",
    "a quiet girl plays with a kite",
    "my puppy likes to dig in the yard",
    "bright fish swim past the jetty",
    "we went to the fair on friday",
    "just eight big frogs sat in it",
    "the boys play jigsaw puzzles",
    "a tiny bird flew to its nest",
    "if it rains we will stay inside",
)


def _check(name: str, value: float, *, lo: float = 0.0, strict: bool = False) -> None:
    ok = (value > lo) if strict else (value >= lo)
    if not (isinstance(value, (int, float, np.floating, np.integer)) and math.isfinite(value) and ok):
        raise ParameterError(f"{name}: expected a finite number {'>' if strict else '>='} {lo}, got {value!r}")


def _hover(x: float, y: float, t0: float, duration: float, dt: float) -> dict[str, np.ndarray]:
    """Pen-up samples held at (x, y) from t0 for `duration` (at least one sample)."""
    k = max(int(round(duration / dt)), 1)
    t = t0 + dt * np.arange(k)
    return {"t": t, "x": np.full(k, x), "y": np.full(k, y), "p": np.zeros(k), "down": np.zeros(k, bool),
            "line": np.full(k, -1)}


def _cat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _pieces(rec: Recording, line: int) -> dict[str, np.ndarray]:
    p = rec.pressure
    return {"t": rec.t.astype(np.float64), "x": rec.x.astype(np.float64), "y": rec.y.astype(np.float64),
            "p": np.where(np.isfinite(p), p, np.where(rec.pen_down, 0.5, 0.0)), "down": rec.pen_down.copy(),
            "line": np.where(rec.pen_down, line, -1)}


def _baseline_distance(a: dict, b: dict, frame_deg: float) -> float:
    """Distance between two lines' baselines in the page frame, at the middle of their common extent."""
    c, s = math.cos(math.radians(frame_deg)), math.sin(math.radians(frame_deg))

    def frame_line(ln: dict) -> tuple[float, float, float, float, float]:
        # the baseline through (left, baseline) at angle_deg: v = v0 + k (u - u0) in the frame
        u0 = ln["left"] * c + ln["baseline"] * s
        v0 = -ln["left"] * s + ln["baseline"] * c
        k = math.tan(math.radians(ln["angle_deg"] - frame_deg))
        return u0, v0, k, ln["x_min"] * c + ln["baseline"] * s, ln["x_max"] * c + ln["baseline"] * s

    ua, va, ka, la, ha = frame_line(a)
    ub, vb, kb, lb, hb = frame_line(b)
    um = 0.5 * (max(la, lb) + min(ha, hb))
    return float((va + ka * (um - ua)) - (vb + kb * (um - ub)))


def margin_truth(lefts: np.ndarray, bases: np.ndarray) -> float:
    """Left-margin drift of lines from their left edges and baselines (straight-line fit), mm."""
    if lefts.size < 2 or np.ptp(bases) == 0:
        return math.nan
    s = np.polyfit(bases, lefts, 1)[0]
    return float(abs(s * np.ptp(bases)))


def stack_lines(
    lines: Sequence[Recording],
    *,
    line_spacing_mm: float | Sequence[float] = 10.0,
    angles_deg: float | Sequence[float] = 0.0,
    left_mm: float | Sequence[float] = 20.0,
    return_s: float | Sequence[float] = 0.8,
    hover_s: float = 0.05,
    truths: Sequence[dict[str, Any]] | None = None,
    meta: dict[str, Any] | None = None,
) -> Recording:
    """Assemble single-line recordings into one page, top line first, with out-of-range line returns.

    Each line is moved so that its pen-down ink starts at ``left_mm`` and its reference
    height (its ``meta["truth"]["baseline_y"]`` when given, else the median height of
    its pen-down samples) lies ``line_spacing_mm`` below the previous line's, then
    rotated about that point by its angle. The line's samples keep their own timing;
    the pen lifts for ``hover_s`` (sampled) after it, leaves the tablet's range for
    ``return_s`` (no samples) and hovers for ``hover_s`` before the next line.

    Parameters
    ----------
    lines : sequence of Recording
        One recording per line (any device; positions in mm).
    line_spacing_mm, angles_deg, left_mm, return_s : float or sequence
        Per line (a sequence of ``len(lines)``; for ``line_spacing_mm`` and ``return_s``,
        ``len(lines) - 1`` values are also accepted) or one value for all.
    hover_s : float
        Sampled hover before and after each line, s.
    truths : sequence of dict, optional
        Per-line truth (e.g. values measured on the original lines); default each
        line's ``meta["truth"]`` (or an empty dict).
    meta : dict, optional
        Extra metadata of the page.

    Returns
    -------
    Recording
        ``meta["lines"]``, ``meta["line_of_stroke"]``, ``meta["truth"]`` (see the module
        docstring); ``meta["task"] = "page"``.

    Examples
    --------
    >>> from penmotor import synth
    >>> ls = [synth.handwriting(w, seed=i) for i, w in enumerate(["one line", "two lines", "three"])]
    >>> pg = stack_lines(ls, line_spacing_mm=9.0)
    >>> pg.n_strokes == sum(r.n_strokes for r in ls), pg.meta["truth"]["n_lines"]
    (True, 3)
    >>> round(pg.meta["truth"]["line_spacing"], 3)
    9.0
    """
    n = len(lines)
    if n == 0:
        raise ParameterError("lines: expected at least one recording")

    def per(name: str, val: Any, k: int, allow_short: bool = False) -> np.ndarray:
        a = np.atleast_1d(np.asarray(val, dtype=np.float64))
        if a.size == 1:
            a = np.full(k, float(a[0]))
        elif allow_short and a.size == k - 1:
            a = np.r_[0.0, a]
        if a.shape != (k,) or not np.all(np.isfinite(a)):
            raise ParameterError(f"{name}: expected one finite number or {k} of them, got {val!r}")
        return a

    sp = per("line_spacing_mm", line_spacing_mm, n, allow_short=True)
    ang = per("angles_deg", angles_deg, n)
    left = per("left_mm", left_mm, n)
    ret = per("return_s", return_s, n, allow_short=True)
    if np.any(ret[1:] <= 0) or np.any(sp[1:] <= 0):
        raise ParameterError("return_s, line_spacing_mm: expected positive values between lines")
    _check("hover_s", hover_s, strict=True)
    if truths is not None and len(truths) != n:
        raise ParameterError(f"truths: expected {n} dicts (one per line), got {len(truths)}")
    parts: list[dict[str, np.ndarray]] = []
    info: list[dict[str, Any]] = []
    t_end = 0.0
    gaps = 0.0
    base_y = 0.0
    for k, rec in enumerate(lines):
        if rec.n_strokes == 0:
            raise ParameterError(f"lines[{k}]: has no pen-down ink")
        tr = dict(rec.meta.get("truth", {})) if truths is None else dict(truths[k])
        pc = _pieces(rec, k)
        down = pc["down"]
        ref = float(tr["baseline_y"]) if "baseline_y" in tr else float(np.median(pc["y"][down]))
        x0 = float(np.min(pc["x"][down]))
        base_y = base_y - (sp[k] if k else 0.0)
        a = math.radians(ang[k])
        dx, dy = pc["x"] - x0, pc["y"] - ref
        pc["x"] = left[k] + dx * math.cos(a) - dy * math.sin(a)
        pc["y"] = base_y + dx * math.sin(a) + dy * math.cos(a)
        dt = float(np.median(np.diff(pc["t"]))) if pc["t"].size > 1 else 0.005
        dt = dt if dt > 0 else 0.005
        t0 = t_end + (ret[k] if k else 0.0)
        gaps += ret[k] if k else 0.0
        pre = _hover(float(pc["x"][0]), float(pc["y"][0]), t0, hover_s, dt)
        pc["t"] = pc["t"] - pc["t"][0] + pre["t"][-1] + dt
        post = _hover(float(pc["x"][-1]), float(pc["y"][-1]), float(pc["t"][-1]) + dt, hover_s, dt)
        parts += [pre, pc, post]
        t_end = float(post["t"][-1])
        xs = pc["x"][down]
        info.append({**tr, "angle_deg": float(ang[k]), "left": float(left[k]), "baseline": base_y,
                     "x_min": float(xs.min()), "x_max": float(xs.max())})
    allp = _cat(parts)
    m = dict(meta or {})
    m.setdefault("task", "page")
    m["lines"] = info
    st = np.flatnonzero(np.diff(np.r_[0, allp["down"].astype(np.int8)]) == 1)
    m["line_of_stroke"] = allp["line"][st].astype(np.intp)
    m["truth"] = _page_truth(info, gaps, dict(m.get("truth", {})))
    return Recording.from_arrays(allp["t"], allp["x"], allp["y"], allp["p"], pen_down=allp["down"], meta=m)


def _page_truth(info: list[dict[str, Any]], gaps: float, extra: dict[str, Any]) -> dict[str, Any]:
    n = len(info)
    frame = float(np.median([ln["angle_deg"] for ln in info]))
    out: dict[str, Any] = {"n_lines": n}
    d = [_baseline_distance(info[k], info[k + 1], frame) for k in range(n - 1)]
    out["line_spacing"] = float(np.median(d)) if d else math.nan
    xh = np.array([ln.get("x_height", math.nan) for ln in info], dtype=np.float64)
    out["x_height_line_cv"] = float(np.std(xh, ddof=1) / np.mean(xh)) if n >= 2 and np.all(np.isfinite(xh)) else math.nan
    out["baseline_drift"] = float(np.mean([abs(ln["angle_deg"]) for ln in info]))
    out["left_margin_drift"] = margin_truth(np.array([ln["x_min"] for ln in info]),
                                            np.array([ln["baseline"] for ln in info]))
    out["out_of_range_time"] = float(gaps)
    for key in ("x_height", "slant", "word_spacing", "letter_spacing", "ascender_height", "descender_height"):
        v = np.array([ln.get(key, math.nan) for ln in info], dtype=np.float64)
        v = v[np.isfinite(v)]
        out[key] = float(np.median(v)) if v.size else math.nan
    out.update(extra)
    return out


def _delay(rec: Recording, line_xh: float, late: np.ndarray) -> tuple[Recording, list[Recording]]:
    """Cut the strokes flagged `late` out of `rec` (their time removed); return the rest and the cut strokes."""
    st, sp = rec.stroke_bounds()
    keep = np.ones(len(rec), dtype=bool)
    cut: list[Recording] = []
    shift = np.zeros(len(rec))
    for i in np.flatnonzero(late):  # loop over a few dots and bars
        keep[st[i]:sp[i]] = False
        cut.append(rec[int(st[i]):int(sp[i])])
        if sp[i] < len(rec):
            shift[sp[i]:] += rec.t[sp[i]] - rec.t[st[i]]
    t = rec.t - shift
    return rec.replace(t=t)[keep], cut


def _append_strokes(pc: dict[str, np.ndarray], strokes: list[Recording], line: int, dt: float,
                    hover_speed_mm_s: float) -> dict[str, np.ndarray]:
    """Append late strokes after `pc`: hover to each (straight, constant speed), write it, hover 0.1 s."""
    parts = [pc]
    x, y, t = float(pc["x"][-1]), float(pc["y"][-1]), float(pc["t"][-1])
    for s in strokes:
        sx, sy = float(s.x[0]), float(s.y[0])
        dist = math.hypot(sx - x, sy - y)
        k = max(int(round((0.15 + dist / hover_speed_mm_s) / dt)), 2)
        f = np.arange(1, k + 1) / (k + 1)
        f = f * f * (3 - 2 * f)
        parts.append({"t": t + dt * np.arange(1, k + 1), "x": x + (sx - x) * f, "y": y + (sy - y) * f,
                      "p": np.zeros(k), "down": np.zeros(k, bool), "line": np.full(k, -1)})
        t = t + dt * (k + 1)
        w = _pieces(s, line)
        w["t"] = w["t"] - w["t"][0] + t
        parts.append(w)
        x, y, t = float(w["x"][-1]), float(w["y"][-1]), float(w["t"][-1])
    k = max(int(round(0.1 / dt)), 1)
    parts.append(_hover(x, y, t + dt, 0.1, dt))
    return _cat(parts)


def page(
    text: Sequence[str] | None = None,
    *,
    n_lines: int = 6,
    x_height_mm: float | Sequence[float] = 3.5,
    line_spacing_xh: float = 2.6,
    angle_sd_deg: float = 0.8,
    page_angle_sd_deg: float = 1.5,
    margin_drift_mm: float = 0.8,
    slant_deg: float = 8.0,
    late_share: float = 0.5,
    page_late_share: float = 0.15,
    burst_share: float = 0.3,
    burst_s: float = 1.5,
    return_s: tuple[float, float] = (0.5, 1.2),
    speed_mm_s: float = 25.0,
    seed: int | None = None,
    **handwriting_kw: Any,
) -> Recording:
    """A synthetic page: lines of :func:`~penmotor.synth.handwriting` stacked as a child writes them.

    Parameters
    ----------
    text : sequence of str, optional
        One string per line; default the first `n_lines` of :data:`PARAGRAPH`.
    n_lines : int
        Number of lines when `text` is not given (1-10).
    x_height_mm : float or sequence of float
        Per line, or one value: each line then varies by a factor ``1 + 0.08 N(0, 1)``.
    line_spacing_xh : float
        Baseline-to-baseline distance in (mean) x-heights; below 3 (the default
        ascender plus descender), descenders and ascenders of neighbouring lines overlap.
    angle_sd_deg, page_angle_sd_deg : float
        SD of each line's angle about the page's, and of the page's angle (the sheet
        on the tablet, lines drifting up or down), degrees.
    margin_drift_mm : float
        The left edge moves right by this much per line (plus 0.5 mm noise).
    slant_deg : float
        Slant of every line (each line adds ``N(0, 2)`` degrees).
    late_share, page_late_share : float
        Share of the dots and cross-bars written at the end of their line, and at the end
        of the page; the others are written in place.
    burst_share, burst_s : float
        Share of lines written in two bursts, with the pen out of range for `burst_s`
        between two words (needs two words on the line).
    return_s : (float, float)
        Range of the out-of-range line-return times, s (uniform).
    speed_mm_s : float
        Writing speed of every line.
    seed : int, optional
        Same seed, same page.
    **handwriting_kw
        Further arguments of :func:`~penmotor.synth.handwriting` (``size_cv``, ``rate_hz``, ...).

    Returns
    -------
    Recording
        See the module docstring for ``meta``.

    Examples
    --------
    >>> pg = page(n_lines=7, seed=3)
    >>> pg.meta["truth"]["n_lines"], pg.meta["line_of_stroke"].max() + 1
    (7, np.int64(7))
    >>> late = pg.meta["late_strokes"]
    >>> bool(late["end_of_line"] > 0)
    True
    """
    from .writing import handwriting

    rng = np.random.default_rng(seed)
    if text is None:
        if not (isinstance(n_lines, (int, np.integer)) and 1 <= n_lines <= len(PARAGRAPH)):
            raise ParameterError(f"n_lines: expected an integer 1..{len(PARAGRAPH)}, got {n_lines!r}")
        text = PARAGRAPH[:n_lines]
    if isinstance(text, str) or len(text) == 0:
        raise ParameterError("text: expected a sequence of strings, one per line")
    n = len(text)
    xh_arg = np.atleast_1d(np.asarray(x_height_mm, dtype=np.float64))
    if xh_arg.size == 1:
        xh = xh_arg[0] * np.clip(1 + 0.08 * rng.standard_normal(n), 0.7, 1.3)
    elif xh_arg.size == n:
        xh = xh_arg
    else:
        raise ParameterError(f"x_height_mm: expected one value or {n}, got {x_height_mm!r}")
    if not np.all(np.isfinite(xh) & (xh > 0)):
        raise ParameterError(f"x_height_mm: expected positive values, got {x_height_mm!r}")
    for nm, v in (("line_spacing_xh", line_spacing_xh), ("burst_s", burst_s), ("speed_mm_s", speed_mm_s)):
        _check(nm, v, strict=True)
    for nm, v in (("angle_sd_deg", angle_sd_deg), ("page_angle_sd_deg", page_angle_sd_deg), ("margin_drift_mm", abs(margin_drift_mm))):
        _check(nm, v)
    for nm, v in (("late_share", late_share), ("page_late_share", page_late_share), ("burst_share", burst_share)):
        _check(nm, v)
        if v > 1:
            raise ParameterError(f"{nm}: expected a share 0..1, got {v!r}")
    if late_share + page_late_share > 1:
        raise ParameterError("late_share + page_late_share: expected at most 1")
    lo_r, hi_r = return_s
    _check("return_s", lo_r, strict=True)
    _check("return_s", hi_r - lo_r)
    recs, truths, end_of_line, end_of_page = [], [], 0, []
    pieces = []
    rate = float(handwriting_kw.get("rate_hz", 200.0))
    dt = 1.0 / rate
    for k, line_text in enumerate(text):
        sl = slant_deg + 2.0 * rng.standard_normal()
        r = handwriting(line_text, x_height_mm=float(xh[k]), slant_deg=sl, speed_mm_s=speed_mm_s,
                              seed=int(rng.integers(2**31)), **handwriting_kw)
        tr = dict(r.meta["truth"])
        tr["baseline_y"] = 100.0  # handwriting's baseline (see penmotor.synth.writing)
        tr["text"] = line_text
        # dots and cross-bars: flat strokes (height below 0.3 x-heights)
        st, sp = r.stroke_bounds()
        hgt = np.array([np.ptp(r.y[a:b]) for a, b in zip(st, sp)])
        small = np.flatnonzero(hgt < 0.3 * xh[k])
        u = rng.random(small.size)
        to_line = np.zeros(st.size, dtype=bool)
        to_page = np.zeros(st.size, dtype=bool)
        to_line[small[u < late_share]] = True
        to_page[small[(u >= late_share) & (u < late_share + page_late_share)]] = True
        r2, cut = _delay(r, float(xh[k]), to_line | to_page)
        late_flags = to_page[to_line | to_page]
        end_of_line += int(np.count_nonzero(~late_flags))
        # a burst: the pen leaves the tablet between two words, for burst_s
        words = line_text.split()
        if len(words) >= 2 and rng.random() < burst_share:
            st2, sp2 = r2.stroke_bounds()
            pause = r2.t[st2[1:]] - r2.t[sp2[:-1] - 1]
            j = int(np.argsort(pause)[-1 - int(rng.integers(min(2, pause.size)))])
            cut_at = int(sp2[j] + (st2[j + 1] - sp2[j]) // 2)
            t2 = r2.t.copy()
            t2[cut_at:] += burst_s
            r2 = r2.replace(t=t2)
            tr["burst_gap_s"] = float(r2.t[cut_at] - r2.t[cut_at - 1])
        recs.append((r2, [c for c, f in zip(cut, late_flags) if not f], [c for c, f in zip(cut, late_flags) if f]))
        truths.append(tr)
    # place the lines: the page layout
    mean_xh = float(np.mean(xh))
    spacing = line_spacing_xh * mean_xh * (1 + 0.05 * rng.standard_normal(n))
    angles = page_angle_sd_deg * rng.standard_normal() + angle_sd_deg * rng.standard_normal(n)
    lefts = 20.0 + margin_drift_mm * np.arange(n) + 0.5 * rng.standard_normal(n)
    rets = rng.uniform(lo_r, hi_r, n)
    # lines with their end-of-line strokes appended (written after the line, before the return)
    full = []
    for k, (r2, line_late, page_late) in enumerate(recs):
        if line_late:
            pc = _append_strokes(_pieces(r2, k), line_late, k, dt, 1.5 * speed_mm_s)
            r2 = Recording.from_arrays(pc["t"], pc["x"], pc["y"], pc["p"], pen_down=pc["down"], meta=r2.meta)
        full.append(r2)
        end_of_page += [(k, c) for c in page_late]
    pg = stack_lines(full, line_spacing_mm=spacing, angles_deg=angles, left_mm=lefts, return_s=rets,
                     truths=truths, meta={"task": "page", "text": list(text)})
    # strokes written at the end of the page, back on their lines (placed as their line was)
    extra_gap = 0.0
    if end_of_page:
        pc = _pieces(pg, -1)
        pc["line"] = np.full(len(pg), -1)
        st, _ = pg.stroke_bounds()
        pc["line"][st] = pg.meta["line_of_stroke"]
        ffill = np.maximum.accumulate(np.where(pc["line"] >= 0, np.arange(len(pg)), 0))
        pc["line"] = np.where(pg.pen_down, pc["line"][ffill], -1)
        moved = []
        for k, c in end_of_page:  # a few strokes
            ln = pg.meta["lines"][k]
            r2 = full[k]
            x0 = float(np.min(r2.x[r2.pen_down]))
            ref = 100.0
            a = math.radians(ln["angle_deg"])
            dx, dy = c.x - x0, c.y - ref
            moved.append(c.replace(x=ln["left"] + dx * math.cos(a) - dy * math.sin(a),
                                   y=ln["baseline"] + dx * math.sin(a) + dy * math.cos(a)))
        # out of range, then back to the first late stroke's line
        ret = float(rng.uniform(lo_r, hi_r))
        t_last = float(pc["t"][-1])
        pre = _hover(float(moved[0].x[0]), float(moved[0].y[0]), t_last + ret, 0.05, dt)
        extra_gap += ret
        pc = _cat([pc, pre])
        out = [pc]
        x, y, t = float(pre["x"][-1]), float(pre["y"][-1]), float(pre["t"][-1])
        for (k, _), c in zip(end_of_page, moved):
            seg = _append_strokes({"t": np.array([t]), "x": np.array([x]), "y": np.array([y]), "p": np.zeros(1),
                                   "down": np.zeros(1, bool), "line": np.full(1, -1)}, [c], k, dt,
                                  1.5 * speed_mm_s)
            seg = {kk: vv[1:] for kk, vv in seg.items()}
            out.append(seg)
            x, y, t = float(seg["x"][-1]), float(seg["y"][-1]), float(seg["t"][-1])
        allp = _cat(out)
        m = dict(pg.meta)
        st = np.flatnonzero(np.diff(np.r_[0, allp["down"].astype(np.int8)]) == 1)
        m["line_of_stroke"] = allp["line"][st].astype(np.intp)
        pg = Recording.from_arrays(allp["t"], allp["x"], allp["y"], allp["p"], pen_down=allp["down"], meta=m)
    tr = dict(pg.meta["truth"])
    tr["out_of_range_time"] = float(tr["out_of_range_time"] + extra_gap
                                    + sum(t.get("burst_gap_s", 0.0) for t in truths))
    return pg.with_meta(truth=tr, late_strokes={"end_of_line": end_of_line, "end_of_page": len(end_of_page)})
