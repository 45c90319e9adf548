"""Batch feature throughput: recordings/s per engine against the plain serial loop, same run.

Corpus: every recording file of ``../shared/data`` that penmotor reads (PaHaW SVC, UCI spiral
text files: several recordings per file) plus ``--synthetic`` handwriting pages written as
``.pmr`` files, copied to a temporary folder. In the same run it times

* the **serial loop** -- ``for f in files: features(read(f))``, the least a batch must do;
* :func:`penmotor.features_table` on the folder with ``workers=1``;
* ``workers=2`` (this process plus one spawned worker, the pool started only when the batch is
  worth it -- the default);
* ``workers=2, share=False`` through the engine (two spawned workers do all the work, as
  before the pool became adaptive);
* a Dask ``LocalCluster`` of 2 single-threaded worker processes (``dask="local"``), cluster
  start-up included, and on a cluster started beforehand (``client=``).

Every figure includes file reading, hashing and the table; each engine's table is checked
identical to the serial one. Usage::

    python benchmarks/batch_throughput.py [--synthetic 40] [--limit 0] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import penmotor  # noqa: E402
from penmotor.batch import find_files, run_batch  # noqa: E402

from penmotor.registry import features_table, file_rows, file_tasks, is_recording_file  # noqa: E402

TEXTS = ["the quick brown fox jumps over the lazy dog", "pack my box with five dozen liquor jugs",
         "sphinx of black quartz judge my vow"]


def build_corpus(folder: Path, data: Path, n_synth: int, limit: int) -> list[Path]:
    files = find_files(data, is_recording_file) if data.is_dir() else []
    if limit:
        files = files[:limit]
    for f in files:
        dst = folder / f.relative_to(data)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dst)
    (folder / "synthetic").mkdir(exist_ok=True)
    for i in range(n_synth):
        rec = penmotor.synth.handwriting(TEXTS[i % len(TEXTS)], seed=i)
        penmotor.write(rec, folder / "synthetic" / f"page_{i:03d}.pmr")
    return find_files(folder, is_recording_file)


def serial_loop(files: list[Path]) -> list[dict]:
    rows = []
    for f in files:
        try:
            got = penmotor.read(f)
        except penmotor.PenmotorError:
            continue
        for rec in got if isinstance(got, list) else [got]:
            rows.append(penmotor.features(rec))
    return rows


def metric_values(df) -> np.ndarray:
    cols = [c for c in df.columns if c in penmotor.FEATURES]
    return df[df["status"] == "ok"].sort_values(["path", "recording"])[cols].to_numpy(float)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--synthetic", type=int, default=40, help="synthetic handwriting .pmr files added")
    ap.add_argument("--limit", type=int, default=0, help="at most this many real files (0: all)")
    ap.add_argument("--no-dask", action="store_true")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        files = build_corpus(d, args.data, args.synthetic, args.limit)
        t0 = time.perf_counter()
        n = len(serial_loop(files))
        t_serial = time.perf_counter() - t0
        samples = sum(len(r) for f in files for r in (lambda g: g if isinstance(g, list) else [g])(penmotor.read(f)))
        print(f"corpus: {len(files)} files, {n} recordings, {samples / n:.0f} samples per recording on average")
        print(f"serial loop (read + features per file):       {n / t_serial:7.1f} recordings/s ({t_serial:.1f} s)")
        ref = None
        results = {}

        def report(name: str, df, dt: float) -> None:
            nonlocal ref
            got = metric_values(df)
            same = ref is None or (got.shape == ref.shape and np.array_equal(got, ref, equal_nan=True))
            ref = got if ref is None else ref
            results[name] = n / dt
            print(f"{name:46s} {n / dt:7.1f} recordings/s ({dt:.1f} s; x{t_serial / dt:.2f} the serial loop; "
                  f"table identical: {same})")

        for w in (1, 2):
            t0 = time.perf_counter()
            df = features_table(d, workers=w)
            report(f"features_table, workers={w}:", df, time.perf_counter() - t0)
        tasks, failed = file_tasks(files)
        metrics = [c for c in df.columns if c in penmotor.FEATURES]
        t0 = time.perf_counter()
        df = run_batch(tasks, file_rows, item="recording", metrics=metrics, failed_rows=failed, workers=2,
                       share=False)
        report("engine, 2 spawned workers only (share=False):", df, time.perf_counter() - t0)
        if not args.no_dask:
            try:
                from dask.distributed import Client, LocalCluster
            except ImportError:
                print("dask.distributed not installed: Dask rows skipped")
            else:
                t0 = time.perf_counter()
                df = features_table(d, workers=2, dask="local")
                report("Dask LocalCluster(2 processes), start-up incl.:", df, time.perf_counter() - t0)
                with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  silence_logs=40) as lc, Client(lc) as client:
                    client.run(lambda: __import__("penmotor.registry"))
                    t0 = time.perf_counter()
                    df = features_table(d, client=client)
                    report("Dask LocalCluster(2 processes), running:", df, time.perf_counter() - t0)
        print(f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}: other work on the machine lowers "
              "the parallel figures)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
