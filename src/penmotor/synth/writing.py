"""Synthetic handwriting with known ground truth: :func:`handwriting`.

Every recording made here carries its answers in ``rec.meta["truth"]``, keyed by
registered feature names (``"x_height"``, ``"word_spacing"``, ``"slant"``,
``"tremor_frequency"``, ...), so metrics can be validated against numbers that are
true by construction. Everything is deterministic given ``seed``.

The model
---------
* **Letters** come from a small single-line print alphabet (``a``-``z``), drawn in
  units of the x-height: x-height letters span ``0..1``, ascenders (b d f h k l t) reach
  ``ascender_mm``, descenders (g j p q y) reach ``-descender_mm`` below the baseline;
  ``i`` and ``j`` have a dot and ``f``, ``t`` a cross-bar (separate strokes), ``x`` is two
  strokes. Each letter is built from line and ellipse-arc primitives whose vertical
  extrema lie exactly on the baseline, midline, ascender or descender line, and whose
  down-strokes between extrema are vertical before shearing, so a slant of ``s``
  degrees makes every such chord lean by exactly ``s``.
* **Movement**: each primitive is travelled with a lognormal speed profile (the
  sigma-lognormal model of Plamondon with the component path fixed to the primitive);
  consecutive primitives overlap in time (30 %), except at cusps (a turn of more than
  100 degrees, e.g. the retrace of ``n``) where the pen comes (almost) to rest. The
  arc length along a stroke is ``s(t) = sum_i L_i Phi((ln(t - t0_i) - mu_i) / sigma_i)``,
  monotone, so the path geometry is exact while the speed is smooth. Each component's
  duration varies log-normally (``timing_cv``, default 0.2: people are not
  metronomes), and all are scaled so that the mean pen-down speed (ink length /
  pen-down time) is ``speed_mm_s``.
* **Geometry** per letter: size factor ``g ~ 1 + size_cv N(0, 1)`` (clipped to >= 0.3)
  scales the whole letter, shear ``x += y tan(slant)`` (positive = right-leaning; per
  letter ``slant_deg + slant_sd_deg N(0, 1)``), a
  vertical baseline offset ``~ N(0, baseline_sd_mm)``, then the letter is placed so
  that the horizontal gap between its ink bounding box and the previous letter's is
  ``letter_spacing_mm`` (times ``1 + spacing_cv N(0,1)``), or ``word_spacing_mm``
  between words. **Word spacing** is the horizontal gap between the bounding boxes of
  the pen-down ink (pen centre line) of consecutive words; letter spacing likewise
  between consecutive letters of a word. The truth values are re-measured on the
  final samples (they equal the requested values up to sampling, ~0.01 mm).
* **Pen lifts**: between strokes the pen hovers (``pen_down`` False, pressure 0) along
  a minimum-jerk path, for 0.06 s x ``pause_scale`` plus the travel distance over
  ``hover_speed_ratio`` x ``speed_mm_s``; 0.15 s x ``pause_scale`` longer between words;
  0.1 s of hover before and after.
* **Pressure**: ``pressure`` plus a per-stroke offset ``~ N(0, pressure_sd)``, rising
  and falling smoothly over the first/last 50 ms (never below 15 % of the level).
* **Tremor**: ``A sin(2 pi f t + phi)`` added to x and y along one fixed direction
  (``tremor_direction_deg``, default 45 degrees), on pen-down and hover samples;
  ``A`` is the amplitude = half the peak-to-peak displacement, as in the
  ``tremor_amplitude`` feature.
* **Sampling**: at ``rate_hz`` with Gaussian time jitter ``jitter_s`` (the sample
  instants are irregular but in order; positions are taken at those instants), and a fraction
  ``duplicate_fraction`` of samples reported with the previous sample's time stamp
  (ties, kept by the policy). Raw values are quantised to a synthetic device
  (``"penmotor synth"``: 200 lines/mm, pressure 0..1023, time in ms) and converted by
  :meth:`Recording.from_raw`, so ``rec.raw`` holds device units.

Examples
--------
>>> rec = handwriting("hello world", x_height_mm=4.0, seed=1)
>>> rec.meta["truth"]["x_height"], round(rec.meta["truth"]["word_spacing"], 1)
(4.0, 6.0)
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from ..devices import Device
from ..errors import ParameterError
from ..recording import Recording
from ._base import check_number, finish_recording, min_jerk, sample_times, smoothstep

__all__ = ["handwriting", "ALPHABET", "ASCENDERS", "DESCENDERS"]

ASCENDERS = frozenset("bdfhklt")
DESCENDERS = frozenset("gjpqy")
#: The letters :func:`handwriting` can write (plus spaces between words).
ALPHABET = "abcdefghijklmnopqrstuvwxyz"
_ORIGIN = (20.0, 100.0)  # where the first letter's baseline starts on the page (mm)
_STEP = 0.01  # dense path resolution in x-height units


# ----------------------------------------------------------------------------- alphabet
def _line(*pts: tuple[float, float]) -> list[np.ndarray]:
    out = []
    for p0, p1 in zip(pts[:-1], pts[1:]):
        p0a, p1a = np.asarray(p0, float), np.asarray(p1, float)
        n = max(2, int(math.ceil(np.hypot(*(p1a - p0a)) / _STEP)) + 1)
        u = np.linspace(0.0, 1.0, n)[:, None]
        out.append(p0a + u * (p1a - p0a))
    return out


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float) -> list[np.ndarray]:
    """Ellipse arc from angle a0 to a1 (degrees, either direction), split at its y-extrema."""
    lo, hi = min(a0, a1), max(a0, a1)
    cuts = [a for a in np.arange(90.0 + 180.0 * math.floor((lo - 90.0) / 180.0), hi, 180.0) if lo < a < hi]
    angles = [a0] + (sorted(cuts) if a1 > a0 else sorted(cuts, reverse=True)) + [a1]
    out = []
    for b0, b1 in zip(angles[:-1], angles[1:]):
        n = max(3, int(math.ceil(abs(np.deg2rad(b1 - b0)) * max(rx, ry) / _STEP)) + 1)
        a = np.deg2rad(np.linspace(b0, b1, n))
        out.append(np.column_stack((cx + rx * np.cos(a), cy + ry * np.sin(a))))
    return out


def _dot(x: float, y: float) -> list[np.ndarray]:
    return _line((x, y), (x + 0.03, y - 0.03))


@functools.lru_cache(maxsize=64)
def _alphabet(a: float, d: float) -> dict[str, list[list[np.ndarray]]]:
    """Letter templates (x-height units) for ascender height a and descender depth d."""
    L, E = _line, _arc
    bowl = E(0.35, 0.5, 0.35, 0.5, 0, 360)
    g_hook = E(0.45, -d + 0.2, 0.25, 0.2, 0, -180)
    letters: dict[str, list[list[np.ndarray]]] = {
        "a": [bowl + L((0.7, 0.5), (0.7, 1), (0.7, 0))],
        "b": [L((0, a), (0, 0), (0, 0.5)) + E(0.35, 0.5, 0.35, 0.5, 180, -180)],
        "c": [E(0.35, 0.5, 0.35, 0.5, 50, 310)],
        "d": [bowl + L((0.7, 0.5), (0.7, a), (0.7, 0))],
        "e": [L((0, 0.5), (0.7, 0.5)) + E(0.35, 0.5, 0.35, 0.5, 0, 310)],
        "f": [E(0.45, a - 0.2, 0.2, 0.2, 10, 180) + L((0.25, a - 0.2), (0.25, 0)), L((0, 1), (0.5, 1))],
        "g": [bowl + L((0.7, 0.5), (0.7, 1), (0.7, -d + 0.2)) + g_hook],
        "h": [L((0, a), (0, 0), (0, 0.5)) + E(0.35, 0.5, 0.35, 0.5, 180, 0) + L((0.7, 0.5), (0.7, 0))],
        "i": [L((0, 1), (0, 0)), _dot(0, 1.5)],
        "j": [L((0.3, 1), (0.3, -d + 0.2)) + E(0.1, -d + 0.2, 0.2, 0.2, 0, -180), _dot(0.3, 1.5)],
        "k": [L((0, a), (0, 0), (0, 0.4), (0.55, 1), (0.1, 0.45), (0.6, 0))],
        "l": [L((0, a), (0, 0))],
        "m": [L((0, 1), (0, 0), (0, 0.5)) + E(0.25, 0.5, 0.25, 0.5, 180, 0) + L((0.5, 0.5), (0.5, 0), (0.5, 0.5))
              + E(0.75, 0.5, 0.25, 0.5, 180, 0) + L((1, 0.5), (1, 0))],
        "n": [L((0, 1), (0, 0), (0, 0.5)) + E(0.35, 0.5, 0.35, 0.5, 180, 0) + L((0.7, 0.5), (0.7, 0))],
        "o": [E(0.35, 0.5, 0.35, 0.5, 90, 450)],
        "p": [L((0, 1), (0, -d), (0, 0.5)) + E(0.35, 0.5, 0.35, 0.5, 180, -180)],
        "q": [bowl + L((0.7, 0.5), (0.7, 1), (0.7, -d))],
        "r": [L((0, 1), (0, 0), (0, 0.5)) + E(0.3, 0.5, 0.3, 0.5, 180, 45)],
        "s": [E(0.3, 0.75, 0.3, 0.25, 20, 270) + E(0.3, 0.25, 0.3, 0.25, 90, -160)],
        "t": [L((0.25, a), (0.25, 0.15)) + E(0.45, 0.15, 0.2, 0.15, 180, 330), L((0, 1), (0.55, 1))],
        "u": [L((0, 1), (0, 0.5)) + E(0.35, 0.5, 0.35, 0.5, 180, 360) + L((0.7, 0.5), (0.7, 1), (0.7, 0))],
        "v": [L((0, 1), (0.35, 0), (0.7, 1))],
        "w": [L((0, 1), (0.25, 0), (0.5, 1), (0.75, 0), (1, 1))],
        "x": [L((0, 1), (0.6, 0)), L((0.6, 1), (0, 0))],
        "y": [L((0, 1), (0, 0.5)) + E(0.35, 0.5, 0.35, 0.5, 180, 360) + L((0.7, 0.5), (0.7, 1), (0.7, -d + 0.2))
              + g_hook],
        "z": [L((0, 1), (0.6, 1), (0, 0), (0.6, 0))],
    }
    return letters


def _stroke_plan(prims: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Dense path, its cumulative arc length, primitive lengths and junction overlaps."""
    pts = np.concatenate([prims[0]] + [p[1:] for p in prims[1:]])
    lens = np.array([np.hypot(*np.diff(p, axis=0).T).sum() for p in prims])
    cum = np.concatenate(([0.0], np.cumsum(np.hypot(*np.diff(pts, axis=0).T))))
    # turn angle at each junction -> overlap (0 at cusps: the pen nearly stops)
    t_end = np.array([p[-1] - p[-2] for p in prims[:-1]]).reshape(-1, 2)
    t_beg = np.array([p[1] - p[0] for p in prims[1:]]).reshape(-1, 2)
    cosang = np.einsum("ij,ij->i", t_end, t_beg) / (
        np.linalg.norm(t_end, axis=1) * np.linalg.norm(t_beg, axis=1) + 1e-300
    )
    overlap = np.where(cosang < math.cos(math.radians(100.0)), 0.0, 0.3)
    return pts, cum, lens, overlap


