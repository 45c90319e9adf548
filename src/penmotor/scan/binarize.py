"""Ink masks from grey pages: Otsu for clean scans, box-filter Sauvola for uneven light or pencil.

Sauvola's local mean and standard deviation come from two ``cv2.boxFilter`` passes (an
integral-image method, cost independent of the window), several times faster than
:func:`skimage.filters.threshold_sauvola` on an A4 page. The grey image is kept by the
pipeline: ink darkness is the paper's proxy for pen pressure.
"""

from __future__ import annotations

import numpy as np

from ..errors import FormatError, ParameterError

__all__ = ["otsu_threshold", "sauvola_threshold", "background_unevenness", "binarize", "check_ink"]


def otsu_threshold(grey: np.ndarray) -> float:
    """Otsu's global threshold of a uint8 image (ink is ``grey <= threshold``).

    Examples
    --------
    >>> g = np.array([[10, 10, 240, 240]], np.uint8)
    >>> 10 <= otsu_threshold(g) < 240
    True
    """
    import cv2

    t, _ = cv2.threshold(np.ascontiguousarray(grey, np.uint8), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(t)


def sauvola_threshold(grey: np.ndarray, *, window_px: int = 51, k: float = 0.2, r: float = 128.0) -> np.ndarray:
    """Sauvola's local threshold ``m * (1 + k * (s / r - 1))`` with box-filter mean/std.

    Parameters
    ----------
    grey : ndarray of uint8
    window_px : int
        Odd window side in pixels (about 4 mm is a good value for handwriting).
    k, r : float
        Sauvola's parameters (r = dynamic range of the standard deviation).

    Returns
    -------
    ndarray of float32
        Threshold per pixel; ink is ``grey <= threshold``.

    Examples
    --------
    >>> g = np.full((40, 40), 200, np.uint8); g[18:22, 5:35] = 30
    >>> t = sauvola_threshold(g, window_px=15)
    >>> bool((g <= t)[20, 20]), bool((g <= t)[5, 5])
    (True, False)
    """
    import cv2

    if window_px < 3:
        raise ParameterError(f"window_px: expected >= 3, got {window_px}")
    w = int(window_px) | 1
    f = grey.astype(np.float32)
    m = cv2.boxFilter(f, cv2.CV_32F, (w, w), borderType=cv2.BORDER_REFLECT)
    m2 = cv2.sqrBoxFilter(f, cv2.CV_32F, (w, w), borderType=cv2.BORDER_REFLECT)
    s = np.sqrt(np.maximum(m2 - m * m, 0.0, out=m2), out=m2)
    s *= k / r
    s += 1.0 - k
    return np.multiply(m, s, out=m)


def background_unevenness(grey: np.ndarray) -> float:
    """Spread (grey levels) of the paper brightness across the page.

    Paper brightness is sampled on a sparse grid (~128 points across) and max-filtered (ink removed); the
    result is its 98th minus 2nd percentile. Above ~25 the light is uneven and
    :func:`binarize` switches to Sauvola.

    Examples
    --------
    >>> flat = np.full((256, 256), 230, np.uint8)
    >>> background_unevenness(flat)
    0.0
    >>> ramp = np.tile(np.linspace(120, 250, 256).astype(np.uint8), (256, 1))
    >>> background_unevenness(ramp) > 25
    True
    """
    import cv2

    h, w = grey.shape
    step = max(1, min(h, w) // 128)
    small = np.ascontiguousarray(grey[::step, ::step])  # sparse sample: light varies slowly
    bg = cv2.dilate(small, np.ones((7, 7), np.uint8))
    lo, hi = np.percentile(bg, [2, 98])
    return float(hi - lo)


def check_ink(ink: np.ndarray, grey: np.ndarray, *, min_ink_px: int = 20, max_ink_fraction: float = 0.5) -> None:
    """Raise :class:`~penmotor.FormatError` for a blank or an all-black page.

    Examples
    --------
    >>> check_ink(np.zeros((10, 10), bool), np.full((10, 10), 255, np.uint8))
    Traceback (most recent call last):
    ...
    penmotor.errors.FormatError: field 'pixels': blank page: no ink found (0 ink pixels)
    """
    n = int(np.count_nonzero(ink))
    frac = n / max(ink.size, 1)
    mean_grey = float(np.mean(grey[::4, ::4]))
    if mean_grey < 40 or frac > max_ink_fraction:
        raise FormatError(
            f"page is almost all dark ({100 * frac:.0f} % ink, mean grey {mean_grey:.0f}): "
            "all-black page, inverted image or failed scan", field="pixels",
        )
    if n < min_ink_px:
        raise FormatError(f"blank page: no ink found ({n} ink pixels)", field="pixels")


def binarize(
    grey: np.ndarray,
    *,
    dpi: float = 300.0,
    method: str = "auto",
    window_mm: float = 4.0,
    k: float = 0.2,
    min_contrast: float = 40.0,
) -> np.ndarray:
    """Ink mask (True = ink) of a grey page.

    Parameters
    ----------
    grey : ndarray of uint8
        0 = black.
    dpi : float
        Resolution, to size the Sauvola window in mm.
    method : {"auto", "otsu", "sauvola"}
        ``"auto"``: Otsu unless :func:`background_unevenness` exceeds 25 grey levels.
    window_mm, k : float
        Sauvola window side (mm) and sensitivity.
    min_contrast : float
        Ink must be at least this many grey levels darker than the paper; below it the
        page is blank (an Otsu split of pure paper noise is rejected).

    Returns
    -------
    ndarray of bool

    Examples
    --------
    >>> g = np.full((60, 60), 235, np.uint8); g[28:32, 10:50] = 20
    >>> int(binarize(g, dpi=300).sum())
    160
    >>> int(binarize(g, dpi=300, method="sauvola").sum())
    160
    """
    import cv2

    if method not in ("auto", "otsu", "sauvola"):
        raise ParameterError(f"method: expected 'auto', 'otsu' or 'sauvola', got {method!r}")
    g = np.ascontiguousarray(grey, dtype=np.uint8)
    if method == "auto":
        method = "sauvola" if background_unevenness(g) > 25.0 else "otsu"
    paper = float(np.percentile(g[:: max(1, g.shape[0] // 256), :: max(1, g.shape[1] // 256)], 90))
    if method == "otsu":
        # = (g <= t) for whole grey levels, as OpenCV's 0/1 output viewed as bool (no compare pass);
        # the Otsu call itself gives it unless the minimum contrast lowers the threshold
        t, ink = cv2.threshold(g, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
        if t > paper - min_contrast:
            ink = cv2.threshold(g, float(np.floor(paper - min_contrast)), 1, cv2.THRESH_BINARY_INV)[1]
        ink = ink.view(bool)
    else:
        w = max(3, int(round(window_mm * dpi / 25.4)))
        thr = sauvola_threshold(g, window_px=w, k=k)
        # never call paper ink: also require a minimum local contrast to the window mean
        ink = (g <= thr) & (g.astype(np.float32) <= thr / (1.0 - k) - min_contrast * 0.5)
    ink = cv2.morphologyEx(ink.view(np.uint8), cv2.MORPH_OPEN, np.ones((2, 2), np.uint8)).view(bool) \
        if dpi >= 250 else ink
    return ink
