"""User-supplied norm tables -> z-scores.

penmotor ships **no** norms: published handwriting norms depend on the task, the device,
the language, the script taught and the country, and invented numbers would mislead. A
clinic or study supplies its own table as CSV with one row per metric and age band::

    metric,age_min,age_max,mean,sd[,task][,unit][,source]
    x_height,7,8,4.1,0.9,sentence,mm,our clinic 2025 (n=64)

Ages are in years; a band covers ``age_min <= age < age_max``. When a ``unit`` column is
present it must equal the registry's unit for that metric (a guard against mm/cm mix-ups).
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np

from ..errors import FormatError, ParameterError

__all__ = ["load_norms", "z_scores", "NORM_COLUMNS"]

#: Required columns of a norms CSV.
NORM_COLUMNS = ("metric", "age_min", "age_max", "mean", "sd")


def load_norms(path_or_frame: str | os.PathLike[str] | Any) -> Any:
    """Read and check a norms table (CSV path or DataFrame).

    Returns
    -------
    pandas.DataFrame
        Columns ``metric, age_min, age_max, mean, sd`` plus ``task`` (``None`` = any task),
        ``unit`` and ``source`` when given.

    Raises
    ------
    FormatError
        Missing columns, non-numbers, SD <= 0, age_max <= age_min, a unit that differs
        from the registry (names file, line and field).

    Examples
    --------
    >>> import pandas as pd
    >>> t = load_norms(pd.DataFrame({"metric": ["x_height"], "age_min": [7], "age_max": [8],
    ...                              "mean": [4.0], "sd": [1.0], "unit": ["mm"]}))
    >>> float(t.loc[0, "sd"])
    1.0
    """
    import pandas as pd

    from ..registry import FEATURES

    if isinstance(path_or_frame, pd.DataFrame):
        df, path = path_or_frame.copy(), "<norms table>"
    else:
        path = os.fspath(path_or_frame)
        try:
            df = pd.read_csv(path, dtype={"metric": str, "task": str, "unit": str})
        except FileNotFoundError:
            raise FormatError("no such file", path=path) from None
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise FormatError(f"not a readable CSV: {exc}", path=path) from None
    missing = [c for c in NORM_COLUMNS if c not in df.columns]
    if missing:
        raise FormatError(f"missing column(s) {missing}; need {list(NORM_COLUMNS)}", path=path, line=1)
    for c in ("age_min", "age_max", "mean", "sd"):
        num = pd.to_numeric(df[c], errors="coerce")
        bad = num.isna() | ~np.isfinite(num.astype(float))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise FormatError(f"expected a number, got {df[c].iloc[i]!r}", path=path, line=i + 2, field=c)
        df[c] = num.astype(float)
    for i, r in enumerate(df.itertuples(index=False)):
        if not r.sd > 0:
            raise FormatError(f"SD must be > 0, got {r.sd}", path=path, line=i + 2, field="sd")
        if not r.age_max > r.age_min:
            raise FormatError("age_max must be greater than age_min", path=path, line=i + 2, field="age_max")
        if "unit" in df.columns and isinstance(getattr(r, "unit", None), str) and r.metric in FEATURES:
            if r.unit != FEATURES[r.metric].unit:
                raise FormatError(
                    f"unit {r.unit!r} differs from penmotor's unit {FEATURES[r.metric].unit!r} for {r.metric}",
                    path=path, line=i + 2, field="unit",
                )
    if "task" not in df.columns:
        df["task"] = None
    df["task"] = df["task"].where(df["task"].notna(), None)
    return df.reset_index(drop=True)


def z_scores(values: Any, norms: Any, *, age_years: float) -> Any:
    """Add z-scores against a norms table for a child of the given age.

    Parameters
    ----------
    values : pandas.DataFrame
        Long-form values (columns metric, value, and task).
    norms : pandas.DataFrame or path
        A table accepted by :func:`load_norms`.
    age_years : float
        The child's age at the sessions (years). penmotor does not store birth dates.

    Returns
    -------
    pandas.DataFrame
        `values` plus ``norm_mean``, ``norm_sd``, ``z`` and ``z_better`` (sign flipped so
        that positive means better than the norm mean when the metric has a better
        direction; NaN otherwise). Metrics without a matching norm row get NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> norms = pd.DataFrame({"metric": ["pressure_mean"], "age_min": [6], "age_max": [9],
    ...                       "mean": [0.5], "sd": [0.1]})
    >>> vals = pd.DataFrame({"metric": ["pressure_mean"], "task": ["sentence"], "value": [0.7]})
    >>> out = z_scores(vals, norms, age_years=7.5)
    >>> round(float(out.loc[0, "z"]), 6)
    2.0
    """
    from ..registry import FEATURES

    if not (isinstance(age_years, (int, float)) and math.isfinite(age_years) and 0 < age_years < 30):
        raise ParameterError(f"age_years: expected an age in years (0-30), got {age_years!r}")
    tab = load_norms(norms)
    band = tab[(tab["age_min"] <= age_years) & (age_years < tab["age_max"])]
    out = values.copy()
    means, sds = [], []
    for r in out.itertuples(index=False):
        m = band[band["metric"] == r.metric]
        task = getattr(r, "task", None)
        exact = m[m["task"] == task]
        m = exact if len(exact) else m[m["task"].isna()]
        if len(m):
            means.append(float(m["mean"].iloc[0]))
            sds.append(float(m["sd"].iloc[0]))
        else:
            means.append(math.nan)
            sds.append(math.nan)
    out["norm_mean"] = means
    out["norm_sd"] = sds
    out["z"] = (out["value"].astype(float) - out["norm_mean"]) / out["norm_sd"]
    sign = []
    for name in out["metric"]:
        better = FEATURES[name].better if name in FEATURES else None
        sign.append(1.0 if better == "higher" else -1.0 if better == "lower" else math.nan)
    out["z_better"] = out["z"] * np.asarray(sign)
    return out
