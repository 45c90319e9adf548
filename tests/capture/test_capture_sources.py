"""Pen sources (``penmotor_capture.sources``): the evemu replay on the real recordings, the
"no tablet" refusals (python-evdev's listing stood in for), tablet scoring, the flagged
mouse source, and the picking of a source from command-line options."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from penmotor.errors import PenmotorError

pytest.importorskip("penmotor_capture")
os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
import penmotor_capture.sources as sources  # noqa: E402
from penmotor_capture import Decoder, empty_samples, read_evemu  # noqa: E402
from penmotor_capture.events import TOOL_NAMES  # noqa: E402
from penmotor_capture.sources import (  # noqa: E402
    MOUSE_HINT, MOUSE_NOTES, EvdevSource, MouseSource, NoTabletError, PenSource, ReplaySource, find_tablets,
    open_source, tablet_score,
)

# samples per recording: SYN_REPORT frames minus the frames where the pen leaves range
EXPECTED = {
    "uclogic_wp5540u_pen.evemu": 506,
    "wacom_cintiq12wx_pen.evemu": 360,
    "wacom_cintiq13hd_touch_pen.evemu": 78,
    "wacom_intuos4_6x9.stylus-drag.events": 360,
    "wacom_intuos4_6x9.stylus-move.events": 443,
    "wacom_intuos4_6x9.stylus-tap.events": 87,
}


def _syn_times(path: Path) -> list[int]:
    """SYN_REPORT time stamps straight from the text (independent of the parser)."""
    out = []
    for ln in path.read_text().splitlines():
        p = ln.split()
        if ln.startswith("E:") and p[2] == "0000" and p[3] == "0000":
            sec, usec = p[1].split(".")
            out.append(int(sec) * 1_000_000 + int(usec))
    return out


def _drain(src: PenSource, timeout_s: float = 20.0) -> list[np.ndarray]:
    blocks, t0 = [], time.monotonic()
    with src:
        while not src.drained:
            blocks.append(src.poll())
            assert time.monotonic() - t0 < timeout_s, "replay did not finish"
            time.sleep(0.002)
        blocks.append(src.poll())
    return blocks


# ------------------------------------------------------------------ replay
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_replay_of_each_recording_yields_expected_samples_in_order(evemu_dir, name):
    path = evemu_dir / name
    src = ReplaySource(path, speed=float("inf"), chunk_events=53)
    assert src.progress == 0.0 and not src.finished
    got = np.concatenate(_drain(src))
    assert len(got) == EXPECTED[name] == src.delivered
    assert np.all(np.diff(got["t_us"]) > 0)  # one sample per frame, strictly ordered
    syn = _syn_times(path)
    assert set(got["t_us"].tolist()) <= set(syn)  # every sample sits at a frame end of the file
    assert got["t_us"][-1] <= syn[-1] and got["t_us"][0] >= syn[0]
    # the chunked replay gives exactly the samples of one decoder call over the whole file
    s = read_evemu(path)
    assert got.tobytes() == Decoder.for_device(s.info).feed(s.t_us, s.type, s.code, s.value).tobytes()
    assert src.progress == 1.0 and src.fed == len(s) and src.dropped_frames == 0
    assert src.poll().size == 0 and src.drained  # nothing left, nothing invented


def test_replay_at_speed_keeps_every_sample_and_order(evemu_dir):
    path = evemu_dir / "wacom_intuos4_6x9.stylus-tap.events"  # 0.43 s of pen time
    blocks = _drain(ReplaySource(path, speed=8.0))
    got = np.concatenate(blocks)
    fast = np.concatenate(_drain(ReplaySource(path, speed=float("inf"))))
    assert got.tobytes() == fast.tobytes()  # pacing changes when, never what


def test_replay_from_an_event_stream_and_stop_before_start(evemu_dir):
    s = read_evemu(evemu_dir / "wacom_cintiq13hd_touch_pen.evemu")
    src = ReplaySource(s, speed=float("inf"), start_delay_s=30.0)
    assert src.info is s.info and src.progress == 0.0
    src.start()
    src.stop()  # stops during the start delay: nothing fed
    assert src.finished and src.fed == 0 and src.poll().size == 0
    assert len(np.concatenate(_drain(ReplaySource(s, speed=float("inf"))))) == EXPECTED[
        "wacom_cintiq13hd_touch_pen.evemu"]


@pytest.mark.parametrize("speed", [0.0, -1.0, float("nan")])
def test_replay_speed_must_be_positive(evemu_dir, speed):
    with pytest.raises(PenmotorError, match="speed: expected > 0"):
        ReplaySource(evemu_dir / "wacom_cintiq13hd_touch_pen.evemu", speed=speed)


def test_replay_counts_syn_dropped(evemu_dir, tmp_path):
    src_text = (evemu_dir / "wacom_cintiq13hd_touch_pen.evemu").read_text().splitlines()
    # insert a SYN_DROPPED right before the 10th SYN_REPORT
    idx = [i for i, ln in enumerate(src_text) if ln.startswith("E:") and ln.split()[2:4] == ["0000", "0000"]][9]
    t = src_text[idx].split()[1]
    src_text.insert(idx, f"E: {t} 0000 0003 0")
    bad = tmp_path / "dropped.evemu"
    bad.write_text("\n".join(src_text) + "\n")
    src = ReplaySource(bad, speed=float("inf"))
    got = np.concatenate(_drain(src))
    assert src.dropped_frames == 1 and len(got) == EXPECTED["wacom_cintiq13hd_touch_pen.evemu"] - 1


# ------------------------------------------------------------------ poll
def test_poll_concatenates_in_order_and_skips_empty_blocks():
    src = PenSource()
    a, b = empty_samples(2), empty_samples(3)
    a["t_us"], b["t_us"] = [1, 2], [3, 4, 5]
    src._put(a)
    src._put(empty_samples(0))
    src._put(b)
    assert src.delivered == 5
    assert src.poll()["t_us"].tolist() == [1, 2, 3, 4, 5]
    assert src.poll().size == 0 and not src.drained  # a live source never drains
    assert src.progress is None and src.dropped_frames == 0


# ------------------------------------------------------------------ no tablet
def _fake_evdev(devices: dict[str, tuple[str, dict]], denied=()):
    def open_dev(path):
        if path in denied:
            raise PermissionError(13, "Permission denied", path)
        if path not in devices:
            raise FileNotFoundError(2, "No such file or directory", path)
        name, caps = devices[path]
        return SimpleNamespace(name=name, path=path, capabilities=lambda: caps, close=lambda: None)

    return SimpleNamespace(InputDevice=open_dev)


KEYBOARD = ("AT Keyboard", {1: [30, 31, 32]})
TOUCHSCREEN = ("Touchscreen", {3: [0, 1, 0x18, 0x35, 0x36], 1: [0x14A, 0x14B]})


def test_no_tablet_is_refused_with_a_clear_message(monkeypatch):
    listing = {"/dev/input/event0": KEYBOARD, "/dev/input/event1": TOUCHSCREEN}
    monkeypatch.setattr(sources, "_evdev", lambda: _fake_evdev(listing))
    real = find_tablets
    monkeypatch.setattr(sources, "find_tablets", lambda paths=None: real(sorted(listing)))
    assert sources.find_tablets() == []  # a keyboard and a touch screen are not pens
    with pytest.raises(NoTabletError) as ei:
        EvdevSource()
    msg = str(ei.value)
    assert msg.startswith("no pen tablet found in /dev/input")
    assert "ABS_PRESSURE" in msg and "--device /dev/input/eventN" in msg
    assert msg.endswith(MOUSE_HINT) and "penmotor capture --mouse" in msg
    with pytest.raises(NoTabletError, match="no pen tablet found"):
        open_source()  # no replay, no mouse: the live tablet is asked for


def test_unreadable_devices_name_the_group_and_the_paths(monkeypatch):
    denied = [f"/dev/input/event{i}" for i in range(5)]
    monkeypatch.setattr(sources, "_evdev", lambda: _fake_evdev({}, denied=set(denied)))
    with pytest.raises(NoTabletError) as ei:
        find_tablets(denied)
    msg = str(ei.value)
    assert "permission denied reading /dev/input/event0, /dev/input/event1, /dev/input/event2 ..." in msg
    assert "event3" not in msg and "'input' group" in msg and msg.endswith(MOUSE_HINT)
    # a readable tablet next to unreadable devices is simply used
    monkeypatch.setattr(sources, "_evdev", lambda: _fake_evdev(
        {"/dev/input/event9": ("Wacom Pen", {3: [0, 1, 0x18], 1: [0x140]})}, denied=set(denied)))
    assert find_tablets([*denied, "/dev/input/event9"]) == [("/dev/input/event9", "Wacom Pen")]
    # vanished devices (OSError other than permission) are skipped silently
    assert find_tablets(["/dev/input/event42"]) == []


def test_tablet_score():
    pen = {3: [0, 1, 0x18], 1: [0x140, 0x14A]}
    assert tablet_score(pen) == 2
    assert tablet_score({3: [0, 1, 0x18], 1: [0x14A, 0x14B]}) == 1       # UC-Logic style: stylus button only
    assert tablet_score({3: [0, 1], 1: [0x140, 0x14A]}) == 0              # no pressure
    assert tablet_score({3: [0, 0x18], 1: [0x140]}) == 0                  # no y
    assert tablet_score(TOUCHSCREEN[1]) == 0                              # multi-touch screen
    assert tablet_score({3: [0, 1, 0x18, 0x35], 1: [0x140]}) == 2         # a pen key is a pen even so
    assert tablet_score({}) == 0 and tablet_score(KEYBOARD[1]) == 0


# ------------------------------------------------------------------ mouse
@pytest.fixture
def pg():
    return pytest.importorskip("pygame")


def test_mouse_source_is_flagged_and_sized_from_the_window():
    src = MouseSource((800, 600), px_per_mm=4.0)
    assert src.info.notes.startswith(MOUSE_NOTES) and MOUSE_NOTES == "mouse: no pressure, no tilt"
    assert src.info.size_mm == (200.0, 150.0) and src.info.path == "pygame"
    assert not src.info.has_pressure and not src.info.has_tilt
    dev = src.info.to_device()
    assert dev.notes.startswith("mouse: no pressure, no tilt") and "screen pixels per mm" in dev.notes
    assert dev.pressure_range is None and dev.tilt_deg_per_unit is None and dev.x_resolution == 4.0
    src.resize((400, 300))
    assert src.info.size_mm == (100.0, 75.0) and src.info.notes.startswith(MOUSE_NOTES)
    assert src.dropped_frames == 0 and src.progress is None


def test_mouse_events_become_flagged_samples(pg):
    src = MouseSource((400, 300), px_per_mm=4.0)
    clock = iter(range(1_000_000_000, 2_000_000_000, 1_000_000))  # ns, 1 ms apart
    src._clock = lambda: next(clock)
    E = pg.event.Event
    feed = [
        (E(pg.MOUSEMOTION, pos=(10, 20), rel=(0, 0), buttons=(0, 0, 0)), True),   # hover
        (E(pg.MOUSEBUTTONDOWN, pos=(11, 21), button=1), True),                   # touch
        (E(pg.MOUSEMOTION, pos=(15, 25), rel=(4, 4), buttons=(1, 0, 0)), True),  # drawing
        (E(pg.MOUSEBUTTONDOWN, pos=(15, 25), button=3), False),                  # right button: ignored
        (E(pg.MOUSEMOTION, pos=(99, 99), rel=(0, 0), buttons=(0, 0, 0), touch=True), False),  # emulated
        (E(pg.MOUSEBUTTONUP, pos=(16, 26), button=1), True),                     # lift
        (E(pg.KEYDOWN, key=pg.K_a), False),
    ]
    assert [src.handle_event(ev) for ev, _ in feed] == [want for _, want in feed]
    s = src.poll()
    assert s["x"].tolist() == [10, 11, 15, 16] and s["y"].tolist() == [20, 21, 25, 26]
    assert s["contact"].tolist() == [False, True, True, False] and s["in_range"].all()
    assert s["t_us"].tolist() == [1_000_000, 1_001_000, 1_002_000, 1_003_000]  # monotonic clock, us
    for f in ("pressure", "tilt_x", "tilt_y", "distance"):
        assert np.isnan(s[f]).all(), f  # never made up
    assert set(s["tool"].tolist()) == {TOOL_NAMES.index("mouse")} and not s["eraser"].any()
    assert src.clock == "event-loop" and "event-loop time stamps" in src.info.notes


def test_touch_fingers_scaled_to_the_window_and_sdl_time_stamps(pg):
    src = MouseSource((400, 300), px_per_mm=4.0)
    E = pg.event.Event
    assert src.handle_event(E(pg.FINGERDOWN, x=0.5, y=0.25, timestamp=1500))
    assert src.handle_event(E(pg.FINGERMOTION, x=0.75, y=0.5, timestamp=1504))
    assert src.handle_event(E(pg.FINGERUP, x=1.0, y=1.0, timestamp=1510))
    s = src.poll()
    assert s["x"].tolist() == [200, 300, 400] and s["y"].tolist() == [75, 150, 300]
    assert s["contact"].tolist() == [True, True, False]
    assert s["t_us"].tolist() == [1_500_000, 1_504_000, 1_510_000]  # SDL ms -> us
    assert src.clock == "SDL event" and src.info.notes == f"{MOUSE_NOTES}; SDL event time stamps (1 ms)"


# ------------------------------------------------------------------ picking a source
def test_open_source_precedence(evemu_dir, monkeypatch):
    rec = str(evemu_dir / "wacom_cintiq13hd_touch_pen.evemu")
    monkeypatch.setattr(sources, "_evdev", lambda: pytest.fail("a live device was opened"))
    r = open_source(replay=rec, mouse=True, speed=2.0, start_delay_s=0.5)
    assert isinstance(r, ReplaySource) and r.speed == 2.0 and r.start_delay_s == 0.5
    m = open_source(mouse=True, size_px=(640, 480), px_per_mm=2.0)
    assert isinstance(m, MouseSource) and m.info.size_mm == (320.0, 240.0)
