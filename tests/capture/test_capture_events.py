"""Event codes, device descriptions and the evemu text reader (``penmotor_capture.events``):
description lines checked against the recordings' own comments, exact event parsing, and
synthetic evdev sequences written as evemu text decoded into samples with known values."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from penmotor.errors import FormatError

pytest.importorskip("penmotor_capture")
from penmotor_capture import decode  # noqa: E402
from penmotor_capture.decoder import Decoder  # noqa: E402
from penmotor_capture.events import (  # noqa: E402
    ABS_PRESSURE, ABS_TILT_X, ABS_TILT_Y, ABS_X, ABS_Y, BTN_TOOL_PEN, BTN_TOOL_RUBBER, BTN_TOUCH, EV_ABS,
    EV_KEY, EV_MSC, EV_SYN, SYN_REPORT, TOOL_KEYS, TOOL_NAMES, AbsInfo, DeviceInfo, EventStream,
    parse_evemu, read_evemu,
)

SELF_CONTAINED = ["wacom_cintiq12wx_pen.evemu", "wacom_cintiq13hd_touch_pen.evemu", "uclogic_wp5540u_pen.evemu"]


def _commented_caps(text):
    """Independent source: evemu-record's '# Event type / # Event code / # Min ...' comment block."""
    keys, absinfo, typ, code = set(), {}, None, None
    for ln in text.splitlines():
        if not ln.startswith("#"):
            continue
        if m := re.match(r"#\s+Event type (\d+)", ln):
            typ = int(m.group(1))
        elif m := re.match(r"#\s+Event code (\d+)", ln):
            code = int(m.group(1))
            if typ == EV_KEY:
                keys.add(code)
            elif typ == EV_ABS:
                absinfo[code] = {}
        elif typ == EV_ABS and (m := re.match(r"#\s+(Min|Max|Fuzz|Flat|Resolution)\s+(-?\d+)", ln)):
            absinfo[code][m.group(1).lower()] = int(m.group(2))
    return keys, absinfo


@pytest.mark.parametrize("name", SELF_CONTAINED)
def test_description_matches_the_recordings_own_comments(evemu_dir, name):
    path = evemu_dir / name
    text = path.read_text()
    s = read_evemu(path)
    keys, absinfo = _commented_caps(text)
    assert s.info.keys == keys  # bit masks (B: lines, continued over several lines) decoded
    assert set(s.info.absinfo) == set(absinfo)
    for code, want in absinfo.items():
        ai = s.info.absinfo[code]
        assert (ai.min, ai.max, ai.fuzz, ai.flat, ai.resolution) == (
            want["min"], want["max"], want["fuzz"], want["flat"], want.get("resolution", 0)), hex(code)
    m = re.search(r"bus 0x(\w+) vendor 0x(\w+) product 0x(\w+) version 0x(\w+)", text)
    assert s.info.ids == tuple(int(v, 16) for v in m.groups())
    assert s.info.name == re.search(r'Input device name: "(.*)"', text).group(1)
    assert s.info.path == str(path)


def test_cintiq12wx_known_description(evemu_dir):
    s = read_evemu(evemu_dir / "wacom_cintiq12wx_pen.evemu")
    assert s.info.ids == (0x3, 0x56A, 0xC6, 0x100)
    assert s.info.keys == {0x140, 0x141, 0x142, 0x143, 0x144, 0x14A, 0x14B, 0x14C}
    assert s.info.absinfo[ABS_TILT_X] == AbsInfo(-64, 63, 0, 0, 57)
    assert s.info.resolution_mm() == (200.0, 200.0) and s.info.size_mm == pytest.approx((265.1, 167.2))
    assert s.info.has_pressure and s.info.has_tilt
    deg, zero = s.info.tilt_units()
    assert deg == pytest.approx(np.degrees(1 / 57)) and zero == 0.0
    # first and last events, straight from the text (tab before the comment, zero-padded values)
    assert (s.t_us[0], s.type[0], s.code[0], s.value[0]) == (0, EV_ABS, ABS_X, 28127)
    assert s.value[2] == 50  # "0050"
    last = (evemu_dir / "wacom_cintiq12wx_pen.evemu").read_text().strip().splitlines()[-1].split()
    sec, usec = last[1].split(".")
    assert s.t_us[-1] == int(sec) * 10**6 + int(usec) and s.value[-1] == int(last[4])
    assert s.duration_s == pytest.approx(4.938086) and s.value[-2] == 297797542  # MSC_SERIAL


