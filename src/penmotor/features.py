"""Run the feature registry over recordings: :func:`features` and :func:`features_table`."""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ParameterError, PenmotorWarning, valid_recording
from .recording import Recording
from .registry import FEATURES

__all__ = ["features", "features_table", "scalar_meta"]


def _selected(families: Iterable[str] | None, names: Iterable[str] | None) -> list[str]:
    known_fams = set(FEATURES.families())
    if families is not None:
        fams = {families} if isinstance(families, str) else set(families)
        unknown = fams - known_fams
        if unknown:
            raise ParameterError(f"families: unknown {sorted(unknown)}; known: {sorted(known_fams)}")
    else:
        fams = known_fams
    FEATURES._load()
    out = [n for n, i in FEATURES._d.items() if i.func is not None and i.family in fams]
    if names is not None:
        names = [names] if isinstance(names, str) else list(names)
        unknown = [n for n in names if n not in FEATURES or FEATURES[n].func is None]
        if unknown:
            raise ParameterError(f"names: not online features: {unknown}")
        out = [n for n in out if n in set(names)]
    return out


def features(
    rec: Recording,
    *,
    families: Iterable[str] | str | None = None,
    names: Iterable[str] | None = None,
) -> dict[str, float]:
    """Compute registered online features of one recording.

    Parameters
    ----------
    rec : Recording
        The recording.
    families : str or iterable of str, optional
        Restrict to these families (see ``FEATURES.families()``); default all.
    names : iterable of str, optional
        Restrict to these feature names.

    Returns
    -------
    dict of str to float
        Feature name -> value in the unit given by ``FEATURES[name].unit``; NaN where
        the metric is undefined for this recording (too short, no pressure channel, ...).

    Examples
    --------
    >>> from penmotor import synth
    >>> f = features(synth.handwriting("ab cd", seed=1), families=["kinematics"])
    >>> f["speed_mean"] > 0
    True
    """
    valid_recording(rec)
    out: dict[str, float] = {}
    empty = len(rec) == 0
    has: dict[str, bool] = {}  # channel -> present, checked once per call

    def present(channels: tuple[str, ...]) -> bool:
        for c in channels:
            h = has.get(c)
            if h is None:
                h = has[c] = rec.has(c)
            if not h:
                return False
        return True

    # one warnings/errstate context for the whole run (not one per metric): empty slices
    # and 0/0 give NaN by design
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in _selected(families, names):
            info = FEATURES[name]
            if empty or not present(info.needs):
                out[name] = math.nan
                continue
            v = info.func(rec)  # type: ignore[misc]
            out[name] = float(v) if v is not None else math.nan
    return out


def scalar_meta(rec: Recording, keys: Sequence[str] | None = None) -> dict[str, Any]:
    """The recording's meta values that fit a table cell (str, int, float, bool, None).

    Examples
    --------
    >>> from penmotor import synth
    >>> scalar_meta(synth.handwriting("a", seed=0).with_meta(subject="S1", extra=[1, 2]))["subject"]
    'S1'
    """
    row: dict[str, Any] = {}
    for k in (keys if keys is not None else list(rec.meta)):
        v = rec.meta.get(k)
        if v is None or isinstance(v, (str, int, float, bool)):
            row[k] = v
    return row


def _recording_row(task: dict) -> list[dict]:
    """Task function for in-memory recordings: one row (meta, then features)."""
    rec = task["rec"]
    row = scalar_meta(rec, task["meta"])
    try:
        row.update(features(rec, families=task["families"], names=task["names"]))
    except Exception as exc:  # one bad recording must not crash the table
        row["error"] = str(exc)
    return [row]


