"""The browser capture page end to end in real headless Chromium, driven over the DevTools protocol.

Pen input is dispatched with ``Input.dispatchMouseEvent`` (``pointerType: "pen"``, ``force``,
``tiltX``, ``tiltY`` and explicit time stamps), exactly what a tablet gives a browser.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("penmotor_capture")

import penmotor  # noqa: E402
from penmotor_capture.web import CaptureServer  # noqa: E402

from _cdp import Browser  # noqa: E402
from _serve import free_port, start_cli  # noqa: E402

pytestmark = pytest.mark.browser

CARD_MM = 85.60
BAR_PX = 56          # the page's status bar (at most 80 CSS px)


@pytest.fixture
def browser(chromium: str, tmp_path: Path):
    b = Browser(chromium, tmp_path / "profile")
    yield b
    b.close()


class Pen:
    """Dispatch pen strokes with explicit, increasing time stamps (a steady rate)."""

    def __init__(self, b: Browser, rate_hz: float = 200.0) -> None:
        self.b = b
        self.dt = 1.0 / rate_hz
        self.t = time.time()
        self.sent = 0

    def stroke(self, x0: float, y: float, length_px: float, forces: np.ndarray, tilt: tuple[int, int],
               pointer_type: str = "pen") -> None:
        """A horizontal stroke: press, len(forces)-1 moves, release (len(forces) + 1 events)."""
        self.t = max(self.t, time.time()) + 0.05
        n = len(forces)
        xs = x0 + np.linspace(0, length_px, n)
        kw = {"tilt_x": tilt[0], "tilt_y": tilt[1], "pointer_type": pointer_type}
        self.b.pointer("mousePressed", xs[0], y, force=float(forces[0]), timestamp=self.t, **kw)
        for x, f in zip(xs[1:], forces[1:]):
            self.t += self.dt
            self.b.pointer("mouseMoved", float(x), y, force=float(f), timestamp=self.t, **kw)
        self.t += self.dt
        self.b.pointer("mouseReleased", float(xs[-1]), y, force=0.0, buttons=0, timestamp=self.t, **kw)
        self.sent += n + 1


def calibrate_with_card(b: Browser, base_url: str, drag_px: float) -> float:
    """Open the calibration, drag the card's handle by `drag_px`, save; returns the expected px/mm."""
    b.navigate(base_url)
    b.wait_for("penmotorState().view === 'start'")
    b.eval("document.getElementById('tocal').click()")
    b.wait_for("penmotorState().view === 'calib'")
    r = json.loads(b.eval("JSON.stringify(document.getElementById('handle').getBoundingClientRect())"))
    w0 = b.eval("document.getElementById('card').getBoundingClientRect().width")
    cx, cy = r["x"] + r["width"] / 2, r["y"] + r["height"] / 2
    b.pointer("mousePressed", cx, cy, pointer_type="mouse")
    b.pointer("mouseMoved", cx + drag_px, cy + 3, pointer_type="mouse")
    b.pointer("mouseReleased", cx + drag_px, cy + 3, pointer_type="mouse", buttons=0)
    b.eval("document.getElementById('calsave').click()")
    b.wait_for("penmotorState().view === 'start'")
    return (w0 + drag_px) / CARD_MM


def set_calibration(b: Browser, base_url: str, px_per_mm: float) -> None:
    b.navigate(base_url)
    b.wait_for("penmotorState().view === 'start'")
    b.eval("localStorage.setItem('penmotor.calibration.v1', JSON.stringify({px_per_mm: %r, method: 'test', "
           "key: [screen.width, screen.height, devicePixelRatio, navigator.userAgent].join('|')}))" % px_per_mm)


def finish(b: Browser) -> str:
    b.eval("document.getElementById('next').click()")
    b.wait_for("penmotorState().view === 'done'", timeout=30)
    return b.eval("document.getElementById('donetext').textContent")


def check_screenshot(b: Browser, path: Path) -> np.ndarray:
    from PIL import Image

    b.screenshot(path)
    img = np.asarray(Image.open(path).convert("RGB")).astype(float)
    grey = img.mean(axis=2)
    assert grey.std() > 5.0, f"{path.name}: blank screenshot"
    return grey


