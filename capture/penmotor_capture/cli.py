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


#: Exit status: saved to a fallback folder (the session folder could not be written).
EXIT_FALLBACK = 3
#: Exit status after Ctrl-C (the session was saved, or its journal is safe).
EXIT_INTERRUPTED = 130


def _epilog() -> str:
    from .window import KEYS

    keys = "\n".join(f"  {k:<18} {what}" for k, what in KEYS)
    return ("keys in the capture window:\n" + keys + "\n  closing the window  save and quit\n\n"
            "exit status: 0 saved; 1 not saved (journal kept for --recover); 2 refused or usage error; "
            f"{EXIT_FALLBACK} saved, but to a fallback folder; {EXIT_INTERRUPTED} Ctrl-C")


def _configure(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
    from .templates import TASKS

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = _epilog()
    p.add_argument("--child", help="pseudonymous child id (e.g. C001; never a name)")
    p.add_argument("--task", nargs="+", metavar="TASK", default=None, choices=TASKS,
                   help=f"tasks in order, from {', '.join(TASKS)} (default: all)")
    p.add_argument("--out", type=Path, help="session file (.pmr; an .inkml name writes both); default "
                   "<sessions>/<child>/<child>_<time>.pmr, for replays ./penmotor-replays/<name>_<time>.pmr")
    p.add_argument("--sessions", type=Path, default=None,
                   help="folder for sessions (default $PENMOTOR_SESSIONS or ~/penmotor-sessions)")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--replay", metavar="FILE.evemu", help="play an evemu recording instead of a live pen")
    src.add_argument("--device", metavar="/dev/input/eventN", help="the tablet (default: first found)")
    src.add_argument("--mouse", action="store_true",
                     help="record the mouse or touch screen on purpose (no pressure, no tilt, no hover)")
    p.add_argument("--speed", type=_speed, default=1.0, help="replay speed: 1 (recorded timing) or max")
    p.add_argument("--recover", action="store_true",
                   help="rebuild unfinished sessions from their journals, then exit")
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument("--display", type=int, default=0, metavar="N",
                   help="display (monitor) for the window and --fullscreen, 0 = first (default)")
    p.add_argument("--plan-minutes", type=float, default=None, metavar="MIN",
                   help="planned session length for the free-space check at start (default 5 per task; 0 = no check)")
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


def _report_recovered(results: list[Any], *, prefix: str) -> int:
    """Print one line per journal; returns how many failed."""
    failed = 0
    for r in results:
        if r.error is None:
            print(f"{prefix} {r.session}: {r.samples} samples -> {', '.join(map(str, r.files))}")
        else:
            failed += 1
            print(f"penmotor capture: could not recover {r.session}: {r.error}", file=sys.stderr)
    return failed


def _recover(args: argparse.Namespace, folder: Path) -> int:
    from .journal import journal_paths
    from .session import Recovered, recover, recover_all

    if args.out is not None and journal_paths(args.out)[1].exists():
        try:
            rec, paths = recover(args.out, inkml=not args.no_inkml)
            done = [Recovered(args.out, len(rec), paths)]
        except Exception as exc:  # reported with its path, like recover_all
            done = [Recovered(args.out, 0, [], str(exc))]
    else:
        done = recover_all(folder, inkml=not args.no_inkml)
    if not done:
        print(f"no unfinished sessions under {folder}")
    return 1 if _report_recovered(done, prefix="recovered") else 0


def _replay_out(args: argparse.Namespace) -> Path:
    import datetime as dt

    stem = Path(args.replay).name.split(".")[0]
    return Path.cwd() / "penmotor-replays" / f"{stem}_{dt.datetime.now():%Y%m%d-%H%M%S}.pmr"


def run(args: argparse.Namespace) -> int:
    """The ``penmotor capture`` handler; returns the exit status (see ``--help``)."""
    from penmotor import PenmotorError

    from .session import SaveError, Session, default_session_path, recover_all
    from .sources import EvdevSource, MouseSource, ReplaySource

    folder = args.sessions or (args.out.parent if args.out is not None else default_sessions_dir())
    if args.recover:
        return _recover(args, folder)
    # earlier sessions that crashed are rebuilt first, each on its own
    if folder.is_dir():
        _report_recovered(recover_all(folder, inkml=not args.no_inkml), prefix="recovered unfinished session")
    os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
    child = args.child or ("REPLAY0" if args.replay else None)
    if child is None and sys.stdin.isatty() and os.environ.get("SDL_VIDEODRIVER") != "dummy":
        from .window import ask_child

        known = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        picked = ask_child(size=args.size, fullscreen=args.fullscreen, known=known, tasks=args.task,
                           display=args.display)
        if picked is None:
            print("penmotor capture: cancelled")
            return 0
        child, args.task = picked
    if child is None:
        print("penmotor capture: --child ID is required (a pseudonymous id such as C001)", file=sys.stderr)
        return 2
    out = args.out
    inkml = not args.no_inkml
    if out is not None and out.suffix.lower() == ".inkml":  # --out x.inkml: x.pmr and x.inkml
        out, inkml = out.with_suffix(".pmr"), True
    if out is None:
        out = _replay_out(args) if args.replay and not args.child else default_session_path(child, folder)
    session = win = None
    try:
        if args.replay:
            source = ReplaySource(args.replay, speed=args.speed, start_delay_s=args.start_delay)
        elif args.mouse:
            source = MouseSource(args.size, args.px_per_mm)
        else:
            source = EvdevSource(args.device)  # no silent fallback: NoTabletError says why and how
        from .templates import DEFAULT_SENTENCE, TASKS
        from .window import STATUS_H, CaptureWindow

        on_sync = None
        if args.sync_log:
            def on_sync(n: int, in_stroke: bool) -> None:
                print(f"fsync {n} {int(in_stroke)}", flush=True)
        tkw = {"x_height_mm": args.x_height_mm, "sentence": args.sentence or DEFAULT_SENTENCE}
        page = None
        if isinstance(source, MouseSource):
            page = (args.size[0] / args.px_per_mm, (args.size[1] - STATUS_H) / args.px_per_mm)
        session = Session(out, source.info, child=child, tasks=args.task or TASKS, template_kw=tkw,
                          page_mm=page, on_sync=on_sync, sync_interval_s=args.sync_interval,
                          plan_minutes=args.plan_minutes,
                          meta={"capture_source": "replay" if args.replay else
                                ("mouse" if isinstance(source, MouseSource) else "evdev")})
        on_frame = None
        if args.replay:
            shown = [-1]

            def on_frame(w: Any, frame: int) -> None:  # progress on stdout, every 10 %
                p = w.source.progress
                if p is not None and int(p * 10) > shown[0]:
                    shown[0] = int(p * 10)
                    print(f"replay {10 * shown[0]:3d}% ({w.session.n_samples} samples)", flush=True)
        win = CaptureWindow(source, session, size=args.size, fullscreen=args.fullscreen,
                            mapping_mode=args.mapping, auto_finish=bool(args.replay), on_frame=on_frame,
                            display=args.display)
        paths = win.run(max_frames=args.max_frames, screenshot=args.screenshot)
    except SaveError as exc:
        print(f"penmotor capture: {exc}", file=sys.stderr)
        return EXIT_INTERRUPTED if win is not None and win.interrupted else 1
    except KeyboardInterrupt:
        if session is not None:
            print(f"penmotor capture: interrupted; every sample that reached the journal is safe in "
                  f"{session.journal.bin_path} - run `penmotor capture --recover --out {session.path}`",
                  file=sys.stderr)
        else:
            print("penmotor capture: interrupted before the session started; nothing was recorded", file=sys.stderr)
        return EXIT_INTERRUPTED
    except PenmotorError as exc:
        print(f"penmotor capture: {exc}", file=sys.stderr)
        return 2
    status = 0
    if session.storage_error:
        print(f"penmotor capture: the journal failed during the session ({session.storage_error}); "
              "every sample was kept in memory", file=sys.stderr)
    if session.used_fallback:
        print(f"penmotor capture: could not write {session.path}; the session was saved to a fallback "
              "folder instead - copy it to the sessions folder once there is space", file=sys.stderr)
        status = EXIT_FALLBACK
    if win.interrupted:
        print("penmotor capture: interrupted (Ctrl-C); the session was saved", file=sys.stderr)
        status = status or EXIT_INTERRUPTED
    for extra_file in paths[1:]:
        print(f"also wrote {extra_file}")
    print(f"saved {session.n_samples} samples: {paths[0]}", flush=True)
    return status


def main(argv: list[str] | None = None) -> int:
    """``python -m penmotor_capture``: the same options as ``penmotor capture``."""
    p = _configure(argparse.ArgumentParser(prog="penmotor capture", description=__doc__))
    args = p.parse_args(argv)
    return args.func(args)
