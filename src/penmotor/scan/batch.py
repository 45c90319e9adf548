"""Score many scanned pages: one row per page, on the shared batch engine (:mod:`penmotor.batch`).

One row per page: ``path`` (the file as found), ``page`` (0-based), ``status`` ("ok" or
"error"), ``error`` (message), ``duplicate_of`` (another file with the same content), ``key``
(content hash of the file + options + page), ``seconds``, the diagnostics ``dpi``,
``skew_deg``, ``method``, ``n_lines``, then one column per metric.

Resuming, engines (serial, process pool, Dask) and the table files are the engine's: a rerun
skips pages already scored "ok", keeps the latest result per file and page, and counts only
its own failures. Workers call ``cv2.setNumThreads(1)``; one page is in memory per worker,
bounded by ``max_pixels``.
"""

from __future__ import annotations

import functools
import math
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..batch import error_row, file_digest, find_files, run_batch, task_key
from ..errors import ParameterError, PenmotorError
from .io import IMAGE_EXTENSIONS, MAX_PIXELS

__all__ = ["find_images", "page_tasks", "score_task", "scan_files", "COLUMNS", "EXTRA_COLUMNS",
           "metric_columns"]

#: Diagnostic columns of a scan table, after the engine's lead columns.
EXTRA_COLUMNS = ("dpi", "skew_deg", "method", "n_lines")

#: Leading columns of the batch table (metrics follow).
COLUMNS = ("path", "page", "status", "error", "duplicate_of", "key", "seconds") + EXTRA_COLUMNS


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


def _is_image(p: Path) -> bool:
    return p.suffix.lower() in IMAGE_EXTENSIONS


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
    return find_files(inputs, _is_image)


def page_tasks(files: Sequence[Path], *, dpi: float | None = None, force_dpi: float | None = None,
               method: str = "auto", describe_error: Callable[[BaseException], str] | None = None
               ) -> tuple[list[dict], list[dict]]:
    """Split files into per-page tasks; files that cannot even be opened become error rows.

    Returns
    -------
    tasks : list of dict
        ``{"path", "page", "key", "dpi", "force_dpi"}`` per page.
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
    options = {"dpi": None if dpi is None else float(dpi), "method": method,
               "force_dpi": None if force_dpi is None else float(force_dpi)}
    for f in files:
        try:
            digest = file_digest(f)
        except OSError as exc:
            failed.append(_error_row({"path": str(f), "page": 0, "key": None}, f"cannot read file ({exc})"))
            continue
        try:
            n = page_count(f)
        except PenmotorError as exc:
            failed.append(_error_row({"path": str(f), "page": 0, "key": task_key(digest, options, 0)},
                                     describe_error(exc) if describe_error is not None else str(exc)))
            continue
        for i in range(n):
            tasks.append({"path": str(f), "page": i, "key": task_key(digest, options, i), "dpi": dpi,
                          "force_dpi": force_dpi})
    return tasks, failed


def _error_row(task: dict, msg: str, seconds: float = 0.0) -> dict:
    return {**error_row(task, msg, item="page", seconds=seconds),
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
    >>> row = score_task({"path": str(f), "page": 0, "key": "k", "dpi": 300})
    >>> row["status"], "blank page" in row["error"]
    ('error', True)
    """
    from .io import load_pages
    from .pipeline import analyze_page

    _init_worker()
    t0 = time.perf_counter()
    try:
        page = next(iter(load_pages(task["path"], dpi=task["dpi"], force_dpi=task.get("force_dpi"),
                                    max_pixels=max_pixels, pages=[task["page"]])))
        a = analyze_page(page, method=method, max_pixels=max_pixels)
    except (PenmotorError, MemoryError) as exc:
        msg = describe_error(exc) if describe_error is not None else str(exc)
        return _error_row(task, msg or type(exc).__name__, time.perf_counter() - t0)
    except Exception as exc:  # a bug must not stop the batch: report it in the row
        return _error_row(task, f"internal error: {type(exc).__name__}: {exc}", time.perf_counter() - t0)
    row = {"path": task["path"], "page": task["page"], "key": task["key"], "status": "ok", "error": None,
           "seconds": time.perf_counter() - t0, "dpi": a.page.dpi, "skew_deg": a.skew_deg, "method": a.method,
           "n_lines": len(a.lines)}
    for k in metric_columns():
        row[k] = float(a.metrics.get(k, math.nan))
    return row


def _page_rows(task: dict, *, max_pixels: int, method: str,
               describe_error: Callable[[BaseException], str] | None = None) -> list[dict]:
    """The engine's task function: :func:`score_task` as a list of rows."""
    return [score_task(task, max_pixels=max_pixels, method=method, describe_error=describe_error)]


def _units() -> dict[str, str]:
    from ..registry import FEATURES

    units = {"dpi": "dpi", "skew_deg": "deg", "n_lines": "1"}
    units.update({k: FEATURES[k].unit for k in metric_columns() if k in FEATURES})
    return units


def scan_files(
    inputs: Any,
    out: str | os.PathLike[str],
    *,
    dpi: float | None = None,
    force_dpi: float | None = None,
    workers: int = 1,
    dask: str | None = None,
    client: Any = None,
    share: bool = True,
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
        ``.parquet`` or ``.csv`` output (units in a second header row of a CSV, in the schema
        metadata of a Parquet file); the journal ``<out>.journal.jsonl`` sits beside it.
    dpi : float, optional
        Resolution of raster files that do not state one / rasterisation dpi of PDFs.
    force_dpi : float, optional
        Resolution of every raster file whatever it states / rasterisation dpi of PDFs.
    workers : int
        This process plus ``workers - 1`` spawn processes (started only when the batch is
        worth it), or the workers of ``dask="local"``.
    dask : str, optional
        ``"local"`` (a LocalCluster) or a scheduler address ``tcp://host:8786``: run the same
        per-page function on Dask distributed instead of the local pool.
    client : dask.distributed.Client, optional
        An existing Dask client to run on.
    share : bool
        Whether this process scores pages too (see :func:`penmotor.batch.run_tasks`).
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
        The whole output table (rows of earlier runs for other files, and this run's rows);
        ``df.attrs["failed"]`` is the number of pages of this run with status "error",
        ``df.attrs["skipped"]`` the pages resumed.

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
    if workers < 1:
        raise ParameterError(f"workers: expected >= 1, got {workers}")
    files = find_images(inputs)
    if not files:
        raise ParameterError(f"inputs: no PNG/JPEG/TIFF/BMP/PDF files found in {inputs!r}")
    tasks, failed_now = page_tasks(files, dpi=dpi, force_dpi=force_dpi, method=method, describe_error=describe_error)
    fn = functools.partial(_page_rows, max_pixels=max_pixels, method=method, describe_error=describe_error)
    return run_batch(tasks, fn, out=out, item="page", extra_columns=EXTRA_COLUMNS, metrics=metric_columns(),
                     units=_units(), failed_rows=failed_now, resume=resume, workers=workers, client=client,
                     dask=dask, initializer=_init_worker, share=share, progress=progress, desc="scan", unit="page")
