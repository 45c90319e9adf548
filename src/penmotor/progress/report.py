"""A self-contained, offline HTML progress report for one child.

Everything is inside the one ``.html`` file: plots are PNG images embedded as base64
``data:`` URIs, sparklines are inline SVG, the CSS is inline, and there are no scripts,
remote fonts or links -- the report can be opened on a machine without network and
e-mailed or printed as is. It is laid out for an occupational therapist who has thirty
seconds: *is this child improving, in what, and is the change real?*

1. **At a glance** -- the :data:`KEY_MEASURES` (letter size and its consistency, baseline,
   spacing, slant, speed, pressure, pen-in-air time, spiral tremor and accuracy): baseline
   -> latest with units, a sparkline, the trend per month and a verdict badge (colour *and*
   symbol and words), then a few plain sentences;
2. **figures** -- trend plots of the key measures, the ink of the first and latest session
   side by side with a pressure heatmap, the tremor spectrum, scanned worksheets, and (folded)
   small-multiple trend plots of every metric family;
3. optional z-scores against a user-supplied norms table;
4. **full detail**, folded in ``<details>`` sections (unfolded when printed): change and
   reliability of every metric per family (units, SEM, RCI, verdict) and every stored value
   (``data-value`` holds the exact stored number); methods.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from .store import Store
from .trends import DAYS_PER_MONTH, _by_magnitude, summarize, theil_sen_trend

__all__ = ["build_report", "report_html", "headline", "key_summary", "tremor_spectrum", "KeyMeasure",
           "KEY_MEASURES", "KEY_METRICS", "CSP"]


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
_BADGES = {
    "improved": ("improved", "\u2714", "Improved (reliable)"),
    "worse": ("worse", "\u2716", "Worse (reliable)"),
    "changed": ("changed", "\u25c6", "Changed (reliable)"),
    "no reliable change": ("none", "\u25cb", "No reliable change"),
    "not judged": ("open", "?", "Not judged: no retest SD"),
    "one session": ("few", "\u2026", "Too few sessions"),
}
_COLOURS = {"improved": "#007a5a", "worse": "#c34a00", "changed": "#0061a3", "none": "#555555",
            "open": "#7a7a7a", "few": "#7a7a7a"}  # Okabe-Ito based, with a symbol each

_CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#222;max-width:1100px;margin:1.5em auto;padding:0 1em;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:2px solid #4a6fa5;padding-bottom:.15em;margin-top:1.6em}
h3{font-size:1.05em;margin-bottom:.3em}.meta{color:#555;font-size:.9em}
ul{margin:.2em 0 .6em 1.2em;padding:0}li{margin:.15em 0}
table{border-collapse:collapse;font-size:.82em;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#eef1f6}td.name,th.name{text-align:left}td.na{color:#aaa}
table.glance{font-size:.95em;width:100%}table.glance td,table.glance th{padding:5px 8px;vertical-align:middle}
table.glance td.label{text-align:left}table.glance .what{display:block;font-size:.78em;color:#666}
table.glance td.vals{white-space:nowrap}table.glance .dir{display:block;font-size:.78em;color:#555}
table.glance td.spark{text-align:center;padding:2px 4px}
.badge{-webkit-print-color-adjust:exact;print-color-adjust:exact;display:inline-block;white-space:nowrap;border-radius:3px;padding:1px 7px;font-size:.9em;font-weight:bold;border:1.5px solid}
.b-improved{color:#00563f;background:#e1f3ec;border-color:#007a5a}
.b-worse{color:#8a3300;background:#fbe9dc;border-color:#c34a00;border-style:double;border-width:3px}
.b-changed{color:#004a7c;background:#e3eef8;border-color:#0061a3;border-style:dashed}
.b-none{color:#444;background:#f3f3f3;border-color:#999}
.b-open,.b-few{color:#666;background:#fff;border-color:#bbb;border-style:dotted;font-weight:normal}
.sentences{font-size:1.05em;margin:.6em 0}.sentences p{margin:.35em 0}
.legend{font-size:.8em;color:#555}
figure{margin:.6em 0 1.2em}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85em;color:#444}.small{font-size:.85em;color:#555}
details{margin:.4em 0;border:1px solid #ddd;border-radius:4px;padding:.2em .6em}
details>summary{cursor:pointer;font-weight:bold;padding:.2em 0}details>summary .small{font-weight:normal}
td.v-improved{color:#00563f;font-weight:bold}td.v-worse{color:#8a3300;font-weight:bold}td.v-changed{color:#004a7c}
@media print{body{max-width:none;margin:0;font-size:10pt}h2{page-break-after:avoid}
figure,.verdict,tr,table.glance{page-break-inside:avoid}
details{border:none;padding:0}details::details-content{content-visibility:visible;display:block}
details>summary{list-style:none;font-size:1.05em;border-bottom:1px solid #999}details>summary::-webkit-details-marker{display:none}
a{color:inherit;text-decoration:none}}
"""


