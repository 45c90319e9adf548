"""The one batch engine: many files -> one tidy table, in parallel, resumable, on Dask if asked.

``penmotor features`` (recordings: task functions in :mod:`penmotor.registry`) and
``penmotor scan`` (scanned pages: :mod:`penmotor.scan.batch`) both run on it. It knows
nothing of metrics: it imports no other penmotor module but the errors.

Tasks
    A task is a small dict with at least ``path`` (the file, as the user gave it) and ``key``
    (content hash of the file + the options that change the result, see :func:`task_key`).
    A *task function* ``fn(task) -> list[dict]`` turns one task into finished rows; it runs
    in the worker, so files are read there and never all held in the client.
Engines
    Serial (``workers=1``); a local pool of ``spawn`` processes (``workers=N``) that is
    started only once the batch is worth it -- the calling process keeps working while the
    workers start, and takes back tasks no worker has picked up yet, so a small batch is
    never slower than one worker; or Dask distributed (``client=`` or ``dask="local"`` /
    ``"tcp://scheduler:8786"``). The rows are the same whatever the engine.
Tables
    One row per file and item (``page`` of a scan, ``recording`` of a multi-recording file):
    ``path``, the item column, ``status`` ("ok"/"error"), ``error``, ``duplicate_of`` (the
    first other file with the same bytes), ``key``, ``seconds``, then the
    task's extra columns and one column per metric. Units go in a second header row (CSV)
    or in the Parquet schema metadata (:func:`write_table`, :func:`read_table`).
Resuming
    With an output file, every finished row is appended (and flushed) to
    ``<out>.journal.jsonl``; a rerun reads the output and journal and skips the tasks whose
    key is already scored "ok" (failed ones are retried; a changed file or option has a new
    key). The table keeps the latest result per file: rows of the files in this run replace
    their earlier rows, so an error replaced by a success is gone. Exit statuses count this
    run's failures only (``df.attrs["failed"]``).
"""

from __future__ import annotations

import glob
import hashlib
import json
import math
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import ParameterError, PenmotorError

__all__ = [
    "LEAD_COLUMNS", "MAX_EXIT", "find_files", "file_digest", "task_key", "error_row", "run_tasks",
    "run_batch", "read_table", "write_table",
]

#: Columns every batch table starts with; the item column (``page``/``recording``) follows ``path``.
LEAD_COLUMNS = ("path", "status", "error", "duplicate_of", "key", "seconds")

#: Exit statuses above this are reserved by shells; more failures still exit with it.
MAX_EXIT = 100

#: Seconds a spawned worker is assumed to need to start, import the pipeline and warm up,
#: until a pool has measured it (then the measured figure of this process is used).
POOL_STARTUP_S = 2.0

#: A pool starts only when the work left is at least this many times the start-up: while a
#: worker starts it takes CPU from the caller on a busy machine.
POOL_WORTH = 3.0

#: Niceness added to the workers that help the calling process (``share=True``): they use
#: idle cores at full speed but cannot take CPU from the caller on a busy machine, so a
#: batch is never slower than one worker (0 disables; POSIX only).
HELPER_NICE = 10

_measured_startup: dict[str, float] = {}  # task function -> last measured worker start-up (s)

#: Diagnostics of the last local run in this process: ``pool`` (whether one started),
#: ``startup_s`` (first worker result after the pool start, s), ``in_caller`` and
#: ``in_workers`` (tasks done by this process and by the workers).
LAST_RUN: dict[str, Any] = {}


