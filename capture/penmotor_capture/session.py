"""A capture session without the window: attempts, accepted samples, journal, saving, recovery.

The pygame window (:mod:`.window`) drives a :class:`Session`; tests and scripts can
drive one directly. A session file is one :class:`penmotor.Recording` holding every
attempt (``extra["attempt"]`` says which sample belongs to which), with meta::

    subject        pseudonymous child id (nothing else about the child is stored)
    date, started  ISO date / time the session started (local time)
    attempts       [{index, task, template, redo_of, redone, ...}, ...]
    tasks          task list of the session
    templates      {task: template name/params/page size}
    screen_mapping tablet -> window mapping (mode, scale, offset) at the end
    device_info    evdev name, ids, absinfo, keys, notes (e.g. "no pressure, event-loop time stamps")
    capture        software version, source, samples rejected while paused, dropped frames

:func:`split_attempts` cuts it into one Recording per attempt.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

import penmotor
from penmotor import PenmotorError, PenmotorWarning, Recording
from penmotor.errors import ParameterError, valid_child_id

from .convert import split_attempts, to_recording
from .decoder import SAMPLE_DTYPE, empty_samples
from .events import DeviceInfo
from .journal import Journal, JournalContents, find_unfinished, journal_paths, read_journal
from .templates import TASKS, make_template

__all__ = ["Session", "SaveError", "build_recording", "recover", "recover_all", "default_session_path",
           "split_attempts"]

VERSION = "0.1.0"


class SaveError(PenmotorError):
    """The session file could not be written; the journal is kept for ``--recover``."""


def default_session_path(child: str, folder: str | Path, *, now: _dt.datetime | None = None) -> Path:
    """``<folder>/<child>/<child>_<YYYYmmdd-HHMMSS>.pmr``.

    Examples
    --------
    >>> default_session_path("C001", "/data", now=_dt.datetime(2026, 1, 12, 10, 15)).as_posix()
    '/data/C001/C001_20260112-101500.pmr'
    """
    now = now or _dt.datetime.now()
    return Path(folder) / child / f"{child}_{now:%Y%m%d-%H%M%S}.pmr"


class Session:
    """Accept samples into task attempts, journal them, and save the session.

    Parameters
    ----------
    path : str or Path
        Session file (``.pmr``); the journal goes next to it.
    info : DeviceInfo
        The pen device.
    child : str
        Pseudonymous child id.
    tasks : sequence of str
        Task templates in order (see :data:`~penmotor_capture.templates.TASKS`).
    page_mm : (float, float), optional
        Template page size; default the device's active area.
    template_kw : dict, optional
        Passed to :func:`~penmotor_capture.templates.make_template` (``x_height_mm``, ``sentence``...).
    mapping : dict, optional
        Screen mapping (``ScreenMapping.to_meta()``), updated with :meth:`set_mapping`.
    on_sync : callable, optional
        ``on_sync(n_synced, in_stroke)`` after each journal fsync.
    sync_interval_s : float
        Longest time an accepted sample waits before it is fsync'd (stroke ends sync at once).
    background_journal : bool
        Write/fsync the journal on its own thread (the window never waits for the disk).

    Examples
    --------
    >>> import tempfile, os
    >>> from penmotor_capture import AbsInfo, DeviceInfo, empty_samples
    >>> info = DeviceInfo("Pen", {0: AbsInfo(0, 20000, resolution=100), 1: AbsInfo(0, 10000, resolution=100)})
    >>> ses = Session(os.path.join(tempfile.mkdtemp(), "s.pmr"), info, child="C001", tasks=["lines", "free"])
    >>> s = empty_samples(4); s["t_us"] = [0, 1, 2, 3]; s["x"] = s["y"] = 100; s["contact"] = True
    >>> _ = ses.accept(s[:2]); _ = ses.next_task(); _ = ses.accept(s[2:])
    >>> rec = ses.recording()
    >>> rec.extra["attempt"].tolist(), [a["task"] for a in rec.meta["attempts"]]
    ([0.0, 0.0, 1.0, 1.0], ['lines', 'free'])
    >>> ses.close(saved=False)
    """

    def __init__(self, path: str | Path, info: DeviceInfo, *, child: str, tasks: Iterable[str] = TASKS,
                 page_mm: tuple[float, float] | None = None, template_kw: dict[str, Any] | None = None,
                 mapping: dict[str, Any] | None = None, meta: dict[str, Any] | None = None,
                 on_sync: Callable[[int, bool], None] | None = None, sync_interval_s: float = 1.0,
                 background_journal: bool = True) -> None:
        self.path = Path(path)
        self.info = info
        self.child = valid_child_id(child)
        self.tasks = list(tasks)
        if not self.tasks:
            raise ParameterError("tasks: expected at least one task")
        for t in self.tasks:
            if t not in TASKS:
                raise ParameterError(f"tasks: unknown task {t!r}; expected some of {TASKS}")
        size = page_mm or info.size_mm or (200.0, 150.0)
        self.page_mm = (float(size[0]), float(size[1]))
        self.template_kw = dict(template_kw or {})
        self.templates = {t: make_template(t, self.page_mm, **self.template_kw) for t in self.tasks}
        now = _dt.datetime.now().astimezone()
        self.header: dict[str, Any] = {
            "format": "penmotor-capture-journal", "version": 1,
            "child": self.child, "date": now.date().isoformat(), "started": now.isoformat(timespec="seconds"),
            "device_info": info.to_dict(), "tasks": self.tasks, "page_mm": list(self.page_mm),
            "template_kw": self.template_kw, "mapping": mapping or {},
            "templates": {t: tp.to_meta() for t, tp in self.templates.items()},
            "meta": dict(meta or {}),
        }
        if self.path.exists():
            raise ParameterError(f"path: {self.path} exists already; choose another --out")
        if journal_paths(self.path)[0].exists():
            raise ParameterError(f"path: an unfinished journal for {self.path} exists; run `penmotor capture --recover`")
        self.journal = Journal(self.path, self.header, on_sync=on_sync, sync_interval_s=sync_interval_s,
                               background=background_journal)
        self.events: list[dict[str, Any]] = []
        self.blocks: list[np.ndarray] = []
        self.n_samples = 0
        self.rejected = 0
        self.paused = False
        self.task_index = 0
        self.attempt = -1
        self._start_attempt(self.tasks[0])

    # ----------------------------------------------------------------- events
    def _note(self, kind: str, **data: Any) -> None:
        e = {"kind": kind, "at_sample": self.n_samples, **data}
        self.events.append(e)
        self.journal.note(kind, **data)

    def _start_attempt(self, task: str, redo_of: int | None = None) -> None:
        self.attempt += 1
        self._note("attempt", index=self.attempt, task=task, redo_of=redo_of,
                   template=self.templates[task].to_meta())
        self.journal.request_sync()

    @property
    def task(self) -> str:
        """Current task name."""
        return self.tasks[self.task_index]

    def next_task(self) -> bool:
        """Move to the next task (False when already at the last one)."""
        if self.task_index + 1 >= len(self.tasks):
            return False
        self.task_index += 1
        self._start_attempt(self.task)
        return True

    def redo(self) -> None:
        """Start the current task again; the earlier attempt is kept and marked ``redone``."""
        prev = self.attempt
        self._note("redo", attempt=prev)
        self._start_attempt(self.task, redo_of=prev)

    def set_paused(self, paused: bool) -> None:
        """While paused, samples are not accepted (counted as rejected)."""
        if paused != self.paused:
            self.paused = paused
            self._note("pause" if paused else "resume")

    def set_mapping(self, mapping: dict[str, Any]) -> None:
        """Record a new screen mapping (window resized, mode changed)."""
        self.header["mapping"] = mapping
        self._note("mapping", mapping=mapping)

    # ---------------------------------------------------------------- samples
    def accept(self, block: np.ndarray) -> np.ndarray:
        """File a block under the current attempt and journal it; returns the accepted samples."""
        if block.size == 0:
            self.journal.tick()
            return block
        if self.paused:
            self.rejected += int(block.size)
            self.journal.tick()
            return empty_samples(0)
        block = np.array(block, dtype=SAMPLE_DTYPE, copy=True)
        block["attempt"] = self.attempt
        self.blocks.append(block)
        self.n_samples += int(block.size)
        self.journal.append(block)
        return block

    def samples(self) -> np.ndarray:
        """Every accepted sample so far."""
        if len(self.blocks) > 1:
            self.blocks = [np.concatenate(self.blocks)]
        return self.blocks[0] if self.blocks else empty_samples(0)

    def attempt_samples(self, attempt: int | None = None) -> np.ndarray:
        """Samples of one attempt (default: the current one)."""
        s = self.samples()
        return s[s["attempt"] == (self.attempt if attempt is None else attempt)]

    def recording(self) -> Recording:
        """The session as one Recording (see the module docstring for meta)."""
        extra = {"rejected_while_paused": self.rejected}
        return build_recording(JournalContents(self.header, self.events, self.samples()), capture=extra)

    # ------------------------------------------------------------------- end
    def save(self, *, inkml: bool = True) -> list[Path]:
        """Write the session file (native format) and its InkML export; close the journal.

        Raises
        ------
        SaveError
            When the session file cannot be written; the journal stays (unclosed)
            so ``penmotor capture --recover`` can rebuild it later.
        """
        self.journal.sync()
        rec = self.recording()
        try:
            paths = write_session(rec, self.path, inkml=inkml)
        except PenmotorError as exc:
            self.journal.close(closed=False)
            raise SaveError(
                f"could not write {self.path}: {exc}; every sample is kept in {self.journal.bin_path} "
                "- run `penmotor capture --recover` later"
            ) from exc
        self.journal.close(closed=True, saved=[str(p) for p in paths], samples=len(rec))
        return paths

    def close(self, *, saved: bool = False) -> None:
        """Close the journal without writing the session (``saved=False`` keeps it recoverable)."""
        self.journal.close(closed=saved)


def _attempts(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    att: list[dict[str, Any]] = []
    for e in events:
        if e.get("kind") == "attempt":
            att.append({"index": e["index"], "task": e["task"], "redo_of": e.get("redo_of"), "redone": False,
                        "template": e.get("template"), "first_sample": e.get("at_sample", 0)})
        elif e.get("kind") == "redo":
            k = int(e["attempt"])
            if 0 <= k < len(att):
                att[k]["redone"] = True
    return att


def build_recording(contents: JournalContents, *, capture: dict[str, Any] | None = None,
                    extra: dict[str, Any] | None = None) -> Recording:
    """Rebuild the session Recording from a header, event list and samples (live or journal).

    `extra` adds per-sample channels a source keeps outside the sample records.

    Examples
    --------
    >>> import tempfile, os
    >>> from penmotor_capture import AbsInfo, DeviceInfo, empty_samples
    >>> info = DeviceInfo("Pen", {0: AbsInfo(0, 2000, resolution=100), 1: AbsInfo(0, 1000, resolution=100)})
    >>> ses = Session(os.path.join(tempfile.mkdtemp(), "s.pmr"), info, child="C7", tasks=["spiral"])
    >>> s = empty_samples(3); s["t_us"] = [0, 4000, 8000]; s["x"] = s["y"] = [10, 20, 30]
    >>> _ = ses.accept(s); ses.close()
    >>> rec = build_recording(read_journal(ses.path))
    >>> len(rec), rec.meta["subject"], rec.meta["attempts"][0]["task"]
    (3, 'C7', 'spiral')
    """
    h = contents.header
    info = DeviceInfo.from_dict(h["device_info"])
    attempts = _attempts(contents.events)
    mapping = h.get("mapping", {})
    for e in contents.events:
        if e.get("kind") == "mapping":
            mapping = e.get("mapping", mapping)
    cap = {"software": f"penmotor_capture {VERSION}", "source": info.path, "notes": info.notes,
           "pauses": sum(1 for e in contents.events if e.get("kind") == "pause")}
    cap.update(capture or {})
    meta = {
        "subject": h["child"],
        "date": h.get("date"),
        "started": h.get("started"),
        "task": "session",
        "tasks": h.get("tasks", []),
        "attempts": attempts,
        "templates": h.get("templates", {}),
        "page_mm": h.get("page_mm"),
        "screen_mapping": mapping,
        "capture": cap,
        **h.get("meta", {}),
    }
    # JSON round trip: meta must be plain data for every writer
    meta = json.loads(json.dumps(meta, default=str))
    return to_recording(contents.samples, info, meta=meta, source=info.path or None, extra=extra)


def write_session(rec: Recording, path: str | Path, *, inkml: bool = True) -> list[Path]:
    """``penmotor.write`` the session (native format by extension) plus an ``.inkml`` export."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp" + path.suffix)
    penmotor.write(rec, tmp, format=None if path.suffix else "native")
    tmp.replace(path)
    out = [path]
    if inkml:
        ink = path.with_suffix(".inkml")
        try:
            penmotor.write(rec, ink)
            out.append(ink)
        except PenmotorError as exc:
            warnings.warn(f"InkML export of {path} failed: {exc}", PenmotorWarning, stacklevel=2)
    return out