def features_table(
    items: Any,
    *,
    families: Iterable[str] | str | None = None,
    names: Iterable[str] | None = None,
    meta: Sequence[str] | None = None,
    progress: bool = False,
    workers: int = 1,
    client: Any = None,
    dask: str | None = None,
    read_kwargs: dict[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = True,
    describe_error: Any = None,
) -> Any:
    """Features of many recordings or recording files as a pandas DataFrame.

    Parameters
    ----------
    items : iterable of Recording, or path(s)
        Recordings in memory: one row each (meta columns, then features). Or files, folders
        (searched recursively for files whose name or content identifies a recording
        format) and globs: one row per recording in each file (see below).
    families, names : optional
        As in :func:`features`.
    meta : sequence of str, optional
        Meta keys to keep as columns; default every meta key found (non-scalar values skipped).
    progress : bool
        Show a tqdm progress bar.
    workers : int
        1: in this process; N: this process plus N - 1 worker processes, started only when
        the batch is worth it (see :func:`penmotor.batch.run_tasks`).
    client : dask.distributed.Client, optional
        Run on Dask; files are read on the workers.
    dask : str, optional
        ``"local"`` (a LocalCluster of `workers` processes) or a scheduler address.
    read_kwargs : dict, optional
        Keyword arguments of :func:`penmotor.read` for files (format, columns, device, ...).
    out : path, optional
        For files: also write the table (``.csv`` with units in a second header row, or
        ``.parquet``) and resume from it: files already scored with the same content and
        options are not scored again.
    resume : bool
        With `out`: skip what it already holds.
    describe_error : callable, optional
        For files: turns a reading error into its row's ``error`` text (default ``str``).

    Returns
    -------
    pandas.DataFrame
        Recordings: meta columns, then one column per feature (``error`` when one failed).
        Files: ``path`` (as given or found, never the base name alone), ``recording``
        (0-based, within the file), ``status``, ``error``, ``duplicate_of``, ``key``,
        ``seconds``, meta columns, then one column per feature; one error row per file that
        cannot be read. Units in ``df.attrs["units"]``; for files ``df.attrs["failed"]``
        counts this run's error rows. The values do not depend on `workers` or the engine.

    Examples
    --------
    >>> from penmotor import synth
    >>> recs = [synth.handwriting("ab", seed=s).with_meta(subject=f"S{s}") for s in (1, 2)]
    >>> df = features_table(recs, families="kinematics")
    >>> df["subject"].tolist(), df.attrs["units"]["speed_mean"]
    (['S1', 'S2'], 'mm/s')

    From files (a folder of two sessions and a file that is not a recording):

    >>> import penmotor, tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for s in (1, 2):
    ...     penmotor.write(recs[s - 1], d / f"s{s}.pmr")
    >>> _ = (d / "bad.svc").write_text("not numbers")
    >>> t = features_table(d, families="kinematics")
    >>> [Path(p).name for p in t["path"]], t["status"].tolist(), t.attrs["failed"]
    (['bad.svc', 's1.pmr', 's2.pmr'], ['error', 'ok', 'ok'], 1)
    >>> bool(t["speed_mean"].iloc[1] == df["speed_mean"].iloc[0])
    True
    """
    import pandas as pd

    from .batch import file_rows, file_tasks, find_files, is_recording_file, run_batch, run_tasks

    if families is not None and not isinstance(families, str):
        families = list(families)
    if names is not None and not isinstance(names, str):
        names = list(names)
    if isinstance(items, (str, os.PathLike)):
        items = [items]
    items = list(items)
    is_path = [isinstance(x, (str, os.PathLike)) for x in items]
    if any(is_path):
        if not all(is_path):
            raise ParameterError("items: pass recordings or paths, not a mix of both")
        files = find_files(items, is_recording_file)
        if not files:
            raise ParameterError(f"items: no recording files found in {[str(x) for x in items]}")
        tasks, failed = file_tasks(files, read_kwargs=read_kwargs, families=families, names=names, meta=meta)
        selected = _selected(families, names)  # unknown families/names: one error here, not one per file
        units = {"seconds": "s"} | {n: FEATURES[n].unit for n in selected}
        return run_batch(tasks, file_rows, out=out, item="recording", metrics=selected,
                         units=units, failed_rows=failed, resume=resume, workers=workers, client=client,
                         dask=dask, describe_error=describe_error, progress=progress, desc="features",
                         unit="file")
    if out is not None:
        raise ParameterError("out: only for files (recordings in memory have no path to resume by)")
    for x in items:
        if not isinstance(x, Recording):
            raise ParameterError(f"items: expected Recordings or paths, got {type(x).__name__}")
    _selected(families, names)
    tasks = [{"path": str(i), "key": str(i), "rec": r, "families": families, "names": names, "meta": meta}
             for i, r in enumerate(items)]
    rows: list[dict] = [{} for _ in tasks]
    for i, got in run_tasks(tasks, _recording_row, workers=workers, client=client, dask=dask, item="recording",
                            progress=progress, desc="features", unit="rec"):
        rows[i] = got[0]
        if "error" in rows[i]:
            warnings.warn(f"features failed for {items[i]!r}: {rows[i]['error']}", PenmotorWarning, stacklevel=2)
    df = pd.DataFrame(rows)
    df.attrs["units"] = {c: FEATURES[c].unit for c in df.columns if c in FEATURES}
    return df
