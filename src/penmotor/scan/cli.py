"""``penmotor scan DIR_OR_GLOB... [--dpi 300 | --force-dpi 300] --out results.parquet [--workers N] [--dask ...]``.

``--dpi`` is the resolution of files that do not state one; ``--force-dpi`` overrides what a
file states (see :mod:`penmotor.io.options`, the reader flags shared with ``features`` and ``add``).

Exit status: the number of pages that failed (capped at 100); 0 when all were scored.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

__all__ = ["add_cli", "run_cli", "MAX_EXIT"]

#: Exit statuses above this are reserved by shells; more failures still exit with it.
MAX_EXIT = 100


def add_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``scan`` subcommand to an argparse subparsers object.

    Examples
    --------
    >>> p = argparse.ArgumentParser(); sub = p.add_subparsers(dest="command")
    >>> _ = add_cli(sub)
    >>> a = p.parse_args(["scan", "pages/", "--dpi", "300", "--out", "r.parquet"])
    >>> a.inputs, a.dpi, a.force_dpi, a.workers, a.dask
    (['pages/'], 300.0, None, 1, None)
    """
    p = subparsers.add_parser(
        "scan", help="score scanned worksheets (images, multi-page TIFF, PDF) into a table",
        description="Score every page of the images/PDFs found (folders are searched recursively). "
                    "One row per page; resumable; exit status = number of failed pages (max 100).",
    )
    p.add_argument("inputs", nargs="+", metavar="DIR_OR_GLOB", help="folders, globs or files")
    p.add_argument("--out", required=True, help="output table: .parquet or .csv")
    p.add_argument("--workers", type=int, default=1, help="parallel processes (default 1)")
    p.add_argument("--dask", default=None, metavar="local|tcp://HOST:PORT",
                   help="run on Dask distributed: a LocalCluster or an existing scheduler")
    p.add_argument("--method", default="auto", choices=("auto", "otsu", "sauvola"), help="binarisation")
    p.add_argument("--max-pixels", type=int, default=None, help="refuse pages larger than this")
    p.add_argument("--no-resume", action="store_true", help="re-score pages already in the output")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    from ..io.options import add_reader_arguments

    add_reader_arguments(p, formats=("scans",))
    p.set_defaults(func=run_cli)
    return p


def run_cli(args: argparse.Namespace) -> int:
    """Handler of ``penmotor scan``: run :func:`penmotor.scan.batch.scan_files`, print a summary.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp()); _ = (d / "bad.png").write_bytes(b"x")
    >>> ns = argparse.Namespace(inputs=[str(d)], dpi=300.0, force_dpi=None, out=str(d / "r.csv"), workers=1, dask=None,
    ...                         method="auto", max_pixels=None, no_resume=False, no_progress=True)
    >>> run_cli(ns)
    1
    """
    from ..io.options import explain, scan_kwargs
    from .batch import scan_files
    from .io import MAX_PIXELS

    df = scan_files(args.inputs, args.out, **scan_kwargs(args), workers=args.workers, dask=args.dask,
                    resume=not args.no_resume, progress=not args.no_progress,
                    max_pixels=args.max_pixels or MAX_PIXELS, method=args.method, describe_error=explain)
    failed = int(df.attrs.get("failed", 0))
    ok = int((df["status"] == "ok").sum())
    print(f"{ok} page(s) scored, {failed} failed, {df.attrs.get('skipped', 0)} already done -> {args.out}",
          file=sys.stderr)
    for _, r in df[df["status"] == "error"].head(20).iterrows():
        print(f"  error: {r['path']} page {int(r['page']) + 1}: {r['error']}", file=sys.stderr)
    return min(failed, MAX_EXIT)
