"""The progress store on SQLite and PostgreSQL: ingest, no-op re-adds, corrupt files,
atomicity (failed and killed ingests) and concurrent writers."""

from __future__ import annotations

import math
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st

import penmotor
from penmotor import ParameterError, Recording
from penmotor.errors import valid_child_id
from penmotor.progress.store import Store, decode_ink, encode_ink, file_sha256
from penmotor.registry import REGISTRY_VERSION

CI = os.environ.get("CI", "").lower() == "true"


def _need(var: str, what: str) -> str:
    v = os.environ.get(var)
    if not v:
        msg = f"{what}: ${var} not set (scripts/test-services.sh sets it up when run as root with apt)"
        if CI:
            pytest.fail(f"under CI=true this must not skip: {msg}")
        pytest.skip(msg)
    return v


@pytest.fixture(scope="session")
def pg_url() -> str:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    base = _need("PENMOTOR_TEST_POSTGRES_URL", "PostgreSQL")
    name = f"penmotor_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _reset(url: str) -> None:
    eng = sa.create_engine(url)
    with eng.begin() as c:
        for t in ("metric_values", "sessions", "children", "store_info"):
            c.execute(sa.text(f"DROP TABLE IF EXISTS {t} CASCADE"))
    eng.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same tests against an SQLite file and a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    url = request.getfixturevalue("pg_url")
    _reset(url)
    return url