def test_pen_strokes_become_a_recording_in_mm(browser: Browser, tmp_path: Path) -> None:
    srv = CaptureServer(tmp_path / "sessions", port=0).start()
    try:
        ppm = calibrate_with_card(browser, srv.url, drag_px=57.0)
        cal = browser.eval("penmotorState().calibration")
        assert cal["px_per_mm"] == pytest.approx(ppm, rel=1e-4) and cal["method"] == "card"
        ppm = cal["px_per_mm"]                                 # the calibration the page stored
        browser.navigate(srv.url + "&child=C007&task=lines")
        state = browser.wait_for("penmotorState().sid && penmotorState()")
        assert state["isolated"] and state["coalesced"]       # cross-origin isolated, coalesced events
        pen = Pen(browser, rate_hz=200.0)
        lengths = [300.0, 180.0, 420.0]
        strokes = []
        for k, length in enumerate(lengths):
            forces = np.round(np.linspace(0.15 + 0.1 * k, 0.9 - 0.1 * k, 30), 3)
            tilt = (-30 + 25 * k, 15 - 20 * k)
            pen.stroke(100.0, 150.0 + 120 * k, length, forces, tilt)
            strokes.append((forces, tilt))
        # a mouse stroke is not recorded: pen only unless mouse is allowed
        Pen(browser).stroke(100.0, 560.0, 200.0, np.full(10, 0.5), (0, 0), pointer_type="mouse")
        browser.wait_for("penmotorState().sendNext === penmotorState().nextSeq")
        assert "below 100 Hz" not in browser.eval("document.getElementById('rate').textContent")
        check_screenshot(browser, tmp_path / "lines-with-ink.png")
        text = finish(browser)
    finally:
        srv.stop()
    files = sorted((tmp_path / "sessions" / "C007").glob("*.pmr"))
    assert len(files) == 1 and files[0].name in text
    rec = penmotor.read(files[0])
    assert len(rec) == pen.sent                                  # one sample per pen event, none lost
    assert rec.n_strokes == 3
    for s, length, (forces, tilt) in zip(rec.strokes(), lengths, strokes):
        assert np.ptp(s.x) == pytest.approx(length / ppm, rel=1e-4)   # width in mm from the calibration
        assert np.ptp(s.y) == pytest.approx(0.0, abs=1e-9)
        assert s.pressure == pytest.approx(forces, abs=1e-6)          # pressure follows the force
        assert np.all(s.tilt_x == tilt[0]) and np.all(s.tilt_y == tilt[1])
    ys = [s.y[0] for s in rec.strokes()]
    assert ys[0] - ys[1] == pytest.approx(120 / ppm, rel=1e-4)       # y up: lower on screen is smaller y
    cap = rec.meta["capture"]
    assert cap["rate_hz"] == pytest.approx(200.0, rel=0.01)
    assert cap["coalesced_events"] is True and cap["cross_origin_isolated"] is True
    assert cap["pointer_types"] == {"pen": pen.sent, "mouse": 0, "touch": 0} and cap["no_pressure"] is False
    b = rec.meta["browser"]
    assert b["px_per_mm"] == pytest.approx(ppm) and b["dpr"] == 1 and len(b["screen"]) == 2
    assert "Chrome" in b["user_agent"]
    assert rec.meta["subject"] == "C007" and rec.meta["attempts"][0]["task"] == "lines"
    assert files[0].with_suffix(".inkml").is_file()


