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
from penmotor.metrics.tremor import tremor_spectrum
from penmotor.progress.demo import DEMO_CHILD, run_demo
from penmotor.progress.report import (
    KEY_MEASURES,
    KEY_METRICS,
    build_report,
    headline,
    key_summary,
    report_html,
)
from penmotor.progress.report.summary import BADGES, fmt_short
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
    assert "xlink:href" not in text and "<image" not in text  # the SVG plots reference nothing either
    assert "url(" not in text
    assert "@media print" in text


def test_embedded_figures_are_not_blank(demo) -> None:
    from PIL import Image

    text = demo.report.read_text(encoding="utf-8")
    srcs = re.findall(r'src="data:image/png;base64,([^"]*)"', text)
    assert len(srcs) == 1  # the scanned page, as stored; every plot is inline SVG
    for b64 in srcs:
        img = np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("L"), float)
        assert img.std() > 5.0
        assert (img < 200).mean() > 0.002  # some ink/lines drawn
    plots = dict(re.findall(r'<svg class="plot"[^>]*aria-label="([^"]+)"[^>]*>(.*?)</svg>', text, re.S))
    # one figure per section: key measures, every metric, ink, spectrum
    assert len(plots) == 4, list(plots)
    key = plots["key measures over time"]
    assert key.count('class="panel"') == len(KEY_MEASURES) and key.count("<circle") >= 4 * len(KEY_MEASURES)
    ink = plots["ink of the first and latest session of each task"]
    assert ink.count("<polyline") > 50  # sentence and spiral, first and latest, coloured by pressure
    assert plots["tremor spectrum, first and latest session"].count("<polyline") >= 2
    for svg in plots.values():  # no coordinate is NaN or infinite
        assert not re.search(r'="[^"]*(?:nan|inf)', svg)


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


def _glance_rows(text: str) -> dict[tuple[str, str], dict[str, str]]:
    table = re.search(r'<table class="glance">(.*?)</table>', text, re.S)
    assert table is not None
    rows = {}
    for attrs, body in re.findall(r'<tr class="key[^"]*" ([^>]*)>(.*?)</tr>', table.group(1), re.S):
        a = dict(re.findall(r'([\w-]+)="([^"]*)"', attrs))
        a["body"] = body
        rows[(a["data-task"], a["data-metric"])] = a
    return rows


def test_at_a_glance_comes_first(demo) -> None:
    text = demo.report.read_text(encoding="utf-8")
    h2 = re.findall(r"<h2>([^<]+)</h2>", text)
    assert h2[0] == "At a glance"
    assert text.index("<h2>At a glance</h2>") < text.index('<svg class="plot"')
    assert h2[:2] == ["At a glance", "Key measures over time"]
    for section in ("Ink: first and latest session", "Tremor spectrum", "Scanned worksheets", "Full detail",
                    "Methods"):
        assert section in h2
    assert h2.index("Full detail") > h2.index("Tremor spectrum")


def test_at_a_glance_numbers_equal_the_store(demo) -> None:
    """Baseline, latest, sparkline points and verdict of every key measure, recomputed from the store."""
    text = demo.report.read_text(encoding="utf-8")
    rows = _glance_rows(text)
    with Store(demo.store) as s:
        vals = s.values(DEMO_CHILD)
    summ = summarize(vals)
    ks = key_summary(summ)
    assert len(ks) == len(KEY_MEASURES) == 10  # the demo records every key measure
    assert ks["n_other"].max() == 1  # the worksheet's measures leave it out of first -> latest
    assert list(rows) == list(zip(ks["task"], ks["metric"]))  # in KEY_MEASURES order
    for km, r in zip(KEY_MEASURES, ks.itertuples()):
        row = rows[(r.task, r.metric)]
        assert r.task == km.task  # read from its own task
        g = vals[(vals["task"] == r.task) & (vals["metric"] == r.metric) & np.isfinite(vals["value"])]
        means = g.groupby("date")["value"].mean().sort_index()
        # first -> latest compares tablet with tablet (the demo's one worksheet is plotted only)
        tablet = g[g["modality"] == "online"].groupby("date")["value"].mean().sort_index()
        assert r.modality == "online" and r.n_other == g.loc[g["modality"] == "scan", "date"].nunique()
        assert float(row["data-baseline"]) == pytest.approx(tablet.iloc[0], rel=1e-12)
        assert float(row["data-latest"]) == pytest.approx(tablet.iloc[-1], rel=1e-12)
        assert int(row["data-n"]) == tablet.size
        spark = re.search(r'<svg class="spark"[^>]*data-values="([^"]*)" data-dates="([^"]*)"', row["body"])
        assert spark is not None
        assert np.allclose([float(x) for x in spark.group(1).split()], means.to_numpy(), rtol=1e-12)
        assert spark.group(2).split() == [str(d.date()) for d in means.index]
        badge = re.search(r'<span class="badge b-(\w+)" data-verdict="([^"]+)">([^<]+)</span>', row["body"])
        assert badge is not None and badge.group(2) == r.verdict
        cls, sym, words = BADGES[r.verdict]
        assert badge.group(1) == cls and html.unescape(badge.group(3)) == f"{sym} {words}"
        shown = html.unescape(re.sub(r"<[^>]+>", " ", row["body"]))
        assert km.label in shown
        assert fmt_short(means.iloc[0] * km.scale) in shown and fmt_short(means.iloc[-1] * km.scale) in shown