@pytest.fixture(scope="module")
def rec_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Six short synthetic recordings written as native files, with date and task meta."""
    d = tmp_path_factory.mktemp("recs")
    out = []
    for i in range(6):
        rec = penmotor.synth.handwriting("ab", seed=i).with_meta(
            date=f"2026-01-{10 + i:02d}", task="letters")
        p = d / f"letters_{i}.pmr"
        penmotor.write(rec, p)
        out.append(p)
    return out


def _counts(url: str) -> tuple[int, int, int]:
    eng = sa.create_engine(url if "://" in url else f"sqlite:///{url}")
    with eng.connect() as c:
        n_s = c.execute(sa.text("SELECT count(*) FROM sessions")).scalar_one()
        n_v = c.execute(sa.text("SELECT count(*) FROM metric_values")).scalar_one()
        empty = c.execute(sa.text(
            "SELECT count(*) FROM sessions s WHERE NOT EXISTS "
            "(SELECT 1 FROM metric_values v WHERE v.session_id = s.session_id)")).scalar_one()
    eng.dispose()
    return int(n_s), int(n_v), int(empty)


# ----------------------------------------------------------------------- ids
@pytest.mark.parametrize("good", ["C001", "2026-017", "p_12.a", "x1"])
def test_valid_child_ids(good: str) -> None:
    assert valid_child_id(good) == good


@pytest.mark.parametrize("bad", ["Emma", "Emma Smith", "anna.b", "c1@school.org", "", " C1", "C" * 80, None, 17])
def test_name_like_child_ids_are_refused(bad: object) -> None:
    with pytest.raises(ParameterError, match="pseudonymous"):
        valid_child_id(bad)


@given(st.text(min_size=1, max_size=20))
def test_child_id_check_never_crashes(s: str) -> None:
    try:
        assert valid_child_id(s) == s
        assert any(c.isdigit() for c in s) and " " not in s
    except ParameterError:
        pass


# --------------------------------------------------------------------- basics
def test_ingest_values_units_and_version(store_url: str, rec_files: list[Path]) -> None:
    with Store(store_url) as s:
        res = s.ingest("C001", rec_files[:2])
        assert [r.status for r in res] == ["added", "added"]
        vals = s.values("C001")
        sess = s.sessions("C001")
    assert len(sess) == 2 and set(sess["task"]) == {"letters"}
    assert sorted(sess["date"].dt.strftime("%Y-%m-%d")) == ["2026-01-10", "2026-01-11"]
    assert set(sess["modality"]) == {"online"}
    assert list(sess["sha256"]) == [file_sha256(p) for p in rec_files[:2]]
    # features computed once and stored exactly (NaN <-> NULL round trip)
    expect = penmotor.features(penmotor.read(rec_files[0]))
    got = vals[vals["session_id"] == sess["session_id"].iloc[0]].set_index("metric")["value"]
    assert set(got.index) == set(expect)
    for k, v in expect.items():
        assert (math.isnan(v) and math.isnan(got[k])) or got[k] == pytest.approx(v, rel=1e-12), k
    assert set(vals["registry_version"]) == {REGISTRY_VERSION}
    units = vals.drop_duplicates("metric").set_index("metric")["unit"]
    assert all(units[m] == penmotor.FEATURES[m].unit for m in units.index)


def test_readding_same_content_is_a_noop(store_url: str, rec_files: list[Path], tmp_path: Path) -> None:
    copy = tmp_path / "renamed_copy.pmr"
    copy.write_bytes(rec_files[0].read_bytes())
    calls = []

    def featurize(rec: Recording) -> dict[str, float]:
        calls.append(1)
        return {"stroke_count": float(rec.n_strokes)}

    with Store(store_url) as s:
        assert s.ingest("C001", [rec_files[0]], featurize=featurize)[0].status == "added"
        again = s.ingest("C001", [rec_files[0], copy], featurize=featurize)
        assert [r.status for r in again] == ["duplicate", "duplicate"]
        assert len(s.sessions()) == 1
    assert len(calls) == 1  # features were not recomputed for the duplicates


def test_corrupt_files_are_reported_and_skipped(store_url: str, rec_files: list[Path], tmp_path: Path) -> None:
    trunc = tmp_path / "truncated.pmr"
    trunc.write_bytes(rec_files[1].read_bytes()[:100])
    junk = tmp_path / "junk.svc"
    junk.write_bytes(b"\x00\xff garbage \n1 2 3\n")
    notimg = tmp_path / "scan.png"
    notimg.write_bytes(b"this is not a png")
    missing = tmp_path / "missing.pmr"
    with Store(store_url) as s:
        res = s.ingest("C001", [trunc, rec_files[2], junk, notimg, missing])
        assert [r.status for r in res] == ["error", "added", "error", "error", "error"]
        assert "truncated.pmr" in res[0].message and "missing.pmr" in res[4].message
        assert len(s.sessions()) == 1
    n_s, n_v, empty = _counts(store_url)
    assert (n_s, empty) == (1, 0) and n_v > 0


def test_failure_inside_the_transaction_leaves_nothing(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The session row is inserted, then writing its values fails: the whole file rolls back."""
    import penmotor.progress.store as store_mod

    def boom(name: str) -> str:
        raise RuntimeError("disk full (simulated)")

    with Store(store_url) as s:
        monkeypatch.setattr(store_mod, "_unit", boom)
        with pytest.raises(RuntimeError, match="simulated"):
            s.add_session("C001", date="2026-01-01", task="t", modality="online", sha256="aa" * 32,
                          values={"x_height": 4.0})
        monkeypatch.undo()
        assert s.sessions().empty and s.children() == []
        assert s.add_session("C001", date="2026-01-01", task="t", modality="online", sha256="aa" * 32,
                             values={"x_height": 4.0}) is not None
    assert _counts(store_url) == (1, 1, 0)


def test_ink_copy_round_trip(store_url: str, rec_files: list[Path], tmp_path: Path) -> None:
    moved = tmp_path / "moved.pmr"
    moved.write_bytes(rec_files[3].read_bytes())
    with Store(store_url) as s:
        sid = s.ingest("C001", [moved])[0].session_ids[0]
        moved.unlink()  # the report must not need the original file
        ink = s.ink(sid)
    rec = penmotor.read(rec_files[3])
    assert len(ink) == len(rec)
    np.testing.assert_allclose(ink.x, rec.x, atol=1e-4)
    np.testing.assert_allclose(ink.pressure, rec.pressure, atol=1e-6, equal_nan=True)
    assert np.array_equal(ink.pen_down, rec.pen_down)