def _png(fig: Any) -> str:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _figure(w: float, h: float, dpi: int = 90, layout: str | None = "constrained") -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), dpi=dpi, layout=layout)


#: Control, bidirectional and zero-width characters: shown as U+FFFD, never interpreted.
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e"
                       "\u2060-\u206f\ufeff\ufff9-\ufffb]")

#: Scripts and network access forbidden in the report (a missed escape cannot run or leak
#: anything): only the inline stylesheet and the figures' ``data:`` images are allowed.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _esc(value: Any) -> str:
    """The one way text from a file, the store or the command line enters the report's HTML:
    ``&<>"'`` escaped (safe in text and quoted attributes), control and bidi characters replaced."""
    return html.escape(_CONTROLS.sub("\ufffd", str(value)), quote=True)


def _img(src: str, caption: str, alt: str) -> str:
    return (f'<figure><img src="{src}" alt="{_esc(alt)}">'
            f"<figcaption>{_esc(caption)}</figcaption></figure>")


def _fmt(v: float) -> str:
    if v is None:
        return "&ndash;"
    return _by_magnitude(v, ((1000, ".0f"), (100, ".1f"), (1, ".2f")), ".3g", "&ndash;")


def _fmt_short(v: float) -> str:
    """Two or three significant figures for the at-a-glance table (plain text, '-' for NaN)."""
    if v is None:
        return "\u2013"
    return _by_magnitude(v, ((100, ".0f"), (10, ".1f"), (0.995, ".2f"), (0.01, ".2g")), ".1g", "\u2013")


def _prioritised(summary: Any) -> Any:
    """Key metrics first (in :data:`KEY_METRICS` order), then by |RCI|, largest first."""
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
                 badge=_BADGES.get(str(r["verdict"]), ("", "", str(r["verdict"])))[2], measure=km)
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