def test_badges_carry_symbol_and_words_not_only_colour() -> None:
    syms = [sym for _, sym, _ in BADGES.values()]
    words = [w for _, _, w in BADGES.values()]
    assert len(set(syms)) == len(syms) and all(syms) and len(set(words)) == len(words)
    assert {"Improved (reliable)", "Worse (reliable)", "No reliable change", "Too few sessions"} <= set(words)


def test_summary_sentences_and_detail_match_trends(demo) -> None:
    text = html.unescape(demo.report.read_text(encoding="utf-8"))
    with Store(demo.store) as s:
        summ = summarize(s.values(DEMO_CHILD))
    ks = key_summary(summ)
    sentences = re.search(r'<div class="sentences">(.*?)</div>', text, re.S).group(1)
    imp = ks[ks["verdict"] == "improved"]
    assert f"improved reliably in {len(imp)} of {len(ks)} key measures" in sentences
    for lab in imp["label"]:
        assert lab.lower() in sentences
    for lab in ks.loc[ks["verdict"] == "worse", "label"]:
        assert "Reliably worse: " in sentences and lab.lower() in sentences
    # every metric's verdict in words, RCI and verdict are in the folded per-family tables
    for w in summ.loc[summ["verdict"].isin(["improved", "worse"]), "words"]:
        assert f'title="{w}"' in text
    fams = re.findall(r'<details class="family" data-family="([^"]+)">', text)
    assert sorted(fams) == sorted(summ["family"].unique())
    for r in summ.itertuples():
        m = re.search(rf'data-row-metric="{re.escape(r.metric)}" data-row-task="{r.task}" data-rci="([^"]+)"', text)
        assert m is not None and (float(m.group(1)) == r.rci or (np.isnan(r.rci) and m.group(1) == "nan"))
    assert re.search(r"<details[^>]*><summary>All stored values", text)
    assert re.search(r"@media print\{[^@]*details::details-content\{content-visibility:visible", text)


def test_headline_speaks_of_key_measures(demo) -> None:
    with Store(demo.store) as s:
        summ = summarize(s.values(DEMO_CHILD))
    lines = headline(summ)
    assert lines == demo.summary
    ks = key_summary(summ)
    imp = list(ks.loc[ks["verdict"] == "improved", "label"])
    assert lines[0] == f"Improved reliably: {', '.join(x.lower() for x in imp)} ({len(imp)} of 10 key measures)."
    # the synthetic child's planted improvements (synth.child_sessions)
    for lab in ("tremor in the spiral", "baseline alignment", "spiral accuracy"):
        assert lab in lines[0]
    assert lines[1].startswith("Got worse reliably:") and lines[2].startswith("No reliable change:")
    assert "letter size (smaller)" in lines[2] and "pen pressure (lighter)" in lines[2]  # better=None: neutral
    assert all(len(x) < 250 for x in lines)


def test_headline_edge_cases() -> None:
    import pandas as pd

    s = pd.DataFrame({"metric": ["x_height", "size_cv", "slant", "speed_mean"], "task": "sentence",
                      "unit": ["mm", "1", "deg", "mm/s"], "change": [0.5, 0.0, -2.0, 1.0],
                      "verdict": ["one session", "not judged", "worse", "no reliable change"]})
    lines = headline(s)
    assert lines[0] == "Improved reliably: none of 4 key measures."
    assert lines[1] == "Got worse reliably: slant (1 of 4)."
    assert lines[2] == ("No reliable change: writing speed; too few sessions: letter size; "
                        "not judged (no retest SD): letter size consistency.")
    many = pd.DataFrame({"metric": list("abcdefgh"), "task": "t", "unit": "1", "change": 1.0,
                         "verdict": "improved"})
    assert headline(many, max_names=3)[0] == "Improved reliably: a (t), b (t), c (t) and 5 more (8 of 8 metrics)."


def test_key_measures_come_from_the_registry() -> None:
    import pandas as pd

    assert len({(k.metric, k.task) for k in KEY_MEASURES}) == len(KEY_MEASURES)
    for k in KEY_MEASURES:
        assert k.metric in penmotor.FEATURES, k.metric
        assert k.label and k.what and k.up != k.down
    assert set(KEY_METRICS[:len(KEY_MEASURES)]) == {k.metric for k in KEY_MEASURES}
    # a child without sentence/spiral tasks: writing measures from its own task, spiral ones left out
    s = pd.DataFrame({"metric": ["x_height", "x_height", "tremor_amplitude"], "task": ["copy", "free", "copy"],
                      "unit": "mm", "n_sessions": [3, 5, 5], "change": [-1.0, -1.0, -0.1],
                      "verdict": "changed"})
    ks = key_summary(s)
    assert list(zip(ks["metric"], ks["task"])) == [("x_height", "free")]
    assert key_summary(s.iloc[:0]).empty