# ------------------------------------------------------------------ finding and keying files
def find_files(
    inputs: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    accept: Callable[[Path], bool],
) -> list[Path]:
    """Files named directly, matching globs, or under folders (recursively), as given.

    Files named directly are always kept (an unreadable one becomes an error row); files
    found in folders or by a glob are kept when ``accept(path)`` is true. Paths keep the
    prefix the user typed (never reduced to the base name), so ``a/s1.svc`` and
    ``b/s1.svc`` stay two files.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); (d / "a").mkdir(); (d / "b").mkdir()
    >>> for n in ("a/s1.svc", "b/s1.svc", "b/notes.txt"):
    ...     _ = (d / n).write_text("x")
    >>> [p.relative_to(d).as_posix() for p in find_files(d, lambda p: p.suffix == ".svc")]
    ['a/s1.svc', 'b/s1.svc']
    """
    items = [inputs] if isinstance(inputs, (str, os.PathLike)) else list(inputs)
    found: dict[str, Path] = {}
    for it in items:
        p = Path(it)
        if p.is_file():
            found[str(p)] = p
            continue
        if p.is_dir():
            cands: Iterable[Path] = p.rglob("*")
        else:
            hits = [Path(q) for q in glob.glob(str(it), recursive=True)]
            cands = [q for h in hits for q in ([h] if h.is_file() else h.rglob("*"))]
        for q in cands:
            if q.is_file() and str(q) not in found and accept(q):
                found[str(q)] = q
    return [found[k] for k in sorted(found)]


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (first 24 hex digits): the content part of a task key.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "x.bin"; _ = f.write_bytes(b"abc")
    >>> file_digest(f)
    'ba7816bf8f01cfea414140de'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:24]


def task_key(digest: str, options: Mapping[str, Any] | None = None, *parts: Any) -> str:
    """Resume key: the file's content digest, a hash of the options, then `parts` (e.g. a page).

    Options are hashed in sorted order, so ``{"a": 1, "b": 2}`` and ``{"b": 2, "a": 1}`` give
    one key; any changed option gives another (the file is scored again).

    Examples
    --------
    >>> task_key("abc", {"dpi": 300}, 0) == task_key("abc", {"dpi": 300}, 0)
    True
    >>> task_key("abc", {"dpi": 300}, 0) == task_key("abc", {"dpi": 200}, 0)
    False
    >>> task_key("abc", None, 2).startswith("abc:")
    True
    """
    blob = json.dumps(dict(options or {}), sort_keys=True, default=repr)
    tag = hashlib.sha256(blob.encode()).hexdigest()[:12]
    return ":".join([digest, tag, *(str(p) for p in parts)])


def error_row(task: Mapping[str, Any], message: str, *, item: str = "page", seconds: float = 0.0) -> dict:
    """The row of a task that failed: ``status`` "error", the message, NaN metrics.

    Examples
    --------
    >>> error_row({"path": "a.svc", "key": "k"}, "bad file", item="recording")["status"]
    'error'
    """
    return {"path": str(task["path"]), item: int(task.get(item, 0) or 0), "status": "error",
            "error": message, "duplicate_of": None, "key": task.get("key"), "seconds": seconds}


# ------------------------------------------------------------------------------ engines
def _safe(fn: Callable[[dict], list[dict]], task: dict, item: str,
          describe: Callable[[BaseException], str] | None = None) -> list[dict]:
    """Run a task function; bad input and bugs become error rows instead of stopping the batch."""
    t0 = time.perf_counter()
    try:
        return list(fn(task))
    except (PenmotorError, MemoryError, OSError) as exc:
        msg = describe(exc) if describe is not None else str(exc)
        return [error_row(task, msg or type(exc).__name__, item=item, seconds=time.perf_counter() - t0)]
    except Exception as exc:
        return [error_row(task, f"internal error: {type(exc).__name__}: {exc}", item=item,
                          seconds=time.perf_counter() - t0)]


class _Call:
    """Picklable ``_safe(fn, task, item, describe)`` for process pools and Dask."""

    def __init__(self, fn: Callable[[dict], list[dict]], item: str,
                 describe: Callable[[BaseException], str] | None = None) -> None:
        self.fn, self.item, self.describe = fn, item, describe

    def __call__(self, task: dict) -> list[dict]:
        return _safe(self.fn, task, self.item, self.describe)


def _run_pool_only(tasks: list[dict], call: _Call, workers: int,
                   initializer: Callable[[], None] | None) -> Iterator[tuple[int, list[dict]]]:
    import multiprocessing as mp

    pool = mp.get_context("spawn").Pool(workers, initializer=initializer)
    try:
        for i, rows in pool.imap_unordered(_Indexed(call), enumerate(tasks)):
            yield i, rows
    finally:
        pool.terminate()
        pool.join()


