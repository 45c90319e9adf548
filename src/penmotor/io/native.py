"""penmotor's native recording format, ``.pmr``: everything a capture session records.

Why this format
---------------
A ``.pmr`` file is an **uncompressed ZIP of NumPy ``.npy`` arrays plus one JSON
document** (``penmotor.json``) -- the same container as :func:`numpy.savez`:

* **It keeps everything**: the core channels at full float64 precision, every raw
  device-unit array with its own dtype, the ``extra`` channels, the device (resolution,
  pressure range, tilt units, nominal rate, notes), the time-stamp policy counts and
  ``t0``, the clock source and any JSON-able meta (nested dicts and lists, tuples,
  dates, NaN). ``read(write(rec))`` equals ``rec`` exactly, raw/extra/meta/device included.
* **It loads fast**: each array is a raw binary block read straight into memory,
  no text to parse (several times faster than the SVC or InkML text readers).
* **It is safe and open**: arrays are loaded with ``allow_pickle=False`` (no code runs
  on load); any ZIP tool lists it and ``numpy.load`` opens the arrays; ``penmotor.json``
  is readable in any editor and carries a ``format_version``.
* **Writes are atomic**: the file is written to a temporary file in the same folder
  and renamed over the target (:func:`os.replace`), so a crash never leaves half a file.

Alternatives considered: HDF5 (an extra compiled dependency), Parquet (tabular only:
awkward for meta and raw arrays of other shapes), pickle (unsafe to load), InkML
(text: slow and float formatting is easy to get wrong; still written by penmotor for
exchange).

Members: ``penmotor.json`` (first), ``ch/<channel>.npy`` for t, x, y, pressure,
tilt_x, tilt_y, pen_down, ``raw/<name>.npy``, ``extra/<name>.npy``.
"""

from __future__ import annotations

import datetime as _dt
import io
import json
import math
import tokenize
import zipfile
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, ParameterError
from ..devices import Device
from ..recording import CHANNELS, GLITCH_JUMP_S, Recording, Timing, glitch_steps
from . import Format, register_format
from ._text import atomic_write, no_columns

__all__ = ["read_native", "write_native", "FORMAT_VERSION", "sniff_native"]

FORMAT_VERSION = 1
_MAGIC = "penmotor-recording"
_JSON = "penmotor.json"


# ------------------------------------------------------------------ JSON with tags
def encode_meta(v: Any, where: str) -> Any:
    """Encode a meta value into JSON, tagging types JSON lacks so they come back exactly.

    `where` names the value in error messages. Inverse: :func:`decode_meta`.

    Examples
    --------
    >>> encode_meta((1, 2.5), "meta['pair']")
    {'__tuple__': [1, 2.5]}
    """
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else {"__float__": repr(f)}
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, tuple):
        return {"__tuple__": [encode_meta(x, f"{where}[{i}]") for i, x in enumerate(v)]}
    if isinstance(v, list):
        return [encode_meta(x, f"{where}[{i}]") for i, x in enumerate(v)]
    if isinstance(v, Mapping):
        out = {}
        for k, x in v.items():
            if not isinstance(k, str):
                raise ParameterError(f"meta{where}: keys must be str, got {k!r}")
            if k.startswith("__") and k.endswith("__"):
                raise ParameterError(f"meta{where}: key {k!r} is reserved")
            out[k] = encode_meta(x, f"{where}[{k!r}]")
        return out
    if isinstance(v, _dt.datetime):
        return {"__datetime__": v.isoformat()}
    if isinstance(v, _dt.date):
        return {"__date__": v.isoformat()}
    raise ParameterError(
        f"meta{where}: cannot store a {type(v).__name__} in a .pmr file "
        "(use str, int, float, bool, None, date, and lists/tuples/dicts of them)"
    )


