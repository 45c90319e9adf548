"""UCI spiral reader: one Recording per test id, screen-pixel units, real files."""

from __future__ import annotations

import numpy as np
import pytest

import penmotor
from penmotor import FormatError, ParameterError
from penmotor.io.uci import read_uci


def write_uci(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(";".join(str(v) for v in r) + "\n" for r in rows))
    return path


ROWS = [
    (200, 204, 0, 73, 910, 1000, 0),
    (249, 204, 0, 218, 900, 1007, 0),
    (298, 204, 0, 0, 900, 1014, 0),
    (100, 100, 0, 300, 900, 5000, 1),
    (101, 100, 0, 300, 900, 5009, 1),
    (150, 150, 12, 0, 900, 9000, 2),
]


def test_one_recording_per_test_id(tmp_path):
    recs = penmotor.read(write_uci(tmp_path / "parkinson" / "P_0001.txt", ROWS))
    assert isinstance(recs, list) and len(recs) == 3
    assert [r.meta["task"] for r in recs] == ["static_spiral", "dynamic_spiral", "circle"]
    assert [r.meta["test_id"] for r in recs] == [0, 1, 2]
    assert all(r.meta["subject"] == "P_0001" and r.meta["group"] == "parkinson" for r in recs)
    r0 = recs[0]
    np.testing.assert_allclose(np.diff(r0.x), 49 / (1280 / 261.1))  # 49 px = 10 mm
    assert r0.pen_down.tolist() == [True, True, False]  # pressure 0 = in the air
    np.testing.assert_allclose(r0.pressure, [73 / 1023, 218 / 1023, 0])
    assert r0.raw["z"].tolist() == [0, 0, 0] and r0.raw["grip_angle"].tolist() == [910, 900, 900]
    np.testing.assert_allclose(recs[1].t, [0, 0.009])


def test_y_is_flipped_upward(tmp_path):
    rows = [(0, 0, 0, 10, 0, 0, 0), (0, 49, 0, 10, 0, 7, 0)]  # screen: second sample lower
    (rec,) = read_uci(write_uci(tmp_path / "C_1.txt", rows))
    assert rec.y[1] < rec.y[0]
    assert "group" not in rec.meta


def test_interleaved_test_ids_keep_file_order(tmp_path):
    rows = [(1, 0, 0, 5, 0, 0, 1), (2, 0, 0, 5, 0, 0, 0), (3, 0, 0, 5, 0, 7, 1), (4, 0, 0, 5, 0, 7, 0)]
    a, b = read_uci(write_uci(tmp_path / "C_1.txt", rows))
    assert a.raw["x"].tolist() == [2, 4] and b.raw["x"].tolist() == [1, 3]


@pytest.mark.parametrize(
    "content, line, field",
    [
        ("1;2;3;4;5;6;0\n1;2;3;4;5;6\n", 2, "test_id"),
        ("1;2;3;4;5;6;0\n1;2;x;4;5;6;0\n", 2, "z"),
        ("1;2;3;4;5;6;0\n\n1;2;3;nan;5;6;0\n", 3, "pressure"),
        ("1;2;3;4;5;6;0.5\n", 1, "test_id"),
        ("\n\n", 1, None),
    ],
)
def test_bad_input(tmp_path, content, line, field):
    p = tmp_path / "C_1.txt"
    p.write_text(content)
    with pytest.raises(FormatError) as ei:
        read_uci(p)
    assert ei.value.line == line and ei.value.field == field and ei.value.path == str(p)


def test_columns_rejected(tmp_path):
    with pytest.raises(ParameterError, match="columns"):
        penmotor.read(write_uci(tmp_path / "C_1.txt", ROWS), columns="pahaw")


@pytest.fixture(scope="module")
def uci(shared_data):
    files = sorted((shared_data / "uci_spiral").glob("*/*.txt"))
    files = [f for f in files if f.name != "readme.txt"]
    assert len(files) == 77
    return {f: penmotor.read(f) for f in files}


def test_all_uci_files_load(uci):
    n_total = 0
    for f, recs in uci.items():
        n_lines = sum(1 for line in f.read_text().splitlines() if line.strip())
        assert sum(len(r) + r.timing.duplicates_merged - r.timing.glitches for r in recs) == n_lines
        n_total += n_lines
        assert 1 <= len(recs) <= 3
        for r in recs:
            assert r.meta["group"] == f.parent.name
            assert r.meta["task"] in ("static_spiral", "dynamic_spiral", "circle")
            # everything lies on the 261 x 163 mm screen
            assert np.ptp(r.x) < 262 and np.ptp(r.y) < 164
    assert n_total == 524743


def test_uci_spirals_plausible_in_mm(uci):
    widths, speeds, dts = [], [], []
    for recs in uci.values():
        for r in recs:
            dts.append(np.diff(r.t))
            if r.meta["task"] != "static_spiral":
                continue
            d = r.pen_down
            widths.append(np.ptp(r.x[d]))
            ok = d[1:] & d[:-1] & (np.diff(r.t) > 0)
            speeds.append(np.hypot(np.diff(r.x), np.diff(r.y))[ok].sum() / np.diff(r.t)[ok].sum())
    w = np.median(widths)
    assert 60 < w < 100, w  # the printed spiral is ~75 mm across
    assert 5 < np.median(speeds) < 60
    dt = np.concatenate(dts)
    dt = dt[(dt > 0) & (dt < 0.05)]
    assert 0.007 <= dt.mean() < 0.0085  # ~7.8 ms, not the nominal 5 ms