def tremor_spectrum(rec: Any, *, rate_hz: float = 200.0, highpass_hz: float = 2.0,
                    min_stroke_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectrum of the high-passed pen position (x and y summed), pen down.

    Each pen-down stroke of at least `min_stroke_s` is resampled uniformly at `rate_hz`,
    high-passed (4th-order Butterworth, zero phase) to remove the drawing movement,
    and its Welch spectra of x and y are summed; strokes are averaged weighted by length.

    Returns
    -------
    freqs : ndarray (Hz)
    psd : ndarray (mm^2/Hz); empty arrays when no stroke is long enough.

    Examples
    --------
    >>> from penmotor import Recording
    >>> t = np.arange(0, 4, 0.005)
    >>> rec = Recording.from_arrays(t=t, x=10 * t + 0.3 * np.sin(2 * np.pi * 6 * t), y=0 * t)
    >>> f, p = tremor_spectrum(rec)
    >>> float(f[np.argmax(p)])
    6.25
    """
    from scipy.signal import butter, sosfiltfilt, welch

    starts, stops = rec.stroke_bounds()
    sos = butter(4, highpass_hz, btype="highpass", fs=rate_hz, output="sos")
    acc, wsum, freqs = None, 0.0, np.zeros(0)
    for a, b in zip(starts, stops):  # loop over strokes, not samples
        t = rec.t[a:b]
        if t.size < 4 or t[-1] - t[0] < min_stroke_s:
            continue
        tu = np.arange(t[0], t[-1], 1.0 / rate_hz)
        if tu.size < 64:
            continue
        nper = int(min(256, tu.size))
        psd_sum = None
        for ch in (rec.x[a:b], rec.y[a:b]):
            u = np.interp(tu, t, ch)
            h = sosfiltfilt(sos, u, padlen=min(3 * 12, tu.size - 1))
            f, p = welch(h, fs=rate_hz, nperseg=nper)
            psd_sum = p if psd_sum is None else psd_sum + p
        if acc is None or psd_sum.shape != acc.shape:
            if acc is not None and acc.size > psd_sum.size:
                continue
            acc, freqs, wsum = np.zeros_like(psd_sum), f, 0.0
        acc += psd_sum * tu.size
        wsum += tu.size
    if acc is None or wsum == 0:
        return np.zeros(0), np.zeros(0)
    return freqs, acc / wsum


def _ink_segments(rec: Any) -> tuple[np.ndarray, np.ndarray]:
    pts = np.column_stack([rec.x, rec.y])
    keep = rec.pen_down[:-1] & rec.pen_down[1:]
    segs = np.stack([pts[:-1], pts[1:]], axis=1)[keep]
    p = np.asarray(rec.pressure, float)
    pm = 0.5 * (p[:-1] + p[1:])[keep]
    return segs, pm


def _ink_figure(first: Any, latest: Any, labels: tuple[str, str]) -> str:
    from matplotlib.collections import LineCollection

    recs = [first, latest]
    aspect = max(float(np.ptp(r.y[r.pen_down])) / max(float(np.ptp(r.x[r.pen_down])), 1e-6) for r in recs)
    panel_h = min(5.0, max(1.3, 4.8 * aspect))
    span_x = max(float(np.ptp(r.x[r.pen_down])) for r in recs)
    span_y = max(float(np.ptp(r.y[r.pen_down])) for r in recs)
    pad = 0.05 * max(span_x, span_y, 1.0)
    fig = _figure(11, 2 * panel_h + 1.2)
    axes = fig.subplots(2, 2)
    has_p = any(np.isfinite(r.pressure).any() for r in recs)
    mappable = None
    for j, (rec, lab) in enumerate(zip(recs, labels)):
        segs, pm = _ink_segments(rec)
        for i in range(2):
            ax = axes[i, j]
            if i == 0:
                ax.add_collection(LineCollection(segs, colors="black", linewidths=1.2))
                ax.set_title(lab, fontsize=10)
            else:
                if has_p and np.isfinite(pm).any():
                    lc = LineCollection(segs, cmap="viridis", linewidths=2.2)
                    lc.set_array(np.nan_to_num(pm, nan=0.0))
                    lc.set_clim(0.0, 1.0)
                    mappable = ax.add_collection(lc)
                else:
                    ax.text(0.5, 0.5, "no pressure channel", ha="center", va="center", transform=ax.transAxes)
                ax.set_title(f"{lab}: pen pressure", fontsize=10)
            # same mm scale in both columns, so letter sizes compare by eye
            x0, y0 = rec.x[rec.pen_down].min(), rec.y[rec.pen_down].min()
            ym = 0.5 * (y0 + rec.y[rec.pen_down].max())
            ax.set_xlim(x0 - pad, x0 + span_x + pad)
            ax.set_ylim(ym - span_y / 2 - pad, ym + span_y / 2 + pad)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=7)
            ax.set_xlabel("mm", fontsize=8)
    if mappable is not None:
        fig.colorbar(mappable, ax=axes[1, :].tolist(), shrink=0.8, label="pressure (0-1)")
    return _png(fig)


def _trend_figure(vals: Any, summary: Any, family: str, t0: Any) -> str:
    """Small multiples of one family. x is weeks since the child's first session (cheap to draw)."""
    keys = summary[summary["family"] == family][["task", "metric", "unit"]].drop_duplicates()
    n = len(keys)
    ncol = min(5, n)
    nrow = int(math.ceil(n / ncol))
    fig = _figure(2.3 * ncol, 1.75 * nrow + 0.35, dpi=80, layout=None)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.35 / (1.75 * nrow + 0.35) + 0.04,
                        top=1 - 0.25 / (1.75 * nrow + 0.35), wspace=0.38, hspace=0.55)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    week = np.timedelta64(7, "D")
    for ax, (_, k) in zip(axes, keys.iterrows()):
        g = vals[(vals["task"] == k["task"]) & (vals["metric"] == k["metric"])]
        g = g[np.isfinite(g["value"])]
        w = ((g["date"].to_numpy("datetime64[ns]") - t0) / week).astype(float)
        for mod, marker, color in (("online", "o", "#1f4e9c"), ("scan", "s", "#d17a00")):
            sel = (g["modality"] == mod).to_numpy()
            if sel.any():
                ax.plot(w[sel], g["value"].to_numpy(float)[sel], marker, color=color, ms=4)
        row = summary[(summary["task"] == k["task"]) & (summary["metric"] == k["metric"])].iloc[0]
        if math.isfinite(row["slope_per_month"]):
            fit = theil_sen_trend(g["date"], g["value"])
            ww = np.array([w.min(), w.max()])
            ax.plot(ww, fit.intercept + fit.slope_per_month * (ww - w.min()) * 7.0 / DAYS_PER_MONTH,
                    "-", color="#888", lw=1.2)
        unit = "" if k["unit"] == "1" else f" [{k['unit']}]"
        colour = _COLOURS.get(_BADGES.get(row["verdict"], ("",))[0], "#222")
        ax.set_title(f"{k['metric']} ({k['task']}){unit}", fontsize=7, color=colour)
        ax.locator_params(nbins=4)
        ax.tick_params(labelsize=6, length=2, pad=1)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[max(0, n - ncol):n]:
        ax.set_xlabel("weeks since first session", fontsize=6)
    return _png(fig)


def _spectrum_figure(first: Any, latest: Any, labels: tuple[str, str]) -> str | None:
    fig = _figure(7.5, 3.2)
    ax = fig.subplots()
    drawn = False
    for rec, lab, c in ((first, labels[0], "#999"), (latest, labels[1], "#1f4e9c")):
        f, p = tremor_spectrum(rec)
        if f.size:
            sel = (f > 0) & (f <= 20)
            ax.semilogy(f[sel], p[sel], color=c, lw=1.6, label=lab)
            drawn = True
    if not drawn:
        return None
    ax.axvspan(4, 12, color="#f3d9b1", alpha=0.5, label="4-12 Hz tremor band")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power (mm²/Hz)")
    ax.legend(fontsize=8)
    return _png(fig)


