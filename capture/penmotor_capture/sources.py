"""Pen sources: one interface (:class:`PenSource`), three back ends.

* :class:`EvdevSource` -- a Linux tablet through python-evdev, read on its own thread,
  kernel time stamps on the monotonic clock;
* :class:`ReplaySource` -- an evemu recording played through the same :class:`~.Decoder`
  (at recorded speed or as fast as possible);
* :class:`MouseSource` -- the pygame mouse/touch fallback, flagged "no pressure,
  event-loop time stamps" (pressure is NaN, so pressure metrics say NaN).

Every source delivers blocks of :data:`~penmotor_capture.SAMPLE_DTYPE` through
:meth:`PenSource.poll`, which never blocks: sampling runs beside the window.
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
    ABS_PRESSURE, ABS_X, ABS_Y, BTN_TOOL_PEN, EV_ABS, EV_KEY, PEN_TOOLS, AbsInfo, DeviceInfo,
    EventStream, read_evemu,
)

__all__ = [
    "PenSource", "EvdevSource", "ReplaySource", "MouseSource", "NoTabletError", "find_tablets", "tablet_score",
    "MOUSE_NOTES",
]

MOUSE_NOTES = "no pressure, event-loop time stamps"
PERMISSION_HINT = (
    "permission denied reading {path}: add your user to the 'input' group "
    "(sudo usermod -aG input $USER, then log out and in again) or run `penmotor capture --mouse`"
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
        """All samples delivered since the last call (non-blocking)."""
        blocks = []
        while True:
            try:
                blocks.append(self._q.get_nowait())
            except queue.Empty:
                break
        if self.error is not None:
            err, self.error = self.error, None
            raise err
        if not blocks:
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
    >>> f = sorted(glob.glob("/work/shared/data/evemu/*.evemu"))[0]  # doctest: +SKIP
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
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
            else:
                rel = (s.t_us - (s.t_us[0] if n else 0)) / (1e6 * self.speed)
                t0 = time.monotonic()
                a = 0
                while a < n and not self._stop.is_set():
                    now = time.monotonic() - t0
                    b = int(np.searchsorted(rel, now, side="right"))
                    if b > a:
                        self._put(self.decoder.feed(s.t_us[a:b], s.type[a:b], s.code[a:b], s.value[a:b]))
                        a = b
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
                raise NoTabletError("no pen tablet found in /dev/input (need ABS_PRESSURE and BTN_TOOL_PEN); "
                                    "plug one in, pass --device /dev/input/eventN, or use --mouse")
            path = tablets[0][0]
        try:
            self.dev = evdev.InputDevice(path)
        except PermissionError:
            raise NoTabletError(PERMISSION_HINT.format(path=path)) from None
        except OSError as exc:
            raise NoTabletError(f"cannot open {path}: {exc.strerror}") from None
        self.info = _info_from_device(self.dev)
        self.clock = "realtime"
        try:  # kernel time stamps on the monotonic clock (immune to wall-clock jumps)
            import fcntl
            import struct

            fcntl.ioctl(self.dev.fd, self.EVIOCSCLOCKID, struct.pack("i", time.CLOCK_MONOTONIC))
            self.clock = "monotonic"
        except OSError:  # pragma: no cover - very old kernels
            pass
        self.info.notes = f"kernel {self.clock} time stamps"
        initial: dict[Any, float] = {}
        names = {ABS_X: "x", ABS_Y: "y", ABS_PRESSURE: "pressure", 0x19: "distance", 0x1A: "tilt_x", 0x1B: "tilt_y"}
        for code, ai in self.info.absinfo.items():
            if code in names and ai.value is not None:
                initial[names[code]] = ai.value
        active = set(self.dev.active_keys())
        for k in (*PEN_TOOLS, 0x14A, 0x14B, 0x14C):
            if k in self.info.keys:
                initial[k] = 1.0 if k in active else 0.0
        self.decoder = Decoder.for_device(self.info, initial=initial)
        self.grab = grab
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> "EvdevSource":
        if self._thread is None:
            if self.grab:
                self.dev.grab()
            self._thread = threading.Thread(target=self._run, name="penmotor-evdev", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        import select

        fd = self.dev.fd
        try:
            while not self._stop.is_set():
                r, _, _ = select.select([fd], [], [], 0.1)
                if not r:
                    continue
                try:
                    events = list(self.dev.read())
                except BlockingIOError:
                    continue
                except OSError as exc:
                    if exc.errno == errno.ENODEV:
                        raise NoTabletError(f"tablet {self.dev.path} was unplugged") from None
                    raise
                if not events:
                    continue
                a = np.array([(e.sec * 1_000_000 + e.usec, e.type, e.code, e.value) for e in events],
                             dtype=np.int64)
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
        except BaseException as exc:  # pragma: no cover - needs hardware
            self.error = exc
        finally:
            self.finished = self._stop.is_set() is False

    def _resync(self) -> None:
        """After SYN_DROPPED (kernel buffer overrun): reload axis and key state from the device."""
        names = {ABS_X: "x", ABS_Y: "y", ABS_PRESSURE: "pressure", 0x19: "distance", 0x1A: "tilt_x",
                 0x1B: "tilt_y"}
        for code, name in names.items():
            if code in self.info.absinfo:
                self.decoder.state[name] = float(self.dev.absinfo(code).value)
        active = set(self.dev.active_keys())
        for k in (*PEN_TOOLS, 0x14A, 0x14B, 0x14C):
            if k in self.info.keys:
                self.decoder.state[k] = 1.0 if k in active else 0.0

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        try:
            if self.grab:
                self.dev.ungrab()
        except OSError:  # pragma: no cover
            pass
        self.dev.close()


# --------------------------------------------------------------------------- mouse
class MouseSource(PenSource):
    """The pygame mouse/touch fallback: device units are window pixels.

    Feed it the pygame events the window receives (:meth:`handle_event`); samples are
    time-stamped by the event loop (``time.monotonic_ns``), contact = left button or finger,
    pressure NaN. The device notes say ``"no pressure, event-loop time stamps"``.

    Parameters
    ----------
    size_px : (int, int)
        Window size in pixels.
    px_per_mm : float
        Screen pixels per mm (from the screen size; 96 dpi = 3.78 px/mm by default).
    """

    def __init__(self, size_px: tuple[int, int] = (1024, 768), px_per_mm: float = 96 / 25.4) -> None:
        super().__init__()
        self.px_per_mm = float(px_per_mm)
        self.resize(size_px)
        self._down = False
        self._clock = time.monotonic_ns

    def resize(self, size_px: tuple[int, int]) -> None:
        """Window resized: the device area follows the window."""
        w, h = int(size_px[0]), int(size_px[1])
        r = self.px_per_mm
        self.info = DeviceInfo(
            "pygame mouse/touch", {ABS_X: AbsInfo(0, w, resolution=r), ABS_Y: AbsInfo(0, h, resolution=r)},
            notes=MOUSE_NOTES, path="pygame",
        )

    def handle_event(self, ev: Any) -> bool:
        """Turn a pygame mouse/finger event into a sample; returns True if it was one."""
        import pygame

        t = self._clock() // 1000
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
        s["t_us"] = t
        s["x"], s["y"] = pos[0], pos[1]
        s["in_range"] = True
        s["contact"] = down
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
