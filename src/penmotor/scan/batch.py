"""Score many scanned pages: recursive search, process pool or Dask, resumable journal, Parquet/CSV.

One row per page: ``file``, ``page`` (0-based), ``key`` (content hash of the file + page
number + dpi), ``status`` ("ok" or "error"), ``error`` (message), ``seconds``, the
diagnostics ``dpi``, ``skew_deg``, ``method``, ``n_lines``, then one column per metric.

Resuming: every finished row is appended (and flushed) to a journal
``<out>.journal.jsonl`` next to the output; a run reads the existing output and journal
first and skips pages whose key already has status "ok" (failed pages are retried). An
interrupted run (Ctrl-C, kill) therefore loses at most the pages in flight. The output
file is written at the end (atomically), then the journal is removed.

Workers start with the ``spawn`` method (OpenCV and ``fork`` deadlock) and call
``cv2.setNumThreads(1)``; one page is in memory per worker, bounded by ``max_pixels``.
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import ParameterError, PenmotorError
from .io import IMAGE_EXTENSIONS, MAX_PIXELS

__all__ = ["find_images", "page_tasks", "score_task", "scan_files", "COLUMNS", "metric_columns"]

#: Leading columns of the batch table (metrics follow).
COLUMNS = ("file", "page", "key", "status", "error", "seconds", "dpi", "skew_deg", "method", "n_lines")


def metric_columns() -> list[str]:
    """Metric columns of the batch table: the shared sizing/spacing names, then the scan-only ones.

    Examples
    --------
    >>> cols = metric_columns()
    >>> cols[0], "stroke_width" in cols
    ('x_height', True)
    """
    from .metrics import SCAN_ONLY, SHARED

    return list(SHARED) + list(SCAN_ONLY)


def find_images(inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Image and PDF files under folders (recursively), matching globs, or named directly.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "a" / "b").mkdir(parents=True)
    >>> for n in ("a/x.png", "a/b/y.PDF", "a/notes.txt"):
    ...     _ = (d / n).write_bytes(b"")
    >>> [p.relative_to(d).as_posix() for p in find_images(d)]
    ['a/b/y.PDF', 'a/x.png']
    """
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    found: set[Path] = set()
    for it in items:
        p = Path(it)
        if p.is_dir():
            cands: Iterable[Path] = (q for q in p.rglob("*") if q.is_file())
        elif p.is_file():
            found.add(p)
            continue
        else:
            cands = (Path(q) for q in glob.glob(str(it), recursive=True))
            cands = [q for c in cands for q in ([c] if c.is_file() else c.rglob("*"))]
        found.update(q for q in cands if q.is_file() and q.suffix.lower() in IMAGE_EXTENSIONS)
    return sorted(found)


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:24]


def page_tasks(files: Sequence[Path], *, dpi: float | None = None, force_dpi: float | None = None,
               describe_error: Callable[[BaseException], str] | None = None) -> tuple[list[dict], list[dict]]:
    """Split files into per-page tasks; files that cannot even be opened become error rows.

    Returns
    -------
    tasks : list of dict
        ``{"file", "page", "key", "dpi", "force_dpi"}`` per page.
    failed : list of dict
        Finished error rows (unreadable files, one row with page 0).

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "bad.png"; _ = f.write_bytes(b"not an image")
    >>> tasks, failed = page_tasks([f])
    >>> tasks, failed[0]["status"], "not an image" in failed[0]["error"]
    ([], 'error', True)
    """
    from .io import page_count

    tasks, failed = [], []
    tag = (f"force{float(force_dpi):g}" if force_dpi is not None
           else "meta" if dpi is None else f"{float(dpi):g}")
    for f in files:
        try:
            digest = _digest(f)
        except OSError as exc:
            failed.append(_error_row(str(f), 0, f"?:{0}:{tag}", f"cannot read file ({exc})"))
            continue
        try:
            n = page_count(f)
        except PenmotorError as exc:
            failed.append(_error_row(str(f), 0, f"{digest}:0:{tag}",
                                     describe_error(exc) if describe_error is not None else str(exc)))
            continue
        for i in range(n):
            tasks.append({"file": str(f), "page": i, "key": f"{digest}:{i}:{tag}", "dpi": dpi,
                          "force_dpi": force_dpi})
    return tasks, failed


def _error_row(file: str, page: int, key: str, msg: str, seconds: float = 0.0) -> dict:
    return {"file": file, "page": page, "key": key, "status": "error", "error": msg, "seconds": seconds,
            "dpi": math.nan, "skew_deg": math.nan, "method": None, "n_lines": 0}


_INIT = False


