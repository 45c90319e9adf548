"""W3C InkML (https://www.w3.org/TR/InkML/): read and write.

Reading
-------
* Parsed with :mod:`defusedxml`: DTD entity declarations (billion laughs, external
  entities) are rejected with a :class:`~penmotor.FormatError`.
* Every ``<trace>`` (also inside ``<traceGroup>``) becomes a run of samples, in document
  order. Its channels come from the ``traceFormat`` of its context (``contextRef`` on the
  trace or its trace group, else the last ``<context>`` met in the ink stream, else the
  ink's default ``<traceFormat>``, else InkML's default ``X Y``).
* **Pen up**: a trace with ``type="penUp"`` is in the air (``pen_down`` False);
  ``penDown``, ``indeterminate`` or no type is on the surface.
* Channels: ``X``, ``Y`` (positions), ``T`` (time), ``F`` (force -> pressure), ``OTx``,
  ``OTy`` (tilt); ``extra:<name>`` and ``raw:<name>`` (penmotor's own) go to
  :attr:`Recording.extra` / :attr:`Recording.raw`; any other channel (``Z``, ``S``,
  ``BP`` ...) is kept in ``raw`` under its name.
* Values: plain decimals (fast path, one vectorised conversion) and the full trace
  syntax -- ``!`` explicit, ``'`` first and ``"`` second differences, ``?`` missing
  (NaN), ``*`` repeat, ``T``/``F`` booleans, signs as separators (``3-5+7``).
  Intermittent channels are not supported (FormatError).
* **Units are never guessed.** X/Y: a length ``units`` (``mm``, ``cm``, ``m``, ``in``,
  ``pt``) on the channel; otherwise a ``resolution`` ``channelProperty`` (units
  ``1/mm``, ``1/cm``, ``1/in``) of the ``inkSource``; otherwise ``device=``; otherwise
  :class:`~penmotor.UnitsError`. T: ``units`` ``s``/``ms``/``us``, else the device's
  ``time_scale_s``, else a uniform ``sampleRate`` of the ink source (t = index / rate),
  else UnitsError. F: ``min``/``max`` on the channel, else the device's pressure range,
  else UnitsError. OTx/OTy: ``deg`` (also when absent) or ``rad``.
* Orientation: InkML's default Y grows **downward**; penmotor's y grows upward, so Y is
  negated unless the channel says ``orientation="-ve"`` (X is negated when it says ``-ve``).

Writing
-------
:func:`write_inkml` writes X, Y (mm, ``orientation="-ve"``, i.e. upward), T (s), F
(``min="0" max="1"``), OTx, OTy (deg), every ``extra`` and numeric ``raw`` channel, one
trace per pen-down or pen-up run (``type="penDown"``/``"penUp"``), an ``inkSource``
naming the device with its resolution as ``channelProperties``, and one
``<annotation type="penmotor">`` holding the device, meta, timing and raw dtypes as
JSON. Floats are written with Python's shortest round-trip repr and NaN as ``?``, so
``read(write(rec))`` gives back the same recording -- channels, pen_down, extra, raw,
meta, device and timing (property-tested).
"""

from __future__ import annotations

import json
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, ParameterError, PenmotorError, UnitsError
from ..devices import Device, get_device
from ..recording import CHANNELS, Recording, Timing
from . import Format, register_format
from ._text import DEFAULT_MAX_BYTES, atomic_write, check_size, no_columns
from .native import decode_meta, encode_meta

__all__ = ["read_inkml", "write_inkml", "sniff_inkml", "INKML_NS"]

INKML_NS = "http://www.w3.org/2003/InkML"
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
_ANNOT = "penmotor"
_LENGTH_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4, "inch": 25.4, "pt": 25.4 / 72.0,
              "um": 1e-3, "µm": 1e-3, "himetric": 0.01}
_TIME_S = {"s": 1.0, "sec": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6}
_RES_PER_MM = {"1/mm": 1.0, "1/cm": 0.1, "1/in": 1 / 25.4, "1/inch": 1 / 25.4, "1/m": 1e-3}
_XML_BAD = re.compile("[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd]")
_TOKEN = re.compile(
    r"""(,)|([!'"]?)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[?*TF]|[-+]?(?:nan|inf))|(\S)"""
)


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _either(a: Any, b: Any) -> Any:
    """`a` unless it is None, else ``b()`` (Elements without children are falsy)."""
    return a if a is not None else b()


