"""Capture benchmarks: decoder throughput (x real time) and window frame time under a 250 Hz pen.

Run:  SDL_VIDEODRIVER=dummy .venv/bin/python benchmarks/capture_decode.py [--quick]

1. Decoder: each evemu recording in ../shared/data/evemu is parsed (numpy) and decoded
   (vectorised ``penmotor_capture.decode``); throughput = recording duration / wall time.
   Baseline in the same run: a straightforward per-event Python state machine (the
   obvious implementation) on the already-parsed events.
2. Window: the three Intuos4 recordings (~250 Hz) are joined into one stream, replayed at
   recorded speed through the real pygame loop (60 fps cap, headless); reports the work
   time per frame (p50/p99/max, target p99 < 16 ms) and checks no sample was dropped.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import numpy as np  # noqa: E402

from penmotor_capture import EventStream, decode, read_evemu  # noqa: E402
from penmotor_capture.events import BTN_TOUCH, EV_ABS, EV_KEY, EV_SYN, PEN_TOOLS, SYN_REPORT  # noqa: E402
from _timing import best_of  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PENMOTOR_SHARED_DATA", ROOT.parent / "shared" / "data")) / "evemu"


def baseline_decode(t, ty, co, va):
    """Per-event Python loop (what one writes first); x, y, contact only."""
    state, out, frame = {}, [], []
    for ti, a, b, v in zip(t.tolist(), ty.tolist(), co.tolist(), va.tolist()):
        if a == EV_SYN and b == SYN_REPORT:
            for x, y, val in frame:
                state[(x, y)] = val
            frame = []
            tools = [state.get((EV_KEY, k)) for k in PEN_TOOLS]
            if (all(v is None for v in tools) or any(v == 1 for v in tools)) and (EV_ABS, 0) in state \
                    and (EV_ABS, 1) in state:
                out.append((ti, state[(EV_ABS, 0)], state[(EV_ABS, 1)], state.get((EV_KEY, BTN_TOUCH)) == 1))
        elif a in (EV_ABS, EV_KEY):
            frame.append((a, b, v))
    return out


def bench_decoder(repeat: int) -> float:
    print("== decoder throughput (multiple of real time; best of %d)" % repeat)
    print(f"{'file':42s} {'events':>7s} {'dur s':>6s} {'parse+decode':>13s} {'decode':>10s} {'baseline':>10s} {'speedup':>8s}")
    tot_dur = tot_full = tot_dec = tot_base = 0.0
    for f in sorted(DATA.glob("*.ev*")):
        s = read_evemu(f)
        dur = s.duration_s
        full = best_of(lambda: (lambda st: decode(st.t_us, st.type, st.code, st.value))(read_evemu(f)), repeat)
        dec = best_of(lambda: decode(s.t_us, s.type, s.code, s.value), repeat)
        base = best_of(lambda: baseline_decode(s.t_us, s.type, s.code, s.value), repeat)
        assert len(baseline_decode(s.t_us, s.type, s.code, s.value)) == len(decode(s.t_us, s.type, s.code, s.value))
        tot_dur += dur; tot_full += full; tot_dec += dec; tot_base += base
        print(f"{f.name:42s} {len(s):7d} {dur:6.2f} {dur / full:12.0f}x {dur / dec:9.0f}x {dur / base:9.0f}x"
              f" {base / dec:7.1f}x")
    print(f"{'ALL':42s} {'':7s} {tot_dur:6.2f} {tot_dur / tot_full:12.0f}x {tot_dur / tot_dec:9.0f}x"
          f" {tot_dur / tot_base:9.0f}x {tot_base / tot_dec:7.1f}x")
    return tot_dur / tot_full


def joined_intuos4() -> EventStream:
    parts = [read_evemu(DATA / f"wacom_intuos4_6x9.{n}.events") for n in ("stylus-move", "stylus-drag", "stylus-tap")]
    t, ty, co, va = [], [], [], []
    offset = 0
    for p in parts:
        tt = p.t_us - p.t_us[0] + offset
        t.append(tt); ty.append(p.type); co.append(p.code); va.append(p.value)
        offset = int(tt[-1]) + 20_000
    return EventStream(parts[0].info, np.concatenate(t), np.concatenate(ty), np.concatenate(co), np.concatenate(va))


def bench_window(speed: float) -> tuple[float, int, int]:
    from penmotor_capture.session import Session
    from penmotor_capture.sources import ReplaySource
    from penmotor_capture.window import CaptureWindow

    stream = joined_intuos4()
    expect = decode(stream.t_us, stream.type, stream.code, stream.value, initial={BTN_TOUCH: 0, "pressure": 0})
    rate = 1e6 / np.median(np.diff(expect["t_us"]))
    src = ReplaySource(stream, speed=speed, start_delay_s=0.2)
    with tempfile.TemporaryDirectory() as d:
        ses = Session(Path(d) / "bench.pmr", src.info, child="BENCH", tasks=["sentence"])
        win = CaptureWindow(src, ses, size=(1280, 800), fps=60, auto_finish=True)
        t0 = time.perf_counter()
        try:
            win.run()
        except Exception as exc:  # saving needs the native writer; frame times are what we measure
            print(f"  (save: {exc.__class__.__name__}: {str(exc)[:80]})")
        wall = time.perf_counter() - t0
    ft = np.array(win.frame_times[5:]) * 1e3  # skip window creation frames
    print(f"== window loop under a replayed {rate:.0f} Hz stream ({stream.duration_s / speed:.1f} s at speed {speed:g}; "
          f"{len(ft)} frames in {wall:.1f} s)")
    print(f"frame work time: p50 {np.percentile(ft, 50):.2f} ms, p99 {np.percentile(ft, 99):.2f} ms, "
          f"max {ft.max():.2f} ms (target p99 < 16 ms)")
    dropped = len(expect) - ses.n_samples
    print(f"samples: decoded from file {len(expect)}, received by window {win.received}, "
          f"accepted+journaled {ses.n_samples} -> dropped {dropped}")
    return float(np.percentile(ft, 99)), dropped, len(expect)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--quick", action="store_true", help="fewer repeats, window at 2x speed")
    a = ap.parse_args()
    if not DATA.is_dir():
        print(f"no evemu recordings at {DATA}", file=sys.stderr)
        return 1
    x = bench_decoder(3 if a.quick else 20)
    p99, dropped, _ = bench_window(2.0 if a.quick else 1.0)
    print(f"\nSUMMARY: decoder {x:.0f}x real time (target >= 100x); window p99 {p99:.2f} ms (target < 16); "
          f"dropped samples {dropped}")
    return 0 if (x >= 100 and p99 < 16 and dropped == 0) else 1


if __name__ == "__main__":
    sys.exit(main())