def _page_figure(pages: list[tuple[np.ndarray, str]]) -> str:
    aspect = max(img.shape[0] / max(img.shape[1], 1) for img, _ in pages)
    fig = _figure(5.5 * len(pages), min(8.0, 5.5 * aspect + 0.5))
    axes = np.atleast_1d(fig.subplots(1, len(pages), squeeze=False)).ravel()
    for ax, (img, lab) in zip(axes, pages):
        ax.imshow(img, cmap="gray", vmin=0, vmax=255)
        ax.set_title(lab, fontsize=10)
        ax.axis("off")
    return _png(fig)


def _values_tables(vals: Any, sess: Any) -> str:
    from ..registry import FEATURES

    out = []
    for task, g in vals.groupby("task", sort=True):
        s = sess[sess["task"] == task].sort_values(["date", "session_id"])
        sids = s["session_id"].tolist()
        head = "".join(
            f'<th data-session="{int(r.session_id)}">{r.date.date()}<br>{_esc(r.modality)}</th>'
            for r in s.itertuples()
        )
        metrics = sorted(g["metric"].unique(),
                         key=lambda m: (FEATURES[m].family if m in FEATURES else "~", m))
        piv = {(int(r.session_id), r.metric): r.value for r in g.itertuples()}
        units = dict(zip(g["metric"], g["unit"]))
        body = []
        for m in metrics:
            cells = []
            for sid in sids:
                v = piv.get((sid, m))
                if v is None:
                    cells.append('<td class="na"></td>')
                    continue
                fv = float(v)
                cls = ' class="na"' if not math.isfinite(fv) else ""
                cells.append(f'<td{cls} data-session="{sid}" data-metric="{_esc(m)}" '
                             f'data-value="{fv!r}">{_fmt(fv)}</td>')
            body.append(f'<tr><td class="name">{_esc(m)}</td>'
                        f'<td class="name">{_esc(units.get(m, ""))}</td>{"".join(cells)}</tr>')
        out.append(f"<h3>Task: {_esc(task)}</h3><table class=\"values\" data-task=\"{_esc(task)}\">"
                   f'<tr><th class="name">metric</th><th class="name">unit</th>{head}</tr>'
                   + "".join(body) + "</table>")
    return "\n".join(out)




def _dated_means(vals: Any, task: str, metric: str) -> Any:
    """Per-date mean of one (task, metric) series (as :func:`summarize` uses), and whether
    every value on that date came from a scan."""
    g = vals[(vals["task"] == task) & (vals["metric"] == metric)]
    g = g[np.isfinite(g["value"].astype(float))]
    return g.groupby("date").agg(value=("value", "mean"),
                                 scan=("modality", lambda m: bool((m == "scan").all()))).sort_index()


def _sparkline(series: Any, t_lo: Any, t_hi: Any, colour: str, title: str) -> str:
    """A tiny inline SVG of the per-date means (no scripts, prints as vectors)."""
    w, h, p = 124, 30, 4
    if series.empty:
        return ""
    d = series.index.to_numpy("datetime64[ns]")
    v = series["value"].to_numpy(float)
    span = (t_hi - t_lo) / np.timedelta64(1, "D")
    x = p + ((d - t_lo) / np.timedelta64(1, "D")) / span * (w - 2 * p) if span > 0 else np.full(v.size, w / 2)
    lo, hi = float(v.min()), float(v.max())
    y = np.full(v.size, h / 2) if hi - lo <= 1e-12 * max(1.0, abs(hi)) else h - p - (v - lo) / (hi - lo) * (h - 2 * p)
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y))
    marks = []
    for i, (a, b, sc) in enumerate(zip(x, y, series["scan"])):
        r = 2.6 if i == v.size - 1 else 1.8
        if sc:
            marks.append(f'<rect x="{a - r:.1f}" y="{b - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" '
                         f'fill="#e69f00" stroke="#444" stroke-width="0.6"/>')
        else:
            marks.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="{r}" fill="{colour}"/>')
    data_v = " ".join(repr(float(a)) for a in v)
    data_d = " ".join(str(np.datetime_as_string(a, unit="D")) for a in d)
    return (f'<svg class="spark" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
            f'aria-label="{_esc(title)}" data-values="{data_v}" data-dates="{data_d}">'
            f"<title>{_esc(title)}</title>"
            f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.4" stroke-opacity="0.7"/>'
            + "".join(marks) + "</svg>")


def _badge(verdict: str) -> str:
    cls, sym, text = _BADGES.get(verdict, ("none", "", verdict))
    return f'<span class="badge b-{cls}" data-verdict="{_esc(verdict)}">{sym} {_esc(text)}</span>'


