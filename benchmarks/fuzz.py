"""Fuzz the whole pipeline with corrupted real files: read -> features -> store -> report, and scan.

Seeds are the real recordings in ``../shared/data`` (PaHaW SVC, UCI spiral text, evemu event
streams) and files derived from them for the formats with no public example (InkML and
``.pmr`` written by penmotor, a Curious CSV laid out like the MindLogger export, a PNG page
rendered from a real recording). Each case mutates one seed at the byte level -- flip,
truncate, duplicate a chunk, insert random bytes -- and runs it through the pipeline. A case
passes when it ends normally or with a :class:`penmotor.PenmotorError`; it fails on any other
exception, on a peak of traced memory above ``64 MiB + 4000 x file size``, or when it runs
longer than ``--timeout`` seconds (a per-case alarm stops it). The CI test
(``tests/test_fuzz_pipeline.py``) runs a short seeded campaign of the same code.

Usage: ``python benchmarks/fuzz.py [--cases 150] [--seed 0] [--formats svc,uci,...] [--full]``.
Prints, per format: cases tried, outcomes by type (ok, each penmotor error, each failure),
worst traced memory and worst time per case.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import resource
import signal
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
try:  # the penmotor on the path (PYTHONPATH) if any, else this checkout's
    import penmotor
    import penmotor_capture  # noqa: F401
except ImportError:
    for _p in (ROOT / "src", ROOT / "capture"):
        sys.path.insert(0, str(_p))
    import penmotor

from penmotor import PenmotorError  # noqa: E402
from penmotor.progress.ingest import file_sha256  # noqa: E402

SHARED = Path(os.environ.get("PENMOTOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
FORMATS = ("svc", "uci", "inkml", "native", "curious", "evemu", "scan")
MUTATIONS = ("flip", "truncate", "duplicate", "insert")
#: Peak traced memory allowed per case: MEM_BASE + MEM_PER_BYTE x file size.
MEM_BASE = 64 << 20
MEM_PER_BYTE = 4000
CHILD = "FUZZ1"
DATE = "2026-01-12"


class CaseTimeout(BaseException):
    """Raised by the per-case alarm (a BaseException: library code cannot swallow it)."""


# ---------------------------------------------------------------------------------- seeds
def _real_rec(n: int | None):
    f = sorted((SHARED / "pahaw").glob("*/*.1_1.svc"))[0]
    rec = penmotor.read(f, format="svc", columns="bdalab", device="wacom-intuos4")
    return rec if n is None else rec[:n]


def _svc_prefix(src: Path, dst: Path, n: int | None) -> Path:
    lines = src.read_text().splitlines()
    body = lines[1:] if n is None else lines[1 : 1 + n]
    dst.write_text(f"{len(body)}\n" + "".join(ln + "\n" for ln in body))
    return dst


def _curious_from(rec, dst: Path) -> Path:
    """A Curious spiral export of a real recording (x, y scaled to 0-100, epoch time stamps)."""
    d = rec.pen_down
    x, y, t = rec.x[d], rec.y[d], rec.t[d]
    line = np.cumsum(np.r_[0, np.diff(np.flatnonzero(d)) > 1])
    lo, span = min(x.min(), y.min()), max(np.ptp(x), np.ptp(y)) or 1.0
    t0 = 1686858474.596
    rows = ["line_number,x,y,UTC_Timestamp,seconds,epoch_time_in_seconds_start\n"]
    for i in range(x.size):
        rows.append(f"{line[i]},{100 * (x[i] - lo) / span:.2f},{100 - 100 * (y[i] - lo) / span:.2f},"
                    f"{t0 + t[i]:.3f},{t[i]:.3f},{t0 if i == 0 else ''}\n")
    dst.write_text("".join(rows))
    return dst


def _page_png(rec, dst: Path, dpi: float) -> Path:
    import cv2

    from penmotor.scan.render import render

    page = render(rec, dpi=dpi)
    ok, enc = cv2.imencode(".png", np.asarray(page))
    assert ok
    dst.write_bytes(enc.tobytes())
    return dst


def make_seeds(workdir: Path, *, full: bool = False) -> dict[str, list[Path]]:
    """Seed files per format in `workdir` (small prefixes of the real files unless `full`)."""
    workdir.mkdir(parents=True, exist_ok=True)
    n = None if full else 300
    pahaw = sorted((SHARED / "pahaw").glob("*/*.svc"))
    svc_src = [pahaw[0], pahaw[len(pahaw) // 2]] if full else [pahaw[0]]
    seeds: dict[str, list[Path]] = {
        "svc": [_svc_prefix(f, workdir / f.name, n) for f in svc_src],
    }
    uci = SHARED / "uci_spiral" / "parkinson" / "P_05060004.txt"  # has a real clock reset at line 746
    ul = uci.read_text().splitlines()
    seeds["uci"] = [workdir / "P_05060004.txt"]
    seeds["uci"][0].write_text("".join(x + "\n" for x in (ul if full else ul[600:900])))
    rec = _real_rec(n)
    seeds["inkml"] = [workdir / "seed.inkml"]
    seeds["native"] = [workdir / "seed.pmr"]
    penmotor.write(rec, seeds["inkml"][0])
    penmotor.write(rec, seeds["native"][0])
    seeds["curious"] = [_curious_from(rec, workdir / "[C001]x-spiral_trace1_Dom.csv")]
    ev = SHARED / "evemu"
    seeds["evemu"] = [ev / "wacom_intuos4_6x9.stylus-tap.events"] + (
        [ev / "uclogic_wp5540u_pen.evemu"] if full else [])
    seeds["scan"] = [_page_png(_real_rec(None), workdir / "page.png", 100.0 if full else 60.0)]
    return seeds


# ------------------------------------------------------------------------------ mutations
def _bytes_mutation(data: bytes, rng: np.random.Generator, kind: str, text: bool) -> bytes:
    """Flip, truncate, duplicate or insert; `text` aligns to lines and keeps digits digits."""
    n = len(data)
    if n == 0:
        return bytes(rng.integers(0, 256, 8, dtype=np.uint8))
    b = bytearray(data)
    nl = [i + 1 for i, c in enumerate(data) if c == 10] if text else []
    if kind == "flip":
        for _ in range(int(rng.integers(1, 9))):
            i = int(rng.integers(n))
            if text and 48 <= b[i] <= 57:
                b[i] = 48 + int(rng.integers(10))  # another digit: a plausible but wrong number
            else:
                b[i] ^= 1 << int(rng.integers(8))
    elif kind == "truncate":
        cuts = [c for c in nl if c < n]  # line ends before the end of the file
        b = b[: int(cuts[int(rng.integers(len(cuts)))] if cuts else rng.integers(n))]
    elif kind == "duplicate":
        if len(nl) > 2:
            i, j = sorted(int(v) for v in rng.choice(len(nl), 2, replace=False))
            chunk, k = b[nl[i] : nl[j]][:65536], nl[int(rng.integers(len(nl)))]
        else:
            i = int(rng.integers(n))
            chunk, k = b[i : min(n, i + int(rng.integers(1, 4096)))], int(rng.integers(n))
        b[k:k] = chunk
    else:
        k = int(rng.integers(n + 1))
        alphabet = np.frombuffer(b"0123456789-.,; \t\neE+" if text else bytes(range(256)), np.uint8)
        b[k:k] = bytes(rng.choice(alphabet, int(rng.integers(1, 64))))
    return bytes(b)


def _repack_zip(data: bytes, rng: np.random.Generator, kind: str) -> bytes:
    """Mutate one member of a ZIP archive and write a valid archive again (CRCs right)."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    names = src.namelist()
    victim = names[int(rng.integers(len(names)))]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        for nm in names:
            raw = src.read(nm)
            dst.writestr(nm, _bytes_mutation(raw, rng, kind, nm.endswith(".json")) if nm == victim else raw)
    return out.getvalue()


