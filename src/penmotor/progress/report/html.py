"""A self-contained, offline HTML progress report for one child: :func:`build_report`, :func:`report_html`.

Everything is inside the one ``.html`` file: plots and sparklines are inline SVG (one figure
per section, see :mod:`.figures`), scanned pages their stored PNG thumbnail as a ``data:`` URI,
the CSS is inline, and there are no scripts,
remote fonts or links -- the report can be opened on a machine without network and
e-mailed or printed as is. It is laid out for an occupational therapist who has thirty
seconds: *is this child improving, in what, and is the change real?*

1. **At a glance** -- the :data:`KEY_MEASURES` (letter size and its consistency, baseline,
   spacing, slant, speed, pressure, pen-in-air time, spiral tremor and accuracy): baseline
   -> latest with units, a sparkline, the trend per month and a verdict badge (colour *and*
   symbol and words), then a few plain sentences;
2. **figures** -- trend plots of the key measures, the ink of the first and latest session of
   the same text coloured by pressure, the tremor metrics' spectrum, scanned worksheets, and
   (folded) trend plots of every metric, by family, with plain-language labels;
3. optional z-scores against a user-supplied norms table;
4. **full detail**, folded in ``<details>`` sections (unfolded when printed): change and
   reliability of every metric per family (units, SEM, RCI, verdict) and every stored value
   (``data-value`` holds the exact stored number); methods.

The words come from :mod:`penmotor.progress.report.summary`, the pictures from
:mod:`penmotor.progress.report.figures`; this module lays them out with inline CSS.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ParameterError
from ..store import Store
from ..trends import format_by_magnitude, summarize
from .svg import esc as _esc
from .figures import Series, ink_figure, key_figure, page_images, spectrum_figure, trends_figure
from .summary import (
    BADGES,
    COLOURS,
    KEY_METRICS,
    VERDICT_ORDER,
    KeyMeasure,
    family_title,
    fmt_short,
    key_sentences,
    key_summary,
    prioritised,
    text_note,
)

__all__ = ["build_report", "report_html", "CSP"]



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
svg.plot{max-width:100%;height:auto;display:block}svg.plot text{fill:#222}
.pages{display:flex;flex-wrap:wrap;gap:1em}.pages figure{flex:1 1 300px;margin:0}
.code{display:block;font-size:.75em;color:#777;font-family:monospace}.note{font-size:.9em;color:#333}
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


#: Scripts and network access forbidden in the report (a missed escape cannot run or leak
#: anything): only the inline stylesheet and the figures' ``data:`` images are allowed.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _fig(svg: str, caption: str) -> str:
    return f"<figure>{svg}<figcaption>{_esc(caption)}</figcaption></figure>"


def _label_cell(metric: str) -> str:
    """A metric's plain-language label with its code name under it (for tables)."""
    from ...registry import FEATURES

    info = FEATURES.get(metric)
    if info is None or not info.label:
        return f'<td class="name">{_esc(metric)}</td>'
    return (f'<td class="name">{_esc(info.label)}<span class="code">{_esc(metric)}</span></td>')


def _fmt(v: float) -> str:
    if v is None:
        return "&ndash;"
    return format_by_magnitude(v, ((1000, ".0f"), (100, ".1f"), (1, ".2f")), ".3g", "&ndash;")


def _values_tables(vals: Any, sess: Any) -> str:
    from ...registry import FEATURES

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
            body.append(f'<tr>{_label_cell(m)}'
                        f'<td class="name">{_esc(units.get(m, ""))}</td>{"".join(cells)}</tr>')
        out.append(f"<h3>Task: {_esc(task)}</h3><table class=\"values\" data-task=\"{_esc(task)}\">"
                   f'<tr><th class="name">metric</th><th class="name">unit</th>{head}</tr>'
                   + "".join(body) + "</table>")
    return "\n".join(out)


def _sparkline(days: np.ndarray, v: np.ndarray, scan: np.ndarray, t_lo: Any, t_hi: Any, colour: str,
               title: str) -> str:
    """A tiny inline SVG of the per-date means (no scripts, prints as vectors)."""
    w, h, p = 124, 30, 4
    if v.size == 0:
        return ""
    d = days.astype("datetime64[ns]")
    span = (t_hi - t_lo) / np.timedelta64(1, "D")
    x = p + ((d - t_lo) / np.timedelta64(1, "D")) / span * (w - 2 * p) if span > 0 else np.full(v.size, w / 2)
    lo, hi = float(v.min()), float(v.max())
    y = np.full(v.size, h / 2) if hi - lo <= 1e-12 * max(1.0, abs(hi)) else h - p - (v - lo) / (hi - lo) * (h - 2 * p)
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y))
    marks = []
    for i, (a, b, sc) in enumerate(zip(x, y, scan)):
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
    cls, sym, text = BADGES.get(verdict, ("none", "", verdict))
    return f'<span class="badge b-{cls}" data-verdict="{_esc(verdict)}">{sym} {_esc(text)}</span>'


