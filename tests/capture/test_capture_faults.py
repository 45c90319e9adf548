"""Capture faults, headless: disk full, no tablet, unplug, bad journals, Ctrl-C and the small things.

Every test drives the real code (the pygame window under SDL's dummy driver, the CLI, the
decoder) with synthetic event streams, the real evemu recordings and injected faults.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
pygame = pytest.importorskip("pygame")
pytest.importorskip("penmotor_capture")

import penmotor  # noqa: E402
from penmotor.errors import UnitsError  # noqa: E402
from penmotor_capture import Decoder, decode, empty_samples, read_evemu  # noqa: E402
from penmotor_capture.cli import EXIT_FALLBACK, EXIT_INTERRUPTED  # noqa: E402
from penmotor_capture.cli import main as capture_main  # noqa: E402
from penmotor_capture.events import (  # noqa: E402
    ABS_PRESSURE, ABS_X, ABS_Y, BTN_TOOL_PEN, BTN_TOOL_RUBBER, BTN_TOUCH, EV_ABS, EV_KEY, EV_SYN, SYN_DROPPED,
    SYN_REPORT, AbsInfo, DeviceInfo,
)
from penmotor_capture.journal import Journal, find_unfinished, journal_paths  # noqa: E402
from penmotor_capture.session import NoSpaceError, Session, recover_all, required_bytes  # noqa: E402
from penmotor_capture.sources import (  # noqa: E402
    MOUSE_NOTES, EvdevSource, MouseSource, NoTabletError, PenSource, ReplaySource,
)
from penmotor_capture.window import STATUS_H, CaptureWindow  # noqa: E402

CINTIQ = "wacom_cintiq12wx_pen.evemu"
E = pygame.event.Event


def _key(k: int) -> object:
    return E(pygame.KEYDOWN, key=k, mod=0, unicode="")


def _all_samples(path: Path) -> np.ndarray:
    s = read_evemu(path)
    return Decoder.for_device(s.info).feed(s.t_us, s.type, s.code, s.value)


def _long_evemu(evemu_dir: Path, tmp_path: Path, repeat: int) -> Path:
    """The Cintiq recording played `repeat` times back to back (a longer session, same device)."""
    src = (evemu_dir / CINTIQ).read_text().splitlines()
    head = [ln for ln in src if not ln.startswith("E:")]
    ev = [ln.split() for ln in src if ln.startswith("E:")]
    t = np.array([float(p[1]) for p in ev])
    span = t[-1] - t[0] + 0.5
    out = list(head)
    for k in range(repeat):
        out += [f"E: {ti + k * span:.6f} {p[2]} {p[3]} {p[4]}" for ti, p in zip(t, ev)]
    path = tmp_path / f"long{repeat}.evemu"
    path.write_text("\n".join(out) + "\n")
    return path


@pytest.fixture
def rescue(tmp_path, monkeypatch):
    """The user data folder (first fallback) inside the test's tmp folder."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "userdata"))
    return tmp_path / "userdata" / "penmotor" / "rescued"


def _fail_fsync_under(monkeypatch, folder: Path, *, after: int = 0) -> list[int]:
    """Make os.fsync raise ENOSPC for files under `folder` (after `after` good calls)."""
    real = os.fsync
    calls = [0]

    def fsync(fd):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = ""
        if target.startswith(str(folder)):
            calls[0] += 1
            if calls[0] > after:
                raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return calls


