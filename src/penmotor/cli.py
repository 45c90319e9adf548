"""The ``penmotor`` command: thin argument parsing over the library.

Subcommands
-----------
``demo [--out DIR]``
    Build the bundled demo (synthetic child, six sessions, one scanned worksheet) and
    write its HTML report.
``features FILES_DIRS_OR_GLOBS... [--out table.csv|.parquet] [--workers N] [--dask local|ADDRESS]``
    Every metric of each recording, one row per recording (printed, or written to a
    resumable table).
``add CHILD FILES... [--date D] [--task T] [--dpi N | --force-dpi N]``
    Ingest recordings and scanned worksheets into the store (re-adding is a no-op).

``features``, ``add`` and ``scan`` share one set of reader flags (``--format --columns
--device --resolution --pressure-max --screen-mm --dpi --force-dpi``, see
:mod:`penmotor.io.options`); errors name the flag that fixes them.
``export [CHILD] --out values.csv|values.parquet``
    All stored values in long form.
``report CHILD --out report.html [--retest-sd METRIC=SD ...] [--norms CSV --age YEARS]``
    The self-contained HTML progress report.
``sessions [CHILD]``
    List stored sessions.
``serve [--sessions DIR] [--store DB] [--port N] [--lan [--cert PEM --key PEM]]``
    Serve the browser capture page (needs the capture package; see docs/capture.md).

``scan`` and ``capture`` are added by :mod:`penmotor.scan.cli` and
:mod:`penmotor_capture.cli` when those are installed. The store is ``--store PATH_OR_URL``,
else ``$PENMOTOR_STORE``, else ``./penmotor.db``.

Exit status: 0 on success; for ``features`` and ``scan`` the number of failures of this run
(at most 100), for ``add`` 1 when some file failed (the others are still processed); 2 for
usage errors.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import shutil
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main", "build_parser"]


def _store_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--store", metavar="PATH_OR_URL", default=None,
                   help="SQLite file or postgresql:// URL (default $PENMOTOR_STORE or ./penmotor.db)")


def _open(args: argparse.Namespace, *, must_exist: bool = False) -> Any:
    from .progress.store import open_store

    return open_store(args.store, must_exist=must_exist)


def _fmt(v: float) -> str:
    if v is None or not math.isfinite(v):
        return "nan"
    return f"{v:.4g}"


# ------------------------------------------------------------------ handlers
def _cmd_demo(args: argparse.Namespace) -> int:
    from .progress.demo import run_demo

    res = run_demo(args.out, verbose=args.verbose)
    failed = [r for r in res.results if not r.ok]
    for r in failed:
        print(f"warning: {r.message}", file=sys.stderr)
    print(f"Report: {res.report}")
    print(f"Store:  {res.store} ({sum(len(r.session_ids) for r in res.results)} sessions, "
          f"{res.seconds:.1f} s)")
    for line in res.summary:
        print(line)
    return 0


def _cmd_features(args: argparse.Namespace) -> int:
    import pandas as pd

    from .batch import MAX_EXIT, write_table
    from .registry import features_table
    from .io.options import explain, reader_kwargs

    df = features_table(args.inputs, families=args.families, read_kwargs=reader_kwargs(args), workers=args.workers,
                        dask=args.dask, out=args.out, resume=not args.no_resume, describe_error=explain,
                        progress=not args.no_progress and (bool(args.out) or sys.stderr.isatty()))
    failed = int(df.attrs.get("failed", 0))
    units = df.attrs.get("units", {})
    bad = df[df["status"] != "ok"]
    for _, r in bad.iterrows():
        print(f"error: {r['error']}", file=sys.stderr)
    if args.out:
        ok = int((df["status"] == "ok").sum())
        print(f"{ok} recording(s) scored, {failed} failed, {df.attrs.get('skipped', 0)} file(s) already done "
              f"-> {args.out}", file=sys.stderr)
        return min(failed, MAX_EXIT)
    metrics = [c for c in df.columns if c in units and c != "seconds"]
    ok = df[df["status"] == "ok"]
    if args.csv:
        cols = ["path", "recording", "status", "error", "duplicate_of"] + metrics
        write_table(df[cols], sys.stdout, units=units)
    elif len(ok) == 1:  # one recording: metric, unit, value down the page
        r = ok.iloc[0]
        one = pd.DataFrame({"unit": [units.get(m, "?") for m in metrics], "value": [r[m] for m in metrics]},
                           index=pd.Index(metrics, name="metric"))
        print(f"# {r['path']}" + (f" [{int(r['recording'])}]" if int(r["recording"]) else ""))
        print(one.to_string(float_format=_fmt))
    elif len(ok):  # one row per recording; metrics wrap in blocks the width of the terminal
        view = ok.set_index(ok["path"] + ok["recording"].map(lambda i: f"[{i}]" if i else ""))[metrics]
        view.index.name = None
        view.columns = [f"{m} ({units[m]})" if units.get(m, "1") != "1" else m for m in metrics]
        width = shutil.get_terminal_size((120, 24)).columns
        with pd.option_context("display.max_rows", None, "display.max_columns", None, "display.width", width,
                               "display.max_colwidth", 60):
            print(view.to_string(float_format=_fmt, line_width=width))
    return min(failed, MAX_EXIT)


def _cmd_add(args: argparse.Namespace) -> int:
    from .errors import valid_child_id
    from .io.options import explain, reader_kwargs, scan_kwargs

    valid_child_id(args.child)
    counts = {"added": 0, "duplicate": 0, "error": 0}
    read_options = reader_kwargs(args)

    def show(r: Any) -> None:
        counts[r.status] += 1
        if r.status == "error":
            print(f"error: {explain(r.error) if r.error is not None else r.message}", file=sys.stderr)
        elif not args.quiet:
            print(f"{r.status:9s} {r.path}" + (f" ({r.message})" if r.status == "added" else ""))

    with _open(args) as store:
        store.ingest(args.child, args.files, date=args.date, task=args.task, read_options=read_options,
                     **scan_kwargs(args), on_result=show, prompt=args.text)
    print(f"{counts['added']} added, {counts['duplicate']} already stored, {counts['error']} failed")
    return 1 if counts["error"] else 0


def _cmd_export(args: argparse.Namespace) -> int:
    with _open(args, must_exist=True) as store:
        p = store.export(args.out, args.child)
        n = len(store.values(args.child))
    print(f"wrote {n} values to {p}")
    return 0


def _parse_sd(items: Sequence[str] | None) -> dict[Any, float]:
    from .errors import ParameterError

    out: dict[Any, float] = {}
    for it in items or []:
        key, sep, val = it.partition("=")
        try:
            v = float(val)
        except ValueError:
            v = math.nan
        if not sep or not key or not (v > 0):
            raise ParameterError(f"--retest-sd: expected METRIC=SD or TASK:METRIC=SD with SD > 0, got {it!r}")
        out[tuple(key.split(":", 1)) if ":" in key else key] = v
    return out


def _cmd_report(args: argparse.Namespace) -> int:
    from .progress.report import build_report, headline
    from .progress.trends import summarize

    sd = _parse_sd(args.retest_sd)
    with _open(args, must_exist=True) as store:
        # one summary for the report and the printed headline
        values = store.values(args.child)
        summary = summarize(values, retest_sd=sd, min_sessions=args.min_sessions)
        p = build_report(store, args.child, args.out, retest_sd=sd, norms=args.norms, age_years=args.age,
                         min_sessions=args.min_sessions, all_trends=args.all_trends, summary=summary,
                         values=values)
        lines = headline(summary)
    print(f"Report: {p.resolve()}")
    for line in lines:
        print(line)
    return 0


def _cmd_sessions(args: argparse.Namespace) -> int:
    import pandas as pd

    with _open(args, must_exist=True) as store:
        df = store.sessions(args.child)
    if df.empty:
        print("no sessions")
        return 0
    df["date"] = df["date"].dt.date
    cols = ["session_id", "child_id", "date", "task", "modality", "device", "source"]
    with pd.option_context("display.max_rows", None, "display.width", 200, "display.max_colwidth", 60):
        print(df[cols].to_string(index=False))
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    try:
        from penmotor_capture.cli import default_sessions_dir
        from penmotor_capture.web import serve
    except ImportError as exc:
        print(f"penmotor serve: the capture package is not installed ({exc}); "
              "install penmotor with the 'capture' extra", file=sys.stderr)
        return 2
    allow = ("pen", "mouse", "touch") if args.allow_mouse else ("pen",)
    store = _open(args) if args.store else None
    try:
        return serve(args.sessions or default_sessions_dir(), store=store, port=args.port, lan=args.lan,
                     cert=args.cert, key=args.key, keep_token=args.keep_token, allow=allow)
    finally:
        if store is not None:
            store.close()


# ------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand (including optional plug-ins).

    Examples
    --------
    >>> p = build_parser()
    >>> p.parse_args(["add", "C001", "a.pmr", "--task", "spiral"]).task
    'spiral'
    """
    from . import __version__
    from .io.options import add_reader_arguments

    p = argparse.ArgumentParser(prog="penmotor", description="Children's handwriting: metrics and progress.")
    p.add_argument("--version", action="version", version=f"penmotor {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    d = sub.add_parser("demo", help="build the demo store from bundled sample data and write its report")
    d.add_argument("--out", default="demo-out", help="output folder (default ./demo-out)")
    d.add_argument("-v", "--verbose", action="store_true", help="list each ingested file")
    d.set_defaults(func=_cmd_demo)

    f = sub.add_parser(
        "features", help="every metric of recording files: printed, or one table row per recording",
        description="Score recording files (folders are searched recursively; globs are expanded). One row per "
                    "recording: path, recording, status, error, then the metrics. With --out the table is written "
                    "(units in a second header row of a CSV, in the metadata of a Parquet file) and a rerun skips "
                    "files already scored with the same content and options. Exit status: number of failures "
                    "(max 100).")
    f.add_argument("inputs", nargs="+", metavar="FILE_DIR_OR_GLOB")
    add_reader_arguments(f, formats=("recordings",))
    f.add_argument("--out", help="write the table to this .csv or .parquet file (resumable)")
    f.add_argument("--families", nargs="+", metavar="FAMILY", help="only these metric families")
    f.add_argument("--workers", type=int, default=1,
                   help="parallel processes (default 1; started only when the batch is worth it)")
    f.add_argument("--dask", metavar="local|tcp://HOST:PORT", help="run on Dask: a LocalCluster or a scheduler")
    f.add_argument("--no-resume", action="store_true", help="score again what --out already holds")
    f.add_argument("--no-progress", action="store_true", help="no progress bar")
    f.add_argument("--csv", action="store_true", help="print CSV (units in the second row) instead of a table")
    f.set_defaults(func=_cmd_features)

    a = sub.add_parser("add", help="add recordings / scanned worksheets of one child to the store")
    a.add_argument("child", help="pseudonymous id such as C001 (never a name)")
    a.add_argument("files", nargs="+", metavar="FILE")
    a.add_argument("--date", help="session date YYYY-MM-DD (default: from the file, else its mtime)")
    a.add_argument("--task", help="task name (default: from the file)")
    a.add_argument("--text", metavar="TEXT",
                   help="the text the child copied (default: from the file); measures that depend on "
                        "what was written are compared only between sessions of the same text")
    a.add_argument("-q", "--quiet", action="store_true")
    add_reader_arguments(a, formats=("recordings", "scans"))
    _store_arg(a)
    a.set_defaults(func=_cmd_add)

    e = sub.add_parser("export", help="write all stored values (long form) to CSV or Parquet")
    e.add_argument("child", nargs="?", default=None)
    e.add_argument("--out", required=True, help="values.csv or values.parquet")
    _store_arg(e)
    e.set_defaults(func=_cmd_export)

    r = sub.add_parser("report", help="write the self-contained HTML progress report of a child")
    r.add_argument("child")
    r.add_argument("--out", default="report.html")
    r.add_argument("--retest-sd", action="append", metavar="METRIC=SD",
                   help="test-retest SD (SEM) of a metric, in its unit; repeatable; TASK:METRIC=SD for one task")
    r.add_argument("--norms", help="norms CSV (metric,age_min,age_max,mean,sd[,task,unit]); needs --age")
    r.add_argument("--age", type=float, help="child's age in years (for --norms)")
    r.add_argument("--min-sessions", type=int, default=3, help="session dates needed for a trend (default 3)")
    r.add_argument("--all-trends", action="store_true", help="plot every metric's trend, not only the judged ones")
    _store_arg(r)
    r.set_defaults(func=_cmd_report)

    s = sub.add_parser("sessions", help="list stored sessions")
    s.add_argument("child", nargs="?", default=None)
    _store_arg(s)
    s.set_defaults(func=_cmd_sessions)

    v = sub.add_parser("serve", help="serve the browser capture page (pen via W3C Pointer Events)")
    v.add_argument("--sessions", help="folder for sessions (default $PENMOTOR_SESSIONS or ~/penmotor-sessions)")
    v.add_argument("--port", type=int, default=8765, help="port (default 8765; keep it fixed: the page's "
                   "calibration and unsent samples are stored per address)")
    v.add_argument("--lan", action="store_true", help="listen on the LAN address and print a QR code")
    v.add_argument("--cert", help="TLS certificate (PEM) for HTTPS")
    v.add_argument("--key", help="the certificate's private key (PEM)")
    v.add_argument("--keep-token", action="store_true", help="reuse the token across restarts (kept in the "
                   "sessions folder), so open pages resend after a restart")
    v.add_argument("--allow-mouse", action="store_true", help="accept mouse/touch too (flagged: no pressure)")
    _store_arg(v)
    v.set_defaults(func=_cmd_serve)

    for mod in ("penmotor.scan.cli", "penmotor_capture.cli"):
        try:
            m = importlib.import_module(mod)
        except ImportError:
            continue  # optional part not installed / not built
        hook = getattr(m, "add_cli", None)
        if callable(hook):
            hook(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``penmotor`` command.

    Examples
    --------
    >>> import tempfile, os, penmotor
    >>> d = tempfile.mkdtemp()
    >>> penmotor.write(penmotor.synth.spiral(seed=0).with_meta(date="2026-01-12"), os.path.join(d, "sp.pmr"))
    >>> main(["add", "C001", os.path.join(d, "sp.pmr"), "--store", os.path.join(d, "p.db"), "-q"])
    1 added, 0 already stored, 0 failed
    0
    """
    from .errors import PenmotorError
    from .io.options import explain

    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        rc = func(args)
    except PenmotorError as exc:
        print(f"penmotor {args.command}: {explain(exc)}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `penmotor features ... | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    return int(rc or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
