"""The append-only crash journal written next to a session file.

Two files per session ``S`` (e.g. ``C001_20260112-101500.pmr``):

* ``S.journal`` -- a 16-byte header (``b"PMJ1"``, record size) followed by fixed-size
  :data:`~penmotor_capture.SAMPLE_DTYPE` records, one per accepted sample;
* ``S.journal.jsonl`` -- one JSON object per line: the session header (device,
  templates, screen mapping, meta), task attempts, redo marks, and ``closed`` once the
  session file has been written.

Samples are buffered in memory and written, flushed and ``os.fsync``-ed at every stroke
end (contact released) and at least every :attr:`Journal.sync_interval_s` (1 s), so a
crash loses at most the last second of an unfinished stroke. A journal without a
``closed`` line is an unfinished session. Both files are created ``0600`` (owner only, like
the session files: children's data). An unfinished session: :func:`read_journal` reads it back (a torn
last record or line is ignored) and :func:`penmotor_capture.session.recover` rebuilds it.
"""

from __future__ import annotations

import json
import os
import queue
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from penmotor.errors import FormatError

from .decoder import SAMPLE_DTYPE

__all__ = ["Journal", "JournalContents", "read_journal", "journal_paths", "find_unfinished", "journal_source"]

MAGIC = b"PMJ1"
HEADER = struct.Struct("<4sH10x")  # magic, record size, reserved


def journal_paths(session_path: str | Path) -> tuple[Path, Path]:
    """(binary sample journal, JSON-lines event journal) for a session file.

    Examples
    --------
    >>> [p.name for p in journal_paths("/tmp/C001.pmr")]
    ['C001.pmr.journal', 'C001.pmr.journal.jsonl']
    """
    p = Path(session_path)
    return p.with_name(p.name + ".journal"), p.with_name(p.name + ".journal.jsonl")