class _HelperInit:
    """Pool initializer of the workers helping the caller: lower priority, then `initializer`."""

    def __init__(self, initializer: Callable[[], None] | None, nice: int) -> None:
        self.initializer, self.nice = initializer, nice

    def __call__(self) -> None:
        if self.nice and hasattr(os, "nice"):
            try:
                os.nice(self.nice)
            except OSError:  # pragma: no cover - not permitted: run at normal priority
                pass
        if self.initializer is not None:
            self.initializer()


class _Indexed:
    """Picklable ``(i, task) -> (i, call(task))``."""

    def __init__(self, call: _Call) -> None:
        self.call = call

    def __call__(self, it: tuple[int, dict]) -> tuple[int, list[dict]]:
        return it[0], self.call(it[1])


def _run_local(tasks: list[dict], call: _Call, workers: int, initializer: Callable[[], None] | None,
               share: bool = True) -> Iterator[tuple[int, list[dict]]]:
    if not share and workers > 1 and tasks:
        yield from _run_pool_only(tasks, call, workers, initializer)
        return
    queue = deque(enumerate(tasks))
    LAST_RUN.clear()
    LAST_RUN.update(pool=False, startup_s=None, in_caller=len(queue), in_workers=0)
    spent: list[float] = []
    while queue and len(spent) < 2:  # two tasks here: the first pays lazy imports, the second is typical
        i, t = queue.popleft()
        t0 = time.perf_counter()
        yield i, call(t)
        spent.append(time.perf_counter() - t0)
    if not queue:
        return
    name = getattr(call.fn, "__qualname__", repr(call.fn))
    per_task = min(spent)
    startup = max(_measured_startup.get(name, POOL_STARTUP_S), spent[0] - per_task)
    if workers <= 1 or per_task * len(queue) < POOL_WORTH * startup:
        while queue:  # not worth a pool: the serial loop finishes first
            i, t = queue.popleft()
            yield i, call(t)
        return
    import multiprocessing as mp

    # the calling process works too: workers - 1 extra processes
    t_start = time.perf_counter()
    pool = mp.get_context("spawn").Pool(workers - 1, initializer=_HelperInit(initializer, HELPER_NICE))
    LAST_RUN["pool"] = True
    pending: dict[int, tuple[dict, Any]] = {}
    done: set[int] = set()
    up = False  # a worker has delivered: the pool is running
    try:
        while queue or pending:
            while queue and len(pending) < (2 if up else 1) * (workers - 1):
                j, tj = queue.pop()  # workers take from the end, the caller from the front
                pending[j] = (tj, pool.apply_async(call, (tj,)))
            for j in [j for j, (_, a) in pending.items() if a.ready()]:
                _, a = pending.pop(j)
                if not up:
                    up = True
                    _measured_startup[name] = max(0.0, time.perf_counter() - t_start - per_task)
                    LAST_RUN["startup_s"] = time.perf_counter() - t_start
                if j not in done:
                    done.add(j)
                    LAST_RUN["in_workers"] += 1
                    LAST_RUN["in_caller"] -= 1
                    yield j, a.get()
            if queue:
                i, t = queue.popleft()
                done.add(i)
                yield i, call(t)
            elif pending:
                if up:
                    next(iter(pending.values()))[1].wait(0.05)
                else:  # workers still starting: take their tasks back
                    j = min(pending)
                    tj, _ = pending.pop(j)
                    done.add(j)
                    yield j, call(tj)
        if not up:  # no worker came up in time: remember it took at least this long
            _measured_startup[name] = max(_measured_startup.get(name, 0.0), time.perf_counter() - t_start)
    finally:
        pool.terminate()  # nothing is left in flight; workers still importing are stopped
        pool.join()


