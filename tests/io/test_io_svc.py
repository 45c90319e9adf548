"""SVC reader: column presets, count line, units, bad input, and the real PaHaW files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import penmotor
from penmotor import FormatError, ParameterError, UnitsError
from penmotor.io.svc import read_svc

ROWS = [
    (100, 400, 1000, 1, 900, 450, 512),
    (110, 420, 1008, 1, 900, 450, 1024),
    (120, 440, 1015, 0, 900, 450, 0),
]


def write_svc(path: Path, rows=ROWS, count=None, extra: str = "") -> Path:
    lines = [str(len(rows) if count is None else count)]
    lines += [" ".join(str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n" + extra)
    return path


def path_speed(rec: penmotor.Recording) -> float:
    """Pen-down path length / pen-down time from raw differences (mm/s)."""
    d = rec.pen_down
    ok = d[1:] & d[:-1] & (np.diff(rec.t) > 0)
    step = np.hypot(np.diff(rec.x), np.diff(rec.y))[ok]
    return float(step.sum() / np.diff(rec.t)[ok].sum())


# ----------------------------------------------------------------- synthetic files
def test_bdalab_order_and_units(tmp_path):
    rec = read_svc(write_svc(tmp_path / "a.svc"), columns="bdalab", device="wacom-intuos4")
    np.testing.assert_allclose(rec.x, [0.5, 0.55, 0.6])  # 100/200 mm
    np.testing.assert_allclose(rec.y, [2.0, 2.1, 2.2])
    np.testing.assert_allclose(rec.t, [0.0, 0.008, 0.015])
    np.testing.assert_allclose(rec.pressure, [512 / 2047, 1024 / 2047, 0.0])
    assert rec.pen_down.tolist() == [True, True, False]
    np.testing.assert_allclose(rec.extra["azimuth"], 90.0)
    np.testing.assert_allclose(rec.extra["altitude"], 45.0)
    assert rec.raw["x"].tolist() == [100, 110, 120]


def test_pahaw_order_swaps_x_and_y(tmp_path):
    p = write_svc(tmp_path / "a.svc")
    a = read_svc(p, columns="bdalab", device="wacom-intuos4")
    b = read_svc(p, columns="pahaw", device="wacom-intuos4")
    np.testing.assert_array_equal(a.x, b.y)
    np.testing.assert_array_equal(a.y, b.x)


def test_column_list_and_aliases(tmp_path):
    p = write_svc(tmp_path / "a.svc")
    rec = read_svc(p, columns=["x", "y", "t_ms", "button", "azimuth", "altitude", "pressure"],
                   device="wacom-intuos4")
    assert rec.pen_down.tolist() == [True, True, False]
    rec2 = penmotor.read(p, columns=["x", "y", "t", "pen", "azimuth", "altitude", "pressure"],
                         device="wacom-intuos4")
    np.testing.assert_array_equal(rec.x, rec2.x)


def test_columns_required_unless_pahaw_name(tmp_path):
    p = write_svc(tmp_path / "a.svc")
    with pytest.raises(ParameterError, match="columns"):
        penmotor.read(p, device="wacom-intuos4")
    q = write_svc(tmp_path / "00001_w.cz.fnusa.1_1.svc")
    rec = penmotor.read(q)  # PaHaW naming: pahaw order and the pahaw device preset
    assert rec.meta["columns_from"].startswith("file name")
    assert rec.meta["subject"] == "00001" and rec.meta["task"] == "spiral"
    assert rec.device.name.startswith("PaHaW")
    np.testing.assert_allclose(rec.x, np.array([400, 420, 440]) / 40.0)


@pytest.mark.parametrize("bad", ["nope", ["x", "y"], ["x", "x", "t", "a", "b", "c", "d"], 5])
def test_bad_columns(tmp_path, bad):
    with pytest.raises(ParameterError, match="columns"):
        read_svc(write_svc(tmp_path / "a.svc"), columns=bad, device="wacom-intuos4")


def test_units_needed(tmp_path):
    with pytest.raises(UnitsError, match="device"):
        read_svc(write_svc(tmp_path / "a.svc"), columns="bdalab")


@pytest.mark.parametrize(
    "content, line, field, match",
    [
        ("", 1, None, "empty"),
        ("abc\n1 2 3 4 5 6 7\n", 1, "count", "number of samples"),
        ("2\n1 2 3 1 5 6 7\n", 1, "count", "count line says 2"),  # truncated
        ("1\n1 2 3 1 5 6 7\n1 2 4 1 5 6 7\n", 1, "count", "count line says 1"),
        ("2\n1 2 3 1 5 6 7\n1 2 4 1 5 6\n", 3, "pressure", "expected 7 fields"),
        ("2\n1 2 3 1 5 6 7\n1 2 4 1 5 6 7 8\n", 3, None, "expected 7 fields"),
        ("2\n1 2 3 1 5 6 7\n1 two 4 1 5 6 7\n", 3, "y", "not a number"),
        ("2\n1 2 3 1 5 6 7\n1 2 nan 1 5 6 7\n", 3, "t", "non-finite"),
        ("2\n1 2 3 1 5 6 7\n1 2 4 1 5 6 inf\n", 3, "pressure", "non-finite"),
        ("0\n", 1, "count", "0 samples"),
        ("-3\n1 2 3 1 5 6 7\n", 1, "count", "number of samples"),
    ],
)
def test_bad_input_names_line_and_field(tmp_path, content, line, field, match):
    p = tmp_path / "bad.svc"
    p.write_text(content)
    with pytest.raises(FormatError, match=match) as ei:
        read_svc(p, columns="bdalab", device="wacom-intuos4")
    assert ei.value.path == str(p)
    assert ei.value.line == line
    assert ei.value.field == field


def test_huge_sparse_file_not_read(tmp_path):
    p = tmp_path / "huge.svc"
    with open(p, "wb") as fh:
        fh.write(b"5\n1 2 3 1 5 6 7\n")
        fh.truncate(2**31)
    with pytest.raises(FormatError, match="max_bytes"):
        read_svc(p, columns="bdalab", device="wacom-intuos4")
    # even with the limit lifted, the count line says it cannot be 2 GB of samples
    with pytest.raises(FormatError, match="far more than") as ei:
        read_svc(p, columns="bdalab", device="wacom-intuos4", max_bytes=None)
    assert ei.value.line == 1 and ei.value.field == "count"


def test_max_bytes_option(tmp_path):
    p = write_svc(tmp_path / "a.svc")
    with pytest.raises(FormatError, match="max_bytes=10"):
        read_svc(p, columns="bdalab", device="wacom-intuos4", max_bytes=10)
    with pytest.raises(ParameterError, match="max_bytes"):
        read_svc(p, columns="bdalab", device="wacom-intuos4", max_bytes=-1)


def test_crlf_and_blank_lines(tmp_path):
    p = tmp_path / "a.svc"
    p.write_bytes(b"2\r\n1 2 3 1 5 6 7\r\n\r\n1 2 4 1 5 6 7\r\n")
    rec = read_svc(p, columns="bdalab", device="wacom-intuos4")
    assert len(rec) == 2


def test_out_of_order_timestamps_follow_policy(tmp_path):
    rows = [(0, 0, 10, 1, 0, 900, 5), (2, 0, 30, 1, 0, 900, 5), (1, 0, 20, 1, 0, 900, 5),
            (1, 0, 20, 1, 0, 900, 5)]
    rec = read_svc(write_svc(tmp_path / "a.svc", rows), columns="bdalab", device="wacom-intuos4")
    assert rec.timing.reordered == 1 and rec.timing.duplicates_merged == 1
    assert np.all(np.diff(rec.t) >= 0) and len(rec) == 3


def test_sniffed_without_extension(tmp_path):
    p = write_svc(tmp_path / "recording.dat")
    rec = penmotor.read(p, columns="bdalab", device="wacom-intuos4")
    assert len(rec) == 3


# ----------------------------------------------------------------- real PaHaW data
@pytest.fixture(scope="module")
def pahaw(shared_data):
    files = sorted((shared_data / "pahaw").glob("*/*.svc"))
    assert len(files) >= 100
    return {f: penmotor.read(f) for f in files}


def test_all_pahaw_files_load(pahaw):
    for f, rec in pahaw.items():
        n = int(f.read_text().split("\n", 1)[0])
        assert len(rec) + rec.timing.duplicates_merged == n
        assert rec.device.x_resolution == 40.0
        assert rec.t[0] == 0 and np.all(np.diff(rec.t) >= 0)
        assert 0 <= np.nanmin(rec.pressure) and np.nanmax(rec.pressure) <= 1
        assert rec.meta["group"] in ("control", "parkinson")
        # the whole template fits the Intuos4 M active area (223.5 x 139.7 mm)
        d = rec.pen_down
        assert 0 < rec.x[d].min() and rec.x[d].max() < 223.5
        assert 0 < rec.y[d].min() and rec.y[d].max() < 139.7


def test_pahaw_interval_is_7_to_8_ms_not_5(pahaw):
    dt = np.concatenate([np.diff(r.t) for r in pahaw.values()])
    dt = dt[(dt > 0) & (dt < 0.05)]
    assert 0.0070 < dt.mean() < 0.0080
    assert set(np.round(np.percentile(dt, [5, 95]) * 1000).astype(int)) <= {7, 8}


def test_pahaw_spiral_extent_and_speed_plausible(pahaw):
    spirals = [r for r in pahaw.values() if r.meta["task_number"] == 1]
    assert len(spirals) == 4
    for r in spirals:
        d = r.pen_down
        w, h = np.ptp(r.x[d]), np.ptp(r.y[d])
        assert 50 < w < 100 and 50 < h < 100, (w, h)  # a hand-drawn spiral in a box on paper
        assert 20 < path_speed(r) < 70


def test_pahaw_writing_speed_plausible(pahaw):
    by_subject: dict[str, list[float]] = {}
    for r in pahaw.values():
        if 2 <= r.meta["task_number"] <= 9:
            by_subject.setdefault(r.meta["subject"], []).append(path_speed(r))
    assert len(by_subject) == 4
    means = {s: float(np.mean(v)) for s, v in by_subject.items()}
    for s, v in means.items():
        assert 8 < v < 60, (s, v)  # adult handwriting, older writers and PD at the slow end
    # healthy controls write faster than the PD-male subject (bradykinesia)
    assert means["00026"] > means["00009"] and means["00027"] > means["00009"]


def test_pahaw_letter_height_plausible(pahaw):
    for r in pahaw.values():
        if r.meta["task_number"] == 3:  # the letter "l"
            d = r.pen_down
            assert 4 < np.ptp(r.y[d]) < 15


def test_pahaw_wacom_preset_as_contract(shared_data):
    f = next((shared_data / "pahaw").glob("HC-male/*.svc"))
    rec = penmotor.read(f, columns="pahaw", device="wacom-intuos4")
    raw = penmotor.read(f)
    np.testing.assert_allclose(rec.x * 200.0, raw.x * 40.0)
