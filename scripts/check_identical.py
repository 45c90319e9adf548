"""Snapshot every feature value on a fixed corpus and check a later run is bit-identical.

Used to prove that a refactoring changed no number: save a snapshot from the code before
the change, then check the changed code against it.

    python scripts/check_identical.py --save /tmp/before.json     # on the old code
    python scripts/check_identical.py --check /tmp/before.json    # on the new code

The corpus (fixed, deterministic):

* every PaHaW SVC file and every UCI spiral file in the shared data folder
  (``../shared/data`` next to the repository, or ``$PENMOTOR_SHARED_DATA``);
* every evemu recording there, decoded by ``penmotor_capture`` (when importable);
* synthetic recordings from :mod:`penmotor.synth`, including worst cases (tremor, jitter,
  duplicate time stamps, one sample, no pressure, no pen-down ink, every task label spelling
  the task rules distinguish);
* a few synthetic recordings rendered as scanned pages and scored by the scan pipeline
  (the rendered page itself is compared too, by a digest of its pixels);
* :func:`penmotor.signal.resample` of a few recordings (digests of every output array).

Values are stored as ``float.hex`` so the comparison is exact; NaN equals NaN. Exit status 1
when any value differs, is missing or is new. A speed-up that only changes the order of
floating-point operations (a vectorised sum, an FFT in another layout) is checked with
``--check F --rtol 1e-9``: numbers may then move at rounding level, nothing else.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("PENMOTOR_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _digest(a: Any) -> str:
    arr = np.ascontiguousarray(np.asarray(a))
    return f"{arr.dtype}{arr.shape}:" + hashlib.sha256(arr.tobytes()).hexdigest()[:32]


def _value(v: Any) -> str:
    """Exact text form of one value: float.hex for numbers, a digest for arrays."""
    if isinstance(v, np.ndarray):
        return _digest(v)
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, float, np.integer, np.floating)):
        f = float(v)
        return "nan" if math.isnan(f) else f.hex()
    return repr(v)


def _real_recordings() -> Iterator[tuple[str, Any]]:
    import penmotor

    for f in sorted((DATA / "pahaw").glob("*/*.svc")):
        yield f"pahaw/{f.parent.name}/{f.name}", penmotor.read(f)
    for f in sorted((DATA / "uci_spiral").glob("*/*.txt")):
        recs = penmotor.read(f, format="uci")
        for i, rec in enumerate(recs if isinstance(recs, list) else [recs]):
            yield f"uci/{f.relative_to(DATA / 'uci_spiral')}#{i}", rec
    try:
        from penmotor_capture import decode, read_evemu, to_recording
    except ImportError:  # pragma: no cover - capture package not on the path
        print("penmotor_capture not importable: evemu replays skipped", file=sys.stderr)
        return
    for f in sorted((DATA / "evemu").glob("*.ev*")):
        s = read_evemu(f)
        samples = decode(s.t_us, s.type, s.code, s.value)
        if len(samples) == 0 or s.info is None:
            continue
        try:
            yield f"evemu/{f.name}", to_recording(samples, s.info, source=f.name)
        except Exception as exc:  # a device without units: record the failure itself
            print(f"evemu/{f.name}: {type(exc).__name__}: {exc}", file=sys.stderr)


def _synthetic_recordings() -> Iterator[tuple[str, Any]]:
    from penmotor import Recording, synth

    hw = synth.handwriting
    yield "synth/hw-default", hw(seed=1)
    yield "synth/hw-big-slant", hw("the quick brown fox", x_height_mm=6.0, slant_deg=15.0, seed=2)
    yield "synth/hw-uneven", hw("jumps over the lazy dog", size_cv=0.25, baseline_sd_mm=0.6,
                                spacing_cv=0.5, slant_sd_deg=5.0, seed=3)
    yield "synth/hw-tremor", hw("minimum", tremor_hz=7.0, tremor_amplitude_mm=0.35, seed=4)
    yield "synth/hw-jitter-dup", hw("abc def", jitter_s=0.002, duplicate_fraction=0.05, seed=5)
    yield "synth/hw-slow-lowrate", hw("ab cd", speed_mm_s=8.0, rate_hz=75.0, pause_scale=1.6, seed=6)
    yield "synth/hw-pahaw-device", hw("hello", device="pahaw", seed=7)
    yield "synth/hw-one-letter", hw("l", seed=8)
    yield "synth/spiral", synth.spiral(seed=1)
    yield "synth/spiral-tremor", synth.spiral(tremor_hz=5.0, tremor_amplitude_mm=0.5, jitter_s=0.001, seed=2)
    yield "synth/spiral-tight", synth.spiral(turns=6.0, tightness_mm_per_rad=0.6, duration_s=4.0, seed=3)
    yield "synth/tremor-spiral", synth.tremor_spiral(seed=1)
    for i, rec in enumerate(synth.child_sessions(3, seed=2)):
        yield f"synth/child-{i}-{rec.meta.get('task')}", rec
    # task labels: the task rules differ on unlabelled and unusual labels, so cover them all
    base = hw("hello world", tremor_hz=6.0, tremor_amplitude_mm=0.3, seed=9)
    spi = synth.spiral(tremor_hz=6.0, tremor_amplitude_mm=0.3, seed=9)
    for label in (None, "", "text", "sentence", "words", "copy", "llll", "Spiral", "spiral_1",
                  "circle", "line", "lines", "dots", "none", 0):
        yield f"task/hw-{label!r}", base.with_meta(task=label) if label is not None else _without_task(base)
        yield f"task/spiral-{label!r}", spi.with_meta(task=label) if label is not None else _without_task(spi)
    # degenerate inputs
    t = np.arange(50) * 0.01
    yield "edge/one-sample", Recording.from_arrays(t=[0.0], x=[1.0], y=[2.0])
    yield "edge/two-samples", Recording.from_arrays(t=[0.0, 0.01], x=[0.0, 1.0], y=[0.0, 0.0])
    yield "edge/no-pressure-line", Recording.from_arrays(t=t, x=t * 20, y=np.zeros_like(t))
    yield "edge/all-pen-up", Recording.from_arrays(t=t, x=t * 20, y=np.zeros_like(t),
                                                   pen_down=np.zeros(t.size, bool))
    yield "edge/still-pen", Recording.from_arrays(t=t, x=np.ones_like(t), y=np.ones_like(t),
                                                  pressure=np.full(t.size, 0.5))
    yield "edge/repeated-times", Recording.from_arrays(t=np.repeat(t[:25], 2), x=np.arange(50.0) * 0.3,
                                                       y=np.sin(np.arange(50.0)), pressure=np.full(50, 0.4))


def _without_task(rec: Any) -> Any:
    from penmotor import Recording

    meta = {k: v for k, v in rec.meta.items() if k != "task"}
    return Recording.from_arrays(
        t=rec.t, x=rec.x, y=rec.y, pressure=rec.pressure, tilt_x=rec.tilt_x, tilt_y=rec.tilt_y,
        pen_down=rec.pen_down, meta=meta,
    )


def snapshot(*, quick: bool = False) -> dict[str, str]:
    """Every value of the corpus, keyed ``"<item>|<name>"``."""
    import penmotor
    from penmotor import signal as psig
    from penmotor import synth

    out: dict[str, str] = {}

    def put(item: str, values: dict[str, Any]) -> None:
        for k, v in values.items():
            out[f"{item}|{k}"] = _value(v)

    def guarded(item: str, fn: Callable[[], dict[str, Any]]) -> None:
        try:
            put(item, fn())
        except Exception as exc:  # the exception itself is part of the behaviour
            out[f"{item}|<error>"] = f"{type(exc).__name__}: {exc}"

    # the registry itself: names, units, families, directions, modalities, channels
    for name, info in penmotor.FEATURES.items():
        out[f"registry|{name}"] = repr((info.unit, info.family, info.better, sorted(info.modalities),
                                        info.needs, info.func is not None, info.description))

    recs: list[tuple[str, Any]] = list(_synthetic_recordings())
    if DATA.is_dir():
        real = list(_real_recordings())
        recs += real[::7] if quick else real
    else:  # pragma: no cover
        print(f"shared data not found at {DATA}: real recordings skipped", file=sys.stderr)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for item, rec in recs:
            guarded(item, lambda rec=rec: penmotor.features(rec))
        for item, rec in recs[:12]:
            def res(rec: Any = rec) -> dict[str, Any]:
                s, e = rec.stroke_bounds()
                r = psig.resample(rec.t, np.column_stack((rec.x, rec.y)), starts=s, stops=e, rate_hz=100.0)
                return {f"resample[{i}]": np.asarray(a) for i, a in enumerate(r)}
            guarded(item, res)

        # scans: rendered pages through the whole pipeline
        from penmotor.scan import score_page

        pages = [
            ("scan/one-line-300", [synth.handwriting("hello world", x_height_mm=4.0, seed=1)], 300.0, {}),
            ("scan/three-lines-200", [synth.handwriting(s, x_height_mm=3.5, size_cv=0.15, seed=i)
                                      for i, s in enumerate(("the cat sat", "on a mat", "big dog"))],
             200.0, {"rules_mm": None}),
            ("scan/ruled-300", [synth.handwriting("quick brown fox", x_height_mm=5.0, slant_deg=10.0, seed=4),
                                synth.handwriting("lazy dogs", x_height_mm=5.0, seed=5)], 300.0, {}),
            ("scan/spiral-200", [synth.spiral(seed=3)], 200.0, {}),
        ]
        for item, recs_, dpi, kw in pages:
            img = penmotor.render(recs_, dpi, **{k: v for k, v in kw.items() if v is not None})
            put(item, {"render": img})
            guarded(item, lambda img=img, dpi=dpi: score_page(img, dpi=dpi))
    return out


def _close(a: str, b: str, rtol: float) -> bool:
    """Whether two float.hex values differ by at most `rtol` (relative to the larger; 1e-300 absolute)."""
    try:
        x, y = float.fromhex(a), float.fromhex(b)
    except ValueError:
        return False
    return abs(x - y) <= max(rtol * max(abs(x), abs(y)), 1e-300)


def compare(old: dict[str, str], new: dict[str, str], rtol: float = 0.0) -> list[str]:
    """Human-readable differences (empty when identical).

    With `rtol` > 0, numbers within that relative tolerance count as equal (rounding-level
    changes of a faster evaluation order); arrays, NaN and text must still match exactly.
    """
    diffs = []
    for k in sorted(old.keys() | new.keys()):
        a, b = old.get(k, "<missing>"), new.get(k, "<missing>")
        if a != b and not (rtol > 0 and _close(a, b, rtol)):
            diffs.append(f"{k}: {a} -> {b}")
    return diffs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--save", type=Path, help="write a snapshot")
    g.add_argument("--check", type=Path, help="compare against a snapshot")
    p.add_argument("--quick", action="store_true", help="every 7th real recording only")
    p.add_argument("--rtol", type=float, default=0.0,
                   help="with --check: numbers within this relative tolerance count as equal (default 0: bit for bit)")
    args = p.parse_args(argv)
    snap = snapshot(quick=args.quick)
    if args.save:
        args.save.write_text(json.dumps(snap, indent=0, sort_keys=True))
        print(f"saved {len(snap)} values to {args.save}")
        return 0
    old = json.loads(args.check.read_text())
    diffs = compare(old, snap, args.rtol)
    exact = len(compare(old, snap)) if args.rtol > 0 else len(diffs)
    within = f" ({exact - len(diffs)} more differ within rtol={args.rtol:g})" if args.rtol > 0 else ""
    print(f"compared {len(old.keys() | snap.keys())} values: {len(diffs)} differ{within}")
    for d in diffs[:50]:
        print("  " + d)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
