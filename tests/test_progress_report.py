"""The HTML report: self-contained, figures non-blank, numbers equal to the store; the demo."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path

import numpy as np
import pytest

import penmotor
from penmotor import ParameterError
from penmotor.progress.demo import DEMO_CHILD, run_demo
from penmotor.progress.report import build_report, headline, report_html, tremor_spectrum
from penmotor.progress.store import Store
from penmotor.progress.trends import summarize
from test_progress_store import pg_url  # noqa: F401  (PostgreSQL fixture)

EXTERNAL = re.compile(r"(?:https?|ftp|wss?)://|(?:src|href)\s*=\s*[\"']?//|@import|<script|<link|<iframe", re.I)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory):
    """A small demo: 4 weekly sessions x 2 repeats of sentence + spiral, plus one scanned page."""
    out = tmp_path_factory.mktemp("demo")
    res = run_demo(out, n_sessions=4, repeats=2)
    return res


def test_demo_ingests_everything(demo) -> None:
    failed = [r.message for r in demo.results if not r.ok]
    assert failed == []
    with Store(demo.store) as s:
        sess = s.sessions(DEMO_CHILD)
    assert (sess["modality"] == "online").sum() == 4 * 2 * 2
    assert (sess["modality"] == "scan").sum() == 1
    assert len(demo.summary) == 3 and demo.summary[0].startswith("Improved reliably:")


def test_report_is_self_contained(demo) -> None:
    text = demo.report.read_text(encoding="utf-8")
    assert EXTERNAL.search(text) is None, EXTERNAL.search(text)
    srcs = re.findall(r'src="([^"]*)"', text)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)
    assert "url(" not in text
    assert "@media print" in text


def test_embedded_figures_are_not_blank(demo) -> None:
    from PIL import Image

    text = demo.report.read_text(encoding="utf-8")
    srcs = re.findall(r'src="data:image/png;base64,([^"]*)"', text)
    assert len(srcs) >= 4  # trends (>= 1 family), ink, spectrum ...
    for b64 in srcs:
        img = np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("L"), float)
        assert img.std() > 5.0
        assert (img < 200).mean() > 0.002  # some ink/lines drawn


def test_table_numbers_equal_the_store(demo) -> None:
    text = demo.report.read_text(encoding="utf-8")
    cells = re.findall(r'data-session="(\d+)" data-metric="([^"]+)" data-value="([^"]+)"', text)
    with Store(demo.store) as s:
        vals = s.values(DEMO_CHILD)
    stored = {(int(r.session_id), r.metric): r.value for r in vals.itertuples()}
    finite = {k: v for k, v in stored.items() if np.isfinite(v)}
    shown = {(int(sid), html.unescape(m)): float(v) for sid, m, v in cells}
    assert len(shown) == len(cells)  # each (session, metric) once
    assert set(finite) <= set(shown)
    for k, v in shown.items():
        if np.isfinite(stored[k]):
            assert v == stored[k], k  # exact: repr round trip
        else:
            assert np.isnan(v)


def test_summary_in_html_matches_trends(demo) -> None:
    text = html.unescape(demo.report.read_text(encoding="utf-8"))
    with Store(demo.store) as s:
        summ = summarize(s.values(DEMO_CHILD))
    for line in headline(summ):
        assert line in text
    for w in summ.loc[summ["verdict"].isin(["improved", "worse"]), "words"]:
        assert w in text
    for section in ("Summary", "Trends", "Ink: first and latest session", "Tremor spectrum", "All stored values"):
        assert f">{section}<" in text


def test_demo_child_improves_on_the_planted_changes(demo) -> None:
    """synth.child_sessions plants: pressure 0.85 -> 0.55, tremor 0.35 -> 0.08 mm, faster writing."""
    with Store(demo.store) as s:
        summ = summarize(s.values(DEMO_CHILD)).set_index(["task", "metric"])
    if ("spiral", "pressure_mean") in summ.index:
        row = summ.loc[("spiral", "pressure_mean")]
        assert row["latest"] < row["baseline"] - 0.15
        if penmotor.FEATURES["pressure_mean"].better == "lower":
            assert row["verdict"] == "improved"
    assert ("sentence", "speed_mean") in summ.index
    assert summ.loc[("sentence", "speed_mean"), "change"] > 0


def test_tremor_spectrum_peak_at_the_planted_frequency() -> None:
    rec = penmotor.synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.4, seed=3)
    f, p = tremor_spectrum(rec)
    band = (f >= 3) & (f <= 15)
    assert abs(f[band][np.argmax(p[band])] - 6.0) <= 0.8
    empty = penmotor.Recording.from_arrays(t=[0, 0.01], x=[0, 1], y=[0, 0])
    assert tremor_spectrum(empty)[0].size == 0


def test_report_errors(tmp_path: Path) -> None:
    s = Store(tmp_path / "s.db")
    with pytest.raises(ParameterError, match="no sessions"):
        report_html(s, "C404")
    s.add_session("C1", date="2026-01-01", task="t", modality="online", sha256="aa" * 32, values={"a": 1.0},
                  units={"a": "mm"})
    with pytest.raises(ParameterError, match="folder"):
        build_report(s, "C1", tmp_path / "nope" / "r.html")
    with pytest.raises(ParameterError, match="age_years"):
        report_html(s, "C1", norms=tmp_path / "n.csv")


def test_report_with_norms(tmp_path: Path) -> None:
    p = tmp_path / "norms.csv"
    p.write_text("metric,age_min,age_max,mean,sd\nspeed_mean,6,9,20.0,4.0\n")
    s = Store(tmp_path / "n.db")
    s.add_session("C3", date="2026-01-01", task="sentence", modality="online", sha256="ab" * 32,
                  values={"speed_mean": 28.0})
    text = report_html(s, "C3", norms=p, age_years=7.0)
    assert "Compared with the supplied norms (age 7 years)" in text
    assert "penmotor ships none" in text
    z = re.search(r"<td>28.00</td><td>20.00</td><td>4.00</td><td>([^<]+)</td>", text)
    assert z is not None and float(z.group(1)) == 2.0


def test_report_from_postgres_equals_report_from_sqlite(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """The same files ingested into PostgreSQL give the same stored values and table cells."""
    from test_progress_store import _reset

    url = request.getfixturevalue("pg_url")
    _reset(url)
    files = []
    for rec in penmotor.synth.child_sessions(2, child="C021", seed=2):
        p = tmp_path / f"{rec.meta['task']}_{rec.meta['session']}.pmr"
        penmotor.write(rec, p)
        files.append(p)
    cells = []
    for target in (url, str(tmp_path / "same.db")):
        with Store(target) as s:
            assert all(r.status == "added" for r in s.ingest("C021", files))
            text = report_html(s, "C021")
        cells.append(re.findall(r'data-metric="([^"]+)" data-value="([^"]+)"', text))
    assert cells[0] == cells[1] and len(cells[0]) > 100
