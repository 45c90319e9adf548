"""Batch scoring: recursive search, one row per page, corrupt files, resume, process pool and Dask."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from penmotor import synth
from penmotor import batch as batch_engine
from penmotor.scan import batch
from penmotor.scan.batch import metric_columns, scan_files
from penmotor.synth import render

DPI = 150


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """pages/ with nested folders: 3 PNGs, a 2-page TIFF, a corrupt PNG, a text file."""
    root = tmp_path_factory.mktemp("pages")
    (root / "class_a" / "week1").mkdir(parents=True)
    (root / "class_b").mkdir()
    imgs = [render(synth.handwriting(t, seed=i), dpi=DPI) for i, t in enumerate(["sun and rain", "big dog", "red hat"])]
    Image.fromarray(imgs[0]).save(root / "class_a" / "week1" / "c01.png", dpi=(DPI, DPI))
    Image.fromarray(imgs[1]).save(root / "class_a" / "c02.png", dpi=(DPI, DPI))
    Image.fromarray(imgs[2]).save(root / "class_b" / "c03.png", dpi=(DPI, DPI))
    Image.fromarray(imgs[0]).save(root / "class_b" / "both.tif", save_all=True,
                                  append_images=[Image.fromarray(imgs[1])], dpi=(DPI, DPI))
    (root / "class_b" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (root / "class_b" / "readme.txt").write_text("not scanned")
    return root


def test_one_row_per_page_and_errors_in_rows(tree, tmp_path):
    df = scan_files(tree, tmp_path / "out.parquet", progress=False)
    assert len(df) == 6  # 3 PNG + 2 TIFF pages + 1 broken file
    assert df.attrs["failed"] == 1
    bad = df[df["status"] == "error"]
    assert bad["path"].str.endswith("broken.png").all() and bad["error"].str.contains("not an image").all()
    ok = df[df["status"] == "ok"]
    assert ok["x_height"].between(2.5, 3.5).all()
    assert sorted(ok.loc[ok["path"].str.endswith("both.tif"), "page"]) == [0, 1]
    # both TIFF pages equal the PNGs they were made from
    tif = ok[ok["path"].str.endswith("both.tif")].sort_values("page")
    png = ok[ok["path"].str.endswith(("c01.png", "c02.png"))].sort_values("path")
    assert np.allclose(tif["x_height"].to_numpy(), png["x_height"].to_numpy()[::-1], rtol=1e-6)
    back = pd.read_parquet(tmp_path / "out.parquet")
    assert list(back.columns[:7]) == ["path", "page", "status", "error", "duplicate_of", "key", "seconds"]
    assert set(metric_columns()) <= set(back.columns)
    assert not (tmp_path / "out.parquet.journal.jsonl").exists()


def test_csv_output_and_resume_skips_done_pages(tree, tmp_path):
    out = tmp_path / "r.csv"
    first = scan_files(tree, out, progress=False)
    again = scan_files(tree, out, progress=False)
    assert again.attrs["skipped"] == 5 and len(again) == 6
    pd.testing.assert_frame_equal(first.drop(columns="seconds"), again.drop(columns="seconds"),
                                  check_dtype=False)
    assert len(batch_engine.read_table(out)) == 6 and len(pd.read_csv(out)) == 7  # units row


def test_interrupted_run_keeps_rows_and_resumes(tree, tmp_path, monkeypatch):
    out = tmp_path / "r.parquet"
    real = batch.score_task
    calls = {"n": 0}

    def flaky(task, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C after two pages
        return real(task, **kw)

    monkeypatch.setattr(batch, "score_task", flaky)
    with pytest.raises(KeyboardInterrupt):
        scan_files(tree, out, progress=False)
    journal = tmp_path / "r.parquet.journal.jsonl"
    rows = [json.loads(x) for x in journal.read_text().splitlines()]
    assert sum(r["status"] == "ok" for r in rows) == 2 and not out.exists()
    monkeypatch.setattr(batch, "score_task", real)
    df = scan_files(tree, out, progress=False)
    assert df.attrs["skipped"] == 2 and len(df) == 6 and (df["status"] == "ok").sum() == 5


def test_process_pool_matches_serial(tree, tmp_path):
    a = scan_files(tree, tmp_path / "a.parquet", progress=False, workers=1)
    b = scan_files(tree, tmp_path / "b.parquet", progress=False, workers=2, share=False)
    cols = ["path", "page", "status"] + metric_columns()
    pd.testing.assert_frame_equal(a[cols], b[cols])


@pytest.mark.slow
def test_dask_local_cluster_matches_pool(tree, tmp_path):
    pytest.importorskip("dask.distributed")
    a = scan_files(tree, tmp_path / "pool.parquet", progress=False, workers=1)
    b = scan_files(tree, tmp_path / "dask.parquet", progress=False, workers=2, dask="local")
    cols = ["path", "page", "status", "error"] + metric_columns()
    pd.testing.assert_frame_equal(a[cols], b[cols])


def test_cli_exit_status_is_number_failed(tree, tmp_path, capsys):
    from penmotor.cli import main

    rc = main(["scan", str(tree), "--out", str(tmp_path / "c.csv"), "--no-progress"])
    assert rc == 1
    err = capsys.readouterr().err
    assert "5 page(s) scored, 1 failed" in err and "broken.png" in err


def test_forced_dpi_changes_key_and_scale(tree, tmp_path):
    f = next(tree.rglob("c02.png"))
    a = scan_files(f, tmp_path / "a.csv", progress=False)
    b = scan_files(f, tmp_path / "b.csv", progress=False, force_dpi=2 * DPI)
    assert a["key"][0] != b["key"][0]
    assert b["x_height"][0] == pytest.approx(a["x_height"][0] / 2, rel=0.01)
    assert not math.isnan(a["x_height"][0])


def test_rerun_with_dpi_replaces_error_rows_and_exit_counts_this_run(tmp_path, capsys):
    from penmotor.cli import main

    d = tmp_path / "in"
    d.mkdir()
    img = render(synth.handwriting("big dog", seed=1), dpi=DPI)
    Image.fromarray(img).save(d / "nodpi.png")  # no dpi in the file
    Image.fromarray(img).save(d / "same_again.png")  # the same bytes under another name
    out = tmp_path / "r.csv"
    assert main(["scan", str(d), "--out", str(out), "--no-progress"]) == 2  # no dpi: both fail
    assert main(["scan", str(d), "--out", str(out), "--dpi", str(DPI), "--no-progress"]) == 0
    t = batch_engine.read_table(out)
    assert len(t) == 2 and (t["status"] == "ok").all() and t["error"].isna().all()
    assert t["duplicate_of"].tolist() == [None, str(d / "nodpi.png")]
    assert t["x_height"][0] == t["x_height"][1] and not math.isnan(t["x_height"][0])
    # a third run changes nothing and fails nothing
    assert main(["scan", str(d), "--out", str(out), "--dpi", str(DPI), "--no-progress"]) == 0
    assert "0 failed, 2 already done" in capsys.readouterr().err
    pd.testing.assert_frame_equal(batch_engine.read_table(out).drop(columns="seconds"), t.drop(columns="seconds"))


def test_dpi_is_a_fallback_for_files_that_state_none(tree, tmp_path):
    # c02.png states 150 dpi: --dpi 300 must not change its scale (only --force-dpi does)
    f = next(tree.rglob("c02.png"))
    a = scan_files(f, tmp_path / "a.csv", progress=False)
    b = scan_files(f, tmp_path / "b.csv", progress=False, dpi=2 * DPI)
    assert b["dpi"][0] == DPI and b["x_height"][0] == pytest.approx(a["x_height"][0])
    # a file that states none takes it
    nodpi = tmp_path / "nodpi.png"
    Image.open(f).save(nodpi)  # no dpi= -> no pHYs chunk
    c = scan_files(nodpi, tmp_path / "c.csv", progress=False, dpi=DPI)
    assert c["status"][0] == "ok" and c["dpi"][0] == DPI
    assert c["x_height"][0] == pytest.approx(a["x_height"][0])


def test_cli_missing_dpi_names_the_flag(tree, tmp_path, capsys):
    from penmotor.cli import main

    nodpi = tmp_path / "in" / "nodpi.png"
    nodpi.parent.mkdir()
    Image.open(next(tree.rglob("c02.png"))).save(nodpi)
    rc = main(["scan", str(nodpi.parent), "--out", str(tmp_path / "r.csv"), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1 and "use --dpi N" in err and "pass dpi=" not in err
