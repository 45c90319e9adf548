"""Small robust statistics shared by the online metrics, the letter-size estimator and the scan.

One copy each of: a fast exact median (:func:`median`), Otsu's two-class split of a 1-D
sample (:func:`otsu_split`), a vectorised median per group (:func:`group_median`), the
Theil-Sen slope (:func:`theil_sen_slope`), the principal-axis direction of a point
cloud (:func:`pca_angle`, :func:`pca_angles` for many groups at once) and a fast Euclidean norm of two arrays (:func:`hypot`). The module is internal (its name starts with ``_``); its
functions are the package's shared helpers, imported by name where they are needed.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

__all__ = ["median", "OtsuSplit", "otsu_split", "group_median", "theil_sen_slope", "pca_angle", "pca_angles", "hypot"]

#: Up to this many values, :func:`median` sorts (faster than ``np.median``'s partition call).
SORT_MEDIAN_MAX = 4096


def median(values: np.ndarray) -> Any:
    """``np.median`` of a float array, bit for bit, ~5x faster on small arrays (a sort).

    ``np.median`` costs ~7 us per call on a few dozen values (this: ~1.5 us), and the
    size estimator and the scan's line measures take hundreds of such medians per page.
    Same result, type (the array's float scalar) and NaN propagation: NaN if any value
    is NaN; the middle value, or the mean of the two middle values, computed as
    ``np.mean`` does it (``+ 0.0``: ``np.mean`` adds to a zero, so a median of ``-0.0``
    is ``0.0``).
    Other inputs (empty, 0-d, large, not float32 / float64) go to ``np.median``.

    Parameters
    ----------
    values : ndarray
        Any shape; the median is taken over all elements.

    Returns
    -------
    numpy.floating or float
        As ``np.median(values)``.

    Examples
    --------
    >>> median(np.array([3.0, 1.0, 2.0, 10.0]))
    np.float64(2.5)
    >>> median(np.array([1.0, np.nan, 2.0]))
    np.float64(nan)
    """
    a = np.asarray(values)
    if not (0 < a.size <= SORT_MEDIAN_MAX) or a.ndim == 0 or a.dtype.char not in "fd":
        return np.median(a)
    s = np.sort(a, axis=None)
    if np.isnan(s[-1]):  # NaNs sort last; np.median picks which NaN it returns
        return np.median(a)
    h = s.size // 2
    return s[h] + 0.0 if s.size % 2 else (s[h - 1] + s[h] + 0.0) / 2


class OtsuSplit(NamedTuple):
    """Otsu's two-class split of a sorted sample: ``values[:k]`` and ``values[k:]``.

    Attributes
    ----------
    values : ndarray
        The sample, sorted ascending.
    k : int
        Size of the lower class (1 <= k < n).
    lower_mean, upper_mean : float
        Class means (from cumulative sums, as the split criterion computes them).
    """

    values: np.ndarray
    k: int
    lower_mean: float
    upper_mean: float

    @property
    def lower(self) -> np.ndarray:
        """The lower class (sorted)."""
        return self.values[: self.k]

    @property
    def upper(self) -> np.ndarray:
        """The upper class (sorted)."""
        return self.values[self.k :]

    @property
    def threshold(self) -> float:
        """Midpoint between the largest lower and the smallest upper value."""
        return 0.5 * (self.values[self.k - 1] + self.values[self.k])


def otsu_split(values: Any) -> OtsuSplit | None:
    """Split a 1-D sample into the two classes of maximal between-class variance (Otsu).

    Parameters
    ----------
    values : array_like
        The sample (finite values; sorted here).

    Returns
    -------
    OtsuSplit or None
        None with fewer than two values.

    Examples
    --------
    >>> s = otsu_split([1.0, 9.0, 1.2, 8.5, 0.9])
    >>> s.lower.tolist(), s.upper.tolist(), float(s.threshold)
    ([0.9, 1.0, 1.2], [8.5, 9.0], 4.85)
    """
    g = np.sort(values)
    n = g.size
    if n < 2:
        return None
    cs = np.cumsum(g)
    k = np.arange(1, n)  # split after k values
    m0 = cs[:-1] / k
    m1 = (cs[-1] - cs[:-1]) / (n - k)
    j = int(np.argmax(k * (n - k) * (m0 - m1) ** 2))
    return OtsuSplit(g, j + 1, m0[j], m1[j])


def group_median(groups: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Median of `values` per group id 0..n-1 (NaN for empty groups), vectorised.

    Labels outside 0..n-1 are ignored. The median of an even count is the mean of the
    two middle values (as ``np.median``).

    Examples
    --------
    >>> group_median(np.array([0, 0, 2, 0]), np.array([1.0, 3.0, 5.0, 2.0]), 3).tolist()
    [2.0, nan, 5.0]
    """
    out = np.full(n, np.nan)
    if values.size == 0:
        return out
    order = np.lexsort((values, groups))
    g, v = groups[order], values[order]
    starts = np.searchsorted(g, np.arange(n))
    ends = np.searchsorted(g, np.arange(n), side="right")
    ok = ends > starts
    lo = (starts + ends - 1) // 2
    hi = (starts + ends) // 2
    out[ok] = 0.5 * (v[lo[ok]] + v[hi[ok]])
    return out


def theil_sen_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Median of the pairwise slopes (as ``scipy.stats.theilslopes``, without its confidence interval).

    NaN when no two points differ in `x`.

    Examples
    --------
    >>> theil_sen_slope(np.arange(5.0), np.array([0.0, 2.0, 4.0, 6.0, 100.0]))
    2.0
    """
    dx = x[:, None] - x
    pos = dx > 0
    if not pos.any():
        return math.nan
    return float(median((y[:, None] - y)[pos] / dx[pos]))


def pca_angle(x: np.ndarray, y: np.ndarray, *, min_elongation: float = 3.0, max_deg: float = 45.0) -> float:
    """Direction (degrees, in (-90, 90]) of the principal axis of points; 0 when not elongated.

    0 with fewer than three points, when the cloud is less than `min_elongation` times as
    long as it is wide (ratio of the axes' standard deviations), or when the direction is
    steeper than `max_deg`. :func:`pca_angles` of one group.

    Examples
    --------
    >>> t = np.linspace(0.0, 10.0, 50)
    >>> round(pca_angle(t, 0.2 * t + 0.01 * np.sin(7 * t)), 1)
    11.3
    """
    x = np.asarray(x, dtype=np.float64)
    return float(pca_angles(x, np.asarray(y, dtype=np.float64), np.array([0, x.size]),
                            min_elongation=min_elongation, max_deg=max_deg)[0])


def pca_angles(x: np.ndarray, y: np.ndarray, bounds: np.ndarray, *, min_elongation: float = 3.0,
               max_deg: float = 45.0) -> np.ndarray:
    """:func:`pca_angle` of every group of points ``bounds[k]:bounds[k + 1]``, vectorised.

    The 2 x 2 covariance of each group from sums over the group, its principal direction
    and axis ratio in closed form (``0.5 atan2(2 sxy, sxx - syy)``): no loop over groups.

    Examples
    --------
    >>> t = np.linspace(0.0, 10.0, 50)
    >>> x = np.concatenate((t, t, t[:2]))
    >>> y = np.concatenate((0.2 * t + 0.01 * np.sin(7 * t), 3.0 * np.sin(t), t[:2]))
    >>> np.round(pca_angles(x, y, np.array([0, 50, 100, 102])), 1).tolist()   # a line, a round cloud, two points
    [11.3, 0.0, 0.0]
    """
    b = np.asarray(bounds, dtype=np.intp)
    n = np.diff(b)
    out = np.zeros(n.size)
    use = np.flatnonzero(n >= 3)
    if use.size == 0:
        return out
    nu = n[use]
    sel = np.arange(int(nu.sum())) + np.repeat(b[use] - np.r_[0, np.cumsum(nu)[:-1]], nu)
    xs, ys = x[sel], y[sel]
    st = np.r_[0, np.cumsum(nu)[:-1]]
    dx = xs - np.repeat(np.add.reduceat(xs, st) / nu, nu)
    dy = ys - np.repeat(np.add.reduceat(ys, st) / nu, nu)
    sxx = np.add.reduceat(dx * dx, st)
    syy = np.add.reduceat(dy * dy, st)
    sxy = np.add.reduceat(dx * dy, st)
    half = 0.5 * (sxx + syy)
    r = np.sqrt(0.25 * (sxx - syy) ** 2 + sxy**2)
    w0, w1 = half - r, half + r  # eigenvalues (times n - 1), smaller first
    ang = 0.5 * np.degrees(np.arctan2(2.0 * sxy, sxx - syy))  # direction of the larger, in (-90, 90]
    ang = np.where(ang == -90.0, 90.0, ang)
    scale = (nu - 1).astype(np.float64)
    flat = (w0 / scale <= 0) | (w1 / np.maximum(w0 / scale, 1e-12) / scale < min_elongation**2)
    out[use] = np.where(flat | (np.abs(ang) > max_deg), 0.0, ang)
    return out


def hypot(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``np.hypot(x, y)`` of two float arrays of one shape, ~8x faster: ``sqrt(x*x + y*y)``.

    NumPy's ``hypot`` guards every element against overflow and costs ~18 ns per element
    here (speeds, accelerations and jerks of every sample: several ms per recording); the
    plain formula costs ~2 ns and agrees within 1 ulp. Where it does not give a finite
    value (an input beyond ~1e154, where the square overflows, or an input that is not
    finite) the element is ``np.hypot``'s, so infinities and NaN propagate exactly as
    there. (Inputs below ~1e-154 lose precision to underflow: far below any pen movement.)

    Examples
    --------
    >>> hypot(np.array([3.0, 1e200, np.inf]), np.array([4.0, 1e200, np.nan])).tolist()
    [5.0, 1.414213562373095e+200, inf]
    """
    with np.errstate(over="ignore", invalid="ignore"):  # those elements are np.hypot's below
        r = x * x
        r += y * y
        np.sqrt(r, out=r)
    bad = ~np.isfinite(r)
    if bad.any():
        r[bad] = np.hypot(x[bad], y[bad])
    return r