def sniff_inkml(head: bytes) -> bool:
    """True when the head of the file holds an ``<ink`` root element.

    Examples
    --------
    >>> sniff_inkml(b'<?xml version="1.0"?><ink xmlns="http://www.w3.org/2003/InkML">')
    True
    """
    return re.search(rb"<(?:\w+:)?ink[\s>]", head) is not None


# ---------------------------------------------------------------------- writing
def _fmt_float(a: np.ndarray) -> list[str]:
    return ["?" if v != v else repr(v) for v in a.tolist()]


def write_inkml(rec: Recording, path: str | Path) -> None:
    """Write `rec` as InkML; reading the file back gives the same recording.

    Examples
    --------
    >>> import os, tempfile
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, .01, .02], x=[0, 1.5, 3], y=[0, 0, 1],
    ...                             pressure=[.5, .6, 0], pen_down=[1, 1, 0])
    >>> p = os.path.join(tempfile.mkdtemp(), "a.inkml")
    >>> write_inkml(rec, p)
    >>> back = read_inkml(p)
    >>> back == rec, back.pen_down.tolist()
    (True, [True, True, False])
    """
    p = Path(path)
    for k in list(rec.raw) + list(rec.extra):
        if not k or any(c.isspace() for c in k):
            raise ParameterError(f"channel name {k!r}: must be non-empty without spaces for InkML")
    cols: list[tuple[str, dict[str, str], list[str]]] = []
    cols.append(("X", {"type": "decimal", "units": "mm"}, _fmt_float(rec.x)))
    cols.append(("Y", {"type": "decimal", "units": "mm", "orientation": "-ve"}, _fmt_float(rec.y)))
    cols.append(("T", {"type": "decimal", "units": "s"}, _fmt_float(rec.t)))
    cols.append(("F", {"type": "decimal", "units": "1", "min": "0", "max": "1"}, _fmt_float(rec.pressure)))
    cols.append(("OTx", {"type": "decimal", "units": "deg"}, _fmt_float(rec.tilt_x)))
    cols.append(("OTy", {"type": "decimal", "units": "deg"}, _fmt_float(rec.tilt_y)))
    for k in sorted(rec.extra):
        cols.append((f"extra:{k}", {"type": "decimal"}, _fmt_float(np.asarray(rec.extra[k], dtype=float))))
    raw_dtypes: dict[str, str] = {}
    raw_strings: dict[str, list[str]] = {}
    for k in sorted(rec.raw):
        a = np.asarray(rec.raw[k])
        if a.ndim == 1 and a.dtype.kind in "biuf":
            raw_dtypes[k] = a.dtype.str
            if a.dtype.kind == "f":
                vals = _fmt_float(a.astype(np.float64))
                typ = "decimal"
            else:
                vals = [str(int(v)) for v in a.tolist()]
                typ = "integer"
            cols.append((f"raw:{k}", {"type": typ}, vals))
        elif a.ndim == 1 and a.dtype.kind == "U":
            raw_strings[k] = a.tolist()
        else:
            raise ParameterError(f"raw[{k!r}]: InkML can hold 1-D numbers or strings, got {a.dtype} {a.shape}")

    doc = {
        "format_version": 1,
        "device": None if rec.device is None else rec.device.to_dict(),
        "meta": dict(rec.meta),
        "timing": {k: getattr(rec.timing, k) for k in Timing.__dataclass_fields__},
        "raw_dtypes": raw_dtypes,
        "raw_strings": raw_strings,
    }
    ET.register_namespace("", INKML_NS)
    q = lambda tag: f"{{{INKML_NS}}}{tag}"  # noqa: E731
    ink = ET.Element(q("ink"))
    ann = ET.SubElement(ink, q("annotation"), {"type": _ANNOT})
    ann.text = json.dumps(encode_meta(doc, ""), ensure_ascii=True, allow_nan=False)
    defs = ET.SubElement(ink, q("definitions"))
    ctx = ET.SubElement(defs, q("context"), {_XML_ID: "ctx0"})
    dev = rec.device
    src_attrs = {_XML_ID: "src0"}
    if dev is not None:
        src_attrs["model"] = _XML_BAD.sub("", dev.name)  # informative; the exact name is in the annotation
    src = ET.SubElement(ctx, q("inkSource"), src_attrs)
    tf = ET.SubElement(src, q("traceFormat"), {_XML_ID: "tf0"})
    for name, attrs, _ in cols:
        ET.SubElement(tf, q("channel"), {"name": name, **attrs})
    if dev is not None:
        if dev.nominal_rate_hz:
            ET.SubElement(src, q("sampleRate"), {"uniform": "false", "value": repr(dev.nominal_rate_hz)})
        props = ET.SubElement(src, q("channelProperties"))
        if dev.x_resolution:
            ET.SubElement(props, q("channelProperty"), {"channel": "raw:x", "name": "resolution",
                                                         "value": repr(dev.x_resolution), "units": "1/mm"})
        if dev.y_resolution:
            ET.SubElement(props, q("channelProperty"), {"channel": "raw:y", "name": "resolution",
                                                         "value": repr(dev.y_resolution), "units": "1/mm"})
    rows = [" ".join(r) for r in zip(*(c[2] for c in cols))]
    pd_ = np.asarray(rec.pen_down, dtype=bool)
    if len(rec):
        edges = np.flatnonzero(np.diff(pd_.view(np.int8))) + 1
        starts = np.concatenate(([0], edges))
        stops = np.concatenate((edges, [len(rec)]))
        for a, b in zip(starts.tolist(), stops.tolist()):
            tr = ET.SubElement(ink, q("trace"), {"contextRef": "#ctx0",
                                                  "type": "penDown" if pd_[a] else "penUp"})
            tr.text = ", ".join(rows[a:b])
    tree = ET.ElementTree(ink)
    ET.indent(tree, space=" ")
    with atomic_write(p) as fh:
        tree.write(fh, encoding="utf-8", xml_declaration=True)