def recover(session_path: str | Path, *, write: bool = True, inkml: bool = True) -> tuple[Recording, list[Path]]:
    """Rebuild a session from its journal (after a crash) and write it.

    Returns the Recording and the files written (none with ``write=False``). The journal
    gets a ``recovered`` line so later starts do not recover it again.

    Examples
    --------
    >>> import tempfile, os
    >>> from penmotor_capture import AbsInfo, DeviceInfo, empty_samples
    >>> info = DeviceInfo("Pen", {0: AbsInfo(0, 2000, resolution=100), 1: AbsInfo(0, 1000, resolution=100)})
    >>> ses = Session(os.path.join(tempfile.mkdtemp(), "s.pmr"), info, child="C1", tasks=["free"])
    >>> s = empty_samples(2); s["t_us"] = [0, 4000]; s["x"] = s["y"] = 5
    >>> _ = ses.accept(s); ses.journal.sync()     # ... and then the program crashes
    >>> rec, files = recover(ses.path, write=False)
    >>> len(rec)
    2
    """
    contents = read_journal(session_path)
    rec = build_recording(contents, capture={"recovered": True, "journal_torn_bytes": contents.torn_bytes})
    paths: list[Path] = []
    if write:
        try:
            paths = write_session(rec, session_path, inkml=inkml)
        except PenmotorError as exc:
            raise SaveError(f"could not write recovered session {session_path}: {exc}; journal kept") from exc
        log = journal_paths(session_path)[1]
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"kind": "recovered", "at_sample": len(contents.samples),
                                 "saved": [str(p) for p in paths]}) + "\n")
    return rec, paths


def recover_all(folder: str | Path, **kw: Any) -> list[tuple[Path, int, list[Path]]]:
    """Recover every unfinished session under `folder`: [(session, n_samples, files)]."""
    out = []
    for s in find_unfinished(folder):
        rec, paths = recover(s, **kw)
        out.append((s, len(rec), paths))
    return out
