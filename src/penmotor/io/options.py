"""One set of reader options for every command that reads files: ``features``, ``add``, ``scan``.

The command line spells the library's keyword arguments of :func:`penmotor.read` (and of the
scan loader) as flags, under the same names on every subcommand where they apply:

==================  =========================================  ==============================
flag                library keyword                            applies to
==================  =========================================  ==============================
``--format``        ``format=``                                recordings
``--columns``       ``columns=`` (a preset or ``x,y,t,...``)   recordings (SVC)
``--device``        ``device=`` (a preset name)                recordings
``--resolution``    ``device=Device(x_resolution=...)``        recordings (lines per mm)
``--pressure-max``  ``device=Device(pressure_range=(0, N))``   recordings
``--screen-mm``     ``device=curious_device(W, H)``            recordings (Curious)
``--dpi``           ``dpi=`` (used when the file states none)  scans
``--force-dpi``     ``force_dpi=`` (whatever the file states)  scans
==================  =========================================  ==============================

Errors raised by the library carry the keyword argument that would fix them
(:attr:`penmotor.PenmotorError.argument`); :func:`explain` words them for the command
line, naming the flag, so the library's own messages stay about Python calls.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

__all__ = ["add_reader_arguments", "reader_kwargs", "scan_kwargs", "explain", "FLAGS"]

#: Library keyword (or device field) -> the command-line flag that supplies it.
FLAGS: dict[str, str] = {
    "format": "--format",
    "columns": "--columns",
    "device": "--device",
    "device.x_resolution": "--resolution",
    "device.pressure_range": "--pressure-max",
    "screen_mm": "--screen-mm",
    "dpi": "--dpi",
    "force_dpi": "--force-dpi",
}

_KINDS = frozenset({"recordings", "scans"})


def add_reader_arguments(parser: argparse.ArgumentParser, *,
                         formats: Collection[str] = ("recordings", "scans")) -> argparse.ArgumentParser:
    """Add the reader flags to a subcommand's parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The subcommand parser.
    formats : collection of {"recordings", "scans"}
        Which kinds of file the subcommand reads: ``"recordings"`` adds ``--format
        --columns --device --resolution --pressure-max --screen-mm``; ``"scans"`` adds
        ``--dpi --force-dpi``.

    Returns
    -------
    argparse.ArgumentParser
        `parser`, for chaining.

    Examples
    --------
    >>> p = add_reader_arguments(argparse.ArgumentParser(), formats=("recordings",))
    >>> a = p.parse_args(["--columns", "x,y,t,pen,azimuth,altitude,pressure", "--resolution", "200",
    ...                   "--pressure-max", "1023"])
    >>> a.columns, a.resolution, a.pressure_max
    ('x,y,t,pen,azimuth,altitude,pressure', 200.0, 1023.0)
    """
    kinds = set(formats)
    if not kinds or not kinds <= _KINDS:
        from ..errors import ParameterError

        raise ParameterError(f"formats: expected some of {sorted(_KINDS)}, got {sorted(kinds)!r}")
    g = parser.add_argument_group("reading the files")
    if "recordings" in kinds:
        g.add_argument("--format", metavar="NAME",
                       help="file format when the name does not tell: svc, inkml, uci, curious, native")
        g.add_argument("--columns", metavar="ORDER",
                       help="SVC column order: pahaw, bdalab (svc2004) or 7 names in file order, "
                            "e.g. x,y,t,pen,azimuth,altitude,pressure")
        g.add_argument("--device", metavar="PRESET",
                       help="device preset giving the units (e.g. wacom-intuos4, pahaw)")
        g.add_argument("--resolution", type=float, metavar="LINES_PER_MM",
                       help="position units per mm, for a tablet without a preset (overrides the preset's)")
        g.add_argument("--pressure-max", type=float, metavar="N",
                       help="largest raw pressure value (pressure 0..N becomes 0..1)")
        g.add_argument("--screen-mm", type=float, nargs=2, metavar=("WIDTH", "HEIGHT"),
                       help="Curious exports: size of the drawing area on the screen, in mm")
    if "scans" in kinds:
        g.add_argument("--dpi", type=float, metavar="N",
                       help="scan resolution (pixels per inch) for files that do not state it; "
                            "PDFs are rasterised at it (default 300)")
        g.add_argument("--force-dpi", type=float, metavar="N",
                       help="scan resolution to use even when the file states another")
    return parser


def _usage(msg: str) -> Exception:
    from ..errors import ParameterError

    return ParameterError(msg)


def reader_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The :func:`penmotor.read` keyword arguments the parsed flags stand for.

    ``--resolution``, ``--pressure-max`` and ``--screen-mm`` become a ``device=``
    (:class:`penmotor.Device`), built on the ``--device`` preset when one is named.
    Flags not given are left out, so the readers' own defaults apply.

    Raises
    ------
    ParameterError
        Flags that contradict each other (``--screen-mm`` with ``--device`` or
        ``--resolution``), naming the flags.

    Examples
    --------
    >>> ns = argparse.Namespace(format=None, columns="x,y,t,pen,azimuth,altitude,pressure", device=None,
    ...                         resolution=200.0, pressure_max=1023.0, screen_mm=None)
    >>> kw = reader_kwargs(ns)
    >>> kw["columns"], kw["device"].x_resolution, kw["device"].pressure_range
    (['x', 'y', 't', 'pen', 'azimuth', 'altitude', 'pressure'], 200.0, (0.0, 1023.0))
    >>> reader_kwargs(argparse.Namespace(columns="pahaw", device="pahaw"))
    {'columns': 'pahaw', 'device': 'pahaw'}
    """
    from ..recording import Device, get_device

    kw: dict[str, Any] = {}
    fmt = getattr(args, "format", None)
    if fmt:
        kw["format"] = fmt
    cols = getattr(args, "columns", None)
    if cols:
        kw["columns"] = [c.strip() for c in cols.split(",")] if "," in cols else cols
    preset = getattr(args, "device", None)
    res = getattr(args, "resolution", None)
    pmax = getattr(args, "pressure_max", None)
    screen = getattr(args, "screen_mm", None)
    if screen is not None:
        if preset or res is not None:
            raise _usage("--screen-mm gives the units of a Curious export; do not combine it with "
                         "--device or --resolution")
        from .curious import curious_device

        dev = curious_device(*screen)
        if pmax is not None:
            dev = dataclasses.replace(dev, pressure_range=(0.0, pmax))
        kw["device"] = dev
    elif res is not None or pmax is not None:
        base = get_device(preset) if preset else None
        fields: dict[str, Any] = {}
        if res is not None:
            fields.update(x_resolution=res, y_resolution=res)
        if pmax is not None:
            fields["pressure_range"] = (0.0, pmax)
        try:
            kw["device"] = (dataclasses.replace(base, **fields) if base is not None
                            else Device("command line", **fields))
        except ValueError as exc:  # Device's own ParameterError names the field
            raise _usage(f"--resolution/--pressure-max: {exc}") from None
    elif preset:
        kw["device"] = preset
    return kw


