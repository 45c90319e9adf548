"""Task templates in real millimetres, and the tablet -> window mapping.

Template geometry is in **page mm**: origin at the top-left corner of the tablet's
active area, y downward (as the child sees the page). The session stores each
template's name, parameters and page size in the recording's meta, so the geometry
can be rebuilt with :func:`make_template`. (Recording coordinates are mm with y
upward from the tablet's top edge: ``x_rec = x_page + x0``, ``y_rec = -y_page - y0``
where ``(x0, y0)`` is the active area's raw minimum in mm.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from penmotor.errors import ParameterError

__all__ = ["Template", "make_template", "TASKS", "ScreenMapping", "DEFAULT_SENTENCE"]

DEFAULT_SENTENCE = "the quick brown fox jumps over the lazy dog"
TASKS = ("lines", "spiral", "sentence", "free")


@dataclass
class Template:
    """What to draw under the ink: polylines (page mm) with a style, and text.

    ``lines`` is a list of ``(points (n, 2) array in mm, style)`` with style ``"base"``,
    ``"mid"``, ``"top"`` or ``"guide"``; ``texts`` is a list of ``(x_mm, y_mm, height_mm, text)``.
    """

    name: str
    params: dict[str, Any]
    page_mm: tuple[float, float]
    lines: list[tuple[np.ndarray, str]] = field(default_factory=list)
    texts: list[tuple[float, float, float, str]] = field(default_factory=list)

    def to_meta(self) -> dict[str, Any]:
        """Name, parameters and page size (JSON), enough to rebuild the geometry."""
        return {"name": self.name, "params": dict(self.params), "page_mm": list(self.page_mm)}


def _line_groups(page_w: float, y_from: float, y_to: float, x_height_mm: float, margin: float) -> list:
    out = []
    step = 3.2 * x_height_mm  # ascender + descender room between groups
    base = y_from + 2 * x_height_mm
    while base + x_height_mm <= y_to:
        xs = np.array([margin, page_w - margin])
        out.append((np.c_[xs, [base - 2 * x_height_mm] * 2], "top"))
        out.append((np.c_[xs, [base - x_height_mm] * 2], "mid"))
        out.append((np.c_[xs, [base, base]], "base"))
        base += step
    return out


def make_template(name: str, page_mm: tuple[float, float], *, x_height_mm: float = 8.0,
                  spiral_turns: float = 3.0, spiral_tightness_mm_per_rad: float | None = None,
                  sentence: str = DEFAULT_SENTENCE, margin_mm: float = 10.0) -> Template:
    """Build a task template for a page (the tablet's active area) of `page_mm` (w, h).

    Parameters
    ----------
    name : {"lines", "spiral", "sentence", "free"}
        Handwriting lines (top line, midline, baseline; `x_height_mm` apart), an
        Archimedean spiral to trace, a sentence to copy above handwriting lines, or a
        blank page.
    page_mm : (float, float)
        Page width and height in mm.
    x_height_mm : float
        Distance baseline -> midline (= midline -> top line), mm.
    spiral_turns, spiral_tightness_mm_per_rad : float
        Spiral ``r = b * theta``; `b` defaults to fill 80 % of the shorter page side.
    sentence : str
        Text to copy.

    Examples
    --------
    >>> t = make_template("lines", (200, 120), x_height_mm=10)
    >>> base = [p for p, s in t.lines if s == "base"]
    >>> mid = [p for p, s in t.lines if s == "mid"]
    >>> float(base[0][0, 1] - mid[0][0, 1])
    10.0
    >>> sp = make_template("spiral", (200, 120), spiral_turns=3, spiral_tightness_mm_per_rad=2)
    >>> pts = sp.lines[0][0]
    >>> round(float(np.hypot(*(pts[-1] - pts[0]))), 1)   # r at 3 turns = 2 * 6 pi
    37.7
    """
    w, h = float(page_mm[0]), float(page_mm[1])
    if not (w > 0 and h > 0):
        raise ParameterError(f"page_mm: expected a positive (width, height), got {page_mm!r}")
    if not x_height_mm > 0:
        raise ParameterError(f"x_height_mm: expected > 0, got {x_height_mm!r}")
    if name == "lines":
        params = {"x_height_mm": x_height_mm}
        return Template(name, params, (w, h), _line_groups(w, margin_mm, h - margin_mm, x_height_mm, margin_mm))
    if name == "spiral":
        theta_max = 2 * np.pi * spiral_turns
        b = spiral_tightness_mm_per_rad or 0.4 * min(w, h) / theta_max
        theta = np.linspace(0, theta_max, max(200, int(spiral_turns * 180)))
        pts = np.c_[w / 2 + b * theta * np.cos(theta), h / 2 + b * theta * np.sin(theta)]
        params = {"turns": spiral_turns, "tightness_mm_per_rad": float(b), "center_mm": [w / 2, h / 2]}
        return Template(name, params, (w, h), [(pts, "guide")])
    if name == "sentence":
        text_h = max(x_height_mm, 5.0)
        params = {"x_height_mm": x_height_mm, "text": sentence}
        lines = _line_groups(w, margin_mm + 2.5 * text_h, h - margin_mm, x_height_mm, margin_mm)
        return Template(name, params, (w, h), lines, [(margin_mm, margin_mm, text_h, sentence)])
    if name == "free":
        return Template(name, {}, (w, h))
    raise ParameterError(f"task: unknown template {name!r}; expected one of {TASKS}")


@dataclass
class ScreenMapping:
    """Tablet raw units <-> window pixels.

    ``mode="full"`` stretches the whole active area over the window; ``"aspect"`` keeps
    the tablet's aspect ratio (letterboxed, centred).

    Examples
    --------
    >>> m = ScreenMapping((0, 0, 2000, 1000), (400, 400), mode="aspect")
    >>> m.to_px([0, 2000], [0, 1000]).tolist()
    [[0.0, 100.0], [400.0, 300.0]]
    >>> ScreenMapping((0, 0, 2000, 1000), (400, 400), mode="full").to_px([2000], [1000]).tolist()
    [[400.0, 400.0]]
    """

    tablet: tuple[float, float, float, float]  # xmin, ymin, xmax, ymax (raw units)
    window: tuple[int, int]
    mode: str = "aspect"

    def __post_init__(self) -> None:
        if self.mode not in ("full", "aspect"):
            raise ParameterError(f"mode: expected 'full' or 'aspect', got {self.mode!r}")

    @property
    def scale_offset(self) -> tuple[float, float, float, float]:
        """(sx, sy, ox, oy): px = (u - min) * s + o."""
        x0, y0, x1, y1 = self.tablet
        W, H = self.window
        sx, sy = W / max(x1 - x0, 1e-9), H / max(y1 - y0, 1e-9)
        if self.mode == "full":
            return sx, sy, 0.0, 0.0
        s = min(sx, sy)
        return s, s, (W - s * (x1 - x0)) / 2, (H - s * (y1 - y0)) / 2

    def to_px(self, x: Any, y: Any) -> np.ndarray:
        """Raw tablet (x, y) -> window pixels, shape (n, 2)."""
        sx, sy, ox, oy = self.scale_offset
        x0, y0 = self.tablet[:2]
        return np.c_[(np.asarray(x, float) - x0) * sx + ox, (np.asarray(y, float) - y0) * sy + oy]

    def to_meta(self) -> dict[str, Any]:
        """JSON form for the session meta."""
        sx, sy, ox, oy = self.scale_offset
        return {**asdict(self), "px_per_unit": [sx, sy], "offset_px": [ox, oy]}