def decode_meta(v: Any) -> Any:
    """Decode a meta value written by :func:`encode_meta` (tagged tuples, floats, dates) exactly.

    Examples
    --------
    >>> decode_meta(encode_meta({"a": (1, float("nan"))}, "meta"))
    {'a': (1, nan)}
    """
    if isinstance(v, list):
        return [decode_meta(x) for x in v]
    if isinstance(v, dict):
        if len(v) == 1:
            (k, x), = v.items()
            if k == "__tuple__":
                return tuple(decode_meta(y) for y in x)
            if k == "__float__":
                return float(x)
            if k == "__datetime__":
                return _dt.datetime.fromisoformat(x)
            if k == "__date__":
                return _dt.date.fromisoformat(x)
        return {k: decode_meta(x) for k, x in v.items()}
    return v


def _fast_npy(data: Any, spec: Any) -> np.ndarray | None:
    """Decode an ``.npy`` member whose dtype/shape ``penmotor.json`` records, without
    re-parsing the header literal (the slow part of :func:`numpy.load` for small arrays).
    Returns None (use numpy's reader) when anything does not match exactly."""
    if not (isinstance(spec, dict) and isinstance(spec.get("dtype"), str) and isinstance(spec.get("shape"), list)):
        return None
    if bytes(data[:6]) != b"\x93NUMPY" or len(data) < 12:
        return None
    major = data[6]
    if major == 1:
        hlen, off = int.from_bytes(data[8:10], "little"), 10
    elif major in (2, 3):
        hlen, off = int.from_bytes(data[8:12], "little"), 12
    else:
        return None
    header = bytes(data[off : off + hlen]).decode("latin1", errors="replace")
    dt = np.dtype(spec["dtype"])
    shape = tuple(int(v) for v in spec["shape"])
    if dt.hasobject or f"'descr': '{dt.str}'" not in header or "'fortran_order': False" not in header:
        return None
    if f"'shape': {shape!r}" not in header:
        return None
    count = int(np.prod(shape)) if shape else 1
    body = off + hlen
    if len(data) - body != count * dt.itemsize:
        return None
    return np.frombuffer(data, dtype=dt, count=count, offset=body).reshape(shape)


def sniff_native(head: bytes) -> bool:
    """True for a ZIP whose first member is ``penmotor.json``.

    Examples
    --------
    >>> sniff_native(b"PK\\x03\\x04" + bytes(26) + b"penmotor.json")
    True
    """
    return head[:4] == b"PK\x03\x04" and _JSON.encode() in head[:120]


def _check_array(name: str, a: Any) -> np.ndarray:
    a = np.asarray(a)
    if a.dtype.hasobject:
        raise ParameterError(f"{name}: object arrays cannot be stored without pickle; use numbers or str")
    return a


def write_native(rec: Recording, path: str | Path) -> None:
    """Write `rec` to a ``.pmr`` file (atomically: temp file + rename).

    Examples
    --------
    >>> import os, tempfile
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, .01], x=[0, 1], y=[0, 0], meta={"subject": "C01"})
    >>> p = os.path.join(tempfile.mkdtemp(), "a.pmr")
    >>> write_native(rec, p)
    >>> read_native(p).meta["subject"]
    'C01'
    """
    p = Path(path)
    doc = {
        "magic": _MAGIC,
        "format_version": FORMAT_VERSION,
        "n_samples": len(rec),
        "device": None if rec.device is None else encode_meta(rec.device.to_dict(), "[device]"),
        "meta": encode_meta(dict(rec.meta), ""),
        "timing": encode_meta({f.name: getattr(rec.timing, f.name) for f in _timing_fields()}, "[timing]"),
        "raw": sorted(rec.raw),
        "extra": sorted(rec.extra),
    }
    arrays = {f"ch/{k}.npy": rec.channel(k) for k in CHANNELS}
    arrays.update({f"raw/{k}.npy": _check_array(f"raw[{k!r}]", v) for k, v in rec.raw.items()})
    arrays.update({f"extra/{k}.npy": _check_array(f"extra[{k!r}]", v) for k, v in rec.extra.items()})
    for k in list(rec.raw) + list(rec.extra):
        if "/" in k or "\\" in k or k in ("", ".", ".."):
            raise ParameterError(f"channel name {k!r}: may not contain '/' or be empty")
    arrays = {k: np.ascontiguousarray(a) for k, a in arrays.items()}
    doc["arrays"] = {k: {"dtype": a.dtype.str, "shape": list(a.shape)} for k, a in arrays.items()}
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=1)
    with atomic_write(p) as fh, zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr(_JSON, text)
        for name, a in arrays.items():
            with zf.open(name, "w", force_zip64=True) as out:
                np.lib.format.write_array(out, a, allow_pickle=False)


