"""The report's figures: one inline SVG per section, drawn from the summary (nothing refitted).

* :func:`key_figure` -- the key measures over time;
* :func:`trends_figure` -- every plotted metric, grouped by family, in one figure;
* :func:`ink_figure` -- first and latest ink of each task (same text), coloured by pressure;
* :func:`spectrum_figure` -- the tremor metrics' own spectrum
  (:func:`penmotor.metrics.tremor.tremor_spectrum`) of the first and latest session;
* :func:`page_images` -- the stored page thumbnails of scanned worksheets, as they are.

Panels show every recording (dots; scanned worksheets as orange squares), the per-date means
(line) and the trend the verdict used (dashed: the summary's intercept and slope of the kind of
session compared). Titles use the registry's plain-language labels. Drawing is plain string
building over NumPy arrays (:mod:`.svg`): no matplotlib, milliseconds per figure, vectors in print.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..trends import DAYS_PER_MONTH
from .summary import BADGES, COLOURS
from .svg import VIRIDIS8, Panel, esc, ink_paths, limits, svg_document

__all__ = ["Series", "key_figure", "trends_figure", "ink_figure", "spectrum_figure", "page_images",
           "SCAN_COLOUR"]

_WEEK = np.timedelta64(7, "D")
#: Marker colour of scanned worksheets (Okabe-Ito orange), everywhere in the report.
SCAN_COLOUR = "#e69f00"
_PANEL_W, _NCOL = 200.0, 5


class Series:
    """NumPy columns of a child's long-form values, sliced per (task, metric) with one groupby.

    Parameters
    ----------
    vals : pandas.DataFrame
        :meth:`~penmotor.progress.store.Store.values` of one child.
    t0 : datetime64
        Time origin (the first session date): x is weeks since it.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"task": "s", "metric": "m", "modality": "online", "value": [1.0, 3.0, 5.0],
    ...                   "date": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-01-15"])})
    >>> s = Series(v, v["date"].min())
    >>> s.means("s", "m")
    (array([0., 2.]), array([2., 5.]))
    """

    def __init__(self, vals: Any, t0: Any) -> None:
        self.t0 = np.datetime64(t0, "ns")
        self.idx = dict(vals.groupby(["task", "metric"], sort=False).indices) if len(vals) else {}
        self.weeks = ((vals["date"].to_numpy("datetime64[ns]") - self.t0) / _WEEK).astype(float)
        self.date = vals["date"].to_numpy("datetime64[ns]")
        self.value = vals["value"].to_numpy(float)
        self.scan = ((vals["modality"] == "scan").to_numpy() if "modality" in vals
                     else np.zeros(len(vals), bool))

    def get(self, task: str, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Weeks, values and is-scan flags of the finite values of one series."""
        i = self.idx.get((task, metric))
        if i is None:
            return np.zeros(0), np.zeros(0), np.zeros(0, bool)
        i = i[np.isfinite(self.value[i])]
        return self.weeks[i], self.value[i], self.scan[i]

    def means(self, task: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """Per-date means (weeks, mean value) of one series."""
        w, v, _ = self.get(task, metric)
        if w.size == 0:
            return w, v
        u, inv = np.unique(w, return_inverse=True)
        return u, np.bincount(inv, weights=v) / np.bincount(inv)

    def dated(self, task: str, metric: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-date means as the summary takes them: (dates, mean value, every value a scan).

        Examples
        --------
        >>> import pandas as pd
        >>> v = pd.DataFrame({"task": "s", "metric": "m", "modality": ["online", "scan"], "value": [1.0, 3.0],
        ...                   "date": pd.to_datetime(["2026-01-01", "2026-01-15"])})
        >>> d, m, scan = Series(v, v["date"].min()).dated("s", "m")
        >>> m.tolist(), scan.tolist()
        ([1.0, 3.0], [False, True])
        """
        i = self.idx.get((task, metric))
        if i is None:
            return np.zeros(0, "datetime64[ns]"), np.zeros(0), np.zeros(0, bool)
        i = i[np.isfinite(self.value[i])]
        days, inv = np.unique(self.date[i], return_inverse=True)
        n = np.bincount(inv, minlength=days.size)
        means = np.bincount(inv, weights=self.value[i], minlength=days.size) / n
        all_scan = np.bincount(inv, weights=self.scan[i].astype(float), minlength=days.size) == n
        return days, means, all_scan

    def trend(self, row: Any, scale: float = 1.0) -> tuple[np.ndarray, np.ndarray] | None:
        """The judged trend of a summary row (its intercept and slope) from its first to last date."""
        s, c = float(row.slope_per_month), float(row.intercept)
        if not (math.isfinite(s) and math.isfinite(c)):
            return None
        w0 = float((np.datetime64(row.first_date, "ns") - self.t0) / _WEEK)
        w1 = float((np.datetime64(row.last_date, "ns") - self.t0) / _WEEK)
        ww = np.array([w0, w1])
        return ww, scale * (c + s * (ww - w0) * 7.0 / DAYS_PER_MONTH)


def _verdict(row: Any) -> tuple[str, str, str]:
    cls, sym, text = BADGES.get(str(row.verdict), ("none", "", str(row.verdict)))
    return COLOURS.get(cls, "#222"), sym, text


def _panels(rows: Sequence[Any], series: Series, *, top: float, x_hi: float, title: Callable[[Any], str],
            subtitle: Callable[[Any], str], tooltip: Callable[[Any], str], scale: Callable[[Any], float],
            panel_h: float) -> tuple[list[str], float]:
    out: list[str] = []
    n = len(rows)
    nrow = int(math.ceil(n / _NCOL))
    for k, r in enumerate(rows):
        w, v, scan = series.get(r.task, r.metric)
        sc = float(scale(r))
        y = v * sc
        mw, mv = series.means(r.task, r.metric)
        tr = series.trend(r, sc)
        x0, x1 = limits(np.array([0.0, x_hi]), pad=0.05)
        y0, y1 = limits(y, mv * sc, *([tr[1]] if tr else []))
        colour, _, _ = _verdict(r)
        last_row = k // _NCOL == nrow - 1 or k + _NCOL >= n
        p = Panel((k % _NCOL) * _PANEL_W, top + (k // _NCOL) * panel_h, _PANEL_W, panel_h, xlim=(x0, x1),
                  ylim=(y0, y1), title=title(r), subtitle=subtitle(r), title_colour=colour,
                  xlabel="weeks since first session" if last_row else "", tooltip=tooltip(r))
        p.points(w[~scan], y[~scan], colour=colour, opacity=0.5)
        if scan.any():
            p.points(w[scan], y[scan], colour=SCAN_COLOUR, shape="square", r=3.2, edge="#444")
        p.line(mw, mv * sc, colour=colour, width=1.4)
        if tr is not None:
            p.line(tr[0], tr[1], colour="#666", width=1.1, dash="4 3")
        out.append(p.svg())
    return out, nrow * panel_h


def _x_hi(series: Series) -> float:
    return float(np.nanmax(series.weeks)) if series.weeks.size else 1.0


def key_figure(series: Series, ks: Any) -> str:
    """The key measures over time, one panel each (rows of :func:`~.summary.key_summary`).

    Examples
    --------
    >>> import pandas as pd
    >>> from penmotor.progress.trends import summarize
    >>> from penmotor.progress.report.summary import key_summary
    >>> v = pd.DataFrame({"child_id": "C1", "task": "sentence", "metric": "x_height", "unit": "mm",
    ...                   "modality": "online", "value": [4.0, 4.2, 4.4],
    ...                   "date": pd.to_datetime(["2026-01-01", "2026-01-08", "2026-01-15"])})
    >>> key_figure(Series(v, v["date"].min()), key_summary(summarize(v)))[:4]
    '<svg'
    """
    def subtitle(r: Any) -> str:
        _, sym, text = _verdict(r)
        return f"{sym} {text}"

    def title(r: Any) -> str:
        return f"{r.label} [{r.shown_unit}]" if r.shown_unit else str(r.label)

    rows = list(ks.itertuples())
    body, h = _panels(rows, series, top=0.0, x_hi=_x_hi(series), title=title, subtitle=subtitle,
                      tooltip=lambda r: f"{r.label} ({r.task}): {r.words}", scale=lambda r: float(r.scale),
                      panel_h=160.0)
    return svg_document(_PANEL_W * min(_NCOL, max(1, len(rows))), h, body, title="key measures over time")


def trends_figure(series: Series, plotted: Any, family_title: Callable[[str], str] = str) -> str:
    """Every plotted metric over time in one figure, a heading and a grid of panels per family.

    Titles are the registry labels (:attr:`penmotor.registry.FeatureInfo.title`), the
    subtitle names the task and unit and the verdict symbol; hovering a panel shows the
    verdict in words. A metric with a single session is drawn as a point in a band, not
    collapsed.

    Examples
    --------
    >>> import pandas as pd
    >>> from penmotor.progress.trends import summarize
    >>> v = pd.DataFrame({"child_id": "C1", "task": "worksheet", "metric": "stroke_width", "unit": "mm",
    ...                   "modality": "scan", "value": [0.4], "date": pd.to_datetime(["2026-01-01"])})
    >>> svg = trends_figure(Series(v, v["date"].min()), summarize(v))
    >>> "Line thickness" in svg and "nan" not in svg
    True
    """
    from ...registry import FEATURES

    def title(r: Any) -> str:
        info = FEATURES.get(r.metric)
        return info.title if info is not None else str(r.metric)

    def subtitle(r: Any) -> str:
        _, sym, _ = _verdict(r)
        unit = "" if r.unit == "1" else f" \u00b7 {r.unit}"
        return f"{sym} {r.task}{unit}".strip()

    body: list[str] = []
    top = 0.0
    for fam in sorted(plotted["family"].unique()):
        rows = list(plotted[plotted["family"] == fam].itertuples())
        body.append(f'<text x="2" y="{top + 16:.0f}" font-size="14" font-weight="bold">{esc(family_title(fam))}</text>')
        top += 24
        got, h = _panels(rows, series, top=top, x_hi=_x_hi(series), title=title, subtitle=subtitle,
                         tooltip=lambda r: f"{r.metric} ({r.task}): {r.words}", scale=lambda r: 1.0,
                         panel_h=140.0)
        body += got
        top += h + 8
    return svg_document(_PANEL_W * _NCOL, top, body, title="every plotted metric over time, by family")


def ink_figure(pairs: Sequence[tuple[str, Any, Any, tuple[str, str]]], *, width: float = 1000.0) -> str:
    """First and latest ink of each task side by side at one mm scale per task, coloured by pressure.

    Parameters
    ----------
    pairs : sequence of (task, first Recording, latest Recording, (first label, latest label))

    Examples
    --------
    >>> from penmotor import synth
    >>> a, b = synth.handwriting("ab", seed=1), synth.handwriting("ab", seed=2)
    >>> ink_figure([("sentence", a, b, ("first", "latest"))]).count("<polyline") > 2
    True
    """
    body: list[str] = []
    top = 0.0
    col_w = width / 2
    any_p = False
    for task, ra, rb, labels in pairs:
        recs = (ra, rb)
        span_x = max(max(float(np.ptp(r.x[r.pen_down])) for r in recs), 1.0)
        span_y = max(max(float(np.ptp(r.y[r.pen_down])) for r in recs), 1.0)
        pad = 0.04 * max(span_x, span_y)
        scale = min((col_w - 20) / (span_x + 2 * pad), 380.0 / (span_y + 2 * pad))  # px per mm
        h = (span_y + 2 * pad) * scale + 40
        for j, (rec, lab) in enumerate(zip(recs, labels)):
            d = rec.pen_down
            x0 = float(rec.x[d].min())
            y_mid = 0.5 * (float(rec.y[d].min()) + float(rec.y[d].max()))
            left = j * col_w + 10

            def sx(v: Any, x0: float = x0, left: float = left) -> Any:
                return left + (v - x0 + pad) * scale

            def sy(v: Any, y_mid: float = y_mid, top: float = top) -> Any:
                return top + 22 + (span_y / 2 + pad - (v - y_mid)) * scale

            p = rec.pressure if np.isfinite(rec.pressure).any() else None
            any_p |= p is not None
            body.append(f'<text x="{left:.0f}" y="{top + 14:.0f}" font-size="12" font-weight="bold">'
                        f"{esc(task)}: {esc(lab)}</text>")
            body += ink_paths(rec.x, rec.y, d, p, sx, sy, width=1.6)
        y_bar = top + h - 8
        body.append(f'<line x1="10" y1="{y_bar:.0f}" x2="{10 + 10 * scale:.1f}" y2="{y_bar:.0f}" stroke="#444" '
                    f'stroke-width="2"/><text x="{16 + 10 * scale:.1f}" y="{y_bar + 4:.0f}" font-size="10">'
                    "10 mm</text>")
        top += h + 8
    if any_p:
        body.append(f'<text x="10" y="{top + 12:.0f}" font-size="10">pen pressure 0</text>')
        body += [f'<rect x="{90 + 22 * i}" y="{top + 2:.0f}" width="22" height="12" fill="{c}"/>'
                 for i, c in enumerate(VIRIDIS8)]
        body.append(f'<text x="{94 + 22 * 8}" y="{top + 12:.0f}" font-size="10">1 (the tablet\'s maximum)</text>')
        top += 22
    return svg_document(width, top, body, title="ink of the first and latest session of each task")


def spectrum_figure(curves: Sequence[tuple[Any, Any, str]], *, band: tuple[float, float],
                    fmax: float = 20.0) -> str | None:
    """Power spectra of the first and latest session (log power), `band` shaded.

    Parameters
    ----------
    curves : sequence of (frequencies, PSD, label)
        Each a tremor metrics' spectrum (:func:`~penmotor.metrics.tremor.tremor_spectrum`,
        stored at ingest: :meth:`~penmotor.progress.store.Store.spectrum`); ``None``
        arrays are skipped.
    band : (float, float)
        The band the tremor metrics search, Hz.

    Returns
    -------
    str or None
        The SVG; None when no curve has power below `fmax`.

    Examples
    --------
    >>> from penmotor import synth
    >>> from penmotor.metrics.tremor import tremor_spectrum
    >>> sp = tremor_spectrum(synth.tremor_spiral(seed=0))
    >>> svg = spectrum_figure([(sp.f, sp.psd, "first")], band=(3.0, 15.0))
    >>> svg.startswith("<svg") and "3\u201315 Hz" in svg
    True
    """
    lines = []
    for (f, psd, lab), colour in zip(curves, ("#999999", "#1f4e9c")):
        if f is None or psd is None:
            continue
        f, psd = np.asarray(f, float), np.asarray(psd, float)
        sel = (f > 0) & (f <= fmax) & (psd > 0)
        if sel.sum() >= 2:
            lines.append((f[sel], np.log10(psd[sel]), lab, colour))
    if not lines:
        return None
    width, height = 720.0, 290.0
    y0, y1 = limits(*[c[1] for c in lines], pad=0.05)
    pnl = Panel(0, 0, width, height - 40, xlim=(0.0, fmax), ylim=(y0, y1), xlabel="frequency (Hz)",
                ylabel="power, log10 of mm\u00b2/Hz")
    pnl.xband(band[0], band[1], colour="#f3d9b1", opacity=0.6)
    for f, lp, _, colour in lines:
        pnl.line(f, lp, colour=colour, width=1.6)
    legend = [f'<rect x="{60 + 160 * i}" y="{height - 28:.0f}" width="16" height="4" fill="{esc(c)}"/>'
              f'<text x="{80 + 160 * i}" y="{height - 23:.0f}" font-size="10">{esc(lab)}</text>'
              for i, (_, _, lab, c) in enumerate(lines)]
    legend.append(f'<rect x="60" y="{height - 15:.0f}" width="16" height="10" fill="#f3d9b1"/>'
                  f'<text x="80" y="{height - 6:.0f}" font-size="10">'
                  f"{band[0]:g}\u2013{band[1]:g} Hz: the band the tremor metrics search</text>")
    return svg_document(width, height, [pnl.svg()] + legend, title="tremor spectrum, first and latest session")


def page_images(pages: Sequence[tuple[bytes, str]]) -> str:
    """The stored PNG thumbnails of scanned pages side by side (no decoding, no re-encoding).

    Examples
    --------
    >>> page_images([(b"\\x89PNG...", "worksheet, 2026-02-23")]).count("<img")
    1
    """
    items = [f'<figure class="page"><img src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}" '
             f'alt="{esc("scanned page: " + lab)}"><figcaption>{esc(lab)}</figcaption></figure>'
             for png, lab in pages]
    return '<div class="pages">' + "".join(items) + "</div>"