def scan_kwargs(args: argparse.Namespace) -> dict[str, Any]:
    """The scan loader's keyword arguments (``dpi``, ``force_dpi``) the parsed flags stand for.

    Examples
    --------
    >>> scan_kwargs(argparse.Namespace(dpi=300.0, force_dpi=None))
    {'dpi': 300.0}
    """
    return {k: v for k in ("dpi", "force_dpi") if (v := getattr(args, k, None)) is not None}


def _advice(argument: str) -> str | None:
    if argument == "format":
        from . import format_names

        return f"use --format, one of {', '.join(format_names())}"
    if argument == "columns":
        return ("use --columns pahaw, bdalab or svc2004, or the 7 names in file order, "
                "e.g. --columns x,y,t,pen,azimuth,altitude,pressure")
    if argument == "device":
        from ..recording import DEVICES

        return (f"use --device, one of {', '.join(sorted(DEVICES))}, or --resolution LINES_PER_MM "
                "(with --pressure-max N when the file has pressure)")
    if argument == "device.x_resolution":
        return "use --resolution LINES_PER_MM (position units per mm)"
    if argument == "device.pressure_range":
        return "use --pressure-max N (the largest raw pressure value of the tablet)"
    if argument == "screen_mm":
        return "use --screen-mm WIDTH HEIGHT (the drawing area on the screen, in mm)"
    if argument == "dpi":
        return "use --dpi N (pixels per inch, for files that do not state it) or --force-dpi N"
    return None


def explain(exc: BaseException, *, flags: Mapping[str, str] | None = None) -> str:
    """An error message for the command line: the fix is a flag, not a Python keyword.

    When the library error names the keyword argument that would fix it (and the library
    offered a fix), the advice is replaced by the flag's; any other error reads as it is.

    Parameters
    ----------
    exc : Exception
        Usually a :class:`penmotor.PenmotorError`.
    flags : mapping, optional
        Keyword -> flag; default :data:`FLAGS`. A keyword missing here keeps the
        library's advice.

    Examples
    --------
    >>> from penmotor.errors import UnitsError
    >>> err = UnitsError("a.csv: screen size not in the file", argument="screen_mm",
    ...                  advice="pass screen_mm=(width_mm, height_mm)")
    >>> explain(err)
    'a.csv: screen size not in the file; use --screen-mm WIDTH HEIGHT (the drawing area on the screen, in mm)'
    >>> explain(ValueError("plain"))
    'plain'
    """
    from ..errors import PenmotorError

    table = FLAGS if flags is None else flags
    if isinstance(exc, PenmotorError) and exc.advice and exc.argument in table:
        advice = _advice(exc.argument) if flags is None else None
        return exc.explain(advice or f"use {table[exc.argument]}")
    return str(exc)
