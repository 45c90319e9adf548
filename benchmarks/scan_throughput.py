"""Scan throughput: penmotor's full page scoring vs an OpenCV floor, and pages/s with 1 and 2 workers.

Generates N A4 pages at 300 dpi (12 lines of synthetic handwriting on ruled paper, light
noise), saved as PNG. In the same run it times

* the **OpenCV floor** -- what any scan pipeline must at least do: ``cv2.imread`` (PNG),
  Otsu threshold, connected components with stats, distance transform, row and column
  projections;
* **penmotor** -- :func:`penmotor.scan.score_page` on the same files (load, binarise,
  deskew, ruled lines, skeleton, segmentation, all metrics);

and prints ms/page for both and their ratio (target <= 2x), then pages/s of the batch runner
(:func:`penmotor.scan.batch.scan_files`) with 1 and 2 worker processes: end to end, and in a
warmed-up pool (target: near-linear). Finally ``--workers 2`` against 1 on the A4 pages and on
``--small`` 200 small pages, as before (a pool of 2 processes always) and now (the calling
process works and the pool starts only when the batch is worth it; target: never slower). A fresh worker's first page pays the pipeline's lazy
imports (scikit-image, SciPy; about 0.3-0.4 s, two pages' work), so the steady-state
figure warms every worker with a full page and gives each at least 8 pages.

Usage::

    python benchmarks/scan_throughput.py [--pages 6] [--repeat 3] [--small 200]
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
    from penmotor.synth import degrade, render

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


def make_small_pages(folder: Path, n: int, *, dpi: float = 300.0) -> list[Path]:
    """N small pages (a few words on a 90 x 30 mm card each), PNG with dpi metadata."""
    from PIL import Image

    from penmotor import synth
    from penmotor.scan.render import render

    out = []
    for p in range(n):
        words = " ".join(TEXTS[p % len(TEXTS)].split()[(p % 3):(p % 3) + 2])
        img = render(synth.handwriting(words, seed=p), dpi=dpi, page_mm=(90.0, 30.0), margin_mm=5.0)
        f = folder / f"card_{p:03d}.png"
        Image.fromarray(img).save(f, dpi=(dpi, dpi))
        out.append(f)
    return out


def worker_scaling(folder: Path, out: Path, n: int, label: str, repeat: int) -> None:
    """End-to-end seconds of ``scan_files`` (cold start, resume off): 1 worker, 2 workers as
    before (a pool of 2 spawned processes always), 2 workers now (the caller works, the pool
    starts only when worth it). Engines alternate within each repeat; medians printed."""
    from penmotor import batch
    from penmotor.scan.batch import scan_files

    runs = {"1 worker": dict(workers=1), "2 workers, pool always (before)": dict(workers=2, share=False),
            "2 workers, adaptive (now)": dict(workers=2)}
    times: dict[str, list[float]] = {k: [] for k in runs}
    pooled = {}
    for _ in range(repeat):
        for name, kw in runs.items():
            t0 = time.perf_counter()
            df = scan_files(folder, out, resume=False, progress=False, **kw)
            times[name].append(time.perf_counter() - t0)
            assert (df["status"] == "ok").all(), df[df["status"] != "ok"]["error"].tolist()[:3]
            if name.endswith("(now)"):
                pooled = dict(batch.LAST_RUN)
    base = statistics.median(times["1 worker"])
    print(f"{label}: {n} pages, scan_files end to end (median of {repeat}):")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"  {name:34s} {m:6.2f} s  {n / m:6.1f} pages/s  x{base / m:.2f} vs 1 worker")
    print(f"  (adaptive run: pool started: {pooled.get('pool')}, pages in this process "
          f"{pooled.get('in_caller')}, in the worker {pooled.get('in_workers')})")


def floor(path: Path) -> float:
    """The OpenCV floor on one page; returns a number so nothing is optimised away."""
    import cv2

    g = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    _, b = cv2.threshold(g, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    n, labels = cv2.connectedComponents(b, connectivity=8)  # the same call penmotor uses
    d = cv2.distanceTransform(b, cv2.DIST_L2, 5)
    rows, cols = b.sum(axis=1), b.sum(axis=0)
    return float(n + d.max() + rows.max() + cols.max() + labels[::97, ::89].sum())


def _warm(path: Path) -> int:
    """Worker warm-up: one full page, so every lazy import and cache of the pipeline is paid before timing."""
    from penmotor.scan import score_page
    from penmotor.scan.batch import _init_worker

    _init_worker()
    score_page(path)
    return os.getpid()


def _score_ok(task: dict) -> bool:
    from penmotor.scan.batch import score_task

    return score_task(task)["status"] == "ok"


def _cpu_timed(fn, item) -> tuple[object, float]:
    """``fn(item)`` and the CPU seconds the worker spent on it."""
    t0 = time.process_time()
    out = fn(item)
    return out, time.process_time() - t0


def pool_rate(fn, items: list, workers: int, warm: Path, *, min_per_worker: int = 8) -> tuple[float, float]:
    """Steady-state items/s of a spawn pool running `fn`, and the mean CPU ms per item in the workers.

    Start-up and imports are excluded: every worker first scores a page (checked by its
    process id), and each worker gets at least `min_per_worker` items (the list is
    repeated), so the first and last items' imbalance weighs little.
    """
    import functools
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    from penmotor.scan.batch import _init_worker

    reps = -(-min_per_worker * workers // len(items))
    items = items * reps
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init_worker) as ex:
        seen: set[int] = set()
        for _ in range(10):  # a worker that starts late may miss a round of warm-up pages
            seen |= set(ex.map(_warm, [warm] * (2 * workers)))
            if len(seen) >= workers:
                break
        t0 = time.perf_counter()
        out = list(ex.map(functools.partial(_cpu_timed, fn), items))
        dt = time.perf_counter() - t0
    assert all(o for o, _ in out)
    return len(items) / dt, 1000 * statistics.mean(c for _, c in out)


def timed(fns: list, files: list[Path], repeat: int) -> list[tuple[float, float]]:
    """Per function, the median over repeats of the mean wall-clock and CPU ms per page.

    The functions take turns within each repeat, so a change of load on the machine hits
    them alike; CPU time ignores other processes altogether.
    """
    wall: list[list[float]] = [[] for _ in fns]
    cpu: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0, c0 = time.perf_counter(), time.process_time()
            for f in files:
                fn(f)
            wall[i].append((time.perf_counter() - t0) / len(files) * 1000)
            cpu[i].append((time.process_time() - c0) / len(files) * 1000)
    return [(statistics.median(w), statistics.median(c)) for w, c in zip(wall, cpu)]


def main(argv: list[str] | None = None) -> int:
    import cv2

    from penmotor.scan import score_page
    from penmotor.scan.batch import scan_files

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--small", type=int, default=200, help="small pages for the worker start-up check (0: skip)")
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)  # compare single-threaded work (the batch runner does the same per worker)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t0 = time.perf_counter()
        (d / "pages").mkdir()
        files = make_pages(d / "pages", args.pages)
        print(f"{len(files)} A4 pages at 300 dpi (2480x3508) generated in {time.perf_counter() - t0:.1f} s")
        floor(files[0]), score_page(files[0])  # warm-up (imports, caches)
        ms_floor, ms_full = timed([floor, score_page], files, args.repeat)
        print(f"OpenCV floor (imread+Otsu+CC+distance+projections): {ms_floor[0]:7.1f} ms/page "
              f"(CPU {ms_floor[1]:.1f})")
        print(f"penmotor full scoring (score_page):                   {ms_full[0]:7.1f} ms/page "
              f"(CPU {ms_full[1]:.1f})")
        print(f"ratio full / floor: {ms_full[0] / ms_floor[0]:.2f}x (CPU {ms_full[1] / ms_floor[1]:.2f}x; "
              "target <= 2x)")
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
            print(f"batch end to end, {w} worker(s): {rates[w]:.2f} pages/s ({dt:.1f} s incl. process start-up "
                  "and imports, a large share of a few pages)")
        from penmotor.scan.batch import page_tasks

        tasks, _ = page_tasks(files)
        steady = {w: pool_rate(_score_ok, tasks, w, files[0]) for w in (1, 2)}

        def busy(r: dict) -> str:  # share of its core each worker computed (below 1: waiting, e.g. for a CPU)
            return f"{r[1][0] * r[1][1] / 1000:.0%} -> {r[2][0] * r[2][1] / 2000:.0%}"

        print(f"steady-state pool (spawn, warmed up): 1 worker {steady[1][0]:.2f} pages/s, 2 workers "
              f"{steady[2][0]:.2f} pages/s -> {steady[2][0] / steady[1][0]:.2f}x "
              f"(CPU per page in a worker: {steady[1][1]:.0f} -> {steady[2][1]:.0f} ms; workers busy {busy(steady)})")
        fl = {w: pool_rate(floor, files, w, files[0]) for w in (1, 2)}
        print(f"  the OpenCV floor in the same pool: {fl[1][0]:.2f} -> {fl[2][0]:.2f} pages/s "
              f"({fl[2][0] / fl[1][0]:.2f}x; CPU per page {fl[1][1]:.0f} -> {fl[2][1]:.0f} ms; busy {busy(fl)}): "
              "what this machine allows right now")
        print(f"  ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}: other work on the machine "
              "lowers the 2-worker figures)")
        worker_scaling(d / "pages", d / "scaling.parquet", len(files), "A4 pages", max(1, args.repeat - 1))
        if args.small:
            (d / "small").mkdir()
            make_small_pages(d / "small", args.small)
            worker_scaling(d / "small", d / "small.parquet", args.small, "small pages",
                           max(1, args.repeat - 1))
        a = np.asarray(pd.read_parquet(d / "out1.parquet")["x_height"])
        b = np.asarray(pd.read_parquet(d / "out2.parquet")["x_height"])
        print(f"1- and 2-worker tables identical: {bool(np.array_equal(a, b, equal_nan=True))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
