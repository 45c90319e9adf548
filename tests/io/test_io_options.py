"""One set of reader flags on ``features``, ``add`` and ``scan``; errors that name the flag."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import penmotor
from penmotor import ParameterError, UnitsError
from penmotor.cli import build_parser, main
from penmotor.io.options import FLAGS, add_reader_arguments, explain, reader_kwargs, scan_kwargs

RES = 200.0  # lines per mm of the synthetic tablet
PMAX = 1023.0


def svc_file(path: Path, rec: penmotor.Recording) -> Path:
    """`rec` written as an SVC file in BDALab column order (x, y, t, pen, az, alt, p), raw units."""
    p = np.nan_to_num(rec.pressure, nan=0.0)
    rows = np.column_stack([np.round(rec.x * RES), np.round(rec.y * RES), np.round(rec.t * 1000),
                            rec.pen_down.astype(int), np.zeros(len(rec)), np.full(len(rec), 900),
                            np.round(p * PMAX)]).astype(np.int64)
    path.write_text(f"{len(rec)}\n" + "\n".join(" ".join(map(str, r)) for r in rows) + "\n")
    return path


@pytest.fixture(scope="module")
def rec() -> penmotor.Recording:
    return penmotor.synth.handwriting("sun", seed=3)


@pytest.fixture()
def svc(tmp_path: Path, rec: penmotor.Recording) -> Path:
    return svc_file(tmp_path / "session1.svc", rec)  # not named like PaHaW: columns are needed


def subparser(name: str) -> argparse.ArgumentParser:
    sub = build_parser()._subparsers._group_actions[0]  # type: ignore[attr-defined]
    return sub.choices[name]


def flags_of(p: argparse.ArgumentParser) -> set[str]:
    return {o for a in p._actions for o in a.option_strings}


def test_same_flags_on_every_command_where_they_apply() -> None:
    online = {"--format", "--columns", "--device", "--resolution", "--pressure-max", "--screen-mm"}
    scans = {"--dpi", "--force-dpi"}
    assert online <= flags_of(subparser("features")) and not scans & flags_of(subparser("features"))
    assert online | scans <= flags_of(subparser("add"))
    assert scans <= flags_of(subparser("scan")) and not online & flags_of(subparser("scan"))
    assert set(FLAGS.values()) == online | scans


def test_flags_map_to_the_library_keywords(svc: Path, rec: penmotor.Recording) -> None:
    a = subparser("features").parse_args(["x.svc", "--columns", "bdalab", "--resolution", str(RES),
                                          "--pressure-max", str(PMAX)])
    got = penmotor.read(svc, **reader_kwargs(a))
    assert np.allclose(got.x, rec.x, atol=0.5 / RES) and np.allclose(got.y, rec.y, atol=0.5 / RES)
    assert np.nanmax(got.pressure) == pytest.approx(np.nanmax(rec.pressure), abs=1 / PMAX)
    # a list of names is the same as the preset
    b = subparser("features").parse_args(["x.svc", "--columns", "x, y, t, pen, azimuth, altitude, pressure",
                                          "--device", "wacom-intuos4"])
    kw = reader_kwargs(b)
    assert kw == {"columns": ["x", "y", "t", "pen", "azimuth", "altitude", "pressure"], "device": "wacom-intuos4"}
    assert np.allclose(penmotor.read(svc, **kw).x, got.x)
    # a preset with one field overridden keeps the others
    c = reader_kwargs(argparse.Namespace(device="wacom-intuos4", resolution=100.0))
    assert c["device"].x_resolution == 100.0 and c["device"].pressure_range == (0.0, 2047.0)
    assert scan_kwargs(argparse.Namespace(dpi=None, force_dpi=600.0)) == {"force_dpi": 600.0}


def test_contradicting_flags_are_a_usage_error() -> None:
    with pytest.raises(ParameterError, match="--screen-mm"):
        reader_kwargs(argparse.Namespace(screen_mm=[150.0, 100.0], device="pahaw"))
    with pytest.raises(ValueError):
        add_reader_arguments(argparse.ArgumentParser(), formats=("papyrus",))


def test_features_error_names_the_flag_not_the_keyword(svc: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["features", str(svc)]) == 1
    err = capsys.readouterr().err
    assert "--columns" in err and "columns=" not in err
    assert main(["features", str(svc), "--columns", "bdalab"]) == 1
    err = capsys.readouterr().err
    assert "--device" in err and "--resolution" in err and "device=" not in err
    assert main(["features", str(svc), "--columns", "bdalab", "--resolution", "200"]) == 1
    err = capsys.readouterr().err
    assert "--pressure-max" in err and "pressure_range" not in err
    assert main(["features", str(svc), "--columns", "bdalab", "--resolution", "200",
                 "--pressure-max", "1023", "--csv"]) == 0
    assert "speed_mean" in capsys.readouterr().out
    # the library's own message stays about Python calls
    with pytest.raises(ParameterError, match="pass columns="):
        penmotor.read(svc)


def test_curious_screen_size_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "[C001]x-spiral_trace1_Dom.csv"
    th = np.linspace(0, 4 * np.pi, 300)
    rows = [f"{i // 150},{50 + 2 * a * np.cos(a):.3f},{50 + 2 * a * np.sin(a):.3f},{100 + i * 0.01:.3f},{i * 0.01:.3f}"
            for i, a in enumerate(th)]
    p.write_text('"line_number","x","y","UTC_Timestamp","seconds"\n' + "\n".join(rows) + "\n")
    assert main(["features", str(p), "--csv"]) == 1
    err = capsys.readouterr().err
    assert "--screen-mm WIDTH HEIGHT" in err and "curious_device" not in err
    assert main(["features", str(p), "--screen-mm", "150", "100", "--csv"]) == 0
    with pytest.raises(UnitsError, match="screen_mm="):
        penmotor.read(p)
    r = penmotor.read(p, screen_mm=(150, 100))
    assert r.x.max() == pytest.approx(1.5 * (50 + 8 * np.pi * np.cos(4 * np.pi)), abs=0.01)


def test_unknown_format_and_preset_name_the_flag(svc: Path) -> None:
    with pytest.raises(ParameterError) as ei:
        penmotor.read(svc, format="svg")
    assert explain(ei.value).startswith("format: unknown 'svg'; use --format, one of")
    with pytest.raises(ParameterError) as ei:
        penmotor.read(svc, columns="bdalab", device="wacom-intuos9")
    assert "use --device, one of" in explain(ei.value) and "wacom-intuos4" in explain(ei.value)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("pages")
    img = penmotor.render(penmotor.synth.handwriting("big dog", seed=2), dpi=150)
    stated = d / "stated.png"
    Image.fromarray(img).save(stated, dpi=(150, 150))
    bare = d / "bare.png"
    Image.fromarray(img).save(bare)
    return stated, bare


def test_add_dpi_is_a_fallback_and_force_dpi_overrides(pages: tuple[Path, Path], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from penmotor.progress.store import open_store

    stated, bare = pages

    def x_height(name: str) -> float:
        with open_store(str(tmp_path / f"{name}.db")) as s:
            return float(s.values(metric="x_height")["value"].iloc[0])

    # a file without a stated resolution: an error naming --dpi, then accepted with it
    assert main(["add", "C001", str(bare), "--store", str(tmp_path / "a.db"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "use --dpi N" in err and "dpi=" not in err
    assert main(["add", "C001", str(bare), "--store", str(tmp_path / "a.db"), "-q", "--dpi", "150"]) == 0
    # the file states 150 dpi: --dpi 300 leaves it alone (same x-height), --force-dpi 300 halves it
    assert main(["add", "C001", str(stated), "--store", str(tmp_path / "b.db"), "-q", "--dpi", "300"]) == 0
    assert main(["add", "C001", str(stated), "--store", str(tmp_path / "c.db"), "-q", "--force-dpi", "300"]) == 0
    assert x_height("b") == pytest.approx(x_height("a"))
    # (the pipeline adapts to the dpi it is told, so half the scale is not exactly half the value)
    assert x_height("c") == pytest.approx(x_height("a") / 2, rel=0.1)
