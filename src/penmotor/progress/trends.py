"""Trends and reliable change per child, task and metric.

* **Trend**: the Theil-Sen slope (median of pairwise slopes, robust to one odd session)
  of value against time, in units **per month** (30.44 days), with its 95 % confidence
  interval (as :func:`scipy.stats.theilslopes` computes them). Needs at least ``min_sessions``
  session dates.
* **Reliable change** (Jacobson & Truax, 1991): ``RCI = (latest - baseline) / S_diff`` with
  ``S_diff = sqrt(2) * SEM``; ``|RCI| >= 1.96`` is a change larger than measurement noise
  would produce 95 % of the time. ``SEM`` (the within-person test-retest SD) is given by the
  user (per metric), computed from a reliability coefficient (``SEM = SD * sqrt(1 - r)``),
  or estimated from **within-session repeats** (the same task recorded twice on one day:
  pooled within-session SD, :func:`within_session_sd`). Without any of them no RCI is
  claimed.
* Baseline is the mean of the values on the first session date, latest the mean on the last
  date. Whether a change is an improvement follows ``FEATURES[name].better``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = [
    "TrendFit",
    "format_by_magnitude",
    "theil_sen_trend",
    "reliable_change_index",
    "within_session_sd",
    "summarize",
    "DAYS_PER_MONTH",
]

#: Mean Gregorian month in days (365.25 / 12).
DAYS_PER_MONTH = 30.4375


@dataclass(frozen=True)
class TrendFit:
    """A Theil-Sen trend: value = intercept + slope_per_month * months since the first date.

    The intercept is ``median(value - slope * months)`` (scipy's ``method="joint"``).

    Attributes
    ----------
    slope_per_month, intercept, low, high : float
        Slope (unit per month), intercept at the first date, 95 % CI of the slope.
    n : int
        Number of points used.

    Examples
    --------
    >>> TrendFit(1.0, 0.0, 0.5, 1.5, 4).slope_per_month
    1.0
    """

    slope_per_month: float
    intercept: float
    low: float
    high: float
    n: int


def theil_sen_trend(dates: Any, values: Any, *, alpha: float = 0.95) -> TrendFit:
    """Theil-Sen slope per month of `values` observed on `dates`.

    Parameters
    ----------
    dates : array_like of date-like
        Observation dates (anything :func:`pandas.to_datetime` reads).
    values : array_like of float
        Observations; NaN entries are dropped.
    alpha : float
        Confidence level of the slope interval.

    Returns
    -------
    TrendFit
        NaN slope when fewer than two distinct dates remain.

    Examples
    --------
    >>> fit = theil_sen_trend(["2026-01-01", "2026-01-31", "2026-03-02"], [1.0, 2.0, 3.0])
    >>> round(fit.slope_per_month, 2)
    1.01
    """
    import pandas as pd

    d = pd.to_datetime(pd.Series(dates)).to_numpy()
    v = np.asarray(values, dtype=float)
    if d.shape[0] != v.shape[0]:
        raise ParameterError(f"values: expected {d.shape[0]} values (one per date), got {v.shape[0]}")
    ok = np.isfinite(v) & ~pd.isna(d)
    d, v = d[ok], v[ok]
    if d.size == 0:
        return TrendFit(math.nan, math.nan, math.nan, math.nan, 0)
    months = (d - d.min()) / np.timedelta64(1, "D") / DAYS_PER_MONTH
    return _theil_sen(months.astype(float), v, alpha)


def _repeat_term(a: np.ndarray) -> float:
    """sum k (k - 1) (2k + 5) over the groups of `k` tied values in `a` (Kendall's tie correction)."""
    _, k = np.unique(a, return_counts=True)
    k = k[k > 1].astype(float)
    return float(np.sum(k * (k - 1) * (2 * k + 5)))


def _theil_sen(x: np.ndarray, y: np.ndarray, alpha: float = 0.95) -> TrendFit:
    """Theil-Sen slope, joint intercept and CI of the slope: :func:`scipy.stats.theilslopes`
    (``method="joint"``) in a few NumPy calls, without its per-call overhead (the report fits
    one line per metric and task)."""
    n = int(y.size)
    dx = x[:, None] - x[None, :]
    pos = dx > 0
    if not pos.any():
        return TrendFit(math.nan, math.nan, math.nan, math.nan, n)
    slopes = np.sort(((y[:, None] - y[None, :])[pos]) / dx[pos])
    med = float(np.median(slopes))
    intercept = float(np.median(y - med * x))
    a = 1.0 - alpha if alpha > 0.5 else alpha
    z = NormalDist().inv_cdf(a / 2.0)
    sigsq = (n * (n - 1) * (2 * n + 5) - _repeat_term(x) - _repeat_term(y)) / 18.0
    nt = slopes.size
    if sigsq < 0 or not math.isfinite(sigsq):  # tiny n with ties: no interval
        return TrendFit(med, intercept, math.nan, math.nan, n)
    sigma = math.sqrt(sigsq)
    hi = min(int(np.round((nt - z * sigma) / 2.0)), nt - 1)
    lo = max(int(np.round((nt + z * sigma) / 2.0)) - 1, 0)
    return TrendFit(med, intercept, float(slopes[lo]), float(slopes[hi]), n)


def reliable_change_index(
    baseline: float,
    latest: float,
    *,
    sem: float | None = None,
    sd: float | None = None,
    reliability: float | None = None,
) -> float:
    """Jacobson-Truax reliable change index.

    ``RCI = (latest - baseline) / (sqrt(2) * SEM)``, with ``SEM`` given directly (the
    within-person test-retest SD, in the metric's unit) or as ``sd * sqrt(1 - reliability)``.

    Parameters
    ----------
    baseline, latest : float
    sem : float, optional
        Standard error of measurement (> 0).
    sd, reliability : float, optional
        Between-person SD and test-retest reliability coefficient (0 <= r < 1), used when
        `sem` is not given.

    Returns
    -------
    float
        ``|RCI| >= 1.96`` is a reliable change at the 5 % level.

    Examples
    --------
    >>> round(reliable_change_index(10.0, 13.0, sem=1.0), 3)
    2.121
    >>> round(reliable_change_index(10.0, 13.0, sd=2.0, reliability=0.75), 3)
    2.121
    """
    if sem is None:
        if sd is None or reliability is None:
            raise ParameterError("sem: give sem, or both sd and reliability")
        if not (0.0 <= reliability < 1.0):
            raise ParameterError(f"reliability: expected 0 <= r < 1, got {reliability!r}")
        if not (sd > 0):
            raise ParameterError(f"sd: expected > 0, got {sd!r}")
        sem = sd * math.sqrt(1.0 - reliability)
    if not (sem > 0 and math.isfinite(sem)):
        raise ParameterError(f"sem: expected a positive number, got {sem!r}")
    return float((latest - baseline) / (math.sqrt(2.0) * sem))


def within_session_sd(values: Any) -> Any:
    """Pooled within-session SD per (task, metric), from repeats recorded on one day.

    Sessions of the same child, date, task (and modality, when given) are repeats; the pooled SD is
    ``sqrt(sum((n_i - 1) * var_i) / sum(n_i - 1))`` over those groups (all children).

    Parameters
    ----------
    values : pandas.DataFrame
        Long-form values as returned by :meth:`Store.values` (columns child_id, date,
        task, metric, value).

    Returns
    -------
    pandas.DataFrame
        Indexed by (task, metric), columns ``sem`` and ``dof`` (degrees of freedom);
        only metrics with at least one repeated group.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"child_id": "C1", "date": ["2026-01-01"] * 2 + ["2026-02-01"] * 2,
    ...                    "task": "s", "metric": "x_height", "value": [4.0, 4.2, 4.5, 4.3]})
    >>> round(float(within_session_sd(df).loc[("s", "x_height"), "sem"]), 3)
    0.141
    """
    import pandas as pd

    df = values[np.isfinite(values["value"].astype(float))]
    # a tablet recording and a scanned page of one day are not repeats of each other
    keys = ["child_id", "date", "task", "metric"] + (["modality"] if "modality" in df else [])
    g = df.groupby(keys)["value"]
    stats = pd.DataFrame({"n": g.count(), "var": g.var(ddof=1)})
    stats = stats[stats["n"] >= 2]
    if stats.empty:
        return pd.DataFrame(columns=["sem", "dof"], index=pd.MultiIndex.from_tuples([], names=["task", "metric"]))
    stats["ss"] = stats["var"] * (stats["n"] - 1)
    stats["dof"] = stats["n"] - 1
    agg = stats.groupby(["task", "metric"])[["ss", "dof"]].sum()
    agg["sem"] = np.sqrt(agg["ss"] / agg["dof"])
    return agg[["sem", "dof"]]


def _lookup(table: Mapping[Any, float] | None, task: str, metric: str) -> float | None:
    if not table:
        return None
    for key in ((task, metric), metric):
        if key in table and table[key] is not None:
            v = float(table[key])
            if not (v > 0):
                raise ParameterError(f"retest_sd[{key!r}]: expected a positive SD, got {table[key]!r}")
            return v
    return None


def format_by_magnitude(v: float, steps: tuple[tuple[float, str], ...], small: str, missing: str) -> str:
    """`v` formatted with the spec of the first ``(bound, spec)`` in `steps` with ``|v| >= bound``.

    ``"0"`` for zero, the spec `small` below the last bound, `missing` when `v` is not finite.
    The one rounding rule of the progress texts (:func:`summarize`) and of the report.

    Examples
    --------
    >>> format_by_magnitude(12.345, ((100, ".0f"), (10, ".1f")), ".2f", "n/a")
    '12.3'
    >>> format_by_magnitude(float("nan"), ((10, ".1f"),), ".2f", "n/a")
    'n/a'
    """
    if not math.isfinite(v):
        return missing
    a = abs(v)
    for bound, spec in steps:
        if a >= bound:
            return format(v, spec)
    return "0" if a == 0 else format(v, small)


def _fmt(v: float) -> str:
    return format_by_magnitude(v, ((100, ".0f"), (10, ".1f"), (0.1, ".2f")), ".3g", "n/a")


def summarize(
    values: Any,
    *,
    retest_sd: Mapping[Any, float] | None = None,
    estimate_retest: bool = True,
    better: Mapping[str, str | None] | None = None,
    min_sessions: int = 3,
    criterion: float = 1.96,
) -> Any:
    """One row per (child, task, metric): baseline, latest, trend, RCI and a verdict in words.

    Parameters
    ----------
    values : pandas.DataFrame
        Long-form values (:meth:`Store.values`).
    retest_sd : mapping, optional
        Test-retest SD (SEM) per metric name or per ``(task, metric)``, in the metric's unit.
        Takes precedence over the within-session estimate.
    estimate_retest : bool
        Estimate the SEM from within-session repeats when no `retest_sd` is given.
    better : mapping, optional
        Direction of improvement per metric (``"lower"``, ``"higher"``, None), overriding
        ``FEATURES[name].better`` (needed for metrics outside the registry).
    min_sessions : int
        Session dates needed before a trend slope is reported.
    criterion : float
        ``|RCI|`` threshold for a reliable change (1.96 = 5 % two-sided).

    Returns
    -------
    pandas.DataFrame
        Columns: child_id, task, metric, unit, family, better, modality, n_sessions,
        n_other, text, n_other_text, first_date, last_date, baseline, latest, change,
        slope_per_month, intercept, slope_low, slope_high, sem, sem_source, rci, reliable,
        verdict, words. ``modality`` is the kind of session compared and ``n_other`` the
        session dates of the other kind left out of the comparison; ``text`` the text (prompt)
        compared and ``n_other_text`` the session dates with another text left out (see
        Notes). ``intercept`` is the trend's value at `first_date` (with ``slope_per_month``,
        the line a plot draws). ``verdict`` is one of
        ``"improved"``, ``"worse"``, ``"changed"`` (reliable, no better direction),
        ``"no reliable change"``, ``"not judged"`` (no SEM), ``"one session"``.

    Notes
    -----
    Like is compared with like. When a measure has both tablet (``modality`` "online")
    and scanned-paper ("scan") sessions, baseline, latest, trend and verdict use the kind
    with more session dates (the tablet on a tie): the same ink measured on paper and on
    the tablet differs systematically (``benchmarks/scan_vs_online.py``: median 3 % for
    word spacing, 6 % for x-height, 4 degrees for slant, more for size consistency), a
    bias that the test-retest SD does not contain. The report still plots both kinds.

    Likewise for text: a measure that depends on what was written (``depends_on_text`` in
    the registry: ink length, writing width, self-intersections, durations, counts) is
    compared only between recordings of the same text (column ``prompt`` of `values`, the
    text the child copied): the text written on most session dates, the latest on a tie.
    Recordings without a known text count as one text of their own.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"child_id": "C1", "task": "sentence", "metric": "pressure_mean",
    ...     "unit": "1", "date": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-03-01"]),
    ...     "value": [0.80, 0.65, 0.50]})
    >>> row = summarize(df, retest_sd={"pressure_mean": 0.05}, better={"pressure_mean": "lower"}).iloc[0]
    >>> row["verdict"], round(float(row["rci"]), 2)
    ('improved', -4.24)
    """
    import pandas as pd

    from ..registry import FEATURES

    cols = ["child_id", "task", "metric", "unit", "family", "better", "modality", "n_sessions", "n_other",
            "text", "n_other_text", "first_date",
            "last_date", "baseline", "latest", "change", "slope_per_month", "intercept", "slope_low",
            "slope_high", "sem", "sem_source", "rci", "reliable", "verdict", "words"]
    if values is None or len(values) == 0:
        return pd.DataFrame(columns=cols)
    df = values.copy()
    df["date"] = pd.to_datetime(df["date"])
    df = df[np.isfinite(df["value"].astype(float))]
    est = within_session_sd(df) if estimate_retest else None
    est_map = ({} if est is None else
               {k: (float(r[0]), int(r[1])) for k, r in zip(est.index, est[["sem", "dof"]].to_numpy())})
    better_map = dict(better or {})
    # One sort, then NumPy slices per (child, task, metric): no per-group pandas calls.
    df = df.sort_values(["child_id", "task", "metric", "date"], kind="stable")
    keys = df[["child_id", "task", "metric"]].astype(str).to_numpy()
    date = df["date"].to_numpy("datetime64[ns]")
    val = df["value"].to_numpy(float)
    mod = df["modality"].astype(str).to_numpy() if "modality" in df else None
    prompt = (np.array([p if isinstance(p, str) and p else "" for p in df["prompt"]], dtype=object)
              if "prompt" in df else None)
    units = df["unit"].astype(str).to_numpy() if "unit" in df else None
    if len(df) == 0:
        return pd.DataFrame(columns=cols)
    brk = np.flatnonzero((keys[1:] != keys[:-1]).any(axis=1)) + 1
    starts, stops = np.r_[0, brk], np.r_[brk, len(df)]
    rows = []
    for a, b in zip(starts, stops):
        child, task, metric = keys[a]
        d, v = date[a:b], val[a:b]
        pr = prompt[a:b] if prompt is not None else None
        modality, n_other = "", 0
        if mod is not None:
            m = mod[a:b]
            per_kind = {k: np.unique(d[m == k]).size for k in sorted(set(m))}
            modality = max(per_kind, key=lambda k: (per_kind[k], k == "online"))
            n_other = int(sum(per_kind.values()) - per_kind[modality])
            keep = m == modality
            d, v = d[keep], v[keep]
            pr = pr[keep] if pr is not None else None
        info = FEATURES.get(metric)
        text, n_other_text = "", 0
        if pr is not None and pr.size:
            texts = sorted(set(pr))
            if len(texts) > 1 and info is not None and info.depends_on_text:
                # like with like: the text written on most session dates (the latest on a tie)
                score = {t: (np.unique(d[pr == t]).size, d[pr == t].max()) for t in texts}
                text = max(texts, key=lambda t: score[t])
                keep = pr == text
                n_other_text = int(np.unique(d[~keep]).size)
                d, v = d[keep], v[keep]
            elif len(texts) == 1:
                text = texts[0]
        days, inv = np.unique(d, return_inverse=True)
        by_date = np.bincount(inv, weights=v) / np.bincount(inv)
        n = int(days.size)
        if info is not None:
            family, better, unit = info.family, info.better, info.unit
        else:
            family, better = "other", None
            unit = str(units[a]) if units is not None else "?"
        if better_map and metric in better_map:
            better = better_map[metric]
            if better not in ("lower", "higher", None):
                raise ParameterError(f"better[{metric!r}]: expected 'lower', 'higher' or None, got {better!r}")
        base, last = float(by_date[0]), float(by_date[-1])
        change = last - base
        sem = _lookup(retest_sd, task, metric)
        src = "given" if sem is not None else ""
        if sem is None and (task, metric) in est_map:
            e, dof = est_map[(task, metric)]
            if e > 0:
                sem, src = e, f"within-session repeats (dof {dof})"
        fit = None
        if n >= min_sessions:
            months = (d - d.min()) / np.timedelta64(1, "D") / DAYS_PER_MONTH
            fit = _theil_sen(months.astype(float), v)
        rci = reliable_change_index(base, last, sem=sem) if (sem is not None and n >= 2) else math.nan
        reliable = bool(math.isfinite(rci) and abs(rci) >= criterion)
        u = "" if unit == "1" else f" {unit}"
        label = f"{metric} ({task})"
        first_day, last_day = pd.Timestamp(days[0]), pd.Timestamp(days[-1])
        if n < 2:
            verdict = "one session"
            words = f"{label}: only one session so far ({first_day.date()}), {_fmt(base)}{u}; nothing to compare yet."
        else:
            span = f"{label}: {_fmt(base)}{u} -> {_fmt(last)}{u} ({'+' if change >= 0 else ''}{_fmt(change)}{u})"
            if not math.isfinite(rci):
                verdict = "not judged"
                words = (f"{span}; no test-retest SD, so it cannot be said whether this is more than "
                         "measurement noise (record the task twice in a session or give a retest SD).")
            elif not reliable:
                verdict = "no reliable change"
                words = f"{span}; within measurement noise (RCI {rci:.1f})."
            elif better is None:
                verdict = "changed"
                words = f"{span}; a reliable change (RCI {rci:.1f}); neither direction counts as better."
            else:
                good = (change < 0) == (better == "lower")
                verdict = "improved" if good else "worse"
                words = (f"{span}; reliably {'improved' if good else 'worse'} "
                         f"(RCI {rci:.1f}; {better} is better).")
            if fit is None:
                words += f" Too few sessions for a trend ({n} of {min_sessions})."
            elif math.isfinite(fit.slope_per_month):
                words += (f" Trend {'+' if fit.slope_per_month >= 0 else ''}{_fmt(fit.slope_per_month)}{u} per month"
                          f" (95% CI {_fmt(fit.low)} to {_fmt(fit.high)}).")
        if n_other:
            kind, other = ("tablet", "scanned-paper") if modality == "online" else ("scanned-paper", "tablet")
            words += (f" {kind.capitalize()} sessions compared; {n_other} {other} session"
                      f"{'s' if n_other > 1 else ''} left out (paper and tablet differ systematically).")
        if n_other_text:
            words += (f" Only recordings of the same text compared ({text!r}); {n_other_text} session"
                      f"{'s' if n_other_text > 1 else ''} with another text left out (this measure depends "
                      "on what was written).")
        rows.append({
            "child_id": child, "task": task, "metric": metric, "unit": unit, "family": family,
            "better": better, "modality": modality, "n_sessions": n, "n_other": n_other,
            "text": text, "n_other_text": n_other_text,
            "first_date": first_day, "last_date": last_day,
            "baseline": base, "latest": last, "change": change,
            "slope_per_month": fit.slope_per_month if fit else math.nan,
            "intercept": fit.intercept if fit else math.nan,
            "slope_low": fit.low if fit else math.nan, "slope_high": fit.high if fit else math.nan,
            "sem": sem if sem is not None else math.nan, "sem_source": src, "rci": rci,
            "reliable": reliable, "verdict": verdict, "words": words,
        })
    return pd.DataFrame(rows, columns=cols)