def _init_worker() -> None:
    """Per-worker set-up: single-threaded OpenCV and BLAS (the pool gives the parallelism)."""
    global _INIT
    if not _INIT:
        import cv2

        cv2.setNumThreads(1)
        try:  # numpy's BLAS would start one thread per core in every worker
            from threadpoolctl import threadpool_limits

            threadpool_limits(1)
        except ImportError:  # pragma: no cover - optional
            pass
        _INIT = True


def score_task(task: dict, *, max_pixels: int = MAX_PIXELS, method: str = "auto",
               describe_error: Callable[[BaseException], str] | None = None) -> dict:
    """Score one page task (from :func:`page_tasks`) into one row; never raises for bad input.

    This is the function the process pool and Dask workers run.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "blank.png"
    >>> import cv2, numpy as np
    >>> _ = cv2.imwrite(str(f), np.full((300, 300), 250, np.uint8))
    >>> row = score_task({"file": str(f), "page": 0, "key": "k", "dpi": 300})
    >>> row["status"], "blank page" in row["error"]
    ('error', True)
    """
    from .io import load_pages
    from .pipeline import analyze_page

    _init_worker()
    t0 = time.perf_counter()
    try:
        page = next(iter(load_pages(task["file"], dpi=task["dpi"], force_dpi=task.get("force_dpi"),
                                    max_pixels=max_pixels, pages=[task["page"]])))
        a = analyze_page(page, method=method, max_pixels=max_pixels)
    except (PenmotorError, MemoryError) as exc:
        msg = describe_error(exc) if describe_error is not None else str(exc)
        return _error_row(task["file"], task["page"], task["key"], msg or type(exc).__name__,
                          time.perf_counter() - t0)
    except Exception as exc:  # a bug must not stop the batch: report it in the row
        return _error_row(task["file"], task["page"], task["key"], f"internal error: {type(exc).__name__}: {exc}",
                          time.perf_counter() - t0)
    row = {"file": task["file"], "page": task["page"], "key": task["key"], "status": "ok", "error": None,
           "seconds": time.perf_counter() - t0, "dpi": a.page.dpi, "skew_deg": a.skew_deg, "method": a.method,
           "n_lines": len(a.lines)}
    for k in metric_columns():
        row[k] = float(a.metrics.get(k, math.nan))
    return row


def _journal_path(out: Path) -> Path:
    return out.with_name(out.name + ".journal.jsonl")


def _read_existing(out: Path) -> list[dict]:
    import pandas as pd

    rows: list[dict] = []
    if out.is_file():
        try:
            df = pd.read_parquet(out) if out.suffix.lower() == ".parquet" else pd.read_csv(out)
            rows += df.to_dict("records")
        except Exception as exc:
            raise PenmotorError(f"{out}: cannot read the existing output to resume ({exc}); "
                                "remove it or choose another --out") from None
    j = _journal_path(out)
    if j.is_file():
        with open(j, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if not line:
                    continue
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line cut by a kill: that page is re-done
    return rows


def _jsonable(row: dict) -> dict:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def _table(rows: list[dict]) -> Any:
    import pandas as pd

    cols = list(COLUMNS) + metric_columns()
    df = pd.DataFrame(rows)
    for c in cols:
        if c not in df.columns:
            df[c] = None
    df = df[cols + [c for c in df.columns if c not in cols]]
    for c in ["seconds", "dpi", "skew_deg"] + metric_columns():
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("float64")
    df["page"] = pd.to_numeric(df["page"], errors="coerce").fillna(0).astype("int64")
    df["n_lines"] = pd.to_numeric(df["n_lines"], errors="coerce").fillna(0).astype("int64")
    for c in ("file", "key", "status", "error", "method"):
        df[c] = df[c].astype("object").where(df[c].notna(), None)
    if len(df):
        # the latest row per key wins (a retried error replaced by its success)
        df = df.drop_duplicates("key", keep="last").sort_values(["file", "page"], kind="stable")
    return df.reset_index(drop=True)


def _write(df: Any, out: Path) -> None:
    tmp = out.with_name(out.name + ".tmp")
    if out.suffix.lower() == ".parquet":
        df.to_parquet(tmp, index=False)
    else:
        df.to_csv(tmp, index=False)
    os.replace(tmp, out)


def _run_pool(tasks: list[dict], workers: int, fn: Callable[[dict], dict]) -> Iterable[dict]:
    if workers <= 1:
        for t in tasks:
            yield fn(t)
        return
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                             initializer=_init_worker) as ex:
        futs = [ex.submit(fn, t) for t in tasks]
        try:
            for f in as_completed(futs):
                yield f.result()
        except BaseException:
            for f in futs:
                f.cancel()
            raise


