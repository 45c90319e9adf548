"""Loading scanned pages: formats, resolution metadata, and bad input (clear per-file errors)."""

from __future__ import annotations

import struct
import tracemalloc
import zlib
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from penmotor import synth
from penmotor.errors import FormatError, PenmotorError, UnitsError
from penmotor.scan import score_page
from penmotor.scan.batch import score_task
from penmotor.scan.io import load_pages, page_count
from penmotor.synth import render


@pytest.fixture(scope="module")
def page() -> np.ndarray:
    return render(synth.handwriting("sun and rain", seed=1), dpi=200)


def test_png_dpi_from_metadata_and_override(tmp_path, page):
    f = tmp_path / "a.png"
    Image.fromarray(page).save(f, dpi=(200, 200))
    (p,) = load_pages(f)
    assert p.dpi == 200.0 and p.grey.shape == page.shape and np.array_equal(p.grey, page)
    assert p.meta["dpi_from"] == "file"
    # dpi= is the fallback for files that state none (the file's 200 wins); force_dpi= overrides it
    kept = next(load_pages(f, dpi=300))
    assert kept.dpi == 200.0 and kept.meta["dpi_from"] == "file"
    forced = next(load_pages(f, force_dpi=300))
    assert forced.dpi == 300.0 and forced.meta["dpi_from"] == "force_dpi"
    assert next(load_pages(f, dpi=150, force_dpi=300)).dpi == 300.0
    assert score_page(f)["x_height"] == pytest.approx(score_page(page, dpi=200)["x_height"])


def test_missing_dpi_is_an_error_not_a_guess(tmp_path, page):
    f = tmp_path / "nodpi.png"
    cv2.imwrite(str(f), page)
    with pytest.raises(UnitsError, match="dpi"):
        next(load_pages(f))
    with pytest.raises(UnitsError):
        score_page(f)


def test_jpeg_and_colour(tmp_path, page):
    f = tmp_path / "a.jpg"
    rgb = np.stack([page, page, page], axis=2)
    Image.fromarray(rgb).save(f, dpi=(200, 200), quality=95)
    (p,) = load_pages(f)
    assert p.dpi == 200.0 and p.grey.ndim == 2
    assert np.abs(p.grey.astype(int) - page).mean() < 3


def test_multipage_tiff(tmp_path, page):
    f = tmp_path / "a.tif"
    ims = [Image.fromarray(page), Image.fromarray(255 - (255 - page) // 2)]
    ims[0].save(f, save_all=True, append_images=ims[1:], dpi=(200, 200))
    assert page_count(f) == 2
    pages = list(load_pages(f))
    assert [p.index for p in pages] == [0, 1] and all(p.dpi == 200 for p in pages)
    assert [p.index for p in load_pages(f, pages=[1])] == [1]


def test_pdf_rasterised_at_requested_dpi(tmp_path, page):
    f = tmp_path / "a.pdf"
    Image.fromarray(page).save(f, resolution=200.0)
    (p,) = load_pages(f, dpi=100)
    assert p.dpi == 100.0
    assert abs(p.grey.shape[0] - page.shape[0] / 2) <= 2 and abs(p.grey.shape[1] - page.shape[1] / 2) <= 2
    m = score_page(next(load_pages(f, dpi=200)))
    ref = score_page(page, dpi=200)
    assert m["x_height"] == pytest.approx(ref["x_height"], rel=0.05)


def test_not_an_image(tmp_path):
    f = tmp_path / "notes.png"
    f.write_text("these are not pixels")
    with pytest.raises(FormatError, match="not an image") as ei:
        next(load_pages(f, dpi=300))
    assert ei.value.path == str(f)


def test_truncated_png(tmp_path, page):
    f = tmp_path / "cut.png"
    Image.fromarray(page).save(f, dpi=(200, 200))
    data = f.read_bytes()
    f.write_bytes(data[: len(data) // 2])
    with pytest.raises(FormatError, match="truncated or corrupt"):
        next(load_pages(f))


def test_blank_and_black_pages(tmp_path, rng):
    blank = np.clip(245 + rng.normal(0, 4, (600, 800)), 0, 255).astype(np.uint8)
    with pytest.raises(FormatError, match="blank page"):
        score_page(blank, dpi=300)
    with pytest.raises(FormatError, match="blank page"):
        score_page(np.full((600, 800), 255, np.uint8), dpi=300)
    black = np.clip(10 + rng.normal(0, 4, (600, 800)), 0, 255).astype(np.uint8)
    with pytest.raises(FormatError, match="all-black"):
        score_page(black, dpi=300)


def _huge_png_header(path: Path, w: int, h: int) -> None:
    """A PNG whose header claims w x h pixels, with a tiny (truncated) body: never decodable."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)
    phys = struct.pack(">IIB", 11811, 11811, 1)  # 300 dpi
    body = zlib.compress(b"\x00" * 1000)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"pHYs", phys) + chunk(b"IDAT", body)
                     + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [9000, 20000])
def test_huge_image_refused_before_decoding(tmp_path, side):
    f = tmp_path / "huge.png"
    _huge_png_header(f, side, side)
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match="exceeds max_pixels"):
            next(load_pages(f))
        row = score_task({"path": str(f), "page": 0, "key": "k", "dpi": None})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert row["status"] == "error" and "max_pixels" in row["error"]
    assert peak < 50e6  # never allocated the 400 Mpx page


@settings(max_examples=30, deadline=None)
@given(data=st.binary(min_size=0, max_size=600), suffix=st.sampled_from([".png", ".jpg", ".tif", ".pdf", ".bmp"]))
def test_random_bytes_give_a_penmotor_error(tmp_path_factory, data, suffix):
    f = tmp_path_factory.mktemp("junk") / f"x{suffix}"
    f.write_bytes(data)
    with pytest.raises(PenmotorError):
        list(load_pages(f, dpi=300))


def test_transparent_png_is_composited_on_white(tmp_path):
    a = np.zeros((50, 60, 4), np.uint8)
    a[20:24, 10:50, 3] = 255  # transparent page with one opaque black bar
    f = tmp_path / "rgba.png"
    Image.fromarray(a, "RGBA").save(f, dpi=(200, 200))
    (p,) = load_pages(f)
    assert p.grey[0, 0] == 255 and p.grey[21, 20] == 0