def test_every_task_page_and_the_rate_warning(browser: Browser, tmp_path: Path) -> None:
    srv = CaptureServer(tmp_path / "sessions", port=0).start()
    try:
        set_calibration(browser, srv.url, 4.0)
        browser.navigate(srv.url + "&child=C008&task=lines,spiral,sentence,free&allow=mouse,touch")
        browser.wait_for("penmotorState().sid")
        bar = browser.eval("document.getElementById('bar').getBoundingClientRect().height")
        surf = json.loads(browser.eval("JSON.stringify(document.getElementById('surface').getBoundingClientRect())"))
        assert bar <= 80 and surf["top"] == bar and surf["height"] == 760 - bar and surf["width"] == 1000
        assert browser.eval("getComputedStyle(document.getElementById('surface')).touchAction") == "none"
        ink = {}
        for task in ("lines", "spiral", "sentence", "free"):
            assert task in browser.eval("document.getElementById('where').textContent").replace("copy the ", "")
            grey = check_screenshot(browser, tmp_path / f"{task}.png")
            ink[task] = (grey[BAR_PX + 2:] < 200).mean()              # template drawn on the surface
            if task == "free":
                Pen(browser, rate_hz=50.0).stroke(200.0, 400.0, 300.0, np.linspace(0.3, 0.6, 40), (0, 0))
                browser.wait_for("document.getElementById('rate').textContent.includes('below 100 Hz')")
                Pen(browser).stroke(200.0, 500.0, 100.0, np.full(8, 0.5), (0, 0), pointer_type="mouse")
                t = time.time() + 0.1                  # a finger stroke the system cancels (palm, gesture)
                for i in range(6):
                    browser.touch("touchStart" if i == 0 else "touchMove", 300.0 + 20 * i, 600.0,
                                  timestamp=t + 0.01 * i)
                browser.touch("touchCancel", 0, 0, timestamp=t + 0.07)
                Pen(browser).stroke(200.0, 650.0, 100.0, np.linspace(0.3, 0.5, 10), (0, 0))
                check_screenshot(browser, tmp_path / "free-with-ink.png")
                text = finish(browser)
            else:
                browser.eval("document.getElementById('next').click()")
        assert "Saved" in text
    finally:
        srv.stop()
    assert min(ink["lines"], ink["spiral"], ink["sentence"]) > 0.002 and ink["free"] < 1e-4
    rec = penmotor.read(next((tmp_path / "sessions").rglob("*.pmr")))
    assert [a["task"] for a in rec.meta["attempts"]] == ["lines", "spiral", "sentence", "free"]
    cap = rec.meta["capture"]
    assert cap["rate_hz"] == pytest.approx(50.0, rel=0.01)
    assert cap["pointer_types"]["mouse"] == 9 and cap["no_pressure"] is True   # allowed, flagged
    assert cap["pointer_types"]["touch"] == 7 and cap["pointercancels"] == 1     # down, 5 moves, cancel
    pen = rec.extra["pointer_type"] == 0
    assert np.isnan(rec.pressure[~pen]).all() and not np.isnan(rec.pressure[pen]).any()
    touch = np.flatnonzero(rec.extra["pointer_type"] == 2)
    assert rec.pen_down[touch].tolist() == [True] * 6 + [False]                  # the cancel ends the stroke
    assert rec.n_strokes == 4                                                    # pen, mouse, touch, pen
    assert rec.meta["page_mm"] == pytest.approx([1000 / 4.0, (760 - BAR_PX) / 4.0])


def test_server_killed_mid_session_loses_no_sample(browser: Browser, tmp_path: Path) -> None:
    sessions, port = tmp_path / "sessions", free_port()
    proc, url = start_cli(sessions, port, "--keep-token")
    try:
        set_calibration(browser, url, 5.0)
        browser.navigate(url + "&child=C009&task=lines,free")
        browser.wait_for("penmotorState().sid")
        pen = Pen(browser)
        pen.stroke(100, 150, 300, np.linspace(0.2, 0.8, 40), (10, 5))
        browser.wait_for("penmotorState().sendNext === penmotorState().nextSeq")
        proc.kill()                                       # SIGKILL: no chance to save anything
        proc.wait()
        pen.stroke(100, 250, 300, np.linspace(0.3, 0.7, 40), (20, -5))
        browser.wait_for("penmotorState().uploads[0].state === 'offline'")
        browser.eval("document.getElementById('next').click()")      # a new attempt while the server is down
        pen.stroke(100, 350, 200, np.linspace(0.4, 0.6, 30), (0, 0))
        state = browser.eval("penmotorState()")
        assert state["sendNext"] < state["nextSeq"]                   # kept on the page, not yet sent
        check_screenshot(browser, tmp_path / "offline.png")
        proc, url2 = start_cli(sessions, port, "--keep-token")         # same address, same token
        assert url2 == url
        browser.wait_for("penmotorState().sendNext === penmotorState().nextSeq", timeout=30)
        pen.stroke(100, 450, 250, np.linspace(0.5, 0.9, 30), (-10, 0))
        text = finish(browser)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    files = list(sessions.rglob("*.pmr"))
    assert len(files) == 1 and files[0].name in text
    rec = penmotor.read(files[0])
    assert len(rec) == pen.sent and rec.n_strokes == 4
    assert rec.meta["capture"]["resumed"] == 1
    assert [a["task"] for a in rec.meta["attempts"]] == ["lines", "free"]
    assert rec.extra["attempt"].tolist() == [0.0] * 82 + [1.0] * 62
    assert np.all(np.diff(rec.t) > 0)


