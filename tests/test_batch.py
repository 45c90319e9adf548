"""The batch engine and `penmotor features` on files: tidy rows, duplicates, resume, engines agree."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import penmotor
from penmotor import batch
from penmotor.batch import read_table, run_batch, run_tasks, task_key
from penmotor.cli import main
from penmotor.registry import features_table, file_rows, file_tasks, is_recording_file

FAMS = ["kinematics", "temporal"]
S1 = "00001_w.cz.fnusa.1_1.svc"  # one base name in two folders (a PaHaW-style name: columns known)
COPY = "00099_w.cz.fnusa.1_1.svc"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """a/S1 and b/S1 (same name, different PaHaW recordings), a copy of a/S1, a synthetic
    .pmr in a sub-folder, a corrupt .pmr, and a README that is not a recording."""
    root = tmp_path_factory.mktemp("corpus")
    src = sorted((shared_data / "pahaw").glob("*/*_1.svc"))[:2]
    (root / "a").mkdir()
    (root / "b" / "deep").mkdir(parents=True)
    shutil.copy(src[0], root / "a" / S1)
    shutil.copy(src[1], root / "b" / S1)
    shutil.copy(src[0], root / "b" / "00099_w.cz.fnusa.1_1.svc")  # same content as a/S1
    penmotor.write(penmotor.synth.handwriting("sun and rain", seed=3), root / "b" / "deep" / "synth.pmr")
    (root / "b" / "broken.pmr").write_bytes(b"not a recording")
    (root / "README.md").write_text("# session notes\n")
    return root


def _metrics(df: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in df.columns if c not in ("seconds",)]
    return df[cols].reset_index(drop=True)


def test_same_base_name_in_two_folders_gives_two_rows(corpus: Path) -> None:
    df = features_table(corpus, families=FAMS)
    paths = [Path(p).relative_to(corpus).as_posix() for p in df["path"]]
    assert paths == [f"a/{S1}", f"b/{S1}", f"b/{COPY}", "b/broken.pmr", "b/deep/synth.pmr"]
    by = df.set_index(df["path"].map(lambda p: Path(p).relative_to(corpus).as_posix()))
    # the two S1 files keep their own values (the old base-name columns merged them)
    ref_a = penmotor.features(penmotor.read(corpus / "a" / S1), families=FAMS)
    ref_b = penmotor.features(penmotor.read(corpus / "b" / S1), families=FAMS)
    assert by.loc[f"a/{S1}", "speed_mean"] == ref_a["speed_mean"] != ref_b["speed_mean"]
    assert by.loc[f"b/{S1}", "speed_mean"] == ref_b["speed_mean"]
    # same content: its own row, values equal, marked
    assert by.loc[f"b/{COPY}", "duplicate_of"] == str(corpus / "a" / S1)
    assert by.loc[f"b/{COPY}", "speed_mean"] == ref_a["speed_mean"]
    assert by["duplicate_of"].isna().sum() == 4
    # unreadable file: one error row naming the file, NaN metrics; the rest scored
    assert by.loc["b/broken.pmr", "status"] == "error" and "broken.pmr" in by.loc["b/broken.pmr", "error"]
    assert np.isnan(by.loc["b/broken.pmr", "speed_mean"])
    assert df.attrs["failed"] == 1 and (df["status"] == "ok").sum() == 4
    assert list(df.columns[:7]) == ["path", "recording", "status", "error", "duplicate_of", "key", "seconds"]
    assert df.columns[-1] in penmotor.FEATURES and df.attrs["units"]["speed_mean"] == "mm/s"


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_file_units_and_resume(corpus: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"t{suffix}"
    first = features_table(corpus, families=FAMS, out=out)
    back = read_table(out)
    assert back.attrs["units"]["speed_mean"] == "mm/s" and back.attrs["units"]["stroke_count"] == "1"
    pd.testing.assert_frame_equal(_metrics(back), _metrics(first), check_dtype=False)
    if suffix == ".csv":
        assert out.read_text().splitlines()[1].startswith(",1,,,,,s,")  # the units row
    again = features_table(corpus, families=FAMS, out=out)
    assert again.attrs["skipped"] == 4 and again.attrs["failed"] == 1  # the broken file is retried
    pd.testing.assert_frame_equal(_metrics(again), _metrics(first), check_dtype=False)
    # another option: every file is scored again (new keys), rows replaced, not added
    other = features_table(corpus, families=["kinematics"], out=out)
    assert other.attrs["skipped"] == 0 and len(other) == len(first)
    assert not set(other["key"]) & set(first["key"])


def test_rerun_replaces_error_by_success_and_counts_this_run(corpus: Path, tmp_path: Path) -> None:
    d = tmp_path / "in"
    shutil.copytree(corpus / "b", d)
    out = tmp_path / "t.csv"
    assert main(["features", str(d), "--out", str(out), "--families", *FAMS, "--no-progress"]) == 1
    penmotor.write(penmotor.synth.handwriting("fixed", seed=5), d / "broken.pmr")  # the file is fixed
    assert main(["features", str(d), "--out", str(out), "--families", *FAMS, "--no-progress"]) == 0
    t = read_table(out)
    assert (t["status"] == "ok").all() and len(t) == 4
    assert t["error"].isna().all()
    # a file scored in an earlier run but not named now keeps its row
    assert main(["features", str(corpus / "a"), "--out", str(out), "--families", *FAMS, "--no-progress"]) == 0
    assert len(read_table(out)) == 5


def test_changed_file_is_rescored(corpus: Path, tmp_path: Path) -> None:
    f = tmp_path / "x.pmr"
    penmotor.write(penmotor.synth.handwriting("ab", seed=1), f)
    out = tmp_path / "t.parquet"
    a = features_table(f, families=FAMS, out=out)
    penmotor.write(penmotor.synth.handwriting("abc de", seed=2), f)
    b = features_table(f, families=FAMS, out=out)
    assert b.attrs["skipped"] == 0 and len(b) == 1 and b["key"][0] != a["key"][0]
    assert b["duration_total"][0] != a["duration_total"][0]


def test_engines_give_identical_tables(corpus: Path) -> None:
    serial = features_table(corpus, families=FAMS)
    files = batch.find_files(corpus, is_recording_file)
    tasks, failed = file_tasks(files, families=FAMS)
    metrics = [c for c in serial.columns if c in penmotor.FEATURES]
    pool = run_batch(tasks, file_rows, item="recording", metrics=metrics, failed_rows=failed,
                     workers=2, share=False)  # every task in the spawned workers
    pd.testing.assert_frame_equal(_metrics(pool)[serial.columns.drop("seconds")], _metrics(serial),
                                  check_dtype=False)


def test_dask_local_cluster_gives_identical_tables(corpus: Path) -> None:
    distributed = pytest.importorskip("dask.distributed")
    serial = features_table(corpus, families=FAMS)
    recs = [penmotor.synth.handwriting("ab", seed=s) for s in (1, 2)]
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as lc, \
            distributed.Client(lc) as client:
        on_dask = features_table(corpus, families=FAMS, client=client)
        recs_dask = features_table(recs, families=FAMS, client=client)
    pd.testing.assert_frame_equal(_metrics(on_dask), _metrics(serial), check_dtype=False)
    pd.testing.assert_frame_equal(recs_dask, features_table(recs, families=FAMS))


def test_small_fast_batch_never_starts_a_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pool(*a: object, **k: object) -> None:
        raise AssertionError("a pool was started for a batch worth less than its start-up")

    monkeypatch.setattr(multiprocessing, "get_context", no_pool)
    tasks = [{"path": str(i), "key": str(i), "n": i} for i in range(200)]
    got = dict(run_tasks(tasks, _square, workers=2))
    assert [got[i][0]["sq"] for i in range(200)] == [i * i for i in range(200)]
    assert batch.LAST_RUN == {"pool": False, "startup_s": None, "in_caller": 200, "in_workers": 0}


def test_caller_and_pool_together_finish_every_task_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(batch, "POOL_WORTH", 0.0)  # start the pool whatever the batch
    recs = [penmotor.synth.handwriting("ab cd", seed=s) for s in range(6)]
    df = features_table(recs, families=FAMS, workers=2)
    assert batch.LAST_RUN["pool"] and batch.LAST_RUN["in_caller"] + batch.LAST_RUN["in_workers"] == 6
    pd.testing.assert_frame_equal(df, features_table(recs, families=FAMS))


def _square(t: dict) -> list[dict]:
    return [{"sq": t["n"] ** 2}]


def test_task_function_bug_becomes_error_row() -> None:
    def bug(t: dict) -> list[dict]:
        raise ZeroDivisionError("oops")

    df = run_batch([{"path": "x.svc", "key": task_key("d", {})}], bug, item="recording")
    assert df["status"].tolist() == ["error"] and "internal error: ZeroDivisionError" in df["error"][0]
    assert df.attrs["failed"] == 1


def test_cli_exit_status_is_number_of_failures(corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad2 = tmp_path / "also_bad.pmr"
    bad2.write_bytes(b"nope")
    rc = main(["features", str(corpus), str(bad2), "--out", str(tmp_path / "o.csv"), "--families", "kinematics",
               "--no-progress"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "broken.pmr" in err and "also_bad.pmr" in err and "4 recording(s) scored, 2 failed" in err