# ------------------------------------------------------------------------------ 1. disk full
def test_injected_enospc_keeps_every_sample_and_saves_to_fallback(evemu_dir, tmp_path, rescue, monkeypatch, capsys):
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc/self/fd to tell which file an fsync is for")
    full = tmp_path / "full"
    full.mkdir()
    _fail_fsync_under(monkeypatch, full, after=3)  # header + first attempt sync fine, then the disk is full
    path = evemu_dir / CINTIQ
    rc = capture_main(["--replay", str(path), "--speed", "max", "--out", str(full / "S.pmr"), "--child", "C9",
                       "--task", "free", "--size", "480x360", "--sync-interval", "0"])
    out, err = capsys.readouterr()
    want = len(_all_samples(path))
    last = out.strip().splitlines()[-1]
    assert rc == EXIT_FALLBACK, err
    assert last == f"saved {want} samples: {rescue / 'S.pmr'}"   # names the file actually written
    assert "No space left on device" in err and "fallback" in err
    rec = penmotor.read(rescue / "S.pmr")
    assert len(rec) == want                                      # nothing lost
    assert rec.meta["capture"]["saved_to_fallback"] and "No space" in rec.meta["capture"]["storage_error"]
    assert find_unfinished(full) == []                           # no stale journal to "recover" later


def test_journal_failure_is_on_screen_and_recording_goes_on(evemu_dir, tmp_path, rescue, monkeypatch):
    _fail_fsync_under(monkeypatch, tmp_path / "full", after=2)
    (tmp_path / "full").mkdir()
    src = ReplaySource(evemu_dir / CINTIQ, speed=float("inf"), chunk_events=50)
    ses = Session(tmp_path / "full" / "s.pmr", src.info, child="C1", tasks=["free"], sync_interval_s=0)
    seen = []

    def on_frame(win, frame):
        seen.append(win.overlay_text())
        if frame == 400:
            deadline = time.monotonic() + 60.0   # the replay thread may lag on a loaded machine
            while not src.finished and time.monotonic() < deadline:
                time.sleep(0.01)
            pygame.event.post(_key(pygame.K_RETURN))  # acknowledged: the message goes away

    win = CaptureWindow(src, ses, size=(480, 360), fps=0, on_frame=on_frame)
    files = win.run(max_frames=420)
    assert ses.storage_error and "No space" in ses.storage_error
    shown = [t for t in seen if t]
    assert shown and "DISK REFUSED" in shown[0] and "continues in memory" in shown[0]
    assert seen[-1] is None                         # hidden after Enter
    assert ses.n_samples == len(_all_samples(evemu_dir / CINTIQ))
    assert files[0].parent == rescue and len(penmotor.read(files[0])) == ses.n_samples


def test_free_space_checked_at_start(tmp_path, monkeypatch, capsys):
    info = DeviceInfo("Pen", {0: AbsInfo(0, 2000, resolution=100), 1: AbsInfo(0, 1000, resolution=100)})
    usage = shutil.disk_usage(tmp_path)
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage._replace(free=required_bytes(10) - 1))
    with pytest.raises(NoSpaceError, match=r"MiB free in .*needs .*--plan-minutes"):
        Session(tmp_path / "C1" / "s.pmr", info, child="C1", tasks=["free", "lines"])  # 2 tasks x 5 min
    assert not (tmp_path / "C1").exists()           # refused before anything was created
    Session(tmp_path / "s.pmr", info, child="C1", tasks=["free"]).close()  # 5 min fit


