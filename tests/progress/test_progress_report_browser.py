"""Open the report in headless Chromium (no network) and check the screenshot is a real page."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from penmotor.progress.report import build_report
from penmotor.progress.store import Store

pytestmark = pytest.mark.browser

EXTERNAL = re.compile(r"(?:https?|ftp|wss?)://|(?:src|href)\s*=\s*[\"']?//|@import|<script|<link|<iframe", re.I)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    import penmotor

    d = tmp_path_factory.mktemp("browser")
    store = Store(d / "s.db")
    for rec in penmotor.synth.child_sessions(3, child="C042", seed=5):
        store.add_recording("C042", rec)
    out = build_report(store, "C042", d / "report.html")
    return out, Path(store.engine.url.database)


def _screenshot(exe: str, page: Path, out: Path, tmp: Path) -> np.ndarray:
    from PIL import Image

    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={tmp / 'profile'}", f"--screenshot={out}", "--window-size=1200,2000",
           page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp)
    assert out.is_file(), f"chromium wrote no screenshot (rc {proc.returncode}): {proc.stderr[-2000:]}"
    return np.asarray(Image.open(out).convert("RGB"))


def test_report_renders_in_headless_chromium(chromium: str, report: tuple[Path, Path], tmp_path: Path) -> None:
    page, _ = report
    img = _screenshot(chromium, page, tmp_path / "shot.png", tmp_path)
    assert img.shape[:2] == (2000, 1200)
    grey = img.mean(axis=2)
    assert grey.std() > 10.0                       # not a blank page
    assert (grey < 128).mean() > 0.005             # text and ink drawn
    rows_with_ink = ((grey < 200).sum(axis=1) > 5).mean()
    assert rows_with_ink > 0.2                     # content down the page, not one line


def test_blank_page_is_detected_as_blank(chromium: str, tmp_path: Path) -> None:
    """The non-blank check above can fail: an empty page gives a flat screenshot."""
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><html><body></body></html>")
    grey = _screenshot(chromium, blank, tmp_path / "blank.png", tmp_path).mean(axis=2)
    assert grey.std() < 1.0


def test_report_has_no_external_urls(report: tuple[Path, Path]) -> None:
    text = report[0].read_text(encoding="utf-8")
    assert EXTERNAL.search(text) is None
    assert all(s.startswith("data:") for s in re.findall(r'src="([^"]*)"', text))


def test_rendered_table_equals_the_store(chromium: str, report: tuple[Path, Path], tmp_path: Path) -> None:
    """The DOM Chromium renders holds exactly the stored values (checked cell by cell)."""
    import html

    page, db = report
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.resolve().as_uri()]
    dom = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path).stdout
    cells = re.findall(r'data-session="(\d+)" data-metric="([^"]+)" data-value="([^"]+)">([^<]*)<', dom)
    assert len(cells) > 50
    with Store(db) as s:
        vals = s.values("C042")
    stored = {(int(r.session_id), r.metric): r.value for r in vals.itertuples()}
    for sid, metric, value, shown in cells:
        v = stored[(int(sid), html.unescape(metric))]
        if np.isfinite(v):
            assert float(value) == v
            assert float(shown) == pytest.approx(v, rel=5e-3, abs=1e-3 * max(1.0, abs(v)))


def _pdf_text(exe: str, page: Path, out: Path, tmp: Path) -> str:
    import pypdfium2 as pdfium

    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
           f"--user-data-dir={tmp / 'profile'}", "--no-pdf-header-footer", f"--print-to-pdf={out}",
           page.resolve().as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp)
    assert out.is_file(), f"chromium wrote no PDF (rc {proc.returncode}): {proc.stderr[-2000:]}"
    pdf = pdfium.PdfDocument(str(out))
    return " ".join(" ".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf))).split())


def test_printing_unfolds_the_detail_sections(chromium: str, report: tuple[Path, Path], tmp_path: Path) -> None:
    """Folded <details> (per-family tables, stored values) are on paper; the at-a-glance table leads."""
    page, _ = report
    text = page.read_text(encoding="utf-8")
    assert re.search(r"<details class=\"family\"", text) and "<details open" not in text
    printed = _pdf_text(chromium, page, tmp_path / "r.pdf", tmp_path)
    assert printed.index("At a glance") < printed.index("Full detail")
    assert "Letter size consistency" in printed
    # metric names and the table headers only occur inside the folded sections
    assert "pressure_mean" in printed and "95% CI" in printed and "in_air_ratio" in printed
    # control: without the print rule the folded sections stay folded on paper too
    folded = tmp_path / "folded.html"
    folded.write_text(text.replace("details::details-content{content-visibility:visible;display:block}", ""),
                      encoding="utf-8")
    printed_folded = _pdf_text(chromium, folded, tmp_path / "f.pdf", tmp_path)
    assert "Letter size consistency" in printed_folded
    assert "95% CI" not in printed_folded and "in_air_ratio" not in printed_folded
