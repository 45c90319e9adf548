"""The real pygame window loop, headless: replayed evemu, scripted mouse events, SIGKILL recovery, CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
pygame = pytest.importorskip("pygame")
pytest.importorskip("penmotor_capture")

import penmotor  # noqa: E402
from penmotor.io import FORMATS, _load  # noqa: E402
from penmotor_capture import decode, read_evemu  # noqa: E402
from penmotor_capture.cli import main as capture_main  # noqa: E402
from penmotor_capture.convert import to_recording  # noqa: E402
from penmotor_capture.journal import find_unfinished, read_journal  # noqa: E402
from penmotor_capture.session import Session  # noqa: E402
from penmotor_capture.sources import MOUSE_NOTES, EvdevSource, MouseSource, NoTabletError, ReplaySource  # noqa: E402
from penmotor_capture.window import STATUS_H, CaptureWindow  # noqa: E402


def _native_or_skip():
    _load()
    if "native" not in FORMATS or FORMATS["native"].writer is None:
        pytest.skip("native .pmr writer (penmotor.io.native) not available yet")


def _same_samples(a, b):
    assert len(a) == len(b)
    for ch in ("t", "x", "y", "pressure", "tilt_x", "tilt_y", "pen_down"):
        np.testing.assert_allclose(np.asarray(a.channel(ch), float), np.asarray(b.channel(ch), float),
                                   rtol=0, atol=1e-9, err_msg=ch)
    for ch in ("eraser", "hover_distance", "buttons"):
        np.testing.assert_array_equal(a.extra[ch], b.extra[ch], err_msg=ch)


def test_replayed_session_runs_window_and_saves(evemu_dir, tmp_path):
    _native_or_skip()
    path = evemu_dir / "wacom_cintiq12wx_pen.evemu"
    src = ReplaySource(path, speed=float("inf"), chunk_events=97)
    ses = Session(tmp_path / "r.pmr", src.info, child="C042", tasks=["sentence"])
    def on_frame(win, frame):  # resize the window and switch to full-area mapping
        if frame == 0:
            pygame.event.post(pygame.event.Event(pygame.VIDEORESIZE, w=700, h=450, size=(700, 450)))
            pygame.event.post(pygame.event.Event(pygame.KEYDOWN, key=pygame.K_m, mod=0, unicode="m"))

    win = CaptureWindow(src, ses, size=(800, 500), auto_finish=True, fps=0, on_frame=on_frame)
    files = win.run()
    assert files[0] == tmp_path / "r.pmr" and files[0].is_file()
    assert len(win.frame_times) >= 1
    loaded = penmotor.read(tmp_path / "r.pmr")
    s = read_evemu(path)
    expect = to_recording(decode(s.t_us, s.type, s.code, s.value, pressure_min=0,
                                 initial={0x14A: 0}), s.info)
    _same_samples(loaded, expect)
    assert loaded.meta["subject"] == "C042"
    assert loaded.meta["attempts"][0]["task"] == "sentence"
    assert loaded.meta["templates"]["sentence"]["params"]["text"]
    assert loaded.meta["screen_mapping"]["mode"] == "full"
    assert loaded.meta["screen_mapping"]["window"] == [700, 450 - win.status_h]
    assert win.status_h > STATUS_H  # the status bar wraps at 700 px instead of being cut
    assert read_journal(tmp_path / "r.pmr").closed


def test_cli_replay_ends_and_saves_by_itself(evemu_dir, tmp_path, capsys):
    _native_or_skip()
    out = tmp_path / "cli" / "t.pmr"
    shot = tmp_path / "shot.png"
    rc = capture_main(["--replay", str(evemu_dir / "wacom_intuos4_6x9.stylus-tap.events"), "--speed", "max",
                       "--out", str(out), "--task", "spiral", "--screenshot", str(shot), "--size", "640x480"])
    assert rc == 0
    assert "saved 87 samples" in capsys.readouterr().out
    rec = penmotor.read(out)
    assert len(rec) == 87 and rec.n_strokes == 1 and rec.meta["subject"] == "REPLAY0"
    img = pygame.image.load(str(shot))
    assert img.get_size() == (640, 480)


def test_scripted_mouse_session(tmp_path):
    """Posted pygame events drive the real loop: hover, strokes, next task, redo, pause, save."""
    size = (640, 400)
    src = MouseSource((size[0], size[1] - STATUS_H), px_per_mm=4.0)
    ses = Session(tmp_path / "m.pmr", src.info, child="C7", tasks=["lines", "spiral"],
                  page_mm=(160, 93))
    E = pygame.event.Event
    script = {}
    posted = []  # (x, y, down) per sample-producing event, in order

    def mouse(frame, kind, pos, down):
        script.setdefault(frame, []).append(E(kind, pos=pos, rel=(0, 0), buttons=(int(down), 0, 0),
                                              button=1, touch=False))
        posted.append((pos[0], pos[1], down))

    f = 1
    for i in range(5):                      # hover
        mouse(f, pygame.MOUSEMOTION, (50 + 5 * i, 100), False); f += 1
    mouse(f, pygame.MOUSEBUTTONDOWN, (75, 100), True); f += 1
    for i in range(10):                     # stroke 1
        mouse(f, pygame.MOUSEMOTION, (80 + 8 * i, 100 + i), True); f += 1
    mouse(f, pygame.MOUSEBUTTONUP, (160, 110), False); f += 1
    script.setdefault(f, []).append(E(pygame.KEYDOWN, key=pygame.K_n, mod=0, unicode="n")); f += 1
    mouse(f, pygame.MOUSEBUTTONDOWN, (300, 200), True); f += 1
    for i in range(6):                      # stroke 2 (spiral), then redo
        mouse(f, pygame.MOUSEMOTION, (300 + i, 200 + 2 * i), True); f += 1
    mouse(f, pygame.MOUSEBUTTONUP, (306, 212), False); f += 1
    script.setdefault(f, []).append(E(pygame.KEYDOWN, key=pygame.K_r, mod=0, unicode="r")); f += 1
    script.setdefault(f, []).append(E(pygame.KEYDOWN, key=pygame.K_p, mod=0, unicode="p")); f += 1
    script.setdefault(f, []).append(E(pygame.MOUSEMOTION, pos=(1, 1), rel=(0, 0), buttons=(0, 0, 0),
                                      touch=False)); f += 1  # paused: not accepted
    script.setdefault(f, []).append(E(pygame.KEYDOWN, key=pygame.K_p, mod=0, unicode="p")); f += 1
    mouse(f, pygame.MOUSEBUTTONDOWN, (310, 220), True); f += 1
    for i in range(4):
        mouse(f, pygame.MOUSEMOTION, (312 + 3 * i, 220), True); f += 1
    mouse(f, pygame.MOUSEBUTTONUP, (325, 220), False); f += 1
    script.setdefault(f, []).append(E(pygame.KEYDOWN, key=pygame.K_s, mod=0, unicode="s")); f += 1
    script.setdefault(f, []).append(E(pygame.KEYDOWN, key=pygame.K_y, mod=0, unicode="y"))  # confirm

    def on_frame(win, frame):
        for ev in script.get(frame, []):
            pygame.event.post(ev)

    win = CaptureWindow(src, ses, size=size, fps=0, on_frame=on_frame)
    win.run(max_frames=f + 50)
    assert len(win.frame_times) == f + 1  # S then Y ended it (not max_frames)
    assert ses.rejected == 1
    rec = ses.recording()
    assert len(rec) == len(posted)
    xs, ys, downs = map(np.array, zip(*posted))
    assert rec.x == pytest.approx(xs / 4.0)
    assert rec.y == pytest.approx(-ys / 4.0)
    assert rec.pen_down.tolist() == downs.tolist()
    assert np.isnan(rec.pressure).all() and MOUSE_NOTES in rec.device.notes
    assert rec.n_strokes == 3
    att = rec.meta["attempts"]
    assert [(a["task"], a["redone"]) for a in att] == [("lines", False), ("spiral", True), ("spiral", False)]
    assert np.bincount(rec.extra["attempt"].astype(int)).tolist() == [17, 8, 6]
    if "native" in FORMATS:
        loaded = penmotor.read(tmp_path / "m.pmr")
        assert len(loaded) == len(rec) and loaded.x == pytest.approx(rec.x)
        assert loaded.pen_down.tolist() == rec.pen_down.tolist()
    else:  # until the native writer exists the journal holds the session
        assert len(read_journal(tmp_path / "m.pmr").samples) == len(posted)


def test_sigkill_mid_stroke_recovers_every_journaled_sample(evemu_dir, tmp_path):
    path = evemu_dir / "wacom_cintiq12wx_pen.evemu"
    out = tmp_path / "k.pmr"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "penmotor_capture", "--replay", str(path), "--speed", "1", "--out", str(out),
         "--sync-log", "--sync-interval", "0.15", "--size", "320x240"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
    )
    last = None
    deadline = time.monotonic() + 60
    try:
        for line in proc.stdout:
            if line.startswith("fsync "):
                n, in_stroke = map(int, line.split()[1:])
                last = n
                if in_stroke and n > 0:
                    proc.send_signal(signal.SIGKILL)
                    break
            if time.monotonic() > deadline:
                break
    finally:
        proc.kill()
        rest, err = proc.communicate(timeout=30)
    for line in rest.splitlines():  # a sync that completed between our read and the kill
        if line.startswith("fsync "):
            last = int(line.split()[1])
    assert proc.returncode == -signal.SIGKILL, err
    assert last is not None and last > 0
    assert find_unfinished(tmp_path) == [out]
    contents = read_journal(out)
    assert len(contents.samples) == last         # exactly what had been fsync'd
    assert contents.samples["contact"][-1]       # killed mid-stroke
    s = read_evemu(path)
    expect = decode(s.t_us, s.type, s.code, s.value, initial={0x14A: 0})[:last]
    assert np.array_equal(contents.samples["t_us"], expect["t_us"])
    assert np.array_equal(contents.samples["x"], expect["x"])
    # `penmotor capture --recover` rebuilds the session from the journal
    _load()
    if "native" in FORMATS:
        assert capture_main(["--recover", "--sessions", str(tmp_path)]) == 0
        rec = penmotor.read(out)
        assert len(rec) == last
        assert find_unfinished(tmp_path) == []


def test_next_start_recovers_earlier_crash(evemu_dir, tmp_path, capsys):
    _native_or_skip()
    info = read_evemu(evemu_dir / "uclogic_wp5540u_pen.evemu").info
    ses = Session(tmp_path / "C5" / "old.pmr", info, child="C5", tasks=["free"])
    s = read_evemu(evemu_dir / "uclogic_wp5540u_pen.evemu")
    ses.accept(decode(s.t_us, s.type, s.code, s.value)[:100])
    ses.close(saved=False)  # crash
    rc = capture_main(["--replay", str(evemu_dir / "wacom_intuos4_6x9.stylus-tap.events"), "--speed", "max",
                       "--sessions", str(tmp_path), "--out", str(tmp_path / "C5" / "new.pmr"), "--task", "free"])
    assert rc == 0
    assert "recovered unfinished session" in capsys.readouterr().out
    assert len(penmotor.read(tmp_path / "C5" / "old.pmr")) == 100
    assert find_unfinished(tmp_path) == []


def test_no_tablet_messages(tmp_path, monkeypatch):
    evdev = pytest.importorskip("evdev")
    with pytest.raises(NoTabletError, match="cannot open"):
        EvdevSource(str(tmp_path / "event99"))

    def denied(path):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr(evdev, "InputDevice", denied)
    with pytest.raises(NoTabletError, match="'input' group"):
        EvdevSource("/dev/input/event3")
    from penmotor_capture.sources import find_tablets

    with pytest.raises(NoTabletError, match="permission denied reading /dev/input/event1.*'input' group"):
        find_tablets(["/dev/input/event1"])


def test_cli_parser_errors(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PENMOTOR_SESSIONS", str(tmp_path))
    with pytest.raises(SystemExit):
        capture_main(["--speed", "fast"])
    assert "expected a number or 'max'" in capsys.readouterr().err
    assert capture_main(["--mouse"]) == 2  # no child id
    assert "--child ID is required" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        capture_main(["--child", "C1", "--task", "dance"])
    assert "invalid choice: 'dance'" in capsys.readouterr().err


def test_replay_source_paced(evemu_dir):
    src = ReplaySource(evemu_dir / "wacom_cintiq13hd_touch_pen.evemu", speed=4.0)
    blocks = []
    with src:
        while not src.drained:
            blocks.append(src.poll())
            time.sleep(0.01)
        blocks.append(src.poll())
    got = np.concatenate(blocks)
    assert len(got) == 78 and np.all(np.diff(got["t_us"]) > 0)
    assert len([b for b in blocks if b.size]) > 3  # paced: arrives in many pieces, not at once
    assert Path(src.info.path).name.startswith("wacom_cintiq13hd")


def test_evdev_source_with_fake_device(monkeypatch):
    """The live back end on a stand-in for python-evdev: capabilities, initial state, reader thread."""
    from types import SimpleNamespace

    import penmotor_capture.sources as sources

    AI = SimpleNamespace

    class FakeDev:
        def __init__(self, path):
            self.path, self.name = path, "Fake Wacom Pen"
            self.fd, self._w = os.pipe()
            self.info = SimpleNamespace(bustype=3, vendor=0x56A, product=0xB9, version=1)
            self.events = []

        def capabilities(self, absinfo=False):
            ax = {0: AI(value=500, min=0, max=1000, fuzz=0, flat=0, resolution=100),
                  1: AI(value=300, min=0, max=800, fuzz=0, flat=0, resolution=100),
                  0x18: AI(value=0, min=0, max=2047, fuzz=0, flat=0, resolution=0)}
            return {3: list(ax.items()) if absinfo else list(ax), 1: [0x140, 0x141, 0x14A]}

        def active_keys(self):
            return [0x140]  # pen already in range when the session starts

        def absinfo(self, code):
            return dict(self.capabilities(absinfo=True)[3])[code]

        def push(self, evs):
            self.events.extend(SimpleNamespace(sec=t // 10**6, usec=t % 10**6, type=a, code=b, value=v)
                               for t, a, b, v in evs)
            os.write(self._w, b"x")

        def read(self):
            os.read(self.fd, 64)
            evs, self.events = self.events, []
            return iter(evs)

        def close(self):
            os.close(self.fd)
            os.close(self._w)

    made = []
    fake = SimpleNamespace(InputDevice=lambda p: made.append(FakeDev(p)) or made[-1])
    monkeypatch.setattr(sources, "_evdev", lambda: fake)
    src = EvdevSource("/dev/input/event5")
    assert src.info.name == "Fake Wacom Pen" and src.info.size_mm == (10.0, 8.0)
    with src:
        made[0].push([(1_000_000, 3, 0x18, 900), (1_000_000, 1, 0x14A, 1), (1_000_000, 0, 0, 0),
                      (1_004_000, 3, 0, 510), (1_004_000, 0, 0, 0),
                      (1_008_000, 3, 0, 520)])  # unfinished frame: held back
        got = []
        deadline = time.monotonic() + 10
        while len(got) < 2 and time.monotonic() < deadline:
            b = src.poll()
            got.extend(b.tolist())
            time.sleep(0.01)
        assert src.decoder.pending_events == 1
        # kernel buffer overrun: the frame is discarded and the state re-read from the device
        made[0].push([(1_008_000, 3, 1, 310), (1_008_000, 0, 3, 0), (1_008_000, 0, 0, 0),
                      (1_012_000, 3, 0x18, 950), (1_012_000, 0, 0, 0)])
        while len(got) < 3 and time.monotonic() < deadline:
            got.extend(src.poll().tolist())
            time.sleep(0.01)
    s = np.array(got, dtype=src.poll().dtype)
    assert s["t_us"].tolist() == [1_000_000, 1_004_000, 1_012_000]
    assert s["x"].tolist() == [500, 510, 500] and s["y"].tolist() == [300, 300, 300]  # absinfo.value
    assert s["pressure"].tolist() == [900, 900, 950]
    assert s["contact"].tolist() == [True, True, False]  # re-read keys: BTN_TOUCH not held
    assert src.decoder.dropped_frames == 1


def test_child_picker_start_screen():
    from penmotor_capture.window import ask_child

    E = pygame.event.Event

    def key(k, u=""):
        pygame.event.post(E(pygame.KEYDOWN, key=k, unicode=u, mod=0))

    def type_na(frame):
        if frame == 1:
            key(pygame.K_RETURN, "\r")      # empty id: refused, the screen stays
            key(pygame.K_n, "n"), key(pygame.K_a, "a"), key(pygame.K_SPACE, " ")  # the space is ignored
            key(pygame.K_RETURN, "\r")     # "na" looks like a name (no digit): refused
            key(pygame.K_7, "7")
            key(pygame.K_RETURN, "\r")

    assert ask_child(size=(400, 300), on_frame=type_na, max_frames=10) == ("na7", ["lines", "spiral", "sentence", "free"])

    def pick_known(frame):
        if frame == 1:
            key(pygame.K_TAB, "\t"), key(pygame.K_TAB, "\t")  # second known id
            key(pygame.K_F2)                                    # spiral off
            key(pygame.K_RETURN, "\r")

    assert ask_child(size=(400, 300), known=["C001", "C002"], on_frame=pick_known, max_frames=10) == (
        "C002", ["lines", "sentence", "free"])

    def cancel(frame):
        key(pygame.K_ESCAPE)

    assert ask_child(size=(400, 300), on_frame=cancel, max_frames=10) is None


def test_find_tablets_prefers_pens(monkeypatch):
    from types import SimpleNamespace

    import penmotor_capture.sources as sources

    caps = {
        "/dev/input/event0": ("Keyboard", {1: [30, 31]}),
        "/dev/input/event1": ("UC-LOGIC Tablet Pen", {3: [0, 1, 0x18], 1: [0x14A, 0x14B]}),
        "/dev/input/event2": ("Touchscreen", {3: [0, 1, 0x18, 0x35, 0x36], 1: [0x14A, 0x14B]}),
        "/dev/input/event3": ("Wacom Intuos Pen", {3: [0, 1, 0x18, 0x1A], 1: [0x140, 0x14A]}),
    }

    def open_dev(path):
        if path == "/dev/input/event9":
            raise PermissionError(13, "denied", path)
        name, c = caps[path]
        return SimpleNamespace(name=name, capabilities=lambda: c, close=lambda: None)

    monkeypatch.setattr(sources, "_evdev", lambda: SimpleNamespace(InputDevice=open_dev))
    got = sources.find_tablets([*caps, "/dev/input/event9"])
    assert got == [("/dev/input/event3", "Wacom Intuos Pen"), ("/dev/input/event1", "UC-LOGIC Tablet Pen")]
    assert sources.find_tablets(["/dev/input/event0"]) == []
