"""One browser capture session on the server: chunks in, journal on arrival, ``.pmr`` out.

The page sends its samples in numbered chunks (``seq`` 0, 1, 2 ...). A chunk is applied
only when it is the next one expected; an older one is acknowledged again without
being stored twice (idempotent resend), a later one is refused with the number the
server needs, so the page resends from there. A chunk is journaled (the capture
journal format of :mod:`penmotor_capture.journal`, fsync'd) before it is acknowledged;
its ``chunk`` line is the commit mark, so a server killed half-way through a chunk is
resumed from the last whole chunk (:meth:`BrowserSession.resume`) and the page resends
the rest.

Samples arrive in CSS pixels relative to the writing surface (y down), with the
calibration's CSS px per mm; :func:`browser_device` turns that into the
:class:`~penmotor_capture.DeviceInfo` every capture source has, so positions reach the
Recording in mm with y up. Pen pressure is 0-1 and tilt in degrees as the browser gives
them (W3C ``tiltX``/``tiltY``: the evdev sign convention, positive towards +x and
towards the writer); mouse and touch samples have no pressure or tilt (NaN) and the
session says so in ``meta["capture"]``.
"""

from __future__ import annotations

import datetime as _dt
import json
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from penmotor.errors import ParameterError, PenmotorError, PenmotorWarning, valid_child_id

from ..decoder import empty_samples
from ..events import ABS_PRESSURE, ABS_TILT_X, ABS_TILT_Y, ABS_X, ABS_Y, TOOL_NAMES, AbsInfo, DeviceInfo
from ..journal import Journal, JournalContents, find_unfinished, journal_paths, read_journal
from ..session import VERSION, build_recording, default_session_path, split_attempts, write_session
from ..templates import DEFAULT_SENTENCE, TASKS, make_template

__all__ = [
    "BrowserSession",
    "GoneError",
    "OutOfOrderError",
    "browser_device",
    "chunk_samples",
    "effective_rate_hz",
    "POINTER_TYPES",
    "BROWSER_SOURCE",
]

#: pointer type codes of the ``pointer_type`` channel
POINTER_TYPES = ("pen", "mouse", "touch")
#: ``meta["capture_source"]`` of browser sessions (also marks their journals)
BROWSER_SOURCE = "browser"
#: sample columns a chunk carries (one list each, equal lengths)
COLUMNS = ("t", "x", "y", "p", "tx", "ty", "tw", "b", "pt", "c", "e", "r")
MAX_CHUNK_SAMPLES = 100_000


class OutOfOrderError(ParameterError):
    """A chunk arrived before the ones it follows; ``need`` is the next sequence number expected."""

    def __init__(self, message: str, need: int) -> None:
        super().__init__(message)
        self.need = need


class GoneError(ParameterError):
    """The session has been finalised already (e.g. by a server shutdown)."""


def browser_device(px_per_mm: float, size_px: tuple[float, float], user_agent: str = "") -> DeviceInfo:
    """The device description of a browser page: CSS px with the calibrated px per mm.

    Pressure is 0-1 and tilt is in degrees (one unit per degree, 0 = vertical).

    Examples
    --------
    >>> info = browser_device(4.0, (800, 600))
    >>> info.size_mm, info.has_pressure, info.tilt_units()
    ((200.0, 150.0), True, (1.0, 0.0))
    >>> dev = info.to_device()
    >>> dev.x_resolution, dev.pressure_range
    (4.0, (0.0, 1.0))
    """
    ppm = float(px_per_mm)
    if not (np.isfinite(ppm) and 0.5 <= ppm <= 100.0):
        raise ParameterError(f"px_per_mm: expected a calibrated value between 0.5 and 100, got {px_per_mm!r}")
    w, h = (max(1, int(round(float(v)))) for v in size_px)
    ua = " ".join(str(user_agent).split())[:200]
    return DeviceInfo(
        "browser pointer events",
        {ABS_X: AbsInfo(0, w, resolution=ppm), ABS_Y: AbsInfo(0, h, resolution=ppm),  # type: ignore[arg-type]
         ABS_PRESSURE: AbsInfo(0, 1), ABS_TILT_X: AbsInfo(-90, 90), ABS_TILT_Y: AbsInfo(-90, 90)},
        notes=("W3C Pointer Events (coalesced samples, no predicted ones); browser time stamps; "
               "mouse/touch samples have no pressure or tilt (NaN)" + (f"; user agent: {ua}" if ua else "")),
        path="browser",
    )


