"""The feature registry and the functions that run it.

Every metric's name, unit, meaning, family and direction of "better" is a
:class:`FeatureInfo` in :data:`FEATURES`. Online metrics register with the :func:`metric`
decorator; metrics that exist only for scanned worksheets (stroke width, ink darkness,
...) are declared with :func:`register_feature` (in :mod:`penmotor.metrics.scan_only`) and
computed by :mod:`penmotor.scan`. A metric computed both online and from scans has
**one** entry: same name, unit and meaning.

:func:`features` and :func:`features_table` run the registered online metrics over
recordings. The families in :mod:`penmotor.metrics` register when :mod:`penmotor` is
imported (the package imports :mod:`penmotor.metrics`); this module imports none of them.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import FormatError, ParameterError, PenmotorError, PenmotorWarning
from .recording import Recording, valid_recording

__all__ = ["FeatureInfo", "FEATURES", "metric", "register_feature", "declare_family", "REGISTRY_VERSION", "features",
           "features_table", "scalar_meta", "is_recording_file", "file_tasks", "file_rows"]

#: Bumped whenever a registered metric changes meaning or algorithm (stored with values).
REGISTRY_VERSION = "2"  # 2: one task rule (penmotor.tasks.task_kind) for every family

_BETTER = {None, "lower", "higher"}
_MODALITIES = {"online", "scan"}


@dataclass(frozen=True)
class FeatureInfo:
    """Description of one registered feature.

    Attributes
    ----------
    name : str
        Column name in feature tables.
    unit : str
        Physical unit ("mm", "mm/s", "Hz", "deg", "s", "1" for dimensionless, ...).
    description : str
        One sentence: what it measures.
    family : str
        Metric family ("kinematics", "pressure", "tremor", "sizing", ...).
    better : {"lower", "higher", None}
        Which direction counts as improvement for a child's handwriting, if any.
    modalities : frozenset of str
        ``{"online"}``, ``{"scan"}`` or both.
    needs : tuple of str
        Recording channels the online function needs (NaN when absent).
    func : callable or None
        The online function ``func(rec) -> float``; None for scan-only features.
    depends_on_text : bool
        The value depends on what was written (ink length, writing width, crossings,
        durations, counts): recordings of different texts are not comparable, so progress
        compares it only between recordings of the same text.
    label : str
        A short plain-language name for plots and tables ("Letter size"); the name itself
        when none was given (see :attr:`title`).

    Examples
    --------
    >>> info = FeatureInfo("demo", "mm", "a length", "geometry")
    >>> info.unit
    'mm'
    """

    name: str
    unit: str
    description: str
    family: str
    better: str | None = None
    modalities: frozenset[str] = frozenset({"online"})
    needs: tuple[str, ...] = ()
    func: Callable[..., float] | None = field(default=None, compare=False, repr=False)
    depends_on_text: bool = False
    label: str = ""

    @property
    def title(self) -> str:
        """The plain-language label, or the name when there is none.

        Examples
        --------
        >>> FeatureInfo("demo", "mm", "a length", "geometry", label="Demo length").title
        'Demo length'
        """
        return self.label or self.name


class _Registry(Mapping[str, FeatureInfo]):
    """Read-only mapping name -> FeatureInfo, in registration order."""

    def __init__(self) -> None:
        self._d: dict[str, FeatureInfo] = {}
        self._kinds: dict[str, frozenset[str]] = {}  # family -> task kinds it applies to

    def __getitem__(self, key: str) -> FeatureInfo:
        try:
            return self._d[key]
        except KeyError:
            raise KeyError(f"unknown feature {key!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def applies_to(self, family: str) -> frozenset[str] | None:
        """Task kinds (:func:`penmotor.tasks.task_kind`) a family applies to; None: every recording.

        Examples
        --------
        >>> sorted(FEATURES.applies_to("sizing")), FEATURES.applies_to("kinematics") is None
        (['text'], True)
        """
        return self._kinds.get(family)

    def families(self) -> list[str]:
        """Sorted family names.

        Examples
        --------
        >>> "tremor" in FEATURES.families()
        True
        """
        return sorted({i.family for i in self._d.values()})

    def online(self, families: Iterable[str] | None = None) -> list[str]:
        """Names of the features with an online function, in registration order.

        Parameters
        ----------
        families : iterable of str, optional
            Keep only these families; default all.

        Examples
        --------
        >>> "speed_mean" in FEATURES.online(), "stroke_width" in FEATURES.online()
        (True, False)
        """
        fams = None if families is None else set(families)
        return [n for n, i in self._d.items() if i.func is not None and (fams is None or i.family in fams)]

    def to_frame(self) -> Any:
        """The registry as a pandas DataFrame (name, label, unit, family, better, modalities, description, ...).

        Examples
        --------
        >>> FEATURES.to_frame().loc["speed_mean", "unit"]
        'mm/s'
        """
        import pandas as pd

        rows = [
            {"name": i.name, "label": i.title, "unit": i.unit, "family": i.family, "better": i.better,
             "modalities": ",".join(sorted(i.modalities)), "description": i.description,
             "depends_on_text": i.depends_on_text}
            for i in self._d.values()
        ]
        return pd.DataFrame(rows).set_index("name")

    def _add(self, info: FeatureInfo) -> None:
        old = self._d.get(info.name)
        if old is not None:
            if (old.unit, old.family, old.better) != (info.unit, info.family, info.better):
                raise ParameterError(
                    f"feature {info.name!r} registered twice with different unit/family/better: "
                    f"{old.unit}/{old.family}/{old.better} vs {info.unit}/{info.family}/{info.better}"
                )
            info = FeatureInfo(
                info.name, info.unit, old.description or info.description, info.family, info.better,
                old.modalities | info.modalities, old.needs or info.needs, old.func or info.func,
                old.depends_on_text or info.depends_on_text, old.label or info.label,
            )
        self._d[info.name] = info


#: The global feature registry (name -> :class:`FeatureInfo`).
FEATURES = _Registry()


def _check(name: str, unit: str, better: str | None, modalities: frozenset[str]) -> None:
    if better not in _BETTER:
        raise ParameterError(f"{name}: better must be 'lower', 'higher' or None, got {better!r}")
    if not modalities or not modalities <= _MODALITIES:
        raise ParameterError(f"{name}: modalities must be a subset of {_MODALITIES}, got {set(modalities)}")
    if not unit:
        raise ParameterError(f"{name}: every feature needs a unit ('1' for dimensionless)")


def metric(
    *,
    unit: str,
    better: str | None = None,
    needs: tuple[str, ...] = ("t", "x", "y"),
    family: str | None = None,
    name: str | None = None,
    scan: bool = False,
    depends_on_text: bool = False,
    label: str = "",
) -> Callable[[Callable[..., float]], Callable[..., float]]:
    """Register an online metric ``func(rec, **params) -> float``.

    Parameters
    ----------
    unit : str
        Physical unit of the returned value.
    better : {"lower", "higher", None}
        Direction of improvement.
    needs : tuple of str
        Channels the metric needs; :func:`penmotor.features` returns NaN without them.
    family : str, optional
        Defaults to the defining module's last name (``penmotor.metrics.tremor`` -> ``tremor``).
    name : str, optional
        Defaults to the function name.
    scan : bool
        Whether the scanned-worksheet pipeline computes the same quantity.
    depends_on_text : bool
        The value depends on what was written (see :class:`FeatureInfo`).
    label : str
        Short plain-language name for plots and tables.

    Examples
    --------
    >>> @metric(unit="1", family="demo", name="demo_samples")
    ... def demo_samples(rec):
    ...     '''Number of samples.'''
    ...     return float(len(rec))
    >>> FEATURES["demo_samples"].unit
    '1'
    """

    def deco(func: Callable[..., float]) -> Callable[..., float]:
        nm = name or func.__name__
        fam = family or func.__module__.rsplit(".", 1)[-1]
        mods = frozenset({"online", "scan"} if scan else {"online"})
        _check(nm, unit, better, mods)
        doc = (func.__doc__ or "").strip().splitlines()
        FEATURES._add(FeatureInfo(nm, unit, doc[0] if doc else "", fam, better, mods, tuple(needs), func,
                                  depends_on_text, label))
        return func

    return deco


def declare_family(family: str, *, kinds: Iterable[str]) -> None:
    """Declare the task kinds a metric family applies to (called once by the family's module).

    :func:`features` returns NaN for the family's metrics on any other kind of recording
    without calling them (letter sizes of a spiral, the spiral fit of a sentence). Kinds are
    those of :func:`penmotor.tasks.task_kind`. Channels a metric needs (pressure, tilt) are
    declared per metric (``@metric(needs=...)``).

    Examples
    --------
    >>> declare_family("demo_text_only", kinds=["text"])
    >>> FEATURES.applies_to("demo_text_only")
    frozenset({'text'})
    """
    from .tasks import KINDS

    ks = frozenset(kinds)
    if not ks or not ks <= set(KINDS):
        raise ParameterError(f"kinds: expected a non-empty subset of {KINDS}, got {sorted(ks)}")
    FEATURES._kinds[family] = ks


def register_feature(
    name: str,
    *,
    unit: str,
    description: str,
    family: str,
    better: str | None = None,
    modalities: tuple[str, ...] = ("scan",),
    label: str = "",
) -> FeatureInfo:
    """Register a feature that has no online function (e.g. scan-only stroke width).

    Examples
    --------
    >>> register_feature("demo_width", unit="mm", description="Demo.", family="demo").modalities
    frozenset({'scan'})
    """
    mods = frozenset(modalities)
    _check(name, unit, better, mods)
    FEATURES._add(FeatureInfo(name, unit, description, family, better, mods, label=label))
    return FEATURES[name]


def _selected(families: Iterable[str] | None, names: Iterable[str] | None) -> list[str]:
    known_fams = set(FEATURES.families())
    if families is not None:
        fams = {families} if isinstance(families, str) else set(families)
        unknown = fams - known_fams
        if unknown:
            raise ParameterError(f"families: unknown {sorted(unknown)}; known: {sorted(known_fams)}")
    else:
        fams = known_fams
    out = FEATURES.online(fams)
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
        Families that do not apply to the recording's task kind (:func:`declare_family`,
        :func:`penmotor.tasks.task_kind`) are NaN without being computed.

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

    kind: list[str] = []  # the recording's task kind, found once if a family asks

    def applies(family: str) -> bool:
        ks = FEATURES._kinds.get(family)
        if ks is None:
            return True
        if not kind:
            from .tasks import task_kind

            kind.append(task_kind(rec))
        return kind[0] in ks

    # one warnings/errstate context for the whole run (not one per metric): empty slices
    # and 0/0 give NaN by design
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        for name in _selected(families, names):
            info = FEATURES[name]
            if empty or not present(info.needs) or not applies(info.family):
                out[name] = math.nan  # undefined here: not computed
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


def is_recording_file(path: str | os.PathLike[str]) -> bool:
    """Whether a file found in a folder is a recording: its name or content identifies a format.

    Examples
    --------
    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "README.md"; _ = f.write_text("# notes")
    >>> is_recording_file(f)
    False
    """
    from .io import detect_format

    return detect_format(path) is not None


def file_tasks(
    files: Sequence[str | os.PathLike[str]],
    *,
    read_kwargs: dict[str, Any] | None = None,
    families: Iterable[str] | str | None = None,
    names: Iterable[str] | None = None,
    meta: Sequence[str] | None = None,
) -> tuple[list[dict], list[dict]]:
    """One task per recording file, keyed by content and options; unreadable files as error rows.

    The key covers the file's bytes and name (readers take columns, units and meta from
    it), `read_kwargs`, the selected features and the registry version, so a changed file or
    option is scored again on resume.

    Examples
    --------
    >>> import penmotor, tempfile
    >>> d = Path(tempfile.mkdtemp()); penmotor.write(penmotor.synth.handwriting("a", seed=0), d / "a.pmr")
    >>> tasks, failed = file_tasks([d / "a.pmr", d / "gone.svc"])
    >>> len(tasks), failed[0]["status"]
    (1, 'error')
    >>> file_tasks([d / "a.pmr"], read_kwargs={"device": "x"})[0][0]["key"] != tasks[0]["key"]
    True
    """
    from .batch import error_row, file_digest, task_key

    read_kwargs = dict(read_kwargs or {})
    fams = None if families is None else sorted([families] if isinstance(families, str) else families)
    nms = None if names is None else sorted([names] if isinstance(names, str) else names)
    options = {"read": read_kwargs, "families": fams, "names": nms, "meta": None if meta is None else list(meta),
               "registry": REGISTRY_VERSION}
    tasks, failed = [], []
    for f in files:
        try:
            digest = file_digest(f)
        except OSError as exc:
            failed.append(error_row({"path": str(f), "key": None}, f"{f}: cannot read file ({exc.strerror or exc})",
                                    item="recording"))
            continue
        # readers take units, columns and meta from the name, so the name is part of the key
        key = task_key(digest, options | {"name": Path(f).name})
        tasks.append({"path": str(f), "key": key, "read_kwargs": read_kwargs,
                      "families": fams, "names": nms, "meta": None if meta is None else list(meta)})
    return tasks, failed


def file_rows(task: dict) -> list[dict]:
    """Score one recording file inside a worker: one row per recording it holds.

    The file is read here (``penmotor.read(path, **task["read_kwargs"])``), so a batch never
    holds all recordings in the calling process. A file that cannot be read raises; the
    batch engine turns that into its error row.

    Examples
    --------
    >>> import penmotor, tempfile
    >>> d = Path(tempfile.mkdtemp()); penmotor.write(penmotor.synth.handwriting("a", seed=0), d / "a.pmr")
    >>> rows = file_rows(file_tasks([d / "a.pmr"], families="kinematics")[0][0])
    >>> rows[0]["status"], rows[0]["recording"], rows[0]["speed_mean"] > 0
    ('ok', 0, True)
    """
    import time

    from .io import read

    t0 = time.perf_counter()
    got = read(task["path"], **task["read_kwargs"])
    recs = got if isinstance(got, list) else [got]
    if not recs:
        raise FormatError("the file holds no recording", path=task["path"])
    rows = []
    for i, rec in enumerate(recs):
        row: dict[str, Any] = {"path": task["path"], "recording": i, "status": "ok", "error": None,
                               "key": task["key"]}
        row.update({k: v for k, v in scalar_meta(rec, task["meta"]).items() if k not in row})
        try:
            row.update(features(rec, families=task["families"], names=task["names"]))
        except PenmotorError as exc:
            row.update(status="error", error=f"{task['path']}: {exc}")
        rows.append(row)
    dt = (time.perf_counter() - t0) / len(recs)
    for r in rows:
        r["seconds"] = dt
    return rows


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

    from .batch import find_files, run_batch, run_tasks

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
