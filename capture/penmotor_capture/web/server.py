"""The local web server of ``penmotor serve``: one capture page, a token, journaled chunks.

Standard library only (:class:`http.server.ThreadingHTTPServer`). Every request must
carry the per-start token (``?token=`` on the page URL, the ``X-Penmotor-Token`` header
on API calls): none gives 401, a wrong one 403 (compared in constant time). The page is
one self-contained HTML file served with a strict Content-Security-Policy (inline code
allowed by a per-response nonce only, nothing from elsewhere) and cross-origin isolated
(COOP/COEP), so ``performance.now()`` has 5 us resolution rather than 100 us.

API (JSON in and out; all POST):

``/api/session``  start (or re-open) a session: the page's random ``sid``, the child id,
                  tasks, calibration -> the task templates in page mm;
``/api/chunk``    one sequenced chunk of samples -> ``{"next": n}`` once it is on disk
                  (409 ``{"need": n}`` when an earlier chunk is missing, 410 when the
                  session is saved already);
``/api/finish``   write the session's ``.pmr`` (+ InkML, + store) -> files, rate.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from penmotor.errors import PenmotorError

from ..templates import DEFAULT_SENTENCE, TASKS
from .session import BrowserSession, GoneError, OutOfOrderError

__all__ = ["CaptureServer", "lan_address", "page_html", "new_token", "MAX_BODY_BYTES"]

MAX_BODY_BYTES = 16 * 1024 * 1024
TOKEN_HEADER = "X-Penmotor-Token"


def new_token() -> str:
    """A fresh random token (URL-safe, 192 bits).

    Examples
    --------
    >>> len(new_token()) >= 32
    True
    """
    return secrets.token_urlsafe(24)


def page_html(nonce: str, config: dict[str, Any]) -> bytes:
    """The capture page with the CSP nonce and the configuration filled in.

    Examples
    --------
    >>> html = page_html("abc", {"tasks": ["lines"]}).decode()
    >>> 'nonce="abc"' in html and '"tasks": ["lines"]' in html and "http" not in html.split("<body")[0]
    True
    """
    text = resources.files(__package__).joinpath("page.html").read_text(encoding="utf-8")
    cfg = json.dumps(config).replace("</", "<\\/")
    return text.replace("{{NONCE}}", nonce).replace("{{CONFIG}}", cfg).encode("utf-8")


def lan_address() -> str:
    """This machine's address on the local network (the interface of the default route).

    No packet is sent: a UDP socket is only connected to pick the interface.

    Examples
    --------
    >>> import ipaddress
    >>> ipaddress.ip_address(lan_address()).version in (4, 6)
    True
    """
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed to anyone
        return str(s.getsockname()[0])
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()


class CaptureServer:
    """The capture page server: sessions folder, optional store, token, TLS.

    Parameters
    ----------
    sessions : path
        Folder for the ``.pmr`` files and their journals (``<child>/<child>_<time>.pmr``).
    store : Store, optional
        Progress store; each finished attempt is added to it.
    host, port : str, int
        Where to listen (port 0: any free port).
    token : str, optional
        The access token (default: a new random one).
    certfile, keyfile : path, optional
        Serve HTTPS with this certificate.
    allow : sequence of str
        Pointer types the page may record without asking (default pen only); the start
        form can still allow mouse and touch, flagged as "no pressure".
    tasks, sentence, x_height_mm :
        Defaults of the start form.

    Examples
    --------
    >>> import tempfile, urllib.request, urllib.error
    >>> srv = CaptureServer(tempfile.mkdtemp(), port=0).start()
    >>> urllib.request.urlopen(srv.url).status
    200
    >>> try:
    ...     urllib.request.urlopen(srv.url.split("?")[0])
    ... except urllib.error.HTTPError as e:
    ...     print(e.code)
    401
    >>> srv.stop()
    []
    """

    def __init__(self, sessions: str | Path, *, store: Any = None, host: str = "127.0.0.1", port: int = 8765,
                 token: str | None = None, certfile: str | Path | None = None, keyfile: str | Path | None = None,
                 allow: tuple[str, ...] = ("pen",), tasks: tuple[str, ...] = TASKS,
                 sentence: str = DEFAULT_SENTENCE, x_height_mm: float = 8.0, inkml: bool = True,
                 quiet: bool = True) -> None:
        self.sessions_dir = Path(sessions)
        self.sessions_dir.mkdir(parents=True, exist_ok=True)
        self.store = store
        self.token = token or new_token()
        self.inkml = inkml
        self.quiet = quiet
        self.config = {"tasks": list(tasks), "all_tasks": list(TASKS), "allow": list(allow),
                       "sentence": sentence, "x_height_mm": x_height_mm}
        self.sessions: dict[str, BrowserSession] = {}
        self.lock = threading.Lock()
        self.store_lock = threading.Lock()   # one writer to the store at a time
        self.resumed: list[Path] = []
        self.saved_earlier: dict[str, Path] = {}    # sessions finished by an earlier run (e.g. on SIGTERM)
        for sid, (p, finished) in BrowserSession.index(self.sessions_dir).items():
            if finished:
                self.saved_earlier[sid] = p
                continue
            try:
                ses = BrowserSession.resume(p)
            except PenmotorError as exc:
                print(f"penmotor serve: cannot resume {p}: {exc}", file=sys.stderr)
                continue
            self.sessions[ses.sid] = ses
            self.resumed.append(p)
        self.httpd = _HTTPServer((host, port), _make_handler(self))
        self.scheme = "http"
        if certfile:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
            # the handshake runs on the request's thread (Handler.setup), never in the accept loop
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
            self.scheme = "https"
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The page's URL with the token."""
        host, port = self.httpd.server_address[:2]
        return f"{self.scheme}://{host}:{port}/?token={self.token}"

    def start(self) -> "CaptureServer":
        """Serve on a background thread (returns at once)."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="penmotor-serve", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve on this thread until :meth:`shutdown` is called from another one."""
        self.httpd.serve_forever()

    def shutdown(self) -> None:
        """Stop serving (call from another thread than the one serving)."""
        self.httpd.shutdown()

    def stop(self) -> list[Path]:
        """Stop serving and finalise every open session; returns the files written."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join()
        self.httpd.server_close()
        return self.finalise_all(reason="server stopped")

    def finalise_all(self, *, reason: str = "server stopped") -> list[Path]:
        """Write every open session's ``.pmr`` (what has arrived so far)."""
        out: list[Path] = []
        with self.lock:
            open_sessions = list(self.sessions.values())
        for ses in open_sessions:
            if ses.saved is None:
                out.extend(self._finish(ses, reason=reason))
        return out

    def _finish(self, ses: BrowserSession, *, reason: str = "finished") -> list[Path]:
        with self.store_lock:  # a store failure is a PenmotorWarning: the .pmr is written anyway
            return ses.finish(inkml=self.inkml, store=self.store, reason=reason)

    # ---------------------------------------------------------------- the API
    def api(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Handle one API call; (HTTP status, JSON reply)."""
        sid = str(body.get("sid", ""))
        if sid in self.saved_earlier and sid not in self.sessions:
            p = self.saved_earlier[sid]
            files = [q.name for q in (p, p.with_suffix(".inkml")) if q.exists()]
            if path == "/api/finish":
                return 200, {"files": files, "samples": None}
            return 410, {"error": f"session {sid} was saved already", "files": files}
        if path == "/api/session":
            with self.lock:
                ses = self.sessions.get(sid)
                if ses is None:
                    ses = BrowserSession.start(self.sessions_dir, body, sentence=self.config["sentence"],
                                               x_height_mm=self.config["x_height_mm"])
                    self.sessions[ses.sid] = ses
            return 200, {"sid": ses.sid, "file": ses.path.name, "next": ses.next_seq,
                         "page_mm": ses.header["page_mm"], "templates": ses.templates(),
                         "saved": ses.saved is not None}
        ses = self.sessions.get(sid)
        if ses is None:
            return 404, {"error": "unknown session; start it again"}
        if path == "/api/chunk":
            try:
                return 200, {"next": ses.add_chunk(body)}
            except OutOfOrderError as exc:
                return 409, {"error": str(exc), "need": exc.need}
            except GoneError as exc:
                return 410, {"error": str(exc), "files": [p.name for p in ses.saved or []]}
        if path == "/api/finish":
            want = int(body.get("chunks", ses.next_seq))
            if ses.saved is None and want > ses.next_seq:
                return 409, {"error": f"chunk {ses.next_seq} missing", "need": ses.next_seq}
            paths = self._finish(ses)
            return 200, {"files": [p.name for p in paths], "samples": ses.journal.written}
        return 404, {"error": f"no such API: {path}"}


_CSP = ("default-src 'none'; script-src 'nonce-{n}'; style-src 'nonce-{n}'; connect-src 'self'; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_SAFE_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError)):  # e.g. http:// to the https port
            return
        super().handle_error(request, client_address)


def _make_handler(server: CaptureServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "penmotor"
        sys_version = ""
        timeout = 60  # a silent client gives up its thread

        def setup(self) -> None:
            self.request.settimeout(self.timeout)
            if isinstance(self.request, ssl.SSLSocket):
                self.request.do_handshake()
            super().setup()

        def log_message(self, fmt: str, *args: Any) -> None:  # no URLs (tokens) in logs by default
            if not server.quiet:
                sys.stderr.write("penmotor serve: " + re.sub(r"token=[^& ]+", "token=...", fmt % args) + "\n")

        def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in {**_SAFE_HEADERS, **(extra or {})}.items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, obj: dict[str, Any]) -> None:
            self._send(status, json.dumps(obj).encode(), "application/json",
                       {"Content-Security-Policy": "default-src 'none'"})

        def _authorised(self) -> bool:
            q = parse_qs(urlsplit(self.path).query)
            given = self.headers.get(TOKEN_HEADER) or (q.get("token") or [None])[0]
            if not given:
                self._json(401, {"error": "token required: open the URL printed by `penmotor serve`"})
                return False
            if not hmac.compare_digest(given.encode("utf-8", "replace"), server.token.encode()):
                self._json(403, {"error": "wrong token"})
                return False
            return True

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            if not self._authorised():
                return
            route = urlsplit(self.path).path
            if route != "/":
                self._json(404, {"error": "not found"})
                return
            nonce = secrets.token_urlsafe(16)
            self._send(200, page_html(nonce, server.config), "text/html; charset=utf-8",
                       {"Content-Security-Policy": _CSP.format(n=nonce)})

        do_HEAD = do_GET

        def do_POST(self) -> None:  # noqa: N802
            if not self._authorised():
                self.close_connection = True  # the body was not read
                return
            try:
                n = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                n = -1
            if not 0 <= n <= MAX_BODY_BYTES:
                self.close_connection = True
                self._json(413, {"error": f"body must be 0-{MAX_BODY_BYTES} bytes"})
                return
            try:
                body = json.loads(self.rfile.read(n) or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("not an object")
            except ValueError as exc:
                self._json(400, {"error": f"body: expected a JSON object ({exc})"})
                return
            try:
                status, reply = server.api(urlsplit(self.path).path, body)
            except PenmotorError as exc:
                status, reply = 400, {"error": str(exc)}
            except OSError as exc:  # disk full: the page keeps the chunk and retries
                status, reply = 503, {"error": f"cannot write the journal: {exc.strerror or exc}"}
            self._json(status, reply)

    return Handler