# ---------------------------------------------------------------------- reading
class _Chan:
    __slots__ = ("name", "type", "units", "orientation", "min", "max")

    def __init__(self, el: Any) -> None:
        self.name = el.get("name", "")
        self.type = el.get("type", "decimal")
        self.units = el.get("units")
        self.orientation = el.get("orientation", "+ve")
        self.min = el.get("min")
        self.max = el.get("max")


def _trace_positions(text: str) -> list[int]:
    return [m.start() for m in re.finditer(r"<(?:\w+:)?trace[\s>/]", text)]


def _decode_slow(text: str, nch: int, err: Any) -> np.ndarray:
    """Full InkML trace syntax, vectorised per channel (loops only over mode changes)."""
    toks = _TOKEN.findall(text)
    if not toks:
        return np.empty((0, nch))
    arr = np.array(toks, dtype=object)
    comma = arr[:, 0] == ","
    junk = arr[:, 3] != ""
    if junk.any():
        i = int(np.flatnonzero(junk)[0])
        pos = next(m.start() for j, m in enumerate(_TOKEN.finditer(text)) if j == i)
        raise err(f"unexpected character {arr[i, 3]!r} in trace data", offset=pos)
    vals = arr[~comma]
    pref = vals[:, 1]
    sval = vals[:, 2]
    point = np.cumsum(comma)[~comma]
    counts = np.bincount(point, minlength=int(comma.sum()) + 1)
    if (counts != nch).any():
        k = int(np.flatnonzero(counts != nch)[0])
        raise err(f"point {k} has {counts[k]} values, the trace format has {nch} channels", point=k)
    npts = counts.size
    special = {"?": np.nan, "T": 1.0, "F": 0.0, "*": np.nan}
    is_star = sval == "*"
    num = np.empty(sval.size)
    sp = np.isin(sval, list(special))
    num[sp] = [special[s] for s in sval[sp]]
    try:
        num[~sp] = sval[~sp].astype(np.float64)
    except ValueError:
        raise err("not a number in trace data") from None
    num = num.reshape(npts, nch)
    is_star = is_star.reshape(npts, nch)
    code = np.select([pref == "!", pref == "'", pref == '"'], [1, 2, 3], 0).reshape(npts, nch)
    out = np.empty((npts, nch))
    idx = np.arange(npts)
    for c in range(nch):
        tok = num[:, c]
        if is_star[:, c].any():  # '*': repeat the previous token
            keep = np.where(~is_star[:, c], idx, 0)
            tok = tok[np.maximum.accumulate(keep)]
        has = code[:, c] > 0
        last = np.maximum.accumulate(np.where(has, idx, -1))
        mode = np.where(last >= 0, code[:, c][np.maximum(last, 0)], 1)
        mode[mode == 0] = 1
        v = out[:, c]
        bounds = np.concatenate(([0], np.flatnonzero(np.diff(mode)) + 1, [npts]))
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist()):
            m = mode[a]
            if m == 1:
                v[a:b] = tok[a:b]
            elif a == 0:
                raise err("a difference-encoded value needs a previous explicit value", point=0)
            elif m == 2:
                v[a:b] = v[a - 1] + np.cumsum(tok[a:b])
            else:
                vel0 = v[a - 1] - v[a - 2] if a >= 2 else 0.0
                vel = vel0 + np.cumsum(tok[a:b])
                v[a:b] = v[a - 1] + np.cumsum(vel)
    return out


