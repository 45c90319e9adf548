"""Hostile strings in every field that reaches the report are shown as text, never run.

The report is built from a store whose task names, metric names, units, device and source
names come from files and the command line; each carries script, markup-breaking and
unicode-control payloads. Checked in the HTML (escaped, with a Content-Security-Policy that
forbids scripts and network access) and in headless Chromium driven over the DevTools protocol
(``--remote-debugging-pipe``): no dialog opens, no payload script runs, no request leaves.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import penmotor
from penmotor import Recording
from penmotor.progress.ingest import encode_ink
from penmotor.progress.report import CSP, build_report
from penmotor.progress.store import Store

PAYLOADS = [
    "<script>window.__pwned=1;alert(1)</script>",
    '"><img src=x onerror="window.__pwned=2;alert(2)">',
    "'><svg onload=alert(3)>",
    "</style><script>alert(4)</script><style>",
    "</title><script>alert(5)</script>",
    '<img src="http://127.0.0.1:9/leak.png"><link rel=stylesheet href="//127.0.0.1:9/x.css">',
    "<iframe src=javascript:alert(6)></iframe>",
    "ok\u202egnp.exe\u200b\x00\x1b[31m",
]
CHILD = "C0666"


def _hostile_store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "s.db")
    t = np.arange(400) / 100.0
    for i, p in enumerate(PAYLOADS):
        rec = Recording.from_arrays(t=t, x=20 * np.cos(t * (1 + i / 10)), y=20 * np.sin(t), pressure=np.full(400, .5),
                                    meta={"task": p, "source": p, "date": f"2026-0{1 + i % 3}-1{i}"},
                                    device=penmotor.Device(p, 10.0, 10.0, (0, 1)))
        vals = {"speed_mean": 10.0 + i, "x_height": 3.0 + i % 2, p[:64]: float(i)}
        store.add_session(CHILD, date=rec.meta["date"], task=p, modality="online", sha256=f"{i:064x}",
                          values=vals, units={p[:64]: p[:16]}, device=p, source=p,
                          ink=encode_ink(rec), ink_format="xy-npz")
        store.add_session(CHILD, date="2026-04-01", task=p, modality="online", sha256=f"{i + 99:064x}",
                          values={"speed_mean": 9.0 + i, "x_height": 3.5, p[:64]: 2.0 * i},
                          units={"speed_mean": p[:16]}, device=p, source=p)
    return store


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    return build_report(_hostile_store(d), CHILD, d / "report.html")


def test_no_payload_survives_as_markup(hostile_report: Path) -> None:
    text = hostile_report.read_text(encoding="utf-8")
    head = text[: text.index("</head>")]
    assert f'<meta http-equiv="Content-Security-Policy" content="{CSP}">' in head
    assert "default-src 'none'" in CSP and "script-src" not in CSP
    assert head.index("Content-Security-Policy") < head.index("<style>")  # before any content
    assert re.search(r"<(script|iframe|link|svg onload|img src=(?!\"data:))", text, re.I) is None
    # the payloads stay as text or inside quoted attribute values, never as attributes of their own
    tags = [re.sub(r'"[^"]*"', '""', t) for t in re.findall(r"<[^>]*>", text)]
    assert [t for t in tags if re.search(r"\son\w+\s*=|javascript:|//127\.0\.0\.1|'", t, re.I)] == []
    assert text.count("<style>") == 1 and text.count("</style>") == 1 and head.count("</title>") == 1
    for ch in "\u202e\u200b\x00\x1b":
        assert ch not in text
    # each payload is present as escaped text (shown, not dropped)
    assert "&lt;script&gt;window.__pwned=1;alert(1)&lt;/script&gt;" in text
    assert "&quot;&gt;&lt;img src=x onerror=&quot;window.__pwned=2" in text
    assert "ok\ufffdgnp.exe" in text
    # the header line of the issue: task names in "N recordings (task: n, ...)"
    m = re.search(r"recordings \((.*?)\)\. Generated", text)
    assert m and "<" not in m.group(1) and "&lt;script&gt;" in m.group(1)


# ------------------------------------------------------------------- Chromium (DevTools over a pipe)
class DevTools:
    """Minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (fds 3 and 4)."""

    def __init__(self, exe: str, profile: Path) -> None:
        to_r, self._to_w = os.pipe()
        self._from_r, from_w = os.pipe()
        # the child's ends, moved above 4 so that placing them at 3 and 4 cannot clobber each other
        a, b = os.dup(to_r), os.dup(from_w)
        while min(a, b) <= 4:
            a, b = os.dup(a), os.dup(b)

        def fds() -> None:  # runs in the child before it closes every fd not in pass_fds
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(3, 4), preexec_fn=fds, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for fd in {to_r, from_w, a, b}:
            os.close(fd)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None,
             timeout: float = 60.0) -> dict:
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_w, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            for m in self._read(end - time.monotonic()):
                if m.get("id") == self._id:
                    if "error" in m:
                        raise RuntimeError(f"{method}: {m['error']}")
                    return m.get("result", {})
        raise TimeoutError(method)

    def _read(self, timeout: float) -> list[dict]:
        r, _, _ = select.select([self._from_r], [], [], max(timeout, 0.0))
        if r:
            chunk = os.read(self._from_r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buf += chunk
        out = []
        while b"\0" in self._buf:
            raw, self._buf = self._buf.split(b"\0", 1)
            m = json.loads(raw)
            if "method" in m:
                self.events.append(m)
                if m["method"] == "Page.javascriptDialogOpening":  # never leave a page blocked
                    os.write(self._to_w, json.dumps({"id": 10**6 + len(self.events),
                             "method": "Page.handleJavaScriptDialog", "params": {"accept": True},
                             "sessionId": m.get("sessionId")}).encode() + b"\0")
            out.append(m)
        return out

    def pump(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self._read(end - time.monotonic())

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=10)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._to_w)
        os.close(self._from_r)


def open_page(exe: str, page: Path, profile: Path) -> dict:
    """Load `page`, wait for it and its handlers; return what happened."""
    dt = DevTools(exe, profile)
    try:
        targets = dt.send("Target.getTargets")["targetInfos"]
        tid = next(t["targetId"] for t in targets if t["type"] == "page")
        sid = dt.send("Target.attachToTarget", {"targetId": tid, "flatten": True})["sessionId"]
        for dom in ("Page", "Network", "Runtime", "Log"):
            dt.send(f"{dom}.enable", session=sid)
        uri = page.resolve().as_uri()
        dt.send("Page.navigate", {"url": uri}, session=sid)

        def loaded() -> bool:  # the load event of *this* document, not of the first about:blank
            nav = [i for i, e in enumerate(dt.events) if e["method"] == "Page.frameNavigated"
                   and e["params"]["frame"].get("url") == uri]
            return bool(nav) and any(e["method"] == "Page.loadEventFired" for e in dt.events[nav[0]:])

        end = time.monotonic() + 90
        while not loaded() and time.monotonic() < end:
            dt.pump(0.2)
        assert loaded(), "page did not load"
        dt.pump(1.0)  # onerror/onload handlers, late requests
        pwned = dt.send("Runtime.evaluate", {"expression": "String(window.__pwned)"}, session=sid)
        blocked = {e["params"]["requestId"] for e in dt.events if e["method"] == "Network.loadingFailed"
                   and e["params"].get("blockedReason")}  # stopped by the policy before leaving
        requests = [e["params"]["request"]["url"] for e in dt.events
                    if e["method"] == "Network.requestWillBeSent" and e["params"]["requestId"] not in blocked]
        return {
            "dialogs": [e["params"]["message"] for e in dt.events if e["method"] == "Page.javascriptDialogOpening"],
            "pwned": pwned["result"].get("value"),
            "requests": [u for u in requests if u != page.resolve().as_uri() and not u.startswith("data:")],
            "csp_blocked": len(blocked) + sum(1 for e in dt.events if e["method"] == "Log.entryAdded"
                                              and "Content Security Policy" in e["params"]["entry"].get("text", "")),
        }
    finally:
        dt.close()


@pytest.mark.browser
def test_hostile_report_in_chromium_runs_nothing_and_requests_nothing(chromium: str, hostile_report: Path,
                                                                       tmp_path: Path) -> None:
    got = open_page(chromium, hostile_report, tmp_path / "profile")
    assert got["dialogs"] == [] and got["pwned"] == "undefined"
    assert got["requests"] == [], got["requests"]  # data: images never leave the page


@pytest.mark.browser
def test_the_detector_sees_an_unescaped_page_and_the_csp_stops_it(chromium: str, tmp_path: Path) -> None:
    """The checks above can fail: the same payloads written raw run (dialog, script, request)
    without the policy, and are blocked by it (a second line behind the escaping)."""
    body = "".join(f"<p>{p}</p>" for p in PAYLOADS[:2] + PAYLOADS[5:6])
    raw = tmp_path / "raw.html"
    raw.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>")
    got = open_page(chromium, raw, tmp_path / "p1")
    assert got["dialogs"] and got["pwned"] in ("1", "2")
    assert any(u.startswith("http://127.0.0.1:9/") for u in got["requests"])
    guarded = tmp_path / "guarded.html"
    guarded.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'>"
                       f'<meta http-equiv="Content-Security-Policy" content="{CSP}"></head><body>{body}</body></html>')
    got = open_page(chromium, guarded, tmp_path / "p2")
    assert got["dialogs"] == [] and got["pwned"] == "undefined" and got["requests"] == []
    assert got["csp_blocked"]
