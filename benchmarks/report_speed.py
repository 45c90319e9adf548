"""Report speed: ``penmotor report`` on the demo store vs computing the features of the same recordings.

Builds the demo store (``penmotor.progress.demo.run_demo``: one child, six weekly sessions,
a sentence and a spiral twice each, one scanned worksheet) in a temporary folder, then in
the same run times

* **features** -- the baseline: :func:`penmotor.features` of every tablet recording stored
  for the child (their ink decoded from the store), in this process;
* **report (in process)** -- :func:`penmotor.progress.report.build_report` with warm imports;
* **report (command)** -- ``penmotor report C001`` as a fresh process: what a user waits
  for, imports included (wall time, and its CPU time, which a loaded machine inflates less);

and prints seconds for each and the ratios report / features (the report should cost a
fraction of the work it summarises). With ``--scale`` it also builds stores with 2x and 4x
the sessions and prints the in-process report time per session (linear = flat).

Usage::

    python benchmarks/report_speed.py [--repeat 3] [--scale]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _median_time(fn, repeat: int) -> float:
    ts = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (median)")
    ap.add_argument("--scale", action="store_true", help="also 2x and 4x the sessions (linear in sessions?)")
    args = ap.parse_args(argv)

    import penmotor
    from penmotor.progress.demo import DEMO_CHILD, run_demo
    from penmotor.progress.report import build_report
    from penmotor.progress.store import open_store

    tmp = Path(tempfile.mkdtemp(prefix="penmotor-report-bench-"))
    res = run_demo(tmp / "demo")
    out = tmp / "r.html"
    with open_store(res.store, must_exist=True) as store:
        sess = store.sessions(DEMO_CHILD)
        sids = [int(s) for s in sess.loc[sess["modality"] == "online", "session_id"]]
        n_samples = sum(len(store.ink(s)) for s in sids)
        # fresh Recordings each run: features cache their intermediates on the recording
        t_feat = _median_time(lambda: [penmotor.features(store.ink(s)) for s in sids], args.repeat)
        build_report(store, DEMO_CHILD, out)  # warm the imports
        t_rep = _median_time(lambda: build_report(store, DEMO_CHILD, out), args.repeat)
    env = dict(os.environ)
    cmd = [sys.executable, "-m", "penmotor.cli", "report", DEMO_CHILD, "--store", str(res.store), "--out", str(out)]
    cpu = []

    def command() -> None:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if done.returncode:
            raise SystemExit(f"penmotor report failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)

    t_cmd = _median_time(command, args.repeat)
    c_cmd = statistics.median(cpu)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"demo store: {len(sess)} sessions ({len(sids)} tablet recordings, {n_samples:,} samples); "
          f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"features of the same recordings : {t_feat:6.2f} s")
    print(f"report, in process              : {t_rep:6.2f} s  ({t_rep / t_feat:.2f} x features)")
    print(f"`penmotor report`, fresh process: {t_cmd:6.2f} s wall, {c_cmd:.2f} s CPU "
          f"({t_cmd / t_feat:.2f} x / {c_cmd / t_feat:.2f} x features)")
    print(f"report size: {out.stat().st_size / 1024:.0f} KiB")
    if args.scale:
        for k in (2, 4):
            r = run_demo(tmp / f"demo{k}", n_sessions=6 * k, scan=True)
            with open_store(r.store, must_exist=True) as store:
                n = len(store.sessions(DEMO_CHILD))
                build_report(store, DEMO_CHILD, out)
                t = _median_time(lambda: build_report(store, DEMO_CHILD, out), args.repeat)
            print(f"{k}x sessions ({n}): report {t:.2f} s, {1000 * t / n:.1f} ms per session "
                  f"(1x: {1000 * t_rep / len(sess):.1f} ms per session)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