def _run_dask(tasks: list[dict], call: _Call, client: Any, address: str | None,
              workers: int) -> Iterator[tuple[int, list[dict]]]:
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    own = client is None
    if own:
        if address == "local":
            cluster = LocalCluster(n_workers=max(1, workers), threads_per_worker=1, processes=True,
                                   dashboard_address=None, silence_logs=40)
            client = Client(cluster)
        elif isinstance(address, str) and address.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            client = Client(address)
        else:
            raise ParameterError(f"dask: expected 'local' or a scheduler address like tcp://host:8786, "
                                 f"got {address!r}")
    try:
        futs = client.map(call, tasks, pure=False)
        index = {f.key: i for i, f in enumerate(futs)}
        for f in as_completed(futs):
            yield index[f.key], f.result()
            f.release()
    finally:
        if own:
            client.close()
            if cluster is not None:
                cluster.close()


def run_tasks(
    tasks: Sequence[dict],
    fn: Callable[[dict], list[dict]],
    *,
    workers: int = 1,
    client: Any = None,
    dask: str | None = None,
    item: str = "page",
    initializer: Callable[[], None] | None = None,
    share: bool = True,
    describe_error: Callable[[BaseException], str] | None = None,
    progress: bool = False,
    desc: str = "batch",
    unit: str = "file",
) -> Iterator[tuple[int, list[dict]]]:
    """Run ``fn`` on every task; yields ``(task index, rows)`` as tasks finish (any order).

    Parameters
    ----------
    tasks : sequence of dict
        Each with ``path`` and ``key``; must pickle for the pool and Dask.
    fn : callable
        ``fn(task) -> list of row dicts``; a module-level function (or ``functools.partial``
        of one) for the pool and Dask. An exception becomes an error row.
    workers : int
        1: in this process. N > 1: this process plus N - 1 ``spawn`` workers at a lower
        priority (:data:`HELPER_NICE`: they use idle cores, never the caller's), started only
        when the work left (timed on the first tasks) is :data:`POOL_WORTH` times a worker's
        start-up (:data:`POOL_STARTUP_S`, then as measured by this process); tasks a worker
        has not taken yet when this process runs out of work are done here.
    client : dask.distributed.Client, optional
        Run on this Dask client (files are read on the workers).
    dask : str, optional
        ``"local"`` (a LocalCluster of `workers` processes) or a scheduler address.
    item : str
        Name of the item column in error rows (``page``, ``recording``).
    initializer : callable, optional
        Run once in each pool process (e.g. limit threads).
    share : bool
        With ``workers > 1``: the calling process works too and the pool starts only when
        the batch is worth it (default). False: always start `workers` processes and leave
        every task to them.
    describe_error : callable, optional
        Turns a task's error (bad input) into its row's ``error`` text (default ``str``); the
        command line passes one that names its flags. Must pickle for the pool and Dask.
    progress : bool
        tqdm progress bar.

    Examples
    --------
    >>> rows = dict(run_tasks([{"path": "a", "key": "k", "n": 2}], lambda t: [{"n": t["n"] ** 2}]))
    >>> rows
    {0: [{'n': 4}]}
    """
    if workers < 1:
        raise ParameterError(f"workers: expected >= 1, got {workers}")
    tasks = list(tasks)
    call = _Call(fn, item, describe_error)
    it: Iterator[tuple[int, list[dict]]]
    if client is not None or dask:
        it = _run_dask(tasks, call, client, dask, workers)
    else:
        it = _run_local(tasks, call, workers, initializer, share)
    if progress and tasks:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc=desc, unit=unit)
        try:
            for r in it:
                bar.update(1)
                yield r
        finally:
            bar.close()
    else:
        yield from it


# ------------------------------------------------------------------------ table files
def _units_row(columns: Sequence[str], units: Mapping[str, str]) -> list[str]:
    return [units.get(c, "") for c in columns]


def _write_csv(df: Any, fh: Any, units: Mapping[str, str]) -> None:
    import csv

    w = csv.writer(fh, lineterminator="\n")
    w.writerow(list(df.columns))
    w.writerow(_units_row(list(df.columns), units))
    df.to_csv(fh, index=False, header=False, lineterminator="\n")


