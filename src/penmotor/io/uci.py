"""UCI "Parkinson Disease Spiral Drawings Using Digitized Graphics Tablet" text files.

One sample a line, ``X;Y;Z;Pressure;GripAngle;Timestamp;Test ID`` (no header), raw
units; a file holds up to three tests of one person, so :func:`read_uci` returns a
**list** of Recordings, one per test id, in test-id order:

====  ==================  ===========================================================
id    ``meta["task"]``    what the person did
====  ==================  ===========================================================
0     ``static_spiral``   traced a printed spiral
1     ``dynamic_spiral``  traced a spiral that blinks on and off
2     ``circle``          drew circles around a red point
====  ==================  ===========================================================

Units come from ``device=`` and default to the ``"uci-cintiq12wx"`` preset -- the data
set's own set-up, see :mod:`penmotor.devices`: X/Y are screen pixels of the Cintiq 12WX
(4.902 px/mm, y grows **downward** and is flipped), pressure 0..1023, time in ms.
``pen_down`` is ``pressure > 0`` (9 % of the samples have zero pressure).
``Z`` (0..1023, mostly 0) and ``GripAngle`` (0..3580 in steps of 10) have no documented
unit: they are kept in :attr:`Recording.raw` (``"z"``, ``"grip_angle"``) unconverted.

Meta: ``subject`` (file stem, e.g. ``C_0001``), ``test_id``, ``task``, ``group``
(``"control"`` / ``"parkinson"`` when the parent folder is named so), ``source``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, PenmotorError
from ..devices import Device, get_device
from ..recording import Recording
from . import Format, register_format
from ._text import (DEFAULT_MAX_BYTES, file_head, line_of_row, no_columns, numeric_row, parse_table, read_text,
                    strip_trailing_separator)

__all__ = ["read_uci", "sniff_uci", "UCI_TASKS", "UCI_COLUMNS"]

UCI_COLUMNS = ("x", "y", "z", "pressure", "grip_angle", "t", "test_id")
UCI_TASKS = {0: "static_spiral", 1: "dynamic_spiral", 2: "circle"}


def sniff_uci(head: bytes) -> bool:
    """True when the first line has 7 semicolon-separated integers.

    Examples
    --------
    >>> sniff_uci(b"200;204;0;73;910;1732647300;0\\n")
    True
    >>> sniff_uci(b"line_number,x,y\\n")
    False
    """
    line = file_head(head).split(b"\n", 1)[0].strip()
    if line.endswith(b";"):  # a trailing separator (spreadsheet export)
        line = line[:-1]
    return numeric_row(line.split(b";"), 7, int)


def read_uci(
    path: str | Path,
    *,
    device: Device | str | None = "uci-cintiq12wx",
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    meta: dict[str, Any] | None = None,
    columns: None = None,
) -> list[Recording]:
    """Read a UCI spiral file: one :class:`~penmotor.Recording` per test id.

    Parameters
    ----------
    path : str or Path
        The ``.txt`` file.
    device : Device or str
        Units; default the ``"uci-cintiq12wx"`` preset (screen pixels, y downward).
    max_bytes : int or None
        Refuse larger files before reading them (default 512 MiB).
    meta : dict, optional
        Extra metadata for every recording.
    columns : None
        Not used (the UCI layout is fixed); anything else is a ParameterError.

    Returns
    -------
    list of Recording

    Raises
    ------
    FormatError
        Malformed file, naming file, line and field.

    Examples
    --------
    >>> import os, tempfile
    >>> d = os.path.join(tempfile.mkdtemp(), "control"); os.makedirs(d)
    >>> p = os.path.join(d, "C_0001.txt")
    >>> _ = open(p, "w").write("0;0;0;500;900;1000;0\\n49;0;0;510;900;1007;0\\n0;0;0;300;900;2000;1\\n")
    >>> recs = read_uci(p)
    >>> [(r.meta["task"], len(r)) for r in recs]
    [('static_spiral', 2), ('dynamic_spiral', 1)]
    >>> round(float(recs[0].x[1]), 2), recs[0].meta["group"]
    (10.0, 'control')
    """
    p = Path(path)
    no_columns(columns, "uci")
    text = strip_trailing_separator(read_text(p, max_bytes), ";")
    table = parse_table(text, UCI_COLUMNS, path=p, delimiter=";")
    dev = get_device(device)
    ids = table[:, 6]
    bad = ids != np.round(ids)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise FormatError(f"test id must be an integer, got {ids[i]!r}", path=p, line=line_of_row(text, i),
                          field="test_id")
    folder = p.parent.name.lower()
    group = {"control": "control", "parkinson": "parkinson"}.get(folder)
    order = np.argsort(ids, kind="stable")
    uniq, starts = np.unique(ids[order], return_index=True)
    stops = np.append(starts[1:], order.size)
    out = []
    for tid, a, b in zip(uniq, starts, stops):
        sel = np.sort(order[a:b])  # keep file order within a test
        rows = table[sel]
        k = int(tid)
        raw = {name: rows[:, i] for i, name in enumerate(UCI_COLUMNS) if name != "test_id"}
        md: dict[str, Any] = {
            "source": p.name, "format": "uci", "dataset": "UCI spiral", "subject": p.stem,
            "test_id": k, "task": UCI_TASKS.get(k, f"uci_test_{k}"),
        }
        if group:
            md["group"] = group
        if meta:
            md.update(meta)
        try:
            rec = Recording.from_raw(raw, dev, y_down=True, meta=md, source=str(p))
        except FormatError:
            raise
        except PenmotorError as exc:
            raise FormatError(str(exc), path=p, field=f"test {k}") from exc
        out.append(rec)
    return out


register_format(Format("uci", (), read_uci, None, sniff_uci))
