"""Pen sources: one interface (:class:`PenSource`), three back ends.

* :class:`EvdevSource` -- a Linux tablet through python-evdev, read on its own thread,
  kernel time stamps on the monotonic clock;
* :class:`ReplaySource` -- an evemu recording played through the same :class:`~.Decoder`
  (at recorded speed or as fast as possible);
* :class:`MouseSource` -- the pygame mouse/touch, only on purpose (``--mouse``), flagged
  "mouse: no pressure, no tilt" (pressure is NaN, so pressure metrics say NaN).

Every source delivers blocks of :data:`~penmotor_capture.SAMPLE_DTYPE` through
:meth:`PenSource.poll`, which never blocks: sampling runs beside the window. A source
error never discards samples already delivered: :meth:`PenSource.poll` hands them out
first and raises only once nothing is left. A live tablet that is unplugged pauses
(:attr:`EvdevSource.unplugged`) and resumes when the same device comes back.
"""

from __future__ import annotations

import errno
import queue
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from penmotor.errors import PenmotorError

from .decoder import Decoder, empty_samples
from .events import (
    ABS_PRESSURE, ABS_X, ABS_Y, BTN_TOOL_PEN, EV_ABS, EV_KEY, TOOL_KEYS, TOOL_NAMES, AbsInfo, DeviceInfo,
    EventStream, read_evemu,
)

__all__ = [
    "PenSource", "EvdevSource", "ReplaySource", "MouseSource", "NoTabletError", "find_tablets", "tablet_score",
    "MOUSE_NOTES", "MOUSE_HINT",
]

#: Device notes (and on-screen banner) of the mouse source.
MOUSE_NOTES = "mouse: no pressure, no tilt"
#: How to record the mouse on purpose; ends every "no tablet" message.
MOUSE_HINT = "to record the mouse on purpose (no pressure, no tilt, no hover) run `penmotor capture --mouse`"
PERMISSION_HINT = (
    "permission denied reading {path}: add your user to the 'input' group "
    "(sudo usermod -aG input $USER, then log out and in again); " + MOUSE_HINT
)


class NoTabletError(PenmotorError):
    """No usable pen tablet (none attached, or /dev/input not readable)."""


class PenSource:
    """A running pen source. Subclasses fill :attr:`info` and push sample blocks.

    Use as a context manager or call :meth:`start` / :meth:`stop`. :meth:`poll` returns
    every sample delivered since the previous call (possibly none) without blocking.
    """

    info: DeviceInfo
    #: True once a finite source (a replay) has delivered everything.
    finished: bool = False
    #: True while a live device is gone (unplugged) and the source waits for it to return.
    unplugged: bool = False

    @property
    def dropped_frames(self) -> int:
        """Frames the kernel dropped (``SYN_DROPPED``) so far; 0 for sources without a kernel buffer."""
        decoder = getattr(self, "decoder", None)
        return 0 if decoder is None else int(decoder.dropped_frames)

    @property
    def progress(self) -> float | None:
        """Fraction of a finite source delivered so far (None for live sources)."""
        return None

    def __init__(self) -> None:
        self._q: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        self.error: BaseException | None = None
        self.delivered = 0

    def start(self) -> "PenSource":
        """Start sampling (idempotent)."""
        return self

    def stop(self) -> None:
        """Stop sampling and release the device."""

    def _put(self, block: np.ndarray) -> None:
        if block.size:
            self.delivered += int(block.size)
            self._q.put(block)

    def poll(self) -> np.ndarray:
        """All samples delivered since the last call (non-blocking).

        A source error is raised by the first call that has no samples left to hand out,
        so nothing delivered before the error is lost.
        """
        blocks = []
        while True:
            try:
                blocks.append(self._q.get_nowait())
            except queue.Empty:
                break
        if not blocks:
            if self.error is not None:  # raised only once every delivered sample was handed out
                err, self.error = self.error, None
                raise err
            return empty_samples(0)
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)

    @property
    def drained(self) -> bool:
        """Finished and nothing left to poll."""
        return self.finished and self._q.empty()

    def __enter__(self) -> "PenSource":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


