"""Page skew: projection-profile search at reduced scale, and rotation.

Angles are degrees, counter-clockwise positive as the page is seen (a line rising to the
right has a positive angle). ``rotate(img, -estimate_skew(ink, dpi=...))`` levels a page.
"""

from __future__ import annotations

import numpy as np

from ..errors import ParameterError

__all__ = ["estimate_skew", "rotate", "rotation_matrix"]


def _score(rows: np.ndarray, cols: np.ndarray, w: np.ndarray, angles: np.ndarray, n_bins: int) -> np.ndarray:
    out = np.empty(angles.size)
    buf = np.empty(rows.size)
    for i, a in enumerate(angles):  # loop over candidate angles, not samples
        # rint(rows + cols * tan) in place; the shift by the minimum is exact (whole numbers)
        np.multiply(cols, np.tan(np.deg2rad(a)), out=buf)
        np.add(rows, buf, out=buf)
        np.rint(buf, out=buf)
        buf -= buf.min()
        prof = np.bincount(buf.astype(np.int64), weights=w, minlength=1)
        out[i] = float(np.dot(prof, prof))
    return out


def estimate_skew(
    ink: np.ndarray,
    *,
    dpi: float,
    max_angle_deg: float = 7.0,
    work_dpi: float = 100.0,
    precision_deg: float = 0.05,
    reduced: np.ndarray | None = None,
) -> float:
    """Angle of the text (and ruled) lines, by maximising the sharpness of the row profile.

    The ink mask is reduced to about `work_dpi`; for each candidate angle the ink is sheared
    so lines of that angle become rows, and the sum of squared row sums is computed
    (vectorised ``bincount``). A coarse 0.5 degree search is refined to `precision_deg`.

    Parameters
    ----------
    ink : ndarray of bool
    dpi : float
    max_angle_deg : float
        Search range +-.
    reduced : ndarray of uint8, optional
        The mask already reduced to ``work_dpi`` (0-255), to share the work with other steps.

    Returns
    -------
    float
        Degrees, counter-clockwise positive; 0.0 for a page without ink.

    Examples
    --------
    >>> import cv2
    >>> img = np.zeros((400, 600), np.uint8)
    >>> for y in (100, 200, 300):
    ...     _ = cv2.line(img, (50, y + 26), (550, y - 26), 255, 3)   # rises ~6 degrees
    >>> round(estimate_skew(img > 0, dpi=100), 1)
    6.0
    """
    import cv2

    if max_angle_deg <= 0 or max_angle_deg > 45:
        raise ParameterError(f"max_angle_deg: expected 0 < value <= 45, got {max_angle_deg}")
    f = max(1, int(round(dpi / work_dpi)))
    if reduced is not None:
        small = reduced
    else:
        m = np.ascontiguousarray(ink, dtype=np.uint8)
        if f > 1:
            h, w = m.shape
            small = cv2.resize(m * np.uint8(255), (max(1, w // f), max(1, h // f)), interpolation=cv2.INTER_AREA)
        else:
            small = m * np.uint8(255)
    pts = cv2.findNonZero(small)  # (col, row) in row-major order: = np.nonzero(small), several times faster
    if pts is None or pts.size < 20:
        return 0.0
    pts = pts.reshape(-1, 2)
    rows, cols = pts[:, 1].astype(np.int64), pts[:, 0].astype(np.int64)
    wts = small[rows, cols].astype(np.float64)
    rows = rows.astype(np.float64)
    cols = cols.astype(np.float64) - cols.mean()
    coarse = np.arange(-max_angle_deg, max_angle_deg + 1e-9, 0.5)
    best = coarse[int(np.argmax(_score(rows, cols, wts, coarse, small.shape[0])))]
    fine = np.arange(best - 0.5, best + 0.5 + 1e-9, precision_deg)
    s = _score(rows, cols, wts, fine, small.shape[0])
    # centre of the plateau of maxima (the profile is flat within a pixel of shear)
    top = np.flatnonzero(s >= s.max() - 1e-9 * abs(s.max()))
    return float(np.round(fine[top].mean(), 3))


def rotation_matrix(shape: tuple[int, ...], angle_deg: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The 2x3 affine matrix (col, row) and output shape :func:`rotate` uses.

    Examples
    --------
    >>> mat, shape = rotation_matrix((100, 200), 0.0)
    >>> shape, mat[:, 2].tolist()
    ((100, 200), [0.0, 0.0])
    """
    import cv2

    h, w = int(shape[0]), int(shape[1])
    rad = np.deg2rad(float(angle_deg))
    nw = int(np.ceil(abs(w * np.cos(rad)) + abs(h * np.sin(rad)) - 1e-9))
    nh = int(np.ceil(abs(w * np.sin(rad)) + abs(h * np.cos(rad)) - 1e-9))
    mat = cv2.getRotationMatrix2D((w / 2.0, h / 2.0), float(angle_deg), 1.0)
    mat[0, 2] += nw / 2.0 - w / 2.0
    mat[1, 2] += nh / 2.0 - h / 2.0
    return mat, (nh, nw)


def rotate(image: np.ndarray, angle_deg: float, *, fill: int | None = None) -> np.ndarray:
    """Rotate an image counter-clockwise by `angle_deg` about its centre, enlarging the canvas.

    Grey (uint8) images use bilinear interpolation and white fill; boolean masks use
    nearest-neighbour and False fill.

    Examples
    --------
    >>> m = np.zeros((50, 50), bool); m[25, 5:45] = True
    >>> r = rotate(m, 90.0)
    >>> int(r.sum()), int(np.ptp(np.nonzero(r)[0]))
    (40, 39)
    """
    import cv2

    a = float(angle_deg)
    is_bool = image.dtype == bool
    src = image.view(np.uint8) if is_bool else np.ascontiguousarray(image)
    if abs(a) < 1e-6:
        return image.copy()
    mat, (nh, nw) = rotation_matrix(src.shape[:2], a)
    if fill is None:
        fill = 0 if is_bool else 255
    out = cv2.warpAffine(src, mat, (nw, nh), flags=cv2.INTER_NEAREST if is_bool else cv2.INTER_LINEAR,
                         borderMode=cv2.BORDER_CONSTANT, borderValue=int(fill))
    return out.view(bool) if is_bool else out