def test_explicit_desc_and_multi_dot_names(evemu_dir, tmp_path):
    events = evemu_dir / "wacom_intuos4_6x9.stylus-tap.events"
    by_name = read_evemu(events)  # finds wacom_intuos4_6x9.desc by the name up to a dot
    explicit = read_evemu(events, desc=evemu_dir / "wacom_intuos4_6x9.desc")
    assert by_name.info == explicit.info and by_name.info.name == "Wacom Intuos4 6x9"
    assert np.array_equal(by_name.t_us, explicit.t_us) and len(by_name) == 396
    assert by_name.info.ids == (0x3, 0x56A, 0xB9, 0x104)
    with pytest.raises(FormatError, match=r"missing\.desc.*cannot read description"):
        read_evemu(events, desc=tmp_path / "missing.desc")
    # a file with its own description keeps it even when a .desc lies next to it
    (tmp_path / "pen.desc").write_text("N: Other\nA: 00 0 9 0 0 1\n")
    (tmp_path / "pen.x.evemu").write_text("N: Own\nA: 00 0 99 0 0 3\nE: 0.1 0000 0000 0\n")
    assert read_evemu(tmp_path / "pen.x.evemu").info.name == "Own"
    # the longest matching prefix wins: pen.x.desc before pen.desc
    (tmp_path / "pen.x.desc").write_text("N: Closer\nA: 00 0 9 0 0 1\n")
    (tmp_path / "pen.x.y.events").write_text("E: 0.1 0000 0000 0\n")
    assert read_evemu(tmp_path / "pen.x.y.events").info.name == "Closer"


# ------------------------------------------------------------------ line syntax
def test_event_lines_hex_codes_negative_values_comments_and_crlf():
    text = (b"# EVEMU 1.3\r\nN: Pen  # trailing comment\r\nI: 0003 056a 00c6 0100\r\n"
            b"A: 1a -64 63 0 0 57\r\nA: 00 0 100 0 0 10\r\nA: 01 0 100 0 0 10\r\n"
            b"E: 10.000001 0003 001a -12  # tilt left\r\n"
            b"E: 10.000001 0001 014A 1\r\n"
            b"E: 10.000001 0004 0000 -17\r\n"
            b"E: 10.000001 0000 0000 0\r\n")
    s = parse_evemu(text)
    assert s.info.name == "Pen" and s.info.ids == (3, 0x56A, 0xC6, 0x100)
    assert s.info.absinfo[ABS_TILT_X].min == -64 and s.info.absinfo[ABS_X].resolution == 10
    assert s.t_us.tolist() == [10_000_001] * 4
    assert s.type.tolist() == [EV_ABS, EV_KEY, EV_MSC, EV_SYN]
    assert s.code.tolist() == [ABS_TILT_X, BTN_TOUCH, 0, SYN_REPORT]
    assert s.value.tolist() == [-12, 1, -17, 0]
    assert (s.t_us.dtype, s.type.dtype, s.code.dtype, s.value.dtype) == (np.int64, np.uint16, np.uint16, np.int64)


def test_description_only_gives_an_empty_stream():
    s = parse_evemu(b"N: Pen\nA: 00 0 9 0 0 1\n")
    assert len(s) == 0 and s.duration_s == 0.0 and s.t_us.dtype == np.int64


@pytest.mark.parametrize("line, field", [(b"B: 01 zz", "B"), (b"I: 0003 xyz", "I"), (b"A: 18 0", "A")])
def test_malformed_description_line_names_file_line_and_field(line, field):
    with pytest.raises(FormatError, match=rf"pen\.evemu, line 3, field '{field}': malformed {field}"):
        parse_evemu(b"N: Pen\nA: 00 0 9 0 0 1\n" + line + b"\n", path="pen.evemu")


@pytest.mark.parametrize("bad", [b"E: 1.0 0003 0000", b"E: 1.0 0003 0000 1.5", b"E: 1 0003 0000 1",
                                 b"E: 1.0 0g03 0000 1"])
def test_malformed_event_line_names_file_line_and_quotes_it(bad):
    data = b"N: Pen\nE: 1.0 0000 0000 0\n" + bad + b"\n"
    with pytest.raises(FormatError) as ei:
        parse_evemu(data, path="rec.evemu")
    msg = str(ei.value)
    assert msg.startswith("rec.evemu, line 3, field 'E'") and repr(bad.decode()) in msg


