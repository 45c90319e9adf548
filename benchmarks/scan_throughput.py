"""Scan throughput: penmotor's full page scoring vs an OpenCV floor, and pages/s with 1 and 2 workers.

Generates N A4 pages at 300 dpi (12 lines of synthetic handwriting on ruled paper, light
noise), saved as PNG. In the same run it times

* the **OpenCV floor** -- what any scan pipeline must at least do: ``cv2.imread`` (PNG),
  Otsu threshold, connected components with stats, distance transform, row and column
  projections;
* **penmotor** -- :func:`penmotor.scan.score_page` on the same files (load, binarise,
  deskew, ruled lines, skeleton, segmentation, all metrics);

and prints ms/page for both and their ratio (target <= 2x), then pages/s of the batch runner
(:func:`penmotor.scan.batch.scan_files`) with 1 and 2 worker processes.

Usage::

    python benchmarks/scan_throughput.py [--pages 6] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

TEXTS = ["the quick brown fox jumps over the lazy dog", "pack my box with five dozen liquor jugs",
         "sphinx of black quartz judge my vow", "how vexingly quick daft zebras jump"]


def make_pages(folder: Path, n: int, *, dpi: float = 300.0) -> list[Path]:
    """N A4 pages of ruled synthetic handwriting, PNG with dpi metadata."""
    from PIL import Image

    from penmotor import synth
    from penmotor.scan.render import degrade, render

    out = []
    for p in range(n):
        recs = [synth.handwriting(TEXTS[(p + i) % len(TEXTS)], x_height_mm=3.0 + 0.3 * (i % 3), seed=100 * p + i,
                                  slant_deg=float((i % 5) - 2) * 3) for i in range(12)]
        img = render(recs, dpi=dpi, page_mm=(210.0, 297.0), margin_mm=20.0, line_gap_mm=21.0,
                     rules_mm=[100.0])
        img = degrade(img, rotate_deg=0.7 * ((p % 3) - 1), noise_sd=4.0, seed=p)
        f = folder / f"page_{p:03d}.png"
        Image.fromarray(img).save(f, dpi=(dpi, dpi))
        out.append(f)
    return out


def floor(path: Path) -> float:
    """The OpenCV floor on one page; returns a number so nothing is optimised away."""
    import cv2

    g = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    _, b = cv2.threshold(g, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels = cv2.connectedComponents(b, connectivity=8)  # the same call penmotor uses
    d = cv2.distanceTransform(b, cv2.DIST_L2, 5)
    rows, cols = b.sum(axis=1), b.sum(axis=0)
    return float(n + d.max() + rows.max() + cols.max() + labels[::97, ::89].sum())


def _warm(_: int) -> int:
    from penmotor.scan.batch import _init_worker
    from penmotor.scan.pipeline import analyze_page  # noqa: F401  (imports done before timing)

    _init_worker()
    return os.getpid()


def _score_ok(task: dict) -> bool:
    from penmotor.scan.batch import score_task

    return score_task(task)["status"] == "ok"


def pool_rate(fn, items: list, workers: int) -> float:
    """Steady-state items/s of a spawn pool running `fn` (start-up and imports excluded)."""
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from penmotor.scan.batch import _init_worker

    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker) as ex:
        list(ex.map(_warm, range(4 * workers)))
        t0 = time.perf_counter()
        out = list(ex.map(fn, items))
        dt = time.perf_counter() - t0
    assert all(out)
    return len(items) / dt


def timed(fn, files: list[Path], repeat: int) -> float:
    """Median over repeats of the mean ms per page."""
    per = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for f in files:
            fn(f)
        per.append((time.perf_counter() - t0) / len(files) * 1000)
    return statistics.median(per)


def main(argv: list[str] | None = None) -> int:
    import cv2

    from penmotor.scan import score_page
    from penmotor.scan.batch import scan_files

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)  # compare single-threaded work (the batch runner does the same per worker)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        (d / "pages").mkdir()
        files = make_pages(d / "pages", args.pages)
        print(f"{len(files)} A4 pages at 300 dpi (2480x3508) generated in {time.perf_counter() - t0:.1f} s")
        floor(files[0]), score_page(files[0])  # warm-up (imports, caches)
        ms_floor = timed(floor, files, args.repeat)
        ms_full = timed(score_page, files, args.repeat)
        print(f"OpenCV floor (imread+Otsu+CC+distance+projections): {ms_floor:7.1f} ms/page")
        print(f"penmotor full scoring (score_page):                   {ms_full:7.1f} ms/page")
        print(f"ratio full / floor: {ms_full / ms_floor:.2f}x (target <= 2x)")
        m = score_page(files[0])
        print(f"  page 1: x_height {m['x_height']:.2f} mm, word_spacing {m['word_spacing']:.2f} mm, "
              f"slant {m['slant']:.1f} deg, {m['ruled_line_spacing']:.1f} mm ruled")
        rates = {}
        for w in (1, 2):
            t0 = time.perf_counter()
            df = scan_files(d / "pages", d / f"out{w}.parquet", workers=w, resume=False, progress=False)
            dt = time.perf_counter() - t0
            assert (df["status"] == "ok").all(), df[df["status"] != "ok"]["error"].tolist()
            rates[w] = len(files) / dt
            print(f"batch, {w} worker(s): {rates[w]:.2f} pages/s ({dt:.1f} s incl. process start-up)")
        print(f"speed-up 2 vs 1 worker: {rates[2] / rates[1]:.2f}x (target: near 2x; {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f} -- other work on the machine lowers it)")
        from penmotor.scan.batch import page_tasks

        tasks, _ = page_tasks(files)
        steady = {w: pool_rate(_score_ok, tasks, w) for w in (1, 2)}
        print(f"steady-state pool (spawn, warmed up): 1 worker {steady[1]:.2f} pages/s, 2 workers "
              f"{steady[2]:.2f} pages/s -> {steady[2] / steady[1]:.2f}x")
        fl = {w: pool_rate(floor, files, w) for w in (1, 2)}
        print(f"  the OpenCV floor in the same pool: {fl[1]:.2f} -> {fl[2]:.2f} pages/s ({fl[2] / fl[1]:.2f}x): "
              "what this machine allows right now")
        a = np.asarray(pd.read_parquet(d / "out1.parquet")["x_height"])
        b = np.asarray(pd.read_parquet(d / "out2.parquet")["x_height"])
        print(f"1- and 2-worker tables identical: {bool(np.array_equal(a, b, equal_nan=True))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