def _glance_table(ks: Any, series: Series, t_lo: Any, t_hi: Any) -> str:
    esc = _esc
    rows = []
    for r in ks.itertuples():
        km: KeyMeasure = r.measure
        u = r.shown_unit
        us = "" if not u else (u if u in ("%", "\u00b0") else " " + u)
        sc = float(r.scale)
        vals_txt = (f"{fmt_short(r.baseline * sc)}{us} \u2192 {fmt_short(r.latest * sc)}{us}"
                    if r.n_sessions >= 2 else f"{fmt_short(r.latest * sc)}{us}")
        direction = f'<span class="dir">{esc(r.direction)}</span>' if r.direction and r.n_sessions >= 2 else ""
        slope = float(r.slope_per_month)
        # a change of a percentage is in percentage points
        slope_unit = " pp" if u == "%" else us
        trend = (f"{'+' if slope > 0 else ''}{fmt_short(slope * sc)}{slope_unit}" if math.isfinite(slope)
                 else '<span class="small" title="a trend needs more session dates">\u2013</span>')
        cls = BADGES.get(r.verdict, ("none",))[0]
        days, means, scan = series.dated(r.task, r.metric)
        title = f"{km.label} ({r.task}): " + ", ".join(f"{fmt_short(a * sc)}{us}" for a in means)
        task_note = f" \u00b7 {r.task} task" if r.task != km.task else f" \u00b7 {r.task}"
        rows.append(
            f'<tr class="key v-{cls}" data-metric="{esc(r.metric)}" data-task="{esc(r.task)}" '
            f'data-baseline="{float(r.baseline)!r}" data-latest="{float(r.latest)!r}" '
            f'data-slope="{slope!r}" data-n="{int(r.n_sessions)}">'
            f'<td class="label"><b>{esc(km.label)}</b><span class="what">{esc(km.what)}{esc(task_note)}</span></td>'
            f'<td class="vals">{vals_txt}{direction}</td><td>{int(r.n_sessions)}</td><td>{trend}</td>'
            f'<td class="spark">{_sparkline(days, means, scan, t_lo, t_hi, COLOURS[cls], title)}</td>'
            f"<td>{_badge(r.verdict)}</td></tr>")
    return ('<table class="glance"><tr><th class="name">Measure</th><th>First \u2192 latest</th>'
            '<th title="session dates">Sessions</th><th>Trend per month</th><th>Over time</th>'
            '<th class="name">Is the change real?</th></tr>' + "".join(rows) + "</table>")


def _family_details(summary: Any) -> str:
    """Change and reliability of every metric, one folded section per family."""
    esc = _esc
    ordered = prioritised(summary)
    out = []
    for fam in sorted(summary["family"].unique()):
        sel = ordered[ordered["family"] == fam]
        counts = sel["verdict"].value_counts()
        desc = ", ".join(f"{int(counts[v])} {v}" for v in VERDICT_ORDER if counts.get(v, 0))
        rows = []
        for r in sel.itertuples():
            unit = "" if r.unit == "1" else r.unit
            cls, sym, _ = BADGES.get(r.verdict, ("none", "", r.verdict))
            ci = (f"{_fmt(r.slope_low)} to {_fmt(r.slope_high)}" if math.isfinite(r.slope_low)
                  and math.isfinite(r.slope_high) else "&ndash;")
            same_text = ('<span class="code">same text only</span>'
                         if int(getattr(r, "n_other_text", 0) or 0) else "")
            rows.append(
                f'<tr title="{esc(r.words)}" data-row-metric="{esc(r.metric)}" data-row-task="{esc(r.task)}" '
                f'data-rci="{float(r.rci)!r}">{_label_cell(r.metric)}'
                f'<td class="name">{esc(r.task)}{same_text}</td>'
                f'<td class="name">{esc(unit)}</td><td>{r.n_sessions}</td>'
                f"<td>{_fmt(r.baseline)}</td><td>{_fmt(r.latest)}</td><td>{_fmt(r.change)}</td>"
                f"<td>{_fmt(r.slope_per_month)}</td><td>{ci}</td><td>{_fmt(r.sem)}</td><td>{_fmt(r.rci)}</td>"
                f"<td class=\"name\">{esc(r.better if isinstance(r.better, str) else '')}</td>"
                f'<td class="name v-{cls}">{sym} {esc(r.verdict)}</td></tr>')
        out.append(
            f'<details class="family" data-family="{esc(fam)}"><summary>{esc(family_title(fam))} '
            f'<span class="small">({len(sel)} metrics: {esc(desc)})</span></summary>'
            '<table class="summary"><tr><th class="name">metric</th><th class="name">task</th>'
            '<th class="name">unit</th><th>sessions</th><th>baseline</th><th>latest</th><th>change</th>'
            '<th>trend / month</th><th>95% CI</th><th>SEM</th><th>RCI</th><th class="name">better</th>'
            '<th class="name">verdict</th></tr>' + "".join(rows) + "</table></details>")
    return "\n".join(out)


