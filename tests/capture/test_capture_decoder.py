"""The evdev decoder and the evemu reader: real recordings, reference model, properties."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from penmotor.errors import FormatError

pytest.importorskip("penmotor_capture")
from penmotor_capture import Decoder, decode, parse_evemu, read_evemu  # noqa: E402
from penmotor_capture.convert import to_recording  # noqa: E402
from penmotor_capture.events import (  # noqa: E402
    ABS_DISTANCE, ABS_PRESSURE, ABS_TILT_X, ABS_X, ABS_Y, BTN_STYLUS, BTN_STYLUS2, BTN_TOOL_PEN,
    BTN_TOOL_RUBBER, BTN_TOUCH, EV_ABS, EV_KEY, EV_MSC, EV_SYN, PEN_TOOLS, SYN_DROPPED, SYN_REPORT, TOOL_KEYS,
)

FILES = {
    # file: (strokes, eraser strokes, max raw pressure, has tilt)
    "wacom_intuos4_6x9.stylus-drag.events": (1, 0, 2047, True),
    "wacom_intuos4_6x9.stylus-move.events": (0, 0, 0, True),
    "wacom_intuos4_6x9.stylus-tap.events": (1, 0, 2047, True),
    "wacom_cintiq13hd_touch_pen.evemu": (2, 0, 1267, True),
    "wacom_cintiq12wx_pen.evemu": (2, 1, 765, True),
    "uclogic_wp5540u_pen.evemu": (1, 0, 451, False),
}


def _text_counts(path):
    """Independent count from the text: SYN_REPORT frames, prox-out frames, BTN_TOUCH presses."""
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.startswith("E:")]
    frames = sum(1 for p in lines if p[2] == "0000" and p[3] == "0000")
    prox_out = sum(1 for p in lines if p[2] == "0001" and int(p[3], 16) in PEN_TOOLS and int(p[4]) == 0)
    touches = sum(1 for p in lines if p[2] == "0001" and int(p[3], 16) == BTN_TOUCH and int(p[4]) == 1)
    return frames, prox_out, touches


def _runs(mask):
    m = np.r_[0, np.asarray(mask, np.int8), 0]
    return int((np.diff(m) == 1).sum())


@pytest.mark.parametrize("name", sorted(FILES))
def test_every_recording_decodes(evemu_dir, name):
    strokes, eraser_strokes, pmax, has_tilt = FILES[name]
    path = evemu_dir / name
    s = read_evemu(path)
    out = Decoder.for_device(s.info).feed(s.t_us, s.type, s.code, s.value)
    frames, prox_out, touches = _text_counts(path)
    # one sample per frame, except the frames where the pen leaves range
    assert len(out) == frames - prox_out
    assert _runs(out["contact"]) == strokes == touches
    assert _runs(out["contact"] & out["eraser"]) == eraser_strokes
    assert np.all(np.diff(out["t_us"]) >= 0)
    if pmax:
        assert np.nanmax(out["pressure"]) == pmax
        assert np.nanmin(out["pressure"]) == 0
    else:  # hover only: the pressure axis never reports, so it stays NaN (never made up)
        assert np.isnan(out["pressure"]).all()
    if strokes:
        assert (~out["contact"]).any(), "hover before/after the strokes"
        # pressure during contact is positive except at the frames around touch-down/up
        assert np.median(out["pressure"][out["contact"]]) > 0
    assert np.isfinite(out["tilt_x"]).all() == has_tilt
    rec = to_recording(out, s.info)
    assert len(rec) == len(out)
    # eraser contacts are not ink: they leave the strokes and are counted on their own
    assert rec.n_strokes == strokes - eraser_strokes
    assert np.array_equal(rec.pen_down, out["contact"] & ~out["eraser"])
    assert _runs(rec.extra["eraser_down"] > 0) == eraser_strokes
    p = rec.pressure[np.isfinite(rec.pressure)]
    assert not p.size or (p.min() >= 0 and p.max() <= 1)
    if pmax:
        assert p.max() == pytest.approx(pmax / s.info.absinfo[ABS_PRESSURE].max)
    w, h = s.info.size_mm
    assert np.all((rec.x >= -1) & (rec.x <= w + 5))
    assert np.all(rec.y <= 0.01)  # flipped: y grows upward from the tablet's top edge
    assert rec.extra["eraser"].sum() == out["eraser"].sum()


def test_intuos4_drag_rate_units_and_direction(evemu_dir):
    s = read_evemu(evemu_dir / "wacom_intuos4_6x9.stylus-drag.events")
    assert s.info.name == "Wacom Intuos4 6x9"  # from the separate .desc
    rec = to_recording(decode(s.t_us, s.type, s.code, s.value), s.info)
    assert rec.timing.effective_rate_hz == pytest.approx(250, rel=0.02)
    # resolution 0 in the driver: named fallback 200 units/mm -> 223.5 x 139.7 mm (Intuos4 M)
    assert s.info.size_mm == pytest.approx((223.52, 139.7))
    # the pen moves down the tablet (raw y grows) -> y decreases in penmotor's y-up frame
    assert rec.y[-1] < rec.y[0] - 50
    # tilt 0..127 centred on 64, one degree per unit; raw 78..110 in this file
    assert np.nanmin(rec.tilt_x) == 78 - 64 and np.nanmax(rec.tilt_x) == 110 - 64
    hd = rec.extra["hover_distance"]
    assert np.all(hd[~rec.pen_down] > 0) and np.isfinite(hd).all()


def test_cintiq_tilt_resolution_and_eraser(evemu_dir):
    s = read_evemu(evemu_dir / "wacom_cintiq12wx_pen.evemu")
    rec = to_recording(decode(s.t_us, s.type, s.code, s.value), s.info)
    deg_per_unit = np.degrees(1 / 57)
    raw = np.asarray(rec.raw["tilt_x"])
    assert rec.tilt_x == pytest.approx(raw * deg_per_unit)
    er = rec.extra["eraser"] == 1
    rub = rec.extra["eraser_down"] > 0
    assert er.any() and rub.any() and (rec.pen_down & ~er).any() and not (rec.pen_down & er).any()
    assert rec.t[er].min() > rec.t[~er & rec.pen_down].max()  # eraser used after writing
    # the tool and its serial travel with every sample
    assert set(rec.extra["tool"][er]) == {1.0} and set(rec.extra["tool"][~er]) == {0.0}
    assert rec.meta["tool_names"][1] == "eraser"
    assert np.isfinite(rec.extra["tool_serial"]).all()
    import penmotor

    f = penmotor.features(rec, names=["stroke_count", "eraser_count"])
    assert (f["stroke_count"], f["eraser_count"]) == (1.0, 1.0)  # before: stroke_count 2 (eraser rub counted)


def test_uclogic_already_in_range(evemu_dir):
    s = read_evemu(evemu_dir / "uclogic_wp5540u_pen.evemu")
    assert not (s.info.keys & set(PEN_TOOLS))  # no proximity keys at all
    out = decode(s.t_us, s.type, s.code, s.value)
    first_syn = s.t_us[(s.type == EV_SYN) & (s.code == SYN_REPORT)][0]
    assert out["t_us"][0] == first_syn  # hover samples from the very first frame
    assert not out["contact"][:10].any()
    rec = to_recording(out, s.info)
    assert s.info.resolution_mm() == (235.0, 323.0)
    assert np.isnan(rec.tilt_x).all()


def test_desc_pairing_and_errors(tmp_path):
    (tmp_path / "pen.desc").write_text("N: Pen\nA: 00 0 99 0 0 10\nA: 01 0 99 0 0 10\n")
    (tmp_path / "pen.a.events").write_text("E: 1.000001 0003 0000 5\nE: 1.000001 0003 0001 7\nE: 1.000001 0000 0000 0\n")
    s = read_evemu(tmp_path / "pen.a.events")
    assert s.info.name == "Pen" and s.t_us.tolist() == [1000001] * 3
    (tmp_path / "bad.evemu").write_text("N: Pen\nA: 00 0 99 0 0 10\nE: 1.0 0003 0000 5\nE: x 0003 0001 7\n")
    with pytest.raises(FormatError, match=r"bad.evemu, line 4.*'E'"):
        read_evemu(tmp_path / "bad.evemu")
    (tmp_path / "lonely.events").write_text("E: 1.0 0003 0000 5\n")
    with pytest.raises(FormatError, match="no device description"):
        read_evemu(tmp_path / "lonely.events")
    (tmp_path / "badA.evemu").write_text("N: Pen\nA: 00 zero 99\n")
    with pytest.raises(FormatError, match="line 2"):
        read_evemu(tmp_path / "badA.evemu")
    with pytest.raises(FormatError, match="cannot read"):
        read_evemu(tmp_path / "missing.evemu")


def test_usec_field_widths():
    s = parse_evemu(b"N: P\nE: 2.5 0003 0000 1\nE: 2.000000123 0003 0000 1\nE: 2.000007 0000 0000 0\n")
    assert s.t_us.tolist() == [2_500_000, 2_000_000, 2_000_007]


def test_msc_serial_kept_and_syn_dropped_discards_frame():
    ev = [(0, EV_ABS, ABS_X, 10), (0, EV_ABS, ABS_Y, 20), (0, EV_MSC, 0, -17), (0, EV_SYN, SYN_REPORT, 0),
          (1, EV_ABS, ABS_X, 999), (1, EV_SYN, SYN_DROPPED, 0), (1, EV_SYN, SYN_REPORT, 0),
          (2, EV_ABS, ABS_Y, 30), (2, EV_SYN, SYN_REPORT, 0)]
    dec = Decoder()
    out = dec.feed(*zip(*ev))
    assert out["x"].tolist() == [10, 10] and out["y"].tolist() == [20, 30]
    assert out["serial"].tolist() == [2**32 - 17] * 2  # MSC_SERIAL is an unsigned 32-bit serial
    assert dec.dropped_frames == 1


def test_side_buttons_and_distance():
    ev = [(0, EV_ABS, ABS_X, 1), (0, EV_ABS, ABS_Y, 1), (0, EV_ABS, ABS_DISTANCE, 40),
          (0, EV_KEY, BTN_TOOL_PEN, 1), (0, EV_KEY, BTN_STYLUS, 1), (0, EV_SYN, 0, 0),
          (5, EV_KEY, BTN_STYLUS2, 1), (5, EV_KEY, BTN_STYLUS, 0), (5, EV_SYN, 0, 0),
          (9, EV_KEY, BTN_STYLUS, 1), (9, EV_ABS, ABS_DISTANCE, 3), (9, EV_SYN, 0, 0)]
    out = decode(*zip(*ev))
    assert out["buttons"].tolist() == [1, 2, 3]
    assert out["distance"].tolist() == [40, 40, 3]


# ------------------------------------------------------------------ properties
CODES = [(EV_ABS, ABS_X), (EV_ABS, ABS_Y), (EV_ABS, ABS_PRESSURE), (EV_ABS, ABS_DISTANCE),
         (EV_ABS, ABS_TILT_X), (EV_KEY, BTN_TOOL_PEN), (EV_KEY, BTN_TOOL_RUBBER), (EV_KEY, BTN_TOUCH),
         (EV_KEY, BTN_TOUCH), (EV_KEY, 0x143), (EV_KEY, 0x147),
         (EV_KEY, BTN_STYLUS), (EV_KEY, BTN_STYLUS2), (EV_MSC, 0), (EV_SYN, SYN_REPORT),
         (EV_SYN, SYN_REPORT), (EV_SYN, SYN_DROPPED), (2, 8)]


@st.composite
def event_streams(draw):
    n = draw(st.integers(0, 120))
    kinds = draw(st.lists(st.sampled_from(CODES), min_size=n, max_size=n))
    values = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    steps = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    t = np.cumsum(steps).astype(np.int64) * 1000
    ty = np.array([k[0] for k in kinds], np.uint16)
    co = np.array([k[1] for k in kinds], np.uint16)
    va = np.array([v if k[0] != EV_KEY else abs(v) % 2 for k, v in zip(kinds, values)], np.int64)
    return t, ty, co, va


def reference(t, ty, co, va, pressure_min=0.0):
    """A plain per-event state machine: the spec, written the slow and obvious way."""
    state, frame, out = {}, [], []
    latched = True  # BTN_TOUCH counts only when pressed since the tool last left range
    for ti, a, b, v in zip(t.tolist(), ty.tolist(), co.tolist(), va.tolist()):
        frame.append((a, b, v))
        if a == EV_SYN and b == SYN_REPORT:
            if not any(x == EV_SYN and y == SYN_DROPPED for x, y, _ in frame):
                for x, y, val in frame:
                    if x in (EV_ABS, EV_KEY, EV_MSC):
                        state[(x, y)] = val
                    if (x, y, val) == (EV_KEY, BTN_TOUCH, 1):
                        latched = True
                tools = [state.get((EV_KEY, k)) for k in TOOL_KEYS]
                touch = state.get((EV_KEY, BTN_TOUCH))
                known = any(v is not None for v in tools)
                in_range = (not known) or any(v == 1 for v in tools)
                if not in_range:
                    latched = False
                if in_range and (EV_ABS, ABS_X) in state and (EV_ABS, ABS_Y) in state:
                    p = state.get((EV_ABS, ABS_PRESSURE))
                    contact = (touch == 1 and latched) if touch is not None else (p is not None and p > pressure_min)
                    tool = next((i for i, v in enumerate(tools) if v == 1), 0)
                    out.append((ti, state[(EV_ABS, ABS_X)], state[(EV_ABS, ABS_Y)], contact, tool == 1, tool))
            frame = []
    return out


@given(event_streams())
def test_decoder_matches_reference_model(stream):
    got = decode(*stream)
    want = reference(*stream)
    assert len(got) == len(want)  # no sample lost or invented
    if want:
        ti, x, y, contact, eraser, tool = map(np.array, zip(*want))
        assert np.array_equal(got["t_us"], ti)
        assert np.array_equal(got["x"], x) and np.array_equal(got["y"], y)
        assert np.array_equal(got["contact"], contact) and np.array_equal(got["eraser"], eraser)
        assert np.array_equal(got["tool"], tool)


@given(event_streams(), st.lists(st.integers(0, 120), max_size=6))
def test_chunked_feeding_equals_one_call(stream, cuts):
    whole = decode(*stream)
    dec = Decoder()
    n = len(stream[0])
    bounds = [0, *sorted(c % (n + 1) for c in cuts), n]
    parts = [dec.feed(*(a[i:j] for a in stream)) for i, j in zip(bounds[:-1], bounds[1:])]
    got = np.concatenate(parts)
    assert got.tobytes() == whole.tobytes()


@settings(max_examples=25)
@given(st.integers(1, 50))
def test_sample_count_equals_position_known_frames(n_frames):
    # every frame after x and y are known gives exactly one sample (no tool keys: in range)
    ev = []
    for i in range(n_frames):
        if i >= 1:
            ev += [(i, EV_ABS, ABS_X if i % 2 else ABS_Y, i)]
        ev += [(i, EV_SYN, SYN_REPORT, 0)]
    out = decode(*zip(*ev))
    assert len(out) == max(0, n_frames - 2)


def test_decoder_initial_state_and_bad_key():
    out = Decoder(initial={"x": 1, "y": 2, BTN_TOUCH: 1}).feed([0], [EV_SYN], [SYN_REPORT], [0])
    assert out["contact"].tolist() == [True]
    with pytest.raises(KeyError, match="unknown state key"):
        Decoder(initial={"bogus": 1})


def test_parse_is_line_accurate(evemu_dir):
    path = evemu_dir / "wacom_cintiq13hd_touch_pen.evemu"
    s = read_evemu(path)
    n = sum(1 for ln in path.read_text().splitlines() if re.match(r"^E:", ln))
    assert len(s) == n
    assert s.value[(s.type == EV_MSC)][0] == 897625000
