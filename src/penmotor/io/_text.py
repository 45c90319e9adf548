"""Shared helpers of the format modules: size guard, fast table parse, exact error location,
sniffing a row of numbers, atomic writes.

The fast path is one vectorised parse (:func:`numpy.loadtxt`, C implementation) of
the whole table. Only when it fails (or yields non-finite numbers) is the text walked
line by line, and only to name the first bad line and field in the error.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..errors import FormatError, ParameterError

#: Default limit on the size of a text recording read into memory (bytes).
DEFAULT_MAX_BYTES = 512 * 2**20


def check_size(path: Path, max_bytes: int | None) -> int:
    """Return the file size; FormatError when it exceeds `max_bytes` (None = no limit)."""
    size = os.path.getsize(path)
    if max_bytes is not None:
        if not isinstance(max_bytes, (int, np.integer)) or isinstance(max_bytes, bool) or max_bytes <= 0:
            raise ParameterError(f"max_bytes: expected a positive integer or None, got {max_bytes!r}")
        if size > max_bytes:
            raise FormatError(
                f"file is {size} bytes, more than max_bytes={max_bytes}; not read into memory "
                "(pass max_bytes= a larger number, or None, if this is really a recording)",
                path=path,
            )
    if size == 0:
        raise FormatError("empty file", path=path, line=1)
    return size


def read_text(path: Path, max_bytes: int | None) -> str:
    """Read a whole text file after the size check; undecodable bytes are a FormatError."""
    check_size(path, max_bytes)
    data = path.read_bytes()
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise FormatError("binary data (NUL byte) in a text recording", path=path, line=line)
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark (Excel, Windows tools) is dropped
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FormatError(f"not UTF-8/ASCII text ({exc.reason})", path=path, line=line) from None
    if "\r" in text:  # Windows (CR LF) and old Mac (CR) line ends; line numbers are unchanged
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


#: UTF-8 byte-order mark, written at the start of a file by Excel and other Windows tools.
BOM = b"\xef\xbb\xbf"


def file_head(head: bytes) -> bytes:
    r"""The first bytes of a file as a sniffer should see them: no byte-order mark, no CR.

    Examples
    --------
    >>> file_head(b"\xef\xbb\xbf3\r\n1 2\r\n")
    b'3\n1 2\n'
    """
    if head.startswith(BOM):
        head = head[len(BOM):]
    return head.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def strip_trailing_separator(text: str, delimiter: str) -> str:
    r"""Drop one `delimiter` at the end of every line, when the first data line has one.

    Spreadsheet exports often end each row with the separator (``1;2;3;``); that is not an
    empty last field. Files without it are returned unchanged.

    Examples
    --------
    >>> strip_trailing_separator("1;2;\n3;4;\n", ";")
    '1;2\n3;4\n'
    >>> strip_trailing_separator("1;2\n", ";")
    '1;2\n'
    """
    import re

    first = next((ln for ln in text.split("\n", 8) if ln.strip()), "")
    if not first.rstrip().endswith(delimiter):
        return text
    return re.sub(re.escape(delimiter) + r"[ \t]*$", "", text, flags=re.M)


def _split(line: str, delimiter: str | None) -> list[str]:
    return line.split(delimiter) if delimiter is not None else line.split()


def locate_error(
    lines: Sequence[str],
    names: Sequence[str],
    *,
    path: Path,
    delimiter: str | None,
    first_line: int,
) -> FormatError:
    """Walk `lines` (the slow path) and build the error for the first bad line/field."""
    n = len(names)
    for i, raw in enumerate(lines):
        if not raw.strip():
            continue
        fields = [f.strip() for f in _split(raw, delimiter)]
        lineno = first_line + i
        if len(fields) != n:
            field = names[min(len(fields), n - 1)] if len(fields) < n else None
            return FormatError(
                f"expected {n} fields ({', '.join(names)}), found {len(fields)}",
                path=path, line=lineno, field=field,
            )
        for name, f in zip(names, fields):
            try:
                v = float(f)
            except ValueError:
                return FormatError(f"not a number: {f[:40]!r}", path=path, line=lineno, field=name)
            if not math.isfinite(v):
                return FormatError(f"non-finite value {f[:40]!r}", path=path, line=lineno, field=name)
    return FormatError("could not parse the table", path=path)


def parse_table(
    text: str,
    names: Sequence[str],
    *,
    path: Path,
    delimiter: str | None = None,
    first_line: int = 1,
) -> np.ndarray:
    """Parse a numeric table (one sample a line) into an ``(n, len(names))`` float array.

    Blank lines are allowed (skipped). Every value must be a finite number.
    Raises a :class:`FormatError` naming file, line and field otherwise.
    """
    n = len(names)
    if not text.strip():
        raise FormatError("no samples (no data lines)", path=path, line=first_line)
    if delimiter is not None:
        text = strip_trailing_separator(text, delimiter)
    try:
        arr = np.loadtxt(
            io.StringIO(text), delimiter=delimiter, dtype=np.float64, ndmin=2, comments=None
        )
        ok = arr.shape[1] == n
    except (ValueError, IndexError):
        arr, ok = None, False
    if ok:
        finite = np.isfinite(arr)
        if finite.all():
            return arr
    lines = text.splitlines()
    raise locate_error(lines, names, path=path, delimiter=delimiter, first_line=first_line)


def no_columns(columns: object, fmt: str) -> None:
    """ParameterError when ``columns=`` is given to a format with a fixed layout."""
    if columns is not None:
        raise ParameterError(f"columns: the {fmt} format has a fixed column layout; a column order does not apply",
                             argument="columns")


def numeric_row(parts: Sequence[bytes], n: int, kind: Callable[[bytes], object]) -> bool:
    """True when `parts` are exactly `n` fields that `kind` (``int`` or ``float``) all parse (sniffers)."""
    if len(parts) != n:
        return False
    try:
        [kind(p) for p in parts]
    except ValueError:
        return False
    return True


def line_of_row(text: str, row: int, *, header_lines: int = 0) -> int:
    """1-based line of data row `row` after `header_lines` lines (blank lines skipped); error path only."""
    seen = -1
    for i, line in enumerate(text.splitlines()):
        if i < header_lines:
            continue
        if line.strip():
            seen += 1
            if seen == row:
                return i + 1
    return row + 1 + header_lines


@contextmanager
def atomic_write(path: Path) -> Iterator[BinaryIO]:
    """Open a temporary file next to `path` for binary writing; rename it over `path` on success.

    On any exception the temporary file is removed and `path` is left as it was, so a
    crash never leaves half a file.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                               dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