def _ink_section(store: Store, sess: Any) -> list[str]:
    """The ink of the first and latest session of each task -- of the same text as the latest --
    in one figure, and the tremor metrics' spectrum of the task that shows tremor best."""
    from ...metrics.tremor import HANDWRITING_BAND, SPIRAL_BAND

    esc = _esc
    online = sess[sess["modality"] == "online"]
    pairs, notes, spec_src = [], [], None
    has_prompt = "prompt" in online
    for task, g in online.groupby("task", sort=True):
        g = g.sort_values(["date", "session_id"])
        b = g.iloc[-1]
        text = b.prompt if has_prompt and isinstance(b.prompt, str) and b.prompt else None
        same = g[g["prompt"] == text] if text is not None else g
        a = same.iloc[0]
        other = int((g["date"] < a.date).sum()) if text is not None else 0
        if other:
            notes.append(f"{task}: the first session shown is the first of the text {text!r}; {other} earlier "
                         f"recording{'s' if other != 1 else ''} of another text left out")
        ra, rb = store.ink(int(a.session_id)), store.ink(int(b.session_id))
        if ra is None or rb is None or not ra.pen_down.any() or not rb.pen_down.any():
            continue
        labels = (f"first: {a.date.date()}", f"latest: {b.date.date()}")
        pairs.append((str(task), ra, rb, labels))
        dur = float(ra.duration + rb.duration)
        if spec_src is None or task == "spiral" or (spec_src[0] != "spiral" and dur > spec_src[4]):
            spec_src = (str(task), (a, ra), (b, rb), labels, dur)
    out: list[str] = []
    if pairs:
        caption = ("First and latest session of each task at one scale per task (the 10 mm bar), ink coloured "
                   "by pen pressure; both of the same text where the text is known.")
        out.append("<h2>Ink: first and latest session</h2>" + _fig(ink_figure(pairs), caption))
        if notes:
            out.append(f'<p class="note">{esc("; ".join(notes))}.</p>')
    if spec_src is not None:
        band = SPIRAL_BAND if spec_src[0] == "spiral" else HANDWRITING_BAND
        curves = []
        for (row, rec), lab in zip(spec_src[1:3], spec_src[3]):
            got = store.spectrum(int(row.session_id))  # the metrics' own spectrum, kept at ingest
            if got is None:  # a store from before spectra were kept: compute it from the stored ink
                from ...metrics.tremor import tremor_spectrum

                sp = tremor_spectrum(rec)
                got = (sp.f, sp.psd) if sp is not None else (None, None)
            curves.append((got[0], got[1], lab))
        svg = spectrum_figure(curves, band=band)
        if svg is not None:
            out.append("<h2>Tremor spectrum</h2>")
            out.append(_fig(svg, f"{spec_src[0]}: the spectrum the tremor metrics use (high-passed pen-down "
                            "displacement), first vs latest session; a narrow peak in the shaded band is tremor."))
    return out


