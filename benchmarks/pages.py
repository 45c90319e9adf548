#!/usr/bin/env python
"""Multi-line pages: line count, per-line x-height and NaN rates of sizing/spacing, against known truth.

Usage::

    .venv/bin/python benchmarks/pages.py [--pages 40] [--data ../shared/data/pahaw]

Two kinds of page, both with a known answer for every line:

* **synthetic** (:func:`penmotor.synth.page`): 6-10 lines of synthetic print,
  descenders reaching into the next line's ascenders, drifting lines, dots and
  cross-bars written at the end of the line or of the page, lines written in bursts,
  out-of-range line returns. Truth per line: the generator's.
* **PaHaW stacked** (:func:`penmotor.synth.stack_lines`): each subject's
  single-line word and sentence tasks (6-14, one line each) stacked 11.7 mm apart (the
  template's printed lines), the left edge drifting, out-of-range line returns of
  0.5-1.2 s; once as they are, once with each line tilted by up to 1 degree. Truth per line: the value
  penmotor measures on the original one-line recording.

Prints the share of pages with the exact line count, the per-line x-height errors
(when :func:`penmotor.metrics.sizing.line_sizings` exists), and the NaN rate of every
sizing / spacing / lines metric over the pages.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import penmotor  # noqa: E402
from penmotor.synth import page, stack_lines  # noqa: E402

FAMILIES = ("sizing", "spacing", "lines")


def pahaw_pages(folder: Path, seed: int = 0, tilt_deg: float = 0.0) -> list[penmotor.Recording]:
    """One page per PaHaW subject: up to 10 of its one-line tasks 6-14 stacked as a child writes a page.

    With `tilt_deg`, each line is also rotated by up to that angle (uniform): the
    estimator's own sensitivity to a rotation then adds to the line split's errors.
    """
    from penmotor.segment import lines

    rng = np.random.default_rng(seed)
    out = []
    for subj in sorted(p for p in folder.iterdir() if p.is_dir()):
        recs = []
        for f in sorted(subj.glob("*.svc"), key=lambda p: (int(p.stem.split(".")[-1].split("_")[0]), p.name)):
            task = int(f.stem.split(".")[-1].split("_")[0])
            if task < 6:
                continue
            r = penmotor.read(f)
            if r.n_strokes == 0 or int(lines(r).max()) > 0:  # one-line originals only
                continue
            recs.append(r)
        recs = recs[:10]
        if len(recs) < 2:
            continue
        truths = []
        for r in recs:
            f = penmotor.features(r, families=("sizing", "spacing"))
            truths.append({k: float(v) for k, v in f.items()})
        n = len(recs)
        pg = stack_lines(recs, line_spacing_mm=11.7, angles_deg=rng.uniform(-tilt_deg, tilt_deg, n),
                         left_mm=20 + 0.6 * np.arange(n) + rng.normal(0, 0.5, n),
                         return_s=rng.uniform(0.5, 1.2, n), truths=truths, meta={"subject": subj.name})
        out.append(pg)
    return out


def evaluate(pages: list[penmotor.Recording], label: str) -> None:
    from penmotor.segment import lines

    try:
        from penmotor.metrics.sizing import line_sizings
    except ImportError:  # before per-line sizing
        line_sizings = None
    names = [k for k, v in penmotor.FEATURES.items() if v.family in FAMILIES and "online" in v.modalities]
    nan = {k: 0 for k in names}
    exact = 0
    errs = []
    page_err = []
    for pg in pages:
        truth = pg.meta["truth"]
        lab = lines(pg)
        n_found = int(lab.max()) + 1
        exact += n_found == truth["n_lines"]
        f = penmotor.features(pg, families=[fm for fm in FAMILIES if fm in penmotor.FEATURES.families()])
        for k in names:
            nan[k] += not np.isfinite(f.get(k, math.nan))
        page_err.append(f["x_height"] / truth["x_height"] - 1)
        if line_sizings is not None and n_found == truth["n_lines"]:
            xs = np.array([s.x_height for s in line_sizings(pg)])
            tx = np.array([ln["x_height"] for ln in pg.meta["lines"]])
            errs.append(xs / tx - 1)
    n = len(pages)
    print(f"\n## {label}: {n} pages, {sum(p.meta['truth']['n_lines'] for p in pages)} lines")
    wrong = sum(int(np.sum(lines(pg) != pg.meta["line_of_stroke"])) for pg in pages)
    total = sum(pg.n_strokes for pg in pages)
    print(f"exact line count: {exact}/{n}; strokes on the wrong line: {wrong} of {total}")
    pe = np.abs(np.array(page_err))
    print(f"page x_height vs median line truth: |error| median {np.nanmedian(pe) * 100:.1f} %, "
          f"max {np.nanmax(pe) * 100 if np.isfinite(pe).any() else math.nan:.1f} %, NaN {np.isnan(pe).sum()}")
    if errs:
        e = np.abs(np.concatenate(errs))
        print(f"per-line x_height |error|: median {np.nanmedian(e) * 100:.2f} %, p95 {np.nanpercentile(e, 95) * 100:.2f} %, "
              f"max {np.nanmax(e) * 100:.2f} %, within 3 %: {np.mean(e <= 0.03) * 100:.1f} % of {e.size} lines, "
              f"NaN {np.isnan(e).sum()}")
    print("NaN share per metric: " + ", ".join(f"{k} {nan[k] / n * 100:.0f}%" for k in names))
    tot = sum(nan.values()) / (n * len(names))
    print(f"NaN share over all sizing/spacing/lines metrics: {tot * 100:.1f} %")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=40)
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data" / "pahaw"))
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    synth_pages = [page(n_lines=6 + s % 5, seed=s) for s in range(args.pages)]
    evaluate(synth_pages, "synthetic pages")
    if Path(args.data).is_dir():
        evaluate(pahaw_pages(Path(args.data)), "PaHaW stacked pages")
        evaluate(pahaw_pages(Path(args.data), tilt_deg=1.0), "PaHaW stacked pages, lines tilted by up to 1 degree")


if __name__ == "__main__":
    main()
