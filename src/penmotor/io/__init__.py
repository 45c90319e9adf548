"""Readers and writers: :func:`read` and :func:`write` dispatch on the format name or extension.

Each format lives in its own module (``svc``, ``inkml``, ``uci``, ``curious``, ``native``)
and registers itself in :data:`FORMATS` with its extensions, reader and (optional) writer.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import FormatError, ParameterError
from ..recording import Recording

__all__ = ["read", "write", "detect_format", "FORMATS", "register_format", "format_names"]


@dataclass(frozen=True)
class Format:
    """A registered file format."""

    name: str
    extensions: tuple[str, ...]
    reader: Callable[..., Any] | None
    writer: Callable[..., None] | None = None
    sniff: Callable[[bytes], bool] | None = None


FORMATS: dict[str, Format] = {}
_MODULES = ("native", "svc", "inkml", "uci", "curious")
_loaded = False


def register_format(fmt: Format) -> Format:
    """Add a format to :data:`FORMATS` (called by each format module on import).

    Examples
    --------
    >>> "svc" in FORMATS or True
    True
    """
    FORMATS[fmt.name] = fmt
    return fmt


def _load() -> None:
    global _loaded
    if not _loaded:
        _loaded = True
        for m in _MODULES:
            try:
                importlib.import_module(f"{__name__}.{m}")
            except ModuleNotFoundError as exc:  # pragma: no cover - only while a module is missing
                if exc.name != f"{__name__}.{m}":
                    raise


def format_names() -> list[str]:
    """Names of the registered formats (``format=`` values), sorted.

    Examples
    --------
    >>> format_names()
    ['curious', 'inkml', 'native', 'svc', 'uci']
    """
    _load()
    return sorted(FORMATS)


def _resolve(path: Path, format: str | None, *, for_write: bool) -> Format:
    _load()
    if format is not None:
        try:
            return FORMATS[format]
        except KeyError:
            raise ParameterError(f"format: unknown {format!r}", argument="format",
                                 advice=f"known: {sorted(FORMATS)}") from None
    name = path.name.lower()
    matches = [f for f in FORMATS.values() if any(name.endswith(e) for e in f.extensions)]
    if not for_write and len(matches) != 1 and path.is_file():
        with open(path, "rb") as fh:
            head = fh.read(4096)
        sniffed = [f for f in (matches or FORMATS.values()) if f.sniff is not None and f.sniff(head)]
        if len(sniffed) == 1:
            return sniffed[0]
    if len(matches) == 1:
        return matches[0]
    raise FormatError(
        "cannot tell the format from the name", path=path, argument="format",
        advice=f"pass format= one of {sorted(FORMATS)}",
    )


def read(
    path: str | Path,
    *,
    format: str | None = None,
    columns: Any = None,
    device: Any = None,
    **options: Any,
) -> Any:
    """Read a pen recording file.

    Parameters
    ----------
    path : str or Path
        The file.
    format : str, optional
        ``"svc"``, ``"inkml"``, ``"uci"``, ``"curious"`` or ``"native"``; sniffed from the
        extension (and content) when omitted.
    columns : str or list of str, optional
        Column order for SVC: a preset (``"pahaw"``, ``"bdalab"``) or a list of names.
    device : Device or str, optional
        Device (or preset name) giving the units when the file does not.
    **options
        Format-specific options (see each format module).

    Returns
    -------
    Recording or list of Recording
        One Recording; a list for files that hold several (UCI: one per test id).

    Raises
    ------
    FormatError
        Malformed file (names file, line and field); :class:`~penmotor.UnitsError`
        when units cannot be established.

    Examples
    --------
    >>> import penmotor, tempfile, os
    >>> rec = penmotor.synth.handwriting("ab", seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "ab.inkml")
    >>> penmotor.write(rec, path)
    >>> len(penmotor.read(path)) == len(rec)
    True
    """
    p = Path(path)
    if not p.exists():
        raise FormatError("no such file", path=p)
    if p.is_dir():
        raise FormatError("is a directory, not a recording file", path=p)
    fmt = _resolve(p, format, for_write=False)
    if fmt.reader is None:
        raise ParameterError(f"format {fmt.name!r} cannot be read")
    kw = dict(options)
    if columns is not None:
        kw["columns"] = columns
    if device is not None:
        kw["device"] = device
    return fmt.reader(p, **kw)


def detect_format(path: str | Path) -> str | None:
    """The format :func:`read` would use for this file (from its name and content), or None.

    Batch runs use it to pick recording files out of folders.

    Examples
    --------
    >>> import penmotor, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> penmotor.write(penmotor.synth.handwriting("ab", seed=0), os.path.join(d, "ab.pmr"))
    >>> _ = open(os.path.join(d, "notes.txt"), "w").write("shopping list")
    >>> detect_format(os.path.join(d, "ab.pmr")), detect_format(os.path.join(d, "notes.txt"))
    ('native', None)
    """
    p = Path(path)
    if not p.is_file():
        return None
    try:
        return _resolve(p, None, for_write=False).name
    except (FormatError, OSError):
        return None


def write(rec: Recording, path: str | Path, *, format: str | None = None, **options: Any) -> None:
    """Write a recording; the format follows the extension (``.inkml``, native ``.pmr``).

    Examples
    --------
    >>> import penmotor, tempfile, os
    >>> rec = penmotor.synth.handwriting("ab", seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "ab.pmr")
    >>> penmotor.write(rec, path)
    >>> penmotor.read(path) == rec
    True
    """
    if not isinstance(rec, Recording):
        raise ParameterError(f"rec: expected a penmotor.Recording, got {type(rec).__name__}")
    p = Path(path)
    fmt = _resolve(p, format, for_write=True)
    if fmt.writer is None:
        raise ParameterError(f"format {fmt.name!r} has no writer; use .pmr (native) or .inkml")
    fmt.writer(rec, p, **options)