# --------------------------------------------------------------------------- replay
class ReplaySource(PenSource):
    """Play an evemu recording through the live decoder.

    Parameters
    ----------
    path : str or Path, or EventStream
        ``.evemu`` file (or ``.events`` with its ``.desc``).
    speed : float
        1.0 = recorded timing, 2.0 = twice as fast, ``inf`` = as fast as possible.
    chunk_events : int
        With ``speed=inf``, events fed per decoder call (exercises the streaming path).
    start_delay_s : float
        Wait before the first event (lets a window open first).

    Examples
    --------
    >>> import glob
    >>> f = sorted(glob.glob("../shared/data/evemu/*.evemu"))[0]  # doctest: +SKIP
    >>> with ReplaySource(f, speed=float("inf")) as src:              # doctest: +SKIP
    ...     while not src.drained: blocks = src.poll()
    """

    def __init__(self, path: str | Path | EventStream, *, speed: float = 1.0, chunk_events: int = 4096,
                 start_delay_s: float = 0.0) -> None:
        super().__init__()
        self.stream = path if isinstance(path, EventStream) else read_evemu(path)
        self.info = self.stream.info
        if not speed > 0:
            raise PenmotorError(f"speed: expected > 0 (or inf), got {speed!r}")
        self.speed = float(speed)
        self.chunk_events = int(chunk_events)
        self.start_delay_s = float(start_delay_s)
        self.decoder = Decoder.for_device(self.info)
        self.fed = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def progress(self) -> float:
        """Fraction of the recording's events played so far."""
        n = len(self.stream)
        return 1.0 if n == 0 or self.finished else self.fed / n

    def start(self) -> "ReplaySource":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="penmotor-replay", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)

    def _run(self) -> None:
        try:
            s = self.stream
            if self.start_delay_s:
                self._stop.wait(self.start_delay_s)
            n = len(s)
            if not np.isfinite(self.speed):
                for a in range(0, n, self.chunk_events):
                    if self._stop.is_set():
                        return
                    b = a + self.chunk_events
                    self._put(self.decoder.feed(s.t_us[a:b], s.type[a:b], s.code[a:b], s.value[a:b]))
                    self.fed = min(b, n)
            else:
                rel = (s.t_us - (s.t_us[0] if n else 0)) / (1e6 * self.speed)
                t0 = time.monotonic()
                a = 0
                while a < n and not self._stop.is_set():
                    now = time.monotonic() - t0
                    b = int(np.searchsorted(rel, now, side="right"))
                    if b > a:
                        self._put(self.decoder.feed(s.t_us[a:b], s.type[a:b], s.code[a:b], s.value[a:b]))
                        a = self.fed = b
                    if a < n:
                        self._stop.wait(min(max(rel[a] - (time.monotonic() - t0), 0.0), 0.05))
        except BaseException as exc:  # pragma: no cover - surfaced by poll()
            self.error = exc
        finally:
            self.finished = True


# --------------------------------------------------------------------------- evdev
def _evdev() -> Any:
    try:
        import evdev
    except ImportError as exc:  # pragma: no cover
        raise NoTabletError("python-evdev is not installed (pip install 'penmotor[capture]'); "
                            "use --mouse or --replay") from exc
    return evdev


def _info_from_device(dev: Any) -> DeviceInfo:
    caps = dev.capabilities(absinfo=True)
    absinfo = {}
    for code, ai in caps.get(EV_ABS, []):
        absinfo[int(code)] = AbsInfo(ai.min, ai.max, ai.fuzz, ai.flat, ai.resolution, ai.value)
    keys = {int(c) for c in caps.get(EV_KEY, [])}
    i = dev.info
    return DeviceInfo(dev.name, absinfo, keys, (i.bustype, i.vendor, i.product, i.version), path=dev.path)


def tablet_score(caps: dict[int, list[int]]) -> int:
    """How much a device looks like a pen tablet: 2 = ABS_X/Y + ABS_PRESSURE + BTN_TOOL_PEN;
    1 = the same with BTN_STYLUS instead of BTN_TOOL_PEN (cheap tablets such as UC-Logic,
    not multi-touch screens); 0 = not a pen.

    Examples
    --------
    >>> tablet_score({3: [0, 1, 0x18], 1: [0x140, 0x14a]}), tablet_score({3: [0, 1, 0x18], 1: [0x14a, 0x14b]})
    (2, 1)
    >>> tablet_score({3: [0, 1, 0x18, 0x35, 0x36], 1: [0x14a, 0x14b]})
    0
    """
    absc = set(caps.get(EV_ABS, []))
    keys = set(caps.get(EV_KEY, []))
    if not {ABS_X, ABS_Y, ABS_PRESSURE} <= absc:
        return 0
    if BTN_TOOL_PEN in keys:
        return 2
    if 0x14B in keys and 0x35 not in absc:  # BTN_STYLUS, no ABS_MT_POSITION_X
        return 1
    return 0


