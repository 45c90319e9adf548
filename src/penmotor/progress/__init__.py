"""Progress tracking: the session store, trends and reliable change, norms and the HTML report.

* :class:`~penmotor.progress.store.Store` -- children (pseudonymous ids), sessions and
  metric values on SQLite (default ``./penmotor.db``) or PostgreSQL;
* :func:`~penmotor.progress.trends.summarize` -- per child and metric: Theil-Sen slope per
  month and the Jacobson-Truax reliable change index, in plain words;
* :func:`~penmotor.progress.norms.load_norms` / :func:`~penmotor.progress.norms.z_scores` --
  user-supplied norm tables (penmotor ships none);
* :func:`~penmotor.progress.report.build_report` -- a self-contained offline HTML report that
  opens with the :data:`~penmotor.progress.report.KEY_MEASURES` "at a glance";
  :func:`~penmotor.progress.report.headline` -- the same in three lines of words;
* :func:`~penmotor.progress.demo.run_demo` -- the bundled demo (``penmotor demo``).

Matplotlib loads only when a report is built.

Examples
--------
>>> import tempfile
>>> from penmotor.progress import Store
>>> store = Store(tempfile.mkdtemp() + "/p.db")
>>> store.children()
[]
"""

from __future__ import annotations

from typing import Any

from .ingest import IngestResult
from .store import Store, open_store
from .trends import reliable_change_index, summarize, theil_sen_trend, within_session_sd

__all__ = [
    "Store",
    "IngestResult",
    "open_store",
    "summarize",
    "theil_sen_trend",
    "reliable_change_index",
    "within_session_sd",
    "load_norms",
    "z_scores",
    "build_report",
    "headline",
    "key_summary",
    "KEY_MEASURES",
    "run_demo",
]


def __getattr__(name: str) -> Any:
    if name in ("load_norms", "z_scores"):
        from . import norms

        return getattr(norms, name)
    if name in ("build_report", "headline", "key_summary", "KEY_MEASURES"):
        from . import report

        return getattr(report, name)
    if name == "run_demo":
        from .demo import run_demo

        return run_demo
    raise AttributeError(f"module 'penmotor.progress' has no attribute {name!r}")