def test_encode_decode_ink_synthetic(rng: np.random.Generator) -> None:
    t = np.cumsum(rng.uniform(0.004, 0.006, 500))
    rec = Recording.from_arrays(t=t, x=rng.normal(0, 50, 500), y=rng.normal(0, 50, 500),
                                pressure=rng.uniform(0, 1, 500))
    back = decode_ink(encode_ink(rec))
    np.testing.assert_allclose(back.t, rec.t, atol=1e-12)
    np.testing.assert_allclose(back.y, rec.y, rtol=1e-6, atol=1e-5)


def test_export_csv_and_parquet(store_url: str, rec_files: list[Path], tmp_path: Path) -> None:
    import pandas as pd

    with Store(store_url) as s:
        s.ingest("C001", rec_files[:1])
        s.ingest("C002", rec_files[1:2])
        csv = s.export(tmp_path / "v.csv")
        pq = s.export(tmp_path / "v.parquet", child="C002")
        stored = s.values("C002")
        with pytest.raises(ParameterError, match="csv or .parquet"):
            s.export(tmp_path / "v.xlsx")
    a, b = pd.read_csv(csv), pd.read_parquet(pq)
    assert set(a["child_id"]) == {"C001", "C002"} and set(b["child_id"]) == {"C002"}
    assert len(b) == len(stored)
    np.testing.assert_array_equal(b["value"].to_numpy(), stored["value"].to_numpy())


def test_delete_child(store_url: str, rec_files: list[Path]) -> None:
    with Store(store_url) as s:
        s.ingest("C001", rec_files[:2])
        s.ingest("C002", rec_files[2:3])
        assert s.delete_child("C001") == 2
        assert s.children() == ["C002"] and len(s.sessions()) == 1


def test_bad_arguments() -> None:
    with pytest.raises(ParameterError, match="folder"):
        Store("/nonexistent/dir/x.db")
    with pytest.raises(ParameterError, match="unsupported"):
        Store("mysql://u@h/db")