def find_tablets(paths: list[str] | None = None) -> list[tuple[str, str]]:
    """Input devices that look like pen tablets (see :func:`tablet_score`), best first.

    Returns ``[(path, name), ...]``. Raises :class:`NoTabletError` with the group to join
    when ``/dev/input`` devices exist but none can be opened.
    """
    evdev = _evdev()
    if paths is None:
        paths = sorted(str(p) for p in Path("/dev/input").glob("event*"))
    found, denied = [], []
    for p in paths:
        try:
            dev = evdev.InputDevice(p)
        except PermissionError:
            denied.append(p)
            continue
        except OSError:
            continue
        try:
            score = tablet_score(dev.capabilities())
            if score:
                found.append((score, p, dev.name))
        finally:
            dev.close()
    found = [(p, name) for score, p, name in sorted(found, key=lambda f: -f[0])]
    if not found and denied:
        raise NoTabletError(PERMISSION_HINT.format(path=", ".join(denied[:3]) + (" ..." if len(denied) > 3 else "")))
    return found


class EvdevSource(PenSource):
    """A live Linux tablet (python-evdev), decoded on a reader thread.

    Parameters
    ----------
    path : str, optional
        ``/dev/input/eventN``; default: the first device from :func:`find_tablets`.
    grab : bool
        Grab the device so the desktop cursor does not follow the pen.

    Raises
    ------
    NoTabletError
        No tablet, or permission denied (the message says to join group ``input``).
    """

    EVIOCSCLOCKID = 0x400445A0  # _IOW('E', 0xa0, int)

    def __init__(self, path: str | None = None, *, grab: bool = False) -> None:
        super().__init__()
        evdev = _evdev()
        if path is None:
            tablets = find_tablets()
            if not tablets:
                raise NoTabletError("no pen tablet found in /dev/input (need ABS_X, ABS_Y, ABS_PRESSURE and "
                                    "BTN_TOOL_PEN or BTN_STYLUS): plug one in or pass --device /dev/input/eventN; "
                                    + MOUSE_HINT)
            path = tablets[0][0]
        try:
            self.dev = evdev.InputDevice(path)
        except PermissionError:
            raise NoTabletError(PERMISSION_HINT.format(path=path)) from None
        except OSError as exc:
            raise NoTabletError(f"cannot open {path}: {exc.strerror}; {MOUSE_HINT}") from None
        self.path = path
        self.info = _info_from_device(self.dev)
        if self.info.size_mm is None:
            name = self.info.name
            self.dev.close()
            raise NoTabletError(
                f"{path} ({name!r}) reports no x/y resolution and is not a known model, so its "
                "positions cannot be converted to mm; add it to "
                "penmotor_capture.events.NAMED_RESOLUTION (units per mm); " + MOUSE_HINT)
        self._set_clock()
        self.info.notes = f"kernel {self.clock} time stamps"
        self.decoder = Decoder.for_device(self.info, initial=self._initial_state())
        self.grab = grab
        self.unplugged = False
        self.unplugs = 0
        self.replug_poll_s = 0.25
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _set_clock(self) -> None:
        self.clock = "realtime"
        try:  # kernel time stamps on the monotonic clock (immune to wall-clock jumps)
            import fcntl
            import struct

            fcntl.ioctl(self.dev.fd, self.EVIOCSCLOCKID, struct.pack("i", time.CLOCK_MONOTONIC))
            self.clock = "monotonic"
        except (OSError, TypeError, ValueError):  # pragma: no cover - very old kernels
            pass

    def _initial_state(self) -> dict[Any, float]:
        """Key state from the device; axes from ``absinfo.value`` only while a tool is in range.

        Tilt and distance are never taken from ``absinfo``: an axis the device declares but
        never reports stays NaN instead of a made-up constant.
        """
        initial: dict[Any, float] = {}
        active = set(self.dev.active_keys())
        for k in (*TOOL_KEYS, 0x14A, 0x14B, 0x14C):
            if k in self.info.keys:
                initial[k] = 1.0 if k in active else 0.0
        if active & set(TOOL_KEYS):  # a tool is in range: its current position is real
            for code, name in ((ABS_X, "x"), (ABS_Y, "y"), (ABS_PRESSURE, "pressure")):
                ai = self.info.absinfo.get(code)
                if ai is not None and ai.value is not None:
                    initial[name] = ai.value
        return initial

    def start(self) -> "EvdevSource":
        if self._thread is None:
            if self.grab:
                self.dev.grab()
            self._thread = threading.Thread(target=self._run, name="penmotor-evdev", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        import select

        try:
            while not self._stop.is_set():
                try:
                    r, _, _ = select.select([self.dev.fd], [], [], 0.1)
                    if not r:
                        continue
                    events = list(self.dev.read())
                except BlockingIOError:
                    continue
                except OSError as exc:
                    if exc.errno not in (errno.ENODEV, errno.EBADF, errno.EIO):
                        raise
                    self._wait_for_replug()
                    continue
                if events:
                    self._feed(events)
        except BaseException as exc:  # surfaced by poll()
            self.error = exc
        finally:
            self.finished = self._stop.is_set() is False

    def _feed(self, events: list[Any]) -> None:
        a = np.array([(e.sec * 1_000_000 + e.usec, e.type, e.code, e.value) for e in events], dtype=np.int64)
        cut = len(a)
        drops = np.flatnonzero((a[:, 1] == 0) & (a[:, 2] == 3))  # SYN_DROPPED
        if drops.size:  # resync right after the discarded frame, before newer frames
            reports = np.flatnonzero((a[:, 1] == 0) & (a[:, 2] == 0) & (np.arange(len(a)) > drops[-1]))
            cut = int(reports[0]) + 1 if reports.size else len(a)
        for part in (a[:cut], a[cut:]):
            if len(part):
                dropped = self.decoder.dropped_frames
                self._put(self.decoder.feed(part[:, 0], part[:, 1], part[:, 2], part[:, 3]))
                if self.decoder.dropped_frames != dropped:
                    self._resync()

    def _same_device(self, dev: Any) -> bool:
        i = dev.info
        return dev.name == self.info.name and (i.bustype, i.vendor, i.product) == tuple(self.info.ids[:3])

    def _wait_for_replug(self) -> None:
        """The tablet is gone (ENODEV): keep what was delivered, wait for the same device, resume.

        The unfinished frame of the lost device is dropped (its events cannot complete);
        the decoder keeps its counters and restarts from the new device's key state.
        """
        self.unplugged = True
        self.unplugs += 1
        try:
            self.dev.close()
        except OSError:  # pragma: no cover
            pass
        evdev = _evdev()
        while not self._stop.wait(self.replug_poll_s):
            candidates = [self.path]
            try:
                candidates += [p for p, name in find_tablets() if name == self.info.name and p != self.path]
            except (NoTabletError, OSError):
                pass
            for p in candidates:
                try:
                    dev = evdev.InputDevice(p)
                except OSError:
                    continue
                if not self._same_device(dev):
                    dev.close()
                    continue
                self.dev, self.path = dev, p
                self._set_clock()
                if self.grab:
                    try:
                        dev.grab()
                    except OSError:  # pragma: no cover
                        pass
                old = self.decoder
                self.decoder = Decoder.for_device(self.info, initial=self._initial_state())
                self.decoder.frames, self.decoder.dropped_frames = old.frames, old.dropped_frames
                self.unplugged = False
                return

    def _resync(self) -> None:
        """After SYN_DROPPED (kernel buffer overrun): reload axis and key state from the device."""
        names = {ABS_X: "x", ABS_Y: "y", ABS_PRESSURE: "pressure", 0x19: "distance", 0x1A: "tilt_x",
                 0x1B: "tilt_y"}
        for code, name in names.items():  # axes never reported stay NaN
            if code in self.info.absinfo and np.isfinite(self.decoder.state[name]):
                self.decoder.state[name] = float(self.dev.absinfo(code).value)
        active = set(self.dev.active_keys())
        for k in (*TOOL_KEYS, 0x14A, 0x14B, 0x14C):
            if k in self.info.keys:
                self.decoder.state[k] = 1.0 if k in active else 0.0

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        try:
            if self.grab and not self.unplugged:
                self.dev.ungrab()
        except OSError:  # pragma: no cover
            pass
        try:
            self.dev.close()
        except OSError:  # pragma: no cover - already gone
            pass


# --------------------------------------------------------------------------- mouse
class MouseSource(PenSource):
    """The pygame mouse/touch, recorded on purpose (``--mouse``): device units are window pixels.

    Feed it the pygame events the window receives (:meth:`handle_event`); contact = left
    button or finger, pressure and tilt NaN, tool ``mouse``. Time stamps are SDL's own event
    time stamps when pygame exposes them (``event.timestamp``, ms) and otherwise the event
    loop's monotonic clock; :attr:`clock` and the device notes say which, and the notes
    start with :data:`MOUSE_NOTES` so the recording is flagged.

    Parameters
    ----------
    size_px : (int, int)
        Window size in pixels.
    px_per_mm : float
        Screen pixels per mm (from the screen size; 96 dpi = 3.78 px/mm by default).

    Examples
    --------
    >>> src = MouseSource((800, 600), px_per_mm=4.0)
    >>> src.info.notes.startswith(MOUSE_NOTES), src.info.size_mm
    (True, (200.0, 150.0))
    """

    def __init__(self, size_px: tuple[int, int] = (1024, 768), px_per_mm: float = 96 / 25.4) -> None:
        super().__init__()
        self.px_per_mm = float(px_per_mm)
        self.clock = "event-loop"
        self.resize(size_px)
        self._down = False
        self._clock = time.monotonic_ns

    def resize(self, size_px: tuple[int, int]) -> None:
        """Window resized: the device area follows the window."""
        w, h = int(size_px[0]), int(size_px[1])
        r = self.px_per_mm
        self.info = DeviceInfo(
            "pygame mouse/touch", {ABS_X: AbsInfo(0, w, resolution=r), ABS_Y: AbsInfo(0, h, resolution=r)},
            notes=f"{MOUSE_NOTES}; {self.clock} time stamps", path="pygame",
        )

    def _time_us(self, ev: Any) -> int:
        ts = getattr(ev, "timestamp", None)
        if isinstance(ts, (int, np.integer)) and ts > 0:  # SDL_CommonEvent.timestamp: ms since SDL start
            if self.clock != "SDL event":
                self.clock = "SDL event"
                self.info.notes = f"{MOUSE_NOTES}; SDL event time stamps (1 ms)"
            return int(ts) * 1000
        return self._clock() // 1000

    def handle_event(self, ev: Any) -> bool:
        """Turn a pygame mouse/finger event into a sample; returns True if it was one."""
        import pygame

        if ev.type in (pygame.FINGERDOWN, pygame.FINGERMOTION, pygame.FINGERUP):
            w = self.info.absinfo[ABS_X].max
            h = self.info.absinfo[ABS_Y].max
            pos = (ev.x * w, ev.y * h)
            down = ev.type != pygame.FINGERUP
        elif ev.type == pygame.MOUSEMOTION:
            if getattr(ev, "touch", False):
                return False
            pos, down = ev.pos, self._down
        elif ev.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP):
            if getattr(ev, "touch", False) or ev.button != 1:
                return False
            pos, down = ev.pos, ev.type == pygame.MOUSEBUTTONDOWN
        else:
            return False
        self._down = down
        s = empty_samples(1)
        s["t_us"] = self._time_us(ev)
        s["x"], s["y"] = pos[0], pos[1]
        s["in_range"] = True
        s["contact"] = down
        s["tool"] = TOOL_NAMES.index("mouse")
        self._put(s)
        return True


def open_source(*, replay: str | None = None, speed: float = 1.0, device: str | None = None,
                mouse: bool = False, size_px: tuple[int, int] = (1024, 768),
                px_per_mm: float = 96 / 25.4, start_delay_s: float = 0.0) -> PenSource:
    """Pick the pen source from CLI-style options (replay > mouse > evdev)."""
    if replay:
        return ReplaySource(replay, speed=speed, start_delay_s=start_delay_s)
    if mouse:
        return MouseSource(size_px, px_per_mm)
    return EvdevSource(device)
