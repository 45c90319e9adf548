"""Scan accuracy on rendered synthetic ink with known truth, over random scanning conditions.

Each trial: ``synth.handwriting`` (x-height 2.5-5 mm, slant +-20 deg) drawn by ``penmotor.render``
at 200/300/400/600 dpi on ruled paper (baseline and two guide lines), rotated +-5 deg, with grey
noise (SD 6) and uneven light (40 %); scored by ``penmotor.scan.score_page``. Prints the mean,
SD and worst error of x-height (%), word spacing (%) and slant (deg) against the truth, and
the trials outside the issue's targets (5 %, 10 %, 3 deg).

Usage::

    python benchmarks/scan_accuracy.py [--trials 30] [--seed 0] [--no-rules]
"""

from __future__ import annotations

import argparse

import numpy as np

TEXT = "the quick brown fox jumps over the lazy dog"


def main(argv: list[str] | None = None) -> int:
    from penmotor import synth
    from penmotor.scan import score_page
    from penmotor.synth import degrade, render

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-rules", action="store_true")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    errs = []
    for _ in range(args.trials):
        dpi = int(rng.choice([200, 300, 400, 600]))
        rot, slant, xh = rng.uniform(-5, 5), rng.uniform(-20, 20), rng.uniform(2.5, 5.0)
        seed = int(rng.integers(10_000))
        rec = synth.handwriting(TEXT, x_height_mm=xh, slant_deg=slant, seed=seed)
        truth = rec.meta["truth"]
        rules = None if args.no_rules else [100.0, 100.0 + 2.5 * xh, 100.0 - 2.5 * xh]
        img = degrade(render(rec, dpi=dpi, rules_mm=rules), rotate_deg=rot, noise_sd=6.0, uneven_light=0.4,
                      seed=seed)
        m = score_page(img, dpi=dpi)
        e = (100 * (m["x_height"] / truth["x_height"] - 1), 100 * (m["word_spacing"] / truth["word_spacing"] - 1),
             m["slant"] - truth["slant"])
        errs.append(e)
        if abs(e[0]) > 5 or abs(e[1]) > 10 or abs(e[2]) > 3:
            print(f"outside target: dpi {dpi} rot {rot:+.1f} slant {slant:+.1f} xh {xh:.2f} seed {seed}: "
                  f"x-height {e[0]:+.1f} %, word spacing {e[1]:+.1f} %, slant {e[2]:+.2f} deg")
    E = np.array(errs)
    for i, (name, unit, target) in enumerate((("x_height", "%", 5), ("word_spacing", "%", 10), ("slant", "deg", 3))):
        col = E[:, i]
        print(f"{name:13s} error mean {np.nanmean(col):+6.2f} {unit}, SD {np.nanstd(col):5.2f}, worst "
              f"{np.nanmax(np.abs(col)):5.2f} {unit}; within target ({target} {unit}): "
              f"{int(np.sum(np.abs(col) <= target))}/{len(col)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