def test_no_description_at_all():
    with pytest.raises(FormatError, match=r"x\.events: no device description"):
        parse_evemu(b"E: 1.0 0000 0000 0\n", path="x.events")


EVENTS = st.lists(
    st.tuples(st.integers(0, 2**40), st.integers(0, 999_999), st.integers(0, 0xFFFF), st.integers(0, 0xFFFF),
              st.integers(-(2**40), 2**40)),
    max_size=80,
)


@given(EVENTS, st.booleans())
def test_text_round_trip_is_exact(events, upper):
    lines = [f"E: {sec}.{usec:06d} {ty:04x} {co:04x} {v}" for sec, usec, ty, co, v in events]
    text = "N: Pen\n" + "\n".join(lines) + ("\n" if lines else "")
    s = parse_evemu((text.upper().replace("N: PEN", "N: Pen") if upper else text).encode())
    assert len(s) == len(events)
    assert s.t_us.tolist() == [sec * 10**6 + usec for sec, usec, *_ in events]
    assert s.type.tolist() == [e[2] for e in events] and s.code.tolist() == [e[3] for e in events]
    assert s.value.tolist() == [e[4] for e in events]


# ------------------------------------------------------------------ synthetic sequences -> samples
PEN_TEXT = b"""N: Synthetic Pen
B: 01 00 00 00 00 00 00 00 00
B: 01 00 00 00 00 00 00 00 00
B: 01 00 00 00 00 00 00 00 00
B: 01 00 00 00 00 00 00 00 00
B: 01 00 00 00 00 00 00 00 00
B: 01 03 1c 00 00 00 00 00 00
A: 00 0 1000 0 0 10
A: 01 0 500 0 0 10
A: 18 0 1023 0 0 0
A: 1a -64 63 0 0 57
A: 1b -64 63 0 0 57
E: 1.000000 0001 0140 1
E: 1.000000 0004 0000 12345
E: 1.000000 0003 0000 100
E: 1.000000 0003 0001 200
E: 1.000000 0003 0018 0
E: 1.000000 0003 001a -5
E: 1.000000 0003 001b 7
E: 1.000000 0000 0000 0
E: 1.004000 0003 0018 300
E: 1.004000 0001 014a 1
E: 1.004000 0000 0000 0
E: 1.008000 0003 0000 110
E: 1.008000 0003 0018 512
E: 1.008000 0000 0000 0
E: 1.012000 0003 0000 999
E: 1.012000 0000 0003 0
E: 1.012000 0000 0000 0
E: 1.016000 0003 0001 210
E: 1.016000 0003 0018 0
E: 1.016000 0001 014a 0
E: 1.016000 0000 0000 0
E: 1.020000 0001 0140 0
E: 1.020000 0003 0000 0
E: 1.020000 0003 0001 0
E: 1.020000 0000 0000 0
E: 2.000000 0001 0141 1
E: 2.000000 0004 0000 777
E: 2.000000 0003 0000 50
E: 2.000000 0003 0001 60
E: 2.000000 0000 0000 0
E: 2.004000 0001 014a 1
E: 2.004000 0003 0018 200
E: 2.004000 0000 0000 0
"""


def test_synthetic_evemu_sequence_decodes_to_known_samples():
    s = parse_evemu(PEN_TEXT)
    assert s.info.keys == {BTN_TOOL_PEN, BTN_TOOL_RUBBER, BTN_TOUCH, 0x14B, 0x14C}
    dec = Decoder.for_device(s.info)
    out = dec.feed(s.t_us, s.type, s.code, s.value)
    assert dec.dropped_frames == 1  # the frame with SYN_DROPPED (x=999) is discarded
    # frames: hover, touch, move, (dropped), lift, prox-out (no sample), eraser hover, eraser touch
    assert out["t_us"].tolist() == [1_000_000, 1_004_000, 1_008_000, 1_016_000, 2_000_000, 2_004_000]
    assert out["x"].tolist() == [100, 100, 110, 110, 50, 50]  # 999 never applied, prox-out zeros never seen
    assert out["y"].tolist() == [200, 200, 200, 210, 60, 60]
    assert out["pressure"].tolist() == [0, 300, 512, 0, 0, 200]
    assert out["tilt_x"].tolist()[:4] == [-5] * 4 and out["tilt_y"].tolist()[:4] == [7] * 4
    assert out["contact"].tolist() == [False, True, True, False, False, True]
    assert out["eraser"].tolist() == [False, False, False, False, True, True]
    assert [TOOL_NAMES[t] for t in out["tool"]] == ["pen"] * 4 + ["eraser"] * 2
    assert out["serial"].tolist() == [12345] * 4 + [777] * 2
    assert out["in_range"].all() and np.isnan(out["distance"]).all()
    assert decode(s.t_us, s.type, s.code, s.value)[["t_us", "x", "contact"]].tolist() == \
        out[["t_us", "x", "contact"]].tolist()