def _fix_png_crcs(data: bytes) -> bytes:
    """Recompute every PNG chunk CRC, so a mutation reaches the decoder instead of the CRC check."""
    import zlib

    b = bytearray(data)
    i = 8
    while i + 12 <= len(b):
        length = int.from_bytes(b[i : i + 4], "big")
        end = i + 8 + length
        if end + 4 > len(b):
            break
        b[end : end + 4] = zlib.crc32(bytes(b[i + 4 : end])).to_bytes(4, "big")
        i = end + 4
    return bytes(b)


def mutate(data: bytes, rng: np.random.Generator, fmt: str = "") -> tuple[str, bytes]:
    """One random mutation of `data`: (kind, mutated bytes).

    Half the cases are raw byte mutations; the other half stay closer to the format so that
    they get past the first check: line-aligned, digit-for-digit on text formats, inside one
    member of a ``.pmr`` archive (re-zipped), PNG chunk CRCs recomputed.
    """
    kind = MUTATIONS[int(rng.integers(len(MUTATIONS)))]
    deep = bool(rng.integers(2))
    if deep and fmt == "native" and data[:2] == b"PK":
        try:
            return f"{kind} in member", _repack_zip(data, rng, kind)
        except Exception:  # the seed is always a valid archive; defensive only
            pass
    if deep and fmt == "scan":
        return f"{kind} + CRCs", _fix_png_crcs(_bytes_mutation(data, rng, kind, False))
    text = deep and fmt in ("svc", "uci", "curious", "inkml", "evemu")
    return (f"{kind} (text)" if text else kind), _bytes_mutation(data, rng, kind, text)


