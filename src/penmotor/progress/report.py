"""A self-contained, offline HTML progress report for one child.

Everything is inside the one ``.html`` file: plots are PNG images embedded as base64
``data:`` URIs, the CSS is inline, and there are no scripts, remote fonts or links -- the
report can be opened on a machine without network and e-mailed or printed as is (print
CSS keeps figures and tables on a page). Sections:

1. summary in plain words (what improved reliably, what got worse, what did not change
   beyond measurement noise, what cannot be judged yet);
2. trend plots, small multiples per metric family (Theil-Sen line where there are enough sessions);
3. ink of the first and latest session side by side, and the same ink coloured by pen pressure;
4. tremor spectrum (first vs latest) of the spiral (or longest) task;
5. scanned worksheets, first and latest;
6. optional z-scores against a user-supplied norms table;
7. every stored value with its unit (``data-value`` holds the exact stored number).
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ParameterError
from .store import Store
from .trends import DAYS_PER_MONTH, summarize, theil_sen_trend

__all__ = ["build_report", "report_html", "headline", "tremor_spectrum", "KEY_METRICS"]

_CSS = """
body{font-family:"DejaVu Sans",Arial,Helvetica,sans-serif;color:#222;max-width:1100px;margin:1.5em auto;padding:0 1em;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:2px solid #4a6fa5;padding-bottom:.15em;margin-top:1.6em}
h3{font-size:1.05em;margin-bottom:.3em}.meta{color:#555;font-size:.9em}
.verdict{padding:.5em .8em;margin:.4em 0;border-left:5px solid #999;background:#f6f6f6}
.improved{border-color:#2e7d32;background:#eef7ee}.worse{border-color:#c62828;background:#fbeeee}
.changed{border-color:#6a1b9a;background:#f4eef8}
ul{margin:.2em 0 .6em 1.2em;padding:0}li{margin:.15em 0}
table{border-collapse:collapse;font-size:.82em;margin:.5em 0 1em}th,td{border:1px solid #ccc;padding:2px 6px;text-align:right}
th{background:#eef1f6}td.name,th.name{text-align:left}td.na{color:#aaa}
figure{margin:.6em 0 1.2em}figure img{max-width:100%;height:auto;border:1px solid #ddd}
figcaption{font-size:.85em;color:#444}.small{font-size:.85em;color:#555}
@media print{body{max-width:none;margin:0}h2{page-break-after:avoid}figure,table,.verdict{page-break-inside:avoid}
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


def _img(src: str, caption: str, alt: str) -> str:
    return (f'<figure><img src="{src}" alt="{html.escape(alt)}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")


def _fmt(v: float) -> str:
    if v is None or not math.isfinite(v):
        return "&ndash;"
    a = abs(v)
    if a >= 1000:
        return f"{v:.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    if a == 0:
        return "0"
    return f"{v:.3g}"


#: Metrics an occupational therapist looks at first; listed before the others in the summary.
KEY_METRICS = (
    "x_height", "size_cv", "baseline_deviation", "word_spacing", "letter_spacing", "spacing_cv",
    "line_straightness", "slant", "pressure_mean", "speed_mean", "in_air_ratio", "tremor_amplitude",
    "tremor_frequency", "spiral_rms_deviation", "spiral_tightness", "duration_total", "stroke_count",
)


def _prioritised(summary: Any) -> Any:
    """Key metrics first (in :data:`KEY_METRICS` order), then by |RCI|, largest first."""
    rank = {m: i for i, m in enumerate(KEY_METRICS)}
    key = summary["metric"].map(lambda m: rank.get(m, len(rank)))
    absr = -summary["rci"].abs().fillna(0.0)
    return summary.assign(_k=key, _r=absr).sort_values(["_k", "_r", "metric", "task"]).drop(columns=["_k", "_r"])


def headline(summary: Any, *, max_names: int = 4) -> list[str]:
    """Three plain-language lines: improved reliably, got worse reliably, the rest.

    Parameters
    ----------
    summary : pandas.DataFrame
        Output of :func:`~penmotor.progress.trends.summarize`.
    max_names : int
        Names listed per line before "and N more".

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"metric": ["a", "b"], "task": ["t", "t"], "verdict": ["improved", "not judged"]})
    >>> headline(s)
    ['Improved reliably: a (t).', 'Got worse reliably: nothing.', 'No reliable change: 0 metrics; changed (no better direction): 0; not judged yet: 1.']
    """
    def names(mask: Any) -> str:
        sel = summary[mask]
        items = [f"{m} ({t})" for m, t in zip(sel["metric"], sel["task"])]
        if not items:
            return "nothing"
        more = len(items) - max_names
        return ", ".join(items[:max_names]) + (f" and {more} more" if more > 0 else "")

    if "rci" in summary:
        summary = _prioritised(summary)
    v = summary["verdict"]
    n_none = int((v == "no reliable change").sum())
    n_changed = int((v == "changed").sum())
    n_open = int(v.isin(["not judged", "one session"]).sum())
    return [
        f"Improved reliably: {names(v == 'improved')}.",
        f"Got worse reliably: {names(v == 'worse')}.",
        f"No reliable change: {n_none} metrics; changed (no better direction): {n_changed}; "
        f"not judged yet: {n_open}.",
    ]


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
        colour = {"improved": "#2e7d32", "worse": "#c62828", "changed": "#6a1b9a"}.get(row["verdict"], "#222")
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
            f'<th data-session="{int(r.session_id)}">{r.date.date()}<br>{html.escape(r.modality)}</th>'
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
                cells.append(f'<td{cls} data-session="{sid}" data-metric="{html.escape(m)}" '
                             f'data-value="{fv!r}">{_fmt(fv)}</td>')
            body.append(f'<tr><td class="name">{html.escape(m)}</td>'
                        f'<td class="name">{html.escape(units.get(m, ""))}</td>{"".join(cells)}</tr>')
        out.append(f"<h3>Task: {html.escape(task)}</h3><table class=\"values\" data-task=\"{html.escape(task)}\">"
                   f'<tr><th class="name">metric</th><th class="name">unit</th>{head}</tr>'
                   + "".join(body) + "</table>")
    return "\n".join(out)


def _summary_table(summary: Any) -> str:
    rows = []
    for r in summary.itertuples():
        unit = "" if r.unit == "1" else r.unit
        rows.append(
            f'<tr><td class="name">{html.escape(r.metric)}</td><td class="name">{html.escape(r.task)}</td>'
            f'<td class="name">{html.escape(unit)}</td><td>{r.n_sessions}</td><td>{_fmt(r.baseline)}</td>'
            f"<td>{_fmt(r.latest)}</td><td>{_fmt(r.change)}</td><td>{_fmt(r.slope_per_month)}</td>"
            f"<td>{_fmt(r.sem)}</td><td>{_fmt(r.rci)}</td><td class=\"name\">{html.escape(r.better if isinstance(r.better, str) else '')}</td>"
            f'<td class="name">{html.escape(r.verdict)}</td></tr>'
        )
    return ('<table class="summary"><tr><th class="name">metric</th><th class="name">task</th>'
            '<th class="name">unit</th><th>sessions</th><th>baseline</th><th>latest</th><th>change</th>'
            '<th>trend / month</th><th>SEM</th><th>RCI</th><th class="name">better</th>'
            '<th class="name">verdict</th></tr>' + "".join(rows) + "</table>")


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
    from ..registry import FEATURES, REGISTRY_VERSION

    sess = store.sessions(child)
    if sess.empty:
        raise ParameterError(f"child: no sessions stored for {child!r} in {store!r}")
    vals = store.values(child)
    summary = summarize(vals, retest_sd=retest_sd, min_sessions=min_sessions)
    parts: list[str] = []
    esc = html.escape
    first, last = sess["date"].min().date(), sess["date"].max().date()
    parts.append(f"<h1>Handwriting progress: {esc(child)}</h1>")
    parts.append(
        f'<p class="meta">{len(sess)} sessions from {first} to {last} '
        f'({", ".join(f"{k}: {v}" for k, v in sess["task"].value_counts().sort_index().items())}). '
        f"Generated {_dt.date.today()} by penmotor {esc(__version__)} (metric registry version "
        f"{esc(REGISTRY_VERSION)}). Child identified by a pseudonymous code only.</p>"
    )
    # 1. summary
    parts.append("<h2>Summary</h2>")
    for line in headline(summary):
        parts.append(f'<p class="verdict">{esc(line)}</p>')
    ordered = _prioritised(summary)
    for verdict, title in (("improved", "Improved reliably"), ("worse", "Got worse reliably")):
        sel = ordered[ordered["verdict"] == verdict]
        if len(sel):
            items = "".join(f"<li>{esc(w)}</li>" for w in sel["words"])
            parts.append(f'<div class="verdict {verdict}"><h3>{title}</h3><ul>{items}</ul></div>')
    ch = ordered[ordered["verdict"] == "changed"]
    if len(ch):
        items = ", ".join(f"{m} ({t}) {'up' if c > 0 else 'down'}"
                          for m, t, c in zip(ch["metric"], ch["task"], ch["change"]))
        parts.append('<div class="verdict changed"><h3>Changed reliably, neither direction better</h3>'
                     f'<p class="small">{esc(items)}</p></div>')
    nr = ordered[ordered["verdict"] == "no reliable change"]
    if len(nr):
        parts.append('<div class="verdict"><h3>No change beyond measurement noise</h3><p class="small">'
                     + esc(", ".join(f"{m} ({t})" for m, t in zip(nr["metric"], nr["task"]))) + "</p></div>")
    nj = ordered[ordered["verdict"].isin(["not judged", "one session"])]
    if len(nj):
        parts.append('<div class="verdict"><h3>Not judged yet</h3><p class="small">'
                     "No test-retest SD for these (record the task twice in one session, or give one), "
                     "or only one session: "
                     + esc(", ".join(f"{m} ({t})" for m, t in zip(nj["metric"], nj["task"]))) + "</p></div>")
    parts.append("<h3>All metrics</h3>" + _summary_table(summary))
    # 2. trends
    plotted = summary if all_trends else summary[
        summary["better"].isin(["lower", "higher"]) | summary["metric"].isin(KEY_METRICS)]
    parts.append("<h2>Trends</h2><p class=\"small\">Blue circles: tablet sessions; orange squares: scanned "
                 "worksheets; grey line: Theil-Sen trend (robust, per month). Titles in green improved "
                 "reliably, red got worse, purple changed reliably."
                 + ("" if all_trends else " Shown: metrics with a 'better' direction and the key metrics; "
                    "every metric is in the tables below.") + "</p>")
    t0 = sess["date"].min().to_datetime64()
    for fam in sorted(plotted["family"].unique()):
        parts.append(f"<h3>{esc(fam)}</h3>")
        parts.append(_img(_trend_figure(vals, plotted, fam, t0), f"{fam} metrics over sessions",
                          f"trend plots, {fam}"))
    # 3./4. ink and tremor
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
    # 5. scans
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
    # 6. norms
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
    # 7. all values
    parts.append("<h2>All stored values</h2>" + _values_tables(vals, sess))
    parts.append(
        "<h2>Methods</h2><p class=\"small\">Trend: Theil-Sen slope (median of pairwise slopes) per month "
        f"(30.44 days), shown with at least {min_sessions} session dates. Reliable change: Jacobson-Truax "
        "RCI = (latest - baseline) / (&radic;2 &middot; SEM), |RCI| &ge; 1.96; baseline and latest are the "
        "means of the first and last session dates; SEM is the test-retest SD given by the user or the "
        "pooled SD of repeats of a task within one session. 'Better' directions come from the penmotor "
        "metric registry. All metrics are in the units shown; pressure is normalised 0-1.</p>"
    )
    body = "\n".join(parts)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
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
        :data:`KEY_METRICS` (all values are always in the tables).

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
