"""Run every benchmark in turn (``make bench``); each prints its figures and ratios.

The BDALab comparison needs its own virtual environment (see the top of
``features_vs_bdalab.py``); it is skipped with a note when that environment is absent.
Usage: ``python benchmarks/run_all.py [--quick]``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BDALAB_PY = Path(os.environ.get("BDALAB_PYTHON", "/tmp/bdalab-venv/bin/python"))


def main(argv: list[str] | None = None) -> int:
    quick = "--quick" in (argv if argv is not None else sys.argv[1:])
    runs: list[list[str]] = [
        ["read_throughput.py"],
        ["features_vs_bdalab.py", "--bdalab-python", str(BDALAB_PY)],
        ["validity.py", "--uci"],
        ["capture_decode.py"] + (["--quick"] if quick else []),
        ["scan_throughput.py"] + (["--pages", "3"] if quick else []),
        ["scan_accuracy.py"] + (["--trials", "8"] if quick else []),
        ["scan_vs_online.py"],
        ["report_speed.py"] + (["--repeat", "1"] if quick else []),
    ]
    failed = 0
    for args in runs:
        print(f"\n===== {' '.join(args)} =====", flush=True)
        rc = subprocess.call([sys.executable, str(HERE / args[0]), *args[1:]], cwd=HERE.parent)
        failed += rc != 0
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
