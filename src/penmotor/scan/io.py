"""Load scanned pages as grey images with a known resolution (dpi).

Raster files (PNG, JPEG, TIFF incl. multi-page TIFF, BMP) are opened header-first with
Pillow, so the page size is checked against ``max_pixels`` *before* any pixel is
decoded (a 20000 x 20000 image is refused, not decoded). PDFs are rasterised with
pypdfium2 at ``dpi`` (default 300): their physical size is in the file, so their scale is
exact. The scale of a raster comes from the file's metadata (PNG pHYs, JFIF, TIFF
XResolution); ``dpi=`` is used for a file that states none, and ``force_dpi=`` whatever the
file states (a scanner that writes a wrong value). When neither the file nor ``dpi=`` gives
it, :class:`~penmotor.UnitsError` is raised -- millimetres are never guessed. Each
:class:`Page` says where its dpi came from in ``page.meta["dpi_from"]`` (``"file"``,
``"dpi"``, ``"force_dpi"``, or ``"pdf"`` for the rasterisation resolution of a PDF).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, ParameterError, PenmotorWarning, UnitsError

__all__ = ["Page", "load_pages", "page_count", "as_page", "MAX_PIXELS", "IMAGE_EXTENSIONS"]

#: Default ceiling on pixels per page (A4 at 600 dpi is 35 Mpx); bounds memory per page.
MAX_PIXELS = 50_000_000
#: File name endings the batch runner picks up.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".pdf")
_PDF_MAGIC = b"%PDF"


@dataclass(frozen=True)
class Page:
    """One grey page and its scale.

    Attributes
    ----------
    grey : ndarray of uint8, shape (rows, cols)
        0 = black ink, 255 = white paper.
    dpi : float
        Pixels per inch (25.4 mm).
    source : str
        File name ("<array>" for in-memory images).
    index : int
        0-based page number within the file.

    Examples
    --------
    >>> p = Page(np.zeros((10, 20), np.uint8), 254.0)
    >>> round(p.mm_per_px, 6)
    0.1
    """

    grey: np.ndarray
    dpi: float
    source: str = "<array>"
    index: int = 0
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def image(self) -> np.ndarray:
        """Alias of :attr:`grey`."""
        return self.grey

    @property
    def mm_per_px(self) -> float:
        """Millimetres per pixel."""
        return 25.4 / self.dpi


def _check_dpi(dpi: Any, name: str = "dpi") -> float:
    try:
        d = float(dpi)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a positive number, got {dpi!r}", argument=name) from None
    if not (np.isfinite(d) and 10.0 <= d <= 10000.0):
        raise ParameterError(f"{name}: expected a number between 10 and 10000, got {dpi!r}", argument=name)
    return d


def _snap(d: float) -> float:
    r = round(d)
    return float(r) if abs(d - r) < 0.01 * max(r, 1) * 0.1 else float(d)


def _to_grey(arr: np.ndarray) -> np.ndarray:
    """Any decoded raster (bool, uint8, uint16, float, RGB(A)) -> uint8 grey."""
    a = np.asarray(arr)
    if a.ndim == 3:
        if a.shape[2] == 4:  # alpha over white paper
            alpha = a[..., 3:4].astype(np.float32) / (65535.0 if a.dtype == np.uint16 else 255.0)
            rgb = a[..., :3].astype(np.float32) * alpha + (1 - alpha) * (65535.0 if a.dtype == np.uint16 else 255.0)
            a = rgb
        a = a[..., :3].astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)
        if arr.dtype == np.uint16:
            a = a / 257.0
        return np.clip(np.rint(a), 0, 255).astype(np.uint8)
    if a.dtype == bool:
        return np.where(a, 255, 0).astype(np.uint8)
    if a.dtype == np.uint8:
        return a
    if a.dtype == np.uint16:
        return (a >> 8).astype(np.uint8)
    if a.dtype.kind in "iu":
        hi = max(float(a.max()), 1.0)
        return np.clip(a.astype(np.float64) * (255.0 / hi), 0, 255).astype(np.uint8)
    if a.dtype.kind == "f":
        f = np.nan_to_num(a.astype(np.float64), nan=1.0)
        scale = 255.0 if f.max() <= 1.0 + 1e-6 else 1.0
        return np.clip(np.rint(f * scale), 0, 255).astype(np.uint8)
    raise ParameterError(f"image: unsupported array dtype {a.dtype}")


def as_page(image: Any, *, dpi: float | None = None, max_pixels: int = MAX_PIXELS,
            force_dpi: float | None = None) -> Page:
    """Wrap an in-memory image (or the first page of a file) as a :class:`Page`.

    Parameters
    ----------
    image : ndarray, Page, str or Path
        A 2-D grey or 3-D colour array, an existing Page, or a file name.
    dpi : float, optional
        Resolution; required for arrays (:class:`~penmotor.UnitsError` otherwise). For a
        file or a Page: used when it states none.
    max_pixels : int
        Refuse larger pages.
    force_dpi : float, optional
        Resolution to use whatever a file or Page states.

    Examples
    --------
    >>> as_page(np.full((5, 5), 255, np.uint8), dpi=300).dpi
    300.0
    >>> as_page(np.full((5, 5), 255, np.uint8))
    Traceback (most recent call last):
    ...
    penmotor.errors.UnitsError: <array>: image resolution unknown; pass dpi= (pixels per inch)
    """
    if isinstance(image, Page):
        if force_dpi is None:
            return image
        return Page(image.grey, _check_dpi(force_dpi, "force_dpi"), image.source, image.index,
                    {**image.meta, "dpi_from": "force_dpi"})
    if isinstance(image, (str, Path)):
        for p in load_pages(image, dpi=dpi, force_dpi=force_dpi, max_pixels=max_pixels):
            return p
        raise FormatError("file has no pages", path=image)  # pragma: no cover
    arr = np.asarray(image)
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise ParameterError(f"image: expected a 2-D grey or 3-D colour array, got shape {arr.shape}")
    if arr.shape[0] * arr.shape[1] > max_pixels:
        raise ParameterError(f"image: {arr.shape[1]}x{arr.shape[0]} exceeds max_pixels={max_pixels}")
    d, src = (force_dpi, "force_dpi") if force_dpi is not None else (dpi, "dpi")
    if d is None:
        raise UnitsError("image resolution unknown", path="<array>", argument="dpi",
                         advice="pass dpi= (pixels per inch)")
    return Page(_to_grey(arr), _check_dpi(d, src), meta={"dpi_from": src})


def _sniff_pdf(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(1024).lstrip()[:4] == _PDF_MAGIC


def page_count(path: str | Path) -> int:
    """Number of pages in an image or PDF file (reads headers only).

    Examples
    --------
    >>> import tempfile, cv2
    >>> f = tempfile.NamedTemporaryFile(suffix=".png", delete=False).name
    >>> _ = cv2.imwrite(f, np.zeros((4, 4), np.uint8))
    >>> page_count(f)
    1
    """
    path = Path(path)
    if not path.is_file():
        raise FormatError("no such file", path=path)
    if _sniff_pdf(path):
        import pypdfium2 as pdfium

        try:
            doc = pdfium.PdfDocument(str(path))
        except Exception as exc:
            raise FormatError(f"not a readable PDF ({exc})", path=path) from None
        try:
            return len(doc)
        finally:
            doc.close()
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                return int(getattr(im, "n_frames", 1))
    except Image.DecompressionBombError:
        return 1  # a huge single image: loading it reports the size error
    except Exception as exc:
        raise FormatError(f"not an image Pillow can read ({type(exc).__name__}: {exc})", path=path) from None


def load_pages(
    source: Any,
    *,
    dpi: float | None = None,
    max_pixels: int = MAX_PIXELS,
    pages: Any = None,
    force_dpi: float | None = None,
) -> Iterator[Page]:
    """Yield the grey pages of an image file, multi-page TIFF or PDF, with their dpi.

    Parameters
    ----------
    source : str, Path or ndarray
        File name (PNG/JPEG/TIFF/BMP/PDF), or an in-memory image (then `dpi` is required).
    dpi : float, optional
        Raster files: the resolution when the file's metadata states none (then it is
        required). PDFs: the rasterisation resolution (default 300).
    max_pixels : int
        Pages with more pixels raise :class:`~penmotor.FormatError` before decoding.
    pages : iterable of int, optional
        0-based page numbers to load (default all).
    force_dpi : float, optional
        The resolution whatever the file states (overrides its metadata; for PDFs the
        rasterisation resolution).

    Yields
    ------
    Page

    Raises
    ------
    FormatError
        Not an image, truncated or undecodable data, page too large.
    UnitsError
        Resolution unknown (no metadata, no ``dpi=`` and no ``force_dpi=``).

    Examples
    --------
    >>> import tempfile, cv2
    >>> f = tempfile.NamedTemporaryFile(suffix=".png", delete=False).name
    >>> _ = cv2.imwrite(f, np.full((30, 40), 255, np.uint8))
    >>> [(p.grey.shape, p.dpi, p.meta["dpi_from"]) for p in load_pages(f, dpi=200)]
    [((30, 40), 200.0, 'dpi')]
    >>> next(load_pages(f))
    Traceback (most recent call last):
    ...
    penmotor.errors.UnitsError: ...: image resolution unknown (no dpi in the file's metadata); pass dpi= ...
    """
    if not isinstance(source, (str, Path)):
        yield as_page(source, dpi=dpi, force_dpi=force_dpi, max_pixels=max_pixels)
        return
    path = Path(source)
    if not path.is_file():
        raise FormatError("no such file", path=path)
    want = None if pages is None else {int(p) for p in pages}
    if _sniff_pdf(path):
        yield from _load_pdf(path, dpi=force_dpi if force_dpi is not None else dpi, max_pixels=max_pixels,
                             want=want, name="force_dpi" if force_dpi is not None else "dpi")
        return
    yield from _load_raster(path, dpi=dpi, force_dpi=force_dpi, max_pixels=max_pixels, want=want)


def _load_pdf(path: Path, *, dpi: float | None, max_pixels: int, want: set[int] | None,
              name: str = "dpi") -> Iterator[Page]:
    import pypdfium2 as pdfium

    d = 300.0 if dpi is None else _check_dpi(dpi, name)
    try:
        doc = pdfium.PdfDocument(str(path))
    except Exception as exc:
        raise FormatError(f"not a readable PDF ({exc})", path=path) from None
    try:
        for i in range(len(doc)):
            if want is not None and i not in want:
                continue
            page = doc[i]
            try:
                w_pt, h_pt = page.get_size()
                npx = (w_pt * d / 72.0) * (h_pt * d / 72.0)
                if npx > max_pixels:
                    raise FormatError(
                        f"page {i + 1}: {w_pt / 72 * 25.4:.0f}x{h_pt / 72 * 25.4:.0f} mm at {d:g} dpi is "
                        f"{npx / 1e6:.0f} Mpx > max_pixels={max_pixels}",
                        path=path, line=i + 1, argument=name, advice=f"pass a lower {name}=",
                    )
                bmp = page.render(scale=d / 72.0, grayscale=True)
                arr = bmp.to_numpy()
                grey = _to_grey(arr[..., 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr).copy()
            except FormatError:
                raise
            except Exception as exc:
                raise FormatError(f"page {i + 1}: cannot rasterise ({exc})", path=path, line=i + 1) from None
            finally:
                page.close()
            yield Page(grey, d, str(path), i, {"dpi_from": "pdf"})
    finally:
        doc.close()


def _raster_dpi(info: dict[str, Any]) -> float | None:
    d = info.get("dpi")
    if d is None:
        return None
    try:
        dx, dy = (float(d[0]), float(d[1])) if isinstance(d, (tuple, list)) else (float(d), float(d))
    except (TypeError, ValueError):
        return None
    if not (np.isfinite(dx) and dx > 1.0):
        return None
    if abs(dx - dy) > 0.01 * dx:
        raise UnitsError(f"non-square pixels ({dx:g} x {dy:g} dpi) are not supported; resample first")
    return _snap(dx)


def _load_raster(path: Path, *, dpi: float | None, force_dpi: float | None, max_pixels: int,
                 want: set[int] | None) -> Iterator[Page]:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # we check max_pixels
            im = Image.open(path)  # lazy: header only
    except Image.DecompressionBombError as exc:
        import re

        m = re.search(r"\((\d+) pixels\)", str(exc))
        n = f"{int(m.group(1)):,} pixels" if m else "too many pixels"
        raise FormatError(f"image of {n} exceeds max_pixels={max_pixels} (not decoded)", path=path) from None
    except Exception as exc:
        raise FormatError(f"not an image ({type(exc).__name__}: {exc})", path=path) from None
    with im:
        n = int(getattr(im, "n_frames", 1))
        for i in range(n):
            if want is not None and i not in want:
                continue
            try:
                if i:
                    im.seek(i)
            except Exception as exc:
                raise FormatError(f"page {i + 1}: cannot seek ({exc})", path=path, line=i + 1) from None
            w, h = im.size
            if w * h > max_pixels:
                raise FormatError(
                    f"page {i + 1}: {w}x{h} pixels exceeds max_pixels={max_pixels} (not decoded)",
                    path=path, line=i + 1,
                )
            if force_dpi is not None:
                d, src = _check_dpi(force_dpi, "force_dpi"), "force_dpi"
            else:
                try:
                    d, src = _raster_dpi(dict(im.info)), "file"
                except UnitsError as exc:
                    raise UnitsError(exc.reason, path=path, line=i + 1, argument="force_dpi",
                                     advice="pass force_dpi= to use one resolution for both axes") from None
                if d is None and dpi is not None:
                    d, src = _check_dpi(dpi, "dpi"), "dpi"
                if d is None:
                    raise UnitsError(
                        "image resolution unknown (no dpi in the file's metadata)", path=path,
                        argument="dpi", advice="pass dpi= (pixels per inch; used for files that state none)",
                    )
                if src == "file" and d < 100:
                    warnings.warn(
                        f"{path}: metadata says {d:g} dpi, unusually low for a scan (screen default?); "
                        "pass force_dpi= if wrong", PenmotorWarning, stacklevel=3,
                    )
            grey = None
            if n == 1 and im.format in ("PNG", "JPEG", "BMP") and im.mode in ("L", "RGB", "I;16", "I"):
                import cv2

                grey = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)  # fast path
                if grey is None:
                    raise FormatError("cannot decode image data (truncated or corrupt)", path=path)
            else:
                try:
                    im.load()
                    grey = _to_grey(np.asarray(im.convert("L") if im.mode in ("P", "LA", "PA", "CMYK", "YCbCr", "1")
                                               else im))
                except Exception as exc:
                    raise FormatError(
                        f"page {i + 1}: cannot decode image data ({type(exc).__name__}: {exc})",
                        path=path, line=i + 1,
                    ) from None
            if grey.ndim != 2 or grey.size == 0:
                raise FormatError(f"page {i + 1}: empty image", path=path, line=i + 1)
            yield Page(np.ascontiguousarray(grey), d, str(path), i, {"dpi_from": src})
