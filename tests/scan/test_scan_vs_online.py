"""Online vs scan agreement on the same ink (real PaHaW recordings rendered as pages).

The same comparison as ``benchmarks/scan_vs_online.py``: every word and sentence task of the
PaHaW sample (80 recordings, about 3 s).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import scan_vs_online  # noqa: E402


@pytest.fixture(scope="module")
def rows(shared_data):
    import penmotor
    from penmotor.errors import PenmotorError

    files = sorted((shared_data / "pahaw").rglob("*.svc"))
    if not files:
        pytest.skip("no PaHaW recordings in shared data")
    try:
        penmotor.read(files[0], columns="pahaw", device="pahaw")
    except (PenmotorError, TypeError) as exc:
        pytest.skip(f"the io preset columns='pahaw', device='pahaw' is not available: {exc}")
    return scan_vs_online.compare(files, dpi=300, verbose=False)


def test_word_spacing_agrees_within_5_percent(rows):
    s = scan_vs_online.summary(rows)["word_spacing"]
    assert s["n"] >= 8
    assert s["median_abs_pct"] < 5.0


def test_x_height_and_slant_agree(rows):
    # measured: x-height 6.3 % (the scan's own estimator before the centre line was traced
    # and fed to the online one: 15.2 %; then 6.5 %, and 5.7 % with detours bounded and
    # repaired), slant 3.8 deg. One render is one draw of the pixel grid (the same ink 1/3
    # pixel away: 9.2 % both before and after the last changes); see the pooled test below
    s = scan_vs_online.summary(rows)
    assert s["x_height"]["n"] >= 70 and s["x_height"]["median_abs_pct"] < 7.0
    assert abs(s["x_height"]["median_signed_pct"]) < 5.0
    assert s["slant"]["median_abs"] < 4.0


def test_x_height_pooled_over_sub_pixel_offsets(shared_data, rows):
    # the figure changes are judged by: three renders moved by 0, 1/3, 2/3 pixel, pooled
    # (measured 6.8 %; each render alone 6.3, 9.2, 5.9 %; before the fork, tip and detour
    # changes of the trace 6.7 %: 5.7, 9.2, 6.9 %)
    files = sorted((shared_data / "pahaw").rglob("*.svc"))
    pooled = rows + [r for k in (1, 2) for r in scan_vs_online.compare(files, dpi=300, offset_px=k / 3, verbose=False)]
    s = scan_vs_online.summary(pooled)["x_height"]
    assert s["n"] >= 210 and s["median_abs_pct"] < 7.5
