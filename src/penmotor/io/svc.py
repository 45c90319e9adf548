"""SVC text files (PaHaW, SVC2004, BDALab, Drotár & Dobeš): a count line, then 7 numbers a sample.

Layout::

    1555                                  <- number of samples
    4043 2665 1958204 1 3398 571 50       <- one sample a line, raw device units
    ...

The **column order differs between data sets** and is not in the file, so it is an
explicit option, ``columns=``:

* ``"pahaw"`` -- y, x, t_ms, pen, azimuth, altitude, pressure (PaHaW's ``info.json``;
  checked against the data: with this order the template's rows of words run left to
  right and top to bottom with y upward);
* ``"bdalab"`` (alias ``"svc2004"``) -- x, y, t_ms, pen, azimuth, altitude, pressure;
* or a list of 7 names from ``x, y, t, pen, azimuth, altitude, pressure`` (``t_ms`` is
  accepted for ``t``); any other name is kept in :attr:`Recording.raw` only.

When ``columns`` is not given the reader does **not** guess from the numbers: it uses
``"pahaw"`` only when the file name follows PaHaW's naming scheme
(``<subject>_w.cz.fnusa.<task>_<repetition>.svc``) and says so in
``meta["columns_from"]``; for any other file it raises :class:`~penmotor.ParameterError`
asking for ``columns=``.

Units: the ``device=`` preset or :class:`~penmotor.Device`. With the ``"pahaw"`` column
order and no device, the ``"pahaw"`` preset (see :mod:`penmotor.devices`) is used, as the
data set determines the recording set-up; otherwise a missing device is a
:class:`~penmotor.UnitsError`. The pen (button) column gives ``pen_down`` (non-zero =
on the surface); azimuth and altitude (tenths of a degree) become ``extra`` channels in
degrees and tilt_x/tilt_y.

Bad input -- empty or truncated file, a count line that disagrees with the rows, wrong
column count, text or NaN in numbers, a file larger than ``max_bytes`` (default 512 MiB,
checked before reading, and against the count line) -- raises a
:class:`~penmotor.FormatError` naming file, line and field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, ParameterError, PenmotorError
from ..devices import Device, get_device
from ..recording import Recording
from . import Format, register_format
from ._text import BOM, DEFAULT_MAX_BYTES, check_size, file_head, numeric_row, parse_table, read_text

__all__ = ["read_svc", "COLUMN_PRESETS", "sniff_svc"]

#: Named column orders for SVC files.
COLUMN_PRESETS: dict[str, tuple[str, ...]] = {
    "pahaw": ("y", "x", "t", "pen", "azimuth", "altitude", "pressure"),
    "bdalab": ("x", "y", "t", "pen", "azimuth", "altitude", "pressure"),
    "svc2004": ("x", "y", "t", "pen", "azimuth", "altitude", "pressure"),
}

#: Device preset implied by a column preset that names one data set.
_PRESET_DEVICE = {"pahaw": "pahaw"}

_PAHAW_NAME = re.compile(r"^(?P<subject>[^_]+)_w\.cz\.fnusa\.(?P<task>\d+)_(?P<rep>\d+)\.svc$", re.I)
_PAHAW_TASKS = {1: "spiral"}
_ALIASES = {"t_ms": "t", "time": "t", "button": "pen", "pen_status": "pen", "tilt": "altitude"}
#: Largest plausible line of an SVC file (7 numbers), used to check size against the count.
_MAX_LINE_BYTES = 160
_MIN_LINE_BYTES = 14


def _resolve_columns(columns: Any, path: Path) -> tuple[tuple[str, ...], str]:
    if columns is None:
        if _PAHAW_NAME.match(path.name):
            return COLUMN_PRESETS["pahaw"], "pahaw"
        raise ParameterError(
            f"columns: {path}: the SVC column order differs between data sets and is not in the file",
            argument="columns",
            advice=f"pass columns= one of {sorted(COLUMN_PRESETS)} or a list of 7 names "
                   "(x, y, t, pen, azimuth, altitude, pressure)",
        )
    if isinstance(columns, str):
        try:
            return COLUMN_PRESETS[columns], columns
        except KeyError:
            raise ParameterError(
                f"columns: unknown preset {columns!r}", argument="columns",
                advice=f"known: {sorted(COLUMN_PRESETS)} or a list of names",
            ) from None
    try:
        names = tuple(_ALIASES.get(str(c), str(c)) for c in columns)
    except TypeError:
        raise ParameterError(f"columns: expected a preset name or a list of names, got {columns!r}",
                             argument="columns") from None
    if len(set(names)) != len(names):
        raise ParameterError(f"columns: duplicate names in {list(columns)}", argument="columns")
    for need in ("x", "y", "t"):
        if need not in names:
            raise ParameterError(f"columns: {list(columns)} lacks {need!r}", argument="columns")
    return names, "list"


def sniff_svc(head: bytes) -> bool:
    """True when `head` looks like an SVC file: an integer line, then lines of 7 numbers.

    Examples
    --------
    >>> sniff_svc(b"2\\n1 2 3 1 0 0 5\\n1 2 10 1 0 0 6\\n")
    True
    >>> sniff_svc(b"\\xef\\xbb\\xbf2\\r\\n1 2 3 1 0 0 5\\r\\n")  # byte-order mark, Windows line ends
    True
    >>> sniff_svc(b"x;y\\n")
    False
    """
    lines = file_head(head).split(b"\n")
    if len(lines) < 2 or not lines[0].strip().isdigit():
        return False
    return numeric_row(lines[1].split(), 7, float)


def read_svc(
    path: str | Path,
    *,
    columns: str | Sequence[str] | None = None,
    device: Device | str | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    meta: dict[str, Any] | None = None,
) -> Recording:
    """Read an SVC file into a :class:`~penmotor.Recording`.

    Parameters
    ----------
    path : str or Path
        The ``.svc`` file.
    columns : str or list of str, optional
        Column order: ``"pahaw"``, ``"bdalab"`` (``"svc2004"``) or 7 names. Required
        unless the file name follows PaHaW's scheme (see the module docstring).
    device : Device or str, optional
        Units. Defaults to the ``"pahaw"`` preset with the ``"pahaw"`` column order;
        otherwise required.
    max_bytes : int or None
        Refuse files larger than this (default 512 MiB) before reading them.
    meta : dict, optional
        Extra metadata merged over what the reader derives from the file name.

    Returns
    -------
    Recording

    Raises
    ------
    FormatError
        Malformed file, naming file, line and field.
    UnitsError
        No device to give the units.
    ParameterError
        No or bad ``columns``.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "demo.svc")
    >>> _ = open(p, "w").write("3\\n0 0 0 1 0 900 1024\\n400 0 8 1 0 900 2047\\n800 0 15 0 0 900 0\\n")
    >>> rec = read_svc(p, columns="bdalab", device="wacom-intuos4")
    >>> rec.x.tolist(), rec.pen_down.tolist()
    ([0.0, 2.0, 4.0], [True, True, False])
    >>> read_svc(p, device="wacom-intuos4")
    Traceback (most recent call last):
    ...
    penmotor.errors.ParameterError: columns: ...
    """
    p = Path(path)
    names, preset = _resolve_columns(columns, p)
    size = check_size(p, max_bytes)
    # The count line first (a small read), to check the size before reading the rest.
    with open(p, "rb") as fh:
        first = fh.readline(64)
    try:
        count_txt = first.removeprefix(BOM).decode("ascii").strip()
        count = int(count_txt)
        if count < 0:
            raise ValueError
    except (UnicodeDecodeError, ValueError):
        raise FormatError(
            f"first line must be the number of samples, got {first[:40]!r}",
            path=p, line=1, field="count",
        ) from None
    if count == 0:
        raise FormatError("count line says 0 samples; a recording needs at least one", path=p, line=1,
                          field="count")
    body = size - len(first)
    if body < count * _MIN_LINE_BYTES // 2:
        raise FormatError(
            f"truncated: count line says {count} samples but only {body} bytes follow",
            path=p, line=1, field="count",
        )
    if body > (count + 1) * _MAX_LINE_BYTES:
        raise FormatError(
            f"file is {size} bytes, far more than {count} samples (count line) can take; "
            "not read into memory",
            path=p, line=1, field="count",
        )
    text = read_text(p, max_bytes)
    nl = text.find("\n")
    rest = text[nl + 1 :] if nl >= 0 else ""
    table = parse_table(rest, names, path=p, first_line=2)
    if table.shape[0] != count:
        raise FormatError(
            f"count line says {count} samples but the file has {table.shape[0]} "
            f"({'truncated?' if table.shape[0] < count else 'extra rows'})",
            path=p, line=1, field="count",
        )

    cols = {name: table[:, i] for i, name in enumerate(names)}
    dev_arg = device if device is not None else _PRESET_DEVICE.get(preset)
    dev = get_device(dev_arg) if dev_arg is not None else None
    raw: dict[str, np.ndarray] = {}
    for name, v in cols.items():
        if name == "pen":
            continue
        raw[name] = v
    pen = cols.get("pen")
    pen_down = None if pen is None else pen != 0
    if pen is not None:
        raw["pen"] = pen
    if dev is not None and dev.tilt_deg_per_unit is None:
        for k in ("azimuth", "altitude"):
            if k in raw:
                raw[f"{k}_raw"] = raw.pop(k)
    md: dict[str, Any] = {"source": p.name, "format": "svc", "columns": list(names)}
    if columns is None:
        md["columns_from"] = "file name (PaHaW naming scheme)"
    m = _PAHAW_NAME.match(p.name)
    if m and preset == "pahaw":
        task = int(m.group("task"))
        md.update(subject=m.group("subject"), task=_PAHAW_TASKS.get(task, f"pahaw_task_{task}"),
                  task_number=task, repetition=int(m.group("rep")), dataset="PaHaW")
        folder = p.parent.name.upper()
        if folder.startswith("HC"):
            md["group"] = "control"
        elif folder.startswith("PD"):
            md["group"] = "parkinson"
    if meta:
        md.update(meta)
    try:
        return Recording.from_raw(raw, dev, pen_down=pen_down, meta=md, source=str(p))
    except FormatError:
        raise
    except PenmotorError as exc:
        raise FormatError(str(exc), path=p) from exc


register_format(Format("svc", (".svc",), read_svc, None, sniff_svc))