# --------------------------------------------------------------------------------- pipeline
def _read(fmt: str, path: Path) -> list[Any]:
    if fmt == "evemu":
        from penmotor_capture import Decoder, read_evemu
        from penmotor_capture.convert import to_recording

        desc = SHARED / "evemu" / "wacom_intuos4_6x9.desc" if path.suffix == ".events" else None
        s = read_evemu(path, desc=desc)
        return [to_recording(Decoder.for_device(s.info).feed(s.t_us, s.type, s.code, s.value), s.info,
                             source=path.name)]
    kw: dict[str, Any] = {
        "svc": dict(format="svc", columns="bdalab", device="wacom-intuos4"),
        "uci": dict(format="uci"),
        "inkml": dict(format="inkml"),
        "native": dict(format="native"),
        "curious": dict(format="curious"),
    }[fmt]
    if fmt == "curious":
        from penmotor.io.curious import curious_device

        kw["device"] = curious_device(150.0, 100.0)
    got = penmotor.read(path, **kw)
    return got if isinstance(got, list) else [got]


def run_pipeline(fmt: str, path: Path, store: Any) -> int:
    """read -> features -> store (scan: load -> score -> store); returns sessions added."""
    added = 0
    if fmt == "scan":
        from penmotor.scan import load_pages, score_page

        for i, page in enumerate(load_pages(path, dpi=100.0)):
            vals = score_page(page)
            sid = store.add_session(CHILD, date=DATE, task="worksheet", modality="scan",
                                    sha256=file_sha256(path), part=i, values=vals)
            added += sid is not None
        return added
    for i, rec in enumerate(_read(fmt, path)):
        vals = penmotor.features(rec)
        rec = rec.with_meta(subject=None)
        sid = store.add_recording(CHILD, rec, date=DATE, values=vals, part=i,
                                  sha256=file_sha256(path))
        added += sid is not None
    return added


def run_report(store: Any, out: Path) -> None:
    from penmotor.progress import build_report

    build_report(store, CHILD, out)


# ---------------------------------------------------------------------------------- harness
@dataclass
class Tally:
    """Outcomes of one format's cases."""

    cases: int = 0
    outcomes: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    worst_mem: tuple[float, str] = (0.0, "")
    worst_time: tuple[float, str] = (0.0, "")

    def add(self, outcome: str, failed: bool, mem: float, dt: float, label: str) -> None:
        self.cases += 1
        self.outcomes[outcome] += 1
        if failed:
            self.failures.append(f"{label}: {outcome}")
        if mem > self.worst_mem[0]:
            self.worst_mem = (mem, label)
        if dt > self.worst_time[0]:
            self.worst_time = (dt, label)


@contextlib.contextmanager
def alarm(seconds: float):
    """Raise :class:`CaseTimeout` in the main thread when the block runs longer than `seconds`."""
    def fire(signum: int, frame: Any) -> None:
        raise CaseTimeout(f"over {seconds:g} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@contextlib.contextmanager
def address_space_guard(headroom: int = 4 << 30):
    """Cap the process's address space at its current size + `headroom` for the campaign, so a
    runaway allocation fails (MemoryError, counted as a failure) instead of swapping the machine."""
    try:
        with open("/proc/self/statm") as fh:
            vm = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        old = resource.getrlimit(resource.RLIMIT_AS)
        cap = vm + headroom
        if old[1] != resource.RLIM_INFINITY:
            cap = min(cap, old[1])
        resource.setrlimit(resource.RLIMIT_AS, (cap, old[1]))
    except (OSError, ValueError):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, old)


def run_case(fn: Any, size: int, timeout_s: float) -> tuple[str, bool, float, float]:
    """Run `fn()` under the alarm and tracemalloc: (outcome, failed, peak bytes, seconds)."""
    gc.collect()
    tracemalloc.start()
    t0 = time.perf_counter()
    failed = False
    try:
        with alarm(timeout_s), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fn()
        outcome = "ok"
    except PenmotorError as exc:
        outcome = type(exc).__name__
    except CaseTimeout:
        outcome, failed = "TIMEOUT", True
    except Exception as exc:  # anything else is a bug
        outcome, failed = f"BUG {type(exc).__name__}: {str(exc)[:160]}", True
    dt = time.perf_counter() - t0
    peak = float(tracemalloc.get_traced_memory()[1])
    tracemalloc.stop()
    if not failed and peak > MEM_BASE + MEM_PER_BYTE * size:
        outcome, failed = f"MEMORY {peak / 2**20:.0f} MiB for {size} bytes", True
    return outcome, failed, peak, dt


