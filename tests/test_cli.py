"""The ``penmotor`` command: features, add, export, report, sessions, demo; exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import penmotor
from penmotor.cli import build_parser, main


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    d = tmp_path_factory.mktemp("cli")
    out = []
    for rec in penmotor.synth.child_sessions(3, child="C007", seed=11):
        p = d / f"{rec.meta['task']}_{rec.meta['session']}.pmr"
        penmotor.write(rec, p)
        out.append(p)
    return out


def test_features_prints_one_row_per_file(files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features", str(files[0]), str(files[1])]) == 0
    out = capsys.readouterr().out
    rows = [ln for ln in out.splitlines() if ln.startswith(str(files[0].parent))]
    assert len(rows) % 2 == 0 and rows[0].split()[0] == str(files[0]) and rows[1].split()[0] == str(files[1])
    assert "speed_mean (mm/s)" in out
    f = penmotor.features(penmotor.read(files[0]))
    mine = [r.split()[1:] for r in rows if r.split()[0] == str(files[0])]
    assert f"{f['speed_mean']:.4g}" in sum(mine, [])  # its value is in the file's own row


def test_features_one_file_prints_metric_unit_value(files: list[Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features", str(files[0])]) == 0
    lines = {ln.split()[0]: ln.split() for ln in capsys.readouterr().out.splitlines()[3:] if ln.strip()}
    assert lines["speed_mean"][1] == "mm/s"
    f = penmotor.features(penmotor.read(files[0]))
    assert float(lines["speed_mean"][2]) == pytest.approx(f["speed_mean"], rel=1e-3)


def test_features_csv_and_bad_file(files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.pmr"
    bad.write_bytes(b"nope")
    assert main(["features", "--csv", str(files[0]), str(bad)]) == 1
    cap = capsys.readouterr()
    assert "bad.pmr" in cap.err
    df = pd.read_csv(__import__("io").StringIO(cap.out), header=[0, 1])
    assert ("speed_mean", "mm/s") in df.columns
    status = dict(zip(df.iloc[:, 0], df.iloc[:, 2]))
    assert status == {str(files[0]): "ok", str(bad): "error"}


def test_add_export_report_sessions(files: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "p.db")
    assert main(["add", "C007", *map(str, files), "--store", db]) == 0
    assert f"{len(files)} added, 0 already stored, 0 failed" in capsys.readouterr().out
    assert main(["add", "C007", str(files[0]), "--store", db]) == 0
    assert "0 added, 1 already stored" in capsys.readouterr().out
    out_csv = tmp_path / "v.csv"
    assert main(["export", "C007", "--out", str(out_csv), "--store", db]) == 0
    assert "values to" in capsys.readouterr().out
    df = pd.read_csv(out_csv)
    assert set(df["child_id"]) == {"C007"} and df["session_id"].nunique() == len(files)
    html = tmp_path / "r.html"
    assert main(["report", "C007", "--out", str(html), "--store", db, "--retest-sd", "speed_mean=1.0",
                 "--retest-sd", "spiral:pressure_mean=0.02"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Report: {html.resolve()}" and out[1].startswith("Improved reliably:")
    assert html.stat().st_size > 10_000
    assert main(["sessions", "C007", "--store", db]) == 0
    assert capsys.readouterr().out.count("C007") == len(files)


def test_store_from_environment(files: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PENMOTOR_STORE", str(tmp_path / "env.db"))
    assert main(["add", "C007", str(files[0]), "-q"]) == 0
    assert (tmp_path / "env.db").is_file()


def test_add_reports_corrupt_files_and_exit_status(files: list[Path], tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.svc"
    bad.write_text("3\n1 2 3\n")
    rc = main(["add", "C007", str(bad), str(files[0]), "--store", str(tmp_path / "x.db")])
    cap = capsys.readouterr()
    assert rc == 1 and "broken.svc" in cap.err and "1 added, 0 already stored, 1 failed" in cap.out


def test_add_refuses_another_childs_recording(files: list[Path], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["add", "C099", str(files[0]), "--store", str(tmp_path / "y.db")])
    cap = capsys.readouterr()
    assert rc == 1 and "belongs to subject 'C007', not 'C099'" in cap.err and "0 added" in cap.out


@pytest.mark.parametrize("argv,match", [
    (["add", "Emma", "x.pmr"], "looks like a name"),
    (["report", "C1", "--retest-sd", "speed_mean"], "retest-sd"),
    (["export", "--out", "v.xlsx"], "no store at"),
    (["report", "C1"], "no store at"),
])
def test_usage_errors_exit_2(argv: list[str], match: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "--store", str(tmp_path / "e.db")]) == 2
    assert match in capsys.readouterr().err


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "demo" in capsys.readouterr().out


def test_optional_plugins_are_wired_when_present() -> None:
    p = build_parser()
    names = set(p._subparsers._group_actions[0].choices)  # noqa: SLF001
    assert {"demo", "features", "add", "export", "report", "sessions"} <= names
    for mod, cmd in (("penmotor.scan.cli", "scan"), ("penmotor_capture.cli", "capture")):
        try:
            m = __import__(mod, fromlist=["add_cli"])
        except ImportError:
            continue
        if hasattr(m, "add_cli"):
            assert cmd in names


@pytest.mark.slow
def test_penmotor_demo_command(tmp_path: Path) -> None:
    """`penmotor demo` as `make demo` runs it: prints where the report is and three summary lines."""
    exe = Path(sys.executable).with_name("penmotor")
    cmd = [str(exe)] if exe.is_file() else [sys.executable, "-m", "penmotor.cli"]
    proc = subprocess.run([*cmd, "demo", "--out", str(tmp_path / "demo")], capture_output=True, text=True,
                          timeout=600, env={**os.environ, "MPLBACKEND": "Agg"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == f"Report: {(tmp_path / 'demo' / 'report.html').resolve()}"
    assert lines[2].startswith("Improved reliably:") and lines[3].startswith("Got worse reliably:")
    assert lines[4].startswith("No reliable change:")
    assert "warning" not in proc.stderr
    assert (tmp_path / "demo" / "report.html").stat().st_size > 100_000
