"""The pygame-ce session window: templates in mm, pressure-width ink, status line, keys.

Keys: ``N``/Right = next task, ``R`` = redo (the earlier attempt is kept, marked
``redone``), ``P``/Space = pause, ``S``/Esc/closing the window = save and quit,
``M`` = toggle full-area / aspect-kept mapping, ``F11`` = fullscreen.

The pen source runs on its own thread (or, for the mouse fallback, is fed from the
event loop); each frame drains whatever arrived, so drawing never holds up sampling
and no sample is skipped even when a frame is slow.
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
from .sources import MouseSource, PenSource
from .templates import ScreenMapping, Template

__all__ = ["CaptureWindow", "ask_child"]

BG = (250, 250, 246)
INK = (20, 30, 120)
ERASER = (200, 60, 60)
STYLE = {"base": ((90, 120, 200), 2), "mid": ((170, 190, 230), 1), "top": ((190, 205, 235), 1),
         "guide": ((235, 170, 120), 2)}
STATUS_H = 28
HELP = "N next  R redo  P pause  S save & quit  M mapping  F11 fullscreen"


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
    """

    def __init__(self, source: PenSource, session: Session, *, size: tuple[int, int] = (1024, 768),
                 fullscreen: bool = False, mapping_mode: str = "aspect", fps: int = 60,
                 auto_finish: bool = False, on_frame: Callable[["CaptureWindow", int], None] | None = None,
                 message: str | None = None) -> None:
        self.source = source
        self.session = session
        self.size = (int(size[0]), int(size[1]))
        self.fullscreen = fullscreen
        self.mapping_mode = mapping_mode
        self.fps = fps
        self.auto_finish = auto_finish
        self.on_frame = on_frame
        self.message = message
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
            return (0.0, 0.0, float(self.size[0]), float(self.size[1] - STATUS_H))
        return (float(x.min), float(y.min), float(x.max), float(y.max))

    def _make_mapping(self) -> None:
        w, h = self.screen.get_size()
        if isinstance(self.source, MouseSource):
            self.source.resize((w, h - STATUS_H))
            self.mapping = ScreenMapping(self._tablet_box(), (w, h - STATUS_H), mode="full")
        else:
            self.mapping = ScreenMapping(self._tablet_box(), (w, h - STATUS_H), mode=self.mapping_mode)
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

    def _draw_status(self) -> None:
        import pygame

        w, h = self.screen.get_size()
        bar = pygame.Rect(0, h - STATUS_H, w, STATUS_H)
        pygame.draw.rect(self.screen, (40, 44, 52), bar)
        now = time.monotonic()
        while self._rate and now - self._rate[0][0] > 1.0:
            self._rate.popleft()
        rate = sum(n for _, n in self._rate)
        ses = self.session
        att = sum(1 for e in ses.events if e["kind"] == "attempt" and e["task"] == ses.task)
        txt = (f"{self.source.info.name} | {rate:4d} Hz | task {ses.task_index + 1}/{len(ses.tasks)} "
               f"{ses.task} (attempt {att}) | {ses.n_samples} samples"
               f"{' | PAUSED' if ses.paused else ''} | {HELP}")
        if self.source.info.notes and "no pressure" in self.source.info.notes:
            txt = f"[{self.source.info.notes}] " + txt
        font = self._font
        self.screen.blit(font.render(txt, True, (230, 230, 230)), (110, h - STATUS_H + 7))
        # pressure meter
        pygame.draw.rect(self.screen, (90, 90, 90), pygame.Rect(8, h - STATUS_H + 8, 92, 12), 1)
        p = self._last_pressure if np.isfinite(self._last_pressure) else 0.0
        pygame.draw.rect(self.screen, (90, 200, 120), pygame.Rect(9, h - STATUS_H + 9, int(90 * p), 10))
        if self.message:
            img = self._font.render(self.message, True, (180, 30, 30))
            self.screen.blit(img, (10, 10))

    def draw(self) -> None:
        """Compose one frame (background, ink, hover cursor, status)."""
        import pygame

        self.screen.fill((225, 225, 220))
        self.screen.blit(self.background, (0, 0))
        self.screen.blit(self.ink, (0, 0))
        if self._hover is not None and not self._last_contact:
            pygame.draw.circle(self.screen, (200, 80, 80), self._hover, 4, 1)
        self._draw_status()

    # ------------------------------------------------------------- control
    def _set_mode(self) -> None:
        import pygame

        flags = pygame.FULLSCREEN if self.fullscreen else pygame.RESIZABLE
        self.screen = pygame.display.set_mode((0, 0) if self.fullscreen else self.size, flags)
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
            self.screen = pygame.display.set_mode(self.size, pygame.RESIZABLE)
            self._make_mapping()
        elif ev.type == pygame.KEYDOWN:
            k = ev.key
            if k in (pygame.K_s, pygame.K_ESCAPE):
                self.running = False
            elif k in (pygame.K_n, pygame.K_RIGHT):
                if self.session.next_task():
                    self._render_background()
                    self._render_ink()
                else:
                    self.message = "last task - press S to save and quit"
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
        """Drain the source into the session and draw the new ink (one frame's work)."""
        block = self.source.poll()
        if block.size:
            self.received += int(block.size)
            self._rate.append((time.monotonic(), int(block.size)))
            acc = self.session.accept(block)
            self._draw_ink(acc)
        else:
            self.session.journal.tick()

    def run(self, *, max_frames: int | None = None, screenshot: str | Path | None = None) -> list[Path]:
        """Open the window and run until save & quit (or `max_frames`); returns the files written."""
        import pygame

        pygame.display.init()  # no pygame.init(): the audio mixer is not needed
        pygame.font.init()
        pygame.display.set_caption(f"penmotor capture - {self.session.child}")
        self._font = pygame.font.Font(None, 18)
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


def ask_child(*, size: tuple[int, int] = (1024, 768), fullscreen: bool = False, known: list[str] | None = None,
              tasks: list[str] | None = None, max_frames: int | None = None,
              on_frame: Callable[[int], None] | None = None) -> tuple[str, list[str]] | None:
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
                                     pygame.FULLSCREEN if fullscreen else pygame.RESIZABLE)
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
