"""Exceptions, warnings and the shared argument validators of penmotor.

One module for every error penmotor raises, in the style of librosa's
``ParameterError`` and scikit-image's ``check_nD``: messages name the argument
(or the file, line and field) and say what was expected. This module imports nothing
from penmotor, so every other module can import it; the validator of a
:class:`~penmotor.Recording` is :func:`penmotor.recording.valid_recording`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "PenmotorError",
    "FormatError",
    "UnitsError",
    "ParameterError",
    "PenmotorWarning",
    "valid_child_id",
    "as_float_array",
]


class PenmotorError(Exception):
    """Base class of every error penmotor raises on purpose.

    Parameters
    ----------
    message : str
        What is wrong (without the advice).
    argument : str, optional
        The keyword argument of the library call that supplies what is missing or wrong
        (``"columns"``, ``"device"``, ``"device.pressure_range"``, ``"dpi"`` ...). An interface
        other than Python (the command line) uses it to phrase its own advice, see
        :meth:`explain`.
    advice : str, optional
        How to fix it in a Python call (``"pass columns= ..."``); appended to the message.

    Examples
    --------
    >>> issubclass(FormatError, PenmotorError)
    True
    >>> err = ParameterError("columns: unknown preset 'x'", argument="columns", advice="pass columns='pahaw'")
    >>> str(err)
    "columns: unknown preset 'x'; pass columns='pahaw'"
    >>> err.explain("use --columns pahaw")
    "columns: unknown preset 'x'; use --columns pahaw"
    """

    def __init__(self, message: str = "", *, argument: str | None = None, advice: str | None = None) -> None:
        self.message = str(message)
        self.argument = argument
        self.advice = advice
        super().__init__(self.explain(advice))

    def explain(self, advice: str | None) -> str:
        """The message with `advice` (phrased for the caller's interface) in place of the library's.

        Examples
        --------
        >>> UnitsError("no device", argument="device", advice="pass device=").explain(None)
        'no device'
        """
        return f"{self.message}; {advice}" if advice else self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep the keyword attributes across pickling (process pools, Dask workers).
        return (_restore, (type(self), self.args, dict(self.__dict__)))


def _restore(cls: type, args: tuple[Any, ...], state: dict[str, Any]) -> PenmotorError:
    obj = cls.__new__(cls)
    Exception.__init__(obj, *args)
    obj.__dict__.update(state)
    return obj


class FormatError(PenmotorError):
    """A file is malformed: the message names the file, line and field.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    path : str or Path, optional
        The file being read.
    line : int, optional
        1-based line number (or record number for binary formats).
    field : str, optional
        The column, attribute or channel at fault.
    argument, advice : str, optional
        As in :class:`PenmotorError`.

    Examples
    --------
    >>> err = FormatError("not a number", path="a.svc", line=3, field="x")
    >>> str(err)
    "a.svc, line 3, field 'x': not a number"
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
        argument: str | None = None,
        advice: str | None = None,
    ) -> None:
        self.path = None if path is None else str(path)
        self.line = line
        self.field = field
        self.reason = message
        where = []
        if self.path is not None:
            where.append(self.path)
        if line is not None:
            where.append(f"line {line}")
        if field is not None:
            where.append(f"field {field!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message, argument=argument,
                         advice=advice)


class UnitsError(FormatError):
    """Physical units cannot be established (e.g. no device resolution).

    Raised instead of guessing: the message says which quantity is missing and
    how to supply it (a ``device=`` preset name or a :class:`penmotor.Device`).

    Examples
    --------
    >>> issubclass(UnitsError, FormatError)
    True
    """


class ParameterError(PenmotorError, ValueError):
    """A function argument is invalid; the message names the argument.

    Examples
    --------
    >>> issubclass(ParameterError, ValueError)
    True
    """


class PenmotorWarning(UserWarning):
    """Something was repaired or is suspicious but the result is still defined.

    Examples
    --------
    >>> issubclass(PenmotorWarning, UserWarning)
    True
    """


def as_float_array(values: Any, name: str, *, n: int | None = None) -> np.ndarray:
    """Convert `values` to a 1-D float64 array, with a :class:`ParameterError` naming `name`.

    Examples
    --------
    >>> as_float_array([1, 2], "x")
    array([1., 2.])
    """
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: expected numbers, got {values!r:.60}") from exc
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise ParameterError(f"{name}: expected a 1-D array, got shape {arr.shape}")
    if n is not None and arr.shape[0] != n:
        raise ParameterError(f"{name}: expected {n} values (as many as t), got {arr.shape[0]}")
    return arr


_CHILD_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")  # whole string: see fullmatch below


def valid_child_id(child: Any) -> str:
    """Check a child id is a pseudonymous code, not a name (the one rule used everywhere).

    An id is 1-64 characters of letters, digits, ``_``, ``.`` or ``-``, starting with a
    letter or digit, and **contains at least one digit** (``C001``, ``2026-017``): a word
    of letters only (``Emma``) or anything with spaces or ``@`` looks like a name or an
    e-mail address and is refused. penmotor never needs a child's name. Capture sessions
    and the progress store both use this rule, so an id accepted at the tablet is accepted
    by ``penmotor add``.

    Examples
    --------
    >>> valid_child_id("C001")
    'C001'
    >>> valid_child_id("C001\\n")  # the whole string, a trailing newline included
    Traceback (most recent call last):
    ...
    penmotor.errors.ParameterError: child: 'C001\\n' looks like a name; use a pseudonymous code such as C001 (letters, digits, _ . -, at least one digit)
    >>> valid_child_id("Emma Smith")
    Traceback (most recent call last):
    ...
    penmotor.errors.ParameterError: child: 'Emma Smith' looks like a name; use a pseudonymous code such as C001 (letters, digits, _ . -, at least one digit)
    """
    if not isinstance(child, str) or not _CHILD_ID_RE.fullmatch(child) or not any(c.isdigit() for c in child):
        raise ParameterError(
            f"child: {child!r} looks like a name; use a pseudonymous code such as C001 "
            "(letters, digits, _ . -, at least one digit)"
        )
    return child