def _glance_table(ks: Any, vals: Any, t_lo: Any, t_hi: Any) -> str:
    esc = _esc
    rows = []
    for r in ks.itertuples():
        km: KeyMeasure = r.measure
        u = r.shown_unit
        us = "" if not u else (u if u in ("%", "\u00b0") else " " + u)
        sc = float(r.scale)
        vals_txt = (f"{_fmt_short(r.baseline * sc)}{us} \u2192 {_fmt_short(r.latest * sc)}{us}"
                    if r.n_sessions >= 2 else f"{_fmt_short(r.latest * sc)}{us}")
        direction = f'<span class="dir">{esc(r.direction)}</span>' if r.direction and r.n_sessions >= 2 else ""
        slope = float(r.slope_per_month)
        trend = (esc(f"{'+' if slope > 0 else ''}{_fmt_short(slope * sc)}{us}") if math.isfinite(slope)
                 else '<span class="small" title="a trend needs more session dates">\u2013</span>')
        cls = _BADGES.get(r.verdict, ("none",))[0]
        series = _dated_means(vals, r.task, r.metric)
        title = f"{km.label} ({r.task}): " + ", ".join(f"{_fmt_short(a * sc)}{us}" for a in series["value"])
        task_note = f" \u00b7 {r.task} task" if r.task != km.task else f" \u00b7 {r.task}"
        rows.append(
            f'<tr class="key v-{cls}" data-metric="{esc(r.metric)}" data-task="{esc(r.task)}" '
            f'data-baseline="{float(r.baseline)!r}" data-latest="{float(r.latest)!r}" '
            f'data-slope="{slope!r}" data-n="{int(r.n_sessions)}">'
            f'<td class="label"><b>{esc(km.label)}</b><span class="what">{esc(km.what)}{esc(task_note)}</span></td>'
            f'<td class="vals">{esc(vals_txt)}{direction}</td><td>{int(r.n_sessions)}</td><td>{trend}</td>'
            f'<td class="spark">{_sparkline(series, t_lo, t_hi, _COLOURS[cls], title)}</td>'
            f"<td>{_badge(r.verdict)}</td></tr>")
    return ('<table class="glance"><tr><th class="name">Measure</th><th>First \u2192 latest</th>'
            '<th title="session dates">Sessions</th><th>Trend per month</th><th>Over time</th>'
            '<th class="name">Is the change real?</th></tr>' + "".join(rows) + "</table>")


