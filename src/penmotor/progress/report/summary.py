"""The words of the progress report: the key measures, their verdicts, the headline and plain sentences.

:data:`KEY_MEASURES` are what an occupational therapist looks at first (letter size and its
consistency, baseline, spacing, slant, speed, pressure, pen-in-air time, spiral tremor and
accuracy); :func:`key_summary` gives their baseline -> latest change and verdict,
:func:`headline` the one-line answer, :func:`key_sentences` a few plain sentences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


from ..trends import format_by_magnitude, summarize

__all__ = ["KeyMeasure", "KEY_MEASURES", "KEY_METRICS", "BADGES", "COLOURS", "VERDICT_ORDER", "key_summary",
           "headline", "key_sentences", "fmt_short", "prioritised", "FAMILY_TITLES",
           "family_title", "text_note"]

#: Plain-language headings of the metric families (registry family name -> heading).
FAMILY_TITLES = {
    "kinematics": "Movement: speed, acceleration, smoothness",
    "pressure": "Pen pressure and pen angle",
    "temporal": "Timing: durations, pauses, pen lifts",
    "tremor": "Tremor",
    "spiral": "Spiral drawing",
    "sizing": "Letter size, alignment and slant",
    "spacing": "Spacing",
    "geometry": "Amount and extent of the ink",
    "scan": "Scanned worksheets only",
}


def family_title(family: str) -> str:
    """The plain-language heading of a metric family (the family name itself when unknown).

    Examples
    --------
    >>> family_title("temporal"), family_title("custom")
    ('Timing: durations, pauses, pen lifts', 'custom')
    """
    return FAMILY_TITLES.get(family, family)


def text_note(summary: Any) -> str | None:
    """One plain sentence about measures compared only between recordings of the same text.

    None when nothing was left out (every session of a text-dependent measure had one text).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"metric": ["ink_length", "x_height"], "task": ["sentence", "sentence"],
    ...                   "text": ["the fox", ""], "n_other_text": [2, 0]})
    >>> text_note(s)
    "Ink length (sentence) depends on what was written, so only recordings of 'the fox' were compared; 2 session dates with another text were left out."
    """
    from ...registry import FEATURES

    if "n_other_text" not in summary:
        return None
    sel = summary[summary["n_other_text"].fillna(0).astype(int) > 0]
    if sel.empty:
        return None
    parts = []
    for (task, text), g in sel.groupby(["task", "text"], sort=True):
        labels = [FEATURES[m].title if m in FEATURES else m for m in g["metric"]]
        names = ", ".join(labels[:-1]) + (" and " if len(labels) > 1 else "") + labels[-1]
        n = int(g["n_other_text"].max())
        parts.append(f"{names} ({task}) depend{'s' if len(labels) == 1 else ''} on what was written, so only "
                     f"recordings of {text!r} were compared; {n} session date{'s' if n != 1 else ''} with "
                     f"another text {'were' if n != 1 else 'was'} left out")
    return "; ".join(parts) + "."



@dataclass(frozen=True)
class KeyMeasure:
    """One of the measures an occupational therapist looks at first.

    Unit and the direction of "better" are not stored here: they come from the metric
    registry (``penmotor.FEATURES[metric]``) through :func:`~penmotor.progress.trends.summarize`;
    where ``better`` is None a reliable change is reported neutrally as "changed", in the
    words `up` / `down`.

    Attributes
    ----------
    metric : str
        Registered metric name.
    task : str
        The task it is read from (``"sentence"``, ``"spiral"``).
    label : str
        Plain-language name ("Letter size consistency").
    what : str
        One plain line: what the number is.
    up, down : str
        Words for an increase / a decrease ("larger", "smaller").
    any_task : bool
        When the child has no `task` sessions, read the metric from the task with the most
        session dates instead (False for spiral-only measures).
    scale : float
        Display factor (100 shows a ratio in %); stored values are never scaled.
    display_unit : str or None
        Unit shown instead of the registry unit (with `scale`); None keeps the registry unit.

    Examples
    --------
    >>> KeyMeasure("x_height", "sentence", "Letter size").display_unit is None
    True
    """

    metric: str
    task: str
    label: str
    what: str = ""
    up: str = "higher"
    down: str = "lower"
    any_task: bool = True
    scale: float = 1.0
    display_unit: str | None = None

#: The key measures of the "At a glance" table, the key trend plots and :func:`headline`,
#: in display order. Chosen with occupational therapists' questions in mind: letter size and
#: how even it is, alignment, spacing, slant, speed, pressure, fluency (pen-in-air time),
#: tremor and spiral accuracy. Each names its metric, task, plain-language label and the
#: words for "up"/"down"; unit and "better" come from ``penmotor.FEATURES``.
KEY_MEASURES: tuple[KeyMeasure, ...] = (
    KeyMeasure("x_height", "sentence", "Letter size", "height of the small letters (a, c, e ...)",
               "larger", "smaller"),
    KeyMeasure("size_cv", "sentence", "Letter size consistency",
               "how much letter heights vary (lower = more even)", "more varied", "more even",
               scale=100.0, display_unit="%"),
    KeyMeasure("baseline_deviation", "sentence", "Baseline alignment",
               "how far letters sit off a straight line (lower = better)", "further off", "closer to the line"),
    KeyMeasure("word_spacing", "sentence", "Word spacing", "gap between words", "wider", "narrower"),
    KeyMeasure("slant", "sentence", "Slant", "lean of the letters (+ = to the right)",
               "more to the right", "more to the left"),
    KeyMeasure("speed_mean", "sentence", "Writing speed", "mean pen speed on the paper", "faster", "slower"),
    KeyMeasure("pressure_mean", "sentence", "Pen pressure", "mean pen pressure, 0-1 of the tablet's range",
               "heavier", "lighter"),
    KeyMeasure("in_air_ratio", "sentence", "Pen-in-air time",
               "time with the pen lifted per time on the paper (lower = more fluent)", "longer", "shorter",
               scale=100.0, display_unit="%"),
    KeyMeasure("tremor_amplitude", "spiral", "Tremor in the spiral", "size of the shaking movement",
               "larger", "smaller", any_task=False),
    KeyMeasure("spiral_rms_deviation", "spiral", "Spiral accuracy",
               "distance of the line from an ideal spiral (lower = more accurate)", "further off", "closer",
               any_task=False),
)

#: Metric names listed first in the detail tables (the key measures, then other common ones).
KEY_METRICS = tuple(dict.fromkeys([k.metric for k in KEY_MEASURES] + [
    "letter_spacing", "spacing_cv", "line_straightness", "tremor_frequency", "spiral_tightness",
    "duration_total", "stroke_count"]))

#: verdict of :func:`summarize` -> (css class, symbol, badge text)
BADGES = {
    "improved": ("improved", "\u2714", "Improved (reliable)"),
    "worse": ("worse", "\u2716", "Worse (reliable)"),
    "changed": ("changed", "\u25c6", "Changed (reliable)"),
    "no reliable change": ("none", "\u25cb", "No reliable change"),
    "not judged": ("open", "?", "Not judged: no retest SD"),
    "one session": ("few", "\u2026", "Too few sessions"),
}

COLOURS = {"improved": "#007a5a", "worse": "#c34a00", "changed": "#0061a3", "none": "#555555",
            "open": "#7a7a7a", "few": "#7a7a7a"}  # Okabe-Ito based, with a symbol each

VERDICT_ORDER = ("improved", "worse", "changed", "no reliable change", "not judged", "one session")


def fmt_short(v: float) -> str:
    """Two or three significant figures for the at-a-glance table (plain text, '-' for NaN).

    Examples
    --------
    >>> fmt_short(12.345), fmt_short(0.4567), fmt_short(float("nan"))
    ('12.3', '0.46', '–')
    """
    if v is None:
        return "\u2013"
    return format_by_magnitude(v, ((100, ".0f"), (10, ".1f"), (0.995, ".2f"), (0.01, ".2g")), ".1g", "\u2013")


def prioritised(summary: Any) -> Any:
    """Rows of a summary with the key metrics first (in :data:`KEY_METRICS` order), then by |RCI|, largest first.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"metric": ["speed_mean", "x_height", "jerk"], "task": "t", "rci": [0.5, 0.1, -3.0]})
    >>> prioritised(s)["metric"].tolist()
    ['x_height', 'speed_mean', 'jerk']
    """
    rank = {m: i for i, m in enumerate(KEY_METRICS)}
    key = summary["metric"].map(lambda m: rank.get(m, len(rank)))
    absr = -summary["rci"].abs().fillna(0.0)
    return summary.assign(_k=key, _r=absr).sort_values(["_k", "_r", "metric", "task"]).drop(columns=["_k", "_r"])


def _unit(km: KeyMeasure | None, unit: str) -> str:
    if km is not None and km.display_unit is not None:
        return km.display_unit
    return {"1": "", "deg": "\u00b0"}.get(unit, unit)


def key_summary(summary: Any, measures: Sequence[KeyMeasure] = KEY_MEASURES) -> Any:
    """The rows of `summary` for the key measures, in `measures` order, with plain labels.

    A measure is read from its own task; when the child has no session of that task and the
    measure allows it (``any_task``), from the task with the most session dates. Measures the
    child has no value of are left out.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`~penmotor.progress.trends.summarize` for one child.
    measures : sequence of KeyMeasure

    Returns
    -------
    pandas.DataFrame
        The summary columns plus ``label``, ``what``, ``shown_unit`` (display unit), ``scale``,
        ``direction`` (the measure's word for the change, e.g. "smaller"; "" when unchanged),
        ``badge`` (e.g. "Improved (reliable)") and ``measure`` (the KeyMeasure).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"metric": ["size_cv", "x_height"], "task": ["copy", "copy"],
    ...                   "unit": ["1", "mm"], "verdict": ["improved", "changed"],
    ...                   "change": [-0.1, -1.0]})
    >>> k = key_summary(s)
    >>> list(zip(k["label"], k["badge"], k["direction"]))
    [('Letter size', 'Changed (reliable)', 'smaller'), ('Letter size consistency', 'Improved (reliable)', 'more even')]
    """
    import pandas as pd

    cols = list(summary.columns) + ["label", "what", "shown_unit", "scale", "direction", "badge", "measure"]
    rows = []
    for km in measures:
        sel = summary[summary["metric"] == km.metric]
        if sel.empty:
            continue
        own = sel[sel["task"] == km.task]
        if own.empty:
            if not km.any_task:
                continue
            n = sel["n_sessions"] if "n_sessions" in sel else pd.Series(0, index=sel.index)
            own = sel.assign(_n=-n.astype(float)).sort_values(["_n", "task"]).drop(columns="_n")
        r = own.iloc[0].to_dict()
        ch = float(r.get("change", math.nan))
        r.update(label=km.label, what=km.what, shown_unit=_unit(km, str(r.get("unit", ""))), scale=km.scale,
                 direction=(km.up if ch > 0 else km.down) if math.isfinite(ch) and ch != 0 else "",
                 badge=BADGES.get(str(r["verdict"]), ("", "", str(r["verdict"])))[2], measure=km)
        rows.append(r)
    return pd.DataFrame(rows, columns=cols)


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:] if label[1:2].islower() or len(label) < 2 else label


def _names(labels: Sequence[str], max_names: int) -> str:
    items = [_lower(x) for x in labels]
    more = len(items) - max_names
    return ", ".join(items[:max_names]) + (f" and {more} more" if more > 0 else "")


def headline(summary: Any, *, measures: Sequence[KeyMeasure] = KEY_MEASURES, max_names: int = 6) -> list[str]:
    """Three short plain-language lines about the key measures: improved, worse, the rest.

    Falls back to every metric of `summary` (named ``metric (task)``) when it holds none
    of the key `measures`.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`~penmotor.progress.trends.summarize`.
    measures : sequence of KeyMeasure
        Default :data:`KEY_MEASURES`.
    max_names : int
        Names listed per verdict before "and N more".

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"metric": ["size_cv", "tremor_amplitude", "x_height"],
    ...                   "task": ["sentence", "spiral", "sentence"], "unit": ["1", "mm", "mm"],
    ...                   "verdict": ["improved", "no reliable change", "changed"], "change": [-0.1, 0.0, -1.0]})
    >>> for line in headline(s):
    ...     print(line)
    Improved reliably: letter size consistency (1 of 3 key measures).
    Got worse reliably: none.
    No reliable change: tremor in the spiral; changed, neither direction better: letter size (smaller).
    >>> headline(pd.DataFrame({"metric": ["a"], "task": ["t"], "unit": ["mm"], "verdict": ["one session"],
    ...                        "change": [0.0]}))[2]
    'No reliable change: none; too few sessions: a (t).'
    """
    ks = key_summary(summary, measures)
    what = "key measures"
    if ks.empty:
        own = tuple(KeyMeasure(m, t, f"{m} ({t})", any_task=False)
                    for m, t in zip(summary["metric"], summary["task"]))
        ks = key_summary(summary, own)
        what = "metrics"
    n = len(ks)
    v = ks["verdict"]

    def labels(mask: Any) -> list[str]:
        return list(ks.loc[mask, "label"])

    imp, wor = labels(v == "improved"), labels(v == "worse")
    line1 = (f"Improved reliably: {_names(imp, max_names)} ({len(imp)} of {n} {what})." if imp
             else f"Improved reliably: none of {n} {what}.")
    line2 = f"Got worse reliably: {_names(wor, max_names)} ({len(wor)} of {n})." if wor else \
        "Got worse reliably: none."
    parts = [f"No reliable change: {_names(labels(v == 'no reliable change'), max_names) or 'none'}"]
    ch = ks[v == "changed"]
    if len(ch):
        items = [f"{_lower(lab)} ({d})" if d else _lower(lab) for lab, d in zip(ch["label"], ch["direction"])]
        parts.append("changed, neither direction better: " + _names(items, max_names))
    few = labels(v == "one session")
    if few:
        parts.append(f"too few sessions: {_names(few, max_names)}")
    open_ = labels(v == "not judged")
    if open_:
        parts.append(f"not judged (no retest SD): {_names(open_, max_names)}")
    return [line1, line2, "; ".join(parts) + "."]


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def key_sentences(ks: Any, summary: Any, child: str, dates: Any) -> list[str]:
    """Two to four plain sentences about the key measures (and one about the rest).

    Parameters
    ----------
    ks : pandas.DataFrame
        :func:`key_summary` of `summary`.
    summary : pandas.DataFrame
        :func:`~penmotor.progress.trends.summarize` output for the child.
    child : str
    dates : pandas.Series
        The child's session dates.

    Examples
    --------
    >>> import pandas as pd
    >>> from penmotor.progress.trends import summarize
    >>> vals = pd.DataFrame({"child_id": "C1", "task": "sentence", "metric": "x_height", "unit": "mm",
    ...     "modality": "online", "value": [5.0, 4.6, 4.1, 3.8],
    ...     "date": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"])})
    >>> summary = summarize(vals)
    >>> key_sentences(key_summary(summary), summary, "C1", vals["date"])[0][:44]
    'Over 3 weeks (4 session dates, 05 Jan to 26 '
    """
    n = len(ks)
    first, last = dates.min(), dates.max()
    n_dates = int(dates.nunique())
    out = []
    if n_dates < 2:
        out.append(f"Only one session so far ({first:%d %b %Y}); change can be judged from the second "
                   "session on.")
    v = ks["verdict"]

    def vals(r: Any) -> str:
        us = "" if not r.shown_unit else (r.shown_unit if r.shown_unit in ("%", "\u00b0") else " " + r.shown_unit)
        return f"{fmt_short(r.baseline * r.scale)}{us} \u2192 {fmt_short(r.latest * r.scale)}{us}"

    if n_dates >= 2:
        weeks = (last - first).days / 7.0
        span = f"{weeks:.0f} weeks" if weeks >= 2 else f"{(last - first).days} days"
        imp = ks[v == "improved"]
        lead = (f"Over {span} ({n_dates} session dates, {first:%d %b} to {last:%d %b %Y}), {child}")
        if len(imp):
            out.append(f"{lead} improved reliably in {len(imp)} of {n} key measures: "
                       + _join([f"{_lower(r.label)} ({r.direction})" if r.direction else _lower(r.label)
                                for r in imp.itertuples()]) + ".")
        else:
            out.append(f"{lead} improved reliably in none of the {n} key measures.")
        wor = ks[v == "worse"]
        if len(wor):
            out.append(f"Reliably worse: {_join([f'{_lower(r.label)} ({vals(r)})' for r in wor.itertuples()])}.")
        else:
            out.append("None of the key measures got reliably worse.")
        ch = ks[v == "changed"]
        if len(ch):
            out.append("Changed reliably, where neither direction is better: "
                       + _join([f"{_lower(r.label)} {r.direction}" for r in ch.itertuples()]) + ".")
    rest = []
    nr = ks[v == "no reliable change"]
    if len(nr):
        rest.append(f"no reliable change in {_join([_lower(x) for x in nr['label']])}")
    nj = ks[v == "not judged"]
    if len(nj):
        rest.append(f"{_join([_lower(x) for x in nj['label']])} cannot be judged without a test-retest SD "
                    "(record the task twice in a session)")
    few = ks[v == "one session"]
    if len(few) and n_dates >= 2:
        rest.append(f"too few sessions to judge {_join([_lower(x) for x in few['label']])}")
    if rest:
        s = "; ".join(rest)
        out.append(s[:1].upper() + s[1:] + ".")
    key = set(zip(ks["task"], ks["metric"]))
    other = summary[[(t, m) not in key for t, m in zip(summary["task"], summary["metric"])]]
    if len(other):
        ov = other["verdict"]
        out.append(f"Beyond the key measures, {int((ov == 'improved').sum())} of {len(other)} other metrics "
                   f"improved and {int((ov == 'worse').sum())} got worse reliably (see Full detail).")
    return out