def write_table(df: Any, out: Any, *, units: Mapping[str, str] | None = None) -> Path | None:
    """Write a batch table atomically: CSV with units in a second header row, or Parquet.

    Parquet keeps the units as field metadata (``unit``) and as JSON under the schema key
    ``penmotor.units``. :func:`read_table` reads both back. `out` may also be an open text
    stream (CSV is written to it; returns None).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> d = Path(tempfile.mkdtemp())
    >>> df = pd.DataFrame({"path": ["a.svc"], "speed_mean": [12.5]})
    >>> _ = write_table(df, d / "t.csv", units={"speed_mean": "mm/s"})
    >>> print((d / "t.csv").read_text().strip())
    path,speed_mean
    ,mm/s
    a.svc,12.5
    >>> _ = write_table(df, d / "t.parquet", units={"speed_mean": "mm/s"})
    >>> read_table(d / "t.parquet").attrs["units"]
    {'speed_mean': 'mm/s'}
    """
    units = dict(units if units is not None else df.attrs.get("units", {}))
    units = {c: u for c, u in units.items() if c in df.columns}
    if hasattr(out, "write"):
        _write_csv(df, out, units)
        return None
    out = Path(out)
    tmp = out.with_name(out.name + ".tmp")
    if out.suffix.lower() == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(df, preserve_index=False)
        fields = [f.with_metadata({"unit": units[f.name]}) if f.name in units else f for f in table.schema]
        meta = dict(table.schema.metadata or {})
        meta[b"penmotor.units"] = json.dumps(units).encode()
        table = table.cast(pa.schema(fields, metadata=meta))
        pq.write_table(table, tmp)
    else:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            _write_csv(df, fh, units)
    os.replace(tmp, out)
    return out


def read_table(path: str | os.PathLike[str]) -> Any:
    """Read a table written by :func:`write_table` (units in ``df.attrs["units"]``).

    A CSV's second header row is recognised by its empty first cell (a path is never empty);
    columns with a unit read as numbers, the others as text unless every value is a number
    without a leading zero (ids such as ``00017`` stay text). CSV files without that row
    (older tables) read as pandas guesses.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> f = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_table(pd.DataFrame({"path": ["a"], "x_height": [3.0]}), f, units={"x_height": "mm"})
    >>> df = read_table(f)
    >>> df["x_height"].tolist(), df.attrs["units"]
    ([3.0], {'x_height': 'mm'})
    """
    import csv

    import pandas as pd

    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(path)
        raw = (schema.metadata or {}).get(b"penmotor.units")
        units = json.loads(raw) if raw else {}
        df = pd.read_parquet(path)
    else:
        with open(path, newline="", encoding="utf-8") as fh:
            head = list(csv.reader([fh.readline(), fh.readline()]))
        has_units = len(head) == 2 and bool(head[1]) and head[1][0] == ""
        units = {c: u for c, u in zip(head[0], head[1]) if u} if has_units else {}
        if has_units:  # columns with a unit are numbers; the others text (ids like "00001" stay)
            df = pd.read_csv(path, skiprows=[1], dtype={c: str for c in head[0] if c not in units})
            for c in df.columns:
                if c in units:
                    df[c] = pd.to_numeric(df[c], errors="coerce")
                else:  # other numbers (meta such as a task number) unless they look like ids ("007")
                    num = pd.to_numeric(df[c], errors="coerce")
                    text = df[c].dropna()
                    if len(text) and num.notna().sum() == len(text) and not text.str.match(r"[-+]?0\d").any():
                        df[c] = num
        else:
            df = pd.read_csv(path)
    _text_as_objects(df)
    df.attrs["units"] = units
    return df


def _text_as_objects(df: Any) -> None:
    """Text columns as Python objects with None for missing, whatever pandas' string default."""
    import pandas as pd

    for c in df.columns:
        if not pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
            df[c] = df[c].astype("object").where(df[c].notna(), None)