# ------------------------------------------------------------------ DeviceInfo
def test_tool_names_follow_tool_keys():
    assert len(TOOL_NAMES) == len(TOOL_KEYS)
    assert dict(zip(TOOL_NAMES, TOOL_KEYS)) == {"pen": 0x140, "eraser": 0x141, "brush": 0x142, "pencil": 0x143,
                                                "airbrush": 0x144, "mouse": 0x146, "lens": 0x147}


def test_resolution_fallback_and_unknown_devices():
    xy = {ABS_X: AbsInfo(0, 44704), ABS_Y: AbsInfo(0, 27940)}
    assert DeviceInfo("Wacom Intuos4 6x9", xy).size_mm == pytest.approx((223.52, 139.7))
    assert DeviceInfo("WACOM CINTIQ", xy).resolution_mm() == (200.0, 200.0)  # case-insensitive
    acme = DeviceInfo("Acme Pad", xy)
    assert acme.resolution_mm() == (None, None) and acme.size_mm is None
    # the driver's own resolution beats the named fallback, per axis
    mixed = DeviceInfo("Wacom X", {ABS_X: AbsInfo(0, 1000, resolution=40), ABS_Y: AbsInfo(0, 1000)})
    assert mixed.resolution_mm() == (40.0, 200.0) and mixed.size_mm == (25.0, 5.0)
    assert DeviceInfo("Wacom", {ABS_X: AbsInfo(0, 10)}).size_mm is None  # no y axis
    flat = DeviceInfo("P", {ABS_PRESSURE: AbsInfo(0, 0)})
    assert not flat.has_pressure and not flat.has_tilt and flat.tilt_units() is None
    assert not DeviceInfo("P", {ABS_TILT_X: AbsInfo(0, 127)}).has_tilt  # needs both tilt axes
    assert AbsInfo(-64, 63).span == 127


def test_to_device_units_and_notes():
    xy = {ABS_X: AbsInfo(0, 2000, resolution=100), ABS_Y: AbsInfo(0, 1000, resolution=100)}
    pen = DeviceInfo("Pen", {**xy, ABS_PRESSURE: AbsInfo(0, 2047), ABS_TILT_X: AbsInfo(0, 127),
                             ABS_TILT_Y: AbsInfo(0, 127)}, notes="kernel monotonic time stamps")
    d = pen.to_device()
    assert (d.x_resolution, d.y_resolution, d.pressure_range) == (100.0, 100.0, (0.0, 2047.0))
    assert (d.tilt_deg_per_unit, d.tilt_zero, d.time_scale_s) == (1.0, 64.0, 1e-6)
    assert d.notes.startswith("kernel monotonic time stamps; evdev") and "absinfo resolution" in d.notes
    named = DeviceInfo("Wacom Intuos4", {ABS_X: AbsInfo(0, 2000), ABS_Y: AbsInfo(0, 1000)}).to_device()
    assert "named-device fallback" in named.notes and named.pressure_range is None
    mouse = DeviceInfo("pygame mouse/touch", xy, notes="mouse: no pressure, no tilt", path="pygame").to_device()
    assert mouse.notes.startswith("mouse: no pressure, no tilt; x/y from screen pixels") and "evdev" not in mouse.notes
    assert mouse.tilt_deg_per_unit is None and mouse.pressure_range is None


def test_to_dict_survives_json(evemu_dir):
    info = read_evemu(evemu_dir / "wacom_cintiq13hd_touch_pen.evemu").info
    back = DeviceInfo.from_dict(json.loads(json.dumps(info.to_dict())))
    assert back == info
    assert back.to_device().notes == info.to_device().notes
    assert DeviceInfo.from_dict({"name": "bare"}) == DeviceInfo("bare")


def test_event_stream_length_and_duration():
    z = np.zeros(3, np.uint16)
    s = EventStream(DeviceInfo("P"), np.array([5, 1_000_005, 2_500_005], np.int64), z, z, np.zeros(3, np.int64))
    assert len(s) == 3 and s.duration_s == pytest.approx(2.5)
