"""Reader options on the command line (minimal placeholder until the shared reader options land).

:func:`add_reader_arguments` adds the flags to a parser; :func:`reader_kwargs` maps parsed
arguments to the keyword arguments of :func:`penmotor.read`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

__all__ = ["add_reader_arguments", "reader_kwargs"]


def add_reader_arguments(parser: argparse.ArgumentParser, *, formats: Sequence[str] | None = None) -> None:
    """Add ``--format``, ``--columns`` and ``--device`` to `parser`.

    Examples
    --------
    >>> p = argparse.ArgumentParser(); add_reader_arguments(p)
    >>> p.parse_args(["--device", "wacom-intuos4"]).device
    'wacom-intuos4'
    """
    parser.add_argument("--format", choices=list(formats) if formats else None,
                        help="file format when the name does not tell")
    parser.add_argument("--columns", help="SVC column order: a preset (pahaw, bdalab) or comma-separated names")
    parser.add_argument("--device", help="device preset for formats without units (e.g. wacom-intuos4)")


def reader_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """Keyword arguments of :func:`penmotor.read` from parsed reader options (unset ones left out).

    Examples
    --------
    >>> reader_kwargs(argparse.Namespace(format=None, columns="x,y,t", device=None))
    {'columns': ['x', 'y', 't']}
    """
    out: dict[str, Any] = {}
    if getattr(args, "format", None):
        out["format"] = args.format
    cols = getattr(args, "columns", None)
    if cols:
        out["columns"] = cols.split(",") if "," in cols else cols
    if getattr(args, "device", None):
        out["device"] = args.device
    return out