def _journal_path(out: Path) -> Path:
    return out.with_name(out.name + ".journal.jsonl")


def _read_previous(out: Path) -> list[dict]:
    rows: list[dict] = []
    if out.is_file():
        try:
            df = read_table(out)
        except Exception as exc:
            raise PenmotorError(f"{out}: cannot read the existing output to resume ({exc}); "
                                "remove it or choose another --out") from None
        if "path" not in df.columns and "file" in df.columns:  # tables written before `path`
            df = df.rename(columns={"file": "path"})
        df = df.astype(object).where(df.notna(), None)
        rows += df.to_dict("records")
    j = _journal_path(out)
    if j.is_file():
        with open(j, encoding="utf-8") as fh:
            for line in fh:
                line = line.strip()
                if line:
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue  # a line cut by a kill: that task is done again
    return rows


def _jsonable(row: dict) -> dict:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}


def _frame(rows: list[dict], item: str, extra: Sequence[str], metrics: Sequence[str],
           units: Mapping[str, str]) -> Any:
    import pandas as pd

    lead = ["path", item] + list(LEAD_COLUMNS[1:]) + list(extra)
    df = pd.DataFrame(rows)
    mset = set(metrics) - set(lead)
    other = [c for c in df.columns if c not in lead and c not in mset]  # e.g. meta columns
    df = df.reindex(columns=lead + other + [m for m in metrics if m in mset])  # missing ones: all NaN
    df[item] = pd.to_numeric(df[item], errors="coerce").fillna(0).astype("int64")
    df["seconds"] = pd.to_numeric(df["seconds"], errors="coerce").astype("float64")
    mcols = [m for m in metrics if m in mset]
    if mcols:  # one assignment for all metric columns (not one block per column)
        df[mcols] = df[mcols].apply(pd.to_numeric, errors="coerce").astype("float64")
    _text_as_objects(df)
    df = df.copy()  # one block per dtype
    if len(df):
        df = df.drop_duplicates(["path", item], keep="last")  # the latest result per file and item
        df = df.sort_values(["path", item], kind="stable").reset_index(drop=True)
        # same bytes (the key's digest) and item: the first file in path order is the original
        digest = df["key"].map(lambda k: None if k is None else str(k).split(":", 1)[0])
        first = df.assign(_d=digest).groupby(["_d", item], sort=False)["path"].transform("first")
        dup = digest.notna() & first.notna() & (first != df["path"])
        df["duplicate_of"] = first.astype("object").where(dup, None)
    df.attrs["units"] = {c: units[c] for c in df.columns if c in units}
    return df


