"""A small kit for the report's plots as inline SVG: panels with nice ticks, points, lines, ink.

SVG text is built with NumPy-formatted coordinates, so a plot costs milliseconds where a
matplotlib PNG costs a quarter of a second or more (and matplotlib's import another half
second); the plots stay vectors when printed, scale with the page and need no image decoder.
Every interpolated string is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import html
import re
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["Panel", "svg_document", "ink_paths", "limits", "nice_ticks", "tick_label", "ellipsize", "esc",
           "VIRIDIS8", "FONT"]

#: Font stack of the plots (the report's CSS uses the same).
FONT = "DejaVu Sans,Arial,Helvetica,sans-serif"
#: Viridis at 8 levels (pressure 0 -> 1), for ink coloured by pen pressure.
VIRIDIS8 = ("#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725")


#: Control, bidirectional and zero-width characters: shown as U+FFFD, never interpreted.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e"
                       "\u2060-\u206f\ufeff\ufff9-\ufffb]")


def esc(s: Any) -> str:
    """The one way text from a file, the store or the command line enters the report (HTML and SVG):
    ``&<>"'`` escaped (safe in text and quoted attributes), control and bidi characters replaced.

    Examples
    --------
    >>> esc('a<b & "c"')
    'a&lt;b &amp; &quot;c&quot;'
    >>> esc("x\u202ey")
    'x\ufffdy'
    """
    return html.escape(_CONTROLS.sub("\ufffd", str(s)), quote=True)


def nice_ticks(lo: float, hi: float, n: int = 4) -> np.ndarray:
    """About `n` round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) covering [lo, hi].

    Examples
    --------
    >>> nice_ticks(0.0, 9.0).tolist()
    [0.0, 2.5, 5.0, 7.5]
    >>> nice_ticks(4.0, 4.0).tolist()
    [4.0]
    >>> nice_ticks(0.05, 0.37, 3).tolist()  # never a single tick on a range
    [0.1, 0.2, 0.3]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return np.zeros(0)
    if hi <= lo:
        return np.array([lo])
    raw = (hi - lo) / max(n, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    steps = [m * mag for m in (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0)]
    i = next(k for k, st in enumerate(steps) if st >= raw)
    while True:  # at least two ticks, so that the axis has a scale
        step = steps[i]
        first = math.ceil(lo / step - 1e-9) * step
        ticks = np.round(np.arange(first, hi + step * 1e-9, step) / step) * step
        ticks = np.round(ticks, 12)  # 0.30000000000000004 -> 0.3
        if ticks.size >= 2 or i == 0:
            return ticks
        i -= 1


def tick_label(v: float, step: float) -> str:
    """A tick value with as many decimals as the step needs (``-0`` shown as ``0``).

    Examples
    --------
    >>> tick_label(2.5, 2.5), tick_label(0.30000000000000004, 0.1), tick_label(-0.0, 1)
    ('2.5', '0.3', '0')
    """
    dec = 0 if step <= 0 else max(0, -int(math.floor(math.log10(step) + 1e-9)))
    if step > 0 and abs(step * 10 ** dec - round(step * 10 ** dec)) > 1e-6:
        dec += 1
    s = f"{v:.{dec}f}"
    return "0" if s.strip("-0.") == "" else s.replace("-", "\u2212")


def _limits(values: np.ndarray, pad: float = 0.08) -> tuple[float, float]:
    v = values[np.isfinite(values)]
    if v.size == 0:
        return 0.0, 1.0
    lo, hi = float(v.min()), float(v.max())
    if hi - lo <= 1e-12 * max(1.0, abs(hi)):  # one value (or all equal): a band around it
        w = 0.1 * abs(lo) if lo != 0 else 1.0
        return lo - w, hi + w
    d = (hi - lo) * pad
    return lo - d, hi + d


def _pts(x: np.ndarray, y: np.ndarray) -> str:
    return " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x.tolist(), y.tolist()))


def ellipsize(text: str, max_chars: int) -> str:
    """`text` cut to `max_chars` with an ellipsis (the full text stays in a tooltip).

    Examples
    --------
    >>> ellipsize("pen lifts per 100 mm of ink", 12)
    'pen lifts p\u2026'
    """
    return text if len(text) <= max_chars else text[: max(1, max_chars - 1)].rstrip() + "\u2026"


class Panel:
    """One plot area at (`left`, `top`) of `width` x `height` pixels inside an SVG.

    Data are mapped with :meth:`sx` / :meth:`sy`; :meth:`svg` returns the panel's elements
    (frame, ticks, labels, the marks added). A single x or y value gets a band around it,
    so a one-session panel is drawn, not collapsed.

    Examples
    --------
    >>> p = Panel(0, 0, 200, 100, xlim=(0, 10), ylim=(0, 1), title="demo")
    >>> p.points([5.0], [0.5], colour="#000")
    >>> "<circle" in p.svg()
    True
    """

    def __init__(self, left: float, top: float, width: float, height: float, *,
                 xlim: tuple[float, float], ylim: tuple[float, float], title: str = "",
                 title_colour: str = "#222", subtitle: str = "", xlabel: str = "", ylabel: str = "",
                 tooltip: str = "", log_y: bool = False, font_px: float = 10.0) -> None:
        self.left, self.top, self.w, self.h = float(left), float(top), float(width), float(height)
        self.title, self.subtitle, self.title_colour = title, subtitle, title_colour
        self.xlabel, self.ylabel, self.tooltip, self.log_y, self.font = xlabel, ylabel, tooltip, log_y, font_px
        self.x0, self.x1 = (float(xlim[0]), float(xlim[1])) if xlim[1] > xlim[0] else (xlim[0] - 1.0, xlim[0] + 1.0)
        self.y0, self.y1 = (float(ylim[0]), float(ylim[1])) if ylim[1] > ylim[0] else (ylim[0] - 1.0, ylim[0] + 1.0)
        self.marks: list[str] = []

    # the plot area inside the panel, leaving room for the title and tick labels
    @property
    def _box(self) -> tuple[float, float, float, float]:
        f = self.font
        top = self.top + (2.6 * f if self.subtitle else 1.5 * f) + 2
        bottom = self.top + self.h - (2.6 * f if self.xlabel else 1.6 * f)
        left = self.left + (4.2 * f if not self.ylabel else 5.2 * f)
        right = self.left + self.w - 1.6 * f  # room for the last x tick label
        return left, top, right, bottom

    def sx(self, x: Any) -> np.ndarray:
        """Data x -> pixel x."""
        l, _, r, _ = self._box
        return l + (np.asarray(x, float) - self.x0) / (self.x1 - self.x0) * (r - l)

    def sy(self, y: Any) -> np.ndarray:
        """Data y -> pixel y (up is up)."""
        _, t, _, b = self._box
        return b - (np.asarray(y, float) - self.y0) / (self.y1 - self.y0) * (b - t)

    def points(self, x: Any, y: Any, *, colour: str, shape: str = "circle", r: float = 2.2,
               opacity: float = 1.0, edge: str | None = None) -> None:
        """Markers at (x, y): circles or squares."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        ok = np.isfinite(x) & np.isfinite(y)
        px, py = self.sx(x[ok]), self.sy(y[ok])
        st = f' stroke="{esc(edge)}" stroke-width="0.6"' if edge else ""
        op = f' fill-opacity="{opacity:g}"' if opacity < 1 else ""
        if shape == "square":
            self.marks += [f'<rect x="{a - r:.1f}" y="{b - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
                           f'fill="{esc(colour)}"{op}{st}/>' for a, b in zip(px.tolist(), py.tolist())]
        else:
            self.marks += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{r:g}" fill="{esc(colour)}"{op}{st}/>'
                           for a, b in zip(px.tolist(), py.tolist())]

    def line(self, x: Any, y: Any, *, colour: str, width: float = 1.4, dash: str | None = None,
             opacity: float = 1.0) -> None:
        """A polyline through the finite points."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 2:
            return
        d = f' stroke-dasharray="{esc(dash)}"' if dash else ""
        op = f' stroke-opacity="{opacity:g}"' if opacity < 1 else ""
        self.marks.append(f'<polyline points="{_pts(self.sx(x[ok]), self.sy(y[ok]))}" fill="none" '
                          f'stroke="{esc(colour)}" stroke-width="{width:g}"{d}{op}/>')

    def xband(self, lo: float, hi: float, *, colour: str, opacity: float = 0.5) -> None:
        """A shaded vertical band from x = lo to hi."""
        _, t, _, b = self._box
        a, c = self.sx([max(lo, self.x0), min(hi, self.x1)])
        self.marks.insert(0, f'<rect x="{a:.1f}" y="{t:.1f}" width="{max(0.0, c - a):.1f}" height="{b - t:.1f}" '
                             f'fill="{esc(colour)}" fill-opacity="{opacity:g}"/>')

    def svg(self) -> str:
        """The panel's SVG elements."""
        f = self.font
        l, t, r, b = self._box
        out = [f'<g class="panel">']
        if self.tooltip:
            out.append(f"<title>{esc(self.tooltip)}</title>")
        # grid and ticks
        xt = nice_ticks(self.x0, self.x1, max(2, int((r - l) / (6 * f))))
        yt = nice_ticks(self.y0, self.y1, max(2, int((b - t) / (3 * f))))
        xs = float(xt[1] - xt[0]) if xt.size > 1 else 1.0
        ys = float(yt[1] - yt[0]) if yt.size > 1 else 1.0
        for v, px in zip(xt.tolist(), self.sx(xt).tolist()):
            out.append(f'<line x1="{px:.1f}" y1="{t:.1f}" x2="{px:.1f}" y2="{b:.1f}" stroke="#e4e4e4" stroke-width="0.6"/>'
                       f'<text x="{px:.1f}" y="{b + f + 1:.1f}" text-anchor="middle" font-size="{0.8 * f:g}">'
                       f"{esc(tick_label(v, xs))}</text>")
        for v, py in zip(yt.tolist(), self.sy(yt).tolist()):
            lab = f"1e{int(round(v))}" if self.log_y else tick_label(v, ys)
            out.append(f'<line x1="{l:.1f}" y1="{py:.1f}" x2="{r:.1f}" y2="{py:.1f}" stroke="#e4e4e4" stroke-width="0.6"/>'
                       f'<text x="{l - 3:.1f}" y="{py + 0.3 * f:.1f}" text-anchor="end" font-size="{0.8 * f:g}">'
                       f"{esc(lab)}</text>")
        out.append(f'<rect x="{l:.1f}" y="{t:.1f}" width="{r - l:.1f}" height="{b - t:.1f}" fill="none" '
                   'stroke="#999" stroke-width="0.8"/>')
        # marks, clipped to the plot area by construction of the limits
        out.extend(self.marks)
        max_chars = max(8, int((self.w - f) / (0.58 * f)))
        if self.title:
            out.append(f'<text x="{self.left + self.w / 2:.1f}" y="{self.top + f:.1f}" text-anchor="middle" '
                       f'font-size="{f:g}" font-weight="bold" fill="{esc(self.title_colour)}">'
                       f"{esc(ellipsize(self.title, max_chars))}</text>")
        if self.subtitle:
            out.append(f'<text x="{self.left + self.w / 2:.1f}" y="{self.top + 2.15 * f:.1f}" text-anchor="middle" '
                       f'font-size="{0.9 * f:g}" fill="{esc(self.title_colour)}">'
                       f"{esc(ellipsize(self.subtitle, max_chars))}</text>")
        if self.xlabel:
            out.append(f'<text x="{(l + r) / 2:.1f}" y="{self.top + self.h - 0.3 * f:.1f}" text-anchor="middle" '
                       f'font-size="{0.8 * f:g}" fill="#444">{esc(self.xlabel)}</text>')
        if self.ylabel:
            cx, cy = self.left + 0.9 * f, (t + b) / 2
            out.append(f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="middle" font-size="{0.8 * f:g}" fill="#444" '
                       f'transform="rotate(-90 {cx:.1f} {cy:.1f})">{esc(ellipsize(self.ylabel, 40))}</text>')
        out.append("</g>")
        return "".join(out)


def svg_document(width: float, height: float, body: Sequence[str], *, title: str, css_class: str = "plot") -> str:
    """An inline ``<svg>`` element with an accessible title.

    Examples
    --------
    >>> svg_document(10, 10, [], title="empty").startswith('<svg class="plot"')
    True
    """
    return (f'<svg class="{esc(css_class)}" width="{width:.0f}" '
            f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{esc(title)}" '
            f'font-family="{FONT}"><title>{esc(title)}</title>' + "".join(body) + "</svg>")


def limits(*arrays: Any, pad: float = 0.08) -> tuple[float, float]:
    """Padded (lo, hi) over the finite values of all `arrays`; a band around a single value.

    Examples
    --------
    >>> limits([1.0, 3.0], pad=0.0)
    (1.0, 3.0)
    >>> limits([2.0])
    (1.8, 2.2)
    """
    parts = [np.ravel(np.asarray(a, float)) for a in arrays]
    return _limits(np.concatenate(parts) if parts else np.zeros(0), pad)


def ink_paths(x: np.ndarray, y: np.ndarray, pen_down: np.ndarray, pressure: np.ndarray | None,
              sx: Any, sy: Any, *, width: float = 1.3, max_points: int = 2500) -> list[str]:
    """Pen-down ink as SVG polylines; coloured by pressure (8 viridis levels) when given.

    Consecutive samples of one stroke and one pressure level form one polyline, so a
    sentence is a few hundred elements. At most `max_points` samples are drawn (evenly
    thinned, stroke ends kept).

    Examples
    --------
    >>> t = np.linspace(0, 1, 50)
    >>> paths = ink_paths(t, t, np.ones(50, bool), None, lambda v: v * 100, lambda v: 100 - v * 100)
    >>> len(paths), paths[0].startswith("<polyline")
    (1, True)
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    down = np.asarray(pen_down, bool) & np.isfinite(x) & np.isfinite(y)
    n = x.size
    if n < 2 or down.sum() < 2:
        return []
    keep = np.zeros(n, bool)
    step = max(1, int(math.ceil(down.sum() / max_points)))
    idx = np.flatnonzero(down)
    keep[idx[::step]] = True
    edge = np.flatnonzero(np.diff(down.astype(np.int8)) != 0)  # stroke starts and ends stay
    keep[edge] = keep[np.minimum(edge + 1, n - 1)] = True
    keep &= down
    i = np.flatnonzero(keep)
    px, py = sx(x[i]), sy(y[i])
    if pressure is not None and np.isfinite(pressure).any():
        lvl = np.clip((np.nan_to_num(np.asarray(pressure, float)[i], nan=0.0) * 8).astype(int), 0, 7)
    else:
        lvl = np.full(i.size, -1)
    # a new run where a stroke ends (a pen-up sample between) or the level changes
    stroke_id = np.cumsum(np.r_[0, np.diff(np.cumsum(~down)[i]) != 0])
    brk = np.flatnonzero((np.diff(stroke_id) != 0) | (np.diff(lvl) != 0)) + 1
    starts, stops = np.r_[0, brk], np.r_[brk, i.size]
    out = []
    for a, b in zip(starts.tolist(), stops.tolist()):
        same_stroke = a > 0 and stroke_id[a] == stroke_id[a - 1]
        a0 = a - 1 if same_stroke else a  # join to the previous run of the same stroke
        if b - a0 < 2 and not same_stroke:
            out.append(f'<circle cx="{px[a]:.1f}" cy="{py[a]:.1f}" r="{width / 2:g}" '
                       f'fill="{VIRIDIS8[lvl[a]] if lvl[a] >= 0 else "#111"}"/>')
            continue
        colour = VIRIDIS8[lvl[a]] if lvl[a] >= 0 else "#111"
        out.append(f'<polyline points="{_pts(px[a0:b], py[a0:b])}" fill="none" stroke="{colour}" '
                   f'stroke-width="{width:g}" stroke-linecap="round" stroke-linejoin="round"/>')
    return out