def _join(items: Sequence[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentences(ks: Any, summary: Any, child: str, dates: Any) -> list[str]:
    """Two to four plain sentences about the key measures (and one about the rest)."""
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
        return f"{_fmt_short(r.baseline * r.scale)}{us} \u2192 {_fmt_short(r.latest * r.scale)}{us}"

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


def _key_figure(vals: Any, ks: Any, t0: Any) -> str:
    """Small multiples of the key measures: every recording (dots), per-date means (line),
    scans (orange squares), Theil-Sen trend (dashed); title coloured and marked by verdict."""
    n = len(ks)
    ncol = min(5, n)
    nrow = int(math.ceil(n / ncol))
    fig = _figure(12.0, 2.3 * nrow + 0.2, dpi=90)
    fig.get_layout_engine().set(h_pad=0.06, w_pad=0.06, hspace=0.04, wspace=0.03)
    axes = np.atleast_1d(fig.subplots(nrow, ncol, squeeze=False)).ravel()
    week = np.timedelta64(7, "D")
    w_hi = float((vals["date"].max().to_datetime64() - t0) / week)
    for ax, r in zip(axes, ks.itertuples()):
        g = vals[(vals["task"] == r.task) & (vals["metric"] == r.metric)]
        g = g[np.isfinite(g["value"].astype(float))]
        sc = float(r.scale)
        w = ((g["date"].to_numpy("datetime64[ns]") - t0) / week).astype(float)
        y = g["value"].to_numpy(float) * sc
        scan = (g["modality"] == "scan").to_numpy()
        cls, sym, text = _BADGES.get(r.verdict, ("none", "", r.verdict))
        colour = _COLOURS[cls]
        ax.plot(w[~scan], y[~scan], "o", color=colour, ms=2.5, alpha=0.45)
        if scan.any():
            ax.plot(w[scan], y[scan], "s", color="#e69f00", mec="#444", mew=0.5, ms=4.5)
        m = _dated_means(vals, r.task, r.metric)
        wm = ((m.index.to_numpy("datetime64[ns]") - t0) / week).astype(float)
        ax.plot(wm, m["value"].to_numpy(float) * sc, "-", color=colour, lw=1.4)
        if math.isfinite(float(r.slope_per_month)) and w.size:
            fit = theil_sen_trend(g["date"], g["value"])
            ww = np.array([w.min(), w.max()])
            ax.plot(ww, sc * (fit.intercept + fit.slope_per_month * (ww - w.min()) * 7.0 / DAYS_PER_MONTH),
                    "--", color="#777", lw=1.0)
        u = f" [{r.shown_unit}]" if r.shown_unit else ""
        ax.set_title(f"{r.label}{u}\n{sym} {text}", fontsize=9, color=colour)
        ax.set_xlim(-0.04 * w_hi - 0.1, 1.04 * w_hi + 0.1)  # same weeks axis in every panel
        ax.locator_params(nbins=4)
        ax.tick_params(labelsize=7, length=2, pad=1)
        ax.grid(alpha=0.25, lw=0.5)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[max(0, n - ncol):n]:
        ax.set_xlabel("weeks since first session", fontsize=7)
    return _png(fig)


_VERDICT_ORDER = ("improved", "worse", "changed", "no reliable change", "not judged", "one session")


def _family_details(summary: Any) -> str:
    """Change and reliability of every metric, one folded section per family."""
    esc = _esc
    ordered = _prioritised(summary)
    out = []
    for fam in sorted(summary["family"].unique()):
        sel = ordered[ordered["family"] == fam]
        counts = sel["verdict"].value_counts()
        desc = ", ".join(f"{int(counts[v])} {v}" for v in _VERDICT_ORDER if counts.get(v, 0))
        rows = []
        for r in sel.itertuples():
            unit = "" if r.unit == "1" else r.unit
            cls, sym, _ = _BADGES.get(r.verdict, ("none", "", r.verdict))
            ci = (f"{_fmt(r.slope_low)} to {_fmt(r.slope_high)}" if math.isfinite(r.slope_low)
                  and math.isfinite(r.slope_high) else "&ndash;")
            rows.append(
                f'<tr title="{esc(r.words)}" data-row-metric="{esc(r.metric)}" data-row-task="{esc(r.task)}" '
                f'data-rci="{float(r.rci)!r}"><td class="name">{esc(r.metric)}</td>'
                f'<td class="name">{esc(r.task)}</td><td class="name">{esc(unit)}</td><td>{r.n_sessions}</td>'
                f"<td>{_fmt(r.baseline)}</td><td>{_fmt(r.latest)}</td><td>{_fmt(r.change)}</td>"
                f"<td>{_fmt(r.slope_per_month)}</td><td>{ci}</td><td>{_fmt(r.sem)}</td><td>{_fmt(r.rci)}</td>"
                f"<td class=\"name\">{esc(r.better if isinstance(r.better, str) else '')}</td>"
                f'<td class="name v-{cls}">{sym} {esc(r.verdict)}</td></tr>')
        out.append(
            f'<details class="family" data-family="{esc(fam)}"><summary>{esc(fam)} '
            f'<span class="small">({len(sel)} metrics: {esc(desc)})</span></summary>'
            '<table class="summary"><tr><th class="name">metric</th><th class="name">task</th>'
            '<th class="name">unit</th><th>sessions</th><th>baseline</th><th>latest</th><th>change</th>'
            '<th>trend / month</th><th>95% CI</th><th>SEM</th><th>RCI</th><th class="name">better</th>'
            '<th class="name">verdict</th></tr>' + "".join(rows) + "</table></details>")
    return "\n".join(out)


def report_html(
    store: Store,
    child: str,
    *,
    retest_sd: Mapping[Any, float] | None = None,
    norms: Any = None,
    age_years: float | None = None,
    min_sessions: int = 3,
    all_trends: bool = False,
) -> str:
    """The report for `child` as one HTML string (see :func:`build_report`).

    Examples
    --------
    >>> import tempfile
    >>> s = Store(tempfile.mkdtemp() + "/s.db")
    >>> _ = s.add_session("C1", date="2026-01-01", task="t", modality="online", sha256="aa" * 32,
    ...                   values={"a": 1.0}, units={"a": "mm"})
    >>> "C1" in report_html(s, "C1")
    True
    """
    from .. import __version__
    from ..registry import REGISTRY_VERSION

    sess = store.sessions(child)
    if sess.empty:
        raise ParameterError(f"child: no sessions stored for {child!r} in {store!r}")
    vals = store.values(child)
    summary = summarize(vals, retest_sd=retest_sd, min_sessions=min_sessions)
    ks = key_summary(summary)
    parts: list[str] = []
    esc = _esc
    first, last = sess["date"].min().date(), sess["date"].max().date()
    t_lo, t_hi = sess["date"].min().to_datetime64(), sess["date"].max().to_datetime64()
    n_dates = int(sess["date"].nunique())
    per_task = sess["task"].value_counts().sort_index()
    parts.append(f"<h1>Handwriting progress: {esc(child)}</h1>")
    parts.append(
        f'<p class="meta">{n_dates} session date{"s" if n_dates != 1 else ""} from {first} to {last}; '
        f'{len(sess)} recordings ({esc(", ".join(f"{k}: {v}" for k, v in per_task.items()))}). '
        f"Generated {_dt.date.today()} by penmotor {esc(__version__)} (metric registry version "
        f"{esc(REGISTRY_VERSION)}). Child identified by a pseudonymous code only.</p>"
    )
    # 1. at a glance
    parts.append("<h2>At a glance</h2>")
    if len(ks):
        parts.append(_glance_table(ks, vals, t_lo, t_hi))
        parts.append(
            '<p class="legend">First = mean of the first session date, latest = mean of the last; tablet '
            "sessions are compared with tablet sessions and scanned worksheets with worksheets (whichever a "
            "measure has more of), since paper and tablet read the same ink slightly differently; trend = "
            "robust (Theil-Sen) slope per month. <b>Reliable</b> = larger than the measurement noise "
            "(reliable change index |RCI| &ge; 1.96, i.e. 95 %). Badges: &#10004; improved, &#10006; worse, "
            "&#9670; changed where neither direction is better, &#9675; no reliable change. "
            "Sparklines: circles tablet sessions, orange squares scanned worksheets.</p>")
        parts.append('<div class="sentences">'
                     + "".join(f"<p>{esc(s)}</p>" for s in _sentences(ks, summary, child, sess["date"]))
                     + "</div>")
    else:
        parts.append("<p>None of the key measures has been recorded for this child; every metric is in "
                     "the full detail below.</p>")
    # 2. figures
    t0 = t_lo
    plotted = summary if all_trends else summary[
        summary["better"].isin(["lower", "higher"]) | summary["metric"].isin(KEY_METRICS)]
    parts.append("<h2>Key measures over time</h2>")
    if len(ks):
        parts.append(_img(_key_figure(vals, ks, t0), "Key measures: dots are single recordings, the line "
                          "joins the session means, orange squares are scanned worksheets, the dashed line is "
                          "the robust trend. Title colour and symbol give the verdict.", "key measure trends"))
    fam_parts = []
    for fam in sorted(plotted["family"].unique()):
        fam_parts.append(f"<h3>{esc(fam)}</h3>")
        fam_parts.append(_img(_trend_figure(vals, plotted, fam, t0), f"{fam} metrics over sessions",
                              f"trend plots, {fam}"))
    if fam_parts:
        parts.append(
            '<details class="trends"><summary>Trends of every metric, by family '
            f'<span class="small">({plotted["family"].nunique()} families)</span></summary>'
            '<p class="small">Blue circles: tablet sessions; orange squares: scanned worksheets; grey line: '
            "Theil-Sen trend (robust, per month). Title colour and symbol: &#10004; improved, &#10006; worse, "
            "&#9670; changed reliably."
            + ("" if all_trends else " Shown: metrics with a 'better' direction and the key metrics; "
               "every metric is in the tables below.") + "</p>" + "".join(fam_parts) + "</details>")
    online = sess[sess["modality"] == "online"]
    ink_parts, spec_src = [], None
    for task, g in online.groupby("task", sort=True):
        g = g.sort_values(["date", "session_id"])
        a, b = g.iloc[0], g.iloc[-1]
        ra, rb = store.ink(int(a.session_id)), store.ink(int(b.session_id))
        if ra is None or rb is None or not ra.pen_down.any() or not rb.pen_down.any():
            continue
        labels = (f"first: {a.date.date()}", f"latest: {b.date.date()}")
        ink_parts.append(f"<h3>Task: {esc(task)}</h3>")
        ink_parts.append(_img(_ink_figure(ra, rb, labels), f"{task}: first and latest session at the same "
                              "scale (mm); bottom row coloured by pen pressure (0-1)", f"ink {task}"))
        dur = float(ra.duration + rb.duration)
        if spec_src is None or task == "spiral" or (spec_src[0] != "spiral" and dur > spec_src[4]):
            spec_src = (task, ra, rb, labels, dur)
    if ink_parts:
        parts.append("<h2>Ink: first and latest session</h2>" + "".join(ink_parts))
    if spec_src is not None:
        src = _spectrum_figure(spec_src[1], spec_src[2], spec_src[3])
        if src is not None:
            parts.append("<h2>Tremor spectrum</h2>")
            parts.append(_img(src, f"{spec_src[0]}: power of the high-passed pen position, first vs latest "
                              "session; a peak in the shaded band is tremor", "tremor spectrum"))
    scans = sess[sess["modality"] == "scan"].sort_values(["date", "session_id"])
    if len(scans):
        sel = [scans.iloc[0]] + ([scans.iloc[-1]] if len(scans) > 1 else [])
        pages = []
        for r in sel:
            img = store.ink(int(r.session_id))
            if isinstance(img, np.ndarray):
                pages.append((img, f"{r.task}, {r.date.date()}"))
        if pages:
            parts.append("<h2>Scanned worksheets</h2>")
            parts.append(_img(_page_figure(pages), "first and latest scanned page", "scanned pages"))
    # 3. norms
    if norms is not None:
        from .norms import z_scores

        if age_years is None:
            raise ParameterError("age_years: needed to compare with a norms table")
        latest = vals[vals["date"] == vals.groupby(["task", "metric"])["date"].transform("max")]
        z = z_scores(latest, norms, age_years=age_years)
        z = z[np.isfinite(z["z"])]
        parts.append(f"<h2>Compared with the supplied norms (age {age_years:g} years)</h2>")
        if z.empty:
            parts.append("<p>No metric of this child has a matching row in the norms table.</p>")
        else:
            rows = "".join(
                f'<tr><td class="name">{esc(r.metric)}</td><td class="name">{esc(r.task)}</td>'
                f"<td>{_fmt(r.value)}</td><td>{_fmt(r.norm_mean)}</td><td>{_fmt(r.norm_sd)}</td>"
                f"<td>{_fmt(r.z)}</td></tr>" for r in z.itertuples())
            parts.append('<table><tr><th class="name">metric</th><th class="name">task</th><th>latest</th>'
                         f"<th>norm mean</th><th>norm SD</th><th>z</th></tr>{rows}</table>"
                         '<p class="small">Norms supplied by the user; penmotor ships none.</p>')
    # 4. full detail
    counts = summary["verdict"].value_counts()
    parts.append(
        "<h2>Full detail</h2><p class=\"small\">Every metric penmotor computed ("
        f"{len(summary)} task/metric pairs: "
        + esc(", ".join(f"{int(counts[v])} {v}" for v in _VERDICT_ORDER if counts.get(v, 0)))
        + "). Click a heading to unfold it; everything is unfolded when printed. Hover a row for the "
        "verdict in words.</p>")
    parts.append("<h3>Change and reliability, by family</h3>" + _family_details(summary))
    parts.append('<details class="values"><summary>All stored values <span class="small">(every recording, '
                 "exact stored numbers, per task)</span></summary>" + _values_tables(vals, sess) + "</details>")
    parts.append(
        "<h2>Methods</h2><p class=\"small\">Trend: Theil-Sen slope (median of pairwise slopes) per month "
        f"(30.44 days), shown with at least {min_sessions} session dates. Reliable change: Jacobson-Truax "
        "RCI = (latest - baseline) / (&radic;2 &middot; SEM), |RCI| &ge; 1.96; baseline and latest are the "
        "means of the first and last session dates of one kind (tablet or scanned paper, whichever the measure has "
        "more session dates of; a tie goes to the tablet); SEM is the test-retest SD given by the user or the "
        "pooled SD of repeats of a task within one session. 'Better' directions come from the penmotor "
        "metric registry; where there is none, a reliable change is reported as 'changed'. Key measures "
        "are listed in penmotor.progress.report.KEY_MEASURES. All metrics are in the units shown; pressure "
        "is normalised 0-1.</p>"
    )
    body = "\n".join(parts)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>penmotor progress report {esc(child)}</title>"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<style>{_CSS}</style></head><body>\n{body}\n</body></html>\n")


def build_report(
    store: Store | str | os.PathLike[str],
    child: str,
    out: str | os.PathLike[str],
    *,
    retest_sd: Mapping[Any, float] | None = None,
    norms: Any = None,
    age_years: float | None = None,
    min_sessions: int = 3,
    all_trends: bool = False,
) -> Path:
    """Write the self-contained HTML progress report of `child` to `out`.

    Parameters
    ----------
    store : Store or path/URL
    child : str
        Pseudonymous id.
    out : path
        The ``.html`` file to write (parent folder must exist).
    retest_sd : mapping, optional
        Test-retest SD per metric (or ``(task, metric)``) for the reliable change index.
    norms : DataFrame or path, optional
        A norms table (see :mod:`penmotor.progress.norms`); needs `age_years`.
    age_years : float, optional
    min_sessions : int
        Session dates needed for a trend line.
    all_trends : bool
        Plot every metric's trend; default only metrics with a "better" direction and
        :data:`KEY_METRICS`, in a folded section (all values are always in the tables).

    Returns
    -------
    Path
        `out`.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> s = Store(os.path.join(d, "s.db"))
    >>> _ = s.add_session("C1", date="2026-01-01", task="t", modality="online", sha256="aa" * 32,
    ...                   values={"a": 1.0}, units={"a": "mm"})
    >>> build_report(s, "C1", os.path.join(d, "r.html")).stat().st_size > 1000
    True
    """
    st = store if isinstance(store, Store) else Store(store)
    p = Path(out)
    if not p.parent.is_dir():
        raise ParameterError(f"out: folder {p.parent} does not exist")
    text = report_html(st, child, retest_sd=retest_sd, norms=norms, age_years=age_years,
                       min_sessions=min_sessions, all_trends=all_trends)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, p)
    return p
