"""The bundled demo (``penmotor demo`` / ``make demo``).

The sample data are generated at demo time, deterministically, from :mod:`penmotor.synth`
(seeded) instead of shipping binary files: one synthetic child (``C001``) improving over
six weekly tablet sessions -- in each session the child copies the same sentence and draws the
spiral **twice** (two independent draws of the same session state, so the store can
estimate the test-retest SD from within-session repeats) -- plus one paper worksheet a
week after the last session: a recording rendered as a 300 dpi page with
:func:`penmotor.render` and scored as a scan.

The recordings are written as files (native ``.pmr`` when available, else InkML) and
ingested exactly as ``penmotor add`` would, then the HTML report is written.
"""

from __future__ import annotations

import datetime as _dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PenmotorError
from .ingest import IngestResult
from .store import Store

__all__ = ["run_demo", "DemoResult", "DEMO_CHILD", "DEMO_TEXT"]

#: The demo child's pseudonymous id.
DEMO_CHILD = "C001"
#: The sentence the demo child copies in every session (the same text keeps sessions comparable).
DEMO_TEXT = "the quick brown fox jumps"


@dataclass
class DemoResult:
    """What :func:`run_demo` produced.

    Attributes
    ----------
    report : Path
        The HTML report.
    store : Path
        The SQLite store built for the demo.
    summary : list of str
        Three plain-language lines about the key measures (improved / worse / the rest), from
        :func:`~penmotor.progress.report.headline`.
    results : list of IngestResult
    seconds : float
        Wall time.
    """

    report: Path
    store: Path
    summary: list[str]
    results: list[IngestResult] = field(default_factory=list)
    seconds: float = 0.0


def _write_recording(rec: Any, base: Path) -> Path:
    """Write with the native format when its writer exists, else InkML."""
    from ..io import write

    last: Exception | None = None
    for ext in (".pmr", ".inkml"):
        p = base.with_suffix(ext)
        try:
            write(rec, p)
            return p
        except PenmotorError as exc:
            last = exc
            if p.exists():
                p.unlink()
    raise PenmotorError(f"demo: no writer available for recordings ({last})")


def _write_png(page: Any, path: Path, dpi: float) -> Path:
    from PIL import Image

    Image.fromarray(page).save(path, dpi=(dpi, dpi))
    return path


def run_demo(out_dir: str | os.PathLike[str] = "demo-out", *, n_sessions: int = 6, seed: int = 0,
             repeats: int = 2, scan: bool = True, verbose: bool = False) -> DemoResult:
    """Build the demo store from synthetic sessions and write ``report.html``.

    Parameters
    ----------
    out_dir : path
        Folder for ``data/`` (the generated files), ``demo.db`` and ``report.html``;
        created if missing. An earlier demo store there is replaced.
    n_sessions : int
        Weekly tablet sessions.
    seed : int
        Seed of the first repeat (repeat k uses ``seed + k``).
    repeats : int
        Recordings of each task per session (>= 2 lets the store estimate the test-retest SD).
    scan : bool
        Also render and score one scanned worksheet.
    verbose : bool
        Print each ingested file.

    Returns
    -------
    DemoResult

    Examples
    --------
    >>> import tempfile
    >>> res = run_demo(tempfile.mkdtemp(), n_sessions=3, repeats=1, scan=False)  # doctest: +SKIP
    >>> res.report.name  # doctest: +SKIP
    'report.html'
    """
    from .. import synth
    from .report import build_report, headline
    from .trends import summarize

    t0 = time.perf_counter()
    out = Path(out_dir)
    data = out / "data"
    data.mkdir(parents=True, exist_ok=True)
    for old in data.iterdir():
        if old.is_file():
            old.unlink()
    db = out / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(db) + suffix)
        if p.exists():
            p.unlink()
    files: list[Path] = []
    for k in range(max(1, repeats)):
        recs = synth.child_sessions(n_sessions, child=DEMO_CHILD, seed=seed + k, text=DEMO_TEXT)
        for rec in recs:
            m = rec.meta
            files.append(_write_recording(rec, data / f"{m['task']}_s{int(m['session']):02d}_r{k + 1}"))
    results: list[IngestResult] = []

    def note(r: IngestResult) -> None:
        if verbose:
            print(f"  {r.status:9s} {r.path} {r.message if r.status == 'error' else ''}")

    with Store(db) as store:
        results += store.ingest(DEMO_CHILD, sorted(files), on_result=note)
        if scan:
            from ..synth import render

            last = synth.child_sessions(n_sessions, child=DEMO_CHILD, seed=seed + 100, text=DEMO_TEXT)[-2]
            page = render(last, dpi=300)
            date = _dt.date.fromisoformat(last.meta["date"]) + _dt.timedelta(weeks=1)
            png = _write_png(page, data / "worksheet_sentence.png", 300.0)
            results += store.ingest(DEMO_CHILD, [png], date=date, task=str(last.meta["task"]), dpi=300.0,
                                    on_result=note, prompt=DEMO_TEXT)
        values = store.values(DEMO_CHILD)
        summarized = summarize(values)  # once, for the report and the headline
        report = build_report(store, DEMO_CHILD, out / "report.html", summary=summarized, values=values)
        summary = headline(summarized)
    return DemoResult(report.resolve(), db.resolve(), summary, results, time.perf_counter() - t0)