def _open_private(path: Path, mode: str, **kw: Any) -> Any:
    """Create `path` exclusively with mode 0600 and open it (`mode` as for :func:`open`)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        return os.fdopen(fd, mode.replace("x", "w"), **kw)
    except BaseException:
        os.close(fd)
        raise


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


class Journal:
    """Append-only, fsync'd journal of accepted samples and session events.

    Parameters
    ----------
    session_path : str or Path
        The session file the journal sits next to (need not exist yet).
    header : dict
        JSON-serialisable session header (device info, meta, templates, mapping).
    sync_interval_s : float
        Longest time accepted samples stay unsynced.
    on_sync : callable, optional
        Called as ``on_sync(n_synced, in_stroke)`` after every fsync (from the writer
        thread when `background` is True).
    background : bool
        Write and fsync on a writer thread, so a slow disk never holds up the window.
        Automatic syncs (stroke end, interval) then return at once; :meth:`sync` and
        :meth:`close` still wait until the data is on disk.
    resume : bool
        Continue the unfinished journal already next to `session_path` (e.g. a server
        restarted mid-session) instead of starting a new one: `header` is ignored, a torn
        last record or line is cut off, and so is every sample after the first
        `keep_samples` (default: keep all whole records).

    Examples
    --------
    >>> import tempfile, os
    >>> from penmotor_capture import empty_samples
    >>> path = os.path.join(tempfile.mkdtemp(), "s.pmr")
    >>> j = Journal(path, {"child": "C001"})
    >>> j.append(empty_samples(3))
    >>> j.close()
    >>> c = read_journal(path)
    >>> len(c.samples), c.header["child"], c.closed
    (3, 'C001', True)
    """

    def __init__(self, session_path: str | Path, header: dict[str, Any], *, sync_interval_s: float = 1.0,
                 on_sync: Callable[[int, bool], None] | None = None, background: bool = False,
                 resume: bool = False, keep_samples: int | None = None) -> None:
        self.session_path = Path(session_path)
        self.bin_path, self.log_path = journal_paths(self.session_path)
        self.session_path.parent.mkdir(parents=True, exist_ok=True)
        n_old = _cut_torn_tail(self.session_path, keep_samples) if resume else 0
        if resume:   # the files exist (with mode 0600 when this module made them)
            self._bin = open(self.bin_path, "ab", buffering=0)
            self._log = open(self.log_path, "a", encoding="utf-8")
        else:
            self._bin = _open_private(self.bin_path, "xb", buffering=0)
            self._log = _open_private(self.log_path, "x", encoding="utf-8")
            self._bin.write(HEADER.pack(MAGIC, SAMPLE_DTYPE.itemsize))
        self._pending: list[np.ndarray] = []
        self._lines: list[str] = []
        self.written = n_old  # samples handed to append()
        self.synced = n_old   # samples known to be on disk
        self.syncs = 0
        self.sync_interval_s = float(sync_interval_s)
        self.on_sync = on_sync
        self.error: BaseException | None = None
        self._last_contact = False
        self._last_sync = time.monotonic()
        self._jobs: queue.Queue[Any] | None = None
        if resume:
            self.note("resumed", samples=n_old)
        else:
            self.note("header", **header)
        self.sync()
        _fsync_dir(self.session_path.parent)
        if background:
            self._jobs = queue.Queue()
            self._writer = threading.Thread(target=self._write_loop, name="penmotor-journal", daemon=True)
            self._writer.start()

    def note(self, kind: str, **data: Any) -> None:
        """Append an event line (``kind`` + data); it reaches disk at the next sync."""
        rec = {"kind": kind, "at_sample": self.written, "wall_time": time.time(), **data}
        self._lines.append(json.dumps(rec, default=_json_default) + "\n")

    def append(self, block: np.ndarray) -> None:
        """Add accepted samples; syncs at a stroke end or when the interval has passed."""
        self._raise()
        if block.size == 0:
            self.tick()
            return
        self._pending.append(np.ascontiguousarray(block, dtype=SAMPLE_DTYPE))
        self.written += int(block.size)
        c = block["contact"]
        stroke_end = bool((self._last_contact and not c[0]) or (c[:-1] & ~c[1:]).any())
        self._last_contact = bool(c[-1])
        if stroke_end:
            self.request_sync()
        else:
            self.tick()

    def tick(self) -> None:
        """Sync if anything has waited longer than the interval (call once per frame)."""
        if time.monotonic() - self._last_sync >= self.sync_interval_s and (self._pending or self._lines):
            self.request_sync()

    def request_sync(self) -> None:
        """Hand everything pending to the writer (returns at once in background mode)."""
        data = b""
        if self._pending:
            data = (np.concatenate(self._pending) if len(self._pending) > 1 else self._pending[0]).tobytes()
        job = (data, "".join(self._lines), self.written, self._last_contact)
        self._pending, self._lines = [], []
        self._last_sync = time.monotonic()
        if self._jobs is None:
            if self.error is None:
                try:
                    self._write(job)
                except OSError as exc:
                    self.error = exc
        else:
            self._jobs.put(job)

    def _write(self, job: tuple[bytes, str, int, bool]) -> None:
        data, text, n, contact = job
        if data:
            self._bin.write(data)
        os.fsync(self._bin.fileno())
        if text:
            self._log.write(text)
            self._log.flush()
            os.fsync(self._log.fileno())
        self.synced = n
        self.syncs += 1
        if self.on_sync is not None:
            self.on_sync(n, contact)

    def _write_loop(self) -> None:
        assert self._jobs is not None
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                if self.error is None:
                    self._write(job)
            except BaseException as exc:  # disk full, device gone: reported to the window
                self.error = exc
            finally:
                self._jobs.task_done()

    @property
    def failed(self) -> bool:
        """Whether a write or fsync has failed (disk full, device gone)."""
        return self.error is not None

    def _raise(self) -> None:
        if self.error is not None:
            raise OSError(f"journal {self.bin_path}: {self.error}") from self.error

    def sync(self) -> None:
        """Write, flush and fsync everything pending; returns once it is on disk."""
        self.request_sync()
        if self._jobs is not None:
            self._jobs.join()
        self._raise()

    def close(self, *, closed: bool = True, **data: Any) -> None:
        """Sync and close; ``closed=True`` marks the session as safely saved."""
        if self._bin.closed:
            return
        if closed:
            self.note("closed", **data)
        try:
            self.sync()
        finally:
            if self._jobs is not None:
                self._jobs.put(None)
                self._writer.join()
                self._jobs = None
            for fh in (self._bin, self._log):
                try:
                    fh.close()
                except OSError:  # disk full: the flush on close fails too; nothing more to keep
                    pass


@dataclass
class JournalContents:
    """What :func:`read_journal` found."""

    header: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    samples: np.ndarray = field(default_factory=lambda: np.zeros(0, SAMPLE_DTYPE))
    closed: bool = False
    torn_bytes: int = 0


def read_journal(session_path: str | Path) -> JournalContents:
    """Read the journal of a session (complete or interrupted).

    A torn last record (crash mid-write) or unparsable last line is ignored and counted
    in ``torn_bytes``.

    Raises
    ------
    FormatError
        Missing journal, wrong magic or record size (names the file).
    """
    bin_path, log_path = journal_paths(session_path)
    try:
        raw = bin_path.read_bytes()
        lines = log_path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise FormatError(f"cannot read journal: {exc.strerror}", path=exc.filename) from None
    if len(raw) < HEADER.size:
        raise FormatError("journal shorter than its header", path=bin_path)
    magic, size = HEADER.unpack_from(raw)
    if magic != MAGIC:
        raise FormatError(f"not a penmotor capture journal (magic {magic!r})", path=bin_path, line=1)
    if size != SAMPLE_DTYPE.itemsize:
        raise FormatError(f"record size {size}, this version writes {SAMPLE_DTYPE.itemsize}",
                          path=bin_path, field="record size")
    body = raw[HEADER.size:]
    n = len(body) // size
    samples = np.frombuffer(body[: n * size], dtype=SAMPLE_DTYPE).copy()
    torn = len(body) - n * size
    events = []
    for i, line in enumerate(lines, 1):
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            if i == len(lines):
                torn += len(line)
                break
            raise FormatError("not valid JSON", path=log_path, line=i) from None
    if not events or events[0].get("kind") != "header":
        raise FormatError("first line is not the session header", path=log_path, line=1)
    header = {k: v for k, v in events[0].items() if k not in ("kind", "at_sample", "wall_time")}
    closed = any(e.get("kind") == "closed" for e in events)
    return JournalContents(header, events[1:], samples, closed, torn)


def _cut_torn_tail(session_path: Path, keep_samples: int | None) -> int:
    """Truncate a journal to whole records (at most `keep_samples`) and whole lines; sample count."""
    contents = read_journal(session_path)  # checks magic and record size
    n = len(contents.samples) if keep_samples is None else max(0, min(int(keep_samples), len(contents.samples)))
    bin_path, log_path = journal_paths(session_path)
    os.truncate(bin_path, HEADER.size + n * SAMPLE_DTYPE.itemsize)
    text = log_path.read_bytes()
    os.truncate(log_path, text.rfind(b"\n") + 1)
    return n


def find_unfinished(folder: str | Path) -> list[Path]:
    """Session paths under `folder` (recursively) whose journal has no ``closed`` mark.

    Examples
    --------
    >>> import tempfile
    >>> find_unfinished(tempfile.mkdtemp())
    []
    """
    out = []
    for j in sorted(Path(folder).rglob("*.journal.jsonl")):
        session = j.with_name(j.name[: -len(".journal.jsonl")])
        try:
            tail = j.read_bytes()[-4096:]
        except OSError:
            continue
        if b'"kind": "closed"' not in tail and b'"kind": "recovered"' not in tail:
            out.append(session)
    return out


def journal_source(session_path: str | Path) -> str | None:
    """``meta["capture_source"]`` written in a session's journal header (e.g. ``"browser"``), or None.

    Examples
    --------
    >>> import tempfile, os
    >>> journal_source(os.path.join(tempfile.mkdtemp(), "none.pmr")) is None
    True
    """
    log = journal_paths(session_path)[1]
    try:
        with log.open(encoding="utf-8") as fh:
            first = json.loads(fh.readline())
        src = first.get("meta", {}).get("capture_source")
    except (OSError, ValueError, AttributeError):
        return None
    return str(src) if src is not None else None


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
