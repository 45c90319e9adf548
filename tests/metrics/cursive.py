"""A second, independently built handwriting generator for tests: constant-speed joined cursive.

Unlike :func:`penmotor.synth.handwriting` (print letters from line and ellipse primitives,
sigma-lognormal speed, the pen slowing at every cusp), every word here is ONE stroke
through key points in x-height units, corners cut by Chaikin subdivision except at
*sharp* points (cusps, where the pen reverses without slowing), travelled at exactly
constant speed: the worst case for anything that smooths the trajectory in time, since
the same ink drawn faster has all its turns at higher frequencies.

Letters: a c d e g h i l m n o u y (x-height 1, ascenders 2, descenders -1). The path of
a word at a given size and slant is fixed; only ``speed_mm_s`` changes the timing.
"""

from __future__ import annotations

import math

import numpy as np

from penmotor import Recording

#: Key points per letter: (x, y, sharp) in x-height units, the letter starting at x = 0.
LETTERS: dict[str, list[tuple[float, float, int]]] = {
    "n": [(0, 0, 0), (0.1, 1, 1), (0.1, 0, 1), (0.12, 0.6, 0), (0.4, 1, 0), (0.7, 0.6, 0), (0.7, 0, 1)],
    "m": [(0, 0, 0), (0.1, 1, 1), (0.1, 0, 1), (0.12, 0.6, 0), (0.35, 1, 0), (0.55, 0.6, 0), (0.55, 0, 1),
          (0.57, 0.6, 0), (0.8, 1, 0), (1.0, 0.6, 0), (1.0, 0, 1)],
    "u": [(0, 1, 1), (0, 0.3, 0), (0.35, 0, 0), (0.7, 0.3, 0), (0.7, 1, 1), (0.7, 0, 1)],
    "i": [(0, 0.3, 0), (0.15, 1, 1), (0.15, 0, 1)],
    "e": [(0, 0.45, 0), (0.6, 0.6, 0), (0.55, 1, 0), (0.2, 1, 0), (0, 0.5, 0), (0.25, 0, 0), (0.6, 0.1, 0)],
    "o": [(0.35, 1, 0), (0, 0.8, 0), (0, 0.2, 0), (0.35, 0, 0), (0.7, 0.2, 0), (0.7, 0.8, 0), (0.35, 1, 0),
          (0.75, 0.9, 0)],
    "a": [(0.6, 0.8, 0), (0.3, 1, 0), (0, 0.5, 0), (0.3, 0, 0), (0.6, 0.4, 0), (0.65, 1, 1), (0.65, 0, 1)],
    "c": [(0.6, 0.85, 0), (0.3, 1, 0), (0, 0.5, 0), (0.3, 0, 0), (0.65, 0.15, 0)],
    "d": [(0.6, 0.8, 0), (0.3, 1, 0), (0, 0.5, 0), (0.3, 0, 0), (0.6, 0.4, 0), (0.65, 2, 1), (0.65, 0, 1)],
    "l": [(0, 0.2, 0), (0.45, 1.3, 0), (0.45, 2, 0), (0.25, 1.9, 0), (0.2, 0, 1)],
    "h": [(0, 0.2, 0), (0.35, 1.3, 0), (0.35, 2, 0), (0.15, 1.9, 0), (0.1, 0, 1), (0.12, 0.6, 0), (0.4, 1, 0),
          (0.7, 0.6, 0), (0.7, 0, 1)],
    "g": [(0.6, 0.8, 0), (0.3, 1, 0), (0, 0.5, 0), (0.3, 0, 0), (0.6, 0.4, 0), (0.65, 1, 1), (0.65, -0.6, 0),
          (0.4, -1, 0), (0.1, -0.7, 0)],
    "y": [(0, 1, 1), (0, 0.3, 0), (0.35, 0, 0), (0.7, 0.3, 0), (0.7, 1, 1), (0.7, -0.6, 0), (0.45, -1, 0),
          (0.15, -0.7, 0)],
}
WORDS = ("nun", "mum", "noun", "union", "mine", "home", "hill", "dog", "uniy", "moon", "deal", "cell")


