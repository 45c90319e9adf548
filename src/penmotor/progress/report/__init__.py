"""The progress report of one child: words (:mod:`.summary`), figures (:mod:`.figures`), the page (:mod:`.html`).

:func:`build_report` writes one self-contained, offline ``.html`` file (see :mod:`.html`).

Examples
--------
>>> from penmotor.progress.report import KEY_MEASURES
>>> KEY_MEASURES[0].metric
'x_height'
"""

from __future__ import annotations

from .html import CSP, build_report, report_html
from .summary import KEY_MEASURES, KEY_METRICS, KeyMeasure, headline, key_summary

__all__ = ["build_report", "report_html", "CSP", "headline", "key_summary", "KeyMeasure", "KEY_MEASURES", "KEY_METRICS"]