def run_batch(
    tasks: Sequence[dict],
    fn: Callable[[dict], list[dict]],
    *,
    out: str | os.PathLike[str] | None = None,
    item: str = "page",
    extra_columns: Sequence[str] = (),
    metrics: Sequence[str] = (),
    units: Mapping[str, str] | None = None,
    failed_rows: Sequence[dict] = (),
    resume: bool = True,
    workers: int = 1,
    client: Any = None,
    dask: str | None = None,
    initializer: Callable[[], None] | None = None,
    share: bool = True,
    describe_error: Callable[[BaseException], str] | None = None,
    progress: bool = False,
    desc: str = "batch",
    unit: str = "file",
) -> Any:
    """Run tasks into one table (see the module docstring); write it to `out` if given.

    Tasks with the same key (same content and options) run once; every file still gets its
    rows. Files with the same bytes (the key's first part) are marked ``duplicate_of`` the
    first of them in path order. With `out` and `resume`, tasks whose key is
    already "ok" in the output or journal are not run again.

    Parameters
    ----------
    tasks : sequence of dict
        ``{"path", "key", ...}`` per task (see :func:`run_tasks`).
    fn : callable
        ``fn(task) -> rows``; each row has ``path``, `item`, ``key``, ``status``, ``error``,
        ``seconds`` and its extra and metric columns.
    out : path, optional
        ``.csv`` or ``.parquet``; the journal ``<out>.journal.jsonl`` sits beside it.
    item : str
        The item column (``page``, ``recording``).
    extra_columns, metrics : sequence of str
        Columns after the lead columns, and the metric columns (float64) that end the table;
        any other column of the rows goes between them.
    units : mapping, optional
        Column -> unit, written with the table.
    failed_rows : sequence of dict
        Rows of this run that failed before any task could be made (e.g. unreadable files).
    resume : bool
        Skip tasks already scored "ok" in `out`.
    workers, client, dask, initializer, share, describe_error, progress, desc, unit
        As in :func:`run_tasks`.

    Returns
    -------
    pandas.DataFrame
        The whole table (earlier rows of other files included); ``attrs["failed"]``: error rows
        of this run, ``attrs["skipped"]``: tasks resumed, ``attrs["units"]``.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "t.csv"
    >>> def square(t):
    ...     return [{"path": t["path"], "page": 0, "key": t["key"], "status": "ok", "error": None,
    ...              "seconds": 0.0, "sq": t["n"] ** 2}]
    >>> tasks = [{"path": "b", "key": "k3", "n": 3}, {"path": "a", "key": "k2", "n": 2},
    ...          {"path": "c", "key": "k3", "n": 3}]
    >>> df = run_batch(tasks, square, out=out, metrics=["sq"])
    >>> df[["path", "sq", "duplicate_of"]].values.tolist()
    [['a', 4.0, None], ['b', 9.0, None], ['c', 9.0, 'b']]
    >>> run_batch(tasks, square, out=out, metrics=["sq"]).attrs["skipped"]
    3
    """
    tasks = list(tasks)
    units = {item: "1", "seconds": "s"} | dict(units or {})
    outp = None if out is None else Path(out)
    if outp is not None:
        if outp.suffix.lower() not in (".parquet", ".csv"):
            raise ParameterError(f"out: expected a .parquet or .csv file name, got {outp.name!r}")
        outp.parent.mkdir(parents=True, exist_ok=True)
    previous = _read_previous(outp) if (outp is not None and resume) else []
    latest: dict[str, dict[Any, dict]] = {}
    for r in previous:  # the latest row per key and item (same key: same content and options)
        if r.get("key") is not None:
            latest.setdefault(r["key"], {})[r.get(item)] = r
    by_key = {k: [v[i] for i in sorted(v, key=lambda x: -1 if x is None else int(x))] for k, v in latest.items()}
    done = {k for k, rs in by_key.items() if rs and all(r.get("status") == "ok" for r in rs)}
    todo: list[dict] = []
    seen: set[str] = set()
    for t in tasks:
        if t["key"] not in done and t["key"] not in seen:
            seen.add(t["key"])
            todo.append(t)
    computed: dict[str, list[dict]] = {}
    journal = None if outp is None else open(_journal_path(outp), "a", encoding="utf-8")
    try:
        for i, rows in run_tasks(todo, fn, workers=workers, client=client, dask=dask, item=item,
                                 initializer=initializer, share=share, describe_error=describe_error,
                                 progress=progress, desc=desc, unit=unit):
            computed[todo[i]["key"]] = rows
            if journal is not None:
                journal.write("".join(json.dumps(_jsonable(r)) + "\n" for r in rows))
                journal.flush()
        if journal is not None:
            os.fsync(journal.fileno())
    finally:
        if journal is not None:
            journal.close()
    now: list[dict] = [dict(r) for r in failed_rows]
    for t in tasks:
        src = computed.get(t["key"]) or by_key.get(t["key"], [])
        for r in src:
            now.append({**r, "path": str(t["path"])})
    paths_now = {str(t["path"]) for t in tasks} | {str(r["path"]) for r in failed_rows}
    kept = [r for r in previous if r.get("path") not in paths_now]
    df = _frame(kept + now, item, extra_columns, metrics, units)
    if outp is not None:
        write_table(df, outp)
        _journal_path(outp).unlink(missing_ok=True)
    df.attrs["failed"] = sum(r.get("status") != "ok" for r in now)
    df.attrs["skipped"] = sum(t["key"] in done for t in tasks)
    return df