# ----------------------------------------------------------------------------- handwriting
def handwriting(
    text: str = "hello world",
    *,
    x_height_mm: float = 3.0,
    ascender_mm: float | None = None,
    descender_mm: float | None = None,
    letter_spacing_mm: float | None = None,
    word_spacing_mm: float | None = None,
    slant_deg: float = 0.0,
    speed_mm_s: float = 25.0,
    pressure: float = 0.5,
    pressure_sd: float = 0.05,
    size_cv: float = 0.0,
    baseline_sd_mm: float = 0.0,
    tremor_hz: float | None = None,
    tremor_amplitude_mm: float = 0.0,
    rate_hz: float = 200.0,
    jitter_s: float = 0.0,
    duplicate_fraction: float = 0.0,
    device: Device | str | None = None,
    seed: int | None = None,
    spacing_cv: float = 0.0,
    tremor_direction_deg: float = 45.0,
    timing_cv: float = 0.2,
    slant_sd_deg: float = 0.0,
    pause_scale: float = 1.0,
    hover_speed_ratio: float = 1.5,
) -> Recording:
    """One line of synthetic print handwriting with ground truth in ``meta["truth"]``.

    Parameters
    ----------
    text : str
        Lower-case letters a-z and spaces (upper case is lowered); words are separated by
        runs of white space.
    x_height_mm : float
        Height of x-height letters (baseline to midline), mm.
    ascender_mm, descender_mm : float, optional
        Height of ascenders above the baseline (default ``2 * x_height_mm``) and depth of
        descenders below it (default ``x_height_mm``), mm.
    letter_spacing_mm, word_spacing_mm : float, optional
        Horizontal gap between the ink bounding boxes of consecutive letters of a word
        (default ``0.35 * x_height_mm``) and of consecutive words (default
        ``1.5 * x_height_mm``), measured on the pen centre line, mm.
    slant_deg : float
        Shear angle of the letters, degrees, positive = right-leaning (|slant| < 60).
    speed_mm_s : float
        Mean pen-down speed (ink length / pen-down time), mm/s.
    pressure, pressure_sd : float
        Mean pen-down pressure (0-1) and SD of the per-stroke pressure level.
    size_cv : float
        Coefficient of variation of the per-letter size factor.
    baseline_sd_mm : float
        SD of the per-letter vertical offset from the straight baseline, mm.
    tremor_hz, tremor_amplitude_mm : float
        Tremor ``A sin(2 pi f t + phi)`` along ``tremor_direction_deg``; none when
        ``tremor_hz`` is None. A = half the peak-to-peak displacement, mm.
    rate_hz, jitter_s, duplicate_fraction : float
        Sampling rate, SD of the sampling-time jitter (s), share of samples reported
        with the previous sample's time stamp.
    device : Device or str, optional
        Device for the raw units (default :data:`SYNTH_DEVICE` whose nominal rate is
        200 Hz).
    seed : int, optional
        Random seed; same seed, same recording.
    spacing_cv : float
        Coefficient of variation of the letter gaps (default 0: all equal).
    tremor_direction_deg : float
        Direction of the tremor displacement, degrees from the x axis.
    timing_cv : float
        Log-normal variability of each movement component's duration (0 = metronomic
        writing, whose regular rhythm forms a spectral line like a tremor's).
    slant_sd_deg : float
        SD of the per-letter slant around `slant_deg` (degrees).
    pause_scale : float
        Multiplier of the fixed (hesitation) part of every pen lift: 0.06 s per lift plus
        0.15 s more between words at 1.0. The travel part of a lift (distance /
        (``hover_speed_ratio`` x ``speed_mm_s``)) and the 0.1 s of hover at both ends are
        not scaled.
    hover_speed_ratio : float
        Mean in-air travel speed between strokes as a multiple of ``speed_mm_s``.

    Returns
    -------
    Recording
        ``meta``: ``task="sentence"``, ``text``, ``params`` (the arguments), ``truth``
        (feature name -> true value: ``x_height``, ``ascender_height``,
        ``descender_height``, ``letter_spacing``, ``word_spacing``,
        ``letter_spacing_xh``, ``word_spacing_xh``, ``slant``, ``size_cv``,
        ``baseline_deviation``, ``speed_mean``, ``pressure_mean``, ``stroke_count``,
        ``in_air_ratio``, ``tremor_frequency`` (NaN without tremor), ``tremor_amplitude``),
        and ``letters``: per-letter ``(letter, word index, x_min, x_max)`` in mm.

        Truth definitions: ``x_height``, ``ascender_height``, ``descender_height`` = the
        parameter times the mean per-letter size factor; ``letter_spacing`` /
        ``word_spacing`` = mean gap between the pen-down ink boxes of consecutive letters
        of a word / of consecutive words, re-measured on the final samples (``_xh``:
        divided by ``x_height``); ``spacing_cv`` = SD/mean (ddof=0) of those letter gaps;
        ``size_cv`` = SD/mean (ddof=1) of the per-letter size factors;
        ``baseline_deviation`` = RMS of the per-letter baseline offsets about their
        least-squares straight line over the letter centres (0 without
        ``baseline_sd_mm``); ``slant`` / ``slant_sd`` = mean / SD (ddof=0) of the per-letter
        slants; ``speed_mean`` = ink length / pen-down time;
        ``in_air_ratio`` = designed hover time / pen-down time; ``pressure_mean`` = mean of
        the pen-down pressure samples.

    Raises
    ------
    ParameterError
        For characters outside a-z/space or out-of-range numbers (the message names
        the argument).

    Examples
    --------
    >>> rec = handwriting("hi there", x_height_mm=3.0, slant_deg=10, seed=0)
    >>> rec.meta["task"], rec.meta["truth"]["slant"]
    ('sentence', 10.0)
    >>> bool(rec.pen_down.any() and (~rec.pen_down).any())
    True
    >>> handwriting("hi", seed=3) == handwriting("hi", seed=3)
    True
    """
    from scipy.special import ndtr  # here, not at module level: `import penmotor` stays free of scipy

    if not isinstance(text, str):
        raise ParameterError(f"text: expected a str, got {type(text).__name__}")
    words = text.lower().split()
    if not words:
        raise ParameterError("text: expected at least one letter, got only white space")
    bad = sorted({c for w in words for c in w if c not in ALPHABET})
    if bad:
        raise ParameterError(f"text: only letters a-z and spaces are supported, got {''.join(bad)!r}")
    check_number("x_height_mm", x_height_mm, strict=True)
    xh = float(x_height_mm)
    asc = 2.0 * xh if ascender_mm is None else float(ascender_mm)
    desc = xh if descender_mm is None else float(descender_mm)
    check_number("ascender_mm", asc, lo=1.3 * xh)
    check_number("descender_mm", desc, lo=0.3 * xh)
    lsp = 0.35 * xh if letter_spacing_mm is None else float(letter_spacing_mm)
    wsp = 1.5 * xh if word_spacing_mm is None else float(word_spacing_mm)
    check_number("letter_spacing_mm", lsp)
    check_number("word_spacing_mm", wsp)
    check_number("slant_deg", abs(slant_deg))
    if abs(slant_deg) >= 60:
        raise ParameterError(f"slant_deg: expected |slant_deg| < 60, got {slant_deg!r}")
    check_number("speed_mm_s", speed_mm_s, strict=True)
    check_number("pressure", pressure, strict=True)
    if pressure > 1:
        raise ParameterError(f"pressure: expected 0 < pressure <= 1, got {pressure!r}")
    for nm, v in (("pressure_sd", pressure_sd), ("size_cv", size_cv), ("baseline_sd_mm", baseline_sd_mm),
                  ("tremor_amplitude_mm", tremor_amplitude_mm), ("jitter_s", jitter_s),
                  ("spacing_cv", spacing_cv), ("timing_cv", timing_cv), ("slant_sd_deg", slant_sd_deg),
                  ("pause_scale", pause_scale)):
        check_number(nm, v)
    check_number("hover_speed_ratio", hover_speed_ratio, strict=True)
    check_number("tremor_hz", tremor_hz, strict=True, allow_none=True)
    check_number("rate_hz", rate_hz, strict=True)
    check_number("duplicate_fraction", duplicate_fraction)
    if duplicate_fraction >= 1:
        raise ParameterError(f"duplicate_fraction: expected 0 <= value < 1, got {duplicate_fraction!r}")
    rng = np.random.default_rng(seed)
    params = dict(text=text, x_height_mm=xh, ascender_mm=asc, descender_mm=desc, letter_spacing_mm=lsp,
                  word_spacing_mm=wsp, slant_deg=float(slant_deg), speed_mm_s=float(speed_mm_s),
                  pressure=float(pressure), pressure_sd=float(pressure_sd), size_cv=float(size_cv),
                  baseline_sd_mm=float(baseline_sd_mm), tremor_hz=tremor_hz,
                  tremor_amplitude_mm=float(tremor_amplitude_mm), rate_hz=float(rate_hz),
                  jitter_s=float(jitter_s), duplicate_fraction=float(duplicate_fraction), seed=seed,
                  spacing_cv=float(spacing_cv), tremor_direction_deg=float(tremor_direction_deg),
                  timing_cv=float(timing_cv), slant_sd_deg=float(slant_sd_deg),
                  pause_scale=float(pause_scale), hover_speed_ratio=float(hover_speed_ratio))

    alpha = _alphabet(round(asc / xh, 6), round(desc / xh, 6))
    x0, y0 = _ORIGIN

    # --- geometry: place letters -----------------------------------------------------
    strokes: list[dict[str, Any]] = []  # path, cum, lens, overlap, word, letter
    letters_info: list[tuple[str, int, float, float]] = []
    factors, offsets, centres, slants = [], [], [], []
    cursor = x0
    li = 0
    for wi, word in enumerate(words):
        if wi > 0:
            cursor += wsp
        for ci, ch in enumerate(word):
            if ci > 0:
                cursor += max(0.0, lsp * (1.0 + spacing_cv * rng.standard_normal()))
            g = max(0.3, 1.0 + size_cv * rng.standard_normal()) if size_cv > 0 else 1.0
            off = baseline_sd_mm * rng.standard_normal() if baseline_sd_mm > 0 else 0.0
            sl_k = slant_deg + slant_sd_deg * rng.standard_normal() if slant_sd_deg > 0 else float(slant_deg)
            sl_k = float(np.clip(sl_k, -60.0, 60.0))
            shear = math.tan(math.radians(sl_k))
            slants.append(sl_k)
            plans = []
            for prims in alpha[ch]:
                pts, cum, lens, ovl = _stroke_plan(prims)
                sx = g * xh * pts[:, 0]
                sy = g * xh * pts[:, 1]
                plans.append([np.column_stack((sx + sy * shear, sy + off + y0)), cum * g * xh, lens * g * xh, ovl])
            xmin = min(p[0][:, 0].min() for p in plans)
            xmax = max(p[0][:, 0].max() for p in plans)
            dx = cursor - xmin
            for p in plans:
                p[0][:, 0] += dx
                strokes.append({"path": p[0], "cum": p[1], "lens": p[2], "ovl": p[3], "word": wi, "letter": li})
            letters_info.append((ch, wi, cursor, xmax + dx))
            factors.append(g)
            offsets.append(off)
            centres.append(0.5 * (cursor + xmax + dx))
            cursor = xmax + dx
            li += 1

    # --- timing: lognormal components per primitive (normalised time) ----------------
    for s in strokes:
        lens = s["lens"] / xh
        n = lens.size
        sig = 0.3 + 0.05 * rng.uniform(-1, 1, n)
        dur = 0.12 + 0.16 * np.power(lens, 0.7)  # active window of each component
        if timing_cv > 0:  # humans are not metronomes: vary each component's duration
            dur = dur * np.exp(timing_cv * rng.standard_normal(n) - 0.5 * timing_cv**2)
        starts = np.zeros(n)
        if n > 1:
            starts[1:] = np.cumsum(dur[:-1] * (1.0 - s["ovl"]))
        e_mu = dur / (2.0 * np.sinh(3.0 * sig))
        s["mu"] = np.log(e_mu)
        s["sig"] = sig
        s["t0"] = starts - e_mu * np.exp(-3.0 * sig)
        s["T"] = float(np.max(starts + dur))
    total_len = float(sum(s["cum"][-1] for s in strokes))
    total_T = float(sum(s["T"] for s in strokes))
    c = (total_len / speed_mm_s) / total_T  # normalised -> seconds
    # --- timeline: hover, stroke, hover, stroke, ..., hover ---------------------------
    lead = 0.1
    seg_start, seg_dur, seg_kind = [], [], []  # kind: stroke index or -1 for hover
    hp0, hp1 = [], []
    t = 0.0
    prev_end = strokes[0]["path"][0] + np.array([-0.5 * xh, 0.5 * xh])
    for k, s in enumerate(strokes):
        p_start = s["path"][0]
        dist = float(np.hypot(*(p_start - prev_end)))
        hd = lead if k == 0 else 0.06 * pause_scale + dist / (hover_speed_ratio * speed_mm_s)
        if k > 0 and s["word"] != strokes[k - 1]["word"]:
            hd += 0.15 * pause_scale
        seg_start.append(t), seg_dur.append(hd), seg_kind.append(-1)
        hp0.append(prev_end), hp1.append(p_start)
        t += hd
        sd = s["T"] * c
        seg_start.append(t), seg_dur.append(sd), seg_kind.append(k)
        hp0.append(p_start), hp1.append(p_start)
        t += sd
        prev_end = s["path"][-1]
    seg_start.append(t), seg_dur.append(lead), seg_kind.append(-1)
    hp0.append(prev_end), hp1.append(prev_end + np.array([0.5 * xh, 0.5 * xh]))
    t_end = t + lead
    seg_start_a = np.array(seg_start)
    seg_dur_a = np.array(seg_dur)
    kind = np.array(seg_kind)
    hp0a, hp1a = np.array(hp0), np.array(hp1)

    t_true = sample_times(t_end, rate_hz, jitter_s, rng)
    seg = np.clip(np.searchsorted(seg_start_a, t_true, side="right") - 1, 0, len(seg_start) - 1)
    u = (t_true - seg_start_a[seg]) / seg_dur_a[seg]
    mj = min_jerk(u)[:, None]
    xy = hp0a[seg] + (hp1a[seg] - hp0a[seg]) * mj
    down = kind[seg] >= 0
    p = np.zeros(t_true.size)
    level = np.clip(pressure + pressure_sd * rng.standard_normal(len(strokes)), 0.02, 1.0)
    for k, s in enumerate(strokes):
        idx = np.flatnonzero(seg == 2 * k + 1)
        if idx.size == 0:
            continue
        tau = (t_true[idx] - seg_start_a[2 * k + 1]) / c  # normalised time within the stroke
        dt = tau[:, None] - s["t0"][None, :]
        z = (np.log(np.where(dt > 0, dt, 1.0)) - s["mu"]) / s["sig"]
        cdf = np.where(dt > 0, ndtr(z), 0.0)
        arc = cdf @ s["lens"]
        dt_end = s["T"] - s["t0"]
        arc_end = float(ndtr((np.log(dt_end) - s["mu"]) / s["sig"]) @ s["lens"])
        dt_beg = -s["t0"]
        arc_beg = float(np.where(dt_beg > 0, ndtr((np.log(np.where(dt_beg > 0, dt_beg, 1.0)) - s["mu"]) / s["sig"]),
                                 0.0) @ s["lens"])
        arc = np.clip((arc - arc_beg) / (arc_end - arc_beg), 0.0, 1.0) * s["cum"][-1]
        xy[idx, 0] = np.interp(arc, s["cum"], s["path"][:, 0])
        xy[idx, 1] = np.interp(arc, s["cum"], s["path"][:, 1])
        ts = t_true[idx] - seg_start_a[2 * k + 1]
        ramp = min(0.05, 0.3 * seg_dur_a[2 * k + 1])
        env = smoothstep(ts / ramp) * smoothstep((seg_dur_a[2 * k + 1] - ts) / ramp)
        p[idx] = level[k] * (0.15 + 0.85 * env)

    meta: dict[str, Any] = {"task": "sentence", "text": " ".join(words), "source": "penmotor.synth",
                            "params": params}
    rec = finish_recording(t_true, xy[:, 0], xy[:, 1], p, down, tremor_hz=tremor_hz,
                  tremor_amplitude_mm=tremor_amplitude_mm, tremor_direction_deg=tremor_direction_deg,
                  duplicate_fraction=duplicate_fraction, device=device, rng=rng, meta=meta)

    # --- truth, re-measured on the final samples --------------------------------------
    stroke_letter = np.array([s["letter"] for s in strokes])
    stroke_word = np.array([s["word"] for s in strokes])
    st, sp = rec.stroke_bounds()
    pdn = rec.pen_down
    lo_x = np.minimum.reduceat(np.where(pdn, rec.x, np.inf), st) if st.size else np.array([])
    hi_x = np.maximum.reduceat(np.where(pdn, rec.x, -np.inf), st) if st.size else np.array([])
    if st.size == len(strokes):
        nl = len(letters_info)
        lmin = np.full(nl, np.inf)
        lmax = np.full(nl, -np.inf)
        np.minimum.at(lmin, stroke_letter, lo_x[: len(strokes)])
        np.maximum.at(lmax, stroke_letter, hi_x[: len(strokes)])
        nw = len(words)
        wmin = np.full(nw, np.inf)
        wmax = np.full(nw, -np.inf)
        np.minimum.at(wmin, stroke_word, lo_x)
        np.maximum.at(wmax, stroke_word, hi_x)
        lw = np.array([w for _, w, _, _ in letters_info])
        same = lw[1:] == lw[:-1]
        lgaps = (lmin[1:] - lmax[:-1])[same]
        wgaps = wmin[1:] - wmax[:-1]
    else:  # pragma: no cover - a stroke shorter than one sample interval
        lgaps = np.array([lsp])
        wgaps = np.array([wsp] * (len(words) - 1))
    fac = np.asarray(factors)
    offs = np.asarray(offsets)
    if offs.size >= 3 and baseline_sd_mm > 0:
        cx = np.asarray(centres)
        coef = np.polyfit(cx, offs, 1)
        bdev = float(np.sqrt(np.mean((offs - np.polyval(coef, cx)) ** 2)))
    else:
        bdev = 0.0
    down_t = float(np.sum(seg_dur_a[kind >= 0]))
    air_t = float(np.sum(seg_dur_a[kind < 0]))
    pd = rec.pen_down
    truth = {
        "x_height": xh * float(fac.mean()),
        "ascender_height": asc * float(fac.mean()),
        "descender_height": desc * float(fac.mean()),
        "letter_spacing": float(lgaps.mean()) if lgaps.size else math.nan,
        "word_spacing": float(wgaps.mean()) if wgaps.size else math.nan,
        "letter_spacing_xh": float(lgaps.mean()) / (xh * float(fac.mean())) if lgaps.size else math.nan,
        "word_spacing_xh": float(wgaps.mean()) / (xh * float(fac.mean())) if wgaps.size else math.nan,
        "spacing_cv": float(lgaps.std() / lgaps.mean()) if lgaps.size > 1 and lgaps.mean() > 0 else math.nan,
        "slant": float(np.mean(slants)),
        "slant_sd": float(np.std(slants)),
        "size_cv": float(fac.std(ddof=1) / fac.mean()) if fac.size > 1 else 0.0,
        "baseline_deviation": bdev,
        "speed_mean": float(speed_mm_s),
        "pressure_mean": float(np.mean(rec.pressure[pd])) if pd.any() else math.nan,
        "stroke_count": float(len(strokes)),
        "in_air_ratio": air_t / down_t,
        "tremor_frequency": float(tremor_hz) if tremor_hz is not None and tremor_amplitude_mm > 0 else math.nan,
        "tremor_amplitude": float(tremor_amplitude_mm) if tremor_hz is not None else 0.0,
    }
    m = dict(rec.meta)
    m["truth"] = truth
    m["letters"] = [(ch, w, float(a), float(b)) for ch, w, a, b in letters_info]
    m["letter_x_heights"] = [xh * float(g) for g in factors]
    return rec.with_meta(**m)