def _run_dask(tasks: list[dict], address: str, workers: int, fn: Callable[[dict], dict]) -> Iterable[dict]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if address == "local":
        cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    elif address.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
        client = Client(address)
    else:
        raise ParameterError(f"dask: expected 'local' or a scheduler address like tcp://host:8786, got {address!r}")
    try:
        futs = client.map(fn, tasks, pure=False)
        for f in as_completed(futs):
            yield f.result()
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def scan_files(
    inputs: Any,
    out: str | os.PathLike[str],
    *,
    dpi: float | None = None,
    force_dpi: float | None = None,
    workers: int = 1,
    dask: str | None = None,
    resume: bool = True,
    progress: bool = True,
    max_pixels: int = MAX_PIXELS,
    method: str = "auto",
    describe_error: Callable[[BaseException], str] | None = None,
) -> Any:
    """Score every page of every image/PDF under `inputs` and write one table.

    Parameters
    ----------
    inputs : path, glob or list of them
        Folders are searched recursively for PNG/JPEG/TIFF/BMP/PDF files.
    out : path
        ``.parquet`` or ``.csv`` output; the journal ``<out>.journal.jsonl`` sits beside it.
    dpi : float, optional
        Resolution of raster files that do not state one / rasterisation dpi of PDFs.
    force_dpi : float, optional
        Resolution of every raster file whatever it states / rasterisation dpi of PDFs.
    workers : int
        Processes (spawn start) for the local pool, or workers of ``dask="local"``.
    dask : str, optional
        ``"local"`` (a LocalCluster) or a scheduler address ``tcp://host:8786``: run the same
        per-page function on Dask distributed instead of the local pool.
    resume : bool
        Skip pages already scored "ok" in the output or journal.
    progress : bool
        tqdm progress bar.
    max_pixels : int
        Largest page accepted (bounds memory per worker).
    method : str
        Binarisation (see :func:`penmotor.scan.binarize.binarize`).
    describe_error : callable, optional
        Turns an error into the row's ``error`` text (default ``str``); the command line
        passes :func:`penmotor.io.options.explain` so the text names its flags. Must be
        picklable (a module-level function) for worker processes.

    Returns
    -------
    pandas.DataFrame
        The whole output table (previous and new rows); ``df.attrs["failed"]`` is the
        number of pages with status "error", ``df.attrs["skipped"]`` the pages resumed.

    Examples
    --------
    >>> import tempfile, cv2, numpy as np
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = cv2.imwrite(str(d / "bar.png"), np.pad(np.zeros((4, 200), np.uint8), 40, constant_values=250))
    >>> _ = (d / "junk.png").write_bytes(b"xx")
    >>> df = scan_files(d, d / "out.csv", dpi=200, progress=False)
    >>> df[["status", "page"]].values.tolist(), df.attrs["failed"]
    ([['ok', 0], ['error', 0]], 1)
    >>> scan_files(d, d / "out.csv", dpi=200, progress=False).attrs["skipped"]
    1
    """
    import functools

    out = Path(out)
    if out.suffix.lower() not in (".parquet", ".csv"):
        raise ParameterError(f"out: expected a .parquet or .csv file name, got {out.name!r}")
    if workers < 1:
        raise ParameterError(f"workers: expected >= 1, got {workers}")
    files = find_images(inputs)
    if not files:
        raise ParameterError(f"inputs: no PNG/JPEG/TIFF/BMP/PDF files found in {inputs!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    previous = _read_existing(out) if resume else []
    done = {r.get("key") for r in previous if r.get("status") == "ok"}
    tasks, failed_now = page_tasks(files, dpi=dpi, force_dpi=force_dpi, describe_error=describe_error)
    todo = [t for t in tasks if t["key"] not in done]
    skipped = len(tasks) - len(todo)
    fn = functools.partial(score_task, max_pixels=max_pixels, method=method, describe_error=describe_error)
    journal = _journal_path(out)
    new_rows: list[dict] = []
    with open(journal, "a", encoding="utf-8") as jf:
        def record(row: dict) -> None:
            new_rows.append(row)
            jf.write(json.dumps(_jsonable(row)) + "\n")
            jf.flush()

        for row in failed_now:
            record(row)
        it = _run_dask(todo, dask, workers, fn) if dask else _run_pool(todo, workers, fn)
        if progress:
            from tqdm.auto import tqdm

            it = tqdm(it, total=len(todo), desc="scan", unit="page")
        for row in it:
            record(row)
        os.fsync(jf.fileno())
    df = _table(previous + new_rows)
    _write(df, out)
    journal.unlink(missing_ok=True)
    df.attrs["failed"] = int((df["status"] == "error").sum())
    df.attrs["skipped"] = skipped
    return df