def campaign(
    cases: int, *, seed: int = 0, formats: tuple[str, ...] = FORMATS, full: bool = False,
    timeout_s: float = 20.0, report_every: int = 0, workdir: Path | None = None, log: Any = None,
) -> dict[str, Tally]:
    """Run `cases` mutated files per format through the pipeline into one store; the report of
    everything stored is built at the end (and after every `report_every` cases when > 0) and
    tallied as format ``"report"``."""
    from penmotor.progress import Store

    tmp = tempfile.TemporaryDirectory() if workdir is None else None
    wd = Path(tmp.name) if tmp is not None else workdir
    rng = np.random.default_rng(seed)
    tallies: dict[str, Tally] = {}
    done = 0
    try:
        seeds = make_seeds(wd / "seeds", full=full)
        warm = Store(wd / "warm.db")  # imports and kernel caches, outside the timed cases
        for fmt in formats:
            with contextlib.suppress(Exception), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                run_pipeline(fmt, seeds[fmt][0], warm)
        warm.close()
        store = Store(wd / "fuzz.db")
        with address_space_guard():
            for fmt in formats:
                tally = tallies[fmt] = Tally()
                case_dir = wd / fmt
                case_dir.mkdir(exist_ok=True)
                for k in range(cases):
                    src = seeds[fmt][k % len(seeds[fmt])]
                    kind, data = mutate(src.read_bytes(), rng, fmt)
                    p = case_dir / src.name
                    p.write_bytes(data)
                    outcome, failed, mem, dt = run_case(lambda: run_pipeline(fmt, p, store), len(data), timeout_s)
                    label = f"{fmt} case {k} ({kind} of {src.name}, {len(data)} bytes)"
                    if failed:
                        keep = wd / "failures" / f"{fmt}-{k}-{src.name}"
                        keep.parent.mkdir(exist_ok=True)
                        keep.write_bytes(data)
                        label += f" [kept as {keep}]"
                    tally.add(outcome, failed, mem, dt, label)
                    if log is not None and failed:
                        print(label, outcome, file=log, flush=True)
                    done += 1
                    if report_every and done % report_every == 0:
                        _report_case(tallies, store, wd, done, timeout_s)
            _report_case(tallies, store, wd, done, timeout_s)
        store.close()
    finally:
        if tmp is not None:
            tmp.cleanup()
    return tallies


def _report_case(tallies: dict[str, Tally], store: Any, wd: Path, done: int, timeout_s: float) -> None:
    if not store.children():
        return
    size = (wd / "fuzz.db").stat().st_size
    outcome, failed, mem, dt = run_case(lambda: run_report(store, wd / "report.html"), size, 10 * timeout_s)
    tallies.setdefault("report", Tally()).add(outcome, failed, mem, dt, f"report after {done} cases")


def summary(tallies: dict[str, Tally]) -> str:
    """A plain-text table of the campaign."""
    lines = [f"{'format':8} {'cases':>5}  {'worst MiB':>9} {'worst s':>7}  outcomes"]
    for fmt, t in tallies.items():
        oc = ", ".join(f"{k}: {v}" for k, v in sorted(t.outcomes.items(), key=lambda kv: -kv[1]))
        lines.append(f"{fmt:8} {t.cases:5d}  {t.worst_mem[0] / 2**20:9.1f} {t.worst_time[0]:7.2f}  {oc}")
    for fmt, t in tallies.items():
        lines.append(f"  {fmt}: worst memory {t.worst_mem[1]}; worst time {t.worst_time[1]}")
        lines.extend(f"  FAIL {f}" for f in t.failures)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=150, help="mutated files per format")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--formats", default=",".join(FORMATS))
    ap.add_argument("--full", action="store_true", help="whole real files as seeds (slower)")
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds allowed per case")
    ap.add_argument("--report-every", type=int, default=50)
    ap.add_argument("--keep", type=Path, help="keep seeds, stores and failing files in this folder")
    a = ap.parse_args(argv)
    fmts = tuple(f.strip() for f in a.formats.split(",") if f.strip())
    bad = set(fmts) - set(FORMATS)
    if bad:
        ap.error(f"unknown formats {sorted(bad)}; known: {', '.join(FORMATS)}")
    t0 = time.perf_counter()
    tallies = campaign(a.cases, seed=a.seed, formats=fmts, full=a.full, timeout_s=a.timeout,
                       report_every=a.report_every, workdir=a.keep, log=sys.stdout)
    print(summary(tallies))
    print(f"{sum(t.cases for t in tallies.values())} cases in {time.perf_counter() - t0:.0f} s "
          f"(load average {os.getloadavg()[0]:.1f})")
    return int(any(t.failures for t in tallies.values()))


if __name__ == "__main__":
    raise SystemExit(main())
