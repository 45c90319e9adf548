"""Linux input event codes, device descriptions and the evemu 1.x text format.

Only the codes a pen tablet uses are named here (values from ``linux/input-event-codes.h``),
so that the decoder and the evemu reader work without python-evdev installed.

evemu format (``evemu-record``, version 1.x)::

    N: <device name>
    I: <bus> <vendor> <product> <version>          (hex)
    P: <property bytes>                            (hex)
    B: <type> <8 bytes of the code bit mask>       (hex; repeated lines continue the mask)
    A: <code> <min> <max> <fuzz> <flat> [<resolution>]
    E: <sec>.<usec> <type> <code> <value>          (type/code hex, value decimal)

Everything after ``#`` is a comment. A recording may be split into a description file
(``.desc``) and one or more event files (``.events``) that share its name up to the first dot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from penmotor.errors import FormatError

__all__ = [
    "AbsInfo",
    "DeviceInfo",
    "EventStream",
    "read_evemu",
    "parse_evemu",
    "EV_SYN",
    "EV_KEY",
    "EV_ABS",
    "EV_MSC",
    "TOOL_NAMES",
    "TOOL_KEYS",
]

# event types
EV_SYN, EV_KEY, EV_REL, EV_ABS, EV_MSC = 0x00, 0x01, 0x02, 0x03, 0x04
# EV_SYN codes
SYN_REPORT, SYN_CONFIG, SYN_MT_REPORT, SYN_DROPPED = 0, 1, 2, 3
# EV_ABS codes
ABS_X, ABS_Y, ABS_Z, ABS_WHEEL = 0x00, 0x01, 0x02, 0x08
ABS_PRESSURE, ABS_DISTANCE, ABS_TILT_X, ABS_TILT_Y, ABS_MISC = 0x18, 0x19, 0x1A, 0x1B, 0x28
# EV_KEY codes
BTN_TOOL_PEN, BTN_TOOL_RUBBER, BTN_TOOL_BRUSH, BTN_TOOL_PENCIL, BTN_TOOL_AIRBRUSH = (
    0x140, 0x141, 0x142, 0x143, 0x144,
)
BTN_TOOL_MOUSE, BTN_TOOL_LENS = 0x146, 0x147
BTN_TOUCH, BTN_STYLUS, BTN_STYLUS2 = 0x14A, 0x14B, 0x14C
#: pen-like tools (the tablet's styli)
PEN_TOOLS = (BTN_TOOL_PEN, BTN_TOOL_RUBBER, BTN_TOOL_BRUSH, BTN_TOOL_PENCIL, BTN_TOOL_AIRBRUSH)
#: every tool key that puts a tool "in range" (proximity), in the order of :data:`TOOL_NAMES`
TOOL_KEYS = (*PEN_TOOLS, BTN_TOOL_MOUSE, BTN_TOOL_LENS)
#: tool names; a sample's ``tool`` field (and ``extra["tool"]``) is an index into this tuple
TOOL_NAMES = ("pen", "eraser", "brush", "pencil", "airbrush", "mouse", "lens")
# EV_MSC
MSC_SERIAL = 0x00

ABS_NAMES = {ABS_X: "x", ABS_Y: "y", ABS_PRESSURE: "pressure", ABS_DISTANCE: "distance",
             ABS_TILT_X: "tilt_x", ABS_TILT_Y: "tilt_y"}

#: Position resolution (units per mm) of devices whose kernel driver reports 0.
#: Keys are lower-case substrings of the device name, most specific first.
NAMED_RESOLUTION: tuple[tuple[str, float], ...] = (
    ("intuos4", 200.0),   # 5080 lines per inch (Wacom specification)
    ("intuos", 200.0),
    ("cintiq", 200.0),
    ("wacom", 200.0),
)


@dataclass(frozen=True)
class AbsInfo:
    """Range of one absolute axis, as ``struct input_absinfo``.

    ``resolution`` is units per mm for x/y (0 when the driver does not say) and
    units per radian for tilt.

    Examples
    --------
    >>> AbsInfo(0, 2047).span
    2047
    """

    min: int
    max: int
    fuzz: int = 0
    flat: int = 0
    resolution: int = 0
    value: int | None = None

    @property
    def span(self) -> int:
        """``max - min``."""
        return self.max - self.min


@dataclass
class DeviceInfo:
    """What a pen source knows about its device: name, ids, axes and keys.

    Parameters
    ----------
    name : str
        Kernel device name.
    absinfo : dict
        ``{ABS code: AbsInfo}`` for every absolute axis.
    keys : set of int
        Supported EV_KEY codes.
    ids : tuple of int
        (bus, vendor, product, version).
    notes : str
        Caveats (e.g. ``"mouse: no pressure, no tilt; ..."`` for the mouse source).
    path : str
        Where it came from (``/dev/input/event7`` or an evemu file).

    Examples
    --------
    >>> info = DeviceInfo("Pen", {0: AbsInfo(0, 1000, resolution=100), 1: AbsInfo(0, 500, resolution=100)})
    >>> info.size_mm
    (10.0, 5.0)
    """

    name: str
    absinfo: dict[int, AbsInfo] = field(default_factory=dict)
    keys: set[int] = field(default_factory=set)
    ids: tuple[int, int, int, int] = (0, 0, 0, 0)
    notes: str = ""
    path: str = ""

    # ----------------------------------------------------------------- units
    def resolution_mm(self) -> tuple[float | None, float | None]:
        """Units per mm in x and y: absinfo resolution, else a named-device fallback, else None.

        Examples
        --------
        >>> DeviceInfo("Wacom Intuos4 6x9", {0: AbsInfo(0, 44704), 1: AbsInfo(0, 27940)}).resolution_mm()
        (200.0, 200.0)
        """
        out: list[float | None] = []
        for code in (ABS_X, ABS_Y):
            ai = self.absinfo.get(code)
            if ai is not None and ai.resolution > 0:
                out.append(float(ai.resolution))
                continue
            low = self.name.lower()
            out.append(next((r for key, r in NAMED_RESOLUTION if key in low), None))
        return out[0], out[1]

    @property
    def size_mm(self) -> tuple[float, float] | None:
        """Active area (width, height) in mm, or None when the resolution is unknown."""
        rx, ry = self.resolution_mm()
        if rx is None or ry is None or ABS_X not in self.absinfo or ABS_Y not in self.absinfo:
            return None
        return self.absinfo[ABS_X].span / rx, self.absinfo[ABS_Y].span / ry

    @property
    def has_pressure(self) -> bool:
        """Whether the device has an ABS_PRESSURE axis."""
        return ABS_PRESSURE in self.absinfo and self.absinfo[ABS_PRESSURE].span > 0

    @property
    def has_tilt(self) -> bool:
        """Whether the device has ABS_TILT_X and ABS_TILT_Y."""
        return ABS_TILT_X in self.absinfo and ABS_TILT_Y in self.absinfo

    def tilt_units(self) -> tuple[float, float] | None:
        """(degrees per unit, raw value meaning vertical) for the tilt axes, or None.

        The resolution is in units per radian; Wacom's evdev tilt without a
        resolution (e.g. Intuos4, 0..127) is one degree per unit centred on 64.

        Examples
        --------
        >>> info = DeviceInfo("W", {0x1a: AbsInfo(0, 127), 0x1b: AbsInfo(0, 127)})
        >>> info.tilt_units()
        (1.0, 64.0)
        >>> DeviceInfo("W", {0x1a: AbsInfo(-64, 63, resolution=57), 0x1b: AbsInfo(-64, 63, resolution=57)}).tilt_units()[1]
        0.0
        """
        if not self.has_tilt:
            return None
        ai = self.absinfo[ABS_TILT_X]
        deg = 180.0 / np.pi / ai.resolution if ai.resolution > 0 else 1.0
        zero = float((ai.min + ai.max + 1) // 2)
        return deg, zero

    def to_device(self) -> Any:
        """A :class:`penmotor.Device` for :meth:`penmotor.Recording.from_raw` (time in microseconds).

        Examples
        --------
        >>> info = DeviceInfo("Pen", {0: AbsInfo(0, 1000, resolution=100), 1: AbsInfo(0, 500, resolution=100),
        ...                          0x18: AbsInfo(0, 1023)})
        >>> dev = info.to_device()
        >>> dev.x_resolution, dev.pressure_range, dev.time_scale_s
        (100.0, (0.0, 1023.0), 1e-06)
        """
        from penmotor import Device

        rx, ry = self.resolution_mm()
        p = self.absinfo.get(ABS_PRESSURE)
        tilt = self.tilt_units()
        src = "absinfo resolution" if all(
            self.absinfo.get(c, AbsInfo(0, 0)).resolution > 0 for c in (ABS_X, ABS_Y)
        ) else "named-device fallback (driver resolution 0)"
        if self.notes.startswith("mouse:") or self.path == "browser":  # pygame mouse/touch source, browser page
            notes = f"{self.notes}; x/y from screen pixels per mm; time stamps in microseconds"
        else:
            notes = f"evdev; x/y units per mm from {src}; time stamps in microseconds"
            if self.notes:
                notes = f"{self.notes}; {notes}"
        return Device(
            self.name,
            x_resolution=rx,
            y_resolution=ry,
            pressure_range=(float(p.min), float(p.max)) if self.has_pressure else None,
            tilt_deg_per_unit=None if tilt is None else tilt[0],
            tilt_zero=0.0 if tilt is None else tilt[1],
            nominal_rate_hz=None,
            time_scale_s=1e-6,
            notes=notes,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (inverse: :meth:`from_dict`).

        Examples
        --------
        >>> info = DeviceInfo("P", {0: AbsInfo(0, 9, resolution=1)}, {330})
        >>> DeviceInfo.from_dict(info.to_dict()) == info
        True
        """
        return {
            "name": self.name,
            "absinfo": {str(k): [v.min, v.max, v.fuzz, v.flat, v.resolution] for k, v in self.absinfo.items()},
            "keys": sorted(self.keys),
            "ids": list(self.ids),
            "notes": self.notes,
            "path": self.path,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "DeviceInfo":
        """Inverse of :meth:`to_dict`."""
        return cls(
            name=d["name"],
            absinfo={int(k): AbsInfo(*v) for k, v in d.get("absinfo", {}).items()},
            keys=set(d.get("keys", [])),
            ids=tuple(d.get("ids", (0, 0, 0, 0))),  # type: ignore[arg-type]
            notes=d.get("notes", ""),
            path=d.get("path", ""),
        )


@dataclass
class EventStream:
    """Raw input events as four aligned arrays, plus the device description.

    ``t_us`` is int64 microseconds (``sec * 1e6 + usec``), ``type``/``code`` uint16,
    ``value`` int64.
    """

    info: DeviceInfo
    t_us: np.ndarray
    type: np.ndarray
    code: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return int(self.t_us.shape[0])

    @property
    def duration_s(self) -> float:
        """Time from first to last event in s."""
        return float(self.t_us[-1] - self.t_us[0]) * 1e-6 if len(self) else 0.0


_E_LINE = re.compile(
    rb"^E:[ \t]+(\d+)\.(\d+)[ \t]+([0-9a-fA-F]+)[ \t]+([0-9a-fA-F]+)[ \t]+(-?\d+)[ \t]*(?:#.*)?\r?$", re.M
)
_E_START = re.compile(rb"^E:", re.M)
_DESC_LINE = re.compile(rb"^[NIPBA]:[^\n]*", re.M)


def _parse_events(data: bytes, path: Any) -> tuple[np.ndarray, ...]:
    rows = _E_LINE.findall(data)
    n_lines = len(_E_START.findall(data))
    if len(rows) != n_lines:
        good = {m.start() for m in _E_LINE.finditer(data)}
        for m in _E_START.finditer(data):
            if m.start() not in good:
                line = data.count(b"\n", 0, m.start()) + 1
                text = data[m.start(): data.find(b"\n", m.start())].decode("utf-8", "replace")
                raise FormatError(
                    f"expected 'E: <sec>.<usec> <type hex> <code hex> <value>', got {text!r}",
                    path=path, line=line, field="E",
                )
    if not rows:
        z = np.zeros(0, np.int64)
        return z, z.astype(np.uint16), z.astype(np.uint16), z
    a = np.array(rows)  # (n, 5) bytes
    sec = a[:, 0].astype(np.int64)
    ufrac = a[:, 1]
    ulen = np.char.str_len(ufrac)
    usec = ufrac.astype(np.int64) * (10 ** (6 - np.minimum(ulen, 6))) // (10 ** np.maximum(ulen - 6, 0))
    t_us = sec * 1_000_000 + usec
    out = []
    for col in (2, 3):  # hex: convert each distinct string once
        uniq, inv = np.unique(a[:, col], return_inverse=True)
        out.append(np.array([int(u, 16) for u in uniq], dtype=np.uint16)[inv])
    value = a[:, 4].astype(np.int64)
    return t_us, out[0], out[1], value


def _parse_desc(data: bytes, path: Any) -> DeviceInfo | None:
    name = None
    ids = (0, 0, 0, 0)
    absinfo: dict[int, AbsInfo] = {}
    masks: dict[int, list[int]] = {}
    for m in _DESC_LINE.finditer(data):  # description lines only: no loop over events
        line = m.group(0).split(b"#", 1)[0].strip()
        tag, rest = line[:1], line[2:].decode("utf-8", "replace").strip()
        try:
            if tag == b"N":
                name = rest
            elif tag == b"I":
                ids = tuple(int(v, 16) for v in rest.split()[:4])  # type: ignore[assignment]
            elif tag == b"B":
                parts = [int(v, 16) for v in rest.split()]
                masks.setdefault(parts[0], []).extend(parts[1:])
            elif tag == b"A":
                parts = rest.split()
                code = int(parts[0], 16)
                nums = [int(v) for v in parts[1:6]]
                absinfo[code] = AbsInfo(*nums)
        except (ValueError, IndexError, TypeError):  # TypeError: an A: line with fewer than min and max
            lineno = data.count(b"\n", 0, m.start()) + 1
            raise FormatError(f"malformed {tag.decode()}: line {rest!r}", path=path, line=lineno,
                              field=tag.decode()) from None
    if name is None and not absinfo:
        return None
    keys = set()
    for i, b in enumerate(masks.get(EV_KEY, [])):
        for bit in range(8):
            if b >> bit & 1:
                keys.add(i * 8 + bit)
    return DeviceInfo(name=name or "unknown evemu device", absinfo=absinfo, keys=keys, ids=ids,
                      path=str(path))


def _find_desc(path: Path) -> Path | None:
    parts = path.name.split(".")
    for k in range(len(parts) - 1, 0, -1):
        cand = path.with_name(".".join(parts[:k]) + ".desc")
        if cand.is_file() and cand != path:
            return cand
    return None


def parse_evemu(data: bytes, *, path: Any = None, desc: bytes | None = None,
                desc_path: Any = None, _info: DeviceInfo | None = None) -> EventStream:
    """Parse evemu text (events and, optionally, a separate description).

    Parameters
    ----------
    data : bytes
        The evemu text (description lines optional when `desc` is given).
    path : str, optional
        Name for error messages.
    desc, desc_path : bytes, str, optional
        A separate ``.desc`` description and its name.

    Returns
    -------
    EventStream

    Raises
    ------
    FormatError
        A malformed line (names file and line) or no device description at all.

    Examples
    --------
    >>> text = b'''N: Pen
    ... A: 00 0 1000 0 0 100
    ... A: 01 0 1000 0 0 100
    ... E: 1.000000 0003 0000 10
    ... E: 1.000000 0000 0000 0
    ... '''
    >>> s = parse_evemu(text)
    >>> s.info.name, s.t_us.tolist(), s.code.tolist(), s.value.tolist()
    ('Pen', [1000000, 1000000], [0, 0], [10, 0])
    """
    info = _parse_desc(data, path) if _info is None else _info
    if desc is not None:
        dinfo = _parse_desc(desc, desc_path)
        info = dinfo if info is None else info
    if info is None:
        raise FormatError("no device description (N:/A: lines) in the file and no .desc file next to it",
                          path=path)
    t_us, typ, code, value = _parse_events(data, path)
    return EventStream(info, t_us, typ, code, value)


def read_evemu(path: str | Path, *, desc: str | Path | None = None) -> EventStream:
    """Read an evemu recording (self-contained ``.evemu`` or a ``.events`` + ``.desc`` pair).

    Parameters
    ----------
    path : str or Path
        The events file.
    desc : str or Path, optional
        The description file; by default the ``.desc`` sharing the name up to a dot
        (``tablet.desc`` for ``tablet.stylus-drag.events``) when `path` has none.

    Examples
    --------
    >>> import tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> _ = open(os.path.join(d, "t.desc"), "w").write("N: Pen\\nA: 00 0 9 0 0 1\\nA: 01 0 9 0 0 1\\n")
    >>> _ = open(os.path.join(d, "t.a.events"), "w").write("E: 0.5 0003 0000 3\\nE: 0.5 0000 0000 0\\n")
    >>> s = read_evemu(os.path.join(d, "t.a.events"))
    >>> s.info.name, s.t_us.tolist()
    ('Pen', [500000, 500000])
    """
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read: {exc.strerror}", path=p) from None
    d = Path(desc) if desc is not None else None
    own = _parse_desc(data, p)
    if d is None and own is None:
        d = _find_desc(p)
    ddata = None
    if d is not None:
        try:
            ddata = d.read_bytes()
        except OSError as exc:
            raise FormatError(f"cannot read description: {exc.strerror}", path=d) from None
    s = parse_evemu(data, path=p, desc=ddata, desc_path=d, _info=own)
    s.info.path = str(p)
    return s
