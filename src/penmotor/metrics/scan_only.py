"""Metrics that exist only for scanned worksheets: declared here, computed by :mod:`penmotor.scan`.

A scanned page has no time, pressure or pen lifts, but it has ink: these features
describe the ink and the page. They are registered (name, unit, meaning, direction)
here, next to the online families, so that :data:`penmotor.FEATURES` is complete
without importing the scan pipeline; :func:`penmotor.scan.metrics.page_metrics` and
:func:`penmotor.scan.analyze_page` compute them. Metrics that mean the same online and
on paper (``x_height``, ``word_spacing``, ...) are registered once by their online
family with ``scan=True``.

Examples
--------
>>> from penmotor import FEATURES
>>> FEATURES["stroke_width"].modalities, FEATURES["stroke_width"].unit
(frozenset({'scan'}), 'mm')
"""

from __future__ import annotations

from ..registry import register_feature

__all__ = ["SCAN_ONLY"]

#: Family name of the scan-only features in the registry.
FAMILY = "scan"
#: Scan-only metrics: name -> (unit, better, description).
SCAN_ONLY: dict[str, tuple[str, str | None, str]] = {
    "stroke_width": ("mm", None, "Ink stroke width: twice the distance transform on the centre line "
                     "(scan only; pen and paper dependent)."),
    "ink_darkness": ("1", None, "Share of light the ink absorbs on its centre line, relative to the local "
                     "paper (0 = invisible, 1 = black); a pressure proxy on paper (scan only)."),
    "minnesota_baseline_share": ("1", "lower", "Share of letters whose bottom is more than 1/16 inch "
                                 "(1.59 mm) off the ruled line, or off the fitted baseline when the "
                                 "page is unruled (Minnesota rule; scan only)."),
    "ruled_line_spacing": ("mm", None, "Median distance between printed ruled lines: a check of the "
                           "scale (scan only)."),
}

#: Plain-language labels of the scan-only metrics (plots and tables).
LABELS = {"stroke_width": "Line thickness", "ink_darkness": "Ink darkness", "left_margin_drift": "Left margin drift",
          "minnesota_baseline_share": "Letters off the line", "ruled_line_spacing": "Ruled line spacing"}

for _name, (_unit, _better, _desc) in SCAN_ONLY.items():
    register_feature(_name, unit=_unit, description=_desc, family=FAMILY, better=_better, modalities=("scan",),
                     label=LABELS[_name])
