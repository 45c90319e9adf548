"""The session store: children (pseudonymous ids), sessions and metric values.

One schema, written with SQLAlchemy Core, runs on SQLite (the default, a single file
``./penmotor.db``) and on PostgreSQL (pass a ``postgresql://`` URL; the psycopg 3 driver
is used).

Tables
------
``children``
    ``child_id`` -- a pseudonymous code such as ``C001`` (never a name; see
    :func:`penmotor.errors.valid_child_id`).
``sessions``
    one row per recording or scanned page: ``date``, ``task``, ``modality``
    (``"online"`` or ``"scan"``), ``device``, ``source`` (the file path as given),
    ``sha256`` of the file content (plus ``part`` for files holding several recordings),
    and a small copy of the ink (``ink_format`` ``"xy-npz"`` for online recordings:
    t, x, y, pressure, pen_down; ``"png"`` for scans: a reduced page image) so that a
    report still works when the original file has moved.
``metric_values``
    ``(session_id, metric) -> value`` with its ``unit`` and the
    :data:`~penmotor.registry.REGISTRY_VERSION` it was computed with. NaN is stored as NULL.

Safety
------
* Every write is one transaction; :meth:`Store.ingest` uses one transaction per file
  (the rows come from :mod:`penmotor.progress.ingest`, which reads and scores but never writes),
  so a killed ingest leaves every earlier file complete and no half-written session.
* SQLite runs in WAL mode with a busy timeout, and write transactions start with
  ``BEGIN IMMEDIATE``, so concurrent ``penmotor add`` processes queue instead of failing.
* Re-adding a file with the same content hash is a no-op (``INSERT ... ON CONFLICT DO
  NOTHING`` on ``(sha256, part)``), also when two processes race to add it.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from ..errors import ParameterError, PenmotorError, valid_child_id
from ..recording import Recording
from ..registry import REGISTRY_VERSION
from .ingest import (
    SCAN_EXTENSIONS,
    IngestResult,
    as_date,
    decode_ink,
    encode_ink,
    file_sessions,
    file_sha256,
    recording_session,
    stored_spectrum,
)

__all__ = [
    "Store",
    "open_store",
    "SCHEMA_VERSION",
    # ingest (penmotor.progress.ingest) names, re-exported for existing code
    "IngestResult",
    "file_sha256",
    "SCAN_EXTENSIONS",
    "encode_ink",
    "decode_ink",
]


SCHEMA_VERSION = "1"

_meta = sa.MetaData()
children = sa.Table(
    "children",
    _meta,
    sa.Column("child_id", sa.String(64), primary_key=True),
    sa.Column("created_at", sa.DateTime, nullable=False),
)
sessions = sa.Table(
    "sessions",
    _meta,
    sa.Column("session_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("child_id", sa.String(64), sa.ForeignKey("children.child_id"), nullable=False, index=True),
    sa.Column("date", sa.Date, nullable=False),
    sa.Column("task", sa.String(64), nullable=False),
    sa.Column("modality", sa.String(8), nullable=False),
    sa.Column("device", sa.String(200)),
    sa.Column("source", sa.Text),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("part", sa.Integer, nullable=False, default=0),
    sa.Column("n_samples", sa.Integer),
    sa.Column("duration_s", sa.Float),
    sa.Column("ingested_at", sa.DateTime, nullable=False),
    sa.Column("ink_format", sa.String(16)),
    sa.Column("ink", sa.LargeBinary),
    sa.Column("prompt", sa.Text),  # the text the child copied (None: unknown or not a text task)
    sa.UniqueConstraint("sha256", "part", name="uq_sessions_content"),
    sa.CheckConstraint("modality IN ('online', 'scan')", name="ck_sessions_modality"),
)
metric_values = sa.Table(
    "metric_values",
    _meta,
    sa.Column("session_id", sa.Integer, sa.ForeignKey("sessions.session_id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("metric", sa.String(64), primary_key=True),
    sa.Column("value", sa.Float),
    sa.Column("unit", sa.String(16), nullable=False),
    sa.Column("registry_version", sa.String(16), nullable=False),
)
store_info = sa.Table(
    "store_info",
    _meta,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)


def _to_url(url_or_path: str | os.PathLike[str]) -> "str | sa.engine.URL":
    s = os.fspath(url_or_path)
    if s == ":memory:":
        return "sqlite://"
    if "://" not in s:
        # a URL object, not "sqlite:///" + path: '?', '#', '%' in a file name stay part of the name
        return sa.engine.URL.create("sqlite", database=str(Path(s).expanduser().resolve()))
    if s.startswith("postgresql://") or s.startswith("postgres://"):
        return "postgresql+psycopg://" + s.split("://", 1)[1]
    return s


def _clean_value(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _unit(name: str) -> str:
    from ..registry import FEATURES

    try:
        return FEATURES[name].unit
    except KeyError:
        return "?"


class Store:
    """A progress store on SQLite (default) or PostgreSQL.

    Parameters
    ----------
    url_or_path : str or path-like
        A file path (SQLite; created when missing) or an SQLAlchemy URL
        (``sqlite:///...``, ``postgresql://user@host:port/db``; plain ``postgresql://``
        uses the psycopg 3 driver).
    busy_timeout_s : float
        How long an SQLite writer waits for another writer before giving up.

    Examples
    --------
    >>> import tempfile, os
    >>> store = Store(os.path.join(tempfile.mkdtemp(), "p.db"))
    >>> sid = store.add_session("C001", date="2026-01-12", task="sentence", modality="online",
    ...                         sha256="ab" * 32, values={"x_height": 4.2})
    >>> store.values("C001")[["metric", "value"]].values.tolist()
    [['x_height', 4.2]]
    >>> store.add_session("C001", date="2026-01-12", task="sentence", modality="online",
    ...                   sha256="ab" * 32, values={"x_height": 4.2}) is None   # same content
    True
    >>> store.close()
    """

    def __init__(self, url_or_path: str | os.PathLike[str] = "penmotor.db", *,
                 busy_timeout_s: float = 60.0) -> None:
        self.url = _to_url(url_or_path)
        try:
            u = sa.engine.make_url(self.url)
        except sa.exc.ArgumentError as exc:
            raise ParameterError(f"store: not a path or database URL: {url_or_path!r}") from exc
        self.dialect = u.get_backend_name()
        if self.dialect == "sqlite":
            db = u.database
            if db and db != ":memory:":
                parent = Path(db).parent
                if not parent.is_dir():
                    raise ParameterError(f"store: folder {parent} does not exist")
            self.engine = sa.create_engine(self.url, connect_args={"timeout": busy_timeout_s})
            ms = int(busy_timeout_s * 1000)

            @sa.event.listens_for(self.engine, "connect")
            def _on_connect(dbapi_conn: Any, _rec: Any) -> None:
                dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
                cur = dbapi_conn.cursor()
                cur.execute(f"PRAGMA busy_timeout = {ms}")
                cur.execute("PRAGMA journal_mode = WAL")
                cur.execute("PRAGMA synchronous = NORMAL")
                cur.execute("PRAGMA foreign_keys = ON")
                cur.close()

            @sa.event.listens_for(self.engine, "begin")
            def _on_begin(conn: Any) -> None:
                # writers take the lock up front (no deadlock on lock upgrade); readers don't
                ro = conn.get_execution_options().get("penmotor_readonly", False)
                conn.exec_driver_sql("BEGIN" if ro else "BEGIN IMMEDIATE")

        elif self.dialect == "postgresql":
            self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        else:
            raise ParameterError(f"store: unsupported database {self.dialect!r}; use a path or postgresql://")
        self._create()

    # ----------------------------------------------------------------- schema
    def _create(self) -> None:
        try:
            with self.engine.begin() as conn:
                if self.dialect == "postgresql":
                    # serialise concurrent schema creation between processes
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(724507611)"))
                _meta.create_all(conn, checkfirst=True)
                # stores made before sessions had a prompt column get it (NULL: text unknown)
                have = {c["name"] for c in sa.inspect(conn).get_columns("sessions")}
                if "prompt" not in have:
                    conn.execute(sa.text("ALTER TABLE sessions ADD COLUMN prompt TEXT"))
                ins = self._insert(store_info).values(key="schema_version", value=SCHEMA_VERSION)
                conn.execute(ins.on_conflict_do_nothing())
                got = conn.execute(
                    sa.select(store_info.c.value).where(store_info.c.key == "schema_version")
                ).scalar_one()
        except sa.exc.OperationalError as exc:
            raise PenmotorError(f"store: cannot open {self._safe_url()}: {exc.orig}") from exc
        if got != SCHEMA_VERSION:
            raise PenmotorError(f"store: schema version {got} not supported (this penmotor writes {SCHEMA_VERSION})")

    def _safe_url(self) -> str:
        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def _insert(self, table: sa.Table) -> Any:
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def _read(self) -> Any:
        return self.engine.connect().execution_options(penmotor_readonly=True)

    def close(self) -> None:
        """Release the database connections.

        Examples
        --------
        >>> import tempfile
        >>> Store(tempfile.mkdtemp() + "/s.db").close()
        """
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self._safe_url()!r})"

    # ----------------------------------------------------------------- writes
    def has_content(self, sha256: str) -> bool:
        """Whether a file with this content hash is already stored.

        Examples
        --------
        >>> import tempfile
        >>> Store(tempfile.mkdtemp() + "/s.db").has_content("00" * 32)
        False
        """
        with self._read() as conn:
            q = sa.select(sa.func.count()).select_from(sessions).where(sessions.c.sha256 == sha256)
            return bool(conn.execute(q).scalar_one())

    def add_session(
        self,
        child: str,
        *,
        date: Any,
        task: str,
        modality: str,
        sha256: str,
        values: Mapping[str, Any],
        part: int = 0,
        device: str | None = None,
        source: str | None = None,
        n_samples: int | None = None,
        duration_s: float | None = None,
        ink: bytes | None = None,
        ink_format: str | None = None,
        units: Mapping[str, str] | None = None,
        prompt: str | None = None,
        conn: Any = None,
    ) -> int | None:
        """Store one session and its metric values in one transaction.

        Parameters
        ----------
        child : str
            Pseudonymous id (checked with :func:`penmotor.errors.valid_child_id`); created when new.
        date : str or date
            Session date (ISO ``YYYY-MM-DD``).
        task : str
            Task name (``"sentence"``, ``"spiral"``, ``"worksheet"`` ...).
        modality : {"online", "scan"}
        sha256 : str
            Content hash of the source (64 hex digits); with `part` it identifies the session.
        values : mapping of str to float
            Metric name -> value (NaN/None stored as NULL).
        units : mapping, optional
            Units for metrics not in :data:`~penmotor.FEATURES` (else taken from the registry).
        prompt : str, optional
            The text the child copied (the task's prompt), so that measures depending on
            what was written are compared between recordings of the same text.
        conn : sqlalchemy Connection, optional
            Join an open transaction instead of starting one.

        Returns
        -------
        int or None
            The new session id; None when this content was already stored (no-op).

        Examples
        --------
        >>> import tempfile
        >>> s = Store(tempfile.mkdtemp() + "/s.db")
        >>> s.add_session("C002", date="2026-02-01", task="spiral", modality="online",
        ...               sha256="cd" * 32, values={"tremor_frequency": float("nan")})
        1
        """
        valid_child_id(child)
        d = as_date(date, what="date")
        if modality not in ("online", "scan"):
            raise ParameterError(f"modality: expected 'online' or 'scan', got {modality!r}")
        if not (isinstance(sha256, str) and re.fullmatch(r"[0-9a-f]{64}", sha256)):
            raise ParameterError(f"sha256: expected 64 lowercase hex digits, got {sha256!r}")
        if not task or not isinstance(task, str):
            raise ParameterError(f"task: expected a non-empty string, got {task!r}")
        now = _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None, microsecond=0)
        units = dict(units or {})

        def work(c: Any) -> int | None:
            c.execute(self._insert(children).values(child_id=child, created_at=now)
                      .on_conflict_do_nothing())
            ins = (
                self._insert(sessions)
                .values(child_id=child, date=d, task=task, modality=modality, device=device,
                        source=source, sha256=sha256, part=int(part), n_samples=n_samples,
                        duration_s=_clean_value(duration_s), ingested_at=now,
                        ink_format=ink_format if ink is not None else None, ink=ink,
                        prompt=prompt or None)
                .on_conflict_do_nothing(index_elements=["sha256", "part"])
                .returning(sessions.c.session_id)
            )
            sid = c.execute(ins).scalar_one_or_none()
            if sid is None:
                return None
            rows = [
                {"session_id": sid, "metric": str(k), "value": _clean_value(v),
                 "unit": units.get(k) or _unit(str(k)), "registry_version": REGISTRY_VERSION}
                for k, v in values.items()
            ]
            if rows:
                c.execute(metric_values.insert(), rows)
            return int(sid)

        if conn is not None:
            return work(conn)
        with self.engine.begin() as c:
            return work(c)

    def add_recording(
        self,
        child: str,
        rec: Recording,
        *,
        date: Any = None,
        task: str | None = None,
        source: str | None = None,
        sha256: str | None = None,
        part: int = 0,
        values: Mapping[str, float] | None = None,
        keep_ink: bool = True,
    ) -> int | None:
        """Compute the features of an in-memory recording and store it as a session.

        Date and task default to ``rec.meta["date"]`` / ``rec.meta["task"]``. The content
        hash defaults to a hash of the recording's channels, so adding the same recording
        twice is a no-op.

        Examples
        --------
        >>> import tempfile
        >>> from penmotor import Recording
        >>> rec = Recording.from_arrays(t=[0, .01, .02], x=[0, 1, 2], y=[0, 0, 0],
        ...                             meta={"date": "2026-01-12", "task": "line"})
        >>> s = Store(tempfile.mkdtemp() + "/s.db")
        >>> s.add_recording("C003", rec, values={"stroke_count": 1.0})
        1
        >>> s.add_recording("C003", rec, values={"stroke_count": 1.0}) is None
        True
        """
        row = recording_session(child, rec, date=date, task=task, source=source, sha256=sha256,
                                values=values, keep_ink=keep_ink)
        return self.add_session(child, part=part, **row)

    def ingest(
        self,
        child: str,
        paths: Iterable[str | os.PathLike[str]],
        *,
        date: Any = None,
        task: str | None = None,
        dpi: float | None = None,
        force_dpi: float | None = None,
        device: Any = None,
        read_options: Mapping[str, Any] | None = None,
        keep_ink: bool = True,
        featurize: Callable[[Recording], Mapping[str, float]] | None = None,
        on_result: Callable[[IngestResult], None] | None = None,
        prompt: str | None = None,
    ) -> list[IngestResult]:
        """Add recording files and scanned worksheets for one child.

        Each file is hashed first: a file already stored (same content) is skipped
        without recomputing anything. Otherwise recordings are read with
        :func:`penmotor.read` and scored with :func:`penmotor.features`; images and PDFs
        (:data:`SCAN_EXTENSIONS`) are scored with :func:`penmotor.scan.score_page`
        (every page of a PDF/TIFF is a session part). Each file is written in **one
        transaction**. A recording whose ``meta["subject"]`` names another child is refused
        (a guard against filing one child's data under another's id). A file that cannot be read is reported (status ``"error"``)
        and the others are still added.

        Parameters
        ----------
        child : str
            Pseudonymous id.
        paths : iterable of path
        date : str or date, optional
            Session date; default the recording's ``meta["date"]``, else the file's
            modification date.
        task : str, optional
            Default the recording's ``meta["task"]``, ``"worksheet"`` for scans, else the
            file name stem's first word.
        dpi : float, optional
            Scan resolution when the image file does not state it.
        force_dpi : float, optional
            Scan resolution whatever the image file states.
        device : Device or str, optional
            Passed to :func:`penmotor.read` for formats without units.
        read_options : mapping, optional
            Further keyword arguments of :func:`penmotor.read` (``format``, ``columns``,
            ``device`` ...), as :func:`penmotor.io.options.reader_kwargs` builds them.
        featurize : callable, optional
            Replace :func:`penmotor.features` (testing, custom metric sets).
        on_result : callable, optional
            Called with each :class:`IngestResult` as soon as its file is done.
        prompt : str, optional
            The text the child copied; default the recording's own (``meta["prompt"]``,
            ``meta["text"]`` or a capture template's text), else unknown. Measures that
            depend on what was written are compared only between recordings of one text.

        Returns
        -------
        list of IngestResult

        Examples
        --------
        >>> import tempfile, os
        >>> s = Store(tempfile.mkdtemp() + "/s.db")
        >>> bad = os.path.join(tempfile.mkdtemp(), "broken.pmr")
        >>> _ = open(bad, "wb").write(b"not a recording")
        >>> [r.status for r in s.ingest("C001", [bad])]
        ['error']
        """
        valid_child_id(child)
        if date is not None:
            date = as_date(date, what="date")
        out = []
        for p in paths:
            res = self._ingest_one(child, Path(p), date=date, task=task, dpi=dpi, force_dpi=force_dpi,
                                   device=device,
                                   read_options=dict(read_options or {}), keep_ink=keep_ink,
                                   featurize=featurize, prompt=prompt)
            out.append(res)
            if on_result is not None:
                on_result(res)
        return out

    def _ingest_one(self, child: str, path: Path, *, date: Any, task: str | None, dpi: float | None,
                    force_dpi: float | None, device: Any, read_options: dict[str, Any], keep_ink: bool,
                    featurize: Callable[[Recording], Mapping[str, float]] | None,
                    prompt: str | None = None) -> IngestResult:
        sp = str(path)
        try:
            got = file_sessions(path, child, date=date, task=task, dpi=dpi, force_dpi=force_dpi, device=device,
                                read_options=read_options, keep_ink=keep_ink, featurize=featurize,
                                is_stored=self.has_content, prompt=prompt)
        except PenmotorError as exc:
            return IngestResult(sp, "error", message=str(exc), error=exc)
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except Exception as exc:  # a reader bug must not stop a batch: report it on this file
            return IngestResult(sp, "error", message=f"{sp}: {type(exc).__name__}: {exc}", error=exc)
        if got is None:
            return IngestResult(sp, "duplicate", message="already in the store (same content)")
        digest, rows = got
        ids: list[int] = []
        with self.engine.begin() as conn:
            for i, r in enumerate(rows):
                sid = self.add_session(child, sha256=digest, part=i, source=sp, conn=conn, **r)
                if sid is not None:
                    ids.append(sid)
        if not ids:
            return IngestResult(sp, "duplicate", message="already in the store (same content)")
        return IngestResult(sp, "added", ids, message=f"{len(ids)} session(s)")

    # ------------------------------------------------------------------ reads
    def children(self) -> list[str]:
        """Sorted child ids.

        Examples
        --------
        >>> import tempfile
        >>> Store(tempfile.mkdtemp() + "/s.db").children()
        []
        """
        with self._read() as conn:
            return list(conn.execute(sa.select(children.c.child_id).order_by(children.c.child_id)).scalars())

    def sessions(self, child: str | None = None) -> Any:
        """Sessions as a DataFrame (no ink blobs), ordered by child, date, session id.

        Examples
        --------
        >>> import tempfile
        >>> list(Store(tempfile.mkdtemp() + "/s.db").sessions().columns)[:4]
        ['session_id', 'child_id', 'date', 'task']
        """
        import pandas as pd

        cols = [c for c in sessions.c if c.name != "ink"]
        q = sa.select(*cols).order_by(sessions.c.child_id, sessions.c.date, sessions.c.session_id)
        if child is not None:
            q = q.where(sessions.c.child_id == child)
        with self._read() as conn:
            rows = conn.execute(q).mappings().all()
        df = pd.DataFrame(rows, columns=[c.name for c in cols])
        df["date"] = pd.to_datetime(df["date"])
        return df

    def values(self, child: str | None = None, *, metric: str | Sequence[str] | None = None,
               task: str | None = None) -> Any:
        """Metric values in long form joined with their sessions.

        Returns
        -------
        pandas.DataFrame
            Columns ``child_id, session_id, date, task, modality, device, source, metric,
            value, unit, registry_version, prompt`` (the text copied, None when unknown);
            NULL values come back as NaN.

        Examples
        --------
        >>> import tempfile
        >>> s = Store(tempfile.mkdtemp() + "/s.db")
        >>> _ = s.add_session("C9", date="2026-03-01", task="spiral", modality="online",
        ...                   sha256="ef" * 32, values={"demo_len": 1.5}, units={"demo_len": "mm"})
        >>> s.values("C9", metric="demo_len")[["value", "unit"]].values.tolist()
        [[1.5, 'mm']]
        """
        import pandas as pd

        q = (
            sa.select(
                sessions.c.child_id, sessions.c.session_id, sessions.c.date, sessions.c.task,
                sessions.c.modality, sessions.c.device, sessions.c.source, metric_values.c.metric,
                metric_values.c.value, metric_values.c.unit, metric_values.c.registry_version,
                sessions.c.prompt,
            )
            .join(metric_values, metric_values.c.session_id == sessions.c.session_id)
            .order_by(sessions.c.child_id, sessions.c.date, sessions.c.session_id, metric_values.c.metric)
        )
        if child is not None:
            q = q.where(sessions.c.child_id == child)
        if task is not None:
            q = q.where(sessions.c.task == task)
        if metric is not None:
            names = [metric] if isinstance(metric, str) else list(metric)
            q = q.where(metric_values.c.metric.in_(names))
        with self._read() as conn:
            rows = conn.execute(q).mappings().all()
        cols = ["child_id", "session_id", "date", "task", "modality", "device", "source", "metric",
                "value", "unit", "registry_version", "prompt"]
        df = pd.DataFrame(rows, columns=cols)
        df["prompt"] = df["prompt"].astype(object).where(df["prompt"].notna(), None)
        df["value"] = pd.to_numeric(df["value"], errors="coerce").astype(float)
        df["date"] = pd.to_datetime(df["date"])
        return df

    def ink(self, session_id: int) -> Any:
        """The stored copy of a session's ink: a Recording (online), a grey page (scan) or None.

        Falls back to reading the source file when no copy was kept and the file still exists.

        Examples
        --------
        >>> import tempfile
        >>> from penmotor import Recording
        >>> s = Store(tempfile.mkdtemp() + "/s.db")
        >>> rec = Recording.from_arrays(t=[0, .01], x=[0, 1], y=[0, 0], meta={"date": "2026-01-01"})
        >>> sid = s.add_recording("C1", rec, values={})
        >>> len(s.ink(sid))
        2
        """
        with self._read() as conn:
            row = conn.execute(
                sa.select(sessions.c.ink, sessions.c.ink_format, sessions.c.source, sessions.c.modality,
                          sessions.c.part)
                .where(sessions.c.session_id == int(session_id))
            ).first()
        if row is None:
            raise ParameterError(f"session_id: no session {session_id}")
        if row.ink is not None:
            if row.ink_format == "xy-npz":
                return decode_ink(bytes(row.ink))
            if row.ink_format == "png":
                import cv2

                return cv2.imdecode(np.frombuffer(bytes(row.ink), np.uint8), cv2.IMREAD_GRAYSCALE)
        if row.source and Path(row.source).is_file() and row.modality == "online":
            try:
                from ..io import read

                got = read(row.source)
                recs = got if isinstance(got, list) else [got]
                return recs[row.part] if row.part < len(recs) else None
            except PenmotorError:
                return None
        return None

    def spectrum(self, session_id: int) -> tuple[np.ndarray, np.ndarray] | None:
        """The tremor spectrum (Hz, mm^2/Hz) stored with a tablet session's ink at ingest, or None.

        It is the spectrum the tremor metrics used (:func:`penmotor.metrics.tremor.tremor_spectrum`
        of the full-precision recording); stores written before it was kept return None.

        Examples
        --------
        >>> import tempfile
        >>> from penmotor import synth
        >>> s = Store(tempfile.mkdtemp() + "/s.db")
        >>> sid = s.add_recording("C1", synth.tremor_spiral(seed=0).with_meta(date="2026-01-01"))
        >>> f, psd = s.spectrum(sid)
        >>> f.shape == psd.shape
        True
        """
        with self._read() as conn:
            row = conn.execute(
                sa.select(sessions.c.ink, sessions.c.ink_format).where(sessions.c.session_id == int(session_id))
            ).first()
        if row is None or row.ink is None or row.ink_format != "xy-npz":
            return None
        return stored_spectrum(bytes(row.ink))

    def page_png(self, session_id: int) -> bytes | None:
        """The stored PNG thumbnail of a scanned page, as stored (None for other sessions).

        Examples
        --------
        >>> import tempfile
        >>> s = Store(tempfile.mkdtemp() + "/s.db")
        >>> sid = s.add_session("C1", date="2026-01-01", task="worksheet", modality="scan", sha256="ab" * 32,
        ...                     values={}, ink=b"PNG bytes", ink_format="png")
        >>> s.page_png(sid)
        b'PNG bytes'
        """
        with self._read() as conn:
            row = conn.execute(
                sa.select(sessions.c.ink, sessions.c.ink_format).where(sessions.c.session_id == int(session_id))
            ).first()
        if row is None or row.ink is None or row.ink_format != "png":
            return None
        return bytes(row.ink)

    def delete_child(self, child: str) -> int:
        """Delete a child and all their sessions and values (right to erasure). Returns sessions deleted.

        Examples
        --------
        >>> import tempfile
        >>> s = Store(tempfile.mkdtemp() + "/s.db")
        >>> _ = s.add_session("C5", date="2026-01-01", task="t", modality="online", sha256="aa" * 32, values={"a": 1})
        >>> s.delete_child("C5"), s.children()
        (1, [])
        """
        with self.engine.begin() as conn:
            ids = list(conn.execute(sa.select(sessions.c.session_id).where(sessions.c.child_id == child)).scalars())
            if ids:
                conn.execute(metric_values.delete().where(metric_values.c.session_id.in_(ids)))
            conn.execute(sessions.delete().where(sessions.c.child_id == child))
            conn.execute(children.delete().where(children.c.child_id == child))
        return len(ids)

    def export(self, out: str | os.PathLike[str], child: str | None = None) -> Path:
        """Write the long-form values (see :meth:`values`) to ``.csv`` or ``.parquet``.

        Examples
        --------
        >>> import tempfile, pandas as pd
        >>> s = Store(tempfile.mkdtemp() + "/s.db")
        >>> _ = s.add_session("C7", date="2026-01-01", task="t", modality="online", sha256="bb" * 32, values={"x_height": 3.0})
        >>> p = s.export(tempfile.mkdtemp() + "/v.csv")
        >>> pd.read_csv(p)["value"].tolist()
        [3.0]
        """
        p = Path(out)
        df = self.values(child)
        df["date"] = df["date"].dt.date.astype(str)
        if p.suffix.lower() == ".csv":
            df.to_csv(p, index=False)
        elif p.suffix.lower() in (".parquet", ".pq"):
            df.to_parquet(p, index=False)
        else:
            raise ParameterError(f"out: expected a .csv or .parquet file name, got {p.name!r}")
        return p


def open_store(url_or_path: str | os.PathLike[str] | None = None, *, must_exist: bool = False) -> Store:
    """Open the store given, else ``$PENMOTOR_STORE``, else ``./penmotor.db``.

    Parameters
    ----------
    url_or_path : str or path-like, optional
    must_exist : bool
        Refuse to create a new SQLite file (for commands that only read).

    Examples
    --------
    >>> import tempfile
    >>> open_store(tempfile.mkdtemp() + "/x.db").dialect
    'sqlite'
    >>> open_store(tempfile.mkdtemp() + "/missing.db", must_exist=True)
    Traceback (most recent call last):
    ...
    penmotor.errors.ParameterError: store: no store at ...missing.db (add sessions first with `penmotor add`)
    """
    target = url_or_path or os.environ.get("PENMOTOR_STORE") or "penmotor.db"
    if must_exist and "://" not in os.fspath(target) and not Path(target).expanduser().is_file():
        raise ParameterError(f"store: no store at {target} (add sessions first with `penmotor add`)")
    return Store(target)
