"""Scanned worksheets: image -> ink -> the same sizing/spacing metrics as online recordings.

The pipeline is a chain of small functions, each callable and inspectable on its own:

1. :func:`penmotor.scan.io.load_pages` -- grey pages (PNG, JPEG, TIFF incl. multi-page, PDF)
   with their dpi (from the file's metadata or ``dpi=``; never guessed);
2. :func:`penmotor.scan.binarize.binarize` -- Otsu or box-filter Sauvola ink mask;
3. :func:`penmotor.scan.deskew.estimate_skew` / :func:`~penmotor.scan.deskew.rotate`;
4. :func:`penmotor.scan.lines.detect_ruled_lines` / :func:`~penmotor.scan.lines.remove_ruled_lines`;
5. :func:`penmotor.scan.segment.segment_page` -- text lines, words, components, skeleton;
6. :func:`penmotor.scan.trace.centre_line_paths` -- each text line's centre line traced into
   pen-like paths (mm, no timing), measured by the online letter-size estimator itself
   (:func:`penmotor.letters.sizing_from_paths`, behind the online ``x_height``,
   ``ascender_height``, ``descender_height``, ``size_cv`` and ``baseline_deviation``), so
   paper and tablet share one estimator;
7. :func:`penmotor.scan.metrics.page_metrics` -- the registered metrics.

:func:`analyze_page` runs them all and keeps every intermediate; :func:`score_page` returns
only the metrics. Heavy libraries (OpenCV, scikit-image) load on first use, so importing
this package (which :data:`penmotor.FEATURES` does) stays cheap.

Examples
--------
>>> import numpy as np
>>> from penmotor import scan
>>> page = np.full((200, 300), 255, np.uint8)
>>> page[100:104, 40:260] = 0          # one dark bar
>>> m = scan.score_page(page, dpi=200)
>>> round(m["stroke_width"], 2)   # 4 px at 200 dpi = 0.51 mm; -0.5 px bias on even widths
0.44
"""

from __future__ import annotations

import sys
from typing import Any

from ..synth import pages as _pages
from ..synth.pages import render

# Simulated pages moved to penmotor.synth.pages. Kept for existing code: the function
# ``penmotor.scan.render`` and the old module path (``from penmotor.scan.render import degrade``).
sys.modules.setdefault(f"{__name__}.render", _pages)

__all__ = ["analyze_page", "score_page", "load_pages", "render", "scan_files", "PageAnalysis", "Page"]

_LAZY = {
    "analyze_page": ("pipeline", "analyze_page"),
    "score_page": ("pipeline", "score_page"),
    "PageAnalysis": ("pipeline", "PageAnalysis"),
    "load_pages": ("io", "load_pages"),
    "Page": ("io", "Page"),
    "scan_files": ("batch", "scan_files"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        mod, attr = _LAZY[name]
        return getattr(importlib.import_module(f"{__name__}.{mod}"), attr)
    raise AttributeError(f"module 'penmotor.scan' has no attribute {name!r}")