def _chaikin(p: np.ndarray, sharp: np.ndarray, rounds: int = 4) -> np.ndarray:
    """Corner cutting keeping the first, last and sharp points."""
    for _ in range(rounds):
        out = [p[0]]
        osharp = [True]
        for i in range(len(p) - 1):
            a, b = p[i], p[i + 1]
            q, r = 0.75 * a + 0.25 * b, 0.25 * a + 0.75 * b
            if sharp[i] and i > 0:
                out.append(a)
                osharp.append(True)
            out += [q, r]
            osharp += [False, False]
        out.append(p[-1])
        osharp.append(True)
        keep = np.array(osharp)
        p = np.array(out)
        sharp = keep
    return p


def word_path(word: str, *, x_height_mm: float = 3.0, slant_deg: float = 0.0) -> np.ndarray:
    """(n, 2) path of a word, mm: letters joined, sheared by the slant.

    Examples
    --------
    >>> p = word_path("nun", x_height_mm=3.0)
    >>> round(float(p[:, 1].max()), 1)
    3.0
    """
    pts, sharp, x0 = [], [], 0.0
    for ch in word:
        kp = LETTERS[ch]
        pts += [(x0 + x, y) for x, y, _ in kp]
        sharp += [bool(s) for *_, s in kp]
        x0 += max(x for x, _, _ in kp) + 0.35
    p = _chaikin(np.array(pts, dtype=np.float64), np.array(sharp)) * x_height_mm
    p[:, 0] += p[:, 1] * math.tan(math.radians(slant_deg))
    return p


def constant_speed(words: list[str] | tuple[str, ...], *, speed_mm_s: float, x_height_mm: float = 3.0,
                   slant_deg: float = 0.0, rate_hz: float = 200.0, word_gap_mm: float | None = None,
                   lift_s: float = 0.25) -> Recording:
    """Words written at exactly constant pen-down speed, one stroke each, sampled at `rate_hz`.

    Between words the pen lifts for `lift_s` (straight hover). The ink (pen-down path)
    is the same for every speed up to where the samples fall on it.

    Examples
    --------
    >>> slow = constant_speed(["nun"], speed_mm_s=10.0)
    >>> fast = constant_speed(["nun"], speed_mm_s=60.0)
    >>> len(slow) > 4 * len(fast)
    True
    """
    gap = 1.5 * x_height_mm if word_gap_mm is None else word_gap_mm
    t_all, x_all, y_all, d_all = [], [], [], []
    t0, x_off = 0.0, 0.0
    dt = 1.0 / rate_hz
    for w in words:
        p = word_path(w, x_height_mm=x_height_mm, slant_deg=slant_deg)
        p[:, 0] += x_off - p[:, 0].min()
        seg = np.hypot(*np.diff(p, axis=0).T)
        s = np.r_[0.0, np.cumsum(seg)]
        ts = np.arange(0.0, s[-1] / speed_mm_s, dt)
        ss = ts * speed_mm_s
        x, y = np.interp(ss, s, p[:, 0]), np.interp(ss, s, p[:, 1])
        if t_all:  # hover from the previous word's end
            k = max(int(lift_s / dt), 2)
            f = np.arange(1, k + 1) / (k + 1)
            t_all.append(t0 + dt * np.arange(k))
            x_all.append(x_all[-1][-1] + (x[0] - x_all[-1][-1]) * f)
            y_all.append(y_all[-1][-1] + (y[0] - y_all[-1][-1]) * f)
            d_all.append(np.zeros(k, bool))
            t0 += dt * k
        t_all.append(t0 + ts)
        x_all.append(x)
        y_all.append(y)
        d_all.append(np.ones(ts.size, bool))
        t0 += ts[-1] + dt
        x_off = float(p[:, 0].max()) + gap
    t, x, y, d = (np.concatenate(a) for a in (t_all, x_all, y_all, d_all))
    return Recording.from_arrays(t, x, y, np.where(d, 0.5, 0.0), pen_down=d, meta={"task": "words"})