@pytest.fixture
def tiny_fs(tmp_path):
    """A 256 KiB tmpfs (mounted for the test, always unmounted); skipped where mount is not allowed."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tiny tmpfs needs root (CI runs as root)")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"mount not permitted here: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def test_tiny_filesystem_refused_at_start_then_full_mid_session(evemu_dir, tmp_path, tiny_fs, rescue, capsys):
    long = _long_evemu(evemu_dir, tmp_path, 12)  # 4320 samples: ~300 KiB of journal > 256 KiB
    want = len(_all_samples(long))
    args = ["--replay", str(long), "--speed", "max", "--out", str(tiny_fs / "T.pmr"), "--child", "C3",
            "--task", "free", "--size", "400x300"]
    assert capture_main(args) == 2                   # default plan: 5 minutes do not fit in 256 KiB
    err = capsys.readouterr().err
    assert "MiB free" in err and "--plan-minutes" in err and not any(tiny_fs.iterdir())
    rc = capture_main([*args, "--plan-minutes", "0"])  # the OT insists: the disk fills up mid-session
    out, err = capsys.readouterr()
    assert rc == EXIT_FALLBACK, err
    assert out.strip().splitlines()[-1] == f"saved {want} samples: {rescue / 'T.pmr'}"
    assert len(penmotor.read(rescue / "T.pmr")) == want
    assert find_unfinished(tiny_fs) == []


# --------------------------------------------------------------------------- 2. no silent fallback
def _fake_evdev(devices: dict, denied: set | None = None):
    """A stand-in for python-evdev: `devices` maps path -> factory of fake devices."""
    denied = denied or set()

    def open_dev(path):
        if path in denied:
            raise PermissionError(errno.EACCES, "Permission denied", path)
        if path not in devices:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return devices[path](path)

    return SimpleNamespace(InputDevice=open_dev)


def test_no_tablet_refuses_and_says_how_to_record_the_mouse(tmp_path, monkeypatch, capsys):
    import penmotor_capture.sources as sources

    monkeypatch.setattr(sources, "_evdev", lambda: _fake_evdev({}, denied={"/dev/input/event3"}))
    monkeypatch.setattr(sources, "find_tablets", lambda paths=None: [])
    base = ["--child", "C1", "--sessions", str(tmp_path), "--size", "400x300"]
    assert capture_main(base) == 2
    err = capsys.readouterr().err
    assert "no pen tablet found" in err and "--mouse" in err
    assert capture_main([*base, "--device", "/dev/input/event3"]) == 2
    err = capsys.readouterr().err
    assert "'input' group" in err and "--mouse" in err
    assert not any(tmp_path.rglob("*.journal*")) and not any(tmp_path.rglob("*.pmr"))  # nothing recorded


def test_mouse_on_purpose_banner_fits_and_is_flagged(tmp_path):
    size = (400, 300)
    src = MouseSource((size[0], size[1] - STATUS_H), px_per_mm=4.0)
    ses = Session(tmp_path / "m.pmr", src.info, child="C7", tasks=["lines"], page_mm=(100, 68))
    widths = []

    def on_frame(win, frame):
        if frame == 1:
            for i in range(4):
                pygame.event.post(E(pygame.MOUSEBUTTONDOWN if i == 0 else pygame.MOUSEMOTION, pos=(50 + 10 * i, 80),
                                    rel=(0, 0), buttons=(1, 0, 0), button=1, touch=False, timestamp=1000 + 4 * i))
        if frame == 3:
            font = win._font
            segs = win._segments()
            for line in win._status_lines:
                widths.append(sum(font.size(segs[i][0] + " | ")[0] for i in line if i < len(segs)))
            assert segs[0][0] == MOUSE_NOTES
        if frame == 4:
            pygame.event.post(_key(pygame.K_s))
        if frame == 5:
            pygame.event.post(_key(pygame.K_y))

    win = CaptureWindow(src, ses, size=size, fps=0, on_frame=on_frame)
    files = win.run(max_frames=50)
    assert widths and max(widths) <= size[0] - 110      # every status line fits the window
    assert len(win._status_lines) > 1                    # wrapped instead of cut
    rec = penmotor.read(files[0])
    assert rec.meta["capture"]["mouse"] is True and rec.device.notes.startswith(MOUSE_NOTES)
    assert np.isnan(rec.pressure).all() and np.isnan(rec.tilt_x).all()
    # SDL's own event time stamps (ms) when pygame provides them, 4 ms apart here
    assert np.diff(rec.t) == pytest.approx([0.004] * 3) and "SDL event time stamps" in rec.device.notes
    assert set(rec.extra["tool"]) == {5.0} and rec.meta["tool_names"][5] == "mouse"


# --------------------------------------------------------------------------- 3. tools and proximity
def _ev(*rows):
    return tuple(np.array(c) for c in zip(*rows))


def test_proximity_out_with_touch_down_gives_no_corner_line_and_no_sticky_contact():
    K, A, S = EV_KEY, EV_ABS, EV_SYN
    ev = _ev((0, K, BTN_TOOL_PEN, 1), (0, A, ABS_X, 500), (0, A, ABS_Y, 400), (0, S, SYN_REPORT, 0),
             (1, K, BTN_TOUCH, 1), (1, A, ABS_PRESSURE, 300), (1, S, SYN_REPORT, 0),
             (2, A, ABS_X, 520), (2, S, SYN_REPORT, 0),
             # a buggy tablet leaves proximity with the tip still down and zeroes the axes
             (3, K, BTN_TOOL_PEN, 0), (3, A, ABS_X, 0), (3, A, ABS_Y, 0), (3, A, ABS_PRESSURE, 0),
             (3, S, SYN_REPORT, 0),
             # comes back hovering elsewhere: BTN_TOUCH was never released
             (4, K, BTN_TOOL_PEN, 1), (4, A, ABS_X, 900), (4, A, ABS_Y, 700), (4, S, SYN_REPORT, 0),
             (5, A, ABS_X, 910), (5, S, SYN_REPORT, 0),
             (6, K, BTN_TOUCH, 0), (6, S, SYN_REPORT, 0),
             (7, K, BTN_TOUCH, 1), (7, A, ABS_PRESSURE, 200), (7, S, SYN_REPORT, 0))
    dec = Decoder(initial={BTN_TOUCH: 0})
    out = dec.feed(*ev)
    assert out["t_us"].tolist() == [0, 1, 2, 4, 5, 6, 7]                 # nothing at t=3
    assert not ((out["x"] == 0) & (out["y"] == 0)).any()                  # no false line to the corner
    assert out["contact"].tolist() == [False, True, True, False, False, False, True]
    # the same stream in any chunking gives the same samples (the latch crosses feed() calls)
    dec2 = Decoder(initial={BTN_TOUCH: 0})
    parts = [dec2.feed(*(a[i:j] for a in ev)) for i, j in ((0, 7), (7, 13), (13, len(ev[0])))]
    assert np.concatenate(parts).tobytes() == out.tobytes()


def test_tool_and_serial_per_sample():
    K, A, S, M = EV_KEY, EV_ABS, EV_SYN, 4
    ev = _ev((0, K, 0x143, 1), (0, M, 0, 0x1234), (0, A, ABS_X, 1), (0, A, ABS_Y, 1), (0, S, SYN_REPORT, 0),
             (1, K, 0x143, 0), (1, S, SYN_REPORT, 0),
             (2, K, BTN_TOOL_RUBBER, 1), (2, M, 0, 0x99), (2, A, ABS_X, 5), (2, S, SYN_REPORT, 0),
             (3, K, BTN_TOOL_RUBBER, 0), (3, K, 0x144, 1), (3, S, SYN_REPORT, 0))
    out = decode(*ev)
    names = penmotor_capture_tool_names()
    assert [names[t] for t in out["tool"]] == ["pencil", "eraser", "airbrush"]
    assert out["eraser"].tolist() == [False, True, False]
    assert out["serial"].tolist() == [0x1234, 0x99, 0x99]


def penmotor_capture_tool_names():
    from penmotor_capture.events import TOOL_NAMES

    return TOOL_NAMES


def test_eraser_policy_leaves_eraser_free_recordings_bit_identical(evemu_dir):
    from penmotor_capture.convert import to_recording

    for name in ("wacom_cintiq13hd_touch_pen.evemu", "uclogic_wp5540u_pen.evemu"):
        s = read_evemu(evemu_dir / name)
        rec = to_recording(_all_samples(evemu_dir / name), s.info)
        plain = penmotor.Recording.from_arrays(rec.t, rec.x, rec.y, rec.pressure, rec.tilt_x, rec.tilt_y,
                                                rec.pen_down, device=rec.device)
        a, b = penmotor.features(rec), penmotor.features(plain)
        assert b["eraser_count"] != b["eraser_count"] and a["eraser_count"] == 0  # NaN without eraser info
        for k in a:
            if k != "eraser_count":
                assert np.array_equal(a[k], b[k], equal_nan=True), k


# ------------------------------------------------------------------------------ fake live tablets
class FakeDev:
    """A python-evdev InputDevice stand-in: a pipe for select(), queued events, injectable unplug."""

    def __init__(self, path, *, name="Fake Wacom Pen", resolution=100, tilt=False):
        self.path, self.name = path, name
        self.fd, self._w = os.pipe()
        self.info = SimpleNamespace(bustype=3, vendor=0x56A, product=0xB9, version=1)
        self.events, self.gone, self.closed = [], False, False
        self.resolution, self.tilt = resolution, tilt

    def capabilities(self, absinfo=False):
        AI = SimpleNamespace
        ax = {0: AI(value=0, min=0, max=1000, fuzz=0, flat=0, resolution=self.resolution),
              1: AI(value=0, min=0, max=800, fuzz=0, flat=0, resolution=self.resolution),
              0x18: AI(value=0, min=0, max=2047, fuzz=0, flat=0, resolution=0)}
        if self.tilt:  # declared, initial value 0, never reported
            ax[0x1A] = AI(value=0, min=-64, max=63, fuzz=0, flat=0, resolution=57)
            ax[0x1B] = AI(value=0, min=-64, max=63, fuzz=0, flat=0, resolution=57)
        return {3: list(ax.items()) if absinfo else list(ax), 1: [0x140, 0x141, 0x14A]}

    def active_keys(self):
        return []

    def absinfo(self, code):
        return dict(self.capabilities(absinfo=True)[3])[code]

    def push(self, evs):
        self.events.extend(SimpleNamespace(sec=t // 10**6, usec=t % 10**6, type=a, code=b, value=v)
                           for t, a, b, v in evs)
        os.write(self._w, b"x")

    def unplug(self):
        self.gone = True
        os.write(self._w, b"x")

    def read(self):
        if self.gone:
            raise OSError(errno.ENODEV, "No such device")
        try:
            os.read(self.fd, 64)
        except BlockingIOError:  # pragma: no cover
            pass
        evs, self.events = self.events, []
        if not evs:
            raise BlockingIOError
        return iter(evs)

    def grab(self):
        pass

    def ungrab(self):
        pass

    def close(self):
        if not self.closed:
            self.closed = True
            os.close(self.fd)
            os.close(self._w)


def _stroke(t0, n, x0=100):
    """A pen-in, n-sample touching stroke, 4 ms frames."""
    ev = [(t0, 1, 0x140, 1), (t0, 3, 0, x0), (t0, 3, 1, 200), (t0, 0, 0, 0)]
    for i in range(1, n + 1):
        t = t0 + 4000 * i
        ev += [(t, 1, 0x14A, 1)] if i == 1 else []
        ev += [(t, 3, 0, x0 + i), (t, 3, 0x18, 500 + i), (t, 0, 0, 0)]
    return ev


def test_declared_axis_that_never_reports_is_nan_and_bad_resolution_refused(monkeypatch):
    import penmotor_capture.sources as sources

    made = []
    monkeypatch.setattr(sources, "_evdev", lambda: _fake_evdev(
        {"/dev/input/event5": lambda p: made.append(FakeDev(p, tilt=True)) or made[-1],
         "/dev/input/event6": lambda p: FakeDev(p, name="Acme Pad", resolution=0)}))
    src = EvdevSource("/dev/input/event5")
    got = []
    with src:
        made[0].push(_stroke(1_000_000, 3))
        deadline = time.monotonic() + 10
        while len(got) < 4 and time.monotonic() < deadline:
            got += src.poll().tolist()
            time.sleep(0.01)
    s = np.array(got, dtype=empty_samples(0).dtype)
    assert len(s) == 4 and np.isnan(s["tilt_x"]).all() and np.isnan(s["tilt_y"]).all()  # not absinfo's 0
    with pytest.raises(NoTabletError, match="no x/y resolution.*NAMED_RESOLUTION.*--mouse"):
        EvdevSource("/dev/input/event6")


# ------------------------------------------------------------------------------ 4. recovery
def test_each_journal_recovered_or_reported_on_its_own(tmp_path, capsys):
    good = DeviceInfo("Pen", {0: AbsInfo(0, 2000, resolution=100), 1: AbsInfo(0, 1000, resolution=100)})
    s = empty_samples(5)
    s["t_us"] = np.arange(5) * 4000
    s["x"] = s["y"] = 10
    for name in ("a", "c"):
        ses = Session(tmp_path / "C1" / f"{name}.pmr", good, child="C1", tasks=["free"])
        ses.accept(s)
        ses.close(saved=False)                      # crashed
    # b: a journal written by an older version for a tablet with resolution 0 and no known model
    nores = DeviceInfo("Acme Pad", {0: AbsInfo(0, 2000), 1: AbsInfo(0, 1000)})
    j = Journal(tmp_path / "C1" / "b.pmr", {"child": "C1", "device_info": nores.to_dict()})
    j.append(s)
    j.close(closed=False)
    # a': its binary journal is damaged
    journal_paths(tmp_path / "C1" / "a.pmr")[0].write_bytes(b"garbage, not a journal")
    res = {r.session.name: r for r in recover_all(tmp_path)}
    assert res["a.pmr"].error and "magic" in res["a.pmr"].error
    assert res["b.pmr"].error and "no x/y resolution" in res["b.pmr"].error
    assert res["c.pmr"].error is None and res["c.pmr"].samples == 5
    assert len(penmotor.read(tmp_path / "C1" / "c.pmr")) == 5
    # the CLI reports each failing journal with its path and reason, and still exits non-zero
    assert capture_main(["--recover", "--sessions", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert f"could not recover {tmp_path / 'C1' / 'a.pmr'}" in err and "b.pmr" in err


def test_device_without_resolution_refused_at_start(tmp_path):
    info = DeviceInfo("Acme Pad", {0: AbsInfo(0, 2000), 1: AbsInfo(0, 1000)})
    with pytest.raises(UnitsError, match="no x/y resolution.*before recording"):
        Session(tmp_path / "s.pmr", info, child="C1", tasks=["free"])
    assert list(tmp_path.iterdir()) == []  # no journal that could never be recovered


# ------------------------------------------------------------------------------ 5. unplug / re-plug
def test_poll_never_drops_samples_delivered_before_an_error():
    src = PenSource()
    a, b = empty_samples(221), empty_samples(2)
    src._put(a)
    src._put(b)
    src.error = OSError(errno.ENODEV, "gone")
    assert len(src.poll()) == 223            # before: the error was raised and these 223 were dropped
    with pytest.raises(OSError):
        src.poll()


def test_unplug_pauses_with_message_and_replug_resumes(tmp_path, monkeypatch):
    import penmotor_capture.sources as sources

    made = []
    plugged = {"yes": True}

    def factory(p):
        if not plugged["yes"]:
            raise FileNotFoundError(errno.ENOENT, "No such file", p)
        made.append(FakeDev(p))
        return made[-1]

    monkeypatch.setattr(sources, "_evdev", lambda: _fake_evdev({"/dev/input/event7": factory}))
    monkeypatch.setattr(sources, "find_tablets", lambda paths=None: [])
    src = EvdevSource("/dev/input/event7")
    src.replug_poll_s = 0.02
    ses = Session(tmp_path / "u.pmr", src.info, child="C2", tasks=["free"])
    texts, counts = {}, {}

    def wait(cond):
        deadline = time.monotonic() + 10
        while not cond() and time.monotonic() < deadline:
            time.sleep(0.01)

    def on_frame(win, frame):
        if frame == 1:  # a stroke, lifted, out of range (the out-of-range frame gives no sample)
            made[0].push(_stroke(1_000_000, 20) + [(1_090_000, 1, 0x14A, 0), (1_090_000, 0, 0, 0),
                                                   (1_094_000, 1, 0x140, 0), (1_094_000, 0, 0, 0)])
            wait(lambda: src.delivered == 22)
        elif frame == 2:  # the cable is pulled in the middle of the next stroke
            made[0].push(_stroke(2_000_000, 10, x0=300))
            wait(lambda: src.delivered == 33)
            plugged["yes"] = False
            made[0].unplug()
            wait(lambda: src.unplugged)
        elif frame == 5:
            texts["unplugged"], counts["unplugged"] = win.overlay_text(), win.session.n_samples
            plugged["yes"] = True
            wait(lambda: not src.unplugged)
        elif frame == 7:
            made[-1].push(_stroke(3_000_000, 5, x0=600))
            wait(lambda: src.delivered == 39)
        elif frame == 9:
            texts["back"] = win.overlay_text()
            pygame.event.post(_key(pygame.K_ESCAPE))
        elif frame == 10:
            pygame.event.post(_key(pygame.K_y))

    win = CaptureWindow(src, ses, size=(480, 360), fps=0, on_frame=on_frame)
    files = win.run(max_frames=60)
    assert "TABLET UNPLUGGED" in texts["unplugged"] and "plug the same tablet back in" in texts["unplugged"]
    assert counts["unplugged"] == 33          # every sample delivered before the error is kept
    assert texts["back"] is None and len(made) == 2
    rec = penmotor.read(files[0])
    assert len(rec) == 39 and rec.meta["capture"]["unplugs"] == 1
    assert rec.n_strokes == 3 and rec.x[-1] == pytest.approx(605 / 100)


# ------------------------------------------------------------------------------ 6. the small things
def test_syn_dropped_counts_saved_in_session_timing(evemu_dir, tmp_path):
    path = evemu_dir / "wacom_intuos4_6x9.stylus-drag.events"
    lines = path.read_text().splitlines()
    ev = [i for i, ln in enumerate(lines) if ln.startswith("E:") and ln.split()[2:4] == ["0000", "0000"]]
    for k in (40, 80, 120):  # three frames overrun in the kernel buffer
        t = lines[ev[k]].split()[1]
        lines[ev[k]] = f"E: {t} 0000 0003 0\n" + lines[ev[k]]
    bad = tmp_path / "wacom_intuos4_6x9.drops.events"
    bad.write_text("\n".join(lines) + "\n")
    shutil.copy(evemu_dir / "wacom_intuos4_6x9.desc", tmp_path / "wacom_intuos4_6x9.desc")
    out = tmp_path / "d.pmr"
    assert capture_main(["--replay", str(bad), "--speed", "max", "--out", str(out), "--child", "C4",
                         "--task", "free", "--size", "400x300"]) == 0
    assert penmotor.read(out).meta["capture"]["timing"]["syn_dropped_frames"] == 3


def test_journal_files_are_private(tmp_path):
    info = DeviceInfo("Pen", {0: AbsInfo(0, 2000, resolution=100), 1: AbsInfo(0, 1000, resolution=100)})
    old = os.umask(0o022)
    try:
        ses = Session(tmp_path / "p.pmr", info, child="C1", tasks=["free"])
        smp = empty_samples(3)
        smp["x"] = smp["y"] = 5
        ses.accept(smp)
        files = ses.save()
    finally:
        os.umask(old)
    for p in (*journal_paths(tmp_path / "p.pmr"), *files):
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p


def test_ctrl_c_saves(evemu_dir, tmp_path, monkeypatch, capsys):
    real_get = pygame.event.get
    calls = [0]

    def get(*a, **k):
        calls[0] += 1
        if calls[0] == 30:
            raise KeyboardInterrupt
        return real_get(*a, **k)

    monkeypatch.setattr(pygame.event, "get", get)
    path = evemu_dir / CINTIQ
    out = tmp_path / "i.pmr"
    rc = capture_main(["--replay", str(path), "--speed", "1", "--out", str(out), "--child", "C5",
                       "--task", "free", "--size", "400x300"])
    o, err = capsys.readouterr()
    assert rc == EXIT_INTERRUPTED and "interrupted (Ctrl-C); the session was saved" in err
    n = len(penmotor.read(out))
    assert o.strip().splitlines()[-1] == f"saved {n} samples: {out}" and n > 0
    assert find_unfinished(tmp_path) == []


def test_replay_without_out_ends_shows_progress_and_stays_out_of_sessions(evemu_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PENMOTOR_SESSIONS", str(tmp_path / "sessions"))
    rc = capture_main(["--replay", str(evemu_dir / "wacom_intuos4_6x9.stylus-tap.events"), "--speed", "max",
                       "--task", "free", "--size", "400x300"])
    out = capsys.readouterr().out
    assert rc == 0 and "replay 100%" in out
    saved = Path(out.strip().splitlines()[-1].split(": ", 1)[1])
    assert saved.parent == tmp_path / "penmotor-replays" and len(penmotor.read(saved)) == 87
    assert not (tmp_path / "sessions").exists()


def test_out_inkml_also_writes_pmr(evemu_dir, tmp_path, capsys):
    rc = capture_main(["--replay", str(evemu_dir / "wacom_intuos4_6x9.stylus-tap.events"), "--speed", "max",
                       "--out", str(tmp_path / "x.inkml"), "--child", "C6", "--task", "free", "--size", "400x300"])
    assert rc == 0
    assert len(penmotor.read(tmp_path / "x.pmr")) == len(penmotor.read(tmp_path / "x.inkml")) == 87
    assert f"saved 87 samples: {tmp_path / 'x.pmr'}" in capsys.readouterr().out


def test_ending_needs_two_steps(tmp_path):
    src = MouseSource((400, 300 - STATUS_H), px_per_mm=4.0)
    ses = Session(tmp_path / "e.pmr", src.info, child="C1", tasks=["free"], page_mm=(100, 68))
    script = {2: pygame.K_s, 3: pygame.K_a, 5: pygame.K_ESCAPE, 6: pygame.K_n, 8: pygame.K_s}
    seen = {}

    def on_frame(win, frame):
        if frame in script:
            pygame.event.post(_key(script[frame]))
        if frame == 4:
            seen["after S, A"] = win.running
        if frame == 9:
            seen["asked"] = win.overlay_text()
            pygame.event.post(_key(pygame.K_y))

    win = CaptureWindow(src, ses, size=(400, 300), fps=0, on_frame=on_frame)
    win.run(max_frames=40)
    assert seen["after S, A"] is True                         # a stray second key cancels
    assert "End the session?" in seen["asked"]
    assert len(win.frame_times) == 10                         # S then Y (frame 9) ended it


def test_display_option_and_help_lists_keys(tmp_path, capsys):
    with pytest.raises(SystemExit):
        capture_main(["--help"])
    out = capsys.readouterr().out
    assert "S / Esc, then Y" in out and "fullscreen" in out and "--display" in out and "exit status" in out
    rc = capture_main(["--mouse", "--child", "C1", "--out", str(tmp_path / "d.pmr"), "--display", "3",
                       "--size", "400x300"])
    assert rc == 2 and "display: expected 0..0" in capsys.readouterr().err
