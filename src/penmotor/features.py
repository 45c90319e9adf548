"""Run the feature registry over recordings: :func:`features` and :func:`features_table`."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .errors import ParameterError, PenmotorWarning, valid_recording
from .recording import Recording
from .registry import FEATURES

__all__ = ["features", "features_table"]


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


def features_table(
    recs: Iterable[Recording],
    *,
    families: Iterable[str] | str | None = None,
    names: Iterable[str] | None = None,
    meta: Sequence[str] | None = None,
    progress: bool = False,
) -> Any:
    """Features of many recordings as a pandas DataFrame, one row per recording.

    Parameters
    ----------
    recs : iterable of Recording
    families, names : optional
        As in :func:`features`.
    meta : sequence of str, optional
        Meta keys to keep as columns; default every meta key found (non-scalar values skipped).
    progress : bool
        Show a tqdm progress bar.

    Returns
    -------
    pandas.DataFrame
        Meta columns first, then one column per feature; units in ``df.attrs["units"]``.

    Examples
    --------
    >>> from penmotor import synth
    >>> recs = [synth.handwriting("ab", seed=s).with_meta(subject=f"S{s}") for s in (1, 2)]
    >>> df = features_table(recs, families="kinematics")
    >>> df["subject"].tolist(), df.attrs["units"]["speed_mean"]
    (['S1', 'S2'], 'mm/s')
    """
    import pandas as pd

    recs = list(recs)
    if progress:
        from tqdm.auto import tqdm

        it: Iterable[Recording] = tqdm(recs, desc="features", unit="rec")
    else:
        it = recs
    rows = []
    for rec in it:
        row: dict[str, Any] = {}
        keys = meta if meta is not None else list(rec.meta)
        for k in keys:
            v = rec.meta.get(k)
            if v is None or isinstance(v, (str, int, float, bool)):
                row[k] = v
        try:
            row.update(features(rec, families=families, names=names))
        except Exception as exc:  # one bad recording must not crash the table
            warnings.warn(f"features failed for {rec!r}: {exc}", PenmotorWarning, stacklevel=2)
            row["error"] = str(exc)
        rows.append(row)
    df = pd.DataFrame(rows)
    df.attrs["units"] = {c: FEATURES[c].unit for c in df.columns if c in FEATURES}
    return df
