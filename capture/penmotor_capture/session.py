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
    device_info    evdev name, ids, absinfo, keys, notes (e.g. "mouse: no pressure, no tilt; ...")
    capture        software version, source, ``mouse`` (True: recorded with the mouse/touch,
                   no pressure, tilt or hover), samples rejected while paused, pauses, device
                   unplugs, ``timing`` ({"syn_dropped_frames": kernel buffer overruns}),
                   ``storage_error`` and ``saved_to_fallback`` when the disk failed

:func:`split_attempts` cuts it into one Recording per attempt.

Never losing accepted ink
-------------------------
* at start the session folder must have room for the planned session
  (:func:`required_bytes`), else :class:`NoSpaceError`;
* a device without a usable x/y resolution is refused at start (``UnitsError``), not at save;
* when a journal write fails (disk full, USB stick pulled) the session keeps every sample
  in memory (:attr:`Session.storage_error` says why) and :meth:`Session.save` writes to the
  session path if it can, else to the first :func:`fallback_dirs` folder that works;
  :attr:`Session.fallback` then says so.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import penmotor
from penmotor import PenmotorError, PenmotorWarning, Recording
from penmotor.errors import ParameterError, UnitsError, valid_child_id

from .convert import split_attempts, to_recording
from .decoder import SAMPLE_DTYPE, empty_samples
from .events import DeviceInfo
from .journal import Journal, JournalContents, find_unfinished, journal_paths, journal_source, read_journal
from .templates import TASKS, make_template

__all__ = ["Session", "SaveError", "NoSpaceError", "Recovered", "build_recording", "recover", "recover_all",
           "default_session_path", "split_attempts", "fallback_dirs", "required_bytes", "check_free_space"]

VERSION = "0.1.0"

#: Planning figures for the free-space check: a generous pen rate and the bytes one sample
#: takes in the journal + the .pmr + the InkML export (measured on a Cintiq replay: 71 + 153 + 155 bytes).
PLAN_RATE_HZ = 500.0
BYTES_PER_SAMPLE = 400
#: Minutes planned per task when the caller gives no plan.
MINUTES_PER_TASK = 5.0


class SaveError(PenmotorError):
    """The session file could not be written anywhere; the journal is kept for ``--recover``."""


class NoSpaceError(PenmotorError):
    """Too little free space for the planned session (checked before it starts)."""


def required_bytes(minutes: float, *, rate_hz: float = PLAN_RATE_HZ) -> int:
    """Disk space a session of `minutes` needs (journal, .pmr and InkML), with a 2x margin.

    Examples
    --------
    >>> required_bytes(20) // 2**20   # a 20-minute session, in MiB
    458
    """
    return int(2 * minutes * 60 * rate_hz * BYTES_PER_SAMPLE) + 2**20


def check_free_space(folder: str | Path, need: int) -> int:
    """Free bytes in `folder` (its nearest existing parent); :class:`NoSpaceError` below `need`.

    Examples
    --------
    >>> import tempfile
    >>> check_free_space(tempfile.gettempdir(), 1) > 0
    True
    """
    p = Path(folder)
    while not p.exists() and p != p.parent:
        p = p.parent
    free = shutil.disk_usage(p).free
    if free < need:
        raise NoSpaceError(
            f"only {free / 2**20:.0f} MiB free in {p}; the planned session needs {need / 2**20:.0f} MiB "
            "(journal, session file and InkML, with a 2x margin). Free some space, choose another "
            "--sessions folder, or plan a shorter session with --plan-minutes"
        )
    return free


