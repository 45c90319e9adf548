"""The pygame-ce session window: templates in mm, pressure-width ink, status line, keys.

Keys (:data:`KEYS`): ``N``/Right = next task, ``R`` = redo (the earlier attempt is kept,
marked ``redone``), ``P``/Space = pause, ``S``/Esc then ``Y`` = save and quit (two steps, so
a child at the keyboard cannot end the session with one key), ``M`` = toggle full-area /
aspect-kept mapping, ``F11`` = fullscreen. Closing the window (or Ctrl-C in the terminal)
saves and quits at once.

The pen source runs on its own thread (or, for the mouse source, is fed from the
event loop); each frame drains whatever arrived, so drawing never holds up sampling
and no sample is skipped even when a frame is slow. The status bar wraps onto as many
lines as the window width needs. Faults are shown as blocking messages over the page:
a failing disk (recording continues in memory; Enter hides the message) and an
unplugged tablet (until the same tablet is back).
"""

from __future__ import annotations

import collections
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .events import ABS_PRESSURE, ABS_X, ABS_Y
from .session import Session
from .sources import MOUSE_NOTES, MouseSource, PenSource
from .templates import ScreenMapping, Template

__all__ = ["CaptureWindow", "ask_child", "KEYS"]

BG = (250, 250, 246)
INK = (20, 30, 120)
ERASER = (200, 60, 60)
STYLE = {"base": ((90, 120, 200), 2), "mid": ((170, 190, 230), 1), "top": ((190, 205, 235), 1),
         "guide": ((235, 170, 120), 2)}
STATUS_H = 28  # minimum status bar height; it grows by LINE_H per wrapped line
LINE_H = 18
#: The window's keys, as listed in ``--help`` and the status bar.
KEYS = (("N / Right", "next task"), ("R", "redo the task (earlier attempt kept)"), ("P / Space", "pause"),
        ("S / Esc, then Y", "save and quit"), ("M", "mapping: aspect / full"), ("F11", "fullscreen"))
HELP = "N next  R redo  P pause  S then Y save & quit  M mapping  F11 fullscreen"
CONFIRM_S = 5.0