def report_html(
    store: Store,
    child: str,
    *,
    retest_sd: Mapping[Any, float] | None = None,
    norms: Any = None,
    age_years: float | None = None,
    min_sessions: int = 3,
    all_trends: bool = False,
    summary: Any = None,
    values: Any = None,
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
    from ... import __version__
    from ...registry import REGISTRY_VERSION

    sess = store.sessions(child)
    if sess.empty:
        raise ParameterError(f"child: no sessions stored for {child!r} in {store!r}")
    vals = store.values(child) if values is None else values
    if summary is None:
        summary = summarize(vals, retest_sd=retest_sd, min_sessions=min_sessions)
    ks = key_summary(summary)
    note = text_note(summary)
    series = Series(vals, sess["date"].min())
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
        parts.append(_glance_table(ks, series, t_lo, t_hi))
        parts.append(
            '<p class="legend">First = mean of the first session date, latest = mean of the last; tablet '
            "sessions are compared with tablet sessions and scanned worksheets with worksheets (whichever a "
            "measure has more of), since paper and tablet read the same ink slightly differently; trend = "
            "robust (Theil-Sen) slope per month. <b>Reliable</b> = larger than the measurement noise "
            "(reliable change index |RCI| &ge; 1.96, i.e. 95 %). Badges: &#10004; improved, &#10006; worse, "
            "&#9670; changed where neither direction is better, &#9675; no reliable change. "
            "Sparklines: circles tablet sessions, orange squares scanned worksheets.</p>")
        parts.append('<div class="sentences">'
                     + "".join(f"<p>{esc(s)}</p>" for s in key_sentences(ks, summary, child, sess["date"]))
                     + "</div>")
    else:
        parts.append("<p>None of the key measures has been recorded for this child; every metric is in "
                     "the full detail below.</p>")
    if note:
        parts.append(f'<p class="note"><b>Like with like:</b> {esc(note)}</p>')
    # 2. figures: one per section, drawn from the summary
    plotted = summary if all_trends else summary[
        summary["better"].isin(["lower", "higher"]) | summary["metric"].isin(KEY_METRICS)]
    parts.append("<h2>Key measures over time</h2>")
    if len(ks):
        parts.append(_fig(key_figure(series, ks), "Key measures: dots are single recordings, the line "
                          "joins the session means, orange squares are scanned worksheets, the dashed line is "
                          "the robust trend the verdict used. Title colour and symbol give the verdict."))
    if len(plotted):
        parts.append(
            '<details class="trends"><summary>Trends of every metric, by family '
            f'<span class="small">({plotted["family"].nunique()} families, {len(plotted)} plots)</span></summary>'
            '<p class="small">Dots: tablet sessions (coloured by verdict); orange squares: scanned worksheets; '
            "line: session means; dashed: the Theil-Sen trend (robust, per month) the verdict used. Symbol: "
            "&#10004; improved, &#10006; worse, &#9670; changed reliably, &#9675; no reliable change. Hover a "
            "plot for its verdict in words."
            + ("" if all_trends else " Shown: metrics with a 'better' direction and the key metrics; "
               "every metric is in the tables below.") + "</p>"
            + _fig(trends_figure(series, plotted, family_title), "every plotted metric over time")
            + "</details>")
    parts += _ink_section(store, sess)
    scans = sess[sess["modality"] == "scan"].sort_values(["date", "session_id"])
    if len(scans):
        sel = [scans.iloc[0]] + ([scans.iloc[-1]] if len(scans) > 1 else [])
        pages = [(png, f"{r.task}, {r.date.date()}") for r in sel
                 if (png := store.page_png(int(r.session_id))) is not None]
        if pages:
            parts.append("<h2>Scanned worksheets</h2>")
            parts.append(page_images(pages))
    # 3. norms
    if norms is not None:
        from ..norms import z_scores

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
                f'<tr>{_label_cell(r.metric)}<td class="name">{esc(r.task)}</td>'
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
        + esc(", ".join(f"{int(counts[v])} {v}" for v in VERDICT_ORDER if counts.get(v, 0)))
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
        "is normalised 0-1; a change or trend of a percentage is given in percentage points (pp). Measures "
        "that depend on what was written (ink length, extents, crossings, durations, counts; marked in the "
        "metric registry) are compared only between recordings of the same text: the text written on most "
        "session dates, the latest on a tie.</p>"
    )
    body = "\n".join(parts)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            f"<title>penmotor progress report {esc(child)}</title>"
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
    summary: Any = None,
    values: Any = None,
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
    summary : pandas.DataFrame, optional
        :func:`~penmotor.progress.trends.summarize` of the child's values when the caller
        has it already (the command line prints its headline too): not computed twice.
    values : pandas.DataFrame, optional
        The child's :meth:`~penmotor.progress.store.Store.values`, when the caller has read
        them already (for `summary`): not read twice.

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
                       min_sessions=min_sessions, all_trends=all_trends, summary=summary, values=values)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, p)
    return p
