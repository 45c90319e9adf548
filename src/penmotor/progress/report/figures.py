"""The figures of the progress report, as PNG ``data:`` URIs (matplotlib loads on first use).

Trend plots of the key measures, the ink of two sessions with a pressure map, the tremor
spectrum (the tremor metrics' own, :func:`penmotor.metrics.tremor.tremor_spectrum`) and
scanned pages.
"""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np

from ...metrics.tremor import tremor_spectrum
from ..trends import DAYS_PER_MONTH, theil_sen_trend
from .summary import BADGES, COLOURS, dated_means

__all__ = ["png_uri", "new_figure", "ink_figure", "trend_figure", "spectrum_figure", "page_figure", "key_figure"]



def png_uri(fig: Any) -> str:
    """A matplotlib figure as a PNG ``data:`` URI (no metadata that changes between runs).

    Examples
    --------
    >>> png_uri(new_figure(1, 1))[:22]
    'data:image/png;base64,'
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=fig.dpi, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def new_figure(w: float, h: float, dpi: int = 90, layout: str | None = "constrained") -> Any:
    """A matplotlib Figure of `w` x `h` inches, without pyplot (no global state, no display).

    Examples
    --------
    >>> new_figure(2, 1).get_size_inches().tolist()
    [2.0, 1.0]
    """
    from matplotlib.figure import Figure

    return Figure(figsize=(w, h), dpi=dpi, layout=layout)


def _ink_segments(rec: Any) -> tuple[np.ndarray, np.ndarray]:
    pts = np.column_stack([rec.x, rec.y])
    keep = rec.pen_down[:-1] & rec.pen_down[1:]
    segs = np.stack([pts[:-1], pts[1:]], axis=1)[keep]
    p = np.asarray(rec.pressure, float)
    pm = 0.5 * (p[:-1] + p[1:])[keep]
    return segs, pm


def ink_figure(first: Any, latest: Any, labels: tuple[str, str]) -> str:
    """The ink of two recordings at the same scale, plain and coloured by pressure (PNG data URI).

    Examples
    --------
    >>> from penmotor import synth
    >>> ink_figure(synth.handwriting("ab", seed=1), synth.handwriting("ab", seed=2), ("first", "latest"))[:22]
    'data:image/png;base64,'
    """
    from matplotlib.collections import LineCollection

    recs = [first, latest]
    aspect = max(float(np.ptp(r.y[r.pen_down])) / max(float(np.ptp(r.x[r.pen_down])), 1e-6) for r in recs)
    panel_h = min(5.0, max(1.3, 4.8 * aspect))
    span_x = max(float(np.ptp(r.x[r.pen_down])) for r in recs)
    span_y = max(float(np.ptp(r.y[r.pen_down])) for r in recs)
    pad = 0.05 * max(span_x, span_y, 1.0)
    fig = new_figure(11, 2 * panel_h + 1.2)
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
    return png_uri(fig)


def trend_figure(vals: Any, summary: Any, family: str, t0: Any) -> str:
    """Small multiples of one family. x is weeks since the child's first session (cheap to draw).

    Examples
    --------
    >>> import pandas as pd
    >>> from penmotor.progress.trends import summarize
    >>> vals = pd.DataFrame({"child_id": "C1", "task": "sentence", "metric": "x_height", "unit": "mm",
    ...     "modality": "online", "value": [5.0, 4.6, 4.1, 3.8],
    ...     "date": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"])})
    >>> summary = summarize(vals)
    >>> trend_figure(vals, summary, "sizing", vals["date"].min().to_datetime64())[:22]
    'data:image/png;base64,'
    """
    keys = summary[summary["family"] == family][["task", "metric", "unit"]].drop_duplicates()
    n = len(keys)
    ncol = min(5, n)
    nrow = int(math.ceil(n / ncol))
    fig = new_figure(2.3 * ncol, 1.75 * nrow + 0.35, dpi=80, layout=None)
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
        colour = COLOURS.get(BADGES.get(row["verdict"], ("",))[0], "#222")
        ax.set_title(f"{k['metric']} ({k['task']}){unit}", fontsize=7, color=colour)
        ax.locator_params(nbins=4)
        ax.tick_params(labelsize=6, length=2, pad=1)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[max(0, n - ncol):n]:
        ax.set_xlabel("weeks since first session", fontsize=6)
    return png_uri(fig)


def spectrum_figure(first: Any, latest: Any, labels: tuple[str, str]) -> str | None:
    """The tremor spectra (:func:`penmotor.metrics.tremor.tremor_spectrum`) of two recordings; None without ink.

    Examples
    --------
    >>> from penmotor import synth
    >>> spectrum_figure(synth.tremor_spiral(seed=0), synth.tremor_spiral(seed=1), ("first", "latest"))[:22]
    'data:image/png;base64,'
    """
    fig = new_figure(7.5, 3.2)
    ax = fig.subplots()
    drawn = False
    for rec, lab, c in ((first, labels[0], "#999"), (latest, labels[1], "#1f4e9c")):
        spectrum = tremor_spectrum(rec)  # the tremor metrics' own spectrum
        if spectrum is not None and spectrum.f.size:
            f, p = spectrum.f, spectrum.psd
            sel = (f > 0) & (f <= 20)
            ax.semilogy(f[sel], p[sel], color=c, lw=1.6, label=lab)
            drawn = True
    if not drawn:
        return None
    ax.axvspan(4, 12, color="#f3d9b1", alpha=0.5, label="4-12 Hz tremor band")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("power (mm²/Hz)")
    ax.legend(fontsize=8)
    return png_uri(fig)


def page_figure(pages: list[tuple[np.ndarray, str]]) -> str:
    """Grey scanned pages side by side, each with its title (PNG data URI).

    Examples
    --------
    >>> page_figure([(np.full((50, 80), 255, np.uint8), "page 1")])[:22]
    'data:image/png;base64,'
    """
    aspect = max(img.shape[0] / max(img.shape[1], 1) for img, _ in pages)
    fig = new_figure(5.5 * len(pages), min(8.0, 5.5 * aspect + 0.5))
    axes = np.atleast_1d(fig.subplots(1, len(pages), squeeze=False)).ravel()
    for ax, (img, lab) in zip(axes, pages):
        ax.imshow(img, cmap="gray", vmin=0, vmax=255)
        ax.set_title(lab, fontsize=10)
        ax.axis("off")
    return png_uri(fig)


def key_figure(vals: Any, ks: Any, t0: Any) -> str:
    """Small multiples of the key measures: every recording (dots), per-date means (line),
    scans (orange squares), Theil-Sen trend (dashed); title coloured and marked by verdict.

    Examples
    --------
    >>> import pandas as pd
    >>> from penmotor.progress.trends import summarize
    >>> vals = pd.DataFrame({"child_id": "C1", "task": "sentence", "metric": "x_height", "unit": "mm",
    ...     "modality": "online", "value": [5.0, 4.6, 4.1, 3.8],
    ...     "date": pd.to_datetime(["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"])})
    >>> summary = summarize(vals)
    >>> from penmotor.progress.report.summary import key_summary
    >>> key_figure(vals, key_summary(summary), vals["date"].min().to_datetime64())[:22]
    'data:image/png;base64,'
    """
    n = len(ks)
    ncol = min(5, n)
    nrow = int(math.ceil(n / ncol))
    fig = new_figure(12.0, 2.3 * nrow + 0.2, dpi=90)
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
        cls, sym, text = BADGES.get(r.verdict, ("none", "", r.verdict))
        colour = COLOURS[cls]
        ax.plot(w[~scan], y[~scan], "o", color=colour, ms=2.5, alpha=0.45)
        if scan.any():
            ax.plot(w[scan], y[scan], "s", color="#e69f00", mec="#444", mew=0.5, ms=4.5)
        m = dated_means(vals, r.task, r.metric)
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
    return png_uri(fig)
