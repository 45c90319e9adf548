"""The browser capture server without a browser: token, headers, chunks, journal resume, SIGTERM."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("penmotor_capture")

import penmotor  # noqa: E402
from penmotor.errors import ParameterError  # noqa: E402
from penmotor_capture import empty_samples  # noqa: E402
from penmotor_capture.journal import Journal, journal_paths, read_journal  # noqa: E402
from penmotor_capture.web import BrowserSession, CaptureServer, effective_rate_hz  # noqa: E402
from penmotor_capture.web.session import GoneError, OutOfOrderError  # noqa: E402

from _serve import free_port, start_cli  # noqa: E402

SID = "0123456789abcdef"


def start_request(**kw):
    req = {"sid": SID, "child": "C001", "tasks": ["lines", "free"], "px_per_mm": 4.0, "size_px": [800, 600],
           "dpr": 2, "screen": [1280, 800], "user_agent": "Test/1.0", "coalesced": True}
    req.update(kw)
    return req


def cols(n, *, t0=0.0, dt=5.0, x0=40.0, step=4.0, y=100.0, pressure=0.5, ptype=0, tilt=(10.0, -20.0)):
    """One pen-down stroke of n samples, released on the last one."""
    c = np.ones(n)
    c[-1] = 0
    return {"t": (t0 + dt * np.arange(n)).tolist(), "x": (x0 + step * np.arange(n)).tolist(), "y": [y] * n,
            "p": np.broadcast_to(pressure, n).tolist(), "tx": [tilt[0]] * n, "ty": [tilt[1]] * n, "tw": [0] * n,
            "b": c.astype(int).tolist(), "pt": [ptype] * n, "c": c.astype(int).tolist(), "e": [0] * n, "r": [1] * n}


def chunk(seq, samples, attempt=None, **kw):
    out = {"sid": SID, "seq": seq, "samples": samples, **kw}
    if attempt is not None:
        out["attempt"] = attempt
    return out


# ------------------------------------------------------------------ journal resume
def test_journal_resume_cuts_a_torn_tail_and_continues(tmp_path: Path) -> None:
    path = tmp_path / "s.pmr"
    j = Journal(path, {"child": "C001"})
    s = empty_samples(5)
    s["t_us"] = np.arange(5)
    j.append(s)
    j.note("mark", n=5)
    j.sync()   # ... and the process dies while writing more: a torn record and a torn line
    bin_path, log_path = journal_paths(path)
    with open(bin_path, "ab") as fh:
        fh.write(b"\x01" * 7)
    with open(log_path, "a") as fh:
        fh.write('{"kind": "half')
    j2 = Journal(path, {}, resume=True)
    assert j2.written == 5
    s2 = empty_samples(2)
    s2["t_us"] = [10, 11]
    j2.append(s2)
    j2.close()
    c = read_journal(path)
    assert c.samples["t_us"].tolist() == [0, 1, 2, 3, 4, 10, 11]
    assert c.torn_bytes == 0 and c.closed and c.header == {"child": "C001"}
    assert [e["kind"] for e in c.events] == ["mark", "resumed", "closed"]


def test_journal_resume_keeps_only_the_samples_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "s.pmr"
    j = Journal(path, {"child": "C001"})
    j.append(empty_samples(6))
    j.sync()
    j2 = Journal(path, {}, resume=True, keep_samples=4)
    j2.close()
    assert len(read_journal(path).samples) == 4


# ------------------------------------------------------------------ sessions
def test_chunks_are_idempotent_and_ordered(tmp_path: Path) -> None:
    ses = BrowserSession.start(tmp_path, start_request())
    first = chunk(0, cols(10), {"index": 0, "task": "lines"})
    assert ses.add_chunk(first) == 1
    assert ses.add_chunk(first) == 1                       # resend: acknowledged, not stored twice
    with pytest.raises(OutOfOrderError) as err:
        ses.add_chunk(chunk(2, cols(3, t0=500)))
    assert err.value.need == 1
    assert ses.add_chunk(chunk(1, cols(8, t0=200))) == 2
    paths = ses.finish()
    rec = penmotor.read(paths[0])
    assert len(rec) == 18 and rec.n_strokes == 2
    with pytest.raises(GoneError):
        ses.add_chunk(chunk(2, cols(3, t0=900)))


def test_units_mm_y_up_pressure_tilt(tmp_path: Path) -> None:
    ses = BrowserSession.start(tmp_path, start_request(px_per_mm=5.0))
    ses.add_chunk(chunk(0, cols(21, x0=100, step=5.0, y=250, pressure=np.linspace(0.1, 0.9, 21)),
                        {"index": 0, "task": "lines"}))
    rec = penmotor.read(ses.finish()[0])
    down = rec.pen_down
    assert np.ptp(rec.x[down]) == pytest.approx(19 * 5.0 / 5.0)   # 95 px at 5 px/mm = 19 mm
    assert rec.y[0] == pytest.approx(-250 / 5.0)                    # y up: screen-down is negative
    assert rec.pressure[:20] == pytest.approx(np.linspace(0.1, 0.9, 21)[:20])
    assert np.all(rec.tilt_x == 10.0) and np.all(rec.tilt_y == -20.0)
    assert rec.meta["capture"]["rate_hz"] == pytest.approx(200.0)
    assert rec.meta["browser"]["dpr"] == 2 and rec.meta["browser"]["px_per_mm"] == 5.0
    assert rec.meta["capture"]["no_pressure"] is False


def test_mouse_and_touch_have_no_pressure_and_are_flagged(tmp_path: Path) -> None:
    ses = BrowserSession.start(tmp_path, start_request(allow=["pen", "mouse", "touch"]))
    ses.add_chunk(chunk(0, cols(6, ptype=1, pressure=0.5), {"index": 0, "task": "lines"}))
    ses.add_chunk(chunk(1, cols(6, t0=100, ptype=0, pressure=0.7)))
    rec = penmotor.read(ses.finish()[0])
    assert np.isnan(rec.pressure[:6]).all() and np.isnan(rec.tilt_x[:6]).all()
    assert rec.pressure[6:11] == pytest.approx(0.7)
    assert rec.extra["pointer_type"].tolist() == [1.0] * 6 + [0.0] * 6
    cap = rec.meta["capture"]
    assert cap["no_pressure"] is True and cap["pointer_types"] == {"pen": 6, "mouse": 6, "touch": 0}


def test_constant_pen_pressure_is_flagged(tmp_path: Path) -> None:
    ses = BrowserSession.start(tmp_path, start_request())
    ses.add_chunk(chunk(0, cols(12, pressure=0.5), {"index": 0, "task": "lines"}))
    assert penmotor.read(ses.finish()[0]).meta["capture"]["no_pressure"] is True


def test_attempts_redo_and_store(tmp_path: Path) -> None:
    from penmotor.progress.store import Store

    ses = BrowserSession.start(tmp_path / "s", start_request())
    ses.add_chunk(chunk(0, cols(30), {"index": 0, "task": "lines"}))
    ses.add_chunk(chunk(1, cols(30, t0=400), {"index": 1, "task": "lines", "redo_of": 0}))
    ses.add_chunk(chunk(2, cols(40, t0=900), {"index": 2, "task": "free"}))
    with Store(tmp_path / "p.db") as store:
        rec = penmotor.read(ses.finish(store=store)[0])
        sessions = store.sessions("C001")
    assert [(a["task"], a["redone"]) for a in rec.meta["attempts"]] == [("lines", True), ("lines", False),
                                                                         ("free", False)]
    assert rec.extra["attempt"].tolist() == [0.0] * 30 + [1.0] * 30 + [2.0] * 40
    assert sorted(sessions["task"]) == ["free", "lines"]          # the redone attempt is not stored


def test_bad_chunks_name_the_field(tmp_path: Path) -> None:
    ses = BrowserSession.start(tmp_path, start_request())
    with pytest.raises(ParameterError, match="first chunk must start an attempt"):
        ses.add_chunk(chunk(0, cols(3)))
    bad = cols(3)
    bad["p"] = [0.5]
    with pytest.raises(ParameterError, match=r"samples\.p: expected 3 values"):
        ses.add_chunk(chunk(0, bad, {"index": 0, "task": "lines"}))
    with pytest.raises(ParameterError, match="attempt"):
        ses.add_chunk(chunk(0, cols(3), {"index": 0, "task": "spiral"}))   # not a task of this session
    with pytest.raises(ParameterError, match="looks like a name"):
        BrowserSession.start(tmp_path, start_request(child="Emma Smith"))
    with pytest.raises(ParameterError, match="px_per_mm"):
        BrowserSession.start(tmp_path, start_request(px_per_mm=1e6, sid="another-session"))


def test_resume_after_a_crash_mid_chunk(tmp_path: Path) -> None:
    """The server dies after writing part of a chunk: the part is cut, the resent chunk stored once."""
    ses = BrowserSession.start(tmp_path, start_request())
    ses.add_chunk(chunk(0, cols(10), {"index": 0, "task": "lines"}))
    # chunk 1 half-written: its samples and attempt line reached the disk, its commit line did not
    ses.journal.note("attempt", index=1, task="free", redo_of=None, template={}, seq=1)
    ses.journal.append(empty_samples(4))
    ses.journal.sync()
    path = ses.path                                    # no close: the process was killed
    again = BrowserSession.resume(path)
    assert again.next_seq == 1 and again.journal.written == 10 and again.attempt == 0
    assert again.add_chunk(chunk(1, cols(5, t0=300), {"index": 1, "task": "free"})) == 2
    rec = penmotor.read(again.finish()[0])
    assert len(rec) == 15
    assert [a["task"] for a in rec.meta["attempts"]] == ["lines", "free"]
    assert rec.meta["capture"]["resumed"] == 1


@settings(max_examples=40, deadline=None)
@given(st.floats(0.5, 20.0), st.integers(5, 200))
def test_effective_rate_scales_with_time(interval_ms: float, n: int) -> None:
    t = np.round(np.arange(n) * interval_ms * 1000).astype(np.int64)
    c = np.ones(n, bool)
    r1 = effective_rate_hz(t, c)
    r2 = effective_rate_hz(t * 2, c)
    assert r1 == pytest.approx(1000.0 / interval_ms, rel=1e-3)
    assert r2 == pytest.approx(r1 / 2, rel=1e-3)
    c[n // 2] = False     # a pen lift does not count as a sampling interval
    assert effective_rate_hz(np.r_[t[: n // 2], t[n // 2:] + 10**9], c) == pytest.approx(r1, rel=1e-3)


# ------------------------------------------------------------------ HTTP server
def _get(url, headers=None, data=None):
    req = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.fixture
def server(tmp_path: Path):
    srv = CaptureServer(tmp_path / "sessions", port=0).start()
    yield srv
    srv.stop()


def test_requests_without_the_token_are_refused(server: CaptureServer) -> None:
    base = server.url.split("?")[0]
    body = json.dumps(start_request()).encode()
    assert _get(base)[0] == 401
    assert _get(base + "?token=wrong")[0] == 403
    assert _get(base + "api/session", {"Content-Type": "application/json"}, body)[0] == 401
    assert _get(base + "api/session", {"X-Penmotor-Token": "x" * 32}, body)[0] == 403
    assert not list(server.sessions_dir.rglob("*.journal"))           # nothing was created
    status, _, reply = _get(base + "api/session", {"X-Penmotor-Token": server.token}, body)
    assert status == 200 and json.loads(reply)["next"] == 0
    assert _get(server.url)[0] == 200


def test_page_is_isolated_strict_and_self_contained(server: CaptureServer) -> None:
    status, headers, html = _get(server.url)
    text = html.decode()
    assert status == 200
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    csp = headers["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["Referrer-Policy"] == "no-referrer"
    assert re.search(r"(?:https?|wss?|ftp)://|@import|<link|<iframe|\bsrc\s*=", text, re.I) is None
    scripts = re.findall(r"<(script|style)\b([^>]*)>", text)
    assert scripts and all(f'nonce="{nonce}"' in attrs for _, attrs in scripts)
    assert "getPredictedEvents()" not in text.replace("never getPredictedEvents()", "")
    assert _get(server.url)[1]["Content-Security-Policy"] != csp    # a new nonce per response


def test_bad_bodies_are_refused(server: CaptureServer) -> None:
    base = server.url.split("?")[0]
    h = {"X-Penmotor-Token": server.token}
    assert _get(base + "api/session", h, b"not json")[0] == 400
    assert _get(base + "api/session", h, b"[1, 2]")[0] == 400
    assert _get(base + "api/chunk", h, json.dumps({"sid": "nobody", "seq": 0}).encode())[0] == 404
    status, _, reply = _get(base + "api/session", h, json.dumps(start_request(child="Emma")).encode())
    assert status == 400 and "looks like a name" in json.loads(reply)["error"]


# ------------------------------------------------------------------ the command
def test_sigterm_finalises_open_sessions_and_exits_0(tmp_path: Path) -> None:
    proc, url = start_cli(tmp_path / "sessions", free_port())
    try:
        base, token = url.split("?token=")
        h = {"X-Penmotor-Token": token}
        assert _get(base + "api/session", h, json.dumps(start_request()).encode())[0] == 200
        body = json.dumps(chunk(0, cols(25), {"index": 0, "task": "lines"})).encode()
        assert json.loads(_get(base + "api/chunk", h, body)[2]) == {"next": 1}
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    saved = list((tmp_path / "sessions").rglob("*.pmr"))
    assert len(saved) == 1 and f"saved {saved[0]}" in out
    rec = penmotor.read(saved[0])
    assert len(rec) == 25 and rec.meta["capture"]["ended"] == "server stopped"
    assert saved[0].with_suffix(".inkml").is_file()


def test_serve_without_the_capture_package(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from penmotor.cli import main

    monkeypatch.setitem(sys.modules, "penmotor_capture.web", None)   # import fails as if not installed
    assert main(["serve", "--port", "0"]) == 2
    assert "capture package is not installed" in capsys.readouterr().err


def test_https_with_a_given_certificate(tmp_path: Path) -> None:
    import shutil
    import ssl

    if shutil.which("openssl") is None:
        pytest.skip("openssl command not available to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=penmotor-test", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    srv = CaptureServer(tmp_path / "sessions", port=0, certfile=cert, keyfile=key).start()
    try:
        assert srv.url.startswith("https://127.0.0.1:")
        ctx = ssl.create_default_context(cafile=str(cert))         # verifies the certificate and the IP
        with urllib.request.urlopen(srv.url, context=ctx, timeout=10) as r:
            assert r.status == 200 and b"penmotor" in r.read()
        with pytest.raises((urllib.error.URLError, ConnectionError)):   # plain HTTP is not served
            urllib.request.urlopen(srv.url.replace("https", "http"), timeout=10)
        with urllib.request.urlopen(srv.url, context=ctx, timeout=10) as r:   # and the server still serves
            assert r.status == 200
    finally:
        srv.stop()


def test_lan_prints_the_url_and_a_qr_code(tmp_path: Path) -> None:
    import io
    import threading

    from penmotor_capture.web import lan_address, serve

    pytest.importorskip("segno")
    out, ready, stop = io.StringIO(), threading.Event(), threading.Event()
    th = threading.Thread(target=serve, args=(tmp_path / "sessions",),
                          kwargs=dict(port=0, lan=True, out=out, ready=ready, stop=stop))
    th.start()
    try:
        assert ready.wait(30)
    finally:
        stop.set()
        th.join(30)
    text = out.getvalue()
    assert f"open http://{lan_address()}:" in text and "plain HTTP on the network" in text
    qr = [line for line in text.splitlines() if set(line) <= set(" █▀▄") and len(line) > 20]
    assert len(qr) >= 10 and len({len(line) for line in qr}) == 1    # a square block of QR modules


def test_a_session_saved_on_shutdown_stays_saved_after_a_restart(tmp_path: Path) -> None:
    """After SIGTERM saved it, a restarted server answers 410 (saved) instead of starting it again."""
    srv = CaptureServer(tmp_path / "sessions", port=0).start()
    h = {"X-Penmotor-Token": srv.token}
    base = srv.url.split("?")[0]
    assert _get(base + "api/session", h, json.dumps(start_request()).encode())[0] == 200
    assert _get(base + "api/chunk", h, json.dumps(chunk(0, cols(12), {"index": 0, "task": "lines"})).encode())[0] == 200
    saved = srv.stop()
    assert [p.suffix for p in saved] == [".pmr", ".inkml"]
    srv2 = CaptureServer(tmp_path / "sessions", port=0).start()
    try:
        h = {"X-Penmotor-Token": srv2.token}
        base = srv2.url.split("?")[0]
        status, _, reply = _get(base + "api/chunk", h, json.dumps(chunk(1, cols(5, t0=300))).encode())
        assert status == 410 and json.loads(reply)["files"] == [p.name for p in saved]
        assert _get(base + "api/session", h, json.dumps(start_request()).encode())[0] == 410
        status, _, reply = _get(base + "api/finish", h, json.dumps({"sid": SID, "chunks": 2}).encode())
        assert status == 200 and json.loads(reply)["files"] == [p.name for p in saved]
        assert srv2.resumed == [] and not srv2.sessions
    finally:
        srv2.stop()
    assert len(penmotor.read(saved[0])) == 12
    assert len(list((tmp_path / "sessions").rglob("*.pmr"))) == 1


def test_serve_reports_a_port_in_use(tmp_path: Path, capsys) -> None:
    from penmotor_capture.web import serve

    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    try:
        assert serve(tmp_path / "s", port=busy.getsockname()[1]) == 1
    finally:
        busy.close()
    assert "cannot serve on 127.0.0.1" in capsys.readouterr().err


def test_the_eraser_end_is_not_ink(tmp_path: Path) -> None:
    ses = BrowserSession.start(tmp_path, start_request())
    pen = cols(10)
    rub = cols(6, t0=200)
    rub["e"] = [1] * 6
    rub["b"] = [32] * 5 + [0]
    ses.add_chunk(chunk(0, pen, {"index": 0, "task": "lines"}))
    ses.add_chunk(chunk(1, rub))
    rec = penmotor.read(ses.finish()[0])
    assert rec.pen_down.tolist() == [True] * 9 + [False] * 7          # the eraser touching is not a stroke
    assert rec.extra["eraser_down"].tolist() == [0.0] * 10 + [1.0] * 5 + [0.0]
    assert rec.extra["tool"].tolist() == [0.0] * 10 + [1.0] * 6        # TOOL_NAMES[1] == "eraser"


def test_capture_recovery_leaves_open_browser_sessions_to_the_server(tmp_path: Path) -> None:
    from penmotor_capture.journal import journal_source
    from penmotor_capture.session import recover_all

    ses = BrowserSession.start(tmp_path, start_request())
    ses.add_chunk(chunk(0, cols(10), {"index": 0, "task": "lines"}))
    ses.journal.sync()                    # the server dies here: an unfinished browser journal
    assert journal_source(ses.path) == "browser"
    assert recover_all(tmp_path) == []    # `penmotor capture` at start-up leaves it alone ...
    assert [r.samples for r in recover_all(tmp_path, skip_sources=())] == [10]   # ... unless asked