class CaptureWindow:
    """Run a capture session in a pygame window.

    Parameters
    ----------
    source : PenSource
        Started by :meth:`run`.
    session : Session
        Receives every accepted sample.
    size : (int, int)
        Initial window size (resizable).
    fullscreen : bool
        Start fullscreen.
    mapping_mode : {"aspect", "full"}
        Tablet -> window mapping.
    fps : int
        Frame rate cap (sampling is independent of it).
    auto_finish : bool
        Save and quit by itself once a finite source (replay) has delivered everything.
    on_frame : callable, optional
        ``on_frame(window, frame_index)`` before each frame's events are handled
        (tests post pygame events from here).
    message : str, optional
        A line shown in the status bar.
    display : int
        Display (monitor) index for the window and fullscreen.
    """

    def __init__(self, source: PenSource, session: Session, *, size: tuple[int, int] = (1024, 768),
                 fullscreen: bool = False, mapping_mode: str = "aspect", fps: int = 60,
                 auto_finish: bool = False, on_frame: Callable[["CaptureWindow", int], None] | None = None,
                 message: str | None = None, display: int = 0) -> None:
        self.source = source
        self.session = session
        self.size = (int(size[0]), int(size[1]))
        self.fullscreen = fullscreen
        self.mapping_mode = mapping_mode
        self.fps = fps
        self.auto_finish = auto_finish
        self.on_frame = on_frame
        self.message = message
        self.display = int(display)
        self.status_h = STATUS_H
        self.overlay: str | None = None      # blocking message over the page
        self._storage_acked = False
        self._unplugged = False
        self.confirm_until = 0.0             # end-of-session confirmation armed until (monotonic s)
        self.interrupted = False
        self.running = False
        self.saved: list[Path] = []
        self.frame_times: list[float] = []  # seconds of work per frame (excluding the fps wait)
        self.received = 0
        self._rate = collections.deque()  # (wall time, n samples)
        self._last_pressure = 0.0
        self._last_px: tuple[float, float] | None = None
        self._last_contact = False
        self._hover: tuple[float, float] | None = None
        self.screen: Any = None

    # ------------------------------------------------------------ geometry
    def _tablet_box(self) -> tuple[float, float, float, float]:
        ai = self.source.info.absinfo
        x, y = ai.get(ABS_X), ai.get(ABS_Y)
        if x is None or y is None:
            return (0.0, 0.0, float(self.size[0]), float(self.size[1] - self.status_h))
        return (float(x.min), float(y.min), float(x.max), float(y.max))

    def _make_mapping(self) -> None:
        w, h = self.screen.get_size()
        self._layout_status(w)
        if isinstance(self.source, MouseSource):
            self.source.resize((w, h - self.status_h))
            self.mapping = ScreenMapping(self._tablet_box(), (w, h - self.status_h), mode="full")
        else:
            self.mapping = ScreenMapping(self._tablet_box(), (w, h - self.status_h), mode=self.mapping_mode)
        self.session.set_mapping(self.mapping.to_meta())
        self._render_background()
        self._render_ink()

    def _mm_to_px(self, pts: np.ndarray) -> np.ndarray:
        rx, ry = self.source.info.resolution_mm()
        rx, ry = rx or 1.0, ry or 1.0
        x0, y0 = self._tablet_box()[:2]
        return self.mapping.to_px(x0 + pts[:, 0] * rx, y0 + pts[:, 1] * ry)

    def _px_per_mm(self) -> float:
        rx, _ = self.source.info.resolution_mm()
        return (rx or 1.0) * self.mapping.scale_offset[0]

    # ------------------------------------------------------------ drawing
    def _render_background(self) -> None:
        import pygame

        w, h = self.mapping.window
        surf = pygame.Surface((w, h))
        surf.fill((225, 225, 220))
        sx, sy, ox, oy = self.mapping.scale_offset
        x0, y0, x1, y1 = self.mapping.tablet
        pygame.draw.rect(surf, BG, pygame.Rect(ox, oy, (x1 - x0) * sx, (y1 - y0) * sy))
        tpl: Template = self.session.templates[self.session.task]
        for pts, style in tpl.lines:
            color, width = STYLE[style]
            px = self._mm_to_px(pts)
            if style in ("mid", "top"):
                self._dashed(surf, color, px[0], px[-1], width)
            else:
                pygame.draw.lines(surf, color, False, px.tolist(), width)
        for x_mm, y_mm, h_mm, text in tpl.texts:
            size = max(8, int(h_mm * self._px_per_mm() * 1.4))
            font = pygame.font.Font(None, size)
            img = font.render(text, True, (40, 40, 40))
            p = self._mm_to_px(np.array([[x_mm, y_mm]]))[0]
            surf.blit(img, (p[0], p[1]))
        self.background = surf

    @staticmethod
    def _dashed(surf: Any, color: Any, a: np.ndarray, b: np.ndarray, width: int, dash: float = 8.0) -> None:
        import pygame

        n = max(1, int(np.hypot(*(b - a)) // (2 * dash)))
        for i in range(n):
            p = a + (b - a) * (2 * i) / (2 * n)
            q = a + (b - a) * (2 * i + 1) / (2 * n)
            pygame.draw.line(surf, color, p, q, width)

    def _width_px(self, pressure: np.ndarray) -> np.ndarray:
        """Ink width: 0.3 mm (no pressure) to 1.2 mm (full pressure)."""
        p = self._norm_pressure(pressure)
        mm = np.where(np.isfinite(p), 0.3 + 0.9 * np.nan_to_num(p), 0.6)
        return np.maximum(1, np.round(mm * self._px_per_mm())).astype(int)

    def _norm_pressure(self, pressure: np.ndarray) -> np.ndarray:
        ai = self.source.info.absinfo.get(ABS_PRESSURE)
        if ai is None or ai.span <= 0:
            return np.full(np.shape(pressure), np.nan)
        return np.clip((np.asarray(pressure, float) - ai.min) / ai.span, 0, 1)

    def _render_ink(self) -> None:
        import pygame

        self.ink = pygame.Surface(self.mapping.window, pygame.SRCALPHA)
        self._last_px = None
        self._last_contact = False
        self._draw_ink(self.session.attempt_samples())

    def _draw_ink(self, s: np.ndarray) -> None:
        import pygame

        if s.size == 0:
            return
        px = self.mapping.to_px(s["x"], s["y"])
        widths = self._width_px(s["pressure"])
        contact = s["contact"]
        eraser = s["eraser"]
        prev, prev_c = self._last_px, self._last_contact
        for i in range(s.size):  # drawing only: a handful of samples per frame
            p = (float(px[i, 0]), float(px[i, 1]))
            if contact[i]:
                color = ERASER if eraser[i] else INK
                w = int(widths[i])
                if prev is not None and prev_c:
                    pygame.draw.line(self.ink, color, prev, p, w)
                if w > 2:
                    pygame.draw.circle(self.ink, color, p, w / 2)
            prev, prev_c = p, bool(contact[i])
        self._last_px, self._last_contact = prev, prev_c
        self._hover = prev
        p = s["pressure"][-1]
        self._last_pressure = float(self._norm_pressure(np.array([p]))[0]) if s["contact"][-1] else 0.0

    # ------------------------------------------------------------ status bar
    def _segments(self, *, worst: bool = False) -> list[tuple[str, tuple[int, int, int]]]:
        """Status bar pieces (text, colour) in order; `worst` uses the widest values (for layout)."""
        ses = self.session
        grey, warn = (230, 230, 230), (255, 170, 60)
        out = []
        if isinstance(self.source, MouseSource):
            out.append((MOUSE_NOTES, warn))
        if worst:
            rate, n, att, prog = 9999, 99_999_999, 99, "replay 100%"
        else:
            now = time.monotonic()
            while self._rate and now - self._rate[0][0] > 1.0:
                self._rate.popleft()
            rate = sum(k for _, k in self._rate)
            n = ses.n_samples
            att = sum(1 for e in ses.events if e["kind"] == "attempt" and e["task"] == ses.task)
            p = self.source.progress
            prog = "" if p is None else f"replay {100 * p:.0f}%"
        longest_task = max(ses.tasks, key=len)
        out += [(self.source.info.name, grey), (f"{rate:4d} Hz", grey),
                (f"task {ses.task_index + 1}/{len(ses.tasks)} {longest_task if worst else ses.task} "
                 f"(attempt {att})", grey), (f"{n} samples", grey)]
        if self.source.progress is not None:
            out.append((prog, grey))
        if worst or ses.paused:
            out.append(("PAUSED", warn))
        out += [(piece, (170, 180, 200)) for piece in HELP.split("  ")]
        return out

    def _layout_status(self, width: int) -> None:
        """Wrap the status pieces onto lines that fit `width` (widest values), set :attr:`status_h`."""
        font = self._font
        avail = max(50, width - 110 - 8)
        lines: list[list[int]] = [[]]
        used = 0
        for i, (text, _) in enumerate(self._segments(worst=True)):
            w = font.size(text + " | ")[0]
            if lines[-1] and used + w > avail:
                lines.append([])
                used = 0
            lines[-1].append(i)
            used += w
        self._status_lines = lines
        extra = self._message_lines(width)
        self.status_h = max(STATUS_H, 10 + LINE_H * (len(lines) + len(extra)))

    def _message_lines(self, width: int) -> list[str]:
        if not self.message:
            return []
        return _wrap(self._font, self.message, max(50, width - 118))

    def _draw_status(self) -> None:
        import pygame

        w, h = self.screen.get_size()
        top = h - self.status_h
        pygame.draw.rect(self.screen, (40, 44, 52), pygame.Rect(0, top, w, self.status_h))
        segs = self._segments()
        font = self._font
        y = top + 6
        for line in self._status_lines:
            x = 110
            for j, i in enumerate(line):
                if i >= len(segs):  # fewer pieces now than in the worst-case layout
                    continue
                text, color = segs[i]
                img = font.render(text + (" | " if j < len(line) - 1 else ""), True, color)
                self.screen.blit(img, (x, y))
                x += img.get_width()
            y += LINE_H
        for text in self._message_lines(w):
            self.screen.blit(font.render(text, True, (255, 120, 120)), (110, y))
            y += LINE_H
        # pressure meter
        pygame.draw.rect(self.screen, (90, 90, 90), pygame.Rect(8, top + 8, 92, 12), 1)
        p = self._last_pressure if np.isfinite(self._last_pressure) else 0.0
        pygame.draw.rect(self.screen, (90, 200, 120), pygame.Rect(9, top + 9, int(90 * p), 10))

    def _draw_overlay(self, text: str) -> None:
        import pygame

        w, h = self.screen.get_size()
        font = self._big_font
        lines = _wrap(font, text, int(w * 0.8) - 40)
        lh = font.get_linesize()
        box = pygame.Rect(0, 0, int(w * 0.8), 30 + lh * len(lines))
        box.center = (w // 2, (h - self.status_h) // 2)
        pygame.draw.rect(self.screen, (120, 20, 20), box)
        pygame.draw.rect(self.screen, (255, 230, 230), box, 3)
        for k, line in enumerate(lines):
            self.screen.blit(font.render(line, True, (255, 255, 255)), (box.x + 20, box.y + 15 + k * lh))

    def draw(self) -> None:
        """Compose one frame (background, ink, hover cursor, status)."""
        import pygame

        self.screen.fill((225, 225, 220))
        self.screen.blit(self.background, (0, 0))
        self.screen.blit(self.ink, (0, 0))
        if self._hover is not None and not self._last_contact:
            pygame.draw.circle(self.screen, (200, 80, 80), self._hover, 4, 1)
        self._draw_status()
        text = self.overlay_text()
        if text:
            self._draw_overlay(text)

    def overlay_text(self) -> str | None:
        """The blocking message shown over the page now, if any."""
        if self._unplugged:
            return ("TABLET UNPLUGGED - plug the same tablet back in to continue. "
                    f"Everything recorded so far ({self.session.n_samples} samples) is kept.")
        if self.session.storage_error and not self._storage_acked:
            where = self.session.fallback[0] if self.session.fallback else "the temporary folder"
            return ("THE DISK REFUSED THE SESSION JOURNAL (" + self.session.storage_error + "). "
                    "Recording continues in memory; when you end the session it is saved to "
                    f"{self.session.path.parent} if possible, else to {where}. Press Enter to hide this message.")
        if time.monotonic() < self.confirm_until:
            return "End the session? Press Y to save and quit, any other key to go on."
        return None

    # ------------------------------------------------------------- control
    def _set_mode(self) -> None:
        import pygame

        flags = pygame.FULLSCREEN if self.fullscreen else pygame.RESIZABLE
        n = pygame.display.get_num_displays()
        if not 0 <= self.display < n:
            from penmotor.errors import ParameterError

            raise ParameterError(f"display: expected 0..{n - 1} ({n} display(s) connected), got {self.display}")
        self.screen = pygame.display.set_mode((0, 0) if self.fullscreen else self.size, flags, display=self.display)
        self._make_mapping()

    def handle_event(self, ev: Any) -> None:
        """One pygame event: keys, resize, quit, and mouse/touch for the mouse source."""
        import pygame

        if isinstance(self.source, MouseSource) and self.source.handle_event(ev):
            return
        if ev.type == pygame.QUIT:
            self.running = False
        elif ev.type == pygame.VIDEORESIZE and not self.fullscreen:
            self.size = (max(320, ev.w), max(240, ev.h))
            self.screen = pygame.display.set_mode(self.size, pygame.RESIZABLE, display=self.display)
            self._make_mapping()
        elif ev.type == pygame.KEYDOWN:
            k = ev.key
            if time.monotonic() < self.confirm_until:  # second step of "end the session?"
                self.confirm_until = 0.0
                if k == pygame.K_y:
                    self.running = False
                return
            if k in (pygame.K_RETURN, pygame.K_KP_ENTER) and self.session.storage_error:
                self._storage_acked = True
            elif k in (pygame.K_s, pygame.K_ESCAPE):
                self.confirm_until = time.monotonic() + CONFIRM_S
            elif k in (pygame.K_n, pygame.K_RIGHT):
                if self.session.next_task():
                    self._render_background()
                    self._render_ink()
                else:
                    self.message = "last task - press S, then Y, to save and quit"
                    self._make_mapping()
            elif k == pygame.K_r:
                self.session.redo()
                self._render_ink()
            elif k in (pygame.K_p, pygame.K_SPACE):
                self.session.set_paused(not self.session.paused)
            elif k == pygame.K_m:
                self.mapping_mode = "full" if self.mapping_mode == "aspect" else "aspect"
                self._make_mapping()
            elif k == pygame.K_F11:
                self.fullscreen = not self.fullscreen
                self._set_mode()

    def step(self) -> None:
        """Drain the source into the session and draw the new ink (one frame's work).

        Also follows the faults: a failing journal (the session goes memory-only), the
        tablet unplugged / back (journaled), kernel-dropped frames (``SYN_DROPPED``).
        """
        block = self.source.poll()
        if block.size:
            self.received += int(block.size)
            self._rate.append((time.monotonic(), int(block.size)))
            acc = self.session.accept(block)
            self._draw_ink(acc)
        else:
            self.session.accept(block)  # lets the journal sync on its interval
        self.session.check_storage()
        unplugged = bool(self.source.unplugged)
        if unplugged != self._unplugged:
            self._unplugged = unplugged
            self.session.note_device("unplugged" if unplugged else "replugged", path=self.source.info.path)
            if unplugged:  # the stroke in progress ended with the device
                self._last_contact = False
        self.session.set_syn_dropped(self.source.dropped_frames)
        if isinstance(self.source, MouseSource):  # which clock stamps the samples is known after the first
            self.session.set_device_notes(self.source.info.notes)

    def run(self, *, max_frames: int | None = None, screenshot: str | Path | None = None) -> list[Path]:
        """Open the window and run until save & quit (or `max_frames`); returns the files written."""
        import pygame

        pygame.display.init()  # no pygame.init(): the audio mixer is not needed
        pygame.font.init()
        pygame.display.set_caption(f"penmotor capture - {self.session.child}")
        self._font = pygame.font.Font(None, 18)
        self._big_font = pygame.font.Font(None, 30)
        self._set_mode()
        clock = pygame.time.Clock()
        self.running = True
        self.source.start()
        frame = 0
        try:
            while self.running:
                t0 = time.perf_counter()
                if self.on_frame is not None:
                    self.on_frame(self, frame)
                for ev in pygame.event.get():
                    self.handle_event(ev)
                self.step()
                self.draw()
                pygame.display.flip()
                self.frame_times.append(time.perf_counter() - t0)
                frame += 1
                if self.auto_finish and self.source.drained:
                    self.step()
                    self.running = False
                if max_frames is not None and frame >= max_frames:
                    self.running = False
                if self.running and self.fps:
                    clock.tick(self.fps)
            self.step()  # whatever arrived during the last frame
            if screenshot is not None:
                self.draw()
                pygame.image.save(self.screen, str(screenshot))
            self.source.stop()
            self.step()
        except KeyboardInterrupt:  # Ctrl-C in the terminal: keep everything and save as usual
            self.interrupted = True
            self.source.stop()
            self.step()
        except BaseException:
            self.source.stop()
            self.session.close(saved=False)  # fsync'd, left unfinished: --recover rebuilds it
            pygame.display.quit()
            raise
        try:
            self.saved = self.session.save()
        finally:
            pygame.display.quit()
        return self.saved


def _wrap(font: Any, text: str, width: int) -> list[str]:
    """Greedy word wrap of `text` to lines no wider than `width` pixels in `font`."""
    lines: list[str] = []
    cur = ""
    for word in text.split():
        cand = f"{cur} {word}" if cur else word
        if cur and font.size(cand)[0] > width:
            lines.append(cur)
            cur = word
        else:
            cur = cand
    return lines + ([cur] if cur else [])


def ask_child(*, size: tuple[int, int] = (1024, 768), fullscreen: bool = False, known: list[str] | None = None,
              tasks: list[str] | None = None, max_frames: int | None = None,
              on_frame: Callable[[int], None] | None = None, display: int = 0) -> tuple[str, list[str]] | None:
    """Start screen: the OT types (or picks with Tab) a pseudonymous child id and toggles tasks.

    Keys: letters/digits/``-``/``_`` type, Backspace deletes, Tab cycles through `known`
    ids, ``F1``..``F4`` toggle the tasks, Enter starts, Esc cancels (returns None).
    Returns ``(child, tasks)``.
    """
    import pygame

    from penmotor.errors import ParameterError, valid_child_id

    from .templates import TASKS

    chosen = {t: (tasks is None or t in tasks) for t in TASKS}
    known = sorted(known or [])
    text, k, frame, error = "", -1, 0, ""
    pygame.display.init()
    pygame.font.init()
    screen = pygame.display.set_mode((0, 0) if fullscreen else size,
                                     pygame.FULLSCREEN if fullscreen else pygame.RESIZABLE,
                                     display=min(max(display, 0), pygame.display.get_num_displays() - 1))
    big, small = pygame.font.Font(None, 48), pygame.font.Font(None, 26)
    clock = pygame.time.Clock()
    try:
        while max_frames is None or frame < max_frames:
            if on_frame is not None:
                on_frame(frame)
            frame += 1
            for ev in pygame.event.get():
                if ev.type == pygame.QUIT:
                    return None
                if ev.type != pygame.KEYDOWN:
                    continue
                if ev.key == pygame.K_ESCAPE:
                    return None
                if ev.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
                    picked = [t for t in TASKS if chosen[t]]
                    try:
                        valid_child_id(text)
                        id_ok = True
                    except ParameterError:
                        id_ok = False
                    if not id_ok:
                        error = "type a pseudonymous code with a digit, e.g. C014 (no names)"
                    elif not picked:
                        error = "choose at least one task (F1-F4)"
                    else:
                        return text, picked
                elif ev.key == pygame.K_BACKSPACE:
                    text = text[:-1]
                elif ev.key == pygame.K_TAB and known:
                    k = (k + 1) % len(known)
                    text = known[k]
                elif pygame.K_F1 <= ev.key <= pygame.K_F4:
                    t = TASKS[ev.key - pygame.K_F1]
                    chosen[t] = not chosen[t]
                elif ev.unicode and (ev.unicode.isalnum() or ev.unicode in "-_") and len(text) < 32:
                    text += ev.unicode
            screen.fill(BG)
            screen.blit(big.render("Child id: " + text + "_", True, (20, 30, 120)), (40, 60))
            y = 140
            for line in ([f"recent: {', '.join(known[:12])}  (Tab)"] if known else []) + [
                "tasks: " + "   ".join(f"F{i + 1} [{'x' if chosen[t] else ' '}] {t}" for i, t in enumerate(TASKS)),
                "Enter: start    Esc: cancel",
            ]:
                screen.blit(small.render(line, True, (60, 60, 60)), (40, y))
                y += 34
            if error:
                screen.blit(small.render(error, True, (180, 30, 30)), (40, y + 10))
            pygame.display.flip()
            clock.tick(30)
        return None
    finally:
        pygame.display.quit()
