"""Curious graphomotor CSV reader on small synthetic exports (no real data is public here)."""

from __future__ import annotations

import numpy as np
import pytest

import penmotor
from penmotor import FormatError, UnitsError
from penmotor.io.curious import curious_device, read_curious

SPIRAL_HEADER = "line_number,x,y,UTC_Timestamp,seconds,epoch_time_in_seconds_start\n"
TRAIL_HEADER = ("line_number,x,y,error,correct_path,actual_path,UTC_Timestamp,seconds,"
                "epoch_time_in_seconds_start,total_time,total_number_of_errors\n")


def spiral_csv(path, n=40, lines=2):
    """A synthetic Curious spiral: `lines` strokes of n samples, 10 ms apart."""
    th = np.linspace(0, 4 * np.pi, n * lines)
    x = 50 + 2 * th * np.cos(th)
    y = 50 + 2 * th * np.sin(th)
    t0 = 1686858474.5
    rows = [SPIRAL_HEADER]
    for i in range(n * lines):
        t = t0 + 0.01 * i + (0.2 if i >= n else 0.0)  # a 0.2 s lift between the lines
        rows.append(f"{i // n},{float(x[i])!r},{float(y[i])!r},{float(t)!r},{t - t0:.3f},{t0 if i == 0 else ''}\n")
    path.write_text("".join(rows))
    return path, x, y


def test_units_required(tmp_path):
    p, _, _ = spiral_csv(tmp_path / "[5123456]abc-spiral_trace1_Dom.csv")
    with pytest.raises(UnitsError, match="curious_device"):
        penmotor.read(p)


def test_spiral_units_strokes_and_meta(tmp_path):
    p, x, y = spiral_csv(tmp_path / "[5123456]abc-spiral_trace1_Dom.csv")
    rec = penmotor.read(p, device=curious_device(150.0))  # 150 mm wide drawing area
    assert rec.meta["subject"] == "5123456" and rec.meta["hand"] == "Dom"
    assert rec.meta["task"] == "spiral_trace1" and rec.meta["pen_up_inserted"] == 1
    assert rec.meta["date"].startswith("2023-06-15")
    assert rec.n_strokes == 2 and len(rec) == 81
    d = rec.pen_down
    np.testing.assert_allclose(rec.x[d], x * 1.5)  # 0..100 -> 0..150 mm
    np.testing.assert_allclose(rec.y[d], -y * 1.5)  # screen y down -> up
    # the inserted lift sits at the end of the first line, half-way in time
    i = int(np.flatnonzero(~d)[0])
    assert i == 40 and rec.x[i] == rec.x[i - 1]
    np.testing.assert_allclose(rec.t[i], (rec.t[i - 1] + rec.t[i + 1]) / 2)
    assert rec.raw["line_number"][i] == -1
    np.testing.assert_allclose(rec.t[-1], 0.01 * 79 + 0.2, atol=1e-6)


def test_trail_making_columns(tmp_path):
    p = tmp_path / "[5000000]648b-trail4.csv"
    p.write_text(
        TRAIL_HEADER
        + "0,46.3,55.9,E0,1 ~ A,1 ~ A,1686858474.596,0.0,1686858474.596,149.519,1.0\n"
        + "0,46.2,56.0,E0,1 ~ A,1 ~ A,1686858474.602,0.006,,,\n"
        + "1,47.0,50.0,E1,A ~ 2,A ~ 3,1686858475.000,0.404,,,\n"
    )
    rec = read_curious(p, device=curious_device(200.0, 120.0))
    assert rec.meta["total_time"] == 149.519 and rec.meta["total_number_of_errors"] == 1.0
    assert rec.raw["error"].tolist() == ["E0", "E0", "", "E1"]
    assert rec.meta["task"] == "trail4"
    np.testing.assert_allclose(rec.y[0], -55.9 * 1.2)


@pytest.mark.parametrize(
    "content, line, field",
    [
        ("x,y,UTC_Timestamp\n1,2,3\n", 1, "line_number"),
        ("line_number,x,y\n0,1,2\n", 1, "UTC_Timestamp"),
        (SPIRAL_HEADER, 2, None),
        (SPIRAL_HEADER + "0,1,2,10.0,0,\n0,abc,2,10.1,0.1,\n", 3, "x"),
        (SPIRAL_HEADER + "0,1,2,10.0,0,\n\n0,1,2,nan,0.1,\n", 4, "UTC_Timestamp"),
        (SPIRAL_HEADER + "0,1,2,10.0,0,\n0,1,2,10.1,0.1,,,,\n", 3, None),
    ],
)
def test_bad_input(tmp_path, content, line, field):
    p = tmp_path / "a.csv"
    p.write_text(content)
    with pytest.raises(FormatError) as ei:
        read_curious(p, device=curious_device(100.0))
    assert ei.value.line == line and ei.value.field == field and ei.value.path == str(p)