def fallback_dirs() -> list[Path]:
    """Where a session goes when its own folder cannot be written: the user data folder
    (``$XDG_DATA_HOME/penmotor/rescued``, default ``~/.local/share/penmotor/rescued``), then
    ``<temp dir>/penmotor-rescued``.

    Examples
    --------
    >>> [p.name for p in fallback_dirs()]
    ['rescued', 'penmotor-rescued']
    """
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return [Path(data) / "penmotor" / "rescued", Path(tempfile.gettempdir()) / "penmotor-rescued"]


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
    plan_minutes : float, optional
        Planned length, for the free-space check at start (default 5 min per task);
        ``0`` skips the check.
    fallback : sequence of Path, optional
        Folders tried in order when the session path cannot be written (default
        :func:`fallback_dirs`).

    Raises
    ------
    UnitsError
        The device has no usable x/y resolution (refused before anything is recorded).
    NoSpaceError
        Too little free space for the planned session.

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
                 background_journal: bool = True, plan_minutes: float | None = None,
                 fallback: Iterable[str | Path] | None = None) -> None:
        self.path = Path(path)
        self.info = info
        if info.to_device().x_resolution is None or info.to_device().y_resolution is None:
            raise UnitsError(
                f"device {info.name!r} reports no x/y resolution and is not a known model, so positions "
                "cannot be converted to mm; add it to penmotor_capture.events.NAMED_RESOLUTION "
                "(units per mm) before recording", path=info.path or None)
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
        minutes = MINUTES_PER_TASK * len(self.tasks) if plan_minutes is None else float(plan_minutes)
        if minutes > 0:
            check_free_space(self.path.parent, required_bytes(minutes))
        self.fallback = [Path(p) for p in (fallback_dirs() if fallback is None else fallback)]
        self.journal = Journal(self.path, self.header, on_sync=on_sync, sync_interval_s=sync_interval_s,
                               background=background_journal)
        self.storage_error: str | None = None
        self.saved_to: list[Path] = []
        self.used_fallback = False
        self.syn_dropped = 0
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
        if self.storage_error is None:
            self.journal.note(kind, **data)

    def _journal(self, method: str, *args: Any) -> None:
        """Call a journal method; a failing disk switches the session to memory-only."""
        if self.storage_error is not None:
            return
        try:
            getattr(self.journal, method)(*args)
            if self.journal.error is not None:
                raise OSError(f"journal {self.journal.bin_path}: {self.journal.error}") from self.journal.error
        except OSError as exc:
            self.storage_error = str(exc)
            self.events.append({"kind": "storage_error", "at_sample": self.n_samples, "error": str(exc)})

    def check_storage(self) -> str | None:
        """The journal's write error, if any (call once per frame); None while all is well."""
        if self.storage_error is None and self.journal.error is not None:
            self._journal("tick")
        return self.storage_error

    def note_device(self, kind: str, **data: Any) -> None:
        """Record a device event (``unplugged``, ``replugged``) in the session and journal."""
        self._note(kind, **data)
        self._journal("request_sync")

    def set_device_notes(self, notes: str) -> None:
        """The source learned more about itself (e.g. which clock stamps mouse samples)."""
        if notes != self.header["device_info"].get("notes"):
            self.header["device_info"]["notes"] = notes
            self._note("device_notes", notes=notes)

    def set_syn_dropped(self, frames: int) -> None:
        """Frames the kernel dropped so far (``SYN_DROPPED``); journaled when it changes."""
        if int(frames) != self.syn_dropped:
            self.syn_dropped = int(frames)
            self._note("syn_dropped", frames=self.syn_dropped)

    def _start_attempt(self, task: str, redo_of: int | None = None) -> None:
        self.attempt += 1
        self._note("attempt", index=self.attempt, task=task, redo_of=redo_of,
                   template=self.templates[task].to_meta())
        self._journal("request_sync")

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
            self._journal("tick")
            return block
        if self.paused:
            self.rejected += int(block.size)
            self._journal("tick")
            return empty_samples(0)
        block = np.array(block, dtype=SAMPLE_DTYPE, copy=True)
        block["attempt"] = self.attempt
        self.blocks.append(block)
        self.n_samples += int(block.size)
        self._journal("append", block)
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
        extra: dict[str, Any] = {"rejected_while_paused": self.rejected}
        if self.storage_error is not None:
            extra["storage_error"] = self.storage_error
        return build_recording(JournalContents(self.header, self.events, self.samples()), capture=extra)

    # ------------------------------------------------------------------- end
    def save(self, *, inkml: bool = True) -> list[Path]:
        """Write the session file (native format) and its InkML export; close the journal.

        Tries the session path, then each :attr:`fallback` folder (same file name); the
        files actually written are returned and kept in :attr:`saved_to`, and
        :attr:`used_fallback` says whether the session path failed.

        Raises
        ------
        SaveError
            When no folder could be written; the journal stays (unclosed) so
            ``penmotor capture --recover`` can rebuild whatever reached it.
        """
        self._journal("sync")
        rec = self.recording()
        failures = []
        for folder in [self.path.parent, *self.fallback]:
            target = folder / self.path.name
            if folder != self.path.parent:
                if target.exists():
                    target = folder / f"{self.path.stem}_{_dt.datetime.now():%H%M%S%f}{self.path.suffix}"
                rec = rec.with_meta(capture={**rec.meta["capture"], "saved_to_fallback": True,
                                             "intended_path": str(self.path)})
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                paths = write_session(rec, target, inkml=inkml)
                break
            except (PenmotorError, OSError) as exc:
                failures.append(f"{target}: {exc}")
        else:
            self.journal.close(closed=False)
            raise SaveError(
                "could not write the session anywhere (" + "; ".join(failures) + f"); the samples that reached "
                f"{self.journal.bin_path} are kept - run `penmotor capture --recover` once there is space"
            )
        self.saved_to = paths
        self.used_fallback = paths[0].parent != self.path.parent
        if failures:
            warnings.warn(f"session saved to {paths[0]} because {'; '.join(failures)}", PenmotorWarning,
                          stacklevel=2)
        self._close_journal(saved=paths, samples=len(rec))
        return paths

    def _close_journal(self, **data: Any) -> None:
        """Mark the journal closed; if the disk refuses even that, rename it out of recovery's way."""
        failed = self.storage_error is not None
        try:
            self.journal.close(closed=True, saved=[str(p) for p in data["saved"]], samples=data["samples"])
        except OSError:
            failed = True
        if failed:  # the session is safe elsewhere: the stale journal must not be "recovered" later
            for j in journal_paths(self.path):
                try:
                    j.replace(j.with_name(j.name + ".saved-elsewhere"))
                except OSError:
                    pass

    def close(self, *, saved: bool = False) -> None:
        """Close the journal without writing the session (``saved=False`` keeps it recoverable)."""
        try:
            self.journal.close(closed=saved)
        except OSError:
            if self.storage_error is None:
                raise


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
    for e in contents.events:
        if e.get("kind") == "device_notes":
            info.notes = e.get("notes", info.notes)
    attempts = _attempts(contents.events)
    mapping = h.get("mapping", {})
    for e in contents.events:
        if e.get("kind") == "mapping":
            mapping = e.get("mapping", mapping)
    drops = [e.get("frames", 0) for e in contents.events if e.get("kind") == "syn_dropped"]
    cap = {"software": f"penmotor_capture {VERSION}", "source": info.path, "notes": info.notes,
           "pauses": sum(1 for e in contents.events if e.get("kind") == "pause"),
           "unplugs": sum(1 for e in contents.events if e.get("kind") == "unplugged"),
           "mouse": info.notes.startswith("mouse:"),  # flag: no pressure, tilt or hover
           "timing": {"syn_dropped_frames": int(max(drops, default=0))}}
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


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_session(rec: Recording, path: str | Path, *, inkml: bool = True) -> list[Path]:
    """``penmotor.write`` the session (native format by extension) plus an ``.inkml`` export.

    The session file is written to a temporary name, ``fsync``-ed and renamed, so a full
    disk or a power cut never leaves a truncated session file behind.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp" + path.suffix)
    try:
        penmotor.write(rec, tmp, format=None if path.suffix else "native")
        _fsync_file(tmp)
        tmp.replace(path)
    except BaseException:
        try:
            tmp.unlink()
        except OSError:
            pass
        raise
    try:
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:  # pragma: no cover - e.g. Windows
        pass
    out = [path]
    if inkml:
        ink = path.with_suffix(".inkml")
        try:
            penmotor.write(rec, ink)
            out.append(ink)
        except (PenmotorError, OSError) as exc:
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


class Recovered(NamedTuple):
    """One journal's outcome in :func:`recover_all`: samples and files, or the error."""

    session: Path
    samples: int
    files: list[Path]
    error: str | None = None


def recover_all(folder: str | Path, *, skip_sources: tuple[str, ...] = ("browser",), **kw: Any) -> list[Recovered]:
    """Recover every unfinished session under `folder`, each on its own.

    A journal that cannot be recovered (corrupt, unknown units, disk full) is reported
    with its path and reason and does not stop the others. Journals whose header names a
    capture source in `skip_sources` are left alone: browser sessions belong to
    ``penmotor serve``, which resumes them when the page resends.

    Examples
    --------
    >>> import tempfile
    >>> recover_all(tempfile.mkdtemp())
    []
    """
    out = []
    for s in find_unfinished(folder):
        if journal_source(s) in skip_sources:
            continue
        try:
            rec, paths = recover(s, **kw)
            out.append(Recovered(s, len(rec), paths))
        except (PenmotorError, OSError) as exc:
            out.append(Recovered(s, 0, [], str(exc)))
    return out
