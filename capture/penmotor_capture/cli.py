"""``penmotor capture``: argument parsing and the handler (thin: calls the package).

The progress engineer wires :func:`add_cli` into ``penmotor``'s command line; the same
parser runs standalone as ``python -m penmotor_capture``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

__all__ = ["add_cli", "run", "main", "default_sessions_dir"]


def default_sessions_dir() -> Path:
    """``$PENMOTOR_SESSIONS`` or ``~/penmotor-sessions``."""
    return Path(os.environ.get("PENMOTOR_SESSIONS", Path.home() / "penmotor-sessions"))


def _speed(text: str) -> float:
    if text.lower() in ("max", "inf"):
        return float("inf")
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'max', got {text!r}") from None
    if not v > 0:
        raise argparse.ArgumentTypeError(f"expected > 0, got {text!r}")
    return v


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = text.lower().split("x")
        return int(w), int(h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    from .templates import TASKS

    p.add_argument("--child", help="pseudonymous child id (e.g. C001; never a name)")
    p.add_argument("--task", nargs="+", metavar="TASK", default=None, choices=TASKS,
                   help=f"tasks in order, from {', '.join(TASKS)} (default: all)")
    p.add_argument("--out", type=Path, help="session file (.pmr); default <sessions>/<child>/<child>_<time>.pmr")
    p.add_argument("--sessions", type=Path, default=None,
                   help="folder for sessions (default $PENMOTOR_SESSIONS or ~/penmotor-sessions)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--replay", metavar="FILE.evemu", help="play an evemu recording instead of a live pen")
    src.add_argument("--device", metavar="/dev/input/eventN", help="the tablet (default: first found)")
    src.add_argument("--mouse", action="store_true", help="mouse/touch fallback (no pressure)")
    p.add_argument("--speed", type=_speed, default=1.0, help="replay speed: 1 (recorded timing) or max")
    p.add_argument("--recover", action="store_true",
                   help="rebuild unfinished sessions from their journals, then exit")
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument("--size", type=_size, default=(1024, 768), help="window size WxH (default 1024x768)")
    p.add_argument("--mapping", choices=("aspect", "full"), default="aspect",
                   help="tablet -> window: keep aspect ratio (default) or stretch to full area")
    p.add_argument("--x-height", type=float, default=8.0, dest="x_height_mm",
                   help="handwriting line spacing (baseline to midline), mm (default 8)")
    p.add_argument("--sentence", default=None, help="sentence to copy")
    p.add_argument("--px-per-mm", type=float, default=96 / 25.4,
                   help="screen pixels per mm for the mouse fallback (default 96 dpi)")
    p.add_argument("--no-inkml", action="store_true", help="do not export InkML next to the session")
    p.add_argument("--screenshot", type=Path, help="save a PNG of the window at the end")
    p.add_argument("--max-frames", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--sync-log", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--start-delay", type=float, default=0.0, help=argparse.SUPPRESS)
    p.add_argument("--sync-interval", type=float, default=1.0, help=argparse.SUPPRESS)
    p.set_defaults(func=run)
    return p


def add_cli(subparsers: Any) -> argparse.ArgumentParser:
    """Register ``capture`` on a ``parser.add_subparsers()`` object; the handler is ``args.func``.

    Examples
    --------
    >>> ap = argparse.ArgumentParser(prog="penmotor")
    >>> _ = add_cli(ap.add_subparsers(dest="command"))
    >>> a = ap.parse_args(["capture", "--replay", "x.evemu", "--speed", "max", "--child", "C1"])
    >>> a.speed, a.child, a.func is run
    (inf, 'C1', True)
    """
    p = subparsers.add_parser(
        "capture", help="record a tablet session (pygame window)",
        description="Record a child's handwriting session from a pen tablet (evdev), the mouse, "
                    "or an evemu replay; crash-safe journal, saved as .pmr + .inkml.",
    )
    return _configure(p)


def _recover(args: argparse.Namespace, folder: Path) -> int:
    from .journal import journal_paths
    from .session import SaveError, recover, recover_all

    try:
        if args.out is not None and journal_paths(args.out)[1].exists():
            rec, paths = recover(args.out, inkml=not args.no_inkml)
            done = [(args.out, len(rec), paths)]
        else:
            done = recover_all(folder, inkml=not args.no_inkml)
    except SaveError as exc:
        print(f"penmotor capture: {exc}", file=sys.stderr)
        return 1
    if not done:
        print(f"no unfinished sessions under {folder}")
    for s, n, paths in done:
        print(f"recovered {s}: {n} samples -> {', '.join(map(str, paths))}")
    return 0


def run(args: argparse.Namespace) -> int:
    """The ``penmotor capture`` handler; returns the exit status."""
    from penmotor import PenmotorError

    from .session import SaveError, Session, default_session_path, recover_all
    from .sources import MouseSource, NoTabletError, ReplaySource, EvdevSource

    folder = args.sessions or (args.out.parent if args.out is not None else default_sessions_dir())
    if args.recover:
        return _recover(args, folder)
    # an earlier session that crashed is rebuilt first
    if folder.is_dir():
        try:
            for s, n, paths in recover_all(folder, inkml=not args.no_inkml):
                print(f"recovered unfinished session {s} ({n} samples)")
        except PenmotorError as exc:
            print(f"penmotor capture: could not recover an earlier session: {exc}", file=sys.stderr)
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    child = args.child or ("REPLAY0" if args.replay else None)
    if child is None and sys.stdin.isatty() and os.environ.get("SDL_VIDEODRIVER") != "dummy":
        from .window import ask_child

        known = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        picked = ask_child(size=args.size, fullscreen=args.fullscreen, known=known, tasks=args.task)
        if picked is None:
            print("penmotor capture: cancelled")
            return 0
        child, args.task = picked
    if child is None:
        print("penmotor capture: --child ID is required (a pseudonymous id such as C001)", file=sys.stderr)
        return 2
    message = None
    try:
        if args.replay:
            source = ReplaySource(args.replay, speed=args.speed, start_delay_s=args.start_delay)
        elif args.mouse:
            source = MouseSource(args.size, args.px_per_mm)
        else:
            try:
                source = EvdevSource(args.device)
            except NoTabletError as exc:
                if args.device:
                    raise
                message = f"{exc} -- recording the mouse instead (no pressure)"
                print(f"penmotor capture: {message}", file=sys.stderr)
                source = MouseSource(args.size, args.px_per_mm)
        from .templates import DEFAULT_SENTENCE, TASKS
        from .window import CaptureWindow

        out = args.out or default_session_path(child, folder)
        on_sync = None
        if args.sync_log:
            def on_sync(n: int, in_stroke: bool) -> None:
                print(f"fsync {n} {int(in_stroke)}", flush=True)
        tkw = {"x_height_mm": args.x_height_mm, "sentence": args.sentence or DEFAULT_SENTENCE}
        page = None
        if isinstance(source, MouseSource):
            page = (args.size[0] / args.px_per_mm, (args.size[1] - 28) / args.px_per_mm)
        session = Session(out, source.info, child=child, tasks=args.task or TASKS, template_kw=tkw,
                          page_mm=page, on_sync=on_sync, sync_interval_s=args.sync_interval,
                          meta={"capture_source": "replay" if args.replay else
                                ("mouse" if isinstance(source, MouseSource) else "evdev")})
        win = CaptureWindow(source, session, size=args.size, fullscreen=args.fullscreen,
                            mapping_mode=args.mapping, auto_finish=bool(args.replay and args.out),
                            message=message)
        paths = win.run(max_frames=args.max_frames, screenshot=args.screenshot)
    except SaveError as exc:
        print(f"penmotor capture: {exc}", file=sys.stderr)
        return 1
    except PenmotorError as exc:
        print(f"penmotor capture: {exc}", file=sys.stderr)
        return 2
    print(f"saved {session.n_samples} samples: {', '.join(map(str, paths))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m penmotor_capture``: the same options as ``penmotor capture``."""
    p = _configure(argparse.ArgumentParser(prog="penmotor capture", description=__doc__))
    args = p.parse_args(argv)
    return args.func(args)