def _column(chunk: dict[str, Any], name: str, n: int | None, dtype: Any) -> np.ndarray:
    cols = chunk.get("samples")
    if not isinstance(cols, dict) or name not in cols or not isinstance(cols[name], list):
        raise ParameterError(f"chunk {chunk.get('seq')}: samples.{name}: expected a list")
    v = cols[name]
    if n is not None and len(v) != n:
        raise ParameterError(f"chunk {chunk.get('seq')}: samples.{name}: expected {n} values, got {len(v)}")
    try:
        return np.array([np.nan if x is None else x for x in v], dtype=dtype)
    except (TypeError, ValueError):
        raise ParameterError(f"chunk {chunk.get('seq')}: samples.{name}: expected numbers") from None


def chunk_samples(chunk: dict[str, Any], attempt: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Capture samples, twist (degrees) and pointer-type codes from one chunk's columns.

    Columns (equal-length lists): ``t`` epoch ms (high resolution), ``x``/``y`` CSS px
    from the surface's top-left, ``p`` pressure 0-1, ``tx``/``ty`` tilt degrees, ``tw``
    twist degrees, ``b`` W3C buttons mask, ``pt`` pointer type code (0 pen, 1 mouse,
    2 touch), ``c`` contact, ``e`` eraser, ``r`` in range (0/1).

    Examples
    --------
    >>> cols = dict(t=[1000.0, 1004.25], x=[10, 11], y=[5, 5], p=[0.5, 0.6], tx=[10, 10], ty=[-5, -5],
    ...             tw=[0, 0], b=[1, 3], pt=[0, 1], c=[1, 1], e=[0, 0], r=[1, 1])
    >>> s, twist, ptype = chunk_samples({"seq": 0, "samples": cols})
    >>> s["t_us"].tolist(), s["pressure"].tolist(), s["buttons"].tolist(), ptype.tolist(), s["tool"].tolist()
    ([1000000, 1004250], [0.5, nan], [0, 1], [0, 1], [0, 5])
    """
    t = _column(chunk, "t", None, np.float64)
    n = t.size
    if n > MAX_CHUNK_SAMPLES:
        raise ParameterError(f"chunk {chunk.get('seq')}: {n} samples, at most {MAX_CHUNK_SAMPLES} per chunk")
    c = {k: _column(chunk, k, n, np.float64) for k in COLUMNS[1:]}
    ptype = np.nan_to_num(c["pt"], nan=0).astype(np.int64)
    if n and (not np.isfinite(t).all() or ptype.min() < 0 or ptype.max() >= len(POINTER_TYPES)):
        raise ParameterError(f"chunk {chunk.get('seq')}: samples: bad time stamps or pointer types")
    pen = ptype == 0
    s = empty_samples(n)
    s["t_us"] = np.round(t * 1000.0).astype(np.int64)
    s["x"], s["y"] = c["x"], c["y"]
    s["pressure"] = np.where(pen, np.clip(c["p"], 0.0, 1.0), np.nan)
    s["tilt_x"] = np.where(pen, c["tx"], np.nan)
    s["tilt_y"] = np.where(pen, c["ty"], np.nan)
    s["in_range"] = c["r"] > 0
    s["contact"] = c["c"] > 0
    s["eraser"] = c["e"] > 0
    b = np.nan_to_num(c["b"], nan=0).astype(np.int64)
    s["buttons"] = ((b & 2) > 0) * 1 + ((b & 4) > 0) * 2  # barrel -> 1, second button -> 2 (as evdev)
    s["tool"] = np.where(s["eraser"], TOOL_NAMES.index("eraser"),
                         np.where(ptype == 1, TOOL_NAMES.index("mouse"), TOOL_NAMES.index("pen")))
    s["attempt"] = attempt
    return s, np.where(pen, c["tw"], np.nan), ptype


def effective_rate_hz(t_us: Any, contact: Any) -> float:
    """Sampling rate while writing: 1 / median interval between consecutive pen-down samples.

    Pairs across a pen lift or with equal time stamps do not count; NaN with fewer than
    two such pairs.

    Examples
    --------
    >>> effective_rate_hz([0, 5000, 10000, 15000, 900000], [1, 1, 1, 1, 0])
    200.0
    >>> effective_rate_hz([0], [1])
    nan
    """
    t = np.asarray(t_us, dtype=np.float64)
    c = np.asarray(contact, dtype=bool)
    if t.size < 3:
        return float("nan")
    dt = np.diff(t)
    ok = c[1:] & c[:-1] & (dt > 0)
    if np.count_nonzero(ok) < 2:
        return float("nan")
    return float(1e6 / np.median(dt[ok]))


class BrowserSession:
    """A browser session being recorded: journal, next chunk expected, attempts.

    Create one with :meth:`start` (a new session from the page's start request) or
    :meth:`resume` (an unfinished journal after a server restart); feed it with
    :meth:`add_chunk`; write it with :meth:`finish`.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> ses = BrowserSession.start(d, {"sid": "session1", "child": "C001", "tasks": ["lines"],
    ...                                "px_per_mm": 4.0, "size_px": [800, 600]})
    >>> cols = dict(t=[0.0, 5.0, 10.0, 15.0], x=[40, 80, 120, 160], y=[100] * 4, p=[0.2, 0.5, 0.5, 0],
    ...             tx=[0] * 4, ty=[0] * 4, tw=[0] * 4, b=[1, 1, 1, 0], pt=[0] * 4, c=[1, 1, 1, 0],
    ...             e=[0] * 4, r=[1] * 4)
    >>> ses.add_chunk({"seq": 0, "attempt": {"index": 0, "task": "lines"}, "samples": cols})
    1
    >>> ses.add_chunk({"seq": 0, "samples": cols})      # resent: acknowledged, not stored twice
    1
    >>> paths = ses.finish()
    >>> import penmotor
    >>> rec = penmotor.read(paths[0])
    >>> len(rec), rec.n_strokes, float(rec.x[2] - rec.x[0]), rec.meta["capture"]["rate_hz"]
    (4, 1, 20.0, 200.0)
    """

    def __init__(self, path: Path, header: dict[str, Any], journal: Journal, *, next_seq: int = 0,
                 attempt: int = -1) -> None:
        self.path = Path(path)
        self.header = header
        self.journal = journal
        self.sid = str(header["meta"]["browser"]["sid"])
        self.child = str(header["child"])
        self.next_seq = next_seq
        self.attempt = attempt
        self.saved: list[Path] | None = None
        self.lock = threading.Lock()

    # ------------------------------------------------------------------ create
    @classmethod
    def start(cls, folder: str | Path, request: dict[str, Any], *, sentence: str = DEFAULT_SENTENCE,
              x_height_mm: float = 8.0) -> "BrowserSession":
        """Open the journal of a new session from the page's start request.

        `request` holds ``sid`` (the page's random session id), ``child``, ``tasks``,
        ``px_per_mm``, ``size_px`` (surface, CSS px) and optionally ``dpr``, ``screen``,
        ``user_agent``, ``calibration``, ``coalesced``, ``cross_origin_isolated``,
        ``allow`` (pointer types accepted).
        """
        sid = str(request.get("sid", ""))
        if not (8 <= len(sid) <= 64 and all(ch.isalnum() or ch in "-_" for ch in sid)):
            raise ParameterError(f"sid: expected 8-64 letters, digits, - or _, got {sid!r}")
        child = valid_child_id(request.get("child"))
        tasks = request.get("tasks") or list(TASKS)
        if not isinstance(tasks, list) or not tasks or any(t not in TASKS for t in tasks):
            raise ParameterError(f"tasks: expected some of {list(TASKS)}, got {tasks!r}")
        try:
            ppm = float(request["px_per_mm"])
            size = (float(request["size_px"][0]), float(request["size_px"][1]))
        except (KeyError, TypeError, ValueError, IndexError):
            raise ParameterError("px_per_mm, size_px: expected the calibration and the surface size") from None
        ua = str(request.get("user_agent", ""))[:400]
        info = browser_device(ppm, size, ua)
        page_mm = (size[0] / ppm, size[1] / ppm)
        tkw = {"x_height_mm": float(request.get("x_height_mm") or x_height_mm),
               "sentence": str(request.get("sentence") or sentence)[:200]}
        templates = {t: make_template(t, page_mm, **tkw) for t in tasks}
        browser = {k: request.get(k) for k in ("sid", "dpr", "screen", "user_agent", "calibration", "coalesced",
                                               "cross_origin_isolated", "allow", "secure_context")}
        browser.update(px_per_mm=ppm, size_px=list(size))
        now = _dt.datetime.now().astimezone()
        header: dict[str, Any] = {
            "format": "penmotor-capture-journal", "version": 1,
            "child": child, "date": now.date().isoformat(), "started": now.isoformat(timespec="seconds"),
            "device_info": info.to_dict(), "tasks": tasks, "page_mm": list(page_mm), "template_kw": tkw,
            "mapping": {"mode": "browser", "px_per_mm": ppm, "size_px": list(size), "dpr": request.get("dpr")},
            "templates": {t: tp.to_meta() for t, tp in templates.items()},
            "meta": {"capture_source": BROWSER_SOURCE, "browser": browser},
        }
        path = default_session_path(child, folder, now=now.replace(tzinfo=None))
        k = 1
        while path.exists() or journal_paths(path)[1].exists():
            k += 1
            path = path.with_name(f"{path.stem.split('~')[0]}~{k}{path.suffix}")
        journal = Journal(path, header)
        return cls(path, header, journal)

    @classmethod
    def resume(cls, path: str | Path) -> "BrowserSession":
        """Continue an unfinished browser session from its journal (server restarted).

        Everything after the last whole chunk is cut off; the page resends it.
        """
        contents = read_journal(path)
        last = None
        attempt = -1
        for e in contents.events:
            if e.get("kind") == "chunk":
                last = e
                attempt = int(e.get("attempt", attempt))
        keep = int(last["at_sample"]) if last else 0
        journal = Journal(path, {}, resume=True, keep_samples=keep)
        next_seq = int(last["seq"]) + 1 if last else 0
        return cls(Path(path), contents.header, journal, next_seq=next_seq, attempt=attempt)

    @staticmethod
    def index(folder: str | Path) -> dict[str, tuple[Path, bool]]:
        """Browser sessions journaled under `folder`: ``{sid: (session path, finished)}``.

        Examples
        --------
        >>> import tempfile
        >>> d = tempfile.mkdtemp()
        >>> ses = BrowserSession.start(d, {"sid": "session1", "child": "C001", "px_per_mm": 4, "size_px": [80, 60]})
        >>> BrowserSession.index(d)["session1"][1]
        False
        >>> _ = ses.finish(); BrowserSession.index(d)["session1"][1]
        True
        """
        folder = Path(folder)
        unfinished = set(find_unfinished(folder))
        out: dict[str, tuple[Path, bool]] = {}
        for log in folder.rglob("*.journal.jsonl"):
            try:
                with log.open(encoding="utf-8") as fh:
                    first = fh.readline()
                if f'"capture_source": "{BROWSER_SOURCE}"' not in first:
                    continue
                sid = str(json.loads(first)["meta"]["browser"]["sid"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
            path = log.with_name(log.name[: -len(".journal.jsonl")])
            out[sid] = (path, path not in unfinished)
        return out

    # ------------------------------------------------------------------- feed
    def templates(self) -> dict[str, Any]:
        """Task templates as plain data for the page (page mm, y down)."""
        out = {}
        kw = self.header["template_kw"]
        for t in self.header["tasks"]:
            tp = make_template(t, tuple(self.header["page_mm"]), **kw)
            out[t] = {"lines": [[np.round(p, 3).tolist(), style] for p, style in tp.lines],
                      "texts": [list(x) for x in tp.texts]}
        return out

    def add_chunk(self, chunk: dict[str, Any]) -> int:
        """Journal a chunk (if it is the next one) and return the next sequence number expected.

        Raises
        ------
        OutOfOrderError
            The chunk comes after one the server has not got (``need`` says which).
        GoneError
            The session is finalised already.
        ParameterError
            Malformed chunk (names the field).
        """
        with self.lock:
            if self.saved is not None:
                raise GoneError(f"session {self.sid} is saved already")
            try:
                seq = int(chunk["seq"])
            except (KeyError, TypeError, ValueError):
                raise ParameterError("chunk: seq: expected an integer") from None
            if seq < self.next_seq:
                return self.next_seq  # a resend of a chunk already journaled
            if seq > self.next_seq:
                raise OutOfOrderError(f"chunk {seq} before chunk {self.next_seq}", self.next_seq)
            att = chunk.get("attempt")
            new_attempt = isinstance(att, dict)
            index = int(att.get("index", self.attempt + 1)) if new_attempt else self.attempt
            if new_attempt and (index != self.attempt + 1 or att.get("task") not in self.header["tasks"]):
                raise ParameterError(f"chunk {seq}: attempt: expected index {self.attempt + 1} and a session task")
            if index < 0:
                raise ParameterError(f"chunk {seq}: the first chunk must start an attempt")
            samples, twist, ptype = chunk_samples(chunk, index)
            events = chunk.get("events") or []
            if not isinstance(events, list):
                raise ParameterError(f"chunk {seq}: events: expected a list")
            j = self.journal
            if new_attempt:
                if att.get("redo_of") is not None:
                    j.note("redo", attempt=int(att["redo_of"]), seq=seq)
                task = att["task"]
                tp = make_template(task, tuple(self.header["page_mm"]), **self.header["template_kw"])
                j.note("attempt", index=index, task=task, redo_of=att.get("redo_of"), template=tp.to_meta(),
                       seq=seq)
            start = j.written
            j.append(samples)
            for e in events[:1000]:
                if isinstance(e, dict) and isinstance(e.get("kind"), str):
                    data = {k: v for k, v in e.items() if k in ("t", "i", "detail", "rate_hz", "size_px")}
                    j.note("page_" + e["kind"][:32], seq=seq, **data)
            extra: dict[str, Any] = {"seq": seq, "n": int(samples.size), "attempt": index, "first": start}
            if np.any(np.nan_to_num(twist) != 0):
                extra["twist"] = np.round(twist, 3).tolist()
            if np.any(ptype != 0):
                extra["pointer_type"] = ptype.tolist()
            j.note("chunk", **extra)   # the commit mark of this chunk
            j.sync()
            self.attempt = index
            self.next_seq = seq + 1
            return self.next_seq

    # ----------------------------------------------------------------- finish
    def finish(self, *, inkml: bool = True, store: Any = None, reason: str = "finished") -> list[Path]:
        """Close the journal and write the ``.pmr`` (+ ``.inkml``); with `store`, add each attempt.

        Returns the files written (none when no sample arrived).
        """
        with self.lock:
            if self.saved is not None:
                return self.saved
            self.journal.sync()
            contents = read_journal(self.path)
            n = 0
            for e in contents.events:
                if e.get("kind") == "chunk":
                    n = int(e["at_sample"])
            samples = contents.samples[:n]
            events = _committed(contents.events)
            twist = np.full(n, np.nan)
            ptype = np.zeros(n)
            cancels = 0
            for e in events:
                if e.get("kind") == "chunk":
                    a, b = int(e["first"]), int(e["first"]) + int(e["n"])
                    if "twist" in e:
                        twist[a:b] = np.asarray(e["twist"], dtype=np.float64)
                    else:
                        twist[a:b] = 0.0
                    if "pointer_type" in e:
                        ptype[a:b] = e["pointer_type"]
                elif e.get("kind") == "page_pointercancel":
                    cancels += 1
            pen = ptype == 0
            twist[~pen] = np.nan
            counts = {name: int(np.count_nonzero(ptype == k)) for k, name in enumerate(POINTER_TYPES)}
            p = samples["pressure"][pen & samples["contact"]]
            browser = self.header["meta"]["browser"]
            capture = {
                "software": f"penmotor_capture {VERSION} (browser page)",
                "rate_hz": effective_rate_hz(samples["t_us"], samples["contact"]),
                "coalesced_events": bool(browser.get("coalesced")),
                "cross_origin_isolated": bool(browser.get("cross_origin_isolated")),
                "pointer_types": counts,
                "no_pressure": bool(counts["mouse"] + counts["touch"] > 0 or (p.size > 1 and np.ptp(p) == 0)),
                "pointercancels": cancels,
                "chunks": sum(1 for e in events if e.get("kind") == "chunk"),
                "resumed": sum(1 for e in contents.events if e.get("kind") == "resumed"),
                "ended": reason,
            }
            if not n:
                self.journal.close(closed=True, saved=[], samples=0, reason=reason)
                self.saved = []
                return []
            rec = build_recording(JournalContents(contents.header, events, samples), capture=capture,
                                  extra={"twist": twist, "pointer_type": ptype})
            paths = write_session(rec, self.path, inkml=inkml)
            self.journal.close(closed=True, saved=[str(q) for q in paths], samples=n, reason=reason)
            self.saved = paths
        if store is not None:
            try:
                for part, att in enumerate(split_attempts(rec)):
                    if att.meta.get("redone") or not len(att):
                        continue
                    store.add_recording(self.child, att, task=att.meta.get("task"), source=str(self.path),
                                        part=part)
            except PenmotorError as exc:  # the session file is written: `penmotor add` can do it later
                warnings.warn(f"{self.path} saved but not added to the store: {exc}; "
                              f"run `penmotor add {self.child} {self.path}`", PenmotorWarning, stacklevel=2)
        return paths


def _committed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Journal events of whole chunks only (lines of a chunk cut short by a crash are dropped)."""
    out: list[dict[str, Any]] = []
    pending: list[dict[str, Any]] = []
    for e in events:
        kind = e.get("kind")
        if kind == "resumed":
            pending = []
        elif "seq" in e and kind != "chunk":
            pending.append(e)
        elif kind == "chunk":
            out.extend(pending)
            out.append(e)
            pending = []
        else:
            out.append(e)
    return out