def _timing_fields() -> tuple[Any, ...]:
    import dataclasses

    return dataclasses.fields(Timing)


def read_native(
    path: str | Path,
    *,
    device: Device | str | None = None,
    columns: None = None,
    meta: dict[str, Any] | None = None,
) -> Recording:
    """Read a ``.pmr`` file written by :func:`write_native` (exactly as written).

    Parameters
    ----------
    path : str or Path
    device : None
        The file holds its device; passing one is a ParameterError.
    columns : None
        Not used.
    meta : dict, optional
        Extra metadata merged over the stored meta.

    Raises
    ------
    FormatError
        Not a ``.pmr`` file, a newer format version, missing or inconsistent arrays.

    Examples
    --------
    >>> import os, tempfile
    >>> from penmotor import Recording
    >>> rec = Recording.from_arrays(t=[0, .01], x=[0, 1], y=[0, 0], raw={"x": [0, 200]})
    >>> p = os.path.join(tempfile.mkdtemp(), "a.pmr")
    >>> write_native(rec, p)
    >>> read_native(p).raw["x"]
    array([  0, 200])
    """
    p = Path(path)
    no_columns(columns, "native")
    if device is not None:
        raise ParameterError("device: a .pmr file stores its own device; another device does not apply",
                             argument="device")
    try:
        blob = p.read_bytes()
        zf = zipfile.ZipFile(io.BytesIO(blob), "r")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise FormatError(f"not a penmotor .pmr file (not a ZIP archive: {exc})", path=p) from None
    infos = {i.filename: i for i in zf.infolist()}

    def member_bytes(name: str) -> Any:
        """The stored bytes of a member, sliced from the file (CRC-checked); zipfile otherwise."""
        i = infos[name]
        h = i.header_offset
        if i.compress_type != zipfile.ZIP_STORED or blob[h : h + 4] != b"PK\x03\x04":
            return zf.read(name)
        start = h + 30 + int.from_bytes(blob[h + 26 : h + 28], "little") + int.from_bytes(blob[h + 28 : h + 30], "little")
        view = memoryview(blob)[start : start + i.compress_size]
        if len(view) != i.compress_size or zlib.crc32(view) != i.CRC:
            raise zipfile.BadZipFile(f"bad CRC or size for member {name!r}")
        return view

    with zf:
        try:
            names = set(zf.namelist())
            if _JSON not in names:
                raise FormatError(f"not a penmotor .pmr file (no {_JSON} member)", path=p)
            try:
                doc = json.loads(zf.read(_JSON).decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise FormatError(f"{_JSON} is not valid JSON: {exc}", path=p, field=_JSON) from None
            if not isinstance(doc, dict) or doc.get("magic") != _MAGIC:
                raise FormatError(f"not a penmotor .pmr file ({_JSON} lacks the magic)", path=p, field="magic")
            ver = doc.get("format_version")
            if not isinstance(ver, int) or ver > FORMAT_VERSION or ver < 1:
                raise FormatError(
                    f"format_version {ver!r} is not supported by this penmotor (reads 1..{FORMAT_VERSION})",
                    path=p, field="format_version",
                )
            n = doc.get("n_samples")
            if not isinstance(n, int) or n < 0:
                raise FormatError(f"bad n_samples {n!r}", path=p, field="n_samples")

            def load(member: str) -> np.ndarray:
                if member not in names:
                    raise FormatError("missing array", path=p, field=member)
                try:
                    a = _fast_npy(member_bytes(member), (doc.get("arrays") or {}).get(member))
                    if a is None:
                        with zf.open(member) as fh:
                            a = np.lib.format.read_array(fh, allow_pickle=False)
                except (ValueError, TypeError, OSError, EOFError, zipfile.BadZipFile, KeyError,
                        SyntaxError, tokenize.TokenError, RecursionError) as exc:  # numpy parses the header
                    raise FormatError(f"corrupt array ({exc})", path=p, field=member) from None
                if a.ndim < 1 or a.shape[0] != n:
                    raise FormatError(f"expected {n} samples, array has shape {a.shape}", path=p, field=member)
                return a

            ch = {}
            for k in CHANNELS:
                a = load(f"ch/{k}.npy")
                want = np.bool_ if k == "pen_down" else np.float64
                if a.dtype != want or a.ndim != 1:
                    raise FormatError(f"expected 1-D {np.dtype(want).name}, got {a.dtype} {a.shape}",
                                      path=p, field=f"ch/{k}.npy")
                ch[k] = a
            raw_names = doc.get("raw", [])
            extra_names = doc.get("extra", [])
            if not (isinstance(raw_names, list) and isinstance(extra_names, list)):
                raise FormatError("raw/extra must be lists of names", path=p, field=_JSON)
            raw = {str(k): load(f"raw/{k}.npy") for k in raw_names}
            extra = {str(k): load(f"extra/{k}.npy") for k in extra_names}
            for k, a in extra.items():
                if a.dtype != np.float64 or a.ndim != 1:
                    raise FormatError(f"expected 1-D float64, got {a.dtype} {a.shape}", path=p,
                                      field=f"extra/{k}.npy")
            t = ch["t"]
            if n and (not np.isfinite(t).all() or (np.diff(t) < 0).any()):
                raise FormatError("time stamps must be finite and non-decreasing", path=p, field="ch/t.npy")
            for k in ("x", "y"):  # what Recording.from_arrays guarantees, checked here as well
                if not np.isfinite(ch[k]).all():
                    raise FormatError("positions must be finite", path=p, field=f"ch/{k}.npy")
            pr = ch["pressure"][np.isfinite(ch["pressure"])]
            if pr.size and (pr.min() < 0.0 or pr.max() > 1.0):
                raise FormatError("pressure must be within 0..1 (or NaN)", path=p, field="ch/pressure.npy")
            if glitch_steps(t, ch["pen_down"]).size:  # penmotor writes none (time-stamp policy)
                raise FormatError(f"time stamps jump by more than {GLITCH_JUMP_S:g} s (corrupt clock)",
                                  path=p, field="ch/t.npy")
            try:
                dev = None if doc.get("device") is None else Device.from_dict(decode_meta(doc["device"]))
                md = decode_meta(doc.get("meta") or {})
                tm = decode_meta(doc.get("timing") or {})
                timing = Timing(**tm)
            except (ParameterError, TypeError, ValueError, AttributeError) as exc:
                raise FormatError(f"bad device/meta/timing: {exc}", path=p, field=_JSON) from None
            if not isinstance(md, dict):
                raise FormatError("meta must be a JSON object", path=p, field="meta")
        except (zipfile.BadZipFile, KeyError) as exc:
            raise FormatError(f"corrupt ZIP archive: {exc}", path=p) from None
    if meta:
        md.update(meta)
    return Recording(ch, device=dev, meta=md, raw=raw, extra=extra, timing=timing)


register_format(Format("native", (".pmr",), read_native, write_native, sniff_native))
