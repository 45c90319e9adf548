"""Curious (MindLogger) graphomotor CSV exports: spiral, trail-making and drawing items.

Layout (as read by the Child Mind Institute's ``graphomotor`` toolkit)::

    line_number,x,y,UTC_Timestamp,seconds,epoch_time_in_seconds_start
    0,46.34,55.94,1686858474.596,0.0,1686858474.596
    0,46.23,55.99,1686858474.607,0.011,
    ...

Trail-making exports add ``error, correct_path, actual_path, total_time,
total_number_of_errors``; per-file values (``epoch_time_in_seconds_start``,
``total_time``, ``total_number_of_errors``) fill only the first row and go to ``meta``.

* ``x``, ``y`` are **normalised to 0-100 of the drawing area on the screen**, with y
  growing downward (screen convention; flipped on the way in). Millimetres need the
  size of that area, which the file does not hold: pass ``screen_mm=(width_mm, height_mm)``
  (or ``device=curious_device(width_mm, height_mm)``, or any :class:`~penmotor.Device` whose
  resolution is 100 / width in mm); without it the reader raises :class:`~penmotor.UnitsError`.
* Real exports vary: the header may be quoted (``"line_number","x","y",...``), the file may
  start with a byte-order mark, have Windows line ends, end each row with a separator, or use
  ``;`` as the separator (a spreadsheet re-save); all are read alike.
* Time is ``UTC_Timestamp`` (epoch seconds; ``seconds`` when that column is absent).
* Curious records **touch samples only**; each ``line_number`` is one stroke. So that
  the strokes stay apart, the reader inserts one pen-up sample between consecutive
  lines -- at the end point of the earlier line, half-way in time to the next -- and
  counts them in ``meta["pen_up_inserted"]`` (``raw["line_number"]`` is -1 there).
  Nothing else is added or removed.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, ParameterError, PenmotorError, UnitsError
from ..devices import Device, get_device
from ..recording import Recording
from . import Format, register_format
from ._text import DEFAULT_MAX_BYTES, file_head, line_of_row, no_columns, read_text

__all__ = ["read_curious", "curious_device", "sniff_curious"]

_REQUIRED = ("line_number", "x", "y")
_STRING_COLS = ("error", "correct_path", "actual_path")
_PER_FILE = ("epoch_time_in_seconds_start", "total_time", "total_number_of_errors")
_NAME = re.compile(r"^\[(?P<subject>[^\]]+)\](?P<rest>.*)$")


def curious_device(width_mm: float, height_mm: float | None = None, *, name: str = "Curious screen") -> Device:
    """The Device for a Curious export whose drawing area is `width_mm` x `height_mm` on screen.

    Coordinates 0..100 span the drawing area, so the resolution is ``100 / width_mm``
    units per mm (and ``100 / height_mm`` vertically; default: a square area).

    Examples
    --------
    >>> curious_device(150.0).x_resolution
    0.6666666666666666
    """
    h = width_mm if height_mm is None else height_mm
    return Device(
        name, x_resolution=100.0 / float(width_mm), y_resolution=100.0 / float(h),
        pressure_range=None, nominal_rate_hz=None, time_scale_s=1.0,
        notes=f"Curious drawing area {width_mm:g} x {h:g} mm mapped to 0..100 (given by the caller)",
    )


def _screen(screen_mm: Any) -> tuple[float, float]:
    """(width, height) in mm from a number or a pair; ParameterError naming ``screen_mm``."""
    try:
        wh = [float(v) for v in (screen_mm if isinstance(screen_mm, (tuple, list)) else (screen_mm,))]
    except (TypeError, ValueError):
        wh = []
    if len(wh) == 1:
        wh = wh * 2
    if len(wh) != 2 or not all(np.isfinite(v) and v > 0 for v in wh):
        raise ParameterError(f"screen_mm: expected (width_mm, height_mm) > 0, got {screen_mm!r}",
                             argument="screen_mm")
    return wh[0], wh[1]


def _header(first_line: str) -> tuple[list[str], str]:
    """Column names of a header line (quoted or not) and its separator (``,`` or ``;``).

    A trailing separator leaves an empty last name, which is dropped.
    """
    sep = ";" if first_line.count(";") > first_line.count(",") else ","
    names = [h.strip() for h in next(csv.reader([first_line], delimiter=sep, skipinitialspace=True), [])]
    while names and names[-1] == "":
        names.pop()
    return names, sep


def sniff_curious(head: bytes) -> bool:
    """True when the header starts with ``line_number, x, y`` (quoted or not; ``,`` or ``;``).

    Examples
    --------
    >>> sniff_curious(b"line_number,x,y,UTC_Timestamp,seconds\\n")
    True
    >>> sniff_curious(b'\\xef\\xbb\\xbf"line_number","x","y","UTC_Timestamp"\\r\\n')
    True
    """
    first = file_head(head).split(b"\n", 1)[0]
    try:
        names, _ = _header(first.decode("utf-8"))
    except (UnicodeDecodeError, csv.Error):
        return False
    return names[:3] == list(_REQUIRED)


def _pandas_error_line(msg: str) -> int | None:
    m = re.search(r"line (\d+)", msg)
    return int(m.group(1)) if m else None


def read_curious(
    path: str | Path,
    *,
    device: Device | str | None = None,
    screen_mm: tuple[float, float] | float | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    meta: dict[str, Any] | None = None,
    columns: None = None,
) -> Recording:
    """Read a Curious graphomotor CSV export.

    Parameters
    ----------
    path : str or Path
        The ``.csv`` file.
    device : Device or str, optional
        Gives the size of the drawing area (see :func:`curious_device`).
    screen_mm : (float, float) or float, optional
        Width and height of the drawing area in mm (one number: a square area); the short
        form of ``device=curious_device(width_mm, height_mm)``. One of the two is required.
    max_bytes : int or None
        Refuse larger files before reading them (default 512 MiB).
    meta : dict, optional
        Extra metadata.
    columns : None
        Not used (the layout is in the header).

    Returns
    -------
    Recording

    Raises
    ------
    UnitsError
        Neither `screen_mm` nor `device` (the screen size is not in the file).
    FormatError
        Malformed file, naming file, line and field.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "[C001]x-spiral_trace1_Dom.csv")
    >>> _ = open(p, "w").write("line_number,x,y,UTC_Timestamp,seconds\\n"
    ...     "0,10,50,100.00,0\\n0,20,50,100.01,0.01\\n1,30,40,100.10,0.1\\n")
    >>> rec = read_curious(p, screen_mm=(100.0, 100.0))
    >>> rec.x.tolist(), rec.pen_down.tolist(), rec.meta["subject"]
    ([10.0, 20.0, 20.0, 30.0], [True, True, False, True], 'C001')
    """
    import pandas as pd

    p = Path(path)
    no_columns(columns, "curious")
    text = read_text(p, max_bytes)  # byte-order mark dropped, CR LF -> LF
    try:
        header, sep = _header(text.split("\n", 1)[0])
    except csv.Error as exc:
        raise FormatError(f"malformed header ({exc})", path=p, line=1) from None
    for need in _REQUIRED:
        if need not in header:
            raise FormatError(f"missing column {need!r} in the header {header[:12]}", path=p, line=1,
                              field=need)
    tcol = "UTC_Timestamp" if "UTC_Timestamp" in header else "seconds" if "seconds" in header else None
    if tcol is None:
        raise FormatError("missing time column: need 'UTC_Timestamp' or 'seconds'", path=p, line=1,
                          field="UTC_Timestamp")
    if len(set(header)) != len(header):
        raise FormatError(f"duplicate column names in the header {header}", path=p, line=1)
    try:
        # names= from the parsed header (quoted or not); a separator that ends every row
        # (spreadsheet export) is dropped first, so a row with really more fields is still an error.
        body_first = next((ln for ln in text.split("\n", 8)[1:] if ln.strip()), "")
        fields = next(csv.reader([body_first], delimiter=sep), [])
        if len(fields) == len(header) + 1 and not fields[-1].strip():
            text = re.sub(re.escape(sep) + r"[ \t]*$", "", text, flags=re.M)
        df = pd.read_csv(io.StringIO(text), engine="c", sep=sep, header=0, names=header, index_col=False,
                         skipinitialspace=True, dtype={c: str for c in _STRING_COLS if c in header},
                         skip_blank_lines=True)
    except (pd.errors.ParserError, ValueError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise FormatError(f"malformed CSV: {str(exc).strip()[:200]}", path=p,
                          line=_pandas_error_line(str(exc))) from None
    df.columns = [str(c).strip() for c in df.columns]
    if len(df) == 0:
        raise FormatError("no samples (header only)", path=p, line=2)
    num: dict[str, np.ndarray] = {}
    for c in ("line_number", "x", "y", tcol):
        col = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64)
        bad = ~np.isfinite(col)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise FormatError(f"not a finite number: {str(df[c].iloc[i])[:40]!r}", path=p,
                              line=line_of_row(text, i, header_lines=1), field=c)
        num[c] = col
    if screen_mm is not None:
        if device is not None:
            raise ParameterError("screen_mm: give the drawing area either as screen_mm= or as device=, not both",
                                 argument="screen_mm")
        dev = curious_device(*_screen(screen_mm))
    else:
        dev = get_device(device)
    if dev is None:
        raise UnitsError(
            "Curious coordinates are 0-100 of the drawing area on screen; its size in mm is not in the file",
            path=p, argument="screen_mm",
            advice="pass screen_mm=(width_mm, height_mm) (or device=penmotor.io.curious.curious_device(...))",
        )
    dev = dataclasses.replace(dev, time_scale_s=1.0)

    ln = num["line_number"]
    n = ln.size
    # One pen-up sample between consecutive lines (vectorised insert).
    b = np.flatnonzero(np.diff(ln) != 0) + 1
    t = num[tcol]
    x, y = num["x"], num["y"]
    pen = np.ones(n, dtype=bool)
    raw_str = {c: df[c].fillna("").astype(str).to_numpy(dtype=str) for c in _STRING_COLS if c in df.columns}
    if b.size:
        t_ins = (t[b - 1] + t[b]) / 2.0
        x = np.insert(x, b, x[b - 1])
        y = np.insert(y, b, y[b - 1])
        t = np.insert(t, b, t_ins)
        ln = np.insert(ln, b, -1.0)
        pen = np.insert(pen, b, False)
        raw_str = {k: np.insert(v, b, "") for k, v in raw_str.items()}
    raw: dict[str, Any] = {"x": x, "y": y, "t": t, "line_number": ln.astype(np.int64)}
    raw.update(raw_str)

    md: dict[str, Any] = {"source": p.name, "format": "curious", "pen_up_inserted": int(b.size)}
    m = _NAME.match(p.stem)
    if m:
        md["subject"] = m.group("subject")
        rest = m.group("rest")
        hand = re.search(r"_(Dom|NonDom)$", rest)
        if hand:
            md["hand"] = hand.group(1)
            rest = rest[: hand.start()]
        md["task"] = rest.rsplit("-", 1)[-1] if "-" in rest else rest
    for c in _PER_FILE:
        if c in df.columns:
            v = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64)
            v = v[np.isfinite(v)]
            if v.size:
                md[c] = float(v[0])
    if "epoch_time_in_seconds_start" in md:
        try:
            md["date"] = _dt.datetime.fromtimestamp(md["epoch_time_in_seconds_start"],
                                                    tz=_dt.timezone.utc).isoformat()
        except (OverflowError, OSError, ValueError):
            pass
    if meta:
        md.update(meta)
    try:
        return Recording.from_raw(raw, dev, y_down=True, pen_down=pen, meta=md, source=str(p))
    except FormatError:
        raise
    except PenmotorError as exc:
        raise FormatError(str(exc), path=p) from exc


register_format(Format("curious", (), read_curious, None, sniff_curious))