def _decode(text: str, nch: int, err: Any) -> np.ndarray:
    npts = text.count(",") + 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:  # fast path: plain decimals (C parser); anything else falls through
            v = np.fromstring(text.replace(",", " ").replace("?", "nan"), dtype=np.float64, sep=" ")
            if v.size == npts * nch:
                return v.reshape(npts, nch)
        except (ValueError, DeprecationWarning):
            pass
    return _decode_slow(text, nch, err)


def read_inkml(
    path: str | Path,
    *,
    device: Device | str | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
    meta: dict[str, Any] | None = None,
    columns: None = None,
) -> Recording:
    """Read an InkML file into one :class:`~penmotor.Recording` (all traces, in order).

    Parameters
    ----------
    path : str or Path
        The ``.inkml`` file.
    device : Device or str, optional
        Units for channels the file leaves without units (see the module docstring).
    max_bytes : int or None
        Refuse larger files before reading them (default 512 MiB).
    meta : dict, optional
        Extra metadata merged over the file's.
    columns : None
        Not used (channels are named in the file).

    Raises
    ------
    FormatError
        Malformed XML, entity declarations, bad trace data (naming file, line and channel).
    UnitsError
        Positions, time or force without units and no device to supply them.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.inkml")
    >>> _ = open(p, "w").write('<ink xmlns="http://www.w3.org/2003/InkML"><traceFormat>'
    ...   '<channel name="X" units="cm"/><channel name="Y" units="cm" orientation="-ve"/>'
    ...   '<channel name="T" units="ms"/></traceFormat>'
    ...   "<trace>0 0 0, 1 2 10, 2 4 20</trace><trace type='penUp'>3 3 30</trace></ink>")
    >>> rec = read_inkml(p)
    >>> rec.x.tolist(), rec.y.tolist(), rec.pen_down.tolist()
    ([0.0, 10.0, 20.0, 30.0], [0.0, 20.0, 40.0, 30.0], [True, True, True, False])
    """
    import defusedxml
    import defusedxml.ElementTree as DET

    p = Path(path)
    no_columns(columns, "inkml")
    check_size(p, max_bytes)
    data = p.read_bytes()
    try:
        root = DET.fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        raise FormatError(f"rejected unsafe XML ({type(exc).__name__}: entity/DTD declarations "
                          "are not allowed)", path=p) from None
    except ET.ParseError as exc:
        line = getattr(exc, "position", (None,))[0]
        raise FormatError(f"not well-formed XML: {exc}", path=p, line=line) from None
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"cannot parse XML: {exc}", path=p) from None
    if _local(root.tag) != "ink":
        raise FormatError(f"root element is <{_local(root.tag)}>, expected <ink>", path=p, line=1)
    try:
        text = data.decode("utf-8", errors="replace")
    except Exception:  # pragma: no cover
        text = ""
    return _build(root, p, text, get_device(device), meta)