def test_urls_and_paths(tmp_path: Path) -> None:
    from penmotor.progress.store import _to_url

    assert _to_url("postgresql://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    assert _to_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _to_url(tmp_path / "a.db").database == str(tmp_path / "a.db")  # a URL object: no parsing of the name
    mem = Store(":memory:")
    assert mem.add_session("C1", date="2026-01-01", task="t", modality="online", sha256="ab" * 32,
                           values={"a": 1.0}, units={"a": "mm"}) == 1
    assert mem.children() == ["C1"] and not Path(":memory:").exists()


def test_sqlite_is_wal(tmp_path: Path) -> None:
    s = Store(tmp_path / "w.db")
    with s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar().lower() == "wal"
        assert int(c.exec_driver_sql("PRAGMA busy_timeout").scalar()) >= 1000
    s.close()


# ------------------------------------------------------- crashes and concurrency
def test_killed_ingest_leaves_store_consistent(tmp_path: Path) -> None:
    """SIGKILL an ingest of many files half way: every stored session is complete; a re-run finishes."""
    files = []
    for i in range(24):
        rec = penmotor.synth.handwriting("abc", seed=100 + i).with_meta(date="2026-02-01", task="abc")
        p = tmp_path / f"k{i:02d}.pmr"
        penmotor.write(rec, p)
        files.append(str(p))
    db = str(tmp_path / "k.db")
    Store(db).close()
    cmd = [sys.executable, "-m", "penmotor.cli", "add", "C001", *files, "--store", db, "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if _counts(db)[0] >= 3:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_s, _, empty = _counts(db)
    assert 1 <= n_s < 24, "the ingest should have been killed half way"
    assert empty == 0
    eng = sa.create_engine(f"sqlite:///{db}")
    with eng.connect() as c:
        assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    eng.dispose()
    with Store(db) as s:
        res = s.ingest("C001", files)
    assert sum(r.status == "duplicate" for r in res) == n_s
    assert _counts(db)[0] == 24 and _counts(db)[2] == 0


def test_concurrent_adds_lose_nothing(store_url: str, tmp_path: Path) -> None:
    """Two processes add overlapping file lists at once: each file stored exactly once."""
    files = []
    for i in range(8):
        rec = penmotor.synth.handwriting("ab", seed=200 + i).with_meta(date=f"2026-03-{1 + i:02d}", task="ab")
        p = tmp_path / f"c{i}.pmr"
        penmotor.write(rec, p)
        files.append(str(p))
    Store(store_url).close()
    ctx = mp.get_context("spawn")
    from penmotor.cli import main

    a = ctx.Process(target=main, args=(["add", "C001", *files[:6], "--store", store_url, "-q"],))
    b = ctx.Process(target=main, args=(["add", "C001", *files[2:][::-1], "--store", store_url, "-q"],))
    a.start()
    b.start()
    a.join(180)
    b.join(180)
    assert a.exitcode == 0 and b.exitcode == 0
    n_s, n_v, empty = _counts(store_url)
    assert n_s == 8 and empty == 0
    with Store(store_url) as s:
        sess = s.sessions()
    assert sorted(sess["source"]) == sorted(files)
    assert sess["sha256"].is_unique


# ---------------------------------------------------------------------- scans
def test_scanned_worksheets_png_and_multipage_pdf(tmp_path: Path) -> None:
    """Rendered synthetic ink scored as scans: one session per page, x-height near the truth."""
    from PIL import Image

    from penmotor.synth import render

    recs = [penmotor.synth.handwriting("hello world", x_height_mm=h, seed=9) for h in (3.0, 4.5)]
    pages = [Image.fromarray(render(r, dpi=300)) for r in recs]
    png = tmp_path / "sheet.png"
    pages[0].save(png, dpi=(300, 300))
    pdf = tmp_path / "sheets.pdf"
    pages[0].save(pdf, save_all=True, append_images=pages[1:], resolution=300)
    with Store(tmp_path / "scan.db") as s:
        r1 = s.ingest("C001", [png], date="2026-04-01", task="sentence")
        r2 = s.ingest("C001", [pdf], date="2026-04-08", dpi=300)
        assert r1[0].status == "added" and r2[0].status == "added" and len(r2[0].session_ids) == 2
        sess = s.sessions()
        assert list(sess["modality"]) == ["scan"] * 3
        assert list(sess["task"]) == ["sentence", "worksheet", "worksheet"] and list(sess["part"]) == [0, 0, 1]
        xh = s.values(metric="x_height").set_index("session_id")["value"]
        assert xh[r1[0].session_ids[0]] == pytest.approx(3.0, rel=0.1)
        assert xh[r2[0].session_ids[1]] == pytest.approx(4.5, rel=0.1)
        thumb = s.ink(r1[0].session_ids[0])
        assert isinstance(thumb, np.ndarray) and thumb.dtype == np.uint8 and max(thumb.shape) <= 1400
        assert s.ingest("C001", [png])[0].status == "duplicate"


def test_prompt_is_stored_and_old_stores_get_the_column(tmp_path) -> None:
    import sqlite3

    import penmotor
    from penmotor.progress.store import Store

    db = tmp_path / "old.db"
    with Store(db) as s:
        s.add_session("C001", date="2026-01-05", task="sentence", modality="online", sha256="ab" * 32,
                      values={"ink_length": 100.0})
    con = sqlite3.connect(db)  # a store from before the prompt column
    con.execute("ALTER TABLE sessions DROP COLUMN prompt")
    con.commit()
    con.close()
    with Store(db) as s:
        v = s.values("C001")
        assert v["prompt"].isna().all()
        rec = penmotor.synth.handwriting("a big dog", seed=1).with_meta(date="2026-01-12", task="sentence")
        s.add_recording("C001", rec)
        p = tmp_path / "rec.pmr"
        penmotor.write(penmotor.synth.handwriting("red hat", seed=2).with_meta(date="2026-01-19"), p)
        s.ingest("C001", [p], prompt="the red hat")  # stated on the command line: wins over meta
        got = s.values("C001", metric="ink_length").sort_values("date")["prompt"].tolist()
    assert got[0] is None and got[1] == "a big dog" and got[2] == "the red hat"
