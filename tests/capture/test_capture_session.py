"""Capture session logic without a window: attempts, recovery, templates, mapping (the journal: test_capture_journal)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor.errors import ParameterError, UnitsError

pytest.importorskip("penmotor_capture")
from penmotor_capture import AbsInfo, DeviceInfo, empty_samples  # noqa: E402
from penmotor_capture.convert import split_attempts, to_recording  # noqa: E402
from penmotor_capture.journal import read_journal  # noqa: E402
from penmotor_capture.session import Session, build_recording, recover  # noqa: E402
from penmotor_capture.templates import ScreenMapping, make_template  # noqa: E402

INFO = DeviceInfo("Test pen", {0: AbsInfo(0, 20000, resolution=100), 1: AbsInfo(0, 10000, resolution=100),
                               0x18: AbsInfo(0, 1023)}, {0x140, 0x14A})


def _samples(n, *, contact=None, t0=0):
    s = empty_samples(n)
    s["t_us"] = t0 + np.arange(n) * 4000
    s["x"] = np.arange(n) * 10.0
    s["y"] = 500.0
    s["pressure"] = 100.0
    s["in_range"] = True
    s["contact"] = True if contact is None else contact
    return s


def test_session_attempts_redo_pause(tmp_path):
    ses = Session(tmp_path / "s.pmr", INFO, child="C001", tasks=["lines", "spiral"])
    ses.accept(_samples(3))
    ses.redo()
    ses.accept(_samples(2, t0=100_000))
    ses.set_paused(True)
    assert ses.accept(_samples(4, t0=200_000)).size == 0
    ses.set_paused(False)
    assert ses.next_task() and not ses.next_task()
    ses.accept(_samples(5, t0=300_000))
    rec = ses.recording()
    assert len(rec) == 10
    assert rec.extra["attempt"].tolist() == [0] * 3 + [1] * 2 + [2] * 5
    att = rec.meta["attempts"]
    assert [(a["task"], a["redone"], a["redo_of"]) for a in att] == [
        ("lines", True, None), ("lines", False, 0), ("spiral", False, None)]
    assert rec.meta["subject"] == "C001" and rec.meta["capture"]["rejected_while_paused"] == 4
    parts = split_attempts(rec)
    assert [len(p) for p in parts] == [3, 2, 5] and parts[2].meta["task"] == "spiral"
    assert parts[0].meta["redone"] is True
    ses.close()
    # the journal rebuilds the same recording
    rec2 = build_recording(read_journal(tmp_path / "s.pmr"))
    assert rec2 == rec and rec2.meta["attempts"] == att


def test_session_guards(tmp_path):
    with pytest.raises(ParameterError, match="pseudonymous"):
        Session(tmp_path / "a.pmr", INFO, child="Jane Doe")
    with pytest.raises(ParameterError, match="unknown task"):
        Session(tmp_path / "a.pmr", INFO, child="C1", tasks=["dance"])
    ses = Session(tmp_path / "a.pmr", INFO, child="C1")
    ses.close(saved=False)
    with pytest.raises(ParameterError, match="unfinished journal"):
        Session(tmp_path / "a.pmr", INFO, child="C1")


def test_recover_without_writing(tmp_path):
    ses = Session(tmp_path / "s.pmr", INFO, child="C9", tasks=["free"])
    s = _samples(7, contact=[False, True, True, True, False, True, True])
    ses.accept(s)
    ses.journal.sync()
    # crash: no close. Recovery yields every journaled sample, in device units -> mm
    rec, files = recover(tmp_path / "s.pmr", write=False)
    assert files == [] and len(rec) == 7
    assert rec.x == pytest.approx(s["x"] / 100) and rec.pen_down.tolist() == s["contact"].tolist()
    assert rec.meta["capture"]["recovered"] is True


def test_to_recording_units_and_unknown_resolution():
    s = _samples(3)
    s["tilt_x"] = s["tilt_y"] = np.nan
    rec = to_recording(s, INFO)
    assert rec.pressure == pytest.approx([100 / 1023] * 3)
    assert rec.y == pytest.approx([-5.0] * 3)
    assert np.isnan(rec.tilt_x).all()
    with pytest.raises(UnitsError, match="no x/y resolution"):
        to_recording(s, DeviceInfo("Mystery tablet", {0: AbsInfo(0, 100), 1: AbsInfo(0, 100)}))


def test_templates_geometry():
    t = make_template("lines", (200, 150), x_height_mm=7)
    ys = {s: sorted({float(p[0, 1]) for p, st_ in t.lines if st_ == s}) for s in ("base", "mid", "top")}
    assert np.allclose(np.subtract(ys["base"], ys["mid"]), 7)
    assert np.allclose(np.subtract(ys["mid"], ys["top"]), 7)
    assert len(ys["base"]) >= 3 and max(ys["base"]) <= 150
    sp = make_template("spiral", (200, 150), spiral_turns=2, spiral_tightness_mm_per_rad=3)
    pts = sp.lines[0][0] - np.array(sp.params["center_mm"])
    r, th = np.hypot(*pts.T), np.unwrap(np.arctan2(pts[:, 1], pts[:, 0]))
    assert r == pytest.approx(3 * th, abs=1e-6)  # Archimedean r = b theta
    se = make_template("sentence", (200, 150), sentence="a b c")
    assert se.texts[0][3] == "a b c"
    assert make_template("free", (200, 150)).lines == []
    with pytest.raises(ParameterError, match="unknown template"):
        make_template("maze", (1, 1))


@settings(max_examples=30)
@given(st.floats(100, 3000), st.floats(100, 3000), st.sampled_from(["full", "aspect"]))
def test_mapping_covers_window(w, h, mode):
    m = ScreenMapping((400, 400, 59152, 33448), (int(w), int(h)), mode=mode)
    px = m.to_px([400, 59152], [400, 33448])
    assert px.min() >= -1e-6 and px[:, 0].max() <= int(w) + 1e-6 and px[:, 1].max() <= int(h) + 1e-6
    if mode == "full":
        assert px[1] == pytest.approx([int(w), int(h)])
    else:
        span = px[1] - px[0]
        assert span[0] / span[1] == pytest.approx((59152 - 400) / (33448 - 400))
        assert min(abs(span[0] - int(w)), abs(span[1] - int(h))) < 1e-6  # touches one side