def _build(root: Any, p: Path, text: str, user_dev: Device | None, meta: dict[str, Any] | None) -> Recording:
    ids: dict[str, Any] = {}
    for el in root.iter():
        i = el.get(_XML_ID) or el.get("id")
        if i:
            ids[i] = el

    def ref(v: str | None) -> Any:
        if not v:
            return None
        el = ids.get(v.lstrip("#"))
        if el is None:
            raise FormatError(f"reference {v!r} to an undefined element", path=p)
        return el

    def child(el: Any, name: str) -> Any:
        for c in el:
            if _local(c.tag) == name:
                return c
        return None

    default_tf = child(root, "traceFormat")
    if default_tf is None:
        defs = child(root, "definitions")
        if defs is not None:
            for c in defs:
                if _local(c.tag) == "traceFormat" and (c.get(_XML_ID) or c.get("id")) == "DefaultTraceFormat":
                    default_tf = c

    def context_parts(ctx: Any) -> tuple[Any, Any]:
        """(traceFormat, inkSource) of a context element (or None for the default)."""
        if ctx is None:
            return default_tf, None
        src = _either(child(ctx, "inkSource"), lambda: ref(ctx.get("inkSourceRef")))
        tf = _either(child(ctx, "traceFormat"), lambda: ref(ctx.get("traceFormatRef")))
        if tf is None and src is not None:
            tf = _either(child(src, "traceFormat"), lambda: ref(src.get("traceFormatRef")))
        if tf is not None and child(tf, "channel") is None and tf.get("href"):
            tf = ref(tf.get("href"))
        return (tf if tf is not None else default_tf), src

    traces: list[tuple[Any, Any]] = []

    def walk(el: Any, ctx: Any) -> Any:
        for c in el:
            tag = _local(c.tag)
            if tag == "context":
                ctx = c if c.get("contextRef") is None else ref(c.get("contextRef"))
            elif tag == "traceGroup":
                walk(c, _either(ref(c.get("contextRef")), lambda: ctx))
            elif tag == "trace":
                traces.append((c, _either(ref(c.get("contextRef")), lambda: ctx)))
        return ctx

    walk(root, None)
    positions: list[int] | None = None

    # penmotor's own annotation (device, meta, timing, raw dtypes)
    own: dict[str, Any] = {}
    for c in root:
        if _local(c.tag) == "annotation" and c.get("type") == _ANNOT:
            try:
                own = decode_meta(json.loads(c.text or "{}"))
            except ValueError as exc:
                raise FormatError(f"penmotor annotation is not valid JSON: {exc}", path=p, field="annotation") from None
            if not isinstance(own, dict):
                raise FormatError("penmotor annotation must be a JSON object", path=p, field="annotation")
    try:
        own_dev = Device.from_dict(own["device"]) if own.get("device") else None
    except (ParameterError, TypeError, AttributeError) as exc:
        raise FormatError(f"bad device in the penmotor annotation: {exc}", path=p, field="annotation") from None

    chan_cache: dict[int, list[_Chan]] = {}
    blocks: list[dict[str, np.ndarray]] = []
    pen: list[np.ndarray] = []
    unit_info: dict[str, Any] = {}
    for ti, (tr, ctx) in enumerate(traces):
        tf, src = context_parts(ctx)
        if tf is not None and any(_local(c.tag) == "intermittentChannels" for c in tf):
            raise FormatError("intermittent channels are not supported", path=p, field="traceFormat")
        key = id(tf)
        if key not in chan_cache:
            chan_cache[key] = [] if tf is None else [_Chan(c) for c in tf.iter() if _local(c.tag) == "channel"]
        chans = chan_cache[key]
        if not chans:
            chans = [_Chan(ET.Element("channel", {"name": "X"})), _Chan(ET.Element("channel", {"name": "Y"}))]
        names = [c.name for c in chans]
        if len(set(names)) != len(names):
            raise FormatError(f"duplicate channel names {names}", path=p, field="traceFormat")
        body = tr.text or ""
        if not body.strip():
            continue

        def err(msg: str, *, point: int | None = None, offset: int | None = None,
                _ti: int = ti, _body: str = body, _names: list[str] = names) -> FormatError:
            nonlocal positions
            if positions is None:
                positions = _trace_positions(text)
            line = None
            if _ti < len(positions):
                start = positions[_ti]
                line = text.count("\n", 0, start) + 1
                if point is not None and offset is None:
                    offset = -1
                    for _ in range(point):
                        offset = _body.find(",", offset + 1)
                    after = _body[offset + 1 :]
                    offset += 1 + len(after) - len(after.lstrip())
                if offset is not None:
                    line += _body.count("\n", 0, max(offset, 0))
            where = f"trace {_ti + 1}" + (f", point {point}" if point is not None else "")
            return FormatError(f"{where}: {msg}", path=p, line=line, field=",".join(_names))

        vals = _decode(body, len(chans), err)
        blocks.append({c.name: vals[:, i] for i, c in enumerate(chans)})
        pen.append(np.full(vals.shape[0], tr.get("type", "penDown") != "penUp"))
        for c in chans:
            unit_info.setdefault(c.name, (c, src))
    if not blocks:
        raise FormatError("no trace data in the file", path=p)
    allnames = list(dict.fromkeys(k for b in blocks for k in b))
    col = {k: np.concatenate([b[k] if k in b else np.full(next(iter(b.values())).shape[0], np.nan)
                              for b in blocks]) for k in allnames}
    pen_down = np.concatenate(pen)
    n = pen_down.size
    dev = user_dev if user_dev is not None else own_dev

    for need in ("X", "Y"):
        if need not in col:
            raise FormatError(f"no {need} channel in the trace format", path=p, field=need)

    def resolution(src: Any, name: str) -> float | None:
        if src is None:
            return None
        props = [c for c in src.iter() if _local(c.tag) == "channelProperty"]
        for c in props:
            if c.get("channel") == name and c.get("name") == "resolution":
                u = (c.get("units") or "").strip().lower()
                if u not in _RES_PER_MM:
                    raise UnitsError(f"channel {name}: resolution units {u!r} not understood "
                                     f"(expected one of {sorted(_RES_PER_MM)})", path=p, field=name)
                try:
                    return float(c.get("value")) * _RES_PER_MM[u]
                except (TypeError, ValueError):
                    raise FormatError(f"bad resolution value {c.get('value')!r}", path=p, field=name) from None
        return None

    phys: dict[str, np.ndarray] = {}
    for name, attr in (("X", "x_resolution"), ("Y", "y_resolution")):
        ch, src = unit_info[name]
        u = (ch.units or "").strip()
        v = col[name]
        if u.lower() in _LENGTH_MM or u in _LENGTH_MM:
            mm = v * _LENGTH_MM.get(u, _LENGTH_MM.get(u.lower(), 1.0)) if u != "mm" else v
        else:
            res = resolution(src, name)
            if res is None and dev is not None:
                res = getattr(dev, attr)
            if res is None:
                raise UnitsError(
                    f"channel {name} has no length units (units={ch.units!r}) and no resolution "
                    "channelProperty", path=p, field=name, argument="device.x_resolution",
                    advice="pass device= a penmotor.Device with x/y resolution")
            mm = v / res
        flip = (ch.orientation == "-ve") if name == "X" else (ch.orientation != "-ve")
        phys[name] = -mm if flip else mm
        if not np.isfinite(phys[name]).all():
            i = int(np.flatnonzero(~np.isfinite(phys[name]))[0])
            raise FormatError(f"sample {i}: missing or non-finite position", path=p, field=name)

    if "T" in col:
        ch, src = unit_info["T"]
        u = (ch.units or "").strip()
        if u in _TIME_S:
            t = col["T"] * _TIME_S[u] if u != "s" else col["T"]
        elif dev is not None and u in ("", "dev"):
            t = col["T"] * dev.time_scale_s
        else:
            raise UnitsError(f"channel T has units {ch.units!r}; expected s, ms or us (or pass device=)",
                             path=p, field="T")
        if not np.isfinite(t).all():
            i = int(np.flatnonzero(~np.isfinite(t))[0])
            raise FormatError(f"sample {i}: missing or non-finite time", path=p, field="T")
    else:
        rate = None
        src = unit_info["X"][1]
        if src is not None:
            sr = None
            for c in src.iter():
                if _local(c.tag) == "sampleRate":
                    sr = c
            if sr is not None and sr.get("uniform", "true") == "true":
                try:
                    rate = float(sr.get("value"))
                except (TypeError, ValueError):
                    rate = None
        if not rate or not np.isfinite(rate) or rate <= 0:
            raise UnitsError("no T channel and no uniform sampleRate in the inkSource: sample times "
                             "are unknown", path=p, field="T")
        t = np.arange(n) / rate

    pressure = None
    if "F" in col:
        ch, _ = unit_info["F"]
        f = col["F"]
        lo = hi = None
        try:
            if ch.min is not None and ch.max is not None:
                lo, hi = float(ch.min), float(ch.max)
        except ValueError:
            raise FormatError(f"F channel min/max not numbers ({ch.min!r}, {ch.max!r})", path=p, field="F") from None
        if lo is None and dev is not None and dev.pressure_range is not None:
            lo, hi = dev.pressure_range
        if lo is None or not (hi > lo):
            if np.isfinite(f).any():
                raise UnitsError("channel F (force) has no min/max and the device gives no pressure range",
                                 path=p, field="F", argument="device.pressure_range",
                                 advice="pass device= with pressure_range")
            pressure = f
        else:
            pressure = f if (lo == 0.0 and hi == 1.0) else np.clip((f - lo) / (hi - lo), 0.0, 1.0)
            if not ((pressure >= 0) | np.isnan(pressure)).all() or not ((pressure <= 1) | np.isnan(pressure)).all():
                pressure = np.clip(pressure, 0.0, 1.0)
    tilt = {}
    for name, key in (("OTx", "tilt_x"), ("OTy", "tilt_y")):
        if name in col:
            u = (unit_info[name][0].units or "deg").strip().lower()
            if u in ("deg", "degree", "degrees"):
                tilt[key] = col[name]
            elif u in ("rad", "radian", "radians"):
                tilt[key] = np.rad2deg(col[name])
            else:
                raise UnitsError(f"channel {name}: units {u!r}; expected deg or rad", path=p, field=name)

    dtypes = own.get("raw_dtypes", {}) if isinstance(own.get("raw_dtypes"), dict) else {}
    raw: dict[str, np.ndarray] = {}
    extra: dict[str, np.ndarray] = {}
    for k, v in col.items():
        if k.startswith("extra:"):
            extra[k[6:]] = v
        elif k.startswith("raw:"):
            name = k[4:]
            dt = dtypes.get(name)
            if dt is not None:
                try:
                    want = np.dtype(dt)
                except TypeError:
                    raise FormatError(f"bad raw dtype {dt!r}", path=p, field=k) from None
                if want.kind in "biu" and not np.isfinite(v).all():
                    raise FormatError("missing value in an integer channel", path=p, field=k)
                raw[name] = v.astype(want)
            else:
                raw[name] = v
        elif k not in ("X", "Y", "T", "F", "OTx", "OTy"):
            raw[k] = v
    for k, v in (own.get("raw_strings") or {}).items():
        if not isinstance(v, list) or len(v) != n:
            raise FormatError(f"raw string channel {k!r} has the wrong length", path=p, field="annotation")
        raw[str(k)] = np.array([str(s) for s in v], dtype=str) if v else np.array([], dtype=str)
    md = own.get("meta") if isinstance(own.get("meta"), dict) else {"source": p.name, "format": "inkml"}
    md = dict(md)
    if meta:
        md.update(meta)
    try:
        rec = Recording.from_arrays(
            t, phys["X"], phys["Y"], pressure, tilt.get("tilt_x"), tilt.get("tilt_y"), pen_down,
            device=dev, meta=md, raw=raw, extra=extra,
        )
    except PenmotorError as exc:
        raise FormatError(str(exc), path=p) from exc
    tm = own.get("timing")
    if isinstance(tm, dict) and len(rec) == n:
        try:
            timing = Timing(**tm)
        except TypeError as exc:
            raise FormatError(f"bad timing in the penmotor annotation: {exc}", path=p, field="annotation") from None
        rec = Recording({k: rec.channel(k) for k in CHANNELS}, device=rec.device, meta=rec.meta,
                        raw=rec.raw, extra=rec.extra, timing=timing)
    return rec


register_format(Format("inkml", (".inkml",), read_inkml, write_inkml, sniff_inkml))