def test_report_without_key_measures_still_works(tmp_path: Path) -> None:
    s = Store(tmp_path / "k.db")
    for i, d in enumerate(["2026-01-01", "2026-02-01"]):
        s.add_session("C5", date=d, task="t", modality="online", sha256=f"{i:02d}" * 32, values={"zz": 1.0 + i},
                      units={"zz": "mm"})
    text = report_html(s, "C5")
    assert "None of the key measures has been recorded" in text and '<table class="glance">' not in text
    assert 'data-metric="zz" data-value="2.0"' in text


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


def test_report_plots_the_tremor_metrics_spectrum() -> None:
    # one spectrum in penmotor: the report draws the tremor metrics' own (metrics.tremor.tremor_spectrum)
    rec = penmotor.synth.tremor_spiral(freq_hz=6.0, amplitude_mm=0.4, seed=3)
    sp = tremor_spectrum(rec)
    band = (sp.f >= 3) & (sp.f <= 15)
    assert abs(sp.f[band][np.argmax(sp.psd[band])] - 6.0) <= 0.8


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


def test_report_of_a_first_session_says_too_few(tmp_path: Path) -> None:
    s = Store(tmp_path / "one.db")
    for rec in penmotor.synth.child_sessions(1, child="C077", seed=4):
        s.add_recording("C077", rec)
    text = html.unescape(report_html(s, "C077"))
    rows = _glance_rows(text)
    assert len(rows) >= 8 and {m for _, m in rows} <= {k.metric for k in KEY_MEASURES}
    assert all('data-verdict="one session"' in r["body"] and "Too few sessions" in r["body"] for r in rows.values())
    assert "Only one session so far" in text
    summ = summarize(s.values("C077"))
    lines = headline(summ)
    assert lines[0] == f"Improved reliably: none of {len(key_summary(summ))} key measures."
    assert lines[2].startswith("No reliable change: none; too few sessions: letter size, letter size consistency")


def test_percentages_change_in_percentage_points(demo) -> None:
    rows = _glance_rows(demo.report.read_text(encoding="utf-8"))
    size_cv = rows[("sentence", "size_cv")]["body"]
    assert re.search(r"-?\d+(\.\d+)? pp", size_cv)  # a trend of a percentage, in points
    assert not re.search(r"\d %/month|\d%</td>", size_cv.split("</td>")[3])


def test_plain_labels_in_tables_and_plots(demo) -> None:
    text = demo.report.read_text(encoding="utf-8")
    assert ">Speed changes per stroke<" in text  # niv: in the family table, with the code name under it
    assert '<span class="code">niv</span>' in text
    trends = re.search(r'aria-label="every plotted metric over time, by family".*?</svg>', text, re.S).group(0)
    titles = re.findall(r'font-weight="bold"[^>]*>([^<]+)</text>', trends)
    assert "Speed changes per stroke" in titles and "niv" not in titles
    assert "Timing: durations, pauses, pen lifts" in titles  # family headings in words


def test_like_with_like_for_text(tmp_path: Path) -> None:
    """Two texts: ink length is compared within the latest text only, and the report says so."""
    s = Store(tmp_path / "t.db")
    for i, (text, seed) in enumerate([("a big dog ran home", 1), ("the red hat", 2), ("the red hat", 3),
                                      ("the red hat", 4)]):
        rec = penmotor.synth.handwriting(text, seed=seed).with_meta(date=f"2026-01-{5 + 7 * i:02d}",
                                                                     task="sentence")
        s.add_recording("C5", rec)
    page = report_html(s, "C5")
    summ = summarize(s.values("C5")).set_index("metric")
    assert summ.loc["ink_length", "n_sessions"] == 3 and summ.loc["ink_length", "n_other_text"] == 1
    assert summ.loc["x_height", "n_sessions"] == 4  # letter size does not depend on the text
    note = re.search(r'<p class="note"><b>Like with like:</b> ([^<]+)</p>', page)
    assert note is not None and "Ink length" in html.unescape(note.group(1))
    assert "the red hat" in html.unescape(note.group(1))
    # the ink panel compares first and latest of the same text
    assert "1 earlier recording of another text left out" in html.unescape(page)


def test_user_text_is_escaped_in_plots(tmp_path: Path) -> None:
    s = Store(tmp_path / "x.db")
    for i in range(3):
        s.add_session("C6", date=f"2026-01-{5 + 7 * i:02d}", task='<b onclick="x">t', modality="online",
                      sha256=f"{i:02d}" * 32, values={"x_height": 4.0 + i * 0.1})
    page = report_html(s, "C6")
    assert '<b onclick="x">' not in page and "&lt;b onclick=&quot;x&quot;&gt;t" in page