def test_samples_kept_on_the_page_are_sent_at_the_next_load(browser: Browser, tmp_path: Path) -> None:
    """Wi-Fi gone (API requests blocked) and the page reloaded: the unsent session is sent and saved."""
    srv = CaptureServer(tmp_path / "sessions", port=0).start()
    try:
        set_calibration(browser, srv.url, 4.0)
        browser.navigate(srv.url + "&child=C010&task=free")
        browser.wait_for("penmotorState().sid")
        pen = Pen(browser)
        pen.stroke(100, 150, 200, np.linspace(0.2, 0.8, 30), (5, 5))
        browser.wait_for("penmotorState().sendNext === penmotorState().nextSeq")
        browser.send("Network.enable")
        browser.send("Network.setBlockedURLs", {"urls": ["*/api/*"]})
        pen.stroke(100, 250, 200, np.linspace(0.3, 0.6, 30), (5, 5))
        browser.wait_for("penmotorState().uploads[0].state === 'offline'")
        browser.navigate(srv.url)                      # the page is reloaded before anything got through
        browser.wait_for("penmotorState().view === 'start' && penmotorState().uploads.length === 1")
        assert not list((tmp_path / "sessions").rglob("*.pmr"))
        browser.send("Network.setBlockedURLs", {"urls": []})
        browser.wait_for("penmotorState().uploads.length === 0", timeout=30)
    finally:
        srv.stop()
    files = list((tmp_path / "sessions").rglob("*.pmr"))
    assert len(files) == 1
    rec = penmotor.read(files[0])
    assert len(rec) == pen.sent and rec.n_strokes == 2
    assert rec.meta["capture"]["ended"] == "finished"          # saved by the page, not by the server stop


def test_a_second_tab_leaves_a_live_session_alone(browser: Browser, tmp_path: Path) -> None:
    """Opening the page again in another tab must not send and save a session still being recorded."""
    srv = CaptureServer(tmp_path / "sessions", port=0).start()
    try:
        set_calibration(browser, srv.url, 4.0)
        browser.navigate(srv.url + "&child=C011&task=free")
        browser.wait_for("penmotorState().sid")
        pen = Pen(browser)
        pen.stroke(100, 150, 200, np.linspace(0.2, 0.8, 20), (0, 0))
        browser.wait_for("penmotorState().sendNext === penmotorState().nextSeq")
        tab = browser.open_tab(srv.url)
        end = time.monotonic() + 15
        while not browser.eval("typeof penmotorState === 'function' && penmotorState().view === 'start'", tab=tab):
            assert time.monotonic() < end, "second tab did not load"
            time.sleep(0.05)
        time.sleep(0.5)
        assert browser.eval("penmotorState().uploads.length", tab=tab) == 0
        assert not list((tmp_path / "sessions").rglob("*.pmr"))          # not finished behind the writer's back
        browser.send("Page.bringToFront")            # (input to a background tab waits for a frame)
        pen.stroke(100, 250, 200, np.linspace(0.2, 0.8, 20), (0, 0))      # the first tab goes on recording
        finish(browser)
    finally:
        srv.stop()
    rec = penmotor.read(next((tmp_path / "sessions").rglob("*.pmr")))
    assert len(rec) == pen.sent and rec.n_strokes == 2


def test_start_form_uses_the_one_child_id_rule(browser: Browser, tmp_path: Path) -> None:
    srv = CaptureServer(tmp_path / "sessions", port=0).start()
    try:
        set_calibration(browser, srv.url, 4.0)
        browser.navigate(srv.url)
        browser.wait_for("penmotorState().view === 'start'")
        check_screenshot(browser, tmp_path / "start.png")
        browser.eval("document.getElementById('child').value = 'Emma Smith'; document.getElementById('go').click()")
        msg = browser.wait_for("document.getElementById('startmsg').textContent")
        assert "looks like a name" in msg and browser.eval("penmotorState().view") == "start"
        browser.eval("for (const i of document.querySelectorAll('#tasks input')) i.checked = i.value === 'spiral';"
                     "document.getElementById('child').value = 'C012'; document.getElementById('go').click()")
        browser.wait_for("penmotorState().sid")
        assert "spiral (1/1)" in browser.eval("document.getElementById('where').textContent")
        Pen(browser).stroke(300, 300, 100, np.linspace(0.2, 0.4, 10), (0, 0))
        finish(browser)
    finally:
        srv.stop()
    assert [p.parent.name for p in (tmp_path / "sessions").rglob("*.pmr")] == ["C012"]
