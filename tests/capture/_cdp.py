"""A small Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (no websocket package).

Chromium reads NUL-terminated JSON commands from its file descriptor 3 and writes replies
and events to descriptor 4. :class:`Browser` starts headless Chromium with a fresh profile,
attaches to its page and sends commands with :meth:`Browser.send`.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe"]


class CDPError(RuntimeError):
    """A command failed (the protocol's error message) or timed out."""


class Browser:
    """Headless Chromium driven over the DevTools pipe; one page target.

    Parameters
    ----------
    exe : str
        Chromium executable.
    profile : path
        A new, empty user-data directory.
    size : (int, int)
        Window size in CSS px (device scale factor 1).
    """

    def __init__(self, exe: str, profile: Path, size: tuple[int, int] = (1000, 760)) -> None:
        self._to_r, self._to_w = os.pipe()      # commands: we write, chromium reads fd 3
        self._from_r, self._from_w = os.pipe()  # replies: chromium writes fd 4, we read
        to_r, from_w = self._to_r, self._from_w

        def fds() -> None:  # in the child, before exec: our pipe ends become fds 3 and 4
            a = fcntl.fcntl(to_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            preexec_fn=fds, close_fds=False,
        )
        os.close(self._to_r)
        os.close(self._from_w)
        self._id = 0
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self._replies: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.session: str | None = None
        targets = self.send("Target.getTargets", session=False)["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        self.session = self.send("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True},
                                 session=False)["sessionId"]
        self.send("Page.enable")
        self.send("Runtime.enable")
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False})

    def _read(self) -> None:
        buf = b""
        while True:
            try:
                data = os.read(self._from_r, 1 << 16)
            except OSError:
                data = b""
            if not data:
                with self._cond:
                    self._cond.notify_all()
                return
            buf += data
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                obj = json.loads(msg)
                with self._cond:
                    if "id" in obj:
                        self._replies[obj["id"]] = obj
                    else:
                        self.events.append(obj)
                    self._cond.notify_all()

    def send(self, method: str, params: dict[str, Any] | None = None, *, session: bool | str = True,
             timeout: float = 30.0) -> dict[str, Any]:
        """Send a command (to the page, the browser with ``session=False``, or a tab's session id)."""
        with self._lock:
            self._id += 1
            mid = self._id
        msg: dict[str, Any] = {"id": mid, "method": method, "params": params or {}}
        if isinstance(session, str):
            msg["sessionId"] = session
        elif session and self.session:
            msg["sessionId"] = self.session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        with self._cond:
            while mid not in self._replies:
                left = end - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise CDPError(f"{method}: no reply (chromium rc {self.proc.poll()})")
                self._cond.wait(min(left, 0.5))
            reply = self._replies.pop(mid)
        if "error" in reply:
            raise CDPError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def open_tab(self, url: str) -> str:
        """Open `url` in a second tab; returns its session id (for ``eval(..., tab=...)``)."""
        target = self.send("Target.createTarget", {"url": url}, session=False)["targetId"]
        return self.send("Target.attachToTarget", {"targetId": target, "flatten": True}, session=False)["sessionId"]

    def eval(self, expr: str, *, await_promise: bool = True, tab: str | None = None) -> Any:
        """Evaluate JavaScript in the page (or another tab); returns the value (JSON)."""
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": await_promise},
                      session=tab or True)
        if "exceptionDetails" in r:
            raise CDPError(f"{expr[:60]}: {r['exceptionDetails'].get('exception', {}).get('description')}")
        return r["result"].get("value")

    def wait_for(self, expr: str, *, timeout: float = 15.0) -> Any:
        """Poll a JavaScript expression until it is truthy; returns its value."""
        end = time.monotonic() + timeout
        while True:
            v = self.eval(expr)
            if v:
                return v
            if time.monotonic() > end:
                raise CDPError(f"timed out waiting for {expr}")
            time.sleep(0.05)

    def navigate(self, url: str) -> None:
        """Load a URL and wait for the load event."""
        n = len(self.events)
        self.send("Page.navigate", {"url": url})
        end = time.monotonic() + 20
        while time.monotonic() < end:
            if any(e.get("method") == "Page.loadEventFired" for e in self.events[n:]):
                return
            time.sleep(0.05)
        raise CDPError(f"{url}: no load event")

    def pointer(self, kind: str, x: float, y: float, *, pointer_type: str = "pen", force: float = 0.0,
                tilt_x: float = 0.0, tilt_y: float = 0.0, buttons: int = 1, timestamp: float | None = None) -> None:
        """One ``Input.dispatchMouseEvent`` (kind: mousePressed, mouseMoved, mouseReleased)."""
        p: dict[str, Any] = {"type": kind, "x": x, "y": y, "pointerType": pointer_type, "force": force,
                             "tiltX": tilt_x, "tiltY": tilt_y,
                             "button": "left" if buttons or kind != "mouseMoved" else "none",
                             "buttons": buttons, "clickCount": 1 if kind != "mouseMoved" else 0}
        if timestamp is not None:
            p["timestamp"] = timestamp
        self.send("Input.dispatchMouseEvent", p)

    def touch(self, kind: str, x: float, y: float, *, timestamp: float | None = None) -> None:
        """One ``Input.dispatchTouchEvent`` with one finger (kind: touchStart, touchMove, touchEnd, touchCancel)."""
        p: dict[str, Any] = {"type": kind, "touchPoints": [] if kind in ("touchEnd", "touchCancel") else
                             [{"x": x, "y": y, "id": 1, "radiusX": 5, "radiusY": 5, "force": 0.5}]}
        if timestamp is not None:
            p["timestamp"] = timestamp
        self.send("Input.dispatchTouchEvent", p)

    def screenshot(self, path: Path) -> Path:
        """Save a PNG of the viewport."""
        data = self.send("Page.captureScreenshot", {"format": "png"})["data"]
        path.write_bytes(base64.b64decode(data))
        return path

    def close(self) -> None:
        """Quit Chromium."""
        try:
            self.send("Browser.close", session=False, timeout=5)
        except CDPError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_w, self._from_r):
            try:
                os.close(fd)
            except OSError:
                pass
