"""Capture in the browser: ``penmotor serve`` and its W3C Pointer Events page.

One self-contained page (``page.html``) records pen samples in any modern browser (iPad
+ Apple Pencil, Windows Ink, Wacom on macOS, Chromebooks): every coalesced sample, no
predicted ones, pressure, tilt, twist, buttons, pen vs eraser, with a calibration to
real millimetres. The page journals in IndexedDB and streams sequenced chunks; the
server (:class:`CaptureServer`, standard library only) journals them on arrival in the
capture journal format and writes each session as a ``.pmr`` + InkML, like
``penmotor capture``.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from .server import CaptureServer, lan_address, new_token, page_html
from .session import BrowserSession, browser_device, chunk_samples, effective_rate_hz

__all__ = [
    "CaptureServer",
    "BrowserSession",
    "browser_device",
    "chunk_samples",
    "effective_rate_hz",
    "lan_address",
    "new_token",
    "page_html",
    "serve",
    "TOKEN_FILE",
]

#: token kept across restarts with ``--keep-token`` (inside the sessions folder, mode 0600)
TOKEN_FILE = ".penmotor-serve-token"


def _kept_token(folder: Path) -> str:
    path = folder / TOKEN_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
        if len(text) >= 32:
            return text
    except OSError:
        pass
    token = new_token()
    folder.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    return token


def _print_qr(url: str, out: TextIO) -> None:
    try:
        import segno
    except ImportError:
        print("(install the 'segno' package for a QR code of this URL: pip install penmotor[capture])", file=out)
        return
    segno.make(url, error="l").terminal(out=out, compact=True)


def serve(sessions: str | Path, *, store: Any = None, port: int = 8765, lan: bool = False,
          cert: str | Path | None = None, key: str | Path | None = None, keep_token: bool = False,
          allow: tuple[str, ...] = ("pen",), tasks: tuple[str, ...] | None = None, inkml: bool = True,
          out: TextIO = sys.stdout, ready: threading.Event | None = None,
          stop: threading.Event | None = None) -> int:
    """Run the capture page server until SIGTERM/SIGINT (or `stop`); finalise every open session.

    Prints the page URL (with the token) and, with `lan`, a QR code of it. Returns 0, or 1
    when it cannot listen (port in use, certificate unreadable).

    Examples
    --------
    >>> import io, tempfile, threading
    >>> ready, stop = threading.Event(), threading.Event()
    >>> buf = io.StringIO()
    >>> th = threading.Thread(target=serve, args=(tempfile.mkdtemp(),),
    ...                       kwargs=dict(port=0, out=buf, ready=ready, stop=stop))
    >>> th.start(); _ = ready.wait(10); stop.set(); th.join()
    >>> "http://127.0.0.1:" in buf.getvalue() and "?token=" in buf.getvalue()
    True
    """
    from ..templates import TASKS

    folder = Path(sessions)
    host = lan_address() if lan else "127.0.0.1"
    token = _kept_token(folder) if keep_token else None
    try:
        srv = CaptureServer(folder, store=store, host=host, port=port, token=token, certfile=cert, keyfile=key,
                            allow=allow, tasks=tuple(tasks or TASKS), inkml=inkml)
    except OSError as exc:   # port in use, unreadable certificate ...
        print(f"penmotor serve: cannot serve on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    for p in srv.resumed:
        print(f"penmotor serve: resuming unfinished session {p.name} (its page resends what is missing)", file=out)
    done = stop or threading.Event()
    old = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            old[sig] = signal.signal(sig, lambda *_: done.set())
    srv.start()
    print(f"penmotor serve: sessions are saved in {folder}", file=out)
    print(f"penmotor serve: open {srv.url}", file=out, flush=True)
    if lan:
        if srv.scheme == "http":
            print("penmotor serve: plain HTTP on the network: no coalesced events (full rate) on most "
                  "browsers; give --cert/--key for HTTPS (see docs/capture.md)", file=out)
        _print_qr(srv.url, out)
    out.flush()
    if ready is not None:
        ready.set()
    try:
        while not done.wait(0.5):
            pass
    finally:
        paths = srv.stop()
        for sig, h in old.items():
            signal.signal(sig, h)
    for p in paths:
        print(f"penmotor serve: saved {p}", file=out)
    print("penmotor serve: stopped", file=out, flush=True)
    return 0
