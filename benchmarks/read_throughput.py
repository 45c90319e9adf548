"""Reader throughput on the PaHaW files, against a plain ``np.loadtxt`` measured in the same run.

Usage: ``python benchmarks/read_throughput.py [path/to/pahaw] [--repeat N]``

Prints samples/s for ``penmotor.read`` on every PaHaW ``.svc`` file (parse + checks +
units + time-stamp policy), for the baseline that only parses the numbers
(``np.loadtxt(f, skiprows=1)``), and their ratio; then the same recordings written as
native ``.pmr`` and as InkML and read back. Best of N runs (default 5).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

import penmotor
from _timing import best_of


def main(argv: list[str] | None = None) -> int:
    root = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pahaw", nargs="?", default=os.environ.get(
        "PENMOTOR_PAHAW", str(root.parent / "shared" / "data" / "pahaw")))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    files = sorted(Path(args.pahaw).glob("*/*.svc"))
    if not files:
        print(f"no PaHaW .svc files under {args.pahaw}", file=sys.stderr)
        return 1
    recs = [penmotor.read(f) for f in files]
    n = sum(len(r) + r.timing.duplicates_merged for r in recs)
    print(f"{len(files)} PaHaW files, {n} samples, best of {args.repeat}")

    t_base = best_of(lambda: [np.loadtxt(f, skiprows=1) for f in files], args.repeat)
    t_svc = best_of(lambda: [penmotor.read(f) for f in files], args.repeat)
    rows = [("np.loadtxt (baseline, parse only)", t_base), ("penmotor.read  .svc", t_svc)]
    with tempfile.TemporaryDirectory() as d:
        pmr = [Path(d) / f"{i}.pmr" for i in range(len(recs))]
        ink = [Path(d) / f"{i}.inkml" for i in range(len(recs))]
        for r, a, b in zip(recs, pmr, ink):
            penmotor.write(r, a)
            penmotor.write(r, b)
        rows.append(("penmotor.read  .pmr (native)", best_of(lambda: [penmotor.read(f) for f in pmr], args.repeat)))
        rows.append(("penmotor.read  .inkml", best_of(lambda: [penmotor.read(f) for f in ink], args.repeat)))
    print(f"{'reader':38s} {'samples/s':>12s} {'vs loadtxt':>11s}")
    for name, t in rows:
        print(f"{name:38s} {n / t:12,.0f} {t_base / t:10.2f}x")

    # One long recording (all PaHaW rows, one after the other): per-file overhead vanishes.
    tables = [np.loadtxt(f, skiprows=1, ndmin=2) for f in files]
    offset = np.cumsum([0.0] + [tb[:, 2].max() - tb[0, 2] + 10 for tb in tables[:-1]])
    big = np.vstack([tb - [0, 0, tb[0, 2] - o, 0, 0, 0, 0] for tb, o in zip(tables, offset)])
    with tempfile.TemporaryDirectory() as d:
        svc = Path(d) / "long.svc"
        np.savetxt(svc, big, fmt="%d", header=str(len(big)), comments="")
        rec = penmotor.read(svc, columns="pahaw", device="pahaw")
        penmotor.write(rec, Path(d) / "long.pmr")
        m = len(big)
        t_b = best_of(lambda: np.loadtxt(svc, skiprows=1), args.repeat)
        long_rows = [("np.loadtxt (baseline)", t_b),
                     ("penmotor.read  .svc", best_of(lambda: penmotor.read(svc, columns="pahaw", device="pahaw"),
                                                   args.repeat)),
                     ("penmotor.read  .pmr (native)", best_of(lambda: penmotor.read(Path(d) / "long.pmr"),
                                                            args.repeat))]
    print(f"\none long recording of {m} samples")
    for name, t in long_rows:
        print(f"{name:38s} {m / t:12,.0f} {t_b / t:10.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
